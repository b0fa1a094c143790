/* `hull attach [--no-stdin] [--detach-keys KEYS] CONTAINER`, and the hidden
 * `hull __monitor-exit ID STATUS` that hull-monitor execs when a container's
 * init ended (src/engine/monitor.c). */
#include "commands.h"
#include "engine/engine.h"
#include "base/util.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hull_cmd_attach(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option lo[] = {
        {"no-stdin", no_argument, NULL, 'n'},
        {"detach-keys", required_argument, NULL, 'k'},
        {"sig-proxy", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *keys = NULL;
    bool no_stdin = false, sig_proxy = true;
    struct hull_engine e;
    hull_error err = {0};
    int c, code = 0, r;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
        if (c == 'n')
            no_stdin = true;
        else if (c == 'k')
            keys = optarg;
        else if (c == 's' && (strcmp(optarg, "true") == 0 || strcmp(optarg, "false") == 0))
            sig_proxy = strcmp(optarg, "true") == 0;
        else {
            if (c == 's')
                fprintf(stderr, "hull: attach: --sig-proxy \"%s\": expected true or false\n",
                        optarg);
            return 125;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: hull attach [--no-stdin] [--detach-keys KEYS] "
                        "[--sig-proxy=false] CONTAINER\n");
        return 125;
    }
    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    r = hull_engine_attach(&e, argv[optind], no_stdin, sig_proxy, keys, &code, &err);
    hull_engine_close(&e);
    if (r < 0)
        return hull_cmd_fail(&err);
    return code;
}

static int parse_fd(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *end || end == s || v < 0 || v > INT_MAX ? -1 : (int)v;
}

/* hull __monitor-exit ID STATUS [--may-restart] --listen FD [--client FD]... */
int hull_cmd_monitor_exit(struct hull_ctx *ctx, int argc, char **argv)
{
    int clients[32], listen_fd = -1, status;
    size_t n = 0;
    bool may_restart = false;
    struct hull_engine e;
    int code;

    if (argc < 3) {
        fprintf(stderr, "hull: __monitor-exit is internal to hull-monitor\n");
        return 125;
    }
    status = atoi(argv[2]);
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--may-restart") == 0)
            may_restart = true;
        else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen_fd = parse_fd(argv[++i]);
        else if (strcmp(argv[i], "--client") == 0 && i + 1 < argc && n < 32)
            clients[n++] = parse_fd(argv[++i]);
    }
    /* A restart creates the container again from this process: it must run
     * from a sealed copy like `hull run` (the fds survive the re-exec). */
    if (may_restart && hull_cmd_seal(ctx) != 0)
        return 125;
    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    code = hull_monitor_exit(&e, argv[1], status, listen_fd, clients, n);
    hull_engine_close(&e);
    return code;
}
