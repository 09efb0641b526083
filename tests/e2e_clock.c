/* End to end: token and clarification lifetimes, fraud batches and printed expiry times
 * follow the scenario clock (tests/data/clock.yaml, time_scale 0.01: 200 scenario seconds
 * are 2 real ones), both on the real clock and on the virtual one moved through
 * POST /__admin/clock; the signature window stays on the client's clock; a hot reload keeps
 * the scenario wall clock going at the new time_scale. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "check_main.h"
#include "clock.h"
#include "e2e.h"
#include "json.h"

#define CLOCK_SC "tests/data/clock.yaml"
#define OR "/v3/ai/order-routing"
#define FRAUD_BODY                                                                                 \
    "{\"transaction\":{\"amount\":{\"total\":100},\"payer\":{\"openid\":\"o_alice\"},"             \
    "\"payee\":{\"openid\":\"o_bob\"}}}"
#define ANSWER "{\"answers\":[{\"question_id\":\"tip_rate\",\"option_id\":\"15\"}]}"

static mock_proc mock;
static long skew_s; /* how far the mock's virtual clock is ahead of ours: signatures follow it */

static void setup(void)
{
    skew_s = 0;
    ck_assert_int_eq(mock_start(e2e_src(CLOCK_SC), NULL, &mock), 0);
}

static void teardown(void)
{
    ck_assert_int_eq(mock_stop(&mock), 0);
}

static void token(char *tok, size_t cap)
{
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, NULL, tok, cap), 0);
}

static long post(const char *tok, const char *path, const char *body, e2e_resp *r)
{
    ck_assert_int_eq(
        e2e_signed(&mock, tok, DEMO_SERIAL_A, DEMO_KEY_A, "POST", path, body, skew_s, NULL, r), 0);
    return r->status;
}

static long get(const char *tok, const char *path, e2e_resp *r)
{
    ck_assert_int_eq(
        e2e_signed(&mock, tok, DEMO_SERIAL_A, DEMO_KEY_A, "GET", path, NULL, 0, NULL, r), 0);
    return r->status;
}

/* 200 for a request that only the token can spoil. */
static long coffee(const char *tok)
{
    e2e_resp r;
    long st = post(tok, OR, "{\"text\":\"my usual coffee\"}", &r);
    if (st == 401)
        ck_assert_ptr_nonnull(strstr(json_string(r.json, "message"), "access token expired"));
    e2e_resp_free(&r);
    return st;
}

/* Ask the two-question rule; the clarification's path goes to path. */
static void ask(const char *tok, char *path, size_t cap)
{
    e2e_resp r;
    ck_assert_int_eq(post(tok, OR, "{\"text\":\"two questions please\"}", &r), 202);
    snprintf(path, cap, OR "/clarifications/%s", json_string(r.json, "clarification_id"));
    e2e_resp_free(&r);
}

static void assert_expired_clarification(const char *tok, const char *path)
{
    e2e_resp r;
    ck_assert_int_eq(post(tok, path, ANSWER, &r), 410);
    ck_assert_str_eq(json_string(r.json, "code"), "CLARIFICATION_EXPIRED");
    e2e_resp_free(&r);
}

/* The unix seconds of the RFC 3339 field key in the 200 answer to a POST of body. */
static int64_t time_of(const char *tok, const char *path, const char *body, const char *key)
{
    e2e_resp r;
    int64_t s = -1;
    int off;
    ck_assert_int_eq(post(tok, path, body, &r), 200);
    ck_assert_int_eq(clock_parse_rfc3339(json_string(r.json, key), &s, &off), 0);
    e2e_resp_free(&r);
    return s;
}

/* POST /__admin/clock with body; the clock's now_ms. */
static int64_t clock_post(const char *body)
{
    e2e_resp r;
    const char *h[] = {"Content-Type: application/json", NULL};
    ck_assert_int_eq(e2e_http(&mock, "POST", "/__admin/clock", h, body, strlen(body), &r), 0);
    ck_assert_int_eq(r.status, 200);
    int64_t ms = (int64_t)cJSON_GetObjectItem(r.json, "now_ms")->valuedouble;
    e2e_resp_free(&r);
    return ms;
}

/* expires_in of a fresh token: what a client counts on its own clock. */
static int64_t expires_in(void)
{
    char cred[128], b64[200], authz[256];
    static const char form[] = "grant_type=client_credentials";
    e2e_resp r;
    snprintf(cred, sizeof cred, "%s:%s", DEMO_MCHID, DEMO_SECRET);
    ck_assert_int_eq(base64_encode(cred, strlen(cred), b64, sizeof b64), 0);
    snprintf(authz, sizeof authz, "Authorization: Basic %s", b64);
    const char *h[] = {authz, "Content-Type: application/x-www-form-urlencoded", NULL};
    ck_assert_int_eq(e2e_http(&mock, "POST", "/v3/oauth2/token", h, form, sizeof form - 1, &r), 0);
    ck_assert_int_eq(r.status, 200);
    int64_t s = (int64_t)cJSON_GetObjectItem(r.json, "expires_in")->valuedouble;
    e2e_resp_free(&r);
    return s;
}

START_TEST(token_expires_on_scaled_clock)
{
    char tok[512];
    ck_assert_int_eq(expires_in(), 2); /* 200 scenario s are 2 real s */
    token(tok, sizeof tok);
    ck_assert_int_eq(coffee(tok), 200);
    sleep(4);
    ck_assert_int_eq(coffee(tok), 401);
    token(tok, sizeof tok); /* a fresh token works again */
    ck_assert_int_eq(coffee(tok), 200);
}
END_TEST

START_TEST(clarification_expires_on_scaled_clock)
{
    char tok[512], path[256];
    e2e_resp r;
    token(tok, sizeof tok);
    ask(tok, path, sizeof path);
    sleep(4);
    token(tok, sizeof tok); /* the first one has expired too */
    assert_expired_clarification(tok, path);
    /* a clarification answered right away is still open */
    ask(tok, path, sizeof path);
    ck_assert_int_eq(post(tok, path, ANSWER, &r), 202);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(virtual_clock_advances_ttls)
{
    char tok[512], path[256], batch[256];
    e2e_resp r;
    int64_t t0 = clock_post("{\"mode\":\"virtual\"}");
    token(tok, sizeof tok);
    ask(tok, path, sizeof path);

    /* a batch completes 1 s + 1 ms per item of scenario time after it was submitted */
    ck_assert_int_eq(post(tok, "/v3/ai/fraud-score/batches", "{\"items\":[" FRAUD_BODY "]}", &r),
                     202);
    snprintf(batch, sizeof batch, "/v3/ai/fraud-score/batches/%s", json_string(r.json, "batch_id"));
    e2e_resp_free(&r);
    ck_assert_int_eq(get(tok, batch, &r), 200);
    ck_assert_str_eq(json_string(r.json, "status"), "processing");
    e2e_resp_free(&r);
    clock_post("{\"advance_ms\":11}"); /* 1.1 scenario s */
    ck_assert_int_eq(get(tok, batch, &r), 200);
    ck_assert_str_eq(json_string(r.json, "status"), "completed");
    e2e_resp_free(&r);

    ck_assert_int_eq(coffee(tok), 200);
    clock_post("{\"advance_ms\":2500}"); /* 250 scenario s: past both 200 s lifetimes */
    ck_assert_int_eq(coffee(tok), 401);
    token(tok, sizeof tok);
    ck_assert_int_eq(coffee(tok), 200);
    assert_expired_clarification(tok, path);

    /* printed expiry times are on the scenario wall clock too: 250 s past the frozen instant,
     * where lib/clock has moved 2.5 s */
    int64_t at = t0 / 1000 + 250;
    ck_assert_int_ge(time_of(tok, OR, "{\"text\":\"my usual coffee\"}", "expires_at"), at);
    ck_assert_int_ge(time_of(tok, "/v3/ai/fraud-score", FRAUD_BODY, "explanation_expires_at"),
                     at + 30 * 86400);
    clock_post("{\"mode\":\"real\"}");
}
END_TEST

/* advance_ms on the virtual clock, and sign as of the mock's clock. */
static void advance(long ms)
{
    char body[64];
    snprintf(body, sizeof body, "{\"advance_ms\":%ld}", ms);
    clock_post(body);
    skew_s += ms / 1000;
}

/* PUT tests/data/clock.yaml again with time_scale scale (its text, e.g. "10"). */
static void reload_with_scale(const char *scale)
{
    static char yaml[8192], text[sizeof yaml + 64];
    FILE *f = fopen(e2e_src(CLOCK_SC), "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(yaml, 1, sizeof yaml - 1, f);
    fclose(f);
    yaml[n] = '\0';
    char *at = strstr(yaml, "time_scale: 0.01");
    ck_assert_ptr_nonnull(at);
    *at = '\0';
    int len = snprintf(text, sizeof text, "%stime_scale: %s%s", yaml, scale,
                       at + strlen("time_scale: 0.01"));
    ck_assert(len > 0 && (size_t)len < sizeof text);
    e2e_resp r;
    const char *h[] = {"Content-Type: application/yaml", NULL};
    ck_assert_int_eq(e2e_http(&mock, "PUT", "/__admin/scenario", h, text, (size_t)len, &r), 0);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
}

/* 1 if the clarification at path is still open, 0 if expired; a body that is no object
 * is refused after the lookup, so probing does not answer it. */
static int open_clarification(const char *path)
{
    char tok[512];
    e2e_resp r;
    token(tok, sizeof tok);
    long st = post(tok, path, "[]", &r);
    ck_assert_msg(st == 400 || st == 410, "status %ld", st);
    e2e_resp_free(&r);
    return st == 400;
}

/* A clarification (clarification_ttl_s 200) outlives a reload and expires when 200 s of
 * scenario time have passed, counted at each scenario's time_scale in turn; the scenario
 * wall clock goes on across the reload. Its expiry is whole seconds, so each lifetime is
 * checked to within one scenario second, where a restarted clock is off by 99 s or more. */
START_TEST(reload_keeps_scenario_clock)
{
    char tok[512], path[256];
    clock_post("{\"mode\":\"virtual\"}");
    token(tok, sizeof tok);
    ask(tok, path, sizeof path);
    advance(1000); /* 100 scenario s at 0.01 */
    reload_with_scale("10");
    advance(990000); /* 99 more at 10 */
    ck_assert(open_clarification(path));
    advance(10000); /* the 200th */
    ck_assert(!open_clarification(path));

    /* and from a slow scenario to a fast one */
    token(tok, sizeof tok);
    ask(tok, path, sizeof path);
    advance(1000000); /* 100 scenario s at 10 */
    reload_with_scale("0.01");
    ck_assert(open_clarification(path));
    advance(990); /* 99 more at 0.01 */
    ck_assert(open_clarification(path));
    advance(10);
    ck_assert(!open_clarification(path));
}
END_TEST

static Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *t = tcase_create("scenario_clock");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, token_expires_on_scaled_clock);
    tcase_add_test(t, clarification_expires_on_scaled_clock);
    tcase_add_test(t, virtual_clock_advances_ttls);
    tcase_add_test(t, reload_keeps_scenario_clock);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(clock_suite)
