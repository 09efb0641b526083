/* checks: the named conformance checks of DESIGN.md.
 *
 * Each check is a small function over one exchange (request as sent and
 * response as seen) or, for the flow checks, over a whole record's flow. It
 * says pass, fail (with what it expected and what it saw) or skip (does not
 * apply). Results keep counts and the first CHECK_EXAMPLES failures of each
 * check with the record id and a curl command, so memory stays bounded. */
#ifndef WXAI_CHECKS_H
#define WXAI_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "scenario.h"
#include "traffic.h"

#define CHECK_EXAMPLES 5
#define CHECK_TEXT_MAX 320
#define CHECK_MAX_ENDPOINTS 16 /* per-endpoint tallies; past it, the last slot is "other" */

enum { CHECK_SKIP = 0, CHECK_PASS = 1, CHECK_FAIL = 2 };
enum { CHECK_ON_EXCHANGE = 0, CHECK_ON_FLOW = 1 };

typedef enum {
    CK_STATUS_CODE,
    CK_CONTENT_TYPE,
    CK_RESPONSE_SCHEMA,
    CK_SIGNATURE,
    CK_REQUEST_ID,
    CK_ERROR_SHAPE,
    CK_RETRY_AFTER,
    CK_CLARIFICATION_FLOW,
    CK_AMOUNTS,
    CK_CONFIDENCE,
    CK_COST,
    CK_EXPECTATIONS,
    CHECK_COUNT
} check_id;

/* What a check looks at. Exchange checks read ex; flow checks read the flow fields. */
typedef struct check_ctx {
    const traffic_record *rec;
    const scenario *sc;                /* pricing, default threshold */
    const scenario_merchant *merchant; /* may be NULL (chat, unknown merchant) */
    const char *endpoint;              /* "order_routing", "token", ... of this exchange */
    const exchange *ex;                /* the exchange (on a flow: the last one) */
    /* flow */
    long primary_status;      /* final status of the record's own request (after retries) */
    const char *final_intent; /* intent.type of the flow's outcome, or NULL */
    const char *clar_problem; /* why the clarification flow went wrong, or NULL */
    int clar_rounds;          /* answers sent */
} check_ctx;

typedef struct check_verdict {
    int result;
    char expected[CHECK_TEXT_MAX];
    char seen[CHECK_TEXT_MAX];
} check_verdict;

typedef struct check_example {
    char record_id[TRAFFIC_ID_MAX];
    char endpoint[48];
    long line;
    char expected[CHECK_TEXT_MAX];
    char seen[CHECK_TEXT_MAX];
    char *curl; /* owned */
} check_example;

typedef struct check_tally {
    uint64_t passed, failed, skipped;
    check_example examples[CHECK_EXAMPLES];
    size_t nexamples;
} check_tally;

/* Counts of every check on one endpoint (JUnit has a testcase per check per endpoint). */
typedef struct check_endpoint {
    char name[48];
    uint64_t passed[CHECK_COUNT], failed[CHECK_COUNT];
} check_endpoint;

typedef struct check_results {
    unsigned enabled; /* bit per check_id */
    check_tally t[CHECK_COUNT];
    check_endpoint ep[CHECK_MAX_ENDPOINTS];
    size_t nep;
} check_results;

/* Optional response-body validator (the OpenAPI one when it is linked): returns 1 when
 * valid, 0 with a message in msg when not, -1 when it has nothing to say (no schema). */
typedef int (*check_schema_fn)(void *ud, const exchange *ex, char *msg, size_t cap);

/* Name of a check (static string). */
const char *check_name(check_id id);
/* Whether the check runs per exchange or per flow. */
int check_phase(check_id id);
/* Enabled checks from comma-separated --checks (NULL or "all": every one) minus
 * --exclude-checks (may be NULL). Returns 0, or -1 with "unknown check 'x'" in err. */
int check_select(const char *only, const char *exclude, unsigned *mask, char *err, size_t cap);
/* Use fn as the response schema validator (NULL: the built-in required-fields check). */
void check_set_schema(check_schema_fn fn, void *ud);
/* Run one check. */
void check_run(check_id id, const check_ctx *ctx, check_verdict *v);
/* Run every enabled check of phase on ctx and tally the results into r. Returns the
 * number of failures. */
int check_all(check_results *r, int phase, const check_ctx *ctx);
/* Free the examples r holds; r may be NULL. */
void check_results_free(check_results *r);

#endif
