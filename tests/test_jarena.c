/* jarena: trees parsed into the arena are the trees json_parse makes, errors are json_parse's,
 * a text that does not fit goes to the heap and the block grows (within its cap) for the next,
 * and parsing again and again reuses the same block. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "jarena.h"
#include "json.h"

static const char answer[] =
    "{\"intent_id\":\"int_5gvr7zwpnq41p8u3siq63qig\",\"status\":\"ready\",\"confidence\":0.97,"
    "\"threshold\":0.85,\"intent\":{\"type\":\"pay\",\"amount\":{\"total\":3200,\"currency\":"
    "\"CNY\"}},\"fallback\":null,\"review\":null,\"list\":[1,2.5,-3e2,true,false,\"\\u00e9\\n\"],"
    "\"usage\":{\"input_tokens\":12,\"output_tokens\":30}}";

/* The text json_parse's tree of s prints as. */
static char *reference(const char *s)
{
    cJSON *t = NULL;
    size_t off;
    ck_assert_int_eq(json_parse(s, strlen(s), JSON_MAX_DEPTH, &t, &off), JSON_OK);
    char *p = json_print(t);
    cJSON_Delete(t);
    return p;
}

/* A JSON array of n small objects: a text whose tree outgrows the first block. */
static char *big_array(int n)
{
    char *s = malloc((size_t)n * 16 + 3), *p = s;
    *p++ = '[';
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s{\"k\":%d}", i ? "," : "", i % 1000);
    *p++ = ']';
    *p = '\0';
    return s;
}

START_TEST(same_tree_as_json_parse)
{
    jarena a = {0};
    cJSON *t = NULL;
    size_t off = 0;
    ck_assert_int_eq(jarena_parse(&a, answer, strlen(answer), JSON_MAX_DEPTH, &t, &off),
                     JARENA_IN_ARENA);
    ck_assert_ptr_nonnull(t);
    ck_assert(a.used > 0 && a.used <= a.cap);
    char *got = json_print(t), *want = reference(answer);
    ck_assert_str_eq(got, want);
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(t, "intent"), "type"), "pay");
    free(got);
    free(want);
    jarena_release(&a, t, JARENA_IN_ARENA);
    ck_assert_uint_eq(a.used, 0);
    jarena_free(&a);
    ck_assert_ptr_null(a.buf);
}
END_TEST

START_TEST(errors_are_json_parse_errors)
{
    const char *bad[] = {"{\"a\":1,}", "[1,2", "{\"a\":1} x", "", "nul", "{\"a\":\"\\u12\"}"};
    jarena a = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *t = NULL, *r = NULL;
        size_t off = 99, roff = 77;
        int want = json_parse(bad[i], strlen(bad[i]), JSON_MAX_DEPTH, &r, &roff);
        ck_assert_int_lt(want, 0);
        ck_assert_int_eq(jarena_parse(&a, bad[i], strlen(bad[i]), JSON_MAX_DEPTH, &t, &off), want);
        ck_assert_ptr_null(t);
        ck_assert_uint_eq(off, roff);
    }
    /* too deep for the limit: json_parse's depth error, at the same bracket */
    cJSON *t = NULL;
    size_t off = 0;
    ck_assert_int_eq(jarena_parse(&a, "[[[[1]]]]", 9, 3, &t, &off), JSON_EDEPTH);
    ck_assert_uint_eq(off, 3);
    ck_assert_int_eq(jarena_parse(&a, "{\"a\":[{\"b\":[]}]}", 17, 3, &t, &off), JSON_EDEPTH);
    ck_assert_uint_eq(off, 11);
    /* as deep as the limit, with brackets inside strings that do not count */
    const char *deep[] = {"[[[1]]]", "{\"a\":[{\"[[[\":\"]\"}]}", "[[],{},[{}]]", "7"};
    for (size_t i = 0; i < sizeof deep / sizeof deep[0]; i++) {
        int how = jarena_parse(&a, deep[i], strlen(deep[i]), 3, &t, &off);
        ck_assert_msg(how == JARENA_IN_ARENA, "%s: %d", deep[i], how);
        char *got = json_print(t), *want = reference(deep[i]);
        ck_assert_str_eq(got, want);
        free(got);
        free(want);
        jarena_release(&a, t, how);
    }
    /* the arena is still good after errors */
    ck_assert_int_eq(jarena_parse(&a, "[1]", 3, JSON_MAX_DEPTH, &t, &off), JARENA_IN_ARENA);
    ck_assert_int_eq(cJSON_GetArraySize(t), 1);
    jarena_release(&a, t, JARENA_IN_ARENA);
    jarena_free(&a);
}
END_TEST

START_TEST(too_big_goes_to_heap_then_grows)
{
    char *s = big_array(400); /* ~4 KB of text, ~52 KB of nodes */
    char *want = reference(s);
    jarena a = {0};
    cJSON *t = NULL;
    size_t off;
    ck_assert_int_eq(jarena_parse(&a, s, strlen(s), JSON_MAX_DEPTH, &t, &off), JARENA_ON_HEAP);
    char *got = json_print(t);
    ck_assert_str_eq(got, want);
    free(got);
    jarena_release(&a, t, JARENA_ON_HEAP);
    /* the block doubles at each miss until the tree fits */
    int tries = 0, how;
    while ((how = jarena_parse(&a, s, strlen(s), JSON_MAX_DEPTH, &t, &off)) == JARENA_ON_HEAP) {
        jarena_release(&a, t, how);
        ck_assert_int_lt(++tries, 8);
    }
    ck_assert_int_eq(how, JARENA_IN_ARENA);
    ck_assert_uint_gt(a.cap, JARENA_MIN);
    ck_assert_uint_le(a.cap, JARENA_MAX);
    got = json_print(t);
    ck_assert_str_eq(got, want);
    free(got);
    jarena_release(&a, t, how);
    jarena_free(&a);
    free(want);
    free(s);
}
END_TEST

START_TEST(block_never_passes_the_cap)
{
    char *s = big_array(20000); /* ~260 KB of text: more than half the largest block */
    jarena a = {0};
    cJSON *t = NULL;
    size_t off;
    for (int i = 0; i < 3; i++) {
        int how = jarena_parse(&a, s, strlen(s), JSON_MAX_DEPTH, &t, &off);
        ck_assert_int_eq(how, JARENA_ON_HEAP);
        ck_assert_int_eq(cJSON_GetArraySize(t), 20000);
        jarena_release(&a, t, how);
        ck_assert_uint_le(a.cap, JARENA_MAX);
    }
    jarena_free(&a);
    free(s);
}
END_TEST

START_TEST(a_live_tree_is_not_overwritten)
{
    jarena a = {0};
    cJSON *t1 = NULL, *t2 = NULL;
    size_t off;
    ck_assert_int_eq(jarena_parse(&a, "{\"a\":\"first\"}", 13, JSON_MAX_DEPTH, &t1, &off),
                     JARENA_IN_ARENA);
    ck_assert_int_eq(jarena_parse(&a, "{\"a\":\"second\"}", 14, JSON_MAX_DEPTH, &t2, &off),
                     JARENA_ON_HEAP);
    ck_assert_str_eq(json_string(t1, "a"), "first");
    ck_assert_str_eq(json_string(t2, "a"), "second");
    jarena_release(&a, t2, JARENA_ON_HEAP);
    jarena_release(&a, t1, JARENA_IN_ARENA);
    jarena_free(&a);
}
END_TEST

START_TEST(reuse_keeps_one_block)
{
    jarena a = {0};
    cJSON *t = NULL;
    size_t off;
    ck_assert_int_eq(jarena_parse(&a, answer, strlen(answer), JSON_MAX_DEPTH, &t, &off),
                     JARENA_IN_ARENA);
    const char *buf = a.buf;
    size_t used = a.used;
    jarena_release(&a, t, JARENA_IN_ARENA);
    for (int i = 0; i < 10000; i++) {
        ck_assert_int_eq(jarena_parse(&a, answer, strlen(answer), JSON_MAX_DEPTH, &t, &off),
                         JARENA_IN_ARENA);
        ck_assert_ptr_eq(a.buf, buf);
        ck_assert_uint_eq(a.used, used);
        jarena_release(&a, t, JARENA_IN_ARENA);
    }
    /* trees made outside a jarena_parse are the heap's, as before the hooks */
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "k", "v");
    ck_assert((const char *)h < a.buf || (const char *)h >= a.buf + a.cap);
    cJSON_Delete(h);
    jarena_free(&a);
}
END_TEST

/* What a thread saw of its own arena. */
typedef struct thread_seen {
    pthread_barrier_t *both; /* the two threads hold their arenas at the same time */
    jarena *first, *again;
    int parsed; /* the answer parsed into the arena, readable */
} thread_seen;

static void *thread_parse(void *arg)
{
    thread_seen *t = arg;
    cJSON *tree = NULL;
    size_t off;
    t->first = jarena_thread();
    t->again = jarena_thread();
    int rc = t->first ? jarena_parse(t->first, answer, strlen(answer), JSON_MAX_DEPTH, &tree, &off)
                      : -100;
    t->parsed = rc == JARENA_IN_ARENA && json_string(tree, "status") != NULL;
    pthread_barrier_wait(t->both);
    if (t->first) jarena_release(t->first, tree, rc);
    return NULL; /* the arena is freed as the thread ends: LeakSanitizer checks that */
}

START_TEST(each_thread_has_its_own_arena)
{
    pthread_barrier_t both;
    ck_assert_int_eq(pthread_barrier_init(&both, NULL, 2), 0);
    thread_seen s1 = {.both = &both}, s2 = {.both = &both};
    pthread_t t1, t2;
    ck_assert_int_eq(pthread_create(&t1, NULL, thread_parse, &s1), 0);
    ck_assert_int_eq(pthread_create(&t2, NULL, thread_parse, &s2), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_barrier_destroy(&both);
    ck_assert_ptr_nonnull(s1.first);
    ck_assert_ptr_nonnull(s2.first);
    ck_assert_ptr_eq(s1.first, s1.again);
    ck_assert_ptr_eq(s2.first, s2.again);
    ck_assert_ptr_ne(s1.first, s2.first);
    ck_assert_int_eq(s1.parsed, 1);
    ck_assert_int_eq(s2.parsed, 1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("jarena");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, same_tree_as_json_parse);
    tcase_add_test(tc, errors_are_json_parse_errors);
    tcase_add_test(tc, too_big_goes_to_heap_then_grows);
    tcase_add_test(tc, block_never_passes_the_cap);
    tcase_add_test(tc, a_live_tree_is_not_overwritten);
    tcase_add_test(tc, reuse_keeps_one_block);
    tcase_add_test(tc, each_thread_has_its_own_arena);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
