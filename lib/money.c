#include "money.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *code;
    int exponent;
} currencies[] = {
    {"CNY", 2}, {"USD", 2}, {"EUR", 2}, {"JPY", 0}, {"HKD", 2}, {"GBP", 2}, {"KRW", 0},
    {"SGD", 2}, {"AUD", 2}, {"CAD", 2}, {"CHF", 2}, {"TWD", 2}, {"MOP", 2}, {"THB", 2},
};

int money_exponent(const char *code)
{
    if (!code) return -1;
    for (size_t i = 0; i < sizeof currencies / sizeof currencies[0]; i++)
        if (strcasecmp(code, currencies[i].code) == 0) return currencies[i].exponent;
    return -1;
}

int money_split(int64_t total, size_t n, int64_t *shares)
{
    if (n == 0 || total < 0) return -1;
    int64_t each = total / (int64_t)n;
    int64_t rest = total - each * (int64_t)n;
    for (size_t i = 0; i < n; i++)
        shares[i] = each;
    shares[0] += rest;
    return 0;
}

/* a * b / d rounded half up, for non-negative a, b and positive d. */
static int mul_div_round(int64_t a, int64_t b, int64_t d, int64_t *out)
{
    __int128 p = (__int128)a * b;
    __int128 q = (p + d / 2) / d;
    if (a < 0 || b < 0 || d <= 0 || q > INT64_MAX) return -1;
    *out = (int64_t)q;
    return 0;
}

int money_apply_bp(int64_t total, int64_t bp, int64_t *out)
{
    return mul_div_round(total, bp, 10000, out);
}

int money_token_cost(int64_t tokens, int64_t per_1k_micros, int64_t multiplier, int64_t *out)
{
    int64_t scaled;
    if (multiplier < 0 || __builtin_mul_overflow(per_1k_micros, multiplier, &scaled)) return -1;
    return mul_div_round(tokens, scaled, 1000, out);
}

int money_add(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

int money_parse_decimal(const char *s, size_t len, int exponent, int64_t *out)
{
    int64_t whole = 0, frac = 0;
    int nfrac = 0, ndigits = 0, seen_point = 0, round_up = 0, beyond = 0;

    if (exponent < 0 || exponent > 4) return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ',' && !seen_point && ndigits > 0) continue;
        if (c == '.' && !seen_point) {
            seen_point = 1;
            continue;
        }
        if (!isdigit((unsigned char)c)) return -1;
        ndigits++;
        if (!seen_point) {
            if (whole > MONEY_MAX_MINOR / 10) return -1;
            whole = whole * 10 + (c - '0');
        } else if (nfrac < exponent) {
            frac = frac * 10 + (c - '0');
            nfrac++;
        } else if (!beyond) {
            round_up = c >= '5';
            beyond = 1;
        }
    }
    if (ndigits == 0) return -1;
    while (nfrac < exponent) {
        frac *= 10;
        nfrac++;
    }
    int64_t scale = 1;
    for (int i = 0; i < exponent; i++)
        scale *= 10;
    if (whole > MONEY_MAX_MINOR / scale) return -1;
    int64_t v = whole * scale + frac + round_up;
    if (v > MONEY_MAX_MINOR) return -1;
    *out = v;
    return 0;
}
