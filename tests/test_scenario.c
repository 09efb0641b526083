/* scenario: the shipped default loads, every mistake is reported with its position,
 * and rules match first-wins on endpoint, merchant, locale and text. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "diag.h"
#include "scenario.h"

#define SRC(p) WXAI_SOURCE_DIR "/" p

/* Load from memory as "x.yaml"; returns the joined errors (caller frees) or NULL on success. */
static char *try_buffer(const char *text, scenario **out)
{
    diag d;
    diag_init(&d, "ignored");
    int rc = scenario_load_buffer(text, strlen(text), "x.yaml", SRC("tests/data"), &d, out);
    char *all = rc ? diag_join(&d) : NULL;
    ck_assert_int_eq(rc == 0, d.n == 0);
    diag_free(&d);
    return all;
}

static void expect_errors(const char *text, const char *want)
{
    scenario *sc = NULL;
    char *all = try_buffer(text, &sc);
    ck_assert_ptr_null(sc);
    ck_assert_ptr_nonnull(all);
    ck_assert_str_eq(all, want);
    free(all);
}

static scenario *expect_ok(const char *text)
{
    scenario *sc = NULL;
    char *all = try_buffer(text, &sc);
    ck_assert_msg(all == NULL, "unexpected errors: %s", all ? all : "");
    return sc;
}

START_TEST(default_scenario_loads)
{
    diag d;
    scenario *sc = NULL;
    diag_init(&d, "default.yaml");
    int rc = scenario_load(SRC("scenarios/default.yaml"), &d, &sc);
    char *all = diag_join(&d);
    ck_assert_msg(rc == 0, "errors: %s", all);
    free(all);
    diag_free(&d);

    ck_assert_str_eq(sc->name, "default");
    ck_assert(sc->seed == 20261204u);
    ck_assert(sc->defaults.confidence_threshold == 0.85);
    ck_assert_int_eq(sc->defaults.token_ttl_s, 7200);
    ck_assert_int_eq(sc->defaults.max_body_bytes, 1048576);
    ck_assert_int_eq(sc->defaults.max_clarifications, 10000);
    ck_assert_int_eq(sc->pricing.order_routing_per_1k_tokens_micros, 3000);
    ck_assert_int_eq(sc->pricing.fraud_score_per_call_micros, 10000);
    ck_assert_int_eq(sc->pricing.multimodal_multiplier, 3);
    ck_assert_str_eq(sc->pricing.currency, "CNY");
    ck_assert_int_eq(sc->review.amount_over_fen, 5000000);
    ck_assert_str_eq(sc->review.categories[0], "real_estate_deposit");
    ck_assert_ptr_nonnull(sc->dir);
    ck_assert_ptr_nonnull(directory_person_by_openid(sc->dir, "o_alice"));
    ck_assert_uint_eq(sc->nversions, 1);
    ck_assert_str_eq(sc->versions[0].id, "2026.09");
    ck_assert_ptr_nonnull(sc->source);
    ck_assert_uint_eq(sc->source_len, strlen(sc->source));

    const scenario_merchant *m = scenario_merchant_find(sc, "1900000109");
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->client_secret, "s3cr3t-demo-1900000109");
    ck_assert_uint_eq(m->nkeys, 2);
    const scenario_key *k = scenario_key_find(m, "KEY-2026-B");
    ck_assert_ptr_nonnull(k);
    ck_assert_str_eq(k->secret, "demo-key-B-fedcba9876543210fedcba9876");
    ck_assert_uint_eq(k->secret_len, strlen(k->secret));
    ck_assert_ptr_null(scenario_key_find(m, "KEY-2026-C"));
    ck_assert(scenario_merchant_has_scope(m, "ai_payment_intelligence"));
    const scenario_merchant *pending = scenario_merchant_find(sc, "1900000200");
    ck_assert_ptr_nonnull(pending);
    ck_assert(!scenario_merchant_has_scope(pending, "ai_payment_intelligence"));
    ck_assert_ptr_nonnull(scenario_key_find(pending, "KEY-PENDING-1"));
    ck_assert_ptr_null(scenario_merchant_find(sc, "1900000999"));

    ck_assert_uint_eq(sc->nrules, 3);
    const scenario_rule *r = &sc->rules[0];
    ck_assert_str_eq(r->name, "ambiguous-tip");
    ck_assert_uint_eq(r->nquestions, 1);
    ck_assert_str_eq(r->questions[0].id, "tip_rate");
    ck_assert_str_eq(r->questions[0].text, "Did you mean to tip 15% or 18%?");
    ck_assert_uint_eq(r->questions[0].noptions, 2);
    ck_assert_str_eq(r->questions[0].option_ids[0], "15");
    ck_assert_str_eq(r->questions[0].option_labels[0], "15%");
    ck_assert_str_eq(r->questions[0].option_ids[1], "18");
    r = &sc->rules[1];
    ck_assert_int_eq(r->error_status, 503);
    ck_assert_str_eq(r->error_code, "SERVICE_UNAVAILABLE");
    r = &sc->rules[2];
    ck_assert(r->has_confidence && r->confidence == 0.97);
    char *intent = cJSON_PrintUnformatted(r->intent);
    ck_assert_str_eq(intent, "{\"type\":\"pay\",\"amount\":{\"total\":3200,\"currency\":\"CNY\"}}");
    free(intent);

    const char *t = "add a tip for the waiter";
    ck_assert_ptr_eq(scenario_rule_match(sc, "order_routing", "1900000109", t, strlen(t), "en"),
                     &sc->rules[0]);
    t = "please SIMULATE OUTAGE now";
    ck_assert_ptr_eq(scenario_rule_match(sc, "order_routing", "1900000109", t, strlen(t), NULL),
                     &sc->rules[1]);
    t = "my usual coffee";
    ck_assert_ptr_eq(scenario_rule_match(sc, "order_routing", "1900000109", t, strlen(t), NULL),
                     &sc->rules[2]);
    ck_assert_ptr_null(scenario_rule_match(sc, "fraud_score", "1900000109", t, strlen(t), NULL));
    scenario_free(sc);
}
END_TEST

START_TEST(every_error_at_once_with_positions)
{
    diag d;
    scenario *sc = NULL;
    diag_init(&d, "broken.yaml");
    ck_assert_int_eq(scenario_load(SRC("tests/data/scenario_broken.yaml"), &d, &sc), -1);
    ck_assert_ptr_null(sc);
    char *all = diag_join(&d);
    ck_assert_str_eq(
        all,
        "broken.yaml:3:7: seed: must be an integer from 0 to 18446744073709551615\n"
        "broken.yaml:7:3: unknown key 'thresold' (did you mean 'confidence_threshold'?)\n"
        "broken.yaml:5:25: defaults.confidence_threshold: must be a number from 0 to 1\n"
        "broken.yaml:11:50: merchants[0].api_keys[1].serial: duplicate key serial 'K1' (first "
        "defined at 11:25)\n"
        "broken.yaml:14:15: merchants[1].api_keys: must have 1 to 2 entries, got 0\n"
        "broken.yaml:12:12: merchants[1].mchid: duplicate mchid '1900000109' (first defined at "
        "9:12)\n"
        "broken.yaml:17:27: rules[0].match.text.regex: bad regex '(unclosed': Unmatched ( or \\(\n"
        "broken.yaml:19:11: rules[1].name: duplicate rule name 'r1' (first defined at line 16)\n"
        "broken.yaml:20:23: rules[1].match.endpoint: unknown endpoint 'order_routng' (did you "
        "mean 'order_routing'?)\n"
        "broken.yaml:21:14: rules[1].respond: needs at least one of intent, confidence, clarify, "
        "review, error\n"
        "broken.yaml:23:31: rules[2].respond.error.status: must be an integer from 400 to 599");
    ck_assert_uint_eq(diag_count(&d), 11);
    free(all);
    diag_free(&d);
}
END_TEST

START_TEST(typo_suggests_nearest)
{
    expect_errors("version: 1\n"
                  "name: t\n"
                  "seed: 1\n"
                  "defaults:\n"
                  "  token_ttl_s: 60\n"
                  "  clarification_ttl_s: 30\n"
                  "  time_scal: 2\n"
                  "naem: x\n",
                  "x.yaml:8:1: unknown key 'naem' (did you mean 'name'?)\n"
                  "x.yaml:7:3: unknown key 'time_scal' (did you mean 'time_scale'?)");
}
END_TEST

START_TEST(yaml_level_refusals)
{
    expect_errors("version: 1\nname: a\nname: b\n",
                  "x.yaml:3:1: duplicate key 'name' (first defined at 2:1)");
    expect_errors("version: 1\nreview: &r {amount_over_fen: 1}\nname: *r\n",
                  "x.yaml:2:9: anchors (&name) are not allowed\n"
                  "x.yaml:3:7: aliases (*name) are not allowed");
    char deep[200] = "version: 1\nrules: ";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    expect_errors(deep, "x.yaml:2:39: nesting deeper than 32 levels");
    expect_errors("- 1\n", "x.yaml:1:1: a scenario must be a mapping (version: 1, ...)");
    expect_errors("name: x\n", "x.yaml:1:1: scenario: missing required key 'version'");
    expect_errors("version: 2\n", "x.yaml:1:10: version: must be 1");
}
END_TEST

START_TEST(types_and_ranges)
{
    expect_errors(
        "version: 1\n"
        "defaults: {confidence_threshold: high, time_scale: -1, max_body_bytes: 0}\n"
        "pricing: {currency: yuan, multimodal_multiplier: 0, fraud_score: 5}\n"
        "review: {categories: real_estate_deposit}\n"
        "models: {order_routing: {versions: [{id: a}, {id: a}]}}\n",
        "x.yaml:2:34: defaults.confidence_threshold: must be a number from 0 to 1\n"
        "x.yaml:2:52: defaults.time_scale: must be a number >= 0\n"
        "x.yaml:2:72: defaults.max_body_bytes: must be an integer from 1 to 67108864\n"
        "x.yaml:3:66: pricing.fraud_score: must be a mapping, not a scalar\n"
        "x.yaml:3:50: pricing.multimodal_multiplier: must be an integer from 1 to 100\n"
        "x.yaml:3:21: pricing.currency: must be a three-letter ISO 4217 code such as CNY\n"
        "x.yaml:4:22: review.categories: must be a list, not a scalar\n"
        "x.yaml:5:51: models.order_routing.versions[1].id: duplicate version id 'a'");
}
END_TEST

START_TEST(fixture_errors_are_forwarded)
{
    expect_errors("version: 1\nfixtures: {directory: nope.yaml}\n",
                  "x.yaml:2:23: fixtures.directory: " WXAI_SOURCE_DIR
                  "/tests/data/nope.yaml: cannot open " WXAI_SOURCE_DIR
                  "/tests/data/nope.yaml: No such file or directory");
    scenario *sc = NULL;
    char *all = try_buffer("version: 1\nfixtures: {directory: dir_bad.yaml}\n", &sc);
    ck_assert_ptr_nonnull(all);
    ck_assert_ptr_nonnull(strstr(all, "x.yaml:2:23: fixtures.directory: " WXAI_SOURCE_DIR
                                      "/tests/data/dir_bad.yaml:4:5: unknown key 'nmae'"));
    free(all);
}
END_TEST

START_TEST(respond_shapes)
{
    scenario *sc = expect_ok(
        "version: 1\n"
        "name: shapes\n"
        "seed: 18446744073709551615\n"
        "models: {order_routing: {versions: [{id: '2026.09'}, {id: '2026.12'}]}}\n"
        "rules:\n"
        "  - name: q\n"
        "    respond:\n"
        "      intent: {type: split_bill, n: 2, ok: true, none: null, s: '12', f: 0.5, l: [1, x]}\n"
        "      clarify:\n"
        "        - id: who\n"
        "          text: Which Alice?\n"
        "          options: [{id: o_alice, label: Alice}, {id: o_alice_li, label: Alice Li}]\n"
        "        - {id: note, text: Anything else?}\n"
        "        - {id: rate, text: Rate?, options: [no tip, 10 %]}\n"
        "  - name: r\n"
        "    respond: {review: {reason: big}}\n");
    ck_assert(sc->seed == UINT64_MAX);
    ck_assert_str_eq(sc->name, "shapes");
    ck_assert_uint_eq(sc->nversions, 2);
    ck_assert_str_eq(sc->versions[1].id, "2026.12");
    const scenario_rule *r = &sc->rules[0];
    char *js = cJSON_PrintUnformatted(r->intent);
    ck_assert_str_eq(js, "{\"type\":\"split_bill\",\"n\":2,\"ok\":true,\"none\":null,\"s\":\"12\","
                         "\"f\":0.5,\"l\":[1,\"x\"]}");
    free(js);
    ck_assert(!r->has_confidence);
    ck_assert_uint_eq(r->nquestions, 3);
    ck_assert_str_eq(r->questions[0].option_ids[1], "o_alice_li");
    ck_assert_str_eq(r->questions[0].option_labels[1], "Alice Li");
    ck_assert_uint_eq(r->questions[1].noptions, 0);
    ck_assert_str_eq(r->questions[2].option_ids[0], "notip");
    ck_assert_str_eq(r->questions[2].option_ids[1], "10");
    ck_assert_str_eq(r->questions[2].option_labels[1], "10 %");
    ck_assert_str_eq(sc->rules[1].review_reason, "big");
    ck_assert_int_eq(sc->rules[1].error_status, 0);
    ck_assert_ptr_null(sc->dir);
    scenario_free(sc);

    expect_errors("version: 1\n"
                  "rules:\n"
                  "  - name: a\n"
                  "    match: {merchant: '42', text: {regex: a, contains: b}}\n"
                  "    respond:\n"
                  "      intent: [1]\n"
                  "      error: {status: 500}\n"
                  "      clarify: [{id: x, text: y, options: ['%', a, a]}]\n",
                  "x.yaml:4:35: rules[0].match.text: give either 'regex' or 'contains', not both\n"
                  "x.yaml:7:14: rules[0].respond: 'error' cannot be combined with intent, "
                  "confidence, clarify or review\n"
                  "x.yaml:6:15: rules[0].respond.intent: must be a mapping, not a list\n"
                  "x.yaml:8:44: rules[0].respond.clarify[0].options[0]: option '%' gives an empty "
                  "id; write {id: ..., label: ...}\n"
                  "x.yaml:8:52: rules[0].respond.clarify[0].options[2]: duplicate option id 'a'\n"
                  "x.yaml:7:14: rules[0].respond.error: missing required key 'code'\n"
                  "x.yaml:7:14: rules[0].respond.error: missing required key 'message'\n"
                  "x.yaml:4:23: rules[0].match.merchant: no merchant with mchid '42'");
}
END_TEST

static const char *const MATCH_YAML =
    "version: 1\n"
    "merchants:\n"
    "  - {mchid: '1900000109', client_secret: s, api_keys: [{serial: K, secret: k}]}\n"
    "rules:\n"
    "  - name: zh-coffee\n"
    "    match: {locale: zh, text: {contains: 咖啡}}\n"
    "    respond: {confidence: 0.9}\n"
    "  - name: merchant-refund\n"
    "    match: {merchant: '1900000109', text: {contains: Refund}}\n"
    "    respond: {confidence: 0.8}\n"
    "  - name: tip\n"
    "    match: {endpoint: order_routing, text: {regex: '\\btip\\b'}}\n"
    "    respond: {confidence: 0.7}\n"
    "  - name: any-fraud\n"
    "    match: {endpoint: fraud_score}\n"
    "    respond: {review: {reason: always}}\n";

static const char *match(const scenario *sc, const char *ep, const char *mch, const char *text,
                         size_t len, const char *loc)
{
    const scenario_rule *r = scenario_rule_match(sc, ep, mch, text, len, loc);
    return r ? r->name : "(none)";
}

#define M(ep, mch, text, loc) match(sc, ep, mch, text, strlen(text), loc)

START_TEST(rule_matching)
{
    scenario *sc = expect_ok(MATCH_YAML);
    const char *OR = "order_routing";
    /* regex: word boundary, case-insensitive */
    ck_assert_str_eq(M(OR, NULL, "add a TIP please", "en-US"), "tip");
    ck_assert_str_eq(M(OR, NULL, "tipping is optional", "en-US"), "(none)");
    ck_assert_str_eq(M(OR, NULL, "my stipend", NULL), "(none)");
    ck_assert_str_eq(M("fraud_score", NULL, "tip", NULL), "any-fraud");
    /* contains: ASCII case folded, other bytes exact */
    ck_assert_str_eq(M(OR, "1900000109", "please refund it", NULL), "merchant-refund");
    ck_assert_str_eq(M(OR, "1900000200", "please refund it", NULL), "(none)");
    ck_assert_str_eq(M(OR, NULL, "please refund it", NULL), "(none)");
    /* locale prefix */
    ck_assert_str_eq(M(OR, NULL, "一杯咖啡", "zh-CN"), "zh-coffee");
    ck_assert_str_eq(M(OR, NULL, "一杯咖啡", "ZH"), "zh-coffee");
    ck_assert_str_eq(M(OR, NULL, "一杯咖啡", "zhx"), "(none)");
    ck_assert_str_eq(M(OR, NULL, "一杯咖啡", NULL), "(none)");
    /* first match wins */
    ck_assert_str_eq(M(OR, "1900000109", "咖啡 refund tip", "zh-TW"), "zh-coffee");
    ck_assert_str_eq(M(OR, "1900000109", "咖啡 refund tip", "en"), "merchant-refund");
    /* only len bytes are text: no NUL needed, none read past */
    char buf[16];
    memcpy(buf, "a tipXXXXXXXXXXX", 16);
    ck_assert_str_eq(match(sc, OR, NULL, buf, 5, NULL), "tip");
    ck_assert_str_eq(match(sc, OR, NULL, buf, 4, NULL), "(none)");
    memcpy(buf, "refundXXXXXXXXXX", 16);
    ck_assert_str_eq(match(sc, OR, "1900000109", buf, 6, NULL), "merchant-refund");
    ck_assert_str_eq(match(sc, OR, "1900000109", buf, 5, NULL), "(none)");
    /* huge text is matched on its first 16 KiB, not refused or over-read */
    size_t big = 64 << 10;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    memcpy(huge + 10, " tip ", 5);
    ck_assert_str_eq(match(sc, OR, NULL, huge, big, NULL), "tip");
    free(huge);
    ck_assert_str_eq(match(sc, OR, NULL, NULL, 0, NULL), "(none)");
    ck_assert_ptr_null(scenario_rule_match(NULL, OR, NULL, "tip", 3, NULL));
    scenario_free(sc);
    scenario_free(NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, default_scenario_loads);
    tcase_add_test(tc, every_error_at_once_with_positions);
    tcase_add_test(tc, typo_suggests_nearest);
    tcase_add_test(tc, yaml_level_refusals);
    tcase_add_test(tc, types_and_ranges);
    tcase_add_test(tc, fixture_errors_are_forwarded);
    tcase_add_test(tc, respond_shapes);
    tcase_add_test(tc, rule_matching);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
