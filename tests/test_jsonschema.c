/* The JSON Schema subset validator: the official JSON-Schema-Test-Suite
 * (draft 2020-12, as Debian's libtest-json-schema-acceptance-perl ships it)
 * for every keyword we claim, then our own cases for messages, paths,
 * OpenAPI 3.0 forms, limits and the ECMA-to-POSIX pattern translation. */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_main.h"
#include "json.h"
#include "jspattern.h"
#include "jsonschema.h"
#include "schemalint.h"

/* ---- acceptance suite -------------------------------------------------- */

static const char *const suite_dirs[] = {
    "/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance/tests/draft2020-12",
    "/usr/local/share/perl/5.36.0/auto/share/dist/Test-JSON-Schema-Acceptance/tests/draft2020-12",
};

/* Passing cases per file: the floor is what the validator reached when this
 * was written (docs/jsonschema.md has the table), so a regression fails. */
typedef struct suite_file {
    const char *name;
    int floor;
} suite_file;

static const suite_file files[] = {
    {"type", 80},
    {"enum", 33},
    {"const", 50},
    {"required", 16},
    {"properties", 28},
    {"additionalProperties", 16},
    {"patternProperties", 23},
    {"propertyNames", 10},
    {"dependentRequired", 20},
    {"items", 12},
    {"uniqueItems", 42},
    {"minimum", 11},
    {"maximum", 8},
    {"exclusiveMinimum", 4},
    {"exclusiveMaximum", 4},
    {"multipleOf", 10},
    {"minLength", 7},
    {"maxLength", 7},
    {"minItems", 6},
    {"maxItems", 6},
    {"minProperties", 8},
    {"maxProperties", 10},
    {"pattern", 9},
    {"ref", 28},
    {"allOf", 30},
    {"anyOf", 18},
    {"oneOf", 27},
    {"not", 12},
    {"if-then-else", 26},
    {"boolean_schema", 18},
    {"infinite-loop-detection", 2},
};

static const char *suite_dir(void)
{
    const char *env = getenv("JSON_SCHEMA_TEST_SUITE");
    struct stat st;
    if (env && *env) return env;
    for (size_t i = 0; i < sizeof suite_dirs / sizeof *suite_dirs; i++)
        if (stat(suite_dirs[i], &st) == 0 && S_ISDIR(st.st_mode)) return suite_dirs[i];
    return NULL;
}

static cJSON *load_json_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    ck_assert(len > 0 && len < (8 << 20));
    char *buf = malloc((size_t)len);
    ck_assert(buf != NULL);
    ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    cJSON *doc = NULL;
    size_t off = 0;
    int rc = json_parse(buf, (size_t)len, 64, &doc, &off);
    free(buf);
    ck_assert_msg(rc == 0, "%s: JSON error at byte %zu", path, off);
    return doc;
}

typedef struct tally {
    int total, passed, failed, skipped;
} tally;

static tally run_file(const char *dir, const char *name, int verbose)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    cJSON *doc = load_json_file(path);
    tally t = {0, 0, 0, 0};
    const cJSON *group;
    cJSON_ArrayForEach(group, doc)
    {
        const cJSON *schema = cJSON_GetObjectItemCaseSensitive(group, "schema");
        const cJSON *tests = cJSON_GetObjectItemCaseSensitive(group, "tests");
        const char *gdesc = json_string(group, "description");
        jsonschema_error lint;
        int unsupported = schemalint_check(schema, schema, &lint) != 0;
        if (unsupported && verbose)
            fprintf(stderr, "  skip %s / %s: %s\n", name, gdesc, lint.message);
        const cJSON *tc;
        cJSON_ArrayForEach(tc, tests)
        {
            t.total++;
            if (unsupported) {
                t.skipped++;
                continue;
            }
            int want_valid = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tc, "valid"));
            jsonschema_error errs[4];
            size_t n = 0;
            int rc = jsonschema_validate(schema, schema,
                                         cJSON_GetObjectItemCaseSensitive(tc, "data"), errs, 4, &n);
            int ok = rc >= 0 && (rc == JSONSCHEMA_VALID) == want_valid;
            if (ok) {
                t.passed++;
            } else {
                t.failed++;
                if (verbose)
                    fprintf(stderr, "  FAIL %s / %s / %s: rc=%d want %s%s%s\n", name, gdesc,
                            json_string(tc, "description"), rc, want_valid ? "valid" : "invalid",
                            n ? ": " : "", n ? errs[0].message : "");
            }
        }
    }
    cJSON_Delete(doc);
    return t;
}

START_TEST(acceptance_suite)
{
    const char *dir = suite_dir();
    ck_assert_msg(dir != NULL,
                  "JSON-Schema-Test-Suite not found: install it with "
                  "`apt-get install libtest-json-schema-acceptance-perl` (.ci/deps does), "
                  "or point JSON_SCHEMA_TEST_SUITE at a tests/draft2020-12 directory");
    int verbose = getenv("JSONSCHEMA_VERBOSE") != NULL;
    tally all = {0, 0, 0, 0};
    int below = 0;
    printf("| file | cases | passed | failed | skipped (unsupported) | pass rate |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        tally t = run_file(dir, files[i].name, verbose);
        printf("| %s.json | %d | %d | %d | %d | %.1f%% |\n", files[i].name, t.total, t.passed,
               t.failed, t.skipped, t.total ? 100.0 * t.passed / t.total : 0.0);
        if (t.passed < files[i].floor) {
            fprintf(stderr, "%s.json: %d passed, floor is %d\n", files[i].name, t.passed,
                    files[i].floor);
            below++;
        }
        all.total += t.total, all.passed += t.passed, all.failed += t.failed;
        all.skipped += t.skipped;
    }
    printf("| **all** | %d | %d | %d | %d | %.1f%% |\n", all.total, all.passed, all.failed,
           all.skipped, 100.0 * all.passed / all.total);
    printf("skipped %d of %d cases whose schema uses an unsupported keyword\n", all.skipped,
           all.total);
    fflush(stdout);
    ck_assert_msg(below == 0, "%d suite files fell below their pass floor", below);
    ck_assert_int_gt(all.passed, 0);
}
END_TEST

/* ---- own cases ----------------------------------------------------------- */

static cJSON *parse(const char *text)
{
    cJSON *j = NULL;
    size_t off = 0;
    int rc = json_parse(text, strlen(text), 64, &j, &off);
    ck_assert_msg(rc == 0, "test JSON does not parse at byte %zu: %s", off, text);
    return j;
}

static jsonschema_error errs[8];
static size_t nerrs;

/* Validate inst against schema (its own root document); errors land in errs. */
static int run(const char *schema, const char *inst)
{
    cJSON *s = parse(schema), *i = parse(inst);
    memset(errs, 0, sizeof errs);
    int rc = jsonschema_validate(s, s, i, errs, 8, &nerrs);
    cJSON_Delete(s);
    cJSON_Delete(i);
    return rc;
}

START_TEST(type_error_names_path_and_types)
{
    const char *s = "{\"type\":\"object\",\"properties\":{\"amount\":{\"type\":\"object\","
                    "\"properties\":{\"total\":{\"type\":\"integer\"}}}}}";
    ck_assert_int_eq(run(s, "{\"amount\":{\"total\":12}}"), JSONSCHEMA_VALID);
    ck_assert_int_eq(nerrs, 0);
    ck_assert_int_eq(run(s, "{\"amount\":{\"total\":\"12\"}}"), JSONSCHEMA_INVALID);
    ck_assert_int_eq(nerrs, 1);
    ck_assert_str_eq(errs[0].message, "expected integer, got string at /amount/total");
    ck_assert_str_eq(errs[0].instance_path, "/amount/total");
    ck_assert_str_eq(errs[0].schema_path, "#/properties/amount/properties/total/type");
    ck_assert_str_eq(errs[0].keyword, "type");
    ck_assert_int_eq(run(s, "{\"amount\":{\"total\":12.5}}"), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message, "expected integer, got number at /amount/total");
    /* 1.0 is an integer in JSON Schema */
    ck_assert_int_eq(run(s, "{\"amount\":{\"total\":1.0}}"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run(s, "[]"), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message, "expected object, got array at (root)");
}
END_TEST

START_TEST(every_error_is_reported_up_to_cap)
{
    const char *s = "{\"required\":[\"a\",\"b\",\"c\"],\"additionalProperties\":false}";
    ck_assert_int_eq(run(s, "{\"x/y\":1}"), JSONSCHEMA_INVALID);
    ck_assert_int_eq(nerrs, 4);
    ck_assert_str_eq(errs[0].message, "missing required property \"a\" at (root)");
    ck_assert_str_eq(errs[2].message, "missing required property \"c\" at (root)");
    ck_assert_str_eq(errs[3].instance_path, "/x~1y");
    ck_assert_str_eq(errs[3].message, "property \"x/y\" is not allowed at /x~1y");
    cJSON *sj = parse(s), *ij = parse("{}");
    jsonschema_error two[2];
    size_t n = 99;
    ck_assert_int_eq(jsonschema_validate(sj, sj, ij, two, 2, &n), JSONSCHEMA_INVALID);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(jsonschema_validate(sj, sj, ij, NULL, 0, NULL), JSONSCHEMA_INVALID);
    cJSON_Delete(sj);
    cJSON_Delete(ij);
}
END_TEST

START_TEST(nullable_forms)
{
    ck_assert_int_eq(run("{\"type\":[\"object\",\"null\"]}", "null"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run("{\"type\":[\"object\",\"null\"]}", "{}"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run("{\"type\":[\"object\",\"null\"]}", "\"x\""), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message, "expected object or null, got string at (root)");
    ck_assert_int_eq(run("{\"type\":[\"string\",\"integer\",\"null\"]}", "true"),
                     JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message, "expected string, integer or null, got boolean at (root)");
    /* OpenAPI 3.0 */
    ck_assert_int_eq(run("{\"type\":\"string\",\"nullable\":true}", "null"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run("{\"type\":\"string\",\"nullable\":false}", "null"), JSONSCHEMA_INVALID);
    ck_assert_int_eq(run("{\"type\":\"string\",\"nullable\":true}", "3"), JSONSCHEMA_INVALID);
}
END_TEST

START_TEST(bounds_of_every_kind)
{
    ck_assert_int_eq(run("{\"minimum\":0,\"maximum\":100}", "100"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run("{\"minimum\":0,\"maximum\":100}", "-1"), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message, "must be >= 0, got -1 at (root)");
    ck_assert_int_eq(run("{\"exclusiveMaximum\":100}", "100"), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message, "must be < 100, got 100 at (root)");
    /* OpenAPI 3.0's boolean exclusive bounds */
    ck_assert_int_eq(run("{\"minimum\":0,\"exclusiveMinimum\":true}", "0"), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message, "must be > 0, got 0 at (root)");
    ck_assert_int_eq(run("{\"maximum\":1,\"exclusiveMaximum\":false}", "1"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run("{\"multipleOf\":0.01}", "19.99"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run("{\"multipleOf\":0.01}", "19.995"), JSONSCHEMA_INVALID);
    /* lengths count code points, not bytes: three CJK characters are 9 bytes */
    ck_assert_int_eq(run("{\"maxLength\":3}", "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\""),
                     JSONSCHEMA_VALID);
    ck_assert_int_eq(run("{\"minLength\":4}", "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\""),
                     JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message, "must be at least 4 characters long, got 3 at (root)");
    ck_assert_int_eq(run("{\"minItems\":1,\"maxItems\":2}", "[]"), JSONSCHEMA_INVALID);
    ck_assert_int_eq(run("{\"minItems\":1,\"maxItems\":2}", "[1,2,3]"), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].keyword, "maxItems");
    ck_assert_int_eq(run("{\"minProperties\":1}", "{}"), JSONSCHEMA_INVALID);
    ck_assert_int_eq(run("{\"maxProperties\":1}", "{\"a\":1,\"b\":2}"), JSONSCHEMA_INVALID);
    ck_assert_int_eq(run("{\"maxProperties\":1}", "[1,2]"), JSONSCHEMA_VALID);
}
END_TEST

START_TEST(enum_and_const_messages)
{
    ck_assert_int_eq(run("{\"enum\":[\"low\",\"medium\",\"high\"]}", "\"urgent\""),
                     JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message,
                     "expected one of \"low\", \"medium\", \"high\"; got \"urgent\" at (root)");
    ck_assert_int_eq(run("{\"const\":\"Bearer\"}", "\"bearer\""), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message, "expected \"Bearer\", got \"bearer\" at (root)");
    ck_assert_int_eq(run("{\"const\":{\"a\":[1,{\"b\":null}]}}", "{\"a\":[1.0,{\"b\":null}]}"),
                     JSONSCHEMA_VALID);
    ck_assert_int_eq(run("{\"enum\":[1,true]}", "1"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run("{\"enum\":[1]}", "true"), JSONSCHEMA_INVALID);
}
END_TEST

START_TEST(refs_escapes_and_paths)
{
    const char *s = "{\"$defs\":{\"a/b\":{\"type\":\"string\"},\"c~d\":{\"type\":\"integer\"},"
                    "\"e%f\":{\"type\":\"null\"}},\"properties\":{"
                    "\"x\":{\"$ref\":\"#/$defs/a~1b\"},\"y\":{\"$ref\":\"#/$defs/c~0d\"},"
                    "\"z\":{\"$ref\":\"#/$defs/e%25f\"}}}";
    ck_assert_int_eq(run(s, "{\"x\":\"s\",\"y\":1,\"z\":null}"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run(s, "{\"x\":1,\"y\":\"s\",\"z\":0}"), JSONSCHEMA_INVALID);
    ck_assert_int_eq(nerrs, 3);
    ck_assert_str_eq(errs[0].schema_path, "#/$defs/a~1b/type");
    ck_assert_str_eq(errs[1].schema_path, "#/$defs/c~0d/type");
    ck_assert_str_eq(errs[1].message, "expected integer, got string at /y");
    /* siblings of $ref apply too (2020-12) */
    ck_assert_int_eq(run("{\"$defs\":{\"s\":{\"type\":\"string\"}},\"$ref\":\"#/$defs/s\","
                         "\"maxLength\":2}",
                         "\"abc\""),
                     JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].keyword, "maxLength");
    ck_assert_int_eq(run("{\"$ref\":\"#/$defs/missing\"}", "1"), JSONSCHEMA_EREF);
    ck_assert_int_eq(nerrs, 1);
    ck_assert_str_eq(errs[0].message,
                     "schema error: $ref \"#/$defs/missing\" does not resolve at #/$ref");
    ck_assert_int_eq(run("{\"$ref\":\"other.json#/a\"}", "1"), JSONSCHEMA_EUNSUPPORTED);
    const cJSON *out;
    cJSON *doc = parse("{\"a\":[{\"b\":1}]}");
    ck_assert_int_eq(jsonschema_resolve(doc, "#/a/0/b", &out), 0);
    ck_assert(cJSON_IsNumber(out));
    ck_assert_int_eq(jsonschema_resolve(doc, "#/a/01", &out), JSONSCHEMA_EREF);
    ck_assert_int_eq(jsonschema_resolve(doc, "#/a/1", &out), JSONSCHEMA_EREF);
    ck_assert_int_eq(jsonschema_resolve(doc, "#", &out), 0);
    ck_assert_ptr_eq(out, doc);
    cJSON_Delete(doc);
}
END_TEST

START_TEST(ref_loops_and_depth_are_bounded)
{
    ck_assert_int_eq(run("{\"$ref\":\"#\"}", "1"), JSONSCHEMA_EREF);
    ck_assert(strstr(errs[0].message, "loops back") != NULL);
    ck_assert_int_eq(
        run("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/a\"}},"
            "\"anyOf\":[{\"$ref\":\"#/$defs/a\"}]}",
            "1"),
        JSONSCHEMA_EREF);
    /* a recursive schema is fine while the instance is finite... */
    const char *tree = "{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#\"}}}";
    ck_assert_int_eq(run(tree, "{\"next\":{\"next\":{\"next\":{}}}}"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run(tree, "{\"next\":{\"next\":{\"next\":5}}}"), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].instance_path, "/next/next/next");
    /* ...but an instance nested beyond the cap is refused, not recursed into */
    cJSON *s = parse(tree), *inst = cJSON_CreateObject(), *cur = inst;
    for (int i = 0; i < JSONSCHEMA_MAX_DEPTH + 10; i++) {
        cJSON *n = cJSON_CreateObject();
        cJSON_AddItemToObject(cur, "next", n);
        cur = n;
    }
    jsonschema_error e;
    size_t n;
    ck_assert_int_eq(jsonschema_validate(s, s, inst, &e, 1, &n), JSONSCHEMA_EDEPTH);
    ck_assert_int_eq(n, 1);
    cJSON_Delete(s);
    cJSON_Delete(inst);
}
END_TEST

START_TEST(combinators_explain_themselves)
{
    const char *any = "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}";
    ck_assert_int_eq(run(any, "null"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run(any, "3"), JSONSCHEMA_INVALID);
    ck_assert_int_eq(nerrs, 1); /* branch failures are not errors of their own */
    ck_assert_str_eq(errs[0].message, "matches none of the 2 anyOf alternatives (first: expected "
                                      "string, got integer at (root)) at (root)");
    const char *one = "{\"oneOf\":[{\"required\":[\"a\"]},{\"required\":[\"b\"]}]}";
    ck_assert_int_eq(run(one, "{\"a\":1}"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run(one, "{\"a\":1,\"b\":2}"), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message,
                     "matches 2 oneOf alternatives (#0 and #1), expected exactly one at (root)");
    ck_assert_int_eq(run(one, "{}"), JSONSCHEMA_INVALID);
    ck_assert_int_eq(run("{\"not\":{\"type\":\"string\"}}", "\"s\""), JSONSCHEMA_INVALID);
    ck_assert_int_eq(run("{\"allOf\":[{\"minimum\":1},{\"maximum\":0}]}", "5"), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].schema_path, "#/allOf/1/maximum");
    /* the status rule shape of fixtures/openapi.yaml */
    const char *rule = "{\"if\":{\"properties\":{\"status\":{\"const\":\"ready\"}}},"
                       "\"then\":{\"properties\":{\"token\":{\"type\":\"string\"}}},"
                       "\"else\":{\"properties\":{\"token\":{\"type\":\"null\"}}}}";
    ck_assert_int_eq(run(rule, "{\"status\":\"ready\",\"token\":\"t\"}"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run(rule, "{\"status\":\"fallback\",\"token\":null}"), JSONSCHEMA_VALID);
    ck_assert_int_eq(run(rule, "{\"status\":\"ready\",\"token\":null}"), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].schema_path, "#/then/properties/token/type");
    ck_assert_str_eq(errs[0].message, "expected string, got null at /token");
}
END_TEST

START_TEST(patterns_translate_ecma_escapes)
{
    ck_assert_int_eq(run("{\"pattern\":\"^\\\\d{3}-\\\\w+$\"}", "\"123-ab_c\""), JSONSCHEMA_VALID);
    ck_assert_int_eq(run("{\"pattern\":\"^\\\\d{3}-\\\\w+$\"}", "\"12a-x\""), JSONSCHEMA_INVALID);
    ck_assert_str_eq(errs[0].message, "\"12a-x\" does not match /^\\d{3}-\\w+$/ at (root)");
    ck_assert_int_eq(run("{\"pattern\":\"^[A-Z]{3}$\"}", "\"CNY\""), JSONSCHEMA_VALID);
    ck_assert_int_eq(run("{\"pattern\":\"^[A-Z]{3}$\"}", "\"cny\""), JSONSCHEMA_INVALID);
    ck_assert_int_eq(run("{\"pattern\":\"b\"}", "\"abc\""), JSONSCHEMA_VALID); /* not anchored */
    ck_assert_int_eq(run("{\"pattern\":\"(?=a)\"}", "\"a\""), JSONSCHEMA_EUNSUPPORTED);
    ck_assert_int_eq(run("{\"pattern\":\"(\"}", "\"a\""), JSONSCHEMA_EBADSCHEMA);

    char out[256];
    const char *why = NULL;
    ck_assert_int_eq(jspattern_translate("\\s\\S\\D\\W(?:a|b)+?x{2,}?", out, sizeof out, &why), 0);
    ck_assert_str_eq(out, "[[:space:]][^[:space:]][^0-9][^A-Za-z0-9_](a|b)+x{2,}");
    ck_assert_int_eq(jspattern_translate("[\\d\\-a-f\\]]", out, sizeof out, &why), 0);
    ck_assert_str_eq(out, "[]0-9a-f-]");
    ck_assert_int_eq(jspattern_translate("a{,3}\\.\\u0041", out, sizeof out, &why), 0);
    ck_assert_str_eq(out, "a\\{,3\\}\\.A");
    ck_assert_int_eq(jspattern_translate("\\bword", out, sizeof out, &why), JSPATTERN_EUNSUPPORTED);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_eq(jspattern_translate("x\\1", out, sizeof out, &why), JSPATTERN_EUNSUPPORTED);
    ck_assert_int_eq(jspattern_translate("aaaaaaaa", out, 4, &why), JSPATTERN_EBAD);
}
END_TEST

START_TEST(bad_schemas_are_negative)
{
    ck_assert_int_eq(run("{\"type\":5}", "1"), JSONSCHEMA_EBADSCHEMA);
    ck_assert_int_eq(nerrs, 1);
    ck_assert_str_eq(errs[0].keyword, "type");
    ck_assert_int_eq(run("{\"type\":\"float\"}", "1"), JSONSCHEMA_EBADSCHEMA);
    ck_assert_int_eq(run("{\"minLength\":-1}", "\"\""), JSONSCHEMA_EBADSCHEMA);
    ck_assert_int_eq(run("{\"anyOf\":[]}", "1"), JSONSCHEMA_EBADSCHEMA);
    ck_assert_int_eq(run("{\"items\":[{}]}", "[1]"), JSONSCHEMA_EUNSUPPORTED);
    ck_assert_int_eq(run("5", "1"), JSONSCHEMA_EBADSCHEMA);
    /* a bad schema is reported even inside a branch that would otherwise be muted */
    ck_assert_int_eq(run("{\"anyOf\":[{\"type\":\"nope\"}]}", "1"), JSONSCHEMA_EBADSCHEMA);
    ck_assert_str_eq(errs[0].schema_path, "#/anyOf/0/type");
}
END_TEST

START_TEST(lint_names_unsupported_keywords)
{
    jsonschema_error e;
    cJSON *s = parse("{\"description\":\"d\",\"x-extra\":1,\"$defs\":{\"p\":{\"prefixItems\":[]}},"
                     "\"properties\":{\"a\":{\"$ref\":\"#/$defs/p\"}}}");
    ck_assert_int_eq(schemalint_check(s, s, &e), JSONSCHEMA_EUNSUPPORTED);
    ck_assert_str_eq(e.keyword, "prefixItems");
    ck_assert_str_eq(e.schema_path, "#/$defs/p/prefixItems");
    cJSON_Delete(s);
    s = parse("{\"$defs\":{\"t\":{\"properties\":{\"n\":{\"$ref\":\"#/$defs/t\"}},"
              "\"pattern\":\"^\\\\d+$\",\"type\":[\"object\",\"null\"]}},\"$ref\":\"#/$defs/t\"}");
    ck_assert_int_eq(schemalint_check(s, s, &e), 0); /* a recursive ref is walked once */
    cJSON_Delete(s);
    s = parse("{\"properties\":{\"a\":{\"pattern\":\"\\\\p{L}\"}}}");
    ck_assert_int_eq(schemalint_check(s, s, &e), JSONSCHEMA_EUNSUPPORTED);
    ck_assert_str_eq(e.schema_path, "#/properties/a/pattern");
    cJSON_Delete(s);
    s = parse("{\"$ref\":\"#/nowhere\"}");
    ck_assert_int_eq(schemalint_check(s, s, NULL), JSONSCHEMA_EREF);
    cJSON_Delete(s);
}
END_TEST

static Suite *jsonschema_suite(void)
{
    Suite *s = suite_create("jsonschema");
    TCase *acc = tcase_create("acceptance");
    tcase_set_timeout(acc, 120);
    tcase_add_test(acc, acceptance_suite);
    suite_add_tcase(s, acc);
    TCase *own = tcase_create("own");
    tcase_add_test(own, type_error_names_path_and_types);
    tcase_add_test(own, every_error_is_reported_up_to_cap);
    tcase_add_test(own, nullable_forms);
    tcase_add_test(own, bounds_of_every_kind);
    tcase_add_test(own, enum_and_const_messages);
    tcase_add_test(own, refs_escapes_and_paths);
    tcase_add_test(own, ref_loops_and_depth_are_bounded);
    tcase_add_test(own, combinators_explain_themselves);
    tcase_add_test(own, patterns_translate_ecma_escapes);
    tcase_add_test(own, bad_schemas_are_negative);
    tcase_add_test(own, lint_names_unsupported_keywords);
    suite_add_tcase(s, own);
    return s;
}

CHECK_MAIN(jsonschema_suite)
