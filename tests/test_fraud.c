/* Unit: the fraud model's factors, thresholds and explanation, request
 * validation with JSON pointers, the batch store's caps and expiry, and
 * attachment magic numbers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "check_main.h"
#include "fraud.h"
#include "json.h"
#include "receipt.h"

static directory *dir;

static void setup(void)
{
    diag d;
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/directory.yaml", getenv("WXAI_SOURCE_DIR"));
    ck_assert_int_eq(diag_init(&d, path), 0);
    ck_assert_int_eq(directory_load(path, &d, &dir), 0);
    diag_free(&d);
}

static void teardown(void)
{
    directory_free(dir);
}

/* 14:00 Beijing on 2026-12-04 */
#define AFTERNOON 1796364000LL

static fraud_input *calm(void)
{
    fraud_input *in = calloc(1, sizeof *in);
    in->amount = 15000;
    in->currency = "CNY";
    in->payer = "o_alice";
    in->payee = "o_bob";
    in->device = "fp_alice_ipad";
    in->at_unix = AFTERNOON;
    return in;
}

START_TEST(weights_sum_to_100)
{
    int sum = 0;
    for (int f = 0; f < FRAUD_NFACTORS; f++)
        sum += fraud_weight((fraud_factor)f);
    ck_assert_int_eq(sum, 100);
}
END_TEST

START_TEST(thresholds)
{
    ck_assert_str_eq(fraud_level(39), "low");
    ck_assert_str_eq(fraud_level(40), "medium");
    ck_assert_str_eq(fraud_level(69), "medium");
    ck_assert_str_eq(fraud_level(70), "high");
    ck_assert_str_eq(fraud_decision(0), "allow");
    ck_assert_str_eq(fraud_decision(55), "review");
    ck_assert_str_eq(fraud_decision(100), "block");
}
END_TEST

START_TEST(each_factor)
{
    fraud_result r;
    fraud_input *in = calm();
    fraud_score(dir, in, &r);
    ck_assert_int_eq(r.score, 0);
    ck_assert_int_eq(r.nhits, 0);

    in->device = NULL; /* no fingerprint: nothing to compare */
    fraud_score(dir, in, &r);
    ck_assert_int_eq(r.nhits, 0);

    in->payer = "o_unknown"; /* no known devices: any fingerprint is new; no history */
    in->device = "fp_x";
    in->amount = 10000000;
    fraud_score(dir, in, &r);
    ck_assert_int_eq(r.nhits, 1);
    ck_assert_int_eq(r.hits[0].factor, FRAUD_NEW_DEVICE);
    free(in);

    in = calm();
    in->chat[in->nchat++] = "no rush at all";
    in->chat[in->nchat++] = "the QUICKEST way"; /* "quick" at a word start */
    fraud_score(dir, in, &r);
    ck_assert_int_eq(r.nhits, 1);
    ck_assert_int_eq(r.hits[0].factor, FRAUD_URGENT_LANGUAGE);
    in->chat[1] = "a turgentine"; /* not at a word start */
    fraud_score(dir, in, &r);
    ck_assert_int_eq(r.nhits, 0);
    in->chat[1] = "请赶紧";
    fraud_score(dir, in, &r);
    ck_assert_int_eq(r.score, 15);
    free(in);

    in = calm();
    int64_t uniform[] = {200, 210, 190, 200};
    memcpy(in->cadence, uniform, sizeof uniform);
    in->ncadence = 4;
    fraud_score(dir, in, &r);
    ck_assert_int_eq(r.score, 10);
    in->cadence[0] = 400; /* varied: a person */
    fraud_score(dir, in, &r);
    ck_assert_int_eq(r.score, 0);
    free(in);

    in = calm();
    in->at_unix = AFTERNOON - 13 * 3600; /* 01:00 */
    fraud_score(dir, in, &r);
    ck_assert_int_eq(r.score, 10);
    in->at_unix = AFTERNOON - 13 * 3600 - 1; /* 00:59:59 */
    fraud_score(dir, in, &r);
    ck_assert_int_eq(r.score, 0);
    free(in);
}
END_TEST

START_TEST(explanation_and_order)
{
    fraud_result r;
    char buf[320];
    fraud_input *in = calm();
    in->device = "fp_new";
    in->at_unix = AFTERNOON - 11 * 3600; /* 03:00 */
    in->payee = "o_mallory";
    fraud_score(dir, in, &r);
    ck_assert_int_eq(r.score, 55);
    ck_assert_int_eq(r.hits[0].factor, FRAUD_NEW_DEVICE);
    ck_assert_int_eq(r.hits[1].factor, FRAUD_NEW_PAYEE);
    ck_assert_int_eq(r.hits[2].factor, FRAUD_NIGHT_TIME);
    fraud_explain(&r, buf, sizeof buf);
    ck_assert_str_eq(buf, "unusual device fingerprint combined with new or unknown payee account "
                          "and night-time activity");
    fraud_explain(&r, buf, 12); /* cut, still terminated */
    ck_assert_int_eq(strlen(buf), 11);
    free(in);
}
END_TEST

static void parse_fails(const char *json, const char *prefix, const char *field)
{
    cJSON *j = NULL;
    size_t off = 0;
    char f[96], issue[160];
    fraud_input *in = malloc(sizeof *in);
    ck_assert_int_eq(json_parse(json, strlen(json), JSON_MAX_DEPTH, &j, &off), JSON_OK);
    ck_assert_int_eq(fraud_parse(j, prefix, 0, in, f, sizeof f, issue, sizeof issue), -1);
    ck_assert_str_eq(f, field);
    ck_assert_int_gt(strlen(issue), 0);
    cJSON_Delete(j);
    free(in);
}

START_TEST(parse)
{
    const char *ok = "{\"transaction\":{\"amount\":{\"total\":5},\"payer\":{\"openid\":\"a\"},"
                     "\"payee\":{\"openid\":\"b\"}},\"behavior\":{\"typing_cadence_ms\":[1,2]},"
                     "\"chat\":[{\"text\":\"hi\"}],\"context\":{\"reference_time\":"
                     "\"2026-12-04T03:00:00+08:00\"}}";
    cJSON *j = NULL;
    size_t off = 0;
    char f[96], issue[160];
    fraud_input *in = malloc(sizeof *in);
    ck_assert_int_eq(json_parse(ok, strlen(ok), JSON_MAX_DEPTH, &j, &off), JSON_OK);
    ck_assert_int_eq(fraud_parse(j, "", 123, in, f, sizeof f, issue, sizeof issue), 0);
    ck_assert_int_eq(in->amount, 5);
    ck_assert_str_eq(in->currency, "CNY");
    ck_assert_int_eq(in->ncadence, 2);
    ck_assert_int_eq(in->nchat, 1);
    ck_assert_int_eq(in->at_unix, 1796324400LL);
    cJSON_Delete(j);
    free(in);

    /* One lead byte and 6,000 continuation bytes: not one character, not UTF-8 at all. */
    char *junk = malloc(6200);
    int k = snprintf(junk, 6200, "{\"transaction\":{\"amount\":{\"total\":1},\"payer\":"
                                 "{\"openid\":\"a\"},\"payee\":{\"openid\":\"b\"}},"
                                 "\"chat\":[{\"text\":\"\xF0");
    memset(junk + k, 0x80, 6000);
    strcpy(junk + k + 6000, "\"}]}");
    parse_fails(junk, "", "/chat/0/text");
    free(junk);

    parse_fails("{\"transaction\":{\"amount\":{\"total\":\"5\"}}}", "/items/7",
                "/items/7/transaction/amount/total");
    parse_fails("{\"transaction\":{\"amount\":{\"total\":1e16}}}", "", "/transaction/amount/total");
    parse_fails("{\"transaction\":{\"amount\":{\"total\":1},\"payer\":{\"openid\":\"a\"},"
                "\"payee\":{\"openid\":\"b\"}},\"chat\":[{\"text\":\"\"}]}",
                "", "/chat/0/text");
}
END_TEST

START_TEST(batch_store_caps)
{
    batch_store *s = NULL;
    batch_view v;
    char id1[BATCH_ID_LEN], id2[BATCH_ID_LEN], id3[BATCH_ID_LEN];
    int retry = 0;
    ck_assert_int_eq(batch_store_new(2, 10, 1000, &s), BATCH_OK);
    ck_assert_int_eq(batch_put(s, "m", 4, strdup("[1]"), 0, 100, id1, &retry), BATCH_OK);
    ck_assert_int_eq(batch_put(s, "m", 4, strdup("[2]"), 0, 200, id2, &retry), BATCH_OK);
    /* full, both still processing: refused with a retry hint */
    ck_assert_int_eq(batch_put(s, "m", 1, strdup("[3]"), 50, 150, id3, &retry), BATCH_EFULL);
    ck_assert_int_eq(retry, 1);
    ck_assert_int_eq(batch_get(s, id1, "m", 50, &v), BATCH_OK);
    ck_assert(!v.completed);
    ck_assert_ptr_null(v.results);
    ck_assert_int_eq(batch_get(s, id1, "other", 150, &v), BATCH_ENOTFOUND);
    ck_assert_int_eq(batch_get(s, id1, "m", 150, &v), BATCH_OK);
    ck_assert(v.completed);
    ck_assert_str_eq(v.results, "[1]");
    free(v.results);
    /* the oldest completed batch makes room */
    ck_assert_int_eq(batch_put(s, "m", 1, strdup("[3]"), 150, 300, id3, &retry), BATCH_OK);
    ck_assert_int_eq(batch_get(s, id1, "m", 150, &v), BATCH_ENOTFOUND);
    /* more items than the store holds at all */
    ck_assert_int_eq(batch_put(s, "m", 11, strdup("[]"), 150, 300, id1, &retry), BATCH_EFULL);
    /* expiry */
    ck_assert_int_eq(batch_get(s, id2, "m", 1000, &v), BATCH_ENOTFOUND);
    ck_assert_int_eq(batch_count(s), 1);
    batch_store_free(s);
    batch_store_free(NULL);
}
END_TEST

START_TEST(magic_numbers)
{
    ck_assert(receipt_magic_ok("image/png", (const unsigned char *)"\x89PNG\r\n\x1A\n", 8));
    ck_assert(!receipt_magic_ok("image/png", (const unsigned char *)"\x89PNG", 4));
    ck_assert(receipt_magic_ok("image/jpeg", (const unsigned char *)"\xFF\xD8\xFF\xE0", 4));
    ck_assert(receipt_magic_ok("audio/wav", (const unsigned char *)"RIFF\0\0\0\0WAVE", 12));
    ck_assert(!receipt_magic_ok("audio/wav", (const unsigned char *)"RIFF\0\0\0\0WEBP", 12));
    ck_assert(!receipt_magic_ok("video/mp4", (const unsigned char *)"\0\0\0\0ftyp", 8));
}
END_TEST

START_TEST(receipts_in_directory)
{
    ck_assert_int_eq(dir->nreceipts, 2);
    ck_assert_str_eq(dir->receipts[0].order->out_trade_no, "DIN-20261203-0042");
    ck_assert_ptr_eq(directory_receipt_by_sha256(dir, dir->receipts[1].sha256), &dir->receipts[1]);
    unsigned char zero[32] = {0};
    ck_assert_ptr_null(directory_receipt_by_sha256(dir, zero));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fraud");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, weights_sum_to_100);
    tcase_add_test(tc, thresholds);
    tcase_add_test(tc, each_factor);
    tcase_add_test(tc, explanation_and_order);
    tcase_add_test(tc, parse);
    tcase_add_test(tc, batch_store_caps);
    tcase_add_test(tc, magic_numbers);
    tcase_add_test(tc, receipts_in_directory);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
