/* The container init: runs in the cloned child, inside the new namespaces,
 * and turns the runtime process into the container process step by step.
 * It talks to the parent only over ctx->sync_fd; every failure is reported
 * there (the parent prints it and cleans up) and the init exits. */
#include "internal.h"
#include "../base/util.h"
#include "../base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int hull_sync_send(int fd, int type, int value, const char *text, int pass_fd)
{
    struct hull_sync_msg m = {.type = type, .value = value};
    size_t len = offsetof(struct hull_sync_msg, text);

    if (text) {
        size_t n = strlen(text);
        if (n >= sizeof(m.text))
            n = sizeof(m.text) - 1;
        memcpy(m.text, text, n);
        len += n + 1;
    }
    return hull_send_buf_fd(fd, &m, len, pass_fd);
}

int hull_sync_recv(int fd, struct hull_sync_msg *m, int *fd_out, hull_error *err)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m) - 1};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    ssize_t n;

    if (fd_out)
        *fd_out = -1;
    do
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return hull_error_set(err, errno, "sync: recv");
    if (n == 0)
        return hull_error_msg(err, EPIPE, "container init exited during setup");
    if ((size_t)n < offsetof(struct hull_sync_msg, text))
        return hull_error_msg(err, EPROTO, "sync: short message");
    ((char *)m)[n] = '\0';
    if ((size_t)n == offsetof(struct hull_sync_msg, text))
        m->text[0] = '\0';
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int passed;
            memcpy(&passed, CMSG_DATA(c), sizeof(int));
            if (fd_out)
                *fd_out = passed;
            else
                close(passed);
        }
    return 0;
}

static void __attribute__((noreturn))
init_fail(struct hull_init_ctx *ctx, hull_error *err, bool parent_listening)
{
    if (parent_listening)
        hull_sync_send(ctx->sync_fd, SYNC_ERROR, err->errnum, err->msg, -1);
    else
        dprintf(2, "hull-runtime: container %s: %s\n", ctx->id, err->msg);
    _exit(127);
}

/* After `start` released us: the error goes to `start` through the fifo. */
static void __attribute__((noreturn))
init_fail_started(struct hull_init_ctx *ctx, hull_error *err, int fifo_w)
{
    if (fifo_w >= 0 && write(fifo_w, err->msg, strlen(err->msg)) > 0)
        _exit(127);
    init_fail(ctx, err, false);
}

static int expect(struct hull_init_ctx *ctx, int type, struct hull_sync_msg *m, hull_error *err)
{
    if (hull_sync_recv(ctx->sync_fd, m, NULL, err) < 0)
        return -1;
    if (m->type == SYNC_ERROR)
        return hull_error_set(err, m->value, "%s", m->text);
    if (m->type != type)
        return hull_error_msg(err, EPROTO, "sync: unexpected message %d (wanted %d)", m->type,
                              type);
    return 0;
}

static int write_time_offsets(const struct hull_config *c, hull_error *err)
{
    char buf[128];
    int n = snprintf(buf, sizeof(buf), "monotonic %lld %lld\nboottime %lld %lld\n",
                     (long long)c->monotonic_secs, (long long)c->monotonic_nsecs,
                     (long long)c->boottime_secs, (long long)c->boottime_nsecs);
    if (hull_write_file_at(AT_FDCWD, "/proc/self/timens_offsets", buf, (size_t)n, err) < 0)
        return hull_error_prefix(err, "linux.timeOffsets");
    return 0;
}

void hull_init_main(struct hull_init_ctx *ctx)
{
    const struct hull_config *c = ctx->config;
    const struct hull_process *p = &c->process;
    struct hull_sync_msg *m = xmalloc0(sizeof(*m));
    hull_error err = {0};
    _cleanup_free_ char *exec_path = NULL;
    _cleanup_free_ char *start_state = NULL;
    int flags_left = 0, notify_fd = -1, fifo_w = -1, proc_fd = -1;
    bool finalized = false;
    const struct hull_namespace *pidns = hull_config_namespace(c, CLONE_NEWPID);
    const struct hull_namespace *timens = hull_config_namespace(c, CLONE_NEWTIME);

    /* Die with the parent while it still drives the setup. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (expect(ctx, SYNC_GO, m, &err) < 0)
        init_fail(ctx, &err, true);
    if ((ctx->ns_new & CLONE_NEWUSER) && hull_set_ids(0, 0) < 0) {
        hull_error_set(&err, errno, "linux.uidMappings: container uid/gid 0 is not mapped");
        init_fail(ctx, &err, true);
    }
    if (ctx->made_netns >= 0) {
        if (setns(ctx->made_netns, CLONE_NEWNET) < 0) {
            hull_error_set(&err, errno, "linux.namespaces: join the new network namespace");
            init_fail(ctx, &err, true);
        }
        close(ctx->made_netns);
    }
    if (hull_ns_join(c, &flags_left, &err) < 0)
        init_fail(ctx, &err, true);
    if (flags_left && unshare(flags_left) < 0) {
        hull_error_set(&err, errno, "linux.namespaces: unshare 0x%x", flags_left);
        init_fail(ctx, &err, true);
    }
    if (c->has_time_offsets && write_time_offsets(c, &err) < 0)
        init_fail(ctx, &err, true);
    /* A pid or time namespace entered by setns/unshare applies to children
     * only: fork once more; the grandchild is the init. */
    if ((flags_left & (CLONE_NEWPID | CLONE_NEWTIME)) || (pidns && pidns->path) ||
        (timens && timens->path)) {
        pid_t pid = fork();
        if (pid < 0) {
            hull_error_set(&err, errno, "fork init");
            init_fail(ctx, &err, true);
        }
        if (pid > 0) {
            hull_sync_send(ctx->sync_fd, SYNC_PID, pid, NULL, -1);
            _exit(0);
        }
    }
    if (setsid() < 0 && errno != EPERM) {
        hull_error_set(&err, errno, "setsid");
        init_fail(ctx, &err, true);
    }
    if (hull_rootfs_prepare(ctx, &err) < 0)
        init_fail(ctx, &err, true);
    if (c->n_hooks[HULL_HOOK_PRESTART] || c->n_hooks[HULL_HOOK_CREATE_RUNTIME] ||
        c->n_hooks[HULL_HOOK_CREATE_CONTAINER]) {
        hull_sync_send(ctx->sync_fd, SYNC_HOOKS, 0, NULL, -1);
        if (expect(ctx, SYNC_HOOKS_DONE, m, &err) < 0)
            init_fail(ctx, &err, true);
        /* createContainer hooks: in the container's namespaces, before
         * pivot_root, so their paths are still the runtime's. */
        if (hull_hooks_run(c, HULL_HOOK_CREATE_CONTAINER, m->text, &err) < 0)
            init_fail(ctx, &err, true);
    }
    /* Our own handle on a real procfs, taken before pivot_root while "/proc"
     * is still the host's: the exec.fifo re-open and oom_score_adj go through
     * it, never through whatever the image or a volume put at /proc. It is
     * closed before any container code runs. */
    proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    {
        struct statfs sfs;
        if (proc_fd < 0 || fstatfs(proc_fd, &sfs) < 0 || sfs.f_type != 0x9fa0) {
            hull_error_msg(&err, EPERM, "the runtime's /proc is not procfs");
            init_fail(ctx, &err, true);
        }
    }
    if (hull_rootfs_pivot(ctx, &err) < 0 || hull_rootfs_finalize(ctx, &err) < 0)
        init_fail(ctx, &err, true);
    if (p->terminal) {
        _cleanup_free_ char *slave = NULL;
        int master;
        if (hull_pty_open(&master, &slave, &err) < 0)
            init_fail(ctx, &err, true);
        if (ctx->console_fd >= 0) {
            if (hull_send_fd(ctx->console_fd, master, NULL) < 0) {
                hull_error_set(&err, errno, "--console-socket: send pty master");
                init_fail(ctx, &err, true);
            }
            close(ctx->console_fd);
            ctx->console_fd = -1;
        } else {
            hull_sync_send(ctx->sync_fd, SYNC_PTY, 0, NULL, master);
        }
        close(master);
        if (hull_pty_setup_slave(slave, p->console_height, p->console_width, true, &err) < 0)
            init_fail(ctx, &err, true);
    }
    if (c->has_personality && personality(c->personality) < 0) {
        hull_error_set(&err, errno, "linux.personality");
        init_fail(ctx, &err, true);
    }
    if (hull_process_setup_early(p, proc_fd, &err) < 0 ||
        hull_process_find_exec(p, &exec_path, &err) < 0)
        init_fail(ctx, &err, true);
    {
        int keep[] = {ctx->sync_fd, ctx->fifo_fd, proc_fd};
        if (hull_close_fds_except(ctx->preserve_fds, keep, HULL_ARRAY_SIZE(keep)) < 0) {
            hull_error_set(&err, errno, "close inherited fds");
            init_fail(ctx, &err, true);
        }
    }
    if (ctx->seccomp && ctx->seccomp->notify) {
        /* The listener fd must reach the agent while the parent is alive. */
        if (hull_process_finalize(p, ctx->seccomp, &notify_fd, &err) < 0)
            init_fail(ctx, &err, true);
        finalized = true;
        hull_sync_send(ctx->sync_fd, SYNC_SECCOMP, 0, NULL, notify_fd);
        close(notify_fd);
        if (expect(ctx, SYNC_SECCOMP_DONE, m, &err) < 0)
            init_fail(ctx, &err, true);
    }
    if (c->n_hooks[HULL_HOOK_START_CONTAINER]) {
        /* startContainer hooks get the state; only the parent knows our pid. */
        hull_sync_send(ctx->sync_fd, SYNC_STATE, 0, NULL, -1);
        if (expect(ctx, SYNC_STATE, m, &err) < 0)
            init_fail(ctx, &err, true);
        start_state = xstrdup(m->text);
    }
    /* `create` exits once we report: from here on we must outlive it. */
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    hull_sync_send(ctx->sync_fd, SYNC_CREATED, 0, NULL, -1);
    if (ctx->fifo_fd >= 0) {
        char fdp[32];
        /* Blocks until `start` opens the fifo for reading. The write end stays
         * open (close-on-exec) so that `start` sees EOF exactly when execve
         * succeeds, and reads our error message if anything fails first. */
        snprintf(fdp, sizeof(fdp), "self/fd/%d", ctx->fifo_fd);
        fifo_w = openat(proc_fd, fdp, O_WRONLY | O_CLOEXEC);
        if (fifo_w < 0 || write(fifo_w, "0", 1) != 1) {
            hull_error_set(&err, errno, "open exec.fifo");
            init_fail(ctx, &err, false);
        }
        close(ctx->fifo_fd);
    }
    close(proc_fd);
    proc_fd = -1;
    if (hull_hooks_run(c, HULL_HOOK_START_CONTAINER, start_state ? start_state : "{}", &err) < 0)
        init_fail_started(ctx, &err, fifo_w);
    if (!finalized && hull_process_finalize(p, ctx->seccomp, &notify_fd, &err) < 0)
        init_fail_started(ctx, &err, fifo_w);
    execve(exec_path, p->args, p->env ? p->env : (char *[]){NULL});
    hull_error_set(&err, errno, "process.args[0]: exec %s", exec_path);
    init_fail_started(ctx, &err, fifo_w);
}
