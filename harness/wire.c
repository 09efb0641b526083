#include "wire.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    P_STATUS,
    P_HEADERS,
    P_BODY,
    P_EOF_BODY,
    P_CHUNK_SIZE,
    P_CHUNK_DATA,
    P_CHUNK_END,
    P_TRAILERS,
    P_DONE,
};

void wire_parser_start(wire_parser *p, exchange *ex, const char *method)
{
    char *line = p->line;
    memset(p, 0, sizeof *p);
    p->line = line;
    p->ex = ex;
    p->head = strcmp(method, "HEAD") == 0;
    p->clen = -1;
}

void wire_parser_free(wire_parser *p)
{
    if (!p) return;
    free(p->line);
    p->line = NULL;
    p->line_len = 0;
}

static int parse_fail(wire_parser *p, CURLcode code)
{
    p->code = code;
    return WIRE_FAIL;
}

static int parse_done(wire_parser *p)
{
    p->state = P_DONE;
    return WIRE_DONE;
}

/* s[n] with blanks cut from both ends, in place of the pair. */
static void trim(const char **s, size_t *n)
{
    while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* 1 when the comma-separated list v[n] holds token (any case). */
static int has_token(const char *v, size_t n, const char *token)
{
    size_t tl = strlen(token);
    while (n) {
        const char *comma = memchr(v, ',', n);
        size_t part = comma ? (size_t)(comma - v) : n;
        const char *t = v;
        size_t tn = part;
        trim(&t, &tn);
        if (tn == tl && strncasecmp(t, token, tl) == 0) return 1;
        if (!comma) break;
        v = comma + 1;
        n -= part + 1;
    }
    return 0;
}

/* 1 when the last coding of the list v[n] is chunked (an earlier one would not end the body) */
static int last_is_chunked(const char *v, size_t n)
{
    const char *comma = NULL;
    for (size_t i = 0; i < n; i++)
        if (v[i] == ',') comma = v + i;
    if (comma) {
        n -= (size_t)(comma + 1 - v);
        v = comma + 1;
    }
    trim(&v, &n);
    return n == 7 && strncasecmp(v, "chunked", 7) == 0;
}

static int on_status(wire_parser *p, const char *l, size_t n)
{
    /* libcurl (HTTP/0.9 not allowed) refuses an answer that does not start like HTTP */
    if (n < 5 || memcmp(l, "HTTP/", 5) != 0) return parse_fail(p, CURLE_UNSUPPORTED_PROTOCOL);
    if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ')
        return parse_fail(p, CURLE_WEIRD_SERVER_REPLY);
    long st = 0;
    for (int i = 9; i < 12; i++) {
        if (l[i] < '0' || l[i] > '9') return parse_fail(p, CURLE_WEIRD_SERVER_REPLY);
        st = st * 10 + (l[i] - '0');
    }
    if (st < 100 || (n > 12 && l[12] != ' ')) return parse_fail(p, CURLE_WEIRD_SERVER_REPLY);
    p->status = st;
    p->http10 = l[7] == '0';
    p->clen = -1;
    p->chunked = p->close = p->keep_alive = 0;
    p->state = P_HEADERS;
    return WIRE_MORE;
}

static int on_header_line(wire_parser *p, const char *l, size_t n)
{
    const char *colon = memchr(l, ':', n);
    /* folded continuations and lines without a name: libcurl passes them on unread too */
    if (!colon || colon == l || l[0] == ' ' || l[0] == '\t') return WIRE_MORE;
    size_t nl = (size_t)(colon - l);
    const char *v = colon + 1;
    size_t vn = n - nl - 1;
    client_header(p->ex, l, nl, v, vn);
    trim(&v, &vn);
    if (nl == 14 && strncasecmp(l, "Content-Length", 14) == 0) {
        int64_t len = 0;
        if (vn == 0 || vn > 18) return parse_fail(p, CURLE_WEIRD_SERVER_REPLY);
        for (size_t i = 0; i < vn; i++) {
            if (v[i] < '0' || v[i] > '9') return parse_fail(p, CURLE_WEIRD_SERVER_REPLY);
            len = len * 10 + (v[i] - '0');
        }
        if (p->clen >= 0 && p->clen != len) return parse_fail(p, CURLE_WEIRD_SERVER_REPLY);
        p->clen = len;
    } else if (nl == 17 && strncasecmp(l, "Transfer-Encoding", 17) == 0) {
        p->chunked = last_is_chunked(v, vn);
    } else if (nl == 10 && strncasecmp(l, "Connection", 10) == 0) {
        if (has_token(v, vn, "close")) p->close = 1;
        if (has_token(v, vn, "keep-alive")) p->keep_alive = 1;
    }
    return WIRE_MORE;
}

static int on_head_end(wire_parser *p)
{
    if (p->status < 200) {
        /* 101 would switch protocols, which was never asked for */
        if (p->status == 101) return parse_fail(p, CURLE_WEIRD_SERVER_REPLY);
        /* an interim answer: the real one follows with its own header block */
        client_headers_clear(p->ex);
        p->state = P_STATUS;
        p->line_bytes = 0;
        return WIRE_MORE;
    }
    if (p->http10 && !p->keep_alive) p->close = 1;
    if (p->head || p->status == 204 || p->status == 304) return parse_done(p);
    if (p->chunked) {
        p->state = P_CHUNK_SIZE;
        p->line_bytes = 0;
        return WIRE_MORE;
    }
    if (p->clen >= 0) {
        if (p->clen == 0) return parse_done(p);
        p->left = (uint64_t)p->clen;
        p->state = P_BODY;
        return WIRE_MORE;
    }
    /* no length: the body runs to the end of the connection */
    p->close = 1;
    p->state = P_EOF_BODY;
    return WIRE_MORE;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* libcurl reports broken chunk framing as a receive error */
static int on_chunk_size(wire_parser *p, const char *l, size_t n)
{
    uint64_t size = 0;
    size_t i = 0;
    for (; i < n && hexval(l[i]) >= 0; i++) {
        if (i == 15) return parse_fail(p, CURLE_RECV_ERROR); /* past 2^60: not a real size */
        size = size * 16 + (uint64_t)hexval(l[i]);
    }
    if (i == 0) return parse_fail(p, CURLE_RECV_ERROR);
    while (i < n && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (i < n && l[i] != ';') return parse_fail(p, CURLE_RECV_ERROR);
    p->line_bytes = 0;
    if (size == 0) {
        p->state = P_TRAILERS;
        return WIRE_MORE;
    }
    p->left = size;
    p->state = P_CHUNK_DATA;
    return WIRE_MORE;
}

static int on_line(wire_parser *p, const char *l, size_t n)
{
    switch (p->state) {
    case P_STATUS:
        return on_status(p, l, n);
    case P_HEADERS:
        return n ? on_header_line(p, l, n) : on_head_end(p);
    case P_CHUNK_SIZE:
        return on_chunk_size(p, l, n);
    case P_CHUNK_END:
        if (n) return parse_fail(p, CURLE_RECV_ERROR);
        p->state = P_CHUNK_SIZE;
        p->line_bytes = 0;
        return WIRE_MORE;
    case P_TRAILERS:
        return n ? WIRE_MORE : parse_done(p);
    }
    return parse_fail(p, CURLE_WEIRD_SERVER_REPLY);
}

static int body(wire_parser *p, const char *d, size_t n)
{
    return client_body(p->ex, d, n) == 0 ? WIRE_MORE : parse_fail(p, CURLE_WRITE_ERROR);
}

int wire_parse(wire_parser *p, const char *data, size_t n, size_t *used)
{
    size_t i = 0;
    int r = WIRE_MORE;
    if (n) p->got_any = 1;
    while (i < n && r == WIRE_MORE) {
        size_t rest = n - i;
        if (p->state == P_DONE) break;
        if (p->state == P_EOF_BODY) {
            r = body(p, data + i, rest);
            i = n;
            continue;
        }
        if (p->state == P_BODY || p->state == P_CHUNK_DATA) {
            size_t take = rest < p->left ? rest : (size_t)p->left;
            r = body(p, data + i, take);
            i += take;
            p->left -= take;
            if (r == WIRE_MORE && p->left == 0) {
                if (p->state == P_BODY) {
                    r = parse_done(p);
                } else {
                    p->state = P_CHUNK_END;
                    p->line_bytes = 0;
                }
            }
            continue;
        }
        /* a line: the status line, a header, a chunk size or its CRLF, a trailer */
        const char *nl = memchr(data + i, '\n', rest);
        size_t seg = nl ? (size_t)(nl - (data + i)) + 1 : rest;
        p->line_bytes += seg;
        if (p->line_bytes > WIRE_HEAD_MAX) {
            r = parse_fail(p, p->state == P_STATUS || p->state == P_HEADERS
                                  ? CURLE_WEIRD_SERVER_REPLY
                                  : CURLE_RECV_ERROR);
            break;
        }
        const char *line = data + i;
        size_t len = seg;
        if (!nl || p->line_len) {
            /* the line goes on in the next read: keep its start (within the cap above) */
            if (!p->line && !(p->line = malloc(WIRE_HEAD_MAX))) {
                r = parse_fail(p, CURLE_OUT_OF_MEMORY);
                break;
            }
            memcpy(p->line + p->line_len, data + i, seg);
            p->line_len += seg;
            i += seg;
            if (!nl) continue;
            line = p->line;
            len = p->line_len;
            p->line_len = 0;
        } else {
            i += seg;
        }
        len--; /* the \n */
        if (len && line[len - 1] == '\r') len--;
        r = on_line(p, line, len);
    }
    *used = i;
    return r;
}

int wire_parse_eof(wire_parser *p)
{
    if (p->state == P_EOF_BODY || p->state == P_DONE) return parse_done(p);
    if (!p->got_any) return parse_fail(p, CURLE_GOT_NOTHING);
    if (p->state == P_STATUS || p->state == P_HEADERS)
        return parse_fail(p, CURLE_WEIRD_SERVER_REPLY);
    /* libcurl: "transfer closed with outstanding read data remaining" */
    return parse_fail(p, CURLE_PARTIAL_FILE);
}

int wire_host(const char *base, char *host, size_t cap)
{
    const char *a;
    int tls;
    if (strncasecmp(base, "http://", 7) == 0) {
        a = base + 7;
        tls = 0;
    } else if (strncasecmp(base, "https://", 8) == 0) {
        a = base + 8;
        tls = 1;
    } else {
        return -1;
    }
    size_t n = strcspn(a, "/?#");
    if (n == 0 || a[n] == '?' || a[n] == '#' || memchr(a, '@', n)) return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)a[i] <= ' ' || (unsigned char)a[i] >= 0x7f) return -1;
    /* the port, when there is one, follows the last ':' after any IPv6 bracket */
    const char *close = memchr(a, ']', n);
    const char *from = close ? close : a;
    const char *colon = NULL;
    for (const char *q = from; q < a + n; q++)
        if (*q == ':') colon = q;
    size_t hn = n;
    if (colon) {
        const char *port = colon + 1;
        size_t pn = (size_t)(a + n - port);
        long v = 0;
        for (size_t i = 0; i < pn; i++) {
            if (port[i] < '0' || port[i] > '9' || i >= 5) return -1;
            v = v * 10 + (port[i] - '0');
        }
        if (pn == 0 || v == (tls ? 443 : 80)) hn = (size_t)(colon - a);
    }
    if (hn >= cap) return -1;
    memcpy(host, a, hn);
    host[hn] = '\0';
    return 0;
}

/* The request target of url: everything after the authority. */
static const char *target_of(const char *url)
{
    const char *a = strstr(url, "://");
    if (!a) return NULL;
    return a + 3 + strcspn(a + 3, "/?#");
}

/* 1 when one of ex's headers is named name (nl bytes). */
static int has_header(const exchange *ex, const char *name, size_t nl)
{
    for (int i = 0; i < ex->nheaders; i++)
        if (strncasecmp(ex->headers[i], name, nl) == 0 && ex->headers[i][nl] == ':') return 1;
    return 0;
}

typedef struct out {
    char *p;
    size_t len, cap;
    int over;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->over || n > o->cap - o->len) {
        o->over = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

#define PUTS(o, lit) put(o, lit, sizeof lit - 1)

int wire_request(const exchange *ex, const char *host, char *buf, size_t cap, size_t *len)
{
    const char *t = target_of(ex->url);
    if (!t || *t == '?' || *t == '#') return -1;
    size_t tn = strlen(t);
    /* libcurl would rewrite these (dot segments) or refuse them; it keeps that job */
    for (size_t i = 0; i < tn; i++)
        if ((unsigned char)t[i] <= ' ' || (unsigned char)t[i] >= 0x7f || t[i] == '#') return -1;
    if (strstr(t, "/.")) return -1;
    out o = {buf, 0, cap, 0};
    put(&o, ex->method, strlen(ex->method));
    PUTS(&o, " ");
    if (tn)
        put(&o, t, tn);
    else
        PUTS(&o, "/");
    PUTS(&o, " HTTP/1.1\r\n");
    if (!has_header(ex, "Host", 4)) {
        PUTS(&o, "Host: ");
        put(&o, host, strlen(host));
        PUTS(&o, "\r\n");
    }
    if (!has_header(ex, "Accept", 6)) PUTS(&o, "Accept: */*\r\n");
    for (int i = 0; i < ex->nheaders; i++) {
        const char *h = ex->headers[i];
        size_t hn = strlen(h);
        const char *colon = memchr(h, ':', hn);
        /* "Name:" with nothing after it takes a header away in libcurl; none is sent */
        if (colon && strspn(colon + 1, " \t") == hn - (size_t)(colon + 1 - h)) continue;
        put(&o, h, hn);
        PUTS(&o, "\r\n");
    }
    /* what makes libcurl send a body (client_prepare sets POSTFIELDS for these) */
    if (ex->body || strcmp(ex->method, "POST") == 0 || strcmp(ex->method, "PUT") == 0) {
        if (!has_header(ex, "Content-Type", 12))
            PUTS(&o, "Content-Type: application/x-www-form-urlencoded\r\n");
        if (!has_header(ex, "Content-Length", 14)) {
            char num[24];
            int k = (int)sizeof num;
            size_t v = ex->body_len;
            do {
                num[--k] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            PUTS(&o, "Content-Length: ");
            put(&o, num + k, sizeof num - (size_t)k);
            PUTS(&o, "\r\n");
        }
    }
    PUTS(&o, "\r\n");
    if (ex->body_len) put(&o, ex->body, ex->body_len);
    if (o.over) return -1;
    *len = o.len;
    return 0;
}

int wire_conn_init(wire_conn *c, CURLM *multi, const char *base)
{
    memset(c, 0, sizeof *c);
    c->fd = CURL_SOCKET_BAD;
    c->multi = multi;
    if (wire_host(base, c->host, sizeof c->host) != 0) return -1;
    c->tls = strncasecmp(base, "https://", 8) == 0;
    c->out = malloc(WIRE_REQ_MAX);
    c->in = malloc(WIRE_IN_SIZE);
    c->easy = curl_easy_init();
    if (!c->out || !c->in || !c->easy) {
        wire_conn_free(c);
        return -1;
    }
    /* the CA bundle is the exchange's, set when a connection is opened for one */
    client_easy_defaults(c->easy, NULL);
    curl_easy_setopt(c->easy, CURLOPT_URL, base);
    curl_easy_setopt(c->easy, CURLOPT_CONNECT_ONLY, 1L);
    return 0;
}

/* Out of the multi handle: libcurl closes a CONNECT_ONLY handle's connection when the
 * handle is removed, so the next request connects afresh. */
static void conn_close(wire_conn *c)
{
    if (c->state != WIRE_CLOSED) curl_multi_remove_handle(c->multi, c->easy);
    c->state = WIRE_CLOSED;
    c->fd = CURL_SOCKET_BAD;
    c->answered = 0;
}

void wire_conn_free(wire_conn *c)
{
    if (!c) return;
    if (c->easy) {
        conn_close(c);
        curl_easy_cleanup(c->easy);
    }
    free(c->out);
    free(c->in);
    wire_parser_free(&c->p);
    memset(c, 0, sizeof *c);
    c->fd = CURL_SOCKET_BAD;
}

static int conn_fail(wire_conn *c, CURLcode code)
{
    conn_close(c);
    client_complete(c->ex, code, 0);
    return WIRE_FAIL;
}

static int conn_open(wire_conn *c)
{
    c->out_off = 0;
    /* connecting counts against the exchange's limit, as in a libcurl transfer */
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, client_timeout_ms(c->ex));
    if (c->ex->cainfo) curl_easy_setopt(c->easy, CURLOPT_CAINFO, c->ex->cainfo);
    if (curl_multi_add_handle(c->multi, c->easy) != CURLM_OK)
        return conn_fail(c, CURLE_FAILED_INIT);
    c->state = WIRE_CONNECTING;
    return WIRE_MORE;
}

/* A request on a kept connection that the server had already dropped (its keep-alive
 * timeout, a restart) meets EOF or a reset before a byte of answer: libcurl sends it
 * once more on a new connection, and so does this. */
static int stale(const wire_conn *c)
{
    return c->answered > 0 && !c->resent && !c->p.got_any;
}

static int resend(wire_conn *c)
{
    conn_close(c);
    c->resent = 1;
    client_response_clear(c->ex);
    wire_parser_start(&c->p, c->ex, c->ex->method);
    return conn_open(c);
}

static int conn_send(wire_conn *c)
{
    while (c->out_off < c->out_len) {
        size_t n = 0;
        CURLcode rc = curl_easy_send(c->easy, c->out + c->out_off, c->out_len - c->out_off, &n);
        if (rc == CURLE_AGAIN) return WIRE_MORE;
        if (rc != CURLE_OK) return stale(c) ? resend(c) : conn_fail(c, CURLE_SEND_ERROR);
        c->out_off += n;
    }
    /* the answer cannot be there yet: wait for poll() rather than try a recv() */
    c->state = WIRE_RECEIVING;
    return WIRE_MORE;
}

static int conn_answered(wire_conn *c, int extra)
{
    /* bytes after the answer were never asked for: the connection cannot be trusted */
    if (c->p.close || extra) {
        conn_close(c);
    } else {
        c->state = WIRE_IDLE;
        c->answered++;
    }
    client_complete(c->ex, CURLE_OK, c->p.status);
    return WIRE_DONE;
}

static int conn_recv(wire_conn *c)
{
    for (;;) {
        size_t n = 0, used = 0;
        CURLcode rc = curl_easy_recv(c->easy, c->in, WIRE_IN_SIZE, &n);
        if (rc == CURLE_AGAIN) return WIRE_MORE;
        if (rc != CURLE_OK) return stale(c) ? resend(c) : conn_fail(c, CURLE_RECV_ERROR);
        if (n == 0) {
            if (stale(c)) return resend(c);
            if (wire_parse_eof(&c->p) == WIRE_DONE) {
                c->p.close = 1;
                return conn_answered(c, 0);
            }
            return conn_fail(c, c->p.code);
        }
        int r = wire_parse(&c->p, c->in, n, &used);
        if (r == WIRE_FAIL) return conn_fail(c, c->p.code);
        if (r == WIRE_DONE) return conn_answered(c, used < n);
        /* A short read took all the socket had: poll() says when more comes, which saves a
         * recv() that would fail with EAGAIN. TLS may hold decrypted bytes poll() cannot
         * see, so there it reads on until libcurl says EAGAIN. */
        if (n < WIRE_IN_SIZE && !c->tls) return WIRE_MORE;
    }
}

int wire_conn_start(wire_conn *c, exchange *ex)
{
    size_t len;
    if (wire_request(ex, c->host, c->out, WIRE_REQ_MAX, &len) != 0) return -2;
    c->out_len = len;
    c->out_off = 0;
    c->ex = ex;
    c->resent = 0;
    client_response_clear(ex);
    wire_parser_start(&c->p, ex, ex->method);
    c->deadline_us = ex->sent_us + (int64_t)client_timeout_ms(ex) * 1000;
    if (c->state == WIRE_IDLE) {
        c->state = WIRE_SENDING;
        return conn_send(c);
    }
    return conn_open(c);
}

int wire_conn_connected(wire_conn *c, CURLcode code)
{
    if (code != CURLE_OK) return conn_fail(c, code);
    curl_socket_t fd = CURL_SOCKET_BAD;
    if (curl_easy_getinfo(c->easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD)
        return conn_fail(c, CURLE_COULDNT_CONNECT);
    c->fd = fd;
    c->state = WIRE_SENDING;
    return conn_send(c);
}

short wire_conn_events(const wire_conn *c)
{
    /* an idle connection is watched too: the poll() is made anyway, and it tells what
     * libcurl learns with a poll() of its own before each reuse */
    if (c->state == WIRE_SENDING) return POLLOUT;
    return c->state == WIRE_RECEIVING || c->state == WIRE_IDLE ? POLLIN : 0;
}

int wire_conn_io(wire_conn *c, short revents)
{
    (void)revents; /* an error or hangup shows in what send or recv return */
    if (c->state == WIRE_SENDING) return conn_send(c);
    if (c->state == WIRE_RECEIVING) return conn_recv(c);
    /* Nothing was asked on an idle connection: what arrives is its end (the server's
     * keep-alive timeout) or an answer to no request (a 408 before that end). Either way
     * it cannot carry the next request, which would read that as its answer. */
    if (c->state == WIRE_IDLE) conn_close(c);
    return WIRE_MORE;
}

void wire_conn_timeout(wire_conn *c)
{
    conn_fail(c, CURLE_OPERATION_TIMEDOUT);
}
