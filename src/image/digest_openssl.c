/* sha256 through OpenSSL's EVP for the processes that load libcrypto anyway
 * (hull-registry: TLS). Only linked where hull_image_use_openssl_sha256() is
 * called, so hull itself never loads libcrypto (see digest.c). */
#include "internal.h"
#include "../base/util.h"

#include <stdlib.h>
#include <unistd.h>
#include <openssl/evp.h>

static void *evp_new(void)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        /* Only allocation failure gets here; like xmalloc, treat it as fatal. */
        static const char msg[] = "hull: cannot initialise sha256\n";
        (void)!write(2, msg, sizeof(msg) - 1);
        abort();
    }
    return c;
}

static void evp_update(void *c, const void *data, size_t len)
{
    EVP_DigestUpdate(c, data, len);
}

static void evp_final(void *c, unsigned char md[32])
{
    unsigned int n = 32;
    EVP_DigestFinal_ex(c, md, &n);
}

static void evp_free(void *c)
{
    EVP_MD_CTX_free(c);
}

void hull_image_use_openssl_sha256(void)
{
    static const struct image_sha256_impl evp = {
        .new_ctx = evp_new, .update = evp_update, .final = evp_final, .free_ctx = evp_free};
    image_sha256_set_impl(&evp);
}
