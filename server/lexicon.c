#include "lexicon.h"

#include <string.h>

typedef struct cue_word {
    const char *text;
    lexicon_cue cue;
    uint8_t strength;
} cue_word;

/* Longest match wins at a position, so "pay back" beats "pay" and "我们" beats "我和". */
static const cue_word cue_words[] = {
    /* split */
    {"split", CUE_SPLIT, 2},
    {"splitting", CUE_SPLIT, 2},
    {"aa", CUE_SPLIT, 2},
    {"aa制", CUE_SPLIT, 2},
    {"go halves", CUE_SPLIT, 2},
    {"go half", CUE_SPLIT, 2},
    {"go dutch", CUE_SPLIT, 2},
    {"going dutch", CUE_SPLIT, 2},
    {"divide", CUE_SPLIT, 2},
    {"share the bill", CUE_SPLIT, 2},
    {"share the cost", CUE_SPLIT, 2},
    {"chip in", CUE_SPLIT, 1},
    {"fifty-fifty", CUE_SPLIT, 2},
    {"50/50", CUE_SPLIT, 2},
    {"平分", CUE_SPLIT, 2},
    {"平摊", CUE_SPLIT, 2},
    {"分摊", CUE_SPLIT, 2},
    {"均摊", CUE_SPLIT, 2},
    {"均分", CUE_SPLIT, 2},
    {"分账", CUE_SPLIT, 2},
    {"一人一半", CUE_SPLIT, 2},
    {"五五开", CUE_SPLIT, 2},
    {"各付各的", CUE_SPLIT, 2},
    {"拆账", CUE_SPLIT, 2},
    {"各出一半", CUE_SPLIT, 2},
    {"个人分", CUE_SPLIT, 1},
    {"分一下", CUE_SPLIT, 1},
    /* tip */
    {"tip", CUE_TIP, 2},
    {"tips", CUE_TIP, 2},
    {"tipping", CUE_TIP, 2},
    {"gratuity", CUE_TIP, 2},
    {"小费", CUE_TIP, 2},
    {"打赏", CUE_TIP, 2},
    /* transfer */
    {"transfer", CUE_TRANSFER, 2},
    {"send", CUE_TRANSFER, 2},
    {"sending", CUE_TRANSFER, 2},
    {"wire", CUE_TRANSFER, 1},
    {"give", CUE_TRANSFER, 1},
    {"red packet", CUE_TRANSFER, 2},
    {"red envelope", CUE_TRANSFER, 2},
    {"hongbao", CUE_TRANSFER, 2},
    {"转账", CUE_TRANSFER, 2},
    {"转给", CUE_TRANSFER, 2},
    {"转", CUE_TRANSFER, 2},
    {"汇款", CUE_TRANSFER, 2},
    {"打钱", CUE_TRANSFER, 2},
    {"红包", CUE_TRANSFER, 2},
    {"给", CUE_TRANSFER, 1},
    /* pay */
    {"pay", CUE_PAY, 2},
    {"paying", CUE_PAY, 2},
    {"payment", CUE_PAY, 2},
    {"settle", CUE_PAY, 1},
    {"buy", CUE_PAY, 1},
    {"付", CUE_PAY, 2},
    {"付款", CUE_PAY, 2},
    {"付钱", CUE_PAY, 2},
    {"支付", CUE_PAY, 2},
    {"买单", CUE_PAY, 2},
    {"结账", CUE_PAY, 2},
    {"交", CUE_PAY, 1},
    /* money going back to someone */
    {"pay back", CUE_BACK, 2},
    {"back", CUE_BACK, 1},
    {"repay", CUE_BACK, 2},
    {"reimburse", CUE_BACK, 2},
    {"owe", CUE_BACK, 1},
    {"owes", CUE_BACK, 1},
    {"还给", CUE_BACK, 2},
    {"还钱", CUE_BACK, 2},
    {"还他", CUE_BACK, 2},
    {"还她", CUE_BACK, 2},
    {"还你", CUE_BACK, 2},
    {"还", CUE_BACK, 1},
    {"还有", CUE_FILLER, 1},
    {"还没", CUE_FILLER, 1},
    {"还要", CUE_FILLER, 1},
    {"my share", CUE_SHARE, 2},
    {"'s share", CUE_SHARE, 2},
    {"'s part", CUE_SHARE, 2},
    {"my part", CUE_SHARE, 2},
    {"my portion", CUE_SHARE, 2},
    {"my half", CUE_SHARE, 2},
    {"我的那份", CUE_SHARE, 2},
    {"我那份", CUE_SHARE, 2},
    {"我的份", CUE_SHARE, 2},
    {"or", CUE_OR, 1},
    {"或者", CUE_OR, 1},
    {"或", CUE_OR, 1},
    /* someone paid on my behalf */
    {"垫付", CUE_FRONTED, 2},
    {"垫了", CUE_FRONTED, 2},
    {"帮我垫", CUE_FRONTED, 2},
    {"帮我付了", CUE_FRONTED, 2},
    {"替我付", CUE_FRONTED, 2},
    {"paid for me", CUE_FRONTED, 2},
    {"covered me", CUE_FRONTED, 2},
    {"covered for me", CUE_FRONTED, 2},
    {"fronted", CUE_FRONTED, 2},
    {"paid on my behalf", CUE_FRONTED, 2},
    {"picked up the tab", CUE_FRONTED, 2},
    /* refund */
    {"refund", CUE_REFUND, 2},
    {"refunds", CUE_REFUND, 2},
    {"refunded", CUE_REFUND, 2},
    {"money back", CUE_REFUND, 2},
    {"退款", CUE_REFUND, 2},
    {"退钱", CUE_REFUND, 2},
    {"退回", CUE_REFUND, 2},
    {"退还", CUE_REFUND, 2},
    {"退", CUE_REFUND, 1},
    /* subscription */
    {"monthly", CUE_SUBSCRIPTION, 2},
    {"every month", CUE_SUBSCRIPTION, 2},
    {"each month", CUE_SUBSCRIPTION, 2},
    {"per month", CUE_SUBSCRIPTION, 2},
    {"a month", CUE_SUBSCRIPTION, 2},
    {"/month", CUE_SUBSCRIPTION, 2},
    {"/mo", CUE_SUBSCRIPTION, 2},
    {"weekly", CUE_SUBSCRIPTION, 2},
    {"every week", CUE_SUBSCRIPTION, 2},
    {"yearly", CUE_SUBSCRIPTION, 2},
    {"annually", CUE_SUBSCRIPTION, 2},
    {"every year", CUE_SUBSCRIPTION, 2},
    {"subscribe", CUE_SUBSCRIPTION, 2},
    {"subscription", CUE_SUBSCRIPTION, 2},
    {"recurring", CUE_SUBSCRIPTION, 2},
    {"每月", CUE_SUBSCRIPTION, 2},
    {"每个月", CUE_SUBSCRIPTION, 2},
    {"包月", CUE_SUBSCRIPTION, 2},
    {"按月", CUE_SUBSCRIPTION, 2},
    {"月付", CUE_SUBSCRIPTION, 2},
    {"每周", CUE_SUBSCRIPTION, 2},
    {"每年", CUE_SUBSCRIPTION, 2},
    {"订阅", CUE_SUBSCRIPTION, 2},
    {"自动续费", CUE_SUBSCRIPTION, 2},
    {"续费", CUE_SUBSCRIPTION, 2},
    /* deposit */
    {"deposit", CUE_DEPOSIT, 2},
    {"down payment", CUE_DEPOSIT, 2},
    {"定金", CUE_DEPOSIT, 2},
    {"订金", CUE_DEPOSIT, 2},
    {"押金", CUE_DEPOSIT, 2},
    {"首付", CUE_DEPOSIT, 2},
    {"保证金", CUE_DEPOSIT, 2},
    /* participants */
    {"me", CUE_ME, 2},
    {"myself", CUE_ME, 2},
    {"and i", CUE_ME, 2},
    {"i and", CUE_ME, 2},
    {"我和", CUE_ME, 2},
    {"我跟", CUE_ME, 2},
    {"和我", CUE_ME, 2},
    {"跟我", CUE_ME, 2},
    {"、我", CUE_ME, 2},
    {",我", CUE_ME, 2},
    {"us", CUE_US, 2},
    {"we", CUE_US, 2},
    {"both of us", CUE_US, 2},
    {"我们", CUE_US, 2},
    {"咱们", CUE_US, 2},
    {"咱俩", CUE_US, 2},
    {"我们俩", CUE_US, 2},
    {"with", CUE_WITH, 1},
    {"w/", CUE_WITH, 1},
    {"和", CUE_WITH, 1},
    {"跟", CUE_WITH, 1},
    {"同", CUE_WITH, 1},
    {"between", CUE_BETWEEN, 2},
    {"among", CUE_BETWEEN, 2},
    {"amongst", CUE_BETWEEN, 2},
    {"except", CUE_EXCEPT, 2},
    {"except for", CUE_EXCEPT, 2},
    {"not", CUE_EXCEPT, 1},
    {"but not", CUE_EXCEPT, 2},
    {"excluding", CUE_EXCEPT, 2},
    {"without", CUE_EXCEPT, 1},
    {"除了", CUE_EXCEPT, 2},
    {"不包括", CUE_EXCEPT, 2},
    {"不算", CUE_EXCEPT, 2},
    {"不含", CUE_EXCEPT, 2},
    {"everyone", CUE_EVERYONE, 2},
    {"everybody", CUE_EVERYONE, 2},
    {"all of us", CUE_EVERYONE, 2},
    {"the whole group", CUE_EVERYONE, 2},
    {"大家", CUE_EVERYONE, 2},
    {"所有人", CUE_EVERYONE, 2},
    {"each", CUE_EACH, 2},
    {"apiece", CUE_EACH, 2},
    {"per person", CUE_EACH, 2},
    {"a head", CUE_EACH, 2},
    {"每人", CUE_EACH, 2},
    {"每个人", CUE_EACH, 2},
    {"各", CUE_EACH, 1},
    /* relations */
    {"half", CUE_HALF, 2},
    {"一半", CUE_HALF, 2},
    {"1/2", CUE_HALF, 2},
    {"a third", CUE_THIRD, 2},
    {"one third", CUE_THIRD, 2},
    {"三分之一", CUE_THIRD, 2},
    {"minus", CUE_MINUS, 2},
    {"less", CUE_MINUS, 1},
    {"take off", CUE_MINUS, 2},
    {"subtract", CUE_MINUS, 2},
    {"deduct", CUE_MINUS, 2},
    {"减去", CUE_MINUS, 2},
    {"减掉", CUE_MINUS, 2},
    {"扣掉", CUE_MINUS, 2},
    {"扣除", CUE_MINUS, 2},
    {"扣", CUE_MINUS, 1},
    {"减", CUE_MINUS, 1},
    {"plus", CUE_PLUS, 2},
    {"加上", CUE_PLUS, 2},
    {"再加", CUE_PLUS, 2},
    /* time */
    {"last night", CUE_LAST_NIGHT, 2},
    {"last evening", CUE_LAST_NIGHT, 2},
    {"yesterday evening", CUE_LAST_NIGHT, 2},
    {"yesterday night", CUE_LAST_NIGHT, 2},
    {"昨晚", CUE_LAST_NIGHT, 2},
    {"昨天晚上", CUE_LAST_NIGHT, 2},
    {"昨夜", CUE_LAST_NIGHT, 2},
    {"yesterday", CUE_YESTERDAY, 2},
    {"昨天", CUE_YESTERDAY, 2},
    {"昨日", CUE_YESTERDAY, 2},
    {"today", CUE_TODAY, 2},
    {"this morning", CUE_TODAY, 2},
    {"this afternoon", CUE_TODAY, 2},
    {"今天", CUE_TODAY, 2},
    {"今日", CUE_TODAY, 2},
    {"今早", CUE_TODAY, 2},
    {"中午", CUE_TODAY, 1},
    {"tonight", CUE_TONIGHT, 2},
    {"this evening", CUE_TONIGHT, 2},
    {"今晚", CUE_TONIGHT, 2},
    {"last week", CUE_LAST_WEEK, 2},
    {"last weekend", CUE_LAST_WEEK, 2},
    {"上周", CUE_LAST_WEEK, 2},
    {"上周末", CUE_LAST_WEEK, 2},
    {"上个星期", CUE_LAST_WEEK, 2},
    {"上星期", CUE_LAST_WEEK, 2},
    {"bill", CUE_BILL, 1},
    {"tab", CUE_BILL, 1},
    {"check", CUE_BILL, 1},
    {"账单", CUE_BILL, 1},
    {"帐单", CUE_BILL, 1},
    {"钱", CUE_BILL, 1},
    {"费用", CUE_BILL, 1},
    /* pronouns */
    {"him", CUE_HE, 2},
    {"he", CUE_HE, 2},
    {"his", CUE_HE, 2},
    {"他", CUE_HE, 2},
    {"her", CUE_SHE, 2},
    {"she", CUE_SHE, 2},
    {"她", CUE_SHE, 2},
    /* doubt */
    {"maybe", CUE_HEDGE, 2},
    {"about", CUE_HEDGE, 1},
    {"around", CUE_HEDGE, 1},
    {"roughly", CUE_HEDGE, 2},
    {"approximately", CUE_HEDGE, 2},
    {"or so", CUE_HEDGE, 2},
    {"not sure", CUE_HEDGE, 2},
    {"i think", CUE_HEDGE, 1},
    {"i guess", CUE_HEDGE, 2},
    {"something like", CUE_HEDGE, 2},
    {"大概", CUE_HEDGE, 2},
    {"左右", CUE_HEDGE, 2},
    {"好像", CUE_HEDGE, 2},
    {"差不多", CUE_HEDGE, 2},
    {"大约", CUE_HEDGE, 2},
    {"估计", CUE_HEDGE, 2},
    {"还是", CUE_OR, 1},
    {"don't", CUE_NEGATION, 2},
    {"dont", CUE_NEGATION, 2},
    {"do not", CUE_NEGATION, 2},
    {"cancel", CUE_NEGATION, 2},
    {"never mind", CUE_NEGATION, 2},
    {"不要", CUE_NEGATION, 2},
    {"别", CUE_NEGATION, 2},
    {"取消", CUE_NEGATION, 2},
    {"不用", CUE_NEGATION, 2},
};

#define NCUES (sizeof cue_words / sizeof cue_words[0])

/* Words long enough that one slip of the finger still identifies them. */
static const cue_word fuzzy_words[] = {
    {"split", CUE_SPLIT, 2},
    {"transfer", CUE_TRANSFER, 2},
    {"refund", CUE_REFUND, 2},
    {"monthly", CUE_SUBSCRIPTION, 2},
    {"deposit", CUE_DEPOSIT, 2},
    {"between", CUE_BETWEEN, 2},
    {"except", CUE_EXCEPT, 2},
    {"yesterday", CUE_YESTERDAY, 2},
    {"subscription", CUE_SUBSCRIPTION, 2},
    {"gratuity", CUE_TIP, 2},
};

int lexicon_is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

uint32_t lexicon_utf8_next(const char *s, size_t len, size_t *i)
{
    const unsigned char *p = (const unsigned char *)s + *i;
    size_t left = len - *i;
    unsigned char c = p[0];
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    size_t n = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (n == 0 || n > left) {
        (*i)++;
        return 0xFFFD;
    }
    uint32_t cp = n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD;
        }
        cp = (cp << 6) | (p[k] & 0x3Fu);
    }
    *i += n;
    return cp;
}

static size_t put_utf8(char *out, size_t o, uint32_t cp)
{
    if (cp < 0x80) {
        out[o++] = (char)cp;
    } else if (cp < 0x800) {
        out[o++] = (char)(0xC0 | (cp >> 6));
        out[o++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[o++] = (char)(0xE0 | (cp >> 12));
        out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[o++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[o++] = (char)(0xF0 | (cp >> 18));
        out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[o++] = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

static int is_emoji(uint32_t cp)
{
    return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) ||
           (cp >= 0x2190 && cp <= 0x21FF) || (cp >= 0x2B00 && cp <= 0x2BFF) || cp == 0xFE0F ||
           cp == 0x200D || cp == 0x20E3 || (cp >= 0xE0020 && cp <= 0xE007F);
}

static int is_cjk(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF);
}

/* Words that read the same in a Chinese sentence: codes, units and names of
 * things, so "和Bob AA 100 RMB" stays Chinese. */
static int neutral_word(const char *w, size_t n)
{
    static const char *const words[] = {"aa",  "rmb", "cny", "usd", "eur", "hkd", "jpy", "gbp",
                                        "ktv", "ok",  "k",   "w",   "app", "id",  "vs"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && memcmp(words[i], w, n) == 0) return 1;
    return n < 2;
}

size_t lexicon_normalize(const char *in, size_t len, char *out, size_t cap, lexicon_stats *st)
{
    size_t i = 0, o = 0;
    memset(st, 0, sizeof *st);
    while (i < len && o + 4 < cap) {
        uint32_t cp = lexicon_utf8_next(in, len, &i);
        if (cp >= 0xFF01 && cp <= 0xFF5E) {
            cp -= 0xFEE0;
            st->fullwidth++;
        } else if (cp == 0xFFE5) {
            cp = 0xA5; /* ￥ */
            st->fullwidth++;
        } else if (cp == 0x3000 || cp == 0x3002 || cp == 0xFFFD || cp < 0x20 || cp == 0x7F) {
            cp = ' ';
        } else if (cp == 0x3001) {
            cp = ',';
        } else if (cp == 0x2018 || cp == 0x2019) {
            cp = '\'';
        } else if (cp == 0x201C || cp == 0x201D || cp == 0x300C || cp == 0x300D) {
            cp = '"';
        } else if (cp == 0x2014 || cp == 0x2013 || cp == 0x2026) {
            cp = ' ';
        } else if (is_emoji(cp)) {
            st->emoji += cp != 0xFE0F && cp != 0x200D;
            cp = ' ';
        }
        if (cp < 0x80) {
            out[o++] = (char)lower((unsigned char)cp);
        } else {
            if (is_cjk(cp)) st->cjk++;
            o = put_utf8(out, o, cp);
        }
    }
    out[o] = '\0';
    for (size_t k = 0; k < o;) {
        if (!(lower((unsigned char)out[k]) >= 'a' && lower((unsigned char)out[k]) <= 'z')) {
            k++;
            continue;
        }
        size_t b = k;
        while (k < o && ((out[k] >= 'a' && out[k] <= 'z') || out[k] == '\''))
            k++;
        if (!neutral_word(out + b, k - b)) st->latin_words++;
    }
    return o;
}

const char *lexicon_locale(const lexicon_stats *st)
{
    if (st->cjk == 0) return "en";
    if (st->latin_words == 0) return "zh";
    return "mixed";
}

long lexicon_find(const char *s, size_t len, size_t from, const char *needle, size_t nlen)
{
    if (nlen == 0 || nlen > len) return -1;
    int bstart = lexicon_is_alnum((unsigned char)needle[0]);
    int bend = lexicon_is_alnum((unsigned char)needle[nlen - 1]);
    for (size_t i = from; i + nlen <= len; i++) {
        if (lower((unsigned char)s[i]) != lower((unsigned char)needle[0])) continue;
        size_t k = 1;
        while (k < nlen && lower((unsigned char)s[i + k]) == lower((unsigned char)needle[k]))
            k++;
        if (k < nlen) continue;
        if (bstart && i > 0 && lexicon_is_alnum((unsigned char)s[i - 1])) continue;
        if (bend && i + nlen < len && lexicon_is_alnum((unsigned char)s[i + nlen])) continue;
        return (long)i;
    }
    return -1;
}

/* Damerau-Levenshtein distance of at most one (insert, delete, substitute, swap). */
static int within_one_edit(const char *a, size_t la, const char *b, size_t lb)
{
    if (la > lb + 1 || lb > la + 1) return 0;
    size_t i = 0;
    while (i < la && i < lb && a[i] == b[i])
        i++;
    if (i == la && i == lb) return 0; /* identical: not a typo */
    if (la == lb) {
        if (memcmp(a + i + 1, b + i + 1, la - i - 1) == 0) return 1;
        return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
               memcmp(a + i + 2, b + i + 2, la - i - 2) == 0;
    }
    if (la + 1 == lb) return memcmp(a + i, b + i + 1, la - i) == 0;
    return memcmp(a + i + 1, b + i, lb - i) == 0;
}

size_t lexicon_scan(const char *s, size_t len, lexicon_hit *out, size_t cap)
{
    size_t n = 0, i = 0;
    while (i < len && n < cap) {
        unsigned char c = (unsigned char)s[i];
        int word_start =
            !(lexicon_is_alnum(c) && i > 0 && lexicon_is_alnum((unsigned char)s[i - 1]));
        size_t best = 0, best_k = 0;
        if (word_start || c >= 0x80 || !lexicon_is_alnum(c)) {
            for (size_t k = 0; k < NCUES; k++) {
                const char *w = cue_words[k].text;
                if ((unsigned char)w[0] != c) continue;
                size_t wl = strlen(w);
                if (wl <= best || i + wl > len || memcmp(s + i, w, wl) != 0) continue;
                if (lexicon_is_alnum((unsigned char)w[wl - 1]) && i + wl < len &&
                    lexicon_is_alnum((unsigned char)s[i + wl]))
                    continue;
                best = wl;
                best_k = k;
            }
        }
        if (best) {
            out[n++] = (lexicon_hit){cue_words[best_k].cue, (uint32_t)i, (uint32_t)(i + best), 0,
                                     cue_words[best_k].strength};
            i += best;
            continue;
        }
        if (word_start && c >= 'a' && c <= 'z') {
            size_t e = i;
            while (e < len && s[e] >= 'a' && s[e] <= 'z')
                e++;
            if (e - i >= 4) {
                for (size_t k = 0; k < sizeof fuzzy_words / sizeof fuzzy_words[0]; k++) {
                    const char *w = fuzzy_words[k].text;
                    if (within_one_edit(s + i, e - i, w, strlen(w))) {
                        out[n++] = (lexicon_hit){fuzzy_words[k].cue, (uint32_t)i, (uint32_t)e, 1,
                                                 fuzzy_words[k].strength};
                        break;
                    }
                }
            }
            i = e;
            continue;
        }
        i++;
    }
    return n;
}
