/* docker ps --filter on container rows (the columns of the containers table).
 * Filters come from users and, through the API, from clients: every key and
 * value is checked, and an unknown key is an error rather than "no match". */
#include "engine.h"
#include "../base/util.h"
#include "../base/json.h"
#include "../image/image.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

static const char *const statuses[] = {"created", "restarting", "running", "removing",
                                       "paused",  "exited",     "dead"};

static const char *str(json_t *c, const char *key)
{
    const char *s = json_string_value(json_object_get(c, key));
    return s ? s : "";
}

/* Whether the comma-separated `list` holds `item`. */
static bool in_list(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, item, n) == 0)
            return true;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return false;
}

/* docker's status names for our states ("starting" is still "created"). */
static const char *status_of(json_t *c)
{
    const char *st = str(c, "state");
    if (strcmp(st, "running") == 0 && json_is_true(json_object_get(c, "paused")))
        return "paused"; /* see hull_engine_mark_paused */
    return strcmp(st, "starting") == 0 ? "created" : st;
}

static int match_name(json_t *c, const char *re, hull_error *err)
{
    regex_t rx;
    int r;

    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return hull_error_msg(err, EINVAL, "--filter name=%s: not a valid regular expression", re);
    r = c ? regexec(&rx, str(c, "name"), 0, NULL, 0) == 0 : 0;
    regfree(&rx);
    return r;
}

static int match_label(json_t *c, const char *v)
{
    const char *eq = strchr(v, '=');
    _cleanup_free_ char *key = eq ? strndup(v, (size_t)(eq - v)) : xstrdup(v);
    json_t *opts = json_loads(str(c, "opts"), 0, NULL);
    json_t *val = json_object_get(json_object_get(opts, "labels"), key);
    int r = val && (eq == NULL || strcmp(json_string_value(val), eq + 1) == 0);

    json_decref(opts);
    return r;
}

/* The normalized reference ("docker.io/library/busybox:latest"), or NULL for
 * what is not one (a --rootfs path). */
static char *normalized(const char *name)
{
    struct hull_image_ref *ref = NULL;
    char *out;

    if (hull_image_ref_parse(name, &ref, NULL) < 0)
        return NULL;
    out = hull_image_ref_string(ref);
    hull_image_ref_free(ref);
    return out;
}

/* busybox, busybox:latest, docker.io/library/busybox[:latest] all name one
 * image (docker's normalization); an ID or manifest digest (or a prefix of at
 * least 4 hex digits) matches the image the container was made from. */
static bool match_ancestor(json_t *c, const char *v)
{
    const char *digest = str(c, "rootfs");
    const char *hex = hull_str_has_prefix(digest, "sha256:") ? digest + 7 : NULL;
    const char *want = hull_str_has_prefix(v, "sha256:") ? v + 7 : v;
    _cleanup_free_ char *a = NULL, *b = NULL;

    if (strcmp(v, str(c, "image")) == 0)
        return true;
    if (hex && strlen(want) >= 4 && strspn(want, "0123456789abcdef") == strlen(want) &&
        strncmp(hex, want, strlen(want)) == 0)
        return true;
    a = normalized(v);
    b = a ? normalized(str(c, "image")) : NULL;
    return b && strcmp(a, b) == 0;
}

void hull_container_filter_images(struct hull_image_store *s, char ***filters)
{
    size_t n = hull_strv_len(*filters), m;

    for (size_t i = 0; s && i < n; i++) {
        const char *v = (*filters)[i] + 9;
        struct hull_image *img = NULL;
        if (!hull_str_has_prefix((*filters)[i], "ancestor="))
            continue;
        if (hull_str_has_prefix(v, "sha256:") && strlen(v) < 7 + 64)
            v += 7; /* an ID prefix written with its algorithm */
        if (hull_image_lookup(s, v, &img, NULL) < 0)
            continue;
        m = hull_strv_len(*filters);
        *filters = xrealloc(*filters, (m + 2) * sizeof(char *));
        (*filters)[m] = xasprintf("ancestor=%s", img->digest);
        (*filters)[m + 1] = NULL;
        hull_image_free(img);
    }
}

/* publish=HOSTPORT[/proto] or expose=CONTAINERPORT[/proto] against the
 * row's port mappings (JSON in the "ports" column). */
static int match_port(json_t *c, const char *key, const char *v, hull_error *err)
{
    const char *slash = strchr(v, '/');
    const char *proto = slash ? slash + 1 : NULL;
    const char *field = strcmp(key, "publish") == 0 ? "hostPort" : "containerPort";
    _cleanup_free_ char *num = slash ? strndup(v, (size_t)(slash - v)) : xstrdup(v);
    unsigned long long port;
    json_t *ports, *p;
    size_t i;
    int r = 0;

    if (hull_parse_u64(num, &port) < 0 || port == 0 || port > 65535 ||
        (proto && strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
        return hull_error_msg(err, EINVAL, "--filter %s=%s: expected PORT[/tcp|udp]", key, v);
    if (c == NULL)
        return 0;
    ports = json_loads(str(c, "ports"), 0, NULL);
    json_array_foreach (ports, i, p)
        if ((unsigned long long)json_integer_value(json_object_get(p, field)) == port &&
            (proto == NULL ||
             strcmp(json_string_value(json_object_get(p, "protocol")) ?: "tcp", proto) == 0))
            r = 1;
    json_decref(ports);
    return r;
}

/* volume=NAME|PATH: a -v source (named volume or host path) or destination. */
static int match_volume(json_t *c, const char *v)
{
    json_t *vols = json_loads(str(c, "volumes"), 0, NULL), *x;
    size_t i, n = strlen(v);
    int r = 0;

    json_array_foreach (vols, i, x) {
        const char *s = json_string_value(x), *colon = s ? strchr(s, ':') : NULL;
        if (colon == NULL)
            continue;
        if (((size_t)(colon - s) == n && strncmp(s, v, n) == 0) ||
            (strncmp(colon + 1, v, n) == 0 && (colon[1 + n] == '\0' || colon[1 + n] == ':')))
            r = 1;
    }
    json_decref(vols);
    return r;
}

/* restart-policy=no|always|unless-stopped|on-failure (podman's filter): the
 * --restart the container was made with; on-failure also matches
 * on-failure:N. */
static int match_restart_policy(json_t *c, const char *v, hull_error *err)
{
    static const char *const policies[] = {"no", "always", "unless-stopped", "on-failure"};
    json_t *opts;
    const char *have;
    size_t i;
    int r;

    for (i = 0; i < HULL_ARRAY_SIZE(policies); i++)
        if (strcmp(v, policies[i]) == 0)
            break;
    if (i == HULL_ARRAY_SIZE(policies))
        return hull_error_msg(err, EINVAL,
                              "--filter restart-policy=%s: expected no, always, unless-stopped "
                              "or on-failure",
                              v);
    if (c == NULL)
        return 0;
    opts = json_loads(str(c, "opts"), 0, NULL);
    have = json_string_value(json_object_get(opts, "restart"));
    if (have == NULL || *have == '\0')
        have = "no";
    r = strcmp(have, v) == 0 ||
        (strcmp(v, "on-failure") == 0 && hull_str_has_prefix(have, "on-failure:"));
    json_decref(opts);
    return r;
}

static int parse_bool(const char *key, const char *v, hull_error *err)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        return 1;
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return 0;
    return hull_error_msg(err, EINVAL, "--filter %s=%s: expected true or false", key, v);
}

int hull_container_match(json_t *c, const char *filter, hull_error *err)
{
    const char *eq = filter ? strchr(filter, '=') : NULL;
    _cleanup_free_ char *key = NULL;
    const char *v;

    if (eq == NULL || eq == filter)
        return hull_error_msg(err, EINVAL, "--filter \"%s\": expected KEY=VALUE",
                              filter ? filter : "");
    key = strndup(filter, (size_t)(eq - filter));
    v = eq + 1;
    if (strcmp(key, "name") == 0)
        return match_name(c, v, err);
    if (strcmp(key, "id") == 0) {
        if (v[0] == '\0')
            return hull_error_msg(err, EINVAL, "--filter id=: empty id");
        return c && hull_str_has_prefix(str(c, "id"), v);
    }
    if (strcmp(key, "label") == 0) {
        if (v[0] == '\0' || v[0] == '=')
            return hull_error_msg(err, EINVAL, "--filter label=%s: expected KEY[=VALUE]", v);
        return c && match_label(c, v);
    }
    if (strcmp(key, "status") == 0) {
        size_t i;
        for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
            if (strcmp(v, statuses[i]) == 0)
                break;
        if (i == sizeof(statuses) / sizeof(statuses[0]))
            return hull_error_msg(err, EINVAL,
                                  "--filter status=%s: expected created, restarting, running, "
                                  "removing, paused, exited or dead",
                                  v);
        return c && strcmp(status_of(c), v) == 0;
    }
    if (strcmp(key, "exited") == 0) {
        char *end;
        long code = strtol(v, &end, 10);
        if (*v == '\0' || *end || code < -1 || code > 255)
            return hull_error_msg(err, EINVAL, "--filter exited=%s: expected an exit code", v);
        return c && strcmp(status_of(c), "exited") == 0 &&
               json_integer_value(json_object_get(c, "exit_code")) == code;
    }
    if (strcmp(key, "ancestor") == 0) {
        if (v[0] == '\0')
            return hull_error_msg(err, EINVAL, "--filter ancestor=: empty image");
        return c && match_ancestor(c, v);
    }
    if (strcmp(key, "network") == 0) {
        if (v[0] == '\0')
            return hull_error_msg(err, EINVAL, "--filter network=: empty network");
        return c && (strcmp(str(c, "network"), v) == 0 || in_list(str(c, "networks"), v));
    }
    if (strcmp(key, "publish") == 0 || strcmp(key, "expose") == 0)
        return match_port(c, key, v, err);
    if (strcmp(key, "volume") == 0) {
        if (v[0] == '\0')
            return hull_error_msg(err, EINVAL, "--filter volume=: empty volume");
        return c && match_volume(c, v);
    }
    if (strcmp(key, "abnormal") == 0) {
        int want = parse_bool(key, v, err);
        if (want < 0)
            return -1;
        return c && (json_integer_value(json_object_get(c, "abnormal")) != 0) == want;
    }
    if (strcmp(key, "restart-policy") == 0)
        return match_restart_policy(c, v, err);
    return hull_error_msg(err, EINVAL,
                          "--filter \"%s\": unknown filter \"%s\" (name, id, label, status, "
                          "exited, ancestor, network, publish, expose, volume, abnormal, "
                          "restart-policy)",
                          filter, key);
}

static int match_row(const void *c, const char *filter, hull_error *err)
{
    return hull_container_match((json_t *)c, filter, err);
}

int hull_container_filter(json_t *rows, char **filters, json_t **out, hull_error *err)
{
    json_t *res, *c;
    size_t i;

    for (i = 0; filters && filters[i]; i++)
        if (hull_container_match(NULL, filters[i], err) < 0)
            return -1;
    res = json_array();
    json_array_foreach (rows, i, c) {
        int keep = hull_filters_match(filters, match_row, c, err);
        if (keep < 0) {
            json_decref(res);
            return -1;
        }
        if (keep)
            json_array_append(res, c);
    }
    *out = res;
    return 0;
}
