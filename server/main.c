/* wxai-mock: a programmable fake of the WeChat Pay AI API.
 *
 *   wxai-mock [--scenario FILE] [--listen HOST:PORT] [--threads N] [--admin-token TOKEN]
 *             [--journal-size N] [--record FILE] [--idle-timeout D] [--watch]
 *   wxai-mock check SCENARIO...
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval.h"
#include "scenario.h"
#include "server.h"
#include "watch.h"
#include "yfield.h"

#ifndef WXAI_DEFAULT_SCENARIO
#define WXAI_DEFAULT_SCENARIO "scenarios/default.yaml"
#endif

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fputs("usage: wxai-mock [--scenario FILE] [--listen HOST:PORT] [--threads N]\n"
          "                 [--admin-token TOKEN] [--journal-size N] [--record FILE]\n"
          "                 [--idle-timeout D] [--watch]\n"
          "       wxai-mock check SCENARIO...\n"
          "       wxai-mock eval PHRASINGS.tsv [--scenario FILE] [--threshold T]\n"
          "\n"
          "  --scenario FILE    scenario YAML (default: " WXAI_DEFAULT_SCENARIO ")\n"
          "  --listen HOST:PORT address to bind (default 127.0.0.1:0, port 0 = any free port)\n"
          "  --threads N        worker threads (default 32); CivetWeb holds one per open\n"
          "                     keep-alive connection, so give at least as many as clients\n"
          "  --admin-token TOKEN  require X-Admin-Token: TOKEN on /__admin/ (default: open)\n"
          "  --journal-size N   exchanges kept for GET /__admin/requests (default 1000, 0 = none)\n"
          "  --record FILE      append every exchange to FILE as JSONL (traffic format)\n"
          "  --idle-timeout D   close a keep-alive connection idle for D, freeing its worker\n"
          "                     (default 30s; 100ms to 1h)\n"
          "  --watch            reload the scenario when its file changes\n"
          "\n"
          "The first line on stdout is a JSON event with the URL the mock listens on.\n"
          "SIGHUP reloads the scenario file; SIGINT or SIGTERM stops it.\n"
          "See docs/operations.md.\n",
          f);
}

/* Loads a scenario, printing every error; returns 0 or -1. */
static int load(const char *path, scenario **out)
{
    diag d;
    if (diag_init(&d, path) != 0) return -1;
    int rc = scenario_load(path, &d, out);
    if (rc != 0) {
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "%s\n", d.msgs[i]);
        if (d.dropped) fprintf(stderr, "%s: %zu more errors not shown\n", path, d.dropped);
        if (d.n == 0) fprintf(stderr, "%s: cannot load scenario\n", path);
    }
    diag_free(&d);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    int bad = 0;
    if (argc < 1) {
        usage(stderr);
        return EXIT_USAGE;
    }
    for (int i = 0; i < argc; i++) {
        scenario *sc = NULL;
        if (load(argv[i], &sc) != 0) {
            bad = 1;
            continue;
        }
        printf("%s: ok: scenario '%s', %zu merchant%s, %zu rule%s, model %s\n", argv[i],
               sc->name ? sc->name : "", sc->nmerchants, sc->nmerchants == 1 ? "" : "s", sc->nrules,
               sc->nrules == 1 ? "" : "s", sc->versions[0].id);
        scenario_free(sc);
    }
    return bad ? EXIT_USAGE : 0;
}

/* Scores the built-in model on a labelled phrasings file against the
 * scenario's directory and threshold. */
static int cmd_eval(int argc, char **argv)
{
    const char *tsv = NULL, *path = WXAI_DEFAULT_SCENARIO;
    double threshold = -1;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--scenario") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strcmp(argv[i], "--threshold") == 0 && i + 1 < argc) {
            char *end;
            threshold = strtod(argv[++i], &end);
            if (*end || threshold < 0 || threshold > 1) {
                fprintf(stderr, "wxai-mock: --threshold takes a number from 0 to 1\n");
                return EXIT_USAGE;
            }
        } else if (!tsv && argv[i][0] != '-') {
            tsv = argv[i];
        } else {
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (!tsv) {
        usage(stderr);
        return EXIT_USAGE;
    }
    scenario *sc = NULL;
    if (load(path, &sc) != 0) return EXIT_USAGE;
    eval_summary sum;
    int rc = eval_run(tsv, sc->dir, threshold >= 0 ? threshold : sc->defaults.confidence_threshold,
                      stdout, &sum);
    scenario_free(sc);
    return rc == 0 ? 0 : EXIT_USAGE;
}

static int parse_threads(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > 256) return -1;
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    const char *scenario_path = WXAI_DEFAULT_SCENARIO;
    server_options opts = {.listen = "127.0.0.1:0", .threads = 32};
    int watch_file = 0;

    if (argc > 1 && strcmp(argv[1], "check") == 0) return cmd_check(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "eval") == 0) return cmd_eval(argc - 2, argv + 2);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--scenario") == 0 && i + 1 < argc) {
            scenario_path = argv[++i];
        } else if (strcmp(a, "--listen") == 0 && i + 1 < argc) {
            opts.listen = argv[++i];
        } else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            if (parse_threads(argv[++i], &opts.threads) != 0) {
                fprintf(stderr, "wxai-mock: --threads takes a number from 1 to 256\n");
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--admin-token") == 0 && i + 1 < argc && argv[i + 1][0]) {
            opts.admin_token = argv[++i];
        } else if (strcmp(a, "--journal-size") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            long long v = strtoll(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || v < 0 || v > JOURNAL_MAX_SIZE) {
                fprintf(stderr, "wxai-mock: --journal-size takes a number from 0 to %d\n",
                        JOURNAL_MAX_SIZE);
                return EXIT_USAGE;
            }
            opts.journal_size = (size_t)v;
            opts.journal_off = v == 0;
        } else if (strcmp(a, "--idle-timeout") == 0 && i + 1 < argc) {
            if (yfield_parse_duration_ms(argv[++i], &opts.idle_timeout_ms) != 0 ||
                opts.idle_timeout_ms < 100 || opts.idle_timeout_ms > 3600000) {
                fprintf(stderr, "wxai-mock: --idle-timeout takes a duration from 100ms to 1h, "
                                "such as 5s\n");
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--record") == 0 && i + 1 < argc) {
            opts.record_path = argv[++i];
        } else if (strcmp(a, "--watch") == 0) {
            watch_file = 1;
        } else {
            fprintf(stderr, "wxai-mock: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return EXIT_USAGE;
        }
    }

    scenario *sc = NULL;
    if (load(scenario_path, &sc) != 0) return EXIT_USAGE;

    /* Block the stop signals before CivetWeb starts its threads, so they
     * inherit the mask and only sigwait below sees the signals. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    server *srv = NULL;
    if (server_start(&opts, sc, &srv) != 0) {
        scenario_free(sc);
        return 1;
    }
    /* Watching starts before "listening" is announced, so a change made by
     * whoever waits for that line is never missed. */
    watch *w = NULL;
    if (watch_file && watch_start(srv, scenario_path, WATCH_INTERVAL_MS, &w) != 0)
        fprintf(stderr, "wxai-mock: cannot watch %s; SIGHUP still reloads it\n", scenario_path);
    printf("{\"event\":\"listening\",\"url\":\"%s\",\"port\":%d,\"scenario\":\"%s\",\"pid\":%d}\n",
           server_url(srv), server_port(srv), scenario_path, (int)getpid());
    fflush(stdout);

    int sig = 0;
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
        watch_reload(srv, scenario_path);
    watch_stop(w);
    server_stop(srv);
    printf("{\"event\":\"stopped\",\"signal\":%d}\n", sig);
    fflush(stdout);
    return 0;
}
