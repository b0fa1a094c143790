/* Root-safe reads for the probes. Every path a check names is resolved with
 * openat2(RESOLVE_IN_ROOT) against the audited root's fd: symlinks and ".."
 * inside a mounted image of another host resolve within that image, never to
 * the auditing host's files. Regular files are opened O_NONBLOCK and checked
 * with fstat before reading, so a FIFO planted at an audited path cannot hang
 * the run. */
#include "internal.h"
#include "base/fs.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bench_open(int rootfd, const char *path, int flags)
{
    /* openat2 rejects O_NOCTTY together with O_PATH */
    return hull_openat_in_root(rootfd, path, flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY),
                               0);
}

int bench_stat(int rootfd, const char *path, bool follow, struct stat *st)
{
    _cleanup_close_ int fd = bench_open(rootfd, path, O_PATH | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0)
        return -1;
    return fstat(fd, st);
}

int bench_read(int rootfd, const char *path, size_t max, char **out, size_t *len)
{
    _cleanup_close_ int fd = bench_open(rootfd, path, O_RDONLY | O_NONBLOCK);
    struct stat st;
    hull_error err = {0};
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        return -1;
    }
    if (hull_read_fd(fd, max, out, len, &err) < 0) {
        errno = err.errnum ? err.errnum : EIO;
        hull_error_clear(&err);
        return -1;
    }
    return 0;
}

bool bench_has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Expand the components of `rest` below `dir` (a path inside the root). */
static void glob_step(int rootfd, const char *dir, const char *rest, json_t *out, int depth)
{
    const char *slash;
    size_t clen;
    _cleanup_free_ char *comp = NULL;

    while (*rest == '/')
        rest++;
    if (*rest == '\0') {
        json_array_append_new(out, json_string(*dir ? dir : "/"));
        return;
    }
    if (depth > 32)
        return;
    slash = strchr(rest, '/');
    clen = slash ? (size_t)(slash - rest) : strlen(rest);
    comp = strndup(rest, clen);
    if (comp == NULL)
        return;
    if (!bench_has_glob(comp)) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, comp);
        struct stat st;
        if (bench_stat(rootfd, p, slash != NULL, &st) == 0)
            glob_step(rootfd, p, rest + clen, out, depth + 1);
        return;
    }
    int fd = bench_open(rootfd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' && comp[0] != '.')
            continue;
        if (fnmatch(comp, de->d_name, FNM_PERIOD) != 0)
            continue;
        names = xrealloc(names, (n + 1) * sizeof(char *));
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(char *), cmp_json_str);
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, names[i]);
        glob_step(rootfd, p, rest + clen, out, depth + 1);
        free(names[i]);
    }
    free(names);
}

json_t *bench_glob(int rootfd, const char *pattern)
{
    json_t *out = json_array();
    glob_step(rootfd, "", pattern, out, 0);
    return out;
}

/* ---- tree walk ------------------------------------------------------------ */

static void walk_step(struct bench_walk *w, int dfd, const char *path, int depth)
{
    DIR *d = fdopendir(dfd);
    struct dirent *de;
    if (d == NULL) {
        close(dfd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (++w->seen > w->max_entries) {
            w->truncated = true;
            break;
        }
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        _cleanup_free_ char *p = xasprintf("%s/%s", strcmp(path, "/") ? path : "", de->d_name);
        w->visit(w, dirfd(d), de->d_name, p, path, &st);
        if (S_ISDIR(st.st_mode) && depth + 1 < w->max_depth) {
            /* O_NOFOLLOW: a directory swapped for a symlink after the fstatat
             * is not entered. */
            int sub = openat(dirfd(d), de->d_name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
            if (sub >= 0)
                walk_step(w, sub, p, depth + 1);
        }
    }
    closedir(d);
}

void bench_walk_tree(struct bench_walk *w, int dfd, const char *path)
{
    walk_step(w, dfd, path, 0);
}

/* ---- users and groups of the audited root -------------------------------- */

int bench_load_ids(struct bench_ctx *ctx)
{
    _cleanup_free_ char *pw = NULL, *gr = NULL;
    size_t len;
    if (ctx->ids_loaded)
        return 0;
    ctx->ids_loaded = true;
    ctx->users = json_object();
    ctx->groups = json_object();
    if (bench_read(ctx->rootfd, "/etc/passwd", 16u << 20, &pw, &len) == 0) {
        for (char *save = NULL, *l = strtok_r(pw, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            char *f[7] = {0};
            int k = 0;
            for (char *p = l; k < 7; k++) {
                f[k] = p;
                p = strchr(p, ':');
                if (p == NULL)
                    break;
                *p++ = '\0';
            }
            if (k < 3 || l[0] == '#' || l[0] == '+' || l[0] == '-')
                continue;
            json_object_set_new(ctx->users, f[0],
                                json_pack("{s:I,s:I}", "uid", (json_int_t)strtoll(f[2], NULL, 10),
                                          "gid",
                                          (json_int_t)(f[3] ? strtoll(f[3], NULL, 10) : -1)));
        }
    }
    if (bench_read(ctx->rootfd, "/etc/group", 16u << 20, &gr, &len) == 0) {
        for (char *save = NULL, *l = strtok_r(gr, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            char *name = l, *p, *gid, *members;
            if (l[0] == '#' || (p = strchr(l, ':')) == NULL)
                continue;
            *p++ = '\0';
            if ((p = strchr(p, ':')) == NULL)
                continue;
            gid = ++p;
            if ((p = strchr(p, ':')) == NULL)
                continue;
            *p++ = '\0';
            members = p;
            json_t *m = json_array();
            for (char *s2 = NULL, *u = strtok_r(members, ",", &s2); u; u = strtok_r(NULL, ",", &s2))
                if (*u)
                    json_array_append_new(m, json_string(u));
            json_object_set_new(
                ctx->groups, name,
                json_pack("{s:I,s:o}", "gid", (json_int_t)strtoll(gid, NULL, 10), "members", m));
        }
    }
    return 0;
}

static const char *id_name(json_t *map, const char *field, unsigned id, char buf[24])
{
    const char *key;
    json_t *v;
    json_object_foreach (map, key, v) {
        if (json_integer_value(json_object_get(v, field)) == (json_int_t)id)
            return key;
    }
    snprintf(buf, 24, "%u", id);
    return buf;
}

const char *bench_user_name(struct bench_ctx *ctx, unsigned uid, char buf[24])
{
    bench_load_ids(ctx);
    if (uid == 0 && json_object_get(ctx->users, "root") == NULL)
        return "root";
    return id_name(ctx->users, "uid", uid, buf);
}

const char *bench_group_name(struct bench_ctx *ctx, unsigned gid, char buf[24])
{
    bench_load_ids(ctx);
    if (gid == 0 && json_object_get(ctx->groups, "root") == NULL)
        return "root";
    return id_name(ctx->groups, "gid", gid, buf);
}

/* ---- mount table ----------------------------------------------------------- */

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s)
{
    char *out = xmalloc0(strlen(s) + 1), *o = out;
    while (*s) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 4;
        } else {
            *o++ = *s++;
        }
    }
    return out;
}

static void add_mount(struct bench_ctx *ctx, const char *target, const char *fstype,
                      const char *opts, const char *super, const char *optional)
{
    struct bench_mount *m;
    ctx->mounts = xrealloc(ctx->mounts, (ctx->n_mounts + 1) * sizeof(*ctx->mounts));
    m = &ctx->mounts[ctx->n_mounts++];
    m->target = unescape(target);
    m->fstype = xstrdup(fstype);
    m->options = super && *super ? xasprintf("%s,%s", opts, super) : xstrdup(opts);
    m->optional = xstrdup(optional ? optional : "");
}

/* <root>/proc/self/mountinfo, else <root>/proc/mounts. */
int bench_load_mounts(struct bench_ctx *ctx)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    bool info = true;

    if (ctx->mounts_loaded)
        return ctx->mounts_error ? -1 : 0;
    ctx->mounts_loaded = true;
    if (bench_read(ctx->rootfd, "/proc/self/mountinfo", 64u << 20, &text, &len) < 0) {
        info = false;
        if (bench_read(ctx->rootfd, "/proc/mounts", 64u << 20, &text, &len) < 0) {
            ctx->mounts_error = xasprintf("cannot read %s/proc/self/mountinfo or /proc/mounts: %s",
                                          strcmp(ctx->root, "/") ? ctx->root : "", strerror(errno));
            return -1;
        }
    }
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *f[32];
        int n = 0;
        for (char *s2 = NULL, *t = strtok_r(l, " ", &s2); t && n < 32; t = strtok_r(NULL, " ", &s2))
            f[n++] = t;
        if (info) {
            /* id parent maj:min root target opts [optional...] - fstype source super */
            int sep = -1;
            char optional[256] = "";
            for (int k = 6; k < n; k++)
                if (strcmp(f[k], "-") == 0) {
                    sep = k;
                    break;
                }
            if (n < 10 || sep < 0 || sep + 3 >= n + 1 || sep + 1 >= n)
                continue;
            for (int k = 6; k < sep; k++) {
                strncat(optional, f[k], sizeof(optional) - strlen(optional) - 2);
                strcat(optional, " ");
            }
            add_mount(ctx, f[4], f[sep + 1], f[5], sep + 3 < n ? f[sep + 3] : "", optional);
        } else if (n >= 4) {
            add_mount(ctx, f[1], f[2], f[3], "", "");
        }
    }
    return 0;
}
