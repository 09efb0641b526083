#include "jarena.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "json.h"

/* The arena the hooks allocate from: set only for the length of one jarena_parse. */
static _Thread_local jarena *cur;

static void *hook_malloc(size_t n)
{
    jarena *a = cur;
    if (!a) return malloc(n);
    /* cJSON stores pointers and doubles: 16 bytes keeps every block aligned for either */
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n || need > a->cap - a->used) {
        /* a NULL ends the parse; jarena_parse then takes the heap */
        a->exhausted = 1;
        return NULL;
    }
    void *p = a->buf + a->used;
    a->used += need;
    return p;
}

static void hook_free(void *p)
{
    jarena *a = cur;
    /* cJSON frees a partial tree when a parse fails: inside the arena that is a no-op */
    if (a && (uintptr_t)p - (uintptr_t)a->buf < a->cap) return;
    free(p);
}

/* cJSON reads its hooks without a lock, and the embedded mock's worker threads use cJSON too:
 * the hooks are set before main, while the process has one thread, not at the first parse. */
__attribute__((constructor)) static void install_hooks(void)
{
    cJSON_Hooks h = {.malloc_fn = hook_malloc, .free_fn = hook_free};
    cJSON_InitHooks(&h);
}

/* Get a's block to its wanted size; the old block holds no tree. Returns 0 or -1. */
static int arena_ready(jarena *a)
{
    if (a->buf && a->cap >= a->want) return 0;
    size_t cap = a->want > JARENA_MIN ? a->want : JARENA_MIN;
    if (cap > JARENA_MAX) cap = JARENA_MAX;
    char *b = malloc(cap);
    if (!b) return -1;
    free(a->buf);
    a->buf = b;
    a->cap = a->want = cap;
    return 0;
}

/* 1 when no array or object in t is nested deeper than max (the outermost is depth 1). */
static int depth_within(const cJSON *t, int max)
{
    if (!cJSON_IsArray(t) && !cJSON_IsObject(t)) return 1;
    if (max < 1) return 0;
    for (const cJSON *c = t->child; c; c = c->next)
        if (!depth_within(c, max - 1)) return 0;
    return 1;
}

/* json_parse's answer for a text it accepts, without its pre-pass over every byte for the
 * depth: the tree is measured instead (cJSON bounds its own recursion at 1000). NULL when
 * json_parse would refuse the text, or a tree would not fit: only json_parse itself then
 * says which error and where. */
static cJSON *parse_fast(const char *text, size_t len, int max_depth)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) return NULL;
    for (const char *p = end; p < text + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(root);
            return NULL;
        }
    if (!depth_within(root, max_depth)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int jarena_parse(jarena *a, const char *text, size_t len, int max_depth, cJSON **out,
                 size_t *err_offset)
{
    *out = NULL;
    /* a text larger than half the biggest block makes a tree that would not fit */
    if (!a->live && len <= JARENA_MAX / 2 && arena_ready(a) == 0) {
        a->used = 0;
        a->exhausted = 0;
        cur = a;
        *out = parse_fast(text, len, max_depth);
        cur = NULL;
        if (*out) {
            a->live = 1;
            return JARENA_IN_ARENA;
        }
        if (!a->exhausted) return json_parse(text, len, max_depth, out, err_offset);
        /* the next text of this arena is likely as large: grow at the next parse */
        if (a->cap < JARENA_MAX) a->want = a->cap * 2;
        a->used = 0;
    }
    int rc = json_parse(text, len, max_depth, out, err_offset);
    return rc == JSON_OK ? JARENA_ON_HEAP : rc;
}

void jarena_release(jarena *a, cJSON *tree, int how)
{
    if (!tree) return;
    if (how == JARENA_ON_HEAP) {
        cJSON_Delete(tree);
        return;
    }
    a->used = 0;
    a->live = 0;
}

void jarena_free(jarena *a)
{
    if (!a) return;
    free(a->buf);
    a->buf = NULL;
    a->cap = a->used = a->want = 0;
    a->exhausted = a->live = 0;
}

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;
static int thread_key_ok;

static void thread_exit(void *p)
{
    jarena_free(p);
    free(p);
}

static void thread_key_make(void)
{
    /* a thread-local variable alone would leak its block when a worker thread ends */
    thread_key_ok = pthread_key_create(&thread_key, thread_exit) == 0;
}

jarena *jarena_thread(void)
{
    pthread_once(&thread_once, thread_key_make);
    if (!thread_key_ok) return NULL; /* callers then parse on the heap */
    jarena *a = pthread_getspecific(thread_key);
    if (a) return a;
    if (!(a = calloc(1, sizeof *a))) return NULL;
    if (pthread_setspecific(thread_key, a) != 0) {
        free(a);
        return NULL;
    }
    return a;
}
