#include "utf8.h"

#include <stdint.h>

size_t utf8_count(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; n++) {
        int more = *p < 0x80                 ? 0
                   : *p >= 0xC2 && *p < 0xE0 ? 1
                   : *p >= 0xE0 && *p < 0xF0 ? 2
                   : *p >= 0xF0 && *p < 0xF5 ? 3
                                             : -1;
        if (more < 0) return SIZE_MAX;
        for (p++; more > 0; more--, p++)
            if ((*p & 0xC0) != 0x80) return SIZE_MAX;
    }
    return n;
}
