/* `hull ps`: docker's flags (-a -q -n/--last -l/--latest --no-trunc --filter
 * --format). Matching is src/engine/filter.c, templates src/engine/format.c;
 * here each row becomes the object docker's templates see. */
#include "commands.h"
#include "engine/engine.h"
#include "image/image.h"
#include "base/util.h"
#include "base/json.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PS_DEFAULT                                                                                 \
    "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}"       \
    "\\t{{.Names}}"
#define PS_DEFAULT_SIZE PS_DEFAULT "\\t{{.Size}}"

/* docker's units.HumanDuration. */
static char *human_duration(int64_t ns)
{
    long long s = ns / 1000000000LL, m = s / 60, h = s / 3600;

    if (s < 1)
        return xstrdup("Less than a second");
    if (s == 1)
        return xstrdup("1 second");
    if (s < 60)
        return xasprintf("%lld seconds", s);
    if (m == 1)
        return xstrdup("About a minute");
    if (m < 60)
        return xasprintf("%lld minutes", m);
    if (h == 1)
        return xstrdup("About an hour");
    if (h < 48)
        return xasprintf("%lld hours", h);
    if (h < 24 * 7 * 2)
        return xasprintf("%lld days", h / 24);
    if (h < 24 * 30 * 2)
        return xasprintf("%lld weeks", h / 24 / 7);
    if (h < 24 * 365 * 2)
        return xasprintf("%lld months", h / 24 / 30);
    return xasprintf("%lld years", h / 24 / 365);
}

/* docker's units.HumanSizeWithPrecision(n, digits): decimal units. */
char *hull_cmd_human_size_digits(double n, int digits)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    size_t u = 0;
    while (n >= 1000 && u + 1 < sizeof(units) / sizeof(units[0]))
        n /= 1000, u++;
    return xasprintf("%.*g%s", digits, n, units[u]);
}

char *hull_cmd_human_size(double n)
{
    return hull_cmd_human_size_digits(n, 3);
}

static int64_t col_int(json_t *r, const char *k)
{
    return json_integer_value(json_object_get(r, k));
}

static const char *col_str(json_t *r, const char *k)
{
    const char *s = json_string_value(json_object_get(r, k));
    return s ? s : "";
}

static char *status_text(json_t *r, int64_t now)
{
    const char *st = col_str(r, "state");
    _cleanup_free_ char *d = NULL;

    if (strcmp(st, "running") == 0) {
        d = human_duration(now - col_int(r, "started_at"));
        return xasprintf("Up %s%s", d,
                         json_is_true(json_object_get(r, "paused")) ? " (Paused)" : "");
    }
    if (strcmp(st, "exited") == 0) {
        d = human_duration(now - col_int(r, "finished_at"));
        return xasprintf("Exited (%lld) %s ago", (long long)col_int(r, "exit_code"), d);
    }
    if (strcmp(st, "restarting") == 0)
        return xstrdup("Restarting");
    return xstrdup("Created");
}

/* "0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp" */
static char *ports_text(json_t *r)
{
    json_t *ports = json_loads(col_str(r, "ports"), 0, NULL), *p;
    char *out = xstrdup("");
    size_t i;

    json_array_foreach (ports, i, p) {
        const char *ip = json_string_value(json_object_get(p, "hostIP"));
        char *next =
            xasprintf("%s%s%s:%lld->%lld/%s", out, i ? ", " : "", ip && *ip ? ip : "0.0.0.0",
                      (long long)json_integer_value(json_object_get(p, "hostPort")),
                      (long long)json_integer_value(json_object_get(p, "containerPort")),
                      json_string_value(json_object_get(p, "protocol")));
        free(out);
        out = next;
    }
    json_decref(ports);
    return out;
}

/* docker's Networks column: every network the container is on, its first
 * one and those it was connected to, comma-separated ("none" alone only
 * when it is on no other). */
static char *networks_text(json_t *r)
{
    const char *first = col_str(r, "network"), *more = col_str(r, "networks");

    if (*more == '\0')
        return xstrdup(first);
    if (*first == '\0' || strcmp(first, "none") == 0)
        return xstrdup(more);
    return xasprintf("%s,%s", first, more);
}

/* The object of docker ps --format: {{.ID}} {{.Names}} ... */
static json_t *ps_object(json_t *r, bool no_trunc, int64_t now)
{
    json_t *opts = json_loads(col_str(r, "opts"), 0, NULL);
    json_t *labels = json_object_get(opts, "labels"), *v;
    _cleanup_free_ char *status = status_text(r, now), *ports = ports_text(r);
    _cleanup_free_ char *networks = networks_text(r);
    _cleanup_free_ char *ago = human_duration(now - col_int(r, "created"));
    _cleanup_free_ char *running_for = xasprintf("%s ago", ago);
    _cleanup_free_ char *cmd = xasprintf("\"%s\"", col_str(r, "command"));
    _cleanup_free_ char *size = json_is_integer(json_object_get(r, "size_rw"))
                                    ? hull_cmd_human_size((double)col_int(r, "size_rw"))
                                    : xstrdup("");
    char created[64] = "", *lstr = xstrdup("");
    time_t t = (time_t)(col_int(r, "created") / 1000000000LL);
    struct tm tm;
    const char *k;
    json_t *o;

    strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S +0000 UTC", gmtime_r(&t, &tm));
    json_object_foreach (labels, k, v) {
        char *next = xasprintf("%s%s%s=%s", lstr, *lstr ? "," : "", k, json_string_value(v));
        free(lstr);
        lstr = next;
    }
    o = json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:I, "
                  "s:b, s:s?}",
                  "ID", col_str(r, "id"), no_trunc ? (size_t)64 : (size_t)12, "Names",
                  col_str(r, "name"), "Image", col_str(r, "image"), "Command", cmd, "CreatedAt",
                  created, "RunningFor", running_for, "State",
                  json_is_true(json_object_get(r, "paused")) ? "paused" : col_str(r, "state"),
                  "Status", status, "Ports", ports, "Labels", lstr, "Networks", networks, "Mounts",
                  "", "Size", size, "Label", labels ? labels : json_object(), "ExitCode",
                  (json_int_t)col_int(r, "exit_code"), "Abnormal", col_int(r, "abnormal") != 0,
                  "Reason", json_string_value(json_object_get(r, "reason")));
    {
        json_t *vols = json_loads(col_str(r, "volumes"), 0, NULL), *x;
        size_t i;
        char *m = xstrdup("");
        json_array_foreach (vols, i, x) {
            const char *s = json_string_value(x);
            const char *colon = s ? strchr(s, ':') : NULL;
            char *next = xasprintf("%s%s%.*s", m, i ? "," : "", colon ? (int)(colon - s) : 0, s);
            free(m);
            m = next;
        }
        json_object_set_new(o, "Mounts", json_string(m));
        free(m);
        json_decref(vols);
    }
    free(lstr);
    json_decref(opts);
    return o;
}

static json_t *ps_headers(void)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "ID", "CONTAINER ID", "RunningFor", "CREATED",
                     "CreatedAt", "CREATED AT", "Label", "LABEL");
}

static int ps_print(json_t *rows, const char *format, bool no_trunc, bool quiet, bool size,
                    long last, hull_error *err)
{
    struct hull_format *f = NULL;
    json_t *headers = ps_headers(), *r;
    int64_t now = (int64_t)time(NULL) * 1000000000LL;
    size_t i;
    int rc = 0;

    if (hull_format_open(quiet ? "{{.ID}}" : format, size ? PS_DEFAULT_SIZE : PS_DEFAULT, headers,
                         &f, err) < 0) {
        json_decref(headers);
        return hull_error_prefix(err, "--format");
    }
    json_decref(headers);
    json_array_foreach (rows, i, r) {
        json_t *o;
        if (last >= 0 && (long)i >= last)
            break;
        o = ps_object(r, no_trunc, now);
        if (format && strcmp(format, "json") == 0)
            json_object_del(o, "Label"); /* a template helper, not docker's json */
        rc = hull_format_row(f, o, stdout, err);
        json_decref(o);
        if (rc < 0)
            break;
    }
    hull_format_close(f, stdout);
    return rc;
}

/* -s: the writable layer's size of each row, as "size_rw" (rows whose
 * layer is not mounted any more get none). */
static void add_sizes(struct hull_engine *e, json_t *rows)
{
    json_t *r;
    size_t i;

    json_array_foreach (rows, i, r) {
        int64_t rw;
        if (hull_engine_size(e, col_str(r, "id"), &rw, NULL) == 0)
            json_object_set_new(r, "size_rw", json_integer(rw));
    }
}

/* ancestor=NAME|ID: add the manifest digest it names in the image store (the
 * store is only read: the embedded busybox is not loaded for a filter). */
static void resolve_ancestors(struct hull_ctx *ctx, char ***filters)
{
    struct hull_image_store_opts so = {0};
    struct hull_image_store *s = NULL;
    size_t i;

    for (i = 0; *filters && (*filters)[i]; i++)
        if (hull_str_has_prefix((*filters)[i], "ancestor="))
            break;
    if (*filters == NULL || (*filters)[i] == NULL ||
        hull_image_store_open(ctx->root, &so, &s, NULL) < 0)
        return;
    hull_container_filter_images(s, filters);
    hull_image_store_free(s);
}

int hull_cmd_ps(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option lo[] = {
        {"all", no_argument, NULL, 'a'},
        {"quiet", no_argument, NULL, 'q'},
        {"format", required_argument, NULL, 'F'},
        {"filter", required_argument, NULL, 'f'},
        {"last", required_argument, NULL, 'n'},
        {"latest", no_argument, NULL, 'l'},
        {"no-trunc", no_argument, NULL, 'T'},
        {"size", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    bool all = false, quiet = false, no_trunc = false, size = false;
    const char *format = NULL;
    _cleanup_strv_ char **filters = NULL;
    struct hull_engine e;
    hull_error err = {0};
    json_t *rows, *matched;
    long last = -1;
    size_t nf = 0;
    int c, r;

    optind = 1;
    while ((c = getopt_long(argc, argv, "aqf:n:ls", lo, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'F':
            format = optarg;
            break;
        case 'f':
            filters = xrealloc(filters, (nf + 2) * sizeof(char *));
            filters[nf++] = xstrdup(optarg);
            filters[nf] = NULL;
            break;
        case 'n':
            last = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end || last < -1) {
                fprintf(stderr, "hull: ps: --last \"%s\": expected a number\n", optarg);
                return 125;
            }
            break;
        case 'l':
            last = 1;
            break;
        case 'T':
            no_trunc = true;
            break;
        case 's':
            size = true;
            break;
        default:
            return 125;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hull: ps: unexpected argument \"%s\"\n", argv[optind]);
        return 125;
    }
    /* docker: -n/--latest show every state, and so do status/exited filters. */
    for (size_t i = 0; i < nf; i++)
        if (hull_str_has_prefix(filters[i], "status=") ||
            hull_str_has_prefix(filters[i], "exited="))
            all = true;
    if (last >= 0)
        all = true;
    resolve_ancestors(ctx, &filters);
    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    r = hull_engine_list(&e, all, &rows, &err);
    if (r == 0)
        hull_engine_mark_paused(&e, rows);
    if (r == 0) {
        r = hull_container_filter(rows, filters, &matched, &err);
        json_decref(rows);
    }
    if (r == 0 && size)
        add_sizes(&e, matched);
    hull_engine_close(&e);
    if (r < 0)
        return hull_cmd_fail(&err);
    r = ps_print(matched, format, no_trunc, quiet, size, last, &err);
    json_decref(matched);
    return r < 0 ? hull_cmd_fail(&err) : 0;
}
