/* Engine verbs on containers. Each opens the database, repairs what a crash
 * may have left, does one transaction's worth of work and returns. */
#include "internal.h"
#include "../runtime/cgroup/cgroup.h"
#include "../runtime/runtime.h"
#include "../runtime/state.h"
#include "../base/util.h"
#include "../image/image.h"
#include "../base/json.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *hull_engine_dir(struct hull_engine *e, const char *id)
{
    return xasprintf("%s/containers/%s", e->root, id);
}

char *hull_engine_bundle(struct hull_engine *e, const char *id)
{
    return xasprintf("%s/containers/%s", e->runroot, id);
}

char *hull_engine_rootfs(struct hull_engine *e, const char *id)
{
    return xasprintf("%s/containers/%s/rootfs", e->runroot, id);
}

char *hull_engine_runtime_root(struct hull_engine *e)
{
    return xasprintf("%s/runtime", e->runroot);
}

int hull_engine_open(struct hull_engine *e, const char *root, const char *runroot, hull_error *err)
{
    _cleanup_free_ char *db = NULL, *cdir = NULL;

    memset(e, 0, sizeof(*e));
    e->root = xstrdup(root);
    e->runroot = xstrdup(runroot);
    cdir = xasprintf("%s/containers", root);
    if (hull_mkdir_p(cdir, 0700, err) < 0)
        return -1;
    free(cdir);
    cdir = xasprintf("%s/containers", runroot);
    if (hull_mkdir_p(cdir, 0700, err) < 0)
        return -1;
    db = xasprintf("%s/hull.db", root);
    if (hull_db_open(db, &e->db, err) < 0)
        return -1;
    return hull_engine_repair(e, err);
}

void hull_engine_close(struct hull_engine *e)
{
    if (e->db)
        sqlite3_close(e->db);
    free(e->root);
    free(e->runroot);
    memset(e, 0, sizeof(*e));
}

/* Whether container `id` still is as repair found it: a row that says it
 * runs, with the dead monitor (mon, start) and no live init. */
static bool still_dead(struct hull_engine *e, const char *id, pid_t mon, unsigned long long start)
{
    json_t *rows = NULL, *r;
    bool dead = false;

    if (hull_db_query(e->db, &rows, NULL,
                      "SELECT pid, monitor_pid, monitor_start FROM containers WHERE id=? AND "
                      "state IN ('running','starting','restarting')",
                      "s", id) == 0 &&
        (r = json_array_get(rows, 0)) != NULL) {
        pid_t init = (pid_t)json_integer_value(json_object_get(r, "pid"));
        dead =
            json_integer_value(json_object_get(r, "monitor_pid")) == mon &&
            (unsigned long long)json_integer_value(json_object_get(r, "monitor_start")) == start &&
            !(init > 0 && hull_proc_start_time(init) != 0);
    }
    json_decref(rows);
    return dead;
}

/* Whether a container's opts (JSON) say --rm. */
static bool opts_say_rm(const char *opts)
{
    json_t *o = opts ? json_loads(opts, 0, NULL) : NULL;
    bool rm = json_is_true(json_object_get(o, "rm"));
    json_decref(o);
    return rm;
}

/* A monitor that died (kill -9) leaves "running" rows behind. Its container
 * may still run (then it keeps running, unmonitored) or be gone; either way
 * the row must say what really happened. */
int hull_engine_repair(struct hull_engine *e, hull_error *err)
{
    json_t *rows, *r;
    size_t i;

    if (hull_db_query(e->db, &rows, err,
                      "SELECT id, name, image, pid, monitor_pid, monitor_start, opts FROM "
                      "containers WHERE state IN ('running','starting','restarting')",
                      NULL) < 0)
        return -1;
    json_array_foreach (rows, i, r) {
        pid_t mon = (pid_t)json_integer_value(json_object_get(r, "monitor_pid"));
        unsigned long long start =
            (unsigned long long)json_integer_value(json_object_get(r, "monitor_start"));
        pid_t init = (pid_t)json_integer_value(json_object_get(r, "pid"));
        const char *id = json_string_value(json_object_get(r, "id"));
        if (mon > 0 && hull_proc_start_time(mon) == start)
            continue;
        /* A monitor that could not exec hull at the end left the status. */
        if (hull_monitor_fold_exit_file(e, id) == 0)
            continue;
        /* Still running without its monitor: leave it to stop/rm. A zombie
         * (orphaned to a parent that does not reap) has exited. */
        if (init > 0 && hull_proc_start_time(init) != 0)
            continue;
        /* Under the container's network lock, as connect and disconnect
         * hold it: a connect under way finishes first and its attachment
         * is released here with the others; one after sees "exited". The
         * row is read again once the lock is held (a start or another
         * repair may have come first). And before taking it: the rows were
         * read before the monitors were looked at, and a monitor that has
         * exited since recorded the exit first; its container may be under
         * `rm` now, and opening the lock file would put it back into the
         * directory that rm is deleting. */
        if (!still_dead(e, id, mon, start))
            continue;
        _cleanup_close_ int netlock = hull_network_lock(e, id, NULL);
        if (!still_dead(e, id, mon, start))
            continue;
        /* The runtime's state and cgroup of the dead init go too, or the
         * next start's create finds them ("already exists"). */
        {
            _cleanup_free_ char *rtroot = hull_engine_runtime_root(e);
            struct hull_runtime rt = {.root = rtroot};
            hull_container_delete(&rt, id, true, NULL);
        }
        hull_network_release(e, id);
        hull_engine_umount_rootfs(e, id);
        hull_db_exec(e->db, NULL,
                     "UPDATE containers SET state='exited', ip=NULL, exit_code=-1, abnormal=1, "
                     "finished_at=?, reason='monitor died; exit status unknown' "
                     "WHERE id=? AND state IN ('running','starting','restarting')",
                     "is", hull_now_ns(), id);
        hull_db_event(e->db, "die", id, json_string_value(json_object_get(r, "name")),
                      json_string_value(json_object_get(r, "image")), -1, 0, true,
                      "monitor died; exit status unknown");
        /* docker removes --rm containers it finds dead when it starts again. Their
         * files were written without fsyncs, so after a power loss they may be
         * empty: they must not be started again. */
        if (opts_say_rm(json_string_value(json_object_get(r, "opts"))))
            hull_engine_autoremove(e, id, json_string_value(json_object_get(r, "name")),
                                   json_string_value(json_object_get(r, "image")));
    }
    json_decref(rows);
    return 0;
}

int hull_engine_mount_rootfs(struct hull_engine *e, const char *id, const char *lower,
                             char **rootfs_out, hull_error *err)
{
    _cleanup_free_ char *dir = hull_engine_dir(e, id);
    _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
    _cleanup_free_ char *work = xasprintf("%s/work", dir);
    _cleanup_free_ char *rootfs = hull_engine_rootfs(e, id);
    _cleanup_free_ char *data = NULL;

    if (strchr(lower, ',') || strchr(lower, ':'))
        return hull_error_msg(err, EINVAL, "--rootfs %s: ',' and ':' are not allowed", lower);
    if (hull_mkdir_p(upper, 0755, err) < 0 || hull_mkdir_p(work, 0700, err) < 0 ||
        hull_mkdir_p(rootfs, 0755, err) < 0)
        return -1;
    /* The lower layer is never written: every change lands in upper/. */
    data = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
    if (mount("overlay", rootfs, "overlay", MS_NODEV, data) < 0)
        return hull_error_set(err, errno, "mount overlay rootfs for %s", id);
    *rootfs_out = steal_pointer(&rootfs);
    return 0;
}

void hull_engine_umount_rootfs(struct hull_engine *e, const char *id)
{
    _cleanup_free_ char *rootfs = hull_engine_rootfs(e, id);
    umount2(rootfs, MNT_DETACH);
}

void hull_engine_autoremove(struct hull_engine *e, const char *id, const char *name,
                            const char *image)
{
    _cleanup_free_ char *bundle = hull_engine_bundle(e, id);
    _cleanup_free_ char *dir = hull_engine_dir(e, id);
    hull_engine_umount_rootfs(e, id);
    hull_rm_rf(bundle);
    hull_rm_rf(dir);
    hull_db_exec(e->db, NULL, "DELETE FROM containers WHERE id=?", "s", id);
    hull_db_event(e->db, "destroy", id, name, image, 0, 0, false, NULL);
}

/* The bundle's config.json from the database, if the run root lost it (a
 * reboot: it is volatile state, see hull_write_file_volatile). */
int hull_engine_restore_bundle(struct hull_engine *e, const char *id, hull_error *err)
{
    _cleanup_free_ char *bundle = hull_engine_bundle(e, id);
    _cleanup_free_ char *cfgpath = xasprintf("%s/config.json", bundle);
    json_t *rows = NULL;
    const char *spec;
    int r;

    if (access(cfgpath, F_OK) == 0)
        return 0;
    if (hull_db_query(e->db, &rows, err, "SELECT spec FROM containers WHERE id=?", "s", id) < 0)
        return -1;
    spec = json_string_value(json_object_get(json_array_get(rows, 0), "spec"));
    if (spec == NULL)
        r = hull_error_msg(err, ENOENT,
                           "container %s: its bundle %s is gone and no copy of its config was "
                           "kept (created by an older hull): remove it",
                           id, bundle);
    else
        r = hull_mkdir_p(bundle, 0700, err) < 0
                ? -1
                : hull_write_file_volatile(cfgpath, spec, strlen(spec), 0600, err);
    json_decref(rows);
    return r;
}

bool hull_engine_rootfs_mounted(struct hull_engine *e, const char *id)
{
    _cleanup_free_ char *rootfs = hull_engine_rootfs(e, id);
    struct statx stx;

    return statx(AT_FDCWD, rootfs, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0 &&
           (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
           (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* Mount the container's root filesystem again if it is not: containers that
 * exited hold no mount (docker unmounts at stop too), and a reboot takes them
 * all. Serialised per container with an flock on its directory under --root
 * (two `start`s, or `cp` into a stopped container while it starts). Returns
 * the fd holding the lock (close it to release) or -1. */
int hull_engine_ensure_rootfs(struct hull_engine *e, const char *id, hull_error *err)
{
    _cleanup_free_ char *dir = hull_engine_dir(e, id);
    _cleanup_free_ char *rootfs = hull_engine_rootfs(e, id);
    _cleanup_close_ int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct hull_image_store *store = e->images;
    json_t *rows = NULL, *opts = NULL, *r;
    const char *lower;
    char *mounted_at = NULL;
    int ret = -1;

    if (lock < 0)
        return hull_error_set(err, errno, "container %s: open %s", id, dir);
    while (flock(lock, LOCK_EX) < 0)
        if (errno != EINTR)
            return hull_error_set(err, errno, "container %s: lock %s", id, dir);
    if (hull_engine_rootfs_mounted(e, id))
        return steal_fd(&lock);
    if (hull_mkdir_p(rootfs, 0755, err) < 0 ||
        hull_db_query(e->db, &rows, err, "SELECT rootfs, opts FROM containers WHERE id=?", "s",
                      id) < 0)
        return -1;
    r = json_array_get(rows, 0);
    opts = json_loads(json_string_value(json_object_get(r, "opts")) ?: "{}", 0, NULL);
    lower = json_string_value(json_object_get(r, "rootfs"));
    if (json_is_string(json_object_get(opts, "rootfs")) && lower) {
        ret = hull_engine_mount_rootfs(e, id, lower, &mounted_at, err);
        free(mounted_at);
    } else if (store || hull_image_store_open(e->root, NULL, &store, err) == 0) {
        ret = hull_image_remount_rootfs(store, id, rootfs, err);
        if (store != e->images)
            hull_image_store_free(store);
    }
    json_decref(opts);
    json_decref(rows);
    return ret < 0 ? -1 : steal_fd(&lock);
}

static char *new_id(void)
{
    unsigned char b[32];
    char *s = xmalloc0(65);
    if (getrandom(b, sizeof(b), 0) != sizeof(b))
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)(rand() & 0xff);
    for (size_t i = 0; i < sizeof(b); i++)
        sprintf(s + 2 * i, "%02x", b[i]);
    return s;
}

static char *new_name(void)
{
    static const char *const adj[] = {"brave", "calm",  "eager",  "fierce", "gentle", "jolly",
                                      "keen",  "lucid", "nimble", "quiet",  "sharp",  "steady"};
    static const char *const noun[] = {"hull",   "keel",   "mast",  "bow",    "stern", "deck",
                                       "rudder", "anchor", "cabin", "galley", "helm",  "sail"};
    unsigned int r[3];
    if (getrandom(r, sizeof(r), 0) != sizeof(r))
        r[0] = (unsigned)rand(), r[1] = (unsigned)rand(), r[2] = (unsigned)rand();
    return xasprintf("%s_%s_%u", adj[r[0] % 12], noun[r[1] % 12], r[2] % 10000);
}

bool hull_engine_name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 128 || n[0] == '.' || n[0] == '-' || n[0] == '_')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
              (n[i] >= '0' && n[i] <= '9') || n[i] == '_' || n[i] == '.' || n[i] == '-'))
            return false;
    return true;
}

/* -p [IP:]HOSTPORT:CONTAINERPORT[/tcp|udp] → CNI portMappings; a host port
 * that is taken (by anything: we try to bind it) is refused up front. */
static int parse_ports(char **specs, json_t **out, hull_error *err)
{
    json_t *arr = json_array();
    for (size_t i = 0; specs && specs[i]; i++) {
        _cleanup_free_ char *copy = xstrdup(specs[i]);
        char *proto = strchr(copy, '/'), *parts[3] = {NULL, NULL, NULL}, *save = NULL;
        unsigned long long hp, cp;
        int n = 0, fd;
        struct sockaddr_in sa = {.sin_family = AF_INET};
        if (proto)
            *proto++ = '\0';
        for (char *t = strtok_r(copy, ":", &save); t && n < 3; t = strtok_r(NULL, ":", &save))
            parts[n++] = t;
        if (n < 2 || (proto && strcmp(proto, "tcp") && strcmp(proto, "udp")) ||
            hull_parse_u64(parts[n - 2], &hp) < 0 || hull_parse_u64(parts[n - 1], &cp) < 0 ||
            hp == 0 || hp > 65535 || cp == 0 || cp > 65535 ||
            (n == 3 && inet_pton(AF_INET, parts[0], &sa.sin_addr) != 1)) {
            json_decref(arr);
            return hull_error_msg(
                err, EINVAL, "-p \"%s\": expected [IP:]HOSTPORT:CONTAINERPORT[/tcp|udp]", specs[i]);
        }
        sa.sin_port = htons((uint16_t)hp);
        fd = socket(AF_INET,
                    (proto && strcmp(proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC,
                    0);
        if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EADDRINUSE) {
            close(fd);
            json_decref(arr);
            return hull_error_msg(err, EADDRINUSE, "-p \"%s\": host port %llu is already in use",
                                  specs[i], hp);
        }
        if (fd >= 0)
            close(fd);
        json_array_append_new(arr,
                              json_pack("{s:I, s:I, s:s, s:s}", "hostPort", (json_int_t)hp,
                                        "containerPort", (json_int_t)cp, "protocol",
                                        proto ? proto : "tcp", "hostIP", n == 3 ? parts[0] : ""));
    }
    *out = arr;
    return 0;
}

/* Published ports are DNAT rules, not sockets: a bind test cannot see that
 * another container already publishes the port, the database can. */
static bool port_taken(struct hull_engine *e, json_t *ports, hull_error *err)
{
    json_t *rows, *r, *p, *q;
    size_t i, j, k;
    bool taken = false;

    if (hull_db_query(e->db, &rows, err,
                      "SELECT name, ports FROM containers WHERE state IN ('created','running') "
                      "AND ports IS NOT NULL AND ports != '[]'",
                      NULL) < 0)
        return true;
    json_array_foreach (rows, i, r) {
        json_t *theirs = json_loads(json_string_value(json_object_get(r, "ports")), 0, NULL);
        json_array_foreach (ports, j, p)
            json_array_foreach (theirs, k, q) {
                if (!taken &&
                    json_integer_value(json_object_get(p, "hostPort")) ==
                        json_integer_value(json_object_get(q, "hostPort")) &&
                    json_equal(json_object_get(p, "protocol"), json_object_get(q, "protocol"))) {
                    hull_error_msg(err, EADDRINUSE, "-p: host port %lld is already published by %s",
                                   json_integer_value(json_object_get(p, "hostPort")),
                                   json_string_value(json_object_get(r, "name")));
                    taken = true;
                }
            }
        json_decref(theirs);
    }
    json_decref(rows);
    return taken;
}

/* /etc/hosts and /etc/resolv.conf come from files in the container's dir,
 * bind-mounted (the image's own are left alone); hosts is rewritten in place
 * as containers join the network. Those of an ephemeral container (--rm: removed
 * when it exits, and by repair after a crash) are written without fsyncs. */
static int add_etc_files(struct hull_engine *e, const char *id, const char *name,
                         const char *hostname, bool host_net, const char *peer, bool ephemeral,
                         json_t *spec, hull_error *err)
{
    unsigned sync = ephemeral ? 0 : HULL_WRITE_SYNC;
    _cleanup_free_ char *dir = hull_engine_dir(e, id);
    _cleanup_free_ char *hosts = xasprintf("%s/hosts", dir);
    _cleanup_free_ char *resolv = xasprintf("%s/resolv.conf", dir);
    _cleanup_free_ char *content = xasprintf(
        "127.0.0.1\tlocalhost %s %s\n::1\tlocalhost ip6-localhost ip6-loopback\n", hostname, name);
    _cleanup_free_ char *rc = NULL;
    json_t *mounts = json_object_get(spec, "mounts");

    if (host_net)
        return 0;
    if (peer) {
        /* Same network, same names: the joined container's files. */
        _cleanup_free_ char *pdir = hull_engine_dir(e, peer);
        free(hosts);
        free(resolv);
        hosts = xasprintf("%s/hosts", pdir);
        resolv = xasprintf("%s/resolv.conf", pdir);
        if (access(hosts, F_OK) < 0 || access(resolv, F_OK) < 0)
            return 0; /* a host-network peer: the image's own files */
    } else {
        /* Same directory as resolv.conf: its write syncs the directory. */
        if (hull_write_file_replace(hosts, content, strlen(content), 0644, sync, err) < 0)
            return -1;
        if (hull_read_file("/etc/resolv.conf", 65536, &rc, NULL, NULL) < 0 ||
            strstr(rc, "127.0.0."))
            rc = xstrdup("nameserver 10.89.0.1\n"); /* a host-local resolver is not reachable */
        if (hull_write_file_replace(resolv, rc, strlen(rc), 0644,
                                    sync ? sync | HULL_WRITE_SYNC_DIR : 0, err) < 0)
            return -1;
    }
    json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s, s, s]}", "destination",
                                            "/etc/hosts", "type", "bind", "source", hosts,
                                            "options", "bind", "nosuid", "nodev"));
    json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s, s, s]}", "destination",
                                            "/etc/resolv.conf", "type", "bind", "source", resolv,
                                            "options", "bind", "nosuid", "nodev"));
    return 0;
}

/* --label KEY[=VALUE] → {"KEY": "VALUE"}; a later KEY wins, as with docker. */
static json_t *labels_json(char **labels)
{
    json_t *j = json_object();
    for (size_t i = 0; labels && labels[i]; i++) {
        const char *eq = strchr(labels[i], '=');
        _cleanup_free_ char *key =
            eq ? strndup(labels[i], (size_t)(eq - labels[i])) : xstrdup(labels[i]);
        json_object_set_new(j, key, json_string(eq ? eq + 1 : ""));
    }
    return j;
}

int hull_engine_join_netns(struct hull_engine *e, const char *ref, json_t *spec, char **peer_id,
                           hull_error *err)
{
    _cleanup_free_ char *id = NULL, *bundle = NULL, *cfgpath = NULL, *nspath = NULL;
    json_t *rows, *ns, *n, *peer_cfg;
    pid_t pid = 0;
    size_t i;

    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return hull_error_prefix(err, "--network container:%s", ref);
    if (hull_db_query(e->db, &rows, err,
                      "SELECT pid FROM containers WHERE id=? AND state='running'", "s", id) < 0)
        return -1;
    if (json_array_size(rows) == 1)
        pid = (pid_t)json_integer_value(json_object_get(json_array_get(rows, 0), "pid"));
    json_decref(rows);
    if (pid <= 0 || hull_proc_start_time(pid) == 0) /* gone, or a zombie */
        return hull_error_msg(err, EINVAL,
                              "--network container:%s: container %s is not running (the "
                              "container whose network is joined must run)",
                              ref, ref);
    /* The joined container's own config says what it shares: its hostname
     * goes with its network, as with docker. */
    bundle = hull_engine_bundle(e, id);
    cfgpath = xasprintf("%s/config.json", bundle);
    peer_cfg = json_load_file(cfgpath, 0, NULL);
    if (json_is_string(json_object_get(peer_cfg, "hostname")))
        json_object_set(spec, "hostname", json_object_get(peer_cfg, "hostname"));
    json_decref(peer_cfg);
    nspath = xasprintf("/proc/%d/ns/net", pid);
    ns = json_object_get(json_object_get(spec, "linux"), "namespaces");
    json_array_foreach (ns, i, n)
        if (strcmp(json_string_value(json_object_get(n, "type")) ?: "", "network") == 0)
            json_object_set_new(n, "path", json_string(nspath));
    *peer_id = steal_pointer(&id);
    return 0;
}

static json_t *opts_json(const struct hull_run_opts *o)
{
    json_t *j = json_object();
    json_object_set_new(j, "detach", json_boolean(o->detach));
    json_object_set_new(j, "rm", json_boolean(o->rm));
    json_object_set_new(j, "tty", json_boolean(o->tty));
    json_object_set_new(j, "interactive", json_boolean(o->interactive));
    json_object_set_new(j, "privileged", json_boolean(o->privileged));
    json_object_set_new(j, "network", json_string(o->network ? o->network : "bridge"));
    json_object_set_new(j, "restart", json_string(o->restart ? o->restart : "no"));
    if (o->rootfs)
        json_object_set_new(j, "rootfs", json_string(o->rootfs));
    if (o->init)
        json_object_set_new(j, "init", json_true());
    json_object_set_new(j, "labels", labels_json(o->labels));
    return j;
}

static int run_container(struct hull_engine *e, const struct hull_run_opts *o, bool create_only,
                         char **id_out, int *exit_status, hull_error *err)
{
    _cleanup_free_ char *id = new_id();
    _cleanup_free_ char *name = o->name ? xstrdup(o->name) : new_name();
    _cleanup_free_ char *bundle = hull_engine_bundle(e, id);
    _cleanup_free_ char *dir = hull_engine_dir(e, id);
    _cleanup_free_ char *rootfs = NULL, *cfg = NULL, *opts = NULL, *cfgpath = NULL;
    _cleanup_free_ char *lower = NULL;
    json_t *spec = NULL, *oj, *ports = NULL, *image_config = NULL;
    struct hull_image *img = NULL;
    _cleanup_free_ char *ports_s = NULL, *volumes_s = NULL, *aliases_s = NULL, *command = NULL;
    struct hull_run_opts resolved;
    char **vols;
    const char *network;
    _cleanup_free_ char *peer = NULL, *joined = NULL;
    struct hull_monitor_args ma = {0};
    pid_t mon;
    char hostname[13];
    bool mounted = false;
    int r = -1;

    *exit_status = 0;
    if (!hull_engine_name_ok(name))
        return hull_error_msg(err, EINVAL, "--name \"%s\": invalid container name", name);
    if (hull_network_check_aliases("--network-alias", o->network ? o->network : "bridge",
                                   o->aliases, err) < 0)
        return -1;
    if (o->rootfs == NULL) {
        if (e->images == NULL)
            return hull_error_msg(err, EINVAL, "no image store");
        if (hull_image_lookup(e->images, o->image, &img, err) < 0)
            return -1;
        image_config = img->config ? img->config->raw : NULL;
    } else {
        lower = realpath(o->rootfs, NULL);
        if (lower == NULL)
            return hull_error_set(err, errno, "--rootfs %s", o->rootfs);
    }
    memcpy(hostname, id, 12);
    hostname[12] = '\0';
    /* Named volumes become bind mounts of their directories; they are
     * created (docker-style, on first use) only once everything validated. */
    resolved = *o;
    vols = xmalloc0((hull_strv_len(o->volumes) + 1) * sizeof(char *));
    for (size_t i = 0; o->volumes && o->volumes[i]; i++) {
        const char *v = o->volumes[i];
        const char *colon = strchr(v, ':');
        if (v[0] != '/' && colon) {
            char *vname = strndup(v, (size_t)(colon - v));
            _cleanup_free_ char *path = hull_volume_path(e, vname);
            bool ok = hull_volume_name_ok(vname);
            free(vname);
            if (!ok) {
                hull_strv_free(vols);
                return hull_error_msg(err, EINVAL, "-v \"%s\": invalid volume name", v);
            }
            vols[i] = xasprintf("%s%s", path, colon);
        } else {
            vols[i] = xstrdup(v);
        }
    }
    resolved.volumes = vols;
    /* Validate the whole spec before anything exists. */
    if (hull_engine_build_spec(&resolved, image_config, "rootfs",
                               o->hostname ? o->hostname : hostname, &spec, err) < 0) {
        hull_strv_free(vols);
        hull_image_free(img);
        return -1;
    }
    hull_strv_free(vols);
    {
        json_t *va = json_array();
        for (size_t i = 0; o->volumes && o->volumes[i]; i++)
            json_array_append_new(va, json_string(o->volumes[i]));
        volumes_s = json_dumps(va, JSON_COMPACT);
        json_decref(va);
    }
    /* docker's default: the bridge network, with outbound NAT. */
    network = o->network ? o->network : "bridge";
    if (hull_str_has_prefix(network, HULL_NET_CONTAINER)) {
        if (o->hostname || (o->ports && o->ports[0])) {
            json_decref(spec);
            hull_image_free(img);
            return hull_error_msg(err, EINVAL,
                                  "--network %s: conflicting options: the container shares that "
                                  "container's network and hostname (no -h, no -p)",
                                  network);
        }
        if (hull_engine_join_netns(e, network + strlen(HULL_NET_CONTAINER), spec, &peer, err) < 0) {
            json_decref(spec);
            hull_image_free(img);
            return -1;
        }
        network = joined = xasprintf(HULL_NET_CONTAINER "%s", peer);
    }
    if (o->ports && o->ports[0] && (strcmp(network, "none") == 0 || strcmp(network, "host") == 0)) {
        json_decref(spec);
        return hull_error_msg(err, EINVAL, "-p needs a bridge network (--network bridge)");
    }
    if (parse_ports(o->ports, &ports, err) < 0) {
        json_decref(spec);
        return -1;
    }
    if (strcmp(network, "none") != 0 && strcmp(network, "host") != 0 && peer == NULL) {
        json_t *list;
        if (hull_network_load(e, network, &list, err) < 0) {
            json_decref(spec);
            json_decref(ports);
            return -1;
        }
        json_decref(list);
    }
    if (json_array_size(ports) && port_taken(e, ports, err)) {
        json_decref(spec);
        json_decref(ports);
        return -1;
    }
    ports_s = json_dumps(ports, JSON_COMPACT);
    json_decref(ports);
    oj = opts_json(o);
    opts = json_dumps(oj, JSON_COMPACT);
    json_decref(oj);
    /* The command line `ps` shows, past tini's own args with --init. */
    command = hull_json_join_args(json_object_get(json_object_get(spec, "process"), "args"),
                                  o->init ? 2 : 0);
    aliases_s = hull_network_aliases_json(o->aliases);
    if (hull_db_exec(e->db, err,
                     "INSERT INTO containers(id,name,image,command,created,state,opts,rootfs,"
                     "network,ports,volumes,aliases) VALUES(?,?,?,?,?,'created',?,?,?,?,?,?)",
                     "ssssissssss", id, name, o->image ? o->image : o->rootfs, command,
                     hull_now_ns(), opts, lower ? lower : img->digest, network, ports_s, volumes_s,
                     aliases_s) < 0) {
        json_decref(spec);
        hull_image_free(img);
        if (err && err->errnum == EEXIST) {
            hull_error_clear(err);
            return hull_error_msg(err, EEXIST, "name \"%s\" is already in use", name);
        }
        return -1;
    }
    for (size_t i = 0; o->volumes && o->volumes[i]; i++) {
        const char *colon = strchr(o->volumes[i], ':');
        if (o->volumes[i][0] != '/' && colon) {
            char *vname = strndup(o->volumes[i], (size_t)(colon - o->volumes[i]));
            int vr = hull_volume_create(e, vname, true, err);
            free(vname);
            if (vr < 0)
                goto fail;
        }
    }
    if (hull_mkdir_p(dir, 0700, err) < 0 || hull_mkdir_p(bundle, 0700, err) < 0)
        goto fail;
    if (img) {
        /* Read-only image layers under a fresh upper layer of this container. */
        rootfs = hull_engine_rootfs(e, id);
        if (hull_mkdir_p(rootfs, 0755, err) < 0 ||
            hull_image_mount_rootfs(e->images, img, id, rootfs, o->rm ? HULL_ROOTFS_EPHEMERAL : 0,
                                    err) < 0)
            goto fail;
    } else if (hull_engine_mount_rootfs(e, id, lower, &rootfs, err) < 0) {
        goto fail;
    }
    mounted = true;
    if (add_etc_files(e, id, name, o->hostname ? o->hostname : hostname,
                      strcmp(network, "host") == 0, peer, o->rm, spec, err) < 0)
        goto fail;
    cfg = json_dumps(spec, JSON_COMPACT);
    cfgpath = xasprintf("%s/config.json", bundle);
    if (hull_write_file_volatile(cfgpath, cfg, strlen(cfg), 0600, err) < 0 ||
        hull_db_exec(e->db, err, "UPDATE containers SET spec=? WHERE id=?", "ss", cfg, id) < 0)
        goto fail;
    hull_db_event(e->db, "create", id, name, o->image ? o->image : o->rootfs, 0, 0, false, NULL);
    *id_out = xstrdup(id);
    if (create_only) {
        json_decref(spec);
        hull_image_free(img);
        return 0;
    }
    ma.id = id;
    ma.name = name;
    ma.image = o->image ? o->image : o->rootfs;
    ma.detach = o->detach;
    ma.rm = o->rm;
    ma.interactive = o->interactive;
    ma.tty = o->tty;
    ma.network = peer ? NULL : network; /* a joined network needs no setup */
    ma.ports = ports_s;
    ma.restart = o->restart;
    json_decref(spec);
    spec = NULL;
    hull_image_free(img);
    img = NULL;
    /* The warm-up thread may still wait for its grace period: it stays in
     * this process (the child forgets it) and the monitor's child, whose own
     * warm-up then finds the lock warm, need not wait for it. */
    mon = hull_monitor_spawn(e, &ma, exit_status, err);
    if (mon < 0)
        goto fail;
    return 0;
fail:
    r = -1;
    json_decref(spec);
    hull_image_free(img);
    if (mounted)
        hull_engine_umount_rootfs(e, id);
    hull_rm_rf(bundle);
    hull_rm_rf(dir);
    hull_db_exec(e->db, NULL, "DELETE FROM containers WHERE id=?", "s", id);
    return r;
}

int hull_engine_run(struct hull_engine *e, const struct hull_run_opts *o, bool create_only,
                    char **id_out, int *exit_status, hull_error *err)
{
    int r;

    /* The first cgroup migration waits for an RCU grace period (10-20 ms
     * here, see runtime/cgroup/prewarm.c): start it now, in a thread, so it
     * overlaps the image, rootfs and database work below instead of the
     * monitor's container setup. */
    if (!create_only)
        hull_cgroup_prewarm();
    r = run_container(e, o, create_only, id_out, exit_status, err);
    hull_cgroup_prewarm_wait();
    return r;
}
