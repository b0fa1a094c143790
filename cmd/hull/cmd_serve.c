/* `hull serve [-H unix:///path] [--allow-uid UID]... [--group GID] [--mode MODE]`:
 * the Docker Engine API on a unix socket (src/api). Built into hull-serve,
 * which links libmicrohttpd; `hull serve` execs it (cmd_serve_exec.c). */
#include "commands.h"
#include "api/api.h"
#include "runtime/runtime.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int parse_uid(const char *s, uid_t *out)
{
    struct passwd *pw;
    unsigned long long v;
    if (hull_parse_u64(s, &v) == 0 && v < (uid_t)-1) {
        *out = (uid_t)v;
        return 0;
    }
    pw = getpwnam(s);
    if (pw == NULL)
        return -1;
    *out = pw->pw_uid;
    return 0;
}

static int parse_gid(const char *s, gid_t *out)
{
    struct group *gr;
    unsigned long long v;
    if (hull_parse_u64(s, &v) == 0 && v < (gid_t)-1) {
        *out = (gid_t)v;
        return 0;
    }
    gr = getgrnam(s);
    if (gr == NULL)
        return -1;
    *out = gr->gr_gid;
    return 0;
}

int hull_cmd_serve(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option lo[] = {
        {"host", required_argument, NULL, 'H'},
        {"allow-uid", required_argument, NULL, 'u'},
        {"group", required_argument, NULL, 'g'},
        {"mode", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    struct hull_api_opts o = {.root = ctx->root,
                              .runroot = ctx->runroot,
                              .socket_path = "/run/hull/hull.sock",
                              .socket_mode = 0660,
                              .socket_gid = (gid_t)-1};
    _cleanup_free_ uid_t *uids = NULL;
    _cleanup_free_ char *registry = NULL, *sockdir = NULL;
    hull_error err = {0};
    extern char **environ;
    const char *bindir = getenv("HULL_SERVE_BINDIR"), *bb;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+H:", lo, NULL)) != -1) {
        switch (c) {
        case 'H':
            if (strncmp(optarg, "unix://", 7) != 0 || optarg[7] != '/') {
                fprintf(stderr, "hull: serve -H \"%s\": expected unix:///ABSOLUTE/PATH\n", optarg);
                return 125;
            }
            o.socket_path = optarg + 7;
            break;
        case 'u': {
            uid_t u;
            if (parse_uid(optarg, &u) < 0) {
                fprintf(stderr, "hull: serve --allow-uid \"%s\": no such user\n", optarg);
                return 125;
            }
            uids = xrealloc(uids, (o.n_allowed_uids + 1) * sizeof(uid_t));
            uids[o.n_allowed_uids++] = u;
            break;
        }
        case 'g':
            if (parse_gid(optarg, &o.socket_gid) < 0) {
                fprintf(stderr, "hull: serve --group \"%s\": no such group\n", optarg);
                return 125;
            }
            break;
        case 'm': {
            char *end;
            long m = strtol(optarg, &end, 8);
            if (*end || end == optarg || m < 0 || m > 0777) {
                fprintf(stderr, "hull: serve --mode \"%s\": expected an octal mode\n", optarg);
                return 125;
            }
            o.socket_mode = (mode_t)m;
            break;
        }
        default:
            fprintf(stderr, "usage: hull serve [-H unix:///PATH] [--allow-uid UID]... "
                            "[--group GROUP] [--mode OCTAL]\n");
            return 125;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hull: serve: unexpected argument \"%s\"\n", argv[optind]);
        return 125;
    }
    /* Where hull-registry is: next to us. Found before the re-exec from a
     * sealed memfd below (after it, /proc/self/exe names the memfd). */
    if (bindir == NULL) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
            self[n] = '\0';
            setenv("HULL_SERVE_BINDIR", dirname(self), 1);
            setenv("HULL_BINDIR", getenv("HULL_SERVE_BINDIR"), 1); /* hull-monitor */
            bindir = getenv("HULL_SERVE_BINDIR");
        }
    }
    /* CVE-2019-5736: the server creates containers, so it runs sealed. */
    if (hull_ensure_sealed_exe(ctx->argc, ctx->argv, environ, &err) < 0)
        return hull_cmd_fail(&err);
    if (bindir) {
        registry = xasprintf("%s/hull-registry", bindir);
        if (access(registry, X_OK) == 0)
            o.registry_binary = registry;
    }
    bb = getenv("HULL_BUSYBOX_OCI");
    if (bb == NULL)
        bb = is_dir(HULL_BUSYBOX_OCI) ? HULL_BUSYBOX_OCI : HULL_BUSYBOX_OCI_INSTALLED;
    o.busybox_oci = is_dir(bb) ? bb : NULL;
    o.allowed_uids = uids;
    sockdir = xstrdup(o.socket_path);
    if (hull_mkdir_p(dirname(sockdir), 0755, &err) < 0)
        return hull_cmd_fail(&err);
    if (hull_api_serve(&o, &err) < 0)
        return hull_cmd_fail(&err);
    return 0;
}
