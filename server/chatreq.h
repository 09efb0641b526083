/* chatreq: a /v1/chat/completions request body, read and checked the way OpenAI checks it.
 *
 * Every refusal is answered here, in OpenAI's error shape (chat_error) with the status,
 * code and param OpenAI gives for it, so a client's error handling meets the real wording. */
#ifndef WXAI_CHATREQ_H
#define WXAI_CHATREQ_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "http.h"
#include "model.h"

typedef struct chatreq {
    const char *model_id;    /* borrowed from the parsed body */
    const chat_model *model; /* borrowed from the config */
    const cJSON *messages;   /* borrowed from the parsed body */
    int stream, include_usage, json_mode;
    int64_t max_tokens;            /* 0: no cap */
    const char *user;              /* borrowed from the parsed body, or NULL */
    char text[MODEL_MAX_TEXT + 1]; /* the last user message's text */
    size_t len;
    int has_user;
} chatreq;

/* Parse req's body into *json (caller frees with cJSON_Delete, also on failure) and check it
 * against cfg into *r, whose pointers borrow from *json and cfg. Returns 0, or -1 after
 * answering 400, 404 or 415. */
int chatreq_parse(http_req *req, const chat_config *cfg, cJSON **json, chatreq *r);

#endif
