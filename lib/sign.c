#include "sign.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

static EVP_MAC_CTX *hmac_sha256;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

/* Fetching HMAC and then SHA-256 goes through OpenSSL's provider store (a
 * lock and a property query each): the mock signs three times per request, so
 * the fetch is done once and every signature starts from a copy. */
static void hmac_init_once(void)
{
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC_free(hmac); /* ctx keeps its own reference */
    if (ctx && !EVP_MAC_CTX_set_params(ctx, params)) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    hmac_sha256 = ctx;
}

int sign_parts(const void *key, size_t keylen, const char *const *parts, const size_t *lens,
               size_t nparts, char *out, size_t cap)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    int rc = -1;
    pthread_once(&hmac_once, hmac_init_once);
    EVP_MAC_CTX *ctx = hmac_sha256 ? EVP_MAC_CTX_dup(hmac_sha256) : NULL;

    if (!ctx || cap < SIGN_B64_LEN) goto out;
    if (!EVP_MAC_init(ctx, key, keylen, NULL)) goto out;
    for (size_t i = 0; i < nparts; i++) {
        if (lens[i] && !EVP_MAC_update(ctx, (const unsigned char *)parts[i], lens[i])) goto out;
        if (!EVP_MAC_update(ctx, (const unsigned char *)"\n", 1)) goto out;
    }
    if (!EVP_MAC_final(ctx, mac, &maclen, sizeof mac) || maclen != 32) goto out;
    EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
    rc = 0;
out:
    EVP_MAC_CTX_free(ctx);
    return rc;
}

int sign_request(const void *key, size_t keylen, const char *method, const char *url,
                 const char *timestamp, const char *nonce, const void *body, size_t bodylen,
                 char *out, size_t cap)
{
    const char *parts[] = {method, url, timestamp, nonce, body ? (const char *)body : ""};
    size_t lens[] = {strlen(method), strlen(url), strlen(timestamp), strlen(nonce),
                     body ? bodylen : 0};
    return sign_parts(key, keylen, parts, lens, 5, out, cap);
}

int sign_response(const void *key, size_t keylen, const char *timestamp, const char *nonce,
                  const void *body, size_t bodylen, char *out, size_t cap)
{
    const char *parts[] = {timestamp, nonce, body ? (const char *)body : ""};
    size_t lens[] = {strlen(timestamp), strlen(nonce), body ? bodylen : 0};
    return sign_parts(key, keylen, parts, lens, 3, out, cap);
}

int sign_equal(const char *expected, const char *given)
{
    size_t n = strlen(expected);
    /* The length of a well-formed signature is public (44), so only the bytes
     * are compared in constant time. */
    if (!given || strlen(given) != n) return 0;
    return CRYPTO_memcmp(expected, given, n) == 0;
}
