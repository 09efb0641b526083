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
 *   picky      checks every request it gets as a server would (signature over the
 *              body received, the headers of its method and nothing else) and
 *              answers 400 naming what was wrong; an order whose text is "drop"
 *              gets a reply that is not HTTP (a failed transfer), one whose text
 *              is "fail" an unsigned 500; GET /v1/models answers a model list.
 *              The harness keeps one easy handle per slot: this shows that
 *              nothing of one request, failed or not, leaks into the next.
 * The first line on stdout is the same listening event as wxai-mock's. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <civetweb.h>

#include "dsign.h"
#include "ident.h"
#include "sign.h"

enum { MODE_OK, MODE_NOSIGN, MODE_BADSCHEMA, MODE_STALL, MODE_PICKY };

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
    char rid[IDENT_UUID_LEN], hdrs[512] = "";
    size_t len = strlen(body);
    ident_uuid(rid, sizeof rid);
    if (sign && mode != MODE_NOSIGN) dsign_headers(body, len, hdrs, sizeof hdrs);
    mg_printf(c,
              "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
              "Content-Length: %zu\r\nRequest-ID: %s\r\nx-request-id: %s\r\n%s\r\n",
              status,
              status == 200   ? "OK"
              : status == 400 ? "Bad Request"
              : status == 500 ? "Internal Server Error"
                              : "Not Found",
              len, rid, rid, hdrs);
    mg_write(c, body, len);
}

static void drain(struct mg_connection *c)
{
    char buf[4096];
    while (mg_read(c, buf, sizeof buf) > 0)
        ;
}

/* What is wrong with a request the picky double got (NULL: nothing): a signed order with
 * the harness's token, or a GET of /v1/models with no body and none of an order's headers. */
static const char *request_defect(struct mg_connection *c, const struct mg_request_info *ri,
                                  const char *body, size_t len)
{
    const char *auth = mg_get_header(c, "Authorization");
    const char *ct = mg_get_header(c, "Content-Type");
    if (mg_get_header(c, "Expect")) return "an Expect header";
    if (strcmp(ri->local_uri, "/v1/models") == 0) {
        if (strcmp(ri->request_method, "GET") != 0) return "models not asked with GET";
        if (len || ri->content_length > 0) return "a body on a GET";
        if (ct) return "a Content-Type on a GET";
        if (mg_get_header(c, "Wechatpay-Signature")) return "an order's signature on a GET";
        if (!auth || strncmp(auth, "Bearer sk-", 10) != 0) return "no API key";
        return NULL;
    }
    const char *ts = mg_get_header(c, "Wechatpay-Timestamp");
    const char *nonce = mg_get_header(c, "Wechatpay-Nonce");
    const char *serial = mg_get_header(c, "Wechatpay-Serial");
    const char *given = mg_get_header(c, "Wechatpay-Signature");
    char sig[SIGN_B64_LEN];
    if (strcmp(ri->request_method, "POST") != 0) return "an order not sent with POST";
    if (!auth || strcmp(auth, "Bearer tok-broken") != 0) return "not the token handed out";
    if (!ct || strcmp(ct, "application/json; charset=utf-8") != 0) return "a wrong Content-Type";
    if (!len || ri->content_length != (long long)len || !strstr(body, "\"text\""))
        return "not the order's body";
    if (!ts || !nonce || !serial || !given || strcmp(serial, DSIGN_SERIAL_A) != 0)
        return "signature headers missing";
    if (sign_request(DSIGN_KEY_A, strlen(DSIGN_KEY_A), "POST", ri->local_uri, ts, nonce, body, len,
                     sig, sizeof sig) != 0 ||
        !sign_equal(sig, given))
        return "a signature that is not over this body";
    return NULL;
}

static int handle_picky(struct mg_connection *c, const struct mg_request_info *ri)
{
    char body[2048], msg[200], ready[1024];
    size_t len = 0;
    int got;
    while (len + 1 < sizeof body && (got = mg_read(c, body + len, sizeof body - 1 - len)) > 0)
        len += (size_t)got;
    body[len] = '\0';
    drain(c);
    if (strcmp(ri->local_uri, "/v3/oauth2/token") == 0) return -1;
    const char *defect = request_defect(c, ri, body, len);
    if (defect) {
        snprintf(msg, sizeof msg, "{\"code\":\"PARAM_ERROR\",\"message\":\"%s\"}", defect);
        send(c, 400, msg, 0);
        return 400;
    }
    if (strcmp(ri->local_uri, "/v1/models") == 0) {
        send(c, 200,
             "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o-mini\",\"object\":\"model\","
             "\"created\":1700000000,\"owned_by\":\"wxai-mock\"}]}",
             0);
        return 200;
    }
    if (strstr(body, "\"text\":\"drop\"")) {
        static const char junk[] = "not http\r\n\r\n";
        mg_write(c, junk, sizeof junk - 1);
        return 200;
    }
    if (strstr(body, "\"text\":\"fail\"")) {
        send(c, 500, "{\"code\":\"SYSTEM_ERROR\",\"message\":\"failing on purpose\"}", 0);
        return 500;
    }
    snprintf(ready, sizeof ready, ready_body, "\"int_7d2c9b1e4f3a\"");
    send(c, 200, ready, 1);
    return 200;
}

static int handle(struct mg_connection *c, void *ud)
{
    (void)ud;
    const struct mg_request_info *ri = mg_get_request_info(c);
    if (mode == MODE_PICKY) {
        int r = handle_picky(c, ri);
        if (r >= 0) return r;
    } else {
        drain(c);
    }
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
                   : strcmp(m, "picky") == 0     ? MODE_PICKY
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
