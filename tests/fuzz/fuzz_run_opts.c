/* libFuzzer target: `hull run` flag values turned into an OCI spec
 * (hull_engine_build_spec): --ulimit, -v, --tmpfs, --cap-add/--cap-drop,
 * --security-opt, -e, -u, -w, --init, --network. Input: lines "K VALUE"
 * with K one of u v t a d s e U w n i. Whatever is accepted must be a spec
 * the OCI parser accepts too; a refusal must carry a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "engine/internal.h"
#include "oci/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void push(char ***v, const char *s)
{
    size_t n = hull_strv_len(*v);
    *v = xrealloc(*v, (n + 2) * sizeof(char *));
    (*v)[n] = xstrdup(s);
    (*v)[n + 1] = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xmalloc0(size + 1), *save = NULL;
    struct hull_run_opts o = {0};
    char *cmd[] = {"true", NULL};
    json_t *spec = NULL;
    hull_error err = {0};

    memcpy(s, data, size);
    o.cmd = cmd;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *v = strlen(line) > 2 ? line + 2 : "";
        switch (line[0]) {
        case 'u':
            push(&o.ulimits, v);
            break;
        case 'v':
            push(&o.volumes, v);
            break;
        case 't':
            push(&o.tmpfs, v);
            break;
        case 'a':
            push(&o.cap_add, v);
            break;
        case 'd':
            push(&o.cap_drop, v);
            break;
        case 'e':
            push(&o.env, v);
            break;
        case 's':
            /* seccomp=FILE reads a host file: not the parser under test */
            if (!hull_str_has_prefix(v, "seccomp=") || strcmp(v, "seccomp=unconfined") == 0)
                push(&o.security_opt, v);
            break;
        case 'U':
            o.user = v;
            break;
        case 'w':
            o.workdir = v;
            break;
        case 'n':
            o.network = v;
            break;
        case 'i':
            o.init = true;
            break;
        default:
            break;
        }
    }
    if (hull_engine_build_spec(&o, NULL, "rootfs", "fuzz", &spec, &err) == 0) {
        struct hull_config *c = NULL;
        hull_error perr = {0};
        char *text = json_dumps(spec, JSON_COMPACT);
        /* cwd and mount destinations may be relative: the OCI parser refuses
         * those, and so must the runtime; only crashes matter here. */
        if (hull_config_parse(text, strlen(text), NULL, &c, &perr) == 0)
            hull_config_free(c);
        hull_error_clear(&perr);
        free(text);
        json_decref(spec);
    } else if (err.msg == NULL) {
        abort();
    }
    hull_error_clear(&err);
    hull_strv_free(o.ulimits);
    hull_strv_free(o.volumes);
    hull_strv_free(o.tmpfs);
    hull_strv_free(o.cap_add);
    hull_strv_free(o.cap_drop);
    hull_strv_free(o.env);
    hull_strv_free(o.security_opt);
    free(s);
    return 0;
}
