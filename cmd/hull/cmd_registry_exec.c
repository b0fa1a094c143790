/* The registry verbs live in a second binary, hull-registry, next to hull:
 * libcurl and its ~20 libraries cost ~7 ms at every exec of a binary that
 * links them. See exec_sibling.c. */
#include "commands.h"

int hull_cmd_registry(struct hull_ctx *ctx, int argc, char **argv)
{
    (void)argc;
    return hull_cmd_exec_sibling(ctx, argv[0], "hull-registry");
}
