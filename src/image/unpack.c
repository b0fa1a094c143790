/* Layer unpacking: a (plain, gzip or zstd) tar stream into a directory.
 *
 * Threat model: the tar is hostile. It may name entries "../x" or "/etc/x", put a
 * symlink "a -> /etc" before "a/passwd", hardlink to "/etc/shadow", carry device
 * nodes, setuid binaries, file capabilities (security.capability), overlay xattrs
 * that redirect lookups, or millions of entries, or decompress to terabytes.
 *
 * Defenses, in the order an entry meets them:
 *  - limits: entry count, path length, total uncompressed bytes (counted as the
 *    stream is decompressed, so a bomb stops at the limit, not at the disk) and
 *    total file sizes (so a sparse entry cannot claim a huge apparent size);
 *  - the path is cleaned: "." and empty components dropped, a leading "/" ignored
 *    (as tar, docker and containerd do: the entry lands inside the root), and any
 *    ".." component refused;
 *  - the parent directory is opened with openat2(RESOLVE_IN_ROOT |
 *    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) relative to the root fd: symlinks in
 *    the path are followed as if the root were "/", so "a/passwd" through "a ->
 *    /etc" lands in <root>/etc/passwd, never in the host's /etc;
 *  - the entry itself is created with *at() calls relative to that parent fd, with
 *    O_CREAT|O_EXCL|O_NOFOLLOW for files (an existing name is unlinked first), so
 *    a final-component symlink is never written through;
 *  - a hardlink target is resolved in the root the same way and must exist in this
 *    layer; it is linked through its fd;
 *  - device nodes are skipped unless HULL_UNPACK_ALLOW_DEVICES, setuid/setgid bits
 *    on files dropped unless HULL_UNPACK_KEEP_SETUID, security.* xattrs (file
 *    capabilities, SELinux labels) dropped unless HULL_UNPACK_SECURITY_XATTRS, and
 *    trusted.overlay.* xattrs always dropped (only our whiteout code sets them).
 * The root directory is private to the caller (a fresh temp dir under a 0700
 * parent), so nothing races with us inside it. */
#include "internal.h"
#include "gzip.h"
#include "layer_stream.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define DEFAULT_MAX_BYTES   (64ull << 30)
#define DEFAULT_MAX_ENTRIES (4ull << 20)
#define DEFAULT_MAX_PATH    4096
#define WH_PREFIX           ".wh."
#define WH_OPAQUE           ".wh..wh..opq"
#define RESOLVE_FLAGS       RESOLVE_NO_XDEV
#define NEW_FILE_FLAGS      (O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC)

struct deferred_dir {
    char *path;
    struct timespec ts[2];
};

struct unpack {
    int rootfd;
    unsigned flags;
    uint64_t max_bytes, max_entries, max_path;
    const struct hull_image_unpack_opts *opts;

    struct layer_stream ls; /* the bytes: hashes, decompression, the bomb limit */

    char *cache_dir; /* the last parent opened, and its fd */
    int cache_fd;
    bool cache_stale; /* something was removed: re-resolve at the next open_parent */
    int owner_fd;     /* the parent whose new inodes' owner is known (-1: none) ... */
    uid_t owner_uid;  /* ... and that owner: ours, or the parent's group if setgid */
    gid_t owner_gid;
    struct deferred_dir *dirs;
    size_t n_dirs;

    uint64_t entries, file_bytes;
    uint64_t n_devices, n_setuid, n_xattrs;
    char first_device[256], first_setuid[256], first_xattr[256];
    hull_error *err;
    char name[256]; /* the current entry, printable, for messages */
};

/* ---- input ---------------------------------------------------------------------------- */

static ssize_t fd_read(void *data, void *buf, size_t len)
{
    ssize_t n;
    do
        n = read(*(int *)data, buf, len);
    while (n < 0 && errno == EINTR);
    return n;
}

/* ---- messages --------------------------------------------------------------------------- */

static void set_name(struct unpack *u, const char *raw)
{
    size_t i = 0;
    for (; raw && raw[i] && i + 4 < sizeof(u->name); i++)
        u->name[i] = (raw[i] >= 0x20 && raw[i] < 0x7f) ? raw[i] : '?';
    if (raw && raw[i])
        memcpy(u->name + i, "...", 3), i += 3;
    u->name[i] = '\0';
}

static int entry_error(struct unpack *u, int errnum, const char *what)
{
    if (errnum)
        return hull_error_set(u->err, errnum, "layer entry \"%s\": %s", u->name, what);
    return hull_error_msg(u->err, EINVAL, "layer entry \"%s\": %s", u->name, what);
}

static void note(uint64_t *count, char *first, size_t size, const char *name)
{
    size_t n = strlen(name);
    if ((*count)++ == 0 && size > 0) {
        n = n < size - 1 ? n : size - 1;
        memcpy(first, name, n);
        first[n] = '\0';
    }
}

static void warn(struct unpack *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct unpack *u, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (u->opts == NULL || u->opts->warn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    u->opts->warn(u->opts->warn_data, msg);
}

/* ---- paths ------------------------------------------------------------------------------ */

/* Clean `raw` into a relative path without ".", "" or ".." components. Returns NULL
 * (with the error set) for "..". An empty result is the root itself. */
static char *clean_path(struct unpack *u, const char *raw)
{
    _cleanup_free_ char *copy = xstrdup(raw);
    char *out = xmalloc0(strlen(raw) + 1), *save = NULL;
    size_t n = 0;

    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            free(out);
            entry_error(u, 0, "path contains \"..\" (would escape the layer root)");
            return NULL;
        }
        if (n)
            out[n++] = '/';
        memcpy(out + n, c, strlen(c));
        n += strlen(c);
    }
    out[n] = '\0';
    return out;
}

static void cache_drop(struct unpack *u)
{
    u->owner_fd = -1; /* the fd number may come back for another directory */
    free(u->cache_dir);
    u->cache_dir = NULL;
    if (u->cache_fd >= 0)
        close(u->cache_fd);
    u->cache_fd = -1;
}

/* An O_PATH fd of directory `dir` (clean, relative; "" = root), created with its
 * missing parents (0755, root-owned, like tar's implicit directories). Borrowed:
 * valid until the next call or cache_drop(). */
static int open_parent(struct unpack *u, const char *dir)
{
    _cleanup_free_ char *copy = NULL, *prefix = NULL;
    _cleanup_close_ int cur = -1;
    char *save = NULL;
    int fd;

    if (*dir == '\0')
        return u->rootfd;
    if (u->cache_stale) {
        cache_drop(u);
        u->cache_stale = false;
    }
    if (u->cache_dir && strcmp(u->cache_dir, dir) == 0)
        return u->cache_fd;
    cache_drop(u);
    fd = hull_openat_in_root(u->rootfd, dir, O_PATH | O_DIRECTORY, RESOLVE_FLAGS);
    if (fd < 0 && errno != ENOENT) {
        if (errno == ENOTDIR)
            return entry_error(u, 0, "a parent path component is not a directory");
        return entry_error(u, errno, "resolve parent directory");
    }
    if (fd < 0) {
        /* Walk down creating what is missing. Each prefix is resolved from the
         * root again (a symlink in it stays inside); a new component is made with
         * mkdirat() relative to its already resolved parent. */
        copy = xstrdup(dir);
        prefix = xmalloc0(strlen(dir) + 1);
        cur = fcntl(u->rootfd, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
            return entry_error(u, errno, "dup root fd");
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
            int child;
            if (*prefix)
                strcat(prefix, "/");
            strcat(prefix, c);
            child = hull_openat_in_root(u->rootfd, prefix, O_PATH | O_DIRECTORY, RESOLVE_FLAGS);
            if (child < 0 && errno == ENOENT) {
                if (mkdirat(cur, c, 0755) < 0) {
                    /* EEXIST after ENOENT: a dangling symlink. Creating its target
                     * would let the layer choose where we write. */
                    if (errno == EEXIST)
                        return entry_error(u, 0, "a parent is a dangling symlink");
                    return entry_error(u, errno, "create parent directory");
                }
                child = hull_openat_in_root(u->rootfd, prefix, O_PATH | O_DIRECTORY, RESOLVE_FLAGS);
            }
            if (child < 0) {
                if (errno == ENOTDIR)
                    return entry_error(u, 0, "a parent path component is not a directory");
                return entry_error(u, errno, "resolve parent directory");
            }
            close(cur);
            cur = child;
        }
        fd = steal_fd(&cur);
    }
    u->cache_dir = xstrdup(dir);
    u->cache_fd = fd;
    return fd;
}

/* Make `name` free for a new entry; returns 1 when it is a directory and a directory
 * is wanted (kept, as tar merges directories). */
static int make_room(struct unpack *u, int parent, const char *name, bool want_dir)
{
    struct stat st;
    hull_error rm_err = {0};

    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return entry_error(u, errno, "stat");
    }
    if (want_dir && S_ISDIR(st.st_mode))
        return 1;
    /* Removing may change what a cached parent path resolves to (the fd in use
     * stays open until the next entry). */
    u->cache_stale = true;
    if (S_ISDIR(st.st_mode)) {
        if (fs_rm_at(parent, name, &rm_err) < 0) {
            int e = rm_err.errnum;
            hull_error_clear(&rm_err);
            return entry_error(u, e, "remove the directory it replaces");
        }
    } else if (unlinkat(parent, name, 0) < 0) {
        return entry_error(u, errno, "remove the file it replaces");
    }
    return 0;
}

/* Entries are created first, and only when the create failed with EEXIST is the
 * name made free (make_room) and the create tried once more: most names are new, and
 * a stat before every create would cost a syscall per entry. The creates never
 * follow or replace an existing name (O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat, symlinkat,
 * mknodat), so trying first is as safe as looking first. Returns what make_room
 * does, or -1 with the error of `op` for any other errno. */
static int make_room_on_eexist(struct unpack *u, int parent, const char *name, bool want_dir,
                               const char *op)
{
    if (errno != EEXIST)
        return entry_error(u, errno, op);
    return make_room(u, parent, name, want_dir);
}

/* ---- metadata --------------------------------------------------------------------------- */

static bool xattr_allowed(struct unpack *u, const char *name)
{
    if (u->flags & HULL_UNPACK_NO_XATTRS)
        return false;
    /* Overlay metadata from a layer could hide or redirect lower files: never. */
    if (hull_str_has_prefix(name, "trusted.overlay.") || hull_str_has_prefix(name, "user.overlay."))
        return false;
    if (hull_str_has_prefix(name, "security."))
        return (u->flags & HULL_UNPACK_SECURITY_XATTRS) != 0;
    return hull_str_has_prefix(name, "user.") || hull_str_has_prefix(name, "trusted.") ||
           hull_str_has_prefix(name, "system.posix_acl_");
}

/* Set the entry's xattrs on fd (a file or directory opened for reading/writing). */
static int apply_xattrs(struct unpack *u, struct archive_entry *e, int fd)
{
    const char *name;
    const void *value;
    size_t size;

    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (name == NULL)
            continue;
        if (!xattr_allowed(u, name)) {
            if (!(u->flags & HULL_UNPACK_NO_XATTRS))
                note(&u->n_xattrs, u->first_xattr, sizeof(u->first_xattr), u->name);
            continue;
        }
        if (fsetxattr(fd, name, value, size, 0) < 0 && errno != ENOTSUP && errno != EPERM)
            return entry_error(u, errno, "set xattr");
    }
    return 0;
}

/* True when an inode just created in `parent` already has owner uid:gid: it got
 * our fsuid and our fsgid, or the parent's group when the parent is setgid. One
 * fstat per parent directory instead of one chown per entry (most layers are
 * root-owned and unpacked by root). */
static bool owner_is(struct unpack *u, int parent, uid_t uid, gid_t gid)
{
    struct stat st;

    if (parent != u->owner_fd) {
        if (fstat(parent, &st) < 0)
            return false;
        u->owner_fd = parent;
        u->owner_uid = geteuid();
        u->owner_gid = (st.st_mode & S_ISGID) ? st.st_gid : getegid();
    }
    return uid == u->owner_uid && gid == u->owner_gid;
}

/* Give the entry its owner; `fresh_in` is the parent fd when the inode was just
 * created there (its owner is then known), else -1. */
static int apply_owner(struct unpack *u, struct archive_entry *e, int fd, int parent,
                       const char *name, int fresh_in)
{
    la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
    int r;

    if (u->flags & HULL_UNPACK_NO_CHOWN)
        return 0;
    if (uid < 0 || gid < 0 || uid >= (la_int64_t)UINT32_MAX || gid >= (la_int64_t)UINT32_MAX)
        return entry_error(u, 0, "uid/gid out of range");
    if (fresh_in >= 0 && owner_is(u, fresh_in, (uid_t)uid, (gid_t)gid))
        return 0;
    if (fd >= 0)
        r = fchown(fd, (uid_t)uid, (gid_t)gid);
    else
        r = fchownat(parent, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW);
    /* Unprivileged callers (tests, rootless) cannot give files away: keep theirs. */
    if (r < 0 && !(errno == EPERM && geteuid() != 0))
        return entry_error(u, errno, "chown");
    return 0;
}

static mode_t entry_mode(struct unpack *u, struct archive_entry *e, bool is_file)
{
    mode_t mode = archive_entry_perm(e) & 07777;
    /* setgid on a directory only means "inherit the group": harmless, kept. */
    if (is_file && (mode & (S_ISUID | S_ISGID)) && !(u->flags & HULL_UNPACK_KEEP_SETUID)) {
        note(&u->n_setuid, u->first_setuid, sizeof(u->first_setuid), u->name);
        mode &= ~(mode_t)(S_ISUID | S_ISGID);
    }
    return mode;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_is_set(e) ? archive_entry_mtime_nsec(e) : 0;
    if (ts[1].tv_nsec < 0 || ts[1].tv_nsec > 999999999)
        ts[1].tv_nsec = 0;
    ts[0] = ts[1];
}

/* ---- entry kinds ------------------------------------------------------------------------ */

static int do_file(struct unpack *u, struct archive *a, struct archive_entry *e, int parent,
                   const char *name)
{
    _cleanup_close_ int fd = -1;
    la_int64_t size = archive_entry_size(e), pos = 0;
    /* not for sparse entries: their holes would get blocks */
    struct fs_prealloc pa = {.off = archive_entry_sparse_count(e) > 0};
    struct timespec ts[2];
    const void *buf;
    size_t len;
    la_int64_t off;
    int r;

    if (size < 0)
        return entry_error(u, 0, "negative size");
    u->file_bytes += (uint64_t)size;
    if (u->file_bytes > u->max_bytes)
        return hull_error_msg(u->err, EFBIG, "layer entry \"%s\": files total more than %llu bytes",
                              u->name, (unsigned long long)u->max_bytes);
    fd = openat(parent, name, NEW_FILE_FLAGS, 0600);
    if (fd < 0) {
        if (make_room_on_eexist(u, parent, name, false, "create") < 0)
            return -1;
        fd = openat(parent, name, NEW_FILE_FLAGS, 0600);
        if (fd < 0)
            return entry_error(u, errno, "create");
    }
    while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
        if (off < 0 || off > size || (la_int64_t)len > size - off)
            return entry_error(u, 0, "data beyond the declared size");
        if (off != pos && lseek(fd, off, SEEK_SET) < 0)
            return entry_error(u, errno, "seek");
        fs_prealloc_ahead(&pa, fd, off, len, size);
        if (hull_write_all(fd, buf, len) < 0)
            return entry_error(u, errno, "write");
        pos = off + (la_int64_t)len;
    }
    if (r != ARCHIVE_EOF)
        return hull_error_msg(u->err, EIO, "layer entry \"%s\": read data: %s", u->name,
                              u->ls.limit_hit ? "uncompressed size limit reached"
                                              : archive_error_string(a));
    if (pos != size && ftruncate(fd, size) < 0) /* sparse tail */
        return entry_error(u, errno, "truncate");
    if (apply_owner(u, e, fd, -1, NULL, parent) < 0)
        return -1;
    if (fchmod(fd, entry_mode(u, e, true)) < 0)
        return entry_error(u, errno, "chmod");
    if (apply_xattrs(u, e, fd) < 0)
        return -1;
    entry_times(e, ts);
    if (futimens(fd, ts) < 0)
        return entry_error(u, errno, "set times");
    return 0;
}

static int do_dir(struct unpack *u, struct archive_entry *e, int parent, const char *name,
                  const char *path)
{
    _cleanup_close_ int fd = -1;
    struct deferred_dir *d;
    int exists, fresh_in = -1; /* parent, when the directory is new */

    if (*path == '\0') {
        fd = openat(u->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } else {
        if (mkdirat(parent, name, 0700) == 0) {
            fresh_in = parent;
        } else {
            /* a directory there is kept (tar merges directories), anything else goes */
            exists = make_room_on_eexist(u, parent, name, true, "mkdir");
            if (exists < 0)
                return -1;
            if (!exists && mkdirat(parent, name, 0700) < 0)
                return entry_error(u, errno, "mkdir");
            fresh_in = exists ? -1 : parent;
        }
        fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0)
        return entry_error(u, errno, "open directory");
    if (apply_owner(u, e, fd, -1, NULL, fresh_in) < 0)
        return -1;
    if (fchmod(fd, entry_mode(u, e, false)) < 0)
        return entry_error(u, errno, "chmod");
    if (apply_xattrs(u, e, fd) < 0)
        return -1;
    /* Times last: later entries inside would change the mtime again. */
    u->dirs = xrealloc(u->dirs, (u->n_dirs + 1) * sizeof(*u->dirs));
    d = &u->dirs[u->n_dirs++];
    d->path = xstrdup(path);
    entry_times(e, d->ts);
    return 0;
}

static int do_symlink(struct unpack *u, struct archive_entry *e, int parent, const char *name)
{
    const char *target = archive_entry_symlink(e);
    struct timespec ts[2];

    /* The target is stored, never followed here: what it points at only matters
     * inside the container, and our own lookups resolve in the root. */
    if (target == NULL || *target == '\0')
        return entry_error(u, 0, "symlink without a target");
    if (symlinkat(target, parent, name) < 0) {
        if (make_room_on_eexist(u, parent, name, false, "symlink") < 0)
            return -1;
        if (symlinkat(target, parent, name) < 0)
            return entry_error(u, errno, "symlink");
    }
    if (apply_owner(u, e, -1, parent, name, parent) < 0)
        return -1;
    entry_times(e, ts);
    if (utimensat(parent, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return entry_error(u, errno, "set times");
    return 0;
}

static int do_hardlink(struct unpack *u, const char *raw_target, int parent, const char *name)
{
    _cleanup_free_ char *target = NULL;
    _cleanup_close_ int tfd = -1;
    struct stat st, cur;
    char proc[32];

    target = clean_path(u, raw_target);
    if (target == NULL)
        return hull_error_prefix(u->err, "hardlink target");
    if (*target == '\0')
        return entry_error(u, 0, "hardlink to the layer root");
    /* Resolved in the root: "/etc/shadow" means <root>/etc/shadow, which must be a
     * file this layer already created. */
    tfd = hull_openat_in_root(u->rootfd, target, O_PATH | O_NOFOLLOW, RESOLVE_FLAGS);
    if (tfd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return entry_error(u, 0, "hardlink target is not in this layer");
        return entry_error(u, errno, "resolve hardlink target");
    }
    if (fstat(tfd, &st) < 0)
        return entry_error(u, errno, "stat hardlink target");
    if (S_ISDIR(st.st_mode))
        return entry_error(u, 0, "hardlink to a directory");
    if (fstatat(parent, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 && cur.st_ino == st.st_ino &&
        cur.st_dev == st.st_dev)
        return 0;
    if (make_room(u, parent, name, false) < 0)
        return -1;
    if (linkat(tfd, "", parent, name, AT_EMPTY_PATH) < 0 &&
        linkat(AT_FDCWD, hull_fd_path(tfd, proc), parent, name, AT_SYMLINK_FOLLOW) < 0)
        return entry_error(u, errno, "hardlink");
    return 0;
}

static int do_node(struct unpack *u, struct archive_entry *e, int parent, const char *name,
                   mode_t type)
{
    struct timespec ts[2];
    dev_t dev =
        type == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));

    if (type != S_IFIFO && !(u->flags & HULL_UNPACK_ALLOW_DEVICES)) {
        note(&u->n_devices, u->first_device, sizeof(u->first_device), u->name);
        return 0;
    }
    if (mknodat(parent, name, type | 0600, dev) < 0) {
        if (make_room_on_eexist(u, parent, name, false, "mknod") < 0)
            return -1;
        if (mknodat(parent, name, type | 0600, dev) < 0)
            return entry_error(u, errno, "mknod");
    }
    if (apply_owner(u, e, -1, parent, name, parent) < 0)
        return -1;
    if (fchmodat(parent, name, entry_mode(u, e, false), 0) < 0)
        return entry_error(u, errno, "chmod");
    entry_times(e, ts);
    if (utimensat(parent, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return entry_error(u, errno, "set times");
    return 0;
}

/* ".wh..wh..opq": the parent hides everything below it in lower layers.
 * ".wh.NAME": NAME is deleted from lower layers. Both are turned into what overlayfs
 * understands; a NAME this same layer created is kept (whiteouts only apply to
 * lower layers). */
static int do_whiteout(struct unpack *u, int parent, const char *base)
{
    const char *name = base + strlen(WH_PREFIX);
    char proc[32];
    struct stat st;

    if (strcmp(base, WH_OPAQUE) == 0) {
        if (setxattr(hull_fd_path(parent, proc), "trusted.overlay.opaque", "y", 1, 0) < 0)
            return entry_error(u, errno, "mark directory opaque (trusted.overlay.opaque)");
        return 0;
    }
    if (hull_str_has_prefix(base, WH_PREFIX WH_PREFIX))
        return 0; /* other aufs metadata (.wh..wh.plnk...): meaningless here */
    if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return entry_error(u, 0, "malformed whiteout name");
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    if (mknodat(parent, name, S_IFCHR | 0000, makedev(0, 0)) < 0)
        return entry_error(u, errno, "create whiteout (char 0:0)");
    return 0;
}

static int process_entry(struct unpack *u, struct archive *a, struct archive_entry *e)
{
    const char *raw = archive_entry_pathname(e), *hardlink = archive_entry_hardlink(e);
    _cleanup_free_ char *path = NULL;
    char *slash;
    const char *base, *dir;
    int parent;
    mode_t type = archive_entry_filetype(e);

    set_name(u, raw ? raw : "");
    if (++u->entries > u->max_entries)
        return hull_error_msg(u->err, E2BIG, "layer entry \"%s\": more than %llu entries", u->name,
                              (unsigned long long)u->max_entries);
    if (raw == NULL || *raw == '\0')
        return entry_error(u, 0, "empty path");
    if (strlen(raw) > u->max_path)
        return hull_error_msg(u->err, ENAMETOOLONG,
                              "layer entry \"%s\": path longer than %llu bytes", u->name,
                              (unsigned long long)u->max_path);
    path = clean_path(u, raw);
    if (path == NULL)
        return -1;
    if (*path == '\0') {
        if (type == AE_IFDIR && hardlink == NULL)
            return do_dir(u, e, u->rootfd, ".", "");
        return entry_error(u, 0, "only a directory can be the layer root");
    }
    slash = strrchr(path, '/');
    if (slash) {
        *slash = '\0';
        dir = path;
        base = slash + 1;
    } else {
        dir = "";
        base = path;
    }
    parent = open_parent(u, dir);
    if (parent < 0)
        return -1;
    if (!(u->flags & HULL_UNPACK_NO_WHITEOUTS) && hull_str_has_prefix(base, WH_PREFIX))
        return do_whiteout(u, parent, base);
    if (hardlink)
        return do_hardlink(u, hardlink, parent, base);
    switch (type) {
    case AE_IFREG:
        return do_file(u, a, e, parent, base);
    case AE_IFDIR: {
        char *full = xasprintf("%s%s%s", dir, *dir ? "/" : "", base);
        int r = do_dir(u, e, parent, base, full);
        free(full);
        return r;
    }
    case AE_IFLNK:
        return do_symlink(u, e, parent, base);
    case AE_IFCHR:
        return do_node(u, e, parent, base, S_IFCHR);
    case AE_IFBLK:
        return do_node(u, e, parent, base, S_IFBLK);
    case AE_IFIFO:
        return do_node(u, e, parent, base, S_IFIFO);
    case AE_IFSOCK:
        return 0; /* sockets are runtime objects; tar writers skip them too */
    default:
        return entry_error(u, 0, "unknown entry type");
    }
}

static void apply_dir_times(struct unpack *u)
{
    for (size_t i = u->n_dirs; i-- > 0;) {
        struct deferred_dir *d = &u->dirs[i];
        int fd = *d->path ? hull_openat_in_root(u->rootfd, d->path,
                                                O_RDONLY | O_DIRECTORY | O_NOFOLLOW, RESOLVE_FLAGS)
                          : openat(u->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            (void)futimens(fd, d->ts);
            close(fd);
        }
    }
}

static void report(struct unpack *u)
{
    if (u->n_devices)
        warn(u,
             "layer: skipped %llu device node(s) (first: \"%s\"); devices come from the "
             "runtime, not from images",
             (unsigned long long)u->n_devices, u->first_device);
    if (u->n_setuid)
        warn(u, "layer: dropped setuid/setgid bits from %llu file(s) (first: \"%s\")",
             (unsigned long long)u->n_setuid, u->first_setuid);
    if (u->n_xattrs)
        warn(u, "layer: dropped %llu security/overlay/unknown xattr(s) (first on \"%s\")",
             (unsigned long long)u->n_xattrs, u->first_xattr);
}

int unpack_stream(unpack_read_fn rd, void *rd_data, bool hash_input, int root_dirfd,
                  const struct hull_image_unpack_opts *opts, struct hull_image_unpack_result *res,
                  hull_error *err)
{
    struct unpack u = {
        .rootfd = root_dirfd, .cache_fd = -1, .owner_fd = -1, .err = err, .opts = opts};
    struct archive *inner = NULL;
    struct archive_entry *e;
    int r = -1, ar;

    u.flags = opts ? opts->flags : 0;
    u.max_bytes = opts && opts->limits.max_bytes ? opts->limits.max_bytes : DEFAULT_MAX_BYTES;
    u.max_entries =
        opts && opts->limits.max_entries ? opts->limits.max_entries : DEFAULT_MAX_ENTRIES;
    u.max_path = opts && opts->limits.max_path ? opts->limits.max_path : DEFAULT_MAX_PATH;

    /* Two stages: layer_stream decompresses, hashes and counts; `inner` parses tar
     * from its output. */
    if (layer_stream_open(&u.ls, rd, rd_data, hash_input, u.max_bytes, err) < 0)
        goto out;
    inner = archive_read_new();
    archive_read_support_format_tar(inner);
    archive_read_support_format_gnutar(inner);
    if (archive_read_open(inner, &u.ls, NULL, layer_stream_tar_read, NULL) != ARCHIVE_OK) {
        hull_error_msg(err, EIO, "layer: %s", archive_error_string(inner));
        goto out;
    }
    for (;;) {
        ar = archive_read_next_header(inner, &e);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar == ARCHIVE_WARN)
            ar = ARCHIVE_OK; /* e.g. unknown pax keys: the entry is still usable */
        if (ar != ARCHIVE_OK) {
            if (u.ls.limit_hit)
                hull_error_msg(err, EFBIG,
                               "layer: more than %llu uncompressed bytes (after entry \"%s\")",
                               (unsigned long long)u.max_bytes, u.name);
            else
                hull_error_msg(err, EIO, "layer: read tar%s%s%s: %s", *u.name ? " after \"" : "",
                               u.name, *u.name ? "\"" : "", archive_error_string(inner));
            goto out;
        }
        if (process_entry(&u, inner, e) < 0)
            goto out;
    }
    if (layer_stream_drain(&u.ls, err) < 0)
        goto out;
    apply_dir_times(&u);
    report(&u);
    if (res) {
        layer_stream_digests(&u.ls, res->diff_id, res->digest);
        res->entries = u.entries;
        res->bytes = u.file_bytes;
    }
    r = 0;
out:
    cache_drop(&u);
    if (inner)
        archive_read_free(inner);
    layer_stream_close(&u.ls);
    for (size_t i = 0; i < u.n_dirs; i++)
        free(u.dirs[i].path);
    free(u.dirs);
    return r;
}

int hull_image_unpack_fd(int fd, int root_dirfd, const struct hull_image_unpack_opts *opts,
                         struct hull_image_unpack_result *res, hull_error *err)
{
    return unpack_stream(fd_read, &fd, true, root_dirfd, opts, res, err);
}

const char *unpack_sniff_media_type(int fd)
{
    unsigned char m[4] = {0};
    if (pread(fd, m, sizeof(m), 0) >= 2 && gzip_sniff(m, 2))
        return HULL_MT_OCI_LAYER_GZIP;
    if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return HULL_MT_OCI_LAYER_ZSTD;
    return HULL_MT_OCI_LAYER;
}
