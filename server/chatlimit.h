/* chatlimit: the OpenAI-compatible endpoint's per-key request limit.
 *
 * One token bucket per API key, refilled on the scenario wall clock of the engine
 * (time_scale speeds it up like every other limit); the waits it reports are in real
 * time, as a client counts them. The answer carries OpenAI's x-ratelimit-* headers. */
#ifndef WXAI_CHATLIMIT_H
#define WXAI_CHATLIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "http.h"

typedef struct chat_limit {
    int64_t requests_per_minute; /* refill rate */
    int64_t burst;               /* bucket size: requests allowed at once */
} chat_limit;

/* Per-server limiter state: token buckets keyed by API key. */
typedef struct chatlimit chatlimit;

typedef struct chatlimit_state {
    int allowed;
    int64_t limit;     /* requests per minute */
    int64_t remaining; /* requests allowed right now */
    int64_t reset_ms;  /* real ms until the bucket is full again */
    int64_t retry_ms;  /* real ms until the next request is allowed (when refused) */
} chatlimit_state;

/* New limiter holding at most `slots` keys (0: a default), into *out (caller frees with
 * chatlimit_free). Returns 0 or -1. */
int chatlimit_new(size_t slots, chatlimit **out);
/* Forget every bucket (a reload starts them full again). */
void chatlimit_clear(chatlimit *l);
/* Free a limiter; l may be NULL. */
void chatlimit_free(chatlimit *l);
/* Refill key's bucket (limit lim) to e's scenario wall clock and, when consume is set,
 * take one request from it; the outcome goes to *st. l NULL allows everything; e NULL
 * counts real time. */
void chatlimit_take(chatlimit *l, const engine *e, const char *key, const chat_limit *lim,
                    int consume, chatlimit_state *st);
/* Queue the x-ratelimit-*-requests headers that describe st on req's answer. */
void chatlimit_headers(http_req *req, const chatlimit_state *st);

#endif
