/* orders: which of the directory's orders a sentence is about (see orders.h). */
#include "orders.h"

#include <string.h>

static int in_window(const directory_order *o, const orders_when *w)
{
    int64_t off = w->utc_offset_s;
    int64_t rl = w->reference_unix + off, ol = o->at_unix + off;
    int64_t rd = (rl >= 0 ? rl : rl - 86399) / 86400, od = (ol >= 0 ? ol : ol - 86399) / 86400;
    int64_t oh = (ol - od * 86400) / 3600;
    switch (w->cue) {
    case CUE_LAST_NIGHT:
        return (od == rd - 1 && oh >= 17) || (od == rd && oh < 5);
    case CUE_YESTERDAY:
        return od == rd - 1;
    case CUE_TODAY:
        return od == rd && o->at_unix <= w->reference_unix;
    case CUE_TONIGHT:
        return od == rd && oh >= 17;
    case CUE_LAST_WEEK:
        return od < rd && od >= rd - 14;
    default:
        return 1;
    }
}

void orders_find(const directory *dir, const char *text, size_t len, const orders_when *when,
                 orders_match *out)
{
    int timed = when->cue != CUE_COUNT_;
    memset(out, 0, sizeof *out);
    if (!dir) return;
    for (size_t i = 0; i < dir->norders; i++) {
        const char *no = dir->orders[i].out_trade_no;
        if (no && lexicon_find(text, len, 0, no, strlen(no)) >= 0) {
            out->order = &dir->orders[i];
            return;
        }
    }
    const directory_order *kw = NULL, *fit = NULL;
    size_t nkw = 0, nfit = 0;
    for (size_t i = 0; i < dir->norders; i++) {
        const directory_order *o = &dir->orders[i];
        int hit = 0;
        for (size_t k = 0; k < o->nkeywords && !hit; k++)
            hit = lexicon_find(text, len, 0, o->keywords[k], strlen(o->keywords[k])) >= 0;
        if (hit) {
            nkw++;
            if (!kw || o->at_unix > kw->at_unix) kw = o;
            if (timed && in_window(o, when)) {
                nfit++;
                fit = o;
            }
        }
    }
    if (fit) {
        out->order = fit;
        out->choice = nfit > 1;
        return;
    }
    if (kw) {
        out->order = kw;
        out->time_mismatch = timed;
        out->choice = nkw > 1;
        return;
    }
    if (!timed) return;
    /* "last night's bill": no keyword, the time alone names the order */
    const directory_order *only = NULL;
    size_t nw = 0;
    for (size_t i = 0; i < dir->norders; i++)
        if (in_window(&dir->orders[i], when)) {
            nw++;
            only = &dir->orders[i];
        }
    if (nw == 1 && when->bill_or_split) out->order = only;
}

int orders_has(const directory_order *o, const char *openid)
{
    if (!o || !openid) return 0;
    if (o->payer && !strcmp(o->payer, openid)) return 1;
    for (size_t i = 0; i < o->nparticipants; i++)
        if (!strcmp(o->participants[i], openid)) return 1;
    return 0;
}
