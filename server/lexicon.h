/* lexicon: text normalisation and the cue words of the order-routing model.
 *
 * The model reads a normalised copy of the request text: full-width forms
 * folded to ASCII, ASCII lower-cased, curly quotes straightened, emoji and
 * stray symbols turned into spaces. Cues are the words and phrases that
 * signal an intent, a relation ("half", "minus"), a time ("last night") or a
 * participant ("me", "except"); lexicon_scan finds them all in one pass.
 * Everything here is read-only tables and pure functions. */
#ifndef WXAI_LEXICON_H
#define WXAI_LEXICON_H

#include <stddef.h>
#include <stdint.h>

#define LEXICON_MAX_HITS 96

typedef enum {
    CUE_SPLIT = 1,
    CUE_TIP,
    CUE_TRANSFER,
    CUE_PAY,
    CUE_REFUND,
    CUE_SUBSCRIPTION,
    CUE_DEPOSIT,
    CUE_FRONTED,    /* someone paid on my behalf: 垫付, "paid for me", "covered me" */
    CUE_BACK,       /* "pay back", "还": money returns to someone */
    CUE_ME,         /* me, myself, "Alice and I", 我和, 和我: the speaker takes part */
    CUE_US,         /* us, we, 我们: the speaker is among the payers */
    CUE_WITH,       /* with, 和, 跟, 同 */
    CUE_BETWEEN,    /* between, among */
    CUE_EXCEPT,     /* except, not, but, excluding, 除了, 不算 */
    CUE_EVERYONE,   /* everyone, all of us, 大家 */
    CUE_EACH,       /* each, apiece, 每人, 各 */
    CUE_HALF,       /* half, 一半 */
    CUE_THIRD,      /* a third, 三分之一 */
    CUE_MINUS,      /* minus, less, 减去, 扣掉 */
    CUE_PLUS,       /* plus, 加上 */
    CUE_LAST_NIGHT, /* last night, 昨晚 */
    CUE_YESTERDAY,  /* yesterday, 昨天 */
    CUE_TODAY,      /* today, 今天 */
    CUE_TONIGHT,    /* tonight, 今晚 */
    CUE_LAST_WEEK,  /* last week, 上周 */
    CUE_BILL,       /* bill, tab, check, 账单, 单 */
    CUE_HE,         /* him, he, 他 */
    CUE_SHE,        /* her, she, 她 */
    CUE_HEDGE,      /* maybe, about, around, 大概, 左右, 好像 */
    CUE_NEGATION,   /* don't, cancel, 不要, 别: the speaker may not want to pay */
    CUE_SHARE,      /* my share, 我的那份: the speaker's part of an order */
    CUE_OR,         /* or, 还是, 或者: alternatives, so nothing is settled */
    CUE_FILLER,     /* words that only shadow a shorter cue: 还有 is not 还 */
    CUE_COUNT_
} lexicon_cue;

typedef struct lexicon_hit {
    lexicon_cue cue;
    uint32_t start, end; /* byte span in the normalised text */
    uint8_t typo;        /* matched one edit away from the cue word */
    uint8_t strength;    /* 2: unmistakable ("AA", "split"); 1: weaker ("付", "send") */
} lexicon_hit;

typedef struct lexicon_stats {
    size_t cjk;         /* CJK ideographs */
    size_t latin_words; /* ASCII words, not counting codes such as AA, RMB, KTV */
    size_t emoji;       /* emoji and pictographs folded to spaces */
    size_t fullwidth;   /* full-width forms folded to ASCII */
} lexicon_stats;

/* Normalise in[0..len) into out (cap >= len + 1; never longer than the input);
 * NUL-terminates and returns the normalised length. Counts go to *st. */
size_t lexicon_normalize(const char *in, size_t len, char *out, size_t cap, lexicon_stats *st);
/* "zh", "en" or "mixed" for the counts (static string). */
const char *lexicon_locale(const lexicon_stats *st);
/* Every cue in s[0..len) in text order, up to cap; returns how many were written. */
size_t lexicon_scan(const char *s, size_t len, lexicon_hit *out, size_t cap);
/* Offset of needle in s[from..len) matched ASCII-case-insensitively, with word
 * boundaries where needle starts or ends with an ASCII letter or digit; -1 if absent. */
long lexicon_find(const char *s, size_t len, size_t from, const char *needle, size_t nlen);
/* Non-zero if c is an ASCII letter or digit. */
int lexicon_is_alnum(unsigned char c);
/* Decode one UTF-8 code point at s[*i] (advancing *i); invalid bytes give 0xFFFD. */
uint32_t lexicon_utf8_next(const char *s, size_t len, size_t *i);

#endif
