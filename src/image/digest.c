/* Content digests: sha256, and validation of digest strings from untrusted
 * documents. Two implementations, both on the CPU's SHA extensions (which
 * matters when every byte pulled or unpacked is hashed):
 *  - nettle (Debian builds it "fat"), the default: cheap to load. OpenSSL's
 *    libcrypto, its providers and config initialisation would cost every
 *    `hull run` 2-3 ms of CPU for the few kilobytes it verifies;
 *  - OpenSSL's EVP (digest_openssl.c), about 8% faster on large inputs: taken
 *    by hull-registry, which loads libcrypto for TLS anyway and hashes every
 *    pulled byte twice (blob and diff_id). */
#include "internal.h"
#include "../base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <nettle/sha2.h>

static void *nettle_new(void)
{
    struct sha256_ctx *c = xmalloc0(sizeof(*c));
    sha256_init(c);
    return c;
}

static void nettle_update(void *c, const void *data, size_t len)
{
    sha256_update(c, len, data);
}

static void nettle_final(void *c, unsigned char md[32])
{
    sha256_digest(c, 32, md);
}

static const struct image_sha256_impl nettle_impl = {
    .new_ctx = nettle_new, .update = nettle_update, .final = nettle_final, .free_ctx = free};
static const struct image_sha256_impl *impl = &nettle_impl;

void image_sha256_set_impl(const struct image_sha256_impl *i)
{
    impl = i ? i : &nettle_impl;
}

struct image_sha256 {
    const struct image_sha256_impl *impl;
    void *ctx;
};

struct image_sha256 *image_sha256_new(void)
{
    struct image_sha256 *h = xmalloc0(sizeof(*h));
    h->impl = impl;
    h->ctx = impl->new_ctx();
    return h;
}

void image_sha256_update(struct image_sha256 *h, const void *data, size_t len)
{
    if (len > 0)
        h->impl->update(h->ctx, data, len);
}

void image_sha256_free(struct image_sha256 *h)
{
    if (h == NULL)
        return;
    h->impl->free_ctx(h->ctx);
    free(h);
}

void image_sha256_final(struct image_sha256 *h, char out[HULL_DIGEST_BUF])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];

    h->impl->final(h->ctx, md);
    memcpy(out, "sha256:", 7);
    for (unsigned int i = 0; i < sizeof(md); i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[7 + 2 * i + 1] = hex[md[i] & 15];
    }
    out[7 + 64] = '\0';
    image_sha256_free(h);
}

void hull_image_digest_bytes(const void *data, size_t len, char out[HULL_DIGEST_BUF])
{
    struct image_sha256 *h = image_sha256_new();
    image_sha256_update(h, data, len);
    image_sha256_final(h, out);
}

/* The image-spec grammar:
 *   digest    ::= algorithm ":" encoded
 *   algorithm ::= component (separator component)*     component ::= [a-z0-9]+
 *   separator ::= [+._-]                                encoded   ::= [a-zA-Z0-9=_-]+
 * Only sha256 is stored; a registered or well-formed other algorithm is reported as
 * unsupported rather than malformed, which tells the user what to do. */
int hull_image_digest_validate(const char *digest, hull_error *err)
{
    const char *colon, *p;
    size_t alen, n;

    if (digest == NULL || *digest == '\0')
        return hull_error_msg(err, EINVAL, "empty digest");
    colon = strchr(digest, ':');
    if (colon == NULL || colon == digest || colon[1] == '\0')
        return hull_error_msg(err, EINVAL, "invalid digest \"%.80s\": expected ALGORITHM:HEX",
                              digest);
    alen = (size_t)(colon - digest);
    for (p = digest; p < colon; p++) {
        bool sep = *p == '+' || *p == '.' || *p == '_' || *p == '-';
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || sep) ||
            (sep && (p == digest || p + 1 == colon || p[-1] == '+' || p[-1] == '.' ||
                     p[-1] == '_' || p[-1] == '-')))
            return hull_error_msg(err, EINVAL, "invalid digest \"%.80s\": bad algorithm name",
                                  digest);
    }
    if (alen != 6 || strncmp(digest, "sha256", 6) != 0) {
        if (alen == 6 && strncmp(digest, "sha512", 6) == 0)
            return hull_error_msg(err, ENOTSUP,
                                  "unsupported digest algorithm sha512 in \"%.80s\" (hull "
                                  "stores sha256 only)",
                                  digest);
        return hull_error_msg(err, ENOTSUP, "unsupported digest algorithm \"%.*s\"",
                              (int)(alen > 32 ? 32 : alen), digest);
    }
    n = strlen(colon + 1);
    for (p = colon + 1; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return hull_error_msg(err, EINVAL,
                                  "invalid sha256 digest \"%.80s\": expected 64 lowercase hex "
                                  "characters, found '%c'",
                                  digest, *p >= 0x20 && *p < 0x7f ? *p : '?');
    if (n != 64)
        return hull_error_msg(err, EINVAL,
                              "invalid sha256 digest \"%.80s\": expected 64 hex characters, "
                              "got %zu",
                              digest, n);
    return 0;
}

void chain_next(const char *parent, const char *diff_id, char out[HULL_DIGEST_BUF])
{
    if (parent == NULL) {
        snprintf(out, HULL_DIGEST_BUF, "%s", diff_id);
    } else {
        _cleanup_free_ char *s = xasprintf("%s %s", parent, diff_id);
        hull_image_digest_bytes(s, strlen(s), out);
    }
}

void hull_image_chain_ids(char *const *diff_ids, size_t n, char (*out)[HULL_DIGEST_BUF])
{
    for (size_t i = 0; i < n; i++)
        chain_next(i ? out[i - 1] : NULL, diff_ids[i], out[i]);
}
