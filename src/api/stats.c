/* GET /containers/{id}/stats and /top: what the engine's `hull stats` and
 * `hull top` see, in docker's shapes.
 *
 * The counters come from hull_engine_stats (the runtime's cgroup code, runc's
 * stats shape); here they are only renamed into docker's StatsJSON. The one
 * thing docker's CPU percentage needs that is not the container's is the
 * host's CPU time (/proc/stat), the denominator of
 *   (cpu delta / system delta) * online cpus * 100
 * that the docker CLI computes from cpu_stats and precpu_stats. */
#include "internal.h"
#include "../base/util.h"
#include "../base/json.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <spawn.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STATS_INTERVAL_MS 1000 /* dockerd's collector interval */

/* Host CPU time in ns, as dockerd's getSystemCPUUsage: the first seven
 * fields of /proc/stat's "cpu" line (user .. softirq). 0 if unreadable. */
static uint64_t system_cpu_ns(void)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/stat", "re");
    unsigned long long v[7] = {0};
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t sum = 0;

    if (f == NULL || hz <= 0 ||
        fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6]) != 7)
        return 0;
    for (size_t i = 0; i < HULL_ARRAY_SIZE(v); i++)
        sum += v[i];
    return sum * (1000000000ULL / (uint64_t)hz);
}

/* The integer at a dotted path ("cpu.usage.total") of a runc stats object;
 * 0 if absent. */
static json_int_t num(json_t *o, const char *path)
{
    char key[32];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(key))
            return 0;
        memcpy(key, path, n);
        key[n] = '\0';
        o = json_object_get(o, key);
        path += n + (path[n] == '.');
    }
    return json_integer_value(o);
}

/* runc's cpu object → docker's cpu_stats (system usage taken now). */
static json_t *docker_cpu(json_t *s)
{
    json_t *usage = json_object_get(json_object_get(s, "cpu"), "usage");
    long online = sysconf(_SC_NPROCESSORS_ONLN);

    return json_pack("{s:{s:I, s:O?, s:I, s:I}, s:I, s:I, s:{s:I, s:I, s:I}}", "cpu_usage",
                     "total_usage", num(usage, "total"), "percpu_usage",
                     json_object_get(usage, "percpu"), "usage_in_kernelmode", num(usage, "kernel"),
                     "usage_in_usermode", num(usage, "user"), "system_cpu_usage",
                     (json_int_t)system_cpu_ns(), "online_cpus",
                     (json_int_t)(online > 0 ? online : 1), "throttling_data", "periods",
                     num(s, "cpu.throttling.periods"), "throttled_periods",
                     num(s, "cpu.throttling.throttledPeriods"), "throttled_time",
                     num(s, "cpu.throttling.throttledTime"));
}

/* runc's memory object → docker's memory_stats. An unlimited v1 cgroup says
 * 2^63-4096; like dockerd, the limit shown is then the host's memory. */
static json_t *docker_memory(json_t *s)
{
    json_int_t limit = num(s, "memory.usage.limit");
    json_t *raw = json_object_get(json_object_get(s, "memory"), "raw");
    struct sysinfo si;

    if (sysinfo(&si) == 0) {
        json_int_t host = (json_int_t)si.totalram * (json_int_t)si.mem_unit;
        if (limit <= 0 || limit > host)
            limit = host;
    }
    return json_pack("{s:I, s:I, s:O?, s:I, s:I}", "usage", num(s, "memory.usage.usage"),
                     "max_usage", num(s, "memory.usage.max"), "stats", raw, "failcnt",
                     num(s, "memory.usage.failcnt"), "limit", limit);
}

/* runc's network_interfaces → docker's networks {"eth0": {rx_bytes, ...}};
 * NULL when there is none (docker leaves the key out). */
static json_t *docker_networks(json_t *s)
{
    json_t *nets = json_object(), *i;
    size_t k;

    json_array_foreach (json_object_get(s, "network_interfaces"), k, i) {
        json_t *c = json_deep_copy(i);
        const char *name = json_string_value(json_object_get(i, "name"));
        json_object_del(c, "name");
        if (name)
            json_object_set_new(nets, name, c);
        else
            json_decref(c);
    }
    if (json_object_size(nets) == 0) {
        json_decref(nets);
        return NULL;
    }
    return nets;
}

/* runc's blkio → docker's blkio_stats: the same {major, minor, op, value}
 * entries under docker's names; null lists where the cgroup had none (as
 * dockerd). The docker CLI's BLOCK I/O sums the ops starting with r and w. */
static json_t *docker_blkio(json_t *s)
{
    static const char *const lists[][2] = {
        {"io_service_bytes_recursive", "ioServiceBytesRecursive"},
        {"io_serviced_recursive", "ioServicedRecursive"},
        {"io_queue_recursive", NULL},
        {"io_service_time_recursive", NULL},
        {"io_wait_time_recursive", NULL},
        {"io_merged_recursive", NULL},
        {"io_time_recursive", NULL},
        {"sectors_recursive", NULL}};
    json_t *b = json_object_get(s, "blkio"), *out = json_object();

    for (size_t i = 0; i < HULL_ARRAY_SIZE(lists); i++) {
        json_t *l = lists[i][1] ? json_object_get(b, lists[i][1]) : NULL;
        json_object_set_new(out, lists[i][0], json_array_size(l) ? json_deep_copy(l) : json_null());
    }
    return out;
}

/* An empty sample: what dockerd sends for a container that is not running. */
static json_t *docker_empty(const char *id, const char *name)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:{}, s:{}, s:{}, s:{}, s:{}, s:{}, s:i}", "id", id,
                     "name", name, "read", "0001-01-01T00:00:00Z", "preread",
                     "0001-01-01T00:00:00Z", "pids_stats", "blkio_stats", "cpu_stats",
                     "precpu_stats", "memory_stats", "storage_stats", "num_procs", 0);
}

struct stats_arg {
    char *id, *name; /* name with docker's leading '/' */
    bool stream, one_shot;
};

static void free_stats_arg(void *p)
{
    struct stats_arg *a = p;
    free(a->id);
    free(a->name);
    free(a);
}

/* One sample of a running container in docker's StatsJSON, with *prev (the
 * last sample's cpu_stats and time, or NULL) as precpu_stats; *prev becomes
 * this sample's. NULL (err set) when the container's counters are gone. */
static json_t *sample(struct api_server *srv, const struct stats_arg *a, json_t **prev_cpu,
                      int64_t *prev_ns, hull_error *err)
{
    struct hull_engine e;
    json_t *s = NULL, *out, *cpu;
    _cleanup_free_ char *now = NULL, *pre = NULL;
    int64_t ns;
    int r;

    if (api_open(srv, &e, false, err) < 0)
        return NULL;
    r = hull_engine_stats(&e, a->id, &s, err);
    api_close(&e);
    if (r < 0)
        return NULL;
    ns = api_now_ns();
    now = api_rfc3339(ns);
    pre = *prev_ns ? api_rfc3339(*prev_ns) : xstrdup("0001-01-01T00:00:00Z");
    cpu = docker_cpu(s);
    out = json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:I}, s:o, s:{}, s:i, s:O, s:o, s:o}", "id",
                    a->id, "name", a->name, "read", now, "preread", pre, "pids_stats", "current",
                    num(s, "pids.current"), "limit", num(s, "pids.limit"), "blkio_stats",
                    docker_blkio(s), "storage_stats", "num_procs", 0, "cpu_stats", cpu,
                    "precpu_stats", *prev_cpu ? json_incref(*prev_cpu) : json_object(),
                    "memory_stats", docker_memory(s));
    {
        json_t *nets = docker_networks(s);
        if (nets)
            json_object_set_new(out, "networks", nets);
    }
    json_decref(s);
    json_decref(*prev_cpu);
    *prev_cpu = cpu; /* the reference json_pack's "O" took stays in out */
    *prev_ns = ns;
    return out;
}

static int write_json_line(int fd, json_t *j)
{
    _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
    int r;
    if (s == NULL)
        return -1;
    r = api_write_all(fd, s, strlen(s));
    return r < 0 ? -1 : api_write_all(fd, "\n", 1);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Samples onto fd: one (stream=false: the second, so that precpu_stats is
 * real and the CPU % is not 0, as dockerd primes it; one-shot: the first),
 * or one a second until the client leaves or the container stops. */
static void stats_producer(struct api_server *srv, void *p, int fd)
{
    struct stats_arg *a = p;
    json_t *prev = NULL, *out;
    int64_t prev_ns = 0;
    hull_error err = {0};
    bool primed = a->stream || a->one_shot;

    for (;;) {
        out = sample(srv, a, &prev, &prev_ns, &err);
        if (out == NULL) {
            /* Stopped meanwhile: like dockerd, an empty sample ends it. */
            hull_error_clear(&err);
            out = docker_empty(a->id, a->name);
            write_json_line(fd, out);
            json_decref(out);
            break;
        }
        if (primed) {
            int w = write_json_line(fd, out);
            json_decref(out);
            if (w < 0 || !a->stream)
                break;
        } else {
            json_decref(out);
            primed = true;
        }
        sleep_ms(STATS_INTERVAL_MS);
        if (api_fd_closed(fd))
            break;
    }
    json_decref(prev);
}

int api_container_stats(struct api_req *r, const char *ref)
{
    hull_error err = {0};
    bool bad = false, stream, running;
    const char *s = api_query(r, "stream");
    json_t *ins = NULL;
    struct stats_arg *a;

    stream = s == NULL || api_query_bool(r, "stream", &bad); /* docker: default true */
    a = xmalloc0(sizeof(*a));
    a->stream = stream;
    a->one_shot = api_query_bool(r, "one-shot", &bad);
    if (bad) {
        free(a);
        return api_error(r, 400, "stream, one-shot: expected booleans");
    }
    if (a->one_shot && a->stream) {
        free(a);
        return api_error(r, 400, "cannot have stream=true and one-shot=true");
    }
    if (api_inspect(r->srv, ref, &ins, &err) < 0) {
        free(a);
        return api_fail(r, &err);
    }
    a->id = xstrdup(json_string_value(json_object_get(ins, "Id")));
    a->name = xasprintf("/%s", json_string_value(json_object_get(ins, "Name")) ?: "");
    running = json_is_true(json_object_get(json_object_get(ins, "State"), "Running"));
    json_decref(ins);
    if (!running) {
        json_t *out = docker_empty(a->id, a->name);
        free_stats_arg(a);
        return api_json(r, 200, out);
    }
    return api_stream(r, 200, "application/json", stats_producer, a, free_stats_arg);
}

/* ---- top ----------------------------------------------------------------------------- */

#define PS_MAX_OUTPUT (16u << 20)

/* Run `ps ARGS` (argv, no shell, as dockerd does) and collect its output
 * (stderr too). posix_spawn, not fork: this process is threaded. */
static int run_ps(char **argv, char **out, hull_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, def;
    int p[2], status = 0, rc;
    pid_t pid;
    char *buf = NULL;
    size_t len = 0;

    if (pipe2(p, O_CLOEXEC) < 0)
        return hull_error_msg(err, EIO, "top: pipe: %s", strerror(errno));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawnattr_init(&at);
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawnp(&pid, "ps", &fa, &at, argv,
                      (char *[]){"PATH=/usr/bin:/bin", "LC_ALL=C", NULL});
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        /* 500, not the 404 ENOENT would give: the container is there */
        return hull_error_msg(err, EIO, "top: cannot run ps: %s", strerror(rc));
    }
    for (;;) {
        char chunk[16384];
        ssize_t n = read(p[0], chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (len + (size_t)n > PS_MAX_OUTPUT)
            continue; /* drained, not kept */
        buf = xrealloc(buf, len + (size_t)n + 1);
        memcpy(buf + len, chunk, (size_t)n);
        len += (size_t)n;
    }
    close(p[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    buf = buf ? buf : xstrdup("");
    buf[len] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        buf[strcspn(buf, "\n")] = '\0';
        hull_error_msg(err, EIO, "Error running ps: %s", buf[0] ? buf : "failed");
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

static bool has_pid(const pid_t *pids, size_t n, const char *field)
{
    unsigned long long v;
    if (hull_parse_u64(field, &v) < 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned long long)pids[i] == v)
            return true;
    return false;
}

/* A column as a JSON string. A process may call itself anything, also not
 * UTF-8, which JSON cannot carry: such a column keeps its ASCII and gets
 * U+FFFD for every other byte (Go's encoder, dockerd's, does much the same). */
static json_t *column(const char *p, size_t n)
{
    json_t *s = json_stringn(p, n);
    char *fixed, *q;

    if (s)
        return s;
    fixed = q = xmalloc0(3 * n + 1);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)p[i] < 0x80 && p[i] != '\0') {
            *q++ = p[i];
        } else {
            memcpy(q, "\xEF\xBF\xBD", 3);
            q += 3;
        }
    }
    s = json_stringn(fixed, (size_t)(q - fixed));
    free(fixed);
    return s;
}

int api_parse_ps(char *text, const pid_t *pids, size_t npids, json_t **out, hull_error *err)
{
    json_t *titles = json_array(), *procs = json_array();
    char *save = NULL, *line = strtok_r(text, "\n", &save), *f, *fs = NULL;
    size_t pid_col = SIZE_MAX, ncol;

    for (f = line ? strtok_r(line, " \t", &fs) : NULL; f; f = strtok_r(NULL, " \t", &fs)) {
        if (strcmp(f, "PID") == 0)
            pid_col = json_array_size(titles);
        json_array_append_new(titles, column(f, strlen(f)));
    }
    ncol = json_array_size(titles);
    if (pid_col == SIZE_MAX) {
        json_decref(titles);
        json_decref(procs);
        return hull_error_msg(err, EIO, "Couldn't find PID field in ps output");
    }
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        json_t *row = json_array();
        char *p = line;
        for (size_t c = 0; c < ncol; c++) {
            size_t n;
            p += strspn(p, " \t");
            n = c + 1 == ncol ? strlen(p) : strcspn(p, " \t");
            json_array_append_new(row, column(p, n));
            p += n;
        }
        if (has_pid(pids, npids, json_string_value(json_array_get(row, pid_col))))
            json_array_append_new(procs, row);
        else
            json_decref(row);
    }
    *out = json_pack("{s:o, s:o}", "Titles", titles, "Processes", procs);
    return 0;
}

int api_container_top(struct api_req *r, const char *ref)
{
    const char *args = api_query(r, "ps_args");
    _cleanup_free_ char *copy = xstrdup(args && args[0] ? args : "-ef"), *text = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    char *argv[64] = {"ps"}, *save = NULL;
    size_t argc = 1, npids = 0;
    hull_error err = {0};
    struct hull_engine e;
    json_t *out = NULL;
    int ret;

    for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (argc + 1 >= HULL_ARRAY_SIZE(argv))
            return api_error(r, 400, "ps_args: more than %zu arguments", HULL_ARRAY_SIZE(argv) - 2);
        argv[argc++] = t;
    }
    if (api_require_running(r->srv, ref, &err) < 0 || api_open(r->srv, &e, false, &err) < 0)
        return api_fail(r, &err);
    ret = hull_engine_top(&e, ref, &pids, &npids, &err);
    api_close(&e);
    if (ret < 0 || run_ps(argv, &text, &err) < 0 || api_parse_ps(text, pids, npids, &out, &err) < 0)
        return api_fail(r, &err);
    return api_json(r, 200, out);
}
