#include "jsonschema.h"

#include "jspattern.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Paths are built only when an error is reported: while validating, each
 * frame links a segment on the stack to its parent, which costs nothing. */
typedef struct seg {
    const struct seg *up;
    const char *key; /* property name or keyword; NULL means index */
    size_t index;
    int raw; /* key is an already-escaped pointer (a $ref target), and the root */
} seg;

/* The $refs being followed; the same target for the same instance node twice
 * means the schema loops without consuming any of the instance. */
typedef struct refframe {
    const struct refframe *up;
    const cJSON *target;
    const cJSON *inst;
} refframe;

typedef struct ctx {
    const cJSON *root, *top;
    char top_path[JSONSCHEMA_PATH_MAX]; /* where top sits in root, found on first use */
    int top_path_done;
    jsonschema_error *errs;
    size_t cap, n;
    /* > 0 inside anyOf/oneOf/not/if: a failure there is not yet an error of the
     * instance, so it is only counted, and the first one kept in *capture */
    int mute;
    jsonschema_error *capture;
    int captured;
    jsonschema_error fatal; /* the schema problem, reported instead of everything else */
} ctx;

#define SEG(name, parent, k) const seg name = {(parent), (k), 0, 0}
#define SEGI(name, parent, i) const seg name = {(parent), NULL, (i), 0}

/* ---- paths and messages ------------------------------------------------ */

void jsonschema_pointer_append(char *buf, size_t cap, const char *token)
{
    size_t len = strlen(buf);
    for (const char *p = token; *p; p++) {
        const char *add = *p == '~' ? "~0" : *p == '/' ? "~1" : NULL;
        size_t n = add ? 2 : 1;
        if (len + n + 4 > cap) {
            if (cap >= 4) memcpy(buf + cap - 4, "...", 4);
            return;
        }
        memcpy(buf + len, add ? add : p, n);
        len += n;
        buf[len] = '\0';
    }
}

static void path_string(const seg *s, char *buf, size_t cap)
{
    const seg *chain[128];
    size_t n = 0;
    buf[0] = '\0';
    for (; s && n < sizeof chain / sizeof *chain; s = s->up)
        chain[n++] = s;
    while (n--) {
        const seg *g = chain[n];
        char num[24];
        if (g->raw) {
            snprintf(buf, cap, "%s", g->key);
            continue;
        }
        strncat(buf, "/", cap - strlen(buf) - 1);
        if (!g->key) snprintf(num, sizeof num, "%zu", g->index);
        jsonschema_pointer_append(buf, cap, g->key ? g->key : num);
    }
}

static int find_path(const cJSON *node, const cJSON *target, char *buf, size_t cap, int depth)
{
    if (node == target) return 1;
    if (depth > JSONSCHEMA_MAX_DEPTH || !(cJSON_IsObject(node) || cJSON_IsArray(node))) return 0;
    size_t len = strlen(buf), i = 0;
    for (const cJSON *ch = node->child; ch; ch = ch->next, i++) {
        char num[24];
        snprintf(num, sizeof num, "%zu", i);
        strncat(buf, "/", cap - len - 1);
        jsonschema_pointer_append(buf, cap, cJSON_IsObject(node) ? ch->string : num);
        if (find_path(ch, target, buf, cap, depth + 1)) return 1;
        buf[len] = '\0';
    }
    return 0;
}

int jsonschema_locate(const cJSON *root_doc, const cJSON *node, char *buf, size_t cap)
{
    if (cap < 2) return -1;
    strcpy(buf, "#");
    if (find_path(root_doc, node, buf, cap, 0)) return 0;
    strcpy(buf, "#");
    return -1;
}

/* Scalars as JSON text, containers elided: messages stay short and need no allocation. */
static void show(const cJSON *v, char *buf, size_t cap)
{
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        size_t n = strlen(s);
        if (n > 60)
            snprintf(buf, cap, "\"%.57s...\"", s);
        else
            snprintf(buf, cap, "\"%s\"", s);
    } else if (cJSON_IsNumber(v)) {
        snprintf(buf, cap, "%.15g", v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, cap, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, cap, "null");
    } else {
        snprintf(buf, cap, "%s", cJSON_IsArray(v) ? "[...]" : "{...}");
    }
}

static int is_integral(double d)
{
    return isfinite(d) && floor(d) == d;
}

static const char *type_of(const cJSON *v)
{
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsBool(v)) return "boolean";
    if (cJSON_IsObject(v)) return "object";
    if (cJSON_IsArray(v)) return "array";
    if (cJSON_IsString(v)) return "string";
    if (cJSON_IsNumber(v)) return is_integral(v->valuedouble) ? "integer" : "number";
    return "invalid";
}

static void fill(ctx *c, jsonschema_error *e, const seg *sp, const char *kw, const seg *ip,
                 const char *msg)
{
    if (!c->top_path_done) {
        /* where the top schema sits in root_doc, so paths point into the document; only
         * looked up once something is reported because it walks the whole document */
        jsonschema_locate(c->root, c->top, c->top_path, sizeof c->top_path);
        c->top_path_done = 1;
    }
    path_string(sp, e->schema_path, sizeof e->schema_path);
    if (kw) {
        strncat(e->schema_path, "/", sizeof e->schema_path - strlen(e->schema_path) - 1);
        jsonschema_pointer_append(e->schema_path, sizeof e->schema_path, kw);
    }
    path_string(ip, e->instance_path, sizeof e->instance_path);
    snprintf(e->keyword, sizeof e->keyword, "%s", kw ? kw : "");
    snprintf(e->message, sizeof e->message, "%s at %s", msg,
             e->instance_path[0] ? e->instance_path : "(root)");
}

/* The instance fails kw: recorded unless muted. Returns 1 (invalid). */
__attribute__((format(printf, 5, 6))) static int fail(ctx *c, const seg *sp, const char *kw,
                                                      const seg *ip, const char *fmt, ...)
{
    jsonschema_error *e = NULL;
    if (c->mute) {
        if (c->capture && !c->captured) e = c->capture, c->captured = 1;
    } else if (c->n < c->cap) {
        e = &c->errs[c->n++];
    }
    if (!e) return 1;
    char msg[JSONSCHEMA_MSG_MAX - 40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fill(c, e, sp, kw, ip, msg);
    return 1;
}

/* The schema itself is wrong: kept aside and returned as rc. */
__attribute__((format(printf, 5, 6))) static int bad(ctx *c, int rc, const seg *sp, const char *kw,
                                                     const char *fmt, ...)
{
    char msg[JSONSCHEMA_MSG_MAX - 40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fill(c, &c->fatal, sp, kw, NULL, msg);
    snprintf(c->fatal.message, sizeof c->fatal.message, "schema error: %.180s at %.120s", msg,
             c->fatal.schema_path);
    return rc;
}

/* ---- $ref ---------------------------------------------------------------- */

int jsonschema_resolve(const cJSON *root_doc, const char *ref, const cJSON **out)
{
    char frag[JSONSCHEMA_PATH_MAX * 2];
    size_t n = 0;
    *out = NULL;
    if (!ref || ref[0] != '#') return JSONSCHEMA_EUNSUPPORTED;
    /* the fragment is URI-encoded: decode it whole before splitting on '/' */
    for (const char *p = ref + 1; *p; p++) {
        int ch = (unsigned char)*p;
        if (ch == '%') {
            unsigned v;
            if (sscanf(p + 1, "%2x", &v) != 1 || !p[1] || !p[2] || v == 0) return JSONSCHEMA_EREF;
            ch = (int)v;
            p += 2;
        }
        if (n + 2 > sizeof frag) return JSONSCHEMA_EREF;
        frag[n++] = (char)ch;
    }
    frag[n] = '\0';
    if (n && frag[0] != '/') return JSONSCHEMA_EUNSUPPORTED; /* "#anchor" */
    const cJSON *cur = root_doc;
    char *p = frag;
    while (*p == '/') {
        char tok[sizeof frag];
        size_t t = 0;
        for (p++; *p && *p != '/'; p++) {
            if (*p == '~') {
                if (p[1] != '0' && p[1] != '1') return JSONSCHEMA_EREF;
                tok[t++] = p[1] == '0' ? '~' : '/';
                p++;
            } else {
                tok[t++] = *p;
            }
        }
        tok[t] = '\0';
        if (cJSON_IsObject(cur)) {
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
        } else if (cJSON_IsArray(cur)) {
            char *end;
            if (!t || (tok[0] == '0' && t > 1) || tok[0] < '0' || tok[0] > '9')
                return JSONSCHEMA_EREF;
            unsigned long idx = strtoul(tok, &end, 10);
            if (*end || idx > 1000000) return JSONSCHEMA_EREF;
            cur = cJSON_GetArrayItem(cur, (int)idx);
        } else {
            cur = NULL;
        }
        if (!cur) return JSONSCHEMA_EREF;
    }
    *out = cur;
    return 0;
}

/* ---- equality ------------------------------------------------------------ */

/* Structural equality as JSON Schema defines it: 1 and 1.0 are equal, member order is not. */
static int equal(const cJSON *a, const cJSON *b, int depth)
{
    if (depth > JSONSCHEMA_MAX_DEPTH) return 0;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) return a->valuedouble == b->valuedouble;
    if ((a->type & 0xFF) != (b->type & 0xFF)) return 0;
    if (cJSON_IsString(a)) return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!equal(x, y, depth + 1)) return 0;
        return !x && !y;
    }
    if (cJSON_IsObject(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
        for (const cJSON *x = a->child; x; x = x->next) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y || !equal(x, y, depth + 1)) return 0;
        }
        return 1;
    }
    return 1; /* null, true, false: the type says it all */
}

static size_t codepoints(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

/* A count keyword (minLength, maxItems, ...): a non-negative integer. */
static int get_count(ctx *c, const cJSON *s, const char *kw, const seg *sp, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, kw);
    *out = 0; /* as in bound() */
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || !is_integral(v->valuedouble) || v->valuedouble < 0)
        return bad(c, JSONSCHEMA_EBADSCHEMA, sp, kw, "%s must be a non-negative integer", kw);
    *out = v->valuedouble;
    return 1;
}

static int v_schema(ctx *c, const cJSON *s, const cJSON *inst, const seg *sp, const seg *ip,
                    const refframe *rf, int depth);

/* Run one step; a schema error ends everything, and a muted caller only needs the first failure. */
#define STEP(expr)                                                                                 \
    do {                                                                                           \
        int r_ = (expr);                                                                           \
        if (r_ < 0) return r_;                                                                     \
        if (r_) {                                                                                  \
            invalid = 1;                                                                           \
            if (c->mute) return 1;                                                                 \
        }                                                                                          \
    } while (0)

/* ---- keywords -------------------------------------------------------------- */

static int type_matches(const char *t, const cJSON *inst, int *known)
{
    *known = 1;
    if (!strcmp(t, "null")) return cJSON_IsNull(inst);
    if (!strcmp(t, "boolean")) return cJSON_IsBool(inst);
    if (!strcmp(t, "object")) return cJSON_IsObject(inst);
    if (!strcmp(t, "array")) return cJSON_IsArray(inst);
    if (!strcmp(t, "string")) return cJSON_IsString(inst);
    if (!strcmp(t, "number")) return cJSON_IsNumber(inst);
    if (!strcmp(t, "integer")) return cJSON_IsNumber(inst) && is_integral(inst->valuedouble);
    *known = 0;
    return 0;
}

static int kw_type(ctx *c, const cJSON *s, const cJSON *inst, const seg *sp, const seg *ip)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "type");
    if (!t) return 0;
    /* OpenAPI 3.0 spells "or null" as nullable: true next to a single type */
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "nullable")) && cJSON_IsNull(inst))
        return 0;
    char want[128] = "";
    int known;
    if (cJSON_IsString(t)) {
        if (type_matches(t->valuestring, inst, &known)) return 0;
        if (!known)
            return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "type", "unknown type \"%.40s\"",
                       t->valuestring);
        snprintf(want, sizeof want, "%s", t->valuestring);
    } else if (cJSON_IsArray(t)) {
        for (const cJSON *x = t->child; x; x = x->next) {
            if (!cJSON_IsString(x))
                return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "type", "type names must be strings");
            if (type_matches(x->valuestring, inst, &known)) return 0;
            if (!known)
                return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "type", "unknown type \"%.40s\"",
                           x->valuestring);
            size_t l = strlen(want);
            snprintf(want + l, sizeof want - l, "%s%s", l ? (x->next ? ", " : " or ") : "",
                     x->valuestring);
        }
    } else {
        return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "type", "type must be a string or an array");
    }
    return fail(c, sp, "type", ip, "expected %s, got %s", want, type_of(inst));
}

static int kw_enum_const(ctx *c, const cJSON *s, const cJSON *inst, const seg *sp, const seg *ip)
{
    int invalid = 0;
    char got[96];
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(s, "const");
    if (k && !equal(k, inst, 0)) {
        char want[96];
        show(k, want, sizeof want);
        show(inst, got, sizeof got);
        STEP(fail(c, sp, "const", ip, "expected %s, got %s", want, got));
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(s, "enum");
    if (!e) return invalid;
    if (!cJSON_IsArray(e))
        return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "enum", "enum must be an array");
    char list[200] = "";
    for (const cJSON *x = e->child; x; x = x->next) {
        if (equal(x, inst, 0)) return invalid;
        char one[96];
        show(x, one, sizeof one);
        size_t l = strlen(list);
        if (l + strlen(one) + 8 < sizeof list)
            snprintf(list + l, sizeof list - l, "%s%s", l ? ", " : "", one);
        else if (l + 6 < sizeof list && !strstr(list, ", ..."))
            snprintf(list + l, sizeof list - l, ", ...");
    }
    show(inst, got, sizeof got);
    STEP(fail(c, sp, "enum", ip, "expected one of %s; got %s", list, got));
    return invalid;
}

static int bound(ctx *c, const cJSON *s, const char *kw, const seg *sp, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, kw);
    *out = 0; /* set on every path: an optimising build cannot tell it is read only after 1 */
    if (!v || cJSON_IsBool(v))
        return 0; /* the boolean exclusive* of OpenAPI 3.0 is read by the caller */
    if (!cJSON_IsNumber(v)) return bad(c, JSONSCHEMA_EBADSCHEMA, sp, kw, "%s must be a number", kw);
    *out = v->valuedouble;
    return 1;
}

static int kw_number(ctx *c, const cJSON *s, const cJSON *inst, const seg *sp, const seg *ip)
{
    if (!cJSON_IsNumber(inst)) return 0;
    int invalid = 0, r;
    double x = inst->valuedouble, b;
    int excl_min = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "exclusiveMinimum"));
    int excl_max = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "exclusiveMaximum"));
    if ((r = bound(c, s, "minimum", sp, &b)) < 0) return r;
    if (r && (excl_min ? x <= b : x < b))
        STEP(
            fail(c, sp, "minimum", ip, "must be %s %.15g, got %.15g", excl_min ? ">" : ">=", b, x));
    if ((r = bound(c, s, "maximum", sp, &b)) < 0) return r;
    if (r && (excl_max ? x >= b : x > b))
        STEP(
            fail(c, sp, "maximum", ip, "must be %s %.15g, got %.15g", excl_max ? "<" : "<=", b, x));
    if ((r = bound(c, s, "exclusiveMinimum", sp, &b)) < 0) return r;
    if (r && x <= b) STEP(fail(c, sp, "exclusiveMinimum", ip, "must be > %.15g, got %.15g", b, x));
    if ((r = bound(c, s, "exclusiveMaximum", sp, &b)) < 0) return r;
    if (r && x >= b) STEP(fail(c, sp, "exclusiveMaximum", ip, "must be < %.15g, got %.15g", b, x));
    if ((r = bound(c, s, "multipleOf", sp, &b)) < 0) return r;
    if (r) {
        if (b <= 0)
            return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "multipleOf", "multipleOf must be > 0");
        double q = x / b;
        /* decimal divisors are inexact in binary: accept a quotient within rounding of an integer
         */
        if (!isfinite(q) || fabs(q - round(q)) > 1e-9 * fmax(1.0, fabs(q)))
            STEP(fail(c, sp, "multipleOf", ip, "must be a multiple of %.15g, got %.15g", b, x));
    }
    return invalid;
}

static int kw_string(ctx *c, const cJSON *s, const cJSON *inst, const seg *sp, const seg *ip)
{
    if (!cJSON_IsString(inst)) return 0;
    int invalid = 0, r;
    double b;
    size_t n = codepoints(inst->valuestring);
    if ((r = get_count(c, s, "minLength", sp, &b)) < 0) return r;
    if (r && (double)n < b)
        STEP(fail(c, sp, "minLength", ip, "must be at least %.0f characters long, got %zu", b, n));
    if ((r = get_count(c, s, "maxLength", sp, &b)) < 0) return r;
    if (r && (double)n > b)
        STEP(fail(c, sp, "maxLength", ip, "must be at most %.0f characters long, got %zu", b, n));
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(s, "pattern");
    if (p) {
        regex_t re;
        const char *why = "";
        if (!cJSON_IsString(p))
            return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "pattern", "pattern must be a string");
        int rc = jspattern_compile(p->valuestring, &re, &why);
        if (rc)
            return bad(
                c, rc == JSPATTERN_EUNSUPPORTED ? JSONSCHEMA_EUNSUPPORTED : JSONSCHEMA_EBADSCHEMA,
                sp, "pattern", "pattern /%.60s/: %s", p->valuestring, why);
        int ok = jspattern_match(&re, inst->valuestring);
        regfree(&re);
        char got[96];
        show(inst, got, sizeof got);
        if (!ok) STEP(fail(c, sp, "pattern", ip, "%s does not match /%.80s/", got, p->valuestring));
    }
    return invalid;
}

static int kw_array(ctx *c, const cJSON *s, const cJSON *inst, const seg *sp, const seg *ip,
                    const refframe *rf, int depth)
{
    if (!cJSON_IsArray(inst)) return 0;
    int invalid = 0, r;
    double b;
    size_t n = (size_t)cJSON_GetArraySize(inst);
    if ((r = get_count(c, s, "minItems", sp, &b)) < 0) return r;
    if (r && (double)n < b)
        STEP(fail(c, sp, "minItems", ip, "must have at least %.0f items, got %zu", b, n));
    if ((r = get_count(c, s, "maxItems", sp, &b)) < 0) return r;
    if (r && (double)n > b)
        STEP(fail(c, sp, "maxItems", ip, "must have at most %.0f items, got %zu", b, n));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "uniqueItems"))) {
        size_t i = 0;
        for (const cJSON *x = inst->child; x; x = x->next, i++) {
            size_t j = i + 1;
            for (const cJSON *y = x->next; y; y = y->next, j++)
                if (equal(x, y, 0))
                    STEP(fail(c, sp, "uniqueItems", ip, "items %zu and %zu are equal", i, j));
        }
    }
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(s, "items");
    if (items) {
        if (cJSON_IsArray(items))
            return bad(c, JSONSCHEMA_EUNSUPPORTED, sp, "items",
                       "items as an array (use prefixItems)");
        SEG(isp, sp, "items");
        size_t i = 0;
        for (const cJSON *x = inst->child; x; x = x->next, i++) {
            SEGI(iip, ip, i);
            STEP(v_schema(c, items, x, &isp, &iip, rf, depth + 1));
        }
    }
    return invalid;
}

#define MAX_PATTERN_PROPERTIES 32

typedef struct patprops {
    const cJSON *pp;
    regex_t re[MAX_PATTERN_PROPERTIES];
    size_t n;
} patprops;

static void patprops_free(patprops *p)
{
    for (size_t i = 0; i < p->n; i++)
        regfree(&p->re[i]);
    p->n = 0;
}

static int patprops_compile(ctx *c, const cJSON *s, const seg *sp, patprops *p)
{
    p->n = 0;
    p->pp = cJSON_GetObjectItemCaseSensitive(s, "patternProperties");
    if (!p->pp) return 0;
    if (!cJSON_IsObject(p->pp))
        return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "patternProperties",
                   "patternProperties must be an object");
    for (const cJSON *x = p->pp->child; x; x = x->next) {
        const char *why = "";
        if (p->n == MAX_PATTERN_PROPERTIES) {
            patprops_free(p);
            return bad(c, JSONSCHEMA_EUNSUPPORTED, sp, "patternProperties", "more than %d patterns",
                       MAX_PATTERN_PROPERTIES);
        }
        int rc = jspattern_compile(x->string, &p->re[p->n], &why);
        if (rc) {
            patprops_free(p);
            return bad(
                c, rc == JSPATTERN_EUNSUPPORTED ? JSONSCHEMA_EUNSUPPORTED : JSONSCHEMA_EBADSCHEMA,
                sp, "patternProperties", "pattern /%.60s/: %s", x->string, why);
        }
        p->n++;
    }
    return 0;
}

/* Everything about one member: properties, patternProperties, else additionalProperties. */
static int member(ctx *c, const cJSON *s, const cJSON *m, const patprops *pp, const seg *sp,
                  const seg *ip, const refframe *rf, int depth)
{
    int invalid = 0, covered = 0;
    SEG(mip, ip, m->string);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
    const cJSON *sub =
        cJSON_IsObject(props) ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
    if (sub) {
        SEG(psp, sp, "properties");
        SEG(nsp, &psp, m->string);
        covered = 1;
        STEP(v_schema(c, sub, m, &nsp, &mip, rf, depth + 1));
    }
    size_t i = 0;
    for (const cJSON *x = pp->pp ? pp->pp->child : NULL; x; x = x->next, i++) {
        if (!jspattern_match(&pp->re[i], m->string)) continue;
        SEG(psp, sp, "patternProperties");
        SEG(nsp, &psp, x->string);
        covered = 1;
        STEP(v_schema(c, x, m, &nsp, &mip, rf, depth + 1));
    }
    const cJSON *ap = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
    if (!covered && ap) {
        if (cJSON_IsFalse(ap))
            STEP(fail(c, sp, "additionalProperties", &mip, "property \"%.60s\" is not allowed",
                      m->string));
        SEG(asp, sp, "additionalProperties");
        if (!cJSON_IsFalse(ap)) STEP(v_schema(c, ap, m, &asp, &mip, rf, depth + 1));
    }
    const cJSON *pn = cJSON_GetObjectItemCaseSensitive(s, "propertyNames");
    if (pn) {
        cJSON name = {0};
        name.type = cJSON_String;
        name.valuestring = m->string;
        SEG(nsp, sp, "propertyNames");
        STEP(v_schema(c, pn, &name, &nsp, &mip, rf, depth + 1));
    }
    return invalid;
}

static int kw_object(ctx *c, const cJSON *s, const cJSON *inst, const seg *sp, const seg *ip,
                     const refframe *rf, int depth)
{
    if (!cJSON_IsObject(inst)) return 0;
    int invalid = 0, r;
    double b;
    size_t n = (size_t)cJSON_GetArraySize(inst);
    if ((r = get_count(c, s, "minProperties", sp, &b)) < 0) return r;
    if (r && (double)n < b)
        STEP(fail(c, sp, "minProperties", ip, "must have at least %.0f properties, got %zu", b, n));
    if ((r = get_count(c, s, "maxProperties", sp, &b)) < 0) return r;
    if (r && (double)n > b)
        STEP(fail(c, sp, "maxProperties", ip, "must have at most %.0f properties, got %zu", b, n));
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(s, "required");
    if (req && !cJSON_IsArray(req))
        return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "required", "required must be an array");
    for (const cJSON *x = req ? req->child : NULL; x; x = x->next) {
        if (!cJSON_IsString(x))
            return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "required", "required names must be strings");
        if (!cJSON_GetObjectItemCaseSensitive(inst, x->valuestring))
            STEP(
                fail(c, sp, "required", ip, "missing required property \"%.60s\"", x->valuestring));
    }
    const cJSON *dr = cJSON_GetObjectItemCaseSensitive(s, "dependentRequired");
    for (const cJSON *d = cJSON_IsObject(dr) ? dr->child : NULL; d; d = d->next) {
        if (!cJSON_GetObjectItemCaseSensitive(inst, d->string)) continue;
        for (const cJSON *x = cJSON_IsArray(d) ? d->child : NULL; x; x = x->next)
            if (cJSON_IsString(x) && !cJSON_GetObjectItemCaseSensitive(inst, x->valuestring))
                STEP(fail(c, sp, "dependentRequired", ip, "property \"%.40s\" requires \"%.40s\"",
                          d->string, x->valuestring));
    }
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
    if (props && !cJSON_IsObject(props))
        return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "properties", "properties must be an object");
    patprops pp;
    if ((r = patprops_compile(c, s, sp, &pp)) < 0) return r;
    for (const cJSON *m = inst->child; m; m = m->next) {
        r = member(c, s, m, &pp, sp, ip, rf, depth);
        if (r < 0 || (r && c->mute)) {
            patprops_free(&pp);
            return r;
        }
        if (r) invalid = 1;
    }
    patprops_free(&pp);
    return invalid;
}

/* Evaluate sub muted: 0 matches, 1 does not (first error in *why when non-NULL), <0 bad schema. */
static int trial(ctx *c, const cJSON *sub, const cJSON *inst, const seg *sp, const seg *ip,
                 const refframe *rf, int depth, jsonschema_error *why, int *have_why)
{
    jsonschema_error *saved = c->capture;
    int saved_captured = c->captured;
    c->capture = why;
    c->captured = 0;
    c->mute++;
    int r = v_schema(c, sub, inst, sp, ip, rf, depth + 1);
    c->mute--;
    if (have_why) *have_why = c->captured;
    c->capture = saved;
    c->captured = saved_captured;
    return r;
}

static int kw_combinators(ctx *c, const cJSON *s, const cJSON *inst, const seg *sp, const seg *ip,
                          const refframe *rf, int depth)
{
    static const char *const arrays[] = {"allOf", "anyOf", "oneOf"};
    int invalid = 0;
    for (int k = 0; k < 3; k++) {
        const char *kw = arrays[k];
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(s, kw);
        if (!a) continue;
        if (!cJSON_IsArray(a) || !a->child)
            return bad(c, JSONSCHEMA_EBADSCHEMA, sp, kw, "%s must be a non-empty array", kw);
        SEG(ksp, sp, kw);
        size_t i = 0, matched = 0, first_match = 0, second_match = 0;
        jsonschema_error why;
        int have_why = 0;
        for (const cJSON *x = a->child; x; x = x->next, i++) {
            SEGI(bsp, &ksp, i);
            if (k == 0) { /* allOf: every branch's errors are the instance's errors */
                STEP(v_schema(c, x, inst, &bsp, ip, rf, depth + 1));
                continue;
            }
            int got_why = 0;
            int r = trial(c, x, inst, &bsp, ip, rf, depth, have_why ? NULL : &why, &got_why);
            if (r < 0) return r;
            if (got_why) have_why = 1;
            if (r == 0) {
                if (matched == 0) first_match = i;
                if (matched == 1) second_match = i;
                matched++;
                if (k == 1) break; /* anyOf: one is enough */
            }
        }
        if (k == 0) continue;
        if (matched == 0)
            STEP(fail(c, sp, kw, ip, "matches none of the %zu %s alternatives (first: %.160s)", i,
                      kw, have_why ? why.message : "?"));
        else if (k == 2 && matched > 1)
            STEP(fail(c, sp, kw, ip,
                      "matches %zu oneOf alternatives (#%zu and #%zu), expected exactly one",
                      matched, first_match, second_match));
    }
    const cJSON *not = cJSON_GetObjectItemCaseSensitive(s, "not");
    if (not ) {
        SEG(nsp, sp, "not");
        int r = trial(c, not, inst, &nsp, ip, rf, depth, NULL, NULL);
        if (r < 0) return r;
        if (r == 0) STEP(fail(c, sp, "not", ip, "must not match the \"not\" schema"));
    }
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(s, "if");
    if (cond) {
        SEG(isp, sp, "if");
        int r = trial(c, cond, inst, &isp, ip, rf, depth, NULL, NULL);
        if (r < 0) return r;
        const char *branch = r == 0 ? "then" : "else";
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(s, branch);
        SEG(bsp, sp, branch);
        if (b) STEP(v_schema(c, b, inst, &bsp, ip, rf, depth + 1));
    }
    return invalid;
}

static int kw_ref(ctx *c, const cJSON *s, const cJSON *inst, const seg *sp, const seg *ip,
                  const refframe *rf, int depth)
{
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(s, "$ref");
    if (!ref) return 0;
    if (!cJSON_IsString(ref))
        return bad(c, JSONSCHEMA_EBADSCHEMA, sp, "$ref", "$ref must be a string");
    const cJSON *target;
    int rc = jsonschema_resolve(c->root, ref->valuestring, &target);
    if (rc == JSONSCHEMA_EUNSUPPORTED)
        return bad(c, rc, sp, "$ref", "$ref \"%.80s\" is not a local JSON Pointer",
                   ref->valuestring);
    if (rc) return bad(c, rc, sp, "$ref", "$ref \"%.80s\" does not resolve", ref->valuestring);
    for (const refframe *f = rf; f; f = f->up)
        if (f->target == target && f->inst == inst)
            return bad(c, JSONSCHEMA_EREF, sp, "$ref", "$ref \"%.80s\" loops back to itself",
                       ref->valuestring);
    refframe nf = {rf, target, inst};
    const seg rsp = {NULL, ref->valuestring, 0, 1};
    return v_schema(c, target, inst, &rsp, ip, &nf, depth + 1);
}

static int v_schema(ctx *c, const cJSON *s, const cJSON *inst, const seg *sp, const seg *ip,
                    const refframe *rf, int depth)
{
    if (depth > JSONSCHEMA_MAX_DEPTH)
        return bad(c, JSONSCHEMA_EDEPTH, sp, NULL, "nesting deeper than %d", JSONSCHEMA_MAX_DEPTH);
    if (cJSON_IsTrue(s)) return 0;
    if (cJSON_IsFalse(s)) return fail(c, sp, NULL, ip, "no value is allowed here");
    if (!cJSON_IsObject(s))
        return bad(c, JSONSCHEMA_EBADSCHEMA, sp, NULL, "a schema must be an object or a boolean");
    int invalid = 0;
    STEP(kw_ref(c, s, inst, sp, ip, rf, depth));
    STEP(kw_type(c, s, inst, sp, ip));
    STEP(kw_enum_const(c, s, inst, sp, ip));
    STEP(kw_number(c, s, inst, sp, ip));
    STEP(kw_string(c, s, inst, sp, ip));
    STEP(kw_array(c, s, inst, sp, ip, rf, depth));
    STEP(kw_object(c, s, inst, sp, ip, rf, depth));
    STEP(kw_combinators(c, s, inst, sp, ip, rf, depth));
    return invalid;
}

int jsonschema_validate(const cJSON *root_doc, const cJSON *schema, const cJSON *instance,
                        jsonschema_error *errs, size_t cap, size_t *nerrs)
{
    ctx c;
    memset(&c, 0, sizeof c);
    c.root = root_doc ? root_doc : schema;
    c.top = schema;
    c.errs = errs;
    c.cap = errs ? cap : 0;
    if (nerrs) *nerrs = 0;
    if (!schema || !instance) return JSONSCHEMA_EBADSCHEMA;
    const seg top = {NULL, c.top_path, 0, 1};
    int rc = v_schema(&c, schema, instance, &top, NULL, NULL, 0);
    if (rc < 0) {
        c.n = 0;
        if (c.cap) c.errs[c.n++] = c.fatal;
    }
    if (nerrs) *nerrs = c.n;
    return rc;
}
