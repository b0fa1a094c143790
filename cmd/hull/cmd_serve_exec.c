/* `hull serve` lives in hull-serve, next to hull: libmicrohttpd and GnuTLS
 * (~10 libraries) are not loaded by every `hull run`. See exec_sibling.c. */
#include "commands.h"

int hull_cmd_serve(struct hull_ctx *ctx, int argc, char **argv)
{
    (void)argc;
    return hull_cmd_exec_sibling(ctx, argv[0], "hull-serve");
}
