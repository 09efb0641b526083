#include "exchange.h"

#include <string.h>

#include "label.h"
#include "json.h"

static int64_t int_at(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, a), b);
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (int64_t)v->valuedouble : 0;
}

void exchange_observe(journal *j, metrics *m, const http_req *req, int64_t elapsed_ms)
{
    int ep = label_of(req->ri->local_uri);
    cJSON *resp = NULL;
    size_t off;
    if (ep == LABEL_ADMIN || ep == LABEL_METRICS) return;
    if (req->resp_body) json_parse(req->resp_body, req->resp_len, JSON_MAX_DEPTH, &resp, &off);

    metrics_sample s = {.endpoint = ep, .status = req->status, .elapsed_ms = elapsed_ms};
    /* A replayed idempotent answer was billed the first time. */
    if (!strstr(req->extra, "Idempotent-Replayed: true")) {
        s.input_tokens =
            int_at(resp, "usage", "input_tokens") + int_at(resp, "usage", "prompt_tokens");
        s.output_tokens =
            int_at(resp, "usage", "output_tokens") + int_at(resp, "usage", "completion_tokens");
        s.cost_micros = int_at(resp, "cost", "amount_micros");
    }
    metrics_observe(m, &s);

    if (j && ep != LABEL_OAUTH_TOKEN) {
        journal_exchange x = {
            .method = req->ri->request_method,
            .path = req->url,
            .endpoint = label_name(ep),
            .merchant = req->merchant ? req->merchant->mchid : NULL,
            .idempotency_key = http_header(req, "Idempotency-Key"),
            .body = req->body,
            .body_len = req->body_len,
            .status = req->status,
            .response = resp,
            .response_len = req->resp_len,
            .response_text = req->resp_body,
        };
        journal_add(j, &x);
    }
    cJSON_Delete(resp);
}
