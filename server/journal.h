/* journal: every API exchange, kept for GET /__admin/requests and optionally
 * appended to a file, both in the traffic format (JSONL) that wxai-harness
 * replays (docs/operations.md).
 *
 * Memory is bounded twice: the ring holds at most `capacity` records and at
 * most JOURNAL_RING_BYTES in all, evicting the oldest. The record file gets
 * each line written and flushed before the answer is sent, so a SIGTERM
 * (which lets requests in flight finish) loses nothing. Fraud-score
 * explanations are never written once their explanation_expires_at has
 * passed on the clock: neither to the file nor out of the ring. */
#ifndef WXAI_JOURNAL_H
#define WXAI_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define JOURNAL_DEFAULT_SIZE 1000
#define JOURNAL_MAX_SIZE 1000000
#define JOURNAL_RING_BYTES (64u << 20)     /* all records in the ring together */
#define JOURNAL_RING_LINE_MAX (256u << 10) /* past this a ring record drops its request body */
#define JOURNAL_RAW_BODY_MAX 4096          /* a body that is not JSON is kept as text up to this */

typedef struct journal journal;

/* One exchange as the journal records it (everything borrowed for the call). */
typedef struct journal_exchange {
    const char *method;
    const char *path;            /* path plus ?query, as sent */
    const char *endpoint;        /* label_name() */
    const char *merchant;        /* identified mchid, or NULL */
    const char *idempotency_key; /* request header, or NULL */
    const char *body;            /* request body, or NULL */
    size_t body_len;
    int body_canonical; /* body is JSON exactly as cJSON prints it: recorded as it is */
    int status;
    cJSON *response; /* parsed response body or NULL; expired explanations are removed from it */
    size_t response_len;       /* bytes of the response body sent */
    const char *response_text; /* the body response was parsed from (NUL-terminated), or NULL */
    int response_verbatim;     /* response_text is JSON, one line, nothing to expire, and
                                * response_len long: recorded as it is (response is then NULL) */
} journal_exchange;

/* New journal holding `capacity` records in memory (0: none) and appending to
 * record_path when not NULL. Caller frees with journal_free. Returns 0, or -1
 * with a message on stderr (e.g. the file cannot be opened). */
int journal_new(size_t capacity, const char *record_path, journal **out);
/* Flush and close the file, free the ring; j may be NULL. */
void journal_free(journal *j);
/* Record one exchange (ring and file). Returns 0, or -1 when it could not be recorded. */
int journal_add(journal *j, const journal_exchange *x);
/* The ring as JSONL, oldest first, explanations expired at now_s removed. *out is a new
 * string the caller frees (length in *len). Returns 0 or -1. */
int journal_dump(journal *j, int64_t now_s, char **out, size_t *len);
/* Forget the ring (admin reset). Ids keep counting and the file is kept, so a
 * record file spanning a reset stays one consistent stream. */
void journal_clear(journal *j);
/* Records in the ring. */
size_t journal_count(journal *j);
/* Remove every "explanation" whose sibling "explanation_expires_at" is at or before now_s,
 * anywhere in v. *next_s (may be NULL) gets the earliest expiry still kept, or INT64_MAX.
 * Returns the number removed. */
int journal_strip_expired(cJSON *v, int64_t now_s, int64_t *next_s);

#endif
