/* hull-monitor: the steady state of a container's monitor (our conmon).
 *
 * `hull run`/`start` fork a child that does the heavy setup (runtime create,
 * CNI, start, SQLite) and then execs this small static binary, which is from
 * then on the parent of the container's init. It only:
 *   - copies the container's stdout/stderr (pipes, or the pty master) into
 *     the docker json-file log and to attached clients,
 *   - serves the attach socket (output out, stdin and window sizes in),
 *   - reaps the init.
 * When the init exited it execs back into `hull __monitor-exit ID STATUS`,
 * which records the exit in SQLite and does the teardown (and, with a restart
 * policy, sets the container up again and execs us once more). No SQLite, no
 * JSON library: libc only, so its resident size stays well under 1 MiB.
 *
 * Every fd arrives by number on the command line; all of them are made
 * close-on-exec here so nothing leaks into hull on the way back except the
 * attach socket and clients, which are passed on explicitly. */
#include "base/util.h"
#include "engine/attach.h"
#include "engine/jsonlog.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CLIENTS    32
#define SLOW_CLIENT_MS 10000 /* a client may hold output back this long per packet */
#define DRAIN_MS       200   /* after the init exited, how long to wait for stragglers */

struct client {
    int fd;
    bool in_open; /* still sending us stdin / resizes */
    bool owner;   /* the foreground hull run/start -a that started us */
    /* It hung up: no more output goes to it, but what it sent before is
     * still read. A resize is one packet on a connection that is closed
     * right after (hull_engine_resize): dropping it at the first failed
     * send of output, or at the hangup while stdin was held back, lost the
     * size whenever the container wrote at that moment (a shell's first
     * prompt: `docker run -it` started at 0x0 now and then). */
    bool deaf;
};

struct monitor {
    const char *hull, *root, *runroot, *id;
    pid_t init;
    int out, err; /* read ends; with a terminal `out` is the pty master, err -1 */
    int in;       /* the container's stdin: pipe write end or the pty master */
    bool tty, may_restart;
    int listen;
    struct client clients[MAX_CLIENTS];
    size_t nclients;
    struct hull_jsonlog log;
    /* Stdin the container has not taken yet. While there is some, clients
     * are not read: a container that is not reading its stdin must never
     * block the monitor (it would stop reading the container's output, and
     * a container blocked on a full stdout would never read again). */
    char pending[HULL_ATTACH_MSG_MAX];
    size_t pending_len;
    bool close_in; /* close the container's stdin once pending is written */
};

static void usage_exit(const char *why)
{
    fprintf(stderr,
            "hull-monitor: %s\n"
            "hull-monitor is started by hull; it is not meant to be run by hand.\n",
            why);
    exit(125);
}

/* An fd number from the command line: must be open; made close-on-exec. */
static int arg_fd(const char *opt, const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || v < 0 || v > INT_MAX || fcntl((int)v, F_SETFD, FD_CLOEXEC) < 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "--%s %s: not an open file descriptor", opt, s);
        usage_exit(msg);
    }
    return (int)v;
}

static void parse_args(struct monitor *m, int argc, char **argv, const char **log_path)
{
    static const struct option lo[] = {
        {"hull", required_argument, NULL, 'H'},
        {"root", required_argument, NULL, 'r'},
        {"runroot", required_argument, NULL, 'R'},
        {"id", required_argument, NULL, 'I'},
        {"init", required_argument, NULL, 'p'},
        {"log", required_argument, NULL, 'l'},
        {"out", required_argument, NULL, 'o'},
        {"err", required_argument, NULL, 'e'},
        {"in", required_argument, NULL, 'i'},
        {"tty", no_argument, NULL, 't'},
        {"listen", required_argument, NULL, 'L'},
        {"client", required_argument, NULL, 'c'},
        {"may-restart", no_argument, NULL, 'M'},
        {"owner", required_argument, NULL, 'O'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'H':
            m->hull = optarg;
            break;
        case 'r':
            m->root = optarg;
            break;
        case 'R':
            m->runroot = optarg;
            break;
        case 'I':
            m->id = optarg;
            break;
        case 'p':
            m->init = (pid_t)atoi(optarg);
            break;
        case 'l':
            *log_path = optarg;
            break;
        case 'o':
            m->out = arg_fd("out", optarg);
            break;
        case 'e':
            m->err = arg_fd("err", optarg);
            break;
        case 'i':
            m->in = arg_fd("in", optarg);
            break;
        case 't':
            m->tty = true;
            break;
        case 'L':
            m->listen = arg_fd("listen", optarg);
            break;
        case 'c':
        case 'O':
            if (m->nclients == MAX_CLIENTS)
                usage_exit("too many --client");
            m->clients[m->nclients++] =
                (struct client){arg_fd(c == 'O' ? "owner" : "client", optarg), true, c == 'O'};
            break;
        case 'M':
            m->may_restart = true;
            break;
        default:
            usage_exit("bad arguments");
        }
    }
    if (!m->hull || !m->root || !m->runroot || !m->id || m->init <= 0 || !*log_path || m->out < 0 ||
        m->listen < 0 || strchr(m->id, '/') || optind != argc)
        usage_exit("--hull, --root, --runroot, --id, --init, --log, --out and --listen "
                   "are required");
}

/* Clients are dropped in place (fd -1) while the poll results still refer
 * to their slots, and compacted once per loop. */
static void drop_client(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static void compact_clients(struct monitor *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nclients; i++)
        if (m->clients[i].fd >= 0)
            m->clients[n++] = m->clients[i];
    m->nclients = n;
}

/* Output goes to every client as one packet. A client that does not keep up
 * holds the container's output back (nothing is lost: `hull run ... | slow`
 * must see everything), but for at most SLOW_CLIENT_MS per packet; then it is
 * dropped so a stuck client cannot stall the container for good. */
static void broadcast(struct monitor *m, uint8_t type, const char *buf, size_t n)
{
    for (size_t i = 0; i < m->nclients; i++) {
        struct iovec iov[2] = {{&type, 1}, {(void *)buf, n}};
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
        struct client *c = &m->clients[i];
        while (c->fd >= 0 && !c->deaf && sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
            struct pollfd p = {.fd = c->fd, .events = POLLOUT};
            if (errno == EINTR)
                continue;
            if (errno == EPIPE || errno == ECONNRESET)
                c->deaf = true; /* its last packets are read, then it goes */
            else if (errno != EAGAIN || poll(&p, 1, SLOW_CLIENT_MS) <= 0 || !(p.revents & POLLOUT))
                drop_client(c);
        }
    }
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Read what the container wrote on *fd; at its end (EOF, or EIO from a pty
 * master whose slave is gone) close it. */
static void pump(struct monitor *m, int *fd, uint8_t type)
{
    char buf[HULL_ATTACH_MSG_MAX];
    ssize_t n = read(*fd, buf, sizeof(buf));

    if (n > 0) {
        hull_jsonlog_write(&m->log, type == HULL_ATTACH_STDERR ? "stderr" : "stdout", buf,
                           (size_t)n);
        broadcast(m, type, buf, (size_t)n);
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (m->tty)
        m->in = -1; /* the same master */
    close_fd(fd);
}

/* Write pending stdin to the container (m->in is non-blocking). */
static void flush_stdin(struct monitor *m)
{
    while (m->pending_len > 0 && m->in >= 0) {
        ssize_t w = write(m->in, m->pending, m->pending_len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;
        if (w <= 0) { /* the container closed its stdin */
            m->pending_len = 0;
            if (!m->tty)
                close_fd(&m->in);
            break;
        }
        memmove(m->pending, m->pending + w, m->pending_len - (size_t)w);
        m->pending_len -= (size_t)w;
    }
    if (m->pending_len == 0 && m->close_in && !m->tty)
        close_fd(&m->in);
}

/* A packet from a client; `hup`: it also hung up, so a read of 0 is its
 * going away (not the end of its stdin). */
static void client_input(struct monitor *m, struct client *c, bool hup)
{
    char buf[1 + HULL_ATTACH_MSG_MAX];
    ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            drop_client(c);
        return;
    }
    if (n == 0) {
        if (hup) {
            drop_client(c);
            return;
        }
        /* The client's stdin ended. With pipes the container sees EOF too
         * (once what it has not read yet is written); a terminal has no EOF
         * to pass on. */
        c->in_open = false;
        m->close_in = true;
        flush_stdin(m);
        return;
    }
    if (buf[0] == HULL_ATTACH_STDIN && m->in >= 0) {
        memcpy(m->pending, buf + 1, (size_t)n - 1);
        m->pending_len = (size_t)n - 1;
        flush_stdin(m);
    } else if (buf[0] == HULL_ATTACH_RESIZE && m->tty && m->out >= 0 &&
               (size_t)n == 1 + sizeof(struct hull_attach_winsize)) {
        struct hull_attach_winsize ws;
        memcpy(&ws, buf + 1, sizeof(ws));
        struct winsize w = {.ws_row = ws.rows, .ws_col = ws.cols};
        ioctl(m->out, TIOCSWINSZ, &w);
    }
}

static void accept_client(struct monitor *m)
{
    int fd = accept4(m->listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    if (m->nclients == MAX_CLIENTS) {
        close(fd);
        return;
    }
    m->clients[m->nclients++] = (struct client){fd, true, false};
}

/* What to poll a client for: its input while it may send some and the
 * container takes stdin. A deaf client with nothing to be read now is left
 * out: poll would report its hangup on every round. */
static struct pollfd client_pollfd(struct client *c, bool reading)
{
    bool read_it = c->in_open && reading;
    if (c->deaf && !c->in_open)
        drop_client(c);
    return (struct pollfd){.fd = c->deaf && !read_it ? -1 : c->fd, .events = read_it ? POLLIN : 0};
}

/* Reap; true once the init is gone (its wait status in *status). */
static bool reap(struct monitor *m, int sfd, int *status)
{
    struct signalfd_siginfo si;
    pid_t w;

    while (read(sfd, &si, sizeof(si)) == sizeof(si))
        ;
    while ((w = waitpid(-1, status, WNOHANG)) > 0)
        if (w == m->init)
            return true;
    return false;
}

/* Serve until the init exited and its output is drained; returns its wait
 * status. */
static int serve(struct monitor *m, int sfd)
{
    int status = 0;
    bool exited = reap(m, sfd, &status);

    int *fds[] = {&m->out, &m->err, &m->in};
    for (size_t i = 0; i < 3; i++)
        if (*fds[i] >= 0)
            fcntl(*fds[i], F_SETFL, O_NONBLOCK);
    while (!exited || m->out >= 0 || m->err >= 0) {
        struct pollfd p[5 + MAX_CLIENTS];
        size_t nc = m->nclients;
        bool reading = m->pending_len == 0;
        int r;
        p[0] = (struct pollfd){.fd = m->out, .events = POLLIN};
        p[1] = (struct pollfd){.fd = m->err, .events = POLLIN};
        p[2] = (struct pollfd){.fd = exited ? -1 : sfd, .events = POLLIN};
        p[3] = (struct pollfd){.fd = m->listen, .events = POLLIN};
        p[4] = (struct pollfd){.fd = reading ? -1 : m->in, .events = POLLOUT};
        for (size_t i = 0; i < nc; i++)
            p[5 + i] = client_pollfd(&m->clients[i], reading);
        /* Once the init is gone, give the pipes a moment to drain (a
         * daemonised grandchild may hold them: do not wait for it). */
        r = poll(p, 5 + nc, exited ? DRAIN_MS : -1);
        if (r == 0 && exited)
            break;
        if (r < 0)
            continue;
        if (p[0].revents)
            pump(m, &m->out, HULL_ATTACH_STDOUT);
        if (p[1].revents)
            pump(m, &m->err, HULL_ATTACH_STDERR);
        if (p[2].revents)
            exited = reap(m, sfd, &status);
        if (p[4].revents)
            flush_stdin(m);
        for (size_t i = 0; i < nc; i++) {
            struct client *c = &m->clients[i];
            short ev = p[5 + i].revents;
            if (c->fd < 0)
                continue; /* dropped by broadcast() above */
            if (ev & POLLIN)
                client_input(m, c, ev & POLLHUP);
            else if ((ev & POLLHUP) && !(ev & POLLERR) && c->in_open && !reading)
                c->deaf = true; /* may have sent more: read once stdin moves */
            else if (ev & (POLLHUP | POLLERR))
                drop_client(c);
        }
        compact_clients(m);
        if (p[3].revents & POLLIN)
            accept_client(m);
    }
    /* The clients that hung up have nothing more to tell a container that
     * is gone, and must not be handed on (to the owner's or the restart's). */
    for (size_t i = 0; i < m->nclients; i++)
        if (m->clients[i].deaf)
            drop_client(&m->clients[i]);
    compact_clients(m);
    return status;
}

/* The exit status as a file in the container's run dir, which the next hull
 * command folds into the database (hull_engine_repair) if nobody else does.
 * Written to a temp name and renamed, so a reader never sees half of it; not
 * fsync'ed: the run dir is volatile state, gone with the container on a
 * reboot, and a sync would cost every foreground run a few ms. */
static bool record_exit_file(const struct monitor *m, int status)
{
    _cleanup_free_ char *path = xasprintf("%s/containers/%s/exit-status", m->runroot, m->id);
    _cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
    _cleanup_free_ char *data = xasprintf("%d\n", status);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    bool ok = fd >= 0 && hull_write_all(fd, data, strlen(data)) == 0;

    if (fd >= 0)
        close(fd);
    if (ok && rename(tmp, path) == 0)
        return true;
    unlink(tmp);
    return false;
}

static void release_streams(struct monitor *m)
{
    close_fd(&m->out);
    close_fd(&m->err);
    if (!m->tty)
        close_fd(&m->in);
    hull_jsonlog_close(&m->log);
}

/* A foreground `hull run`/`start -a` still attached is already running
 * hull: it records the exit itself (saving an exec of hull, ~5 ms). The
 * status file is written first, so if that client dies before recording,
 * the next command's repair does it. Returns only if there is no owner or
 * it could not be told (then hull must be exec'ed as usual). */
static void hand_to_owner(struct monitor *m, int status)
{
    struct client *owner = NULL;
    char msg[1 + sizeof(int)];

    for (size_t i = 0; i < m->nclients; i++)
        if (m->clients[i].owner && m->clients[i].fd >= 0)
            owner = &m->clients[i];
    if (owner == NULL || m->may_restart || !record_exit_file(m, status))
        return;
    msg[0] = HULL_ATTACH_EXIT;
    memcpy(msg + 1, &status, sizeof(int));
    fcntl(owner->fd, F_SETFL, 0);
    if (send(owner->fd, msg, sizeof(msg), MSG_NOSIGNAL) == (ssize_t)sizeof(msg))
        _exit(0);
    {
        _cleanup_free_ char *path = xasprintf("%s/containers/%s/exit-status", m->runroot, m->id);
        unlink(path); /* recorded through hull after all: not twice */
    }
}

static void __attribute__((noreturn)) hand_back(struct monitor *m, int status)
{
    char *argv[16 + 2 * MAX_CLIENTS];
    char fds[1 + MAX_CLIENTS][16], st[16];
    size_t n = 0;

    snprintf(st, sizeof(st), "%d", status);
    argv[n++] = (char *)m->hull;
    argv[n++] = "--root";
    argv[n++] = (char *)m->root;
    argv[n++] = "--runroot";
    argv[n++] = (char *)m->runroot;
    argv[n++] = "__monitor-exit";
    argv[n++] = (char *)m->id;
    argv[n++] = st;
    if (m->may_restart)
        argv[n++] = "--may-restart";
    /* The attach socket and its clients outlive us: a restarted container
     * keeps them, and clients see EOF only once the exit is recorded. */
    snprintf(fds[0], sizeof(fds[0]), "%d", m->listen);
    argv[n++] = "--listen";
    argv[n++] = fds[0];
    fcntl(m->listen, F_SETFD, 0);
    for (size_t i = 0; i < m->nclients; i++) {
        snprintf(fds[1 + i], sizeof(fds[1 + i]), "%d", m->clients[i].fd);
        argv[n++] = "--client";
        argv[n++] = fds[1 + i];
        fcntl(m->clients[i].fd, F_SETFD, 0);
        fcntl(m->clients[i].fd, F_SETFL, 0);
    }
    argv[n] = NULL;
    signal(SIGPIPE, SIG_DFL);
    execv(m->hull, argv);
    record_exit_file(m, status);
    _exit(127);
}

int main(int argc, char **argv)
{
    struct monitor m = {.out = -1, .err = -1, .in = -1, .listen = -1};
    const char *log_path = NULL;
    sigset_t set;
    int sfd, status;

    parse_args(&m, argc, argv, &log_path);
    /* A client gone mid-write or a container that closed its stdin must
     * not kill the monitor. */
    signal(SIGPIPE, SIG_IGN);
    /* SIGCHLD was blocked by the setup before the init existed, and blocked
     * signals stay pending across execve: no exit can be missed. */
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        perror("hull-monitor: signalfd");
        return 125;
    }
    hull_jsonlog_open(&m.log, log_path);
    status = serve(&m, sfd);
    release_streams(&m);
    hand_to_owner(&m, status);
    hand_back(&m, status);
}
