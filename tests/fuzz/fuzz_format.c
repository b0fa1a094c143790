/* libFuzzer target: --format templates (src/engine/format.c), ps --filter
 * strings (src/engine/filter.c) and images --filter strings (src/image/filter.c). Both come from
 * users and, through the API server, from remote clients. Input: "FILTER\nTEMPLATE". Whatever
 * parses is rendered (as a table too) against a container-shaped object; nothing may crash, leak or
 * read out of bounds, and errors must carry a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "engine/engine.h"
#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *sample(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:{s:s}, s:[s, i]}", "id",
                     "0123456789abcdef", "name", "web", "image", "busybox:latest", "state",
                     "exited", "exit_code", 3, "abnormal", 1, "network", "bridge", "rootfs",
                     "sha256:abcdef0123", "opts", "{\"labels\":{\"app\":\"web\"}}", "Label", "k",
                     "v", "List", "a", 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xmalloc0(size + 1), *nl, *out = NULL;
    struct hull_template *t = NULL;
    struct hull_format *f = NULL;
    json_t *row = sample();
    hull_error err = {0};
    FILE *devnull = fopen("/dev/null", "we");

    memcpy(s, data, size);
    nl = strchr(s, '\n');
    if (nl)
        *nl = '\0';
    if (hull_container_match(row, s, &err) < 0 && err.msg == NULL)
        abort();
    hull_error_clear(&err);
    {
        char *names[] = {"docker.io/library/busybox:latest", NULL}, *filters[] = {s, NULL};
        struct hull_image img = {.names = names};
        if (hull_image_filter(&img, names[0], filters, &err) < 0 && err.msg == NULL)
            abort();
        hull_error_clear(&err);
    }
    if (nl) {
        if (hull_template_parse(nl + 1, &t, &err) == 0) {
            if (hull_template_render(t, row, &out, &err) < 0 && err.msg == NULL)
                abort();
            free(out);
            free(hull_template_header(t, NULL));
            hull_template_free(t);
        } else if (err.msg == NULL) {
            abort();
        }
        hull_error_clear(&err);
        if (hull_format_open(nl + 1, "table {{.id}}", NULL, &f, &err) == 0) {
            hull_format_row(f, row, devnull, &err);
            hull_format_close(f, devnull);
        }
        hull_error_clear(&err);
    }
    fclose(devnull);
    json_decref(row);
    free(s);
    return 0;
}
