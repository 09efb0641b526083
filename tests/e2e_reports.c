/* End to end: what a run hands a CI job and a person. Gates in every report and the exit
 * codes they give (a bad expression points at the character); junit.xml valid against the
 * Jenkins xUnit schema (xmllint) with failures that carry curl reproductions; report.md;
 * report.html rendered by headless Chromium with every chart drawn and no console error;
 * a baseline that forgives known failures and catches regressions; SIGINT leaving valid,
 * partial reports; the progress line only on a terminal. */
#include <check.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e.h"
#include "json.h"
#include "proc.h"

static char tmpdir[256];

static void setup(void)
{
    proc_tmpdir("e2e-reports", tmpdir, sizeof tmpdir);
}

static void teardown(void)
{
    proc_rmdir(tmpdir);
}

static const char *tmp(const char *name)
{
    return proc_path(tmpdir, name);
}

static pid_t spawn(const char *const *args)
{
    return proc_spawn(WXAI_HARNESS_BIN, args, tmp("stdout"), tmp("stderr"));
}

static int harness(const char *const *args)
{
    return proc_run(WXAI_HARNESS_BIN, args, tmp("stdout"), tmp("stderr"));
}

static cJSON *report(const char *dir)
{
    char *text = proc_slurp(proc_path(dir, "report.json"));
    cJSON *r = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(r);
    return r;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* xmllint against the Jenkins junit-10.xsd; the message goes to the test log. */
static void junit_valid(const char *dir)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "xmllint --noout --schema '%s' '%s' 2>'%s'",
             e2e_src("tests/data/junit-10.xsd"), proc_path(dir, "junit.xml"), tmp("xmllint.err"));
    int rc = system(cmd);
    char *err = proc_slurp(tmp("xmllint.err"));
    ck_assert_msg(rc == 0, "junit.xml is not valid: %s", err);
    free(err);
}

static const cJSON *gate_named(const cJSON *rep, const char *expr)
{
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(rep, "gates"))
    {
        if (!strcmp(json_string(g, "expr"), expr)) return g;
    }
    ck_abort_msg("no gate %s", expr);
    return NULL;
}

static const char *default_traffic(void)
{
    return e2e_src("fixtures/traffic/default.jsonl");
}

START_TEST(gates_go_into_every_report)
{
    const char *dir = tmp("rep");
    const char *a[] = {"run",
                       "--traffic",
                       default_traffic(),
                       "--speed",
                       "4",
                       "--report",
                       dir,
                       "--gate",
                       "p95(latency)<10s",
                       "--gate",
                       "p99(latency{endpoint=order_routing})<10s",
                       "--gate",
                       "rate(conformance)==100%",
                       "--gate",
                       "cost.total<50CNY",
                       "--gate",
                       "rate(fallback)<50%",
                       "--gate",
                       "count(requests)<1",
                       NULL};
    ck_assert_int_eq(harness(a), 3);
    cJSON *rep = report(dir);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "gates")), 6);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(gate_named(rep, "cost.total<50CNY"), "passed")));
    const cJSON *bad = gate_named(rep, "count(requests)<1");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(bad, "passed")));
    ck_assert_double_gt(cJSON_GetObjectItem(bad, "observed")->valuedouble, 50);
    ck_assert_int_eq(cJSON_GetObjectItem(rep, "exit_code")->valueint, 3);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(rep, "partial")));

    junit_valid(dir);
    char *junit = proc_slurp(proc_path(dir, "junit.xml"));
    ck_assert_ptr_nonnull(strstr(junit, "<testsuite name=\"gates\" tests=\"6\" failures=\"1\""));
    ck_assert_ptr_nonnull(strstr(junit, "name=\"count(requests)&lt;1\""));
    /* one testcase per check per endpoint, the endpoint as classname (GitLab groups by it) */
    ck_assert_ptr_nonnull(
        strstr(junit, "<testcase name=\"response_signature_valid\" classname=\"order_routing\""));

    char *md = proc_slurp(proc_path(dir, "report.md"));
    ck_assert_ptr_nonnull(strstr(md, "a gate failed (exit 3)"));
    ck_assert_ptr_nonnull(strstr(md, "| `count(requests)<1` |"));
    ck_assert_ptr_nonnull(strstr(md, "| `p95(latency)<10s` |"));

    char *html = proc_slurp(proc_path(dir, "report.html"));
    /* status over time + 2 latency charts for all and each endpoint + confidence per
     * version + 2 cost charts */
    size_t eps = (size_t)cJSON_GetArraySize(
        cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "latency"), "endpoints"));
    size_t versions = (size_t)cJSON_GetArraySize(
        cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "confidence"), "by_model_version"));
    ck_assert_uint_ge(versions, 1);
    ck_assert_uint_eq(count(html, "<svg "), 1 + 2 * (1 + eps) + versions + 2);
    /* self-contained: nothing is fetched */
    ck_assert_ptr_null(strstr(html, "src="));
    ck_assert_ptr_null(strstr(html, "<link"));
    ck_assert_ptr_null(strstr(html, "@import"));
    /* not a terminal: no progress line in the output */
    char *out = proc_slurp(tmp("stdout"));
    ck_assert_ptr_null(strchr(out, '\r'));
    ck_assert_ptr_nonnull(strstr(out, "Gate          FAIL count(requests) = "));
    free(out);
    free(junit);
    free(md);
    free(html);
    cJSON_Delete(rep);
}
END_TEST

START_TEST(bad_gate_is_a_usage_error_with_a_caret)
{
    const char *a[] = {"run", "--gate", "p95(latency)<200ms", "--gate", "p95(latency)<200kg", NULL};
    ck_assert_int_eq(harness(a), 2);
    char *err = proc_slurp(tmp("stderr"));
    ck_assert_ptr_nonnull(strstr(err, "unknown unit 'kg'"));
    ck_assert_ptr_nonnull(strstr(err, "\n  p95(latency)<200kg\n                  ^\n"));
    ck_assert_ptr_null(strstr(err, "usage:"));
    free(err);
    const char *b[] = {"run", "--gate", "rate(conformance)=100%", NULL};
    ck_assert_int_eq(harness(b), 2);
    err = proc_slurp(tmp("stderr"));
    ck_assert_ptr_nonnull(strstr(err, "'=='"));
    free(err);
}
END_TEST

static const char *coffee_traffic(int n)
{
    const char *path = tmp("coffee.jsonl");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < n; i++)
        fprintf(f,
                "{\"id\":\"c-%04d\",\"at_ms\":%d,\"merchant\":\"1900000109\","
                "\"endpoint\":\"order_routing\",\"request\":{\"method\":\"POST\","
                "\"path\":\"/v3/ai/order-routing\",\"body\":{\"text\":\"my usual coffee\"}},"
                "\"expect\":{\"status\":200}}\n",
                i + 1, i * 10);
    fclose(f);
    return path;
}

/* The coffee traffic against the double in mode, reports in dir, plus extra args. */
static int against_double(const char *mode, const char *dir, const char *const *extra)
{
    mock_proc m;
    mock_start_double(WXAI_BROKEN_BIN, mode, &m);
    const char *args[32] = {"run",      "--traffic", coffee_traffic(20), "--target", m.url,
                            "--report", dir,         "--policy",         "direct",   "--quiet"};
    int k = 10;
    for (int i = 0; extra && extra[i]; i++)
        args[k++] = extra[i];
    args[k] = NULL;
    int code = harness(args);
    ck_assert_int_eq(mock_stop(&m), 0);
    return code;
}

START_TEST(check_failures_carry_reproductions_and_gates_win)
{
    const char *dir = tmp("nosign");
    ck_assert_int_eq(against_double("nosign", dir, NULL), 1);
    junit_valid(dir);
    char *junit = proc_slurp(proc_path(dir, "junit.xml"));
    const char *tc =
        strstr(junit, "<testcase name=\"response_signature_valid\" classname=\"order_routing\"");
    ck_assert_ptr_nonnull(tc);
    const char *fail = strstr(tc, "<failure message=\"20 of 20 order_routing failed");
    ck_assert_ptr_nonnull(fail);
    const char *end = strstr(fail, "</failure>");
    ck_assert_ptr_nonnull(end);
    /* up to 3 examples, each with a curl command that sends the request again */
    size_t examples = 0;
    for (const char *p = fail; (p = strstr(p, "reproduce:")) && p < end; p++)
        examples++;
    ck_assert_uint_eq(examples, 3);
    ck_assert_ptr_nonnull(strstr(fail, "record c-0"));
    ck_assert_ptr_nonnull(strstr(fail, "curl "));
    ck_assert_ptr_nonnull(strstr(junit, "<testsuite name=\"checks.response_signature_valid\" "
                                        "tests=\"1\" failures=\"1\""));
    char *md = proc_slurp(proc_path(dir, "report.md"));
    ck_assert_ptr_nonnull(strstr(md, "a check failed (exit 1)"));
    ck_assert_ptr_nonnull(strstr(md, "````sh\ncurl "));
    free(md);
    free(junit);

    /* a check and a gate both failing: the gate's code */
    const char *g[] = {"--gate", "p99(latency)<1us", NULL};
    ck_assert_int_eq(against_double("nosign", tmp("both"), g), 3);
    cJSON *rep = report(tmp("both"));
    ck_assert_int_eq(cJSON_GetObjectItem(rep, "exit_code")->valueint, 3);
    cJSON_Delete(rep);
    /* a gate on an endpoint the run never saw fails: no data is not a pass */
    const char *nd[] = {"--gate", "p99(latency{endpoint=fraud_score})<1s", NULL};
    ck_assert_int_eq(against_double("ok", tmp("nodata"), nd), 3);
    rep = report(tmp("nodata"));
    const cJSON *gt = gate_named(rep, "p99(latency{endpoint=fraud_score})<1s");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(gt, "observed")));
    ck_assert_ptr_nonnull(strstr(json_string(gt, "message"), "no data"));
    cJSON_Delete(rep);
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(baseline_forgives_known_failures_and_catches_regressions)
{
    const char *old = tmp("old");
    const char *gate[] = {"--gate", "p99(latency)<1us", NULL};
    ck_assert_int_eq(against_double("nosign", old, gate), 3);

    /* the same failures again: reported, not failing */
    /* latency of 20 loopback requests is noise: a tolerance that no latency wobble can
     * cross keeps this about failures (cost regressions are tested below) */
    const char *with[] = {"--baseline",  proc_path(old, "report.json"),
                          "--gate",      "p99(latency)<1us",
                          "--tolerance", "100000%",
                          NULL};
    const char *now = tmp("now");
    ck_assert_int_eq(against_double("nosign", now, with), 0);
    cJSON *rep = report(now);
    const cJSON *bl = cJSON_GetObjectItem(rep, "baseline");
    ck_assert_ptr_nonnull(bl);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(bl, "known_failures")), 2);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(bl, "new_failures")), 0);
    cJSON_Delete(rep);
    junit_valid(now);
    char *junit = proc_slurp(proc_path(now, "junit.xml"));
    ck_assert_ptr_nonnull(strstr(junit, "<skipped message=\"already failing in the baseline"));
    ck_assert_ptr_null(strstr(junit, "<failure"));
    free(junit);

    /* a healthy baseline: the signature failures are new and fail the run */
    const char *healthy = tmp("healthy");
    ck_assert_int_eq(against_double("ok", healthy, NULL), 0);
    const char *vs[] = {"--baseline", proc_path(healthy, "report.json"), "--tolerance", "100000%",
                        NULL};
    ck_assert_int_eq(against_double("nosign", tmp("worse"), vs), 1);

    /* cost regression over the tolerance: a baseline that cost almost nothing */
    const char *dir = tmp("cost");
    const char *a[] = {"run",      "--traffic", default_traffic(), "--speed", "4",
                       "--report", dir,         "--quiet",         NULL};
    int first = harness(a);
    ck_assert_int_le(first, 1);
    cJSON *cheap = report(dir);
    cJSON *cost = cJSON_GetObjectItem(cheap, "cost");
    double total = cJSON_GetObjectItem(cost, "total_micros")->valuedouble;
    ck_assert_double_gt(total, 100);
    cJSON_SetNumberValue(cJSON_GetObjectItem(cost, "total_micros"), total / 2);
    /* without latency figures only cost can regress: loopback latency is noise */
    cJSON_DeleteItemFromObject(cheap, "latency");
    char *text = cJSON_Print(cheap);
    write_file(tmp("cheap.json"), text);
    free(text);
    cJSON_Delete(cheap);
    const char *b[] = {"run",      "--traffic",  default_traffic(), "--speed",    "4",
                       "--report", tmp("again"), "--quiet",         "--baseline", tmp("cheap.json"),
                       NULL};
    ck_assert_int_eq(harness(b), 3);
    rep = report(tmp("again"));
    const cJSON *r0 = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "baseline"), "regressions"), 0);
    ck_assert_ptr_nonnull(r0);
    ck_assert_str_eq(json_string(r0, "figure"), "cost.total_micros");
    cJSON_Delete(rep);
    /* the same with a tolerance that covers doubling */
    const char *c[] = {"run",     "--traffic",  default_traffic(), "--speed",     "4",
                       "--quiet", "--baseline", tmp("cheap.json"), "--tolerance", "150%",
                       NULL};
    ck_assert_int_eq(harness(c), first);

    /* a baseline that is not a report is a usage error */
    write_file(tmp("junk.json"), "{\"hello\": 1}");
    const char *d[] = {"run", "--baseline", tmp("junk.json"), NULL};
    ck_assert_int_eq(harness(d), 2);
    const char *e[] = {"run", "--tolerance", "ten", NULL};
    ck_assert_int_eq(harness(e), 2);
}
END_TEST

START_TEST(html_renders_in_headless_chromium)
{
    const char *dir = tmp("html");
    const char *a[] = {"run", "--traffic", default_traffic(), "--speed",          "4", "--report",
                       dir,   "--quiet",   "--gate",          "p95(latency)<10s", NULL};
    ck_assert_int_le(harness(a), 1);
    char *html = proc_slurp(proc_path(dir, "report.html"));
    size_t charts = count(html, "<svg ");
    ck_assert_uint_ge(charts, 6);
    free(html);
    char cmd[2400];
    snprintf(cmd, sizeof cmd,
             "command -v chromium >/dev/null || { echo 'chromium is not installed (.ci/deps)' "
             ">&2; exit 99; }; U=$(mktemp -d) && timeout 120 chromium --headless --no-sandbox "
             "--disable-gpu --disable-quic --no-first-run --disable-background-networking "
             "--disable-component-update --disable-sync --user-data-dir=\"$U\" "
             "--enable-logging=stderr --v=0 --dump-dom 'file://%s' >'%s' 2>'%s'; rc=$?; "
             "rm -rf \"$U\"; exit $rc",
             proc_path(dir, "report.html"), tmp("dom.html"), tmp("chromium.err"));
    int rc = system(cmd);
    char *log = proc_slurp(tmp("chromium.err"));
    ck_assert_msg(rc == 0, "chromium failed (%d): %s", rc, log);
    char *dom = proc_slurp(tmp("dom.html"));
    /* the page's script marks the body once every chart has a non-zero box */
    char want[64];
    snprintf(want, sizeof want, "data-charts-ok=\"%zu\"", charts);
    ck_assert_msg(strstr(dom, want) != NULL, "no %s in the rendered page", want);
    ck_assert_uint_eq(count(dom, "<svg "), charts);
    ck_assert_uint_ge(count(dom, "class=\"bar\""), 40);
    /* no console error and no exception: Chromium logs both as CONSOLE lines */
    ck_assert_msg(strstr(log, "Uncaught") == NULL, "%s", log);
    ck_assert_msg(strstr(log, ":CONSOLE(") == NULL, "%s", log);
    free(dom);
    free(log);
}
END_TEST

START_TEST(sigint_leaves_valid_partial_reports)
{
    const char *dir = tmp("partial");
    /* 6,000 records at 40 a second: two and a half minutes unless interrupted */
    const char *a[] = {"run",
                       "--traffic",
                       e2e_src("fixtures/traffic/retail-day.jsonl"),
                       "--rate",
                       "40",
                       "--report",
                       dir,
                       "--quiet",
                       "--gate",
                       "p95(latency)<10s",
                       NULL};
    pid_t pid = spawn(a);
    /* let it get going; what matters is that it is interrupted mid-run */
    sleep(3);
    ck_assert_int_eq(kill(pid, SIGINT), 0);
    ck_assert_int_eq(proc_wait(pid), 130);
    cJSON *rep = report(dir);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rep, "partial")));
    double records =
        cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "totals"), "records")->valuedouble;
    ck_assert_double_gt(records, 0);
    ck_assert_double_lt(records, 6000);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "gates")), 1);
    cJSON_Delete(rep);
    junit_valid(dir);
    char *md = proc_slurp(proc_path(dir, "report.md"));
    ck_assert_ptr_nonnull(strstr(md, "partial run"));
    char *html = proc_slurp(proc_path(dir, "report.html"));
    ck_assert_ptr_nonnull(strstr(html, "partial run"));
    ck_assert_ptr_nonnull(strstr(html, "</html>"));
    /* no temporary file left behind */
    struct stat sb;
    char tmpname[700];
    snprintf(tmpname, sizeof tmpname, "%s/.report.json.%d.tmp", dir, (int)pid);
    ck_assert_int_ne(stat(tmpname, &sb), 0);
    free(md);
    free(html);
}
END_TEST

/* Runs the harness with stdout on a pseudo-terminal; returns what it printed. */
static char *on_terminal(const char *const *args)
{
    const char *argv[24];
    int n = 0;
    argv[n++] = WXAI_HARNESS_BIN;
    for (int i = 0; args[i] && n < 22; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    ssize_t got;
    while (len < cap && (got = read(master, buf + len, cap - len)) > 0)
        len += (size_t)got;
    buf[len] = '\0';
    close(master);
    int st;
    waitpid(pid, &st, 0);
    return buf;
}

START_TEST(progress_line_on_a_terminal_only)
{
    const char *a[] = {"run", "--traffic", default_traffic(), "--speed", "2", NULL};
    char *out = on_terminal(a);
    ck_assert_msg(strstr(out, "\r\033[K") != NULL, "no progress line in: %.400s", out);
    ck_assert_ptr_nonnull(strstr(out, "/100 records"));
    ck_assert_ptr_nonnull(strstr(out, "ETA"));
    ck_assert_ptr_nonnull(strstr(out, "Requests"));
    free(out);
    const char *q[] = {"run", "--traffic", default_traffic(), "--speed", "2", "--quiet", NULL};
    out = on_terminal(q);
    ck_assert_ptr_null(strstr(out, "ETA"));
    free(out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_reports");
    TCase *tc = tcase_create("reports");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, gates_go_into_every_report);
    tcase_add_test(tc, bad_gate_is_a_usage_error_with_a_caret);
    tcase_add_test(tc, check_failures_carry_reproductions_and_gates_win);
    tcase_add_test(tc, baseline_forgives_known_failures_and_catches_regressions);
    tcase_add_test(tc, html_renders_in_headless_chromium);
    tcase_add_test(tc, sigint_leaves_valid_partial_reports);
    tcase_add_test(tc, progress_line_on_a_terminal_only);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
