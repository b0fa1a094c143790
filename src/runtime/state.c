#include "state.h"
#include "cgroup/cgroup.h"
#include "../base/util.h"
#include "../base/json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int hull_state_validate_id(const char *id, hull_error *err)
{
    size_t n;

    if (id == NULL || id[0] == '\0')
        return hull_error_msg(err, EINVAL, "container id: must not be empty");
    n = strlen(id);
    if (n > HULL_ID_MAX)
        return hull_error_msg(err, ENAMETOOLONG, "container id: longer than %d bytes", HULL_ID_MAX);
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') ||
                  (i > 0 && (ch == '_' || ch == '+' || ch == '-' || ch == '.'));
        if (!ok) {
            /* Quote the id safely: it may hold newlines or terminal escapes. */
            char shown[80];
            size_t k = 0;
            for (size_t j = 0; id[j] && k < 64; j++)
                shown[k++] = (id[j] >= 0x20 && id[j] < 0x7f) ? id[j] : '?';
            shown[k] = '\0';
            return hull_error_msg(err, EINVAL,
                                  "container id \"%s\": invalid character 0x%02x at %zu "
                                  "(allowed: letters, digits, and _+-. after the first)",
                                  shown, (unsigned char)ch, i);
        }
    }
    if (n > 255)
        return hull_error_msg(err, ENAMETOOLONG, "container id: longer than 255 bytes");
    return 0;
}

int hull_state_dir_create(const char *root, const char *id, char **dir_out, hull_error *err)
{
    _cleanup_free_ char *dir = xasprintf("%s/%s", root, id);

    if (hull_mkdir_p(root, 0700, err) < 0)
        return -1;
    if (mkdir(dir, 0700) < 0) {
        if (errno == EEXIST)
            return hull_error_msg(err, EEXIST, "container %s: already exists", id);
        return hull_error_set(err, errno, "container %s: mkdir %s", id, dir);
    }
    *dir_out = steal_pointer(&dir);
    return 0;
}

int hull_state_save(const char *root, const struct hull_state *st, hull_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s/state.json", root, st->id);
    _cleanup_free_ char *data = NULL;
    json_t *o = json_object();

    json_object_set_new(o, "id", json_string(st->id));
    json_object_set_new(o, "pid", json_integer(st->pid));
    json_object_set_new(o, "pid_start", json_integer((json_int_t)st->pid_start));
    json_object_set_new(o, "bundle", json_string(st->bundle));
    json_object_set_new(o, "rootfs", json_string(st->rootfs));
    json_object_set_new(o, "created", json_string(st->created));
    json_object_set_new(o, "ociVersion", json_string(st->oci_version));
    json_object_set_new(o, "systemd_cgroup", json_boolean(st->systemd_cgroup));
    if (st->annotations)
        json_object_set(o, "annotations", st->annotations);
    if (st->cgroup)
        json_object_set(o, "cgroup", st->cgroup);
    if (st->config_json)
        json_object_set_new(o, "config", json_string(st->config_json));
    data = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (data == NULL)
        return hull_error_msg(err, ENOMEM, "container %s: serialize state", st->id);
    return hull_write_file_volatile(path, data, strlen(data), 0600, err);
}

int hull_state_load(const char *root, const char *id, struct hull_state **out, hull_error *err)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_free_ char *data = NULL;
    struct hull_state *st;
    json_error_t jerr;
    json_t *o;
    int64_t v = 0;

    if (hull_state_validate_id(id, err) < 0)
        return -1;
    path = xasprintf("%s/%s/state.json", root, id);
    if (hull_read_file(path, 64u << 20, &data, NULL, err) < 0) {
        if (err && err->errnum == ENOENT) {
            struct stat sb;
            _cleanup_free_ char *dir = xasprintf("%s/%s", root, id);
            hull_error_clear(err);
            if (stat(dir, &sb) == 0)
                return hull_error_msg(err, ENOENT,
                                      "container %s: state is incomplete (a "
                                      "create was interrupted); run delete --force",
                                      id);
            return hull_error_msg(err, ENOENT, "container %s: does not exist", id);
        }
        return -1;
    }
    o = json_loads(data, 0, &jerr);
    if (o == NULL)
        return hull_error_msg(err, EINVAL, "container %s: corrupt state.json: %s", id, jerr.text);
    st = xmalloc0(sizeof(*st));
    if (hull_json_string(o, "state", "id", true, &st->id, err) < 0 ||
        hull_json_int(o, "state", "pid", 0, INT32_MAX, NULL, &v, err) < 0)
        goto fail;
    st->pid = (pid_t)v;
    v = 0;
    if (hull_json_int(o, "state", "pid_start", 0, INT64_MAX, NULL, &v, err) < 0 ||
        hull_json_string(o, "state", "bundle", false, &st->bundle, err) < 0 ||
        hull_json_string(o, "state", "rootfs", false, &st->rootfs, err) < 0 ||
        hull_json_string(o, "state", "created", false, &st->created, err) < 0 ||
        hull_json_string(o, "state", "ociVersion", false, &st->oci_version, err) < 0 ||
        hull_json_string(o, "state", "config", false, &st->config_json, err) < 0 ||
        hull_json_bool(o, "state", "systemd_cgroup", &st->systemd_cgroup, err) < 0)
        goto fail;
    st->pid_start = (unsigned long long)v;
    st->annotations = json_incref(json_object_get(o, "annotations"));
    st->cgroup = json_incref(json_object_get(o, "cgroup"));
    json_decref(o);
    *out = st;
    return 0;
fail:
    json_decref(o);
    hull_state_free(st);
    return hull_error_prefix(err, "container %s", id);
}

void hull_state_free(struct hull_state *st)
{
    if (st == NULL)
        return;
    free(st->id);
    free(st->bundle);
    free(st->rootfs);
    free(st->created);
    free(st->oci_version);
    free(st->config_json);
    json_decref(st->annotations);
    json_decref(st->cgroup);
    free(st);
}

int hull_state_remove(const char *root, const char *id)
{
    _cleanup_free_ char *dir = xasprintf("%s/%s", root, id);
    return hull_rm_rf(dir);
}

unsigned long long hull_proc_start_time(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long start = 0;
    _cleanup_close_ int fd = -1;
    ssize_t n;
    char *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* comm may contain spaces and parens: fields resume after the last ')'. */
    p = strrchr(buf, ')');
    if (p == NULL)
        return 0;
    p += 2;
    if (*p == 'Z' || *p == 'X') /* a zombie has exited: treat as gone */
        return 0;
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    if (p)
        start = strtoull(p, NULL, 10);
    return start;
}

enum hull_status hull_state_status(const char *root, struct hull_state *st)
{
    _cleanup_free_ char *fifo = NULL;
    struct hull_cgroup *cg = NULL;
    bool frozen = false;

    if (st->pid <= 0)
        return HULL_STATUS_STOPPED;
    if (hull_proc_start_time(st->pid) != st->pid_start)
        return HULL_STATUS_STOPPED;
    fifo = xasprintf("%s/%s/exec.fifo", root, st->id);
    if (access(fifo, F_OK) == 0)
        return HULL_STATUS_CREATED;
    if (st->cgroup && hull_cgroup_from_json(st->cgroup, &cg, NULL) == 0) {
        frozen = hull_cgroup_is_frozen(cg);
        hull_cgroup_free(cg);
    }
    return frozen ? HULL_STATUS_PAUSED : HULL_STATUS_RUNNING;
}

const char *hull_status_name(enum hull_status s)
{
    switch (s) {
    case HULL_STATUS_CREATING:
        return "creating";
    case HULL_STATUS_CREATED:
        return "created";
    case HULL_STATUS_RUNNING:
        return "running";
    case HULL_STATUS_PAUSED:
        return "paused";
    case HULL_STATUS_STOPPED:
        return "stopped";
    default:
        return "unknown";
    }
}

json_t *hull_state_to_oci(const char *root, struct hull_state *st)
{
    enum hull_status s = hull_state_status(root, st);
    json_t *o = json_object();

    json_object_set_new(o, "ociVersion", json_string(st->oci_version ? st->oci_version : "1.2.0"));
    json_object_set_new(o, "id", json_string(st->id));
    json_object_set_new(o, "pid", json_integer(s == HULL_STATUS_STOPPED ? 0 : st->pid));
    json_object_set_new(o, "status", json_string(hull_status_name(s)));
    json_object_set_new(o, "bundle", json_string(st->bundle ? st->bundle : ""));
    json_object_set_new(o, "rootfs", json_string(st->rootfs ? st->rootfs : ""));
    json_object_set_new(o, "created", json_string(st->created ? st->created : ""));
    json_object_set_new(o, "owner", json_string(""));
    if (st->annotations && json_object_size(st->annotations))
        json_object_set(o, "annotations", st->annotations);
    return o;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int hull_state_list(const char *root, char ***ids, hull_error *err)
{
    _cleanup_closedir_ DIR *d = opendir(root);
    struct dirent *de;
    size_t n = 0;
    char **v = xmalloc0(sizeof(char *));

    if (d == NULL) {
        if (errno == ENOENT) {
            *ids = v;
            return 0;
        }
        free(v);
        return hull_error_set(err, errno, "open %s", root);
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || hull_state_validate_id(de->d_name, NULL) < 0)
            continue;
        v = xrealloc(v, (n + 2) * sizeof(char *));
        v[n++] = xstrdup(de->d_name);
        v[n] = NULL;
    }
    qsort(v, n, sizeof(char *), cmp_str);
    *ids = v;
    return 0;
}
