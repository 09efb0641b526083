/* scenario: the whole behaviour of the fake, loaded from YAML.
 *
 * A scenario is validated completely at load time (every error reported as
 * file:line:col, unknown keys with the nearest known key suggested) and is
 * immutable afterwards: the server swaps whole scenarios by pointer and
 * request handlers only read them, so no lock guards a scenario's fields. */
#ifndef WXAI_SCENARIO_H
#define WXAI_SCENARIO_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "diag.h"
#include "directory.h"
#include "drift.h"
#include "fault.h"
#include "latency.h"
#include "ratelimit.h"

#define SCENARIO_MAX_KEYS 2 /* two keys at once: rotation */
#define SCENARIO_MAX_SCOPES 8
#define SCENARIO_MAX_MERCHANTS 64
#define SCENARIO_MAX_RULES 256
#define SCENARIO_MAX_QUESTIONS 8
#define SCENARIO_MAX_OPTIONS 8
#define SCENARIO_MAX_VERSIONS 8
#define SCENARIO_MAX_CATEGORIES 16

typedef struct scenario_key {
    char *serial;
    char *secret;
    size_t secret_len;
    int64_t retire_at_ms; /* retire_at: refused from this scenario time on; -1 = never */
} scenario_key;

typedef struct scenario_merchant {
    char *mchid;
    char *client_secret;
    scenario_key keys[SCENARIO_MAX_KEYS];
    size_t nkeys;
    char *scopes[SCENARIO_MAX_SCOPES]; /* approved scopes; a missing ai_payment_intelligence
                                          means "not yet approved" */
    size_t nscopes;
} scenario_merchant;

typedef struct scenario_defaults {
    double confidence_threshold; /* 0.85 */
    int64_t token_ttl_s;         /* 7200 */
    int64_t clarification_ttl_s; /* 300 */
    double time_scale;           /* 1.0 */
    int64_t max_body_bytes;      /* 1 MiB */
    int64_t max_clarifications;  /* live clarifications kept at once: 10000 */
    int64_t max_attachment_body_bytes; /* body cap when attachments are allowed: 8 MiB */
} scenario_defaults;

typedef struct scenario_pricing {
    int64_t order_routing_per_1k_tokens_micros; /* 3000 = 0.003 CNY per 1,000 tokens */
    int64_t fraud_score_per_call_micros;        /* 10000 = 0.01 CNY */
    int64_t multimodal_multiplier;              /* 3 */
    char currency[4];                           /* "CNY" */
} scenario_pricing;

typedef struct scenario_review {
    int64_t amount_over_fen; /* 0: no amount limit */
    char *categories[SCENARIO_MAX_CATEGORIES];
    size_t ncategories;
} scenario_review;

typedef struct scenario_model_version {
    char *id; /* "2026.09" */
} scenario_model_version;

typedef struct scenario_question {
    char *id;
    char *text;
    char *option_ids[SCENARIO_MAX_OPTIONS];    /* "15" */
    char *option_labels[SCENARIO_MAX_OPTIONS]; /* "15%" */
    size_t noptions;
} scenario_question;

typedef struct scenario_rule {
    char *name;
    int line; /* where the rule starts in the file, for messages */
    /* match: every present condition must hold */
    char *endpoint; /* "order_routing" or NULL for any */
    int has_regex;
    regex_t regex;  /* text.regex, compiled REG_EXTENDED|REG_ICASE|REG_NOSUB */
    char *contains; /* text.contains, case-insensitive, or NULL */
    char *locale;   /* prefix match on the request locale ("zh" matches "zh-CN"), or NULL */
    char *merchant; /* mchid, or NULL */
    char *payer;    /* match.payer: payer openid (fraud_score), or NULL */
    char *payee;    /* match.payee: payee openid (fraud_score), or NULL */
    /* respond: exactly one kind */
    cJSON *intent; /* respond.intent: a fixed intent object (owned), or NULL */
    /* intent printed as the answer carries it and its output tokens, worked out once at
     * load rather than on every answer (owned; NULL and 0 without intent) */
    char *intent_text;
    int64_t intent_tokens;
    /* intent.amount.total (0 when absent or not a number) and intent.category (borrowed from
     * intent, or NULL), read once at load for the answer and its review */
    int64_t intent_total;
    const char *intent_category;
    int has_confidence;
    double confidence; /* respond.confidence, with or without intent */
    scenario_question questions[SCENARIO_MAX_QUESTIONS]; /* respond.clarify */
    size_t nquestions;
    char *review_reason; /* respond.review: {reason: "..."}, or NULL */
    int error_status;    /* respond.error: {status: 503, code: ..., message: ...}; 0 = none */
    char *error_code;
    char *error_message;
    int has_score; /* respond.score: a pinned fraud score 0..100 (fraud_score rules) */
    int score;
} scenario_rule;

typedef struct scenario {
    char *path;   /* where it was loaded from, or "<memory>" */
    char *source; /* the YAML text as loaded, NUL-terminated (GET /__admin/scenario) */
    size_t source_len;
    char *name;
    uint64_t seed;
    scenario_defaults defaults;
    scenario_pricing pricing;
    scenario_review review;
    directory *dir; /* from fixtures.directory, may be NULL */
    scenario_merchant merchants[SCENARIO_MAX_MERCHANTS];
    size_t nmerchants;
    scenario_model_version versions[SCENARIO_MAX_VERSIONS]; /* models.order_routing.versions */
    size_t nversions; /* at least one: a default "2026.09" is supplied */
    scenario_rule rules[SCENARIO_MAX_RULES];
    size_t nrules;
    /* per-endpoint behaviour, loaded by their modules (runtime state is in engine.h) */
    drift_config models;        /* models.<endpoint>: versions, confidence, drift schedule */
    latency_config latency;     /* latency.<endpoint> */
    ratelimit_config ratelimits; /* rate_limits.<endpoint>, defaults filled in */
    fault_config faults;        /* faults[] */
    struct chat_config *llm;    /* llm: the OpenAI-compatible fallback (chat.h); never NULL once loaded */
} scenario;

/* Load and validate a scenario file. Relative fixture paths resolve against the
 * file's directory. On success *out is owned by the caller (scenario_free);
 * on failure returns -1 and d holds every error. Messages use d's file name
 * (set by diag_init), or path when d was zeroed. */
int scenario_load(const char *path, diag *d, scenario **out);
/* Same from a buffer; `name` (if not NULL) replaces d's file name in messages,
 * `base_dir` resolves fixture paths (NULL: relative to the working directory). */
int scenario_load_buffer(const char *buf, size_t len, const char *name, const char *base_dir,
                         diag *d, scenario **out);
/* Free a scenario; sc may be NULL. */
void scenario_free(scenario *sc);

/* Merchant by mchid, or NULL (borrowed). */
const scenario_merchant *scenario_merchant_find(const scenario *sc, const char *mchid);
/* Key of m with this serial, or NULL (borrowed). */
const scenario_key *scenario_key_find(const scenario_merchant *m, const char *serial);
/* Whether m has scope approved. */
int scenario_merchant_has_scope(const scenario_merchant *m, const char *scope);
/* First rule matching the request, or NULL (borrowed). text need not be NUL-terminated. */
const scenario_rule *scenario_rule_match(const scenario *sc, const char *endpoint,
                                         const char *mchid, const char *text, size_t len,
                                         const char *locale);
/* The same, also checking match.payer and match.payee (either may be NULL: a rule that
 * names one then does not match). */
const scenario_rule *scenario_rule_match_parties(const scenario *sc, const char *endpoint,
                                                 const char *mchid, const char *text, size_t len,
                                                 const char *locale, const char *payer,
                                                 const char *payee);

#endif
