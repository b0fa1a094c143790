/* Go-template-like --format strings, as the docker CLI takes them:
 *
 *   {{.ID}}  {{.State.Status}}  {{.Label "com.x"}}  {{index .Labels "k"}}
 *   {{json .Config}}  {{upper .Names}}  {{.Names | upper}}  {{join .Args ","}}
 *
 * rendered against a JSON object. Only actions that print a value exist
 * (no if/range/with/variables): every other action is a parse error, so a
 * user learns at once that a template will not do what it says. The text is
 * untrusted (it may come over the API): the parser bounds every length and
 * never recurses. */
#include "engine.h"
#include "../base/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS  8
#define MAX_CMDS  8
#define MAX_NODES 256

enum arg_kind { ARG_DOT, ARG_FIELD, ARG_STRING, ARG_FUNC };

struct arg {
    enum arg_kind kind;
    char *text; /* field path without the leading '.', string value, function name */
};

struct command {
    struct arg args[MAX_ARGS];
    size_t n;
};

struct node {
    char *text; /* literal text, or NULL for an action */
    struct command cmds[MAX_CMDS];
    size_t ncmds;
};

struct hull_template {
    struct node nodes[MAX_NODES];
    size_t n;
};

static const char *const funcs[] = {"json", "upper", "lower", "title", "join", "index"};

static char *dupn(const char *s, size_t n)
{
    char *d = xmalloc0(n + 1);
    memcpy(d, s, n);
    return d;
}

static bool is_func(const char *name)
{
    for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
        if (strcmp(name, funcs[i]) == 0)
            return true;
    return false;
}

void hull_template_free(struct hull_template *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->nodes[i].text);
        for (size_t c = 0; c < t->nodes[i].ncmds; c++)
            for (size_t a = 0; a < t->nodes[i].cmds[c].n; a++)
                free(t->nodes[i].cmds[c].args[a].text);
    }
    free(t);
}

static struct node *new_node(struct hull_template *t, hull_error *err)
{
    if (t->n == MAX_NODES) {
        hull_error_msg(err, EINVAL, "template: more than %d parts", MAX_NODES);
        return NULL;
    }
    return &t->nodes[t->n++];
}

/* A "quoted string" with Go's common escapes; *p is at the opening quote. */
static char *parse_string(const char **p, const char *end, hull_error *err)
{
    char *out = xmalloc0((size_t)(end - *p) + 1), *o = out;
    const char *s = *p + 1;

    for (; s < end && *s != '"'; s++) {
        if (*s == '\\' && s + 1 < end) {
            s++;
            *o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
        } else {
            *o++ = *s;
        }
    }
    if (s >= end) {
        free(out);
        hull_error_msg(err, EINVAL, "template: unterminated string");
        return NULL;
    }
    *p = s + 1;
    return out;
}

static bool field_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* One action's text (between the braces) → commands separated by '|'. */
static int parse_action(struct node *n, const char *s, const char *end, hull_error *err)
{
    struct command *cmd = &n->cmds[0];

    n->ncmds = 1;
    while (s < end) {
        struct arg *a;
        if (isspace((unsigned char)*s)) {
            s++;
            continue;
        }
        if (*s == '|') {
            if (cmd->n == 0 || n->ncmds == MAX_CMDS)
                return hull_error_msg(err, EINVAL, "template: misplaced '|'");
            cmd = &n->cmds[n->ncmds++];
            s++;
            continue;
        }
        if (cmd->n == MAX_ARGS)
            return hull_error_msg(err, EINVAL, "template: more than %d arguments", MAX_ARGS);
        a = &cmd->args[cmd->n];
        if (*s == '"') {
            a->kind = ARG_STRING;
            if ((a->text = parse_string(&s, end, err)) == NULL)
                return -1;
        } else if (*s == '.') {
            const char *b = ++s;
            while (s < end && field_char(*s))
                s++;
            if (s == b) {
                a->kind = ARG_DOT;
            } else {
                a->kind = ARG_FIELD;
                a->text = dupn(b, (size_t)(s - b));
                if (a->text[strlen(a->text) - 1] == '.' || strstr(a->text, "..")) {
                    cmd->n++;
                    return hull_error_msg(err, EINVAL, "template: bad field \".%s\"", a->text);
                }
            }
        } else if (isalpha((unsigned char)*s)) {
            const char *b = s;
            while (s < end && isalnum((unsigned char)*s))
                s++;
            a->kind = ARG_FUNC;
            a->text = dupn(b, (size_t)(s - b));
            if (!is_func(a->text)) {
                cmd->n++;
                return hull_error_msg(err, EINVAL,
                                      "template: function \"%s\" not defined (have json, upper, "
                                      "lower, title, join, index; no if/range/with)",
                                      a->text);
            }
        } else {
            return hull_error_msg(err, EINVAL, "template: unexpected \"%c\" in action", *s);
        }
        cmd->n++;
    }
    for (size_t c = 0; c < n->ncmds; c++) {
        if (n->cmds[c].n == 0)
            return hull_error_msg(err, EINVAL, "template: empty command");
        /* After a pipe the value comes in as the last argument: a function. */
        if (c > 0 && n->cmds[c].args[0].kind != ARG_FUNC)
            return hull_error_msg(err, EINVAL, "template: only a function can follow '|'");
        if (n->cmds[c].args[0].kind != ARG_FUNC && n->cmds[c].args[0].kind != ARG_FIELD &&
            n->cmds[c].n > 1)
            return hull_error_msg(err, EINVAL, "template: cannot call a non-function");
    }
    return 0;
}

int hull_template_parse(const char *text, struct hull_template **out, hull_error *err)
{
    struct hull_template *t = xmalloc0(sizeof(*t));
    const char *p = text;

    while (*p) {
        const char *open = strstr(p, "{{"), *close, *b, *e;
        struct node *n;
        if (open != p) {
            size_t len = open ? (size_t)(open - p) : strlen(p);
            if ((n = new_node(t, err)) == NULL)
                goto fail;
            n->text = dupn(p, len);
            p += len;
            continue;
        }
        close = strstr(open + 2, "}}");
        if (close == NULL) {
            hull_error_msg(err, EINVAL, "template: unclosed action (no \"}}\")");
            goto fail;
        }
        /* {{- and -}} trim spaces around the action, as in Go. */
        b = open + 2;
        e = close;
        if (b < e && *b == '-')
            b++;
        if (e > b && e[-1] == '-')
            e--;
        if ((n = new_node(t, err)) == NULL || parse_action(n, b, e, err) < 0)
            goto fail;
        p = close + 2;
    }
    *out = t;
    return 0;
fail:
    hull_template_free(t);
    return -1;
}

/* .A.B.C in obj; a missing key is NULL (printed "<no value>", like Go). */
static json_t *lookup(json_t *obj, const char *path)
{
    _cleanup_free_ char *copy = xstrdup(path);
    char *save = NULL;

    for (char *k = strtok_r(copy, ".", &save); k && obj; k = strtok_r(NULL, ".", &save))
        obj = json_is_object(obj) ? json_object_get(obj, k) : NULL;
    return obj;
}

static char *to_text(json_t *v)
{
    if (v == NULL || json_is_null(v))
        return xstrdup("<no value>");
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_integer(v))
        return xasprintf("%lld", (long long)json_integer_value(v));
    if (json_is_real(v))
        return xasprintf("%g", json_real_value(v));
    if (json_is_boolean(v))
        return xstrdup(json_is_true(v) ? "true" : "false");
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static json_t *eval_arg(const struct arg *a, json_t *ctx)
{
    switch (a->kind) {
    case ARG_DOT:
        return json_incref(ctx);
    case ARG_FIELD:
        return json_incref(lookup(ctx, a->text));
    case ARG_STRING:
        return json_string(a->text);
    case ARG_FUNC:
    default:
        return NULL;
    }
}

static json_t *call(const char *fn, json_t **v, size_t n, hull_error *err)
{
    if (strcmp(fn, "json") == 0) {
        if (n != 1)
            goto nargs;
        char *s = v[0] ? json_dumps(v[0], JSON_COMPACT | JSON_ENCODE_ANY) : xstrdup("null");
        json_t *r = json_string(s);
        free(s);
        return r;
    }
    if (strcmp(fn, "upper") == 0 || strcmp(fn, "lower") == 0 || strcmp(fn, "title") == 0) {
        if (n != 1)
            goto nargs;
        char *s = to_text(v[0]);
        for (char *p = s; *p; p++)
            if (fn[0] == 'u' || (fn[0] == 't' && (p == s || p[-1] == ' ')))
                *p = (char)toupper((unsigned char)*p);
            else if (fn[0] == 'l')
                *p = (char)tolower((unsigned char)*p);
        json_t *r = json_string(s);
        free(s);
        return r;
    }
    if (strcmp(fn, "join") == 0) {
        if (n != 2 || !json_is_array(v[0]) || !json_is_string(v[1]))
            return hull_error_msg(err, EINVAL, "template: join needs a list and a string"), NULL;
        size_t i, len = 0;
        json_t *x;
        char *s = xstrdup("");
        json_array_foreach (v[0], i, x) {
            char *t = to_text(x);
            s = xrealloc(s, len + strlen(t) + json_string_length(v[1]) + 1);
            len += (size_t)sprintf(s + len, "%s%s", i ? json_string_value(v[1]) : "", t);
            free(t);
        }
        json_t *r = json_string(s);
        free(s);
        return r;
    }
    /* index X K...: X[K] for objects (string K) and arrays (integer-like K). */
    if (n < 2)
        goto nargs;
    json_t *cur = v[0];
    for (size_t i = 1; i < n && cur; i++) {
        const char *k = json_string_value(v[i]);
        char *end;
        if (json_is_object(cur) && k)
            cur = json_object_get(cur, k);
        else if (json_is_array(cur) && k && (strtoul(k, &end, 10), *k && !*end))
            cur = json_array_get(cur, strtoul(k, NULL, 10));
        else if (json_is_array(cur) && json_is_integer(v[i]))
            cur = json_array_get(cur, (size_t)json_integer_value(v[i]));
        else
            cur = NULL;
    }
    return json_incref(cur);
nargs:
    hull_error_msg(err, EINVAL, "template: wrong number of arguments for %s", fn);
    return NULL;
}

/* Evaluate one command; `piped` (may be NULL) is the previous command's value,
 * appended as the last argument. *out may be NULL (no value). */
static int eval_command(const struct command *c, json_t *ctx, json_t *piped, bool has_piped,
                        json_t **out, hull_error *err)
{
    json_t *vals[MAX_ARGS + 1] = {NULL};
    size_t n = 0;
    int r = 0;

    if (c->args[0].kind != ARG_FUNC && c->n == 1) {
        *out = eval_arg(&c->args[0], ctx);
        return 0;
    }
    /* .Field "key" ...: a method-like call, docker's {{.Label "k"}}: index it. */
    if (c->args[0].kind == ARG_FIELD)
        vals[n++] = eval_arg(&c->args[0], ctx);
    for (size_t i = 1; i < c->n; i++) {
        if (c->args[i].kind == ARG_FUNC) {
            r = hull_error_msg(err, EINVAL, "template: %s used as a value", c->args[i].text);
            goto out;
        }
        vals[n++] = eval_arg(&c->args[i], ctx);
    }
    if (has_piped)
        vals[n++] = json_incref(piped);
    *out = call(c->args[0].kind == ARG_FUNC ? c->args[0].text : "index", vals, n, err);
    if (*out == NULL && err && err->msg)
        r = -1;
out:
    for (size_t i = 0; i < n; i++)
        json_decref(vals[i]);
    return r;
}

int hull_template_render(const struct hull_template *t, json_t *ctx, char **out, hull_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (f == NULL)
        return hull_error_set(err, errno, "template: open_memstream");
    for (size_t i = 0; i < t->n; i++) {
        const struct node *n = &t->nodes[i];
        json_t *v = NULL;
        char *s;
        if (n->text) {
            fputs(n->text, f);
            continue;
        }
        for (size_t c = 0; c < n->ncmds; c++) {
            json_t *next = NULL;
            if (eval_command(&n->cmds[c], ctx, v, c > 0, &next, err) < 0) {
                json_decref(v);
                fclose(f);
                free(buf);
                return -1;
            }
            json_decref(v);
            v = next;
        }
        s = to_text(v);
        fputs(s, f);
        free(s);
        json_decref(v);
    }
    fclose(f);
    *out = buf;
    return 0;
}

/* "RunningFor" → "RUNNING FOR" unless headers names it. */
static char *header_of(const char *field, json_t *headers)
{
    const char *last = strrchr(field, '.');
    const char *name = last ? last + 1 : field;
    const char *h = json_string_value(json_object_get(headers, field));
    char *out, *o;

    if (h)
        return xstrdup(h);
    out = o = xmalloc0(2 * strlen(name) + 1);
    for (const char *p = name; *p; p++) {
        if (p > name && isupper((unsigned char)*p) && islower((unsigned char)p[-1]))
            *o++ = ' ';
        *o++ = (char)toupper((unsigned char)*p);
    }
    return out;
}

/* The table header: each action prints the header of the first field it names. */
char *hull_template_header(const struct hull_template *t, json_t *headers)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (f == NULL)
        return xstrdup("");
    for (size_t i = 0; i < t->n; i++) {
        const struct node *n = &t->nodes[i];
        const char *field = NULL;
        if (n->text) {
            fputs(n->text, f);
            continue;
        }
        for (size_t c = 0; c < n->ncmds && !field; c++)
            for (size_t a = 0; a < n->cmds[c].n && !field; a++)
                if (n->cmds[c].args[a].kind == ARG_FIELD)
                    field = n->cmds[c].args[a].text;
        if (field) {
            char *h = header_of(field, headers);
            fputs(h, f);
            free(h);
        }
    }
    fclose(f);
    return buf;
}

/* ---- the CLI's --format forms: "table TEMPLATE", "json", "TEMPLATE" ---- */

struct hull_format {
    struct hull_template *tmpl; /* NULL for json */
    bool table;
    char **lines; /* table rows, aligned at flush */
    size_t nlines;
};

/* docker's pre-processing: "table " prefix, literal \t and \n become tabs and
 * newlines. An empty format is `table DEFAULT`. */
int hull_format_open(const char *format, const char *default_table, json_t *headers,
                     struct hull_format **out, hull_error *err)
{
    struct hull_format *f = xmalloc0(sizeof(*f));
    _cleanup_free_ char *text = NULL;
    char *o;

    if (format == NULL || format[0] == '\0' || strcmp(format, "table") == 0)
        format = default_table;
    if (strcmp(format, "json") == 0) {
        *out = f;
        return 0;
    }
    if (hull_str_has_prefix(format, "table")) {
        f->table = true;
        format += 5;
    }
    while (*format == ' ')
        format++;
    text = o = xstrdup(format);
    for (const char *p = format; *p; p++) {
        if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
            *o++ = p[1] == 't' ? '\t' : '\n';
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    if (hull_template_parse(text, &f->tmpl, err) < 0) {
        free(f);
        return -1;
    }
    if (f->table) {
        f->lines = xmalloc0(sizeof(char *));
        f->lines[f->nlines++] = hull_template_header(f->tmpl, headers);
    }
    *out = f;
    return 0;
}

bool hull_format_is_json(const struct hull_format *f)
{
    return f->tmpl == NULL;
}

int hull_format_row(struct hull_format *f, json_t *ctx, FILE *to, hull_error *err)
{
    char *s;

    if (f->tmpl == NULL) {
        s = json_dumps(ctx, JSON_COMPACT);
        fprintf(to, "%s\n", s);
        free(s);
        return 0;
    }
    if (hull_template_render(f->tmpl, ctx, &s, err) < 0)
        return -1;
    if (!f->table) {
        fprintf(to, "%s\n", s);
        free(s);
        return 0;
    }
    f->lines = xrealloc(f->lines, (f->nlines + 1) * sizeof(char *));
    f->lines[f->nlines++] = s;
    return 0;
}

/* Go's tabwriter as docker sets it up (minwidth 10, padding 3): every cell
 * ended by a tab is padded to its column's width; the last cell is not. */
void hull_format_close(struct hull_format *f, FILE *to)
{
    size_t widths[64] = {0};

    if (f == NULL)
        return;
    for (size_t i = 0; i < f->nlines; i++) {
        size_t col = 0, w = 0;
        for (const char *p = f->lines[i]; *p; p++) {
            if (*p == '\t') {
                if (col < 64 && w + 3 > widths[col])
                    widths[col] = w + 3 < 10 ? 10 : w + 3;
                col++;
                w = 0;
            } else if (*p == '\n') {
                col = 0;
                w = 0;
            } else if (((unsigned char)*p & 0xc0) != 0x80) {
                w++;
            }
        }
    }
    for (size_t i = 0; i < f->nlines; i++) {
        size_t col = 0, w = 0;
        for (const char *p = f->lines[i]; *p; p++) {
            if (*p == '\t') {
                for (; col < 64 && w < widths[col]; w++)
                    fputc(' ', to);
                col++;
                w = 0;
                continue;
            }
            if (*p == '\n')
                col = 0, w = 0;
            else if (((unsigned char)*p & 0xc0) != 0x80)
                w++;
            fputc(*p, to);
        }
        fputc('\n', to);
        free(f->lines[i]);
    }
    free(f->lines);
    hull_template_free(f->tmpl);
    free(f);
}
