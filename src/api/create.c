/* POST /containers/create: docker's container config (Config + HostConfig in
 * one object) to struct hull_run_opts. Untrusted input: every field is type
 * checked and named in the error; fields hull cannot honour are refused when
 * set, never silently dropped. Fuzzed by tests/fuzz/fuzz_api_create.c. */
#include "api.h"
#include "../base/util.h"
#include "../base/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

static const char *own(struct hull_api_create *c, char *s)
{
    size_t n = hull_strv_len(c->owned);
    c->owned = xrealloc(c->owned, (n + 2) * sizeof(char *));
    c->owned[n] = s;
    c->owned[n + 1] = NULL;
    return s;
}

static void push(char ***v, char *s)
{
    size_t n = hull_strv_len(*v);
    *v = xrealloc(*v, (n + 2) * sizeof(char *));
    (*v)[n] = s;
    (*v)[n + 1] = NULL;
}

/* Absent or null: *out untouched. A string: its copy. */
static int get_string(struct hull_api_create *c, json_t *obj, const char *field, const char *path,
                      const char **out, hull_error *err)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return hull_error_msg(err, EINVAL, "%s%s: expected a string", path, field);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return hull_error_msg(err, EINVAL, "%s%s: contains a NUL byte", path, field);
    *out = own(c, xstrdup(json_string_value(v)));
    return 0;
}

static int get_bool(json_t *obj, const char *field, const char *path, bool *out, hull_error *err)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return hull_error_msg(err, EINVAL, "%s%s: expected true or false", path, field);
    *out = json_is_true(v);
    return 0;
}

static int get_int(json_t *obj, const char *field, const char *path, long long *out,
                   hull_error *err)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return hull_error_msg(err, EINVAL, "%s%s: expected an integer", path, field);
    *out = json_integer_value(v);
    return 0;
}

/* docker's strslice: an array of strings, or one string. NULL (*out
 * untouched) when absent or null. */
static int get_strv(json_t *obj, const char *field, const char *path, char ***out, hull_error *err)
{
    json_t *v = json_object_get(obj, field), *x;
    size_t i;
    char **r = NULL;

    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        push(&r, xstrdup(json_string_value(v)));
    } else if (json_is_array(v)) {
        r = xmalloc0(sizeof(char *));
        json_array_foreach (v, i, x) {
            if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x)) {
                hull_strv_free(r);
                return hull_error_msg(err, EINVAL, "%s%s[%zu]: expected a string", path, field, i);
            }
            push(&r, xstrdup(json_string_value(x)));
        }
    } else {
        return hull_error_msg(err, EINVAL, "%s%s: expected an array of strings", path, field);
    }
    hull_strv_free(*out);
    *out = r;
    return 0;
}

/* {"KEY": "VALUE"} to KEY=VALUE strings (Labels) or KEY:VALUE (Tmpfs). */
static int get_map(json_t *obj, const char *field, const char *path, char sep, char ***out,
                   hull_error *err)
{
    json_t *v = json_object_get(obj, field), *x;
    const char *k;

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return hull_error_msg(err, EINVAL, "%s%s: expected an object of strings", path, field);
    json_object_foreach (v, k, x) {
        if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x))
            return hull_error_msg(err, EINVAL, "%s%s.%s: expected a string", path, field, k);
        if (k[0] == '\0' || strchr(k, sep))
            return hull_error_msg(err, EINVAL, "%s%s: invalid key \"%s\"", path, field, k);
        if (sep == ':' && json_string_length(x) == 0)
            push(out, xstrdup(k));
        else
            push(out, xasprintf("%s%c%s", k, sep, json_string_value(x)));
    }
    return 0;
}

/* {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} to -p strings. */
static int get_ports(json_t *hc, struct hull_run_opts *o, hull_error *err)
{
    json_t *pb = json_object_get(hc, "PortBindings"), *list, *b;
    const char *port;
    size_t i;

    if (pb == NULL || json_is_null(pb))
        return 0;
    if (!json_is_object(pb))
        return hull_error_msg(err, EINVAL, "HostConfig.PortBindings: expected an object");
    json_object_foreach (pb, port, list) {
        if (json_is_null(list))
            continue;
        if (!json_is_array(list))
            return hull_error_msg(err, EINVAL, "HostConfig.PortBindings.%s: expected an array",
                                  port);
        json_array_foreach (list, i, b) {
            const char *ip = json_string_value(json_object_get(b, "HostIp"));
            const char *hp = json_string_value(json_object_get(b, "HostPort"));
            if (!json_is_object(b) ||
                (json_object_get(b, "HostIp") && !json_is_string(json_object_get(b, "HostIp"))) ||
                (json_object_get(b, "HostPort") && !json_is_string(json_object_get(b, "HostPort"))))
                return hull_error_msg(err, EINVAL,
                                      "HostConfig.PortBindings.%s[%zu]: expected "
                                      "{\"HostIp\": string, \"HostPort\": string}",
                                      port, i);
            if (hp == NULL || hp[0] == '\0')
                return hull_error_msg(err, EINVAL,
                                      "HostConfig.PortBindings.%s[%zu].HostPort: a host port is "
                                      "needed (hull does not pick one)",
                                      port, i);
            if (ip && ip[0])
                push(&o->ports, xasprintf("%s:%s:%s", ip, hp, port));
            else
                push(&o->ports, xasprintf("%s:%s", hp, port));
        }
    }
    return 0;
}

static int get_restart(struct hull_api_create *c, json_t *hc, hull_error *err)
{
    json_t *rp = json_object_get(hc, "RestartPolicy");
    const char *name = NULL;
    long long max = 0;

    if (rp == NULL || json_is_null(rp))
        return 0;
    if (!json_is_object(rp))
        return hull_error_msg(err, EINVAL, "HostConfig.RestartPolicy: expected an object");
    if (get_string(c, rp, "Name", "HostConfig.RestartPolicy.", &name, err) < 0 ||
        get_int(rp, "MaximumRetryCount", "HostConfig.RestartPolicy.", &max, err) < 0)
        return -1;
    if (name == NULL || name[0] == '\0' || strcmp(name, "no") == 0)
        return 0;
    if (max < 0 || max >= 1000000)
        return hull_error_msg(
            err, EINVAL, "HostConfig.RestartPolicy.MaximumRetryCount: %lld is out of range", max);
    if (strcmp(name, "on-failure") == 0) {
        c->run.restart = max ? own(c, xasprintf("on-failure:%lld", max)) : name;
    } else if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0) {
        if (max)
            return hull_error_msg(err, EINVAL,
                                  "HostConfig.RestartPolicy: MaximumRetryCount needs on-failure");
        c->run.restart = name;
    } else {
        return hull_error_msg(err, EINVAL,
                              "HostConfig.RestartPolicy.Name \"%s\": expected no, always, "
                              "unless-stopped or on-failure",
                              name);
    }
    return 0;
}

/* Options hull does not have: refused when set to anything but the default. */
static int refuse_unsupported(json_t *hc, hull_error *err)
{
    static const char *const fields[] = {"Devices",     "Ulimits", "DeviceRequests",
                                         "VolumesFrom", "Links",   "ExtraHosts",
                                         "Dns",         "Sysctls"};
    json_t *v;

    for (size_t i = 0; i < HULL_ARRAY_SIZE(fields); i++) {
        v = json_object_get(hc, fields[i]);
        if (v && !json_is_null(v) && !(json_is_array(v) && json_array_size(v) == 0) &&
            !(json_is_object(v) && json_object_size(v) == 0))
            return hull_error_msg(err, ENOTSUP, "HostConfig.%s: not supported by hull", fields[i]);
    }
    if (json_is_true(json_object_get(hc, "Init")))
        return hull_error_msg(err, ENOTSUP, "HostConfig.Init: not supported by hull yet");
    return 0;
}

static int parse_host_config(struct hull_api_create *c, json_t *hc, hull_error *err)
{
    struct hull_run_opts *o = &c->run;
    static const char *const p = "HostConfig.";
    long long nano = 0, pids = 0;
    json_t *pl;

    if (hc == NULL || json_is_null(hc))
        return 0;
    if (!json_is_object(hc))
        return hull_error_msg(err, EINVAL, "HostConfig: expected an object");
    if (refuse_unsupported(hc, err) < 0 || get_strv(hc, "Binds", p, &o->volumes, err) < 0 ||
        get_string(c, hc, "NetworkMode", p, &o->network, err) < 0 || get_ports(hc, o, err) < 0 ||
        get_int(hc, "Memory", p, &o->memory, err) < 0 ||
        get_int(hc, "NanoCpus", p, &nano, err) < 0 ||
        get_bool(hc, "ReadonlyRootfs", p, &o->read_only, err) < 0 ||
        get_strv(hc, "CapAdd", p, &o->cap_add, err) < 0 ||
        get_strv(hc, "CapDrop", p, &o->cap_drop, err) < 0 ||
        get_strv(hc, "SecurityOpt", p, &o->security_opt, err) < 0 ||
        get_map(hc, "Tmpfs", p, ':', &o->tmpfs, err) < 0 ||
        get_bool(hc, "Privileged", p, &o->privileged, err) < 0 ||
        get_bool(hc, "AutoRemove", p, &o->rm, err) < 0 || get_restart(c, hc, err) < 0)
        return -1;
    pl = json_object_get(hc, "PidsLimit");
    if (get_int(hc, "PidsLimit", p, &pids, err) < 0)
        return -1;
    /* docker: null or 0 = the default, -1 = unlimited. */
    if (pl && json_is_integer(pl)) {
        if (pids < -1)
            return hull_error_msg(err, EINVAL, "HostConfig.PidsLimit: %lld is out of range", pids);
        o->pids_limit = pids;
    }
    if (o->memory < 0 || (o->memory > 0 && o->memory < 6 * 1024 * 1024))
        return hull_error_msg(
            err, EINVAL, "HostConfig.Memory: %lld bytes: expected 0 or at least 6 MiB", o->memory);
    if (nano < 0 || nano > 1024LL * 1000000000LL)
        return hull_error_msg(err, EINVAL, "HostConfig.NanoCpus: %lld is out of range", nano);
    o->cpus = (double)nano / 1e9;
    /* "default" is docker's name for its bridge. */
    if (o->network && (o->network[0] == '\0' || strcmp(o->network, "default") == 0))
        o->network = "bridge";
    if (o->rm && o->restart)
        return hull_error_msg(err, EINVAL,
                              "HostConfig: AutoRemove and a RestartPolicy cannot be combined");
    return 0;
}

/* NetworkingConfig.EndpointsConfig: the Aliases of the container's network
 * (keyed by its NetworkMode, as docker's CLI sends them; "default" is the
 * bridge). hull attaches one network at create: others are refused (network
 * connect adds them). Run after parse_host_config. */
static int parse_networking(struct hull_api_create *c, json_t *nc, hull_error *err)
{
    static const char *const p = "NetworkingConfig.EndpointsConfig";
    const char *mode = c->run.network ? c->run.network : "bridge", *key;
    json_t *eps = json_object_get(nc, "EndpointsConfig"), *ep;

    if (nc == NULL || json_is_null(nc))
        return 0;
    if (!json_is_object(nc))
        return hull_error_msg(err, EINVAL, "NetworkingConfig: expected an object");
    if (eps && !json_is_null(eps) && !json_is_object(eps))
        return hull_error_msg(err, EINVAL, "%s: expected an object", p);
    json_object_foreach (eps, key, ep) {
        _cleanup_free_ char *path = xasprintf("%s.%s.", p, key);
        _cleanup_free_ char *field = xasprintf("%s.%s.Aliases", p, key);
        if (json_is_null(ep))
            continue;
        if (!json_is_object(ep))
            return hull_error_msg(err, EINVAL, "%s.%s: expected an object", p, key);
        if (strcmp(key, mode) != 0 && !(strcmp(key, "default") == 0 && strcmp(mode, "bridge") == 0))
            return hull_error_msg(err, EINVAL,
                                  "%s.%s: not the container's network (NetworkMode %s): hull "
                                  "connects further networks with network connect",
                                  p, key, mode);
        if (get_strv(ep, "Aliases", path, &c->run.aliases, err) < 0)
            return -1;
        if (hull_network_check_aliases(field, mode, c->run.aliases, err) < 0)
            return -1;
    }
    return 0;
}

/* Entrypoint [a, b...] + Cmd [c...]: the engine takes one entrypoint element;
 * the rest goes in front of the command, which gives the same argv. */
static void merge_entrypoint(struct hull_run_opts *o, char **ep)
{
    char **cmd = NULL;
    if (ep == NULL)
        return;
    o->entrypoint = xmalloc0(2 * sizeof(char *));
    o->entrypoint[0] = xstrdup(ep[0] ? ep[0] : "");
    for (size_t i = ep[0] ? 1 : 0; ep[i]; i++)
        push(&cmd, xstrdup(ep[i]));
    for (size_t i = 0; o->cmd && o->cmd[i]; i++)
        push(&cmd, xstrdup(o->cmd[i]));
    hull_strv_free(o->cmd);
    o->cmd = cmd;
}

int hull_api_parse_create(const char *body, size_t len, struct hull_api_create *c, hull_error *err)
{
    json_error_t je;
    json_t *j;
    char **ep = NULL;
    int r = -1;

    memset(c, 0, sizeof(*c));
    j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return hull_error_msg(err, EINVAL, "request body: invalid JSON at line %d column %d: %s",
                              je.line, je.column, je.text);
    if (!json_is_object(j)) {
        hull_error_msg(err, EINVAL, "request body: expected a JSON object");
        goto out;
    }
    if (get_string(c, j, "Image", "", &c->run.image, err) < 0 ||
        get_strv(j, "Cmd", "", &c->run.cmd, err) < 0 ||
        get_strv(j, "Entrypoint", "", &ep, err) < 0 ||
        get_strv(j, "Env", "", &c->run.env, err) < 0 ||
        get_string(c, j, "WorkingDir", "", &c->run.workdir, err) < 0 ||
        get_string(c, j, "User", "", &c->run.user, err) < 0 ||
        get_string(c, j, "Hostname", "", &c->run.hostname, err) < 0 ||
        get_map(j, "Labels", "", '=', &c->run.labels, err) < 0 ||
        get_bool(j, "Tty", "", &c->run.tty, err) < 0 ||
        get_bool(j, "OpenStdin", "", &c->run.interactive, err) < 0 ||
        parse_host_config(c, json_object_get(j, "HostConfig"), err) < 0 ||
        parse_networking(c, json_object_get(j, "NetworkingConfig"), err) < 0)
        goto out;
    if (c->run.image == NULL || c->run.image[0] == '\0') {
        hull_error_msg(err, EINVAL, "Image: an image is required");
        goto out;
    }
    /* docker sends "" for unset strings. */
    if (c->run.workdir && c->run.workdir[0] == '\0')
        c->run.workdir = NULL;
    if (c->run.user && c->run.user[0] == '\0')
        c->run.user = NULL;
    if (c->run.hostname && c->run.hostname[0] == '\0')
        c->run.hostname = NULL;
    merge_entrypoint(&c->run, ep);
    c->run.detach = true; /* the API never waits in create; attach is separate */
    r = 0;
out:
    hull_strv_free(ep);
    json_decref(j);
    if (r < 0)
        hull_api_create_clear(c);
    return r;
}

void hull_api_create_clear(struct hull_api_create *c)
{
    struct hull_run_opts *o = &c->run;
    hull_strv_free(o->cmd);
    hull_strv_free(o->entrypoint);
    hull_strv_free(o->env);
    hull_strv_free(o->labels);
    hull_strv_free(o->cap_add);
    hull_strv_free(o->cap_drop);
    hull_strv_free(o->security_opt);
    hull_strv_free(o->tmpfs);
    hull_strv_free(o->volumes);
    hull_strv_free(o->ports);
    hull_strv_free(o->aliases);
    hull_strv_free(c->owned);
    memset(c, 0, sizeof(*c));
}
