/* sched: the replay loop: reads the traffic as a stream, sends each record
 * at its time (open model: recorded timing x speed, or a fixed rate) or as
 * soon as a client is free (closed model), runs each record's flow under the
 * client policy on one libcurl multi handle with keep-alive (HTTP/1.1 framed by wire.c on
 * the connections it opens), and hands every
 * exchange to the checks and the stats.
 *
 * A record waits for a free slot when all are busy, and its latency is still
 * counted from the time it should have been sent (coordinated omission). */
#ifndef WXAI_SCHED_H
#define WXAI_SCHED_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "checks.h"
#include "creds.h"
#include "policy.h"
#include "stats.h"

#define SCHED_INPUT_ERRORS 10 /* input errors kept for the report */

/* How a flow's requests go out: framed by wire.c on a connection libcurl opened (http and
 * https without a proxy in the environment; anything else goes the libcurl way), or each
 * one a full libcurl transfer. Token requests are always full transfers. */
enum { SCHED_HTTP_WIRE = 0, SCHED_HTTP_CURL = 1 };

typedef struct sched_opts {
    const char *traffic_path;
    const char *base_url;
    double speed;          /* recorded timing x speed (open model); default 1 */
    double rate;           /* > 0: open model at this many records a second */
    int concurrency;       /* slots: records in flight at once */
    int closed;            /* closed model: send as soon as a slot is free */
    int64_t duration_ms;   /* 0: no limit */
    uint64_t max_requests; /* records; 0: no limit */
    int strict;            /* stop at the first bad line */
    int http_client;       /* SCHED_HTTP_WIRE (default) or SCHED_HTTP_CURL */
    int64_t request_timeout_ms; /* one exchange, connecting included; 0: CLIENT_TIMEOUT_MS */
    const char *cacert;         /* PEM CA bundle for an https target, or NULL */
    FILE *dump;            /* per-record outcomes as JSONL, or NULL */
    /* set (from a signal handler) to end the run at once: flows in flight are dropped and
     * res->interrupted says so; may be NULL */
    volatile sig_atomic_t *stop;
    /* called about four times a second with the figures so far (progress line); may be NULL */
    void (*tick)(void *ud, const stats *st, int64_t elapsed_us);
    void *tick_ud;
} sched_opts;

typedef struct sched_result {
    int input_failed; /* --strict stopped on a bad line, or the traffic could not be read */
    int unreachable;  /* nothing ever answered */
    int interrupted;  /* *stop was set: the figures cover part of the traffic */
    uint64_t unreachable_exchanges;
    char input_errors[SCHED_INPUT_ERRORS][300];
    size_t ninput_errors;
    int64_t started_us, finished_us;
} sched_result;

/* Replay the traffic. Everything counted goes to st and checks; res says how it ended.
 * Returns 0, or -1 when the run could not start (message on stderr). */
int sched_run(const sched_opts *o, const policy_opts *po, const scenario *sc, creds *cr, stats *st,
              check_results *checks, sched_result *res);

#endif
