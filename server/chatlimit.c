/* chatlimit: the /v1 per-key request limit (see chatlimit.h and docs/chat.md). */
#include "chatlimit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define LIMIT_UNIT 60000 /* one request in bucket units; a bucket refills rpm units per ms */
#define DEFAULT_SLOTS 256

typedef struct bucket {
    uint64_t id;   /* hash of the API key; 0 = free slot */
    int64_t level; /* LIMIT_UNIT per request available */
    int64_t at_ms; /* when level was computed */
} bucket;

struct chatlimit {
    pthread_mutex_t mu; /* one lock: a bucket update is a few integer operations */
    size_t nslots;
    bucket *slots;
};

int chatlimit_new(size_t slots, chatlimit **out)
{
    chatlimit *l = calloc(1, sizeof *l);
    *out = NULL;
    if (!slots) slots = DEFAULT_SLOTS;
    if (!l || !(l->slots = calloc(slots, sizeof *l->slots))) {
        free(l);
        return -1;
    }
    l->nslots = slots;
    pthread_mutex_init(&l->mu, NULL);
    *out = l;
    return 0;
}

void chatlimit_clear(chatlimit *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    memset(l->slots, 0, l->nslots * sizeof *l->slots);
    pthread_mutex_unlock(&l->mu);
}

void chatlimit_free(chatlimit *l)
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

/* Keys come only from the scenario (unknown keys are refused before this), so the table
 * holds at most the scenario's keys; a full table (after many reloads) recycles a slot. */
void chatlimit_take(chatlimit *l, const engine *e, const char *key, const chat_limit *lim,
                    int consume, chatlimit_state *st)
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

void chatlimit_headers(http_req *req, const chatlimit_state *st)
{
    char reset[64];
    format_reset(st->reset_ms, reset, sizeof reset);
    http_add_header(req, "x-ratelimit-limit-requests", "%lld", (long long)st->limit);
    http_add_header(req, "x-ratelimit-remaining-requests", "%lld", (long long)st->remaining);
    http_add_header(req, "x-ratelimit-reset-requests", "%s", reset);
}
