/* Unit tests for src/runtime/cgroup: the linux.resources parser (good and bad input,
 * error messages naming the field) and real cgroup operations on the host (run as
 * root). Every cgroup a test makes carries the test's pid in its name and is removed
 * by the test. CMOCKA_MESSAGE_OUTPUT=TAP gives TAP output. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/resources.h"

/* ---- helpers ---------------------------------------------------------------------- */

static struct hull_cgroup_resources *parse_ok(const char *json)
{
    json_error_t jerr;
    json_t *j = json_loads(json, JSON_ALLOW_NUL, &jerr);
    struct hull_cgroup_resources *r = NULL;
    hull_error err = {0};

    assert_non_null(j);
    if (hull_cgroup_resources_parse(j, &r, &err) < 0)
        fail_msg("parse failed: %s", err.msg);
    json_decref(j);
    hull_error_clear(&err);
    return r;
}

/* Parse must fail and the message must contain `want`. */
static void parse_bad(const char *json, const char *want)
{
    json_error_t jerr;
    json_t *j = json_loads(json, JSON_ALLOW_NUL, &jerr);
    struct hull_cgroup_resources *r = NULL;
    hull_error err = {0};

    assert_non_null(j);
    if (hull_cgroup_resources_parse(j, &r, &err) == 0)
        fail_msg("parse of %s unexpectedly succeeded", json);
    assert_null(r);
    assert_non_null(err.msg);
    if (strstr(err.msg, want) == NULL)
        fail_msg("error \"%s\" does not contain \"%s\"", err.msg, want);
    json_decref(j);
    hull_error_clear(&err);
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "re");
    size_t n;
    if (f == NULL)
        return NULL;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    return buf;
}

static const char *slurpf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *slurpf(const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return slurp(path);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static char id_buf[64];
static const char *test_id(const char *tag)
{
    snprintf(id_buf, sizeof(id_buf), "hulltest-%d-%s", (int)getpid(), tag);
    return id_buf;
}

static void check(int r, hull_error *err)
{
    if (r < 0)
        fail_msg("%s", err->msg ? err->msg : "(no message)");
}

/* A child that sleeps until killed; *wfd is the end to close to make it exit. */
static pid_t spawn_sleeper(int *wfd)
{
    int p[2];
    pid_t pid;
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        close(p[1]);
        while (read(p[0], &c, 1) > 0)
            ;
        _exit(0);
    }
    close(p[0]);
    *wfd = p[1];
    return pid;
}

static struct hull_cgroup_resources *resources_from(const char *json)
{
    return parse_ok(json);
}

/* ---- parser ----------------------------------------------------------------------- */

static void test_parse_empty(void **state)
{
    struct hull_cgroup_resources *r = NULL;
    hull_error err = {0};
    assert_int_equal(hull_cgroup_resources_parse(NULL, &r, &err), 0);
    assert_non_null(r);
    assert_int_equal(r->requested, 0);
    hull_cgroup_resources_free(r);
    r = parse_ok("{}");
    assert_int_equal(r->requested, 0);
    hull_cgroup_resources_free(r);
}

static void test_parse_full(void **state)
{
    struct hull_cgroup_resources *r = parse_ok(
        "{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728,"
        "\"kernelTCP\":-1,\"swappiness\":10,\"disableOOMKiller\":true,\"useHierarchy\":true,"
        "\"checkBeforeUpdate\":false,\"unknownKey\":\"ignored\"},"
        "\"cpu\":{\"shares\":512,\"quota\":50000,\"burst\":1000,\"period\":100000,"
        "\"realtimeRuntime\":-1,\"realtimePeriod\":1000000,\"cpus\":\"0-1,3\",\"mems\":\"0\","
        "\"idle\":1},"
        "\"pids\":{\"limit\":-1},"
        "\"blockIO\":{\"weight\":500,\"leafWeight\":300,"
        "\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":100}],"
        "\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}],"
        "\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,\"rate\":100}]},"
        "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}],"
        "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
        "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"},"
        "{\"allow\":true,\"type\":\"b\",\"major\":-1,\"access\":\"m\"}],"
        "\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"eth0\",\"priority\":5}]},"
        "\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3,\"hcaObjects\":10000}},"
        "\"unified\":{\"memory.high\":\"50000000\",\"io.weight\":\"default 100\"},"
        "\"futureField\":{\"x\":1}}");

    assert_true(r->memory.limit.set);
    assert_int_equal(r->memory.limit.v, 67108864);
    assert_int_equal(r->memory.swap.v, 134217728);
    assert_int_equal(r->memory.kernel_tcp.v, -1);
    assert_int_equal(r->memory.swappiness.v, 10);
    assert_true(r->memory.disable_oom_killer.v);
    assert_true(r->memory.check_before_update.set);
    assert_false(r->memory.check_before_update.v);
    assert_int_equal(r->cpu.shares.v, 512);
    assert_int_equal(r->cpu.quota.v, 50000);
    assert_int_equal(r->cpu.period.v, 100000);
    assert_int_equal(r->cpu.realtime_runtime.v, -1);
    assert_string_equal(r->cpu.cpus, "0-1,3");
    assert_int_equal(r->cpu.idle.v, 1);
    assert_int_equal(r->pids_limit.v, -1);
    assert_int_equal(r->blkio.weight.v, 500);
    assert_int_equal(r->blkio.n_weight_device, 1);
    assert_int_equal(r->blkio.n_throttle[HULL_THR_READ_BPS], 1);
    assert_int_equal(r->blkio.throttle[HULL_THR_READ_BPS][0].rate, 1048576);
    assert_int_equal(r->blkio.n_throttle[HULL_THR_WRITE_IOPS], 1);
    assert_int_equal(r->n_hugepages, 1);
    assert_string_equal(r->hugepages[0].page_size, "2MB");
    assert_int_equal(r->n_devices, 3);
    assert_false(r->devices[0].allow);
    assert_int_equal(r->devices[0].type, 'a');
    assert_int_equal(r->devices[0].major, -1);
    assert_int_equal(r->devices[1].type, 'c');
    assert_int_equal(r->devices[1].access, HULL_DEV_READ | HULL_DEV_WRITE);
    assert_int_equal(r->devices[2].access, HULL_DEV_MKNOD);
    assert_int_equal(r->devices[2].minor, -1);
    assert_int_equal(r->network.class_id.v, 1048577);
    assert_string_equal(r->network.priorities[0].name, "eth0");
    assert_int_equal(r->n_rdma, 1);
    assert_int_equal(r->rdma[0].hca_objects.v, 10000);
    assert_int_equal(r->n_unified, 2);
    assert_int_equal(r->requested, HULL_CG_MEMORY | HULL_CG_CPU | HULL_CG_CPUSET | HULL_CG_PIDS |
                                       HULL_CG_BLKIO | HULL_CG_HUGETLB | HULL_CG_DEVICES |
                                       HULL_CG_NET_CLS | HULL_CG_NET_PRIO | HULL_CG_RDMA |
                                       HULL_CG_UNIFIED);
    hull_cgroup_resources_free(r);
}

static void test_parse_zero_is_unset(void **state)
{
    /* runc semantics: zeroes from engines that always fill the struct change nothing */
    struct hull_cgroup_resources *r = parse_ok(
        "{\"memory\":{\"limit\":0,\"swap\":0},\"cpu\":{\"shares\":0,\"quota\":0,\"cpus\":\"\"},"
        "\"pids\":{\"limit\":0},\"blockIO\":{\"weight\":0},\"memory2\":null,"
        "\"hugepageLimits\":null}");
    assert_int_equal(r->requested, 0);
    assert_null(r->cpu.cpus);
    hull_cgroup_resources_free(r);
}

static void test_parse_errors(void **state)
{
    static const char *const cases[][2] = {
        {"[]", "linux.resources: expected an object"},
        {"{\"memory\":5}", "linux.resources.memory: expected an object"},
        {"{\"memory\":{\"limit\":\"1g\"}}", "linux.resources.memory.limit: expected an integer"},
        {"{\"memory\":{\"limit\":1.5}}", "linux.resources.memory.limit: expected an integer"},
        {"{\"memory\":{\"limit\":-2}}",
         "linux.resources.memory.limit: value -2 is invalid (use -1 for unlimited)"},
        {"{\"memory\":{\"limit\":100,\"swap\":50}}",
         "linux.resources.memory.swap: value 50 is below memory.limit 100"},
        {"{\"memory\":{\"swappiness\":101}}",
         "linux.resources.memory.swappiness: value 101 is above the maximum 100"},
        {"{\"memory\":{\"disableOOMKiller\":1}}",
         "linux.resources.memory.disableOOMKiller: expected a boolean"},
        {"{\"cpu\":{\"shares\":1}}", "linux.resources.cpu.shares: value 1 is below the minimum 2"},
        {"{\"cpu\":{\"shares\":262145}}", "linux.resources.cpu.shares: value 262145 is above"},
        {"{\"cpu\":{\"period\":999}}",
         "linux.resources.cpu.period: value 999 is below the minimum"},
        {"{\"cpu\":{\"quota\":-5}}", "linux.resources.cpu.quota: value -5 is invalid"},
        {"{\"cpu\":{\"quota\":10}}", "linux.resources.cpu.quota: value 10 is below the minimum"},
        {"{\"cpu\":{\"idle\":2}}", "linux.resources.cpu.idle: value 2 is above the maximum 1"},
        {"{\"cpu\":{\"cpus\":\"0-\"}}", "linux.resources.cpu.cpus: invalid list \"0-\""},
        {"{\"cpu\":{\"cpus\":\"3-1\"}}", "linux.resources.cpu.cpus: invalid range"},
        {"{\"cpu\":{\"mems\":\"0\\n1\"}}", "linux.resources.cpu.mems: contains a newline"},
        {"{\"cpu\":{\"cpus\":7}}", "linux.resources.cpu.cpus: expected a string"},
        {"{\"pids\":{\"limit\":-3}}", "linux.resources.pids.limit: value -3 is invalid"},
        {"{\"pids\":{\"limit\":true}}", "linux.resources.pids.limit: expected an integer"},
        {"{\"blockIO\":{\"weight\":5}}",
         "linux.resources.blockIO.weight: value 5 is below the minimum 10"},
        {"{\"blockIO\":{\"weightDevice\":[{\"minor\":0,\"weight\":10}]}}",
         "linux.resources.blockIO.weightDevice[0].major: is required"},
        {"{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":-1}]}}",
         "linux.resources.blockIO.throttleReadBpsDevice[0].rate: expected a non-negative"},
        {"{\"blockIO\":{\"throttleWriteBpsDevice\":{}}}",
         "linux.resources.blockIO.throttleWriteBpsDevice: expected an array"},
        {"{\"hugepageLimits\":[{\"pageSize\":\"2XB\",\"limit\":1}]}",
         "linux.resources.hugepageLimits[0].pageSize: invalid page size \"2XB\""},
        {"{\"hugepageLimits\":[{\"pageSize\":\"2MB\"}]}",
         "linux.resources.hugepageLimits[0]: limit is required"},
        {"{\"devices\":[{\"allow\":true},{\"allow\":true},{\"allow\":false,\"access\":\"rwx\"}]}",
         "linux.resources.devices[2].access: invalid character 'x'"},
        {"{\"devices\":[{\"access\":\"r\"}]}", "linux.resources.devices[0]: allow is required"},
        {"{\"devices\":[{\"allow\":true,\"type\":\"p\"}]}",
         "linux.resources.devices[0].type: invalid type \"p\""},
        {"{\"devices\":[{\"allow\":true,\"major\":-7}]}",
         "linux.resources.devices[0].major: value -7 is invalid"},
        {"{\"devices\":[{\"allow\":true,\"access\":\"\"}]}",
         "linux.resources.devices[0].access: must not be empty"},
        {"{\"devices\":{}}", "linux.resources.devices: expected an array"},
        {"{\"network\":{\"classID\":-1}}", "linux.resources.network.classID: expected a non-neg"},
        {"{\"network\":{\"priorities\":[{\"name\":\"a b\",\"priority\":1}]}}",
         "linux.resources.network.priorities[0].name: invalid name"},
        {"{\"rdma\":{\"mlx\":{\"hcaHandles\":\"x\"}}}",
         "linux.resources.rdma.mlx.hcaHandles: expected an integer"},
        {"{\"unified\":{\"../x\":\"1\"}}",
         "linux.resources.unified: key \"../x\" is not a cgroup file name"},
        {"{\"unified\":{\"..\":\"1\"}}", "linux.resources.unified: key \"..\" is not a cgroup"},
        {"{\"unified\":{\"a/b\":\"1\"}}", "linux.resources.unified: key \"a/b\" is not a cgroup"},
        {"{\"unified\":{\"memory.max\":\"1\\nmax\"}}",
         "linux.resources.unified.memory.max: contains a newline"},
        {"{\"unified\":{\"memory.max\":5}}",
         "linux.resources.unified.memory.max: expected a string"},
        {"{\"unified\":{\"pids.max\":\"1\\u00002\"}}",
         "linux.resources.unified.pids.max: contains a NUL byte"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        parse_bad(cases[i][0], cases[i][1]);
}

static void test_shares_to_weight(void **state)
{
    assert_int_equal(hull_cg_shares_to_weight(0), 0);
    assert_int_equal(hull_cg_shares_to_weight(2), 1);
    assert_int_equal(hull_cg_shares_to_weight(1024), 100);
    assert_int_equal(hull_cg_shares_to_weight(262144), 10000);
    assert_true(hull_cg_shares_to_weight(512) < 100);
    assert_true(hull_cg_shares_to_weight(4096) > 100);
}

/* ---- real cgroups ----------------------------------------------------------------- */

/* The host tests touch /sys/fs/cgroup: root only, skipped otherwise. */
#define REQUIRE_ROOT()                                                                             \
    do {                                                                                           \
        if (geteuid() != 0)                                                                        \
            skip();                                                                                \
    } while (0)

static void test_mode_and_paths(void **state)
{
    struct hull_cgroup *cg = NULL;
    hull_error err = {0};

    REQUIRE_ROOT();

    /* The CI host is hybrid; a different host still exercises the rest. */
    if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0 &&
        access("/sys/fs/cgroup/memory", F_OK) == 0)
        assert_int_equal(hull_cgroup_mode(), HULL_CGROUP_HYBRID);

    assert_int_equal(hull_cgroup_create("x", "/a/../../b", false, &cg, &err), -1);
    assert_non_null(strstr(err.msg, "linux.cgroupsPath: \"/a/../../b\" escapes the cgroup root"));
    hull_error_clear(&err);
    assert_int_equal(hull_cgroup_create("x", "/..", false, &cg, &err), -1);
    hull_error_clear(&err);
    assert_int_equal(hull_cgroup_create("x", "/", false, &cg, &err), -1);
    assert_non_null(strstr(err.msg, "is the cgroup root"));
    hull_error_clear(&err);
    assert_int_equal(hull_cgroup_create("../x", NULL, false, &cg, &err), -1);
    hull_error_clear(&err);

    assert_int_equal(hull_cgroup_create("x", "system.slice:hull:x", true, &cg, &err), -1);
    assert_string_equal(err.msg, "--systemd-cgroup: systemd is not running on this host "
                                 "(no /run/systemd/system)");
    hull_error_clear(&err);
    assert_int_equal(hull_cgroup_create("x", "/bad/path", true, &cg, &err), -1);
    assert_non_null(strstr(err.msg, "slice:prefix:name"));
    hull_error_clear(&err);
}

/* Create at the default path, apply limits, read them back, destroy. */
static void test_create_apply_destroy(void **state)
{
    const char *id = test_id("apply");
    struct hull_cgroup *cg = NULL;
    struct hull_cgroup_resources *r;
    hull_error err = {0};
    char dir[256];
    bool hull_existed = exists("/sys/fs/cgroup/pids/hull");

    REQUIRE_ROOT();

    check(hull_cgroup_create(id, NULL, false, &cg, &err), &err);
    snprintf(dir, sizeof(dir), "/hull/%s", id);
    assert_string_equal(hull_cgroup_path(cg), dir);
    snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory/hull/%s", id);
    assert_true(exists(dir));
    snprintf(dir, sizeof(dir), "/sys/fs/cgroup/unified/hull/%s", id);
    assert_true(exists(dir));
    /* v1 cpuset: copied from the parent so tasks can join */
    assert_string_equal(slurpf("/sys/fs/cgroup/cpuset/hull/%s/cpuset.cpus%s", id, ""),
                        slurp("/sys/fs/cgroup/cpuset/cpuset.cpus"));
    assert_string_not_equal(slurpf("/sys/fs/cgroup/cpuset/hull/%s/cpuset.mems%s", id, ""), "");

    r = resources_from(
        "{\"memory\":{\"limit\":67108864,\"swap\":134217728,"
        "\"reservation\":33554432,\"disableOOMKiller\":true},"
        "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0\"},"
        "\"pids\":{\"limit\":42},"
        "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
        "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
        "{\"allow\":true,\"type\":\"a\",\"major\":5,\"minor\":0,\"access\":\"r\"}]}");
    check(hull_cgroup_apply(cg, r, &err), &err);
    hull_cgroup_resources_free(r);
#define CG(ctl, file) slurpf("/sys/fs/cgroup/" ctl "/hull/%s/" file "%s", id, "")
    assert_string_equal(CG("memory", "memory.limit_in_bytes"), "67108864");
    assert_string_equal(CG("memory", "memory.memsw.limit_in_bytes"), "134217728");
    assert_string_equal(CG("memory", "memory.soft_limit_in_bytes"), "33554432");
    assert_non_null(strstr(CG("memory", "memory.oom_control"), "oom_kill_disable 1"));
    assert_string_equal(CG("cpu", "cpu.shares"), "512");
    assert_string_equal(CG("cpu", "cpu.cfs_quota_us"), "50000");
    assert_string_equal(CG("cpu", "cpu.cfs_period_us"), "100000");
    assert_string_equal(CG("cpuset", "cpuset.cpus"), "0");
    assert_string_equal(CG("pids", "pids.max"), "42");
    /* the partial 'a' rule became b and c rules, not "allow everything" */
    assert_string_equal(CG("devices", "devices.list"), "c 1:3 rwm\nb 5:0 r\nc 5:0 r");

    /* lower both (limit first), then raise both (memsw first): no EINVAL either way */
    r = resources_from("{\"memory\":{\"limit\":33554432,\"swap\":50331648}}");
    check(hull_cgroup_apply(cg, r, &err), &err);
    hull_cgroup_resources_free(r);
    assert_string_equal(CG("memory", "memory.limit_in_bytes"), "33554432");
    assert_string_equal(CG("memory", "memory.memsw.limit_in_bytes"), "50331648");
    r = resources_from("{\"memory\":{\"limit\":268435456,\"swap\":536870912},"
                       "\"pids\":{\"limit\":-1}}");
    check(hull_cgroup_apply(cg, r, &err), &err);
    hull_cgroup_resources_free(r);
    assert_string_equal(CG("memory", "memory.limit_in_bytes"), "268435456");
    assert_string_equal(CG("memory", "memory.memsw.limit_in_bytes"), "536870912");
    assert_string_equal(CG("pids", "pids.max"), "max");
    r = resources_from("{\"memory\":{\"limit\":-1}}");
    check(hull_cgroup_apply(cg, r, &err), &err);
    hull_cgroup_resources_free(r);
    assert_string_equal(CG("memory", "memory.memsw.limit_in_bytes"), "9223372036854771712");

    /* a limit for a controller this host lacks is refused up front */
    r = resources_from("{\"network\":{\"classID\":5}}");
    if (!exists("/sys/fs/cgroup/net_cls")) {
        assert_int_equal(hull_cgroup_apply(cg, r, &err), -1);
        assert_string_equal(err.msg, "linux.resources.network.classID: the net_cls controller "
                                     "is not available on this host");
        hull_error_clear(&err);
    }
    hull_cgroup_resources_free(r);
#undef CG

    check(hull_cgroup_destroy(cg, &err), &err);
    hull_cgroup_free(cg);
    snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory/hull/%s", id);
    assert_false(exists(dir));
    snprintf(dir, sizeof(dir), "/sys/fs/cgroup/unified/hull/%s", id);
    assert_false(exists(dir));
    assert_int_equal(exists("/sys/fs/cgroup/pids/hull"), hull_existed);
}

/* Enter a forked child, freeze/thaw it, list it, kill it, destroy. */
static void test_enter_freeze_kill(void **state)
{
    const char *id = test_id("enter");
    struct hull_cgroup *cg = NULL;
    hull_error err = {0};
    pid_t child, *pids = NULL;
    size_t n = 0;
    int wfd, status;
    char path[256], want[256];
    json_t *stats = NULL;
    int ofd;

    REQUIRE_ROOT();

    check(hull_cgroup_create(id, NULL, false, &cg, &err), &err);
    child = spawn_sleeper(&wfd);
    check(hull_cgroup_enter(cg, child, &err), &err);
    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)child);
    if (hull_cgroup_mode() == HULL_CGROUP_HYBRID) {
        snprintf(want, sizeof(want), ":memory:/hull/%s\n", id);
        assert_non_null(strstr(slurp(path), want));
        snprintf(want, sizeof(want), ":pids:/hull/%s\n", id);
        assert_non_null(strstr(slurp(path), want));
        snprintf(want, sizeof(want), "0::/hull/%s", id);
        assert_non_null(strstr(slurp(path), want));
    }
    /* entering again is a no-op (already there) */
    check(hull_cgroup_enter(cg, child, &err), &err);

    check(hull_cgroup_pids(cg, &pids, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_int_equal(pids[0], child);
    free(pids);

    check(hull_cgroup_stats(cg, &stats, &err), &err);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(stats, "pids"), "current")),
                     1);
    assert_non_null(json_object_get(json_object_get(stats, "memory"), "usage"));
    json_decref(stats);

    ofd = hull_cgroup_oom_fd(cg, &err);
    assert_true(ofd >= 0);
    close(ofd);

    check(hull_cgroup_freeze(cg, true, &err), &err);
    assert_true(hull_cgroup_is_frozen(cg));
    check(hull_cgroup_freeze(cg, false, &err), &err);
    assert_false(hull_cgroup_is_frozen(cg));

    /* destroy while the task lives: bounded retry, then a clear error */
    assert_int_equal(hull_cgroup_destroy(cg, &err), -1);
    assert_non_null(strstr(err.msg, "rmdir"));
    hull_error_clear(&err);

    check(hull_cgroup_kill_all(cg, SIGKILL, &err), &err);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(wfd);
    check(hull_cgroup_destroy(cg, &err), &err);
    hull_cgroup_free(cg);
    snprintf(path, sizeof(path), "/sys/fs/cgroup/freezer/hull/%s", id);
    assert_false(exists(path));
}

/* kill_all with a catchable signal goes through freeze + signal + thaw. */
static void test_kill_all_term(void **state)
{
    const char *id = test_id("term");
    struct hull_cgroup *cg = NULL;
    hull_error err = {0};
    int wfd, status;
    pid_t child;

    REQUIRE_ROOT();

    check(hull_cgroup_create(id, NULL, false, &cg, &err), &err);
    child = spawn_sleeper(&wfd);
    check(hull_cgroup_enter(cg, child, &err), &err);
    check(hull_cgroup_kill_all(cg, SIGTERM, &err), &err);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    assert_false(hull_cgroup_is_frozen(cg));
    close(wfd);
    check(hull_cgroup_destroy(cg, &err), &err);
    hull_cgroup_free(cg);
}

/* Relative cgroupsPath hangs below our own cgroup in each hierarchy. */
static void test_relative_path(void **state)
{
    const char *id = test_id("rel");
    struct hull_cgroup *cg = NULL;
    hull_error err = {0};
    char *self = NULL, path[512];
    json_t *j;
    const char *mem = NULL;

    REQUIRE_ROOT();

    check(hull_cgroup_create(id, id, false, &cg, &err), &err);
    assert_int_equal(hull_read_file("/proc/self/cgroup", 65536, &self, NULL, &err), 0);
    j = hull_cgroup_to_json(cg);
    for (size_t i = 0; i < json_array_size(json_object_get(j, "hierarchies")); i++) {
        json_t *h = json_array_get(json_object_get(j, "hierarchies"), i);
        if (strcmp(json_string_value(json_object_get(h, "controllers")), "memory") == 0)
            mem = json_string_value(json_object_get(h, "dir"));
    }
    if (mem) {
        char *line = strstr(self, ":memory:");
        assert_non_null(line);
        line += strlen(":memory:");
        line[strcspn(line, "\n")] = '\0';
        snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/%s", strcmp(line, "/") ? line : "",
                 id);
        assert_string_equal(mem, path);
        assert_true(exists(path));
    }
    json_decref(j);
    free(self);
    check(hull_cgroup_destroy(cg, &err), &err);
    hull_cgroup_free(cg);
    if (mem)
        assert_false(exists(path));
}

/* A parent that existed before stays; what we made goes. Also the state round trip. */
static void test_preexisting_parent_and_json(void **state)
{
    const char *id = test_id("pre");
    struct hull_cgroup *cg = NULL, *back = NULL;
    hull_error err = {0};
    char parent[256], leaf[320], cgpath[256];
    json_t *j, *bad;
    char *dump;

    REQUIRE_ROOT();

    snprintf(parent, sizeof(parent), "/sys/fs/cgroup/pids/%s", id);
    assert_int_equal(mkdir(parent, 0755), 0);
    snprintf(cgpath, sizeof(cgpath), "/%s/ctr", id);
    check(hull_cgroup_create(id, cgpath, false, &cg, &err), &err);

    j = hull_cgroup_to_json(cg);
    dump = json_dumps(j, JSON_COMPACT);
    assert_non_null(strstr(dump, "\"mode\":\"hybrid\"") ? dump : "v1/v2 host");
    hull_cgroup_free(cg);
    check(hull_cgroup_from_json(j, &back, &err), &err);
    assert_string_equal(hull_cgroup_path(back), cgpath);

    /* a tampered state file cannot point destroy() elsewhere */
    bad = json_deep_copy(j);
    json_object_set_new(json_array_get(json_object_get(bad, "hierarchies"), 0), "dir",
                        json_string("/sys/fs/cgroup/memory/../../../etc"));
    assert_int_equal(hull_cgroup_from_json(bad, &cg, &err), -1);
    hull_error_clear(&err);
    json_decref(bad);
    bad = json_deep_copy(j);
    json_array_append_new(
        json_object_get(json_array_get(json_object_get(bad, "hierarchies"), 0), "created"),
        json_string("/sys/fs/cgroup/other"));
    assert_int_equal(hull_cgroup_from_json(bad, &cg, &err), -1);
    hull_error_clear(&err);
    json_decref(bad);
    json_decref(j);
    free(dump);

    check(hull_cgroup_destroy(back, &err), &err);
    hull_cgroup_free(back);
    snprintf(leaf, sizeof(leaf), "%s/ctr", parent);
    assert_false(exists(leaf));
    assert_true(exists(parent)); /* not ours: kept */
    snprintf(leaf, sizeof(leaf), "/sys/fs/cgroup/memory/%s", id);
    assert_false(exists(leaf)); /* ours: removed */
    assert_int_equal(rmdir(parent), 0);
}

/* Fork a child into cg that opens /dev/null r, /dev/null w, and (for the first program)
 * /dev/zero rw or (second program) /dev/null rw; compare "y"/"n" results with want. */
static void probe_devices(struct hull_cgroup *cg, const char *want)
{
    hull_error err = {0};
    int p[2], status;
    pid_t probe;
    static int round;

    round++;
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    probe = fork();
    if (probe == 0) {
        char c, res[3];
        close(p[1]);
        (void)!read(p[0], &c, 1); /* wait until entered */
        res[0] = open("/dev/null", O_RDONLY) >= 0 ? 'y' : 'n';
        res[1] = open("/dev/null", O_WRONLY) >= 0 ? 'y' : 'n';
        if (round == 1)
            res[2] = open("/dev/zero", O_RDWR) >= 0 ? 'y' : 'n';
        else
            res[2] = open("/dev/null", O_RDWR) >= 0 ? 'n' : 'y'; /* refused → 'y' */
        _exit(memcmp(res, want, 3) == 0 ? 0 : 1);
    }
    close(p[0]);
    check(hull_cgroup_enter(cg, probe, &err), &err);
    close(p[1]);
    assert_int_equal(waitpid(probe, &status, 0), probe);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* The v2 backend on the cgroup2 mount (no controllers needed): create, enter, freeze,
 * the BPF device filter, cgroup.kill, destroy. */
static void test_v2_backend(void **state)
{
    const char *id = test_id("v2");
    struct hull_cgroup *cg = NULL;
    struct hull_cgroup_resources *r;
    hull_error err = {0};
    int wfd, status;
    pid_t child;
    char dir[256];
    const char *mnt = access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0
                          ? "/sys/fs/cgroup/unified"
                          : "/sys/fs/cgroup";

    REQUIRE_ROOT();

    if (access("/sys/fs/cgroup/cgroup.procs", F_OK) != 0 &&
        access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) != 0)
        skip();
    check(hull_cgroup_create_at(mnt, id, NULL, &cg, &err), &err);
    assert_true(hull_cgroup_clone_fd(cg) >= 0);
    snprintf(dir, sizeof(dir), "%s/hull/%s", mnt, id);
    assert_true(exists(dir));

    /* deny everything, then allow /dev/null read-only and /dev/zero fully */
    r = resources_from("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                       "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"r\"},"
                       "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5}]}");
    check(hull_cgroup_apply(cg, r, &err), &err);
    check(hull_cgroup_apply(cg, r, &err), &err); /* update replaces the program */
    hull_cgroup_resources_free(r);

    probe_devices(cg, "yny");

    /* allow all, then deny write to /dev/null: an O_RDWR open must be refused too */
    r = resources_from(
        "{\"devices\":[{\"allow\":true,\"access\":\"rwm\"},"
        "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"w\"}]}");
    check(hull_cgroup_apply(cg, r, &err), &err);
    hull_cgroup_resources_free(r);
    probe_devices(cg, "yny");

    child = spawn_sleeper(&wfd);
    check(hull_cgroup_enter(cg, child, &err), &err);
    check(hull_cgroup_freeze(cg, true, &err), &err);
    assert_true(hull_cgroup_is_frozen(cg));
    check(hull_cgroup_freeze(cg, false, &err), &err);
    assert_false(hull_cgroup_is_frozen(cg));
    check(hull_cgroup_kill_all(cg, SIGKILL, &err), &err);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(wfd);
    check(hull_cgroup_destroy(cg, &err), &err);
    hull_cgroup_free(cg);
    assert_false(exists(dir));
}

/* Block I/O text as the kernels print it (v1 blkio.throttle.*_recursive with
 * its device-less Total line; v2 io.stat with dbytes/dios, and a line cut short)
 * into runc's entries. v2's io controller cannot be used on a hybrid host while
 * v1 holds blkio, so its format is checked here; v1's is also checked live in
 * tests/integration/engine-ops.bats. */
static void test_blkio_parsers(void **state)
{
    json_t *e = json_array(), *b = json_object(), *x;
    (void)state;

    assert_int_equal(hull_cg_parse_blkio_v1("7:0 Read 4096\n7:0 Write 8388608\n7:0 Total 8392704\n"
                                            "8:16 Read 1\nTotal 8392705\n",
                                            e),
                     4);
    x = json_array_get(e, 1);
    assert_int_equal(json_integer_value(json_object_get(x, "major")), 7);
    assert_int_equal(json_integer_value(json_object_get(x, "minor")), 0);
    assert_string_equal(json_string_value(json_object_get(x, "op")), "Write");
    assert_int_equal(json_integer_value(json_object_get(x, "value")), 8388608);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(e, 3), "minor")), 16);
    assert_int_equal(hull_cg_parse_blkio_v1("Total 0\n", e), 0);
    assert_int_equal(hull_cg_parse_blkio_v1("7:0 Read\n7:0 Write x\n:1 Read 3\n", e), 0);
    assert_int_equal(json_array_size(e), 4);

    hull_cg_parse_io_stat("254:0 rbytes=1048576 wbytes=8388608 rios=3 wios=8 dbytes=0 dios=0\n"
                          "7:1 rbytes=5 wbytes=\n",
                          b);
    x = json_object_get(b, "ioServiceBytesRecursive");
    assert_int_equal(json_array_size(x), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(x, 0), "op")), "Read");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(x, 1), "value")), 8388608);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(x, 2), "minor")), 1);
    x = json_object_get(b, "ioServicedRecursive");
    assert_int_equal(json_array_size(x), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(x, 1), "value")), 8);
    json_decref(e);
    json_decref(b);
}

/* The v1 freezer alone (hull_cgroup_create_at on the freezer mount). */
static void test_v1_freezer(void **state)
{
    const char *id = test_id("frz");
    struct hull_cgroup *cg = NULL;
    hull_error err = {0};
    int wfd, status;
    pid_t child;

    REQUIRE_ROOT();

    if (access("/sys/fs/cgroup/freezer/cgroup.procs", F_OK) != 0)
        skip();
    check(hull_cgroup_create_at("/sys/fs/cgroup/freezer", id, NULL, &cg, &err), &err);
    child = spawn_sleeper(&wfd);
    check(hull_cgroup_enter(cg, child, &err), &err);
    check(hull_cgroup_freeze(cg, true, &err), &err);
    assert_true(hull_cgroup_is_frozen(cg));
    check(hull_cgroup_freeze(cg, false, &err), &err);
    assert_false(hull_cgroup_is_frozen(cg));
    /* no cgroup.kill on v1: SIGKILL goes through freeze + kill + thaw */
    check(hull_cgroup_kill_all(cg, SIGKILL, &err), &err);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    close(wfd);
    check(hull_cgroup_destroy(cg, &err), &err);
    hull_cgroup_free(cg);
}

/* Hugetlb limits go where the hugetlb controller lives (cgroup2 on the CI host). */
static void test_hugetlb(void **state)
{
    const char *id = test_id("huge");
    struct hull_cgroup *cg = NULL;
    struct hull_cgroup_resources *r;
    hull_error err = {0};
    char path[256], before[256];
    const char *root_sub = "/sys/fs/cgroup/unified/cgroup.subtree_control";
    const char *s;

    REQUIRE_ROOT();

    if (access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) != 0 ||
        hull_cgroup_mode() != HULL_CGROUP_HYBRID ||
        (s = slurp("/sys/fs/cgroup/unified/cgroup.controllers")) == NULL ||
        strstr(s, "hugetlb") == NULL)
        skip();
    snprintf(before, sizeof(before), "%s", slurp(root_sub));
    check(hull_cgroup_create(id, NULL, false, &cg, &err), &err);
    r = resources_from("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}]}");
    check(hull_cgroup_apply(cg, r, &err), &err);
    hull_cgroup_resources_free(r);
    snprintf(path, sizeof(path), "/sys/fs/cgroup/unified/hull/%s/hugetlb.2MB.max", id);
    assert_string_equal(slurp(path), "4194304");
    r = resources_from("{\"hugepageLimits\":[{\"pageSize\":\"3MB\",\"limit\":1}]}");
    assert_int_equal(hull_cgroup_apply(cg, r, &err), -1);
    assert_non_null(strstr(err.msg, "linux.resources.hugepageLimits[0].pageSize"));
    hull_error_clear(&err);
    hull_cgroup_resources_free(r);
    check(hull_cgroup_destroy(cg, &err), &err);
    hull_cgroup_free(cg);
    /* leave the host's root as we found it */
    if (strstr(before, "hugetlb") == NULL) {
        int fd = open(root_sub, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            (void)!write(fd, "-hugetlb", 8);
            close(fd);
        }
    }
}

/* Joining a cgroup that already holds tasks is refused; nothing is left behind. */
static void test_busy_existing(void **state)
{
    const char *id = test_id("busy");
    struct hull_cgroup *cg = NULL, *cg2 = NULL;
    hull_error err = {0};
    int wfd, status;
    pid_t child;

    REQUIRE_ROOT();

    check(hull_cgroup_create(id, NULL, false, &cg, &err), &err);
    child = spawn_sleeper(&wfd);
    check(hull_cgroup_enter(cg, child, &err), &err);
    assert_int_equal(hull_cgroup_create(id, NULL, false, &cg2, &err), -1);
    assert_non_null(strstr(err.msg, "already exists and has processes"));
    hull_error_clear(&err);
    check(hull_cgroup_kill_all(cg, SIGKILL, &err), &err);
    waitpid(child, &status, 0);
    close(wfd);
    check(hull_cgroup_destroy(cg, &err), &err);
    hull_cgroup_free(cg);
}

/* If an assertion fired mid-test, remove what it left (our pid is in every name). */
static int sweep(void **state)
{
    char pat[128];
    glob_t g;

    for (int depth = 0; depth < 2; depth++) {
        snprintf(pat, sizeof(pat), "/sys/fs/cgroup/*/%shulltest-%d-*%s", depth == 0 ? "hull/" : "",
                 (int)getpid(), depth == 0 ? "" : "/*");
        if (glob(pat, GLOB_ONLYDIR, NULL, &g) == 0) {
            for (size_t i = g.gl_pathc; i-- > 0;)
                (void)rmdir(g.gl_pathv[i]);
            globfree(&g);
        }
    }
    snprintf(pat, sizeof(pat), "/sys/fs/cgroup/*/hulltest-%d-*", (int)getpid());
    if (glob(pat, GLOB_ONLYDIR, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            (void)rmdir(g.gl_pathv[i]);
        globfree(&g);
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_empty),
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_parse_zero_is_unset),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_shares_to_weight),
        cmocka_unit_test(test_mode_and_paths),
        cmocka_unit_test(test_create_apply_destroy),
        cmocka_unit_test(test_enter_freeze_kill),
        cmocka_unit_test(test_kill_all_term),
        cmocka_unit_test(test_relative_path),
        cmocka_unit_test(test_preexisting_parent_and_json),
        cmocka_unit_test(test_v2_backend),
        cmocka_unit_test(test_v1_freezer),
        cmocka_unit_test(test_hugetlb),
        cmocka_unit_test(test_busy_existing),
        cmocka_unit_test(test_blkio_parsers),
    };
    /* one group, so TAP output has a single plan */
    return cmocka_run_group_tests_name("cgroup", tests, NULL, sweep);
}
