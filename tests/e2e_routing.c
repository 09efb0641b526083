/* End to end: order routing over HTTP: the dinner example's clarification
 * round trip, answers that are wrong, expiry, fallback, review, scripted
 * errors, and bodies that are malformed, of the wrong type or too large. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e.h"
#include "json.h"

static mock_proc mock;
static char token[512];

static void start(const char *scenario)
{
    ck_assert_int_eq(mock_start(e2e_src(scenario), NULL, &mock), 0);
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, NULL, token, sizeof token), 0);
}

static void setup_default(void)
{
    start("scenarios/default.yaml");
}

static void setup_e2e(void)
{
    start("tests/data/e2e.yaml");
}

static void teardown(void)
{
    ck_assert_int_eq(mock_stop(&mock), 0);
}

static void post(const char *path, const char *body, e2e_resp *r)
{
    /* Tokens of the e2e scenario live 2 s: take a fresh one for each call. */
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, NULL, token, sizeof token), 0);
    ck_assert_int_eq(
        e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST", path, body, 0, NULL, r), 0);
    ck_assert(e2e_response_signed(r, DEMO_KEY_A));
}

static void still_serving(void)
{
    e2e_resp r;
    ck_assert(mock_alive(&mock));
    post("/v3/ai/order-routing", "{\"text\":\"my usual coffee\"}", &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
}

static const char *status_of(const e2e_resp *r)
{
    return json_string(r->json, "status");
}

static int64_t total_of(const cJSON *intent)
{
    return (int64_t)cJSON_GetObjectItem(cJSON_GetObjectItem(intent, "amount"), "total")
        ->valuedouble;
}

#define DINNER                                                                                     \
    "{\"text\":\"split the dinner bill from last night between Alice and Bob, with Alice paying "  \
    "the tip\",\"payer\":{\"openid\":\"o_carol\"},\"context\":{\"reference_time\":"                \
    "\"2026-12-04T20:00:00+08:00\"}}"

START_TEST(dinner_round_trip)
{
    e2e_resp r;
    char loc[256], path[256];
    post("/v3/ai/order-routing", DINNER, &r);
    ck_assert_int_eq(r.status, 202);
    ck_assert_str_eq(status_of(&r), "needs_clarification");
    const char *id = json_string(r.json, "clarification_id");
    ck_assert_ptr_nonnull(id);
    snprintf(path, sizeof path, "/v3/ai/order-routing/clarifications/%s", id);
    ck_assert_str_eq(e2e_header(&r, "Location", loc, sizeof loc), path);
    cJSON *q = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "questions"), 0);
    ck_assert_str_eq(json_string(q, "id"), "tip_rate");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(q, "options")), 2);
    ck_assert(
        cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "cost"), "amount_micros")));
    e2e_resp_free(&r);

    post(path, "{\"answers\":[{\"question_id\":\"tip_rate\",\"option_id\":\"15\"}]}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(status_of(&r), "ready");
    cJSON *intent = cJSON_GetObjectItem(r.json, "intent");
    ck_assert_str_eq(json_string(intent, "type"), "split_bill");
    ck_assert_int_eq(total_of(intent), 41400);
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(intent, "source_order"), "out_trade_no"),
                     "DIN-20261203-0042");
    cJSON *tip = cJSON_GetObjectItem(intent, "tip");
    ck_assert_int_eq(cJSON_GetObjectItem(tip, "rate_bp")->valueint, 1500);
    ck_assert_str_eq(json_string(tip, "paid_by"), "o_alice");
    cJSON *splits = cJSON_GetObjectItem(intent, "splits");
    ck_assert_int_eq(cJSON_GetArraySize(splits), 2);
    int64_t sum = 0;
    cJSON *s;
    cJSON_ArrayForEach(s, splits) sum += total_of(s);
    ck_assert_int_eq(sum, 41400);
    cJSON *alice = cJSON_GetArrayItem(splits, 0);
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(alice, "payer"), "openid"), "o_alice");
    ck_assert_int_eq(total_of(alice), 23400);
    ck_assert_ptr_nonnull(json_string(r.json, "confirmation_token"));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(r.json, "fallback")));
    /* cost = total_tokens * 3000 / 1000 micros */
    cJSON *usage = cJSON_GetObjectItem(r.json, "usage");
    int64_t tokens = (int64_t)cJSON_GetObjectItem(usage, "total_tokens")->valuedouble;
    ck_assert_int_gt(tokens, 0);
    ck_assert_int_eq(
        (int64_t)cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "cost"), "amount_micros")
            ->valuedouble,
        tokens * 3);
    e2e_resp_free(&r);

    /* Answered: the clarification is gone. */
    post(path, "{\"answers\":[{\"question_id\":\"tip_rate\",\"option_id\":\"15\"}]}", &r);
    ck_assert_int_eq(r.status, 404);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(same_input_same_answer)
{
    e2e_resp a, b;
    const char *body = "{\"text\":\"pay Bob 128 yuan for lunch\",\"context\":{\"reference_time\":"
                       "\"2026-12-04T20:00:00+08:00\"}}";
    post("/v3/ai/order-routing", body, &a);
    post("/v3/ai/order-routing", body, &b);
    ck_assert_int_eq(a.status, b.status);
    char *ia = cJSON_PrintUnformatted(cJSON_GetObjectItem(a.json, "intent"));
    char *ib = cJSON_PrintUnformatted(cJSON_GetObjectItem(b.json, "intent"));
    ck_assert_str_eq(ia, ib);
    ck_assert(cJSON_GetObjectItem(a.json, "confidence")->valuedouble ==
              cJSON_GetObjectItem(b.json, "confidence")->valuedouble);
    free(ia);
    free(ib);
    e2e_resp_free(&a);
    e2e_resp_free(&b);
}
END_TEST

static void ask_two(char *path, size_t cap)
{
    e2e_resp r;
    post("/v3/ai/order-routing", "{\"text\":\"two questions please\"}", &r);
    ck_assert_int_eq(r.status, 202);
    snprintf(path, cap, "/v3/ai/order-routing/clarifications/%s",
             json_string(r.json, "clarification_id"));
    e2e_resp_free(&r);
}

START_TEST(partial_answers_and_wrong_answers)
{
    e2e_resp r;
    char path[256];
    ask_two(path, sizeof path);
    /* Unknown question: 400 naming it. */
    post(path, "{\"answers\":[{\"question_id\":\"colour\",\"text\":\"red\"}]}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(r.json, "code"), "PARAM_ERROR");
    ck_assert_ptr_nonnull(strstr(json_string(r.json, "message"), "colour"));
    e2e_resp_free(&r);
    /* Unknown option: 400 naming the question. */
    post(path, "{\"answers\":[{\"question_id\":\"tip_rate\",\"option_id\":\"99\"}]}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(json_string(r.json, "message"), "tip_rate"));
    e2e_resp_free(&r);
    /* Not an answers list. */
    post(path, "{\"answers\":{}}", &r);
    ck_assert_int_eq(r.status, 400);
    e2e_resp_free(&r);
    /* One of two answered (by label): 202 again with the other still open. */
    post(path, "{\"answers\":[{\"question_id\":\"tip_rate\",\"text\":\"18%\"}]}", &r);
    ck_assert_int_eq(r.status, 202);
    cJSON *qs = cJSON_GetObjectItem(r.json, "questions");
    ck_assert_int_eq(cJSON_GetArraySize(qs), 1);
    ck_assert_str_eq(json_string(cJSON_GetArrayItem(qs, 0), "id"), "note");
    e2e_resp_free(&r);
    /* A free-text question needs text. */
    post(path, "{\"answers\":[{\"question_id\":\"note\",\"option_id\":\"x\"}]}", &r);
    ck_assert_int_eq(r.status, 400);
    e2e_resp_free(&r);
    post(path, "{\"answers\":[{\"question_id\":\"note\",\"text\":\"team lunch\"}]}", &r);
    ck_assert(r.status == 200 || r.status == 202);
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

START_TEST(unknown_and_expired_clarification)
{
    e2e_resp r;
    char path[256];
    post("/v3/ai/order-routing/clarifications/clr_doesnotexist",
         "{\"answers\":[{\"question_id\":\"tip_rate\",\"option_id\":\"15\"}]}", &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(json_string(r.json, "code"), "RESOURCE_NOT_EXISTS");
    e2e_resp_free(&r);
    ask_two(path, sizeof path);
    sleep(3); /* clarification_ttl_s is 2 */
    post(path, "{\"answers\":[{\"question_id\":\"tip_rate\",\"option_id\":\"15\"}]}", &r);
    ck_assert_int_eq(r.status, 410);
    ck_assert_str_eq(json_string(r.json, "code"), "CLARIFICATION_EXPIRED");
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

/* A scripted intent goes out as the scenario wrote it, and is billed for it: the rule's
 * intent is printed and counted once at load, so this pins both to the documented rule. */
START_TEST(scripted_intent_as_written_and_billed)
{
    e2e_resp r;
    post("/v3/ai/order-routing", "{\"text\":\"my usual coffee\"}", &r);
    ck_assert_int_eq(r.status, 200);
    char *intent = cJSON_PrintUnformatted(cJSON_GetObjectItem(r.json, "intent"));
    ck_assert_str_eq(intent, "{\"type\":\"pay\",\"amount\":{\"total\":3200,\"currency\":\"CNY\"}}");
    free(intent);
    /* letters ceil(n/4), digits ceil(n/3): "my usual coffee" 1+2+2 = 5 in; out: intent 2,
     * type 1, pay 1, amount 2, total 2, 3200 2, currency 2, CNY 1 = 13 */
    const cJSON *usage = cJSON_GetObjectItem(r.json, "usage");
    ck_assert_int_eq((int)cJSON_GetObjectItem(usage, "input_tokens")->valuedouble, 5);
    ck_assert_int_eq((int)cJSON_GetObjectItem(usage, "output_tokens")->valuedouble, 13);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(fallback_below_threshold)
{
    e2e_resp r;
    post("/v3/ai/order-routing", "{\"text\":\"my usual coffee\",\"confidence_threshold\":0.99}",
         &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(status_of(&r), "fallback");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(r.json, "confirmation_token")));
    cJSON *fb = cJSON_GetObjectItem(r.json, "fallback");
    ck_assert_str_eq(json_string(fb, "type"), "form");
    ck_assert_str_eq(json_string(fb, "reason"), "confidence_below_threshold");
    ck_assert(cJSON_GetObjectItem(r.json, "threshold")->valuedouble == 0.99);
    /* The prefill is still there. */
    ck_assert_int_eq(total_of(cJSON_GetObjectItem(r.json, "intent")), 3200);
    e2e_resp_free(&r);
    /* Same request at the scenario's 0.85: ready. */
    post("/v3/ai/order-routing", "{\"text\":\"my usual coffee\"}", &r);
    ck_assert_str_eq(status_of(&r), "ready");
    ck_assert(cJSON_GetObjectItem(r.json, "threshold")->valuedouble == 0.85);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(review_holds)
{
    e2e_resp r;
    /* A scripted review. */
    post("/v3/ai/order-routing", "{\"text\":\"hold me please\"}", &r);
    ck_assert_str_eq(status_of(&r), "pending_review");
    cJSON *rv = cJSON_GetObjectItem(r.json, "review");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rv, "required")));
    ck_assert_str_eq(json_string(rv, "reason"), "scripted review");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(r.json, "confirmation_token")));
    e2e_resp_free(&r);
    /* The model: an amount over the scenario's review limit (50,000 CNY). */
    post("/v3/ai/order-routing", "{\"text\":\"transfer 80000 yuan to Bob\"}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(status_of(&r), "pending_review");
    ck_assert_ptr_nonnull(
        strstr(json_string(cJSON_GetObjectItem(r.json, "review"), "reason"), "review limit"));
    e2e_resp_free(&r);
}
END_TEST

START_TEST(scripted_error)
{
    e2e_resp r;
    char buf[32];
    post("/v3/ai/order-routing", "{\"text\":\"please simulate outage\"}", &r);
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(json_string(r.json, "code"), "SERVICE_UNAVAILABLE");
    ck_assert_ptr_nonnull(e2e_header(&r, "Retry-After", buf, sizeof buf));
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

START_TEST(bad_bodies)
{
    e2e_resp r;
    post("/v3/ai/order-routing", "{\"text\": \"unterminated", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(r.json, "code"), "INVALID_REQUEST");
    e2e_resp_free(&r);
    still_serving();

    char deep[300];
    memset(deep, '[', 150);
    memset(deep + 150, ']', 150);
    deep[299] = '\0';
    deep[149] = '1';
    deep[150] = ']';
    post("/v3/ai/order-routing", deep, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(r.json, "code"), "INVALID_REQUEST");
    e2e_resp_free(&r);

    post("/v3/ai/order-routing", "{\"text\": 42}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(r.json, "code"), "PARAM_ERROR");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(r.json, "detail"), "field"), "/text");
    e2e_resp_free(&r);

    post("/v3/ai/order-routing", "{\"text\": \"\"}", &r);
    ck_assert_int_eq(r.status, 400);
    e2e_resp_free(&r);

    post("/v3/ai/order-routing", "{\"text\":\"pay bob 5\",\"confidence_threshold\":1.5}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(r.json, "detail"), "field"),
                     "/confidence_threshold");
    e2e_resp_free(&r);

    post("/v3/ai/order-routing", "[1,2,3]", &r);
    ck_assert_int_eq(r.status, 400);
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

START_TEST(wrong_media_type)
{
    e2e_resp r;
    ck_assert_int_eq(e2e_signed_ct(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                   "/v3/ai/order-routing", "text=hello", 0, NULL,
                                   "application/x-www-form-urlencoded", &r),
                     0);
    ck_assert_int_eq(r.status, 415);
    ck_assert_str_eq(json_string(r.json, "code"), "UNSUPPORTED_MEDIA_TYPE");
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

START_TEST(oversized_body)
{
    e2e_resp r;
    size_t n = 200000; /* the e2e scenario caps bodies at 64 KiB */
    char *big = malloc(n + 32);
    strcpy(big, "{\"text\":\"");
    memset(big + 9, 'a', n);
    strcpy(big + 9 + n, "\"}");
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, NULL, token, sizeof token), 0);
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", big, 0, NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 413);
    ck_assert_str_eq(json_string(r.json, "code"), "REQUEST_TOO_LARGE");
    e2e_resp_free(&r);
    free(big);
    still_serving();
}
END_TEST

START_TEST(routes_404_405)
{
    e2e_resp r;
    char allow[64];
    ck_assert_int_eq(e2e_http(&mock, "GET", "/v3/ai/order-routing", NULL, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(json_string(r.json, "code"), "METHOD_NOT_ALLOWED");
    ck_assert_str_eq(e2e_header(&r, "Allow", allow, sizeof allow), "POST");
    e2e_resp_free(&r);
    ck_assert_int_eq(e2e_http(&mock, "GET", "/v3/nothing/here", NULL, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(json_string(r.json, "code"), "RESOURCE_NOT_EXISTS");
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_routing");
    TCase *dflt = tcase_create("default");
    tcase_set_timeout(dflt, 60);
    tcase_add_checked_fixture(dflt, setup_default, teardown);
    tcase_add_test(dflt, dinner_round_trip);
    tcase_add_test(dflt, same_input_same_answer);
    suite_add_tcase(s, dflt);
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup_e2e, teardown);
    tcase_add_test(tc, partial_answers_and_wrong_answers);
    tcase_add_test(tc, unknown_and_expired_clarification);
    tcase_add_test(tc, scripted_intent_as_written_and_billed);
    tcase_add_test(tc, fallback_below_threshold);
    tcase_add_test(tc, review_holds);
    tcase_add_test(tc, scripted_error);
    tcase_add_test(tc, bad_bodies);
    tcase_add_test(tc, wrong_media_type);
    tcase_add_test(tc, oversized_body);
    tcase_add_test(tc, routes_404_405);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
