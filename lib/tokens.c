#include "tokens.h"

#include <ctype.h>

/* Decode one UTF-8 code point at p (n bytes left); returns its length, or 1
 * with *cp = 0xFFFD for an invalid byte. */
static size_t utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0)
        len = 2, c &= 0x1F;
    else if ((c & 0xF0) == 0xE0)
        len = 3, c &= 0x0F;
    else if ((c & 0xF8) == 0xF0)
        len = 4, c &= 0x07;
    else
        goto bad;
    if (len > n) goto bad;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) goto bad;
        c = c << 6 | (p[i] & 0x3F);
    }
    *cp = c;
    return len;
bad:
    *cp = 0xFFFD;
    return 1;
}

int64_t tokens_estimate(const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    int64_t tokens = 0;
    size_t i = 0;
    while (i < len) {
        if (isalpha(p[i]) || isdigit(p[i])) {
            int digits = isdigit(p[i]) != 0;
            size_t start = i;
            while (i < len && (digits ? isdigit(p[i]) : isalpha(p[i])))
                i++;
            size_t run = i - start;
            tokens += (int64_t)(digits ? (run + 2) / 3 : (run + 3) / 4);
            continue;
        }
        uint32_t cp;
        i += utf8_next(p + i, len - i, &cp);
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x3000) continue;
        tokens++;
    }
    return tokens;
}
