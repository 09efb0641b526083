/* label: the endpoint label of a request, as /metrics and the journal show it.
 *
 * Finer than endpoint.h (the engine's per-endpoint scenario sections): the
 * journal's `endpoint` field follows the traffic format's names
 * (order_routing, clarification, fraud_score, chat, ...) so reports from the
 * mock and from the harness line up. */
#ifndef WXAI_LABEL_H
#define WXAI_LABEL_H

enum {
    LABEL_ORDER_ROUTING = 0,
    LABEL_CLARIFICATION,
    LABEL_FRAUD_SCORE,
    LABEL_FRAUD_SCORE_BATCH,
    LABEL_CHAT,
    LABEL_MODELS,
    LABEL_OAUTH_TOKEN,
    LABEL_ADMIN,   /* /__admin/ paths: neither counted nor journaled */
    LABEL_METRICS, /* /metrics: neither counted nor journaled */
    LABEL_OTHER,   /* any other path (a 404) */
    LABEL_COUNT
};

/* The label of a request path (without the query). */
int label_of(const char *path);
/* Its name, e.g. "order_routing" (static string). */
const char *label_name(int label);

#endif
