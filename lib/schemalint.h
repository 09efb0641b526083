/* schemalint: does a schema use only what jsonschema.h implements?
 *
 * jsonschema_validate ignores keywords it does not know, as the JSON Schema
 * specification asks; that would make an unsupported keyword (prefixItems,
 * $dynamicRef, ...) pass everything silently. The lint walks a schema and
 * every local $ref it reaches and names the first keyword or value the
 * validator would ignore or refuse, so callers can refuse the schema or, in
 * the acceptance tests, count the case as skipped rather than passed. */
#ifndef WXAI_SCHEMALINT_H
#define WXAI_SCHEMALINT_H

#include "jsonschema.h"

#define SCHEMALINT_MAX_REFS 512 /* distinct $ref targets followed per lint */

/* 0 when schema (refs resolved in root_doc, which may be schema itself) uses only
 * supported keywords with well-formed values; otherwise a negative JSONSCHEMA_E*
 * with the first problem written to the caller's *err (may be NULL). */
int schemalint_check(const cJSON *root_doc, const cJSON *schema, jsonschema_error *err);

#endif
