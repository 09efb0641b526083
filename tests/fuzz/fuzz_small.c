/* base64_decode and clock_parse_rfc3339 on NUL-terminated heap copies. */
#include "base64.h"
#include "clock.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t t;
    int off;
    clock_parse_rfc3339(s, &t, &off);
    unsigned char out[64];
    size_t n;
    base64_decode(s, size, out, sizeof out, &n);
    free(s);
    return 0;
}
