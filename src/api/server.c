/* hull serve: libmicrohttpd on a unix socket, one thread per connection.
 *
 * Zero trust on the socket: every request is authenticated by the kernel's
 * SO_PEERCRED of its connection (root, or a uid given with --allow-uid), not
 * by the socket's file mode alone. Streams (logs, events, wait, pull) are
 * written by a producer thread into a pipe that the connection drains; hijacked
 * connections (attach, exec) belong to a thread of their own. Anything that
 * starts a long-lived process (a container's monitor, an exec) does so from a
 * worker of the spawner (spawner.c) with no fd of the server, so no container
 * ever holds a client connection or the listening socket open. */
#include "internal.h"
#include "../base/util.h"
#include "../base/json.h"
#include "../image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#define MAX_BODY (1u << 20)

/* ---- responses ------------------------------------------------------------------------- */

static void common_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Api-Version", HULL_API_VERSION);
    MHD_add_response_header(resp, "Docker-Experimental", "false");
    MHD_add_response_header(resp, "Ostype", "linux");
    MHD_add_response_header(resp, "Server", "hull/" HULL_API_VERSION " (linux)");
}

static int queue(struct api_req *r, unsigned status, struct MHD_Response *resp)
{
    int ret;
    if (resp == NULL)
        return MHD_NO;
    common_headers(resp);
    ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    r->answered = true;
    return ret;
}

int api_json(struct api_req *r, unsigned status, json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    struct MHD_Response *resp;
    json_decref(body);
    if (s == NULL)
        s = xstrdup("{}");
    /* docker's encoder ends each document with a newline */
    {
        size_t n = strlen(s);
        s = xrealloc(s, n + 2);
        s[n] = '\n';
        s[n + 1] = '\0';
    }
    resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    if (resp)
        MHD_add_response_header(resp, "Content-Type", "application/json");
    return queue(r, status, resp);
}

int api_empty(struct api_req *r, unsigned status)
{
    return queue(r, status, MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT));
}

int api_error(struct api_req *r, unsigned status, const char *fmt, ...)
{
    va_list ap;
    char msg[2048];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return api_json(r, status, json_pack("{s:s}", "message", msg));
}

int api_fail(struct api_req *r, hull_error *err)
{
    unsigned status = 500;
    int ret;
    switch (err->errnum) {
    case ENOENT:
        status = 404;
        break;
    case EEXIST:
    case EBUSY:
    case EADDRINUSE:
        status = 409;
        break;
    case EINVAL:
    case ENOTSUP:
    case ERANGE:
        status = 400;
        break;
    default:
        break;
    }
    ret = api_error(r, status, "%s", err->msg ? err->msg : "internal error");
    hull_error_clear(err);
    return ret;
}

const char *api_query(struct api_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool api_query_bool(struct api_req *r, const char *key, bool *bad)
{
    const char *v = api_query(r, key);
    if (v == NULL || strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0)
        return false;
    if (v[0] == '\0' || strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0)
        return true;
    *bad = true;
    return false;
}

int api_query_time(struct api_req *r, const char *key, int64_t *ns, hull_error *err)
{
    const char *v = api_query(r, key);
    if (v == NULL || v[0] == '\0' || strcmp(v, "0") == 0)
        return 0;
    if (hull_parse_time(v, 0, ns, err) < 0)
        return hull_error_prefix(err, "%s", key);
    return 0;
}

static enum MHD_Result add_pair(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    char ***v = cls;
    size_t n = hull_strv_len(*v);
    (void)kind;
    *v = xrealloc(*v, (n + 3) * sizeof(char *));
    (*v)[n] = xstrdup(key);
    (*v)[n + 1] = xstrdup(value ? value : "");
    (*v)[n + 2] = NULL;
    return MHD_YES;
}

char **api_query_pairs(struct api_req *r)
{
    char **v = xmalloc0(sizeof(char *));
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_pair, &v);
    return v;
}

bool api_wants_upgrade(struct api_req *r)
{
    const char *u = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Upgrade");
    return u && strcasecmp(u, "tcp") == 0;
}

int api_write_all(int fd, const void *buf, size_t len)
{
    return hull_write_all(fd, buf, len);
}

int api_write_frame(int fd, int stream, const void *buf, size_t len)
{
    unsigned char h[8] = {(unsigned char)stream,
                          0,
                          0,
                          0,
                          (unsigned char)(len >> 24),
                          (unsigned char)(len >> 16),
                          (unsigned char)(len >> 8),
                          (unsigned char)len};
    if (hull_write_all(fd, h, sizeof(h)) < 0)
        return -1;
    return hull_write_all(fd, buf, len);
}

bool api_fd_closed(int fd)
{
    struct pollfd p = {.fd = fd, .events = 0};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* ---- streams ---------------------------------------------------------------------------- */

struct stream {
    struct api_server *srv;
    int rfd, wfd, client;
    api_producer fn;
    void *arg;
    void (*free_arg)(void *);
};

static void *stream_thread(void *p)
{
    struct stream *st = p;
    st->fn(st->srv, st->arg, st->wfd);
    close(st->wfd);
    if (st->free_arg)
        st->free_arg(st->arg);
    free(st);
    return NULL;
}

struct stream_reader {
    int rfd, client;
};

/* Called in the connection's thread: block on the producer's pipe, or stop
 * when the client hangs up (so a follow stream does not outlive it). */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream_reader *sr = cls;
    (void)pos;
    for (;;) {
        struct pollfd p[2] = {{.fd = sr->rfd, .events = POLLIN},
                              {.fd = sr->client, .events = POLLRDHUP}};
        if (poll(p, sr->client >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (p[0].revents) {
            ssize_t n = read(sr->rfd, buf, max);
            if (n > 0)
                return n;
            if (n == 0)
                return MHD_CONTENT_READER_END_OF_STREAM;
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR))
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

static void stream_free(void *cls)
{
    struct stream_reader *sr = cls;
    close(sr->rfd); /* the producer's next write fails: it stops */
    free(sr);
}

static int client_fd(struct api_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

static int start_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    pthread_attr_t a;
    int e;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    e = pthread_create(&t, &a, fn, arg);
    pthread_attr_destroy(&a);
    return e;
}

int api_stream(struct api_req *r, unsigned status, const char *content_type, api_producer fn,
               void *arg, void (*free_arg)(void *))
{
    int p[2];
    struct stream *st;
    struct stream_reader *sr;
    struct MHD_Response *resp;

    if (pipe2(p, O_CLOEXEC) < 0) {
        if (free_arg)
            free_arg(arg);
        return api_error(r, 500, "stream: pipe: %s", strerror(errno));
    }
    st = xmalloc0(sizeof(*st));
    *st = (struct stream){
        .srv = r->srv, .rfd = p[0], .wfd = p[1], .fn = fn, .arg = arg, .free_arg = free_arg};
    sr = xmalloc0(sizeof(*sr));
    *sr = (struct stream_reader){.rfd = p[0], .client = client_fd(r)};
    if (start_thread(stream_thread, st) != 0) {
        close(p[0]);
        close(p[1]);
        if (free_arg)
            free_arg(arg);
        free(st);
        free(sr);
        return api_error(r, 500, "stream: cannot start a thread");
    }
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, sr,
                                             stream_free);
    if (resp == NULL) {
        stream_free(sr);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", content_type);
    return queue(r, status, resp);
}

struct hijack {
    struct api_server *srv;
    api_producer fn;
    void *arg;
    void (*free_arg)(void *);
    struct api_extra *extra;
    int sock;
    struct MHD_UpgradeResponseHandle *urh;
};

static void *hijack_thread(void *p)
{
    struct hijack *h = p;
    int fl = fcntl(h->sock, F_GETFL);
    if (fl >= 0)
        fcntl(h->sock, F_SETFL, fl & ~O_NONBLOCK);
    h->fn(h->srv, h->arg, h->sock);
    shutdown(h->sock, SHUT_WR);
    MHD_upgrade_action(h->urh, MHD_UPGRADE_ACTION_CLOSE);
    if (h->free_arg)
        h->free_arg(h->arg);
    free(h);
    return NULL;
}

static void upgraded(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra_in,
                     size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    struct hijack *h = cls;
    (void)c;
    (void)con_cls;
    if (h->extra && extra_in_size) {
        h->extra->data = xmalloc0(extra_in_size);
        memcpy(h->extra->data, extra_in, extra_in_size);
        h->extra->len = extra_in_size;
    }
    h->sock = sock;
    h->urh = urh;
    if (start_thread(hijack_thread, h) != 0) {
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        if (h->free_arg)
            h->free_arg(h->arg);
        free(h);
    }
}

int api_hijack(struct api_req *r, const char *content_type, api_producer fn, void *arg,
               void (*free_arg)(void *), struct api_extra *extra)
{
    struct hijack *h = xmalloc0(sizeof(*h));
    struct MHD_Response *resp;

    *h = (struct hijack){
        .srv = r->srv, .fn = fn, .arg = arg, .free_arg = free_arg, .extra = extra, .sock = -1};
    resp = MHD_create_response_for_upgrade(upgraded, h);
    if (resp == NULL) {
        if (free_arg)
            free_arg(arg);
        free(h);
        return api_error(r, 500, "cannot upgrade the connection");
    }
    MHD_add_response_header(resp, "Upgrade", "tcp");
    MHD_add_response_header(resp, "Connection", "Upgrade");
    MHD_add_response_header(resp, "Content-Type", content_type);
    return queue(r, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
}

/* ---- engine and workers ---------------------------------------------------------------- */

int api_open(struct api_server *s, struct hull_engine *e, bool images, hull_error *err)
{
    struct hull_image_store_opts so = {.busybox_oci = s->o.busybox_oci};
    struct hull_image_store *store = NULL;

    if (hull_engine_open(e, s->o.root, s->o.runroot, err) < 0) {
        hull_engine_close(e);
        return -1;
    }
    if (images && hull_image_store_open(s->o.root, &so, &store, err) < 0) {
        hull_engine_close(e);
        return -1;
    }
    e->images = store;
    return 0;
}

int api_no_such_container(hull_error *err, const char *ref)
{
    if (err && err->errnum == ENOENT) {
        hull_error_clear(err);
        hull_error_msg(err, ENOENT, "No such container: %s", ref);
    }
    return -1;
}

void api_close(struct hull_engine *e)
{
    hull_image_store_free(e->images);
    e->images = NULL;
    hull_engine_close(e);
}

/* ---- requests --------------------------------------------------------------------------- */

static bool peer_allowed(struct api_server *s, struct api_req *r, uid_t *uid)
{
    struct ucred cr;
    socklen_t len = sizeof(cr);
    int fd = client_fd(r);

    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
        return false;
    *uid = cr.uid;
    if (cr.uid == 0)
        return true;
    for (size_t i = 0; i < s->o.n_allowed_uids; i++)
        if (s->o.allowed_uids[i] == cr.uid)
            return true;
    return false;
}

/* "/v1.41/containers/x/json" -> path "/containers/x/json", segments.
 * Versions 1.24 to 1.43 are served (the endpoints hull serves did not change
 * shape in ways our answers depend on up to 1.43); others are refused as
 * dockerd refuses them. */
static int split_path(struct api_req *r, const char *url)
{
    char *save = NULL, *tok, *copy;
    const char *rest = url;

    if (url[0] == '/' && url[1] == 'v' && url[2] >= '0' && url[2] <= '9') {
        unsigned maj = 0, min = 0;
        int n = 0;
        if (sscanf(url + 2, "%u.%u%n", &maj, &min, &n) != 2 || (url[2 + n] && url[2 + n] != '/'))
            return api_error(r, 400, "invalid API version in %s", url);
        if (maj != 1 || min > HULL_API_MAX_PATH_MINOR)
            return api_error(r, 400,
                             "client version %u.%u is too new. Maximum supported API version is "
                             "1.%d",
                             maj, min, HULL_API_MAX_PATH_MINOR);
        if (min < 24)
            return api_error(r, 400,
                             "client version %u.%u is too old. Minimum supported API version is "
                             "%s, please upgrade your client to a newer version",
                             maj, min, HULL_API_MIN_VERSION);
        rest = url + 2 + n;
    }
    r->path = xstrdup(rest[0] ? rest : "/");
    copy = xstrdup(r->path);
    for (tok = strtok_r(copy, "/", &save); tok && r->nseg < HULL_ARRAY_SIZE(r->seg);
         tok = strtok_r(NULL, "/", &save))
        r->seg[r->nseg++] = xstrdup(tok);
    free(copy);
    return -1;
}

static bool is(struct api_req *r, const char *method, size_t nseg, const char *s0, const char *s1,
               const char *s2)
{
    if (strcmp(r->method, method) != 0 || r->nseg != nseg)
        return false;
    return (s0 == NULL || strcmp(r->seg[0], s0) == 0) &&
           (s1 == NULL || nseg < 2 || strcmp(r->seg[1], s1) == 0) &&
           (s2 == NULL || nseg < 3 || strcmp(r->seg[2], s2) == 0);
}

/* Image names contain '/': /images/NAME/json and /images/NAME. */
static int route_images(struct api_req *r)
{
    const char *name = r->path + strlen("/images/");
    size_t n = strlen(name);

    if (strcmp(r->method, "GET") == 0 && n > 5 && strcmp(name + n - 5, "/json") == 0) {
        _cleanup_free_ char *img = strndup(name, n - 5);
        return api_image_inspect(r, img);
    }
    if (strcmp(r->method, "DELETE") == 0 && n > 0)
        return api_image_delete(r, name);
    return api_error(r, 404, "page not found");
}

static int dispatch(struct api_req *r)
{
    const char *m = r->method;
    bool head = strcmp(m, "HEAD") == 0;

    if (r->nseg == 1 && strcmp(r->seg[0], "_ping") == 0 && (head || strcmp(m, "GET") == 0))
        return api_system_ping(r);
    if (is(r, "GET", 1, "version", NULL, NULL))
        return api_system_version(r);
    if (is(r, "GET", 1, "info", NULL, NULL))
        return api_system_info(r);
    if (is(r, "GET", 2, "system", "df", NULL))
        return api_system_df(r);
    if (is(r, "GET", 1, "events", NULL, NULL))
        return api_events(r);
    if (is(r, "GET", 2, "containers", "json", NULL))
        return api_containers_list(r);
    if (is(r, "POST", 2, "containers", "create", NULL))
        return api_containers_create(r);
    if (is(r, "DELETE", 2, "containers", NULL, NULL))
        return api_container_delete(r, r->seg[1]);
    if (r->nseg == 3 && strcmp(r->seg[0], "containers") == 0) {
        const char *ref = r->seg[1], *verb = r->seg[2];
        if (strcmp(m, "GET") == 0 && strcmp(verb, "json") == 0)
            return api_container_inspect(r, ref);
        if (strcmp(m, "GET") == 0 && strcmp(verb, "logs") == 0)
            return api_container_logs(r, ref);
        if (strcmp(m, "GET") == 0 && strcmp(verb, "stats") == 0)
            return api_container_stats(r, ref);
        if (strcmp(m, "GET") == 0 && strcmp(verb, "top") == 0)
            return api_container_top(r, ref);
        if (strcmp(m, "POST") == 0 && (strcmp(verb, "pause") == 0 || strcmp(verb, "unpause") == 0))
            return api_container_pause(r, ref, verb[0] == 'p');
        if (strcmp(m, "POST") == 0 && strcmp(verb, "rename") == 0)
            return api_container_rename(r, ref);
        if (strcmp(m, "POST") == 0 && strcmp(verb, "attach") == 0)
            return api_container_attach(r, ref);
        if (strcmp(m, "POST") == 0 && strcmp(verb, "resize") == 0)
            return api_container_resize(r, ref);
        if (strcmp(m, "POST") == 0 && strcmp(verb, "wait") == 0)
            return api_container_wait(r, ref);
        if (strcmp(m, "POST") == 0 && strcmp(verb, "exec") == 0)
            return api_exec_create(r, ref);
        if (strcmp(m, "POST") == 0 && (strcmp(verb, "start") == 0 || strcmp(verb, "stop") == 0 ||
                                       strcmp(verb, "kill") == 0 || strcmp(verb, "restart") == 0))
            return api_container_action(r, ref, verb);
    }
    if (is(r, "POST", 3, "exec", NULL, "start"))
        return api_exec_start(r, r->seg[1]);
    if (is(r, "GET", 3, "exec", NULL, "json"))
        return api_exec_inspect(r, r->seg[1]);
    if (is(r, "POST", 3, "exec", NULL, "resize"))
        return api_exec_resize(r, r->seg[1]);
    if (is(r, "GET", 2, "images", "json", NULL))
        return api_images_list(r);
    if (is(r, "POST", 2, "images", "create", NULL))
        return api_images_create(r);
    if (is(r, "POST", 1, "commit", NULL, NULL))
        return api_commit(r);
    if (r->nseg >= 2 && strcmp(r->seg[0], "images") == 0)
        return route_images(r);
    if (is(r, "GET", 1, "volumes", NULL, NULL))
        return api_volumes_list(r);
    if (is(r, "POST", 2, "volumes", "create", NULL))
        return api_volumes_create(r);
    if (is(r, "GET", 2, "volumes", NULL, NULL))
        return api_volume_inspect(r, r->seg[1]);
    if (is(r, "DELETE", 2, "volumes", NULL, NULL))
        return api_volume_delete(r, r->seg[1]);
    if (is(r, "GET", 1, "networks", NULL, NULL))
        return api_networks_list(r);
    if (is(r, "POST", 2, "networks", "create", NULL))
        return api_networks_create(r);
    if (is(r, "GET", 2, "networks", NULL, NULL))
        return api_network_inspect(r, r->seg[1]);
    if (is(r, "POST", 3, "networks", NULL, "connect"))
        return api_network_attach(r, r->seg[1], true);
    if (is(r, "POST", 3, "networks", NULL, "disconnect"))
        return api_network_attach(r, r->seg[1], false);
    if (is(r, "DELETE", 2, "networks", NULL, NULL))
        return api_network_delete(r, r->seg[1]);
    return api_error(r, 404, "page not found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct api_server *s = cls;
    struct api_req *r = *con_cls;
    uid_t uid = (uid_t)-1;
    (void)version;

    if (r == NULL) {
        r = xmalloc0(sizeof(*r));
        r->srv = s;
        r->conn = c;
        r->method = method;
        *con_cls = r;
        r->denied = !peer_allowed(s, r, &uid);
        if (r->denied)
            return api_error(r, 403,
                             "permission denied: uid %d may not use the hull API on this "
                             "socket (hull serve --allow-uid)",
                             (int)uid) == MHD_YES
                       ? MHD_YES
                       : MHD_NO;
        return MHD_YES;
    }
    if (r->answered) {
        *upload_data_size = 0; /* a refused request's body is dropped */
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (r->body_len + *upload_data_size > MAX_BODY) {
            r->too_large = true;
        } else {
            r->body = xrealloc(r->body, r->body_len + *upload_data_size + 1);
            memcpy(r->body + r->body_len, upload_data, *upload_data_size);
            r->body_len += *upload_data_size;
            r->body[r->body_len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_large)
        return api_error(r, 413, "request body larger than %u bytes", MAX_BODY) == MHD_YES ? MHD_YES
                                                                                           : MHD_NO;
    if (split_path(r, url) >= 0)
        return MHD_YES;
    return dispatch(r) == MHD_YES ? MHD_YES : MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct api_req *r = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nseg; i++)
        free(r->seg[i]);
    free(r->path);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* ---- the socket and the loop ------------------------------------------------------------ */

static int listen_unix(const struct hull_api_opts *o, hull_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    int fd;

    if (strlen(o->socket_path) >= sizeof(sa.sun_path))
        return hull_error_msg(err, ENAMETOOLONG, "socket %s: path too long", o->socket_path);
    strcpy(sa.sun_path, o->socket_path);
    /* A stale socket from a killed server is replaced; anything else is not. */
    if (lstat(o->socket_path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return hull_error_msg(err, EEXIST, "socket %s: exists and is not a socket",
                                  o->socket_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            close(fd);
            return hull_error_msg(err, EADDRINUSE, "socket %s: another server is listening",
                                  o->socket_path);
        }
        if (fd >= 0)
            close(fd);
        unlink(o->socket_path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hull_error_set(err, errno, "socket");
    /* Bind with a umask that leaves nobody a window to connect before the
     * mode below is set; SO_PEERCRED still decides on every request. */
    {
        mode_t old = umask(0177);
        int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0) {
            hull_error_set(err, errno, "bind %s", o->socket_path);
            close(fd);
            return -1;
        }
    }
    if ((o->socket_gid != (gid_t)-1 && chown(o->socket_path, (uid_t)-1, o->socket_gid) < 0) ||
        chmod(o->socket_path, o->socket_mode) < 0 || listen(fd, 128) < 0) {
        hull_error_set(err, errno, "socket %s", o->socket_path);
        close(fd);
        unlink(o->socket_path);
        return -1;
    }
    return fd;
}

int hull_api_serve(const struct hull_api_opts *o, hull_error *err)
{
    struct api_server s = {.o = *o, .spawner = -1};
    struct MHD_Daemon *d;
    sigset_t set;
    int fd, sig = 0;

    /* First, while this process has one thread and no open database. */
    if (api_spawner_start(o, &s.spawner, err) < 0)
        return -1;
    fd = listen_unix(o, err);
    if (fd < 0)
        return -1;
    pthread_mutex_init(&s.lock, NULL);
    /* SIGPIPE: a client that went away is a failed write, not a dead server.
     * Workers restore the default before they start anything. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits the mask */
    /* No idle timeout: MHD's also cuts quiet streams (a wait or events -f
     * that has nothing to say for minutes). Connections are bounded instead. */
    d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                             MHD_USE_POLL | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG,
                         0, NULL, NULL, on_request, &s, MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)512, MHD_OPTION_END);
    if (d == NULL) {
        close(fd);
        unlink(o->socket_path);
        return hull_error_msg(err, EIO, "socket %s: cannot start the HTTP server", o->socket_path);
    }
    fprintf(stderr, "hull serve: listening on unix://%s (API %s)\n", o->socket_path,
            HULL_API_VERSION);
    while (sigwait(&set, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
        ;
    fprintf(stderr, "hull serve: signal %d, stopping\n", sig);
    /* Streams and hijacked connections in flight are cut: the process exits. */
    MHD_quiesce_daemon(d);
    api_attach_free_pending(&s);
    api_exec_free_all(&s);
    unlink(o->socket_path);
    close(fd);
    return 0;
}
