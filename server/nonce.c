#include "nonce.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rng.h"

#define NONCE_SHARDS 64
#define NONCE_PROBE 8

typedef struct entry {
    uint64_t fp; /* 0 = empty */
    int64_t seen_s;
} entry;

/* A shard's lock has a cache line to itself: two cores taking neighbouring locks would
 * otherwise pass one line back and forth on every request. */
typedef struct shard {
    _Alignas(64) pthread_mutex_t lock;
} shard;

struct nonce_cache {
    /* Read-only once made, and apart from the locks, so that finding a nonce's row (before
     * the HMAC) reads nothing another core is writing. */
    entry *slots;     /* NONCE_SHARDS rows of per_shard entries, shard i's from i * per_shard */
    size_t per_shard; /* power of two */
    int64_t window_s;
    shard shards[NONCE_SHARDS];
};

/* A zeroed table of n bytes. Every request touches a random row of it: on 4 KiB pages that
 * is a TLB miss and a page walk per request (perf shows the mock waiting there), so the
 * table asks for 2 MiB pages where the kernel gives them on request (THP "madvise"). */
static entry *table_new(size_t n)
{
    const size_t huge = 2u << 20;
    if (n >= huge && n % huge == 0) {
        void *p = aligned_alloc(huge, n);
        if (p) {
#ifdef MADV_HUGEPAGE
            madvise(p, n, MADV_HUGEPAGE); /* advice: without it the table works the same */
#endif
            memset(p, 0, n);
            return p;
        }
    }
    return calloc(1, n);
}

int nonce_cache_new(size_t capacity, int64_t window_s, nonce_cache **out)
{
    nonce_cache *c = aligned_alloc(_Alignof(nonce_cache), sizeof *c);
    if (!c) return -1;
    memset(c, 0, sizeof *c);
    size_t per = 16;
    while (per * NONCE_SHARDS < capacity)
        per <<= 1;
    c->per_shard = per;
    c->window_s = window_s;
    if (!(c->slots = table_new(per * NONCE_SHARDS * sizeof(entry)))) {
        free(c);
        return -1;
    }
    for (size_t i = 0; i < NONCE_SHARDS; i++)
        pthread_mutex_init(&c->shards[i].lock, NULL);
    *out = c;
    return 0;
}

void nonce_cache_free(nonce_cache *c)
{
    if (!c) return;
    for (size_t i = 0; i < NONCE_SHARDS; i++)
        pthread_mutex_destroy(&c->shards[i].lock);
    free(c->slots);
    free(c);
}

void nonce_cache_locate(const nonce_cache *c, const char *mchid, const char *nonce, nonce_slot *out)
{
    uint64_t fp = rng_mix(rng_hash(1, mchid, strlen(mchid)), rng_hash(2, nonce, strlen(nonce)));
    if (fp == 0) fp = 1;
    out->fp = fp;
    const entry *row = c->slots + (fp % NONCE_SHARDS) * c->per_shard;
    size_t base = (size_t)(fp / NONCE_SHARDS) & (c->per_shard - 1);
    __builtin_prefetch(&row[base], 1);
    __builtin_prefetch(&row[(base + NONCE_PROBE - 1) & (c->per_shard - 1)], 1);
}

int nonce_cache_check(nonce_cache *c, const char *mchid, const char *nonce, int64_t now_s)
{
    nonce_slot slot;
    nonce_cache_locate(c, mchid, nonce, &slot);
    return nonce_cache_check_slot(c, &slot, now_s);
}

int nonce_cache_check_slot(nonce_cache *c, const nonce_slot *slot, int64_t now_s)
{
    uint64_t fp = slot->fp;
    shard *s = &c->shards[fp % NONCE_SHARDS];
    entry *row = c->slots + (fp % NONCE_SHARDS) * c->per_shard;
    size_t mask = c->per_shard - 1, base = (size_t)(fp / NONCE_SHARDS) & mask;
    entry *victim = NULL;
    int victim_live = 0;
    int rc = NONCE_FRESH;

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < NONCE_PROBE; i++) {
        entry *e = &row[(base + i) & mask];
        int live = e->fp != 0 && e->seen_s <= now_s && now_s - e->seen_s < c->window_s;
        if (live && e->fp == fp) {
            rc = NONCE_REPLAY;
            goto out;
        }
        /* Reuse a dead slot if there is one, otherwise the oldest live one. */
        if (!live) {
            if (!victim || victim_live) victim = e, victim_live = 0;
        } else if (!victim || (victim_live && e->seen_s < victim->seen_s)) {
            victim = e, victim_live = 1;
        }
    }
    victim->fp = fp;
    victim->seen_s = now_s;
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void nonce_cache_clear(nonce_cache *c)
{
    for (size_t i = 0; i < NONCE_SHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].lock);
        memset(c->slots + i * c->per_shard, 0, c->per_shard * sizeof(entry));
        pthread_mutex_unlock(&c->shards[i].lock);
    }
}
