/* The bytes of a layer in one streaming pass, for the unpacker (unpack.c):
 *
 *   input -> (sha256: the blob digest) -> decompress -> (sha256: the diff_id, and
 *   the count against the decompression-bomb limit) -> tar reader
 *
 * gzip is inflated by ISA-L (gzip.c); zstd and plain tar go through libarchive's
 * raw format. The tar reader is a second libarchive handle reading
 * layer_stream_tar_read, so everything it parses has been hashed and counted.
 * Memory is two READ_BUF buffers and the decompressor's state, whatever the input. */
#ifndef HULL_IMAGE_LAYER_STREAM_H
#define HULL_IMAGE_LAYER_STREAM_H

#include <archive.h>

#include "internal.h"

struct gzip_reader;

struct layer_stream {
    unpack_read_fn in_read; /* the (compressed) input */
    void *in_data;
    char *inbuf, *midbuf;
    ssize_t first; /* the first input chunk, read to sniff gzip, not yet handed on (-1: none) */
    struct gzip_reader *gz; /* gzip: ISA-L */
    struct archive *outer;  /* otherwise (zstd, plain tar): libarchive, raw format */
    struct image_sha256 *outer_h, *inner_h;
    uint64_t bytes, max_bytes; /* uncompressed bytes so far, and the limit */
    bool limit_hit;
};

/* Start reading rd: sniff the compression and set up the decompressor. Without
 * hash_input the caller hashes the input itself (a pull's blob writer). On error the
 * stream must still be closed. */
int layer_stream_open(struct layer_stream *ls, unpack_read_fn rd, void *rd_data, bool hash_input,
                      uint64_t max_bytes, hull_error *err);
/* libarchive read callback (client data: the layer_stream): the tar bytes. */
la_ssize_t layer_stream_tar_read(struct archive *a, void *data, const void **buf);
/* Read, hash and count what the tar reader left (it stops at the end-of-archive
 * marker; the digests cover the whole stream), then the rest of the input. */
int layer_stream_drain(struct layer_stream *ls, hull_error *err);
/* The diff_id, and the blob digest ("" when the input was not hashed here). */
void layer_stream_digests(struct layer_stream *ls, char diff_id[HULL_DIGEST_BUF],
                          char digest[HULL_DIGEST_BUF]);
void layer_stream_close(struct layer_stream *ls);

#endif
