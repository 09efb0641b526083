/* base64: standard alphabet with padding (RFC 4648 section 4), strict decoding. */
#ifndef WXAI_BASE64_H
#define WXAI_BASE64_H

#include <stddef.h>

/* Bytes needed to encode n bytes, including the NUL. */
size_t base64_encoded_size(size_t n);
/* Encode n bytes into out (cap >= base64_encoded_size(n)). Returns 0 or -1. */
int base64_encode(const void *in, size_t n, char *out, size_t cap);
/* Decode a padded base64 string of len chars into out (cap >= len/4*3). Whitespace,
 * bad characters and bad padding are errors. Returns 0 with *outlen set, or -1. */
int base64_decode(const char *in, size_t len, unsigned char *out, size_t cap, size_t *outlen);

#endif
