/* End to end: wxai-harness against the embedded mock, a separately started
 * wxai-mock, and a deliberately broken stand-in (tests/doubles): the same
 * answers from both mocks, exactly the expected checks failing on each
 * defect, coordinated omission visible in the corrected latency only, and
 * the exit codes for bad input and an unreachable target. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e.h"
#include "json.h"
#include "proc.h"

static char tmpdir[256];

static void setup(void)
{
    proc_tmpdir("e2e-harness", tmpdir, sizeof tmpdir);
}

static void teardown(void)
{
    proc_rmdir(tmpdir);
}

static const char *tmp(const char *name)
{
    return proc_path(tmpdir, name);
}

/* Runs wxai-harness with args (NULL-terminated), stdout and stderr to files in tmpdir.
 * Returns its exit status. */
static int harness(const char *const *args)
{
    return proc_run(WXAI_HARNESS_BIN, args, tmp("stdout"), tmp("stderr"));
}

static cJSON *report(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/report.json", dir);
    char *text = proc_slurp(path);
    cJSON *r = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(cJSON_GetObjectItem(r, "version")->valueint, 1);
    return r;
}

static long failed_of(const cJSON *rep, const char *check)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(rep, "checks"))
    {
        if (strcmp(json_string(c, "name"), check) == 0)
            return (long)cJSON_GetObjectItem(c, "failed")->valuedouble;
    }
    ck_abort_msg("no check %s", check);
    return -1;
}

static long passed_of(const cJSON *rep, const char *check)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(rep, "checks"))
    {
        if (strcmp(json_string(c, "name"), check) == 0)
            return (long)cJSON_GetObjectItem(c, "passed")->valuedouble;
    }
    return -1;
}

/* Sorted lines of a file, joined: dumps are written in completion order. */
static char *sorted_lines(const char *path)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "LC_ALL=C sort '%s' > '%s.sorted'", path, path);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s.sorted", path);
    return proc_slurp(cmd);
}

/* n order-routing records every 10 ms that the double answers as "ready". */
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

START_TEST(embedded_and_spawned_mock_agree)
{
    mock_proc m;
    const char *traffic = e2e_src("fixtures/traffic/default.jsonl");
    const char *scen = e2e_src("scenarios/default.yaml");
    char dump_a[600], dump_b[600], rep_a[600], rep_b[600];
    snprintf(dump_a, sizeof dump_a, "%s", tmp("a.jsonl"));
    snprintf(dump_b, sizeof dump_b, "%s", tmp("b.jsonl"));
    snprintf(rep_a, sizeof rep_a, "%s", tmp("rep-a"));
    snprintf(rep_b, sizeof rep_b, "%s", tmp("rep-b"));

    const char *a[] = {"run",    "--scenario", scen,       "--traffic", traffic,   "--speed", "4",
                       "--dump", dump_a,       "--report", rep_a,       "--quiet", NULL};
    int ca = harness(a);
    ck_assert_int_ne(ca, 2);
    ck_assert_int_ne(ca, 4);

    ck_assert_int_eq(mock_start(scen, NULL, &m), 0);
    const char *b[] = {"run",     "--scenario", scen,       "--traffic", traffic,
                       "--speed", "4",          "--target", m.url,       "--dump",
                       dump_b,    "--report",   rep_b,      "--quiet",   NULL};
    int cb = harness(b);
    ck_assert_int_eq(mock_stop(&m), 0);
    ck_assert_int_eq(ca, cb);

    char *la = sorted_lines(dump_a), *lb = sorted_lines(dump_b);
    ck_assert_uint_gt(strlen(la), 1000); /* a hundred records, not an empty file */
    ck_assert_str_eq(la, lb);
    cJSON *ra = report(rep_a), *rb = report(rep_b);
    ck_assert_str_eq(json_string(ra, "records_digest"), json_string(rb, "records_digest"));
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(ra, "target"), "embedded")));
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(rb, "target"), "embedded")));
    /* Every signed response from the mock verifies. */
    ck_assert_int_eq(failed_of(ra, "response_signature_valid"), 0);
    ck_assert_int_gt(passed_of(ra, "response_signature_valid"), 50);
    free(la);
    free(lb);
    cJSON_Delete(ra);
    cJSON_Delete(rb);
}
END_TEST

/* Runs the coffee traffic against the double in mode; returns the report. */
static cJSON *against_double(const char *mode, int n, const char *const *extra, int *code)
{
    mock_proc m;
    mock_start_double(WXAI_BROKEN_BIN, mode, &m);
    const char *args[32] = {"run",      "--traffic", coffee_traffic(n), "--target", m.url,
                            "--report", tmp("rep"),  "--policy",        "direct",   "--quiet"};
    int k = 10;
    for (int i = 0; extra && extra[i]; i++)
        args[k++] = extra[i];
    args[k] = NULL;
    *code = harness(args);
    ck_assert_int_eq(mock_stop(&m), 0);
    return report(tmp("rep"));
}

static const char *const all_checks[] = {"status_code_conformance",
                                         "content_type_conformance",
                                         "response_schema_conformance",
                                         "response_signature_valid",
                                         "request_id_present",
                                         "error_shape",
                                         "retry_after_on_429",
                                         "clarification_flow",
                                         "amounts_consistent",
                                         "confidence_vs_threshold",
                                         "cost_matches_pricing",
                                         "expectations",
                                         NULL};

static void only_failing(const cJSON *rep, const char *check, long n)
{
    for (int i = 0; all_checks[i]; i++) {
        long f = failed_of(rep, all_checks[i]);
        if (check && strcmp(all_checks[i], check) == 0)
            ck_assert_msg(f == n, "%s failed %ld times, expected %ld", all_checks[i], f, n);
        else
            ck_assert_msg(f == 0, "%s failed %ld times, expected none", all_checks[i], f);
    }
}

START_TEST(healthy_double_passes_everything)
{
    int code;
    cJSON *rep = against_double("ok", 20, NULL, &code);
    only_failing(rep, NULL, 0);
    ck_assert_int_eq(code, 0);
    ck_assert_int_eq(passed_of(rep, "response_signature_valid"), 20);
    cJSON_Delete(rep);
}
END_TEST

START_TEST(dropped_signatures_fail_the_signature_check_only)
{
    int code;
    cJSON *rep = against_double("nosign", 20, NULL, &code);
    only_failing(rep, "response_signature_valid", 20);
    ck_assert_int_eq(code, 1);
    /* A failure keeps the record, what was expected and a curl command with the
     * signature headers as sent. */
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(rep, "checks"))
    {
        if (strcmp(json_string(c, "name"), "response_signature_valid") != 0) continue;
        const cJSON *ex = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "examples"), 0);
        ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(c, "examples")), 5);
        ck_assert_ptr_nonnull(strstr(json_string(ex, "record_id"), "c-"));
        ck_assert_ptr_nonnull(strstr(json_string(ex, "curl"), "Wechatpay-Signature: "));
        ck_assert_ptr_nonnull(strstr(json_string(ex, "curl"), "/v3/ai/order-routing"));
        ck_assert_ptr_nonnull(strstr(json_string(ex, "seen"), "no Wechatpay-Signature"));
    }
    cJSON_Delete(rep);
}
END_TEST

START_TEST(wrong_schema_fails_the_schema_check_only)
{
    int code;
    cJSON *rep = against_double("badschema", 20, NULL, &code);
    only_failing(rep, "response_schema_conformance", 20);
    ck_assert_int_eq(code, 1);
    cJSON_Delete(rep);
}
END_TEST

START_TEST(excluded_check_does_not_fail_the_run)
{
    int code;
    const char *extra[] = {"--exclude-checks", "response_signature_valid", NULL};
    cJSON *rep = against_double("nosign", 10, extra, &code);
    ck_assert_int_eq(code, 0);
    only_failing(rep, NULL, 0);
    cJSON_Delete(rep);
}
END_TEST

/* One request stalls 1 s while the open model keeps scheduling at 100/s with one
 * request in flight: ~100 requests wait behind it. Their corrected latency shows the
 * stall; measured from the actual send only one request does. */
START_TEST(coordinated_omission_is_corrected)
{
    int code;
    const char *extra[] = {"--rate", "100", "--concurrency", "1", NULL};
    cJSON *rep = against_double("stall", 300, extra, &code);
    ck_assert_int_eq(code, 0);
    const cJSON *ov = cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "latency"), "overall");
    const cJSON *cor = cJSON_GetObjectItem(ov, "corrected");
    const cJSON *unc = cJSON_GetObjectItem(ov, "uncorrected");
    double cp99 = cJSON_GetObjectItem(cor, "p99_us")->valuedouble;
    double up99 = cJSON_GetObjectItem(unc, "p99_us")->valuedouble;
    double umax = cJSON_GetObjectItem(unc, "max_us")->valuedouble;
    ck_assert_msg(cp99 >= 500000, "corrected p99 %.0f us does not show the stall", cp99);
    ck_assert_msg(up99 < 250000, "uncorrected p99 %.0f us shows the stall", up99);
    ck_assert_msg(umax >= 900000, "the stalled request itself took %.0f us", umax);
    cJSON_Delete(rep);
}
END_TEST

/* One slot, so every request goes through the same reused easy handle: orders, a failed
 * transfer, an unsigned 500 with its retries, GETs without a body in between. The picky
 * double answers 400 to any request that carries something of the one before it (a
 * body on a GET, a stale signature, a missing header), and a stale response header
 * would fail the signature check of the unsigned 500. */
static void picky_run(const char *client)
{
    static const char *const recs[][3] = {
        /* id, text (NULL: GET /v1/models), expected status */
        {"ok-1", "coffee one", "200"},   {"drop-1", "drop", "0"},
        {"ok-2", "coffee two", "200"},   {"fail-1", "fail", "500"},
        {"ok-3", "coffee three", "200"}, {"models-1", NULL, "200"},
        {"ok-4", "coffee four", "200"},  {"drop-2", "drop", "0"},
        {"models-2", NULL, "200"},       {"fail-2", "fail", "500"},
        {"models-3", NULL, "200"},       {"ok-5", "coffee five", "200"},
    };
    const size_t n = sizeof recs / sizeof recs[0];
    const char *path = tmp("picky.jsonl");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < n; i++) {
        if (recs[i][1])
            fprintf(f,
                    "{\"id\":\"%s\",\"at_ms\":0,\"merchant\":\"1900000109\","
                    "\"endpoint\":\"order_routing\",\"request\":{\"method\":\"POST\","
                    "\"path\":\"/v3/ai/order-routing\",\"body\":{\"text\":\"%s\"}}}\n",
                    recs[i][0], recs[i][1]);
        else
            fprintf(f,
                    "{\"id\":\"%s\",\"at_ms\":0,\"endpoint\":\"models\","
                    "\"request\":{\"method\":\"GET\",\"path\":\"/v1/models\"}}\n",
                    recs[i][0]);
    }
    fclose(f);
    mock_proc m;
    mock_start_double(WXAI_BROKEN_BIN, "picky", &m);
    const char *args[] = {
        "run",      "--traffic",      path,       "--target",      m.url,
        "--dump",   tmp("picky.out"), "--report", tmp("rep"),      "--concurrency",
        "1",        "--policy",       "hybrid",   "--http-client", client,
        "--strict", "--quiet",        NULL};
    int code = harness(args);
    ck_assert_int_eq(mock_stop(&m), 0);
    /* every check passes: a 500 and a failed transfer are the target's doing, not defects */
    ck_assert_int_eq(code, 0);
    cJSON *rep = report(tmp("rep"));
    only_failing(rep, NULL, 0);

    char *dump = proc_slurp(tmp("picky.out"));
    ck_assert_ptr_nonnull(dump);
    for (size_t i = 0; i < n; i++) {
        char want[160];
        snprintf(want, sizeof want, "{\"id\":\"%s\",\"status\":%s,", recs[i][0], recs[i][2]);
        ck_assert_msg(strstr(dump, want), "%s not in\n%s", want, dump);
    }
    free(dump);
    const cJSON *tot = cJSON_GetObjectItem(rep, "totals");
    const cJSON *codes = cJSON_GetObjectItem(tot, "status_codes");
    ck_assert_msg(!cJSON_GetObjectItem(codes, "400"), "a request was malformed: %s",
                  cJSON_PrintUnformatted(codes));
    /* the 500s are retried (hybrid): 3 retries each, every one checked afresh */
    ck_assert_int_eq(cJSON_GetObjectItem(tot, "retries")->valueint, 6);
    ck_assert_int_eq(failed_of(rep, "response_signature_valid"), 0);
    ck_assert_int_eq(passed_of(rep, "response_signature_valid"), 5);
    ck_assert_int_eq(failed_of(rep, "request_id_present"), 0);
    cJSON_Delete(rep);
}

START_TEST(requests_after_failures_carry_only_their_own_headers)
{
    picky_run("wire");
}
END_TEST

/* The same with every request a full libcurl transfer. */
START_TEST(the_curl_client_still_passes_the_picky_double)
{
    picky_run("curl");
}
END_TEST

/* The raw double's GET /stats: connections it accepted, requests it answered and
 * requests it dropped unanswered. */
static void raw_stats(const mock_proc *m, long *conns, long *answered, long *dropped)
{
    e2e_resp r;
    ck_assert_int_eq(e2e_http(m, "GET", "/stats", NULL, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    *conns = (long)cJSON_GetObjectItem(r.json, "connections")->valuedouble;
    *answered = (long)cJSON_GetObjectItem(r.json, "answered")->valuedouble;
    *dropped = (long)cJSON_GetObjectItem(r.json, "dropped")->valuedouble;
    e2e_resp_free(&r);
}

/* Servers that frame their answers in ways CivetWeb does not: closing the connection
 * after each answer (saying so, or silently), dropping a kept connection just as the
 * next request arrives on it (which must be sent again on a new one), and chunked
 * bodies after a 100 Continue. One slot, so every request after the first
 * goes where the previous one went; both HTTP clients must get every answer. A server
 * that never answers is a_mute_server_times_out_every_request. */
START_TEST(answers_closed_silently_or_chunked_all_arrive)
{
    static const struct {
        const char *mode;
        long conns; /* the token's and the orders' */
        long dropped;
    } modes[] = {
        {"close", 21, 0},
        {"silent", 21, 0},
        /* libcurl 7.88 itself lost some of these, and of "silent" under load ("Failed
         * sending data to the peer"); the scheduler sends them once more (take_done) */
        {"drop", 21, 19},
        {"chunked", 2, 0},
    };
    static const char *const clients[] = {"wire", "curl"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        for (int c = 0; c < 2; c++) {
            mock_proc m;
            mock_start_double(WXAI_RAW_BIN, modes[i].mode, &m);
            const char *args[] = {"run",      "--traffic",     coffee_traffic(20),
                                  "--target", m.url,           "--report",
                                  tmp("rep"), "--dump",        tmp("raw.out"),
                                  "--policy", "direct",        "--concurrency",
                                  "1",        "--http-client", clients[c],
                                  "--strict", "--quiet",       NULL};
            int code = harness(args);
            long conns, answered, dropped;
            raw_stats(&m, &conns, &answered, &dropped);
            ck_assert_int_eq(mock_stop(&m), 0);
            ck_assert_msg(code == 0, "%s/%s: exit %d", modes[i].mode, clients[c], code);
            cJSON *rep = report(tmp("rep"));
            only_failing(rep, NULL, 0);
            ck_assert_int_eq(passed_of(rep, "response_signature_valid"), 20);
            const cJSON *tot = cJSON_GetObjectItem(rep, "totals");
            ck_assert_int_eq(cJSON_GetObjectItem(tot, "records")->valueint, 20);
            const cJSON *codes = cJSON_GetObjectItem(tot, "status_codes");
            ck_assert_msg(cJSON_GetArraySize(codes) == 1 &&
                              cJSON_GetObjectItem(codes, "200")->valueint == 21,
                          "%s/%s: %s", modes[i].mode, clients[c], cJSON_PrintUnformatted(codes));
            char *dump = proc_slurp(tmp("raw.out"));
            for (int k = 1; k <= 20; k++) {
                char want[80];
                snprintf(want, sizeof want, "{\"id\":\"c-%04d\",\"status\":200,", k);
                ck_assert_msg(strstr(dump, want), "%s/%s: %s not in\n%s", modes[i].mode, clients[c],
                              want, dump);
            }
            free(dump);
            /* every record answered once; each dropped request went out again */
            ck_assert_int_eq(answered, 21);
            ck_assert_int_eq(dropped, modes[i].dropped);
            ck_assert_msg(conns == modes[i].conns, "%s/%s: %ld connections", modes[i].mode,
                          clients[c], conns);
            cJSON_Delete(rep);
        }
    }
}
END_TEST

/* One run of five orders through wxai-raw in a proxy mode, with env (http_proxy or
 * https_proxy) naming it and a target where nothing listens: every record must pass. The
 * double's count of proxied requests (or tunnels) and of answers come back. */
static void proxy_run(const char *mode, const char *env, const char *target, const char *ca,
                      const char *client, long *proxied, long *answered)
{
    mock_proc m;
    mock_start_double(WXAI_RAW_BIN, mode, &m);
    ck_assert_msg(strncmp(m.url, "http://", 7) == 0, "%s", m.url); /* proxies speak http */
    const char *args[] = {"run",    "--traffic", coffee_traffic(5), "--target", target,
                          "--report", tmp("rep"), "--policy",      "direct",  "--http-client",
                          client,   "--strict",  "--quiet",         ca ? "--cacert" : NULL,
                          ca,       NULL};
    ck_assert_int_eq(setenv(env, m.url, 1), 0);
    int code = harness(args);
    unsetenv(env);
    e2e_resp r;
    ck_assert_int_eq(e2e_http(&m, "GET", "/stats", NULL, NULL, 0, &r), 0);
    *proxied = (long)cJSON_GetObjectItem(r.json, "proxied")->valuedouble;
    *answered = (long)cJSON_GetObjectItem(r.json, "answered")->valuedouble;
    e2e_resp_free(&r);
    ck_assert_int_eq(mock_stop(&m), 0);
    ck_assert_msg(code == 0, "%s/%s: exit %d", mode, client, code);
    cJSON *rep = report(tmp("rep"));
    only_failing(rep, NULL, 0);
    ck_assert_int_eq(passed_of(rep, "response_signature_valid"), 5);
    cJSON_Delete(rep);
}

/* With a proxy in the environment every request goes to the proxy, on either client
 * (the wire client leaves such runs to libcurl, which knows proxies): the target named
 * here has nothing listening, and the proxy double answers in its place, so every record
 * passing shows that none went anywhere else. */
START_TEST(a_proxy_in_the_environment_carries_every_request)
{
    static const char *const clients[] = {"wire", "curl"};
    for (int c = 0; c < 2; c++) {
        long proxied, answered;
        proxy_run("proxy", "http_proxy", "http://127.0.0.1:9", NULL, clients[c], &proxied,
                  &answered);
        ck_assert_int_eq(proxied, 6); /* the token and five orders */
        ck_assert_int_eq(answered, 6);
    }
}
END_TEST

/* https through the proxy: libcurl asks it for a CONNECT tunnel and speaks TLS inside,
 * trusting the double's certificate with --cacert. Again nothing listens at the target. */
START_TEST(https_goes_through_the_proxy_in_a_tunnel)
{
    const char *ca = tmp("proxy-ca.pem");
    static const char *const clients[] = {"wire", "curl"};
    setenv("WXAI_RAW_CA", ca, 1);
    for (int c = 0; c < 2; c++) {
        long tunnels, answered;
        proxy_run("proxy+tls", "https_proxy", "https://127.0.0.1:9", ca, clients[c], &tunnels,
                  &answered);
        ck_assert_int_ge(tunnels, 1);
        ck_assert_int_eq(answered, 6); /* the token and five orders, all in tunnels */
    }
    unsetenv("WXAI_RAW_CA");
}
END_TEST

/* A server that takes each order and never answers: with --request-timeout every record
 * ends as a transport error ("Timeout was reached", status 0) on either HTTP client, and
 * the run goes on to the next one instead of waiting the default 60 s each. */
START_TEST(a_mute_server_times_out_every_request)
{
    static const char *const clients[] = {"wire", "curl"};
    for (int c = 0; c < 2; c++) {
        mock_proc m;
        mock_start_double(WXAI_RAW_BIN, "mute", &m);
        const char *args[] = {"run",
                              "--traffic",
                              coffee_traffic(3),
                              "--target",
                              m.url,
                              "--report",
                              tmp("rep"),
                              "--dump",
                              tmp("raw.out"),
                              "--policy",
                              "direct",
                              "--concurrency",
                              "1",
                              "--http-client",
                              clients[c],
                              "--quiet",
                              "--request-timeout",
                              "300ms",
                              NULL};
        int code = harness(args);
        long conns, answered, dropped;
        raw_stats(&m, &conns, &answered, &dropped);
        ck_assert_int_eq(mock_stop(&m), 0);
        /* the records expect a 200: the run fails its checks, and says so */
        ck_assert_msg(code == 1, "%s: exit %d", clients[c], code);
        ck_assert_int_eq(dropped, 3); /* each order reached the server, none was answered */
        cJSON *rep = report(tmp("rep"));
        const cJSON *tot = cJSON_GetObjectItem(rep, "totals");
        ck_assert_int_eq(cJSON_GetObjectItem(tot, "records")->valueint, 3);
        ck_assert_int_eq(cJSON_GetObjectItem(tot, "successes")->valueint, 1); /* the token */
        const cJSON *codes = cJSON_GetObjectItem(tot, "status_codes");
        ck_assert_int_eq(cJSON_GetObjectItem(codes, "0")->valueint, 3);
        const cJSON *err = cJSON_GetArrayItem(cJSON_GetObjectItem(tot, "errors"), 0);
        ck_assert_str_eq(json_string(err, "error"), "Timeout was reached");
        ck_assert_int_eq(cJSON_GetObjectItem(err, "count")->valueint, 3);
        char *dump = proc_slurp(tmp("raw.out"));
        for (int k = 1; k <= 3; k++) {
            char want[80];
            snprintf(want, sizeof want, "{\"id\":\"c-%04d\",\"status\":0,\"outcome\":\"error\"", k);
            ck_assert_msg(strstr(dump, want), "%s: %s not in\n%s", clients[c], want, dump);
        }
        free(dump);
        cJSON_Delete(rep);
    }
}
END_TEST

/* https on both HTTP clients (the wire's reads go through libcurl's TLS, which can hold
 * bytes poll() does not see): wxai-raw makes a certificate of its own, and with --cacert
 * naming it every record is answered, kept-alive or on a new connection each time;
 * without it every exchange fails on the certificate before anything is sent. */
START_TEST(https_targets_answer_with_their_ca_and_fail_without)
{
    const char *ca = tmp("raw-ca.pem");
    static const char *const modes[] = {"chunked+tls", "close+tls"};
    static const char *const clients[] = {"wire", "curl"};
    setenv("WXAI_RAW_CA", ca, 1);
    for (int i = 0; i < 3; i++) {
        int trusted = i < 2;
        for (int c = 0; c < 2; c++) {
            mock_proc m;
            mock_start_double(WXAI_RAW_BIN, modes[i % 2], &m);
            ck_assert_msg(strncmp(m.url, "https://", 8) == 0, "%s", m.url);
            /* untrusted: the list ends before --cacert */
            const char *args[] = {
                "run",      "--traffic", coffee_traffic(5), "--target", m.url,
                "--report", tmp("rep"),  "--policy",        "direct",   "--concurrency",
                "1",        "--quiet",   "--http-client",   clients[c], trusted ? "--cacert" : NULL,
                ca,         NULL};
            int code = harness(args);
            ck_assert_int_eq(mock_stop(&m), 0);
            cJSON *rep = report(tmp("rep"));
            const cJSON *tot = cJSON_GetObjectItem(rep, "totals");
            const cJSON *codes = cJSON_GetObjectItem(tot, "status_codes");
            if (trusted) {
                ck_assert_msg(code == 0, "%s/%s: exit %d", modes[i], clients[c], code);
                only_failing(rep, NULL, 0);
                ck_assert_int_eq(passed_of(rep, "response_signature_valid"), 5);
                ck_assert_int_eq(cJSON_GetObjectItem(codes, "200")->valueint, 6);
            } else {
                const cJSON *err = cJSON_GetArrayItem(cJSON_GetObjectItem(tot, "errors"), 0);
                ck_assert_int_eq(code, 1); /* the records expected a 200 */
                ck_assert_ptr_null(cJSON_GetObjectItem(codes, "200"));
                ck_assert_str_eq(json_string(err, "error"),
                                 "SSL peer certificate or SSH remote key was not OK");
            }
            cJSON_Delete(rep);
        }
    }
    unsetenv("WXAI_RAW_CA");
}
END_TEST

START_TEST(bad_lines_are_reported_and_strict_stops)
{
    const char *path = tmp("bad.jsonl");
    FILE *f = fopen(path, "w");
    fputs("{\"id\":\"x-1\",\"merchant\":\"1900000109\",\"request\":{\"method\":\"POST\","
          "\"path\":\"/v3/ai/order-routing\",\"body\":{\"text\":\"my usual coffee\"}}}\n"
          "this is not json\n"
          "{\"id\":\"x-3\",\"request\":{\"path\":\"no-slash\"}}\n"
          "{\"id\":\"x-4\",\"merchant\":\"1900000109\",\"request\":{\"path\":\"/v3/ai/ord",
          f);
    fclose(f);
    const char *lenient[] = {"run", "--traffic", path, "--report", tmp("rep"), "--quiet", NULL};
    ck_assert_int_eq(harness(lenient), 0);
    char *err = proc_slurp(tmp("stderr"));
    ck_assert_ptr_nonnull(strstr(err, "bad.jsonl:2: not valid JSON"));
    ck_assert_ptr_nonnull(strstr(err, "bad.jsonl:3: "));
    ck_assert_ptr_nonnull(strstr(err, "bad.jsonl:4: "));
    ck_assert_ptr_nonnull(strstr(err, "truncated"));
    free(err);
    cJSON *rep = report(tmp("rep"));
    const cJSON *tot = cJSON_GetObjectItem(rep, "totals");
    ck_assert_int_eq(cJSON_GetObjectItem(tot, "bad_lines")->valueint, 3);
    ck_assert_int_eq(cJSON_GetObjectItem(tot, "records")->valueint, 1);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "input_errors")), 3);
    cJSON_Delete(rep);

    const char *strict[] = {"run", "--traffic", path, "--strict", "--quiet", NULL};
    ck_assert_int_eq(harness(strict), 2);
    err = proc_slurp(tmp("stderr"));
    ck_assert_ptr_nonnull(strstr(err, "bad.jsonl:2: "));
    ck_assert_ptr_null(strstr(err, "bad.jsonl:3: "));
    free(err);
}
END_TEST

START_TEST(usage_errors_and_unreachable_target)
{
    const char *bad_opt[] = {"run", "--rate", "fast", NULL};
    ck_assert_int_eq(harness(bad_opt), 2);
    const char *bad_check[] = {"run", "--checks", "status_code_conformance,nope", NULL};
    ck_assert_int_eq(harness(bad_check), 2);
    char *err = proc_slurp(tmp("stderr"));
    ck_assert_ptr_nonnull(strstr(err, "unknown check 'nope'"));
    free(err);
    const char *bad_client[] = {"run", "--http-client", "h2", NULL};
    ck_assert_int_eq(harness(bad_client), 2);
    err = proc_slurp(tmp("stderr"));
    ck_assert_ptr_nonnull(strstr(err, "wire or curl"));
    free(err);
    const char *no_file[] = {"run", "--traffic", tmp("missing.jsonl"), NULL};
    ck_assert_int_eq(harness(no_file), 2);
    /* Port 1 on loopback: nothing listens there. */
    const char *dead[] = {
        "run", "--target", "http://127.0.0.1:1", "--traffic", coffee_traffic(3), "--quiet", NULL};
    ck_assert_int_eq(harness(dead), 4);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_harness");
    TCase *t = tcase_create("harness");
    tcase_set_timeout(t, 240);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, embedded_and_spawned_mock_agree);
    tcase_add_test(t, healthy_double_passes_everything);
    tcase_add_test(t, dropped_signatures_fail_the_signature_check_only);
    tcase_add_test(t, wrong_schema_fails_the_schema_check_only);
    tcase_add_test(t, excluded_check_does_not_fail_the_run);
    tcase_add_test(t, coordinated_omission_is_corrected);
    tcase_add_test(t, requests_after_failures_carry_only_their_own_headers);
    tcase_add_test(t, the_curl_client_still_passes_the_picky_double);
    tcase_add_test(t, answers_closed_silently_or_chunked_all_arrive);
    tcase_add_test(t, a_mute_server_times_out_every_request);
    tcase_add_test(t, a_proxy_in_the_environment_carries_every_request);
    tcase_add_test(t, https_goes_through_the_proxy_in_a_tunnel);
    tcase_add_test(t, https_targets_answer_with_their_ca_and_fail_without);
    tcase_add_test(t, bad_lines_are_reported_and_strict_stops);
    tcase_add_test(t, usage_errors_and_unreachable_target);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(suite)
