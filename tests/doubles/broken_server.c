/* wxai-broken: a tiny stand-in for a server that speaks the contract, with
 * one defect chosen on the command line, so the harness's checks can be
 * shown to catch exactly that defect and nothing else.
 *
 *   wxai-broken --mode ok|nosign|badschema|stall [--stall-at N]
 *
 * It answers the token endpoint and order routing with one fixed, valid
 * "ready" answer signed with the default scenario's key A. Modes:
 *   ok         everything right
 *   nosign     responses carry no Wechatpay-* signature headers
 *   badschema  intent_id is a number, not a string
 *   stall      the Nth order-routing request (default 50) waits 1 s once
 * The first line on stdout is the same listening event as wxai-mock's. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>

#include "ident.h"
#include "sign.h"

#define KEY_A "demo-key-A-0123456789abcdef0123456789"
#define SERIAL_A "KEY-2026-A"

enum { MODE_OK, MODE_NOSIGN, MODE_BADSCHEMA, MODE_STALL };

static int mode = MODE_OK;
static long stall_at = 50;
static atomic_long routed;

static const char ready_body[] =
    "{\"intent_id\":%s,\"status\":\"ready\",\"confidence\":0.97,\"threshold\":0.85,"
    "\"intent\":{\"type\":\"pay\",\"amount\":{\"total\":3200,\"currency\":\"CNY\"}},"
    "\"confirmation_token\":\"ctk_4f9a2d7e1c6b\",\"expires_at\":\"2026-12-04T20:05:00+08:00\","
    "\"fallback\":null,\"review\":null,\"model\":{\"name\":\"qwen-pay\",\"version\":\"2026.09\"},"
    "\"usage\":{\"input_tokens\":4,\"output_tokens\":20,\"total_tokens\":24,\"modality\":\"text\"},"
    "\"cost\":{\"amount_micros\":72,\"currency\":\"CNY\"}}";

static void send(struct mg_connection *c, int status, const char *body, int sign)
{
    char rid[IDENT_UUID_LEN], nonce[IDENT_NONCE_LEN], ts[24], sig[SIGN_B64_LEN], hdrs[512] = "";
    size_t len = strlen(body);
    ident_uuid(rid, sizeof rid);
    if (sign && mode != MODE_NOSIGN) {
        snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
        ident_nonce(nonce, sizeof nonce);
        sign_response(KEY_A, strlen(KEY_A), ts, nonce, body, len, sig, sizeof sig);
        snprintf(hdrs, sizeof hdrs,
                 "Wechatpay-Timestamp: %s\r\nWechatpay-Nonce: %s\r\nWechatpay-Serial: %s\r\n"
                 "Wechatpay-Signature: %s\r\n",
                 ts, nonce, SERIAL_A, sig);
    }
    mg_printf(c,
              "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
              "Content-Length: %zu\r\nRequest-ID: %s\r\n%s\r\n",
              status, status == 200 ? "OK" : "Not Found", len, rid, hdrs);
    mg_write(c, body, len);
}

static void drain(struct mg_connection *c)
{
    char buf[4096];
    while (mg_read(c, buf, sizeof buf) > 0)
        ;
}

static int handle(struct mg_connection *c, void *ud)
{
    (void)ud;
    const struct mg_request_info *ri = mg_get_request_info(c);
    drain(c);
    if (strcmp(ri->local_uri, "/v3/oauth2/token") == 0) {
        send(c, 200,
             "{\"access_token\":\"tok-broken\",\"token_type\":\"Bearer\",\"expires_in\":7200,"
             "\"scope\":\"ai_payment_intelligence\"}",
             0);
        return 200;
    }
    if (strcmp(ri->local_uri, "/v3/ai/order-routing") == 0) {
        char body[1024];
        long n = atomic_fetch_add(&routed, 1) + 1;
        if (mode == MODE_STALL && n == stall_at) {
            struct timespec ts = {1, 0};
            nanosleep(&ts, NULL);
        }
        snprintf(body, sizeof body, ready_body,
                 mode == MODE_BADSCHEMA ? "12345" : "\"int_7d2c9b1e4f3a\"");
        send(c, 200, body, 1);
        return 200;
    }
    send(c, 404, "{\"code\":\"RESOURCE_NOT_EXISTS\",\"message\":\"no such route\"}", 0);
    return 404;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            mode = strcmp(m, "nosign") == 0      ? MODE_NOSIGN
                   : strcmp(m, "badschema") == 0 ? MODE_BADSCHEMA
                   : strcmp(m, "stall") == 0     ? MODE_STALL
                                                 : MODE_OK;
        } else if (strcmp(argv[i], "--stall-at") == 0 && i + 1 < argc) {
            stall_at = atol(argv[++i]);
        }
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    const char *opts[] = {
        "listening_ports", "127.0.0.1:0", "num_threads", "4", "enable_keep_alive", "yes",
        "tcp_nodelay",     "1",           NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    struct mg_context *ctx = mg_start(&cb, NULL, opts);
    if (!ctx) return 1;
    mg_set_request_handler(ctx, "/", handle, NULL);
    struct mg_server_port ports[2];
    if (mg_get_server_ports(ctx, 2, ports) < 1) return 1;
    printf("{\"event\":\"listening\",\"url\":\"http://127.0.0.1:%d\",\"port\":%d}\n", ports[0].port,
           ports[0].port);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    mg_stop(ctx);
    return 0;
}
