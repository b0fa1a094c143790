/* Tree operations on snapshot and container dirs, all relative to directory fds
 * and never following symlinks: remove a tree, merge a layer into a directory (the
 * copy fallback when overlayfs is unavailable), copy xattrs.
 *
 * The trees were made from untrusted layers or by a container, so they may be
 * arbitrarily deep (chains of symlinked parents make the real depth exceed any
 * path-length limit). Removal therefore walks with O(1) fds (down by name, up by
 * ".."), which is safe because nothing else changes these private trees while we
 * work; the merge recurses with one fd per level and stops at MAX_DEPTH with an
 * error. */
#include "internal.h"
#include "../base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_DEPTH            1024
#define FS_PREALLOC_STEP     ((off_t)4 << 20)
#define FS_PREALLOC_MIN      ((off_t)1 << 20)
#define XATTR_LIST_MAX_BYTES (64u << 10)

bool fs_is_whiteout(mode_t mode, dev_t rdev)
{
    return S_ISCHR(mode) && major(rdev) == 0 && minor(rdev) == 0;
}

void fs_prealloc_ahead(struct fs_prealloc *p, int fd, off_t pos, size_t len, off_t limit)
{
    off_t want = pos + (off_t)len, end;

    /* small files: delayed allocation is as cheap, and no extra syscall */
    if (p->off || limit < FS_PREALLOC_MIN || want <= p->end || p->end >= limit)
        return;
    end = want + FS_PREALLOC_STEP < limit ? want + FS_PREALLOC_STEP : limit;
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, p->end, end - p->end) < 0) {
        p->off = true; /* EOPNOTSUPP, ENOSPC (the write will say), ...: plain writes */
        return;
    }
    p->end = end;
}

static bool is_dot(const char *n)
{
    return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

/* d_type, or lstat when the filesystem does not fill it. */
static unsigned char entry_type(int dirfd, struct dirent *de)
{
    struct stat st;
    if (de->d_type != DT_UNKNOWN)
        return de->d_type;
    if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return DT_UNKNOWN;
    return S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
}

int fs_rm_at(int dirfd, const char *name, hull_error *err)
{
    _cleanup_strv_ char **stack = NULL;
    struct stat st;
    size_t depth = 0;
    dev_t dev;
    int cur;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : hull_error_set(err, errno, "stat %s", name);
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
            return hull_error_set(err, errno, "remove %s", name);
        return 0;
    }
    dev = st.st_dev;
    cur = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cur < 0)
        return hull_error_set(err, errno, "open %s", name);
    for (;;) {
        _cleanup_free_ char *descend = NULL;
        struct dirent *de;
        int dup_fd = fcntl(cur, F_DUPFD_CLOEXEC, 3);
        DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;

        if (d == NULL) {
            int e = errno;
            if (dup_fd >= 0)
                close(dup_fd);
            close(cur);
            return hull_error_set(err, e, "read directory in %s", name);
        }
        rewinddir(d);
        while ((de = readdir(d)) != NULL) {
            if (is_dot(de->d_name))
                continue;
            if (entry_type(cur, de) == DT_DIR) {
                descend = xstrdup(de->d_name);
                break;
            }
            if (unlinkat(cur, de->d_name, 0) < 0 && errno != ENOENT) {
                int e = errno;
                closedir(d);
                close(cur);
                return hull_error_set(err, e, "remove %s/.../%s", name, de->d_name);
            }
        }
        closedir(d);
        if (descend) {
            int child = openat(cur, descend, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0 || fstat(child, &st) < 0 || st.st_dev != dev) {
                int e = child < 0 ? errno : EXDEV;
                if (child >= 0)
                    close(child);
                close(cur);
                return hull_error_set(err, e, "remove %s: descend into %s", name, descend);
            }
            close(cur);
            cur = child;
            strv_push(&stack, steal_pointer(&descend));
            depth++;
            continue;
        }
        if (depth == 0) {
            close(cur);
            if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return hull_error_set(err, errno, "remove %s", name);
            return 0;
        }
        {
            int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            close(cur);
            if (parent < 0)
                return hull_error_set(err, errno, "remove %s: open parent", name);
            depth--;
            if (unlinkat(parent, stack[depth], AT_REMOVEDIR) < 0 && errno != ENOENT) {
                int e = errno;
                close(parent);
                return hull_error_set(err, e, "remove %s/.../%s", name, stack[depth]);
            }
            free(stack[depth]);
            stack[depth] = NULL;
            cur = parent;
        }
    }
}

int fs_empty_dir(int dirfd, hull_error *err)
{
    int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    _cleanup_strv_ char **names = NULL;
    struct dirent *de;

    if (d == NULL) {
        if (dup_fd >= 0)
            close(dup_fd);
        return hull_error_set(err, errno, "read directory");
    }
    rewinddir(d);
    while ((de = readdir(d)) != NULL)
        if (!is_dot(de->d_name))
            strv_push(&names, xstrdup(de->d_name));
    closedir(d);
    for (char **n = names; n && *n; n++)
        if (fs_rm_at(dirfd, *n, err) < 0)
            return -1;
    return 0;
}

int fs_copy_xattrs(int srcfd, int dstfd, bool symlink, hull_error *err)
{
    _cleanup_free_ char *list = NULL, *value = NULL;
    ssize_t n;

    if (symlink)
        return 0; /* user.* is not allowed on symlinks; nothing of ours lives there */
    n = flistxattr(srcfd, NULL, 0);
    if (n <= 0)
        return 0;
    if ((size_t)n > XATTR_LIST_MAX_BYTES)
        return hull_error_msg(err, E2BIG, "xattr list too large");
    list = xmalloc0((size_t)n + 1);
    n = flistxattr(srcfd, list, (size_t)n);
    if (n < 0)
        return 0;
    value = xmalloc0(XATTR_LIST_MAX_BYTES);
    for (char *name = list; name < list + n; name += strlen(name) + 1) {
        ssize_t vlen;
        /* overlay metadata belongs to the layer stack, not to the merged copy */
        if (hull_str_has_prefix(name, "trusted.overlay.") ||
            hull_str_has_prefix(name, "user.overlay."))
            continue;
        vlen = fgetxattr(srcfd, name, value, XATTR_LIST_MAX_BYTES);
        if (vlen < 0)
            continue;
        if (fsetxattr(dstfd, name, value, (size_t)vlen, 0) < 0 && errno != ENOTSUP &&
            errno != EPERM)
            return hull_error_set(err, errno, "set xattr %s", name);
    }
    return 0;
}

static bool dir_is_opaque(int fd)
{
    char v[2] = {0};
    return fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static int copy_meta(int fd, const struct stat *st, hull_error *err)
{
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (fchown(fd, st->st_uid, st->st_gid) < 0 && !(errno == EPERM && geteuid() != 0))
        return hull_error_set(err, errno, "chown");
    if (fchmod(fd, st->st_mode & 07777) < 0)
        return hull_error_set(err, errno, "chmod");
    if (futimens(fd, ts) < 0)
        return hull_error_set(err, errno, "set times");
    return 0;
}

static int copy_data(int in, int out, off_t size, hull_error *err)
{
    char buf[64 << 10];
    while (size > 0) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)size, 0);
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
            break;
        if (n < 0)
            return hull_error_set(err, errno, "copy");
        if (n == 0)
            return 0;
        size -= n;
    }
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hull_error_set(err, errno, "read");
        if (n == 0)
            return 0;
        if (hull_write_all(out, buf, (size_t)n) < 0)
            return hull_error_set(err, errno, "write");
    }
}

static int copy_leaf(int src, int dst, const char *name, const struct stat *st, hull_error *err)
{
    struct timespec ts[2] = {st->st_atim, st->st_mtim};

    if (S_ISREG(st->st_mode)) {
        _cleanup_close_ int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int out = -1;
        if (in < 0)
            return hull_error_set(err, errno, "open %s", name);
        out = openat(dst, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
            return hull_error_set(err, errno, "create %s", name);
        if (copy_data(in, out, st->st_size, err) < 0 || fs_copy_xattrs(in, out, false, err) < 0 ||
            copy_meta(out, st, err) < 0)
            return hull_error_prefix(err, "%s", name);
        return 0;
    }
    if (S_ISLNK(st->st_mode)) {
        char target[4097];
        ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
        if (n < 0)
            return hull_error_set(err, errno, "readlink %s", name);
        target[n] = '\0';
        if (symlinkat(target, dst, name) < 0)
            return hull_error_set(err, errno, "symlink %s", name);
    } else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode)) {
        if (mknodat(dst, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
            return hull_error_set(err, errno, "mknod %s", name);
        if (fchmodat(dst, name, st->st_mode & 07777, 0) < 0)
            return hull_error_set(err, errno, "chmod %s", name);
    } else {
        return 0; /* sockets */
    }
    if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
        !(errno == EPERM && geteuid() != 0))
        return hull_error_set(err, errno, "chown %s", name);
    if (utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error_set(err, errno, "set times of %s", name);
    return 0;
}

static int apply_layer(int src, int dst, int depth, hull_error *err)
{
    int dup_fd = fcntl(src, F_DUPFD_CLOEXEC, 3);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    _cleanup_strv_ char **names = NULL;
    struct dirent *de;

    if (depth > MAX_DEPTH) {
        if (d)
            closedir(d);
        return hull_error_msg(err, ELOOP, "directory tree deeper than %d levels", MAX_DEPTH);
    }
    if (d == NULL) {
        if (dup_fd >= 0)
            close(dup_fd);
        return hull_error_set(err, errno, "read layer directory");
    }
    rewinddir(d);
    while ((de = readdir(d)) != NULL)
        if (!is_dot(de->d_name))
            strv_push(&names, xstrdup(de->d_name));
    closedir(d);

    for (char **n = names; n && *n; n++) {
        struct stat st, dst_st;
        bool exists;

        if (fstatat(src, *n, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return hull_error_set(err, errno, "stat %s", *n);
        exists = fstatat(dst, *n, &dst_st, AT_SYMLINK_NOFOLLOW) == 0;
        if (fs_is_whiteout(st.st_mode, st.st_rdev)) {
            if (exists && fs_rm_at(dst, *n, err) < 0)
                return -1;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            _cleanup_close_ int s = -1, t = -1;
            s = openat(src, *n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (s < 0)
                return hull_error_set(err, errno, "open %s", *n);
            if (exists && !S_ISDIR(dst_st.st_mode)) {
                if (fs_rm_at(dst, *n, err) < 0)
                    return -1;
                exists = false;
            }
            if (!exists && mkdirat(dst, *n, 0700) < 0)
                return hull_error_set(err, errno, "mkdir %s", *n);
            t = openat(dst, *n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (t < 0)
                return hull_error_set(err, errno, "open %s", *n);
            /* an opaque directory hides what the lower layers had in it */
            if (exists && dir_is_opaque(s) && fs_empty_dir(t, err) < 0)
                return hull_error_prefix(err, "%s", *n);
            if (apply_layer(s, t, depth + 1, err) < 0)
                return hull_error_prefix(err, "%s", *n);
            if (fs_copy_xattrs(s, t, false, err) < 0 || copy_meta(t, &st, err) < 0)
                return hull_error_prefix(err, "%s", *n);
            continue;
        }
        if (exists && fs_rm_at(dst, *n, err) < 0)
            return -1;
        if (copy_leaf(src, dst, *n, &st, err) < 0)
            return -1;
    }
    return 0;
}

int fs_apply_layer(int srcfd, int dstfd, hull_error *err)
{
    struct stat st;
    if (apply_layer(srcfd, dstfd, 0, err) < 0)
        return -1;
    /* the layer's own root directory: its mode and owner are the rootfs's */
    if (fstat(srcfd, &st) < 0)
        return hull_error_set(err, errno, "stat layer root");
    return copy_meta(dstfd, &st, err);
}
