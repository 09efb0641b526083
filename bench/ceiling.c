/* bench-ceiling: the ceiling of wxai-mock's HTTP stack.
 *
 *   bench-ceiling --response FILE [--listen HOST:PORT] [--threads N]
 *
 * CivetWeb configured exactly as wxai-mock configures it (same options, one
 * request handler on "/"), answering every request with the bytes of FILE (a
 * whole HTTP/1.1 response captured from the mock, so status line, headers and
 * body are the same) after reading the request body, and doing nothing else:
 * no authentication, no JSON, no signing, no journal. Whatever wxai-mock does
 * beyond this is the cost of its logic. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>

#define RESPONSE_MAX (256u << 10)
#define BODY_MAX (1u << 20)

static char response[RESPONSE_MAX];
static size_t response_len;

/* wxai-harness asks for a token before it sends anything. */
#define TOKEN_BODY                                                                                 \
    "{\"access_token\":\"bench\",\"token_type\":\"Bearer\",\"expires_in\":7200,"                   \
    "\"scope\":\"ai_payment_intelligence\"}"
static const char token_response[] = "HTTP/1.1 200 OK\r\n"
                                     "Content-Type: application/json; charset=utf-8\r\n"
                                     "Cache-Control: no-store\r\n"
                                     "Request-ID: 00000000-0000-4000-8000-000000000000\r\n"
                                     "Content-Length: %d\r\n\r\n%s";

static int answer(struct mg_connection *conn, void *data)
{
    (void)data;
    char buf[8192];
    const struct mg_request_info *ri = mg_get_request_info(conn);
    long long left = ri->content_length > 0 ? ri->content_length : 0;
    if (left > BODY_MAX) return 413;
    while (left > 0) {
        int n = mg_read(conn, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf);
        if (n <= 0) return 400;
        left -= n;
    }
    if (strcmp(ri->local_uri, "/v3/oauth2/token") == 0) {
        char tok[512];
        int n = snprintf(tok, sizeof tok, token_response, (int)strlen(TOKEN_BODY), TOKEN_BODY);
        mg_write(conn, tok, (size_t)n);
        return 200;
    }
    mg_write(conn, response, response_len);
    return 200;
}

/* As in wxai-mock (server.c): with an authorization handler, CivetWeb stops looking for a
 * .htpasswd file before every request. The ceiling gets every saving the mock gets from
 * the HTTP stack, so (b)/(a) measures the mock's own work only. */
static int authorize_all(struct mg_connection *conn, void *cbdata)
{
    (void)conn;
    (void)cbdata;
    return 1;
}

int main(int argc, char **argv)
{
    const char *listen = "127.0.0.1:0", *threads = "8", *path = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            listen = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            threads = argv[i + 1];
        else if (strcmp(argv[i], "--response") == 0)
            path = argv[i + 1];
    }
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        fprintf(stderr,
                "usage: bench-ceiling --response FILE [--listen HOST:PORT] [--threads N]\n");
        return 2;
    }
    response_len = fread(response, 1, sizeof response, f);
    fclose(f);
    if (response_len == 0 || response_len == sizeof response) {
        fprintf(stderr, "bench-ceiling: %s is empty or larger than %u bytes\n", path,
                RESPONSE_MAX - 1);
        return 2;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The same options as server_start() in server/server.c. */
    const char *options[] = {
        "listening_ports",
        listen,
        "num_threads",
        threads,
        "enable_keep_alive",
        "yes",
        "keep_alive_timeout_ms",
        "30000",
        "tcp_nodelay",
        "1",
        "request_timeout_ms",
        "30000",
        NULL,
    };
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    struct mg_context *ctx = mg_start(&cb, NULL, options);
    if (!ctx) {
        fprintf(stderr, "bench-ceiling: cannot listen on %s\n", listen);
        return 1;
    }
    mg_set_request_handler(ctx, "/", answer, NULL);
    mg_set_auth_handler(ctx, "/", authorize_all, NULL);
    struct mg_server_port ports[2];
    if (mg_get_server_ports(ctx, 2, ports) < 1) return 1;
    printf("{\"event\":\"listening\",\"url\":\"http://127.0.0.1:%d\",\"port\":%d}\n", ports[0].port,
           ports[0].port);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    mg_stop(ctx);
    return 0;
}
