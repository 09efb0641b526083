#include "journal.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"

#define ID_PREFIX_MAX 96

/* A ring record is kept as built, "{...}" without its id and at_ms, which are
 * written in front of it when the ring is read: the record then needs no
 * second copy on the way in. */
typedef struct entry {
    char *rec; /* one JSON object, no newline */
    size_t len;
    uint64_t seq;
    int64_t at_ms;
    int64_t expl_expires_s; /* earliest explanation expiry in rec, INT64_MAX if none */
} entry;

struct journal {
    pthread_mutex_t lock; /* ring, counters and file: held for a copy and a write */
    entry *ring;
    size_t capacity, head, count, bytes;
    uint64_t seq;
    int64_t base_ms; /* monotonic time of the first record; -1 before it */
    FILE *file;
    char *file_path;
    int file_failed; /* report a failing file once, not per request */
};

int journal_new(size_t capacity, const char *record_path, journal **out)
{
    journal *j = calloc(1, sizeof *j);
    if (!j) return -1;
    pthread_mutex_init(&j->lock, NULL);
    j->capacity = capacity;
    j->base_ms = -1;
    if (capacity && !(j->ring = calloc(capacity, sizeof *j->ring))) goto fail;
    if (record_path) {
        j->file = fopen(record_path, "a");
        if (!j->file) {
            fprintf(stderr, "wxai-mock: cannot open record file %s: %s\n", record_path,
                    strerror(errno));
            goto fail;
        }
        j->file_path = strdup(record_path);
        if (!j->file_path) goto fail;
    }
    *out = j;
    return 0;
fail:
    journal_free(j);
    return -1;
}

static void evict_oldest(journal *j)
{
    entry *e = &j->ring[j->head];
    j->bytes -= e->len + ID_PREFIX_MAX;
    free(e->rec);
    memset(e, 0, sizeof *e);
    if (++j->head == j->capacity) j->head = 0;
    j->count--;
}

void journal_clear(journal *j)
{
    if (!j) return;
    pthread_mutex_lock(&j->lock);
    while (j->count)
        evict_oldest(j);
    j->head = 0;
    pthread_mutex_unlock(&j->lock);
}

void journal_free(journal *j)
{
    if (!j) return;
    if (j->ring) journal_clear(j);
    if (j->file) fclose(j->file);
    free(j->file_path);
    free(j->ring);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

size_t journal_count(journal *j)
{
    pthread_mutex_lock(&j->lock);
    size_t n = j->count;
    pthread_mutex_unlock(&j->lock);
    return n;
}

int journal_strip_expired(cJSON *v, int64_t now_s, int64_t *next_s)
{
    int removed = 0;
    int64_t next = INT64_MAX;
    if (cJSON_IsObject(v)) {
        const char *at = json_string(v, "explanation_expires_at");
        cJSON *expl = cJSON_GetObjectItemCaseSensitive(v, "explanation");
        if (at && expl) {
            int64_t exp_s;
            int off;
            /* An expiry that cannot be read cannot prove the explanation may
             * still be kept, so it goes. */
            if (clock_parse_rfc3339(at, &exp_s, &off) != 0 || exp_s <= now_s) {
                cJSON_DeleteItemFromObjectCaseSensitive(v, "explanation");
                removed++;
            } else if (exp_s < next) {
                next = exp_s;
            }
        }
    }
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        cJSON *c;
        cJSON_ArrayForEach(c, v)
        {
            int64_t n = INT64_MAX;
            removed += journal_strip_expired(c, now_s, &n);
            if (n < next) next = n;
        }
    }
    if (next_s) *next_s = next;
    return removed;
}

/* The request body as JSON when it is JSON, else as (capped) text. */
static void add_body(cJSON *request, const journal_exchange *x)
{
    cJSON *body = NULL;
    size_t off;
    if (!x->body || x->body_len == 0) return;
    if (json_parse(x->body, x->body_len, JSON_MAX_DEPTH, &body, &off) == JSON_OK) {
        cJSON_AddItemToObject(request, "body", body);
        return;
    }
    size_t n = x->body_len > JOURNAL_RAW_BODY_MAX ? JOURNAL_RAW_BODY_MAX : x->body_len;
    char *text = malloc(n + 1);
    if (!text) return;
    memcpy(text, x->body, n);
    text[n] = '\0';
    cJSON_AddStringToObject(request, "body", text);
    if (n < x->body_len) cJSON_AddBoolToObject(request, "body_truncated", 1);
    free(text);
}

/* Everything but id and at_ms, which are assigned under the lock so that the
 * file's lines come in id order. raw_ok: the response tree is unchanged from
 * response_text, which then goes in as it was sent instead of being printed
 * again (printing is most of a record's cost: cJSON prints each double twice). */
static cJSON *build(const journal_exchange *x, int raw_ok)
{
    cJSON *rec = cJSON_CreateObject();
    if (!rec) return NULL;
    if (x->merchant) cJSON_AddStringToObject(rec, "merchant", x->merchant);
    cJSON_AddStringToObject(rec, "endpoint", x->endpoint ? x->endpoint : "other");
    cJSON *req = cJSON_AddObjectToObject(rec, "request");
    cJSON_AddStringToObject(req, "method", x->method ? x->method : "");
    cJSON_AddStringToObject(req, "path", x->path ? x->path : "");
    if (x->idempotency_key) {
        /* Replaying it matters (same key, same body: a replayed answer); the
         * auth headers do not, the harness signs afresh. */
        cJSON *h = cJSON_AddObjectToObject(req, "headers");
        cJSON_AddStringToObject(h, "Idempotency-Key", x->idempotency_key);
    }
    add_body(req, x);
    cJSON *resp = cJSON_AddObjectToObject(rec, "response");
    cJSON_AddNumberToObject(resp, "status", x->status);
    /* A line break would split the JSONL record. */
    if (x->response && raw_ok && x->response_text && !strpbrk(x->response_text, "\r\n"))
        cJSON_AddRawToObject(resp, "body", x->response_text);
    else if (x->response)
        cJSON_AddItemReferenceToObject(resp, "body", x->response);
    else if (x->response_len)
        json_add_int(resp, "body_omitted_bytes", (int64_t)x->response_len);
    return rec;
}

/* The ring's copy of an oversized record: the request body goes, the rest stays. */
static char *shrink(cJSON *rec, const journal_exchange *x)
{
    cJSON *req = cJSON_GetObjectItemCaseSensitive(rec, "request");
    cJSON_DeleteItemFromObjectCaseSensitive(req, "body");
    cJSON_DeleteItemFromObjectCaseSensitive(req, "body_truncated");
    json_add_int(req, "body_omitted_bytes", (int64_t)x->body_len);
    cJSON *resp = cJSON_GetObjectItemCaseSensitive(rec, "response");
    if (cJSON_GetObjectItemCaseSensitive(resp, "body")) {
        cJSON_DeleteItemFromObjectCaseSensitive(resp, "body");
        json_add_int(resp, "body_omitted_bytes", (int64_t)x->response_len);
    }
    return json_print(rec);
}

static void write_file(journal *j, const char *prefix, const char *rest)
{
    if (!j->file) return;
    if (fputs(prefix, j->file) < 0 || fputs(rest, j->file) < 0 || fputc('\n', j->file) < 0 ||
        fflush(j->file) != 0) {
        if (!j->file_failed)
            fprintf(stderr, "wxai-mock: writing record file %s failed: %s\n", j->file_path,
                    strerror(errno));
        j->file_failed = 1;
    }
}

/* Take rec (len bytes) into the ring, evicting as the caps require (under the lock). */
static void push_rec(journal *j, char *rec, size_t len, uint64_t seq, int64_t at_ms, int64_t expl_s)
{
    if (j->count == j->capacity) evict_oldest(j);
    while (j->count && j->bytes + len + ID_PREFIX_MAX > JOURNAL_RING_BYTES)
        evict_oldest(j);
    /* head + count < 2 * capacity: a comparison instead of a division, under the lock
     * every worker queues on */
    size_t at = j->head + j->count;
    entry *e = &j->ring[at >= j->capacity ? at - j->capacity : at];
    e->rec = rec;
    e->len = len;
    e->seq = seq;
    e->at_ms = at_ms;
    e->expl_expires_s = expl_s;
    j->bytes += e->len + ID_PREFIX_MAX;
    j->count++;
}

/* The record as build() and json_print would write it, without the tree, for
 * an exchange whose bodies go in as they are (exchange.c checked them). NULL
 * when it does not fit the ring's line cap (build() shrinks it) or on ENOMEM. */
typedef struct lbuf {
    char *p;
    size_t len, cap;
} lbuf;

static void lb_put(lbuf *b, const char *s, size_t n)
{
    if (b->len + n <= b->cap) memcpy(b->p + b->len, s, n);
    b->len += n;
}

#define lb_lit(b, lit) lb_put(b, lit, sizeof lit - 1)

/* A string the way cJSON prints one. */
static void lb_str(lbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + JSON_QUOTED_MAX(n) <= b->cap) { /* room for the worst: no need to measure */
        b->len += json_quote(b->p + b->len, s, n);
        return;
    }
    size_t need = json_quoted_len(s, n);
    if (b->len + need <= b->cap) json_quote(b->p + b->len, s, n);
    b->len += need; /* over the cap it is only counted, as lb_put counts */
}

/* {"id":"r-%04" PRIu64 "","at_ms":%" PRId64 ",", without snprintf; returns its length */
static size_t fmt_prefix(char *out, uint64_t seq, int64_t at_ms)
{
    char *q = out;
    memcpy(q, "{\"id\":\"r-", 9);
    q += 9;
    q += json_int(q, (int64_t)seq, 4);
    memcpy(q, "\",\"at_ms\":", 10);
    q += 10;
    q += json_int(q, at_ms, 1);
    *q++ = ',';
    return (size_t)(q - out);
}

static void lb_int(lbuf *b, int64_t v)
{
    char num[24];
    lb_put(b, num, json_int(num, v, 1));
}

static size_t slen(const char *s)
{
    return s ? strlen(s) : 0;
}

static char *build_direct_in(const journal_exchange *x, size_t body, size_t resp, size_t cap,
                             size_t *out_len)
{
    lbuf b = {.cap = cap};
    if (!(b.p = malloc(b.cap + 1))) return NULL;
    lb_lit(&b, "{");
    if (x->merchant) {
        lb_lit(&b, "\"merchant\":");
        lb_str(&b, x->merchant);
        lb_lit(&b, ",");
    }
    lb_lit(&b, "\"endpoint\":");
    lb_str(&b, x->endpoint ? x->endpoint : "other");
    lb_lit(&b, ",\"request\":{\"method\":");
    lb_str(&b, x->method ? x->method : "");
    lb_lit(&b, ",\"path\":");
    lb_str(&b, x->path ? x->path : "");
    if (x->idempotency_key) {
        lb_lit(&b, ",\"headers\":{\"Idempotency-Key\":");
        lb_str(&b, x->idempotency_key);
        lb_lit(&b, "}");
    }
    if (body) {
        lb_lit(&b, ",\"body\":");
        lb_put(&b, x->body, body);
    }
    lb_lit(&b, "},\"response\":{\"status\":");
    lb_int(&b, x->status);
    if (x->response_verbatim) {
        lb_lit(&b, ",\"body\":");
        lb_put(&b, x->response_text, resp);
    } else if (x->response_len) {
        lb_lit(&b, ",\"body_omitted_bytes\":");
        lb_int(&b, (int64_t)x->response_len);
    }
    lb_lit(&b, "}}");
    if (b.len > b.cap || b.len > JOURNAL_RING_LINE_MAX) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    *out_len = b.len;
    return b.p;
}

/* The record written straight from x, and its length in *out_len; NULL when it must be built
 * as a tree. */
static char *build_direct(const journal_exchange *x, size_t *out_len)
{
    size_t body = x->body && x->body_len ? x->body_len : 0;
    /* a verbatim answer is the whole body sent, so its length is known */
    size_t resp = x->response_verbatim ? x->response_len : 0;
    size_t strings = slen(x->merchant) + slen(x->endpoint) + slen(x->method) + slen(x->path) +
                     slen(x->idempotency_key);
    if (body + resp + strings > JOURNAL_RING_LINE_MAX) return NULL;
    /* The ring keeps this buffer: it is sized to the escaped strings exactly, plus
     * the fixed text around them. */
    size_t quoted = 0;
    const char *const str[] = {x->merchant, x->endpoint, x->method, x->path, x->idempotency_key};
    for (size_t i = 0; i < sizeof str / sizeof *str; i++)
        if (str[i]) quoted += json_quoted_len(str[i], strlen(str[i]));
    return build_direct_in(x, body, resp, body + resp + quoted + 256, out_len);
}

int journal_add(journal *j, const journal_exchange *x)
{
    int64_t expl_s = INT64_MAX;
    char *full = NULL, *small = NULL, prefix[ID_PREFIX_MAX];
    size_t full_len = 0;
    cJSON *rec = NULL, *parsed = NULL;
    int rc = -1;
    if (!j) return -1;
    if ((!x->body || !x->body_len || x->body_canonical) && (x->response_verbatim || !x->response))
        full = build_direct(x, &full_len);
    if (!full) {
        journal_exchange t = *x;
        size_t off;
        if (x->response_verbatim && !x->response &&
            json_parse(x->response_text, strlen(x->response_text), JSON_MAX_DEPTH, &parsed, &off) ==
                JSON_OK)
            t.response = parsed;
        int stripped = t.response ? journal_strip_expired(t.response, clock_now_s(), &expl_s) : 0;
        rec = build(&t, stripped == 0);
        if (!rec || !(full = json_print(rec))) goto out;
        full_len = strlen(full);
        if (full_len > JOURNAL_RING_LINE_MAX && j->capacity && !(small = shrink(rec, &t))) goto out;
    }

    /* All 32 workers queue on this lock: nothing is allocated or freed under it
     * (but for records evicted by the byte cap). */
    char **keep = small ? &small : &full; /* what the ring takes */
    size_t klen = small ? strlen(small) : full_len;
    char *evicted = NULL;
    pthread_mutex_lock(&j->lock);
    int64_t now = clock_mono_ms();
    if (j->base_ms < 0) j->base_ms = now;
    j->seq++;
    if (j->file) {
        size_t plen = fmt_prefix(prefix, j->seq, now - j->base_ms);
        prefix[plen] = '\0';
        /* `full` is an object, "{...}": its fields follow the prefix's. */
        write_file(j, prefix, full + 1);
    }
    if (j->capacity && klen + ID_PREFIX_MAX <= JOURNAL_RING_BYTES) {
        if (j->count == j->capacity) {
            evicted = j->ring[j->head].rec;
            j->ring[j->head].rec = NULL;
            evict_oldest(j);
        }
        push_rec(j, *keep, klen, j->seq, now - j->base_ms, expl_s);
        *keep = NULL;
    }
    pthread_mutex_unlock(&j->lock);
    free(evicted);
    rc = 0;
out:
    cJSON_Delete(rec);
    cJSON_Delete(parsed);
    free(full);
    free(small);
    return rc;
}

/* Rewrite a ring record whose explanations have expired (under the lock). */
static void expire(entry *e, int64_t now_s)
{
    cJSON *v = NULL;
    size_t off;
    if (json_parse(e->rec, e->len, JSON_MAX_DEPTH + 8, &v, &off) != JSON_OK) return;
    int64_t next = INT64_MAX;
    journal_strip_expired(v, now_s, &next);
    char *rec = json_print(v);
    cJSON_Delete(v);
    if (!rec) return;
    free(e->rec);
    e->rec = rec;
    e->len = strlen(rec);
    e->expl_expires_s = next;
}

int journal_dump(journal *j, int64_t now_s, char **out, size_t *len)
{
    pthread_mutex_lock(&j->lock);
    for (size_t i = 0; i < j->count; i++) {
        entry *e = &j->ring[(j->head + i) % j->capacity];
        if (e->expl_expires_s <= now_s) {
            size_t before = e->len;
            expire(e, now_s);
            j->bytes = j->bytes - before + e->len;
        }
    }
    size_t total = j->bytes + j->count + 1; /* bytes holds ID_PREFIX_MAX per record */
    char *buf = malloc(total);
    if (!buf) {
        pthread_mutex_unlock(&j->lock);
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < j->count; i++) {
        entry *e = &j->ring[(j->head + i) % j->capacity];
        n += fmt_prefix(buf + n, e->seq, e->at_ms);
        memcpy(buf + n, e->rec + 1, e->len - 1); /* "{" is the prefix's */
        n += e->len - 1;
        buf[n++] = '\n';
    }
    buf[n] = '\0';
    pthread_mutex_unlock(&j->lock);
    *out = buf;
    *len = n;
    return 0;
}
