#include "http.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "json.h"
#include "sign.h"

int http_read_body(http_req *req, size_t cap)
{
    long long declared = req->ri->content_length;
    size_t want = declared >= 0 ? (size_t)declared : 0;
    size_t alloc, got = 0;

    /* Refuse a declared oversize body before allocating anything for it. */
    if (declared >= 0 && (unsigned long long)declared > cap) return HTTP_ETOOBIG;
    alloc = declared >= 0 ? want + 1 : 4096;
    req->body = malloc(alloc);
    if (!req->body) return HTTP_ENOMEM;
    for (;;) {
        if (got + 1 >= alloc) {
            if (declared >= 0) break;
            if (alloc > cap) return HTTP_ETOOBIG; /* chunked body that keeps going */
            size_t next = alloc * 2 > cap + 2 ? cap + 2 : alloc * 2;
            char *nb = realloc(req->body, next);
            if (!nb) return HTTP_ENOMEM;
            req->body = nb;
            alloc = next;
        }
        int n = mg_read(req->conn, req->body + got, alloc - 1 - got);
        if (n < 0) return HTTP_EREAD;
        if (n == 0) break;
        got += (size_t)n;
    }
    if (declared >= 0 && got != want) return HTTP_EREAD;
    if (got > cap) return HTTP_ETOOBIG;
    req->body[got] = '\0';
    req->body_len = got;
    return HTTP_OK;
}

void http_req_cleanup(http_req *req)
{
    if (!req) return;
    free(req->body);
    req->body = NULL;
    free(req->resp_body);
    req->resp_body = NULL;
}

static const char *const hdr_names[HTTP_HDR_COUNT] = {
    [HTTP_HDR_AUTHORIZATION] = "Authorization",
    [HTTP_HDR_WECHATPAY_TIMESTAMP] = "Wechatpay-Timestamp",
    [HTTP_HDR_WECHATPAY_NONCE] = "Wechatpay-Nonce",
    [HTTP_HDR_WECHATPAY_SERIAL] = "Wechatpay-Serial",
    [HTTP_HDR_WECHATPAY_SIGNATURE] = "Wechatpay-Signature",
    [HTTP_HDR_CONTENT_TYPE] = "Content-Type",
    [HTTP_HDR_IDEMPOTENCY_KEY] = "Idempotency-Key",
    [HTTP_HDR_ACCEPT] = "Accept",
    [HTTP_HDR_X_ADMIN_TOKEN] = "X-Admin-Token",
};

/* The known header a request header's name is, or -1: its length picks the candidates,
 * so most names cost one strcasecmp or none. */
static int hdr_index(const char *name)
{
    switch (strlen(name)) {
    case 6: return strcasecmp(name, "Accept") == 0 ? HTTP_HDR_ACCEPT : -1;
    case 12: return strcasecmp(name, "Content-Type") == 0 ? HTTP_HDR_CONTENT_TYPE : -1;
    case 13:
        if (strcasecmp(name, "Authorization") == 0) return HTTP_HDR_AUTHORIZATION;
        return strcasecmp(name, "X-Admin-Token") == 0 ? HTTP_HDR_X_ADMIN_TOKEN : -1;
    case 15:
        if (strcasecmp(name, "Wechatpay-Nonce") == 0) return HTTP_HDR_WECHATPAY_NONCE;
        return strcasecmp(name, "Idempotency-Key") == 0 ? HTTP_HDR_IDEMPOTENCY_KEY : -1;
    case 16: return strcasecmp(name, "Wechatpay-Serial") == 0 ? HTTP_HDR_WECHATPAY_SERIAL : -1;
    case 19:
        if (strcasecmp(name, "Wechatpay-Timestamp") == 0) return HTTP_HDR_WECHATPAY_TIMESTAMP;
        return strcasecmp(name, "Wechatpay-Signature") == 0 ? HTTP_HDR_WECHATPAY_SIGNATURE : -1;
    default: return -1;
    }
}

void http_req_scan_headers(http_req *req)
{
    for (int i = 0; i < HTTP_HDR_COUNT; i++) req->hdr[i] = NULL;
    const struct mg_request_info *ri = req->ri;
    for (int i = 0; ri && i < ri->num_headers; i++) {
        const char *name = ri->http_headers[i].name;
        if (!name) continue;
        int k = hdr_index(name);
        if (k >= 0 && !req->hdr[k]) req->hdr[k] = ri->http_headers[i].value;
    }
    req->hdr_scanned = 1;
}

const char *http_hdr(const http_req *req, int k)
{
    if (k < 0 || k >= HTTP_HDR_COUNT) return NULL;
    return req->hdr_scanned ? req->hdr[k] : mg_get_header(req->conn, hdr_names[k]);
}

const char *http_header(const http_req *req, const char *name)
{
    if (req->hdr_scanned) {
        /* callers pass the names as spelled in hdr_names; anything else goes to CivetWeb */
        for (int k = 0; k < HTTP_HDR_COUNT; k++)
            if (name == hdr_names[k] || strcmp(name, hdr_names[k]) == 0) return req->hdr[k];
    }
    return mg_get_header(req->conn, name);
}

void http_add_header(http_req *req, const char *name, const char *fmt, ...)
{
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof value) return;
    int m = snprintf(req->extra + req->extra_len, sizeof req->extra - req->extra_len, "%s: %s\r\n",
                     name, value);
    if (m > 0 && (size_t)m < sizeof req->extra - req->extra_len)
        req->extra_len += (size_t)m;
    else
        req->extra[req->extra_len] = '\0';
}

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

static int path_has_prefix(const http_req *req, const char *prefix)
{
    return strncmp(req->ri->local_uri, prefix, strlen(prefix)) == 0;
}

/* A head written piece by piece; over is set (and nothing more written) once it would not fit
 * with a NUL after it, as snprintf would have reported. */
typedef struct hbuf {
    char *p;
    size_t len, cap;
    int over;
} hbuf;

static void hb_put(hbuf *b, const char *s, size_t n)
{
    if (b->over || b->len + n >= b->cap) {
        b->over = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void hb_str(hbuf *b, const char *s)
{
    hb_put(b, s, strlen(s));
}

/* "%lld" into out (at least 21 bytes, NUL-terminated); returns the length. */
static size_t put_int(char *out, long long v)
{
    size_t n = json_int(out, v, 0);
    out[n] = '\0';
    return n;
}

int http_send(http_req *req, int status, const char *content_type, const char *body, size_t len)
{
    /* Room for a small body after the head, so head and body leave in one
     * write: two would be two TCP segments (tcp_nodelay) per response. */
    char head[HTTP_EXTRA_HEADERS + 1024 + HTTP_ONE_WRITE_MAX];
    const size_t head_cap = HTTP_EXTRA_HEADERS + 1024;
    int n;

    /* The signature covers exactly the bytes sent, so it is computed here,
     * after the body is final, and never by a handler. */
    char sig_headers[256] = "";
    size_t sig_len = 0;
    if (req->before_send) req->before_send(req);
    if (req->merchant && req->key) {
        char ts[24], nonce[IDENT_NONCE_LEN], sig[SIGN_B64_LEN];
        size_t ts_len = put_int(ts, clock_now_s());
        if (ident_nonce(nonce, sizeof nonce) == 0 &&
            sign_response(req->key->secret, req->key->secret_len, ts, nonce, body,
                          status == 204 ? 0 : len, sig, sizeof sig) == 0) {
            /* by hand: snprintf was a tenth of a request's instructions here */
            hbuf h = {sig_headers, 0, sizeof sig_headers, 0};
            hb_put(&h, "Wechatpay-Timestamp: ", 21);
            hb_put(&h, ts, ts_len);
            hb_put(&h, "\r\nWechatpay-Nonce: ", 19);
            hb_str(&h, nonce);
            hb_put(&h, "\r\nWechatpay-Serial: ", 20);
            hb_str(&h, req->key->serial);
            hb_put(&h, "\r\nWechatpay-Signature: ", 23);
            hb_str(&h, sig);
            hb_put(&h, "\r\n", 2);
            if (!h.over) {
                sig_len = h.len;
                sig_headers[sig_len] = '\0';
            } else { /* as snprintf truncated it */
                snprintf(sig_headers, sizeof sig_headers,
                         "Wechatpay-Timestamp: %s\r\nWechatpay-Nonce: %s\r\n"
                         "Wechatpay-Serial: %s\r\nWechatpay-Signature: %s\r\n",
                         ts, nonce, req->key->serial, sig);
                sig_len = strlen(sig_headers);
            }
        }
    }
    int v1 = path_has_prefix(req, "/v1/");
    char num[24];
    hbuf h = {head, 0, head_cap, 0};
    hb_put(&h, "HTTP/1.1 ", 9);
    hb_put(&h, num, put_int(num, status));
    hb_put(&h, " ", 1);
    hb_str(&h, http_reason(status));
    hb_put(&h, "\r\nContent-Length: ", 18);
    hb_put(&h, num, put_int(num, (long long)(body ? len : 0)));
    hb_put(&h, "\r\n", 2);
    if (content_type) {
        hb_put(&h, "Content-Type: ", 14);
        hb_str(&h, content_type);
        hb_put(&h, "\r\n", 2);
    }
    hb_put(&h, "Request-ID: ", 12);
    hb_str(&h, req->request_id);
    hb_put(&h, "\r\n", 2);
    if (v1) {
        hb_put(&h, "x-request-id: ", 14);
        hb_str(&h, req->request_id);
        hb_put(&h, "\r\n", 2);
    }
    hb_put(&h, sig_headers, sig_len);
    hb_put(&h, req->extra, strnlen(req->extra, sizeof req->extra));
    hb_put(&h, "\r\n", 2);
    n = h.over ? -1 : (int)h.len;
    if (n < 0 || (size_t)n >= head_cap) return -1;
    req->status = status;
    /* The journal and the metrics see the answer before the client does, so a
     * client reading /__admin/requests right after its answer finds it there. */
    req->resp_len = body ? len : 0;
    if (body && len && len <= HTTP_RESP_KEEP_MAX && !req->resp_body && content_type &&
        strncmp(content_type, "application/json", 16) == 0 && (req->resp_body = malloc(len + 1))) {
        memcpy(req->resp_body, body, len);
        req->resp_body[len] = '\0';
    }
    if (req->observe) {
        void (*observe)(http_req *) = req->observe;
        req->observe = NULL;
        observe(req);
    }
    int one_write = body && len && len <= HTTP_ONE_WRITE_MAX && !req->truncate_body;
    if (one_write) memcpy(head + n, body, len);
    if (mg_write(req->conn, head, (size_t)n + (one_write ? len : 0)) !=
        (int)((size_t)n + (one_write ? len : 0)))
        return -1;
    if (req->truncate_body && body && len) {
        /* injected fault: the declared length is not delivered and the connection closes */
        mg_disable_connection_keep_alive(req->conn);
        req->resp_len = len / 2;
        return mg_write(req->conn, body, len / 2) == (int)(len / 2) ? 0 : -1;
    }
    if (!one_write && body && len && mg_write(req->conn, body, len) != (int)len) return -1;
    return 0;
}

void http_meter(http_req *req, int64_t input_tokens, int64_t output_tokens, int64_t cost_micros)
{
    req->meter.set = 1;
    req->meter.input_tokens = input_tokens;
    req->meter.output_tokens = output_tokens;
    req->meter.cost_micros = cost_micros;
}

/* A compact printer producing exactly cJSON_PrintUnformatted's bytes into one
 * growing buffer: cJSON prints every number with sprintf (and each double a
 * second time through sscanf), which was 18 % of a scripted answer's
 * instructions. */
typedef http_json jbuf;

static int jb_room(jbuf *b, size_t n)
{
    if (b->failed) return 0;
    if (b->len + n + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) {
        b->failed = 1;
        return 0;
    }
    b->p = np;
    b->cap = cap;
    return 1;
}

static void jb_put(jbuf *b, const char *s, size_t n)
{
    if (!jb_room(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void jb_str(jbuf *b, const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s);
    if (!jb_room(b, JSON_QUOTED_MAX(n))) return;
    b->len += json_quote(b->p + b->len, s, n);
}

static void jb_num(jbuf *b, double d)
{
    char num[32];
    int n;
    if (isnan(d) || isinf(d)) {
        jb_put(b, "null", 4);
        return;
    }
    if (d == floor(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
        /* what "%1.15g" prints for an integer of at most 15 digits */
        jb_put(b, num, json_int(num, (int64_t)d, 0));
        return;
    }
    /* A short decimal (0.97, 12.5) that the double is the nearest to prints
     * as its digits under "%1.15g" too: 15 significant digits round to it,
     * and %g stays in fixed notation from 1e-4 up. */
    static const double pow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
    double a = fabs(d);
    if (a >= 1e-4 && a < 1e9) {
        for (int k = 1; k <= 6; k++) {
            double m = nearbyint(a * pow10[k]);
            if (m / pow10[k] != a) continue;
            char *e = num + sizeof num, *o = e;
            unsigned long long u = (unsigned long long)m;
            int frac = k;
            while (frac > 0 && u % 10 == 0) { /* %g drops trailing zeros */
                u /= 10;
                frac--;
            }
            for (int i = 0; i < frac; i++, u /= 10)
                *--o = (char)('0' + u % 10);
            *--o = '.';
            do {
                *--o = (char)('0' + u % 10);
                u /= 10;
            } while (u);
            if (d < 0) *--o = '-';
            jb_put(b, o, (size_t)(e - o));
            return;
        }
    }
    n = snprintf(num, sizeof num, "%1.15g", d);
    double test = strtod(num, NULL);
    double max = fabs(test) > fabs(d) ? fabs(test) : fabs(d);
    if (!(fabs(test - d) <= max * DBL_EPSILON)) n = snprintf(num, sizeof num, "%1.17g", d);
    if (n > 0 && (size_t)n < sizeof num) jb_put(b, num, (size_t)n);
    else b->failed = 1;
}

static void jb_value(jbuf *b, const cJSON *item)
{
    switch (item->type & 0xFF) {
    case cJSON_NULL: jb_put(b, "null", 4); return;
    case cJSON_False: jb_put(b, "false", 5); return;
    case cJSON_True: jb_put(b, "true", 4); return;
    case cJSON_Number: jb_num(b, item->valuedouble); return;
    case cJSON_String: jb_str(b, item->valuestring); return;
    case cJSON_Raw:
        if (!item->valuestring) b->failed = 1;
        else jb_put(b, item->valuestring, strlen(item->valuestring));
        return;
    case cJSON_Array:
    case cJSON_Object: {
        int obj = (item->type & 0xFF) == cJSON_Object;
        jb_put(b, obj ? "{" : "[", 1);
        for (const cJSON *c = item->child; c && !b->failed; c = c->next) {
            if (obj) {
                jb_str(b, c->string);
                jb_put(b, ":", 1);
            }
            jb_value(b, c);
            if (c->next) jb_put(b, ",", 1);
        }
        jb_put(b, obj ? "}" : "]", 1);
        return;
    }
    default: b->failed = 1; /* cJSON_Invalid: cJSON prints nothing either */
    }
}

void http_json_put(http_json *b, const char *s, size_t n)
{
    jb_put(b, s, n);
}

void http_json_str(http_json *b, const char *s)
{
    jb_str(b, s);
}

void http_json_num(http_json *b, double d)
{
    jb_num(b, d);
}

void http_json_value(http_json *b, const cJSON *v)
{
    if (v) jb_value(b, v);
}

int http_send_json_text(http_req *req, int status, http_json *b)
{
    int rc = -1;
    if (!b->failed && b->p) {
        b->p[b->len] = '\0';
        /* the text is the copy exchange.c reads: handed over, not copied again */
        if (b->len <= HTTP_RESP_KEEP_MAX && !req->resp_body) {
            req->resp_body = b->p;
            b->p = NULL;
        }
        const char *text = b->p ? b->p : req->resp_body;
        rc = http_send(req, status, "application/json; charset=utf-8", text, b->len);
    } else {
        req->meter.set = 0; /* what was metered is not what goes out */
    }
    free(b->p);
    memset(b, 0, sizeof *b);
    return rc;
}

int http_send_json(http_req *req, int status, const cJSON *json)
{
    jbuf b = {0};
    if (!json) return -1;
    jb_value(&b, json);
    if (b.failed || !b.p) {
        free(b.p);
        return -1;
    }
    b.p[b.len] = '\0';
    int rc = http_send(req, status, "application/json; charset=utf-8", b.p, b.len);
    free(b.p);
    return rc;
}

int http_error(http_req *req, int status, const char *code, const char *message, cJSON *detail)
{
    cJSON *root = cJSON_CreateObject();
    int rc = -1;
    req->meter.set = 0; /* an error bills nothing a handler metered before it failed */
    if (!root) goto out;
    if (path_has_prefix(req, "/v1/")) {
        /* OpenAI's shape: type is the broad class, code the specific one. */
        cJSON *err = cJSON_AddObjectToObject(root, "error");
        const char *type = status == 429   ? "rate_limit_exceeded"
                           : status == 401 ? "invalid_request_error"
                           : status >= 500 ? "server_error"
                                           : "invalid_request_error";
        cJSON_AddStringToObject(err, "message", message);
        cJSON_AddStringToObject(err, "type", type);
        cJSON *param = detail ? cJSON_DetachItemFromObject(detail, "param") : NULL;
        cJSON_AddItemToObject(err, "param", param ? param : cJSON_CreateNull());
        if (code)
            cJSON_AddStringToObject(err, "code", code);
        else
            cJSON_AddNullToObject(err, "code");
    } else if (strcmp(req->ri->local_uri, "/v3/oauth2/token") == 0) {
        cJSON_AddStringToObject(root, "error", code);
        cJSON_AddStringToObject(root, "error_description", message);
    } else {
        cJSON_AddStringToObject(root, "code", code);
        cJSON_AddStringToObject(root, "message", message);
        if (detail) {
            cJSON_AddItemToObject(root, "detail", detail);
            detail = NULL;
        }
    }
    rc = http_send_json(req, status, root);
out:
    cJSON_Delete(detail);
    cJSON_Delete(root);
    return rc;
}

int http_stream_begin(http_req *req, int status, const char *content_type)
{
    char head[HTTP_EXTRA_HEADERS + 512];
    int v1 = path_has_prefix(req, "/v1/");
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Transfer-Encoding: chunked\r\n"
                     "Cache-Control: no-cache\r\n"
                     "Request-ID: %s\r\n"
                     "%s%s%s"
                     "%s\r\n",
                     status, http_reason(status), content_type, req->request_id,
                     v1 ? "x-request-id: " : "", v1 ? req->request_id : "", v1 ? "\r\n" : "",
                     req->extra);
    if (n < 0 || (size_t)n >= sizeof head) return -1;
    req->status = status;
    return mg_write(req->conn, head, (size_t)n) == n ? 0 : -1;
}

int http_stream_write(http_req *req, const char *data, size_t len)
{
    if (len == 0) return 0; /* an empty chunk would end the stream */
    if (len > UINT32_MAX) return -1;
    req->resp_len += len;
    return mg_send_chunk(req->conn, data, (unsigned)len) > 0 ? 0 : -1;
}

int http_stream_end(http_req *req)
{
    return mg_write(req->conn, "0\r\n\r\n", 5) == 5 ? 0 : -1;
}

int http_param_error(http_req *req, const char *field, const char *issue)
{
    char msg[320];
    cJSON *detail = cJSON_CreateObject();
    if (detail) {
        cJSON_AddStringToObject(detail, "field", field);
        cJSON_AddStringToObject(detail, "location", "body");
        cJSON_AddStringToObject(detail, "issue", issue);
    }
    snprintf(msg, sizeof msg, "%s: %s", field[0] ? field : "body", issue);
    http_error(req, 400, "PARAM_ERROR", msg, detail);
    return -1;
}
