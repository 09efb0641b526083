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
    curl_slist_free_all(ex->hlist);
    free(ex->body);
    free(ex->resp);
    cJSON_Delete(ex->json);
    memset(ex, 0, sizeof *ex);
}

int client_exchange_init(exchange *ex, const char *base, const char *method, const char *path,
                         const char *body, size_t len)
{
    client_exchange_clear(ex);
    if (strlen(path) >= sizeof ex->path) return -1;
    snprintf(ex->method, sizeof ex->method, "%s", method);
    snprintf(ex->path, sizeof ex->path, "%s", path);
    if ((size_t)snprintf(ex->url, sizeof ex->url, "%s%s", base, path) >= sizeof ex->url) return -1;
    if (body) {
        ex->body = malloc(len + 1);
        if (!ex->body) return -1;
        memcpy(ex->body, body, len);
        ex->body[len] = '\0';
        ex->body_len = len;
    }
    return 0;
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

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    exchange *ex = ud;
    size_t add = size * nmemb;
    ex->resp_bytes += add;
    if (ex->resp_len >= CLIENT_BODY_MAX) {
        ex->resp_truncated = 1;
        return add;
    }
    size_t keep = add;
    if (ex->resp_len + keep > CLIENT_BODY_MAX) {
        keep = CLIENT_BODY_MAX - ex->resp_len;
        ex->resp_truncated = 1;
    }
    char *np = realloc(ex->resp, ex->resp_len + keep + 1);
    if (!np) return 0;
    memcpy(np + ex->resp_len, ptr, keep);
    ex->resp = np;
    ex->resp_len += keep;
    ex->resp[ex->resp_len] = '\0';
    return add;
}

/* Keeps only the headers the checks read, each in its fixed field. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    exchange *ex = ud;
    size_t n = size * nmemb;
    static const struct {
        const char *name;
        size_t off, cap;
    } want[] = {
        {"Content-Type", offsetof(exchange, content_type), sizeof ex->content_type},
        {"Request-ID", offsetof(exchange, request_id), sizeof ex->request_id},
        {"x-request-id", offsetof(exchange, x_request_id), sizeof ex->x_request_id},
        {"Location", offsetof(exchange, location), sizeof ex->location},
        {"Retry-After", offsetof(exchange, retry_after), sizeof ex->retry_after},
        {"Wechatpay-Timestamp", offsetof(exchange, wp_timestamp), sizeof ex->wp_timestamp},
        {"Wechatpay-Nonce", offsetof(exchange, wp_nonce), sizeof ex->wp_nonce},
        {"Wechatpay-Serial", offsetof(exchange, wp_serial), sizeof ex->wp_serial},
        {"Wechatpay-Signature", offsetof(exchange, wp_signature), sizeof ex->wp_signature},
    };
    /* A new status line (after a 100 Continue or a redirect) starts a new header block. */
    if (n > 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
            ((char *)ex + want[i].off)[0] = '\0';
        return n;
    }
    const char *colon = memchr(ptr, ':', n);
    if (!colon) return n;
    size_t klen = (size_t)(colon - ptr);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (strlen(want[i].name) != klen || strncasecmp(ptr, want[i].name, klen) != 0) continue;
        const char *v = colon + 1, *end = ptr + n;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        size_t vlen = (size_t)(end - v);
        if (vlen >= want[i].cap) vlen = want[i].cap - 1;
        char *dst = (char *)ex + want[i].off;
        memcpy(dst, v, vlen);
        dst[vlen] = '\0';
        break;
    }
    return n;
}

int client_prepare(exchange *ex)
{
    struct curl_slist *hl = NULL;
    CURL *c = curl_easy_init();
    if (!c) return -1;
    curl_easy_setopt(c, CURLOPT_URL, ex->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, ex->method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, ex);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, ex);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_PRIVATE, ex);
    hl = curl_slist_append(hl, "Expect:");
    for (int i = 0; hl && i < ex->nheaders; i++)
        hl = curl_slist_append(hl, ex->headers[i]);
    if (!hl) {
        curl_easy_cleanup(c);
        return -1;
    }
    /* libcurl reads the list during the transfer, so it lives as long as the handle. */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    ex->hlist = hl;
    if (ex->body || strcmp(ex->method, "POST") == 0 || strcmp(ex->method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, ex->body ? ex->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)ex->body_len);
    }
    ex->easy = c;
    ex->status = 0;
    ex->resp_len = ex->resp_bytes = 0;
    ex->resp_truncated = 0;
    free(ex->resp);
    ex->resp = NULL;
    cJSON_Delete(ex->json);
    ex->json = NULL;
    ex->error[0] = '\0';
    ex->curl_code = CURLE_OK;
    return 0;
}

void client_finish(exchange *ex, CURLcode code)
{
    ex->done_us = clock_mono_us();
    ex->curl_code = (int)code;
    if (code == CURLE_OK) {
        curl_easy_getinfo(ex->easy, CURLINFO_RESPONSE_CODE, &ex->status);
    } else {
        ex->status = 0;
        snprintf(ex->error, sizeof ex->error, "%s", curl_easy_strerror(code));
    }
    if (ex->easy) curl_easy_cleanup(ex->easy);
    ex->easy = NULL;
    curl_slist_free_all(ex->hlist);
    ex->hlist = NULL;
    if (ex->resp_len && !ex->resp_truncated) {
        size_t off;
        if (json_parse(ex->resp, ex->resp_len, JSON_MAX_DEPTH, &ex->json, &off) != JSON_OK)
            ex->json = NULL;
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
