/* traffic: traffic_next reads plain records without a tree (its fast path) and everything
 * else through cJSON; either way a line must give the record (or the error) that
 * traffic_parse_line, which always builds the tree, gives for it. Checked on hand-made
 * lines that sit on either side of every condition of the fast path, and on thousands of
 * random edits of them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "json.h"
#include "rng.h"
#include "traffic.h"

static const char *const lines[] = {
    /* the benchmark's line */
    "{\"id\":\"b-1\",\"at_ms\":0,\"merchant\":\"1900000109\",\"endpoint\":\"order_routing\","
    "\"request\":{\"method\":\"POST\",\"path\":\"/v3/ai/order-routing\",\"body\":{\"text\":\"my "
    "usual coffee please\",\"payer\":{\"openid\":\"o_carol\"}}}}",
    /* white space between members, none inside the body */
    " { \"id\" : \"w\" ,\t\"at_ms\" : 12 , \"request\" : { \"path\" : \"/v1/models\" , "
    "\"method\" : \"GET\" } }\r",
    /* white space inside the body: printed compact by cJSON, not copied */
    "{\"id\":\"x\",\"request\":{\"path\":\"/v3/ai/fraud-score\",\"body\":{ \"a\" : 1 }}}",
    /* numbers: kept as written, or not */
    "{\"id\":\"n\",\"request\":{\"path\":\"/a\",\"body\":[0,-1,123456789,1234567890,-0,1.5,1e3,"
    "007,true,false,null,\"\",{},[]]}}",
    "{\"id\":\"n2\",\"request\":{\"path\":\"/a\",\"body\":[0,-1,123456789,-987654321]}}",
    "{\"id\":\"n3\",\"request\":{\"path\":\"/a\",\"body\":[-0]}}",
    "{\"id\":\"n4\",\"request\":{\"path\":\"/a\",\"body\":{\"a\":01}}}",
    "{\"id\":\"n5\",\"request\":{\"path\":\"/a\",\"body\":[2.50]}}",
    "{\"id\":\"n6\",\"request\":{\"path\":\"/a\",\"body\":[1E3]}}",
    "{\"id\":\"n7\",\"request\":{\"path\":\"/a\",\"body\":-7}}",
    "{\"id\":\"n8\",\"at_ms\":0012,\"request\":{\"path\":\"/a\"}}",
    /* string bodies, escapes, non-ASCII */
    "{\"id\":\"s\",\"request\":{\"path\":\"/a\",\"body\":\"raw text\"}}",
    "{\"id\":\"s2\",\"request\":{\"path\":\"/a\",\"body\":\"\"}}",
    "{\"id\":\"e\",\"request\":{\"path\":\"/a\",\"body\":{\"t\":\"caf\\u00e9 \\\"x\\\"\"}}}",
    "{\"id\":\"u\",\"request\":{\"path\":\"/a\",\"body\":{\"t\":\"caf\xc3\xa9 \xe5\x92\x96\"}}}",
    "{\"id\":\"e\\/2\",\"request\":{\"path\":\"/a\"}}",
    /* nulls and absences */
    "{\"id\":\"z\",\"at_ms\":5,\"merchant\":null,\"serial\":null,\"endpoint\":null,"
    "\"request\":{\"method\":null,\"path\":\"/v3/ai/order-routing\",\"body\":null}}",
    "{\"id\":\"z2\",\"request\":{\"method\":\"\",\"path\":\"/v3/ai/order-routing/clarifications/c1"
    "\",\"body\":{}}}",
    "{\"id\":\"\",\"request\":{\"path\":\"/\"}}",
    /* what parse_record refuses */
    "{\"request\":{\"path\":\"/a\"}}",
    "{\"id\":7,\"request\":{\"path\":\"/a\"}}",
    "{\"id\":\"a\",\"at_ms\":-1,\"request\":{\"path\":\"/a\"}}",
    "{\"id\":\"a\",\"at_ms\":9000000000000001,\"request\":{\"path\":\"/a\"}}",
    "{\"id\":\"a\",\"at_ms\":999999999999999,\"request\":{\"path\":\"/a\"}}",
    "{\"id\":\"a\",\"at_ms\":1.5,\"request\":{\"path\":\"/a\"}}",
    "{\"id\":\"a\",\"at_ms\":null,\"request\":{\"path\":\"/a\"}}",
    "{\"id\":\"a\",\"request\":{\"path\":\"a\"}}",
    "{\"id\":\"a\",\"request\":{\"path\":\"\"}}",
    "{\"id\":\"a\",\"request\":{\"method\":\"post\",\"path\":\"/a\"}}",
    "{\"id\":\"a\",\"request\":{\"method\":\"PROPFINDX\",\"path\":\"/a\"}}",
    "{\"id\":\"a\",\"request\":{\"method\":\"PATCH\",\"path\":\"/a\"}}",
    "{\"id\":\"a\",\"request\":null}",
    "{\"id\":\"a\",\"request\":[1]}",
    "{\"id\":\"a\",\"merchant\":5,\"request\":{\"path\":\"/a\"}}",
    "{\"id\":\"a\",\"endpoint\":\"a-very-long-endpoint-name-that-does-not-fit-in-48-bytes\","
    "\"request\":{\"path\":\"/a\"}}",
    "{\"id\":\"a\",\"merchant\":\"0123456789012345678901234567890123456789012345678901234567890"
    "123\",\"request\":{\"path\":\"/a\"}}",
    "[1,2]",
    "{\"id\":\"a\",\"request\":{\"path\":\"/a\"}} x",
    "{\"id\":\"a\",\"request\":{\"path\":\"/a\"}",
    /* members the fast path leaves to cJSON */
    "{\"id\":\"t\",\"request\":{\"path\":\"/v3/ai/order-routing\",\"body\":{\"text\":\"a\"}},"
    "\"truth\":{\"intent\":\"pay\",\"amount_total\":3200,\"currency\":\"CNY\"},"
    "\"answers\":{\"q1\":\"o1\"},\"expect\":{\"status\":[200,202]}}",
    "{\"id\":\"t\",\"request\":{\"path\":\"/a\"},\"truth\":5}",
    "{\"id\":\"t\",\"request\":{\"path\":\"/a\"},\"note\":\"ignored\"}",
    "{\"id\":\"d\",\"id\":\"dup\",\"request\":{\"path\":\"/a\"}}",
    "{\"id\":\"d\",\"request\":{\"path\":\"/a\",\"path\":\"/b\"}}",
    "{\"id\":\"d\",\"request\":{\"path\":\"/a\",\"headers\":{\"x\":\"y\"}}}",
    "{\"id\":\"deep\",\"request\":{\"path\":\"/a\",\"body\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}}",
    "{\"id\":\"deep\",\"request\":{\"path\":\"/a\",\"body\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}}",
};

/* A one-line description of rec (or of the error) for comparing two readings. */
static char *describe(int rc, const traffic_record *r, const char *err)
{
    if (rc != TRAFFIC_RECORD) {
        /* the messages name the file and line the same way in both readings */
        const char *m = strstr(err, ": ");
        char *s = malloc(strlen(err) + 32);
        sprintf(s, "rc=%d %s", rc, m ? m : err);
        return s;
    }
    char *a = r->answers ? json_print(r->answers) : NULL;
    char *t = r->truth ? json_print(r->truth) : NULL;
    char *e = r->expect ? json_print(r->expect) : NULL;
    size_t n = 4096 + r->body_len + (a ? strlen(a) : 0) + (t ? strlen(t) : 0) + (e ? strlen(e) : 0);
    char *s = malloc(n);
    snprintf(s, n,
             "id=%s line=%ld at=%lld merchant=%s endpoint=%s method=%s path=%s serial=%s "
             "body(%zu)=%s answers=%s truth=%s expect=%s",
             r->id, r->line, (long long)r->at_ms, r->merchant, r->endpoint, r->method, r->path,
             r->serial, r->body_len, r->body ? r->body : "(none)", a ? a : "-", t ? t : "-",
             e ? e : "-");
    ck_assert(!r->body || strlen(r->body) == r->body_len);
    free(a);
    free(t);
    free(e);
    return s;
}

/* Reads every line of text (lines separated by \n) with traffic_next and compares each
 * record with traffic_parse_line's; returns how many lines were compared. */
static int compare_file(const char *text, size_t len)
{
    char path[] = "/tmp/wxai-test-traffic-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    traffic *t;
    char err[400], err2[400];
    ck_assert_int_eq(traffic_open(path, &t, err, sizeof err), 0);
    traffic_record a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int compared = 0;
    const char *p = text;
    for (;;) {
        err[0] = '\0';
        int rc = traffic_next(t, &a, err, sizeof err);
        if (rc == TRAFFIC_EOF) break;
        ck_assert_int_ne(rc, TRAFFIC_EIO);
        /* the line traffic_next read: the one numbered a.line (blank lines are skipped) */
        long ln = traffic_lines(t);
        const char *l = text;
        for (long i = 1; i < ln; i++)
            l = memchr(l, '\n', (size_t)(text + len - l)) + 1;
        const char *nl = memchr(l, '\n', (size_t)(text + len - l));
        size_t n = nl ? (size_t)(nl - l) : (size_t)(text + len - l);
        while (n && (*l == ' ' || *l == '\t' || *l == '\r')) {
            l++;
            n--;
        }
        char *copy = malloc(n + 1);
        memcpy(copy, l, n);
        copy[n] = '\0';
        err2[0] = '\0';
        int rc2 = traffic_parse_line("f", ln, copy, n, &b, err2, sizeof err2);
        if (rc == TRAFFIC_BAD && !nl) {
            /* traffic_next adds a note about the missing newline on the last line */
            char *note = strstr(err, " (the last line has no newline");
            if (note) *note = '\0';
        }
        char *da = describe(rc, &a, err), *db = describe(rc2, &b, err2);
        ck_assert_msg(strcmp(da, db) == 0, "line %ld: %s\n fast: %s\n tree: %s", ln, copy, da, db);
        free(da);
        free(db);
        free(copy);
        compared++;
        (void)p;
    }
    traffic_record_clear(&a);
    traffic_record_clear(&b);
    traffic_close(t);
    unlink(path);
    return compared;
}

START_TEST(hand_made_lines_read_the_same)
{
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t n = strlen(lines[i]);
        ck_assert(len + n + 2 < cap);
        memcpy(text + len, lines[i], n);
        len += n;
        text[len++] = '\n';
    }
    ck_assert_int_eq(compare_file(text, len), (int)(sizeof lines / sizeof lines[0]));
    free(text);
}
END_TEST

START_TEST(the_benchmark_line_is_read_exactly)
{
    traffic_record r;
    memset(&r, 0, sizeof r);
    char path[] = "/tmp/wxai-test-traffic-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_eq(write(fd, lines[0], strlen(lines[0])), (ssize_t)strlen(lines[0]));
    ck_assert_int_eq(write(fd, "\n", 1), 1);
    close(fd);
    traffic *t;
    char err[400];
    ck_assert_int_eq(traffic_open(path, &t, err, sizeof err), 0);
    ck_assert_int_eq(traffic_next(t, &r, err, sizeof err), TRAFFIC_RECORD);
    ck_assert_str_eq(r.id, "b-1");
    ck_assert_str_eq(r.merchant, "1900000109");
    ck_assert_str_eq(r.endpoint, "order_routing");
    ck_assert_str_eq(r.method, "POST");
    ck_assert_str_eq(r.path, "/v3/ai/order-routing");
    ck_assert_str_eq(r.body, "{\"text\":\"my usual coffee please\",\"payer\":{\"openid\":"
                             "\"o_carol\"}}");
    ck_assert_uint_eq(r.body_len, strlen(r.body));
    ck_assert_int_eq(r.line, 1);
    ck_assert_int_eq(traffic_next(t, &r, err, sizeof err), TRAFFIC_EOF);
    traffic_record_clear(&r);
    traffic_close(t);
    unlink(path);
}
END_TEST

/* Random edits of the hand-made lines: a byte replaced by one that matters to JSON or to the
 * fast path, a byte inserted, a byte dropped. */
START_TEST(random_edits_read_the_same)
{
    static const char alphabet[] = "{}[]\",:\\ \t0123456789-+.eEnulltrfase/aPOSTx\x01\x7f\xc3";
    uint64_t seed = 0x7472616666696331ULL;
    size_t cap = 1 << 20;
    char *text = malloc(cap);
    int total = 0;
    for (int round = 0; round < 12; round++) {
        size_t len = 0;
        for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
            for (int k = 0; k < 40; k++) {
                size_t n = strlen(lines[i]);
                char line[1024];
                ck_assert(n + 2 < sizeof line);
                memcpy(line, lines[i], n);
                int edits = 1 + (int)(rng_next(&seed) % 3);
                for (int e = 0; e < edits && n > 0; e++) {
                    size_t at = (size_t)(rng_next(&seed) % n);
                    char ch = alphabet[rng_next(&seed) % (sizeof alphabet - 1)];
                    switch (rng_next(&seed) % 3) {
                    case 0:
                        line[at] = ch;
                        break;
                    case 1:
                        memmove(line + at + 1, line + at, n - at);
                        line[at] = ch;
                        n++;
                        break;
                    default:
                        memmove(line + at, line + at + 1, n - at - 1);
                        n--;
                    }
                }
                for (size_t j = 0; j < n; j++)
                    if (line[j] == '\n') line[j] = ' ';
                ck_assert(len + n + 2 < cap);
                memcpy(text + len, line, n);
                len += n;
                text[len++] = '\n';
            }
        }
        total += compare_file(text, len);
    }
    ck_assert_int_gt(total, 12 * 30 * 40);
    free(text);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("traffic");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, hand_made_lines_read_the_same);
    tcase_add_test(tc, the_benchmark_line_is_read_exactly);
    tcase_add_test(tc, random_edits_read_the_same);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
