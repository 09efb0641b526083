/* wire: the harness's own HTTP/1.1 framing. The response parser is fed every answer
 * split at every byte offset and one byte at a time, since a recv() may end anywhere;
 * what it must refuse (a bad status line, an oversized header block, a short body) it
 * refuses with the CURLcode libcurl would give. The request writer's bytes are compared
 * whole. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "clock.h"
#include "rng.h"
#include "wire.h"

typedef struct want {
    const char *method;
    const char *resp; /* as sent by the server */
    long status;
    const char *body;
    int close;
    const char *content_type, *request_id, *wp_nonce;
    int to_eof; /* the body ends with the connection */
} want;

static const want answers[] = {
    {"POST",
     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n"
     "Request-ID: abc\r\nWechatpay-Nonce:  n1 \r\nX-Other: y\r\n\r\n{\"a\":\"hello!!\"}",
     200, "{\"a\":\"hello!!\"}", 0, "application/json", "abc", "n1", 0},
    {"GET",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
     "5;name=val\r\nhello\r\n7 ; x=\"y\"\r\n, world\r\nB\r\n 0123456789\r\n0;last\r\n"
     "X-Trailer: t\r\nX-Other: u\r\n\r\n",
     200, "hello, world 0123456789", 0, "text/plain", "", "", 0},
    {"POST",
     "HTTP/1.1 100 Continue\r\nRequest-ID: interim\r\n\r\n"
     "HTTP/1.1 102 Processing\r\n\r\n"
     "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nx-request-id: r\r\n\r\nok",
     201, "ok", 0, "", "", "", 0},
    {"GET", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nRequest-ID: n\r\n\r\n", 204, "", 0, "",
     "n", "", 0},
    {"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/html\r\n\r\n", 200, "",
     0, "text/html", "", "", 0},
    {"GET", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", 304, "", 0, "", "",
     "", 0},
    {"POST", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 200, "ok", 1,
     "", "", "", 0},
    {"POST", "HTTP/1.1 500 Oops\r\nConnection: Keep-Alive, Close\r\ncontent-length: 0\r\n\r\n", 500,
     "", 1, "", "", "", 0},
    {"GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok", 1, "", "", "", 0},
    {"GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", 200, "ok",
     0, "", "", "", 0},
    {"GET", "HTTP/1.1 404\nContent-Length: 3\nContent-Type:x\n\nnot", 404, "not", 0, "x", "", "",
     0},
    {"GET", "HTTP/1.1 200 OK\r\nContent-Type: a/b\r\n\r\nall of it until the end", 200,
     "all of it until the end", 1, "a/b", "", "", 1},
    {"GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 200,
     "abc", 0, "", "", "", 0},
};

static exchange *ex_new(void)
{
    exchange *ex = calloc(1, sizeof *ex);
    ck_assert_ptr_nonnull(ex);
    return ex;
}

static void ex_free(exchange *ex)
{
    client_exchange_clear(ex);
    free(ex);
}

/* Feeds a[i]'s bytes in the pieces cuts says (ascending offsets, ncuts of them) and checks
 * what came out. */
static void feed_cut(const want *a, const size_t *cuts, int ncuts)
{
    exchange *ex = ex_new();
    wire_parser p = {0};
    wire_parser_start(&p, ex, a->method);
    size_t len = strlen(a->resp), at = 0;
    int r = WIRE_MORE;
    for (int k = 0; k <= ncuts && r == WIRE_MORE; k++) {
        size_t end = k < ncuts ? cuts[k] : len, used = 0;
        r = wire_parse(&p, a->resp + at, end - at, &used);
        ck_assert_int_ne(r, WIRE_FAIL);
        ck_assert_uint_eq(used, end - at); /* nothing is left over: one answer each */
        at = end;
    }
    ck_assert_uint_eq(at, len);
    if (a->to_eof) {
        ck_assert_int_eq(r, WIRE_MORE);
        r = wire_parse_eof(&p);
    }
    ck_assert_msg(r == WIRE_DONE, "%s: not done", a->resp);
    ck_assert_int_eq(p.status, a->status);
    ck_assert_int_eq(p.close, a->close);
    client_complete(ex, CURLE_OK, p.status);
    ck_assert_int_eq(ex->status, a->status);
    ck_assert_uint_eq(ex->resp_len, strlen(a->body));
    ck_assert_uint_eq(ex->resp_bytes, strlen(a->body));
    if (*a->body) ck_assert_str_eq(ex->resp, a->body);
    ck_assert_str_eq(ex->content_type, a->content_type);
    ck_assert_str_eq(ex->request_id, a->request_id);
    ck_assert_str_eq(ex->wp_nonce, a->wp_nonce);
    if (a == &answers[2]) ck_assert_str_eq(ex->x_request_id, "r");
    wire_parser_free(&p);
    ex_free(ex);
}

START_TEST(every_split_gives_the_same_answer)
{
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        const want *a = &answers[i];
        size_t len = strlen(a->resp);
        for (size_t k = 0; k <= len; k++)
            feed_cut(a, &k, 1);
        /* one byte at a time: every offset at once */
        size_t *cuts = malloc(len * sizeof *cuts);
        for (size_t k = 0; k < len; k++)
            cuts[k] = k;
        feed_cut(a, cuts, (int)len);
        free(cuts);
    }
}
END_TEST

/* Feeds text whole; returns wire_parse's result and the parser's code. */
static int parse_all(const char *method, const char *text, size_t len, CURLcode *code, exchange *ex)
{
    wire_parser p = {0};
    size_t used = 0;
    wire_parser_start(&p, ex, method);
    int r = wire_parse(&p, text, len, &used);
    if (r == WIRE_MORE) r = wire_parse_eof(&p);
    *code = p.code;
    wire_parser_free(&p);
    return r;
}

START_TEST(bad_answers_fail_with_libcurls_code)
{
    static const struct {
        const char *text;
        CURLcode code;
    } bad[] = {
        {"not http\r\n\r\n", CURLE_UNSUPPORTED_PROTOCOL},
        {"\r\nHTTP/1.1 200 OK\r\n\r\n", CURLE_UNSUPPORTED_PROTOCOL},
        {"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/2 200\r\n\r\n", CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/1.2 200 OK\r\n\r\n", CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 20\r\n\r\n", CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 2000 OK\r\n\r\n", CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 099 Low\r\n\r\n", CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 101 Switching\r\n\r\n", CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
         CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
         CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", CURLE_RECV_ERROR},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3x\r\nabc\r\n", CURLE_RECV_ERROR},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
         CURLE_RECV_ERROR},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
         CURLE_RECV_ERROR},
        /* the peer closes early */
        {"", CURLE_GOT_NOTHING},
        {"HTTP/1.1 200 OK\r\nContent-Le", CURLE_WEIRD_SERVER_REPLY},
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", CURLE_PARTIAL_FILE},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", CURLE_PARTIAL_FILE},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", CURLE_PARTIAL_FILE},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n", CURLE_PARTIAL_FILE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        exchange *ex = ex_new();
        CURLcode code = CURLE_OK;
        int r = parse_all("GET", bad[i].text, strlen(bad[i].text), &code, ex);
        ck_assert_msg(r == WIRE_FAIL, "accepted: %s", bad[i].text);
        ck_assert_msg(code == bad[i].code, "%s: code %d, want %d", bad[i].text, (int)code,
                      (int)bad[i].code);
        ex_free(ex);
    }
}
END_TEST

START_TEST(header_block_over_its_cap_fails_without_reading_on)
{
    /* one long header, and many short ones, fed 1000 bytes at a time as recv() would */
    for (int shape = 0; shape < 2; shape++) {
        size_t cap = WIRE_HEAD_MAX * 2, len = 0;
        char *text = malloc(cap);
        len += (size_t)sprintf(text, "HTTP/1.1 200 OK\r\n");
        if (shape == 0) {
            len += (size_t)sprintf(text + len, "X-Big: ");
            memset(text + len, 'a', WIRE_HEAD_MAX);
            len += WIRE_HEAD_MAX;
        } else {
            while (len < WIRE_HEAD_MAX + 100)
                len += (size_t)sprintf(text + len, "X-H: %06zu\r\n", len);
        }
        len += (size_t)sprintf(text + len, "\r\n");
        exchange *ex = ex_new();
        wire_parser p = {0};
        wire_parser_start(&p, ex, "GET");
        size_t at = 0;
        int r = WIRE_MORE;
        while (at < len && r == WIRE_MORE) {
            size_t n = len - at < 1000 ? len - at : 1000, used = 0;
            r = wire_parse(&p, text + at, n, &used);
            at += used;
        }
        ck_assert_int_eq(r, WIRE_FAIL);
        ck_assert_int_eq(p.code, CURLE_WEIRD_SERVER_REPLY);
        ck_assert_uint_le(at, WIRE_HEAD_MAX + 1000);
        wire_parser_free(&p);
        ex_free(ex);
        free(text);
    }
    /* just under the cap is an answer */
    char *text = malloc(WIRE_HEAD_MAX + 64);
    size_t len = (size_t)sprintf(text, "HTTP/1.1 200 OK\r\nX-Big: ");
    size_t fill = WIRE_HEAD_MAX - len - 4;
    memset(text + len, 'b', fill);
    len += fill;
    len += (size_t)sprintf(text + len, "\r\n\r\n");
    ck_assert_uint_eq(len, WIRE_HEAD_MAX);
    exchange *ex = ex_new();
    CURLcode code;
    ck_assert_int_eq(parse_all("GET", text, len, &code, ex), WIRE_DONE);
    ex_free(ex);
    free(text);
}
END_TEST

START_TEST(body_over_the_cap_is_counted_not_kept)
{
    size_t body = CLIENT_BODY_MAX + 100;
    char head[128];
    int hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", body);
    exchange *ex = ex_new();
    wire_parser p = {0};
    wire_parser_start(&p, ex, "GET");
    size_t used = 0;
    ck_assert_int_eq(wire_parse(&p, head, (size_t)hn, &used), WIRE_MORE);
    char *chunk = malloc(65536);
    memset(chunk, 'z', 65536);
    size_t left = body;
    int r = WIRE_MORE;
    while (left) {
        size_t n = left < 65536 ? left : 65536;
        r = wire_parse(&p, chunk, n, &used);
        ck_assert_uint_eq(used, n);
        left -= n;
        ck_assert_int_eq(r, left ? WIRE_MORE : WIRE_DONE);
    }
    ck_assert_uint_eq(ex->resp_len, CLIENT_BODY_MAX);
    ck_assert_uint_eq(ex->resp_bytes, body);
    ck_assert_int_eq(ex->resp_truncated, 1);
    ck_assert_int_eq(ex->resp[CLIENT_BODY_MAX], '\0');
    wire_parser_free(&p);
    ex_free(ex);
    free(chunk);
}
END_TEST

START_TEST(what_follows_an_answer_is_left_unread)
{
    static const char two[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n";
    exchange *ex = ex_new();
    wire_parser p = {0};
    wire_parser_start(&p, ex, "GET");
    size_t used = 0;
    ck_assert_int_eq(wire_parse(&p, two, sizeof two - 1, &used), WIRE_DONE);
    ck_assert_uint_eq(used, strlen("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"));
    wire_parser_free(&p);
    ex_free(ex);
}
END_TEST

static size_t below(uint64_t *r, size_t n)
{
    return (size_t)(rng_next(r) % n);
}

/* Random damage to good answers: the parser may accept or refuse, never read out of
 * bounds (ASan) or take more than it was given. */
START_TEST(damaged_answers_never_crash)
{
    uint64_t r = 9;
    char buf[512];
    for (int it = 0; it < 20000; it++) {
        const want *a = &answers[below(&r, sizeof answers / sizeof answers[0])];
        size_t len = strlen(a->resp);
        memcpy(buf, a->resp, len);
        int edits = 1 + (int)below(&r, 4);
        for (int e = 0; e < edits; e++) {
            size_t at = below(&r, len);
            static const char pick[] = "\r\n:0123456789abcdefxyz ;\t\x00\xff";
            buf[at] = pick[below(&r, sizeof pick - 1)];
        }
        exchange *ex = ex_new();
        wire_parser p = {0};
        wire_parser_start(&p, ex, a->method);
        size_t at = 0;
        int res = WIRE_MORE;
        while (at < len && res == WIRE_MORE) {
            size_t n = 1 + below(&r, len - at), used = 0;
            res = wire_parse(&p, buf + at, n, &used);
            ck_assert_uint_le(used, n);
            at += used;
        }
        if (res == WIRE_MORE) res = wire_parse_eof(&p);
        ck_assert(res == WIRE_DONE || (res == WIRE_FAIL && p.code != CURLE_OK));
        wire_parser_free(&p);
        ex_free(ex);
    }
}
END_TEST

START_TEST(host_as_libcurl_writes_it)
{
    char h[64];
    ck_assert_int_eq(wire_host("http://127.0.0.1:8080", h, sizeof h), 0);
    ck_assert_str_eq(h, "127.0.0.1:8080");
    ck_assert_int_eq(wire_host("http://example.com:80", h, sizeof h), 0);
    ck_assert_str_eq(h, "example.com");
    ck_assert_int_eq(wire_host("https://example.com:443/api", h, sizeof h), 0);
    ck_assert_str_eq(h, "example.com");
    ck_assert_int_eq(wire_host("https://example.com:80", h, sizeof h), 0);
    ck_assert_str_eq(h, "example.com:80");
    ck_assert_int_eq(wire_host("http://[::1]:9000", h, sizeof h), 0);
    ck_assert_str_eq(h, "[::1]:9000");
    ck_assert_int_eq(wire_host("HTTP://h", h, sizeof h), 0);
    ck_assert_str_eq(h, "h");
    ck_assert_int_eq(wire_host("http://user:pw@h", h, sizeof h), -1);
    ck_assert_int_eq(wire_host("ftp://h", h, sizeof h), -1);
    ck_assert_int_eq(wire_host("h:80", h, sizeof h), -1);
    ck_assert_int_eq(wire_host("http://h?x=1", h, sizeof h), -1);
    ck_assert_int_eq(wire_host("http://h:8x", h, sizeof h), -1);
    ck_assert_int_eq(wire_host("http://", h, sizeof h), -1);
    ck_assert_int_eq(wire_host("http://a-very-long-host-name-indeed.example.com:1", h, 16), -1);
}
END_TEST

START_TEST(request_bytes)
{
    exchange *ex = ex_new();
    char buf[1024];
    size_t len = 0;
    ck_assert_int_eq(client_exchange_init(ex, "http://127.0.0.1:8080", "POST",
                                          "/v3/ai/order-routing?x=1", "{\"a\":1}", 7),
                     0);
    client_add_header_str(ex, "Authorization", "Bearer ", "tok");
    client_add_header_str(ex, "Content-Type", "application/json", NULL);
    client_add_header_str(ex, "X-Gone", "", NULL);
    ck_assert_int_eq(wire_request(ex, "127.0.0.1:8080", buf, sizeof buf, &len), 0);
    static const char post[] = "POST /v3/ai/order-routing?x=1 HTTP/1.1\r\n"
                               "Host: 127.0.0.1:8080\r\nAccept: */*\r\n"
                               "Authorization: Bearer tok\r\nContent-Type: application/json\r\n"
                               "Content-Length: 7\r\n\r\n{\"a\":1}";
    ck_assert_uint_eq(len, sizeof post - 1);
    ck_assert(memcmp(buf, post, len) == 0);
    /* one byte short of room: the libcurl path takes it */
    ck_assert_int_eq(wire_request(ex, "127.0.0.1:8080", buf, len - 1, &len), -1);

    ck_assert_int_eq(
        client_exchange_init(ex, "https://api.example.com/", "GET", "/v1/models", NULL, 0), 0);
    client_add_header_str(ex, "Host", "other", NULL);
    client_add_header_str(ex, "accept", "application/json", NULL);
    ck_assert_int_eq(wire_request(ex, "api.example.com", buf, sizeof buf, &len), 0);
    static const char get[] = "GET //v1/models HTTP/1.1\r\nHost: other\r\n"
                              "accept: application/json\r\n\r\n";
    ck_assert_uint_eq(len, sizeof get - 1);
    ck_assert(memcmp(buf, get, len) == 0);

    /* a POST without a body still says so, as libcurl does */
    ck_assert_int_eq(client_exchange_init(ex, "http://h", "POST", "/p", NULL, 0), 0);
    ck_assert_int_eq(wire_request(ex, "h", buf, sizeof buf, &len), 0);
    static const char empty[] = "POST /p HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n"
                                "Content-Type: application/x-www-form-urlencoded\r\n"
                                "Content-Length: 0\r\n\r\n";
    ck_assert_uint_eq(len, sizeof empty - 1);
    ck_assert(memcmp(buf, empty, len) == 0);

    /* paths libcurl would rewrite or refuse stay with libcurl */
    static const char *const odd[] = {"/a/../b", "/a/./b", "/a b", "/a#frag", "/caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        ck_assert_int_eq(client_exchange_init(ex, "http://h", "GET", odd[i], NULL, 0), 0);
        ck_assert_int_eq(wire_request(ex, "h", buf, sizeof buf, &len), -1);
    }
    ex_free(ex);
}
END_TEST

/* Runs the multi handle until c's CONNECT_ONLY transfer reports; returns what
 * wire_conn_connected made of it. */
static int connect_through(CURLM *multi, wire_conn *c)
{
    for (int spins = 0; spins < 1000; spins++) {
        int running = 0, left = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        while ((m = curl_multi_info_read(multi, &left)) != NULL)
            if (m->msg == CURLMSG_DONE && m->easy_handle == c->easy)
                return wire_conn_connected(c, m->data.result);
        curl_multi_poll(multi, NULL, 0, 10, NULL);
    }
    ck_abort_msg("the connection never came up");
    return WIRE_FAIL;
}

/* A connection libcurl opened carries our bytes; an exchange past its deadline fails as
 * libcurl's timeout would and its connection is closed (the server sees the end), and
 * the next request connects afresh. No server here ever answers. */
START_TEST(a_connection_times_out_and_is_closed)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(ls, 4), 0);
    ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&a, &al), 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", ntohs(a.sin_port));

    CURLM *multi = curl_multi_init();
    wire_conn c;
    ck_assert_int_eq(wire_conn_init(&c, multi, base), 0);
    exchange *ex = ex_new();
    ck_assert_int_eq(client_exchange_init(ex, base, "POST", "/v3/x", "{}", 2), 0);
    ex->sent_us = clock_mono_us();
    ck_assert_int_eq(wire_conn_start(&c, ex), WIRE_MORE);
    ck_assert_int_eq(c.state, WIRE_CONNECTING);
    ck_assert_int_eq(connect_through(multi, &c), WIRE_MORE);
    ck_assert_int_eq(wire_conn_events(&c), POLLIN); /* sent whole, waiting */
    ck_assert_int_eq(c.deadline_us, ex->sent_us + CLIENT_TIMEOUT_MS * 1000LL);

    int fd = accept(ls, NULL, NULL);
    ck_assert_int_ge(fd, 0);
    char got[512], sent[512];
    size_t wn = 0;
    ck_assert_int_eq(wire_request(ex, c.host, sent, sizeof sent, &wn), 0);
    size_t gn = 0;
    while (gn < wn) {
        ssize_t r = recv(fd, got + gn, sizeof got - gn, 0);
        ck_assert_int_gt(r, 0);
        gn += (size_t)r;
    }
    ck_assert_uint_eq(gn, wn);
    ck_assert(memcmp(got, sent, wn) == 0);

    wire_conn_timeout(&c);
    ck_assert_int_eq(ex->curl_code, CURLE_OPERATION_TIMEDOUT);
    ck_assert_str_eq(ex->error, curl_easy_strerror(CURLE_OPERATION_TIMEDOUT));
    ck_assert_int_eq(ex->status, 0);
    ck_assert_int_eq(c.state, WIRE_CLOSED);
    ck_assert_int_eq(wire_conn_events(&c), 0);
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    ck_assert_int_eq(poll(&pf, 1, 5000), 1);
    ck_assert_int_eq(recv(fd, got, sizeof got, 0), 0); /* libcurl closed it */
    close(fd);

    /* the next request needs a new connection */
    ex->sent_us = clock_mono_us();
    ck_assert_int_eq(wire_conn_start(&c, ex), WIRE_MORE);
    ck_assert_int_eq(c.state, WIRE_CONNECTING);
    ck_assert_int_eq(connect_through(multi, &c), WIRE_MORE);
    fd = accept(ls, NULL, NULL);
    ck_assert_int_ge(fd, 0);
    close(fd);
    wire_conn_free(&c);
    curl_multi_cleanup(multi);
    ex_free(ex);
    close(ls);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("wire");
    TCase *t = tcase_create("wire");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, every_split_gives_the_same_answer);
    tcase_add_test(t, bad_answers_fail_with_libcurls_code);
    tcase_add_test(t, header_block_over_its_cap_fails_without_reading_on);
    tcase_add_test(t, body_over_the_cap_is_counted_not_kept);
    tcase_add_test(t, what_follows_an_answer_is_left_unread);
    tcase_add_test(t, damaged_answers_never_crash);
    tcase_add_test(t, host_as_libcurl_writes_it);
    tcase_add_test(t, request_bytes);
    tcase_add_test(t, a_connection_times_out_and_is_closed);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(suite)
