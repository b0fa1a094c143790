/* Engine verbs on existing containers: lookup, stop, kill, rm, wait, ps,
 * inspect, exec (logs and events: logs.c). */
#include "internal.h"
#include "../runtime/runtime.h"
#include "../runtime/state.h"
#include "../runtime/cgroup/cgroup.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int hull_engine_lookup(struct hull_engine *e, const char *ref, char **id_out, hull_error *err)
{
    json_t *rows;
    _cleanup_free_ char *prefix = NULL;

    if (ref == NULL || ref[0] == '\0' || strlen(ref) > 128)
        return hull_error_msg(err, EINVAL, "container name or id: invalid \"%s\"", ref ? ref : "");
    /* Docker's order: an exact name or id wins; otherwise a unique id
     * prefix. '%' and '_' cannot be in an id, so LIKE sees only our wildcard. */
    prefix = xasprintf("%s%%", ref);
    if (hull_db_query(e->db, &rows, err, "SELECT id FROM containers WHERE name=? OR id=?", "ss",
                      ref, ref) < 0)
        return -1;
    if (json_array_size(rows) == 0 && strspn(ref, "0123456789abcdef") == strlen(ref)) {
        json_decref(rows);
        if (hull_db_query(e->db, &rows, err, "SELECT id FROM containers WHERE id LIKE ?", "s",
                          prefix) < 0)
            return -1;
    }
    if (json_array_size(rows) != 1) {
        size_t n = json_array_size(rows);
        json_decref(rows);
        if (n == 0)
            return hull_error_msg(err, ENOENT, "no such container: %s", ref);
        return hull_error_msg(err, EINVAL, "container reference \"%s\" is ambiguous (%zu matches)",
                              ref, n);
    }
    *id_out = xstrdup(json_string_value(json_object_get(json_array_get(rows, 0), "id")));
    json_decref(rows);
    return 0;
}

static json_t *row(struct hull_engine *e, const char *id)
{
    json_t *rows = NULL, *r = NULL;
    if (hull_db_query(e->db, &rows, NULL, "SELECT * FROM containers WHERE id=?", "s", id) == 0 &&
        json_array_size(rows) == 1)
        r = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return r;
}

static bool is_running(json_t *r)
{
    return strcmp(json_string_value(json_object_get(r, "state")), "running") == 0;
}

/* Resolve `ref` to the id of a running container (*id_out, caller frees). */
static int lookup_running(struct hull_engine *e, const char *ref, char **id_out, hull_error *err)
{
    json_t *r;
    bool running;

    if (hull_engine_lookup(e, ref, id_out, err) < 0)
        return -1;
    r = row(e, *id_out);
    running = r && is_running(r);
    json_decref(r);
    if (!running) {
        free(*id_out);
        *id_out = NULL;
        return hull_error_msg(err, EINVAL, "container %s is not running", ref);
    }
    return 0;
}

int hull_engine_kill(struct hull_engine *e, const char *ref, int sig, hull_error *err)
{
    _cleanup_free_ char *id = NULL, *rtroot = hull_engine_runtime_root(e);
    struct hull_runtime rt = {.root = rtroot};
    _cleanup_free_ char *why = xasprintf("requested: signal %d", sig);
    int ret;

    if (lookup_running(e, ref, &id, err) < 0)
        return -1;
    /* Tell the monitor this signal was asked for: not an abnormal exit. */
    hull_db_exec(e->db, NULL, "UPDATE containers SET reason=? WHERE id=?", "ss", why, id);
    ret = hull_container_kill(&rt, id, sig, false, err);
    if (ret == 0)
        hull_db_event(e->db, "kill", id, NULL, NULL, 0, sig, false, NULL);
    return ret;
}

int hull_engine_wait(struct hull_engine *e, const char *ref, int *exit_code, hull_error *err)
{
    _cleanup_free_ char *id = NULL;

    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return -1;
    for (;;) {
        json_t *r = row(e, id);
        if (r == NULL)
            return hull_error_msg(err, ENOENT, "container %s was removed", ref);
        const char *state = json_string_value(json_object_get(r, "state"));
        if (!is_running(r) && strcmp(state, "starting") != 0 && strcmp(state, "restarting") != 0) {
            *exit_code = (int)json_integer_value(json_object_get(r, "exit_code"));
            json_decref(r);
            return 0;
        }
        json_decref(r);
        usleep(50000);
        hull_engine_repair(e, NULL);
    }
}

/* A container between two runs of its restart policy: its monitor sleeps
 * (the back-off) and then checks the state before it starts the next run.
 * Make that state "exited" (as requested, so no abnormal exit) and wait for
 * the monitor to go; the container may have come up before it looked. */
static void cancel_restart(struct hull_engine *e, const char *id, json_t *r)
{
    pid_t mon = (pid_t)json_integer_value(json_object_get(r, "monitor_pid"));
    unsigned long long start =
        (unsigned long long)json_integer_value(json_object_get(r, "monitor_start"));

    hull_db_exec(e->db, NULL,
                 "UPDATE containers SET state='exited', reason='requested: stop' "
                 "WHERE id=? AND state='restarting'",
                 "s", id);
    for (int i = 0; i < 100 && mon > 0 && hull_proc_start_time(mon) == start; i++) {
        json_t *now = row(e, id);
        bool up = now && is_running(now);
        json_decref(now);
        if (up)
            break;
        usleep(50000);
    }
}

/* docker's "stop" event, after the container stopped. It also tells
 * `start --all` that the user stopped it (boot.c). */
static void stop_event(struct hull_engine *e, const char *id)
{
    hull_db_event(e->db, "stop", id, NULL, NULL, 0, 0, false, NULL);
}

int hull_engine_stop(struct hull_engine *e, const char *ref, int timeout_s, hull_error *err)
{
    _cleanup_free_ char *id = NULL;
    json_t *r;
    int code;

    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return -1;
    r = row(e, id);
    if (r && strcmp(json_string_value(json_object_get(r, "state")) ?: "", "restarting") == 0) {
        cancel_restart(e, id, r);
        json_decref(r);
        r = row(e, id);
        stop_event(e, id);
    }
    if (r == NULL || !is_running(r)) {
        json_decref(r);
        return 0; /* docker: stopping a stopped container is fine */
    }
    json_decref(r);
    if (hull_engine_kill(e, id, SIGTERM, err) < 0)
        return -1;
    for (int i = 0; i < timeout_s * 20; i++) {
        r = row(e, id);
        bool done = r == NULL || !is_running(r);
        json_decref(r);
        if (done) {
            stop_event(e, id);
            return 0;
        }
        usleep(50000);
    }
    hull_engine_kill(e, id, SIGKILL, NULL);
    if (hull_engine_wait(e, id, &code, err) < 0)
        return -1;
    stop_event(e, id);
    return 0;
}

int hull_engine_rm(struct hull_engine *e, const char *ref, bool force, bool volumes,
                   hull_error *err)
{
    _cleanup_free_ char *id = NULL, *rtroot = hull_engine_runtime_root(e);
    _cleanup_free_ char *bundle = NULL, *dir = NULL;
    struct hull_runtime rt = {.root = rtroot};
    json_t *r;

    (void)volumes;
    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return -1;
    r = row(e, id);
    if (r && is_running(r)) {
        json_decref(r);
        if (!force)
            return hull_error_msg(err, EBUSY, "container %s is running: stop it first or use rm -f",
                                  ref);
        hull_engine_kill(e, id, SIGKILL, NULL);
        int code;
        hull_engine_wait(e, id, &code, NULL);
        r = row(e, id);
    }
    if (r == NULL)
        return 0; /* --rm got there first */
    json_decref(r);
    hull_container_delete(&rt, id, true, NULL);
    hull_network_release(e, id); /* no-op unless a DEL is still owed */
    hull_engine_umount_rootfs(e, id);
    bundle = hull_engine_bundle(e, id);
    dir = hull_engine_dir(e, id);
    hull_rm_rf(bundle);
    hull_rm_rf(dir);
    if (hull_db_exec(e->db, err, "DELETE FROM containers WHERE id=?", "s", id) < 0)
        return -1;
    hull_db_event(e->db, "destroy", id, NULL, NULL, 0, 0, false, NULL);
    return 0;
}

#define CONNECTED_NETWORKS                                                                         \
    "(SELECT group_concat(network, ',') FROM (SELECT network FROM container_networks n "           \
    "WHERE n.id=containers.id ORDER BY rowid)) "                                                   \
    "AS networks"

int hull_engine_list(struct hull_engine *e, bool all, json_t **out, hull_error *err)
{
    /* "networks": those connected with network connect, in that order (ps
     * Networks and --filter network=). */
    return hull_db_query(e->db, out, err,
                         all ? "SELECT *, " CONNECTED_NETWORKS " FROM containers ORDER BY created "
                               "DESC"
                             : "SELECT *, " CONNECTED_NETWORKS " FROM containers WHERE "
                               "state='running' ORDER BY created DESC",
                         NULL);
}

int hull_engine_inspect(struct hull_engine *e, const char *ref, json_t **out, hull_error *err)
{
    _cleanup_free_ char *id = NULL, *bundle = NULL, *cfgpath = NULL;
    json_t *r, *o, *cfg, *one;
    bool paused;

    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return -1;
    r = row(e, id);
    if (r == NULL)
        return hull_error_msg(err, ENOENT, "no such container: %s", ref);
    one = json_pack("[O]", r);
    hull_engine_mark_paused(e, one); /* docker: Status "paused", Running and Paused true */
    json_decref(one);
    paused = json_is_true(json_object_get(r, "paused"));
    bundle = hull_engine_bundle(e, id);
    cfgpath = xasprintf("%s/config.json", bundle);
    cfg = json_load_file(cfgpath, 0, NULL);
    /* Docker's inspect shape, for the fields we have. */
    o = json_pack("{s:s, s:s, s:s, s:{s:s, s:b, s:b, s:b, s:I, s:I, s:b, s:s?}, s:o?}", "Id", id,
                  "Name", json_string_value(json_object_get(r, "name")), "Image",
                  json_string_value(json_object_get(r, "image")), "State", "Status",
                  paused ? "paused" : json_string_value(json_object_get(r, "state")), "Running",
                  is_running(r), "Paused", paused, "Abnormal",
                  json_integer_value(json_object_get(r, "abnormal")) != 0, "Pid",
                  json_integer_value(json_object_get(r, "pid")), "ExitCode",
                  json_integer_value(json_object_get(r, "exit_code")), "OOMKilled",
                  json_is_string(json_object_get(r, "reason")) &&
                      strstr(json_string_value(json_object_get(r, "reason")), "OOM") != NULL,
                  "Reason", json_string_value(json_object_get(r, "reason")), "OCIConfig", cfg);
    {
        json_t *ports = json_is_string(json_object_get(r, "ports"))
                            ? json_loads(json_string_value(json_object_get(r, "ports")), 0, NULL)
                            : NULL;
        json_object_set_new(o, "Ports", ports ? ports : json_array());
        json_object_set(o, "Network", json_object_get(r, "network"));
        json_object_set(o, "IPAddress", json_object_get(r, "ip"));
        json_object_set_new(o, "NetworkSettings", hull_network_settings(e, r));
        json_object_set(o, "RestartCount", json_object_get(r, "restart_count"));
    }
    {
        /* Config/HostConfig: the parts of docker's shape that templates ask for. */
        json_t *oj = json_loads(json_string_value(json_object_get(r, "opts")), 0, NULL);
        json_t *labels = json_object_get(oj, "labels");
        _cleanup_free_ char *mode = hull_network_mode(r);
        json_object_set_new(o, "Config",
                            json_pack("{s:O, s:s, s:O?, s:O?}", "Labels",
                                      labels ? labels : json_object(), "Image",
                                      json_string_value(json_object_get(r, "image")), "Hostname",
                                      json_object_get(cfg, "hostname"), "Env",
                                      json_object_get(json_object_get(cfg, "process"), "env")));
        json_object_set_new(o, "HostConfig",
                            json_pack("{s:s, s:b}", "NetworkMode", mode, "Init",
                                      json_is_true(json_object_get(oj, "init"))));
        json_decref(oj);
    }
    json_decref(r);
    *out = o;
    return 0;
}

/* The process o describes (all but its id) in running container ref. */
static int exec_in(struct hull_engine *e, const char *ref, struct hull_exec_opts *o,
                   int *exit_status, hull_error *err)
{
    _cleanup_free_ char *id = NULL, *rtroot = hull_engine_runtime_root(e);
    struct hull_runtime rt = {.root = rtroot};
    int ret;

    if (lookup_running(e, ref, &id, err) < 0)
        return -1;
    o->id = id;
    ret = hull_container_exec(&rt, o, exit_status, err);
    if (ret == 0)
        hull_db_event(e->db, "exec", id, NULL, NULL, *exit_status, 0, false, NULL);
    return ret;
}

int hull_engine_exec(struct hull_engine *e, const char *ref, char **cmd, char **env,
                     const char *user, const char *workdir, bool detach, bool tty, int *exit_status,
                     hull_error *err)
{
    struct hull_exec_opts o = {
        .args = cmd, .env = env, .user = user, .cwd = workdir, .detach = detach, .tty = tty};
    return exec_in(e, ref, &o, exit_status, err);
}

int hull_engine_exec_console(struct hull_engine *e, const char *ref, char **cmd, char **env,
                             const char *user, const char *workdir, int console_fd,
                             unsigned short rows, unsigned short cols, int *exit_status,
                             hull_error *err)
{
    struct hull_exec_opts o = {.args = cmd,
                               .env = env,
                               .user = user,
                               .cwd = workdir,
                               .tty = true,
                               .console_fd = console_fd,
                               .console_rows = rows,
                               .console_cols = cols};
    if (console_fd <= 0)
        return hull_error_msg(err, EINVAL, "exec %s: no console socket", ref);
    return exec_in(e, ref, &o, exit_status, err);
}

/* A created container that joins another's network: that container's init
 * may have changed since create, so the namespace path is looked up again. */
static int rejoin_netns(struct hull_engine *e, const char *id, const char *peer, hull_error *err)
{
    _cleanup_free_ char *bundle = hull_engine_bundle(e, id), *peer_id = NULL, *data = NULL;
    _cleanup_free_ char *cfgpath = xasprintf("%s/config.json", bundle);
    json_t *spec = json_load_file(cfgpath, 0, NULL);
    int r;

    if (spec == NULL)
        return hull_error_msg(err, EIO, "container %s: cannot read %s", id, cfgpath);
    r = hull_engine_join_netns(e, peer, spec, &peer_id, err);
    if (r == 0) {
        data = json_dumps(spec, JSON_COMPACT);
        r = hull_write_file_volatile(cfgpath, data, strlen(data), 0600, err);
    }
    json_decref(spec);
    return r;
}

int hull_engine_start(struct hull_engine *e, const char *ref, bool attach, int *exit_status,
                      hull_error *err)
{
    return hull_engine_start_client(e, ref, attach, -1, exit_status, err);
}

int hull_engine_start_client(struct hull_engine *e, const char *ref, bool attach, int client,
                             int *exit_status, hull_error *err)
{
    _cleanup_free_ char *id = NULL;
    struct hull_monitor_args ma;
    const char *state, *net;
    json_t *r = NULL;
    pid_t mon;

    *exit_status = 0;
    if (hull_engine_lookup(e, ref, &id, err) < 0 || hull_monitor_args_load(e, id, &ma, &r, err) < 0)
        return -1;
    state = json_string_value(json_object_get(r, "state")) ?: "";
    if (strcmp(state, "created") != 0 && strcmp(state, "exited") != 0) {
        hull_error_msg(err, EBUSY,
                       "container %s is %s: only created or exited containers can be started", ref,
                       state);
        json_decref(r);
        return -1;
    }
    /* Its root filesystem was unmounted when it exited (or by a reboot, which
     * also took its bundle from the run root). */
    {
        int lock =
            hull_engine_restore_bundle(e, id, err) < 0 ? -1 : hull_engine_ensure_rootfs(e, id, err);
        if (lock < 0) {
            json_decref(r);
            return -1;
        }
        close(lock);
    }
    /* The last run's reason must not describe this one. */
    if (strcmp(state, "exited") == 0)
        hull_db_exec(e->db, NULL, "UPDATE containers SET reason=NULL, abnormal=0 WHERE id=?", "s",
                     id);
    net = json_string_value(json_object_get(r, "network"));
    if (net && hull_str_has_prefix(net, HULL_NET_CONTAINER) &&
        rejoin_netns(e, id, net + strlen(HULL_NET_CONTAINER), err) < 0) {
        json_decref(r);
        return -1;
    }
    /* start -a: attached to the output, and to stdin if created with -i. */
    ma.detach = !attach;
    ma.has_client = client >= 0;
    ma.client = client;
    mon = hull_monitor_spawn(e, &ma, exit_status, err);
    json_decref(r);
    return mon < 0 ? -1 : 0;
}

int hull_engine_pause(struct hull_engine *e, const char *ref, bool pause, hull_error *err)
{
    _cleanup_free_ char *id = NULL, *rtroot = hull_engine_runtime_root(e);
    struct hull_runtime rt = {.root = rtroot};

    if (lookup_running(e, ref, &id, err) < 0)
        return -1;
    if (hull_container_pause(&rt, id, pause, err) < 0)
        return -1;
    hull_db_event(e->db, pause ? "pause" : "unpause", id, NULL, NULL, 0, 0, false, NULL);
    return 0;
}

int hull_engine_rename(struct hull_engine *e, const char *ref, const char *name, hull_error *err)
{
    _cleanup_free_ char *id = NULL;

    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return -1;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.' || *p == '-'))
            return hull_error_msg(err, EINVAL, "rename: invalid container name \"%s\"", name);
    if (name[0] == '\0' || strlen(name) > 128)
        return hull_error_msg(err, EINVAL, "rename: invalid container name \"%s\"", name);
    if (hull_db_exec(e->db, err, "UPDATE containers SET name=? WHERE id=?", "ss", name, id) < 0) {
        if (err && err->errnum == EEXIST) {
            hull_error_clear(err);
            return hull_error_msg(err, EEXIST, "name \"%s\" is already in use", name);
        }
        return -1;
    }
    hull_network_update_hosts_of(e, id); /* first and connected networks */
    hull_db_event(e->db, "rename", id, name, NULL, 0, 0, false, NULL);
    return 0;
}

/* Does pid share our network namespace (--network host)? */
static bool host_netns(pid_t pid)
{
    char path[64];
    struct stat a, b;
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    return stat(path, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 && a.st_ino == b.st_ino &&
           a.st_dev == b.st_dev;
}

/* runc 1.2's network_interfaces: the counters of the init's network
 * namespace (/proc/PID/net/dev, loopback left out), if the init is still
 * the one the state names and the namespace is its own (the host's
 * interfaces are not the container's). The file is opened before that
 * check: an open /proc/PID file keeps to its process, so a reused pid cannot
 * slip in. */
static json_t *net_stats(const struct hull_state *st)
{
    char path[64], *line = NULL;
    size_t cap = 0;
    json_t *arr = json_array();
    _cleanup_fclose_ FILE *f = NULL;

    snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)st->pid);
    f = fopen(path, "re");
    if (f == NULL || host_netns(st->pid) || hull_proc_start_time(st->pid) != st->pid_start)
        return arr;
    while (getline(&line, &cap, f) > 0) {
        static const char *const keys[] = {"rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
                                           "tx_bytes", "tx_packets", "tx_errors", "tx_dropped"};
        unsigned long long v[16];
        char name[32];
        json_t *o;
        if (sscanf(line,
                   " %31[^:]: %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
                   "%llu %llu %llu",
                   name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
                   &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]) != 17 ||
            strcmp(name, "lo") == 0)
            continue;
        o = json_pack("{s:s}", "name", name);
        /* receive: bytes packets errs drop (fields 0-3); transmit from 8 */
        for (size_t i = 0; i < 8; i++)
            json_object_set_new(o, keys[i],
                                json_integer((json_int_t)(v[i < 4 ? i : i + 4] & INT64_MAX)));
        json_array_append_new(arr, o);
    }
    free(line);
    return arr;
}

int hull_engine_stats(struct hull_engine *e, const char *ref, json_t **out, hull_error *err)
{
    _cleanup_free_ char *id = NULL, *rtroot = hull_engine_runtime_root(e);
    struct hull_state *st = NULL;
    struct hull_cgroup *cg = NULL;
    int r;

    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return -1;
    if (hull_state_load(rtroot, id, &st, err) < 0)
        return hull_error_prefix(err, "stats");
    r = hull_cgroup_from_json(st->cgroup, &cg, err);
    if (r == 0)
        r = hull_cgroup_stats(cg, out, err);
    if (r == 0)
        json_object_set_new(*out, "network_interfaces", net_stats(st));
    hull_cgroup_free(cg);
    hull_state_free(st);
    return r;
}

int hull_engine_top(struct hull_engine *e, const char *ref, pid_t **pids, size_t *n,
                    hull_error *err)
{
    _cleanup_free_ char *id = NULL, *rtroot = hull_engine_runtime_root(e);
    struct hull_runtime rt = {.root = rtroot};

    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return -1;
    return hull_container_pids(&rt, id, pids, n, err);
}

/* ---- ps -s: bytes in the container's writable layer ---- */

int hull_engine_dir_bytes(const char *path, int64_t *bytes, hull_error *err)
{
    char *paths[] = {(char *)path, NULL};
    FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_XDEV | FTS_NOCHDIR, NULL);
    FTSENT *ent;
    int64_t sum = 0;

    if (fts == NULL)
        return hull_error_set(err, errno, "size of %s", path);
    while ((ent = fts_read(fts)) != NULL)
        if (ent->fts_info == FTS_F || ent->fts_info == FTS_SL)
            sum += ent->fts_statp->st_size;
    fts_close(fts);
    *bytes = sum;
    return 0;
}

int hull_engine_size(struct hull_engine *e, const char *id, int64_t *rw, hull_error *err)
{
    /* Image and --rootfs containers (copy mode too) keep their writable layer
     * in <root>/containers/<id>/upper, mounted or not. */
    _cleanup_free_ char *dir = hull_engine_dir(e, id);
    _cleanup_free_ char *upper = xasprintf("%s/upper", dir);

    if (hull_engine_dir_bytes(upper, rw, err) < 0)
        return hull_error_prefix(err, "container %s", id);
    return 0;
}

/* A paused container is "running" in the database (pause does not touch
 * the row). The truth is the cgroup freezer, which the runtime reads; only
 * containers that were ever paused (a "pause" event) are asked, so a plain
 * ps pays one query. */
void hull_engine_mark_paused(struct hull_engine *e, json_t *rows)
{
    _cleanup_free_ char *rtroot = hull_engine_runtime_root(e);
    json_t *paused = NULL, *r, *p;
    size_t i, j;

    if (hull_db_query(e->db, &paused, NULL,
                      "SELECT DISTINCT container FROM events WHERE type='pause'", NULL) < 0)
        return;
    json_array_foreach (rows, i, r) {
        const char *id = json_string_value(json_object_get(r, "id"));
        struct hull_state *st = NULL;
        bool asked = false;
        json_array_foreach (paused, j, p)
            asked = asked ||
                    strcmp(json_string_value(json_object_get(p, "container")) ?: "", id ?: "") == 0;
        if (!asked || !is_running(r) || hull_state_load(rtroot, id, &st, NULL) < 0)
            continue;
        if (hull_state_status(rtroot, st) == HULL_STATUS_PAUSED)
            json_object_set_new(r, "paused", json_true());
        hull_state_free(st);
    }
    json_decref(paused);
}
