/* gate: parser and evaluator of pass/fail conditions. See gate.h. */
#include "gate.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *s;
    size_t i;
    gate_expr *e;
    gate_error *err;
} parser;

static int fail(parser *p, size_t pos, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(parser *p, size_t pos, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    p->err->pos = pos;
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    return code;
}

static void blanks(parser *p)
{
    while (p->s[p->i] == ' ' || p->s[p->i] == '\t')
        p->i++;
}

/* Digits may start a name so status classes read naturally: rate(429), count(5xx). */
static int name_start(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static int name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* NAME: segments of [A-Za-z_][A-Za-z0-9_]* or digits joined by '.', so both cost.total and
 * p99.9 are one name; a '.' must be followed by another segment. */
static int scan_name(parser *p, char *out, size_t cap)
{
    size_t start = p->i;
    if (!name_start(p->s[p->i]))
        return fail(p, p->i, GATE_ESYNTAX, "expected a name (like p95, rate or cost.total)");
    while (name_char(p->s[p->i]) ||
           (p->s[p->i] == '.' && name_char(p->s[p->i + 1]) && p->i > start))
        p->i++;
    size_t n = p->i - start;
    if (n >= cap) return fail(p, start, GATE_ESYNTAX, "name longer than %zu characters", cap - 1);
    memcpy(out, p->s + start, n);
    out[n] = '\0';
    return GATE_OK;
}

static int parse_labels(parser *p, gate_node *nd)
{
    p->i++; /* '{' */
    for (;;) {
        blanks(p);
        if (nd->nlabels == GATE_MAX_LABELS)
            return fail(p, p->i, GATE_ESYNTAX, "at most %d labels", GATE_MAX_LABELS);
        gate_label *l = &nd->labels[nd->nlabels];
        int rc = scan_name(p, l->key, sizeof l->key);
        if (rc) {
            snprintf(p->err->msg, sizeof p->err->msg, "expected a label name (like endpoint)");
            return rc;
        }
        for (size_t j = 0; j < nd->nlabels; j++)
            if (!strcmp(nd->labels[j].key, l->key))
                return fail(p, p->i - strlen(l->key), GATE_ESYNTAX, "label '%s' given twice",
                            l->key);
        blanks(p);
        if (p->s[p->i] != '=')
            return fail(p, p->i, GATE_ESYNTAX, "expected '=' after '%s'", l->key);
        p->i++;
        blanks(p);
        size_t start = p->i;
        while (p->s[p->i] && p->s[p->i] != ',' && p->s[p->i] != '}' && p->s[p->i] != ' ' &&
               p->s[p->i] != '\t')
            p->i++;
        size_t n = p->i - start;
        if (n == 0) return fail(p, start, GATE_ESYNTAX, "expected a value for label '%s'", l->key);
        if (n >= sizeof l->value)
            return fail(p, start, GATE_ESYNTAX, "label value longer than %zu characters",
                        sizeof l->value - 1);
        /* quotes are optional: endpoint="fraud_score" and endpoint=fraud_score are one */
        if (n >= 2 && (p->s[start] == '"' || p->s[start] == '\'') &&
            p->s[start + n - 1] == p->s[start]) {
            start++;
            n -= 2;
        }
        memcpy(l->value, p->s + start, n);
        l->value[n] = '\0';
        nd->nlabels++;
        blanks(p);
        if (p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->s[p->i] == '}') {
            p->i++;
            return GATE_OK;
        }
        return fail(p, p->i, GATE_ESYNTAX, "expected ',' or '}' in the labels");
    }
}

/* term := NAME '(' term ')' | NAME ['{' labels '}'] */
static int parse_term(parser *p)
{
    blanks(p);
    if (p->e->nnodes == GATE_MAX_NODES)
        return fail(p, p->i, GATE_ESYNTAX, "calls nested deeper than %d", GATE_MAX_NODES - 1);
    gate_node *nd = &p->e->nodes[p->e->nnodes++];
    memset(nd, 0, sizeof *nd);
    nd->pos = p->i;
    int rc = scan_name(p, nd->name, sizeof nd->name);
    if (rc) return rc;
    blanks(p);
    if (p->s[p->i] == '(') {
        nd->kind = GATE_NODE_CALL;
        p->i++;
        blanks(p);
        if (p->s[p->i] == ')')
            return fail(p, p->i, GATE_ESYNTAX, "%s() needs an argument", nd->name);
        rc = parse_term(p);
        if (rc) return rc;
        blanks(p);
        if (p->s[p->i] == ',')
            return fail(p, p->i, GATE_ESYNTAX, "%s() takes one argument", nd->name);
        if (p->s[p->i] != ')') return fail(p, p->i, GATE_ESYNTAX, "expected ')'");
        p->i++;
        return GATE_OK;
    }
    nd->kind = GATE_NODE_METRIC;
    if (p->s[p->i] == '{') return parse_labels(p, nd);
    return GATE_OK;
}

static int parse_op(parser *p)
{
    blanks(p);
    const char *s = p->s + p->i;
    static const struct {
        const char *t;
        gate_op op;
    } ops[] = {{"<=", GATE_LE}, {">=", GATE_GE}, {"==", GATE_EQ},
               {"!=", GATE_NE}, {"<", GATE_LT},  {">", GATE_GT}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (!strncmp(s, ops[k].t, strlen(ops[k].t))) {
            p->e->op = ops[k].op;
            p->i += strlen(ops[k].t);
            return GATE_OK;
        }
    if (*s == '=')
        return fail(p, p->i, GATE_ESYNTAX,
                    "expected a comparison: '==' (not '='), <, <=, >, >=, !=");
    return fail(p, p->i, GATE_ESYNTAX, "expected a comparison: <, <=, >, >=, == or !=");
}

static const struct unit {
    const char *name;
    gate_dim dim;
    double scale; /* canonical units per one */
} units[] = {
    {"us", GATE_DIM_TIME, 1},      {"ms", GATE_DIM_TIME, 1e3},   {"s", GATE_DIM_TIME, 1e6},
    {"%", GATE_DIM_RATIO, 0.01},   {"pp", GATE_DIM_RATIO, 0.01}, {"fen", GATE_DIM_MONEY, 1e4},
    {"micros", GATE_DIM_MONEY, 1},
};

static int currency_code(const char *u)
{
    return strlen(u) == 3 && isupper((unsigned char)u[0]) && isupper((unsigned char)u[1]) &&
           isupper((unsigned char)u[2]);
}

static const char *dim_name(gate_dim d)
{
    switch (d) {
    case GATE_DIM_TIME:
        return "a time (us, ms, s)";
    case GATE_DIM_RATIO:
        return "a ratio (%, pp, or a fraction without unit)";
    case GATE_DIM_MONEY:
        return "money (CNY or another currency code, fen, micros)";
    case GATE_DIM_COUNT:
        return "a count (no unit)";
    default:
        return "a plain number (no unit)";
    }
}

/* NUMBER [UNIT] then the end. The unit's dimension is checked later, against the lhs. */
static int parse_value(parser *p, size_t *unit_pos)
{
    blanks(p);
    size_t start = p->i, j = p->i;
    if (p->s[j] == '-' || p->s[j] == '+') j++;
    size_t digits = 0;
    while (isdigit((unsigned char)p->s[j])) {
        j++;
        digits++;
    }
    if (p->s[j] == '.') {
        j++;
        while (isdigit((unsigned char)p->s[j])) {
            j++;
            digits++;
        }
    }
    if (!digits) return fail(p, start, GATE_ESYNTAX, "expected a number");
    char num[64];
    if (j - start >= sizeof num) return fail(p, start, GATE_ESYNTAX, "number too long");
    memcpy(num, p->s + start, j - start);
    num[j - start] = '\0';
    p->e->number = strtod(num, NULL);
    p->i = j;
    blanks(p);
    *unit_pos = p->i;
    size_t u = 0;
    while (p->s[p->i] && p->s[p->i] != ' ' && p->s[p->i] != '\t' && u + 1 < sizeof p->e->unit)
        p->e->unit[u++] = p->s[p->i++];
    p->e->unit[u] = '\0';
    if (p->s[p->i] && p->s[p->i] != ' ' && p->s[p->i] != '\t')
        return fail(p, *unit_pos, GATE_ESYNTAX, "unknown unit");
    blanks(p);
    if (p->s[p->i]) return fail(p, p->i, GATE_ESYNTAX, "unexpected text after the value");
    if (u) {
        int known = currency_code(p->e->unit);
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
            known |= !strcmp(units[k].name, p->e->unit);
        if (!known)
            return fail(p, *unit_pos, GATE_ESYNTAX,
                        "unknown unit '%s' (us, ms, s, %%, pp, fen, micros, or a currency code "
                        "like CNY)",
                        p->e->unit);
    }
    return GATE_OK;
}

/* "p#" matches p followed by a number in (0, 100]. */
static int func_matches(const char *pattern, const char *name)
{
    if (!strcmp(pattern, "p#")) {
        if (name[0] != 'p' || !isdigit((unsigned char)name[1])) return 0;
        char *end;
        double v = strtod(name + 1, &end);
        return *end == '\0' && v > 0 && v <= 100;
    }
    return !strcmp(pattern, name);
}

static int in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (!strcmp(*list, s)) return 1;
    return 0;
}

static void join(const char *const *list, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (; list && *list && n < cap; list++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", *list);
}

static int check_labels(parser *p, const gate_node *nd, const char *const *allowed)
{
    for (size_t j = 0; j < nd->nlabels; j++)
        if (!in_list(allowed, nd->labels[j].key)) {
            char known[160];
            join(allowed, known, sizeof known);
            const char *at = strstr(p->s + nd->pos, nd->labels[j].key);
            return fail(p, at ? (size_t)(at - p->s) : nd->pos, GATE_EUNKNOWN,
                        "%s takes no label '%s'%s%s%s", nd->name, nd->labels[j].key,
                        known[0] ? " (labels: " : "", known, known[0] ? ")" : "");
        }
    return GATE_OK;
}

/* Check node i and what hangs under it against the vocabulary; sets each node's dim. */
static int check_node(parser *p, const gate_vocab *v, size_t i)
{
    gate_node *nd = &p->e->nodes[i];
    if (nd->kind == GATE_NODE_METRIC) {
        /* a metric alone on the left is a path; under a call the call judged it already */
        for (size_t k = 0; k < v->npaths; k++)
            if (!strcmp(v->paths[k].name, nd->name)) {
                nd->dim = v->paths[k].dim;
                return check_labels(p, nd, v->paths[k].labels);
            }
        char known[200] = "";
        size_t n = 0;
        for (size_t k = 0; k < v->npaths && n < sizeof known; k++)
            n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "",
                                  v->paths[k].name);
        return fail(p, nd->pos, GATE_EUNKNOWN, "unknown figure '%s' (known: %s, or a function)",
                    nd->name, known);
    }
    /* A function may have several entries, one per group of metrics it takes (each with its
     * own labels); the entry is the one whose metrics name the argument. */
    const gate_func *f = NULL, *any = NULL;
    gate_node *arg = &p->e->nodes[i + 1];
    for (size_t k = 0; k < v->nfuncs && !f; k++) {
        if (!func_matches(v->funcs[k].name, nd->name)) continue;
        any = &v->funcs[k];
        if (v->funcs[k].metrics
                ? arg->kind == GATE_NODE_METRIC && in_list(v->funcs[k].metrics, arg->name)
                : arg->kind == GATE_NODE_CALL)
            f = &v->funcs[k];
    }
    if (!any) {
        char known[200] = "";
        size_t n = 0;
        for (size_t k = 0; k < v->nfuncs && n < sizeof known; k++) {
            const char *name = strcmp(v->funcs[k].name, "p#") ? v->funcs[k].name : "p50..p99.9";
            if (k && !strcmp(v->funcs[k].name, v->funcs[k - 1].name)) continue;
            n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "", name);
        }
        return fail(p, nd->pos, GATE_EUNKNOWN, "unknown function '%s' (known: %s)", nd->name,
                    known);
    }
    if (!f) {
        if (!any->metrics)
            return fail(p, arg->pos, GATE_EUNKNOWN, "%s() takes a function call, like %s(rate(x))",
                        nd->name, nd->name);
        char known[240] = "";
        size_t n = 0;
        for (size_t k = 0; k < v->nfuncs && n < sizeof known; k++)
            if (func_matches(v->funcs[k].name, nd->name) && v->funcs[k].metrics) {
                char part[200];
                join(v->funcs[k].metrics, part, sizeof part);
                n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "", part);
            }
        return fail(p, arg->pos, GATE_EUNKNOWN, "%s() takes one of: %s", nd->name, known);
    }
    if (f->metrics) {
        int rc = check_labels(p, arg, f->labels);
        if (rc) return rc;
        arg->dim = f->dim == GATE_DIM_ARG ? GATE_DIM_NUMBER : f->dim;
    } else {
        int rc = check_node(p, v, i + 1);
        if (rc) return rc;
    }
    nd->dim = f->dim == GATE_DIM_ARG ? arg->dim : f->dim;
    return GATE_OK;
}

/* Canonical threshold from number and unit, once the lhs dimension is known. */
static int settle_unit(parser *p, size_t unit_pos)
{
    gate_expr *e = p->e;
    if (!e->unit[0]) {
        if (e->dim == GATE_DIM_TIME || e->dim == GATE_DIM_MONEY)
            return fail(p, unit_pos, GATE_ESYNTAX, "add a unit: %s is %s", e->nodes[0].name,
                        dim_name(e->dim));
        e->threshold = e->number;
        return GATE_OK;
    }
    gate_dim ud = GATE_DIM_MONEY;
    double scale = 1e6; /* a currency code: the major unit is a million micros */
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (!strcmp(units[k].name, e->unit)) {
            ud = units[k].dim;
            scale = units[k].scale;
        }
    if (ud != e->dim)
        return fail(p, unit_pos, GATE_ESYNTAX, "unit '%s' does not fit: %s is %s", e->unit,
                    e->nodes[0].name, dim_name(e->dim));
    e->threshold = e->number * scale;
    return GATE_OK;
}

int gate_parse(const char *text, const gate_vocab *vocab, gate_expr *out, gate_error *err)
{
    gate_error scratch;
    if (!err) err = &scratch;
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    parser p = {.s = text ? text : "", .i = 0, .e = out, .err = err};
    if (strlen(p.s) >= sizeof out->text)
        return fail(&p, sizeof out->text - 1, GATE_ESYNTAX, "longer than %zu characters",
                    sizeof out->text - 1);
    snprintf(out->text, sizeof out->text, "%s", p.s);
    int rc = parse_term(&p);
    if (rc) return rc;
    blanks(&p);
    out->lhs_len = p.i;
    while (out->lhs_len && (p.s[out->lhs_len - 1] == ' ' || p.s[out->lhs_len - 1] == '\t'))
        out->lhs_len--;
    rc = parse_op(&p);
    if (rc) return rc;
    size_t unit_pos = 0;
    rc = parse_value(&p, &unit_pos);
    if (rc) return rc;
    if (vocab) {
        rc = check_node(&p, vocab, 0);
        if (rc) return rc;
        out->dim = out->nodes[0].dim;
    } else {
        /* grammar only: the unit says what the figure is */
        out->dim = GATE_DIM_NUMBER;
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
            if (!strcmp(units[k].name, out->unit)) out->dim = units[k].dim;
        if (currency_code(out->unit)) out->dim = GATE_DIM_MONEY;
        for (size_t k = 0; k < out->nnodes; k++)
            out->nodes[k].dim = out->dim;
    }
    return settle_unit(&p, unit_pos);
}

char *gate_caret(const char *text, const gate_error *err, const char *indent, char *buf, size_t cap)
{
    if (!cap) return buf;
    if (!indent) indent = "";
    size_t len = strlen(text ? text : "");
    size_t pos = err->pos > len ? len : err->pos;
    int n = snprintf(buf, cap, "%s%s\n%s", indent, text ? text : "", indent);
    for (size_t k = 0; k < pos && n >= 0 && (size_t)n + 2 < cap; k++)
        /* tabs stay tabs so the caret lines up whatever the terminal's tab width */
        buf[n++] = text[k] == '\t' ? '\t' : ' ';
    if (n >= 0 && (size_t)n + 1 < cap) {
        buf[n++] = '^';
        buf[n] = '\0';
    }
    return buf;
}

const char *gate_op_text(gate_op op)
{
    static const char *const t[] = {"<", "<=", ">", ">=", "==", "!="};
    return (unsigned)op < 6 ? t[op] : "?";
}

char *gate_format(const gate_expr *e, double v, char *buf, size_t cap)
{
    const char *unit = e->unit;
    double scale = 1;
    if (unit[0]) {
        scale = currency_code(unit) ? 1e6 : 1;
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
            if (!strcmp(units[k].name, unit)) scale = units[k].scale;
    } else if (e->dim == GATE_DIM_TIME) {
        unit = "ms";
        scale = 1e3;
    } else if (e->dim == GATE_DIM_MONEY) {
        unit = "micros";
    }
    double shown = v / scale;
    if (e->dim == GATE_DIM_COUNT)
        snprintf(buf, cap, "%.0f", shown);
    else
        snprintf(buf, cap, "%.6g%s", fabs(shown) < 5e-10 ? 0.0 : shown, unit);
    return buf;
}

const char *gate_label_get(const gate_expr *e, size_t node, const char *key)
{
    if (node >= e->nnodes) return NULL;
    for (size_t j = 0; j < e->nodes[node].nlabels; j++)
        if (!strcmp(e->nodes[node].labels[j].key, key)) return e->nodes[node].labels[j].value;
    return NULL;
}

static int compare(gate_op op, double a, double b)
{
    /* ratios computed as passed/total land within rounding of 100 %; equal within 1e-9 */
    double eps = 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
    int eq = fabs(a - b) <= eps;
    switch (op) {
    case GATE_LT:
        return a < b && !eq;
    case GATE_LE:
        return a < b || eq;
    case GATE_GT:
        return a > b && !eq;
    case GATE_GE:
        return a > b || eq;
    case GATE_EQ:
        return eq;
    case GATE_NE:
        return !eq;
    }
    return 0;
}

int gate_eval(const gate_expr *e, gate_resolve_fn resolve, void *ctx, gate_result *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->expr, sizeof out->expr, "%s", e->text);
    out->threshold = e->threshold;
    out->verdict = GATE_FAIL;
    char want[48];
    gate_format(e, e->threshold, want, sizeof want);
    /* the left-hand side as written: the text before the operator */
    char lhs[GATE_TEXT_MAX];
    snprintf(lhs, sizeof lhs, "%.*s", (int)e->lhs_len, e->text);
    double v = 0;
    int rc = resolve ? resolve(ctx, e, &v) : GATE_EUNKNOWN;
    if (rc == GATE_OK && !isfinite(v)) rc = GATE_ENODATA;
    if (rc != GATE_OK) {
        snprintf(out->observed_text, sizeof out->observed_text, "n/a");
        snprintf(out->message, sizeof out->message, "%s: %s, wanted %s %s", lhs,
                 rc == GATE_ENODATA ? "no data in this run" : "not measured by this command",
                 gate_op_text(e->op), want);
        return rc;
    }
    out->has_value = 1;
    out->observed = v;
    gate_format(e, v, out->observed_text, sizeof out->observed_text);
    out->verdict = compare(e->op, v, e->threshold) ? GATE_PASS : GATE_FAIL;
    snprintf(out->message, sizeof out->message, "%s = %s, wanted %s %s", lhs, out->observed_text,
             gate_op_text(e->op), want);
    return GATE_OK;
}
