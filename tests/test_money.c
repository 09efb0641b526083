#include <check.h>
#include <stdint.h>

#include "check_main.h"
#include "money.h"

START_TEST(split_adds_up_remainder_first)
{
    int64_t s[3];
    ck_assert_int_eq(money_split(10000, 3, s), 0);
    ck_assert_int_eq(s[0], 3334);
    ck_assert_int_eq(s[1], 3333);
    ck_assert_int_eq(s[2], 3333);
    ck_assert_int_eq(s[0] + s[1] + s[2], 10000);
    ck_assert_int_eq(money_split(1, 2, s), 0);
    ck_assert_int_eq(s[0], 1);
    ck_assert_int_eq(s[1], 0);
    ck_assert_int_eq(money_split(100, 0, s), -1);
    ck_assert_int_eq(money_split(-1, 2, s), -1);
}
END_TEST

START_TEST(split_many_totals)
{
    int64_t s[7];
    for (int64_t total = 0; total < 2000; total += 37) {
        for (size_t n = 1; n <= 7; n++) {
            ck_assert_int_eq(money_split(total, n, s), 0);
            int64_t sum = 0;
            for (size_t i = 0; i < n; i++)
                sum += s[i];
            ck_assert_int_eq(sum, total);
            for (size_t i = 1; i < n; i++)
                ck_assert_int_le(s[0] - s[i], (int64_t)n - 1);
        }
    }
}
END_TEST

START_TEST(basis_points_round_half_up)
{
    int64_t v;
    ck_assert_int_eq(money_apply_bp(36000, 1500, &v), 0);
    ck_assert_int_eq(v, 5400);
    ck_assert_int_eq(money_apply_bp(20000, 1800, &v), 0);
    ck_assert_int_eq(v, 3600);
    ck_assert_int_eq(money_apply_bp(1, 5000, &v), 0); /* 0.5 rounds up */
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(money_apply_bp(3, 3333, &v), 0); /* 0.9999 */
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(money_apply_bp(INT64_MAX, 20000, &v), -1);
}
END_TEST

START_TEST(token_cost_micros)
{
    int64_t v;
    ck_assert_int_eq(money_token_cost(84, 3000, 1, &v), 0); /* the contract's example */
    ck_assert_int_eq(v, 252);
    ck_assert_int_eq(money_token_cost(84, 3000, 3, &v), 0); /* multimodal */
    ck_assert_int_eq(v, 756);
    ck_assert_int_eq(money_token_cost(1, 3000, 1, &v), 0);
    ck_assert_int_eq(v, 3);
    ck_assert_int_eq(money_token_cost(1, 1, 1, &v), 0); /* 0.001 micros rounds to 0 */
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(money_token_cost(INT64_MAX, INT64_MAX, 2, &v), -1);
}
END_TEST

START_TEST(parse_decimal)
{
    int64_t v;
    ck_assert_int_eq(money_parse_decimal("128", 3, 2, &v), 0);
    ck_assert_int_eq(v, 12800);
    ck_assert_int_eq(money_parse_decimal("128.50", 6, 2, &v), 0);
    ck_assert_int_eq(v, 12850);
    ck_assert_int_eq(money_parse_decimal("1,280.5", 7, 2, &v), 0);
    ck_assert_int_eq(v, 128050);
    ck_assert_int_eq(money_parse_decimal("0.125", 5, 2, &v), 0);
    ck_assert_int_eq(v, 13);
    ck_assert_int_eq(money_parse_decimal("1500", 4, 0, &v), 0); /* JPY */
    ck_assert_int_eq(v, 1500);
    ck_assert_int_eq(money_parse_decimal("12a", 3, 2, &v), -1);
    ck_assert_int_eq(money_parse_decimal("", 0, 2, &v), -1);
    ck_assert_int_eq(money_parse_decimal("1.2.3", 5, 2, &v), -1);
    ck_assert_int_eq(money_parse_decimal("99999999999999999999", 20, 2, &v), -1);
}
END_TEST

START_TEST(exponents)
{
    ck_assert_int_eq(money_exponent("CNY"), 2);
    ck_assert_int_eq(money_exponent("usd"), 2);
    ck_assert_int_eq(money_exponent("JPY"), 0);
    ck_assert_int_eq(money_exponent("XXX"), -1);
    ck_assert_int_eq(money_exponent(NULL), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("money");
    TCase *tc = tcase_create("arithmetic");
    tcase_add_test(tc, split_adds_up_remainder_first);
    tcase_add_test(tc, split_many_totals);
    tcase_add_test(tc, basis_points_round_half_up);
    tcase_add_test(tc, token_cost_micros);
    tcase_add_test(tc, parse_decimal);
    tcase_add_test(tc, exponents);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
