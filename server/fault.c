/* fault: fault configuration and decisions (see fault.h). */
#include "fault.h"

#include <stdlib.h>
#include <string.h>

#define MAX_MS (365LL * 86400 * 1000)

int fault_matches(const fault_rule *f, int endpoint, const char *mchid)
{
    if (f->endpoint >= 0 && f->endpoint != endpoint) return 0;
    if (f->merchant && (!mchid || strcmp(f->merchant, mchid))) return 0;
    return 1;
}

int fault_fires(const fault_rule *f, uint64_t count, double u, int64_t now_ms)
{
    if (f->has_window && (now_ms < f->start_ms || now_ms >= f->start_ms + f->duration_ms)) return 0;
    if (f->every > 0 && (count == 0 || count % (uint64_t)f->every != 0)) return 0;
    if (f->has_rate && !(u < f->rate)) return 0;
    return 1;
}

int64_t fault_window_left_ms(const fault_rule *f, int64_t now_ms)
{
    if (!f->has_window || now_ms < f->start_ms || now_ms >= f->start_ms + f->duration_ms) return 0;
    return f->start_ms + f->duration_ms - now_ms;
}

/* rate / every / start + duration inside an action's mapping (or the entry itself). */
static void load_trigger(yfield_ctx *c, const ytree_node *m, const char *path, fault_rule *f)
{
    char p[YFIELD_PATH_MAX];
    const ytree_node *v, *s = ytree_get(m, "start"), *d = ytree_get(m, "duration");
    yfield_pathf(p, "%s.rate", path);
    if ((v = ytree_get(m, "rate")) && yfield_get_double(c, v, p, 0, 1, &f->rate) == 0)
        f->has_rate = 1;
    yfield_pathf(p, "%s.every", path);
    if ((v = ytree_get(m, "every"))) yfield_get_int(c, v, p, 1, 1000000000, &f->every);
    if (s || d) {
        if (!s || !d) {
            yfield_err(c, m, path, "a window needs both 'start' and 'duration'");
            return;
        }
        yfield_pathf(p, "%s.start", path);
        int ok = yfield_get_duration_ms(c, s, p, 0, MAX_MS, &f->start_ms) == 0;
        yfield_pathf(p, "%s.duration", path);
        ok &= yfield_get_duration_ms(c, d, p, 1, MAX_MS, &f->duration_ms) == 0;
        f->has_window = ok;
    }
}

static void load_error_fields(yfield_ctx *c, const ytree_node *m, const char *path, fault_rule *f)
{
    char p[YFIELD_PATH_MAX];
    const ytree_node *v;
    int64_t st = f->status;
    yfield_pathf(p, "%s.status", path);
    if ((v = ytree_get(m, "status")) && yfield_get_int(c, v, p, 400, 599, &st) == 0)
        f->status = (int)st;
    yfield_pathf(p, "%s.code", path);
    if ((v = ytree_get(m, "code"))) yfield_set_str(c, v, p, &f->code);
    yfield_pathf(p, "%s.message", path);
    if ((v = ytree_get(m, "message"))) yfield_set_str(c, v, p, &f->message);
}

static void load_one(yfield_ctx *c, const ytree_node *n, const char *path, fault_rule *f)
{
    static const char *const known[] = {"endpoint", "merchant", "error_rate", "every",
                                        "status",   "code",     "message",    "outage",
                                        "error",    "slow",     "reset",      "truncate"};
    static const char *const actions[] = {"error_rate", "every", "outage",  "error",
                                          "slow",       "reset", "truncate"};
    static const char *const trig[] = {"rate", "every", "start", "duration"};
    static const char *const errk[] = {"rate",   "every", "start",  "duration",
                                       "status", "code",  "message"};
    static const char *const slowk[] = {"delay", "rate", "every", "start", "duration"};
    char p[YFIELD_PATH_MAX];
    const ytree_node *v, *act = NULL;
    const char *aname = NULL;
    f->endpoint = -1;
    f->status = 500;
    f->line = n ? n->line : 0;
    if (!yfield_is_map(c, n, path)) return;
    yfield_keys(c, n, known, YFIELD_NELEM(known));
    yfield_pathf(p, "%s.endpoint", path);
    if ((v = ytree_get(n, "endpoint")))
        yfield_get_enum(c, v, p, endpoint_names, ENDPOINT_COUNT, &f->endpoint);
    yfield_pathf(p, "%s.merchant", path);
    if ((v = ytree_get(n, "merchant"))) yfield_set_str(c, v, p, &f->merchant);
    size_t nact = 0;
    for (size_t i = 0; i < YFIELD_NELEM(actions); i++) {
        if ((v = ytree_get(n, actions[i]))) {
            if (!act) {
                act = v;
                aname = actions[i];
            }
            nact++;
        }
    }
    if (nact != 1) {
        yfield_err(c, n, path,
                   "give exactly one of error_rate, every, outage, error, slow, reset, truncate");
        return;
    }
    int flat = !strcmp(aname, "error_rate") || !strcmp(aname, "every");
    if (!flat && (ytree_get(n, "status") || ytree_get(n, "code") || ytree_get(n, "message")))
        yfield_err(c, n, path, "status, code and message go inside '%s' or with error_rate/every",
                   aname);
    yfield_pathf(p, "%s.%s", path, aname);
    if (flat) { /* {error_rate: 0.01} or {every: 10}, with status/code/message beside */
        f->action = FAULT_ERROR;
        if (!strcmp(aname, "error_rate")) {
            if (yfield_get_double(c, act, p, 0, 1, &f->rate) == 0) f->has_rate = 1;
        } else {
            yfield_get_int(c, act, p, 1, 1000000000, &f->every);
        }
        load_error_fields(c, n, path, f);
    } else if (!strcmp(aname, "outage")) {
        static const char *const ok[] = {"start", "duration", "status", "code", "message"};
        f->action = FAULT_ERROR;
        f->is_outage = 1;
        f->status = 503;
        if (!yfield_is_map(c, act, p)) return;
        yfield_keys(c, act, ok, YFIELD_NELEM(ok));
        yfield_need(c, act, "start", p);
        yfield_need(c, act, "duration", p);
        load_trigger(c, act, p, f);
        load_error_fields(c, act, p, f);
    } else if (!strcmp(aname, "error")) {
        f->action = FAULT_ERROR;
        if (!yfield_is_map(c, act, p)) return;
        yfield_keys(c, act, errk, YFIELD_NELEM(errk));
        load_trigger(c, act, p, f);
        load_error_fields(c, act, p, f);
    } else if (!strcmp(aname, "slow")) {
        char q[YFIELD_PATH_MAX];
        f->action = FAULT_SLOW;
        if (!yfield_is_map(c, act, p)) return;
        yfield_keys(c, act, slowk, YFIELD_NELEM(slowk));
        yfield_pathf(q, "%s.delay", p);
        if ((v = yfield_need(c, act, "delay", p)))
            yfield_get_duration_ms(c, v, q, 1, 600000, &f->delay_ms);
        load_trigger(c, act, p, f);
    } else { /* reset, truncate: `true` (always) or a trigger mapping */
        f->action = !strcmp(aname, "reset") ? FAULT_RESET : FAULT_TRUNCATE;
        int b = 0;
        if (act->kind == YT_SCALAR && ytree_bool(act, &b) == 0) {
            if (!b) yfield_err(c, act, p, "write the fault only when it is on (true)");
            return;
        }
        if (!yfield_is_map(c, act, p)) return;
        yfield_keys(c, act, trig, YFIELD_NELEM(trig));
        load_trigger(c, act, p, f);
    }
}

void fault_load(yfield_ctx *c, const ytree_node *n, fault_config *out)
{
    char p[YFIELD_PATH_MAX];
    if (!yfield_is_seq(c, n, "faults", 0, FAULT_MAX)) return;
    for (size_t i = 0; i < n->nitems; i++) {
        yfield_pathf(p, "faults[%zu]", i);
        load_one(c, n->items[i], p, &out->rules[out->n++]);
    }
}

void fault_config_free(fault_config *cfg)
{
    if (!cfg) return;
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->rules[i].merchant);
        free(cfg->rules[i].code);
        free(cfg->rules[i].message);
    }
    cfg->n = 0;
}
