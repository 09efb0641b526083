/* routing: POST /v3/ai/order-routing and its clarifications. */
#ifndef WXAI_ROUTING_H
#define WXAI_ROUTING_H

#include "http.h"

/* POST /v3/ai/order-routing; body is the parsed request (borrowed). Returns 0 or -1. */
int routing_create(http_req *req, const cJSON *body);
/* POST /v3/ai/order-routing/clarifications/{id}. Returns 0 or -1. */
int routing_answer(http_req *req, const cJSON *body);

#endif
