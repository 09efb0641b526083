#include "idempotency.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/sha.h>

#include "engine.h"
#include "rng.h"

#define NONE SIZE_MAX

/* Entry seq lives in slot seq % capacity: slots are reused in arrival order, so the entry a
 * new one displaces is always the oldest, and eviction by bytes walks seqs upwards. */
typedef struct slot {
    uint64_t seq; /* 0: free */
    uint64_t hash;
    int64_t created_s;
    char *id; /* mchid bytes then key bytes, no terminator */
    size_t mch_len, key_len;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    int pending;
    idempotency_answer a;
    size_t bytes; /* charged against the cap */
    size_t next;  /* hash chain */
} slot;

struct idempotency_store {
    pthread_mutex_t lock;
    slot *slots;
    size_t cap;
    size_t *buckets;
    size_t nbuckets; /* a power of two */
    uint64_t next_seq;
    uint64_t scan_from; /* no live entry has a lower seq */
    size_t count, bytes, max_bytes;
};

void idempotency_answer_clear(idempotency_answer *a)
{
    if (!a) return;
    free(a->headers);
    free(a->body);
    memset(a, 0, sizeof *a);
}

static char *dup_bytes(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static int answer_copy(idempotency_answer *dst, const idempotency_answer *src)
{
    memset(dst, 0, sizeof *dst);
    dst->status = src->status;
    if (src->headers && !(dst->headers = dup_bytes(src->headers, src->headers_len))) goto fail;
    dst->headers_len = src->headers ? src->headers_len : 0;
    if (src->body && !(dst->body = dup_bytes(src->body, src->body_len))) goto fail;
    dst->body_len = src->body ? src->body_len : 0;
    return IDEMPOTENCY_OK;
fail:
    idempotency_answer_clear(dst);
    return IDEMPOTENCY_ENOMEM;
}

int idempotency_store_new(size_t capacity, size_t max_bytes, idempotency_store **out)
{
    if (capacity == 0 || max_bytes == 0 || capacity > SIZE_MAX / 4) return IDEMPOTENCY_ENOMEM;
    idempotency_store *s = calloc(1, sizeof *s);
    if (!s) return IDEMPOTENCY_ENOMEM;
    pthread_mutex_init(&s->lock, NULL);
    s->cap = capacity;
    s->max_bytes = max_bytes;
    s->next_seq = s->scan_from = 1;
    for (s->nbuckets = 16; s->nbuckets < capacity * 2; s->nbuckets *= 2)
        ;
    s->slots = calloc(capacity, sizeof *s->slots);
    s->buckets = malloc(s->nbuckets * sizeof *s->buckets);
    if (!s->slots || !s->buckets) {
        idempotency_store_free(s);
        return IDEMPOTENCY_ENOMEM;
    }
    for (size_t i = 0; i < s->nbuckets; i++)
        s->buckets[i] = NONE;
    *out = s;
    return IDEMPOTENCY_OK;
}

static void slot_free(slot *sl)
{
    free(sl->id);
    idempotency_answer_clear(&sl->a);
    memset(sl, 0, sizeof *sl);
}

void idempotency_store_free(idempotency_store *s)
{
    if (!s) return;
    if (s->slots)
        for (size_t i = 0; i < s->cap; i++)
            slot_free(&s->slots[i]);
    free(s->slots);
    free(s->buckets);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static uint64_t id_hash(const char *mchid, size_t mlen, const char *key, size_t klen)
{
    return rng_hash(rng_hash(0, mchid, mlen), key, klen);
}

/* Lock held. */
static void drop(idempotency_store *s, size_t i)
{
    slot *sl = &s->slots[i];
    size_t *link = &s->buckets[sl->hash & (s->nbuckets - 1)];
    while (*link != NONE && *link != i)
        link = &s->slots[*link].next;
    if (*link == i) *link = sl->next;
    s->bytes -= sl->bytes;
    s->count--;
    slot_free(sl);
}

/* Lock held. */
static size_t find(idempotency_store *s, uint64_t h, const char *mchid, size_t mlen,
                   const char *key, size_t klen)
{
    for (size_t i = s->buckets[h & (s->nbuckets - 1)]; i != NONE; i = s->slots[i].next) {
        const slot *sl = &s->slots[i];
        if (sl->hash == h && sl->mch_len == mlen && sl->key_len == klen &&
            memcmp(sl->id, mchid, mlen) == 0 && memcmp(sl->id + mlen, key, klen) == 0)
            return i;
    }
    return NONE;
}

/* Drop the oldest live entry other than keep_seq's. Returns 0 when there is none. Lock held. */
static int evict_oldest(idempotency_store *s, uint64_t keep_seq)
{
    uint64_t lo = s->next_seq > s->cap ? s->next_seq - s->cap : 1;
    int advancing = 1;
    if (s->scan_from < lo) s->scan_from = lo;
    for (uint64_t q = s->scan_from; q < s->next_seq; q++) {
        size_t j = (size_t)(q % s->cap);
        if (s->slots[j].seq != q || q == keep_seq) {
            if (s->slots[j].seq == q) advancing = 0; /* keep stays live: scan from it next time */
            if (advancing) s->scan_from = q + 1;
            continue;
        }
        drop(s, j);
        if (advancing) s->scan_from = q + 1;
        return 1;
    }
    return 0;
}

/* The request's digest: method, path and body, each hashed on its own so no byte string
 * can pass for another split differently. */
static void request_digest(const char *method, const char *path, const void *body, size_t len,
                           unsigned char out[SHA256_DIGEST_LENGTH])
{
    unsigned char buf[16 + 2 * SHA256_DIGEST_LENGTH];
    size_t m = strnlen(method, 15);
    memset(buf, 0, 16);
    memcpy(buf, method, m);
    SHA256((const unsigned char *)path, strlen(path), buf + 16);
    SHA256((const unsigned char *)(body ? body : ""), body ? len : 0,
           buf + 16 + SHA256_DIGEST_LENGTH);
    SHA256(buf, sizeof buf, out);
}

int idempotency_begin(idempotency_store *s, const char *mchid, const char *key, const char *method,
                      const char *path, const void *body, size_t len, int64_t now_s,
                      uint64_t *ticket, idempotency_answer *out)
{
    size_t mlen = strlen(mchid), klen = strnlen(key, IDEMPOTENCY_KEY_MAX + 1);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    if (klen == 0 || klen > IDEMPOTENCY_KEY_MAX) return IDEMPOTENCY_EKEY;
    request_digest(method, path, body, len, digest);
    uint64_t h = id_hash(mchid, mlen, key, klen);
    char *id = malloc(mlen + klen);
    if (!id) return IDEMPOTENCY_ENOMEM;
    memcpy(id, mchid, mlen);
    memcpy(id + mlen, key, klen);

    int rc = IDEMPOTENCY_OK;
    pthread_mutex_lock(&s->lock);
    size_t i = find(s, h, mchid, mlen, key, klen);
    if (i != NONE && now_s - s->slots[i].created_s >= IDEMPOTENCY_TTL_S) {
        drop(s, i); /* expired: the key is fresh again */
        i = NONE;
    }
    if (i != NONE) {
        const slot *sl = &s->slots[i];
        if (memcmp(sl->digest, digest, sizeof digest) != 0)
            rc = IDEMPOTENCY_ECONFLICT;
        else if (sl->pending)
            rc = IDEMPOTENCY_EBUSY;
        else
            rc = answer_copy(out, &sl->a) == IDEMPOTENCY_OK ? IDEMPOTENCY_REPLAY
                                                            : IDEMPOTENCY_ENOMEM;
        pthread_mutex_unlock(&s->lock);
        free(id);
        return rc;
    }
    while (s->bytes + mlen + klen > s->max_bytes && evict_oldest(s, 0))
        ;
    uint64_t seq = s->next_seq++;
    i = (size_t)(seq % s->cap);
    if (s->slots[i].seq) drop(s, i); /* the oldest entry, by construction */
    slot *sl = &s->slots[i];
    sl->seq = seq;
    sl->hash = h;
    sl->created_s = now_s;
    sl->id = id;
    sl->mch_len = mlen;
    sl->key_len = klen;
    memcpy(sl->digest, digest, sizeof digest);
    sl->pending = 1;
    sl->bytes = mlen + klen;
    size_t *head = &s->buckets[h & (s->nbuckets - 1)];
    sl->next = *head;
    *head = i;
    s->bytes += sl->bytes;
    s->count++;
    *ticket = seq;
    pthread_mutex_unlock(&s->lock);
    return IDEMPOTENCY_OK;
}

/* The slot of a live pending claim, or NONE. Lock held. */
static size_t claim_slot(idempotency_store *s, uint64_t ticket)
{
    if (!ticket) return NONE;
    size_t i = (size_t)(ticket % s->cap);
    return s->slots[i].seq == ticket && s->slots[i].pending ? i : NONE;
}

int idempotency_complete(idempotency_store *s, uint64_t ticket, const idempotency_answer *a)
{
    idempotency_answer copy;
    int rc = answer_copy(&copy, a); /* outside the lock */
    size_t need = copy.headers_len + copy.body_len;
    pthread_mutex_lock(&s->lock);
    size_t i = claim_slot(s, ticket);
    if (i == NONE) {
        rc = IDEMPOTENCY_EGONE;
    } else if (rc != IDEMPOTENCY_OK) {
        drop(s, i);
    } else if (s->slots[i].bytes + need > s->max_bytes) {
        drop(s, i);
        rc = IDEMPOTENCY_ETOOBIG;
    } else {
        while (s->bytes + need > s->max_bytes && evict_oldest(s, ticket))
            ;
        slot *sl = &s->slots[i];
        sl->a = copy;
        memset(&copy, 0, sizeof copy);
        sl->pending = 0;
        sl->bytes += need;
        s->bytes += need;
    }
    pthread_mutex_unlock(&s->lock);
    idempotency_answer_clear(&copy);
    return rc;
}

void idempotency_release(idempotency_store *s, uint64_t ticket)
{
    pthread_mutex_lock(&s->lock);
    size_t i = claim_slot(s, ticket);
    if (i != NONE) drop(s, i);
    pthread_mutex_unlock(&s->lock);
}

void idempotency_clear(idempotency_store *s)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].seq) drop(s, i);
    s->scan_from = s->next_seq;
    pthread_mutex_unlock(&s->lock);
}

size_t idempotency_count(idempotency_store *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t idempotency_bytes(idempotency_store *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->bytes;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* ---- HTTP glue ---- */

static int key_error(http_req *req, size_t len)
{
    char msg[160];
    cJSON *detail = cJSON_CreateObject();
    const char *issue = "must be 1 to 255 bytes";
    if (detail) {
        cJSON_AddStringToObject(detail, "field", "Idempotency-Key");
        cJSON_AddStringToObject(detail, "location", "header");
        cJSON_AddStringToObject(detail, "issue", issue);
    }
    snprintf(msg, sizeof msg, "Idempotency-Key: %s (got %zu)", issue, len);
    return http_error(req, 400, "PARAM_ERROR", msg, detail);
}

/* Headers that belong to one exchange rather than to the answer: a replay gets its own. */
static int per_request_header(const char *name, size_t n)
{
    static const char *const prefixes[] = {"RateLimit", "Wechatpay-", "x-ratelimit-"};
    static const char *const names[] = {"Retry-After",  "Retry-After-Ms",      "Request-ID",
                                        "x-request-id", "Idempotent-Replayed", "Connection"};
    for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
        size_t p = strlen(prefixes[k]);
        if (n >= p && strncasecmp(name, prefixes[k], p) == 0) return 1;
    }
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (n == strlen(names[k]) && strncasecmp(name, names[k], n) == 0) return 1;
    return 0;
}

/* Call fn for each "Name: value\r\n" line of text (name and value NUL-terminated). */
static void each_header(const char *text, size_t len,
                        void (*fn)(void *, const char *, const char *), void *ud)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *stop = eol ? eol : end;
        const char *colon = memchr(p, ':', (size_t)(stop - p));
        char name[128], value[512];
        if (colon && (size_t)(colon - p) < sizeof name) {
            size_t n = (size_t)(colon - p);
            const char *v = colon + 1, *ve = stop;
            while (v < ve && *v == ' ')
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            if ((size_t)(ve - v) < sizeof value) {
                memcpy(name, p, n);
                name[n] = '\0';
                memcpy(value, v, (size_t)(ve - v));
                value[ve - v] = '\0';
                fn(ud, name, value);
            }
        }
        p = eol ? eol + 1 : end;
    }
}

typedef struct hkeep {
    char buf[IDEMPOTENCY_HEADERS_MAX];
    size_t len;
} hkeep;

static void keep_header(void *ud, const char *name, const char *value)
{
    hkeep *k = ud;
    if (per_request_header(name, strlen(name))) return;
    int n = snprintf(k->buf + k->len, sizeof k->buf - k->len, "%s: %s\r\n", name, value);
    if (n > 0 && (size_t)n < sizeof k->buf - k->len)
        k->len += (size_t)n;
    else
        k->buf[k->len] = '\0'; /* a header that does not fit is not kept */
}

static void replay_header(void *ud, const char *name, const char *value)
{
    http_add_header(ud, name, "%s", value);
}

int idempotency_http_begin(http_req *req, idempotency_store *s)
{
    if (!s || !req->merchant || strcmp(req->ri->request_method, "POST") != 0 ||
        strncmp(req->ri->local_uri, "/v3/ai/", 7) != 0)
        return 0;
    const char *key = http_hdr(req, HTTP_HDR_IDEMPOTENCY_KEY);
    if (!key) return 0;
    size_t klen = strnlen(key, IDEMPOTENCY_KEY_MAX + 1);
    if (klen == 0 || klen > IDEMPOTENCY_KEY_MAX) {
        key_error(req, strlen(key));
        return -1;
    }
    uint64_t ticket = 0;
    idempotency_answer a;
    memset(&a, 0, sizeof a);
    switch (idempotency_begin(s, req->merchant->mchid, key, req->ri->request_method, req->url,
                              req->body, req->body_len, engine_wall_s(req->engine), &ticket, &a)) {
    case IDEMPOTENCY_OK:
        req->idem_ticket = ticket;
        return 0;
    case IDEMPOTENCY_REPLAY:
        /* answered before the engine: no rate-limit token, no latency, no fault, no bill */
        if (a.headers) each_header(a.headers, a.headers_len, replay_header, req);
        http_add_header(req, "Idempotent-Replayed", "true");
        req->replayed = 1;
        http_send(req, a.status, "application/json; charset=utf-8", a.body, a.body_len);
        idempotency_answer_clear(&a);
        return -1;
    case IDEMPOTENCY_ECONFLICT:
        http_error(req, 409, "IDEMPOTENCY_CONFLICT",
                   "Idempotency-Key was used with a different request (method, path or body) in "
                   "the last 24 h; send a new request with a new key",
                   NULL);
        return -1;
    case IDEMPOTENCY_EBUSY:
        http_error(req, 409, "IDEMPOTENCY_CONFLICT",
                   "a request with this Idempotency-Key is still in progress; retry once it has "
                   "been answered",
                   NULL);
        return -1;
    case IDEMPOTENCY_EKEY:
        key_error(req, strlen(key));
        return -1;
    default:
        http_error(req, 500, "SYSTEM_ERROR", "could not record the Idempotency-Key", NULL);
        return -1;
    }
}

void idempotency_http_end(http_req *req, idempotency_store *s)
{
    uint64_t ticket = req->idem_ticket;
    if (!ticket || !s) return;
    req->idem_ticket = 0;
    int st = req->status;
    /* Only answers a retry would get again are kept: a 5xx, a 429 or an injected fault is
     * transient, so the retry must really run. A body too large to be kept (or not JSON)
     * cannot be replayed either. */
    int keep = ((st >= 200 && st < 300) || (st >= 400 && st < 500 && st != 429)) &&
               !(req->er && req->er->fault >= 0) && !req->truncate_body && req->resp_body &&
               req->resp_len <= HTTP_RESP_KEEP_MAX;
    if (!keep) {
        idempotency_release(s, ticket);
        return;
    }
    hkeep k;
    k.len = 0;
    k.buf[0] = '\0';
    each_header(req->extra, strnlen(req->extra, sizeof req->extra), keep_header, &k);
    idempotency_answer a = {.status = st,
                            .headers = k.len ? k.buf : NULL,
                            .headers_len = k.len,
                            .body = req->resp_body,
                            .body_len = req->resp_len};
    idempotency_complete(s, ticket, &a);
}
