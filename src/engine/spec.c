/* From `hull run` flags (and an image config) to an OCI config.json. The
 * starting point is the runtime's secure default spec; flags only relax it
 * where the user asked (--cap-add, --privileged, seccomp=unconfined...). */
#include "internal.h"
#include "../runtime/runtime.h"
#include "../oci/config.h"
#include "../base/util.h"
#include "../base/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>

static json_t *strv_to_json(char **v)
{
    json_t *a = json_array();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* Caps of the calling process's bounding set: what --privileged grants (the
 * full set would fail here, where CAP_SYS_RESOURCE is not ours to give). */
static json_t *bounding_caps(void)
{
    json_t *a = json_array();
    for (int c = 0; hull_cap_name(c); c++)
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
            json_array_append_new(a, json_string(hull_cap_name(c)));
    return a;
}

static int edit_caps(json_t *caps, char **add, char **drop, hull_error *err)
{
    static const char *const sets[] = {"bounding", "effective", "permitted"};
    for (size_t s = 0; s < HULL_ARRAY_SIZE(sets); s++) {
        json_t *arr = json_object_get(caps, sets[s]);
        for (size_t i = 0; add && add[i]; i++) {
            _cleanup_free_ char *name =
                hull_str_has_prefix(add[i], "CAP_") || hull_str_has_prefix(add[i], "cap_")
                    ? xstrdup(add[i])
                    : xasprintf("CAP_%s", add[i]);
            for (char *p = name; *p; p++)
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
            if (strcmp(name, "CAP_ALL") == 0) {
                json_object_set_new(caps, sets[s], bounding_caps());
                arr = json_object_get(caps, sets[s]);
                continue;
            }
            if (hull_cap_from_name(name) < 0)
                return hull_error_msg(err, EINVAL, "--cap-add: unknown capability \"%s\"", add[i]);
            json_array_append_new(arr, json_string(name));
        }
        for (size_t i = 0; drop && drop[i]; i++) {
            _cleanup_free_ char *name =
                hull_str_has_prefix(drop[i], "CAP_") || hull_str_has_prefix(drop[i], "cap_")
                    ? xstrdup(drop[i])
                    : xasprintf("CAP_%s", drop[i]);
            size_t j;
            json_t *v;
            for (char *p = name; *p; p++)
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
            if (strcmp(name, "CAP_ALL") == 0) {
                json_array_clear(arr);
                continue;
            }
            if (hull_cap_from_name(name) < 0)
                return hull_error_msg(err, EINVAL, "--cap-drop: unknown capability \"%s\"",
                                      drop[i]);
            for (j = json_array_size(arr); j-- > 0;) {
                v = json_array_get(arr, j);
                if (strcmp(json_string_value(v), name) == 0)
                    json_array_remove(arr, j);
            }
        }
    }
    return 0;
}

static int add_bind(json_t *mounts, const char *spec, hull_error *err)
{
    _cleanup_free_ char *copy = xstrdup(spec);
    char *src = copy, *dst = strchr(copy, ':'), *mode = NULL;
    json_t *opts;

    if (dst == NULL)
        return hull_error_msg(err, EINVAL, "-v \"%s\": expected SRC:DST[:ro|rw]", spec);
    *dst++ = '\0';
    mode = strchr(dst, ':');
    if (mode)
        *mode++ = '\0';
    if (src[0] != '/' || dst[0] != '/')
        return hull_error_msg(err, EINVAL, "-v \"%s\": expected /HOST/PATH:/PATH or VOLUME:/PATH",
                              spec);
    if (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
        return hull_error_msg(err, EINVAL, "-v \"%s\": mode must be ro or rw", spec);
    opts = json_pack("[s, s, s]", "rbind", "nosuid", "nodev");
    if (mode && strcmp(mode, "ro") == 0)
        json_array_append_new(opts, json_string("ro"));
    json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type",
                                            "bind", "source", src, "options", opts));
    return 0;
}

/* docker's --ulimit names and the rlimits they stand for. */
static const struct {
    const char *name, *oci;
    int res;
} ulimit_names[] = {
    {"as", "RLIMIT_AS", RLIMIT_AS},
    {"core", "RLIMIT_CORE", RLIMIT_CORE},
    {"cpu", "RLIMIT_CPU", RLIMIT_CPU},
    {"data", "RLIMIT_DATA", RLIMIT_DATA},
    {"fsize", "RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"locks", "RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"memlock", "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"msgqueue", "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"nice", "RLIMIT_NICE", RLIMIT_NICE},
    {"nofile", "RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"nproc", "RLIMIT_NPROC", RLIMIT_NPROC},
    {"rss", "RLIMIT_RSS", RLIMIT_RSS},
    {"rtprio", "RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"rttime", "RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"sigpending", "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"stack", "RLIMIT_STACK", RLIMIT_STACK},
};

/* "-1" or "unlimited" is RLIM_INFINITY, as with docker. */
static int parse_rlim(const char *s, unsigned long long *out)
{
    if (strcmp(s, "-1") == 0 || strcmp(s, "unlimited") == 0) {
        *out = RLIM_INFINITY;
        return 0;
    }
    return hull_parse_u64(s, out);
}

static bool have_sys_resource(void)
{
    cap_t caps = cap_get_proc();
    cap_flag_value_t v = CAP_CLEAR;

    if (caps) {
        cap_get_flag(caps, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v);
        cap_free(caps);
    }
    return v == CAP_SET;
}

/* One --ulimit NAME=SOFT[:HARD] → an OCI process.rlimits entry. A hard
 * limit above ours cannot be granted without CAP_SYS_RESOURCE: refuse it
 * here, before anything is made, rather than in the container's init. */
static int add_ulimit(json_t *rlimits, const char *spec, hull_error *err)
{
    _cleanup_free_ char *copy = xstrdup(spec);
    char *val = strchr(copy, '='), *hard_s;
    unsigned long long soft, hard;
    struct rlimit cur;
    size_t i, k;
    json_t *v;

    if (val == NULL)
        return hull_error_msg(err, EINVAL, "--ulimit \"%s\": expected NAME=SOFT[:HARD]", spec);
    *val++ = '\0';
    for (k = 0; k < HULL_ARRAY_SIZE(ulimit_names); k++)
        if (strcmp(copy, ulimit_names[k].name) == 0)
            break;
    if (k == HULL_ARRAY_SIZE(ulimit_names))
        return hull_error_msg(err, EINVAL,
                              "--ulimit \"%s\": unknown limit \"%s\" (one of as, core, cpu, "
                              "data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, "
                              "rtprio, rttime, sigpending, stack)",
                              spec, copy);
    hard_s = strchr(val, ':');
    if (hard_s)
        *hard_s++ = '\0';
    if (parse_rlim(val, &soft) < 0 || (hard_s && parse_rlim(hard_s, &hard) < 0))
        return hull_error_msg(err, EINVAL,
                              "--ulimit \"%s\": expected numbers (or -1 for unlimited) as "
                              "SOFT[:HARD]",
                              spec);
    if (hard_s == NULL)
        hard = soft;
    if (soft > hard)
        return hull_error_msg(err, EINVAL,
                              "--ulimit \"%s\": soft limit %llu exceeds hard limit %llu", spec,
                              soft, hard);
    if (getrlimit(ulimit_names[k].res, &cur) == 0 && hard > cur.rlim_max && !have_sys_resource())
        return hull_error_msg(err, EPERM,
                              "--ulimit \"%s\": hard limit %llu is above this host's hard limit "
                              "%llu for %s, and raising it needs CAP_SYS_RESOURCE, which hull "
                              "does not have",
                              spec, hard, (unsigned long long)cur.rlim_max, copy);
    json_array_foreach (rlimits, i, v)
        if (strcmp(json_string_value(json_object_get(v, "type")), ulimit_names[k].oci) == 0)
            return hull_error_msg(err, EINVAL, "--ulimit \"%s\": %s is given twice", spec, copy);
    json_array_append_new(rlimits, json_pack("{s:s, s:I, s:I}", "type", ulimit_names[k].oci, "soft",
                                             (json_int_t)soft, "hard", (json_int_t)hard));
    return 0;
}

/* --init: tini, bind-mounted read-only where docker puts its init, runs as
 * pid 1 in front of the command: it reaps orphans and forwards signals. */
static const char *const init_binaries[] = {"/usr/bin/tini-static", "/usr/bin/docker-init"};
#define INIT_DEST "/sbin/docker-init"

static int add_init(json_t *proc, json_t *mounts, hull_error *err)
{
    json_t *args = json_object_get(proc, "args");
    const char *bin = NULL;

    for (size_t i = 0; i < HULL_ARRAY_SIZE(init_binaries) && !bin; i++)
        if (access(init_binaries[i], X_OK) == 0)
            bin = init_binaries[i];
    if (bin == NULL)
        return hull_error_msg(err, ENOENT,
                              "--init: no init binary (%s): install Debian's tini package",
                              init_binaries[0]);
    json_array_insert_new(args, 0, json_string("--"));
    json_array_insert_new(args, 0, json_string(INIT_DEST));
    json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s, s, s, s]}", "destination",
                                            INIT_DEST, "type", "bind", "source", bin, "options",
                                            "bind", "ro", "nosuid", "nodev"));
    return 0;
}

int hull_engine_build_spec(const struct hull_run_opts *o, json_t *image_config, const char *rootfs,
                           const char *hostname, json_t **out, hull_error *err)
{
    json_t *spec = hull_spec_default(false);
    json_t *proc = json_object_get(spec, "process");
    json_t *linux_ = json_object_get(spec, "linux");
    json_t *img = image_config ? json_object_get(image_config, "config") : NULL;
    json_t *args = json_array(), *env, *mounts = json_object_get(spec, "mounts");
    json_t *ep = img ? json_object_get(img, "Entrypoint") : NULL;
    json_t *cmd = img ? json_object_get(img, "Cmd") : NULL;
    const char *workdir = o->workdir;
    const char *user = o->user;
    size_t i;
    json_t *v;

    /* args = entrypoint + cmd, with docker's override rules. */
    if (o->entrypoint) {
        if (o->entrypoint[0] && o->entrypoint[0][0])
            json_array_append_new(args, json_string(o->entrypoint[0]));
    } else if (json_is_array(ep)) {
        json_array_extend(args, ep);
    }
    if (o->cmd && o->cmd[0]) {
        json_t *c = strv_to_json(o->cmd);
        json_array_extend(args, c);
        json_decref(c);
    } else if (json_is_array(cmd) && !o->entrypoint)
        json_array_extend(args, cmd);
    if (json_array_size(args) == 0) {
        json_decref(args);
        json_decref(spec);
        return hull_error_msg(err, EINVAL, "no command: give one after the image");
    }
    json_object_set_new(proc, "args", args);
    json_object_set_new(proc, "terminal", json_boolean(o->tty));

    env = json_array();
    json_array_append_new(
        env, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    if (img && json_is_array(json_object_get(img, "Env")))
        json_array_foreach (json_object_get(img, "Env"), i, v)
            json_array_append(env, v);
    json_array_append_new(env, json_string(o->tty ? "TERM=xterm" : "HOSTNAME=hull"));
    for (i = 0; o->env && o->env[i]; i++) {
        if (strchr(o->env[i], '=') == NULL) {
            json_decref(env);
            json_decref(spec);
            return hull_error_msg(err, EINVAL, "-e \"%s\": expected KEY=VALUE", o->env[i]);
        }
        json_array_append_new(env, json_string(o->env[i]));
    }
    json_object_set_new(proc, "env", env);
    if (workdir == NULL && img && json_is_string(json_object_get(img, "WorkingDir")) &&
        json_string_length(json_object_get(img, "WorkingDir")))
        workdir = json_string_value(json_object_get(img, "WorkingDir"));
    json_object_set_new(proc, "cwd", json_string(workdir ? workdir : "/"));
    if (user == NULL && img && json_is_string(json_object_get(img, "User")) &&
        json_string_length(json_object_get(img, "User")))
        user = json_string_value(json_object_get(img, "User"));
    if (user) {
        unsigned long long uid, gid = 0;
        _cleanup_free_ char *u = xstrdup(user);
        char *colon = strchr(u, ':');
        if (colon)
            *colon++ = '\0';
        if (hull_parse_u64(u, &uid) < 0 || uid >= UINT32_MAX ||
            (colon && (hull_parse_u64(colon, &gid) < 0 || gid >= UINT32_MAX))) {
            json_decref(spec);
            return hull_error_msg(
                err, EINVAL, "-u \"%s\": expected UID[:GID] (names are not resolved yet)", user);
        }
        json_object_set_new(proc, "user",
                            json_pack("{s:I, s:I}", "uid", (json_int_t)uid, "gid",
                                      (json_int_t)(colon ? gid
                                                   : uid ? uid
                                                         : 0)));
    }
    json_object_set_new(json_object_get(spec, "root"), "path", json_string(rootfs));
    json_object_set_new(json_object_get(spec, "root"), "readonly", json_boolean(o->read_only));
    json_object_set_new(spec, "hostname", json_string(hostname));

    if (o->privileged) {
        json_t *caps = json_object_get(proc, "capabilities");
        json_object_set_new(caps, "bounding", bounding_caps());
        json_object_set_new(caps, "effective", bounding_caps());
        json_object_set_new(caps, "permitted", bounding_caps());
        json_object_del(linux_, "seccomp");
        json_object_set_new(linux_, "maskedPaths", json_array());
        json_object_set_new(linux_, "readonlyPaths", json_array());
        json_object_set_new(proc, "noNewPrivileges", json_false());
    } else if (edit_caps(json_object_get(proc, "capabilities"), o->cap_add, o->cap_drop, err) < 0) {
        json_decref(spec);
        return -1;
    }
    for (i = 0; o->security_opt && o->security_opt[i]; i++) {
        const char *so = o->security_opt[i];
        if (strcmp(so, "seccomp=unconfined") == 0 || strcmp(so, "seccomp:unconfined") == 0) {
            json_object_del(linux_, "seccomp");
        } else if (strcmp(so, "no-new-privileges") == 0 ||
                   strcmp(so, "no-new-privileges=true") == 0) {
            json_object_set_new(proc, "noNewPrivileges", json_true());
        } else if (strcmp(so, "no-new-privileges=false") == 0) {
            json_object_set_new(proc, "noNewPrivileges", json_false());
        } else if (hull_str_has_prefix(so, "seccomp=")) {
            json_error_t jerr;
            json_t *prof = json_load_file(so + 8, JSON_REJECT_DUPLICATES, &jerr);
            if (prof == NULL) {
                json_decref(spec);
                return hull_error_msg(err, EINVAL, "--security-opt %s: %s", so, jerr.text);
            }
            json_object_set_new(linux_, "seccomp", prof);
        } else {
            json_decref(spec);
            return hull_error_msg(err, EINVAL, "--security-opt \"%s\": unknown option", so);
        }
    }
    for (i = 0; o->volumes && o->volumes[i]; i++)
        if (add_bind(mounts, o->volumes[i], err) < 0) {
            json_decref(spec);
            return -1;
        }
    for (i = 0; o->tmpfs && o->tmpfs[i]; i++) {
        if (o->tmpfs[i][0] != '/') {
            json_decref(spec);
            return hull_error_msg(err, EINVAL, "--tmpfs \"%s\": not an absolute path", o->tmpfs[i]);
        }
        json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s, s, s]}", "destination",
                                                o->tmpfs[i], "type", "tmpfs", "source", "tmpfs",
                                                "options", "nosuid", "nodev", "mode=1777"));
    }
    /* Network: "none" keeps the new (empty) network namespace of the default
     * spec; "host" shares the host's. Bridge networks come with CNI. */
    if (o->network && strcmp(o->network, "host") == 0) {
        json_t *ns = json_object_get(linux_, "namespaces");
        for (i = json_array_size(ns); i-- > 0;)
            if (strcmp(json_string_value(json_object_get(json_array_get(ns, i), "type")),
                       "network") == 0)
                json_array_remove(ns, i);
    } /* container:NAME: the namespace path is filled in by hull_engine_join_netns */
    {
        json_t *res = json_object_get(linux_, "resources");
        if (o->memory > 0)
            json_object_set_new(res, "memory", json_pack("{s:I}", "limit", (json_int_t)o->memory));
        if (o->pids_limit)
            json_object_set_new(json_object_get(res, "pids"), "limit", json_integer(o->pids_limit));
        if (o->cpus > 0)
            json_object_set_new(res, "cpu",
                                json_pack("{s:I, s:I}", "quota", (json_int_t)(o->cpus * 100000),
                                          "period", (json_int_t)100000));
        if (o->privileged)
            json_object_set_new(res, "devices",
                                json_pack("[{s:b, s:s}]", "allow", 1, "access", "rwm"));
    }
    json_object_set_new(proc, "rlimits", json_array());
    for (i = 0; o->ulimits && o->ulimits[i]; i++)
        if (add_ulimit(json_object_get(proc, "rlimits"), o->ulimits[i], err) < 0) {
            json_decref(spec);
            return -1;
        }
    if (o->init && add_init(proc, mounts, err) < 0) {
        json_decref(spec);
        return -1;
    }
    /* --label KEY[=VALUE]: kept as OCI annotations, where inspect and ps find them. */
    for (i = 0; o->labels && o->labels[i]; i++) {
        const char *eq = strchr(o->labels[i], '=');
        _cleanup_free_ char *key =
            eq ? strndup(o->labels[i], (size_t)(eq - o->labels[i])) : xstrdup(o->labels[i]);
        if (json_object_get(spec, "annotations") == NULL)
            json_object_set_new(spec, "annotations", json_object());
        json_object_set_new(json_object_get(spec, "annotations"), key,
                            json_string(eq ? eq + 1 : ""));
    }
    *out = spec;
    return 0;
}
