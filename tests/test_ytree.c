/* ytree and diag: positions, strictness and the scalar helpers. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "diag.h"
#include "ytree.h"

static diag D;
static ytree_node *T;

static int parse(const char *text)
{
    diag_free(&D);
    ck_assert_int_eq(diag_init(&D, "x.yaml"), 0);
    ytree_free(T);
    T = NULL;
    return ytree_parse(text, strlen(text), &D, &T);
}

static void setup(void)
{
    memset(&D, 0, sizeof D);
    T = NULL;
}

static void teardown(void)
{
    diag_free(&D);
    ytree_free(T);
    T = NULL;
}

START_TEST(positions_are_one_based)
{
    ck_assert_int_eq(parse("a: 1\nb:\n  - x\n  - \"y\"\n"), 0);
    ck_assert_int_eq(T->kind, YT_MAP);
    ck_assert_int_eq(T->line, 1);
    ck_assert_int_eq(T->col, 1);
    const ytree_node *b = ytree_get(T, "b");
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(b->kind, YT_SEQ);
    ck_assert_int_eq(b->nitems, 2);
    ck_assert_int_eq(b->items[0]->line, 3);
    ck_assert_int_eq(b->items[0]->col, 5);
    ck_assert_int_eq(b->items[0]->plain, 1);
    ck_assert_int_eq(b->items[1]->plain, 0);
    ck_assert_str_eq(b->items[1]->str, "y");
    ck_assert_int_eq(T->pairs[1].key->line, 2);
    ck_assert_ptr_null(ytree_get(T, "c"));
    ck_assert_ptr_null(ytree_get(b, "x"));
}
END_TEST

START_TEST(duplicate_key_names_both_places)
{
    ck_assert_int_eq(parse("a: 1\nb: 2\n  \nc:\n  d: 1\n  d: 2\na: 3\n"), -1);
    ck_assert_int_eq(diag_count(&D), 2);
    ck_assert_str_eq(D.msgs[0], "x.yaml:6:3: duplicate key 'd' (first defined at 5:3)");
    ck_assert_str_eq(D.msgs[1], "x.yaml:7:1: duplicate key 'a' (first defined at 1:1)");
    ck_assert_ptr_null(T);
}
END_TEST

START_TEST(aliases_and_anchors_refused)
{
    ck_assert_int_eq(parse("base: &b {x: 1}\nother: *b\n"), -1);
    ck_assert_int_eq(diag_count(&D), 2);
    ck_assert_str_eq(D.msgs[0], "x.yaml:1:7: anchors (&name) are not allowed");
    ck_assert_str_eq(D.msgs[1], "x.yaml:2:8: aliases (*name) are not allowed");
}
END_TEST

START_TEST(depth_is_bounded)
{
    char buf[256] = "";
    for (int i = 0; i < YTREE_MAX_DEPTH; i++)
        strcat(buf, "[");
    for (int i = 0; i < YTREE_MAX_DEPTH; i++)
        strcat(buf, "]");
    ck_assert_int_eq(parse(buf), 0);
    strcpy(buf, "");
    for (int i = 0; i < YTREE_MAX_DEPTH + 1; i++)
        strcat(buf, "[");
    for (int i = 0; i < YTREE_MAX_DEPTH + 1; i++)
        strcat(buf, "]");
    ck_assert_int_eq(parse(buf), -1);
    ck_assert_int_eq(diag_count(&D), 1);
    ck_assert_str_eq(D.msgs[0], "x.yaml:1:33: nesting deeper than 32 levels");
}
END_TEST

START_TEST(syntax_error_has_position)
{
    ck_assert_int_eq(parse("a: 1\nb: [1, 2\nc: 3\n"), -1);
    ck_assert_int_eq(diag_count(&D), 1);
    /* libyaml's problem mark, made 1-based */
    ck_assert_msg(strncmp(D.msgs[0], "x.yaml:3:2: ", 12) == 0, "got %s", D.msgs[0]);
    ck_assert_int_eq(parse("a: b: c\n"), -1);
    ck_assert_str_eq(D.msgs[0], "x.yaml:1:5: mapping values are not allowed in this context");
}
END_TEST

START_TEST(one_document_only)
{
    ck_assert_int_eq(parse("a: 1\n---\nb: 2\n"), -1);
    ck_assert_str_eq(D.msgs[0], "x.yaml:2:1: only one YAML document is allowed per file");
}
END_TEST

START_TEST(non_scalar_keys_refused)
{
    ck_assert_int_eq(parse("? [a, b]\n: 1\n"), -1);
    ck_assert_str_eq(D.msgs[0], "x.yaml:1:3: mapping keys must be scalars");
}
END_TEST

START_TEST(empty_is_null)
{
    ck_assert_int_eq(parse(""), 0);
    ck_assert_int_eq(T->kind, YT_SCALAR);
    ck_assert(ytree_is_null(T));
}
END_TEST

START_TEST(ints)
{
    ck_assert_int_eq(parse("[42, -7, +3, 9223372036854775807, -9223372036854775808, "
                           "9223372036854775808, \"5\", 1.5, 0x10, 1_000, '', x]"),
                     0);
    int64_t v;
    ck_assert_int_eq(ytree_int(T->items[0], &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(ytree_int(T->items[1], &v), 0);
    ck_assert_int_eq(v, -7);
    ck_assert_int_eq(ytree_int(T->items[2], &v), 0);
    ck_assert_int_eq(v, 3);
    ck_assert_int_eq(ytree_int(T->items[3], &v), 0);
    ck_assert(v == INT64_MAX);
    ck_assert_int_eq(ytree_int(T->items[4], &v), 0);
    ck_assert(v == INT64_MIN);
    for (size_t i = 5; i < T->nitems; i++)
        ck_assert_msg(ytree_int(T->items[i], &v) == -1, "item %zu accepted", i);
    ck_assert_int_eq(ytree_int(T, &v), -1);
    ck_assert_int_eq(ytree_int(NULL, &v), -1);
}
END_TEST

START_TEST(doubles_and_bools)
{
    ck_assert_int_eq(parse("[0.85, 1, -2.5e3, .5, \"0.5\", inf, nan, 0x1p3, 1e999, true, False, "
                           "yes, \"true\"]"),
                     0);
    double v;
    ck_assert_int_eq(ytree_double(T->items[0], &v), 0);
    ck_assert(v == 0.85);
    ck_assert_int_eq(ytree_double(T->items[1], &v), 0);
    ck_assert(v == 1.0);
    ck_assert_int_eq(ytree_double(T->items[2], &v), 0);
    ck_assert(v == -2500.0);
    ck_assert_int_eq(ytree_double(T->items[3], &v), 0);
    ck_assert(v == 0.5);
    for (size_t i = 4; i < 9; i++)
        ck_assert_msg(ytree_double(T->items[i], &v) == -1, "item %zu accepted", i);
    int b;
    ck_assert_int_eq(ytree_bool(T->items[9], &b), 0);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(ytree_bool(T->items[10], &b), 0);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(ytree_bool(T->items[11], &b), -1);
    ck_assert_int_eq(ytree_bool(T->items[12], &b), -1);
}
END_TEST

START_TEST(nearest)
{
    const char *const known[] = {"confidence_threshold", "token_ttl_s", "time_scale", "name"};
    ck_assert_str_eq(ytree_nearest("confidence_thresold", known, 4), "confidence_threshold");
    ck_assert_str_eq(ytree_nearest("nmae", known, 4), "name");
    ck_assert_str_eq(ytree_nearest("time_scal", known, 4), "time_scale");
    ck_assert_ptr_null(ytree_nearest("zzzzzz", known, 4));
    ck_assert_ptr_null(ytree_nearest("x", NULL, 0));
}
END_TEST

START_TEST(unknown_keys_suggest)
{
    const char *const known[] = {"threshold", "ttl"};
    ck_assert_int_eq(parse("threshold: 1\n\nthresold: 2\nwhatever: 3\n"), 0);
    ck_assert_int_eq(ytree_check_keys(T, known, 2, &D), 2);
    ck_assert_str_eq(D.msgs[0], "x.yaml:3:1: unknown key 'thresold' (did you mean 'threshold'?)");
    ck_assert_str_eq(D.msgs[1], "x.yaml:4:1: unknown key 'whatever'");
}
END_TEST

START_TEST(diag_caps_and_joins)
{
    diag d;
    ck_assert_int_eq(diag_init(&d, "f.yaml"), 0);
    diag_add(&d, 1, 2, "one %d", 1);
    diag_add(&d, 0, 0, "no position");
    char *j = diag_join(&d);
    ck_assert_str_eq(j, "f.yaml:1:2: one 1\nf.yaml: no position");
    free(j);
    for (int i = 0; i < 100; i++)
        diag_add(&d, i + 3, 1, "e%d", i);
    ck_assert_int_eq(diag_count(&d), 102);
    ck_assert_int_eq(d.n, DIAG_MAX);
    ck_assert_ptr_nonnull(strstr(d.msgs[DIAG_MAX - 1], "too many errors"));
    diag_free(&d);
    diag_free(NULL);
    ytree_free(NULL);
    j = diag_join(NULL);
    ck_assert_str_eq(j, "");
    free(j);
}
END_TEST

START_TEST(file_errors)
{
    diag_free(&D);
    diag_init(&D, "nope.yaml");
    ck_assert_int_eq(ytree_parse_file("/nonexistent/nope.yaml", &D, &T), -1);
    ck_assert_int_eq(diag_count(&D), 1);
    ck_assert_ptr_null(T);
    char *big = malloc(YTREE_MAX_BYTES + 1);
    memset(big, ' ', YTREE_MAX_BYTES + 1);
    diag_free(&D);
    diag_init(&D, "big.yaml");
    ck_assert_int_eq(ytree_parse(big, YTREE_MAX_BYTES + 1, &D, &T), -1);
    ck_assert_str_eq(D.msgs[0], "big.yaml: file is larger than 4194304 bytes");
    free(big);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ytree");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, positions_are_one_based);
    tcase_add_test(tc, duplicate_key_names_both_places);
    tcase_add_test(tc, aliases_and_anchors_refused);
    tcase_add_test(tc, depth_is_bounded);
    tcase_add_test(tc, syntax_error_has_position);
    tcase_add_test(tc, one_document_only);
    tcase_add_test(tc, non_scalar_keys_refused);
    tcase_add_test(tc, empty_is_null);
    tcase_add_test(tc, ints);
    tcase_add_test(tc, doubles_and_bools);
    tcase_add_test(tc, nearest);
    tcase_add_test(tc, unknown_keys_suggest);
    tcase_add_test(tc, diag_caps_and_joins);
    tcase_add_test(tc, file_errors);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
