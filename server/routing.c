#include "routing.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "engine.h"
#include "intent.h"
#include "json.h"
#include "model.h"
#include "money.h"
#include "receipt.h"
#include "server.h"
#include "tokens.h"
#include "utf8.h"

#define TEXT_MAX_CHARS 4000
#define CONFIRMATION_TTL_S 900
#define DEFAULT_UTC_OFFSET_S (8 * 3600) /* the API's home time zone, Asia/Shanghai */
#define RULE_CONFIDENCE 0.95            /* a scripted intent without a confidence */
#define MODEL_NAME "qwen-pay"

/* A validated order-routing request; strings are borrowed from the parsed body. */
typedef struct request {
    const char *text;
    size_t len;
    const char *locale;
    const char *payer;
    int64_t ref_unix;
    int ref_offset;
    double threshold;
    /* multimodal: what the attachments added (docs/fraud.md, "Receipts") */
    const char *modality;     /* "text", "image" or "audio" */
    int64_t text_tokens;      /* of the text the client wrote */
    int64_t attachment_tokens;
    double confidence_cap;    /* below 1 when an attachment could not be read */
    size_t nattachments;
    char merged[TEXT_MAX_CHARS * 4 + 64]; /* the text as read with its attachments */
} request;

/* Append " " and piece to r->merged, cut at a character boundary once *chars reaches budget. */
static void merge_append(request *r, size_t *chars, size_t budget, const char *piece)
{
    if (r->len && *chars < budget && r->len + 1 < sizeof r->merged) {
        r->merged[r->len++] = ' ';
        (*chars)++;
    }
    for (const char *p = piece; *p && *chars < budget; (*chars)++) {
        size_t n = 1;
        while (((unsigned char)p[n] & 0xC0) == 0x80)
            n++;
        if (r->len + n >= sizeof r->merged) break;
        memcpy(r->merged + r->len, p, n);
        r->len += n;
        p += n;
    }
    r->merged[r->len] = '\0';
}

/* Recognised attachments are read as words: the text, then what each voice note says (in
 * the order they were attached), then the order number a receipt shows, so the model resolves them like an order it is told about.
 * The reading stays within the text cap because a clarification stores it as its text and
 * checks it again. Unreadable attachments cap the confidence. */
static int read_attachments(http_req *req, const cJSON *body, const cJSON *att, request *r)
{
    receipt_info ri;
    char field[64], issue[160];
    if (receipt_read(att, req->sc->dir, &ri, field, sizeof field, issue, sizeof issue) != 0)
        return http_param_error(req, field, issue);
    r->modality = ri.modality;
    r->attachment_tokens = ri.tokens;
    r->nattachments = ri.count;
    size_t chars = 0, budget = TEXT_MAX_CHARS - (ri.order ? 1 + strlen(ri.order->out_trade_no) : 0);
    if (!ri.order && !ri.transcribed) r->confidence_cap = r->text ? 0.6 : 0.3;
    r->len = 0;
    if (r->text) merge_append(r, &chars, budget, r->text);
    for (size_t i = 0; i < ri.transcribed; i++)
        merge_append(r, &chars, budget, ri.transcripts[i]);
    if (ri.order) {
        /* a photo alone: whoever paid the bill shares it, anyone else pays it back */
        const char *me = json_string(cJSON_GetObjectItemCaseSensitive(body, "payer"), "openid");
        int mine = me && ri.order->payer && !strcmp(me, ri.order->payer);
        if (!r->len) merge_append(r, &chars, budget, mine ? "split the bill" : "pay");
        merge_append(r, &chars, TEXT_MAX_CHARS, ri.order->out_trade_no);
    } else if (!r->len) {
        merge_append(r, &chars, budget, "pay");
    }
    r->text = r->merged;
    return 0;
}

/* Checks the body against the contract and fills *r; sends 400 and returns -1 otherwise. */
static int request_parse(http_req *req, const cJSON *body, request *r)
{
    /* not the 16 KiB of merged: zeroing it was 6 % of a request's instructions */
    memset(r, 0, offsetof(request, merged));
    r->merged[0] = '\0';
    if (!cJSON_IsObject(body)) return http_param_error(req, "", "the body must be a JSON object");

    const cJSON *text = cJSON_GetObjectItemCaseSensitive(body, "text");
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(body, "attachments");
    if (text && !cJSON_IsString(text)) return http_param_error(req, "/text", "must be a string");
    if (att && !cJSON_IsArray(att)) return http_param_error(req, "/attachments", "must be an array");
    r->modality = "text";
    r->confidence_cap = 1.0;
    if (!text && cJSON_GetArraySize(att) == 0)
        return http_param_error(req, "/text", "required (1 to 4000 characters) unless attachments are sent");
    if (text) {
        size_t chars = utf8_count(text->valuestring);
        if (chars == SIZE_MAX) return http_param_error(req, "/text", "must be valid UTF-8");
        if (chars == 0 || chars > TEXT_MAX_CHARS)
            return http_param_error(req, "/text", "must be 1 to 4000 characters");
        r->text = text->valuestring;
        r->len = strlen(text->valuestring);
        r->text_tokens = tokens_estimate(r->text, r->len);
    }
    if (cJSON_GetArraySize(att) > 0 && read_attachments(req, body, att, r) != 0) return -1;

    const cJSON *locale = cJSON_GetObjectItemCaseSensitive(body, "locale");
    if (locale && !cJSON_IsNull(locale)) {
        if (!cJSON_IsString(locale) || strlen(locale->valuestring) > 35)
            return http_param_error(req, "/locale", "must be a BCP 47 tag such as en-US or zh-CN");
        r->locale = locale->valuestring;
    }
    const cJSON *payer = cJSON_GetObjectItemCaseSensitive(body, "payer");
    if (payer && !cJSON_IsNull(payer)) {
        const cJSON *openid = cJSON_GetObjectItemCaseSensitive(payer, "openid");
        if (!cJSON_IsObject(payer) || !cJSON_IsString(openid) || strlen(openid->valuestring) > 63)
            return http_param_error(req, "/payer/openid", "must be a string of at most 63 bytes");
        r->payer = openid->valuestring;
    }
    r->threshold = req->sc->defaults.confidence_threshold;
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(body, "confidence_threshold");
    if (th && !cJSON_IsNull(th)) {
        if (!cJSON_IsNumber(th) || th->valuedouble < 0 || th->valuedouble > 1)
            return http_param_error(req, "/confidence_threshold", "must be a number from 0 to 1");
        r->threshold = th->valuedouble;
    }
    r->ref_unix = clock_now_s();
    r->ref_offset = DEFAULT_UTC_OFFSET_S;
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(body, "context");
    if (ctx && !cJSON_IsNull(ctx)) {
        if (!cJSON_IsObject(ctx)) return http_param_error(req, "/context", "must be an object");
        const cJSON *rt = cJSON_GetObjectItemCaseSensitive(ctx, "reference_time");
        if (rt && (!cJSON_IsString(rt) ||
                   clock_parse_rfc3339(rt->valuestring, &r->ref_unix, &r->ref_offset) != 0))
            return http_param_error(req, "/context/reference_time",
                               "must be an RFC 3339 time such as 2026-12-04T20:00:00+08:00");
    }
    return 0;
}

static void add_usage_cost(http_req *req, cJSON *root, const request *r, int64_t out_tokens)
{
    const scenario_pricing *p = &req->sc->pricing;
    int64_t cost = 0, in_tokens = r->text_tokens + r->attachment_tokens;
    int multimodal = strcmp(r->modality, "text") != 0;
    cJSON *usage = cJSON_AddObjectToObject(root, "usage");
    json_add_int(usage, "input_tokens", in_tokens);
    json_add_int(usage, "output_tokens", out_tokens);
    json_add_int(usage, "total_tokens", in_tokens + out_tokens);
    cJSON_AddStringToObject(usage, "modality", r->modality);
    if (money_token_cost(in_tokens + out_tokens, p->order_routing_per_1k_tokens_micros,
                         multimodal ? p->multimodal_multiplier : 1, &cost))
        cost = 0;
    cJSON *c = cJSON_AddObjectToObject(root, "cost");
    json_add_int(c, "amount_micros", cost);
    cJSON_AddStringToObject(c, "currency", p->currency);
}

static int format_time(int64_t unix_s, char *out, size_t cap)
{
    /* every answer formats "now + TTL": once a second per thread is enough */
    static _Thread_local int64_t last_s = INT64_MIN;
    static _Thread_local char last[40];
    if (unix_s != last_s) {
        if (clock_format_rfc3339(unix_s, DEFAULT_UTC_OFFSET_S, last, sizeof last) != 0) {
            last_s = INT64_MIN;
            return -1;
        }
        last_s = unix_s;
    }
    if (strlen(last) >= cap) return -1;
    memcpy(out, last, strlen(last) + 1);
    return 0;
}

static void add_time(cJSON *o, const char *key, int64_t unix_s)
{
    char buf[40];
    if (format_time(unix_s, buf, sizeof buf) == 0) cJSON_AddStringToObject(o, key, buf);
}

static int in_list(char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; s && s[0] && i < n; i++)
        if (strcmp(list[i], s) == 0) return 1;
    return 0;
}

/* usage and cost as add_usage_cost adds them, written straight into b. */
static void write_usage_cost(http_req *req, http_json *b, const request *r, int64_t out_tokens)
{
    const scenario_pricing *p = &req->sc->pricing;
    int64_t cost = 0, in_tokens = r->text_tokens + r->attachment_tokens;
    int multimodal = strcmp(r->modality, "text") != 0;
    http_json_lit(b, ",\"usage\":{\"input_tokens\":");
    http_json_num(b, (double)in_tokens);
    http_json_lit(b, ",\"output_tokens\":");
    http_json_num(b, (double)out_tokens);
    http_json_lit(b, ",\"total_tokens\":");
    http_json_num(b, (double)(in_tokens + out_tokens));
    http_json_lit(b, ",\"modality\":");
    http_json_str(b, r->modality);
    if (money_token_cost(in_tokens + out_tokens, p->order_routing_per_1k_tokens_micros,
                         multimodal ? p->multimodal_multiplier : 1, &cost))
        cost = 0;
    http_json_lit(b, "},\"cost\":{\"amount_micros\":");
    http_json_num(b, (double)cost);
    http_json_lit(b, ",\"currency\":");
    http_json_str(b, p->currency);
    http_json_lit(b, "}");
    http_meter(req, in_tokens, out_tokens, cost);
}

/* 200: ready, fallback or pending_review. intent is not consumed (it may be a scenario
 * rule's own). The answer is written as text, in the bytes a cJSON tree of it would
 * print: building the tree was ~60 mallocs and frees per answer. */
static int send_result(http_req *req, const request *r, const cJSON *intent, double confidence,
                       int64_t total, const char *category, const char *review_reason,
                       const scenario_rule *scripted)
{
    const scenario *sc = req->sc;
    char id[40], ctk[40], reason[160], expires[40];
    http_json b = {0};

    if (!review_reason && in_list(sc->review.categories, sc->review.ncategories, category)) {
        snprintf(reason, sizeof reason, "category %s requires manual review", category);
        review_reason = reason;
    } else if (!review_reason && sc->review.amount_over_fen > 0 &&
               total > sc->review.amount_over_fen) {
        snprintf(reason, sizeof reason, "amount %lld is over the review limit of %lld",
                 (long long)total, (long long)sc->review.amount_over_fen);
        review_reason = reason;
    }
    /* Decide on the figures the client sees, so a 0.84996 shown as 0.85 is ready. */
    confidence = json_round(confidence, 4);
    const char *status = review_reason                              ? "pending_review"
                         : confidence < json_round(r->threshold, 4) ? "fallback"
                                                                    : "ready";
    int64_t now = engine_wall_s(req->engine); /* expires_at is scenario time, as TTLs are */

    ident_token("int_", id, sizeof id);
    http_json_lit(&b, "{\"intent_id\":");
    http_json_str(&b, id);
    http_json_lit(&b, ",\"status\":");
    http_json_str(&b, status);
    http_json_lit(&b, ",\"confidence\":");
    http_json_num(&b, json_round(confidence, 4));
    http_json_lit(&b, ",\"threshold\":");
    http_json_num(&b, json_round(r->threshold, 4));
    int64_t out_tokens = 0;
    if (scripted && scripted->intent_text) { /* the rule's intent, printed at load */
        http_json_lit(&b, ",\"intent\":");
        http_json_put(&b, scripted->intent_text, strlen(scripted->intent_text));
        out_tokens = scripted->intent_tokens;
    } else if (intent) {
        http_json_lit(&b, ",\"intent\":");
        http_json_value(&b, intent);
        out_tokens = tokens_estimate("intent", 6) + tokens_of_json_value(intent);
    }
    /* The intent (and its token, when ready) stays valid for the same time. */
    if (strcmp(status, "ready") == 0) {
        ident_token("ctk_", ctk, sizeof ctk);
        http_json_lit(&b, ",\"confirmation_token\":");
        http_json_str(&b, ctk);
    } else {
        http_json_lit(&b, ",\"confirmation_token\":null");
    }
    if (format_time(now + CONFIRMATION_TTL_S, expires, sizeof expires) == 0) {
        http_json_lit(&b, ",\"expires_at\":");
        http_json_str(&b, expires);
    }
    if (strcmp(status, "fallback") == 0)
        http_json_lit(&b, ",\"fallback\":{\"type\":\"form\",\"reason\":\"confidence_below_threshold\","
                          "\"fields\":[\"amount\",\"payees\"]}");
    else
        http_json_lit(&b, ",\"fallback\":null");
    if (review_reason) {
        http_json_lit(&b, ",\"review\":{\"required\":true,\"reason\":");
        http_json_str(&b, review_reason);
        http_json_lit(&b, "}");
    } else {
        http_json_lit(&b, ",\"review\":null");
    }
    http_json_lit(&b, ",\"model\":{\"name\":\"" MODEL_NAME "\"");
    const char *version = engine_req_version_id(req, ENDPOINT_ORDER_ROUTING);
    if (version) { /* cJSON leaves out a NULL string */
        http_json_lit(&b, ",\"version\":");
        http_json_str(&b, version);
    }
    http_json_lit(&b, "}");
    write_usage_cost(req, &b, r, out_tokens);
    http_json_lit(&b, "}");
    return http_send_json_text(req, 200, &b);
}

/* 202 with the open questions; partial is consumed. */
static int send_clarification(http_req *req, const clarify_entry *e, const request *r,
                              cJSON *questions, cJSON *partial, double confidence)
{
    cJSON *root = cJSON_CreateObject();
    int rc = -1;
    if (!root) goto out;
    cJSON_AddStringToObject(root, "clarification_id", e->id);
    cJSON_AddStringToObject(root, "status", "needs_clarification");
    cJSON_AddItemReferenceToObject(root, "questions", questions);
    cJSON_AddItemToObject(root, "partial_intent", partial);
    partial = NULL;
    cJSON_AddNumberToObject(root, "confidence", json_round(confidence, 4));
    add_time(root, "expires_at", e->expires_s);
    add_usage_cost(req, root, r, tokens_of_json(questions));
    http_add_header(req, "Location", "/v3/ai/order-routing/clarifications/%s", e->id);
    rc = http_send_json(req, 202, root);
out:
    cJSON_Delete(partial);
    cJSON_Delete(root);
    return rc;
}

static cJSON *rule_questions_json(const scenario_rule *rule)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < rule->nquestions; i++) {
        const scenario_question *q = &rule->questions[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", q->id);
        cJSON_AddStringToObject(o, "text", q->text);
        if (q->noptions) {
            cJSON *opts = cJSON_AddArrayToObject(o, "options");
            for (size_t j = 0; j < q->noptions; j++) {
                cJSON *op = cJSON_CreateObject();
                cJSON_AddStringToObject(op, "id", q->option_ids[j]);
                cJSON_AddStringToObject(op, "label", q->option_labels[j]);
                cJSON_AddItemToArray(opts, op);
            }
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static const scenario_rule *rule_by_name(const scenario *sc, const char *name)
{
    for (size_t i = 0; name && i < sc->nrules; i++)
        if (strcmp(sc->rules[i].name, name) == 0) return &sc->rules[i];
    return NULL;
}

/* Store (or update, when e->id is set) a pending clarification and answer 202.
 * questions is borrowed, partial consumed. */
static int ask(http_req *req, clarify_entry *e, const request *r, cJSON *questions, cJSON *partial,
               double confidence)
{
    char *qtext = json_print(questions);
    int rc;
    free(e->questions);
    e->questions = qtext;
    if (!qtext)
        rc = CLARIFY_ENOMEM;
    else if (e->id[0])
        rc = clarify_update(server_clarifications(req->srv), e);
    else
        rc = clarify_put(server_clarifications(req->srv), e, engine_wall_s(req->engine));
    if (rc != CLARIFY_OK) {
        cJSON_Delete(partial);
        return http_error(req, 500, "SYSTEM_ERROR", "could not store the clarification", NULL);
    }
    return send_clarification(req, e, r, questions, partial, confidence);
}

/* Parse r with the answers so far into *res. A scripted question the model
 * has no slot for was settled by the rule's own options, so the model is
 * asked again without that answer. Returns 0, or -1 with the error sent. */
static int parse_request(http_req *req, const request *r, const cJSON *answers, model_result *res)
{
    model_answer ma[MODEL_MAX_ANSWERS];
    size_t na = 0;
    const cJSON *a;
    const char *bad = NULL;
    cJSON_ArrayForEach(a, answers)
    {
        if (na == MODEL_MAX_ANSWERS) break;
        ma[na].question_id = json_string(a, "question_id");
        ma[na].option_id = json_string(a, "option_id");
        ma[na].text = json_string(a, "text");
        na++;
    }
    model_input in = {.text = r->text,
                      .len = r->len,
                      .locale = r->locale,
                      .payer_openid = r->payer,
                      .reference_unix = r->ref_unix,
                      .reference_utc_offset_s = r->ref_offset,
                      .answers = ma,
                      .nanswers = na};
    for (;;) {
        int st = model_parse(req->sc->dir, &in, res, &bad);
        if (st == MODEL_OK) return 0;
        if (st != MODEL_EANSWER || in.nanswers == 0) break;
        size_t j = 0;
        for (size_t i = 0; i < in.nanswers; i++)
            if (ma[i].question_id != bad) ma[j++] = ma[i];
        if (j == in.nanswers) break;
        in.nanswers = j;
    }
    http_error(req, 500, "SYSTEM_ERROR", "the model could not parse the request", NULL);
    return -1;
}

/* Run the model on r with the answers so far and answer 200 or 202. */
static int run_model(http_req *req, const request *r, clarify_entry *e, const cJSON *answers,
                     const scenario_rule *rule)
{
    model_result *res = malloc(sizeof *res);
    int rc = -1;
    if (!res) return http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
    if (parse_request(req, r, answers, res) != 0) goto out;
    /* a scripted confidence is exact; the model's own is moved by the answering version */
    double confidence = rule && rule->has_confidence
                            ? rule->confidence
                            : engine_req_confidence(req, ENDPOINT_ORDER_ROUTING, res->confidence);
    if (confidence > r->confidence_cap) confidence = r->confidence_cap;
    if (res->nquestions) {
        cJSON *qs = intent_questions_json(res->questions, res->nquestions);
        rc = qs ? ask(req, e, r, qs, intent_to_json(res), confidence)
                : http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
        cJSON_Delete(qs);
        goto out;
    }
    if (e->id[0]) clarify_remove(server_clarifications(req->srv), e->id);
    cJSON *intent = intent_to_json(res);
    rc = send_result(req, r, intent, confidence, res->has_amount ? res->total : 0, res->category,
                     rule ? rule->review_reason : NULL, NULL);
    cJSON_Delete(intent);
out:
    free(res);
    return rc;
}

/* A scripted intent from the scenario, sent as written. */
static int send_rule_intent(http_req *req, const request *r, const scenario_rule *rule)
{
    return send_result(req, r, rule->intent,
                       rule->has_confidence ? rule->confidence : RULE_CONFIDENCE,
                       rule->intent_total, rule->intent_category, rule->review_reason, rule);
}

int routing_create(http_req *req, const cJSON *body)
{
    request r;
    clarify_entry e;
    int rc;

    /* the route reads up to the attachment cap; a body without attachments keeps the
     * smaller one, checked before its fields so the status says what is wrong */
    if (req->body_len > (size_t)req->sc->defaults.max_body_bytes &&
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(body, "attachments")) == 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "the body is larger than the limit of %lld bytes",
                 (long long)req->sc->defaults.max_body_bytes);
        http_add_header(req, "Connection", "close");
        return http_error(req, 413, "REQUEST_TOO_LARGE", msg, NULL);
    }
    if (request_parse(req, body, &r) != 0) return -1;
    memset(&e, 0, sizeof e);
    {
        size_t n = strnlen(req->merchant->mchid, sizeof e.mchid - 1); /* as snprintf cuts it */
        memcpy(e.mchid, req->merchant->mchid, n);                     /* e is zeroed */
    }
    e.expires_s = engine_wall_s(req->engine) + req->sc->defaults.clarification_ttl_s;
    e.request = req->body;
    /* A clarification keeps the request as the model read it, without the attachments'
     * megabytes: the answers are text. */
    cJSON *slim = NULL;
    char *slim_text = NULL;
    if (r.nattachments) {
        slim = cJSON_Duplicate(body, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(slim, "attachments");
        cJSON_DeleteItemFromObjectCaseSensitive(slim, "text");
        if (slim && cJSON_AddStringToObject(slim, "text", r.text)) slim_text = json_print(slim);
        cJSON_Delete(slim);
        if (!slim_text) return http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
        e.request = slim_text;
    }

    const scenario_rule *rule = scenario_rule_match(req->sc, "order_routing", req->merchant->mchid,
                                                    r.text, r.len, r.locale);
    if (rule && rule->error_status) {
        if (rule->error_status == 503 || rule->error_status == 429)
            http_add_header(req, "Retry-After", "%d", 1);
        rc = http_error(req, rule->error_status, rule->error_code, rule->error_message, NULL);
        goto out;
    }
    if (rule && rule->nquestions) {
        /* The model's best guess so far is the partial intent the client can show. */
        model_result *res = malloc(sizeof *res);
        if (!res) {
            rc = http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
            goto out;
        }
        if (parse_request(req, &r, NULL, res) != 0) {
            free(res);
            rc = -1;
            goto out;
        }
        cJSON *qs = rule_questions_json(rule);
        e.rule = rule->name;
        rc = ask(req, &e, &r, qs, intent_to_json(res),
                 rule->has_confidence ? rule->confidence : res->confidence);
        cJSON_Delete(qs);
        free(res);
        e.request = e.rule = NULL;
        free(e.questions);
        goto out;
    }
    if (rule && rule->intent) {
        rc = send_rule_intent(req, &r, rule);
        goto out;
    }
    rc = run_model(req, &r, &e, NULL, rule);
    free(e.questions);
out:
    free(slim_text);
    return rc;
}

/* Finds the option of q that the answer names (by id, or by label as text). */
static const char *match_option(const cJSON *q, const char *option_id, const char *text)
{
    const cJSON *opt;
    cJSON_ArrayForEach(opt, cJSON_GetObjectItemCaseSensitive(q, "options"))
    {
        const char *id = json_string(opt, "id"), *label = json_string(opt, "label");
        if (option_id && id && strcmp(option_id, id) == 0) return id;
        if (!option_id && text &&
            ((id && strcasecmp(text, id) == 0) || (label && strcasecmp(text, label) == 0)))
            return id;
    }
    return NULL;
}

static const cJSON *find_question(const cJSON *questions, const char *id)
{
    const cJSON *q;
    cJSON_ArrayForEach(q, questions)
    {
        const char *qid = json_string(q, "id");
        if (qid && strcmp(qid, id) == 0) return q;
    }
    return NULL;
}

/* Validates the new answers against the open questions and merges them into
 * all (replacing earlier answers to the same question). Sends 400 on error. */
static int merge_answers(http_req *req, const cJSON *body, const cJSON *questions, cJSON *all)
{
    const cJSON *answers = cJSON_GetObjectItemCaseSensitive(body, "answers");
    char field[64], issue[200];
    int i = 0;
    if (!cJSON_IsArray(answers) || cJSON_GetArraySize(answers) == 0)
        return http_param_error(req, "/answers", "must be a non-empty array of answers");
    if (cJSON_GetArraySize(answers) > MODEL_MAX_ANSWERS)
        return http_param_error(req, "/answers", "at most 8 answers at once");
    const cJSON *a;
    cJSON_ArrayForEach(a, answers)
    {
        const char *qid = json_string(a, "question_id");
        const char *opt = json_string(a, "option_id");
        const char *text = json_string(a, "text");
        snprintf(field, sizeof field, "/answers/%d", i++);
        if (!qid) return http_param_error(req, field, "question_id is required");
        const cJSON *q = find_question(questions, qid);
        if (!q) {
            snprintf(issue, sizeof issue, "question '%.64s' is not open on this clarification",
                     qid);
            return http_param_error(req, field, issue);
        }
        const char *chosen = NULL;
        if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(q, "options")) > 0) {
            chosen = match_option(q, opt, text);
            if (!chosen) {
                snprintf(issue, sizeof issue, "not an option of question '%.64s'", qid);
                return http_param_error(req, field, issue);
            }
        } else if (!text || !*text || strlen(text) > 256) {
            snprintf(issue, sizeof issue, "question '%.64s' takes a text answer of 1 to 256 bytes",
                     qid);
            return http_param_error(req, field, issue);
        }
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "question_id", qid);
        if (chosen)
            cJSON_AddStringToObject(m, "option_id", chosen);
        else
            cJSON_AddStringToObject(m, "text", text);
        int idx = 0, replaced = 0;
        const cJSON *old;
        cJSON_ArrayForEach(old, all)
        {
            if (strcmp(json_string(old, "question_id"), qid) == 0) {
                cJSON_ReplaceItemInArray(all, idx, m);
                replaced = 1;
                break;
            }
            idx++;
        }
        if (!replaced) cJSON_AddItemToArray(all, m);
    }
    return 0;
}

/* Questions of rule that have no answer yet. */
static cJSON *unanswered(const cJSON *questions, const cJSON *answers)
{
    cJSON *open = cJSON_CreateArray();
    const cJSON *q;
    cJSON_ArrayForEach(q, questions)
    {
        int done = 0;
        const cJSON *a;
        cJSON_ArrayForEach(a, answers) done |=
            strcmp(json_string(a, "question_id"), json_string(q, "id")) == 0;
        if (!done) cJSON_AddItemToArray(open, cJSON_Duplicate(q, 1));
    }
    return open;
}

int routing_answer(http_req *req, const cJSON *body)
{
    const char *id = req->ri->local_uri + strlen("/v3/ai/order-routing/clarifications/");
    clarify_entry e;
    cJSON *orig = NULL, *questions = NULL, *all = NULL, *open = NULL;
    request r;
    int rc = -1;

    memset(&e, 0, sizeof e);
    switch (clarify_get(server_clarifications(req->srv), id, req->merchant->mchid,
                        engine_wall_s(req->engine), &e)) {
    case CLARIFY_OK:
        break;
    case CLARIFY_EEXPIRED:
        return http_error(req, 410, "CLARIFICATION_EXPIRED",
                          "the clarification expired; send the request again", NULL);
    case CLARIFY_ENOTFOUND:
        return http_error(req, 404, "RESOURCE_NOT_EXISTS", "no such clarification", NULL);
    default:
        return http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
    }
    if (!cJSON_IsObject(body)) {
        rc = http_param_error(req, "", "the body must be a JSON object");
        goto out;
    }
    questions = cJSON_Parse(e.questions);
    all = e.answers ? cJSON_Parse(e.answers) : cJSON_CreateArray();
    orig = cJSON_Parse(e.request);
    if (!questions || !all || !orig) {
        rc = http_error(req, 500, "SYSTEM_ERROR", "stored clarification is damaged", NULL);
        goto out;
    }
    if (merge_answers(req, body, questions, all) != 0) goto out;
    free(e.answers);
    e.answers = json_print(all);
    if (request_parse(req, orig, &r) != 0) goto out;

    const scenario_rule *rule = rule_by_name(req->sc, e.rule);
    open = unanswered(questions, all);
    if (rule && cJSON_GetArraySize(open) > 0) {
        rc = ask(req, &e, &r, open, cJSON_CreateObject(),
                 rule->has_confidence ? rule->confidence : 0.5);
        goto out;
    }
    rc = run_model(req, &r, &e, all, rule);
out:
    cJSON_Delete(open);
    cJSON_Delete(orig);
    cJSON_Delete(questions);
    cJSON_Delete(all);
    clarify_entry_clear(&e);
    return rc;
}
