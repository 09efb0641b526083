/* tokens: the documented, deterministic token estimate used for billing.
 *
 * A real tokenizer is model-specific; the mock needs a rule that client
 * developers can reproduce by hand: each run of ASCII letters is
 * ceil(len / 4) tokens; each run of ASCII digits is ceil(len / 3); every
 * other code point that is not white space (a CJK character, kana, an emoji,
 * punctuation) is one token; white space (including U+3000) is free; an
 * invalid UTF-8 byte counts as one token. */
#ifndef WXAI_TOKENS_H
#define WXAI_TOKENS_H

#include <stddef.h>
#include <stdint.h>

/* Token estimate of len bytes of UTF-8 text. */
int64_t tokens_estimate(const char *text, size_t len);

#endif
