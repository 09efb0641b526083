/* policy: how the replaying client behaves, so teams can compare clients.
 *
 * `direct` sends each record as recorded and stops at the first answer.
 * `hybrid` is the reference client of DESIGN.md: it answers 202s from the
 * record's `answers`, takes the form under the threshold, honours
 * Retry-After within a cap, retries 5xx with backoff, re-parses
 * unsupported-language or low-confidence text with the OpenAI-compatible
 * fallback, and keeps the top-N misunderstood phrases in a cache. */
#ifndef WXAI_POLICY_H
#define WXAI_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "traffic.h"

enum { POLICY_DIRECT = 0, POLICY_HYBRID = 1 };

typedef struct policy_opts {
    int kind;
    double threshold;               /* < 0: as recorded */
    size_t cache_size;              /* 0: no cache */
    char fallback_model[64];        /* model asked on /v1/chat/completions */
    char fallback_key[128];         /* bearer key for /v1 */
    int64_t fallback_per_1k_micros; /* fallback price when the response carries no cost */
    int64_t retry_after_cap_ms;
    int max_retries;
    int64_t backoff_ms; /* first 5xx backoff; doubles each time */
    int max_rounds;     /* clarification answers per record */
} policy_opts;

/* What the client does after an exchange. */
typedef enum {
    POLICY_DONE,     /* the record is finished */
    POLICY_RETRY,    /* send the same request again after delay_ms */
    POLICY_RENEW,    /* renew the token, then send again */
    POLICY_ANSWER,   /* POST body to path (a clarification answer) */
    POLICY_FALLBACK, /* POST body to /v1/chat/completions */
} policy_step;

typedef struct policy_action {
    policy_step step;
    int64_t delay_ms;
    char path[TRAFFIC_PATH_MAX];
    char *body;        /* owned by the caller once returned */
    char problem[300]; /* a clarification-flow defect seen on the way, or "" */
} policy_action;

typedef struct policy_cache policy_cache;

/* Defaults: direct, threshold as recorded, cache 64, Retry-After cap 5 s, 3 retries, 100 ms
 * backoff, 4 rounds, fallback model "gpt-4o-mini". */
void policy_defaults(policy_opts *o);
/* "direct" or "hybrid" into o->kind. Returns 0 or -1. */
int policy_parse(const char *name, policy_opts *o);
/* Name of a policy kind (static). */
const char *policy_name(int kind);

/* The body to send for rec under o (the threshold replaced when o says so), as a new
 * string the caller frees; NULL when rec has no body. */
char *policy_body(const policy_opts *o, const traffic_record *rec, size_t *len);
/* 1 when the hybrid client would not send text in this language to order routing. */
int policy_unsupported_language(const traffic_record *rec);
/* Next step after ex (the attempt-th try of this request, rounds answers sent so far).
 * endpoint is the exchange's endpoint. */
void policy_next(const policy_opts *o, const traffic_record *rec, const char *endpoint,
                 const exchange *ex, int attempt, int rounds, policy_action *act);
/* The body of a chat completion that asks the fallback to parse rec's text (caller frees). */
char *policy_fallback_body(const policy_opts *o, const traffic_record *rec);
/* The text of rec's request (borrowed from a parse held in *holder; free with cJSON_Delete),
 * or NULL. */
const char *policy_text(const traffic_record *rec, cJSON **holder);

/* The misunderstood-phrase cache: at most n entries (space-saving top-N). *out owned by the
 * caller (policy_cache_free). Returns 0 or -1. */
int policy_cache_new(size_t n, policy_cache **out);
void policy_cache_free(policy_cache *c);
/* 1 and the saved cost and intent type (borrowed) when text is cached with a parse. */
int policy_cache_lookup(policy_cache *c, const char *text, int64_t *saved_micros,
                        const char **intent);
/* Note that text was misunderstood; cost_micros is what it took, intent the fallback's parse. */
void policy_cache_note(policy_cache *c, const char *text, int64_t cost_micros, const char *intent);

#endif
