/* json: cJSON with the guards the contract needs.
 *
 * Parsing is reentrant (no cJSON_GetErrorPtr, whose state is a global shared
 * by every thread) and bounded: nesting deeper than max_depth is refused
 * before cJSON recurses into it. */
#ifndef WXAI_JSON_H
#define WXAI_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define JSON_MAX_DEPTH 32

enum { JSON_OK = 0, JSON_ESYNTAX = -1, JSON_EDEPTH = -2, JSON_ENOMEM = -3 };

/* Parse len bytes. On success *out is owned by the caller (cJSON_Delete).
 * On error returns JSON_E* with *err_offset at the offending byte. */
int json_parse(const char *buf, size_t len, int max_depth, cJSON **out, size_t *err_offset);
/* 1 if a Content-Type header value is application/json (parameters such as charset ignored). */
int json_is_media_type(const char *content_type);
/* Print compactly into a new string the caller frees. NULL on ENOMEM. */
char *json_print(const cJSON *item);
/* String value of obj[key], or NULL when absent or not a string (borrowed). */
const char *json_string(const cJSON *obj, const char *key);
/* String value of obj[key], or dflt when absent or not a string (borrowed). */
const char *json_str_or(const cJSON *obj, const char *key, const char *dflt);
/* Number value of obj[key], or dflt when absent or not a number. Not filtered for
 * finiteness: cJSON reads 1e999 as inf. */
double json_num(const cJSON *obj, const char *key, double dflt);
/* obj[key] of any type, or NULL; obj may be NULL, so lookups chain (borrowed). */
const cJSON *json_obj(const cJSON *obj, const char *key);
/* Add an int64 (JSON numbers are doubles: exact up to 2^53). */
cJSON *json_add_int(cJSON *obj, const char *key, int64_t v);
/* Write s (n bytes) as a quoted JSON string in exactly the bytes cJSON prints (control
 * bytes, '"' and '\\' escaped, everything else as is) into out, which has room for
 * JSON_QUOTED_MAX(n) bytes. Returns the bytes written; nothing is NUL-terminated. */
/* 1 for the bytes cJSON escapes in a string: control bytes, '"' and '\\'. */
extern const unsigned char json_escaped[256];
#define JSON_QUOTED_MAX(n) (6 * (n) + 2)
size_t json_quote(char *out, const char *s, size_t n);
/* How many bytes s (n bytes) starts with that json_escaped does not mark. */
size_t json_plain_len(const char *s, size_t n);
/* The bytes json_quote writes for s (n bytes), quotes included. */
size_t json_quoted_len(const char *s, size_t n);
/* v in decimal as "%0*" PRId64 prints it with that width (0 or 1: no padding) into out,
 * which has room for 20 bytes or width, whichever is more; not NUL-terminated. Returns
 * the length. The one integer printer of the hot paths (no snprintf). */
size_t json_int(char *out, int64_t v, int width);
/* Round a double to `decimals` places for output so 0.91 does not print as 0.90999999. */
double json_round(double v, int decimals);

#endif
