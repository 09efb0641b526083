#include "amount.h"

#include <string.h>

#include "lexicon.h"
#include "money.h"

#define MAX_MAJOR_E4 (MONEY_MAX_MINOR / 100 * AMOUNT_SCALE / 100) /* 10^13 major units, x 10^4 */

typedef struct marker {
    const char *text;
    const char *currency;
    unsigned flags;
} marker;

/* Before the number. Longest first where one is a suffix of another ("hk$" before "$"). */
static const marker prefixes[] = {
    {"hk$", "HKD", AMOUNT_F_SYMBOL},
    {"us$", "USD", AMOUNT_F_SYMBOL},
    {"$", "USD", AMOUNT_F_SYMBOL},
    {"\xc2\xa5", "CNY", AMOUNT_F_SYMBOL},
    {"\xe2\x82\xac", "EUR", AMOUNT_F_SYMBOL},
    {"\xc2\xa3", "GBP", AMOUNT_F_SYMBOL},
    {"rmb", "CNY", AMOUNT_F_CODE},
    {"cny", "CNY", AMOUNT_F_CODE},
    {"usd", "USD", AMOUNT_F_CODE},
    {"eur", "EUR", AMOUNT_F_CODE},
    {"jpy", "JPY", AMOUNT_F_CODE},
    {"hkd", "HKD", AMOUNT_F_CODE},
    {"gbp", "GBP", AMOUNT_F_CODE},
    {"人民币", "CNY", AMOUNT_F_WORD},
};

/* After the number, tried longest first by scanning all and keeping the longest match. */
static const marker suffixes[] = {
    {"hong kong dollars", "HKD", AMOUNT_F_WORD},
    {"hk dollars", "HKD", AMOUNT_F_WORD},
    {"us dollars", "USD", AMOUNT_F_WORD},
    {"dollars", "USD", AMOUNT_F_WORD},
    {"dollar", "USD", AMOUNT_F_WORD},
    {"bucks", "USD", AMOUNT_F_WORD | AMOUNT_F_SLANG},
    {"buck", "USD", AMOUNT_F_WORD | AMOUNT_F_SLANG},
    {"yuan", "CNY", AMOUNT_F_WORD},
    {"kuai", "CNY", AMOUNT_F_WORD | AMOUNT_F_SLANG},
    {"rmb", "CNY", AMOUNT_F_CODE},
    {"cny", "CNY", AMOUNT_F_CODE},
    {"usd", "USD", AMOUNT_F_CODE},
    {"eur", "EUR", AMOUNT_F_CODE},
    {"euros", "EUR", AMOUNT_F_WORD},
    {"euro", "EUR", AMOUNT_F_WORD},
    {"pounds", "GBP", AMOUNT_F_WORD},
    {"pound", "GBP", AMOUNT_F_WORD},
    {"quid", "GBP", AMOUNT_F_WORD | AMOUNT_F_SLANG},
    {"gbp", "GBP", AMOUNT_F_CODE},
    {"yen", "JPY", AMOUNT_F_WORD},
    {"jpy", "JPY", AMOUNT_F_CODE},
    {"hkd", "HKD", AMOUNT_F_CODE},
    {"元", "CNY", AMOUNT_F_WORD},
    {"块钱", "CNY", AMOUNT_F_WORD | AMOUNT_F_SLANG},
    {"块", "CNY", AMOUNT_F_WORD | AMOUNT_F_SLANG},
    {"圆", "CNY", AMOUNT_F_WORD},
    {"人民币", "CNY", AMOUNT_F_WORD},
    {"美元", "USD", AMOUNT_F_WORD},
    {"美金", "USD", AMOUNT_F_WORD},
    {"刀", "USD", AMOUNT_F_WORD | AMOUNT_F_SLANG},
    {"欧元", "EUR", AMOUNT_F_WORD},
    {"英镑", "GBP", AMOUNT_F_WORD},
    {"日元", "JPY", AMOUNT_F_WORD},
    {"日币", "JPY", AMOUNT_F_WORD},
    {"円", "JPY", AMOUNT_F_WORD},
    {"港币", "HKD", AMOUNT_F_WORD},
    {"港元", "HKD", AMOUNT_F_WORD},
    {"港纸", "HKD", AMOUNT_F_WORD | AMOUNT_F_SLANG},
};

/* Currency words that name a currency even when no number is attached ("in euros"). */
static const marker free_markers[] = {
    {"hk$", "HKD", 0},
    {"us$", "USD", 0},
    {"$", "USD", 0},
    {"\xc2\xa5", "CNY", 0},
    {"\xe2\x82\xac", "EUR", 0},
    {"\xc2\xa3", "GBP", 0},
    {"rmb", "CNY", 0},
    {"cny", "CNY", 0},
    {"usd", "USD", 0},
    {"eur", "EUR", 0},
    {"jpy", "JPY", 0},
    {"hkd", "HKD", 0},
    {"gbp", "GBP", 0},
    {"yuan", "CNY", 0},
    {"人民币", "CNY", 0},
    {"dollars", "USD", 0},
    {"euros", "EUR", 0},
    {"euro", "EUR", 0},
    {"pounds", "GBP", 0},
    {"yen", "JPY", 0},
    {"美元", "USD", 0},
    {"美金", "USD", 0},
    {"欧元", "EUR", 0},
    {"英镑", "GBP", 0},
    {"日元", "JPY", 0},
    {"港币", "HKD", 0},
    {"港元", "HKD", 0},
    {"hong kong dollars", "HKD", 0},
};

/* Words after a number that make it a count, a date or a time, not money. */
static const char *const count_words[] = {
    "people", "persons", "person",  "ways",  "way",     "guys",    "friends", "of us",  "of them",
    "times",  "nights",  "night",   "items", "tickets", "coffees", "beers",   "drinks", "pizzas",
    "meals",  "bottles", "rounds",  "cups",  "movies",  "months",  "weeks",   "days",   "years",
    "hours",  "mins",    "minutes", "am",    "pm",      "st",      "nd",      "rd",     "th",
    "x",      "kg",      "km",      "h",     "min",     "of",      "个人",    "人",     "位",
    "个",     "杯",      "份",      "张",    "瓶",      "碗",      "次",      "天",     "晚",
    "件",     "只",      "本",      "盒",    "斤",      "家",      "桌",      "月",     "日",
    "号",     "点",      "年",      "时",    "分钟",    "岁",      "楼",      "周",     "小时",
};

static const char *const number_words[] = {
    "zero",     "one",     "two",     "three",     "four",     "five",     "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
};
static const char *const tens_words[] = {"twenty", "thirty",  "forty",  "fifty",
                                         "sixty",  "seventy", "eighty", "ninety"};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return c >= 'a' && c <= 'z';
}

/* Length of w if s[i..] starts with it (with a word end for ASCII words), else 0. */
static size_t starts(const char *s, size_t len, size_t i, const char *w)
{
    size_t wl = strlen(w);
    if (i + wl > len || memcmp(s + i, w, wl) != 0) return 0;
    if (is_alpha(w[wl - 1]) && i + wl < len && lexicon_is_alnum((unsigned char)s[i + wl])) return 0;
    return wl;
}

static size_t skip_spaces(const char *s, size_t len, size_t i)
{
    while (i < len && s[i] == ' ')
        i++;
    return i;
}

/* The longest suffix marker at s[i..] (after optional spaces); its end or 0. */
static size_t suffix_at(const char *s, size_t len, size_t i, const marker **m)
{
    size_t j = skip_spaces(s, len, i), best = 0;
    for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
        size_t wl = starts(s, len, j, suffixes[k].text);
        if (wl > best) {
            best = wl;
            *m = &suffixes[k];
        }
    }
    return best ? j + best : 0;
}

/* A prefix marker ending right before num_start (spaces allowed); its start or -1. */
static long prefix_before(const char *s, size_t num_start, const marker **m)
{
    size_t e = num_start;
    while (e > 0 && s[e - 1] == ' ')
        e--;
    for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
        size_t wl = strlen(prefixes[k].text);
        if (wl > e || memcmp(s + e - wl, prefixes[k].text, wl) != 0) continue;
        if (is_alpha(prefixes[k].text[0]) && e - wl > 0 && is_alpha(s[e - wl - 1])) continue;
        *m = &prefixes[k];
        return (long)(e - wl);
    }
    return -1;
}

static int hanzi_digit(uint32_t cp)
{
    switch (cp) {
    case 0x96F6:
    case 0x3007:
        return 0; /* 零 〇 */
    case 0x4E00:
    case 0x58F9:
        return 1; /* 一 壹 */
    case 0x4E8C:
    case 0x8D30:
    case 0x4E24:
        return 2; /* 二 贰 两 */
    case 0x4E09:
    case 0x53C1:
        return 3; /* 三 叁 */
    case 0x56DB:
    case 0x8086:
        return 4; /* 四 肆 */
    case 0x4E94:
    case 0x4F0D:
        return 5; /* 五 伍 */
    case 0x516D:
    case 0x9646:
        return 6; /* 六 陆 */
    case 0x4E03:
    case 0x67D2:
        return 7; /* 七 柒 */
    case 0x516B:
    case 0x634C:
        return 8; /* 八 捌 */
    case 0x4E5D:
    case 0x7396:
        return 9; /* 九 玖 */
    default:
        return -1;
    }
}

static int64_t hanzi_unit(uint32_t cp)
{
    switch (cp) {
    case 0x5341:
    case 0x62FE:
        return 10; /* 十 拾 */
    case 0x767E:
    case 0x4F70:
        return 100; /* 百 佰 */
    case 0x5343:
    case 0x4EDF:
        return 1000; /* 千 仟 */
    case 0x4E07:
        return 10000; /* 万 */
    case 0x4EBF:
        return 100000000; /* 亿 */
    default:
        return 0;
    }
}

/* Parse a run of Chinese numerals at s[i..]; *end past it, *nchars its length in characters.
 * Returns the integer value or -1 when the run is not a number. */
static int64_t parse_hanzi(const char *s, size_t len, size_t i, size_t *end, size_t *nchars)
{
    int64_t total = 0, section = 0, last_unit = 0;
    int digit = -1, after_unit = 0, zero = 0;
    size_t j = i, n = 0;
    while (j < len) {
        size_t k = j;
        uint32_t cp = lexicon_utf8_next(s, len, &k);
        int d = hanzi_digit(cp);
        int64_t u = hanzi_unit(cp);
        if (d < 0 && !u) break;
        if (n == 0 && (d == 0 || (u && u != 10))) return -1; /* "千万", "零": not an amount */
        if (d >= 0) {
            if (digit >= 0) return -1; /* "五五开", "一零八": not a written amount */
            if (d == 0)
                zero = 1;
            else {
                after_unit = digit < 0 && last_unit && !zero;
                digit = d;
            }
        } else if (u < 10000) {
            section += (digit < 0 ? 1 : digit) * u;
            digit = -1;
            last_unit = u;
            zero = 0;
        } else {
            total += section + (digit < 0 ? 0 : digit);
            if (total > 100000000000LL / u) return -1;
            total *= u;
            section = 0;
            digit = -1;
            last_unit = u;
            zero = 0;
        }
        if (total > 100000000000LL) return -1;
        n++;
        j = k;
    }
    if (digit >= 0) section += after_unit && last_unit >= 10 ? digit * (last_unit / 10) : digit;
    *end = j;
    *nchars = n;
    return n ? total + section : -1;
}

static int word_value(const char *s, size_t len, size_t i, size_t *wl, int64_t *v)
{
    for (size_t k = 0; k < 20; k++)
        if ((*wl = starts(s, len, i, number_words[k]))) return *v = (int64_t)k, 1;
    for (size_t k = 0; k < 8; k++)
        if ((*wl = starts(s, len, i, tens_words[k]))) return *v = (int64_t)(k + 2) * 10, 1;
    if ((*wl = starts(s, len, i, "hundred"))) return *v = 100, 1;
    if ((*wl = starts(s, len, i, "thousand"))) return *v = 1000, 1;
    if ((*wl = starts(s, len, i, "million"))) return *v = 1000000, 1;
    return 0;
}

/* English number words at s[i..] ("one hundred and five", "a thousand", "twenty-five"). */
static int64_t parse_english(const char *s, size_t len, size_t i, size_t *end, size_t *nwords)
{
    int64_t total = 0, cur = 0;
    size_t j = i, n = 0, last_end = i;
    int pending_a = 0;
    while (j < len) {
        size_t wl;
        int64_t v;
        if (!word_value(s, len, j, &wl, &v)) {
            size_t al = starts(s, len, j, n ? "and" : "a");
            if (!al) break;
            if (!n) pending_a = 1;
            j = skip_spaces(s, len, j + al);
            continue;
        }
        if (pending_a && v < 100) break;
        pending_a = 0;
        if (v == 100)
            cur = (cur ? cur : 1) * 100;
        else if (v >= 1000) {
            total += (cur ? cur : 1) * v;
            cur = 0;
        } else
            cur += v;
        n++;
        j += wl;
        last_end = j;
        if (j < len && (s[j] == ' ' || s[j] == '-')) j++;
    }
    *end = last_end;
    *nwords = n;
    return n ? total + cur : -1;
}

static int followed_by_count(const char *s, size_t len, size_t i)
{
    size_t j = skip_spaces(s, len, i);
    for (size_t k = 0; k < sizeof count_words / sizeof count_words[0]; k++)
        if (starts(s, len, j, count_words[k])) return 1;
    return 0;
}

static int followed_by_percent(const char *s, size_t len, size_t i, size_t *end)
{
    size_t j = skip_spaces(s, len, i), wl;
    if (j < len && s[j] == '%') return *end = j + 1, 1;
    if ((wl = starts(s, len, j, "percent")) || (wl = starts(s, len, j, "per cent")) ||
        (wl = starts(s, len, j, "pct")))
        return *end = j + wl, 1;
    return 0;
}

/* v * mult, or just past the cap when that would overflow (the cap check then drops it). */
static int64_t times(int64_t v, int64_t mult)
{
    return v > MAX_MAJOR_E4 / mult ? MAX_MAJOR_E4 + 1 : v * mult;
}

/* Digits with thousands separators and decimals; value x 10^4 or -1. */
static int64_t parse_digits(const char *s, size_t len, size_t i, size_t *end)
{
    int64_t whole = 0, frac = 0, scale = 1000;
    size_t j = i;
    while (j < len) {
        if (is_digit(s[j])) {
            if (whole > MAX_MAJOR_E4 / AMOUNT_SCALE) return -1;
            whole = whole * 10 + (s[j] - '0');
            j++;
        } else if (s[j] == ',' && j > i && j + 3 < len && is_digit(s[j + 1]) &&
                   is_digit(s[j + 2]) && is_digit(s[j + 3]) &&
                   (j + 4 >= len || !is_digit(s[j + 4]))) {
            j++;
        } else
            break;
    }
    if (j + 1 < len && s[j] == '.' && is_digit(s[j + 1])) {
        j++;
        int rounded = 0;
        while (j < len && is_digit(s[j])) {
            if (scale)
                frac += (s[j] - '0') * scale;
            else if (!rounded)
                frac += (s[j] >= '5'), rounded = 1;
            scale /= 10;
            j++;
        }
    }
    *end = j;
    return whole * AMOUNT_SCALE + frac;
}

static void set_currency(amount_mention *m, const marker *mk)
{
    memcpy(m->currency, mk->currency, 4);
    m->flags |= mk->flags;
}

/* Jiao after 块/元: "45块5", "两块五", "5块5毛". */
static size_t parse_jiao(const char *s, size_t len, size_t i, int64_t *add)
{
    size_t j = i, k = i;
    int d = -1;
    if (starts(s, len, j, "零")) j = k = i + 3;
    if (j < len && is_digit(s[j]) && (j + 1 >= len || !is_digit(s[j + 1]))) {
        d = s[j] - '0';
        k = j + 1;
    } else if (j < len) {
        uint32_t cp = lexicon_utf8_next(s, len, &k);
        d = hanzi_digit(cp);
        if (d < 0) return i;
        size_t k2 = k;
        if (k2 < len && (hanzi_digit(lexicon_utf8_next(s, len, &k2)) >= 0)) return i;
    }
    if (d <= 0) return i;
    size_t w;
    if ((w = starts(s, len, k, "毛")) || (w = starts(s, len, k, "角")))
        k += w;
    else if (k < len && (followed_by_count(s, len, k) || is_alpha(s[k])))
        return i;
    *add = d * (AMOUNT_SCALE / 10);
    return k;
}

size_t amount_scan(const char *s, size_t len, amount_mention *out, size_t cap)
{
    size_t n = 0, i = 0;
    while (i < len && n < cap) {
        amount_mention m;
        memset(&m, 0, sizeof m);
        size_t end = 0, k = i;
        uint32_t cp = lexicon_utf8_next(s, len, &k);
        int64_t v = -1;
        int ok_alone = 1;
        if (is_digit(s[i])) {
            if (i > 0 && (is_alpha(s[i - 1]) || s[i - 1] == '#' || s[i - 1] == '.' ||
                          (i > 1 && (s[i - 1] == '-' || s[i - 1] == '/' || s[i - 1] == ':') &&
                           lexicon_is_alnum((unsigned char)s[i - 2])))) {
                while (i < len && (lexicon_is_alnum((unsigned char)s[i])))
                    i++;
                continue;
            }
            v = parse_digits(s, len, i, &end);
            if (v < 0) {
                while (i < len && is_digit(s[i]))
                    i++;
                continue;
            }
            if (end < len && (s[end] == ':' || s[end] == '/' || s[end] == '-') && end + 1 < len &&
                is_digit(s[end + 1])) {
                i = end + 1;
                while (i < len && (is_digit(s[i]) || s[i] == ':' || s[i] == '/' || s[i] == '-'))
                    i++;
                continue;
            }
            size_t w;
            if ((w = starts(s, len, end, "k")) || (w = starts(s, len, end, "w"))) {
                v = times(v, s[end] == 'k' ? 1000 : 10000);
                m.flags |= AMOUNT_F_SLANG | AMOUNT_F_MULTIPLIER;
                end += w;
            } else if ((w = starts(s, len, skip_spaces(s, len, end), "grand"))) {
                v = times(v, 1000);
                m.flags |= AMOUNT_F_SLANG | AMOUNT_F_MULTIPLIER;
                end = skip_spaces(s, len, end) + w;
            } else {
                size_t k2 = end;
                int64_t u = k2 < len ? hanzi_unit(lexicon_utf8_next(s, len, &k2)) : 0;
                if (u >= 100) {
                    v = times(v, u);
                    m.flags |= AMOUNT_F_MULTIPLIER;
                    end = k2;
                }
            }
        } else if (hanzi_digit(cp) >= 0 || hanzi_unit(cp) == 10) {
            size_t nchars = 0, run = k;
            while (run < len) {
                size_t k3 = run;
                uint32_t c3 = lexicon_utf8_next(s, len, &k3);
                if (hanzi_digit(c3) < 0 && !hanzi_unit(c3)) break;
                run = k3;
            }
            if (i >= 3 && memcmp(s + i - 3, "第", 3) == 0)
                v = -1;
            else
                v = parse_hanzi(s, len, i, &end, &nchars);
            if (v < 0) {
                i = run;
                continue;
            }
            v *= AMOUNT_SCALE;
            m.flags |= AMOUNT_F_HANZI;
            ok_alone = nchars >= 2;
        } else if (is_alpha(s[i]) && (i == 0 || !is_alpha(s[i - 1]))) {
            size_t nwords = 0;
            v = parse_english(s, len, i, &end, &nwords);
            if (v < 0) {
                while (i < len && is_alpha(s[i]))
                    i++;
                continue;
            }
            v *= AMOUNT_SCALE;
            m.flags |= AMOUNT_F_ENGLISH;
            ok_alone = nwords >= 2 || v >= 10 * AMOUNT_SCALE;
            size_t w;
            if ((w = starts(s, len, skip_spaces(s, len, end), "grand"))) {
                v *= 1000;
                m.flags |= AMOUNT_F_SLANG | AMOUNT_F_MULTIPLIER;
                end = skip_spaces(s, len, end) + w;
            }
        } else if (starts(s, len, i, "百分之")) {
            size_t e2, nc;
            int64_t p = parse_hanzi(s, len, i + 9, &e2, &nc);
            if (p < 0 && i + 9 < len && is_digit(s[i + 9]))
                p = parse_digits(s, len, i + 9, &e2) / AMOUNT_SCALE;
            if (p >= 0) {
                m.start = m.num_start = (uint32_t)i;
                m.end = (uint32_t)e2;
                m.value_e4 = p * AMOUNT_SCALE;
                m.flags = AMOUNT_F_PERCENT | AMOUNT_F_HANZI;
                out[n++] = m;
                i = e2;
                continue;
            }
            i += 9;
            continue;
        } else {
            i = k;
            continue;
        }
        if (v > MAX_MAJOR_E4) {
            i = end;
            continue;
        }
        m.num_start = m.start = (uint32_t)i;
        m.value_e4 = v;
        size_t pend;
        const marker *mk = NULL;
        if (followed_by_percent(s, len, end, &pend)) {
            m.flags |= AMOUNT_F_PERCENT;
            m.end = (uint32_t)pend;
            out[n++] = m;
            i = pend;
            continue;
        }
        long ps = prefix_before(s, i, &mk);
        if (ps >= 0) {
            set_currency(&m, mk);
            m.start = (uint32_t)ps;
        }
        const marker *sk = NULL;
        size_t send = suffix_at(s, len, end, &sk);
        if (!send) {
            size_t w;
            size_t j = skip_spaces(s, len, end);
            if ((w = starts(s, len, j, "毛")) || (w = starts(s, len, j, "角"))) {
                m.value_e4 /= 10;
                memcpy(m.currency, "CNY", 4);
                m.flags |= AMOUNT_F_WORD | AMOUNT_F_SLANG;
                end = j + w;
                ok_alone = 1;
            }
        }
        if (send) {
            if (!m.currency[0] || strcmp(m.currency, sk->currency) != 0) {
                if (m.currency[0] && strcmp(m.currency, "CNY") != 0 &&
                    strcmp(m.currency, "USD") != 0)
                    ; /* an explicit prefix code wins over a conflicting word */
                else
                    set_currency(&m, sk);
            } else
                m.flags |= sk->flags;
            end = send;
            ok_alone = 1;
            if (!strcmp(sk->currency, "CNY") &&
                (!strcmp(sk->text, "块") || !strcmp(sk->text, "元"))) {
                int64_t add = 0;
                size_t je = parse_jiao(s, len, end, &add);
                if (je != end) {
                    m.value_e4 += add;
                    end = je;
                }
            }
        } else if (m.currency[0]) {
            ok_alone = 1;
        } else if (followed_by_count(s, len, end) ||
                   (end < len && is_alpha(s[end]) && !(m.flags & AMOUNT_F_ENGLISH))) {
            m.flags |= AMOUNT_F_COUNT;
        }
        if (!ok_alone && !(m.flags & AMOUNT_F_COUNT)) {
            i = end > i ? end : k;
            continue;
        }
        m.end = (uint32_t)end;
        out[n++] = m;
        i = end > i ? end : k;
    }
    return n;
}

size_t amount_currencies(const char *s, size_t len, amount_currency_hint *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < cap;) {
        if (i > 0 && is_alpha(s[i]) && is_alpha(s[i - 1])) {
            i++;
            continue;
        }
        size_t best = 0, bk = 0;
        for (size_t k = 0; k < sizeof free_markers / sizeof free_markers[0]; k++) {
            size_t wl = starts(s, len, i, free_markers[k].text);
            if (wl > best) best = wl, bk = k;
        }
        if (best) {
            out[n].start = (uint32_t)i;
            out[n].end = (uint32_t)(i + best);
            memcpy(out[n].currency, free_markers[bk].currency, 4);
            n++;
            i += best;
        } else
            i++;
    }
    return n;
}

int amount_to_minor(int64_t value_e4, const char *currency, int64_t *minor)
{
    int e = money_exponent(currency);
    if (e < 0 || e > 4 || value_e4 < 0) return -1;
    int64_t div = 1;
    for (int k = e; k < 4; k++)
        div *= 10;
    int64_t v = (value_e4 + div / 2) / div;
    if (v > MONEY_MAX_MINOR) return -1;
    *minor = v;
    return 0;
}
