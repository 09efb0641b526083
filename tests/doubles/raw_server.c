/* wxai-raw: a stand-in that writes its HTTP by hand, to show that the harness's own
 * framing (harness/wire.c) copes with what servers are allowed to do and CivetWeb
 * does not: the same valid, signed "ready" answer as wxai-broken's ok mode, framed as
 * the mode says.
 *
 *   wxai-raw --mode close|silent|drop|chunked|mute
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
 *
 * GET /stats answers {"connections":N,"answered":M,"dropped":D}: the connections accepted,
 * the requests answered and the requests dropped before it. The first line on stdout is
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
#include <time.h>
#include <unistd.h>

#include "ident.h"
#include "sign.h"

#define KEY_A "demo-key-A-0123456789abcdef0123456789"
#define SERIAL_A "KEY-2026-A"

enum { MODE_CLOSE, MODE_SILENT, MODE_DROP, MODE_CHUNKED, MODE_MUTE };

static int mode = MODE_CLOSE;
static atomic_long connections, answered, dropped;

static const char ready_body[] =
    "{\"intent_id\":\"int_7d2c9b1e4f3a\",\"status\":\"ready\",\"confidence\":0.97,"
    "\"threshold\":0.85,\"intent\":{\"type\":\"pay\",\"amount\":{\"total\":3200,\"currency\":"
    "\"CNY\"}},\"confirmation_token\":\"ctk_4f9a2d7e1c6b\",\"expires_at\":"
    "\"2026-12-04T20:05:00+08:00\",\"fallback\":null,\"review\":null,\"model\":{\"name\":"
    "\"qwen-pay\",\"version\":\"2026.09\"},\"usage\":{\"input_tokens\":4,\"output_tokens\":20,"
    "\"total_tokens\":24,\"modality\":\"text\"},\"cost\":{\"amount_micros\":72,\"currency\":"
    "\"CNY\"}}";

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One answer in the mode's framing. Returns 0, or -1 when the connection is to close. */
static int answer(int fd, int status, const char *body, int sign)
{
    char rid[IDENT_UUID_LEN], nonce[IDENT_NONCE_LEN], ts[24], sig[SIGN_B64_LEN];
    char hdrs[512] = "", head[1400], out[4096];
    size_t len = strlen(body);
    ident_uuid(rid, sizeof rid);
    if (sign) {
        snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
        ident_nonce(nonce, sizeof nonce);
        sign_response(KEY_A, strlen(KEY_A), ts, nonce, body, len, sig, sizeof sig);
        snprintf(hdrs, sizeof hdrs,
                 "Wechatpay-Timestamp: %s\r\nWechatpay-Nonce: %s\r\nWechatpay-Serial: %s\r\n"
                 "Wechatpay-Signature: %s\r\n",
                 ts, nonce, SERIAL_A, sig);
    }
    int n = snprintf(head, sizeof head,
                     "%sHTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
                     "Request-ID: %s\r\nx-request-id: %s\r\n%s%s",
                     mode == MODE_CHUNKED ? "HTTP/1.1 100 Continue\r\n\r\n" : "", status,
                     status == 200 ? "OK" : "Not Found", rid, rid, hdrs,
                     mode == MODE_CLOSE ? "Connection: close\r\n" : "");
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
    if (o >= sizeof out || write_all(fd, out, o) != 0) return -1;
    return mode == MODE_CHUNKED || mode == MODE_DROP ? 0 : -1;
}

/* Serves one connection: reads each request head and its Content-Length body, answers. */
static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[65536 + 1]; /* NUL after what was read, for strstr */
    size_t have = 0, cap = sizeof buf - 1;
    for (int n = 0;; n++) {
        char *end = NULL;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            if (have == cap) goto out;
            ssize_t r = recv(fd, buf + have, cap - have, 0);
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
            while (recv(fd, buf, cap, 0) > 0)
                ;
            break;
        }
        size_t head = (size_t)(end + 4 - buf), clen = 0;
        for (char *l = strstr(buf, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n"))
            if (strncasecmp(l + 2, "Content-Length:", 15) == 0) clen = strtoul(l + 17, NULL, 10);
        if (clen > cap - head) goto out;
        while (have < head + clen) {
            ssize_t r = recv(fd, buf + have, cap - have, 0);
            if (r <= 0) goto out;
            have += (size_t)r;
            buf[have] = '\0';
        }
        char stats[128];
        int rc;
        if (strncmp(buf, "POST /v3/oauth2/token ", 22) == 0) {
            rc = answer(fd, 200,
                        "{\"access_token\":\"tok-raw\",\"token_type\":\"Bearer\",\"expires_in\":"
                        "7200,\"scope\":\"ai_payment_intelligence\"}",
                        0);
        } else if (strncmp(buf, "POST /v3/ai/order-routing ", 26) == 0) {
            rc = answer(fd, 200, ready_body, 1);
        } else if (strncmp(buf, "GET /stats ", 11) == 0) {
            snprintf(stats, sizeof stats, "{\"connections\":%ld,\"answered\":%ld,\"dropped\":%ld}",
                     atomic_load(&connections) - 1, atomic_load(&answered), atomic_load(&dropped));
            rc = answer(fd, 200, stats, 0);
        } else {
            rc = answer(fd, 404, "{\"code\":\"RESOURCE_NOT_EXISTS\",\"message\":\"no route\"}", 0);
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
    shutdown(fd, SHUT_WR);
    while (recv(fd, buf, sizeof buf - 1, 0) > 0)
        ;
    close(fd);
    return NULL;
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
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            mode = strcmp(m, "silent") == 0    ? MODE_SILENT
                   : strcmp(m, "drop") == 0    ? MODE_DROP
                   : strcmp(m, "chunked") == 0 ? MODE_CHUNKED
                   : strcmp(m, "mute") == 0    ? MODE_MUTE
                                               : MODE_CLOSE;
        }
    }
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
    printf("{\"event\":\"listening\",\"url\":\"http://127.0.0.1:%d\",\"port\":%d}\n", port, port);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    return 0;
}
