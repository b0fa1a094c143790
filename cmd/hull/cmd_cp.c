/* `hull cp CONTAINER:SRC DST | SRC CONTAINER:DST` (either path may be "-" for
 * a tar stream on stdout/stdin); the work is src/engine/cp.c. */
#include "commands.h"
#include "engine/engine.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* docker's rule: "NAME:PATH" is in a container unless the part before the
 * colon holds a '/' (then it is a local path with a colon in it). */
static char *split_container(const char *arg, const char **path)
{
    const char *colon = strchr(arg, ':');
    if (arg[0] == '/' || arg[0] == '.' || colon == NULL || colon == arg ||
        memchr(arg, '/', (size_t)(colon - arg)))
        return NULL;
    *path = colon + 1;
    return strndup(arg, (size_t)(colon - arg));
}

int hull_cmd_cp(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option lo[] = {
        {"archive", no_argument, NULL, 'a'},
        {"follow-link", no_argument, NULL, 'L'},
        {"quiet", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0},
    };
    _cleanup_free_ char *src_ctr = NULL, *dst_ctr = NULL;
    const char *src_path = NULL, *dst_path = NULL;
    struct hull_engine e;
    hull_error err = {0};
    bool archive = false;
    int c, r;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+aLq", lo, NULL)) != -1) {
        if (c == 'L') {
            fprintf(stderr, "hull: cp: --follow-link is not supported (symlinks are copied as "
                            "links)\n");
            return 125;
        }
        if (c == 'a')
            archive = true;
        else if (c != 'q')
            return 125;
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: hull cp CONTAINER:SRC_PATH DEST_PATH|-\n"
                        "       hull cp SRC_PATH|- CONTAINER:DEST_PATH\n");
        return 125;
    }
    src_ctr = split_container(argv[optind], &src_path);
    dst_ctr = split_container(argv[optind + 1], &dst_path);
    if ((src_ctr == NULL) == (dst_ctr == NULL)) {
        fprintf(stderr, "hull: cp: %s\n",
                src_ctr ? "copying between containers is not supported"
                        : "one of the paths must be CONTAINER:PATH");
        return 125;
    }
    if ((src_ctr && src_path[0] == '\0') || (dst_ctr && dst_path[0] == '\0')) {
        fprintf(stderr, "hull: cp: the container path is empty\n");
        return 125;
    }
    if (src_ctr && strcmp(argv[optind + 1], "-") == 0 && isatty(1)) {
        fprintf(stderr, "hull: cp: not writing a tar stream to a terminal\n");
        return 125;
    }
    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    if (src_ctr)
        r = hull_engine_cp_out(&e, src_ctr, src_path, argv[optind + 1], 1, archive, &err);
    else
        r = hull_engine_cp_in(&e, dst_ctr, argv[optind], 0, dst_path, archive, &err);
    hull_engine_close(&e);
    return r < 0 ? hull_cmd_fail(&err) : 0;
}
