/* The engine: containers as users of Docker/Podman know them, daemonless.
 * Every command is a short process working on SQLite state (WAL); each running
 * container has a monitor process that owns its stdio, logs and exit status. */
#ifndef HULL_ENGINE_H
#define HULL_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
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
int hull_engine_stop(struct hull_engine *e, const char *ref, int timeout_s, hull_error *err);
int hull_engine_kill(struct hull_engine *e, const char *ref, int sig, hull_error *err);
int hull_engine_rm(struct hull_engine *e, const char *ref, bool force, bool volumes,
                   hull_error *err);
int hull_engine_wait(struct hull_engine *e, const char *ref, int *exit_code, hull_error *err);
/* Array of container objects (the shape of `inspect`, abbreviated for ps). */
int hull_engine_list(struct hull_engine *e, bool all, json_t **out, hull_error *err);
int hull_engine_inspect(struct hull_engine *e, const char *ref, json_t **out, hull_error *err);
int hull_engine_logs(struct hull_engine *e, const char *ref, bool follow, long tail,
                     bool timestamps, hull_error *err);
int hull_engine_exec(struct hull_engine *e, const char *ref, char **cmd, char **env,
                     const char *user, const char *workdir, bool detach, bool tty, int *exit_status,
                     hull_error *err);
/* Events as JSON lines; since_ns 0 = all; filter "key=value" (type, container,
 * abnormal). follow: keep streaming new events. */
int hull_engine_events(struct hull_engine *e, int64_t since_ns, char **filters, bool follow,
                       hull_error *err);

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
/* cgroup counters (runc's stats shape) of a running container. */
int hull_engine_stats(struct hull_engine *e, const char *ref, json_t **out, hull_error *err);
int hull_engine_top(struct hull_engine *e, const char *ref, pid_t **pids, size_t *n,
                    hull_error *err);

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

/* Named volumes under <root>/volumes/<name>/_data. */
char *hull_volume_path(struct hull_engine *e, const char *name);
bool hull_volume_name_ok(const char *name);
int hull_volume_create(struct hull_engine *e, const char *name, bool exist_ok, hull_error *err);
int hull_volume_list(struct hull_engine *e, json_t **out, hull_error *err);
int hull_volume_remove(struct hull_engine *e, const char *name, hull_error *err);
int hull_volume_prune(struct hull_engine *e, json_t **removed, hull_error *err);

#endif
