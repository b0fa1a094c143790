/* Registry verbs: pull, push, login, logout, image referrers. Arguments only; the
 * work is in src/image/registry.
 *
 * Status lines ("Copying blob ...") go to stderr unless -q; a progress line is
 * drawn on stderr only when it is a terminal. Passwords are read from stdin
 * (--password-stdin) or from the terminal with echo off, never from the command
 * line, and never printed. */
#include "commands.h"
#include "image/image.h"
#include "image/registry/registry.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

enum {
    OPT_TLS_VERIFY = 2000,
    OPT_CERT_DIR,
    OPT_AUTHFILE,
    OPT_PLATFORM,
    OPT_CHUNK_SIZE,
    OPT_DIGESTFILE,
    OPT_PASSWORD_STDIN,
    OPT_ARTIFACT_TYPE,
    OPT_FORMAT,
    OPT_ALL_PLATFORMS,
};

struct reg_cli {
    struct hull_registry_opts opts;
    bool quiet, json, password_stdin, drew;
    const char *digestfile, *user, *artifact_type;
};

static void notice_cb(void *data, const char *msg)
{
    struct reg_cli *o = data;
    if (o->drew) {
        fputs("\r\033[K", stderr);
        o->drew = false;
    }
    fprintf(stderr, "%s\n", msg);
}

static void human(uint64_t n, char *buf, size_t len)
{
    static const char *units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1000 && u + 1 < HULL_ARRAY_SIZE(units)) {
        v /= 1000;
        u++;
    }
    snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

static void progress_cb(void *data, const struct hull_registry_progress *p)
{
    struct reg_cli *o = data;
    char done[32], total[32];
    int width = 30, fill = p->total ? (int)((double)p->done * width / (double)p->total) : width;

    if (fill > width)
        fill = width;
    human(p->done, done, sizeof(done));
    human(p->total, total, sizeof(total));
    fprintf(stderr, "\r\033[K%s [%.*s%*s] %s / %s  %zu/%zu blobs", p->op, fill,
            "==============================", width - fill, "", done, total, p->blobs_done,
            p->blobs_total);
    fflush(stderr);
    o->drew = true;
}

static void end_progress(struct reg_cli *o)
{
    if (o->drew) {
        fputs("\n", stderr);
        o->drew = false;
    }
}

static int parse_bool(const char *opt, const char *v, bool *out)
{
    if (v == NULL || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = false;
        return 0;
    }
    fprintf(stderr, "hull: %s: expected true or false, not \"%s\"\n", opt, v);
    return -1;
}

/* Options shared by every verb here; 1 = handled, -1 = bad value, 0 = not ours. */
static int common_opt(int c, struct reg_cli *o)
{
    bool b;
    switch (c) {
    case OPT_TLS_VERIFY:
        if (parse_bool("--tls-verify", optarg, &b) < 0)
            return -1;
        o->opts.tls = b ? HULL_REGISTRY_TLS_VERIFY : HULL_REGISTRY_TLS_NO_VERIFY;
        return 1;
    case OPT_CERT_DIR:
        o->opts.cert_dir = optarg;
        return 1;
    case OPT_AUTHFILE:
        o->opts.auth_file = optarg;
        return 1;
    case 'q':
        o->quiet = true;
        return 1;
    default:
        return 0;
    }
}

#define COMMON_LONGOPTS                                                                            \
    {"tls-verify", optional_argument, NULL, OPT_TLS_VERIFY},                                       \
        {"cert-dir", required_argument, NULL, OPT_CERT_DIR},                                       \
        {"authfile", required_argument, NULL, OPT_AUTHFILE}, {"quiet", no_argument, NULL, 'q'},    \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }

static void setup_output(struct hull_ctx *ctx, struct reg_cli *o)
{
    o->opts.root = ctx->root;
    if (!o->quiet) {
        o->opts.notice = notice_cb;
        o->opts.notice_data = o;
        if (isatty(STDERR_FILENO)) {
            o->opts.progress = progress_cb;
            o->opts.progress_data = o;
        }
    }
}

static int write_digestfile(const char *path, const char *digest)
{
    hull_error err = {0};
    if (path == NULL)
        return 0;
    if (hull_write_file_atomic(path, digest, strlen(digest), 0644, &err) < 0)
        return hull_cmd_error(&err);
    return 0;
}

#define PULL_USAGE                                                                                 \
    "[-q] [--tls-verify=false] [--cert-dir DIR] [--authfile FILE] [--platform OS/ARCH] "           \
    "[--all-platforms] [REGISTRY/]REPO[:TAG|@DIGEST]"
#define PUSH_USAGE                                                                                 \
    "[-q] [--tls-verify=false] [--cert-dir DIR] [--authfile FILE] [--chunk-size SIZE] "            \
    "[--digestfile FILE] IMAGE [DESTINATION]"

static int cmd_pull_push(struct hull_ctx *ctx, int argc, char **argv, bool push)
{
    static const struct option longopts[] = {
        COMMON_LONGOPTS,
        {"platform", required_argument, NULL, OPT_PLATFORM},
        {"chunk-size", required_argument, NULL, OPT_CHUNK_SIZE},
        {"digestfile", required_argument, NULL, OPT_DIGESTFILE},
        {"all-platforms", no_argument, NULL, OPT_ALL_PLATFORMS},
        {NULL, 0, NULL, 0},
    };
    const char *usage = push ? PUSH_USAGE : PULL_USAGE;
    struct reg_cli o = {0};
    struct hull_image_store *s = NULL;
    hull_error err = {0};
    char digest[HULL_DIGEST_BUF];
    int c, r;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
        int k = common_opt(c, &o);
        long long v;
        if (k < 0)
            return 125;
        if (k > 0)
            continue;
        switch (c) {
        case OPT_PLATFORM:
            if (push)
                return hull_cmd_usage_error(argv[0], usage);
            o.opts.platform = optarg;
            break;
        case OPT_CHUNK_SIZE:
            if (!push || hull_parse_size(optarg, &v) < 0 || v <= 0) {
                fprintf(stderr, "hull: --chunk-size: invalid size %s\n", optarg);
                return 125;
            }
            o.opts.chunk_size = (uint64_t)v;
            break;
        case OPT_DIGESTFILE:
            o.digestfile = optarg;
            break;
        case OPT_ALL_PLATFORMS:
            if (push)
                return hull_cmd_usage_error(argv[0], usage);
            o.opts.all_platforms = true;
            break;
        case 'h':
            printf("usage: hull %s %s\n", argv[0], usage);
            return 0;
        default:
            return hull_cmd_usage_error(argv[0], usage);
        }
    }
    if (optind >= argc || argc - optind > (push ? 2 : 1))
        return hull_cmd_usage_error(argv[0], usage);
    setup_output(ctx, &o);
    if (hull_cmd_open_image_store(ctx, &s, &err) < 0)
        return hull_cmd_error(&err);
    if (push) {
        r = hull_registry_push(s, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL,
                               &o.opts, digest, &err);
    } else {
        if (!o.quiet)
            fprintf(stderr, "Trying to pull %s...\n", argv[optind]);
        r = hull_registry_pull(s, argv[optind], &o.opts, digest, &err);
    }
    end_progress(&o);
    hull_image_store_free(s);
    if (r < 0)
        return hull_cmd_error(&err);
    if (o.quiet)
        printf("%s\n", digest);
    else
        printf("Digest: %s\n", digest);
    return write_digestfile(o.digestfile, digest);
}

/* ---- login / logout --------------------------------------------------------------------- */

/* One line from the terminal, without echo when `secret`. */
static char *prompt(const char *what, bool secret)
{
    FILE *tty = fopen("/dev/tty", "r+");
    struct termios old, quiet;
    char buf[1024];
    bool restore = false;
    char *line = NULL;

    if (tty == NULL)
        return NULL;
    fprintf(tty, "%s: ", what);
    fflush(tty);
    if (secret && tcgetattr(fileno(tty), &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        restore = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
    }
    if (fgets(buf, sizeof(buf), tty)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        line = xstrdup(buf);
    }
    if (restore) {
        tcsetattr(fileno(tty), TCSAFLUSH, &old);
        fputc('\n', tty);
    }
    explicit_bzero(buf, sizeof(buf));
    fclose(tty);
    return line;
}

static char *read_stdin_password(hull_error *err)
{
    char *data = NULL;
    size_t len = 0;
    if (hull_read_fd(STDIN_FILENO, 64 << 10, &data, &len, err) < 0)
        return NULL;
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        data[--len] = '\0';
    return data;
}

#define LOGIN_USAGE                                                                                \
    "[-u USER] [--password-stdin] [--tls-verify=false] [--cert-dir DIR] [--authfile FILE] "        \
    "REGISTRY"

static int cmd_login(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        COMMON_LONGOPTS,
        {"username", required_argument, NULL, 'u'},
        {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
        {NULL, 0, NULL, 0},
    };
    struct reg_cli o = {0};
    hull_error err = {0};
    _cleanup_free_ char *user = NULL, *password = NULL, *host = NULL;
    int c, r;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+u:qh", longopts, NULL)) != -1) {
        int k = common_opt(c, &o);
        if (k < 0)
            return 125;
        if (k > 0)
            continue;
        switch (c) {
        case 'u':
            o.user = optarg;
            break;
        case OPT_PASSWORD_STDIN:
            o.password_stdin = true;
            break;
        case 'h':
            printf("usage: hull login %s\n", LOGIN_USAGE);
            return 0;
        default:
            return hull_cmd_usage_error("login", LOGIN_USAGE);
        }
    }
    if (argc - optind != 1)
        return hull_cmd_usage_error("login", LOGIN_USAGE);
    setup_output(ctx, &o);
    o.opts.progress = NULL;
    if (hull_registry_host_normalize(argv[optind], &host, &err) < 0)
        return hull_cmd_error(&err);
    user = o.user ? xstrdup(o.user) : prompt("Username", false);
    if (user == NULL || *user == '\0') {
        fprintf(stderr, "hull: login: a user name is needed (-u USER)\n");
        return 125;
    }
    if (o.password_stdin)
        password = read_stdin_password(&err);
    else if (isatty(STDIN_FILENO))
        password = prompt("Password", true);
    else {
        fprintf(stderr, "hull: login: no terminal to ask for the password: use "
                        "--password-stdin\n");
        return 125;
    }
    if (password == NULL)
        return err.msg ? hull_cmd_error(&err) : 1;
    r = hull_registry_login(host, user, password, &o.opts, &err);
    explicit_bzero(password, strlen(password));
    if (r < 0)
        return hull_cmd_error(&err);
    printf("Login Succeeded\n");
    return 0;
}

static int cmd_logout(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    struct reg_cli o = {0};
    hull_error err = {0};
    _cleanup_free_ char *host = NULL;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
        int k = common_opt(c, &o);
        if (k < 0)
            return 125;
        if (k > 0)
            continue;
        if (c == 'h') {
            printf("usage: hull logout [--authfile FILE] REGISTRY\n");
            return 0;
        }
        return hull_cmd_usage_error("logout", "[--authfile FILE] REGISTRY");
    }
    if (argc - optind != 1)
        return hull_cmd_usage_error("logout", "[--authfile FILE] REGISTRY");
    o.opts.root = ctx->root;
    if (hull_registry_host_normalize(argv[optind], &host, &err) < 0 ||
        hull_registry_logout(host, &o.opts, &err) < 0)
        return hull_cmd_error(&err);
    printf("Removed login credentials for %s\n", host);
    return 0;
}

/* ---- image referrers -------------------------------------------------------------------- */

#define REFERRERS_USAGE                                                                            \
    "[--tls-verify=false] [--cert-dir DIR] [--authfile FILE] [--artifact-type TYPE] "              \
    "[--format table|json] REGISTRY/REPO[:TAG|@DIGEST]"

static int cmd_referrers(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        COMMON_LONGOPTS,
        {"artifact-type", required_argument, NULL, OPT_ARTIFACT_TYPE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {NULL, 0, NULL, 0},
    };
    struct reg_cli o = {0};
    hull_error err = {0};
    json_t *index = NULL, *e;
    size_t i;
    int c;

    optind = 1;
    o.json = ctx->json;
    while ((c = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
        int k = common_opt(c, &o);
        if (k < 0)
            return 125;
        if (k > 0)
            continue;
        switch (c) {
        case OPT_ARTIFACT_TYPE:
            o.artifact_type = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0) {
                fprintf(stderr, "hull: --format: expected table or json\n");
                return 125;
            }
            o.json = strcmp(optarg, "json") == 0;
            break;
        case 'h':
            printf("usage: hull image referrers %s\n", REFERRERS_USAGE);
            return 0;
        default:
            return hull_cmd_usage_error("image referrers", REFERRERS_USAGE);
        }
    }
    if (argc - optind != 1)
        return hull_cmd_usage_error("image referrers", REFERRERS_USAGE);
    o.quiet = true;
    setup_output(ctx, &o);
    if (hull_registry_referrers(argv[optind], o.artifact_type, &o.opts, &index, &err) < 0)
        return hull_cmd_error(&err);
    if (o.json) {
        char *s = json_dumps(json_object_get(index, "manifests"), JSON_INDENT(2));
        printf("%s\n", s ? s : "[]");
        free(s);
    } else {
        printf("%-71s  %-40s  %s\n", "DIGEST", "ARTIFACT TYPE", "SIZE");
        json_array_foreach (json_object_get(index, "manifests"), i, e) {
            const char *t = json_string_value(json_object_get(e, "artifactType"));
            printf("%-71s  %-40s  %lld\n", json_string_value(json_object_get(e, "digest")),
                   t ? t : "-", (long long)json_integer_value(json_object_get(e, "size")));
        }
    }
    json_decref(index);
    return 0;
}

int hull_cmd_registry(struct hull_ctx *ctx, int argc, char **argv)
{
    hull_image_use_openssl_sha256(); /* libcrypto is loaded for TLS anyway */
    if (strcmp(argv[0], "pull") == 0)
        return cmd_pull_push(ctx, argc, argv, false);
    if (strcmp(argv[0], "push") == 0)
        return cmd_pull_push(ctx, argc, argv, true);
    if (strcmp(argv[0], "login") == 0)
        return cmd_login(ctx, argc, argv);
    if (strcmp(argv[0], "logout") == 0)
        return cmd_logout(ctx, argc, argv);
    return cmd_referrers(ctx, argc, argv);
}
