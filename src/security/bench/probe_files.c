/* Probes over files of the audited root: metadata (file), line content
 * (content), tree walks for permission bits (find: SUID inventory, world
 * writable files) and group membership (group). */
#include "internal.h"
#include "base/json.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const file_types[] = {"file", "dir", "socket", "symlink", "any", NULL};

static bool json_array_has_string(json_t *a, const char *s)
{
    for (size_t i = 0; i < json_array_size(a); i++)
        if (json_is_string(json_array_get(a, i)) &&
            strcmp(json_string_value(json_array_get(a, i)), s) == 0)
            return true;
    return false;
}

static json_t *strings_of(json_t *v)
{
    json_t *a = json_array();
    if (json_is_string(v))
        json_array_append(a, v);
    else if (json_is_array(v))
        json_array_extend(a, v);
    return a;
}

static const char *type_name(mode_t m)
{
    if (S_ISREG(m))
        return "file";
    if (S_ISDIR(m))
        return "dir";
    if (S_ISSOCK(m))
        return "socket";
    if (S_ISLNK(m))
        return "symlink";
    if (S_ISFIFO(m))
        return "fifo";
    return "device";
}

static bool id_allowed(json_t *allowed, const char *name, unsigned id)
{
    char num[24];
    json_t *list = strings_of(allowed);
    bool ok = false;
    snprintf(num, sizeof(num), "%u", id);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *a = json_string_value(json_array_get(list, i));
        if (strcmp(a, name) == 0 || strcmp(a, num) == 0)
            ok = true;
    }
    json_decref(list);
    return ok;
}

/* ---- file --------------------------------------------------------------- */

static int file_eval(struct bench_ctx *ctx, json_t *audit, json_t *expect, bool advisory,
                     struct bench_outcome *out)
{
    const char *path = json_string_value(json_object_get(audit, "path"));
    bool follow = !json_is_true(json_object_get(audit, "nofollow"));
    json_t *want_exists = json_object_get(expect, "exists");
    json_t *targets;
    size_t present = 0;
    bool failed = false, errored = false;

    bench_set_subject(out, path);
    if (bench_has_glob(path)) {
        targets = bench_glob(ctx->rootfd, path);
    } else {
        targets = json_array();
        json_array_append_new(targets, json_string(path));
    }
    for (size_t i = 0; i < json_array_size(targets); i++) {
        const char *p = json_string_value(json_array_get(targets, i));
        struct stat st;
        char ub[24], gb[24];
        const char *mode_max = json_string_value(json_object_get(expect, "mode_max"));
        const char *want_type = json_string_value(json_object_get(expect, "type"));

        if (bench_stat(ctx->rootfd, p, follow, &st) < 0) {
            if (errno != ENOENT && errno != ENOTDIR) {
                bench_detail(out, "%s: cannot stat: %s", p, strerror(errno));
                errored = true;
            }
            continue;
        }
        present++;
        if (want_exists && !json_is_true(want_exists)) {
            bench_detail(out, "%s exists (%s)", p, type_name(st.st_mode));
            failed = true;
            continue;
        }
        if (want_type && strcmp(want_type, "any") != 0 &&
            strcmp(want_type, type_name(st.st_mode)) != 0) {
            bench_detail(out, "%s is a %s, expected a %s", p, type_name(st.st_mode), want_type);
            failed = true;
        }
        if (mode_max) {
            unsigned max = (unsigned)strtoul(mode_max, NULL, 8);
            unsigned mode = st.st_mode & 07777;
            if (S_ISLNK(st.st_mode))
                mode = 0;
            if (mode & ~max) {
                bench_detail(out, "%s has mode %04o, expected %04o or stricter", p, mode, max);
                failed = true;
            }
        }
        if (json_object_get(expect, "owner")) {
            const char *u = bench_user_name(ctx, st.st_uid, ub);
            if (!id_allowed(json_object_get(expect, "owner"), u, st.st_uid)) {
                _cleanup_free_ char *w = bench_json_brief(json_object_get(expect, "owner"));
                bench_detail(out, "%s is owned by %s, expected %s", p, u, w);
                failed = true;
            }
        }
        if (json_object_get(expect, "group")) {
            const char *g = bench_group_name(ctx, st.st_gid, gb);
            if (!id_allowed(json_object_get(expect, "group"), g, st.st_gid)) {
                _cleanup_free_ char *w = bench_json_brief(json_object_get(expect, "group"));
                bench_detail(out, "%s has group %s, expected %s", p, g, w);
                failed = true;
            }
        }
    }
    json_decref(targets);
    if (failed) {
        out->status = advisory ? HULL_BENCH_WARN : HULL_BENCH_FAIL;
    } else if (errored) {
        out->status = HULL_BENCH_ERROR;
    } else if (present == 0) {
        if (want_exists && !json_is_true(want_exists)) {
            out->status = HULL_BENCH_PASS;
        } else {
            out->status = bench_if_missing(audit, want_exists ? HULL_BENCH_FAIL : HULL_BENCH_INFO);
            bench_detail(out, "%s: not present", path);
        }
    } else {
        out->status = HULL_BENCH_PASS;
    }
    return 0;
}

static void file_paths(json_t *audit, json_t *list)
{
    json_array_append(list, json_object_get(audit, "path"));
}

static const struct bench_param file_params[] = {
    {"path", BP_STRING, true, NULL},
    {"nofollow", BP_BOOL, false, NULL},
    {NULL, 0, false, NULL},
};
static const struct bench_param file_expect[] = {
    {"exists", BP_BOOL, false, NULL},   {"type", BP_ENUM, false, file_types},
    {"mode_max", BP_MODE, false, NULL}, {"owner", BP_STRINGS, false, NULL},
    {"group", BP_STRINGS, false, NULL}, {NULL, 0, false, NULL},
};
const struct bench_probe bench_probe_file = {"file", file_params, file_expect,
                                             false,  file_eval,   file_paths};

/* ---- content -------------------------------------------------------------- */

static const char *const presence[] = {"present", "absent", NULL};

static int content_eval(struct bench_ctx *ctx, json_t *audit, json_t *expect, bool advisory,
                        struct bench_outcome *out)
{
    json_t *paths = strings_of(json_object_get(audit, "path"));
    const char *re = json_string_value(json_object_get(audit, "pattern"));
    const char *exclude = json_string_value(json_object_get(audit, "exclude"));
    bool icase = json_is_true(json_object_get(audit, "ignore_case"));
    bool skip_comments = json_is_true(json_object_get(audit, "skip_comments"));
    const char *want = json_string_value(json_object_get(expect, "match"));
    bool absent = want && strcmp(want, "absent") == 0;
    size_t files = 0, hits = 0;
    bool errored = false;

    for (size_t i = 0; i < json_array_size(paths); i++) {
        const char *pat = json_string_value(json_array_get(paths, i));
        json_t *found;
        if (i == 0)
            bench_set_subject(out, pat);
        if (bench_has_glob(pat)) {
            found = bench_glob(ctx->rootfd, pat);
        } else {
            found = json_array();
            json_array_append_new(found, json_string(pat));
        }
        for (size_t k = 0; k < json_array_size(found); k++) {
            const char *p = json_string_value(json_array_get(found, k));
            _cleanup_free_ char *text = NULL;
            size_t len, lineno = 0;
            if (bench_read(ctx->rootfd, p, 16u << 20, &text, &len) < 0) {
                if (errno != ENOENT && errno != ENOTDIR) {
                    bench_detail(out, "%s: cannot read: %s", p, strerror(errno));
                    errored = true;
                }
                continue;
            }
            files++;
            for (char *l = text, *nl; l && *l; l = nl) {
                nl = strchr(l, '\n');
                if (nl)
                    *nl++ = '\0';
                lineno++;
                if (skip_comments) {
                    const char *t = l + strspn(l, " \t");
                    if (*t == '#' || *t == '\0')
                        continue;
                }
                if (exclude && bench_regex_match(exclude, icase, l))
                    continue;
                if (!bench_regex_match(re, icase, l))
                    continue;
                hits++;
                if (absent && hits <= 10)
                    bench_detail(out, "%s:%zu: %.160s", p, lineno, l);
            }
        }
        json_decref(found);
    }
    json_decref(paths);
    if (files == 0 && !errored) {
        _cleanup_free_ char *names = bench_json_brief(json_object_get(audit, "path"));
        bench_detail(out, "no file to read: %s", names);
        out->status = bench_if_missing(audit, HULL_BENCH_INFO);
    } else if (absent ? hits > 0 : hits == 0) {
        if (!absent)
            bench_detail(out, "no line matches /%s/", re);
        else if (hits > 10)
            bench_detail(out, "... %zu matching lines in all", hits);
        out->status = advisory ? HULL_BENCH_WARN : HULL_BENCH_FAIL;
    } else {
        /* an unreadable file could have held the line that decides */
        out->status = errored ? HULL_BENCH_ERROR : HULL_BENCH_PASS;
    }
    return 0;
}

static void content_paths(json_t *audit, json_t *list)
{
    json_t *p = strings_of(json_object_get(audit, "path"));
    json_array_extend(list, p);
    json_decref(p);
}

static const struct bench_param content_params[] = {
    {"path", BP_STRINGS, true, NULL},        {"pattern", BP_REGEX, true, NULL},
    {"exclude", BP_REGEX, false, NULL},      {"ignore_case", BP_BOOL, false, NULL},
    {"skip_comments", BP_BOOL, false, NULL}, {NULL, 0, false, NULL},
};
static const struct bench_param content_expect[] = {
    {"match", BP_ENUM, false, presence},
    {NULL, 0, false, NULL},
};
const struct bench_probe bench_probe_content = {"content", content_params, content_expect,
                                                false,     content_eval,   content_paths};

/* ---- find ------------------------------------------------------------------- */

#define FIND_MAX_ENTRIES 400000

struct find {
    unsigned perm_any;
    const char *type;
    json_t *allowed;
    json_t *found;
};

static bool allowed_path(json_t *allowed, const char *p)
{
    for (size_t i = 0; i < json_array_size(allowed); i++)
        if (fnmatch(json_string_value(json_array_get(allowed, i)), p, 0) == 0)
            return true;
    return false;
}

static void find_visit(struct bench_walk *w, int dfd, const char *name, const char *path,
                       const char *dir, const struct stat *st)
{
    struct find *f = w->data;
    bool type_ok = strcmp(f->type, "any") == 0 ||
                   (strcmp(f->type, "file") == 0 && S_ISREG(st->st_mode)) ||
                   (strcmp(f->type, "dir") == 0 && S_ISDIR(st->st_mode));
    (void)dfd, (void)name, (void)dir;
    if (type_ok && !S_ISLNK(st->st_mode) && (st->st_mode & f->perm_any) &&
        !allowed_path(f->allowed, path))
        json_array_append_new(f->found, json_string(path));
}

static int find_eval(struct bench_ctx *ctx, json_t *audit, json_t *expect, bool advisory,
                     struct bench_outcome *out)
{
    json_t *dirs = strings_of(json_object_get(audit, "dirs"));
    json_t *max_depth = json_object_get(audit, "max_depth");
    const char *perm = json_string_value(json_object_get(audit, "perm_any"));
    struct find f = {
        .perm_any = perm ? (unsigned)strtoul(perm, NULL, 8) : 06000,
        .type = json_object_get(audit, "type") ? json_string_value(json_object_get(audit, "type"))
                                               : "file",
        .allowed = strings_of(json_object_get(audit, "allowed")),
        .found = json_array(),
    };
    struct bench_walk w = {
        .visit = find_visit,
        .data = &f,
        .max_entries = FIND_MAX_ENTRIES,
        .max_depth = max_depth ? (int)json_integer_value(max_depth) : 8,
    };
    json_t *subjects = json_object();
    size_t walked = 0;

    for (size_t i = 0; i < json_array_size(dirs); i++) {
        const char *d = json_string_value(json_array_get(dirs, i));
        struct stat st;
        /* a symlinked directory (/bin -> usr/bin) would be walked twice */
        if (bench_stat(ctx->rootfd, d, false, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        int fd = bench_open(ctx->rootfd, d, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
        if (fd < 0) {
            bench_detail(out, "%s: cannot open: %s", d, strerror(errno));
            continue;
        }
        walked++;
        bench_walk_tree(&w, fd, d);
    }
    if (json_array_size(dirs) > 0)
        bench_set_subject(out, json_string_value(json_array_get(dirs, 0)));
    if (w.truncated)
        bench_detail(out, "walk stopped after %d entries", FIND_MAX_ENTRIES);
    if (walked > 0)
        json_object_set(subjects, "found", f.found);
    bench_judge_values(audit, expect, subjects, advisory, "directory to walk", out);
    if (out->status == HULL_BENCH_PASS && (w.truncated || json_array_size(out->details) > 0))
        out->status = HULL_BENCH_ERROR;
    json_decref(subjects);
    json_decref(f.found);
    json_decref(f.allowed);
    json_decref(dirs);
    return 0;
}

static const struct bench_param find_params[] = {
    {"dirs", BP_STRINGS, true, NULL},     {"max_depth", BP_INT, false, NULL},
    {"perm_any", BP_MODE, false, NULL},   {"type", BP_ENUM, false, file_types},
    {"allowed", BP_STRINGS, false, NULL}, {NULL, 0, false, NULL},
};
const struct bench_probe bench_probe_find_files = {"find", find_params, NULL,
                                                   true,   find_eval,   NULL};

/* ---- group ------------------------------------------------------------------- */

static int group_eval(struct bench_ctx *ctx, json_t *audit, json_t *expect, bool advisory,
                      struct bench_outcome *out)
{
    json_t *groups = strings_of(json_object_get(audit, "groups"));
    json_t *allowed = strings_of(json_object_get(audit, "allowed"));
    json_t *subjects = json_object();

    bench_load_ids(ctx);
    bench_set_subject(out, "/etc/group");
    for (size_t i = 0; i < json_array_size(groups); i++) {
        const char *g = json_string_value(json_array_get(groups, i));
        json_t *gr = json_object_get(ctx->groups, g), *members = json_array();
        const char *user;
        json_t *u;
        if (gr == NULL) {
            json_decref(members);
            continue;
        }
        json_array_extend(members, json_object_get(gr, "members"));
        /* users whose primary group it is are members too */
        json_object_foreach (ctx->users, user, u) {
            if (json_integer_value(json_object_get(u, "gid")) ==
                    json_integer_value(json_object_get(gr, "gid")) &&
                !json_array_has_string(members, user))
                json_array_append_new(members, json_string(user));
        }
        json_t *bad = json_array();
        for (size_t k = 0; k < json_array_size(members); k++) {
            json_t *m = json_array_get(members, k);
            bool ok = false;
            for (size_t a = 0; a < json_array_size(allowed); a++)
                ok = ok || json_equal(json_array_get(allowed, a), m);
            if (!ok)
                json_array_append(bad, m);
        }
        json_object_set_new(subjects, g, bad);
        json_decref(members);
    }
    bench_judge_values(audit, expect, subjects, advisory, "such group", out);
    json_decref(subjects);
    json_decref(groups);
    json_decref(allowed);
    return 0;
}

static void group_paths(json_t *audit, json_t *list)
{
    (void)audit;
    json_array_append_new(list, json_string("/etc/group"));
}

static const struct bench_param group_params[] = {
    {"groups", BP_STRINGS, true, NULL},
    {"allowed", BP_STRINGS, false, NULL},
    {NULL, 0, false, NULL},
};
const struct bench_probe bench_probe_group = {"group", group_params, NULL,
                                              true,    group_eval,   group_paths};
