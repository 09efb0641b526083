/* ytree: YAML parsed into a tree that remembers where each node came from.
 *
 * libyaml's event stream is turned into nodes carrying 1-based line and
 * column, so validators can report "file:line:col: message". The loader is
 * deliberately strict: aliases and anchors are refused, nesting is bounded,
 * duplicate mapping keys are errors, and only a single document is read. */
#ifndef WXAI_YTREE_H
#define WXAI_YTREE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "diag.h"

#define YTREE_MAX_DEPTH 32
#define YTREE_MAX_BYTES (4u << 20) /* a scenario or fixture file bigger than this is refused */

typedef enum { YT_SCALAR, YT_MAP, YT_SEQ } ytree_kind;

typedef struct ytree_node ytree_node;

typedef struct ytree_pair {
    ytree_node *key; /* always a scalar */
    ytree_node *value;
} ytree_pair;

struct ytree_node {
    ytree_kind kind;
    int line, col; /* 1-based position of the node's first character */
    /* YT_SCALAR */
    char *str; /* NUL-terminated value (may contain NULs only if len says so) */
    size_t len;
    int plain; /* 1 if unquoted: only plain scalars are numbers, booleans or null */
    /* YT_MAP */
    ytree_pair *pairs;
    size_t npairs;
    /* YT_SEQ */
    ytree_node **items;
    size_t nitems;
};

/* Parse a YAML document from memory. On success *out is a tree the caller
 * frees with ytree_free; on failure returns -1 with errors in d. */
int ytree_parse(const char *buf, size_t len, diag *d, ytree_node **out);
/* Read and parse a file (at most YTREE_MAX_BYTES). Same ownership as ytree_parse. */
int ytree_parse_file(const char *path, diag *d, ytree_node **out);
/* Free a tree; n may be NULL. */
void ytree_free(ytree_node *n);

/* Value for key in a map, or NULL (borrowed from the tree). */
const ytree_node *ytree_get(const ytree_node *map, const char *key);
/* Scalar helpers: return 0 and set *out, or -1 (wrong kind or not a number). */
int ytree_int(const ytree_node *n, int64_t *out);
int ytree_double(const ytree_node *n, double *out);
int ytree_bool(const ytree_node *n, int *out);

/* The tree as JSON: plain scalars become numbers (decimal, 0x, 0o), booleans or null as
 * YAML 1.2's core schema reads them; quoted ones stay strings. New value the caller
 * frees with cJSON_Delete; NULL on ENOMEM. */
cJSON *ytree_to_json(const ytree_node *n);
/* Suggest the known key closest to `key` (edit distance), or NULL when none is close. */
const char *ytree_nearest(const char *key, const char *const *known, size_t nknown);

/* Report every key of map not in known as "unknown key 'k' (did you mean 'x'?)" at the
 * key's position. Returns how many were reported (0 when map is not a mapping). */
size_t ytree_check_keys(const ytree_node *map, const char *const *known, size_t nknown, diag *d);
/* 1 if n is a plain null scalar ("", "~", "null", "Null", "NULL"), else 0. */
int ytree_is_null(const ytree_node *n);
/* "a mapping", "a list", "a scalar" or "null": for "must be X, not Y" messages (static). */
const char *ytree_kind_name(const ytree_node *n);

#endif
