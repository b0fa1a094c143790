/* The `hull` engine's verbs. cmd/hull only parses arguments; each verb calls
 * into src/ (engine, image, security). One file per area: cmd_<area>.c. */
#ifndef HULL_CMD_COMMANDS_H
#define HULL_CMD_COMMANDS_H

#include <stdbool.h>

/* Global options, parsed before the verb. */
struct hull_ctx {
    const char *root;    /* persistent state: images, containers (default /var/lib/hull) */
    const char *runroot; /* runtime state (default /run/hull) */
    bool debug;
    bool json; /* --format json where a verb supports it */
    int argc;  /* the whole command line, for re-exec */
    char **argv;
};

struct hull_command {
    const char *name;
    int (*run)(struct hull_ctx *ctx, int argc, char **argv); /* argv[0] is the verb */
    const char *summary;
};

/* cmd_container.c; the two helpers are shared by the engine verbs' files. */
struct hull_engine;
struct hull_error;
int hull_cmd_open_engine(struct hull_ctx *ctx, struct hull_engine *e);
int hull_cmd_fail(struct hull_error *err);                     /* prints, clears, returns 125 */
int hull_cmd_run(struct hull_ctx *ctx, int argc, char **argv); /* run and create */
int hull_cmd_start(struct hull_ctx *ctx, int argc, char **argv);
int hull_cmd_each(struct hull_ctx *ctx, int argc, char **argv); /* stop restart kill rm wait */
int hull_cmd_ps(struct hull_ctx *ctx, int argc, char **argv);
/* cmd_ps.c: docker's units.HumanSize*: "8.39MB" (decimal units; 3 digits, or `digits`). */
char *hull_cmd_human_size(double n);
char *hull_cmd_human_size_digits(double n, int digits);
int hull_cmd_inspect(struct hull_ctx *ctx, int argc, char **argv);
int hull_cmd_logs(struct hull_ctx *ctx, int argc, char **argv);
int hull_cmd_exec(struct hull_ctx *ctx, int argc, char **argv);
int hull_cmd_events(struct hull_ctx *ctx, int argc, char **argv);
int hull_cmd_cp(struct hull_ctx *ctx, int argc, char **argv);
int hull_cmd_network(struct hull_ctx *ctx, int argc, char **argv);
int hull_cmd_volume(struct hull_ctx *ctx, int argc, char **argv);
int hull_cmd_misc(struct hull_ctx *ctx, int argc, char **argv); /* pause unpause rename top port */
int hull_cmd_stats(struct hull_ctx *ctx, int argc, char **argv);

/* cmd_container.c: re-exec from a sealed copy (CVE-2019-5736), after
 * remembering the real directory in $HULL_BINDIR (hull-monitor is there). */
int hull_cmd_seal(struct hull_ctx *ctx);

/* cmd_attach.c: attach, and the hidden __monitor-exit (hull-monitor's way
 * back into hull when a container's init ended). */
int hull_cmd_attach(struct hull_ctx *ctx, int argc, char **argv);
int hull_cmd_monitor_exit(struct hull_ctx *ctx, int argc, char **argv);

/* cmd_bench.c */
int hull_cmd_bench(struct hull_ctx *ctx, int argc, char **argv);

/* cmd_image.c */
int hull_cmd_image(struct hull_ctx *ctx, int argc, char **argv);  /* image SUBCOMMAND */
int hull_cmd_images(struct hull_ctx *ctx, int argc, char **argv); /* images history tag rmi
                                                                     import load save */

/* cmd_image.c: image and registry verbs report errors the same way: the
 * message (exit 1), or the usage line (exit 125). */
int hull_cmd_error(struct hull_error *err);
int hull_cmd_usage_error(const char *verb, const char *usage);

/* cmd_image.c: the image store with the CLI's defaults (embedded busybox). */
struct hull_image_store;
struct hull_error;
int hull_cmd_open_image_store(struct hull_ctx *ctx, struct hull_image_store **s,
                              struct hull_error *err);

/* cmd_registry.c */
int hull_cmd_registry(struct hull_ctx *ctx, int argc, char **argv); /* pull push login logout
                                                                       image referrers */

/* cmd_system.c: info, system info|prune */
int hull_cmd_system(struct hull_ctx *ctx, int argc, char **argv);

/* exec_sibling.c: exec BINARY (next to this one) with the same command line. */
int hull_cmd_exec_sibling(struct hull_ctx *ctx, const char *verb, const char *binary);

/* cmd_serve.c (in hull-serve; cmd_serve_exec.c in hull and hull-registry) */
int hull_cmd_serve(struct hull_ctx *ctx, int argc, char **argv);

/* cmd_version.c */
int hull_cmd_version(struct hull_ctx *ctx, int argc, char **argv);

#endif
