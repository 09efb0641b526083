/* svg: escaping, one element per bin/bar, markers, the all-or-nothing rule when the
 * buffer is full, and well-formed output (checked by counting open and close tags). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "svg.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

START_TEST(escape_text_and_attributes)
{
    svg_buf b;
    ck_assert_int_eq(svg_buf_init(&b, 256), SVG_OK);
    ck_assert_int_eq(svg_escape(&b, "a<b>&\"c'\x01\td"), SVG_OK);
    ck_assert_str_eq(b.data, "a&lt;b&gt;&amp;&quot;c&#39; d");
    ck_assert_int_eq(svg_escape(&b, NULL), SVG_OK);
    svg_buf_free(&b);
    svg_buf_free(&b);
    svg_buf_free(NULL);
}
END_TEST

START_TEST(printf_respects_cap)
{
    svg_buf b;
    ck_assert_int_eq(svg_buf_init(&b, 8), SVG_OK);
    ck_assert_int_eq(svg_printf(&b, "%s", "12345678"), SVG_OK);
    ck_assert_int_eq(svg_printf(&b, "x"), SVG_EFULL);
    ck_assert(b.full);
    ck_assert_str_eq(b.data, "12345678");
    svg_buf_free(&b);
}
END_TEST

START_TEST(histogram_bins_and_marker)
{
    double a[20] = {0}, c2[20] = {0};
    for (int i = 0; i < 20; i++) {
        a[i] = i * 3;
        c2[i] = 60 - i * 3;
    }
    a[5] = NAN;
    svg_series s[2] = {{.label = "2026.09 <old>", .y = a, .n = 20},
                       {.label = "2026.12", .y = c2, .n = 20}};
    svg_marker m = {.x = 0.85, .label = "threshold 0.85"};
    svg_chart c = {.id = "conf 1",
                   .title = "Confidence & threshold",
                   .x_min = 0,
                   .x_max = 1,
                   .series = s,
                   .nseries = 2,
                   .markers = &m,
                   .nmarkers = 1,
                   .flags = SVG_NORMALIZE};
    svg_buf b;
    ck_assert_int_eq(svg_buf_init(&b, 1 << 16), SVG_OK);
    ck_assert_int_eq(svg_histogram(&b, &c), SVG_OK);
    ck_assert_uint_eq(count(b.data, "<svg "), 1);
    ck_assert_uint_eq(count(b.data, "</svg>"), 1);
    ck_assert_uint_eq(count(b.data, "class=\"bar\""), 40);
    ck_assert_uint_eq(count(b.data, "class=\"marker\""), 1);
    ck_assert_ptr_nonnull(strstr(b.data, "data-chart=\"conf_1\""));
    ck_assert_ptr_nonnull(strstr(b.data, "Confidence &amp; threshold"));
    ck_assert_ptr_nonnull(strstr(b.data, "2026.09 &lt;old&gt;"));
    ck_assert_ptr_null(strstr(b.data, "nan"));
    /* the marker sits at 85 % of the plot width: left margin 64, plot 560 wide */
    ck_assert_ptr_nonnull(strstr(b.data, "x1=\"540.0\""));
    svg_buf_free(&b);
}
END_TEST

START_TEST(line_stacked_and_bars)
{
    double x[4] = {0, 1, 2, 3}, y[4] = {10, 20, 40, 1000};
    svg_series s = {.label = "p", .x = x, .y = y, .n = 4};
    svg_tick t[2] = {{0, "p0"}, {3, "p99.9"}};
    svg_chart c = {
        .id = "lat", .title = "Percentiles", .series = &s, .nseries = 1, .ticks = t, .nticks = 2};
    svg_buf b;
    ck_assert_int_eq(svg_buf_init(&b, 1 << 16), SVG_OK);
    ck_assert_int_eq(svg_line(&b, &c), SVG_OK);
    ck_assert_uint_eq(count(b.data, "class=\"point\""), 4);
    ck_assert_uint_eq(count(b.data, "<polyline"), 1);
    ck_assert_ptr_nonnull(strstr(b.data, ">p99.9<"));

    double ok[3] = {5, 0, 5}, bad[3] = {0, 7, 1};
    svg_series st[2] = {{.label = "2xx", .y = ok, .n = 3}, {.label = "429", .y = bad, .n = 3}};
    svg_chart c2 = {.id = "status", .series = st, .nseries = 2, .x_min = 0, .x_max = 3};
    ck_assert_int_eq(svg_stacked(&b, &c2), SVG_OK);
    /* zero counts draw nothing: 4 non-zero cells */
    ck_assert_uint_eq(count(b.data, "data-series="), 4);
    ck_assert_uint_eq(count(b.data, "class=\"bucket\""), 3);

    const char *labels[2] = {"order_routing", "fraud_score"};
    double v[2] = {1.5, 0.25};
    const char *vl[2] = {"1.50 CNY", NULL};
    svg_chart c3 = {.id = "cost", .title = "Cost"};
    ck_assert_int_eq(svg_bars(&b, &c3, labels, v, vl, 2), SVG_OK);
    ck_assert_ptr_nonnull(strstr(b.data, ">1.50 CNY<"));
    ck_assert_ptr_nonnull(strstr(b.data, ">0.25<"));
    ck_assert_uint_eq(count(b.data, "<svg "), 3);
    ck_assert_uint_eq(count(b.data, "</svg>"), 3);
    ck_assert_uint_eq(count(b.data, "<g"), count(b.data, "</g>"));
    ck_assert_uint_eq(count(b.data, "<text"), count(b.data, "</text>"));

    /* mismatched series lengths are refused */
    st[1].n = 2;
    ck_assert_int_eq(svg_stacked(&b, &c2), SVG_EINVAL);
    svg_buf_free(&b);
}
END_TEST

START_TEST(full_buffer_rolls_back)
{
    double y[50];
    for (int i = 0; i < 50; i++)
        y[i] = i;
    svg_series s = {.y = y, .n = 50};
    svg_chart c = {.id = "h", .series = &s, .nseries = 1, .x_min = 0, .x_max = 50};
    svg_buf b;
    ck_assert_int_eq(svg_buf_init(&b, 2000), SVG_OK);
    ck_assert_int_eq(svg_printf(&b, "<p>before</p>"), SVG_OK);
    ck_assert_int_eq(svg_histogram(&b, &c), SVG_EFULL);
    ck_assert_str_eq(b.data, "<p>before</p>");
    ck_assert(!b.full);
    /* the buffer is still usable afterwards */
    ck_assert_int_eq(svg_printf(&b, "<p>after</p>"), SVG_OK);
    svg_chart bad = c;
    bad.nseries = 1;
    bad.series = NULL;
    ck_assert_int_eq(svg_histogram(&b, &bad), SVG_EINVAL);
    svg_buf_free(&b);
}
END_TEST

static Suite *svg_suite(void)
{
    Suite *s = suite_create("svg");
    TCase *tc = tcase_create("svg");
    tcase_add_test(tc, escape_text_and_attributes);
    tcase_add_test(tc, printf_respects_cap);
    tcase_add_test(tc, histogram_bins_and_marker);
    tcase_add_test(tc, line_stacked_and_bars);
    tcase_add_test(tc, full_buffer_rolls_back);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(svg_suite)
