/* ytree: YAML parsed into a position-carrying tree (see ytree.h). */
#include "ytree.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

typedef struct frame {
    ytree_node *node;
    ytree_node *pending_key; /* in a map: key read, value not yet */
} frame;

typedef struct builder {
    diag *d;
    int errors;
    frame stack[YTREE_MAX_DEPTH];
    int depth;
    ytree_node *root;
} builder;

/* Shown keys are cut: a message is for a human, not a dump of the input. */
#define KEY_SHOW 64

static ytree_node *node_new(ytree_kind kind, yaml_mark_t m)
{
    ytree_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    /* libyaml marks are 0-based; every message we print is 1-based. */
    n->line = (int)m.line + 1;
    n->col = (int)m.column + 1;
    return n;
}

void ytree_free(ytree_node *n)
{
    if (!n) return;
    free(n->str);
    for (size_t i = 0; i < n->npairs; i++) {
        ytree_free(n->pairs[i].key);
        ytree_free(n->pairs[i].value);
    }
    free(n->pairs);
    for (size_t i = 0; i < n->nitems; i++)
        ytree_free(n->items[i]);
    free(n->items);
    free(n);
}

static void err(builder *b, int line, int col, const char *fmt, const char *arg)
{
    b->errors++;
    diag_add(b->d, line, col, fmt, arg);
}

/* Capacity is implicit: 4 at first, doubled whenever the count reaches a power of two.
 * The file-size cap bounds the node count. */
static int grow(void **arr, size_t n, size_t elem)
{
    size_t cap;
    if (n == 0)
        cap = 4;
    else if (n >= 4 && (n & (n - 1)) == 0)
        cap = n * 2;
    else
        return 0;
    void *p = realloc(*arr, cap * elem);
    if (!p) return -1;
    *arr = p;
    return 0;
}

static int seq_append(ytree_node *seq, ytree_node *item)
{
    if (grow((void **)&seq->items, seq->nitems, sizeof *seq->items) < 0) return -1;
    seq->items[seq->nitems++] = item;
    return 0;
}

static int map_append(ytree_node *map, ytree_node *key, ytree_node *value)
{
    if (grow((void **)&map->pairs, map->npairs, sizeof *map->pairs) < 0) return -1;
    map->pairs[map->npairs].key = key;
    map->pairs[map->npairs].value = value;
    map->npairs++;
    return 0;
}

/* Hand a finished node to its parent. Returns -1 only on ENOMEM (node freed). */
static int attach(builder *b, ytree_node *n)
{
    if (b->depth == 0) {
        if (b->root) {
            ytree_free(n);
            return 0;
        }
        b->root = n;
        return 0;
    }
    frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == YT_SEQ) {
        if (seq_append(f->node, n) < 0) {
            ytree_free(n);
            return -1;
        }
        return 0;
    }
    if (!f->pending_key) {
        if (n->kind != YT_SCALAR) err(b, n->line, n->col, "%s", "mapping keys must be scalars");
        f->pending_key = n;
        return 0;
    }
    if (map_append(f->node, f->pending_key, n) < 0) {
        ytree_free(n);
        return -1;
    }
    f->pending_key = NULL;
    return 0;
}

static int cmp_pair_ptr(const void *a, const void *b)
{
    const ytree_pair *pa = *(const ytree_pair *const *)a, *pb = *(const ytree_pair *const *)b;
    size_t la = pa->key->len, lb = pb->key->len;
    int c = memcmp(pa->key->str, pb->key->str, la < lb ? la : lb);
    if (c) return c;
    if (la != lb) return la < lb ? -1 : 1;
    /* pairs are one array, so address order is file order: keeps the first first */
    return pa < pb ? -1 : (pa > pb);
}

typedef struct dup {
    const ytree_pair *second, *first;
} dup;

static int cmp_dup(const void *a, const void *b)
{
    const dup *da = a, *db = b;
    return da->second < db->second ? -1 : (da->second > db->second);
}

/* Sort-based so a huge map costs n log n, then report in file order. */
static int check_duplicates(builder *b, const ytree_node *map)
{
    if (map->npairs < 2) return 0;
    const ytree_pair **v = malloc(map->npairs * sizeof *v);
    dup *dups = malloc(map->npairs * sizeof *dups);
    if (!v || !dups) {
        free(v);
        free(dups);
        return -1;
    }
    size_t nv = 0, nd = 0;
    for (size_t i = 0; i < map->npairs; i++)
        if (map->pairs[i].key->kind == YT_SCALAR) v[nv++] = &map->pairs[i];
    qsort(v, nv, sizeof *v, cmp_pair_ptr);
    size_t first = 0;
    for (size_t i = 1; i < nv; i++) {
        const ytree_node *a = v[first]->key, *k = v[i]->key;
        if (a->len == k->len && memcmp(a->str, k->str, k->len) == 0) {
            dups[nd].second = v[i];
            dups[nd].first = v[first];
            nd++;
        } else {
            first = i;
        }
    }
    qsort(dups, nd, sizeof *dups, cmp_dup);
    for (size_t i = 0; i < nd; i++) {
        const ytree_node *k = dups[i].second->key, *f = dups[i].first->key;
        b->errors++;
        diag_add(b->d, k->line, k->col, "duplicate key '%.*s' (first defined at %d:%d)",
                 (int)(k->len > KEY_SHOW ? KEY_SHOW : k->len), k->str, f->line, f->col);
    }
    free(v);
    free(dups);
    return 0;
}

static void syntax_error(builder *b, const yaml_parser_t *p)
{
    const char *problem = p->problem ? p->problem : "invalid YAML";
    int line = 0, col = 0;
    if (p->error == YAML_READER_ERROR) {
        b->errors++;
        diag_add(b->d, 0, 0, "%s (at byte offset %zu)", problem, p->problem_offset);
        return;
    }
    line = (int)p->problem_mark.line + 1;
    col = (int)p->problem_mark.column + 1;
    b->errors++;
    if (p->context)
        diag_add(b->d, line, col, "%s %s", p->context, problem);
    else
        diag_add(b->d, line, col, "%s", problem);
}

static void free_stack(builder *b)
{
    while (b->depth > 0) {
        frame *f = &b->stack[--b->depth];
        ytree_free(f->pending_key);
        ytree_free(f->node);
    }
}

int ytree_parse(const char *buf, size_t len, diag *d, ytree_node **out)
{
    *out = NULL;
    if (len > YTREE_MAX_BYTES) {
        diag_add(d, 0, 0, "file is larger than %u bytes", (unsigned)YTREE_MAX_BYTES);
        return -1;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        diag_add(d, 0, 0, "out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)(buf ? buf : ""), len);

    builder b = {.d = d};
    int docs = 0, done = 0, fatal = 0;
    while (!done && !fatal) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            syntax_error(&b, &p);
            fatal = 1;
            break;
        }
        yaml_mark_t m = ev.start_mark;
        int line = (int)m.line + 1, col = (int)m.column + 1;
        ytree_node *n = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                err(&b, line, col, "%s", "only one YAML document is allowed per file");
                fatal = 1;
            }
            break;
        case YAML_ALIAS_EVENT:
            err(&b, line, col, "%s", "aliases (*name) are not allowed");
            /* a null in its place keeps the structure so later errors still show */
            n = node_new(YT_SCALAR, m);
            if (!n || !(n->str = calloc(1, 1))) {
                ytree_free(n);
                fatal = -1;
                break;
            }
            n->plain = 1;
            if (attach(&b, n) < 0) fatal = -1;
            break;
        case YAML_SCALAR_EVENT:
            if (ev.data.scalar.anchor) err(&b, line, col, "%s", "anchors (&name) are not allowed");
            if (ev.data.scalar.tag) err(&b, line, col, "%s", "tags (!name) are not allowed");
            n = node_new(YT_SCALAR, m);
            if (!n || !(n->str = malloc(ev.data.scalar.length + 1))) {
                ytree_free(n);
                fatal = -1;
                break;
            }
            memcpy(n->str, ev.data.scalar.value, ev.data.scalar.length);
            n->str[ev.data.scalar.length] = '\0';
            n->len = ev.data.scalar.length;
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (attach(&b, n) < 0) fatal = -1;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            int is_map = ev.type == YAML_MAPPING_START_EVENT;
            const yaml_char_t *anchor =
                is_map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor;
            const yaml_char_t *tag =
                is_map ? ev.data.mapping_start.tag : ev.data.sequence_start.tag;
            if (anchor) err(&b, line, col, "%s", "anchors (&name) are not allowed");
            if (tag) err(&b, line, col, "%s", "tags (!name) are not allowed");
            if (b.depth >= YTREE_MAX_DEPTH) {
                b.errors++;
                diag_add(d, line, col, "nesting deeper than %d levels", YTREE_MAX_DEPTH);
                fatal = 1;
                break;
            }
            n = node_new(is_map ? YT_MAP : YT_SEQ, m);
            if (!n) {
                fatal = -1;
                break;
            }
            b.stack[b.depth].node = n;
            b.stack[b.depth].pending_key = NULL;
            b.depth++;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            if (b.depth == 0) break;
            frame f = b.stack[--b.depth];
            ytree_free(f.pending_key); /* cannot happen with a well-formed stream */
            if (f.node->kind == YT_MAP && check_duplicates(&b, f.node) < 0) {
                ytree_free(f.node);
                fatal = -1;
                break;
            }
            if (attach(&b, f.node) < 0) fatal = -1;
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (fatal < 0) {
        b.errors++;
        diag_add(d, 0, 0, "out of memory");
    }
    free_stack(&b);
    if (b.errors) {
        ytree_free(b.root);
        return -1;
    }
    if (!b.root) {
        /* an empty file is an empty (null) document: validators say what they expected */
        yaml_mark_t m0 = {0, 0, 0};
        b.root = node_new(YT_SCALAR, m0);
        if (!b.root || !(b.root->str = calloc(1, 1))) {
            ytree_free(b.root);
            diag_add(d, 0, 0, "out of memory");
            return -1;
        }
        b.root->plain = 1;
    }
    *out = b.root;
    return 0;
}

int ytree_parse_file(const char *path, diag *d, ytree_node **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_add(d, 0, 0, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    /* read one byte past the cap so a file that grew is still refused */
    size_t cap = (size_t)YTREE_MAX_BYTES + 1;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        diag_add(d, 0, 0, "out of memory");
        return -1;
    }
    size_t n = fread(buf, 1, cap, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        diag_add(d, 0, 0, "cannot read %s", path);
        return -1;
    }
    if (n > YTREE_MAX_BYTES) {
        free(buf);
        diag_add(d, 0, 0, "file is larger than %u bytes", (unsigned)YTREE_MAX_BYTES);
        return -1;
    }
    int rc = ytree_parse(buf, n, d, out);
    free(buf);
    return rc;
}

const ytree_node *ytree_get(const ytree_node *map, const char *key)
{
    if (!map || map->kind != YT_MAP || !key) return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < map->npairs; i++) {
        const ytree_node *k = map->pairs[i].key;
        if (k->kind == YT_SCALAR && k->len == kl && memcmp(k->str, key, kl) == 0)
            return map->pairs[i].value;
    }
    return NULL;
}

int ytree_int(const ytree_node *n, int64_t *out)
{
    if (!n || n->kind != YT_SCALAR || !n->plain || n->len == 0) return -1;
    const char *s = n->str;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i >= n->len) return -1;
    /* accumulate negatively so INT64_MIN is representable */
    int64_t v = 0;
    for (; i < n->len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        int dgt = s[i] - '0';
        if (v < (INT64_MIN + dgt) / 10) return -1;
        v = v * 10 - dgt;
    }
    if (!neg) {
        if (v == INT64_MIN) return -1;
        v = -v;
    }
    *out = v;
    return 0;
}

int ytree_double(const ytree_node *n, double *out)
{
    if (!n || n->kind != YT_SCALAR || !n->plain || n->len == 0 || n->len > 64) return -1;
    /* strtod also takes hex, inf and nan: check the plain decimal shape first */
    const char *s = n->str;
    size_t i = 0, digits = 0;
    if (s[i] == '+' || s[i] == '-') i++;
    while (i < n->len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n->len && s[i] == '.') {
        i++;
        while (i < n->len && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (!digits) return -1;
    if (i < n->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n->len && (s[i] == '+' || s[i] == '-')) i++;
        size_t ed = 0;
        while (i < n->len && s[i] >= '0' && s[i] <= '9')
            i++, ed++;
        if (!ed) return -1;
    }
    if (i != n->len) return -1;
    errno = 0;
    double v = strtod(s, NULL);
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL)) return -1;
    if (!isfinite(v)) return -1;
    *out = v;
    return 0;
}

int ytree_bool(const ytree_node *n, int *out)
{
    if (!n || n->kind != YT_SCALAR || !n->plain) return -1;
    if (!strcmp(n->str, "true") || !strcmp(n->str, "True") || !strcmp(n->str, "TRUE")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(n->str, "false") || !strcmp(n->str, "False") || !strcmp(n->str, "FALSE")) {
        *out = 0;
        return 0;
    }
    return -1;
}

#define NEAREST_MAX 128

static size_t levenshtein(const char *a, size_t la, const char *b, size_t lb)
{
    size_t prev[NEAREST_MAX + 1], cur[NEAREST_MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            size_t m = sub < del ? sub : del;
            cur[j] = m < ins ? m : ins;
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

const char *ytree_nearest(const char *key, const char *const *known, size_t nknown)
{
    if (!key || !known) return NULL;
    size_t lk = strlen(key);
    if (lk > NEAREST_MAX) return NULL;
    size_t limit = lk / 3 > 2 ? lk / 3 : 2;
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    for (size_t i = 0; i < nknown; i++) {
        if (!known[i]) continue;
        size_t l = strlen(known[i]);
        if (l > NEAREST_MAX) continue;
        size_t dist = levenshtein(key, lk, known[i], l);
        if (dist < bestd) {
            bestd = dist;
            best = known[i];
        }
    }
    return bestd <= limit ? best : NULL;
}

/* "thresold" is far from "confidence_threshold" as a whole but close to its last
 * words: compare against every '_'-separated suffix too. */
static const char *nearest_segment(const char *key, const char *const *known, size_t nknown)
{
    size_t lk = strlen(key);
    if (lk < 4 || lk > NEAREST_MAX) return NULL;
    size_t limit = lk / 3 > 2 ? lk / 3 : 2;
    for (size_t i = 0; i < nknown; i++) {
        for (const char *s = strchr(known[i], '_'); s; s = strchr(s + 1, '_')) {
            size_t l = strlen(s + 1);
            if (l <= NEAREST_MAX && levenshtein(key, lk, s + 1, l) <= limit) return known[i];
        }
    }
    return NULL;
}

size_t ytree_check_keys(const ytree_node *map, const char *const *known, size_t nknown, diag *d)
{
    if (!map || map->kind != YT_MAP) return 0;
    size_t bad = 0;
    for (size_t i = 0; i < map->npairs; i++) {
        const ytree_node *k = map->pairs[i].key;
        if (k->kind != YT_SCALAR) continue;
        int found = 0;
        for (size_t j = 0; j < nknown && !found; j++)
            found = strlen(known[j]) == k->len && memcmp(known[j], k->str, k->len) == 0;
        if (found) continue;
        bad++;
        const char *near = k->len == strlen(k->str) ? ytree_nearest(k->str, known, nknown) : NULL;
        if (!near && k->len == strlen(k->str)) near = nearest_segment(k->str, known, nknown);
        int show = (int)(k->len > KEY_SHOW ? KEY_SHOW : k->len);
        if (near)
            diag_add(d, k->line, k->col, "unknown key '%.*s' (did you mean '%s'?)", show, k->str,
                     near);
        else
            diag_add(d, k->line, k->col, "unknown key '%.*s'", show, k->str);
    }
    return bad;
}

int ytree_is_null(const ytree_node *n)
{
    if (!n || n->kind != YT_SCALAR || !n->plain) return 0;
    return n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
           !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

const char *ytree_kind_name(const ytree_node *n)
{
    if (!n) return "nothing";
    switch (n->kind) {
    case YT_MAP:
        return "a mapping";
    case YT_SEQ:
        return "a list";
    default:
        return ytree_is_null(n) ? "null" : "a scalar";
    }
}

/* YAML 1.2 core schema integers beyond decimal: 0x1F and 0o17. */
static int core_radix_int(const ytree_node *n, double *out)
{
    const char *s = n->str;
    int base = 0;
    if (n->len > 2 && s[0] == '0' && s[1] == 'x') base = 16;
    if (n->len > 2 && s[0] == '0' && s[1] == 'o') base = 8;
    if (!base) return -1;
    for (size_t i = 2; i < n->len; i++)
        if (!(base == 16 ? isxdigit((unsigned char)s[i]) : (s[i] >= '0' && s[i] <= '7'))) return -1;
    errno = 0;
    unsigned long long v = strtoull(s + 2, NULL, base);
    if (errno) return -1;
    *out = (double)v;
    return 0;
}

static cJSON *to_json(const ytree_node *n, int depth)
{
    cJSON *j = NULL;
    if (depth > YTREE_MAX_DEPTH + 1) return NULL;
    if (n->kind == YT_MAP || n->kind == YT_SEQ) {
        j = n->kind == YT_MAP ? cJSON_CreateObject() : cJSON_CreateArray();
        size_t count = n->kind == YT_MAP ? n->npairs : n->nitems;
        for (size_t i = 0; j && i < count; i++) {
            const ytree_node *v = n->kind == YT_MAP ? n->pairs[i].value : n->items[i];
            cJSON *child = to_json(v, depth + 1);
            int ok =
                child && (n->kind == YT_MAP ? cJSON_AddItemToObject(j, n->pairs[i].key->str, child)
                                            : cJSON_AddItemToArray(j, child));
            if (!ok) {
                cJSON_Delete(child);
                cJSON_Delete(j);
                return NULL;
            }
        }
        return j;
    }
    int64_t iv;
    double dv;
    int bv;
    if (ytree_is_null(n))
        j = cJSON_CreateNull();
    else if (ytree_int(n, &iv) == 0)
        j = cJSON_CreateNumber((double)iv);
    else if (n->plain && core_radix_int(n, &dv) == 0)
        j = cJSON_CreateNumber(dv);
    else if (ytree_double(n, &dv) == 0)
        j = cJSON_CreateNumber(dv);
    else if (ytree_bool(n, &bv) == 0)
        j = cJSON_CreateBool(bv);
    else
        j = cJSON_CreateString(n->str);
    return j;
}

cJSON *ytree_to_json(const ytree_node *n)
{
    return n ? to_json(n, 0) : NULL;
}
