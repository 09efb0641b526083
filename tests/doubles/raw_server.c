/* wxai-raw: a stand-in that writes its HTTP by hand, to show that the harness's own
 * framing (harness/wire.c) copes with what servers are allowed to do and CivetWeb
 * does not: the same valid, signed "ready" answer as wxai-broken's ok mode, framed as
 * the mode says.
 *
 *   wxai-raw --mode close|silent|drop|chunked|mute|proxy[+tls]
 *
 *   close    "Connection: close" on every answer, then the connection is closed
 *   silent   the connection is closed after every answer without a word, so a client
 *            that keeps it finds it dead when it sends the next request (its request
 *            is read and dropped, and it sees the end of the connection)
 *   drop     keeps the connection after an answer, but when the next request comes on
 *            it, reads it and closes the connection unanswered, as a server whose
 *            keep-alive timeout strikes just then does; a client must send it again
 *   chunked  a "100 Continue" first, then the body in three chunks (one with an
 *            extension) and a trailer
 *   mute     answers the token request, reads each order and never answers it, keeping
 *            the connection open until the client closes it
 *   proxy    an HTTP proxy that is its own origin: a request in absolute form
 *            ("POST http://host:port/v3/ai/order-routing", as clients write them to a
 *            proxy) is answered as if forwarded, whatever the host, on a kept connection;
 *            any other request but GET /stats gets a 400. With +tls it also takes
 *            CONNECT, answers 200 and serves https inside the tunnel (the proxy itself
 *            speaks plain http)
 *   +tls     serves https instead, with a self-signed certificate for 127.0.0.1 made at
 *            start and written (PEM) to the file $WXAI_RAW_CA names, for the client's
 *            CA bundle
 *
 * GET /stats answers {"connections":N,"answered":M,"dropped":D,"proxied":P}: the
 * connections accepted, the requests answered and the requests dropped before it, and
 * the requests that came in absolute form or asked for a tunnel. The first line on stdout is
 * wxai-mock's listening event. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "dsign.h"
#include "ident.h"

enum { MODE_CLOSE, MODE_SILENT, MODE_DROP, MODE_CHUNKED, MODE_MUTE, MODE_PROXY };

static int mode = MODE_CLOSE;
static atomic_long connections, answered, dropped, proxied;
static SSL_CTX *tls; /* +tls: every connection is TLS */

typedef struct conn {
    int fd;
    SSL *ssl; /* NULL: plain */
} conn;

static ssize_t conn_recv(conn *c, char *buf, size_t n)
{
    if (!c->ssl) return recv(c->fd, buf, n, 0);
    int r = SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    return r > 0 ? r : -1;
}

/* TLS on c's socket, from the client's hello on. Returns 0, or -1 with the socket closed
 * (a client that refused the certificate). */
static int tls_accept(conn *c)
{
    c->ssl = SSL_new(tls);
    if (c->ssl && SSL_set_fd(c->ssl, c->fd) == 1 && SSL_accept(c->ssl) == 1) return 0;
    SSL_free(c->ssl);
    c->ssl = NULL;
    close(c->fd);
    return -1;
}

static const char ready_body[] =
    "{\"intent_id\":\"int_7d2c9b1e4f3a\",\"status\":\"ready\",\"confidence\":0.97,"
    "\"threshold\":0.85,\"intent\":{\"type\":\"pay\",\"amount\":{\"total\":3200,\"currency\":"
    "\"CNY\"}},\"confirmation_token\":\"ctk_4f9a2d7e1c6b\",\"expires_at\":"
    "\"2026-12-04T20:05:00+08:00\",\"fallback\":null,\"review\":null,\"model\":{\"name\":"
    "\"qwen-pay\",\"version\":\"2026.09\"},\"usage\":{\"input_tokens\":4,\"output_tokens\":20,"
    "\"total_tokens\":24,\"modality\":\"text\"},\"cost\":{\"amount_micros\":72,\"currency\":"
    "\"CNY\"}}";

static int write_all(conn *c, const char *p, size_t n)
{
    while (n) {
        ssize_t w = c->ssl ? SSL_write(c->ssl, p, (int)n) : send(c->fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One answer in the mode's framing. Returns 0, or -1 when the connection is to close. */
static int answer(conn *c, int status, const char *body, int sign)
{
    char rid[IDENT_UUID_LEN];
    char hdrs[512] = "", head[1400], out[4096];
    size_t len = strlen(body);
    ident_uuid(rid, sizeof rid);
    if (sign) dsign_headers(body, len, hdrs, sizeof hdrs);
    int n = snprintf(head, sizeof head,
                     "%sHTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
                     "Request-ID: %s\r\nx-request-id: %s\r\n%s%s",
                     mode == MODE_CHUNKED ? "HTTP/1.1 100 Continue\r\n\r\n" : "", status,
                     status == 200   ? "OK"
                     : status == 400 ? "Bad Request"
                                     : "Not Found",
                     rid, rid, hdrs, mode == MODE_CLOSE ? "Connection: close\r\n" : "");
    size_t o = 0;
    if (mode == MODE_CHUNKED) {
        size_t a = len / 3, b = len / 3;
        o = (size_t)snprintf(out, sizeof out,
                             "%sTransfer-Encoding: chunked\r\n\r\n%zx\r\n%.*s\r\n%zx;ext=1\r\n"
                             "%.*s\r\n%zx\r\n%s\r\n0\r\nX-Trailer: done\r\n\r\n",
                             head, a, (int)a, body, b, (int)b, body + a, len - a - b, body + a + b);
    } else {
        o = (size_t)snprintf(out, sizeof out, "%sContent-Length: %zu\r\n\r\n%s", head, len, body);
    }
    (void)n;
    if (o >= sizeof out || write_all(c, out, o) != 0) return -1;
    return mode == MODE_CHUNKED || mode == MODE_DROP || mode == MODE_PROXY ? 0 : -1;
}

/* Serves one connection: reads each request head and its Content-Length body, answers. */
static void *serve(void *arg)
{
    conn cn = {.fd = (int)(intptr_t)arg}, *c = &cn;
    char buf[65536 + 1]; /* NUL after what was read, for strstr */
    size_t have = 0, cap = sizeof buf - 1;
    int tunnel = 0; /* proxy+tls: the connection became a CONNECT tunnel */
    /* a proxy speaks plain HTTP; its https is inside the tunnels clients ask for */
    if (tls && mode != MODE_PROXY && tls_accept(c) != 0) return NULL;
    for (int n = 0;; n++) {
        char *end = NULL;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            if (have == cap) goto out;
            ssize_t r = conn_recv(c, buf + have, cap - have);
            if (r <= 0) goto out;
            have += (size_t)r;
            buf[have] = '\0';
        }
        if (mode == MODE_DROP && n > 0) {
            atomic_fetch_add(&dropped, 1);
            break;
        }
        if (mode == MODE_MUTE && strncmp(buf, "POST /v3/ai/order-routing ", 26) == 0) {
            atomic_fetch_add(&dropped, 1);
            /* no answer and no end: the connection lasts until the client gives up on it */
            while (conn_recv(c, buf, cap) > 0)
                ;
            break;
        }
        size_t head = (size_t)(end + 4 - buf), clen = 0;
        for (char *l = strstr(buf, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n"))
            if (strncasecmp(l + 2, "Content-Length:", 15) == 0) clen = strtoul(l + 17, NULL, 10);
        if (clen > cap - head) goto out;
        while (have < head + clen) {
            ssize_t r = conn_recv(c, buf + have, cap - have);
            if (r <= 0) goto out;
            have += (size_t)r;
            buf[have] = '\0';
        }
        char stats[160];
        int rc;
        if (mode == MODE_PROXY && tls && !tunnel && strncmp(buf, "CONNECT ", 8) == 0) {
            /* a client asking for https through the proxy: the tunnel leads to this double
             * itself, which then serves TLS on the same socket */
            static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
            atomic_fetch_add(&proxied, 1);
            if (write_all(c, ok, sizeof ok - 1) != 0 || have != head + clen) goto out;
            have = 0;
            if (tls_accept(c) != 0) return NULL;
            tunnel = 1;
            continue;
        }
        /* A proxy's request names the origin ("POST http://127.0.0.1:9/v3/..."): its path
         * is moved up to where an origin-form request would have it, so the routes below
         * read both the same way. */
        char *sp = memchr(buf, ' ', head);
        int absolute = sp && strncmp(sp + 1, "http://", 7) == 0;
        if (absolute) {
            char *path = memchr(sp + 8, '/', (size_t)(end - (sp + 8)));
            if (!path) goto out;
            memmove(sp + 1, path, (size_t)(buf + have - path) + 1);
            size_t cut = (size_t)(path - (sp + 1));
            have -= cut;
            head -= cut;
            atomic_fetch_add(&proxied, 1);
        }
        if (mode == MODE_PROXY && !absolute && !tunnel && strncmp(buf, "GET /stats ", 11) != 0) {
            rc =
                answer(c, 400, "{\"code\":\"PARAM_ERROR\",\"message\":\"not through a proxy\"}", 0);
        } else if (strncmp(buf, "POST /v3/oauth2/token ", 22) == 0) {
            rc = answer(c, 200,
                        "{\"access_token\":\"tok-raw\",\"token_type\":\"Bearer\",\"expires_in\":"
                        "7200,\"scope\":\"ai_payment_intelligence\"}",
                        0);
        } else if (strncmp(buf, "POST /v3/ai/order-routing ", 26) == 0) {
            rc = answer(c, 200, ready_body, 1);
        } else if (strncmp(buf, "GET /stats ", 11) == 0) {
            snprintf(stats, sizeof stats,
                     "{\"connections\":%ld,\"answered\":%ld,\"dropped\":%ld,\"proxied\":%ld}",
                     atomic_load(&connections) - 1, atomic_load(&answered), atomic_load(&dropped),
                     atomic_load(&proxied));
            rc = answer(c, 200, stats, 0);
        } else {
            rc = answer(c, 404, "{\"code\":\"RESOURCE_NOT_EXISTS\",\"message\":\"no route\"}", 0);
        }
        atomic_fetch_add(&answered, 1);
        if (rc != 0) break;
        memmove(buf, buf + head + clen, have - head - clen);
        have -= head + clen;
        buf[have] = '\0';
    }
out:
    /* The end is sent at once, but what the client sends after it is read before the
     * socket is closed: closing with unread bytes would make the kernel answer them
     * with a reset, which reaches the client at some point in its next exchange or
     * never, and a test of what a client does with a closed connection would depend
     * on when. */
    if (c->ssl) {
        SSL_shutdown(c->ssl);
    } else {
        shutdown(c->fd, SHUT_WR);
    }
    while (conn_recv(c, buf, sizeof buf - 1) > 0)
        ;
    SSL_free(c->ssl);
    close(c->fd);
    return NULL;
}

/* A self-signed certificate for 127.0.0.1 (a CA of its own, so a client can trust it
 * with its CA bundle), written as PEM to ca_path; the server context that presents it. */
static SSL_CTX *tls_setup(const char *ca_path)
{
    SSL_CTX *ctx = NULL;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    FILE *f = NULL;
    if (!key || !x) goto out;
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    static const struct {
        int nid;
        const char *value;
    } exts[] = {{NID_basic_constraints, "critical,CA:TRUE"},
                {NID_subject_alt_name, "IP:127.0.0.1"}};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid, exts[i].value);
        if (!e || !X509_add_ext(x, e, -1)) goto out;
        X509_EXTENSION_free(e);
    }
    if (!X509_sign(x, key, EVP_sha256()) || !(f = fopen(ca_path, "w")) || !PEM_write_X509(f, x) ||
        fclose(f) != 0)
        goto out;
    f = NULL;
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx && (SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)) {
        SSL_CTX_free(ctx);
        ctx = NULL;
    }
out:
    if (f) fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
    return ctx;
}

static void *accept_loop(void *arg)
{
    int ls = (int)(intptr_t)arg;
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) continue;
        atomic_fetch_add(&connections, 1);
        pthread_t t;
        if (pthread_create(&t, NULL, serve, (void *)(intptr_t)fd) != 0) {
            close(fd);
            continue;
        }
        pthread_detach(t);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    /* The double exits with connection threads still running, and those threads hold
     * OpenSSL state of their own (the nonce's RAND_bytes, TLS). With OpenSSL's exit
     * cleanup, LeakSanitizer reported that state lost about one run in three (a thread
     * ending while the cleanup ran, by the look of it); without the cleanup it stays
     * reachable, and six runs in a row were clean. */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            const char *plus = strstr(m, "+tls");
            if (plus) {
                const char *ca = getenv("WXAI_RAW_CA");
                if (!ca || !(tls = tls_setup(ca))) {
                    fprintf(stderr, "wxai-raw: +tls needs WXAI_RAW_CA, a file to write\n");
                    return 1;
                }
            }
            size_t ml = plus ? (size_t)(plus - m) : strlen(m);
#define MODE_IS(name) (ml == sizeof name - 1 && memcmp(m, name, ml) == 0)
            mode = MODE_IS("silent")    ? MODE_SILENT
                   : MODE_IS("drop")    ? MODE_DROP
                   : MODE_IS("chunked") ? MODE_CHUNKED
                   : MODE_IS("mute")    ? MODE_MUTE
                   : MODE_IS("proxy")   ? MODE_PROXY
                                        : MODE_CLOSE;
#undef MODE_IS
        }
    }
    signal(SIGPIPE, SIG_IGN); /* SSL_write to a client that left */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 64) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &al) != 0)
        return 1;
    pthread_t t;
    if (pthread_create(&t, NULL, accept_loop, (void *)(intptr_t)ls) != 0) return 1;
    int port = ntohs(a.sin_port);
    printf("{\"event\":\"listening\",\"url\":\"%s://127.0.0.1:%d\",\"port\":%d}\n",
           tls && mode != MODE_PROXY ? "https" : "http", port, port);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    return 0;
}
