#include "eval.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "model.h"

#define EVAL_PAYER "o_carol"
#define EVAL_REFERENCE "2026-12-04T20:00:00+08:00"
#define MAX_GROUPS 16

typedef struct group {
    char name[16];
    size_t n, correct;
} group;

typedef struct scored {
    double confidence;
    int correct;
} scored;

static void tally(group *g, size_t *ng, const char *name, int correct)
{
    size_t i = 0;
    while (i < *ng && strcmp(g[i].name, name))
        i++;
    if (i == *ng) {
        if (*ng == MAX_GROUPS) return;
        snprintf(g[i].name, sizeof g[i].name, "%s", name);
        g[i].n = g[i].correct = 0;
        (*ng)++;
    }
    g[i].n++;
    g[i].correct += correct != 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Do the comma-separated openids in want name the same set as the result's people? */
static int same_people(const char *want, const model_result *r)
{
    char buf[EVAL_MAX_LINE];
    const char *w[MODEL_MAX_PEOPLE + 1], *g[MODEL_MAX_PEOPLE];
    size_t nw = 0;
    snprintf(buf, sizeof buf, "%s", want);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (*t && nw <= MODEL_MAX_PEOPLE) w[nw++] = t;
    }
    if (nw != r->npeople) return 0;
    for (size_t i = 0; i < r->npeople; i++)
        g[i] = r->people[i].openid;
    qsort(w, nw, sizeof w[0], cmp_str);
    qsort(g, nw, sizeof g[0], cmp_str);
    for (size_t i = 0; i < nw; i++)
        if (strcmp(w[i], g[i])) return 0;
    return 1;
}

static int cmp_scored(const void *a, const void *b)
{
    double x = ((const scored *)a)->confidence, y = ((const scored *)b)->confidence;
    return x < y ? -1 : x > y;
}

/* Mann-Whitney: the chance that a correct parse outranks a wrong one, ties counting half. */
static double roc_auc(scored *s, size_t n)
{
    size_t pos = 0, neg = 0;
    for (size_t i = 0; i < n; i++)
        pos += s[i].correct != 0;
    neg = n - pos;
    if (!pos || !neg) return 1.0;
    qsort(s, n, sizeof s[0], cmp_scored);
    double rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j].confidence == s[i].confidence)
            j++;
        double avg = (double)(i + 1 + j) / 2.0;
        for (size_t k = i; k < j; k++)
            if (s[k].correct) rank_sum += avg;
        i = j;
    }
    return (rank_sum - (double)pos * (double)(pos + 1) / 2.0) / ((double)pos * (double)neg);
}

static void describe(const model_result *r, char *buf, size_t cap)
{
    size_t o = 0;
    if (r->nquestions) {
        o += (size_t)snprintf(buf, cap, "clarify");
        for (size_t i = 0; i < r->nquestions && o < cap; i++)
            o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "," : " ", r->questions[i].id);
        if (o < cap) o += (size_t)snprintf(buf + o, cap - o, " (partial: ");
    }
    if (o < cap)
        o += (size_t)snprintf(buf + o, cap - o, "%s %lld %s ", model_intent_name(r->intent),
                              (long long)r->total, r->currency);
    for (size_t i = 0; i < r->npeople && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "," : "", r->people[i].openid);
    if (r->nquestions && o < cap) snprintf(buf + o, cap - o, ")");
}

/* Split line into exactly six tab-separated fields; 0 on success. */
static int fields(char *line, char **f)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p; p++)
        if (*p == '\t') {
            if (n == 6) return -1;
            *p = '\0';
            f[n++] = p + 1;
        }
    return n == 6 ? 0 : -1;
}

int eval_run(const char *tsv_path, const directory *dir, double threshold, FILE *out,
             eval_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    sum->threshold = threshold;
    FILE *f = fopen(tsv_path, "r");
    if (!f) {
        if (out) fprintf(out, "eval: cannot open %s\n", tsv_path);
        return -1;
    }
    int64_t ref;
    int off;
    clock_parse_rfc3339(EVAL_REFERENCE, &ref, &off);
    scored *sc = malloc(EVAL_MAX_ROWS * sizeof *sc);
    model_result *r = malloc(sizeof *r);
    char *line = malloc(EVAL_MAX_LINE + 2);
    if (!sc || !r || !line) {
        free(sc);
        free(r);
        free(line);
        fclose(f);
        return -1;
    }
    group by_intent[MAX_GROUPS], by_lang[MAX_GROUPS];
    size_t ni = 0, nl = 0, nsc = 0, lineno = 0;
    if (out) fprintf(out, "eval: %s\nmisses:\n", tsv_path);
    while (fgets(line, EVAL_MAX_LINE + 2, f) && sum->rows < EVAL_MAX_ROWS) {
        lineno++;
        size_t len = strlen(line);
        if (len > EVAL_MAX_LINE) {
            sum->bad_lines++;
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            continue;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!len || line[0] == '#' || !strncmp(line, "text\tintent\t", 12)) continue;
        char *fl[6];
        if (fields(line, fl) != 0 || !fl[0][0]) {
            sum->bad_lines++;
            if (out) fprintf(out, "  line %zu: not six tab-separated fields\n", lineno);
            continue;
        }
        model_input in = {.text = fl[0],
                          .len = strlen(fl[0]),
                          .payer_openid = EVAL_PAYER,
                          .reference_unix = ref,
                          .reference_utc_offset_s = off};
        const char *bad = NULL;
        if (model_parse(dir, &in, r, &bad) != MODEL_OK) memset(r, 0, sizeof *r);
        int clarify = !strcmp(fl[1], "clarify"), ok;
        if (clarify) {
            ok = r->nquestions > 0;
            if (ok && fl[2][0]) {
                ok = 0;
                for (size_t q = 0; q < r->nquestions; q++)
                    ok |= !strcmp(r->questions[q].id, fl[2]);
            }
            sum->clarify_rows++;
            sum->clarify_correct += ok != 0;
        } else {
            ok = r->nquestions == 0 && !strcmp(model_intent_name(r->intent), fl[1]) &&
                 r->has_amount && r->total == strtoll(fl[2], NULL, 10) &&
                 !strcmp(r->currency, fl[3]) && same_people(fl[4], r);
            sc[nsc].confidence = r->confidence;
            sc[nsc++].correct = ok;
        }
        if (!r->nquestions && r->confidence >= threshold) {
            sum->above++;
            sum->above_correct += ok != 0;
        }
        sum->rows++;
        sum->correct += ok != 0;
        sum->locale_correct += !strcmp(r->locale, fl[5]);
        tally(by_intent, &ni, fl[1], ok);
        tally(by_lang, &nl, fl[5], ok);
        if (!ok && out) {
            char got[512];
            describe(r, got, sizeof got);
            fprintf(out,
                    "  line %zu: %s\n    expected: %s %s %s %s\n    got:      %s  "
                    "(confidence %.3f)\n",
                    lineno, fl[0], fl[1], fl[2], fl[3], fl[4], got, r->confidence);
        }
    }
    fclose(f);
    sum->accuracy = sum->rows ? (double)sum->correct / (double)sum->rows : 0;
    sum->auc = roc_auc(sc, nsc);
    sum->precision_above = sum->above ? (double)sum->above_correct / (double)sum->above : 1.0;
    if (out) {
        fprintf(out, "by intent:\n");
        for (size_t i = 0; i < ni; i++)
            fprintf(out, "  %-14s %4zu/%-4zu %5.1f%%\n", by_intent[i].name, by_intent[i].correct,
                    by_intent[i].n, 100.0 * (double)by_intent[i].correct / (double)by_intent[i].n);
        fprintf(out, "by language:\n");
        for (size_t i = 0; i < nl; i++)
            fprintf(out, "  %-14s %4zu/%-4zu %5.1f%%\n", by_lang[i].name, by_lang[i].correct,
                    by_lang[i].n, 100.0 * (double)by_lang[i].correct / (double)by_lang[i].n);
        fprintf(out, "accuracy: %zu/%zu = %.1f%%\n", sum->correct, sum->rows, 100 * sum->accuracy);
        fprintf(out, "clarifications asked when expected: %zu/%zu\n", sum->clarify_correct,
                sum->clarify_rows);
        fprintf(out, "locale detected as labelled: %zu/%zu\n", sum->locale_correct, sum->rows);
        fprintf(out, "ROC AUC (confidence vs correct, %zu rows not labelled clarify): %.3f\n", nsc,
                sum->auc);
        fprintf(out, "confidence >= %.2f: %zu ready answers, %zu correct (%.1f%%)\n", threshold,
                sum->above, sum->above_correct, 100 * sum->precision_above);
        if (sum->bad_lines) fprintf(out, "unreadable lines: %zu\n", sum->bad_lines);
    }
    free(sc);
    free(r);
    free(line);
    return 0;
}
