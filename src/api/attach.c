/* POST /containers/{id}/attach and /resize, through the container monitor's
 * attach socket (engine/attach.h).
 *
 * docker run attaches before it starts the container: an attach to a
 * created (or exited) container makes a socketpair, keeps the monitor's end
 * here (struct api_pending) and relays our end; the next start of that
 * container hands the monitor's end to the new monitor as its first client
 * (api_attach_take, engine's hull_engine_start_client), so no output is
 * missed. An attach to a running container connects to its socket.
 *
 * The relay: the monitor's packets go onto the hijacked connection raw with a
 * TTY, else in docker's 8-byte framing; what the client sends becomes stdin
 * packets (stdin=1 and a container made with OpenStdin), minus the detach
 * keys, which end the attach and leave the container running. The client's
 * end of its input (CloseWrite) shuts our sending side: with pipes the
 * monitor then closes the container's stdin (docker's StdinOnce). */
#include "internal.h"
#include "../base/util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The first byte of a monitor's packet (engine/attach.h). */
enum { PKT_STDOUT = 1, PKT_STDERR = 2 };
#define PKT_MAX (1 + 8192)

struct api_pending {
    struct api_pending *next;
    char *id;
    int fd; /* the monitor's end */
};

/* Is the peer of a socketpair end gone (its attach ended)? */
static bool peer_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = 0};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

static void pending_free(struct api_pending *p)
{
    close(p->fd);
    free(p->id);
    free(p);
}

static void pending_add(struct api_server *s, const char *id, int fd)
{
    struct api_pending *p = xmalloc0(sizeof(*p));
    p->id = xstrdup(id);
    p->fd = fd;
    pthread_mutex_lock(&s->lock);
    p->next = s->pending;
    s->pending = p;
    pthread_mutex_unlock(&s->lock);
}

int api_attach_take(struct api_server *s, const char *id)
{
    struct api_pending **pp, *p;
    int fd = -1;

    pthread_mutex_lock(&s->lock);
    for (pp = &s->pending; (p = *pp) != NULL;) {
        if (peer_gone(p->fd) || (fd < 0 && strcmp(p->id, id) == 0)) {
            *pp = p->next;
            if (fd < 0 && strcmp(p->id, id) == 0 && !peer_gone(p->fd)) {
                fd = p->fd;
                p->fd = -1;
            }
            if (p->fd >= 0)
                close(p->fd);
            free(p->id);
            free(p);
            continue;
        }
        pp = &p->next;
    }
    pthread_mutex_unlock(&s->lock);
    return fd;
}

void api_attach_free_pending(struct api_server *s)
{
    pthread_mutex_lock(&s->lock);
    while (s->pending) {
        struct api_pending *p = s->pending;
        s->pending = p->next;
        pending_free(p);
    }
    pthread_mutex_unlock(&s->lock);
}

struct attach_arg {
    bool tty, in, want[3]; /* want[1] stdout, want[2] stderr */
    int sock;              /* to the monitor */
    struct hull_attach_input *input;
    struct api_extra extra; /* stdin the client sent with the request */
};

static void free_attach_arg(void *p)
{
    struct attach_arg *a = p;
    if (a->sock >= 0)
        close(a->sock);
    if (a->input)
        hull_attach_input_free(a->input);
    free(a->extra.data);
    free(a);
}

/* One packet of output onto the connection; -1 when the client is gone. */
static int relay_output(struct attach_arg *a, int fd, const char *pkt, size_t n)
{
    int stream = pkt[0];
    if ((stream != PKT_STDOUT && stream != PKT_STDERR) || !a->want[stream] || n < 2)
        return 0;
    if (a->tty)
        return api_write_all(fd, pkt + 1, n - 1);
    return api_write_frame(fd, stream, pkt + 1, n - 1);
}

/* Queue client bytes as stdin, chunk by chunk, waiting (up to 10 s a chunk)
 * for room; true when the detach keys completed. */
static bool relay_input(struct attach_arg *a, const char *buf, size_t n)
{
    while (n > 0) {
        size_t k = n < HULL_ATTACH_INPUT_CHUNK ? n : HULL_ATTACH_INPUT_CHUNK;
        struct pollfd p = {.fd = a->sock, .events = POLLOUT};
        while (hull_attach_input_pending(a->input) && poll(&p, 1, 10000) > 0)
            hull_attach_input_flush(a->input, a->sock);
        if (hull_attach_input_queue(a->input, a->sock, buf, k))
            return true;
        buf += k, n -= k;
    }
    return false;
}

static void attach_producer(struct api_server *s, void *p, int fd)
{
    struct attach_arg *a = p;
    char buf[PKT_MAX];
    bool in_open = true, shut = false;
    (void)s;

    if (a->in && a->extra.len && relay_input(a, a->extra.data, a->extra.len))
        return;
    for (;;) {
        bool pending = hull_attach_input_pending(a->input);
        struct pollfd pf[2] = {{.fd = a->sock, .events = POLLIN | (pending ? POLLOUT : 0)},
                               {.fd = in_open && !pending ? fd : -1, .events = POLLIN}};
        if (!in_open && !pending && a->in && !shut) {
            shutdown(a->sock, SHUT_WR); /* after the last of it: stdin ended */
            shut = true;
        }
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pf[0].revents & POLLIN) {
            ssize_t n = recv(a->sock, buf, sizeof(buf), 0);
            if (n <= 0 || relay_output(a, fd, buf, (size_t)n) < 0)
                break; /* the monitor closed us (the container exited) or the client left */
        } else if (pf[0].revents & (POLLHUP | POLLERR)) {
            break;
        }
        if (pf[0].revents & POLLOUT)
            hull_attach_input_flush(a->input, a->sock);
        if (pf[1].revents) {
            ssize_t n = read(fd, buf, HULL_ATTACH_INPUT_CHUNK);
            if (n <= 0) {
                if (n < 0 && errno == EINTR)
                    continue;
                in_open = false; /* the client closed its writing side (or left) */
            } else if (a->in && hull_attach_input_queue(a->input, a->sock, buf, (size_t)n)) {
                break; /* detached: the container runs on */
            }
        }
    }
}

static int attach_target(struct api_req *r, const char *ref, struct hull_attach_target *t,
                         hull_error *err)
{
    struct hull_engine e;
    int ret;

    if (api_open(r->srv, &e, false, err) < 0)
        return -1;
    ret = hull_engine_attach_target(&e, ref, t, err);
    api_close(&e);
    return ret < 0 ? api_no_such_container(err, ref) : ret;
}

/* The socket to the monitor: connected (running), or our end of a pair whose
 * other end waits for the start. */
static int attach_connect(struct api_req *r, const char *id, const char *state, hull_error *err)
{
    struct hull_engine e;
    int sp[2], fd;

    if (strcmp(state, "running") == 0) {
        if (api_open(r->srv, &e, false, err) < 0)
            return -1;
        fd = hull_engine_attach_connect(&e, id, err);
        api_close(&e);
        return fd;
    }
    if (strcmp(state, "created") != 0 && strcmp(state, "exited") != 0)
        return hull_error_msg(err, EBUSY, "container %s is %s: cannot attach", id, state);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
        return hull_error_set(err, errno, "attach %s: socketpair", id);
    pending_add(r->srv, id, sp[1]);
    return sp[0];
}

int api_container_attach(struct api_req *r, const char *ref)
{
    hull_error err = {0};
    bool bad = false, stream, want_in;
    struct attach_arg *a = xmalloc0(sizeof(*a));
    struct hull_attach_target t = {0};
    const char *keys = api_query(r, "detachKeys");

    a->sock = -1;
    stream = api_query_bool(r, "stream", &bad);
    want_in = api_query_bool(r, "stdin", &bad);
    a->want[1] = api_query_bool(r, "stdout", &bad);
    a->want[2] = api_query_bool(r, "stderr", &bad);
    if (bad || !stream || !api_wants_upgrade(r)) {
        free_attach_arg(a);
        return api_error(r, 400,
                         "attach: an upgraded connection with stream=1 (and stdin/stdout/stderr "
                         "booleans) expected; logs=1 without stream is served by /logs");
    }
    a->input = hull_attach_input_new(keys && keys[0] ? keys : NULL, &err);
    if (a->input == NULL || attach_target(r, ref, &t, &err) < 0) {
        free_attach_arg(a);
        return api_fail(r, &err);
    }
    a->tty = t.tty;
    a->in = t.interactive && want_in;
    a->sock = attach_connect(r, t.id, t.state, &err);
    hull_attach_target_clear(&t);
    if (a->sock < 0) {
        free_attach_arg(a);
        return api_fail(r, &err);
    }
    return api_hijack(r,
                      a->tty ? "application/vnd.docker.raw-stream"
                             : "application/vnd.docker.multiplexed-stream",
                      attach_producer, a, free_attach_arg, &a->extra);
}

int api_resize_query(struct api_req *r, unsigned short *rows, unsigned short *cols, hull_error *err)
{
    const char *h = api_query(r, "h"), *w = api_query(r, "w");
    unsigned long long hv, wv;

    if (h == NULL || w == NULL || hull_parse_u64(h, &hv) < 0 || hull_parse_u64(w, &wv) < 0 ||
        hv > 65535 || wv > 65535)
        return hull_error_msg(err, EINVAL,
                              "resize: h and w: expected numbers of rows and columns (0-65535)");
    *rows = (unsigned short)hv;
    *cols = (unsigned short)wv;
    return 0;
}

/* Through the monitor, which holds the container's terminal. The docker CLI
 * resizes right after the start, racing the shell's first prompt: no check
 * before the resize itself; a failure is then explained as dockerd would
 * (404 unknown, 409 not running), else with the engine's reason. */
int api_container_resize(struct api_req *r, const char *ref)
{
    unsigned short rows, cols;
    struct hull_engine e;
    hull_error err = {0}, why = {0};
    int ret;

    if (api_resize_query(r, &rows, &cols, &err) < 0 || api_open(r->srv, &e, false, &err) < 0)
        return api_fail(r, &err);
    ret = hull_engine_resize(&e, ref, rows, cols, &err);
    api_close(&e);
    if (ret == 0)
        return api_empty(r, 200);
    if (api_require_running(r->srv, ref, &why) < 0) {
        hull_error_clear(&err);
        return api_fail(r, &why);
    }
    return api_fail(r, &err);
}
