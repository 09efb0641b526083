/* admin: the mock's operations API under /__admin/ and GET /metrics
 * (docs/operations.md). Handlers have the route table's signature; the body
 * is the parsed JSON for routes that take JSON, else NULL (borrowed). */
#ifndef WXAI_ADMIN_H
#define WXAI_ADMIN_H

#include "http.h"

/* 0 when the request may use /__admin/ (no token configured, or X-Admin-Token
 * matches); otherwise sends 401 TOKEN_INVALID and returns -1. */
int admin_authorize(http_req *req);

/* GET /__admin/health */
int admin_health(http_req *req, const cJSON *body);
/* GET /__admin/scenario: JSON with the source YAML; raw YAML with Accept: application/yaml. */
int admin_scenario_get(http_req *req, const cJSON *body);
/* PUT /__admin/scenario: load a YAML scenario; 400 with every error and nothing changed. */
int admin_scenario_put(http_req *req, const cJSON *body);
/* POST /__admin/model-version {"version": "2026.12"} */
int admin_model_version(http_req *req, const cJSON *body);
/* POST /__admin/clock {"advance_ms": N} | {"set": "RFC3339"} | {"mode": "real"|"virtual"} */
int admin_clock(http_req *req, const cJSON *body);
/* GET /__admin/requests: the journal as JSONL. */
int admin_requests(http_req *req, const cJSON *body);
/* POST /__admin/reset */
int admin_reset(http_req *req, const cJSON *body);
/* GET /metrics: Prometheus text. */
int admin_metrics(http_req *req, const cJSON *body);

#endif
