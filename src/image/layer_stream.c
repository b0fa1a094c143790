/* A layer's bytes: input, hashes, decompression, limit (see layer_stream.h). */
#include "layer_stream.h"
#include "gzip.h"
#include "../base/util.h"

#include <errno.h>
#include <string.h>

#define READ_BUF (256u << 10)

/* The input, hashed unless the caller hashes it already. */
static ssize_t input_read_into(void *data, void *buf, size_t len)
{
    struct layer_stream *ls = data;
    ssize_t n = ls->in_read(ls->in_data, buf, len);
    if (n > 0 && ls->outer_h)
        image_sha256_update(ls->outer_h, buf, (size_t)n);
    return n;
}

static ssize_t input_read(struct layer_stream *ls)
{
    return input_read_into(ls, ls->inbuf, READ_BUF);
}

static la_ssize_t outer_read(struct archive *a, void *data, const void **buf)
{
    struct layer_stream *ls = data;
    ssize_t n = ls->first >= 0 ? ls->first : input_read(ls);
    ls->first = -1;
    if (n < 0) {
        archive_set_error(a, errno, "read layer");
        return -1;
    }
    *buf = ls->inbuf;
    return n;
}

/* The uncompressed stream, from ISA-L or libarchive. */
static la_ssize_t decompressed_read(struct layer_stream *ls, void *out, size_t len, int *errnum,
                                    const char **why)
{
    la_ssize_t n;
    if (ls->gz) {
        n = gzip_read(ls->gz, out, len, why);
        *errnum = n < 0 ? errno : 0;
        return n;
    }
    n = archive_read_data(ls->outer, out, len);
    if (n < 0) {
        *errnum = archive_errno(ls->outer);
        *why = archive_error_string(ls->outer);
    }
    return n;
}

/* Count and hash n decompressed bytes in midbuf; false past the limit. */
static bool take(struct layer_stream *ls, size_t n)
{
    ls->bytes += n;
    if (ls->bytes > ls->max_bytes) {
        ls->limit_hit = true;
        return false;
    }
    image_sha256_update(ls->inner_h, ls->midbuf, n);
    return true;
}

la_ssize_t layer_stream_tar_read(struct archive *a, void *data, const void **buf)
{
    struct layer_stream *ls = data;
    const char *why = NULL;
    int errnum = 0;
    la_ssize_t n = decompressed_read(ls, ls->midbuf, READ_BUF, &errnum, &why);
    if (n < 0) {
        archive_set_error(a, errnum ? errnum : EIO, "decompress layer: %s", why ? why : "error");
        return -1;
    }
    if (!take(ls, (size_t)n)) {
        archive_set_error(a, EFBIG, "more than %llu uncompressed bytes",
                          (unsigned long long)ls->max_bytes);
        return -1;
    }
    *buf = ls->midbuf;
    return n;
}

int layer_stream_drain(struct layer_stream *ls, hull_error *err)
{
    const char *why = NULL;
    int errnum = 0;
    la_ssize_t n;
    while ((n = decompressed_read(ls, ls->midbuf, READ_BUF, &errnum, &why)) > 0)
        if (!take(ls, (size_t)n))
            return hull_error_msg(err, EFBIG, "layer: more than %llu uncompressed bytes",
                                  (unsigned long long)ls->max_bytes);
    if (n < 0)
        return hull_error_msg(err, EIO, "layer: decompress: %s", why ? why : "error");
    for (;;) {
        ssize_t r = input_read(ls);
        if (r < 0)
            return hull_error_set(err, errno, "layer: read");
        if (r == 0)
            return 0;
    }
}

/* libarchive as the decompressor: zstd, or a plain tar (raw format, no filter). */
static int open_outer(struct layer_stream *ls, hull_error *err)
{
    struct archive_entry *e;
    int ar;

    ls->outer = archive_read_new();
    archive_read_support_filter_gzip(ls->outer);
    archive_read_support_filter_zstd(ls->outer);
    archive_read_support_format_raw(ls->outer);
    if (archive_read_open(ls->outer, ls, NULL, outer_read, NULL) != ARCHIVE_OK)
        return hull_error_msg(err, EIO, "layer: %s", archive_error_string(ls->outer));
    ar = archive_read_next_header(ls->outer, &e);
    if (ar != ARCHIVE_OK && ar != ARCHIVE_EOF)
        return hull_error_msg(err, EIO, "layer: %s", archive_error_string(ls->outer));
    return 0;
}

int layer_stream_open(struct layer_stream *ls, unpack_read_fn rd, void *rd_data, bool hash_input,
                      uint64_t max_bytes, hull_error *err)
{
    *ls = (struct layer_stream){.in_read = rd, .in_data = rd_data, .max_bytes = max_bytes};
    ls->inbuf = xmalloc0(READ_BUF);
    ls->midbuf = xmalloc0(READ_BUF);
    ls->outer_h = hash_input ? image_sha256_new() : NULL;
    ls->inner_h = image_sha256_new();
    ls->first = input_read(ls);
    if (ls->first < 0)
        return hull_error_set(err, errno, "layer: read");
    if (gzip_sniff(ls->inbuf, (size_t)ls->first)) {
        ls->gz = gzip_reader_new(input_read_into, ls, ls->inbuf, (size_t)ls->first);
        ls->first = -1;
        return 0;
    }
    return open_outer(ls, err);
}

void layer_stream_digests(struct layer_stream *ls, char diff_id[HULL_DIGEST_BUF],
                          char digest[HULL_DIGEST_BUF])
{
    image_sha256_final(ls->inner_h, diff_id);
    if (ls->outer_h)
        image_sha256_final(ls->outer_h, digest);
    else
        digest[0] = '\0';
    ls->inner_h = ls->outer_h = NULL; /* final frees them */
}

void layer_stream_close(struct layer_stream *ls)
{
    if (ls->outer)
        archive_read_free(ls->outer);
    if (ls->gz)
        gzip_reader_free(ls->gz);
    image_sha256_free(ls->inner_h);
    image_sha256_free(ls->outer_h);
    free(ls->inbuf);
    free(ls->midbuf);
    *ls = (struct layer_stream){0};
}
