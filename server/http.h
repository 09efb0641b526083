/* http: the request context and the one way responses leave the server.
 *
 * Every response goes through http_send, which adds Request-ID (and
 * x-request-id on /v1), the JSON content type, and the Wechatpay-* response
 * signature whenever the merchant is known. Every error goes through
 * http_error, which picks the shape the path's API family expects. */
#ifndef WXAI_HTTP_H
#define WXAI_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <civetweb.h>
#include <cjson/cJSON.h>

#include "ident.h"
#include "scenario.h"

#define HTTP_EXTRA_HEADERS 2048
#define HTTP_RESP_KEEP_MAX (64u << 10)
#define HTTP_ONE_WRITE_MAX (16u << 10) /* bodies up to this leave in one write with the head */

struct server;

/* Request headers looked up on the hot paths; http_header finds these by name in the table
 * http_req_scan_headers fills, any other name by a scan of CivetWeb's list. */
enum {
    HTTP_HDR_AUTHORIZATION,
    HTTP_HDR_WECHATPAY_TIMESTAMP,
    HTTP_HDR_WECHATPAY_NONCE,
    HTTP_HDR_WECHATPAY_SERIAL,
    HTTP_HDR_WECHATPAY_SIGNATURE,
    HTTP_HDR_CONTENT_TYPE,
    HTTP_HDR_IDEMPOTENCY_KEY,
    HTTP_HDR_ACCEPT,
    HTTP_HDR_X_ADMIN_TOKEN,
    HTTP_HDR_COUNT
};

typedef struct http_req {
    struct mg_connection *conn;
    const struct mg_request_info *ri;
    struct server *srv;
    const scenario *sc;                /* the scenario this request runs under (a held reference) */
    const scenario_merchant *merchant; /* set once the caller is identified */
    const scenario_key *key;           /* key that signs the response, when identified */
    char request_id[IDENT_UUID_LEN];
    char *body; /* owned, NUL-terminated; NULL before http_read_body */
    size_t body_len;
    size_t extra_len; /* bytes of extra in use */
    int status; /* status sent, 0 before */
    /* engine.h: the runtime state of sc, and what it decided for this request */
    struct engine *engine;                 /* held with sc; NULL outside the server */
    struct engine_req *er;                 /* NULL when the engine does not shape req */
    void (*before_send)(struct http_req *); /* adds RateLimit headers; may be NULL */
    int truncate_body;                     /* fault: send half the body, then close */
    char *resp_body; /* owned copy of a JSON body sent (up to HTTP_RESP_KEEP_MAX), for exchange.c */
    size_t resp_len; /* bytes of the body sent, kept or not */
    int64_t start_ms; /* clock_mono_ms() at arrival */
    /* journal and metrics (server.c); run once, by http_send before the answer leaves */
    void (*observe)(struct http_req *);
    /* the headers handlers ask for, found in one pass by http_req_scan_headers (the first
     * of each name, as mg_get_header gives); before that scan http_header asks CivetWeb */
    const char *hdr[HTTP_HDR_COUNT];
    int hdr_scanned;
    /* usage and cost of the answer, when the handler that wrote it says so (http_meter):
     * exchange.c then need not scan the answer to find them */
    struct {
        int set;
        int64_t input_tokens, output_tokens, cost_micros;
    } meter;
    uint64_t idem_ticket; /* idempotency.h: the request's claim on its Idempotency-Key, or 0 */
    int replayed;         /* the answer is an idempotent replay, billed when first sent */
    /* Last, so that a request zeroes only the fields above (HTTP_REQ_ZERO): 3 KiB of a
     * worker's stack less to clear and to pull into the cache on every request. */
    char url[1024];                 /* path plus ?query, as signed */
    char extra[HTTP_EXTRA_HEADERS]; /* "Name: value\r\n" lines added by handlers; extra_len long */
} http_req;

/* Bytes of an http_req to zero for a new request; url and extra start empty on their own. */
#define HTTP_REQ_ZERO offsetof(http_req, url)

enum { HTTP_OK = 0, HTTP_ETOOBIG = -1, HTTP_EREAD = -2, HTTP_ENOMEM = -3 };

/* Read the whole body, at most cap bytes, into req->body (owned by req).
 * HTTP_ETOOBIG when it is larger, HTTP_EREAD when the peer stops early. */
int http_read_body(http_req *req, size_t cap);
/* Release what req owns; req may be NULL. */
void http_req_cleanup(http_req *req);
/* Fill req->hdr from req->ri in one pass over the request's headers. */
void http_req_scan_headers(http_req *req);
/* Request header value or NULL (borrowed from CivetWeb, valid during the request). */
const char *http_header(const http_req *req, const char *name);
/* The same for a header of the table, k an HTTP_HDR_* (no name comparisons). */
const char *http_hdr(const http_req *req, int k);
/* Queue a response header for the next send; silently refused past the cap. */
void http_add_header(http_req *req, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Tell exchange.c the usage and cost written into the answer about to be sent, and that
 * the answer is one line of JSON (as the http_json_* writer prints it) with no
 * explanation_expires_at to expire: the journal takes it as it is, unscanned. */
void http_meter(http_req *req, int64_t input_tokens, int64_t output_tokens, int64_t cost_micros);
/* Send status with body (may be NULL) and queued headers. Returns 0 or -1. */
int http_send(http_req *req, int status, const char *content_type, const char *body, size_t len);
/* Send a JSON value (not consumed). Returns 0 or -1. */
int http_send_json(http_req *req, int status, const cJSON *json);
/* A JSON text written piece by piece, in exactly the bytes cJSON_PrintUnformatted gives for
 * the same tree, so a hot answer need not be built as a tree first. Starts zeroed; p is
 * owned by the writer until http_send_json_text (or free(p)). */
typedef struct http_json {
    char *p;
    size_t len, cap;
    int failed;
} http_json;
void http_json_put(http_json *b, const char *s, size_t n); /* n bytes as they are */
/* a string literal as it is (punctuation and keys), its length known at compile time */
#define http_json_lit(b, lit) http_json_put((b), "" lit, sizeof(lit) - 1)
void http_json_str(http_json *b, const char *s);    /* a string value; NULL prints "" */
void http_json_num(http_json *b, double d);         /* a number, as cJSON prints it */
void http_json_value(http_json *b, const cJSON *v); /* a tree, as cJSON prints it */
/* Send b's text as a JSON answer and release it. Returns 0 or -1 (also when b failed). */
int http_send_json_text(http_req *req, int status, http_json *b);
/* Send an error in the shape of the path's family: WeChat {code, message, detail} on /v3,
 * RFC 6749 {error, error_description} on the token endpoint, OpenAI {error: {...}} on /v1.
 * detail (may be NULL) is consumed. Returns 0 or -1. */
int http_error(http_req *req, int status, const char *code, const char *message, cJSON *detail);
/* 400 PARAM_ERROR naming the JSON Pointer `field` of the body and the issue. Returns -1
 * (so handlers can `return http_param_error(...)`). */
int http_param_error(http_req *req, const char *field, const char *issue);
/* Reason phrase for a status code (static string). */
const char *http_reason(int status);
/* Start a chunked response (Server-Sent Events) with Request-ID, x-request-id on /v1 and the
 * queued headers; the body follows with http_stream_write. Returns 0 or -1. */
int http_stream_begin(http_req *req, int status, const char *content_type);
/* Send len bytes as one chunk (len 0 sends nothing). Returns 0 or -1 (peer gone). */
int http_stream_write(http_req *req, const char *data, size_t len);
/* Send the terminating chunk. Returns 0 or -1. */
int http_stream_end(http_req *req);

#endif
