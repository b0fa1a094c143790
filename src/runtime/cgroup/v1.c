/* cgroup v1 backend: one hierarchy per controller set (cpu, cpuacct, memory, ...).
 *
 * Each hook handles one hierarchy and touches only the files of the controllers mounted
 * there; files are opened relative to the cgroup's directory fd (O_NOFOLLOW). Nothing is
 * written for values the config leaves unset: each write costs, and on update an
 * untouched file keeps what an earlier update set. */
#include "resources.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "../../base/util.h"

/* ---- cpuset ---------------------------------------------------------------------- */

/* A fresh v1 cpuset cgroup has empty cpuset.cpus/mems and refuses tasks (ENOSPC).
 * Walk from the mount down to the leaf and fill every empty level from its parent,
 * so ancestors someone else created empty are fixed too. Only empty files are written. */
static int cpuset_inherit(struct hull_cg_hier *h, hull_error *err)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    _cleanup_close_ int fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *rel = xstrdup(h->dir + strlen(h->mount));
    char *parent[2] = {NULL, NULL}, *save = NULL;
    int r = -1;

    if (fd < 0)
        return hull_error_set(err, errno, "cgroup %s: open", h->mount);
    for (char *c = strtok_r(rel, "/", &save);; c = strtok_r(NULL, "/", &save)) {
        for (int i = 0; i < 2; i++) {
            _cleanup_close_ int ffd = openat(fd, files[i], O_RDWR | O_CLOEXEC | O_NOFOLLOW);
            char *val = NULL;
            size_t len = 0;
            if (ffd < 0 || hull_read_fd(ffd, 65536, &val, &len, err) < 0) {
                hull_error_set(err, errno, "cgroup %s: read %s", h->dir, files[i]);
                goto out;
            }
            while (len && (val[len - 1] == '\n' || val[len - 1] == ' '))
                val[--len] = '\0';
            if (len == 0 && parent[i]) {
                if (hull_write_all(ffd, parent[i], strlen(parent[i])) < 0) {
                    hull_error_set(err, errno, "cgroup %s: copy %s \"%s\" from parent", h->dir,
                                   files[i], parent[i]);
                    free(val);
                    goto out;
                }
                free(val);
                continue; /* parent[i] stays the value for the next level */
            }
            free(parent[i]);
            parent[i] = val;
        }
        if (c == NULL)
            break;
        int nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (nfd < 0) {
            hull_error_set(err, errno, "cgroup %s: open %s", h->dir, c);
            goto out;
        }
        close(fd);
        fd = nfd;
    }
    r = 0;
out:
    free(parent[0]);
    free(parent[1]);
    return r;
}

static int v1_prepare(struct hull_cgroup *cg, struct hull_cg_hier *h, hull_error *err)
{
    if (hull_cg_has_controller(h, "cpuset"))
        return cpuset_inherit(h, err);
    return 0;
}

/* ---- memory ---------------------------------------------------------------------- */

static int write_i64(struct hull_cg_hier *h, const char *file, int64_t v, hull_error *err)
{
    return hull_cg_writef(h, file, err, "%" PRId64, v);
}

static int v1_memory(struct hull_cg_hier *h, const struct hull_cgroup_resources *r, hull_error *err)
{
    int64_t limit = r->memory.limit.set ? r->memory.limit.v : 0;
    int64_t swap = r->memory.swap.set ? r->memory.swap.v : 0;
    bool has_memsw = hull_cg_exists(h, "memory.memsw.limit_in_bytes");

    /* use_hierarchy: modern kernels pin it to 1 and reject 0; write only a change. */
    if (r->memory.use_hierarchy.set) {
        uint64_t cur;
        if (hull_cg_read_u64(h, "memory.use_hierarchy", &cur, NULL) == 0 &&
            (cur != 0) != r->memory.use_hierarchy.v &&
            faccessat(h->dirfd, "memory.use_hierarchy", W_OK, AT_EACCESS) == 0 &&
            hull_cg_write(h, "memory.use_hierarchy", r->memory.use_hierarchy.v ? "1" : "0", err) <
                0)
            return hull_error_prefix(err, "linux.resources.memory.useHierarchy");
    }
    /* Unlimited swap needs no accounting: nothing to write (dockerd sends -1
     * when it knows the host cannot limit swap). A real limit does. */
    if (swap == -1 && !has_memsw)
        swap = 0;
    if (swap != 0 && !has_memsw)
        return hull_error_msg(err, ENOTSUP,
                              "linux.resources.memory.swap: swap accounting is not enabled on "
                              "this host (no memory.memsw.limit_in_bytes)");
    /* runc: "memory -1 and swap unset" means both unlimited. */
    if (limit == -1 && swap == 0 && has_memsw)
        swap = -1;
    if (limit > 0 && r->memory.check_before_update.set && r->memory.check_before_update.v) {
        uint64_t usage;
        if (hull_cg_read_u64(h, "memory.usage_in_bytes", &usage, err) < 0)
            return -1;
        if (usage > (uint64_t)limit)
            return hull_error_msg(err, EBUSY,
                                  "linux.resources.memory.limit: %" PRId64
                                  " is below the current usage %" PRIu64,
                                  limit, usage);
    }
    /* The kernel keeps memsw >= limit at every instant, so the order matters: raise
     * memsw first when the new memsw is above the current limit, else lower the limit
     * first. */
    if (limit != 0 && swap != 0) {
        uint64_t cur = 0;
        if (hull_cg_read_u64(h, "memory.limit_in_bytes", &cur, err) < 0)
            return -1;
        if (swap == -1 || cur < (uint64_t)swap) {
            if (write_i64(h, "memory.memsw.limit_in_bytes", swap, err) < 0 ||
                write_i64(h, "memory.limit_in_bytes", limit, err) < 0)
                return -1;
        } else if (write_i64(h, "memory.limit_in_bytes", limit, err) < 0 ||
                   write_i64(h, "memory.memsw.limit_in_bytes", swap, err) < 0) {
            return -1;
        }
    } else if (limit != 0) {
        if (write_i64(h, "memory.limit_in_bytes", limit, err) < 0)
            return -1;
    } else if (swap != 0) {
        if (write_i64(h, "memory.memsw.limit_in_bytes", swap, err) < 0)
            return -1;
    }
    if (r->memory.reservation.set && r->memory.reservation.v != 0 &&
        write_i64(h, "memory.soft_limit_in_bytes", r->memory.reservation.v, err) < 0)
        return -1;
    /* memory.kernel is ignored: kernels >= 6.1 no longer enforce kmem limits and runc
     * 1.2 dropped them too. kernelTCP still works. */
    if (r->memory.kernel_tcp.set && r->memory.kernel_tcp.v != 0 &&
        write_i64(h, "memory.kmem.tcp.limit_in_bytes", r->memory.kernel_tcp.v, err) < 0)
        return -1;
    if (r->memory.swappiness.set &&
        hull_cg_writef(h, "memory.swappiness", err, "%" PRIu64, r->memory.swappiness.v) < 0)
        return -1;
    if (r->memory.disable_oom_killer.set && r->memory.disable_oom_killer.v &&
        hull_cg_write(h, "memory.oom_control", "1", err) < 0)
        return -1;
    return 0;
}

/* ---- cpu ------------------------------------------------------------------------- */

static int v1_cpu(struct hull_cg_hier *h, const struct hull_cgroup_resources *r, hull_error *err)
{
    bool quota = r->cpu.quota.set && r->cpu.quota.v != 0, period_pending = false;

    if (r->cpu.shares.set && r->cpu.shares.v != 0 &&
        hull_cg_writef(h, "cpu.shares", err, "%" PRIu64, r->cpu.shares.v) < 0)
        return -1;
    /* A smaller period can be refused (EINVAL) while the old quota/new period would
     * exceed the parent's bandwidth; then retry after the quota is written (runc). */
    if (r->cpu.period.set) {
        _cleanup_error_ hull_error e = {0};
        if (hull_cg_writef(h, "cpu.cfs_period_us", &e, "%" PRIu64, r->cpu.period.v) < 0) {
            if (e.errnum != EINVAL || !quota)
                return hull_error_msg(err, e.errnum, "%s", e.msg);
            period_pending = true;
        }
    }
    if (quota && write_i64(h, "cpu.cfs_quota_us", r->cpu.quota.v, err) < 0)
        return -1;
    if (period_pending &&
        hull_cg_writef(h, "cpu.cfs_period_us", err, "%" PRIu64, r->cpu.period.v) < 0)
        return -1;
    if (r->cpu.burst.set &&
        hull_cg_writef(h, "cpu.cfs_burst_us", err, "%" PRIu64, r->cpu.burst.v) < 0)
        return hull_error_prefix(err, "linux.resources.cpu.burst");
    /* rt_period before rt_runtime: the runtime must fit in the period. */
    if (r->cpu.realtime_period.set &&
        hull_cg_writef(h, "cpu.rt_period_us", err, "%" PRIu64, r->cpu.realtime_period.v) < 0)
        return hull_error_prefix(err, "linux.resources.cpu.realtimePeriod");
    if (r->cpu.realtime_runtime.set &&
        write_i64(h, "cpu.rt_runtime_us", r->cpu.realtime_runtime.v, err) < 0)
        return hull_error_prefix(err, "linux.resources.cpu.realtimeRuntime");
    if (r->cpu.idle.set && write_i64(h, "cpu.idle", r->cpu.idle.v, err) < 0)
        return hull_error_prefix(err, "linux.resources.cpu.idle");
    return 0;
}

/* ---- blkio ----------------------------------------------------------------------- */

/* CFQ is gone; on modern kernels weights live in blkio.bfq.* when BFQ is in use. */
static const char *pick(struct hull_cg_hier *h, const char *a, const char *b)
{
    return hull_cg_exists(h, a) ? a : hull_cg_exists(h, b) ? b : NULL;
}

static int v1_blkio(struct hull_cg_hier *h, const struct hull_cgroup_resources *r, hull_error *err)
{
    const char *f;

    if (r->blkio.weight.set && r->blkio.weight.v) {
        if ((f = pick(h, "blkio.weight", "blkio.bfq.weight")) == NULL)
            return hull_error_msg(err, ENOTSUP,
                                  "linux.resources.blockIO.weight: no blkio.weight or "
                                  "blkio.bfq.weight on this host (no CFQ/BFQ scheduler)");
        if (hull_cg_writef(h, f, err, "%" PRIu64, r->blkio.weight.v) < 0)
            return -1;
    }
    if (r->blkio.leaf_weight.set && r->blkio.leaf_weight.v &&
        hull_cg_writef(h, "blkio.leaf_weight", err, "%" PRIu64, r->blkio.leaf_weight.v) < 0)
        return hull_error_prefix(err, "linux.resources.blockIO.leafWeight");
    for (size_t i = 0; i < r->blkio.n_weight_device; i++) {
        const struct hull_cg_weight_device *d = &r->blkio.weight_device[i];
        if (d->weight.set) {
            if ((f = pick(h, "blkio.weight_device", "blkio.bfq.weight_device")) == NULL)
                return hull_error_msg(err, ENOTSUP,
                                      "linux.resources.blockIO.weightDevice[%zu]: no "
                                      "blkio.weight_device on this host",
                                      i);
            if (hull_cg_writef(h, f, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                               d->weight.v) < 0)
                return -1;
        }
        if (d->leaf_weight.set &&
            hull_cg_writef(h, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %" PRIu64,
                           d->major, d->minor, d->leaf_weight.v) < 0)
            return hull_error_prefix(err, "linux.resources.blockIO.weightDevice[%zu]", i);
    }
    /* One rule per write: the kernel parses a single "maj:min rate" per write(). */
    for (int t = 0; t < HULL_THR_N; t++)
        for (size_t i = 0; i < r->blkio.n_throttle[t]; i++) {
            const struct hull_cg_throttle *d = &r->blkio.throttle[t][i];
            if (hull_cg_writef(h, hull_cg_throttle_v1_file[t], err,
                               "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, d->rate) < 0)
                return -1;
        }
    return 0;
}

/* ---- devices --------------------------------------------------------------------- */

static void dev_num(char *buf, size_t n, int64_t v)
{
    if (v < 0)
        snprintf(buf, n, "*");
    else
        snprintf(buf, n, "%" PRId64, v);
}

/* Rules are written in order (a later rule overrides an earlier one, as the spec says).
 * v1 reads type 'a' as "everything, reset the list" whatever follows it, so a partial
 * 'a' rule (a major/minor or access subset) is split into 'b' and 'c' rules: otherwise
 * "allow a 1:3 r" would allow every device. */
static int v1_devices(struct hull_cg_hier *h, const struct hull_cgroup_resources *r,
                      hull_error *err)
{
    for (size_t i = 0; i < r->n_devices; i++) {
        const struct hull_cg_device *d = &r->devices[i];
        const char *file = d->allow ? "devices.allow" : "devices.deny";
        char acc[4], maj[24], min[24];
        size_t k = 0;

        if (d->type == 'a' && d->major < 0 && d->minor < 0 && d->access == HULL_DEV_ALL) {
            if (hull_cg_write(h, file, "a", err) < 0)
                return hull_error_prefix(err, "linux.resources.devices[%zu]", i);
            continue;
        }
        if (d->access & HULL_DEV_READ)
            acc[k++] = 'r';
        if (d->access & HULL_DEV_WRITE)
            acc[k++] = 'w';
        if (d->access & HULL_DEV_MKNOD)
            acc[k++] = 'm';
        acc[k] = '\0';
        dev_num(maj, sizeof(maj), d->major);
        dev_num(min, sizeof(min), d->minor);
        for (int t = 0; t < 2; t++) {
            char type = d->type == 'a' ? (t == 0 ? 'b' : 'c') : d->type;
            if (t == 1 && d->type != 'a')
                break;
            if (hull_cg_writef(h, file, err, "%c %s:%s %s", type, maj, min, acc) < 0)
                return hull_error_prefix(err, "linux.resources.devices[%zu]", i);
        }
    }
    return 0;
}

/* ---- the rest -------------------------------------------------------------------- */

static int v1_apply(struct hull_cgroup *cg, struct hull_cg_hier *h,
                    const struct hull_cgroup_resources *r, unsigned todo, hull_error *err)
{
    if (hull_cg_dirfd(h, err) < 0)
        return -1;
    if ((todo & HULL_CG_MEMORY) && v1_memory(h, r, err) < 0)
        return -1;
    if ((todo & HULL_CG_CPU) && v1_cpu(h, r, err) < 0)
        return -1;
    if (todo & HULL_CG_CPUSET) {
        /* mems before cpus: neither depends on the other, but keep runc's order. */
        if (r->cpu.mems && hull_cg_write(h, "cpuset.mems", r->cpu.mems, err) < 0)
            return hull_error_prefix(err, "linux.resources.cpu.mems");
        if (r->cpu.cpus && hull_cg_write(h, "cpuset.cpus", r->cpu.cpus, err) < 0)
            return hull_error_prefix(err, "linux.resources.cpu.cpus");
    }
    if (todo & HULL_CG_PIDS) {
        int64_t v = r->pids_limit.v;
        if ((v < 0 ? hull_cg_write(h, "pids.max", "max", err) : write_i64(h, "pids.max", v, err)) <
            0)
            return -1;
    }
    if ((todo & HULL_CG_BLKIO) && v1_blkio(h, r, err) < 0)
        return -1;
    for (size_t i = 0; (todo & HULL_CG_HUGETLB) && i < r->n_hugepages; i++) {
        _cleanup_free_ char *f = xasprintf("hugetlb.%s.limit_in_bytes", r->hugepages[i].page_size);
        if (!hull_cg_exists(h, f))
            return hull_error_msg(err, ENOTSUP,
                                  "linux.resources.hugepageLimits[%zu].pageSize: the kernel "
                                  "has no %s huge pages",
                                  i, r->hugepages[i].page_size);
        if (hull_cg_writef(h, f, err, "%" PRIu64, r->hugepages[i].limit) < 0)
            return -1;
    }
    if ((todo & HULL_CG_DEVICES) && v1_devices(h, r, err) < 0)
        return -1;
    if ((todo & HULL_CG_NET_CLS) &&
        hull_cg_writef(h, "net_cls.classid", err, "%" PRIu64, r->network.class_id.v) < 0)
        return -1;
    for (size_t i = 0; (todo & HULL_CG_NET_PRIO) && i < r->network.n_priorities; i++)
        if (hull_cg_writef(h, "net_prio.ifpriomap", err, "%s %u", r->network.priorities[i].name,
                           r->network.priorities[i].priority) < 0)
            return -1;
    for (size_t i = 0; (todo & HULL_CG_RDMA) && i < r->n_rdma; i++) {
        const struct hull_cg_rdma *d = &r->rdma[i];
        char hh[24] = "max", ho[24] = "max";
        if (d->hca_handles.set)
            snprintf(hh, sizeof(hh), "%" PRIu64, d->hca_handles.v);
        if (d->hca_objects.set)
            snprintf(ho, sizeof(ho), "%" PRIu64, d->hca_objects.v);
        if (hull_cg_writef(h, "rdma.max", err, "%s hca_handle=%s hca_object=%s", d->device, hh,
                           ho) < 0)
            return -1;
    }
    return 0;
}

static bool v1_can_freeze(struct hull_cg_hier *h)
{
    return hull_cg_has_controller(h, "freezer");
}

static bool v1_is_frozen(struct hull_cg_hier *h)
{
    _cleanup_free_ char *s = NULL;
    return hull_cg_read(h, "freezer.state", &s, NULL) == 0 && strcmp(s, "FROZEN") == 0;
}

/* FREEZING can stall when a task races with the freeze; like runc, rewrite FROZEN and
 * poll until the state settles, bounded to about two seconds. */
static int v1_freeze(struct hull_cg_hier *h, bool frozen, hull_error *err)
{
    const char *want = frozen ? "FROZEN" : "THAWED";

    for (int i = 0; i < 1000; i++) {
        _cleanup_free_ char *s = NULL;
        if (hull_cg_write(h, "freezer.state", want, err) < 0)
            return -1;
        if (!frozen)
            return 0;
        if (hull_cg_read(h, "freezer.state", &s, err) < 0)
            return -1;
        if (strcmp(s, want) == 0)
            return 0;
        usleep(i < 10 ? 100 : 2000);
    }
    (void)hull_cg_write(h, "freezer.state", "THAWED", NULL);
    return hull_error_msg(err, ETIMEDOUT, "cgroup %s: freeze did not complete", h->dir);
}

static json_t *obj_child(json_t *o, const char *key)
{
    json_t *c = json_object_get(o, key);
    if (c == NULL) {
        c = json_object();
        json_object_set_new(o, key, c);
    }
    return c;
}

static void put_u64(struct hull_cg_hier *h, json_t *o, const char *key, const char *file)
{
    uint64_t v;
    if (hull_cg_read_u64(h, file, &v, NULL) == 0)
        json_object_set_new(o, key, json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

/* blkio: the first family with per-device lines, in runc's order: CFQ's (kernels
 * before 5.0), BFQ's (when the device uses bfq), the throttle layer's. The throttle
 * layer counts only on a device whose queue has throttling set up: since 6.10 the
 * kernel initializes it on the first blkio.throttle.* rule written for that device
 * (any cgroup), so a host without one reads zeros, as dockerd would show. */
static void v1_blkio_stats(struct hull_cg_hier *h, json_t *out)
{
    static const char *const prefixes[] = {"blkio.", "blkio.bfq.", "blkio.throttle."};
    json_t *b = obj_child(out, "blkio");

    for (size_t i = 0; i < HULL_ARRAY_SIZE(prefixes); i++) {
        _cleanup_free_ char *bytes_file = xasprintf("%sio_service_bytes_recursive", prefixes[i]);
        _cleanup_free_ char *ios_file = xasprintf("%sio_serviced_recursive", prefixes[i]);
        _cleanup_free_ char *bytes = NULL, *ios = NULL;
        json_t *eb = json_array(), *ei = json_array();

        if (hull_cg_read(h, bytes_file, &bytes, NULL) == 0 &&
            hull_cg_parse_blkio_v1(bytes, eb) > 0) {
            if (hull_cg_read(h, ios_file, &ios, NULL) == 0)
                hull_cg_parse_blkio_v1(ios, ei);
            json_object_set_new(b, "ioServiceBytesRecursive", eb);
            json_object_set_new(b, "ioServicedRecursive", ei);
            return;
        }
        json_decref(eb);
        json_decref(ei);
    }
}

/* The shape of runc's `events --stats` (types/events.go): cpu.usage/throttling,
 * memory.{usage,swap,kernel} entries plus raw memory.stat, pids, blkio. */
static int v1_stats(struct hull_cg_hier *h, json_t *out, hull_error *err)
{
    if (hull_cg_has_controller(h, "cpuacct")) {
        json_t *u = obj_child(obj_child(out, "cpu"), "usage");
        _cleanup_free_ char *percpu = NULL;
        json_t *raw = json_object();
        long hz = sysconf(_SC_CLK_TCK);

        put_u64(h, u, "total", "cpuacct.usage");
        if (hull_cg_read(h, "cpuacct.usage_percpu", &percpu, NULL) == 0) {
            json_t *arr = json_array();
            char *save = NULL;
            for (char *t = strtok_r(percpu, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
                unsigned long long v;
                if (hull_parse_u64(t, &v) == 0)
                    json_array_append_new(arr, json_integer((json_int_t)v));
            }
            json_object_set_new(u, "percpu", arr);
        }
        hull_cg_read_kv(h, "cpuacct.stat", raw);
        if (hz > 0) {
            json_int_t ns = 1000000000 / hz;
            json_int_t user = json_integer_value(json_object_get(raw, "user"));
            json_int_t sys = json_integer_value(json_object_get(raw, "system"));
            json_object_set_new(u, "user", json_integer(user * ns));
            json_object_set_new(u, "kernel", json_integer(sys * ns));
        }
        json_decref(raw);
    }
    if (hull_cg_has_controller(h, "cpu")) {
        json_t *raw = json_object(), *t = obj_child(obj_child(out, "cpu"), "throttling");
        hull_cg_read_kv(h, "cpu.stat", raw);
        json_object_set(t, "periods", json_object_get(raw, "nr_periods"));
        json_object_set(t, "throttledPeriods", json_object_get(raw, "nr_throttled"));
        json_object_set(t, "throttledTime", json_object_get(raw, "throttled_time"));
        json_decref(raw);
    }
    if (hull_cg_has_controller(h, "memory")) {
        static const char *const kinds[][2] = {
            {"usage", "memory."}, {"swap", "memory.memsw."}, {"kernel", "memory.kmem."}};
        json_t *m = obj_child(out, "memory"), *raw = obj_child(m, "raw");
        for (size_t i = 0; i < HULL_ARRAY_SIZE(kinds); i++) {
            json_t *u = obj_child(m, kinds[i][0]);
            _cleanup_free_ char *a = xasprintf("%susage_in_bytes", kinds[i][1]);
            _cleanup_free_ char *b = xasprintf("%smax_usage_in_bytes", kinds[i][1]);
            _cleanup_free_ char *c = xasprintf("%slimit_in_bytes", kinds[i][1]);
            _cleanup_free_ char *d = xasprintf("%sfailcnt", kinds[i][1]);
            put_u64(h, u, "usage", a);
            put_u64(h, u, "max", b);
            put_u64(h, u, "limit", c);
            put_u64(h, u, "failcnt", d);
        }
        hull_cg_read_kv(h, "memory.stat", raw);
        json_object_set(m, "cache", json_object_get(raw, "cache"));
    }
    if (hull_cg_has_controller(h, "pids")) {
        json_t *p = obj_child(out, "pids");
        put_u64(h, p, "current", "pids.current");
        put_u64(h, p, "limit", "pids.max");
    }
    if (hull_cg_has_controller(h, "blkio"))
        v1_blkio_stats(h, out);
    return 0;
}

/* v1 OOM notification: register an eventfd for memory.oom_control through
 * cgroup.event_control. The kernel keeps its own references, so the control file fd can
 * be closed right away. */
static int v1_oom_fd(struct hull_cg_hier *h, hull_error *err)
{
    _cleanup_close_ int efd = -1, cfd = -1;

    if (!hull_cg_has_controller(h, "memory") || hull_cg_dirfd(h, err) < 0)
        return -1;
    efd = eventfd(0, EFD_CLOEXEC);
    if (efd < 0)
        return hull_error_set(err, errno, "cgroup %s: eventfd", h->dir);
    cfd = openat(h->dirfd, "memory.oom_control", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (cfd < 0)
        return hull_error_set(err, errno, "cgroup %s: open memory.oom_control", h->dir);
    if (hull_cg_writef(h, "cgroup.event_control", err, "%d %d", efd, cfd) < 0)
        return -1;
    return steal_fd(&efd);
}

const struct hull_cg_ops hull_cg_v1_ops = {
    .name = "v1",
    .prepare = v1_prepare,
    .apply = v1_apply,
    .can_freeze = v1_can_freeze,
    .freeze = v1_freeze,
    .is_frozen = v1_is_frozen,
    .kill = NULL,
    .stats = v1_stats,
    .oom_fd = v1_oom_fd,
};
