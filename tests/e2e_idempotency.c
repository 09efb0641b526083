/* End to end: Idempotency-Key (CONTRACT.md §4) on the real binary: a retry with the same
 * key and body gets the first answer again (Idempotent-Replayed: true, signed afresh, its
 * own Request-ID, billed once, no rate-limit token), another body gets 409, keys are per
 * merchant, a 202 keeps its Location, transient answers (5xx, 429, injected faults) are
 * not kept, keys expire after 24 h of scenario time, reset forgets them and a reload
 * keeps them (tests/data/idempotency.yaml). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "e2e.h"
#include "json.h"

#define SC "tests/data/idempotency.yaml"
#define OR "/v3/ai/order-routing"
#define FRAUD "/v3/ai/fraud-score"
#define COFFEE "{\"text\":\"my usual coffee\"}"
#define ASK "{\"text\":\"two questions please\"}"
#define OUTAGE "{\"text\":\"simulate outage\"}"
#define FRAUD_BODY                                                                                 \
    "{\"transaction\":{\"amount\":{\"total\":100},\"payer\":{\"openid\":\"o_alice\"},"             \
    "\"payee\":{\"openid\":\"o_bob\"}}}"
#define DAY_S 86400L

typedef struct merchant {
    const char *mchid, *secret, *serial, *key;
    char tok[512];
} merchant;

static mock_proc mock;
static merchant ma = {DEMO_MCHID, DEMO_SECRET, DEMO_SERIAL_A, DEMO_KEY_A, ""};
static merchant mb = {"1900000110", "s3cr3t-demo-1900000110", "KEY-2026-C",
                      "demo-key-C-00112233445566778899aabbcc", ""};
static merchant md = {"1900000111", "s3cr3t-demo-1900000111", "KEY-2026-D",
                      "demo-key-D-ccbbaa99887766554433221100", ""};

static void token(merchant *m)
{
    ck_assert_int_eq(e2e_token(&mock, m->mchid, m->secret, NULL, m->tok, sizeof m->tok), 0);
}

static void setup(void)
{
    ck_assert_int_eq(mock_start(e2e_src(SC), NULL, &mock), 0);
    token(&ma);
    token(&mb);
    token(&md);
}

static void teardown(void)
{
    ck_assert_int_eq(mock_stop(&mock), 0);
}

/* A signed POST by m with Idempotency-Key idem (none when NULL), the client's clock skew_s
 * ahead; every answer to an identified merchant is signed, replays included. */
static long post_at(merchant *m, const char *path, const char *body, const char *idem, long skew_s,
                    e2e_resp *r)
{
    char h[400];
    snprintf(h, sizeof h, "Idempotency-Key: %s", idem ? idem : "");
    const char *extra[] = {h, NULL};
    ck_assert_int_eq(e2e_signed_hdrs(&mock, m->tok, m->serial, m->key, "POST", path, body, skew_s,
                                     idem ? extra : NULL, r),
                     0);
    ck_assert(e2e_response_signed(r, m->key));
    return r->status;
}

static long post(merchant *m, const char *path, const char *body, const char *idem, e2e_resp *r)
{
    return post_at(m, path, body, idem, 0, r);
}

static int replayed(const e2e_resp *r)
{
    char v[32];
    const char *h = e2e_header(r, "Idempotent-Replayed", v, sizeof v);
    if (h) ck_assert_str_eq(h, "true");
    return h != NULL;
}

static void admin(const char *method, const char *path, const char *const *headers,
                  const char *body, e2e_resp *r)
{
    ck_assert_int_eq(e2e_http(&mock, method, path, headers, body, body ? strlen(body) : 0, r), 0);
}

static int64_t metric(const char *text, const char *series)
{
    const char *at = strstr(text, series);
    size_t n = strlen(series);
    while (at && at[n] != ' ')
        at = strstr(at + 1, series);
    return at ? strtoll(at + n + 1, NULL, 10) : -1;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

START_TEST(same_key_same_body_replays_the_answer)
{
    e2e_resp a, b;
    char ra[64], rb[64], ct[128], rl[128];
    ck_assert_int_eq(post(&ma, OR, COFFEE, "key-1", &a), 200);
    ck_assert(!replayed(&a));
    ck_assert_int_eq(post(&ma, OR, COFFEE, "key-1", &b), 200);
    ck_assert(replayed(&b));
    ck_assert_uint_eq(b.len, a.len);
    ck_assert_str_eq(b.body, a.body);
    /* signed afresh (post checked it), with its own Request-ID, and still JSON with RateLimit */
    ck_assert_ptr_nonnull(e2e_header(&a, "Request-ID", ra, sizeof ra));
    ck_assert_ptr_nonnull(e2e_header(&b, "Request-ID", rb, sizeof rb));
    ck_assert_str_ne(ra, rb);
    ck_assert_ptr_nonnull(
        strstr(e2e_header(&b, "Content-Type", ct, sizeof ct), "application/json"));
    ck_assert_ptr_nonnull(e2e_header(&b, "RateLimit", rl, sizeof rl));
    /* the per-request headers of the first answer were not kept: each appears once */
    ck_assert_int_eq(count(b.headers, "RateLimit:"), 1);
    ck_assert_int_eq(count(b.headers, "RateLimit-Policy:"), 1);
    ck_assert_int_eq(count(b.headers, "Wechatpay-Signature:"), 1);
    ck_assert_int_eq(count(b.headers, "Request-ID:"), 1);
    ck_assert_int_eq(count(b.headers, "Idempotent-Replayed:"), 1);
    e2e_resp_free(&a);
    e2e_resp_free(&b);

    /* the journal records the replay like any exchange */
    admin("GET", "/__admin/requests", NULL, NULL, &a);
    ck_assert_int_eq(a.status, 200);
    ck_assert_int_eq(count(a.body, "\"Idempotency-Key\":\"key-1\""), 2);
    e2e_resp_free(&a);
}
END_TEST

START_TEST(same_key_other_body_conflicts)
{
    e2e_resp r;
    ck_assert_int_eq(post(&ma, OR, COFFEE, "key-2", &r), 200);
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&ma, OR, ASK, "key-2", &r), 409);
    ck_assert_str_eq(json_string(r.json, "code"), "IDEMPOTENCY_CONFLICT");
    ck_assert_ptr_nonnull(strstr(json_string(r.json, "message"), "different request"));
    ck_assert(!replayed(&r));
    e2e_resp_free(&r);
    /* the same key on another endpoint is another request too */
    ck_assert_int_eq(post(&ma, FRAUD, FRAUD_BODY, "key-2", &r), 409);
    ck_assert_str_eq(json_string(r.json, "code"), "IDEMPOTENCY_CONFLICT");
    e2e_resp_free(&r);
    /* and the stored answer is still there */
    ck_assert_int_eq(post(&ma, OR, COFFEE, "key-2", &r), 200);
    ck_assert(replayed(&r));
    e2e_resp_free(&r);
}
END_TEST

START_TEST(keys_are_per_merchant)
{
    e2e_resp a, b, r;
    ck_assert_int_eq(post(&ma, OR, COFFEE, "key-3", &a), 200);
    ck_assert_int_eq(post(&mb, OR, ASK, "key-3", &b), 202); /* neither 409 nor A's answer */
    ck_assert(!replayed(&b));
    ck_assert_int_eq(post(&mb, OR, ASK, "key-3", &r), 202);
    ck_assert(replayed(&r));
    ck_assert_str_eq(r.body, b.body);
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&ma, OR, COFFEE, "key-3", &r), 200);
    ck_assert(replayed(&r));
    ck_assert_str_eq(r.body, a.body);
    e2e_resp_free(&r);
    e2e_resp_free(&a);
    e2e_resp_free(&b);
}
END_TEST

START_TEST(a_replayed_clarification_keeps_its_location)
{
    e2e_resp a, b;
    char la[256], lb[256];
    ck_assert_int_eq(post(&ma, OR, ASK, "key-4", &a), 202);
    ck_assert_ptr_nonnull(e2e_header(&a, "Location", la, sizeof la));
    ck_assert_ptr_nonnull(strstr(la, json_string(a.json, "clarification_id")));
    ck_assert_int_eq(post(&ma, OR, ASK, "key-4", &b), 202);
    ck_assert(replayed(&b));
    ck_assert_ptr_nonnull(e2e_header(&b, "Location", lb, sizeof lb));
    ck_assert_str_eq(lb, la);
    ck_assert_str_eq(b.body, a.body);
    e2e_resp_free(&a);
    e2e_resp_free(&b);
}
END_TEST

START_TEST(a_replay_is_billed_once)
{
    e2e_resp r;
    ck_assert_int_eq(post(&ma, OR, COFFEE, "key-5", &r), 200);
    const cJSON *u = cJSON_GetObjectItem(r.json, "usage");
    int64_t in = (int64_t)cJSON_GetObjectItem(u, "input_tokens")->valuedouble;
    int64_t out = (int64_t)cJSON_GetObjectItem(u, "output_tokens")->valuedouble;
    int64_t cost =
        (int64_t)cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "cost"), "amount_micros")
            ->valuedouble;
    ck_assert_int_gt(in, 0);
    ck_assert_int_gt(cost, 0);
    e2e_resp_free(&r);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(post(&ma, OR, COFFEE, "key-5", &r), 200);
        ck_assert(replayed(&r));
        e2e_resp_free(&r);
    }
    admin("GET", "/metrics", NULL, NULL, &r);
    const char *m = r.body;
    ck_assert_int_eq(metric(m, "wxai_requests_total{endpoint=\"order_routing\",status=\"200\"}"),
                     3);
    ck_assert_int_eq(metric(m, "wxai_tokens_total{endpoint=\"order_routing\",direction=\"input\"}"),
                     in);
    ck_assert_int_eq(
        metric(m, "wxai_tokens_total{endpoint=\"order_routing\",direction=\"output\"}"), out);
    ck_assert_int_eq(
        metric(m, "wxai_cost_micros_total{endpoint=\"order_routing\",currency=\"CNY\"}"), cost);
    e2e_resp_free(&r);
}
END_TEST

static void clock_post(const char *body)
{
    e2e_resp r;
    const char *h[] = {"Content-Type: application/json", NULL};
    admin("POST", "/__admin/clock", h, body, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
}

START_TEST(a_key_is_fresh_after_24_hours_of_scenario_time)
{
    e2e_resp r;
    clock_post("{\"mode\":\"virtual\"}");
    ck_assert_int_eq(post(&ma, OR, COFFEE, "key-6", &r), 200);
    e2e_resp_free(&r);
    /* a second short of a day: still kept (the token has expired: take another, and sign
     * with a clock as far ahead as the mock's) */
    clock_post("{\"advance_ms\":86399000}");
    token(&ma);
    ck_assert_int_eq(post_at(&ma, OR, COFFEE, "key-6", DAY_S - 1, &r), 200);
    ck_assert(replayed(&r));
    e2e_resp_free(&r);
    ck_assert_int_eq(post_at(&ma, OR, ASK, "key-6", DAY_S - 1, &r), 409);
    e2e_resp_free(&r);
    /* a day: the key is new again, whatever the body */
    clock_post("{\"advance_ms\":1000}");
    ck_assert_int_eq(post_at(&ma, OR, ASK, "key-6", DAY_S, &r), 202);
    ck_assert(!replayed(&r));
    e2e_resp_free(&r);
    clock_post("{\"mode\":\"real\"}");
}
END_TEST

START_TEST(an_over_long_key_is_a_param_error)
{
    e2e_resp r;
    char key[257];
    memset(key, 'k', 256);
    key[256] = '\0';
    ck_assert_int_eq(post(&ma, OR, COFFEE, key, &r), 400);
    ck_assert_str_eq(json_string(r.json, "code"), "PARAM_ERROR");
    const cJSON *d = cJSON_GetObjectItem(r.json, "detail");
    ck_assert_str_eq(json_string(d, "field"), "Idempotency-Key");
    ck_assert_str_eq(json_string(d, "location"), "header");
    e2e_resp_free(&r);
    key[255] = '\0';
    ck_assert_int_eq(post(&ma, OR, COFFEE, key, &r), 200);
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&ma, OR, COFFEE, key, &r), 200);
    ck_assert(replayed(&r));
    e2e_resp_free(&r);
}
END_TEST

START_TEST(transient_answers_are_not_kept)
{
    e2e_resp r;
    /* a 5xx: the retry runs again */
    ck_assert_int_eq(post(&ma, OR, OUTAGE, "key-7", &r), 503);
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&ma, OR, OUTAGE, "key-7", &r), 503);
    ck_assert(!replayed(&r));
    e2e_resp_free(&r);

    /* an injected fault, even a 4xx (merchant D: every second request) */
    ck_assert_int_eq(post(&md, OR, COFFEE, NULL, &r), 200);
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&md, OR, COFFEE, "key-8", &r), 400);
    ck_assert_str_eq(json_string(r.json, "message"), "injected");
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&md, OR, COFFEE, "key-8", &r), 200);
    ck_assert(!replayed(&r));
    e2e_resp_free(&r);
    /* the real answer is kept, and its replay does not count for the fault either */
    ck_assert_int_eq(post(&md, OR, COFFEE, "key-8", &r), 200);
    ck_assert(replayed(&r));
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&md, OR, COFFEE, NULL, &r), 400); /* the 4th request the engine saw */
    e2e_resp_free(&r);
}
END_TEST

START_TEST(a_replay_takes_no_rate_limit_token)
{
    e2e_resp r;
    /* fraud_score: a bucket of 3 per merchant that refills once every 100 s */
    ck_assert_int_eq(post(&ma, FRAUD, FRAUD_BODY, "key-9", &r), 200);
    e2e_resp_free(&r);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(post(&ma, FRAUD, FRAUD_BODY, "key-9", &r), 200);
        ck_assert(replayed(&r));
        e2e_resp_free(&r);
    }
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(post(&ma, FRAUD, FRAUD_BODY, NULL, &r), 200);
        e2e_resp_free(&r);
    }
    /* the bucket is empty now; a 429 is not kept, so the retry is limited again, not replayed */
    ck_assert_int_eq(post(&ma, FRAUD, FRAUD_BODY, "key-10", &r), 429);
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&ma, FRAUD, FRAUD_BODY, "key-10", &r), 429);
    ck_assert(!replayed(&r));
    e2e_resp_free(&r);
}
END_TEST

START_TEST(reset_forgets_keys_and_reload_keeps_them)
{
    e2e_resp r;
    ck_assert_int_eq(post(&ma, OR, COFFEE, "key-11", &r), 200);
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&ma, OR, COFFEE, "key-12", &r), 200);
    e2e_resp_free(&r);

    /* a reload (the same scenario PUT again) keeps them, as it keeps clarifications */
    FILE *f = fopen(e2e_src(SC), "rb");
    ck_assert_ptr_nonnull(f);
    static char yaml[8192];
    size_t n = fread(yaml, 1, sizeof yaml - 1, f);
    fclose(f);
    yaml[n] = '\0';
    const char *h[] = {"Content-Type: application/yaml", NULL};
    admin("PUT", "/__admin/scenario", h, yaml, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&ma, OR, COFFEE, "key-11", &r), 200);
    ck_assert(replayed(&r));
    e2e_resp_free(&r);

    admin("POST", "/__admin/reset", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&ma, OR, ASK, "key-12", &r), 202); /* not 409: forgotten */
    ck_assert(!replayed(&r));
    e2e_resp_free(&r);
}
END_TEST

START_TEST(unauthenticated_requests_do_not_touch_keys)
{
    e2e_resp r;
    merchant bad = ma;
    snprintf(bad.tok, sizeof bad.tok, "not-a-token");
    const char *extra[] = {"Idempotency-Key: key-13", NULL};
    ck_assert_int_eq(
        e2e_signed_hdrs(&mock, bad.tok, ma.serial, ma.key, "POST", OR, COFFEE, 0, extra, &r), 0);
    ck_assert_int_eq(r.status, 401);
    e2e_resp_free(&r);
    /* a wrong signature neither: the key is still free for another body */
    ck_assert_int_eq(
        e2e_signed_hdrs(&mock, ma.tok, ma.serial, "wrong-key", "POST", OR, COFFEE, 0, extra, &r),
        0);
    ck_assert_int_eq(r.status, 401);
    e2e_resp_free(&r);
    ck_assert_int_eq(post(&ma, OR, ASK, "key-13", &r), 202);
    ck_assert(!replayed(&r));
    e2e_resp_free(&r);
}
END_TEST

static Suite *idempotency_suite(void)
{
    Suite *s = suite_create("idempotency");
    TCase *t = tcase_create("idempotency_key");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, same_key_same_body_replays_the_answer);
    tcase_add_test(t, same_key_other_body_conflicts);
    tcase_add_test(t, keys_are_per_merchant);
    tcase_add_test(t, a_replayed_clarification_keeps_its_location);
    tcase_add_test(t, a_replay_is_billed_once);
    tcase_add_test(t, a_key_is_fresh_after_24_hours_of_scenario_time);
    tcase_add_test(t, an_over_long_key_is_a_param_error);
    tcase_add_test(t, transient_answers_are_not_kept);
    tcase_add_test(t, a_replay_takes_no_rate_limit_token);
    tcase_add_test(t, reset_forgets_keys_and_reload_keeps_them);
    tcase_add_test(t, unauthenticated_requests_do_not_touch_keys);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(idempotency_suite)
