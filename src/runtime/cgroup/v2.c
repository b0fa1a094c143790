/* cgroup v2 backend: the unified hierarchy (pure v2, or the cgroup2 mount of a hybrid
 * host, where it may hold no controller at all and still gives cgroup.freeze,
 * cgroup.kill and cgroup.events).
 *
 * Controllers must be enabled in every ancestor's cgroup.subtree_control before the
 * leaf gets their files. On a pure v2 host all available controllers are enabled at
 * create (as runc/crun do, so stats work); on a hybrid host only the ones a limit needs,
 * lazily in apply, since each write to a shared ancestor is a host-visible change.
 * The leaf's own subtree_control is never written: tasks live in the leaf, and the
 * "no internal processes" rule forbids both at once. */
#include "resources.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../base/util.h"

/* ---- controllers ---------------------------------------------------------------- */

static bool word_in(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; p && *p;) {
        if (strncmp(p, w, n) == 0 && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return true;
        p = strchr(p, ' ');
        p = p ? p + 1 : NULL;
    }
    return false;
}

static char *read_at(int dfd, const char *file)
{
    _cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    char *s = NULL;
    if (fd < 0 || hull_read_fd(fd, 65536, &s, NULL, NULL) < 0)
        return NULL;
    return s;
}

/* Enable the space-separated controllers `want` from the mount root down to the leaf's
 * parent, writing only the ones missing at each level. `best_effort` (create on a pure
 * v2 host) swallows failures: an ancestor we do not own may refuse, and only a limit
 * that needs the controller must fail. */
static int enable_controllers(struct hull_cg_hier *h, const char *want, bool best_effort,
                              hull_error *err)
{
    _cleanup_free_ char *have = NULL, *wcopy = NULL, *rel = NULL;
    _cleanup_close_ int fd = -1;
    char *save = NULL, *next;

    if (hull_cg_read(h, "cgroup.controllers", &have, err) < 0)
        return -1;
    wcopy = xstrdup(want);
    {
        bool all = true;
        char *s2 = NULL;
        _cleanup_free_ char *w2 = xstrdup(want);
        for (char *c = strtok_r(w2, " ", &s2); c; c = strtok_r(NULL, " ", &s2))
            all = all && word_in(have, c);
        if (all)
            return 0;
    }
    fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return best_effort ? 0 : hull_error_set(err, errno, "cgroup %s: open", h->mount);
    rel = xstrdup(h->dir + strlen(h->mount));
    for (char *c = strtok_r(rel, "/", &save); c; c = next) {
        _cleanup_free_ char *sub = read_at(fd, "cgroup.subtree_control");
        _cleanup_free_ char *avail = read_at(fd, "cgroup.controllers");
        char *s2 = NULL;
        int nfd;

        _cleanup_free_ char *w = xstrdup(wcopy);
        for (char *ctl = strtok_r(w, " ", &s2); ctl; ctl = strtok_r(NULL, " ", &s2)) {
            _cleanup_close_ int wfd = -1;
            char buf[64];
            if (word_in(sub, ctl) || !word_in(avail, ctl))
                continue;
            snprintf(buf, sizeof(buf), "+%s", ctl);
            wfd = openat(fd, "cgroup.subtree_control", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
            if ((wfd < 0 || hull_write_all(wfd, buf, strlen(buf)) < 0) && !best_effort)
                return hull_error_set(err, errno, "cgroup %s: enable the %s controller above %s",
                                      h->mount, ctl, h->dir);
        }
        next = strtok_r(NULL, "/", &save);
        if (next == NULL)
            break; /* c is the leaf: never enable in its own subtree_control */
        nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (nfd < 0)
            return best_effort ? 0 : hull_error_set(err, errno, "cgroup %s: open %s", h->dir, c);
        close(fd);
        fd = nfd;
    }
    return 0;
}

static int v2_prepare(struct hull_cgroup *cg, struct hull_cg_hier *h, hull_error *err)
{
    _cleanup_free_ char *path = NULL, *avail = NULL;

    if (cg->mode != HULL_CGROUP_V2)
        return 0;
    path = xasprintf("%s/cgroup.controllers", h->mount);
    if (hull_read_file(path, 4096, &avail, NULL, NULL) < 0)
        return 0;
    avail[strcspn(avail, "\n")] = '\0';
    if (*avail)
        (void)enable_controllers(h, avail, true, NULL);
    return 0;
}

/* ---- BPF device filter ---------------------------------------------------------- */

#define INSN(c, d, s, o, i)                                                                        \
    ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

/* Compile the rules into a BPF_PROG_TYPE_CGROUP_DEVICE program. The spec says a later
 * rule overrides an earlier one, so rules are emitted last-first and the first match
 * returns. An allow rule matches when it grants every requested access bit; a deny rule
 * when it denies any of them (so "deny c 1:3 w" also stops an O_RDWR open). No match:
 * deny. An unconditional rule ends the program (the verifier rejects dead code). */
static struct bpf_insn *devices_program(const struct hull_cgroup_resources *r, size_t *len)
{
    struct bpf_insn *p = xmalloc0((6 + 8 * r->n_devices + 2) * sizeof(*p));
    size_t n = 0;

    /* ctx: u32 access_type = (access << 16) | type; u32 major; u32 minor */
    p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
    p[n++] = INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
    p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
    p[n++] = INSN(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
    p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
    p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
    for (size_t i = r->n_devices; i-- > 0;) {
        const struct hull_cg_device *d = &r->devices[i];
        bool t = d->type != 'a', a = d->access != HULL_DEV_ALL, ma = d->major >= 0,
             mi = d->minor >= 0;
        /* index of the next rule's first instruction; a failed test jumps there */
        size_t next = n + t + 3 * a + ma + mi + 2;
/* a test that fails jumps over the rest of this rule's block */
#define JUMP(code, dst, src, imm)                                                                  \
    do {                                                                                           \
        int16_t off_ = (int16_t)(next - n - 1);                                                    \
        p[n] = INSN(BPF_JMP32 | (code), (dst), (src), off_, (imm));                                \
        n++;                                                                                       \
    } while (0)
        if (t)
            JUMP(BPF_JNE | BPF_K, BPF_REG_2, 0,
                 d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        if (a) {
            p[n++] = INSN(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
            p[n++] = INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t)d->access);
            if (d->allow) /* requested bits not all granted → no match */
                JUMP(BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, 0);
            else /* none of the requested bits denied → no match */
                JUMP(BPF_JEQ | BPF_K, BPF_REG_1, 0, 0);
        }
        if (ma)
            JUMP(BPF_JNE | BPF_K, BPF_REG_4, 0, (int32_t)d->major);
        if (mi)
            JUMP(BPF_JNE | BPF_K, BPF_REG_5, 0, (int32_t)d->minor);
#undef JUMP
        p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, d->allow ? 1 : 0);
        p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        if (!t && !a && !ma && !mi) {
            *len = n;
            return p;
        }
    }
    p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
    p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    *len = n;
    return p;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
    return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* Load the program, attach it with BPF_F_ALLOW_MULTI, then detach the programs that were
 * attached before (an update): attach-then-detach leaves no window without a filter. */
static int v2_devices(struct hull_cg_hier *h, const struct hull_cgroup_resources *r,
                      hull_error *err)
{
    _cleanup_free_ struct bpf_insn *prog = NULL;
    _cleanup_close_ int pfd = -1;
    uint32_t old[64];
    uint32_t n_old = HULL_ARRAY_SIZE(old);
    union bpf_attr a;
    size_t len;

    if (hull_cg_dirfd(h, err) < 0)
        return -1;
    prog = devices_program(r, &len);
    memset(&a, 0, sizeof(a));
    a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    a.insns = (uint64_t)(uintptr_t)prog;
    a.insn_cnt = (uint32_t)len;
    a.license = (uint64_t)(uintptr_t) "Apache-2.0";
    pfd = sys_bpf(BPF_PROG_LOAD, &a);
    if (pfd < 0) {
        /* Load again with the verifier log so the error says why. */
        int e = errno;
        _cleanup_free_ char *log = xmalloc0(65536);
        a.log_level = 1;
        a.log_buf = (uint64_t)(uintptr_t)log;
        a.log_size = 65535;
        (void)sys_bpf(BPF_PROG_LOAD, &a);
        log[strcspn(log, "\n")] = '\0'; /* the first line names the problem */
        return hull_error_set(err, e, "cgroup %s: load the device filter (%zu insns): %s", h->dir,
                              len, log);
    }

    memset(&a, 0, sizeof(a));
    a.query.target_fd = (uint32_t)h->dirfd;
    a.query.attach_type = BPF_CGROUP_DEVICE;
    a.query.prog_ids = (uint64_t)(uintptr_t)old;
    a.query.prog_cnt = n_old;
    n_old = sys_bpf(BPF_PROG_QUERY, &a) == 0 ? a.query.prog_cnt : 0;

    memset(&a, 0, sizeof(a));
    a.target_fd = (uint32_t)h->dirfd;
    a.attach_bpf_fd = (uint32_t)pfd;
    a.attach_type = BPF_CGROUP_DEVICE;
    a.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
        return hull_error_set(err, errno, "cgroup %s: attach the device filter", h->dir);

    for (uint32_t i = 0; i < n_old && i < HULL_ARRAY_SIZE(old); i++) {
        _cleanup_close_ int ofd = -1;
        memset(&a, 0, sizeof(a));
        a.prog_id = old[i];
        if ((ofd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a)) < 0)
            continue;
        memset(&a, 0, sizeof(a));
        a.target_fd = (uint32_t)h->dirfd;
        a.attach_bpf_fd = (uint32_t)ofd;
        a.attach_type = BPF_CGROUP_DEVICE;
        if (sys_bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
            return hull_error_set(err, errno, "cgroup %s: detach the old device filter", h->dir);
    }
    return 0;
}

/* ---- apply ---------------------------------------------------------------------- */

static int write_max(struct hull_cg_hier *h, const char *file, int64_t v, hull_error *err)
{
    if (v < 0)
        return hull_cg_write(h, file, "max", err);
    return hull_cg_writef(h, file, err, "%" PRId64, v);
}

static int v2_memory(struct hull_cg_hier *h, const struct hull_cgroup_resources *r, hull_error *err)
{
    int64_t limit = r->memory.limit.set ? r->memory.limit.v : 0;
    int64_t swap = r->memory.swap.set ? r->memory.swap.v : 0;
    bool has_swap = hull_cg_exists(h, "memory.swap.max");

    /* The spec's swap is memory+swap (v1); v2 limits swap alone: convert as runc's
     * ConvertMemorySwapToCgroupV2Value does. */
    if (swap != 0 && !has_swap)
        return hull_error_msg(err, ENOTSUP,
                              "linux.resources.memory.swap: swap accounting is not enabled on "
                              "this host (no memory.swap.max)");
    if (limit == -1 && swap == 0 && has_swap)
        swap = -1;
    else if (swap > 0) {
        if (limit <= 0)
            return hull_error_msg(err, EINVAL,
                                  "linux.resources.memory.swap: needs memory.limit on cgroup v2");
        swap -= limit;
    }
    if (limit > 0 && r->memory.check_before_update.set && r->memory.check_before_update.v) {
        uint64_t usage;
        if (hull_cg_read_u64(h, "memory.current", &usage, err) < 0)
            return -1;
        if (usage > (uint64_t)limit)
            return hull_error_msg(err, EBUSY,
                                  "linux.resources.memory.limit: %" PRId64
                                  " is below the current usage %" PRIu64,
                                  limit, usage);
    }
    if (swap != 0 && write_max(h, "memory.swap.max", swap, err) < 0)
        return -1;
    if (limit != 0 && write_max(h, "memory.max", limit, err) < 0)
        return -1;
    if (r->memory.reservation.set && r->memory.reservation.v != 0 &&
        write_max(h, "memory.low", r->memory.reservation.v, err) < 0)
        return -1;
    /* kernel, kernelTCP, swappiness, disableOOMKiller, useHierarchy have no v2 file;
     * runc and crun ignore them there too. */
    return 0;
}

static int v2_cpu(struct hull_cg_hier *h, const struct hull_cgroup_resources *r, hull_error *err)
{
    bool quota = r->cpu.quota.set && r->cpu.quota.v != 0;

    if (r->cpu.realtime_runtime.set || r->cpu.realtime_period.set)
        return hull_error_msg(err, ENOTSUP,
                              "linux.resources.cpu.realtime%s: not supported on cgroup v2",
                              r->cpu.realtime_runtime.set ? "Runtime" : "Period");
    if (r->cpu.shares.set && r->cpu.shares.v != 0 &&
        hull_cg_writef(h, "cpu.weight", err, "%" PRIu64,
                       hull_cg_shares_to_weight(r->cpu.shares.v)) < 0)
        return -1;
    /* cpu.max is "$QUOTA $PERIOD"; keep the current quota when only the period moves. */
    if (quota || r->cpu.period.set) {
        char q[32] = "max";
        _cleanup_free_ char *cur = NULL;
        if (quota && r->cpu.quota.v > 0)
            snprintf(q, sizeof(q), "%" PRId64, r->cpu.quota.v);
        else if (!quota && hull_cg_read(h, "cpu.max", &cur, err) == 0)
            snprintf(q, sizeof(q), "%.*s", (int)strcspn(cur, " "), cur);
        else if (!quota)
            return -1;
        if (r->cpu.period.set
                ? hull_cg_writef(h, "cpu.max", err, "%s %" PRIu64, q, r->cpu.period.v) < 0
                : hull_cg_write(h, "cpu.max", q, err) < 0)
            return -1;
    }
    if (r->cpu.burst.set && hull_cg_writef(h, "cpu.max.burst", err, "%" PRIu64, r->cpu.burst.v) < 0)
        return hull_error_prefix(err, "linux.resources.cpu.burst");
    if (r->cpu.idle.set && hull_cg_writef(h, "cpu.idle", err, "%" PRId64, r->cpu.idle.v) < 0)
        return hull_error_prefix(err, "linux.resources.cpu.idle");
    return 0;
}

/* blkio weight [10, 1000] → io.weight [1, 10000] (runc's linear conversion); BFQ's
 * io.bfq.weight takes the v1 range as is. */
static int v2_io(struct hull_cg_hier *h, const struct hull_cgroup_resources *r, hull_error *err)
{
    bool bfq = hull_cg_exists(h, "io.bfq.weight");
    const char *wf = bfq ? "io.bfq.weight" : "io.weight";

    if (r->blkio.weight.set && r->blkio.weight.v) {
        uint64_t w = bfq ? r->blkio.weight.v : 1 + (r->blkio.weight.v - 10) * 9999 / 990;
        if (hull_cg_writef(h, wf, err, bfq ? "%" PRIu64 : "default %" PRIu64, w) < 0)
            return -1;
    }
    for (size_t i = 0; i < r->blkio.n_weight_device; i++) {
        const struct hull_cg_weight_device *d = &r->blkio.weight_device[i];
        uint64_t w = d->weight.v;
        if (!d->weight.set)
            continue;
        if (!bfq)
            w = 1 + (w - 10) * 9999 / 990;
        if (hull_cg_writef(h, wf, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, w) <
            0)
            return -1;
    }
    for (int t = 0; t < HULL_THR_N; t++)
        for (size_t i = 0; i < r->blkio.n_throttle[t]; i++) {
            const struct hull_cg_throttle *d = &r->blkio.throttle[t][i];
            if (hull_cg_writef(h, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d->major,
                               d->minor, hull_cg_throttle_v2_key[t], d->rate) < 0)
                return -1;
        }
    return 0;
}

/* "memory.high" → "memory"; NULL without a dot. */
static char *key_controller(const char *key)
{
    const char *dot = strchr(key, '.');
    return dot ? strndup(key, (size_t)(dot - key)) : NULL;
}

/* `unified` is written verbatim, last, so it can override the typed fields. A key whose
 * prefix names an available controller ("memory.high") gets that controller enabled. */
static int v2_unified(struct hull_cg_hier *h, const struct hull_cgroup_resources *r,
                      hull_error *err)
{
    for (size_t i = 0; i < r->n_unified; i++) {
        const struct hull_cg_kv *kv = &r->unified[i];
        _cleanup_free_ char *ctl = key_controller(kv->key);
        if (ctl && strcmp(ctl, "cgroup") != 0 && !hull_cg_exists(h, kv->key))
            (void)enable_controllers(h, ctl, true, NULL);
        if (!hull_cg_exists(h, kv->key))
            return hull_error_msg(err, ENOENT,
                                  "linux.resources.unified.%s: no such file in cgroup %s (is "
                                  "its controller available?)",
                                  kv->key, h->dir);
        if (hull_cg_write(h, kv->key, kv->value, err) < 0)
            return hull_error_prefix(err, "linux.resources.unified.%s", kv->key);
    }
    return 0;
}

static int v2_apply(struct hull_cgroup *cg, struct hull_cg_hier *h,
                    const struct hull_cgroup_resources *r, unsigned todo, hull_error *err)
{
    static const struct {
        unsigned g;
        const char *ctl;
    } need[] = {{HULL_CG_MEMORY, "memory"}, {HULL_CG_CPU, "cpu"},  {HULL_CG_CPUSET, "cpuset"},
                {HULL_CG_PIDS, "pids"},     {HULL_CG_BLKIO, "io"}, {HULL_CG_HUGETLB, "hugetlb"},
                {HULL_CG_RDMA, "rdma"}};
    _cleanup_free_ char *want = xstrdup("");

    if (hull_cg_dirfd(h, err) < 0)
        return -1;
    for (size_t i = 0; i < HULL_ARRAY_SIZE(need); i++)
        if (todo & need[i].g) {
            char *n = xasprintf("%s%s%s", want, *want ? " " : "", need[i].ctl);
            free(want);
            want = n;
        }
    if (*want && enable_controllers(h, want, false, err) < 0)
        return -1;
    if ((todo & HULL_CG_MEMORY) && v2_memory(h, r, err) < 0)
        return -1;
    if ((todo & HULL_CG_CPU) && v2_cpu(h, r, err) < 0)
        return -1;
    if (todo & HULL_CG_CPUSET) {
        if (r->cpu.cpus && hull_cg_write(h, "cpuset.cpus", r->cpu.cpus, err) < 0)
            return hull_error_prefix(err, "linux.resources.cpu.cpus");
        if (r->cpu.mems && hull_cg_write(h, "cpuset.mems", r->cpu.mems, err) < 0)
            return hull_error_prefix(err, "linux.resources.cpu.mems");
    }
    if ((todo & HULL_CG_PIDS) && write_max(h, "pids.max", r->pids_limit.v, err) < 0)
        return -1;
    if ((todo & HULL_CG_BLKIO) && v2_io(h, r, err) < 0)
        return -1;
    for (size_t i = 0; (todo & HULL_CG_HUGETLB) && i < r->n_hugepages; i++) {
        _cleanup_free_ char *f = xasprintf("hugetlb.%s.max", r->hugepages[i].page_size);
        if (!hull_cg_exists(h, f))
            return hull_error_msg(err, ENOTSUP,
                                  "linux.resources.hugepageLimits[%zu].pageSize: the kernel "
                                  "has no %s huge pages",
                                  i, r->hugepages[i].page_size);
        if (hull_cg_writef(h, f, err, "%" PRIu64, r->hugepages[i].limit) < 0)
            return -1;
    }
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
    if ((todo & HULL_CG_DEVICES) && v2_devices(h, r, err) < 0)
        return hull_error_prefix(err, "linux.resources.devices");
    if ((todo & HULL_CG_UNIFIED) && v2_unified(h, r, err) < 0)
        return -1;
    return 0;
}

/* ---- freeze, kill --------------------------------------------------------------- */

static bool v2_can_freeze(struct hull_cg_hier *h)
{
    return hull_cg_exists(h, "cgroup.freeze");
}

static bool events_say(struct hull_cg_hier *h, const char *key, const char *val)
{
    _cleanup_free_ char *s = NULL;
    size_t kl = strlen(key);
    if (hull_cg_read(h, "cgroup.events", &s, NULL) < 0)
        return false;
    for (char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, key, kl) == 0 && l[kl] == ' ')
            return strncmp(l + kl + 1, val, strlen(val)) == 0;
    return false;
}

static bool v2_is_frozen(struct hull_cg_hier *h)
{
    return events_say(h, "frozen", "1");
}

/* Write cgroup.freeze, then wait (bounded, ~2 s) for cgroup.events to report the new
 * state: freezing is asynchronous and callers (pause, kill --all) need it done. */
static int v2_freeze(struct hull_cg_hier *h, bool frozen, hull_error *err)
{
    _cleanup_close_ int efd = -1;

    if (hull_cg_write(h, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
        return -1;
    efd = openat(h->dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    for (int i = 0; i < 200; i++) {
        struct pollfd pfd = {.fd = efd, .events = POLLPRI};
        char c;
        if (events_say(h, "frozen", frozen ? "1" : "0"))
            return 0;
        if (efd < 0 || pread(efd, &c, 1, 0) < 0 || poll(&pfd, 1, 10) < 0)
            usleep(10000);
    }
    return hull_error_msg(err, ETIMEDOUT, "cgroup %s: %s did not complete", h->dir,
                          frozen ? "freeze" : "thaw");
}

static int v2_kill(struct hull_cg_hier *h, hull_error *err)
{
    if (!hull_cg_exists(h, "cgroup.kill"))
        return 1;
    return hull_cg_write(h, "cgroup.kill", "1", err);
}

/* ---- stats, OOM ----------------------------------------------------------------- */

static json_t *obj_child(json_t *o, const char *key, bool *fresh)
{
    json_t *c = json_object_get(o, key);
    *fresh = c == NULL;
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

/* Fills only sections v1 did not (hybrid). */
static int v2_stats(struct hull_cg_hier *h, json_t *out, hull_error *err)
{
    bool fresh;
    json_t *cpu = obj_child(out, "cpu", &fresh);

    if (fresh) {
        json_t *raw = json_object(), *u = json_object(), *t = json_object();
        hull_cg_read_kv(h, "cpu.stat", raw);
        json_object_set_new(
            u, "total",
            json_integer(json_integer_value(json_object_get(raw, "usage_usec")) * 1000));
        json_object_set_new(
            u, "user", json_integer(json_integer_value(json_object_get(raw, "user_usec")) * 1000));
        json_object_set_new(
            u, "kernel",
            json_integer(json_integer_value(json_object_get(raw, "system_usec")) * 1000));
        json_object_set(t, "periods", json_object_get(raw, "nr_periods"));
        json_object_set(t, "throttledPeriods", json_object_get(raw, "nr_throttled"));
        json_object_set_new(
            t, "throttledTime",
            json_integer(json_integer_value(json_object_get(raw, "throttled_usec")) * 1000));
        json_object_set_new(cpu, "usage", u);
        json_object_set_new(cpu, "throttling", t);
        json_decref(raw);
    }
    if (hull_cg_exists(h, "memory.current")) {
        json_t *m = obj_child(out, "memory", &fresh), *u, *s, *raw;
        if (fresh) {
            json_object_set_new(m, "usage", u = json_object());
            json_object_set_new(m, "swap", s = json_object());
            json_object_set_new(m, "raw", raw = json_object());
            put_u64(h, u, "usage", "memory.current");
            put_u64(h, u, "max", "memory.peak");
            put_u64(h, u, "limit", "memory.max");
            put_u64(h, s, "usage", "memory.swap.current");
            put_u64(h, s, "limit", "memory.swap.max");
            hull_cg_read_kv(h, "memory.stat", raw);
            json_object_set(m, "cache", json_object_get(raw, "file"));
        }
    }
    if (hull_cg_exists(h, "pids.current")) {
        json_t *p = obj_child(out, "pids", &fresh);
        if (fresh) {
            put_u64(h, p, "current", "pids.current");
            put_u64(h, p, "limit", "pids.max");
        }
    }
    if (hull_cg_exists(h, "io.stat")) {
        json_t *b = obj_child(out, "blkio", &fresh);
        _cleanup_free_ char *s = NULL;
        if (fresh && hull_cg_read(h, "io.stat", &s, NULL) == 0)
            hull_cg_parse_io_stat(s, b);
    }
    return 0;
}

/* memory.events changes on every OOM event: an inotify watch makes it pollable. */
static int v2_oom_fd(struct hull_cg_hier *h, hull_error *err)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *path = NULL;

    if (!hull_cg_exists(h, "memory.events"))
        return -1;
    path = xasprintf("%s/memory.events", h->dir);
    fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0)
        return hull_error_set(err, errno, "cgroup %s: inotify_init1", h->dir);
    if (inotify_add_watch(fd, path, IN_MODIFY) < 0)
        return hull_error_set(err, errno, "cgroup %s: watch memory.events", h->dir);
    return steal_fd(&fd);
}

const struct hull_cg_ops hull_cg_v2_ops = {
    .name = "v2",
    .prepare = v2_prepare,
    .apply = v2_apply,
    .can_freeze = v2_can_freeze,
    .freeze = v2_freeze,
    .is_frozen = v2_is_frozen,
    .kill = v2_kill,
    .stats = v2_stats,
    .oom_fd = v2_oom_fd,
};
