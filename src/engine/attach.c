/* Attach clients: `hull attach`, and a foreground `hull run`/`start -a`,
 * which are the monitor's first client. The protocol is in attach.h. */
#include "internal.h"
#include "attach.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_DETACH_KEYS "ctrl-p,ctrl-q"
#define MAX_DETACH_KEYS     16

/* Docker's --detach-keys: a comma-separated list of single characters or
 * ctrl-<c> (c in a-z, @, [, \, ], ^, _). "" disables detaching. */
static int parse_detach_keys(const char *spec, unsigned char *keys, size_t *n, hull_error *err)
{
    _cleanup_free_ char *copy = xstrdup(spec);
    char *save = NULL;

    *n = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned char k;
        if (strlen(t) == 1) {
            k = (unsigned char)t[0];
        } else if (strncmp(t, "ctrl-", 5) == 0 && strlen(t) == 6 &&
                   ((t[5] >= 'a' && t[5] <= 'z') || strchr("@[\\]^_", t[5]))) {
            k = t[5] >= 'a' && t[5] <= 'z' ? (unsigned char)(t[5] - 'a' + 1)
                                           : (unsigned char)(t[5] - '@');
        } else {
            return hull_error_msg(err, EINVAL,
                                  "--detach-keys \"%s\": \"%s\" is not a character or ctrl-<c>",
                                  spec, t);
        }
        if (*n == MAX_DETACH_KEYS)
            return hull_error_msg(err, EINVAL, "--detach-keys \"%s\": too many keys", spec);
        keys[(*n)++] = k;
    }
    return 0;
}

static volatile sig_atomic_t got_winch, got_signal;

static void on_signal(int sig)
{
    if (sig == SIGWINCH)
        got_winch = 1;
    else
        got_signal = sig;
}

static void send_winsize(int sock)
{
    struct winsize w;
    struct hull_attach_winsize ws;
    char msg[1 + sizeof(ws)];

    if (ioctl(0, TIOCGWINSZ, &w) < 0)
        return;
    ws.rows = w.ws_row, ws.cols = w.ws_col;
    msg[0] = HULL_ATTACH_RESIZE;
    memcpy(msg + 1, &ws, sizeof(ws));
    (void)send(sock, msg, sizeof(msg), MSG_DONTWAIT | MSG_NOSIGNAL); /* a lost resize is harmless */
}

/* One stdin packet waiting for room in the socket. The monitor stops reading
 * us while the container does not take its stdin; we must keep reading its
 * output meanwhile, or each side would wait for the other. */
struct outbox {
    char msg[1 + HULL_ATTACH_MSG_MAX];
    size_t len;
};

static void outbox_flush(int sock, struct outbox *ob)
{
    ssize_t n;

    if (ob->len == 0)
        return;
    n = send(sock, ob->msg, ob->len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0 || (errno != EAGAIN && errno != EINTR))
        ob->len = 0; /* sent (a packet goes whole), or the monitor is gone */
}

/* Detach-key matching across reads: bytes that may start the sequence are
 * held back until it completes (detach) or breaks (they are sent). */
struct keys {
    unsigned char k[MAX_DETACH_KEYS];
    size_t n, matched;
};

/* At most this much is read from our stdin at a time, so that it and the
 * held-back keys fit one packet. */
#define STDIN_CHUNK (HULL_ATTACH_MSG_MAX - MAX_DETACH_KEYS)
_Static_assert(STDIN_CHUNK == HULL_ATTACH_INPUT_CHUNK, "engine.h's chunk");

/* Queue `in` (n <= STDIN_CHUNK) as one stdin packet, minus detach keys;
 * true if they completed (detach). */
static bool forward_input(int sock, struct keys *dk, struct outbox *ob, const unsigned char *in,
                          size_t n)
{
    char *out = ob->msg + 1;
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (dk->n && in[i] == dk->k[dk->matched]) {
            if (++dk->matched == dk->n)
                return true;
            continue;
        }
        memcpy(out + o, dk->k, dk->matched);
        o += dk->matched;
        dk->matched = 0;
        if (dk->n && in[i] == dk->k[0]) {
            dk->matched = 1;
            if (dk->n == 1)
                return true;
            continue;
        }
        out[o++] = (char)in[i];
    }
    if (o > 0) {
        ob->msg[0] = HULL_ATTACH_STDIN;
        ob->len = 1 + o;
        outbox_flush(sock, ob);
    }
    return false;
}

int hull_attach_relay(struct hull_engine *e, int sock, const struct hull_attach_opts *o)
{
    static const int sigs[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa = {.sa_handler = on_signal}, old[4];
    struct termios saved;
    struct keys dk = {0};
    struct outbox ob = {.len = 0};
    bool raw = false, in_open = o->in, proxied = false, stdin_done = false;
    char buf[1 + HULL_ATTACH_MSG_MAX];
    int end = HULL_ATTACH_EOF;

    if (parse_detach_keys(o->detach_keys ? o->detach_keys : DEFAULT_DETACH_KEYS, dk.k, &dk.n,
                          NULL) < 0)
        dk.n = 0;
    got_winch = got_signal = 0;
    for (size_t i = 0; i < 4; i++)
        sigaction(sigs[i], &sa, &old[i]); /* no SA_RESTART: poll returns EINTR */
    if (o->tty && isatty(0) && tcgetattr(0, &saved) == 0) {
        struct termios t = saved;
        cfmakeraw(&t);
        raw = tcsetattr(0, TCSANOW, &t) == 0;
    }
    if (o->tty)
        send_winsize(sock);
    for (;;) {
        struct pollfd p[2] = {{.fd = sock, .events = POLLIN | (ob.len ? POLLOUT : 0)},
                              {.fd = in_open && !ob.len ? 0 : -1, .events = POLLIN}};
        if (stdin_done && ob.len == 0) {
            shutdown(sock, SHUT_WR); /* after the last of it: stdin ended */
            stdin_done = false;
        }
        if (got_winch) {
            got_winch = 0;
            if (o->tty)
                send_winsize(sock);
        }
        if (got_signal) {
            /* docker's sig-proxy: without a terminal the first signal goes
             * to the container; a second one (or any, with a terminal) ends
             * the client and leaves the container running. */
            int sig = got_signal;
            got_signal = 0;
            if (o->tty || proxied || o->proxy_id == NULL) {
                end = 128 + sig;
                break;
            }
            proxied = true;
            hull_engine_kill(e, o->proxy_id, sig, NULL);
        }
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[0].revents & POLLIN) {
            ssize_t n = recv(sock, buf, sizeof(buf), 0);
            if (n <= 0)
                break;
            if (buf[0] == HULL_ATTACH_EXIT) {
                if (o->exit_status == NULL || n != 1 + sizeof(int))
                    break;
                memcpy(o->exit_status, buf + 1, sizeof(int));
                end = HULL_ATTACH_EXITED;
                break;
            }
            (void)hull_write_all(buf[0] == HULL_ATTACH_STDERR ? 2 : 1, buf + 1, (size_t)n - 1);
        } else if (p[0].revents & (POLLHUP | POLLERR)) {
            break;
        }
        if (p[0].revents & POLLOUT)
            outbox_flush(sock, &ob);
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(0, buf, STDIN_CHUNK);
            if (n <= 0) {
                in_open = false;
                stdin_done = true;
            } else if (forward_input(sock, &dk, &ob, (unsigned char *)buf, (size_t)n)) {
                end = HULL_ATTACH_DETACHED;
                break;
            }
        }
    }
    if (raw)
        tcsetattr(0, TCSAFLUSH, &saved);
    for (size_t i = 0; i < 4; i++)
        sigaction(sigs[i], &old[i], NULL);
    return end;
}

/* Connect to the attach socket in the container's run dir (through an
 * O_PATH fd of the dir: long run roots overflow sun_path). */
static int connect_monitor(struct hull_engine *e, const char *id, hull_error *err)
{
    _cleanup_free_ char *bundle = hull_engine_bundle(e, id);
    _cleanup_close_ int dfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (dfd < 0)
        return hull_error_set(err, errno, "attach %s: open %s", id, bundle);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, HULL_ATTACH_SOCKET);
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hull_error_set(err, errno, "attach %s: socket", id);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e2 = errno;
        close(fd);
        return hull_error_set(err, e2, "attach %s: connect to the monitor's socket", id);
    }
    return fd;
}

int hull_engine_attach(struct hull_engine *e, const char *ref, bool no_stdin, bool sig_proxy,
                       const char *detach_keys, int *exit_code, hull_error *err)
{
    _cleanup_free_ char *id = NULL;
    _cleanup_close_ int sock = -1;
    struct hull_monitor_args a;
    struct hull_attach_opts o = {.detach_keys = detach_keys};
    unsigned char keys[MAX_DETACH_KEYS];
    size_t nkeys;
    json_t *row = NULL;
    bool running;
    int end;

    *exit_code = 0;
    if (detach_keys && parse_detach_keys(detach_keys, keys, &nkeys, err) < 0)
        return -1;
    if (hull_engine_lookup(e, ref, &id, err) < 0 ||
        hull_monitor_args_load(e, id, &a, &row, err) < 0)
        return -1;
    running = strcmp(json_string_value(json_object_get(row, "state")) ?: "", "running") == 0;
    o.in = a.interactive && !no_stdin;
    o.tty = a.tty;
    if (sig_proxy)
        o.proxy_id = id;
    json_decref(row);
    if (!running)
        return hull_error_msg(err, EINVAL,
                              "container %s is not running: cannot attach to a stopped "
                              "container, start it first",
                              ref);
    sock = connect_monitor(e, id, err);
    if (sock < 0)
        return -1;
    end = hull_attach_relay(e, sock, &o);
    if (end != HULL_ATTACH_EOF) {
        *exit_code = end == HULL_ATTACH_DETACHED ? 0 : end;
        return 0;
    }
    return hull_engine_wait(e, id, exit_code, err);
}

int hull_engine_attach_target(struct hull_engine *e, const char *ref, struct hull_attach_target *t,
                              hull_error *err)
{
    struct hull_monitor_args a;
    json_t *row = NULL;

    memset(t, 0, sizeof(*t));
    if (hull_engine_lookup(e, ref, &t->id, err) < 0 ||
        hull_monitor_args_load(e, t->id, &a, &row, err) < 0) {
        hull_attach_target_clear(t);
        return -1;
    }
    t->state = xstrdup(json_string_value(json_object_get(row, "state")) ?: "");
    t->tty = a.tty;
    t->interactive = a.interactive;
    json_decref(row);
    return 0;
}

void hull_attach_target_clear(struct hull_attach_target *t)
{
    free(t->id);
    free(t->state);
    memset(t, 0, sizeof(*t));
}

int hull_engine_attach_connect(struct hull_engine *e, const char *ref, hull_error *err)
{
    struct hull_attach_target t;
    int fd;

    if (hull_engine_attach_target(e, ref, &t, err) < 0)
        return -1;
    if (strcmp(t.state, "running") != 0)
        fd = hull_error_msg(err, EINVAL, "container %s is %s, not running", ref, t.state);
    else
        fd = connect_monitor(e, t.id, err);
    hull_attach_target_clear(&t);
    return fd;
}

/* Through an attach connection of its own: with a terminal only, since a
 * client that leaves ends a piped stdin. */
int hull_engine_resize(struct hull_engine *e, const char *ref, unsigned rows, unsigned cols,
                       hull_error *err)
{
    struct hull_attach_winsize ws = {.rows = (uint16_t)rows, .cols = (uint16_t)cols};
    struct hull_attach_target t;
    char msg[1 + sizeof(ws)];
    _cleanup_close_ int sock = -1;
    bool tty;

    if (rows > UINT16_MAX || cols > UINT16_MAX)
        return hull_error_msg(err, EINVAL, "resize %s: %ux%u: at most 65535 rows and columns", ref,
                              rows, cols);
    if (hull_engine_attach_target(e, ref, &t, err) < 0)
        return -1;
    tty = t.tty;
    hull_attach_target_clear(&t);
    if (!tty)
        return hull_error_msg(err, EINVAL, "resize %s: the container has no terminal", ref);
    sock = hull_engine_attach_connect(e, ref, err);
    if (sock < 0)
        return -1;
    msg[0] = HULL_ATTACH_RESIZE;
    memcpy(msg + 1, &ws, sizeof(ws));
    if (send(sock, msg, sizeof(msg), MSG_NOSIGNAL) < 0)
        return hull_error_set(err, errno, "resize %s: send to the monitor", ref);
    return 0;
}

struct hull_attach_input {
    struct keys dk;
    struct outbox ob;
};

struct hull_attach_input *hull_attach_input_new(const char *detach_keys, hull_error *err)
{
    struct hull_attach_input *in = xmalloc0(sizeof(*in));
    if (parse_detach_keys(detach_keys ? detach_keys : DEFAULT_DETACH_KEYS, in->dk.k, &in->dk.n,
                          err) < 0) {
        free(in);
        return NULL;
    }
    return in;
}

bool hull_attach_input_queue(struct hull_attach_input *in, int sock, const void *buf, size_t n)
{
    return forward_input(sock, &in->dk, &in->ob, buf, n);
}

bool hull_attach_input_pending(const struct hull_attach_input *in)
{
    return in->ob.len > 0;
}

void hull_attach_input_flush(struct hull_attach_input *in, int sock)
{
    outbox_flush(sock, &in->ob);
}

void hull_attach_input_free(struct hull_attach_input *in)
{
    free(in);
}
