/* yfield: typed fields read out of a ytree, with errors as file:line:col.
 *
 * Every loader of a scenario section (scenario.c, and each module that owns a
 * section: latency, rate limits, faults, model versions, fraud, chat) reads its
 * fields through these helpers, so every message has the same shape: "key.path:
 * must be ..." at the node's position, and a loader keeps going after an error
 * so the user sees every mistake at once. A helper that fails leaves *out
 * untouched (the default stays) and counts the error in the context. */
#ifndef WXAI_YFIELD_H
#define WXAI_YFIELD_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ytree.h"

#define YFIELD_PATH_MAX 192 /* key paths in messages ("rules[2].respond.error.status") */
#define YFIELD_STR_MAX 4096 /* strings are ids, secrets and short messages */
#define YFIELD_NELEM(a) (sizeof(a) / sizeof((a)[0]))

typedef struct yfield_ctx {
    diag *d;              /* where messages go (borrowed) */
    size_t errors;        /* errors reported so far */
    int oom;              /* set when an allocation failed */
    const char *base_dir; /* resolves relative file references; may be NULL */
} yfield_ctx;

/* Report "path: message" at n's position (n may be NULL: no position). */
void yfield_err(yfield_ctx *c, const ytree_node *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Report every key of map not in known, with the nearest known key suggested. */
void yfield_keys(yfield_ctx *c, const ytree_node *map, const char *const *known, size_t n);
/* 1 if n is a mapping, else 0 with an error. */
int yfield_is_map(yfield_ctx *c, const ytree_node *n, const char *path);
/* 1 if n is a list of min..max entries, else 0 with an error. */
int yfield_is_seq(yfield_ctx *c, const ytree_node *n, const char *path, size_t min, size_t max);
/* Value of a required key (borrowed), or NULL with "missing required key". */
const ytree_node *yfield_need(yfield_ctx *c, const ytree_node *map, const char *key,
                              const char *path);
/* A non-empty string scalar of at most YFIELD_STR_MAX bytes, copied (caller frees);
 * NULL with an error otherwise. */
char *yfield_get_str(yfield_ctx *c, const ytree_node *n, const char *path);
/* yfield_get_str into *out, freeing the old value on success. */
void yfield_set_str(yfield_ctx *c, const ytree_node *n, const char *path, char **out);
/* Integer in [min, max] into *out. Returns 0, or -1 with an error. */
int yfield_get_int(yfield_ctx *c, const ytree_node *n, const char *path, int64_t min, int64_t max,
                   int64_t *out);
/* Number in [min, max] into *out (max >= 1e300 means unbounded). Returns 0 or -1. */
int yfield_get_double(yfield_ctx *c, const ytree_node *n, const char *path, double min, double max,
                      double *out);
/* Three upper-case letters (ISO 4217) into out (NUL-terminated). Returns 0 or -1. */
int yfield_get_currency(yfield_ctx *c, const ytree_node *n, const char *path, char out[4]);
/* true/false (YAML booleans) into *out. Returns 0 or -1. */
int yfield_get_bool(yfield_ctx *c, const ytree_node *n, const char *path, int *out);
/* A duration in milliseconds, in [min_ms, max_ms]: "90s", "1.5s", "250ms", "2m", "1h", or a
 * plain number of seconds. Returns 0, or -1 with an error. */
int yfield_get_duration_ms(yfield_ctx *c, const ytree_node *n, const char *path, int64_t min_ms,
                           int64_t max_ms, int64_t *out);
/* One of names[0..n) (exact); its index into *out. Otherwise an error naming the nearest
 * (or all) choices. Returns 0 or -1. */
int yfield_get_enum(yfield_ctx *c, const ytree_node *n, const char *path, const char *const *names,
                    size_t nnames, int *out);
/* snprintf into dst (YFIELD_PATH_MAX bytes), cut rather than grown. */
void yfield_pathf(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a duration string as yfield_get_duration_ms does. Returns 0 or -1. */
int yfield_parse_duration_ms(const char *s, int64_t *out);

#endif
