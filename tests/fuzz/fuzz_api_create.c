/* libFuzzer target: what an API client sends that hull parses: the body of
 * POST /containers/create (hull_api_parse_create), a filters query value
 * (api_parse_filters) and a since/until value (hull_parse_time). The first
 * byte picks the parser. Every input must parse or fail with an error naming
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;

    if (size == 0)
        return 0;
    s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0'; /* query values arrive NUL-terminated */
    switch (data[0] % 3) {
    case 0:
        create(s, size - 1);
        break;
    case 1:
        filters(s);
        break;
    default:
        time_value(s);
        break;
    }
    free(s);
    return 0;
}
