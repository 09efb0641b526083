/* idempotency: the stored answers of POST requests sent with an Idempotency-Key
 * (CONTRACT.md §4), so a client's retry gets the first answer again instead of a
 * second execution (and a second bill).
 *
 * An entry is keyed by (merchant, key) and holds a SHA-256 digest of the request
 * (method, path with query, body) and the answer to replay: its status, its JSON
 * body as sent and the handler's own headers (Location, WWW-Authenticate, ...; not
 * the per-request ones, which a replay gets afresh from http_send). An entry is
 * first claimed (pending) when a request arrives and completed once its answer is
 * known, so a second request with the key while the first is still being answered
 * is told so instead of running twice.
 *
 * Memory is bounded: at most `capacity` entries and `max_bytes` of keys, headers and
 * bodies, both fixed at creation; a new entry evicts the oldest ones. Entries live
 * IDEMPOTENCY_TTL_S on the clock the caller passes (the scenario wall clock in the
 * server). One mutex guards the store; it is held for lookups and copies only,
 * never while an answer is computed or sent. */
#ifndef WXAI_IDEMPOTENCY_H
#define WXAI_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define IDEMPOTENCY_KEY_MAX 255           /* bytes; longer keys are a 400 PARAM_ERROR */
#define IDEMPOTENCY_TTL_S (24 * 3600)     /* the contract's 24 h, in scenario seconds */
#define IDEMPOTENCY_CAPACITY 8192         /* entries the server keeps */
#define IDEMPOTENCY_MAX_BYTES (64u << 20) /* bytes of keys, headers and bodies it keeps */
#define IDEMPOTENCY_HEADERS_MAX 1024      /* bytes of the answer's own headers kept */

typedef struct idempotency_store idempotency_store;

/* The answer kept for a key. */
typedef struct idempotency_answer {
    int status;
    char *headers; /* "Name: value\r\n" lines, NUL-terminated, or NULL */
    size_t headers_len;
    char *body; /* the JSON body as sent, NUL-terminated, or NULL */
    size_t body_len;
} idempotency_answer;

enum {
    IDEMPOTENCY_OK = 0,         /* claimed: answer the request, then complete or release */
    IDEMPOTENCY_REPLAY = 1,     /* a stored answer was copied out */
    IDEMPOTENCY_ECONFLICT = -1, /* the key was used with another request */
    IDEMPOTENCY_EBUSY = -2,     /* the key's first request is still being answered */
    IDEMPOTENCY_EKEY = -3,      /* key empty or longer than IDEMPOTENCY_KEY_MAX */
    IDEMPOTENCY_ENOMEM = -4,
    IDEMPOTENCY_EGONE = -5,  /* the claim was evicted (or reset) before it completed */
    IDEMPOTENCY_ETOOBIG = -6 /* the answer alone is over the byte cap: not stored */
};

/* New store for at most capacity entries and max_bytes of stored data (both > 0).
 * Caller frees with idempotency_store_free. Returns IDEMPOTENCY_OK or _ENOMEM. */
int idempotency_store_new(size_t capacity, size_t max_bytes, idempotency_store **out);
/* Free the store and every entry; s may be NULL. */
void idempotency_store_free(idempotency_store *s);
/* Look up (mchid, key) for a request (method, path, body) at now_s.
 * IDEMPOTENCY_OK: the key was free (or expired) and is now claimed: *ticket names the
 * claim, which the caller ends with idempotency_complete or idempotency_release.
 * IDEMPOTENCY_REPLAY: *out holds a copy of the stored answer (caller releases it with
 * idempotency_answer_clear). _ECONFLICT, _EBUSY, _EKEY, _ENOMEM: nothing was changed. */
int idempotency_begin(idempotency_store *s, const char *mchid, const char *key, const char *method,
                      const char *path, const void *body, size_t len, int64_t now_s,
                      uint64_t *ticket, idempotency_answer *out);
/* Store a copy of a (not consumed) as the answer of the claim ticket, evicting the
 * oldest entries past the byte cap. _EGONE when the claim is no longer there, _ETOOBIG
 * (claim dropped) when a alone does not fit, _ENOMEM (claim dropped). */
int idempotency_complete(idempotency_store *s, uint64_t ticket, const idempotency_answer *a);
/* Drop the claim ticket without an answer, so the key is free again (an answer that is
 * not kept: a retry really retries). Unknown tickets are ignored. */
void idempotency_release(idempotency_store *s, uint64_t ticket);
/* Forget every entry, pending claims included (admin reset). */
void idempotency_clear(idempotency_store *s);
/* Entries held, pending claims included (for tests and health). */
size_t idempotency_count(idempotency_store *s);
/* Bytes charged against the cap (for tests). */
size_t idempotency_bytes(idempotency_store *s);
/* Free what a copied answer owns and zero it; a may be NULL. */
void idempotency_answer_clear(idempotency_answer *a);

/* ---- HTTP glue (server.c) ---- */
/* Before the engine, for an authenticated request: when req is a POST under /v3/ai/ with
 * an Idempotency-Key, answer it from the store (a replay with Idempotent-Replayed: true,
 * 409 IDEMPOTENCY_CONFLICT, 400 PARAM_ERROR for a bad key) and return -1, or claim the
 * key in req->idem_ticket and return 0. Returns 0 for every other request. */
int idempotency_http_begin(http_req *req, idempotency_store *s);
/* Once req's answer is known (server.c's observe hook, before it leaves): keep it for
 * req's claim when it is a 2xx or 4xx other than 429 with a JSON body and not an
 * injected fault, else release the claim. Nothing to do without a claim. */
void idempotency_http_end(http_req *req, idempotency_store *s);

#endif
