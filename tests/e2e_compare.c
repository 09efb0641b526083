/* End to end: wxai-harness run --compare-versions and compare on the labelled
 * retail day under quarterly-drift (embedded mock on port 0): the drift is
 * found and gated (exit 3), the recommended threshold, replayed on the new
 * version, brings the fallback rate back within one percentage point of the
 * old one, a comparison of a version with itself recommends no change, and
 * bad input gets a clear message and exit 2. */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "json.h"
#include "proc.h"

#define SCENARIO WXAI_SOURCE_DIR "/scenarios/quarterly-drift.yaml"
#define TRAFFIC WXAI_SOURCE_DIR "/fixtures/traffic/retail-day.jsonl"
/* checks other suites own stay out of the exit code: this suite is about compare */
#define CHECKS "status_code_conformance,request_id_present,response_signature_valid"

static char tmpdir[256];

static void setup(void)
{
    proc_tmpdir("e2e-compare", tmpdir, sizeof tmpdir);
}

static void teardown(void)
{
    proc_rmdir(tmpdir);
}

static const char *tmp(const char *name)
{
    return proc_path(tmpdir, name);
}

/* Runs wxai-harness with args (NULL-terminated), stdout and stderr to files in tmpdir. */
static int harness(const char *const *args)
{
    return proc_run(WXAI_HARNESS_BIN, args, tmp("stdout"), tmp("stderr"));
}

static cJSON *load(const char *path)
{
    char *text = proc_slurp(path);
    cJSON *r = cJSON_Parse(text);
    free(text);
    ck_assert_msg(r != NULL, "%s does not parse", path);
    return r;
}

/* A number at a dotted path ("threshold.recommended"). */
static double at(const cJSON *j, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *o = j;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        o = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsNumber(o) || cJSON_IsBool(o), "no number at %s", path);
    return cJSON_IsBool(o) ? cJSON_IsTrue(o) : o->valuedouble;
}

static void assert_contains(const char *file, const char *needle)
{
    char *text = proc_slurp(file);
    ck_assert_msg(strstr(text, needle) != NULL, "%s lacks '%s':\n%.2000s", file, needle, text);
    free(text);
}

START_TEST(drift_found_and_threshold_restores_fallback)
{
    /* 1. old vs new, gated: the drift fails the PSI gate (exit 3) */
    const char *a1[] = {"run",
                        "--compare-versions",
                        "2026.09,2026.12",
                        "--scenario",
                        SCENARIO,
                        "--traffic",
                        TRAFFIC,
                        "--rate",
                        "3000",
                        "--checks",
                        CHECKS,
                        "--report",
                        tmp("drift"),
                        "--gate",
                        "psi(confidence)<0.1",
                        "--gate",
                        "ks(confidence)<0.9",
                        NULL};
    int rc = harness(a1);
    char *err = proc_slurp(tmp("stderr"));
    ck_assert_msg(rc == 3, "exit %d, stderr: %s", rc, err);
    free(err);
    assert_contains(tmp("stdout"), "Gate  FAIL  psi(confidence) = ");
    assert_contains(tmp("stdout"), "Gate  pass  ks(confidence) = ");
    cJSON *c = load(tmp("drift/compare.json"));
    ck_assert_double_gt(at(c, "drift.psi.value"), 0.25);
    ck_assert_str_eq(
        json_string(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "drift"), "psi"), "band"), "major");
    ck_assert_double_gt(at(c, "drift.ks.d"), 0.3);
    ck_assert_double_lt(at(c, "drift.ks.p_value"), 1e-6);
    ck_assert_double_eq_tol(at(c, "threshold.current"), 0.85, 1e-9);
    double rec = at(c, "threshold.recommended");
    /* a -0.05 shift: the recommendation sits about 0.05 lower */
    ck_assert_double_eq_tol(rec, 0.80, 0.015);
    ck_assert(at(c, "threshold.change") == 1);
    ck_assert_double_eq_tol(at(c, "threshold.new_below_recommended"), at(c, "threshold.old_below"),
                            0.01);
    ck_assert_double_gt(at(c, "new.fallback_rate"), at(c, "old.fallback_rate") + 0.05);
    /* the labelled day gives precision and recall in the table */
    ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(c, "threshold_table")), 10);
    ck_assert_double_gt(at(c, "old.labelled"), 1000);
    ck_assert_str_eq(
        json_string(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "threshold"), "target_precision"),
                    "status"),
        "reached");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(c, "gates")), 2);
    /* the two runs' own reports and the documents */
    cJSON *old = load(tmp("drift/old/report.json")), *nw = load(tmp("drift/new/report.json"));
    const cJSON *fo = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(old, "confidence"), "fine"),
                            "by_model_version"),
        "2026.09");
    ck_assert_msg(fo && cJSON_GetArraySize(fo) > 0, "old run answered by 2026.09 only");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(
                         cJSON_GetObjectItem(cJSON_GetObjectItem(old, "confidence"), "fine"),
                         "by_model_version")),
                     1);
    assert_contains(tmp("drift/compare.html"), "data-chart=\"confidence\"");
    char mark[64];
    snprintf(mark, sizeof mark, "recommended %.3f", rec);
    assert_contains(tmp("drift/compare.html"), mark);
    assert_contains(tmp("drift/compare.html"), "current 0.850");
    assert_contains(tmp("drift/compare.md"), "| 0.850 |");

    /* 2. the new version alone, at the recommended threshold, twice: a comparison of a
     * version with itself shows no drift and recommends no change */
    char th[32];
    snprintf(th, sizeof th, "%.3f", rec);
    const char *a2[] = {"run",
                        "--compare-versions",
                        "2026.12,2026.12",
                        "--scenario",
                        SCENARIO,
                        "--traffic",
                        TRAFFIC,
                        "--rate",
                        "3000",
                        "--checks",
                        CHECKS,
                        "--threshold",
                        th,
                        "--report",
                        tmp("same"),
                        "--quiet",
                        "--gate",
                        "psi(confidence)<0.1",
                        NULL};
    rc = harness(a2);
    ck_assert_int_eq(rc, 0);
    cJSON *s = load(tmp("same/compare.json"));
    ck_assert_double_eq(at(s, "drift.psi.value"), 0);
    ck_assert_double_eq(at(s, "drift.ks.d"), 0);
    ck_assert(at(s, "threshold.change") == 0);
    ck_assert_double_eq_tol(at(s, "threshold.recommended"), rec, 1e-9);

    /* 3. old at 0.85 against new at the recommended threshold: the fallback rate the
     * client sees is back within one percentage point */
    cJSON *fixed = load(tmp("same/new/report.json"));
    double before = at(old, "outcomes.fallback_rate"), after = at(fixed, "outcomes.fallback_rate");
    ck_assert_msg(fabs(after - before) < 0.01, "fallback %.4f before, %.4f after", before, after);
    ck_assert_double_gt(at(nw, "outcomes.fallback_rate"), before + 0.05); /* it had moved */
    const char *a3[] = {"compare",
                        tmp("drift/old/report.json"),
                        tmp("same/new/report.json"),
                        "--gate",
                        "delta(rate(fallback))<1pp",
                        "--gate",
                        "delta(rate(fallback))>-1pp",
                        NULL};
    rc = harness(a3);
    ck_assert_int_eq(rc, 0);
    assert_contains(tmp("stdout"), "Gate  pass  delta(rate(fallback)) = ");
    const char *a4[] = {"compare", tmp("drift/old/report.json"), tmp("drift/new/report.json"),
                        "--gate",  "delta(rate(fallback))<2pp",  NULL};
    ck_assert_int_eq(harness(a4), 3);
    assert_contains(tmp("stdout"), "Gate  FAIL  delta(rate(fallback)) = ");
    cJSON_Delete(c);
    cJSON_Delete(s);
    cJSON_Delete(old);
    cJSON_Delete(nw);
    cJSON_Delete(fixed);
}
END_TEST

START_TEST(bad_input_exit_2)
{
    /* own copies: tmp() is a small ring and the table below takes more paths than it holds */
    char nope[512], notrep[512], broken[512], x[512];
    snprintf(nope, sizeof nope, "%s", tmp("nope.json"));
    snprintf(notrep, sizeof notrep, "%s", tmp("not-a-report.json"));
    snprintf(broken, sizeof broken, "%s", tmp("broken.json"));
    snprintf(x, sizeof x, "%s", tmp("x.json"));
    FILE *f = fopen(notrep, "w");
    fputs("{\"hello\": 1}\n", f);
    fclose(f);
    f = fopen(broken, "w");
    fputs("{\n\"tool\": \"wxai-harness\",\n", f);
    fclose(f);
    struct {
        const char *args[16];
        const char *message;
    } cases[] = {
        {{"compare", nope, nope, NULL}, "cannot read"},
        {{"compare", notrep, notrep, NULL}, "not a wxai-harness report.json"},
        {{"compare", broken, broken, NULL}, "not valid JSON"},
        {{"compare", x, NULL}, "usage: wxai-harness compare"},
        {{"compare", "a", "b", "--gate", "psi(latency)<0.1", NULL}, "psi() takes one of"},
        {{"compare", "a", "b", "--target-precision", "1.5", NULL}, "--target-precision takes"},
        {{"compare", "a", "b", "--versions", "2026.09", NULL}, "--versions takes OLD,NEW"},
        {{"run", "--compare-versions", "2026.09,2027.01", "--scenario", SCENARIO, "--traffic",
          TRAFFIC, "--max-requests", "1", NULL},
         "model version '2027.01' is not in quarterly-drift (it has: 2026.09 2026.12)"},
        {{"run", "--compare-versions", "2026.09", NULL}, "--compare-versions takes OLD,NEW"},
        {{"run", "--compare-versions", "a,b", "--target", "http://127.0.0.1:9", NULL},
         "cannot be used with --target"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = harness(cases[i].args);
        char *err = proc_slurp(tmp("stderr"));
        ck_assert_msg(rc == 2, "case %zu: exit %d (%s)", i, rc, err);
        ck_assert_msg(strstr(err, cases[i].message) != NULL, "case %zu: stderr '%s' lacks '%s'", i,
                      err, cases[i].message);
        free(err);
    }
}
END_TEST

START_TEST(unknown_version_in_report)
{
    const char *a[] = {"run",
                       "--compare-versions",
                       "2026.09,2026.12",
                       "--scenario",
                       SCENARIO,
                       "--traffic",
                       TRAFFIC,
                       "--max-requests",
                       "300",
                       "--rate",
                       "3000",
                       "--checks",
                       CHECKS,
                       "--report",
                       tmp("small"),
                       "--quiet",
                       NULL};
    ck_assert_int_eq(harness(a), 0);
    /* one report, two versions asked of it: the version missing from it is named */
    const char *b[] = {"compare",
                       tmp("small/old/report.json"),
                       tmp("small/old/report.json"),
                       "--versions",
                       "2026.09,2026.12",
                       NULL};
    ck_assert_int_eq(harness(b), 2);
    assert_contains(tmp("stderr"),
                    "no answers from model version '2026.12' (the run has: 2026.09)");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_compare");
    TCase *t = tcase_create("compare");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 240);
    tcase_add_test(t, drift_found_and_threshold_restores_fallback);
    tcase_add_test(t, bad_input_exit_2);
    tcase_add_test(t, unknown_version_in_report);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(suite)
