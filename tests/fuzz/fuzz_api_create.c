/* libFuzzer target: the body of POST /containers/create (untrusted JSON from
 * any API client) through hull_api_parse_create. Every input must either
 * parse into run options or fail with an error naming the field; nothing
 * leaks (ASan) either way. */
#include "api/api.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hull_api_create c;
    hull_error err = {0};

    if (hull_api_parse_create((const char *)data, size, &c, &err) == 0) {
        /* A parsed body always names an image. */
        if (c.run.image == NULL || c.run.image[0] == '\0')
            __builtin_trap();
        hull_api_create_clear(&c);
    } else if (err.msg == NULL) {
        __builtin_trap();
    }
    hull_error_clear(&err);
    return 0;
}
