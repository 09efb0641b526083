/* metrics: counts by endpoint and status, cumulative latency buckets, token
 * and cost counters, and a reset that zeroes them. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "label.h"
#include "metrics.h"

static long value(const char *text, const char *series)
{
    const char *at = strstr(text, series);
    size_t n = strlen(series);
    while (at && at[n] != ' ')
        at = strstr(at + 1, series);
    return at ? strtol(at + n + 1, NULL, 10) : -1;
}

static char *render(metrics *m)
{
    char *out = NULL;
    size_t len = 0;
    metrics_info info = {.model_endpoint = {"order_routing", "fraud_score"},
                         .model_version = {"2026.12", "v1"},
                         .nmodels = 2,
                         .scenario = "a\"b",
                         .currency = "CNY"};
    ck_assert_int_eq(metrics_render(m, &info, &out, &len), 0);
    ck_assert_uint_eq(strlen(out), len);
    return out;
}

START_TEST(counts_and_buckets)
{
    metrics *m = NULL;
    ck_assert_int_eq(metrics_new(&m), 0);
    int64_t ms[] = {1, 5, 6, 99, 100, 101, 20000};
    for (size_t i = 0; i < 7; i++) {
        metrics_sample s = {.endpoint = LABEL_ORDER_ROUTING,
                            .status = 200,
                            .elapsed_ms = ms[i],
                            .input_tokens = 10,
                            .output_tokens = 3,
                            .cost_micros = 39};
        metrics_observe(m, &s);
    }
    metrics_sample e = {.endpoint = LABEL_FRAUD_SCORE, .status = 503, .elapsed_ms = 2};
    metrics_observe(m, &e);
    metrics_sample odd = {.endpoint = LABEL_OTHER, .status = 999};
    metrics_observe(m, &odd); /* out-of-range statuses count as 500, not out of bounds */
    metrics_reload(m, 1);
    metrics_reload(m, 0);
    metrics_reload(m, 0);

    ck_assert_uint_eq(metrics_requests(m, LABEL_ORDER_ROUTING, 200), 7);
    ck_assert_uint_eq(metrics_requests(m, LABEL_ORDER_ROUTING, 0), 7);
    ck_assert_uint_eq(metrics_requests(m, LABEL_OTHER, 500), 1);
    char *t = render(m);
    ck_assert_int_eq(value(t, "wxai_requests_total{endpoint=\"order_routing\",status=\"200\"}"), 7);
    ck_assert_int_eq(value(t, "wxai_requests_total{endpoint=\"fraud_score\",status=\"503\"}"), 1);
    const char *b = "wxai_request_duration_seconds_bucket{endpoint=\"order_routing\",le=";
    char series[160];
    struct {
        const char *le;
        long want;
    } cum[] = {{"0.005", 2}, {"0.010", 3}, {"0.100", 5}, {"0.250", 6}, {"10.000", 6}, {"+Inf", 7}};
    for (size_t i = 0; i < sizeof cum / sizeof cum[0]; i++) {
        snprintf(series, sizeof series, "%s\"%s\"}", b, cum[i].le);
        ck_assert_int_eq(value(t, series), cum[i].want);
    }
    ck_assert_int_eq(value(t, "wxai_request_duration_seconds_count{endpoint=\"order_routing\"}"),
                     7);
    ck_assert_ptr_nonnull(
        strstr(t, "wxai_request_duration_seconds_sum{endpoint=\"order_routing\"} 20.312\n"));
    ck_assert_int_eq(value(t, "wxai_tokens_total{endpoint=\"order_routing\",direction=\"input\"}"),
                     70);
    ck_assert_int_eq(value(t, "wxai_tokens_total{endpoint=\"order_routing\",direction=\"output\"}"),
                     21);
    ck_assert_int_eq(
        value(t, "wxai_cost_micros_total{endpoint=\"order_routing\",currency=\"CNY\"}"), 273);
    ck_assert_ptr_nonnull(
        strstr(t, "wxai_model_version_info{model=\"order_routing\",version=\"2026.12\"} 1\n"));
    ck_assert_ptr_nonnull(
        strstr(t, "wxai_model_version_info{model=\"fraud_score\",version=\"v1\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "wxai_scenario_info{name=\"a\\\"b\"} 1\n"));
    ck_assert_int_eq(value(t, "wxai_scenario_reloads_total{result=\"ok\"}"), 1);
    ck_assert_int_eq(value(t, "wxai_scenario_reloads_total{result=\"refused\"}"), 2);
    free(t);

    metrics_reset(m);
    t = render(m);
    ck_assert_ptr_null(strstr(t, "wxai_requests_total{"));
    ck_assert_ptr_null(strstr(t, "wxai_request_duration_seconds_bucket"));
    ck_assert_int_eq(value(t, "wxai_scenario_reloads_total{result=\"refused\"}"), 0);
    free(t);
    metrics_free(m);
    metrics_free(NULL);
}
END_TEST

#define WRITERS 20
#define PER_WRITER 1000

static void *writer(void *arg)
{
    metrics *m = arg;
    for (int i = 0; i < PER_WRITER; i++) {
        metrics_sample s = {.endpoint = LABEL_ORDER_ROUTING,
                            .status = i % 2 ? 200 : 429,
                            .elapsed_ms = i % 2 ? 3 : 700,
                            .input_tokens = 2,
                            .output_tokens = 1,
                            .cost_micros = 5};
        metrics_observe(m, &s);
    }
    return NULL;
}

/* Twenty threads count at once: no addition may be lost, and a reset zeroes all of it. */
START_TEST(threads_add_up)
{
    metrics *m = NULL;
    pthread_t t[WRITERS];
    ck_assert_int_eq(metrics_new(&m), 0);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < WRITERS; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, writer, m), 0);
        for (int i = 0; i < WRITERS; i++)
            pthread_join(t[i], NULL);
        long half = WRITERS * PER_WRITER / 2;
        ck_assert_uint_eq(metrics_requests(m, LABEL_ORDER_ROUTING, 200), half);
        ck_assert_uint_eq(metrics_requests(m, LABEL_ORDER_ROUTING, 0), 2 * half);
        char *text = render(m);
        ck_assert_int_eq(
            value(text, "wxai_requests_total{endpoint=\"order_routing\",status=\"429\"}"), half);
        ck_assert_int_eq(value(text, "wxai_request_duration_seconds_bucket{endpoint=\"order_"
                                     "routing\",le=\"0.005\"}"),
                         half);
        ck_assert_int_eq(value(text, "wxai_request_duration_seconds_count{endpoint=\"order_"
                                     "routing\"}"),
                         2 * half);
        ck_assert_int_eq(
            value(text, "wxai_tokens_total{endpoint=\"order_routing\",direction=\"input\"}"),
            4 * half);
        ck_assert_int_eq(
            value(text, "wxai_cost_micros_total{endpoint=\"order_routing\",currency=\"CNY\"}"),
            10 * half);
        free(text);
        metrics_reset(m); /* the second round starts from zero */
        ck_assert_uint_eq(metrics_requests(m, LABEL_ORDER_ROUTING, 0), 0);
    }
    metrics_free(m);
}
END_TEST

START_TEST(labels)
{
    ck_assert_str_eq(label_name(label_of("/v3/ai/order-routing")), "order_routing");
    ck_assert_str_eq(label_name(label_of("/v3/ai/order-routing/clarifications/clr_1")),
                     "clarification");
    ck_assert_str_eq(label_name(label_of("/v3/ai/fraud-score/batches/b1")), "fraud_score_batch");
    ck_assert_str_eq(label_name(label_of("/v1/chat/completions")), "chat");
    ck_assert_int_eq(label_of("/__admin/health"), LABEL_ADMIN);
    ck_assert_int_eq(label_of("/v3/ai/order-routingX"), LABEL_OTHER);
    ck_assert_str_eq(label_name(-1), "other");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, counts_and_buckets);
    tcase_add_test(tc, threads_add_up);
    tcase_add_test(tc, labels);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
