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

#include <cjson/cJSON.h>

/* Token estimate of len bytes of UTF-8 text. */
int64_t tokens_estimate(const char *text, size_t len);
/* Tokens of a JSON answer's member v: its key (when it has one) and its value; keys and
 * values are text, numbers as "%.15g" prints them, true/false/null one token each, and
 * the punctuation around them is free. */
int64_t tokens_of_json(const cJSON *v);
/* tokens_of_json without v's own key. */
int64_t tokens_of_json_value(const cJSON *v);

#endif
