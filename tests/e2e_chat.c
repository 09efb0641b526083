/* End to end: the OpenAI-compatible fallback over HTTP: every status it answers (200 JSON,
 * 200 stream, 400, 401, 404, 415, 429, scripted and injected faults), the payment intent as
 * content, JSON mode, usage and cost, and the llm scenario section's validation. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"
#include "check_main.h"
#include "e2e.h"
#include "json.h"
#include "openapi.h"
#include "scenario.h"
#include "tokens.h"

#define KEY "sk-test-chat-0123456789abcdef"
#define LIMITED "sk-test-chat-c-limited-012345678"
#define FAULTS_KEY "sk-test-faults-0123456789abcdef"
#define SCALED_KEY "sk-test-chat-scaled-0123456789ab"

static mock_proc mock;

static void setup(void)
{
    ck_assert_int_eq(mock_start(e2e_src("tests/data/chat.yaml"), NULL, &mock), 0);
}

static void setup_faults(void)
{
    ck_assert_int_eq(mock_start(e2e_src("tests/data/chat_faults.yaml"), NULL, &mock), 0);
}

static void setup_scaled(void)
{
    ck_assert_int_eq(mock_start(e2e_src("tests/data/chat_scaled.yaml"), NULL, &mock), 0);
}

static void setup_default(void)
{
    ck_assert_int_eq(mock_start(e2e_src("scenarios/default.yaml"), NULL, &mock), 0);
}

static void teardown(void)
{
    ck_assert_int_eq(mock_stop(&mock), 0);
}

/* POST /v1/chat/completions with key (NULL: no Authorization) and a JSON body. */
static void chat_as(const char *key, const char *body, e2e_resp *r)
{
    char auth[160];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key ? key : "");
    const char *headers[] = {"Content-Type: application/json", key ? auth : NULL, NULL};
    ck_assert_int_eq(
        e2e_http(&mock, "POST", "/v1/chat/completions", headers, body, strlen(body), r), 0);
}

static void chat(const char *body, e2e_resp *r)
{
    chat_as(KEY, body, r);
}

static long header_long(const e2e_resp *r, const char *name)
{
    char buf[64];
    const char *v = e2e_header(r, name, buf, sizeof buf);
    ck_assert_msg(v != NULL, "header %s missing", name);
    return strtol(v, NULL, 10);
}

/* Every /v1 response: x-request-id equal to Request-ID, and the three limit headers. */
static void check_common(const e2e_resp *r)
{
    char a[64], b[64], reset[64];
    ck_assert_ptr_nonnull(e2e_header(r, "Request-ID", a, sizeof a));
    ck_assert_ptr_nonnull(e2e_header(r, "x-request-id", b, sizeof b));
    ck_assert_str_eq(a, b);
    ck_assert_int_gt(header_long(r, "x-ratelimit-limit-requests"), 0);
    ck_assert_int_ge(header_long(r, "x-ratelimit-remaining-requests"), 0);
    ck_assert_ptr_nonnull(e2e_header(r, "x-ratelimit-reset-requests", reset, sizeof reset));
    ck_assert(strstr(reset, "s") != NULL); /* "0ms", "1s", "6m0s" */
}

/* The error object: {error: {message, type, param, code}} with the given values. */
static void check_error(const e2e_resp *r, long status, const char *type, const char *code,
                        const char *param)
{
    ck_assert_int_eq(r->status, status);
    check_common(r);
    const cJSON *err = cJSON_GetObjectItem(r->json, "error");
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(json_string(err, "message"));
    ck_assert_str_eq(json_string(err, "type"), type);
    const cJSON *c = cJSON_GetObjectItem(err, "code"), *p = cJSON_GetObjectItem(err, "param");
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(p);
    if (code)
        ck_assert_str_eq(c->valuestring, code);
    else
        ck_assert(cJSON_IsNull(c));
    if (param)
        ck_assert_str_eq(p->valuestring, param);
    else
        ck_assert(cJSON_IsNull(p));
}

static const char *content_of(const e2e_resp *r)
{
    const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(r->json, "choices"), 0);
    return json_string(cJSON_GetObjectItem(choice, "message"), "content");
}

static int64_t int_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItem(b ? cJSON_GetObjectItem(o, a) : o, b ? b : a);
    ck_assert_msg(cJSON_IsNumber(v), "%s.%s is not a number", a, b ? b : "");
    return (int64_t)v->valuedouble;
}

#define DINNER_MSG "split the dinner bill from last night between Alice and Bob"
#define HELLO_MSG "hello there, how are you today?"

START_TEST(models_list_and_get)
{
    e2e_resp r;
    const char *auth[] = {"Authorization: Bearer " KEY, NULL};
    ck_assert_int_eq(e2e_http(&mock, "GET", "/v1/models", auth, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    check_common(&r);
    ck_assert_str_eq(json_string(r.json, "object"), "list");
    const cJSON *data = cJSON_GetObjectItem(r.json, "data");
    ck_assert_int_eq(cJSON_GetArraySize(data), 2);
    const cJSON *m0 = cJSON_GetArrayItem(data, 0);
    ck_assert_str_eq(json_string(m0, "id"), "gpt-4o-mini");
    ck_assert_str_eq(json_string(m0, "object"), "model");
    ck_assert_str_eq(json_string(m0, "owned_by"), "openai");
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(m0, "created")));
    ck_assert_str_eq(json_string(cJSON_GetArrayItem(data, 1), "owned_by"), "wxai-mock");
    e2e_resp_free(&r);

    ck_assert_int_eq(e2e_http(&mock, "GET", "/v1/models/qwen-pay-fallback", auth, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string(r.json, "id"), "qwen-pay-fallback");
    e2e_resp_free(&r);
    ck_assert_int_eq(e2e_http(&mock, "GET", "/v1/models/gpt-9", auth, NULL, 0, &r), 0);
    check_error(&r, 404, "invalid_request_error", "model_not_found", "model");
    e2e_resp_free(&r);
    ck_assert_int_eq(e2e_http(&mock, "GET", "/v1/models", NULL, NULL, 0, &r), 0);
    check_error(&r, 401, "invalid_request_error", "invalid_api_key", NULL);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(plain_completion)
{
    e2e_resp r;
    chat("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
         "{\"role\":\"user\",\"content\":\"" HELLO_MSG "\"}],\"temperature\":0}",
         &r);
    ck_assert_int_eq(r.status, 200);
    check_common(&r);
    char ct[96];
    ck_assert_str_eq(e2e_header(&r, "Content-Type", ct, sizeof ct),
                     "application/json; charset=utf-8");
    ck_assert(strncmp(json_string(r.json, "id"), "chatcmpl-", 9) == 0);
    ck_assert_str_eq(json_string(r.json, "object"), "chat.completion");
    ck_assert_str_eq(json_string(r.json, "model"), "gpt-4o-mini");
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(r.json, "created")));
    const cJSON *choices = cJSON_GetObjectItem(r.json, "choices");
    ck_assert_int_eq(cJSON_GetArraySize(choices), 1);
    const cJSON *c0 = cJSON_GetArrayItem(choices, 0);
    ck_assert_int_eq(int_at(c0, "index", NULL), 0);
    ck_assert_str_eq(json_string(c0, "finish_reason"), "stop");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(c0, "message"), "role"), "assistant");
    /* not a payment: the short fixed reply, as plain text */
    const char *content = content_of(&r);
    ck_assert(strstr(content, "I can help with payments") == content);

    /* usage: per message its text's tokens + 3, plus 3; completion = the content's tokens */
    int64_t prompt = 3 + (3 + tokens_estimate("Be brief.", 9)) +
                     (3 + tokens_estimate(HELLO_MSG, strlen(HELLO_MSG)));
    int64_t completion = tokens_estimate(content, strlen(content));
    ck_assert_int_eq(int_at(r.json, "usage", "prompt_tokens"), prompt);
    ck_assert_int_eq(int_at(r.json, "usage", "completion_tokens"), completion);
    ck_assert_int_eq(int_at(r.json, "usage", "total_tokens"), prompt + completion);
    /* cost: gpt-4o-mini's own prices ($0.15 and $0.60 per million) at 7.2 CNY per USD,
     * rounded half up to CNY micros */
    int64_t micro_micro_usd = prompt * 150000 + completion * 600000;
    int64_t want =
        (int64_t)(((__int128)micro_micro_usd * 7200000 + 500000000000LL) / 1000000000000LL);
    ck_assert_int_eq(int_at(r.json, "cost", "amount_micros"), want);
    ck_assert_int_eq(header_long(&r, "x-wxai-cost-micros"), want);
    ck_assert_int_eq(header_long(&r, "x-wxai-prompt-tokens"), prompt);
    char *first = strdup(content);
    e2e_resp_free(&r);

    /* the same request answers the same content (deterministic) */
    chat("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
         "{\"role\":\"user\",\"content\":\"" HELLO_MSG "\"}],\"temperature\":0}",
         &r);
    ck_assert_str_eq(content_of(&r), first);
    free(first);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(payment_intent_content)
{
    e2e_resp r;
    chat("{\"model\":\"qwen-pay-fallback\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
         "{\"role\":\"assistant\",\"content\":\"hello\"},"
         "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"" DINNER_MSG "\"}]}]}",
         &r);
    ck_assert_int_eq(r.status, 200);
    cJSON *intent = cJSON_Parse(content_of(&r));
    ck_assert_ptr_nonnull(intent);
    ck_assert_str_eq(json_string(intent, "type"), "split_bill");
    int64_t total = int_at(intent, "amount", "total"), sum = 0;
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(intent, "amount"), "currency"), "CNY");
    ck_assert_int_gt(total, 0);
    const cJSON *splits = cJSON_GetObjectItem(intent, "splits"), *s;
    ck_assert_int_eq(cJSON_GetArraySize(splits), 2);
    cJSON_ArrayForEach(s, splits) sum += int_at(s, "amount", "total");
    ck_assert_int_eq(sum, total); /* splits add up, as in order routing */
    ck_assert_str_eq(
        json_string(cJSON_GetObjectItem(cJSON_GetArrayItem(splits, 0), "payer"), "openid"),
        "o_alice");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(intent, "source_order"), "out_trade_no"),
                     "DIN-20261203-0042");
    cJSON_Delete(intent);
    e2e_resp_free(&r);

    /* a scripted chat rule's intent is sent as written */
    chat("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"my usual "
         "coffee\"}]}",
         &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(content_of(&r), "{\"type\":\"pay\",\"amount\":{\"total\":3200,\"currency\":"
                                     "\"CNY\"}}");
    e2e_resp_free(&r);
}
END_TEST

START_TEST(json_mode)
{
    e2e_resp r;
    chat("{\"model\":\"gpt-4o-mini\",\"response_format\":{\"type\":\"json_object\"},\"messages\":"
         "[{\"role\":\"system\",\"content\":\"Answer in "
         "JSON.\"},{\"role\":\"user\",\"content\":\"" HELLO_MSG "\"}]}",
         &r);
    ck_assert_int_eq(r.status, 200);
    cJSON *o = cJSON_Parse(content_of(&r));
    ck_assert(cJSON_IsObject(o));
    ck_assert(strstr(json_string(o, "reply"), "I can help with payments") != NULL);
    cJSON_Delete(o);
    e2e_resp_free(&r);

    chat("{\"model\":\"gpt-4o-mini\",\"response_format\":{\"type\":\"json_object\"},\"messages\":"
         "[{\"role\":\"user\",\"content\":\"as json: " DINNER_MSG "\"}]}",
         &r);
    ck_assert_int_eq(r.status, 200);
    o = cJSON_Parse(content_of(&r));
    ck_assert_str_eq(json_string(o, "type"), "split_bill");
    cJSON_Delete(o);
    e2e_resp_free(&r);

    /* json_object without the word in the messages: OpenAI's 400 */
    chat("{\"model\":\"gpt-4o-mini\",\"response_format\":{\"type\":\"json_object\"},\"messages\":"
         "[{\"role\":\"user\",\"content\":\"hi\"}]}",
         &r);
    check_error(&r, 400, "invalid_request_error", NULL, "messages");
    e2e_resp_free(&r);
}
END_TEST

/* Splits an SSE body into the JSON of its data events (into out, up to max) and checks the
 * framing: every event is "data: ...\n\n" and the last is [DONE]. Returns the count. */
static int sse_events(const char *body, cJSON **out, int max)
{
    int n = 0, done = 0;
    const char *p = body;
    while (*p) {
        ck_assert_msg(strncmp(p, "data: ", 6) == 0, "event does not start with data: (%.40s)", p);
        const char *end = strstr(p, "\n\n");
        ck_assert_ptr_nonnull(end);
        ck_assert(!done); /* nothing after [DONE] */
        if (end - p == 12 && strncmp(p + 6, "[DONE]", 6) == 0) {
            done = 1;
        } else {
            ck_assert_int_lt(n, max);
            out[n] = cJSON_ParseWithLength(p + 6, (size_t)(end - p - 6));
            ck_assert_ptr_nonnull(out[n]);
            n++;
        }
        p = end + 2;
    }
    ck_assert(done);
    return n;
}

START_TEST(streamed_completion)
{
    e2e_resp plain, r;
    cJSON *ev[256];
    char ct[96], content[4096] = "";
    const char *req =
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" DINNER_MSG
        "\"}]";
    char body[512];
    snprintf(body, sizeof body, "%s}", req);
    chat(body, &plain);
    ck_assert_int_eq(plain.status, 200);

    snprintf(body, sizeof body, "%s,\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
             req);
    chat(body, &r);
    ck_assert_int_eq(r.status, 200);
    check_common(&r);
    ck_assert_str_eq(e2e_header(&r, "Content-Type", ct, sizeof ct),
                     "text/event-stream; charset=utf-8");
    int n = sse_events(r.body, ev, 256);
    ck_assert_int_ge(n, 4); /* role, at least one delta, finish, usage */
    const char *id = json_string(ev[0], "id");
    int64_t created = int_at(ev[0], "created", NULL);
    ck_assert(strncmp(id, "chatcmpl-", 9) == 0);
    for (int i = 0; i < n; i++) {
        ck_assert_str_eq(json_string(ev[i], "id"), id);
        ck_assert_int_eq(int_at(ev[i], "created", NULL), created);
        ck_assert_str_eq(json_string(ev[i], "object"), "chat.completion.chunk");
        ck_assert_str_eq(json_string(ev[i], "model"), "gpt-4o-mini");
    }
    const cJSON *d0 =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(ev[0], "choices"), 0), "delta");
    ck_assert_str_eq(json_string(d0, "role"), "assistant");
    for (int i = 1; i < n - 2; i++) {
        const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(ev[i], "choices"), 0);
        ck_assert(cJSON_IsNull(cJSON_GetObjectItem(c, "finish_reason")));
        const char *piece = json_string(cJSON_GetObjectItem(c, "delta"), "content");
        ck_assert_ptr_nonnull(piece);
        ck_assert_int_gt(strlen(piece), 0);
        strncat(content, piece, sizeof content - strlen(content) - 1);
    }
    /* the deltas add up to the non-streamed answer */
    ck_assert_str_eq(content, content_of(&plain));
    const cJSON *fin = cJSON_GetArrayItem(cJSON_GetObjectItem(ev[n - 2], "choices"), 0);
    ck_assert_str_eq(json_string(fin, "finish_reason"), "stop");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(fin, "delta")), 0);
    /* usage chunk: choices [] and the same usage as the JSON answer */
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(ev[n - 1], "choices")), 0);
    ck_assert_int_eq(int_at(ev[n - 1], "usage", "total_tokens"),
                     int_at(plain.json, "usage", "total_tokens"));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(ev[0], "usage")));
    for (int i = 0; i < n; i++)
        cJSON_Delete(ev[i]);
    e2e_resp_free(&r);

    /* without include_usage: no usage chunk, no usage key */
    snprintf(body, sizeof body, "%s,\"stream\":true}", req);
    chat(body, &r);
    ck_assert_int_eq(r.status, 200);
    n = sse_events(r.body, ev, 256);
    const cJSON *last = cJSON_GetArrayItem(cJSON_GetObjectItem(ev[n - 1], "choices"), 0);
    ck_assert_str_eq(json_string(last, "finish_reason"), "stop");
    for (int i = 0; i < n; i++) {
        ck_assert_ptr_null(cJSON_GetObjectItem(ev[i], "usage"));
        cJSON_Delete(ev[i]);
    }
    e2e_resp_free(&r);
    e2e_resp_free(&plain);
}
END_TEST

START_TEST(max_tokens_cuts)
{
    e2e_resp r;
    chat("{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":"
         "\"" DINNER_MSG "\"}]}",
         &r);
    ck_assert_int_eq(r.status, 200);
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "choices"), 0);
    ck_assert_str_eq(json_string(c0, "finish_reason"), "length");
    ck_assert_int_le(int_at(r.json, "usage", "completion_tokens"), 5);
    ck_assert_int_gt(strlen(content_of(&r)), 0);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(bad_requests)
{
    static const struct {
        const char *body, *code, *param;
    } cases[] = {
        {"[1]", "invalid_type", "body"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", NULL, "model"},
        {"{\"model\":7,\"messages\":[]}", "invalid_type", "model"},
        {"{\"model\":\"gpt-4o-mini\"}", "missing_required_parameter", "messages"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[]}", "empty_array", "messages"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":{}}", "invalid_type", "messages"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[\"hi\"]}", "invalid_type", "messages[0]"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"content\":\"x\"}]}",
         "missing_required_parameter", "messages[0].role"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"bot\",\"content\":\"x\"}]}",
         "invalid_value", "messages[0].role"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\"}]}",
         "missing_required_parameter", "messages[0].content"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
         "\"text\"}]}]}",
         "missing_required_parameter", "messages[0].content[0].text"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
         "\"stream\":\"yes\"}",
         "invalid_type", "stream"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
         "\"stream_options\":{\"include_usage\":true}}",
         "invalid_value", "stream_options"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
         "\"temperature\":3}",
         "invalid_value", "temperature"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
         "\"max_tokens\":0}",
         "integer_below_min_value", "max_tokens"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
         "\"n\":2}",
         "invalid_value", "n"},
        {"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
         "\"response_format\":{\"type\":\"yaml\"}}",
         "invalid_value", "response_format.type"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        e2e_resp r;
        chat(cases[i].body, &r);
        check_error(&r, 400, "invalid_request_error", cases[i].code, cases[i].param);
        e2e_resp_free(&r);
    }
    e2e_resp r;
    chat("{\"model\":", &r); /* unparsable */
    check_error(&r, 400, "invalid_request_error", NULL, NULL);
    e2e_resp_free(&r);
    const char *text[] = {"Authorization: Bearer " KEY, "Content-Type: text/plain", NULL};
    ck_assert_int_eq(e2e_http(&mock, "POST", "/v1/chat/completions", text, "{}", 2, &r), 0);
    check_error(&r, 415, "invalid_request_error", NULL, NULL);
    e2e_resp_free(&r);
    /* 404 for a model the scenario does not list, as OpenAI does */
    chat("{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", &r);
    check_error(&r, 404, "invalid_request_error", "model_not_found", NULL);
    ck_assert(strstr(json_string(cJSON_GetObjectItem(r.json, "error"), "message"), "gpt-9"));
    e2e_resp_free(&r);
}
END_TEST

START_TEST(unauthorized)
{
    e2e_resp r;
    const char *ok =
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
    chat_as(NULL, ok, &r);
    check_error(&r, 401, "invalid_request_error", "invalid_api_key", NULL);
    e2e_resp_free(&r);
    chat_as("sk-not-in-the-scenario-0000", ok, &r);
    check_error(&r, 401, "invalid_request_error", "invalid_api_key", NULL);
    const char *msg = json_string(cJSON_GetObjectItem(r.json, "error"), "message");
    ck_assert(strstr(msg, "sk-not-in-the-scenario-0000") == NULL); /* masked */
    e2e_resp_free(&r);
    /* auth comes before the body is looked at */
    chat_as("sk-wrong", "not json", &r);
    check_error(&r, 401, "invalid_request_error", "invalid_api_key", NULL);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(rate_limited)
{
    e2e_resp r;
    const char *ok =
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
    chat_as(LIMITED, ok, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(header_long(&r, "x-ratelimit-limit-requests"), 60);
    ck_assert_int_eq(header_long(&r, "x-ratelimit-remaining-requests"), 0);
    e2e_resp_free(&r);

    chat_as(LIMITED, ok, &r);
    check_error(&r, 429, "requests", "rate_limit_exceeded", NULL);
    ck_assert_int_eq(header_long(&r, "retry-after"), 1);
    long ms = header_long(&r, "retry-after-ms");
    ck_assert_int_gt(ms, 0);
    ck_assert_int_le(ms, 1000);
    e2e_resp_free(&r);

    /* other keys have their own buckets */
    chat(ok, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);

    usleep((useconds_t)(ms + 20) * 1000);
    chat_as(LIMITED, ok, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);

    /* an admin reset fills every bucket again */
    chat_as(LIMITED, ok, &r);
    ck_assert_int_eq(r.status, 429);
    e2e_resp_free(&r);
    ck_assert_int_eq(e2e_http(&mock, "POST", "/__admin/reset", NULL, NULL, 0, &r), 0);
    ck_assert_int_lt(r.status, 300);
    e2e_resp_free(&r);
    chat_as(LIMITED, ok, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
}
END_TEST

/* POST /__admin/clock with body (virtual mode, advances). */
static void clock_post(const char *body)
{
    e2e_resp r;
    const char *h[] = {"Content-Type: application/json", NULL};
    ck_assert_int_eq(e2e_http(&mock, "POST", "/__admin/clock", h, body, strlen(body), &r), 0);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
}

/* tests/data/chat_scaled.yaml: 60 requests a minute of scenario time at time_scale 2, so a
 * real minute on the virtual clock refills 30 requests, not 60, and waits are real time. */
START_TEST(rate_limited_on_scaled_clock)
{
    e2e_resp r;
    char reset[64];
    const char *ok =
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
    clock_post("{\"mode\":\"virtual\"}");
    for (int i = 59; i >= 0; i--) {
        chat_as(SCALED_KEY, ok, &r);
        ck_assert_int_eq(r.status, 200);
        ck_assert_int_eq(header_long(&r, "x-ratelimit-remaining-requests"), i);
        e2e_resp_free(&r);
    }
    chat_as(SCALED_KEY, ok, &r);
    check_error(&r, 429, "requests", "rate_limit_exceeded", NULL);
    /* one scenario second is two real ones */
    ck_assert_int_eq(header_long(&r, "retry-after-ms"), 2000);
    ck_assert_int_eq(header_long(&r, "retry-after"), 2);
    e2e_resp_free(&r);

    /* the scenario wall clock is whole ms (floored): even steps keep the edge exact */
    clock_post("{\"advance_ms\":1998}");
    chat_as(SCALED_KEY, ok, &r);
    ck_assert_int_eq(r.status, 429);
    e2e_resp_free(&r);
    clock_post("{\"advance_ms\":2}");
    chat_as(SCALED_KEY, ok, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(header_long(&r, "x-ratelimit-remaining-requests"), 0);
    e2e_resp_free(&r);

    /* a real minute is half a scenario minute: half the budget comes back */
    clock_post("{\"advance_ms\":60000}");
    chat_as(SCALED_KEY, ok, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(header_long(&r, "x-ratelimit-remaining-requests"), 29);
    e2e_resp_free(&r);
    /* and the rest of the bucket (31 scenario s) fills in 62 real ones */
    const char *auth[] = {"Authorization: Bearer " SCALED_KEY, NULL};
    ck_assert_int_eq(e2e_http(&mock, "GET", "/v1/models", auth, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(e2e_header(&r, "x-ratelimit-reset-requests", reset, sizeof reset));
    ck_assert_str_eq(reset, "1m2s");
    e2e_resp_free(&r);
}
END_TEST

START_TEST(scripted_fault)
{
    e2e_resp r;
    chat(
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"please simulate "
        "outage\"}]}",
        &r);
    check_error(&r, 503, "server_error", "service_unavailable", NULL);
    ck_assert_int_eq(header_long(&r, "retry-after"), 1);
    ck_assert_int_eq(header_long(&r, "retry-after-ms"), 1000);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(engine_fault)
{
    e2e_resp r;
    const char *ok =
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
    chat_as(FAULTS_KEY, ok, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
    chat_as(FAULTS_KEY, ok, &r); /* every: 2 */
    check_error(&r, 500, "server_error", "server_error", NULL);
    e2e_resp_free(&r);
    chat_as(FAULTS_KEY, ok, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(default_scenario_key)
{
    e2e_resp r;
    chat_as("sk-test-wxai-mock-0123456789abcdef",
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" DINNER_MSG
            "\"}]}",
            &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(header_long(&r, "x-ratelimit-limit-requests"), 500);
    cJSON *intent = cJSON_Parse(content_of(&r));
    ck_assert_str_eq(json_string(intent, "type"), "split_bill");
    cJSON_Delete(intent);
    e2e_resp_free(&r);
}
END_TEST

/* ---- conformance to fixtures/openapi.yaml ---- */

START_TEST(responses_conform)
{
    openapi *api = NULL;
    e2e_openapi_load(&api);
    static const struct {
        const char *key, *body;
        long status;
    } posts[] = {
        {KEY,
         "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" DINNER_MSG
         "\"}]}",
         200},
        {KEY,
         "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
         "\"messages\":[{\"role\":\"user\",\"content\":\"" DINNER_MSG "\"}]}",
         200},
        {KEY, "{\"model\":\"gpt-4o-mini\",\"messages\":[]}", 400},
        {"sk-nope", "{}", 401},
        {KEY, "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 404},
        {LIMITED,
         "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 200},
        {LIMITED,
         "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 429},
        {KEY,
         "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"simulate "
         "outage\"}]}",
         503},
    };
    for (size_t i = 0; i < sizeof posts / sizeof posts[0]; i++) {
        e2e_resp r;
        chat_as(posts[i].key, posts[i].body, &r);
        ck_assert_int_eq(r.status, posts[i].status);
        e2e_conforms(api, "POST", "/v1/chat/completions", &r);
        e2e_resp_free(&r);
    }
    const char *auth[] = {"Authorization: Bearer " KEY, NULL};
    const char *gets[] = {"/v1/models", "/v1/models/gpt-4o-mini", "/v1/models/gpt-9"};
    for (size_t i = 0; i < 3; i++) {
        e2e_resp r;
        ck_assert_int_eq(e2e_http(&mock, "GET", gets[i], auth, NULL, 0, &r), 0);
        e2e_conforms(api, "GET", gets[i], &r);
        e2e_resp_free(&r);
    }
    openapi_free(api);
}
END_TEST

/* ---- the llm section, in process ---- */

static int load(const char *yaml, diag *d, scenario **sc)
{
    ck_assert_int_eq(diag_init(d, "llm.yaml"), 0);
    return scenario_load_buffer(yaml, strlen(yaml), NULL, NULL, d, sc);
}

static int has_msg(const diag *d, const char *needle)
{
    for (size_t i = 0; i < d->n; i++)
        if (strstr(d->msgs[i], needle)) return 1;
    return 0;
}

START_TEST(llm_section)
{
    diag d;
    scenario *sc = NULL;
    ck_assert_int_eq(load("version: 1\n", &d, &sc), 0);
    /* without the section: no key, the usual model names, the default prices */
    ck_assert_ptr_nonnull(sc->llm);
    ck_assert_int_eq(sc->llm->nkeys, 0);
    ck_assert_ptr_nonnull(chat_model_find(sc->llm, "gpt-4o-mini"));
    ck_assert_int_eq(sc->llm->cny_micros_per_usd, 7200000);
    int64_t cost = -1;
    const chat_model *m = chat_model_find(sc->llm, "gpt-4o-mini");
    /* 1M prompt tokens at $0.15 = 1.08 CNY; 1M completion tokens at $0.60 = 4.32 CNY */
    ck_assert_int_eq(chat_cost_micros(sc->llm, m, 1000000, 1000000, &cost), 0);
    ck_assert_int_eq(cost, 1080000 + 4320000);
    ck_assert_int_eq(chat_cost_micros(sc->llm, m, 1, 0, &cost), 0);
    ck_assert_int_eq(cost, 1); /* 1.08 micros rounds to 1 */
    scenario_free(sc);
    diag_free(&d);

    ck_assert_int_eq(load("version: 1\n"
                          "llm:\n"
                          "  api_keys: [sk-a, {key: sk-b, rate_limit: {requests_per_minute: 6}}]\n"
                          "  models: [{id: m1, input_usd_micros_per_million_tokens: 1000000}]\n"
                          "  pricing: {output_usd_micros_per_million_tokens: 3000000, "
                          "cny_micros_per_usd: 7000000}\n"
                          "  rate_limit: {requests_per_minute: 100, burst: 5}\n",
                          &d, &sc),
                     0);
    ck_assert_int_eq(sc->llm->nkeys, 2);
    ck_assert_int_eq(sc->llm->keys[0].limit.requests_per_minute, 100);
    ck_assert_int_eq(sc->llm->keys[0].limit.burst, 5);
    ck_assert_int_eq(sc->llm->keys[1].limit.requests_per_minute, 6);
    ck_assert_int_eq(sc->llm->keys[1].limit.burst, 6);
    ck_assert_int_eq(sc->llm->nmodels, 1);
    m = chat_model_find(sc->llm, "m1");
    ck_assert_int_eq(m->input_usd_micros_per_million, 1000000);
    ck_assert_int_eq(m->output_usd_micros_per_million, 3000000);
    ck_assert_int_eq(chat_cost_micros(sc->llm, m, 1000, 1000, &cost), 0);
    ck_assert_int_eq(cost, 28000); /* ($0.001 + $0.003) x 7 */
    scenario_free(sc);
    diag_free(&d);

    ck_assert_int_eq(load("version: 1\n"
                          "llm:\n"
                          "  api_keys: [sk-a, sk-a, {rate_limit: {requests_per_minute: 0}}]\n"
                          "  modles: []\n"
                          "  pricing: {cny_micros_per_usd: -1}\n",
                          &d, &sc),
                     -1);
    ck_assert(has_msg(&d, "llm.yaml:3:"));
    ck_assert(has_msg(&d, "duplicate API key"));
    ck_assert(has_msg(&d, "llm.api_keys[2]: missing required key 'key'") ||
              has_msg(&d, "llm.api_keys[2]"));
    ck_assert(has_msg(&d, "requests_per_minute"));
    ck_assert(has_msg(&d, "modles"));
    ck_assert(has_msg(&d, "cny_micros_per_usd"));
    ck_assert_ptr_null(sc);
    diag_free(&d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_chat");
    TCase *tc = tcase_create("chat");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, models_list_and_get);
    tcase_add_test(tc, plain_completion);
    tcase_add_test(tc, payment_intent_content);
    tcase_add_test(tc, json_mode);
    tcase_add_test(tc, streamed_completion);
    tcase_add_test(tc, max_tokens_cuts);
    tcase_add_test(tc, bad_requests);
    tcase_add_test(tc, unauthorized);
    tcase_add_test(tc, rate_limited);
    tcase_add_test(tc, scripted_fault);
    tcase_add_test(tc, responses_conform);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("engine");
    tcase_set_timeout(tf, 60);
    tcase_add_checked_fixture(tf, setup_faults, teardown);
    tcase_add_test(tf, engine_fault);
    suite_add_tcase(s, tf);
    TCase *ts = tcase_create("scaled");
    tcase_set_timeout(ts, 60);
    tcase_add_checked_fixture(ts, setup_scaled, teardown);
    tcase_add_test(ts, rate_limited_on_scaled_clock);
    suite_add_tcase(s, ts);
    TCase *td = tcase_create("default");
    tcase_set_timeout(td, 60);
    tcase_add_checked_fixture(td, setup_default, teardown);
    tcase_add_test(td, default_scenario_key);
    suite_add_tcase(s, td);
    TCase *tl = tcase_create("scenario");
    tcase_add_test(tl, llm_section);
    suite_add_tcase(s, tl);
    return s;
}

CHECK_MAIN(suite)
