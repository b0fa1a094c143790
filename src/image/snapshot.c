/* Snapshots (one unpacked layer each) and container root filesystems (an overlay of
 * snapshots plus a private upper dir).
 *
 * A snapshot is snapshots/<chainID>/fs. It is unpacked into snapshots/<chainID>.tmp-
 * <pid>-<n> and renamed into place only when the whole layer unpacked and both its
 * blob digest and its diff_id matched, so a hostile or truncated layer never leaves
 * a partial snapshot, and a snapshot that exists is complete. Two processes
 * unpacking the same layer both succeed: the second rename fails with ENOTEMPTY/
 * EEXIST and its copy is removed. Snapshots are never written after the rename:
 * overlayfs uses them as read-only lower layers.
 *
 * A container's rootfs.json lists the snapshots its mount uses (written before the
 * mount), and prune keeps those: removing an image never pulls layers out from
 * under a running container. */
#include "internal.h"
#include "../base/util.h"

#define ENSURE_THREADS 4

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

char *snapshot_dir(struct hull_image_store *s, const char *chain_id)
{
    return xasprintf("%s/%s", s->snapshots_dir, digest_hex(chain_id));
}

/* A snapshot being made: snapshots/<layer hex>.tmp-<pid>-<n>/fs, private until renamed. */
struct snapshot_tmp {
    char *dir;
    int root; /* fd of dir/fs */
};

static void snapshot_tmp_drop(struct snapshot_tmp *t)
{
    hull_error rm_err = {0};
    if (t->root >= 0)
        close(t->root);
    t->root = -1;
    if (t->dir) {
        fs_rm_at(AT_FDCWD, t->dir, &rm_err);
        hull_error_clear(&rm_err);
    }
    free(t->dir);
    t->dir = NULL;
}

static int snapshot_tmp_new(struct hull_image_store *s, const char *layer_digest,
                            struct snapshot_tmp *t, hull_error *err)
{
    static unsigned counter;
    _cleanup_free_ char *fs = NULL;

    t->dir = xasprintf("%s/%s.tmp-%d-%u", s->snapshots_dir, digest_hex(layer_digest), getpid(),
                       __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
    t->root = -1;
    fs = xasprintf("%s/fs", t->dir);
    if (mkdir(t->dir, 0700) < 0 || mkdir(fs, 0755) < 0) {
        int e = errno;
        hull_error_set(err, e, "create snapshot dir %s", t->dir);
        snapshot_tmp_drop(t);
        return -1;
    }
    t->root = open(fs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (t->root < 0) {
        hull_error_set(err, errno, "open %s", fs);
        snapshot_tmp_drop(t);
        return -1;
    }
    return 0;
}

/* Check the unpacked digests, record the size and rename into place; the temp dir
 * is gone afterwards either way. A snapshot some other process renamed first wins.
 * No fsync per file: the rename of a complete dir is what a kill -9 cannot split. */
static int snapshot_tmp_commit(struct hull_image_store *s, struct snapshot_tmp *t,
                               const struct hull_image_descriptor *layer,
                               const struct hull_image_unpack_result *res, const char *diff_id,
                               const char *parent_chain, hull_error *err)
{
    _cleanup_free_ char *final = NULL, *size_text = NULL, *size_path = NULL;
    _cleanup_close_ int fd = -1;
    char chain[HULL_DIGEST_BUF];
    int r = -1;

    if (res->digest[0] && strcmp(res->digest, layer->digest) != 0) {
        hull_error_msg(err, EIO, "layer %s: content digest is %s (corrupt or tampered blob)",
                       layer->digest, res->digest);
        goto out;
    }
    if (diff_id && strcmp(res->diff_id, diff_id) != 0) {
        hull_error_msg(err, EIO,
                       "layer %s: uncompressed digest %s does not match the config's "
                       "diff_id %s",
                       layer->digest, res->diff_id, diff_id);
        goto out;
    }
    chain_next(parent_chain, res->diff_id, chain);
    final = snapshot_dir(s, chain);
    size_text = xasprintf("%llu", (unsigned long long)res->bytes);
    size_path = xasprintf("%s/size", t->dir);
    fd = open(size_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || hull_write_all(fd, size_text, strlen(size_text)) < 0) {
        hull_error_set(err, errno, "write %s/size", t->dir);
        goto out;
    }
    if (rename(t->dir, final) == 0) {
        free(t->dir);
        t->dir = NULL;
    } else if (errno != EEXIST && errno != ENOTEMPTY) {
        /* EEXIST/ENOTEMPTY: another process unpacked the same layer first */
        hull_error_set(err, errno, "rename snapshot %s", final);
        goto out;
    }
    r = 0;
out:
    snapshot_tmp_drop(t);
    return r;
}

/* The snapshot of (parent_chain, diff_id) exists already. */
static bool snapshot_exists(struct hull_image_store *s, const char *diff_id,
                            const char *parent_chain)
{
    char chain[HULL_DIGEST_BUF];
    _cleanup_free_ char *fs = NULL;
    struct stat st;

    chain_next(parent_chain, diff_id, chain);
    fs = xasprintf("%s/%s/fs", s->snapshots_dir, digest_hex(chain));
    return stat(fs, &st) == 0 && S_ISDIR(st.st_mode);
}

int snapshot_ensure(struct hull_image_store *s, const struct hull_image_descriptor *layer,
                    const char *diff_id, const char *parent_chain, char diff_out[HULL_DIGEST_BUF],
                    hull_error *err)
{
    _cleanup_close_ int blob = -1, gc = -1;
    struct hull_image_unpack_result res = {0};
    struct snapshot_tmp t = {0};
    int64_t size;

    if (diff_id && snapshot_exists(s, diff_id, parent_chain)) {
        if (diff_out)
            snprintf(diff_out, HULL_DIGEST_BUF, "%s", diff_id);
        return 0;
    }
    if (!hull_image_layer_media_type_ok(layer->media_type))
        return hull_error_msg(err, EINVAL, "layer %s: cannot unpack media type %.100s",
                              layer->digest, layer->media_type);
    /* Unreferenced until the image record is written: hold off prune. */
    gc = store_lock(s, "gc", LOCK_SH, err);
    if (gc < 0)
        return -1;
    blob = hull_image_blob_open(s, layer->digest, &size, err);
    if (blob < 0)
        return -1;
    if (size != layer->size)
        return hull_error_msg(err, EIO, "layer %s: blob has %lld bytes, the manifest says %lld",
                              layer->digest, (long long)size, (long long)layer->size);
    if (snapshot_tmp_new(s, layer->digest, &t, err) < 0)
        return -1;
    if (hull_image_unpack_fd(blob, t.root, &s->unpack, &res, err) < 0) {
        snapshot_tmp_drop(&t);
        return hull_error_prefix(err, "layer %s", layer->digest);
    }
    if (snapshot_tmp_commit(s, &t, layer, &res, diff_id, parent_chain, err) < 0)
        return -1;
    if (diff_out)
        memcpy(diff_out, res.diff_id, HULL_DIGEST_BUF);
    return 0;
}

/* ---- unpacking while the blob downloads -------------------------------------------------- */

struct snapshot_stream {
    struct hull_image_store *s;
    const struct hull_image_descriptor *layer;
    const char *diff_id;
    char parent[HULL_DIGEST_BUF];
    struct blob_follow *f;
    struct snapshot_tmp t;
    struct hull_image_unpack_result res;
    hull_error err;
    int r;
    pthread_t th;
};

static void *stream_main(void *arg)
{
    struct snapshot_stream *st = arg;
    st->r = unpack_stream(blob_follow_read, st->f, false, st->t.root, &st->s->unpack, &st->res,
                          &st->err);
    return NULL;
}

int snapshot_stream_start(struct hull_image_store *s, const struct hull_image_descriptor *layer,
                          const char *diff_id, const char *parent_chain, struct blob_follow *f,
                          struct snapshot_stream **out, hull_error *err)
{
    struct snapshot_stream *st;

    *out = NULL;
    if (snapshot_exists(s, diff_id, parent_chain) ||
        !hull_image_layer_media_type_ok(layer->media_type))
        return 0; /* nothing to do, or image_commit reports the media type */
    st = xmalloc0(sizeof(*st));
    st->s = s;
    st->layer = layer;
    st->diff_id = diff_id;
    if (parent_chain)
        snprintf(st->parent, sizeof(st->parent), "%s", parent_chain);
    st->f = f;
    if (snapshot_tmp_new(s, layer->digest, &st->t, err) < 0) {
        free(st);
        return -1;
    }
    if (pthread_create(&st->th, NULL, stream_main, st) != 0) {
        snapshot_tmp_drop(&st->t);
        free(st);
        return hull_error_msg(err, EAGAIN, "layer %s: cannot start an unpack thread",
                              layer->digest);
    }
    *out = st;
    return 0;
}

int snapshot_stream_finish(struct snapshot_stream *st, bool blob_ok, hull_error *err)
{
    int r = 0;

    if (st == NULL)
        return 0;
    pthread_join(st->th, NULL);
    if (!blob_ok) {
        snapshot_tmp_drop(&st->t);
    } else if (st->r < 0) {
        hull_error_msg(err, st->err.errnum, "layer %s: %s", st->layer->digest,
                       st->err.msg ? st->err.msg : "unpack failed");
        snapshot_tmp_drop(&st->t);
        r = -1;
    } else {
        r = snapshot_tmp_commit(st->s, &st->t, st->layer, &st->res, st->diff_id,
                                st->parent[0] ? st->parent : NULL, err);
    }
    hull_error_clear(&st->err);
    free(st);
    return r;
}

/* ---- every layer of an image, in parallel ------------------------------------------------ */

struct ensure_pool {
    struct hull_image_store *s;
    const struct hull_image *img;
    char (*chain)[HULL_DIGEST_BUF];
    size_t *todo, n_todo; /* layers without a snapshot */
    pthread_mutex_t lock;
    size_t next;
    int failed; /* index + 1 of the first failure */
    hull_error *errs;
};

static void *ensure_worker(void *arg)
{
    struct ensure_pool *p = arg;
    for (;;) {
        size_t k, i;
        pthread_mutex_lock(&p->lock);
        k = p->failed ? p->n_todo : p->next++;
        pthread_mutex_unlock(&p->lock);
        if (k >= p->n_todo)
            return NULL;
        i = p->todo[k];
        if (snapshot_ensure(p->s, &p->img->manifest->layers[i], p->img->config->diff_ids[i],
                            i ? p->chain[i - 1] : NULL, NULL, &p->errs[i]) < 0) {
            pthread_mutex_lock(&p->lock);
            if (p->failed == 0 || (size_t)p->failed > i + 1)
                p->failed = (int)i + 1;
            pthread_mutex_unlock(&p->lock);
        }
    }
}

int hull_image_ensure_snapshots(struct hull_image_store *s, const struct hull_image *img,
                                hull_error *err)
{
    size_t n = img->manifest->n_layers, nth, started = 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct ensure_pool p = {.s = s, .img = img};
    pthread_t th[ENSURE_THREADS];
    int r = 0;

    if (img->config->n_diff_ids < n)
        return hull_error_msg(err, EINVAL, "image %s: %zu layers but %zu diff_ids", img->digest, n,
                              img->config->n_diff_ids);
    p.chain = xmalloc0((n + 1) * HULL_DIGEST_BUF);
    p.errs = xmalloc0((n + 1) * sizeof(*p.errs));
    p.todo = xmalloc0((n + 1) * sizeof(*p.todo));
    hull_image_chain_ids(img->config->diff_ids, n, p.chain);
    /* Usually every snapshot is there (hull run): no thread for that. */
    for (size_t i = 0; i < n; i++)
        if (!snapshot_exists(s, img->config->diff_ids[i], i ? p.chain[i - 1] : NULL))
            p.todo[p.n_todo++] = i;
    pthread_mutex_init(&p.lock, NULL);
    /* Layers are independent (each its own snapshot): unpack them side by side. */
    nth = (size_t)(cpus > 1 ? cpus : 1) + 1;
    nth = nth < ENSURE_THREADS ? nth : ENSURE_THREADS;
    nth = nth < p.n_todo ? nth : p.n_todo;
    for (; started + 1 < nth; started++)
        if (pthread_create(&th[started], NULL, ensure_worker, &p) != 0)
            break;
    if (p.n_todo)
        ensure_worker(&p);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (p.failed) {
        hull_error *e = &p.errs[p.failed - 1];
        hull_error_msg(err, e->errnum, "%s", e->msg ? e->msg : "unpack failed");
        r = -1;
    }
    for (size_t i = 0; i < n; i++)
        hull_error_clear(&p.errs[i]);
    free(p.errs);
    free(p.chain);
    free(p.todo);
    pthread_mutex_destroy(&p.lock);
    return r;
}

/* Container ids become directory names: keep them to a safe alphabet. */
static int check_id(const char *id, hull_error *err)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 128 || id[0] == '.' || id[0] == '-')
        return hull_error_msg(err, EINVAL, "invalid container id \"%.140s\"", id ? id : "");
    for (const char *c = id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-' || *c == '.'))
            return hull_error_msg(err, EINVAL, "invalid container id \"%.140s\"", id);
    return 0;
}

/* An ephemeral container's overlay is "volatile" (as podman does for --rm, and
 * CRI-O for every container): no fsync or syncfs reaches the upper filesystem,
 * and the unmount at exit does not sync the whole of it (0.7 ms of every
 * `run --rm` on a quiet host, many more when other work writes to the disk).
 * After a crash its upper layer is unusable, and the container is removed. The
 * kernel leaves work/work/incompat/volatile to refuse a later mount of the same
 * upper; after a clean unmount that mount is safe, so a remount removes it. */
static void clear_volatile_mark(const char *work)
{
    _cleanup_free_ char *inc = xasprintf("%s/work/incompat", work);
    _cleanup_free_ char *vol = xasprintf("%s/volatile", inc);
    (void)rmdir(vol);
    (void)rmdir(inc);
}

/* Mount the overlay with the new mount API: "lowerdir+" takes one layer per call,
 * so neither the 256-byte fsconfig string limit nor the page-sized mount(2) data
 * limit caps the number of layers. Kernels before 6.8 get mount(2). */
static int mount_overlay(char **lowers, size_t n, const char *upper, const char *work,
                         bool volatile_upper, const char *target, hull_error *err)
{
    _cleanup_close_ int fsfd = -1, mfd = -1;
    _cleanup_free_ char *data = NULL;
    size_t len;

    fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fsfd < 0 && errno != ENOSYS)
        return hull_error_set(err, errno, "fsopen overlay");
    if (fsfd >= 0 && fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", lowers[0], 0) == 0) {
        for (size_t i = 1; i < n; i++)
            if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0)
                return hull_error_set(err, errno, "overlay lowerdir+ %s", lowers[i]);
        if (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
            fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
            return hull_error_set(err, errno, "overlay upperdir/workdir");
        /* redirect_dir and metacopy would put trusted.overlay xattrs in the upper
         * that a layer diff cannot express; index is not needed without them. */
        (void)fsconfig(fsfd, FSCONFIG_SET_STRING, "redirect_dir", "off", 0);
        (void)fsconfig(fsfd, FSCONFIG_SET_STRING, "metacopy", "off", 0);
        (void)fsconfig(fsfd, FSCONFIG_SET_STRING, "index", "off", 0);
        if (volatile_upper) /* kernels before 5.10: a durable overlay */
            (void)fsconfig(fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0);
        if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
            return hull_error_set(err, errno, "create overlay");
        mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
        if (mfd < 0)
            return hull_error_set(err, errno, "fsmount overlay");
        if (move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            return hull_error_set(err, errno, "move overlay mount to %s", target);
        return 0;
    }
    /* mount(2): ':' separates lower dirs and ',' options, so both are escaped. */
    len = strlen(upper) * 2 + strlen(work) * 2 + 128;
    for (size_t i = 0; i < n; i++)
        len += strlen(lowers[i]) * 2 + 1;
    data = xmalloc0(len);
    strcpy(data, "lowerdir=");
    for (size_t i = 0; i < n; i++) {
        char *p = data + strlen(data);
        if (i)
            *p++ = ':';
        for (const char *c = lowers[i]; *c; c++) {
            if (*c == ':' || *c == ',' || *c == '\\')
                *p++ = '\\';
            *p++ = *c;
        }
        *p = '\0';
    }
    snprintf(data + strlen(data), len - strlen(data), ",upperdir=%s,workdir=%s,redirect_dir=off",
             upper, work);
    if (mount("overlay", target, "overlay", 0, data) < 0)
        return hull_error_set(err, errno, "mount overlay on %s", target);
    return 0;
}

static int write_record(const char *path, const struct hull_image *img,
                        char (*chain)[HULL_DIGEST_BUF], size_t n, const char *mode,
                        const char *init, unsigned flags, hull_error *err)
{
    json_t *o = json_pack("{s:s, s:s, s:[], s:b}", "image", img->digest, "mode", mode, "snapshots",
                          "volatile", (flags & HULL_ROOTFS_EPHEMERAL) != 0);
    if (init) /* the snapshot name of the stack's init layer (initlayer.c) */
        json_object_set_new(o, "init", json_string(init));
    char *data;
    int r;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(json_object_get(o, "snapshots"), json_string(chain[i]));
    data = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    r = flags & HULL_ROOTFS_EPHEMERAL
            ? hull_write_file_volatile(path, data, strlen(data), 0600, err)
            : hull_write_file_atomic(path, data, strlen(data), 0600, err);
    free(data);
    return r;
}

/* The copy fallback: every layer merged into the upper dir (whiteouts applied),
 * which is then bind-mounted on the target. */
static int copy_rootfs(struct hull_image_store *s, char **lowers, size_t n, const char *upper,
                       const char *target, hull_error *err)
{
    _cleanup_close_ int dst = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dst < 0)
        return hull_error_set(err, errno, "open %s", upper);
    for (size_t i = n; i-- > 0;) {
        _cleanup_close_ int src = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (src < 0)
            return hull_error_set(err, errno, "open %s", lowers[i]);
        if (fs_apply_layer(src, dst, err) < 0)
            return hull_error_prefix(err, "copy layer %s", lowers[i]);
    }
    if (mount(upper, target, NULL, MS_BIND | MS_REC, NULL) < 0)
        return hull_error_set(err, errno, "bind %s on %s", upper, target);
    return 0;
}

int hull_image_mount_rootfs(struct hull_image_store *s, const struct hull_image *img,
                            const char *container_id, const char *target_dir, unsigned flags,
                            hull_error *err)
{
    size_t n = img->manifest->n_layers;
    char(*chain)[HULL_DIGEST_BUF] = NULL;
    _cleanup_free_ char *cdir = NULL, *upper = NULL, *work = NULL, *record = NULL;
    _cleanup_free_ char *init = NULL, *init_name = NULL;
    _cleanup_strv_ char **lowers = NULL;
    _cleanup_free_ char **stack = NULL;
    hull_error oerr = {0};
    const char *mode = "overlay";
    int r = -1;

    if (check_id(container_id, err) < 0)
        return -1;
    if (n == 0)
        return hull_error_msg(err, EINVAL, "image %s has no layers", img->digest);
    if (hull_image_ensure_snapshots(s, img, err) < 0)
        return -1;
    cdir = xasprintf("%s/%s", s->containers_dir, container_id);
    upper = xasprintf("%s/upper", cdir);
    work = xasprintf("%s/work", cdir);
    record = xasprintf("%s/rootfs.json", cdir);
    if (hull_mkdir_p(s->containers_dir, 0711, err) < 0 || hull_mkdir_p(cdir, 0700, err) < 0)
        return -1;
    if (mkdir(upper, 0755) < 0)
        return hull_error_set(err, errno, "container %s: create %s", container_id, upper);
    if (mkdir(work, 0700) < 0) {
        hull_error_set(err, errno, "container %s: create %s", container_id, work);
        goto fail;
    }
    chain = xmalloc0((n + 1) * HULL_DIGEST_BUF);
    hull_image_chain_ids(img->config->diff_ids, n, chain);
    lowers = xmalloc0((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) /* top layer first */
        lowers[i] = xasprintf("%s/%s/fs", s->snapshots_dir, digest_hex(chain[n - 1 - i]));
    /* The mount targets the image lacks, in a shared layer over it. */
    if (!s->force_copy && initlayer_ensure(s, chain[n - 1], lowers, n, &init, err) < 0)
        goto fail;
    stack = xmalloc0((n + 2) * sizeof(char *));
    stack[0] = init;
    memcpy(stack + (init ? 1 : 0), lowers, n * sizeof(char *));
    if (init)
        init_name = initlayer_name(chain[n - 1]);
    if (write_record(record, img, chain, n, mode, init_name, flags, err) < 0)
        goto fail;
    if (!s->force_copy && mount_overlay(stack, init ? n + 1 : n, upper, work,
                                        flags & HULL_ROOTFS_EPHEMERAL, target_dir, &oerr) == 0) {
        r = 0;
        goto out;
    }
    image_warn(s, "container %s: %s; copying the image's layers into %s instead", container_id,
               oerr.msg ? oerr.msg : "copy mode requested", upper);
    hull_error_clear(&oerr);
    mode = "copy";
    rmdir(work);
    if (write_record(record, img, chain, n, mode, NULL, flags, err) < 0 ||
        copy_rootfs(s, lowers, n, upper, target_dir, err) < 0)
        goto fail;
    r = 0;
    goto out;
fail:
    hull_error_prefix(err, "container %s", container_id);
    {
        hull_error e2 = {0};
        hull_image_unmount_rootfs(s, container_id, NULL, true, &e2);
        hull_error_clear(&e2);
    }
out:
    free(chain);
    return r;
}

int hull_image_remount_rootfs(struct hull_image_store *s, const char *container_id,
                              const char *target_dir, hull_error *err)
{
    _cleanup_free_ char *cdir = NULL, *record_path = NULL, *data = NULL;
    _cleanup_free_ char *upper = NULL, *work = NULL;
    _cleanup_strv_ char **lowers = NULL;
    json_t *record = NULL, *snaps;
    const char *mode, *init = NULL;
    size_t k = 0;
    size_t len = 0, n;
    int r = -1;

    if (check_id(container_id, err) < 0)
        return -1;
    cdir = xasprintf("%s/%s", s->containers_dir, container_id);
    record_path = xasprintf("%s/rootfs.json", cdir);
    upper = xasprintf("%s/upper", cdir);
    work = xasprintf("%s/work", cdir);
    if (hull_read_file(record_path, 1u << 20, &data, &len, err) < 0)
        return hull_error_prefix(err, "container %s has no image root filesystem", container_id);
    record = json_loadb(data, len, 0, NULL);
    mode = json_string_value(json_object_get(record, "mode"));
    snaps = json_object_get(record, "snapshots");
    n = json_array_size(snaps);
    if (mode == NULL || n == 0) {
        hull_error_msg(err, EINVAL, "container %s: %s: no mode or snapshots", container_id,
                       record_path);
        goto out;
    }
    if (strcmp(mode, "copy") == 0) {
        if (mount(upper, target_dir, NULL, MS_BIND | MS_REC, NULL) < 0)
            hull_error_set(err, errno, "container %s: bind %s on %s", container_id, upper,
                           target_dir);
        else
            r = 0;
        goto out;
    }
    /* The record lists the chain ids bottom first; overlay wants the top first.
     * Each must be a valid digest naming a snapshot that still exists (prune
     * keeps the ones a container's record names). The init layer, if the record
     * names one, goes on top. */
    lowers = xmalloc0((n + 2) * sizeof(char *));
    init = json_string_value(json_object_get(record, "init"));
    if (init) {
        /* "init-<hex of a chain id>", nothing else (it becomes a path) */
        bool named = hull_str_has_prefix(init, INITLAYER_PREFIX);
        _cleanup_free_ char *d =
            xasprintf("sha256:%s", named ? init + strlen(INITLAYER_PREFIX) : "");
        struct stat st;
        if (!named || hull_image_digest_validate(d, err) < 0) {
            if (err && err->msg == NULL)
                hull_error_msg(err, EINVAL, "not an init layer name");
            hull_error_prefix(err, "container %s: %s: \"init\"", container_id, record_path);
            goto out;
        }
        lowers[k++] = xasprintf("%s/%s/fs", s->snapshots_dir, init);
        if (stat(lowers[k - 1], &st) < 0) {
            hull_error_set(err, errno, "container %s: init layer %s", container_id, init);
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const char *chain = json_string_value(json_array_get(snaps, n - 1 - i));
        struct stat st;
        if (chain == NULL || hull_image_digest_validate(chain, err) < 0) {
            hull_error_prefix(err, "container %s: %s", container_id, record_path);
            goto out;
        }
        lowers[k] = xasprintf("%s/%s/fs", s->snapshots_dir, digest_hex(chain));
        if (stat(lowers[k++], &st) < 0) {
            hull_error_set(err, errno, "container %s: snapshot %s", container_id, chain);
            goto out;
        }
    }
    clear_volatile_mark(work);
    r = mount_overlay(lowers, k, upper, work, json_is_true(json_object_get(record, "volatile")),
                      target_dir, err);
    if (r < 0)
        hull_error_prefix(err, "container %s", container_id);
out:
    json_decref(record);
    return r;
}

int hull_image_unmount_rootfs(struct hull_image_store *s, const char *container_id,
                              const char *target_dir, bool remove, hull_error *err)
{
    _cleanup_free_ char *cdir = NULL;
    _cleanup_close_ int cfd = -1;

    if (check_id(container_id, err) < 0)
        return -1;
    if (target_dir && umount2(target_dir, UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
        errno != ENOENT) {
        if (errno != EBUSY || umount2(target_dir, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
            return hull_error_set(err, errno, "container %s: unmount %s", container_id, target_dir);
    }
    if (!remove)
        return 0;
    cdir = xasprintf("%s/%s", s->containers_dir, container_id);
    cfd = open(cdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cfd < 0)
        return errno == ENOENT ? 0 : hull_error_set(err, errno, "open %s", cdir);
    /* Only what mount_rootfs made: the image's snapshots are shared and stay. */
    if (fs_rm_at(cfd, "upper", err) < 0 || fs_rm_at(cfd, "work", err) < 0)
        return hull_error_prefix(err, "container %s", container_id);
    if (unlinkat(cfd, "rootfs.json", 0) < 0 && errno != ENOENT)
        return hull_error_set(err, errno, "container %s: remove rootfs.json", container_id);
    (void)rmdir(cdir); /* kept when the engine has other files there */
    return 0;
}
