/* clarify: the pending clarifications of 202 answers.
 *
 * Each entry keeps what is needed to finish the request later: the original
 * request body, the open questions and the answers so far, all as compact
 * JSON text. The store holds at most `capacity` entries (a scenario default)
 * and evicts expired ones first, then the oldest, so memory is bounded. An
 * id carries its own expiry, so an evicted but expired id still answers 410
 * rather than 404. Entries live in shards with a lock each. */
#ifndef WXAI_CLARIFY_H
#define WXAI_CLARIFY_H

#include <stddef.h>
#include <stdint.h>

#define CLARIFY_ID_LEN 64

typedef struct clarify_store clarify_store;

typedef struct clarify_entry {
    char id[CLARIFY_ID_LEN];
    char mchid[64];
    int64_t expires_s;
    char *request;   /* original request body (JSON text) */
    char *questions; /* JSON array of the open questions, as sent */
    char *answers;   /* JSON array of the answers so far: [{"question_id", "option_id"|"text"}] */
    char *rule;      /* name of the scripted rule that asked, or NULL for the model */
} clarify_entry;

enum { CLARIFY_OK = 0, CLARIFY_ENOTFOUND = -1, CLARIFY_EEXPIRED = -2, CLARIFY_ENOMEM = -3 };

/* New store for at most capacity live entries. Caller frees with clarify_store_free. */
int clarify_store_new(size_t capacity, clarify_store **out);
/* Free the store and every entry; s may be NULL. */
void clarify_store_free(clarify_store *s);
/* Store a copy of e under a new id, written to e->id. Returns CLARIFY_OK or CLARIFY_ENOMEM. */
int clarify_put(clarify_store *s, clarify_entry *e, int64_t now_s);
/* Copy the entry with this id into *out (caller releases with clarify_entry_clear).
 * CLARIFY_ENOTFOUND for unknown ids and other merchants', CLARIFY_EEXPIRED past its TTL. */
int clarify_get(clarify_store *s, const char *id, const char *mchid, int64_t now_s,
                clarify_entry *out);
/* Replace the questions and answers of an existing entry (copies). */
int clarify_update(clarify_store *s, const clarify_entry *e);
/* Drop an entry (answered). */
void clarify_remove(clarify_store *s, const char *id);
/* Forget every entry (admin reset). */
void clarify_clear(clarify_store *s);
/* Number of live entries. */
size_t clarify_count(clarify_store *s);
/* Free the strings a copied entry owns; e may be NULL. */
void clarify_entry_clear(clarify_entry *e);

#endif
