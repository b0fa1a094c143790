/* Image data for section 5: an OCI (or docker) image config JSON
 * (--image-config), an unpacked rootfs (--image-rootfs) and the reference the
 * image was pulled by (--image-ref). Reading plain files keeps the probe
 * independent of where the image came from (hull's store, `docker save`,
 * skopeo). The rootfs walk never follows symlinks: an image is hostile input. */
#include "internal.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const bench_image_properties[] = {"user",
                                              "user_is_root",
                                              "healthcheck",
                                              "env_secrets",
                                              "exposed_ports",
                                              "ref",
                                              "ref_pinned",
                                              "ref_latest",
                                              "base_digest",
                                              "history_add",
                                              "history_add_remote",
                                              "history_update_alone",
                                              "history_secrets",
                                              "setuid_files",
                                              "setgid_files",
                                              "world_writable_files",
                                              "secret_files",
                                              "sshd_present",
                                              NULL};

json_t *bench_env_secrets(json_t *env);

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

#define IMAGE_MAX_ENTRIES 1000000

struct iwalk {
    json_t *suid, *sgid, *ww, *secrets;
    bool sshd;
};

static bool looks_like_key_file(int dfd, const char *name)
{
    char buf[8192];
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    ssize_t n;
    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return strstr(buf, "PRIVATE KEY-----") != NULL;
}

static const char *const secret_names[] = {
    "id_rsa",  "id_dsa",  "id_ecdsa", "id_ed25519", ".git-credentials", ".netrc",
    ".pgpass", ".pypirc", ".npmrc",   ".env",       "credentials",      NULL};

static bool is_secret_file(int dfd, const char *name, const char *dir)
{
    size_t nl = strlen(name);
    for (int k = 0; secret_names[k]; k++)
        if (!strcmp(name, secret_names[k]) &&
            (strcmp(name, "credentials") != 0 || strstr(dir, "/.aws")))
            return true;
    return nl > 4 && (!strcmp(name + nl - 4, ".pem") || !strcmp(name + nl - 4, ".key")) &&
           looks_like_key_file(dfd, name);
}

static void iwalk_visit(struct bench_walk *walk, int dfd, const char *name, const char *path,
                        const char *dir, const struct stat *st)
{
    struct iwalk *w = walk->data;
    if (S_ISREG(st->st_mode)) {
        if (st->st_mode & S_ISUID)
            json_array_append_new(w->suid, json_string(path));
        if (st->st_mode & S_ISGID)
            json_array_append_new(w->sgid, json_string(path));
        if (st->st_mode & S_IWOTH)
            json_array_append_new(w->ww, json_string(path));
        if (!strcmp(path, "/usr/sbin/sshd") || !strcmp(path, "/sbin/sshd"))
            w->sshd = true;
        if (is_secret_file(dfd, name, dir))
            json_array_append_new(w->secrets, json_string(path));
    } else if (S_ISDIR(st->st_mode)) {
        if ((st->st_mode & S_IWOTH) && !(st->st_mode & S_ISVTX))
            json_array_append_new(w->ww, json_string(path));
    }
}

static json_t *history_props(json_t *history, json_t *img)
{
    json_t *add = json_array(), *remote = json_array(), *upd = json_array(), *sec = json_array();
    for (size_t i = 0; i < json_array_size(history); i++) {
        const char *cb = str(json_array_get(history, i), "created_by");
        const char *nop = strstr(cb, "#(nop)");
        const char *ins = nop ? nop + 6 : cb;
        ins += strspn(ins, " \t");
        if (!strncmp(ins, "/bin/sh -c ", 11))
            ins += 11;
        if (!strncmp(ins, "ADD ", 4) &&
            !bench_regex_match("^ADD (file|dir):[0-9a-f]+ in /[[:space:]]*$", false, ins)) {
            json_array_append_new(add, json_string(ins));
            if (bench_regex_match("ADD .*https?://", false, ins))
                json_array_append_new(remote, json_string(ins));
        }
        if (bench_regex_match("(apt-get|apt|yum|dnf|apk|zypper)[[:space:]]+(-[^[:space:]]+[[:space:"
                              "]]+)*(update|makecache)",
                              false, ins) &&
            !bench_regex_match("(install|upgrade|[[:space:]]add[[:space:]])", false, ins))
            json_array_append_new(upd, json_string(ins));
        if (bench_regex_match("(PASS(WORD|WD)?|SECRET|TOKEN|API_?KEY|ACCESS_?KEY)=[^[:space:]$]",
                              true, ins) ||
            bench_regex_match("(AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY)", false, ins))
            json_array_append_new(sec, json_string(ins));
    }
    json_object_set_new(img, "history_add", add);
    json_object_set_new(img, "history_add_remote", remote);
    json_object_set_new(img, "history_update_alone", upd);
    json_object_set_new(img, "history_secrets", sec);
    return img;
}

int bench_load_image(struct bench_ctx *ctx)
{
    const struct hull_bench_opts *o = ctx->opts;
    json_t *img;
    static const char *const nulls[] = {"user",
                                        "user_is_root",
                                        "healthcheck",
                                        "env_secrets",
                                        "exposed_ports",
                                        "history_add",
                                        "history_add_remote",
                                        "history_update_alone",
                                        "history_secrets",
                                        "base_digest",
                                        "ref",
                                        "ref_pinned",
                                        "ref_latest",
                                        "setuid_files",
                                        "setgid_files",
                                        "world_writable_files",
                                        "secret_files",
                                        "sshd_present",
                                        NULL};
    if (ctx->image_loaded)
        return 0;
    ctx->image_loaded = true;
    ctx->image_errors = json_array();
    if (!o->image_config && !o->image_rootfs && !o->image_ref)
        return 0;
    img = json_object();
    for (int k = 0; nulls[k]; k++)
        json_object_set_new(img, nulls[k], json_null());
    json_object_set_new(img, "name",
                        json_string(o->image_ref      ? o->image_ref
                                    : o->image_config ? o->image_config
                                                      : o->image_rootfs));
    json_object_set_new(img, "source",
                        json_string(o->image_config   ? o->image_config
                                    : o->image_rootfs ? o->image_rootfs
                                                      : ""));
    if (o->image_config) {
        json_error_t jerr;
        json_t *doc = json_load_file(o->image_config, 0, &jerr);
        if (doc == NULL || !json_is_object(doc)) {
            json_array_append_new(ctx->image_errors,
                                  json_sprintf("%s:%d: %s", o->image_config, doc ? 1 : jerr.line,
                                               doc ? "expected an object" : jerr.text));
        } else {
            json_t *cfg = json_object_get(doc, "config");
            if (!json_is_object(cfg))
                cfg = json_object_get(doc, "Config");
            const char *user = str(cfg, "User");
            json_object_set_new(img, "user", json_string(*user ? user : "root"));
            json_object_set_new(img, "user_is_root",
                                json_boolean(!*user || !strcmp(user, "root") ||
                                             !strcmp(user, "0") ||
                                             hull_str_has_prefix(user, "root:") ||
                                             hull_str_has_prefix(user, "0:")));
            json_t *test = json_object_get(json_object_get(cfg, "Healthcheck"), "Test");
            json_object_set_new(
                img, "healthcheck",
                json_boolean(json_array_size(test) > 0 &&
                             strcmp(json_string_value(json_array_get(test, 0)) ?: "", "NONE") !=
                                 0));
            json_object_set_new(img, "env_secrets", bench_env_secrets(json_object_get(cfg, "Env")));
            json_t *ports = json_array();
            const char *pk;
            json_t *pv;
            json_object_foreach (json_object_get(cfg, "ExposedPorts"), pk, pv) {
                json_array_append_new(ports, json_integer(strtol(pk, NULL, 10)));
            }
            json_object_set_new(img, "exposed_ports", ports);
            json_t *labels = json_object_get(cfg, "Labels");
            const char *base = str(labels, "org.opencontainers.image.base.digest");
            if (!*base)
                base = str(json_object_get(doc, "annotations"),
                           "org.opencontainers.image.base.digest");
            json_object_set_new(img, "base_digest", json_string(base));
            history_props(json_object_get(doc, "history"), img);
        }
        json_decref(doc);
    }
    if (o->image_ref) {
        const char *ref = o->image_ref, *slash = strrchr(ref, '/');
        const char *last = slash ? slash + 1 : ref;
        bool pinned = bench_regex_match("@sha256:[0-9a-f]{64}$", false, ref);
        const char *colon = strchr(last, ':');
        json_object_set_new(img, "ref", json_string(ref));
        json_object_set_new(img, "ref_pinned", json_boolean(pinned));
        json_object_set_new(img, "ref_latest",
                            json_boolean(!pinned && !strchr(ref, '@') &&
                                         (colon == NULL || !strcmp(colon, ":latest"))));
    }
    if (o->image_rootfs) {
        int fd = open(o->image_rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            json_array_append_new(
                ctx->image_errors,
                json_sprintf("image rootfs %s: %s", o->image_rootfs, strerror(errno)));
        } else {
            struct iwalk w = {.suid = json_array(),
                              .sgid = json_array(),
                              .ww = json_array(),
                              .secrets = json_array()};
            /* subdirectories are entered from directories at depth < 64 */
            struct bench_walk walk = {.visit = iwalk_visit,
                                      .data = &w,
                                      .max_entries = IMAGE_MAX_ENTRIES,
                                      .max_depth = 65};
            bench_walk_tree(&walk, fd, "");
            if (walk.truncated)
                json_array_append_new(ctx->image_errors,
                                      json_sprintf("image rootfs %s: walk stopped after %d entries",
                                                   o->image_rootfs, IMAGE_MAX_ENTRIES));
            json_object_set_new(img, "setuid_files", w.suid);
            json_object_set_new(img, "setgid_files", w.sgid);
            json_object_set_new(img, "world_writable_files", w.ww);
            json_object_set_new(img, "secret_files", w.secrets);
            json_object_set_new(img, "sshd_present", json_boolean(w.sshd));
        }
    }
    ctx->image = img;
    return 0;
}

static int image_eval(struct bench_ctx *ctx, json_t *audit, json_t *expect, bool advisory,
                      struct bench_outcome *out)
{
    const char *prop = json_string_value(json_object_get(audit, "property"));
    json_t *subjects = json_object();
    json_t *allowed = json_object_get(audit, "allowed");

    bench_load_image(ctx);
    if (ctx->image) {
        json_t *v = json_object_get(ctx->image, prop);
        bench_set_host_subject(out, str(ctx->image, "source"));
        if (json_is_array(v) && json_is_array(allowed)) {
            json_t *keep = json_array();
            for (size_t i = 0; i < json_array_size(v); i++) {
                bool ok = false;
                for (size_t k = 0; k < json_array_size(allowed); k++)
                    ok = ok || fnmatch(json_string_value(json_array_get(allowed, k)),
                                       json_string_value(json_array_get(v, i)) ?: "", 0) == 0;
                if (!ok)
                    json_array_append(keep, json_array_get(v, i));
            }
            json_object_set_new(subjects, str(ctx->image, "name"), keep);
        } else {
            json_object_set(subjects, str(ctx->image, "name"), v ? v : json_null());
        }
    } else {
        bench_detail(out, "no image given (--image-config, --image-rootfs, --image-ref)");
    }
    for (size_t i = 0; i < json_array_size(ctx->image_errors); i++)
        bench_detail(out, "%s", json_string_value(json_array_get(ctx->image_errors, i)));
    bench_judge_values(audit, expect, subjects, advisory, "image", out);
    if (json_array_size(ctx->image_errors) > 0 &&
        (out->status == HULL_BENCH_PASS || out->status == HULL_BENCH_INFO))
        out->status = HULL_BENCH_ERROR;
    json_decref(subjects);
    return 0;
}

static const struct bench_param image_params[] = {
    {"property", BP_ENUM, true, bench_image_properties},
    {"allowed", BP_STRINGS, false, NULL},
    {NULL, 0, false, NULL},
};
const struct bench_probe bench_probe_image = {"image", image_params, NULL, true, image_eval, NULL};
