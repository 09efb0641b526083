/* The fraud-score request path from bytes to score: json_parse as server.c does, then
 * fraud_parse, fraud_score and fraud_explain as fraud_create does, with the shipped
 * directory. A body with "items" is also walked like fraud_batch_create ("/items/N"
 * prefixes). Checks the documented invariants: the score is the sum of the hits, errors
 * name a field under the prefix. */
#include "fraud.h"
#include "json.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_directory.h"

static directory *dir;
static fraud_input in; /* 8 KB of cadence: not on the stack */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    dir = fuzz_directory("fuzz_fraud");
    return 0;
}

static void one(const cJSON *obj, const char *prefix)
{
    char field[128], issue[160], expl[320];
    fraud_result r;
    int64_t now = 1796385600; /* 2026-12-04T20:00:00+08:00 */
    if (fraud_parse(obj, prefix, now, &in, field, sizeof field, issue, sizeof issue) != 0) {
        if (!memchr(field, '\0', sizeof field) || !memchr(issue, '\0', sizeof issue)) abort();
        if (strncmp(field, prefix, strlen(prefix)) != 0 || !issue[0]) abort();
        return;
    }
    if (in.nchat > FRAUD_MAX_CHAT || in.ncadence > FRAUD_MAX_CADENCE || !in.payer || !in.payee ||
        !in.currency)
        abort();
    fraud_score(dir, &in, &r);
    int sum = 0;
    if (r.nhits > FRAUD_NFACTORS) abort();
    for (size_t i = 0; i < r.nhits; i++) {
        if (!memchr(r.hits[i].detail, '\0', sizeof r.hits[i].detail)) abort();
        if (r.hits[i].contribution != fraud_weight(r.hits[i].factor)) abort();
        sum += r.hits[i].contribution;
        (void)fraud_factor_code(r.hits[i].factor);
    }
    if (sum != r.score || r.score < 0 || r.score > 100) abort();
    fraud_explain(&r, expl, sizeof expl);
    if (!memchr(expl, '\0', sizeof expl)) abort();
    (void)fraud_level(r.score);
    (void)fraud_decision(r.score);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *root = NULL;
    size_t off = 0;
    if (json_parse((const char *)data, size, JSON_MAX_DEPTH, &root, &off) != JSON_OK) return 0;
    one(root, "");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "items");
    if (cJSON_IsArray(items)) {
        char prefix[32];
        size_t i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, items)
        {
            snprintf(prefix, sizeof prefix, "/items/%zu", i++);
            one(it, prefix);
        }
    }
    cJSON_Delete(root);
    return 0;
}
