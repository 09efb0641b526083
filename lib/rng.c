#include "rng.h"

#include <math.h>

static uint64_t fmix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t rng_hash(uint64_t seed, const void *data, size_t len)
{
    /* FNV-1a over the bytes, then a splitmix finaliser for avalanche. */
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ fmix(seed + 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return fmix(h ^ len);
}

uint64_t rng_mix(uint64_t a, uint64_t b)
{
    return fmix(a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2)));
}

uint64_t rng_next(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15ULL;
    return fmix(*state);
}

double rng_unit(uint64_t *state)
{
    return (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

double rng_normal(uint64_t *state)
{
    double u1 = rng_unit(state), u2 = rng_unit(state);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
