/* chat: the OpenAI-compatible fallback (see chat.h and docs/chat.md). */
#include "chat.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "chatreq.h"
#include "clock.h"
#include "endpoint.h"
#include "engine.h"
#include "intent.h"
#include "json.h"
#include "model.h"
#include "rng.h"
#include "server.h"
#include "tokens.h"

#define DEFAULT_INPUT_PRICE 150000  /* USD micros per million prompt tokens ($0.15) */
#define DEFAULT_OUTPUT_PRICE 600000 /* USD micros per million completion tokens ($0.60) */
#define DEFAULT_CNY_PER_USD 7200000 /* CNY micros per USD: 7.2 */
#define DEFAULT_CREATED 1767225600  /* 2026-01-01T00:00:00Z, a fixed model creation time */
#define MESSAGE_OVERHEAD 3          /* tokens billed per message for its role and framing */
#define REPLY_OVERHEAD 3            /* tokens billed for priming the reply */
#define DELTA_BYTES 16              /* content bytes per streamed delta at most */
#define UTC_OFFSET_S (8 * 3600)     /* "last night" is judged in the API's home zone */
#define FINGERPRINT "fp_wxai_mock"

/* ---- scenario section ---------------------------------------------------------------- */

static int dup_default(chat_config *cfg, const char *id)
{
    chat_model *m = &cfg->models[cfg->nmodels];
    m->id = strdup(id);
    m->owned_by = strdup("wxai-mock");
    m->created = DEFAULT_CREATED;
    m->input_usd_micros_per_million = -1;
    m->output_usd_micros_per_million = -1;
    cfg->nmodels++;
    return m->id && m->owned_by ? 0 : -1;
}

static void load_limit(yfield_ctx *c, const ytree_node *n, const char *path, chat_limit *out)
{
    static const char *const known[] = {"requests_per_minute", "burst"};
    char p[YFIELD_PATH_MAX];
    const ytree_node *v;
    int64_t rpm = out->requests_per_minute, burst = -1;
    if (!yfield_is_map(c, n, path)) return;
    yfield_keys(c, n, known, YFIELD_NELEM(known));
    yfield_pathf(p, "%s.requests_per_minute", path);
    if ((v = yfield_need(c, n, "requests_per_minute", path)))
        yfield_get_int(c, v, p, 1, 1000000, &rpm);
    yfield_pathf(p, "%s.burst", path);
    if ((v = ytree_get(n, "burst"))) yfield_get_int(c, v, p, 1, 1000000, &burst);
    out->requests_per_minute = rpm;
    out->burst = burst > 0 ? burst : rpm; /* a minute's worth at once, as a per-minute window */
}

static void load_price(yfield_ctx *c, const ytree_node *n, const char *path, const char *key,
                       int64_t *out)
{
    char p[YFIELD_PATH_MAX];
    const ytree_node *v = ytree_get(n, key);
    yfield_pathf(p, "%s.%s", path, key);
    if (v) yfield_get_int(c, v, p, 0, 1000000000000LL, out);
}

static void load_keys(yfield_ctx *c, const ytree_node *n, chat_config *cfg)
{
    static const char *const known[] = {"key", "rate_limit"};
    char p[YFIELD_PATH_MAX], q[YFIELD_PATH_MAX];
    if (!yfield_is_seq(c, n, "llm.api_keys", 0, CHAT_MAX_KEYS)) return;
    for (size_t i = 0; i < n->nitems; i++) {
        const ytree_node *it = n->items[i], *kn = it, *v;
        chat_key *k = &cfg->keys[cfg->nkeys];
        yfield_pathf(p, "llm.api_keys[%zu]", i);
        k->limit.requests_per_minute = -1; /* the section's limit, filled in at the end */
        if (it->kind == YT_MAP) {
            yfield_keys(c, it, known, YFIELD_NELEM(known));
            kn = yfield_need(c, it, "key", p);
            if ((v = ytree_get(it, "rate_limit"))) {
                yfield_pathf(q, "%s.rate_limit", p);
                k->limit.requests_per_minute = CHAT_DEFAULT_RPM;
                load_limit(c, v, q, &k->limit);
            }
            yfield_pathf(p, "llm.api_keys[%zu].key", i);
        }
        if (!kn || !(k->key = yfield_get_str(c, kn, p))) continue;
        cfg->nkeys++;
        for (size_t j = 0; j + 1 < cfg->nkeys; j++) {
            if (!strcmp(cfg->keys[j].key, k->key)) {
                yfield_err(c, kn, p, "duplicate API key (same as llm.api_keys[%zu])", j);
                break;
            }
        }
    }
}

static void load_models(yfield_ctx *c, const ytree_node *n, chat_config *cfg)
{
    static const char *const known[] = {"id", "owned_by", "created",
                                        "input_usd_micros_per_million_tokens",
                                        "output_usd_micros_per_million_tokens"};
    char p[YFIELD_PATH_MAX], q[YFIELD_PATH_MAX];
    const ytree_node *v;
    if (!yfield_is_seq(c, n, "llm.models", 1, CHAT_MAX_MODELS)) return;
    for (size_t i = 0; i < n->nitems; i++) {
        const ytree_node *it = n->items[i];
        yfield_pathf(p, "llm.models[%zu]", i);
        if (!yfield_is_map(c, it, p)) continue;
        yfield_keys(c, it, known, YFIELD_NELEM(known));
        chat_model *m = &cfg->models[cfg->nmodels];
        m->created = DEFAULT_CREATED;
        m->input_usd_micros_per_million = m->output_usd_micros_per_million = -1;
        yfield_pathf(q, "%s.id", p);
        if (!(v = yfield_need(c, it, "id", p)) || !(m->id = yfield_get_str(c, v, q))) continue;
        cfg->nmodels++;
        for (size_t j = 0; j + 1 < cfg->nmodels; j++) {
            if (!strcmp(cfg->models[j].id, m->id)) {
                yfield_err(c, v, q, "duplicate model id '%s'", m->id);
                break;
            }
        }
        yfield_pathf(q, "%s.owned_by", p);
        if ((v = ytree_get(it, "owned_by"))) m->owned_by = yfield_get_str(c, v, q);
        if (!m->owned_by && !(m->owned_by = strdup("wxai-mock"))) c->oom = 1;
        yfield_pathf(q, "%s.created", p);
        if ((v = ytree_get(it, "created"))) yfield_get_int(c, v, q, 0, 1LL << 40, &m->created);
        load_price(c, it, p, "input_usd_micros_per_million_tokens",
                   &m->input_usd_micros_per_million);
        load_price(c, it, p, "output_usd_micros_per_million_tokens",
                   &m->output_usd_micros_per_million);
    }
}

void chat_config_load(yfield_ctx *c, const ytree_node *n, chat_config **out)
{
    static const char *const known[] = {"api_keys", "models", "pricing", "rate_limit"};
    static const char *const pknown[] = {"input_usd_micros_per_million_tokens",
                                         "output_usd_micros_per_million_tokens",
                                         "cny_micros_per_usd"};
    int64_t in_price = DEFAULT_INPUT_PRICE, out_price = DEFAULT_OUTPUT_PRICE;
    const ytree_node *v;
    chat_config *cfg = calloc(1, sizeof *cfg);
    *out = cfg;
    if (!cfg) {
        c->oom = 1;
        return;
    }
    cfg->cny_micros_per_usd = DEFAULT_CNY_PER_USD;
    cfg->limit.requests_per_minute = cfg->limit.burst = CHAT_DEFAULT_RPM;
    if (n && yfield_is_map(c, n, "llm")) {
        yfield_keys(c, n, known, YFIELD_NELEM(known));
        if ((v = ytree_get(n, "api_keys"))) load_keys(c, v, cfg);
        if ((v = ytree_get(n, "models"))) load_models(c, v, cfg);
        if ((v = ytree_get(n, "pricing")) && yfield_is_map(c, v, "llm.pricing")) {
            yfield_keys(c, v, pknown, YFIELD_NELEM(pknown));
            load_price(c, v, "llm.pricing", pknown[0], &in_price);
            load_price(c, v, "llm.pricing", pknown[1], &out_price);
            const ytree_node *r = ytree_get(v, "cny_micros_per_usd");
            if (r)
                yfield_get_int(c, r, "llm.pricing.cny_micros_per_usd", 1, 1000000000000LL,
                               &cfg->cny_micros_per_usd);
        }
        if ((v = ytree_get(n, "rate_limit"))) load_limit(c, v, "llm.rate_limit", &cfg->limit);
    }
    /* Without a models list the fallback still answers under the usual names. */
    if (cfg->nmodels == 0 &&
        (dup_default(cfg, "gpt-4o-mini") || dup_default(cfg, "qwen-pay-fallback")))
        c->oom = 1;
    for (size_t i = 0; i < cfg->nmodels; i++) {
        chat_model *m = &cfg->models[i];
        if (m->input_usd_micros_per_million < 0) m->input_usd_micros_per_million = in_price;
        if (m->output_usd_micros_per_million < 0) m->output_usd_micros_per_million = out_price;
    }
    for (size_t i = 0; i < cfg->nkeys; i++)
        if (cfg->keys[i].limit.requests_per_minute < 0) cfg->keys[i].limit = cfg->limit;
}

void chat_config_free(chat_config *cfg)
{
    if (!cfg) return;
    for (size_t i = 0; i < cfg->nkeys; i++)
        free(cfg->keys[i].key);
    for (size_t i = 0; i < cfg->nmodels; i++) {
        free(cfg->models[i].id);
        free(cfg->models[i].owned_by);
    }
    free(cfg);
}

const chat_model *chat_model_find(const chat_config *cfg, const char *id)
{
    for (size_t i = 0; cfg && id && i < cfg->nmodels; i++)
        if (!strcmp(cfg->models[i].id, id)) return &cfg->models[i];
    return NULL;
}

int chat_cost_micros(const chat_config *cfg, const chat_model *m, int64_t prompt_tokens,
                     int64_t completion_tokens, int64_t *out)
{
    /* tokens x USD micros per million x CNY micros per USD / 10^12, exactly, then rounded
     * half up: 128-bit intermediates so no product can wrap. */
    if (prompt_tokens < 0 || completion_tokens < 0) return -1;
    __int128 usd = (__int128)prompt_tokens * m->input_usd_micros_per_million +
                   (__int128)completion_tokens * m->output_usd_micros_per_million;
    __int128 v = (usd * cfg->cny_micros_per_usd + 500000000000LL) / 1000000000000LL;
    if (v > INT64_MAX) return -1;
    *out = (int64_t)v;
    return 0;
}

int64_t chat_content_text(const cJSON *content, char *buf, size_t cap, size_t *len)
{
    int64_t tokens = 0;
    size_t n = 0;
    const cJSON *part;
    if (cJSON_IsString(content)) {
        tokens = tokens_estimate(content->valuestring, strlen(content->valuestring));
        if (buf) n = (size_t)snprintf(buf, cap, "%s", content->valuestring);
    } else if (cJSON_IsArray(content)) {
        cJSON_ArrayForEach(part, content)
        {
            const char *t = json_string(part, "text");
            const char *type = json_string(part, "type");
            if (!t || !type || strcmp(type, "text")) continue;
            tokens += tokens_estimate(t, strlen(t));
            if (buf && n < cap) n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "\n" : "", t);
        }
    }
    if (buf && n >= cap) {
        n = cap - 1; /* cut, then back off to a character boundary */
        while (n > 0 && ((unsigned char)buf[n] & 0xC0) == 0x80)
            n--;
        buf[n] = '\0';
    }
    if (len) *len = buf ? n : 0;
    return tokens;
}

int64_t chat_prompt_tokens(const cJSON *messages)
{
    int64_t total = REPLY_OVERHEAD;
    const cJSON *m;
    cJSON_ArrayForEach(m, messages)
    {
        total += MESSAGE_OVERHEAD +
                 chat_content_text(cJSON_GetObjectItemCaseSensitive(m, "content"), NULL, 0, NULL);
    }
    return total;
}

/* ---- errors ---------------------------------------------------------------------------- */

int chat_error(http_req *req, int status, const char *type, const char *code, const char *param,
               const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *root = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(err, "message", msg);
    cJSON_AddStringToObject(err, "type", type);
    if (param)
        cJSON_AddStringToObject(err, "param", param);
    else
        cJSON_AddNullToObject(err, "param");
    if (code)
        cJSON_AddStringToObject(err, "code", code);
    else
        cJSON_AddNullToObject(err, "code");
    if (err) http_send_json(req, status, root);
    cJSON_Delete(root);
    return -1; /* answered, but the request failed */
}

/* ---- authentication and limits ---------------------------------------------------------- */

static const chat_config *config_of(const http_req *req)
{
    static const chat_config empty = {.cny_micros_per_usd = DEFAULT_CNY_PER_USD,
                                      .limit = {CHAT_DEFAULT_RPM, CHAT_DEFAULT_RPM}};
    return req->sc && req->sc->llm ? req->sc->llm : &empty;
}

/* "sk-tes...cdef": enough to recognise a key in a message without repeating it. */
static void mask_key(const char *key, char *out, size_t cap)
{
    size_t n = strlen(key);
    if (n <= 8)
        snprintf(out, cap, "%.*s****", (int)(n > 2 ? 2 : n), key);
    else
        snprintf(out, cap, "%.6s****%s", key, key + n - 4);
}

/* The scenario key named by Authorization: Bearer, or NULL after answering 401. */
static const chat_key *authenticate(http_req *req, const chat_config *cfg)
{
    const char *authz = http_header(req, "Authorization");
    const char *key = authz && strncasecmp(authz, "Bearer ", 7) == 0 ? authz + 7 : NULL;
    while (key && *key == ' ')
        key++;
    if (key && *key) {
        size_t n = strlen(key);
        for (size_t i = 0; i < cfg->nkeys; i++) {
            const char *k = cfg->keys[i].key;
            if (strlen(k) == n && CRYPTO_memcmp(k, key, n) == 0) return &cfg->keys[i];
        }
    }
    /* No key to count against: report the section's limit as untouched. */
    chatlimit_state st = {.limit = cfg->limit.requests_per_minute, .remaining = cfg->limit.burst};
    chatlimit_headers(req, &st);
    if (!key || !*key)
        chat_error(req, 401, "invalid_request_error", "invalid_api_key", NULL,
                   "You didn't provide an API key. You need to provide your API key in an "
                   "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
    else {
        char masked[32];
        mask_key(key, masked, sizeof masked);
        chat_error(req, 401, "invalid_request_error", "invalid_api_key", NULL,
                   "Incorrect API key provided: %s. Use a key from the scenario's llm.api_keys.",
                   masked);
    }
    return NULL;
}

/* Authenticate, count the request against its key and queue the limit headers.
 * Returns the key, or NULL after answering 401 or 429. */
static const chat_key *admit(http_req *req, const chat_config *cfg, int consume)
{
    const chat_key *k = authenticate(req, cfg);
    chatlimit_state st;
    if (!k) return NULL;
    chatlimit_take(server_chatlimit(req->srv), req->engine, k->key, &k->limit, consume, &st);
    chatlimit_headers(req, &st);
    if (st.allowed) return k;
    http_add_header(req, "retry-after", "%lld", (long long)((st.retry_ms + 999) / 1000));
    http_add_header(req, "retry-after-ms", "%lld", (long long)st.retry_ms);
    chat_error(req, 429, "requests", "rate_limit_exceeded", NULL,
               "Rate limit reached for requests per min (RPM): Limit %lld, burst %lld. Please "
               "try again in %lldms.",
               (long long)k->limit.requests_per_minute, (long long)k->limit.burst,
               (long long)st.retry_ms);
    return NULL;
}

/* ---- the answer ------------------------------------------------------------------------------ */

typedef struct answer {
    char *content; /* owned */
    const char *finish_reason;
    int64_t prompt_tokens, completion_tokens, cost_micros;
} answer;

static char *reply_json(const char *text)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "reply", text);
    char *s = json_print(o);
    cJSON_Delete(o);
    return s;
}

static char *reply(const chatreq *r, const char *text)
{
    return r->json_mode ? reply_json(text) : strdup(text);
}

static int is_payment(const model_result *res)
{
    return res->intent != MODEL_INTENT_UNKNOWN &&
           (res->has_amount || res->npeople > 0 || res->source_order);
}

/* The assistant's content for the last user message: a scripted rule's intent or question, the
 * model's payment intent, or the fixed reply. NULL on ENOMEM. */
static char *compose(http_req *req, const chatreq *r, const scenario_rule *rule)
{
    if (rule && rule->intent) return json_print(rule->intent);
    if (rule && rule->nquestions) return reply(r, rule->questions[0].text);
    int zh = 0;
    if (r->len > 0) {
        model_result *res = malloc(sizeof *res);
        model_input in = {.text = r->text,
                          .len = r->len,
                          .payer_openid = r->user,
                          .reference_unix = clock_now_s(),
                          .reference_utc_offset_s = UTC_OFFSET_S};
        const char *bad = NULL;
        if (!res) return NULL;
        if (model_parse(req->sc->dir, &in, res, &bad) == MODEL_OK) {
            if (is_payment(res)) {
                cJSON *intent = intent_to_json(res);
                char *s = intent ? json_print(intent) : NULL;
                cJSON_Delete(intent);
                free(res);
                return s;
            }
            zh = !strcmp(res->locale, "zh");
        }
        free(res);
    }
    return reply(r, zh ? "我可以帮你处理付款：请告诉我付给谁、多少钱，例如“给Alice转50元午饭钱”。"
                       : "I can help with payments: tell me who to pay and how much, for example "
                         "\"pay Alice 50 yuan for lunch\".");
}

/* Cut content to at most max tokens (on a character boundary). Returns 1 if it was cut. */
static int truncate_tokens(char *content, int64_t max)
{
    size_t n = strlen(content);
    if (max <= 0 || tokens_estimate(content, n) <= max) return 0;
    while (n > 0) {
        do
            n--;
        while (n > 0 && ((unsigned char)content[n] & 0xC0) == 0x80);
        if (tokens_estimate(content, n) <= max) break;
    }
    content[n] = '\0';
    return 1;
}

static cJSON *usage_json(const answer *a)
{
    cJSON *u = cJSON_CreateObject();
    json_add_int(u, "prompt_tokens", a->prompt_tokens);
    json_add_int(u, "completion_tokens", a->completion_tokens);
    json_add_int(u, "total_tokens", a->prompt_tokens + a->completion_tokens);
    return u;
}

static cJSON *envelope(const char *id, int64_t created, const char *model, const char *object)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "object", object);
    json_add_int(o, "created", created);
    cJSON_AddStringToObject(o, "model", model);
    cJSON_AddStringToObject(o, "system_fingerprint", FINGERPRINT);
    return o;
}

static int send_json_answer(http_req *req, const chatreq *r, const answer *a, const char *id,
                            int64_t created)
{
    cJSON *root = envelope(id, created, r->model_id, "chat.completion");
    cJSON *choice = cJSON_CreateObject();
    json_add_int(choice, "index", 0);
    cJSON *msg = cJSON_AddObjectToObject(choice, "message");
    cJSON_AddStringToObject(msg, "role", "assistant");
    cJSON_AddStringToObject(msg, "content", a->content);
    cJSON_AddNullToObject(msg, "refusal");
    cJSON_AddNullToObject(choice, "logprobs");
    cJSON_AddStringToObject(choice, "finish_reason", a->finish_reason);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "choices"), choice);
    cJSON_AddItemToObject(root, "usage", usage_json(a));
    /* Not an OpenAI field: what the call cost, for the metrics and the harness. */
    cJSON *cost = cJSON_AddObjectToObject(root, "cost");
    json_add_int(cost, "amount_micros", a->cost_micros);
    cJSON_AddStringToObject(cost, "currency", "CNY");
    int rc = http_send_json(req, 200, root);
    cJSON_Delete(root);
    return rc;
}

/* One "data: <json>\n\n" event; chunk is consumed. */
static int send_event(http_req *req, cJSON *chunk)
{
    char *s = chunk ? json_print(chunk) : NULL;
    cJSON_Delete(chunk);
    if (!s) return -1;
    size_t n = strlen(s);
    char *ev = malloc(n + 9);
    int rc = -1;
    if (ev) {
        memcpy(ev, "data: ", 6);
        memcpy(ev + 6, s, n);
        memcpy(ev + 6 + n, "\n\n", 3);
        rc = http_stream_write(req, ev, n + 8);
    }
    free(ev);
    free(s);
    return rc;
}

static cJSON *chunk_with(const chatreq *r, const char *id, int64_t created, cJSON *delta,
                         const char *finish)
{
    cJSON *c = envelope(id, created, r->model_id, "chat.completion.chunk");
    cJSON *choice = cJSON_CreateObject();
    json_add_int(choice, "index", 0);
    cJSON_AddItemToObject(choice, "delta", delta);
    cJSON_AddNullToObject(choice, "logprobs");
    if (finish)
        cJSON_AddStringToObject(choice, "finish_reason", finish);
    else
        cJSON_AddNullToObject(choice, "finish_reason");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(c, "choices"), choice);
    if (r->include_usage) cJSON_AddNullToObject(c, "usage");
    return c;
}

/* Length of the next delta: up to DELTA_BYTES, after a space when there is one, never inside a
 * UTF-8 character. */
static size_t delta_len(const char *s, size_t left)
{
    size_t n = left <= DELTA_BYTES ? left : DELTA_BYTES;
    if (n == left) return n;
    for (size_t i = n; i > 1; i--)
        if (s[i - 1] == ' ') return i;
    while (n > 1 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static int send_stream(http_req *req, const chatreq *r, const answer *a, const char *id,
                       int64_t created)
{
    if (http_stream_begin(req, 200, "text/event-stream; charset=utf-8") != 0) return -1;
    cJSON *delta = cJSON_CreateObject();
    cJSON_AddStringToObject(delta, "role", "assistant");
    cJSON_AddStringToObject(delta, "content", "");
    cJSON_AddNullToObject(delta, "refusal");
    if (send_event(req, chunk_with(r, id, created, delta, NULL)) != 0) return -1;
    const char *s = a->content;
    size_t left = strlen(s), stop = req->truncate_body ? left / 2 : 0;
    while (left > stop) {
        size_t n = delta_len(s, left);
        char piece[DELTA_BYTES + 1];
        memcpy(piece, s, n);
        piece[n] = '\0';
        delta = cJSON_CreateObject();
        cJSON_AddStringToObject(delta, "content", piece);
        if (send_event(req, chunk_with(r, id, created, delta, NULL)) != 0) return -1;
        s += n;
        left -= n;
    }
    if (req->truncate_body) { /* injected fault: the stream breaks off mid-answer */
        mg_disable_connection_keep_alive(req->conn);
        return -1;
    }
    if (send_event(req, chunk_with(r, id, created, cJSON_CreateObject(), a->finish_reason)) != 0)
        return -1;
    if (r->include_usage) {
        cJSON *u = envelope(id, created, r->model_id, "chat.completion.chunk");
        cJSON_AddArrayToObject(u, "choices");
        cJSON_AddItemToObject(u, "usage", usage_json(a));
        if (send_event(req, u) != 0) return -1;
    }
    if (http_stream_write(req, "data: [DONE]\n\n", 14) != 0) return -1;
    return http_stream_end(req);
}

/* A scripted error from a rule: the OpenAI shape, with retry hints on 429 and 503. */
static int send_fault(http_req *req, const scenario_rule *rule)
{
    int st = rule->error_status;
    if (st == 429 || st == 503) {
        http_add_header(req, "retry-after", "1");
        http_add_header(req, "retry-after-ms", "1000");
    }
    return chat_error(req, st,
                      st == 429   ? "requests"
                      : st >= 500 ? "server_error"
                                  : "invalid_request_error",
                      rule->error_code, NULL, "%s", rule->error_message);
}

/* The scenario engine's shaping of the chat endpoint: a global rate limit, faults and outages,
 * latency (slept here). API-key callers are no merchant, so per-merchant limits and faults
 * naming a merchant do not apply. Returns 0 to go on, or -1 once answered. */
static int shape(http_req *req)
{
    engine *e = req->engine;
    engine_decision d;
    if (!e || !req->er) return 0;
    uint64_t key = engine_request_key(e, NULL, req->ri->local_uri, req->body, req->body_len);
    engine_decide(e, ENDPOINT_CHAT_COMPLETIONS, -1, key, 0, req->er, &d);
    clock_sleep_ms(engine_delay_ms(e, req->er->delay_ms));
    if (d.action == ENGINE_RESET) {
        mg_disable_connection_keep_alive(req->conn);
        req->status = ENGINE_STATUS_RESET;
        return -1;
    }
    req->truncate_body = d.truncate;
    if (d.action == ENGINE_PASS) return 0;
    if (d.retry_after_s > 0) {
        http_add_header(req, "retry-after", "%lld", (long long)d.retry_after_s);
        http_add_header(req, "retry-after-ms", "%lld", (long long)d.retry_after_s * 1000);
    }
    if (d.action == ENGINE_LIMITED)
        return chat_error(
            req, 429, "requests", "rate_limit_exceeded", NULL,
            "Rate limit reached for requests (scenario rate_limits.chat_completions). "
            "Please try again in %llds.",
            (long long)d.retry_after_s);
    return chat_error(req, d.status,
                      d.status == 429   ? "requests"
                      : d.status >= 500 ? "server_error"
                                        : "invalid_request_error",
                      d.code, NULL, "%s", d.message ? d.message : "injected fault");
}

int chat_completions(http_req *req, const cJSON *unused)
{
    const chat_config *cfg = config_of(req);
    chatreq *r = NULL;
    cJSON *json = NULL;
    answer a = {.finish_reason = "stop"};
    char id[48];
    int rc = -1;
    (void)unused;

    if (!admit(req, cfg, 1) || shape(req) != 0) return -1;
    if (!(r = calloc(1, sizeof *r))) {
        chat_error(req, 500, "server_error", NULL, NULL, "out of memory");
        goto out;
    }
    if (chatreq_parse(req, cfg, &json, r) != 0) goto out;

    const scenario_rule *rule =
        r->has_user ? scenario_rule_match(req->sc, "chat_completions", NULL, r->text, r->len, NULL)
                    : NULL;
    if (rule && rule->error_status) {
        send_fault(req, rule);
        goto out;
    }
    if (!(a.content = compose(req, r, rule))) {
        chat_error(req, 500, "server_error", NULL, NULL, "out of memory");
        goto out;
    }
    if (truncate_tokens(a.content, r->max_tokens)) a.finish_reason = "length";
    a.prompt_tokens = chat_prompt_tokens(r->messages);
    a.completion_tokens = tokens_estimate(a.content, strlen(a.content));
    if (chat_cost_micros(cfg, r->model, a.prompt_tokens, a.completion_tokens, &a.cost_micros))
        a.cost_micros = 0;
    http_add_header(req, "x-wxai-prompt-tokens", "%lld", (long long)a.prompt_tokens);
    http_add_header(req, "x-wxai-completion-tokens", "%lld", (long long)a.completion_tokens);
    http_add_header(req, "x-wxai-cost-micros", "%lld", (long long)a.cost_micros);
    http_add_header(req, "x-wxai-cost-currency", "CNY");
    ident_token("chatcmpl-", id, sizeof id);
    int64_t created = clock_now_s();
    rc = r->stream ? send_stream(req, r, &a, id, created)
                   : send_json_answer(req, r, &a, id, created);
out:
    free(a.content);
    cJSON_Delete(json);
    free(r);
    return rc;
}

static cJSON *model_json(const chat_model *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", m->id);
    cJSON_AddStringToObject(o, "object", "model");
    json_add_int(o, "created", m->created);
    cJSON_AddStringToObject(o, "owned_by", m->owned_by);
    return o;
}

int chat_models(http_req *req, const cJSON *unused)
{
    const chat_config *cfg = config_of(req);
    (void)unused;
    if (!admit(req, cfg, 0)) return -1; /* listing models does not use up requests */
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "object", "list");
    cJSON *data = cJSON_AddArrayToObject(root, "data");
    for (size_t i = 0; i < cfg->nmodels; i++)
        cJSON_AddItemToArray(data, model_json(&cfg->models[i]));
    int rc = http_send_json(req, 200, root);
    cJSON_Delete(root);
    return rc;
}

int chat_model_get(http_req *req, const cJSON *unused)
{
    const chat_config *cfg = config_of(req);
    const char *id = req->ri->local_uri + strlen("/v1/models/");
    (void)unused;
    if (!admit(req, cfg, 0)) return -1;
    const chat_model *m = chat_model_find(cfg, id);
    if (!m)
        return chat_error(req, 404, "invalid_request_error", "model_not_found", "model",
                          "The model '%.128s' does not exist", id);
    cJSON *o = model_json(m);
    int rc = http_send_json(req, 200, o);
    cJSON_Delete(o);
    return rc;
}
