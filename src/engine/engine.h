/* The engine: containers as users of Docker/Podman know them, daemonless.
 * Every command is a short process working on SQLite state (WAL); each running
 * container has a monitor process that owns its stdio, logs and exit status. */
#ifndef HULL_ENGINE_H
#define HULL_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>

#include "../base/error.h"

struct hull_image_store;

struct hull_engine {
    char *root;    /* /var/lib/hull: db, logs, container dirs */
    char *runroot; /* /run/hull: runtime state, bundles */
    struct sqlite3 *db;
    struct hull_image_store *images; /* set by the caller; not owned */
};

int hull_engine_open(struct hull_engine *e, const char *root, const char *runroot, hull_error *err);
void hull_engine_close(struct hull_engine *e);

/* What `hull run`/`create` were asked for; validated by hull_run_opts_check. */
struct hull_run_opts {
    const char *name;
    const char *image;  /* image reference, or NULL with rootfs */
    const char *rootfs; /* --rootfs DIR: a root filesystem instead of an image */
    char **cmd;         /* NULL: the image's */
    char **entrypoint;  /* --entrypoint (one element; "" clears it) */
    char **env;
    char **labels;
    char **cap_add, **cap_drop;
    char **security_opt;
    char **tmpfs;
    char **volumes; /* -v SRC:DST[:ro] (bind mounts) */
    char **ports;   /* -p [IP:]HOSTPORT:CONTAINERPORT[/proto] */
    char **ulimits; /* --ulimit NAME=SOFT[:HARD] */
    char **aliases; /* --network-alias: more names on its (user-defined) network */
    const char *workdir, *user, *hostname, *network, *restart; /* restart: policy */
    long long memory;                                          /* bytes, 0 = none */
    long long pids_limit; /* 0 = default (4096), -1 = unlimited */
    double cpus;
    bool detach, rm, interactive, tty, read_only, privileged, init;
};

/* Create and (unless create_only) start a container. With opts->detach the
 * container id is printed by the caller and we return at once; otherwise the
 * container's exit status is returned in *exit_status. */
int hull_engine_run(struct hull_engine *e, const struct hull_run_opts *o, bool create_only,
                    char **id_out, int *exit_status, hull_error *err);

/* Resolve a name, full id or unique id prefix. */
int hull_engine_lookup(struct hull_engine *e, const char *ref, char **id_out, hull_error *err);

int hull_engine_start(struct hull_engine *e, const char *ref, bool attach, int *exit_status,
                      hull_error *err);
/* The same, detached, with `client` (one end of a SOCK_SEQPACKET pair, or
 * -1) as the monitor's first attach client: connected before the container
 * runs, so none of its output is missed (hull serve's attach-then-start). */
int hull_engine_start_client(struct hull_engine *e, const char *ref, bool attach, int client,
                             int *exit_status, hull_error *err);
/* boot.c: `start --all`: start every created or exited container that
 * matches `filters` (ps's, with restart-policy=), oldest first, except
 * unless-stopped ones the user stopped (a stop or kill after their last
 * start). `report` hears of each one tried (err NULL if it started). Returns
 * how many failed, or -1 (err set) for a bad filter. */
typedef void (*hull_start_report_fn)(void *data, const char *name, const hull_error *err);
int hull_engine_start_all(struct hull_engine *e, char **filters, hull_start_report_fn report,
                          void *data, hull_error *err);
int hull_engine_stop(struct hull_engine *e, const char *ref, int timeout_s, hull_error *err);
int hull_engine_kill(struct hull_engine *e, const char *ref, int sig, hull_error *err);
int hull_engine_rm(struct hull_engine *e, const char *ref, bool force, bool volumes,
                   hull_error *err);
int hull_engine_wait(struct hull_engine *e, const char *ref, int *exit_code, hull_error *err);
/* Array of container objects (the shape of `inspect`, abbreviated for ps). */
int hull_engine_list(struct hull_engine *e, bool all, json_t **out, hull_error *err);
/* Set "paused": true on the rows (of hull_engine_list) whose container is
 * frozen; filters and ps read it. */
void hull_engine_mark_paused(struct hull_engine *e, json_t *rows);
int hull_engine_inspect(struct hull_engine *e, const char *ref, json_t **out, hull_error *err);
/* A container's output from its json-file log. The sink gets each record
 * (stream 1 = stdout, 2 = stderr, time as RFC 3339) and, while following, an
 * idle tick (msg NULL) every 100 ms; a non-zero return stops (< 0: an error,
 * EPIPE). since_ns/until_ns 0 = unbounded; tail -1 = all. */
struct hull_logs_opts {
    bool follow, timestamps;
    long tail;
    int64_t since_ns, until_ns;
};
typedef int (*hull_log_sink)(void *data, int stream, const char *time, const char *msg, size_t len);
int hull_engine_logs_to(struct hull_engine *e, const char *ref, const struct hull_logs_opts *o,
                        hull_log_sink sink, void *data, hull_error *err);
/* The same to stdout/stderr (with --timestamps: "TIME " before each record). */
int hull_engine_logs(struct hull_engine *e, const char *ref, const struct hull_logs_opts *o,
                     hull_error *err);
/* docker's --since/--until forms: RFC 3339, unix seconds[.nanoseconds], or a
 * duration before now_ns (10m, 1h30m; now_ns 0 = the current time). */
int hull_parse_time(const char *s, int64_t now_ns, int64_t *out_ns, hull_error *err);
int hull_engine_exec(struct hull_engine *e, const char *ref, char **cmd, char **env,
                     const char *user, const char *workdir, bool detach, bool tty, int *exit_status,
                     hull_error *err);
/* The same with a terminal (rows x cols when not 0) whose master goes over
 * console_fd (a connected unix socket, > 0; SCM_RIGHTS) to a caller that
 * relays and resizes it itself (hull serve); waits for the process. */
int hull_engine_exec_console(struct hull_engine *e, const char *ref, char **cmd, char **env,
                             const char *user, const char *workdir, int console_fd,
                             unsigned short rows, unsigned short cols, int *exit_status,
                             hull_error *err);
/* Events as JSON lines; since_ns 0 = all; filter "key=value" (type, container,
 * abnormal). follow: keep streaming new events. */
int hull_engine_events(struct hull_engine *e, int64_t since_ns, char **filters, bool follow,
                       hull_error *err);
/* The same events (rows as JSON objects) to a sink, bounded by until_ns (0 =
 * none); while following, the sink gets ev NULL after each poll (every
 * 50 ms). A non-zero return stops (< 0: an error, EPIPE). */
typedef int (*hull_event_sink)(void *data, json_t *ev);
int hull_engine_events_to(struct hull_engine *e, int64_t since_ns, int64_t until_ns, char **filters,
                          bool follow, hull_event_sink sink, void *data, hull_error *err);
/* An event row in docker's shape (events.Message: status, id, from, Type,
 * Action, Actor {ID, Attributes}, scope, time, timeNano). */
json_t *hull_event_docker(json_t *ev);

/* `hull commit`: the container's changes as a new image (tagged o->image when
 * given); a running container is paused meanwhile (unless !o->pause). *image_id
 * (may be NULL) gets the new image's ID. */
struct hull_commit_opts {
    const char *image; /* "repo[:tag]" or NULL */
    const char *message, *author;
    char **changes; /* Dockerfile-style, NULL-terminated, may be NULL */
    bool pause;
};
int hull_engine_commit(struct hull_engine *e, const char *ref, const struct hull_commit_opts *o,
                       char **image_id, hull_error *err);
int hull_engine_pause(struct hull_engine *e, const char *ref, bool pause, hull_error *err);
int hull_engine_rename(struct hull_engine *e, const char *ref, const char *name, hull_error *err);
/* cgroup counters (runc's stats shape, with runc 1.2's network_interfaces)
 * of a running container. */
int hull_engine_stats(struct hull_engine *e, const char *ref, json_t **out, hull_error *err);
/* df.c: `system df`, docker's rows: Images (of `imgs`, active = some
 * container was made from it), Containers (active = running), Local Volumes
 * (active = mounted by a container), Build Cache (always empty). Sizes in
 * bytes; reclaimable = the size of the inactive ones. With the items behind
 * them, for the API's /system/df. */
#define HULL_DF_ROWS 4
struct hull_df_row {
    const char *type;
    size_t total, active;
    int64_t size, reclaimable;
};
struct hull_df {
    struct hull_df_row rows[HULL_DF_ROWS];
    size_t *image_containers; /* per image of imgs: containers made from it */
    json_t *containers;       /* hull_engine_list's rows, each with "size_rw" */
    json_t *volumes;          /* hull_volume_list's, each with "Size" and "RefCount" */
};
struct hull_image;
int hull_engine_df(struct hull_engine *e, struct hull_image *const *imgs, size_t nimg,
                   struct hull_df *d, hull_error *err);
void hull_df_clear(struct hull_df *d);
/* Bytes in the container's writable layer (ps -s); id is a full id. */
int hull_engine_size(struct hull_engine *e, const char *id, int64_t *rw, hull_error *err);
int hull_engine_top(struct hull_engine *e, const char *ref, pid_t **pids, size_t *n,
                    hull_error *err);

/* Attach to a running container's monitor: its output, our stdin unless
 * no_stdin (and only if it was started with -i), detach with detach_keys
 * (NULL: ctrl-p,ctrl-q). sig_proxy: without a terminal, the first SIGINT/
 * TERM/HUP goes to the container. *exit_code is the container's, 0 after a
 * detach. */
int hull_engine_attach(struct hull_engine *e, const char *ref, bool no_stdin, bool sig_proxy,
                       const char *detach_keys, int *exit_code, hull_error *err);
/* For an attach client in another program (hull serve): a socket connected
 * to the monitor of running container ref (the protocol of engine/attach.h),
 * and its input side: detach-key matching (NULL keys: ctrl-p,ctrl-q) and
 * the one stdin packet that waits for room in the socket. */
struct hull_attach_target {
    char *id, *state;
    bool tty, interactive;
};
int hull_engine_attach_target(struct hull_engine *e, const char *ref, struct hull_attach_target *t,
                              hull_error *err);
void hull_attach_target_clear(struct hull_attach_target *t);
int hull_engine_attach_connect(struct hull_engine *e, const char *ref, hull_error *err);
int hull_engine_resize(struct hull_engine *e, const char *ref, unsigned rows, unsigned cols,
                       hull_error *err);
struct hull_attach_input;
#define HULL_ATTACH_INPUT_CHUNK 8176 /* bytes per hull_attach_input_queue */
struct hull_attach_input *hull_attach_input_new(const char *detach_keys, hull_error *err);
/* Queue buf (n <= HULL_ATTACH_INPUT_CHUNK) minus detach keys and try to send
 * it; true if the keys completed (detach). Only while nothing is pending. */
bool hull_attach_input_queue(struct hull_attach_input *in, int sock, const void *buf, size_t n);
bool hull_attach_input_pending(const struct hull_attach_input *in);
void hull_attach_input_flush(struct hull_attach_input *in, int sock);
void hull_attach_input_free(struct hull_attach_input *in);
/* The directory of hull's binaries on disk, not of a sealed memfd copy:
 * /proc/self/exe's, else $HULL_BINDIR; NULL if unknown. hull-monitor and
 * hull (for the monitor's way back) are looked up there. */
char *hull_engine_bindir(void);
/* `hull __monitor-exit`: hull-monitor saw the init of `id` end with wait
 * status `status`; record it, tear down, restart (does not return then) or
 * remove. The attach socket and clients are kept for a restart. Returns the
 * exit code for the process. */
int hull_monitor_exit(struct hull_engine *e, const char *id, int status, int listen_fd,
                      const int *clients, size_t nclients);

/* Repair state after a crash: containers whose monitor died are marked
 * exited with the cause. Called by every command. */
int hull_engine_repair(struct hull_engine *e, hull_error *err);

/* Networks (CNI conflists under <root>/networks). "bridge" is the default,
 * made on first use. */
int hull_network_create(struct hull_engine *e, const char *name, const char *subnet,
                        hull_error *err);
int hull_network_load(struct hull_engine *e, const char *name, json_t **out, hull_error *err);
int hull_network_list(struct hull_engine *e, json_t **out, hull_error *err);
int hull_network_remove(struct hull_engine *e, const char *name, hull_error *err);
/* Connect container `ref` to bridge network `network` as its next
 * interface (eth1, eth2, ...; address `ip` if not NULL): at once when it
 * runs, and at every start until disconnect or rm (a created or stopped
 * container is connected by the record alone). Disconnect it from any
 * network, its first one too (force: also from a network removed since). */
int hull_network_connect(struct hull_engine *e, const char *network, const char *ref,
                         const char *ip, char *const *aliases, hull_error *err);
int hull_network_disconnect(struct hull_engine *e, const char *network, const char *ref, bool force,
                            hull_error *err);
/* Docker's HostConfig.NetworkMode of a containers row (needs its network
 * and opts): the mode it was created with, also after a disconnect from its
 * first network (caller frees). */
char *hull_network_mode(json_t *row);
/* Whether `name` may name a container, or be a network alias (docker's
 * rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 bytes). */
bool hull_engine_name_ok(const char *name);
/* Refuse aliases that are not such names, or any alias on a network
 * without name resolution (docker's rule: user-defined networks only, not
 * bridge, none, host, container:X); `field` names them in the error. */
int hull_network_check_aliases(const char *field, const char *network, char *const *aliases,
                               hull_error *err);

/* Named volumes under <root>/volumes/<name>/_data. */
char *hull_volume_path(struct hull_engine *e, const char *name);
bool hull_volume_name_ok(const char *name);
int hull_volume_create(struct hull_engine *e, const char *name, bool exist_ok, hull_error *err);
int hull_volume_list(struct hull_engine *e, json_t **out, hull_error *err);
int hull_volume_remove(struct hull_engine *e, const char *name, hull_error *err);
int hull_volume_prune(struct hull_engine *e, json_t **removed, hull_error *err);

/* cp.c: copy between a container (running or not) and the host. Every
 * container path is resolved inside its root (openat2 RESOLVE_IN_ROOT).
 * cp_out: container src → host dst, or dst "-" for a tar stream on out_fd.
 * cp_in: host src → container dst, or src "-" for a tar stream on in_fd
 * (extracted into the existing directory dst). keep_ids (cp -a): keep the
 * files' uid/gid; otherwise they belong to the caller (out) or root (in). */
int hull_engine_cp_out(struct hull_engine *e, const char *ref, const char *src, const char *dst,
                       int out_fd, bool keep_ids, hull_error *err);
int hull_engine_cp_in(struct hull_engine *e, const char *ref, const char *src, int in_fd,
                      const char *dst, bool keep_ids, hull_error *err);

/* filter.c: docker's `ps --filter KEY=VALUE` on a container row of
 * hull_engine_list (name=REGEX, id=PREFIX, label=KEY[=VALUE], status=,
 * exited=N, ancestor=IMAGE, network=, abnormal=true|false). Returns 1 if it
 * matches, 0 if not, -1 (err set) for a malformed filter; with c NULL it only
 * checks the filter. */
int hull_container_match(json_t *c, const char *filter, hull_error *err);
/* Rows of `rows` matching every filter key (one key given several times
 * matches any of its values, as with docker), as a new array in *out. */
int hull_container_filter(json_t *rows, char **filters, json_t **out, hull_error *err);
/* ancestor=NAME|ID matches, as in docker, the image NAME or ID resolves to in
 * the store `s` (by its manifest digest, whatever name the container used):
 * each such filter gets that digest as another value of the key. */
void hull_container_filter_images(struct hull_image_store *s, char ***filters);

/* format.c: Go-template-like --format strings ({{.Field.Sub}}, {{.Label "k"}},
 * {{json .X}}, {{index .X "k"}}, upper/lower/title/join, pipes). */
struct hull_template;
int hull_template_parse(const char *text, struct hull_template **out, hull_error *err);
/* Render against ctx; *out is malloc'ed. */
int hull_template_render(const struct hull_template *t, json_t *ctx, char **out, hull_error *err);
/* Header line of a table template; headers maps field names to titles. */
char *hull_template_header(const struct hull_template *t, json_t *headers);
void hull_template_free(struct hull_template *t);

/* The docker CLI's --format forms: "table TEMPLATE" (aligned, with header),
 * "json" (one object per line), "TEMPLATE"; NULL/"" is default_table. */
struct hull_format;
int hull_format_open(const char *format, const char *default_table, json_t *headers,
                     struct hull_format **out, hull_error *err);
int hull_format_row(struct hull_format *f, json_t *ctx, FILE *to, hull_error *err);
/* True for the "json" form (one compact object per line). */
bool hull_format_is_json(const struct hull_format *f);
/* Print buffered table rows (aligned) and free f. */
void hull_format_close(struct hull_format *f, FILE *to);

#endif
