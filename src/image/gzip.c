/* Streaming gzip reader over ISA-L (see gzip.h). */
#include "gzip.h"
#include "../base/util.h"

#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GZIP_IN_BUF (256u << 10)

struct gzip_reader {
    struct inflate_state st; /* ISA-L: large (tens of KiB), so the reader lives on the heap */
    gzip_input_fn in;
    void *in_data;
    bool in_eof;
    uint8_t buf[GZIP_IN_BUF];
};

bool gzip_sniff(const void *buf, size_t len)
{
    const unsigned char *b = buf;
    return len >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

struct gzip_reader *gzip_reader_new(gzip_input_fn in, void *in_data, const void *first, size_t len)
{
    struct gzip_reader *g = xmalloc0(sizeof(*g));
    g->in = in;
    g->in_data = in_data;
    isal_inflate_init(&g->st);
    g->st.crc_flag = ISAL_GZIP;
    len = len < sizeof(g->buf) ? len : sizeof(g->buf);
    if (len)
        memcpy(g->buf, first, len);
    g->st.next_in = g->buf;
    g->st.avail_in = (uint32_t)len;
    return g;
}

void gzip_reader_free(struct gzip_reader *g)
{
    free(g);
}

static const char *isal_error(int r)
{
    switch (r) {
    case ISAL_INVALID_BLOCK:
        return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
        return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
        return "invalid deflate distance";
    case ISAL_INVALID_WRAPPER:
        return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
        return "gzip compression method is not deflate";
    case ISAL_INCORRECT_CHECKSUM:
        return "gzip CRC or length mismatch";
    case ISAL_NEED_DICT:
        return "deflate stream needs a dictionary";
    default:
        return "gzip error";
    }
}

static ssize_t fail(const char **why, const char *msg)
{
    *why = msg;
    errno = EIO;
    return -1;
}

/* Refill the input buffer once it is used up; -1 on an input error. */
static int refill(struct gzip_reader *g, const char **why)
{
    ssize_t n = g->in(g->in_data, g->buf, sizeof(g->buf));
    if (n < 0) {
        *why = strerror(errno);
        return -1;
    }
    g->in_eof = n == 0;
    g->st.next_in = g->buf;
    g->st.avail_in = (uint32_t)n;
    return 0;
}

/* At the end of a member: the next member starts, or the input must end. Returns 1
 * for a new member, 0 at the end, -1 on trailing garbage. */
static int next_member(struct gzip_reader *g, const char **why)
{
    uint8_t *next = g->st.next_in;
    uint32_t avail = g->st.avail_in;

    if (avail == 0)
        return 0;
    if (next[0] != 0x1f) {
        fail(why, "data after the end of the gzip stream");
        return -1;
    }
    isal_inflate_reset(&g->st);
    g->st.crc_flag = ISAL_GZIP;
    g->st.next_in = next;
    g->st.avail_in = avail;
    return 1;
}

ssize_t gzip_read(struct gzip_reader *g, void *out, size_t len, const char **why)
{
    struct inflate_state *st = &g->st;

    if (len > UINT32_MAX)
        len = UINT32_MAX;
    for (;;) {
        uint32_t in_before;
        int r;

        if (st->avail_in == 0 && !g->in_eof) {
            if (refill(g, why) < 0)
                return -1;
            continue;
        }
        if (st->block_state == ISAL_BLOCK_FINISH) {
            r = next_member(g, why);
            if (r <= 0)
                return r;
        }
        in_before = st->avail_in;
        st->next_out = out;
        st->avail_out = (uint32_t)len;
        r = isal_inflate(st);
        if (r < 0 || r == ISAL_NEED_DICT)
            return fail(why, isal_error(r));
        if (st->avail_out < len)
            return (ssize_t)(len - st->avail_out);
        if (st->block_state == ISAL_BLOCK_FINISH)
            continue;
        if (g->in_eof && st->avail_in == 0)
            return fail(why, "truncated gzip stream");
        if (st->avail_in == in_before && st->avail_in > 0)
            return fail(why, "gzip stream makes no progress"); /* never loop on bad input */
    }
}
