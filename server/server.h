/* server: the mock's HTTP server: CivetWeb, the route table, and the state
 * shared by request threads.
 *
 * How state is shared (no lock serialises all workers):
 * - the scenario is immutable and reference-counted; a request takes a
 *   reference under a read lock held for a pointer copy, and a reload swaps
 *   the pointer under the write lock, so requests never wait for each other;
 * - the nonce cache and the clarification store are sharded, with one mutex
 *   per shard;
 * - the clock is atomics. */
#ifndef WXAI_SERVER_H
#define WXAI_SERVER_H

#include "batch.h"
#include "clarify.h"
#include "journal.h"
#include "metrics.h"
#include "nonce.h"
#include "scenario.h"

#define SERVER_IDLE_TIMEOUT_DEFAULT_MS 30000 /* CivetWeb's own keep-alive default */

typedef struct server_options {
    const char *listen; /* "127.0.0.1:0" (port 0 picks a free port) */
    int threads;        /* worker threads, default 32 (one per open keep-alive connection) */
    const char *admin_token; /* required in X-Admin-Token on /__admin/ paths when not NULL */
    size_t journal_size;     /* exchanges kept in memory; 0 picks JOURNAL_DEFAULT_SIZE */
    int journal_off;         /* keep no exchange in memory (journal_size 0 on the CLI) */
    const char *record_path; /* append every exchange to this JSONL file when not NULL */
    int64_t idle_timeout_ms; /* close a keep-alive connection idle this long; 0: the default */
} server_options;

typedef struct server server;

/* Start serving sc. On success the server owns sc and *out is freed with
 * server_stop; on failure sc still belongs to the caller. Returns 0 or -1
 * with a message on stderr. */
int server_start(const server_options *opts, scenario *sc, server **out);
/* Stop accepting, finish requests in flight, free everything; s may be NULL. */
void server_stop(server *s);
/* "http://127.0.0.1:PORT" (owned by s). */
const char *server_url(const server *s);
/* The port actually bound. */
int server_port(const server *s);
/* The nonce cache (owned by s). */
nonce_cache *server_nonces(server *s);
/* The clarification store (owned by s). */
clarify_store *server_clarifications(server *s);
/* The fraud-score batch store (owned by s). */
batch_store *server_batches(server *s);
/* The /v1 request limiter (owned by s); NULL when s is NULL. */
struct chatlimit *server_chatlimit(server *s);
/* Worker threads (--threads), those holding a connection now, and how many times the last
 * free one took a connection (after which new connections wait). */
void server_workers(server *s, int *total, int *busy, uint64_t *saturations);
/* The journal (owned by s). */
journal *server_journal(server *s);
/* The metrics (owned by s). */
metrics *server_metrics(server *s);
/* The admin token, or NULL when /__admin/ is open (owned by s). */
const char *server_admin_token(const server *s);
/* Monotonic ms at start, for uptime. */
int64_t server_started_ms(const server *s);
/* Directory of the scenario file the server started with, or NULL (owned by s). */
const char *server_base_dir(const server *s);
/* Make sc the scenario of every request that starts from now on; requests in
 * flight finish on the one they hold. Counted in the metrics' reloads. On
 * success s owns sc; on failure (-1)
 * sc is still the caller's. The whole swap is here so per-scenario runtime
 * state can be attached in one place. */
int server_reload(server *s, scenario *sc);
/* Forget the journal, nonces, clarifications, idempotency keys and counters (admin reset). */
void server_reset(server *s);

#endif
