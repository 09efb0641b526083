/* drift: model versions and drift schedules (see drift.h). */
#include "drift.h"

#include <stdlib.h>
#include <string.h>

#define MAX_MS (365LL * 86400 * 1000)

int drift_find(const drift_model *m, const char *id)
{
    for (size_t i = 0; id && i < m->nversions; i++)
        if (m->versions[i].id && !strcmp(m->versions[i].id, id)) return (int)i;
    return -1;
}

double drift_confidence(const drift_version *v, double confidence, double z)
{
    double c = confidence + (v->mean - DRIFT_BASE_MEAN) + v->stddev * z;
    return c < 0 ? 0 : c > 1 ? 1 : c;
}

static void load_version(yfield_ctx *c, const ytree_node *vn, const char *path, drift_model *m)
{
    static const char *const vknown[] = {"id", "confidence"};
    static const char *const cknown[] = {"mean", "stddev", "shift"};
    char p[YFIELD_PATH_MAX];
    const ytree_node *id, *cf, *f;
    if (!yfield_is_map(c, vn, path)) return;
    yfield_keys(c, vn, vknown, YFIELD_NELEM(vknown));
    yfield_pathf(p, "%s.id", path);
    if (!(id = yfield_need(c, vn, "id", path))) return;
    char *s = yfield_get_str(c, id, p);
    if (!s) return;
    if (drift_find(m, s) >= 0) {
        yfield_err(c, id, p, "duplicate version id '%s'", s);
        free(s);
        return;
    }
    drift_version *v = &m->versions[m->nversions];
    const drift_version *prev = m->nversions ? &m->versions[m->nversions - 1] : NULL;
    v->id = s;
    v->mean = prev ? prev->mean : DRIFT_BASE_MEAN;
    v->stddev = prev ? prev->stddev : 0;
    m->nversions++;
    yfield_pathf(p, "%s.confidence", path);
    if (!(cf = ytree_get(vn, "confidence")) || !yfield_is_map(c, cf, p)) return;
    yfield_keys(c, cf, cknown, YFIELD_NELEM(cknown));
    const ytree_node *mean = ytree_get(cf, "mean"), *shift = ytree_get(cf, "shift");
    if (mean && shift) {
        yfield_err(c, cf, p, "give either 'mean' or 'shift' (relative to the previous version)");
    } else if (mean) {
        yfield_pathf(p, "%s.confidence.mean", path);
        yfield_get_double(c, mean, p, 0, 1, &v->mean);
    } else if (shift) {
        double d = 0;
        yfield_pathf(p, "%s.confidence.shift", path);
        if (yfield_get_double(c, shift, p, -1, 1, &d) == 0) {
            v->mean += d;
            if (v->mean < 0 || v->mean > 1)
                yfield_err(c, shift, p, "moves the mean to %.4g, outside 0 to 1", v->mean);
        }
    } else if (!ytree_get(cf, "stddev")) {
        yfield_err(c, cf, p, "needs 'mean' (with 'stddev') or 'shift'");
    }
    yfield_pathf(p, "%s.confidence.stddev", path);
    if ((f = ytree_get(cf, "stddev"))) yfield_get_double(c, f, p, 0, 1, &v->stddev);
}

static void load_step(yfield_ctx *c, const ytree_node *sn, const char *path, drift_model *m)
{
    static const char *const known[] = {"at_request", "at", "on", "to"};
    static const char *const ons[] = {"admin"};
    char p[YFIELD_PATH_MAX];
    const ytree_node *f, *to;
    if (!yfield_is_map(c, sn, path)) return;
    yfield_keys(c, sn, known, YFIELD_NELEM(known));
    drift_step *s = &m->steps[m->nsteps];
    int n = !!ytree_get(sn, "at_request") + !!ytree_get(sn, "at") + !!ytree_get(sn, "on");
    if (n != 1) {
        yfield_err(c, sn, path, "give exactly one of at_request: N, at: 90s, on: admin");
        return;
    }
    int ok = 1;
    if ((f = ytree_get(sn, "at_request"))) {
        s->when = DRIFT_AT_REQUEST;
        yfield_pathf(p, "%s.at_request", path);
        ok = yfield_get_int(c, f, p, 1, INT64_MAX / 2, &s->at_request) == 0;
    } else if ((f = ytree_get(sn, "at"))) {
        s->when = DRIFT_AT_TIME;
        yfield_pathf(p, "%s.at", path);
        ok = yfield_get_duration_ms(c, f, p, 0, MAX_MS, &s->at_ms) == 0;
    } else {
        int which = 0;
        s->when = DRIFT_ON_ADMIN;
        yfield_pathf(p, "%s.on", path);
        ok = yfield_get_enum(c, ytree_get(sn, "on"), p, ons, 1, &which) == 0;
    }
    yfield_pathf(p, "%s.to", path);
    if (!(to = yfield_need(c, sn, "to", path))) return;
    if (to->kind != YT_SCALAR || (s->to = drift_find(m, to->str)) < 0) {
        const char *ids[DRIFT_MAX_VERSIONS];
        for (size_t i = 0; i < m->nversions; i++)
            ids[i] = m->versions[i].id;
        const char *near = to->kind == YT_SCALAR ? ytree_nearest(to->str, ids, m->nversions) : NULL;
        if (near)
            yfield_err(c, to, p, "no version '%s' (did you mean '%s'?)", to->str, near);
        else
            yfield_err(c, to, p, "must name one of the versions listed above");
        return;
    }
    if (ok) m->nsteps++;
}

static void load_model(yfield_ctx *c, const ytree_node *n, const char *path, drift_model *m)
{
    static const char *const known[] = {"versions", "drift"};
    char p[YFIELD_PATH_MAX];
    const ytree_node *v;
    if (!yfield_is_map(c, n, path)) return;
    yfield_keys(c, n, known, YFIELD_NELEM(known));
    yfield_pathf(p, "%s.versions", path);
    if (!(v = yfield_need(c, n, "versions", path)) ||
        !yfield_is_seq(c, v, p, 1, DRIFT_MAX_VERSIONS))
        return;
    for (size_t i = 0; i < v->nitems; i++) {
        yfield_pathf(p, "%s.versions[%zu]", path, i);
        load_version(c, v->items[i], p, m);
    }
    yfield_pathf(p, "%s.drift", path);
    if (!(v = ytree_get(n, "drift")) || !yfield_is_seq(c, v, p, 0, DRIFT_MAX_STEPS)) return;
    for (size_t i = 0; i < v->nitems; i++) {
        yfield_pathf(p, "%s.drift[%zu]", path, i);
        load_step(c, v->items[i], p, m);
    }
}

void drift_load(yfield_ctx *c, const ytree_node *n, drift_config *out)
{
    char p[YFIELD_PATH_MAX];
    if (!yfield_is_map(c, n, "models")) return;
    yfield_keys(c, n, endpoint_names, ENDPOINT_COUNT);
    for (int e = 0; e < ENDPOINT_COUNT; e++) {
        const ytree_node *v = ytree_get(n, endpoint_names[e]);
        yfield_pathf(p, "models.%s", endpoint_names[e]);
        if (v) load_model(c, v, p, &out->endpoint[e]);
    }
}

int drift_finish(drift_config *cfg)
{
    for (int e = 0; e < ENDPOINT_COUNT; e++) {
        drift_model *m = &cfg->endpoint[e];
        if (m->nversions) continue;
        if (!(m->versions[0].id = strdup(DRIFT_DEFAULT_VERSION))) return -1;
        m->versions[0].mean = DRIFT_BASE_MEAN;
        m->versions[0].stddev = 0;
        m->nversions = 1;
    }
    return 0;
}

void drift_config_free(drift_config *cfg)
{
    if (!cfg) return;
    for (int e = 0; e < ENDPOINT_COUNT; e++) {
        for (size_t i = 0; i < cfg->endpoint[e].nversions; i++)
            free(cfg->endpoint[e].versions[i].id);
        cfg->endpoint[e].nversions = 0;
    }
}
