/* Private helpers shared by the files of src/image. */
#ifndef HULL_IMAGE_INTERNAL_H
#define HULL_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image.h"
#include "../base/json.h"
#include "../base/util.h"

struct hull_image_store {
    char *root;           /* engine root */
    char *images_dir;     /* <root>/images */
    char *blobs_dir;      /* <root>/images/blobs/sha256 */
    char *snapshots_dir;  /* <root>/snapshots */
    char *containers_dir; /* <root>/containers */
    char *tmp_dir;        /* <root>/images/tmp */
    int blobs_fd;         /* O_PATH fd of blobs_dir */
    char *busybox_oci;
    char *platform;
    bool force_copy;
    bool seeding; /* loading the embedded busybox: no recursion */
    struct hull_image_unpack_opts unpack;
    hull_image_warn_fn warn;
    void *warn_data;
};

/* Notices go through the store's callback (cmd/ prints them). */
void image_warn(struct hull_image_store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- digest.c --------------------------------------------------------------------------- */

struct image_sha256;
/* A sha256 implementation (digest.c: nettle by default). */
struct image_sha256_impl {
    void *(*new_ctx)(void);
    void (*update)(void *ctx, const void *data, size_t len);
    void (*final)(void *ctx, unsigned char md[32]);
    void (*free_ctx)(void *ctx);
};
void image_sha256_set_impl(const struct image_sha256_impl *impl);
struct image_sha256 *image_sha256_new(void);
void image_sha256_update(struct image_sha256 *h, const void *data, size_t len);
/* Writes "sha256:<hex>" and frees h. */
void image_sha256_final(struct image_sha256 *h, char out[HULL_DIGEST_BUF]);
void image_sha256_free(struct image_sha256 *h);
/* The hex part of a validated digest. */
static inline const char *digest_hex(const char *digest)
{
    return digest + 7;
}

/* ---- store.c: locks and records --------------------------------------------------------- */

/* flock() `images/<name>.lock` with op (LOCK_SH/LOCK_EX); returns the fd holding it. */
int store_lock(struct hull_image_store *s, const char *name, int op, hull_error *err);

/* refs.json: {"version":1,"images":{"<manifest digest>":{"added":T,"names":[...]}}} */
int refs_load(struct hull_image_store *s, json_t **out, hull_error *err);
int refs_save(struct hull_image_store *s, json_t *refs, hull_error *err);
/* Remove `name` from every record (caller holds the refs lock). */
void refs_drop_name(json_t *refs, const char *name);
/* Record `digest` (adding it if new) and move `name` (may be NULL) onto it. Takes
 * the refs lock. */
int refs_add(struct hull_image_store *s, const char *digest, const char *name, hull_error *err);

/* Remember which index an image came from (its record's "index"); no record, no-op. */
int refs_set_index(struct hull_image_store *s, const char *mdigest, const char *idigest,
                   hull_error *err);
/* The index the image `mdigest` came from, when it and everything it lists (every
 * manifest, config and distributable layer) is in the store: 1 with the index's
 * bytes, media type, digest and parsed form set; else 0. */
int image_full_index(struct hull_image_store *s, const char *mdigest, char **data, size_t *len,
                     char **media_type, char digest[HULL_DIGEST_BUF], struct hull_image_index **ix);

/* Read the manifest and config of a stored image into a struct hull_image. */
int image_open_digest(struct hull_image_store *s, const char *digest, json_t *record,
                      struct hull_image **out, hull_error *err);

/* Normalize a user-given name to the full "domain/path:tag" key (or with @digest). */
int image_normalize_name(const char *name, char **out, hull_error *err);

/* Now as RFC 3339 (UTC, seconds), or `t` when t >= 0. */
char *image_time_string(int64_t t);

/* ---- blob.c ----------------------------------------------------------------------------- */

/* Streaming blob writer (registry pulls, archive loads). */
struct blob_writer;
int blob_writer_new(struct hull_image_store *s, struct blob_writer **out, hull_error *err);
int blob_writer_write(struct blob_writer *w, const void *data, size_t len, hull_error *err);
/* Writes are gathered into 256 KiB; flush writes out the rest (commit does too). */
int blob_writer_flush(struct blob_writer *w, hull_error *err);
/* Verify and publish; frees w in all cases. */
int blob_writer_commit(struct blob_writer *w, const char *expected, int64_t expected_size,
                       char out[HULL_DIGEST_BUF], hull_error *err);
void blob_writer_abort(struct blob_writer *w);
/* The size the blob will have (from its descriptor): lets the writer allocate the
 * file's blocks ahead of the bytes (fs_prealloc_ahead). */
void blob_writer_expect(struct blob_writer *w, int64_t size);

/* A reader of a blob while it is written (a pull unpacks a layer as it downloads):
 * blob_follow_read (an unpack_read_fn) waits for bytes until blob_follow_end says
 * the writer is done (then 0 = end) or gave up (then -1, ECANCELED). The follow
 * outlives the writer; whoever made it ends and frees it. Readers of a follow do
 * not get verified bytes: what they make must wait for blob_writer_commit. */
struct blob_follow;
struct blob_follow *blob_writer_follow(struct blob_writer *w, hull_error *err);
void blob_follow_end(struct blob_follow *f, bool complete);
ssize_t blob_follow_read(void *data, void *buf, size_t len);
void blob_follow_free(struct blob_follow *f);

/* Store manifest/config bytes and read them back as a parsed image. */
int store_put_json(struct hull_image_store *s, const char *json, char out[HULL_DIGEST_BUF],
                   hull_error *err);

/* ---- initlayer.c ------------------------------------------------------------------------ */

/* The init layer of the stack `lowers` (n layers, top first, the top one's chain id
 * top_chain): the mount targets the image lacks (initlayer.c). *path_out is its fs
 * directory, or NULL when the image has them all. */
int initlayer_ensure(struct hull_image_store *s, const char *top_chain, char **lowers, size_t n,
                     char **path_out, hull_error *err);
/* snapshots/<name> of a stack's init layer: INITLAYER_PREFIX + the hex of its
 * top chain id (initlayer_name). */
#define INITLAYER_PREFIX "init-"
char *initlayer_name(const char *top_chain);

/* ---- fsutil.c --------------------------------------------------------------------------- */

/* Remove `name` (a tree or not) under dirfd without following symlinks. */
int fs_rm_at(int dirfd, const char *name, hull_error *err);
/* Remove everything inside the directory dirfd. */
int fs_empty_dir(int dirfd, hull_error *err);
/* Copy xattrs from src to dst (both fds of files opened for reading or O_PATH via
 * /proc/self/fd), skipping trusted.overlay.*. Unsupported xattrs are ignored. */
int fs_copy_xattrs(int srcfd, int dstfd, bool symlink, hull_error *err);
/* Merge the layer tree srcfd into dstfd: overlay whiteouts delete, opaque dirs are
 * emptied first, everything else is copied with owner, mode, times and xattrs. */
int fs_apply_layer(int srcfd, int dstfd, hull_error *err);
/* True when the char device is an overlay whiteout (0:0). */
bool fs_is_whiteout(mode_t mode, dev_t rdev);
/* Blocks allocated ahead of sequential writes to a new file (fallocate KEEP_SIZE):
 * on ext4 a write into allocated blocks costs about a third less CPU than delayed
 * allocation page by page. At most FS_PREALLOC_STEP beyond the bytes written so far
 * and never past `limit` (the size the file will have), so a size claimed by
 * untrusted input is never allocated before its bytes arrive. Filesystems without
 * fallocate just skip it. */
struct fs_prealloc {
    off_t end; /* allocated up to here */
    bool off;  /* not supported: stop trying */
};
void fs_prealloc_ahead(struct fs_prealloc *p, int fd, off_t pos, size_t len, off_t limit);

/* ---- snapshot.c ------------------------------------------------------------------------- */

/* <root>/snapshots/<hex of chain_id> */
char *snapshot_dir(struct hull_image_store *s, const char *chain_id);
/* Unpack `layer` into the snapshot of chain (parent_chain, diff_id) unless it exists.
 * diff_id may be NULL (import, commit): it is then computed, the snapshot named after
 * it and it is returned in diff_out. */
int snapshot_ensure(struct hull_image_store *s, const struct hull_image_descriptor *layer,
                    const char *diff_id, const char *parent_chain, char diff_out[HULL_DIGEST_BUF],
                    hull_error *err);
/* Unpack `layer` into a temp snapshot in a new thread, reading from f while the
 * blob downloads. *out stays NULL when the snapshot exists already. finish waits
 * for the thread (the follow must be ended first) and, when blob_ok (the blob's
 * digest and size matched), checks the diff_id and renames the snapshot into
 * place; otherwise, or on any error, nothing of it remains. */
struct snapshot_stream;
int snapshot_stream_start(struct hull_image_store *s, const struct hull_image_descriptor *layer,
                          const char *diff_id, const char *parent_chain, struct blob_follow *f,
                          struct snapshot_stream **out, hull_error *err);
int snapshot_stream_finish(struct snapshot_stream *st, bool blob_ok, hull_error *err);
/* chain = parent ? sha256(parent + " " + diff_id) : diff_id */
void chain_next(const char *parent, const char *diff_id, char out[HULL_DIGEST_BUF]);

/* ---- unpack.c --------------------------------------------------------------------------- */

/* Reads up to len bytes of input; 0 at the end, -1 with errno set on failure. */
typedef ssize_t (*unpack_read_fn)(void *data, void *buf, size_t len);
/* hull_image_unpack_fd with any input. Without hash_input, res->digest is "" (the
 * caller hashes the input itself). */
int unpack_stream(unpack_read_fn rd, void *rd_data, bool hash_input, int root_dirfd,
                  const struct hull_image_unpack_opts *opts, struct hull_image_unpack_result *res,
                  hull_error *err);
/* Detect a layer's compression from its first bytes: the OCI layer media type. */
const char *unpack_sniff_media_type(int fd);

/* ---- layout.c / import.c ---------------------------------------------------------------- */

/* Load the image(s) of an OCI layout dir or docker-save dir at dirfd. */
int layout_load_dir(struct hull_image_store *s, int dirfd, const char *what, char ***loaded,
                    hull_error *err);
/* Make an image from a manifest + config already in the store: unpack, then record
 * under each of `names` (NULL-terminated; NULL or empty = no name). */
int image_commit(struct hull_image_store *s, const char *manifest_digest, char **names,
                 hull_error *err);

/* strv helpers */
void strv_push(char ***v, char *s);

#endif
