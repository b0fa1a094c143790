/* Directory tree -> layer tar: `hull import DIR`, the embedded busybox image, and
 * `hull commit` (a container's overlay upper dir is exactly its diff against the
 * image, once overlay's own markers are translated back to OCI whiteouts:
 * a char 0:0 device "name" -> an empty ".wh.name", trusted.overlay.opaque=y on a
 * directory -> ".wh..wh..opq" inside it).
 *
 * Output is reproducible: names sorted bytewise, no atime/ctime, whole-second
 * mtimes optionally clamped, owners optionally forced, no user/group names, no
 * gzip timestamp. Hardlinks inside the tree are kept as tar hardlinks.
 * The tree is read with *at() calls and O_NOFOLLOW; symlinks are archived, never
 * followed. */
#include "internal.h"
#include "../base/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_DEPTH 1024
#define COPY_BUF  (256u << 10)

struct link_seen {
    dev_t dev;
    ino_t ino;
    char *path;
};

struct tarw {
    struct archive *a;
    const struct hull_image_tar_opts *opts;
    struct link_seen *links;
    size_t n_links;
    char *buf;
    hull_error *err;
};

static int arch_error(struct tarw *t, const char *path)
{
    return hull_error_msg(t->err, EIO, "write layer tar (%s): %s", path,
                          archive_error_string(t->a));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_common(struct tarw *t, struct archive_entry *e, const struct stat *st)
{
    int64_t mtime = st->st_mtim.tv_sec;
    archive_entry_copy_stat(e, st);
    archive_entry_unset_atime(e);
    archive_entry_unset_ctime(e);
    archive_entry_unset_birthtime(e);
    if (t->opts->clamp_mtime >= 0 && mtime > t->opts->clamp_mtime)
        mtime = t->opts->clamp_mtime;
    archive_entry_set_mtime(e, (time_t)mtime, 0);
    if (t->opts->uid >= 0)
        archive_entry_set_uid(e, t->opts->uid);
    if (t->opts->gid >= 0)
        archive_entry_set_gid(e, t->opts->gid);
    archive_entry_set_nlink(e, 1);
    archive_entry_set_ino64(e, 0);
    archive_entry_set_dev(e, 0);
}

static void add_xattrs(struct archive_entry *e, int fd)
{
    char list[8192], value[8192];
    ssize_t n = flistxattr(fd, list, sizeof(list));
    for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(list + off) + 1) {
        const char *name = list + off;
        ssize_t v;
        if (hull_str_has_prefix(name, "trusted.overlay.") ||
            hull_str_has_prefix(name, "user.overlay."))
            continue;
        v = fgetxattr(fd, name, value, sizeof(value));
        if (v >= 0)
            archive_entry_xattr_add_entry(e, name, value, (size_t)v);
    }
}

static int write_empty(struct tarw *t, const char *path, const struct stat *like)
{
    struct archive_entry *e = archive_entry_new();
    struct stat st = *like;
    int r = 0;
    st.st_mode = S_IFREG | 0644;
    st.st_size = 0;
    set_common(t, e, &st);
    archive_entry_set_pathname(e, path);
    if (archive_write_header(t->a, e) != ARCHIVE_OK)
        r = arch_error(t, path);
    archive_entry_free(e);
    return r;
}

static int write_file_data(struct tarw *t, int fd, const char *path, off_t size)
{
    off_t done = 0;
    while (done < size) {
        ssize_t n = read(fd, t->buf, COPY_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hull_error_set(t->err, errno, "read %s", path);
        if (n == 0)
            break; /* shrank while we read: libarchive pads the entry with zeros */
        if (n > size - done)
            n = (ssize_t)(size - done);
        if (archive_write_data(t->a, t->buf, (size_t)n) < 0)
            return arch_error(t, path);
        done += n;
    }
    return 0;
}

static int write_tree(struct tarw *t, int dirfd, const char *prefix, int depth);

static int write_one(struct tarw *t, int dirfd, const char *name, const char *prefix, int depth)
{
    _cleanup_free_ char *path = xasprintf("%s%s", prefix, name);
    _cleanup_close_ int fd = -1;
    struct archive_entry *e = NULL;
    struct stat st;
    bool opaque = false;
    int r = -1;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error_set(t->err, errno, "stat %s", path);
    if (S_ISSOCK(st.st_mode))
        return 0;
    if (S_ISREG(st.st_mode) && st.st_size == 0 && t->opts->skip_empty)
        for (char *const *p = t->opts->skip_empty; *p; p++)
            if (strcmp(*p, path) == 0)
                return 0;
    if (t->opts->overlay_whiteouts && S_ISCHR(st.st_mode) &&
        fs_is_whiteout(st.st_mode, st.st_rdev)) {
        _cleanup_free_ char *wh = xasprintf("%s.wh.%s", prefix, name);
        return write_empty(t, wh, &st);
    }
    e = archive_entry_new();
    set_common(t, e, &st);
    if (S_ISDIR(st.st_mode)) {
        _cleanup_free_ char *dpath = xasprintf("%s/", path);
        char v[2] = {0};
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            hull_error_set(t->err, errno, "open %s", path);
            goto out;
        }
        /* trusted.* as root; user.* when the overlay was mounted with userxattr */
        opaque = t->opts->overlay_whiteouts &&
                 ((fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y') ||
                  (fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y'));
        archive_entry_set_pathname(e, dpath);
        archive_entry_set_size(e, 0);
        add_xattrs(e, fd);
    } else if (S_ISLNK(st.st_mode)) {
        char target[4097];
        ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
        if (n < 0) {
            hull_error_set(t->err, errno, "readlink %s", path);
            goto out;
        }
        target[n] = '\0';
        archive_entry_set_pathname(e, path);
        archive_entry_set_symlink(e, target);
        archive_entry_set_size(e, 0);
    } else {
        archive_entry_set_pathname(e, path);
        if (!S_ISREG(st.st_mode))
            archive_entry_set_size(e, 0);
        if (st.st_nlink > 1) {
            for (size_t i = 0; i < t->n_links; i++)
                if (t->links[i].dev == st.st_dev && t->links[i].ino == st.st_ino) {
                    archive_entry_set_hardlink(e, t->links[i].path);
                    archive_entry_set_size(e, 0);
                    if (archive_write_header(t->a, e) != ARCHIVE_OK)
                        arch_error(t, path);
                    else
                        r = 0;
                    goto out;
                }
            t->links = xrealloc(t->links, (t->n_links + 1) * sizeof(*t->links));
            t->links[t->n_links++] = (struct link_seen){st.st_dev, st.st_ino, xstrdup(path)};
        }
        if (S_ISREG(st.st_mode)) {
            fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                hull_error_set(t->err, errno, "open %s", path);
                goto out;
            }
            add_xattrs(e, fd);
        }
    }
    if (archive_write_header(t->a, e) != ARCHIVE_OK) {
        arch_error(t, path);
        goto out;
    }
    if (S_ISREG(st.st_mode) && write_file_data(t, fd, path, st.st_size) < 0)
        goto out;
    if (S_ISDIR(st.st_mode)) {
        _cleanup_free_ char *sub = xasprintf("%s/", path);
        if (opaque) {
            _cleanup_free_ char *opq = xasprintf("%s.wh..wh..opq", sub);
            if (write_empty(t, opq, &st) < 0)
                goto out;
        }
        if (write_tree(t, fd, sub, depth + 1) < 0)
            goto out;
    }
    r = 0;
out:
    archive_entry_free(e);
    return r;
}

static int write_tree(struct tarw *t, int dirfd, const char *prefix, int depth)
{
    int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    _cleanup_strv_ char **names = NULL;
    struct dirent *de;
    size_t n;

    if (d == NULL) {
        if (dup_fd >= 0)
            close(dup_fd);
        return hull_error_set(t->err, errno, "read directory %s", *prefix ? prefix : ".");
    }
    if (depth > MAX_DEPTH) {
        closedir(d);
        return hull_error_msg(t->err, ELOOP, "%s: directory tree deeper than %d levels", prefix,
                              MAX_DEPTH);
    }
    rewinddir(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            strv_push(&names, xstrdup(de->d_name));
    closedir(d);
    n = hull_strv_len(names);
    if (n)
        qsort(names, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++)
        if (write_one(t, dirfd, names[i], prefix, depth) < 0)
            return -1;
    return 0;
}

int hull_image_tar_dir(int dirfd, int out_fd, const struct hull_image_tar_opts *opts,
                       hull_error *err)
{
    struct hull_image_tar_opts defaults = {.clamp_mtime = -1, .uid = -1, .gid = -1};
    struct tarw t = {.opts = opts ? opts : &defaults, .err = err};
    int r = -1;

    t.a = archive_write_new();
    t.buf = xmalloc0(COPY_BUF);
    archive_write_set_format_pax_restricted(t.a);
    /* no padding past the end-of-archive blocks: the digest is of the real tar */
    archive_write_set_bytes_in_last_block(t.a, 1);
    if (t.opts->gzip &&
        (archive_write_add_filter_gzip(t.a) != ARCHIVE_OK ||
         archive_write_set_filter_option(t.a, "gzip", "timestamp", NULL) != ARCHIVE_OK)) {
        hull_error_msg(err, ENOTSUP, "gzip: %s", archive_error_string(t.a));
        goto out;
    }
    if (archive_write_open_fd(t.a, out_fd) != ARCHIVE_OK) {
        hull_error_msg(err, EIO, "write layer tar: %s", archive_error_string(t.a));
        goto out;
    }
    if (write_tree(&t, dirfd, "", 0) < 0)
        goto out;
    if (archive_write_close(t.a) != ARCHIVE_OK) {
        hull_error_msg(err, EIO, "write layer tar: %s", archive_error_string(t.a));
        goto out;
    }
    r = 0;
out:
    archive_write_free(t.a);
    for (size_t i = 0; i < t.n_links; i++)
        free(t.links[i].path);
    free(t.links);
    free(t.buf);
    return r;
}
