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
char *hull_engine_runtime_root(struct hull_engine *e);           /* <runroot>/runtime */

/* The rootfs of a new container: an overlay of `lower` (read-only) with an
 * upper layer in the container's dir, mounted at <bundle>/rootfs. */
int hull_engine_mount_rootfs(struct hull_engine *e, const char *id, const char *lower,
                             char **rootfs_out, hull_error *err);
void hull_engine_umount_rootfs(struct hull_engine *e, const char *id);

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

/* monitor.c: the per-container process. Forks; in the parent returns the
 * monitor's pid once the container runs (or failed: err set, -1). */
struct hull_monitor_args {
    const char *id, *name, *image;
    const char *network; /* NULL/"none", "host", "bridge" or a network name */
    const char *ports;   /* JSON array of CNI portMappings, or NULL */
    const char *restart; /* restart policy, NULL = no */
    bool detach, rm, interactive, tty;
};
pid_t hull_monitor_spawn(struct hull_engine *e, const struct hull_monitor_args *a, hull_error *err);

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

#endif
