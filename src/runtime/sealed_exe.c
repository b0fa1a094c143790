/* CVE-2019-5736: a container that gets the runtime binary executed inside it
 * (e.g. an entrypoint of /proc/self/exe during `exec`) could reopen that binary
 * through /proc and overwrite it on the host. So before a process of ours
 * creates or joins a container, it re-executes itself from a file that cannot
 * be opened for writing:
 *
 *  - first choice (runc 1.2 does the same): the binary seen through a private,
 *    detached, read-only overlayfs whose layers are the binary's directory and
 *    an empty tmpfs. No copy is made and the pages stay shared with every other
 *    hull; an overlay without an upper layer cannot be made writable again, and
 *    the mount is attached nowhere a container could reach;
 *  - fallback (kernels without overlayfs "lowerdir+"): a sealed memfd copy, the
 *    approach of runc 1.1 and crun. It costs a copy of the binary per start. */
#include "runtime.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

static bool fd_is_sealed(int fd)
{
    struct statfs sfs;
    struct statvfs svfs;
    int seals = fcntl(fd, F_GET_SEALS);

    if (seals >= 0)
        return (seals & SEALS) == SEALS;
    /* Our read-only overlay (or another one: without an upper layer, which is
     * the only way to mount it read-only here, it stays read-only). */
    return fstatfs(fd, &sfs) == 0 && sfs.f_type == OVERLAYFS_SUPER_MAGIC &&
           fstatvfs(fd, &svfs) == 0 && (svfs.f_flag & ST_RDONLY);
}

bool hull_running_sealed(void)
{
    _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    return fd >= 0 && fd_is_sealed(fd);
}

/* An empty, read-only tmpfs as a mount fd: the second overlay layer (overlayfs
 * wants two lower layers when it has no upper one, and they must not nest). */
static int empty_tmpfs(void)
{
    _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -1;
    return fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC);
}

/* Open the running binary through a read-only overlay of its directory; -1
 * (errno set) if the kernel or the setup does not allow it. The file must be
 * the one we run: same inode and size as /proc/self/exe. */
static int open_through_overlay(const struct stat *st)
{
    char self[PATH_MAX], empty[64];
    _cleanup_close_ int tmp = -1, fs = -1, mnt = -1;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    struct stat ost;
    char *slash;
    int fd;

    if (n <= 0 || self[0] != '/')
        return -1;
    self[n] = '\0';
    slash = strrchr(self, '/');
    *slash = '\0';
    tmp = empty_tmpfs();
    if (tmp < 0)
        return -1;
    snprintf(empty, sizeof(empty), "/proc/self/fd/%d", tmp);
    fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", self[0] ? self : "/", 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", empty, 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -1;
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
    if (mnt < 0)
        return -1;
    fd = openat(mnt, slash + 1, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    if (fstat(fd, &ost) < 0 || ost.st_ino != st->st_ino || ost.st_size != st->st_size ||
        !fd_is_sealed(fd)) {
        close(fd);
        errno = ESTALE;
        return -1;
    }
    return fd;
}

static int sealed_memfd_copy(int src, const struct stat *st, hull_error *err)
{
    _cleanup_close_ int mfd = memfd_create("hull-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    off_t off = 0;

    if (mfd < 0)
        return hull_error_set(err, errno, "memfd_create");
    while (off < st->st_size) {
        ssize_t n = sendfile(mfd, src, NULL, (size_t)(st->st_size - off));
        if (n <= 0)
            return hull_error_set(err, n < 0 ? errno : EIO, "copy runtime binary");
        off += n;
    }
    if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
        return hull_error_set(err, errno, "seal runtime copy");
    return steal_fd(&mfd);
}

int hull_ensure_sealed_exe(int argc, char **argv, char **envp, hull_error *err)
{
    _cleanup_close_ int src = -1, fd = -1;
    const char *how = getenv("HULL_SEALED_EXE");
    struct stat st;

    (void)argc;
    src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (src < 0 || fstat(src, &st) < 0)
        return hull_error_set(err, errno, "open /proc/self/exe");
    if (fd_is_sealed(src))
        return 0;
    /* HULL_SEALED_EXE=memfd takes the fallback (tests attack both). */
    if (how == NULL || strcmp(how, "memfd") != 0)
        fd = open_through_overlay(&st);
    if (fd < 0)
        fd = sealed_memfd_copy(src, &st, err);
    if (fd < 0)
        return -1;
    fexecve(fd, argv, envp);
    return hull_error_set(err, errno, "re-exec sealed runtime copy");
}
