/* jspattern: JSON Schema "pattern" strings (ECMA-262 regular expressions)
 * run on POSIX <regex.h> extended expressions.
 *
 * The translation covers what schemas commonly use: \d \w \s and their
 * negations, character escapes (\n \t \uXXXX \xHH, escaped punctuation),
 * non-capturing groups and lazy quantifiers (irrelevant for a yes/no match).
 * Lookaround, backreferences, word boundaries, \p{...} and non-ASCII inside
 * a bracket expression are refused with JSPATTERN_EUNSUPPORTED rather than
 * silently matched differently. Matching is byte-wise (the C locale): "."
 * and bracket expressions see UTF-8 bytes, not code points. */
#ifndef WXAI_JSPATTERN_H
#define WXAI_JSPATTERN_H

#include <stddef.h>

#include <regex.h>

#define JSPATTERN_MAX 4096 /* longest translated pattern */

enum { JSPATTERN_OK = 0, JSPATTERN_EUNSUPPORTED = -1, JSPATTERN_EBAD = -2 };

/* Translate ecma into a POSIX ERE in out (cap bytes, NUL-terminated). On
 * failure returns JSPATTERN_E* and writes a static reason to *why (if non-NULL). */
int jspattern_translate(const char *ecma, char *out, size_t cap, const char **why);
/* Translate and regcomp (REG_EXTENDED | REG_NOSUB). On success the caller owns
 * *re and releases it with regfree; on failure nothing is left to free. */
int jspattern_compile(const char *ecma, regex_t *re, const char **why);
/* 1 when s matches anywhere (JSON Schema patterns are not anchored), else 0. */
int jspattern_match(const regex_t *re, const char *s);

#endif
