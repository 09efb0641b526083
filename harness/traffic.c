#include "traffic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "jarena.h"
#include "json.h"

struct traffic {
    FILE *f;
    int owns;
    char name[512];
    long line;
    char *buf; /* TRAFFIC_LINE_MAX + 1, allocated once */
    /* read-ahead: lines are found with memchr in 64 KB reads, not a getc per byte */
    char *rd;
    size_t rpos, rlen;
    int rerr, reof;
    /* each line's tree, dropped as soon as the record is taken out of it */
    jarena arena;
};

#define TRAFFIC_READ_CHUNK 65536

/* The next byte of the file, or EOF (at the end or on a read error: see t->rerr). */
static int next_byte(traffic *t)
{
    if (t->rpos == t->rlen) {
        if (t->reof) return EOF;
        /* read, not fread: from a pipe, what has arrived is a line's worth, without waiting
         * for 64 KB */
        ssize_t got = read(fileno(t->f), t->rd, TRAFFIC_READ_CHUNK);
        t->rpos = 0;
        t->rlen = got > 0 ? (size_t)got : 0;
        if (got <= 0) {
            t->reof = 1;
            t->rerr = got < 0;
            return EOF;
        }
    }
    return (unsigned char)t->rd[t->rpos++];
}

int traffic_open(const char *path, traffic **out, char *err, size_t errcap)
{
    *out = NULL;
    traffic *t = calloc(1, sizeof *t);
    if (!t || !(t->buf = malloc(TRAFFIC_LINE_MAX + 1)) || !(t->rd = malloc(TRAFFIC_READ_CHUNK))) {
        if (t) free(t->buf);
        free(t);
        snprintf(err, errcap, "%s: out of memory", path);
        return -1;
    }
    snprintf(t->name, sizeof t->name, "%s", path);
    if (strcmp(path, "-") == 0) {
        t->f = stdin;
    } else {
        t->f = fopen(path, "rb");
        t->owns = 1;
        if (!t->f) {
            snprintf(err, errcap, "%s: cannot open: %s", path, strerror(errno));
            free(t->buf);
            free(t->rd);
            free(t);
            return -1;
        }
    }
    *out = t;
    return 0;
}

void traffic_close(traffic *t)
{
    if (!t) return;
    if (t->owns && t->f) fclose(t->f);
    jarena_free(&t->arena);
    free(t->buf);
    free(t->rd);
    free(t);
}

long traffic_lines(const traffic *t)
{
    return t->line;
}

void traffic_record_clear(traffic_record *rec)
{
    if (!rec) return;
    free(rec->body);
    cJSON_Delete(rec->answers);
    cJSON_Delete(rec->truth);
    cJSON_Delete(rec->expect);
    /* only the first byte of each string is read past here: no need to rewrite 1.4 KB */
    rec->id[0] = rec->merchant[0] = rec->endpoint[0] = rec->method[0] = '\0';
    rec->path[0] = rec->serial[0] = '\0';
    rec->line = 0;
    rec->at_ms = 0;
    rec->body = NULL;
    rec->body_len = 0;
    rec->answers = rec->truth = rec->expect = NULL;
}

void traffic_record_move(traffic_record *dst, traffic_record *src)
{
    *dst = *src;
    src->body = NULL;
    src->answers = src->truth = src->expect = NULL;
    traffic_record_clear(src);
}

static int bad(char *err, size_t cap, const char *name, long line, const char *msg)
{
    snprintf(err, cap, "%s:%ld: %s", name, line, msg);
    return TRAFFIC_BAD;
}

/* Copies a string member into a fixed field; "" when absent. -1 if present but
 * not a string or too long. */
static int copy_str(const cJSON *obj, const char *key, char *dst, size_t cap, int required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    dst[0] = '\0';
    if (!v || cJSON_IsNull(v)) return required ? -1 : 0;
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) return -1;
    memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

/* The endpoint a path belongs to, when the record does not say. */
static const char *endpoint_of(const char *path)
{
    if (strncmp(path, "/v3/ai/order-routing/clarifications/", 36) == 0)
        return "order_routing_clarification";
    if (strcmp(path, "/v3/ai/order-routing") == 0) return "order_routing";
    if (strncmp(path, "/v3/ai/fraud-score/batches", 26) == 0) return "fraud_score_batch";
    if (strcmp(path, "/v3/ai/fraud-score") == 0) return "fraud_score";
    if (strcmp(path, "/v1/chat/completions") == 0) return "chat_completions";
    if (strcmp(path, "/v1/models") == 0) return "models";
    if (strcmp(path, "/v3/oauth2/token") == 0) return "token";
    return "other";
}

/* Frees v, a tree detached from a line's root parsed as how says (0: json_parse). */
static void drop(cJSON *v, int how)
{
    if (how != JARENA_IN_ARENA) cJSON_Delete(v);
}

/* traffic_parse_line, with the line's tree in a when a is not NULL. */
static int parse_record(const char *name, long line, const char *text, size_t len,
                        traffic_record *rec, char *err, size_t errcap, jarena *a)
{
    cJSON *root = NULL;
    size_t off = 0;
    char msg[256];
    int rc = TRAFFIC_BAD, how = 0;

    traffic_record_clear(rec);
    rec->line = line;
    int jr = a ? jarena_parse(a, text, len, JSON_MAX_DEPTH, &root, &off)
               : json_parse(text, len, JSON_MAX_DEPTH, &root, &off);
    if (jr > 0) {
        how = jr;
        jr = JSON_OK;
    }
    if (jr != JSON_OK) {
        snprintf(msg, sizeof msg, "%s at byte %zu%s",
                 jr == JSON_EDEPTH ? "JSON nested too deeply" : "not valid JSON", off + 1,
                 off >= len ? " (the line is cut short)" : "");
        return bad(err, errcap, name, line, msg);
    }
    if (!cJSON_IsObject(root)) {
        rc = bad(err, errcap, name, line, "a record must be a JSON object");
        goto out;
    }
    if (copy_str(root, "id", rec->id, sizeof rec->id, 1) != 0) {
        rc = bad(err, errcap, name, line, "\"id\" must be a string of at most 127 bytes");
        goto out;
    }
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "at_ms");
    if (at && (!cJSON_IsNumber(at) || at->valuedouble < 0 || at->valuedouble > 9e15)) {
        rc = bad(err, errcap, name, line, "\"at_ms\" must be a non-negative number");
        goto out;
    }
    rec->at_ms = at ? (int64_t)at->valuedouble : 0;
    if (copy_str(root, "merchant", rec->merchant, sizeof rec->merchant, 0) != 0 ||
        copy_str(root, "serial", rec->serial, sizeof rec->serial, 0) != 0) {
        rc = bad(err, errcap, name, line, "\"merchant\" and \"serial\" must be short strings");
        goto out;
    }
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(root, "request");
    if (!cJSON_IsObject(req)) {
        rc = bad(err, errcap, name, line, "\"request\" must be an object with method and path");
        goto out;
    }
    if (copy_str(req, "method", rec->method, sizeof rec->method, 0) != 0 ||
        copy_str(req, "path", rec->path, sizeof rec->path, 1) != 0 || rec->path[0] != '/') {
        rc = bad(err, errcap, name, line,
                 "\"request.path\" must be a path starting with '/', and \"request.method\" a "
                 "method name");
        goto out;
    }
    if (!rec->method[0]) snprintf(rec->method, sizeof rec->method, "POST");
    for (char *p = rec->method; *p; p++)
        if (*p < 'A' || *p > 'Z') {
            rc = bad(err, errcap, name, line, "\"request.method\" must be upper-case letters");
            goto out;
        }
    if (copy_str(root, "endpoint", rec->endpoint, sizeof rec->endpoint, 0) != 0) {
        rc = bad(err, errcap, name, line, "\"endpoint\" must be a short string");
        goto out;
    }
    if (!rec->endpoint[0])
        snprintf(rec->endpoint, sizeof rec->endpoint, "%s", endpoint_of(rec->path));
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(req, "body");
    if (body && !cJSON_IsNull(body)) {
        /* A string body is sent as is (a recording of a malformed request);
         * anything else is sent as compact JSON. */
        rec->body = cJSON_IsString(body) ? strdup(body->valuestring) : json_print(body);
        if (!rec->body) {
            rc = bad(err, errcap, name, line, "out of memory");
            goto out;
        }
        rec->body_len = strlen(rec->body);
    }
    const char *objs[] = {"answers", "truth", "expect"};
    cJSON **dst[] = {&rec->answers, &rec->truth, &rec->expect};
    for (int i = 0; i < 3; i++) {
        cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(root, objs[i]);
        if (!v || cJSON_IsNull(v)) {
            drop(v, how);
            continue;
        }
        if (!cJSON_IsObject(v)) {
            drop(v, how);
            snprintf(msg, sizeof msg, "\"%s\" must be an object", objs[i]);
            rc = bad(err, errcap, name, line, msg);
            goto out;
        }
        /* the record outlives the line's arena: it keeps a copy on the heap */
        *dst[i] = how == JARENA_IN_ARENA ? cJSON_Duplicate(v, 1) : v;
        if (!*dst[i]) {
            rc = bad(err, errcap, name, line, "out of memory");
            goto out;
        }
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(rec->expect, "status");
    if (st && !cJSON_IsNumber(st) && !cJSON_IsArray(st)) {
        rc = bad(err, errcap, name, line, "\"expect.status\" must be a status or a list of them");
        goto out;
    }
    rc = TRAFFIC_RECORD;
out:
    if (how)
        jarena_release(a, root, how);
    else
        cJSON_Delete(root);
    if (rc != TRAFFIC_RECORD) {
        long keep = rec->line;
        traffic_record_clear(rec);
        rec->line = keep;
    }
    return rc;
}

int traffic_parse_line(const char *name, long line, const char *text, size_t len,
                       traffic_record *rec, char *err, size_t errcap)
{
    return parse_record(name, line, text, len, rec, err, errcap, NULL);
}

/* ---- the fast path of traffic_next ----
 *
 * Most lines of a recording are alike: a flat record whose strings have no escapes and whose
 * body is already compact. For those, the fields are taken straight from the text, without a
 * tree. The scan accepts only lines whose record is certain to come out of parse_record the
 * same, byte for byte: anything else (an escape, a fraction, a key it does not know, a value
 * parse_record would refuse, ...) makes it give up, and parse_record reads the line. */

enum { FAST_OK = 0, FAST_NO = -1 };
#define FAST_BODY_DEPTH 16 /* deeper bodies take parse_record (and its depth check) */

typedef struct span {
    const char *p; /* NULL: absent */
    size_t n;
    int null; /* the value was null */
} span;

typedef struct scan {
    const char *p, *end;
} scan;

static void sc_ws(scan *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

static int sc_lit(scan *c, char ch)
{
    sc_ws(c);
    if (c->p >= c->end || *c->p != ch) return FAST_NO;
    c->p++;
    return FAST_OK;
}

/* A string without escapes or control bytes (cJSON keeps such a string's bytes as they are,
 * and prints them back the same); *out is its content. */
static int sc_plain_string(scan *c, span *out)
{
    if (c->p >= c->end || *c->p != '"') return FAST_NO;
    const char *s = ++c->p;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            out->p = s;
            out->n = (size_t)(c->p - s);
            out->null = 0;
            c->p++;
            return FAST_OK;
        }
        if (ch == '\\' || ch < 0x20) return FAST_NO;
        c->p++;
    }
    return FAST_NO;
}

static int sc_word(scan *c, const char *w, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0) return FAST_NO;
    c->p += n;
    return FAST_OK;
}

/* A string or null. */
static int sc_string_or_null(scan *c, span *out)
{
    sc_ws(c);
    if (c->p < c->end && *c->p == 'n') {
        if (sc_word(c, "null", 4) != FAST_OK) return FAST_NO;
        out->p = c->p;
        out->n = 0;
        out->null = 1;
        return FAST_OK;
    }
    return sc_plain_string(c, out);
}

/* A value cJSON prints back exactly as written: no white space, plain strings, integers
 * that cJSON keeps in its int (at most nine digits, no leading zero, and no "-0", which not
 * every cJSON prints back the same). */
static int sc_canonical(scan *c, int depth)
{
    if (c->p >= c->end) return FAST_NO;
    span s;
    switch (*c->p) {
    case '"':
        return sc_plain_string(c, &s);
    case 't':
        return sc_word(c, "true", 4);
    case 'f':
        return sc_word(c, "false", 5);
    case 'n':
        return sc_word(c, "null", 4);
    case '{':
    case '[': {
        char close = *c->p == '{' ? '}' : ']';
        int obj = close == '}';
        if (depth >= FAST_BODY_DEPTH) return FAST_NO;
        c->p++;
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return FAST_OK;
        }
        for (;;) {
            if (obj && (sc_plain_string(c, &s) != FAST_OK || sc_word(c, ":", 1) != FAST_OK))
                return FAST_NO;
            if (sc_canonical(c, depth + 1) != FAST_OK || c->p >= c->end) return FAST_NO;
            if (*c->p == close) {
                c->p++;
                return FAST_OK;
            }
            if (*c->p++ != ',') return FAST_NO;
        }
    }
    default: {
        const char *d = c->p;
        if (*d == '-') d++;
        const char *digits = d;
        while (d < c->end && *d >= '0' && *d <= '9')
            d++;
        size_t nd = (size_t)(d - digits);
        if (nd == 0 || nd > 9 || (nd > 1 && *digits == '0') || (*c->p == '-' && *digits == '0'))
            return FAST_NO;
        if (d < c->end && (*d == '.' || *d == 'e' || *d == 'E')) return FAST_NO;
        c->p = d;
        return FAST_OK;
    }
    }
}

/* Copies a string span into a fixed field as copy_str would, or says it would refuse. */
static int fast_copy(const span *v, char *dst, size_t cap, int required)
{
    dst[0] = '\0';
    if (!v->p || v->null) return required ? FAST_NO : FAST_OK;
    if (v->n >= cap) return FAST_NO;
    memcpy(dst, v->p, v->n);
    dst[v->n] = '\0';
    return FAST_OK;
}

/* Which of the names a key is, or -1. */
static int key_index(const span *k, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == k->n && memcmp(names[i], k->p, k->n) == 0) return i;
    return -1;
}

/* The members of an object, each key one of names (at most once), each value read by
 * read(i), which gets ud. */
static int sc_members(scan *c, const char *const *names, int n, span *vals,
                      int (*read)(scan *c, int i, span *v, void *ud), void *ud)
{
    if (sc_lit(c, '{') != FAST_OK) return FAST_NO;
    sc_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return FAST_OK;
    }
    for (;;) {
        span k;
        sc_ws(c);
        if (sc_plain_string(c, &k) != FAST_OK || sc_lit(c, ':') != FAST_OK) return FAST_NO;
        int i = key_index(&k, names, n);
        if (i < 0 || vals[i].p) return FAST_NO; /* unknown or repeated: parse_record decides */
        sc_ws(c);
        if (read(c, i, &vals[i], ud) != FAST_OK) return FAST_NO;
        sc_ws(c);
        if (c->p >= c->end) return FAST_NO;
        if (*c->p == '}') {
            c->p++;
            return FAST_OK;
        }
        if (*c->p++ != ',') return FAST_NO;
    }
}

enum { R_METHOD, R_PATH, R_BODY, R_N };

/* the request object's members, read for fast_record while it scans a line */
typedef struct fast_req {
    span v[R_N];
} fast_req;

static const char *const request_keys[R_N] = {"method", "path", "body"};

static int read_request_value(scan *c, int i, span *v, void *ud)
{
    (void)ud;
    if (i != R_BODY) return sc_string_or_null(c, v);
    const char *s = c->p;
    if (c->p < c->end && *c->p == '"') return sc_plain_string(c, v); /* sent as it is */
    if (sc_canonical(c, 0) != FAST_OK) return FAST_NO;
    v->p = s;
    v->n = (size_t)(c->p - s);
    v->null = v->n == 4 && memcmp(s, "null", 4) == 0;
    return FAST_OK;
}

enum { K_ID, K_AT, K_MERCHANT, K_SERIAL, K_ENDPOINT, K_REQUEST, K_N };
static const char *const record_keys[K_N] = {"id",     "at_ms",    "merchant",
                                             "serial", "endpoint", "request"};

/* ud: the fast_req the request object's members go to */
static int read_record_value(scan *c, int i, span *v, void *ud)
{
    switch (i) {
    case K_AT: {
        /* digits only, fewer than 16: exactly the double cJSON reads, and within 9e15 */
        const char *s = c->p;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
        v->p = s;
        v->n = (size_t)(c->p - s);
        v->null = 0;
        if (v->n == 0 || v->n > 15 || (v->n > 1 && *s == '0')) return FAST_NO;
        if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E')) return FAST_NO;
        return FAST_OK;
    }
    case K_REQUEST: {
        fast_req *r = ud;
        memset(r->v, 0, sizeof r->v);
        const char *s = c->p;
        if (sc_members(c, request_keys, R_N, r->v, read_request_value, NULL) != FAST_OK)
            return FAST_NO;
        v->p = s;
        v->n = (size_t)(c->p - s);
        v->null = 0;
        return FAST_OK;
    }
    default:
        return sc_string_or_null(c, v);
    }
}

/* The record of a line, when the line is one the fast path is sure of; FAST_NO otherwise
 * (rec is then left for parse_record to fill). */
static int fast_record(long line, const char *text, size_t len, traffic_record *rec)
{
    scan c = {text, text + len};
    span v[K_N];
    fast_req req;
    memset(v, 0, sizeof v);
    memset(&req, 0, sizeof req);
    if (sc_members(&c, record_keys, K_N, v, read_record_value, &req) != FAST_OK) return FAST_NO;
    sc_ws(&c);
    if (c.p != c.end) return FAST_NO;
    if (!v[K_REQUEST].p) return FAST_NO;
    span *m = &req.v[R_METHOD], *path = &req.v[R_PATH], *body = &req.v[R_BODY];
    if (!path->p || path->null || path->n == 0 || path->p[0] != '/') return FAST_NO;
    if (m->p && !m->null)
        for (size_t i = 0; i < m->n; i++)
            if (m->p[i] < 'A' || m->p[i] > 'Z') return FAST_NO;

    traffic_record_clear(rec);
    rec->line = line;
    if (fast_copy(&v[K_ID], rec->id, sizeof rec->id, 1) != FAST_OK ||
        fast_copy(&v[K_MERCHANT], rec->merchant, sizeof rec->merchant, 0) != FAST_OK ||
        fast_copy(&v[K_SERIAL], rec->serial, sizeof rec->serial, 0) != FAST_OK ||
        fast_copy(m, rec->method, sizeof rec->method, 0) != FAST_OK ||
        fast_copy(path, rec->path, sizeof rec->path, 1) != FAST_OK ||
        fast_copy(&v[K_ENDPOINT], rec->endpoint, sizeof rec->endpoint, 0) != FAST_OK)
        goto no;
    int64_t at = 0;
    for (size_t i = 0; i < v[K_AT].n; i++)
        at = at * 10 + (v[K_AT].p[i] - '0');
    rec->at_ms = at;
    if (!rec->method[0]) memcpy(rec->method, "POST", 5);
    if (!rec->endpoint[0]) {
        const char *ep = endpoint_of(rec->path);
        memcpy(rec->endpoint, ep, strlen(ep) + 1);
    }
    if (body->p && !body->null) {
        rec->body = malloc(body->n + 1);
        if (!rec->body) goto no;
        memcpy(rec->body, body->p, body->n);
        rec->body[body->n] = '\0';
        rec->body_len = body->n;
    }
    return FAST_OK;
no:
    traffic_record_clear(rec);
    return FAST_NO;
}

int traffic_next(traffic *t, traffic_record *rec, char *err, size_t errcap)
{
    for (;;) {
        size_t n = 0;
        int c = EOF, toolong = 0;
        /* getline would grow without bound; a fixed buffer and a skip keep
         * one absurd line from taking the memory of the run. */
        for (;;) {
            /* the rest of the line within the read-ahead, copied at once */
            if (t->rpos < t->rlen) {
                const char *p = t->rd + t->rpos;
                size_t avail = t->rlen - t->rpos;
                const char *nl = memchr(p, '\n', avail);
                size_t take = nl ? (size_t)(nl - p) : avail;
                size_t keep = take <= TRAFFIC_LINE_MAX - n ? take : TRAFFIC_LINE_MAX - n;
                memcpy(t->buf + n, p, keep);
                n += keep;
                if (keep < take) toolong = 1;
                t->rpos += take + (nl ? 1 : 0);
                if (nl) {
                    c = '\n';
                    break;
                }
            }
            if ((c = next_byte(t)) == EOF) break;
            if (c == '\n') break;
            if (n < TRAFFIC_LINE_MAX)
                t->buf[n++] = (char)c;
            else
                toolong = 1;
        }
        if (c == EOF && t->rerr) {
            snprintf(err, errcap, "%s:%ld: read error: %s", t->name, t->line + 1, strerror(errno));
            return TRAFFIC_EIO;
        }
        if (c == EOF && n == 0 && !toolong) return TRAFFIC_EOF;
        t->line++;
        if (toolong) {
            char msg[96];
            snprintf(msg, sizeof msg, "line longer than %u bytes, skipped", TRAFFIC_LINE_MAX);
            traffic_record_clear(rec);
            rec->line = t->line;
            return bad(err, errcap, t->name, t->line, msg);
        }
        size_t s = 0;
        while (s < n && (t->buf[s] == ' ' || t->buf[s] == '\t' || t->buf[s] == '\r'))
            s++;
        if (s == n || t->buf[s] == '#') continue; /* blank lines and comments */
        t->buf[n] = '\0';
        if (fast_record(t->line, t->buf + s, n - s, rec) == FAST_OK) return TRAFFIC_RECORD;
        int rc = parse_record(t->name, t->line, t->buf + s, n - s, rec, err, errcap, &t->arena);
        if (rc == TRAFFIC_BAD && c == EOF) {
            size_t l = strlen(err);
            snprintf(err + l, errcap - l, " (the last line has no newline: truncated file?)");
        }
        return rc;
    }
}

int traffic_sha256_file(const char *path, char *out, size_t cap)
{
    unsigned char md[EVP_MAX_MD_SIZE], chunk[65536];
    unsigned int mdlen = 0;
    size_t n;
    int rc = -1;
    if (cap < 65) return -1;
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) goto out;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (EVP_DigestUpdate(ctx, chunk, n) != 1) goto out;
    if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) goto out;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    fclose(f);
    return rc;
}
