/* nonce: remembers the request nonces of the last window to refuse replays.
 *
 * A fixed-size table of 64-bit fingerprints of (merchant, nonce) with the
 * time each was seen, split into shards with a lock each, so concurrent
 * requests rarely wait on one another and memory never grows with traffic.
 * When a shard's probe range is full of live entries the oldest is
 * overwritten: under a flood larger than the table a replay of that evicted
 * nonce would pass, which is the price of a bound (the table holds 2^18
 * entries, far more than 300 s of any realistic load). */
#ifndef WXAI_NONCE_H
#define WXAI_NONCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct nonce_cache nonce_cache;

enum { NONCE_FRESH = 0, NONCE_REPLAY = 1 };

/* New cache with room for `capacity` entries (rounded up to a power of two),
 * remembering each for window_s seconds. Caller frees with nonce_cache_free. */
int nonce_cache_new(size_t capacity, int64_t window_s, nonce_cache **out);
/* Free the cache; c may be NULL. */
void nonce_cache_free(nonce_cache *c);
/* Where the nonce of a merchant lives in a cache, found by nonce_cache_locate. */
typedef struct nonce_slot {
    uint64_t fp;
} nonce_slot;

/* Record the nonce of mchid at now_s: NONCE_FRESH, or NONCE_REPLAY if seen within the window. */
int nonce_cache_check(nonce_cache *c, const char *mchid, const char *nonce, int64_t now_s);
/* Find where mchid's nonce lives in c and start loading that memory into the CPU cache, so
 * that the miss (the table is far larger than a cache) overlaps the work a caller does
 * before nonce_cache_check_slot, such as checking the request's signature. */
void nonce_cache_locate(const nonce_cache *c, const char *mchid, const char *nonce,
                        nonce_slot *out);
/* nonce_cache_check for a nonce found by nonce_cache_locate on c. */
int nonce_cache_check_slot(nonce_cache *c, const nonce_slot *slot, int64_t now_s);
/* Forget everything (admin reset). */
void nonce_cache_clear(nonce_cache *c);

#endif
