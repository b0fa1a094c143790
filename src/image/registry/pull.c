/* `hull pull`: manifest (or index, then the platform's manifest), config and layers
 * from a registry into the store; and the referrers API.
 *
 * Trust: a manifest is hashed as received and must match the digest asked for, or
 * for a tag the registry's Docker-Content-Digest (when it sends one); the manifest
 * then names every other blob by digest and size. Blobs stream from curl into the
 * store's blob writer, which hashes every byte; more bytes than the descriptor's
 * size stop the transfer at once, and the blob is published only when digest and
 * size match. A broken download resumes with a Range request; a registry that
 * ignores Range sends the blob again, and the bytes already held are skipped.
 * Each layer is unpacked by its own thread while it downloads (snapshot.c:
 * snapshot_stream_*); the snapshot is renamed into place only after the blob
 * verified and its diff_id matched the config's.
 *
 * Consistency: the gc lock is held shared from the first blob to the record, so a
 * concurrent prune cannot collect blobs we have verified but not yet referenced.
 * The config and the manifest (verified when they arrived) are stored while the
 * layers download; the image is recorded (image_commit, refs) only after every
 * blob verified; a failure before that leaves only unreferenced, verified blobs
 * and snapshots, which prune collects. Layers download in parallel (opts->parallel
 * workers); the first failure cancels the others. */
#include "internal.h"
#include "../../base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#define BLOB_ATTEMPTS 3

/* "repo:tag" / "repo@digest" as users name images of this registry in messages. */
static char *short_name(const struct hull_image_ref *r)
{
    if (strcmp(r->domain, "docker.io") == 0) {
        _cleanup_free_ char *f = hull_image_ref_familiar(r);
        return xstrdup(f);
    }
    if (r->digest)
        return xasprintf("%s@%s", r->path, r->digest);
    return xasprintf("%s:%s", r->path, r->tag);
}

static char *media_type_of(const char *content_type)
{
    size_t n;
    if (content_type == NULL)
        return NULL;
    n = strcspn(content_type, "; \t");
    char *s = xmalloc0(n + 1);
    memcpy(s, content_type, n);
    return s;
}

int reg_get_manifest(struct reg_client *c, const char *path, const char *reference,
                     const char *familiar, char **data, size_t *len, char **media_type,
                     char digest[HULL_DIGEST_BUF], hull_error *err)
{
    _cleanup_free_ char *url = xasprintf("/v2/%s/manifests/%s", path, reference);
    _cleanup_free_ char *scope = reg_scope(path, false);
    _cleanup_free_ char *what = xasprintf("manifest %s", familiar);
    struct reg_resp r = {0};
    struct reg_req q;
    bool by_digest = hull_str_has_prefix(reference, "sha256:");
    int ret = -1;

    reg_req_init(&q, "GET", url);
    q.scope = scope;
    q.accept = REG_ACCEPT_MANIFESTS;
    q.max_body = HULL_IMAGE_MAX_MANIFEST;
    q.what = what;
    if (reg_do(c, &q, &r, err) < 0)
        goto out;
    if (r.status == 404) {
        hull_error_msg(err, ENOENT, "no such image: %s in registry %s", familiar, c->domain);
        goto out;
    }
    if (r.status != 200) {
        reg_http_error(c, &r, what, err);
        goto out;
    }
    hull_image_digest_bytes(r.body ? r.body : "", r.len, digest);
    if (by_digest && strcmp(digest, reference) != 0) {
        hull_error_msg(err, EIO,
                       "%s: content digest is %s, not the %s asked for (corrupt or tampered)", what,
                       digest, reference);
        goto out;
    }
    if (!by_digest && r.digest && hull_str_has_prefix(r.digest, "sha256:") &&
        strcmp(r.digest, digest) != 0) {
        hull_error_msg(err, EIO,
                       "%s: content digest is %s, the registry says %.80s (corrupt or tampered)",
                       what, digest, r.digest);
        goto out;
    }
    *data = r.body ? steal_pointer(&r.body) : xstrdup("");
    *len = r.len;
    *media_type = media_type_of(r.content_type);
    ret = 0;
out:
    reg_resp_clear(&r);
    return ret;
}

/* ---- blobs ------------------------------------------------------------------------------ */

struct blob_job {
    struct reg_client *c;
    struct hull_image_store *s;
    const char *path, *scope;
    const struct hull_image_descriptor *d;
    struct reg_progress *pr;
    volatile int *abort;
    hull_error *err;
    struct blob_writer *w;
    uint64_t got;
    uint64_t skip; /* bytes of a restarted response we hold already */
    /* a layer unpacked while it downloads (NULL diff_id: just the blob) */
    const char *diff_id, *parent_chain;
    struct blob_follow *f;
    struct snapshot_stream *st;
};

static uint64_t sink_offset(void *data)
{
    struct blob_job *j = data;
    return j->w ? j->got : 0;
}

/* The writer, and the layer's unpack thread reading behind it. */
static int job_start(struct blob_job *j)
{
    if (blob_writer_new(j->s, &j->w, j->err) < 0)
        return -1;
    blob_writer_expect(j->w, j->d->size);
    if (j->diff_id == NULL)
        return 0;
    j->f = blob_writer_follow(j->w, j->err);
    if (j->f == NULL)
        return -1;
    return snapshot_stream_start(j->s, j->d, j->diff_id, j->parent_chain, j->f, &j->st, j->err);
}

static int sink_begin(void *data, long status, const struct reg_resp *resp)
{
    struct blob_job *j = data;
    (void)resp;
    if (j->w == NULL)
        return job_start(j);
    /* The registry sent the whole blob again (it ignored Range): skip what we hold.
     * The digest over the whole blob still decides whether any of it is kept. */
    j->skip = status == 206 ? 0 : j->got;
    return 0;
}

static int sink_write(void *data, const void *buf, size_t len)
{
    struct blob_job *j = data;
    if (j->skip) {
        size_t k = len < j->skip ? len : (size_t)j->skip;
        j->skip -= k;
        buf = (const char *)buf + k;
        len -= k;
        if (len == 0)
            return 0;
    }
    if (j->got + len > (uint64_t)j->d->size)
        return hull_error_msg(j->err, EIO,
                              "blob %s: the registry sent more than its %lld bytes "
                              "(corrupt or tampered)",
                              j->d->digest, (long long)j->d->size);
    if (blob_writer_write(j->w, buf, len, j->err) < 0)
        return -1;
    j->got += len;
    reg_progress_add(j->pr, (int64_t)len, 0);
    return 0;
}

static int fetch_blob(struct blob_job *j)
{
    _cleanup_free_ char *url = xasprintf("/v2/%s/blobs/%s", j->path, j->d->digest);
    _cleanup_free_ char *what = xasprintf("blob %s", j->d->digest);
    struct reg_sink sink = {sink_offset, sink_begin, sink_write, j};
    struct reg_resp r = {0};
    struct reg_req q;
    int ret = -1;

    reg_req_init(&q, "GET", url);
    q.scope = j->scope;
    q.sink = &sink;
    q.what = what;
    q.abort = j->abort;
    for (int attempt = 0; attempt < BLOB_ATTEMPTS; attempt++) {
        if (reg_do(j->c, &q, &r, j->err) < 0)
            goto out;
        if (r.status == 404) {
            hull_error_msg(j->err, ENOENT, "blob %s: not found in registry %s", j->d->digest,
                           j->c->domain);
            goto out;
        }
        if (r.status == 416 && j->got > 0)
            break; /* the registry has no more bytes than we got */
        if (r.status != 200 && r.status != 206) {
            reg_http_error(j->c, &r, what, j->err);
            goto out;
        }
        if (j->got >= (uint64_t)j->d->size)
            break;
        /* a clean end of response short of the size: ask for the rest */
    }
    if (j->w == NULL && j->d->size == 0 && job_start(j) < 0)
        goto out;
    if (j->got < (uint64_t)j->d->size) {
        hull_error_msg(j->err, EIO, "blob %s: truncated: the registry sent %llu of %lld bytes",
                       j->d->digest, (unsigned long long)j->got, (long long)j->d->size);
        goto out;
    }
    if (blob_writer_flush(j->w, j->err) < 0)
        goto out;
    blob_follow_end(j->f, true); /* every byte is in: the unpack finishes while we sync */
    ret = blob_writer_commit(j->w, j->d->digest, j->d->size, NULL, j->err);
    j->w = NULL;
    reg_progress_add(j->pr, 0, 1);
out:
    blob_writer_abort(j->w);
    j->w = NULL;
    /* the snapshot is renamed into place only when the blob verified */
    blob_follow_end(j->f, false);
    if (snapshot_stream_finish(j->st, ret == 0, j->err) < 0)
        ret = -1;
    blob_follow_free(j->f);
    j->st = NULL;
    j->f = NULL;
    reg_resp_clear(&r);
    return ret;
}

struct pool {
    pthread_mutex_t lock;
    struct blob_job *jobs;
    size_t n, next;
    volatile int abort;
    hull_error *errs;
    int failed; /* index + 1 of the first failure */
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        size_t i;
        pthread_mutex_lock(&p->lock);
        i = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n || p->abort)
            return NULL;
        if (fetch_blob(&p->jobs[i]) < 0) {
            pthread_mutex_lock(&p->lock);
            if (p->failed == 0 && p->errs[i].errnum != ECANCELED)
                p->failed = (int)i + 1;
            p->abort = 1;
            pthread_mutex_unlock(&p->lock);
        }
    }
}

/* Download the blobs of `m` the store lacks; with cfg (whose diff_ids match the
 * layers), each layer is unpacked into its snapshot while it downloads. */
/* A small document fetched and verified already (config, manifest): stored by the
 * main thread while the workers download, so its fsyncs are off the critical path. */
struct doc {
    const char *data, *digest;
    size_t len;
};

static int store_docs(struct hull_image_store *s, const struct doc *docs, size_t n, hull_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (docs[i].data &&
            hull_image_blob_put_mem(s, docs[i].data, docs[i].len, docs[i].digest, NULL, err) < 0)
            return -1;
    return 0;
}

static int fetch_blobs(struct reg_client *c, struct hull_image_store *s, const char *path,
                       const struct hull_image_manifest *m, const struct hull_image_config *cfg,
                       const struct doc *docs, size_t n_docs, hull_error *err)
{
    hull_error doc_err = {0};
    bool cfg_pending = n_docs > 0 && docs[0].data != NULL; /* docs[0]: the config */
    char(*chain)[HULL_DIGEST_BUF] = xmalloc0((m->n_layers + 1) * HULL_DIGEST_BUF);
    size_t *layer_of = xmalloc0((m->n_layers + 2) * sizeof(*layer_of));
    _cleanup_free_ char *scope = reg_scope(path, false);
    const struct hull_image_descriptor **want = xmalloc0((m->n_layers + 1) * sizeof(*want));
    struct reg_progress pr;
    struct pool p = {0};
    pthread_t *th = NULL;
    size_t n = 0, nth;
    uint64_t total = 0;
    unsigned par = c->opts->parallel ? c->opts->parallel : 4;
    int ret = 0;

    for (size_t i = 0; i <= m->n_layers; i++) {
        const struct hull_image_descriptor *d = i == 0 ? &m->config : &m->layers[i - 1];
        bool dup = false;
        for (size_t k = 0; k < n; k++)
            dup = dup || strcmp(want[k]->digest, d->digest) == 0;
        if (dup || (i == 0 && cfg_pending) || hull_image_blob_exists(s, d->digest))
            continue;
        layer_of[n] = i;
        want[n++] = d;
        total += (uint64_t)d->size;
    }
    if (cfg && cfg->n_diff_ids != m->n_layers)
        cfg = NULL; /* image_commit says what is wrong */
    if (cfg)
        hull_image_chain_ids(cfg->diff_ids, m->n_layers, chain);
    reg_progress_init(&pr, c->opts, "pull", total, n);
    pthread_mutex_init(&p.lock, NULL);
    p.n = n;
    p.jobs = xmalloc0((n + 1) * sizeof(*p.jobs));
    p.errs = xmalloc0((n + 1) * sizeof(*p.errs));
    for (size_t i = 0; i < n; i++) {
        p.jobs[i] = (struct blob_job){.c = c,
                                      .s = s,
                                      .path = path,
                                      .scope = scope,
                                      .d = want[i],
                                      .pr = &pr,
                                      .abort = &p.abort,
                                      .err = &p.errs[i]};
        if (cfg && layer_of[i] > 0) {
            size_t l = layer_of[i] - 1;
            p.jobs[i].diff_id = cfg->diff_ids[l];
            p.jobs[i].parent_chain = l ? chain[l - 1] : NULL;
        }
        reg_notice(c->opts, "Copying blob %s", want[i]->digest);
    }
    nth = n < par ? n : par;
    th = xmalloc0((nth + 1) * sizeof(*th));
    for (size_t i = 0; i < nth; i++)
        if (pthread_create(&th[i], NULL, worker, &p) != 0) {
            nth = i;
            break;
        }
    if (nth == 0 && n > 0)
        worker(&p); /* no thread could start: do the work here */
    if (store_docs(s, docs, n_docs, &doc_err) < 0)
        p.abort = 1;
    for (size_t i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    if (p.failed) {
        hull_error *e = &p.errs[p.failed - 1];
        hull_error_msg(err, e->errnum, "%s", e->msg ? e->msg : "blob download failed");
        ret = -1;
    } else if (doc_err.msg) {
        hull_error_msg(err, doc_err.errnum, "%s", doc_err.msg);
        ret = -1;
    }
    hull_error_clear(&doc_err);
    for (size_t i = 0; i < n; i++)
        hull_error_clear(&p.errs[i]);
    free(p.errs);
    free(p.jobs);
    free(th);
    free(want);
    free(chain);
    free(layer_of);
    pthread_mutex_destroy(&p.lock);
    reg_progress_destroy(&pr);
    return ret;
}

/* ---- pull ------------------------------------------------------------------------------- */

/* The config first: its diff_ids name the snapshots the layers unpack into. It is
 * small: fetched into memory and verified here; a config not yet in the store is left
 * in *pending for fetch_blobs to store while the layers download (its fsync off the
 * critical path). */
static int fetch_config(struct reg_client *c, struct hull_image_store *s, const char *path,
                        const struct hull_image_manifest *m, struct hull_image_config **out,
                        char **pending, size_t *pending_len, hull_error *err)
{
    _cleanup_free_ char *url = NULL, *scope = NULL, *what = NULL;
    char got[HULL_DIGEST_BUF];
    struct reg_resp r = {0};
    struct reg_req q;
    int ret = -1;

    *pending = NULL;
    if (hull_image_blob_exists(s, m->config.digest)) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (hull_image_blob_read(s, m->config.digest, HULL_IMAGE_MAX_CONFIG, &data, &len, err) < 0)
            return -1;
        return hull_image_config_parse(data, len, out, err);
    }
    url = xasprintf("/v2/%s/blobs/%s", path, m->config.digest);
    scope = reg_scope(path, false);
    what = xasprintf("config %s", m->config.digest);
    reg_req_init(&q, "GET", url);
    q.scope = scope;
    q.max_body = HULL_IMAGE_MAX_CONFIG;
    q.what = what;
    if (reg_do(c, &q, &r, err) < 0)
        goto out;
    if (r.status == 404) {
        hull_error_msg(err, ENOENT, "blob %s: not found in registry %s", m->config.digest,
                       c->domain);
        goto out;
    }
    if (r.status != 200) {
        reg_http_error(c, &r, what, err);
        goto out;
    }
    hull_image_digest_bytes(r.body ? r.body : "", r.len, got);
    if ((int64_t)r.len != m->config.size || strcmp(got, m->config.digest) != 0) {
        hull_error_msg(err, EIO, "blob %s: content digest is %s, %zu bytes (corrupt or tampered)",
                       m->config.digest, got, r.len);
        goto out;
    }
    if (hull_image_config_parse(r.body ? r.body : "", r.len, out, err) < 0)
        goto out;
    *pending = r.body;
    *pending_len = r.len;
    r.body = NULL;
    ret = 0;
out:
    reg_resp_clear(&r);
    return ret;
}

/* --all-platforms: every manifest of the index besides `picked`, with its blobs. */
static int fetch_other_platforms(struct reg_client *c, struct hull_image_store *s, const char *path,
                                 const struct hull_image_index *ix, const char *picked,
                                 hull_error *err)
{
    for (size_t i = 0; i < ix->n_manifests; i++) {
        const struct hull_image_descriptor *d = &ix->manifests[i];
        _cleanup_free_ char *data = NULL, *mt = NULL, *name = NULL;
        struct hull_image_manifest *m = NULL;
        char got[HULL_DIGEST_BUF];
        size_t len;
        int r;

        if (strcmp(d->digest, picked) == 0)
            continue;
        if (strcmp(d->media_type, HULL_MT_OCI_MANIFEST) != 0 &&
            strcmp(d->media_type, HULL_MT_DOCKER_MANIFEST) != 0) {
            reg_notice(c->opts, "skipping %s (%s is not an image manifest)", d->digest,
                       d->media_type);
            continue;
        }
        name = xasprintf("%s@%s", path, d->digest);
        if (reg_get_manifest(c, path, d->digest, name, &data, &len, &mt, got, err) < 0)
            return -1;
        if ((int64_t)len != d->size)
            return hull_error_msg(err, EIO, "manifest %s: %zu bytes, the index says %lld",
                                  d->digest, len, (long long)d->size);
        if (hull_image_manifest_parse(data, len, d->media_type, &m, err) < 0)
            return hull_error_prefix(err, "manifest %s", d->digest);
        r = fetch_blobs(c, s, path, m, NULL, NULL, 0, err);
        hull_image_manifest_free(m);
        if (r < 0 || hull_image_blob_put_mem(s, data, len, d->digest, NULL, err) < 0)
            return -1;
    }
    return 0;
}

static int pull_locked(struct hull_image_store *s, const struct hull_image_ref *ref,
                       const char *familiar, const struct hull_registry_opts *opts,
                       char out[HULL_DIGEST_BUF], hull_error *err)
{
    _cleanup_free_ char *data = NULL, *mt = NULL, *full = NULL;
    struct hull_image_manifest *m = NULL;
    struct hull_image_config *cfg = NULL;
    struct hull_image_index *ix = NULL;
    struct reg_client *c = NULL;
    _cleanup_free_ char *cfg_data = NULL;
    size_t cfg_len = 0;
    enum hull_image_doc_kind kind;
    char digest[HULL_DIGEST_BUF], idigest[HULL_DIGEST_BUF] = "";
    size_t len;
    int r = -1;

    if (reg_client_new(ref->domain, opts, &c, err) < 0 || reg_ping(c, false, err) < 0)
        goto out;
    if (reg_get_manifest(c, ref->path, ref->digest ? ref->digest : ref->tag, familiar, &data, &len,
                         &mt, digest, err) < 0 ||
        hull_image_doc_kind(data, len, mt, &kind, err) < 0)
        goto out;
    if (kind == HULL_DOC_INDEX) {
        struct hull_image_platform want = {0};
        const struct hull_image_descriptor *pick = NULL;
        const char *plat = opts->platform ? opts->platform : s->platform;
        if (hull_image_index_parse(data, len, mt, &ix, err) < 0 ||
            hull_image_platform_parse(plat, &want, err) < 0 ||
            hull_image_index_select(ix, &want, &pick, err) < 0) {
            hull_image_platform_clear(&want);
            hull_error_prefix(err, "%s", familiar);
            goto out;
        }
        hull_image_platform_clear(&want);
        /* keep the index: it is what the tag pointed at */
        if (hull_image_blob_put_mem(s, data, len, digest, idigest, err) < 0)
            goto out;
        free(data);
        free(mt);
        data = mt = NULL;
        _cleanup_free_ char *child = xasprintf("%s@%s", ref->path, pick->digest);
        if (reg_get_manifest(c, ref->path, pick->digest, child, &data, &len, &mt, digest, err) < 0)
            goto out;
        if ((int64_t)len != pick->size) {
            hull_error_msg(err, EIO, "manifest %s: %zu bytes, the index says %lld", pick->digest,
                           len, (long long)pick->size);
            goto out;
        }
        if (mt == NULL)
            mt = xstrdup(pick->media_type);
    }
    if (hull_image_manifest_parse(data, len, mt, &m, err) < 0) {
        hull_error_prefix(err, "%s", familiar);
        goto out;
    }
    if (strcmp(m->config.media_type, HULL_MT_OCI_CONFIG) != 0) {
        hull_error_msg(err, EINVAL, "%s is not a container image (config media type %.100s)",
                       familiar, m->config.media_type);
        goto out;
    }
    if (m->config.size > (int64_t)HULL_IMAGE_MAX_CONFIG) {
        hull_error_msg(err, EFBIG, "%s: config of %lld bytes is too large", familiar,
                       (long long)m->config.size);
        goto out;
    }
    for (size_t i = 0; i < m->n_layers; i++)
        if (!hull_image_layer_media_type_ok(m->layers[i].media_type)) {
            hull_error_msg(err, ENOTSUP, "%s: layer %s: unsupported media type %.100s", familiar,
                           m->layers[i].digest, m->layers[i].media_type);
            goto out;
        }
    if (fetch_config(c, s, ref->path, m, &cfg, &cfg_data, &cfg_len, err) < 0) {
        hull_error_prefix(err, "pull %s", familiar);
        goto out;
    }
    {
        /* the manifest as the registry sent it, so the local digest is the registry's;
         * unreferenced (prune collects it) until the image is recorded */
        const struct doc docs[2] = {{cfg_data, m->config.digest, cfg_len}, {data, digest, len}};
        if (fetch_blobs(c, s, ref->path, m, cfg, docs, 2, err) < 0) {
            hull_error_prefix(err, "pull %s", familiar);
            goto out;
        }
    }
    if (ix && opts->all_platforms && fetch_other_platforms(c, s, ref->path, ix, digest, err) < 0) {
        hull_error_prefix(err, "pull %s", familiar);
        goto out;
    }
    if (ref->digest == NULL)
        full = hull_image_ref_string(ref);
    {
        char *names[2] = {full, NULL};
        if (image_commit(s, digest, names, err) < 0) {
            hull_error_prefix(err, "pull %s", familiar);
            goto out;
        }
    }
    if (idigest[0] && refs_set_index(s, digest, idigest, err) < 0)
        goto out;
    if (out)
        memcpy(out, digest, HULL_DIGEST_BUF);
    r = 0;
out:
    hull_image_manifest_free(m);
    hull_image_config_free(cfg);
    hull_image_index_free(ix);
    reg_client_free(c);
    return r;
}

int hull_registry_pull(struct hull_image_store *s, const char *refstr,
                       const struct hull_registry_opts *opts, char out[HULL_DIGEST_BUF],
                       hull_error *err)
{
    struct hull_image_ref *ref = NULL;
    _cleanup_free_ char *familiar = NULL;
    _cleanup_close_ int gc = -1;
    int r;

    if (hull_image_ref_parse(refstr, &ref, err) < 0)
        return -1;
    familiar = short_name(ref);
    gc = store_lock(s, "gc", LOCK_SH, err);
    r = gc < 0 ? -1 : pull_locked(s, ref, familiar, opts, out, err);
    hull_image_ref_free(ref);
    return r;
}

/* ---- referrers -------------------------------------------------------------------------- */

/* Keep the index entries of artifactType `type` (when the registry did not filter). */
static void filter_type(json_t *index, const char *type)
{
    json_t *ms = json_object_get(index, "manifests");
    for (size_t i = json_array_size(ms); i-- > 0;) {
        const char *t = json_string_value(json_object_get(json_array_get(ms, i), "artifactType"));
        if (t == NULL || strcmp(t, type) != 0)
            json_array_remove(ms, i);
    }
}

/* An index answer: an object whose "manifests" are descriptors. */
static int check_index(struct reg_client *c, const struct reg_resp *r, json_t **out,
                       hull_error *err)
{
    json_t *j = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, NULL), *e;
    json_t *ms = json_object_get(j, "manifests");
    size_t i;

    if (!json_is_object(j) || !json_is_array(ms)) {
        json_decref(j);
        return hull_error_msg(err, EPROTO, "registry %s: referrers: not an image index", c->domain);
    }
    json_array_foreach (ms, i, e) {
        const char *d = json_string_value(json_object_get(e, "digest"));
        if (!json_is_string(json_object_get(e, "mediaType")) || d == NULL ||
            hull_image_digest_validate(d, NULL) < 0 ||
            !json_is_integer(json_object_get(e, "size"))) {
            json_decref(j);
            return hull_error_msg(err, EPROTO,
                                  "registry %s: referrers: manifests[%zu] is not "
                                  "a descriptor",
                                  c->domain, i);
        }
    }
    *out = j;
    return 0;
}

int hull_registry_referrers(const char *refstr, const char *artifact_type,
                            const struct hull_registry_opts *opts, json_t **out, hull_error *err)
{
    struct hull_image_ref *ref = NULL;
    struct reg_client *c = NULL;
    struct reg_resp r = {0};
    struct reg_req q;
    _cleanup_free_ char *familiar = NULL, *data = NULL, *mt = NULL, *url = NULL, *scope = NULL,
                        *tag = NULL;
    char digest[HULL_DIGEST_BUF];
    size_t len;
    int ret = -1;

    if (hull_image_ref_parse(refstr, &ref, err) < 0)
        return -1;
    familiar = short_name(ref);
    if (reg_client_new(ref->domain, opts, &c, err) < 0 || reg_ping(c, false, err) < 0)
        goto out;
    /* the subject's digest: given, or that of the manifest the tag names */
    if (reg_get_manifest(c, ref->path, ref->digest ? ref->digest : ref->tag, familiar, &data, &len,
                         &mt, digest, err) < 0)
        goto out;
    scope = reg_scope(ref->path, false);
    url = xasprintf("/v2/%s/referrers/%s", ref->path, digest);
    if (artifact_type) {
        _cleanup_free_ char *abs = reg_resolve(c, url);
        char *u = abs ? reg_url_add_query(abs, "artifactType", artifact_type) : NULL;
        if (u == NULL) {
            hull_error_msg(err, EINVAL, "referrers: bad artifact type");
            goto out;
        }
        free(url);
        url = u;
    }
    reg_req_init(&q, "GET", url);
    q.scope = scope;
    q.accept = HULL_MT_OCI_INDEX;
    q.max_body = HULL_IMAGE_MAX_MANIFEST;
    q.what = "referrers";
    if (reg_do(c, &q, &r, err) < 0)
        goto out;
    if (r.status == 404) {
        /* no referrers API: the tag schema "sha256-<hex>" */
        tag = xasprintf("sha256-%s", digest + 7);
        free(url);
        url = xasprintf("/v2/%s/manifests/%s", ref->path, tag);
        reg_req_init(&q, "GET", url);
        q.scope = scope;
        q.accept = HULL_MT_OCI_INDEX;
        q.max_body = HULL_IMAGE_MAX_MANIFEST;
        q.what = "referrers tag";
        if (reg_do(c, &q, &r, err) < 0)
            goto out;
        if (r.status == 404) {
            *out = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", HULL_MT_OCI_INDEX,
                             "manifests");
            ret = 0;
            goto out;
        }
    }
    if (r.status != 200) {
        reg_http_error(c, &r, "referrers", err);
        goto out;
    }
    if (check_index(c, &r, out, err) < 0)
        goto out;
    if (artifact_type)
        filter_type(*out, artifact_type);
    ret = 0;
out:
    reg_resp_clear(&r);
    reg_client_free(c);
    hull_image_ref_free(ref);
    return ret;
}
