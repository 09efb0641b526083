/* End to end: inputs built to slip past the checks (found in review); each one must get a
 * clear 4xx, and the mock must keep serving with its old state afterwards. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e.h"
#include "json.h"

static mock_proc mock;
static char token[512];

static void setup(void)
{
    ck_assert_int_eq(mock_start(e2e_src("scenarios/default.yaml"), NULL, &mock), 0);
}

static void teardown(void)
{
    ck_assert_int_eq(mock_stop(&mock), 0);
}

static void post(const char *path, const char *body, e2e_resp *r)
{
    ck_assert_int_eq(e2e_token(&mock, DEMO_MCHID, DEMO_SECRET, NULL, token, sizeof token), 0);
    ck_assert_int_eq(
        e2e_signed(&mock, token, DEMO_SERIAL_A, DEMO_KEY_A, "POST", path, body, 0, NULL, r), 0);
}

static void still_serving(void)
{
    e2e_resp r;
    ck_assert(mock_alive(&mock));
    post("/v3/ai/order-routing", "{\"text\":\"my usual coffee\"}", &r);
    ck_assert_int_eq(r.status, 200);
    e2e_resp_free(&r);
}

/* One lead byte and 20,000 continuation bytes counted as 1 character: the text passed the
 * 4,000-character check and the model's byte cap turned it into a 500. */
START_TEST(text_of_continuation_bytes)
{
    size_t n = 20000;
    char *body = malloc(n + 64);
    ck_assert_ptr_nonnull(body);
    int k = snprintf(body, 64, "{\"text\":\"\xF0");
    memset(body + k, 0x80, n);
    strcpy(body + k + n, "\"}");
    e2e_resp r;
    post("/v3/ai/order-routing", body, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_str_or(r.json, "code", ""), "PARAM_ERROR");
    e2e_resp_free(&r);
    free(body);

    post("/v3/ai/order-routing", "{\"text\":\"pay \xFF\xFE coffee\"}", &r);
    ck_assert_int_eq(r.status, 400);
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

/* A short UTC offset made the time parser step past the string's end. */
START_TEST(clock_set_short_offset)
{
    e2e_resp r;
    const char *hdr[] = {"Content-Type: application/json", NULL};
    const char *body = "{\"set\":\"2020-01-01T00:00:00+1:2\"}";
    ck_assert_int_eq(e2e_http(&mock, "POST", "/__admin/clock", hdr, body, strlen(body), &r), 0);
    ck_assert_int_eq(r.status, 400);
    e2e_resp_free(&r);
    still_serving();
}
END_TEST

/* A keep-alive connection to port that has had one answer and stays open; -1 when no
 * answer came within secs seconds. */
static int idle_keep_alive_to(int port, int secs)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tmo = {.tv_sec = secs};
    static const char req[] = "GET /__admin/health HTTP/1.1\r\nHost: x\r\n\r\n";
    char buf[2048];
    ck_assert_int_ge(fd, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof tmo);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n <= 0) {
        close(fd);
        return -1;
    }
    buf[n] = '\0';
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "health answered: %.40s", buf);
    return fd;
}

static int idle_keep_alive(void)
{
    return idle_keep_alive_to(mock.port, 5);
}

/* The value of the sample `name ` in a /metrics text, or -1 when it is missing. */
static long long metric(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ' ') return atoll(p + n + 1);
    return -1;
}

static void workers_metrics(const mock_proc *m, long long *busy, long long *saturated)
{
    e2e_resp r;
    ck_assert_int_eq(e2e_http(m, "GET", "/metrics", NULL, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(metric(r.body, "wxai_workers"), 3);
    *busy = metric(r.body, "wxai_workers_busy");
    *saturated = metric(r.body, "wxai_workers_saturated_total");
    e2e_resp_free(&r);
}

/* CivetWeb gives each open keep-alive connection a worker until it closes or idles out
 * (30 s): with too few workers by default, a client's connection pool starved everyone
 * else. The documented default (32) must hold 16 idle clients and still answer. */
START_TEST(idle_keep_alive_clients_do_not_starve)
{
    int fds[16];
    for (int i = 0; i < 16; i++) {
        fds[i] = idle_keep_alive();
        ck_assert_msg(fds[i] >= 0, "keep-alive connection %d was not served within 5 s", i + 1);
    }
    still_serving();
    for (int i = 0; i < 16; i++)
        close(fds[i]);
}
END_TEST

/* When a client pool holds every worker, new connections wait in silence; the mock says
 * so (a workers_busy event on stdout) and counts it, so a stalled load test can be told
 * from a slow mock. The /metrics request itself holds a worker while it is answered. */
START_TEST(a_full_worker_pool_is_counted)
{
    mock_proc small;
    const char *args[] = {"--threads", "3", NULL};
    long long busy, saturated;
    int fds[3];
    ck_assert_int_eq(mock_start(e2e_src("scenarios/default.yaml"), args, &small), 0);
    workers_metrics(&small, &busy, &saturated);
    ck_assert_int_eq(busy, 1);
    ck_assert_int_eq(saturated, 0);
    for (int i = 0; i < 3; i++) {
        fds[i] = idle_keep_alive_to(small.port, 5);
        ck_assert_int_ge(fds[i], 0);
    }
    /* all three workers are held: a fourth client gets nothing */
    ck_assert_int_lt(idle_keep_alive_to(small.port, 1), 0);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    /* the waiting client is served (to a closed socket) once a worker is free */
    for (int i = 0; i < 50; i++) {
        workers_metrics(&small, &busy, &saturated);
        if (busy == 1) break;
        usleep(100000);
    }
    ck_assert_int_eq(busy, 1);
    ck_assert_int_ge(saturated, 1);
    ck_assert(mock_alive(&small));
    ck_assert_int_eq(mock_stop(&small), 0);
}
END_TEST

/* --idle-timeout frees the worker of a keep-alive connection that has gone quiet: with
 * both workers of a --threads 2 mock held by idle clients, a third is answered once their
 * 300 ms are up (not after CivetWeb's 30 s), and the idle connections were closed by the
 * mock, not left open. */
START_TEST(idle_timeout_frees_the_workers_of_quiet_connections)
{
    mock_proc small;
    const char *args[] = {"--threads", "2", "--idle-timeout", "300ms", NULL};
    ck_assert_int_eq(mock_start(e2e_src("scenarios/default.yaml"), args, &small), 0);
    int fds[2];
    for (int i = 0; i < 2; i++) {
        fds[i] = idle_keep_alive_to(small.port, 5);
        ck_assert_int_ge(fds[i], 0);
    }
    /* the third waits for a worker, which the timeout frees well within these 5 s */
    int third = idle_keep_alive_to(small.port, 5);
    ck_assert_msg(third >= 0, "no worker was freed within 5 s");
    char byte;
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(read(fds[i], &byte, 1), 0); /* the end, from the mock */
        close(fds[i]);
    }
    close(third);
    ck_assert(mock_alive(&small));
    ck_assert_int_eq(mock_stop(&small), 0);

    /* out of range or not a duration: refused before anything starts */
    const char *bad[][3] = {{"--idle-timeout", "50ms", NULL}, {"--idle-timeout", "2h", NULL},
                            {"--idle-timeout", "soon", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_ne(mock_start(e2e_src("scenarios/default.yaml"), bad[i], &small), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_abuse");
    TCase *tc = tcase_create("abuse");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, text_of_continuation_bytes);
    tcase_add_test(tc, clock_set_short_offset);
    tcase_add_test(tc, idle_keep_alive_clients_do_not_starve);
    tcase_add_test(tc, a_full_worker_pool_is_counted);
    tcase_add_test(tc, idle_timeout_frees_the_workers_of_quiet_connections);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
