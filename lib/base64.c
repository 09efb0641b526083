#include "base64.h"

size_t base64_encoded_size(size_t n)
{
    return (n + 2) / 3 * 4 + 1;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* By hand rather than EVP_EncodeBlock: every request and every answer carries a
 * base64 signature, and the generic encoder cost ten times these few lines. */
int base64_encode(const void *in, size_t n, char *out, size_t cap)
{
    const unsigned char *p = in;
    size_t o = 0, i = 0;
    if (n > (size_t)1 << 30 || cap < base64_encoded_size(n)) return -1;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = b64_alphabet[v >> 6 & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return 0;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* EVP_DecodeBlock skips whitespace and keeps padding bytes in its count, so a
 * small strict decoder is simpler than correcting it. */
int base64_decode(const char *in, size_t len, unsigned char *out, size_t cap, size_t *outlen)
{
    size_t o = 0;
    if (len % 4 != 0) return -1;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            char c = in[i + j];
            if (c == '=' && i + 4 == len && j >= 2) {
                v[j] = 0;
                pad++;
            } else if (pad || (v[j] = b64_value(c)) < 0) {
                return -1;
            }
        }
        unsigned triple =
            (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        size_t nbytes = 3 - (size_t)pad;
        if (o + nbytes > cap) return -1;
        out[o++] = (unsigned char)(triple >> 16);
        if (nbytes > 1) out[o++] = (unsigned char)(triple >> 8);
        if (nbytes > 2) out[o++] = (unsigned char)triple;
    }
    *outlen = o;
    return 0;
}
