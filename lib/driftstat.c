#include "driftstat.h"

#include <math.h>

static uint64_t total(const uint64_t *c, size_t n)
{
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += c[i];
    return t;
}

int driftstat_psi_compute(const uint64_t *base, const uint64_t *current, size_t nbins,
                          driftstat_psi *out)
{
    uint64_t nb = total(base, nbins), nc = total(current, nbins);
    if (!out || nbins < DRIFTSTAT_PSI_BINS || nb == 0 || nc == 0) return -1;
    *out = (driftstat_psi){0};
    /* Edge k is the end of the first histogram bin where the baseline's cumulative count
     * reaches k/10 of its total: each PSI bin then holds about a tenth of the baseline,
     * as near as the histogram's resolution allows. */
    size_t edge[DRIFTSTAT_PSI_BINS + 1];
    int ne = 0;
    edge[ne++] = 0;
    uint64_t cum = 0;
    size_t i = 0;
    for (int k = 1; k < DRIFTSTAT_PSI_BINS; k++) {
        /* cum >= k*nb/10, in integers so no decile is lost to rounding */
        while (i < nbins && cum * DRIFTSTAT_PSI_BINS < (uint64_t)k * nb)
            cum += base[i++];
        if (i > edge[ne - 1] && i < nbins) edge[ne++] = i;
    }
    edge[ne++] = nbins;
    out->nbins = ne - 1;
    for (int b = 0; b < out->nbins; b++) {
        uint64_t pb = 0, pc = 0;
        for (size_t j = edge[b]; j < edge[b + 1]; j++) {
            pb += base[j];
            pc += current[j];
        }
        double p = (double)pb / (double)nb, q = (double)pc / (double)nc;
        out->base_share[b] = p;
        out->current_share[b] = q;
        if (p <= 0) p = DRIFTSTAT_PSI_EPS;
        if (q <= 0) q = DRIFTSTAT_PSI_EPS;
        out->psi += (q - p) * log(q / p);
    }
    for (int b = 0; b <= out->nbins; b++)
        out->edges[b] = (double)edge[b] / (double)nbins;
    return 0;
}

const char *driftstat_psi_band(double psi)
{
    if (psi < DRIFTSTAT_PSI_MODERATE) return "none";
    if (psi < DRIFTSTAT_PSI_MAJOR) return "moderate";
    return "major";
}

double driftstat_kolmogorov_q(double lambda)
{
    if (!(lambda > 0)) return 1.0;
    if (lambda < 1.18) {
        /* The alternating series converges slowly for small lambda; the Jacobi theta
         * form of the same CDF converges in a few terms there:
         * P(K <= l) = sqrt(2 pi) / l * sum_{j>=1} exp(-(2j-1)^2 pi^2 / (8 l^2)). */
        double s = 0, f = -M_PI * M_PI / (8 * lambda * lambda);
        for (int j = 1; j <= 10; j++)
            s += exp(f * (2 * j - 1) * (2 * j - 1));
        double q = 1.0 - sqrt(2 * M_PI) / lambda * s;
        return q < 0 ? 0 : q > 1 ? 1 : q;
    }
    double s = 0, sign = 1;
    for (int j = 1; j <= 100; j++) {
        double t = exp(-2.0 * j * j * lambda * lambda);
        s += sign * t;
        if (t < 1e-17) break;
        sign = -sign;
    }
    double q = 2 * s;
    return q < 0 ? 0 : q > 1 ? 1 : q;
}

int driftstat_ks_compute(const uint64_t *a, const uint64_t *b, size_t nbins, driftstat_ks *out)
{
    uint64_t na = total(a, nbins), nb = total(b, nbins);
    if (!out || na == 0 || nb == 0) return -1;
    *out = (driftstat_ks){0};
    uint64_t ca = 0, cb = 0;
    /* Within a bin the order of values is unknown, so the CDFs are compared at bin edges
     * only: D is exact for values on the grid and a lower bound otherwise. */
    for (size_t i = 0; i < nbins; i++) {
        ca += a[i];
        cb += b[i];
        double d = fabs((double)ca / (double)na - (double)cb / (double)nb);
        if (d > out->d) {
            out->d = d;
            out->at = (double)(i + 1) / (double)nbins;
        }
    }
    double ne = (double)na * (double)nb / ((double)na + (double)nb);
    out->lambda = sqrt(ne) * out->d;
    out->p_value = driftstat_kolmogorov_q(out->lambda);
    return 0;
}

double driftstat_share_below(const uint64_t *counts, size_t nbins, size_t k)
{
    uint64_t n = total(counts, nbins), below = 0;
    for (size_t i = 0; i < k && i < nbins; i++)
        below += counts[i];
    return n ? (double)below / (double)n : 0.0;
}

int driftstat_restore_rate(const uint64_t *counts, size_t nbins, double rate, size_t prefer,
                           size_t *k_out, double *rate_out)
{
    uint64_t n = total(counts, nbins), below = 0;
    if (n == 0) return -1;
    size_t best = prefer > nbins ? nbins : prefer;
    double best_diff = INFINITY;
    for (size_t k = 0; k <= nbins; k++) {
        if (k > 0) below += counts[k - 1];
        double diff = fabs((double)below / (double)n - rate);
        size_t dk = k > prefer ? k - prefer : prefer - k;
        size_t db = best > prefer ? best - prefer : prefer - best;
        /* Equal shares (empty bins between them) prefer the threshold nearest the
         * current one, so an unchanged distribution recommends no change. */
        if (diff < best_diff - 1e-12 || (fabs(diff - best_diff) <= 1e-12 && dk < db)) {
            best = k;
            best_diff = diff;
        }
    }
    *k_out = best;
    if (rate_out) *rate_out = driftstat_share_below(counts, nbins, best);
    return 0;
}

void driftstat_pr_at(const uint64_t *correct, const uint64_t *incorrect, size_t nbins, size_t k,
                     driftstat_pr *out)
{
    *out = (driftstat_pr){0};
    for (size_t i = 0; i < nbins; i++) {
        out->correct += correct[i];
        if (i >= k) {
            out->accepted += correct[i] + incorrect[i];
            out->correct_accepted += correct[i];
        }
    }
    out->precision = out->accepted ? (double)out->correct_accepted / (double)out->accepted : 1.0;
    out->recall = out->correct ? (double)out->correct_accepted / (double)out->correct : 0.0;
}

int driftstat_target_precision(const uint64_t *correct, const uint64_t *incorrect, size_t nbins,
                               double target, size_t *k_out, driftstat_pr *out)
{
    if (total(correct, nbins) + total(incorrect, nbins) == 0) return -1;
    /* Recall only falls as the threshold rises, so the first threshold that reaches the
     * target costs the least recall. Precision is not monotone: keep scanning past a
     * dip rather than bisecting. */
    for (size_t k = 0; k < nbins; k++) {
        driftstat_pr pr;
        driftstat_pr_at(correct, incorrect, nbins, k, &pr);
        if (pr.accepted == 0) break;
        if (pr.precision >= target - 1e-12) {
            *k_out = k;
            *out = pr;
            return 0;
        }
    }
    return 1;
}
