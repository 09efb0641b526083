/* histogram: bucket resolution, percentiles, merging and the fixed memory bound. */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"
#include "histogram.h"

#define US_HOUR 3600000000LL

START_TEST(empty_is_zero)
{
    histogram *h;
    ck_assert_int_eq(histogram_new(US_HOUR, &h), 0);
    ck_assert_uint_eq(histogram_count(h), 0);
    ck_assert_int_eq(histogram_percentile(h, 99), 0);
    ck_assert_int_eq(histogram_min(h), 0);
    ck_assert(histogram_mean(h) == 0.0);
    histogram_free(h);
    histogram_free(NULL);
}
END_TEST

START_TEST(bad_range_refused)
{
    histogram *h = (histogram *)1;
    ck_assert_int_eq(histogram_new(100, &h), -1);
    ck_assert_ptr_null(h);
}
END_TEST

START_TEST(small_values_exact)
{
    histogram *h;
    ck_assert_int_eq(histogram_new(US_HOUR, &h), 0);
    for (int v = 1; v <= 100; v++)
        histogram_record(h, v);
    ck_assert_int_eq(histogram_percentile(h, 50), 50);
    ck_assert_int_eq(histogram_percentile(h, 90), 90);
    ck_assert_int_eq(histogram_percentile(h, 99), 99);
    ck_assert_int_eq(histogram_percentile(h, 100), 100);
    ck_assert_int_eq(histogram_percentile(h, 0), 1);
    ck_assert_int_eq(histogram_min(h), 1);
    ck_assert_int_eq(histogram_max(h), 100);
    ck_assert(histogram_mean(h) == 50.5);
    histogram_free(h);
}
END_TEST

/* Three significant digits: every value comes back within 0.1% of itself. */
START_TEST(three_significant_digits)
{
    histogram *h;
    ck_assert_int_eq(histogram_new(US_HOUR, &h), 0);
    const int64_t vals[] = {2047, 2048, 2049, 12345, 999999, 1234567, 98765432, 3000000000LL};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        histogram_reset(h);
        histogram_record(h, 1); /* so the max cap does not hide the bucket width */
        histogram_record(h, vals[i]);
        histogram_record(h, US_HOUR);
        int64_t got = histogram_percentile(h, 60);
        ck_assert_int_ge(got, vals[i]);
        ck_assert_int_le(got - vals[i], vals[i] / 1000);
    }
    histogram_free(h);
}
END_TEST

START_TEST(over_range_clamped)
{
    histogram *h;
    ck_assert_int_eq(histogram_new(4096, &h), 0);
    histogram_record(h, 1 << 20);
    histogram_record(h, -5);
    ck_assert_int_eq(histogram_max(h), 4096);
    ck_assert_int_eq(histogram_min(h), 0);
    ck_assert_int_eq(histogram_percentile(h, 100), 4096);
    histogram_free(h);
}
END_TEST

START_TEST(merge_adds_counts)
{
    histogram *a, *b, *c;
    ck_assert_int_eq(histogram_new(US_HOUR, &a), 0);
    ck_assert_int_eq(histogram_new(US_HOUR, &b), 0);
    ck_assert_int_eq(histogram_new(1 << 20, &c), 0);
    for (int i = 0; i < 99; i++)
        histogram_record(a, 1000);
    histogram_record_n(b, 1000000, 1);
    ck_assert_int_eq(histogram_percentile(a, 100), 1000);
    ck_assert_int_eq(histogram_merge(a, b), 0);
    ck_assert_uint_eq(histogram_count(a), 100);
    ck_assert_int_eq(histogram_percentile(a, 99), 1000);
    ck_assert_int_eq(histogram_max(a), 1000000);
    ck_assert_int_ge(histogram_percentile(a, 99.5), 1000000);
    ck_assert_int_eq(histogram_merge(a, c), -1); /* different ranges do not mix */
    histogram_free(a);
    histogram_free(b);
    histogram_free(c);
}
END_TEST

/* A million values take no more memory than none. */
START_TEST(memory_is_fixed)
{
    histogram *h;
    ck_assert_int_eq(histogram_new(US_HOUR, &h), 0);
    size_t before = histogram_memory(h);
    for (int64_t i = 0; i < 1000000; i++)
        histogram_record(h, (i * 7919) % US_HOUR);
    ck_assert_uint_eq(histogram_memory(h), before);
    ck_assert_uint_lt(before, 512 * 1024);
    ck_assert_uint_eq(histogram_count(h), 1000000);
    histogram_free(h);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("histogram");
    TCase *t = tcase_create("core");
    tcase_add_test(t, empty_is_zero);
    tcase_add_test(t, bad_range_refused);
    tcase_add_test(t, small_values_exact);
    tcase_add_test(t, three_significant_digits);
    tcase_add_test(t, over_range_clamped);
    tcase_add_test(t, merge_adds_counts);
    tcase_add_test(t, memory_is_fixed);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(suite)
