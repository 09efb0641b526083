/* End to end: fraud scoring over HTTP: each factor triggered on its own, the
 * combinations and their explanation, pinned scores, validation with JSON
 * pointers, every status the contract lists for these endpoints, and a batch
 * of 1,000 from submission to completed results. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e.h"
#include "json.h"
#include "openapi.h"

#define OTHER_MCHID "1900000300"
#define OTHER_SECRET "s3cr3t-other-1900000300"
#define OTHER_SERIAL "KEY-OTHER-1"
#define OTHER_KEY "other-key-0123456789abcdef0123"

static mock_proc mock;
static openapi *api; /* every response checked against fixtures/openapi.yaml */
static char token[512];

/* The response conforms to what fixtures/openapi.yaml documents for it. */
static void conforms(const char *method, const char *path, const e2e_resp *r)
{
    e2e_conforms(api, method, path, r);
}

static void setup(void)
{
    e2e_openapi_load(&api);
    ck_assert_int_eq(mock_start(e2e_src("tests/data/fraud.yaml"), NULL, &mock), 0);
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, NULL, token, sizeof token), 0);
}

static void teardown(void)
{
    openapi_free(api);
    api = NULL;
    ck_assert_int_eq(mock_stop(&mock), 0);
}

static void call(const char *method, const char *path, const char *body, e2e_resp *r)
{
    ck_assert_int_eq(
        e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, method, path, body, 0, NULL, r), 0);
    ck_assert(e2e_response_signed(r, DEMO_KEY_A));
    conforms(method, path, r);
}

/* A request that triggers nothing: Alice pays Bob a usual amount from her own
 * phone in the afternoon, typing like a person, in a calm chat. Each field can
 * be replaced to trigger exactly one factor. */
typedef struct req {
    long long amount;
    const char *payer, *payee, *device, *cadence, *chat, *time;
} req;

static req calm(void)
{
    req q = {15000,
             "o_alice",
             "o_bob",
             "fp_alice_iphone15",
             "[120, 80, 95, 210, 60]",
             "thanks for dinner, here is my share",
             "2026-12-04T14:00:00+08:00"};
    return q;
}

static char *body_of(const req *q)
{
    char *b = malloc(4096);
    snprintf(b, 4096,
             "{\"transaction\":{\"amount\":{\"total\":%lld,\"currency\":\"CNY\"},"
             "\"payer\":{\"openid\":\"%s\"},\"payee\":{\"openid\":\"%s\"},\"channel\":\"p2p\"},"
             "\"device\":{\"fingerprint\":\"%s\",\"ip\":\"203.0.113.7\"},"
             "\"behavior\":{\"typing_cadence_ms\":%s},"
             "\"chat\":[{\"from\":\"payee\",\"text\":\"%s\"}],"
             "\"context\":{\"reference_time\":\"%s\"}}",
             q->amount, q->payer, q->payee, q->device, q->cadence, q->chat, q->time);
    return b;
}

static void score(const req *q, e2e_resp *r)
{
    char *b = body_of(q);
    call("POST", "/v3/ai/fraud-score", b, r);
    free(b);
    ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
}

static int num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", k);
    return v->valueint;
}

/* The result has exactly the factors named (in any order) and they add up to the score. */
static void assert_factors(const cJSON *res, const char *const *codes, size_t n)
{
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(res, "factors"), *f;
    ck_assert_int_eq(cJSON_GetArraySize(fs), (int)n);
    int sum = 0;
    cJSON_ArrayForEach(f, fs)
    {
        int found = 0;
        for (size_t i = 0; i < n; i++)
            found |= strcmp(json_string(f, "code"), codes[i]) == 0;
        ck_assert_msg(found, "unexpected factor %s", json_string(f, "code"));
        ck_assert_int_gt(num(f, "contribution"), 0);
        ck_assert_ptr_nonnull(json_string(f, "detail"));
        sum += num(f, "contribution");
    }
    ck_assert_int_eq(sum, num(res, "risk_score"));
}

static void assert_only(const e2e_resp *r, const char *code, int weight)
{
    const char *codes[] = {code};
    assert_factors(r->json, codes, 1);
    ck_assert_int_eq(num(r->json, "risk_score"), weight);
    ck_assert_str_eq(json_string(r->json, "level"), "low");
    ck_assert_str_eq(json_string(r->json, "decision_hint"), "allow");
}

START_TEST(calm_request_scores_zero)
{
    e2e_resp r;
    req q = calm();
    score(&q, &r);
    ck_assert_int_eq(num(r.json, "risk_score"), 0);
    assert_factors(r.json, NULL, 0);
    ck_assert_str_eq(json_string(r.json, "level"), "low");
    ck_assert_str_eq(json_string(r.json, "decision_hint"), "allow");
    ck_assert_str_eq(json_string(r.json, "explanation"), "no risk factors found");
    ck_assert_ptr_nonnull(json_string(r.json, "score_id"));
    ck_assert_ptr_nonnull(json_string(r.json, "explanation_expires_at"));
    const cJSON *cost = cJSON_GetObjectItem(r.json, "cost");
    ck_assert_int_eq(num(cost, "amount_micros"), 10000);
    ck_assert_str_eq(json_string(cost, "currency"), "CNY");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(r.json, "model"), "name"), "wxpay-risk");
    e2e_resp_free(&r);
}
END_TEST

START_TEST(new_device_alone)
{
    e2e_resp r;
    req q = calm();
    q.device = "fp_never_seen_before";
    score(&q, &r);
    assert_only(&r, "new_device", 25);
    ck_assert_str_eq(json_string(r.json, "explanation"), "unusual device fingerprint");
    e2e_resp_free(&r);
}
END_TEST

START_TEST(amount_spike_alone)
{
    e2e_resp r;
    req q = calm();
    q.amount = 75000; /* exactly 5x Alice's usual 15000: not yet */
    score(&q, &r);
    ck_assert_int_eq(num(r.json, "risk_score"), 0);
    e2e_resp_free(&r);
    q.amount = 75001;
    score(&q, &r);
    assert_only(&r, "amount_spike", 20);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(new_payee_alone)
{
    e2e_resp r;
    req q = calm();
    q.payee = "o_mallory"; /* account 2 days old */
    score(&q, &r);
    assert_only(&r, "new_payee", 20);
    e2e_resp_free(&r);
    q.payee = "o_nobody_knows"; /* not in the directory */
    score(&q, &r);
    assert_only(&r, "new_payee", 20);
    ck_assert_str_eq(json_string(r.json, "explanation"), "new or unknown payee account");
    e2e_resp_free(&r);
}
END_TEST

START_TEST(urgent_language_alone)
{
    static const char *const texts[] = {"please hurry, it's urgent!!", "I need it ASAP",
                                        "快点转给我", "救命，马上打钱"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        e2e_resp r;
        req q = calm();
        q.chat = texts[i];
        score(&q, &r);
        assert_only(&r, "urgent_language", 15);
        ck_assert_str_eq(json_string(r.json, "explanation"), "emotional language pattern");
        e2e_resp_free(&r);
    }
}
END_TEST

START_TEST(unusual_typing_alone)
{
    e2e_resp r;
    req q = calm();
    q.cadence = "[100, 100, 101, 100, 99]"; /* a metronome, not a hand */
    score(&q, &r);
    assert_only(&r, "unusual_typing", 10);
    e2e_resp_free(&r);
    q.cadence = "[20, 35, 12, 41]"; /* faster than anyone types */
    score(&q, &r);
    assert_only(&r, "unusual_typing", 10);
    e2e_resp_free(&r);
    q.cadence = "[100, 100]"; /* too few intervals to judge */
    score(&q, &r);
    ck_assert_int_eq(num(r.json, "risk_score"), 0);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(night_time_alone)
{
    e2e_resp r;
    req q = calm();
    q.time = "2026-12-04T03:30:00+08:00";
    score(&q, &r);
    assert_only(&r, "night_time", 10);
    e2e_resp_free(&r);
    q.time = "2026-12-03T19:30:00Z"; /* 03:30 in Beijing, written in UTC */
    score(&q, &r);
    assert_only(&r, "night_time", 10);
    e2e_resp_free(&r);
    q.time = "2026-12-04T05:00:00+08:00"; /* the window ends at 05:00 */
    score(&q, &r);
    ck_assert_int_eq(num(r.json, "risk_score"), 0);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(combinations)
{
    e2e_resp r;
    req q = calm();
    q.device = "fp_unknown";
    q.chat = "please hurry";
    score(&q, &r);
    ck_assert_int_eq(num(r.json, "risk_score"), 40);
    ck_assert_str_eq(json_string(r.json, "level"), "medium");
    ck_assert_str_eq(json_string(r.json, "decision_hint"), "review");
    ck_assert_str_eq(json_string(r.json, "explanation"),
                     "unusual device fingerprint combined with emotional language pattern");
    e2e_resp_free(&r);

    q.amount = 500000;
    q.payee = "o_mallory";
    q.cadence = "[10, 10, 10, 10]";
    q.time = "2026-12-04T02:00:00+08:00";
    score(&q, &r);
    const char *all[] = {"new_device",      "amount_spike",   "new_payee",
                         "urgent_language", "unusual_typing", "night_time"};
    assert_factors(r.json, all, 6);
    ck_assert_int_eq(num(r.json, "risk_score"), 100);
    ck_assert_str_eq(json_string(r.json, "level"), "high");
    ck_assert_str_eq(json_string(r.json, "decision_hint"), "block");
    ck_assert_str_eq(json_string(r.json, "explanation"),
                     "unusual device fingerprint combined with amount far above the payer's "
                     "usual, new or unknown payee account, emotional language pattern, unusual "
                     "typing cadence and night-time activity");
    e2e_resp_free(&r);
}
END_TEST

START_TEST(minimal_request_and_pins)
{
    e2e_resp r;
    call("POST", "/v3/ai/fraud-score",
         "{\"transaction\":{\"amount\":{\"total\":100},\"payer\":{\"openid\":\"o_bob\"},"
         "\"payee\":{\"openid\":\"o_alice\"}}}",
         &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);

    req q = calm();
    q.payee = "o_mule"; /* pinned high whatever else is said */
    score(&q, &r);
    ck_assert_int_eq(num(r.json, "risk_score"), 93);
    ck_assert_str_eq(json_string(r.json, "decision_hint"), "block");
    const char *pin[] = {"scenario_rule"};
    assert_factors(r.json, pin, 1);
    ck_assert_ptr_nonnull(strstr(json_string(r.json, "explanation"), "pin-known-mule"));
    e2e_resp_free(&r);

    q = calm();
    q.payer = "o_trusted";
    q.device = "fp_unknown";
    score(&q, &r);
    ck_assert_int_eq(num(r.json, "risk_score"), 3);
    ck_assert_str_eq(json_string(r.json, "level"), "low");
    e2e_resp_free(&r);

    q = calm();
    q.payee = "o_landlord"; /* review forced, model score kept */
    score(&q, &r);
    ck_assert_int_eq(num(r.json, "risk_score"), 0);
    ck_assert_str_eq(json_string(r.json, "decision_hint"), "review");
    ck_assert_ptr_nonnull(strstr(json_string(r.json, "explanation"), "checked by hand"));
    e2e_resp_free(&r);
}
END_TEST

static void assert_error(const e2e_resp *r, long status, const char *code)
{
    ck_assert_msg(r->status == status, "status %ld, want %ld: %s", r->status, status, r->body);
    ck_assert_str_eq(json_string(r->json, "code"), code);
}

static void assert_param(const char *body, const char *field)
{
    e2e_resp r;
    call("POST", "/v3/ai/fraud-score", body, &r);
    assert_error(&r, 400, "PARAM_ERROR");
    const cJSON *d = cJSON_GetObjectItem(r.json, "detail");
    ck_assert_str_eq(json_string(d, "field"), field);
    ck_assert_str_eq(json_string(d, "location"), "body");
    ck_assert_ptr_nonnull(json_string(d, "issue"));
    e2e_resp_free(&r);
}

#define TX_OK                                                                                      \
    "\"amount\":{\"total\":100},\"payer\":{\"openid\":\"o_a\"},\"payee\":{\"openid\":\"o_b\"}"

START_TEST(param_errors_name_the_field)
{
    assert_param("[]", "");
    assert_param("{}", "/transaction");
    assert_param("{\"transaction\":{\"payer\":{\"openid\":\"o_a\"}}}", "/transaction/amount");
    assert_param("{\"transaction\":{\"amount\":{\"total\":1.5}}}", "/transaction/amount/total");
    assert_param("{\"transaction\":{\"amount\":{\"total\":-1}}}", "/transaction/amount/total");
    assert_param("{\"transaction\":{\"amount\":{\"total\":100,\"currency\":\"XXQ\"}}}",
                 "/transaction/amount/currency");
    assert_param("{\"transaction\":{\"amount\":{\"total\":100}}}", "/transaction/payer");
    assert_param("{\"transaction\":{\"amount\":{\"total\":100},\"payer\":{\"openid\":7}}}",
                 "/transaction/payer/openid");
    assert_param("{\"transaction\":{\"amount\":{\"total\":100},\"payer\":{\"openid\":\"o_a\"}}}",
                 "/transaction/payee");
    assert_param("{\"transaction\":{" TX_OK ",\"channel\":\"\"}}", "/transaction/channel");
    assert_param("{\"transaction\":{" TX_OK "},\"device\":[]}", "/device");
    assert_param("{\"transaction\":{" TX_OK "},\"device\":{\"fingerprint\":\"\"}}",
                 "/device/fingerprint");
    assert_param("{\"transaction\":{" TX_OK "},\"device\":{\"ip\":\"300.1.1.1\"}}", "/device/ip");
    assert_param("{\"transaction\":{" TX_OK "},\"behavior\":{\"typing_cadence_ms\":\"fast\"}}",
                 "/behavior/typing_cadence_ms");
    assert_param("{\"transaction\":{" TX_OK "},\"behavior\":{\"typing_cadence_ms\":[1,2,-3]}}",
                 "/behavior/typing_cadence_ms/2");
    assert_param("{\"transaction\":{" TX_OK "},\"chat\":{}}", "/chat");
    assert_param("{\"transaction\":{" TX_OK "},\"chat\":[{\"text\":\"hi\"},{\"from\":\"payee\"}]}",
                 "/chat/1/text");
    assert_param("{\"transaction\":{" TX_OK "},\"context\":{\"reference_time\":\"tonight\"}}",
                 "/context/reference_time");
}
END_TEST

START_TEST(statuses)
{
    e2e_resp r;
    char tok[512], buf[160];
    const char *ok = "{\"transaction\":{" TX_OK "}}";

    /* 400 INVALID_REQUEST: not JSON */
    call("POST", "/v3/ai/fraud-score", "{\"transaction\":", &r);
    assert_error(&r, 400, "INVALID_REQUEST");
    e2e_resp_free(&r);

    /* 401: no token; then a wrong signature */
    ck_assert_int_eq(e2e_http(&mock, "POST", "/v3/ai/fraud-score", NULL, ok, strlen(ok), &r), 0);
    assert_error(&r, 401, "TOKEN_INVALID");
    ck_assert_ptr_nonnull(e2e_header(&r, "WWW-Authenticate", buf, sizeof buf));
    e2e_resp_free(&r);
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, "not-the-key", "POST",
                                "/v3/ai/fraud-score", ok, 0, NULL, &r),
                     0);
    assert_error(&r, 401, "SIGN_ERROR");
    e2e_resp_free(&r);

    /* 403: a token without the AI scope */
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, "payments", tok, sizeof tok), 0);
    ck_assert_int_eq(e2e_signed(&mock, tok, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/fraud-score/batches", ok, 0, NULL, &r),
                     0);
    assert_error(&r, 403, "NO_AUTH");
    e2e_resp_free(&r);

    /* 404: unknown batch; 405: wrong method */
    call("GET", "/v3/ai/fraud-score/batches/fsb_doesnotexist", NULL, &r);
    assert_error(&r, 404, "RESOURCE_NOT_EXISTS");
    e2e_resp_free(&r);
    ck_assert_int_eq(e2e_http(&mock, "GET", "/v3/ai/fraud-score", NULL, NULL, 0, &r), 0);
    assert_error(&r, 405, "METHOD_NOT_ALLOWED");
    ck_assert_str_eq(e2e_header(&r, "Allow", buf, sizeof buf), "POST");
    e2e_resp_free(&r);

    /* 413: over the 1 MiB cap */
    size_t n = (1u << 20) + 10;
    char *big = malloc(n + 256);
    int k = snprintf(big, 256, "{\"transaction\":{" TX_OK "},\"pad\":\"");
    memset(big + k, 'x', n);
    strcpy(big + k + n, "\"}");
    /* refused before the caller is identified, so the answer is not signed */
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/fraud-score", big, 0, NULL, &r),
                     0);
    assert_error(&r, 413, "REQUEST_TOO_LARGE");
    e2e_resp_free(&r);
    free(big);

    /* 415: not JSON by type */
    ck_assert_int_eq(e2e_signed_ct(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                   "/v3/ai/fraud-score", "amount=1", 0, NULL,
                                   "application/x-www-form-urlencoded", &r),
                     0);
    assert_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
    e2e_resp_free(&r);

    /* 429, 500, 503 as the scenario scripts them */
    static const struct {
        const char *payee;
        long status;
        const char *code;
        int retry_after;
    } scripted[] = {{"o_err429", 429, "FREQUENCY_LIMITED", 1},
                    {"o_err500", 500, "SYSTEM_ERROR", 0},
                    {"o_err503", 503, "SERVICE_UNAVAILABLE", 1}};
    for (size_t i = 0; i < 3; i++) {
        req q = calm();
        q.payee = scripted[i].payee;
        char *b = body_of(&q);
        call("POST", "/v3/ai/fraud-score", b, &r);
        assert_error(&r, scripted[i].status, scripted[i].code);
        ck_assert_int_eq(e2e_header(&r, "Retry-After", buf, sizeof buf) != NULL,
                         scripted[i].retry_after);
        e2e_resp_free(&r);
        /* the same in a batch refuses the whole batch */
        char *batch = malloc(strlen(b) + 32);
        sprintf(batch, "{\"items\":[%s]}", b);
        call("POST", "/v3/ai/fraud-score/batches", batch, &r);
        assert_error(&r, scripted[i].status, scripted[i].code);
        e2e_resp_free(&r);
        free(batch);
        free(b);
    }
    ck_assert(mock_alive(&mock));
}
END_TEST

/* Item i of the big batch: every third one from an unknown device, every fifth at night. */
static char *batch_item(int i)
{
    req q = calm();
    char amount_payee[64];
    q.amount = 10000 + i;
    if (i % 3 == 0) q.device = "fp_unknown";
    if (i % 5 == 0) q.time = "2026-12-04T04:00:00+08:00";
    snprintf(amount_payee, sizeof amount_payee, "%s", i % 7 == 0 ? "o_mallory" : "o_bob");
    q.payee = amount_payee;
    return body_of(&q);
}

static int expected_score(int i)
{
    return (i % 3 == 0 ? 25 : 0) + (i % 5 == 0 ? 10 : 0) + (i % 7 == 0 ? 20 : 0);
}

START_TEST(batch_of_1000)
{
    e2e_resp r;
    char loc[256], path[256];
    size_t cap = 1000 * 800 + 64, len = 0;
    char *body = malloc(cap);
    len += (size_t)snprintf(body, cap, "{\"items\":[");
    for (int i = 0; i < 1000; i++) {
        char *it = batch_item(i);
        len += (size_t)snprintf(body + len, cap - len, "%s%s", i ? "," : "", it);
        free(it);
    }
    snprintf(body + len, cap - len, "]}");
    call("POST", "/v3/ai/fraud-score/batches", body, &r);
    free(body);
    ck_assert_msg(r.status == 202, "status %ld: %.300s", r.status, r.body);
    ck_assert_str_eq(json_string(r.json, "status"), "processing");
    ck_assert_int_eq(num(r.json, "count"), 1000);
    ck_assert_int_eq(num(cJSON_GetObjectItem(r.json, "cost"), "amount_micros"), 1000 * 10000);
    const char *id = json_string(r.json, "batch_id");
    snprintf(path, sizeof path, "/v3/ai/fraud-score/batches/%s", id);
    ck_assert_str_eq(e2e_header(&r, "Location", loc, sizeof loc), path);
    e2e_resp_free(&r);

    /* Another merchant cannot see it. */
    char other[512];
    ck_assert_int_eq(e2e_token(&mock, OTHER_MCHID, OTHER_SECRET, NULL, other, sizeof other), 0);
    ck_assert_int_eq(
        e2e_signed(&mock, other, OTHER_SERIAL, OTHER_KEY, "GET", path, NULL, 0, NULL, &r), 0);
    assert_error(&r, 404, "RESOURCE_NOT_EXISTS");
    e2e_resp_free(&r);

    /* Processing at first, completed about 2 s later (1 s + 1 ms per item). */
    call("GET", path, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string(r.json, "status"), "processing");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "results")), 0);
    e2e_resp_free(&r);
    int done = 0;
    for (int tries = 0; tries < 100 && !done; tries++) {
        usleep(100000);
        call("GET", path, NULL, &r);
        ck_assert_int_eq(r.status, 200);
        done = strcmp(json_string(r.json, "status"), "completed") == 0;
        if (!done) e2e_resp_free(&r);
    }
    ck_assert(done);
    const cJSON *results = cJSON_GetObjectItem(r.json, "results");
    ck_assert_int_eq(cJSON_GetArraySize(results), 1000);
    int i = 0;
    const cJSON *res;
    cJSON_ArrayForEach(res, results)
    {
        ck_assert_int_eq(num(res, "risk_score"), expected_score(i));
        ck_assert_int_eq(num(cJSON_GetObjectItem(res, "cost"), "amount_micros"), 10000);
        ck_assert_ptr_nonnull(json_string(res, "explanation_expires_at"));
        i++;
    }
    e2e_resp_free(&r);
}
END_TEST

START_TEST(batch_validation)
{
    e2e_resp r;
    call("POST", "/v3/ai/fraud-score/batches", "{\"items\":[]}", &r);
    assert_error(&r, 400, "PARAM_ERROR");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(r.json, "detail"), "field"), "/items");
    e2e_resp_free(&r);
    call("POST", "/v3/ai/fraud-score/batches", "{}", &r);
    assert_error(&r, 400, "PARAM_ERROR");
    e2e_resp_free(&r);
    call("POST", "/v3/ai/fraud-score/batches",
         "{\"items\":[{\"transaction\":{" TX_OK "}},{\"transaction\":{" TX_OK
         "}},{\"transaction\":{\"amount\":{\"total\":1},\"payer\":{\"openid\":\"o_a\"},"
         "\"payee\":{}}}]}",
         &r);
    assert_error(&r, 400, "PARAM_ERROR");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(r.json, "detail"), "field"),
                     "/items/2/transaction/payee/openid");
    e2e_resp_free(&r);

    /* 1,001 items is one too many */
    size_t cap = 1001 * 128 + 64, len = 0;
    char *body = malloc(cap);
    len += (size_t)snprintf(body, cap, "{\"items\":[");
    for (int i = 0; i < 1001; i++)
        len += (size_t)snprintf(body + len, cap - len, "%s{\"transaction\":{" TX_OK "}}",
                                i ? "," : "");
    snprintf(body + len, cap - len, "]}");
    call("POST", "/v3/ai/fraud-score/batches", body, &r);
    free(body);
    assert_error(&r, 400, "PARAM_ERROR");
    e2e_resp_free(&r);

    /* A small batch in the order given */
    call("POST", "/v3/ai/fraud-score/batches",
         "{\"items\":[{\"transaction\":{" TX_OK "}},{\"transaction\":{\"amount\":{\"total\":1},"
         "\"payer\":{\"openid\":\"o_a\"},\"payee\":{\"openid\":\"o_mule\"}}}]}",
         &r);
    ck_assert_int_eq(r.status, 202);
    ck_assert_int_eq(num(r.json, "count"), 2);
    e2e_resp_free(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_fraud");
    TCase *tc = tcase_create("fraud");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, calm_request_scores_zero);
    tcase_add_test(tc, new_device_alone);
    tcase_add_test(tc, amount_spike_alone);
    tcase_add_test(tc, new_payee_alone);
    tcase_add_test(tc, urgent_language_alone);
    tcase_add_test(tc, unusual_typing_alone);
    tcase_add_test(tc, night_time_alone);
    tcase_add_test(tc, combinations);
    tcase_add_test(tc, minimal_request_and_pins);
    tcase_add_test(tc, param_errors_name_the_field);
    tcase_add_test(tc, statuses);
    tcase_add_test(tc, batch_of_1000);
    tcase_add_test(tc, batch_validation);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
