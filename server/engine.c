/* engine: per-scenario runtime state and per-request hooks (see engine.h). */
#include "engine.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "endpoint.h"
#include "fault.h"
#include "latency.h"
#include "rng.h"

#define OCC_PROBE 16
#define NO_STEP INT64_MAX

/* draw purposes: each kind of draw from a request key gets its own stream */
enum { P_LATENCY = 0x1a7e, P_CONFIDENCE = 0xc0f1, P_FAULT = 0xfa17 };

typedef struct occ_slot {
    _Atomic uint64_t key; /* 0 = free */
    _Atomic uint64_t count;
} occ_slot;

typedef struct ep_state {
    _Atomic int64_t global_tat;                 /* per: global */
    _Atomic int64_t *merchant_tat;              /* per: merchant, one per scenario merchant */
    _Atomic int64_t requests;                   /* admitted requests, for at_request drift */
    _Atomic int64_t step_from[DRIFT_MAX_STEPS]; /* first request a fired step applies to */
    _Atomic uint64_t admin;                     /* (from_request << 8) | (version + 1); 0 = none */
} ep_state;

struct engine {
    const scenario *sc;
    int64_t load_ms;
    int64_t wall0_ms; /* the scenario wall clock at load_ms (load_ms on a first load) */
    double time_scale;
    ep_state ep[ENDPOINT_COUNT];
    _Atomic uint64_t fault_count[FAULT_MAX];
    occ_slot *occ;
    int jitter[ENDPOINT_COUNT]; /* some model version of the endpoint has confidence noise */
};

int engine_new(const scenario *sc, engine **out)
{
    *out = NULL;
    engine *e = calloc(1, sizeof *e);
    if (!e) return -1;
    e->sc = sc;
    e->load_ms = e->wall0_ms = clock_now_ms();
    e->time_scale = sc->defaults.time_scale;
    e->occ = calloc(ENGINE_OCCURRENCE_SLOTS, sizeof *e->occ);
    if (!e->occ) goto fail;
    for (int i = 0; i < ENDPOINT_COUNT; i++) {
        ep_state *s = &e->ep[i];
        s->merchant_tat = calloc(sc->nmerchants + 1, sizeof *s->merchant_tat);
        if (!s->merchant_tat) goto fail;
        const drift_model *m = &sc->models.endpoint[i];
        for (size_t k = 0; k < m->nversions; k++)
            if (m->versions[k].stddev > 0) e->jitter[i] = 1;
        for (size_t k = 0; k < DRIFT_MAX_STEPS; k++)
            atomic_init(&s->step_from[k], k < m->nsteps && m->steps[k].when == DRIFT_AT_REQUEST
                                              ? m->steps[k].at_request
                                              : NO_STEP);
    }
    *out = e;
    return 0;
fail:
    engine_free(e);
    return -1;
}

void engine_free(engine *e)
{
    if (!e) return;
    for (int i = 0; i < ENDPOINT_COUNT; i++)
        free(e->ep[i].merchant_tat);
    free(e->occ);
    free(e);
}

const scenario *engine_scenario(const engine *e)
{
    return e->sc;
}

/* ---- clock ---- */

int64_t engine_load_ms(const engine *e)
{
    return e->load_ms;
}

int64_t engine_now_ms(const engine *e)
{
    int64_t d = clock_now_ms() - e->load_ms;
    if (d <= 0) return 0;
    if (e->time_scale > 0 && e->time_scale != 1.0) return (int64_t)((double)d / e->time_scale);
    return d;
}

double engine_real_ms(const engine *e, double d)
{
    return e->time_scale > 0 ? d * e->time_scale : d;
}

double engine_delay_ms(const engine *e, double d)
{
    return d * e->time_scale;
}

static int64_t real_seconds(const engine *e, int64_t scenario_ms)
{
    double s = ceil(engine_real_ms(e, (double)scenario_ms) / 1000.0);
    return s < 1 ? 1 : (int64_t)s;
}

static int64_t wall_at(const engine *e, int64_t now)
{
    /* unscaled it is lib/clock plus what earlier scaled scenarios left over (nothing on a
     * first load), so time_scale 1 changes nothing, even with the clock set back before
     * the load */
    if (!(e->time_scale > 0) || e->time_scale == 1.0) return e->wall0_ms + (now - e->load_ms);
    return e->wall0_ms + (int64_t)floor((double)(now - e->load_ms) / e->time_scale);
}

int engine_new_after(const scenario *sc, const engine *prev, engine **out)
{
    if (engine_new(sc, out) != 0) return -1;
    /* Read at the new load instant, so that clarifications and idempotency keys (kept
     * across reloads with absolute expiries on this clock) expire when their TTL has passed
     * in scenario time, whatever either scenario's time_scale. */
    if (prev) (*out)->wall0_ms = wall_at(prev, (*out)->load_ms);
    return 0;
}

int64_t engine_wall_ms(const engine *e)
{
    int64_t now = clock_now_ms();
    return e ? wall_at(e, now) : now;
}

int64_t engine_wall_s(const engine *e)
{
    return engine_wall_ms(e) / 1000;
}

int64_t engine_retry_after_s(const engine *e, int64_t scenario_ms)
{
    if (!e) {
        int64_t s = (scenario_ms + 999) / 1000;
        return s < 1 ? 1 : s;
    }
    return real_seconds(e, scenario_ms);
}

/* ---- determinism ---- */

static uint64_t content_hash(const engine *e, const char *mchid, const char *path, const void *body,
                             size_t len)
{
    uint64_t seed = e->sc->seed;
    uint64_t h = rng_hash(seed, mchid ? mchid : "", mchid ? strlen(mchid) : 0);
    h = rng_mix(h, rng_hash(seed ^ 1, path ? path : "", path ? strlen(path) : 0));
    h = rng_mix(h, rng_hash(seed ^ 2, body ? body : "", body ? len : 0));
    return h ? h : 1;
}

/* The slot for h: its own (claimed with CAS), or, when the probe window is full, the home
 * slot shared with whatever lives there (counts then merge; bounded memory wins). */
static occ_slot *occ_find(engine *e, uint64_t h, int claim)
{
    uint32_t mask = ENGINE_OCCURRENCE_SLOTS - 1;
    for (uint32_t i = 0; i < OCC_PROBE; i++) {
        occ_slot *s = &e->occ[(h + i) & mask];
        uint64_t k = atomic_load(&s->key);
        if (k == h) return s;
        if (k == 0) {
            if (!claim) return NULL;
            uint64_t zero = 0;
            if (atomic_compare_exchange_strong(&s->key, &zero, h) || zero == h) return s;
        }
    }
    return claim ? &e->occ[h & mask] : NULL;
}

uint64_t engine_request_key(engine *e, const char *mchid, const char *path, const void *body,
                            size_t len)
{
    uint64_t h = content_hash(e, mchid, path, body, len);
    uint64_t n = atomic_fetch_add(&occ_find(e, h, 1)->count, 1) + 1;
    return rng_mix(h, n);
}

uint64_t engine_occurrences(engine *e, const char *mchid, const char *path, const void *body,
                            size_t len)
{
    occ_slot *s = occ_find(e, content_hash(e, mchid, path, body, len), 0);
    return s ? atomic_load(&s->count) : 0;
}

double engine_unit(uint64_t key, uint64_t purpose)
{
    return latency_unit(rng_mix(key, purpose));
}

double engine_normal(uint64_t key, uint64_t purpose)
{
    return latency_norm_quantile(engine_unit(key, purpose));
}

/* ---- rate limits ---- */

static _Atomic int64_t *bucket(engine *e, int endpoint, int merchant)
{
    const ratelimit_rule *r = &e->sc->ratelimits.endpoint[endpoint];
    if (r->per == RATELIMIT_GLOBAL) return &e->ep[endpoint].global_tat;
    if (r->per == RATELIMIT_MERCHANT && merchant >= 0 && (size_t)merchant < e->sc->nmerchants)
        return &e->ep[endpoint].merchant_tat[merchant];
    return NULL;
}

int engine_ratelimit_peek(engine *e, int endpoint, int merchant, ratelimit_result *out)
{
    _Atomic int64_t *b = bucket(e, endpoint, merchant);
    if (!b) return -1;
    ratelimit_peek(&e->sc->ratelimits.endpoint[endpoint], b, engine_now_ms(e) * 1000000, out);
    return 0;
}

/* ---- decisions ---- */

void engine_decide(engine *e, int endpoint, int merchant, uint64_t key, int multimodal,
                   engine_req *er, engine_decision *d)
{
    const scenario *sc = e->sc;
    int64_t now = engine_now_ms(e);
    memset(d, 0, sizeof *d);
    er->endpoint = endpoint;
    er->key = key;
    er->fault = -1;
    er->delay_ms = 0;
    er->version = 0;

    _Atomic int64_t *b = bucket(e, endpoint, merchant);
    if (b) {
        ratelimit_take(&sc->ratelimits.endpoint[endpoint], b, now * 1000000, &er->rl);
        er->has_rl = 1;
        if (!er->rl.allowed) {
            d->action = ENGINE_LIMITED;
            d->status = 429;
            d->code = "FREQUENCY_LIMITED";
            d->message = "rate limit exceeded: retry after the time in Retry-After";
            d->retry_after_s = real_seconds(e, er->rl.reset_s * 1000);
            return;
        }
    }

    const char *mchid = merchant >= 0 ? sc->merchants[merchant].mchid : NULL;
    for (size_t i = 0; i < sc->faults.n; i++) {
        const fault_rule *f = &sc->faults.rules[i];
        if (!fault_matches(f, endpoint, mchid)) continue;
        uint64_t count = atomic_fetch_add(&e->fault_count[i], 1) + 1;
        if (!fault_fires(f, count, engine_unit(key, P_FAULT + i), now)) continue;
        if (f->action == FAULT_SLOW) {
            er->delay_ms += (double)f->delay_ms;
        } else if (f->action == FAULT_TRUNCATE) {
            d->truncate = 1;
        } else if (d->action == ENGINE_PASS) {
            er->fault = (int)i;
            if (f->action == FAULT_RESET) {
                d->action = ENGINE_RESET;
                continue;
            }
            d->action = ENGINE_ERROR;
            d->status = f->status;
            d->code = f->code            ? f->code
                      : f->status == 503 ? "SERVICE_UNAVAILABLE"
                      : f->status == 429 ? "FREQUENCY_LIMITED"
                                         : "SYSTEM_ERROR";
            d->message = f->message     ? f->message
                         : f->is_outage ? "the service is unavailable (scheduled outage)"
                                        : "injected fault";
            if (f->is_outage)
                d->retry_after_s = real_seconds(e, fault_window_left_ms(f, now));
            else if (f->status == 503 || f->status == 429)
                d->retry_after_s = 1;
        }
    }
    if (d->action != ENGINE_PASS) return;

    const latency_dist *ld = latency_pick(&sc->latency, endpoint, multimodal);
    er->delay_ms += latency_sample(ld, rng_mix(key, P_LATENCY));
    er->version = engine_version_next(e, endpoint, &er->request_no);
}

/* ---- model versions ---- */

int engine_version_for(engine *e, int endpoint, int64_t n, int64_t now_ms, int commit)
{
    const drift_model *m = &e->sc->models.endpoint[endpoint];
    ep_state *s = &e->ep[endpoint];
    int64_t best_from = -1;
    int best = 0;
    for (size_t i = 0; i < m->nsteps; i++) {
        int64_t from = atomic_load(&s->step_from[i]);
        if (m->steps[i].when == DRIFT_AT_TIME && now_ms >= m->steps[i].at_ms) {
            /* the first request seen past the time marks where the step starts;
             * every later-numbered request follows it even if it read the clock earlier */
            if (commit) {
                while (n < from && !atomic_compare_exchange_weak(&s->step_from[i], &from, n))
                    ;
            }
            if (n < from) from = n;
        }
        if (from <= n && from >= best_from) {
            best_from = from;
            best = m->steps[i].to;
        }
    }
    uint64_t a = atomic_load(&s->admin);
    if (a && (int64_t)(a >> 8) <= n && (int64_t)(a >> 8) >= best_from) best = (int)(a & 0xff) - 1;
    return best;
}

int engine_version_next(engine *e, int endpoint, int64_t *request_no)
{
    /* The count is a line every worker writes, and only drift steps and an admin switch
     * read it. Without either the version is the first; a switch made meanwhile takes
     * effect from the next request counted, which is the next request, as it would have. */
    if (e->sc->models.endpoint[endpoint].nsteps == 0 && atomic_load(&e->ep[endpoint].admin) == 0) {
        if (request_no) *request_no = 0;
        return 0;
    }
    int64_t n = atomic_fetch_add(&e->ep[endpoint].requests, 1) + 1;
    if (request_no) *request_no = n;
    return engine_version_for(e, endpoint, n, engine_now_ms(e), 1);
}

const char *engine_model_active(engine *e, int endpoint)
{
    int64_t n = atomic_load(&e->ep[endpoint].requests) + 1;
    int v = engine_version_for(e, endpoint, n, engine_now_ms(e), 0);
    return e->sc->models.endpoint[endpoint].versions[v].id;
}

int engine_model_switch(engine *e, int endpoint, const char *id)
{
    if (endpoint < 0 || endpoint >= ENDPOINT_COUNT) return -1;
    int v = drift_find(&e->sc->models.endpoint[endpoint], id);
    if (v < 0) return -1;
    uint64_t from = (uint64_t)atomic_load(&e->ep[endpoint].requests) + 1;
    atomic_store(&e->ep[endpoint].admin, (from << 8) | (uint64_t)(v + 1));
    return 0;
}

int engine_model_fire_admin(engine *e, int endpoint)
{
    if (endpoint < 0 || endpoint >= ENDPOINT_COUNT) return -1;
    const drift_model *m = &e->sc->models.endpoint[endpoint];
    ep_state *s = &e->ep[endpoint];
    for (size_t i = 0; i < m->nsteps; i++) {
        if (m->steps[i].when != DRIFT_ON_ADMIN) continue;
        int64_t from = NO_STEP;
        if (atomic_compare_exchange_strong(&s->step_from[i], &from, atomic_load(&s->requests) + 1))
            return m->steps[i].to;
    }
    return -1;
}

const drift_version *engine_version(const engine *e, int endpoint, int version)
{
    const drift_model *m = &e->sc->models.endpoint[endpoint];
    if (version < 0 || (size_t)version >= m->nversions) version = 0;
    return &m->versions[version];
}

int engine_key_retired(const engine *e, const scenario_key *key)
{
    return key && key->retire_at_ms >= 0 && engine_now_ms(e) >= key->retire_at_ms;
}

/* ---- HTTP glue ---- */

static int under_v3_ai(const http_req *req)
{
    return strncmp(req->ri->local_uri, "/v3/ai/", 7) == 0;
}

static int merchant_index(const http_req *req)
{
    if (!req->merchant || !req->sc) return -1;
    ptrdiff_t i = req->merchant - req->sc->merchants;
    return i >= 0 && (size_t)i < req->sc->nmerchants ? (int)i : -1;
}

/* Whether a request on endpoint from merchant (an index, or -1) draws anything from its key:
 * a fault that may fire on it, a synthetic latency, or confidence noise. Making the key
 * hashes the content and counts its occurrence in a table every worker writes, so a
 * scenario that draws nothing (a scripted contract test) is spared both. Identical requests
 * get the same answer here, so the occurrences of those that do draw count as before. */
static int key_needed(const engine *e, int endpoint, int merchant, int multimodal)
{
    const scenario *sc = e->sc;
    const char *mchid = merchant >= 0 ? sc->merchants[merchant].mchid : NULL;
    for (size_t i = 0; i < sc->faults.n; i++)
        if (fault_matches(&sc->faults.rules[i], endpoint, mchid)) return 1;
    latency_kind k = latency_pick(&sc->latency, endpoint, multimodal)->kind;
    return (k != LATENCY_NONE && k != LATENCY_OFF) || e->jitter[endpoint];
}

static int has_attachments(const http_req *req)
{
    /* a cheap look: the multimodal latency only needs to know attachments were sent */
    return req->body && strstr(req->body, "\"attachments\"") && strstr(req->body, "\"data\"");
}

int engine_http_admit(http_req *req)
{
    engine *e = req->engine;
    engine_req *er = req->er;
    if (!e || !er || !under_v3_ai(req)) return 0;
    int ep = endpoint_from_path(req->ri->local_uri);
    if (ep < 0) return 0;
    engine_decision d;
    int m = merchant_index(req), mm = has_attachments(req);
    uint64_t key = 0;
    if (key_needed(e, ep, m, mm))
        key = engine_request_key(e, req->merchant ? req->merchant->mchid : NULL, req->ri->local_uri,
                                 req->body, req->body_len);
    engine_decide(e, ep, m, key, mm, er, &d);
    if (d.retry_after_s > 0)
        http_add_header(req, "Retry-After", "%lld", (long long)d.retry_after_s);
    switch (d.action) {
    case ENGINE_LIMITED:
    case ENGINE_ERROR:
        clock_sleep_ms(engine_delay_ms(e, er->delay_ms));
        http_error(req, d.status, d.code, d.message, NULL);
        return -1;
    case ENGINE_RESET:
        clock_sleep_ms(engine_delay_ms(e, er->delay_ms));
        mg_disable_connection_keep_alive(req->conn);
        req->status = ENGINE_STATUS_RESET;
        return -1;
    default:
        break;
    }
    req->truncate_body = d.truncate;
    clock_sleep_ms(engine_delay_ms(e, er->delay_ms));
    return 0;
}

void engine_http_before_send(http_req *req)
{
    engine *e = req->engine;
    engine_req *er = req->er;
    if (!e || !er || er->headers_done || !req->merchant || !under_v3_ai(req)) return;
    int ep = endpoint_from_path(req->ri->local_uri);
    if (ep < 0) return;
    ratelimit_result rl;
    if (er->has_rl)
        rl = er->rl;
    else if (engine_ratelimit_peek(e, ep, merchant_index(req), &rl) != 0)
        return;
    er->headers_done = 1;
    http_add_header(req, "RateLimit-Policy", "\"%s\";q=%lld;w=%lld", endpoint_names[ep],
                    (long long)rl.quota, (long long)rl.window_s);
    http_add_header(req, "RateLimit", "\"%s\";r=%lld;t=%lld", endpoint_names[ep],
                    (long long)rl.remaining,
                    (long long)(rl.reset_s ? real_seconds(e, rl.reset_s * 1000) : 0));
}

const char *engine_req_version_id(const http_req *req, int endpoint)
{
    const scenario *sc = req->engine ? req->engine->sc : req->sc;
    int v = req->er && req->er->endpoint == endpoint ? req->er->version : 0;
    if (!req->engine) return sc->models.endpoint[endpoint].versions[0].id;
    return engine_version(req->engine, endpoint, v)->id;
}

double engine_req_confidence(const http_req *req, int endpoint, double confidence)
{
    if (!req->engine || !req->er || req->er->endpoint != endpoint) return confidence;
    const drift_version *v = engine_version(req->engine, endpoint, req->er->version);
    double z = v->stddev > 0 ? engine_normal(req->er->key, P_CONFIDENCE) : 0;
    return drift_confidence(v, confidence, z);
}
