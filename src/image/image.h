/* hull images: a content-addressed store, OCI image-spec 1.1 parsing, secure layer
 * unpacking into read-only snapshots, overlay root filesystems, import/export.
 *
 * On-disk layout under the engine root (hull --root, default /var/lib/hull):
 *
 *   images/blobs/sha256/<hex>     every blob (manifest, config, layer), named by its digest
 *   images/refs.json              image records: manifest digest -> names ("repo:tag")
 *   images/{refs,gc}.lock         flock files (see store.c for the protocol)
 *   images/tmp/                   staging for import/load (removed on failure and by prune)
 *   snapshots/<chainID hex>/fs    one unpacked layer, read-only once renamed into place
 *   containers/<id>/{upper,work}  a container's copy-on-write layer (rootfs.json records it)
 *
 * Everything read from a blob, an archive or a registry is untrusted: digests are
 * verified on every read, sizes are checked, tar entries are resolved inside the
 * snapshot root. Functions return 0 (or a count) on success and -1 with *err set. */
#ifndef HULL_IMAGE_IMAGE_H
#define HULL_IMAGE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "../base/error.h"

/* ---- media types ------------------------------------------------------------------------ */

#define HULL_MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define HULL_MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define HULL_MT_OCI_CONFIG      "application/vnd.oci.image.config.v1+json"
#define HULL_MT_OCI_LAYER       "application/vnd.oci.image.layer.v1.tar"
#define HULL_MT_OCI_LAYER_GZIP  "application/vnd.oci.image.layer.v1.tar+gzip"
#define HULL_MT_OCI_LAYER_ZSTD  "application/vnd.oci.image.layer.v1.tar+zstd"
#define HULL_MT_OCI_EMPTY       "application/vnd.oci.empty.v1+json"
#define HULL_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define HULL_MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define HULL_MT_DOCKER_CONFIG   "application/vnd.docker.container.image.v1+json"
#define HULL_MT_DOCKER_LAYER    "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define HULL_MT_DOCKER_FOREIGN  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* "sha256:" + 64 hex digits + NUL */
#define HULL_DIGEST_BUF 72

/* Limits on untrusted metadata. */
#define HULL_IMAGE_MAX_MANIFEST (4u << 20)
#define HULL_IMAGE_MAX_CONFIG   (16u << 20)
#define HULL_IMAGE_MAX_LAYERS   500 /* overlayfs's own limit on lower layers */

/* ---- digests ---------------------------------------------------------------------------- */

/* Check that `digest` is "sha256:<64 lowercase hex>". Other well-formed algorithms
 * ("sha512:...") are refused as unsupported; malformed ones ("sha256:zz") get a
 * message saying what is wrong. */
int hull_image_digest_validate(const char *digest, hull_error *err);
/* Hash with OpenSSL instead of nettle from now on: for a process that loads
 * libcrypto anyway (hull-registry), where it is a few % faster on layers. */
void hull_image_use_openssl_sha256(void);

/* sha256 of a buffer, as "sha256:<hex>" into out. */
void hull_image_digest_bytes(const void *data, size_t len, char out[HULL_DIGEST_BUF]);

/* ---- references ------------------------------------------------------------------------- */

/* A normalized docker reference: [domain/]path[:tag][@digest]. */
struct hull_image_ref {
    char *domain; /* "docker.io" when none was given */
    char *path;   /* "library/busybox" for official images */
    char *tag;    /* "latest" when neither tag nor digest was given; NULL with a digest only */
    char *digest; /* NULL unless "@sha256:..." was given */
};

/* Parse and normalize `s` with docker's grammar and rules (lowercase repository,
 * name <= 255 characters, tag <= 128, no 64-hex names, index.docker.io -> docker.io).
 * The message names the problem ("invalid reference \"A\": repository name must be
 * lowercase"). *out is freshly allocated. */
int hull_image_ref_parse(const char *s, struct hull_image_ref **out, hull_error *err);
void hull_image_ref_free(struct hull_image_ref *r);
/* "docker.io/library/busybox:latest" (with "@digest" when present). */
char *hull_image_ref_string(const struct hull_image_ref *r);
/* "docker.io/library/busybox" */
char *hull_image_ref_name(const struct hull_image_ref *r);
/* Docker's short form: "busybox:latest", "user/app:1", "quay.io/x/y:2". */
char *hull_image_ref_familiar(const struct hull_image_ref *r);

/* ---- manifests, indexes, configs -------------------------------------------------------- */

struct hull_image_platform {
    char *os, *architecture, *variant, *os_version;
};

struct hull_image_descriptor {
    char *media_type;
    char *digest;
    int64_t size;
    char *artifact_type;
    struct hull_image_platform *platform; /* index entries only; may be NULL */
    json_t *annotations;                  /* owned reference or NULL */
};

struct hull_image_manifest {
    char *media_type;        /* always HULL_MT_OCI_MANIFEST after parsing */
    char *source_media_type; /* what the document said it was (docker schema2...) */
    char *artifact_type;
    struct hull_image_descriptor config;
    struct hull_image_descriptor *layers;
    size_t n_layers;
    struct hull_image_descriptor *subject; /* may be NULL */
    json_t *annotations;
};

struct hull_image_index {
    char *media_type; /* HULL_MT_OCI_INDEX after parsing */
    char *source_media_type;
    struct hull_image_descriptor *manifests;
    size_t n_manifests;
    json_t *annotations;
};

struct hull_image_history {
    char *created, *created_by, *author, *comment;
    bool empty_layer;
};

struct hull_image_config {
    json_t *raw; /* the whole document (owned) */
    char *created, *author;
    char *os, *architecture, *variant;
    json_t *config;  /* the "config" object (borrowed from raw), may be NULL */
    char **diff_ids; /* NULL-terminated */
    size_t n_diff_ids;
    struct hull_image_history *history;
    size_t n_history;
};

enum hull_image_doc_kind { HULL_DOC_MANIFEST = 1, HULL_DOC_INDEX = 2 };

/* Which kind of document `data` is: from `media_type` (a Content-Type or descriptor
 * media type; may be NULL) or else from its "mediaType" field or shape. Docker
 * schema1 and unknown types are errors. */
int hull_image_doc_kind(const char *data, size_t len, const char *media_type,
                        enum hull_image_doc_kind *kind, hull_error *err);

/* Parse an OCI image manifest or a Docker schema2 manifest (converted: OCI media
 * types for the manifest, config and layers). Digests, sizes and media types are
 * validated; `media_type` as for hull_image_doc_kind. */
int hull_image_manifest_parse(const char *data, size_t len, const char *media_type,
                              struct hull_image_manifest **out, hull_error *err);
void hull_image_manifest_free(struct hull_image_manifest *m);
/* The manifest as an OCI JSON document (compact), for storing converted manifests. */
char *hull_image_manifest_to_json(const struct hull_image_manifest *m);

/* Parse an OCI index or a Docker manifest list. */
int hull_image_index_parse(const char *data, size_t len, const char *media_type,
                           struct hull_image_index **out, hull_error *err);
void hull_image_index_free(struct hull_image_index *ix);

/* "os/arch[/variant]"; NULL or "" gives the host's platform (linux/amd64 on x86-64). */
int hull_image_platform_parse(const char *s, struct hull_image_platform *out, hull_error *err);
void hull_image_platform_clear(struct hull_image_platform *p);
/* The index entry matching `want` (variant normalized: arm64 = arm64/v8, arm = arm/v7);
 * entries that are not image manifests (attestations, artifacts) are skipped. */
int hull_image_index_select(const struct hull_image_index *ix,
                            const struct hull_image_platform *want,
                            const struct hull_image_descriptor **out, hull_error *err);

/* Parse an image config (OCI or Docker; both share the fields hull uses). */
int hull_image_config_parse(const char *data, size_t len, struct hull_image_config **out,
                            hull_error *err);
void hull_image_config_free(struct hull_image_config *c);

/* Layer media types hull can unpack (tar, tar+gzip, tar+zstd, and their
 * non-distributable variants). */
bool hull_image_layer_media_type_ok(const char *mt);

/* ChainIDs of the layers: chain[0] = diff_ids[0], chain[i] = sha256(chain[i-1] + " " +
 * diff_ids[i]). `out` holds n entries of HULL_DIGEST_BUF bytes. */
void hull_image_chain_ids(char *const *diff_ids, size_t n, char (*out)[HULL_DIGEST_BUF]);

/* ---- layer unpacking -------------------------------------------------------------------- */

typedef void (*hull_image_warn_fn)(void *data, const char *msg);

enum {
    HULL_UNPACK_ALLOW_DEVICES = 1u
                                << 0,  /* create char/block nodes (else skipped, with a warning) */
    HULL_UNPACK_KEEP_SETUID = 1u << 1, /* keep setuid/setgid bits (else dropped) */
    HULL_UNPACK_SECURITY_XATTRS = 1u << 2, /* keep security.* xattrs (else dropped) */
    HULL_UNPACK_NO_XATTRS = 1u << 3,       /* drop every xattr */
    HULL_UNPACK_NO_WHITEOUTS = 1u << 4,    /* .wh. files are plain files (archives, not layers) */
    HULL_UNPACK_NO_CHOWN = 1u << 5,        /* keep the caller's ownership (staging archives) */
};

struct hull_image_limits {
    uint64_t max_bytes;   /* total uncompressed tar bytes; 0 = default (64 GiB) */
    uint64_t max_entries; /* tar entries; 0 = default (4 Mi) */
    uint64_t max_path;    /* bytes in one entry path; 0 = default (4096) */
};

struct hull_image_unpack_opts {
    unsigned flags;
    struct hull_image_limits limits;
    hull_image_warn_fn warn; /* skipped entries and dropped bits; NULL = silent */
    void *warn_data;
};

struct hull_image_unpack_result {
    char diff_id[HULL_DIGEST_BUF]; /* sha256 of the uncompressed tar */
    char digest[HULL_DIGEST_BUF];  /* sha256 of the bytes read from fd (the blob digest) */
    uint64_t entries, bytes;       /* entries seen, file bytes written */
};

/* Unpack the (plain, gzip or zstd) tar read from `fd` into the directory `root_dirfd`.
 * Every entry is created with *at() calls relative to a parent opened with
 * openat2(RESOLVE_IN_ROOT), so nothing is ever written outside root_dirfd; `..`
 * components are refused. OCI whiteouts become overlay whiteouts (char 0:0) and
 * opaque dirs get trusted.overlay.opaque=y. On failure the message names the entry
 * and the directory holds a partial tree: the caller unpacks into a temp dir. */
int hull_image_unpack_fd(int fd, int root_dirfd, const struct hull_image_unpack_opts *opts,
                         struct hull_image_unpack_result *res, hull_error *err);

/* ---- layer creation (import, commit) ---------------------------------------------------- */

struct hull_image_tar_opts {
    bool overlay_whiteouts; /* upper dir of an overlay: char 0:0 -> .wh.name, opaque -> .wh..wh..opq
                             */
    bool gzip;              /* compress (without a gzip timestamp) */
    int64_t clamp_mtime;    /* >= 0: no entry newer than this (reproducible builds) */
    int64_t uid, gid;       /* >= 0: owner of every entry */
    char *const *skip_empty; /* paths ("etc/hosts") left out when they are empty files:
                                the mount points a runtime made (NULL-terminated) */
};

/* Write the tree under `dirfd` as a layer tar (pax, sorted names, hardlinks kept)
 * to `out_fd`. With overlay_whiteouts, overlay whiteout devices and opaque dirs are
 * written as OCI whiteouts, so an upper dir becomes exactly its diff. */
int hull_image_tar_dir(int dirfd, int out_fd, const struct hull_image_tar_opts *opts,
                       hull_error *err);

/* ---- the store -------------------------------------------------------------------------- */

struct hull_image_store;

struct hull_image_store_opts {
    const char *busybox_oci; /* OCI layout loaded as busybox:latest when that is missing */
    const char *platform;    /* default platform for indexes ("os/arch[/variant]") */
    bool force_copy;         /* root filesystems by copy even where overlay works */
    struct hull_image_unpack_opts unpack;
    hull_image_warn_fn warn; /* notices (fallbacks, auto-loads, skipped entries) */
    void *warn_data;
};

/* Open (creating the directories if needed) the store under `root`. Options are
 * copied. */
int hull_image_store_open(const char *root, const struct hull_image_store_opts *opts,
                          struct hull_image_store **out, hull_error *err);
void hull_image_store_free(struct hull_image_store *s);

/* Blobs. put_* stream the content into a temp file while hashing, verify it against
 * `expected` (digest, may be NULL) and `expected_size` (-1 = any), fsync and link it
 * into place; concurrent writers of the same blob are harmless. */
int hull_image_blob_put_fd(struct hull_image_store *s, int fd, const char *expected,
                           int64_t expected_size, char out[HULL_DIGEST_BUF], hull_error *err);
int hull_image_blob_put_mem(struct hull_image_store *s, const void *data, size_t len,
                            const char *expected, char out[HULL_DIGEST_BUF], hull_error *err);
bool hull_image_blob_exists(struct hull_image_store *s, const char *digest);
/* Open a blob read-only; its size in *size. The content is not verified here:
 * readers hash what they read (hull_image_blob_read, unpack) or call verify. */
int hull_image_blob_open(struct hull_image_store *s, const char *digest, int64_t *size,
                         hull_error *err);
/* Read a whole blob (at most max bytes) and verify its digest. */
int hull_image_blob_read(struct hull_image_store *s, const char *digest, size_t max, char **out,
                         size_t *len, hull_error *err);
/* Re-hash a blob; an error names the blob and both digests. */
int hull_image_blob_verify(struct hull_image_store *s, const char *digest, hull_error *err);

/* An image in the store. */
struct hull_image {
    char *digest; /* manifest digest (the store's key) */
    char *id;     /* config digest (docker's image ID) */
    char **names; /* full references, NULL-terminated, sorted */
    char *added;  /* RFC 3339 time the image entered the store */
    int64_t size; /* unpacked bytes when known, else compressed layer bytes */
    struct hull_image_manifest *manifest;
    struct hull_image_config *config;
};

/* Find an image by reference ("busybox", "repo:tag", "repo@sha256:..."), by ID or
 * manifest digest ("sha256:<hex>"), or by a unique ID prefix (>= 4 hex digits).
 * When docker.io/library/busybox:latest is asked for and missing, it is loaded from
 * the store's busybox_oci layout first. Errors: ENOENT "no such image: X". */
int hull_image_lookup(struct hull_image_store *s, const char *name, struct hull_image **out,
                      hull_error *err);
void hull_image_free(struct hull_image *img);
void hull_image_list_free(struct hull_image **v, size_t n);
/* filter.c: docker's `images --filter KEY=VALUE` (reference=GLOB, dangling=BOOL,
 * label=KEY[=VALUE]) on an image listed under `name` (a full reference, NULL
 * for an untagged image): 1 if it matches, 0 if not, -1 (err set) for a
 * malformed filter; with img NULL it only checks the filter. */
int hull_image_match(const struct hull_image *img, const char *name, const char *filter,
                     hull_error *err);
/* 1 if every filter key matches (values of one key given several times are
 * ORed), 0 if not, -1 if any filter is malformed (img NULL: only check them). */
int hull_image_filter(const struct hull_image *img, const char *name, char **filters,
                      hull_error *err);
/* Every image in the store, newest first. */
int hull_image_list(struct hull_image_store *s, struct hull_image ***out, size_t *n,
                    hull_error *err);

/* Point reference `dst` at the image `src` names (moving it from any other image). */
int hull_image_tag(struct hull_image_store *s, const char *src, const char *dst, hull_error *err);

/* rmi: a reference is untagged; an ID or digest removes the image (refused when it has
 * several names, unless force). Unreferenced blobs and snapshots are then collected.
 * *untagged and *deleted (NULL-terminated, may be NULL) report what happened. */
int hull_image_remove(struct hull_image_store *s, const char *name, bool force, char ***untagged,
                      char ***deleted, hull_error *err);

struct hull_image_prune_report {
    char **deleted_images; /* manifest digests of dangling images removed */
    uint64_t blobs, snapshots, temps, bytes;
};
/* Collect garbage: with dangling, images without a name go first; then every blob
 * and snapshot no image (and no container rootfs) references, and stale temp files.
 * Waits for running imports/loads to finish (they hold the gc lock shared). */
int hull_image_prune(struct hull_image_store *s, bool dangling, struct hull_image_prune_report *rep,
                     hull_error *err);
void hull_image_prune_report_clear(struct hull_image_prune_report *rep);

/* Re-hash every blob of the image and check the config's diff_ids count. */
int hull_image_verify(struct hull_image_store *s, const struct hull_image *img, hull_error *err);

/* docker-style `image inspect` object for one image (new reference). */
json_t *hull_image_inspect_json(struct hull_image_store *s, const struct hull_image *img);

/* Unpack every layer of the image that has no snapshot yet. */
int hull_image_ensure_snapshots(struct hull_image_store *s, const struct hull_image *img,
                                hull_error *err);

/* ---- import / load / save --------------------------------------------------------------- */

struct hull_image_import_opts {
    const char *ref;                /* name to tag the new image with (may be NULL) */
    const struct hull_image *base;  /* the layer goes on top of this image (commit); may be NULL */
    char **changes;                 /* Dockerfile-style: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL,
                                       EXPOSE, VOLUME, STOPSIGNAL (NULL-terminated, may be NULL) */
    const char *message;            /* history comment */
    const char *created_by;         /* history created_by; NULL = "hull import FILE" */
    const char *author;             /* config "author"; NULL = the base's (or none) */
    const char *platform;           /* os/arch[/variant] of the config; NULL = host */
    int64_t created;                /* seconds since the epoch; < 0 = now */
    struct hull_image_tar_opts tar; /* for directories: ownership/mtime of the tar */
};

/* `path` is a rootfs tarball (plain/gzip/zstd), "-" for stdin, or a directory
 * (tarred first). The layer is unpacked (checked) before the image is recorded.
 * With opts->base, the new image is base + this layer, with base's config (plus the
 * changes) and history: `hull commit` passes a container's diff here. */
int hull_image_import(struct hull_image_store *s, const char *path,
                      const struct hull_image_import_opts *opts, struct hull_image **out,
                      hull_error *err);

/* `hull commit`: the container's upper dir (its diff against its image, overlay
 * whiteouts turned into OCI ones) becomes a new layer on top of the image the
 * container was created from (found in its rootfs.json); opts->base is ignored.
 * Refused for containers whose rootfs was copied (no overlay: no diff). The caller
 * pauses a running container first. */
int hull_image_commit_container(struct hull_image_store *s, const char *container_id,
                                const struct hull_image_import_opts *opts, struct hull_image **out,
                                hull_error *err);

/* Load an OCI layout directory, an OCI archive or a `docker save` archive (tar,
 * optionally compressed; "-" = stdin). Every image found is stored and unpacked;
 * *loaded gets "Loaded image: NAME" / "Loaded image ID: ID" lines. */
int hull_image_load(struct hull_image_store *s, const char *path, char ***loaded, hull_error *err);

enum hull_image_save_format { HULL_SAVE_OCI_ARCHIVE = 0, HULL_SAVE_OCI_DIR = 1 };
/* Write the named images as an OCI layout (directory or tar; "-" = stdout). The
 * archive also carries a docker-compatible manifest.json, has fixed mtimes and
 * sorted entries, so the same images always give the same bytes. */
int hull_image_save(struct hull_image_store *s, char *const *names, size_t n, const char *path,
                    enum hull_image_save_format format, hull_error *err);

/* ---- container root filesystems --------------------------------------------------------- */

/* Mount the image's layers (top first) as an overlay on `target_dir`, with a fresh
 * upper and work dir under <root>/containers/<id>/. When overlay cannot be mounted
 * (or force_copy), the layers are copied into the upper dir instead, with a notice,
 * and that dir is bind-mounted on target_dir. <root>/containers/<id>/rootfs.json
 * records the snapshots used, so prune keeps them. With HULL_ROOTFS_EPHEMERAL (a
 * container removed when it exits, `run --rm`) that record is written without
 * fsyncs and the overlay is "volatile" (no sync reaches its upper layer, not even
 * at the unmount): after a power loss such a container is removed, not started
 * again. */
#define HULL_ROOTFS_EPHEMERAL 1u
int hull_image_mount_rootfs(struct hull_image_store *s, const struct hull_image *img,
                            const char *container_id, const char *target_dir, unsigned flags,
                            hull_error *err);
/* Mount a container's root filesystem again on target_dir (after an unmount at
 * exit, or a reboot), as its rootfs.json records it: the same snapshots under
 * its existing upper layer, or its copy. */
int hull_image_remount_rootfs(struct hull_image_store *s, const char *container_id,
                              const char *target_dir, hull_error *err);
/* Unmount target_dir (may be NULL) and, with remove, delete the container's upper,
 * work dir and rootfs.json (never the image's snapshots). */
int hull_image_unmount_rootfs(struct hull_image_store *s, const char *container_id,
                              const char *target_dir, bool remove, hull_error *err);

#endif
