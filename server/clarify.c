#include "clarify.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "rng.h"

#define CLARIFY_SHARDS 16

typedef struct slot {
    clarify_entry e; /* e.id[0] == 0: free */
    int64_t created_s;
} slot;

typedef struct shard {
    pthread_mutex_t lock;
    slot *slots;
    size_t n;
} shard;

struct clarify_store {
    shard shards[CLARIFY_SHARDS];
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void clarify_entry_clear(clarify_entry *e)
{
    if (!e) return;
    free(e->request);
    free(e->questions);
    free(e->answers);
    free(e->rule);
    memset(e, 0, sizeof *e);
}

static int entry_copy(clarify_entry *dst, const clarify_entry *src)
{
    memset(dst, 0, sizeof *dst);
    memcpy(dst->id, src->id, sizeof dst->id);
    memcpy(dst->mchid, src->mchid, sizeof dst->mchid);
    dst->expires_s = src->expires_s;
    dst->request = dup_or_null(src->request);
    dst->questions = dup_or_null(src->questions);
    dst->answers = dup_or_null(src->answers);
    dst->rule = dup_or_null(src->rule);
    if ((src->request && !dst->request) || (src->questions && !dst->questions) ||
        (src->answers && !dst->answers) || (src->rule && !dst->rule)) {
        clarify_entry_clear(dst);
        return CLARIFY_ENOMEM;
    }
    return CLARIFY_OK;
}

int clarify_store_new(size_t capacity, clarify_store **out)
{
    clarify_store *s = calloc(1, sizeof *s);
    if (!s) return CLARIFY_ENOMEM;
    size_t per = (capacity + CLARIFY_SHARDS - 1) / CLARIFY_SHARDS;
    if (per == 0) per = 1;
    for (size_t i = 0; i < CLARIFY_SHARDS; i++) {
        pthread_mutex_init(&s->shards[i].lock, NULL);
        s->shards[i].n = per;
        s->shards[i].slots = calloc(per, sizeof(slot));
        if (!s->shards[i].slots) {
            clarify_store_free(s);
            return CLARIFY_ENOMEM;
        }
    }
    *out = s;
    return CLARIFY_OK;
}

void clarify_clear(clarify_store *s)
{
    for (size_t i = 0; i < CLARIFY_SHARDS; i++) {
        shard *sh = &s->shards[i];
        pthread_mutex_lock(&sh->lock);
        for (size_t j = 0; j < sh->n; j++)
            clarify_entry_clear(&sh->slots[j].e);
        pthread_mutex_unlock(&sh->lock);
    }
}

void clarify_store_free(clarify_store *s)
{
    if (!s) return;
    for (size_t i = 0; i < CLARIFY_SHARDS; i++) {
        if (s->shards[i].slots) {
            for (size_t j = 0; j < s->shards[i].n; j++)
                clarify_entry_clear(&s->shards[i].slots[j].e);
            free(s->shards[i].slots);
        }
        pthread_mutex_destroy(&s->shards[i].lock);
    }
    free(s);
}

static shard *shard_of(clarify_store *s, const char *id)
{
    return &s->shards[rng_hash(0, id, strlen(id)) % CLARIFY_SHARDS];
}

static slot *find(shard *sh, const char *id)
{
    for (size_t j = 0; j < sh->n; j++)
        if (sh->slots[j].e.id[0] && strcmp(sh->slots[j].e.id, id) == 0) return &sh->slots[j];
    return NULL;
}

/* The id is "clr_<expiry in hex>_<random>": the expiry survives eviction. */
static int id_expiry(const char *id, int64_t *exp)
{
    unsigned long long v;
    int n = 0;
    if (sscanf(id, "clr_%llx_%n", &v, &n) != 1 || n == 0) return -1;
    *exp = (int64_t)v;
    return 0;
}

int clarify_put(clarify_store *s, clarify_entry *e, int64_t now_s)
{
    char rnd[40];
    if (ident_token("", rnd, sizeof rnd) != 0) return CLARIFY_ENOMEM;
    snprintf(e->id, sizeof e->id, "clr_%llx_%s", (unsigned long long)e->expires_s, rnd);

    shard *sh = shard_of(s, e->id);
    pthread_mutex_lock(&sh->lock);
    slot *victim = NULL;
    for (size_t j = 0; j < sh->n; j++) {
        slot *sl = &sh->slots[j];
        if (!sl->e.id[0] || sl->e.expires_s <= now_s) {
            victim = sl;
            break;
        }
        if (!victim || sl->created_s < victim->created_s) victim = sl;
    }
    clarify_entry_clear(&victim->e);
    int rc = entry_copy(&victim->e, e);
    victim->created_s = now_s;
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

int clarify_get(clarify_store *s, const char *id, const char *mchid, int64_t now_s,
                clarify_entry *out)
{
    int64_t exp;
    if (id_expiry(id, &exp) != 0) return CLARIFY_ENOTFOUND;
    shard *sh = shard_of(s, id);
    pthread_mutex_lock(&sh->lock);
    slot *sl = find(sh, id);
    int rc;
    if (!sl)
        rc = exp <= now_s ? CLARIFY_EEXPIRED : CLARIFY_ENOTFOUND;
    else if (strcmp(sl->e.mchid, mchid) != 0)
        rc = CLARIFY_ENOTFOUND;
    else if (sl->e.expires_s <= now_s)
        rc = CLARIFY_EEXPIRED;
    else
        rc = entry_copy(out, &sl->e);
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

int clarify_update(clarify_store *s, const clarify_entry *e)
{
    shard *sh = shard_of(s, e->id);
    pthread_mutex_lock(&sh->lock);
    slot *sl = find(sh, e->id);
    int rc = CLARIFY_ENOTFOUND;
    if (sl) {
        clarify_entry copy;
        rc = entry_copy(&copy, e);
        if (rc == CLARIFY_OK) {
            clarify_entry_clear(&sl->e);
            sl->e = copy;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

void clarify_remove(clarify_store *s, const char *id)
{
    shard *sh = shard_of(s, id);
    pthread_mutex_lock(&sh->lock);
    slot *sl = find(sh, id);
    if (sl) clarify_entry_clear(&sl->e);
    pthread_mutex_unlock(&sh->lock);
}

size_t clarify_count(clarify_store *s)
{
    size_t n = 0;
    for (size_t i = 0; i < CLARIFY_SHARDS; i++) {
        shard *sh = &s->shards[i];
        pthread_mutex_lock(&sh->lock);
        for (size_t j = 0; j < sh->n; j++)
            n += sh->slots[j].e.id[0] != 0;
        pthread_mutex_unlock(&sh->lock);
    }
    return n;
}
