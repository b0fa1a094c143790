/* /images: list, inspect, delete, and create (pull, through hull-registry:
 * the server does not link the registry client, as `hull` does not). */
#include "internal.h"
#include "../base/util.h"
#include "../base/json.h"
#include "../image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static int64_t created_unix(const char *s)
{
    struct tm tm = {0};
    if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return 0;
    return (int64_t)timegm(&tm);
}

static char *familiar(const char *name)
{
    struct hull_image_ref *ref = NULL;
    char *f;
    if (hull_image_ref_parse(name, &ref, NULL) < 0)
        return xstrdup(name);
    f = hull_image_ref_familiar(ref);
    hull_image_ref_free(ref);
    return f;
}

int api_images_list(struct api_req *r)
{
    struct hull_engine e;
    hull_error err = {0};
    struct hull_image **v = NULL;
    size_t n = 0;
    json_t *out = json_array();

    if (api_open(r->srv, &e, true, &err) < 0 || hull_image_list(e.images, &v, &n, &err) < 0) {
        api_close(&e);
        json_decref(out);
        return api_fail(r, &err);
    }
    api_close(&e);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, api_image_summary(v[i], -1, -1));
    hull_image_list_free(v, n);
    return api_json(r, 200, out);
}

json_t *api_image_summary(const struct hull_image *img, json_int_t shared, json_int_t containers)
{
    json_t *tags = json_array(), *digests = json_array();
    json_t *labels = json_object_get(img->config ? img->config->config : NULL, "Labels");

    for (size_t k = 0; img->names && img->names[k]; k++) {
        char *f = familiar(img->names[k]);
        json_array_append_new(strchr(f, '@') ? digests : tags, json_string(f));
        free(f);
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:O}", "Id", img->id,
                     "ParentId", "", "RepoTags", tags, "RepoDigests", digests, "Created",
                     (json_int_t)created_unix(img->config ? img->config->created : NULL), "Size",
                     (json_int_t)img->size, "VirtualSize", (json_int_t)img->size, "SharedSize",
                     shared, "Containers", containers, "Labels",
                     json_is_object(labels) ? labels : json_null());
}

int api_image_inspect(struct api_req *r, const char *name)
{
    struct hull_engine e;
    hull_error err = {0};
    struct hull_image *img = NULL;
    json_t *out;

    if (api_open(r->srv, &e, true, &err) < 0 || hull_image_lookup(e.images, name, &img, &err) < 0) {
        api_close(&e);
        if (err.errnum == ENOENT) {
            hull_error_clear(&err);
            return api_error(r, 404, "No such image: %s", name);
        }
        return api_fail(r, &err);
    }
    out = hull_image_inspect_json(e.images, img);
    hull_image_free(img);
    api_close(&e);
    return api_json(r, 200, out);
}

int api_image_delete(struct api_req *r, const char *name)
{
    struct hull_engine e;
    hull_error err = {0};
    bool bad = false, force = api_query_bool(r, "force", &bad);
    char **untagged = NULL, **deleted = NULL;
    json_t *out;

    if (bad)
        return api_error(r, 400, "force: expected a boolean");
    if (api_open(r->srv, &e, true, &err) < 0 ||
        hull_image_remove(e.images, name, force, &untagged, &deleted, &err) < 0) {
        api_close(&e);
        if (err.errnum == ENOENT) {
            hull_error_clear(&err);
            return api_error(r, 404, "No such image: %s", name);
        }
        return api_fail(r, &err);
    }
    api_close(&e);
    out = json_array();
    for (size_t i = 0; untagged && untagged[i]; i++) {
        char *f = familiar(untagged[i]);
        json_array_append_new(out, json_pack("{s:s}", "Untagged", f));
        free(f);
    }
    for (size_t i = 0; deleted && deleted[i]; i++)
        json_array_append_new(out, json_pack("{s:s}", "Deleted", deleted[i]));
    hull_strv_free(untagged);
    hull_strv_free(deleted);
    return api_json(r, 200, out);
}

/* ---- pull ----------------------------------------------------------------------------- */

struct pull_arg {
    char *ref;
};

static void free_pull_arg(void *p)
{
    struct pull_arg *a = p;
    free(a->ref);
    free(a);
}

static int send_message(int fd, const char *key, const char *msg)
{
    json_t *j = strcmp(key, "error") == 0
                    ? json_pack("{s:{s:s}, s:s}", "errorDetail", "message", msg, "error", msg)
                    : json_pack("{s:s}", key, msg);
    char *s = json_dumps(j, JSON_COMPACT);
    int r = api_write_all(fd, s, strlen(s));
    if (r == 0)
        r = api_write_all(fd, "\r\n", 2);
    free(s);
    json_decref(j);
    return r;
}

/* hull-registry pull REF, its output relayed line by line as docker's
 * progress messages; a failure ends the stream with an error message. */
static void pull_producer(struct api_server *s, void *p, int fd)
{
    struct pull_arg *a = p;
    int out[2];
    pid_t pid;
    char buf[8192], last[1024] = "";
    size_t have = 0;
    int st = 0;

    if (pipe2(out, O_CLOEXEC) < 0) {
        send_message(fd, "error", "pull: pipe failed");
        return;
    }
    pid = fork();
    if (pid == 0) {
        int dn = open("/dev/null", O_RDONLY);
        dup2(dn, 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        close_range(3, ~0U, 0);
        execl(s->o.registry_binary, "hull-registry", "--root", s->o.root, "--runroot", s->o.runroot,
              "pull", a->ref, (char *)NULL);
        dprintf(2, "exec %s: %s\n", s->o.registry_binary, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    if (pid < 0) {
        close(out[0]);
        send_message(fd, "error", "pull: fork failed");
        return;
    }
    send_message(fd, "status", "Pulling through hull-registry");
    for (;;) {
        ssize_t n = read(out[0], buf + have, sizeof(buf) - 1 - have);
        char *nl;
        if (n <= 0 && !(n < 0 && errno == EINTR))
            break;
        if (n < 0)
            continue;
        have += (size_t)n;
        buf[have] = '\0';
        while ((nl = strpbrk(buf, "\r\n")) != NULL || have == sizeof(buf) - 1) {
            size_t len = nl ? (size_t)(nl - buf) : have;
            if (len) {
                size_t keep = len < sizeof(last) - 1 ? len : sizeof(last) - 1;
                memcpy(last, buf, keep);
                last[keep] = '\0';
                send_message(fd, "status", last);
            }
            len += nl ? 1 : 0;
            memmove(buf, buf + len, have - len + 1);
            have -= len;
        }
    }
    if (have) {
        snprintf(last, sizeof(last), "%.1000s", buf);
        send_message(fd, "status", last);
    }
    close(out[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        const char *m = last;
        if (strncmp(m, "hull: ", 6) == 0)
            m += 6;
        send_message(fd, "error", m[0] ? m : "pull failed");
    } else {
        _cleanup_free_ char *done = xasprintf("Status: Downloaded newer image for %s", a->ref);
        send_message(fd, "status", done);
    }
}

int api_images_create(struct api_req *r)
{
    const char *from = api_query(r, "fromImage"), *tag = api_query(r, "tag");
    struct pull_arg *a;

    if (api_query(r, "fromSrc"))
        return api_error(r, 400,
                         "fromSrc: importing through the API is not supported by hull "
                         "(use hull import)");
    if (from == NULL || from[0] == '\0')
        return api_error(r, 400, "fromImage: an image reference is required");
    if (r->srv->o.registry_binary == NULL)
        return api_error(r, 501, "pull is not available: hull-registry was not found");
    a = xmalloc0(sizeof(*a));
    /* tag may be a tag or a digest; docker sends it apart from the name. */
    if (tag && tag[0])
        a->ref = xasprintf("%s%s%s", from, strncmp(tag, "sha256:", 7) == 0 ? "@" : ":", tag);
    else
        a->ref = xstrdup(from);
    {
        struct hull_image_ref *ref = NULL;
        hull_error err = {0};
        if (hull_image_ref_parse(a->ref, &ref, &err) < 0) {
            free_pull_arg(a);
            hull_error_prefix(&err, "fromImage");
            return api_fail(r, &err);
        }
        hull_image_ref_free(ref);
    }
    return api_stream(r, 200, "application/json", pull_producer, a, free_pull_arg);
}

/* POST /commit: the container's changes as a new image (201 {"Id"}). */
int api_commit(struct api_req *r)
{
    _cleanup_strv_ char **query = api_query_pairs(r);
    _cleanup_free_ char *id = NULL;
    struct hull_api_commit c;
    struct hull_engine e;
    hull_error err = {0};
    json_t *ins = NULL;
    int ret;

    if (hull_api_parse_commit(query, r->body, r->body_len, &c, &err) < 0)
        return api_fail(r, &err);
    if (c.opts.image) {
        struct hull_image_ref *ref = NULL;
        if (hull_image_ref_parse(c.opts.image, &ref, &err) < 0) {
            hull_api_commit_clear(&c);
            hull_error_prefix(&err, "repo");
            return api_fail(r, &err);
        }
        hull_image_ref_free(ref);
    }
    if (api_inspect(r->srv, c.container, &ins, &err) < 0) {
        hull_api_commit_clear(&c);
        return api_fail(r, &err);
    }
    json_decref(ins);
    if (api_open(r->srv, &e, true, &err) < 0) {
        hull_api_commit_clear(&c);
        return api_fail(r, &err);
    }
    ret = hull_engine_commit(&e, c.container, &c.opts, &id, &err);
    api_close(&e);
    hull_api_commit_clear(&c);
    return ret < 0 ? api_fail(r, &err) : api_json(r, 201, json_pack("{s:s}", "Id", id));
}
