/* idempotency: a completed key replays its answer, another request under it conflicts, a
 * key still being answered is busy, keys are per merchant, entries expire after 24 h of the
 * clock the caller passes, and the store stays within its entry count and byte cap. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "idempotency.h"

#define T0 1796385600LL /* 2026-12-04T12:00:00Z */
#define MCH "1900000109"
#define PATH "/v3/ai/order-routing"
#define BODY "{\"text\":\"my usual coffee\"}"
#define ANSWER "{\"intent_id\":\"int_1\",\"status\":\"ready\"}"

static idempotency_store *store(size_t cap, size_t bytes)
{
    idempotency_store *s = NULL;
    ck_assert_int_eq(idempotency_store_new(cap, bytes, &s), IDEMPOTENCY_OK);
    return s;
}

static int begin(idempotency_store *s, const char *mch, const char *key, const char *body,
                 int64_t now, uint64_t *t, idempotency_answer *a)
{
    memset(a, 0, sizeof *a);
    return idempotency_begin(s, mch, key, "POST", PATH, body, strlen(body), now, t, a);
}

static void complete(idempotency_store *s, uint64_t t, int status, const char *headers,
                     const char *body)
{
    idempotency_answer a = {.status = status,
                            .headers = (char *)headers,
                            .headers_len = headers ? strlen(headers) : 0,
                            .body = (char *)body,
                            .body_len = strlen(body)};
    ck_assert_int_eq(idempotency_complete(s, t, &a), IDEMPOTENCY_OK);
}

/* Claim key for BODY at now and complete it with ANSWER. */
static void stored(idempotency_store *s, const char *key, int64_t now)
{
    uint64_t t = 0;
    idempotency_answer a;
    ck_assert_int_eq(begin(s, MCH, key, BODY, now, &t, &a), IDEMPOTENCY_OK);
    complete(s, t, 200, NULL, ANSWER);
}

static int state(idempotency_store *s, const char *key, int64_t now)
{
    uint64_t t = 0;
    idempotency_answer a;
    int rc = begin(s, MCH, key, BODY, now, &t, &a);
    idempotency_answer_clear(&a);
    return rc;
}

START_TEST(replays_status_headers_and_body)
{
    idempotency_store *s = store(16, 1 << 20);
    uint64_t t = 0;
    idempotency_answer a;
    ck_assert_int_eq(begin(s, MCH, "k1", BODY, T0, &t, &a), IDEMPOTENCY_OK);
    ck_assert_uint_ne(t, 0);
    complete(s, t, 202, "Location: /v3/ai/order-routing/clarifications/clr_1\r\n", ANSWER);
    uint64_t t2 = 0;
    ck_assert_int_eq(begin(s, MCH, "k1", BODY, T0 + 5, &t2, &a), IDEMPOTENCY_REPLAY);
    ck_assert_int_eq(a.status, 202);
    ck_assert_str_eq(a.body, ANSWER);
    ck_assert_uint_eq(a.body_len, strlen(ANSWER));
    ck_assert_str_eq(a.headers, "Location: /v3/ai/order-routing/clarifications/clr_1\r\n");
    ck_assert_uint_eq(t2, 0); /* a replay claims nothing */
    idempotency_answer_clear(&a);
    ck_assert_ptr_null(a.body);
    ck_assert_uint_eq(idempotency_count(s), 1);
    idempotency_store_free(s);
    idempotency_store_free(NULL);
    idempotency_answer_clear(NULL);
}
END_TEST

START_TEST(another_request_conflicts)
{
    idempotency_store *s = store(16, 1 << 20);
    uint64_t t;
    idempotency_answer a;
    stored(s, "k1", T0);
    ck_assert_int_eq(begin(s, MCH, "k1", "{\"text\":\"something else\"}", T0, &t, &a),
                     IDEMPOTENCY_ECONFLICT);
    /* the same body to another path or with another method is another request too */
    ck_assert_int_eq(idempotency_begin(s, MCH, "k1", "POST", "/v3/ai/fraud-score", BODY,
                                       strlen(BODY), T0, &t, &a),
                     IDEMPOTENCY_ECONFLICT);
    ck_assert_int_eq(idempotency_begin(s, MCH, "k1", "PUT", PATH, BODY, strlen(BODY), T0, &t, &a),
                     IDEMPOTENCY_ECONFLICT);
    /* a conflict leaves the stored answer as it was */
    ck_assert_int_eq(state(s, "k1", T0), IDEMPOTENCY_REPLAY);
    idempotency_store_free(s);
}
END_TEST

START_TEST(in_progress_is_busy_until_completed_or_released)
{
    idempotency_store *s = store(16, 1 << 20);
    uint64_t t = 0, t2 = 0;
    idempotency_answer a;
    ck_assert_int_eq(begin(s, MCH, "k1", BODY, T0, &t, &a), IDEMPOTENCY_OK);
    ck_assert_int_eq(begin(s, MCH, "k1", BODY, T0, &t2, &a), IDEMPOTENCY_EBUSY);
    ck_assert_int_eq(begin(s, MCH, "k1", "{}", T0, &t2, &a), IDEMPOTENCY_ECONFLICT);
    /* released (a transient answer): the key is free for a real retry */
    idempotency_release(s, t);
    ck_assert_uint_eq(idempotency_count(s), 0);
    ck_assert_uint_eq(idempotency_bytes(s), 0);
    ck_assert_int_eq(begin(s, MCH, "k1", "{}", T0, &t2, &a), IDEMPOTENCY_OK);
    ck_assert_uint_ne(t2, t);
    /* the old ticket no longer names anything */
    idempotency_release(s, t);
    ck_assert_uint_eq(idempotency_count(s), 1);
    idempotency_answer x = {.status = 200, .body = "{}", .body_len = 2};
    ck_assert_int_eq(idempotency_complete(s, t, &x), IDEMPOTENCY_EGONE);
    ck_assert_int_eq(idempotency_complete(s, t2, &x), IDEMPOTENCY_OK);
    ck_assert_int_eq(idempotency_complete(s, t2, &x), IDEMPOTENCY_EGONE); /* once */
    ck_assert_int_eq(begin(s, MCH, "k1", "{}", T0, &t2, &a), IDEMPOTENCY_REPLAY);
    idempotency_answer_clear(&a);
    idempotency_store_free(s);
}
END_TEST

START_TEST(keys_are_per_merchant)
{
    idempotency_store *s = store(16, 1 << 20);
    uint64_t t;
    idempotency_answer a;
    stored(s, "k1", T0);
    ck_assert_int_eq(begin(s, "1900000110", "k1", "{\"other\":1}", T0, &t, &a), IDEMPOTENCY_OK);
    ck_assert_int_eq(state(s, "k1", T0), IDEMPOTENCY_REPLAY);
    /* the id is (merchant, key), not their concatenation */
    ck_assert_int_eq(begin(s, "190000010", "9k1", BODY, T0, &t, &a), IDEMPOTENCY_OK);
    idempotency_store_free(s);
}
END_TEST

START_TEST(expires_after_24_hours_of_the_given_clock)
{
    idempotency_store *s = store(16, 1 << 20);
    uint64_t t;
    idempotency_answer a;
    stored(s, "k1", T0);
    ck_assert_int_eq(state(s, "k1", T0 + IDEMPOTENCY_TTL_S - 1), IDEMPOTENCY_REPLAY);
    /* expired: another body is a new request, not a conflict */
    ck_assert_int_eq(begin(s, MCH, "k1", "{}", T0 + IDEMPOTENCY_TTL_S, &t, &a), IDEMPOTENCY_OK);
    ck_assert_uint_eq(idempotency_count(s), 1);
    /* a pending claim expires too (its 24 h count from the claim) */
    ck_assert_int_eq(begin(s, MCH, "k1", "{}", T0 + IDEMPOTENCY_TTL_S + 1, &t, &a),
                     IDEMPOTENCY_EBUSY);
    ck_assert_int_eq(begin(s, MCH, "k1", "{}", T0 + 2 * IDEMPOTENCY_TTL_S, &t, &a), IDEMPOTENCY_OK);
    idempotency_store_free(s);
}
END_TEST

START_TEST(evicts_the_oldest_past_the_entry_count)
{
    idempotency_store *s = store(4, 1 << 20);
    char key[16];
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "k%d", i);
        stored(s, key, T0 + i);
    }
    ck_assert_uint_eq(idempotency_count(s), 4);
    for (int i = 2; i < 6; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(state(s, key, T0 + 10), IDEMPOTENCY_REPLAY);
    }
    ck_assert_int_eq(state(s, "k1", T0 + 10), IDEMPOTENCY_OK); /* evicted: fresh */
    ck_assert_uint_eq(idempotency_count(s), 4);
    ck_assert_int_eq(state(s, "k2", T0 + 10), IDEMPOTENCY_OK); /* the oldest made room */
    ck_assert_int_eq(state(s, "k5", T0 + 10), IDEMPOTENCY_REPLAY);
    idempotency_store_free(s);
}
END_TEST

START_TEST(evicts_the_oldest_past_the_byte_cap)
{
    char body[301], key[16];
    memset(body, 'x', 300);
    body[300] = '\0';
    idempotency_store *s = store(64, 1000);
    uint64_t t;
    idempotency_answer a;
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(begin(s, MCH, key, BODY, T0, &t, &a), IDEMPOTENCY_OK);
        complete(s, t, 200, NULL, body);
        ck_assert_uint_le(idempotency_bytes(s), 1000);
    }
    /* 300 bytes of body plus 12 of id each: three fit in 1,000 */
    ck_assert_uint_eq(idempotency_count(s), 3);
    ck_assert_uint_eq(idempotency_bytes(s), 3 * (300 + strlen(MCH) + 2));
    ck_assert_int_eq(state(s, "k4", T0), IDEMPOTENCY_REPLAY);
    ck_assert_int_eq(state(s, "k2", T0), IDEMPOTENCY_REPLAY);
    ck_assert_int_eq(state(s, "k1", T0), IDEMPOTENCY_OK);

    /* an answer over the cap on its own is not kept, and its key is free again */
    char big[1200];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(begin(s, MCH, "huge", BODY, T0, &t, &a), IDEMPOTENCY_OK);
    idempotency_answer x = {.status = 200, .body = big, .body_len = strlen(big)};
    ck_assert_int_eq(idempotency_complete(s, t, &x), IDEMPOTENCY_ETOOBIG);
    ck_assert_int_eq(state(s, "huge", T0), IDEMPOTENCY_OK);
    ck_assert_int_eq(state(s, "k4", T0), IDEMPOTENCY_REPLAY); /* nothing else was evicted for it */
    ck_assert_uint_le(idempotency_bytes(s), 1000);
    idempotency_store_free(s);
}
END_TEST

START_TEST(a_pending_claim_evicted_is_gone)
{
    idempotency_store *s = store(2, 1 << 20);
    uint64_t t;
    idempotency_answer a;
    ck_assert_int_eq(begin(s, MCH, "slow", BODY, T0, &t, &a), IDEMPOTENCY_OK);
    stored(s, "a", T0);
    stored(s, "b", T0);
    idempotency_answer x = {.status = 200, .body = "{}", .body_len = 2};
    ck_assert_int_eq(idempotency_complete(s, t, &x), IDEMPOTENCY_EGONE);
    ck_assert_uint_eq(idempotency_count(s), 2);
    idempotency_store_free(s);
}
END_TEST

START_TEST(key_length_is_bounded)
{
    idempotency_store *s = store(16, 1 << 20);
    char key[IDEMPOTENCY_KEY_MAX + 2];
    uint64_t t;
    idempotency_answer a;
    ck_assert_int_eq(begin(s, MCH, "", BODY, T0, &t, &a), IDEMPOTENCY_EKEY);
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0'; /* 256 bytes */
    ck_assert_int_eq(begin(s, MCH, key, BODY, T0, &t, &a), IDEMPOTENCY_EKEY);
    key[IDEMPOTENCY_KEY_MAX] = '\0'; /* 255 */
    ck_assert_int_eq(begin(s, MCH, key, BODY, T0, &t, &a), IDEMPOTENCY_OK);
    ck_assert_uint_eq(idempotency_count(s), 1);
    idempotency_store_free(s);
}
END_TEST

START_TEST(clear_forgets_everything)
{
    idempotency_store *s = store(16, 1 << 20);
    uint64_t t;
    idempotency_answer a;
    stored(s, "k1", T0);
    ck_assert_int_eq(begin(s, MCH, "k2", BODY, T0, &t, &a), IDEMPOTENCY_OK);
    idempotency_clear(s);
    ck_assert_uint_eq(idempotency_count(s), 0);
    ck_assert_uint_eq(idempotency_bytes(s), 0);
    idempotency_answer x = {.status = 200, .body = "{}", .body_len = 2};
    ck_assert_int_eq(idempotency_complete(s, t, &x), IDEMPOTENCY_EGONE);
    ck_assert_int_eq(state(s, "k1", T0), IDEMPOTENCY_OK);
    stored(s, "k3", T0); /* still usable after a clear */
    ck_assert_int_eq(state(s, "k3", T0), IDEMPOTENCY_REPLAY);
    idempotency_store_free(s);
}
END_TEST

/* Many threads racing with one key: exactly one gets the claim. */
typedef struct race {
    idempotency_store *s;
    int rc;
} race;

static void *racer(void *p)
{
    race *r = p;
    uint64_t t;
    idempotency_answer a;
    r->rc = begin(r->s, MCH, "same", BODY, T0, &t, &a);
    idempotency_answer_clear(&a);
    return NULL;
}

START_TEST(one_claim_among_concurrent_requests)
{
    enum { N = 16 };
    idempotency_store *s = store(64, 1 << 20);
    pthread_t th[N];
    race r[N];
    for (int i = 0; i < N; i++) {
        r[i].s = s;
        ck_assert_int_eq(pthread_create(&th[i], NULL, racer, &r[i]), 0);
    }
    int ok = 0, busy = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ok += r[i].rc == IDEMPOTENCY_OK;
        busy += r[i].rc == IDEMPOTENCY_EBUSY;
    }
    ck_assert_int_eq(ok, 1);
    ck_assert_int_eq(busy, N - 1);
    idempotency_store_free(s);
}
END_TEST

static Suite *idempotency_suite(void)
{
    Suite *s = suite_create("idempotency");
    TCase *t = tcase_create("store");
    tcase_add_test(t, replays_status_headers_and_body);
    tcase_add_test(t, another_request_conflicts);
    tcase_add_test(t, in_progress_is_busy_until_completed_or_released);
    tcase_add_test(t, keys_are_per_merchant);
    tcase_add_test(t, expires_after_24_hours_of_the_given_clock);
    tcase_add_test(t, evicts_the_oldest_past_the_entry_count);
    tcase_add_test(t, evicts_the_oldest_past_the_byte_cap);
    tcase_add_test(t, a_pending_claim_evicted_is_gone);
    tcase_add_test(t, key_length_is_bounded);
    tcase_add_test(t, clear_forgets_everything);
    tcase_add_test(t, one_claim_among_concurrent_requests);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(idempotency_suite)
