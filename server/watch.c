#include "watch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "diag.h"
#include "metrics.h"

#define WATCH_TICK_MS 50 /* how soon watch_stop is noticed */

typedef struct stamp {
    int ok;
    struct timespec mtime;
    off_t size;
    ino_t ino;
} stamp;

static stamp stamp_of(const char *path)
{
    struct stat st;
    stamp t;
    memset(&t, 0, sizeof t);
    if (stat(path, &st) == 0) {
        t.ok = 1;
        t.mtime = st.st_mtim;
        t.size = st.st_size;
        t.ino = st.st_ino;
    }
    return t;
}

struct watch {
    server *srv;
    char *path;
    int interval_ms;
    atomic_int stop;
    pthread_t thread;
    stamp last; /* taken by watch_start, so a change right after it is seen */
};

/* Events and errors from several threads must not interleave mid-line. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

int watch_reload(server *s, const char *path)
{
    diag d;
    scenario *sc = NULL;
    int rc = -1;
    if (diag_init(&d, path) != 0) return -1;
    if (scenario_load(path, &d, &sc) == 0) {
        rc = server_reload(s, sc);
        if (rc != 0) scenario_free(sc);
    }
    if (rc != 0) metrics_reload(server_metrics(s), 0);
    pthread_mutex_lock(&out_lock);
    /* the stream's own lock too: server.c prints its events from CivetWeb's threads with
     * one printf each, which must not land inside this line */
    flockfile(stdout);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "%s\n", d.msgs[i]);
    printf("{\"event\":\"%s\",\"scenario\":", rc == 0 ? "reloaded" : "reload_refused");
    print_json_string(path);
    printf(",\"errors\":%zu}\n", diag_count(&d));
    fflush(stdout);
    funlockfile(stdout);
    pthread_mutex_unlock(&out_lock);
    diag_free(&d);
    return rc;
}

static int stamp_eq(const stamp *a, const stamp *b)
{
    return a->ok == b->ok && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec && a->size == b->size && a->ino == b->ino;
}

static void *run(void *arg)
{
    watch *w = arg;
    stamp last = w->last;
    while (!atomic_load(&w->stop)) {
        /* Sleeping in short ticks keeps shutdown prompt; no clock is read. */
        for (int t = 0; t < w->interval_ms && !atomic_load(&w->stop); t += WATCH_TICK_MS) {
            struct timespec ts = {0, WATCH_TICK_MS * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (atomic_load(&w->stop)) break;
        stamp now = stamp_of(w->path);
        /* A vanished file (an editor replacing it) is waited out, not loaded. */
        if (!now.ok || stamp_eq(&now, &last)) continue;
        last = now;
        watch_reload(w->srv, w->path);
    }
    return NULL;
}

int watch_start(server *s, const char *path, int interval_ms, watch **out)
{
    watch *w = calloc(1, sizeof *w);
    if (!w) return -1;
    w->srv = s;
    w->interval_ms = interval_ms > 0 ? interval_ms : WATCH_INTERVAL_MS;
    atomic_init(&w->stop, 0);
    w->last = stamp_of(path);
    if (!(w->path = strdup(path)) || pthread_create(&w->thread, NULL, run, w) != 0) {
        free(w->path);
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

void watch_stop(watch *w)
{
    if (!w) return;
    atomic_store(&w->stop, 1);
    pthread_join(w->thread, NULL);
    free(w->path);
    free(w);
}
