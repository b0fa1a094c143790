/* /containers: list, create, inspect, start/stop/kill/restart, delete. */
#include "internal.h"
#include "../base/util.h"
#include "../base/json.h"
#include "../image/image.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t api_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int api_parse_filters(const char *s, json_t **out, hull_error *err)
{
    json_error_t je;
    json_t *j, *v, *x, *norm = json_object();
    const char *k, *xk;
    size_t i;

    *out = norm;
    if (s == NULL || s[0] == '\0')
        return 0;
    j = json_loads(s, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return hull_error_msg(err, EINVAL, "filters: expected a JSON object: %s",
                              j ? "not an object" : je.text);
    }
    json_object_foreach (j, k, v) {
        json_t *arr = json_array();
        json_object_set_new(norm, k, arr);
        if (json_is_array(v)) {
            json_array_foreach (v, i, x) {
                if (!json_is_string(x))
                    goto bad;
                json_array_append(arr, x);
            }
        } else if (json_is_object(v)) {
            json_object_foreach (v, xk, x) {
                if (!json_is_true(x))
                    goto bad;
                json_array_append_new(arr, json_string(xk));
            }
        } else {
            goto bad;
        }
        continue;
    bad:
        hull_error_msg(err, EINVAL, "filters.%s: expected an array of strings", k);
        json_decref(j); /* k points into j */
        return -1;
    }
    json_decref(j);
    return 0;
}

static json_t *load_json_string(json_t *row, const char *col)
{
    const char *s = json_string_value(json_object_get(row, col));
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;
    return j ? j : json_object();
}

/* The row of one container (from the list), or NULL. */
static json_t *find_row(struct hull_engine *e, const char *id)
{
    json_t *rows, *r, *found = NULL;
    size_t i;
    if (hull_engine_list(e, true, &rows, NULL) < 0)
        return NULL;
    json_array_foreach (rows, i, r)
        if (strcmp(json_string_value(json_object_get(r, "id")), id) == 0)
            found = json_incref(r);
    json_decref(rows);
    return found;
}

static char *human_ago(int64_t ns)
{
    long long s = (api_now_ns() - ns) / 1000000000LL;
    if (s < 1)
        return xstrdup("Less than a second");
    if (s < 60)
        return xasprintf("%lld second%s", s, s == 1 ? "" : "s");
    if (s < 3600)
        return xasprintf("%lld minute%s", s / 60, s / 60 == 1 ? "" : "s");
    if (s < 48 * 3600)
        return xasprintf("%lld hour%s", s / 3600, s / 3600 == 1 ? "" : "s");
    return xasprintf("%lld days", s / 86400);
}

static char *status_text(json_t *row)
{
    const char *st = json_string_value(json_object_get(row, "state"));
    _cleanup_free_ char *ago = NULL;
    if (strcmp(st, "running") == 0) {
        ago = human_ago(json_integer_value(json_object_get(row, "started_at")));
        return xasprintf("Up %s%s", ago,
                         json_is_true(json_object_get(row, "paused")) ? " (Paused)" : "");
    }
    if (strcmp(st, "exited") == 0 && json_integer_value(json_object_get(row, "finished_at")) <= 0)
        return xasprintf("Exited (%lld)", json_integer_value(json_object_get(row, "exit_code")));
    if (strcmp(st, "exited") == 0) {
        ago = human_ago(json_integer_value(json_object_get(row, "finished_at")));
        return xasprintf("Exited (%lld) %s ago",
                         json_integer_value(json_object_get(row, "exit_code")), ago);
    }
    if (strcmp(st, "created") == 0)
        return xstrdup("Created");
    return xasprintf("%c%s", st[0] - 32 * (st[0] >= 'a' && st[0] <= 'z'), st + 1);
}

/* Docker's ports list from CNI portMappings. */
static json_t *ports_list(json_t *row)
{
    const char *s = json_string_value(json_object_get(row, "ports"));
    json_t *pm = s ? json_loads(s, 0, NULL) : NULL, *p, *out = json_array();
    size_t i;
    json_array_foreach (pm, i, p) {
        const char *ip = json_string_value(json_object_get(p, "hostIP"));
        json_array_append_new(
            out, json_pack("{s:s, s:I, s:I, s:s}", "IP", ip && ip[0] ? ip : "0.0.0.0",
                           "PrivatePort", json_integer_value(json_object_get(p, "containerPort")),
                           "PublicPort", json_integer_value(json_object_get(p, "hostPort")), "Type",
                           json_string_value(json_object_get(p, "protocol")) ?: "tcp"));
    }
    json_decref(pm);
    return out;
}

static json_t *labels_of(json_t *inspect)
{
    json_t *a = json_object_get(json_object_get(inspect, "OCIConfig"), "annotations");
    return json_is_object(a) ? json_deep_copy(a) : json_object();
}

/* The container's argv joined by spaces, as docker ps shows it. */
static char *command_line(json_t *inspect)
{
    return hull_json_join_args(
        json_object_get(json_object_get(json_object_get(inspect, "OCIConfig"), "process"), "args"),
        0);
}

static bool match_any(json_t *vals, bool (*pred)(const char *want, void *ctx), void *ctx)
{
    json_t *v;
    size_t i;
    if (json_array_size(vals) == 0)
        return true;
    json_array_foreach (vals, i, v)
        if (pred(json_string_value(v), ctx))
            return true;
    return false;
}

static bool name_pred(const char *want, void *ctx)
{
    const char *name = ctx;
    if (want[0] == '/')
        want++;
    return strstr(name, want) != NULL;
}

static bool id_pred(const char *want, void *ctx)
{
    return hull_str_has_prefix(ctx, want);
}

static bool status_pred(const char *want, void *ctx)
{
    return strcmp(want, ctx) == 0;
}

static bool label_pred(const char *want, void *ctx)
{
    json_t *labels = ctx;
    const char *eq = strchr(want, '=');
    _cleanup_free_ char *key = eq ? strndup(want, (size_t)(eq - want)) : xstrdup(want);
    json_t *v = json_object_get(labels, key);
    return v && (eq == NULL || strcmp(json_string_value(v), eq + 1) == 0);
}

/* NetworkSettings.Networks: every network the container is on (its first
 * and those connected since), as the engine's inspect lists them, with
 * address and aliases; none/host are not shown. */
static json_t *networks_of(json_t *ins)
{
    json_t *en = json_object_get(json_object_get(ins, "NetworkSettings"), "Networks"), *v;
    json_t *networks = json_object();
    const char *k;

    json_object_foreach (en, k, v)
        if (strcmp(k, "none") != 0 && strcmp(k, "host") != 0)
            json_object_set_new(networks, k,
                                json_pack("{s:O?, s:O?}", "IPAddress",
                                          json_object_get(v, "IPAddress"), "Aliases",
                                          json_object_get(v, "Aliases")));
    return networks;
}

int api_containers_list(struct api_req *r)
{
    static const char *const known[] = {"name", "id", "status", "label"};
    struct hull_engine e;
    hull_error err = {0};
    bool bad = false, all = api_query_bool(r, "all", &bad);
    json_t *filters = NULL, *rows, *row, *out = json_array(), *v;
    const char *k;
    size_t i;

    if (bad) {
        json_decref(out);
        return api_error(r, 400, "all: expected a boolean");
    }
    if (api_parse_filters(api_query(r, "filters"), &filters, &err) < 0) {
        json_decref(out);
        return api_fail(r, &err);
    }
    json_object_foreach (filters, k, v) {
        bool ok = false;
        for (i = 0; i < HULL_ARRAY_SIZE(known); i++)
            ok |= strcmp(k, known[i]) == 0;
        if (!ok) {
            int ret =
                api_error(r, 400, "invalid filter '%s' (hull supports name, id, status, label)", k);
            json_decref(filters);
            json_decref(out);
            return ret;
        }
    }
    /* A status filter looks at stopped containers too, as docker's does. */
    if (json_array_size(json_object_get(filters, "status")))
        all = true;
    if (api_open(r->srv, &e, false, &err) < 0 || hull_engine_list(&e, all, &rows, &err) < 0) {
        json_decref(filters);
        json_decref(out);
        return api_fail(r, &err);
    }
    hull_engine_mark_paused(&e, rows); /* docker: State "paused", Status "Up ... (Paused)" */
    json_array_foreach (rows, i, row) {
        const char *id = json_string_value(json_object_get(row, "id"));
        const char *name = json_string_value(json_object_get(row, "name"));
        const char *state = json_is_true(json_object_get(row, "paused"))
                                ? "paused"
                                : json_string_value(json_object_get(row, "state"));
        json_t *ins = NULL, *labels, *opts, *networks;
        _cleanup_free_ char *status = NULL, *slash = NULL, *command = NULL;
        _cleanup_free_ char *mode = hull_network_mode(row);
        if (hull_engine_inspect(&e, id, &ins, NULL) < 0)
            continue; /* removed meanwhile */
        labels = labels_of(ins);
        command = command_line(ins);
        networks = networks_of(ins);
        json_decref(ins);
        if (!match_any(json_object_get(filters, "name"), name_pred, (void *)name) ||
            !match_any(json_object_get(filters, "id"), id_pred, (void *)id) ||
            !match_any(json_object_get(filters, "status"), status_pred, (void *)state) ||
            !match_any(json_object_get(filters, "label"), label_pred, labels)) {
            json_decref(labels);
            json_decref(networks);
            continue;
        }
        status = status_text(row);
        slash = xasprintf("/%s", name);
        opts = load_json_string(row, "opts");
        json_array_append_new(
            out,
            json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s, s:{s:s}, "
                      "s:{s:o}, s:[]}",
                      "Id", id, "Names", slash, "Image",
                      json_string_value(json_object_get(row, "image")) ?: "", "ImageID",
                      json_string_value(json_object_get(row, "rootfs")) ?: "", "Command", command,
                      "Created", json_integer_value(json_object_get(row, "created")) / 1000000000LL,
                      "Ports", ports_list(row), "Labels", labels, "State", state, "Status", status,
                      "HostConfig", "NetworkMode", mode, "NetworkSettings", "Networks", networks,
                      "Mounts"));
        json_decref(opts);
    }
    json_decref(rows);
    json_decref(filters);
    api_close(&e);
    return api_json(r, 200, out);
}

int api_containers_create(struct api_req *r)
{
    struct hull_api_create c;
    struct hull_engine e;
    struct hull_image *img = NULL;
    hull_error err = {0};
    _cleanup_free_ char *id = NULL;
    const char *name = api_query(r, "name");
    int status = 0;

    if (hull_api_parse_create(r->body ? r->body : "", r->body_len, &c, &err) < 0)
        return api_fail(r, &err);
    if (name && name[0])
        c.run.name = name[0] == '/' ? name + 1 : name;
    if (api_open(r->srv, &e, true, &err) < 0) {
        hull_api_create_clear(&c);
        return api_fail(r, &err);
    }
    /* docker's CLI pulls on a 404 that says "No such image". */
    if (hull_image_lookup(e.images, c.run.image, &img, &err) < 0) {
        int ret = err.errnum == ENOENT ? api_error(r, 404, "No such image: %s", c.run.image)
                                       : api_fail(r, &err);
        hull_error_clear(&err);
        hull_api_create_clear(&c);
        api_close(&e);
        return ret;
    }
    hull_image_free(img);
    if (hull_engine_run(&e, &c.run, true, &id, &status, &err) < 0) {
        hull_api_create_clear(&c);
        api_close(&e);
        return api_fail(r, &err);
    }
    hull_api_create_clear(&c);
    api_close(&e);
    return api_json(r, 201, json_pack("{s:s, s:[]}", "Id", id, "Warnings"));
}

/* Docker's inspect document from hull's (engine inspect + the row). */
static json_t *docker_inspect(json_t *ins, json_t *row)
{
    json_t *oci = json_object_get(ins, "OCIConfig");
    json_t *proc = json_object_get(oci, "process");
    json_t *args = json_object_get(proc, "args");
    json_t *res = json_object_get(json_object_get(oci, "linux"), "resources");
    json_t *opts = load_json_string(row, "opts");
    json_t *st = json_object_get(ins, "State");
    json_t *user = json_object_get(proc, "user");
    json_t *rest_args = json_array(), *ports = json_object(), *p, *networks;
    /* The engine's inspect knows about pause (the row says "running"). */
    const char *state = json_string_value(json_object_get(st, "Status"))
                            ?: json_string_value(json_object_get(row, "state"));
    bool paused = json_is_true(json_object_get(st, "Paused"));
    _cleanup_free_ char *net = hull_network_mode(row);
    const char *restart = json_string_value(json_object_get(opts, "restart")) ?: "no";
    _cleanup_free_ char *created = api_rfc3339(json_integer_value(json_object_get(row, "created")));
    _cleanup_free_ char *started =
        api_rfc3339(json_integer_value(json_object_get(row, "started_at")));
    _cleanup_free_ char *finished =
        api_rfc3339(json_integer_value(json_object_get(row, "finished_at")));
    _cleanup_free_ char *name = xasprintf("/%s", json_string_value(json_object_get(row, "name")));
    _cleanup_free_ char *uid =
        xasprintf("%lld:%lld", json_integer_value(json_object_get(user, "uid")),
                  json_integer_value(json_object_get(user, "gid")));
    _cleanup_free_ char *restart_name = xstrdup(restart);
    long long max_retry = 0;
    json_t *out;
    size_t i;

    for (i = 1; i < json_array_size(args); i++)
        json_array_append(rest_args, json_array_get(args, i));
    if (strchr(restart_name, ':')) {
        max_retry = atoll(strchr(restart_name, ':') + 1);
        *strchr(restart_name, ':') = '\0';
    }
    json_array_foreach (json_object_get(ins, "Ports"), i, p) {
        _cleanup_free_ char *key =
            xasprintf("%lld/%s", json_integer_value(json_object_get(p, "containerPort")),
                      json_string_value(json_object_get(p, "protocol")) ?: "tcp");
        _cleanup_free_ char *hp =
            xasprintf("%lld", json_integer_value(json_object_get(p, "hostPort")));
        json_object_set_new(ports, key,
                            json_pack("[{s:s, s:s}]", "HostIp",
                                      json_string_value(json_object_get(p, "hostIP")) ?: "",
                                      "HostPort", hp));
    }
    networks = networks_of(ins);
    out = json_pack(
        "{s:s, s:s, s:O, s:o, s:{s:s, s:b, s:b, s:b, s:O, s:b, s:I, s:I, s:s, s:s, s:s, s:O, "
        "s:O}, s:s, s:s, s:I, s:s, s:s, "
        "s:{s:s, s:b, s:{s:s, s:I}, s:b, s:b, s:I, s:I, s:I, s:O, s:O, s:o}, "
        "s:{s:s, s:s, s:O, s:O, s:s, s:s, s:n, s:o, s:b, s:b, s:b, s:b, s:b}, "
        "s:{s:s, s:o, s:o}, s:[]}",
        "Id", json_string_value(json_object_get(ins, "Id")), "Created", created, "Path",
        json_array_get(args, 0) ? json_array_get(args, 0) : json_string(""), "Args", rest_args,
        "State", "Status", state, "Running", strcmp(state, "running") == 0 || paused, "Paused",
        paused, "Restarting", strcmp(state, "restarting") == 0, "OOMKilled",
        json_object_get(st, "OOMKilled") ?: json_false(), "Dead", 0, "Pid",
        json_integer_value(json_object_get(row, "pid")), "ExitCode",
        json_integer_value(json_object_get(row, "exit_code")), "Error", "", "StartedAt", started,
        "FinishedAt", finished, "Abnormal", json_object_get(st, "Abnormal") ?: json_false(),
        "Reason", json_object_get(st, "Reason") ?: json_null(), "Image",
        json_string_value(json_object_get(row, "rootfs")) ?: "", "Name", name, "RestartCount",
        json_integer_value(json_object_get(row, "restart_count")), "Driver", "overlay", "Platform",
        "linux", "HostConfig", "NetworkMode", net, "AutoRemove",
        json_is_true(json_object_get(opts, "rm")), "RestartPolicy", "Name",
        strcmp(restart_name, "no") == 0 ? "" : restart_name, "MaximumRetryCount",
        (json_int_t)max_retry, "Privileged", json_is_true(json_object_get(opts, "privileged")),
        "ReadonlyRootfs", json_is_true(json_object_get(json_object_get(oci, "root"), "readonly")),
        "Memory", json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")),
        "NanoCpus",
        json_integer_value(json_object_get(json_object_get(res, "cpu"), "quota")) * 10000,
        "PidsLimit", json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")),
        "Binds", json_null(), "CapAdd", json_null(), "PortBindings", json_deep_copy(ports),
        "Config", "Hostname", json_string_value(json_object_get(oci, "hostname")) ?: "", "User",
        uid, "Env", json_object_get(proc, "env") ?: json_null(), "Cmd",
        json_object_get(proc, "args") ?: json_null(), "Image",
        json_string_value(json_object_get(row, "image")) ?: "", "WorkingDir",
        json_string_value(json_object_get(proc, "cwd")) ?: "/", "Entrypoint", "Labels",
        labels_of(ins), "Tty", json_is_true(json_object_get(proc, "terminal")), "OpenStdin",
        json_is_true(json_object_get(opts, "interactive")), "AttachStdin", 0, "AttachStdout", 1,
        "AttachStderr", 1, "NetworkSettings", "IPAddress",
        json_string_value(json_object_get(row, "ip")) ?: "", "Ports", ports, "Networks", networks,
        "Mounts");
    json_decref(opts);
    return out;
}

int api_container_inspect(struct api_req *r, const char *ref)
{
    struct hull_engine e;
    hull_error err = {0};
    json_t *ins, *row, *out;

    if (api_open(r->srv, &e, false, &err) < 0 || hull_engine_inspect(&e, ref, &ins, &err) < 0) {
        api_close(&e);
        if (err.errnum == ENOENT) {
            hull_error_clear(&err);
            return api_error(r, 404, "No such container: %s", ref);
        }
        return api_fail(r, &err);
    }
    row = find_row(&e, json_string_value(json_object_get(ins, "Id")));
    api_close(&e);
    if (row == NULL) {
        json_decref(ins);
        return api_error(r, 404, "No such container: %s", ref);
    }
    out = docker_inspect(ins, row);
    json_decref(ins);
    json_decref(row);
    return out ? api_json(r, 200, out) : api_error(r, 500, "inspect %s: cannot build", ref);
}

int api_inspect(struct api_server *s, const char *ref, json_t **out, hull_error *err)
{
    struct hull_engine e;
    int ret;

    if (api_open(s, &e, false, err) < 0)
        return -1;
    ret = hull_engine_inspect(&e, ref, out, err);
    api_close(&e);
    return ret < 0 ? api_no_such_container(err, ref) : ret;
}

int api_require_running(struct api_server *s, const char *ref, hull_error *err)
{
    json_t *ins = NULL;
    bool running;

    if (api_inspect(s, ref, &ins, err) < 0)
        return -1;
    running = json_is_true(json_object_get(json_object_get(ins, "State"), "Running"));
    json_decref(ins);
    if (!running)
        return hull_error_msg(err, EBUSY, "Container %s is not running", ref);
    return 0;
}

/* The state of `ref`: 0 and *state (caller frees), or -1 with a 404 error. */
static int lookup_state(struct hull_engine *e, const char *ref, char **id, char **state,
                        hull_error *err)
{
    json_t *row;
    if (hull_engine_lookup(e, ref, id, err) < 0)
        return api_no_such_container(err, ref);
    row = find_row(e, *id);
    if (row == NULL)
        return hull_error_msg(err, ENOENT, "No such container: %s", ref);
    *state = xstrdup(json_string_value(json_object_get(row, "state")));
    json_decref(row);
    return 0;
}

/* From a spawner worker: the monitor it forks inherits only /dev/null. */
static int start_container(struct api_server *s, const char *id, hull_error *err)
{
    int client = api_attach_take(s, id);
    json_t *req = json_pack("{s:s, s:s, s:b}", "op", "start", "id", id, "client", client >= 0);
    int reply, status = 0, r;
    r = api_spawn(s, req, client, -1, -1, &reply, err);
    json_decref(req);
    if (client >= 0)
        close(client);
    return r < 0 ? -1 : api_spawn_wait(reply, &status, err);
}

int api_container_action(struct api_req *r, const char *ref, const char *action)
{
    struct hull_engine e;
    hull_error err = {0};
    _cleanup_free_ char *id = NULL, *state = NULL;
    bool running;
    int ret = 0;

    if (api_open(r->srv, &e, false, &err) < 0 || lookup_state(&e, ref, &id, &state, &err) < 0) {
        api_close(&e);
        return api_fail(r, &err);
    }
    running = strcmp(state, "running") == 0 || strcmp(state, "restarting") == 0;
    if (strcmp(action, "start") == 0) {
        if (running) {
            api_close(&e);
            return api_empty(r, 304);
        }
        ret = start_container(r->srv, id, &err);
        /* docker removes an AutoRemove container whose start failed; the
         * monitor leaves it (exited, 125) when setup fails. */
        if (ret < 0) {
            json_t *row = find_row(&e, id), *opts = row ? load_json_string(row, "opts") : NULL;
            if (json_is_true(json_object_get(opts, "rm")))
                hull_engine_rm(&e, id, true, false, NULL);
            json_decref(opts);
            json_decref(row);
        }
        api_close(&e);
    } else if (strcmp(action, "stop") == 0 || strcmp(action, "restart") == 0) {
        const char *t = api_query(r, "t");
        unsigned long long secs = 10;
        if (t && (hull_parse_u64(t, &secs) < 0 || secs > 3600)) {
            api_close(&e);
            return api_error(r, 400, "t: \"%s\" is not a number of seconds", t);
        }
        if (!running && action[2] == 'o') {
            api_close(&e);
            return api_empty(r, 304);
        }
        ret = running ? hull_engine_stop(&e, id, (int)secs, &err) : 0;
        api_close(&e);
        if (ret == 0 && action[0] == 'r')
            ret = start_container(r->srv, id, &err);
    } else { /* kill */
        const char *sig = api_query(r, "signal");
        int signo = sig && sig[0] ? hull_parse_signal(sig) : SIGKILL;
        if (signo <= 0) {
            api_close(&e);
            return api_error(r, 400, "signal: invalid signal \"%s\"", sig);
        }
        if (!running) {
            api_close(&e);
            return api_error(r, 409, "Container %s is not running", ref);
        }
        ret = hull_engine_kill(&e, id, signo, &err);
        api_close(&e);
    }
    return ret < 0 ? api_fail(r, &err) : api_empty(r, 204);
}

int api_container_delete(struct api_req *r, const char *ref)
{
    struct hull_engine e;
    hull_error err = {0};
    bool bad = false, force = api_query_bool(r, "force", &bad), v = api_query_bool(r, "v", &bad);
    _cleanup_free_ char *id = NULL, *state = NULL;
    int ret;

    if (bad)
        return api_error(r, 400, "force, v: expected booleans");
    if (api_open(r->srv, &e, false, &err) < 0 || lookup_state(&e, ref, &id, &state, &err) < 0) {
        api_close(&e);
        return api_fail(r, &err);
    }
    if (!force && strcmp(state, "running") == 0) {
        api_close(&e);
        return api_error(r, 409,
                         "You cannot remove a running container %s. Stop the container before "
                         "attempting removal or force remove",
                         id);
    }
    ret = hull_engine_rm(&e, id, force, v, &err);
    api_close(&e);
    return ret < 0 ? api_fail(r, &err) : api_empty(r, 204);
}

/* POST /containers/{id}/pause and /unpause: the engine's freezer, with
 * dockerd's 409s for a container that is not running or already so. */
int api_container_pause(struct api_req *r, const char *ref, bool pause)
{
    struct hull_engine e;
    hull_error err = {0};
    json_t *ins = NULL, *state;
    bool running, paused;
    int ret;

    if (api_inspect(r->srv, ref, &ins, &err) < 0)
        return api_fail(r, &err);
    state = json_object_get(ins, "State");
    running = json_is_true(json_object_get(state, "Running"));
    paused = json_is_true(json_object_get(state, "Paused"));
    json_decref(ins);
    if (!running)
        return api_error(r, 409, "Container %s is not running", ref);
    if (paused == pause)
        return api_error(
            r, 409, pause ? "Container %s is already paused" : "Container %s is not paused", ref);
    if (api_open(r->srv, &e, false, &err) < 0)
        return api_fail(r, &err);
    ret = hull_engine_pause(&e, ref, pause, &err);
    api_close(&e);
    return ret < 0 ? api_fail(r, &err) : api_empty(r, 204);
}

/* POST /containers/{id}/rename?name=NEW */
int api_container_rename(struct api_req *r, const char *ref)
{
    const char *name = api_query(r, "name");
    struct hull_engine e;
    hull_error err = {0};
    json_t *ins = NULL;
    int ret;

    if (name == NULL || name[0] == '\0')
        return api_error(r, 400, "name: a new name is required");
    if (name[0] == '/') /* docker's names carry one */
        name++;
    if (api_inspect(r->srv, ref, &ins, &err) < 0)
        return api_fail(r, &err);
    json_decref(ins);
    if (api_open(r->srv, &e, false, &err) < 0)
        return api_fail(r, &err);
    ret = hull_engine_rename(&e, ref, name, &err);
    api_close(&e);
    return ret < 0 ? api_fail(r, &err) : api_empty(r, 204);
}
