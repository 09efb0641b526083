/* engine: the runtime state of one loaded scenario (the scenario clock,
 * token buckets, fault counters, the occurrence table and the model-version
 * schedule) and the per-request hooks that apply latency, rate limits,
 * faults and drift.
 *
 * Lifetime: the scenario is immutable; everything that changes while it
 * serves lives here. engine_new(sc) is called when a scenario is loaded (its
 * instant is scenario time 0) and the engine is swapped together with its
 * scenario (a hot reload makes a new engine with engine_new_after: buckets,
 * counters and scenario time start again, the scenario wall clock goes on)
 * and freed with engine_free after the last request holding that scenario
 * has finished. The engine borrows sc, which must outlive it.
 *
 * How state is shared between worker threads (no lock on the request path):
 * - the scenario clock reads lib/clock (atomics) and the immutable load instant;
 * - a token bucket is one atomic TAT taken with compare-and-swap (ratelimit.h);
 * - fault and request counters are atomic increments;
 * - the occurrence table is open addressing over atomic slots (CAS to claim a
 *   key, fetch-add to count);
 * - model-version switches are atomic stores of "from request N" marks, and each
 *   request computes its version from its own request number, so a switch is
 *   exact even under concurrency.
 *
 * Determinism: every random draw (latency, fault rates, confidence noise)
 * comes from one request key = hash(seed, merchant, path, body, occurrence),
 * where occurrence counts earlier requests with the same merchant, path and
 * body. The same traffic replayed over 1 or 32 connections gets the same
 * draws per request. Counters (every Nth, at_request drift) are by nature
 * order-dependent. */
#ifndef WXAI_ENGINE_H
#define WXAI_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "drift.h"
#include "http.h"
#include "ratelimit.h"
#include "scenario.h"

#define ENGINE_OCCURRENCE_SLOTS (1u << 16) /* distinct request contents counted exactly */
#define ENGINE_STATUS_RESET 444            /* req->status of a connection closed on purpose */

typedef struct engine engine;

/* What the engine decided for one request (kept by the request, see engine_req). */
typedef struct engine_req {
    int endpoint;       /* endpoint_id, or -1 when the engine does not shape the request */
    uint64_t key;       /* the request's draw key; 0 when nothing draws from it */
    int version;        /* model version index chosen at admission */
    int64_t request_no; /* 1-based number on its endpoint; 0 where none is kept (no drift) */
    int has_rl;         /* rl holds the bucket after this request's token */
    ratelimit_result rl;
    int headers_done; /* RateLimit headers already queued */
    double delay_ms;  /* scenario ms of synthetic delay (latency + slow faults) */
    int fault;        /* index of the fault that answered, or -1 */
} engine_req;

/* Runtime state for sc (borrowed; must outlive the engine). Scenario time 0 is now.
 * Returns 0 or -1 (out of memory). */
int engine_new(const scenario *sc, engine **out);
/* engine_new for a reload that replaces prev (borrowed, may be NULL): the scenario wall clock
 * goes on from prev's reading at this instant at sc's time_scale, so absolute times issued on
 * it before the reload keep their meaning. Returns 0 or -1 (out of memory). */
int engine_new_after(const scenario *sc, const engine *prev, engine **out);
/* Free e; e may be NULL. */
void engine_free(engine *e);
/* The scenario it was made for (borrowed). */
const scenario *engine_scenario(const engine *e);

/* ---- the scenario clock ---- */
/* clock_now_ms() when the scenario was loaded. */
int64_t engine_load_ms(const engine *e);
/* Scenario milliseconds since load: (clock_now_ms() - load) / time_scale, or unscaled when
 * time_scale is 0. With lib/clock virtual (clock_set_virtual/clock_advance) it moves only when
 * the clock is advanced. Never negative. */
int64_t engine_now_ms(const engine *e);
/* Real milliseconds for d scenario milliseconds (d * time_scale; d when time_scale is 0). */
double engine_real_ms(const engine *e, double d);
/* Real milliseconds to sleep for a synthetic delay of d scenario milliseconds: d * time_scale,
 * so time_scale 0 turns synthetic latency off while the scenario clock runs unscaled. */
double engine_delay_ms(const engine *e, double d);
/* The scenario wall clock, ms since the epoch: the load instant (or, after a reload, the old
 * engine's wall clock at that instant) plus scenario time, so it runs 1/time_scale as fast as
 * lib/clock from the load on. TTLs (tokens, clarifications, batches, explanations) are
 * issued and checked on it and expires_at times printed from it; it is clock_now_ms()
 * itself when time_scale is 1 or 0 (until a reload follows a scaled scenario), and when e
 * is NULL. */
int64_t engine_wall_ms(const engine *e);
/* engine_wall_ms in whole seconds. */
int64_t engine_wall_s(const engine *e);
/* Real seconds to wait for scenario_ms of scenario time (a Retry-After): scaled by
 * time_scale, rounded up, at least 1. e may be NULL (unscaled). */
int64_t engine_retry_after_s(const engine *e, int64_t scenario_ms);

/* ---- determinism ---- */
/* Count one more occurrence of (merchant, path, body) and return the request's draw key. */
uint64_t engine_request_key(engine *e, const char *mchid, const char *path, const void *body,
                            size_t len);
/* Occurrences of (merchant, path, body) so far (for tests). */
uint64_t engine_occurrences(engine *e, const char *mchid, const char *path, const void *body,
                            size_t len);
/* A uniform draw in (0, 1) for one purpose of a request key. */
double engine_unit(uint64_t key, uint64_t purpose);
/* A standard normal draw for one purpose of a request key. */
double engine_normal(uint64_t key, uint64_t purpose);

/* ---- per-request decisions (HTTP-free, for tests and other front ends) ---- */
enum { ENGINE_PASS = 0, ENGINE_LIMITED, ENGINE_ERROR, ENGINE_RESET };
typedef struct engine_decision {
    int action; /* ENGINE_PASS, _LIMITED (429), _ERROR (status/code), _RESET */
    int status;
    const char *code; /* borrowed from the scenario or static */
    const char *message;
    int64_t retry_after_s; /* real seconds, >= 1 when set; 0 = no Retry-After */
    int truncate;          /* send half the body and close */
} engine_decision;
/* Rate limit, faults and latency for one request on endpoint by merchant index
 * merchant (-1: unknown), in that order; fills er (delay, version, bucket) and d. */
void engine_decide(engine *e, int endpoint, int merchant, uint64_t key, int multimodal,
                   engine_req *er, engine_decision *d);
/* The RateLimit state of a merchant's bucket without taking a token. Returns 0, or -1
 * when the endpoint has no limit. */
int engine_ratelimit_peek(engine *e, int endpoint, int merchant, ratelimit_result *out);

/* ---- model versions ---- */
/* Version index for the request_no-th request at scenario time now_ms; commit records
 * time-based switches as seen (requests pass 1, reports pass 0). */
int engine_version_for(engine *e, int endpoint, int64_t request_no, int64_t now_ms, int commit);
/* Count a request on endpoint and return its version index (*request_no gets its number, or
 * 0 on an endpoint with no drift steps and no admin switch, where none is kept). */
int engine_version_next(engine *e, int endpoint, int64_t *request_no);
/* The version that would answer the next request now (borrowed id). */
const char *engine_model_active(engine *e, int endpoint);
/* Admin: switch endpoint to version id from the next request on. Returns 0, or -1 for an
 * unknown id. */
int engine_model_switch(engine *e, int endpoint, const char *id);
/* Admin: fire the next `on: admin` drift step of endpoint. Returns the version index it
 * switched to, or -1 when none is left. */
int engine_model_fire_admin(engine *e, int endpoint);
/* Version record (borrowed). */
const drift_version *engine_version(const engine *e, int endpoint, int version);

/* ---- HTTP glue (server.c) ---- */
/* Shape a /v3/ai request after authentication: rate limit, faults, latency (sleeps the
 * scaled delay), then choose the model version. Returns 0 to let the handler run, or -1
 * when the engine has answered (429, injected error, reset). */
int engine_http_admit(http_req *req);
/* Queue RateLimit-Policy and RateLimit on a /v3/ai response to an identified merchant
 * (http_send calls it through req->before_send). */
void engine_http_before_send(http_req *req);
/* The model version that answers req (borrowed id); the endpoint's first version when the
 * request was not admitted through the engine. */
const char *engine_req_version_id(const http_req *req, int endpoint);
/* The model's confidence moved by the answering version (drift.h formula). */
double engine_req_confidence(const http_req *req, int endpoint, double confidence);
/* 1 if key serial of merchant is retired at this moment of scenario time. */
int engine_key_retired(const engine *e, const scenario_key *key);

#endif
