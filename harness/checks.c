#define _GNU_SOURCE /* memmem */
#include "checks.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "money.h"
#include "sign.h"

typedef void (*check_fn)(const check_ctx *c, check_verdict *v);

static check_schema_fn schema_fn;
static void *schema_ud;

static void verdict(check_verdict *v, int result, const char *expected, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void verdict(check_verdict *v, int result, const char *expected, const char *fmt, ...)
{
    v->result = result;
    snprintf(v->expected, sizeof v->expected, "%s", expected ? expected : "");
    v->seen[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->seen, sizeof v->seen, fmt, ap);
        va_end(ap);
    }
}

/* What verdict(v, result, NULL, NULL) leaves, without two calls to printf per check. */
static void plain(check_verdict *v, int result)
{
    v->result = result;
    v->expected[0] = v->seen[0] = '\0';
}

#define PASS(v) plain(v, CHECK_PASS)
#define SKIP(v) plain(v, CHECK_SKIP)

static int is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char *body_of(const exchange *ex)
{
    return ex->resp && ex->resp_len ? ex->resp : "(empty body)";
}

static int is_v3_ai(const exchange *ex)
{
    return strncmp(ex->path, "/v3/ai/", 7) == 0;
}

static int is_v1(const exchange *ex)
{
    return strncmp(ex->path, "/v1/", 4) == 0;
}

/* Exchanges with no response, and the fallback endpoint answering 404 on a target
 * that does not have it (counted by the policy as a fallback failure), say nothing
 * about conformance. */
static int no_verdict(const check_ctx *c)
{
    return !c->ex || c->ex->status == 0 ||
           (is(c->endpoint, "chat_completions") && c->ex->status == 404);
}

/* ---- status_code_conformance ---- */

static const struct {
    const char *endpoint;
    int codes[16];
} status_table[] = {
    {"order_routing", {200, 202, 400, 401, 403, 405, 409, 413, 415, 429, 500, 503}},
    {"order_routing_clarification",
     {200, 202, 400, 401, 403, 404, 405, 409, 410, 413, 415, 429, 500, 503}},
    {"fraud_score", {200, 400, 401, 403, 405, 409, 413, 415, 429, 500, 503}},
    {"fraud_score_batch", {200, 202, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503}},
    {"chat_completions", {200, 400, 401, 429, 500, 503}},
    {"models", {200, 401, 429, 500, 503}},
    {"token", {200, 400, 401, 415, 429, 500, 503}},
};

static void ck_status(const check_ctx *c, check_verdict *v)
{
    if (no_verdict(c)) return SKIP(v);
    for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++) {
        if (!is(status_table[i].endpoint, c->endpoint)) continue;
        char list[128] = "";
        for (const int *s = status_table[i].codes; *s; s++) {
            if (*s == c->ex->status) return PASS(v);
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", list[0] ? "," : "",
                     *s);
        }
        char exp[160];
        snprintf(exp, sizeof exp, "a documented status for %s: %s", c->endpoint, list);
        return verdict(v, CHECK_FAIL, exp, "%ld", c->ex->status);
    }
    SKIP(v);
}

/* ---- content_type_conformance ---- */

static void ck_content_type(const check_ctx *c, check_verdict *v)
{
    if (no_verdict(c) || c->ex->resp_bytes == 0) return SKIP(v);
    const char *ct = c->ex->content_type;
    if (strncasecmp(ct, "text/event-stream", 17) == 0 && is_v1(c->ex)) return PASS(v);
    if (strncasecmp(ct, "application/json", 16) != 0)
        return verdict(v, CHECK_FAIL, "Content-Type: application/json; charset=utf-8",
                       "Content-Type: %s", ct[0] ? ct : "(none)");
    /* The contract asks for the charset on every JSON body, in any letter case. */
    char low[128];
    size_t i;
    for (i = 0; ct[i] && i + 1 < sizeof low; i++)
        low[i] = (char)tolower((unsigned char)ct[i]);
    low[i] = '\0';
    if (!strstr(low, "charset=utf-8"))
        return verdict(v, CHECK_FAIL, "Content-Type: application/json; charset=utf-8",
                       "Content-Type: %s", ct);
    if (!c->ex->json && !c->ex->resp_truncated)
        return verdict(v, CHECK_FAIL, "a JSON body, as the content type says",
                       "%zu bytes that do not parse as JSON", c->ex->resp_len);
    PASS(v);
}

/* ---- response_schema_conformance ---- */

typedef struct field_rule {
    const char *name;
    int type; /* cJSON type bits */
} field_rule;

static int has_fields(const cJSON *o, const field_rule *f, char *msg, size_t cap)
{
    for (; f->name; f++) {
        const cJSON *v = json_obj(o, f->name);
        if (!v) {
            snprintf(msg, cap, "required property '%s' is missing", f->name);
            return 0;
        }
        if (!(v->type & f->type)) {
            snprintf(msg, cap, "property '%s' has the wrong type", f->name);
            return 0;
        }
    }
    return 1;
}

/* Required properties of the success bodies, used until the OpenAPI validator is plugged in. */
static int builtin_schema(const char *endpoint, long status, const cJSON *b, char *msg, size_t cap)
{
    static const field_rule routed[] = {
        {"intent_id", cJSON_String}, {"status", cJSON_String}, {"confidence", cJSON_Number},
        {"threshold", cJSON_Number}, {"intent", cJSON_Object}, {"model", cJSON_Object},
        {"usage", cJSON_Object},     {"cost", cJSON_Object},   {NULL, 0}};
    static const field_rule clar[] = {{"clarification_id", cJSON_String},
                                      {"status", cJSON_String},
                                      {"questions", cJSON_Array},
                                      {"confidence", cJSON_Number},
                                      {"usage", cJSON_Object},
                                      {"cost", cJSON_Object},
                                      {NULL, 0}};
    static const field_rule fraud[] = {{"score_id", cJSON_String},
                                       {"risk_score", cJSON_Number},
                                       {"level", cJSON_String},
                                       {"cost", cJSON_Object},
                                       {NULL, 0}};
    static const field_rule token[] = {{"access_token", cJSON_String},
                                       {"token_type", cJSON_String},
                                       {"expires_in", cJSON_Number},
                                       {NULL, 0}};
    static const field_rule chat[] = {{"id", cJSON_String},     {"object", cJSON_String},
                                      {"choices", cJSON_Array}, {"model", cJSON_String},
                                      {"usage", cJSON_Object},  {NULL, 0}};
    const field_rule *f = NULL;
    int order = is(endpoint, "order_routing") || is(endpoint, "order_routing_clarification");
    if (order && status == 200) f = routed;
    if (order && status == 202) f = clar;
    if (is(endpoint, "fraud_score") && status == 200) f = fraud;
    if (is(endpoint, "token") && status == 200) f = token;
    if (is(endpoint, "chat_completions") && status == 200) f = chat;
    if (!f) return -1;
    if (!cJSON_IsObject(b)) {
        snprintf(msg, cap, "the body is not a JSON object");
        return 0;
    }
    if (!has_fields(b, f, msg, cap)) return 0;
    const char *st = json_string(b, "status");
    if (f == routed && !is(st, "ready") && !is(st, "fallback") && !is(st, "pending_review")) {
        snprintf(msg, cap, "status '%s' is not ready, fallback or pending_review", st);
        return 0;
    }
    if (f == routed && !json_string(json_obj(b, "intent"), "type")) {
        snprintf(msg, cap, "intent.type is missing");
        return 0;
    }
    if (f == clar && !is(st, "needs_clarification")) {
        snprintf(msg, cap, "status must be needs_clarification on a 202");
        return 0;
    }
    return 1;
}

static void ck_schema(const check_ctx *c, check_verdict *v)
{
    char msg[CHECK_TEXT_MAX] = "";
    if (no_verdict(c) || c->ex->resp_bytes == 0 || c->ex->resp_truncated) return SKIP(v);
    if (!c->ex->json && strncasecmp(c->ex->content_type, "application/json", 16) != 0)
        return SKIP(v); /* content_type_conformance speaks about that */
    int r = -1;
    if (schema_fn) r = schema_fn(schema_ud, c->ex, msg, sizeof msg);
    if (r < 0) r = builtin_schema(c->endpoint, c->ex->status, c->ex->json, msg, sizeof msg);
    if (r < 0) return SKIP(v);
    if (r == 0)
        return verdict(v, CHECK_FAIL, "a body that matches fixtures/openapi.yaml", "%s", msg);
    PASS(v);
}

/* ---- response_signature_valid ---- */

static void ck_signature(const check_ctx *c, check_verdict *v)
{
    const exchange *ex = c->ex;
    if (no_verdict(c) || !is_v3_ai(ex) || !c->merchant) return SKIP(v);
    int present = ex->wp_signature[0] != '\0';
    /* Only a response to an identified merchant is signed; a 2xx always is. */
    if (!present) {
        if (ex->status >= 200 && ex->status < 300)
            return verdict(v, CHECK_FAIL,
                           "Wechatpay-Signature, -Timestamp, -Nonce and -Serial on a 2xx",
                           "no Wechatpay-Signature header");
        return SKIP(v);
    }
    if (!ex->wp_timestamp[0] || !ex->wp_nonce[0] || !ex->wp_serial[0])
        return verdict(v, CHECK_FAIL, "Wechatpay-Timestamp, -Nonce and -Serial with the signature",
                       "timestamp '%s', nonce '%s', serial '%s'", ex->wp_timestamp, ex->wp_nonce,
                       ex->wp_serial);
    const scenario_key *k = scenario_key_find(c->merchant, ex->wp_serial);
    if (!k)
        return verdict(v, CHECK_FAIL, "a serial of one of the merchant's keys",
                       "Wechatpay-Serial: %s", ex->wp_serial);
    char sig[SIGN_B64_LEN];
    if (sign_response(k->secret, k->secret_len, ex->wp_timestamp, ex->wp_nonce,
                      ex->resp ? ex->resp : "", ex->resp_len, sig, sizeof sig) != 0 ||
        !sign_equal(sig, ex->wp_signature))
        return verdict(v, CHECK_FAIL, "HMAC-SHA256(key, TS\\nNONCE\\nBODY\\n) of the body received",
                       "Wechatpay-Signature: %.60s (expected %s)", ex->wp_signature, sig);
    PASS(v);
}

/* ---- request_id_present ---- */

static int is_uuid(const char *s)
{
    if (strlen(s) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

static void ck_request_id(const check_ctx *c, check_verdict *v)
{
    if (no_verdict(c)) return SKIP(v);
    if (!is_uuid(c->ex->request_id))
        return verdict(v, CHECK_FAIL, "Request-ID: <uuid>", "Request-ID: %s",
                       c->ex->request_id[0] ? c->ex->request_id : "(none)");
    if (is_v1(c->ex) && strcasecmp(c->ex->request_id, c->ex->x_request_id) != 0)
        return verdict(v, CHECK_FAIL, "x-request-id equal to Request-ID", "x-request-id: %s",
                       c->ex->x_request_id[0] ? c->ex->x_request_id : "(none)");
    PASS(v);
}

/* ---- error_shape ---- */

static const struct {
    int status;
    const char *codes;
} error_codes[] = {
    {400, "PARAM_ERROR INVALID_REQUEST"},
    {401, "TOKEN_INVALID SIGN_ERROR"},
    {403, "NO_AUTH"},
    {404, "RESOURCE_NOT_EXISTS"},
    {405, "METHOD_NOT_ALLOWED"},
    {409, "IDEMPOTENCY_CONFLICT"},
    {410, "CLARIFICATION_EXPIRED"},
    {413, "REQUEST_TOO_LARGE"},
    {415, "UNSUPPORTED_MEDIA_TYPE"},
    {429, "FREQUENCY_LIMITED"},
    {500, "SYSTEM_ERROR"},
    {503, "SERVICE_UNAVAILABLE"},
};

static int word_in(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return 1;
    return 0;
}

static void ck_error_shape(const check_ctx *c, check_verdict *v)
{
    const exchange *ex = c->ex;
    if (no_verdict(c) || ex->status < 400) return SKIP(v);
    const cJSON *b = ex->json;
    if (is(c->endpoint, "token")) {
        static const char oauth[] = "invalid_request invalid_client invalid_grant "
                                    "unauthorized_client unsupported_grant_type invalid_scope";
        const char *e = json_string(b, "error");
        if (!e || !word_in(oauth, e))
            return verdict(v, CHECK_FAIL, "{\"error\": <RFC 6749 code>, \"error_description\"}",
                           "%.200s", body_of(ex));
        return PASS(v);
    }
    if (is_v1(ex)) {
        const cJSON *e = json_obj(b, "error");
        if (!json_string(e, "message") || !json_string(e, "type"))
            return verdict(v, CHECK_FAIL,
                           "{\"error\": {\"message\", \"type\", \"param\", \"code\"}}", "%.200s",
                           body_of(ex));
        return PASS(v);
    }
    const char *code = json_string(b, "code"), *msg = json_string(b, "message");
    const cJSON *detail = json_obj(b, "detail");
    if (!code || !msg || (detail && !cJSON_IsObject(detail) && !cJSON_IsNull(detail)))
        return verdict(v, CHECK_FAIL,
                       "{\"code\", \"message\", \"detail\"?} with string code and message",
                       "%.200s", body_of(ex));
    for (size_t i = 0; i < sizeof error_codes / sizeof error_codes[0]; i++) {
        if (error_codes[i].status != ex->status) continue;
        if (!word_in(error_codes[i].codes, code)) {
            char exp[128];
            snprintf(exp, sizeof exp, "code %s for status %ld", error_codes[i].codes, ex->status);
            return verdict(v, CHECK_FAIL, exp, "code %s", code);
        }
    }
    PASS(v);
}

/* ---- retry_after_on_429 ---- */

static void ck_retry_after(const check_ctx *c, check_verdict *v)
{
    if (no_verdict(c) || (c->ex->status != 429 && c->ex->status != 503)) return SKIP(v);
    const char *ra = c->ex->retry_after;
    size_t n = strlen(ra);
    if (n == 0 || n > 9 || strspn(ra, "0123456789") != n)
        return verdict(v, CHECK_FAIL, "Retry-After: <seconds> on 429 and 503", "Retry-After: %s",
                       n ? ra : "(none)");
    PASS(v);
}

/* ---- amounts_consistent ---- */

static int amount_of(const cJSON *amount_holder, int64_t *total, const char **cur)
{
    const cJSON *a = json_obj(amount_holder, "amount");
    const cJSON *t = json_obj(a, "total");
    if (!a) return 0; /* absent: nothing to add up */
    if (!cJSON_IsNumber(t) || t->valuedouble < 0 || t->valuedouble > (double)MONEY_MAX_MINOR ||
        t->valuedouble != floor(t->valuedouble))
        return -1;
    *total = (int64_t)t->valuedouble;
    *cur = json_string(a, "currency");
    return 1;
}

static int is_order(const check_ctx *c)
{
    return is(c->endpoint, "order_routing") || is(c->endpoint, "order_routing_clarification");
}

static void ck_amounts(const check_ctx *c, check_verdict *v)
{
    if (no_verdict(c) || !is_order(c) || c->ex->status != 200) return SKIP(v);
    const cJSON *intent = json_obj(c->ex->json, "intent");
    int64_t total = 0, part = 0, sum = 0;
    const char *cur = NULL, *pcur = NULL;
    int r = amount_of(intent, &total, &cur);
    if (r < 0)
        return verdict(v, CHECK_FAIL, "amount.total an integer number of fen", "%.200s",
                       body_of(c->ex));
    if (r == 0) return SKIP(v);
    const cJSON *splits = json_obj(intent, "splits"), *s;
    if (cJSON_GetArraySize(splits) > 0) {
        cJSON_ArrayForEach(s, splits)
        {
            if (amount_of(s, &part, &pcur) != 1)
                return verdict(v, CHECK_FAIL, "every split with an integer amount.total",
                               "a split without one");
            if (cur && pcur && strcmp(cur, pcur) != 0)
                return verdict(v, CHECK_FAIL, "splits in the intent's currency",
                               "%s split of a %s intent", pcur, cur);
            sum += part;
        }
        if (sum != total)
            return verdict(v, CHECK_FAIL, "splits that add up to amount.total",
                           "splits add up to %lld, amount.total is %lld", (long long)sum,
                           (long long)total);
    }
    const cJSON *tip = json_obj(intent, "tip");
    if (cJSON_IsObject(tip) && amount_of(tip, &part, &pcur) == 1 && part > total)
        return verdict(v, CHECK_FAIL, "a tip no larger than the total", "tip %lld, total %lld",
                       (long long)part, (long long)total);
    PASS(v);
}

/* ---- confidence_vs_threshold ---- */

static double threshold_asked(const check_ctx *c)
{
    /* The request's own threshold wins over the scenario default (CONTRACT.md). */
    double th = c->sc ? c->sc->defaults.confidence_threshold : 0.85;
    /* A body that does not hold the key's bytes (and no escape that could spell them) has
     * nothing to parse for. */
    if (c->rec && c->rec->body && is(c->endpoint, "order_routing") &&
        (memchr(c->rec->body, '\\', c->rec->body_len) ||
         memmem(c->rec->body, c->rec->body_len, "confidence_threshold", 20))) {
        cJSON *b = cJSON_ParseWithLength(c->rec->body, c->rec->body_len);
        const cJSON *t = json_obj(b, "confidence_threshold");
        if (cJSON_IsNumber(t)) th = t->valuedouble;
        cJSON_Delete(b);
    }
    return th;
}

static void ck_confidence(const check_ctx *c, check_verdict *v)
{
    if (no_verdict(c) || !is_order(c) || (c->ex->status != 200 && c->ex->status != 202))
        return SKIP(v);
    const cJSON *b = c->ex->json;
    const cJSON *conf = json_obj(b, "confidence");
    if (!cJSON_IsNumber(conf) || conf->valuedouble < 0 || conf->valuedouble > 1)
        return verdict(v, CHECK_FAIL, "confidence a number from 0 to 1", "%.200s", body_of(c->ex));
    if (c->ex->status == 202) return PASS(v);
    double cf = conf->valuedouble;
    const cJSON *th = json_obj(b, "threshold");
    if (!cJSON_IsNumber(th)) return verdict(v, CHECK_FAIL, "a numeric threshold", "none");
    double t = th->valuedouble;
    /* The request's threshold is only known for the first request of a flow; an
     * answer to a clarification inherits it from the stored request. */
    if (is(c->endpoint, "order_routing") && fabs(t - threshold_asked(c)) > 1e-6)
        return verdict(v, CHECK_FAIL, "the threshold the request asked for (or the default)",
                       "threshold %.4f, asked %.4f", t, threshold_asked(c));
    const char *st = json_string(b, "status");
    const cJSON *ctk = json_obj(b, "confirmation_token");
    const cJSON *fb = json_obj(b, "fallback");
    if (is(st, "ready") && (cf < t || !cJSON_IsString(ctk)))
        return verdict(v, CHECK_FAIL,
                       "ready only at or above the threshold, with a confirmation_token",
                       "ready at confidence %.4f, threshold %.4f", cf, t);
    if (is(st, "fallback") &&
        (cf >= t || !cJSON_IsNull(ctk) || !is(json_string(fb, "type"), "form")))
        return verdict(v, CHECK_FAIL,
                       "fallback only below the threshold, with a form and no confirmation_token",
                       "fallback at confidence %.4f, threshold %.4f", cf, t);
    if (is(st, "pending_review")) {
        const cJSON *rv = json_obj(b, "review");
        if (!cJSON_IsTrue(json_obj(rv, "required")))
            return verdict(v, CHECK_FAIL, "review.required true on pending_review", "%.200s",
                           body_of(c->ex));
    }
    PASS(v);
}

/* ---- cost_matches_pricing ---- */

static void ck_cost(const check_ctx *c, check_verdict *v)
{
    if (no_verdict(c) || !c->sc || (c->ex->status != 200 && c->ex->status != 202)) return SKIP(v);
    const scenario_pricing *p = &c->sc->pricing;
    const cJSON *b = c->ex->json;
    const cJSON *cost = json_obj(b, "cost");
    const cJSON *micros = json_obj(cost, "amount_micros");
    int64_t want = 0, tokens = 0, mult = 1;
    char exp[160];
    if (is_order(c)) {
        const cJSON *u = json_obj(b, "usage");
        const cJSON *in = json_obj(u, "input_tokens");
        const cJSON *out = json_obj(u, "output_tokens");
        const cJSON *tot = json_obj(u, "total_tokens");
        if (!cJSON_IsNumber(in) || !cJSON_IsNumber(out) || !cJSON_IsNumber(tot))
            return verdict(v, CHECK_FAIL, "usage with input, output and total tokens", "%.200s",
                           body_of(c->ex));
        if ((int64_t)tot->valuedouble != (int64_t)in->valuedouble + (int64_t)out->valuedouble)
            return verdict(v, CHECK_FAIL, "total_tokens = input_tokens + output_tokens",
                           "%lld + %lld != %lld", (long long)in->valuedouble,
                           (long long)out->valuedouble, (long long)tot->valuedouble);
        mult = is(json_string(u, "modality"), "text") || !json_string(u, "modality")
                   ? 1
                   : p->multimodal_multiplier;
        tokens = (int64_t)tot->valuedouble;
        if (money_token_cost(tokens, p->order_routing_per_1k_tokens_micros, mult, &want) != 0)
            return SKIP(v);
    } else if (is(c->endpoint, "fraud_score") && c->ex->status == 200) {
        want = p->fraud_score_per_call_micros;
    } else {
        return SKIP(v);
    }
    if (cJSON_IsNumber(micros) && (int64_t)micros->valuedouble == want &&
        is(json_string(cost, "currency"), p->currency))
        return PASS(v);
    /* what was expected, written only for a failure */
    if (is_order(c))
        snprintf(exp, sizeof exp, "%lld micros (%lld tokens at %lld per 1,000 x%lld) in %s",
                 (long long)want, (long long)tokens,
                 (long long)p->order_routing_per_1k_tokens_micros, (long long)mult, p->currency);
    else
        snprintf(exp, sizeof exp, "%lld micros per call in %s", (long long)want, p->currency);
    if (!cJSON_IsNumber(micros)) return verdict(v, CHECK_FAIL, exp, "no cost.amount_micros");
    verdict(v, CHECK_FAIL, exp, "%lld micros in %s", (long long)micros->valuedouble,
            json_string(cost, "currency") ? json_string(cost, "currency") : "(none)");
}

/* ---- flow checks ---- */

static void ck_clarification(const check_ctx *c, check_verdict *v)
{
    if (c->clar_problem)
        return verdict(v, CHECK_FAIL,
                       "202 with Location naming the clarification, answers accepted", "%s",
                       c->clar_problem);
    if (c->clar_rounds == 0) return SKIP(v);
    PASS(v);
}

static void ck_expectations(const check_ctx *c, check_verdict *v)
{
    const cJSON *e = c->rec ? c->rec->expect : NULL;
    if (!e) return SKIP(v);
    const cJSON *st = json_obj(e, "status");
    if (st) {
        int ok = 0;
        char list[96] = "";
        if (cJSON_IsNumber(st)) {
            ok = (long)st->valuedouble == c->primary_status;
            snprintf(list, sizeof list, "%d", (int)st->valuedouble);
        }
        const cJSON *s, *arr = cJSON_IsArray(st) ? st : NULL;
        cJSON_ArrayForEach(s, arr)
        {
            if (!cJSON_IsNumber(s)) continue;
            ok |= (long)s->valuedouble == c->primary_status;
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", list[0] ? "," : "",
                     (int)s->valuedouble);
        }
        if (!ok) {
            char exp[128];
            snprintf(exp, sizeof exp, "status in [%s]", list);
            return verdict(v, CHECK_FAIL, exp, "status %ld", c->primary_status);
        }
    }
    const char *intent = json_string(e, "intent");
    if (intent && !is(intent, c->final_intent)) {
        char exp[128];
        snprintf(exp, sizeof exp, "intent %s", intent);
        return verdict(v, CHECK_FAIL, exp, "intent %s",
                       c->final_intent ? c->final_intent : "(none)");
    }
    PASS(v);
}

/* ---- registry ---- */

static const struct {
    const char *name;
    int phase;
    check_fn fn;
} checks[CHECK_COUNT] = {
    [CK_STATUS_CODE] = {"status_code_conformance", CHECK_ON_EXCHANGE, ck_status},
    [CK_CONTENT_TYPE] = {"content_type_conformance", CHECK_ON_EXCHANGE, ck_content_type},
    [CK_RESPONSE_SCHEMA] = {"response_schema_conformance", CHECK_ON_EXCHANGE, ck_schema},
    [CK_SIGNATURE] = {"response_signature_valid", CHECK_ON_EXCHANGE, ck_signature},
    [CK_REQUEST_ID] = {"request_id_present", CHECK_ON_EXCHANGE, ck_request_id},
    [CK_ERROR_SHAPE] = {"error_shape", CHECK_ON_EXCHANGE, ck_error_shape},
    [CK_RETRY_AFTER] = {"retry_after_on_429", CHECK_ON_EXCHANGE, ck_retry_after},
    [CK_CLARIFICATION_FLOW] = {"clarification_flow", CHECK_ON_FLOW, ck_clarification},
    [CK_AMOUNTS] = {"amounts_consistent", CHECK_ON_EXCHANGE, ck_amounts},
    [CK_CONFIDENCE] = {"confidence_vs_threshold", CHECK_ON_EXCHANGE, ck_confidence},
    [CK_COST] = {"cost_matches_pricing", CHECK_ON_EXCHANGE, ck_cost},
    [CK_EXPECTATIONS] = {"expectations", CHECK_ON_FLOW, ck_expectations},
};

const char *check_name(check_id id)
{
    return (unsigned)id < CHECK_COUNT ? checks[id].name : "?";
}

int check_phase(check_id id)
{
    return checks[id].phase;
}

void check_set_schema(check_schema_fn fn, void *ud)
{
    schema_fn = fn;
    schema_ud = ud;
}

/* Bits of the names in a comma-separated list. */
static int names_to_mask(const char *list, unsigned *mask, char *err, size_t cap)
{
    *mask = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        while (n && (*p == ' ')) {
            p++;
            n--;
        }
        size_t m = n;
        while (m && p[m - 1] == ' ')
            m--;
        int found = 0;
        if (m == 3 && strncmp(p, "all", 3) == 0) {
            *mask = (1u << CHECK_COUNT) - 1;
            found = 1;
        }
        for (int i = 0; !found && i < CHECK_COUNT; i++)
            if (strlen(checks[i].name) == m && strncmp(p, checks[i].name, m) == 0) {
                *mask |= 1u << i;
                found = 1;
            }
        if (!found && m) {
            snprintf(err, cap, "unknown check '%.*s' (see --list-checks)", (int)m, p);
            return -1;
        }
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

int check_select(const char *only, const char *exclude, unsigned *mask, char *err, size_t cap)
{
    unsigned on = (1u << CHECK_COUNT) - 1, off = 0;
    if (only && names_to_mask(only, &on, err, cap) != 0) return -1;
    if (exclude && names_to_mask(exclude, &off, err, cap) != 0) return -1;
    *mask = on & ~off;
    return 0;
}

void check_run(check_id id, const check_ctx *ctx, check_verdict *v)
{
    SKIP(v);
    checks[id].fn(ctx, v);
}

static check_endpoint *endpoint_tally(check_results *r, const char *name)
{
    if (!name) name = "unknown";
    for (size_t i = 0; i < r->nep; i++)
        if (strcmp(r->ep[i].name, name) == 0) return &r->ep[i];
    if (r->nep == CHECK_MAX_ENDPOINTS) return &r->ep[CHECK_MAX_ENDPOINTS - 1];
    check_endpoint *e = &r->ep[r->nep++];
    snprintf(e->name, sizeof e->name, "%s", r->nep == CHECK_MAX_ENDPOINTS ? "other" : name);
    return e;
}

int check_all(check_results *r, int phase, const check_ctx *ctx)
{
    int failed = 0;
    check_endpoint *ce = NULL; /* looked up at the first verdict that is not a skip */
    for (int i = 0; i < CHECK_COUNT; i++) {
        if (!(r->enabled & (1u << i)) || checks[i].phase != phase) continue;
        check_verdict v;
        check_run((check_id)i, ctx, &v);
        check_tally *t = &r->t[i];
        if (v.result == CHECK_SKIP) {
            t->skipped++;
            continue;
        }
        if (!ce) ce = endpoint_tally(r, ctx->endpoint);
        if (v.result == CHECK_PASS) {
            t->passed++;
            ce->passed[i]++;
            continue;
        }
        t->failed++;
        ce->failed[i]++;
        failed++;
        if (t->nexamples < CHECK_EXAMPLES) {
            check_example *e = &t->examples[t->nexamples++];
            snprintf(e->record_id, sizeof e->record_id, "%s", ctx->rec ? ctx->rec->id : "");
            snprintf(e->endpoint, sizeof e->endpoint, "%s", ce->name);
            e->line = ctx->rec ? ctx->rec->line : 0;
            snprintf(e->expected, sizeof e->expected, "%s", v.expected);
            snprintf(e->seen, sizeof e->seen, "%s", v.seen);
            e->curl = ctx->ex ? client_curl_command(ctx->ex, 8192) : NULL;
        }
    }
    return failed;
}

void check_results_free(check_results *r)
{
    if (!r) return;
    for (int i = 0; i < CHECK_COUNT; i++)
        for (size_t j = 0; j < r->t[i].nexamples; j++) {
            free(r->t[i].examples[j].curl);
            r->t[i].examples[j].curl = NULL;
        }
}
