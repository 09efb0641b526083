#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "clock.h"
#include "diag.h"
#include "endpoint.h"
#include "engine.h"
#include "journal.h"
#include "json.h"
#include "metrics.h"
#include "server.h"

#define CLOCK_ADVANCE_MAX_MS (100LL * 365 * 24 * 3600 * 1000) /* a century: past it, a typo */
#define CLOCK_OFFSET_S (8 * 3600) /* times are shown in China Standard Time, like the API's */
#define PUT_NAME "scenario.yaml"  /* the file name in the errors of a PUT scenario */

int admin_authorize(http_req *req)
{
    const char *want = server_admin_token(req->srv);
    if (!want) return 0;
    const char *got = http_header(req, "X-Admin-Token");
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
    /* Comparing digests keeps the time independent of where the strings
     * differ and of the token's length. */
    SHA256((const unsigned char *)want, strlen(want), a);
    SHA256((const unsigned char *)(got ? got : ""), got ? strlen(got) : 0, b);
    if (got && CRYPTO_memcmp(a, b, sizeof a) == 0) return 0;
    http_error(req, 401, "TOKEN_INVALID", "X-Admin-Token is missing or wrong", NULL);
    return -1;
}

/* The version that answers the next request on endpoint (engine.h owns the
 * drift state; without an engine, the scenario's first version). */
static const char *active_version(const http_req *req, int endpoint)
{
    if (req->engine) return engine_model_active(req->engine, endpoint);
    return req->sc->models.endpoint[endpoint].versions[0].id;
}

static int send_obj(http_req *req, int status, cJSON *obj)
{
    int rc = obj ? http_send_json(req, status, obj) : -1;
    cJSON_Delete(obj);
    if (rc != 0 && req->status == 0)
        return http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
    return rc;
}

int admin_health(http_req *req, const cJSON *body)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddStringToObject(o, "scenario", req->sc->name);
    cJSON_AddStringToObject(o, "model_version", active_version(req, ENDPOINT_ORDER_ROUTING));
    json_add_int(o, "uptime_ms", clock_mono_ms() - server_started_ms(req->srv));
    json_add_int(o, "journal_records", (int64_t)journal_count(server_journal(req->srv)));
    return send_obj(req, 200, o);
}

static int wants_yaml(const http_req *req)
{
    const char *accept = http_header(req, "Accept");
    return accept && strstr(accept, "yaml") != NULL;
}

int admin_scenario_get(http_req *req, const cJSON *body)
{
    const scenario *sc = req->sc;
    if (wants_yaml(req))
        return http_send(req, 200, "application/yaml; charset=utf-8", sc->source ? sc->source : "",
                         sc->source ? sc->source_len : 0);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "name", sc->name);
    cJSON_AddStringToObject(o, "path", sc->path ? sc->path : "<memory>");
    cJSON_AddStringToObject(o, "model_version", active_version(req, ENDPOINT_ORDER_ROUTING));
    if (sc->source)
        cJSON_AddStringToObject(o, "source", sc->source);
    else
        cJSON_AddNullToObject(o, "source");
    return send_obj(req, 200, o);
}

static int is_yaml_type(const char *ctype)
{
    static const char *const types[] = {"application/yaml", "application/x-yaml", "text/yaml",
                                        "text/x-yaml"};
    if (!ctype) return 0;
    size_t n = strcspn(ctype, ";");
    while (n > 0 && ctype[n - 1] == ' ')
        n--;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (n == strlen(types[i]) && strncasecmp(ctype, types[i], n) == 0) return 1;
    return 0;
}

static int refuse(http_req *req, const diag *d)
{
    char msg[128];
    cJSON *o = cJSON_CreateObject();
    cJSON *errs = cJSON_CreateArray();
    for (size_t i = 0; i < d->n; i++)
        cJSON_AddItemToArray(errs, cJSON_CreateString(d->msgs[i]));
    if (d->n == 0)
        cJSON_AddItemToArray(errs, cJSON_CreateString(PUT_NAME ": cannot load scenario"));
    snprintf(msg, sizeof msg, "the scenario was refused (%zu error%s); the active one is unchanged",
             diag_count(d), diag_count(d) == 1 ? "" : "s");
    cJSON_AddStringToObject(o, "code", "PARAM_ERROR");
    cJSON_AddStringToObject(o, "message", msg);
    cJSON_AddItemToObject(o, "errors", errs);
    metrics_reload(server_metrics(req->srv), 0);
    return send_obj(req, 400, o);
}

int admin_scenario_put(http_req *req, const cJSON *body)
{
    diag d;
    scenario *sc = NULL;
    int rc;
    if (!is_yaml_type(http_header(req, "Content-Type")))
        return http_error(req, 415, "UNSUPPORTED_MEDIA_TYPE",
                          "send the scenario with Content-Type: application/yaml", NULL);
    if (diag_init(&d, PUT_NAME) != 0)
        return http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
    if (scenario_load_buffer(req->body, req->body_len, NULL, server_base_dir(req->srv), &d, &sc) !=
        0) {
        rc = refuse(req, &d);
        goto out;
    }
    char *name = strdup(sc->name), *version = strdup(sc->versions[0].id);
    if (!name || !version || server_reload(req->srv, sc) != 0) {
        scenario_free(sc);
        free(name);
        free(version);
        rc = http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
        goto out;
    }
    /* sc now belongs to the server and may be freed by the next reload at
     * any moment, so the answer uses copies. */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "loaded", 1);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "model_version", version);
    free(name);
    free(version);
    rc = send_obj(req, 200, o);
out:
    diag_free(&d);
    return rc;
}

int admin_model_version(http_req *req, const cJSON *body)
{
    const char *want = json_string(body, "version");
    const char *ep_name = json_string(body, "endpoint");
    int ep = ENDPOINT_ORDER_ROUTING;
    if (!cJSON_IsObject(body) || !want || !want[0])
        return http_param_error(req, "/version", "version must be a non-empty string");
    if (cJSON_GetObjectItemCaseSensitive(body, "endpoint")) {
        for (ep = 0; ep < ENDPOINT_COUNT && (!ep_name || strcmp(endpoint_names[ep], ep_name)); ep++)
            ;
        if (ep == ENDPOINT_COUNT)
            return http_param_error(req, "/endpoint",
                               "endpoint must be order_routing, fraud_score or chat_completions");
    }
    const drift_model *m = &req->sc->models.endpoint[ep];
    if (drift_find(m, want) < 0) {
        char issue[512];
        snprintf(issue, sizeof issue,
                 "unknown version for %s; the scenario has:", endpoint_names[ep]);
        for (size_t k = 0; k < m->nversions; k++)
            snprintf(issue + strlen(issue), sizeof issue - strlen(issue), " %s", m->versions[k].id);
        return http_param_error(req, "/version", issue);
    }
    if (!req->engine || engine_model_switch(req->engine, ep, want) != 0)
        return http_error(req, 500, "SYSTEM_ERROR", "the model version could not be switched",
                          NULL);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "endpoint", endpoint_names[ep]);
    cJSON_AddStringToObject(o, "version", want);
    return send_obj(req, 200, o);
}

static int clock_answer(http_req *req)
{
    char now[40];
    int64_t ms = clock_now_ms();
    if (clock_format_rfc3339(ms / 1000, CLOCK_OFFSET_S, now, sizeof now) != 0) now[0] = '\0';
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "now", now);
    json_add_int(o, "now_ms", ms);
    cJSON_AddStringToObject(o, "mode", clock_is_virtual() ? "virtual" : "real");
    return send_obj(req, 200, o);
}

int admin_clock(http_req *req, const cJSON *body)
{
    const cJSON *adv = cJSON_GetObjectItemCaseSensitive(body, "advance_ms");
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(body, "set");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(body, "mode");
    if (!cJSON_IsObject(body) || (adv != NULL) + (set != NULL) + (mode != NULL) != 1)
        return http_param_error(req, "", "give exactly one of advance_ms, set or mode");
    if (adv) {
        double v = cJSON_IsNumber(adv) ? adv->valuedouble : -1;
        if (v < 0 || v > (double)CLOCK_ADVANCE_MAX_MS || v != (double)(int64_t)v)
            return http_param_error(req, "/advance_ms",
                               "advance_ms must be a whole number of milliseconds, 0 or more");
        clock_advance((int64_t)v);
    } else if (set) {
        int64_t s;
        int off;
        if (!cJSON_IsString(set) || clock_parse_rfc3339(set->valuestring, &s, &off) != 0 || s < 0)
            return http_param_error(req, "/set",
                               "set must be an RFC 3339 time, e.g. "
                               "2026-12-04T20:00:00+08:00");
        clock_set_virtual(s * 1000);
    } else {
        const char *m = cJSON_IsString(mode) ? mode->valuestring : "";
        if (strcmp(m, "real") == 0)
            clock_set_real();
        else if (strcmp(m, "virtual") == 0)
            clock_set_virtual(clock_now_ms());
        else
            return http_param_error(req, "/mode", "mode must be \"real\" or \"virtual\"");
    }
    return clock_answer(req);
}

int admin_requests(http_req *req, const cJSON *body)
{
    char *text = NULL;
    size_t len = 0;
    if (journal_dump(server_journal(req->srv), engine_wall_s(req->engine), &text, &len) != 0)
        return http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
    int rc = http_send(req, 200, "application/x-ndjson; charset=utf-8", text, len);
    free(text);
    return rc;
}

int admin_reset(http_req *req, const cJSON *body)
{
    server_reset(req->srv);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    return send_obj(req, 200, o);
}

int admin_metrics(http_req *req, const cJSON *body)
{
    char *text = NULL;
    size_t len = 0;
    metrics_info info = {
        .nmodels = ENDPOINT_COUNT,
        .scenario = req->sc->name,
        .currency = req->sc->pricing.currency,
        .journal_records = journal_count(server_journal(req->srv)),
    };
    server_workers(req->srv, &info.workers, &info.workers_busy, &info.worker_saturations);
    for (int e = 0; e < ENDPOINT_COUNT && e < METRICS_MAX_MODELS; e++) {
        info.model_endpoint[e] = endpoint_names[e];
        info.model_version[e] = active_version(req, e);
    }
    if (metrics_render(server_metrics(req->srv), &info, &text, &len) != 0)
        return http_error(req, 500, "SYSTEM_ERROR", "out of memory", NULL);
    int rc = http_send(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
    return rc;
}
