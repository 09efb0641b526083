/* End to end: the token endpoint and every failure of the signed-request
 * check, against the real wxai-mock on port 0. After each failure the
 * server must still answer a good request. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e.h"
#include "json.h"

static mock_proc mock;
static char token[512];

#define COFFEE "{\"text\":\"my usual coffee\"}"

static void setup(void)
{
    ck_assert_int_eq(mock_start(e2e_src("tests/data/e2e.yaml"), NULL, &mock), 0);
    ck_assert_int_eq(
        e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, "ai_payment_intelligence", token, sizeof token),
        0);
}

static void teardown(void)
{
    ck_assert_int_eq(mock_stop(&mock), 0); /* SIGTERM is a clean stop */
}

/* The server still serves a good signed request. */
static void still_serving(void)
{
    e2e_resp r;
    char tok[512];
    ck_assert(mock_alive(&mock));
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, NULL, tok, sizeof tok), 0);
    ck_assert_int_eq(e2e_signed(&mock, tok, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", COFFEE, 0, NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
}

static void assert_error(const e2e_resp *r, long status, const char *code)
{
    char rid[64];
    ck_assert_int_eq(r->status, status);
    ck_assert_ptr_nonnull(r->json);
    ck_assert_str_eq(json_string(r->json, "code"), code);
    ck_assert_ptr_nonnull(json_string(r->json, "message"));
    ck_assert_ptr_nonnull(e2e_header(r, "Request-ID", rid, sizeof rid));
    ck_assert_uint_eq(strlen(rid), 36);
}

static void token_request(const char *authz, const char *ctype, const char *body, e2e_resp *r)
{
    const char *h[3] = {authz, ctype, NULL};
    if (!authz) h[0] = ctype, h[1] = NULL;
    ck_assert_int_eq(e2e_http(&mock, "POST", "/v3/oauth2/token", h, body, strlen(body), r), 0);
}

#define BASIC_OK "Authorization: Basic MTkwMDAwMDEwOTpzM2NyM3QtZGVtby0xOTAwMDAwMTA5"
#define FORM "Content-Type: application/x-www-form-urlencoded"

START_TEST(token_happy_path)
{
    e2e_resp r;
    char buf[128];
    token_request(BASIC_OK, FORM, "grant_type=client_credentials&scope=ai_payment_intelligence",
                  &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string(r.json, "token_type"), "Bearer");
    ck_assert_str_eq(json_string(r.json, "scope"), "ai_payment_intelligence");
    ck_assert_int_eq(cJSON_GetObjectItem(r.json, "expires_in")->valueint, 2);
    ck_assert_str_eq(e2e_header(&r, "Cache-Control", buf, sizeof buf), "no-store");
    ck_assert_str_eq(e2e_header(&r, "Content-Type", buf, sizeof buf),
                     "application/json; charset=utf-8");
    ck_assert(e2e_response_signed(&r, DEMO_KEY_A));
    e2e_resp_free(&r);
}
END_TEST

START_TEST(token_failures)
{
    e2e_resp r;
    char buf[128];
    /* No credentials. */
    token_request(NULL, FORM, "grant_type=client_credentials", &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(json_string(r.json, "error"), "invalid_client");
    ck_assert_str_eq(e2e_header(&r, "WWW-Authenticate", buf, sizeof buf),
                     "Basic realm=\"wechatpay-ai\"");
    e2e_resp_free(&r);
    /* Wrong secret: base64("1900000109:wrong"). */
    token_request("Authorization: Basic MTkwMDAwMDEwOTp3cm9uZw==", FORM,
                  "grant_type=client_credentials", &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(json_string(r.json, "error"), "invalid_client");
    e2e_resp_free(&r);
    /* Not base64 at all. */
    token_request("Authorization: Basic !!!", FORM, "grant_type=client_credentials", &r);
    ck_assert_int_eq(r.status, 401);
    e2e_resp_free(&r);
    /* Wrong grant. */
    token_request(BASIC_OK, FORM, "grant_type=password", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(r.json, "error"), "unsupported_grant_type");
    e2e_resp_free(&r);
    /* No grant. */
    token_request(BASIC_OK, FORM, "scope=payments", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(r.json, "error"), "invalid_request");
    e2e_resp_free(&r);
    /* Not a form. */
    token_request(BASIC_OK, "Content-Type: application/json", "{}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(r.json, "error"), "invalid_request");
    e2e_resp_free(&r);
    /* A scope the merchant does not hold. */
    token_request(BASIC_OK, FORM, "grant_type=client_credentials&scope=refunds", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(r.json, "error"), "invalid_scope");
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

START_TEST(scope_not_approved)
{
    /* The default scenario's second merchant is waiting for approval. */
    mock_proc other;
    char tok[512];
    e2e_resp r;
    ck_assert_int_eq(mock_start(e2e_src("scenarios/default.yaml"), NULL, &other), 0);
    const char *h[] = {"Authorization: Basic MTkwMDAwMDIwMDpzM2NyM3QtcGVuZGluZy0xOTAwMDAwMjAw",
                       FORM, NULL};
    const char *body = "grant_type=client_credentials&scope=ai_payment_intelligence";
    ck_assert_int_eq(e2e_http(&other, "POST", "/v3/oauth2/token", h, body, strlen(body), &r), 0);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(r.json, "error"), "invalid_scope");
    ck_assert_ptr_nonnull(strstr(json_string(r.json, "error_description"), "approval"));
    e2e_resp_free(&r);
    ck_assert_int_ne(
        e2e_token(&other, "1900000200", "s3cr3t-pending-1900000200", NULL, tok, sizeof tok), 0);
    ck_assert_int_eq(mock_stop(&other), 0);
}
END_TEST

START_TEST(token_invalid)
{
    e2e_resp r;
    char buf[128];
    const char *h[] = {"Content-Type: application/json", NULL};
    ck_assert_int_eq(e2e_http(&mock, "POST", "/v3/ai/order-routing", h, COFFEE, strlen(COFFEE), &r),
                     0);
    assert_error(&r, 401, "TOKEN_INVALID");
    ck_assert_str_eq(e2e_header(&r, "WWW-Authenticate", buf, sizeof buf),
                     "Bearer realm=\"wechatpay-ai\"");
    e2e_resp_free(&r);

    ck_assert_int_eq(e2e_signed(&mock, "1900000109.9999999999.ai_payment_intelligence.AAAA",
                                DEMO_SERIAL_A, DEMO_KEY_A, "POST", "/v3/ai/order-routing", COFFEE,
                                0, NULL, &r),
                     0);
    assert_error(&r, 401, "TOKEN_INVALID");
    ck_assert_str_eq(e2e_header(&r, "WWW-Authenticate", buf, sizeof buf),
                     "Bearer realm=\"wechatpay-ai\", error=\"invalid_token\"");
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

START_TEST(token_expires)
{
    e2e_resp r;
    sleep(3); /* the scenario's token_ttl_s is 2 */
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", COFFEE, 0, NULL, &r),
                     0);
    assert_error(&r, 401, "TOKEN_INVALID");
    ck_assert_ptr_nonnull(strstr(json_string(r.json, "message"), "expired"));
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

START_TEST(no_scope)
{
    e2e_resp r;
    char tok[512], buf[128];
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, "payments", tok, sizeof tok), 0);
    ck_assert_int_eq(e2e_signed(&mock, tok, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", COFFEE, 0, NULL, &r),
                     0);
    assert_error(&r, 403, "NO_AUTH");
    ck_assert_str_eq(e2e_header(&r, "WWW-Authenticate", buf, sizeof buf),
                     "Bearer error=\"insufficient_scope\", scope=\"ai_payment_intelligence\"");
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

static void assert_sign_error(const e2e_resp *r)
{
    assert_error(r, 401, "SIGN_ERROR");
    cJSON *info = cJSON_GetObjectItem(cJSON_GetObjectItem(r->json, "detail"), "sign_information");
    ck_assert_ptr_nonnull(info);
    ck_assert_str_eq(json_string(info, "method"), "POST");
    ck_assert_str_eq(json_string(info, "url"), "/v3/ai/order-routing");
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(info, "sign_message_length")));
    ck_assert_ptr_nonnull(json_string(info, "sign_message"));
}

START_TEST(signature_headers_missing)
{
    e2e_resp r;
    char authz[600];
    snprintf(authz, sizeof authz, "Authorization: Bearer %s", token);
    const char *h[] = {authz, "Content-Type: application/json", NULL};
    ck_assert_int_eq(e2e_http(&mock, "POST", "/v3/ai/order-routing", h, COFFEE, strlen(COFFEE), &r),
                     0);
    assert_sign_error(&r);
    /* The merchant is known from the token, so even this error is signed. */
    ck_assert(e2e_response_signed(&r, DEMO_KEY_A));
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

START_TEST(timestamp_window)
{
    e2e_resp r;
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", COFFEE, -301, NULL, &r),
                     0);
    assert_sign_error(&r);
    e2e_resp_free(&r);
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", COFFEE, 400, NULL, &r),
                     0);
    assert_sign_error(&r);
    e2e_resp_free(&r);
    /* Well inside the window is fine. */
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", COFFEE, -200, NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(unknown_serial_and_wrong_key)
{
    e2e_resp r;
    ck_assert_int_eq(e2e_signed(&mock, token, "KEY-1999-X", DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", COFFEE, 0, NULL, &r),
                     0);
    assert_sign_error(&r);
    e2e_resp_free(&r);
    /* Serial A, signed with key B. */
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_B, "POST",
                                "/v3/ai/order-routing", COFFEE, 0, NULL, &r),
                     0);
    assert_sign_error(&r);
    ck_assert_ptr_nonnull(strstr(json_string(r.json, "message"), "does not match"));
    cJSON *info = cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "detail"), "sign_information");
    ck_assert_ptr_nonnull(strstr(json_string(info, "sign_message"), COFFEE));
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

START_TEST(key_rotation_both_keys)
{
    e2e_resp r;
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_B, DEMO_KEY_B, "POST",
                                "/v3/ai/order-routing", COFFEE, 0, NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 200);
    char serial[64];
    /* The response is signed with the key the request used. */
    ck_assert_str_eq(e2e_header(&r, "Wechatpay-Serial", serial, sizeof serial), DEMO_SERIAL_B);
    ck_assert(e2e_response_signed(&r, DEMO_KEY_B));
    ck_assert(!e2e_response_signed(&r, DEMO_KEY_A));
    e2e_resp_free(&r);
}
END_TEST

START_TEST(nonce_replay)
{
    e2e_resp r;
    const char *nonce = "REPLAYREPLAYREPLAYREPLAYREPLAY01";
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", COFFEE, 0, nonce, &r),
                     0);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", COFFEE, 0, nonce, &r),
                     0);
    assert_sign_error(&r);
    ck_assert_ptr_nonnull(strstr(json_string(r.json, "message"), "already used"));
    e2e_resp_free(&r);
    /* A malformed nonce is refused before it is recorded. */
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", COFFEE, 0, "short", &r),
                     0);
    assert_sign_error(&r);
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

/* A correctly signed order whose Wechatpay-Timestamp is ts, as written. */
static void signed_at(const char *ts, e2e_resp *r)
{
    ck_assert_int_eq(e2e_signed_at(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                   "/v3/ai/order-routing", COFFEE, ts, r),
                     0);
}

START_TEST(header_formats)
{
    e2e_resp r;
    char ts[64];
    long now = (long)time(NULL);
    /* unix seconds are digits: a sign, a suffix, a fraction or 19 digits are not */
    const char *not_seconds[] = {"+%ld", "%ldx", "%ld.5", "1%018ld"};
    for (size_t i = 0; i < sizeof not_seconds / sizeof *not_seconds; i++) {
        snprintf(ts, sizeof ts, not_seconds[i], now);
        signed_at(ts, &r);
        assert_sign_error(&r);
        ck_assert_msg(strstr(json_string(r.json, "message"), "unix seconds"), "%s: %s", ts,
                      json_string(r.json, "message"));
        e2e_resp_free(&r);
    }
    snprintf(ts, sizeof ts, "-%ld", now); /* a number, far outside the window */
    signed_at(ts, &r);
    ck_assert_ptr_nonnull(strstr(json_string(r.json, "message"), "300 s or more"));
    e2e_resp_free(&r);
    snprintf(ts, sizeof ts, "%ld", now);
    signed_at(ts, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);

    /* nonces: 32 of [0-9A-Za-z], tried at the ends of each range and just past them */
    const char *good[] = {"09azAZ09azAZ09azAZ09azAZ09azAZ09", "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvu"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                    "/v3/ai/order-routing", COFFEE, 0, good[i], &r),
                         0);
        ck_assert_msg(r.status == 200, "%s: %ld", good[i], r.status);
        e2e_resp_free(&r);
    }
    const char *bad[] = {"/", ":", "@", "[", "`", "{", "\xc3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char nonce[40] = "abcdefghijklmnopqrstuvwxyz012345";
        nonce[(i * 5) % 32] = bad[i][0];
        ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                    "/v3/ai/order-routing", COFFEE, 0, nonce, &r),
                         0);
        assert_sign_error(&r);
        ck_assert_msg(strstr(json_string(r.json, "message"), "32 characters"), "%s: %s", nonce,
                      json_string(r.json, "message"));
        e2e_resp_free(&r);
    }
    still_serving();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_auth");
    TCase *tc = tcase_create("auth");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, token_happy_path);
    tcase_add_test(tc, token_failures);
    tcase_add_test(tc, scope_not_approved);
    tcase_add_test(tc, token_invalid);
    tcase_add_test(tc, token_expires);
    tcase_add_test(tc, no_scope);
    tcase_add_test(tc, signature_headers_missing);
    tcase_add_test(tc, timestamp_window);
    tcase_add_test(tc, unknown_serial_and_wrong_key);
    tcase_add_test(tc, key_rotation_both_keys);
    tcase_add_test(tc, nonce_replay);
    tcase_add_test(tc, header_formats);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
