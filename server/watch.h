/* watch: reloading the scenario from its file, on demand (SIGHUP) or when
 * the file changes (--watch, polling its mtime).
 *
 * A reload is all or nothing: the file is loaded and validated first, and
 * only a good scenario is swapped in (server_reload); a bad one is refused
 * with every error on stderr and the old one keeps serving. Each attempt
 * prints one JSON event line on stdout. */
#ifndef WXAI_WATCH_H
#define WXAI_WATCH_H

#include "server.h"

#define WATCH_INTERVAL_MS 500

typedef struct watch watch;

/* Load path and make it s's scenario. Returns 0, or -1 when refused (the old one stays). */
int watch_reload(server *s, const char *path);
/* Start a thread that reloads path whenever its mtime or size changes (checked every
 * interval_ms). Caller stops it with watch_stop. Returns 0 or -1. */
int watch_start(server *s, const char *path, int interval_ms, watch **out);
/* Stop and join the thread; w may be NULL. */
void watch_stop(watch *w);

#endif
