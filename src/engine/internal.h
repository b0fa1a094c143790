/* Private to src/engine. */
#ifndef HULL_ENGINE_INTERNAL_H
#define HULL_ENGINE_INTERNAL_H

#include "engine.h"
#include "db.h"

int hull_engine_build_spec(const struct hull_run_opts *o, json_t *image_config, const char *rootfs,
                           const char *hostname, json_t **out, hull_error *err);

/* Paths of a container. */
char *hull_engine_dir(struct hull_engine *e, const char *id);    /* <root>/containers/<id> */
char *hull_engine_bundle(struct hull_engine *e, const char *id); /* <runroot>/containers/<id> */
char *hull_engine_rootfs(struct hull_engine *e, const char *id); /* <bundle>/rootfs */
char *hull_engine_runtime_root(struct hull_engine *e);           /* <runroot>/runtime */

/* The rootfs of a new container: an overlay of `lower` (read-only) with an
 * upper layer in the container's dir, mounted at <bundle>/rootfs. */
int hull_engine_mount_rootfs(struct hull_engine *e, const char *id, const char *lower,
                             char **rootfs_out, hull_error *err);
void hull_engine_umount_rootfs(struct hull_engine *e, const char *id);
/* Remove an exited --rm container: its mount, bundle, directory and row, and a
 * destroy event (the monitor after the exit, repair after a crash). */
void hull_engine_autoremove(struct hull_engine *e, const char *id, const char *name,
                            const char *image);
/* Write <bundle>/config.json again from the database if it is gone. */
int hull_engine_restore_bundle(struct hull_engine *e, const char *id, hull_error *err);
/* Is <bundle>/rootfs mounted? */
bool hull_engine_rootfs_mounted(struct hull_engine *e, const char *id);
/* Mount it again if not (see container.c); returns an fd holding the
 * container's lock, to close once the mount is in use, or -1. */
int hull_engine_ensure_rootfs(struct hull_engine *e, const char *id, hull_error *err);

/* Bytes in the regular files and symlinks under `path` (one file system). */
int hull_engine_dir_bytes(const char *path, int64_t *bytes, hull_error *err);
/* volume.c: how many containers (of any state) mount volume `name`. */
int hull_volume_users(struct hull_engine *e, const char *name, size_t *n, hull_error *err);

/* --network container:REF: point the spec's network namespace at the running
 * container REF's and take its hostname; *peer_id (caller frees) names it.
 * Called at create and again at start (its init may have changed). */
int hull_engine_join_netns(struct hull_engine *e, const char *ref, json_t *spec, char **peer_id,
                           hull_error *err);
#define HULL_NET_CONTAINER "container:"

/* cp.c: extract the tar stream on in_fd into `dir` below the root rootfd
 * (every path resolved in that root); `what` names it in errors. */
int hull_cp_untar(int rootfd, const char *dir, int in_fd, bool keep_ids, const char *what,
                  hull_error *err);

/* monitor.c: the per-container monitor (see the comment at its top). */
struct hull_monitor_args {
    const char *id, *name, *image;
    const char *network; /* NULL/"none", "host", "bridge" or a network name */
    const char *ports;   /* JSON array of CNI portMappings, or NULL */
    const char *restart; /* restart policy, NULL = no */
    bool detach, rm, interactive, tty;
    bool has_client; /* detached: `client` is a first attach client (hull serve) */
    int client;
};
/* Fork the monitor; returns its pid once the container runs (or -1, err set;
 * the monitor records its pid in the container's row itself). Unless a->detach, it then relays the
 * container's output (and stdin with a->interactive) as the monitor's first
 * attach client and waits: *exit_status is the container's exit code (0 if
 * the user detached). */
pid_t hull_monitor_spawn(struct hull_engine *e, const struct hull_monitor_args *a, int *exit_status,
                         hull_error *err);
/* The monitor arguments stored with container `id` (detach set). Strings
 * point into *row_out (the row, with its opts parsed under "_opts"). */
int hull_monitor_args_load(struct hull_engine *e, const char *id, struct hull_monitor_args *a,
                           json_t **row_out, hull_error *err);
/* repair: a monitor that could not exec hull left <bundle>/exit-status;
 * record it (no restart). -1 if there is no such file. */
int hull_monitor_fold_exit_file(struct hull_engine *e, const char *id);

/* attach.c: relay between our stdio and a monitor's attach socket until it
 * closes (HULL_ATTACH_EOF), the user detaches (HULL_ATTACH_DETACHED), the
 * monitor hands us the exit to record (HULL_ATTACH_EXITED, *o->exit_status)
 * or a signal ends the client (128 + its number). With o->tty our terminal is raw
 * meanwhile (restored on every way out) and its size follows SIGWINCH. */
struct hull_attach_opts {
    bool in, tty;            /* send our stdin; the container has a terminal */
    const char *detach_keys; /* NULL: ctrl-p,ctrl-q */
    const char *proxy_id;    /* without a terminal, SIGINT/TERM/HUP go there */
    int *exit_status;        /* owner only: the init's wait status, if sent */
};
/* else 128 + signal */
enum { HULL_ATTACH_EOF = 0, HULL_ATTACH_DETACHED = 1, HULL_ATTACH_EXITED = 2 };
int hull_attach_relay(struct hull_engine *e, int sock, const struct hull_attach_opts *o);

/* network.c: CNI */
int hull_network_attach(struct hull_engine *e, const char *id, const char *network,
                        const char *netns, json_t *ports, char **ip_out, hull_error *err);
void hull_network_detach(struct hull_engine *e, const char *id, const char *netns);
char *hull_network_pin(struct hull_engine *e, const char *id, pid_t pid, hull_error *err);
void hull_network_release(struct hull_engine *e, const char *id);
int hull_network_loopback(const char *id, const char *netns, hull_error *err);
/* Rewrite /etc/hosts of the running containers on `network` (plus `joining`,
 * a container about to start). */
int hull_network_update_hosts(struct hull_engine *e, const char *network, const char *joining);
/* ... of every network container `id` has an address on (after a rename). */
int hull_network_update_hosts_of(struct hull_engine *e, const char *id);
/* Rewrite container `id`'s /etc/hosts: every running container (or
 * `joining`) sharing one of its networks. */
void hull_network_write_hosts(struct hull_engine *e, const char *id, const char *joining);
/* ADD/DEL of a network connected with `network connect` as `ifname`, cached at
 * <root>/cni/results/<id>/<network>.json (netconnect.c). */
int hull_network_add_connected(struct hull_engine *e, const char *id, const char *network,
                               const char *netns, const char *ifname, const char *ip, char **ip_out,
                               hull_error *err);
void hull_network_del_connected(struct hull_engine *e, const char *id, const char *network,
                                const char *netns);
/* Whether a cached attachment of `id` uses `ifname` (also one a connect
 * killed mid-ADD left without a container_networks row). */
bool hull_network_ifname_cached(struct hull_engine *e, const char *id, const char *ifname);
/* The JSON array stored for `aliases`, NULL when there is none (caller frees). */
char *hull_network_aliases_json(char *const *aliases);
/* netconnect.c: docker's NetworkSettings ({IPAddress, Networks: {NAME: {IPAddress,
 * IfName}}}) of container row `r` (a containers row). */
json_t *hull_network_settings(struct hull_engine *e, json_t *r);
/* Whether container `id` has connections besides its first network; ADD
 * them all at start into netns as eth1, eth2, ... (eth0, ... without
 * has_eth0), with their requested addresses (netconnect.c). */
bool hull_network_has_connected(struct hull_engine *e, const char *id);
/* Take container `id`'s network lock (flock on <dir>/network.lock; the fd,
 * close-on-exec, is returned): connect and disconnect hold it throughout, a
 * start from reading the connections until it is recorded running. */
int hull_network_lock(struct hull_engine *e, const char *id, hull_error *err);
int hull_network_attach_connected(struct hull_engine *e, const char *id, const char *netns,
                                  bool has_eth0, hull_error *err);
/* nft.c: per-network NAT/forward rules in nftables table ip hull */
int hull_nft_network_ensure(const char *network, const char *bridge, const char *subnet,
                            hull_error *err);
int hull_nft_network_remove(const char *network, const char *bridge, hull_error *err);
bool hull_nft_forward_drops(void);

#endif
