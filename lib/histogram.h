/* histogram: HDR-style log-bucketed histogram of non-negative integers
 * (latencies in microseconds), with 3 significant digits.
 *
 * Memory is fixed when the histogram is made: values are kept in 2048
 * linear sub-buckets per power of two, so any recorded value is known to
 * within 1/1024 of itself whatever the traffic. Two histograms with the same
 * range merge by adding counts, so per-endpoint figures roll up into an
 * overall one without keeping any sample. */
#ifndef WXAI_HISTOGRAM_H
#define WXAI_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct histogram histogram;

/* A histogram for values 0..highest (>= 2048); larger values are counted at highest.
 * *out is owned by the caller (histogram_free). Returns 0, or -1 on bad range or ENOMEM. */
int histogram_new(int64_t highest, histogram **out);
/* Free h; h may be NULL. */
void histogram_free(histogram *h);
/* Count value v (negative counts as 0) n times. */
void histogram_record_n(histogram *h, int64_t v, uint64_t n);
/* Count value v once. */
void histogram_record(histogram *h, int64_t v);
/* Add every count of src to dst. Returns 0, or -1 when their ranges differ. */
int histogram_merge(histogram *dst, const histogram *src);
/* Forget every value. */
void histogram_reset(histogram *h);
/* Number of values recorded. */
uint64_t histogram_count(const histogram *h);
/* Smallest and largest values recorded, exactly (0 when empty). */
int64_t histogram_min(const histogram *h);
int64_t histogram_max(const histogram *h);
/* Mean of the values as recorded (exact sum / count; 0 when empty). */
double histogram_mean(const histogram *h);
/* The value at percentile p (0..100): the highest value equivalent to the bucket holding
 * the ceil(p% * count)-th value, capped at the exact max. 0 when empty. */
int64_t histogram_percentile(const histogram *h, double p);
/* Bytes of memory the histogram holds (fixed at creation). */
size_t histogram_memory(const histogram *h);

#endif
