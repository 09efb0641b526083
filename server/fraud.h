/* fraud: the built-in fraud-scoring model and the /v3/ai/fraud-score endpoints.
 *
 * The model is a sum of six named factors with fixed weights (docs/fraud.md),
 * so a client developer can trigger each one on purpose and predict the score:
 * a device the payer never used, an amount far above the payer's usual, a new
 * or unknown payee, urgent or emotional chat language, machine-like typing,
 * and night-time in Beijing time. The contributions of the factors that fire
 * add up to the score exactly. Scenario rules (endpoint fraud_score, matching
 * payer or payee) can pin a score instead. */
#ifndef WXAI_FRAUD_H
#define WXAI_FRAUD_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "directory.h"
#include "http.h"

#define FRAUD_MAX_CHAT 50      /* chat messages per request */
#define FRAUD_MAX_CADENCE 1000 /* typing intervals per request */
#define FRAUD_MAX_BATCH 1000   /* items per batch */
#define FRAUD_EXPLANATION_TTL_S (30 * 86400)

typedef enum {
    FRAUD_NEW_DEVICE = 0,
    FRAUD_AMOUNT_SPIKE,
    FRAUD_NEW_PAYEE,
    FRAUD_URGENT_LANGUAGE,
    FRAUD_UNUSUAL_TYPING,
    FRAUD_NIGHT_TIME,
    FRAUD_NFACTORS
} fraud_factor;

/* A validated request; strings are borrowed from the parsed body. */
typedef struct fraud_input {
    int64_t amount;                     /* minor units */
    const char *currency;               /* "CNY" */
    const char *payer;                  /* openid */
    const char *payee;                  /* openid */
    const char *channel;                /* may be NULL */
    const char *device;                 /* fingerprint, may be NULL */
    int64_t cadence[FRAUD_MAX_CADENCE]; /* typing intervals, ms */
    size_t ncadence;
    const char *chat[FRAUD_MAX_CHAT]; /* message texts */
    size_t nchat;
    int64_t at_unix; /* when the transaction happens: context.reference_time or the clock */
} fraud_input;

typedef struct fraud_hit {
    fraud_factor factor;
    int contribution;
    char detail[160]; /* why it fired, with the values involved */
} fraud_hit;

typedef struct fraud_result {
    int score; /* 0..100, the sum of the contributions */
    fraud_hit hits[FRAUD_NFACTORS];
    size_t nhits; /* ordered by contribution, largest first */
} fraud_result;

/* Score in with the directory's people (dir may be NULL). Pure: no clock, no globals. */
void fraud_score(const directory *dir, const fraud_input *in, fraud_result *out);
/* Weight of a factor (its contribution when it fires). */
int fraud_weight(fraud_factor f);
/* "new_device" etc. (static string). */
const char *fraud_factor_code(fraud_factor f);
/* "low" (< 40), "medium" (< 70) or "high" (static string). */
const char *fraud_level(int score);
/* "allow", "review" or "block", following the level (static string). */
const char *fraud_decision(int score);
/* Human-readable explanation from the hits ("unusual device fingerprint combined with
 * emotional language pattern") into buf. */
void fraud_explain(const fraud_result *r, char *buf, size_t cap);
/* Validate one request object. prefix ("" or "/items/3") starts the JSON pointer written
 * to field on error. Returns 0, or -1 with field and issue set. */
int fraud_parse(const cJSON *obj, const char *prefix, int64_t now_s, fraud_input *in, char *field,
                size_t fcap, char *issue, size_t icap);

/* POST /v3/ai/fraud-score. */
int fraud_create(http_req *req, const cJSON *body);
/* POST /v3/ai/fraud-score/batches. */
int fraud_batch_create(http_req *req, const cJSON *body);
/* GET /v3/ai/fraud-score/batches/{batch_id}. */
int fraud_batch_get(http_req *req, const cJSON *body);

#endif
