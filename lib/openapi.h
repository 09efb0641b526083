/* openapi: fixtures/openapi.yaml as a response validator.
 *
 * The YAML document is read with ytree (strict: no aliases, no duplicate
 * keys) and turned into cJSON by the YAML 1.2 core schema: plain scalars
 * become null, booleans, integers (decimal, 0x, 0o) or floats, quoted
 * scalars stay strings. Every response schema is linted at load time
 * (schemalint.h), so a keyword the validator would silently ignore refuses
 * the file instead. Lookups follow OpenAPI: concrete path segments win over
 * templated ones ("{clarification_id}" matches one non-empty segment), a
 * status matches its code, then "2XX", then "default"; responses may be
 * local $refs. The object is read-only after loading: share it between
 * threads freely. */
#ifndef WXAI_OPENAPI_H
#define WXAI_OPENAPI_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "diag.h"
#include "jsonschema.h"

enum {
    OPENAPI_OK = 0,
    OPENAPI_ELOAD = -1,     /* the file could not be read, parsed or linted (see diag) */
    OPENAPI_ENOPATH = -2,   /* no documented path template matches */
    OPENAPI_ENOMETHOD = -3, /* the path is documented, the method is not */
    OPENAPI_ENOSTATUS = -4, /* the operation does not document this status (nor NXX, default) */
    OPENAPI_ESCHEMA = -5,   /* the documented schema is unusable (bad $ref, ...) */
};

typedef struct openapi openapi;

/* Load an OpenAPI document from a YAML file. On success *out is owned by the
 * caller (openapi_free); on failure returns OPENAPI_ELOAD with every problem,
 * positioned "file:line:col: ...", in d (initialised by the caller). */
int openapi_load(const char *path, diag *d, openapi **out);
/* Same from memory; messages name the file d was initialised with. */
int openapi_parse(const char *buf, size_t len, diag *d, openapi **out);
/* Free; o may be NULL. */
void openapi_free(openapi *o);
/* The whole document as JSON (borrowed, lives as long as o). */
const cJSON *openapi_doc(const openapi *o);

/* The path template that serves a concrete request path (query string
 * ignored), e.g. "/v3/ai/order-routing/clarifications/{clarification_id}".
 * Returns 0 with *tmpl borrowed from o, or OPENAPI_ENOPATH. */
int openapi_match_path(const openapi *o, const char *path, const char **tmpl);

/* Is (method, path, status) documented? 1 yes, 0 the operation exists but
 * not this status, or OPENAPI_ENOPATH / OPENAPI_ENOMETHOD. Method is
 * case-insensitive. */
int openapi_status_documented(const openapi *o, const char *method, const char *path, int status);

/* The response object for (method, path, status), $refs followed: 0 with
 * *response borrowed from o, or a negative OPENAPI_E*. */
int openapi_response(const openapi *o, const char *method, const char *path, int status,
                     const cJSON **response);

/* Validate a response body. content_type is the response's Content-Type
 * header (parameters such as charset ignored; NULL means application/json).
 * JSON media types are parsed and validated against the documented schema;
 * text/event-stream checks every "data:" event against x-sse-data-schema and
 * application/x-ndjson every line against x-ndjson-item-schema when the
 * document gives one; other media types validate the body as a string.
 * Returns 0 valid, 1 invalid (errors, in the caller's errs, say why: wrong
 * content type, not JSON, schema violations), or a negative OPENAPI_E* when
 * the exchange is not documented (one error in errs says which part). *n is
 * how many errors were written (at most cap). Nothing returned is owned. */
int openapi_validate_response(const openapi *o, const char *method, const char *path, int status,
                              const char *content_type, const char *body, size_t len,
                              jsonschema_error *errs, size_t cap, size_t *n);

#endif
