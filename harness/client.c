#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "json.h"

void client_exchange_clear(exchange *ex)
{
    if (!ex) return;
    if (ex->easy) curl_easy_cleanup(ex->easy);
    curl_url_cleanup(ex->cu);
    free(ex->body);
    free(ex->resp);
    jarena_release(&ex->arena, ex->json, ex->json_how);
    jarena_free(&ex->arena);
    memset(ex, 0, sizeof *ex);
}

/* Forget the request and response but keep the easy handle: what client_exchange_clear
 * leaves, without rewriting the ~10 KB of fixed fields (only their first bytes are read). */
static void exchange_reset(exchange *ex)
{
    free(ex->body);
    ex->body = NULL;
    ex->body_len = 0;
    free(ex->resp);
    ex->resp = NULL;
    ex->resp_len = ex->resp_bytes = 0;
    ex->resp_truncated = 0;
    jarena_release(&ex->arena, ex->json, ex->json_how);
    ex->json = NULL;
    ex->method[0] = ex->url[0] = ex->path[0] = '\0';
    ex->nheaders = 0;
    ex->status = 0;
    ex->curl_code = CURLE_OK;
    ex->error[0] = ex->content_type[0] = ex->request_id[0] = ex->x_request_id[0] = '\0';
    ex->location[0] = ex->retry_after[0] = ex->wp_timestamp[0] = ex->wp_nonce[0] = '\0';
    ex->wp_serial[0] = ex->wp_signature[0] = '\0';
    ex->intended_us = ex->sent_us = ex->done_us = 0;
}

/* n bytes of s into dst[cap] as snprintf("%s") would put them: cut short, terminated. */
static void copy_cut(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

int client_exchange_init_take(exchange *ex, const char *base, const char *method, const char *path,
                              char *body, size_t len)
{
    exchange_reset(ex);
    size_t plen = strlen(path), blen = strlen(base);
    if (plen >= sizeof ex->path) goto fail;
    copy_cut(ex->method, sizeof ex->method, method, strlen(method));
    memcpy(ex->path, path, plen + 1);
    copy_cut(ex->url, sizeof ex->url, base, blen);
    if (blen < sizeof ex->url) copy_cut(ex->url + blen, sizeof ex->url - blen, path, plen);
    if (blen + plen >= sizeof ex->url) goto fail;
    if (body) {
        ex->body = body;
        ex->body_len = len;
    }
    return 0;
fail:
    free(body);
    return -1;
}

int client_exchange_init(exchange *ex, const char *base, const char *method, const char *path,
                         const char *body, size_t len)
{
    char *copy = NULL;
    if (body) {
        copy = malloc(len + 1);
        if (!copy) {
            exchange_reset(ex);
            return -1;
        }
        memcpy(copy, body, len);
        copy[len] = '\0';
    }
    return client_exchange_init_take(ex, base, method, path, copy, len);
}

int client_add_header(exchange *ex, const char *name, const char *fmt, ...)
{
    if (ex->nheaders >= CLIENT_MAX_HEADERS) return -1;
    char *h = ex->headers[ex->nheaders];
    int n = snprintf(h, CLIENT_HEADER_MAX, "%s: ", name);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(h + n, CLIENT_HEADER_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    if (n + m >= CLIENT_HEADER_MAX) return -1;
    ex->nheaders++;
    return 0;
}

int client_add_header_str(exchange *ex, const char *name, const char *value1, const char *value2)
{
    if (ex->nheaders >= CLIENT_MAX_HEADERS) return -1;
    size_t nn = strlen(name), n1 = strlen(value1), n2 = value2 ? strlen(value2) : 0;
    if (nn + 2 + n1 + n2 >= CLIENT_HEADER_MAX) return -1;
    char *h = ex->headers[ex->nheaders];
    memcpy(h, name, nn);
    h[nn] = ':';
    h[nn + 1] = ' ';
    memcpy(h + nn + 2, value1, n1);
    if (n2) memcpy(h + nn + 2 + n1, value2, n2);
    h[nn + 2 + n1 + n2] = '\0';
    ex->nheaders++;
    return 0;
}

int client_body(exchange *ex, const char *p, size_t n)
{
    ex->resp_bytes += n;
    if (ex->resp_len >= CLIENT_BODY_MAX) {
        ex->resp_truncated = 1;
        return 0;
    }
    size_t keep = n;
    if (ex->resp_len + keep > CLIENT_BODY_MAX) {
        keep = CLIENT_BODY_MAX - ex->resp_len;
        ex->resp_truncated = 1;
    }
    char *np = realloc(ex->resp, ex->resp_len + keep + 1);
    if (!np) return -1;
    memcpy(np + ex->resp_len, p, keep);
    ex->resp = np;
    ex->resp_len += keep;
    ex->resp[ex->resp_len] = '\0';
    return 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    size_t add = size * nmemb;
    return client_body(ud, ptr, add) == 0 ? add : 0;
}

/* The headers the checks read, each kept in its fixed field. */
#define WANT(name, field)                                                                          \
    {                                                                                              \
        name, sizeof name - 1, offsetof(exchange, field), sizeof((exchange *)0)->field             \
    }
static const struct {
    const char *name;
    size_t len, off, cap;
} want[] = {
    WANT("Content-Type", content_type),        WANT("Request-ID", request_id),
    WANT("x-request-id", x_request_id),        WANT("Location", location),
    WANT("Retry-After", retry_after),          WANT("Wechatpay-Timestamp", wp_timestamp),
    WANT("Wechatpay-Nonce", wp_nonce),         WANT("Wechatpay-Serial", wp_serial),
    WANT("Wechatpay-Signature", wp_signature),
};
#undef WANT

void client_headers_clear(exchange *ex)
{
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ((char *)ex + want[i].off)[0] = '\0';
}

void client_header(exchange *ex, const char *name, size_t nlen, const char *v, size_t vlen)
{
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (want[i].len != nlen || strncasecmp(name, want[i].name, nlen) != 0) continue;
        const char *end = v + vlen;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        size_t n = (size_t)(end - v);
        if (n >= want[i].cap) n = want[i].cap - 1;
        char *dst = (char *)ex + want[i].off;
        memcpy(dst, v, n);
        dst[n] = '\0';
        return;
    }
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    exchange *ex = ud;
    size_t n = size * nmemb;
    /* A new status line (after a 100 Continue or a redirect) starts a new header block. */
    if (n > 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        client_headers_clear(ex);
        return n;
    }
    const char *colon = memchr(ptr, ':', n);
    if (colon)
        client_header(ex, ptr, (size_t)(colon - ptr), colon + 1, n - (size_t)(colon + 1 - ptr));
    return n;
}

int client_proxy_in_env(void)
{
    static const char *const names[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                        "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        if (v && *v) return 1;
    }
    return 0;
}

long client_timeout_ms(const exchange *ex)
{
    return ex->timeout_ms > 0 ? (long)ex->timeout_ms : CLIENT_TIMEOUT_MS;
}

void client_easy_defaults(CURL *c, const char *cainfo)
{
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    if (cainfo) curl_easy_setopt(c, CURLOPT_CAINFO, cainfo);
    /* Without a proxy in the environment, libcurl would still look up its proxy and
     * no_proxy variables (eight scans of environ) on every transfer; saying "none" once
     * gives the same connections. With one, libcurl keeps deciding per URL. */
    if (!client_proxy_in_env()) {
        curl_easy_setopt(c, CURLOPT_PROXY, "");
        curl_easy_setopt(c, CURLOPT_NOPROXY, "");
    }
}

int client_prepare(exchange *ex)
{
    static char expect_none[] = "Expect:";
    CURL *c = ex->easy;
    if (!c) {
        c = curl_easy_init();
        if (!c) return -1;
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        client_easy_defaults(c, ex->cainfo);
        ex->easy = c;
    }
    /* Everything below may differ from the handle's previous request, so it is set every
     * time; nothing of an earlier request (its method, body or headers) may carry over. */
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, client_timeout_ms(ex));
    curl_easy_setopt(c, CURLOPT_WRITEDATA, ex);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, ex);
    curl_easy_setopt(c, CURLOPT_PRIVATE, ex);
    /* libcurl parses a CURLOPT_URL string afresh on every transfer, and prints it back
     * from its parts; a slot mostly sends to the same URL again, so it is parsed here only
     * when it changes, with the flags libcurl uses for CURLOPT_URL. */
    if (strcmp(ex->cu_url, ex->url) != 0) {
        ex->cu_url[0] = '\0';
        if (!ex->cu) ex->cu = curl_url();
        if (ex->cu && curl_url_set(ex->cu, CURLUPART_URL, ex->url,
                                   CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK)
            memcpy(ex->cu_url, ex->url, strlen(ex->url) + 1);
    }
    curl_easy_setopt(c, CURLOPT_CURLU, ex->cu_url[0] ? ex->cu : NULL);
    curl_easy_setopt(c, CURLOPT_URL, ex->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, ex->method);
    /* libcurl only reads the list, for as long as the transfer runs: it can live in ex. */
    ex->hnodes[0].data = expect_none;
    for (int i = 0; i < ex->nheaders; i++) {
        ex->hnodes[i].next = &ex->hnodes[i + 1];
        ex->hnodes[i + 1].data = ex->headers[i];
    }
    ex->hnodes[ex->nheaders].next = NULL;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, ex->hnodes);
    if (ex->body || strcmp(ex->method, "POST") == 0 || strcmp(ex->method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, ex->body ? ex->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)ex->body_len);
    } else {
        /* back to a request without a body, as a new handle starts */
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    client_response_clear(ex);
    return 0;
}

void client_response_clear(exchange *ex)
{
    ex->status = 0;
    ex->resp_len = ex->resp_bytes = 0;
    ex->resp_truncated = 0;
    free(ex->resp);
    ex->resp = NULL;
    jarena_release(&ex->arena, ex->json, ex->json_how);
    ex->json = NULL;
    ex->error[0] = '\0';
    ex->curl_code = CURLE_OK;
}

void client_finish(exchange *ex, CURLcode code)
{
    long status = 0;
    if (code == CURLE_OK) curl_easy_getinfo(ex->easy, CURLINFO_RESPONSE_CODE, &status);
    client_complete(ex, code, status);
}

void client_complete(exchange *ex, CURLcode code, long status)
{
    ex->done_us = clock_mono_us();
    ex->curl_code = (int)code;
    if (code == CURLE_OK) {
        ex->status = status;
    } else {
        ex->status = 0;
        snprintf(ex->error, sizeof ex->error, "%s", curl_easy_strerror(code));
    }
    if (ex->resp_len && !ex->resp_truncated) {
        size_t off;
        int how = jarena_parse(&ex->arena, ex->resp, ex->resp_len, JSON_MAX_DEPTH, &ex->json, &off);
        ex->json_how = how > 0 ? how : 0;
    }
}

int client_perform(exchange *ex)
{
    if (client_prepare(ex) != 0) {
        snprintf(ex->error, sizeof ex->error, "cannot set up the request");
        return -1;
    }
    if (!ex->intended_us) ex->intended_us = clock_mono_us();
    ex->sent_us = clock_mono_us();
    CURLcode code = curl_easy_perform(ex->easy);
    client_finish(ex, code);
    return code == CURLE_OK ? 0 : -1;
}

int client_unreachable(const exchange *ex)
{
    return ex->curl_code == CURLE_COULDNT_CONNECT || ex->curl_code == CURLE_COULDNT_RESOLVE_HOST ||
           ex->curl_code == CURLE_COULDNT_RESOLVE_PROXY;
}

/* Appends s to the growing command, single-quoted for a POSIX shell. */
static void sh_quote(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
    size_t need = *len + n * 4 + 3;
    if (need > *cap) {
        size_t nc = need * 2;
        char *np = realloc(*out, nc);
        if (!np) return;
        *out = np;
        *cap = nc;
    }
    char *o = *out + *len;
    *o++ = '\'';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = s[i];
        }
    }
    *o++ = '\'';
    *o = '\0';
    *len = (size_t)(o - *out);
}

static void append(char **out, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t nc = (*len + n + 1) * 2;
        char *np = realloc(*out, nc);
        if (!np) return;
        *out = np;
        *cap = nc;
    }
    memcpy(*out + *len, s, n + 1);
    *len += n;
}

char *client_curl_command(const exchange *ex, size_t max_body)
{
    size_t len = 0, cap = 256;
    char *out = malloc(cap);
    if (!out) return NULL;
    out[0] = '\0';
    append(&out, &len, &cap, "curl -sS -i -X ");
    append(&out, &len, &cap, ex->method);
    append(&out, &len, &cap, " ");
    sh_quote(&out, &len, &cap, ex->url, strlen(ex->url));
    for (int i = 0; i < ex->nheaders; i++) {
        append(&out, &len, &cap, " -H ");
        sh_quote(&out, &len, &cap, ex->headers[i], strlen(ex->headers[i]));
    }
    if (ex->body) {
        size_t n = ex->body_len > max_body ? max_body : ex->body_len;
        append(&out, &len, &cap, " --data-binary ");
        sh_quote(&out, &len, &cap, ex->body, n);
        if (n < ex->body_len) append(&out, &len, &cap, " # body cut short in this report");
    }
    return out;
}
