/* The store: directories, locks and image records (refs.json).
 *
 * Locking protocol (flock on files under images/; locks die with their process, so
 * a kill -9 never leaves the store locked):
 *   gc.lock    LOCK_SH by every operation that adds content (import, load, pull,
 *              unpack) for its whole duration; LOCK_EX by prune. A blob or snapshot
 *              that is written but not yet referenced is therefore never collected.
 *   refs.lock  LOCK_EX around every read-modify-write of refs.json. Readers do not
 *              lock: refs.json is replaced atomically (temp + fsync + rename), so a
 *              reader sees the old or the new file, never a mix.
 * Lock order: gc before refs; nothing takes gc while holding refs.
 *
 * The root is trusted (it is the admin's --root); what is inside images/ and
 * snapshots/ comes from images and is only reached by validated digests. The
 * directories are 0700: a snapshot may hold setuid binaries an unprivileged host
 * user must not be able to reach. */
#include "internal.h"
#include "../base/util.h"

#include <errno.h>
#include <linux/fs.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REFS_MAX (64u << 20)

void image_warn(struct hull_image_store *s, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (s == NULL || s->warn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s->warn(s->warn_data, msg);
}

char *image_time_string(int64_t t)
{
    struct tm tm;
    time_t tt = t >= 0 ? (time_t)t : time(NULL);
    char buf[64];

    gmtime_r(&tt, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(buf);
}

void strv_push(char ***v, char *s)
{
    size_t n = hull_strv_len(*v);
    *v = xrealloc(*v, (n + 2) * sizeof(char *));
    (*v)[n] = s;
    (*v)[n + 1] = NULL;
}

static void opts_forward_warn(void *data, const char *msg)
{
    struct hull_image_store *s = data;
    if (s->warn)
        s->warn(s->warn_data, msg);
}

/* Each snapshot, and each container's directory, is a tree of its own:
 * FS_TOPDIR_FL asks ext2/3/4 to spread its subdirectories over the block groups
 * (the Orlov allocator, as for dirs in "/") instead of packing them next to each
 * other. New inodes then rarely land in a group full of just-deleted ones, which
 * no-journal ext4 scans past one by one (recently_deleted()): a pull after a big
 * rm spent half its CPU there, and `run --rm` in a loop (a dozen inodes made and
 * deleted each time) about 5% of its CPU. Other filesystems do not know the flag:
 * ignored. */
static void mark_topdir(const char *dir)
{
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int flags = 0;
    if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 || (flags & FS_TOPDIR_FL))
        return;
    flags |= FS_TOPDIR_FL;
    (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

int hull_image_store_open(const char *root, const struct hull_image_store_opts *opts,
                          struct hull_image_store **out, hull_error *err)
{
    struct hull_image_store *s;
    char abs[PATH_MAX];

    if (root == NULL || *root == '\0')
        return hull_error_msg(err, EINVAL, "image store: empty root path");
    if (hull_mkdir_p(root, 0711, err) < 0)
        return hull_error_prefix(err, "image store");
    /* overlay lowerdir= and the records need absolute paths */
    if (realpath(root, abs) == NULL)
        return hull_error_set(err, errno, "image store: resolve %s", root);
    s = xmalloc0(sizeof(*s));
    s->blobs_fd = -1;
    s->root = xstrdup(abs);
    s->images_dir = xasprintf("%s/images", abs);
    s->blobs_dir = xasprintf("%s/images/blobs/sha256", abs);
    s->tmp_dir = xasprintf("%s/images/tmp", abs);
    s->snapshots_dir = xasprintf("%s/snapshots", abs);
    s->containers_dir = xasprintf("%s/containers", abs);
    if (hull_mkdir_p(s->images_dir, 0700, err) < 0 || hull_mkdir_p(s->blobs_dir, 0700, err) < 0 ||
        hull_mkdir_p(s->tmp_dir, 0700, err) < 0 || hull_mkdir_p(s->snapshots_dir, 0700, err) < 0 ||
        hull_mkdir_p(s->containers_dir, 0711, err) < 0) {
        hull_image_store_free(s);
        return hull_error_prefix(err, "image store");
    }
    mark_topdir(s->snapshots_dir);
    mark_topdir(s->containers_dir);
    s->blobs_fd = open(s->blobs_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (s->blobs_fd < 0) {
        int e = errno;
        hull_image_store_free(s);
        return hull_error_set(err, e, "image store: open %s", abs);
    }
    if (opts) {
        s->busybox_oci = xstrdup(opts->busybox_oci);
        s->platform = xstrdup(opts->platform);
        s->force_copy = opts->force_copy;
        s->unpack = opts->unpack;
        s->warn = opts->warn;
        s->warn_data = opts->warn_data;
    }
    if (s->unpack.warn == NULL) {
        s->unpack.warn = opts_forward_warn;
        s->unpack.warn_data = s;
    }
    *out = s;
    return 0;
}

void hull_image_store_free(struct hull_image_store *s)
{
    if (s == NULL)
        return;
    if (s->blobs_fd >= 0)
        close(s->blobs_fd);
    free(s->root);
    free(s->images_dir);
    free(s->blobs_dir);
    free(s->tmp_dir);
    free(s->snapshots_dir);
    free(s->containers_dir);
    free(s->busybox_oci);
    free(s->platform);
    free(s);
}

int store_lock(struct hull_image_store *s, const char *name, int op, hull_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s.lock", s->images_dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return hull_error_set(err, errno, "open %s", path);
    while (flock(fd, op) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(fd);
        return hull_error_set(err, e, "lock %s", path);
    }
    return fd;
}

/* refs.json is written by hull only, but a damaged file must give an error, never
 * be treated as empty (that would make prune delete every image). */
static int refs_check(json_t *refs, hull_error *err)
{
    json_t *images = json_object_get(refs, "images"), *rec, *names, *n;
    const char *digest;
    size_t i;

    if (!json_is_object(images))
        return hull_error_msg(err, EINVAL, "\"images\" is not an object");
    json_object_foreach (images, digest, rec) {
        if (hull_image_digest_validate(digest, err) < 0)
            return -1;
        names = json_object_get(rec, "names");
        if (!json_is_object(rec) || (names && !json_is_array(names)))
            return hull_error_msg(err, EINVAL, "record %s is malformed", digest);
        json_array_foreach (names, i, n) {
            if (!json_is_string(n))
                return hull_error_msg(err, EINVAL, "record %s: names[%zu] is not a string", digest,
                                      i);
        }
    }
    return 0;
}

int refs_load(struct hull_image_store *s, json_t **out, hull_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/refs.json", s->images_dir);
    _cleanup_free_ char *data = NULL;
    json_error_t jerr;
    json_t *refs;
    size_t len;

    if (access(path, F_OK) < 0 && errno == ENOENT) {
        *out = json_pack("{s:i, s:{}}", "version", 1, "images");
        return 0;
    }
    if (hull_read_file(path, REFS_MAX, &data, &len, err) < 0)
        return -1;
    refs = json_loadb(data, len, 0, &jerr);
    if (refs == NULL)
        return hull_error_msg(err, EINVAL, "%s: invalid JSON: %s", path, jerr.text);
    if (!json_is_object(refs) || refs_check(refs, err) < 0) {
        json_decref(refs);
        hull_error_msg(err, EINVAL, "not an image record file");
        return hull_error_prefix(err, "%s", path);
    }
    *out = refs;
    return 0;
}

int refs_save(struct hull_image_store *s, json_t *refs, hull_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/refs.json", s->images_dir);
    _cleanup_free_ char *data = json_dumps(refs, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (data == NULL)
        return hull_error_msg(err, ENOMEM, "serialize image records");
    return hull_write_file_atomic(path, data, strlen(data), 0600, err);
}

/* Remove `name` from every record's names. */
void refs_drop_name(json_t *refs, const char *name)
{
    json_t *images = json_object_get(refs, "images"), *rec, *names, *n;
    const char *digest;
    size_t i;

    json_object_foreach (images, digest, rec) {
        names = json_object_get(rec, "names");
        json_array_foreach (names, i, n) {
            if (strcmp(json_string_value(n), name) == 0) {
                json_array_remove(names, i);
                break;
            }
        }
    }
}

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

int refs_add(struct hull_image_store *s, const char *digest, const char *name, hull_error *err)
{
    _cleanup_close_ int lock = -1;
    json_t *refs = NULL, *images, *rec, *names;
    int r = -1;

    lock = store_lock(s, "refs", LOCK_EX, err);
    if (lock < 0)
        return -1;
    if (refs_load(s, &refs, err) < 0)
        return -1;
    images = json_object_get(refs, "images");
    rec = json_object_get(images, digest);
    if (rec == NULL) {
        _cleanup_free_ char *now = image_time_string(-1);
        rec = json_pack("{s:s, s:[]}", "added", now, "names");
        json_object_set_new(images, digest, rec);
    }
    names = json_object_get(rec, "names");
    if (names == NULL) {
        names = json_array();
        json_object_set_new(rec, "names", names);
    }
    if (name) {
        size_t n;
        json_t **v;
        refs_drop_name(refs, name);
        json_array_append_new(names, json_string(name));
        /* keep names sorted: the file and `images` output are stable */
        n = json_array_size(names);
        v = xmalloc0(n * sizeof(*v));
        for (size_t i = 0; i < n; i++)
            v[i] = json_incref(json_array_get(names, i));
        qsort(v, n, sizeof(*v), cmp_json_str);
        json_array_clear(names);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(names, v[i]);
        free(v);
    }
    r = refs_save(s, refs, err);
    json_decref(refs);
    return r;
}

int image_normalize_name(const char *name, char **out, hull_error *err)
{
    struct hull_image_ref *ref = NULL;
    if (hull_image_ref_parse(name, &ref, err) < 0)
        return -1;
    *out = hull_image_ref_string(ref);
    hull_image_ref_free(ref);
    return 0;
}

/* Remember which index an image came from (refs.json record "index"). */
int refs_set_index(struct hull_image_store *s, const char *mdigest, const char *idigest,
                   hull_error *err)
{
    _cleanup_close_ int lock = store_lock(s, "refs", LOCK_EX, err);
    json_t *refs = NULL, *rec;
    int r;

    if (lock < 0 || refs_load(s, &refs, err) < 0)
        return -1;
    rec = json_object_get(json_object_get(refs, "images"), mdigest);
    if (rec == NULL) {
        json_decref(refs);
        return 0;
    }
    json_object_set_new(rec, "index", json_string(idigest));
    r = refs_save(s, refs, err);
    json_decref(refs);
    return r;
}

int image_full_index(struct hull_image_store *s, const char *mdigest, char **data, size_t *len,
                     char **media_type, char digest[HULL_DIGEST_BUF], struct hull_image_index **ix)
{
    json_t *refs = NULL;
    const char *idigest;
    int ok = 0;

    if (refs_load(s, &refs, NULL) < 0)
        return 0;
    idigest = json_string_value(
        json_object_get(json_object_get(json_object_get(refs, "images"), mdigest), "index"));
    if (idigest &&
        hull_image_blob_read(s, idigest, HULL_IMAGE_MAX_MANIFEST, data, len, NULL) == 0 &&
        hull_image_index_parse(*data, *len, NULL, ix, NULL) == 0) {
        ok = 1;
        for (size_t i = 0; i < (*ix)->n_manifests && ok; i++) {
            _cleanup_free_ char *md = NULL;
            struct hull_image_manifest *m = NULL;
            size_t mlen;
            if (hull_image_blob_read(s, (*ix)->manifests[i].digest, HULL_IMAGE_MAX_MANIFEST, &md,
                                     &mlen, NULL) < 0 ||
                hull_image_manifest_parse(md, mlen, NULL, &m, NULL) < 0) {
                ok = 0;
                break;
            }
            ok = hull_image_blob_exists(s, m->config.digest);
            for (size_t k = 0; k < m->n_layers && ok; k++)
                ok = strstr(m->layers[k].media_type, "nondistributable") ||
                     hull_image_blob_exists(s, m->layers[k].digest);
            hull_image_manifest_free(m);
        }
        if (ok) {
            snprintf(digest, HULL_DIGEST_BUF, "%s", idigest);
            *media_type = xstrdup((*ix)->source_media_type);
        }
    }
    json_decref(refs);
    return ok;
}
