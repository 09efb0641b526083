/* sign: HMAC-SHA256 signatures of the contract (CONTRACT.md, Authentication).
 *
 * Requests sign M = METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n and responses
 * TIMESTAMP\nNONCE\nBODY\n, each line ending in \n, with the merchant's API
 * key; the signature travels base64-encoded. The message is fed to the MAC
 * piecewise, so a large body is never copied. */
#ifndef WXAI_SIGN_H
#define WXAI_SIGN_H

#include <stddef.h>

#define SIGN_B64_LEN 45 /* base64 of 32 bytes plus NUL */

/* base64(HMAC-SHA256(key, parts joined with '\n' after each)) into out (>= SIGN_B64_LEN).
 * Returns 0 or -1. */
int sign_parts(const void *key, size_t keylen, const char *const *parts, const size_t *lens,
               size_t nparts, char *out, size_t cap);
/* Signature of a request; body may be NULL when bodylen is 0. Returns 0 or -1. */
int sign_request(const void *key, size_t keylen, const char *method, const char *url,
                 const char *timestamp, const char *nonce, const void *body, size_t bodylen,
                 char *out, size_t cap);
/* Signature of a response. Returns 0 or -1. */
int sign_response(const void *key, size_t keylen, const char *timestamp, const char *nonce,
                  const void *body, size_t bodylen, char *out, size_t cap);
/* 1 if the two base64 signatures are equal, compared in constant time; 0 otherwise. */
int sign_equal(const char *expected, const char *given);

#endif
