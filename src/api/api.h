/* The Docker Engine API (the subset the docker CLI uses for containers, images,
 * exec and events) over a unix socket: `hull serve`. Every endpoint is a call
 * into the engine and image libraries; nothing execs `hull`. */
#ifndef HULL_API_H
#define HULL_API_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../base/error.h"
#include "../engine/engine.h"

#define HULL_API_VERSION     "1.41"
#define HULL_API_MIN_VERSION "1.24"
/* Request paths may name versions up to 1.43 (/v1.43/...). */
#define HULL_API_MAX_PATH_MINOR 43

struct hull_api_opts {
    const char *root, *runroot; /* the engine's state */
    const char *socket_path;    /* unix socket to listen on */
    mode_t socket_mode;         /* e.g. 0660 */
    gid_t socket_gid;           /* (gid_t)-1: leave it */
    const uid_t *allowed_uids;  /* besides root; may be NULL */
    size_t n_allowed_uids;
    const char *busybox_oci;     /* embedded image layout (may be NULL) */
    const char *registry_binary; /* hull-registry, for POST /images/create; NULL: refuse */
};

/* Listen and serve until SIGINT or SIGTERM; then close the socket and remove
 * it. Containers keep running (their monitors are not ours). */
int hull_api_serve(const struct hull_api_opts *o, hull_error *err);

/* The body of POST /containers/create, mapped onto struct hull_run_opts. The
 * strings are owned by the struct (hull_api_create_clear). Errors name the
 * field ("HostConfig.Memory: expected an integer"). */
struct hull_api_create {
    struct hull_run_opts run;
    char **owned; /* the single strings run points to */
};
int hull_api_parse_create(const char *body, size_t len, struct hull_api_create *out,
                          hull_error *err);
void hull_api_create_clear(struct hull_api_create *c);

/* POST /commit: query (NULL-terminated key, value, key, value, ...; keys may
 * repeat) and body (a container config, null or empty) mapped onto struct
 * hull_commit_opts for `container`. Errors name the parameter or field
 * ("config.Env[0]: expected KEY=VALUE"). */
struct hull_api_commit {
    struct hull_commit_opts opts;
    char *container;
    char **changes; /* opts.changes */
    char **owned;   /* the single strings opts points to */
};
int hull_api_parse_commit(char *const *query, const char *body, size_t len,
                          struct hull_api_commit *out, hull_error *err);
void hull_api_commit_clear(struct hull_api_commit *c);

#endif
