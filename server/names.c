/* names: the people a sentence names (see names.h). */
#include "names.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int name_match(const char *s, size_t len, size_t i, const char *name)
{
    size_t nl = strlen(name);
    if (!nl || i + nl > len || strncasecmp(s + i, name, nl) != 0) return 0;
    if (lexicon_is_alnum((unsigned char)name[0]) && i > 0 &&
        lexicon_is_alnum((unsigned char)s[i - 1]))
        return 0;
    if (lexicon_is_alnum((unsigned char)name[nl - 1]) && i + nl < len &&
        lexicon_is_alnum((unsigned char)s[i + nl]))
        return 0;
    return (int)nl;
}

size_t names_scan(const directory *dir, const char *s, size_t len, names_hit *out, size_t cap)
{
    size_t n = 0;
    if (!dir) return 0;
    for (size_t i = 0; i < len && n < cap;) {
        size_t best = 0;
        for (size_t p = 0; p < dir->npeople; p++) {
            const directory_person *pp = &dir->people[p];
            size_t l = (size_t)name_match(s, len, i, pp->name);
            if (l > best) best = l;
            for (size_t k = 0; k < pp->naliases; k++) {
                l = (size_t)name_match(s, len, i, pp->aliases[k]);
                if (l > best) best = l;
            }
        }
        if (!best) {
            i++;
            continue;
        }
        names_hit *h = &out[n++];
        memset(h, 0, sizeof *h);
        h->start = (uint32_t)i;
        h->end = (uint32_t)(i + best);
        h->ncand = directory_find_people(dir, s + i, best, h->cand, NAMES_MAX_CAND);
        if (h->ncand > NAMES_MAX_CAND) h->ncand = NAMES_MAX_CAND;
        if (h->ncand == 1) h->chosen = h->cand[0];
        i += best;
    }
    return n;
}

static int only_separators(const char *s, size_t a, size_t b)
{
    for (size_t i = a; i < b;) {
        if (s[i] == ' ' || s[i] == ',' || s[i] == '.' || s[i] == '&') {
            i++;
        } else if (!strncmp(s + i, "and", 3) || !strncmp(s + i, "or", 2)) {
            i += s[i] == 'a' ? 3 : 2;
        } else if (!strncmp(s + i, "和", 3) || !strncmp(s + i, "跟", 3) ||
                   !strncmp(s + i, "、", 3)) {
            i += 3;
        } else if (!strncmp(s + i, "for", 3)) {
            i += 3;
        } else {
            return 0;
        }
    }
    return 1;
}

void names_mark_excluded(const names_text *t, names_hit *names, size_t n)
{
    for (size_t h = 0; h < t->nhits; h++) {
        if (t->hits[h].cue != CUE_EXCEPT) continue;
        size_t from = t->hits[h].end;
        for (size_t k = 0; k < n; k++) {
            if (names[k].start < from) continue;
            if (!only_separators(t->text, from, names[k].start)) break;
            names[k].excluded = 1;
            from = names[k].end;
        }
    }
}

int names_resolve_pronouns(const names_text *t, const directory *dir, const directory_order *ord,
                           const char *me, names_hit *names, size_t *n)
{
    int resolved = 0;
    for (size_t h = 0; h < t->nhits && *n < NAMES_MAX; h++) {
        if (t->hits[h].cue != CUE_HE && t->hits[h].cue != CUE_SHE) continue;
        const names_hit *prev = NULL;
        for (size_t k = 0; k < *n; k++)
            if (names[k].end <= t->hits[h].start && !names[k].pronoun) prev = &names[k];
        names_hit ph;
        memset(&ph, 0, sizeof ph);
        ph.start = t->hits[h].start;
        ph.end = t->hits[h].end;
        ph.pronoun = 1;
        if (prev) {
            ph.ncand = prev->ncand;
            memcpy(ph.cand, prev->cand, sizeof ph.cand);
            ph.chosen = prev->chosen;
        } else if (ord && ord->payer && (!me || strcmp(ord->payer, me))) {
            ph.chosen = directory_person_by_openid(dir, ord->payer);
            if (ph.chosen) ph.cand[ph.ncand++] = ph.chosen;
        } else if (t->hits[h].start + 4 < t->len &&
                   !strncmp(t->text + t->hits[h].start, "his", 3)) {
            continue; /* "his share" with nobody named: not a payee */
        }
        resolved = 1;
        /* keep text order */
        size_t pos = *n;
        while (pos > 0 && names[pos - 1].start > ph.start) {
            names[pos] = names[pos - 1];
            pos--;
        }
        names[pos] = ph;
        (*n)++;
    }
    return resolved;
}

void names_question_id(const char *text, const names_hit *h, char *id, size_t cap)
{
    size_t o = (size_t)snprintf(id, cap, "person_");
    for (size_t i = h->start; i < h->end && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x80) continue;
        id[o++] = lexicon_is_alnum(c) ? (char)c : '_';
    }
    if (o == 7 && o + 2 < cap) o += (size_t)snprintf(id + o, cap - o, "%u", h->start);
    id[o] = '\0';
}

/* The name closest to a tip cue, when a verb ties the two. */
names_hit *names_tip_payer(const names_text *t, names_hit *names, size_t n)
{
    for (size_t h = 0; h < t->nhits; h++) {
        const lexicon_hit *cue = &t->hits[h];
        if (cue->cue != CUE_TIP) continue;
        names_hit *best = NULL;
        long bestd = 40;
        for (size_t k = 0; k < n; k++) {
            names_hit *nh = &names[k];
            long d = nh->end <= cue->start ? (long)(cue->start - nh->end)
                                           : (long)nh->start - (long)cue->end;
            if (nh->start >= cue->end && d > 10) continue;
            if (d >= 0 && d < bestd && !nh->excluded) {
                bestd = d;
                best = nh;
            }
        }
        if (best && best->chosen) {
            /* the name must be tied to the tip by a verb, not just be nearby */
            size_t lo = best->end < cue->start ? best->end : cue->end;
            size_t hi = best->end < cue->start ? cue->start : best->start + 12;
            if (hi > t->len) hi = t->len;
            const char *verbs[] = {"pay",    "cover", "出", "付",  "get",
                                   "handle", "take",  "请", "负责"};
            for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++) {
                long f = lexicon_find(t->text, hi, lo, verbs[v], strlen(verbs[v]));
                if (f < 0 && !lexicon_is_alnum((unsigned char)verbs[v][0])) continue;
                if (f < 0) {
                    for (size_t x = lo; x + strlen(verbs[v]) <= hi; x++)
                        if (!strncmp(t->text + x, verbs[v], strlen(verbs[v]))) f = (long)x;
                }
                if (f >= 0) return best;
            }
        }
    }
    return NULL;
}
