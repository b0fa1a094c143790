/* Private to src/runtime: the pieces the container init is made of. */
#ifndef HULL_RUNTIME_INTERNAL_H
#define HULL_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/error.h"
#include "../oci/config.h"
#include "seccomp.h"

/* Messages on the parent ⇄ init socketpair (SOCK_SEQPACKET: one message per
 * send, so a short read can never split a header from its payload). */
enum hull_sync {
    SYNC_GO = 1,       /* parent → child: maps written, cgroup joined */
    SYNC_PID,          /* child → parent: value = pid of the init (grandchild case) */
    SYNC_HOOKS,        /* init → parent: mounts done, run prestart/createRuntime */
    SYNC_HOOKS_DONE,   /* parent → init */
    SYNC_PTY,          /* init → parent: pty master attached (SCM_RIGHTS) */
    SYNC_CREATED,      /* init → parent: ready, now blocking on exec.fifo */
    SYNC_ERROR,        /* either way: payload is the message */
    SYNC_SECCOMP,      /* init → parent: seccomp listener fd (SCM_RIGHTS) */
    SYNC_SECCOMP_DONE, /* parent → init: fd forwarded to listenerPath */
    SYNC_STATE,        /* init → parent: request; parent → init: state JSON */
};

struct hull_sync_msg {
    int32_t type;
    int32_t value;
    char text[16384];
};

int hull_sync_send(int fd, int type, int value, const char *text, int pass_fd);
/* Receive one message; *fd_out receives a passed fd or -1. */
int hull_sync_recv(int fd, struct hull_sync_msg *m, int *fd_out, hull_error *err);

/* Everything the container init needs, prepared by the parent before clone. */
struct hull_init_ctx {
    const struct hull_config *config;
    const struct hull_seccomp_program *seccomp;
    const char *id;
    const char *state_dir;
    int sync_fd;        /* init's end of the socketpair */
    int fifo_fd;        /* O_PATH fd of exec.fifo, -1 for exec */
    int console_fd;     /* connected console socket, -1 */
    bool pty_to_parent; /* foreground run with a terminal: master goes to parent */
    bool no_pivot;
    bool no_new_keyring;
    int preserve_fds;
    int ns_new;           /* CLONE_NEW* flags the clone created */
    int made_netns;       /* a new network namespace made beforehand to join, or -1 */
    const int *idmap_fds; /* per mount: detached idmapped tree, or -1; may be NULL */
};

/* namespaces.c */
int hull_ns_clone_flags(const struct hull_config *c);
int hull_ns_join(const struct hull_config *c, int *flags_left, hull_error *err);
int hull_ns_write_mappings(pid_t pid, const struct hull_config *c, hull_error *err);
pid_t hull_raw_clone(unsigned long flags);

/* mounts.c: rootfs, before and after pivot_root */
int hull_rootfs_prepare(struct hull_init_ctx *ctx, hull_error *err);
int hull_rootfs_pivot(struct hull_init_ctx *ctx, hull_error *err);
int hull_rootfs_finalize(struct hull_init_ctx *ctx, hull_error *err);
/* Open (creating as needed) `path` below rootfd without ever leaving it. */
int hull_mkdir_in_root(int rootfd, const char *path, bool last_is_file, hull_error *err);

/* idmap.c: detached idmapped trees, made by the parent before clone. */
int hull_idmap_prepare(const struct hull_config *c, int **fds_out, hull_error *err);
void hull_idmap_free(int *fds, size_t n);

/* devices.c */
int hull_devices_setup(struct hull_init_ctx *ctx, int rootfd, bool dev_is_new, hull_error *err);

/* caps.c: bounding/effective/permitted/inheritable/ambient from the spec. */
int hull_caps_drop_bounding(const struct hull_process *p, hull_error *err);
int hull_caps_apply(const struct hull_process *p, hull_error *err);

/* process.c: the last steps before execve, shared by init and exec. */
/* proc_fd: a verified procfs dir fd to use instead of the path /proc, or -1. */
int hull_process_setup_early(const struct hull_process *p, int proc_fd, hull_error *err);
int hull_process_find_exec(const struct hull_process *p, char **path_out, hull_error *err);
int hull_process_finalize(const struct hull_process *p, const struct hull_seccomp_program *sc,
                          int *notify_fd, hull_error *err);
int hull_set_ids(uid_t uid, gid_t gid);
int hull_close_fds_except(int preserve, const int *keep, size_t nkeep);

/* hooks.c */
int hull_hooks_run(const struct hull_config *c, int kind, const char *state_json, hull_error *err);

void hull_hooks_run_all(const struct hull_config *c, int kind, const char *state_json,
                        const char *id);

/* terminal.c */
int hull_console_connect(const char *path, hull_error *err);
int hull_pty_open(int *master, char **slave_path, hull_error *err);
/* console: also make the slave /dev/console (the init; never for exec). */
int hull_pty_setup_slave(const char *slave_path, unsigned rows, unsigned cols, bool console,
                         hull_error *err);
/* sendmsg of buf with fd attached (SCM_RIGHTS) unless fd < 0; EINTR retried. */
int hull_send_buf_fd(int sock, const void *buf, size_t len, int fd);
int hull_send_fd(int sock, int fd, const char *payload);
int hull_pty_proxy(int master, pid_t child, int *status);

/* container.c */
struct hull_runtime;
int hull_runtime_compile_seccomp(struct hull_runtime *rt, const struct hull_config *c,
                                 struct hull_seccomp_program *sc, hull_error *err);
void hull_init_main(struct hull_init_ctx *ctx) __attribute__((noreturn));

#endif
