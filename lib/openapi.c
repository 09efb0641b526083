#include "openapi.h"

#include "json.h"
#include "schemalint.h"
#include "ytree.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OPENAPI_MAX_REF_HOPS 8 /* a response $ref chain longer than this is refused */
#define OPENAPI_MAX_SEGMENTS 32

struct openapi {
    cJSON *doc;
};

/* ---- YAML to JSON ------------------------------------------------------- */

/* The YAML node a schema path ("#/components/schemas/Money/type") names, for a line:col. */
static const ytree_node *yaml_at(const ytree_node *root, const char *pointer)
{
    const ytree_node *cur = root;
    const char *p = pointer[0] == '#' ? pointer + 1 : pointer;
    while (cur && *p == '/') {
        char tok[256];
        size_t t = 0;
        for (p++; *p && *p != '/' && t + 1 < sizeof tok; p++) {
            if (*p == '~' && (p[1] == '0' || p[1] == '1')) {
                tok[t++] = p[1] == '0' ? '~' : '/';
                p++;
            } else {
                tok[t++] = *p;
            }
        }
        tok[t] = '\0';
        const ytree_node *next = NULL;
        if (cur->kind == YT_MAP) {
            next = ytree_get(cur, tok);
        } else if (cur->kind == YT_SEQ) {
            char *end;
            unsigned long i = strtoul(tok, &end, 10);
            if (!*end && i < cur->nitems) next = cur->items[i];
        }
        if (!next) break; /* the deepest node found is still a useful position */
        cur = next;
    }
    return cur;
}

static void lint_schema(const cJSON *doc, const cJSON *schema, const ytree_node *tree, diag *d)
{
    jsonschema_error e;
    if (schemalint_check(doc, schema, &e) == 0) return;
    const ytree_node *at = yaml_at(tree, e.schema_path);
    diag_add(d, at ? at->line : 0, at ? at->col : 0, "%s", e.message);
}

/* Every schema a response can be validated against must be one the validator fully understands. */
static void lint_responses(const cJSON *doc, const ytree_node *tree, diag *d)
{
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(doc, "paths");
    const cJSON *item, *op, *resp, *media;
    cJSON_ArrayForEach(item, paths)
    {
        cJSON_ArrayForEach(op, item)
        {
            cJSON_ArrayForEach(resp, cJSON_GetObjectItemCaseSensitive(op, "responses"))
            {
                cJSON_ArrayForEach(media, cJSON_GetObjectItemCaseSensitive(resp, "content"))
                {
                    const cJSON *s = cJSON_GetObjectItemCaseSensitive(media, "schema");
                    if (s) lint_schema(doc, s, tree, d);
                }
            }
        }
    }
    const cJSON *comp = cJSON_GetObjectItemCaseSensitive(doc, "components");
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(comp, "schemas"))
        lint_schema(doc, s, tree, d);
}

static int from_tree(ytree_node *tree, diag *d, openapi **out)
{
    cJSON *doc = ytree_to_json(tree);
    if (!doc) {
        diag_add(d, 0, 0, "out of memory converting the document to JSON");
        return OPENAPI_ELOAD;
    }
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "paths")))
        diag_add(d, tree->line, tree->col, "not an OpenAPI document: no 'paths' mapping");
    else
        lint_responses(doc, tree, d);
    openapi *o = diag_count(d) ? NULL : calloc(1, sizeof *o);
    if (!o) {
        if (!diag_count(d)) diag_add(d, 0, 0, "out of memory");
        cJSON_Delete(doc);
        return OPENAPI_ELOAD;
    }
    o->doc = doc;
    *out = o;
    return OPENAPI_OK;
}

int openapi_load(const char *path, diag *d, openapi **out)
{
    ytree_node *tree = NULL;
    *out = NULL;
    if (ytree_parse_file(path, d, &tree) != 0) return OPENAPI_ELOAD;
    int rc = from_tree(tree, d, out);
    ytree_free(tree);
    return rc;
}

int openapi_parse(const char *buf, size_t len, diag *d, openapi **out)
{
    ytree_node *tree = NULL;
    *out = NULL;
    if (ytree_parse(buf, len, d, &tree) != 0) return OPENAPI_ELOAD;
    int rc = from_tree(tree, d, out);
    ytree_free(tree);
    return rc;
}

static void valid_forget(const openapi *o);

void openapi_free(openapi *o)
{
    if (!o) return;
    valid_forget(o); /* a later document at the same address is another */
    cJSON_Delete(o->doc);
    free(o);
}

const cJSON *openapi_doc(const openapi *o)
{
    return o ? o->doc : NULL;
}

/* ---- lookups -------------------------------------------------------------- */

/* Literal segments matched when tmpl serves path, or -1. "{name}" takes one non-empty segment. */
static int template_score(const char *tmpl, const char *path, size_t plen)
{
    const char *t = tmpl, *p = path, *pend = path + plen;
    int score = 0;
    if (*t != '/' || p >= pend || *p != '/') return -1;
    while (*t == '/' && p < pend && *p == '/') {
        t++, p++;
        const char *te = strchr(t, '/');
        const char *pe = memchr(p, '/', (size_t)(pend - p));
        if (!te) te = t + strlen(t);
        if (!pe) pe = pend;
        size_t tl = (size_t)(te - t), pl = (size_t)(pe - p);
        if (tl >= 2 && t[0] == '{' && t[tl - 1] == '}') {
            if (pl == 0) return -1;
        } else {
            if (tl != pl || memcmp(t, p, tl) != 0) return -1;
            score++;
        }
        t = te, p = pe;
    }
    return *t == '\0' && p == pend ? score : -1;
}

int openapi_match_path(const openapi *o, const char *path, const char **tmpl)
{
    size_t plen = strcspn(path, "?#");
    int best = -1;
    const cJSON *item;
    *tmpl = NULL;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(o->doc, "paths"))
    {
        int score = template_score(item->string, path, plen);
        if (score > best) best = score, *tmpl = item->string;
    }
    return *tmpl ? 0 : OPENAPI_ENOPATH;
}

/* Follow a chain of local $refs (responses may be "#/components/responses/X"). */
static const cJSON *deref(const cJSON *doc, const cJSON *node)
{
    for (int hops = 0; node && hops <= OPENAPI_MAX_REF_HOPS; hops++) {
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(node, "$ref");
        if (!cJSON_IsString(ref)) return node;
        if (jsonschema_resolve(doc, ref->valuestring, &node) != 0) return NULL;
    }
    return NULL;
}

static int operation(const openapi *o, const char *method, const char *path, const cJSON **op)
{
    const char *tmpl;
    char m[16];
    size_t i = 0;
    for (; method[i] && i + 1 < sizeof m; i++)
        m[i] = (char)tolower((unsigned char)method[i]);
    m[i] = '\0';
    if (openapi_match_path(o, path, &tmpl) != 0) return OPENAPI_ENOPATH;
    const cJSON *item =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o->doc, "paths"), tmpl);
    *op = cJSON_GetObjectItemCaseSensitive(deref(o->doc, item), m);
    return *op ? 0 : OPENAPI_ENOMETHOD;
}

/* The responses entry for status: exact code, then "5XX", then "default". */
static const cJSON *status_entry(const cJSON *responses, int status)
{
    char key[16];
    snprintf(key, sizeof key, "%d", status);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(responses, key);
    if (!r && status >= 100 && status <= 599) {
        snprintf(key, sizeof key, "%dXX", status / 100);
        r = cJSON_GetObjectItemCaseSensitive(responses, key);
        if (!r) {
            snprintf(key, sizeof key, "%dxx", status / 100);
            r = cJSON_GetObjectItemCaseSensitive(responses, key);
        }
    }
    return r ? r : cJSON_GetObjectItemCaseSensitive(responses, "default");
}

int openapi_status_documented(const openapi *o, const char *method, const char *path, int status)
{
    const cJSON *op;
    int rc = operation(o, method, path, &op);
    if (rc) return rc;
    return status_entry(cJSON_GetObjectItemCaseSensitive(op, "responses"), status) != NULL;
}

int openapi_response(const openapi *o, const char *method, const char *path, int status,
                     const cJSON **response)
{
    const cJSON *op;
    *response = NULL;
    int rc = operation(o, method, path, &op);
    if (rc) return rc;
    const cJSON *r = status_entry(cJSON_GetObjectItemCaseSensitive(op, "responses"), status);
    if (!r) return OPENAPI_ENOSTATUS;
    *response = deref(o->doc, r);
    return *response ? 0 : OPENAPI_ESCHEMA;
}

/* ---- validation ------------------------------------------------------------ */

typedef struct sink {
    jsonschema_error *errs;
    size_t cap, n;
} sink;

__attribute__((format(printf, 3, 4))) static void note(sink *k, const char *kw, const char *fmt,
                                                       ...)
{
    if (k->n >= k->cap) return;
    jsonschema_error *e = &k->errs[k->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->keyword, sizeof e->keyword, "%s", kw);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* Media type without parameters, lower-cased: "application/json; charset=utf-8" ->
 * "application/json". */
static void base_type(const char *ct, char *out, size_t cap)
{
    size_t i = 0;
    while (*ct == ' ')
        ct++;
    for (; ct[i] && ct[i] != ';' && ct[i] != ' ' && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)ct[i]);
    out[i] = '\0';
}

/* The content entry for a Content-Type: same base type, then a type wildcard, then any. */
static const cJSON *pick_media(const cJSON *content, const char *ct)
{
    char want[128], have[128], wild[140];
    base_type(ct, want, sizeof want);
    const char *slash = strchr(want, '/');
    snprintf(wild, sizeof wild, "%.*s/*", slash ? (int)(slash - want) : 0, want);
    const cJSON *m, *found = NULL;
    int rank = 0;
    cJSON_ArrayForEach(m, content)
    {
        base_type(m->string, have, sizeof have);
        int r = !strcmp(have, want) ? 3 : !strcmp(have, wild) ? 2 : !strcmp(have, "*/*") ? 1 : 0;
        if (r > rank) rank = r, found = m;
    }
    return found;
}

static int is_json_type(const char *base)
{
    size_t l = strlen(base);
    return !strcmp(base, "application/json") || (l > 5 && !strcmp(base + l - 5, "+json"));
}

/* Validate one JSON text; label prefixes messages when the body holds several ("event 2: "). */
static int validate_json(const openapi *o, const cJSON *schema, const char *text, size_t len,
                         const char *label, sink *k)
{
    cJSON *inst = NULL;
    size_t off = 0;
    int rc = json_parse(text, len, JSON_MAX_DEPTH, &inst, &off);
    if (rc) {
        note(k, "json", "%s%s at byte %zu", label,
             rc == JSON_EDEPTH ? "JSON nested too deeply"
             : len             ? "not valid JSON"
                               : "empty body, expected JSON",
             off);
        return 1;
    }
    size_t n = 0, first = k->n;
    rc = jsonschema_validate(o->doc, schema, inst, k->errs + k->n, k->cap - k->n, &n);
    cJSON_Delete(inst);
    k->n += n;
    for (size_t i = first; *label && i < k->n; i++) {
        char msg[JSONSCHEMA_MSG_MAX];
        snprintf(msg, sizeof msg, "%s%s", label, k->errs[i].message);
        memcpy(k->errs[i].message, msg, sizeof msg);
    }
    return rc < 0 ? OPENAPI_ESCHEMA : rc;
}

/* Each record of a stream body: SSE events ("data:" lines, blank-line separated, joined with
 * '\n', "[DONE]" ends the stream) or NDJSON lines. */
static int validate_records(const openapi *o, const cJSON *schema, const char *body, size_t len,
                            int sse, sink *k)
{
    char *data = malloc(len + 1); /* an event's data is never longer than the body */
    if (!data) {
        note(k, "body", "out of memory");
        return OPENAPI_ESCHEMA;
    }
    size_t dl = 0, record = 0, pos = 0;
    int invalid = 0, have = 0;
    while (pos <= len) {
        const char *line = body + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + 1;
        if (ll && line[ll - 1] == '\r') ll--;
        int end_of_record = sse ? ll == 0 : ll > 0;
        if (sse && ll >= 5 && !memcmp(line, "data:", 5)) {
            size_t skip = ll > 5 && line[5] == ' ' ? 6 : 5;
            if (have) data[dl++] = '\n';
            memcpy(data + dl, line + skip, ll - skip);
            dl += ll - skip;
            have = 1;
        } else if (!sse && ll) {
            memcpy(data, line, ll);
            dl = ll;
            have = 1;
        }
        if ((end_of_record || pos > len) && have) {
            char label[40];
            snprintf(label, sizeof label, "%s %zu: ", sse ? "event" : "line", record++);
            if (!(sse && dl == 6 && !memcmp(data, "[DONE]", 6))) {
                int rc = validate_json(o, schema, data, dl, label, k);
                if (rc < 0) {
                    free(data);
                    return rc;
                }
                invalid |= rc;
            }
            dl = 0;
            have = 0;
        }
    }
    free(data);
    return invalid;
}

/* Exchanges found valid, shared by every caller: a replay against a mock that
 * answers the same bytes (or a load run) validates each distinct answer once.
 * An entry holds every part of the exchange, compared byte for byte, so a hit
 * is the same input; only valid outcomes are kept, so failures report afresh.
 *
 * There is no hash in front of the comparison: a hit has to compare every
 * byte anyway, so hashing the body first only doubled the work, and on a miss
 * the lengths reject most entries and memcmp stops at the first difference,
 * all far cheaper than the validation that follows. */
#define VALID_CACHE 16
/* Bounds the cache's memory; longer exchanges are validated every time. */
#define VALID_CACHE_KEY_MAX (8u << 10)

typedef struct valid_entry {
    const openapi *o;
    int status;
    size_t mlen, plen, clen, blen;
    char *key; /* method, path, content type and body, back to back; NULL when free */
} valid_entry;

static valid_entry valid_cache[VALID_CACHE]; /* under valid_lock */
static unsigned valid_next;
static pthread_mutex_t valid_lock = PTHREAD_MUTEX_INITIALIZER;

/* Each part is compared with its length, so parts need no separator. */
static int valid_match(const valid_entry *e, const openapi *o, const char *method, size_t mlen,
                       const char *path, size_t plen, int status, const char *ct, size_t clen,
                       const char *body, size_t blen)
{
    const char *k = e->key;
    return k && e->o == o && e->status == status && e->blen == blen && e->mlen == mlen &&
           e->plen == plen && e->clen == clen && memcmp(k, method, mlen) == 0 &&
           memcmp(k + mlen, path, plen) == 0 && memcmp(k + mlen + plen, ct, clen) == 0 &&
           memcmp(k + mlen + plen + clen, body, blen) == 0;
}

static int validate_uncached(const openapi *o, const char *method, const char *path, int status,
                             const char *content_type, const char *body, size_t len,
                             jsonschema_error *errs, size_t cap, size_t *n);

static void valid_forget(const openapi *o)
{
    pthread_mutex_lock(&valid_lock);
    for (unsigned i = 0; i < VALID_CACHE; i++)
        if (valid_cache[i].o == o) {
            free(valid_cache[i].key);
            memset(&valid_cache[i], 0, sizeof valid_cache[i]);
        }
    pthread_mutex_unlock(&valid_lock);
}

int openapi_validate_response(const openapi *o, const char *method, const char *path, int status,
                              const char *content_type, const char *body, size_t len,
                              jsonschema_error *errs, size_t cap, size_t *n)
{
    if (!body) body = "", len = 0;
    const char *ct = content_type ? content_type : "";
    size_t mlen = strlen(method), plen = strlen(path), clen = strlen(ct);
    size_t head = mlen + plen + clen;
    int cacheable = len <= VALID_CACHE_KEY_MAX && head <= VALID_CACHE_KEY_MAX - len;
    if (cacheable) {
        int hit = 0;
        pthread_mutex_lock(&valid_lock);
        for (unsigned i = 0; i < VALID_CACHE && !hit; i++)
            hit = valid_match(&valid_cache[i], o, method, mlen, path, plen, status, ct, clen, body,
                              len);
        pthread_mutex_unlock(&valid_lock);
        if (hit) {
            if (n) *n = 0;
            return 0;
        }
    }
    int rc = validate_uncached(o, method, path, status, content_type, body, len, errs, cap, n);
    if (rc == 0 && cacheable && (!n || *n == 0)) {
        /* +1: malloc(0) may return NULL, which would read as a free entry */
        char *copy = malloc(head + len + 1);
        if (copy) {
            memcpy(copy, method, mlen);
            memcpy(copy + mlen, path, plen);
            memcpy(copy + mlen + plen, ct, clen);
            memcpy(copy + head, body, len);
            pthread_mutex_lock(&valid_lock);
            valid_entry *e = &valid_cache[valid_next++ % VALID_CACHE];
            char *old = e->key;
            *e = (valid_entry){o, status, mlen, plen, clen, len, copy};
            pthread_mutex_unlock(&valid_lock);
            free(old);
        }
    }
    return rc;
}

static int validate_uncached(const openapi *o, const char *method, const char *path, int status,
                             const char *content_type, const char *body, size_t len,
                             jsonschema_error *errs, size_t cap, size_t *n)
{
    sink k = {errs, errs ? cap : 0, 0};
    const cJSON *resp;
    int rc = openapi_response(o, method, path, status, &resp);
    if (rc) {
        note(&k, rc == OPENAPI_ENOSTATUS ? "status" : "path", "%s %s %d is not documented%s",
             method, path, status,
             rc == OPENAPI_ENOPATH     ? " (no path matches)"
             : rc == OPENAPI_ENOMETHOD ? " (method not documented for this path)"
             : rc == OPENAPI_ESCHEMA   ? " (its response $ref does not resolve)"
                                       : "");
    } else {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(resp, "content");
        const char *ct = content_type && *content_type ? content_type : "application/json";
        const cJSON *media = content && content->child ? pick_media(content, ct) : NULL;
        char base[128];
        base_type(media ? media->string : ct, base, sizeof base);
        const cJSON *schema = cJSON_GetObjectItemCaseSensitive(media, "schema");
        const cJSON *sse = cJSON_GetObjectItemCaseSensitive(schema, "x-sse-data-schema");
        const cJSON *nd = cJSON_GetObjectItemCaseSensitive(schema, "x-ndjson-item-schema");
        if (!content || !content->child) {
            rc = len ? 1 : 0;
            if (rc)
                note(&k, "content", "%zu-byte body, but %s %s %d documents no body", len, method,
                     path, status);
        } else if (!media) {
            rc = 1;
            note(&k, "content", "Content-Type %s is not documented for %s %s %d", ct, method, path,
                 status);
        } else if (!schema) {
            rc = 0;
        } else if (is_json_type(base)) {
            rc = validate_json(o, schema, body, len, "", &k);
        } else if (sse && !strcmp(base, "text/event-stream")) {
            rc = validate_records(o, sse, body, len, 1, &k);
        } else if (nd && !strcmp(base, "application/x-ndjson")) {
            rc = validate_records(o, nd, body, len, 0, &k);
        } else {
            /* a text body is a string instance: the schema says "type: string" and maybe a pattern
             */
            char *copy = malloc(len + 1);
            cJSON *s = NULL;
            if (copy) {
                if (len) memcpy(copy, body, len);
                copy[len] = '\0';
                s = cJSON_CreateString(copy);
            }
            if (s) {
                size_t got = 0;
                rc = jsonschema_validate(o->doc, schema, s, k.errs, k.cap, &got);
                k.n = got;
                if (rc < 0) rc = OPENAPI_ESCHEMA;
            } else {
                note(&k, "body", "out of memory");
                rc = OPENAPI_ESCHEMA;
            }
            free(copy);
            cJSON_Delete(s);
        }
    }
    if (n) *n = k.n;
    return rc;
}
