/* POST /containers/{id}/exec, POST /exec/{id}/start, /exec/{id}/resize, GET
 * /exec/{id}/json. An exec instance lives in the server's memory (as in
 * dockerd) until the server stops; the process runs in a forked worker whose
 * stdio are pipes that we frame onto the connection. With a TTY the worker
 * sends us the pty master instead (the runtime's console socket, here a
 * socketpair): we relay it and apply resizes to it with TIOCSWINSZ. */
#include "internal.h"
#include "../base/util.h"
#include "../base/json.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MAX_EXECS 1024

struct api_exec {
    struct api_exec *next;
    char id[65];
    char *container;
    char **cmd, **env;
    char *user, *workdir;
    bool tty, stdin_, started, running, done;
    int exit_code;
    pid_t pid;
    int pty;                   /* the master while a TTY exec runs, else -1 */
    unsigned short rows, cols; /* the last size asked for (0: none) */
};

static char **strv_dup(char **v)
{
    size_t n = hull_strv_len(v);
    char **r = xmalloc0((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        r[i] = xstrdup(v[i]);
    return r;
}

static void exec_free(struct api_exec *x)
{
    free(x->container);
    hull_strv_free(x->cmd);
    hull_strv_free(x->env);
    free(x->user);
    free(x->workdir);
    free(x);
}

void api_exec_free_all(struct api_server *s)
{
    pthread_mutex_lock(&s->lock);
    while (s->execs) {
        struct api_exec *x = s->execs;
        s->execs = x->next;
        exec_free(x);
    }
    pthread_mutex_unlock(&s->lock);
}

/* Copy of the instance (the table may drop finished ones). Caller frees. */
static struct api_exec *exec_find(struct api_server *s, const char *id)
{
    struct api_exec *x, *copy = NULL;
    pthread_mutex_lock(&s->lock);
    for (x = s->execs; x; x = x->next)
        if (strcmp(x->id, id) == 0) {
            copy = xmalloc0(sizeof(*copy));
            *copy = *x;
            copy->next = NULL;
            copy->container = xstrdup(x->container);
            copy->cmd = strv_dup(x->cmd);
            copy->env = x->env ? strv_dup(x->env) : NULL;
            copy->user = x->user ? xstrdup(x->user) : NULL;
            copy->workdir = x->workdir ? xstrdup(x->workdir) : NULL;
            break;
        }
    pthread_mutex_unlock(&s->lock);
    return copy;
}

/* Mark the stored instance started (false if it was already), with the
 * terminal its start asked for. */
static bool exec_start_once(struct api_server *s, const char *id, bool tty)
{
    bool ok = false;
    pthread_mutex_lock(&s->lock);
    for (struct api_exec *x = s->execs; x; x = x->next)
        if (strcmp(x->id, id) == 0 && !x->started) {
            x->started = true;
            x->tty = tty;
            ok = true;
        }
    pthread_mutex_unlock(&s->lock);
    return ok;
}

/* Update the stored instance: running (what 1), exit (what 2). */
static bool exec_update(struct api_server *s, const char *id, int what, pid_t pid, int code)
{
    struct api_exec *x;
    bool ok = false;
    pthread_mutex_lock(&s->lock);
    for (x = s->execs; x; x = x->next)
        if (strcmp(x->id, id) == 0) {
            if (what == 1) {
                x->running = true;
                x->pid = pid;
                ok = true;
            } else {
                x->running = false;
                x->done = true;
                x->exit_code = code;
                ok = true;
            }
        }
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static int get_strv_field(json_t *j, const char *k, char ***out, hull_error *err)
{
    json_t *v = json_object_get(j, k), *x;
    size_t i;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return hull_error_msg(err, EINVAL, "%s: expected an array of strings", k);
    *out = xmalloc0((json_array_size(v) + 1) * sizeof(char *));
    json_array_foreach (v, i, x) {
        if (!json_is_string(x))
            return hull_error_msg(err, EINVAL, "%s[%zu]: expected a string", k, i);
        (*out)[i] = xstrdup(json_string_value(x));
    }
    return 0;
}

static int get_bool_field(json_t *j, const char *k, bool *out, hull_error *err)
{
    json_t *v = json_object_get(j, k);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return hull_error_msg(err, EINVAL, "%s: expected true or false", k);
    *out = json_is_true(v);
    return 0;
}

static int get_str_field(json_t *j, const char *k, char **out, hull_error *err)
{
    json_t *v = json_object_get(j, k);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return hull_error_msg(err, EINVAL, "%s: expected a string", k);
    if (json_string_length(v))
        *out = xstrdup(json_string_value(v));
    return 0;
}

static void new_id(char out[65])
{
    unsigned char b[32];
    if (getrandom(b, sizeof(b), 0) != sizeof(b))
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)rand();
    for (size_t i = 0; i < sizeof(b); i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

int api_exec_create(struct api_req *r, const char *ref)
{
    struct api_exec *x = xmalloc0(sizeof(*x));
    struct hull_engine e;
    hull_error err = {0};
    json_error_t je;
    json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, &je), *ins = NULL;
    size_t n = 0;

    if (!json_is_object(j)) {
        json_decref(j);
        exec_free(x);
        return api_error(r, 400, "request body: expected a JSON object%s%s", j ? "" : ": ",
                         j ? "" : je.text);
    }
    if (get_strv_field(j, "Cmd", &x->cmd, &err) < 0 ||
        get_strv_field(j, "Env", &x->env, &err) < 0 ||
        get_str_field(j, "User", &x->user, &err) < 0 ||
        get_str_field(j, "WorkingDir", &x->workdir, &err) < 0 ||
        get_bool_field(j, "Tty", &x->tty, &err) < 0 ||
        get_bool_field(j, "AttachStdin", &x->stdin_, &err) < 0) {
        json_decref(j);
        exec_free(x);
        return api_fail(r, &err);
    }
    json_decref(j);
    if (x->cmd == NULL || x->cmd[0] == NULL) {
        exec_free(x);
        return api_error(r, 400, "Cmd: a command is required");
    }
    if (api_open(r->srv, &e, false, &err) < 0 || hull_engine_inspect(&e, ref, &ins, &err) < 0) {
        api_close(&e);
        exec_free(x);
        if (err.errnum == ENOENT) {
            hull_error_clear(&err);
            return api_error(r, 404, "No such container: %s", ref);
        }
        return api_fail(r, &err);
    }
    api_close(&e);
    if (!json_is_true(json_object_get(json_object_get(ins, "State"), "Running"))) {
        json_decref(ins);
        exec_free(x);
        return api_error(r, 409, "Container %s is not running", ref);
    }
    x->container = xstrdup(json_string_value(json_object_get(ins, "Id")));
    json_decref(ins);
    new_id(x->id);
    x->pty = -1;
    pthread_mutex_lock(&r->srv->lock);
    /* Bounded: the oldest finished instances make room. */
    for (struct api_exec *p = r->srv->execs; p; p = p->next)
        n++;
    if (n >= MAX_EXECS) {
        struct api_exec **pp = &r->srv->execs;
        while (*pp && n >= MAX_EXECS) {
            if ((*pp)->done) {
                struct api_exec *dead = *pp;
                *pp = dead->next;
                exec_free(dead);
                n--;
            } else {
                pp = &(*pp)->next;
            }
        }
    }
    if (n >= MAX_EXECS) {
        pthread_mutex_unlock(&r->srv->lock);
        exec_free(x);
        return api_error(r, 409, "too many exec instances running (%d)", MAX_EXECS);
    }
    x->next = r->srv->execs;
    r->srv->execs = x;
    pthread_mutex_unlock(&r->srv->lock);
    return api_json(r, 201, json_pack("{s:s}", "Id", x->id));
}

static json_t *exec_request(const struct api_exec *x, bool detach)
{
    json_t *cmd = json_array(), *env = json_array();
    for (size_t i = 0; x->cmd && x->cmd[i]; i++)
        json_array_append_new(cmd, json_string(x->cmd[i]));
    for (size_t i = 0; x->env && x->env[i]; i++)
        json_array_append_new(env, json_string(x->env[i]));
    return json_pack("{s:s, s:s, s:o, s:o, s:s?, s:s?, s:b, s:b, s:b}", "op", "exec", "container",
                     x->container, "cmd", cmd, "env", env, "user", x->user, "workdir", x->workdir,
                     "tty", x->tty && !detach, "detach", detach, "console", x->tty && !detach);
}

struct exec_run {
    struct api_exec *x;
    bool hijacked;
    struct api_extra extra; /* stdin the client sent with the request */
};

static void free_exec_run(void *p)
{
    struct exec_run *er = p;
    free(er->extra.data);
    exec_free(er->x);
    free(er);
}

/* The exec's end: its status, or hull's own error as the last output. */
static void exec_finish(struct api_server *s, const struct api_exec *x, int reply, int fd)
{
    hull_error err = {0};
    int status = 0;

    if (api_spawn_wait(reply, &status, &err) < 0) {
        _cleanup_free_ char *msg = xasprintf("hull: %s\n", err.msg);
        if (x->tty)
            api_write_all(fd, msg, strlen(msg));
        else
            api_write_frame(fd, 2, msg, strlen(msg));
        status = 126;
        hull_error_clear(&err);
    }
    exec_update(s, x->id, 2, 0, status);
}

/* The exec's output onto fd, framed; with a hijacked socket and AttachStdin,
 * what the client sends goes to the process's stdin. */
static void exec_pipes(struct api_server *s, struct exec_run *er, int fd)
{
    struct api_exec *x = er->x;
    hull_error err = {0};
    json_t *req = exec_request(x, false);
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, in[2] = {-1, -1}, reply = -1;
    bool o_open = true, e_open = true, in_open = er->hijacked && x->stdin_;
    char buf[16384];

    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
        (in_open && pipe2(in, O_CLOEXEC) < 0))
        goto fail_setup;
    if (api_spawn(s, req, in_open ? in[0] : -1, out[1], errp[1], &reply, &err) < 0)
        goto fail_setup;
    exec_update(s, x->id, 1, 0, 0);
    close(out[1]);
    out[1] = -1;
    close(errp[1]);
    errp[1] = -1;
    if (in[0] >= 0)
        close(in[0]);
    in[0] = -1;
    if (in_open && er->extra.len && api_write_all(in[1], er->extra.data, er->extra.len) < 0) {
        in_open = false;
        close(in[1]);
        in[1] = -1;
    }
    while (o_open || e_open) {
        struct pollfd pf[3] = {{.fd = o_open ? out[0] : -1, .events = POLLIN},
                               {.fd = e_open ? errp[0] : -1, .events = POLLIN},
                               {.fd = in_open ? fd : -1, .events = POLLIN}};
        if (poll(pf, 3, -1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            ssize_t n;
            if (!pf[i].revents)
                continue;
            n = read(i == 0 ? out[0] : errp[0], buf, sizeof(buf));
            if (n <= 0) {
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                    continue;
                if (i == 0)
                    o_open = false;
                else
                    e_open = false;
                continue;
            }
            if (api_write_frame(fd, i + 1, buf, (size_t)n) < 0)
                o_open = e_open = false; /* the client is gone; the process runs on */
        }
        if (pf[2].revents) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0 || api_write_all(in[1], buf, (size_t)n) < 0) {
                in_open = false;
                close(in[1]); /* EOF on the process's stdin */
                in[1] = -1;
            }
        }
    }
    /* The client may be gone: a process blocked writing to us must see
     * EPIPE, not wait forever. */
    for (int i = 0; i < 2; i++) {
        int *fdp = i == 0 ? &out[0] : &errp[0];
        if (*fdp >= 0)
            close(*fdp);
        *fdp = -1;
    }
    if (in[1] >= 0)
        close(in[1]);
    in[1] = -1;
    exec_finish(s, x, reply, fd);
    goto out;
fail_setup:
    exec_update(s, x->id, 2, 0, 126);
    hull_error_clear(&err);
out:
    json_decref(req);
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (errp[i] >= 0)
            close(errp[i]);
        if (in[i] >= 0)
            close(in[i]);
    }
}

/* The pty master the worker's exec sends on the console socket, or -1 when
 * the worker ended without one (its error comes with its reply). Exactly one
 * fd, and a terminal, or nothing is kept. */
static int recv_master(int sock)
{
    char byte, ctl[CMSG_SPACE(sizeof(int) * 4)];
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
    struct cmsghdr *cm;
    int fds[4], n = 0, master = -1;
    ssize_t got;

    do
        got = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (got < 0 && errno == EINTR);
    if (got <= 0)
        return -1;
    for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        size_t k;
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k && n < 4; i++)
            memcpy(&fds[n++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
    }
    if (n == 1 && isatty(fds[0]))
        master = fds[0];
    else
        for (int i = 0; i < n; i++)
            close(fds[i]);
    return master;
}

static void apply_size(int pty, unsigned short rows, unsigned short cols)
{
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    if (rows || cols)
        ioctl(pty, TIOCSWINSZ, &ws);
}

/* The running TTY exec's master (-1: it ended; the caller closes it after);
 * a size asked for before it came is applied now. */
static void exec_set_pty(struct api_server *s, const char *id, int pty)
{
    pthread_mutex_lock(&s->lock);
    for (struct api_exec *x = s->execs; x; x = x->next)
        if (strcmp(x->id, id) == 0) {
            x->pty = pty;
            if (pty >= 0) {
                x->running = true;
                apply_size(pty, x->rows, x->cols);
            }
        }
    pthread_mutex_unlock(&s->lock);
}

/* Copy between the pty master and fd until the terminal hangs up (every
 * holder of the slave is gone) or the client leaves. */
static void relay_pty(int master, int fd, bool in_open, const struct api_extra *extra)
{
    char buf[16384];

    if (in_open && extra->len && api_write_all(master, extra->data, extra->len) < 0)
        in_open = false;
    for (;;) {
        struct pollfd pf[2] = {{.fd = master, .events = POLLIN},
                               {.fd = in_open ? fd : -1, .events = POLLIN}};
        ssize_t n;
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (pf[0].revents) {
            n = read(master, buf, sizeof(buf));
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0 || api_write_all(fd, buf, (size_t)n) < 0)
                return; /* EIO: hung up; or the client is gone */
        }
        if (pf[1].revents) {
            n = read(fd, buf, sizeof(buf));
            if (n <= 0 || api_write_all(master, buf, (size_t)n) < 0)
                in_open = false; /* a terminal has no EOF to pass on */
        }
    }
}

/* With a TTY: the worker's exec sends the pty master over a socketpair (its
 * stdin, see spawner.c) and waits for the process; we hold the master, so a
 * resize is one ioctl here. Closing it (the client left) hangs the
 * terminal up, as closing the pipes ends a process without one. */
static void exec_tty(struct api_server *s, struct exec_run *er, int fd)
{
    struct api_exec *x = er->x;
    hull_error err = {0};
    json_t *req = exec_request(x, false);
    int cs[2] = {-1, -1}, reply = -1, master;

    /* A size asked for before the start: the terminal is made with it, so
     * the process never sees another. */
    pthread_mutex_lock(&s->lock);
    for (struct api_exec *t = s->execs; t; t = t->next)
        if (strcmp(t->id, x->id) == 0 && (t->rows || t->cols)) {
            json_object_set_new(req, "rows", json_integer(t->rows));
            json_object_set_new(req, "cols", json_integer(t->cols));
        }
    pthread_mutex_unlock(&s->lock);

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cs) < 0 ||
        api_spawn(s, req, cs[1], -1, -1, &reply, &err) < 0) {
        exec_update(s, x->id, 2, 0, 126);
        hull_error_clear(&err);
        goto out;
    }
    exec_update(s, x->id, 1, 0, 0);
    close(cs[1]);
    cs[1] = -1;
    master = recv_master(cs[0]);
    if (master >= 0) {
        exec_set_pty(s, x->id, master);
        relay_pty(master, fd, er->hijacked && x->stdin_, &er->extra);
        exec_set_pty(s, x->id, -1);
        close(master);
    }
    exec_finish(s, x, reply, fd);
out:
    json_decref(req);
    for (int i = 0; i < 2; i++)
        if (cs[i] >= 0)
            close(cs[i]);
}

static void exec_producer(struct api_server *s, void *p, int fd)
{
    struct exec_run *er = p;
    if (er->x->tty)
        exec_tty(s, er, fd);
    else
        exec_pipes(s, er, fd);
}

int api_exec_start(struct api_req *r, const char *id)
{
    struct api_exec *x = exec_find(r->srv, id);
    hull_error err = {0};
    json_t *j = NULL;
    bool detach = false;

    if (x == NULL)
        return api_error(r, 404, "No such exec instance: %s", id);
    if (r->body_len) {
        json_error_t je;
        j = json_loadb(r->body, r->body_len, 0, &je);
        if (!json_is_object(j) || get_bool_field(j, "Detach", &detach, &err) < 0 ||
            get_bool_field(j, "Tty", &x->tty, &err) < 0) {
            json_decref(j);
            exec_free(x);
            if (err.msg)
                return api_fail(r, &err);
            return api_error(r, 400, "request body: expected a JSON object");
        }
        json_decref(j);
    }
    if (!exec_start_once(r->srv, id, x->tty && !detach)) {
        exec_free(x);
        return api_error(r, 409, "exec %s has already been started", id);
    }
    if (detach) {
        json_t *req = exec_request(x, true);
        int status, ret, reply;
        ret = api_spawn(r->srv, req, -1, -1, -1, &reply, &err) < 0
                  ? -1
                  : api_spawn_wait(reply, &status, &err);
        json_decref(req);
        exec_update(r->srv, id, 2, 0, 0);
        exec_free(x);
        return ret < 0 ? api_fail(r, &err) : api_empty(r, 200);
    }
    {
        struct exec_run *er = xmalloc0(sizeof(*er));
        const char *ct = x->tty ? "application/vnd.docker.raw-stream"
                                : "application/vnd.docker.multiplexed-stream";
        er->x = x;
        er->hijacked = api_wants_upgrade(r);
        if (er->hijacked)
            return api_hijack(r, ct, exec_producer, er, free_exec_run, &er->extra);
        return api_stream(r, 200, ct, exec_producer, er, free_exec_run);
    }
}

int api_exec_inspect(struct api_req *r, const char *id)
{
    struct api_exec *x = exec_find(r->srv, id);
    json_t *out;
    if (x == NULL)
        return api_error(r, 404, "No such exec instance: %s", id);
    out = json_pack("{s:s, s:b, s:I, s:s, s:b, s:I, s:{s:b, s:s, s:o, s:s?}, s:b}", "ID", x->id,
                    "Running", x->running, "ExitCode", (json_int_t)(x->done ? x->exit_code : 0),
                    "ContainerID", x->container, "OpenStdin", x->stdin_, "Pid", (json_int_t)x->pid,
                    "ProcessConfig", "tty", x->tty, "entrypoint", x->cmd[0], "arguments",
                    json_array(), "user", x->user, "CanRemove", 0);
    for (size_t i = 1; x->cmd[i]; i++)
        json_array_append_new(json_object_get(json_object_get(out, "ProcessConfig"), "arguments"),
                              json_string(x->cmd[i]));
    if (!x->done)
        json_object_set_new(out, "ExitCode", json_null());
    exec_free(x);
    return api_json(r, 200, out);
}

/* POST /exec/{id}/resize: the size goes to the master we hold at once (the
 * CLI's first resize races the process's start); asked before the terminal
 * exists, it is given to the runtime at the start. A container that is not
 * running, or an exec that ended, has nothing to resize (409). */
int api_exec_resize(struct api_req *r, const char *id)
{
    unsigned short rows, cols;
    _cleanup_free_ char *container = NULL;
    hull_error err = {0};
    bool found = false, tty = false, applied = false, done = false;

    if (api_resize_query(r, &rows, &cols, &err) < 0)
        return api_fail(r, &err);
    pthread_mutex_lock(&r->srv->lock);
    for (struct api_exec *x = r->srv->execs; x && !found; x = x->next) {
        if (strcmp(x->id, id) != 0)
            continue;
        found = true;
        tty = x->tty;
        container = xstrdup(x->container);
        if (!tty)
            break;
        x->rows = rows;
        x->cols = cols;
        done = x->done;
        if (x->pty >= 0) {
            apply_size(x->pty, rows, cols);
            applied = true;
        }
    }
    pthread_mutex_unlock(&r->srv->lock);
    if (!found)
        return api_error(r, 404, "No such exec instance: %s", id);
    if (!tty)
        return api_error(r, 400, "exec %s has no terminal to resize", id);
    if (applied)
        return api_empty(r, 200);
    if (api_require_running(r->srv, container, &err) < 0)
        return api_fail(r, &err);
    if (done)
        return api_error(r, 409, "exec %s is not running", id);
    return api_empty(r, 200);
}
