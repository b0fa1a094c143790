/* Streams of a container: logs and wait (attach: attach.c). */
#include "internal.h"
#include "../base/util.h"
#include "../base/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct out_arg {
    char *id;
    struct hull_logs_opts logs;
    bool tty, want[3]; /* want[1] stdout, want[2] stderr */
    int fd;
};

static void free_out_arg(void *p)
{
    struct out_arg *a = p;
    free(a->id);
    free(a);
}

/* One record onto the connection: raw with a TTY, else docker's framing. */
static int send_record(void *data, int stream, const char *time, const char *msg, size_t len)
{
    struct out_arg *a = data;
    _cleanup_free_ char *buf = NULL;

    if (msg == NULL)
        return api_fd_closed(a->fd) ? -1 : 0;
    if (!a->want[stream == 2 ? 2 : 1])
        return 0;
    if (a->logs.timestamps) {
        buf = xasprintf("%s %.*s", time, (int)len, msg);
        msg = buf;
        len = strlen(buf);
    }
    if (a->tty)
        return api_write_all(a->fd, msg, len) < 0 ? -1 : 0;
    return api_write_frame(a->fd, stream == 2 ? 2 : 1, msg, len) < 0 ? -1 : 0;
}

/* The records go onto fd. */
static void output_producer(struct api_server *s, void *p, int fd)
{
    struct out_arg *a = p;
    struct hull_engine e;
    hull_error err = {0};

    a->fd = fd;
    if (api_open(s, &e, false, &err) == 0) {
        hull_engine_logs_to(&e, a->id, &a->logs, send_record, a, &err);
        api_close(&e);
    }
    hull_error_clear(&err);
}

/* The container's id and whether it has a TTY; 404 when unknown. */
static struct out_arg *out_arg_for(struct api_req *r, const char *ref, hull_error *err)
{
    struct hull_engine e;
    json_t *ins;
    struct out_arg *a;

    if (api_open(r->srv, &e, false, err) < 0)
        return NULL;
    if (hull_engine_inspect(&e, ref, &ins, err) < 0) {
        api_close(&e);
        api_no_such_container(err, ref);
        return NULL;
    }
    api_close(&e);
    a = xmalloc0(sizeof(*a));
    a->id = xstrdup(json_string_value(json_object_get(ins, "Id")));
    a->tty = json_is_true(
        json_object_get(json_object_get(json_object_get(ins, "OCIConfig"), "process"), "terminal"));
    a->logs.tail = -1;
    a->fd = -1;
    json_decref(ins);
    return a;
}

int api_container_logs(struct api_req *r, const char *ref)
{
    hull_error err = {0};
    bool bad = false;
    const char *tail = api_query(r, "tail");
    struct out_arg *a = out_arg_for(r, ref, &err);

    if (a == NULL)
        return api_fail(r, &err);
    a->want[1] = api_query_bool(r, "stdout", &bad);
    a->want[2] = api_query_bool(r, "stderr", &bad);
    a->logs.follow = api_query_bool(r, "follow", &bad);
    a->logs.timestamps = api_query_bool(r, "timestamps", &bad);
    if (bad) {
        free_out_arg(a);
        return api_error(r, 400, "stdout, stderr, follow, timestamps: expected booleans");
    }
    if (!a->want[1] && !a->want[2]) {
        free_out_arg(a);
        return api_error(r, 400, "Bad parameters: you must choose at least one stream");
    }
    if (tail && tail[0] && strcmp(tail, "all") != 0) {
        unsigned long long n;
        if (hull_parse_u64(tail, &n) < 0 || n > 1000000000ULL) {
            free_out_arg(a);
            return api_error(r, 400, "tail: \"%s\" is not a number or \"all\"", tail);
        }
        a->logs.tail = (long)n;
    }
    if (api_query_time(r, "since", &a->logs.since_ns, &err) < 0 ||
        api_query_time(r, "until", &a->logs.until_ns, &err) < 0) {
        free_out_arg(a);
        return api_fail(r, &err);
    }
    return api_stream(r, 200,
                      a->tty ? "application/vnd.docker.raw-stream"
                             : "application/vnd.docker.multiplexed-stream",
                      output_producer, a, free_out_arg);
}

/* ---- wait ----------------------------------------------------------------------------- */

enum wait_cond { WAIT_NOT_RUNNING, WAIT_NEXT_EXIT, WAIT_REMOVED };

struct wait_arg {
    char *id;
    enum wait_cond cond;
    int64_t since;
    long long code;
    bool done, seen_live;
    unsigned ticks;
    int fd;
    struct hull_engine *e;
};

/* The fallback to events, once a second: a start that failed during setup
 * records no "die", and a removal without events must end the wait too. */
static int wait_check_state(struct wait_arg *a)
{
    json_t *ins;
    const char *state;
    int r = 0;

    if (hull_engine_inspect(a->e, a->id, &ins, NULL) < 0)
        return 1; /* removed: the code is the last one seen */
    state = json_string_value(json_object_get(json_object_get(ins, "State"), "Status"));
    if (state && strcmp(state, "exited") != 0) {
        a->seen_live = true;
    } else if (a->cond != WAIT_REMOVED && (a->seen_live || a->cond == WAIT_NOT_RUNNING)) {
        a->code = json_integer_value(json_object_get(json_object_get(ins, "State"), "ExitCode"));
        r = 1;
    }
    json_decref(ins);
    return r;
}

static void free_wait_arg(void *p)
{
    struct wait_arg *a = p;
    free(a->id);
    free(a);
}

/* Events of this container since the request: "die" carries the exit code
 * (also after a --rm removal made the row disappear), "destroy" ends a wait
 * for removal. */
static int wait_event(void *data, json_t *ev)
{
    struct wait_arg *a = data;
    const char *type;
    if (ev == NULL) {
        if (api_fd_closed(a->fd))
            return -1;
        return ++a->ticks % 20 == 0 ? wait_check_state(a) : 0;
    }
    type = json_string_value(json_object_get(ev, "type"));
    if (strcmp(type, "die") == 0) {
        a->code = json_integer_value(json_object_get(ev, "exit_code"));
        if (a->cond != WAIT_REMOVED)
            return 1;
    }
    if (strcmp(type, "destroy") == 0)
        return 1;
    return 0;
}

static void wait_producer(struct api_server *s, void *p, int fd)
{
    struct wait_arg *a = p;
    struct hull_engine e;
    hull_error err = {0};
    char *filters[] = {NULL, NULL};
    _cleanup_free_ char *f = xasprintf("container=%s", a->id);
    json_t *out;
    char *body;

    a->fd = fd;
    filters[0] = f;
    if (!a->done) {
        if (api_open(s, &e, false, &err) < 0) {
            hull_error_clear(&err);
            return;
        }
        a->e = &e;
        if (hull_engine_events_to(&e, a->since, 0, filters, true, wait_event, a, &err) < 0) {
            hull_error_clear(&err);
            api_close(&e);
            return;
        }
        api_close(&e);
    }
    out = json_pack("{s:I, s:n}", "StatusCode", (json_int_t)a->code, "Error");
    body = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    api_write_all(fd, body, strlen(body));
    api_write_all(fd, "\n", 1);
    free(body);
}

int api_container_wait(struct api_req *r, const char *ref)
{
    const char *cond = api_query(r, "condition");
    struct wait_arg *a = xmalloc0(sizeof(*a));
    struct hull_engine e;
    hull_error err = {0};
    json_t *ins;
    const char *state;

    a->since = api_now_ns();
    if (cond == NULL || cond[0] == '\0' || strcmp(cond, "not-running") == 0)
        a->cond = WAIT_NOT_RUNNING;
    else if (strcmp(cond, "next-exit") == 0)
        a->cond = WAIT_NEXT_EXIT;
    else if (strcmp(cond, "removed") == 0)
        a->cond = WAIT_REMOVED;
    else {
        free(a);
        return api_error(r, 400, "condition: \"%s\": expected not-running, next-exit or removed",
                         cond);
    }
    if (api_open(r->srv, &e, false, &err) < 0 || hull_engine_inspect(&e, ref, &ins, &err) < 0) {
        api_close(&e);
        free(a);
        if (err.errnum == ENOENT) {
            hull_error_clear(&err);
            return api_error(r, 404, "No such container: %s", ref);
        }
        return api_fail(r, &err);
    }
    api_close(&e);
    a->id = xstrdup(json_string_value(json_object_get(ins, "Id")));
    state = json_string_value(json_object_get(json_object_get(ins, "State"), "Status"));
    a->code = json_integer_value(json_object_get(json_object_get(ins, "State"), "ExitCode"));
    if (a->cond == WAIT_NOT_RUNNING && strcmp(state, "running") != 0 &&
        strcmp(state, "paused") != 0 && strcmp(state, "restarting") != 0)
        a->done = true;
    a->seen_live = strcmp(state, "exited") != 0;
    json_decref(ins);
    return api_stream(r, 200, "application/json", wait_producer, a, free_wait_arg);
}
