/* Verbs whose code lives in a sibling binary (hull-registry: libcurl;
 * hull-serve: libmicrohttpd): every library a binary links costs time at each
 * exec, and `hull run` execs hull twice (the second time from its sealed
 * copy). hull hands the whole command line over unchanged. */
#include "commands.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int hull_cmd_exec_sibling(struct hull_ctx *ctx, const char *verb, const char *binary)
{
    char self[PATH_MAX], path[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    if (n <= 0) {
        fprintf(stderr, "hull: %s: cannot find my own binary: %s\n", verb, strerror(errno));
        return 125;
    }
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (slash == NULL) {
        fprintf(stderr, "hull: %s: cannot locate %s\n", verb, binary);
        return 125;
    }
    *slash = '\0';
    snprintf(path, sizeof(path), "%s/%s", self, binary);
    execv(path, ctx->argv);
    fprintf(stderr, "hull: %s: exec %s: %s\n", verb, path, strerror(errno));
    return 125;
}
