/* The spawner: a process forked when the server starts, before it has any
 * thread or SQLite connection, that forks the workers which start monitors
 * and exec processes.
 *
 * Why: the server is multi-threaded and its threads hold SQLite connections.
 * A child forked from it inherits SQLite's per-process lock tables (and maybe
 * a mutex some thread held at that instant); a connection it opens then fails
 * ("disk I/O error") or hangs, and the WAL can suffer (DEVELOPERS.md). A child
 * of the spawner starts from a clean, single-threaded image.
 *
 * Protocol, over a SOCK_SEQPACKET pair: the server sends one JSON request
 * ({"op": "start", "id": ...} or {"op": "exec", ...}; with "client" or
 * "console" true, stdin is a socket: see run_op) with four fds: a reply
 * socket and the worker's stdin, stdout, stderr. The spawner forks a worker
 * with those as 0/1/2 and nothing else, reaps it, and sends the reply
 * ({"status": N} or {"error": msg, "errno": N}) on the reply socket. The
 * worker never holds the reply socket, so a monitor it leaves behind cannot
 * keep a request waiting. */
#include "internal.h"
#include "../base/util.h"
#include "../base/json.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_REQ (256 * 1024)

struct report {
    int failed, errnum;
    char msg[3000];
};

struct pending {
    struct pending *next;
    pid_t pid;
    int reply;
    struct report *rep;
};

static int send_fds(int sock, const void *buf, size_t len, const int *fds, int n)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    char ctl[CMSG_SPACE(sizeof(int) * 4)] = {0};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    struct cmsghdr *cm;

    if (n > 0) {
        mh.msg_control = ctl;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
    }
    for (;;) {
        ssize_t r = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (r >= 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* One request: its JSON and exactly four fds, or -1. */
static ssize_t recv_fds(int sock, char *buf, size_t len, int fds[4])
{
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    char ctl[CMSG_SPACE(sizeof(int) * 4)];
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
    struct cmsghdr *cm;
    ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

    if (n <= 0)
        return n;
    cm = CMSG_FIRSTHDR(&mh);
    if (cm == NULL || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int) * 4) ||
        (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        if (cm && cm->cmsg_type == SCM_RIGHTS) {
            size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int tmp[4];
            memcpy(tmp, CMSG_DATA(cm), sizeof(int) * (k > 4 ? 4 : k));
            for (size_t i = 0; i < k && i < 4; i++)
                close(tmp[i]);
        }
        errno = EPROTO;
        return -1;
    }
    memcpy(fds, CMSG_DATA(cm), sizeof(int) * 4);
    return n;
}

static char **strv_from(json_t *a)
{
    json_t *v;
    size_t i;
    char **r;
    if (!json_is_array(a))
        return NULL;
    r = xmalloc0((json_array_size(a) + 1) * sizeof(char *));
    json_array_foreach (a, i, v)
        r[i] = xstrdup(json_string_value(v) ?: "");
    return r;
}

/* Our stdin when it carries a socket, not input: moved to a close-on-exec
 * fd >= 3, with /dev/null as stdin instead (the monitor's setup reuses 0). */
static int move_off_stdin(void)
{
    int dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
    if (dn >= 0) {
        dup2(dn, 0);
        close(dn);
    }
    return fd;
}

/* In the worker: the operation itself. Returns its exit code or -1. */
static int run_op(const struct hull_api_opts *o, json_t *req, hull_error *err)
{
    const char *op = json_string_value(json_object_get(req, "op"));
    struct hull_engine e;
    int status = 0, r;

    if (hull_engine_open(&e, o->root, o->runroot, err) < 0)
        return -1;
    if (op && strcmp(op, "start") == 0) {
        /* With "client", our stdin is an attach client for the monitor (see
         * api_attach_take): moved off 0, which the monitor's setup reuses. */
        int client = json_is_true(json_object_get(req, "client")) ? move_off_stdin() : -1;
        r = hull_engine_start_client(&e, json_string_value(json_object_get(req, "id")), false,
                                     client, &status, err);
        if (client >= 0)
            close(client);
    } else if (op && strcmp(op, "exec") == 0) {
        char **cmd = strv_from(json_object_get(req, "cmd"));
        char **env = strv_from(json_object_get(req, "env"));
        const char *ctr = json_string_value(json_object_get(req, "container"));
        const char *user = json_string_value(json_object_get(req, "user"));
        const char *wd = json_string_value(json_object_get(req, "workdir"));
        if (json_is_true(json_object_get(req, "console"))) {
            /* Our stdin is the socket the server waits on for the pty
             * master (it keeps the terminal, to relay and resize it). */
            int console = move_off_stdin();
            json_int_t rows = json_integer_value(json_object_get(req, "rows"));
            json_int_t cols = json_integer_value(json_object_get(req, "cols"));
            r = hull_engine_exec_console(&e, ctr, cmd, env, user, wd, console,
                                         (unsigned short)(rows > 0 && rows <= 65535 ? rows : 0),
                                         (unsigned short)(cols > 0 && cols <= 65535 ? cols : 0),
                                         &status, err);
            if (console >= 0)
                close(console);
        } else {
            r = hull_engine_exec(&e, ctr, cmd, env, user, wd,
                                 json_is_true(json_object_get(req, "detach")),
                                 json_is_true(json_object_get(req, "tty")), &status, err);
        }
        hull_strv_free(cmd);
        hull_strv_free(env);
    } else {
        r = hull_error_msg(err, EINVAL, "spawner: unknown operation");
    }
    hull_engine_close(&e);
    return r < 0 ? -1 : status;
}

static void reply(int fd, int status, const struct report *rep)
{
    json_t *j = rep && rep->failed
                    ? json_pack("{s:s, s:i}", "error", rep->msg, "errno", rep->errnum)
                    : json_pack("{s:i}", "status", status);
    char *s = json_dumps(j, JSON_COMPACT);
    send_fds(fd, s, strlen(s), NULL, 0);
    free(s);
    json_decref(j);
}

static void start_worker(const struct hull_api_opts *o, int fds[4], const char *buf, size_t len,
                         struct pending **list)
{
    json_t *req = json_loadb(buf, len, 0, NULL);
    struct report *rep;
    struct pending *p;
    pid_t pid;

    rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (req == NULL || rep == MAP_FAILED) {
        struct report fail = {.failed = 1, .errnum = EIO};
        snprintf(fail.msg, sizeof(fail.msg), "spawner: bad request");
        reply(fds[0], 0, &fail);
        goto out;
    }
    pid = fork();
    if (pid == 0) {
        hull_error err = {0};
        sigset_t none;
        int rc;
        if (dup2(fds[1], 0) < 0 || dup2(fds[2], 1) < 0 || dup2(fds[3], 2) < 0)
            _exit(125);
        close_range(3, ~0U, 0); /* the reply socket too: only 0/1/2 remain */
        signal(SIGCHLD, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        prctl(PR_SET_PDEATHSIG, 0);
        rc = run_op(o, req, &err);
        if (rc < 0) {
            rep->failed = 1;
            rep->errnum = err.errnum;
            snprintf(rep->msg, sizeof(rep->msg), "%s", err.msg ? err.msg : "failed");
            _exit(125);
        }
        _exit(rc & 0xff);
    }
    if (pid < 0) {
        struct report fail = {.failed = 1, .errnum = errno};
        snprintf(fail.msg, sizeof(fail.msg), "spawner: fork: %s", strerror(errno));
        reply(fds[0], 0, &fail);
        munmap(rep, sizeof(*rep));
        goto out;
    }
    p = xmalloc0(sizeof(*p));
    *p = (struct pending){.next = *list, .pid = pid, .reply = dup(fds[0]), .rep = rep};
    *list = p;
out:
    json_decref(req);
    for (int i = 0; i < 4; i++)
        close(fds[i]);
}

static void reap(struct pending **list)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (struct pending **pp = list; *pp; pp = &(*pp)->next) {
            struct pending *p = *pp;
            if (p->pid != pid)
                continue;
            reply(p->reply, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), p->rep);
            close(p->reply);
            munmap(p->rep, sizeof(*p->rep));
            *pp = p->next;
            free(p);
            break;
        }
    }
}

static void __attribute__((noreturn)) spawner_main(const struct hull_api_opts *o, int sock)
{
    struct pending *list = NULL;
    char *buf = xmalloc0(MAX_REQ);
    sigset_t set;
    int sfd;

    prctl(PR_SET_NAME, "hull-spawner", 0, 0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* in-flight workers finish on their own */
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    for (;;) {
        struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (p[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si))
                ;
            reap(&list);
        }
        if (p[0].revents & POLLIN) {
            int fds[4];
            ssize_t n = recv_fds(sock, buf, MAX_REQ, fds);
            if (n == 0)
                _exit(0); /* the server is gone */
            if (n > 0)
                start_worker(o, fds, buf, (size_t)n, &list);
        } else if (p[0].revents & (POLLHUP | POLLERR)) {
            _exit(0);
        }
    }
}

int api_spawner_start(const struct hull_api_opts *o, int *sock_out, hull_error *err)
{
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return hull_error_set(err, errno, "spawner: socketpair");
    pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return hull_error_set(err, errno, "spawner: fork");
    }
    if (pid == 0) {
        close(sv[0]);
        spawner_main(o, sv[1]);
    }
    close(sv[1]);
    *sock_out = sv[0];
    return 0;
}

int api_spawn(struct api_server *s, json_t *req, int in, int out, int errfd, int *reply_out,
              hull_error *err)
{
    int rs[2], fds[4], dn = -1, r;
    char *msg = json_dumps(req, JSON_COMPACT);

    if (msg == NULL || strlen(msg) >= MAX_REQ) {
        free(msg);
        return hull_error_msg(err, E2BIG, "spawn: request too large");
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rs) < 0) {
        free(msg);
        return hull_error_set(err, errno, "spawn: socketpair");
    }
    if (in < 0 || out < 0 || errfd < 0)
        dn = open("/dev/null", O_RDWR | O_CLOEXEC);
    fds[0] = rs[1];
    fds[1] = in >= 0 ? in : dn;
    fds[2] = out >= 0 ? out : dn;
    fds[3] = errfd >= 0 ? errfd : dn;
    r = send_fds(s->spawner, msg, strlen(msg), fds, 4);
    free(msg);
    close(rs[1]);
    if (dn >= 0)
        close(dn);
    if (r < 0) {
        close(rs[0]);
        return hull_error_set(err, errno, "spawn: the spawner process is gone");
    }
    *reply_out = rs[0];
    return 0;
}

int api_spawn_wait(int reply, int *status, hull_error *err)
{
    char buf[4096];
    ssize_t n;
    json_t *j;
    int r = 0;

    do
        n = recv(reply, buf, sizeof(buf) - 1, 0);
    while (n < 0 && errno == EINTR);
    close(reply);
    if (n <= 0)
        return hull_error_msg(err, EIO, "spawn: no reply from the worker");
    buf[n] = '\0';
    j = json_loads(buf, 0, NULL);
    if (json_is_string(json_object_get(j, "error")))
        r = hull_error_msg(err, (int)json_integer_value(json_object_get(j, "errno")), "%s",
                           json_string_value(json_object_get(j, "error")));
    else
        *status = (int)json_integer_value(json_object_get(j, "status"));
    json_decref(j);
    return r;
}
