#include "histogram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 2048 sub-buckets give a resolution of 1 part in 1024 at worst (the upper
 * half of each power of two), which is 3 significant decimal digits. */
#define SUB_BITS 11
#define SUB_COUNT (1 << SUB_BITS)
#define SUB_HALF (SUB_COUNT / 2)
#define SUB_MASK ((int64_t)SUB_COUNT - 1)

struct histogram {
    int64_t highest;
    int buckets;    /* powers of two covered */
    size_t ncounts; /* (buckets + 1) * SUB_HALF */
    uint64_t total;
    int64_t min, max;
    long double sum; /* exact enough for means of microsecond latencies */
    uint64_t *counts;
};

static int bucket_of(int64_t v)
{
    /* Index of the highest set bit of v | mask, minus the sub-bucket width. */
    return 63 - __builtin_clzll((unsigned long long)(v | SUB_MASK)) - (SUB_BITS - 1);
}

static size_t index_of(int64_t v)
{
    int b = bucket_of(v);
    int64_t sub = v >> b;
    return (size_t)(((int64_t)(b + 1) << (SUB_BITS - 1)) + (sub - SUB_HALF));
}

/* The lowest value that lands in counts[i], and how many values share it. */
static int64_t value_at(size_t i, int64_t *width)
{
    int b = (int)(i >> (SUB_BITS - 1)) - 1;
    int64_t sub = (int64_t)(i & (SUB_HALF - 1)) + SUB_HALF;
    if (b < 0) {
        sub -= SUB_HALF;
        b = 0;
    }
    *width = (int64_t)1 << b;
    return sub << b;
}

int histogram_new(int64_t highest, histogram **out)
{
    *out = NULL;
    if (highest < SUB_COUNT || highest > ((int64_t)1 << 60)) return -1;
    histogram *h = calloc(1, sizeof *h);
    if (!h) return -1;
    h->highest = highest;
    h->buckets = bucket_of(highest) + 1;
    h->ncounts = (size_t)(h->buckets + 1) * SUB_HALF;
    h->counts = calloc(h->ncounts, sizeof *h->counts);
    if (!h->counts) {
        free(h);
        return -1;
    }
    *out = h;
    return 0;
}

void histogram_free(histogram *h)
{
    if (!h) return;
    free(h->counts);
    free(h);
}

void histogram_record_n(histogram *h, int64_t v, uint64_t n)
{
    if (n == 0) return;
    if (v < 0) v = 0;
    if (v > h->highest) v = h->highest;
    size_t i = index_of(v);
    if (i >= h->ncounts) i = h->ncounts - 1;
    h->counts[i] += n;
    if (h->total == 0 || v < h->min) h->min = v;
    if (h->total == 0 || v > h->max) h->max = v;
    h->total += n;
    h->sum += (long double)v * (long double)n;
}

void histogram_record(histogram *h, int64_t v)
{
    histogram_record_n(h, v, 1);
}

int histogram_merge(histogram *dst, const histogram *src)
{
    if (dst->ncounts != src->ncounts || dst->highest != src->highest) return -1;
    if (src->total == 0) return 0;
    for (size_t i = 0; i < src->ncounts; i++)
        dst->counts[i] += src->counts[i];
    if (dst->total == 0 || src->min < dst->min) dst->min = src->min;
    if (dst->total == 0 || src->max > dst->max) dst->max = src->max;
    dst->total += src->total;
    dst->sum += src->sum;
    return 0;
}

void histogram_reset(histogram *h)
{
    memset(h->counts, 0, h->ncounts * sizeof *h->counts);
    h->total = 0;
    h->min = h->max = 0;
    h->sum = 0;
}

uint64_t histogram_count(const histogram *h)
{
    return h->total;
}

int64_t histogram_min(const histogram *h)
{
    return h->min;
}

int64_t histogram_max(const histogram *h)
{
    return h->max;
}

double histogram_mean(const histogram *h)
{
    return h->total ? (double)(h->sum / (long double)h->total) : 0.0;
}

int64_t histogram_percentile(const histogram *h, double p)
{
    if (h->total == 0) return 0;
    if (p < 0) p = 0;
    if (p > 100) p = 100;
    uint64_t want = (uint64_t)ceil(p / 100.0 * (double)h->total);
    if (want == 0) want = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < h->ncounts; i++) {
        seen += h->counts[i];
        if (seen >= want) {
            int64_t width, lo = value_at(i, &width);
            int64_t v = lo + width - 1;
            if (v > h->max) v = h->max;
            if (v < h->min) v = h->min;
            return v;
        }
    }
    return h->max;
}

size_t histogram_memory(const histogram *h)
{
    return sizeof *h + h->ncounts * sizeof *h->counts;
}
