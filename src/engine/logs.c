/* A container's output (its json-file log) and the event log, delivered to a
 * sink: the CLI prints them, the API frames them onto a connection. Also
 * docker's forms of a point in time (--since/--until). */
#include "internal.h"
#include "../base/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "2006-01-02T15:04:05[.999999999](Z|±07:00)", "2006-01-02T15:04:05" (UTC)
 * or "2006-01-02" (midnight UTC). Returns 0 and *ns, -1 if s is not one. */
static int parse_rfc3339(const char *s, int64_t *ns)
{
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%d", &tm);
    int64_t frac = 0, off = 0, secs;

    if (p == NULL)
        return -1;
    if (*p == 'T' || *p == 't') {
        p = strptime(p + 1, "%H:%M:%S", &tm);
        if (p == NULL)
            return -1;
        if (*p == '.') {
            int digits = 0;
            for (p++; isdigit((unsigned char)*p); p++, digits++)
                if (digits < 9)
                    frac = frac * 10 + (*p - '0');
            if (digits == 0)
                return -1;
            for (; digits < 9; digits++)
                frac *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int hh, mm, n = 0;
            if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5 || hh > 23 || mm > 59)
                return -1;
            off = (int64_t)(hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
            p += 1 + n;
        }
    }
    if (*p != '\0')
        return -1;
    secs = (int64_t)timegm(&tm) - off;
    /* 1970 to 2262: what nanoseconds since the epoch in an int64 can hold. */
    if (secs < 0 || secs > 9000000000LL)
        return -1;
    *ns = secs * 1000000000LL + frac;
    return 0;
}

/* Go durations: a sequence of number+unit, e.g. 10m, 1h30m, 1.5h, 250ms. */
static int parse_duration(const char *s, int64_t *ns)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    double total = 0;

    if (*s == '\0')
        return -1;
    while (*s) {
        char *end;
        double v;
        size_t best = 0, best_len = 0;
        if (!isdigit((unsigned char)*s) && *s != '.')
            return -1;
        v = strtod(s, &end);
        if (end == s || v < 0)
            return -1;
        for (size_t i = 0; i < HULL_ARRAY_SIZE(units); i++) {
            size_t l = strlen(units[i].unit);
            if (strncmp(end, units[i].unit, l) == 0 && l > best_len)
                best = i, best_len = l;
        }
        if (best_len == 0)
            return -1;
        total += v * units[best].ns;
        s = end + best_len;
    }
    if (total > 9e18)
        return -1;
    *ns = (int64_t)total;
    return 0;
}

int hull_parse_time(const char *s, int64_t now_ns, int64_t *out_ns, hull_error *err)
{
    int64_t d;
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > 64)
        return hull_error_msg(err, EINVAL, "time \"%s\": empty or too long", s ? s : "");
    /* Unix seconds, with an optional fraction (docker's own "1700000000.000000001"). */
    if (strspn(s, "0123456789.") == n && strchr(s, '.') == strrchr(s, '.') && s[0] != '.') {
        const char *dot = strchr(s, '.');
        unsigned long long sec;
        int64_t frac = 0;
        _cleanup_free_ char *whole = dot ? strndup(s, (size_t)(dot - s)) : xstrdup(s);
        if (hull_parse_u64(whole, &sec) == 0 && sec < 9000000000ULL) {
            int digits = 0;
            for (const char *p = dot ? dot + 1 : ""; *p; p++, digits++)
                if (digits < 9)
                    frac = frac * 10 + (*p - '0');
            for (; dot && digits < 9; digits++)
                frac *= 10;
            *out_ns = (int64_t)sec * 1000000000LL + frac;
            return 0;
        }
    }
    if (parse_rfc3339(s, out_ns) == 0)
        return 0;
    if (parse_duration(s, &d) == 0) {
        *out_ns = (now_ns ? now_ns : hull_now_ns()) - d;
        return 0;
    }
    return hull_error_msg(err, EINVAL,
                          "time \"%s\": expected RFC 3339 (2006-01-02T15:04:05Z), unix seconds "
                          "or a duration ago (10m, 1h30m)",
                          s);
}

static bool container_running(struct hull_engine *e, const char *id)
{
    json_t *rows = NULL;
    bool running = false;
    if (hull_db_query(e->db, &rows, NULL, "SELECT state FROM containers WHERE id=?", "s", id) ==
            0 &&
        json_array_size(rows) == 1) {
        const char *st = json_string_value(json_object_get(json_array_get(rows, 0), "state"));
        running = st && (strcmp(st, "running") == 0 || strcmp(st, "restarting") == 0);
    }
    json_decref(rows);
    return running;
}

/* One json-file record to the sink, if it is inside [since, until].
 * Returns the sink's answer (0: go on). */
static int emit_record(const char *line, const struct hull_logs_opts *o, hull_log_sink sink,
                       void *data)
{
    json_t *j = json_loads(line, 0, NULL);
    const char *msg, *time, *stream;
    int64_t t = 0;
    int r = 0;

    if (j == NULL)
        return 0; /* a torn last line (the monitor is writing it) */
    msg = json_string_value(json_object_get(j, "log"));
    time = json_string_value(json_object_get(j, "time"));
    stream = json_string_value(json_object_get(j, "stream"));
    if (msg && time &&
        (o->since_ns == 0 && o->until_ns == 0 ? true : parse_rfc3339(time, &t) == 0) &&
        (o->since_ns == 0 || t >= o->since_ns) && (o->until_ns == 0 || t <= o->until_ns))
        r = sink(data, stream && strcmp(stream, "stderr") == 0 ? 2 : 1, time, msg, strlen(msg));
    json_decref(j);
    return r;
}

int hull_engine_logs_to(struct hull_engine *e, const char *ref, const struct hull_logs_opts *o,
                        hull_log_sink sink, void *data, hull_error *err)
{
    _cleanup_free_ char *id = NULL, *dir = NULL, *path = NULL;
    _cleanup_fclose_ FILE *f = NULL;
    char *line = NULL;
    size_t cap = 0;
    long total = 0, skip = 0;
    int r = 0;

    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return -1;
    dir = hull_engine_dir(e, id);
    path = xasprintf("%s/%s-json.log", dir, id);
    f = fopen(path, "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : hull_error_set(err, errno, "open %s", path);
    if (o->tail >= 0) {
        while (getline(&line, &cap, f) > 0)
            total++;
        skip = total > o->tail ? total - o->tail : 0;
        rewind(f);
    }
    for (;;) {
        while (r == 0 && getline(&line, &cap, f) > 0) {
            if (skip > 0) {
                skip--;
                continue;
            }
            r = emit_record(line, o, sink, data);
        }
        if (r != 0 || !o->follow || !container_running(e, id) ||
            (o->until_ns && hull_now_ns() > o->until_ns))
            break;
        /* An idle tick lets the sink notice that its reader went away. */
        r = sink(data, 0, NULL, NULL, 0);
        if (r != 0)
            break;
        clearerr(f);
        usleep(100000);
    }
    free(line);
    return r < 0 ? hull_error_msg(err, EPIPE, "logs of %s: output closed", ref) : 0;
}

static int print_log(void *data, int stream, const char *time, const char *msg, size_t len)
{
    const struct hull_logs_opts *o = data;
    FILE *to = stream == 2 ? stderr : stdout;
    if (msg == NULL)
        return 0;
    if (o->timestamps)
        fprintf(to, "%s ", time);
    fwrite(msg, 1, len, to);
    fflush(to);
    return 0;
}

int hull_engine_logs(struct hull_engine *e, const char *ref, const struct hull_logs_opts *o,
                     hull_error *err)
{
    return hull_engine_logs_to(e, ref, o, print_log, (void *)o, err);
}

int hull_engine_events_to(struct hull_engine *e, int64_t since_ns, int64_t until_ns, char **filters,
                          bool follow, hull_event_sink sink, void *data, hull_error *err)
{
    int64_t last = 0;
    const char *type = NULL, *container = NULL;
    int abnormal = -1;

    for (size_t i = 0; filters && filters[i]; i++) {
        const char *f = filters[i];
        if (hull_str_has_prefix(f, "type=") || hull_str_has_prefix(f, "event="))
            type = strchr(f, '=') + 1;
        else if (hull_str_has_prefix(f, "container="))
            container = f + 10;
        else if (strcmp(f, "abnormal=true") == 0 || strcmp(f, "abnormal=1") == 0)
            abnormal = 1;
        else if (strcmp(f, "abnormal=false") == 0 || strcmp(f, "abnormal=0") == 0)
            abnormal = 0;
        else
            return hull_error_msg(err, EINVAL, "--filter \"%s\": unknown filter", f);
    }
    for (;;) {
        json_t *rows, *ev;
        size_t i;
        int r = 0;
        if (hull_db_query(
                e->db, &rows, err,
                "SELECT * FROM events WHERE time >= ? AND (? = 0 OR time <= ?) AND seq > ? "
                "AND (? IS NULL OR type = ?) AND (? IS NULL OR container = ? OR name = ? "
                "OR container LIKE ? || '%') AND (? < 0 OR abnormal = ?) ORDER BY seq",
                "iiiissssssii", since_ns, until_ns, until_ns, last, type, type, container,
                container, container, container, (int64_t)abnormal, (int64_t)abnormal) < 0)
            return -1;
        json_array_foreach (rows, i, ev) {
            last = json_integer_value(json_object_get(ev, "seq"));
            json_object_set_new(ev, "abnormal",
                                json_boolean(json_integer_value(json_object_get(ev, "abnormal"))));
            json_object_del(ev, "seq");
            r = sink(data, ev);
            if (r != 0)
                break;
        }
        json_decref(rows);
        if (r == 0 && follow && !(until_ns && hull_now_ns() > until_ns))
            r = sink(data, NULL);
        if (r < 0)
            return hull_error_msg(err, EPIPE, "events: output closed");
        if (r > 0 || !follow || (until_ns && hull_now_ns() > until_ns))
            return 0;
        usleep(50000);
    }
}

/* One hull event row in docker's shape. */
json_t *hull_event_docker(json_t *ev)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *id = json_string_value(json_object_get(ev, "container"));
    json_int_t t = json_integer_value(json_object_get(ev, "time"));
    json_t *attrs = json_object();
    char buf[32];

    if (json_is_string(json_object_get(ev, "name")))
        json_object_set(attrs, "name", json_object_get(ev, "name"));
    if (json_is_string(json_object_get(ev, "image")))
        json_object_set(attrs, "image", json_object_get(ev, "image"));
    if (type && strcmp(type, "die") == 0) {
        snprintf(buf, sizeof(buf), "%lld", json_integer_value(json_object_get(ev, "exit_code")));
        json_object_set_new(attrs, "exitCode", json_string(buf));
    }
    if (json_integer_value(json_object_get(ev, "signal"))) {
        snprintf(buf, sizeof(buf), "%lld", json_integer_value(json_object_get(ev, "signal")));
        json_object_set_new(attrs, "signal", json_string(buf));
    }
    if (json_is_true(json_object_get(ev, "abnormal"))) {
        json_object_set_new(attrs, "abnormal", json_string("true"));
        if (json_is_string(json_object_get(ev, "reason")))
            json_object_set(attrs, "reason", json_object_get(ev, "reason"));
    }
    return json_pack("{s:s?, s:s?, s:s?, s:s, s:s?, s:{s:s?, s:o}, s:s, s:I, s:I}", "status", type,
                     "id", id, "from", json_string_value(json_object_get(ev, "image")), "Type",
                     "container", "Action", type, "Actor", "ID", id, "Attributes", attrs, "scope",
                     "local", "time", t / 1000000000LL, "timeNano", t);
}

static int print_event(void *data, json_t *ev)
{
    char *s;
    (void)data;
    if (ev == NULL) {
        fflush(stdout);
        return 0;
    }
    s = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    puts(s);
    free(s);
    return 0;
}

int hull_engine_events(struct hull_engine *e, int64_t since_ns, char **filters, bool follow,
                       hull_error *err)
{
    int r = hull_engine_events_to(e, since_ns, 0, filters, follow, print_event, NULL, err);
    fflush(stdout);
    return r;
}
