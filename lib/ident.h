/* ident: identifiers that must be unique, not reproducible.
 *
 * Request-IDs, nonces and resource ids come from the operating system's
 * random source: two runs of the same scenario must not hand out the same
 * confirmation token. Everything that shapes an answer uses rng.h instead. */
#ifndef WXAI_IDENT_H
#define WXAI_IDENT_H

#include <stddef.h>

#define IDENT_UUID_LEN 37  /* 36 chars + NUL */
#define IDENT_NONCE_LEN 33 /* 32 chars [0-9A-Za-z] + NUL */

/* Random version-4 UUID into out (>= IDENT_UUID_LEN). Returns 0 or -1. */
int ident_uuid(char *out, size_t cap);
/* Random 32-character [0-9A-Za-z] nonce into out (>= IDENT_NONCE_LEN). Returns 0 or -1. */
int ident_nonce(char *out, size_t cap);
/* prefix followed by 24 random [0-9a-z] characters ("clr_...") into out. Returns 0 or -1. */
int ident_token(const char *prefix, char *out, size_t cap);

#endif
