/* jsonschema: a JSON Schema (2020-12 / OpenAPI 3.x) subset validator.
 *
 * Supported keywords: type (string or array, plus OpenAPI 3.0 `nullable`),
 * enum, const, required, properties, patternProperties,
 * additionalProperties, propertyNames, dependentRequired, items (a single
 * schema), uniqueItems, minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum (number form, and the boolean form of OpenAPI 3.0),
 * multipleOf, minLength, maxLength (code points), minItems, maxItems,
 * minProperties, maxProperties, pattern (see jspattern.h), $ref (local
 * JSON Pointers "#/...", applied alongside sibling keywords as in 2020-12),
 * allOf, anyOf, oneOf, not, if/then/else and boolean schemas. Annotations
 * (description, format, examples, default, x-*, ...) are ignored.
 * docs/jsonschema.md lists the limits and the acceptance-suite pass rates.
 *
 * Recursion is bounded by JSONSCHEMA_MAX_DEPTH and a $ref that comes back to
 * the same schema for the same instance value is reported as a cycle. The
 * validator does not allocate (regcomp aside). Unknown keywords are ignored,
 * as the specification says; schemalint.h reports them. */
#ifndef WXAI_JSONSCHEMA_H
#define WXAI_JSONSCHEMA_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define JSONSCHEMA_MAX_DEPTH 64
#define JSONSCHEMA_PATH_MAX 256
#define JSONSCHEMA_MSG_MAX 320

enum {
    JSONSCHEMA_VALID = 0,
    JSONSCHEMA_INVALID = 1,
    JSONSCHEMA_EBADSCHEMA = -1,   /* a keyword's value is malformed */
    JSONSCHEMA_EREF = -2,         /* $ref does not resolve, or cycles */
    JSONSCHEMA_EDEPTH = -3,       /* nesting beyond JSONSCHEMA_MAX_DEPTH */
    JSONSCHEMA_EUNSUPPORTED = -4, /* a keyword or regex construct this subset lacks */
};

typedef struct jsonschema_error {
    /* JSON Pointer into the instance ("" is the whole document) */
    char instance_path[JSONSCHEMA_PATH_MAX];
    /* JSON Pointer of the failing keyword in the schema document; after a
     * $ref it starts at the ref target ("#/components/schemas/Money/...") */
    char schema_path[JSONSCHEMA_PATH_MAX];
    char keyword[32];                 /* "type", "required", "$ref", ... */
    char message[JSONSCHEMA_MSG_MAX]; /* "expected integer, got string at /amount/total" */
} jsonschema_error;

/* Validate instance against schema; $refs resolve against root_doc (which may
 * be schema itself). Returns JSONSCHEMA_VALID, JSONSCHEMA_INVALID, or a
 * negative JSONSCHEMA_E* when the schema is bad. Up to cap errors are written
 * to the caller's errs (a bad schema writes one describing the problem) and
 * *nerrs (may be NULL) is how many were written. Nothing is returned owned. */
int jsonschema_validate(const cJSON *root_doc, const cJSON *schema, const cJSON *instance,
                        jsonschema_error *errs, size_t cap, size_t *nerrs);

/* Resolve a local reference ("#", "#/a/b~1c", percent-encoding allowed) in
 * root_doc. Returns 0 with *out borrowed from root_doc, or JSONSCHEMA_EREF
 * (not found) / JSONSCHEMA_EUNSUPPORTED (not a local JSON Pointer). */
int jsonschema_resolve(const cJSON *root_doc, const char *ref, const cJSON **out);

/* Write "#/..." , the JSON Pointer of node inside root_doc (found by identity),
 * into buf (cap bytes). Returns 0, or -1 when node is not in root_doc ("#" is written). */
int jsonschema_locate(const cJSON *root_doc, const cJSON *node, char *buf, size_t cap);

/* Append the JSON Pointer escape of token (~ -> ~0, / -> ~1) to buf (cap
 * bytes, NUL-terminated, truncated with "..." when full). */
void jsonschema_pointer_append(char *buf, size_t cap, const char *token);

#endif
