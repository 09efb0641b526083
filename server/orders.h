/* orders: which of the directory's orders a sentence is about.
 *
 * An order number in the text names its order outright; otherwise an order's keywords
 * ("dinner", "KTV") pick it, and a time cue ("last night", 昨天) narrows the pick to the
 * orders placed then, on the API's calendar (UTC+8 unless the request says otherwise). A
 * time cue alone names an order only when exactly one falls in its window and the
 * sentence speaks of a bill or a split. */
#ifndef WXAI_ORDERS_H
#define WXAI_ORDERS_H

#include <stdint.h>

#include "directory.h"
#include "lexicon.h"

/* What a sentence says about its order's time. */
typedef struct orders_when {
    lexicon_cue cue;        /* CUE_LAST_NIGHT, ... CUE_LAST_WEEK; CUE_COUNT_ when none */
    int64_t reference_unix; /* "now" for the sentence */
    int64_t utc_offset_s;   /* of the calendar the cue is read on */
    int bill_or_split;      /* the sentence speaks of a bill or a split */
} orders_when;

typedef struct orders_match {
    const directory_order *order; /* borrowed from the directory; NULL when none */
    int choice;                   /* more than one order fitted: the pick is a guess */
    int time_mismatch;            /* the keywords' order is not in the time cue's window */
} orders_match;

/* The order text[0..len) is about, into *out (zeroed first). dir may be NULL. */
void orders_find(const directory *dir, const char *text, size_t len, const orders_when *when,
                 orders_match *out);
/* 1 when openid paid for or took part in o; o and openid may be NULL. */
int orders_has(const directory_order *o, const char *openid);

#endif
