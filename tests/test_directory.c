/* directory: loading the shipped fixtures, validation errors and name lookups. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "diag.h"
#include "directory.h"

#define FIXTURE(p) WXAI_SOURCE_DIR "/" p

static directory *load_ok(void)
{
    diag d;
    directory *dir = NULL;
    diag_init(&d, "directory.yaml");
    int rc = directory_load(FIXTURE("fixtures/directory.yaml"), &d, &dir);
    char *all = diag_join(&d);
    ck_assert_msg(rc == 0, "errors: %s", all);
    free(all);
    diag_free(&d);
    return dir;
}

START_TEST(shipped_fixture_loads)
{
    directory *dir = load_ok();
    ck_assert_uint_ge(dir->npeople, 10);
    ck_assert_uint_ge(dir->norders, 6);
    const directory_person *bob = directory_person_by_openid(dir, "o_bob");
    ck_assert_ptr_nonnull(bob);
    ck_assert_str_eq(bob->name, "Bob");
    ck_assert_int_eq(bob->typical_amount_fen, 20000);
    ck_assert_str_eq(bob->devices[0], "fp_bob_pixel8");
    const directory_order *o = &dir->orders[0];
    ck_assert_str_eq(o->out_trade_no, "DIN-20261203-0042");
    ck_assert_int_eq(o->total, 36000);
    ck_assert_str_eq(o->currency, "CNY");
    ck_assert_int_eq(o->at_unix, 1796301000); /* 2026-12-03T12:30:00Z */
    ck_assert_str_eq(o->payer, "o_carol");
    ck_assert_int_eq(o->nparticipants, 2);
    ck_assert_ptr_null(o->category);
    ck_assert_str_eq(dir->orders[5].category, "real_estate_deposit");
    ck_assert_ptr_null(directory_person_by_openid(dir, "o_nobody"));
    directory_free(dir);
}
END_TEST

START_TEST(two_alices)
{
    directory *dir = load_ok();
    const directory_person *out[4];
    /* "alice" is Alice's name (case-folded) and an alias of Alice Li */
    ck_assert_uint_eq(directory_find_people(dir, "alice", 5, out, 4), 2);
    ck_assert_str_eq(out[0]->openid, "o_alice");
    ck_assert_str_eq(out[1]->openid, "o_alice_li");
    ck_assert_uint_eq(directory_find_people(dir, "ALICE LI", 8, out, 4), 1);
    ck_assert_str_eq(out[0]->openid, "o_alice_li");
    /* total is returned even when cap is smaller */
    ck_assert_uint_eq(directory_find_people(dir, "Alice", 5, out, 1), 2);
    ck_assert_uint_eq(directory_find_people(dir, "alic", 4, out, 4), 0);
    /* not NUL-terminated: only len bytes count */
    ck_assert_uint_eq(directory_find_people(dir, "bobby", 3, out, 4), 1);
    ck_assert_str_eq(out[0]->openid, "o_bob");
    directory_free(dir);
}
END_TEST

START_TEST(chinese_aliases)
{
    directory *dir = load_ok();
    const directory_person *out[4];
    const char *ai = "爱丽丝";
    ck_assert_uint_eq(directory_find_people(dir, ai, strlen(ai), out, 4), 1);
    ck_assert_str_eq(out[0]->openid, "o_alice");
    const char *xm = "小明";
    ck_assert_uint_eq(directory_find_people(dir, xm, strlen(xm), out, 4), 1);
    ck_assert_str_eq(out[0]->openid, "o_xiaoming");
    ck_assert_uint_eq(directory_find_people(dir, "Xiao Ming", 9, out, 4), 1);
    const char *fd = "房东";
    ck_assert_uint_eq(directory_find_people(dir, fd, strlen(fd), out, 4), 1);
    ck_assert_str_eq(out[0]->openid, "o_landlord");
    ck_assert_uint_eq(directory_find_people(NULL, "x", 1, out, 4), 0);
    directory_free(dir);
}
END_TEST

static char *load_errors(const char *path, const char *shown)
{
    diag d;
    directory *dir = NULL;
    diag_init(&d, shown);
    ck_assert_int_eq(directory_load(path, &d, &dir), -1);
    ck_assert_ptr_null(dir);
    char *all = diag_join(&d);
    diag_free(&d);
    return all;
}

START_TEST(every_error_at_once)
{
    char *all = load_errors(FIXTURE("tests/data/dir_bad.yaml"), "dir_bad.yaml");
    ck_assert_str_eq(all, "dir_bad.yaml:4:5: unknown key 'nmae' (did you mean 'name'?)\n"
                          "dir_bad.yaml:5:14: people[0].aliases: at most 8 entries allowed, got 9\n"
                          "dir_bad.yaml:6:5: people[1]: missing required key 'name'\n"
                          "dir_bad.yaml:7:25: people[1].typical_amount_fen: must be a "
                          "non-negative integer\n"
                          "dir_bad.yaml:12:15: orders[0].currency: must be a three-letter ISO "
                          "4217 code such as CNY\n"
                          "dir_bad.yaml:13:9: orders[0].at: must be an RFC 3339 time such as "
                          "\"2026-12-03T20:30:00+08:00\"");
    free(all);
}
END_TEST

START_TEST(references_checked)
{
    char *all = load_errors(FIXTURE("tests/data/dir_refs.yaml"), "dir_refs.yaml");
    ck_assert_str_eq(
        all,
        "dir_refs.yaml:3:14: people[1].openid: duplicate openid 'o_a' (first defined at 2:14)\n"
        "dir_refs.yaml:5:86: orders[0].payer: no person with openid 'o_zed'\n"
        "dir_refs.yaml:5:113: orders[0].participants[1]: no person with openid 'o_nobody'");
    free(all);
}
END_TEST

START_TEST(missing_file)
{
    char *all = load_errors("/nonexistent/dir.yaml", "dir.yaml");
    ck_assert_ptr_nonnull(strstr(all, "cannot open"));
    free(all);
    directory_free(NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("directory");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, shipped_fixture_loads);
    tcase_add_test(tc, two_alices);
    tcase_add_test(tc, chinese_aliases);
    tcase_add_test(tc, every_error_at_once);
    tcase_add_test(tc, references_checked);
    tcase_add_test(tc, missing_file);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
