/* journal: the ring stays within its count, records come out in the traffic
 * format, and explanations past their expiry are never written out, neither
 * from the ring nor to the record file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "clock.h"
#include "journal.h"
#include "json.h"

#define DAY_MS (24LL * 3600 * 1000)
#define T0_MS 1796385600000LL /* 2026-12-04T12:00:00Z */

static void teardown(void)
{
    clock_set_real();
}

static void add(journal *j, const char *body, cJSON *resp)
{
    journal_exchange x = {
        .method = "POST",
        .path = "/v3/ai/fraud-score",
        .endpoint = "fraud_score",
        .merchant = "1900000109",
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .status = 200,
        .response = resp,
        .response_len = 10,
    };
    ck_assert_int_eq(journal_add(j, &x), 0);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(ring_is_bounded)
{
    journal *j = NULL;
    char *out = NULL, body[64];
    size_t len;
    ck_assert_int_eq(journal_new(3, NULL, &j), 0);
    for (int i = 1; i <= 10; i++) {
        snprintf(body, sizeof body, "{\"n\":%d}", i);
        add(j, body, NULL);
        ck_assert_uint_le(journal_count(j), 3);
    }
    ck_assert_uint_eq(journal_count(j), 3);
    ck_assert_int_eq(journal_dump(j, clock_now_s(), &out, &len), 0);
    ck_assert_uint_eq(strlen(out), len);
    ck_assert_int_eq(lines(out), 3);
    /* the last three, oldest first, however the ring has wrapped */
    const char *r8 = strstr(out, "\"id\":\"r-0008\""), *r9 = strstr(out, "\"id\":\"r-0009\""),
               *r10 = strstr(out, "\"id\":\"r-0010\"");
    ck_assert(r8 && r9 && r10 && r8 < r9 && r9 < r10);
    cJSON *first = cJSON_ParseWithLength(out, strchr(out, '\n') - out);
    ck_assert_str_eq(json_string(first, "id"), "r-0008");
    cJSON *req = cJSON_GetObjectItem(first, "request");
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(req, "body"), "n")->valueint, 8);
    ck_assert_str_eq(json_string(req, "method"), "POST");
    ck_assert_str_eq(json_string(req, "path"), "/v3/ai/fraud-score");
    ck_assert_str_eq(json_string(first, "merchant"), "1900000109");
    ck_assert_str_eq(json_string(first, "endpoint"), "fraud_score");
    ck_assert_int_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(first, "response"), "status")->valueint, 200);
    cJSON_Delete(first);
    free(out);

    journal_clear(j);
    ck_assert_uint_eq(journal_count(j), 0);
    ck_assert_int_eq(journal_dump(j, clock_now_s(), &out, &len), 0);
    ck_assert_uint_eq(len, 0);
    free(out);
    /* Ids go on after a reset, so a record file spanning it has no duplicates. */
    add(j, "{}", NULL);
    ck_assert_int_eq(journal_dump(j, clock_now_s(), &out, &len), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"id\":\"r-0011\""));
    free(out);
    journal_free(j);
    journal_free(NULL);
}
END_TEST

START_TEST(zero_capacity_keeps_nothing)
{
    journal *j = NULL;
    char *out;
    size_t len;
    ck_assert_int_eq(journal_new(0, NULL, &j), 0);
    add(j, "{}", NULL);
    ck_assert_uint_eq(journal_count(j), 0);
    ck_assert_int_eq(journal_dump(j, 0, &out, &len), 0);
    ck_assert_uint_eq(len, 0);
    free(out);
    journal_free(j);
}
END_TEST

START_TEST(non_json_body_kept_as_text)
{
    journal *j = NULL;
    char *out;
    size_t len;
    ck_assert_int_eq(journal_new(2, NULL, &j), 0);
    char big[JOURNAL_RAW_BODY_MAX + 100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    add(j, "{oops", NULL);
    add(j, big, NULL);
    ck_assert_int_eq(journal_dump(j, 0, &out, &len), 0);
    char *nl = strchr(out, '\n');
    cJSON *a = cJSON_ParseWithLength(out, nl - out), *b = cJSON_Parse(nl + 1);
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(a, "request"), "body"), "{oops");
    cJSON *rb = cJSON_GetObjectItem(b, "request");
    ck_assert_uint_eq(strlen(json_string(rb, "body")), JOURNAL_RAW_BODY_MAX);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rb, "body_truncated")));
    cJSON_Delete(a);
    cJSON_Delete(b);
    free(out);
    journal_free(j);
}
END_TEST

static cJSON *scored(int64_t expires_s)
{
    char at[40], text[512];
    ck_assert_int_eq(clock_format_rfc3339(expires_s, 8 * 3600, at, sizeof at), 0);
    snprintf(text, sizeof text,
             "{\"score_id\":\"s1\",\"risk_score\":87,\"explanation\":\"unusual device\","
             "\"explanation_expires_at\":\"%s\",\"results\":[{\"explanation\":\"nested\","
             "\"explanation_expires_at\":\"%s\"}]}",
             at, at);
    return cJSON_Parse(text);
}

START_TEST(expired_explanations_never_leave)
{
    char path[] = "/tmp/wxai-journal-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    clock_set_virtual(T0_MS);
    journal *j = NULL;
    char *out;
    size_t len;
    ck_assert_int_eq(journal_new(10, path, &j), 0);

    cJSON *fresh = scored(T0_MS / 1000 + 30 * 24 * 3600); /* now + 30 days */
    add(j, "{}", fresh);
    cJSON_Delete(fresh);
    ck_assert_int_eq(journal_dump(j, clock_now_s(), &out, &len), 0);
    ck_assert_ptr_nonnull(strstr(out, "unusual device"));
    ck_assert_ptr_nonnull(strstr(out, "nested"));
    free(out);

    /* 31 days on: the ring no longer gives them out, the rest stays. */
    clock_advance(31 * DAY_MS);
    ck_assert_int_eq(journal_dump(j, clock_now_s(), &out, &len), 0);
    ck_assert_ptr_null(strstr(out, "unusual device"));
    ck_assert_ptr_null(strstr(out, "nested"));
    ck_assert_ptr_nonnull(strstr(out, "explanation_expires_at"));
    ck_assert_ptr_nonnull(strstr(out, "\"risk_score\":87"));
    free(out);

    /* An exchange whose explanation has already expired is written without it. */
    cJSON *stale = scored(clock_now_s() - 1);
    add(j, "{}", stale);
    cJSON_Delete(stale);
    journal_free(j);

    FILE *f = fopen(path, "r");
    char line[4096];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_ptr_nonnull(strstr(line, "unusual device")); /* written while still valid */
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_ptr_null(strstr(line, "unusual device"));
    ck_assert_ptr_null(strstr(line, "nested"));
    ck_assert_ptr_nonnull(strstr(line, "\"id\":\"r-0002\""));
    ck_assert_ptr_null(fgets(line, sizeof line, f));
    fclose(f);
    unlink(path);
}
END_TEST

START_TEST(strip_reports_next_expiry)
{
    cJSON *v = scored(5000);
    int64_t next = 0;
    ck_assert_int_eq(journal_strip_expired(v, 4999, &next), 0);
    ck_assert_int_eq(next, 5000);
    ck_assert_int_eq(journal_strip_expired(v, 5000, &next), 2);
    ck_assert_int_eq(next, INT64_MAX);
    cJSON_Delete(v);
    /* An unreadable expiry cannot justify keeping the explanation. */
    v = cJSON_Parse("{\"explanation\":\"x\",\"explanation_expires_at\":\"soon\"}");
    ck_assert_int_eq(journal_strip_expired(v, 0, NULL), 1);
    cJSON_Delete(v);
}
END_TEST

START_TEST(record_file_refused_when_unopenable)
{
    journal *j = (journal *)1;
    ck_assert_int_eq(journal_new(1, "/nonexistent/dir/x.jsonl", &j), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("journal");
    TCase *tc = tcase_create("journal");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, ring_is_bounded);
    tcase_add_test(tc, zero_capacity_keeps_nothing);
    tcase_add_test(tc, non_json_body_kept_as_text);
    tcase_add_test(tc, expired_explanations_never_leave);
    tcase_add_test(tc, strip_reports_next_expiry);
    tcase_add_test(tc, record_file_refused_when_unopenable);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
