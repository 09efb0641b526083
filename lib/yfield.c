/* yfield: typed fields read out of a ytree (see yfield.h). */
#include "yfield.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void yfield_err(yfield_ctx *c, const ytree_node *n, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->errors++;
    diag_add(c->d, n ? n->line : 0, n ? n->col : 0, "%s: %s", path, msg);
}

void yfield_keys(yfield_ctx *c, const ytree_node *map, const char *const *known, size_t n)
{
    c->errors += ytree_check_keys(map, known, n, c->d);
}

int yfield_is_map(yfield_ctx *c, const ytree_node *n, const char *path)
{
    if (n && n->kind == YT_MAP) return 1;
    yfield_err(c, n, path, "must be a mapping, not %s", ytree_kind_name(n));
    return 0;
}

int yfield_is_seq(yfield_ctx *c, const ytree_node *n, const char *path, size_t min, size_t max)
{
    if (!n || n->kind != YT_SEQ) {
        yfield_err(c, n, path, "must be a list, not %s", ytree_kind_name(n));
        return 0;
    }
    if (n->nitems < min || n->nitems > max) {
        if (min == max)
            yfield_err(c, n, path, "must have exactly %zu entries, got %zu", min, n->nitems);
        else
            yfield_err(c, n, path, "must have %zu to %zu entries, got %zu", min, max, n->nitems);
        return 0;
    }
    return 1;
}

const ytree_node *yfield_need(yfield_ctx *c, const ytree_node *map, const char *key,
                              const char *path)
{
    const ytree_node *v = ytree_get(map, key);
    if (!v) yfield_err(c, map, path, "missing required key '%s'", key);
    return v;
}

char *yfield_get_str(yfield_ctx *c, const ytree_node *n, const char *path)
{
    if (!n || n->kind != YT_SCALAR || ytree_is_null(n)) {
        yfield_err(c, n, path, "must be a non-empty string, not %s", ytree_kind_name(n));
        return NULL;
    }
    if (n->len != strlen(n->str) || n->len > YFIELD_STR_MAX) {
        yfield_err(c, n, path, "must be a string of at most %d bytes without NUL", YFIELD_STR_MAX);
        return NULL;
    }
    char *s = strdup(n->str);
    if (!s) c->oom = 1;
    return s;
}

void yfield_set_str(yfield_ctx *c, const ytree_node *n, const char *path, char **out)
{
    char *s = yfield_get_str(c, n, path);
    if (s) {
        free(*out);
        *out = s;
    }
}

int yfield_get_int(yfield_ctx *c, const ytree_node *n, const char *path, int64_t min, int64_t max,
                   int64_t *out)
{
    int64_t v;
    if (ytree_int(n, &v) < 0 || v < min || v > max) {
        yfield_err(c, n, path, "must be an integer from %lld to %lld", (long long)min,
                   (long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

int yfield_get_double(yfield_ctx *c, const ytree_node *n, const char *path, double min, double max,
                      double *out)
{
    double v;
    if (ytree_double(n, &v) < 0 || !isfinite(v) || v < min || v > max) {
        if (max >= 1e300)
            yfield_err(c, n, path, "must be a number >= %g", min);
        else
            yfield_err(c, n, path, "must be a number from %g to %g", min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int yfield_get_currency(yfield_ctx *c, const ytree_node *n, const char *path, char out[4])
{
    if (!n || n->kind != YT_SCALAR || n->len != 3 || n->str[0] < 'A' || n->str[0] > 'Z' ||
        n->str[1] < 'A' || n->str[1] > 'Z' || n->str[2] < 'A' || n->str[2] > 'Z') {
        yfield_err(c, n, path, "must be a three-letter ISO 4217 code such as CNY");
        return -1;
    }
    memcpy(out, n->str, 4);
    return 0;
}

int yfield_get_bool(yfield_ctx *c, const ytree_node *n, const char *path, int *out)
{
    int v;
    if (ytree_bool(n, &v) < 0) {
        yfield_err(c, n, path, "must be true or false");
        return -1;
    }
    *out = v;
    return 0;
}

int yfield_parse_duration_ms(const char *s, int64_t *out)
{
    if (!s || !*s) return -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0 || s[0] == '+' || s[0] == '-') return -1;
    for (const char *p = s; p < end; p++) /* no hex, inf, exponents: durations are plain */
        if (!((*p >= '0' && *p <= '9') || *p == '.')) return -1;
    double mult;
    if (!*end || !strcmp(end, "s"))
        mult = 1000;
    else if (!strcmp(end, "ms"))
        mult = 1;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
        mult = 60000;
    else if (!strcmp(end, "h"))
        mult = 3600000;
    else
        return -1;
    double ms = v * mult;
    if (ms > 9.0e15) return -1;
    *out = (int64_t)llround(ms);
    return 0;
}

int yfield_get_duration_ms(yfield_ctx *c, const ytree_node *n, const char *path, int64_t min_ms,
                           int64_t max_ms, int64_t *out)
{
    int64_t v;
    if (!n || n->kind != YT_SCALAR || yfield_parse_duration_ms(n->str, &v) < 0) {
        yfield_err(c, n, path, "must be a duration such as 90s, 250ms, 2m or 1h");
        return -1;
    }
    if (v < min_ms || v > max_ms) {
        yfield_err(c, n, path, "must be a duration from %lldms to %lldms", (long long)min_ms,
                   (long long)max_ms);
        return -1;
    }
    *out = v;
    return 0;
}

int yfield_get_enum(yfield_ctx *c, const ytree_node *n, const char *path, const char *const *names,
                    size_t nnames, int *out)
{
    if (n && n->kind == YT_SCALAR && !ytree_is_null(n)) {
        for (size_t i = 0; i < nnames; i++) {
            if (!strcmp(n->str, names[i])) {
                *out = (int)i;
                return 0;
            }
        }
        const char *near = ytree_nearest(n->str, names, nnames);
        if (near) {
            yfield_err(c, n, path, "unknown value '%s' (did you mean '%s'?)", n->str, near);
            return -1;
        }
    }
    char list[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < nnames && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (n && n->kind == YT_SCALAR && !ytree_is_null(n))
        yfield_err(c, n, path, "unknown value '%s' (known: %s)", n->str, list);
    else
        yfield_err(c, n, path, "must be one of: %s", list);
    return -1;
}

void yfield_pathf(char *dst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, YFIELD_PATH_MAX, fmt, ap);
    va_end(ap);
}
