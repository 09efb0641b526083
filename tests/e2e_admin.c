/* End to end: the operations API (/__admin/ paths and /metrics) of the real binary:
 * each endpoint, the admin token, a bad scenario refused with every error
 * while the old one keeps serving, the journal as replayable JSONL, reset,
 * and metrics that add up to the requests sent. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "diag.h"
#include "e2e.h"
#include "json.h"
#include "scenario.h"

#define OPS "tests/data/ops.yaml"
#define YAML_CT "Content-Type: application/yaml"

static mock_proc mock;
static char token[512];

static void start_with(const char *const *extra)
{
    ck_assert_int_eq(mock_start(e2e_src(OPS), extra, &mock), 0);
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, NULL, token, sizeof token), 0);
}

static void setup(void)
{
    start_with(NULL);
}

static void teardown(void)
{
    ck_assert_int_eq(mock_stop(&mock), 0);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

/* The ops scenario with another name. */
static char *renamed(const char *name)
{
    char *src = slurp(e2e_src(OPS), NULL);
    char *at = strstr(src, "\nname: ops\n");
    ck_assert_ptr_nonnull(at);
    char *out = malloc(strlen(src) + strlen(name) + 16);
    sprintf(out, "%.*s\nname: %s\n%s", (int)(at - src), src, name, at + strlen("\nname: ops\n"));
    free(src);
    return out;
}

static void admin(const char *method, const char *path, const char *const *hdrs, const char *body,
                  e2e_resp *r)
{
    ck_assert_int_eq(e2e_http(&mock, method, path, hdrs, body, body ? strlen(body) : 0, r), 0);
}

static void admin_json(const char *path, const char *body, e2e_resp *r)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    admin("POST", path, h, body, r);
}

static void route(const char *text, e2e_resp *r)
{
    char body[512];
    snprintf(body, sizeof body, "{\"text\":\"%s\"}", text);
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", body, 0, NULL, r),
                     0);
}

static const char *health_name(void)
{
    static char name[128];
    e2e_resp r;
    admin("GET", "/__admin/health", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    snprintf(name, sizeof name, "%s", json_string(r.json, "scenario"));
    e2e_resp_free(&r);
    return name;
}

static void still_serving(void)
{
    e2e_resp r;
    route("my usual coffee", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(e2e_response_signed(&r, DEMO_KEY_A));
    e2e_resp_free(&r);
}

START_TEST(health)
{
    e2e_resp r;
    admin("GET", "/__admin/health", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string(r.json, "status"), "ok");
    ck_assert_str_eq(json_string(r.json, "scenario"), "ops");
    char rid[80];
    ck_assert_ptr_nonnull(e2e_header(&r, "Request-ID", rid, sizeof rid));
    e2e_resp_free(&r);
    admin("POST", "/__admin/health", NULL, "", &r);
    ck_assert_int_eq(r.status, 405);
    e2e_resp_free(&r);
    admin("GET", "/__admin/nothing", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(admin_token_required)
{
    const char *const extra[] = {"--admin-token", "t0ps3cret", NULL};
    e2e_resp r;
    start_with(extra);
    const char *none[] = {NULL};
    const char *wrong[] = {"X-Admin-Token: t0ps3creT", NULL};
    const char *right[] = {"X-Admin-Token: t0ps3cret", NULL};
    const char *paths[] = {"/__admin/health", "/__admin/scenario", "/__admin/requests"};
    for (size_t i = 0; i < 3; i++) {
        admin("GET", paths[i], none, NULL, &r);
        ck_assert_int_eq(r.status, 401);
        ck_assert_str_eq(json_string(r.json, "code"), "TOKEN_INVALID");
        ck_assert_ptr_nonnull(json_string(r.json, "message"));
        e2e_resp_free(&r);
        admin("GET", paths[i], wrong, NULL, &r);
        ck_assert_int_eq(r.status, 401);
        e2e_resp_free(&r);
        admin("GET", paths[i], right, NULL, &r);
        ck_assert_int_eq(r.status, 200);
        e2e_resp_free(&r);
    }
    /* A refused reset must not reset. */
    still_serving();
    admin("POST", "/__admin/reset", wrong, "", &r);
    ck_assert_int_eq(r.status, 401);
    e2e_resp_free(&r);
    admin("GET", "/__admin/requests", right, NULL, &r);
    ck_assert_ptr_nonnull(strstr(r.body, "usual coffee"));
    e2e_resp_free(&r);
    /* /metrics stays open to scrapers. */
    admin("GET", "/metrics", none, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(scenario_read)
{
    e2e_resp r;
    size_t len;
    char *src = slurp(e2e_src(OPS), &len);
    admin("GET", "/__admin/scenario", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string(r.json, "name"), "ops");
    ck_assert_str_eq(json_string(r.json, "source"), src);
    e2e_resp_free(&r);
    const char *yaml[] = {"Accept: application/yaml", NULL};
    admin("GET", "/__admin/scenario", yaml, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.len, len);
    ck_assert_str_eq(r.body, src);
    char ct[128];
    ck_assert_ptr_nonnull(strstr(e2e_header(&r, "Content-Type", ct, sizeof ct), "yaml"));
    e2e_resp_free(&r);
    free(src);
}
END_TEST

START_TEST(scenario_put_good)
{
    e2e_resp r;
    const char *h[] = {YAML_CT, NULL};
    char *text = renamed("ops-two");
    admin("PUT", "/__admin/scenario", h, text, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "loaded")));
    ck_assert_str_eq(json_string(r.json, "name"), "ops-two");
    e2e_resp_free(&r);
    ck_assert_str_eq(health_name(), "ops-two");
    /* Its relative fixture path (../../fixtures/...) resolved next to the
     * file the mock started with, not the mock's working directory, or the
     * PUT would have been refused. */
    admin("GET", "/__admin/scenario", NULL, NULL, &r);
    ck_assert_str_eq(json_string(r.json, "source"), text);
    e2e_resp_free(&r);
    still_serving();
    free(text);
}
END_TEST

START_TEST(scenario_put_bad_keeps_old)
{
    e2e_resp r;
    const char *h[] = {YAML_CT, NULL};
    size_t len;
    char *bad = slurp(e2e_src("tests/data/scenario_broken.yaml"), &len);
    admin("PUT", "/__admin/scenario", h, bad, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(r.json, "code"), "PARAM_ERROR");
    cJSON *errs = cJSON_GetObjectItem(r.json, "errors");
    ck_assert(cJSON_IsArray(errs));

    /* Every error the loader finds, in its order, exactly. */
    diag d;
    scenario *sc = NULL;
    ck_assert_int_eq(diag_init(&d, "scenario.yaml"), 0);
    ck_assert_int_ne(scenario_load_buffer(bad, len, NULL, NULL, &d, &sc), 0);
    ck_assert_int_ge(d.n, 5);
    ck_assert_int_eq(cJSON_GetArraySize(errs), (int)d.n);
    for (size_t i = 0; i < d.n; i++) {
        const char *e = cJSON_GetArrayItem(errs, (int)i)->valuestring;
        ck_assert_str_eq(e, d.msgs[i]);
        int line = 0, col = 0;
        ck_assert_int_eq(sscanf(e, "scenario.yaml:%d:%d: ", &line, &col), 2);
        ck_assert_int_gt(line, 0);
    }
    diag_free(&d);
    ck_assert_ptr_nonnull(strstr(r.body, "thresold"));
    e2e_resp_free(&r);

    ck_assert_str_eq(health_name(), "ops");
    still_serving();

    /* Not YAML at all, and the wrong media type: refused the same way. */
    admin("PUT", "/__admin/scenario", h, "{[: nope", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "errors")), 1);
    e2e_resp_free(&r);
    const char *json_ct[] = {"Content-Type: application/json", NULL};
    char *good = renamed("never");
    admin("PUT", "/__admin/scenario", json_ct, good, &r);
    ck_assert_int_eq(r.status, 415);
    e2e_resp_free(&r);
    ck_assert_str_eq(health_name(), "ops");
    still_serving();
    free(good);
    free(bad);
}
END_TEST

START_TEST(model_version)
{
    e2e_resp r;
    admin_json("/__admin/model-version", "{\"version\":\"2026.12\"}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string(r.json, "version"), "2026.12");
    e2e_resp_free(&r);
    route("my usual coffee", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(r.json, "model"), "version"), "2026.12");
    e2e_resp_free(&r);
    admin("GET", "/metrics", NULL, NULL, &r);
    ck_assert_ptr_nonnull(
        strstr(r.body, "wxai_model_version_info{model=\"order_routing\",version=\"2026.12\"} 1"));
    e2e_resp_free(&r);

    admin_json("/__admin/model-version", "{\"version\":\"1999.01\"}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string(r.json, "code"), "PARAM_ERROR");
    ck_assert_ptr_nonnull(strstr(json_string(r.json, "message"), "2026.09"));
    e2e_resp_free(&r);
    admin_json("/__admin/model-version", "{\"version\":7}", &r);
    ck_assert_int_eq(r.status, 400);
    e2e_resp_free(&r);
    admin_json("/__admin/model-version", "not json", &r);
    ck_assert_int_eq(r.status, 400);
    e2e_resp_free(&r);
}
END_TEST

static int64_t clock_post(const char *body, long want_status)
{
    e2e_resp r;
    admin_json("/__admin/clock", body, &r);
    ck_assert_int_eq(r.status, want_status);
    int64_t ms = -1;
    if (r.status == 200) {
        ms = (int64_t)cJSON_GetObjectItem(r.json, "now_ms")->valuedouble;
        ck_assert_ptr_nonnull(json_string(r.json, "now"));
    } else {
        ck_assert_str_eq(json_string(r.json, "code"), "PARAM_ERROR");
    }
    e2e_resp_free(&r);
    return ms;
}

START_TEST(clock)
{
    e2e_resp r;
    int64_t t = clock_post("{\"set\":\"2026-12-04T20:00:00+08:00\"}", 200);
    ck_assert_int_eq(t, 1796385600000LL);
    ck_assert_int_eq(clock_post("{\"advance_ms\":301000}", 200), 1796385600000LL + 301000);
    admin_json("/__admin/clock", "{\"advance_ms\":0}", &r);
    ck_assert_str_eq(json_string(r.json, "now"), "2026-12-04T20:05:01+08:00");
    ck_assert_str_eq(json_string(r.json, "mode"), "virtual");
    e2e_resp_free(&r);

    clock_post("{\"advance_ms\":-5}", 400);
    clock_post("{\"advance_ms\":1.5}", 400);
    clock_post("{\"set\":\"yesterday\"}", 400);
    clock_post("{\"mode\":\"sideways\"}", 400);
    clock_post("{\"advance_ms\":1,\"set\":\"2026-12-04T20:00:00Z\"}", 400);
    clock_post("{}", 400);
    /* A refused change left the clock alone. */
    ck_assert_int_eq(clock_post("{\"advance_ms\":0}", 200), 1796385600000LL + 301000);

    /* Back on real time the signed requests of the test (real timestamps) pass again. */
    admin_json("/__admin/clock", "{\"mode\":\"real\"}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string(r.json, "mode"), "real");
    ck_assert_int_gt((int64_t)cJSON_GetObjectItem(r.json, "now_ms")->valuedouble, 1700000000000LL);
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

/* The journal holds what was sent, as traffic records. */
START_TEST(requests_journal)
{
    e2e_resp r;
    const char *texts[] = {"my usual coffee", "pay Bob 128 yuan for lunch", "two questions"};
    int statuses[3];
    for (int i = 0; i < 3; i++) {
        route(texts[i], &r);
        statuses[i] = (int)r.status;
        e2e_resp_free(&r);
    }
    /* Malformed JSON is journaled as text, still with its status. */
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", "{oops", 0, NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 400);
    e2e_resp_free(&r);

    admin("GET", "/__admin/requests", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    char ct[128];
    ck_assert_ptr_nonnull(
        strstr(e2e_header(&r, "Content-Type", ct, sizeof ct), "application/x-ndjson"));
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(r.body, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), n++) {
        cJSON *rec = cJSON_Parse(line);
        ck_assert_ptr_nonnull(rec);
        char id[16];
        snprintf(id, sizeof id, "r-%04d", n + 1);
        ck_assert_str_eq(json_string(rec, "id"), id);
        ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(rec, "at_ms")));
        ck_assert_str_eq(json_string(rec, "endpoint"), "order_routing");
        ck_assert_str_eq(json_string(rec, "merchant"), DEMO_MCHID);
        cJSON *req = cJSON_GetObjectItem(rec, "request");
        ck_assert_str_eq(json_string(req, "method"), "POST");
        ck_assert_str_eq(json_string(req, "path"), "/v3/ai/order-routing");
        cJSON *resp = cJSON_GetObjectItem(rec, "response");
        if (n < 3) {
            ck_assert_str_eq(json_string(cJSON_GetObjectItem(req, "body"), "text"), texts[n]);
            ck_assert_int_eq(cJSON_GetObjectItem(resp, "status")->valueint, statuses[n]);
            ck_assert(cJSON_IsObject(cJSON_GetObjectItem(resp, "body")));
        } else {
            ck_assert_str_eq(json_string(req, "body"), "{oops");
            ck_assert_int_eq(cJSON_GetObjectItem(resp, "status")->valueint, 400);
        }
        /* Secrets and signatures are not journaled. */
        ck_assert_ptr_null(strstr(line, DEMO_KEY_A));
        ck_assert_ptr_null(strstr(line, "Bearer"));
        cJSON_Delete(rec);
    }
    ck_assert_int_eq(n, 4); /* the token request is not traffic */
    ck_assert_int_eq(statuses[2], 202);
    e2e_resp_free(&r);
}
END_TEST

START_TEST(journal_ring_bounded)
{
    const char *const extra[] = {"--journal-size", "3", NULL};
    e2e_resp r;
    start_with(extra);
    for (int i = 0; i < 7; i++)
        still_serving();
    admin("GET", "/__admin/requests", NULL, NULL, &r);
    cJSON *first = NULL;
    int n = 0;
    for (char *p = r.body; (p = strchr(p, '\n')); p++)
        n++;
    ck_assert_int_eq(n, 3);
    first = cJSON_ParseWithLength(r.body, strchr(r.body, '\n') - r.body);
    ck_assert_str_eq(json_string(first, "id"), "r-0005"); /* the oldest went */
    cJSON_Delete(first);
    ck_assert_ptr_nonnull(strstr(r.body, "\"id\":\"r-0007\""));
    e2e_resp_free(&r);
}
END_TEST

START_TEST(reset)
{
    e2e_resp r;
    char path[256];
    route("two questions", &r);
    ck_assert_int_eq(r.status, 202);
    snprintf(path, sizeof path, "/v3/ai/order-routing/clarifications/%s",
             json_string(r.json, "clarification_id"));
    e2e_resp_free(&r);
    const char *nonce = "0123456789abcdefABCDEF0123456789";
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", "{\"text\":\"my usual coffee\"}", 0, nonce,
                                &r),
                     0);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);

    admin("POST", "/__admin/reset", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string(r.json, "status"), "ok");
    e2e_resp_free(&r);

    admin("GET", "/__admin/requests", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.len, 0);
    e2e_resp_free(&r);
    admin("GET", "/metrics", NULL, NULL, &r);
    ck_assert_ptr_null(strstr(r.body, "wxai_requests_total{"));
    e2e_resp_free(&r);
    /* The nonce is forgotten, so the same nonce passes again... */
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                "/v3/ai/order-routing", "{\"text\":\"my usual coffee\"}", 0, nonce,
                                &r),
                     0);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
    /* ...and the clarification is gone. */
    ck_assert_int_eq(e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST", path,
                                "{\"answers\":[{\"question_id\":\"note\",\"text\":\"lunch\"}]}", 0,
                                NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 404);
    e2e_resp_free(&r);
}
END_TEST

static int64_t metric(const char *text, const char *series)
{
    const char *at = strstr(text, series);
    size_t n = strlen(series);
    while (at && at[n] != ' ')
        at = strstr(at + 1, series);
    return at ? strtoll(at + n + 1, NULL, 10) : -1;
}

START_TEST(metrics_add_up)
{
    e2e_resp r;
    int64_t tokens_in = 0, tokens_out = 0, cost = 0;
    const int n200 = 6;
    for (int i = 0; i < n200; i++) {
        route(i % 2 ? "my usual coffee" : "pay Bob 128 yuan for lunch", &r);
        ck_assert_int_eq(r.status, 200);
        cJSON *u = cJSON_GetObjectItem(r.json, "usage");
        tokens_in += (int64_t)cJSON_GetObjectItem(u, "input_tokens")->valuedouble;
        tokens_out += (int64_t)cJSON_GetObjectItem(u, "output_tokens")->valuedouble;
        cost += (int64_t)cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "cost"), "amount_micros")
                    ->valuedouble;
        e2e_resp_free(&r);
    }
    ck_assert_int_eq(e2e_signed_ct(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                   "/v3/ai/order-routing", "{}", 0, NULL, "text/plain", &r),
                     0);
    ck_assert_int_eq(r.status, 415);
    e2e_resp_free(&r);
    admin("GET", "/nowhere", NULL, NULL, &r);
    e2e_resp_free(&r);
    admin("GET", "/__admin/health", NULL, NULL, &r); /* not counted */
    e2e_resp_free(&r);

    admin("GET", "/metrics", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    char ct[128];
    ck_assert_ptr_nonnull(strstr(e2e_header(&r, "Content-Type", ct, sizeof ct), "text/plain"));
    const char *m = r.body;
    ck_assert_int_eq(metric(m, "wxai_requests_total{endpoint=\"order_routing\",status=\"200\"}"),
                     n200);
    ck_assert_int_eq(metric(m, "wxai_requests_total{endpoint=\"order_routing\",status=\"415\"}"),
                     1);
    ck_assert_int_eq(metric(m, "wxai_requests_total{endpoint=\"oauth_token\",status=\"200\"}"), 1);
    ck_assert_int_eq(metric(m, "wxai_requests_total{endpoint=\"other\",status=\"404\"}"), 1);
    ck_assert_ptr_null(strstr(m, "endpoint=\"admin\""));
    ck_assert_int_eq(metric(m, "wxai_request_duration_seconds_count{endpoint=\"order_routing\"}"),
                     n200 + 1);
    ck_assert_int_eq(
        metric(m, "wxai_request_duration_seconds_bucket{endpoint=\"order_routing\",le=\"+Inf\"}"),
        n200 + 1);
    ck_assert_int_gt(
        metric(m, "wxai_request_duration_seconds_bucket{endpoint=\"order_routing\",le=\"10.000\"}"),
        0);
    ck_assert_int_eq(metric(m, "wxai_tokens_total{endpoint=\"order_routing\",direction=\"input\"}"),
                     tokens_in);
    ck_assert_int_eq(
        metric(m, "wxai_tokens_total{endpoint=\"order_routing\",direction=\"output\"}"),
        tokens_out);
    ck_assert_int_eq(
        metric(m, "wxai_cost_micros_total{endpoint=\"order_routing\",currency=\"CNY\"}"), cost);
    ck_assert_int_gt(cost, 0);
    ck_assert_ptr_nonnull(
        strstr(m, "wxai_model_version_info{model=\"order_routing\",version=\"2026.09\"} 1"));
    ck_assert_ptr_nonnull(strstr(m, "# TYPE wxai_request_duration_seconds histogram"));
    e2e_resp_free(&r);
}
END_TEST

/* A fraud explanation is journaled while valid and never given out once
 * its 30 days have passed on the mock's clock. */
START_TEST(expired_explanations_stripped)
{
    e2e_resp r;
    ck_assert_int_eq(
        e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST", "/v3/ai/fraud-score",
                   "{\"transaction\":{\"amount\":{\"total\":50000,\"currency\":\"CNY\"},"
                   "\"payer\":{\"openid\":\"o_alice\"},\"payee\":{\"openid\":\"o_mallory\"},"
                   "\"channel\":\"p2p\"},\"chat\":[{\"from\":\"payee\",\"text\":\"please "
                   "hurry, it's urgent!!\"}]}",
                   0, NULL, &r),
        0);
    ck_assert_int_eq(r.status, 200);
    const char *expl = json_string(r.json, "explanation");
    ck_assert_ptr_nonnull(expl);
    ck_assert_ptr_nonnull(json_string(r.json, "explanation_expires_at"));
    char *said = strdup(expl);
    e2e_resp_free(&r);

    admin("GET", "/__admin/requests", NULL, NULL, &r);
    ck_assert_msg(strstr(r.body, said) != NULL, "no '%s' in %s", said, r.body);
    e2e_resp_free(&r);
    admin_json("/__admin/clock", "{\"advance_ms\":2592001000}", &r); /* 30 days and a second */
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
    admin("GET", "/__admin/requests", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(strstr(r.body, said));
    ck_assert_ptr_null(strstr(r.body, "\"explanation\""));
    ck_assert_ptr_nonnull(strstr(r.body, "explanation_expires_at"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"risk_score\""));
    e2e_resp_free(&r);
    free(said);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_admin");
    TCase *tc = tcase_create("admin");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, health);
    tcase_add_test(tc, scenario_read);
    tcase_add_test(tc, scenario_put_good);
    tcase_add_test(tc, scenario_put_bad_keeps_old);
    tcase_add_test(tc, model_version);
    tcase_add_test(tc, clock);
    tcase_add_test(tc, requests_journal);
    tcase_add_test(tc, reset);
    tcase_add_test(tc, metrics_add_up);
    tcase_add_test(tc, expired_explanations_stripped);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    TCase *own = tcase_create("own_flags");
    tcase_add_checked_fixture(own, NULL, teardown);
    tcase_add_test(own, admin_token_required);
    tcase_add_test(own, journal_ring_bounded);
    tcase_set_timeout(own, 60);
    suite_add_tcase(s, own);
    return s;
}

CHECK_MAIN(suite)
