/* e2e: helpers for end-to-end tests: start the real wxai-mock on port 0,
 * talk HTTP to it with libcurl, sign requests and verify signed responses. */
#ifndef WXAI_E2E_H
#define WXAI_E2E_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "openapi.h"

typedef struct mock_proc {
    pid_t pid;
    int port;
    char url[128];
} mock_proc;

typedef struct e2e_resp {
    long status;
    char *body; /* NUL-terminated, owned */
    size_t len;
    char *headers; /* raw header block, owned */
    size_t headers_len;
    cJSON *json; /* parsed body when it is JSON, owned */
} e2e_resp;

/* Path of a file in the source tree (static buffer per call site is not needed: returns
 * a pointer into a ring of buffers, valid for the next 8 calls). */
const char *e2e_src(const char *rel);
/* Start wxai-mock with the scenario and extra args (NULL-terminated, may be NULL).
 * Waits for the listening event. Returns 0 or -1. */
int mock_start(const char *scenario, const char *const *extra_args, mock_proc *m);
/* SIGTERM the mock and wait; returns its exit status (or -1). */
int mock_stop(mock_proc *m);
/* 1 if the mock process is still running. */
int mock_alive(const mock_proc *m);
/* Start bin --mode mode, a stand-in that prints wxai-mock's listening event first (the
 * broken double in tests/doubles); asserts it did. Stop it with mock_stop. */
void mock_start_double(const char *bin, const char *mode, mock_proc *m);

/* Plain HTTP request. headers is a NULL-terminated list of "Name: value" (may be NULL). */
int e2e_http(const mock_proc *m, const char *method, const char *path, const char *const *headers,
             const char *body, size_t len, e2e_resp *out);
/* Value of a response header (case-insensitive) copied into buf; NULL if absent. */
const char *e2e_header(const e2e_resp *r, const char *name, char *buf, size_t cap);
/* Free what r owns; r may be NULL. */
void e2e_resp_free(e2e_resp *r);

/* Fetch an access token; scope may be NULL. Returns 0 and the token in tok, or the HTTP status. */
int e2e_token(const mock_proc *m, const char *mchid, const char *secret, const char *scope,
              char *tok, size_t cap);
/* Send a signed /v3 request: bearer token, timestamp (now + skew_s), fresh nonce (or the
 * given one), serial and HMAC signature under key. */
int e2e_signed(const mock_proc *m, const char *token, const char *serial, const char *key,
               const char *method, const char *path, const char *body, long skew_s,
               const char *nonce, e2e_resp *out);
/* The same with another Content-Type. */
int e2e_signed_ct(const mock_proc *m, const char *token, const char *serial, const char *key,
                  const char *method, const char *path, const char *body, long skew_s,
                  const char *nonce, const char *content_type, e2e_resp *out);
/* The same as e2e_signed with a fresh nonce and extra headers (a NULL-terminated list of
 * "Name: value", may be NULL; at most 9 are sent). */
int e2e_signed_hdrs(const mock_proc *m, const char *token, const char *serial, const char *key,
                    const char *method, const char *path, const char *body, long skew_s,
                    const char *const *extra, e2e_resp *out);
/* The same as e2e_signed with a fresh nonce and the Wechatpay-Timestamp header exactly ts
 * (signed over that text), to send timestamps that are not unix seconds. */
int e2e_signed_at(const mock_proc *m, const char *token, const char *serial, const char *key,
                  const char *method, const char *path, const char *body, const char *ts,
                  e2e_resp *out);
/* 1 if the response carries a valid Wechatpay signature under key. */
int e2e_response_signed(const e2e_resp *r, const char *key);

/* Load fixtures/openapi.yaml into *api (the caller frees it with openapi_free); asserts. */
void e2e_openapi_load(openapi **api);
/* Assert the response conforms to what api documents for method and path. */
void e2e_conforms(const openapi *api, const char *method, const char *path, const e2e_resp *r);

/* The default scenario's demo merchant and keys. */
#define DEMO_MCHID "1900000109"
#define DEMO_SECRET "s3cr3t-demo-1900000109"
#define DEMO_SERIAL_A "KEY-2026-A"
#define DEMO_KEY_A "demo-key-A-0123456789abcdef0123456789"
#define DEMO_SERIAL_B "KEY-2026-B"
#define DEMO_KEY_B "demo-key-B-fedcba9876543210fedcba9876"

#endif
