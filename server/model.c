#include "model.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "amount.h"
#include "lexicon.h"
#include "money.h"
#include "names.h"
#include "orders.h"

#define MAX_HINTS 16

/* What answers settled, applied on the second pass. */
typedef struct overrides {
    int tip_rate_bp;
    int has_amount;
    int64_t amount_e4;
    char amount_currency[4];
    char currency[4];
    model_intent intent;
    const directory_person *payee;
    char payee_text[64];
    struct {
        char qid[32];
        const directory_person *person;
    } persons[MODEL_MAX_ANSWERS];
    size_t npersons;
    const directory_person *people[MODEL_MAX_PEOPLE];
    size_t npeople_answer;
    int people_answered;
    size_t nanswered;
} overrides;

typedef struct analysis {
    char text[MODEL_MAX_TEXT + 1];
    size_t len;
    lexicon_stats st;
    lexicon_hit hits[LEXICON_MAX_HITS];
    size_t nhits;
    int cues[CUE_COUNT_];
    long first[CUE_COUNT_];
    amount_mention am[AMOUNT_MAX_MENTIONS];
    size_t nam;
    amount_currency_hint ch[MAX_HINTS];
    size_t nch;
    names_hit names[NAMES_MAX];
    size_t nnames;
    int zh; /* questions in Chinese */
    /* evidence for the confidence */
    int cue_strength, typo, guessed_intent, marked, no_marker, slang, from_order, unresolved,
        pronoun, relation, competing, order_choice, time_mismatch, order_found, names_resolved;
} analysis;

static const char *const intent_names[] = {"unknown",  "pay",    "split_bill",   "tip",
                                           "transfer", "refund", "subscription", "deposit"};

const char *model_intent_name(model_intent intent)
{
    if ((int)intent < 0 || (size_t)intent >= sizeof intent_names / sizeof intent_names[0])
        return "unknown";
    return intent_names[intent];
}

/* Bounded copy that always terminates; truncation is intended (fixed-size slots). */
static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

static int has(const analysis *a, lexicon_cue c)
{
    return a->cues[c] > 0;
}

static const directory_order *find_order(analysis *a, const directory *dir, const model_input *in)
{
    static const lexicon_cue times[] = {CUE_LAST_NIGHT, CUE_TONIGHT, CUE_YESTERDAY, CUE_TODAY,
                                        CUE_LAST_WEEK};
    orders_when w = {.cue = CUE_COUNT_,
                     .reference_unix = in->reference_unix,
                     .utc_offset_s = in->reference_utc_offset_s,
                     .bill_or_split = has(a, CUE_BILL) || has(a, CUE_SPLIT)};
    orders_match m;
    for (size_t t = 0; t < sizeof times / sizeof times[0]; t++)
        if (has(a, times[t])) {
            w.cue = times[t];
            break;
        }
    orders_find(dir, a->text, a->len, &w, &m);
    a->order_choice = m.choice;
    a->time_mismatch = m.time_mismatch;
    return m.order;
}

/* ---- questions ------------------------------------------------------------------------- */

static model_question *ask(model_result *out, const char *id, const char *text)
{
    for (size_t i = 0; i < out->nquestions; i++)
        if (!strcmp(out->questions[i].id, id)) return &out->questions[i];
    if (out->nquestions >= MODEL_MAX_QUESTIONS) return NULL;
    model_question *q = &out->questions[out->nquestions++];
    memset(q, 0, sizeof *q);
    copy(q->id, sizeof q->id, id);
    copy(q->text, sizeof q->text, text);
    return q;
}

static void option(model_question *q, const char *id, const char *label)
{
    if (!q || q->noptions >= MODEL_MAX_OPTIONS) return;
    copy(q->options[q->noptions].id, sizeof q->options[0].id, id);
    copy(q->options[q->noptions].label, sizeof q->options[0].label, label);
    q->noptions++;
}

static void ask_which(analysis *a, model_result *out, const names_hit *h, const char *qid)
{
    char text[256], shown[64];
    size_t n = h->end - h->start < sizeof shown ? h->end - h->start : sizeof shown - 1;
    memcpy(shown, a->text + h->start, n);
    shown[n] = '\0';
    snprintf(text, sizeof text, a->zh ? "你说的%s是哪一位？" : "Which %s did you mean?", shown);
    model_question *q = ask(out, qid, text);
    if (!q || q->noptions) return;
    for (size_t c = 0; c < h->ncand; c++)
        option(q, h->cand[c]->openid, h->cand[c]->name);
}

/* ---- amounts --------------------------------------------------------------------------- */

static int is_money(const amount_mention *m)
{
    return !(m->flags & (AMOUNT_F_PERCENT | AMOUNT_F_COUNT));
}

/* Index of the money mention that a relation cue governs ("minus the 20"), or -1. */
static long governed(const analysis *a, lexicon_cue c)
{
    for (size_t h = 0; h < a->nhits; h++) {
        if (a->hits[h].cue != c) continue;
        for (size_t k = 0; k < a->nam; k++)
            if (is_money(&a->am[k]) && a->am[k].start >= a->hits[h].end &&
                a->am[k].start <= a->hits[h].end + 12)
                return (long)k;
    }
    return -1;
}

/* The money mention right beside a tip cue ("a 50 yuan tip", "tip 20"), or -1. */
static long tip_amount_mention(const analysis *a, int has_percent)
{
    if (has_percent) return -1; /* "15% tip on 600": the money is the bill */
    for (size_t h = 0; h < a->nhits; h++) {
        if (a->hits[h].cue != CUE_TIP) continue;
        for (size_t k = 0; k < a->nam; k++) {
            const amount_mention *m = &a->am[k];
            if (!is_money(m)) continue;
            if (m->end <= a->hits[h].start && m->end + 3 >= a->hits[h].start) return (long)k;
            if (m->start >= a->hits[h].end && m->start <= a->hits[h].end + 4 &&
                lexicon_find(a->text, m->start, a->hits[h].end, "on", 2) < 0)
                return (long)k;
        }
    }
    return -1;
}

static int64_t to_minor(int64_t e4, const char *cur)
{
    int64_t v = 0;
    return amount_to_minor(e4, cur, &v) == 0 ? v : 0;
}

/* ---- intent ---------------------------------------------------------------------------- */

static model_intent decide_intent(analysis *a, const directory_order *ord, int has_percent,
                                  int has_money)
{
    int s = 0;
    model_intent it = MODEL_INTENT_UNKNOWN;
    if (has(a, CUE_REFUND))
        it = MODEL_INTENT_REFUND, s = a->cues[CUE_REFUND];
    else if (has(a, CUE_SUBSCRIPTION))
        it = MODEL_INTENT_SUBSCRIPTION, s = 2;
    else if (has(a, CUE_DEPOSIT))
        it = MODEL_INTENT_DEPOSIT, s = 2;
    else if (has(a, CUE_SPLIT))
        it = MODEL_INTENT_SPLIT_BILL, s = a->cues[CUE_SPLIT];
    else if (has(a, CUE_TIP))
        it = MODEL_INTENT_TIP, s = 2;
    else if (has_percent && (has_money || ord))
        it = MODEL_INTENT_TIP, s = 1;
    else if (has(a, CUE_FRONTED) || (has(a, CUE_BACK) && a->cues[CUE_BACK] >= 2))
        it = MODEL_INTENT_TRANSFER, s = 2;
    else if (a->cues[CUE_TRANSFER] >= 2)
        it = MODEL_INTENT_TRANSFER, s = 2;
    else if (has(a, CUE_PAY))
        it = has(a, CUE_BACK) ? MODEL_INTENT_TRANSFER : MODEL_INTENT_PAY, s = a->cues[CUE_PAY];
    else if (has(a, CUE_BACK) || has(a, CUE_TRANSFER))
        it = MODEL_INTENT_TRANSFER, s = 1;
    else if (ord && ord->category && !strcmp(ord->category, "real_estate_deposit"))
        it = MODEL_INTENT_DEPOSIT, s = 1;
    a->cue_strength = s;
    return it;
}

/* ---- the parse ------------------------------------------------------------------------- */

static void add_person(model_result *out, const directory_person *p)
{
    if (!p) return;
    for (size_t i = 0; i < out->npeople; i++)
        if (!strcmp(out->people[i].openid, p->openid)) return;
    if (out->npeople >= MODEL_MAX_PEOPLE) return;
    model_person *mp = &out->people[out->npeople++];
    memset(mp, 0, sizeof *mp);
    copy(mp->openid, sizeof mp->openid, p->openid);
    copy(mp->name, sizeof mp->name, p->name);
}

static void add_openid(model_result *out, const directory *dir, const char *openid)
{
    const directory_person *p = directory_person_by_openid(dir, openid);
    if (p) {
        add_person(out, p);
    } else if (openid && out->npeople < MODEL_MAX_PEOPLE) {
        for (size_t i = 0; i < out->npeople; i++)
            if (!strcmp(out->people[i].openid, openid)) return;
        model_person *mp = &out->people[out->npeople++];
        memset(mp, 0, sizeof *mp);
        copy(mp->openid, sizeof mp->openid, openid);
        copy(mp->name, sizeof mp->name, openid);
    }
}

static int includes_me(const analysis *a)
{
    if (has(a, CUE_ME) || has(a, CUE_US)) return 1;
    long first_name = -1;
    for (size_t k = 0; k < a->nnames; k++)
        if (!a->names[k].excluded) {
            first_name = a->names[k].start;
            break;
        }
    if (first_name < 0) return 0;
    long with = -1, between = -1;
    for (size_t h = 0; h < a->nhits; h++) {
        if (a->hits[h].start >= (uint32_t)first_name) break;
        if (a->hits[h].cue == CUE_WITH) with = a->hits[h].start;
        if (a->hits[h].cue == CUE_BETWEEN) between = a->hits[h].start;
    }
    return with >= 0 && between < 0;
}

static void analyse(const directory *dir, const model_input *in, const overrides *ov, analysis *a,
                    model_result *out)
{
    memset(out, 0, sizeof *out);
    memset(a->cues, 0, sizeof a->cues);
    a->cue_strength = a->typo = a->guessed_intent = a->marked = a->no_marker = a->slang = 0;
    a->from_order = a->unresolved = a->pronoun = a->relation = a->competing = 0;
    a->order_choice = a->time_mismatch = a->order_found = a->names_resolved = 0;
    const char *me = in->payer_openid;

    a->len = lexicon_normalize(in->text, in->len, a->text, sizeof a->text, &a->st);
    a->nhits = lexicon_scan(a->text, a->len, a->hits, LEXICON_MAX_HITS);
    a->nam = amount_scan(a->text, a->len, a->am, AMOUNT_MAX_MENTIONS);
    a->nch = amount_currencies(a->text, a->len, a->ch, MAX_HINTS);
    a->nnames = names_scan(dir, a->text, a->len, a->names, NAMES_MAX);

    /* cues inside a name ("Bob Chen" has no cue, but "Mr. Chen" could) do not count */
    for (size_t h = 0; h < a->nhits; h++) {
        int inside = 0;
        for (size_t k = 0; k < a->nnames && !inside; k++)
            inside = a->hits[h].start >= a->names[k].start && a->hits[h].end <= a->names[k].end;
        if (inside) continue;
        lexicon_cue c = a->hits[h].cue;
        if (a->hits[h].strength > a->cues[c]) a->cues[c] = a->hits[h].strength;
        a->typo |= a->hits[h].typo;
    }

    /* locale: names are not English words */
    lexicon_stats st = a->st;
    for (size_t k = 0; k < a->nnames; k++)
        for (size_t i = a->names[k].start; i < a->names[k].end; i++)
            if (a->text[i] >= 'a' && a->text[i] <= 'z' &&
                (i == a->names[k].start || a->text[i - 1] == ' ') && st.latin_words > 0)
                st.latin_words--;
    const char *loc = lexicon_locale(&st);
    if (in->locale && !strncasecmp(in->locale, "zh", 2))
        loc = "zh";
    else if (in->locale && !strncasecmp(in->locale, "en", 2))
        loc = "en";
    else if (in->locale && !strcasecmp(in->locale, "mixed"))
        loc = "mixed";
    copy(out->locale, sizeof out->locale, loc);
    a->zh = strcmp(loc, "en") != 0;

    const directory_order *ord = find_order(a, dir, in);
    out->source_order = ord;
    a->order_found = ord != NULL;
    names_text nt = {a->text, a->len, a->hits, a->nhits};
    names_mark_excluded(&nt, a->names, a->nnames);
    if (names_resolve_pronouns(&nt, dir, ord, me, a->names, &a->nnames)) a->pronoun = 1;

    /* context settles ambiguous names: the Alice who was at dinner */
    for (size_t k = 0; k < a->nnames; k++) {
        names_hit *h = &a->names[k];
        if (h->chosen || h->ncand < 2 || !ord) continue;
        const directory_person *only = NULL;
        size_t nin = 0;
        for (size_t c = 0; c < h->ncand; c++)
            if (orders_has(ord, h->cand[c]->openid)) nin++, only = h->cand[c];
        if (nin == 1) h->chosen = only;
    }
    for (size_t k = 0; k < a->nnames; k++) {
        names_hit *h = &a->names[k];
        char qid[32];
        names_question_id(a->text, h, qid, sizeof qid);
        for (size_t p = 0; p < ov->npersons; p++)
            if (!strcmp(ov->persons[p].qid, qid)) h->chosen = ov->persons[p].person;
    }

    /* amounts */
    int has_percent = 0, has_money = 0;
    long pct = -1;
    for (size_t k = 0; k < a->nam; k++) {
        if (a->am[k].flags & AMOUNT_F_PERCENT) {
            if (pct < 0) pct = (long)k;
            has_percent = 1;
        } else if (is_money(&a->am[k])) {
            has_money = 1;
        }
    }

    model_intent it = ov->intent ? ov->intent : decide_intent(a, ord, has_percent, has_money);
    if (!ov->intent && it == MODEL_INTENT_UNKNOWN) {
        size_t named = 0;
        for (size_t k = 0; k < a->nnames; k++)
            named += !a->names[k].excluded;
        if (named && has_money) {
            it = MODEL_INTENT_TRANSFER;
            a->guessed_intent = 1;
        }
    }
    out->intent = it;

    long minus = governed(a, CUE_MINUS), plus = governed(a, CUE_PLUS);
    long tipm = (it == MODEL_INTENT_SPLIT_BILL || it == MODEL_INTENT_TIP)
                    ? tip_amount_mention(a, has_percent)
                    : -1;
    /* currencies named anywhere, outside the amounts that carry their own */
    char curs[MODEL_MAX_OPTIONS][4];
    size_t ncurs = 0;
    for (size_t k = 0; k < a->nam + a->nch; k++) {
        const char *c;
        if (k < a->nam) {
            if (!is_money(&a->am[k]) || !a->am[k].currency[0]) continue;
            c = a->am[k].currency;
        } else {
            const amount_currency_hint *hh = &a->ch[k - a->nam];
            int inside = 0;
            for (size_t m = 0; m < a->nam && !inside; m++)
                inside = hh->start >= a->am[m].start && hh->end <= a->am[m].end;
            if (inside) continue;
            c = hh->currency;
        }
        size_t j = 0;
        while (j < ncurs && strcmp(curs[j], c))
            j++;
        if (j == ncurs && ncurs < MODEL_MAX_OPTIONS) memcpy(curs[ncurs++], c, 4);
    }
    const char *want = ov->currency[0] ? ov->currency : NULL;

    long base = -1;
    size_t nbase = 0;
    for (size_t k = 0; k < a->nam; k++) {
        const amount_mention *m = &a->am[k];
        if (!is_money(m) || (long)k == minus || (long)k == plus || (long)k == tipm) continue;
        if (want && m->currency[0] && strcmp(m->currency, want)) continue;
        if (base >= 0 && a->am[base].value_e4 != m->value_e4) nbase++;
        if (base < 0 || ((m->flags & AMOUNT_F_MARKED) && !(a->am[base].flags & AMOUNT_F_MARKED)))
            base = (long)k;
        if (nbase == 0) nbase = 1;
    }
    a->competing = nbase > 1;

    char cur[4] = "";
    int64_t base_e4 = -1;
    if (ov->has_amount) {
        base_e4 = ov->amount_e4;
        if (ov->amount_currency[0]) memcpy(cur, ov->amount_currency, 4);
        a->marked = 1;
    } else if (base >= 0) {
        base_e4 = a->am[base].value_e4;
        memcpy(cur, a->am[base].currency, 4);
        if (a->am[base].flags & AMOUNT_F_MARKED) a->marked = 1;
        if (a->am[base].flags & AMOUNT_F_SLANG) a->slang = 1;
    }
    if (!cur[0] && want) memcpy(cur, want, 4);
    if (!cur[0] && ncurs == 1) {
        memcpy(cur, curs[0], 4);
        a->marked = 1;
    }
    if (ncurs > 1 && !want && !ov->has_amount) {
        model_question *q =
            ask(out, "currency", a->zh ? "你指的是哪种货币？" : "Which currency did you mean?");
        for (size_t j = 0; j < ncurs; j++)
            option(q, curs[j], curs[j]);
    }
    int64_t total = -1;
    if (base_e4 >= 0) {
        if (!cur[0]) {
            memcpy(cur, ord ? ord->currency : "CNY", 4);
            a->no_marker = strcmp(loc, "zh") != 0;
        }
        total = to_minor(base_e4, cur);
    } else if (ord) {
        memcpy(cur, ord->currency, 4);
        total = ord->total;
        a->from_order = 1;
    }
    if (!cur[0]) memcpy(cur, "CNY", 4);
    copy(out->currency, sizeof out->currency, cur);
    if (ord && ord->category) copy(out->category, sizeof out->category, ord->category);

    /* who */
    names_hit *tph = has(a, CUE_TIP) ? names_tip_payer(&nt, a->names, a->nnames) : NULL;
    if (tph) tph->tip_payer = 1;
    const directory_person *named[NAMES_MAX];
    size_t nnamed = 0;
    for (size_t k = 0; k < a->nnames; k++) {
        names_hit *h = &a->names[k];
        if (h->excluded || (h->tip_payer && it == MODEL_INTENT_SPLIT_BILL)) continue;
        if (h->chosen && me && !strcmp(h->chosen->openid, me) && it != MODEL_INTENT_SPLIT_BILL)
            continue; /* nobody pays themselves: "Carol's friend Dave" */
        if (!h->chosen) {
            char qid[32];
            if (it != MODEL_INTENT_SPLIT_BILL && !ov->payee) {
                copy(qid, sizeof qid, "payee");
            } else if (it != MODEL_INTENT_SPLIT_BILL && ov->payee) {
                h->chosen = ov->payee;
            } else {
                names_question_id(a->text, h, qid, sizeof qid);
            }
            if (!h->chosen) {
                if (h->ncand > 1)
                    ask_which(a, out, h, qid);
                else if (it == MODEL_INTENT_SPLIT_BILL)
                    ask(out, "people", a->zh ? "和谁一起分摊？" : "Who is splitting the bill?");
                else
                    ask(out, "payee", a->zh ? "收款人是谁？" : "Who should receive the money?");
                a->unresolved++;
                continue;
            }
        }
        size_t j = 0;
        while (j < nnamed && named[j] != h->chosen)
            j++;
        if (j == nnamed) named[nnamed++] = h->chosen;
    }
    if (ov->payee && nnamed == 0 && it != MODEL_INTENT_SPLIT_BILL) named[nnamed++] = ov->payee;
    if (ov->people_answered)
        for (size_t j = 0; j < ov->npeople_answer && nnamed < NAMES_MAX; j++)
            named[nnamed++] = ov->people[j];

    int64_t tip = 0;
    if (it == MODEL_INTENT_SPLIT_BILL) {
        int me_in = includes_me(a);
        if (nnamed == 0 && ord) {
            for (size_t i = 0; i < ord->nparticipants; i++) {
                int ex = 0;
                for (size_t k = 0; k < a->nnames; k++)
                    if (a->names[k].excluded && a->names[k].chosen &&
                        !strcmp(a->names[k].chosen->openid, ord->participants[i]))
                        ex = 1;
                if (!ex) add_openid(out, dir, ord->participants[i]);
            }
            if (has(a, CUE_ME) && me) add_openid(out, dir, me);
        } else {
            if (me_in && me && !ov->people_answered) add_openid(out, dir, me);
            for (size_t j = 0; j < nnamed; j++)
                add_person(out, named[j]);
            if (has(a, CUE_EVERYONE) && ord)
                for (size_t i = 0; i < ord->nparticipants; i++)
                    add_openid(out, dir, ord->participants[i]);
        }
        int64_t heads = 0;
        for (size_t k = 0; k < a->nam && !heads; k++)
            if ((a->am[k].flags & AMOUNT_F_COUNT) && a->am[k].value_e4 <= 20 * AMOUNT_SCALE)
                heads = a->am[k].value_e4 / AMOUNT_SCALE;
        if (!a->unresolved && (out->npeople < 2 || heads > (int64_t)out->npeople)) {
            ask(out, "people", a->zh ? "和谁一起分摊？" : "Who is splitting the bill?");
            out->npeople = 0;
        } else if (a->unresolved) {
            out->npeople = 0;
        }
        /* the tip */
        int64_t rate = ov->tip_rate_bp ? ov->tip_rate_bp : pct >= 0 ? a->am[pct].value_e4 / 100 : 0;
        if (tipm >= 0 && total >= 0) {
            tip = to_minor(a->am[tipm].value_e4, cur);
        } else if (rate > 0 && total >= 0) {
            money_apply_bp(total, rate, &tip);
        } else if (has(a, CUE_TIP) && !rate) {
            model_question *q = ask(
                out, "tip_rate", a->zh ? "小费是15%还是18%？" : "Did you mean to tip 15% or 18%?");
            option(q, "15", "15%");
            option(q, "18", "18%");
        }
        if (has(a, CUE_TIP) || rate > 0 || tipm >= 0) {
            out->has_tip = 1;
            out->tip_rate_bp = (int)rate;
            out->tip_amount = tip;
            if (tph && tph->chosen) {
                copy(out->tip_paid_by, sizeof out->tip_paid_by, tph->chosen->openid);
                if (out->npeople) add_person(out, tph->chosen);
            }
        }
        if (total >= 0 && out->npeople > 0) {
            int64_t shares[MODEL_MAX_PEOPLE];
            int by_one = out->tip_paid_by[0] != 0;
            money_split(by_one ? total : total + tip, out->npeople, shares);
            for (size_t i = 0; i < out->npeople; i++) {
                out->people[i].amount = shares[i];
                if (by_one && !strcmp(out->people[i].openid, out->tip_paid_by))
                    out->people[i].amount += tip;
            }
        }
        if (total >= 0) total += tip;
    } else {
        for (size_t j = 0; j < nnamed; j++)
            add_person(out, named[j]);
        int back = has(a, CUE_FRONTED) || has(a, CUE_BACK);
        if (out->npeople == 0 && ord && !a->unresolved && it != MODEL_INTENT_REFUND) {
            if (ord->payer && (!me || strcmp(ord->payer, me)))
                add_openid(out, dir, ord->payer);
            else
                for (size_t i = 0; i < ord->nparticipants; i++)
                    if (!me || strcmp(ord->participants[i], me))
                        add_openid(out, dir, ord->participants[i]);
        }
        if (it == MODEL_INTENT_TIP) {
            int64_t rate = ov->tip_rate_bp ? ov->tip_rate_bp
                           : pct >= 0      ? a->am[pct].value_e4 / 100
                                           : 0;
            out->has_tip = 1;
            if (tipm >= 0) {
                total = to_minor(a->am[tipm].value_e4, cur);
            } else if (rate > 0 && total >= 0) {
                money_apply_bp(total, rate, &tip);
                total = tip;
            } else if (!rate && (ord || has(a, CUE_BILL))) {
                model_question *q =
                    ask(out, "tip_rate",
                        a->zh ? "小费是15%还是18%？" : "Did you mean to tip 15% or 18%?");
                option(q, "15", "15%");
                option(q, "18", "18%");
            }
            out->tip_rate_bp = (int)rate;
            out->tip_amount = total > 0 ? total : 0;
            /* a tip for an order goes to whoever served it: not a person we know */
            if (nnamed == 0) out->npeople = 0;
        } else if (total >= 0) {
            if ((back || has(a, CUE_SHARE)) && a->from_order && ord && orders_has(ord, me) &&
                ord->nparticipants > 1 && !has(a, CUE_HALF)) {
                int64_t shares[DIRECTORY_MAX_PARTICIPANTS];
                money_split(total, ord->nparticipants, shares);
                total = shares[ord->nparticipants - 1];
            }
            if (pct >= 0 && lexicon_find(a->text, a->len, a->am[pct].end, "of", 2) ==
                                (long)a->am[pct].end + 1) {
                money_apply_bp(total, a->am[pct].value_e4 / 100, &total);
                a->relation = 1;
            } else if (has(a, CUE_HALF)) {
                money_apply_bp(total, 5000, &total);
                a->relation = 1;
            } else if (has(a, CUE_THIRD)) {
                total /= 3;
                a->relation = 1;
            }
        }
        if (total >= 0 && minus >= 0) {
            total -= to_minor(a->am[minus].value_e4, cur);
            if (total < 0) total = 0;
            a->relation = 1;
        }
        if (total >= 0 && plus >= 0) {
            total += to_minor(a->am[plus].value_e4, cur);
            a->relation = 1;
        }
        if (total >= 0 && out->npeople > 0) {
            if (has(a, CUE_EACH) && out->npeople > 1 && !a->from_order) {
                for (size_t i = 0; i < out->npeople; i++)
                    out->people[i].amount = total;
                total *= (int64_t)out->npeople;
            } else {
                int64_t shares[MODEL_MAX_PEOPLE];
                money_split(total, out->npeople, shares);
                for (size_t i = 0; i < out->npeople; i++)
                    out->people[i].amount = shares[i];
            }
        }
        if ((it == MODEL_INTENT_PAY || it == MODEL_INTENT_TRANSFER) && out->npeople == 0 &&
            !a->unresolved)
            ask(out, "payee", a->zh ? "收款人是谁？" : "Who should receive the money?");
    }
    if (a->competing && !ov->has_amount) {
        ask(out, "amount", a->zh ? "金额是多少？" : "How much is it?");
    } else if (total >= 0) {
        out->has_amount = 1;
        out->total = total;
    } else if (!(it == MODEL_INTENT_TIP && out->nquestions)) {
        ask(out, "amount", a->zh ? "金额是多少？" : "How much is it?");
    }
    if (it == MODEL_INTENT_UNKNOWN) {
        model_question *q = ask(out, "intent",
                                a->zh ? "你想做什么：付款、转账还是AA？"
                                      : "What would you like to do: pay, transfer or split?");
        option(q, "pay", a->zh ? "付款" : "Pay");
        option(q, "transfer", a->zh ? "转账" : "Transfer");
        option(q, "split_bill", a->zh ? "AA分账" : "Split the bill");
    }
    a->names_resolved = a->unresolved == 0;
}

/* ---- confidence ------------------------------------------------------------------------ */

/* Start from a base, add for each piece of evidence that settles a slot, subtract for each
 * guess or doubt; docs/model.md lists the weights and how they were calibrated. */
static double confidence(const analysis *a, const model_result *out, size_t nanswered)
{
    double c = 0.70;
    c += a->cue_strength >= 2 ? 0.08 : a->cue_strength == 1 ? 0.02 : -0.10;
    if (a->guessed_intent) c -= 0.05;
    if (out->has_amount) c += a->marked ? 0.08 : a->from_order ? 0.05 : 0.02;
    if (a->no_marker) c -= 0.07;
    c += a->unresolved ? -0.12 * a->unresolved : 0.06;
    if (a->order_found) c += 0.03;
    if (a->slang) c -= 0.03;
    if (a->typo) c -= 0.07;
    if (has(a, CUE_HEDGE)) c -= 0.03 + 0.04 * (a->cues[CUE_HEDGE] >= 2);
    if (has(a, CUE_NEGATION)) c -= 0.15;
    if (a->pronoun) c -= 0.03;
    if (a->relation) c -= 0.03;
    if (a->competing) c -= 0.10;
    if (a->order_choice) c -= 0.06;
    if (a->time_mismatch) c -= 0.08;
    if (a->st.emoji > 2) c -= 0.02;
    c -= 0.22 * (double)out->nquestions;
    c += 0.01 * (double)nanswered;
    if (c < 0.05) c = 0.05;
    if (c > 0.99) c = 0.99;
    return (double)(int)(c * 1000 + 0.5) / 1000;
}

/* ---- answers --------------------------------------------------------------------------- */

static const model_question *asked(const model_question *qs, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(qs[i].id, id)) return &qs[i];
    return NULL;
}

static const char *pick_option(const model_question *q, const model_answer *ans)
{
    const char *want = ans->option_id ? ans->option_id : ans->text;
    if (!want) return NULL;
    for (size_t i = 0; i < q->noptions; i++)
        if (!strcasecmp(q->options[i].id, want) ||
            (!ans->option_id && !strcasecmp(q->options[i].label, want)))
            return q->options[i].id;
    return NULL;
}

/* A free-text answer naming a person: the one person it names unambiguously, or NULL. */
static const directory_person *person_from_text(const directory *dir, const char *text,
                                                analysis *tmp)
{
    if (!text) return NULL;
    tmp->len = lexicon_normalize(text, strnlen(text, MODEL_MAX_TEXT), tmp->text, sizeof tmp->text,
                                 &tmp->st);
    tmp->nnames = names_scan(dir, tmp->text, tmp->len, tmp->names, NAMES_MAX);
    return tmp->nnames >= 1 && tmp->names[0].ncand == 1 ? tmp->names[0].cand[0] : NULL;
}

/* Apply one answer to ov; -1 when it names no option of its question. */
static int apply_answer(const directory *dir, const model_question *q, const model_answer *ans,
                        overrides *ov, analysis *tmp)
{
    const char *opt = q->noptions ? pick_option(q, ans) : NULL;
    if (q->noptions && !opt && !ans->option_id && ans->text && strcmp(q->id, "tip_rate") &&
        strcmp(q->id, "currency") && strcmp(q->id, "intent")) {
        /* "Alice Zhang" answers "which Alice?" when it names one of the options */
        const directory_person *p = person_from_text(dir, ans->text, tmp);
        for (size_t i = 0; p && i < q->noptions; i++)
            if (!strcmp(q->options[i].id, p->openid)) opt = q->options[i].id;
    }
    if (q->noptions && !opt) {
        if (ans->option_id || !ans->text || strcmp(q->id, "tip_rate")) return -1;
    } else if (!q->noptions && ans->option_id && !ans->text) {
        return -1;
    }
    const char *id = q->id;
    if (!strcmp(id, "tip_rate")) {
        if (opt) {
            ov->tip_rate_bp = (int)strtol(opt, NULL, 10) * 100;
        } else {
            tmp->len = lexicon_normalize(ans->text, strnlen(ans->text, 64), tmp->text,
                                         sizeof tmp->text, &tmp->st);
            tmp->nam = amount_scan(tmp->text, tmp->len, tmp->am, AMOUNT_MAX_MENTIONS);
            if (!tmp->nam || tmp->am[0].value_e4 <= 0 || tmp->am[0].value_e4 > 100 * AMOUNT_SCALE)
                return -1;
            ov->tip_rate_bp = (int)(tmp->am[0].value_e4 / 100);
        }
    } else if (!strcmp(id, "currency")) {
        copy(ov->currency, sizeof ov->currency, opt);
    } else if (!strcmp(id, "intent")) {
        for (int k = 1; k <= MODEL_INTENT_DEPOSIT; k++)
            if (!strcmp(opt, intent_names[k])) ov->intent = (model_intent)k;
    } else if (!strcmp(id, "amount")) {
        if (!ans->text) return -1;
        tmp->len = lexicon_normalize(ans->text, strnlen(ans->text, MODEL_MAX_TEXT), tmp->text,
                                     sizeof tmp->text, &tmp->st);
        tmp->nam = amount_scan(tmp->text, tmp->len, tmp->am, AMOUNT_MAX_MENTIONS);
        for (size_t k = 0; k < tmp->nam; k++)
            if (is_money(&tmp->am[k])) {
                ov->has_amount = 1;
                ov->amount_e4 = tmp->am[k].value_e4;
                memcpy(ov->amount_currency, tmp->am[k].currency, 4);
                break;
            }
        if (!ov->has_amount) return 0; /* not an amount: the question stays open */
    } else if (!strcmp(id, "people")) {
        if (!ans->text) return -1;
        tmp->len = lexicon_normalize(ans->text, strnlen(ans->text, MODEL_MAX_TEXT), tmp->text,
                                     sizeof tmp->text, &tmp->st);
        tmp->nnames = names_scan(dir, tmp->text, tmp->len, tmp->names, NAMES_MAX);
        for (size_t k = 0; k < tmp->nnames && ov->npeople_answer < MODEL_MAX_PEOPLE; k++)
            if (tmp->names[k].ncand == 1) ov->people[ov->npeople_answer++] = tmp->names[k].cand[0];
        ov->people_answered = ov->npeople_answer > 0;
        if (!ov->people_answered) return 0;
    } else {
        const directory_person *p =
            opt ? directory_person_by_openid(dir, opt) : person_from_text(dir, ans->text, tmp);
        if (!p) return 0;
        if (!strcmp(id, "payee")) {
            ov->payee = p;
        } else if (ov->npersons < MODEL_MAX_ANSWERS) {
            copy(ov->persons[ov->npersons].qid, sizeof ov->persons[0].qid, id);
            ov->persons[ov->npersons++].person = p;
        }
    }
    ov->nanswered++;
    return 0;
}

int model_parse(const directory *dir, const model_input *in, model_result *out,
                const char **bad_question)
{
    if (bad_question) *bad_question = NULL;
    if (!in || !out || !in->text || in->len == 0 || in->len > MODEL_MAX_TEXT) return MODEL_EINVAL;
    if (in->nanswers && !in->answers) return MODEL_EINVAL;
    analysis a;
    overrides ov;
    memset(&ov, 0, sizeof ov);
    analyse(dir, in, &ov, &a, out);
    if (in->nanswers == 0) {
        out->confidence = confidence(&a, out, 0);
        return MODEL_OK;
    }
    /* answers fill exactly the slots the first pass asked about */
    model_question first[MODEL_MAX_QUESTIONS];
    size_t nfirst = out->nquestions;
    memcpy(first, out->questions, sizeof first);
    analysis *tmp = &a; /* the first pass is done with a: reuse its storage for answer text */
    for (size_t i = 0; i < in->nanswers && i < MODEL_MAX_ANSWERS; i++) {
        const model_answer *ans = &in->answers[i];
        const model_question *q = ans->question_id ? asked(first, nfirst, ans->question_id) : NULL;
        if (!q || apply_answer(dir, q, ans, &ov, tmp) != 0) {
            if (bad_question) *bad_question = ans->question_id;
            return MODEL_EANSWER;
        }
    }
    analyse(dir, in, &ov, &a, out);
    out->confidence = confidence(&a, out, ov.nanswered);
    return MODEL_OK;
}
