/* directory: the people, devices and recent orders a scenario knows about.
 *
 * Loaded from a fixtures YAML file (fixtures/directory.yaml is the shipped
 * one) so that "Alice", "爱丽丝" and "last night's dinner" resolve to openids
 * and orders. Immutable once loaded and shared read-only between threads. */
#ifndef WXAI_DIRECTORY_H
#define WXAI_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define DIRECTORY_MAX_ALIASES 8
#define DIRECTORY_MAX_PARTICIPANTS 16
#define DIRECTORY_MAX_KEYWORDS 16

typedef struct directory_person {
    char *openid;                          /* "o_alice" */
    char *name;                            /* display name, "Alice" */
    char *aliases[DIRECTORY_MAX_ALIASES];  /* other ways people write the name: "alice w", "爱丽丝" */
    size_t naliases;
    char *devices[8];                      /* known device fingerprints (fraud scoring) */
    size_t ndevices;
    int64_t typical_amount_fen;            /* usual payment size (fraud scoring); 0 unknown */
    int64_t account_age_days;              /* how long the account exists; 0 unknown */
} directory_person;

typedef struct directory_order {
    char *out_trade_no;                    /* "DIN-20261203-0042" */
    char *description;                     /* "Dinner, Haidilao Sanlitun" */
    char *keywords[DIRECTORY_MAX_KEYWORDS];/* words that refer to it: "dinner", "晚饭", "ktv", "rent" */
    size_t nkeywords;
    int64_t total;                         /* minor units of currency */
    char currency[4];                      /* ISO 4217 */
    int64_t at_unix;                       /* when it happened (seconds) */
    char *payer;                           /* openid of who paid it, may be NULL */
    char *participants[DIRECTORY_MAX_PARTICIPANTS]; /* openids */
    size_t nparticipants;
    char *category;                        /* e.g. "real_estate_deposit"; may be NULL */
} directory_order;

/* A known attachment (a receipt photo): its SHA-256 and the order it shows. */
typedef struct directory_receipt {
    unsigned char sha256[32];
    const directory_order *order; /* borrowed from the same directory */
    char *file;                   /* as written in the fixture, or NULL when given by sha256 */
} directory_receipt;

/* A known audio attachment (a voice note): its SHA-256 and what it says. */
typedef struct directory_voice_note {
    unsigned char sha256[32];
    char *text; /* the transcript, 1 to DIRECTORY_TRANSCRIPT_MAX_CHARS characters */
    char *file; /* as written in the fixture, or NULL when given by sha256 */
} directory_voice_note;

#define DIRECTORY_MAX_RECEIPTS 256
#define DIRECTORY_MAX_VOICE_NOTES 256
#define DIRECTORY_TRANSCRIPT_MAX_CHARS 4000    /* what a request's text may be */
#define DIRECTORY_RECEIPT_MAX_BYTES (6u << 20) /* the largest attachment a request can carry */

typedef struct directory {
    directory_person *people;
    size_t npeople;
    directory_order *orders;
    size_t norders;
    directory_receipt *receipts; /* receipts[]: {file | sha256, order} */
    size_t nreceipts;
    directory_voice_note *voice_notes; /* voice_notes[]: {file | sha256, text} */
    size_t nvoice_notes;
} directory;

/* Load a directory file. On success *out is owned by the caller (directory_free);
 * on failure returns -1 with every error in d. */
int directory_load(const char *path, diag *d, directory **out);
/* Free a directory; dir may be NULL. */
void directory_free(directory *dir);

/* Find the people whose name or an alias equals name[0..len) ignoring ASCII case.
 * Writes up to cap borrowed pointers to out and returns how many matched in total. */
size_t directory_find_people(const directory *dir, const char *name, size_t len,
                             const directory_person **out, size_t cap);
/* Receipt whose bytes hash to sha256, or NULL (borrowed). */
const directory_receipt *directory_receipt_by_sha256(const directory *dir,
                                                     const unsigned char sha256[32]);
/* Voice note whose bytes hash to sha256, or NULL (borrowed). */
const directory_voice_note *directory_voice_note_by_sha256(const directory *dir,
                                                           const unsigned char sha256[32]);
/* Order with this out_trade_no, or NULL (borrowed). */
const directory_order *directory_order_by_no(const directory *dir, const char *out_trade_no);
/* Person with this openid, or NULL (borrowed). */
const directory_person *directory_person_by_openid(const directory *dir, const char *openid);

#endif
