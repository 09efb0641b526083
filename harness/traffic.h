/* traffic: the JSONL recordings of DESIGN.md, read as a stream.
 *
 * One record is parsed at a time from a fixed line buffer, so a file of any
 * length replays in constant memory. A line longer than the cap, or one that
 * is not a valid record, is reported as "file:line: message" and skipped; the
 * caller decides whether that stops the run (--strict). */
#ifndef WXAI_TRAFFIC_H
#define WXAI_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define TRAFFIC_LINE_MAX (1u << 20) /* 1 MiB: the contract's body cap plus room */
#define TRAFFIC_ID_MAX 128
#define TRAFFIC_PATH_MAX 1024

typedef struct traffic_record {
    char id[TRAFFIC_ID_MAX];
    long line; /* 1-based line in the file */
    int64_t at_ms;
    char merchant[64];
    char endpoint[48]; /* "order_routing", "fraud_score", "chat_completions", ... */
    char method[8];
    char path[TRAFFIC_PATH_MAX];
    char serial[64]; /* optional key serial to sign with ("" = the merchant's first) */
    char *body;      /* compact JSON text of request.body, or NULL for none (owned) */
    size_t body_len;
    cJSON *answers; /* {"question_id": "option or text"} or NULL (owned) */
    cJSON *truth;   /* {"intent", "amount_total", "currency"} or NULL (owned) */
    cJSON *expect;  /* {"status": [..], "intent": "..."} or NULL (owned) */
} traffic_record;

typedef struct traffic traffic;

enum { TRAFFIC_EOF = 0, TRAFFIC_RECORD = 1, TRAFFIC_BAD = -1, TRAFFIC_EIO = -2 };

/* Open path ("-" is stdin) for reading. *out is owned by the caller (traffic_close).
 * Returns 0, or -1 with "path: reason" in err. */
int traffic_open(const char *path, traffic **out, char *err, size_t errcap);
/* Close t; t may be NULL. */
void traffic_close(traffic *t);
/* Read the next record into *rec (cleared first; its owned fields freed by
 * traffic_record_clear). TRAFFIC_RECORD, TRAFFIC_EOF, or TRAFFIC_BAD with
 * "file:line: message" in err (the line is skipped and reading may go on),
 * or TRAFFIC_EIO when the file cannot be read further. */
int traffic_next(traffic *t, traffic_record *rec, char *err, size_t errcap);
/* Parse one line of text (len bytes, no newline) as a record; line and name are
 * for messages. Same results as traffic_next. */
int traffic_parse_line(const char *name, long line, const char *text, size_t len,
                       traffic_record *rec, char *err, size_t errcap);
/* Free what rec owns and empty it (numbers 0, strings "", pointers NULL); rec may be NULL. */
void traffic_record_clear(traffic_record *rec);
/* Move src into dst (empty, owning nothing); src is left empty. */
void traffic_record_move(traffic_record *dst, traffic_record *src);
/* Lines read so far. */
long traffic_lines(const traffic *t);

/* sha256 of a whole file as 64 hex digits into out (>= 65 bytes), read in chunks.
 * Returns 0 or -1. */
int traffic_sha256_file(const char *path, char *out, size_t cap);

#endif
