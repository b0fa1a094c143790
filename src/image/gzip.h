/* A streaming gzip reader over ISA-L's igzip (about 2.5x zlib's inflate speed).
 *
 * It pulls compressed bytes from a read callback and hands out the gunzipped stream
 * in caller-sized pieces; memory is bounded by one input buffer and ISA-L's state,
 * whatever the input. Concatenated gzip members are one stream (as gzip -d and
 * libarchive read them); anything else after the last member is an error, as for
 * Go's gzip reader (containerd, docker). The input is untrusted: every malformed
 * stream ends in an error, never a loop. */
#ifndef HULL_IMAGE_GZIP_H
#define HULL_IMAGE_GZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Reads up to len bytes of compressed input; 0 at its end, -1 with errno set. */
typedef ssize_t (*gzip_input_fn)(void *data, void *buf, size_t len);

struct gzip_reader;

/* True when buf starts with the gzip magic (1f 8b). */
bool gzip_sniff(const void *buf, size_t len);

/* A reader taking input from `in`; `first` (len bytes, may be 0) is input the caller
 * read already (to sniff it): it comes first. */
struct gzip_reader *gzip_reader_new(gzip_input_fn in, void *in_data, const void *first, size_t len);

/* Up to len bytes of the gunzipped stream into out; 0 at its end. On error -1, with
 * *why saying what is wrong (a static string) and errno set (EIO for a bad stream,
 * else the input's errno). */
ssize_t gzip_read(struct gzip_reader *g, void *out, size_t len, const char **why);

void gzip_reader_free(struct gzip_reader *g);

#endif
