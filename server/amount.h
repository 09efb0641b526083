/* amount: numbers, money and percentages in normalised request text.
 *
 * Finds every amount the way people write it: "1,280.50", "1.5k", "5万",
 * "3.5万元", "一百零八元", "两百", "45块5", "八毛", "¥128", "HK$20",
 * "twenty dollars", "one hundred and five", percentages ("18%", "百分之十八"),
 * and the currency marker attached to each (symbol, ISO code or word).
 * Dates, clock times, counts ("3 people", "三个人") and reference numbers are
 * recognised so that they are not taken for money. Values are fixed point
 * (major units x 10^4) until the currency, and so the minor unit, is known.
 * Works on lexicon_normalize output. */
#ifndef WXAI_AMOUNT_H
#define WXAI_AMOUNT_H

#include <stddef.h>
#include <stdint.h>

#define AMOUNT_MAX_MENTIONS 32
#define AMOUNT_SCALE 10000 /* value_e4 units per major unit */

enum {
    AMOUNT_F_PERCENT = 1u << 0,    /* a rate, value_e4 is percent x 10^4 */
    AMOUNT_F_COUNT = 1u << 1,      /* a head count or quantity ("3 people", "两杯"), not money */
    AMOUNT_F_SYMBOL = 1u << 2,     /* currency given by a symbol (¥ $ € £ HK$) */
    AMOUNT_F_CODE = 1u << 3,       /* currency given by an ISO code or RMB */
    AMOUNT_F_WORD = 1u << 4,       /* currency given by a word (yuan, 元, dollars, 美元) */
    AMOUNT_F_SLANG = 1u << 5,      /* k, w, grand, 块, 毛, bucks, quid, 刀 */
    AMOUNT_F_HANZI = 1u << 6,      /* written in Chinese numerals */
    AMOUNT_F_ENGLISH = 1u << 7,    /* written in English number words */
    AMOUNT_F_MULTIPLIER = 1u << 8, /* scaled by k / 万 / 千 / grand */
};

#define AMOUNT_F_MARKED (AMOUNT_F_SYMBOL | AMOUNT_F_CODE | AMOUNT_F_WORD)

typedef struct amount_mention {
    uint32_t start, end; /* byte span in the normalised text, markers included */
    uint32_t num_start;  /* where the number itself starts */
    int64_t value_e4;    /* major units x 10^4 (or percent x 10^4) */
    char currency[4];    /* ISO 4217 of the attached marker, "" if none */
    unsigned flags;      /* AMOUNT_F_* */
} amount_mention;

typedef struct amount_currency_hint {
    uint32_t start, end;
    char currency[4];
} amount_currency_hint;

/* Every number in s[0..len) in text order, up to cap; returns how many were written. */
size_t amount_scan(const char *s, size_t len, amount_mention *out, size_t cap);
/* Every currency word, code or symbol in s, attached to a number or not, up to cap. */
size_t amount_currencies(const char *s, size_t len, amount_currency_hint *out, size_t cap);
/* value_e4 in minor units of currency (exponent from money_exponent), rounded half up.
 * Returns 0, or -1 for an unknown currency or an overflow. */
int amount_to_minor(int64_t value_e4, const char *currency, int64_t *minor);

#endif
