/* `hull run/create/start/ps/stop/kill/rm/logs/exec/inspect/wait/events`:
 * Docker-compatible flags, parsed here; the work is in src/engine. */
#include "commands.h"
#include "engine/engine.h"
#include "image/image.h"
#include "runtime/runtime.h"
#include "base/util.h"
#include "base/json.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void strv_push(char ***v, const char *s)
{
    size_t n = hull_strv_len(*v);
    *v = xrealloc(*v, (n + 2) * sizeof(char *));
    (*v)[n] = xstrdup(s);
    (*v)[n + 1] = NULL;
}

int hull_cmd_fail(hull_error *err)
{
    fprintf(stderr, "hull: %s\n", err->msg ? err->msg : "error");
    hull_error_clear(err);
    return 125;
}

int hull_cmd_open_engine(struct hull_ctx *ctx, struct hull_engine *e)
{
    hull_error err = {0};
    if (hull_engine_open(e, ctx->root, ctx->runroot, &err) < 0)
        return hull_cmd_fail(&err);
    return 0;
}

/* CVE-2019-5736: `hull` clones container processes itself, so it too must
 * run from a sealed copy before it creates or joins a container. The sealed
 * copy's /proc/self/exe is a memfd: $HULL_BINDIR keeps the real directory,
 * where hull-monitor is. */
int hull_cmd_seal(struct hull_ctx *ctx)
{
    hull_error err = {0};
    extern char **environ;
    _cleanup_free_ char *dir = hull_engine_bindir();
    if (dir)
        setenv("HULL_BINDIR", dir, 1);
    if (hull_ensure_sealed_exe(ctx->argc, ctx->argv, environ, &err) < 0)
        return hull_cmd_fail(&err);
    return 0;
}

static int seal(struct hull_ctx *ctx)
{
    return hull_cmd_seal(ctx);
}

enum {
    OPT_RM = 1000,
    OPT_NAME,
    OPT_ROOTFS,
    OPT_MEMORY,
    OPT_PIDS,
    OPT_CPUS,
    OPT_READONLY,
    OPT_CAPADD,
    OPT_CAPDROP,
    OPT_SECOPT,
    OPT_NETWORK,
    OPT_ENTRYPOINT,
    OPT_PRIV,
    OPT_TMPFS,
    OPT_RESTART,
    OPT_LABEL,
    OPT_INIT,
    OPT_ENVFILE,
    OPT_ULIMIT,
    OPT_NETALIAS,
};

static int parse_run(int argc, char **argv, struct hull_run_opts *o, bool create)
{
    static const struct option lo[] = {
        {"detach", no_argument, NULL, 'd'},
        {"rm", no_argument, NULL, OPT_RM},
        {"interactive", no_argument, NULL, 'i'},
        {"tty", no_argument, NULL, 't'},
        {"name", required_argument, NULL, OPT_NAME},
        {"env", required_argument, NULL, 'e'},
        {"env-file", required_argument, NULL, OPT_ENVFILE},
        {"workdir", required_argument, NULL, 'w'},
        {"user", required_argument, NULL, 'u'},
        {"hostname", required_argument, NULL, 'h'},
        {"volume", required_argument, NULL, 'v'},
        {"rootfs", required_argument, NULL, OPT_ROOTFS},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"pids-limit", required_argument, NULL, OPT_PIDS},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"read-only", no_argument, NULL, OPT_READONLY},
        {"cap-add", required_argument, NULL, OPT_CAPADD},
        {"cap-drop", required_argument, NULL, OPT_CAPDROP},
        {"security-opt", required_argument, NULL, OPT_SECOPT},
        {"network", required_argument, NULL, OPT_NETWORK},
        {"net", required_argument, NULL, OPT_NETWORK},
        {"network-alias", required_argument, NULL, OPT_NETALIAS},
        {"net-alias", required_argument, NULL, OPT_NETALIAS},
        {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
        {"privileged", no_argument, NULL, OPT_PRIV},
        {"tmpfs", required_argument, NULL, OPT_TMPFS},
        {"restart", required_argument, NULL, OPT_RESTART},
        {"label", required_argument, NULL, OPT_LABEL},
        {"init", no_argument, NULL, OPT_INIT},
        {"ulimit", required_argument, NULL, OPT_ULIMIT},
        {"publish", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+ditme:w:u:h:v:p:", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->detach = true;
            break;
        case OPT_RM:
            o->rm = true;
            break;
        case 'i':
            o->interactive = true;
            break;
        case 't':
            o->tty = true;
            break;
        case OPT_NAME:
            o->name = optarg;
            break;
        case 'e':
            strv_push(&o->env, optarg);
            break;
        case OPT_ENVFILE: {
            _cleanup_fclose_ FILE *f = fopen(optarg, "re");
            char *line = NULL;
            size_t cap = 0;
            if (f == NULL) {
                fprintf(stderr, "hull: --env-file %s: %s\n", optarg, strerror(errno));
                return -1;
            }
            while (getline(&line, &cap, f) > 0) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0] && line[0] != '#')
                    strv_push(&o->env, line);
            }
            free(line);
            break;
        }
        case 'w':
            o->workdir = optarg;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 'h':
            o->hostname = optarg;
            break;
        case 'v':
            strv_push(&o->volumes, optarg);
            break;
        case 'p':
            strv_push(&o->ports, optarg);
            break;
        case OPT_ROOTFS:
            o->rootfs = optarg;
            break;
        case OPT_MEMORY:
            if (hull_parse_size(optarg, &o->memory) < 0 || o->memory == 0 ||
                (o->memory > 0 && o->memory < 6 * 1024 * 1024)) {
                fprintf(stderr,
                        "hull: --memory \"%s\": expected a size of at least 6m "
                        "(e.g. 64m, 1g)\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_PIDS: {
            char *end;
            o->pids_limit = strtoll(optarg, &end, 10);
            if (*end || end == optarg || o->pids_limit < -1 || o->pids_limit == 0) {
                fprintf(stderr, "hull: --pids-limit \"%s\": expected a positive number or -1\n",
                        optarg);
                return -1;
            }
            break;
        }
        case OPT_CPUS: {
            char *end;
            o->cpus = strtod(optarg, &end);
            if (*end || end == optarg || o->cpus <= 0 || o->cpus > 1024) {
                fprintf(stderr, "hull: --cpus \"%s\": expected a positive number\n", optarg);
                return -1;
            }
            break;
        }
        case OPT_READONLY:
            o->read_only = true;
            break;
        case OPT_CAPADD:
            strv_push(&o->cap_add, optarg);
            break;
        case OPT_CAPDROP:
            strv_push(&o->cap_drop, optarg);
            break;
        case OPT_SECOPT:
            strv_push(&o->security_opt, optarg);
            break;
        case OPT_NETWORK:
            o->network = optarg;
            break;
        case OPT_NETALIAS:
            strv_push(&o->aliases, optarg);
            break;
        case OPT_ENTRYPOINT:
            o->entrypoint = xmalloc0(2 * sizeof(char *));
            o->entrypoint[0] = xstrdup(optarg);
            break;
        case OPT_PRIV:
            o->privileged = true;
            break;
        case OPT_TMPFS:
            strv_push(&o->tmpfs, optarg);
            break;
        case OPT_LABEL:
            strv_push(&o->labels, optarg);
            break;
        case OPT_RESTART: {
            char *end = NULL;
            bool ok = strcmp(optarg, "no") == 0 || strcmp(optarg, "always") == 0 ||
                      strcmp(optarg, "unless-stopped") == 0 || strcmp(optarg, "on-failure") == 0;
            if (!ok && strncmp(optarg, "on-failure:", 11) == 0) {
                long n = strtol(optarg + 11, &end, 10);
                ok = *end == '\0' && end != optarg + 11 && n > 0 && n < 1000000;
            }
            if (!ok) {
                fprintf(stderr,
                        "hull: --restart \"%s\": expected no, always, unless-stopped "
                        "or on-failure[:N]\n",
                        optarg);
                return -1;
            }
            o->restart = optarg;
            break;
        }
        case OPT_INIT:
            o->init = true;
            break;
        case OPT_ULIMIT:
            strv_push(&o->ulimits, optarg);
            break;
        default:
            return -1;
        }
    }
    (void)create;
    if (o->rootfs == NULL) {
        if (optind >= argc) {
            fprintf(stderr, "hull: %s requires an image (or --rootfs DIR)\n", argv[0]);
            return -1;
        }
        o->image = argv[optind++];
    }
    if (optind < argc) {
        o->cmd = xmalloc0((size_t)(argc - optind + 1) * sizeof(char *));
        for (int i = 0; optind + i < argc; i++)
            o->cmd[i] = xstrdup(argv[optind + i]);
    }
    if (o->privileged)
        fprintf(stderr, "hull: WARNING: --privileged: the container gets every capability of "
                        "this process, no seccomp filter and no masked paths\n");
    return 0;
}

static void free_run(struct hull_run_opts *o)
{
    hull_strv_free(o->env);
    hull_strv_free(o->volumes);
    hull_strv_free(o->ports);
    hull_strv_free(o->cap_add);
    hull_strv_free(o->cap_drop);
    hull_strv_free(o->security_opt);
    hull_strv_free(o->tmpfs);
    hull_strv_free(o->labels);
    hull_strv_free(o->ulimits);
    hull_strv_free(o->aliases);
    hull_strv_free(o->cmd);
    hull_strv_free(o->entrypoint);
}

int hull_cmd_run(struct hull_ctx *ctx, int argc, char **argv)
{
    struct hull_run_opts o = {0};
    struct hull_image_store *store = NULL;
    struct hull_engine e;
    hull_error err = {0};
    _cleanup_free_ char *id = NULL;
    bool create = strcmp(argv[0], "create") == 0;
    int status = 0, r;

    if (!create && seal(ctx) != 0)
        return 125;
    if (parse_run(argc, argv, &o, create) < 0) {
        free_run(&o);
        return 125;
    }
    if (hull_cmd_open_engine(ctx, &e) != 0) {
        free_run(&o);
        return 125;
    }
    if (o.rootfs == NULL && hull_cmd_open_image_store(ctx, &store, &err) < 0) {
        free_run(&o);
        hull_engine_close(&e);
        return hull_cmd_fail(&err);
    }
    e.images = store;
    r = hull_engine_run(&e, &o, create, &id, &status, &err);
    hull_image_store_free(store);
    if (r == 0 && (create || o.detach))
        printf("%s\n", id);
    free_run(&o);
    hull_engine_close(&e);
    if (r < 0)
        return hull_cmd_fail(&err);
    return status;
}

/* start --all: one line per container tried (its name, or the error). */
static void report_started(void *data, const char *name, const hull_error *err)
{
    (void)data;
    if (err)
        fprintf(stderr, "hull: start: %s\n", err->msg);
    else
        printf("%s\n", name);
}

/* start --all [--filter KEY=VALUE]...: the boot hook (docs/boot.md). */
static int start_all(struct hull_ctx *ctx, char **filters)
{
    struct hull_engine e;
    hull_error err = {0};
    int failed;

    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    failed = hull_engine_start_all(&e, filters, report_started, NULL, &err);
    hull_engine_close(&e);
    if (failed < 0)
        return hull_cmd_fail(&err);
    return failed ? 1 : 0;
}

int hull_cmd_start(struct hull_ctx *ctx, int argc, char **argv)
{
    struct hull_engine e;
    hull_error err = {0};
    _cleanup_strv_ char **filters = NULL;
    bool attach = false, all = false;
    int rc = 0, i = 1, status = 0;

    if (seal(ctx) != 0)
        return 125;
    /* -a/--attach; -i/--interactive (docker: attach stdin, implies -a; stdin
     * is attached when the container was created with -i); --all and
     * --filter (podman's). */
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--all") == 0) {
            all = true;
        } else if (strcmp(argv[i], "--filter") == 0 || strcmp(argv[i], "-f") == 0) {
            if (++i >= argc) {
                fprintf(stderr, "hull: start: %s needs KEY=VALUE\n", argv[i - 1]);
                return 125;
            }
            strv_push(&filters, argv[i]);
        } else if (hull_str_has_prefix(argv[i], "--filter=")) {
            strv_push(&filters, argv[i] + 9);
        } else if (strcmp(argv[i], "-a") && strcmp(argv[i], "--attach") && strcmp(argv[i], "-i") &&
                   strcmp(argv[i], "--interactive") && strcmp(argv[i], "-ai") &&
                   strcmp(argv[i], "-ia")) {
            fprintf(stderr, "hull: start: unknown option %s\n", argv[i]);
            return 125;
        } else {
            attach = true;
        }
    }
    if (all || filters) {
        if (!all || attach || i < argc) {
            fprintf(stderr, "hull: start: --all [--filter KEY=VALUE]... takes no container "
                            "and no --attach; --filter needs --all\n");
            return 125;
        }
        return start_all(ctx, filters);
    }
    if (i >= argc) {
        fprintf(stderr, "hull: start requires a container\n");
        return 125;
    }
    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    for (; i < argc; i++) {
        if (hull_engine_start(&e, argv[i], attach, &status, &err) < 0)
            rc = hull_cmd_fail(&err);
        else if (!attach)
            printf("%s\n", argv[i]);
    }
    hull_engine_close(&e);
    return rc ? rc : status;
}

/* Verbs of the form VERB [flags] CONTAINER...: stop, restart, kill, rm, wait. */
int hull_cmd_each(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option lo[] = {
        {"time", required_argument, NULL, 't'},
        {"signal", required_argument, NULL, 's'},
        {"force", no_argument, NULL, 'f'},
        {"volumes", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    const char *verb = argv[0];
    struct hull_engine e;
    hull_error err = {0};
    int c, timeout = 10, sig = SIGKILL, rc = 0;
    bool force = false, volumes = false;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+t:s:fv", lo, NULL)) != -1) {
        if (c == 't') {
            char *end;
            long t = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || t < 0 || t > 86400) {
                fprintf(stderr, "hull: %s: --time \"%s\": expected seconds (0-86400)\n", verb,
                        optarg);
                return 125;
            }
            timeout = (int)t;
        } else if (c == 's' && (sig = hull_parse_signal(optarg)) < 0) {
            fprintf(stderr, "hull: kill: unknown signal \"%s\"\n", optarg);
            return 125;
        } else if (c == 'f')
            force = true;
        else if (c == 'v')
            volumes = true;
        else if (c == '?')
            return 125;
    }
    if (optind >= argc) {
        fprintf(stderr, "hull: %s requires at least one container\n", verb);
        return 125;
    }
    /* restart starts containers: like start, from the sealed copy. */
    if (strcmp(verb, "restart") == 0 && seal(ctx) != 0)
        return 125;
    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    for (; optind < argc; optind++) {
        const char *ref = argv[optind];
        int code = 0, r;
        if (strcmp(verb, "stop") == 0)
            r = hull_engine_stop(&e, ref, timeout, &err);
        else if (strcmp(verb, "restart") == 0)
            r = hull_engine_stop(&e, ref, timeout, &err) < 0
                    ? -1
                    : hull_engine_start(&e, ref, false, &code, &err);
        else if (strcmp(verb, "kill") == 0)
            r = hull_engine_kill(&e, ref, sig, &err);
        else if (strcmp(verb, "rm") == 0)
            r = hull_engine_rm(&e, ref, force, volumes, &err);
        else
            r = hull_engine_wait(&e, ref, &code, &err);
        if (r < 0) {
            rc = hull_cmd_fail(&err);
            rc = 1;
            continue;
        }
        if (strcmp(verb, "wait") == 0)
            printf("%d\n", code);
        else
            printf("%s\n", ref);
    }
    hull_engine_close(&e);
    return rc;
}

/* inspect -f TEMPLATE: one rendered line per object, as docker prints them. */
static int inspect_print(json_t *arr, const char *format, hull_error *err)
{
    struct hull_template *t = NULL;
    json_t *o;
    size_t i;

    if (format == NULL) {
        char *s = json_dumps(arr, JSON_INDENT(4));
        puts(s);
        free(s);
        return 0;
    }
    if (hull_template_parse(format, &t, err) < 0)
        return hull_error_prefix(err, "--format");
    json_array_foreach (arr, i, o) {
        char *s;
        if (hull_template_render(t, o, &s, err) < 0) {
            hull_template_free(t);
            return hull_error_prefix(err, "--format");
        }
        puts(s);
        free(s);
    }
    hull_template_free(t);
    return 0;
}

int hull_cmd_inspect(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option lo[] = {
        {"format", required_argument, NULL, 'f'},
        {"type", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    struct hull_engine e;
    hull_error err = {0};
    const char *format = NULL;
    json_t *arr;
    int rc = 0, c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+f:", lo, NULL)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c != 'T' || strcmp(optarg, "container") != 0)
            return 125;
    }
    if (optind >= argc) {
        fprintf(stderr, "hull: inspect requires a container\n");
        return 125;
    }
    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    arr = json_array();
    for (int i = optind; i < argc; i++) {
        json_t *o;
        if (hull_engine_inspect(&e, argv[i], &o, &err) < 0) {
            hull_cmd_fail(&err);
            rc = 1;
            continue;
        }
        json_array_append_new(arr, o);
    }
    hull_engine_close(&e);
    if (inspect_print(arr, format, &err) < 0)
        rc = hull_cmd_fail(&err);
    json_decref(arr);
    return rc;
}

int hull_cmd_logs(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option lo[] = {
        {"follow", no_argument, NULL, 'f'},      {"timestamps", no_argument, NULL, 't'},
        {"tail", required_argument, NULL, 'n'},  {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'}, {NULL, 0, NULL, 0},
    };
    struct hull_logs_opts o = {.tail = -1};
    struct hull_engine e;
    hull_error err = {0};
    int c, r;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+ftn:", lo, NULL)) != -1) {
        if (c == 'f')
            o.follow = true;
        else if (c == 't')
            o.timestamps = true;
        else if (c == 'n')
            o.tail = strcmp(optarg, "all") == 0 ? -1 : atol(optarg);
        else if (c == 's' || c == 'u') {
            if (hull_parse_time(optarg, 0, c == 's' ? &o.since_ns : &o.until_ns, &err) < 0) {
                hull_error_prefix(&err, "logs: --%s", c == 's' ? "since" : "until");
                return hull_cmd_fail(&err);
            }
        } else
            return 125;
    }
    if (optind >= argc) {
        fprintf(stderr, "hull: logs requires a container\n");
        return 125;
    }
    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    r = hull_engine_logs(&e, argv[optind], &o, &err);
    hull_engine_close(&e);
    return r < 0 ? hull_cmd_fail(&err) : 0;
}

int hull_cmd_exec(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option lo[] = {
        {"detach", no_argument, NULL, 'd'},
        {"interactive", no_argument, NULL, 'i'},
        {"tty", no_argument, NULL, 't'},
        {"env", required_argument, NULL, 'e'},
        {"user", required_argument, NULL, 'u'},
        {"workdir", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    struct hull_engine e;
    hull_error err = {0};
    char **env = NULL;
    const char *user = NULL, *workdir = NULL;
    bool detach = false, tty = false;
    int c, r, status = 0;

    if (seal(ctx) != 0)
        return 125;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+dite:u:w:", lo, NULL)) != -1) {
        if (c == 'd')
            detach = true;
        else if (c == 't')
            tty = true;
        else if (c == 'e')
            strv_push(&env, optarg);
        else if (c == 'u')
            user = optarg;
        else if (c == 'w')
            workdir = optarg;
        else if (c != 'i')
            return 125;
    }
    if (optind + 1 >= argc) {
        fprintf(stderr, "hull: exec requires a container and a command\n");
        return 125;
    }
    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    r = hull_engine_exec(&e, argv[optind], argv + optind + 1, env, user, workdir, detach, tty,
                         &status, &err);
    hull_strv_free(env);
    hull_engine_close(&e);
    if (r < 0)
        return hull_cmd_fail(&err);
    return status;
}

/* --format: "json" is docker's events.Message per line; a template sees the
 * Go field names too (.Status .ID .From .Scope .Time .TimeNano). */
struct event_format {
    struct hull_format *f;
    hull_error err; /* a template's error stops the stream */
};

static int format_event(void *data, json_t *ev)
{
    struct event_format *ef = data;
    json_t *d;
    int r;

    if (ev == NULL) {
        fflush(stdout);
        return 0;
    }
    d = hull_event_docker(ev);
    if (!hull_format_is_json(ef->f)) {
        static const char *const go[][2] = {{"status", "Status"}, {"id", "ID"},
                                            {"from", "From"},     {"scope", "Scope"},
                                            {"time", "Time"},     {"timeNano", "TimeNano"}};
        for (size_t i = 0; i < sizeof(go) / sizeof(go[0]); i++)
            json_object_set(d, go[i][1], json_object_get(d, go[i][0]));
    }
    r = hull_format_row(ef->f, d, stdout, &ef->err);
    json_decref(d);
    return r < 0 ? 1 : 0;
}

int hull_cmd_events(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option lo[] = {
        {"since", required_argument, NULL, 's'},
        {"filter", required_argument, NULL, 'f'},
        {"follow", no_argument, NULL, 'F'},
        {"format", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    struct hull_engine e;
    struct event_format ef = {0};
    hull_error err = {0};
    char **filters = NULL;
    const char *format = NULL;
    int64_t since_ns = 0;
    bool follow = false;
    int c, r;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+s:f:F", lo, NULL)) != -1) {
        if (c == 's') {
            /* RFC 3339, unix seconds, or a relative duration like 10m / 2h. */
            if (hull_parse_time(optarg, 0, &since_ns, &err) < 0) {
                hull_error_prefix(&err, "events: --since");
                return hull_cmd_fail(&err);
            }
        } else if (c == 'f') {
            strv_push(&filters, optarg);
        } else if (c == 'F') {
            follow = true;
        } else if (c == 'o') {
            format = optarg;
        } else {
            return 125;
        }
    }
    if (format && *format && hull_format_open(format, "", NULL, &ef.f, &err) < 0) {
        hull_strv_free(filters);
        hull_error_prefix(&err, "events: --format");
        return hull_cmd_fail(&err);
    }
    if (hull_cmd_open_engine(ctx, &e) != 0) {
        hull_format_close(ef.f, stdout);
        hull_strv_free(filters);
        return 125;
    }
    if (ef.f)
        r = hull_engine_events_to(&e, since_ns, 0, filters, follow, format_event, &ef, &err);
    else
        r = hull_engine_events(&e, since_ns, filters, follow, &err);
    hull_format_close(ef.f, stdout);
    if (r == 0 && ef.err.msg) {
        hull_error_clear(&err);
        err = ef.err;
        r = -1;
    }
    hull_strv_free(filters);
    hull_engine_close(&e);
    return r < 0 ? hull_cmd_fail(&err) : 0;
}

/* pause, unpause, rename, top, port. */
int hull_cmd_misc(struct hull_ctx *ctx, int argc, char **argv)
{
    const char *verb = argv[0];
    struct hull_engine e;
    hull_error err = {0};
    int rc = 0;

    if (argc < 2) {
        fprintf(stderr, "hull: %s requires a container\n", verb);
        return 125;
    }
    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    if (strcmp(verb, "pause") == 0 || strcmp(verb, "unpause") == 0) {
        for (int i = 1; i < argc; i++) {
            if (hull_engine_pause(&e, argv[i], verb[0] == 'p', &err) < 0)
                rc = hull_cmd_fail(&err);
            else
                printf("%s\n", argv[i]);
        }
    } else if (strcmp(verb, "rename") == 0) {
        if (argc != 3) {
            fprintf(stderr, "hull: rename CONTAINER NEW_NAME\n");
            rc = 125;
        } else if (hull_engine_rename(&e, argv[1], argv[2], &err) < 0) {
            rc = hull_cmd_fail(&err);
        }
    } else if (strcmp(verb, "top") == 0) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (hull_engine_top(&e, argv[1], &pids, &n, &err) < 0) {
            rc = hull_cmd_fail(&err);
        } else {
            printf("%-8s  %s\n", "PID", "CMD");
            for (size_t i = 0; i < n; i++) {
                char path[64], cmd[4096] = "";
                snprintf(path, sizeof(path), "/proc/%d/cmdline", pids[i]);
                FILE *f = fopen(path, "re");
                size_t got = f ? fread(cmd, 1, sizeof(cmd) - 1, f) : 0;
                if (f)
                    fclose(f);
                for (size_t k = 0; k + 1 < got; k++)
                    if (cmd[k] == '\0')
                        cmd[k] = ' ';
                printf("%-8d  %s\n", pids[i], cmd);
            }
        }
    } else { /* port */
        json_t *o;
        if (hull_engine_inspect(&e, argv[1], &o, &err) < 0) {
            rc = hull_cmd_fail(&err);
        } else {
            json_t *ports = json_object_get(o, "Ports");
            json_t *p;
            size_t i;
            json_array_foreach (ports, i, p) {
                printf("%lld/%s -> %s:%lld\n",
                       json_integer_value(json_object_get(p, "containerPort")),
                       json_string_value(json_object_get(p, "protocol")),
                       json_string_length(json_object_get(p, "hostIP"))
                           ? json_string_value(json_object_get(p, "hostIP"))
                           : "0.0.0.0",
                       json_integer_value(json_object_get(p, "hostPort")));
            }
            json_decref(o);
        }
    }
    hull_engine_close(&e);
    return rc;
}
