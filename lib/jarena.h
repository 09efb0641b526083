/* jarena: cJSON trees parsed into one caller-owned block instead of a malloc per node.
 *
 * Every answer the harness receives, and every request body the mock serves, is parsed into
 * a tree, read, and thrown away before the next: a malloc and a free per node (about a
 * hundred for an answer), which overflow glibc's small per-thread cache. A jarena gives
 * those allocations out of one block it keeps, and forgetting the tree is resetting an
 * offset.
 *
 * cJSON allocates through process-wide hooks; jarena installs its own before main. They hand
 * out arena memory only while a jarena_parse runs on the calling thread, and call malloc/free
 * otherwise, so every other tree in the process is made and freed as before.
 *
 * A tree from jarena_parse is read-only to its users: it must not be passed to
 * cJSON_Delete, nor have items added, replaced or detached; jarena_release forgets it.
 * When a text does not fit, it is parsed with malloc as json_parse would (the result says
 * which), and the block grows for the next text, up to JARENA_MAX. */
#ifndef WXAI_JARENA_H
#define WXAI_JARENA_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define JARENA_MIN (16u << 10)  /* the first block */
#define JARENA_MAX (512u << 10) /* the block never grows past this: bounded memory per arena */

typedef struct jarena {
    char *buf; /* NULL until the first parse */
    size_t cap, used;
    size_t want;   /* the capacity the next reset grows to (a text did not fit) */
    int exhausted; /* an allocation did not fit during the current parse */
    int live;      /* buf holds a tree not yet released: a new parse goes to the heap */
} jarena;

enum { JARENA_IN_ARENA = 1, JARENA_ON_HEAP = 2 };

/* Parse len bytes of text as json_parse does (same depth limit and errors, same tree) into
 * *out. While a holds a tree not yet released, the text is parsed with malloc. Returns
 * JARENA_IN_ARENA (the tree lives in a: release it with jarena_release), JARENA_ON_HEAP (it
 * did not fit and was parsed with malloc: cJSON_Delete frees it, jarena_release too), or a
 * JSON_E* error of json_parse with *err_offset set (may be NULL). */
int jarena_parse(jarena *a, const char *text, size_t len, int max_depth, cJSON **out,
                 size_t *err_offset);
/* Forget tree, made by jarena_parse on a with result how (JARENA_IN_ARENA or
 * JARENA_ON_HEAP); tree may be NULL. */
void jarena_release(jarena *a, cJSON *tree, int how);
/* Free a's block; a is left empty and may be used again. a may be NULL. */
void jarena_free(jarena *a);
/* The calling thread's own arena, made at its first call and freed with its block when the
 * thread exits (owned by the thread, not the caller); NULL when out of memory. */
jarena *jarena_thread(void);

#endif
