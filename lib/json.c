#include "json.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* A pre-pass that tracks only strings and brackets: cheap, and it keeps
 * cJSON's recursion bounded by our limit rather than its compile-time one. */
static int depth_ok(const char *buf, size_t len, int max_depth, size_t *err_offset)
{
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                *err_offset = i;
                return 0;
            }
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

int json_parse(const char *buf, size_t len, int max_depth, cJSON **out, size_t *err_offset)
{
    const char *end = NULL;
    size_t off = 0;
    *out = NULL;
    if (!depth_ok(buf, len, max_depth, &off)) {
        if (err_offset) *err_offset = off;
        return JSON_EDEPTH;
    }
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!root) {
        if (err_offset) *err_offset = end && end >= buf ? (size_t)(end - buf) : 0;
        return JSON_ESYNTAX;
    }
    /* cJSON stops at the end of the first value: anything but white space after it is an error. */
    for (const char *p = end; p && p < buf + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(root);
            if (err_offset) *err_offset = (size_t)(p - buf);
            return JSON_ESYNTAX;
        }
    }
    *out = root;
    return JSON_OK;
}

char *json_print(const cJSON *item)
{
    return cJSON_PrintUnformatted(item);
}

const char *json_string(const cJSON *obj, const char *key)
{
    const cJSON *v = json_obj(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *json_str_or(const cJSON *obj, const char *key, const char *dflt)
{
    const char *s = json_string(obj, key);
    return s ? s : dflt;
}

double json_num(const cJSON *obj, const char *key, double dflt)
{
    const cJSON *v = json_obj(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

const cJSON *json_obj(const cJSON *obj, const char *key)
{
    if (!obj || !key) return NULL;
    /* cJSON_GetObjectItemCaseSensitive's walk, with the first byte compared before strcmp:
     * most members differ there, and the harness looks up ~35 members per answer */
    for (const cJSON *c = obj->child; c && c->string; c = c->next)
        if (c->string[0] == key[0] && strcmp(c->string, key) == 0) return c;
    return NULL;
}

cJSON *json_add_int(cJSON *obj, const char *key, int64_t v)
{
    return cJSON_AddNumberToObject(obj, key, (double)v);
}

double json_round(double v, int decimals)
{
    /* every answer rounds a few figures: a table, not pow() */
    static const double scales[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    double scale = decimals >= 0 && decimals < (int)(sizeof scales / sizeof *scales)
                       ? scales[decimals]
                       : pow(10.0, decimals);
    return round(v * scale) / scale;
}

/* clang-format off */
const unsigned char json_escaped[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00-0x0f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10-0x1f */
    ['"'] = 1, ['\\'] = 1,
};
/* clang-format on */

size_t json_int(char *out, int64_t v, int width)
{
    char tmp[24];
    size_t n = 0, len = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v; /* INT64_MIN negates too */
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) out[len++] = '-';
    /* printf's width counts the sign */
    size_t digits = width > (v < 0) ? (size_t)(width - (v < 0)) : 0;
    for (size_t pad = n; pad < digits; pad++)
        out[len++] = '0';
    while (n)
        out[len++] = tmp[--n];
    return len;
}

/* Nonzero when some byte of w is below 0x20, '"' or '\\' (exact as a yes or no): a byte
 * x is zero when (x - 1) & ~x has its high bit set, and below n when (x - n) & ~x has. */
static uint64_t special8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = w ^ ones * '"', b = w ^ ones * '\\';
    return ((w - ones * 0x20) & ~w & high) | ((q - ones) & ~q & high) | ((b - ones) & ~b & high);
}

size_t json_plain_len(const char *s, size_t n)
{
    size_t i = 0;
    /* eight bytes at a time while none of them is special: strings on the request path
     * (bodies, journal lines, answers) are mostly plain */
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (special8(w)) break;
    }
    while (i < n && !json_escaped[(unsigned char)s[i]])
        i++;
    return i;
}

size_t json_quoted_len(const char *s, size_t n)
{
    size_t len = n + 2;
    for (size_t i = json_plain_len(s, n); i < n; i += 1 + json_plain_len(s + i + 1, n - i - 1)) {
        unsigned char c = (unsigned char)s[i];
        len += c && strchr("\"\\\b\f\n\r\t", c) ? 1 : 5; /* \n, \u000b */
    }
    return len;
}

size_t json_quote(char *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *c = (const unsigned char *)s, *end = c + n;
    char *o = out;
    *o++ = '"';
    while (c < end) {
        /* copy the plain run in one go: most strings have nothing to escape */
        const unsigned char *run = c;
        c += json_plain_len((const char *)c, (size_t)(end - c));
        memcpy(o, run, (size_t)(c - run));
        o += c - run;
        if (c == end) break;
        *o++ = '\\';
        switch (*c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 15];
        }
        c++;
    }
    *o++ = '"';
    return (size_t)(o - out);
}

int json_is_media_type(const char *content_type)
{
    if (!content_type) return 0;
    size_t n = strcspn(content_type, ";");
    while (n > 0 && content_type[n - 1] == ' ')
        n--;
    return n == 16 && strncasecmp(content_type, "application/json", 16) == 0;
}
