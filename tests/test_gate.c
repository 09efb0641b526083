/* gate: the grammar (calls, nested calls, labels, paths, units), errors that point at the
 * offending character, unit/dimension checks against a vocabulary, the evaluator's
 * comparisons and no-data rule, and the run vocabulary over real stats. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "gate.h"
#include "measure.h"

static gate_expr e;
static gate_error err;

static int parse(const char *t)
{
    return gate_parse(t, measure_vocab(), &e, &err);
}

START_TEST(design_examples_parse)
{
    ck_assert_int_eq(parse("p95(latency)<200ms"), GATE_OK);
    ck_assert_uint_eq(e.nnodes, 2);
    ck_assert_str_eq(e.nodes[0].name, "p95");
    ck_assert_str_eq(e.nodes[1].name, "latency");
    ck_assert_int_eq(e.op, GATE_LT);
    ck_assert(e.threshold == 200000.0);
    ck_assert_int_eq(e.dim, GATE_DIM_TIME);

    ck_assert_int_eq(parse("p99(latency{endpoint=fraud_score})<150ms"), GATE_OK);
    ck_assert_str_eq(gate_label_get(&e, 1, "endpoint"), "fraud_score");
    ck_assert_uint_eq(e.lhs_len, strlen("p99(latency{endpoint=fraud_score})"));

    ck_assert_int_eq(parse("rate(conformance)==100%"), GATE_OK);
    ck_assert_int_eq(e.op, GATE_EQ);
    ck_assert(fabs(e.threshold - 1.0) < 1e-12);

    ck_assert_int_eq(parse("cost.total<50CNY"), GATE_OK);
    ck_assert(e.threshold == 50e6);
    ck_assert_int_eq(e.dim, GATE_DIM_MONEY);

    ck_assert_int_eq(parse(" rate( fallback ) < 10 % "), GATE_OK);
    ck_assert(fabs(e.threshold - 0.1) < 1e-12);

    ck_assert_int_eq(parse("p99.9(latency_uncorrected)<=1.5s"), GATE_OK);
    ck_assert_str_eq(e.nodes[0].name, "p99.9");
    ck_assert(e.threshold == 1.5e6);
    ck_assert_int_eq(parse("rate(429{endpoint=order_routing})<1%"), GATE_OK);
    ck_assert_int_eq(parse("count(failures{check=response_schema_conformance})==0"), GATE_OK);
    ck_assert_int_eq(parse("cost.per_1000{endpoint=\"fraud_score\"}<=10.5CNY"), GATE_OK);
    ck_assert_str_eq(gate_label_get(&e, 0, "endpoint"), "fraud_score");
    ck_assert_int_eq(parse("rate(errors)<0.01"), GATE_OK);
    ck_assert(fabs(e.threshold - 0.01) < 1e-12);
}
END_TEST

/* Each bad expression, the code, and the offset the caret must point at. */
static const struct {
    const char *text;
    int code;
    size_t pos;
    const char *msg;
} bad[] = {
    {"p95x(latency)<200ms", GATE_EUNKNOWN, 0, "unknown function 'p95x'"},
    {"p95(latency)<200", GATE_ESYNTAX, 16, "add a unit"},
    {"p95(latency)<200kg", GATE_ESYNTAX, 16, "unknown unit 'kg'"},
    {"p95(latency)<20%", GATE_ESYNTAX, 15, "does not fit"},
    {"p95(latency)=200ms", GATE_ESYNTAX, 12, "'=='"},
    {"p95(latency<200ms", GATE_ESYNTAX, 11, "expected ')'"},
    {"p95(latncy)<200ms", GATE_EUNKNOWN, 4, "takes one of"},
    {"p95(latency{endpint=x})<1ms", GATE_EUNKNOWN, 12, "no label 'endpint'"},
    {"p95(latency{endpoint=})<1ms", GATE_ESYNTAX, 21, "expected a value"},
    {"p95(latency) < ms", GATE_ESYNTAX, 15, "expected a number"},
    {"p95(latency)<1ms and", GATE_ESYNTAX, 17, "unexpected text"},
    {"p101(latency)<1ms", GATE_EUNKNOWN, 0, "unknown function"},
    {"cost.totl<5CNY", GATE_EUNKNOWN, 0, "unknown figure"},
    {"rate(fallback{endpoint=x})<1%", GATE_EUNKNOWN, 14, "no label"},
    {"count(requests)<5ms", GATE_ESYNTAX, 17, "does not fit"},
    {"", GATE_ESYNTAX, 0, "expected a name"},
    {"rate(rate(fallback))<1%", GATE_EUNKNOWN, 5, "takes one of"},
    {"p95()<1ms", GATE_ESYNTAX, 4, "needs an argument"},
};

START_TEST(bad_expressions_point_at_the_character)
{
    int rc = parse(bad[_i].text);
    ck_assert_msg(rc == bad[_i].code, "%s: rc %d (%s)", bad[_i].text, rc, err.msg);
    ck_assert_msg(err.pos == bad[_i].pos, "%s: pos %zu, wanted %zu (%s)", bad[_i].text, err.pos,
                  bad[_i].pos, err.msg);
    ck_assert_msg(strstr(err.msg, bad[_i].msg), "%s: %s", bad[_i].text, err.msg);
}
END_TEST

START_TEST(caret_lines_up)
{
    ck_assert_int_eq(parse("p95(latency)<200kg"), GATE_ESYNTAX);
    char buf[256];
    gate_caret(e.text, &err, "  ", buf, sizeof buf);
    ck_assert_str_eq(buf, "  p95(latency)<200kg\n                  ^");
    /* a tiny buffer is cut, never overrun */
    char small[8];
    gate_caret(e.text, &err, "  ", small, sizeof small);
    ck_assert_uint_lt(strlen(small), sizeof small);
}
END_TEST

/* A vocabulary like the drift comparison's: a nested delta() keeps its argument's unit. */
static const char *const conf[] = {"confidence", NULL};
static const char *const fb[] = {"fallback", NULL};
static const gate_func drift_funcs[] = {
    {"psi", GATE_DIM_NUMBER, conf, NULL},
    {"ks", GATE_DIM_NUMBER, conf, NULL},
    {"rate", GATE_DIM_RATIO, fb, NULL},
    {"delta", GATE_DIM_ARG, NULL, NULL},
};
static const gate_vocab drift = {drift_funcs, 4, NULL, 0};

static int fake(void *ctx, const gate_expr *x, double *v)
{
    (void)ctx;
    if (!strcmp(x->nodes[0].name, "psi"))
        *v = 0.12;
    else if (!strcmp(x->nodes[0].name, "delta") && !strcmp(x->nodes[1].name, "rate"))
        *v = 0.031; /* 3.1 percentage points */
    else
        return GATE_ENODATA;
    return GATE_OK;
}

START_TEST(nested_calls_and_custom_vocabulary)
{
    ck_assert_int_eq(gate_parse("delta(rate(fallback))<2pp", &drift, &e, &err), GATE_OK);
    ck_assert_uint_eq(e.nnodes, 3);
    ck_assert_int_eq(e.dim, GATE_DIM_RATIO);
    ck_assert(fabs(e.threshold - 0.02) < 1e-12);
    gate_result r;
    ck_assert_int_eq(gate_eval(&e, fake, NULL, &r), GATE_OK);
    ck_assert_int_eq(r.verdict, GATE_FAIL);
    ck_assert_str_eq(r.observed_text, "3.1pp");
    ck_assert_str_eq(r.message, "delta(rate(fallback)) = 3.1pp, wanted < 2pp");

    ck_assert_int_eq(gate_parse("psi(confidence)<0.2", &drift, &e, &err), GATE_OK);
    ck_assert_int_eq(gate_eval(&e, fake, NULL, &r), GATE_OK);
    ck_assert_int_eq(r.verdict, GATE_PASS);
    ck_assert_int_eq(gate_parse("psi(confidence)<0.2ms", &drift, &e, &err), GATE_ESYNTAX);
    ck_assert_int_eq(gate_parse("delta(fallback)<2pp", &drift, &e, &err), GATE_EUNKNOWN);
    ck_assert_int_eq(gate_parse("ks(confidence)<0.1", &drift, &e, &err), GATE_OK);
    ck_assert_int_eq(gate_eval(&e, fake, NULL, &r), GATE_ENODATA);
    ck_assert_int_eq(r.verdict, GATE_FAIL);
    ck_assert(!r.has_value);
    ck_assert_ptr_nonnull(strstr(r.message, "no data"));
    ck_assert_int_eq(gate_parse("delta(delta(delta(rate(fallback))))<1pp", &drift, &e, &err),
                     GATE_ESYNTAX);
    /* grammar only: any name; the unit says the dimension */
    ck_assert_int_eq(gate_parse("whatever(x{a=1,b=2})>=3s", NULL, &e, &err), GATE_OK);
    ck_assert_int_eq(e.dim, GATE_DIM_TIME);
    ck_assert_str_eq(gate_label_get(&e, 1, "b"), "2");
}
END_TEST

static int constant(void *ctx, const gate_expr *x, double *v)
{
    (void)x;
    *v = *(double *)ctx;
    return GATE_OK;
}

START_TEST(comparisons)
{
    gate_result r;
    double v = 1.0;
    ck_assert_int_eq(gate_parse("rate(x)==100%", NULL, &e, &err), GATE_OK);
    gate_eval(&e, constant, &v, &r);
    ck_assert_int_eq(r.verdict, GATE_PASS);
    v = 0.999;
    gate_eval(&e, constant, &v, &r);
    ck_assert_int_eq(r.verdict, GATE_FAIL);
    ck_assert_str_eq(r.observed_text, "99.9%");
    const char *ops[] = {"a(x)<5ms", "a(x)<=5ms", "a(x)>5ms", "a(x)>=5ms", "a(x)!=5ms"};
    int at5[] = {GATE_FAIL, GATE_PASS, GATE_FAIL, GATE_PASS, GATE_FAIL};
    int at4[] = {GATE_PASS, GATE_PASS, GATE_FAIL, GATE_FAIL, GATE_PASS};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(gate_parse(ops[i], NULL, &e, &err), GATE_OK);
        v = 5000;
        gate_eval(&e, constant, &v, &r);
        ck_assert_msg((int)r.verdict == at5[i], "%s at 5ms", ops[i]);
        v = 4000;
        gate_eval(&e, constant, &v, &r);
        ck_assert_msg((int)r.verdict == at4[i], "%s at 4ms", ops[i]);
    }
    v = NAN;
    gate_eval(&e, constant, &v, &r);
    ck_assert_int_eq(r.verdict, GATE_FAIL);
    ck_assert(!r.has_value);
}
END_TEST

START_TEST(run_vocabulary_over_stats)
{
    stats st;
    ck_assert_int_eq(stats_init(&st), 0);
    check_results cr;
    memset(&cr, 0, sizeof cr);
    cr.enabled = ~0u;
    exchange ex;
    memset(&ex, 0, sizeof ex);
    strcpy(ex.path, "/v3/ai/order-routing");
    for (int i = 0; i < 100; i++) {
        ex.status = i < 90 ? 200 : i < 95 ? 429 : 503;
        ex.intended_us = 1000000 + i * 1000;
        ex.sent_us = ex.intended_us;
        ex.done_us = ex.sent_us + (i + 1) * 1000; /* 1..100 ms */
        stats_exchange(&st, "order_routing", "wechatpay-ai", &ex);
    }
    stats_cost(&st, "order_routing", "wechatpay-ai", 100, 10, 2500000);
    st.records = 100;
    st.out_ready = 80;
    st.out_form = 20;
    cr.t[CK_SIGNATURE].passed = 99;
    cr.t[CK_SIGNATURE].failed = 1;
    measure_ctx m = {&st, &cr};
    gate_result r;

    ck_assert_int_eq(parse("p95(latency)<=96ms"), GATE_OK);
    ck_assert_int_eq(gate_eval(&e, measure_resolve, &m, &r), GATE_OK);
    ck_assert(fabs(r.observed - 95000) < 100);
    ck_assert_int_eq(r.verdict, GATE_PASS);
    ck_assert_int_eq(parse("p95(latency{endpoint=order_routing})<90ms"), GATE_OK);
    gate_eval(&e, measure_resolve, &m, &r);
    ck_assert_int_eq(r.verdict, GATE_FAIL);
    ck_assert_int_eq(parse("p95(latency{endpoint=fraud_score})<90ms"), GATE_OK);
    ck_assert_int_eq(gate_eval(&e, measure_resolve, &m, &r), GATE_ENODATA);
    ck_assert_int_eq(r.verdict, GATE_FAIL);

    ck_assert_int_eq(parse("rate(429)<=5%"), GATE_OK);
    gate_eval(&e, measure_resolve, &m, &r);
    ck_assert(fabs(r.observed - 0.05) < 1e-12);
    ck_assert_int_eq(r.verdict, GATE_PASS);
    ck_assert_int_eq(parse("count(5xx{endpoint=order_routing})==5"), GATE_OK);
    gate_eval(&e, measure_resolve, &m, &r);
    ck_assert_int_eq(r.verdict, GATE_PASS);
    ck_assert_int_eq(parse("rate(fallback)<10%"), GATE_OK);
    gate_eval(&e, measure_resolve, &m, &r);
    ck_assert(fabs(r.observed - 0.2) < 1e-12);
    ck_assert_int_eq(r.verdict, GATE_FAIL);
    ck_assert_int_eq(parse("rate(conformance)==100%"), GATE_OK);
    gate_eval(&e, measure_resolve, &m, &r);
    ck_assert(fabs(r.observed - 0.99) < 1e-12);
    ck_assert_int_eq(r.verdict, GATE_FAIL);
    ck_assert_int_eq(parse("rate(conformance{check=nope})==100%"), GATE_OK);
    ck_assert_int_eq(gate_eval(&e, measure_resolve, &m, &r), GATE_EUNKNOWN);
    ck_assert_int_eq(parse("cost.total<2.5CNY"), GATE_OK);
    gate_eval(&e, measure_resolve, &m, &r);
    ck_assert_int_eq(r.verdict, GATE_FAIL); /* exactly 2.5 is not below 2.5 */
    ck_assert_str_eq(r.observed_text, "2.5CNY");
    ck_assert_int_eq(parse("cost.per_1000<=25CNY"), GATE_OK);
    gate_eval(&e, measure_resolve, &m, &r);
    ck_assert(fabs(r.observed - 25e6) < 1);
    ck_assert_int_eq(r.verdict, GATE_PASS);

    /* the status series: everything in the first bucket (100 ms wide) */
    ck_assert_uint_eq(st.ts[0][STATS_TS_2XX] + st.ts[0][STATS_TS_429] + st.ts[0][STATS_TS_5XX],
                      100);
    stats_free(&st);
}
END_TEST

START_TEST(time_series_merges_in_fixed_memory)
{
    stats st;
    ck_assert_int_eq(stats_init(&st), 0);
    exchange ex;
    memset(&ex, 0, sizeof ex);
    /* one exchange a second for 10 minutes: far more than 120 buckets of 100 ms */
    for (int i = 0; i < 600; i++) {
        ex.status = (i >= 300 && i < 310) ? 503 : 200;
        ex.sent_us = ex.intended_us = 5000000 + (int64_t)i * 1000000;
        ex.done_us = ex.sent_us + 1000;
        stats_exchange(&st, "order_routing", "wechatpay-ai", &ex);
    }
    ck_assert_int_ge(st.ts_bucket_us * STATS_TIME_BUCKETS, 600LL * 1000000);
    ck_assert_int_lt(st.ts_bucket_us * STATS_TIME_BUCKETS / 2, 600LL * 1000000);
    uint64_t ok = 0, down = 0;
    for (int i = 0; i < STATS_TIME_BUCKETS; i++) {
        ok += st.ts[i][STATS_TS_2XX];
        down += st.ts[i][STATS_TS_5XX];
    }
    ck_assert_uint_eq(ok, 590);
    ck_assert_uint_eq(down, 10);
    /* the outage sits where it happened: second 300 of 600 is in the middle */
    int64_t b = 300LL * 1000000 / st.ts_bucket_us;
    ck_assert_uint_gt(st.ts[b][STATS_TS_5XX], 0);
    stats_free(&st);
}
END_TEST

static Suite *gate_suite(void)
{
    Suite *s = suite_create("gate");
    TCase *tc = tcase_create("gate");
    tcase_add_test(tc, design_examples_parse);
    tcase_add_loop_test(tc, bad_expressions_point_at_the_character, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, caret_lines_up);
    tcase_add_test(tc, nested_calls_and_custom_vocabulary);
    tcase_add_test(tc, comparisons);
    tcase_add_test(tc, run_vocabulary_over_stats);
    tcase_add_test(tc, time_series_merges_in_fixed_memory);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(gate_suite)
