/* `exec`: a new process in a running container. It joins every namespace of
 * the init through one setns(pidfd) call, the container's cgroup, and gets the
 * same seccomp filter, capability limits and no_new_privs as the spec asks.
 *
 *   parent ──fork──> A (joins cgroup via the parent, then namespaces)
 *                    A ──fork──> B (inside the pid namespace) → execve
 * A exits at once; B is reparented to the parent (a subreaper), which reports
 * its pid and, unless detached, waits for it. */
#include "runtime.h"
#include "internal.h"
#include "state.h"
#include "cgroup/cgroup.h"
#include "../base/util.h"
#include "../base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Namespaces of `pid` that differ from ours: those are the ones to join. */
static int foreign_namespaces(pid_t pid)
{
    static const struct {
        const char *name;
        int flag;
    } nss[] = {{"user", CLONE_NEWUSER},     {"mnt", CLONE_NEWNS},   {"pid", CLONE_NEWPID},
               {"net", CLONE_NEWNET},       {"ipc", CLONE_NEWIPC},  {"uts", CLONE_NEWUTS},
               {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
    int flags = 0;

    for (size_t i = 0; i < HULL_ARRAY_SIZE(nss); i++) {
        char a[64], b[64];
        struct stat sa, sb;
        snprintf(a, sizeof(a), "/proc/%d/ns/%s", pid, nss[i].name);
        snprintf(b, sizeof(b), "/proc/self/ns/%s", nss[i].name);
        if (stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
            (sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev))
            flags |= nss[i].flag;
    }
    return flags;
}

/* Runs in B: everything between "inside the container" and execve. */
static void __attribute__((noreturn))
exec_child(const struct hull_exec_opts *o, const struct hull_process *p,
           const struct hull_seccomp_program *sc, int sock, int console)
{
    hull_error err = {0};
    _cleanup_free_ char *exec_path = NULL;
    int notify_fd = -1;

    if (setsid() < 0 && errno != EPERM) {
        hull_error_set(&err, errno, "setsid");
        goto fail;
    }
    if (p->terminal) {
        _cleanup_free_ char *slave = NULL;
        int master;
        if (hull_pty_open(&master, &slave, &err) < 0)
            goto fail;
        if (console >= 0) {
            if (hull_send_fd(console, master, NULL) < 0) {
                hull_error_set(&err, errno, "--console-socket: send pty master");
                goto fail;
            }
        } else {
            hull_sync_send(sock, SYNC_PTY, 0, NULL, master);
        }
        close(master);
        if (hull_pty_setup_slave(slave, p->console_height, p->console_width, false, &err) < 0)
            goto fail;
    }
    if (hull_process_setup_early(p, -1, &err) < 0 ||
        hull_process_find_exec(p, &exec_path, &err) < 0)
        goto fail;
    /* Only stdio, --preserve-fds and the sync socket (CLOEXEC) survive. */
    if (hull_close_fds_except(o->preserve_fds, &sock, 1) < 0) {
        hull_error_set(&err, errno, "close inherited fds");
        goto fail;
    }
    if (hull_process_finalize(p, sc, &notify_fd, &err) < 0)
        goto fail;
    if (notify_fd >= 0)
        close(notify_fd);
    execve(exec_path, p->args, p->env ? p->env : (char *[]){NULL});
    hull_error_set(&err, errno, "exec %s", exec_path);
fail:
    hull_sync_send(sock, SYNC_ERROR, err.errnum, err.msg, -1);
    _exit(127);
}

/* Build the process to run: --process file, or the container's own process
 * with the CLI overrides (runc semantics: env is appended, the rest replaced). */
static int build_process(const struct hull_exec_opts *o, const struct hull_config *c,
                         struct hull_process *p, hull_error *err)
{
    if (o->process_file) {
        _cleanup_free_ char *data = NULL;
        json_error_t jerr;
        json_t *j;
        int r;
        if (hull_read_file(o->process_file, 4u << 20, &data, NULL, err) < 0)
            return -1;
        j = json_loads(data, JSON_REJECT_DUPLICATES, &jerr);
        if (j == NULL)
            return hull_error_msg(err, EINVAL, "--process %s: line %d: %s", o->process_file,
                                  jerr.line, jerr.text);
        r = hull_process_parse(j, "process", p, err);
        json_decref(j);
        return r;
    }
    if (o->args == NULL || o->args[0] == NULL)
        return hull_error_msg(err, EINVAL, "exec: a command (or --process) is required");
    {
        json_t *proc = json_deep_copy(json_object_get(c->root, "process"));
        json_t *args = json_array(), *env;
        int r;
        if (proc == NULL)
            proc = json_object();
        for (char **a = o->args; *a; a++)
            json_array_append_new(args, json_string(*a));
        json_object_set_new(proc, "args", args);
        json_object_set_new(proc, "terminal", json_boolean(o->tty));
        if (o->cwd)
            json_object_set_new(proc, "cwd", json_string(o->cwd));
        env = json_object_get(proc, "env");
        if (!json_is_array(env)) {
            env = json_array();
            json_object_set_new(proc, "env", env);
        }
        for (char **e = o->env; e && *e; e++)
            json_array_append_new(env, json_string(*e));
        if (o->no_new_privs)
            json_object_set_new(proc, "noNewPrivileges", json_true());
        r = hull_process_parse(proc, "process", p, err);
        json_decref(proc);
        if (r < 0)
            return -1;
    }
    if (o->user) {
        unsigned long long u, g;
        _cleanup_free_ char *copy = xstrdup(o->user);
        char *colon = strchr(copy, ':');
        if (colon)
            *colon = '\0';
        if (hull_parse_u64(copy, &u) < 0 || u >= UINT32_MAX ||
            (colon && (hull_parse_u64(colon + 1, &g) < 0 || g >= UINT32_MAX)))
            return hull_error_msg(err, EINVAL, "--user \"%s\": expected UID[:GID] as numbers",
                                  o->user);
        p->uid = (uid_t)u;
        if (colon)
            p->gid = (gid_t)g;
    }
    for (char **g = o->additional_gids; g && *g; g++) {
        unsigned long long v;
        if (hull_parse_u64(*g, &v) < 0 || v >= UINT32_MAX)
            return hull_error_msg(err, EINVAL, "--additional-gids \"%s\": expected a gid", *g);
        p->additional_gids =
            xrealloc(p->additional_gids, (p->n_additional_gids + 1) * sizeof(gid_t));
        p->additional_gids[p->n_additional_gids++] = (gid_t)v;
    }
    for (char **cap = o->caps; cap && *cap; cap++) {
        int n = hull_cap_from_name(*cap);
        if (n < 0)
            return hull_error_msg(err, EINVAL, "--cap \"%s\": unknown capability", *cap);
        p->has_caps = true;
        /* Bounding, effective and permitted only: an inheritable cap would
         * pass to file-capability binaries (CVE-2022-29162). */
        p->caps[HULL_CAP_BOUNDING] |= 1ULL << n;
        p->caps[HULL_CAP_EFFECTIVE] |= 1ULL << n;
        p->caps[HULL_CAP_PERMITTED] |= 1ULL << n;
    }
    return 0;
}

int hull_container_exec(struct hull_runtime *rt, const struct hull_exec_opts *o, int *exit_status,
                        hull_error *err)
{
    struct hull_state *st = NULL;
    struct hull_config *c = NULL;
    struct hull_process p = {0};
    struct hull_seccomp_program sc = {0};
    struct hull_cgroup *cg = NULL;
    struct hull_sync_msg *m = NULL;
    _cleanup_close_ int console = -1, pidfd = -1;
    int sv[2] = {-1, -1};
    pid_t a = -1, b = -1;
    int ret = -1, pty_master = -1, ns;
    enum hull_status s;

    *exit_status = 0;
    if (o->apparmor || o->process_label) {
        return hull_error_msg(err, ENOTSUP, "exec: %s is not available on this host (no %s)",
                              o->apparmor ? "--apparmor" : "--process-label",
                              o->apparmor ? "AppArmor" : "SELinux");
    }
    if (hull_state_load(rt->root, o->id, &st, err) < 0)
        return -1;
    s = hull_state_status(rt->root, st);
    if (s != HULL_STATUS_RUNNING && s != HULL_STATUS_CREATED) {
        hull_error_msg(err, EINVAL, "container %s: cannot exec in a %s container", o->id,
                       hull_status_name(s));
        goto out;
    }
    if (hull_config_load(st->bundle, &c, err) < 0) {
        hull_error_prefix(err, "container %s", o->id);
        goto out;
    }
    if (build_process(o, c, &p, err) < 0 || hull_runtime_compile_seccomp(rt, c, &sc, err) < 0)
        goto out;
    if (o->console_rows || o->console_cols) {
        p.console_height = o->console_rows;
        p.console_width = o->console_cols;
    }
    if (p.terminal && o->detach && o->console_socket == NULL && o->console_fd <= 0) {
        hull_error_msg(err, EINVAL, "exec: --tty with --detach needs --console-socket");
        goto out;
    }
    if (o->console_socket && (console = hull_console_connect(o->console_socket, err)) < 0)
        goto out;
    if (o->console_socket == NULL && o->console_fd > 0 && p.terminal &&
        (console = fcntl(o->console_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
        hull_error_set(err, errno, "exec: console socket");
        goto out;
    }
    if (st->cgroup && hull_cgroup_from_json(st->cgroup, &cg, err) < 0)
        goto out;
    pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
    if (pidfd < 0 || hull_proc_start_time(st->pid) != st->pid_start) {
        hull_error_msg(err, ESRCH, "container %s: init is gone", o->id);
        goto out;
    }
    ns = foreign_namespaces(st->pid);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        hull_error_set(err, errno, "socketpair");
        goto out;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    a = fork();
    if (a < 0) {
        hull_error_set(err, errno, "fork");
        goto out;
    }
    if (a == 0) {
        char go;
        hull_error cerr = {0};
        close(sv[0]);
        /* Wait until the parent has put us in the container's cgroup. */
        if (read(sv[1], &go, 1) != 1)
            _exit(1);
        /* Joining the user namespace first (setns with a pidfd does it in the
         * right order) gives the privileges needed for the others. */
        if (ns && setns(pidfd, ns) < 0) {
            hull_error_set(&cerr, errno, "join the namespaces of container %s", o->id);
            hull_sync_send(sv[1], SYNC_ERROR, cerr.errnum, cerr.msg, -1);
            _exit(1);
        }
        b = fork();
        if (b < 0)
            _exit(1);
        if (b == 0)
            exec_child(o, &p, &sc, sv[1], console);
        hull_sync_send(sv[1], SYNC_PID, b, NULL, -1);
        _exit(0);
    }
    close(sv[1]);
    sv[1] = -1;
    if (cg && hull_cgroup_enter(cg, a, err) < 0)
        goto out;
    if (write(sv[0], "g", 1) != 1) {
        hull_error_set(err, errno, "sync");
        goto out;
    }
    m = xmalloc0(sizeof(*m));
    for (;;) {
        int fd = -1;
        hull_error rerr = {0};
        if (hull_sync_recv(sv[0], m, &fd, &rerr) < 0) {
            /* EOF: B exec'ed (its CLOEXEC end closed) or everything died. */
            hull_error_clear(&rerr);
            break;
        }
        if (m->type == SYNC_PID)
            b = m->value;
        else if (m->type == SYNC_PTY)
            pty_master = fd;
        else if (m->type == SYNC_ERROR) {
            hull_error_msg(err, m->value, "container %s: exec: %s", o->id, m->text);
            goto out;
        } else if (fd >= 0)
            close(fd);
    }
    while (waitpid(a, NULL, 0) < 0 && errno == EINTR)
        ;
    a = -1;
    if (b <= 0) {
        hull_error_msg(err, EIO, "container %s: exec: setup failed", o->id);
        goto out;
    }
    if (o->pid_file) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", b);
        if (hull_write_file_volatile(o->pid_file, buf, (size_t)n, 0644, err) < 0)
            goto out;
    }
    ret = 0;
    if (!o->detach) {
        int ws = 0;
        if (pty_master >= 0) {
            hull_pty_proxy(pty_master, b, &ws);
        } else {
            while (waitpid(b, &ws, 0) < 0)
                if (errno != EINTR)
                    break;
        }
        *exit_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    }
    b = -1;
out:
    if (ret < 0 && b > 0)
        kill(b, SIGKILL);
    if (a > 0) {
        kill(a, SIGKILL);
        waitpid(a, NULL, 0);
    }
    if (pty_master >= 0)
        close(pty_master);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    free(m);
    hull_cgroup_free(cg);
    hull_seccomp_program_free(&sc);
    hull_process_clear(&p);
    hull_config_free(c);
    hull_state_free(st);
    return ret;
}
