/* hull stats: docker's `stats` from the cgroup counters.
 *
 *   hull stats [-a] [--no-stream] [--no-trunc] [--format FMT] [CONTAINER...]
 *
 * Without CONTAINER: every running container (-a: every one). CPU % needs two
 * samples: the counters are read, then read again after a while (half a second
 * for --no-stream, a second between screens otherwise), and the CPU time spent
 * in between is divided by the time that passed. Each row is docker's stats
 * object (Container, Name, ID, CPUPerc, MemUsage, MemPerc, NetIO, BlockIO,
 * PIDs) for templates and json; json rows also carry the raw counters the
 * engine read (cpu, memory, pids, blkio, network_interfaces). */
#include "commands.h"
#include "engine/engine.h"
#include "base/util.h"
#include "base/json.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#define STATS_DEFAULT                                                                              \
    "table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}"         \
    "\\t{{.BlockIO}}\\t{{.PIDs}}"

static json_t *stats_headers(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "CONTAINER ID", "Name",
                     "NAME", "Container", "CONTAINER", "CPUPerc", "CPU %", "MemUsage",
                     "MEM USAGE / LIMIT", "MemPerc", "MEM %", "NetIO", "NET I/O", "BlockIO",
                     "BLOCK I/O", "PIDs", "PIDS");
}

/* docker's units.BytesSize: binary units, four significant digits. */
static char *bytes_size(double n)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    size_t u = 0;
    while (n >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]))
        n /= 1024, u++;
    return xasprintf("%.4g%s", n, units[u]);
}

/* Sums of runc-shaped entries: the "op"s starting with r and w of a blkio
 * list (as the docker CLI's BLOCK I/O), or rx_bytes/tx_bytes of the
 * network_interfaces. */
static void io_sums(json_t *list, const char *rkey, const char *wkey, double *r, double *w)
{
    json_t *x;
    size_t i;

    *r = *w = 0;
    json_array_foreach (list, i, x) {
        const char *op = json_string_value(json_object_get(x, "op"));
        if (rkey) {
            *r += (double)json_integer_value(json_object_get(x, rkey));
            *w += (double)json_integer_value(json_object_get(x, wkey));
        } else if (op && (op[0] == 'r' || op[0] == 'R')) {
            *r += (double)json_integer_value(json_object_get(x, "value"));
        } else if (op && (op[0] == 'w' || op[0] == 'W')) {
            *w += (double)json_integer_value(json_object_get(x, "value"));
        }
    }
}

/* "A / B" in docker's decimal units (NET I/O, BLOCK I/O). */
static char *io_pair(double r, double w)
{
    _cleanup_free_ char *a = hull_cmd_human_size(r), *b = hull_cmd_human_size(w);
    return xasprintf("%s / %s", a, b);
}

static double cpu_ns(json_t *s)
{
    return (double)json_integer_value(
        json_object_get(json_object_get(json_object_get(s, "cpu"), "usage"), "total"));
}

struct sample {
    char *ref, *id, *name;
    json_t *stats;
    double cpu, at; /* ns of CPU, and when (CLOCK_MONOTONIC, ns) */
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Read the counters of s->ref again (keeping the previous CPU time). A
 * container that is not running has none: it shows zeros, as in docker. */
static void take(struct hull_engine *e, struct sample *s)
{
    hull_error err = {0};
    json_t *st;
    if (hull_engine_stats(e, s->ref, &st, &err) < 0) {
        hull_error_clear(&err);
        st = json_object();
    }
    json_decref(s->stats);
    s->stats = st;
    s->cpu = cpu_ns(st);
    s->at = now_ns();
}

/* docker's row for a sample whose counters were read at prev_cpu/prev_at
 * before (CPU % over that interval; 0 without one). */
static json_t *row(const struct sample *s, double prev_cpu, double prev_at, bool no_trunc, bool raw)
{
    json_t *st = s->stats, *mem = json_object_get(json_object_get(st, "memory"), "usage");
    double usage = (double)json_integer_value(json_object_get(mem, "usage"));
    double limit = (double)json_integer_value(json_object_get(mem, "limit"));
    double cpu = prev_at > 0 && s->at > prev_at ? (s->cpu - prev_cpu) / (s->at - prev_at) : 0;
    _cleanup_free_ char *used = NULL, *lim = NULL, *net = NULL, *blk = NULL, *mu = NULL;
    char cpup[32], memp[32];
    struct sysinfo si;
    double r, w;
    json_t *o, *docker;

    /* no limit (v1 says 2^63-4096): the host's memory, as docker shows it */
    if (sysinfo(&si) == 0 && (limit <= 0 || limit > (double)si.totalram * si.mem_unit))
        limit = (double)si.totalram * si.mem_unit;
    snprintf(cpup, sizeof(cpup), "%.2f%%", cpu < 0 ? 0 : cpu * 100);
    snprintf(memp, sizeof(memp), "%.2f%%", limit > 0 ? usage / limit * 100 : 0);
    io_sums(json_object_get(st, "network_interfaces"), "rx_bytes", "tx_bytes", &r, &w);
    net = io_pair(r, w);
    io_sums(json_object_get(json_object_get(st, "blkio"), "ioServiceBytesRecursive"), NULL, NULL,
            &r, &w);
    blk = io_pair(r, w);
    used = bytes_size(usage);
    lim = bytes_size(limit);
    mu = xasprintf("%s / %s", used, lim);
    o = raw ? json_deep_copy(st) : json_object();
    docker = json_pack("{s:s, s:s, s:s%, s:s, s:s, s:s, s:s, s:s, s:I}", "Container", s->ref,
                       "Name", s->name, "ID", s->id, no_trunc ? (size_t)64 : (size_t)12, "CPUPerc",
                       cpup, "MemUsage", mu, "MemPerc", memp, "NetIO", net, "BlockIO", blk, "PIDs",
                       json_integer_value(json_object_get(json_object_get(st, "pids"), "current")));
    json_object_update(o, docker);
    json_decref(docker);
    return o;
}

/* Stats of the sampled containers, in the asked format. */
static int print(struct sample *v, size_t n, const double *prev_cpu, const double *prev_at,
                 const char *format, bool no_trunc, hull_error *err)
{
    struct hull_format *f = NULL;
    json_t *headers = stats_headers();
    bool json = format && strcmp(format, "json") == 0;
    int rc = 0;

    if (hull_format_open(format, STATS_DEFAULT, headers, &f, err) < 0) {
        json_decref(headers);
        return hull_error_prefix(err, "--format");
    }
    json_decref(headers);
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_t *o = row(&v[i], prev_cpu[i], prev_at[i], no_trunc, json);
        rc = hull_format_row(f, o, stdout, err);
        json_decref(o);
    }
    hull_format_close(f, stdout);
    fflush(stdout);
    return rc;
}

/* The containers to show: those named, or every running one (every one). */
static int pick(struct hull_engine *e, char **refs, int nrefs, bool all, struct sample **out,
                size_t *n_out, hull_error *err)
{
    struct sample *v = NULL;
    size_t n = 0;

    if (nrefs > 0) {
        v = xmalloc0((size_t)nrefs * sizeof(*v));
        for (int i = 0; i < nrefs; i++) {
            json_t *ins = NULL;
            if (hull_engine_inspect(e, refs[i], &ins, err) < 0) {
                *out = v, *n_out = n;
                return -1;
            }
            v[n].ref = xstrdup(refs[i]);
            v[n].id = xstrdup(json_string_value(json_object_get(ins, "Id")) ?: refs[i]);
            v[n].name = xstrdup(json_string_value(json_object_get(ins, "Name")) ?: refs[i]);
            if (v[n].name[0] == '/')
                memmove(v[n].name, v[n].name + 1, strlen(v[n].name));
            n++;
            json_decref(ins);
        }
    } else {
        json_t *rows = NULL, *r;
        size_t i;
        if (hull_engine_list(e, all, &rows, err) < 0)
            return -1;
        v = xmalloc0((json_array_size(rows) + 1) * sizeof(*v));
        json_array_foreach (rows, i, r) {
            const char *id = json_string_value(json_object_get(r, "id"));
            v[n].ref = xstrdup(id);
            v[n].id = xstrdup(id);
            v[n].name = xstrdup(json_string_value(json_object_get(r, "name")) ?: id);
            n++;
        }
        json_decref(rows);
    }
    *out = v;
    *n_out = n;
    return 0;
}

static void free_samples(struct sample *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].ref);
        free(v[i].id);
        free(v[i].name);
        json_decref(v[i].stats);
    }
    free(v);
}

int hull_cmd_stats(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},      {"no-stream", no_argument, NULL, 's'},
        {"no-trunc", no_argument, NULL, 't'}, {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
    };
    bool all = false, stream = true, no_trunc = false;
    const char *format = NULL;
    struct sample *v = NULL;
    double *prev_cpu = NULL, *prev_at = NULL;
    struct hull_engine e;
    hull_error err = {0};
    size_t n = 0;
    int c, rc = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 's':
            stream = false;
            break;
        case 't':
            no_trunc = true;
            break;
        case 'f':
            format = optarg;
            break;
        case 'h':
            printf("Usage: hull stats [-a] [--no-stream] [--no-trunc] [--format FMT] "
                   "[CONTAINER...]\n");
            return 0;
        default:
            return 125;
        }
    }
    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    if (pick(&e, argv + optind, argc - optind, all, &v, &n, &err) < 0) {
        rc = hull_cmd_fail(&err);
        goto out;
    }
    prev_cpu = xmalloc0((n + 1) * sizeof(double));
    prev_at = xmalloc0((n + 1) * sizeof(double));
    for (size_t i = 0; i < n; i++)
        take(&e, &v[i]);
    for (;;) {
        usleep(stream ? 1000000 : 500000);
        for (size_t i = 0; i < n; i++) {
            prev_cpu[i] = v[i].cpu;
            prev_at[i] = v[i].at;
            take(&e, &v[i]);
        }
        if (stream)
            fputs("\033[2J\033[H", stdout); /* docker redraws the screen */
        if (print(v, n, prev_cpu, prev_at, format, no_trunc, &err) < 0) {
            rc = hull_cmd_fail(&err);
            break;
        }
        if (!stream)
            break;
    }
out:
    free(prev_cpu);
    free(prev_at);
    free_samples(v, n);
    hull_engine_close(&e);
    return rc;
}
