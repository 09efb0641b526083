/* wire: HTTP/1.1 framed by the harness on the replay path.
 *
 * libcurl's per-transfer work (its printf engine writing the request head, header scans,
 * a 16 KiB buffer per transfer, ~36 clock reads, a liveness poll() before reusing a
 * connection and another after sending) was about 40 % of the harness's CPU as a load
 * generator. Here libcurl only sets the connection up (DNS, connect, TLS) with
 * CURLOPT_CONNECT_ONLY through the scheduler's multi handle; the request is written
 * and the answer read with curl_easy_send/curl_easy_recv, so https still goes through
 * libcurl's TLS, and the socket is polled in the scheduler's own loop.
 *
 * Failures carry the CURLcode the full libcurl path would have given, in the exchange
 * (client_complete), so reports and checks read them the same way. */
#ifndef WXAI_WIRE_H
#define WXAI_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "client.h"

#define WIRE_REQ_MAX (32u * 1024)  /* a request longer than this goes the libcurl way */
#define WIRE_HEAD_MAX (64u * 1024) /* a response's header block (or trailers) past this fails */
#define WIRE_IN_SIZE (16u * 1024)  /* bytes asked of each recv */

/* wire_parse results */
#define WIRE_MORE 0 /* feed more bytes */
#define WIRE_DONE 1 /* the response is complete */
#define WIRE_FAIL (-1)

typedef struct wire_parser {
    exchange *ex; /* where the answer goes (not owned) */
    int state;
    int head;          /* the request was HEAD: no body whatever the headers say */
    int close;         /* the connection ends with this response */
    int keep_alive;    /* "Connection: keep-alive" (for HTTP/1.0) */
    int http10;        /* the status line said HTTP/1.0 */
    int chunked;       /* Transfer-Encoding ends in chunked */
    int got_any;       /* a byte of the response arrived */
    long status;       /* of the final (non-1xx) response */
    int64_t clen;      /* Content-Length, -1 when none */
    uint64_t left;     /* body or chunk bytes still to come */
    size_t line_bytes; /* of the header block, trailers or chunk-size line being read */
    char *line;        /* a line split between two reads (owned, WIRE_HEAD_MAX, lazily) */
    size_t line_len;
    CURLcode code; /* why it failed */
} wire_parser;

/* Start reading the answer to a request sent with method into ex; p->line is kept. */
void wire_parser_start(wire_parser *p, exchange *ex, const char *method);
/* Feed n bytes. *used says how many were taken (all of them unless WIRE_DONE came
 * early). Returns WIRE_MORE, WIRE_DONE, or WIRE_FAIL with p->code set. */
int wire_parse(wire_parser *p, const char *data, size_t n, size_t *used);
/* The peer closed the connection: WIRE_DONE when that ends the body, else WIRE_FAIL. */
int wire_parse_eof(wire_parser *p);
/* Free what p owns; p may be NULL. */
void wire_parser_free(wire_parser *p);

/* The "Host" value for base (scheme://host[:port]), as libcurl writes it: the port only
 * when it is not the scheme's own, into host[cap]. 0, or -1 when base is not a plain
 * http:// or https:// URL (user info, a query, another scheme). */
int wire_host(const char *base, char *host, size_t cap);
/* ex's request for host into buf[cap], *len its length. 0, or -1 when it does not fit or
 * when its path is one libcurl would rewrite (dot segments, spaces, a fragment). */
int wire_request(const exchange *ex, const char *host, char *buf, size_t cap, size_t *len);

/* One keep-alive connection of a flow slot. */
enum { WIRE_CLOSED, WIRE_CONNECTING, WIRE_IDLE, WIRE_SENDING, WIRE_RECEIVING };

typedef struct wire_conn {
    int state;
    CURLM *multi; /* not owned; easy is in it from connect to close */
    CURL *easy;   /* CONNECT_ONLY handle (owned) */
    curl_socket_t fd;
    int tls;      /* https: libcurl's TLS may hold bytes poll() cannot see */
    exchange *ex; /* in flight, not owned */
    char host[300];
    char *out; /* the request (owned, WIRE_REQ_MAX) */
    size_t out_len, out_off;
    char *in; /* owned, WIRE_IN_SIZE */
    wire_parser p;
    uint64_t answered; /* on this connection: a request after the first may find it stale */
    int resent;        /* the request in flight went out again on a new connection */
    int64_t deadline_us;
} wire_conn;

/* Ready c for the target base; 0, or -1 (out of memory, or base is not for the wire). */
int wire_conn_init(wire_conn *c, CURLM *multi, const char *base);
/* Close the connection and free what c owns; c may be NULL or never initialised. */
void wire_conn_free(wire_conn *c);
/* Start ex (sent_us set) on c, connecting first when c has no connection. Returns WIRE_MORE
 * (poll c), WIRE_FAIL (ex->curl_code set: finish it), or -2 when ex does not fit the wire
 * (nothing was done: send it the libcurl way). */
int wire_conn_start(wire_conn *c, exchange *ex);
/* c's CONNECT_ONLY transfer finished with code: WIRE_MORE or WIRE_FAIL, as above. */
int wire_conn_connected(wire_conn *c, CURLcode code);
/* poll() events c waits for, 0 when none (an idle connection is watched for its end). */
short wire_conn_events(const wire_conn *c);
/* Act on revents: WIRE_MORE, WIRE_DONE (ex holds the answer) or WIRE_FAIL. On an idle
 * connection (no exchange) it closes the connection and returns WIRE_MORE. */
int wire_conn_io(wire_conn *c, short revents);
/* The exchange in flight is past its deadline: drop the connection, fail ex. */
void wire_conn_timeout(wire_conn *c);

#endif
