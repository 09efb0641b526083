#include "schemalint.h"

#include "jspattern.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct lint {
    const cJSON *root;
    jsonschema_error *err;
    const cJSON *seen[SCHEMALINT_MAX_REFS]; /* ref targets already walked: cycles end here */
    size_t nseen;
    char path[JSONSCHEMA_PATH_MAX]; /* schema path of the node being walked */
} lint;

/* Keywords with no effect on validity: skipped, never reported. */
static const char *const annotations[] = {
    "$schema",  "$comment",     "$defs",           "definitions",
    "title",    "description",  "default",         "examples",
    "example",  "format",       "contentEncoding", "contentMediaType",
    "readOnly", "writeOnly",    "deprecated",      "discriminator",
    "xml",      "externalDocs", "nullable"};

static const char *const counts[] = {"minLength", "maxLength",     "minItems",
                                     "maxItems",  "minProperties", "maxProperties"};
static const char *const numbers[] = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                                      "multipleOf"};
static const char *const subschemas[] = {
    "not", "if", "then", "else", "additionalProperties", "propertyNames", "items"};
static const char *const schema_arrays[] = {"allOf", "anyOf", "oneOf"};
static const char *const schema_maps[] = {"properties", "patternProperties"};
static const char *const others[] = {
    "type", "enum", "const", "required", "pattern", "uniqueItems", "dependentRequired", "$ref"};

static int in(const char *k, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(k, list[i])) return 1;
    return 0;
}
#define IN(k, list) in((k), (list), sizeof(list) / sizeof *(list))

__attribute__((format(printf, 4, 5))) static int report(lint *l, int rc, const char *kw,
                                                        const char *fmt, ...)
{
    if (!l->err) return rc;
    jsonschema_error *e = l->err;
    memset(e, 0, sizeof *e);
    snprintf(e->schema_path, sizeof e->schema_path, "%s", l->path);
    if (kw) {
        strncat(e->schema_path, "/", sizeof e->schema_path - strlen(e->schema_path) - 1);
        jsonschema_pointer_append(e->schema_path, sizeof e->schema_path, kw);
    }
    snprintf(e->keyword, sizeof e->keyword, "%s", kw ? kw : "");
    char msg[JSONSCHEMA_MSG_MAX - 40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* A long schema path is cut short: the message is for people, the path is in schema_path. */
    if (snprintf(e->message, sizeof e->message, "%s at %s", msg, e->schema_path) >=
        (int)sizeof e->message)
        e->message[sizeof e->message - 1] = '\0';
    return rc;
}

static int walk(lint *l, const cJSON *s, int depth);

/* Walk a child schema with path extended by one or two tokens. */
static int child(lint *l, const cJSON *s, const char *tok1, const char *tok2, int depth)
{
    size_t len = strlen(l->path);
    const char *toks[2] = {tok1, tok2};
    for (int i = 0; i < 2 && toks[i]; i++) {
        strncat(l->path, "/", sizeof l->path - strlen(l->path) - 1);
        jsonschema_pointer_append(l->path, sizeof l->path, toks[i]);
    }
    int rc = walk(l, s, depth + 1);
    l->path[len] = '\0';
    return rc;
}

static int check_pattern(lint *l, const char *kw, const char *pattern)
{
    regex_t re;
    const char *why = "";
    int rc = jspattern_compile(pattern, &re, &why);
    if (rc == 0) {
        regfree(&re);
        return 0;
    }
    return report(l, rc == JSPATTERN_EUNSUPPORTED ? JSONSCHEMA_EUNSUPPORTED : JSONSCHEMA_EBADSCHEMA,
                  kw, "pattern /%.60s/: %s", pattern, why);
}

static int follow_ref(lint *l, const cJSON *ref, int depth)
{
    const cJSON *target;
    if (!cJSON_IsString(ref))
        return report(l, JSONSCHEMA_EBADSCHEMA, "$ref", "$ref must be a string");
    int rc = jsonschema_resolve(l->root, ref->valuestring, &target);
    if (rc)
        return report(l, rc, "$ref", "$ref \"%.80s\" %s", ref->valuestring,
                      rc == JSONSCHEMA_EREF ? "does not resolve" : "is not a local JSON Pointer");
    for (size_t i = 0; i < l->nseen; i++)
        if (l->seen[i] == target) return 0;
    if (l->nseen == SCHEMALINT_MAX_REFS)
        return report(l, JSONSCHEMA_EUNSUPPORTED, "$ref", "more than %d $ref targets",
                      SCHEMALINT_MAX_REFS);
    l->seen[l->nseen++] = target;
    char saved[JSONSCHEMA_PATH_MAX];
    memcpy(saved, l->path, sizeof saved);
    snprintf(l->path, sizeof l->path, "%s", ref->valuestring);
    rc = walk(l, target, depth + 1);
    memcpy(l->path, saved, sizeof saved);
    return rc;
}

static int keyword(lint *l, const cJSON *k, int depth)
{
    const char *kw = k->string;
    if (IN(kw, annotations) || !strncmp(kw, "x-", 2)) return 0;
    if (IN(kw, counts)) {
        if (!cJSON_IsNumber(k) || k->valuedouble < 0 ||
            k->valuedouble != (double)(long long)k->valuedouble)
            return report(l, JSONSCHEMA_EBADSCHEMA, kw, "%s must be a non-negative integer", kw);
        return 0;
    }
    if (IN(kw, numbers)) {
        int boolean_ok = !strncmp(kw, "exclusive", 9); /* OpenAPI 3.0 form */
        if (!cJSON_IsNumber(k) && !(boolean_ok && cJSON_IsBool(k)))
            return report(l, JSONSCHEMA_EBADSCHEMA, kw, "%s must be a number", kw);
        return 0;
    }
    if (IN(kw, subschemas)) {
        if (!strcmp(kw, "items") && cJSON_IsArray(k))
            return report(l, JSONSCHEMA_EUNSUPPORTED, kw, "items as an array (use prefixItems)");
        return child(l, k, kw, NULL, depth);
    }
    if (IN(kw, schema_arrays)) {
        if (!cJSON_IsArray(k) || !k->child)
            return report(l, JSONSCHEMA_EBADSCHEMA, kw, "%s must be a non-empty array", kw);
        int i = 0;
        for (const cJSON *x = k->child; x; x = x->next, i++) {
            char num[16];
            snprintf(num, sizeof num, "%d", i);
            int rc = child(l, x, kw, num, depth);
            if (rc) return rc;
        }
        return 0;
    }
    if (IN(kw, schema_maps)) {
        if (!cJSON_IsObject(k))
            return report(l, JSONSCHEMA_EBADSCHEMA, kw, "%s must be an object", kw);
        for (const cJSON *x = k->child; x; x = x->next) {
            int rc = strcmp(kw, "patternProperties") ? 0 : check_pattern(l, kw, x->string);
            if (!rc) rc = child(l, x, kw, x->string, depth);
            if (rc) return rc;
        }
        return 0;
    }
    if (!IN(kw, others))
        return report(l, JSONSCHEMA_EUNSUPPORTED, kw, "unsupported keyword \"%.40s\"", kw);
    if (!strcmp(kw, "$ref")) return follow_ref(l, k, depth);
    if (!strcmp(kw, "pattern")) {
        if (!cJSON_IsString(k))
            return report(l, JSONSCHEMA_EBADSCHEMA, kw, "pattern must be a string");
        return check_pattern(l, kw, k->valuestring);
    }
    if (!strcmp(kw, "type") && !cJSON_IsString(k) && !cJSON_IsArray(k))
        return report(l, JSONSCHEMA_EBADSCHEMA, kw, "type must be a string or an array");
    if (!strcmp(kw, "enum") && !cJSON_IsArray(k))
        return report(l, JSONSCHEMA_EBADSCHEMA, kw, "enum must be an array");
    if (!strcmp(kw, "required") && !cJSON_IsArray(k))
        return report(l, JSONSCHEMA_EBADSCHEMA, kw, "required must be an array");
    return 0;
}

static int walk(lint *l, const cJSON *s, int depth)
{
    if (depth > JSONSCHEMA_MAX_DEPTH)
        return report(l, JSONSCHEMA_EDEPTH, NULL, "nesting deeper than %d", JSONSCHEMA_MAX_DEPTH);
    if (cJSON_IsBool(s)) return 0;
    if (!cJSON_IsObject(s))
        return report(l, JSONSCHEMA_EBADSCHEMA, NULL, "a schema must be an object or a boolean");
    for (const cJSON *k = s->child; k; k = k->next) {
        int rc = keyword(l, k, depth);
        if (rc) return rc;
    }
    return 0;
}

int schemalint_check(const cJSON *root_doc, const cJSON *schema, jsonschema_error *err)
{
    lint l;
    memset(&l, 0, sizeof l);
    l.root = root_doc ? root_doc : schema;
    l.err = err;
    jsonschema_locate(l.root, schema, l.path, sizeof l.path);
    return walk(&l, schema, 0);
}
