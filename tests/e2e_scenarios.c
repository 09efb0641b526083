/* The shipped scenarios, each against the real wxai-mock on port 0: what every one of them
 * rehearses is visible on the wire (scenarios/README.md). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e.h"

#define OR "/v3/ai/order-routing"

static mock_proc start(const char *name, char *tok)
{
    char rel[128];
    mock_proc m;
    snprintf(rel, sizeof rel, "scenarios/%s.yaml", name);
    ck_assert_int_eq(mock_start(e2e_src(rel), NULL, &m), 0);
    if (tok) ck_assert_int_eq(e2e_token(&m, DEMO_MCHID, DEMO_SECRET, NULL, tok, 256), 0);
    return m;
}

static long route(const mock_proc *m, const char *tok, const char *serial, const char *key,
                  const char *text, e2e_resp *r)
{
    char body[512];
    snprintf(body, sizeof body, "{\"text\":\"%s\"}", text);
    ck_assert_int_eq(e2e_signed(m, tok, serial, key, "POST", OR, body, 0, NULL, r), 0);
    return r->status;
}

static const char *str_at(const cJSON *j, const char *a, const char *b)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b) o = cJSON_GetObjectItemCaseSensitive(o, b);
    return cJSON_IsString(o) ? o->valuestring : "";
}

static double num_at(const cJSON *j, const char *a)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, a);
    return cJSON_IsNumber(o) ? o->valuedouble : -1;
}

START_TEST(low_confidence)
{
    char tok[256];
    mock_proc m = start("low-confidence", tok);
    static const char *texts[] = {"pay Bob 50 yuan for lunch", "send Bob 20 yuan for lunch",
                                  "transfer 100 yuan to Carol", "pay Bob 30 yuan lol"};
    for (size_t i = 0; i < 4; i++) {
        e2e_resp r;
        long st = route(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, texts[i], &r);
        ck_assert_msg(st == 200 || st == 202, "%ld %s", st, r.body);
        double c = num_at(r.json, "confidence");
        ck_assert_msg(c >= 0 && c < 0.8, "%s: confidence %g", texts[i], c);
        if (st == 200) {
            ck_assert_str_eq(str_at(r.json, "status", NULL), "fallback");
            ck_assert_str_eq(str_at(r.json, "model", "version"), "2026.09-slang");
        }
        e2e_resp_free(&r);
    }
    mock_stop(&m);
}
END_TEST

START_TEST(clarifications)
{
    char tok[256], loc[256];
    mock_proc m = start("clarifications", tok);
    static const char *texts[] = {"dinner for 300 yuan with a tip", "pay Bob $20", "pay Alice"};
    static const char *qids[] = {"tip_rate", "currency", "amount"};
    for (size_t i = 0; i < 3; i++) {
        e2e_resp r;
        ck_assert_int_eq(route(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, texts[i], &r), 202);
        ck_assert_ptr_nonnull(e2e_header(&r, "Location", loc, sizeof loc));
        const cJSON *q = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "questions"), 0);
        ck_assert_str_eq(str_at(q, "id", NULL), qids[i]);
        e2e_resp_free(&r);
    }
    mock_stop(&m);
}
END_TEST

START_TEST(viral_spike)
{
    char tok[256], ra[32], rl[128], pol[128];
    mock_proc m = start("viral-spike", tok);
    int limited = 0, ok = 0;
    for (int i = 0; i < 80; i++) {
        e2e_resp r;
        char text[64];
        snprintf(text, sizeof text, "pay Bob %d yuan for lunch", i + 1);
        long st = route(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, text, &r);
        ck_assert_ptr_nonnull(e2e_header(&r, "RateLimit", rl, sizeof rl));
        ck_assert_str_eq(e2e_header(&r, "RateLimit-Policy", pol, sizeof pol),
                         "\"order_routing\";q=40;w=2");
        if (st == 429) {
            limited++;
            ck_assert_str_eq(str_at(r.json, "code", NULL), "FREQUENCY_LIMITED");
            ck_assert_ptr_nonnull(e2e_header(&r, "Retry-After", ra, sizeof ra));
            ck_assert_int_ge(atoi(ra), 1);
        } else {
            ok++;
        }
        e2e_resp_free(&r);
    }
    /* 40 in the bucket plus 20 a second refilled while the burst ran */
    ck_assert_int_ge(ok, 40);
    ck_assert_msg(limited >= 20, "only %d refused", limited);
    mock_stop(&m);
}
END_TEST

START_TEST(outage_failover)
{
    char tok[256], ra[32];
    mock_proc m = start("outage-failover", tok);
    e2e_resp r;
    ck_assert_int_eq(route(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, "pay Bob 5 yuan for lunch", &r),
                     200);
    e2e_resp_free(&r);
    usleep(3500 * 1000); /* inside the window [3 s, 5 s) */
    ck_assert_int_eq(route(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, "pay Bob 6 yuan for lunch", &r),
                     503);
    ck_assert_str_eq(str_at(r.json, "code", NULL), "SERVICE_UNAVAILABLE");
    ck_assert_ptr_nonnull(e2e_header(&r, "Retry-After", ra, sizeof ra));
    ck_assert_int_ge(atoi(ra), 1);
    ck_assert_int_le(atoi(ra), 2);
    e2e_resp_free(&r);
    usleep(2000 * 1000);
    ck_assert_int_eq(route(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, "pay Bob 7 yuan for lunch", &r),
                     200);
    e2e_resp_free(&r);
    mock_stop(&m);
}
END_TEST

START_TEST(quarterly_drift)
{
    char tok[256];
    mock_proc m = start("quarterly-drift", tok);
    for (int i = 1; i <= 501; i++) {
        e2e_resp r;
        char text[64];
        snprintf(text, sizeof text, "pay Bob %d yuan for lunch", i);
        ck_assert_int_eq(route(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, text, &r), 200);
        ck_assert_msg(!strcmp(str_at(r.json, "model", "version"), i < 500 ? "2026.09" : "2026.12"),
                      "request %d answered by %s", i, str_at(r.json, "model", "version"));
        e2e_resp_free(&r);
    }
    mock_stop(&m);
}
END_TEST

START_TEST(high_stakes_review)
{
    char tok[256];
    mock_proc m = start("high-stakes-review", tok);
    e2e_resp r;
    ck_assert_int_eq(
        route(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, "deposit for the flat on Jianguo Road", &r), 200);
    ck_assert_str_eq(str_at(r.json, "status", NULL), "pending_review");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(r.json, "confirmation_token")));
    e2e_resp_free(&r);
    ck_assert_int_eq(route(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, "transfer 6000 yuan to Bob", &r),
                     200);
    ck_assert_str_eq(str_at(r.json, "status", NULL), "pending_review");
    e2e_resp_free(&r);
    mock_stop(&m);
}
END_TEST

START_TEST(key_rotation)
{
    char tok[256];
    mock_proc m = start("key-rotation", tok);
    e2e_resp r;
    ck_assert_int_eq(route(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, "pay Bob 5 yuan for lunch", &r),
                     200);
    e2e_resp_free(&r);
    ck_assert_int_eq(route(&m, tok, DEMO_SERIAL_B, DEMO_KEY_B, "pay Bob 5 yuan for lunch", &r),
                     200);
    e2e_resp_free(&r);
    usleep(5300 * 1000); /* KEY-2026-A retires at 5 s */
    ck_assert_int_eq(route(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, "pay Bob 6 yuan for lunch", &r),
                     401);
    ck_assert_str_eq(str_at(r.json, "code", NULL), "SIGN_ERROR");
    ck_assert_ptr_nonnull(strstr(str_at(r.json, "message", NULL), "retired"));
    e2e_resp_free(&r);
    ck_assert_int_eq(route(&m, tok, DEMO_SERIAL_B, DEMO_KEY_B, "pay Bob 6 yuan for lunch", &r),
                     200);
    ck_assert(e2e_response_signed(&r, DEMO_KEY_B));
    e2e_resp_free(&r);
    mock_stop(&m);
}
END_TEST

START_TEST(scope_not_approved)
{
    char tok[256];
    mock_proc m = start("scope-not-approved", NULL);
    ck_assert_int_eq(e2e_token(&m, DEMO_MCHID, DEMO_SECRET, NULL, tok, sizeof tok), 400);
    mock_stop(&m);
}
END_TEST

static Suite *scenarios_suite(void)
{
    Suite *s = suite_create("scenarios");
    TCase *t = tcase_create("shipped");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, low_confidence);
    tcase_add_test(t, clarifications);
    tcase_add_test(t, viral_spike);
    tcase_add_test(t, outage_failover);
    tcase_add_test(t, quarterly_drift);
    tcase_add_test(t, high_stakes_review);
    tcase_add_test(t, key_rotation);
    tcase_add_test(t, scope_not_approved);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(scenarios_suite)
