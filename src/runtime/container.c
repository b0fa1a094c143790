/* Container lifecycle, runtime side: create, start, run, kill, delete,
 * state, list, pause. Each is one library call behind a CLI verb. */
#include "runtime.h"
#include "internal.h"
#include "state.h"
#include "cgroup/cgroup.h"
#include "../base/util.h"
#include "../base/json.h"
#include "../base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What a successful create hands to run/start. */
struct created {
    pid_t init_pid;
    bool init_is_child; /* our direct child (else reparented to us as subreaper) */
    int pty_master;
};

static char *now_rfc3339(void)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    return xasprintf("%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

static char *state_json_for_hooks(const char *id, const char *bundle, const char *status, pid_t pid,
                                  json_t *annotations)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", "1.2.0", "id", id, "status",
                          status, "pid", (json_int_t)pid, "bundle", bundle ? bundle : "");
    char *s;
    if (annotations)
        json_object_set(o, "annotations", annotations);
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* Compiling a profile with libseccomp costs ~13 ms; a cache hit ~0.1 ms. The
 * cache lives in the state root (root-owned, 0700) and every entry is
 * verified against its key and checksum, falling back to a compile. */
int hull_runtime_compile_seccomp(struct hull_runtime *rt, const struct hull_config *c,
                                 struct hull_seccomp_program *sc, hull_error *err)
{
    _cleanup_free_ char *dir = NULL;

    if (c->seccomp == NULL)
        return hull_seccomp_compile(NULL, sc, err);
    if (hull_mkdir_p(rt->root, 0700, NULL) < 0)
        return hull_seccomp_compile(c->seccomp, sc, err);
    dir = xasprintf("%s/.seccomp-cache", rt->root);
    return hull_seccomp_compile_cached(c->seccomp, dir, sc, err);
}

/* Validate everything that can be validated before any resource exists. */
static int precheck(const struct hull_config *c, const struct hull_create_opts *o, hull_error *err)
{
    struct stat st;

    if (!c->has_process)
        return hull_error_msg(err, EINVAL, "process: required to create a container");
    if (c->process.apparmor_profile && c->process.apparmor_profile[0])
        return hull_error_msg(err, ENOTSUP,
                              "process.apparmorProfile: AppArmor is not enabled on this host "
                              "(active LSMs lack apparmor); refusing to run unconfined");
    if (c->process.selinux_label && c->process.selinux_label[0])
        return hull_error_msg(err, ENOTSUP,
                              "process.selinuxLabel: SELinux is not enabled on this host; "
                              "refusing to run unlabeled");
    if (stat(c->rootfs, &st) < 0)
        return hull_error_set(err, errno, "root.path %s", c->rootfs);
    if (!S_ISDIR(st.st_mode))
        return hull_error_msg(err, ENOTDIR, "root.path %s", c->rootfs);
    if (hull_config_namespace(c, CLONE_NEWNS) == NULL)
        return hull_error_msg(err, EINVAL, "linux.namespaces: a mount namespace is required");
    if (c->process.terminal && o->detach && o->console_socket == NULL)
        return hull_error_msg(err, EINVAL,
                              "process.terminal: a detached container with a terminal needs "
                              "--console-socket");
    return 0;
}

/* The device cgroup must let the container use the nodes the runtime itself
 * creates (runc's default allow list) and those in linux.devices, after
 * whatever the spec's own rules say (usually "deny all"). */
static void add_default_device_rules(struct hull_config *c)
{
    static const struct {
        const char *type;
        int major, minor;
        const char *access;
    } allow[] = {
        {"c", -1, -1, "m"}, {"b", -1, -1, "m"}, {"c", 1, 3, "rwm"},    {"c", 1, 5, "rwm"},
        {"c", 1, 7, "rwm"}, {"c", 1, 8, "rwm"}, {"c", 1, 9, "rwm"},    {"c", 5, 0, "rwm"},
        {"c", 5, 1, "rwm"}, {"c", 5, 2, "rwm"}, {"c", 136, -1, "rwm"}, {"c", 10, 200, "rwm"},
    };
    json_t *linux_ = json_object_get(c->root, "linux");
    json_t *devs;

    if (!json_is_object(linux_))
        return;
    if (c->resources == NULL) {
        c->resources = json_object();
        json_object_set_new(linux_, "resources", c->resources);
    }
    devs = json_object_get(c->resources, "devices");
    if (!json_is_array(devs)) {
        /* No rules at all means "leave the device cgroup alone". */
        return;
    }
    for (size_t i = 0; i < HULL_ARRAY_SIZE(allow); i++) {
        json_t *r = json_pack("{s:b, s:s, s:s}", "allow", 1, "type", allow[i].type, "access",
                              allow[i].access);
        if (allow[i].major >= 0)
            json_object_set_new(r, "major", json_integer(allow[i].major));
        if (allow[i].minor >= 0)
            json_object_set_new(r, "minor", json_integer(allow[i].minor));
        json_array_append_new(devs, r);
    }
    for (size_t i = 0; i < c->n_devices; i++) {
        const struct hull_device *d = &c->devices[i];
        if (d->type == 'p')
            continue;
        json_array_append_new(devs,
                              json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type",
                                        d->type == 'b' ? "b" : "c", "major", (json_int_t)d->major,
                                        "minor", (json_int_t)d->minor, "access", "rwm"));
    }
}

/* systemd socket activation, as runc does it: when we were started with
 * LISTEN_FDS=N, fds 3..3+N-1 go to the container too, and its process learns
 * about them through LISTEN_FDS=N and LISTEN_PID=1 (it is pid 1 in there). */
static int socket_activation(struct hull_config *c)
{
    const char *v = getenv("LISTEN_FDS");
    unsigned long long n;
    size_t len;

    if (v == NULL || hull_parse_u64(v, &n) < 0 || n == 0 || n > 1024)
        return 0;
    len = hull_strv_len(c->process.env);
    c->process.env = xrealloc(c->process.env, (len + 3) * sizeof(char *));
    c->process.env[len++] = xasprintf("LISTEN_FDS=%llu", n);
    c->process.env[len++] = xstrdup("LISTEN_PID=1");
    c->process.env[len] = NULL;
    return (int)n;
}

/* Does linux.resources ask for anything beyond device rules? */
static bool has_limits(json_t *resources)
{
    const char *key;
    json_t *v;
    json_object_foreach (resources, key, v) {
        if (strcmp(key, "devices") != 0)
            return true;
    }
    return false;
}

static void kill_and_reap(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* Parent side of the setup handshake. Returns 0 once the init reports
 * CREATED. */
static int drive_init(const struct hull_config *c, const struct hull_create_opts *o,
                      const struct hull_seccomp_program *sc, int sock, pid_t child,
                      struct hull_cgroup *cg, int ns_new, struct created *out, hull_error *err)
{
    struct hull_sync_msg *m = xmalloc0(sizeof(*m));
    int ret = -1;

    if ((ns_new & CLONE_NEWUSER) && hull_ns_write_mappings(child, c, err) < 0)
        goto out;
    if (cg && hull_cgroup_enter(cg, child, err) < 0)
        goto out;
    if (hull_sync_send(sock, SYNC_GO, 0, NULL, -1) < 0) {
        hull_error_set(err, errno, "sync: send");
        goto out;
    }
    for (;;) {
        int fd = -1;
        _cleanup_free_ char *state = NULL;
        if (hull_sync_recv(sock, m, &fd, err) < 0)
            goto out;
        switch (m->type) {
        case SYNC_PID:
            out->init_pid = m->value;
            out->init_is_child = false;
            while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
                ;
            break;
        case SYNC_HOOKS:
            state =
                state_json_for_hooks(o->id, o->bundle, "creating", out->init_pid, c->annotations);
            if (hull_hooks_run(c, HULL_HOOK_PRESTART, state, err) < 0 ||
                hull_hooks_run(c, HULL_HOOK_CREATE_RUNTIME, state, err) < 0)
                goto out;
            hull_sync_send(sock, SYNC_HOOKS_DONE, 0, state, -1);
            break;
        case SYNC_PTY:
            out->pty_master = fd;
            break;
        case SYNC_SECCOMP:
            state =
                state_json_for_hooks(o->id, o->bundle, "creating", out->init_pid, c->annotations);
            if (hull_seccomp_send_listener(sc, fd, state, err) < 0) {
                close(fd);
                goto out;
            }
            close(fd);
            hull_sync_send(sock, SYNC_SECCOMP_DONE, 0, NULL, -1);
            break;
        case SYNC_STATE:
            state =
                state_json_for_hooks(o->id, o->bundle, "created", out->init_pid, c->annotations);
            hull_sync_send(sock, SYNC_STATE, 0, state, -1);
            break;
        case SYNC_CREATED:
            ret = 0;
            goto out;
        case SYNC_ERROR:
            hull_error_set(err, 0, "%s", m->text);
            goto out;
        default:
            hull_error_msg(err, EPROTO, "sync: unexpected message %d", m->type);
            goto out;
        }
    }
out:
    free(m);
    return ret;
}

/* A new network namespace is the dearest part of the init's clone (every pernet
 * subsystem sets itself up: 0.4 ms here). A helper thread makes it with unshare(),
 * which changes only the calling thread's namespaces, while this thread compiles
 * seccomp and makes the cgroups; the init joins it instead of making its own. Not
 * with a new user namespace, which must own it. The thread makes raw syscalls only
 * and is joined before the clone (the clone skips glibc's fork handlers). */
struct netns_maker {
    pthread_t thread;
    bool running;
    int fd;
};

static void *netns_maker_main(void *arg)
{
    struct netns_maker *m = arg;
    if (unshare(CLONE_NEWNET) == 0)
        m->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    return NULL;
}

static void netns_maker_start(struct netns_maker *m, int clone_flags)
{
    m->fd = -1;
    m->running = (clone_flags & CLONE_NEWNET) && !(clone_flags & CLONE_NEWUSER) &&
                 pthread_create(&m->thread, NULL, netns_maker_main, m) == 0;
}

/* The made namespace (-1: the clone makes one); the caller owns the fd. */
static int netns_maker_finish(struct netns_maker *m)
{
    int fd;
    if (m->running) {
        pthread_join(m->thread, NULL);
        m->running = false;
    }
    fd = m->fd;
    m->fd = -1;
    return fd;
}

/* Join the thread and close what it made, if nobody took it. */
static void netns_maker_discard(struct netns_maker *m)
{
    int fd = netns_maker_finish(m);
    if (fd >= 0)
        close(fd);
}

static int create_internal(struct hull_runtime *rt, const struct hull_create_opts *o,
                           struct created *out, hull_error *err)
{
    struct netns_maker netns = {.fd = -1};
    _cleanup_close_ int made_netns = -1;
    struct hull_config *c = NULL;
    struct hull_seccomp_program sc = {0};
    struct hull_cgroup_resources *res = NULL;
    struct hull_cgroup *cg = NULL;
    struct hull_state st = {0};
    _cleanup_free_ char *dir = NULL, *fifo = NULL, *bundle = NULL;
    _cleanup_close_ int console = -1, fifo_fd = -1;
    int sv[2] = {-1, -1};
    int *idmap_fds = NULL, listen_fds = 0;
    pid_t child = -1;
    int ns_new, ret = -1;
    bool dir_made = false;

    out->init_pid = -1;
    out->pty_master = -1;
    if (hull_state_validate_id(o->id, err) < 0)
        return -1;
    hull_cgroup_prewarm();
    bundle = realpath(o->bundle ? o->bundle : ".", NULL);
    if (bundle == NULL)
        return hull_error_set(err, errno, "bundle %s", o->bundle ? o->bundle : ".");
    if (hull_config_load(bundle, &c, err) < 0 || precheck(c, o, err) < 0)
        goto fail;
    ns_new = hull_ns_clone_flags(c);
    netns_maker_start(&netns, ns_new);
    if (hull_runtime_compile_seccomp(rt, c, &sc, err) < 0)
        goto fail;
    add_default_device_rules(c);
    if (hull_cgroup_resources_parse(c->resources, &res, err) < 0)
        goto fail;
    listen_fds = socket_activation(c);
    if (o->console_socket) {
        console = hull_console_connect(o->console_socket, err);
        if (console < 0)
            goto fail;
    }
    if (hull_state_dir_create(rt->root, o->id, &dir, err) < 0)
        goto fail;
    dir_made = true;
    fifo = xasprintf("%s/exec.fifo", dir);
    /* 0622: the init may run as an unprivileged (or user-namespaced) uid and
     * must still open it for writing; only root can read it. */
    if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0) {
        hull_error_set(err, errno, "mkfifo %s", fifo);
        goto fail;
    }
    fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
    if (fifo_fd < 0) {
        hull_error_set(err, errno, "open %s", fifo);
        goto fail;
    }
    if (hull_cgroup_create(o->id, c->cgroups_path, rt->systemd_cgroup, &cg, err) < 0) {
        /* Rootless without a delegated cgroup: run without one, as runc does,
         * but say so; limits that were asked for cannot be honoured. */
        if (geteuid() == 0 ||
            (err->errnum != EACCES && err->errnum != EPERM && err->errnum != EROFS))
            goto fail;
        if (has_limits(c->resources)) {
            hull_error_prefix(err, "linux.resources: limits need a cgroup, and this user "
                                   "has no delegated cgroup");
            goto fail;
        }
        hull_warn("container %s: rootless and no writable cgroup (%s): running without "
                  "cgroup limits",
                  o->id, err->msg);
        hull_error_clear(err);
        cg = NULL;
    }
    if (cg) {
        /* Record the cgroup before anything can run in it: if this process
         * is killed from here on, `delete --force` finds and removes it. */
        struct hull_state pre = {.id = (char *)o->id,
                                 .bundle = bundle,
                                 .rootfs = c->rootfs,
                                 .oci_version = c->oci_version,
                                 .cgroup = hull_cgroup_to_json(cg)};
        int r = hull_state_save(rt->root, &pre, err);
        json_decref(pre.cgroup);
        if (r < 0)
            goto fail;
    }
    if (cg && hull_cgroup_apply(cg, res, err) < 0)
        goto fail;
    if (hull_idmap_prepare(c, &idmap_fds, err) < 0)
        goto fail;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        hull_error_set(err, errno, "socketpair");
        goto fail;
    }
    made_netns = netns_maker_finish(&netns);
    if (made_netns >= 0)
        ns_new &= ~CLONE_NEWNET;
    /* A grandchild init (pid/time namespace via unshare) is reparented to us. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    if (o->before_clone)
        o->before_clone(o->before_clone_data);
    child = hull_raw_clone((unsigned long)ns_new);
    if (child < 0) {
        hull_error_set(err, errno, "clone (namespaces 0x%x)", ns_new);
        goto fail;
    }
    if (child == 0) {
        struct hull_init_ctx ctx = {
            .config = c,
            .seccomp = &sc,
            .id = o->id,
            .state_dir = dir,
            .sync_fd = sv[1],
            .fifo_fd = fifo_fd,
            .console_fd = console,
            .no_pivot = o->no_pivot,
            .no_new_keyring = o->no_new_keyring,
            .preserve_fds = o->preserve_fds + listen_fds,
            .ns_new = ns_new,
            .made_netns = made_netns,
            .idmap_fds = idmap_fds,
        };
        close(sv[0]);
        hull_init_main(&ctx);
    }
    close(sv[1]);
    sv[1] = -1;
    if (made_netns >= 0)
        close(steal_fd(&made_netns));
    out->init_pid = child;
    out->init_is_child = true;
    {
        /* Hooks and the seccomp agent see the absolute bundle path. */
        struct hull_create_opts resolved = *o;
        resolved.bundle = bundle;
        if (drive_init(c, &resolved, &sc, sv[0], child, cg, ns_new, out, err) < 0)
            goto fail;
    }

    st.id = (char *)o->id;
    st.pid = out->init_pid;
    st.pid_start = hull_proc_start_time(out->init_pid);
    st.bundle = bundle;
    st.rootfs = c->rootfs;
    st.created = now_rfc3339();
    st.oci_version = c->oci_version;
    st.annotations = c->annotations;
    st.cgroup = cg ? hull_cgroup_to_json(cg) : NULL;
    st.systemd_cgroup = rt->systemd_cgroup;
    if (c->n_hooks[HULL_HOOK_POSTSTART] || c->n_hooks[HULL_HOOK_POSTSTOP]) {
        json_t *h = json_pack("{s:s, s:{s:s}, s:O}", "ociVersion", c->oci_version, "root", "path",
                              c->rootfs, "hooks", json_object_get(c->root, "hooks"));
        st.config_json = json_dumps(h, JSON_COMPACT);
        json_decref(h);
    }
    ret = hull_state_save(rt->root, &st, err);
    free(st.created);
    free(st.config_json);
    json_decref(st.cgroup);
    if (ret < 0)
        goto fail;
    if (o->pid_file) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", out->init_pid);
        if (hull_write_file_volatile(o->pid_file, buf, (size_t)n, 0644, err) < 0)
            goto fail;
    }
    ret = 0;
    goto out;
fail:
    ret = -1;
    if (out->init_pid > 0)
        kill_and_reap(out->init_pid);
    if (child > 0 && child != out->init_pid)
        kill_and_reap(child);
    if (out->pty_master >= 0) {
        close(out->pty_master);
        out->pty_master = -1;
    }
    if (cg)
        hull_cgroup_destroy(cg, NULL);
    if (dir_made)
        hull_state_remove(rt->root, o->id);
out:
    netns_maker_discard(&netns); /* a failure before the clone */
    /* Single-threaded again from here: signal handling in run relies on it. */
    hull_cgroup_prewarm_wait();
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    hull_idmap_free(idmap_fds, c ? c->n_mounts : 0);
    hull_cgroup_free(cg);
    hull_cgroup_resources_free(res);
    hull_seccomp_program_free(&sc);
    hull_config_free(c);
    return ret;
}

int hull_container_create(struct hull_runtime *rt, const struct hull_create_opts *o,
                          hull_error *err)
{
    struct created cr;
    if (create_internal(rt, o, &cr, err) < 0)
        return -1;
    if (cr.pty_master >= 0)
        close(cr.pty_master);
    return 0;
}

static int load_hooks_config(struct hull_state *st, struct hull_config **out, hull_error *err)
{
    *out = NULL;
    if (st->config_json == NULL)
        return 0;
    return hull_config_parse(st->config_json, strlen(st->config_json), NULL, out, err);
}

static int start_state(struct hull_runtime *rt, struct hull_state *st, hull_error *err)
{
    _cleanup_free_ char *fifo = xasprintf("%s/%s/exec.fifo", rt->root, st->id);
    _cleanup_close_ int fd = -1;
    enum hull_status s = hull_state_status(rt->root, st);
    struct hull_config *hc = NULL;
    char buf[4096];
    size_t got = 0;

    if (s != HULL_STATUS_CREATED)
        return hull_error_msg(err, EINVAL, "container %s: cannot start a container that is %s",
                              st->id, hull_status_name(s));
    fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return hull_error_set(err, errno, "container %s: open exec.fifo", st->id);
    /* The init writes "0" once released, then keeps the fifo open until its
     * execve closes it: EOF means the container process runs (so poststart
     * hooks run after it, as the spec asks); any other bytes are its error. */
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, 100);
        if (r > 0) {
            ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
            if (n > 0) {
                got += (size_t)n;
                if (got < sizeof(buf) - 1)
                    continue;
            } else if (n < 0 && errno == EAGAIN) {
                continue;
            }
            break; /* EOF (or buffer full) */
        }
        if (got == 0 && hull_proc_start_time(st->pid) != st->pid_start)
            return hull_error_msg(err, ESRCH, "container %s: init exited before start", st->id);
    }
    buf[got] = '\0';
    if (got == 0)
        return hull_error_msg(err, EPIPE, "container %s: init exited before start", st->id);
    if (got > 1 || buf[0] != '0') {
        unlink(fifo);
        return hull_error_msg(err, EIO, "container %s: start: %s", st->id,
                              buf[0] == '0' ? buf + 1 : buf);
    }
    unlink(fifo);
    if (load_hooks_config(st, &hc, err) < 0)
        return -1;
    if (hc && hc->n_hooks[HULL_HOOK_POSTSTART]) {
        _cleanup_free_ char *state =
            state_json_for_hooks(st->id, st->bundle, "running", st->pid, st->annotations);
        hull_hooks_run_all(hc, HULL_HOOK_POSTSTART, state, st->id);
    }
    hull_config_free(hc);
    return 0;
}

int hull_container_start(struct hull_runtime *rt, const char *id, hull_error *err)
{
    struct hull_state *st;
    int r;
    if (hull_state_load(rt->root, id, &st, err) < 0)
        return -1;
    r = start_state(rt, st, err);
    hull_state_free(st);
    return r;
}

/* Remove everything a container owns: cgroup, state dir; then poststop hooks. */
static int destroy_state(struct hull_runtime *rt, struct hull_state *st, hull_error *err)
{
    struct hull_cgroup *cg = NULL;
    struct hull_config *hc = NULL;

    if (st->cgroup && hull_cgroup_from_json(st->cgroup, &cg, err) == 0) {
        if (hull_cgroup_destroy(cg, err) < 0) {
            hull_cgroup_free(cg);
            return -1;
        }
        hull_cgroup_free(cg);
    }
    if (load_hooks_config(st, &hc, NULL) == 0 && hc && hc->n_hooks[HULL_HOOK_POSTSTOP]) {
        _cleanup_free_ char *state =
            state_json_for_hooks(st->id, st->bundle, "stopped", 0, st->annotations);
        hull_hooks_run_all(hc, HULL_HOOK_POSTSTOP, state, st->id);
    }
    hull_config_free(hc);
    hull_state_remove(rt->root, st->id);
    return 0;
}

static int signal_init(struct hull_state *st, int sig, hull_error *err)
{
    int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
    int r;

    if (pidfd < 0)
        return hull_error_msg(err, ESRCH, "container %s: not running", st->id);
    /* The pidfd pins the process: checking the start time after opening it
     * rules out signalling a recycled pid. */
    if (hull_proc_start_time(st->pid) != st->pid_start) {
        close(pidfd);
        return hull_error_msg(err, ESRCH, "container %s: not running", st->id);
    }
    r = (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
    close(pidfd);
    if (r < 0)
        return hull_error_set(err, errno, "container %s: kill", st->id);
    return 0;
}

int hull_container_kill(struct hull_runtime *rt, const char *id, int sig, bool all, hull_error *err)
{
    struct hull_state *st;
    int r = 0;
    enum hull_status s;

    if (hull_state_load(rt->root, id, &st, err) < 0)
        return -1;
    s = hull_state_status(rt->root, st);
    if (s == HULL_STATUS_STOPPED && !all) {
        hull_state_free(st);
        return hull_error_msg(err, ESRCH, "container %s: container not running", id);
    }
    if (all && st->cgroup) {
        struct hull_cgroup *cg;
        if (hull_cgroup_from_json(st->cgroup, &cg, err) == 0) {
            r = hull_cgroup_kill_all(cg, sig, err);
            hull_cgroup_free(cg);
        } else {
            r = -1;
        }
    } else {
        r = signal_init(st, sig, err);
    }
    hull_state_free(st);
    return r;
}

static void wait_gone(struct hull_state *st)
{
    for (int i = 0; i < 200 && hull_proc_start_time(st->pid) == st->pid_start; i++) {
        waitpid(st->pid, NULL, WNOHANG);
        usleep(5000);
    }
}

int hull_container_delete(struct hull_runtime *rt, const char *id, bool force, hull_error *err)
{
    struct hull_state *st;
    enum hull_status s;
    int r;

    if (hull_state_load(rt->root, id, &st, err) < 0) {
        /* A create killed half-way leaves a dir without state.json: --force
         * (and only --force) cleans it. */
        _cleanup_free_ char *dir = NULL;
        struct stat sb;
        if (!force || hull_state_validate_id(id, NULL) < 0)
            return -1;
        /* runc semantics: --force on a container that is already gone
         * succeeds (shims call it on every cleanup path). */
        hull_error_clear(err);
        dir = xasprintf("%s/%s", rt->root, id);
        if (stat(dir, &sb) == 0)
            hull_state_remove(rt->root, id);
        return 0;
    }
    s = hull_state_status(rt->root, st);
    if (s == HULL_STATUS_RUNNING || s == HULL_STATUS_PAUSED) {
        if (!force) {
            hull_state_free(st);
            return hull_error_msg(err, EBUSY,
                                  "container %s: cannot delete a container that is %s (use "
                                  "--force)",
                                  id, hull_status_name(s));
        }
    }
    if (s != HULL_STATUS_STOPPED) {
        struct hull_cgroup *cg = NULL;
        if (st->cgroup && hull_cgroup_from_json(st->cgroup, &cg, NULL) == 0) {
            if (s == HULL_STATUS_PAUSED)
                hull_cgroup_freeze(cg, false, NULL);
            hull_cgroup_kill_all(cg, SIGKILL, NULL);
            hull_cgroup_free(cg);
        }
        signal_init(st, SIGKILL, NULL);
        wait_gone(st);
    }
    r = destroy_state(rt, st, err);
    hull_state_free(st);
    return r;
}

int hull_container_state(struct hull_runtime *rt, const char *id, json_t **out, hull_error *err)
{
    struct hull_state *st;
    if (hull_state_load(rt->root, id, &st, err) < 0)
        return -1;
    *out = hull_state_to_oci(rt->root, st);
    hull_state_free(st);
    return 0;
}

int hull_container_list(struct hull_runtime *rt, json_t **out, hull_error *err)
{
    _cleanup_strv_ char **ids = NULL;
    json_t *arr;

    if (hull_state_list(rt->root, &ids, err) < 0)
        return -1;
    arr = json_array();
    for (size_t i = 0; ids[i]; i++) {
        struct hull_state *st;
        if (hull_state_load(rt->root, ids[i], &st, NULL) < 0)
            continue;
        json_array_append_new(arr, hull_state_to_oci(rt->root, st));
        hull_state_free(st);
    }
    *out = arr;
    return 0;
}

int hull_container_pause(struct hull_runtime *rt, const char *id, bool pause, hull_error *err)
{
    struct hull_state *st;
    struct hull_cgroup *cg;
    enum hull_status s;
    int r;

    if (hull_state_load(rt->root, id, &st, err) < 0)
        return -1;
    s = hull_state_status(rt->root, st);
    if ((pause && s != HULL_STATUS_RUNNING) || (!pause && s != HULL_STATUS_PAUSED)) {
        hull_state_free(st);
        return hull_error_msg(err, EINVAL, "container %s: cannot %s a container that is %s", id,
                              pause ? "pause" : "resume", hull_status_name(s));
    }
    r = hull_cgroup_from_json(st->cgroup, &cg, err);
    if (r == 0) {
        r = hull_cgroup_freeze(cg, pause, err);
        hull_cgroup_free(cg);
    }
    hull_state_free(st);
    return r;
}

/* Forward the signals a foreground `run` receives to the container, and reap
 * until the init exits. */
static int wait_init(const struct created *cr, int *status)
{
    sigset_t set, old;
    int sfd, wstatus = 0;
    static const int fwd[] = {SIGHUP,  SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
                              SIGUSR2, SIGWINCH, SIGCONT, SIGALRM, SIGTSTP};

    sigemptyset(&set);
    for (size_t i = 0; i < HULL_ARRAY_SIZE(fwd); i++)
        sigaddset(&set, fwd[i]);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    sfd = signalfd(-1, &set, SFD_CLOEXEC);
    for (;;) {
        pid_t p;
        while ((p = waitpid(-1, &wstatus, WNOHANG)) > 0)
            if (p == cr->init_pid)
                goto done;
        if (p < 0 && errno == ECHILD)
            break;
        if (sfd >= 0) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD)
                kill(cr->init_pid, (int)si.ssi_signo);
        } else {
            p = waitpid(cr->init_pid, &wstatus, 0);
            if (p == cr->init_pid)
                goto done;
        }
    }
done:
    if (sfd >= 0)
        close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    *status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    return 0;
}

int hull_container_run(struct hull_runtime *rt, const struct hull_create_opts *o, int *exit_status,
                       hull_error *err)
{
    struct created cr;
    struct hull_state *st;
    int r;

    *exit_status = 0;
    if (create_internal(rt, o, &cr, err) < 0)
        return -1;
    if (hull_state_load(rt->root, o->id, &st, err) < 0)
        return -1;
    r = start_state(rt, st, err);
    if (r < 0 || o->detach) {
        if (cr.pty_master >= 0)
            close(cr.pty_master);
        if (r < 0)
            destroy_state(rt, st, NULL);
        hull_state_free(st);
        return r;
    }
    if (cr.pty_master >= 0) {
        int ws = 0;
        hull_pty_proxy(cr.pty_master, cr.init_pid, &ws);
        close(cr.pty_master);
        *exit_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    } else {
        wait_init(&cr, exit_status);
    }
    if (!o->keep) {
        struct hull_cgroup *cg = NULL;
        /* Whatever the init left behind in its cgroup dies with it. */
        if (st->cgroup && hull_cgroup_from_json(st->cgroup, &cg, NULL) == 0) {
            hull_cgroup_kill_all(cg, SIGKILL, NULL);
            hull_cgroup_free(cg);
        }
        r = destroy_state(rt, st, err);
    }
    hull_state_free(st);
    return r;
}
