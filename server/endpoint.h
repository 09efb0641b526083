/* endpoint: the API endpoints a scenario can configure per endpoint
 * (latency, rate limits, faults, model versions), by their scenario names. */
#ifndef WXAI_ENDPOINT_H
#define WXAI_ENDPOINT_H

typedef enum {
    ENDPOINT_ORDER_ROUTING = 0, /* POST /v3/ai/order-routing and its clarifications */
    ENDPOINT_FRAUD_SCORE,       /* /v3/ai/fraud-score and its batches */
    ENDPOINT_CHAT_COMPLETIONS,  /* /v1/chat/completions */
    ENDPOINT_COUNT
} endpoint_id;

/* Scenario names, indexed by endpoint_id ("order_routing", ...). */
extern const char *const endpoint_names[ENDPOINT_COUNT];

/* The endpoint a request path belongs to, or -1 (not an endpoint the engine shapes). */
int endpoint_from_path(const char *path);

#endif
