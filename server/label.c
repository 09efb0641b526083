#include "label.h"

#include <string.h>

static const char *const names[LABEL_COUNT] = {
    [LABEL_ORDER_ROUTING] = "order_routing",
    [LABEL_CLARIFICATION] = "clarification",
    [LABEL_FRAUD_SCORE] = "fraud_score",
    [LABEL_FRAUD_SCORE_BATCH] = "fraud_score_batch",
    [LABEL_CHAT] = "chat",
    [LABEL_MODELS] = "models",
    [LABEL_OAUTH_TOKEN] = "oauth_token",
    [LABEL_ADMIN] = "admin",
    [LABEL_METRICS] = "metrics",
    [LABEL_OTHER] = "other",
};

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int label_of(const char *path)
{
    if (!path) return LABEL_OTHER;
    if (strcmp(path, "/v3/ai/order-routing") == 0) return LABEL_ORDER_ROUTING;
    if (has_prefix(path, "/v3/ai/order-routing/clarifications/")) return LABEL_CLARIFICATION;
    if (strcmp(path, "/v3/ai/fraud-score") == 0) return LABEL_FRAUD_SCORE;
    if (strcmp(path, "/v3/ai/fraud-score/batches") == 0 ||
        has_prefix(path, "/v3/ai/fraud-score/batches/"))
        return LABEL_FRAUD_SCORE_BATCH;
    if (strcmp(path, "/v1/chat/completions") == 0) return LABEL_CHAT;
    if (strcmp(path, "/v1/models") == 0 || has_prefix(path, "/v1/models/")) return LABEL_MODELS;
    if (strcmp(path, "/v3/oauth2/token") == 0) return LABEL_OAUTH_TOKEN;
    if (has_prefix(path, "/__admin/")) return LABEL_ADMIN;
    if (strcmp(path, "/metrics") == 0) return LABEL_METRICS;
    return LABEL_OTHER;
}

const char *label_name(int label)
{
    return label >= 0 && label < LABEL_COUNT ? names[label] : "other";
}
