/* names: the people a sentence names, found through the directory.
 *
 * Directory names and aliases in the normalised text (longest first), the ones an
 * "except" takes out, pronouns standing for an earlier name (or for whoever paid the
 * order), and the name tied to a tip by a verb ("with Alice paying the tip"). The model
 * (model.c) decides what the names mean for the payment; this module only finds them. */
#ifndef WXAI_NAMES_H
#define WXAI_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "directory.h"
#include "lexicon.h"

#define NAMES_MAX 16     /* names kept per sentence */
#define NAMES_MAX_CAND 4 /* directory people one name can stand for */

typedef struct names_hit {
    uint32_t start, end;                          /* byte span in the normalised text */
    const directory_person *cand[NAMES_MAX_CAND]; /* borrowed from the directory */
    size_t ncand;
    const directory_person *chosen; /* settled by context or an answer */
    int excluded;                   /* "except Bob" */
    int pronoun;                    /* stands for an earlier name */
    int tip_payer;                  /* "with Alice paying the tip": not a reason to be a payer */
} names_hit;

/* The sentence as the lexicon read it (borrowed): normalised text, cue hits in text order. */
typedef struct names_text {
    const char *text;
    size_t len;
    const lexicon_hit *hits;
    size_t nhits;
} names_text;

/* Names and aliases of dir in s[0..len), longest first at each position, into out[cap];
 * returns how many. A name with one candidate comes back chosen. */
size_t names_scan(const directory *dir, const char *s, size_t len, names_hit *out, size_t cap);
/* Mark the names an "except" cue governs ("except Bob and Dave") as excluded. */
void names_mark_excluded(const names_text *t, names_hit *names, size_t n);
/* Insert, in text order, a name for each pronoun: the nearest earlier name, or the order's
 * payer when that is not me (me and ord may be NULL). *n grows up to NAMES_MAX. Returns 1
 * when a pronoun was resolved, else 0. */
int names_resolve_pronouns(const names_text *t, const directory *dir, const directory_order *ord,
                           const char *me, names_hit *names, size_t *n);
/* The chosen name tied to a tip cue by a verb ("paying", "出"), or NULL; points into names. */
names_hit *names_tip_payer(const names_text *t, names_hit *names, size_t n);
/* "person_alice": the question id for h, from its text, into id[cap]. */
void names_question_id(const char *text, const names_hit *h, char *id, size_t cap);

#endif
