/* scenario: load, validate and query a scenario (see scenario.h). */
#include "scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "json.h"
#include "tokens.h"
#include "yfield.h"
#include "ytree.h"

#define NELEM(a) YFIELD_NELEM(a)
/* Request text is at most 4,000 characters (16,000 bytes of UTF-8); more is not matched. */
#define MATCH_TEXT_MAX (16u << 10)

/* ---- sections ---- */

static void load_defaults(yfield_ctx *c, const ytree_node *n, scenario_defaults *df)
{
    static const char *const known[] = {"confidence_threshold", "token_ttl_s",
                                        "clarification_ttl_s",  "time_scale",
                                        "max_body_bytes",       "max_clarifications",
                                        "max_attachment_body_bytes"};
    if (!yfield_is_map(c, n, "defaults")) return;
    yfield_keys(c, n, known, NELEM(known));
    const ytree_node *v;
    if ((v = ytree_get(n, "confidence_threshold")))
        yfield_get_double(c, v, "defaults.confidence_threshold", 0, 1, &df->confidence_threshold);
    if ((v = ytree_get(n, "token_ttl_s")))
        yfield_get_int(c, v, "defaults.token_ttl_s", 1, 30 * 86400, &df->token_ttl_s);
    if ((v = ytree_get(n, "clarification_ttl_s")))
        yfield_get_int(c, v, "defaults.clarification_ttl_s", 1, 86400, &df->clarification_ttl_s);
    if ((v = ytree_get(n, "time_scale")))
        yfield_get_double(c, v, "defaults.time_scale", 0, 1e308, &df->time_scale);
    if ((v = ytree_get(n, "max_body_bytes")))
        yfield_get_int(c, v, "defaults.max_body_bytes", 1, 64 << 20, &df->max_body_bytes);
    if ((v = ytree_get(n, "max_clarifications")))
        yfield_get_int(c, v, "defaults.max_clarifications", 1, 1000000, &df->max_clarifications);
    if ((v = ytree_get(n, "max_attachment_body_bytes")))
        yfield_get_int(c, v, "defaults.max_attachment_body_bytes", 1, 64 << 20,
                       &df->max_attachment_body_bytes);
}

static void load_fixtures(yfield_ctx *c, const ytree_node *n, scenario *sc)
{
    static const char *const known[] = {"directory"};
    if (!yfield_is_map(c, n, "fixtures")) return;
    yfield_keys(c, n, known, NELEM(known));
    const ytree_node *v = ytree_get(n, "directory");
    if (!v) return;
    char *rel = yfield_get_str(c, v, "fixtures.directory");
    if (!rel) return;
    char *full;
    if (rel[0] == '/' || !c->base_dir || !c->base_dir[0]) {
        full = rel;
        rel = NULL;
    } else {
        size_t l = strlen(c->base_dir) + strlen(rel) + 2;
        full = malloc(l);
        if (!full) {
            c->oom = 1;
            free(rel);
            return;
        }
        snprintf(full, l, "%s/%s", c->base_dir, rel);
    }
    /* the fixture's own messages name the fixture file; we say where it was referenced */
    diag sub;
    if (diag_init(&sub, full) < 0) {
        c->oom = 1;
    } else if (directory_load(full, &sub, &sc->dir) < 0) {
        if (sub.n == 0) yfield_err(c, v, "fixtures.directory", "cannot load %s", full);
        for (size_t i = 0; i < sub.n; i++)
            yfield_err(c, v, "fixtures.directory", "%s", sub.msgs[i]);
    }
    diag_free(&sub);
    free(full);
    free(rel);
}

static void load_merchant(yfield_ctx *c, const ytree_node *n, const char *path,
                          scenario_merchant *m)
{
    static const char *const known[] = {"mchid", "client_secret", "api_keys", "scopes"};
    static const char *const kknown[] = {"serial", "secret", "retire_at"};
    char p[YFIELD_PATH_MAX], q[YFIELD_PATH_MAX];
    if (!yfield_is_map(c, n, path)) return;
    yfield_keys(c, n, known, NELEM(known));
    const ytree_node *v;
    yfield_pathf(p, "%s.mchid", path);
    if ((v = yfield_need(c, n, "mchid", path))) m->mchid = yfield_get_str(c, v, p);
    yfield_pathf(p, "%s.client_secret", path);
    if ((v = yfield_need(c, n, "client_secret", path))) m->client_secret = yfield_get_str(c, v, p);
    yfield_pathf(p, "%s.api_keys", path);
    if ((v = yfield_need(c, n, "api_keys", path)) && yfield_is_seq(c, v, p, 1, SCENARIO_MAX_KEYS)) {
        for (size_t i = 0; i < v->nitems; i++) {
            const ytree_node *kn = v->items[i], *f;
            yfield_pathf(p, "%s.api_keys[%zu]", path, i);
            if (!yfield_is_map(c, kn, p)) continue;
            yfield_keys(c, kn, kknown, NELEM(kknown));
            scenario_key *k = &m->keys[m->nkeys++];
            yfield_pathf(q, "%s.serial", p);
            if ((f = yfield_need(c, kn, "serial", p))) k->serial = yfield_get_str(c, f, q);
            yfield_pathf(q, "%s.secret", p);
            if ((f = yfield_need(c, kn, "secret", p)) && (k->secret = yfield_get_str(c, f, q)))
                k->secret_len = strlen(k->secret);
            k->retire_at_ms = -1;
            yfield_pathf(q, "%s.retire_at", p);
            if ((f = ytree_get(kn, "retire_at")))
                yfield_get_duration_ms(c, f, q, 0, 365LL * 86400 * 1000, &k->retire_at_ms);
            for (size_t j = 0; k->serial && j + 1 < m->nkeys; j++) {
                if (m->keys[j].serial && !strcmp(m->keys[j].serial, k->serial)) {
                    const ytree_node *first = ytree_get(v->items[j], "serial");
                    f = ytree_get(kn, "serial");
                    yfield_pathf(q, "%s.serial", p);
                    yfield_err(c, f, q, "duplicate key serial '%s' (first defined at %d:%d)",
                               k->serial, first->line, first->col);
                    break;
                }
            }
        }
    }
    yfield_pathf(p, "%s.scopes", path);
    if ((v = ytree_get(n, "scopes")) && yfield_is_seq(c, v, p, 0, SCENARIO_MAX_SCOPES)) {
        for (size_t i = 0; i < v->nitems; i++) {
            yfield_pathf(p, "%s.scopes[%zu]", path, i);
            char *s = yfield_get_str(c, v->items[i], p);
            if (s) m->scopes[m->nscopes++] = s;
        }
    }
}

static void load_merchants(yfield_ctx *c, const ytree_node *n, scenario *sc)
{
    if (!yfield_is_seq(c, n, "merchants", 0, SCENARIO_MAX_MERCHANTS)) return;
    for (size_t i = 0; i < n->nitems; i++) {
        char p[YFIELD_PATH_MAX];
        yfield_pathf(p, "merchants[%zu]", i);
        scenario_merchant *m = &sc->merchants[sc->nmerchants++];
        load_merchant(c, n->items[i], p, m);
        for (size_t j = 0; m->mchid && j + 1 < sc->nmerchants; j++) {
            if (sc->merchants[j].mchid && !strcmp(sc->merchants[j].mchid, m->mchid)) {
                const ytree_node *at = ytree_get(n->items[i], "mchid");
                const ytree_node *first = ytree_get(n->items[j], "mchid");
                yfield_pathf(p, "merchants[%zu].mchid", i);
                yfield_err(c, at, p, "duplicate mchid '%s' (first defined at %d:%d)", m->mchid,
                           first->line, first->col);
                break;
            }
        }
    }
}

static void load_pricing(yfield_ctx *c, const ytree_node *n, scenario_pricing *pr)
{
    static const char *const known[] = {"order_routing", "fraud_score", "multimodal_multiplier",
                                        "currency"};
    static const char *const orknown[] = {"per_1k_tokens_micros"};
    static const char *const fsknown[] = {"per_call_micros"};
    if (!yfield_is_map(c, n, "pricing")) return;
    yfield_keys(c, n, known, NELEM(known));
    const ytree_node *v, *f;
    if ((v = ytree_get(n, "order_routing")) && yfield_is_map(c, v, "pricing.order_routing")) {
        yfield_keys(c, v, orknown, NELEM(orknown));
        if ((f = ytree_get(v, "per_1k_tokens_micros")))
            yfield_get_int(c, f, "pricing.order_routing.per_1k_tokens_micros", 0, 1000000000,
                           &pr->order_routing_per_1k_tokens_micros);
    }
    if ((v = ytree_get(n, "fraud_score")) && yfield_is_map(c, v, "pricing.fraud_score")) {
        yfield_keys(c, v, fsknown, NELEM(fsknown));
        if ((f = ytree_get(v, "per_call_micros")))
            yfield_get_int(c, f, "pricing.fraud_score.per_call_micros", 0, 1000000000,
                           &pr->fraud_score_per_call_micros);
    }
    if ((v = ytree_get(n, "multimodal_multiplier")))
        yfield_get_int(c, v, "pricing.multimodal_multiplier", 1, 100, &pr->multimodal_multiplier);
    if ((v = ytree_get(n, "currency"))) yfield_get_currency(c, v, "pricing.currency", pr->currency);
}

static void load_review(yfield_ctx *c, const ytree_node *n, scenario_review *rv)
{
    static const char *const known[] = {"amount_over_fen", "categories"};
    if (!yfield_is_map(c, n, "review")) return;
    yfield_keys(c, n, known, NELEM(known));
    const ytree_node *v;
    if ((v = ytree_get(n, "amount_over_fen")))
        yfield_get_int(c, v, "review.amount_over_fen", 0, INT64_MAX, &rv->amount_over_fen);
    if ((v = ytree_get(n, "categories")) &&
        yfield_is_seq(c, v, "review.categories", 0, SCENARIO_MAX_CATEGORIES)) {
        for (size_t i = 0; i < v->nitems; i++) {
            char p[YFIELD_PATH_MAX];
            yfield_pathf(p, "review.categories[%zu]", i);
            char *s = yfield_get_str(c, v->items[i], p);
            if (s) rv->categories[rv->ncategories++] = s;
        }
    }
}

/* models.<endpoint>.{versions, drift} belong to drift.c; sc->versions keeps the order-routing
 * ids for the callers that only name the model. */
static void load_models(yfield_ctx *c, const ytree_node *n, scenario *sc)
{
    drift_load(c, n, &sc->models);
}

static int copy_versions(scenario *sc)
{
    const drift_model *m = &sc->models.endpoint[ENDPOINT_ORDER_ROUTING];
    for (size_t i = 0; i < m->nversions && i < SCENARIO_MAX_VERSIONS; i++) {
        if (!(sc->versions[i].id = strdup(m->versions[i].id))) return -1;
        sc->nversions = i + 1;
    }
    return 0;
}

/* A fault may name a merchant; merchants may come later in the file. */
static void check_fault_merchants(yfield_ctx *c, const ytree_node *faults, scenario *sc)
{
    for (size_t i = 0; i < sc->faults.n; i++) {
        const fault_rule *f = &sc->faults.rules[i];
        if (!f->merchant || scenario_merchant_find(sc, f->merchant)) continue;
        char p[YFIELD_PATH_MAX];
        yfield_pathf(p, "faults[%zu].merchant", i);
        yfield_err(c, ytree_get(faults->items[i], "merchant"), p, "no merchant with mchid '%s'",
                   f->merchant);
    }
}


/* "15%" -> "15", "no tip" -> "notip": ids a client can send back verbatim. */
static char *option_id_from_label(const char *label)
{
    size_t l = strlen(label);
    if (l && label[l - 1] == '%') l--;
    char *id = malloc(l + 1);
    if (!id) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < l; i++)
        if (label[i] != ' ') id[k++] = label[i];
    id[k] = '\0';
    return id;
}

static void load_question(yfield_ctx *c, const ytree_node *n, const char *path,
                          scenario_question *q)
{
    static const char *const known[] = {"id", "text", "options"};
    static const char *const oknown[] = {"id", "label"};
    char p[YFIELD_PATH_MAX], o[YFIELD_PATH_MAX];
    if (!yfield_is_map(c, n, path)) return;
    yfield_keys(c, n, known, NELEM(known));
    const ytree_node *v;
    yfield_pathf(p, "%s.id", path);
    if ((v = yfield_need(c, n, "id", path))) q->id = yfield_get_str(c, v, p);
    yfield_pathf(p, "%s.text", path);
    if ((v = yfield_need(c, n, "text", path))) q->text = yfield_get_str(c, v, p);
    yfield_pathf(p, "%s.options", path);
    if (!(v = ytree_get(n, "options")) || !yfield_is_seq(c, v, p, 0, SCENARIO_MAX_OPTIONS)) return;
    for (size_t i = 0; i < v->nitems; i++) {
        const ytree_node *on = v->items[i], *f;
        char *id = NULL, *label = NULL;
        yfield_pathf(p, "%s.options[%zu]", path, i);
        if (on->kind == YT_MAP) {
            yfield_keys(c, on, oknown, NELEM(oknown));
            yfield_pathf(o, "%s.id", p);
            if ((f = yfield_need(c, on, "id", p))) id = yfield_get_str(c, f, o);
            yfield_pathf(o, "%s.label", p);
            if ((f = yfield_need(c, on, "label", p))) label = yfield_get_str(c, f, o);
        } else if ((label = yfield_get_str(c, on, p))) {
            if (!(id = option_id_from_label(label)))
                c->oom = 1;
            else if (!id[0])
                yfield_err(c, on, p, "option '%s' gives an empty id; write {id: ..., label: ...}",
                           label);
        }
        if (!id || !id[0] || !label) {
            free(id);
            free(label);
            continue;
        }
        for (size_t j = 0; j < q->noptions; j++) {
            if (!strcmp(q->option_ids[j], id)) {
                yfield_err(c, on, p, "duplicate option id '%s'", id);
                break;
            }
        }
        q->option_ids[q->noptions] = id;
        q->option_labels[q->noptions] = label;
        q->noptions++;
    }
}

static const char *const endpoints[] = {"order_routing", "fraud_score", "chat_completions"};

static void load_match(yfield_ctx *c, const ytree_node *n, const char *path, scenario_rule *r)
{
    static const char *const known[] = {"endpoint", "text", "locale", "merchant", "payer", "payee"};
    static const char *const tknown[] = {"regex", "contains"};
    char p[YFIELD_PATH_MAX];
    if (!yfield_is_map(c, n, path)) return;
    yfield_keys(c, n, known, NELEM(known));
    const ytree_node *v, *f;
    yfield_pathf(p, "%s.endpoint", path);
    if ((v = ytree_get(n, "endpoint")) && (r->endpoint = yfield_get_str(c, v, p))) {
        size_t i;
        for (i = 0; i < NELEM(endpoints) && strcmp(endpoints[i], r->endpoint); i++)
            ;
        if (i == NELEM(endpoints)) {
            const char *near = ytree_nearest(r->endpoint, endpoints, NELEM(endpoints));
            if (near)
                yfield_err(c, v, p, "unknown endpoint '%s' (did you mean '%s'?)", r->endpoint,
                           near);
            else
                yfield_err(c, v, p,
                           "unknown endpoint '%s' (known: order_routing, fraud_score, "
                           "chat_completions)",
                           r->endpoint);
        }
    }
    yfield_pathf(p, "%s.text", path);
    if ((v = ytree_get(n, "text")) && yfield_is_map(c, v, p)) {
        yfield_keys(c, v, tknown, NELEM(tknown));
        const ytree_node *rx = ytree_get(v, "regex"), *ct = ytree_get(v, "contains");
        if (rx && ct)
            yfield_err(c, v, p, "give either 'regex' or 'contains', not both");
        else if (!rx && !ct)
            yfield_err(c, v, p, "needs 'regex' or 'contains'");
        yfield_pathf(p, "%s.text.regex", path);
        char *pat;
        if (rx && (pat = yfield_get_str(c, rx, p))) {
            int rc = regcomp(&r->regex, pat, REG_EXTENDED | REG_ICASE | REG_NOSUB);
            if (rc) {
                char buf[256];
                regerror(rc, &r->regex, buf, sizeof buf);
                yfield_err(c, rx, p, "bad regex '%s': %s", pat, buf);
            } else {
                r->has_regex = 1;
            }
            free(pat);
        }
        yfield_pathf(p, "%s.text.contains", path);
        if (ct) r->contains = yfield_get_str(c, ct, p);
    }
    yfield_pathf(p, "%s.locale", path);
    if ((f = ytree_get(n, "locale"))) r->locale = yfield_get_str(c, f, p);
    yfield_pathf(p, "%s.merchant", path);
    if ((f = ytree_get(n, "merchant"))) r->merchant = yfield_get_str(c, f, p);
    yfield_pathf(p, "%s.payer", path);
    if ((f = ytree_get(n, "payer"))) r->payer = yfield_get_str(c, f, p);
    yfield_pathf(p, "%s.payee", path);
    if ((f = ytree_get(n, "payee"))) r->payee = yfield_get_str(c, f, p);
}

static void load_respond(yfield_ctx *c, const ytree_node *n, const char *path, scenario_rule *r)
{
    static const char *const known[] = {"intent", "confidence", "clarify", "review", "error",
                                        "score"};
    static const char *const rknown[] = {"reason"};
    static const char *const eknown[] = {"status", "code", "message"};
    char p[YFIELD_PATH_MAX], q[YFIELD_PATH_MAX];
    if (!yfield_is_map(c, n, path)) return;
    yfield_keys(c, n, known, NELEM(known));
    const ytree_node *intent = ytree_get(n, "intent"), *conf = ytree_get(n, "confidence");
    const ytree_node *clarify = ytree_get(n, "clarify"), *review = ytree_get(n, "review");
    const ytree_node *error = ytree_get(n, "error"), *f;
    const ytree_node *score = ytree_get(n, "score");
    /* a fraud score is pinned alone: the other kinds describe an order-routing answer */
    int fraud = r->endpoint && !strcmp(r->endpoint, "fraud_score");
    if (!intent && !conf && !clarify && !review && !error && !score) {
        yfield_err(c, n, path,
                   fraud ? "needs 'score', 'review' or 'error'"
                         : "needs at least one of intent, confidence, clarify, review, error");
        return;
    }
    if (score && !fraud)
        yfield_err(c, score, path, "'score' needs match.endpoint: fraud_score");
    else if (fraud && (intent || conf || clarify))
        yfield_err(c, n, path, "a fraud_score rule responds with 'score', 'review' or 'error'");
    else if (score && error)
        yfield_err(c, error, path, "'error' cannot be combined with 'score'");
    yfield_pathf(p, "%s.score", path);
    if (score) {
        int64_t sv = -1;
        if (yfield_get_int(c, score, p, 0, 100, &sv) == 0) {
            r->has_score = 1;
            r->score = (int)sv;
        }
    }
    if (error && (intent || conf || clarify || review))
        yfield_err(c, error, path,
                   "'error' cannot be combined with intent, confidence, clarify or "
                   "review");
    yfield_pathf(p, "%s.intent", path);
    if (intent && yfield_is_map(c, intent, p)) {
        r->intent = ytree_to_json(intent);
        if (r->intent && (r->intent_text = json_print(r->intent))) {
            const cJSON *total = json_obj(json_obj(r->intent, "amount"), "total");
            r->intent_tokens = tokens_estimate("intent", 6) + tokens_of_json_value(r->intent);
            r->intent_total = cJSON_IsNumber(total) ? (int64_t)total->valuedouble : 0;
            r->intent_category = json_string(r->intent, "category");
        } else {
            c->oom = 1;
        }
    }
    yfield_pathf(p, "%s.confidence", path);
    if (conf) {
        double v = -1;
        yfield_get_double(c, conf, p, 0, 1, &v);
        if (v >= 0) {
            r->has_confidence = 1;
            r->confidence = v;
        }
    }
    yfield_pathf(p, "%s.clarify", path);
    if (clarify && yfield_is_seq(c, clarify, p, 1, SCENARIO_MAX_QUESTIONS)) {
        for (size_t i = 0; i < clarify->nitems; i++) {
            yfield_pathf(p, "%s.clarify[%zu]", path, i);
            scenario_question *qu = &r->questions[r->nquestions++];
            load_question(c, clarify->items[i], p, qu);
            for (size_t j = 0; qu->id && j + 1 < r->nquestions; j++) {
                if (r->questions[j].id && !strcmp(r->questions[j].id, qu->id)) {
                    yfield_err(c, ytree_get(clarify->items[i], "id"), p,
                               "duplicate question id '%s'", qu->id);
                    break;
                }
            }
        }
    }
    yfield_pathf(p, "%s.review", path);
    if (review && yfield_is_map(c, review, p)) {
        yfield_keys(c, review, rknown, NELEM(rknown));
        yfield_pathf(q, "%s.reason", p);
        if ((f = yfield_need(c, review, "reason", p))) r->review_reason = yfield_get_str(c, f, q);
    }
    yfield_pathf(p, "%s.error", path);
    if (error && yfield_is_map(c, error, p)) {
        yfield_keys(c, error, eknown, NELEM(eknown));
        yfield_pathf(q, "%s.status", p);
        if ((f = yfield_need(c, error, "status", p))) {
            int64_t st = 0;
            yfield_get_int(c, f, q, 400, 599, &st);
            r->error_status = (int)st;
        }
        yfield_pathf(q, "%s.code", p);
        if ((f = yfield_need(c, error, "code", p))) r->error_code = yfield_get_str(c, f, q);
        yfield_pathf(q, "%s.message", p);
        if ((f = yfield_need(c, error, "message", p))) r->error_message = yfield_get_str(c, f, q);
    }
}

static void load_rules(yfield_ctx *c, const ytree_node *n, scenario *sc)
{
    static const char *const known[] = {"name", "match", "respond"};
    if (!yfield_is_seq(c, n, "rules", 0, SCENARIO_MAX_RULES)) return;
    for (size_t i = 0; i < n->nitems; i++) {
        const ytree_node *rn = n->items[i], *v;
        char path[YFIELD_PATH_MAX], p[YFIELD_PATH_MAX];
        yfield_pathf(path, "rules[%zu]", i);
        if (!yfield_is_map(c, rn, path)) continue;
        scenario_rule *r = &sc->rules[sc->nrules++];
        r->line = rn->line;
        yfield_keys(c, rn, known, NELEM(known));
        yfield_pathf(p, "%s.name", path);
        if ((v = yfield_need(c, rn, "name", path)) && (r->name = yfield_get_str(c, v, p))) {
            for (size_t j = 0; j + 1 < sc->nrules; j++) {
                if (sc->rules[j].name && !strcmp(sc->rules[j].name, r->name)) {
                    yfield_err(c, v, p, "duplicate rule name '%s' (first defined at line %d)",
                               r->name, sc->rules[j].line);
                    break;
                }
            }
        }
        yfield_pathf(p, "%s.match", path);
        if ((v = ytree_get(rn, "match"))) load_match(c, v, p, r);
        yfield_pathf(p, "%s.respond", path);
        if ((v = yfield_need(c, rn, "respond", path))) load_respond(c, v, p, r);
    }
}

/* Merchants may come after rules in the file, so references are checked at the end. */
static void check_rule_merchants(yfield_ctx *c, const ytree_node *rules, scenario *sc)
{
    size_t k = 0;
    for (size_t i = 0; rules && rules->kind == YT_SEQ && i < rules->nitems; i++) {
        if (rules->items[i]->kind != YT_MAP) continue;
        scenario_rule *r = &sc->rules[k++];
        if (!r->merchant || scenario_merchant_find(sc, r->merchant)) continue;
        char p[YFIELD_PATH_MAX];
        yfield_pathf(p, "rules[%zu].match.merchant", i);
        yfield_err(c, ytree_get(ytree_get(rules->items[i], "match"), "merchant"), p,
                   "no merchant with mchid '%s'", r->merchant);
    }
}

static uint64_t parse_seed(yfield_ctx *c, const ytree_node *n)
{
    uint64_t v = 0;
    int ok = n && n->kind == YT_SCALAR && n->plain && n->len > 0 && n->len <= 20;
    for (size_t i = 0; ok && i < n->len; i++) {
        unsigned dgt = (unsigned)(n->str[i] - '0');
        if (dgt > 9 || v > (UINT64_MAX - dgt) / 10)
            ok = 0;
        else
            v = v * 10 + dgt;
    }
    if (!ok) yfield_err(c, n, "seed", "must be an integer from 0 to 18446744073709551615");
    return ok ? v : 0;
}

static void set_defaults(scenario *sc)
{
    sc->seed = 0;
    sc->defaults.confidence_threshold = 0.85;
    sc->defaults.token_ttl_s = 7200;
    sc->defaults.clarification_ttl_s = 300;
    sc->defaults.time_scale = 1.0;
    sc->defaults.max_body_bytes = 1 << 20;
    sc->defaults.max_clarifications = 10000;
    sc->defaults.max_attachment_body_bytes = 8 << 20;
    sc->pricing.order_routing_per_1k_tokens_micros = 3000;
    sc->pricing.fraud_score_per_call_micros = 10000;
    sc->pricing.multimodal_multiplier = 3;
    memcpy(sc->pricing.currency, "CNY", 4);
}

static void load_root(yfield_ctx *c, const ytree_node *root, scenario *sc)
{
    static const char *const known[] = {"version",   "name",    "seed",   "defaults", "fixtures",
                                        "merchants", "pricing", "review", "models",   "rules",
                                        "latency",   "rate_limits", "faults", "llm"};
    if (root->kind != YT_MAP) {
        c->errors++;
        diag_add(c->d, root->line, root->col, "a scenario must be a mapping (version: 1, ...)");
        return;
    }
    yfield_keys(c, root, known, NELEM(known));
    const ytree_node *v;
    if ((v = yfield_need(c, root, "version", "scenario"))) {
        int64_t ver = 0;
        if (ytree_int(v, &ver) < 0 || ver != 1) yfield_err(c, v, "version", "must be 1");
    }
    if ((v = ytree_get(root, "name"))) yfield_set_str(c, v, "name", &sc->name);
    if ((v = ytree_get(root, "seed"))) sc->seed = parse_seed(c, v);
    if ((v = ytree_get(root, "defaults"))) load_defaults(c, v, &sc->defaults);
    if ((v = ytree_get(root, "fixtures"))) load_fixtures(c, v, sc);
    if ((v = ytree_get(root, "merchants"))) load_merchants(c, v, sc);
    if ((v = ytree_get(root, "pricing"))) load_pricing(c, v, &sc->pricing);
    if ((v = ytree_get(root, "review"))) load_review(c, v, &sc->review);
    if ((v = ytree_get(root, "models"))) load_models(c, v, sc);
    if ((v = ytree_get(root, "latency"))) latency_load(c, v, &sc->latency);
    if ((v = ytree_get(root, "rate_limits"))) ratelimit_load(c, v, &sc->ratelimits);
    if ((v = ytree_get(root, "faults"))) {
        fault_load(c, v, &sc->faults);
        if (v->kind == YT_SEQ) check_fault_merchants(c, v, sc);
    }
    if ((v = ytree_get(root, "rules"))) {
        load_rules(c, v, sc);
        check_rule_merchants(c, v, sc);
    }
    chat_config_load(c, ytree_get(root, "llm"), &sc->llm); /* defaults when absent */
}

static int load_tree(const char *buf, size_t len, const char *path, const char *base_dir, diag *d,
                     scenario **out)
{
    *out = NULL;
    ytree_node *root = NULL;
    if (ytree_parse(buf, len, d, &root) < 0) return -1;
    yfield_ctx c = {.d = d, .base_dir = base_dir};
    scenario *sc = calloc(1, sizeof *sc);
    if (!sc) {
        ytree_free(root);
        diag_add(d, 0, 0, "out of memory");
        return -1;
    }
    set_defaults(sc);
    sc->path = strdup(path);
    sc->source = malloc(len + 1);
    if (!sc->path || !sc->source) {
        c.oom = 1;
    } else {
        memcpy(sc->source, buf, len);
        sc->source[len] = '\0';
        sc->source_len = len;
        load_root(&c, root, sc);
    }
    if (!c.oom && !sc->name && !(sc->name = strdup("unnamed"))) c.oom = 1;
    ratelimit_finish(&sc->ratelimits);
    if (!c.oom && (drift_finish(&sc->models) != 0 || copy_versions(sc) != 0)) c.oom = 1;
    ytree_free(root);
    if (c.oom) diag_add(d, 0, 0, "out of memory");
    if (c.errors || c.oom) {
        scenario_free(sc);
        return -1;
    }
    *out = sc;
    return 0;
}

int scenario_load_buffer(const char *buf, size_t len, const char *name, const char *base_dir,
                         diag *d, scenario **out)
{
    *out = NULL;
    if (name) {
        char *f = strdup(name);
        if (!f) {
            diag_add(d, 0, 0, "out of memory");
            return -1;
        }
        free(d->file);
        d->file = f;
    }
    return load_tree(buf ? buf : "", buf ? len : 0, "<memory>", base_dir, d, out);
}

int scenario_load(const char *path, diag *d, scenario **out)
{
    *out = NULL;
    if (!d->file && !(d->file = strdup(path))) return -1;
    /* read through ytree's bounded reader, then parse again from memory to keep the source */
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_add(d, 0, 0, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = (size_t)YTREE_MAX_BYTES + 1;
    char *buf = malloc(cap);
    size_t n = buf ? fread(buf, 1, cap, f) : 0;
    int rerr = ferror(f);
    fclose(f);
    if (!buf || rerr || n > YTREE_MAX_BYTES) {
        if (!buf)
            diag_add(d, 0, 0, "out of memory");
        else if (rerr)
            diag_add(d, 0, 0, "cannot read %s", path);
        else
            diag_add(d, 0, 0, "file is larger than %u bytes", (unsigned)YTREE_MAX_BYTES);
        free(buf);
        return -1;
    }
    char *base = strdup(path);
    if (!base) {
        free(buf);
        diag_add(d, 0, 0, "out of memory");
        return -1;
    }
    char *slash = strrchr(base, '/');
    if (slash == base)
        base[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(base, ".");
    int rc = load_tree(buf, n, path, base, d, out);
    free(base);
    free(buf);
    return rc;
}

void scenario_free(scenario *sc)
{
    if (!sc) return;
    free(sc->path);
    free(sc->name);
    free(sc->source);
    directory_free(sc->dir);
    chat_config_free(sc->llm);
    for (size_t i = 0; i < sc->nmerchants; i++) {
        scenario_merchant *m = &sc->merchants[i];
        free(m->mchid);
        free(m->client_secret);
        for (size_t k = 0; k < m->nkeys; k++) {
            free(m->keys[k].serial);
            free(m->keys[k].secret);
        }
        for (size_t k = 0; k < m->nscopes; k++)
            free(m->scopes[k]);
    }
    for (size_t i = 0; i < sc->review.ncategories; i++)
        free(sc->review.categories[i]);
    for (size_t i = 0; i < sc->nversions; i++)
        free(sc->versions[i].id);
    drift_config_free(&sc->models);
    fault_config_free(&sc->faults);
    for (size_t i = 0; i < sc->nrules; i++) {
        scenario_rule *r = &sc->rules[i];
        free(r->name);
        free(r->endpoint);
        if (r->has_regex) regfree(&r->regex);
        free(r->contains);
        free(r->locale);
        free(r->merchant);
        free(r->payer);
        free(r->payee);
        cJSON_Delete(r->intent);
        free(r->intent_text);
        for (size_t q = 0; q < r->nquestions; q++) {
            free(r->questions[q].id);
            free(r->questions[q].text);
            for (size_t o = 0; o < r->questions[q].noptions; o++) {
                free(r->questions[q].option_ids[o]);
                free(r->questions[q].option_labels[o]);
            }
        }
        free(r->review_reason);
        free(r->error_code);
        free(r->error_message);
    }
    free(sc);
}

const scenario_merchant *scenario_merchant_find(const scenario *sc, const char *mchid)
{
    if (!sc || !mchid) return NULL;
    for (size_t i = 0; i < sc->nmerchants; i++)
        if (sc->merchants[i].mchid && !strcmp(sc->merchants[i].mchid, mchid))
            return &sc->merchants[i];
    return NULL;
}

const scenario_key *scenario_key_find(const scenario_merchant *m, const char *serial)
{
    if (!m || !serial) return NULL;
    for (size_t i = 0; i < m->nkeys; i++)
        if (m->keys[i].serial && !strcmp(m->keys[i].serial, serial)) return &m->keys[i];
    return NULL;
}

int scenario_merchant_has_scope(const scenario_merchant *m, const char *scope)
{
    if (!m || !scope) return 0;
    for (size_t i = 0; i < m->nscopes; i++)
        if (!strcmp(m->scopes[i], scope)) return 1;
    return 0;
}

static unsigned char fold(unsigned char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : ch;
}

/* ASCII case-insensitive search in text[0..len); other bytes (UTF-8) match exactly. */
static int contains_ci(const char *text, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    if (nl == 0) return 1;
    for (size_t i = 0; i + nl <= len; i++) {
        size_t k = 0;
        while (k < nl && fold((unsigned char)text[i + k]) == fold((unsigned char)needle[k]))
            k++;
        if (k == nl) return 1;
    }
    return 0;
}

/* "zh" matches "zh", "zh-CN" and "zh_TW" but not "zhx". */
static int locale_matches(const char *want, const char *have)
{
    if (!have) return 0;
    size_t wl = strlen(want);
    if (strlen(have) < wl) return 0;
    for (size_t i = 0; i < wl; i++)
        if (fold((unsigned char)want[i]) != fold((unsigned char)have[i])) return 0;
    return have[wl] == '\0' || have[wl] == '-' || have[wl] == '_' || want[wl - 1] == '-';
}

const scenario_rule *scenario_rule_match(const scenario *sc, const char *endpoint,
                                         const char *mchid, const char *text, size_t len,
                                         const char *locale)
{
    return scenario_rule_match_parties(sc, endpoint, mchid, text, len, locale, NULL, NULL);
}

const scenario_rule *scenario_rule_match_parties(const scenario *sc, const char *endpoint,
                                                 const char *mchid, const char *text, size_t len,
                                                 const char *locale, const char *payer,
                                                 const char *payee)
{
    if (!sc) return NULL;
    if (!text) len = 0;
    if (len > MATCH_TEXT_MAX) len = MATCH_TEXT_MAX;
    char *copy = NULL; /* regexec needs a NUL-terminated string: made once, on demand */
    const scenario_rule *hit = NULL;
    for (size_t i = 0; i < sc->nrules && !hit; i++) {
        const scenario_rule *r = &sc->rules[i];
        if (r->endpoint && (!endpoint || strcmp(r->endpoint, endpoint))) continue;
        if (r->merchant && (!mchid || strcmp(r->merchant, mchid))) continue;
        if (r->locale && !locale_matches(r->locale, locale)) continue;
        if (r->payer && (!payer || strcmp(r->payer, payer))) continue;
        if (r->payee && (!payee || strcmp(r->payee, payee))) continue;
        if (r->contains && !contains_ci(text ? text : "", len, r->contains)) continue;
        if (r->has_regex) {
            if (!copy) {
                copy = malloc(len + 1);
                if (!copy) continue;
                if (len) memcpy(copy, text, len);
                copy[len] = '\0';
            }
            if (regexec(&r->regex, copy, 0, NULL, 0) != 0) continue;
        }
        hit = r;
    }
    free(copy);
    return hit;
}
