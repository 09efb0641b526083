/* End to end: scenario reloads and the record file, on the real binary.
 * A hot reload under load drops no request; SIGHUP and --watch reload the
 * file and refuse a broken one while the old scenario keeps serving; the
 * --record file holds every exchange after SIGTERM. */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "check_main.h"
#include "e2e.h"
#include "json.h"

#define OPS "tests/data/ops.yaml"
#define WORKERS 4
#define GOOD_PUTS 24

static mock_proc mock;
static char token[512];
static char dir[64];

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_ALL); /* before any thread makes a handle */
    snprintf(dir, sizeof dir, "/tmp/wxai-reload-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    if (mock.pid > 0) ck_assert_int_eq(mock_stop(&mock), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static char *replace(const char *src, const char *from, const char *to)
{
    const char *at = strstr(src, from);
    ck_assert_ptr_nonnull(at);
    char *out = malloc(strlen(src) + strlen(to) + 1);
    sprintf(out, "%.*s%s%s", (int)(at - src), src, to, at + strlen(from));
    return out;
}

/* The ops scenario named `name`, with its fixture path made absolute so the
 * text loads from anywhere. */
static char *ops_named(const char *name)
{
    char *src = slurp(e2e_src(OPS)), name_line[128];
    char *a = replace(src, "../../fixtures/directory.yaml", e2e_src("fixtures/directory.yaml"));
    snprintf(name_line, sizeof name_line, "\nname: %s\n", name);
    char *b = replace(a, "\nname: ops\n", name_line);
    free(src);
    free(a);
    return b;
}

/* Replace the file in one step, as editors and deploy tools do, so a watcher
 * never reads half a file. */
static void write_atomically(const char *path, const char *text)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(rename(tmp, path), 0);
}

static void start_file(const char *name, const char *const *extra, char *path, size_t cap)
{
    snprintf(path, cap, "%s/scenario.yaml", dir);
    char *text = ops_named(name);
    write_atomically(path, text);
    free(text);
    ck_assert_int_eq(mock_start(path, extra, &mock), 0);
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, NULL, token, sizeof token), 0);
}

static int route(const char *text, e2e_resp *r)
{
    char body[256];
    snprintf(body, sizeof body, "{\"text\":\"%s\"}", text);
    return e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST", "/v3/ai/order-routing", body,
                      0, NULL, r);
}

static void scenario_name(char *out, size_t cap)
{
    e2e_resp r;
    ck_assert_int_eq(e2e_http(&mock, "GET", "/__admin/health", NULL, NULL, 0, &r), 0);
    snprintf(out, cap, "%s", json_string(r.json, "scenario"));
    e2e_resp_free(&r);
}

static long metric(const char *series)
{
    e2e_resp r;
    ck_assert_int_eq(e2e_http(&mock, "GET", "/metrics", NULL, NULL, 0, &r), 0);
    const char *at = strstr(r.body, series);
    long v = at ? strtol(at + strlen(series) + 1, NULL, 10) : -1;
    e2e_resp_free(&r);
    return v;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Poll (not a timing assertion: the bound only keeps a broken build from hanging). */
static int wait_for_name(const char *want)
{
    char name[128];
    for (int i = 0; i < 400; i++) {
        scenario_name(name, sizeof name);
        if (strcmp(name, want) == 0) return 1;
        nap_ms(50);
    }
    return 0;
}

static int wait_for_refused(long want)
{
    for (int i = 0; i < 400; i++) {
        if (metric("wxai_scenario_reloads_total{result=\"refused\"}") >= want) return 1;
        nap_ms(50);
    }
    return 0;
}

static void still_serving(void)
{
    e2e_resp r;
    ck_assert(mock_alive(&mock));
    ck_assert_int_eq(route("my usual coffee", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert(e2e_response_signed(&r, DEMO_KEY_A));
    e2e_resp_free(&r);
}

typedef struct load {
    atomic_int stop;
    atomic_long sent, failed;
} load;

static void *hammer(void *arg)
{
    load *l = arg;
    while (!atomic_load(&l->stop)) {
        e2e_resp r;
        int rc = route("my usual coffee", &r);
        atomic_fetch_add(&l->sent, 1);
        if (rc != 0 || r.status != 200 || !e2e_response_signed(&r, DEMO_KEY_A) ||
            !json_string(r.json, "intent_id")) {
            fprintf(stderr, "hammer: rc %d status %ld body %.200s\n", rc, r.status,
                    r.body ? r.body : "");
            atomic_fetch_add(&l->failed, 1);
        }
        e2e_resp_free(&r);
    }
    return NULL;
}

START_TEST(hot_reload_under_load)
{
    char path[256];
    const char *h[] = {"Content-Type: application/yaml", NULL};
    start_file("ops", NULL, path, sizeof path);
    char *a = ops_named("ops-a"), *b = ops_named("ops-b");
    char *bad = slurp(e2e_src("tests/data/scenario_broken.yaml"));
    load l;
    memset(&l, 0, sizeof l);
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &l), 0);

    int refused = 0;
    for (int i = 0; i < GOOD_PUTS; i++) {
        e2e_resp r;
        const char *text = i % 2 ? b : a;
        ck_assert_int_eq(e2e_http(&mock, "PUT", "/__admin/scenario", h, text, strlen(text), &r), 0);
        ck_assert_int_eq(r.status, 200);
        e2e_resp_free(&r);
        if (i % 4 == 3) {
            ck_assert_int_eq(e2e_http(&mock, "PUT", "/__admin/scenario", h, bad, strlen(bad), &r),
                             0);
            ck_assert_int_eq(r.status, 400);
            e2e_resp_free(&r);
            refused++;
        }
        /* Let requests run on this scenario before the next swap. */
        long seen = atomic_load(&l.sent);
        for (int k = 0; k < 200 && atomic_load(&l.sent) < seen + WORKERS; k++)
            nap_ms(5);
    }
    atomic_store(&l.stop, 1);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);

    ck_assert_int_eq(atomic_load(&l.failed), 0);
    ck_assert_int_ge(atomic_load(&l.sent), GOOD_PUTS * WORKERS);
    char name[64];
    scenario_name(name, sizeof name);
    ck_assert_str_eq(name, GOOD_PUTS % 2 ? "ops-a" : "ops-b");
    ck_assert_int_eq(metric("wxai_scenario_reloads_total{result=\"ok\"}"), GOOD_PUTS);
    ck_assert_int_eq(metric("wxai_scenario_reloads_total{result=\"refused\"}"), refused);
    ck_assert_int_eq(metric("wxai_requests_total{endpoint=\"order_routing\",status=\"200\"}"),
                     atomic_load(&l.sent));
    free(a);
    free(b);
    free(bad);
}
END_TEST

START_TEST(sighup_reloads_file)
{
    char path[256], name[64];
    start_file("ops", NULL, path, sizeof path);
    char *next = ops_named("ops-hup");
    write_atomically(path, next);
    ck_assert_int_eq(kill(mock.pid, SIGHUP), 0);
    ck_assert(wait_for_name("ops-hup"));
    still_serving();

    char *bad = slurp(e2e_src("tests/data/scenario_broken.yaml"));
    write_atomically(path, bad);
    ck_assert_int_eq(kill(mock.pid, SIGHUP), 0);
    ck_assert(wait_for_refused(1));
    scenario_name(name, sizeof name);
    ck_assert_str_eq(name, "ops-hup");
    still_serving();
    free(next);
    free(bad);
}
END_TEST

START_TEST(watch_reloads_on_change)
{
    char path[256], name[64];
    const char *const extra[] = {"--watch", NULL};
    start_file("ops", extra, path, sizeof path);
    char *next = ops_named("ops-watched");
    write_atomically(path, next);
    ck_assert(wait_for_name("ops-watched"));
    still_serving();

    char *bad = slurp(e2e_src("tests/data/scenario_broken.yaml"));
    write_atomically(path, bad);
    ck_assert(wait_for_refused(1));
    scenario_name(name, sizeof name);
    ck_assert_str_eq(name, "ops-watched");
    still_serving();
    free(next);
    free(bad);
}
END_TEST

#define REC_THREADS 3
#define REC_EACH 12

typedef struct rec_worker {
    int index;
    int failed;
} rec_worker;

static void *record_some(void *arg)
{
    rec_worker *w = arg;
    for (int i = 0; i < REC_EACH; i++) {
        char text[64];
        e2e_resp r;
        snprintf(text, sizeof text, "pay Bob %d yuan for lunch", 100 + w->index * REC_EACH + i);
        if (route(text, &r) != 0 || r.status < 200 || r.status > 202) w->failed++;
        e2e_resp_free(&r);
    }
    return NULL;
}

START_TEST(record_file_complete_after_sigterm)
{
    char rec[256];
    snprintf(rec, sizeof rec, "%s/traffic.jsonl", dir);
    const char *const extra[] = {"--record", rec, "--journal-size", "0", NULL};
    ck_assert_int_eq(mock_start(e2e_src(OPS), extra, &mock), 0);
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, NULL, token, sizeof token), 0);
    pthread_t t[REC_THREADS];
    rec_worker w[REC_THREADS];
    for (int i = 0; i < REC_THREADS; i++) {
        w[i] = (rec_worker){.index = i};
        ck_assert_int_eq(pthread_create(&t[i], NULL, record_some, &w[i]), 0);
    }
    for (int i = 0; i < REC_THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(w[i].failed, 0);
    }
    ck_assert_int_eq(mock_stop(&mock), 0);

    char *text = slurp(rec);
    int seen[REC_THREADS * REC_EACH] = {0}, ids[REC_THREADS * REC_EACH + 1] = {0}, lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *o = cJSON_Parse(line);
        ck_assert_msg(o != NULL, "unparseable line %d: %s", lines + 1, line);
        int id = 0;
        ck_assert_int_eq(sscanf(json_string(o, "id"), "r-%d", &id), 1);
        ck_assert(id >= 1 && id <= REC_THREADS * REC_EACH);
        ids[id]++;
        ck_assert_int_eq(id, lines + 1); /* the file is in id order */
        cJSON *req = cJSON_GetObjectItem(o, "request");
        const char *said = json_string(cJSON_GetObjectItem(req, "body"), "text");
        int amount = 0;
        ck_assert_int_eq(sscanf(said, "pay Bob %d yuan", &amount), 1);
        ck_assert(amount >= 100 && amount < 100 + REC_THREADS * REC_EACH);
        seen[amount - 100]++;
        ck_assert_str_eq(json_string(o, "endpoint"), "order_routing");
        ck_assert(
            cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "response"), "status")));
        cJSON_Delete(o);
        lines++;
    }
    ck_assert_int_eq(lines, REC_THREADS * REC_EACH);
    for (int i = 0; i < REC_THREADS * REC_EACH; i++) {
        ck_assert_int_eq(seen[i], 1);
        ck_assert_int_eq(ids[i + 1], 1);
    }
    free(text);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_reload");
    TCase *tc = tcase_create("reload");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, hot_reload_under_load);
    tcase_add_test(tc, sighup_reloads_file);
    tcase_add_test(tc, watch_reloads_on_change);
    tcase_add_test(tc, record_file_complete_after_sigterm);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
