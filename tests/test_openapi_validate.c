/* Response validation against fixtures/openapi.yaml: the contract's examples
 * pass, mutations of them fail with a message naming the field, lookups
 * follow OpenAPI's path, status and media-type rules. */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "json.h"
#include "openapi.h"

#ifndef WXAI_SOURCE_DIR
#define WXAI_SOURCE_DIR "."
#endif

static openapi *api;
static jsonschema_error errs[8];
static size_t nerrs;

static void load_api(void)
{
    char path[4096];
    const char *dir = getenv("WXAI_SOURCE_DIR");
    diag d;
    snprintf(path, sizeof path, "%s/fixtures/openapi.yaml", dir && *dir ? dir : WXAI_SOURCE_DIR);
    ck_assert_int_eq(diag_init(&d, path), 0);
    int rc = openapi_load(path, &d, &api);
    char *msgs = diag_join(&d);
    ck_assert_msg(rc == 0, "%s does not load:\n%s", path, msgs ? msgs : "");
    free(msgs);
    diag_free(&d);
}

static void unload_api(void)
{
    openapi_free(api);
    api = NULL;
}

/* The contract's dinner example (CONTRACT.md, 200 of POST /v3/ai/order-routing). */
static const char dinner[] =
    "{\"intent_id\":\"int_8c3f1e2a9b7d\",\"status\":\"ready\",\"confidence\":0.91,"
    "\"threshold\":0.85,\"intent\":{\"type\":\"split_bill\","
    "\"amount\":{\"total\":41400,\"currency\":\"CNY\"},"
    "\"source_order\":{\"out_trade_no\":\"DIN-20261203-0042\",\"description\":\"Dinner, Haidilao "
    "Sanlitun\"},"
    "\"tip\":{\"rate_bp\":1500,\"amount\":{\"total\":5400,\"currency\":\"CNY\"},\"paid_by\":\"o_"
    "alice\"},"
    "\"splits\":[{\"payer\":{\"openid\":\"o_alice\",\"name\":\"Alice\"},\"amount\":{\"total\":"
    "23400,\"currency\":\"CNY\"}},"
    "{\"payer\":{\"openid\":\"o_bob\",\"name\":\"Bob\"},\"amount\":{\"total\":18000,\"currency\":"
    "\"CNY\"}}]},"
    "\"confirmation_token\":\"ctk_4f9a2d7e1c6b\",\"expires_at\":\"2026-12-04T20:05:00+08:00\","
    "\"fallback\":null,\"review\":null,\"model\":{\"name\":\"qwen-pay\",\"version\":\"2026.09\"},"
    "\"usage\":{\"input_tokens\":23,\"output_tokens\":61,\"total_tokens\":84,\"modality\":"
    "\"text\"},"
    "\"cost\":{\"amount_micros\":252,\"currency\":\"CNY\"}}";

static const char clarification[] =
    "{\"clarification_id\":\"clr_5e8a1f3b\",\"status\":\"needs_clarification\","
    "\"questions\":[{\"id\":\"tip_rate\",\"text\":\"Did you mean to tip 15% or 18%?\","
    "\"options\":[{\"id\":\"15\",\"label\":\"15%\"},{\"id\":\"18\",\"label\":\"18%\"}]}],"
    "\"partial_intent\":{\"type\":\"split_bill\"},\"confidence\":0.62,"
    "\"expires_at\":\"2026-12-04T20:05:00+08:00\","
    "\"usage\":{\"input_tokens\":23,\"output_tokens\":30,\"total_tokens\":53,\"modality\":"
    "\"text\"},"
    "\"cost\":{\"amount_micros\":159,\"currency\":\"CNY\"}}";

static int check(const char *method, const char *path, int status, const char *ct, const char *body)
{
    memset(errs, 0, sizeof errs);
    return openapi_validate_response(api, method, path, status, ct, body, strlen(body), errs, 8,
                                     &nerrs);
}

/* body with the first occurrence of from replaced by to */
static char *replace(const char *body, const char *from, const char *to)
{
    const char *at = strstr(body, from);
    ck_assert_ptr_nonnull(at);
    size_t head = (size_t)(at - body), fl = strlen(from), tl = strlen(to);
    char *out = malloc(strlen(body) - fl + tl + 1);
    ck_assert_ptr_nonnull(out);
    memcpy(out, body, head);
    memcpy(out + head, to, tl);
    strcpy(out + head + tl, at + fl);
    return out;
}

static void dump(void)
{
    for (size_t i = 0; i < nerrs; i++)
        fprintf(stderr, "  [%zu] %s (%s)\n", i, errs[i].message, errs[i].schema_path);
}

START_TEST(dinner_example_validates)
{
    int rc = check("POST", "/v3/ai/order-routing", 200, "application/json; charset=utf-8", dinner);
    if (rc) dump();
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(nerrs, 0);
}
END_TEST

START_TEST(total_as_string_fails_precisely)
{
    char *bad = replace(dinner, "\"total\":41400", "\"total\":\"41400\"");
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 200, "application/json", bad), 1);
    ck_assert_int_eq(nerrs, 1);
    ck_assert_str_eq(errs[0].message, "expected integer, got string at /intent/amount/total");
    ck_assert_str_eq(errs[0].instance_path, "/intent/amount/total");
    ck_assert_str_eq(errs[0].schema_path, "#/components/schemas/Money/properties/total/type");
    free(bad);
}
END_TEST

START_TEST(extra_field_on_closed_object_fails)
{
    char *bad = replace(dinner, "\"currency\":\"CNY\"}", "\"currency\":\"CNY\",\"fx\":1}");
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 200, NULL, bad), 1);
    ck_assert_int_eq(nerrs, 1);
    ck_assert_str_eq(errs[0].message, "property \"fx\" is not allowed at /intent/amount/fx");
    ck_assert_str_eq(errs[0].keyword, "additionalProperties");
    free(bad);
    bad = replace(dinner, "\"review\":null", "\"review\":null,\"debug\":true");
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 200, NULL, bad), 1);
    ck_assert_str_eq(errs[0].message, "property \"debug\" is not allowed at /debug");
    free(bad);
    /* Intent is open (additionalProperties: true): extra fields there are fine */
    bad = replace(dinner, "\"type\":\"split_bill\"", "\"type\":\"split_bill\",\"note\":\"x\"");
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 200, NULL, bad), 0);
    free(bad);
}
END_TEST

START_TEST(status_rules_apply)
{
    /* ready needs a confirmation token (the if/then rules of OrderRoutingResult) */
    char *bad = replace(dinner, "\"ctk_4f9a2d7e1c6b\"", "null");
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 200, NULL, bad), 1);
    ck_assert_str_eq(errs[0].message, "expected string, got null at /confirmation_token");
    ck_assert_str_eq(errs[0].schema_path,
                     "#/components/schemas/OrderRoutingResult/allOf/0/then/properties/"
                     "confirmation_token/type");
    free(bad);
    bad = replace(dinner, "\"status\":\"ready\"", "\"status\":\"done\"");
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 200, NULL, bad), 1);
    ck_assert_str_eq(errs[0].message,
                     "expected one of \"ready\", \"fallback\", \"pending_review\"; got \"done\" at "
                     "/status");
    free(bad);
}
END_TEST

START_TEST(clarification_202_validates)
{
    const char *path = "/v3/ai/order-routing/clarifications/clr_5e8a1f3b";
    int rc = check("POST", path, 202, "application/json", clarification);
    if (rc) dump();
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 202, "application/json", clarification),
                     0);
    char *bad = replace(clarification, "\"label\":\"18%\"", "\"name\":\"18%\"");
    ck_assert_int_eq(check("POST", path, 202, NULL, bad), 1);
    ck_assert_int_eq(nerrs, 2);
    ck_assert_str_eq(errs[0].message,
                     "missing required property \"label\" at /questions/0/options/1");
    ck_assert_str_eq(errs[1].message,
                     "property \"name\" is not allowed at /questions/0/options/1/name");
    free(bad);
    /* a 200 body is not a 202 body */
    ck_assert_int_eq(check("POST", path, 202, NULL, dinner), 1);
}
END_TEST

START_TEST(error_bodies_validate)
{
    const char *e = "{\"code\":\"PARAM_ERROR\",\"message\":\"amount.total must be a non-negative "
                    "integer\",\"detail\":{\"field\":\"/amount/total\",\"location\":\"body\","
                    "\"issue\":\"expected integer, got number\"}}";
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 400, NULL, e), 0);
    ck_assert_int_eq(check("POST", "/v3/ai/fraud-score", 429, NULL,
                           "{\"code\":\"FREQUENCY_LIMITED\",\"message\":\"slow down\"}"),
                     0);
    ck_assert_int_eq(
        check("POST", "/v3/ai/order-routing", 400, NULL, "{\"code\":\"OOPS\",\"message\":\"m\"}"),
        1);
    ck_assert_str_eq(errs[0].keyword, "enum");
    ck_assert_str_eq(errs[0].instance_path, "/code");
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 400, NULL, "{\"code\":\"PARAM_ERROR\"}"),
                     1);
    ck_assert_str_eq(errs[0].message, "missing required property \"message\" at (root)");
    /* OpenAI-style errors on /v1 */
    ck_assert_int_eq(check("POST", "/v1/chat/completions", 401, NULL,
                           "{\"error\":{\"message\":\"m\",\"type\":\"invalid_request_error\","
                           "\"param\":null,\"code\":\"invalid_api_key\"}}"),
                     0);
}
END_TEST

START_TEST(bodies_that_are_not_json_or_wrong_type)
{
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 400, NULL, "{\"code\":"), 1);
    ck_assert_str_eq(errs[0].keyword, "json");
    ck_assert(strstr(errs[0].message, "not valid JSON") != NULL);
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 400, NULL, ""), 1);
    ck_assert(strstr(errs[0].message, "empty body") != NULL);
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 200, "text/html", dinner), 1);
    ck_assert_str_eq(errs[0].message,
                     "Content-Type text/html is not documented for POST /v3/ai/order-routing 200");
    /* 204 documents no body */
    ck_assert_int_eq(check("POST", "/__admin/reset", 204, NULL, ""), 0);
    ck_assert_int_eq(check("POST", "/__admin/reset", 204, NULL, "{}"), 1);
    /* text media types validate the body as a string */
    ck_assert_int_eq(
        check("GET", "/metrics", 200, "text/plain; version=0.0.4", "# TYPE x counter\nx 1\n"), 0);
}
END_TEST

START_TEST(streams_check_every_record)
{
    const char *ok =
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
        "\"finish_reason\":null}]}\n\n"
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        "\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}"
        "\n\ndata: [DONE]\n\n";
    int rc = check("POST", "/v1/chat/completions", 200, "text/event-stream", ok);
    if (rc) dump();
    ck_assert_int_eq(rc, 0);
    char *bad = replace(ok, "\"finish_reason\":null", "\"finish_reason\":\"done\"");
    ck_assert_int_eq(check("POST", "/v1/chat/completions", 200, "text/event-stream", bad), 1);
    ck_assert_str_eq(errs[0].instance_path, "/choices/0/finish_reason");
    ck_assert(strncmp(errs[0].message, "event 0: ", 9) == 0);
    free(bad);
    bad =
        replace(ok, "\"created\":1,\"model\":\"m\",\"choices\":[]", "\"created\":1,\"choices\":[]");
    ck_assert_int_eq(check("POST", "/v1/chat/completions", 200, "text/event-stream", bad), 1);
    ck_assert_str_eq(errs[0].message, "event 1: missing required property \"model\" at (root)");
    free(bad);
    ck_assert_int_eq(check("GET", "/__admin/requests", 200, "application/x-ndjson",
                           "{\"id\":\"r1\",\"at_ms\":0,\"endpoint\":\"chat\",\"request\":{"
                           "\"method\":\"POST\",\"path\":\"/v1/models\"}}\n{\"id\":\"r2\"}\n"),
                     1);
    ck_assert_str_eq(errs[0].message, "line 1: missing required property \"at_ms\" at (root)");
}
END_TEST

START_TEST(lookups_follow_openapi_rules)
{
    const char *t;
    ck_assert_int_eq(openapi_match_path(api, "/v3/ai/fraud-score/batches", &t), 0);
    ck_assert_str_eq(t, "/v3/ai/fraud-score/batches");
    ck_assert_int_eq(openapi_match_path(api, "/v3/ai/fraud-score/batches/fsb_1?x=1", &t), 0);
    ck_assert_str_eq(t, "/v3/ai/fraud-score/batches/{batch_id}");
    ck_assert_int_eq(openapi_match_path(api, "/v3/ai/fraud-score/batches/", &t), OPENAPI_ENOPATH);
    ck_assert_int_eq(openapi_match_path(api, "/v3/ai/order-routing/clarifications/a/b", &t),
                     OPENAPI_ENOPATH);
    ck_assert_int_eq(openapi_status_documented(api, "POST", "/v3/ai/order-routing", 200), 1);
    ck_assert_int_eq(openapi_status_documented(api, "post", "/v3/ai/order-routing", 503), 1);
    ck_assert_int_eq(openapi_status_documented(api, "POST", "/v3/ai/order-routing", 418), 0);
    ck_assert_int_eq(openapi_status_documented(api, "POST", "/v3/ai/order-routing", 404), 0);
    ck_assert_int_eq(openapi_status_documented(api, "GET", "/v3/ai/order-routing", 200),
                     OPENAPI_ENOMETHOD);
    ck_assert_int_eq(openapi_status_documented(api, "GET", "/nope", 200), OPENAPI_ENOPATH);
    ck_assert_int_eq(check("POST", "/v3/ai/order-routing", 418, NULL, "{}"), OPENAPI_ENOSTATUS);
    ck_assert_int_eq(nerrs, 1);
    ck_assert_str_eq(errs[0].message, "POST /v3/ai/order-routing 418 is not documented");
    const cJSON *resp;
    ck_assert_int_eq(openapi_response(api, "POST", "/v3/ai/order-routing", 202, &resp), 0);
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(resp, "content"));
}
END_TEST

/* Every JSON example in the document validates against its own schema. */
START_TEST(every_documented_example_validates)
{
    const cJSON *doc = openapi_doc(api), *item, *op, *code, *media, *ex;
    int checked = 0;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "paths"))
    {
        cJSON_ArrayForEach(op, item)
        {
            cJSON_ArrayForEach(code, cJSON_GetObjectItemCaseSensitive(op, "responses"))
            {
                const cJSON *resp;
                int status = atoi(code->string);
                ck_assert_int_eq(openapi_response(api, op->string, item->string, status, &resp), 0);
                cJSON_ArrayForEach(media, cJSON_GetObjectItemCaseSensitive(resp, "content"))
                {
                    if (strcmp(media->string, "application/json") != 0) continue;
                    const cJSON *one = cJSON_GetObjectItemCaseSensitive(media, "example");
                    const cJSON *many = cJSON_GetObjectItemCaseSensitive(media, "examples");
                    const cJSON *list[16];
                    int nl = 0;
                    if (one) list[nl++] = one;
                    cJSON_ArrayForEach(ex, many) if (nl < 16) list[nl++] =
                        cJSON_GetObjectItemCaseSensitive(ex, "value");
                    for (int i = 0; i < nl; i++) {
                        char *body = json_print(list[i]);
                        ck_assert_ptr_nonnull(body);
                        int rc = check(op->string, item->string, status, media->string, body);
                        if (rc) dump();
                        ck_assert_msg(rc == 0, "%s %s %d example %d does not validate: %s",
                                      op->string, item->string, status, i,
                                      nerrs ? errs[0].message : "");
                        free(body);
                        checked++;
                    }
                }
            }
        }
    }
    ck_assert_int_ge(checked, 30);
}
END_TEST

/* The cache of valid exchanges: whatever was seen before, an answer gets the
 * verdict a fresh validation would give. */
START_TEST(cached_answers_keep_their_verdicts)
{
    const char *op = "POST", *path = "/v3/ai/order-routing", *json = "application/json";
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(check(op, path, 200, json, dinner), 0);
        ck_assert_int_eq(nerrs, 0);
    }

    /* Same length, one byte apart, at the end and in the middle: only a full
     * comparison tells these from the cached answer. */
    char *bad = strdup(dinner);
    ck_assert_ptr_nonnull(bad);
    bad[strlen(bad) - 1] = ' ';
    for (int round = 0; round < 2; round++) {
        ck_assert_int_eq(check(op, path, 200, json, bad), 1);
        ck_assert_int_eq(nerrs, 1);
        ck_assert_str_eq(errs[0].keyword, "json");
    }
    free(bad);
    bad = replace(dinner, "\"status\":\"ready\"", "\"status\":\"reedy\"");
    ck_assert_uint_eq(strlen(bad), strlen(dinner));
    for (int round = 0; round < 2; round++) {
        ck_assert_int_eq(check(op, path, 200, json, bad), 1);
        ck_assert_int_ge(nerrs, 1);
    }
    free(bad);

    /* The same bytes under another status or method are another exchange. */
    ck_assert_int_ne(check(op, path, 299, json, dinner), 0);
    ck_assert_int_ne(check("PUT", path, 200, json, dinner), 0);

    /* The parts are stored back to back: moving a byte from the content type
     * to the body must not read as the cached exchange. */
    size_t dl = strlen(dinner);
    char *shifted = malloc(dl + 2);
    ck_assert_ptr_nonnull(shifted);
    shifted[0] = 'n';
    memcpy(shifted + 1, dinner, dl + 1);
    ck_assert_int_eq(check(op, path, 200, json, dinner), 0);
    ck_assert_int_ne(check(op, path, 200, "application/jso", shifted), 0);
    ck_assert_int_ge(nerrs, 1);
    free(shifted);

    ck_assert_int_eq(check(op, path, 200, json, dinner), 0);
    ck_assert_int_eq(nerrs, 0);
}
END_TEST

START_TEST(yaml_core_scalars_and_lint_at_load)
{
    const char *y = "openapi: 3.1.0\npaths: {}\nx:\n  hex: 0x1F\n  oct: 0o17\n  f: 1.5\n"
                    "  b: true\n  q: '15'\n  n: ~\n  s: 2026.09.1\n";
    diag d;
    openapi *o = NULL;
    ck_assert_int_eq(diag_init(&d, "mem.yaml"), 0);
    ck_assert_int_eq(openapi_parse(y, strlen(y), &d, &o), 0);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(openapi_doc(o), "x");
    ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(x, "hex")->valuedouble, 31);
    ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(x, "oct")->valuedouble, 15);
    ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(x, "f")->valuedouble, 1.5);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "b")));
    ck_assert_str_eq(json_string(x, "q"), "15");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(x, "n")));
    ck_assert_str_eq(json_string(x, "s"), "2026.09.1");
    openapi_free(o);
    diag_free(&d);

    const char *bad = "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n"
                      "          content:\n            application/json:\n              schema:\n"
                      "                type: array\n                prefixItems: [{}]\n";
    ck_assert_int_eq(diag_init(&d, "bad.yaml"), 0);
    ck_assert_int_eq(openapi_parse(bad, strlen(bad), &d, &o), OPENAPI_ELOAD);
    ck_assert_ptr_null(o);
    char *msg = diag_join(&d);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strstr(msg, "bad.yaml:11:30: unsupported keyword \"prefixItems\"") != NULL, "%s",
                  msg);
    free(msg);
    diag_free(&d);
    openapi_free(NULL);
}
END_TEST

static Suite *openapi_validate_suite(void)
{
    Suite *s = suite_create("openapi_validate");
    TCase *tc = tcase_create("responses");
    tcase_add_checked_fixture(tc, load_api, unload_api);
    tcase_add_test(tc, dinner_example_validates);
    tcase_add_test(tc, total_as_string_fails_precisely);
    tcase_add_test(tc, extra_field_on_closed_object_fails);
    tcase_add_test(tc, status_rules_apply);
    tcase_add_test(tc, clarification_202_validates);
    tcase_add_test(tc, error_bodies_validate);
    tcase_add_test(tc, bodies_that_are_not_json_or_wrong_type);
    tcase_add_test(tc, streams_check_every_record);
    tcase_add_test(tc, lookups_follow_openapi_rules);
    tcase_add_test(tc, every_documented_example_validates);
    tcase_add_test(tc, cached_answers_keep_their_verdicts);
    suite_add_tcase(s, tc);
    TCase *ld = tcase_create("load");
    tcase_add_test(ld, yaml_core_scalars_and_lint_at_load);
    suite_add_tcase(s, ld);
    return s;
}

CHECK_MAIN(openapi_validate_suite)
