#include "jspattern.h"

#include <string.h>

typedef struct out {
    char *buf;
    size_t cap, len;
    int overflow;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->overflow = 1;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* \uXXXX / \xHH: returns the code point and advances *p past the digits, or -1. */
static long hex_escape(const char **p, int ndigits)
{
    long v = 0;
    for (int i = 0; i < ndigits; i++) {
        int h = hexval((*p)[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    *p += ndigits;
    return v;
}

static size_t utf8_encode(long cp, char *b)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    b[0] = (char)(0xE0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* One literal character outside brackets: ERE-special ones get a backslash. */
static void put_literal(out *o, long cp)
{
    char b[4];
    if (cp < 0x80 && strchr(".[]{}()*+?^$|\\", (int)cp) && cp != 0) put(o, "\\", 1);
    size_t n = utf8_encode(cp, b);
    /* a multibyte character is one atom in ECMA: group it so a quantifier covers all bytes */
    if (n > 1) put(o, "(", 1);
    put(o, b, n);
    if (n > 1) put(o, ")", 1);
}

/* Control escapes shared by both contexts: \n \t ... Returns the char or -1. */
static long control_escape(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    case 'f':
        return '\f';
    case 'v':
        return '\v';
    default:
        return -1;
    }
}

static int fail(const char **why, const char *reason, int rc)
{
    if (why) *why = reason;
    return rc;
}

/* ECMA bracket expressions allow ']' '-' '^' anywhere when escaped; POSIX
 * wants ']' first, '-' last and '^' not first, so those are collected and
 * placed at the end. p points just after '['; on return it is after ']'. */
static int bracket(const char **pp, out *o, const char **why)
{
    const char *p = *pp;
    int neg = 0, rbr = 0, dash = 0, caret = 0;
    char body[512];
    size_t bl = 0;
    if (*p == '^') {
        neg = 1;
        p++;
    }
    if (*p == ']') return fail(why, "empty character class", JSPATTERN_EUNSUPPORTED);
    while (*p && *p != ']') {
        const char *add = NULL;
        char one[2] = {0, 0};
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80) return fail(why, "non-ASCII character in a class", JSPATTERN_EUNSUPPORTED);
        if (c == '\\') {
            char e = p[1];
            p += 2;
            long cp = control_escape(e);
            if (e == 'd')
                add = "0-9";
            else if (e == 'w')
                add = "A-Za-z0-9_";
            else if (e == 's')
                add = "[:space:]";
            else if (e == 'u' || e == 'x') {
                cp = hex_escape(&p, e == 'u' ? 4 : 2);
                if (cp < 0) return fail(why, "bad hex escape", JSPATTERN_EBAD);
                if (cp >= 0x80)
                    return fail(why, "non-ASCII character in a class", JSPATTERN_EUNSUPPORTED);
            } else if (cp < 0 && e && strchr("]-^\\[./|(){}*+?$", e)) {
                cp = e;
            } else if (cp < 0) {
                return fail(why, "escape not supported in a class", JSPATTERN_EUNSUPPORTED);
            }
            if (!add) {
                if (cp == ']')
                    rbr = 1;
                else if (cp == '-')
                    dash = 1;
                else if (cp == '^')
                    caret = 1;
                else
                    one[0] = (char)cp, add = one;
            }
        } else if (c == '-' && (bl == 0 || p[1] == ']')) {
            dash = 1; /* a leading or trailing '-' is literal */
            p++;
        } else if (c == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            return fail(why, "'[:' in a class", JSPATTERN_EUNSUPPORTED);
        } else {
            one[0] = (char)c;
            add = one;
            p++;
        }
        if (add) {
            size_t n = strlen(add);
            if (bl + n + 1 > sizeof body) return fail(why, "class too long", JSPATTERN_EBAD);
            memcpy(body + bl, add, n);
            bl += n;
        }
    }
    if (*p != ']') return fail(why, "unterminated character class", JSPATTERN_EBAD);
    *pp = p + 1;
    body[bl] = '\0';
    put(o, "[", 1);
    if (neg) put(o, "^", 1);
    if (rbr) put(o, "]", 1);
    puts_(o, body);
    if (caret) {
        /* '^' must not come first; when it would, it is the only member so use \^ outside */
        if (!rbr && bl == 0 && !neg) {
            o->len--; /* drop the '[' */
            puts_(o, dash ? "(\\^|-)" : "\\^");
            return 0;
        }
        put(o, "^", 1);
    }
    if (dash) put(o, "-", 1);
    put(o, "]", 1);
    return 0;
}

/* A '{' starts a quantifier only as {n}, {n,} or {n,m}; otherwise ECMA reads it literally. */
static size_t quantifier_len(const char *p)
{
    const char *q = p + 1;
    if (*q < '0' || *q > '9') return 0;
    while (*q >= '0' && *q <= '9')
        q++;
    if (*q == ',') {
        q++;
        while (*q >= '0' && *q <= '9')
            q++;
    }
    return *q == '}' ? (size_t)(q - p + 1) : 0;
}

int jspattern_translate(const char *ecma, char *buf, size_t cap, const char **why)
{
    out o = {buf, cap, 0, 0};
    if (cap) buf[0] = '\0';
    const char *p = ecma;
    int after_quant = 0; /* a '?' right after a quantifier makes it lazy: same match set */
    while (*p) {
        char c = *p;
        if (after_quant && c == '?') {
            p++;
            after_quant = 0;
            continue;
        }
        after_quant = 0;
        if (c == '\\') {
            char e = p[1];
            p += 2;
            long cp = control_escape(e);
            switch (e) {
            case 'd':
                puts_(&o, "[0-9]");
                continue;
            case 'D':
                puts_(&o, "[^0-9]");
                continue;
            case 'w':
                puts_(&o, "[A-Za-z0-9_]");
                continue;
            case 'W':
                puts_(&o, "[^A-Za-z0-9_]");
                continue;
            case 's':
                puts_(&o, "[[:space:]]");
                continue;
            case 'S':
                puts_(&o, "[^[:space:]]");
                continue;
            case 'u':
            case 'x':
                cp = hex_escape(&p, e == 'u' ? 4 : 2);
                if (cp < 0) return fail(why, "bad hex escape", JSPATTERN_EBAD);
                if (cp == 0) return fail(why, "NUL in pattern", JSPATTERN_EUNSUPPORTED);
                put_literal(&o, cp);
                continue;
            case '\0':
                return fail(why, "trailing backslash", JSPATTERN_EBAD);
            default:
                break;
            }
            if (cp < 0 && strchr(".[]{}()*+?^$|\\/-", e)) cp = e;
            if (cp < 0) {
                /* \b \B \p \k \1..: no POSIX equivalent with the same meaning */
                return fail(why, "escape not supported", JSPATTERN_EUNSUPPORTED);
            }
            put_literal(&o, cp);
        } else if (c == '[') {
            p++;
            int rc = bracket(&p, &o, why);
            if (rc) return rc;
        } else if (c == '(') {
            if (p[1] == '?') {
                if (p[2] != ':')
                    return fail(why, "lookaround or named group", JSPATTERN_EUNSUPPORTED);
                p += 3;
            } else {
                p++;
            }
            put(&o, "(", 1);
        } else if (c == '{') {
            size_t ql = quantifier_len(p);
            if (ql) {
                put(&o, p, ql);
                p += ql;
                after_quant = 1;
            } else {
                put(&o, "\\{", 2);
                p++;
            }
        } else if (c == '}') {
            put(&o, "\\}", 2);
            p++;
        } else if (c == '.') {
            /* ECMA's '.' stops at line terminators; POSIX's (without REG_NEWLINE) does not */
            puts_(&o, "[^\n\r]");
            p++;
        } else {
            put(&o, p, 1);
            after_quant = c == '*' || c == '+' || c == '?';
            p++;
        }
        if (o.overflow) return fail(why, "pattern too long", JSPATTERN_EBAD);
    }
    if (o.overflow) return fail(why, "pattern too long", JSPATTERN_EBAD);
    return JSPATTERN_OK;
}

int jspattern_compile(const char *ecma, regex_t *re, const char **why)
{
    char buf[JSPATTERN_MAX];
    int rc = jspattern_translate(ecma, buf, sizeof buf, why);
    if (rc) return rc;
    if (regcomp(re, buf, REG_EXTENDED | REG_NOSUB) != 0)
        return fail(why, "not a valid regular expression", JSPATTERN_EBAD);
    return JSPATTERN_OK;
}

int jspattern_match(const regex_t *re, const char *s)
{
    return regexec(re, s, 0, NULL, 0) == 0;
}
