/* receipt: the attachments of an order-routing request (images and audio,
 * base64) and what the mock can read from them.
 *
 * Recognition is by content: an attachment whose bytes hash (SHA-256) like a
 * receipt listed in the directory fixture is read as that order, an audio clip
 * that hashes like a listed voice note as its transcript; anything else is
 * "unreadable" and the caller answers with low confidence. Every attachment
 * is checked before anything is decoded into memory: count, type, MIME type
 * against the bytes' magic number, and the decoded size cap. */
#ifndef WXAI_RECEIPT_H
#define WXAI_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "directory.h"

#define RECEIPT_MAX_ATTACHMENTS 4
#define RECEIPT_MAX_DECODED (6u << 20) /* bytes, over all attachments of a request */
#define RECEIPT_BASE_TOKENS 85         /* billed per attachment, plus one per started KiB */

typedef struct receipt_info {
    size_t count;                 /* attachments sent */
    const char *modality;         /* "image" when any is an image, else "audio" */
    int64_t tokens;               /* input tokens the attachments bill for */
    size_t decoded_bytes;         /* total */
    const directory_order *order; /* the first recognised receipt's order, or NULL */
    size_t recognised;            /* attachments that matched a known receipt */
    /* the texts of the recognised voice notes, in attachment order, each once (borrowed) */
    const char *transcripts[RECEIPT_MAX_ATTACHMENTS];
    size_t transcribed; /* entries of transcripts */
} receipt_info;

/* Check and read attachments (the request's "attachments" array, non-empty). On error
 * returns -1 with a JSON pointer in field and the problem in issue. dir may be NULL. */
int receipt_read(const cJSON *attachments, const directory *dir, receipt_info *out, char *field,
                 size_t fcap, char *issue, size_t icap);
/* Whether the MIME type names bytes like data[0..len) (magic numbers). */
int receipt_magic_ok(const char *mime, const unsigned char *data, size_t len);

#endif
