#include "tokens.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

/* Decode one UTF-8 code point at p (n bytes left); returns its length, or 1
 * with *cp = 0xFFFD for an invalid byte. */
static size_t utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0)
        len = 2, c &= 0x1F;
    else if ((c & 0xF0) == 0xE0)
        len = 3, c &= 0x0F;
    else if ((c & 0xF8) == 0xF0)
        len = 4, c &= 0x07;
    else
        goto bad;
    if (len > n) goto bad;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) goto bad;
        c = c << 6 | (p[i] & 0x3F);
    }
    *cp = c;
    return len;
bad:
    *cp = 0xFFFD;
    return 1;
}

int64_t tokens_estimate(const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    int64_t tokens = 0;
    size_t i = 0;
    while (i < len) {
        if (isalpha(p[i]) || isdigit(p[i])) {
            int digits = isdigit(p[i]) != 0;
            size_t start = i;
            while (i < len && (digits ? isdigit(p[i]) : isalpha(p[i])))
                i++;
            size_t run = i - start;
            tokens += (int64_t)(digits ? (run + 2) / 3 : (run + 3) / 4);
            continue;
        }
        uint32_t cp;
        i += utf8_next(p + i, len - i, &cp);
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x3000) continue;
        tokens++;
    }
    return tokens;
}

/* Output tokens of a JSON answer: the tokens of its keys and values, as if
 * the model had written them out, so punctuation of the envelope is free. */
int64_t tokens_of_json(const cJSON *v)
{
    if (!v) return 0;
    return (v->string ? tokens_estimate(v->string, strlen(v->string)) : 0) +
           tokens_of_json_value(v);
}

int64_t tokens_of_json_value(const cJSON *v)
{
    char num[32];
    int64_t n = 0;
    if (cJSON_IsString(v)) return n + tokens_estimate(v->valuestring, strlen(v->valuestring));
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        int len;
        if (d == floor(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
            /* what "%.15g" prints for an integer of at most 15 digits, without snprintf */
            return n + tokens_estimate(num, json_int(num, (int64_t)d, 0));
        }
        len = snprintf(num, sizeof num, "%.15g", d);
        return n + tokens_estimate(num, len > 0 ? (size_t)len : 0);
    }
    if (!cJSON_IsArray(v) && !cJSON_IsObject(v)) return n + 1;
    for (const cJSON *c = v->child; c; c = c->next)
        n += tokens_of_json(c);
    return n;
}
