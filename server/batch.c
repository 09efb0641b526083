/* batch: bounded storage for fraud-score batches (see batch.h). */
#include "batch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"

typedef struct slot {
    int used;
    char id[BATCH_ID_LEN];
    char mchid[64];
    size_t count;
    char *results;
    int64_t created_ms;
    int64_t ready_ms;
} slot;

struct batch_store {
    pthread_mutex_t mu;
    slot *slots;
    size_t cap;
    size_t max_items;
    size_t items; /* sum of count over used slots */
    int64_t ttl_ms;
};

int batch_store_new(size_t max_batches, size_t max_items, int64_t ttl_ms, batch_store **out)
{
    *out = NULL;
    batch_store *s = calloc(1, sizeof *s);
    if (!s) return BATCH_ENOMEM;
    s->slots = calloc(max_batches ? max_batches : 1, sizeof *s->slots);
    if (!s->slots) {
        free(s);
        return BATCH_ENOMEM;
    }
    pthread_mutex_init(&s->mu, NULL);
    s->cap = max_batches ? max_batches : 1;
    s->max_items = max_items;
    s->ttl_ms = ttl_ms;
    *out = s;
    return BATCH_OK;
}

static void drop(batch_store *s, slot *b)
{
    free(b->results);
    s->items -= b->count;
    memset(b, 0, sizeof *b);
}

void batch_store_free(batch_store *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->cap; i++)
        free(s->slots[i].results);
    pthread_mutex_destroy(&s->mu);
    free(s->slots);
    free(s);
}

static void sweep(batch_store *s, int64_t now_ms)
{
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].used && now_ms - s->slots[i].created_ms >= s->ttl_ms) drop(s, &s->slots[i]);
}

/* The oldest batch that has completed, or NULL. */
static slot *oldest_completed(batch_store *s, int64_t now_ms)
{
    slot *best = NULL;
    for (size_t i = 0; i < s->cap; i++) {
        slot *b = &s->slots[i];
        if (b->used && b->ready_ms <= now_ms && (!best || b->created_ms < best->created_ms))
            best = b;
    }
    return best;
}

static slot *free_slot(batch_store *s)
{
    for (size_t i = 0; i < s->cap; i++)
        if (!s->slots[i].used) return &s->slots[i];
    return NULL;
}

int batch_put(batch_store *s, const char *mchid, size_t count, char *results, int64_t now_ms,
              int64_t ready_ms, char *id, int *retry_s)
{
    int rc = BATCH_OK;
    if (retry_s) *retry_s = 1;
    if (count > s->max_items) {
        free(results);
        return BATCH_EFULL;
    }
    pthread_mutex_lock(&s->mu);
    sweep(s, now_ms);
    slot *b;
    /* Completed batches make room before a client is refused: their results were
     * there to be read for as long as the store had space. */
    while (!(b = free_slot(s)) || s->items + count > s->max_items) {
        slot *old = oldest_completed(s, now_ms);
        if (!old) break;
        drop(s, old);
    }
    if (!b || s->items + count > s->max_items) {
        int64_t soonest = INT64_MAX;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i].used && s->slots[i].ready_ms < soonest) soonest = s->slots[i].ready_ms;
        if (retry_s && soonest != INT64_MAX) {
            int64_t wait_s = (soonest - now_ms + 999) / 1000;
            *retry_s = wait_s > 0 ? (int)wait_s : 1;
        }
        free(results);
        rc = BATCH_EFULL;
        goto out;
    }
    if (ident_token("fsb_", b->id, sizeof b->id) != 0) {
        free(results);
        memset(b, 0, sizeof *b);
        rc = BATCH_ENOMEM;
        goto out;
    }
    b->used = 1;
    snprintf(b->mchid, sizeof b->mchid, "%s", mchid);
    b->count = count;
    b->results = results;
    b->created_ms = now_ms;
    b->ready_ms = ready_ms;
    s->items += count;
    memcpy(id, b->id, BATCH_ID_LEN);
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int batch_get(batch_store *s, const char *id, const char *mchid, int64_t now_ms, batch_view *out)
{
    int rc = BATCH_ENOTFOUND;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->mu);
    sweep(s, now_ms);
    for (size_t i = 0; i < s->cap; i++) {
        slot *b = &s->slots[i];
        if (!b->used || strcmp(b->id, id) != 0 || strcmp(b->mchid, mchid) != 0) continue;
        memcpy(out->id, b->id, BATCH_ID_LEN);
        out->count = b->count;
        out->completed = now_ms >= b->ready_ms;
        rc = BATCH_OK;
        if (out->completed && !(out->results = strdup(b->results))) rc = BATCH_ENOMEM;
        break;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

size_t batch_count(batch_store *s)
{
    size_t n = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->cap; i++)
        n += s->slots[i].used != 0;
    pthread_mutex_unlock(&s->mu);
    return n;
}
