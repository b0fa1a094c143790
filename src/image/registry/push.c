/* `hull push`: an image from the store to a registry.
 *
 * For each blob (config, layers): HEAD says whether the repository has it already;
 * if not, and another repository of the same registry holds it (the image has a
 * name there), a cross-repository mount is tried (POST ?mount=&from=, 201 =
 * mounted); otherwise it is uploaded: in one PUT when it is at most chunk_size
 * bytes, else in PATCH chunks with Content-Range. After a chunk fails, the upload
 * session's status (GET, "Range: 0-N") says where to resume, and the session's
 * latest Location is always used. The registry checks the digest on the final
 * PUT ?digest=; we check its Docker-Content-Digest answer.
 *
 * The manifest goes up byte for byte as stored, with its own media type, so the
 * digest the registry reports is the local one; when the image came from an index
 * whose every manifest and blob is in the store, the children go up by digest and
 * the index under the tag. Blobs are read from the store by validated digest only;
 * nothing from the registry ever names a local file. */
#include "internal.h"
#include "../../base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define DEFAULT_CHUNK   (32ull << 20)
#define UPLOAD_ATTEMPTS 3
#define CHUNK_FAILURES  5
#define MT_OCTET        "application/octet-stream"

struct push_ctx {
    struct reg_client *c;
    struct hull_image_store *s;
    const char *path;  /* destination repository */
    char *scope;       /* repository:<path>:pull,push */
    char **mount_from; /* other repositories of this registry holding the image */
    struct reg_progress *pr;
    uint64_t chunk;
};

/* "0-N" (inclusive end) -> N + 1 bytes held; "0-0" is read as nothing held (some
 * registries send it for an empty session). */
static uint64_t range_next(const char *range, uint64_t fallback)
{
    unsigned long long a, b;
    if (range == NULL)
        return fallback;
    if (hull_str_has_prefix(range, "bytes="))
        range += 6;
    if (sscanf(range, "%llu-%llu", &a, &b) != 2 || a != 0)
        return fallback;
    return b == 0 ? 0 : (uint64_t)b + 1;
}

static int blob_exists(struct push_ctx *p, const struct hull_image_descriptor *d, bool *yes,
                       hull_error *err)
{
    _cleanup_free_ char *url = xasprintf("/v2/%s/blobs/%s", p->path, d->digest);
    _cleanup_free_ char *what = xasprintf("blob %s", d->digest);
    struct reg_resp r = {0};
    struct reg_req q;
    int ret = -1;

    reg_req_init(&q, "HEAD", url);
    q.scope = p->scope;
    q.what = what;
    if (reg_do(p->c, &q, &r, err) < 0)
        goto out;
    if (r.status == 200) {
        *yes = true;
    } else if (r.status == 404) {
        *yes = false;
    } else {
        reg_http_error(p->c, &r, what, err);
        goto out;
    }
    ret = 0;
out:
    reg_resp_clear(&r);
    return ret;
}

/* POST .../blobs/uploads/ (optionally a mount): 1 = mounted, 0 = session in *loc. */
static int start_upload(struct push_ctx *p, const struct hull_image_descriptor *d, const char *from,
                        char **loc, hull_error *err)
{
    _cleanup_free_ char *url = NULL, *scope = NULL, *what = NULL;
    struct reg_resp r = {0};
    struct reg_req q;
    int ret = -1;

    if (from) {
        url = xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", p->path, d->digest, from);
        scope = xasprintf("%s repository:%s:pull", p->scope, from);
        what = xasprintf("mount of blob %s from %s", d->digest, from);
    } else {
        url = xasprintf("/v2/%s/blobs/uploads/", p->path);
        scope = xstrdup(p->scope);
        what = xasprintf("upload of blob %s", d->digest);
    }
    reg_req_init(&q, "POST", url);
    q.scope = scope;
    q.what = what;
    if (reg_do(p->c, &q, &r, err) < 0)
        goto out;
    if (from && r.status == 201) {
        ret = 1;
        goto out;
    }
    if (r.status != 202 || r.location == NULL) {
        reg_http_error(p->c, &r, what, err);
        goto out;
    }
    *loc = reg_resolve(p->c, r.location);
    if (*loc == NULL) {
        hull_error_msg(err, EPROTO, "registry %s: %s: bad Location", p->c->domain, what);
        goto out;
    }
    ret = 0;
out:
    reg_resp_clear(&r);
    return ret;
}

/* PUT <loc>?digest=D with `len` bytes of fd from `off` (0 = closing a chunked upload). */
static int finish_upload(struct push_ctx *p, const struct hull_image_descriptor *d, const char *loc,
                         int fd, uint64_t off, uint64_t len, bool *retry, hull_error *err)
{
    _cleanup_free_ char *url = reg_url_add_query(loc, "digest", d->digest);
    _cleanup_free_ char *what = xasprintf("upload of blob %s", d->digest);
    struct reg_resp r = {0};
    struct reg_req q;
    int ret = -1;

    *retry = false;
    if (url == NULL)
        return hull_error_msg(err, EPROTO, "registry %s: bad upload URL", p->c->domain);
    reg_req_init(&q, "PUT", url);
    q.scope = p->scope;
    q.what = what;
    q.content_type = MT_OCTET;
    q.body_fd = len ? fd : -1;
    q.body_off = off;
    q.body_len = len;
    q.no_retry = true; /* the session may be spent: retried from a new POST */
    if (reg_do(p->c, &q, &r, err) < 0) {
        *retry = err->errnum != EACCES && err->errnum != EPERM;
        goto out;
    }
    if (r.status != 201) {
        *retry = r.status >= 500 || r.status == 404 || r.status == 408 || r.status == 429;
        reg_http_error(p->c, &r, what, err);
        goto out;
    }
    if (r.digest && strcmp(r.digest, d->digest) != 0) {
        hull_error_msg(err, EIO, "registry %s: %s: it stored %.80s", p->c->domain, what, r.digest);
        goto out;
    }
    ret = 0;
out:
    reg_resp_clear(&r);
    return ret;
}

/* GET <loc>: where an interrupted upload stands. */
static int upload_status(struct push_ctx *p, char **loc, uint64_t *next, hull_error *err)
{
    struct reg_resp r = {0};
    struct reg_req q;
    int ret = -1;

    reg_req_init(&q, "GET", *loc);
    q.scope = p->scope;
    q.what = "upload status";
    if (reg_do(p->c, &q, &r, err) < 0)
        goto out;
    if (r.status != 204 && r.status != 200) {
        reg_http_error(p->c, &r, "upload status", err);
        goto out;
    }
    *next = range_next(r.range, 0);
    if (r.location) {
        char *l = reg_resolve(p->c, r.location);
        if (l) {
            free(*loc);
            *loc = l;
        }
    }
    ret = 0;
out:
    reg_resp_clear(&r);
    return ret;
}

/* PATCH chunks from 0 to size, resuming after failures; then the closing PUT. */
static int upload_chunked(struct push_ctx *p, const struct hull_image_descriptor *d, int fd,
                          char **loc, bool *retry, hull_error *err)
{
    uint64_t off = 0, size = (uint64_t)d->size;
    int failures = 0;

    while (off < size) {
        uint64_t n = size - off < p->chunk ? size - off : p->chunk;
        _cleanup_free_ char *cr =
            xasprintf("%llu-%llu", (unsigned long long)off, (unsigned long long)(off + n - 1));
        _cleanup_free_ char *what = xasprintf("chunk %s of blob %s", cr, d->digest);
        struct reg_resp r = {0};
        struct reg_req q;
        hull_error e = {0};
        bool ok;

        reg_req_init(&q, "PATCH", *loc);
        q.scope = p->scope;
        q.what = what;
        q.content_type = MT_OCTET;
        q.content_range = cr;
        q.body_fd = fd;
        q.body_off = off;
        q.body_len = n;
        q.no_retry = true; /* a half-sent chunk is resumed from the session's Range */
        q.fresh_connection = true;
        ok = reg_do(p->c, &q, &r, &e) == 0 && r.status == 202;
        if (ok) {
            uint64_t next = range_next(r.range, off + n);
            if (r.location) {
                char *l = reg_resolve(p->c, r.location);
                if (l) {
                    free(*loc);
                    *loc = l;
                }
            }
            reg_progress_add(p->pr, (int64_t)(next - off), 0);
            off = next;
            failures = 0;
            reg_resp_clear(&r);
            continue;
        }
        long status = e.msg ? 0 : r.status;
        if (e.msg == NULL)
            reg_http_error(p->c, &r, what, &e);
        reg_resp_clear(&r);
        if (status == 404) {
            /* the session is unknown or invalid now (distribution binds its state to
             * the offset, so a chunk whose answer was lost voids the URL): restart */
            hull_error_msg(err, e.errnum, "%s", e.msg);
            hull_error_clear(&e);
            *retry = true;
            return -1;
        }
        if (e.errnum == EACCES || e.errnum == EPERM || ++failures > CHUNK_FAILURES ||
            (status >= 400 && status < 500 && status != 408 && status != 416 && status != 429)) {
            hull_error_msg(err, e.errnum, "%s", e.msg);
            hull_error_clear(&e);
            *retry = false;
            return -1;
        }
        reg_notice(p->c->opts, "%s; resuming", e.msg);
        hull_error_clear(&e);
        {
            uint64_t next = 0;
            if (upload_status(p, loc, &next, err) < 0) {
                *retry = true; /* the session is gone: start again */
                return -1;
            }
            if (next > size) {
                *retry = true;
                return hull_error_msg(err, EPROTO,
                                      "registry %s: upload of %s: the session "
                                      "holds more bytes than the blob",
                                      p->c->domain, d->digest);
            }
            reg_progress_add(p->pr, (int64_t)next - (int64_t)off, 0);
            off = next;
        }
    }
    return finish_upload(p, d, *loc, fd, 0, 0, retry, err);
}

static int push_blob(struct push_ctx *p, const struct hull_image_descriptor *d, hull_error *err)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *loc = NULL;
    int64_t size;
    bool yes = false;

    if (blob_exists(p, d, &yes, err) < 0)
        return -1;
    if (yes) {
        reg_notice(p->c->opts, "Blob %s already exists", d->digest);
        reg_progress_add(p->pr, d->size, 1);
        return 0;
    }
    for (char **from = p->mount_from; from && *from && loc == NULL; from++) {
        int r = start_upload(p, d, *from, &loc, err);
        if (r < 0)
            return -1;
        if (r == 1) {
            reg_notice(p->c->opts, "Mounted blob %s from %s", d->digest, *from);
            reg_progress_add(p->pr, d->size, 1);
            return 0;
        }
        /* 202: not mounted; the answer is an upload session we use below */
    }
    fd = hull_image_blob_open(p->s, d->digest, &size, err);
    if (fd < 0)
        return -1;
    if (size != d->size)
        return hull_error_msg(err, EIO, "blob %s: %lld bytes in the store, the manifest says %lld",
                              d->digest, (long long)size, (long long)d->size);
    reg_notice(p->c->opts, "Copying blob %s", d->digest);
    for (int attempt = 0;; attempt++) {
        bool retry = false;
        int r;
        if (loc == NULL && start_upload(p, d, NULL, &loc, err) < 0)
            return -1;
        if ((uint64_t)size <= p->chunk) {
            r = finish_upload(p, d, loc, fd, 0, (uint64_t)size, &retry, err);
            if (r == 0)
                reg_progress_add(p->pr, size, 0);
        } else {
            r = upload_chunked(p, d, fd, &loc, &retry, err);
        }
        if (r == 0)
            break;
        if (!retry || attempt + 1 >= UPLOAD_ATTEMPTS)
            return -1;
        reg_notice(p->c->opts, "%s; starting the upload again", err->msg);
        hull_error_clear(err);
        free(loc);
        loc = NULL;
    }
    reg_progress_add(p->pr, 0, 1);
    return 0;
}

static int put_manifest(struct push_ctx *p, const char *reference, const char *data, size_t len,
                        const char *media_type, const char *digest, hull_error *err)
{
    _cleanup_free_ char *url = xasprintf("/v2/%s/manifests/%s", p->path, reference);
    _cleanup_free_ char *what = xasprintf("manifest %s:%s", p->path, reference);
    struct reg_resp r = {0};
    struct reg_req q;
    int ret = -1;

    reg_req_init(&q, "PUT", url);
    q.scope = p->scope;
    q.what = what;
    q.content_type = media_type;
    q.body = data;
    q.body_len = len;
    if (reg_do(p->c, &q, &r, err) < 0)
        goto out;
    if (r.status != 201 && r.status != 200) {
        reg_http_error(p->c, &r, what, err);
        goto out;
    }
    if (r.digest && strcmp(r.digest, digest) != 0) {
        hull_error_msg(err, EIO, "registry %s: %s: stored as %.80s, not %s", p->c->domain, what,
                       r.digest, digest);
        goto out;
    }
    ret = 0;
out:
    reg_resp_clear(&r);
    return ret;
}

/* Push the blobs of manifest `m`, then the manifest (stored bytes) under `reference`. */
static int push_manifest(struct push_ctx *p, const char *mdigest, const char *reference,
                         hull_error *err)
{
    _cleanup_free_ char *data = NULL;
    struct hull_image_manifest *m = NULL;
    size_t len;
    int r = -1;

    if (hull_image_blob_read(p->s, mdigest, HULL_IMAGE_MAX_MANIFEST, &data, &len, err) < 0 ||
        hull_image_manifest_parse(data, len, NULL, &m, err) < 0)
        return -1;
    for (size_t i = 0; i <= m->n_layers; i++) {
        const struct hull_image_descriptor *d = i == 0 ? &m->config : &m->layers[i - 1];
        /* non-distributable layers stay where their URLs say */
        if (strstr(d->media_type, "nondistributable"))
            continue;
        if (push_blob(p, d, err) < 0)
            goto out;
    }
    r = put_manifest(p, reference, data, len, m->source_media_type, mdigest, err);
out:
    hull_image_manifest_free(m);
    return r;
}

int hull_registry_push(struct hull_image_store *s, const char *src, const char *dst,
                       const struct hull_registry_opts *opts, char out[HULL_DIGEST_BUF],
                       hull_error *err)
{
    struct hull_image *img = NULL;
    struct hull_image_ref *ref = NULL;
    struct hull_image_index *ix = NULL;
    struct push_ctx p = {0};
    struct reg_progress pr;
    _cleanup_free_ char *idata = NULL, *imt = NULL;
    char idigest[HULL_DIGEST_BUF] = "";
    const char *reference;
    size_t ilen = 0;
    uint64_t total = 0;
    int r = -1;

    if (hull_image_lookup(s, src, &img, err) < 0)
        return -1;
    if (hull_image_ref_parse(dst ? dst : src, &ref, err) < 0) {
        if (dst == NULL)
            hull_error_prefix(err, "push %s: give a destination reference", src);
        goto out;
    }
    if (ref->digest && strcmp(ref->digest, img->digest) != 0) {
        hull_error_msg(err, EINVAL, "push %s: the image's digest is %s, not %s", src, img->digest,
                       ref->digest);
        goto out;
    }
    reference = ref->tag ? ref->tag : img->digest;
    p.s = s;
    p.path = ref->path;
    p.scope = reg_scope(ref->path, true);
    p.chunk = opts->chunk_size ? opts->chunk_size : DEFAULT_CHUNK;
    for (char **n = img->names; n && *n; n++) {
        struct hull_image_ref *o = NULL;
        if (hull_image_ref_parse(*n, &o, NULL) == 0 && strcmp(o->domain, ref->domain) == 0 &&
            strcmp(o->path, ref->path) != 0)
            strv_push(&p.mount_from, xstrdup(o->path));
        hull_image_ref_free(o);
    }
    total = (uint64_t)img->manifest->config.size;
    for (size_t i = 0; i < img->manifest->n_layers; i++)
        total += (uint64_t)img->manifest->layers[i].size;
    reg_progress_init(&pr, opts, "push", total, img->manifest->n_layers + 1);
    p.pr = &pr;
    if (reg_client_new(ref->domain, opts, &p.c, err) < 0 || reg_ping(p.c, false, err) < 0)
        goto out_pr;
    if (ref->tag && image_full_index(s, img->digest, &idata, &ilen, &imt, idigest, &ix)) {
        for (size_t i = 0; i < ix->n_manifests; i++)
            if (push_manifest(&p, ix->manifests[i].digest, ix->manifests[i].digest, err) < 0)
                goto fail;
        if (put_manifest(&p, reference, idata, ilen, imt, idigest, err) < 0)
            goto fail;
    } else if (push_manifest(&p, img->digest, reference, err) < 0) {
        goto fail;
    }
    if (out)
        memcpy(out, idigest[0] ? idigest : img->digest, HULL_DIGEST_BUF);
    r = 0;
    goto out_pr;
fail:
    hull_error_prefix(err, "push %s", dst ? dst : src);
out_pr:
    reg_progress_destroy(&pr);
out:
    reg_client_free(p.c);
    hull_strv_free(p.mount_from);
    free(p.scope);
    hull_image_index_free(ix);
    hull_image_ref_free(ref);
    hull_image_free(img);
    return r;
}
