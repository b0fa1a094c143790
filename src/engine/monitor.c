/* The per-container monitor (our conmon / containerd-shim), hull's side.
 *
 * One process per running container, in three stages:
 *   1. setup, in a child forked by `hull run`/`start`: runtime create, CNI,
 *      start, SQLite; it then execs
 *   2. hull-monitor (cmd/hull-monitor), a small static binary that stays the
 *      parent of the container's init for the container's life: it writes the
 *      json-file log, serves the attach socket and reaps the init, then execs
 *   3. `hull __monitor-exit ID STATUS`: records the exit (abnormal or not, with
 *      its reason) and events, CNI release, runtime delete, restart policy
 *      (stage 1 again in this process, then hull-monitor again), --rm.
 * The pid never changes, so repair (container.c) keeps telling a live
 * monitor from a dead one by pid and start time. */
#include "internal.h"
#include "attach.h"
#include "../runtime/runtime.h"
#include "../runtime/cgroup/cgroup.h"
#include "../runtime/state.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define MAX_PASSED_CLIENTS 32

/* The directory of hull's binaries (hull, hull-monitor, hull-registry...).
 * Running sealed, /proc/self/exe names a memfd or a path in a detached overlay;
 * the CLI put the real directory in $HULL_BINDIR before sealing. */
char *hull_engine_bindir(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    const char *env = getenv("HULL_BINDIR");
    char *slash;

    if (n > 0 && self[0] == '/' && !hull_running_sealed()) {
        self[n] = '\0';
        slash = strrchr(self, '/');
        *slash = '\0';
        return xstrdup(slash == self ? "/" : self);
    }
    return env && env[0] == '/' ? xstrdup(env) : NULL;
}

/* hull-monitor, or hull, next to us (as hull-registry is). */
static char *sibling(const char *name, hull_error *err)
{
    _cleanup_free_ char *dir = hull_engine_bindir();

    if (dir == NULL) {
        hull_error_msg(err, ENOENT, "monitor: cannot find hull's directory (set HULL_BINDIR)");
        return NULL;
    }
    return xasprintf("%s/%s", dir, name);
}

__attribute__((format(printf, 2, 3))) static void report(int ready, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(msg))
        n = sizeof(msg) - 1;
    if (ready >= 0 && n > 0)
        (void)hull_write_all(ready, msg, (size_t)n);
}

/* A unix socket at DIR/NAME, bound through an O_PATH fd of DIR so that long
 * run roots do not hit the 108-byte sun_path limit. *path_out (if asked) is
 * a short path valid in this process only: /proc/self/fd/N/NAME. */
static int listen_unix(const char *dir, const char *name, int type, int *dirfd_out, char **path_out,
                       hull_error *err)
{
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;
    mode_t old;

    if (dfd < 0)
        return hull_error_set(err, errno, "monitor: open %s", dir);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, name);
    (void)unlinkat(dfd, name, 0);
    fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hull_error_set(err, errno, "monitor: socket %s/%s", dir, name);
    old = umask(0177); /* 0600: root only */
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
        int e = errno;
        umask(old);
        close(fd);
        return hull_error_set(err, e, "monitor: listen on %s/%s", dir, name);
    }
    umask(old);
    if (path_out)
        *path_out = xstrdup(sa.sun_path);
    if (dirfd_out)
        *dirfd_out = steal_fd(&dfd);
    return fd;
}

/* The pty master the container's init sent on the console socket. */
static int recv_master(int listen_fd, hull_error *err)
{
    _cleanup_close_ int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    char buf[64], cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *cm;
    int fd = -1;

    if (c < 0)
        return hull_error_set(err, errno, "monitor: console socket: accept");
    if (recvmsg(c, &msg, MSG_CMSG_CLOEXEC) < 0)
        return hull_error_set(err, errno, "monitor: console socket: receive pty master");
    cm = CMSG_FIRSTHDR(&msg);
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    if (fd < 0)
        return hull_error_msg(err, EPROTO, "monitor: console socket: no pty master received");
    return fd;
}

/* What hull-monitor is handed, by fd number. */
struct monitor_fds {
    int out, err, in, listen;
    const int *clients;
    size_t nclients;
    bool owner; /* clients[0] is the foreground hull that forked us */
};

static void __attribute__((noreturn))
exec_monitor(struct hull_engine *e, const char *id, pid_t init, bool tty, bool may_restart,
             const struct monitor_fds *f, int ready)
{
    hull_error err = {0};
    _cleanup_free_ char *mon = sibling("hull-monitor", &err);
    _cleanup_free_ char *self = sibling("hull", &err);
    _cleanup_free_ char *dir = hull_engine_dir(e, id);
    _cleanup_free_ char *log = xasprintf("%s/%s-json.log", dir, id);
    char nums[5 + MAX_PASSED_CLIENTS][16], initpid[16];
    char *argv[32 + 2 * MAX_PASSED_CLIENTS];
    size_t n = 0;
    const int fds[4] = {f->out, f->err, f->in, f->listen};
    static const char *const names[4] = {"--out", "--err", "--in", "--listen"};

    if (mon) {
        snprintf(initpid, sizeof(initpid), "%d", init);
        argv[n++] = mon;
        argv[n++] = "--hull";
        argv[n++] = self;
        argv[n++] = "--root";
        argv[n++] = e->root;
        argv[n++] = "--runroot";
        argv[n++] = e->runroot;
        argv[n++] = "--id";
        argv[n++] = (char *)id;
        argv[n++] = "--init";
        argv[n++] = initpid;
        argv[n++] = "--log";
        argv[n++] = log;
        if (tty)
            argv[n++] = "--tty";
        if (may_restart)
            argv[n++] = "--may-restart";
        /* Nothing but these crosses the exec: the rest of hull's fds (the
         * database, the runtime's) are close-on-exec from here on. */
        syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
        for (size_t i = 0; i < 4; i++) {
            if (fds[i] < 0)
                continue;
            snprintf(nums[i], sizeof(nums[i]), "%d", fds[i]);
            argv[n++] = (char *)names[i];
            argv[n++] = nums[i];
            fcntl(fds[i], F_SETFD, 0);
        }
        for (size_t i = 0; i < f->nclients && i < MAX_PASSED_CLIENTS; i++) {
            snprintf(nums[4 + i], sizeof(nums[4 + i]), "%d", f->clients[i]);
            argv[n++] = f->owner && i == 0 ? "--owner" : "--client";
            argv[n++] = nums[4 + i];
            fcntl(f->clients[i], F_SETFD, 0);
        }
        argv[n] = NULL;
        /* The ready pipe is close-on-exec: the caller sees EOF after "OK"
         * once hull-monitor runs, and an "ERR" after it if it could not. */
        report(ready, "OK %d", init);
        if (self)
            execv(mon, argv);
        hull_error_set(&err, errno, "monitor: exec %s", mon);
    }
    /* No monitor: the container must not run unwatched. */
    kill(init, SIGKILL);
    waitpid(init, NULL, 0);
    {
        _cleanup_free_ char *rtroot = hull_engine_runtime_root(e);
        _cleanup_free_ char *dbpath = xasprintf("%s/hull.db", e->root);
        struct hull_runtime rt = {.root = rtroot};
        hull_container_delete(&rt, id, true, NULL);
        if (e->db == NULL)
            hull_db_open(dbpath, &e->db, NULL);
    }
    hull_network_release(e, id);
    hull_db_exec(
        e->db, NULL,
        "UPDATE containers SET state='exited', ip=NULL, exit_code=125, abnormal=1, reason=? "
        "WHERE id=?",
        "ss", err.msg, id);
    report(ready, "\nERR %s", err.msg);
    _exit(125);
}

/* The new monitor's database connection, opened by a thread while the runtime
 * parses the config, compiles the seccomp filter and makes the cgroups (half a
 * millisecond of every start off the critical path), and joined right before
 * the runtime clones the init: the clone skips glibc's fork handlers, so no
 * thread may hold malloc's lock then. */
static struct {
    pthread_t thread;
    bool running;
    char *path;
    sqlite3 *db;
    hull_error err;
    int notify; /* written to (then closed) once the open is done */
} db_opener;

static void db_opener_open(void)
{
    (void)hull_db_open(db_opener.path, &db_opener.db, &db_opener.err);
    if (db_opener.notify >= 0) {
        (void)!write(db_opener.notify, "D", 1);
        close(db_opener.notify);
        db_opener.notify = -1;
    }
}

static void *db_opener_main(void *arg)
{
    (void)arg;
    db_opener_open();
    return NULL;
}

static void db_open_start(const char *root, int notify)
{
    db_opener.path = xasprintf("%s/hull.db", root);
    db_opener.notify = notify;
    db_opener.running = pthread_create(&db_opener.thread, NULL, db_opener_main, NULL) == 0;
    if (!db_opener.running)
        db_opener_open();
}

/* Wait for the opener (if one was started) and give e its connection. */
static void db_open_join(void *data)
{
    struct hull_engine *e = data;
    if (db_opener.running) {
        pthread_join(db_opener.thread, NULL);
        db_opener.running = false;
    }
    if (e->db == NULL && db_opener.db) {
        e->db = db_opener.db;
        db_opener.db = NULL;
    }
}

static int db_open_finish(struct hull_engine *e, hull_error *err)
{
    db_open_join(e);
    if (e->db)
        return 0;
    if (db_opener.err.msg)
        return hull_error_msg(err, db_opener.err.errnum, "%s", db_opener.err.msg);
    return hull_error_msg(err, EIO, "monitor: no database connection");
}

/* Stage 1: create, plug in the network, start, record (with our own pid as
 * the monitor's, in the same write that says "running": a repair must never
 * see a running container without its monitor); then become hull-monitor. Returns only on failure
 * (recorded, reported on `ready`). */
static int setup(struct hull_engine *e, const struct hull_monitor_args *a, int listen_fd,
                 const int *clients, size_t nclients, bool owner, int ready, hull_error *err)
{
    _cleanup_free_ char *rtroot = hull_engine_runtime_root(e);
    _cleanup_free_ char *bundle = hull_engine_bundle(e, a->id);
    _cleanup_free_ char *console_path = NULL;
    _cleanup_close_ int console = -1, bundle_fd = -1;
    struct hull_runtime rt = {.root = rtroot};
    struct hull_create_opts co = {.id = a->id,
                                  .bundle = bundle,
                                  .detach = true,
                                  .before_clone = db_open_join,
                                  .before_clone_data = e};
    struct monitor_fds f = {.out = -1,
                            .err = -1,
                            .in = -1,
                            .listen = listen_fd,
                            .clients = clients,
                            .nclients = nclients,
                            .owner = owner};
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, in[2] = {-1, -1}, dn;
    sigset_t set;
    pid_t init = 0;
    bool host_net = a->network && strcmp(a->network, "host") == 0;
    bool bridged = a->network && strcmp(a->network, "none") != 0 && !host_net;
    /* Networks it was connected to (network connect) come back at every
     * start. A connect or disconnect meanwhile waits for the lock, then
     * sees the container running. */
    _cleanup_close_ int netlock = host_net ? -1 : hull_network_lock(e, a->id, err);
    bool connected = false; /* asked (under the lock) once the database is open */

    /* A foreground client's terminal size, set before the container starts
     * (its resize message may come later than the first `stty size`). */
    struct winsize ws;
    bool have_ws = a->tty && !a->detach && ioctl(0, TIOCGWINSZ, &ws) == 0;

    if (!host_net && netlock < 0)
        goto failed;
    if (f.listen < 0 &&
        (f.listen = listen_unix(bundle, HULL_ATTACH_SOCKET, SOCK_SEQPACKET, NULL, NULL, err)) < 0)
        goto failed;
    dn = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (a->tty) {
        /* The init opens a pty in its own devpts and sends us the master
         * (the console-socket protocol); its stdio becomes the slave. */
        console = listen_unix(bundle, "console.sock", SOCK_STREAM, &bundle_fd, &console_path, err);
        if (console < 0)
            goto failed;
        co.console_socket = console_path;
        dup2(dn, 0), dup2(dn, 1), dup2(dn, 2);
    } else {
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
            (a->interactive && pipe2(in, O_CLOEXEC) < 0)) {
            hull_error_set(err, errno, "monitor: pipe");
            goto failed;
        }
        /* The init inherits 0/1/2: our pipes (stdin: /dev/null without -i). */
        dup2(a->interactive ? in[0] : dn, 0);
        dup2(out[1], 1);
        dup2(errp[1], 2);
        f.out = out[0], f.err = errp[0], f.in = in[1];
        close(out[1]), close(errp[1]);
        if (in[0] >= 0)
            close(in[0]);
    }
    /* Block SIGCHLD before the init exists so no exit can be missed (the
     * mask and the pending signal survive the exec into hull-monitor). */
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (hull_container_create(&rt, &co, err) < 0 || db_open_finish(e, err) < 0)
        goto failed;
    connected = a->network && !host_net && hull_network_has_connected(e, a->id);
    {
        json_t *st = NULL;
        if (hull_container_state(&rt, a->id, &st, NULL) == 0)
            init = (pid_t)json_integer_value(json_object_get(st, "pid"));
        json_decref(st);
    }
    if (a->tty) {
        f.out = recv_master(console, err);
        (void)unlinkat(bundle_fd, "console.sock", 0);
        if (f.out < 0)
            goto failed;
        f.in = f.out;
        if (have_ws)
            ioctl(f.out, TIOCSWINSZ, &ws);
    }
    /* Between create and start the network namespace exists and nothing runs
     * in it yet: the moment to plug it in. */
    if (!host_net) {
        _cleanup_free_ char *netns = bridged || connected ? hull_network_pin(e, a->id, init, err)
                                                          : xasprintf("/proc/%d/ns/net", init);
        _cleanup_free_ char *ip = NULL;
        if (netns == NULL)
            goto failed;
        if (hull_network_loopback(a->id, netns, err) < 0)
            goto failed;
        if (bridged) {
            json_t *ports = a->ports ? json_loads(a->ports, 0, NULL) : NULL;
            int r = hull_network_attach(e, a->id, a->network, netns,
                                        json_array_size(ports) ? ports : NULL, &ip, err);
            json_decref(ports);
            if (r < 0)
                goto failed;
            hull_db_exec(e->db, NULL, "UPDATE containers SET ip=? WHERE id=?", "ss", ip, a->id);
            hull_network_update_hosts(e, a->network, a->id);
        }
        if (connected && hull_network_attach_connected(e, a->id, netns, bridged, err) < 0)
            goto failed;
    }
    if (hull_container_start(&rt, a->id, err) < 0)
        goto failed;
    /* Our copies of the write ends are gone: EOF on the pipes means the
     * container (and everything that inherited its stdio) closed them. */
    dup2(dn, 0), dup2(dn, 1), dup2(dn, 2);
    close(dn);
    hull_db_exec(e->db, NULL,
                 "UPDATE containers SET state='running', pid=?, started_at=?, monitor_pid=?, "
                 "monitor_start=? WHERE id=?",
                 "iiiis", (int64_t)init, hull_now_ns(), (int64_t)getpid(),
                 (int64_t)hull_proc_start_time(getpid()), a->id);
    if (netlock >= 0)
        close(steal_fd(&netlock));
    hull_db_event(e->db, "start", a->id, a->name, a->image, 0, 0, false, NULL);
    sqlite3_close(e->db);
    e->db = NULL;
    exec_monitor(e, a->id, init, a->tty, a->restart && strcmp(a->restart, "no") != 0, &f, ready);

failed:
    db_open_join(e);
    if (e->db == NULL) { /* no network was attached, and the row cannot be written */
        hull_container_delete(&rt, a->id, true, NULL);
        report(ready, "ERR %s", err->msg);
        return -1;
    }
    hull_network_release(e, a->id); /* no-op unless an ADD was made */
    if (init > 0)
        hull_container_delete(&rt, a->id, true, NULL);
    hull_db_exec(e->db, NULL,
                 "UPDATE containers SET state='exited', ip=NULL, exit_code=125, "
                 "abnormal=1, reason=? WHERE id=?",
                 "ss", err->msg, a->id);
    report(ready, "ERR %s", err->msg);
    return -1;
}

/* The monitor arguments of container `id` from its row (NULL: no such row).
 * Strings point into *row_out, which the caller keeps until done. */
static int args_from_row(struct hull_engine *e, const char *id, struct hull_monitor_args *a,
                         json_t **row_out)
{
    json_t *rows = NULL, *r, *opts;

    if (hull_db_query(e->db, &rows, NULL, "SELECT * FROM containers WHERE id=?", "s", id) < 0 ||
        json_array_size(rows) != 1) {
        json_decref(rows);
        return -1;
    }
    r = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    opts = json_loads(json_string_value(json_object_get(r, "opts")) ?: "{}", 0, NULL);
    json_object_set_new(r, "_opts", opts ? opts : json_object());
    opts = json_object_get(r, "_opts");
    memset(a, 0, sizeof(*a));
    a->id = json_string_value(json_object_get(r, "id"));
    a->name = json_string_value(json_object_get(r, "name"));
    a->image = json_string_value(json_object_get(r, "image"));
    a->network = json_string_value(json_object_get(r, "network"));
    if (a->network && hull_str_has_prefix(a->network, HULL_NET_CONTAINER))
        a->network = NULL; /* the peer's namespace: nothing to set up */
    a->ports = json_string_value(json_object_get(r, "ports"));
    a->restart = json_string_value(json_object_get(opts, "restart"));
    a->rm = json_is_true(json_object_get(opts, "rm"));
    a->tty = json_is_true(json_object_get(opts, "tty"));
    a->interactive = json_is_true(json_object_get(opts, "interactive"));
    a->detach = true;
    *row_out = r;
    return 0;
}

int hull_monitor_args_load(struct hull_engine *e, const char *id, struct hull_monitor_args *a,
                           json_t **row_out, hull_error *err)
{
    if (args_from_row(e, id, a, row_out) < 0)
        return hull_error_msg(err, ENOENT, "no such container: %s", id);
    return 0;
}

pid_t hull_monitor_spawn(struct hull_engine *e, const struct hull_monitor_args *a, int *exit_status,
                         hull_error *err)
{
    int ready[2], sp[2] = {-1, -1}, dbready[2] = {-1, -1};
    char buf[4096];
    size_t got = 0;
    const char *bad;
    pid_t pid;

    *exit_status = 0;
    if (pipe2(ready, O_CLOEXEC) < 0)
        return hull_error_set(err, errno, "monitor: pipe");
    /* In the foreground we are the monitor's first attach client, connected
     * before the container starts so no output is missed. */
    if ((!a->detach && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) ||
        pipe2(dbready, O_CLOEXEC) < 0) {
        hull_error_set(err, errno, "monitor: %s", sp[0] < 0 && !a->detach ? "socketpair" : "pipe");
        close(ready[0]);
        close(ready[1]);
        if (sp[0] >= 0)
            close(sp[0]), close(sp[1]);
        return -1;
    }
    /* SQLite keeps per-process lock and shared-memory state for every open
     * database: a child forked with a connection open inherits a copy that
     * no longer matches reality and corrupts the WAL protocol. Close ours,
     * fork, and reopen on both sides. */
    sqlite3_close(e->db);
    e->db = NULL;
    pid = fork();
    if (pid < 0) {
        hull_error_set(err, errno, "monitor: fork");
        goto out;
    }
    if (pid == 0) {
        struct hull_engine ce = {.root = e->root, .runroot = e->runroot};
        hull_error cerr = {0};
        /* First the database connection (its thread is the last one the
         * runtime waits for before the clone), then the cgroup lock's grace
         * period again (the parent's warm-up has expired by the time the
         * runtime migrates the init), so that it overlaps the monitor setup
         * below. The runtime's create finds it started and joins it. */
        close(dbready[0]);
        db_open_start(e->root, dbready[1]);
        hull_cgroup_prewarm();
        close(ready[0]);
        if (sp[0] >= 0)
            close(sp[0]);
        /* Its own session: terminal signals meant for the client (Ctrl-C)
         * never reach the monitor. */
        setsid();
        if (a->detach && a->has_client)
            setup(&ce, a, -1, &a->client, 1, false, ready[1], &cerr);
        else
            setup(&ce, a, -1, &sp[1], sp[1] >= 0 ? 1 : 0, true, ready[1], &cerr);
        _exit(125);
    }
    close(ready[1]);
    ready[1] = -1;
    if (sp[1] >= 0)
        close(sp[1]);
    sp[1] = -1;
    /* Reopened as soon as the child's connection exists (the child says so on
     * dbready, or closes it by dying): never both the first connection of the
     * WAL database at once, which made one of them wait in SQLite's busy
     * handler for 1 to 8 ms, and not the first at all, so no WAL index is
     * rebuilt. All while the child sets the container up: the connection is
     * ready when the container exits. */
    close(steal_fd(&dbready[1]));
    {
        _cleanup_free_ char *dbpath = xasprintf("%s/hull.db", e->root);
        char c;
        while (read(dbready[0], &c, 1) < 0 && errno == EINTR)
            ;
        close(steal_fd(&dbready[0]));
        if (hull_db_open(dbpath, &e->db, err) < 0)
            goto out;
    }
    for (;;) {
        ssize_t n = read(ready[0], buf + got, sizeof(buf) - 1 - got);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    buf[got] = '\0';
    bad = strstr(buf, "ERR ");
    if (strncmp(buf, "OK ", 3) != 0 || bad) {
        waitpid(pid, NULL, 0);
        hull_error_msg(err, EIO, "%s", bad ? bad + 4 : "monitor died during setup");
        pid = -1;
        goto out;
    }
    if (!a->detach) {
        int status = 0;
        struct hull_attach_opts ao = {
            .in = a->interactive, .tty = a->tty, .proxy_id = a->id, .exit_status = &status};
        int end = hull_attach_relay(e, sp[0], &ao);
        if (end == HULL_ATTACH_EOF || end == HULL_ATTACH_EXITED) {
            int st = 0;
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            if (end == HULL_ATTACH_EOF)
                status = st;
        }
        if (end == HULL_ATTACH_EXITED && hull_monitor_fold_exit_file(e, a->id) < 0) {
            int code; /* someone's repair claimed it first: let it finish */
            hull_engine_wait(e, a->id, &code, NULL);
        }
        if (end == HULL_ATTACH_EOF || end == HULL_ATTACH_EXITED)
            *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        else if (end != HULL_ATTACH_DETACHED)
            *exit_status = end;
    }
out:
    if (dbready[0] >= 0)
        close(dbready[0]);
    if (dbready[1] >= 0)
        close(dbready[1]);
    close(ready[0]);
    if (ready[1] >= 0)
        close(ready[1]);
    if (sp[0] >= 0)
        close(sp[0]);
    if (sp[1] >= 0)
        close(sp[1]);
    return pid;
}

/* Did the kernel OOM-kill something in the container's memory cgroup? */
static bool oom_killed(const char *runtime_root, const char *id)
{
    struct hull_state *st = NULL;
    json_t *h, *v;
    size_t i;
    bool killed = false;

    if (hull_state_load(runtime_root, id, &st, NULL) < 0 || st->cgroup == NULL) {
        hull_state_free(st);
        return false;
    }
    h = json_object_get(st->cgroup, "hierarchies");
    json_array_foreach (h, i, v) {
        const char *dir = json_string_value(json_object_get(v, "dir"));
        _cleanup_free_ char *f = dir ? xasprintf("%s/memory.oom_control", dir) : NULL;
        _cleanup_free_ char *data = NULL;
        char *k;
        if (f && hull_read_file(f, 4096, &data, NULL, NULL) == 0 &&
            (k = strstr(data, "oom_kill ")) != NULL && atoi(k + 9) > 0)
            killed = true;
    }
    hull_state_free(st);
    return killed;
}

/* --restart: no | always | unless-stopped | on-failure[:N]. A stop or kill
 * that the user asked for never restarts. */
static bool should_restart(const char *policy, int code, const char *reason, int restarts)
{
    if (policy == NULL || strcmp(policy, "no") == 0 || strncmp(reason, "requested:", 10) == 0)
        return false;
    if (strcmp(policy, "always") == 0 || strcmp(policy, "unless-stopped") == 0)
        return true;
    if (strncmp(policy, "on-failure", 10) == 0) {
        int max = policy[10] == ':' ? atoi(policy + 11) : 0;
        return code != 0 && (max == 0 || restarts < max);
    }
    return false;
}

/* Record that the init of `a->id` ended with wait status `status`: exit
 * code, abnormal flag and reason, the die (and oom) event; runtime delete and
 * CNI release. Returns the exit code; *restart says whether the policy wants
 * the container back (only asked when allow_restart). */
static int record_exit(struct hull_engine *e, const struct hull_monitor_args *a, json_t *row,
                       int status, bool allow_restart, bool *restart)
{
    _cleanup_free_ char *rtroot = hull_engine_runtime_root(e);
    struct hull_runtime rt = {.root = rtroot};
    bool bridged = a->network && strcmp(a->network, "none") != 0 && strcmp(a->network, "host") != 0;
    _cleanup_close_ int netlock = -1;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int restarts = (int)json_integer_value(json_object_get(row, "restart_count"));
    char reason[256] = "";
    bool abnormal = false;
    hull_error err = {0};

    if (json_is_string(json_object_get(row, "reason")))
        snprintf(reason, sizeof(reason), "%s", json_string_value(json_object_get(row, "reason")));
    /* Abnormal: a non-zero exit, an OOM kill, or a signal nobody asked for
     * (hull stop/kill record that they sent one). */
    if (oom_killed(rtroot, a->id)) {
        abnormal = true;
        snprintf(reason, sizeof(reason), "OOM-killed (memory limit reached)");
        hull_db_event(e->db, "oom", a->id, a->name, a->image, code, sig, true, reason);
    } else if (sig && strncmp(reason, "requested:", 10) != 0) {
        abnormal = true;
        snprintf(reason, sizeof(reason), "killed by unexpected signal %d (%s)", sig,
                 strsignal(sig));
    } else if (!sig && code != 0) {
        abnormal = true;
        snprintf(reason, sizeof(reason), "exited with code %d", code);
    } else if (!sig) {
        reason[0] = '\0';
    }
    hull_container_delete(&rt, a->id, true, NULL);
    /* Every attachment, also the networks connected to a --network none
     * container (no-op when nothing is owed); a connect or disconnect under
     * way finishes first, and one after sees the new state. */
    netlock = hull_network_lock(e, a->id, NULL);
    hull_network_release(e, a->id);
    *restart = allow_restart && should_restart(a->restart, code, reason, restarts);
    /* Like docker: a stopped container holds no mount; start mounts it again.
     * Before the state says "exited", so no start can race this. */
    if (!*restart)
        hull_engine_umount_rootfs(e, a->id);
    /* One write: a waiter must never see "exited" for a container that is
     * about to be restarted. */
    if (hull_db_exec(e->db, &err,
                     "UPDATE containers SET state=?, ip=NULL, exit_code=?, "
                     "finished_at=?, abnormal=?, reason=? WHERE id=?",
                     "siiiss", *restart ? "restarting" : "exited", (int64_t)code, hull_now_ns(),
                     (int64_t)abnormal, reason[0] ? reason : NULL, a->id) < 0) {
        /* Nobody to tell but the container's own log directory. */
        _cleanup_free_ char *dir = hull_engine_dir(e, a->id);
        _cleanup_free_ char *ml = xasprintf("%s/monitor.log", dir);
        int fd = open(ml, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dprintf(fd, "record exit: %s\n", err.msg);
            close(fd);
        }
        hull_error_clear(&err);
    }
    if (netlock >= 0)
        close(steal_fd(&netlock));
    hull_db_event(e->db, "die", a->id, a->name, a->image, code, sig, abnormal,
                  reason[0] ? reason : NULL);
    if (bridged)
        hull_network_update_hosts(e, a->network, NULL);
    if (*restart) {
        hull_db_exec(e->db, NULL, "UPDATE containers SET restart_count=?, reason=NULL WHERE id=?",
                     "is", (int64_t)restarts + 1, a->id);
        hull_db_event(e->db, "restart", a->id, a->name, a->image, code, sig, false, NULL);
    }
    return code;
}

static void remove_container(struct hull_engine *e, const struct hull_monitor_args *a)
{
    hull_engine_autoremove(e, a->id, a->name, a->image);
}

static bool still_restarting(struct hull_engine *e, const char *id)
{
    json_t *rows = NULL;
    bool r = hull_db_query(e->db, &rows, NULL, "SELECT state FROM containers WHERE id=?", "s",
                           id) == 0 &&
             strcmp(json_string_value(json_object_get(json_array_get(rows, 0), "state")) ?: "",
                    "restarting") == 0;
    json_decref(rows);
    return r;
}

int hull_monitor_exit(struct hull_engine *e, const char *id, int status, int listen_fd,
                      const int *clients, size_t nclients)
{
    struct hull_monitor_args a;
    json_t *row = NULL;
    hull_error err = {0};
    bool restart;
    int code;

    if (args_from_row(e, id, &a, &row) < 0)
        return 125; /* removed meanwhile (rm -f) */
    code = record_exit(e, &a, row, status, true, &restart);
    if (restart) {
        int restarts = (int)json_integer_value(json_object_get(row, "restart_count")) + 1;
        /* Back off a little, as docker does, so a crash loop cannot spin. */
        usleep(restarts < 10 ? 100000u * (unsigned)restarts : 1000000u);
        /* A stop meanwhile cancelled it (state exited), or rm removed it. */
        if (!still_restarting(e, id)) {
            if (a.rm)
                remove_container(e, &a);
            json_decref(row);
            return code;
        }
        setup(e, &a, listen_fd, clients, nclients, false, -1, &err);
        hull_error_clear(&err);
        json_decref(row);
        return 125;
    }
    if (a.rm)
        remove_container(e, &a);
    json_decref(row);
    return code;
}

int hull_monitor_fold_exit_file(struct hull_engine *e, const char *id)
{
    _cleanup_free_ char *bundle = hull_engine_bundle(e, id);
    _cleanup_free_ char *path = xasprintf("%s/exit-status", bundle);
    _cleanup_free_ char *mine = xasprintf("%s/exit-status.%d", bundle, getpid());
    _cleanup_free_ char *data = NULL;
    struct hull_monitor_args a;
    json_t *row = NULL;
    bool restart;

    /* Claim it: the foreground owner and any command's repair may race for
     * it, and only one may record the exit. */
    if (rename(path, mine) < 0)
        return -1;
    if (hull_read_file(mine, 64, &data, NULL, NULL) == 0 && args_from_row(e, id, &a, &row) == 0) {
        record_exit(e, &a, row, atoi(data), false, &restart);
        if (a.rm)
            remove_container(e, &a);
        json_decref(row);
    }
    unlink(mine);
    return 0;
}
