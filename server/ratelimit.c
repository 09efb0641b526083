/* ratelimit: GCRA token buckets (see ratelimit.h). */
#include "ratelimit.h"

#include <math.h>
#include <string.h>

#define NS 1000000000LL

static void fill(const ratelimit_rule *r, int64_t tat, int64_t now_ns, ratelimit_result *out)
{
    int64_t t = r->interval_ns, ahead = tat > now_ns ? tat - now_ns : 0;
    int64_t room = r->burst * t - ahead; /* how much of the bucket is free */
    out->remaining = room > 0 ? room / t : 0;
    /* the next request is allowed once ahead <= (burst - 1) * t */
    int64_t wait = ahead - (r->burst - 1) * t;
    out->reset_s = out->remaining > 0 || wait <= 0 ? 0 : (wait + NS - 1) / NS;
    out->quota = r->burst;
    out->window_s = (int64_t)ceil((double)r->burst / r->rate - 1e-9);
    if (out->window_s < 1) out->window_s = 1;
}

void ratelimit_take(const ratelimit_rule *r, _Atomic int64_t *tat, int64_t now_ns,
                    ratelimit_result *out)
{
    int64_t t = r->interval_ns, tau = (r->burst - 1) * t;
    int64_t old = atomic_load(tat);
    for (;;) {
        int64_t base = old > now_ns ? old : now_ns;
        if (base - now_ns > tau) {
            fill(r, old, now_ns, out);
            out->allowed = 0;
            if (out->reset_s < 1) out->reset_s = 1;
            return;
        }
        if (atomic_compare_exchange_weak(tat, &old, base + t)) {
            fill(r, base + t, now_ns, out);
            out->allowed = 1;
            return;
        }
    }
}

void ratelimit_peek(const ratelimit_rule *r, _Atomic int64_t *tat, int64_t now_ns,
                    ratelimit_result *out)
{
    fill(r, atomic_load(tat), now_ns, out);
    out->allowed = out->remaining > 0;
}

static void set_rate(ratelimit_rule *r, double rate, int64_t burst)
{
    r->rate = rate;
    r->burst = burst;
    r->interval_ns = (int64_t)llround(1e9 / rate);
    if (r->interval_ns < 1) r->interval_ns = 1;
}

void ratelimit_finish(ratelimit_config *cfg)
{
    for (int e = 0; e < ENDPOINT_COUNT; e++) {
        ratelimit_rule *r = &cfg->endpoint[e];
        if (r->per == RATELIMIT_DEFAULT) {
            r->per = RATELIMIT_MERCHANT;
            set_rate(r, RATELIMIT_DEFAULT_RATE, RATELIMIT_DEFAULT_RATE);
        }
    }
}

void ratelimit_load(yfield_ctx *c, const ytree_node *n, ratelimit_config *out)
{
    static const char *const known[] = {"per", "rate", "burst"};
    static const char *const pers[] = {"merchant", "global"};
    char p[YFIELD_PATH_MAX], q[YFIELD_PATH_MAX];
    if (!yfield_is_map(c, n, "rate_limits")) goto done;
    yfield_keys(c, n, endpoint_names, ENDPOINT_COUNT);
    for (int e = 0; e < ENDPOINT_COUNT; e++) {
        const ytree_node *v = ytree_get(n, endpoint_names[e]), *f;
        ratelimit_rule *r = &out->endpoint[e];
        yfield_pathf(p, "rate_limits.%s", endpoint_names[e]);
        if (!v) continue;
        if (v->kind == YT_SCALAR && !strcmp(v->str, "off")) {
            r->per = RATELIMIT_OFF;
            continue;
        }
        if (v->kind != YT_MAP) {
            yfield_err(c, v, p, "must be {per: merchant|global, rate: N, burst: N} or off");
            continue;
        }
        yfield_keys(c, v, known, YFIELD_NELEM(known));
        int per = 0;
        double rate = 0;
        int64_t burst = 0;
        yfield_pathf(q, "%s.per", p);
        if ((f = ytree_get(v, "per"))) yfield_get_enum(c, f, q, pers, 2, &per);
        yfield_pathf(q, "%s.rate", p);
        if ((f = yfield_need(c, v, "rate", p)) && yfield_get_double(c, f, q, 0.001, 1e6, &rate) < 0)
            continue;
        if (!f) continue;
        burst = (int64_t)ceil(rate);
        yfield_pathf(q, "%s.burst", p);
        if ((f = ytree_get(v, "burst"))) yfield_get_int(c, f, q, 1, 100000, &burst);
        if (burst > 100000) {
            yfield_err(c, v, p, "burst defaults to the rate, which is above 100000: give burst");
            continue;
        }
        r->per = per == 1 ? RATELIMIT_GLOBAL : RATELIMIT_MERCHANT;
        set_rate(r, rate, burst);
    }
done:
    ratelimit_finish(out);
}
