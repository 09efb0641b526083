#include "e2e.h"

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base64.h"
#include "diag.h"
#include "ident.h"
#include "json.h"
#include "sign.h"

const char *e2e_src(const char *rel)
{
    static char ring[8][1024];
    static int next;
    char *b = ring[next++ % 8];
    const char *root = getenv("WXAI_SOURCE_DIR");
    snprintf(b, sizeof ring[0], "%s/%s", root ? root : WXAI_SOURCE_DIR, rel);
    return b;
}

int mock_start(const char *scenario, const char *const *extra, mock_proc *m)
{
    int fds[2];
    const char *argv[32];
    int argc = 0;
    memset(m, 0, sizeof *m);
    argv[argc++] = WXAI_MOCK_BIN;
    argv[argc++] = "--scenario";
    argv[argc++] = scenario;
    argv[argc++] = "--listen";
    argv[argc++] = "127.0.0.1:0";
    for (int i = 0; extra && extra[i] && argc < 30; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    m->pid = pid;
    /* The first line is the listening event; read it byte by byte so nothing
     * after it is swallowed by stdio buffering. */
    char line[512];
    size_t n = 0;
    while (n + 1 < sizeof line) {
        ssize_t r = read(fds[0], line + n, 1);
        if (r <= 0 || line[n] == '\n') break;
        n++;
    }
    line[n] = '\0';
    close(fds[0]);
    cJSON *ev = cJSON_Parse(line);
    const char *url = json_string(ev, "url");
    cJSON *port = cJSON_GetObjectItem(ev, "port");
    if (!url || !cJSON_IsNumber(port)) {
        cJSON_Delete(ev);
        fprintf(stderr, "mock_start: no listening event, got '%s'\n", line);
        mock_stop(m);
        return -1;
    }
    snprintf(m->url, sizeof m->url, "%s", url);
    m->port = port->valueint;
    cJSON_Delete(ev);
    return 0;
}

int mock_stop(mock_proc *m)
{
    int status;
    if (m->pid <= 0) return -1;
    kill(m->pid, SIGTERM);
    if (waitpid(m->pid, &status, 0) != m->pid) return -1;
    m->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int mock_alive(const mock_proc *m)
{
    return m->pid > 0 && kill(m->pid, 0) == 0 && waitpid(m->pid, NULL, WNOHANG) == 0;
}

typedef struct buf {
    char *p;
    size_t n;
} buf;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    buf *b = ud;
    size_t add = size * nmemb;
    char *np = realloc(b->p, b->n + add + 1);
    if (!np) return 0;
    memcpy(np + b->n, ptr, add);
    b->p = np;
    b->n += add;
    b->p[b->n] = '\0';
    return add;
}

int e2e_http(const mock_proc *m, const char *method, const char *path, const char *const *headers,
             const char *body, size_t len, e2e_resp *out)
{
    char url[1024];
    buf b = {0}, h = {0};
    struct curl_slist *hl = NULL;
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    if (!c) return -1;
    snprintf(url, sizeof url, "%s%s", m->url, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    hl = curl_slist_append(hl, "Expect:");
    for (int i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    out->body = b.p ? b.p : calloc(1, 1);
    out->len = b.n;
    out->headers = h.p ? h.p : calloc(1, 1);
    out->headers_len = h.n;
    if (out->len) out->json = cJSON_ParseWithLength(out->body, out->len);
    return rc == CURLE_OK ? 0 : -1;
}

const char *e2e_header(const e2e_resp *r, const char *name, char *dst, size_t cap)
{
    size_t nlen = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t llen = eol ? (size_t)(eol - line) : strlen(line);
        if (llen > nlen && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0) {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            size_t vlen = llen - (size_t)(v - line);
            if (vlen >= cap) vlen = cap - 1;
            memcpy(dst, v, vlen);
            dst[vlen] = '\0';
            return dst;
        }
        line = eol ? eol + 2 : NULL;
    }
    return NULL;
}

void e2e_resp_free(e2e_resp *r)
{
    if (!r) return;
    free(r->body);
    free(r->headers);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

int e2e_token(const mock_proc *m, const char *mchid, const char *secret, const char *scope,
              char *tok, size_t cap)
{
    char cred[256], b64[400], authz[450], body[256];
    e2e_resp r;
    snprintf(cred, sizeof cred, "%s:%s", mchid, secret);
    base64_encode(cred, strlen(cred), b64, sizeof b64);
    snprintf(authz, sizeof authz, "Authorization: Basic %s", b64);
    const char *hdrs[] = {authz, "Content-Type: application/x-www-form-urlencoded", NULL};
    snprintf(body, sizeof body, "grant_type=client_credentials%s%s", scope ? "&scope=" : "",
             scope ? scope : "");
    if (e2e_http(m, "POST", "/v3/oauth2/token", hdrs, body, strlen(body), &r) != 0) return -1;
    int rc = (int)r.status;
    const char *t = json_string(r.json, "access_token");
    if (r.status == 200 && t) {
        snprintf(tok, cap, "%s", t);
        rc = 0;
    }
    e2e_resp_free(&r);
    return rc;
}

int e2e_signed(const mock_proc *m, const char *token, const char *serial, const char *key,
               const char *method, const char *path, const char *body, long skew_s,
               const char *nonce, e2e_resp *out)
{
    return e2e_signed_ct(m, token, serial, key, method, path, body, skew_s, nonce,
                         "application/json; charset=utf-8", out);
}

/* ts: the timestamp header's text, or NULL for now + skew_s */
static int signed_req(const mock_proc *m, const char *token, const char *serial, const char *key,
                      const char *method, const char *path, const char *body, long skew_s,
                      const char *ts, const char *nonce, const char *content_type,
                      const char *const *extra, e2e_resp *out)
{
    char h_ct[128];
    char now[32], nbuf[IDENT_NONCE_LEN], sig[SIGN_B64_LEN];
    char h_auth[400], h_ts[96], h_nonce[96], h_serial[128], h_sig[96];
    size_t len = body ? strlen(body) : 0;
    if (!ts) {
        snprintf(now, sizeof now, "%ld", (long)time(NULL) + skew_s);
        ts = now;
    }
    if (!nonce) {
        ident_nonce(nbuf, sizeof nbuf);
        nonce = nbuf;
    }
    sign_request(key, strlen(key), method, path, ts, nonce, body, len, sig, sizeof sig);
    snprintf(h_auth, sizeof h_auth, "Authorization: Bearer %s", token);
    snprintf(h_ts, sizeof h_ts, "Wechatpay-Timestamp: %s", ts);
    snprintf(h_nonce, sizeof h_nonce, "Wechatpay-Nonce: %s", nonce);
    snprintf(h_serial, sizeof h_serial, "Wechatpay-Serial: %s", serial);
    snprintf(h_sig, sizeof h_sig, "Wechatpay-Signature: %s", sig);
    snprintf(h_ct, sizeof h_ct, "Content-Type: %s", content_type);
    const char *hdrs[16] = {h_auth, h_ts, h_nonce, h_serial, h_sig, h_ct, NULL};
    for (size_t i = 6; extra && *extra && i < sizeof hdrs / sizeof hdrs[0] - 1; i++)
        hdrs[i] = *extra++;
    return e2e_http(m, method, path, hdrs, body, len, out);
}

int e2e_signed_ct(const mock_proc *m, const char *token, const char *serial, const char *key,
                  const char *method, const char *path, const char *body, long skew_s,
                  const char *nonce, const char *content_type, e2e_resp *out)
{
    return signed_req(m, token, serial, key, method, path, body, skew_s, NULL, nonce, content_type,
                      NULL, out);
}

int e2e_signed_hdrs(const mock_proc *m, const char *token, const char *serial, const char *key,
                    const char *method, const char *path, const char *body, long skew_s,
                    const char *const *extra, e2e_resp *out)
{
    return signed_req(m, token, serial, key, method, path, body, skew_s, NULL, NULL,
                      "application/json; charset=utf-8", extra, out);
}

int e2e_signed_at(const mock_proc *m, const char *token, const char *serial, const char *key,
                  const char *method, const char *path, const char *body, const char *ts,
                  e2e_resp *out)
{
    return signed_req(m, token, serial, key, method, path, body, 0, ts, NULL,
                      "application/json; charset=utf-8", NULL, out);
}

int e2e_response_signed(const e2e_resp *r, const char *key)
{
    char ts[64], nonce[64], sig[128], expected[SIGN_B64_LEN];
    if (!e2e_header(r, "Wechatpay-Timestamp", ts, sizeof ts) ||
        !e2e_header(r, "Wechatpay-Nonce", nonce, sizeof nonce) ||
        !e2e_header(r, "Wechatpay-Signature", sig, sizeof sig))
        return 0;
    if (sign_response(key, strlen(key), ts, nonce, r->body, r->len, expected, sizeof expected))
        return 0;
    return sign_equal(expected, sig);
}

void mock_start_double(const char *bin, const char *mode, mock_proc *m)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(bin, bin, "--mode", mode, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[256];
    size_t n = 0;
    while (n + 1 < sizeof line && read(fds[0], line + n, 1) == 1 && line[n] != '\n')
        n++;
    line[n] = '\0';
    close(fds[0]);
    cJSON *ev = cJSON_Parse(line);
    ck_assert_ptr_nonnull(json_string(ev, "url"));
    memset(m, 0, sizeof *m);
    m->pid = pid;
    snprintf(m->url, sizeof m->url, "%s", json_string(ev, "url"));
    cJSON_Delete(ev);
}

void e2e_openapi_load(openapi **api)
{
    diag d;
    ck_assert_int_eq(diag_init(&d, "openapi.yaml"), 0);
    ck_assert_int_eq(openapi_load(e2e_src("fixtures/openapi.yaml"), &d, api), 0);
    diag_free(&d);
}

void e2e_conforms(const openapi *api, const char *method, const char *path, const e2e_resp *r)
{
    jsonschema_error errs[4];
    size_t n = 0;
    char ct[96];
    int rc = openapi_validate_response(api, method, path, (int)r->status,
                                       e2e_header(r, "Content-Type", ct, sizeof ct), r->body,
                                       r->len, errs, 4, &n);
    ck_assert_msg(rc == 0, "%s %s %ld does not conform: %s (%s)", method, path, r->status,
                  n ? errs[0].message : "?", n ? errs[0].instance_path : "");
}
