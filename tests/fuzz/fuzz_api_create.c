/* libFuzzer target: what an API client sends that hull parses: the body of
 * POST /containers/create (hull_api_parse_create), a filters query value
 * (api_parse_filters), a since/until value (hull_parse_time), the query
 * and body of POST /commit (hull_api_parse_commit), and the ps output that
 * GET /containers/{id}/top reads (api_parse_ps: its command column is what
 * the container's processes call themselves). The first byte picks the
 * parser. Every input must parse or fail with an error naming
 * what was wrong; nothing leaks or overflows (ASan) either way. */
#include "api/api.h"
#include "api/internal.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void create(const char *s, size_t n)
{
    struct hull_api_create c;
    hull_error err = {0};

    if (hull_api_parse_create(s, n, &c, &err) == 0) {
        /* A parsed body always names an image. */
        if (c.run.image == NULL || c.run.image[0] == '\0')
            __builtin_trap();
        hull_api_create_clear(&c);
    } else if (err.msg == NULL) {
        __builtin_trap();
    }
    hull_error_clear(&err);
}

static void filters(const char *s)
{
    json_t *f = NULL;
    hull_error err = {0};
    if (api_parse_filters(s, &f, &err) < 0 && err.msg == NULL)
        __builtin_trap();
    json_decref(f);
    hull_error_clear(&err);
}

static void time_value(const char *s)
{
    int64_t ns = 0;
    hull_error err = {0};
    if (hull_parse_time(s, 1700000000000000000LL, &ns, &err) < 0 && err.msg == NULL)
        __builtin_trap();
    hull_error_clear(&err);
}

/* "k=v&k=v..." up to the first newline is the query, the rest the body. */
static void commit(const char *s, size_t n)
{
    const char *nl = memchr(s, '\n', n);
    size_t qlen = nl ? (size_t)(nl - s) : n;
    char *q = strndup(s, qlen), *save = NULL, **pairs = calloc(2 * qlen + 3, sizeof(char *));
    size_t np = 0;
    struct hull_api_commit c;
    hull_error err = {0};

    for (char *t = strtok_r(q, "&", &save); t; t = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(t, '=');
        if (eq)
            *eq = '\0';
        pairs[np++] = t;
        pairs[np++] = eq ? eq + 1 : t + strlen(t);
    }
    if (hull_api_parse_commit(pairs, nl ? nl + 1 : "", nl ? n - qlen - 1 : 0, &c, &err) == 0) {
        /* A parsed request always names a container; every change is one line. */
        if (c.container == NULL || c.container[0] == '\0')
            __builtin_trap();
        for (char **ch = c.opts.changes; ch && *ch; ch++)
            if (strpbrk(*ch, "\r\n"))
                __builtin_trap();
        hull_api_commit_clear(&c);
    } else if (err.msg == NULL) {
        __builtin_trap();
    }
    hull_error_clear(&err);
    free(pairs);
    free(q);
}

/* Rows of pids 1 and 42 are kept; every kept row has as many columns as
 * there are titles. */
static void ps_output(char *s)
{
    static const pid_t pids[] = {1, 42};
    json_t *out = NULL, *row;
    hull_error err = {0};
    size_t i;

    if (api_parse_ps(s, pids, 2, &out, &err) == 0) {
        size_t ncol = json_array_size(json_object_get(out, "Titles"));
        json_array_foreach (json_object_get(out, "Processes"), i, row)
            if (json_array_size(row) != ncol)
                __builtin_trap();
    } else if (err.msg == NULL) {
        __builtin_trap();
    }
    json_decref(out);
    hull_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;

    if (size == 0)
        return 0;
    s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0'; /* query values arrive NUL-terminated */
    switch (data[0] % 5) {
    case 0:
        create(s, size - 1);
        break;
    case 1:
        filters(s);
        break;
    case 2:
        time_value(s);
        break;
    case 3:
        commit(s, size - 1);
        break;
    default:
        ps_output(s);
        break;
    }
    free(s);
    return 0;
}
