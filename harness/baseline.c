/* baseline: known failures and regressions against a previous report. See baseline.h. */
#include "baseline.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define NOISE_US 1000.0 /* latency differences below this never count as regressions */

int baseline_load(const char *path, cJSON **out, char *err, size_t cap)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(BASELINE_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, BASELINE_MAX_BYTES + 1, f) : 0;
    int rd = ferror(f);
    fclose(f);
    if (!buf || rd || n > BASELINE_MAX_BYTES) {
        snprintf(err, cap, "%s: %s", path,
                 !buf ? "out of memory"
                 : rd ? "cannot read"
                      : "larger than 64 MiB");
        free(buf);
        return -1;
    }
    size_t at = 0;
    int rc = json_parse(buf, n, 64, out, &at);
    free(buf);
    if (rc != 0 || !cJSON_IsObject(*out) || !cJSON_IsArray(json_obj(*out, "checks"))) {
        snprintf(err, cap, "%s: %s", path,
                 rc != 0 ? "not valid JSON" : "not a wxai-harness report.json (no checks)");
        cJSON_Delete(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static const cJSON *check_named(const cJSON *report, const char *name)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, json_obj(report, "checks"))
    {
        const char *n = json_string(c, "name");
        if (n && !strcmp(n, name)) return c;
    }
    return NULL;
}

/* Did check name fail on endpoint in base? Reports without per-endpoint counts say it
 * for the whole check. */
static int failed_in(const cJSON *base, const char *name, const char *endpoint)
{
    const cJSON *c = check_named(base, name);
    if (!c) return 0;
    const cJSON *be = json_obj(c, "by_endpoint");
    if (!cJSON_IsArray(be)) return json_num(c, "failed", NAN) > 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, be)
    {
        const char *n = json_string(e, "endpoint");
        if (n && !strcmp(n, endpoint)) return json_num(e, "failed", NAN) > 0;
    }
    return 0;
}

static int gate_failed_in(const cJSON *base, const char *expr)
{
    const cJSON *g;
    cJSON_ArrayForEach(g, json_obj(base, "gates"))
    {
        const char *x = json_string(g, "expr");
        if (x && !strcmp(x, expr)) return cJSON_IsFalse(json_obj(g, "passed"));
    }
    return 0;
}

static void note(cJSON *list, const char *kind, const char *name, const char *endpoint)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON_AddStringToObject(o, "name", name);
    if (endpoint) cJSON_AddStringToObject(o, "endpoint", endpoint);
    cJSON_AddItemToArray(list, o);
}

static int regress(cJSON *list, const char *figure, double base, double cur, double tol,
                   double floor_abs)
{
    if (!isfinite(base) || !isfinite(cur) || cur <= base * (1 + tol) || cur - base < floor_abs)
        return 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "figure", figure);
    cJSON_AddNumberToObject(o, "baseline", base);
    cJSON_AddNumberToObject(o, "current", cur);
    cJSON_AddNumberToObject(o, "change", base > 0 ? json_round(cur / base - 1, 4) : 1);
    cJSON_AddItemToArray(list, o);
    return 1;
}

static int latency_regressions(cJSON *list, const cJSON *cur, const cJSON *base, double tol)
{
    int n = 0;
    const cJSON *cl = json_obj(cur, "latency");
    const cJSON *bl = json_obj(base, "latency");
    const char *ps[] = {"p95_us", "p99_us"};
    char fig[160];
    for (int k = 0; k < 2; k++) {
        const cJSON *c = json_obj(json_obj(cl, "overall"), "corrected");
        const cJSON *b = json_obj(json_obj(bl, "overall"), "corrected");
        snprintf(fig, sizeof fig, "latency.overall.%s", ps[k]);
        n += regress(list, fig, json_num(b, ps[k], NAN), json_num(c, ps[k], NAN), tol, NOISE_US);
        const cJSON *ep;
        cJSON_ArrayForEach(ep, json_obj(cl, "endpoints"))
        {
            const cJSON *bep = json_obj(json_obj(bl, "endpoints"), ep->string);
            if (!bep) continue;
            snprintf(fig, sizeof fig, "latency.%.64s.%s", ep->string, ps[k]);
            n += regress(list, fig, json_num(json_obj(bep, "corrected"), ps[k], NAN),
                         json_num(json_obj(ep, "corrected"), ps[k], NAN), tol, NOISE_US);
        }
    }
    return n;
}

int baseline_apply(cJSON *report, const cJSON *base, const char *path, double tol,
                   baseline_verdict *v)
{
    memset(v, 0, sizeof *v);
    cJSON *bl = cJSON_AddObjectToObject(report, "baseline");
    if (!bl) return -1;
    cJSON_AddStringToObject(bl, "path", path);
    cJSON_AddNumberToObject(bl, "tolerance", tol);
    cJSON *known = cJSON_AddArrayToObject(bl, "known_failures");
    cJSON *fresh = cJSON_AddArrayToObject(bl, "new_failures");
    cJSON *regs = cJSON_AddArrayToObject(bl, "regressions");
    if (!known || !fresh || !regs) return -1;

    const cJSON *c;
    cJSON_ArrayForEach(c, json_obj(report, "checks"))
    {
        const char *name = json_string(c, "name");
        const cJSON *e;
        cJSON_ArrayForEach(e, json_obj(c, "by_endpoint"))
        {
            const char *ep = json_string(e, "endpoint");
            if (!name || !ep || !(json_num(e, "failed", NAN) > 0)) continue;
            if (failed_in(base, name, ep)) {
                note(known, "check", name, ep);
                v->known_check_failures++;
            } else {
                note(fresh, "check", name, ep);
                v->new_check_failures++;
            }
        }
    }
    const cJSON *g;
    cJSON_ArrayForEach(g, json_obj(report, "gates"))
    {
        const char *x = json_string(g, "expr");
        if (!x || !cJSON_IsFalse(json_obj(g, "passed"))) continue;
        if (gate_failed_in(base, x)) {
            note(known, "gate", x, NULL);
            v->known_gate_failures++;
        } else {
            note(fresh, "gate", x, NULL);
            v->new_gate_failures++;
        }
    }
    v->regressions += latency_regressions(regs, report, base, tol);
    const cJSON *cc = json_obj(report, "cost");
    const cJSON *bc = json_obj(base, "cost");
    v->regressions += regress(regs, "cost.total_micros", json_num(bc, "total_micros", NAN),
                              json_num(cc, "total_micros", NAN), tol, 1);
    v->regressions += regress(regs, "cost.per_1000_requests_micros",
                              json_num(bc, "per_1000_requests_micros", NAN),
                              json_num(cc, "per_1000_requests_micros", NAN), tol, 1);
    return 0;
}

int baseline_known(const cJSON *report, const char *kind, const char *name, const char *endpoint)
{
    const cJSON *bl = json_obj(report, "baseline");
    const cJSON *k;
    cJSON_ArrayForEach(k, json_obj(bl, "known_failures"))
    {
        const char *kk = json_string(k, "kind"), *n = json_string(k, "name");
        const char *e = json_string(k, "endpoint");
        if (kk && n && !strcmp(kk, kind) && !strcmp(n, name) &&
            (!endpoint || (e && !strcmp(e, endpoint))))
            return 1;
    }
    return 0;
}
