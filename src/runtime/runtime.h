/* hull-runtime's library: one call per CLI verb, like libcrun. */
#ifndef HULL_RUNTIME_RUNTIME_H
#define HULL_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "../base/error.h"

struct hull_runtime {
    const char *root; /* state root, default /run/hull-runtime */
    bool systemd_cgroup;
    bool debug;
};

struct hull_create_opts {
    const char *id;
    const char *bundle;         /* default "." */
    const char *pid_file;       /* written atomically once the init exists */
    const char *console_socket; /* AF_UNIX path receiving the pty master */
    bool no_pivot;              /* MS_MOVE + chroot instead of pivot_root */
    bool no_new_keyring;
    bool detach;      /* run -d */
    bool keep;        /* run --keep: no delete after exit */
    int preserve_fds; /* pass fds 3..3+N-1 to the container */
    /* Called right before the init is cloned, if it gets that far. The clone
     * bypasses glibc's fork handlers: a thread of the caller's that might hold
     * a lock (malloc's) must be joined here, see cgroup/prewarm.c. */
    void (*before_clone)(void *data);
    void *before_clone_data;
};

struct hull_exec_opts {
    const char *id;
    char **args; /* command, unless process_file */
    const char *process_file;
    const char *console_socket, *pid_file, *cwd, *user;
    /* > 0: a connected socket that gets the pty master (SCM_RIGHTS) as
     * console_socket's would, for a caller that relays the terminal itself
     * (hull serve); without detach we still wait for the process. */
    int console_fd;
    unsigned short console_rows, console_cols; /* the terminal's size; 0: the config's */
    char **env, **caps, **additional_gids;
    bool tty, detach, no_new_privs;
    const char *apparmor, *process_label; /* refused: not available here */
    int preserve_fds;
};

int hull_container_create(struct hull_runtime *rt, const struct hull_create_opts *o,
                          hull_error *err);
int hull_container_start(struct hull_runtime *rt, const char *id, hull_error *err);
/* create + start (+ wait + delete unless detached/kept). *exit_status is the
 * container's: its exit code, or 128+signal. */
int hull_container_run(struct hull_runtime *rt, const struct hull_create_opts *o, int *exit_status,
                       hull_error *err);
int hull_container_state(struct hull_runtime *rt, const char *id, json_t **out, hull_error *err);
int hull_container_kill(struct hull_runtime *rt, const char *id, int sig, bool all,
                        hull_error *err);
int hull_container_delete(struct hull_runtime *rt, const char *id, bool force, hull_error *err);
/* Array of state objects (runc list --format json shape). */
int hull_container_list(struct hull_runtime *rt, json_t **out, hull_error *err);
/* A new process in a running container; *exit_status as for run. */
int hull_container_exec(struct hull_runtime *rt, const struct hull_exec_opts *o, int *exit_status,
                        hull_error *err);
/* Pids in the container's cgroup (for `ps`). */
int hull_container_pids(struct hull_runtime *rt, const char *id, pid_t **pids, size_t *n,
                        hull_error *err);
/* Apply new linux.resources (validated first) to a running container. */
int hull_container_update(struct hull_runtime *rt, const char *id, json_t *resources,
                          hull_error *err);
/* `events`: stats as JSON lines every interval, and OOM notifications, until
 * the container stops (or once with stats_once). */
int hull_container_events(struct hull_runtime *rt, const char *id, bool stats_once, int interval_ms,
                          hull_error *err);
int hull_container_pause(struct hull_runtime *rt, const char *id, bool pause, hull_error *err);

/* `spec`: the default, secure config (rootless: user namespace + mappings for
 * the calling user, no cgroup limits that need root). Returns a new reference. */
json_t *hull_spec_default(bool rootless);
/* `features`: runc's features JSON. */
json_t *hull_features(void);

/* CVE-2019-5736: make sure the running binary cannot be opened for writing
 * (a read-only overlay view of it, or a sealed memfd copy), re-exec into one if
 * not. Returns only on success (the re-exec'ed image) or error. */
int hull_ensure_sealed_exe(int argc, char **argv, char **envp, hull_error *err);
/* Whether we run from such a view: /proc/self/exe then does not name the
 * installed binary's path. */
bool hull_running_sealed(void);

#endif
