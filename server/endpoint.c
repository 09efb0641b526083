/* endpoint: endpoint names and paths (see endpoint.h). */
#include "endpoint.h"

#include <string.h>

const char *const endpoint_names[ENDPOINT_COUNT] = {"order_routing", "fraud_score",
                                                    "chat_completions"};

static int under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int endpoint_from_path(const char *path)
{
    if (!path) return -1;
    if (under(path, "/v3/ai/order-routing")) return ENDPOINT_ORDER_ROUTING;
    if (under(path, "/v3/ai/fraud-score")) return ENDPOINT_FRAUD_SCORE;
    if (under(path, "/v1/chat/completions")) return ENDPOINT_CHAT_COMPLETIONS;
    return -1;
}
