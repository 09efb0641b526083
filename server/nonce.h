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
/* Record the nonce of mchid at now_s: NONCE_FRESH, or NONCE_REPLAY if seen within the window. */
int nonce_cache_check(nonce_cache *c, const char *mchid, const char *nonce, int64_t now_s);
/* Forget everything (admin reset). */
void nonce_cache_clear(nonce_cache *c);

#endif
