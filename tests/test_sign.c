/* Signing against fixed vectors. The expected values were computed with an
 * independent tool, e.g. for the first one:
 *
 *   printf
 * 'POST\n/v3/ai/order-routing\n1764849600\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\n{"text":"split the
 * dinner bill"}\n' \ | openssl dgst -sha256 -hmac "demo-key-A-0123456789abcdef0123456789" -binary |
 * base64
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base64.h"
#include "check_main.h"
#include "rng.h"
#include "sign.h"

#define KEY_A "demo-key-A-0123456789abcdef0123456789"
#define KEY_B "demo-key-B-fedcba9876543210fedcba9876"

START_TEST(request_vector_body)
{
    char sig[SIGN_B64_LEN];
    const char *body = "{\"text\":\"split the dinner bill\"}";
    ck_assert_int_eq(sign_request(KEY_A, strlen(KEY_A), "POST", "/v3/ai/order-routing",
                                  "1764849600", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", body,
                                  strlen(body), sig, sizeof sig),
                     0);
    ck_assert_str_eq(sig, "IiHEvY5ln0W+6ThecMUn0xvcjlTyDZvbTUdsOSsjXLE=");
}
END_TEST

START_TEST(request_vector_get_with_query)
{
    char sig[SIGN_B64_LEN];
    ck_assert_int_eq(sign_request(KEY_B, strlen(KEY_B), "GET", "/v3/ai/fraud-score/batches/b_1?x=1",
                                  "1764849600", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", NULL, 0, sig,
                                  sizeof sig),
                     0);
    ck_assert_str_eq(sig, "71iY6ZkQVaYhG9ELuxV1ADuf4wUbxwXIPNMoIeGP2HU=");
}
END_TEST

START_TEST(request_vector_utf8)
{
    char sig[SIGN_B64_LEN];
    const char *body = "{\"text\":\"平分晚饭\"}";
    ck_assert_int_eq(sign_request(KEY_A, strlen(KEY_A), "POST", "/v3/ai/order-routing",
                                  "1764849600", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", body,
                                  strlen(body), sig, sizeof sig),
                     0);
    ck_assert_str_eq(sig, "kFluA5Xw0jQlNG+6MLvvdSHXq4GvaSquzGYlSlkgjZ0=");
}
END_TEST

START_TEST(response_vector)
{
    char sig[SIGN_B64_LEN];
    const char *body = "{\"status\":\"ready\"}";
    ck_assert_int_eq(sign_response(KEY_A, strlen(KEY_A), "1764849600",
                                   "ZYXWVUTSRQPONMLKJIHGFEDCBA987654", body, strlen(body), sig,
                                   sizeof sig),
                     0);
    ck_assert_str_eq(sig, "MejJwnWiMX4RqumLYhB3uBnWJjXna6oKEPk1tlCAATI=");
}
END_TEST

START_TEST(one_byte_changes_signature)
{
    char a[SIGN_B64_LEN], b[SIGN_B64_LEN];
    sign_request(KEY_A, strlen(KEY_A), "POST", "/x", "1", "n", "{}", 2, a, sizeof a);
    sign_request(KEY_A, strlen(KEY_A), "POST", "/x", "1", "n", "{ }", 3, b, sizeof b);
    ck_assert_str_ne(a, b);
    sign_request(KEY_B, strlen(KEY_B), "POST", "/x", "1", "n", "{}", 2, b, sizeof b);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(equal_compares_whole_string)
{
    ck_assert_int_eq(sign_equal("abc=", "abc="), 1);
    ck_assert_int_eq(sign_equal("abc=", "abd="), 0);
    ck_assert_int_eq(sign_equal("abc=", "abc"), 0);
    ck_assert_int_eq(sign_equal("abc=", NULL), 0);
}
END_TEST

START_TEST(small_buffer_refused)
{
    char sig[10];
    ck_assert_int_eq(sign_request(KEY_A, 3, "GET", "/", "1", "n", NULL, 0, sig, sizeof sig), -1);
}
END_TEST

START_TEST(base64_round_trip_and_strictness)
{
    char enc[64];
    unsigned char dec[64];
    size_t n;
    ck_assert_int_eq(base64_encode("1900000109:s3cr3t", 17, enc, sizeof enc), 0);
    ck_assert_str_eq(enc, "MTkwMDAwMDEwOTpzM2NyM3Q=");
    ck_assert_int_eq(base64_decode(enc, strlen(enc), dec, sizeof dec, &n), 0);
    ck_assert_uint_eq(n, 17);
    ck_assert_int_eq(memcmp(dec, "1900000109:s3cr3t", 17), 0);
    ck_assert_int_eq(base64_decode("abc", 3, dec, sizeof dec, &n), -1);  /* length */
    ck_assert_int_eq(base64_decode("ab=c", 4, dec, sizeof dec, &n), -1); /* padding */
    ck_assert_int_eq(base64_decode("ab c", 4, dec, sizeof dec, &n), -1); /* space */
    ck_assert_int_eq(base64_decode("YWJj", 4, dec, 2, &n), -1);          /* cap */
    ck_assert_int_eq(base64_decode("YQ==", 4, dec, sizeof dec, &n), 0);
    ck_assert_uint_eq(n, 1);
}
END_TEST

/* sign_parts resumes saved SHA-256 states and encodes by hand: compared with OpenSSL's
 * one-shot HMAC and its encoder on random parts (empty, short, around 256 bytes, long),
 * keys of every size around a SHA-256 block, and random bytes. */
START_TEST(parts_match_openssl_hmac)
{
    static unsigned char data[2048];
    uint64_t st = 20261205;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)rng_next(&st);
    for (int round = 0; round < 3000; round++) {
        size_t nparts = 1 + rng_next(&st) % 5, keylen = 1 + rng_next(&st) % 80;
        const char *parts[5];
        size_t lens[5], at = 0;
        unsigned char msg[5 * 700], mac[32];
        size_t mlen = 0;
        for (size_t i = 0; i < nparts; i++) {
            uint64_t r = rng_next(&st);
            lens[i] = r % 4 == 0 ? 240 + r / 4 % 32 : r % 4 == 1 ? r / 4 % 700 : r / 4 % 40;
            at = rng_next(&st) % (sizeof data - 700);
            parts[i] = (const char *)data + at;
            memcpy(msg + mlen, parts[i], lens[i]);
            mlen += lens[i];
            msg[mlen++] = '\n';
        }
        const unsigned char *key = data + rng_next(&st) % 1000;
        char got[SIGN_B64_LEN], want[SIGN_B64_LEN];
        unsigned maclen = 0;
        ck_assert_int_eq(sign_parts(key, keylen, parts, lens, nparts, got, sizeof got), 0);
        ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)keylen, msg, mlen, mac, &maclen));
        EVP_EncodeBlock((unsigned char *)want, mac, (int)maclen);
        ck_assert_msg(strcmp(got, want) == 0, "round %d: %s != %s", round, got, want);
        ck_assert_int_eq(sign_equal(want, got), 1);
        got[round % 44] ^= 1;
        ck_assert_int_eq(sign_equal(want, got), 0);
    }
}
END_TEST

START_TEST(base64_matches_openssl_on_every_length)
{
    unsigned char in[100];
    char got[160], want[160];
    uint64_t st = 7;
    for (size_t n = 0; n <= sizeof in; n++) {
        for (size_t i = 0; i < n; i++)
            in[i] = (unsigned char)rng_next(&st);
        ck_assert_int_eq(base64_encode(in, n, got, base64_encoded_size(n)), 0);
        EVP_EncodeBlock((unsigned char *)want, in, (int)n);
        ck_assert_str_eq(got, want);
        ck_assert_int_eq(base64_encode(in, n, got, base64_encoded_size(n) - 1), -1);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sign");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, request_vector_body);
    tcase_add_test(tc, request_vector_get_with_query);
    tcase_add_test(tc, request_vector_utf8);
    tcase_add_test(tc, response_vector);
    tcase_add_test(tc, one_byte_changes_signature);
    tcase_add_test(tc, equal_compares_whole_string);
    tcase_add_test(tc, small_buffer_refused);
    tcase_add_test(tc, base64_round_trip_and_strictness);
    tcase_add_test(tc, parts_match_openssl_hmac);
    tcase_add_test(tc, base64_matches_openssl_on_every_length);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
