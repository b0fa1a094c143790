/* The init layer of an image: the mount targets the image lacks, made once and
 * shared read-only by every container of the image (docker has one such layer
 * per container).
 *
 * The engine bind-mounts /etc/hosts and /etc/resolv.conf and the runtime mounts
 * /proc, /sys and /dev. When the image has no such path, the runtime creates it
 * in the container's upper layer: for /etc/hosts that is an overlay copy-up of
 * /etc and two new inodes, all freed again when the container goes (on an ext4
 * with `discard`, each freed directory block is a synchronous discard). With
 * the missing targets in a layer of their own between the image and the upper
 * layer, a container's upper layer starts empty.
 *
 * Only paths that are missing from the image are added, and only below a real
 * directory: a layer never shadows what the image has (a symlinked /etc stays a
 * symlink, and then the runtime creates the target as before). A directory the
 * layer must hold to reach its files (etc) copies the image's mode, owner and
 * times, since the top layer's copy is the one the merged view shows.
 *
 * snapshots/init-<hex of the image's top chain id>/fs: the chain id names the
 * whole stack below. Made in images/tmp and renamed into place, like every
 * snapshot; prune keeps it while its image or a container's rootfs.json names
 * it (gc.c). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

enum kind { K_MISSING, K_DIR, K_OTHER };

/* What `rel` (no leading '/', components without "..") is in the merged view of
 * `lowers` (top first), as overlayfs would show it: a whiteout hides the name
 * in the layers below, an opaque directory the contents of the ones below, and
 * a non-directory stops the merge. *top (if asked) is the top-most layer's path. */
static enum kind stack_lookup(char **lowers, size_t n, const char *rel, char **top)
{
    _cleanup_free_ char *parent = NULL;
    const char *slash = strrchr(rel, '/');
    size_t last = n;

    if (top)
        *top = NULL;
    if (slash) {
        parent = xasprintf("%.*s", (int)(slash - rel), rel);
        if (stack_lookup(lowers, n, parent, NULL) != K_DIR)
            return K_MISSING;
    }
    for (size_t i = 0; i < n && i < last; i++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", lowers[i], rel);
        char opaque[2] = "";
        struct stat st;

        /* Below an opaque parent the lower layers do not count. */
        if (parent) {
            _cleanup_free_ char *pp = xasprintf("%s/%s", lowers[i], parent);
            if (lgetxattr(pp, "trusted.overlay.opaque", opaque, 1) == 1 && opaque[0] == 'y')
                last = i + 1;
        }
        if (lstat(p, &st) < 0)
            continue;
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
            return K_MISSING;
        if (top)
            *top = steal_pointer(&p);
        return S_ISDIR(st.st_mode) ? K_DIR : K_OTHER;
    }
    return K_MISSING;
}

struct target {
    const char *path;
    bool dir;
};

/* Mount targets of every container: the engine's binds and the runtime's mounts. */
static const struct target targets[] = {
    {"proc", true}, {"sys", true}, {"dev", true}, {"etc/hosts", false}, {"etc/resolv.conf", false},
};

/* A directory of the layer standing for the image's `src` (or a plain 0755 one). */
static int make_dir(int at, const char *name, const char *src, hull_error *err)
{
    struct stat st;
    struct timespec ts[2];

    if (mkdirat(at, name, 0755) < 0 && errno != EEXIST)
        return hull_error_set(err, errno, "init layer: mkdir %s", name);
    if (src == NULL || lstat(src, &st) < 0)
        return 0;
    ts[0] = st.st_atim;
    ts[1] = st.st_mtim;
    if (fchownat(at, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
        fchmodat(at, name, st.st_mode & 07777, 0) < 0 ||
        utimensat(at, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error_set(err, errno, "init layer: copy the attributes of %s", src);
    return 0;
}

/* Fill `fs` (an empty directory) with the targets missing from the stack.
 * Returns how many were added, or -1. */
static int fill(int fs, char **lowers, size_t n, hull_error *err)
{
    int added = 0;

    for (size_t i = 0; i < HULL_ARRAY_SIZE(targets); i++) {
        const struct target *t = &targets[i];
        const char *slash = strchr(t->path, '/');
        _cleanup_free_ char *parent =
            slash ? xasprintf("%.*s", (int)(slash - t->path), t->path) : NULL;
        _cleanup_free_ char *ptop = NULL;
        _cleanup_close_ int at = -1;

        if (stack_lookup(lowers, n, t->path, NULL) != K_MISSING)
            continue;
        if (parent && stack_lookup(lowers, n, parent, &ptop) == K_OTHER)
            continue; /* e.g. /etc is a symlink: not ours to shadow */
        if (parent && make_dir(fs, parent, NULL, err) < 0)
            return -1;
        at = parent ? openat(fs, parent, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    : fcntl(fs, F_DUPFD_CLOEXEC, 3);
        if (at < 0)
            return hull_error_set(err, errno, "init layer: open %s", parent ? parent : "/");
        if (t->dir) {
            if (make_dir(at, slash ? slash + 1 : t->path, NULL, err) < 0)
                return -1;
        } else {
            _cleanup_free_ char *proc = NULL;
            int f =
                openat(at, slash + 1, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (f < 0)
                return hull_error_set(err, errno, "init layer: create %s", t->path);
            close(f);
        }
        /* The image's attributes, times last (the new entry changed them). */
        if (parent && make_dir(fs, parent, ptop, err) < 0)
            return -1;
        added++;
    }
    return added;
}

char *initlayer_name(const char *top_chain)
{
    return xasprintf(INITLAYER_PREFIX "%s", digest_hex(top_chain));
}

int initlayer_ensure(struct hull_image_store *s, const char *top_chain, char **lowers, size_t n,
                     char **path_out, hull_error *err)
{
    _cleanup_free_ char *name = initlayer_name(top_chain);
    _cleanup_free_ char *final = xasprintf("%s/%s", s->snapshots_dir, name);
    _cleanup_free_ char *fsdir = xasprintf("%s/fs", final);
    _cleanup_free_ char *tmp = NULL, *tmpfs = NULL;
    _cleanup_close_ int fs = -1;
    struct stat st;
    int added;

    *path_out = NULL;
    if (stat(fsdir, &st) == 0) {
        *path_out = steal_pointer(&fsdir);
        return 0;
    }
    /* An image that has every target gets an empty layer: it is looked up once
     * per container like any other, and saves nothing; remember it as empty. */
    if (stat(final, &st) == 0)
        return 0;
    tmp = xasprintf("%s/init.tmp-XXXXXX", s->tmp_dir);
    if (mkdtemp(tmp) == NULL)
        return hull_error_set(err, errno, "init layer: mkdtemp in %s", s->tmp_dir);
    tmpfs = xasprintf("%s/fs", tmp);
    if (mkdir(tmpfs, 0755) < 0) {
        hull_error_set(err, errno, "init layer: mkdir %s", tmpfs);
        goto fail;
    }
    fs = open(tmpfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fs < 0) {
        hull_error_set(err, errno, "init layer: open %s", tmpfs);
        goto fail;
    }
    added = fill(fs, lowers, n, err);
    if (added < 0)
        goto fail;
    if (added == 0 && rmdir(tmpfs) < 0) {
        hull_error_set(err, errno, "init layer: rmdir %s", tmpfs);
        goto fail;
    }
    /* A concurrent hull may have made it first: theirs is the same. */
    if (rename(tmp, final) < 0 && errno != EEXIST && errno != ENOTEMPTY) {
        hull_error_set(err, errno, "init layer: rename %s", final);
        goto fail;
    }
    (void)fs_rm_at(AT_FDCWD, tmp, NULL);
    if (stat(fsdir, &st) == 0)
        *path_out = steal_pointer(&fsdir);
    return 0;
fail:
    (void)fs_rm_at(AT_FDCWD, tmp, NULL);
    return -1;
}
