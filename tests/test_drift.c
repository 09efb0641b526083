/* driftstat and compare: PSI and KS against values computed independently,
 * the threshold that restores a fallback rate, the threshold that reaches a
 * target precision, and a comparison of two report.json trees.
 *
 * The reference values come from this Python script (standard library only),
 * which works on the raw samples (each value at its histogram bin's centre),
 * sorts them and takes order statistics, where driftstat works on
 * cumulative histogram counts. Its output is pasted below as constants.
 *
 *   import math, bisect
 *   def counts(n, mean, sd, nb=1000):
 *       cdf = lambda x: 0.5 * (1 + math.erf((x - mean) / (sd * math.sqrt(2))))
 *       c = [math.floor(n * (cdf((i + 1) / nb) - cdf(i / nb)) + 0.5) for i in range(nb)]
 *       c[0] += math.floor(n * cdf(0) + 0.5)
 *       c[nb - 1] += math.floor(n * (1 - cdf(1)) + 0.5)
 *       return c
 *   def samples(c, nb=1000):
 *       return [(i + 0.5) / nb for i, k in enumerate(c) for _ in range(k)]
 *   def psi(base, cur, nb=1000, eps=1e-4):
 *       b, q = sorted(base), sorted(cur)
 *       edges = [0.0]
 *       for k in range(1, 10):
 *           x = b[math.ceil(k * len(b) / 10) - 1]          # the k-th decile
 *           e = (math.floor(x * nb) + 1) / nb              # end of its histogram bin
 *           if e > edges[-1] and e < 1: edges.append(e)
 *       edges.append(1.0)
 *       s = 0
 *       for lo, hi in zip(edges, edges[1:]):
 *           p = (bisect.bisect_left(b, hi) - bisect.bisect_left(b, lo)) / len(b)
 *           r = (bisect.bisect_left(q, hi) - bisect.bisect_left(q, lo)) / len(q)
 *           p, r = p or eps, r or eps
 *           s += (r - p) * math.log(r / p)
 *       return s, len(edges) - 1
 *   def ks(a, b):
 *       a, b = sorted(a), sorted(b)
 *       d = max(abs(bisect.bisect_right(a, x) / len(a) - bisect.bisect_right(b, x) / len(b))
 *               for x in set(a) | set(b))
 *       lam = math.sqrt(len(a) * len(b) / (len(a) + len(b))) * d
 *       p = 2 * sum((-1) ** (j - 1) * math.exp(-2 * j * j * lam * lam) for j in range(1, 200))
 *       return d, min(max(p, 0), 1)
 *   for name, (n1, m1, n2, m2) in {"big": (20000, 0.90, 20000, 0.85),
 *                                  "small": (400, 0.90, 400, 0.895),
 *                                  "medium": (500, 0.90, 500, 0.89)}.items():
 *       base, cur = samples(counts(n1, m1, 0.04)), samples(counts(n2, m2, 0.04))
 *       print(name, len(base), len(cur), "psi=%.10f bins=%d" % psi(base, cur),
 *             "ks d=%.10f p=%.10g" % ks(base, cur))
 *
 * Output:
 *   big 19989 19986 psi=1.4206397397 bins=10 ks d=0.4682676568 p=0
 *   small 396 396 psi=0.0197513259 bins=10 ks d=0.0505050505 p=0.6934088354
 *   medium 497 495 psi=0.0713490584 bins=10 ks d=0.1033432921 p=0.01001140759
 *
 * "big" is a 0.05 shift of N(0.90, 0.04): the continuous KS distance of such a
 * shift is 2 Phi(0.05 / (2 * 0.04)) - 1 = 0.46802, which the binned value
 * matches to within the bin resolution. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "driftstat.h"

#define NB 1000

/* The Python script's counts(): a normal distribution over 1,000 bins, tails clamped. */
static void normal_counts(uint64_t *c, double n, double mean, double sd)
{
    for (int i = 0; i < NB; i++) {
        double lo = 0.5 * (1 + erf(((double)i / NB - mean) / (sd * sqrt(2))));
        double hi = 0.5 * (1 + erf(((double)(i + 1) / NB - mean) / (sd * sqrt(2))));
        c[i] = (uint64_t)floor(n * (hi - lo) + 0.5);
    }
    c[0] += (uint64_t)floor(n * 0.5 * (1 + erf((0 - mean) / (sd * sqrt(2)))) + 0.5);
    c[NB - 1] += (uint64_t)floor(n * (1 - 0.5 * (1 + erf((1 - mean) / (sd * sqrt(2))))) + 0.5);
}

static uint64_t sum(const uint64_t *c)
{
    uint64_t t = 0;
    for (int i = 0; i < NB; i++)
        t += c[i];
    return t;
}

START_TEST(psi_ks_match_reference)
{
    static const struct {
        double n1, m1, n2, m2;
        uint64_t len1, len2;
        double psi, d, p;
    } cases[] = {
        {20000, 0.90, 20000, 0.85, 19989, 19986, 1.4206397397, 0.4682676568, 0},
        {400, 0.90, 400, 0.895, 396, 396, 0.0197513259, 0.0505050505, 0.6934088354},
        {500, 0.90, 500, 0.89, 497, 495, 0.0713490584, 0.1033432921, 0.01001140759},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t a[NB], b[NB];
        normal_counts(a, cases[i].n1, cases[i].m1, 0.04);
        normal_counts(b, cases[i].n2, cases[i].m2, 0.04);
        ck_assert_uint_eq(sum(a), cases[i].len1); /* the same samples as the script */
        ck_assert_uint_eq(sum(b), cases[i].len2);
        driftstat_psi psi;
        driftstat_ks ks;
        ck_assert_int_eq(driftstat_psi_compute(a, b, NB, &psi), 0);
        ck_assert_int_eq(driftstat_ks_compute(a, b, NB, &ks), 0);
        ck_assert_int_eq(psi.nbins, 10);
        ck_assert_double_eq_tol(psi.psi, cases[i].psi, 1e-9);
        ck_assert_double_eq_tol(ks.d, cases[i].d, 1e-9);
        ck_assert_double_eq_tol(ks.p_value, cases[i].p, 1e-8);
    }
}
END_TEST

START_TEST(known_shift_matches_theory)
{
    uint64_t a[NB], b[NB];
    normal_counts(a, 20000, 0.90, 0.04);
    normal_counts(b, 20000, 0.85, 0.04);
    driftstat_ks ks;
    ck_assert_int_eq(driftstat_ks_compute(a, b, NB, &ks), 0);
    /* 2 Phi(0.625) - 1; the largest gap sits halfway between the two means */
    ck_assert_double_eq_tol(ks.d, 2 * 0.5 * (1 + erf(0.625 / sqrt(2))) - 1, 0.005);
    ck_assert_double_eq_tol(ks.at, 0.875, 0.002);
    driftstat_psi psi;
    ck_assert_int_eq(driftstat_psi_compute(a, b, NB, &psi), 0);
    ck_assert_str_eq(driftstat_psi_band(psi.psi), "major");
    /* the baseline's deciles: each PSI bin holds a tenth of it, give or take the largest
     * histogram bin (1 % of the baseline at its peak) */
    for (int i = 0; i < psi.nbins; i++)
        ck_assert_double_eq_tol(psi.base_share[i], 0.1, 0.01);
    ck_assert_double_eq_tol(psi.edges[5], 0.901, 0.0015); /* the median */
}
END_TEST

START_TEST(psi_by_hand_with_empty_bins)
{
    /* baseline: 10 in each of bins 0..99, so the deciles cut at 0.010, 0.020, ... 0.090;
     * current: 100 in bin 5, 900 in bin 95. PSI bins 2..9 of the current are empty
     * and count as 1e-4:
     *   (0.1 - 0.1) ln 1 + 8 (1e-4 - 0.1) ln(1e-4 / 0.1) + (0.9 - 0.1) ln 9
     *   = 5.5206810... + 1.7577796... = 7.2784576808 (also the script's answer)
     * KS: after bin 94 the baseline is at 0.95 and the current at 0.10: D = 0.85. */
    uint64_t a[NB] = {0}, b[NB] = {0};
    for (int i = 0; i < 100; i++)
        a[i] = 10;
    b[5] = 100;
    b[95] = 900;
    driftstat_psi psi;
    ck_assert_int_eq(driftstat_psi_compute(a, b, NB, &psi), 0);
    ck_assert_int_eq(psi.nbins, 10);
    ck_assert_double_eq_tol(psi.edges[1], 0.010, 1e-12);
    ck_assert_double_eq_tol(psi.edges[9], 0.090, 1e-12);
    ck_assert_double_eq_tol(psi.edges[10], 1.0, 1e-12);
    ck_assert_double_eq_tol(psi.current_share[1], 0.0, 1e-12);
    ck_assert_double_eq_tol(psi.psi, 7.2784576808, 1e-9);
    driftstat_ks ks;
    ck_assert_int_eq(driftstat_ks_compute(a, b, NB, &ks), 0);
    ck_assert_double_eq_tol(ks.d, 0.85, 1e-12);
    ck_assert_double_eq_tol(ks.at, 0.095, 1e-12);
    ck_assert_double_lt(ks.p_value, 1e-100);
}
END_TEST

START_TEST(identical_is_no_drift)
{
    uint64_t a[NB];
    normal_counts(a, 5000, 0.88, 0.05);
    driftstat_psi psi;
    driftstat_ks ks;
    ck_assert_int_eq(driftstat_psi_compute(a, a, NB, &psi), 0);
    ck_assert_int_eq(driftstat_ks_compute(a, a, NB, &ks), 0);
    ck_assert_double_eq(psi.psi, 0);
    ck_assert_str_eq(driftstat_psi_band(psi.psi), "none");
    ck_assert_double_eq(ks.d, 0);
    ck_assert_double_eq(ks.p_value, 1);
}
END_TEST

START_TEST(degenerate_inputs)
{
    uint64_t a[NB] = {0}, b[NB] = {0};
    driftstat_psi psi;
    driftstat_ks ks;
    ck_assert_int_eq(driftstat_psi_compute(a, b, NB, &psi), -1);
    ck_assert_int_eq(driftstat_ks_compute(a, b, NB, &ks), -1);
    a[900] = 50; /* every baseline value in one bin: the deciles merge into fewer bins */
    b[950] = 25;
    b[800] = 25;
    ck_assert_int_eq(driftstat_psi_compute(a, b, NB, &psi), 0);
    ck_assert_int_eq(psi.nbins, 2);
    ck_assert_double_eq_tol(psi.edges[1], 0.901, 1e-12);
    /* bin [0, 0.901): p = 1, q = 0.5; bin [0.901, 1]: p = 0 -> 1e-4, q = 0.5 */
    ck_assert_double_eq_tol(psi.base_share[0], 1.0, 1e-12);
    ck_assert_double_eq_tol(psi.psi, (0.5 - 1.0) * log(0.5) + (0.5 - 1e-4) * log(0.5 / 1e-4), 1e-9);
    ck_assert_int_eq(driftstat_psi_compute(a, b, 5, &psi), -1); /* fewer bins than deciles */
    ck_assert_str_eq(driftstat_psi_band(0.1), "moderate");
    ck_assert_str_eq(driftstat_psi_band(0.25), "major");
    ck_assert_double_eq(driftstat_kolmogorov_q(0), 1);
    ck_assert_double_eq_tol(driftstat_kolmogorov_q(1.3581), 0.05, 1e-4); /* the 5 % point */
    ck_assert_double_eq_tol(driftstat_kolmogorov_q(1.0), 0.26999967, 1e-7);
}
END_TEST

START_TEST(restore_rate_undoes_a_shift)
{
    uint64_t a[NB], b[NB];
    normal_counts(a, 20000, 0.90, 0.04);
    normal_counts(b, 20000, 0.85, 0.04);
    double old_rate = driftstat_share_below(a, NB, 850); /* threshold 0.85 */
    ck_assert_double_eq_tol(old_rate, 0.5 * (1 + erf(-1.25 / sqrt(2))), 0.001);
    ck_assert_double_gt(driftstat_share_below(b, NB, 850), 0.45); /* the drift doubled it... */
    size_t k;
    double rate;
    ck_assert_int_eq(driftstat_restore_rate(b, NB, old_rate, 850, &k, &rate), 0);
    ck_assert_uint_eq(k, 800); /* ...and 0.05 lower undoes a 0.05 shift */
    ck_assert_double_eq_tol(rate, old_rate, 0.01);
    /* no drift: the current threshold stays, even across empty bins around it */
    uint64_t c[NB] = {0};
    c[700] = 10;
    c[950] = 90;
    ck_assert_int_eq(driftstat_restore_rate(c, NB, 0.1, 850, &k, &rate), 0);
    ck_assert_uint_eq(k, 850);
    ck_assert_double_eq(rate, 0.1);
    ck_assert_int_eq(driftstat_restore_rate(a, NB, old_rate, 850, &k, &rate), 0);
    ck_assert_uint_eq(k, 850);
    memset(c, 0, sizeof c);
    ck_assert_int_eq(driftstat_restore_rate(c, NB, 0.1, 850, &k, &rate), -1);
}
END_TEST

START_TEST(target_precision_and_recall)
{
    /* right answers: 10 in each bin 800..899 (1,000); wrong: 10 in each bin 700..799 and
     * 1 in each bin 800..849 (50). Above 0.75: 1,000 right, 550 wrong. */
    uint64_t ok[NB] = {0}, bad[NB] = {0};
    for (int i = 800; i < 900; i++)
        ok[i] = 10;
    for (int i = 700; i < 800; i++)
        bad[i] = 10;
    for (int i = 800; i < 850; i++)
        bad[i] = 1;
    driftstat_pr pr;
    driftstat_pr_at(ok, bad, NB, 750, &pr);
    ck_assert_uint_eq(pr.accepted, 1550);
    ck_assert_double_eq_tol(pr.precision, 1000.0 / 1550, 1e-12);
    ck_assert_double_eq_tol(pr.recall, 1.0, 1e-12);
    size_t k;
    ck_assert_int_eq(driftstat_target_precision(ok, bad, NB, 0.95, &k, &pr), 0);
    ck_assert_uint_eq(k, 800); /* 1000 / 1050 = 0.952 */
    ck_assert_double_eq_tol(pr.recall, 1.0, 1e-12);
    ck_assert_int_eq(driftstat_target_precision(ok, bad, NB, 0.98, &k, &pr), 0);
    /* for 800 <= k < 850 precision is 10 (900 - k) / (10 (900 - k) + 850 - k), which is
     * >= 0.98 <=> 0.2 (900 - k) >= 0.98 (850 - k) <=> k >= 837.18: 838, where 620 right
     * and 12 wrong are accepted */
    ck_assert_uint_eq(k, 838);
    ck_assert_double_eq_tol(pr.precision, 620.0 / 632, 1e-12);
    ck_assert_double_eq_tol(pr.recall, 0.62, 1e-12);
    ck_assert_int_eq(driftstat_target_precision(ok, bad, NB, 1.0, &k, &pr), 0);
    ck_assert_uint_eq(k, 850);
    /* unreachable: every accepted set has a wrong answer in it */
    uint64_t bad2[NB] = {0};
    bad2[999] = 1;
    ck_assert_int_eq(driftstat_target_precision(ok, bad2, NB, 1.0, &k, &pr), 1);
    uint64_t none[NB] = {0};
    ck_assert_int_eq(driftstat_target_precision(none, none, NB, 0.9, &k, &pr), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("drift");
    TCase *t = tcase_create("driftstat");
    tcase_add_test(t, psi_ks_match_reference);
    tcase_add_test(t, known_shift_matches_theory);
    tcase_add_test(t, psi_by_hand_with_empty_bins);
    tcase_add_test(t, identical_is_no_drift);
    tcase_add_test(t, degenerate_inputs);
    tcase_add_test(t, restore_rate_undoes_a_shift);
    tcase_add_test(t, target_precision_and_recall);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(suite)
