/* POST /commit: docker commit. The request (query and body) is parsed here
 * into struct hull_commit_opts; the work is hull_engine_commit's, which
 * freezes a running container for the snapshot as `hull commit` does.
 *
 * Untrusted input, fuzzed by tests/fuzz/fuzz_api_create.c: the query's
 * container, repo, tag, comment, author, pause and changes (repeated; each
 * may hold several Dockerfile lines), and a body that is null, empty or a
 * container config whose image fields (Cmd, Entrypoint, Env, Labels,
 * WorkingDir, User, StopSignal, ExposedPorts, Volumes) override the image's,
 * as dockerd merges them. They become Dockerfile-style changes, the one form
 * the image side applies, written so that they read back as they were sent:
 * exec-form JSON for Cmd/Entrypoint, "KEY VALUE" for Env and Labels. */
#include "api.h"
#include "../base/util.h"
#include "../base/json.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

static char *own(struct hull_api_commit *c, char *s)
{
    size_t n = hull_strv_len(c->owned);
    c->owned = xrealloc(c->owned, (n + 2) * sizeof(char *));
    c->owned[n] = s;
    c->owned[n + 1] = NULL;
    return s;
}

static void add_change(struct hull_api_commit *c, char *change)
{
    size_t n = hull_strv_len(c->changes);
    c->changes = xrealloc(c->changes, (n + 2) * sizeof(char *));
    c->changes[n] = change;
    c->changes[n + 1] = NULL;
}

/* "changes" values: Dockerfile lines, one instruction each. */
static void add_change_lines(struct hull_api_commit *c, const char *v)
{
    while (*v) {
        size_t n = strcspn(v, "\r\n");
        const char *p = v;
        while (p < v + n && isspace((unsigned char)*p))
            p++;
        if (p < v + n)
            add_change(c, xasprintf("%.*s", (int)(v + n - p), p));
        v += n;
        v += strspn(v, "\r\n");
    }
}

static bool bool_value(const char *v, bool *out)
{
    if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0)
        *out = true;
    else if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0)
        *out = false;
    else
        return v[0] == '\0'; /* "" keeps the default */
    return true;
}

/* A string of the config usable in one change line: no NUL, no line break;
 * as a key (word) also no blank and no '='. */
static int check_text(const char *field, const char *s, size_t len, bool word, hull_error *err)
{
    if (strlen(s) != len)
        return hull_error_msg(err, EINVAL, "config.%s: contains a NUL byte", field);
    if (strpbrk(s, "\r\n"))
        return hull_error_msg(err, EINVAL, "config.%s: contains a line break", field);
    if (word && (s[0] == '\0' || strpbrk(s, " \t=")))
        return hull_error_msg(err, EINVAL, "config.%s: \"%.100s\": not a single word", field, s);
    return 0;
}

/* Cmd, Entrypoint: an array of strings or one string (docker's StrSlice). */
static int exec_field(struct hull_api_commit *c, json_t *cfg, const char *field, const char *word,
                      hull_error *err)
{
    json_t *v = json_object_get(cfg, field), *arr, *x;
    size_t i;
    char *s;

    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_string(v))
        arr = json_pack("[O]", v);
    else if (json_is_array(v))
        arr = json_incref(v);
    else
        return hull_error_msg(err, EINVAL, "config.%s: expected an array of strings", field);
    json_array_foreach (arr, i, x) {
        if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x)) {
            json_decref(arr);
            return hull_error_msg(err, EINVAL, "config.%s[%zu]: expected a string without NUL",
                                  field, i);
        }
    }
    s = json_dumps(arr, JSON_COMPACT | JSON_ENCODE_ANY); /* escapes line breaks */
    json_decref(arr);
    add_change(c, xasprintf("%s %s", word, s));
    free(s);
    return 0;
}

static int string_field(struct hull_api_commit *c, json_t *cfg, const char *field, const char *word,
                        hull_error *err)
{
    json_t *v = json_object_get(cfg, field);

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return hull_error_msg(err, EINVAL, "config.%s: expected a string", field);
    if (check_text(field, json_string_value(v), json_string_length(v), false, err) < 0)
        return -1;
    if (json_string_length(v)) /* "" leaves the image's */
        add_change(c, xasprintf("%s %s", word, json_string_value(v)));
    return 0;
}

/* Env: ["K=V", ...] as "ENV K V" lines (the value may hold blanks and '='). */
static int env_field(struct hull_api_commit *c, json_t *cfg, hull_error *err)
{
    json_t *v = json_object_get(cfg, "Env"), *x;
    size_t i;

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return hull_error_msg(err, EINVAL, "config.Env: expected an array of strings");
    json_array_foreach (v, i, x) {
        const char *s = json_string_value(x), *eq;
        _cleanup_free_ char *key = NULL;
        if (s == NULL)
            return hull_error_msg(err, EINVAL, "config.Env[%zu]: expected a string", i);
        eq = strchr(s, '=');
        if (eq == NULL || eq == s)
            return hull_error_msg(err, EINVAL, "config.Env[%zu]: \"%.100s\": expected KEY=VALUE", i,
                                  s);
        key = xasprintf("%.*s", (int)(eq - s), s);
        if (check_text("Env", key, strlen(key), true, err) < 0 ||
            check_text("Env", s, json_string_length(x), false, err) < 0)
            return -1;
        add_change(c, xasprintf("ENV %s %s", key, eq + 1));
    }
    return 0;
}

/* Labels {"k": "v"} as "LABEL k v"; ExposedPorts/Volumes {"k": {}} as
 * "EXPOSE k" / "VOLUME k". */
static int object_field(struct hull_api_commit *c, json_t *cfg, const char *field, const char *word,
                        bool values, hull_error *err)
{
    json_t *v = json_object_get(cfg, field), *x;
    const char *k;

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return hull_error_msg(err, EINVAL, "config.%s: expected an object", field);
    json_object_foreach (v, k, x) {
        if (check_text(field, k, strlen(k), true, err) < 0)
            return -1;
        if (!values) {
            add_change(c, xasprintf("%s %s", word, k));
            continue;
        }
        if (!json_is_string(x))
            return hull_error_msg(err, EINVAL, "config.%s.%s: expected a string", field, k);
        if (check_text(field, json_string_value(x), json_string_length(x), false, err) < 0)
            return -1;
        add_change(c, xasprintf("%s %s %s", word, k, json_string_value(x)));
    }
    return 0;
}

static int parse_config(struct hull_api_commit *c, const char *body, size_t len, hull_error *err)
{
    json_error_t je;
    json_t *cfg;
    int r;

    if (len == 0)
        return 0;
    cfg = json_loadb(body, len, JSON_DECODE_ANY, &je);
    if (cfg == NULL)
        return hull_error_msg(err, EINVAL, "request body: %s", je.text);
    if (json_is_null(cfg))
        return 0;
    if (!json_is_object(cfg)) {
        json_decref(cfg);
        return hull_error_msg(err, EINVAL, "request body: expected a container config object");
    }
    r = exec_field(c, cfg, "Cmd", "CMD", err) < 0 ||
                exec_field(c, cfg, "Entrypoint", "ENTRYPOINT", err) < 0 ||
                env_field(c, cfg, err) < 0 ||
                object_field(c, cfg, "Labels", "LABEL", true, err) < 0 ||
                string_field(c, cfg, "WorkingDir", "WORKDIR", err) < 0 ||
                string_field(c, cfg, "User", "USER", err) < 0 ||
                string_field(c, cfg, "StopSignal", "STOPSIGNAL", err) < 0 ||
                object_field(c, cfg, "ExposedPorts", "EXPOSE", false, err) < 0 ||
                object_field(c, cfg, "Volumes", "VOLUME", false, err) < 0
            ? -1
            : 0;
    json_decref(cfg);
    return r;
}

int hull_api_parse_commit(char *const *query, const char *body, size_t len,
                          struct hull_api_commit *out, hull_error *err)
{
    const char *repo = NULL, *tag = NULL;

    *out = (struct hull_api_commit){.opts.pause = true};
    /* The body's config first: dockerd applies the changes on top of it. */
    if (parse_config(out, body, len, err) < 0) {
        hull_api_commit_clear(out);
        return -1;
    }
    for (size_t i = 0; query && query[i] && query[i + 1]; i += 2) {
        const char *k = query[i], *v = query[i + 1];
        if (strcmp(k, "container") == 0)
            out->container = own(out, xstrdup(v));
        else if (strcmp(k, "repo") == 0)
            repo = v;
        else if (strcmp(k, "tag") == 0)
            tag = v;
        else if (strcmp(k, "comment") == 0)
            out->opts.message = v[0] ? own(out, xstrdup(v)) : NULL;
        else if (strcmp(k, "author") == 0)
            out->opts.author = v[0] ? own(out, xstrdup(v)) : NULL;
        else if (strcmp(k, "changes") == 0)
            add_change_lines(out, v);
        else if (strcmp(k, "pause") == 0 && !bool_value(v, &out->opts.pause)) {
            hull_api_commit_clear(out);
            return hull_error_msg(err, EINVAL, "pause: \"%.100s\": expected a boolean", v);
        }
    }
    if (out->container == NULL || out->container[0] == '\0') {
        hull_api_commit_clear(out);
        return hull_error_msg(err, EINVAL, "container: a container is required");
    }
    if (repo && repo[0])
        out->opts.image = own(out, tag && tag[0] ? xasprintf("%s:%s", repo, tag) : xstrdup(repo));
    else if (tag && tag[0]) {
        hull_api_commit_clear(out);
        return hull_error_msg(err, EINVAL, "tag: \"%.100s\" without a repo", tag);
    }
    out->opts.changes = out->changes;
    return 0;
}

void hull_api_commit_clear(struct hull_api_commit *c)
{
    hull_strv_free(c->owned);
    hull_strv_free(c->changes);
    *c = (struct hull_api_commit){0};
}
