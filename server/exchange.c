#define _GNU_SOURCE /* memmem */
#include "exchange.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label.h"
#include "json.h"

/* A single pass over a JSON text instead of a cJSON parse: parsing the
 * response again for the metrics and the request again for the journal was a
 * quarter of a scripted request's instructions. The scan accepts a subset of
 * what cJSON accepts (strict JSON, no \u escapes, at most SCAN_DEPTH deep);
 * anything else takes the parsing path as before, so the outcome is the same. */
#define SCAN_DEPTH 16
#define SCAN_NUM_MAX 63 /* cJSON reads at most 63 characters of a number */

enum { K_INPUT, K_PROMPT, K_OUTPUT, K_COMPLETION, K_COST, K_N };
enum { C_OTHER, C_ROOT, C_USAGE, C_COST, C_KEY }; /* C_KEY + k: the value of key k */

typedef struct scan {
    const char *p, *end;
    int canonical; /* so far byte for byte what cJSON_PrintUnformatted prints */
    int line_break;
    int usage_seen, cost_seen;
    unsigned key_seen;
    int64_t val[K_N]; /* as exchange reads them: first occurrence, > 0 or 0 */
} scan;

static void sc_ws(scan *s)
{
    const char *p = s->p;
    while (p < s->end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        if (*p == '\n' || *p == '\r') s->line_break = 1;
        p++;
    }
    if (p != s->p) s->canonical = 0;
    s->p = p;
}

static int sc_string(scan *s, const char **str, size_t *len)
{
    const char *p = s->p + 1, *start = p;
    while (p < s->end) {
        p += json_plain_len(p, (size_t)(s->end - p));
        if (p >= s->end) break;
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            *str = start;
            *len = (size_t)(p - start);
            s->p = p + 1;
            return 0;
        }
        if (c < 0x20) return -1; /* cJSON would print it escaped */
        if (c == '\\') {
            if (++p >= s->end) return -1;
            switch (*p) {
            case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't': break;
            case '/': s->canonical = 0; break; /* printed as a plain '/' */
            default: return -1;                /* \u and anything else: parse */
            }
        }
        p++;
    }
    return -1;
}

static int digits(const char **p, const char *end)
{
    const char *q = *p;
    while (q < end && *q >= '0' && *q <= '9')
        q++;
    int any = q != *p;
    *p = q;
    return any;
}

static int sc_number(scan *s, int key)
{
    const char *p = s->p, *start = p;
    int integral = 1;
    if (*p == '-') p++;
    if (p < s->end && *p == '0')
        p++;
    else if (p >= s->end || *p < '1' || *p > '9' || !digits(&p, s->end))
        return -1;
    if (p < s->end && *p == '.') {
        integral = 0;
        p++;
        if (!digits(&p, s->end)) return -1;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        integral = 0;
        p++;
        if (p < s->end && (*p == '+' || *p == '-')) p++;
        if (!digits(&p, s->end)) return -1;
    }
    size_t n = (size_t)(p - start);
    if (n > SCAN_NUM_MAX) return -1;
    /* "%1.15g" prints an integer of up to 15 digits as its digits, but -0 as "-0" */
    if (!integral || n - (*start == '-') > 15) s->canonical = 0;
    if (key >= 0 && integral && n - (*start == '-') <= 15) {
        /* what strtod gives exactly for up to 15 digits, without it */
        int64_t v = 0;
        for (const char *d = start + (*start == '-'); d < p; d++)
            v = v * 10 + (*d - '0');
        s->val[key] = *start == '-' ? 0 : v;
    } else if (key >= 0) {
        char num[SCAN_NUM_MAX + 1];
        memcpy(num, start, n);
        num[n] = '\0';
        double v = strtod(num, NULL);
        s->val[key] = v > 0 ? (int64_t)v : 0;
    }
    s->p = p;
    return 0;
}

static int sc_lit(scan *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0) return -1;
    s->p += n;
    return 0;
}

#define key_is(k, n, lit) ((n) == sizeof lit - 1 && memcmp(k, lit, sizeof lit - 1) == 0)

/* The context of a member's value, for the few fields the metrics read. */
static int member_ctx(scan *s, int ctx, const char *k, size_t n)
{
    static const char *const names[K_N] = {"input_tokens", "prompt_tokens", "output_tokens",
                                           "completion_tokens", "amount_micros"};
    static const unsigned char lens[K_N] = {12, 13, 13, 17, 13};
    if (ctx == C_ROOT) {
        if (!s->usage_seen && key_is(k, n, "usage")) return s->usage_seen = 1, C_USAGE;
        if (!s->cost_seen && key_is(k, n, "cost")) return s->cost_seen = 1, C_COST;
        return C_OTHER;
    }
    if (ctx != C_USAGE && ctx != C_COST) return C_OTHER;
    for (int i = ctx == C_USAGE ? K_INPUT : K_COST; i <= (ctx == C_USAGE ? K_COMPLETION : K_COST);
         i++)
        if (!(s->key_seen & 1u << i) && n == lens[i] && memcmp(k, names[i], n) == 0) {
            s->key_seen |= 1u << i; /* cJSON finds the first of equal keys */
            return C_KEY + i;
        }
    return C_OTHER;
}

static int sc_value(scan *s, int depth, int ctx)
{
    const char *str;
    size_t len;
    if (s->p >= s->end) return -1;
    switch (*s->p) {
    case '"': return sc_string(s, &str, &len);
    case 't': return sc_lit(s, "true", 4);
    case 'f': return sc_lit(s, "false", 5);
    case 'n': return sc_lit(s, "null", 4);
    case '[':
    case '{': {
        int obj = *s->p == '{';
        if (depth >= SCAN_DEPTH) return -1;
        s->p++;
        sc_ws(s);
        if (s->p < s->end && *s->p == (obj ? '}' : ']')) {
            s->p++;
            return 0;
        }
        for (;;) {
            int child = C_OTHER;
            if (obj) {
                if (s->p >= s->end || *s->p != '"' || sc_string(s, &str, &len) != 0) return -1;
                if (ctx != C_OTHER) child = member_ctx(s, ctx, str, len);
                sc_ws(s);
                if (s->p >= s->end || *s->p++ != ':') return -1;
                sc_ws(s);
            }
            if (sc_value(s, depth + 1, child) != 0) return -1;
            sc_ws(s);
            if (s->p >= s->end) return -1;
            char c = *s->p++;
            if (c == (obj ? '}' : ']')) return 0;
            if (c != ',') return -1;
            sc_ws(s);
        }
    }
    default:
        return sc_number(s, ctx >= C_KEY ? ctx - C_KEY : -1);
    }
}

/* 0 when text is JSON the scan reads (s filled), -1 when it must be parsed. */
static int scan_json(scan *s, const char *text, size_t len)
{
    memset(s, 0, sizeof *s);
    s->p = text;
    s->end = text + len;
    s->canonical = 1;
    sc_ws(s);
    if (s->p < s->end && *s->p == '{') {
        if (sc_value(s, 0, C_ROOT) != 0) return -1;
    } else if (sc_value(s, 0, C_OTHER) != 0) {
        return -1;
    }
    sc_ws(s);
    return s->p == s->end ? 0 : -1;
}

static int64_t int_at(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, a), b);
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (int64_t)v->valuedouble : 0;
}

/* Debug builds (the sanitizer pass of the tests) still scan a metered answer and stop
 * when what the handler declared is not what it wrote. */
#ifdef NDEBUG
#define CHECK_METER 0
#else
#define CHECK_METER 1
#endif

static void check_meter(const http_req *req, const scan *rs)
{
    if (!rs) { /* http_meter promised one line of JSON */
        fprintf(stderr, "wxai-mock: BUG: metered answer to %s is not one line of JSON\n", req->url);
        abort();
    }
    int64_t in = rs->val[K_INPUT] + rs->val[K_PROMPT];
    int64_t out = rs->val[K_OUTPUT] + rs->val[K_COMPLETION];
    int64_t cost = rs->val[K_COST];
    if (in != req->meter.input_tokens || out != req->meter.output_tokens ||
        cost != req->meter.cost_micros) {
        fprintf(stderr,
                "wxai-mock: BUG: %s metered %lld/%lld tokens, %lld micros; the answer says "
                "%lld/%lld, %lld\n",
                req->url, (long long)req->meter.input_tokens, (long long)req->meter.output_tokens,
                (long long)req->meter.cost_micros, (long long)in, (long long)out, (long long)cost);
        abort();
    }
}

void exchange_observe(journal *j, metrics *m, const http_req *req, int64_t elapsed_ms)
{
    int ep = label_of(req->ri->local_uri);
    cJSON *resp = NULL;
    size_t off;
    scan rs;
    int verbatim = 0;
    if (ep == LABEL_ADMIN || ep == LABEL_METRICS) return;
    if (req->resp_body) {
        /* Read without a parse when nothing in it needs the tree: no line
         * break (a JSONL record is one line), no explanation to expire. A
         * metered answer is one line of JSON already (http_meter). */
        if (req->meter.set && !CHECK_METER) {
            verbatim = 1;
        } else {
            int ok = scan_json(&rs, req->resp_body, req->resp_len) == 0 && !rs.line_break;
            verbatim = ok && (req->meter.set ||
                              !memmem(req->resp_body, req->resp_len, "explanation_expires_at", 22));
            if (!verbatim) json_parse(req->resp_body, req->resp_len, JSON_MAX_DEPTH, &resp, &off);
            if (req->meter.set) check_meter(req, verbatim ? &rs : NULL);
        }
    }

    metrics_sample s = {.endpoint = ep, .status = req->status, .elapsed_ms = elapsed_ms};
    /* A replayed idempotent answer was billed the first time. */
    if (!req->replayed) {
        if (req->meter.set) {
            s.input_tokens = req->meter.input_tokens > 0 ? req->meter.input_tokens : 0;
            s.output_tokens = req->meter.output_tokens > 0 ? req->meter.output_tokens : 0;
            s.cost_micros = req->meter.cost_micros > 0 ? req->meter.cost_micros : 0;
        } else if (verbatim) {
            s.input_tokens = rs.val[K_INPUT] + rs.val[K_PROMPT];
            s.output_tokens = rs.val[K_OUTPUT] + rs.val[K_COMPLETION];
            s.cost_micros = rs.val[K_COST];
        } else {
            s.input_tokens =
                int_at(resp, "usage", "input_tokens") + int_at(resp, "usage", "prompt_tokens");
            s.output_tokens = int_at(resp, "usage", "output_tokens") +
                              int_at(resp, "usage", "completion_tokens");
            s.cost_micros = int_at(resp, "cost", "amount_micros");
        }
    }
    metrics_observe(m, &s);

    if (j && ep != LABEL_OAUTH_TOKEN) {
        scan bs;
        journal_exchange x = {
            .method = req->ri->request_method,
            .path = req->url,
            .endpoint = label_name(ep),
            .merchant = req->merchant ? req->merchant->mchid : NULL,
            .idempotency_key = http_hdr(req, HTTP_HDR_IDEMPOTENCY_KEY),
            .body = req->body,
            .body_len = req->body_len,
            .body_canonical = req->body && req->body_len &&
                              scan_json(&bs, req->body, req->body_len) == 0 && bs.canonical,
            .status = req->status,
            .response = resp,
            .response_len = req->resp_len,
            .response_text = req->resp_body,
            .response_verbatim = verbatim,
        };
        journal_add(j, &x);
    }
    cJSON_Delete(resp);
}
