#include "traffic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "jarena.h"
#include "json.h"

struct traffic {
    FILE *f;
    int owns;
    char name[512];
    long line;
    char *buf; /* TRAFFIC_LINE_MAX + 1, allocated once */
    /* read-ahead: lines are found with memchr in 64 KB reads, not a getc per byte */
    char *rd;
    size_t rpos, rlen;
    int rerr, reof;
    /* each line's tree, dropped as soon as the record is taken out of it */
    jarena arena;
};

#define TRAFFIC_READ_CHUNK 65536

/* The next byte of the file, or EOF (at the end or on a read error: see t->rerr). */
static int next_byte(traffic *t)
{
    if (t->rpos == t->rlen) {
        if (t->reof) return EOF;
        /* read, not fread: from a pipe, what has arrived is a line's worth, without waiting
         * for 64 KB */
        ssize_t got = read(fileno(t->f), t->rd, TRAFFIC_READ_CHUNK);
        t->rpos = 0;
        t->rlen = got > 0 ? (size_t)got : 0;
        if (got <= 0) {
            t->reof = 1;
            t->rerr = got < 0;
            return EOF;
        }
    }
    return (unsigned char)t->rd[t->rpos++];
}

int traffic_open(const char *path, traffic **out, char *err, size_t errcap)
{
    *out = NULL;
    traffic *t = calloc(1, sizeof *t);
    if (!t || !(t->buf = malloc(TRAFFIC_LINE_MAX + 1)) || !(t->rd = malloc(TRAFFIC_READ_CHUNK))) {
        if (t) free(t->buf);
        free(t);
        snprintf(err, errcap, "%s: out of memory", path);
        return -1;
    }
    snprintf(t->name, sizeof t->name, "%s", path);
    if (strcmp(path, "-") == 0) {
        t->f = stdin;
    } else {
        t->f = fopen(path, "rb");
        t->owns = 1;
        if (!t->f) {
            snprintf(err, errcap, "%s: cannot open: %s", path, strerror(errno));
            free(t->buf);
            free(t->rd);
            free(t);
            return -1;
        }
    }
    *out = t;
    return 0;
}

void traffic_close(traffic *t)
{
    if (!t) return;
    if (t->owns && t->f) fclose(t->f);
    jarena_free(&t->arena);
    free(t->buf);
    free(t->rd);
    free(t);
}

long traffic_lines(const traffic *t)
{
    return t->line;
}

void traffic_record_clear(traffic_record *rec)
{
    if (!rec) return;
    free(rec->body);
    cJSON_Delete(rec->answers);
    cJSON_Delete(rec->truth);
    cJSON_Delete(rec->expect);
    /* only the first byte of each string is read past here: no need to rewrite 1.4 KB */
    rec->id[0] = rec->merchant[0] = rec->endpoint[0] = rec->method[0] = '\0';
    rec->path[0] = rec->serial[0] = '\0';
    rec->line = 0;
    rec->at_ms = 0;
    rec->body = NULL;
    rec->body_len = 0;
    rec->answers = rec->truth = rec->expect = NULL;
}

void traffic_record_move(traffic_record *dst, traffic_record *src)
{
    *dst = *src;
    src->body = NULL;
    src->answers = src->truth = src->expect = NULL;
    traffic_record_clear(src);
}

static int bad(char *err, size_t cap, const char *name, long line, const char *msg)
{
    snprintf(err, cap, "%s:%ld: %s", name, line, msg);
    return TRAFFIC_BAD;
}

/* Copies a string member into a fixed field; "" when absent. -1 if present but
 * not a string or too long. */
static int copy_str(const cJSON *obj, const char *key, char *dst, size_t cap, int required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    dst[0] = '\0';
    if (!v || cJSON_IsNull(v)) return required ? -1 : 0;
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) return -1;
    memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

/* The endpoint a path belongs to, when the record does not say. */
static const char *endpoint_of(const char *path)
{
    if (strncmp(path, "/v3/ai/order-routing/clarifications/", 36) == 0)
        return "order_routing_clarification";
    if (strcmp(path, "/v3/ai/order-routing") == 0) return "order_routing";
    if (strncmp(path, "/v3/ai/fraud-score/batches", 26) == 0) return "fraud_score_batch";
    if (strcmp(path, "/v3/ai/fraud-score") == 0) return "fraud_score";
    if (strcmp(path, "/v1/chat/completions") == 0) return "chat_completions";
    if (strcmp(path, "/v1/models") == 0) return "models";
    if (strcmp(path, "/v3/oauth2/token") == 0) return "token";
    return "other";
}

/* Frees v, a tree detached from a line's root parsed as how says (0: json_parse). */
static void drop(cJSON *v, int how)
{
    if (how != JARENA_IN_ARENA) cJSON_Delete(v);
}

/* traffic_parse_line, with the line's tree in a when a is not NULL. */
static int parse_record(const char *name, long line, const char *text, size_t len,
                        traffic_record *rec, char *err, size_t errcap, jarena *a)
{
    cJSON *root = NULL;
    size_t off = 0;
    char msg[256];
    int rc = TRAFFIC_BAD, how = 0;

    traffic_record_clear(rec);
    rec->line = line;
    int jr = a ? jarena_parse(a, text, len, JSON_MAX_DEPTH, &root, &off)
               : json_parse(text, len, JSON_MAX_DEPTH, &root, &off);
    if (jr > 0) {
        how = jr;
        jr = JSON_OK;
    }
    if (jr != JSON_OK) {
        snprintf(msg, sizeof msg, "%s at byte %zu%s",
                 jr == JSON_EDEPTH ? "JSON nested too deeply" : "not valid JSON", off + 1,
                 off >= len ? " (the line is cut short)" : "");
        return bad(err, errcap, name, line, msg);
    }
    if (!cJSON_IsObject(root)) {
        rc = bad(err, errcap, name, line, "a record must be a JSON object");
        goto out;
    }
    if (copy_str(root, "id", rec->id, sizeof rec->id, 1) != 0) {
        rc = bad(err, errcap, name, line, "\"id\" must be a string of at most 127 bytes");
        goto out;
    }
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "at_ms");
    if (at && (!cJSON_IsNumber(at) || at->valuedouble < 0 || at->valuedouble > 9e15)) {
        rc = bad(err, errcap, name, line, "\"at_ms\" must be a non-negative number");
        goto out;
    }
    rec->at_ms = at ? (int64_t)at->valuedouble : 0;
    if (copy_str(root, "merchant", rec->merchant, sizeof rec->merchant, 0) != 0 ||
        copy_str(root, "serial", rec->serial, sizeof rec->serial, 0) != 0) {
        rc = bad(err, errcap, name, line, "\"merchant\" and \"serial\" must be short strings");
        goto out;
    }
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(root, "request");
    if (!cJSON_IsObject(req)) {
        rc = bad(err, errcap, name, line, "\"request\" must be an object with method and path");
        goto out;
    }
    if (copy_str(req, "method", rec->method, sizeof rec->method, 0) != 0 ||
        copy_str(req, "path", rec->path, sizeof rec->path, 1) != 0 || rec->path[0] != '/') {
        rc = bad(err, errcap, name, line,
                 "\"request.path\" must be a path starting with '/', and \"request.method\" a "
                 "method name");
        goto out;
    }
    if (!rec->method[0]) snprintf(rec->method, sizeof rec->method, "POST");
    for (char *p = rec->method; *p; p++)
        if (*p < 'A' || *p > 'Z') {
            rc = bad(err, errcap, name, line, "\"request.method\" must be upper-case letters");
            goto out;
        }
    if (copy_str(root, "endpoint", rec->endpoint, sizeof rec->endpoint, 0) != 0) {
        rc = bad(err, errcap, name, line, "\"endpoint\" must be a short string");
        goto out;
    }
    if (!rec->endpoint[0])
        snprintf(rec->endpoint, sizeof rec->endpoint, "%s", endpoint_of(rec->path));
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(req, "body");
    if (body && !cJSON_IsNull(body)) {
        /* A string body is sent as is (a recording of a malformed request);
         * anything else is sent as compact JSON. */
        rec->body = cJSON_IsString(body) ? strdup(body->valuestring) : json_print(body);
        if (!rec->body) {
            rc = bad(err, errcap, name, line, "out of memory");
            goto out;
        }
        rec->body_len = strlen(rec->body);
    }
    const char *objs[] = {"answers", "truth", "expect"};
    cJSON **dst[] = {&rec->answers, &rec->truth, &rec->expect};
    for (int i = 0; i < 3; i++) {
        cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(root, objs[i]);
        if (!v || cJSON_IsNull(v)) {
            drop(v, how);
            continue;
        }
        if (!cJSON_IsObject(v)) {
            drop(v, how);
            snprintf(msg, sizeof msg, "\"%s\" must be an object", objs[i]);
            rc = bad(err, errcap, name, line, msg);
            goto out;
        }
        /* the record outlives the line's arena: it keeps a copy on the heap */
        *dst[i] = how == JARENA_IN_ARENA ? cJSON_Duplicate(v, 1) : v;
        if (!*dst[i]) {
            rc = bad(err, errcap, name, line, "out of memory");
            goto out;
        }
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(rec->expect, "status");
    if (st && !cJSON_IsNumber(st) && !cJSON_IsArray(st)) {
        rc = bad(err, errcap, name, line, "\"expect.status\" must be a status or a list of them");
        goto out;
    }
    rc = TRAFFIC_RECORD;
out:
    if (how)
        jarena_release(a, root, how);
    else
        cJSON_Delete(root);
    if (rc != TRAFFIC_RECORD) {
        long keep = rec->line;
        traffic_record_clear(rec);
        rec->line = keep;
    }
    return rc;
}

int traffic_parse_line(const char *name, long line, const char *text, size_t len,
                       traffic_record *rec, char *err, size_t errcap)
{
    return parse_record(name, line, text, len, rec, err, errcap, NULL);
}

int traffic_next(traffic *t, traffic_record *rec, char *err, size_t errcap)
{
    for (;;) {
        size_t n = 0;
        int c = EOF, toolong = 0;
        /* getline would grow without bound; a fixed buffer and a skip keep
         * one absurd line from taking the memory of the run. */
        for (;;) {
            /* the rest of the line within the read-ahead, copied at once */
            if (t->rpos < t->rlen) {
                const char *p = t->rd + t->rpos;
                size_t avail = t->rlen - t->rpos;
                const char *nl = memchr(p, '\n', avail);
                size_t take = nl ? (size_t)(nl - p) : avail;
                size_t keep = take <= TRAFFIC_LINE_MAX - n ? take : TRAFFIC_LINE_MAX - n;
                memcpy(t->buf + n, p, keep);
                n += keep;
                if (keep < take) toolong = 1;
                t->rpos += take + (nl ? 1 : 0);
                if (nl) {
                    c = '\n';
                    break;
                }
            }
            if ((c = next_byte(t)) == EOF) break;
            if (c == '\n') break;
            if (n < TRAFFIC_LINE_MAX)
                t->buf[n++] = (char)c;
            else
                toolong = 1;
        }
        if (c == EOF && t->rerr) {
            snprintf(err, errcap, "%s:%ld: read error: %s", t->name, t->line + 1, strerror(errno));
            return TRAFFIC_EIO;
        }
        if (c == EOF && n == 0 && !toolong) return TRAFFIC_EOF;
        t->line++;
        if (toolong) {
            char msg[96];
            snprintf(msg, sizeof msg, "line longer than %u bytes, skipped", TRAFFIC_LINE_MAX);
            traffic_record_clear(rec);
            rec->line = t->line;
            return bad(err, errcap, t->name, t->line, msg);
        }
        size_t s = 0;
        while (s < n && (t->buf[s] == ' ' || t->buf[s] == '\t' || t->buf[s] == '\r'))
            s++;
        if (s == n || t->buf[s] == '#') continue; /* blank lines and comments */
        t->buf[n] = '\0';
        int rc = parse_record(t->name, t->line, t->buf + s, n - s, rec, err, errcap, &t->arena);
        if (rc == TRAFFIC_BAD && c == EOF) {
            size_t l = strlen(err);
            snprintf(err + l, errcap - l, " (the last line has no newline: truncated file?)");
        }
        return rc;
    }
}

int traffic_sha256_file(const char *path, char *out, size_t cap)
{
    unsigned char md[EVP_MAX_MD_SIZE], chunk[65536];
    unsigned int mdlen = 0;
    size_t n;
    int rc = -1;
    if (cap < 65) return -1;
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) goto out;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (EVP_DigestUpdate(ctx, chunk, n) != 1) goto out;
    if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) goto out;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    fclose(f);
    return rc;
}
