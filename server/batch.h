/* batch: bounded storage for asynchronous fraud-score batches.
 *
 * A batch is scored when it is submitted; its results (one JSON array text)
 * are held back until its ready time on the scenario clock has passed, so a
 * client sees "processing" first and "completed" later without any background
 * thread. The store is capped in batches and in items: expired batches go
 * first, then the oldest completed ones; when everything stored is still
 * processing a new batch is refused. One mutex: batches are few and large. */
#ifndef WXAI_BATCH_H
#define WXAI_BATCH_H

#include <stddef.h>
#include <stdint.h>

#define BATCH_ID_LEN 40
#define BATCH_MAX_STORED 64       /* batches kept at once */
#define BATCH_MAX_ITEMS 20000     /* items kept at once, over all batches */
#define BATCH_TTL_MS (86400000LL) /* a batch is kept one day after it was submitted */

enum { BATCH_OK = 0, BATCH_ENOTFOUND = -1, BATCH_EFULL = -2, BATCH_ENOMEM = -3 };

typedef struct batch_store batch_store;

typedef struct batch_view {
    char id[BATCH_ID_LEN];
    size_t count;
    int completed;
    char *results; /* JSON array text when completed (caller frees), else NULL */
} batch_view;

/* New store holding at most max_batches batches and max_items items; ttl_ms after
 * submission a batch is gone. Returns BATCH_OK or BATCH_ENOMEM. */
int batch_store_new(size_t max_batches, size_t max_items, int64_t ttl_ms, batch_store **out);
/* Free the store and every batch; s may be NULL. */
void batch_store_free(batch_store *s);
/* Store count results (results: a JSON array text, taken over even on error) for mchid,
 * ready at ready_ms. Writes the new id to id (BATCH_ID_LEN bytes). BATCH_EFULL when no
 * room can be made; *retry_s then says when a batch will have completed. */
int batch_put(batch_store *s, const char *mchid, size_t count, char *results, int64_t now_ms,
              int64_t ready_ms, char *id, int *retry_s);
/* Look up id for mchid (another merchant's batch is not found). Fills *out. */
int batch_get(batch_store *s, const char *id, const char *mchid, int64_t now_ms, batch_view *out);
/* Batches stored now (expired ones not yet swept may count). */
size_t batch_count(batch_store *s);

#endif
