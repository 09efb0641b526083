/* model: the built-in order-routing model.
 *
 * A deterministic rule-based parser that turns a sentence into a payment
 * intent: amounts and currencies, people (resolved through the directory),
 * intent type, tip, splits, and a confidence derived from the evidence it
 * found and what stayed ambiguous. Slots it cannot settle come back as
 * questions; answers to those questions are fed back in through
 * model_input.answers and fill exactly those slots.
 *
 * Pure function of its input: no globals, no clock, no allocation that
 * grows with the input (the text is capped at MODEL_MAX_TEXT bytes). */
#ifndef WXAI_MODEL_H
#define WXAI_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "directory.h"

#define MODEL_MAX_TEXT 16384 /* bytes; the contract caps text at 4,000 chars */
#define MODEL_MAX_PEOPLE 16
#define MODEL_MAX_QUESTIONS 8
#define MODEL_MAX_OPTIONS 8
#define MODEL_MAX_ANSWERS 8

typedef enum {
    MODEL_INTENT_UNKNOWN = 0,
    MODEL_INTENT_PAY,
    MODEL_INTENT_SPLIT_BILL,
    MODEL_INTENT_TIP,
    MODEL_INTENT_TRANSFER,
    MODEL_INTENT_REFUND,
    MODEL_INTENT_SUBSCRIPTION,
    MODEL_INTENT_DEPOSIT,
} model_intent;

typedef struct model_answer {
    const char *question_id; /* "tip_rate", "amount", "currency", "payee", "person_alice", ... */
    const char *option_id;   /* chosen option, or NULL */
    const char *text;        /* free-text answer, or NULL */
} model_answer;

typedef struct model_input {
    const char *text; /* UTF-8, not necessarily NUL-terminated */
    size_t len;
    const char *locale;         /* "en-US", "zh-CN" or NULL to detect */
    const char *payer_openid;   /* who is speaking ("me"), or NULL */
    int64_t reference_unix;     /* "now" for "last night"; seconds */
    int reference_utc_offset_s; /* offset of the reference time zone, e.g. 28800 */
    const model_answer *answers; /* answers to earlier questions; may be NULL */
    size_t nanswers;
} model_input;

typedef struct model_option {
    char id[32];    /* "15" */
    char label[64]; /* "15%" */
} model_option;

typedef struct model_question {
    char id[32];     /* slot it settles: "tip_rate", "amount", "currency", "payee", ... */
    char text[256];  /* the question, in the request's language */
    model_option options[MODEL_MAX_OPTIONS];
    size_t noptions; /* 0: free text */
} model_question;

typedef struct model_person {
    char openid[64]; /* "" when the person is not in the directory */
    char name[64];
    int64_t amount;  /* this person's share in minor units (splits) */
} model_person;

typedef struct model_result {
    model_intent intent;
    int has_amount;
    int64_t total;     /* minor units of currency, tip included */
    char currency[4];  /* ISO 4217; "CNY" when nothing says otherwise */
    char locale[8];    /* "zh", "en" or "mixed" */

    const directory_order *source_order; /* borrowed from the directory, or NULL */

    int has_tip;
    int tip_rate_bp;   /* 1500 = 15% */
    int64_t tip_amount;
    char tip_paid_by[64]; /* openid */

    /* Payees for pay/transfer/tip/refund, payers for split_bill; shares sum to total. */
    model_person people[MODEL_MAX_PEOPLE];
    size_t npeople;

    char category[32]; /* "real_estate_deposit" etc. when recognised, else "" */
    double confidence; /* 0..1, from the evidence */

    model_question questions[MODEL_MAX_QUESTIONS];
    size_t nquestions; /* > 0: the caller should answer 202 with these */
} model_result;

typedef enum {
    MODEL_OK = 0,
    MODEL_EINVAL = -1,       /* bad input: empty text, too long */
    MODEL_EANSWER = -2,      /* an answer names an unknown question or option */
} model_status;

/* Parse in->text into *out (caller-owned storage). dir may be NULL.
 * Returns MODEL_OK, or MODEL_EANSWER with bad_question set to the
 * offending question id (points into in->answers). */
int model_parse(const directory *dir, const model_input *in, model_result *out,
                const char **bad_question);

/* "split_bill" for MODEL_INTENT_SPLIT_BILL etc. (static string). */
const char *model_intent_name(model_intent intent);

#endif
