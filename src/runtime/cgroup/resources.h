/* Private to src/runtime/cgroup/: the parsed form of linux.resources and the ops table
 * that the v1 and v2 backends implement. Nothing outside this folder includes it. */
#ifndef HULL_RUNTIME_CGROUP_RESOURCES_H
#define HULL_RUNTIME_CGROUP_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

struct hull_opt_i64 {
    bool set;
    int64_t v;
};
struct hull_opt_u64 {
    bool set;
    uint64_t v;
};
struct hull_opt_bool {
    bool set;
    bool v;
};

/* Resource groups: which controller a requested limit needs. The dispatcher checks that
 * every requested group was handled by some hierarchy, so a limit is never dropped
 * silently because its controller is missing. */
enum {
    HULL_CG_MEMORY = 1u << 0,
    HULL_CG_CPU = 1u << 1,
    HULL_CG_CPUSET = 1u << 2,
    HULL_CG_PIDS = 1u << 3,
    HULL_CG_BLKIO = 1u << 4,
    HULL_CG_HUGETLB = 1u << 5,
    HULL_CG_DEVICES = 1u << 6,
    HULL_CG_NET_CLS = 1u << 7,
    HULL_CG_NET_PRIO = 1u << 8,
    HULL_CG_RDMA = 1u << 9,
    HULL_CG_UNIFIED = 1u << 10,
};

/* Device access bits, same values as BPF_DEVCG_ACC_*. */
enum { HULL_DEV_MKNOD = 1, HULL_DEV_READ = 2, HULL_DEV_WRITE = 4, HULL_DEV_ALL = 7 };

struct hull_cg_device {
    bool allow;
    char type;            /* 'a', 'b' or 'c' */
    int64_t major, minor; /* -1: wildcard */
    unsigned access;      /* HULL_DEV_* */
};

struct hull_cg_weight_device {
    int64_t major, minor;
    struct hull_opt_u64 weight, leaf_weight;
};

struct hull_cg_throttle {
    int64_t major, minor;
    uint64_t rate;
};

enum { HULL_THR_READ_BPS, HULL_THR_WRITE_BPS, HULL_THR_READ_IOPS, HULL_THR_WRITE_IOPS, HULL_THR_N };

struct hull_cg_hugepage {
    char *page_size; /* "2MB", "1GB", "64KB" */
    uint64_t limit;
};

struct hull_cg_prio {
    char *name;
    uint32_t priority;
};

struct hull_cg_rdma {
    char *device;
    struct hull_opt_u64 hca_handles, hca_objects;
};

struct hull_cg_kv {
    char *key, *value;
};

/* Values follow runc: 0 means "not set" for memory limit/reservation/swap/kernelTCP,
 * cpu shares/quota, pids limit and blkio weights (so a zeroed field from an engine is
 * harmless); -1 means unlimited where the spec allows it. */
struct hull_cgroup_resources {
    unsigned requested; /* HULL_CG_* groups that carry at least one value */
    struct {
        struct hull_opt_i64 limit, reservation, swap, kernel, kernel_tcp;
        struct hull_opt_u64 swappiness;
        struct hull_opt_bool disable_oom_killer, use_hierarchy, check_before_update;
    } memory;
    struct {
        struct hull_opt_u64 shares, period, burst, realtime_period;
        struct hull_opt_i64 quota, realtime_runtime, idle;
        char *cpus, *mems;
    } cpu;
    struct hull_opt_i64 pids_limit;
    struct {
        struct hull_opt_u64 weight, leaf_weight;
        struct hull_cg_weight_device *weight_device;
        size_t n_weight_device;
        struct hull_cg_throttle *throttle[HULL_THR_N];
        size_t n_throttle[HULL_THR_N];
    } blkio;
    struct hull_cg_hugepage *hugepages;
    size_t n_hugepages;
    struct hull_cg_device *devices; /* present (possibly empty) when requested & DEVICES */
    size_t n_devices;
    struct {
        struct hull_opt_u64 class_id;
        struct hull_cg_prio *priorities;
        size_t n_priorities;
    } network;
    struct hull_cg_rdma *rdma;
    size_t n_rdma;
    struct hull_cg_kv *unified;
    size_t n_unified;
};

/* v1 file names / v2 io.max keys for the four throttle lists. */
extern const char *const hull_cg_throttle_v1_file[HULL_THR_N];
extern const char *const hull_cg_throttle_v2_key[HULL_THR_N];

/* One hierarchy the container lives in: a v1 controller mount or the cgroup2 mount. */
struct hull_cg_hier {
    const struct hull_cg_ops *ops;
    char *controllers; /* v1: "memory", "cpu,cpuacct", "name=systemd"; v2: "" */
    char *mount;       /* mount point */
    char *root;        /* root of the mount inside the hierarchy (mountinfo field 4) */
    char *dir;         /* absolute directory of the container's cgroup */
    char **created;    /* directories we made, parent first (NULL-terminated) */
    int dirfd;         /* O_DIRECTORY fd of dir, opened once; -1 until needed */
};

/* The backend ops table: one instance per cgroup version (v1.c, v2.c). Every hook
 * works on one hierarchy; cgroup.c loops over the hierarchies and picks the one that
 * owns freezing/killing/listing. */
struct hull_cg_ops {
    const char *name;
    /* After the directories exist: v1 cpuset inheritance, v2 controller enabling. */
    int (*prepare)(struct hull_cgroup *cg, struct hull_cg_hier *h, hull_error *err);
    /* Write the limits of the HULL_CG_* groups in `todo`: the dispatcher passes only
     * the groups whose controller lives in this hierarchy. */
    int (*apply)(struct hull_cgroup *cg, struct hull_cg_hier *h,
                 const struct hull_cgroup_resources *r, unsigned todo, hull_error *err);
    /* Can this hierarchy freeze? (v1: freezer controller; v2: cgroup.freeze exists) */
    bool (*can_freeze)(struct hull_cg_hier *h);
    int (*freeze)(struct hull_cg_hier *h, bool frozen, hull_error *err);
    bool (*is_frozen)(struct hull_cg_hier *h);
    /* Kill every task at once (v2 cgroup.kill): 0 done, 1 unsupported, -1 error. */
    int (*kill)(struct hull_cg_hier *h, hull_error *err);
    int (*stats)(struct hull_cg_hier *h, json_t *out, hull_error *err);
    int (*oom_fd)(struct hull_cg_hier *h, hull_error *err);
};

extern const struct hull_cg_ops hull_cg_v1_ops;
extern const struct hull_cg_ops hull_cg_v2_ops;

struct hull_cgroup {
    enum hull_cgroup_mode mode;
    char *path; /* cgroup path as runc reports it (of the primary hierarchy) */
    struct hull_cg_hier *h;
    size_t n;
};

/* A mounted hierarchy, from /proc/self/mountinfo (layout.c). */
struct hull_cg_mount {
    char *controllers; /* v1: comma list of controllers; v2: "" */
    char *mount, *root;
    bool v2;
};

/* layout.c: the mounted hierarchies (detected once, cached for the process). */
const struct hull_cg_mount *hull_cg_mounts(size_t *n);
/* Join base and rel lexically; ".." above the root or the root itself is an error. */
int hull_cg_normalize(const char *base, const char *rel, char **out, hull_error *err);
/* --systemd-cgroup: validate "slice:prefix:name"; always fails (see layout.c). */
int hull_cg_systemd_path(const char *id, const char *cgroups_path, hull_error *err);

/* Helpers shared by the backends (cgroup.c). */
int hull_cg_dirfd(struct hull_cg_hier *h, hull_error *err);
bool hull_cg_has_controller(const struct hull_cg_hier *h, const char *ctrl);
int hull_cg_write(struct hull_cg_hier *h, const char *file, const char *val, hull_error *err);
int hull_cg_writef(struct hull_cg_hier *h, const char *file, hull_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Read a small file of the cgroup; trailing newline stripped. */
int hull_cg_read(struct hull_cg_hier *h, const char *file, char **out, hull_error *err);
bool hull_cg_exists(struct hull_cg_hier *h, const char *file);
/* Read a single unsigned number ("max" → UINT64_MAX). */
int hull_cg_read_u64(struct hull_cg_hier *h, const char *file, uint64_t *out, hull_error *err);
/* Add "key": value pairs of a "key value\n" file (memory.stat, cpu.stat) to obj. */
void hull_cg_read_kv(struct hull_cg_hier *h, const char *file, json_t *obj);

/* iostat.c: block I/O counters into runc's blkio entries ({major, minor, op, value}).
 * v1: "MAJ:MIN Op N" lines appended to `entries` (the device-less "Total" line is
 * skipped); returns how many. v2: io.stat's rbytes/wbytes/rios/wios into `blkio`'s
 * ioServiceBytesRecursive and ioServicedRecursive arrays (made when missing). */
size_t hull_cg_parse_blkio_v1(const char *text, json_t *entries);
void hull_cg_parse_io_stat(const char *text, json_t *blkio);

/* Groups a hierarchy can hold, from its v1 controller list or v2 cgroup.controllers. */
unsigned hull_cg_groups_of_controllers(const char *list, char sep);
/* layout.c: h's line of a /proc/<pid>/cgroup text, as a path below h's mount. */
char *hull_cg_proc_path(const char *proc_cgroup, const struct hull_cg_hier *h);

/* From resources.c: cgroup v1 shares → v2 weight as crun/runc do. */
uint64_t hull_cg_shares_to_weight(uint64_t shares);

#endif
