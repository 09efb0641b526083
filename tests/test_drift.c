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
#include "compare.h"
#include "driftstat.h"
#include "gate.h"

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

/* A report.json as the harness writes it, with only what compare reads: one version's
 * fine confidence histogram (all answers labelled; wrong ones are those below wrong_below),
 * the threshold the answers named, outcomes and one endpoint's latency and cost. */
static cJSON *synthetic_report(const char *version, const uint64_t *c, size_t wrong_below,
                               double fallback_rate, double p99_us, double cost_micros)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "tool", "wxai-harness");
    cJSON *conf = cJSON_AddObjectToObject(r, "confidence");
    cJSON_AddNumberToObject(conf, "threshold", 0.85);
    cJSON *fine = cJSON_AddObjectToObject(conf, "fine");
    cJSON_AddNumberToObject(fine, "bins", NB);
    cJSON *rows =
        cJSON_AddArrayToObject(cJSON_AddObjectToObject(fine, "by_model_version"), version);
    for (int b = 0; b < NB; b++) {
        if (!c[b]) continue;
        int ok = (size_t)b >= wrong_below;
        double row[4] = {b, (double)c[b], ok ? (double)c[b] : 0, ok ? 0 : (double)c[b]};
        cJSON_AddItemToArray(rows, cJSON_CreateDoubleArray(row, 4));
    }
    cJSON *oc = cJSON_AddObjectToObject(r, "outcomes");
    cJSON_AddNumberToObject(oc, "ready", 1000 * (1 - fallback_rate));
    cJSON_AddNumberToObject(oc, "form_fallback", 1000 * fallback_rate);
    cJSON_AddNumberToObject(oc, "fallback_rate", fallback_rate);
    cJSON *ep = cJSON_AddObjectToObject(
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(r, "latency"), "endpoints"),
        "order_routing");
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(ep, "corrected"), "p99_us", p99_us);
    cJSON *cost = cJSON_AddObjectToObject(r, "cost");
    cJSON_AddNumberToObject(cost, "total_micros", cost_micros);
    cJSON *be = cJSON_CreateObject();
    cJSON_AddStringToObject(be, "endpoint", "order_routing");
    cJSON_AddNumberToObject(be, "cost_micros", cost_micros);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(cost, "by_endpoint"), be);
    return r;
}

static int gate(const compare_result *r, const char *text, double *observed)
{
    gate_expr e;
    gate_error err;
    gate_result res;
    ck_assert_msg(gate_parse(text, compare_vocab(), &e, &err) == GATE_OK, "%s: %s", text, err.msg);
    gate_eval(&e, compare_resolve, (void *)r, &res);
    if (observed) *observed = res.observed;
    return res.verdict == GATE_PASS;
}

START_TEST(compare_recommends_the_shifted_threshold)
{
    uint64_t a[NB], b[NB];
    normal_counts(a, 20000, 0.90, 0.04);
    normal_counts(b, 20000, 0.85, 0.04);
    /* wrong parses sit below 0.88 in the old and 0.83 in the new: the same answers */
    cJSON *old = synthetic_report("2026.09", a, 880, 0.10, 120000, 2000000);
    cJSON *nw = synthetic_report("2026.12", b, 830, 0.30, 150000, 2500000);
    compare_opts o;
    compare_defaults(&o);
    compare_result *r;
    char err[256];
    ck_assert_int_eq(compare_run(old, nw, &o, &r, err, sizeof err), 0);
    ck_assert_double_eq_tol(r->threshold, 0.85, 1e-12);
    ck_assert_str_eq(r->threshold_from, "answers");
    ck_assert_double_eq_tol(r->recommended, 0.80, 1e-12);
    ck_assert(r->changed);
    ck_assert_double_eq_tol(r->restored_rate, r->side[COMPARE_OLD].model_fallback, 0.01);
    ck_assert_double_eq_tol(r->psi.psi, 1.4206397397, 1e-9); /* the reference pair above */
    ck_assert_double_eq_tol(r->ks.d, 0.4682676568, 1e-9);
    /* 98 % precision on the new version: the lowest threshold keeping wrong ones to 2 % */
    ck_assert_int_eq(r->precision_status, 0);
    ck_assert_double_ge(r->precision_pr.precision, 0.98);
    driftstat_pr below;
    driftstat_pr_at(r->side[1].correct, r->side[1].incorrect, NB,
                    (size_t)(r->precision_threshold * NB + 0.5) - 1, &below);
    ck_assert_double_lt(below.precision, 0.98);
    ck_assert_double_gt(r->precision_threshold, 0.75);
    ck_assert_double_lt(r->precision_threshold, 0.83 + 1e-9);
    ck_assert_double_gt(r->precision_pr.recall, 0.99); /* only right answers lie above 0.83 */
    /* the table has the current and recommended thresholds, sorted */
    int seen = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        if (i) ck_assert_double_gt(r->rows[i].threshold, r->rows[i - 1].threshold);
        seen += fabs(r->rows[i].threshold - 0.85) < 1e-9 || fabs(r->rows[i].threshold - 0.8) < 1e-9;
    }
    ck_assert_int_eq(seen, 2);
    double v;
    ck_assert(!gate(r, "psi(confidence)<0.1", &v));
    ck_assert_double_eq_tol(v, 1.4206397397, 1e-9);
    ck_assert(!gate(r, "delta(rate(fallback))<2pp", &v));
    ck_assert_double_eq_tol(v, 0.20, 1e-9);
    ck_assert(gate(r, "delta(p99(latency{endpoint=order_routing}))<40ms", &v));
    ck_assert_double_eq_tol(v, 30000, 1e-9);
    ck_assert(gate(r, "threshold.change>-0.06", &v));
    ck_assert_double_eq_tol(v, -0.05, 1e-9);
    ck_assert(gate(r, "cost.total{endpoint=order_routing}<3CNY", &v));
    ck_assert_double_eq_tol(v, 2500000, 1e-9);
    cJSON *j = compare_json(r, NULL, NULL, 0);
    ck_assert_ptr_nonnull(j);
    ck_assert_double_eq_tol(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "threshold"), "recommended")->valuedouble, 0.80,
        1e-12);
    cJSON_Delete(j);
    compare_free(r);
    cJSON_Delete(old);
    cJSON_Delete(nw);
}
END_TEST

START_TEST(compare_no_drift_recommends_no_change)
{
    uint64_t a[NB], b[NB];
    normal_counts(a, 20000, 0.90, 0.04);
    normal_counts(b, 20003, 0.9002, 0.04); /* a slightly different sample of the same model */
    cJSON *old = synthetic_report("2026.09", a, 0, 0.10, 1000, 1000);
    cJSON *nw = synthetic_report("2026.09", b, 0, 0.10, 1000, 1000);
    compare_result *r;
    char err[256];
    ck_assert_int_eq(compare_run(old, nw, NULL, &r, err, sizeof err), 0);
    ck_assert(!r->changed);
    ck_assert_double_eq_tol(r->recommended, 0.85, 1e-12);
    ck_assert_double_lt(r->psi.psi, 0.01);
    ck_assert(gate(r, "psi(confidence)<0.1", NULL));
    ck_assert(gate(r, "delta(rate(fallback))<2pp", NULL));
    ck_assert(gate(r, "threshold.change==0", NULL));
    compare_free(r);
    /* identical: exactly zero, whatever the tolerance */
    compare_opts o;
    compare_defaults(&o);
    o.tolerance = 0;
    ck_assert_int_eq(compare_run(old, old, &o, &r, err, sizeof err), 0);
    ck_assert(!r->changed);
    ck_assert_double_eq(r->psi.psi, 0);
    ck_assert_double_eq(r->ks.d, 0);
    compare_free(r);
    cJSON_Delete(old);
    cJSON_Delete(nw);
}
END_TEST

START_TEST(compare_refuses_bad_reports)
{
    uint64_t a[NB];
    normal_counts(a, 1000, 0.90, 0.04);
    cJSON *good = synthetic_report("2026.09", a, 0, 0.1, 1, 1);
    cJSON *empty = cJSON_CreateObject();
    compare_result *r = (compare_result *)1;
    char err[256];
    ck_assert_int_eq(compare_run(good, empty, NULL, &r, err, sizeof err), -1);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(err, "new: no confidence.fine"));
    compare_opts o;
    compare_defaults(&o);
    o.new_version = "2026.12";
    ck_assert_int_eq(compare_run(good, good, &o, &r, err, sizeof err), -1);
    ck_assert_str_eq(err, "new: no answers from model version '2026.12' (the run has: 2026.09)");
    /* a row whose right and wrong answers outnumber its answers */
    cJSON *bad = cJSON_Duplicate(good, 1);
    cJSON *rows = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(bad, "confidence"), "fine"),
                            "by_model_version"),
        "2026.09");
    double row[4] = {900, 1, 2, 0};
    cJSON_AddItemToArray(rows, cJSON_CreateDoubleArray(row, 4));
    ck_assert_int_eq(compare_run(bad, good, NULL, &r, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "correct + incorrect <= answers"));
    compare_free(NULL);
    cJSON_Delete(bad);
    cJSON_Delete(good);
    cJSON_Delete(empty);
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
    TCase *c = tcase_create("compare");
    tcase_add_test(c, compare_recommends_the_shifted_threshold);
    tcase_add_test(c, compare_no_drift_recommends_no_change);
    tcase_add_test(c, compare_refuses_bad_reports);
    suite_add_tcase(s, c);
    return s;
}

CHECK_MAIN(suite)
