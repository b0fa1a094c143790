/* Content-addressed blobs: images/blobs/sha256/<hex>.
 *
 * Writing: the bytes go into an unnamed O_TMPFILE in the blobs directory while
 * they are hashed; only when the digest (and size) match what was expected is the
 * file fsync'ed, made read-only and linked under its name. A blob therefore never
 * appears under its name half-written or with the wrong content, a kill -9 leaves
 * no temp file, and two processes writing the same blob race harmlessly: linkat()
 * fails with EEXIST for the second, whose identical copy just disappears. Where
 * O_TMPFILE is not supported a named ".tmp-" file is renamed into place instead
 * (prune removes such leftovers).
 *
 * Reading: blobs are addressed by validated digests only (no path ever comes from
 * a document), opened O_NOFOLLOW, and hashed by whoever reads them. */
#include "internal.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOB_BUF (256u << 10)
/* Write-back is started every this many bytes, so the fsync before a blob is
 * published waits only for the last stretch (see write_out). */
#define WRITEBACK_STEP (4u << 20)

struct blob_follow {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int fd;        /* the reader's own dup of the writer's fd */
    uint64_t size; /* bytes written so far (under lock) */
    uint64_t off;  /* bytes read (reader only) */
    int state;     /* 0 growing, 1 complete, -1 abandoned (under lock) */
};

struct blob_writer {
    struct hull_image_store *s;
    struct blob_follow *follow;
    int fd;
    char *tmp_name; /* named fallback only */
    struct image_sha256 *h;
    uint64_t size;    /* bytes taken (hashed): written or buffered */
    uint64_t written; /* bytes in the file */
    uint64_t flushed; /* bytes whose write-back was started */
    int64_t expect;   /* the size the blob will have, or 0: unknown */
    struct fs_prealloc prealloc;
    char *buf; /* small network reads gathered into BLOB_BUF-sized writes */
    size_t buffered;
};

int blob_writer_new(struct hull_image_store *s, struct blob_writer **out, hull_error *err)
{
    struct blob_writer *w = xmalloc0(sizeof(*w));
    w->s = s;
    w->fd = openat(s->blobs_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (w->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        w->tmp_name = xasprintf(".tmp-%d-%lx", getpid(), (unsigned long)random());
        w->fd = openat(s->blobs_fd, w->tmp_name, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC,
                       0600);
    }
    if (w->fd < 0) {
        int e = errno;
        free(w->tmp_name);
        free(w);
        hull_error_set(err, e, "create a blob in %s", s->blobs_dir);
        return -1;
    }
    w->h = image_sha256_new();
    *out = w;
    return 0;
}

/* Write bytes out and tell a follower they are there.
 *
 * Durability is still the fsync in blob_writer_commit, before the blob gets its
 * name; but a large blob's write-back is started here as it grows
 * (sync_file_range WRITE: start, do not wait), so that fsync finds most pages
 * clean or already in flight, and the disk works while the rest downloads instead
 * of after it. A failure here is harmless (the fsync writes everything). */
static int write_out(struct blob_writer *w, const void *data, size_t len, hull_error *err)
{
    if (w->expect > 0)
        fs_prealloc_ahead(&w->prealloc, w->fd, (off_t)w->written, len, (off_t)w->expect);
    if (hull_write_all(w->fd, data, len) < 0)
        return hull_error_set(err, errno, "write a blob in %s", w->s->blobs_dir);
    w->written += len;
    if (w->written - w->flushed >= WRITEBACK_STEP) {
        (void)sync_file_range(w->fd, (off64_t)w->flushed, (off64_t)(w->written - w->flushed),
                              SYNC_FILE_RANGE_WRITE);
        w->flushed = w->written;
    }
    if (w->follow) {
        pthread_mutex_lock(&w->follow->lock);
        w->follow->size = w->written;
        pthread_cond_broadcast(&w->follow->cond);
        pthread_mutex_unlock(&w->follow->lock);
    }
    return 0;
}

void blob_writer_expect(struct blob_writer *w, int64_t size)
{
    w->expect = size > 0 ? size : 0;
}

int blob_writer_flush(struct blob_writer *w, hull_error *err)
{
    size_t n = w->buffered;
    w->buffered = 0;
    return n ? write_out(w, w->buf, n, err) : 0;
}

int blob_writer_write(struct blob_writer *w, const void *data, size_t len, hull_error *err)
{
    image_sha256_update(w->h, data, len);
    w->size += len;
    if (w->buffered + len > BLOB_BUF && blob_writer_flush(w, err) < 0)
        return -1;
    if (len >= BLOB_BUF)
        return write_out(w, data, len, err);
    if (w->buf == NULL)
        w->buf = xmalloc0(BLOB_BUF);
    memcpy(w->buf + w->buffered, data, len);
    w->buffered += len;
    return 0;
}

struct blob_follow *blob_writer_follow(struct blob_writer *w, hull_error *err)
{
    struct blob_follow *f;
    int fd = fcntl(w->fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
        hull_error_set(err, errno, "dup a blob fd in %s", w->s->blobs_dir);
        return NULL;
    }
    f = xmalloc0(sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->fd = fd;
    f->size = w->written;
    w->follow = f;
    return f;
}

void blob_follow_end(struct blob_follow *f, bool complete)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->lock);
    if (f->state == 0)
        f->state = complete ? 1 : -1;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

ssize_t blob_follow_read(void *data, void *buf, size_t len)
{
    struct blob_follow *f = data;
    uint64_t avail;
    int state;
    ssize_t n;

    pthread_mutex_lock(&f->lock);
    while (f->off >= f->size && f->state == 0)
        pthread_cond_wait(&f->cond, &f->lock);
    avail = f->size - f->off;
    state = f->state;
    pthread_mutex_unlock(&f->lock);
    if (avail == 0) {
        if (state > 0)
            return 0;
        errno = ECANCELED;
        return -1;
    }
    do
        n = pread(f->fd, buf, len < avail ? len : (size_t)avail, (off_t)f->off);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        f->off += (uint64_t)n;
    return n;
}

void blob_follow_free(struct blob_follow *f)
{
    if (f == NULL)
        return;
    close(f->fd);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->cond);
    free(f);
}

void blob_writer_abort(struct blob_writer *w)
{
    if (w == NULL)
        return;
    if (w->tmp_name)
        unlinkat(w->s->blobs_fd, w->tmp_name, 0);
    if (w->fd >= 0)
        close(w->fd);
    image_sha256_free(w->h);
    free(w->tmp_name);
    free(w->buf);
    free(w);
}

int blob_writer_commit(struct blob_writer *w, const char *expected, int64_t expected_size,
                       char out[HULL_DIGEST_BUF], hull_error *err)
{
    char digest[HULL_DIGEST_BUF], proc[32];
    int r = -1;

    if (blob_writer_flush(w, err) < 0)
        goto out;
    image_sha256_final(w->h, digest);
    w->h = NULL;
    if (expected_size >= 0 && (uint64_t)expected_size != w->size) {
        hull_error_msg(err, EIO, "blob %s: size %llu does not match the expected %lld",
                       expected ? expected : digest, (unsigned long long)w->size,
                       (long long)expected_size);
        goto out;
    }
    if (expected && strcmp(expected, digest) != 0) {
        hull_error_msg(err, EIO, "blob %s: content digest is %s (corrupt or tampered)", expected,
                       digest);
        goto out;
    }
    if (fchmod(w->fd, 0444) < 0 || fsync(w->fd) < 0) {
        hull_error_set(err, errno, "blob %s: sync", digest);
        goto out;
    }
    if (w->tmp_name) {
        if (renameat(w->s->blobs_fd, w->tmp_name, w->s->blobs_fd, digest_hex(digest)) < 0) {
            hull_error_set(err, errno, "blob %s: rename into place", digest);
            goto out;
        }
        free(w->tmp_name);
        w->tmp_name = NULL;
    } else if (linkat(AT_FDCWD, hull_fd_path(w->fd, proc), w->s->blobs_fd, digest_hex(digest),
                      AT_SYMLINK_FOLLOW) < 0 &&
               errno != EEXIST) {
        hull_error_set(err, errno, "blob %s: link into place", digest);
        goto out;
    }
    /* The directory entry must be durable before a ref can point at it. */
    {
        int d = openat(w->s->blobs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d >= 0) {
            (void)fsync(d);
            close(d);
        }
    }
    if (out)
        memcpy(out, digest, HULL_DIGEST_BUF);
    r = 0;
out:
    blob_writer_abort(w);
    return r;
}

int hull_image_blob_put_fd(struct hull_image_store *s, int fd, const char *expected,
                           int64_t expected_size, char out[HULL_DIGEST_BUF], hull_error *err)
{
    _cleanup_free_ char *buf = NULL;
    struct blob_writer *w = NULL;

    if (expected && hull_image_digest_validate(expected, err) < 0)
        return -1;
    if (blob_writer_new(s, &w, err) < 0)
        return -1;
    blob_writer_expect(w, expected_size);
    buf = xmalloc0(BLOB_BUF);
    for (;;) {
        ssize_t n = read(fd, buf, BLOB_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            blob_writer_abort(w);
            return hull_error_set(err, e, "read blob content");
        }
        if (n == 0)
            break;
        if (expected_size >= 0 && w->size + (uint64_t)n > (uint64_t)expected_size) {
            blob_writer_abort(w);
            return hull_error_msg(err, EIO, "blob %s: more than the expected %lld bytes",
                                  expected ? expected : "(new)", (long long)expected_size);
        }
        if (blob_writer_write(w, buf, (size_t)n, err) < 0) {
            blob_writer_abort(w);
            return -1;
        }
    }
    return blob_writer_commit(w, expected, expected_size, out, err);
}

int hull_image_blob_put_mem(struct hull_image_store *s, const void *data, size_t len,
                            const char *expected, char out[HULL_DIGEST_BUF], hull_error *err)
{
    char digest[HULL_DIGEST_BUF];
    struct blob_writer *w = NULL;

    if (expected && hull_image_digest_validate(expected, err) < 0)
        return -1;
    /* Small documents are written again and again (every load of the same image):
     * skip the write when the blob is already there. */
    hull_image_digest_bytes(data, len, digest);
    if (expected && strcmp(expected, digest) != 0)
        return hull_error_msg(err, EIO, "blob %s: content digest is %s", expected, digest);
    if (hull_image_blob_exists(s, digest)) {
        if (out)
            memcpy(out, digest, HULL_DIGEST_BUF);
        return 0;
    }
    if (blob_writer_new(s, &w, err) < 0)
        return -1;
    if (blob_writer_write(w, data, len, err) < 0) {
        blob_writer_abort(w);
        return -1;
    }
    return blob_writer_commit(w, digest, (int64_t)len, out, err);
}

int store_put_json(struct hull_image_store *s, const char *json, char out[HULL_DIGEST_BUF],
                   hull_error *err)
{
    return hull_image_blob_put_mem(s, json, strlen(json), NULL, out, err);
}

bool hull_image_blob_exists(struct hull_image_store *s, const char *digest)
{
    struct stat st;
    if (hull_image_digest_validate(digest, NULL) < 0)
        return false;
    return fstatat(s->blobs_fd, digest_hex(digest), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(st.st_mode);
}

int hull_image_blob_open(struct hull_image_store *s, const char *digest, int64_t *size,
                         hull_error *err)
{
    struct stat st;
    int fd;

    if (hull_image_digest_validate(digest, err) < 0)
        return -1;
    fd = openat(s->blobs_fd, digest_hex(digest), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            hull_error_msg(err, ENOENT, "blob %s: not in the store", digest);
        else
            hull_error_set(err, errno, "open blob %s", digest);
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        hull_error_msg(err, EIO, "blob %s: not a regular file", digest);
        return -1;
    }
    if (size)
        *size = st.st_size;
    return fd;
}

int hull_image_blob_read(struct hull_image_store *s, const char *digest, size_t max, char **out,
                         size_t *len, hull_error *err)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *data = NULL;
    char got[HULL_DIGEST_BUF];
    int64_t size;
    size_t n;

    fd = hull_image_blob_open(s, digest, &size, err);
    if (fd < 0)
        return -1;
    if ((uint64_t)size > max)
        return hull_error_msg(err, EFBIG, "blob %s: %lld bytes, more than the %zu allowed", digest,
                              (long long)size, max);
    if (hull_read_fd(fd, max, &data, &n, err) < 0)
        return hull_error_prefix(err, "blob %s", digest);
    hull_image_digest_bytes(data, n, got);
    if (strcmp(got, digest) != 0)
        return hull_error_msg(err, EIO, "blob %s: content digest is %s (corrupt or tampered)",
                              digest, got);
    *out = steal_pointer(&data);
    if (len)
        *len = n;
    return 0;
}

int hull_image_blob_verify(struct hull_image_store *s, const char *digest, hull_error *err)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    struct image_sha256 *h;
    char got[HULL_DIGEST_BUF];

    fd = hull_image_blob_open(s, digest, NULL, err);
    if (fd < 0)
        return -1;
    buf = xmalloc0(BLOB_BUF);
    h = image_sha256_new();
    for (;;) {
        ssize_t n = read(fd, buf, BLOB_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            image_sha256_free(h);
            return hull_error_set(err, e, "read blob %s", digest);
        }
        if (n == 0)
            break;
        image_sha256_update(h, buf, (size_t)n);
    }
    image_sha256_final(h, got);
    if (strcmp(got, digest) != 0)
        return hull_error_msg(err, EIO, "blob %s: content digest is %s (corrupt or tampered)",
                              digest, got);
    return 0;
}
