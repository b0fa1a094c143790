/* /volumes and /networks: named volumes and CNI networks of the engine, in
 * docker's shapes. */
#include "internal.h"
#include "../base/util.h"
#include "../base/json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- volumes ---------------------------------------------------------------------------- */

static json_t *volume_doc(json_t *v)
{
    return json_pack("{s:O, s:s, s:O, s:s, s:{}, s:n}", "Name", json_object_get(v, "Name"),
                     "Driver", "local", "Mountpoint", json_object_get(v, "Mountpoint"), "Scope",
                     "local", "Labels", "Options");
}

static json_t *find_volume(struct hull_engine *e, const char *name, hull_error *err)
{
    json_t *list, *v, *found = NULL;
    size_t i;
    if (hull_volume_list(e, &list, err) < 0)
        return NULL;
    json_array_foreach (list, i, v)
        if (strcmp(json_string_value(json_object_get(v, "Name")), name) == 0)
            found = volume_doc(v);
    json_decref(list);
    if (found == NULL)
        hull_error_msg(err, ENOENT, "get %s: no such volume", name);
    return found;
}

int api_volumes_list(struct api_req *r)
{
    struct hull_engine e;
    hull_error err = {0};
    json_t *list, *v, *out = json_array();
    size_t i;

    if (api_open(r->srv, &e, false, &err) < 0 || hull_volume_list(&e, &list, &err) < 0) {
        api_close(&e);
        json_decref(out);
        return api_fail(r, &err);
    }
    api_close(&e);
    json_array_foreach (list, i, v)
        json_array_append_new(out, volume_doc(v));
    json_decref(list);
    return api_json(r, 200, json_pack("{s:o, s:[]}", "Volumes", out, "Warnings"));
}

int api_volume_inspect(struct api_req *r, const char *name)
{
    struct hull_engine e;
    hull_error err = {0};
    json_t *v;

    if (api_open(r->srv, &e, false, &err) < 0 || (v = find_volume(&e, name, &err)) == NULL) {
        api_close(&e);
        return api_fail(r, &err);
    }
    api_close(&e);
    return api_json(r, 200, v);
}

int api_volumes_create(struct api_req *r)
{
    struct hull_engine e;
    hull_error err = {0};
    json_error_t je;
    json_t *j = json_loadb(r->body ? r->body : "{}", r->body ? r->body_len : 2, 0, &je), *v;
    json_t *drv, *opts;
    _cleanup_free_ char *name = NULL;

    if (!json_is_object(j)) {
        json_decref(j);
        return api_error(r, 400, "request body: expected a JSON object");
    }
    if (json_object_get(j, "Name") && !json_is_string(json_object_get(j, "Name"))) {
        json_decref(j);
        return api_error(r, 400, "Name: expected a string");
    }
    drv = json_object_get(j, "Driver");
    opts = json_object_get(j, "DriverOpts");
    if ((drv && !json_is_null(drv) &&
         !(json_is_string(drv) &&
           (json_string_length(drv) == 0 || strcmp(json_string_value(drv), "local") == 0))) ||
        (json_is_object(opts) && json_object_size(opts) > 0)) {
        json_decref(j);
        return api_error(r, 400, "Driver, DriverOpts: only the local driver without options");
    }
    name = json_string_length(json_object_get(j, "Name"))
               ? xstrdup(json_string_value(json_object_get(j, "Name")))
               : NULL;
    json_decref(j);
    if (name == NULL) {
        /* docker names anonymous volumes with 64 hex digits */
        unsigned char b[32];
        FILE *f = fopen("/dev/urandom", "re");
        if (f == NULL || fread(b, 1, sizeof(b), f) != sizeof(b)) {
            if (f)
                fclose(f);
            return api_error(r, 500, "volume name: no randomness");
        }
        fclose(f);
        name = xmalloc0(65);
        for (size_t i = 0; i < sizeof(b); i++)
            sprintf(name + 2 * i, "%02x", b[i]);
    }
    if (!hull_volume_name_ok(name))
        return api_error(r, 400, "Name \"%s\": invalid volume name", name);
    /* docker: creating an existing volume returns it */
    if (api_open(r->srv, &e, false, &err) < 0 || hull_volume_create(&e, name, true, &err) < 0 ||
        (v = find_volume(&e, name, &err)) == NULL) {
        api_close(&e);
        return api_fail(r, &err);
    }
    api_close(&e);
    return api_json(r, 201, v);
}

/* DELETE of a named object: fn(engine, name) answers 204 or the error. */
static int remove_named(struct api_req *r, const char *name,
                        int (*fn)(struct hull_engine *, const char *, hull_error *))
{
    struct hull_engine e;
    hull_error err = {0};

    if (api_open(r->srv, &e, false, &err) < 0 || fn(&e, name, &err) < 0) {
        api_close(&e);
        return api_fail(r, &err);
    }
    api_close(&e);
    return api_empty(r, 204);
}

int api_volume_delete(struct api_req *r, const char *name)
{
    return remove_named(r, name, hull_volume_remove);
}

/* ---- networks --------------------------------------------------------------------------- */

/* Docker's network document from a CNI conflist. */
static json_t *network_doc(json_t *conf)
{
    json_t *plugin = json_array_get(json_object_get(conf, "plugins"), 0);
    json_t *range = json_array_get(
        json_array_get(json_object_get(json_object_get(plugin, "ipam"), "ranges"), 0), 0);
    const char *name = json_string_value(json_object_get(conf, "name")) ?: "";
    json_t *cfg = json_array();

    if (json_is_string(json_object_get(range, "subnet")))
        json_array_append_new(cfg,
                              json_pack("{s:O, s:O?}", "Subnet", json_object_get(range, "subnet"),
                                        "Gateway", json_object_get(range, "gateway")));
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:{s:s, s:o}, s:b, s:{}, s:{s:O?}, s:{}}", "Name",
                     name, "Id", name, "Scope", "local", "Driver",
                     json_string_value(json_object_get(plugin, "type")) ?: "bridge", "EnableIPv6",
                     0, "IPAM", "Driver", "host-local", "Config", cfg, "Internal", 0, "Containers",
                     "Options", "com.hull.bridge", json_object_get(plugin, "bridge"), "Labels");
}

int api_networks_list(struct api_req *r)
{
    struct hull_engine e;
    hull_error err = {0};
    json_t *list, *n, *out = json_array(), *br = NULL;
    size_t i;

    if (api_open(r->srv, &e, false, &err) < 0) {
        json_decref(out);
        return api_fail(r, &err);
    }
    /* The default network exists for clients even before its first use. */
    if (hull_network_load(&e, "bridge", &br, NULL) == 0)
        json_decref(br);
    if (hull_network_list(&e, &list, &err) < 0) {
        api_close(&e);
        json_decref(out);
        return api_fail(r, &err);
    }
    api_close(&e);
    json_array_foreach (list, i, n)
        json_array_append_new(out, network_doc(n));
    json_decref(list);
    json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}", "Name", "none", "Id", "none",
                                         "Scope", "local", "Driver", "null"));
    json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}", "Name", "host", "Id", "host",
                                         "Scope", "local", "Driver", "host"));
    return api_json(r, 200, out);
}

int api_network_inspect(struct api_req *r, const char *name)
{
    struct hull_engine e;
    hull_error err = {0};
    json_t *conf;

    if (api_open(r->srv, &e, false, &err) < 0 || hull_network_load(&e, name, &conf, &err) < 0) {
        api_close(&e);
        return api_fail(r, &err);
    }
    api_close(&e);
    {
        json_t *doc = network_doc(conf);
        json_decref(conf);
        return api_json(r, 200, doc);
    }
}

int api_networks_create(struct api_req *r)
{
    struct hull_engine e;
    hull_error err = {0};
    json_error_t je;
    json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, &je), *cfg, *drv;
    _cleanup_free_ char *name = NULL, *subnet = NULL;

    if (!json_is_object(j)) {
        json_decref(j);
        return api_error(r, 400, "request body: expected a JSON object");
    }
    if (!json_is_string(json_object_get(j, "Name")) ||
        json_string_length(json_object_get(j, "Name")) == 0) {
        json_decref(j);
        return api_error(r, 400, "Name: a network name is required");
    }
    drv = json_object_get(j, "Driver");
    if (drv && !json_is_null(drv) &&
        !(json_is_string(drv) &&
          (json_string_length(drv) == 0 || strcmp(json_string_value(drv), "bridge") == 0))) {
        json_decref(j);
        return api_error(r, 400, "Driver: only bridge networks");
    }
    name = xstrdup(json_string_value(json_object_get(j, "Name")));
    cfg = json_array_get(json_object_get(json_object_get(j, "IPAM"), "Config"), 0);
    if (cfg && json_object_get(cfg, "Subnet") && !json_is_string(json_object_get(cfg, "Subnet"))) {
        json_decref(j);
        return api_error(r, 400, "IPAM.Config[0].Subnet: expected a string");
    }
    subnet = xstrdup(json_string_value(json_object_get(cfg, "Subnet")) ?: "10.90.0.0/24");
    json_decref(j);
    if (api_open(r->srv, &e, false, &err) < 0 || hull_network_create(&e, name, subnet, &err) < 0) {
        api_close(&e);
        return api_fail(r, &err);
    }
    api_close(&e);
    return api_json(r, 201, json_pack("{s:s, s:s}", "Id", name, "Warning", ""));
}

int api_network_delete(struct api_req *r, const char *name)
{
    return remove_named(r, name, hull_network_remove);
}

/* EndpointConfig.Aliases: null, or an array of names (container-name
 * rules) for `network` into *out (NULL-terminated). */
static int get_aliases(json_t *epc, const char *network, char ***out, hull_error *err)
{
    json_t *a = json_object_get(epc, "Aliases"), *x;
    size_t i;

    if (a == NULL || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return hull_error_msg(err, EINVAL, "EndpointConfig.Aliases: expected an array of strings");
    *out = xmalloc0((json_array_size(a) + 1) * sizeof(char *));
    json_array_foreach (a, i, x) {
        if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x))
            return hull_error_msg(err, EINVAL, "EndpointConfig.Aliases[%zu]: expected a string", i);
        (*out)[i] = xstrdup(json_string_value(x));
    }
    return hull_network_check_aliases("EndpointConfig.Aliases", network, *out, err);
}

/* POST /networks/{id}/connect {"Container": ..., "EndpointConfig": {"IPAMConfig":
 * {"IPv4Address": ...}, "Aliases": [...]}} and /disconnect {"Container": ...,
 * "Force": bool}. */
int api_network_attach(struct api_req *r, const char *name, bool connect)
{
    struct hull_engine e;
    hull_error err = {0};
    json_error_t je;
    json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, &je), *ip, *force;
    _cleanup_free_ char *ctr = NULL, *addr = NULL;
    _cleanup_strv_ char **aliases = NULL;
    int rc;

    if (!json_is_object(j)) {
        json_decref(j);
        return api_error(r, 400, "request body: expected a JSON object");
    }
    if (!json_is_string(json_object_get(j, "Container")) ||
        json_string_length(json_object_get(j, "Container")) == 0) {
        json_decref(j);
        return api_error(r, 400, "Container: a container name or id is required");
    }
    ip = json_object_get(json_object_get(json_object_get(j, "EndpointConfig"), "IPAMConfig"),
                         "IPv4Address");
    force = json_object_get(j, "Force");
    if ((ip && !json_is_null(ip) && !json_is_string(ip)) ||
        (force && !json_is_null(force) && !json_is_boolean(force))) {
        json_decref(j);
        return api_error(r, 400,
                         ip && !json_is_string(ip) && !json_is_null(ip)
                             ? "EndpointConfig.IPAMConfig.IPv4Address: expected a string"
                             : "Force: expected a boolean");
    }
    if (connect && get_aliases(json_object_get(j, "EndpointConfig"), name, &aliases, &err) < 0) {
        json_decref(j);
        return api_fail(r, &err);
    }
    ctr = xstrdup(json_string_value(json_object_get(j, "Container")));
    if (json_is_string(ip) && json_string_length(ip) > 0)
        addr = xstrdup(json_string_value(ip));
    json_decref(j);
    if (api_open(r->srv, &e, false, &err) < 0)
        return api_fail(r, &err);
    rc = connect ? hull_network_connect(&e, name, ctr, addr, aliases, &err)
                 : hull_network_disconnect(&e, name, ctr, json_is_true(force), &err);
    api_close(&e);
    return rc < 0 ? api_fail(r, &err) : api_empty(r, 200);
}
