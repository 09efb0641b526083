/* fraud: the fraud-scoring model and its endpoints (see fraud.h, docs/fraud.md). */
#include "fraud.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "clock.h"
#include "engine.h"
#include "ident.h"
#include "json.h"
#include "money.h"
#include "server.h"
#include "utf8.h"

#define MODEL_NAME "wxpay-risk"
#define MODEL_VERSION "2026.09"
#define BEIJING_OFFSET_S (8 * 3600)
#define OPENID_MAX 63
#define CHAT_TEXT_MAX_CHARS 4000
#define CADENCE_MAX_MS 60000
#define CADENCE_MIN_SAMPLES 3  /* fewer intervals say nothing about rhythm */
#define CADENCE_FAST_MS 50     /* mean interval below this: faster than a person types */
#define CADENCE_UNIFORM_PCT 10 /* stddev below 10% of the mean: a script, not a hand */
#define AMOUNT_SPIKE_TIMES 5
#define NEW_PAYEE_DAYS 30
#define NIGHT_FROM_H 1 /* 01:00 <= local time < 05:00, +08:00 */
#define NIGHT_TO_H 5
#define MATCH_TEXT_MAX (16u << 10)
#define BATCH_BASE_DELAY_MS 1000 /* a batch completes 1 s + 1 ms per item after submission */

static const struct {
    const char *code;
    int weight;
    const char *phrase;
} factors[FRAUD_NFACTORS] = {
    [FRAUD_NEW_DEVICE] = {"new_device", 25, "unusual device fingerprint"},
    [FRAUD_AMOUNT_SPIKE] = {"amount_spike", 20, "amount far above the payer's usual"},
    [FRAUD_NEW_PAYEE] = {"new_payee", 20, "new or unknown payee account"},
    [FRAUD_URGENT_LANGUAGE] = {"urgent_language", 15, "emotional language pattern"},
    [FRAUD_UNUSUAL_TYPING] = {"unusual_typing", 10, "unusual typing cadence"},
    [FRAUD_NIGHT_TIME] = {"night_time", 10, "night-time activity"},
};

/* Pressure words scammers use. English cues match at the start of a word,
 * case-insensitively ("urgent" also finds "urgently"); Chinese ones anywhere. */
static const char *const urgent_en[] = {"urgent",     "hurry",       "asap",        "right now",
                                        "right away", "immediately", "please help", "help me",
                                        "emergency",  "quick"};
static const char *const urgent_zh[] = {"急",   "快点", "救命",   "马上", "赶紧",
                                        "立刻", "求求", "帮帮我", "快快"};

int fraud_weight(fraud_factor f)
{
    return f < FRAUD_NFACTORS ? factors[f].weight : 0;
}

const char *fraud_factor_code(fraud_factor f)
{
    return f < FRAUD_NFACTORS ? factors[f].code : "unknown";
}

const char *fraud_level(int score)
{
    return score < 40 ? "low" : score < 70 ? "medium" : "high";
}

const char *fraud_decision(int score)
{
    return score < 40 ? "allow" : score < 70 ? "review" : "block";
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int is_word(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The first cue found in text, or NULL. */
static const char *urgent_cue(const char *text)
{
    for (size_t k = 0; k < sizeof urgent_zh / sizeof urgent_zh[0]; k++)
        if (strstr(text, urgent_zh[k])) return urgent_zh[k];
    for (const char *p = text; *p; p++) {
        if (p > text && is_word((unsigned char)p[-1])) continue;
        for (size_t k = 0; k < sizeof urgent_en / sizeof urgent_en[0]; k++) {
            const char *w = urgent_en[k];
            size_t i = 0;
            while (w[i] && p[i] && lower((unsigned char)p[i]) == w[i])
                i++;
            if (!w[i]) return w;
        }
    }
    return NULL;
}

static void hit(fraud_result *r, fraud_factor f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void hit(fraud_result *r, fraud_factor f, const char *fmt, ...)
{
    fraud_hit *h = &r->hits[r->nhits++];
    va_list ap;
    h->factor = f;
    h->contribution = factors[f].weight;
    va_start(ap, fmt);
    vsnprintf(h->detail, sizeof h->detail, fmt, ap);
    va_end(ap);
    r->score += h->contribution;
}

static void typing(const fraud_input *in, fraud_result *r)
{
    if (in->ncadence < CADENCE_MIN_SAMPLES) return;
    int64_t n = (int64_t)in->ncadence, sum = 0, sq = 0;
    for (size_t i = 0; i < in->ncadence; i++) {
        sum += in->cadence[i];
        sq += in->cadence[i] * in->cadence[i];
    }
    /* exact integers: n*sum(x^2) - sum^2 is n^2 times the variance (both below 2^62) */
    int64_t var_n2 = n * sq - sum * sum;
    if (sum < CADENCE_FAST_MS * n)
        hit(r, FRAUD_UNUSUAL_TYPING, "mean interval %lld ms is under %d ms", (long long)(sum / n),
            CADENCE_FAST_MS);
    else if (var_n2 * 10000 < (int64_t)CADENCE_UNIFORM_PCT * CADENCE_UNIFORM_PCT * sum * sum)
        hit(r, FRAUD_UNUSUAL_TYPING, "intervals vary by less than %d%% of the mean %lld ms",
            CADENCE_UNIFORM_PCT, (long long)(sum / n));
}

static int cmp_hits(const void *a, const void *b)
{
    const fraud_hit *x = a, *y = b;
    if (x->contribution != y->contribution) return y->contribution - x->contribution;
    return (int)x->factor - (int)y->factor;
}

void fraud_score(const directory *dir, const fraud_input *in, fraud_result *r)
{
    memset(r, 0, sizeof *r);
    const directory_person *payer = directory_person_by_openid(dir, in->payer);
    const directory_person *payee = directory_person_by_openid(dir, in->payee);

    if (in->device) {
        int known = 0;
        for (size_t i = 0; payer && i < payer->ndevices && !known; i++)
            known = strcmp(payer->devices[i], in->device) == 0;
        if (!known)
            hit(r, FRAUD_NEW_DEVICE, "device %.40s is not one of %.40s's known devices", in->device,
                in->payer);
    }
    if (payer && payer->typical_amount_fen > 0 &&
        in->amount > AMOUNT_SPIKE_TIMES * payer->typical_amount_fen)
        hit(r, FRAUD_AMOUNT_SPIKE, "amount %lld is over %d times the usual %lld",
            (long long)in->amount, AMOUNT_SPIKE_TIMES, (long long)payer->typical_amount_fen);
    if (!payee)
        hit(r, FRAUD_NEW_PAYEE, "payee %.40s is not a known account", in->payee);
    else if (payee->account_age_days > 0 && payee->account_age_days < NEW_PAYEE_DAYS)
        hit(r, FRAUD_NEW_PAYEE, "payee account is %lld days old (under %d)",
            (long long)payee->account_age_days, NEW_PAYEE_DAYS);
    for (size_t i = 0; i < in->nchat; i++) {
        const char *cue = urgent_cue(in->chat[i]);
        if (cue) {
            hit(r, FRAUD_URGENT_LANGUAGE, "chat message %zu says \"%s\"", i, cue);
            break;
        }
    }
    typing(in, r);
    int64_t local = in->at_unix + BEIJING_OFFSET_S;
    int64_t hour = ((local % 86400) + 86400) % 86400 / 3600;
    if (hour >= NIGHT_FROM_H && hour < NIGHT_TO_H)
        hit(r, FRAUD_NIGHT_TIME, "%02lld:xx in +08:00 is between 01:00 and 05:00", (long long)hour);
    qsort(r->hits, r->nhits, sizeof r->hits[0], cmp_hits);
}

void fraud_explain(const fraud_result *r, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap == 0) return;
    buf[0] = '\0';
    if (r->nhits == 0) {
        snprintf(buf, cap, "no risk factors found");
        return;
    }
    for (size_t i = 0; i < r->nhits && used < cap; i++) {
        const char *sep = i == 0              ? ""
                          : i == 1            ? " combined with "
                          : i + 1 == r->nhits ? " and "
                                              : ", ";
        int n = snprintf(buf + used, cap - used, "%s%s", sep, factors[r->hits[i].factor].phrase);
        if (n < 0) break;
        used += (size_t)n;
    }
}

/* ---- request validation ---- */

typedef struct perr {
    const char *prefix;
    char *field;
    size_t fcap;
    char *issue;
    size_t icap;
} perr;

static int bad(perr *e, const char *field, const char *issue)
{
    snprintf(e->field, e->fcap, "%s%s", e->prefix, field);
    snprintf(e->issue, e->icap, "%s", issue);
    return -1;
}

static int is_int(const cJSON *v, double min, double max)
{
    return cJSON_IsNumber(v) && v->valuedouble >= min && v->valuedouble <= max &&
           v->valuedouble == (double)(int64_t)v->valuedouble;
}

static const cJSON *item(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int present(const cJSON *v)
{
    return v && !cJSON_IsNull(v);
}

/* A party {"openid": "..."}; path is "/transaction/payer". */
static int parse_party(perr *e, const cJSON *tx, const char *key, const char **out)
{
    char path[48], f[64];
    snprintf(path, sizeof path, "/transaction/%s", key);
    const cJSON *p = item(tx, key);
    if (!present(p)) return bad(e, path, "required: {\"openid\": \"...\"}");
    if (!cJSON_IsObject(p)) return bad(e, path, "must be an object with an openid");
    const cJSON *id = item(p, "openid");
    snprintf(f, sizeof f, "%s/openid", path);
    if (!cJSON_IsString(id) || !id->valuestring[0] || strlen(id->valuestring) > OPENID_MAX)
        return bad(e, f, "must be a string of 1 to 63 bytes");
    *out = id->valuestring;
    return 0;
}

static int parse_transaction(perr *e, const cJSON *tx, fraud_input *in)
{
    if (!present(tx)) return bad(e, "/transaction", "required");
    if (!cJSON_IsObject(tx)) return bad(e, "/transaction", "must be an object");
    const cJSON *amount = item(tx, "amount");
    if (!present(amount)) return bad(e, "/transaction/amount", "required: {\"total\": fen}");
    if (!cJSON_IsObject(amount)) return bad(e, "/transaction/amount", "must be an object");
    const cJSON *total = item(amount, "total");
    if (!present(total)) return bad(e, "/transaction/amount/total", "required");
    if (!is_int(total, 0, (double)MONEY_MAX_MINOR))
        return bad(e, "/transaction/amount/total",
                   "must be an integer number of fen from 0 to 10^15");
    in->amount = (int64_t)total->valuedouble;
    const cJSON *cur = item(amount, "currency");
    in->currency = "CNY";
    if (present(cur)) {
        if (!cJSON_IsString(cur) || strlen(cur->valuestring) != 3 ||
            money_exponent(cur->valuestring) < 0)
            return bad(e, "/transaction/amount/currency", "must be an ISO 4217 code such as CNY");
        in->currency = cur->valuestring;
    }
    if (parse_party(e, tx, "payer", &in->payer) || parse_party(e, tx, "payee", &in->payee))
        return -1;
    const cJSON *ch = item(tx, "channel");
    if (present(ch)) {
        if (!cJSON_IsString(ch) || !ch->valuestring[0] || strlen(ch->valuestring) > 32)
            return bad(e, "/transaction/channel", "must be a string of 1 to 32 bytes (e.g. p2p)");
        in->channel = ch->valuestring;
    }
    return 0;
}

static int parse_device(perr *e, const cJSON *dev, fraud_input *in)
{
    if (!present(dev)) return 0;
    if (!cJSON_IsObject(dev)) return bad(e, "/device", "must be an object");
    const cJSON *fp = item(dev, "fingerprint");
    if (present(fp)) {
        if (!cJSON_IsString(fp) || !fp->valuestring[0] || strlen(fp->valuestring) > 128)
            return bad(e, "/device/fingerprint", "must be a string of 1 to 128 bytes");
        in->device = fp->valuestring;
    }
    const cJSON *ip = item(dev, "ip");
    if (present(ip)) {
        unsigned char addr[16];
        if (!cJSON_IsString(ip) || strlen(ip->valuestring) > 45 ||
            (inet_pton(AF_INET, ip->valuestring, addr) != 1 &&
             inet_pton(AF_INET6, ip->valuestring, addr) != 1))
            return bad(e, "/device/ip", "must be an IPv4 or IPv6 address");
    }
    return 0;
}

static int parse_behavior(perr *e, const cJSON *b, fraud_input *in)
{
    char f[64];
    if (!present(b)) return 0;
    if (!cJSON_IsObject(b)) return bad(e, "/behavior", "must be an object");
    const cJSON *tc = item(b, "typing_cadence_ms");
    if (!present(tc)) return 0;
    if (!cJSON_IsArray(tc) || cJSON_GetArraySize(tc) > FRAUD_MAX_CADENCE)
        return bad(e, "/behavior/typing_cadence_ms",
                   "must be an array of at most 1000 intervals in milliseconds");
    const cJSON *v;
    cJSON_ArrayForEach(v, tc)
    {
        if (!is_int(v, 0, CADENCE_MAX_MS)) {
            snprintf(f, sizeof f, "/behavior/typing_cadence_ms/%zu", in->ncadence);
            return bad(e, f, "must be an integer from 0 to 60000");
        }
        in->cadence[in->ncadence++] = (int64_t)v->valuedouble;
    }
    return 0;
}

static int parse_chat(perr *e, const cJSON *chat, fraud_input *in)
{
    char f[64];
    if (!present(chat)) return 0;
    if (!cJSON_IsArray(chat) || cJSON_GetArraySize(chat) > FRAUD_MAX_CHAT)
        return bad(e, "/chat", "must be an array of at most 50 messages");
    const cJSON *m;
    cJSON_ArrayForEach(m, chat)
    {
        size_t i = in->nchat;
        snprintf(f, sizeof f, "/chat/%zu", i);
        if (!cJSON_IsObject(m)) return bad(e, f, "must be an object {\"from\", \"text\"}");
        const cJSON *from = item(m, "from"), *text = item(m, "text");
        snprintf(f, sizeof f, "/chat/%zu/from", i);
        if (present(from) &&
            (!cJSON_IsString(from) || !from->valuestring[0] || strlen(from->valuestring) > 32))
            return bad(e, f, "must be a string of 1 to 32 bytes (payer, payee, ...)");
        snprintf(f, sizeof f, "/chat/%zu/text", i);
        if (!cJSON_IsString(text)) return bad(e, f, "required: a string");
        size_t n = utf8_count(text->valuestring);
        if (n == SIZE_MAX) return bad(e, f, "must be valid UTF-8");
        if (n == 0 || n > CHAT_TEXT_MAX_CHARS) return bad(e, f, "must be 1 to 4000 characters");
        in->chat[in->nchat++] = text->valuestring;
    }
    return 0;
}

int fraud_parse(const cJSON *obj, const char *prefix, int64_t now_s, fraud_input *in, char *field,
                size_t fcap, char *issue, size_t icap)
{
    perr e = {prefix ? prefix : "", field, fcap, issue, icap};
    memset(in, 0, sizeof *in);
    in->at_unix = now_s;
    if (!cJSON_IsObject(obj)) return bad(&e, "", "must be a JSON object");
    if (parse_transaction(&e, item(obj, "transaction"), in) ||
        parse_device(&e, item(obj, "device"), in) ||
        parse_behavior(&e, item(obj, "behavior"), in) || parse_chat(&e, item(obj, "chat"), in))
        return -1;
    const cJSON *ctx = item(obj, "context");
    if (present(ctx)) {
        int off;
        if (!cJSON_IsObject(ctx)) return bad(&e, "/context", "must be an object");
        const cJSON *rt = item(ctx, "reference_time");
        if (present(rt) &&
            (!cJSON_IsString(rt) || clock_parse_rfc3339(rt->valuestring, &in->at_unix, &off) != 0))
            return bad(&e, "/context/reference_time",
                       "must be an RFC 3339 time such as 2026-12-04T03:00:00+08:00");
    }
    return 0;
}

/* ---- responses ---- */

/* The chat joined by newlines, for text conditions of rules (caller frees). */
static char *chat_text(const fraud_input *in, size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; i < in->nchat; i++)
        n += strlen(in->chat[i]) + 1;
    if (n > MATCH_TEXT_MAX) n = MATCH_TEXT_MAX;
    char *s = malloc(n + 1), *p = s;
    if (!s) return NULL;
    for (size_t i = 0; i < in->nchat; i++) {
        size_t l = strlen(in->chat[i]);
        if ((size_t)(p - s) + l + 1 > n) break;
        memcpy(p, in->chat[i], l);
        p += l;
        *p++ = '\n';
    }
    *p = '\0';
    *len = (size_t)(p - s);
    return s;
}

static const scenario_rule *match_rule(http_req *req, const fraud_input *in)
{
    size_t len = 0;
    char *text = chat_text(in, &len);
    const scenario_rule *r =
        scenario_rule_match_parties(req->sc, "fraud_score", req->merchant->mchid, text ? text : "",
                                    text ? len : 0, NULL, in->payer, in->payee);
    free(text);
    return r;
}

static void add_time(cJSON *o, const char *key, int64_t unix_s)
{
    char buf[40];
    if (clock_format_rfc3339(unix_s, BEIJING_OFFSET_S, buf, sizeof buf) == 0)
        cJSON_AddStringToObject(o, key, buf);
}

/* The contract's result object for one scored request (NULL on ENOMEM). */
static cJSON *result_json(http_req *req, const fraud_input *in, const scenario_rule *rule)
{
    fraud_result r;
    char id[40], expl[320];
    const char *decision;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;

    if (rule && rule->has_score) {
        memset(&r, 0, sizeof r);
        r.score = rule->score;
        snprintf(expl, sizeof expl, "score pinned by scenario rule '%s'", rule->name);
    } else {
        fraud_score(req->sc->dir, in, &r);
        fraud_explain(&r, expl, sizeof expl);
    }
    decision = fraud_decision(r.score);
    if (rule && rule->review_reason) {
        decision = "review";
        size_t l = strlen(expl);
        snprintf(expl + l, sizeof expl - l, "; review required: %s", rule->review_reason);
    }
    ident_token("fs_", id, sizeof id);
    cJSON_AddStringToObject(o, "score_id", id);
    json_add_int(o, "risk_score", r.score);
    cJSON_AddStringToObject(o, "level", fraud_level(r.score));
    cJSON_AddStringToObject(o, "decision_hint", decision);
    cJSON_AddStringToObject(o, "explanation", expl);
    cJSON *fs = cJSON_AddArrayToObject(o, "factors");
    if (rule && rule->has_score) {
        cJSON *f = cJSON_CreateObject();
        char detail[200];
        snprintf(detail, sizeof detail, "rule '%s' pins the score", rule->name);
        cJSON_AddStringToObject(f, "code", "scenario_rule");
        json_add_int(f, "contribution", r.score);
        cJSON_AddStringToObject(f, "detail", detail);
        cJSON_AddItemToArray(fs, f);
    }
    for (size_t i = 0; i < r.nhits; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "code", fraud_factor_code(r.hits[i].factor));
        json_add_int(f, "contribution", r.hits[i].contribution);
        cJSON_AddStringToObject(f, "detail", r.hits[i].detail);
        cJSON_AddItemToArray(fs, f);
    }
    add_time(o, "explanation_expires_at", engine_wall_s(req->engine) + FRAUD_EXPLANATION_TTL_S);
    cJSON *m = cJSON_AddObjectToObject(o, "model");
    cJSON_AddStringToObject(m, "name", MODEL_NAME);
    cJSON_AddStringToObject(m, "version", MODEL_VERSION);
    cJSON *c = cJSON_AddObjectToObject(o, "cost");
    json_add_int(c, "amount_micros", req->sc->pricing.fraud_score_per_call_micros);
    cJSON_AddStringToObject(c, "currency", req->sc->pricing.currency);
    return o;
}

static int rule_error(http_req *req, const scenario_rule *rule)
{
    if (rule->error_status == 503 || rule->error_status == 429)
        http_add_header(req, "Retry-After", "%d", 1);
    return http_error(req, rule->error_status, rule->error_code, rule->error_message, NULL);
}

int fraud_create(http_req *req, const cJSON *body)
{
    char field[96], issue[160];
    fraud_input *in = malloc(sizeof *in);
    int rc;
    if (!in) return http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
    if (fraud_parse(body, "", clock_now_s(), in, field, sizeof field, issue, sizeof issue)) {
        rc = http_param_error(req, field, issue);
        goto out;
    }
    const scenario_rule *rule = match_rule(req, in);
    if (rule && rule->error_status) {
        rc = rule_error(req, rule);
        goto out;
    }
    cJSON *res = result_json(req, in, rule);
    rc = res ? http_send_json(req, 200, res)
             : http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
    cJSON_Delete(res);
out:
    free(in);
    return rc;
}

int fraud_batch_create(http_req *req, const cJSON *body)
{
    char field[96], issue[160], prefix[32], id[BATCH_ID_LEN];
    fraud_input *in = malloc(sizeof *in);
    cJSON *results = cJSON_CreateArray(), *root = NULL;
    int rc = -1, retry = 1;
    if (!in || !results) {
        rc = http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
        goto out;
    }
    if (!cJSON_IsObject(body)) {
        rc = http_param_error(req, "", "the body must be a JSON object {\"items\": [...]}");
        goto out;
    }
    const cJSON *items = item(body, "items");
    int n = cJSON_GetArraySize(items);
    if (!cJSON_IsArray(items) || n < 1 || n > FRAUD_MAX_BATCH) {
        rc = http_param_error(req, "/items", "must be an array of 1 to 1000 fraud-score requests");
        goto out;
    }
    /* Every item is checked before anything is stored, so a rejected batch costs nothing. */
    size_t i = 0;
    const cJSON *it;
    int64_t now_s = clock_now_s();
    cJSON_ArrayForEach(it, items)
    {
        snprintf(prefix, sizeof prefix, "/items/%zu", i++);
        if (fraud_parse(it, prefix, now_s, in, field, sizeof field, issue, sizeof issue)) {
            rc = http_param_error(req, field, issue);
            goto out;
        }
        const scenario_rule *r = match_rule(req, in);
        if (r && r->error_status) {
            rc = rule_error(req, r);
            goto out;
        }
        cJSON *res = result_json(req, in, r);
        if (!res || !cJSON_AddItemToArray(results, res)) {
            cJSON_Delete(res);
            rc = http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
            goto out;
        }
    }
    char *text = json_print(results);
    if (!text) {
        rc = http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
        goto out;
    }
    int64_t now_ms = engine_wall_ms(req->engine); /* completion and expiry are scenario time */
    int st = batch_put(server_batches(req->srv), req->merchant->mchid, (size_t)n, text, now_ms,
                       now_ms + BATCH_BASE_DELAY_MS + n, id, &retry);
    if (st == BATCH_EFULL) {
        retry = (int)engine_retry_after_s(req->engine, (int64_t)retry * 1000); /* real seconds */
        http_add_header(req, "Retry-After", "%d", retry);
        rc = http_error(req, 429, "FREQUENCY_LIMITED",
                        "too many batches are still processing; retry later", NULL);
        goto out;
    }
    if (st != BATCH_OK) {
        rc = http_error(req, 500, "SYSTEM_ERROR", "could not store the batch", NULL);
        goto out;
    }
    int64_t cost = (int64_t)n * req->sc->pricing.fraud_score_per_call_micros; /* < 2^40 */
    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "batch_id", id);
    cJSON_AddStringToObject(root, "status", "processing");
    json_add_int(root, "count", n);
    cJSON *c = cJSON_AddObjectToObject(root, "cost");
    json_add_int(c, "amount_micros", cost);
    cJSON_AddStringToObject(c, "currency", req->sc->pricing.currency);
    http_add_header(req, "Location", "/v3/ai/fraud-score/batches/%s", id);
    rc = http_send_json(req, 202, root);
out:
    cJSON_Delete(root);
    cJSON_Delete(results);
    free(in);
    return rc;
}

int fraud_batch_get(http_req *req, const cJSON *body)
{
    (void)body;
    const char *id = req->ri->local_uri + strlen("/v3/ai/fraud-score/batches/");
    batch_view v;
    int st = batch_get(server_batches(req->srv), id, req->merchant->mchid,
                       engine_wall_ms(req->engine), &v);
    if (st == BATCH_ENOTFOUND)
        return http_error(req, 404, "RESOURCE_NOT_EXISTS", "no such batch (or it expired)", NULL);
    if (st != BATCH_OK) return http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
    /* The stored results are already JSON: spliced in as text, not parsed again. */
    const char *results = v.results ? v.results : "[]";
    size_t cap = strlen(results) + 160;
    char *out = malloc(cap);
    int rc;
    if (!out) {
        free(v.results);
        return http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
    }
    int n =
        snprintf(out, cap, "{\"batch_id\":\"%s\",\"status\":\"%s\",\"count\":%zu,\"results\":%s}",
                 v.id, v.completed ? "completed" : "processing", v.count, results);
    rc = http_send(req, 200, "application/json; charset=utf-8", out, (size_t)n);
    free(out);
    free(v.results);
    return rc;
}
