#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "rng.h"

#define CACHE_MAX 65536

typedef struct cache_entry {
    uint64_t hash;
    uint64_t count;
    int64_t cost_micros;
    char intent[24];
    int used;
} cache_entry;

struct policy_cache {
    size_t n;
    cache_entry *e;
};

void policy_defaults(policy_opts *o)
{
    memset(o, 0, sizeof *o);
    o->kind = POLICY_DIRECT;
    o->threshold = -1;
    o->cache_size = 64;
    snprintf(o->fallback_model, sizeof o->fallback_model, "gpt-4o-mini");
    o->fallback_per_1k_micros = 1000;
    o->retry_after_cap_ms = 5000;
    o->max_retries = 3;
    o->backoff_ms = 100;
    o->max_rounds = 4;
}

int policy_parse(const char *name, policy_opts *o)
{
    if (strcmp(name, "direct") == 0)
        o->kind = POLICY_DIRECT;
    else if (strcmp(name, "hybrid") == 0)
        o->kind = POLICY_HYBRID;
    else
        return -1;
    return 0;
}

const char *policy_name(int kind)
{
    return kind == POLICY_HYBRID ? "hybrid" : "direct";
}

char *policy_body(const policy_opts *o, const traffic_record *rec, size_t *len)
{
    *len = 0;
    if (!rec->body) return NULL;
    if (o->threshold >= 0 && strcmp(rec->endpoint, "order_routing") == 0) {
        cJSON *b = cJSON_ParseWithLength(rec->body, rec->body_len);
        if (cJSON_IsObject(b)) {
            cJSON_DeleteItemFromObjectCaseSensitive(b, "confidence_threshold");
            cJSON_AddNumberToObject(b, "confidence_threshold", json_round(o->threshold, 4));
            char *s = json_print(b);
            cJSON_Delete(b);
            if (s) *len = strlen(s);
            return s;
        }
        cJSON_Delete(b);
    }
    char *s = malloc(rec->body_len + 1);
    if (!s) return NULL;
    memcpy(s, rec->body, rec->body_len + 1);
    *len = rec->body_len;
    return s;
}

const char *policy_text(const traffic_record *rec, cJSON **holder)
{
    *holder = rec->body ? cJSON_ParseWithLength(rec->body, rec->body_len) : NULL;
    return json_string(*holder, "text");
}

int policy_unsupported_language(const traffic_record *rec)
{
    if (strcmp(rec->endpoint, "order_routing") != 0 || !rec->body) return 0;
    cJSON *b = cJSON_ParseWithLength(rec->body, rec->body_len);
    const char *loc = json_string(b, "locale");
    /* The order-routing model speaks Chinese and English; the client knows that and sends
     * other languages straight to the general-purpose fallback. */
    int unsupported =
        loc && loc[0] && strncasecmp(loc, "en", 2) != 0 && strncasecmp(loc, "zh", 2) != 0;
    cJSON_Delete(b);
    return unsupported;
}

char *policy_fallback_body(const policy_opts *o, const traffic_record *rec)
{
    cJSON *holder = NULL;
    const char *text = policy_text(rec, &holder);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "model", o->fallback_model);
    cJSON *msgs = cJSON_AddArrayToObject(b, "messages");
    cJSON *sys = cJSON_CreateObject();
    cJSON_AddStringToObject(sys, "role", "system");
    cJSON_AddStringToObject(sys, "content",
                            "Extract the payment intent of the user's message as JSON.");
    cJSON_AddItemToArray(msgs, sys);
    cJSON *user = cJSON_CreateObject();
    cJSON_AddStringToObject(user, "role", "user");
    cJSON_AddStringToObject(user, "content", text ? text : "");
    cJSON_AddItemToArray(msgs, user);
    char *s = json_print(b);
    cJSON_Delete(b);
    cJSON_Delete(holder);
    return s;
}

/* The value the record gives for question qid, as text, into buf; NULL when none. */
static const char *answer_for(const traffic_record *rec, const char *qid, char *buf, size_t cap)
{
    const cJSON *a = json_obj(rec->answers, qid);
    if (cJSON_IsString(a)) return a->valuestring;
    if (cJSON_IsNumber(a)) {
        snprintf(buf, cap, "%.15g", a->valuedouble);
        return buf;
    }
    return NULL;
}

/* {"answers": [...]} for every open question, or NULL when the record lacks one. */
static char *answers_body(const traffic_record *rec, const cJSON *questions)
{
    cJSON *b = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(b, "answers");
    const cJSON *q;
    char num[32];
    cJSON_ArrayForEach(q, questions)
    {
        const char *qid = json_string(q, "id");
        const char *val = qid ? answer_for(rec, qid, num, sizeof num) : NULL;
        if (!val) {
            cJSON_Delete(b);
            return NULL;
        }
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "question_id", qid);
        const char *opt_id = NULL;
        const cJSON *op;
        cJSON_ArrayForEach(op, json_obj(q, "options"))
        {
            const char *id = json_string(op, "id"), *label = json_string(op, "label");
            if ((id && strcasecmp(id, val) == 0) || (label && strcasecmp(label, val) == 0))
                opt_id = id;
        }
        if (opt_id)
            cJSON_AddStringToObject(a, "option_id", opt_id);
        else
            cJSON_AddStringToObject(a, "text", val);
        cJSON_AddItemToArray(arr, a);
    }
    char *s = json_print(b);
    cJSON_Delete(b);
    return s;
}

static int parse_retry_after(const char *s, int64_t *ms)
{
    size_t n = strlen(s);
    if (n == 0 || n > 9 || strspn(s, "0123456789") != n) return -1;
    *ms = strtoll(s, NULL, 10) * 1000;
    return 0;
}

void policy_next(const policy_opts *o, const traffic_record *rec, const char *endpoint,
                 const exchange *ex, int attempt, int rounds, policy_action *act)
{
    memset(act, 0, sizeof *act);
    act->step = POLICY_DONE;
    int order = strcmp(endpoint, "order_routing") == 0 ||
                strcmp(endpoint, "order_routing_clarification") == 0;
    if (ex->status == 0) return;
    const char *clr = json_string(ex->json, "clarification_id");
    if (order && ex->status == 202) {
        char want[TRAFFIC_PATH_MAX];
        snprintf(want, sizeof want, "/v3/ai/order-routing/clarifications/%s", clr ? clr : "");
        if (!clr)
            snprintf(act->problem, sizeof act->problem, "202 without a clarification_id");
        else if (strcmp(ex->location, want) != 0)
            snprintf(act->problem, sizeof act->problem, "Location '%.70s', expected '%.90s'",
                     ex->location[0] ? ex->location : "(none)", want);
    }
    const char *code = json_string(ex->json, "code");
    if (code && strcmp(code, "TOKEN_INVALID") == 0 && ex->status == 401 && attempt == 0 &&
        strncmp(ex->path, "/v3/ai/", 7) == 0) {
        act->step = POLICY_RENEW;
        return;
    }
    if (o->kind != POLICY_HYBRID) return;

    int64_t ra;
    if ((ex->status == 429 || ex->status == 503) && parse_retry_after(ex->retry_after, &ra) == 0) {
        if (ra <= o->retry_after_cap_ms && attempt < o->max_retries) {
            act->step = POLICY_RETRY;
            act->delay_ms = ra > 0 ? ra : 10;
        }
        return;
    }
    if (ex->status >= 500 && attempt < o->max_retries) {
        act->step = POLICY_RETRY;
        /* Exponential backoff with a jitter keyed by the record, so reruns agree. */
        int64_t base = o->backoff_ms << attempt;
        uint64_t h = rng_hash((uint64_t)attempt, rec->id, strlen(rec->id));
        act->delay_ms = base + (int64_t)(h % (uint64_t)(base / 2 + 1));
        return;
    }
    if (!order) return;
    if (ex->status == 202 && clr) {
        if (rounds >= o->max_rounds) {
            snprintf(act->problem, sizeof act->problem, "still asking after %d answers", rounds);
            return;
        }
        char *body = answers_body(rec, json_obj(ex->json, "questions"));
        if (!body) return; /* the recording does not answer: the user walked away */
        act->step = POLICY_ANSWER;
        act->body = body;
        snprintf(act->path, sizeof act->path, "/v3/ai/order-routing/clarifications/%s", clr);
        return;
    }
    if (strcmp(endpoint, "order_routing_clarification") == 0 && rounds > 0 &&
        (ex->status == 400 || ex->status == 404 || ex->status == 410)) {
        snprintf(act->problem, sizeof act->problem, "answer %d got %ld %s", rounds, ex->status,
                 code ? code : "");
        return;
    }
    const char *st = json_string(ex->json, "status");
    const cJSON *detail = json_obj(ex->json, "detail");
    int bad_lang = ex->status == 400 && json_string(detail, "field") &&
                   strcmp(json_string(detail, "field"), "/locale") == 0;
    if ((ex->status == 200 && st && strcmp(st, "fallback") == 0) || bad_lang) {
        act->step = POLICY_FALLBACK;
        act->body = policy_fallback_body(o, rec);
        snprintf(act->path, sizeof act->path, "/v1/chat/completions");
    }
}

int policy_cache_new(size_t n, policy_cache **out)
{
    *out = NULL;
    if (n > CACHE_MAX) return -1;
    policy_cache *c = calloc(1, sizeof *c);
    if (!c) return -1;
    c->n = n;
    if (n && !(c->e = calloc(n, sizeof *c->e))) {
        free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void policy_cache_free(policy_cache *c)
{
    if (!c) return;
    free(c->e);
    free(c);
}

static uint64_t phrase_hash(const char *text)
{
    /* Case and surrounding blanks do not make a phrase new. */
    char buf[512];
    size_t n = 0;
    while (*text == ' ')
        text++;
    for (; *text && n < sizeof buf; text++)
        buf[n++] = (*text >= 'A' && *text <= 'Z') ? (char)(*text + 32) : *text;
    while (n && buf[n - 1] == ' ')
        n--;
    return rng_hash(0x6d6973756e64ULL, buf, n);
}

int policy_cache_lookup(policy_cache *c, const char *text, int64_t *saved, const char **intent)
{
    if (!c || !c->n || !text) return 0;
    uint64_t h = phrase_hash(text);
    for (size_t i = 0; i < c->n; i++)
        if (c->e[i].used && c->e[i].hash == h && c->e[i].intent[0]) {
            c->e[i].count++;
            *saved = c->e[i].cost_micros;
            *intent = c->e[i].intent;
            return 1;
        }
    return 0;
}

void policy_cache_note(policy_cache *c, const char *text, int64_t cost, const char *intent)
{
    if (!c || !c->n || !text) return;
    uint64_t h = phrase_hash(text);
    cache_entry *min = NULL;
    for (size_t i = 0; i < c->n; i++) {
        cache_entry *e = &c->e[i];
        if (e->used && e->hash == h) {
            e->count++;
            return;
        }
        if (!min || !e->used || (min->used && e->count < min->count)) min = e;
    }
    /* Space-saving: a new phrase takes the least-counted slot and inherits its count,
     * so the table converges on the phrases that come back most often. */
    uint64_t inherited = min->used ? min->count : 0;
    memset(min, 0, sizeof *min);
    min->used = 1;
    min->hash = h;
    min->count = inherited + 1;
    min->cost_micros = cost;
    snprintf(min->intent, sizeof min->intent, "%s", intent ? intent : "");
}
