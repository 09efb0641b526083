/* bench-kit: the small tools bench/run needs around wrk.
 *
 *   bench-kit freeport
 *       print a free loopback TCP port
 *   bench-kit launch --port P --log FILE [--timeout-ms MS] -- CMD ARGS...
 *       start CMD in its own process group (stdout and stderr to FILE), wait until
 *       127.0.0.1:P answers an HTTP request, print "PID STARTUP_MS" and leave it
 *       running; start-up is measured from before fork() to the first answer
 *   bench-kit presign --token T --serial S --key K --body FILE --count N --out FILE
 *       write N signed order-routing requests, each with a fresh nonce and the
 *       current timestamp, as raw HTTP/1.1 of one fixed length (printed), so
 *       bench/signed.lua can hand them to wrk without computing an HMAC
 *   bench-kit capture --port P --token T --serial S --key K --body FILE --dir DIR
 *              --mb-port Q
 *       send one signed request to the mock on P and write what it answered:
 *       DIR/response.raw (the exact bytes, for bench-ceiling),
 *       DIR/wiremock/mappings/order-routing.json (WireMock stub) and
 *       DIR/mountebank.json (mountebank imposter on port Q), all three serving
 *       the same status, headers and body. */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "sign.h"

#define REQ_PATH "/v3/ai/order-routing"
#define BODY_MAX (64u << 10)
#define RESP_MAX (256u << 10)

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *opt(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}

static int read_file(const char *path, char *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    *len = fread(buf, 1, cap - 1, f);
    int rc = ferror(f) || !feof(f) ? -1 : 0;
    fclose(f);
    buf[*len] = '\0';
    return rc;
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int rc = fwrite(data, 1, len, f) == len ? 0 : -1;
    if (fclose(f) != 0) rc = -1;
    return rc;
}

static int connect_port(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int cmd_freeport(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        perror("bench-kit freeport");
        return 1;
    }
    printf("%d\n", ntohs(a.sin_port));
    close(fd);
    return 0;
}

/* 1 when something on port answers an HTTP request with a status line. */
static int answers_http(int port)
{
    static const char probe[] = "GET /__bench_ready HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Connection: close\r\n\r\n";
    char got[8];
    size_t n = 0;
    int fd = connect_port(port);
    if (fd < 0) return 0;
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (write(fd, probe, sizeof probe - 1) == (ssize_t)(sizeof probe - 1)) {
        while (n < 5) {
            ssize_t r = read(fd, got + n, 5 - n);
            if (r <= 0) break;
            n += (size_t)r;
        }
    }
    close(fd);
    return n == 5 && memcmp(got, "HTTP/", 5) == 0;
}

static int cmd_launch(int argc, char **argv)
{
    const char *port_s = opt(argc, argv, "--port"), *log = opt(argc, argv, "--log");
    const char *tmo_s = opt(argc, argv, "--timeout-ms");
    int sep = -1;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            sep = i;
            break;
        }
    if (!port_s || !log || sep < 0 || sep + 1 >= argc) {
        fprintf(stderr,
                "usage: bench-kit launch --port P --log FILE [--timeout-ms MS] -- CMD...\n");
        return 2;
    }
    int port = atoi(port_s);
    int64_t timeout_us = (tmo_s ? atoll(tmo_s) : 120000) * 1000;
    int64_t t0 = mono_us();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        /* A process group of its own keeps the terminal's Ctrl-C away from the server, so
         * bench/run's cleanup stops it. Not a session of its own: with autogroups on
         * (Debian's default) a new session is a new scheduling group, and the kernel then
         * splits the CPUs half and half between the server's group and wrk's. That caps any
         * server that needs more CPU per request than wrk at one core while wrk spends the
         * rest polling in small batches: wxai-mock measured 0.63-0.74 of the ceiling that
         * way, against 0.84-0.93 in alternating runs with every process in one group
         * (bench/README.md, "Scheduling groups"). */
        setpgid(0, 0);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) dup2(nul, 0);
        execvp(argv[sep + 1], argv + sep + 1);
        perror("exec");
        _exit(127);
    }
    for (;;) {
        if (answers_http(port)) break;
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            fprintf(stderr, "bench-kit launch: %s exited before answering on port %d (see %s)\n",
                    argv[sep + 1], port, log);
            return 1;
        }
        if (mono_us() - t0 > timeout_us) {
            fprintf(stderr, "bench-kit launch: no answer on port %d after %lld ms\n", port,
                    (long long)(timeout_us / 1000));
            kill(pid, SIGKILL);
            return 1;
        }
        usleep(500);
    }
    printf("%d %.1f\n", (int)pid, (double)(mono_us() - t0) / 1000.0);
    return 0;
}

typedef struct signer {
    const char *token, *serial, *key;
    const char *body;
    size_t body_len;
} signer;

static int signer_init(int argc, char **argv, signer *s, char *body, size_t cap)
{
    const char *bodyf = opt(argc, argv, "--body");
    s->token = opt(argc, argv, "--token");
    s->serial = opt(argc, argv, "--serial");
    s->key = opt(argc, argv, "--key");
    if (!s->token || !s->serial || !s->key || !bodyf) return -1;
    if (read_file(bodyf, body, cap, &s->body_len) != 0) {
        fprintf(stderr, "bench-kit: cannot read %s\n", bodyf);
        return -1;
    }
    while (s->body_len && (body[s->body_len - 1] == '\n' || body[s->body_len - 1] == '\r'))
        body[--s->body_len] = '\0';
    s->body = body;
    return 0;
}

/* One signed request into out; nonce is 32 chars of [0-9A-Za-z]. Returns its length or -1. */
static int signed_request(const signer *s, const char *ts, const char *nonce, char *out, size_t cap)
{
    char sig[SIGN_B64_LEN];
    if (sign_request(s->key, strlen(s->key), "POST", REQ_PATH, ts, nonce, s->body, s->body_len, sig,
                     sizeof sig) != 0)
        return -1;
    int n = snprintf(out, cap,
                     "POST " REQ_PATH " HTTP/1.1\r\n"
                     "Host: 127.0.0.1\r\n"
                     "Content-Type: application/json; charset=utf-8\r\n"
                     "Authorization: Bearer %s\r\n"
                     "Wechatpay-Timestamp: %s\r\n"
                     "Wechatpay-Nonce: %s\r\n"
                     "Wechatpay-Serial: %s\r\n"
                     "Wechatpay-Signature: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "\r\n"
                     "%s",
                     s->token, ts, nonce, s->serial, sig, s->body_len, s->body);
    return n > 0 && (size_t)n < cap ? n : -1;
}

static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* A random 20-character prefix per file and a 12-digit base-62 counter: unique
 * within the file by construction and across files with overwhelming odds. */
static int nonce_prefix(char *out)
{
    unsigned char r[20];
    if (RAND_bytes(r, sizeof r) != 1) return -1;
    for (int i = 0; i < 20; i++)
        out[i] = alnum[r[i] % 62];
    return 0;
}

static void nonce_at(const char *prefix, uint64_t k, char *out)
{
    memcpy(out, prefix, 20);
    for (int i = 31; i >= 20; i--, k /= 62)
        out[i] = alnum[k % 62];
    out[32] = '\0';
}

static int cmd_presign(int argc, char **argv)
{
    static char body[BODY_MAX];
    signer s;
    const char *count_s = opt(argc, argv, "--count"), *outp = opt(argc, argv, "--out");
    if (signer_init(argc, argv, &s, body, sizeof body) != 0 || !count_s || !outp) {
        fprintf(stderr, "usage: bench-kit presign --token T --serial S --key K --body FILE "
                        "--count N --out FILE\n");
        return 2;
    }
    uint64_t count = strtoull(count_s, NULL, 10);
    char prefix[20], nonce[33], ts[24];
    size_t cap = s.body_len + 1024;
    char *req = malloc(cap);
    FILE *f = fopen(outp, "wb");
    int len = -1;
    if (!req || !f || nonce_prefix(prefix) != 0) {
        perror("bench-kit presign");
        return 1;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    for (uint64_t k = 0; k < count; k++) {
        nonce_at(prefix, k, nonce);
        int n = signed_request(&s, ts, nonce, req, cap);
        if (n < 0 || (len >= 0 && n != len)) {
            fprintf(stderr, "bench-kit presign: request %llu has length %d, not %d\n",
                    (unsigned long long)k, n, len);
            return 1;
        }
        len = n;
        if (fwrite(req, 1, (size_t)n, f) != (size_t)n) {
            perror("bench-kit presign: write");
            return 1;
        }
    }
    if (fclose(f) != 0) {
        perror("bench-kit presign: close");
        return 1;
    }
    free(req);
    printf("%d\n", len);
    return 0;
}

/* Reads one HTTP/1.1 response with Content-Length from fd into buf. */
static int read_response(int fd, char *buf, size_t cap, size_t *len)
{
    size_t n = 0, want = 0;
    char *hend = NULL;
    for (;;) {
        if (hend && n >= want) break;
        if (n + 1 >= cap) return -1;
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0) return -1;
        n += (size_t)r;
        buf[n] = '\0';
        if (!hend && (hend = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            if (!cl || cl > hend) return -1;
            want = (size_t)(hend + 4 - buf) + strtoull(cl + 17, NULL, 10);
        }
    }
    *len = want;
    return 0;
}

static int mkdirs(const char *dir)
{
    char p[1200];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1;
            *s = '/';
        }
    return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_json(const char *dir, const char *name, cJSON *v)
{
    char path[1200];
    char *text = cJSON_Print(v);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = text ? write_file(path, text, strlen(text)) : -1;
    free(text);
    return rc;
}

static int cmd_capture(int argc, char **argv)
{
    static char body[BODY_MAX], resp[RESP_MAX];
    signer s;
    const char *port_s = opt(argc, argv, "--port"), *dir = opt(argc, argv, "--dir");
    const char *mb_port = opt(argc, argv, "--mb-port");
    if (signer_init(argc, argv, &s, body, sizeof body) != 0 || !port_s || !dir || !mb_port) {
        fprintf(stderr, "usage: bench-kit capture --port P --token T --serial S --key K "
                        "--body FILE --dir DIR --mb-port Q\n");
        return 2;
    }
    char prefix[20], nonce[33], ts[24], req[BODY_MAX + 1024];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    if (nonce_prefix(prefix) != 0) return 1;
    nonce_at(prefix, 0, nonce);
    int n = signed_request(&s, ts, nonce, req, sizeof req);
    int fd = connect_port(atoi(port_s));
    size_t rlen = 0;
    if (n < 0 || fd < 0 || write(fd, req, (size_t)n) != n ||
        read_response(fd, resp, sizeof resp, &rlen) != 0) {
        fprintf(stderr, "bench-kit capture: no complete answer from port %s\n", port_s);
        return 1;
    }
    close(fd);
    int status = atoi(resp + 9);
    if (status != 200) {
        fprintf(stderr, "bench-kit capture: the mock answered %d, not 200:\n%.*s\n", status,
                (int)rlen, resp);
        return 1;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/wiremock/mappings", dir);
    if (mkdirs(path) != 0) return 1;
    snprintf(path, sizeof path, "%s/response.raw", dir);
    if (write_file(path, resp, rlen) != 0) return 1;

    /* Headers as an object, less the framing ones each peer writes itself. */
    char *hend = strstr(resp, "\r\n\r\n");
    const char *rbody = hend + 4;
    cJSON *headers = cJSON_CreateObject();
    for (char *line = strstr(resp, "\r\n") + 2; line < hend;) {
        char *eol = strstr(line, "\r\n"), *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon) {
            char name[128], value[1024];
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            snprintf(name, sizeof name, "%.*s", (int)(colon - line), line);
            snprintf(value, sizeof value, "%.*s", (int)(eol - v), v);
            if (strcasecmp(name, "Content-Length") && strcasecmp(name, "Connection") &&
                strcasecmp(name, "Transfer-Encoding"))
                cJSON_AddStringToObject(headers, name, value);
        }
        line = eol + 2;
    }
    char *btext = strndup(rbody, rlen - (size_t)(rbody - resp));

    cJSON *wm = cJSON_CreateObject(), *wreq = cJSON_AddObjectToObject(wm, "request");
    cJSON_AddStringToObject(wreq, "method", "POST");
    cJSON_AddStringToObject(wreq, "urlPath", REQ_PATH);
    cJSON *wres = cJSON_AddObjectToObject(wm, "response");
    cJSON_AddNumberToObject(wres, "status", status);
    cJSON_AddItemToObject(wres, "headers", cJSON_Duplicate(headers, 1));
    cJSON_AddStringToObject(wres, "body", btext);
    snprintf(path, sizeof path, "%s/wiremock/mappings", dir);
    int rc = write_json(path, "order-routing.json", wm);

    cJSON *mb = cJSON_CreateObject(), *imps = cJSON_AddArrayToObject(mb, "imposters");
    cJSON *imp = cJSON_CreateObject();
    cJSON_AddItemToArray(imps, imp);
    cJSON_AddNumberToObject(imp, "port", atoi(mb_port));
    cJSON_AddStringToObject(imp, "protocol", "http");
    cJSON_AddBoolToObject(imp, "recordRequests", 0);
    cJSON *stubs = cJSON_AddArrayToObject(imp, "stubs"), *stub = cJSON_CreateObject();
    cJSON_AddItemToArray(stubs, stub);
    cJSON *resps = cJSON_AddArrayToObject(stub, "responses"), *r = cJSON_CreateObject();
    cJSON_AddItemToArray(resps, r);
    cJSON *is = cJSON_AddObjectToObject(r, "is");
    cJSON_AddNumberToObject(is, "statusCode", status);
    /* mountebank closes every connection unless the stub says otherwise. */
    cJSON_AddStringToObject(headers, "Connection", "keep-alive");
    cJSON_AddItemToObject(is, "headers", headers);
    cJSON_AddStringToObject(is, "body", btext);
    if (rc == 0) rc = write_json(dir, "mountebank.json", mb);
    cJSON_Delete(wm);
    cJSON_Delete(mb);
    free(btext);
    if (rc != 0) fprintf(stderr, "bench-kit capture: cannot write into %s\n", dir);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "freeport") == 0) return cmd_freeport();
    if (argc >= 2 && strcmp(argv[1], "launch") == 0) return cmd_launch(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "presign") == 0) return cmd_presign(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "capture") == 0) return cmd_capture(argc - 2, argv + 2);
    fprintf(stderr,
            "usage: bench-kit freeport | launch | presign | capture (see bench/benchkit.c)\n");
    return 2;
}
