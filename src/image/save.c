/* `hull save`: images out as an OCI image layout, either a directory or a tar
 * archive. The archive also carries docker's manifest.json (pointing at the same
 * blobs, as docker >= 25 writes it), so `docker load` and `podman load` read it.
 *
 * Reproducible: entries in sorted order, mtime 0, uid/gid 0, fixed modes, and the
 * index lists images in the order they were named; saving the same images twice
 * gives identical bytes. The archive is written to a temp file renamed into place,
 * so a failed save never leaves a truncated archive under the requested name. */
#include "internal.h"
#include "../base/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OCI_LAYOUT "{\"imageLayoutVersion\":\"1.0.0\"}"
#define COPY_BUF   (256u << 10)

struct save {
    struct hull_image_store *s;
    json_t *index, *docker;
    char **blobs; /* digests, unique, sorted at the end */
};

static void add_blob(struct save *sv, const char *digest)
{
    for (char **b = sv->blobs; b && *b; b++)
        if (strcmp(*b, digest) == 0)
            return;
    strv_push(&sv->blobs, xstrdup(digest));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A manifest of the index and what it lists. Nondistributable layers that are not
 * here stay out, as in a push. */
static int add_index_child(struct save *sv, const char *digest, hull_error *err)
{
    _cleanup_free_ char *data = NULL;
    struct hull_image_manifest *m = NULL;
    size_t len;

    if (hull_image_blob_read(sv->s, digest, HULL_IMAGE_MAX_MANIFEST, &data, &len, err) < 0 ||
        hull_image_manifest_parse(data, len, NULL, &m, err) < 0)
        return -1;
    add_blob(sv, digest);
    add_blob(sv, m->config.digest);
    for (size_t i = 0; i < m->n_layers; i++)
        if (hull_image_blob_exists(sv->s, m->layers[i].digest))
            add_blob(sv, m->layers[i].digest);
    hull_image_manifest_free(m);
    return 0;
}

/* The image's index entry: the whole multi-platform index it was pulled through
 * when every platform is here (pull --all-platforms, or a load of such a layout),
 * else its own manifest. */
static int add_index_entry(struct save *sv, const struct hull_image *img, json_t *ann,
                           hull_error *err)
{
    _cleanup_free_ char *idata = NULL, *imt = NULL;
    struct hull_image_index *ix = NULL;
    char idigest[HULL_DIGEST_BUF];
    size_t ilen = 0;
    int64_t msize;
    json_t *d;
    int fd;

    if (image_full_index(sv->s, img->digest, &idata, &ilen, &imt, idigest, &ix)) {
        d = json_pack("{s:s, s:s, s:I}", "mediaType", imt, "digest", idigest, "size",
                      (json_int_t)ilen);
        add_blob(sv, idigest);
        for (size_t i = 0; i < ix->n_manifests; i++)
            if (add_index_child(sv, ix->manifests[i].digest, err) < 0) {
                json_decref(d);
                json_decref(ann);
                hull_image_index_free(ix);
                return -1;
            }
        hull_image_index_free(ix);
    } else {
        fd = hull_image_blob_open(sv->s, img->digest, &msize, err);
        if (fd < 0) {
            json_decref(ann);
            return -1;
        }
        close(fd);
        d = json_pack("{s:s, s:s, s:I}", "mediaType", HULL_MT_OCI_MANIFEST, "digest", img->digest,
                      "size", (json_int_t)msize);
    }
    if (ann)
        json_object_set_new(d, "annotations", ann);
    json_array_append_new(json_object_get(sv->index, "manifests"), d);
    return 0;
}

static int add_image(struct save *sv, const char *name, hull_error *err)
{
    struct hull_image *img = NULL;
    _cleanup_free_ char *full = NULL, *familiar = NULL;
    struct hull_image_ref *ref = NULL;
    json_t *ann = NULL, *layers = json_array(), *tags = json_array();

    if (hull_image_lookup(sv->s, name, &img, err) < 0) {
        json_decref(layers);
        json_decref(tags);
        return -1;
    }
    /* A name given as a reference is what the archive calls the image; an ID or
     * digest gives an unnamed entry. */
    if (image_normalize_name(name, &full, NULL) == 0 && strchr(full, '@') == NULL) {
        for (char **n = img->names; n && *n; n++)
            if (strcmp(*n, full) == 0 && hull_image_ref_parse(full, &ref, NULL) == 0) {
                familiar = hull_image_ref_familiar(ref);
                ann = json_pack("{s:s, s:s}", "io.containerd.image.name", full,
                                "org.opencontainers.image.ref.name", ref->tag);
                json_array_append_new(tags, json_string(familiar));
                hull_image_ref_free(ref);
                break;
            }
    }
    if (add_index_entry(sv, img, ann, err) < 0) {
        json_decref(layers);
        json_decref(tags);
        hull_image_free(img);
        return -1;
    }
    add_blob(sv, img->digest);
    add_blob(sv, img->id);
    for (size_t i = 0; i < img->manifest->n_layers; i++) {
        _cleanup_free_ char *p =
            xasprintf("blobs/sha256/%s", digest_hex(img->manifest->layers[i].digest));
        add_blob(sv, img->manifest->layers[i].digest);
        json_array_append_new(layers, json_string(p));
    }
    {
        _cleanup_free_ char *cp = xasprintf("blobs/sha256/%s", digest_hex(img->id));
        json_array_append_new(sv->docker, json_pack("{s:s, s:o, s:o}", "Config", cp, "RepoTags",
                                                    tags, "Layers", layers));
    }
    hull_image_free(img);
    return 0;
}

/* ---- directory ------------------------------------------------------------------------ */

static int copy_blob_file(struct save *sv, const char *digest, int dstdir, hull_error *err)
{
    _cleanup_close_ int in = hull_image_blob_open(sv->s, digest, NULL, err), out = -1;
    _cleanup_free_ char *buf = NULL;
    struct stat st;

    if (in < 0)
        return -1;
    if (fstatat(dstdir, digest_hex(digest), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
        return 0; /* content-addressed: an existing file of that name is that blob */
    out = openat(dstdir, digest_hex(digest), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                 0644);
    if (out < 0)
        return hull_error_set(err, errno, "create blob %s", digest);
    buf = xmalloc0(COPY_BUF);
    for (;;) {
        ssize_t n = read(in, buf, COPY_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hull_error_set(err, errno, "read blob %s", digest);
        if (n == 0)
            break;
        if (hull_write_all(out, buf, (size_t)n) < 0)
            return hull_error_set(err, errno, "write blob %s", digest);
    }
    if (fsync(out) < 0)
        return hull_error_set(err, errno, "sync blob %s", digest);
    return 0;
}

static int write_json_file(const char *dir, const char *name, json_t *o, hull_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    return hull_write_file_atomic(path, text, strlen(text), 0644, err);
}

static int save_dir(struct save *sv, const char *path, hull_error *err)
{
    _cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", path);
    _cleanup_free_ char *layout = xasprintf("%s/oci-layout", path);
    _cleanup_close_ int dfd = -1;

    if (hull_mkdir_p(blobs, 0755, err) < 0)
        return -1;
    dfd = open(blobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return hull_error_set(err, errno, "open %s", blobs);
    for (char **b = sv->blobs; b && *b; b++)
        if (copy_blob_file(sv, *b, dfd, err) < 0)
            return -1;
    /* index.json last: a reader never sees an index naming missing blobs */
    if (hull_write_file_atomic(layout, OCI_LAYOUT, strlen(OCI_LAYOUT), 0644, err) < 0 ||
        write_json_file(path, "manifest.json", sv->docker, err) < 0 ||
        write_json_file(path, "index.json", sv->index, err) < 0)
        return -1;
    return 0;
}

/* ---- archive -------------------------------------------------------------------------- */

static int tar_header(struct archive *a, const char *name, mode_t mode, int64_t size,
                      hull_error *err)
{
    struct archive_entry *e = archive_entry_new();
    int r = 0;
    archive_entry_set_pathname(e, name);
    archive_entry_set_mode(e, mode);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    if (archive_write_header(a, e) != ARCHIVE_OK)
        r = hull_error_msg(err, EIO, "write archive entry %s: %s", name, archive_error_string(a));
    archive_entry_free(e);
    return r;
}

static int tar_bytes(struct archive *a, const char *name, const char *data, hull_error *err)
{
    size_t len = strlen(data);
    if (tar_header(a, name, S_IFREG | 0644, (int64_t)len, err) < 0)
        return -1;
    if (archive_write_data(a, data, len) != (la_ssize_t)len)
        return hull_error_msg(err, EIO, "write archive entry %s: %s", name,
                              archive_error_string(a));
    return 0;
}

static int tar_blob(struct save *sv, struct archive *a, const char *digest, char *buf,
                    hull_error *err)
{
    _cleanup_free_ char *name = xasprintf("blobs/sha256/%s", digest_hex(digest));
    _cleanup_close_ int fd = -1;
    int64_t size, done = 0;

    fd = hull_image_blob_open(sv->s, digest, &size, err);
    if (fd < 0 || tar_header(a, name, S_IFREG | 0644, size, err) < 0)
        return -1;
    while (done < size) {
        ssize_t n = read(fd, buf, COPY_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return hull_error_set(err, n < 0 ? errno : EIO, "read blob %s", digest);
        if (n > size - done)
            n = (ssize_t)(size - done);
        if (archive_write_data(a, buf, (size_t)n) != n)
            return hull_error_msg(err, EIO, "write %s: %s", name, archive_error_string(a));
        done += n;
    }
    return 0;
}

static int save_archive(struct save *sv, const char *path, hull_error *err)
{
    _cleanup_free_ char *tmp = NULL, *buf = xmalloc0(COPY_BUF);
    _cleanup_free_ char *index = json_dumps(sv->index, JSON_COMPACT | JSON_PRESERVE_ORDER);
    _cleanup_free_ char *docker = json_dumps(sv->docker, JSON_COMPACT | JSON_PRESERVE_ORDER);
    _cleanup_close_ int fd = -1;
    struct archive *a = archive_write_new();
    bool to_stdout = strcmp(path, "-") == 0;
    int r = -1;

    if (to_stdout) {
        fd = dup(STDOUT_FILENO);
    } else {
        tmp = xasprintf("%s.tmp-%d", path, getpid());
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    }
    if (fd < 0) {
        hull_error_set(err, errno, "save: create %s", tmp ? tmp : "stdout");
        goto out;
    }
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
        hull_error_msg(err, EIO, "save: %s", archive_error_string(a));
        goto out;
    }
    /* sorted: blobs/ < blobs/sha256/ < blobs/sha256/<hex>... < index.json <
     * manifest.json < oci-layout */
    if (tar_header(a, "blobs/", S_IFDIR | 0755, 0, err) < 0 ||
        tar_header(a, "blobs/sha256/", S_IFDIR | 0755, 0, err) < 0)
        goto out;
    for (char **b = sv->blobs; b && *b; b++)
        if (tar_blob(sv, a, *b, buf, err) < 0)
            goto out;
    if (tar_bytes(a, "index.json", index, err) < 0 ||
        tar_bytes(a, "manifest.json", docker, err) < 0 ||
        tar_bytes(a, "oci-layout", OCI_LAYOUT, err) < 0)
        goto out;
    if (archive_write_close(a) != ARCHIVE_OK) {
        hull_error_msg(err, EIO, "save: %s", archive_error_string(a));
        goto out;
    }
    if (!to_stdout) {
        if (fsync(fd) < 0 || rename(tmp, path) < 0) {
            hull_error_set(err, errno, "save: write %s", path);
            goto out;
        }
        free(tmp);
        tmp = NULL;
    }
    r = 0;
out:
    archive_write_free(a);
    if (tmp)
        unlink(tmp);
    return r;
}

int hull_image_save(struct hull_image_store *s, char *const *names, size_t n, const char *path,
                    enum hull_image_save_format format, hull_error *err)
{
    struct save sv = {.s = s};
    int r = -1;

    if (n == 0)
        return hull_error_msg(err, EINVAL, "save: no image named");
    sv.index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", HULL_MT_OCI_INDEX,
                         "manifests");
    sv.docker = json_array();
    for (size_t i = 0; i < n; i++)
        if (add_image(&sv, names[i], err) < 0)
            goto out;
    qsort(sv.blobs, hull_strv_len(sv.blobs), sizeof(char *), cmp_str);
    if (format == HULL_SAVE_OCI_DIR)
        r = save_dir(&sv, path, err);
    else
        r = save_archive(&sv, path, err);
out:
    json_decref(sv.index);
    json_decref(sv.docker);
    hull_strv_free(sv.blobs);
    return r;
}
