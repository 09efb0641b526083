/* wxai-harness: replays recorded client traffic against wxai-mock (started
 * in-process when no --target is given) or any server that speaks the
 * contract, checks conformance, measures latency and adds up cost.
 *
 *   wxai-harness run [options]
 *   wxai-harness list-checks
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "chat.h"
#include "checks.h"
#include "compare.h"
#include "comparedoc.h"
#include "creds.h"
#include "finish.h"
#include "baseline.h"
#include "gate.h"
#include "measure.h"
#include "progress.h"
#include "openapi.h"
#include "policy.h"
#include "report.h"
#include "sched.h"
#include "server.h"
#include "stats.h"
#include "traffic.h"

#ifndef WXAI_DEFAULT_SCENARIO
#define WXAI_DEFAULT_SCENARIO "scenarios/default.yaml"
#endif
#ifndef WXAI_DEFAULT_TRAFFIC
#define WXAI_DEFAULT_TRAFFIC "fixtures/traffic/default.jsonl"
#endif
#ifndef WXAI_OPENAPI
#define WXAI_OPENAPI "fixtures/openapi.yaml"
#endif

enum { EXIT_OK = 0, EXIT_CHECKS = 1, EXIT_USAGE = 2, EXIT_GATE = 3, EXIT_UNREACHABLE = 4 };

static void usage(FILE *f)
{
    fputs(
        "usage: wxai-harness run [options]\n"
        "       wxai-harness run --compare-versions OLD,NEW [options]\n"
        "       wxai-harness compare OLD/report.json NEW/report.json [--report DIR]\n"
        "       wxai-harness list-checks\n"
        "\n"
        "Inputs\n"
        "  --scenario FILE       scenario YAML: the embedded mock's behaviour and the merchant\n"
        "                        credentials (default " WXAI_DEFAULT_SCENARIO ")\n"
        "  --traffic FILE        JSONL recording, '-' for stdin (default " WXAI_DEFAULT_TRAFFIC
        ")\n"
        "  --target URL          a running server; without it wxai-mock runs in-process\n"
        "  --openapi FILE        response schemas (default " WXAI_OPENAPI ")\n"
        "  --strict              stop at the first bad traffic line (exit 2)\n"
        "Workload (open model at the recorded timing unless told otherwise)\n"
        "  --speed X             recorded timing x X (2 = twice as fast; default 1)\n"
        "  --rate N              open model at N records a second\n"
        "  --concurrency N       records in flight at most (default 64); alone: closed model\n"
        "  --duration D          stop sending after D (90s, 2m, 500ms)\n"
        "  --max-requests N      stop after N records\n"
        "  --request-timeout D   time limit of one exchange, connecting included (default\n"
        "                        60s); past it the request fails with 'Timeout was reached'\n"
        "  --cacert FILE         PEM CA certificates to trust for an https target (default:\n"
        "                        the system's)\n"
        "  --http-client C       wire | curl: how replayed requests are sent (default wire:\n"
        "                        the harness frames HTTP/1.1 on connections libcurl opens;\n"
        "                        curl: every request a full libcurl transfer)\n"
        "Client policy\n"
        "  --policy P            direct | hybrid (default hybrid)\n"
        "  --threshold X         confidence threshold the client asks for (default: as recorded)\n"
        "  --cache-size N        misunderstood phrases the hybrid client remembers (default 64)\n"
        "  --fallback-model M    model asked on /v1/chat/completions (default: the scenario's "
        "first)\n"
        "  --fallback-key K      API key for /v1 (default: the scenario's first)\n"
        "  --retry-after-cap D   longest Retry-After honoured (default 5s)\n"
        "Checks and output\n"
        "  --checks LIST         comma-separated checks to run (default all)\n"
        "  --exclude-checks LIST checks not to run\n"
        "  --report DIR          write DIR/report.json\n"
        "  --dump FILE           per-record outcomes as JSONL (id, status, outcome, intent)\n"
        "  --quiet               no summary and no progress line on stdout\n"
        "Gates and baseline (run; docs/ci.md)\n"
        "  --gate EXPR           p95(latency)<200ms, rate(conformance)==100%, cost.total<50CNY\n"
        "                        (repeatable; exit 3 when one fails)\n"
        "  --baseline FILE       an earlier report.json: its failures do not fail this run\n"
        "  --tolerance P         latency/cost regression allowed over the baseline (default 10%)\n"
        "Compare (run --compare-versions, compare; docs/drift.md)\n"
        "  --compare-versions O,N  run twice, the embedded mock pinned to O then N; compare\n"
        "  --versions O,N        compare: the model version to take from each report\n"
        "  --threshold X         compare: the current threshold (default: the old answers')\n"
        "  --target-precision X  the precision to reach against truth (default 0.98)\n"
        "  --rate-tolerance X    keep the threshold when its rate moved less (default 0.005)\n"
        "  --gate EXPR           psi(confidence)<0.1, delta(rate(fallback))<2pp (exit 3)\n"
        "\n"
        "Exit: 0 all passed; 1 a check failed; 2 usage or input error; 3 a gate failed or a\n"
        "figure regressed (wins over 1); 4 target unreachable; 130 interrupted (reports written,\n"
        "partial).\n",
        f);
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* "90s", "500ms", "2m", "1h" or plain seconds. */
static int parse_duration_ms(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0) return -1;
    double mult = 1000;
    if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        mult = 1000;
    else if (strcmp(end, "m") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else
        return -1;
    if (v * mult > 9e15) return -1;
    *out = (int64_t)(v * mult);
    return 0;
}

static int load_scenario(const char *path, scenario **out)
{
    diag d;
    if (diag_init(&d, path) != 0) return -1;
    int rc = scenario_load(path, &d, out);
    if (rc != 0) {
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "%s\n", d.msgs[i]);
        if (d.n == 0) fprintf(stderr, "%s: cannot load scenario\n", path);
    }
    diag_free(&d);
    return rc;
}

/* response_schema_conformance through the OpenAPI document. */
static int openapi_check(void *ud, const exchange *ex, char *msg, size_t cap)
{
    jsonschema_error errs[2];
    size_t n = 0;
    int r = openapi_validate_response(ud, ex->method, ex->path, (int)ex->status,
                                      ex->content_type[0] ? ex->content_type : NULL,
                                      ex->resp ? ex->resp : "", ex->resp_len, errs, 2, &n);
    if (r == 0) return 1;
    if (r < 0) return -1; /* not documented: status_code_conformance speaks about it */
    snprintf(msg, cap, "%s%s%s", n ? errs[0].message : "invalid",
             n && errs[0].instance_path[0] ? " at " : "", n ? errs[0].instance_path : "");
    return 0;
}

typedef struct args {
    const char *scenario, *traffic, *target, *report, *openapi, *checks, *exclude, *dump;
    int quiet;
    const char *baseline;
    double tolerance;
    size_t ngates;
    gate_expr *gates; /* GATE_MAX of them, static */
    sched_opts so;
    policy_opts po;
    int have_model, have_key, have_conc;
} args;

static int parse_args(int argc, char **argv, args *a)
{
    double v;
    memset(a, 0, sizeof *a);
    a->scenario = WXAI_DEFAULT_SCENARIO;
    a->traffic = WXAI_DEFAULT_TRAFFIC;
    a->openapi = WXAI_OPENAPI;
    a->so.speed = 1.0;
    a->tolerance = 0.10;
    static gate_expr gates[GATE_MAX];
    a->gates = gates;
    policy_defaults(&a->po);
    a->po.kind = POLICY_HYBRID;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED()                                                                                     \
    do {                                                                                           \
        if (!val) {                                                                                \
            fprintf(stderr, "wxai-harness: %s needs a value\n", o);                                \
            return -1;                                                                             \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
#define BAD(what)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "wxai-harness: %s takes %s, not '%s'\n", o, what, val);                    \
        return -1;                                                                                 \
    } while (0)
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(o, "--scenario") == 0) {
            NEED();
            a->scenario = val;
        } else if (strcmp(o, "--traffic") == 0) {
            NEED();
            a->traffic = val;
        } else if (strcmp(o, "--target") == 0) {
            NEED();
            if (strncmp(val, "http://", 7) != 0 && strncmp(val, "https://", 8) != 0)
                BAD("an http:// or https:// URL");
            a->target = val;
        } else if (strcmp(o, "--report") == 0) {
            NEED();
            a->report = val;
        } else if (strcmp(o, "--openapi") == 0) {
            NEED();
            a->openapi = val;
        } else if (strcmp(o, "--dump") == 0) {
            NEED();
            a->dump = val;
        } else if (strcmp(o, "--checks") == 0) {
            NEED();
            a->checks = val;
        } else if (strcmp(o, "--exclude-checks") == 0) {
            NEED();
            a->exclude = val;
        } else if (strcmp(o, "--strict") == 0) {
            a->so.strict = 1;
        } else if (strcmp(o, "--quiet") == 0) {
            a->quiet = 1;
        } else if (strcmp(o, "--gate") == 0) {
            NEED();
            gate_error ge;
            if (a->ngates == GATE_MAX) BAD("at most 32 gates; this one is too many");
            if (gate_parse(val, measure_vocab(), &a->gates[a->ngates], &ge) != GATE_OK) {
                char caret[GATE_TEXT_MAX * 2 + 64];
                fprintf(stderr, "wxai-harness: --gate: %s\n%s\n", ge.msg,
                        gate_caret(val, &ge, "  ", caret, sizeof caret));
                return -2; /* the caret says it all: no usage text after it */
            }
            a->ngates++;
        } else if (strcmp(o, "--baseline") == 0) {
            NEED();
            a->baseline = val;
        } else if (strcmp(o, "--tolerance") == 0) {
            NEED();
            char buf[64];
            snprintf(buf, sizeof buf, "%s", val);
            size_t n = strlen(buf);
            int pct = n && buf[n - 1] == '%';
            if (pct) buf[n - 1] = '\0';
            if (parse_num(buf, 0, pct ? 1e6 : 1e4, &a->tolerance) != 0)
                BAD("a percentage such as 10%");
            if (pct) a->tolerance /= 100;
        } else if (strcmp(o, "--speed") == 0) {
            NEED();
            if (parse_num(val, 1e-6, 1e6, &a->so.speed) != 0) BAD("a positive number");
        } else if (strcmp(o, "--rate") == 0) {
            NEED();
            char buf[64];
            snprintf(buf, sizeof buf, "%s", val);
            char *slash = strstr(buf, "/s");
            if (slash && slash[2] == '\0') *slash = '\0';
            if (parse_num(buf, 1e-3, 1e6, &a->so.rate) != 0) BAD("a rate such as 100 or 100/s");
        } else if (strcmp(o, "--concurrency") == 0) {
            NEED();
            if (parse_num(val, 1, 4096, &v) != 0 || v != floor(v)) BAD("a whole number 1-4096");
            a->so.concurrency = (int)v;
            a->have_conc = 1;
        } else if (strcmp(o, "--duration") == 0) {
            NEED();
            if (parse_duration_ms(val, &a->so.duration_ms) != 0) BAD("a duration such as 90s");
        } else if (strcmp(o, "--max-requests") == 0) {
            NEED();
            if (parse_num(val, 1, 1e15, &v) != 0 || v != floor(v)) BAD("a positive whole number");
            a->so.max_requests = (uint64_t)v;
        } else if (strcmp(o, "--request-timeout") == 0) {
            NEED();
            if (parse_duration_ms(val, &a->so.request_timeout_ms) != 0 ||
                a->so.request_timeout_ms < 1 || a->so.request_timeout_ms > 3600000)
                BAD("a duration from 1ms to 1h, such as 5s");
        } else if (strcmp(o, "--cacert") == 0) {
            NEED();
            if (access(val, R_OK) != 0) BAD("a readable PEM file");
            a->so.cacert = val;
        } else if (strcmp(o, "--http-client") == 0) {
            NEED();
            if (strcmp(val, "wire") == 0)
                a->so.http_client = SCHED_HTTP_WIRE;
            else if (strcmp(val, "curl") == 0)
                a->so.http_client = SCHED_HTTP_CURL;
            else
                BAD("wire or curl");
        } else if (strcmp(o, "--policy") == 0) {
            NEED();
            if (policy_parse(val, &a->po) != 0) BAD("direct or hybrid");
        } else if (strcmp(o, "--threshold") == 0) {
            NEED();
            if (parse_num(val, 0, 1, &a->po.threshold) != 0) BAD("a number from 0 to 1");
        } else if (strcmp(o, "--cache-size") == 0) {
            NEED();
            if (parse_num(val, 0, 65536, &v) != 0 || v != floor(v)) BAD("a whole number 0-65536");
            a->po.cache_size = (size_t)v;
        } else if (strcmp(o, "--fallback-model") == 0) {
            NEED();
            snprintf(a->po.fallback_model, sizeof a->po.fallback_model, "%s", val);
            a->have_model = 1;
        } else if (strcmp(o, "--fallback-key") == 0) {
            NEED();
            snprintf(a->po.fallback_key, sizeof a->po.fallback_key, "%s", val);
            a->have_key = 1;
        } else if (strcmp(o, "--retry-after-cap") == 0) {
            NEED();
            if (parse_duration_ms(val, &a->po.retry_after_cap_ms) != 0) BAD("a duration");
        } else {
            fprintf(stderr, "wxai-harness: unknown option '%s'\n", o);
            return -1;
        }
#undef NEED
#undef BAD
    }
    return 0;
}

/* What run --compare-versions asks of one of its runs: the version to pin in the embedded
 * mock, where the report goes, and the report handed back (owned by the caller). */
typedef struct run_pin {
    const char *version;
    const char *report_dir;
    cJSON *report;
} run_pin;

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int cmd_run(int argc, char **argv, run_pin *pin)
{
    args a;
    int code = EXIT_USAGE;
    scenario *sc = NULL;
    server *srv = NULL;
    openapi *oa = NULL;
    creds *cr = NULL;
    stats st;
    check_results checks;
    sched_result res;
    FILE *dump = NULL;
    char err[256];
    memset(&st, 0, sizeof st);
    memset(&checks, 0, sizeof checks);

    int pa = parse_args(argc, argv, &a);
    if (pa != 0) {
        if (pa == -1) usage(stderr);
        return EXIT_USAGE;
    }
    /* A drift rehearsal compares the model's answers to every record; a phrase
     * cache would skip some of them, and differently in each run. */
    if (pin) {
        int given = 0;
        for (int i = 0; i < argc; i++)
            given |= strcmp(argv[i], "--cache-size") == 0;
        if (!given) a.po.cache_size = 0;
    }
    cJSON *base = NULL;
    if (a.baseline && baseline_load(a.baseline, &base, err, sizeof err) != 0) {
        fprintf(stderr, "wxai-harness: --baseline %s\n", err);
        return EXIT_USAGE;
    }
    if (check_select(a.checks, a.exclude, &checks.enabled, err, sizeof err) != 0) {
        fprintf(stderr, "wxai-harness: %s\n", err);
        goto out;
    }
    if (load_scenario(a.scenario, &sc) != 0) goto out;
    if (!a.have_model && sc->llm && sc->llm->nmodels)
        snprintf(a.po.fallback_model, sizeof a.po.fallback_model, "%s", sc->llm->models[0].id);
    if (!a.have_key && sc->llm && sc->llm->nkeys)
        snprintf(a.po.fallback_key, sizeof a.po.fallback_key, "%s", sc->llm->keys[0].key);

    diag d;
    if (diag_init(&d, a.openapi) == 0) {
        if (openapi_load(a.openapi, &d, &oa) != 0) {
            for (size_t i = 0; i < d.n; i++)
                fprintf(stderr, "%s\n", d.msgs[i]);
            fprintf(stderr, "wxai-harness: %s: cannot load the OpenAPI document\n", a.openapi);
            diag_free(&d);
            goto out;
        }
        diag_free(&d);
    }
    check_set_schema(openapi_check, oa);

    report_info ri;
    memset(&ri, 0, sizeof ri);
    ri.scenario_path = a.scenario;
    ri.scenario_name = sc->name;
    ri.traffic_path = a.traffic;
    ri.seed = (unsigned long long)sc->seed;
    ri.currency = sc->pricing.currency;
    ri.workload = &a.so;
    ri.policy = &a.po;
    if (traffic_sha256_file(a.scenario, ri.scenario_sha256, sizeof ri.scenario_sha256) != 0)
        snprintf(ri.scenario_sha256, sizeof ri.scenario_sha256, "unknown");
    if (strcmp(a.traffic, "-") == 0 ||
        traffic_sha256_file(a.traffic, ri.traffic_sha256, sizeof ri.traffic_sha256) != 0) {
        if (strcmp(a.traffic, "-") != 0) {
            fprintf(stderr, "%s: cannot read: %s\n", a.traffic, strerror(errno));
            goto out;
        }
        snprintf(ri.traffic_sha256, sizeof ri.traffic_sha256, "stdin");
    }
    if (a.dump && !(dump = fopen(a.dump, "w"))) {
        fprintf(stderr, "%s: cannot write: %s\n", a.dump, strerror(errno));
        goto out;
    }

    const char *url = a.target;
    scenario *embedded_sc = NULL;
    if (!url) {
        /* The embedded default: the mock gets its own copy of the scenario (the server
         * owns and may free it), the harness keeps this one for credentials. */
        if (load_scenario(a.scenario, &embedded_sc) != 0) goto out;
        if (pin && compare_pin_version(embedded_sc, pin->version, err, sizeof err) != 0) {
            fprintf(stderr, "wxai-harness: --compare-versions: %s\n", err);
            scenario_free(embedded_sc);
            goto out;
        }
        /* CivetWeb holds a worker per keep-alive connection: one per slot, plus a few
         * spare, or requests on the extra connections wait for a keep-alive to expire. */
        int slots = a.so.concurrency > 0 ? a.so.concurrency : 64;
        server_options so = {.listen = "127.0.0.1:0", .threads = slots + 8};
        if (server_start(&so, embedded_sc, &srv) != 0) {
            scenario_free(embedded_sc);
            goto out;
        }
        url = server_url(srv);
        ri.embedded = 1;
    }
    ri.target = url;
    if (stats_init(&st) != 0 || creds_new(sc, url, &cr) != 0) goto out;
    a.so.traffic_path = a.traffic;
    a.so.base_url = url;
    a.so.dump = dump;
    /* --concurrency alone is a closed model; with --rate it caps the open model. */
    if (a.have_conc && a.so.rate <= 0) a.so.closed = 1;

    progress pg;
    progress_init(&pg, stdout, a.quiet, a.traffic, a.so.duration_ms);
    a.so.stop = &stop_requested;
    a.so.tick = progress_tick;
    a.so.tick_ud = &pg;
    /* SIGINT ends the run with a report of what it did (marked partial) */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int ran = sched_run(&a.so, &a.po, sc, cr, &st, &checks, &res);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    progress_done(&pg);
    if (ran != 0) goto out;
    if (!a.quiet) report_text(stdout, &ri, &st, &checks, &res);
    if (pin) a.report = pin->report_dir;
    if (res.unreachable) fprintf(stderr, "wxai-harness: %s is unreachable\n", url);
    finish_opts fo = {.report_dir = a.report,
                      .gates = a.gates,
                      .ngates = a.ngates,
                      .baseline = base,
                      .baseline_path = a.baseline,
                      .tolerance = a.tolerance,
                      .quiet = a.quiet};
    code = finish_run(&fo, &ri, &st, &checks, &res, pin ? &pin->report : NULL);
out:
    cJSON_Delete(base);
    if (dump) fclose(dump);
    server_stop(srv);
    creds_free(cr);
    stats_free(&st);
    check_results_free(&checks);
    openapi_free(oa);
    scenario_free(sc);
    return code;
}

/* ---- compare: two runs of a model update side by side (docs/drift.md) ---- */

typedef struct compare_args {
    compare_opts co;
    const char *report;
    const char *gates[GATE_MAX];
    size_t ngates;
    int quiet;
} compare_args;

/* Take a compare option at argv[*i] into ca. Returns 1 when taken, 0 when not a compare
 * option, -1 on a bad value (message printed). */
static int compare_opt(int argc, char **argv, int *i, compare_args *ca, int run_too)
{
    const char *o = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    double v;
    int takes = !strcmp(o, "--target-precision") || !strcmp(o, "--gate") ||
                !strcmp(o, "--rate-tolerance") || !strcmp(o, "--report") ||
                (!run_too && (!strcmp(o, "--threshold") || !strcmp(o, "--versions")));
    if (!run_too && !strcmp(o, "--quiet")) return ca->quiet = 1;
    if (!takes) return 0;
    if (!val) {
        fprintf(stderr, "wxai-harness: %s needs a value\n", o);
        return -1;
    }
    (*i)++;
    if (!strcmp(o, "--report")) {
        ca->report = val;
    } else if (!strcmp(o, "--gate")) {
        if (ca->ngates == GATE_MAX) {
            fprintf(stderr, "wxai-harness: at most %d --gate\n", GATE_MAX);
            return -1;
        }
        ca->gates[ca->ngates++] = val;
    } else if (!strcmp(o, "--versions")) {
        static char buf[2][128];
        const char *comma = strchr(val, ',');
        if (!comma || comma == val || !comma[1] || strlen(val) >= sizeof buf[0]) {
            fprintf(stderr, "wxai-harness: --versions takes OLD,NEW, not '%s'\n", val);
            return -1;
        }
        snprintf(buf[0], sizeof buf[0], "%.*s", (int)(comma - val), val);
        snprintf(buf[1], sizeof buf[1], "%s", comma + 1);
        ca->co.old_version = buf[0];
        ca->co.new_version = buf[1];
    } else {
        double lo = !strcmp(o, "--target-precision") ? 1e-9 : 0;
        if (parse_num(val, lo, 1, &v) != 0) {
            fprintf(stderr, "wxai-harness: %s takes a number from %g to 1, not '%s'\n", o, lo, val);
            return -1;
        }
        if (!strcmp(o, "--target-precision")) ca->co.target_precision = v;
        if (!strcmp(o, "--rate-tolerance")) ca->co.tolerance = v;
        if (!strcmp(o, "--threshold")) ca->co.threshold = v;
    }
    return 1;
}

/* Parse the gates against compare's vocabulary (before any run, so a typo costs nothing). */
static int compare_parse_gates(const compare_args *ca, gate_expr *ge)
{
    for (size_t i = 0; i < ca->ngates; i++) {
        gate_error ge_err;
        if (gate_parse(ca->gates[i], compare_vocab(), &ge[i], &ge_err) != GATE_OK) {
            char caret[GATE_TEXT_MAX * 2 + 64];
            fprintf(stderr, "wxai-harness: --gate: %s\n%s\n", ge_err.msg,
                    gate_caret(ca->gates[i], &ge_err, "  ", caret, sizeof caret));
            return -1;
        }
    }
    return 0;
}

/* Compare, print, write, gate. Returns the exit code. */
static int compare_finish(const cJSON *old, const cJSON *nw, const compare_args *ca,
                          const gate_expr *ge)
{
    compare_result *r = NULL;
    gate_result gr[GATE_MAX];
    char err[512];
    int failed = 0;
    if (compare_run(old, nw, &ca->co, &r, err, sizeof err) != 0) {
        fprintf(stderr, "wxai-harness: compare: %s\n", err);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < ca->ngates; i++) {
        gate_eval(&ge[i], compare_resolve, r, &gr[i]);
        failed += gr[i].verdict != GATE_PASS;
    }
    if (!ca->quiet) {
        compare_text(stdout, r);
        for (size_t i = 0; i < ca->ngates; i++)
            printf("%s %s\n", gr[i].verdict == GATE_PASS ? "Gate  pass " : "Gate  FAIL ",
                   gr[i].message);
    }
    int code = failed ? EXIT_GATE : EXIT_OK;
    if (ca->report) {
        if (comparedoc_write(ca->report, r, ge, gr, ca->ngates) != 0)
            code = EXIT_USAGE;
        else if (!ca->quiet)
            printf("Report        %s/compare.html\n", ca->report);
    }
    compare_free(r);
    return code;
}

static int cmd_compare(int argc, char **argv)
{
    compare_args ca;
    const char *paths[2] = {NULL, NULL};
    gate_expr ge[GATE_MAX];
    cJSON *rep[2] = {NULL, NULL};
    char err[512];
    int code = EXIT_USAGE;
    memset(&ca, 0, sizeof ca);
    compare_defaults(&ca.co);
    for (int i = 0; i < argc; i++) {
        int t = compare_opt(argc, argv, &i, &ca, 0);
        if (t < 0) return EXIT_USAGE;
        if (t) continue;
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "wxai-harness: compare: unknown option '%s'\n", argv[i]);
            return EXIT_USAGE;
        }
        if (paths[1]) {
            fprintf(stderr, "wxai-harness: compare takes two reports, not '%s' too\n", argv[i]);
            return EXIT_USAGE;
        }
        paths[paths[0] ? 1 : 0] = argv[i];
    }
    if (!paths[1]) {
        fprintf(stderr, "usage: wxai-harness compare OLD/report.json NEW/report.json [--report "
                        "DIR] [--gate EXPR]...\n");
        return EXIT_USAGE;
    }
    if (compare_parse_gates(&ca, ge) != 0) return EXIT_USAGE;
    for (int s = 0; s < 2; s++)
        if (compare_load(paths[s], &rep[s], err, sizeof err) != 0) {
            fprintf(stderr, "wxai-harness: compare: %s\n", err);
            goto out;
        }
    ca.co.old_label = paths[0];
    ca.co.new_label = paths[1];
    code = compare_finish(rep[0], rep[1], &ca, ge);
out:
    cJSON_Delete(rep[0]);
    cJSON_Delete(rep[1]);
    return code;
}

/* run --compare-versions OLD,NEW: the same traffic twice against the embedded mock, each
 * run pinned to one version, then compare. Compare's options are taken out of argv; the
 * rest goes to each run. */
static int cmd_compare_versions(int argc, char **argv, const char *versions)
{
    compare_args ca;
    gate_expr ge[GATE_MAX];
    run_pin pin[2];
    char ver[2][128], dir[2][1024], label[2][256];
    const char *comma = strchr(versions, ',');
    int code = EXIT_USAGE;
    memset(&ca, 0, sizeof ca);
    memset(pin, 0, sizeof pin);
    compare_defaults(&ca.co);
    if (!comma || comma == versions || !comma[1] || strlen(versions) >= sizeof ver[0]) {
        fprintf(stderr, "wxai-harness: --compare-versions takes OLD,NEW, not '%s'\n", versions);
        return EXIT_USAGE;
    }
    snprintf(ver[0], sizeof ver[0], "%.*s", (int)(comma - versions), versions);
    snprintf(ver[1], sizeof ver[1], "%s", comma + 1);
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest) return EXIT_USAGE;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--compare-versions")) {
            i++;
            continue;
        }
        if (!strcmp(argv[i], "--target")) {
            fprintf(stderr, "wxai-harness: --compare-versions pins the version in the embedded "
                            "mock; it cannot be used with --target\n");
            goto out;
        }
        if (!strcmp(argv[i], "--quiet")) ca.quiet = 1;
        int t = compare_opt(argc, argv, &i, &ca, 1);
        if (t < 0) goto out;
        if (!t) rest[nrest++] = argv[i];
    }
    if (compare_parse_gates(&ca, ge) != 0) goto out;
    for (int s = 0; s < 2; s++) {
        pin[s].version = ver[s];
        if (ca.report) {
            snprintf(dir[s], sizeof dir[s], "%s/%s", ca.report, s ? "new" : "old");
            pin[s].report_dir = dir[s];
        }
        if (!ca.quiet) printf("== run %d of 2: model version %s ==\n", s + 1, ver[s]);
        int rc = cmd_run(nrest, rest, &pin[s]);
        if (rc == EXIT_USAGE || rc == EXIT_UNREACHABLE || !pin[s].report) {
            code = rc ? rc : EXIT_USAGE;
            goto out;
        }
        if (rc == EXIT_CHECKS) code = EXIT_CHECKS;
        if (!ca.quiet) printf("\n");
    }
    snprintf(label[0], sizeof label[0], "version %.60s%s%.180s", ver[0], ca.report ? " in " : "",
             ca.report ? dir[0] : "");
    snprintf(label[1], sizeof label[1], "version %.60s%s%.180s", ver[1], ca.report ? " in " : "",
             ca.report ? dir[1] : "");
    ca.co.old_label = label[0];
    ca.co.new_label = label[1];
    int cc = compare_finish(pin[0].report, pin[1].report, &ca, ge);
    /* a failed gate outranks a failed check; a usage error outranks both */
    code = cc != EXIT_OK ? cc : code == EXIT_CHECKS ? EXIT_CHECKS : EXIT_OK;
out:
    cJSON_Delete(pin[0].report);
    cJSON_Delete(pin[1].report);
    free(rest);
    return code;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "list-checks") == 0) {
        for (int i = 0; i < CHECK_COUNT; i++)
            printf("%s\n", check_name((check_id)i));
        return 0;
    }
    if (strcmp(argv[1], "compare") == 0) return cmd_compare(argc - 2, argv + 2);
    if (strcmp(argv[1], "run") != 0) {
        fprintf(stderr, "wxai-harness: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *versions = NULL;
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], "--compare-versions") == 0) versions = argv[i + 1];
    int rc = versions ? cmd_compare_versions(argc - 2, argv + 2, versions)
                      : cmd_run(argc - 2, argv + 2, NULL);
    curl_global_cleanup();
    return rc;
}
