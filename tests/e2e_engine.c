/* The engine on the wire: a burst over the bucket gets exactly the expected 429s, each with
 * Retry-After and the RateLimit fields; the same traffic over 1 or 16 connections gets the
 * same answer per request; a scenario without a latency section still delays fraud scores
 * by the built-in 50-150 ms. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "clock.h"
#include "e2e.h"

#define OR "/v3/ai/order-routing"

START_TEST(burst_exact_429)
{
    mock_proc m;
    char tok[256], h[128];
    ck_assert_int_eq(mock_start(e2e_src("tests/data/engine-burst.yaml"), NULL, &m), 0);
    ck_assert_int_eq(e2e_token(&m, DEMO_MCHID, DEMO_SECRET, NULL, tok, sizeof tok), 0);
    int limited = 0;
    for (int i = 0; i < 25; i++) {
        e2e_resp r;
        char body[64];
        snprintf(body, sizeof body, "{\"text\":\"pay Bob %d yuan for lunch\"}", i + 1);
        ck_assert_int_eq(
            e2e_signed(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, "POST", OR, body, 0, NULL, &r), 0);
        ck_assert_str_eq(e2e_header(&r, "RateLimit-Policy", h, sizeof h),
                         "\"order_routing\";q=10;w=1000");
        e2e_header(&r, "RateLimit", h, sizeof h);
        if (r.status == 429) {
            limited++;
            ck_assert_str_eq(h, "\"order_routing\";r=0;t=100");
            ck_assert_str_eq(e2e_header(&r, "Retry-After", h, sizeof h), "100");
            ck_assert_str_eq(cJSON_GetObjectItem(r.json, "code")->valuestring, "FREQUENCY_LIMITED");
        } else {
            char want[64];
            snprintf(want, sizeof want, "\"order_routing\";r=%d;t=%d", 9 - i, i == 9 ? 100 : 0);
            ck_assert_str_eq(h, want);
        }
        e2e_resp_free(&r);
    }
    ck_assert_int_eq(limited, 15);
    /* errors after identification carry the fields too */
    e2e_resp r;
    ck_assert_int_eq(e2e_signed(&m, tok, DEMO_SERIAL_A, "wrong-key", "POST", OR, "{}", 0, NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 401);
    ck_assert_ptr_nonnull(e2e_header(&r, "RateLimit", h, sizeof h));
    e2e_resp_free(&r);
    mock_stop(&m);
}
END_TEST

#define NTEXT 40
#define REPEAT 3
typedef struct job {
    const mock_proc *m;
    const char *tok;
    int from, step;
    char (*answers)[96];
} job;

static void *run(void *arg)
{
    job *j = arg;
    for (int i = j->from; i < NTEXT * REPEAT; i += j->step) {
        e2e_resp r;
        char body[96];
        snprintf(body, sizeof body, "{\"text\":\"pay Bob %d yuan for lunch\"}", i % NTEXT + 1);
        if (e2e_signed(j->m, j->tok, DEMO_SERIAL_A, DEMO_KEY_A, "POST", OR, body, 0, NULL, &r)) {
            snprintf(j->answers[i], 96, "transport error");
            continue;
        }
        const cJSON *c = cJSON_GetObjectItem(r.json, "confidence");
        snprintf(j->answers[i], 96, "%03d %ld %.4f", i % NTEXT, r.status,
                 cJSON_IsNumber(c) ? c->valuedouble : -1.0);
        e2e_resp_free(&r);
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Answers of one run, sorted: per text the multiset of (status, confidence) over its repeats. */
static void replay(int conns, char (*answers)[96])
{
    mock_proc m;
    char tok[256];
    ck_assert_int_eq(mock_start(e2e_src("tests/data/engine-determinism.yaml"), NULL, &m), 0);
    ck_assert_int_eq(e2e_token(&m, DEMO_MCHID, DEMO_SECRET, NULL, tok, sizeof tok), 0);
    pthread_t th[16];
    job jobs[16];
    for (int t = 0; t < conns; t++) {
        jobs[t] = (job){&m, tok, t, conns, answers};
        pthread_create(&th[t], NULL, run, &jobs[t]);
    }
    for (int t = 0; t < conns; t++)
        pthread_join(th[t], NULL);
    mock_stop(&m);
    qsort(answers, NTEXT * REPEAT, 96, cmp_str);
}

START_TEST(same_answers_any_concurrency)
{
    static char one[NTEXT * REPEAT][96], many[NTEXT * REPEAT][96];
    replay(1, one);
    replay(16, many);
    int errors = 0;
    for (int i = 0; i < NTEXT * REPEAT; i++) {
        ck_assert_msg(!strcmp(one[i], many[i]), "%s vs %s", one[i], many[i]);
        errors += strstr(one[i], " 500 ") != NULL;
    }
    ck_assert_msg(errors > 5 && errors < 50, "%d injected errors", errors); /* 20% of 120 */
}
END_TEST

START_TEST(fraud_default_latency)
{
    /* scenarios/default.yaml has no latency section and time_scale 1 */
    mock_proc m;
    char tok[256];
    ck_assert_int_eq(mock_start(e2e_src("scenarios/default.yaml"), NULL, &m), 0);
    ck_assert_int_eq(e2e_token(&m, DEMO_MCHID, DEMO_SECRET, NULL, tok, sizeof tok), 0);
    for (int i = 0; i < 3; i++) {
        e2e_resp r;
        char body[256];
        snprintf(body, sizeof body,
                 "{\"transaction\":{\"amount\":{\"total\":%d},\"payer\":{\"openid\":"
                 "\"o_alice\"},\"payee\":{\"openid\":\"o_bob\"}}}",
                 100 + i);
        int64_t t0 = clock_mono_us();
        ck_assert_int_eq(e2e_signed(&m, tok, DEMO_SERIAL_A, DEMO_KEY_A, "POST",
                                    "/v3/ai/fraud-score", body, 0, NULL, &r),
                         0);
        int64_t took_us = clock_mono_us() - t0;
        ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
        ck_assert_msg(took_us >= 50000, "fraud score answered in %lld us", (long long)took_us);
        e2e_resp_free(&r);
    }
    mock_stop(&m);
}
END_TEST

static Suite *engine_e2e_suite(void)
{
    Suite *s = suite_create("engine_e2e");
    TCase *t = tcase_create("wire");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, burst_exact_429);
    tcase_add_test(t, same_answers_any_concurrency);
    tcase_add_test(t, fraud_default_latency);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(engine_e2e_suite)
