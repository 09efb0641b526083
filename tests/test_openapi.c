/* Structural checks of fixtures/openapi.yaml, the OpenAPI 3.1 statement of
 * CONTRACT.md. Reads the file with libyaml directly (no project modules), so
 * it keeps working while the rest of the tree changes. */
#include <check.h>
#include <yaml.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#ifndef WXAI_SOURCE_DIR
#define WXAI_SOURCE_DIR "."
#endif

#define MAX_DEPTH 32

static yaml_document_t doc;
static int doc_loaded;
static char spec_path[4096];

static const char *spec_file(void)
{
    const char *dir = getenv("WXAI_SOURCE_DIR");
    if (!dir || !*dir) dir = WXAI_SOURCE_DIR;
    snprintf(spec_path, sizeof spec_path, "%s/fixtures/openapi.yaml", dir);
    return spec_path;
}

static void load_doc(void)
{
    FILE *f = fopen(spec_file(), "rb");
    ck_assert_msg(f != NULL, "cannot open %s", spec_path);
    yaml_parser_t parser;
    ck_assert(yaml_parser_initialize(&parser));
    yaml_parser_set_input_file(&parser, f);
    int ok = yaml_parser_load(&parser, &doc);
    char msg[sizeof spec_path + 256] = "";
    if (!ok)
        snprintf(msg, sizeof msg, "%s:%zu:%zu: %s", spec_path, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "parse error");
    yaml_parser_delete(&parser);
    fclose(f);
    ck_assert_msg(ok, "%s", msg);
    doc_loaded = 1;
    ck_assert_msg(yaml_document_get_root_node(&doc) != NULL, "%s is empty", spec_path);
}

static void unload_doc(void)
{
    if (doc_loaded) yaml_document_delete(&doc);
    doc_loaded = 0;
}

/* ---- tree helpers ------------------------------------------------------ */

static yaml_node_t *root(void)
{
    return yaml_document_get_root_node(&doc);
}

static yaml_node_t *node_at(int index)
{
    return yaml_document_get_node(&doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int scalar_is(const yaml_node_t *n, const char *s)
{
    const char *v = scalar(n);
    return v && strcmp(v, s) == 0;
}

static yaml_node_t *map_get_n(const yaml_node_t *m, const char *key, size_t keylen)
{
    if (!m || m->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(p->key);
        if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == keylen &&
            memcmp(k->data.scalar.value, key, keylen) == 0)
            return node_at(p->value);
    }
    return NULL;
}

static yaml_node_t *map_get(const yaml_node_t *m, const char *key)
{
    return map_get_n(m, key, strlen(key));
}

/* Resolves a local reference "#/a/b~1c" against the document root. */
static yaml_node_t *resolve_pointer(const char *ref)
{
    if (!ref || strncmp(ref, "#/", 2) != 0) return NULL;
    yaml_node_t *cur = root();
    const char *p = ref + 2;
    char token[512];
    while (cur) {
        size_t n = 0;
        for (; *p && *p != '/'; p++) {
            if (n + 1 >= sizeof token) return NULL;
            if (*p == '~' && p[1] == '1') {
                token[n++] = '/';
                p++;
            } else if (*p == '~' && p[1] == '0') {
                token[n++] = '~';
                p++;
            } else {
                token[n++] = *p;
            }
        }
        token[n] = '\0';
        if (cur->type == YAML_MAPPING_NODE) {
            cur = map_get_n(cur, token, n);
        } else if (cur->type == YAML_SEQUENCE_NODE) {
            char *end;
            long i = strtol(token, &end, 10);
            yaml_node_item_t *items = cur->data.sequence.items.start;
            long count = (long)(cur->data.sequence.items.top - items);
            if (n == 0 || *end || i < 0 || i >= count) return NULL;
            cur = node_at(items[i]);
        } else {
            return NULL;
        }
        if (*p == '\0') return cur;
        p++;
    }
    return NULL;
}

/* Follows $ref chains (at most a few hops) to the node they name. */
static yaml_node_t *deref(yaml_node_t *n)
{
    for (int hops = 0; hops < 8 && n; hops++) {
        const char *ref = scalar(map_get(n, "$ref"));
        if (!ref) return n;
        n = resolve_pointer(ref);
    }
    return n;
}

typedef void (*visit_fn)(yaml_node_t *n, const char *path, void *ctx);

static void walk_rec(yaml_node_t *n, char *path, size_t len, size_t cap, int depth, visit_fn fn,
                     void *ctx)
{
    ck_assert_msg(depth < MAX_DEPTH, "nesting deeper than %d at %s", MAX_DEPTH, path);
    fn(n, path, ctx);
    if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            const char *k = scalar(node_at(p->key));
            snprintf(path + len, cap - len, "/%s", k ? k : "?");
            size_t nlen = strlen(path);
            walk_rec(node_at(p->value), path, nlen, cap, depth + 1, fn, ctx);
            path[len] = '\0';
        }
    } else if (n->type == YAML_SEQUENCE_NODE) {
        long i = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++, i++) {
            snprintf(path + len, cap - len, "/%ld", i);
            size_t nlen = strlen(path);
            walk_rec(node_at(*it), path, nlen, cap, depth + 1, fn, ctx);
            path[len] = '\0';
        }
    }
}

static void walk(visit_fn fn, void *ctx)
{
    char path[2048] = "";
    walk_rec(root(), path, 0, sizeof path, 0, fn, ctx);
}

/* ---- the contract's operations ---------------------------------------- */

struct operation {
    const char *method;
    const char *path;
};

static const struct operation contract_ops[] = {
    {"post", "/v3/oauth2/token"},
    {"post", "/v3/ai/order-routing"},
    {"post", "/v3/ai/order-routing/clarifications/{clarification_id}"},
    {"post", "/v3/ai/fraud-score"},
    {"post", "/v3/ai/fraud-score/batches"},
    {"get", "/v3/ai/fraud-score/batches/{batch_id}"},
    {"post", "/v1/chat/completions"},
    {"get", "/v1/models"},
    {"get", "/__admin/health"},
    {"get", "/__admin/scenario"},
    {"put", "/__admin/scenario"},
    {"post", "/__admin/model-version"},
    {"post", "/__admin/clock"},
    {"get", "/__admin/requests"},
    {"post", "/__admin/reset"},
    {"get", "/metrics"},
};

static const char *const http_methods[] = {"get",   "put",     "post", "delete",
                                           "patch", "options", "head", "trace"};

static const char *const error_codes[] = {
    "PARAM_ERROR",
    "INVALID_REQUEST",
    "TOKEN_INVALID",
    "SIGN_ERROR",
    "NO_AUTH",
    "RESOURCE_NOT_EXISTS",
    "METHOD_NOT_ALLOWED",
    "IDEMPOTENCY_CONFLICT",
    "CLARIFICATION_EXPIRED",
    "REQUEST_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "FREQUENCY_LIMITED",
    "SYSTEM_ERROR",
    "SERVICE_UNAVAILABLE",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static yaml_node_t *operation(const char *path, const char *method)
{
    return map_get(map_get(map_get(root(), "paths"), path), method);
}

static yaml_node_t *response(const char *path, const char *method, const char *status)
{
    return deref(map_get(map_get(operation(path, method), "responses"), status));
}

/* ---- tests --------------------------------------------------------------- */

START_TEST(test_plain_yaml)
{
    /* The project's YAML loader refuses anchors and aliases; keep nesting shallow. */
    FILE *f = fopen(spec_file(), "rb");
    ck_assert_msg(f != NULL, "cannot open %s", spec_path);
    yaml_parser_t parser;
    ck_assert(yaml_parser_initialize(&parser));
    yaml_parser_set_input_file(&parser, f);
    int depth = 0, max_depth = 0, done = 0, events = 0;
    while (!done) {
        yaml_event_t ev;
        ck_assert_msg(yaml_parser_parse(&parser, &ev), "%s:%zu: %s", spec_path,
                      parser.problem_mark.line + 1, parser.problem ? parser.problem : "error");
        size_t line = ev.start_mark.line + 1;
        const yaml_char_t *anchor = NULL;
        switch (ev.type) {
        case YAML_ALIAS_EVENT:
            anchor = ev.data.alias.anchor;
            break;
        case YAML_SCALAR_EVENT:
            anchor = ev.data.scalar.anchor;
            break;
        case YAML_SEQUENCE_START_EVENT:
            anchor = ev.data.sequence_start.anchor;
            depth++;
            break;
        case YAML_MAPPING_START_EVENT:
            anchor = ev.data.mapping_start.anchor;
            depth++;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        int bad = ev.type == YAML_ALIAS_EVENT || anchor != NULL;
        yaml_event_delete(&ev);
        if (depth > max_depth) max_depth = depth;
        events++;
        if (bad) {
            yaml_parser_delete(&parser);
            fclose(f);
            ck_abort_msg("%s:%zu: anchors and aliases are not allowed", spec_path, line);
        }
    }
    yaml_parser_delete(&parser);
    fclose(f);
    ck_assert_int_gt(events, 100);
    ck_assert_msg(max_depth < MAX_DEPTH, "nesting depth %d, want < %d", max_depth, MAX_DEPTH);
}
END_TEST

static void check_unique_keys(yaml_node_t *n, const char *path, void *ctx)
{
    (void)ctx;
    if (n->type != YAML_MAPPING_NODE) return;
    yaml_node_pair_t *start = n->data.mapping.pairs.start, *top = n->data.mapping.pairs.top;
    for (yaml_node_pair_t *a = start; a < top; a++) {
        yaml_node_t *ka = node_at(a->key);
        ck_assert_msg(ka && ka->type == YAML_SCALAR_NODE, "non-scalar key under %s", path);
        for (yaml_node_pair_t *b = a + 1; b < top; b++) {
            yaml_node_t *kb = node_at(b->key);
            ck_assert_msg(!(kb && kb->type == YAML_SCALAR_NODE &&
                            kb->data.scalar.length == ka->data.scalar.length &&
                            memcmp(ka->data.scalar.value, kb->data.scalar.value,
                                   ka->data.scalar.length) == 0),
                          "duplicate key '%s' under %s (line %zu)", scalar(ka), path,
                          kb->start_mark.line + 1);
        }
    }
}

START_TEST(test_no_duplicate_keys)
{
    walk(check_unique_keys, NULL);
}
END_TEST

START_TEST(test_openapi_version)
{
    ck_assert_msg(scalar_is(map_get(root(), "openapi"), "3.1.0"), "openapi is '%s', want 3.1.0",
                  scalar(map_get(root(), "openapi")) ? scalar(map_get(root(), "openapi")) : "");
    ck_assert_ptr_nonnull(map_get(map_get(root(), "info"), "title"));
    ck_assert_ptr_nonnull(map_get(map_get(root(), "info"), "version"));
    ck_assert_ptr_nonnull(map_get(map_get(root(), "components"), "schemas"));
}
END_TEST

START_TEST(test_contract_operations_exist)
{
    for (size_t i = 0; i < COUNT(contract_ops); i++) {
        yaml_node_t *op = operation(contract_ops[i].path, contract_ops[i].method);
        ck_assert_msg(op && op->type == YAML_MAPPING_NODE, "missing operation %s %s",
                      contract_ops[i].method, contract_ops[i].path);
        ck_assert_msg(map_get(op, "responses") != NULL, "%s %s has no responses",
                      contract_ops[i].method, contract_ops[i].path);
    }
}
END_TEST

struct ref_stats {
    int refs;
};

static void check_ref(yaml_node_t *n, const char *path, void *ctx)
{
    struct ref_stats *st = ctx;
    if (n->type != YAML_MAPPING_NODE) return;
    yaml_node_t *r = map_get(n, "$ref");
    if (!r) return;
    const char *ref = scalar(r);
    ck_assert_msg(ref != NULL, "$ref at %s is not a string", path);
    ck_assert_msg(strncmp(ref, "#/components/", 13) == 0,
                  "$ref '%s' at %s does not point into #/components/", ref, path);
    ck_assert_msg(resolve_pointer(ref) != NULL, "$ref '%s' at %s (line %zu) does not resolve", ref,
                  path, r->start_mark.line + 1);
    st->refs++;
}

START_TEST(test_refs_resolve)
{
    struct ref_stats st = {0};
    walk(check_ref, &st);
    ck_assert_int_gt(st.refs, 50);
    /* The resolver itself must reject what does not exist. */
    ck_assert_ptr_null(resolve_pointer("#/components/schemas/NoSuchSchema"));
    ck_assert_ptr_nonnull(resolve_pointer("#/components/schemas/Money"));
}
END_TEST

START_TEST(test_every_operation_has_2xx)
{
    yaml_node_t *paths = map_get(root(), "paths");
    ck_assert_msg(paths && paths->type == YAML_MAPPING_NODE, "paths is not a mapping");
    int ops = 0;
    for (yaml_node_pair_t *p = paths->data.mapping.pairs.start; p < paths->data.mapping.pairs.top;
         p++) {
        const char *path = scalar(node_at(p->key));
        yaml_node_t *item = node_at(p->value);
        for (size_t m = 0; m < COUNT(http_methods); m++) {
            yaml_node_t *op = map_get(item, http_methods[m]);
            if (!op) continue;
            ops++;
            yaml_node_t *responses = map_get(op, "responses");
            ck_assert_msg(responses && responses->type == YAML_MAPPING_NODE,
                          "%s %s has no responses", http_methods[m], path);
            int has_2xx = 0;
            for (yaml_node_pair_t *r = responses->data.mapping.pairs.start;
                 r < responses->data.mapping.pairs.top; r++) {
                const char *status = scalar(node_at(r->key));
                if (status && strlen(status) == 3 && status[0] == '2') has_2xx = 1;
            }
            ck_assert_msg(has_2xx, "%s %s lists no 2xx response", http_methods[m], path);
        }
    }
    ck_assert_int_ge(ops, (int)COUNT(contract_ops));
}
END_TEST

struct money_stats {
    int total;
    int amount_micros;
};

static void check_money_property(yaml_node_t *props, const char *name, const char *path, int *count)
{
    yaml_node_t *prop = map_get(props, name);
    if (!prop) return;
    yaml_node_t *schema = deref(prop);
    ck_assert_msg(schema != NULL, "%s/%s: unresolvable $ref", path, name);
    yaml_node_t *type = map_get(schema, "type");
    ck_assert_msg(scalar_is(type, "integer"), "%s/properties/%s must be type integer, found %s",
                  path, name, scalar(type) ? scalar(type) : "(not a plain type)");
    ck_assert_msg(map_get(schema, "format") == NULL ||
                      !scalar_is(map_get(schema, "format"), "double"),
                  "%s/properties/%s has a floating-point format", path, name);
    (*count)++;
}

static void check_money(yaml_node_t *n, const char *path, void *ctx)
{
    struct money_stats *st = ctx;
    if (n->type != YAML_MAPPING_NODE) return;
    yaml_node_t *props = map_get(n, "properties");
    if (!props || props->type != YAML_MAPPING_NODE) return;
    check_money_property(props, "total", path, &st->total);
    check_money_property(props, "amount_micros", path, &st->amount_micros);
}

START_TEST(test_money_is_integer)
{
    struct money_stats st = {0};
    walk(check_money, &st);
    ck_assert_int_ge(st.total, 1);
    ck_assert_int_ge(st.amount_micros, 1);
    /* Money and Cost are the schemas every amount goes through. */
    yaml_node_t *money = resolve_pointer("#/components/schemas/Money/properties/total/type");
    yaml_node_t *cost = resolve_pointer("#/components/schemas/Cost/properties/amount_micros/type");
    ck_assert(scalar_is(money, "integer"));
    ck_assert(scalar_is(cost, "integer"));
}
END_TEST

START_TEST(test_every_response_has_request_id)
{
    for (size_t i = 0; i < COUNT(contract_ops); i++) {
        yaml_node_t *responses =
            map_get(operation(contract_ops[i].path, contract_ops[i].method), "responses");
        ck_assert_ptr_nonnull(responses);
        for (yaml_node_pair_t *r = responses->data.mapping.pairs.start;
             r < responses->data.mapping.pairs.top; r++) {
            yaml_node_t *resp = deref(node_at(r->value));
            ck_assert_msg(map_get(map_get(resp, "headers"), "Request-ID") != NULL,
                          "%s %s %s lacks the Request-ID header", contract_ops[i].method,
                          contract_ops[i].path, scalar(node_at(r->key)));
        }
    }
}
END_TEST

START_TEST(test_error_statuses)
{
    static const char *const ai_ops[][2] = {
        {"post", "/v3/ai/order-routing"},
        {"post", "/v3/ai/order-routing/clarifications/{clarification_id}"},
        {"post", "/v3/ai/fraud-score"},
        {"post", "/v3/ai/fraud-score/batches"},
        {"get", "/v3/ai/fraud-score/batches/{batch_id}"},
    };
    static const char *const statuses[] = {"401", "403", "405", "429", "500", "503"};
    for (size_t i = 0; i < COUNT(ai_ops); i++) {
        for (size_t s = 0; s < COUNT(statuses); s++) {
            yaml_node_t *resp = response(ai_ops[i][1], ai_ops[i][0], statuses[s]);
            ck_assert_msg(resp != NULL, "%s %s lacks %s", ai_ops[i][0], ai_ops[i][1], statuses[s]);
            const char *ref = scalar(map_get(
                map_get(map_get(map_get(resp, "content"), "application/json"), "schema"), "$ref"));
            ck_assert_msg(ref && strcmp(ref, "#/components/schemas/Error") == 0,
                          "%s %s %s does not use the Error schema", ai_ops[i][0], ai_ops[i][1],
                          statuses[s]);
        }
        ck_assert_ptr_nonnull(map_get(
            map_get(response(ai_ops[i][1], ai_ops[i][0], "429"), "headers"), "Retry-After"));
        ck_assert_ptr_nonnull(map_get(
            map_get(response(ai_ops[i][1], ai_ops[i][0], "503"), "headers"), "Retry-After"));
        ck_assert_ptr_nonnull(map_get(
            map_get(response(ai_ops[i][1], ai_ops[i][0], "401"), "headers"), "WWW-Authenticate"));
    }
    const char *clar = "/v3/ai/order-routing/clarifications/{clarification_id}";
    ck_assert_ptr_nonnull(response(clar, "post", "404"));
    ck_assert_ptr_nonnull(response(clar, "post", "410"));
    ck_assert_ptr_nonnull(response(clar, "post", "202"));
    ck_assert_ptr_nonnull(
        map_get(map_get(response("/v3/ai/order-routing", "post", "202"), "headers"), "Location"));

    yaml_node_t *h = map_get(response("/v1/chat/completions", "post", "429"), "headers");
    ck_assert_ptr_nonnull(map_get(h, "retry-after"));
    ck_assert_ptr_nonnull(map_get(h, "retry-after-ms"));
    ck_assert_ptr_nonnull(map_get(h, "x-request-id"));
}
END_TEST

START_TEST(test_error_codes_match_contract)
{
    yaml_node_t *e = resolve_pointer("#/components/schemas/Error/properties/code/enum");
    ck_assert_msg(e && e->type == YAML_SEQUENCE_NODE, "Error.code has no enum");
    size_t n = (size_t)(e->data.sequence.items.top - e->data.sequence.items.start);
    ck_assert_uint_eq(n, COUNT(error_codes));
    for (size_t i = 0; i < COUNT(error_codes); i++) {
        int found = 0;
        for (yaml_node_item_t *it = e->data.sequence.items.start; it < e->data.sequence.items.top;
             it++)
            if (scalar_is(node_at(*it), error_codes[i])) found = 1;
        ck_assert_msg(found, "Error.code enum lacks %s", error_codes[i]);
    }
}
END_TEST

START_TEST(test_closed_response_objects)
{
    /* Objects whose fields the contract lists in full reject stray fields... */
    static const char *const closed[] = {
        "OrderRoutingResult", "Clarification", "FraudScore", "Error", "ErrorDetail",
        "SignInformation",    "Money",         "Cost",       "Usage"};
    yaml_node_t *schemas = map_get(map_get(root(), "components"), "schemas");
    for (size_t i = 0; i < COUNT(closed); i++) {
        yaml_node_t *s = map_get(schemas, closed[i]);
        ck_assert_msg(s != NULL, "schema %s missing", closed[i]);
        ck_assert_msg(scalar_is(map_get(s, "additionalProperties"), "false"),
                      "schema %s must set additionalProperties: false", closed[i]);
    }
    /* ...but an intent may grow. */
    ck_assert(!scalar_is(map_get(map_get(schemas, "Intent"), "additionalProperties"), "false"));
}
END_TEST

START_TEST(test_security_schemes)
{
    yaml_node_t *schemes = map_get(map_get(root(), "components"), "securitySchemes");
    yaml_node_t *oauth = map_get(schemes, "wechatpayOAuth2");
    ck_assert(scalar_is(map_get(oauth, "type"), "oauth2"));
    yaml_node_t *cc = map_get(map_get(oauth, "flows"), "clientCredentials");
    ck_assert(scalar_is(map_get(cc, "tokenUrl"), "/v3/oauth2/token"));
    ck_assert_ptr_nonnull(map_get(map_get(cc, "scopes"), "ai_payment_intelligence"));
    ck_assert(scalar_is(map_get(map_get(schemes, "basicAuth"), "scheme"), "basic"));
    yaml_node_t *admin = map_get(schemes, "adminToken");
    ck_assert(scalar_is(map_get(admin, "in"), "header"));
    ck_assert(scalar_is(map_get(admin, "name"), "X-Admin-Token"));
    yaml_node_t *nonce = resolve_pointer("#/components/parameters/WechatpayNonce/schema/pattern");
    ck_assert(scalar_is(nonce, "^[0-9A-Za-z]{32}$"));
}
END_TEST

static Suite *openapi_suite(void)
{
    Suite *s = suite_create("openapi");
    TCase *tc = tcase_create("structure");
    tcase_add_checked_fixture(tc, load_doc, unload_doc);
    tcase_add_test(tc, test_plain_yaml);
    tcase_add_test(tc, test_no_duplicate_keys);
    tcase_add_test(tc, test_openapi_version);
    tcase_add_test(tc, test_contract_operations_exist);
    tcase_add_test(tc, test_refs_resolve);
    tcase_add_test(tc, test_every_operation_has_2xx);
    tcase_add_test(tc, test_money_is_integer);
    tcase_add_test(tc, test_every_response_has_request_id);
    tcase_add_test(tc, test_error_statuses);
    tcase_add_test(tc, test_error_codes_match_contract);
    tcase_add_test(tc, test_closed_response_objects);
    tcase_add_test(tc, test_security_schemes);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(openapi_suite)
