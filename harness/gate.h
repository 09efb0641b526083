/* gate: k6-style pass/fail conditions over a run's figures.
 *
 * Grammar (blanks allowed between tokens):
 *
 *   gate   := lhs OP NUMBER [UNIT]
 *   lhs    := call | metric
 *   call   := NAME '(' arg ')'               p95(latency), delta(rate(fallback))
 *   arg    := call | metric
 *   metric := NAME ['{' KEY '=' VAL (',' KEY '=' VAL)* '}']
 *   OP     := '<' | '<=' | '>' | '>=' | '==' | '!='
 *   UNIT   := us | ms | s | % | pp | fen | micros | a currency code (CNY, USD, ...)
 *
 * NAME is letters, digits, '_' and '.' between them (cost.total, p99.9);
 * VAL is any run of characters other than ',', '}' and blanks.
 *
 * What names mean is not in the grammar: a vocabulary (gate_vocab) lists the
 * functions and paths one command knows, what each may take and the
 * dimension of its result (time, ratio, money, count, number), and the parser
 * checks the expression against it, including the unit, so a typo fails
 * before the run with a caret under the offending character. Values flow in
 * canonical units: time in microseconds, ratios as fractions (1 % = 0.01,
 * 1 pp = 0.01), money in micros of the currency, counts as counts.
 *
 * The evaluator does not know where figures come from: it asks a resolver
 * callback for the value of the left-hand side and compares. */
#ifndef WXAI_GATE_H
#define WXAI_GATE_H

#include <stddef.h>

#define GATE_TEXT_MAX 256
#define GATE_NAME_MAX 48
#define GATE_VALUE_MAX 64
#define GATE_MAX_LABELS 4
#define GATE_MAX_NODES 4 /* nesting depth of calls + 1 */
#define GATE_MAX 32      /* --gate flags per run */

enum { GATE_OK = 0, GATE_ESYNTAX = -1, GATE_EUNKNOWN = -2, GATE_ENODATA = -3 };

typedef enum { GATE_LT, GATE_LE, GATE_GT, GATE_GE, GATE_EQ, GATE_NE } gate_op;

typedef enum {
    GATE_DIM_NUMBER, /* a plain number (psi, ks): no unit */
    GATE_DIM_TIME,   /* microseconds */
    GATE_DIM_RATIO,  /* fraction of 1 */
    GATE_DIM_MONEY,  /* micros */
    GATE_DIM_COUNT,
    GATE_DIM_ARG, /* vocabulary only: the dimension of the function's argument */
} gate_dim;

typedef enum { GATE_NODE_CALL, GATE_NODE_METRIC } gate_node_kind;

typedef struct gate_label {
    char key[GATE_NAME_MAX];
    char value[GATE_VALUE_MAX];
} gate_label;

/* One call or metric. nodes[0] is the left-hand side; a call's argument is the next node. */
typedef struct gate_node {
    gate_node_kind kind;
    char name[GATE_NAME_MAX]; /* "p95", "rate", "latency", "cost.total" */
    gate_label labels[GATE_MAX_LABELS];
    size_t nlabels;
    size_t pos; /* offset of the name in text, for messages */
    gate_dim dim;
} gate_node;

typedef struct gate_expr {
    char text[GATE_TEXT_MAX]; /* as given */
    gate_node nodes[GATE_MAX_NODES];
    size_t nnodes;
    size_t lhs_len; /* text[0..lhs_len) is the left-hand side as written */
    gate_op op;
    double number;    /* the threshold as written */
    char unit[8];     /* as written, "" for none */
    double threshold; /* number in canonical units */
    gate_dim dim;     /* of the left-hand side */
} gate_expr;

/* A function a vocabulary knows. */
typedef struct gate_func {
    const char *name; /* "rate"; "p#" matches p followed by a number in (0, 100]: p95, p99.9 */
    gate_dim dim;     /* of the result; GATE_DIM_ARG: that of the argument */
    /* Metric names the argument may be (NULL-terminated), or NULL when the argument must
     * be a call of this vocabulary (delta(rate(fallback))). */
    const char *const *metrics;
    const char *const *labels; /* label keys the metric may carry (NULL-terminated), or NULL */
} gate_func;

/* A bare path (cost.total) a vocabulary knows. */
typedef struct gate_path {
    const char *name;
    gate_dim dim;
    const char *const *labels; /* NULL-terminated, or NULL */
} gate_path;

typedef struct gate_vocab {
    const gate_func *funcs;
    size_t nfuncs;
    const gate_path *paths;
    size_t npaths;
} gate_vocab;

typedef struct gate_error {
    size_t pos; /* offset in the expression the message points at */
    char msg[200];
} gate_error;

/* Value of e's left-hand side (e->nodes[0], its argument e->nodes[1], ...) in canonical
 * units. Returns GATE_OK, GATE_ENODATA (nothing to measure: no such endpoint in the run),
 * or GATE_EUNKNOWN (a name the resolver does not serve). */
typedef int (*gate_resolve_fn)(void *ctx, const gate_expr *e, double *value);

typedef enum { GATE_PASS = 0, GATE_FAIL = 1 } gate_verdict;

typedef struct gate_result {
    char expr[GATE_TEXT_MAX];
    gate_verdict verdict;
    int has_value;                     /* 0 when the resolver had no data (the gate fails) */
    double observed;                   /* canonical units */
    double threshold;                  /* canonical units */
    char observed_text[48];            /* observed in the gate's unit: "183.2ms", "97.5%" */
    char message[GATE_TEXT_MAX + 160]; /* "p95(latency) = 183.2ms, wanted < 200ms" */
} gate_result;

/* Parse text against vocab (NULL: grammar only, any name, any unit) into *out.
 * Returns GATE_OK, or GATE_ESYNTAX/GATE_EUNKNOWN with err->pos and err->msg set. */
int gate_parse(const char *text, const gate_vocab *vocab, gate_expr *out, gate_error *err);
/* Write text, a newline, and a caret under err->pos into buf ("  p95(x)<1\n  ^~"), each line
 * prefixed by indent. Returns buf (caller's). */
char *gate_caret(const char *text, const gate_error *err, const char *indent, char *buf,
                 size_t cap);
/* Ask resolve for the value and compare. Always fills *out. Returns GATE_OK, or the
 * resolver's error (out->verdict is then GATE_FAIL with the reason in out->message). */
int gate_eval(const gate_expr *e, gate_resolve_fn resolve, void *ctx, gate_result *out);
/* A canonical value shown in e's unit (or the dimension's natural unit) into buf. */
char *gate_format(const gate_expr *e, double canonical, char *buf, size_t cap);
/* The value of a label on node i, or NULL. */
const char *gate_label_get(const gate_expr *e, size_t node, const char *key);
/* "<", "<=", ... (static). */
const char *gate_op_text(gate_op op);

#endif
