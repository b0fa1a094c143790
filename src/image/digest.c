/* Content digests: sha256 through nettle (Debian builds it "fat": it uses the
 * CPU's SHA extensions, within 10% of OpenSSL on 64 MiB here, which matters
 * when every byte pulled or unpacked is hashed), and validation of digest
 * strings from untrusted documents. Not OpenSSL: loading libcrypto and its
 * provider and config initialisation cost every `hull run` 2-3 ms of CPU, for
 * the few kilobytes of manifest and config it verifies. */
#include "internal.h"
#include "../base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <nettle/sha2.h>

struct image_sha256 {
    struct sha256_ctx ctx;
};

struct image_sha256 *image_sha256_new(void)
{
    struct image_sha256 *h = xmalloc0(sizeof(*h));
    sha256_init(&h->ctx);
    return h;
}

void image_sha256_update(struct image_sha256 *h, const void *data, size_t len)
{
    if (len > 0)
        sha256_update(&h->ctx, len, data);
}

void image_sha256_free(struct image_sha256 *h)
{
    if (h == NULL)
        return;
    free(h);
}

void image_sha256_final(struct image_sha256 *h, char out[HULL_DIGEST_BUF])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_SIZE];

    sha256_digest(&h->ctx, sizeof(md), md);
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
