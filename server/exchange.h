/* exchange: what happens once a request has been answered: the metrics count
 * it and the journal records it. Called once per request, by http_send just
 * before the answer is written (a client that has its answer finds it in the
 * journal), or by dispatch after a streamed answer. */
#ifndef WXAI_EXCHANGE_H
#define WXAI_EXCHANGE_H

#include <stdint.h>

#include "http.h"
#include "journal.h"
#include "metrics.h"

/* Count and record req (j and m may be NULL). Admin and /metrics requests are
 * neither; token requests are counted but not journaled (their body is the
 * client secret, and a replayer fetches its own tokens). */
void exchange_observe(journal *j, metrics *m, const http_req *req, int64_t elapsed_ms);

#endif
