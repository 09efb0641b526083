/* clock, tokens, json (and the http_json writer), rng, access tokens, nonce cache,
 * clarification store. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "clarify.h"
#include "clock.h"
#include "http.h"
#include "ident.h"
#include "json.h"
#include "nonce.h"
#include "rng.h"
#include "token.h"
#include "tokens.h"
#include "utf8.h"

START_TEST(rfc3339_round_trip)
{
    int64_t t;
    int off;
    char buf[40];
    ck_assert_int_eq(clock_parse_rfc3339("2026-12-04T20:00:00+08:00", &t, &off), 0);
    ck_assert_int_eq(t, 1796385600);
    ck_assert_int_eq(off, 28800);
    ck_assert_int_eq(clock_format_rfc3339(t, off, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "2026-12-04T20:00:00+08:00");
    ck_assert_int_eq(clock_parse_rfc3339("2026-12-04T12:00:00Z", &t, &off), 0);
    ck_assert_int_eq(t, 1796385600);
    ck_assert_int_eq(clock_parse_rfc3339("2026-12-04T12:00:00.250-05:30", &t, &off), 0);
    ck_assert_int_eq(off, -19800);
    ck_assert_int_eq(clock_parse_rfc3339("2026-13-04T12:00:00Z", &t, &off), -1);
    ck_assert_int_eq(clock_parse_rfc3339("2026-12-04T12:00:00", &t, &off), -1);
    ck_assert_int_eq(clock_parse_rfc3339("yesterday", &t, &off), -1);
    /* A short offset once stepped over the terminator (found by fuzzing); heap copies so
     * the sanitizer build sees a read past the end. */
    const char *bad[] = {
        "2020-01-01T00:00:00+1:2", "2020-01-01T00:00:00+01:", "2020-01-01T00:00:00+01",
        "2020-01-01T00:00:00+",    "2020-01-01T-1:-1:-1Z",    "2020-01-01T 1:00:00Z",
        "+020-01-01T00:00:00Z",    "2020-01-01T00:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *h = strdup(bad[i]);
        ck_assert_msg(clock_parse_rfc3339(h, &t, &off) == -1, "accepted %s", bad[i]);
        free(h);
    }
}
END_TEST

START_TEST(virtual_clock)
{
    clock_set_virtual(1764849600000);
    ck_assert_int_eq(clock_now_ms(), 1764849600000);
    clock_advance(1500);
    ck_assert_int_eq(clock_now_s(), 1764849601);
    clock_set_real();
    ck_assert_int_gt(clock_now_s(), 1700000000);
}
END_TEST

START_TEST(token_estimate_rule)
{
    ck_assert_int_eq(tokens_estimate("", 0), 0);
    ck_assert_int_eq(tokens_estimate("tip", 3), 1);
    ck_assert_int_eq(tokens_estimate("dinner", 6), 2);    /* ceil(6/4) */
    ck_assert_int_eq(tokens_estimate("12345", 5), 2);     /* ceil(5/3) */
    ck_assert_int_eq(tokens_estimate("平分晚饭", 12), 4); /* one per ideograph */
    ck_assert_int_eq(tokens_estimate("a, b!", 5), 4);
    ck_assert_int_eq(tokens_estimate("\xF0\x9F\x8D\xB2", 4), 1); /* one emoji */
    ck_assert_int_eq(tokens_estimate("\xFF\xFE", 2), 2);         /* invalid bytes */
    ck_assert_int_eq(tokens_estimate("\xE4\xB8", 2), 2);         /* truncated sequence */
}
END_TEST

START_TEST(utf8_count_validates)
{
    ck_assert_uint_eq(utf8_count(""), 0);
    ck_assert_uint_eq(utf8_count("tip"), 3);
    ck_assert_uint_eq(utf8_count("\xE5\xB9\xB3\xE5\x88\x86"), 2);    /* 平分 */
    ck_assert_uint_eq(utf8_count("\xF0\x9F\x8D\xB2!"), 2);           /* emoji + ! */
    ck_assert_uint_eq(utf8_count("\xF0\x80\x80\x80\x80"), SIZE_MAX); /* stray continuation */
    ck_assert_uint_eq(utf8_count("\xC0\xAF"), SIZE_MAX);             /* overlong lead */
    ck_assert_uint_eq(utf8_count("\xE5\xB9"), SIZE_MAX);             /* truncated */
    ck_assert_uint_eq(utf8_count("pay \xFF coffee"), SIZE_MAX);
}
END_TEST

START_TEST(json_guards)
{
    cJSON *j = NULL;
    size_t off = 0;
    ck_assert_int_eq(json_parse("{\"a\":1}", 7, 32, &j, &off), JSON_OK);
    cJSON_Delete(j);
    ck_assert_int_eq(json_parse("{\"a\":1} x", 9, 32, &j, &off), JSON_ESYNTAX);
    ck_assert_uint_eq(off, 8);
    ck_assert_int_eq(json_parse("{\"a\":", 5, 32, &j, &off), JSON_ESYNTAX);
    ck_assert_ptr_null(j);
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    ck_assert_int_eq(json_parse(deep, 200, 32, &j, &off), JSON_EDEPTH);
    ck_assert_uint_eq(off, 32);
    ck_assert_int_eq(json_parse("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]", 39, 32, &j, &off),
                     JSON_OK); /* brackets inside strings do not count */
    cJSON_Delete(j);
}
END_TEST

/* json_obj walks members itself (first byte before strcmp): it must find what cJSON finds. */
START_TEST(json_obj_is_cjsons_lookup)
{
    const char *text = "{\"amount\":1,\"amt\":2,\"a\":3,\"\":4,\"amount\":5,\"b\":[6,{\"x\":7}]}";
    const char *keys[] = {"amount", "amt", "a", "", "am", "amountx", "b", "x", "B"};
    cJSON *j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        ck_assert_ptr_eq(json_obj(j, keys[i]), cJSON_GetObjectItemCaseSensitive(j, keys[i]));
    ck_assert_int_eq(json_obj(j, "amount")->valueint, 1); /* the first of equal keys */
    const cJSON *arr = json_obj(j, "b");
    ck_assert_ptr_null(json_obj(arr, "x")); /* an array's items have no names */
    ck_assert_ptr_null(json_obj(NULL, "a"));
    ck_assert_ptr_null(json_obj(j, NULL));
    ck_assert_double_eq(json_num(j, "amt", -1), 2);
    ck_assert_ptr_null(json_string(j, "a"));
    cJSON_Delete(j);
}
END_TEST

/* cJSON's own printing of s as a string value, quotes included (a new string). */
static char *cjson_quoted(const char *s)
{
    cJSON *v = cJSON_CreateString(s);
    char *out = cJSON_PrintUnformatted(v);
    cJSON_Delete(v);
    return out;
}

START_TEST(json_quote_is_cjsons)
{
    char in[64], out[JSON_QUOTED_MAX(sizeof in) + 1];
    for (int c = 1; c < 256; c++) { /* every byte, alone and between plain text */
        snprintf(in, sizeof in, "a%cb", c);
        char *want = cjson_quoted(in);
        size_t n = json_quote(out, in, strlen(in));
        out[n] = '\0';
        ck_assert_str_eq(out, want);
        ck_assert_uint_eq(json_quoted_len(in, strlen(in)), n);
        free(want);
        /* and at every place of a string long enough for the eight-byte scan */
        for (int at = 0; at < 24; at++) {
            memset(in, 'x', 24);
            in[at] = (char)c;
            in[24] = '\0';
            want = cjson_quoted(in);
            n = json_quote(out, in, 24);
            out[n] = '\0';
            ck_assert_str_eq(out, want);
            ck_assert_uint_eq(json_quoted_len(in, 24), n);
            ck_assert_uint_eq(json_plain_len(in, 24), (c < 0x20 || c == '"' || c == '\\') ? at : 24);
            free(want);
        }
    }
    uint64_t x = 20261204;
    for (int i = 0; i < 20000; i++) { /* random strings, mostly plain, some control bytes */
        size_t len = (size_t)(i % (int)(sizeof in - 1));
        for (size_t k = 0; k < len; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            unsigned b = (unsigned)(x >> 56);
            in[k] = (char)(b < 16   ? 1 + b % 31
                           : b < 32 ? (unsigned char)"\"\\"[b & 1]
                                    : 32 + b % 223);
        }
        in[len] = '\0';
        char *want = cjson_quoted(in);
        size_t n = json_quote(out, in, len);
        out[n] = '\0';
        ck_assert_str_eq(out, want);
        ck_assert_uint_eq(json_quoted_len(in, len), n);
        free(want);
    }
}
END_TEST

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x >> 33;
}

/* A random tree of the shapes answers carry: strings with escapes, integers,
 * short decimals, doubles of every size, booleans, null, nesting. */
static cJSON *random_tree(uint64_t *x, int depth)
{
    static const double samples[] = {
        0,    -0.0,    0.85,   0.97, 0.8499, 1e-5, 123456789012345.0, 1e15, 1e21, 3.14159265358979,
        -2.5, 1.0 / 3, 1e-300, 4e9};
    switch (lcg(x) % (depth > 3 ? 4 : 6)) {
    case 0:
        return cJSON_CreateNumber(samples[lcg(x) % (sizeof samples / sizeof *samples)]);
    case 1:
        return cJSON_CreateNumber((double)(int64_t)(lcg(x) % 2000000) - 1000000);
    case 2: {
        char s[24];
        size_t n = lcg(x) % (sizeof s - 1);
        for (size_t i = 0; i < n; i++)
            s[i] = lcg(x) % 8 == 0 ? "\n\"\\\x01\t/"[lcg(x) % 6] : (char)('a' + lcg(x) % 26);
        s[n] = '\0';
        return cJSON_CreateString(s);
    }
    case 3:
        return lcg(x) % 3 ? cJSON_CreateBool((int)(lcg(x) & 1)) : cJSON_CreateNull();
    case 4: {
        cJSON *a = cJSON_CreateArray();
        for (int i = (int)(lcg(x) % 4); i > 0; i--)
            cJSON_AddItemToArray(a, random_tree(x, depth + 1));
        return a;
    }
    default: {
        cJSON *o = cJSON_CreateObject();
        for (int i = (int)(lcg(x) % 4); i > 0; i--) {
            char key[8];
            snprintf(key, sizeof key, "k%d\t", i);
            cJSON_AddItemToObject(o, key, random_tree(x, depth + 1));
        }
        return o;
    }
    }
}

START_TEST(json_int_is_printfs)
{
    static const int64_t edge[] = {0,
                                   1,
                                   -1,
                                   9,
                                   10,
                                   -10,
                                   999,
                                   1000,
                                   INT64_MAX,
                                   INT64_MIN,
                                   INT64_MIN + 1,
                                   1234567890123456789LL};
    char want[64], got[64];
    uint64_t x = 7;
    for (int i = 0; i < 20000; i++) {
        int64_t v = i < (int)(sizeof edge / sizeof *edge)
                        ? edge[i]
                        : (int64_t)(lcg(&x) << 33 ^ lcg(&x)) >> (lcg(&x) % 64);
        int width = i % 7;
        snprintf(want, sizeof want, "%0*lld", width, (long long)v);
        size_t n = json_int(got, v, width);
        got[n] = '\0';
        ck_assert_str_eq(got, want);
    }
}
END_TEST

START_TEST(http_json_is_cjsons)
{
    uint64_t x = 42;
    for (int i = 0; i < 5000; i++) {
        cJSON *t = random_tree(&x, 0);
        char *want = cJSON_PrintUnformatted(t);
        http_json b = {0};
        http_json_value(&b, t);
        ck_assert(!b.failed);
        ck_assert_uint_eq(b.len, strlen(want));
        ck_assert(memcmp(b.p, want, b.len) == 0);
        free(b.p);
        free(want);
        cJSON_Delete(t);
    }
    for (int d = 0; d < 10; d++) /* the rounding table agrees with pow() */
        ck_assert(json_round(0.123456789123, d) == round(0.123456789123 * pow(10, d)) / pow(10, d));
}
END_TEST

START_TEST(rng_is_keyed_not_streamed)
{
    ck_assert_uint_eq(rng_hash(7, "abc", 3), rng_hash(7, "abc", 3));
    ck_assert_uint_ne(rng_hash(7, "abc", 3), rng_hash(8, "abc", 3));
    ck_assert_uint_ne(rng_hash(7, "abc", 3), rng_hash(7, "abd", 3));
    uint64_t st = 42;
    double sum = 0;
    for (int i = 0; i < 10000; i++) {
        double u = rng_unit(&st);
        ck_assert(u >= 0 && u < 1);
        sum += u;
    }
    ck_assert(sum / 10000 > 0.48 && sum / 10000 < 0.52);
}
END_TEST

START_TEST(access_token_claims)
{
    token_claims c = {.mchid = "1900000109",
                      .scope = "ai_payment_intelligence payments",
                      .expires_s = 1764856800},
                 back;
    char tok[TOKEN_MAX_LEN];
    ck_assert_int_eq(token_issue(&c, tok, sizeof tok), 0);
    ck_assert_ptr_null(strchr(tok, ' '));
    ck_assert_int_eq(token_verify(tok, &back), 0);
    ck_assert_str_eq(back.mchid, "1900000109");
    ck_assert_str_eq(back.scope, "ai_payment_intelligence payments");
    ck_assert_int_eq(back.expires_s, 1764856800);
    ck_assert(token_scope_has(back.scope, "payments"));
    ck_assert(!token_scope_has(back.scope, "pay"));
    /* Any change to the claims breaks the MAC. */
    char forged[TOKEN_MAX_LEN];
    strcpy(forged, tok);
    forged[0] = '2';
    ck_assert_int_eq(token_verify(forged, &back), -1);
    ck_assert_int_eq(token_verify("garbage", &back), -1);
    ck_assert_int_eq(token_verify("", &back), -1);
}
END_TEST

START_TEST(nonce_replay_window)
{
    nonce_cache *c;
    ck_assert_int_eq(nonce_cache_new(1024, 300, &c), 0);
    ck_assert_int_eq(nonce_cache_check(c, "m1", "n1", 1000), NONCE_FRESH);
    ck_assert_int_eq(nonce_cache_check(c, "m1", "n1", 1299), NONCE_REPLAY);
    ck_assert_int_eq(nonce_cache_check(c, "m2", "n1", 1000), NONCE_FRESH); /* per merchant */
    ck_assert_int_eq(nonce_cache_check(c, "m1", "n1", 1300), NONCE_FRESH); /* window passed */
    /* Located first (as auth.c does, before the signature check), the same table answers. */
    nonce_slot slot;
    nonce_cache_locate(c, "m1", "n1", &slot);
    ck_assert_int_eq(nonce_cache_check_slot(c, &slot, 1301), NONCE_REPLAY);
    nonce_cache_locate(c, "m1", "n2", &slot);
    ck_assert_int_eq(nonce_cache_check_slot(c, &slot, 1301), NONCE_FRESH);
    ck_assert_int_eq(nonce_cache_check(c, "m1", "n2", 1302), NONCE_REPLAY);
    /* Memory is fixed: far more nonces than slots never fails, recent ones are still caught. */
    char n[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(n, sizeof n, "x%d", i);
        nonce_cache_check(c, "m1", n, 2000);
    }
    ck_assert_int_eq(nonce_cache_check(c, "m1", "x99999", 2000), NONCE_REPLAY);
    nonce_cache_clear(c);
    ck_assert_int_eq(nonce_cache_check(c, "m1", "x99999", 2000), NONCE_FRESH);
    nonce_cache_free(c);
    nonce_cache_free(NULL);
}
END_TEST

START_TEST(clarify_store_bounded_and_expiring)
{
    clarify_store *s;
    clarify_entry e = {.mchid = "m1", .expires_s = 1300}, got;
    char first[CLARIFY_ID_LEN];
    ck_assert_int_eq(clarify_store_new(32, &s), 0);
    e.request = "{\"text\":\"x\"}";
    e.questions = "[]";
    ck_assert_int_eq(clarify_put(s, &e, 1000), CLARIFY_OK);
    strcpy(first, e.id);
    ck_assert_int_eq(clarify_get(s, first, "m1", 1001, &got), CLARIFY_OK);
    ck_assert_str_eq(got.request, "{\"text\":\"x\"}");
    clarify_entry_clear(&got);
    ck_assert_int_eq(clarify_get(s, first, "m2", 1001, &got), CLARIFY_ENOTFOUND);
    ck_assert_int_eq(clarify_get(s, first, "m1", 1300, &got), CLARIFY_EEXPIRED);
    ck_assert_int_eq(clarify_get(s, "clr_nonsense", "m1", 1001, &got), CLARIFY_ENOTFOUND);
    /* Far more puts than capacity: the store stays at its cap. */
    for (int i = 0; i < 500; i++) {
        e.expires_s = 5000;
        ck_assert_int_eq(clarify_put(s, &e, 2000 + i), CLARIFY_OK);
    }
    ck_assert_uint_le(clarify_count(s), 32);
    /* The expired, evicted first entry still answers "expired", not "unknown". */
    ck_assert_int_eq(clarify_get(s, first, "m1", 2000, &got), CLARIFY_EEXPIRED);
    clarify_remove(s, e.id);
    ck_assert_int_eq(clarify_get(s, e.id, "m1", 2000, &got), CLARIFY_ENOTFOUND);
    clarify_store_free(s);
}
END_TEST

/* Identifiers: their shape, every character of their alphabet in use, no repeats, and a
 * forked child that does not hand out what its parent will. */
START_TEST(identifiers_are_well_formed_and_unique)
{
    static const char nonce_alpha[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static const char token_alpha[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    enum { N = 4000 };
    static char seen[N][IDENT_NONCE_LEN];
    long nonce_count[256] = {0}, token_count[256] = {0};
    char tok[40], uuid[IDENT_UUID_LEN];
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(ident_nonce(seen[i], sizeof seen[i]), 0);
        ck_assert_uint_eq(strlen(seen[i]), 32);
        ck_assert_uint_eq(strspn(seen[i], nonce_alpha), 32);
        for (int k = 0; k < 32; k++)
            nonce_count[(unsigned char)seen[i][k]]++;
        ck_assert_int_eq(ident_token("ctk_", tok, sizeof tok), 0);
        ck_assert_uint_eq(strlen(tok), 28);
        ck_assert_int_eq(strncmp(tok, "ctk_", 4), 0);
        ck_assert_uint_eq(strspn(tok + 4, token_alpha), 24);
        for (int k = 4; k < 28; k++)
            token_count[(unsigned char)tok[k]]++;
    }
    qsort(seen, N, sizeof seen[0], (int (*)(const void *, const void *))strcmp);
    for (int i = 1; i < N; i++)
        ck_assert_str_ne(seen[i - 1], seen[i]);
    /* Each nonce character stands for 4 or 5 of a random byte's 256 values (each token
     * one for 7 or 8), so 128,000 nonce characters give each 2,000 or 2,500 on average,
     * 96,000 token ones 2,625 or 3,000: each must be within 15 % of those (about seven
     * standard deviations) */
    for (const char *c = nonce_alpha; *c; c++) {
        long n = nonce_count[(unsigned char)*c];
        ck_assert_msg(n > 1700 && n < 2875, "nonce '%c': %ld", *c, n);
    }
    for (const char *c = token_alpha; *c; c++) {
        long n = token_count[(unsigned char)*c];
        ck_assert_msg(n > 2230 && n < 3450, "token '%c': %ld", *c, n);
    }
    ck_assert_int_eq(ident_token("ctk_", tok, 28), -1); /* no room for the NUL */
    ck_assert_int_eq(ident_nonce(tok, IDENT_NONCE_LEN - 1), -1);
    ck_assert_int_eq(ident_uuid(uuid, sizeof uuid), 0);
    ck_assert_uint_eq(strlen(uuid), 36);
    ck_assert(uuid[8] == '-' && uuid[13] == '-' && uuid[18] == '-' && uuid[23] == '-');
    ck_assert(uuid[14] == '4' && strchr("89ab", uuid[19]));

    /* the parent has drawn from its pool; a child must not draw the same bytes */
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char child[IDENT_NONCE_LEN];
        ident_nonce(child, sizeof child);
        ssize_t w = write(fds[1], child, sizeof child);
        _exit(w == (ssize_t)sizeof child ? 0 : 1);
    }
    char parent[IDENT_NONCE_LEN], child[IDENT_NONCE_LEN];
    ck_assert_int_eq(ident_nonce(parent, sizeof parent), 0);
    ck_assert_int_eq(read(fds[0], child, sizeof child), (ssize_t)sizeof child);
    int status;
    waitpid(pid, &status, 0);
    close(fds[0]);
    close(fds[1]);
    ck_assert_str_ne(parent, child);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rfc3339_round_trip);
    tcase_add_test(tc, virtual_clock);
    tcase_add_test(tc, token_estimate_rule);
    tcase_add_test(tc, utf8_count_validates);
    tcase_add_test(tc, json_guards);
    tcase_add_test(tc, json_obj_is_cjsons_lookup);
    tcase_add_test(tc, json_quote_is_cjsons);
    tcase_add_test(tc, json_int_is_printfs);
    tcase_add_test(tc, http_json_is_cjsons);
    tcase_add_test(tc, rng_is_keyed_not_streamed);
    tcase_add_test(tc, access_token_claims);
    tcase_add_test(tc, nonce_replay_window);
    tcase_add_test(tc, clarify_store_bounded_and_expiring);
    tcase_add_test(tc, identifiers_are_well_formed_and_unique);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
