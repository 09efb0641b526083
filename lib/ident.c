#include "ident.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#define POOL_BYTES 8192 /* 85 requests a draw: each RAND_bytes also costs a getpid() and, at times, a DRBG lock */

/* A request takes four identifiers; one RAND_bytes call costs about as much
 * as the rest of the identifier work (DRBG locking and bookkeeping), so each
 * thread draws a pool at a time. A forked child empties the pool of the one
 * thread it has, so it never repeats its parent's identifiers. */
static _Thread_local unsigned char pool[POOL_BYTES];
static _Thread_local size_t pool_left;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void pool_forget(void)
{
    pool_left = 0;
}

static void atfork_init(void)
{
    pthread_atfork(NULL, NULL, pool_forget);
}

static int random_bytes(unsigned char *out, size_t n)
{
    if (n > POOL_BYTES) return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
    if (pool_left < n) {
        pthread_once(&atfork_once, atfork_init);
        if (RAND_bytes(pool, POOL_BYTES) != 1) return -1;
        pool_left = POOL_BYTES;
    }
    memcpy(out, pool + POOL_BYTES - pool_left, n);
    memset(pool + POOL_BYTES - pool_left, 0, n); /* handed out once */
    pool_left -= n;
    return 0;
}

static int random_chars(const char *alphabet, size_t nalpha, char *out, size_t n)
{
    unsigned char buf[64];
    if (n > sizeof buf || random_bytes(buf, n) != 0) return -1;
    /* A byte scaled to the alphabet by a multiply and a shift: `% nalpha` was a division
     * per character, 80 of them per request (perf saw them in ident_token and
     * ident_nonce). Its slight bias, like the modulo's, is irrelevant for identifiers
     * that only need to be unique. */
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[(size_t)buf[i] * nalpha >> 8];
    out[n] = '\0';
    return 0;
}

int ident_uuid(char *out, size_t cap)
{
    unsigned char b[16];
    if (cap < IDENT_UUID_LEN || random_bytes(b, sizeof b) != 0) return -1;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    /* By hand rather than with sixteen %02x: every request formats one. */
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
    return 0;
}

int ident_nonce(char *out, size_t cap)
{
    static const char alpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    if (cap < IDENT_NONCE_LEN) return -1;
    return random_chars(alpha, 62, out, 32);
}

int ident_token(const char *prefix, char *out, size_t cap)
{
    static const char alpha[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    size_t plen = strlen(prefix);
    if (cap < plen + 25) return -1;
    memcpy(out, prefix, plen);
    return random_chars(alpha, 36, out + plen, 24);
}
