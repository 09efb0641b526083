#include "ident.h"

#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

static int random_chars(const char *alphabet, size_t nalpha, char *out, size_t n)
{
    unsigned char buf[64];
    if (n > sizeof buf || RAND_bytes(buf, (int)n) != 1) return -1;
    /* 256 % 62 bias is irrelevant for identifiers that only need to be unique. */
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[buf[i] % nalpha];
    out[n] = '\0';
    return 0;
}

int ident_uuid(char *out, size_t cap)
{
    unsigned char b[16];
    if (cap < IDENT_UUID_LEN || RAND_bytes(b, sizeof b) != 1) return -1;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    snprintf(out, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
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
