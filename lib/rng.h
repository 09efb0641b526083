/* rng: deterministic randomness derived from the scenario seed.
 *
 * Draws are never taken from a shared stream: each one is keyed by a hash of
 * the seed and what the draw is about (merchant, request content, occurrence
 * count), so answers do not depend on the order in which concurrent requests
 * arrive. */
#ifndef WXAI_RNG_H
#define WXAI_RNG_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit hash of data, mixed with seed (not cryptographic). */
uint64_t rng_hash(uint64_t seed, const void *data, size_t len);
/* Combine two hashes into one. */
uint64_t rng_mix(uint64_t a, uint64_t b);
/* Next value of a splitmix64 stream held in *state. */
uint64_t rng_next(uint64_t *state);
/* Uniform double in [0, 1) from the stream. */
double rng_unit(uint64_t *state);
/* Standard normal draw from the stream (Box-Muller). */
double rng_normal(uint64_t *state);

#endif
