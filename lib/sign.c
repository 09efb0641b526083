#include "sign.h"

#include <stdint.h>
#include <string.h>

#include "base64.h"

/* SHA256_Init & co. are deprecated in OpenSSL 3 but are the same assembly
 * without the EVP layer, which was most of a signature's cost. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#define HMAC_BLOCK 64
#define KEY_CACHE 4          /* keys per thread: a mock or a harness uses a few */
#define KEY_CACHE_MAX 256    /* longer keys are not cached */

/* HMAC-SHA256 by hand on top of SHA-256: the inner and outer states after the
 * padded key depend on the key only, so each thread keeps them for the last
 * few keys and a signature is two SHA-256 continuations. Through EVP_MAC a
 * signature dup'ed, initialised, finalised and freed a MAC context (four
 * allocations, two key schedules): about 60 % of its instructions. */
typedef struct hkey {
    size_t keylen; /* 0: empty slot */
    unsigned char key[KEY_CACHE_MAX];
    SHA256_CTX inner, outer;
} hkey;

static _Thread_local hkey key_cache[KEY_CACHE];
static _Thread_local unsigned key_next;

static void hkey_init(hkey *h, const void *key, size_t keylen)
{
    unsigned char k[HMAC_BLOCK] = {0}, pad[HMAC_BLOCK];
    if (keylen > HMAC_BLOCK)
        SHA256(key, keylen, k);
    else if (keylen)
        memcpy(k, key, keylen);
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    SHA256_Init(&h->inner);
    SHA256_Update(&h->inner, pad, HMAC_BLOCK);
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    SHA256_Init(&h->outer);
    SHA256_Update(&h->outer, pad, HMAC_BLOCK);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
}

static const hkey *hkey_for(const void *key, size_t keylen, hkey *scratch)
{
    if (keylen == 0 || keylen > KEY_CACHE_MAX) {
        hkey_init(scratch, key, keylen);
        return scratch;
    }
    for (unsigned i = 0; i < KEY_CACHE; i++)
        if (key_cache[i].keylen == keylen && memcmp(key_cache[i].key, key, keylen) == 0)
            return &key_cache[i];
    hkey *h = &key_cache[key_next++ % KEY_CACHE];
    hkey_init(h, key, keylen);
    memcpy(h->key, key, keylen);
    h->keylen = keylen;
    return h;
}

/* c continues from a saved inner or outer state. Those end on a block boundary, so the
 * 64-byte data buffer holds nothing to copy: the whole struct (112 bytes) went by
 * `rep movsq`, which perf found slow to start, three times per signature. */
static void ctx_resume(SHA256_CTX *c, const SHA256_CTX *saved)
{
    memcpy(c->h, saved->h, sizeof c->h);
    c->Nl = saved->Nl;
    c->Nh = saved->Nh;
    c->num = 0;
    c->md_len = saved->md_len;
}

int sign_parts(const void *key, size_t keylen, const char *const *parts, const size_t *lens,
               size_t nparts, char *out, size_t cap)
{
    unsigned char mac[SHA256_DIGEST_LENGTH];
    hkey scratch;
    SHA256_CTX c;
    if (cap < SIGN_B64_LEN || (!key && keylen)) return -1;
    const hkey *h = hkey_for(key, keylen, &scratch);
    ctx_resume(&c, &h->inner);
    for (size_t i = 0; i < nparts; i++) {
        if (lens[i]) SHA256_Update(&c, parts[i], lens[i]);
        SHA256_Update(&c, "\n", 1);
    }
    SHA256_Final(mac, &c);
    ctx_resume(&c, &h->outer);
    SHA256_Update(&c, mac, sizeof mac);
    SHA256_Final(mac, &c);
    base64_encode(mac, sizeof mac, out, cap);
    if (h == &scratch) OPENSSL_cleanse(&scratch, sizeof scratch);
    return 0;
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
    /* CRYPTO_memcmp goes a byte at a time through a function pointer; this
     * accumulates the differences eight bytes at a time, with no early exit. */
    uint64_t diff = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, expected + i, 8);
        memcpy(&b, given + i, 8);
        diff |= a ^ b;
    }
    for (; i < n; i++)
        diff |= (uint64_t)(unsigned char)(expected[i] ^ given[i]);
    return diff == 0;
}
