/* hull cp: copy files between a container and the host, or a tar stream.
 *
 * The container's files are hostile: any path component may be a symlink to
 * "/etc" or "../../..", swapped while we copy (CVE-2018-15664, the docker cp
 * race). So every path inside the container is resolved from a directory fd
 * of its root with openat2(RESOLVE_IN_ROOT) (hull_openat_in_root): symlinks
 * and ".." are resolved as if that fd were "/", and the result is always
 * inside. Below a resolved directory, entries are opened by single names with
 * O_NOFOLLOW, and files are opened O_PATH first, checked to be regular, and
 * only then re-opened for data through /proc/self/fd — so a device node or a
 * FIFO planted in the container is never opened by us (root on the host).
 *
 * The root fd is /proc/PID/root of the container's init while it runs (its
 * volumes and tmpfs mounts are seen as the container sees them), otherwise
 * the overlay rootfs the engine mounted for it. procfs and sysfs are refused:
 * written by host root, their files act on the host's kernel. */
#include "internal.h"
#include "../runtime/runtime.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC      0x62656572
#define CP_MAX_DEPTH     128
#define CP_BUF           65536

/* ---- the container's root ---------------------------------------------- */

/* Open the root of container `ref` (O_PATH directory fd in *rootfd). */
/* The pid of the container's init if the runtime says it runs (its state
 * check compares the process start time, so a recycled pid is not ours). */
static pid_t running_init(struct hull_runtime *rt, const char *id)
{
    json_t *st = NULL;
    pid_t pid = 0;

    if (hull_container_state(rt, id, &st, NULL) == 0 &&
        strcmp(json_string_value(json_object_get(st, "status")) ?: "", "stopped") != 0)
        pid = (pid_t)json_integer_value(json_object_get(st, "pid"));
    json_decref(st);
    return pid;
}

/* /proc/PID/root of a running init. The /proc/PID directory fd pins that
 * task: opened before the second state check, it cannot be a later process
 * that got the same pid (then the check fails), and "root" beneath it cannot
 * be opened once the task is gone. Never the host's own root. */
static int open_init_root(struct hull_runtime *rt, const char *id, pid_t pid, const char *ref,
                          int *rootfd, hull_error *err)
{
    _cleanup_free_ char *p = xasprintf("/proc/%d", pid);
    _cleanup_close_ int procfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct stat a, b;
    int fd;

    if (procfd < 0 || running_init(rt, id) != pid)
        return hull_error_msg(err, ESRCH, "cp: container %s stopped while cp started", ref);
    fd = openat(procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hull_error_set(err, errno, "cp: container %s: open its root", ref);
    if (fstat(fd, &a) < 0 || stat("/", &b) < 0 || (a.st_dev == b.st_dev && a.st_ino == b.st_ino)) {
        close(fd);
        return hull_error_msg(err, EPERM, "cp: container %s: its root is the host's root", ref);
    }
    *rootfd = fd;
    return 0;
}

/* Open the root of container `ref` (O_PATH directory fd in *rootfd). */
static int open_container_root(struct hull_engine *e, const char *ref, int *rootfd, hull_error *err)
{
    _cleanup_free_ char *id = NULL, *rtroot = hull_engine_runtime_root(e);
    _cleanup_free_ char *rootfs = NULL;
    struct hull_runtime rt = {.root = rtroot};
    pid_t pid;
    int fd;

    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return -1;
    pid = running_init(&rt, id);
    if (pid > 0)
        return open_init_root(&rt, id, pid, ref, rootfd, err);
    /* Stopped or created: exited containers hold no mount, so mount it again
     * in a mount namespace of our own (it vanishes with this process), holding
     * the container's lock so that a `start` waits for the copy. */
    if (!hull_engine_rootfs_mounted(e, id)) {
        static int held = -1; /* this one-shot process's lock, until exit */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            return hull_error_set(err, errno, "cp: container %s: private mount namespace", ref);
        if (held >= 0)
            close(held);
        held = hull_engine_ensure_rootfs(e, id, err);
        if (held < 0)
            return hull_error_prefix(err, "cp");
    }
    rootfs = hull_engine_rootfs(e, id);
    fd = open(rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || !hull_engine_rootfs_mounted(e, id)) {
        if (fd >= 0)
            close(fd);
        return hull_error_msg(err, EIO, "cp: container %s: its root filesystem is not mounted",
                              ref);
    }
    *rootfd = fd;
    return 0;
}

static bool on_kernel_fs(int fd)
{
    struct statfs sf;
    return fstatfs(fd, &sf) == 0 && (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC);
}

/* ---- reading a tree (container or host) into archive entries ------------ */

/* Where entries go: a libarchive writer (a tar stream, or the host's disk
 * through archive_write_disk), or the container writer below. */
struct sink {
    struct archive *ar; /* libarchive writer, or NULL */
    int rootfd;         /* container writer: root fd */
    const char *dir;    /* container writer: destination dir in the root */
    bool host;          /* entries land on the host: drop setuid/setgid */
    bool keep_ids;      /* cp -a: keep the entries' uid/gid */
    const char *what;   /* for messages: "container web" */
    json_t *dir_times;  /* container writer: [[path, mtime]...], set last */
};

static int sink_entry(struct sink *s, struct archive_entry *ae, int datafd, struct archive *in,
                      hull_error *err);

/* One regular file's data: the O_PATH fd was checked to be a regular file;
 * the re-open through /proc/self/fd opens that very inode. */
static int open_data(int pathfd, const char *name, int *out, hull_error *err)
{
    char buf[32];
    int fd = open(hull_fd_path(pathfd, buf), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return hull_error_set(err, errno, "cp: open %s", name);
    *out = fd;
    return 0;
}

static struct archive_entry *entry_of(const struct stat *st, const char *name)
{
    struct archive_entry *ae = archive_entry_new();
    archive_entry_copy_stat(ae, st);
    archive_entry_set_pathname(ae, name);
    archive_entry_set_nlink(ae, 1);
    if (!S_ISREG(st->st_mode))
        archive_entry_set_size(ae, 0);
    return ae;
}

static int walk(struct sink *s, int fd, const char *name, bool emit, int depth, hull_error *err);

static int walk_dir(struct sink *s, int fd, const char *name, int depth, hull_error *err)
{
    int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *de;
    int r = 0;

    if (dfd < 0)
        return hull_error_set(err, errno, "cp: open directory %s", name);
    d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return hull_error_set(err, errno, "cp: open directory %s", name);
    }
    while (r == 0 && (errno = 0, de = readdir(d)) != NULL) {
        _cleanup_free_ char *child = NULL;
        int cfd;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        child = name[0] ? xasprintf("%s/%s", name, de->d_name) : xstrdup(de->d_name);
        /* A single name, not followed: the entry itself, in this directory. */
        cfd = openat(dirfd(d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (cfd < 0) {
            if (errno == ENOENT)
                continue; /* removed while we copy */
            r = hull_error_set(err, errno, "cp: open %s", child);
            break;
        }
        r = walk(s, cfd, child, true, depth + 1, err);
        close(cfd);
    }
    closedir(d);
    return r;
}

/* Emit fd (an O_PATH fd of the entry) named `name`, and below it if a
 * directory. emit=false: only its children (the "SRC/." form). */
static int walk(struct sink *s, int fd, const char *name, bool emit, int depth, hull_error *err)
{
    struct archive_entry *ae;
    struct stat st;
    int datafd = -1, r;

    if (depth > CP_MAX_DEPTH)
        return hull_error_msg(err, ELOOP, "cp: %s: more than %d levels deep", name, CP_MAX_DEPTH);
    if (fstat(fd, &st) < 0)
        return hull_error_set(err, errno, "cp: stat %s", name);
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode) &&
        !S_ISFIFO(st.st_mode))
        return 0; /* devices and sockets are not copied */
    if (S_ISDIR(st.st_mode) && on_kernel_fs(fd))
        return 0; /* a /proc or /sys inside the tree */
    if (emit) {
        ae = entry_of(&st, name);
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
            if (n < 0) {
                archive_entry_free(ae);
                return hull_error_set(err, errno, "cp: readlink %s", name);
            }
            target[n] = '\0';
            archive_entry_copy_symlink(ae, target);
        }
        if (S_ISREG(st.st_mode) && open_data(fd, name, &datafd, err) < 0) {
            archive_entry_free(ae);
            return -1;
        }
        r = sink_entry(s, ae, datafd, NULL, err);
        archive_entry_free(ae);
        if (datafd >= 0)
            close(datafd);
        if (r < 0)
            return -1;
    }
    if (S_ISDIR(st.st_mode))
        return walk_dir(s, fd, emit ? name : "", depth, err);
    return 0;
}

/* ---- writing entries ------------------------------------------------------ */

static int copy_data(int datafd, struct archive *in, int64_t size, struct archive *ar, int outfd,
                     const char *name, hull_error *err)
{
    _cleanup_free_ char *buf = xmalloc0(CP_BUF);
    int64_t left = size;

    for (;;) {
        ssize_t n;
        size_t want = in ? CP_BUF : (size_t)(left < CP_BUF ? left : CP_BUF);
        if (!in && want == 0)
            break;
        n = in ? archive_read_data(in, buf, CP_BUF) : read(datafd, buf, want);
        if (n < 0)
            return in ? hull_error_msg(err, EIO, "cp: read %s: %s", name, archive_error_string(in))
                      : hull_error_set(err, errno, "cp: read %s", name);
        if (n == 0)
            break; /* shrank while we copied: libarchive pads a tar entry */
        left -= n;
        if (ar && archive_write_data(ar, buf, (size_t)n) < 0)
            return hull_error_msg(err, EIO, "cp: write %s: %s", name, archive_error_string(ar));
        if (!ar && hull_write_all(outfd, buf, (size_t)n) < 0)
            return hull_error_set(err, errno, "cp: write %s", name);
    }
    return 0;
}

static int archive_sink(struct sink *s, struct archive_entry *ae, int datafd, struct archive *in,
                        hull_error *err)
{
    const char *name = archive_entry_pathname(ae);

    if (s->host)
        archive_entry_set_perm(ae, archive_entry_perm(ae) & ~(mode_t)(S_ISUID | S_ISGID));
    if (archive_write_header(s->ar, ae) < ARCHIVE_WARN)
        return hull_error_msg(err, EIO, "cp: %s: %s", name, archive_error_string(s->ar));
    if (archive_entry_filetype(ae) == AE_IFREG && archive_entry_size(ae) > 0 &&
        copy_data(datafd, in, archive_entry_size(ae), s->ar, -1, name, err) < 0)
        return -1;
    if (archive_write_finish_entry(s->ar) < ARCHIVE_WARN)
        return hull_error_msg(err, EIO, "cp: %s: %s", name, archive_error_string(s->ar));
    return 0;
}

/* Remove what is at parent/base unless it is a directory (a symlink is
 * removed, never followed). */
static int make_room(int parent, const char *base, const char *path, hull_error *err)
{
    struct stat st;
    if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : hull_error_set(err, errno, "cp: stat %s", path);
    if (S_ISDIR(st.st_mode))
        return hull_error_msg(err, EISDIR,
                              "cp: %s: cannot overwrite a directory with a "
                              "non-directory",
                              path);
    if (unlinkat(parent, base, 0) < 0 && errno != ENOENT)
        return hull_error_set(err, errno, "cp: replace %s", path);
    return 0;
}

/* A regular file at parent/base: an existing regular file is truncated
 * through a re-open of its O_PATH fd (so it is that checked inode); anything
 * else there is replaced. */
static int open_file_for_write(int parent, const char *base, mode_t mode, const char *path,
                               int *out, hull_error *err)
{
    for (int tries = 0; tries < 8; tries++) {
        struct stat st;
        char buf[32];
        int pfd = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC), fd;
        if (pfd >= 0) {
            if (fstat(pfd, &st) == 0 && S_ISREG(st.st_mode)) {
                fd = open(hull_fd_path(pfd, buf), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
                close(pfd);
                if (fd < 0)
                    return hull_error_set(err, errno, "cp: open %s", path);
                fchmod(fd, mode);
                *out = fd;
                return 0;
            }
            close(pfd);
            if (make_room(parent, base, path, err) < 0)
                return -1;
        } else if (errno != ENOENT) {
            return hull_error_set(err, errno, "cp: open %s", path);
        }
        fd = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd >= 0) {
            *out = fd;
            return 0;
        }
        if (errno != EEXIST)
            return hull_error_set(err, errno, "cp: create %s", path);
        /* Something appeared meanwhile (the container is running): again. */
    }
    return hull_error_msg(err, EAGAIN, "cp: %s keeps changing", path);
}

static int create_in_container(struct sink *s, struct archive_entry *ae, int datafd,
                               struct archive *in, hull_error *err)
{
    const char *name = archive_entry_pathname(ae);
    _cleanup_free_ char *path = xasprintf("%s/%s", s->dir, name);
    _cleanup_free_ char *pcopy = xstrdup(path), *bcopy = xstrdup(path);
    const char *parent_path = dirname(pcopy), *base = basename(bcopy);
    mode_t mode = archive_entry_perm(ae) & 07777;
    struct timespec ts[2] = {{.tv_sec = archive_entry_mtime(ae)},
                             {.tv_sec = archive_entry_mtime(ae)}};
    _cleanup_close_ int parent = -1;
    int fd = -1, r = 0;

    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(base, "/") == 0)
        return 0; /* the destination itself */
    parent = hull_openat_in_root(s->rootfd, parent_path, O_PATH | O_DIRECTORY, 0);
    if (parent < 0)
        return hull_error_set(err, errno, "cp: %s: %s", s->what, parent_path);
    if (on_kernel_fs(parent))
        return hull_error_msg(err, EPERM, "cp: %s: %s is on procfs or sysfs: not copied", s->what,
                              path);
    switch (archive_entry_filetype(ae)) {
    case AE_IFDIR:
        if (mkdirat(parent, base, mode ? mode : 0755) < 0) {
            struct stat st;
            if (errno != EEXIST)
                return hull_error_set(err, errno, "cp: %s: mkdir %s", s->what, path);
            if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
                (make_room(parent, base, path, err) < 0 || mkdirat(parent, base, mode) < 0))
                return err && err->msg
                           ? -1
                           : hull_error_set(err, errno, "cp: %s: mkdir %s", s->what, path);
        }
        fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            fchmod(fd, mode);
            close(fd);
        }
        /* Its time is set once its entries are written (they change it). */
        if (s->dir_times == NULL)
            s->dir_times = json_array();
        json_array_append_new(s->dir_times, json_pack("[s, I]", path, (json_int_t)ts[0].tv_sec));
        return 0;
    case AE_IFLNK:
        if (make_room(parent, base, path, err) < 0)
            return -1;
        if (symlinkat(archive_entry_symlink(ae) ?: "", parent, base) < 0)
            return hull_error_set(err, errno, "cp: %s: symlink %s", s->what, path);
        utimensat(parent, base, ts, AT_SYMLINK_NOFOLLOW);
        return 0;
    case AE_IFIFO:
        if (make_room(parent, base, path, err) < 0)
            return -1;
        if (mknodat(parent, base, S_IFIFO | mode, 0) < 0)
            return hull_error_set(err, errno, "cp: %s: mkfifo %s", s->what, path);
        return 0;
    case AE_IFREG:
        break;
    default:
        return hull_error_msg(err, EPERM, "cp: %s: %s: device nodes and sockets are not copied",
                              s->what, name);
    }
    if (archive_entry_hardlink(ae)) {
        /* A tar hard link: its target is resolved in the root like any path. */
        _cleanup_free_ char *tpath = xasprintf("%s/%s", s->dir, archive_entry_hardlink(ae));
        _cleanup_close_ int tfd = hull_openat_in_root(s->rootfd, tpath, O_PATH | O_NOFOLLOW, 0);
        struct stat st;
        if (tfd < 0 || fstat(tfd, &st) < 0 || !S_ISREG(st.st_mode))
            return hull_error_msg(err, EINVAL, "cp: %s: hard link %s: target %s is not a file",
                                  s->what, path, tpath);
        if (make_room(parent, base, path, err) < 0)
            return -1;
        if (linkat(tfd, "", parent, base, AT_EMPTY_PATH) < 0)
            return hull_error_set(err, errno, "cp: %s: link %s", s->what, path);
        return 0;
    }
    if (open_file_for_write(parent, base, mode, path, &fd, err) < 0)
        return hull_error_prefix(err, "%s", s->what);
    r = copy_data(datafd, in, archive_entry_size(ae), NULL, fd, name, err);
    futimens(fd, ts);
    close(fd);
    return r;
}

/* Create the entry; with cp -a give it the entry's owner (never through a
 * symlink: the name is resolved again, its last component not followed). */
static int container_sink(struct sink *s, struct archive_entry *ae, int datafd, struct archive *in,
                          hull_error *err)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int fd = -1;

    if (create_in_container(s, ae, datafd, in, err) < 0)
        return -1;
    if (!s->keep_ids)
        return 0;
    path = xasprintf("%s/%s", s->dir, archive_entry_pathname(ae));
    fd = hull_openat_in_root(s->rootfd, path, O_PATH | O_NOFOLLOW, 0);
    if (fd < 0 || fchownat(fd, "", (uid_t)archive_entry_uid(ae), (gid_t)archive_entry_gid(ae),
                           AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error_set(err, errno, "cp: %s: chown %s", s->what, path);
    return 0;
}

/* After a copy into a container: directory times, deepest (last) first,
 * each directory resolved in the root again. */
static void finish_dirs(struct sink *s)
{
    for (size_t i = json_array_size(s->dir_times); i-- > 0;) {
        json_t *d = json_array_get(s->dir_times, i);
        struct timespec ts[2] = {{.tv_sec = (time_t)json_integer_value(json_array_get(d, 1))}};
        int fd = hull_openat_in_root(s->rootfd, json_string_value(json_array_get(d, 0)),
                                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
        ts[1] = ts[0];
        if (fd >= 0) {
            futimens(fd, ts);
            close(fd);
        }
    }
    json_decref(s->dir_times);
    s->dir_times = NULL;
}

static int sink_entry(struct sink *s, struct archive_entry *ae, int datafd, struct archive *in,
                      hull_error *err)
{
    return s->ar ? archive_sink(s, ae, datafd, in, err) : container_sink(s, ae, datafd, in, err);
}

/* ---- the verbs --------------------------------------------------------------- */

static bool ends_with_dot(const char *p)
{
    size_t n = strlen(p);
    return n >= 2 && p[n - 1] == '.' && p[n - 2] == '/';
}

static char *base_name(const char *path)
{
    _cleanup_free_ char *c = xstrdup(path);
    size_t n = strlen(c);
    while (n > 1 && c[n - 1] == '/')
        c[--n] = '\0';
    return xstrdup(strcmp(c, "/") == 0 ? "." : basename(c));
}

static char *dir_name(const char *path)
{
    _cleanup_free_ char *c = xstrdup(path);
    size_t n = strlen(c);
    while (n > 1 && c[n - 1] == '/')
        c[--n] = '\0';
    return xstrdup(dirname(c));
}

static struct archive *tar_writer(int fd, hull_error *err)
{
    struct archive *a = archive_write_new();
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_open_fd(a, fd) != ARCHIVE_OK) {
        hull_error_msg(err, EIO, "cp: tar stream: %s", archive_error_string(a));
        archive_write_free(a);
        return NULL;
    }
    return a;
}

int hull_engine_cp_out(struct hull_engine *e, const char *ref, const char *src, const char *dst,
                       int out_fd, bool keep_ids, hull_error *err)
{
    _cleanup_close_ int rootfd = -1, sfd = -1, cwd = -1;
    _cleanup_free_ char *what = xasprintf("container %s", ref), *name = base_name(src);
    _cleanup_free_ char *target = NULL;
    struct sink s = {.what = what, .keep_ids = keep_ids};
    struct stat st, dst_st;
    bool contents = ends_with_dot(src), dst_exists;
    int r;

    if (open_container_root(e, ref, &rootfd, err) < 0)
        return -1;
    sfd = hull_openat_in_root(rootfd, src, O_PATH | O_NOFOLLOW, 0);
    if (sfd < 0 || fstat(sfd, &st) < 0)
        return hull_error_set(err, errno, "cp: %s: %s", what, src);
    if (on_kernel_fs(sfd))
        return hull_error_msg(err, EPERM, "cp: %s: %s is on procfs or sysfs: not copied", what,
                              src);
    if (strcmp(dst, "-") == 0) {
        if ((s.ar = tar_writer(out_fd, err)) == NULL)
            return -1;
        r = walk(&s, sfd, contents ? "." : name, true, 0, err);
        if (archive_write_close(s.ar) != ARCHIVE_OK && r == 0)
            r = hull_error_msg(err, EIO, "cp: tar stream: %s", archive_error_string(s.ar));
        archive_write_free(s.ar);
        return r;
    }
    /* The host side is the user's: resolved normally. docker's rules: into
     * an existing directory under the source's name, else as the new name. */
    dst_exists = stat(dst, &dst_st) == 0;
    if (dst_exists && S_ISDIR(dst_st.st_mode)) {
        target = xstrdup(dst);
    } else if (dst_exists && S_ISDIR(st.st_mode)) {
        return hull_error_msg(err, ENOTDIR, "cp: cannot copy directory %s to file %s", src, dst);
    } else if (!dst_exists && dst[strlen(dst) - 1] == '/') {
        return hull_error_msg(err, ENOENT, "cp: destination directory %s does not exist", dst);
    } else {
        target = dir_name(dst);
        free(name);
        name = base_name(dst);
        contents = false;
    }
    if (dst_exists && S_ISDIR(dst_st.st_mode) && S_ISDIR(st.st_mode) && contents)
        name[0] = '\0';
    cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (chdir(target) < 0)
        return hull_error_set(err, errno, "cp: %s", target);
    /* What the container sent lands here only: no "..", no absolute names,
     * never through a symlink (not even one written by this copy). */
    s.ar = archive_write_disk_new();
    s.host = true;
    archive_write_disk_set_options(
        s.ar, (keep_ids ? ARCHIVE_EXTRACT_OWNER : 0) | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                  ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                  ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_UNLINK);
    r = walk(&s, sfd, name[0] ? name : "", name[0] != '\0', 0, err);
    if (archive_write_close(s.ar) != ARCHIVE_OK && r == 0)
        r = hull_error_msg(err, EIO, "cp: %s: %s", dst, archive_error_string(s.ar));
    archive_write_free(s.ar);
    if (cwd >= 0 && fchdir(cwd) < 0 && r == 0)
        r = hull_error_set(err, errno, "cp: back to the working directory");
    return r;
}

/* Entries of a tar stream into the container: names are relative to the
 * destination directory; ".." components are refused outright. */
static int untar_into(struct sink *s, int in_fd, hull_error *err)
{
    struct archive *a = archive_read_new();
    struct archive_entry *ae;
    int r = 0, st;

    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_filter_gzip(a);
    if (archive_read_open_fd(a, in_fd, CP_BUF) != ARCHIVE_OK) {
        r = hull_error_msg(err, EINVAL, "cp: tar stream: %s", archive_error_string(a));
        goto out;
    }
    while ((st = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(ae);
        _cleanup_free_ char *padded = xasprintf("/%s/", name ? name : "");
        if (name == NULL || name[0] == '\0' || strstr(padded, "/../") ||
            (archive_entry_hardlink(ae) && strstr(archive_entry_hardlink(ae), "..") != NULL)) {
            r = hull_error_msg(err, EINVAL,
                               "cp: tar stream: entry \"%s\": \"..\" or an empty "
                               "name is not allowed",
                               name ? name : "");
            goto out;
        }
        if ((r = sink_entry(s, ae, -1, a, err)) < 0)
            goto out;
    }
    if (st != ARCHIVE_EOF)
        r = hull_error_msg(err, EINVAL, "cp: tar stream: %s", archive_error_string(a));
out:
    archive_read_free(a);
    return r;
}

int hull_cp_untar(int rootfd, const char *dir, int in_fd, bool keep_ids, const char *what,
                  hull_error *err)
{
    struct sink s = {.rootfd = rootfd, .dir = dir, .keep_ids = keep_ids, .what = what};
    int r = untar_into(&s, in_fd, err);
    finish_dirs(&s);
    return r;
}

int hull_engine_cp_in(struct hull_engine *e, const char *ref, const char *src, int in_fd,
                      const char *dst, bool keep_ids, hull_error *err)
{
    _cleanup_close_ int rootfd = -1, sfd = -1, dfd = -1;
    _cleanup_free_ char *what = xasprintf("container %s", ref), *name = NULL, *dir = NULL;
    struct sink s = {.what = what, .keep_ids = keep_ids};
    struct stat st, dst_st;
    bool contents, dst_exists;
    int r;

    if (open_container_root(e, ref, &rootfd, err) < 0)
        return -1;
    s.rootfd = rootfd;
    /* The destination, resolved in the container's root. */
    dfd = hull_openat_in_root(rootfd, dst, O_PATH, 0);
    dst_exists = dfd >= 0 && fstat(dfd, &dst_st) == 0;
    if (dfd < 0 && errno != ENOENT)
        return hull_error_set(err, errno, "cp: %s: %s", what, dst);
    if (dst_exists && on_kernel_fs(dfd))
        return hull_error_msg(err, EPERM, "cp: %s: %s is on procfs or sysfs: not copied", what,
                              dst);
    if (strcmp(src, "-") == 0) {
        if (!dst_exists || !S_ISDIR(dst_st.st_mode))
            return hull_error_msg(err, ENOTDIR,
                                  "cp: %s: %s: a tar stream goes into an existing directory", what,
                                  dst);
        return hull_cp_untar(rootfd, dst, in_fd, keep_ids, what, err);
    }
    sfd = open(src, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0 || fstat(sfd, &st) < 0)
        return hull_error_set(err, errno, "cp: %s", src);
    contents = ends_with_dot(src) && S_ISDIR(st.st_mode);
    if (dst_exists && S_ISDIR(dst_st.st_mode)) {
        dir = xstrdup(dst);
        name = contents ? xstrdup("") : base_name(src);
    } else if (dst_exists && S_ISDIR(st.st_mode)) {
        return hull_error_msg(err, ENOTDIR, "cp: cannot copy directory %s to file %s in %s", src,
                              dst, what);
    } else if (!dst_exists && dst[strlen(dst) - 1] == '/') {
        return hull_error_msg(err, ENOENT, "cp: %s: destination directory %s does not exist", what,
                              dst);
    } else {
        dir = dir_name(dst);
        name = base_name(dst);
        close(dfd);
        dfd = hull_openat_in_root(rootfd, dir, O_PATH | O_DIRECTORY, 0);
        if (dfd < 0)
            return hull_error_set(err, errno, "cp: %s: %s", what, dir);
    }
    s.dir = dir;
    r = walk(&s, sfd, name, name[0] != '\0', 0, err);
    finish_dirs(&s);
    return r;
}
