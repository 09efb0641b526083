/* client: one HTTP exchange as the harness sends and sees it.
 *
 * An exchange keeps the request exactly as sent (headers included, so a
 * failing check can print a curl command that reproduces it) and the parts
 * of the response the checks read. Response bodies are capped; past the cap
 * the bytes are counted, not kept. The libcurl multi loop lives in sched.c;
 * this module makes and reads the easy handles.
 *
 * An exchange keeps its easy handle from one request to the next (a flow slot
 * sends thousands), so libcurl's per-handle setup is paid once; every option
 * that differs between requests is set again by client_prepare, and the
 * connections stay in the multi handle's cache either way. */
#ifndef WXAI_CLIENT_H
#define WXAI_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "jarena.h"

#define CLIENT_BODY_MAX (1u << 20) /* response bytes kept per exchange */
#define CLIENT_MAX_HEADERS 12
#define CLIENT_HEADER_MAX 512
#define CLIENT_URL_MAX 1200
#define CLIENT_TIMEOUT_MS 60000 /* an exchange's default limit, connecting included */

typedef struct exchange {
    /* the request as sent */
    char method[8];
    char url[CLIENT_URL_MAX];
    char path[1024];
    char headers[CLIENT_MAX_HEADERS][CLIENT_HEADER_MAX]; /* "Name: value" */
    int nheaders;
    char *body; /* owned, may be NULL */
    size_t body_len;
    /* the response */
    long status;   /* 0 when no response arrived */
    int curl_code; /* CURLcode; CURLE_OK when a response arrived */
    char error[256];
    char content_type[128];
    char request_id[80];
    char x_request_id[80];
    char location[300];
    char retry_after[32];
    char wp_timestamp[32];
    char wp_nonce[80];
    char wp_serial[80];
    char wp_signature[128];
    char *resp; /* owned, NUL-terminated, at most CLIENT_BODY_MAX bytes */
    size_t resp_len;
    size_t resp_bytes; /* bytes received, including any past the cap */
    int resp_truncated;
    cJSON *json;  /* parsed response body when it is JSON (owned, read-only), else NULL */
    int json_how; /* JARENA_IN_ARENA or JARENA_ON_HEAP: where json lives */
    jarena arena; /* json's nodes, reused by every answer of the exchange */
    /* timing, clock_mono_us */
    int64_t intended_us, sent_us, done_us;
    /* the exchange's time limit in ms, connecting included (0: CLIENT_TIMEOUT_MS); a
     * setting of the slot, kept when the exchange is set up again */
    int64_t timeout_ms;
    const char *cainfo; /* PEM CA bundle for https (borrowed; NULL: the system's), kept too */
    CURL *easy; /* owned, kept across requests until client_exchange_clear */
    /* url parsed for libcurl (owned, kept with easy), or NULL; cu_url is the url it holds, ""
     * when it holds none (a url it refuses goes to libcurl as text, to fail as before) */
    CURLU *cu;
    char cu_url[CLIENT_URL_MAX];
    /* the list handed to libcurl: "Expect:" then headers[], no allocation per request */
    struct curl_slist hnodes[CLIENT_MAX_HEADERS + 1];
} exchange;

/* Set up ex for method base+path with body (copied; may be NULL). Any previous
 * contents are freed first, so an exchange can be reused (its easy handle is kept).
 * Returns 0 or -1. */
int client_exchange_init(exchange *ex, const char *base, const char *method, const char *path,
                         const char *body, size_t len);
/* As client_exchange_init, but ex takes body (malloc'd, NUL at body[len]; may be NULL) as it
 * is, also when it fails. */
int client_exchange_init_take(exchange *ex, const char *base, const char *method, const char *path,
                              char *body, size_t len);
/* Add a request header "name: value". Returns 0, or -1 when the table is full. */
int client_add_header(exchange *ex, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Add a request header "name: " followed by value1 and value2 (may be NULL), without
 * formatting. Returns 0, or -1 when the table is full or the header too long. */
int client_add_header_str(exchange *ex, const char *name, const char *value1, const char *value2);
/* The options every easy handle of the harness is given once (no signals, TCP_NODELAY, the
 * connect timeout, the CA bundle cainfo when not NULL, "no proxy" when the environment
 * names none), so a transfer and a wire connection connect alike. */
void client_easy_defaults(CURL *c, const char *cainfo);
/* ex's time limit in ms: ex->timeout_ms, or CLIENT_TIMEOUT_MS when that is 0. */
long client_timeout_ms(const exchange *ex);
/* Make ex->easy ready to run (in a multi handle or with client_perform). Returns 0 or -1. */
int client_prepare(exchange *ex);
/* Take the result of a finished transfer: status, timing, JSON body. ex->easy stays, out of
 * any multi handle, ready for the next request. */
void client_finish(exchange *ex, CURLcode code);
/* Forget ex's response (status, body, headers' error state) before it is sent again. */
void client_response_clear(exchange *ex);
/* Take a finished exchange whose response was read without libcurl: status (when code is
 * CURLE_OK), timing, JSON body, ex->error from code as client_finish does. */
void client_complete(exchange *ex, CURLcode code, long status);
/* Append n response body bytes to ex, keeping at most CLIENT_BODY_MAX (the rest counted,
 * resp_truncated set). Returns 0, or -1 when out of memory. */
int client_body(exchange *ex, const char *p, size_t n);
/* Keep a response header (name[nlen], value[vlen], untrimmed) when it is one the checks
 * read, in its field of ex. */
void client_header(exchange *ex, const char *name, size_t nlen, const char *value, size_t vlen);
/* Forget the kept response headers: a new header block (after a 1xx) starts. */
void client_headers_clear(exchange *ex);
/* 1 when the environment names a proxy libcurl could use for some URL. */
int client_proxy_in_env(void);
/* Run ex to completion on its own (token requests). Returns 0, or -1 when no
 * response came (ex->error says why). */
int client_perform(exchange *ex);
/* Free what ex owns (its easy handle included) and zero it; ex may be NULL. The easy handle
 * must not be in a multi handle. */
void client_exchange_clear(exchange *ex);
/* A shell command (curl) that sends ex's request again, with every header as
 * sent, into a new string the caller frees; bodies longer than max_body are
 * cut with a note. NULL on ENOMEM. */
char *client_curl_command(const exchange *ex, size_t max_body);
/* 1 when the failure is "nobody listens there" (connection refused, host not found). */
int client_unreachable(const exchange *ex);

#endif
