#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt.h"
#include "histogram.h"
#include "json.h"

/* Vegeta prints durations with the unit that keeps them readable. */
static void fmt_us(char *buf, size_t cap, int64_t us)
{
    if (us < 1000)
        snprintf(buf, cap, "%lldµs", (long long)us);
    else if (us < 1000000)
        snprintf(buf, cap, "%.3fms", (double)us / 1e3);
    else
        snprintf(buf, cap, "%.3fs", (double)us / 1e6);
}

static void latency_line(FILE *f, const char *label, const histogram *h)
{
    char v[7][32];
    fmt_us(v[0], 32, histogram_min(h));
    fmt_us(v[1], 32, (int64_t)histogram_mean(h));
    fmt_us(v[2], 32, histogram_percentile(h, 50));
    fmt_us(v[3], 32, histogram_percentile(h, 90));
    fmt_us(v[4], 32, histogram_percentile(h, 95));
    fmt_us(v[5], 32, histogram_percentile(h, 99));
    fmt_us(v[6], 32, histogram_max(h));
    fprintf(f, "%-14s[min, mean, 50, 90, 95, 99, max]  %s, %s, %s, %s, %s, %s, %s\n", label, v[0],
            v[1], v[2], v[3], v[4], v[5], v[6]);
}

static double secs(int64_t us)
{
    return (double)us / 1e6;
}

static void micros_str(char *buf, size_t cap, int64_t m, const char *cur)
{
    char amount[32];
    fmt_micros(amount, sizeof amount, m);
    snprintf(buf, cap, "%s %s", amount, cur ? cur : "");
}

void report_text(FILE *f, const report_info *ri, const stats *st, const check_results *cr,
                 const sched_result *res)
{
    int64_t attack =
        st->last_sent_us > st->first_sent_us ? st->last_sent_us - st->first_sent_us : 0;
    int64_t wait = st->last_done_us > st->last_sent_us ? st->last_done_us - st->last_sent_us : 0;
    double rate = attack > 0 ? (double)st->exchanges / secs(attack) : 0;
    double thr = attack + wait > 0 ? (double)st->successes / secs(attack + wait) : 0;
    char d[3][32];
    fmt_us(d[0], 32, attack + wait);
    fmt_us(d[1], 32, attack);
    fmt_us(d[2], 32, wait);
    fprintf(f, "Requests      [total, rate, throughput]         %llu, %.2f, %.2f\n",
            (unsigned long long)st->exchanges, rate, thr);
    fprintf(f, "Duration      [total, attack, wait]             %s, %s, %s\n", d[0], d[1], d[2]);
    latency_line(f, "Latencies", st->corrected);
    latency_line(f, "Uncorrected", st->uncorrected);
    fprintf(f, "Bytes In      [total, mean]                     %llu, %.2f\n",
            (unsigned long long)st->bytes_in,
            st->exchanges ? (double)st->bytes_in / (double)st->exchanges : 0.0);
    fprintf(f, "Bytes Out     [total, mean]                     %llu, %.2f\n",
            (unsigned long long)st->bytes_out,
            st->exchanges ? (double)st->bytes_out / (double)st->exchanges : 0.0);
    fprintf(f, "Success       [ratio]                           %.2f%%\n",
            st->exchanges ? 100.0 * (double)st->successes / (double)st->exchanges : 0.0);
    fprintf(f, "Status Codes  [code:count]                      ");
    for (int i = 0; i < STATS_MAX_STATUS; i++)
        if (st->status[i]) fprintf(f, "%d:%llu  ", i, (unsigned long long)st->status[i]);
    fprintf(f, "\nError Set:\n");
    for (size_t i = 0; i < st->nerrors; i++)
        fprintf(f, "%s (x%llu)\n", st->errors[i], (unsigned long long)st->error_counts[i]);
    if (st->errors_dropped) fprintf(f, "... %llu more\n", (unsigned long long)st->errors_dropped);

    fprintf(f, "\nEndpoints     %-28s %8s %10s %10s %10s %14s\n", "", "requests", "p50", "p99",
            "p99(uncorr)", "cost");
    for (size_t i = 0; i < st->nep; i++) {
        const stats_endpoint *e = &st->ep[i];
        char p50[32], p99[32], u99[32], cost[48];
        fmt_us(p50, 32, histogram_percentile(e->corrected, 50));
        fmt_us(p99, 32, histogram_percentile(e->corrected, 99));
        fmt_us(u99, 32, histogram_percentile(e->uncorrected, 99));
        micros_str(cost, sizeof cost, e->cost_micros, ri->currency);
        fprintf(f, "  %-40s %8llu %10s %10s %10s %14s\n", e->name, (unsigned long long)e->requests,
                p50, p99, u99, cost);
    }

    fprintf(f, "\nChecks        %-30s %8s %8s %8s\n", "", "passed", "failed", "skipped");
    for (int i = 0; i < CHECK_COUNT; i++) {
        const check_tally *t = &cr->t[i];
        if (!(cr->enabled & (1u << i))) {
            fprintf(f, "  %-42s %8s\n", check_name((check_id)i), "off");
            continue;
        }
        fprintf(f, "  %-42s %8llu %8llu %8llu%s\n", check_name((check_id)i),
                (unsigned long long)t->passed, (unsigned long long)t->failed,
                (unsigned long long)t->skipped, t->failed ? "  FAIL" : "");
    }
    for (int i = 0; i < CHECK_COUNT; i++)
        for (size_t j = 0; j < cr->t[i].nexamples && j < 1; j++) {
            const check_example *e = &cr->t[i].examples[j];
            fprintf(f, "  %s: record %s (line %ld): expected %s; saw %s\n", check_name((check_id)i),
                    e->record_id, e->line, e->expected, e->seen);
        }

    char total[48], per1k[48], saved[48];
    int64_t tc = stats_total_cost(st);
    micros_str(total, sizeof total, tc, ri->currency);
    micros_str(per1k, sizeof per1k,
               st->records ? (int64_t)((double)tc * 1000.0 / (double)st->records) : 0,
               ri->currency);
    micros_str(saved, sizeof saved, st->cache_saved_micros, ri->currency);
    fprintf(f, "\nCost          [total, per 1k records, cache savings]  %s, %s, %s (policy %s)\n",
            total, per1k, saved, policy_name(ri->policy->kind));
    uint64_t routed = st->out_ready + st->out_form + st->out_review + st->out_unanswered +
                      st->out_error + st->out_other;
    fprintf(f,
            "Outcomes      [ready, form, review, unanswered, error, llm, cached]  %llu, %llu, "
            "%llu, %llu, %llu, %llu, %llu\n",
            (unsigned long long)st->out_ready, (unsigned long long)st->out_form,
            (unsigned long long)st->out_review, (unsigned long long)st->out_unanswered,
            (unsigned long long)st->out_error, (unsigned long long)st->out_llm,
            (unsigned long long)st->cache_hits);
    fprintf(f, "Fallback      [rate, chat calls, chat failures] %.2f%%, %llu, %llu\n",
            routed ? 100.0 * (double)st->out_form / (double)routed : 0.0,
            (unsigned long long)st->fallback_calls, (unsigned long long)st->fallback_failures);
    if (st->truth_n)
        fprintf(f,
                "Accuracy      [intent, amount, all]             %.2f%%, %.2f%%, %.2f%% of %llu\n",
                100.0 * (double)st->truth_intent_ok / (double)st->truth_n,
                100.0 * (double)st->truth_amount_ok / (double)st->truth_n,
                100.0 * (double)st->truth_all_ok / (double)st->truth_n,
                (unsigned long long)st->truth_n);
    if (st->bad_lines || st->skipped || st->unknown_merchant)
        fprintf(f, "Input         [bad lines, skipped records]      %llu, %llu\n",
                (unsigned long long)st->bad_lines, (unsigned long long)st->skipped);
    (void)res;
}

static cJSON *lat_json(const histogram *h)
{
    cJSON *o = cJSON_CreateObject();
    json_add_int(o, "count", (int64_t)histogram_count(h));
    json_add_int(o, "min_us", histogram_min(h));
    json_add_int(o, "mean_us", (int64_t)histogram_mean(h));
    json_add_int(o, "p50_us", histogram_percentile(h, 50));
    json_add_int(o, "p90_us", histogram_percentile(h, 90));
    json_add_int(o, "p95_us", histogram_percentile(h, 95));
    json_add_int(o, "p99_us", histogram_percentile(h, 99));
    json_add_int(o, "max_us", histogram_max(h));
    return o;
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? json_round((double)a / (double)b, 6) : 0.0;
}

cJSON *report_json(const report_info *ri, const stats *st, const check_results *cr,
                   const sched_result *res)
{
    cJSON *r = cJSON_CreateObject();
    char buf[64];
    if (!r) return NULL;
    cJSON_AddNumberToObject(r, "version", 1);
    cJSON_AddStringToObject(r, "tool", "wxai-harness");
    snprintf(buf, sizeof buf, "%llu", ri->seed);
    cJSON_AddStringToObject(r, "seed", buf);
    cJSON *in = cJSON_AddObjectToObject(r, "inputs");
    cJSON *sc = cJSON_AddObjectToObject(in, "scenario");
    cJSON_AddStringToObject(sc, "path", ri->scenario_path);
    cJSON_AddStringToObject(sc, "name", ri->scenario_name ? ri->scenario_name : "");
    cJSON_AddStringToObject(sc, "sha256", ri->scenario_sha256);
    cJSON *tr = cJSON_AddObjectToObject(in, "traffic");
    cJSON_AddStringToObject(tr, "path", ri->traffic_path);
    cJSON_AddStringToObject(tr, "sha256", ri->traffic_sha256);
    cJSON *tg = cJSON_AddObjectToObject(r, "target");
    cJSON_AddStringToObject(tg, "url", ri->target);
    cJSON_AddBoolToObject(tg, "embedded", ri->embedded);

    const sched_opts *w = ri->workload;
    cJSON *wl = cJSON_AddObjectToObject(r, "workload");
    cJSON_AddStringToObject(wl, "model", w->closed ? "closed" : "open");
    cJSON_AddNumberToObject(wl, "speed", w->speed);
    cJSON_AddNumberToObject(wl, "rate", w->rate);
    cJSON_AddNumberToObject(wl, "concurrency", w->concurrency);
    json_add_int(wl, "duration_ms", w->duration_ms);
    json_add_int(wl, "max_requests", (int64_t)w->max_requests);

    const policy_opts *po = ri->policy;
    cJSON *pol = cJSON_AddObjectToObject(r, "policy");
    cJSON_AddStringToObject(pol, "name", policy_name(po->kind));
    if (po->threshold >= 0)
        cJSON_AddNumberToObject(pol, "threshold", po->threshold);
    else
        cJSON_AddNullToObject(pol, "threshold");
    json_add_int(pol, "cache_size", (int64_t)po->cache_size);
    cJSON_AddStringToObject(pol, "fallback_model", po->fallback_model);

    int64_t attack =
        st->last_sent_us > st->first_sent_us ? st->last_sent_us - st->first_sent_us : 0;
    int64_t wait = st->last_done_us > st->last_sent_us ? st->last_done_us - st->last_sent_us : 0;
    cJSON *t = cJSON_AddObjectToObject(r, "totals");
    json_add_int(t, "records", (int64_t)st->records);
    json_add_int(t, "requests", (int64_t)st->exchanges);
    json_add_int(t, "successes", (int64_t)st->successes);
    cJSON_AddNumberToObject(t, "success_ratio", ratio(st->successes, st->exchanges));
    json_add_int(t, "duration_us", attack + wait);
    cJSON_AddNumberToObject(t, "rate",
                            attack ? json_round((double)st->exchanges / secs(attack), 3) : 0);
    cJSON_AddNumberToObject(
        t, "throughput",
        attack + wait ? json_round((double)st->successes / secs(attack + wait), 3) : 0);
    json_add_int(t, "bytes_in", (int64_t)st->bytes_in);
    json_add_int(t, "bytes_out", (int64_t)st->bytes_out);
    json_add_int(t, "bad_lines", (int64_t)st->bad_lines);
    json_add_int(t, "skipped_records", (int64_t)st->skipped);
    json_add_int(t, "retries", (int64_t)st->retries);
    cJSON *codes = cJSON_AddObjectToObject(t, "status_codes");
    for (int i = 0; i < STATS_MAX_STATUS; i++)
        if (st->status[i]) {
            snprintf(buf, sizeof buf, "%d", i);
            json_add_int(codes, buf, (int64_t)st->status[i]);
        }
    cJSON *errs = cJSON_AddArrayToObject(t, "errors");
    for (size_t i = 0; i < st->nerrors; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "error", st->errors[i]);
        json_add_int(e, "count", (int64_t)st->error_counts[i]);
        cJSON_AddItemToArray(errs, e);
    }
    cJSON *ie = cJSON_AddArrayToObject(r, "input_errors");
    for (size_t i = 0; i < res->ninput_errors; i++)
        cJSON_AddItemToArray(ie, cJSON_CreateString(res->input_errors[i]));

    cJSON *lat = cJSON_AddObjectToObject(r, "latency");
    cJSON *ov = cJSON_AddObjectToObject(lat, "overall");
    cJSON_AddItemToObject(ov, "corrected", lat_json(st->corrected));
    cJSON_AddItemToObject(ov, "uncorrected", lat_json(st->uncorrected));
    cJSON *eps = cJSON_AddObjectToObject(lat, "endpoints");
    for (size_t i = 0; i < st->nep; i++) {
        cJSON *e = cJSON_AddObjectToObject(eps, st->ep[i].name);
        cJSON_AddItemToObject(e, "corrected", lat_json(st->ep[i].corrected));
        cJSON_AddItemToObject(e, "uncorrected", lat_json(st->ep[i].uncorrected));
    }

    cJSON *chk = cJSON_AddArrayToObject(r, "checks");
    for (int i = 0; i < CHECK_COUNT; i++) {
        const check_tally *ct = &cr->t[i];
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "name", check_name((check_id)i));
        cJSON_AddBoolToObject(c, "enabled", (cr->enabled >> i) & 1);
        json_add_int(c, "passed", (int64_t)ct->passed);
        json_add_int(c, "failed", (int64_t)ct->failed);
        json_add_int(c, "skipped", (int64_t)ct->skipped);
        cJSON *ex = cJSON_AddArrayToObject(c, "examples");
        for (size_t j = 0; j < ct->nexamples; j++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "record_id", ct->examples[j].record_id);
            json_add_int(e, "line", ct->examples[j].line);
            cJSON_AddStringToObject(e, "expected", ct->examples[j].expected);
            cJSON_AddStringToObject(e, "seen", ct->examples[j].seen);
            if (ct->examples[j].curl)
                cJSON_AddStringToObject(e, "curl", ct->examples[j].curl);
            else
                cJSON_AddNullToObject(e, "curl");
            cJSON_AddItemToArray(ex, e);
        }
        cJSON_AddItemToArray(chk, c);
    }

    cJSON *cost = cJSON_AddObjectToObject(r, "cost");
    int64_t total = stats_total_cost(st);
    cJSON_AddStringToObject(cost, "currency", ri->currency ? ri->currency : "CNY");
    json_add_int(cost, "total_micros", total);
    json_add_int(cost, "per_1000_requests_micros",
                 st->records ? (int64_t)((double)total * 1000.0 / (double)st->records) : 0);
    cJSON_AddStringToObject(cost, "policy", policy_name(po->kind));
    json_add_int(cost, "cache_savings_micros", st->cache_saved_micros);
    json_add_int(cost, "cache_hits", (int64_t)st->cache_hits);
    cJSON *bye = cJSON_AddArrayToObject(cost, "by_endpoint");
    cJSON *byp = cJSON_AddObjectToObject(cost, "by_provider");
    for (size_t i = 0; i < st->nep; i++) {
        const stats_endpoint *e = &st->ep[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "endpoint", e->name);
        cJSON_AddStringToObject(o, "provider", e->provider);
        json_add_int(o, "requests", (int64_t)e->requests);
        json_add_int(o, "input_tokens", (int64_t)e->tokens_in);
        json_add_int(o, "output_tokens", (int64_t)e->tokens_out);
        json_add_int(o, "cost_micros", e->cost_micros);
        cJSON_AddItemToArray(bye, o);
        cJSON *p = cJSON_GetObjectItemCaseSensitive(byp, e->provider);
        if (!p) {
            p = cJSON_AddObjectToObject(byp, e->provider);
            json_add_int(p, "requests", 0);
            json_add_int(p, "tokens", 0);
            json_add_int(p, "cost_micros", 0);
        }
        cJSON *pr = cJSON_GetObjectItemCaseSensitive(p, "requests");
        cJSON *pt = cJSON_GetObjectItemCaseSensitive(p, "tokens");
        cJSON *pc = cJSON_GetObjectItemCaseSensitive(p, "cost_micros");
        cJSON_SetNumberValue(pr, pr->valuedouble + (double)e->requests);
        cJSON_SetNumberValue(pt, pt->valuedouble + (double)(e->tokens_in + e->tokens_out));
        cJSON_SetNumberValue(pc, pc->valuedouble + (double)e->cost_micros);
    }

    uint64_t routed = st->out_ready + st->out_form + st->out_review + st->out_unanswered +
                      st->out_error + st->out_other;
    cJSON *oc = cJSON_AddObjectToObject(r, "outcomes");
    json_add_int(oc, "ready", (int64_t)st->out_ready);
    json_add_int(oc, "form_fallback", (int64_t)st->out_form);
    json_add_int(oc, "pending_review", (int64_t)st->out_review);
    json_add_int(oc, "unanswered_clarification", (int64_t)st->out_unanswered);
    json_add_int(oc, "error", (int64_t)st->out_error);
    json_add_int(oc, "other", (int64_t)st->out_other);
    json_add_int(oc, "clarified", (int64_t)st->clarified);
    json_add_int(oc, "llm_parsed", (int64_t)st->out_llm);
    json_add_int(oc, "fallback_calls", (int64_t)st->fallback_calls);
    json_add_int(oc, "fallback_failures", (int64_t)st->fallback_failures);
    json_add_int(oc, "cache_hits", (int64_t)st->cache_hits);
    cJSON_AddNumberToObject(oc, "fallback_rate", ratio(st->out_form, routed));

    cJSON *conf = cJSON_AddObjectToObject(r, "confidence");
    cJSON_AddNumberToObject(conf, "bins", STATS_CONF_BINS);
    cJSON_AddNumberToObject(conf, "bin_width", 1.0 / STATS_CONF_BINS);
    cJSON *bv = cJSON_AddObjectToObject(conf, "by_model_version");
    for (size_t i = 0; i < st->nversions; i++) {
        cJSON *v = cJSON_AddObjectToObject(bv, st->versions[i].version);
        json_add_int(v, "count", (int64_t)st->versions[i].n);
        cJSON *a = cJSON_AddArrayToObject(v, "counts");
        for (int b = 0; b < STATS_CONF_BINS; b++)
            cJSON_AddItemToArray(a, cJSON_CreateNumber((double)st->versions[i].bins[b]));
    }
    stats_confidence_json(st, conf);

    cJSON *acc = cJSON_AddObjectToObject(r, "accuracy");
    json_add_int(acc, "labelled", (int64_t)st->truth_n);
    cJSON_AddNumberToObject(acc, "intent", ratio(st->truth_intent_ok, st->truth_n));
    cJSON_AddNumberToObject(acc, "amount", ratio(st->truth_amount_ok, st->truth_n));
    cJSON_AddNumberToObject(acc, "currency", ratio(st->truth_currency_ok, st->truth_n));
    cJSON_AddNumberToObject(acc, "all", ratio(st->truth_all_ok, st->truth_n));

    snprintf(buf, sizeof buf, "%016llx", (unsigned long long)st->digest);
    cJSON_AddStringToObject(r, "records_digest", buf);
    return r;
}

static int mkdirs(const char *dir)
{
    char p[1024];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) return -1;
        *s = '/';
    }
    return mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

int report_write_text(const char *dir, const char *name, const char *text, size_t len)
{
    char tmp[1100], dst[1100];
    if (mkdirs(dir) != 0) {
        fprintf(stderr, "wxai-harness: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    snprintf(dst, sizeof dst, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.%d.tmp", dir, name, (int)getpid());
    FILE *f = fopen(tmp, "w");
    int ok = f && fwrite(text, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, dst) != 0) {
        fprintf(stderr, "wxai-harness: cannot write %s: %s\n", dst, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

char *report_json_text(const cJSON *j)
{
    char *text = cJSON_Print(j);
    if (!text) return NULL;
    size_t len = strlen(text);
    char *t = realloc(text, len + 2);
    if (!t) {
        free(text);
        return NULL;
    }
    memcpy(t + len, "\n", 2);
    return t;
}

int report_write(const char *dir, const cJSON *report)
{
    char *text = report_json_text(report);
    if (!text) return -1;
    int rc = report_write_text(dir, "report.json", text, strlen(text));
    free(text);
    return rc;
}

int report_write_rendered(const char *dir, const char *name, unsigned cap,
                          int (*render)(svg_buf *, const cJSON *), const cJSON *report)
{
    svg_buf b;
    if (svg_buf_init(&b, cap) != SVG_OK) return -1;
    int rc = render(&b, report);
    if (rc != 0)
        fprintf(stderr, "wxai-harness: %s larger than %u bytes\n", name, cap);
    else
        rc = report_write_text(dir, name, b.data, b.len);
    svg_buf_free(&b);
    return rc;
}
