/* Garbage collection (`hull image prune`, and after every rmi).
 *
 * Under gc.lock held exclusively (so no import, load or unpack is between writing
 * content and recording it), the live set is computed from refs.json (each image's
 * manifest, config, layers and snapshot chain; the index it was pulled from and the
 * other platforms' manifests of it that are here, with their blobs) plus the snapshots
 * named in any containers/<id>/rootfs.json; every other blob, snapshot and temp entry
 * goes. If an image's manifest or config cannot be read, nothing is collected: without
 * it we cannot know which blobs it needs, and deleting them would make a repairable
 * store unrepairable. */
#include "internal.h"
#include "../base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void hull_image_prune_report_clear(struct hull_image_prune_report *rep)
{
    if (rep == NULL)
        return;
    hull_strv_free(rep->deleted_images);
    memset(rep, 0, sizeof(*rep));
}

static void live_add(json_t *live, const char *digest)
{
    json_object_set_new(live, digest, json_true());
}

static int live_image(struct hull_image_store *s, const char *digest, json_t *blobs, json_t *snaps,
                      hull_error *err)
{
    struct hull_image *img = NULL;
    size_t n;
    char(*chain)[HULL_DIGEST_BUF];

    live_add(blobs, digest);
    if (image_open_digest(s, digest, NULL, &img, err) < 0)
        return hull_error_prefix(err, "prune: not collecting anything");
    live_add(blobs, img->id);
    n = img->manifest->n_layers;
    chain = xmalloc0((n + 1) * HULL_DIGEST_BUF);
    hull_image_chain_ids(img->config->diff_ids, n, chain);
    for (size_t i = 0; i < n; i++) {
        live_add(blobs, img->manifest->layers[i].digest);
        live_add(snaps, digest_hex(chain[i]));
    }
    if (n > 0) { /* its init layer (initlayer.c), if one was made */
        _cleanup_free_ char *init = initlayer_name(chain[n - 1]);
        live_add(snaps, init);
    }
    free(chain);
    hull_image_free(img);
    return 0;
}

/* The index an image was pulled from (record "index") and, of the manifests it lists,
 * those in the store (--all-platforms) with their configs and layers: blobs only, as
 * they are never unpacked. A missing index or manifest is not an error (only the
 * picked platform is needed); one that is here but unreadable stops the collection,
 * like an image's own manifest. */
static int live_index(struct hull_image_store *s, json_t *rec, json_t *blobs, hull_error *err)
{
    const char *idigest = json_string_value(json_object_get(rec, "index"));
    _cleanup_free_ char *data = NULL;
    struct hull_image_index *ix = NULL;
    size_t len;
    int r = 0;

    if (idigest == NULL || hull_image_digest_validate(idigest, NULL) < 0 ||
        !hull_image_blob_exists(s, idigest))
        return 0;
    live_add(blobs, idigest);
    if (hull_image_blob_read(s, idigest, HULL_IMAGE_MAX_MANIFEST, &data, &len, err) < 0 ||
        hull_image_index_parse(data, len, NULL, &ix, err) < 0)
        return hull_error_prefix(err, "prune: index %s: not collecting anything", idigest);
    for (size_t i = 0; i < ix->n_manifests && r == 0; i++) {
        const struct hull_image_descriptor *d = &ix->manifests[i];
        _cleanup_free_ char *md = NULL;
        struct hull_image_manifest *m = NULL;
        size_t mlen;
        if ((strcmp(d->media_type, HULL_MT_OCI_MANIFEST) != 0 &&
             strcmp(d->media_type, HULL_MT_DOCKER_MANIFEST) != 0) ||
            !hull_image_blob_exists(s, d->digest))
            continue;
        live_add(blobs, d->digest);
        if (hull_image_blob_read(s, d->digest, HULL_IMAGE_MAX_MANIFEST, &md, &mlen, err) < 0 ||
            hull_image_manifest_parse(md, mlen, d->media_type, &m, err) < 0) {
            r = hull_error_prefix(err, "prune: index %s: not collecting anything", idigest);
            break;
        }
        live_add(blobs, m->config.digest);
        for (size_t k = 0; k < m->n_layers; k++)
            live_add(blobs, m->layers[k].digest);
        hull_image_manifest_free(m);
    }
    hull_image_index_free(ix);
    return r;
}

/* Snapshots used by container root filesystems (rootfs.json written by
 * hull_image_mount_rootfs). */
static int live_containers(struct hull_image_store *s, json_t *snaps, hull_error *err)
{
    _cleanup_closedir_ DIR *d = opendir(s->containers_dir);
    struct dirent *de;

    if (d == NULL)
        return errno == ENOENT ? 0 : hull_error_set(err, errno, "open %s", s->containers_dir);
    while ((de = readdir(d)) != NULL) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        json_t *o, *v;
        size_t i, len;
        if (de->d_name[0] == '.')
            continue;
        path = xasprintf("%s/%s/rootfs.json", s->containers_dir, de->d_name);
        if (hull_read_file(path, 1 << 20, &data, &len, NULL) < 0)
            continue;
        o = json_loadb(data, len, 0, NULL);
        json_array_foreach (json_object_get(o, "snapshots"), i, v) {
            if (json_is_string(v) && hull_image_digest_validate(json_string_value(v), NULL) == 0)
                live_add(snaps, digest_hex(json_string_value(v)));
        }
        if (json_is_string(json_object_get(o, "init")))
            live_add(snaps, json_string_value(json_object_get(o, "init")));
        json_decref(o);
    }
    return 0;
}

/* A snapshot's unpacked size, as snapshot_ensure recorded it. */
static uint64_t tree_bytes(const char *path)
{
    _cleanup_free_ char *p = xasprintf("%s/size", path), *data = NULL;
    unsigned long long v = 0;
    if (hull_read_file(p, 32, &data, NULL, NULL) < 0 || hull_parse_u64(data, &v) < 0)
        return 0;
    return v;
}

static int sweep_blobs(struct hull_image_store *s, json_t *live,
                       struct hull_image_prune_report *rep, hull_error *err)
{
    _cleanup_close_ int fd = openat(s->blobs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;

    if (fd < 0)
        return hull_error_set(err, errno, "open %s", s->blobs_dir);
    d = fdopendir(fd);
    if (d == NULL)
        return hull_error_set(err, errno, "open %s", s->blobs_dir);
    fd = -1;
    while ((de = readdir(d)) != NULL) {
        _cleanup_free_ char *digest = NULL;
        struct stat st;
        if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || de->d_name[1] == '.'))
            continue;
        digest = xasprintf("sha256:%s", de->d_name);
        if (hull_str_has_prefix(de->d_name, ".tmp-")) {
            if (unlinkat(dirfd(d), de->d_name, 0) == 0)
                rep->temps++;
            continue;
        }
        if (json_object_get(live, digest))
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) < 0)
            return hull_error_set(err, errno, "remove blob %s", digest);
        rep->blobs++;
        rep->bytes += (uint64_t)st.st_size;
    }
    return 0;
}

static int sweep_dir(const char *dir, json_t *live, bool snapshots,
                     struct hull_image_prune_report *rep, hull_error *err)
{
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_strv_ char **names = NULL;
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;

    if (fd < 0)
        return errno == ENOENT ? 0 : hull_error_set(err, errno, "open %s", dir);
    d = opendir(dir);
    if (d == NULL)
        return hull_error_set(err, errno, "open %s", dir);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            strv_push(&names, xstrdup(de->d_name));
    for (char **n = names; n && *n; n++) {
        bool temp = strstr(*n, ".tmp-") != NULL;
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, *n);
        uint64_t bytes;
        if (snapshots && !temp && json_object_get(live, *n))
            continue;
        bytes = snapshots ? tree_bytes(path) : 0;
        if (fs_rm_at(fd, *n, err) < 0)
            return -1;
        if (temp || !snapshots) {
            rep->temps++;
        } else {
            rep->snapshots++;
            rep->bytes += bytes;
        }
    }
    return 0;
}

int hull_image_prune(struct hull_image_store *s, bool dangling, struct hull_image_prune_report *rep,
                     hull_error *err)
{
    _cleanup_close_ int gc = -1;
    json_t *refs = NULL, *rec, *blobs = json_object(), *snaps = json_object();
    const char *digest;
    void *tmp;
    int r = -1;

    memset(rep, 0, sizeof(*rep));
    gc = store_lock(s, "gc", LOCK_EX, err);
    if (gc < 0)
        goto out;
    if (dangling) {
        _cleanup_close_ int lock = store_lock(s, "refs", LOCK_EX, err);
        if (lock < 0 || refs_load(s, &refs, err) < 0)
            goto out;
        json_object_foreach_safe(json_object_get(refs, "images"), tmp, digest, rec)
        {
            if (json_array_size(json_object_get(rec, "names")) == 0) {
                strv_push(&rep->deleted_images, xstrdup(digest));
                json_object_del(json_object_get(refs, "images"), digest);
            }
        }
        if (rep->deleted_images && refs_save(s, refs, err) < 0)
            goto out;
    } else if (refs_load(s, &refs, err) < 0) {
        goto out;
    }
    json_object_foreach (json_object_get(refs, "images"), digest, rec) {
        if (live_image(s, digest, blobs, snaps, err) < 0 || live_index(s, rec, blobs, err) < 0)
            goto out;
    }
    if (live_containers(s, snaps, err) < 0 || sweep_blobs(s, blobs, rep, err) < 0 ||
        sweep_dir(s->snapshots_dir, snaps, true, rep, err) < 0 ||
        sweep_dir(s->tmp_dir, NULL, false, rep, err) < 0)
        goto out;
    r = 0;
out:
    json_decref(refs);
    json_decref(blobs);
    json_decref(snaps);
    return r;
}
