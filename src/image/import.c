/* Making images: `hull import` (a rootfs tarball or directory becomes a one-layer
 * image), the same on top of a base image (what `hull commit` needs), and the last
 * step every loader shares: unpack the layers, then record the names.
 *
 * Order matters for consistency: blobs first, then snapshots (the layers are
 * checked by unpacking them), then the record. A failure before the record leaves
 * only unreferenced blobs, which prune collects; the gc lock is held shared
 * throughout so prune cannot collect them while we are still working. */
#include "internal.h"
#include "../base/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int image_commit(struct hull_image_store *s, const char *manifest_digest, char **names,
                 hull_error *err)
{
    struct hull_image *img = NULL;
    int r = -1;

    if (image_open_digest(s, manifest_digest, NULL, &img, err) < 0)
        return -1;
    if (hull_image_ensure_snapshots(s, img, err) < 0)
        goto out;
    if (names == NULL || *names == NULL) {
        r = refs_add(s, manifest_digest, NULL, err);
        goto out;
    }
    for (char **n = names; *n; n++)
        if (refs_add(s, manifest_digest, *n, err) < 0)
            goto out;
    r = 0;
out:
    hull_image_free(img);
    return r;
}

/* ---- Dockerfile-style --change -------------------------------------------------------- */

static json_t *exec_form(const char *rest, const char *what, hull_error *err)
{
    json_t *v, *e;
    size_t i;

    if (*rest != '[')
        return json_pack("[s, s, s]", "/bin/sh", "-c", rest);
    v = json_loads(rest, 0, NULL);
    if (!json_is_array(v)) {
        json_decref(v);
        hull_error_msg(err, EINVAL, "%s: invalid JSON array", what);
        return NULL;
    }
    json_array_foreach (v, i, e) {
        if (!json_is_string(e)) {
            json_decref(v);
            hull_error_msg(err, EINVAL, "%s: array elements must be strings", what);
            return NULL;
        }
    }
    return v;
}

static void env_set(json_t *cfg, const char *key, const char *value)
{
    json_t *env = json_object_get(cfg, "Env"), *e;
    size_t i, klen = strlen(key);
    char *kv = xasprintf("%s=%s", key, value);

    if (!json_is_array(env)) {
        env = json_array();
        json_object_set_new(cfg, "Env", env);
    }
    json_array_foreach (env, i, e) {
        const char *s = json_string_value(e);
        if (s && strncmp(s, key, klen) == 0 && s[klen] == '=') {
            json_array_set_new(env, i, json_string(kv));
            free(kv);
            return;
        }
    }
    json_array_append_new(env, json_string(kv));
    free(kv);
}

/* "K=V K2=V2" pairs (no quoting), into an object or (env) the Env list. */
static int pairs(json_t *cfg, const char *field, const char *rest, hull_error *err)
{
    _cleanup_free_ char *copy = xstrdup(rest);
    char *save = NULL;
    json_t *obj = NULL;

    if (field) {
        obj = json_object_get(cfg, field);
        if (!json_is_object(obj)) {
            obj = json_object();
            json_object_set_new(cfg, field, obj);
        }
    }
    if (strchr(rest, '=') == NULL || (strchr(rest, ' ') && strchr(rest, ' ') < strchr(rest, '='))) {
        /* "ENV KEY value with spaces" */
        const char *sp = strchr(rest, ' ');
        _cleanup_free_ char *key = NULL;
        if (sp == NULL)
            return hull_error_msg(err, EINVAL, "expected KEY=VALUE or KEY VALUE: %.100s", rest);
        key = strndup(rest, (size_t)(sp - rest));
        while (*sp == ' ')
            sp++;
        if (obj)
            json_object_set_new(obj, key, json_string(sp));
        else
            env_set(cfg, key, sp);
        return 0;
    }
    for (char *p = strtok_r(copy, " \t", &save); p; p = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(p, '=');
        if (eq == NULL || eq == p)
            return hull_error_msg(err, EINVAL, "expected KEY=VALUE: %.100s", p);
        *eq = '\0';
        if (obj)
            json_object_set_new(obj, p, json_string(eq + 1));
        else
            env_set(cfg, p, eq + 1);
    }
    return 0;
}

static int set_keys(json_t *cfg, const char *field, const char *rest, bool port, hull_error *err)
{
    json_t *obj = json_object_get(cfg, field), *list = NULL, *e;
    _cleanup_free_ char *copy = xstrdup(rest);
    char *save = NULL;
    size_t i;

    if (!json_is_object(obj)) {
        obj = json_object();
        json_object_set_new(cfg, field, obj);
    }
    if (*rest == '[') {
        list = exec_form(rest, field, err);
        if (list == NULL)
            return -1;
        json_array_foreach (list, i, e)
            json_object_set_new(obj, json_string_value(e), json_object());
        json_decref(list);
        return 0;
    }
    for (char *p = strtok_r(copy, " \t", &save); p; p = strtok_r(NULL, " \t", &save)) {
        _cleanup_free_ char *key = port && !strchr(p, '/') ? xasprintf("%s/tcp", p) : xstrdup(p);
        json_object_set_new(obj, key, json_object());
    }
    return 0;
}

static int apply_change(json_t *cfg, const char *change, hull_error *err)
{
    char word[16] = {0};
    const char *rest;
    size_t n = 0;
    json_t *v;

    while (change[n] && !isspace((unsigned char)change[n]) && n < sizeof(word) - 1) {
        word[n] = (char)toupper((unsigned char)change[n]);
        n++;
    }
    rest = change + n;
    while (isspace((unsigned char)*rest))
        rest++;
    if (*rest == '\0')
        return hull_error_msg(err, EINVAL, "change \"%.100s\": missing value", change);
    if (strcmp(word, "CMD") == 0 || strcmp(word, "ENTRYPOINT") == 0) {
        v = exec_form(rest, word, err);
        if (v == NULL)
            return -1;
        json_object_set_new(cfg, strcmp(word, "CMD") == 0 ? "Cmd" : "Entrypoint", v);
    } else if (strcmp(word, "ENV") == 0) {
        return pairs(cfg, NULL, rest, err);
    } else if (strcmp(word, "LABEL") == 0) {
        return pairs(cfg, "Labels", rest, err);
    } else if (strcmp(word, "WORKDIR") == 0) {
        json_object_set_new(cfg, "WorkingDir", json_string(rest));
    } else if (strcmp(word, "USER") == 0) {
        json_object_set_new(cfg, "User", json_string(rest));
    } else if (strcmp(word, "STOPSIGNAL") == 0) {
        json_object_set_new(cfg, "StopSignal", json_string(rest));
    } else if (strcmp(word, "EXPOSE") == 0) {
        return set_keys(cfg, "ExposedPorts", rest, true, err);
    } else if (strcmp(word, "VOLUME") == 0) {
        return set_keys(cfg, "Volumes", rest, false, err);
    } else {
        return hull_error_msg(err, EINVAL,
                              "change \"%.100s\": unsupported instruction (CMD, "
                              "ENTRYPOINT, ENV, LABEL, WORKDIR, USER, STOPSIGNAL, EXPOSE, VOLUME)",
                              change);
    }
    return 0;
}

/* ---- the layer blob ------------------------------------------------------------------- */

static int layer_from_path(struct hull_image_store *s, const char *path,
                           const struct hull_image_import_opts *opts, char digest[HULL_DIGEST_BUF],
                           hull_error *err)
{
    _cleanup_close_ int fd = -1, tmp = -1;
    struct stat st;

    if (strcmp(path, "-") == 0)
        return hull_image_blob_put_fd(s, STDIN_FILENO, NULL, -1, digest, err);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        return hull_error_set(err, errno, "open %s", path);
    if (!S_ISDIR(st.st_mode))
        return hull_image_blob_put_fd(s, fd, NULL, -1, digest, err);
    /* A directory: tar it (gzip) into an unnamed temp file first; its digest is
     * only known at the end. */
    {
        struct hull_image_tar_opts t = opts->tar;
        t.gzip = true;
        tmp = open(s->tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (tmp < 0)
            return hull_error_set(err, errno, "create a temp file in %s", s->tmp_dir);
        if (hull_image_tar_dir(fd, tmp, &t, err) < 0)
            return hull_error_prefix(err, "%s", path);
        if (lseek(tmp, 0, SEEK_SET) < 0)
            return hull_error_set(err, errno, "rewind");
        return hull_image_blob_put_fd(s, tmp, NULL, -1, digest, err);
    }
}

static json_t *make_config(const struct hull_image_import_opts *opts, const char *diff_id,
                           const char *path, hull_error *err)
{
    const struct hull_image *base = opts->base;
    struct hull_image_platform pl = {0};
    _cleanup_free_ char *created = image_time_string(opts->created);
    _cleanup_free_ char *by = NULL;
    json_t *root, *cfg, *rootfs, *hist, *h;

    root = base ? json_deep_copy(base->config->raw) : json_object();
    cfg = base && base->config->config ? json_deep_copy(base->config->config) : json_object();
    for (char **c = opts->changes; c && *c; c++)
        if (apply_change(cfg, *c, err) < 0) {
            json_decref(cfg);
            json_decref(root);
            return NULL;
        }
    json_object_set_new(root, "config", cfg);
    json_object_set_new(root, "created", json_string(created));
    if (base == NULL || opts->platform) {
        if (hull_image_platform_parse(opts->platform, &pl, err) < 0) {
            json_decref(root);
            return NULL;
        }
        json_object_set_new(root, "os", json_string(pl.os));
        json_object_set_new(root, "architecture", json_string(pl.architecture));
        if (pl.variant)
            json_object_set_new(root, "variant", json_string(pl.variant));
        else
            json_object_del(root, "variant");
        hull_image_platform_clear(&pl);
    }
    rootfs = json_object_get(root, "rootfs");
    if (!json_is_object(rootfs)) {
        rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
        json_object_set_new(root, "rootfs", rootfs);
    }
    json_array_append_new(json_object_get(rootfs, "diff_ids"), json_string(diff_id));
    hist = json_object_get(root, "history");
    if (!json_is_array(hist)) {
        hist = json_array();
        json_object_set_new(root, "history", hist);
    }
    if (opts->created_by)
        by = xstrdup(opts->created_by);
    else
        by = xasprintf(
            "hull %s %s", base ? "commit" : "import",
            strcmp(path, "-") == 0 ? "-" : (strrchr(path, '/') ? strrchr(path, '/') + 1 : path));
    if (opts->author)
        json_object_set_new(root, "author", json_string(opts->author));
    h = json_pack("{s:s, s:s}", "created", created, "created_by", by);
    if (opts->message)
        json_object_set_new(h, "comment", json_string(opts->message));
    json_array_append_new(hist, h);
    return root;
}

int hull_image_import(struct hull_image_store *s, const char *path,
                      const struct hull_image_import_opts *opts, struct hull_image **out,
                      hull_error *err)
{
    struct hull_image_import_opts defaults = {.created = -1,
                                              .tar = {.clamp_mtime = -1, .uid = -1, .gid = -1}};
    _cleanup_free_ char *name = NULL, *cfg_text = NULL, *mtext = NULL;
    _cleanup_close_ int gc = -1, blob = -1;
    struct hull_image_manifest m = {0};
    struct hull_image_descriptor *layers = NULL;
    char layer_digest[HULL_DIGEST_BUF], diff_id[HULL_DIGEST_BUF], cfg_digest[HULL_DIGEST_BUF];
    char mdigest[HULL_DIGEST_BUF], parent[HULL_DIGEST_BUF] = "";
    char *names[2] = {NULL, NULL};
    const struct hull_image *base;
    json_t *cfg = NULL;
    int64_t size;
    size_t nb;
    int r = -1;

    if (opts == NULL)
        opts = &defaults;
    base = opts->base;
    nb = base ? base->manifest->n_layers : 0;
    if (nb + 1 > HULL_IMAGE_MAX_LAYERS)
        return hull_error_msg(err, E2BIG, "image would have more than %d layers",
                              HULL_IMAGE_MAX_LAYERS);
    if (opts->ref) {
        if (image_normalize_name(opts->ref, &name, err) < 0)
            return -1;
        if (strchr(name, '@'))
            return hull_error_msg(err, EINVAL, "cannot name an image with a digest: %s", opts->ref);
    }
    gc = store_lock(s, "gc", LOCK_SH, err);
    if (gc < 0)
        return -1;
    if (layer_from_path(s, path, opts, layer_digest, err) < 0)
        return hull_error_prefix(err, "import %s", path);
    blob = hull_image_blob_open(s, layer_digest, &size, err);
    if (blob < 0)
        return -1;
    layers = xmalloc0((nb + 1) * sizeof(*layers));
    for (size_t i = 0; i < nb; i++)
        layers[i] = base->manifest->layers[i]; /* borrowed */
    layers[nb].media_type = (char *)unpack_sniff_media_type(blob);
    layers[nb].digest = layer_digest;
    layers[nb].size = size;
    if (base) {
        char(*chain)[HULL_DIGEST_BUF] = xmalloc0((nb + 1) * HULL_DIGEST_BUF);
        if (hull_image_ensure_snapshots(s, base, err) < 0) {
            free(chain);
            goto out;
        }
        hull_image_chain_ids(base->config->diff_ids, nb, chain);
        if (nb)
            memcpy(parent, chain[nb - 1], HULL_DIGEST_BUF);
        free(chain);
    }
    /* The layer is checked (and its diff_id learnt) by unpacking it. */
    if (snapshot_ensure(s, &layers[nb], NULL, *parent ? parent : NULL, diff_id, err) < 0)
        goto out;
    cfg = make_config(opts, diff_id, path, err);
    if (cfg == NULL)
        goto out;
    cfg_text = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
    if (store_put_json(s, cfg_text, cfg_digest, err) < 0)
        goto out;
    m.config.media_type = (char *)HULL_MT_OCI_CONFIG;
    m.config.digest = cfg_digest;
    m.config.size = (int64_t)strlen(cfg_text);
    m.layers = layers;
    m.n_layers = nb + 1;
    mtext = hull_image_manifest_to_json(&m);
    if (store_put_json(s, mtext, mdigest, err) < 0)
        goto out;
    names[0] = name;
    if (image_commit(s, mdigest, names, err) < 0)
        goto out;
    close(gc);
    gc = -1;
    r = out ? hull_image_lookup(s, mdigest, out, err) : 0;
out:
    json_decref(cfg);
    free(layers);
    return r;
}

/* ---- commit ----------------------------------------------------------------------------- */

int hull_image_commit_container(struct hull_image_store *s, const char *container_id,
                                const struct hull_image_import_opts *opts, struct hull_image **out,
                                hull_error *err)
{
    _cleanup_free_ char *cdir = NULL, *record_path = NULL, *data = NULL, *upper = NULL, *by = NULL;
    struct hull_image_import_opts o = *opts;
    struct hull_image *base = NULL;
    const char *image, *mode;
    json_t *record = NULL;
    size_t len;
    int r = -1;

    if (strchr(container_id, '/') || container_id[0] == '.' || container_id[0] == '\0')
        return hull_error_msg(err, EINVAL, "invalid container id \"%.140s\"", container_id);
    cdir = xasprintf("%s/%s", s->containers_dir, container_id);
    record_path = xasprintf("%s/rootfs.json", cdir);
    if (hull_read_file(record_path, 1u << 20, &data, &len, err) < 0)
        return hull_error_prefix(err, "container %s has no image root filesystem", container_id);
    record = json_loadb(data, len, 0, NULL);
    image = json_string_value(json_object_get(record, "image"));
    mode = json_string_value(json_object_get(record, "mode"));
    if (image == NULL || mode == NULL) {
        hull_error_msg(err, EINVAL, "container %s: %s: no image or mode", container_id,
                       record_path);
        goto out;
    }
    if (strcmp(mode, "overlay") != 0) {
        hull_error_msg(err, ENOTSUP,
                       "container %s: its root filesystem is a copy (mode %s), not an overlay: "
                       "there is no diff to commit",
                       container_id, mode);
        goto out;
    }
    if (hull_image_lookup(s, image, &base, err) < 0) {
        hull_error_prefix(err, "container %s: its image", container_id);
        goto out;
    }
    upper = xasprintf("%s/upper", cdir);
    by = xasprintf("hull commit %s", container_id);
    o.base = base;
    o.created_by = opts->created_by ? opts->created_by : by;
    /* The upper dir as it is: owners and times kept, whiteouts translated; the
     * mount points of the engine's /etc bind mounts are not the container's
     * changes (docker leaves them out too). */
    static char *const mountpoints[] = {"etc/hosts", "etc/resolv.conf", "etc/hostname", NULL};
    o.tar = (struct hull_image_tar_opts){.overlay_whiteouts = true,
                                         .gzip = true,
                                         .clamp_mtime = -1,
                                         .uid = -1,
                                         .gid = -1,
                                         .skip_empty = mountpoints};
    r = hull_image_import(s, upper, &o, out, err);
    if (r < 0)
        hull_error_prefix(err, "commit container %s", container_id);
out:
    hull_image_free(base);
    json_decref(record);
    return r;
}
