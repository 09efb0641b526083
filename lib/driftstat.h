/* driftstat: how far one confidence distribution moved from another, and
 * which threshold undoes it.
 *
 * Every function works on fixed-resolution histograms of values in [0, 1]:
 * nbins equal bins, counts[i] counting [i/nbins, (i+1)/nbins) (the last bin
 * also holds 1.0). That is the form report.json keeps (1,000 bins, so every
 * figure here is exact to 0.001 in confidence), and it keeps the work
 * bounded whatever the traffic.
 *
 * - PSI: 10 bins cut at the baseline's deciles (bin edges fall on histogram
 *   edges; equal edges merge, so a baseline piled into one histogram bin
 *   gives fewer PSI bins), PSI = sum (q - p) ln(q / p) with p the baseline
 *   share and q the current share of each bin; an empty share counts as
 *   DRIFTSTAT_PSI_EPS so one empty bin cannot make PSI infinite. Bands:
 *   < 0.1 no significant change, 0.1 to 0.25 moderate, >= 0.25 major.
 * - KS: D = max |F_a - F_b| over the histogram edges; the p-value is the
 *   asymptotic Kolmogorov distribution Q(sqrt(n m / (n + m)) D).
 * - Thresholds are bin edges: threshold k accepts bins >= k (confidence >=
 *   k / nbins) and sends bins < k to the fallback, as the mock does. */
#ifndef WXAI_DRIFTSTAT_H
#define WXAI_DRIFTSTAT_H

#include <stddef.h>
#include <stdint.h>

#define DRIFTSTAT_PSI_BINS 10
#define DRIFTSTAT_PSI_EPS 1e-4 /* share given to an empty PSI bin */
#define DRIFTSTAT_PSI_MODERATE 0.10
#define DRIFTSTAT_PSI_MAJOR 0.25

typedef struct driftstat_psi {
    double psi;
    int nbins;                                /* PSI bins after merging equal edges */
    double edges[DRIFTSTAT_PSI_BINS + 1];     /* confidence at each edge; [0] = 0, [nbins] = 1 */
    double base_share[DRIFTSTAT_PSI_BINS];    /* p of each bin (before the epsilon) */
    double current_share[DRIFTSTAT_PSI_BINS]; /* q of each bin (before the epsilon) */
} driftstat_psi;

typedef struct driftstat_ks {
    double d;       /* the largest distance between the two empirical CDFs */
    double at;      /* the confidence (a histogram edge) where it is reached */
    double lambda;  /* sqrt(n m / (n + m)) * d */
    double p_value; /* asymptotic: Q_KS(lambda) */
} driftstat_ks;

typedef struct driftstat_pr {
    uint64_t accepted;         /* labelled answers at or above the threshold */
    uint64_t correct_accepted; /* of those, right according to truth */
    uint64_t correct;          /* right answers at any confidence */
    double precision;          /* correct_accepted / accepted (1 when nothing is accepted) */
    double recall;             /* correct_accepted / correct (0 when nothing is right) */
} driftstat_pr;

/* PSI of current against base (both nbins >= 10 bins). Returns 0, or -1 when either is
 * empty or nbins is too small. */
int driftstat_psi_compute(const uint64_t *base, const uint64_t *current, size_t nbins,
                          driftstat_psi *out);
/* "none" (< 0.1), "moderate" (< 0.25) or "major": a static string. */
const char *driftstat_psi_band(double psi);
/* Two-sample KS of a against b. Returns 0, or -1 when either is empty. */
int driftstat_ks_compute(const uint64_t *a, const uint64_t *b, size_t nbins, driftstat_ks *out);
/* Q_KS(lambda) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2): the probability that the
 * scaled KS statistic exceeds lambda under the null hypothesis. */
double driftstat_kolmogorov_q(double lambda);
/* Share of counts below threshold bin k (bins 0..k-1); 0 when empty. */
double driftstat_share_below(const uint64_t *counts, size_t nbins, size_t k);
/* The threshold bin whose share below is closest to rate; ties go to the bin nearest
 * prefer. *k_out and *rate_out (the share below it) are written. Returns 0, or -1 when
 * counts is empty. */
int driftstat_restore_rate(const uint64_t *counts, size_t nbins, double rate, size_t prefer,
                           size_t *k_out, double *rate_out);
/* Precision and recall at threshold bin k from the correct and incorrect histograms. */
void driftstat_pr_at(const uint64_t *correct, const uint64_t *incorrect, size_t nbins, size_t k,
                     driftstat_pr *out);
/* The lowest threshold bin (so the highest recall) whose precision reaches target with
 * at least one answer accepted. Returns 0 with *k_out and *out, 1 when no threshold
 * reaches it, -1 when there is no labelled answer. */
int driftstat_target_precision(const uint64_t *correct, const uint64_t *incorrect, size_t nbins,
                               double target, size_t *k_out, driftstat_pr *out);

#endif
