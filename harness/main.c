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

#include <curl/curl.h>

#include "chat.h"
#include "checks.h"
#include "creds.h"
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
        "  --quiet               no summary on stdout\n"
        "\n"
        "Exit: 0 all checks passed; 1 a check failed; 2 usage or input error; 4 target "
        "unreachable.\n",
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

static int cmd_run(int argc, char **argv)
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

    if (parse_args(argc, argv, &a) != 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (check_select(a.checks, a.exclude, &checks.enabled, err, sizeof err) != 0) {
        fprintf(stderr, "wxai-harness: %s\n", err);
        return EXIT_USAGE;
    }
    if (load_scenario(a.scenario, &sc) != 0) return EXIT_USAGE;
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

    if (sched_run(&a.so, &a.po, sc, cr, &st, &checks, &res) != 0) goto out;
    if (!a.quiet) report_text(stdout, &ri, &st, &checks, &res);
    if (a.report) {
        cJSON *rj = report_json(&ri, &st, &checks, &res);
        int wr = rj ? report_write(a.report, rj) : -1;
        cJSON_Delete(rj);
        if (wr != 0) goto out;
    }
    if (res.input_failed)
        code = EXIT_USAGE;
    else if (res.unreachable) {
        fprintf(stderr, "wxai-harness: %s is unreachable\n", url);
        code = EXIT_UNREACHABLE;
    } else {
        code = EXIT_OK;
        for (int i = 0; i < CHECK_COUNT; i++)
            if (checks.t[i].failed) code = EXIT_CHECKS;
    }
out:
    if (dump) fclose(dump);
    server_stop(srv);
    creds_free(cr);
    stats_free(&st);
    check_results_free(&checks);
    openapi_free(oa);
    scenario_free(sc);
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
    if (strcmp(argv[1], "run") != 0) {
        fprintf(stderr, "wxai-harness: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmd_run(argc - 2, argv + 2);
    curl_global_cleanup();
    return rc;
}
