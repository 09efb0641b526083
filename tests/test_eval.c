/* The labelled phrasings keep the model honest: accuracy, calibration and the
 * precision of confident answers cannot regress without this suite failing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "diag.h"
#include "directory.h"
#include "eval.h"

static directory *dir;
static diag dg;

static void setup(void)
{
    diag_init(&dg, "directory.yaml");
    ck_assert_int_eq(directory_load(WXAI_SOURCE_DIR "/fixtures/directory.yaml", &dg, &dir), 0);
}

static void teardown(void)
{
    directory_free(dir);
    diag_free(&dg);
}

START_TEST(phrasings_meet_the_bars)
{
    eval_summary s;
    FILE *sink = fopen("/dev/null", "w");
    ck_assert_int_eq(eval_run(WXAI_SOURCE_DIR "/fixtures/phrasings.tsv", dir, 0.85, sink, &s), 0);
    fclose(sink);
    ck_assert_uint_ge(s.rows, 300);
    ck_assert_uint_eq(s.bad_lines, 0);
    ck_assert_msg(s.accuracy >= 0.98, "accuracy %.3f", s.accuracy);
    ck_assert_msg(s.auc >= 0.85, "ROC AUC %.3f", s.auc);
    ck_assert_uint_ge(s.above, 200);
    ck_assert_msg(s.precision_above >= 0.97, "precision above 0.85: %.3f", s.precision_above);
    ck_assert_uint_ge(s.locale_correct * 100, s.rows * 99);
}
END_TEST

START_TEST(missing_file_is_an_error)
{
    eval_summary s;
    FILE *sink = fopen("/dev/null", "w");
    ck_assert_int_eq(eval_run("/nonexistent/phrasings.tsv", dir, 0.85, sink, &s), -1);
    fclose(sink);
}
END_TEST

START_TEST(misses_are_reported)
{
    char path[] = "/tmp/wxai-eval-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("text\tintent\ttotal\tcurrency\tpeople\tlang\n# comment\n"
          "pay Bob 50\tpay\t5000\tCNY\to_bob\ten\n"
          "pay Bob 50\trefund\t5000\tCNY\to_bob\ten\n"
          "pay alice 50\tclarify\tpayee\t\t\ten\n"
          "not enough fields\tpay\n",
          f);
    fclose(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    eval_summary s;
    ck_assert_int_eq(eval_run(path, dir, 0.85, out, &s), 0);
    fclose(out);
    remove(path);
    ck_assert_uint_eq(s.rows, 3);
    ck_assert_uint_eq(s.correct, 2);
    ck_assert_uint_eq(s.bad_lines, 1);
    ck_assert_ptr_nonnull(strstr(buf, "line 4: pay Bob 50"));
    ck_assert_ptr_nonnull(strstr(buf, "ROC AUC"));
    free(buf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("eval");
    TCase *tc = tcase_create("eval");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, phrasings_meet_the_bars);
    tcase_add_test(tc, missing_file_is_an_error);
    tcase_add_test(tc, misses_are_reported);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
