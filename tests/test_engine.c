/* engine: latency draws follow their configured distributions (two-sample KS against an
 * independent reference sampler written here), token-bucket arithmetic, fault schedules and
 * outage windows on a virtual clock, drift exactly at request N and at time T, and draws
 * that depend on the request, not on the order requests arrive in. */
#include <check.h>
#include <civetweb.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "clock.h"
#include "diag.h"
#include "engine.h"
#include "latency.h"
#include "ratelimit.h"
#include "rng.h"
#include "scenario.h"

#define N 2000
#define T0 1796400000000LL /* a virtual instant, 2026-12-04 */
/* two-sample KS critical value for n = m = 2000 at alpha = 0.001: 1.949 * sqrt(2 / 2000) */
#define KS_CRIT 0.0617

static scenario *load(const char *text)
{
    diag d;
    scenario *sc = NULL;
    diag_init(&d, "t.yaml");
    int rc = scenario_load_buffer(text, strlen(text), "t.yaml", NULL, &d, &sc);
    char *all = diag_join(&d);
    ck_assert_msg(rc == 0, "errors: %s", all ? all : "");
    free(all);
    diag_free(&d);
    return sc;
}

static char *errors_of(const char *text)
{
    diag d;
    scenario *sc = NULL;
    diag_init(&d, "t.yaml");
    int rc = scenario_load_buffer(text, strlen(text), "t.yaml", NULL, &d, &sc);
    ck_assert_int_ne(rc, 0);
    char *all = diag_join(&d);
    diag_free(&d);
    return all;
}

#define MERCHANT                                                                                   \
    "merchants: [{mchid: m1, client_secret: s, api_keys: [{serial: A, secret: k}], "               \
    "scopes: [ai_payment_intelligence]}, {mchid: m2, client_secret: s, api_keys: [{serial: A, "    \
    "secret: k}]}]\n"

/* ---- the reference sampler: xorshift64*, Marsaglia's polar method, our own interpolation ---- */

typedef struct ref_rng {
    uint64_t s;
} ref_rng;

static double ref_unit(ref_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return ((double)((r->s * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
}

static double ref_normal(ref_rng *r)
{
    for (;;) {
        double u = 2 * ref_unit(r) - 1, v = 2 * ref_unit(r) - 1, s = u * u + v * v;
        if (s > 0 && s < 1) return u * sqrt(-2 * log(s) / s);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Two-sample Kolmogorov-Smirnov statistic (sorts both arrays). */
static double ks2(double *a, size_t na, double *b, size_t nb)
{
    qsort(a, na, sizeof *a, cmp_double);
    qsort(b, nb, sizeof *b, cmp_double);
    size_t i = 0, j = 0;
    double d = 0;
    while (i < na && j < nb) {
        double x = a[i] <= b[j] ? a[i] : b[j];
        while (i < na && a[i] <= x)
            i++;
        while (j < nb && b[j] <= x)
            j++;
        double diff = fabs((double)i / na - (double)j / nb);
        if (diff > d) d = diff;
    }
    return d;
}

static void draw_mock(const latency_dist *d, double *out)
{
    for (int i = 0; i < N; i++)
        out[i] = latency_sample(d, rng_mix(0x5eed, (uint64_t)i));
}

static const latency_dist *lat_of(const scenario *sc)
{
    return &sc->latency.endpoint[ENDPOINT_ORDER_ROUTING];
}

static double ks_against(const char *latency_yaml, double (*ref)(ref_rng *))
{
    char text[512];
    snprintf(text, sizeof text, "version: 1\nlatency: {order_routing: %s}\n", latency_yaml);
    scenario *sc = load(text);
    double *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    ref_rng r = {0x9e3779b97f4a7c15ULL};
    draw_mock(lat_of(sc), a);
    for (int i = 0; i < N; i++)
        b[i] = ref(&r);
    double d = ks2(a, N, b, N);
    free(a);
    free(b);
    scenario_free(sc);
    return d;
}

static double ref_uniform(ref_rng *r)
{
    return 50 + 100 * ref_unit(r);
}

static double ref_normal_ms(ref_rng *r)
{
    double v = 200 + 30 * ref_normal(r);
    return v < 0 ? 0 : v;
}

static double ref_lognormal(ref_rng *r)
{
    /* p50 120, p99 450: mu = ln 120, sigma = ln(450/120) / z(0.99) */
    return exp(log(120) + log(450.0 / 120.0) / 2.326347874 * ref_normal(r));
}

static double ref_lognormal_wrong(ref_rng *r)
{
    return exp(log(150) + log(450.0 / 150.0) / 2.326347874 * ref_normal(r));
}

static double ref_empirical(ref_rng *r)
{
    /* p0 40, p50 120, p90 250, p99 450, p100 900, linear between the points */
    static const double p[] = {0, 0.5, 0.9, 0.99, 1}, ms[] = {40, 120, 250, 450, 900};
    double u = ref_unit(r);
    int k = 0;
    while (k < 3 && u > p[k + 1])
        k++;
    return ms[k] + (u - p[k]) / (p[k + 1] - p[k]) * (ms[k + 1] - ms[k]);
}

static double ref_fixed(ref_rng *r)
{
    (void)r;
    return 75;
}

START_TEST(latency_uniform_ks)
{
    double d = ks_against("{uniform: {min_ms: 50, max_ms: 150}}", ref_uniform);
    ck_assert_msg(d < KS_CRIT, "D = %g", d);
}
END_TEST

START_TEST(latency_normal_ks)
{
    double d = ks_against("{normal: {mean_ms: 200, stddev_ms: 30}}", ref_normal_ms);
    ck_assert_msg(d < KS_CRIT, "D = %g", d);
}
END_TEST

START_TEST(latency_lognormal_ks)
{
    double d = ks_against("{lognormal: {p50_ms: 120, p99_ms: 450}}", ref_lognormal);
    ck_assert_msg(d < KS_CRIT, "D = %g", d);
    /* the test has power: a median off by 25% is rejected */
    d = ks_against("{lognormal: {p50_ms: 120, p99_ms: 450}}", ref_lognormal_wrong);
    ck_assert_msg(d > KS_CRIT, "D = %g", d);
}
END_TEST

START_TEST(latency_empirical_ks)
{
    double d =
        ks_against("{empirical: {p0: 40, p50: 120, p90: 250, p99: 450, p100: 900}}", ref_empirical);
    ck_assert_msg(d < KS_CRIT, "D = %g", d);
    d = ks_against("{empirical: {p0: 40, p50: 120, p90: 250, p99: 450, p100: 900}}", ref_lognormal);
    ck_assert_msg(d > KS_CRIT, "D = %g", d);
}
END_TEST

START_TEST(latency_fixed_ks)
{
    double d = ks_against("{fixed: {ms: 75}}", ref_fixed);
    ck_assert(d == 0);
}
END_TEST

START_TEST(latency_quantiles_exact)
{
    scenario *sc = load("version: 1\nlatency: {order_routing: {lognormal: {p50_ms: 120, "
                        "p99_ms: 450}}, fraud_score: {empirical: {p50: 100, p99: 300}}}\n");
    ck_assert(fabs(latency_quantile(lat_of(sc), 0.5) - 120) < 1e-6);
    ck_assert(fabs(latency_quantile(lat_of(sc), 0.99) - 450) < 1e-6);
    const latency_dist *fs = &sc->latency.endpoint[ENDPOINT_FRAUD_SCORE];
    ck_assert(fabs(latency_quantile(fs, 0.5) - 100) < 1e-9);
    ck_assert(fabs(latency_quantile(fs, 0.745) - 200) < 1e-9);
    ck_assert(latency_quantile(fs, 0.01) == 100); /* below the first percentile: flat */
    ck_assert(latency_quantile(fs, 0.999) == 300);
    scenario_free(sc);
}
END_TEST

/* ---- token buckets ---- */

START_TEST(bucket_arithmetic)
{
    ratelimit_rule r = {
        .per = RATELIMIT_MERCHANT, .rate = 10, .burst = 5, .interval_ns = 100000000};
    _Atomic int64_t tat = 0;
    ratelimit_result res;
    int64_t t = 5000000000LL; /* 5 s */
    for (int i = 0; i < 5; i++) {
        ratelimit_take(&r, &tat, t, &res);
        ck_assert(res.allowed);
        ck_assert_int_eq(res.remaining, 4 - i);
        ck_assert_int_eq(res.reset_s, i == 4 ? 1 : 0); /* t: seconds until one more is allowed */
    }
    ck_assert_int_eq(res.quota, 5);
    ck_assert_int_eq(res.window_s, 1); /* 5 tokens at 10/s refill in 0.5 s: rounds up to 1 */
    ratelimit_take(&r, &tat, t, &res);
    ck_assert(!res.allowed);
    ck_assert_int_eq(res.remaining, 0);
    ck_assert_int_eq(res.reset_s, 1);
    ratelimit_take(&r, &tat, t + 99999999, &res); /* one token takes 100 ms to come back */
    ck_assert(!res.allowed);
    ratelimit_take(&r, &tat, t + 100000000, &res);
    ck_assert(res.allowed);
    ck_assert_int_eq(res.remaining, 0);
    ratelimit_peek(&r, &tat, t + 600000000, &res); /* full again after 0.5 s more */
    ck_assert_int_eq(res.remaining, 5);
}
END_TEST

START_TEST(burst_exact_refusals)
{
    clock_set_virtual(T0);
    scenario *sc = load("version: 1\n" MERCHANT
                        "rate_limits: {order_routing: {per: merchant, rate: 20, burst: 40}, "
                        "fraud_score: {per: global, rate: 1, burst: 3}}\n");
    engine *e;
    ck_assert_int_eq(engine_new(sc, &e), 0);
    int refused = 0, refused_m2 = 0;
    for (int i = 0; i < 100; i++) {
        engine_req er = {0};
        engine_decision d;
        engine_decide(e, ENDPOINT_ORDER_ROUTING, 0, (uint64_t)i, 0, &er, &d);
        refused += d.action == ENGINE_LIMITED;
        if (d.action == ENGINE_LIMITED) {
            ck_assert_int_eq(d.status, 429);
            ck_assert_str_eq(d.code, "FREQUENCY_LIMITED");
            ck_assert_int_eq(d.retry_after_s, 1);
        }
    }
    ck_assert_int_eq(refused, 60);
    /* merchants have their own buckets; the global one is shared */
    for (int i = 0; i < 10; i++) {
        engine_req er = {0};
        engine_decision d;
        engine_decide(e, ENDPOINT_FRAUD_SCORE, i % 2, (uint64_t)i, 0, &er, &d);
        refused_m2 += d.action == ENGINE_LIMITED;
    }
    ck_assert_int_eq(refused_m2, 7);
    clock_advance(1000); /* 20 tokens come back in a second */
    refused = 0;
    for (int i = 0; i < 30; i++) {
        engine_req er = {0};
        engine_decision d;
        engine_decide(e, ENDPOINT_ORDER_ROUTING, 0, (uint64_t)i, 0, &er, &d);
        refused += d.action == ENGINE_LIMITED;
    }
    ck_assert_int_eq(refused, 10);
    engine_free(e);
    scenario_free(sc);
    clock_set_real();
}
END_TEST

/* ---- faults ---- */

static int decide_at(engine *e, int64_t scenario_ms, uint64_t key, engine_decision *d)
{
    clock_set_virtual(T0 + scenario_ms);
    engine_req er = {0};
    engine_decide(e, ENDPOINT_ORDER_ROUTING, 0, key, 0, &er, d);
    return d->action;
}

START_TEST(outage_window_exact)
{
    clock_set_virtual(T0);
    scenario *sc =
        load("version: 1\n" MERCHANT "rate_limits: {order_routing: off}\n"
             "faults: [{endpoint: order_routing, outage: {start: 60s, duration: 10s}}]\n");
    engine *e;
    ck_assert_int_eq(engine_new(sc, &e), 0);
    engine_decision d;
    ck_assert_int_eq(decide_at(e, 59999, 1, &d), ENGINE_PASS);
    ck_assert_int_eq(decide_at(e, 60000, 2, &d), ENGINE_ERROR);
    ck_assert_int_eq(d.status, 503);
    ck_assert_str_eq(d.code, "SERVICE_UNAVAILABLE");
    ck_assert_int_eq(d.retry_after_s, 10);
    ck_assert_int_eq(decide_at(e, 65500, 3, &d), ENGINE_ERROR);
    ck_assert_int_eq(d.retry_after_s, 5); /* 4.5 s left, rounded up */
    ck_assert_int_eq(decide_at(e, 69999, 4, &d), ENGINE_ERROR);
    ck_assert_int_eq(d.retry_after_s, 1);
    ck_assert_int_eq(decide_at(e, 70000, 5, &d), ENGINE_PASS);
    engine_free(e);
    scenario_free(sc);
    clock_set_real();
}
END_TEST

START_TEST(outage_on_scaled_clock)
{
    /* time_scale 0.01: the scenario runs a hundred times faster than the wall clock */
    clock_set_virtual(T0);
    scenario *sc = load("version: 1\ndefaults: {time_scale: 0.01}\n" MERCHANT
                        "faults: [{outage: {start: 60s, duration: 10s}}]\n");
    engine *e;
    ck_assert_int_eq(engine_new(sc, &e), 0);
    engine_decision d;
    ck_assert_int_eq(decide_at(e, 599, 1, &d), ENGINE_PASS);
    ck_assert_int_eq(engine_now_ms(e), 59900);
    ck_assert_int_eq(decide_at(e, 600, 2, &d), ENGINE_ERROR);
    ck_assert_int_eq(d.retry_after_s, 1); /* 10 scenario seconds are 0.1 real seconds */
    ck_assert_int_eq(decide_at(e, 700, 3, &d), ENGINE_PASS);
    ck_assert(engine_delay_ms(e, 120) > 1.19 && engine_delay_ms(e, 120) < 1.21);
    engine_free(e);
    scenario_free(sc);
    clock_set_real();
}
END_TEST

START_TEST(time_scale_zero_means_no_synthetic_delay)
{
    /* time_scale 0: no latency is slept, but the scenario clock runs as the wall clock */
    clock_set_virtual(T0);
    scenario *sc = load("version: 1\ndefaults: {time_scale: 0}\n" MERCHANT
                        "latency: {order_routing: {fixed: {ms: 120}}}\n");
    engine *e;
    ck_assert_int_eq(engine_new(sc, &e), 0);
    ck_assert(engine_delay_ms(e, 120) == 0);
    clock_advance(5000);
    ck_assert_int_eq(engine_now_ms(e), 5000);
    engine_free(e);
    scenario_free(sc);
    clock_set_real();
}
END_TEST

START_TEST(fault_every_and_rate)
{
    clock_set_virtual(T0);
    scenario *sc = load("version: 1\nseed: 7\n" MERCHANT
                        "rate_limits: {order_routing: off, fraud_score: off}\n"
                        "faults:\n"
                        "  - {endpoint: order_routing, every: 3, status: 502, code: BAD_GATEWAY}\n"
                        "  - {endpoint: fraud_score, error_rate: 0.25}\n"
                        "  - {endpoint: order_routing, slow: {delay: 2s, every: 2}}\n"
                        "  - {endpoint: order_routing, truncate: {every: 5}}\n");
    engine *e;
    ck_assert_int_eq(engine_new(sc, &e), 0);
    for (int i = 1; i <= 12; i++) {
        engine_req er = {0};
        engine_decision d;
        engine_decide(e, ENDPOINT_ORDER_ROUTING, 0, (uint64_t)i, 0, &er, &d);
        ck_assert_int_eq(d.action == ENGINE_ERROR, i % 3 == 0);
        if (i % 3 == 0) {
            ck_assert_int_eq(d.status, 502);
            ck_assert_str_eq(d.code, "BAD_GATEWAY");
        } else {
            ck_assert(er.delay_ms == (i % 2 == 0 ? 2000 : 0));
            ck_assert_int_eq(d.truncate, i % 5 == 0);
        }
    }
    int errors = 0, again = 0;
    engine *e2;
    ck_assert_int_eq(engine_new(sc, &e2), 0);
    for (int i = 0; i < 4000; i++) {
        engine_req er = {0};
        engine_decision d, d2;
        engine_decide(e, ENDPOINT_FRAUD_SCORE, 0, rng_mix(99, (uint64_t)i), 0, &er, &d);
        engine_decide(e2, ENDPOINT_FRAUD_SCORE, 0, rng_mix(99, (uint64_t)i), 0, &er, &d2);
        errors += d.action == ENGINE_ERROR;
        again += d.action == d2.action;
    }
    ck_assert_msg(errors > 850 && errors < 1150, "errors %d", errors); /* 1000 +- 5.5 sd */
    ck_assert_int_eq(again, 4000); /* the same requests fail again */
    engine_free(e2);
    engine_free(e);
    scenario_free(sc);
    clock_set_real();
}
END_TEST

/* ---- drift ---- */

#define DRIFT_SC                                                                                   \
    "version: 1\n" MERCHANT "rate_limits: {order_routing: off}\n"                                  \
    "models:\n"                                                                                    \
    "  order_routing:\n"                                                                           \
    "    versions:\n"                                                                              \
    "      - {id: '2026.09', confidence: {mean: 0.90, stddev: 0.04}}\n"                            \
    "      - {id: '2026.12', confidence: {shift: -0.05}}\n"                                        \
    "      - {id: '2027.03', confidence: {shift: -0.05, stddev: 0}}\n"                             \
    "      - {id: hotfix, confidence: {mean: 0.95}}\n"

START_TEST(drift_at_request)
{
    clock_set_virtual(T0);
    scenario *sc = load(DRIFT_SC "    drift: [{at_request: 500, to: '2026.12'}, "
                                 "{at_request: 800, to: '2027.03'}]\n");
    const drift_model *m = &sc->models.endpoint[ENDPOINT_ORDER_ROUTING];
    ck_assert(fabs(m->versions[1].mean - 0.85) < 1e-12);
    ck_assert(fabs(m->versions[1].stddev - 0.04) < 1e-12); /* inherited */
    ck_assert(fabs(m->versions[2].mean - 0.80) < 1e-12);
    ck_assert(m->versions[2].stddev == 0);
    engine *e;
    ck_assert_int_eq(engine_new(sc, &e), 0);
    for (int64_t i = 1; i <= 1000; i++) {
        int64_t no;
        int v = engine_version_next(e, ENDPOINT_ORDER_ROUTING, &no);
        ck_assert_int_eq(no, i);
        ck_assert_int_eq(v, i < 500 ? 0 : i < 800 ? 1 : 2);
    }
    ck_assert_str_eq(engine_model_active(e, ENDPOINT_ORDER_ROUTING), "2027.03");
    /* an admin switch applies from the next request and wins over earlier steps */
    ck_assert_int_eq(engine_model_switch(e, ENDPOINT_ORDER_ROUTING, "hotfix"), 0);
    ck_assert_int_eq(engine_model_switch(e, ENDPOINT_ORDER_ROUTING, "nope"), -1);
    ck_assert_str_eq(engine_model_active(e, ENDPOINT_ORDER_ROUTING), "hotfix");
    ck_assert_int_eq(engine_version_next(e, ENDPOINT_ORDER_ROUTING, NULL), 3);
    /* other endpoints keep their default version */
    ck_assert_str_eq(engine_model_active(e, ENDPOINT_FRAUD_SCORE), "2026.09");
    engine_free(e);
    scenario_free(sc);
    clock_set_real();
}
END_TEST

START_TEST(drift_at_time_and_admin)
{
    clock_set_virtual(T0);
    scenario *sc =
        load(DRIFT_SC "    drift: [{at: 90s, to: '2026.12'}, {on: admin, to: hotfix}]\n");
    engine *e;
    ck_assert_int_eq(engine_new(sc, &e), 0);
    clock_set_virtual(T0 + 89999);
    ck_assert_int_eq(engine_version_next(e, ENDPOINT_ORDER_ROUTING, NULL), 0);
    ck_assert_str_eq(engine_model_active(e, ENDPOINT_ORDER_ROUTING), "2026.09");
    clock_set_virtual(T0 + 90000);
    ck_assert_str_eq(engine_model_active(e, ENDPOINT_ORDER_ROUTING), "2026.12");
    ck_assert_int_eq(engine_version_next(e, ENDPOINT_ORDER_ROUTING, NULL), 1);
    ck_assert_int_eq(engine_version_next(e, ENDPOINT_ORDER_ROUTING, NULL), 1);
    ck_assert_int_eq(engine_model_fire_admin(e, ENDPOINT_ORDER_ROUTING), 3);
    ck_assert_int_eq(engine_model_fire_admin(e, ENDPOINT_ORDER_ROUTING), -1); /* none left */
    ck_assert_int_eq(engine_version_next(e, ENDPOINT_ORDER_ROUTING, NULL), 3);
    engine_free(e);
    scenario_free(sc);
    clock_set_real();
}
END_TEST

START_TEST(admin_switch_without_steps)
{
    /* versions but no drift steps: requests are not counted, yet a switch still takes
     * effect from the next request */
    scenario *sc = load(DRIFT_SC);
    engine *e;
    ck_assert_int_eq(engine_new(sc, &e), 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(engine_version_next(e, ENDPOINT_ORDER_ROUTING, NULL), 0);
    ck_assert_str_eq(engine_model_active(e, ENDPOINT_ORDER_ROUTING), "2026.09");
    ck_assert_int_eq(engine_model_switch(e, ENDPOINT_ORDER_ROUTING, "2027.03"), 0);
    ck_assert_str_eq(engine_model_active(e, ENDPOINT_ORDER_ROUTING), "2027.03");
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(engine_version_next(e, ENDPOINT_ORDER_ROUTING, NULL), 2);
    ck_assert_int_eq(engine_model_switch(e, ENDPOINT_ORDER_ROUTING, "hotfix"), 0);
    ck_assert_int_eq(engine_version_next(e, ENDPOINT_ORDER_ROUTING, NULL), 3);
    engine_free(e);
    scenario_free(sc);
}
END_TEST

START_TEST(confidence_formula)
{
    scenario *sc = load(DRIFT_SC);
    const drift_model *m = &sc->models.endpoint[ENDPOINT_ORDER_ROUTING];
    /* version 2027.03: mean 0.80, no noise: every confidence moves down by 0.10 */
    ck_assert(fabs(drift_confidence(&m->versions[2], 0.93, 1.7) - 0.83) < 1e-12);
    ck_assert(drift_confidence(&m->versions[2], 0.05, 0) == 0); /* clamped */
    ck_assert(fabs(drift_confidence(&m->versions[0], 0.90, 1.0) - 0.94) < 1e-12);
    ck_assert(drift_confidence(&m->versions[3], 0.99, 0) == 1);
    scenario_free(sc);
}
END_TEST

/* ---- determinism ---- */

static const char *bodies[] = {"{\"text\":\"a\"}", "{\"text\":\"b\"}", "{\"text\":\"a\"}",
                               "{\"text\":\"c\"}", "{\"text\":\"a\"}", "{\"text\":\"b\"}"};
#define NB (sizeof bodies / sizeof bodies[0])

START_TEST(same_request_same_draw_any_order)
{
    scenario *sc = load("version: 1\nseed: 42\n" MERCHANT);
    engine *e1, *e2;
    ck_assert_int_eq(engine_new(sc, &e1), 0);
    ck_assert_int_eq(engine_new(sc, &e2), 0);
    uint64_t fwd[NB], rev[NB];
    for (size_t i = 0; i < NB; i++)
        fwd[i] = engine_request_key(e1, "m1", "/v3/ai/order-routing", bodies[i], strlen(bodies[i]));
    /* reverse order: the k-th "a" still gets the k-th "a" key */
    int seen_a = 0, seen_b = 0;
    for (size_t i = NB; i-- > 0;)
        rev[i] = engine_request_key(e2, "m1", "/v3/ai/order-routing", bodies[i], strlen(bodies[i]));
    /* occurrences are counted per content: a at 0,2,4 -> 1st,2nd,3rd in e1; 3rd,2nd,1st in e2 */
    ck_assert(fwd[0] == rev[4] && fwd[2] == rev[2] && fwd[4] == rev[0]);
    ck_assert(fwd[1] == rev[5] && fwd[5] == rev[1]);
    ck_assert(fwd[3] == rev[3]);
    ck_assert(fwd[0] != fwd[2]); /* a repeat is a new occurrence, so a fresh draw */
    ck_assert(engine_occurrences(e1, "m1", "/v3/ai/order-routing", bodies[0], strlen(bodies[0])) ==
              3);
    /* another merchant or seed: another key */
    ck_assert(engine_request_key(e2, "m2", "/v3/ai/order-routing", bodies[3], 12) != fwd[3]);
    (void)seen_a;
    (void)seen_b;
    engine_free(e1);
    engine_free(e2);
    scenario_free(sc);
}
END_TEST

typedef struct worker {
    engine *e;
    int from, step;
    uint64_t *keys;
} worker;

#define NREQ 4000
static void body_of(int i, char *buf, size_t cap)
{
    snprintf(buf, cap, "{\"text\":\"pay %d\"}", i % 97); /* many repeats */
}

static void *work(void *arg)
{
    worker *w = arg;
    char b[64];
    for (int i = w->from; i < NREQ; i += w->step) {
        body_of(i, b, sizeof b);
        w->keys[i] = engine_request_key(w->e, "m1", "/v3/ai/order-routing", b, strlen(b));
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* engine_http_admit of body from m1 on order routing, as the server would call it (no
 * connection: nothing in these scenarios answers early); returns the request's key */
static uint64_t admit(engine *e, const scenario *sc, const char *body)
{
    struct mg_request_info ri = {.request_method = "POST", .local_uri = "/v3/ai/order-routing"};
    engine_req er = {.endpoint = -1, .fault = -1};
    http_req req;
    memset(&req, 0, HTTP_REQ_ZERO);
    req.ri = &ri;
    req.sc = sc;
    req.engine = e;
    req.er = &er;
    req.merchant = &sc->merchants[0];
    req.body = (char *)body;
    req.body_len = strlen(body);
    ck_assert_int_eq(engine_http_admit(&req), 0);
    ck_assert_int_eq(er.endpoint, ENDPOINT_ORDER_ROUTING);
    return er.key;
}

START_TEST(key_made_only_when_something_draws)
{
    static const char body[] = "{\"text\":\"coffee\"}";
    const char *path = "/v3/ai/order-routing";
    static const char *const draws[] = {
        /* confidence noise, a fault that can fire here, a latency (not slept at scale 0) */
        DRIFT_SC,
        "version: 1\n" MERCHANT "rate_limits: {order_routing: off}\n"
        "faults: [{endpoint: order_routing, merchant: m1, every: 1000, status: 500}]\n",
        "version: 1\ndefaults: {time_scale: 0}\n" MERCHANT
        "latency: {order_routing: {fixed: {ms: 120}}}\n",
    };
    static const char *const none[] = {
        "version: 1\n" MERCHANT "rate_limits: {order_routing: off}\n",
        /* faults elsewhere, and a latency that is off */
        "version: 1\n" MERCHANT "rate_limits: {order_routing: off}\n"
        "faults: [{endpoint: fraud_score, error_rate: 0.5}, "
        "{endpoint: order_routing, merchant: m2, every: 2, status: 500}]\n"
        "latency: {order_routing: off}\n",
    };
    for (size_t i = 0; i < sizeof draws / sizeof *draws; i++) {
        scenario *sc = load(draws[i]);
        engine *e, *ref;
        ck_assert_int_eq(engine_new(sc, &e), 0);
        ck_assert_int_eq(engine_new(sc, &ref), 0);
        /* the keys are those of the occurrences, as engine_request_key numbers them */
        for (int k = 0; k < 3; k++)
            ck_assert(admit(e, sc, body) ==
                      engine_request_key(ref, "m1", path, body, strlen(body)));
        ck_assert_uint_eq(engine_occurrences(e, "m1", path, body, strlen(body)), 3);
        engine_free(e);
        engine_free(ref);
        scenario_free(sc);
    }
    for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
        scenario *sc = load(none[i]);
        engine *e;
        ck_assert_int_eq(engine_new(sc, &e), 0);
        for (int k = 0; k < 3; k++)
            ck_assert(admit(e, sc, body) == 0);
        ck_assert_uint_eq(engine_occurrences(e, "m1", path, body, strlen(body)), 0);
        engine_free(e);
        scenario_free(sc);
    }
}
END_TEST

START_TEST(same_draws_serial_or_threaded)
{
    scenario *sc = load("version: 1\nseed: 42\n" MERCHANT);
    engine *e1, *e2;
    ck_assert_int_eq(engine_new(sc, &e1), 0);
    ck_assert_int_eq(engine_new(sc, &e2), 0);
    uint64_t *a = calloc(NREQ, sizeof *a), *b = calloc(NREQ, sizeof *b);
    worker one = {e1, 0, 1, a};
    work(&one);
    pthread_t th[16];
    worker ws[16];
    for (int t = 0; t < 16; t++) {
        ws[t] = (worker){e2, t, 16, b};
        pthread_create(&th[t], NULL, work, &ws[t]);
    }
    for (int t = 0; t < 16; t++)
        pthread_join(th[t], NULL);
    /* which thread got which occurrence varies; the set of draws per content does not */
    qsort(a, NREQ, sizeof *a, cmp_u64);
    qsort(b, NREQ, sizeof *b, cmp_u64);
    ck_assert_int_eq(memcmp(a, b, NREQ * sizeof *a), 0);
    free(a);
    free(b);
    engine_free(e1);
    engine_free(e2);
    scenario_free(sc);
}
END_TEST

/* ---- built-in latency defaults ---- */

/* The synthetic delay (scenario ms) engine_decide draws for request key on endpoint. */
static double delay_of(engine *e, int endpoint, int multimodal, uint64_t key)
{
    engine_req er = {0};
    engine_decision d;
    engine_decide(e, endpoint, 0, key, multimodal, &er, &d);
    ck_assert_int_eq(d.action, ENGINE_PASS);
    return er.delay_ms;
}

/* Lowest and highest of n delays drawn on endpoint. */
static void delay_range(engine *e, int endpoint, int multimodal, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < 400; i++) {
        double ms = delay_of(e, endpoint, multimodal, rng_mix(42, (uint64_t)i));
        *lo = fmin(*lo, ms);
        *hi = fmax(*hi, ms);
    }
}

START_TEST(default_latencies)
{
    clock_set_virtual(T0);
    scenario *sc = load("version: 1\n" MERCHANT "rate_limits: {order_routing: off, fraud_score: "
                        "off, chat_completions: off}\n");
    ck_assert(sc->defaults.time_scale == 1.0);
    engine *e;
    ck_assert_int_eq(engine_new(sc, &e), 0);
    double lo, hi;
    /* fraud score: uniform 50-150 ms, spread over the whole range */
    delay_range(e, ENDPOINT_FRAUD_SCORE, 0, &lo, &hi);
    ck_assert_msg(lo >= 50 && lo < 55 && hi <= 150 && hi > 145, "fraud [%g, %g]", lo, hi);
    ck_assert(engine_real_ms(e, lo) == lo); /* time_scale 1 sleeps the draw as it is */
    /* order routing with attachments: uniform 1000-2000 ms */
    delay_range(e, ENDPOINT_ORDER_ROUTING, 1, &lo, &hi);
    ck_assert_msg(lo >= 1000 && lo < 1050 && hi <= 2000 && hi > 1950, "multimodal [%g, %g]", lo,
                  hi);
    /* no default for text order routing or chat */
    delay_range(e, ENDPOINT_ORDER_ROUTING, 0, &lo, &hi);
    ck_assert(lo == 0 && hi == 0);
    delay_range(e, ENDPOINT_CHAT_COMPLETIONS, 0, &lo, &hi);
    ck_assert(lo == 0 && hi == 0);
    engine_free(e);
    scenario_free(sc);

    /* off turns a default off; a configured order_routing latency does not replace the
     * multimodal default; a configured multimodal one does */
    sc = load("version: 1\n" MERCHANT
              "latency: {fraud_score: off, order_routing: {fixed: {ms: 7}}}\n");
    ck_assert_int_eq(engine_new(sc, &e), 0);
    ck_assert(delay_of(e, ENDPOINT_FRAUD_SCORE, 0, 1) == 0);
    ck_assert(delay_of(e, ENDPOINT_ORDER_ROUTING, 0, 2) == 7);
    double mm = delay_of(e, ENDPOINT_ORDER_ROUTING, 1, 3);
    ck_assert_msg(mm >= 1000 && mm <= 2000, "%g", mm);
    engine_free(e);
    scenario_free(sc);
    sc = load("version: 1\n" MERCHANT "latency: {multimodal: {fixed: {ms: 5}}, fraud_score: "
              "{fixed: {ms: 9}}}\n");
    ck_assert_int_eq(engine_new(sc, &e), 0);
    ck_assert(delay_of(e, ENDPOINT_ORDER_ROUTING, 1, 4) == 5);
    ck_assert(delay_of(e, ENDPOINT_FRAUD_SCORE, 0, 5) == 9);
    engine_free(e);
    scenario_free(sc);
    sc = load("version: 1\n" MERCHANT "latency: {multimodal: off}\n");
    ck_assert_int_eq(engine_new(sc, &e), 0);
    ck_assert(delay_of(e, ENDPOINT_ORDER_ROUTING, 1, 6) == 0);
    engine_free(e);
    scenario_free(sc);

    /* defaults are scenario time like every latency: time_scale 0.01 sleeps 0.5-1.5 ms */
    sc = load("version: 1\ndefaults: {time_scale: 0.01}\n" MERCHANT);
    ck_assert_int_eq(engine_new(sc, &e), 0);
    double real = engine_real_ms(e, delay_of(e, ENDPOINT_FRAUD_SCORE, 0, 7));
    ck_assert_msg(real >= 0.5 && real <= 1.5, "%g", real);
    engine_free(e);
    scenario_free(sc);
    clock_set_real();
}
END_TEST

/* ---- the scenario wall clock ---- */

START_TEST(scenario_wall_clock)
{
    clock_set_virtual(T0);
    scenario *sc = load("version: 1\ndefaults: {time_scale: 0.01}\n" MERCHANT);
    engine *e;
    ck_assert_int_eq(engine_new(sc, &e), 0);
    ck_assert_int_eq(engine_wall_ms(e), T0);
    clock_set_virtual(T0 + 2500); /* 2.5 real s are 250 scenario s */
    ck_assert_int_eq(engine_now_ms(e), 250000);
    ck_assert_int_eq(engine_wall_ms(e), T0 + 250000);
    ck_assert_int_eq(engine_wall_s(e), (T0 + 250000) / 1000);
    /* Retry-After is real seconds: 250 scenario s wait 2.5 real s, rounded up */
    ck_assert_int_eq(engine_retry_after_s(e, 250000), 3);
    ck_assert_int_eq(engine_retry_after_s(e, 1000), 1);
    ck_assert_int_eq(engine_retry_after_s(NULL, 1500), 2);
    engine_free(e);
    scenario_free(sc);

    /* time_scale 1 is lib/clock itself, even with the clock set back before the load */
    sc = load("version: 1\n" MERCHANT);
    ck_assert_int_eq(engine_new(sc, &e), 0);
    clock_set_virtual(T0 + 12345);
    ck_assert_int_eq(engine_wall_ms(e), clock_now_ms());
    clock_set_virtual(T0 - 5000);
    ck_assert_int_eq(engine_wall_ms(e), T0 - 5000);
    ck_assert_int_eq(engine_wall_s(e), clock_now_s());
    ck_assert_int_eq(engine_wall_ms(NULL), T0 - 5000);
    engine_free(e);
    scenario_free(sc);
    clock_set_real();
}
END_TEST

/* A reload keeps the scenario wall clock where the old engine had it (the store of
 * clarifications and idempotency keys outlives it) and runs it at the new time_scale. */
START_TEST(wall_clock_goes_on_across_reload)
{
    clock_set_virtual(T0);
    scenario *fast = load("version: 1\ndefaults: {time_scale: 0.01}\n" MERCHANT);
    scenario *slow = load("version: 1\ndefaults: {time_scale: 10}\n" MERCHANT);
    scenario *plain = load("version: 1\n" MERCHANT);
    engine *e1, *e2, *e3, *e4;
    ck_assert_int_eq(engine_new(fast, &e1), 0);
    clock_set_virtual(T0 + 1000); /* 100 scenario s */
    ck_assert_int_eq(engine_new_after(slow, e1, &e2), 0);
    ck_assert_int_eq(engine_wall_ms(e2), T0 + 100000);
    ck_assert_int_eq(engine_now_ms(e2), 0); /* scenario time itself starts again */
    ck_assert_int_eq(engine_load_ms(e2), T0 + 1000);
    clock_set_virtual(T0 + 1000 + 20000); /* 2 scenario s at time_scale 10 */
    ck_assert_int_eq(engine_wall_ms(e2), T0 + 102000);
    ck_assert_int_eq(engine_wall_s(e2), (T0 + 102000) / 1000);
    ck_assert_int_eq(engine_now_ms(e2), 2000);

    /* time_scale 1 after a scaled scenario keeps the lead it was given */
    ck_assert_int_eq(engine_new_after(plain, e2, &e3), 0);
    clock_set_virtual(T0 + 21000 + 5000);
    ck_assert_int_eq(engine_wall_ms(e3), T0 + 107000);
    /* no previous engine: the same as engine_new */
    ck_assert_int_eq(engine_new_after(plain, NULL, &e4), 0);
    ck_assert_int_eq(engine_wall_ms(e4), clock_now_ms());
    engine_free(e1);
    engine_free(e2);
    engine_free(e3);
    engine_free(e4);
    scenario_free(fast);
    scenario_free(slow);
    scenario_free(plain);
    clock_set_real();
}
END_TEST

/* ---- loader ---- */

START_TEST(loader_errors)
{
    char *all = errors_of("version: 1\nlatency: {order_routing: {lognormal: {p50_ms: 120}}, "
                          "fraud: {fixed: {ms: 1}}}\n");
    ck_assert_msg(strstr(all, "t.yaml:2:") && strstr(all, "missing required key 'p99_ms'") &&
                      strstr(all, "unknown key 'fraud'"),
                  "%s", all);
    free(all);
    all = errors_of(
        "version: 1\nlatency: {order_routing: {lognormal: {p50_ms: 120, p99_ms: 100}}}\n");
    ck_assert_msg(strstr(all, "p99_ms must be above p50_ms"), "%s", all);
    free(all);
    all = errors_of("version: 1\nmodels: {order_routing: {versions: [{id: a}], drift: "
                    "[{at_request: 5, to: b}]}}\n");
    ck_assert_msg(strstr(all, "t.yaml:2:") && strstr(all, "models.order_routing.drift[0].to"), "%s",
                  all);
    free(all);
    all = errors_of("version: 1\nfaults: [{error_rate: 0.1, every: 3}, {outage: {start: 9x, "
                    "duration: 1s}}, {endpoint: order_routin, reset: true}]\n");
    ck_assert_msg(strstr(all, "give exactly one of") && strstr(all, "faults[1].outage.start") &&
                      strstr(all, "did you mean 'order_routing'"),
                  "%s", all);
    free(all);
    all = errors_of("version: 1\nrate_limits: {order_routing: {per: merchnt, rate: 0}}\n");
    ck_assert_msg(strstr(all, "rate_limits.order_routing.per: unknown value 'merchnt' (did you "
                              "mean 'merchant'?)") &&
                      strstr(all, "rate_limits.order_routing.rate"),
                  "%s", all);
    free(all);
    all = errors_of("version: 1\nlatency: {fraud_score: of}\n");
    ck_assert_msg(strstr(all, "latency.fraud_score: must be") && strstr(all, "or off"), "%s", all);
    free(all);
    all = errors_of("version: 1\n" MERCHANT "faults: [{merchant: m9, error_rate: 1}]\n");
    ck_assert_msg(strstr(all, "faults[0].merchant: no merchant with mchid 'm9'"), "%s", all);
    free(all);
}
END_TEST

START_TEST(default_rate_limit_and_versions)
{
    scenario *sc = load("version: 1\n");
    ck_assert_int_eq(sc->ratelimits.endpoint[ENDPOINT_ORDER_ROUTING].per, RATELIMIT_MERCHANT);
    ck_assert_int_eq(sc->ratelimits.endpoint[ENDPOINT_ORDER_ROUTING].burst, RATELIMIT_DEFAULT_RATE);
    ck_assert_str_eq(sc->models.endpoint[ENDPOINT_FRAUD_SCORE].versions[0].id, "2026.09");
    ck_assert_str_eq(sc->versions[0].id, "2026.09");
    scenario_free(sc);
}
END_TEST

START_TEST(key_retirement)
{
    clock_set_virtual(T0);
    scenario *sc = load("version: 1\nmerchants: [{mchid: m1, client_secret: s, api_keys: "
                        "[{serial: A, secret: k, retire_at: 60s}, {serial: B, secret: k2}]}]\n");
    engine *e;
    ck_assert_int_eq(engine_new(sc, &e), 0);
    ck_assert(!engine_key_retired(e, &sc->merchants[0].keys[0]));
    clock_set_virtual(T0 + 60000);
    ck_assert(engine_key_retired(e, &sc->merchants[0].keys[0]));
    ck_assert(!engine_key_retired(e, &sc->merchants[0].keys[1]));
    engine_free(e);
    scenario_free(sc);
    clock_set_real();
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *t = tcase_create("latency");
    tcase_add_test(t, latency_uniform_ks);
    tcase_add_test(t, latency_normal_ks);
    tcase_add_test(t, latency_lognormal_ks);
    tcase_add_test(t, latency_empirical_ks);
    tcase_add_test(t, latency_fixed_ks);
    tcase_add_test(t, latency_quantiles_exact);
    tcase_add_test(t, default_latencies);
    suite_add_tcase(s, t);
    t = tcase_create("limits_faults");
    tcase_add_test(t, bucket_arithmetic);
    tcase_add_test(t, burst_exact_refusals);
    tcase_add_test(t, outage_window_exact);
    tcase_add_test(t, outage_on_scaled_clock);
    tcase_add_test(t, time_scale_zero_means_no_synthetic_delay);
    tcase_add_test(t, fault_every_and_rate);
    suite_add_tcase(s, t);
    t = tcase_create("drift");
    tcase_add_test(t, drift_at_request);
    tcase_add_test(t, drift_at_time_and_admin);
    tcase_add_test(t, admin_switch_without_steps);
    tcase_add_test(t, confidence_formula);
    suite_add_tcase(s, t);
    t = tcase_create("determinism");
    tcase_add_test(t, same_request_same_draw_any_order);
    tcase_add_test(t, same_draws_serial_or_threaded);
    tcase_add_test(t, key_made_only_when_something_draws);
    suite_add_tcase(s, t);
    t = tcase_create("loader");
    tcase_add_test(t, loader_errors);
    tcase_add_test(t, default_rate_limit_and_versions);
    tcase_add_test(t, key_retirement);
    tcase_add_test(t, scenario_wall_clock);
    tcase_add_test(t, wall_clock_goes_on_across_reload);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(engine_suite)
