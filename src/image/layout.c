/* `hull load`: OCI image layouts (a directory or a tar of one) and `docker save`
 * archives (manifest.json + config + layer tars; docker >= 25 writes both formats
 * in one archive, and the OCI index is preferred then).
 *
 * An archive is first extracted into a private staging dir under images/tmp with
 * the layer unpacker (so its entries get the same no-escape treatment), then read
 * as a directory. Every path read from a layout document (docker's "Config" and
 * "Layers", and blob paths) is opened with openat2(RESOLVE_IN_ROOT) relative to the
 * layout dir, so "../../etc/shadow" or a symlink planted in the archive cannot make
 * us read a host file into the store. Blobs are copied with their digest and size
 * verified; images are recorded only after all their layers unpacked. */
#include "internal.h"
#include "../base/fs.h"
#include "../base/json.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANN_REF_NAME        "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD_NAME "io.containerd.image.name"

static int open_in(int dirfd, const char *path, const char *what, hull_error *err)
{
    int fd = hull_openat_in_root(dirfd, path, O_RDONLY, 0);
    if (fd < 0)
        return hull_error_set(err, errno, "%s: open %.200s", what, path);
    return fd;
}

static int read_in(int dirfd, const char *path, size_t max, const char *what, char **out,
                   size_t *len, hull_error *err)
{
    _cleanup_close_ int fd = open_in(dirfd, path, what, err);
    if (fd < 0)
        return -1;
    if (hull_read_fd(fd, max, out, len, err) < 0)
        return hull_error_prefix(err, "%s: %.200s", what, path);
    return 0;
}

static char *blob_path(const char *digest)
{
    return xasprintf("blobs/sha256/%s", digest_hex(digest));
}

/* Copy one blob of an OCI layout into the store, checking digest and size. */
static int copy_blob(struct hull_image_store *s, int dirfd, const char *digest, int64_t size,
                     const char *what, hull_error *err)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int fd = -1;

    if (hull_image_digest_validate(digest, err) < 0)
        return -1;
    if (hull_image_blob_exists(s, digest))
        return 0;
    path = blob_path(digest);
    fd = open_in(dirfd, path, what, err);
    if (fd < 0)
        return -1;
    return hull_image_blob_put_fd(s, fd, digest, size, NULL, err);
}

/* Read a small blob of the layout (manifest, index), verified. */
static int read_blob(int dirfd, const struct hull_image_descriptor *d, const char *what, char **out,
                     size_t *len, hull_error *err)
{
    _cleanup_free_ char *path = blob_path(d->digest);
    char got[HULL_DIGEST_BUF];

    if (d->size > (int64_t)HULL_IMAGE_MAX_MANIFEST)
        return hull_error_msg(err, EFBIG, "%s: %s is %lld bytes, too large for a manifest", what,
                              d->digest, (long long)d->size);
    if (read_in(dirfd, path, HULL_IMAGE_MAX_MANIFEST, what, out, len, err) < 0)
        return -1;
    hull_image_digest_bytes(*out, *len, got);
    if (strcmp(got, d->digest) != 0 || (int64_t)*len != d->size) {
        free(*out);
        *out = NULL;
        return hull_error_msg(err, EIO,
                              "%s: blob %s: content digest %s, %zu bytes (expected "
                              "%lld)",
                              what, d->digest, got, *len, (long long)d->size);
    }
    return 0;
}

static int load_manifest(struct hull_image_store *s, int dirfd,
                         const struct hull_image_descriptor *d, int depth, const char *what,
                         char out[HULL_DIGEST_BUF], char index_out[HULL_DIGEST_BUF],
                         hull_error *err);

/* The other platforms of an index whose manifests, configs and layers the layout
 * holds, so that the index can be saved or pushed whole again. True when every
 * entry of the index is in the store afterwards. */
static bool load_other_platforms(struct hull_image_store *s, int dirfd,
                                 const struct hull_image_index *ix,
                                 const struct hull_image_descriptor *pick, int depth,
                                 const char *what)
{
    bool all = true;
    for (size_t i = 0; i < ix->n_manifests; i++) {
        const struct hull_image_descriptor *c = &ix->manifests[i];
        char got[HULL_DIGEST_BUF], ignored[HULL_DIGEST_BUF] = "";
        hull_error e = {0};
        if (c == pick || (strcmp(c->media_type, HULL_MT_OCI_MANIFEST) != 0 &&
                          strcmp(c->media_type, HULL_MT_DOCKER_MANIFEST) != 0)) {
            all = all && c == pick;
            continue;
        }
        if (load_manifest(s, dirfd, c, depth + 1, what, got, ignored, &e) < 0) {
            /* a layout of one platform may list the others without their blobs */
            hull_error_clear(&e);
            all = false;
        }
    }
    return all;
}

/* Store the image a descriptor names (picking the platform from an index) and put
 * its manifest digest in `out`. When it came through an index whose every platform
 * the layout holds, all of them are stored and index_out gets the index digest
 * (else it is left alone). */
static int load_manifest(struct hull_image_store *s, int dirfd,
                         const struct hull_image_descriptor *d, int depth, const char *what,
                         char out[HULL_DIGEST_BUF], char index_out[HULL_DIGEST_BUF],
                         hull_error *err)
{
    _cleanup_free_ char *data = NULL, *converted = NULL;
    struct hull_image_manifest *m = NULL;
    enum hull_image_doc_kind kind;
    size_t len;
    int r = -1;

    if (read_blob(dirfd, d, what, &data, &len, err) < 0)
        return -1;
    if (hull_image_doc_kind(data, len, d->media_type, &kind, err) < 0)
        return hull_error_prefix(err, "%s: %s", what, d->digest);
    if (kind == HULL_DOC_INDEX) {
        struct hull_image_index *ix = NULL;
        struct hull_image_platform want = {0};
        const struct hull_image_descriptor *pick;
        if (depth > 2)
            return hull_error_msg(err, ELOOP, "%s: indexes nested too deep", what);
        if (hull_image_index_parse(data, len, d->media_type, &ix, err) < 0 ||
            hull_image_platform_parse(s->platform, &want, err) < 0 ||
            hull_image_index_select(ix, &want, &pick, err) < 0)
            r = -1;
        else
            r = load_manifest(s, dirfd, pick, depth + 1, what, out, index_out, err);
        if (r == 0 && load_other_platforms(s, dirfd, ix, pick, depth, what) &&
            hull_image_blob_put_mem(s, data, len, d->digest, NULL, NULL) == 0)
            snprintf(index_out, HULL_DIGEST_BUF, "%s", d->digest);
        hull_image_platform_clear(&want);
        hull_image_index_free(ix);
        return r < 0 ? hull_error_prefix(err, "%s", what) : 0;
    }
    if (hull_image_manifest_parse(data, len, d->media_type, &m, err) < 0)
        return hull_error_prefix(err, "%s: %s", what, d->digest);
    if (copy_blob(s, dirfd, m->config.digest, m->config.size, what, err) < 0)
        goto out;
    for (size_t i = 0; i < m->n_layers; i++)
        if (copy_blob(s, dirfd, m->layers[i].digest, m->layers[i].size, what, err) < 0)
            goto out;
    /* Docker schema2 is stored converted (its config and layers keep their digests). */
    if (strcmp(m->source_media_type, HULL_MT_OCI_MANIFEST) != 0) {
        converted = hull_image_manifest_to_json(m);
        r = store_put_json(s, converted, out, err);
        /* an index names it by its original bytes: keep those too */
        if (r == 0 && depth > 0)
            r = hull_image_blob_put_mem(s, data, len, d->digest, NULL, err);
    } else {
        r = hull_image_blob_put_mem(s, data, len, d->digest, out, err);
    }
out:
    hull_image_manifest_free(m);
    return r;
}

/* The name a layout's index entry carries: containerd/docker's full name, else the
 * OCI ref.name when it is a whole reference (a bare "latest" names no repository). */
static int entry_name(const struct hull_image_descriptor *d, char **out, hull_error *err)
{
    json_t *a = d->annotations;
    const char *n = a ? json_string_value(json_object_get(a, ANN_CONTAINERD_NAME)) : NULL;
    if (n == NULL) {
        n = a ? json_string_value(json_object_get(a, ANN_REF_NAME)) : NULL;
        if (n && !strchr(n, ':') && !strchr(n, '/'))
            n = NULL;
    }
    *out = NULL;
    if (n == NULL)
        return 0;
    if (image_normalize_name(n, out, err) < 0)
        return hull_error_prefix(err, "image name in the layout");
    if (strchr(*out, '@')) { /* a digest reference names nothing new */
        free(*out);
        *out = NULL;
    }
    return 0;
}

static void report(struct hull_image_store *s, char ***loaded, const char *digest, char **names)
{
    struct hull_image *img = NULL;
    if (loaded == NULL)
        return;
    for (char **n = names; n && *n; n++) {
        struct hull_image_ref *ref = NULL;
        if (hull_image_ref_parse(*n, &ref, NULL) == 0) {
            _cleanup_free_ char *f = hull_image_ref_familiar(ref);
            strv_push(loaded, xasprintf("Loaded image: %s", f));
        }
        hull_image_ref_free(ref);
    }
    if ((names == NULL || *names == NULL) && image_open_digest(s, digest, NULL, &img, NULL) == 0)
        strv_push(loaded, xasprintf("Loaded image ID: %s", img->id));
    hull_image_free(img);
}

static int load_oci(struct hull_image_store *s, int dirfd, const char *what, char ***loaded,
                    hull_error *err)
{
    _cleanup_free_ char *layout = NULL, *index = NULL, *version = NULL;
    struct hull_image_index *ix = NULL;
    json_t *lj;
    size_t len;
    int r = -1;

    if (read_in(dirfd, "oci-layout", 4096, what, &layout, &len, err) < 0)
        return -1;
    lj = json_loadb(layout, len, 0, NULL);
    if (hull_json_string(lj, "oci-layout", "imageLayoutVersion", true, &version, err) < 0 ||
        !hull_str_has_prefix(version, "1.")) {
        json_decref(lj);
        if (version)
            hull_error_msg(err, ENOTSUP, "unsupported layout version %.20s", version);
        return hull_error_prefix(err, "%s", what);
    }
    json_decref(lj);
    if (read_in(dirfd, "index.json", HULL_IMAGE_MAX_MANIFEST, what, &index, &len, err) < 0)
        return -1;
    if (hull_image_index_parse(index, len, HULL_MT_OCI_INDEX, &ix, err) < 0)
        return hull_error_prefix(err, "%s: index.json", what);
    if (ix->n_manifests == 0) {
        hull_error_msg(err, ENOENT, "%s: the layout holds no image", what);
        goto out;
    }
    for (size_t i = 0; i < ix->n_manifests; i++) {
        const struct hull_image_descriptor *d = &ix->manifests[i];
        _cleanup_free_ char *name = NULL;
        char digest[HULL_DIGEST_BUF], via_index[HULL_DIGEST_BUF] = "";
        char *names[2] = {NULL, NULL};
        if (strcmp(d->media_type, HULL_MT_OCI_MANIFEST) != 0 &&
            strcmp(d->media_type, HULL_MT_OCI_INDEX) != 0 &&
            strcmp(d->media_type, HULL_MT_DOCKER_MANIFEST) != 0 &&
            strcmp(d->media_type, HULL_MT_DOCKER_LIST) != 0) {
            image_warn(s, "%s: skipping index entry %zu (%s is not an image)", what, i,
                       d->media_type);
            continue;
        }
        if (entry_name(d, &name, err) < 0 ||
            load_manifest(s, dirfd, d, 0, what, digest, via_index, err) < 0)
            goto out;
        names[0] = name;
        if (image_commit(s, digest, names, err) < 0 ||
            (via_index[0] && refs_set_index(s, digest, via_index, err) < 0))
            goto out;
        report(s, loaded, digest, names);
    }
    r = 0;
out:
    hull_image_index_free(ix);
    return r;
}

/* One entry of docker's manifest.json. */
static int load_docker_one(struct hull_image_store *s, int dirfd, json_t *e, size_t idx,
                           const char *what, char ***loaded, hull_error *err)
{
    _cleanup_free_ char *cfg_path = NULL, *cfg = NULL, *mtext = NULL;
    _cleanup_strv_ char **tags = NULL, **layer_paths = NULL, **names = NULL;
    struct hull_image_config *config = NULL;
    struct hull_image_manifest m = {0};
    char cfg_digest[HULL_DIGEST_BUF], mdigest[HULL_DIGEST_BUF];
    char(*digests)[HULL_DIGEST_BUF] = NULL;
    char path[48];
    size_t n, clen;
    int r = -1;

    snprintf(path, sizeof(path), "manifest.json[%zu]", idx);
    if (!json_is_object(e))
        return hull_error_msg(err, EINVAL, "%s: %s: expected an object", what, path);
    if (hull_json_string(e, path, "Config", true, &cfg_path, err) < 0 ||
        hull_json_strv(e, path, "RepoTags", &tags, err) < 0 ||
        hull_json_strv(e, path, "Layers", &layer_paths, err) < 0)
        return hull_error_prefix(err, "%s", what);
    n = hull_strv_len(layer_paths);
    if (n > HULL_IMAGE_MAX_LAYERS)
        return hull_error_msg(err, E2BIG, "%s: %s: too many layers", what, path);
    for (char **t = tags; t && *t; t++) {
        char *full = NULL;
        if (image_normalize_name(*t, &full, err) < 0)
            return hull_error_prefix(err, "%s: %s.RepoTags", what, path);
        strv_push(&names, full);
    }
    if (read_in(dirfd, cfg_path, HULL_IMAGE_MAX_CONFIG, what, &cfg, &clen, err) < 0 ||
        hull_image_config_parse(cfg, clen, &config, err) < 0)
        return hull_error_prefix(err, "%s", what);
    if (config->n_diff_ids != n) {
        hull_error_msg(err, EINVAL, "%s: %s: %zu layers but the config lists %zu diff_ids", what,
                       path, n, config->n_diff_ids);
        goto out;
    }
    if (hull_image_blob_put_mem(s, cfg, clen, NULL, cfg_digest, err) < 0)
        goto out;
    m.config.media_type = (char *)HULL_MT_OCI_CONFIG;
    m.config.digest = cfg_digest;
    m.config.size = (int64_t)clen;
    m.layers = xmalloc0((n + 1) * sizeof(*m.layers));
    m.n_layers = n;
    digests = xmalloc0((n + 1) * HULL_DIGEST_BUF);
    for (size_t i = 0; i < n; i++) {
        _cleanup_close_ int fd = open_in(dirfd, layer_paths[i], what, err), blob = -1;
        int64_t size;
        if (fd < 0 || hull_image_blob_put_fd(s, fd, NULL, -1, digests[i], err) < 0)
            goto out;
        blob = hull_image_blob_open(s, digests[i], &size, err);
        if (blob < 0)
            goto out;
        /* docker writes plain tars; newer ones may hold compressed blobs */
        m.layers[i].media_type = (char *)unpack_sniff_media_type(blob);
        m.layers[i].digest = digests[i];
        m.layers[i].size = size;
    }
    mtext = hull_image_manifest_to_json(&m);
    if (store_put_json(s, mtext, mdigest, err) < 0 || image_commit(s, mdigest, names, err) < 0)
        goto out;
    report(s, loaded, mdigest, names);
    r = 0;
out:
    hull_image_config_free(config);
    free(m.layers);
    free(digests);
    return r;
}

static int load_docker(struct hull_image_store *s, int dirfd, const char *what, char ***loaded,
                       hull_error *err)
{
    _cleanup_free_ char *data = NULL;
    json_error_t jerr;
    json_t *root, *e;
    size_t len, i;
    int r = 0;

    if (read_in(dirfd, "manifest.json", HULL_IMAGE_MAX_MANIFEST, what, &data, &len, err) < 0)
        return -1;
    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_array(root) || json_array_size(root) == 0) {
        json_decref(root);
        return hull_error_msg(err, EINVAL, "%s: manifest.json: expected a non-empty array%s%s",
                              what, root ? "" : ": ", root ? "" : jerr.text);
    }
    json_array_foreach (root, i, e) {
        if ((r = load_docker_one(s, dirfd, e, i, what, loaded, err)) < 0)
            break;
    }
    json_decref(root);
    return r;
}

int layout_load_dir(struct hull_image_store *s, int dirfd, const char *what, char ***loaded,
                    hull_error *err)
{
    struct stat st;
    if (fstatat(dirfd, "index.json", &st, 0) == 0 && fstatat(dirfd, "oci-layout", &st, 0) == 0)
        return load_oci(s, dirfd, what, loaded, err);
    if (fstatat(dirfd, "manifest.json", &st, 0) == 0)
        return load_docker(s, dirfd, what, loaded, err);
    return hull_error_msg(err, EINVAL,
                          "%s: neither an OCI layout (oci-layout, index.json) nor a "
                          "docker save archive (manifest.json)",
                          what);
}

int hull_image_load(struct hull_image_store *s, const char *path, char ***loaded, hull_error *err)
{
    _cleanup_close_ int gc = -1, fd = -1, stage = -1, tmpfd = -1;
    _cleanup_free_ char *staging = NULL;
    struct hull_image_unpack_opts opts;
    hull_error rm_err = {0};
    struct stat st;
    int r = -1;

    gc = store_lock(s, "gc", LOCK_SH, err);
    if (gc < 0)
        return -1;
    if (strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
            return hull_error_set(err, errno, "load %s", path);
        if (S_ISDIR(st.st_mode))
            return layout_load_dir(s, fd, path, loaded, err);
    }
    /* An archive: extract it with the layer unpacker's defenses (no escapes, no
     * devices, no setuid, no xattrs, whiteout names kept as plain files). */
    staging = xasprintf("%s/load-%d-XXXXXX", s->tmp_dir, getpid());
    if (mkdtemp(staging) == NULL)
        return hull_error_set(err, errno, "load: create %s", staging);
    stage = open(staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (stage < 0) {
        hull_error_set(err, errno, "open %s", staging);
        goto out;
    }
    opts = s->unpack;
    opts.flags = HULL_UNPACK_NO_WHITEOUTS | HULL_UNPACK_NO_XATTRS | HULL_UNPACK_NO_CHOWN;
    opts.warn = NULL;
    if (hull_image_unpack_fd(fd >= 0 ? fd : STDIN_FILENO, stage, &opts, NULL, err) < 0) {
        hull_error_prefix(err, "load %s: archive", path);
        goto out;
    }
    r = layout_load_dir(s, stage, strcmp(path, "-") == 0 ? "stdin" : path, loaded, err);
out:
    (void)tmpfd;
    fs_rm_at(AT_FDCWD, staging, &rm_err);
    hull_error_clear(&rm_err);
    return r;
}
