/* Private to src/api: the request, responses, streams and workers. */
#ifndef HULL_API_INTERNAL_H
#define HULL_API_INTERNAL_H

#include "api.h"

#include <pthread.h>
#include <stdint.h>
#include <jansson.h>

struct MHD_Connection;
struct hull_image_store;

struct api_server {
    struct hull_api_opts o;
    int spawner;          /* socket to the spawner process */
    pthread_mutex_t lock; /* the exec table */
    struct api_exec *execs;
    struct api_pending *pending; /* attach clients waiting for a start */
};

/* One HTTP request. path is the URL without the /vX.Y prefix, split. */
struct api_req {
    struct api_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    char *path;
    char *seg[8];
    size_t nseg;
    char *body;
    size_t body_len;
    bool too_large, denied, answered;
};

/* ---- responses (server.c). Each returns the MHD result to hand back. ---- */
int api_json(struct api_req *r, unsigned status, json_t *body); /* steals body */
int api_empty(struct api_req *r, unsigned status);
int api_error(struct api_req *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Status from the errno of an engine/image error: ENOENT 404, EEXIST/EBUSY
 * 409, EINVAL/ENOTSUP 400, else 500. Clears err. */
int api_fail(struct api_req *r, hull_error *err);

const char *api_query(struct api_req *r, const char *key);
/* "1"/"true" are true, "0"/"false"/absent false, anything else: *bad. */
bool api_query_bool(struct api_req *r, const char *key, bool *bad);
bool api_wants_upgrade(struct api_req *r);
/* Every query parameter in order, as key, value, ..., NULL (keys may repeat). */
char **api_query_pairs(struct api_req *r);
/* A since/until query parameter (hull_parse_time's forms); absent, "" or
 * docker's "0" leave *ns alone. Errors are prefixed with the key. */
int api_query_time(struct api_req *r, const char *key, int64_t *ns, hull_error *err);

/* A producer runs in its own thread and writes the response body to fd; it
 * stops when a write fails (the client went away). arg is freed with
 * free_arg after it returns. */
typedef void (*api_producer)(struct api_server *s, void *arg, int fd);
int api_stream(struct api_req *r, unsigned status, const char *content_type, api_producer fn,
               void *arg, void (*free_arg)(void *));
/* Connection upgrade (docker's hijack): 101, then fn owns the raw socket
 * (blocking) in its own thread until it returns. Bytes the client sent after
 * the request (stdin already on its way) are copied to *extra when given. */
struct api_extra {
    char *data;
    size_t len;
};
int api_hijack(struct api_req *r, const char *content_type, api_producer fn, void *arg,
               void (*free_arg)(void *), struct api_extra *extra);
/* Is the reader of a stream fd gone? (for producers that idle) */
bool api_fd_closed(int fd);
int api_write_all(int fd, const void *buf, size_t len);
/* docker's multiplexed framing: 8-byte header (stream, 0, 0, 0, BE32 size). */
int api_write_frame(int fd, int stream, const void *buf, size_t len);

/* The engine (and image store) for one request or stream. */
int api_open(struct api_server *s, struct hull_engine *e, bool images, hull_error *err);
/* An engine "not found" (ENOENT) for container ref becomes docker's message,
 * "No such container: REF", which the CLI shows as is. Returns -1. */
int api_no_such_container(hull_error *err, const char *ref);
void api_close(struct hull_engine *e);
/* hull_engine_inspect of ref with an engine of its own; an unknown container
 * is docker's "No such container: REF" (ENOENT, so 404). */
int api_inspect(struct api_server *s, const char *ref, json_t **out, hull_error *err);
/* 0 if container ref is running; else -1 and that 404, or docker's 409
 * "Container REF is not running" (EBUSY). */
int api_require_running(struct api_server *s, const char *ref, hull_error *err);

/* spawner.c: workers that start monitors and exec processes are forked by a
 * process that has no thread and no SQLite connection (see there). */
int api_spawner_start(const struct hull_api_opts *o, int *sock_out, hull_error *err);
/* Send req ({"op": "start", "id": ID} or {"op": "exec", "container", "cmd",
 * "env", "user", "workdir", "tty", "detach", "console", "rows", "cols"}; with
 * "console", in is a socket that gets the pty master) with the worker's stdio (-1:
 * /dev/null); *reply_out is read by api_spawn_wait. */
int api_spawn(struct api_server *s, json_t *req, int in, int out, int errfd, int *reply_out,
              hull_error *err);
/* Wait for the worker: 0 and its exit code, or -1 and its error. Closes reply. */
int api_spawn_wait(int reply, int *status, hull_error *err);

/* attach.c: the monitor's end of an attach that came before the start of
 * container id (-1 if none); start hands it to the monitor. */
int api_attach_take(struct api_server *s, const char *id);
void api_attach_free_pending(struct api_server *s);
/* exec.c: the exec instances, when the server stops. */
void api_exec_free_all(struct api_server *s);

/* Handlers. Each answers the request (returns api_* result). */
int api_system_ping(struct api_req *r);
int api_system_version(struct api_req *r);
int api_system_info(struct api_req *r);
int api_events(struct api_req *r);
int api_containers_list(struct api_req *r);
int api_containers_create(struct api_req *r);
int api_container_inspect(struct api_req *r, const char *ref);
int api_container_action(struct api_req *r, const char *ref, const char *action);
int api_container_delete(struct api_req *r, const char *ref);
int api_container_pause(struct api_req *r, const char *ref, bool pause);
int api_container_rename(struct api_req *r, const char *ref);
int api_container_wait(struct api_req *r, const char *ref);
int api_container_logs(struct api_req *r, const char *ref);
int api_container_attach(struct api_req *r, const char *ref);
int api_container_resize(struct api_req *r, const char *ref);
/* The h and w (rows, columns) of a resize request; EINVAL naming them. */
int api_resize_query(struct api_req *r, unsigned short *rows, unsigned short *cols,
                     hull_error *err);
int api_container_stats(struct api_req *r, const char *ref);
int api_container_top(struct api_req *r, const char *ref);
/* ps output (text, modified) → docker's {"Titles": [...], "Processes":
 * [[...]]} with the rows of pids only; the last column (the command, which
 * a container names as it likes) keeps its blanks. EIO without a PID column. */
int api_parse_ps(char *text, const pid_t *pids, size_t npids, json_t **out, hull_error *err);
int api_exec_create(struct api_req *r, const char *ref);
int api_exec_start(struct api_req *r, const char *id);
int api_exec_inspect(struct api_req *r, const char *id);
int api_exec_resize(struct api_req *r, const char *id);
int api_images_list(struct api_req *r);
/* images.c: an image in docker's ImageSummary shape (-1: unknown). */
struct hull_image;
json_t *api_image_summary(const struct hull_image *img, json_int_t shared, json_int_t containers);
/* system.c: GET /system/df. */
int api_system_df(struct api_req *r);
int api_image_inspect(struct api_req *r, const char *name);
int api_image_delete(struct api_req *r, const char *name);
int api_images_create(struct api_req *r);
int api_commit(struct api_req *r);
int api_volumes_list(struct api_req *r);
int api_volume_inspect(struct api_req *r, const char *name);
int api_volumes_create(struct api_req *r);
int api_volume_delete(struct api_req *r, const char *name);
int api_networks_list(struct api_req *r);
int api_network_inspect(struct api_req *r, const char *name);
int api_networks_create(struct api_req *r);
int api_network_attach(struct api_req *r, const char *name, bool connect);
int api_network_delete(struct api_req *r, const char *name);

/* Docker time formats. */
char *api_rfc3339(int64_t ns);
int64_t api_now_ns(void);
/* docker's filters query: {"key": ["v", ...]} or the older {"key": {"v": true}},
 * normalized to arrays of strings. NULL/empty s: an empty object. */
int api_parse_filters(const char *s, json_t **out, hull_error *err);

#endif
