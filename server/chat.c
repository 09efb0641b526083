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
#define MAX_MESSAGES 2048
#define MESSAGE_OVERHEAD 3 /* tokens billed per message for its role and framing */
#define REPLY_OVERHEAD 3   /* tokens billed for priming the reply */
#define DELTA_BYTES 16     /* content bytes per streamed delta at most */
#define LIMIT_UNIT 60000   /* one request in bucket units; a bucket refills rpm units per ms */
#define LIMITER_SLOTS 256
#define UTC_OFFSET_S (8 * 3600) /* "last night" is judged in the API's home zone */
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

/* Text of a message's content: the string, or its text parts joined by newlines. Writes at
 * most cap - 1 bytes into buf (NUL-terminated) when buf is not NULL; returns the tokens. */
static int64_t content_text(const cJSON *content, char *buf, size_t cap, size_t *len)
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
                 content_text(cJSON_GetObjectItemCaseSensitive(m, "content"), NULL, 0, NULL);
    }
    return total;
}

/* ---- request limiter ------------------------------------------------------------------ */

typedef struct bucket {
    uint64_t id;   /* hash of the API key; 0 = free slot */
    int64_t level; /* LIMIT_UNIT per request available */
    int64_t at_ms; /* when level was computed */
} bucket;

struct chat_limiter {
    pthread_mutex_t mu; /* one lock: a bucket update is a few integer operations */
    size_t nslots;
    bucket *slots;
};

typedef struct limit_state {
    int allowed;
    int64_t limit;     /* requests per minute */
    int64_t remaining; /* requests allowed right now */
    int64_t reset_ms;  /* real ms until the bucket is full again */
    int64_t retry_ms;  /* real ms until the next request is allowed (when refused) */
} limit_state;

int chat_limiter_new(size_t slots, chat_limiter **out)
{
    chat_limiter *l = calloc(1, sizeof *l);
    *out = NULL;
    if (!l || !(l->slots = calloc(slots ? slots : LIMITER_SLOTS, sizeof *l->slots))) {
        free(l);
        return -1;
    }
    l->nslots = slots ? slots : LIMITER_SLOTS;
    pthread_mutex_init(&l->mu, NULL);
    *out = l;
    return 0;
}

void chat_limiter_clear(chat_limiter *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    memset(l->slots, 0, l->nslots * sizeof *l->slots);
    pthread_mutex_unlock(&l->mu);
}

void chat_limiter_free(chat_limiter *l)
{
    if (!l) return;
    pthread_mutex_destroy(&l->mu);
    free(l->slots);
    free(l);
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return a <= 0 ? 0 : (a + b - 1) / b;
}

/* Real ms a client waits for scenario_ms of refill: it counts on its own clock, as with
 * the engine's Retry-After. */
static int64_t real_wait_ms(const engine *e, int64_t scenario_ms)
{
    return e ? (int64_t)ceil(engine_real_ms(e, (double)scenario_ms)) : scenario_ms;
}

/* Refill the key's bucket to now and take one request from it when consume is set.
 * Keys come only from the scenario (unknown keys are refused before this), so the table
 * holds at most the scenario's keys; a full table (after many reloads) recycles a slot.
 * The bucket refills on the scenario wall clock of e, as every other limit and TTL does,
 * so time_scale speeds it up or slows it down with the rest of the scenario. */
static void limiter_take(chat_limiter *l, const engine *e, const char *key, const chat_limit *lim,
                         int consume, limit_state *st)
{
    uint64_t id = rng_hash(0x6c6c6d, key, strlen(key)) | 1;
    int64_t now = engine_wall_ms(e), rpm = lim->requests_per_minute;
    int64_t cap = lim->burst * LIMIT_UNIT;
    memset(st, 0, sizeof *st);
    st->limit = rpm;
    if (!l) {
        st->allowed = 1;
        st->remaining = lim->burst;
        return;
    }
    pthread_mutex_lock(&l->mu);
    size_t i = (size_t)(id % l->nslots), probes = 0;
    while (l->slots[i].id && l->slots[i].id != id && ++probes < l->nslots)
        i = (i + 1) % l->nslots;
    bucket *b = &l->slots[i];
    if (b->id != id) {
        b->id = id;
        b->level = cap;
        b->at_ms = now;
    }
    int64_t elapsed = now - b->at_ms;
    if (elapsed > 0) {
        b->level = elapsed >= ceil_div(cap - b->level, rpm) ? cap : b->level + elapsed * rpm;
        b->at_ms = now;
    }
    if (b->level > cap) b->level = cap; /* the scenario shrank the bucket */
    if (!consume || b->level >= LIMIT_UNIT) {
        st->allowed = 1;
        if (consume) b->level -= LIMIT_UNIT;
    } else {
        st->retry_ms = real_wait_ms(e, ceil_div(LIMIT_UNIT - b->level, rpm));
    }
    st->remaining = b->level / LIMIT_UNIT;
    st->reset_ms = real_wait_ms(e, ceil_div(cap - b->level, rpm));
    pthread_mutex_unlock(&l->mu);
}

/* "20ms", "1s", "1.5s", "6m0s", "1h0m0s": the way OpenAI writes reset times. */
static void format_reset(int64_t ms, char *out, size_t cap)
{
    char sec[32];
    int64_t h = ms / 3600000, m = ms % 3600000 / 60000, s = ms % 60000;
    if (ms < 1000) {
        snprintf(out, cap, "%lldms", (long long)ms);
        return;
    }
    if (s % 1000 == 0) {
        snprintf(sec, sizeof sec, "%llds", (long long)(s / 1000));
    } else {
        int n =
            snprintf(sec, sizeof sec, "%lld.%03lld", (long long)(s / 1000), (long long)(s % 1000));
        while (n > 0 && sec[n - 1] == '0')
            sec[--n] = '\0';
        snprintf(sec + n, sizeof sec - (size_t)n, "s");
    }
    if (h)
        snprintf(out, cap, "%lldh%lldm%s", (long long)h, (long long)m, sec);
    else if (m)
        snprintf(out, cap, "%lldm%s", (long long)m, sec);
    else
        snprintf(out, cap, "%s", sec);
}

static void add_limit_headers(http_req *req, const limit_state *st)
{
    char reset[64];
    format_reset(st->reset_ms, reset, sizeof reset);
    http_add_header(req, "x-ratelimit-limit-requests", "%lld", (long long)st->limit);
    http_add_header(req, "x-ratelimit-remaining-requests", "%lld", (long long)st->remaining);
    http_add_header(req, "x-ratelimit-reset-requests", "%s", reset);
}

/* ---- errors ---------------------------------------------------------------------------- */

/* {"error": {message, type, param, code}} as OpenAI sends it; param and code may be NULL. */
static int oai_error(http_req *req, int status, const char *type, const char *code,
                     const char *param, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int oai_error(http_req *req, int status, const char *type, const char *code,
                     const char *param, const char *fmt, ...)
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

static int bad_request(http_req *req, const char *code, const char *param, const char *msg)
{
    return oai_error(req, 400, "invalid_request_error", code, param, "%s", msg);
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
    limit_state st = {.limit = cfg->limit.requests_per_minute, .remaining = cfg->limit.burst};
    add_limit_headers(req, &st);
    if (!key || !*key)
        oai_error(req, 401, "invalid_request_error", "invalid_api_key", NULL,
                  "You didn't provide an API key. You need to provide your API key in an "
                  "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
    else {
        char masked[32];
        mask_key(key, masked, sizeof masked);
        oai_error(req, 401, "invalid_request_error", "invalid_api_key", NULL,
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
    limit_state st;
    if (!k) return NULL;
    limiter_take(server_chat_limiter(req->srv), req->engine, k->key, &k->limit, consume, &st);
    add_limit_headers(req, &st);
    if (st.allowed) return k;
    http_add_header(req, "retry-after", "%lld", (long long)ceil_div(st.retry_ms, 1000));
    http_add_header(req, "retry-after-ms", "%lld", (long long)st.retry_ms);
    oai_error(req, 429, "requests", "rate_limit_exceeded", NULL,
              "Rate limit reached for requests per min (RPM): Limit %lld, burst %lld. Please "
              "try again in %lldms.",
              (long long)k->limit.requests_per_minute, (long long)k->limit.burst,
              (long long)st.retry_ms);
    return NULL;
}

/* ---- the request --------------------------------------------------------------------------- */

typedef struct chat_request {
    const char *model_id;
    const chat_model *model;
    const cJSON *messages;
    int stream, include_usage, json_mode;
    int64_t max_tokens; /* 0: no cap */
    const char *user;
    char text[MODEL_MAX_TEXT + 1]; /* the last user message's text */
    size_t len;
    int has_user;
} chat_request;

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "null";
}

static int invalid_type(http_req *req, const char *param, const char *want, const cJSON *got)
{
    char msg[256];
    snprintf(msg, sizeof msg, "Invalid type for '%s': expected %s, but got %s instead.", param,
             want, type_name(got));
    return bad_request(req, "invalid_type", param, msg);
}

static int missing(http_req *req, const char *param)
{
    char msg[160];
    snprintf(msg, sizeof msg, "Missing required parameter: '%s'.", param);
    return bad_request(req, "missing_required_parameter", param, msg);
}

/* 0 with *at the place of v among the n allowed values, or -1 after a 400 that lists them
 * as OpenAI does ("'a', 'b', and 'c'"). */
static int one_of(http_req *req, const char *param, const char *v, const char *const *allowed,
                  size_t n, size_t *at)
{
    for (*at = 0; *at < n; (*at)++)
        if (!strcmp(allowed[*at], v)) return 0;
    char msg[256];
    size_t len =
        (size_t)snprintf(msg, sizeof msg, "Invalid value: '%.64s'. Supported values are: ", v);
    for (size_t k = 0; k < n && len < sizeof msg; k++)
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s'%s'",
                                k == 0      ? ""
                                : k + 1 < n ? ", "
                                            : ", and ",
                                allowed[k]);
    if (len < sizeof msg) snprintf(msg + len, sizeof msg - len, ".");
    return bad_request(req, "invalid_value", param, msg);
}

static int has_json(const char *s)
{
    for (; s && *s; s++)
        if (strncasecmp(s, "json", 4) == 0) return 1;
    return 0;
}

static int contains_json_word(const cJSON *messages)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, messages)
    {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content"), *part;
        if (cJSON_IsString(content) && has_json(content->valuestring)) return 1;
        if (!cJSON_IsArray(content)) continue;
        cJSON_ArrayForEach(part, content)
        {
            const char *t = json_string(part, "text");
            if (has_json(t)) return 1;
        }
    }
    return 0;
}

static int check_message(http_req *req, const cJSON *m, int i)
{
    static const char *const roles[] = {"system",    "developer", "user",
                                        "assistant", "tool",      "function"};
    static const char *const parts[] = {"text", "image_url", "input_audio", "file", "refusal"};
    char p[96];
    snprintf(p, sizeof p, "messages[%d]", i);
    if (!cJSON_IsObject(m)) return invalid_type(req, p, "an object", m);
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
    snprintf(p, sizeof p, "messages[%d].role", i);
    if (!role) return missing(req, p);
    if (!cJSON_IsString(role)) return invalid_type(req, p, "a string", role);
    size_t r;
    if (one_of(req, p, role->valuestring, roles, sizeof roles / sizeof roles[0], &r)) return -1;
    snprintf(p, sizeof p, "messages[%d].content", i);
    int may_be_empty = !strcmp(role->valuestring, "assistant");
    if (!content || cJSON_IsNull(content)) return may_be_empty ? 0 : missing(req, p);
    if (cJSON_IsString(content)) return 0;
    if (!cJSON_IsArray(content)) return invalid_type(req, p, "a string or an array", content);
    int j = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, content)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
        snprintf(p, sizeof p, "messages[%d].content[%d]", i, j);
        if (!cJSON_IsObject(part)) return invalid_type(req, p, "an object", part);
        snprintf(p, sizeof p, "messages[%d].content[%d].type", i, j);
        if (!cJSON_IsString(type))
            return type ? invalid_type(req, p, "a string", type) : missing(req, p);
        size_t k;
        if (one_of(req, p, type->valuestring, parts, sizeof parts / sizeof parts[0], &k)) return -1;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
        snprintf(p, sizeof p, "messages[%d].content[%d].text", i, j);
        if (k == 0 && !cJSON_IsString(t))
            return t ? invalid_type(req, p, "a string", t) : missing(req, p);
        j++;
    }
    return 0;
}

static int check_number(http_req *req, const cJSON *body, const char *name, double lo, double hi)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    char msg[160];
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v)) return invalid_type(req, name, "a number", v);
    if (v->valuedouble < lo || v->valuedouble > hi) {
        snprintf(msg, sizeof msg,
                 "Invalid '%s': expected a value from %g to %g, but got %g instead.", name, lo, hi,
                 v->valuedouble);
        return bad_request(req, "invalid_value", name, msg);
    }
    return 0;
}

/* 0 with *out (0 when absent), or -1 after answering 400. */
static int get_count(http_req *req, const cJSON *body, const char *name, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    char msg[160];
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble)
        return invalid_type(req, name, "an integer", v);
    if (v->valuedouble < 1 || v->valuedouble > 1e9) {
        snprintf(msg, sizeof msg,
                 "Invalid '%s': integer below minimum value. Expected a value >= 1, "
                 "but got %.0f instead.",
                 name, v->valuedouble);
        return bad_request(req, "integer_below_min_value", name, msg);
    }
    *out = (int64_t)v->valuedouble;
    return 0;
}

/* Parse and validate the body into *r; answers 400/404/415 and returns -1 otherwise. */
static int request_parse(http_req *req, const chat_config *cfg, cJSON **json, chat_request *r)
{
    size_t off = 0;
    char msg[256];
    if (!json_is_media_type(http_header(req, "Content-Type")))
        return oai_error(req, 415, "invalid_request_error", NULL, NULL,
                         "Unsupported content type: send Content-Type: application/json.");
    int jr = json_parse(req->body ? req->body : "", req->body_len, JSON_MAX_DEPTH, json, &off);
    if (jr != JSON_OK) {
        snprintf(msg, sizeof msg,
                 jr == JSON_EDEPTH ? "We could not parse the JSON body of your request: nested "
                                     "deeper than 32 levels (at byte %zu)."
                                   : "We could not parse the JSON body of your request (error at "
                                     "byte %zu). The OpenAI API expects a JSON payload.",
                 off);
        return bad_request(req, NULL, NULL, msg);
    }
    const cJSON *body = *json;
    if (!cJSON_IsObject(body)) return invalid_type(req, "body", "an object", body);

    const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");
    if (!model) return bad_request(req, NULL, "model", "you must provide a model parameter");
    if (!cJSON_IsString(model)) return invalid_type(req, "model", "a string", model);
    r->model_id = model->valuestring;

    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(body, "messages");
    if (!messages) return missing(req, "messages");
    if (!cJSON_IsArray(messages)) return invalid_type(req, "messages", "an array", messages);
    int nmsg = cJSON_GetArraySize(messages);
    if (nmsg == 0)
        return bad_request(req, "empty_array", "messages",
                           "Invalid 'messages': empty array. Expected an array with minimum length "
                           "1, but got an empty array instead.");
    if (nmsg > MAX_MESSAGES)
        return bad_request(req, "array_above_max_length", "messages",
                           "Invalid 'messages': array too long. Expected an array with maximum "
                           "length 2048.");
    int i = 0;
    const cJSON *m, *last_user = NULL;
    cJSON_ArrayForEach(m, messages)
    {
        if (check_message(req, m, i++) != 0) return -1;
        const char *role = json_string(m, "role");
        if (!strcmp(role, "user")) last_user = m;
    }
    r->messages = messages;

    const cJSON *stream = cJSON_GetObjectItemCaseSensitive(body, "stream");
    if (stream && !cJSON_IsNull(stream) && !cJSON_IsBool(stream))
        return invalid_type(req, "stream", "a boolean", stream);
    r->stream = cJSON_IsTrue(stream);
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(body, "stream_options");
    if (so && !cJSON_IsNull(so)) {
        if (!r->stream)
            return bad_request(req, "invalid_value", "stream_options",
                               "The 'stream_options' parameter is only allowed when 'stream' is "
                               "enabled.");
        if (!cJSON_IsObject(so)) return invalid_type(req, "stream_options", "an object", so);
        const cJSON *iu = cJSON_GetObjectItemCaseSensitive(so, "include_usage");
        if (iu && !cJSON_IsNull(iu) && !cJSON_IsBool(iu))
            return invalid_type(req, "stream_options.include_usage", "a boolean", iu);
        r->include_usage = cJSON_IsTrue(iu);
    }
    if (check_number(req, body, "temperature", 0, 2) || check_number(req, body, "top_p", 0, 1) ||
        check_number(req, body, "presence_penalty", -2, 2) ||
        check_number(req, body, "frequency_penalty", -2, 2))
        return -1;
    int64_t n = 0, mt = 0, mct = 0;
    if (get_count(req, body, "n", &n) || get_count(req, body, "max_tokens", &mt) ||
        get_count(req, body, "max_completion_tokens", &mct))
        return -1;
    if (n > 1) return bad_request(req, "invalid_value", "n", "wxai-mock answers with n = 1 only.");
    r->max_tokens = mct ? mct : mt;

    const cJSON *rf = cJSON_GetObjectItemCaseSensitive(body, "response_format");
    if (rf && !cJSON_IsNull(rf)) {
        if (!cJSON_IsObject(rf)) return invalid_type(req, "response_format", "an object", rf);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(rf, "type");
        if (!t) return missing(req, "response_format.type");
        if (!cJSON_IsString(t)) return invalid_type(req, "response_format.type", "a string", t);
        static const char *const formats[] = {"text", "json_object", "json_schema"};
        size_t f;
        if (one_of(req, "response_format.type", t->valuestring, formats, 3, &f)) return -1;
        if (f > 0) r->json_mode = 1; /* json_object or json_schema */
        if (!strcmp(t->valuestring, "json_object") && !contains_json_word(messages))
            return bad_request(req, NULL, "messages",
                               "'messages' must contain the word 'json' in some form, to use "
                               "'response_format' of type 'json_object'.");
    }
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(body, "user");
    if (user && !cJSON_IsNull(user) && !cJSON_IsString(user))
        return invalid_type(req, "user", "a string", user);
    r->user = cJSON_IsString(user) && strlen(user->valuestring) < 64 ? user->valuestring : NULL;

    if (!(r->model = chat_model_find(cfg, r->model_id)))
        return oai_error(req, 404, "invalid_request_error", "model_not_found", NULL,
                         "The model `%.128s` does not exist or you do not have access to it.",
                         r->model_id);
    if (last_user) {
        r->has_user = 1;
        content_text(cJSON_GetObjectItemCaseSensitive(last_user, "content"), r->text,
                     sizeof r->text, &r->len);
    }
    return 0;
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

static char *reply(const chat_request *r, const char *text)
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
static char *compose(http_req *req, const chat_request *r, const scenario_rule *rule)
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

static int send_json_answer(http_req *req, const chat_request *r, const answer *a, const char *id,
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

static cJSON *chunk_with(const chat_request *r, const char *id, int64_t created, cJSON *delta,
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

static int send_stream(http_req *req, const chat_request *r, const answer *a, const char *id,
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
    return oai_error(req, st,
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
        return oai_error(req, 429, "requests", "rate_limit_exceeded", NULL,
                         "Rate limit reached for requests (scenario rate_limits.chat_completions). "
                         "Please try again in %llds.",
                         (long long)d.retry_after_s);
    return oai_error(req, d.status,
                     d.status == 429   ? "requests"
                     : d.status >= 500 ? "server_error"
                                       : "invalid_request_error",
                     d.code, NULL, "%s", d.message ? d.message : "injected fault");
}

int chat_completions(http_req *req, const cJSON *unused)
{
    const chat_config *cfg = config_of(req);
    chat_request *r = NULL;
    cJSON *json = NULL;
    answer a = {.finish_reason = "stop"};
    char id[48];
    int rc = -1;
    (void)unused;

    if (!admit(req, cfg, 1) || shape(req) != 0) return -1;
    if (!(r = calloc(1, sizeof *r))) {
        oai_error(req, 500, "server_error", NULL, NULL, "out of memory");
        goto out;
    }
    if (request_parse(req, cfg, &json, r) != 0) goto out;

    const scenario_rule *rule =
        r->has_user ? scenario_rule_match(req->sc, "chat_completions", NULL, r->text, r->len, NULL)
                    : NULL;
    if (rule && rule->error_status) {
        send_fault(req, rule);
        goto out;
    }
    if (!(a.content = compose(req, r, rule))) {
        oai_error(req, 500, "server_error", NULL, NULL, "out of memory");
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
        return oai_error(req, 404, "invalid_request_error", "model_not_found", "model",
                         "The model '%.128s' does not exist", id);
    cJSON *o = model_json(m);
    int rc = http_send_json(req, 200, o);
    cJSON_Delete(o);
    return rc;
}
