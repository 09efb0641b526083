/* utf8: the one check of UTF-8 text that request validation relies on. */
#ifndef WXAI_UTF8_H
#define WXAI_UTF8_H

#include <stddef.h>

/* Code points in the NUL-terminated string s, or SIZE_MAX when s is not well-formed
 * UTF-8 (overlong leads, stray continuation bytes, truncated sequences). Counting lead
 * bytes alone would let one lead byte and 20 KB of continuation bytes pass as one
 * character. */
size_t utf8_count(const char *s);

#endif
