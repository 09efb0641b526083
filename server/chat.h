/* chat: the OpenAI-compatible fallback LLM (POST /v1/chat/completions, GET /v1/models).
 *
 * Owns the scenario's `llm:` section (API keys, models, prices in USD converted
 * to CNY micros at an integer exchange rate, a per-key request limit) and the
 * answers. Answers are deterministic: a payment request in the last user message
 * comes back as the order-routing intent JSON, anything else as a short fixed
 * reply. The request's checks live in chatreq.c, the limit's buckets in
 * chatlimit.c. */
#ifndef WXAI_CHAT_H
#define WXAI_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "chatlimit.h"
#include "http.h"
#include "yfield.h"
#include "ytree.h"

#define CHAT_MAX_KEYS 64
#define CHAT_MAX_MODELS 32
#define CHAT_DEFAULT_RPM 10000 /* requests per minute per key when the scenario gives none */

typedef struct chat_key {
    char *key; /* "sk-..." */
    chat_limit limit;
} chat_key;

typedef struct chat_model {
    char *id;       /* "gpt-4o-mini" */
    char *owned_by; /* "wxai-mock" */
    int64_t created;
    int64_t input_usd_micros_per_million;  /* USD micros per 1,000,000 prompt tokens */
    int64_t output_usd_micros_per_million; /* USD micros per 1,000,000 completion tokens */
} chat_model;

typedef struct chat_config {
    chat_key keys[CHAT_MAX_KEYS];
    size_t nkeys;
    chat_model models[CHAT_MAX_MODELS];
    size_t nmodels;
    int64_t cny_micros_per_usd; /* 7200000: 1 USD = 7.2 CNY */
    chat_limit limit;           /* default for keys without their own */
} chat_config;

/* Load the scenario's `llm:` section n (NULL: the section is absent, defaults only) into
 * a new config *out (caller frees with chat_config_free). Errors go to c; *out is set
 * even then, so the caller frees one way. */
void chat_config_load(yfield_ctx *c, const ytree_node *n, chat_config **out);
/* Free a config; cfg may be NULL. */
void chat_config_free(chat_config *cfg);
/* Model by id, or NULL (borrowed from cfg). */
const chat_model *chat_model_find(const chat_config *cfg, const char *id);
/* Cost in CNY micros of a completion under model m, rounded half up. Returns 0 or -1 on
 * overflow. */
int chat_cost_micros(const chat_config *cfg, const chat_model *m, int64_t prompt_tokens,
                     int64_t completion_tokens, int64_t *out);
/* Prompt tokens of a messages array as billed: per message, tokens_estimate of its text
 * plus 3; plus 3 for the reply. */
int64_t chat_prompt_tokens(const cJSON *messages);
/* Tokens of a message's content (a string, or its text parts joined by newlines); when buf
 * is not NULL, the text too, cut to cap - 1 bytes on a character boundary, and its length
 * in *len (len may be NULL). */
int64_t chat_content_text(const cJSON *content, char *buf, size_t cap, size_t *len);
/* Answer req with status and {"error": {message, type, param, code}} as OpenAI sends it
 * (param and code may be NULL: JSON null), the message from fmt. Returns -1: answered, and
 * the request failed. */
int chat_error(http_req *req, int status, const char *type, const char *code, const char *param,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Route handlers (server.c's route table; body is NULL: they parse their own). */
int chat_completions(http_req *req, const cJSON *body);
int chat_models(http_req *req, const cJSON *body);
int chat_model_get(http_req *req, const cJSON *body);

#endif
