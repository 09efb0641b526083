/* money: integer amounts in minor units (fen, cents) and micros.
 *
 * No floating point touches money. Amounts are int64 minor units of their
 * currency; prices and costs are int64 micros (millionths of the unit).
 * Overflowing arithmetic is reported, never wrapped. */
#ifndef WXAI_MONEY_H
#define WXAI_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define MONEY_MAX_MINOR 1000000000000000LL /* 10^15 minor units: beyond any payment */

/* Minor-unit exponent of an ISO 4217 code (2 for CNY, 0 for JPY), or -1 if unknown. */
int money_exponent(const char *code);
/* Split total into n shares that add up exactly; the remainder goes to shares[0].
 * Returns 0, or -1 if n == 0 or total < 0. */
int money_split(int64_t total, size_t n, int64_t *shares);
/* total * bp / 10000, rounded half up (basis points: 1500 = 15%). -1 on overflow. */
int money_apply_bp(int64_t total, int64_t bp, int64_t *out);
/* Cost in micros of `tokens` at `per_1k_micros` per 1,000 tokens, times multiplier,
 * rounded half up. -1 on overflow. */
int money_token_cost(int64_t tokens, int64_t per_1k_micros, int64_t multiplier, int64_t *out);
/* Parse a decimal string ("128", "128.5", "1,280.50") into minor units with
 * `exponent` decimals, rounding half up past them. -1 if not a number or too big. */
int money_parse_decimal(const char *s, size_t len, int exponent, int64_t *out);
/* a + b with overflow check. */
int money_add(int64_t a, int64_t b, int64_t *out);

#endif
