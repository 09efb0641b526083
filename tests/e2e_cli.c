/* End to end: the wxai-mock command line: `check` on good and broken
 * scenarios (output and exit code), and the operations flags refusing bad
 * values before anything starts. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e.h"

typedef struct run_out {
    int code;
    char out[65536];
    char err[65536];
} run_out;

static void drain(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t k;
    while (n + 1 < cap && (k = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)k;
    buf[n] = '\0';
}

/* Run wxai-mock with args (NULL-terminated); stdout and stderr go to files so
 * neither pipe can fill up while the other is read. */
static void run(const char *const *args, run_out *o)
{
    char outp[] = "/tmp/wxai-cli-out-XXXXXX", errp[] = "/tmp/wxai-cli-err-XXXXXX";
    int fo = mkstemp(outp), fe = mkstemp(errp);
    ck_assert(fo >= 0 && fe >= 0);
    const char *argv[16] = {WXAI_MOCK_BIN};
    int argc = 1;
    for (int i = 0; args[i] && argc < 15; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fo, 1);
        dup2(fe, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    o->code = WEXITSTATUS(status);
    lseek(fo, 0, SEEK_SET);
    lseek(fe, 0, SEEK_SET);
    drain(fo, o->out, sizeof o->out);
    drain(fe, o->err, sizeof o->err);
    close(fo);
    close(fe);
    unlink(outp);
    unlink(errp);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static run_out o;

START_TEST(check_good)
{
    const char *good1 = e2e_src("scenarios/default.yaml"), *good2 = e2e_src("tests/data/e2e.yaml");
    const char *args[] = {"check", good1, good2, NULL};
    run(args, &o);
    ck_assert_int_eq(o.code, 0);
    ck_assert_int_eq(count_lines(o.out), 2);
    char want[1200];
    snprintf(want, sizeof want, "%s: ok: scenario 'default', ", good1);
    ck_assert_ptr_nonnull(strstr(o.out, want));
    snprintf(want, sizeof want, "%s: ok: scenario 'e2e', 1 merchant, 4 rules, model ", good2);
    ck_assert_ptr_nonnull(strstr(o.out, want));
    ck_assert_str_eq(o.err, "");
}
END_TEST

START_TEST(check_broken)
{
    const char *bad = e2e_src("tests/data/scenario_broken.yaml");
    const char *args[] = {"check", bad, NULL};
    run(args, &o);
    ck_assert_int_eq(o.code, 2);
    ck_assert_str_eq(o.out, "");
    /* Every line is "file:line:col: message" for this file; all errors at once. */
    int n = 0;
    char *save = NULL, prefix[1100];
    snprintf(prefix, sizeof prefix, "%s:", bad);
    for (char *line = strtok_r(o.err, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int l = 0, c = 0;
        ck_assert_msg(strncmp(line, prefix, strlen(prefix)) == 0, "line: %s", line);
        ck_assert_int_eq(sscanf(line + strlen(prefix), "%d:%d: ", &l, &c), 2);
        ck_assert(l >= 1 && c >= 1);
        n++;
    }
    ck_assert_int_ge(n, 5);
}
END_TEST

START_TEST(check_broken_mentions_each_mistake)
{
    const char *bad = e2e_src("tests/data/scenario_broken.yaml");
    const char *args[] = {"check", bad, NULL};
    run(args, &o);
    ck_assert_ptr_nonnull(strstr(o.err, "thresold"));
    ck_assert_ptr_nonnull(strstr(o.err, "confidence_threshold")); /* the suggestion */
    ck_assert_ptr_nonnull(strstr(o.err, "order_routng"));
    ck_assert_ptr_nonnull(strstr(o.err, "(unclosed"));
}
END_TEST

START_TEST(check_mixed_and_missing)
{
    const char *good = e2e_src("tests/data/e2e.yaml"),
               *bad = e2e_src("tests/data/scenario_broken.yaml");
    const char *args[] = {"check", good, bad, "/nonexistent/scenario.yaml", NULL};
    run(args, &o);
    ck_assert_int_eq(o.code, 2);
    ck_assert_int_eq(count_lines(o.out), 1); /* the good one is still reported */
    ck_assert_ptr_nonnull(strstr(o.out, "ok: scenario 'e2e'"));
    ck_assert_ptr_nonnull(strstr(o.err, "/nonexistent/scenario.yaml"));
    ck_assert_ptr_nonnull(strstr(o.err, "cannot open"));

    const char *none[] = {"check", NULL};
    run(none, &o);
    ck_assert_int_eq(o.code, 2);
    ck_assert_ptr_nonnull(strstr(o.err, "usage:"));
}
END_TEST

START_TEST(bad_flags_refused)
{
    const char *ops = e2e_src("tests/data/ops.yaml");
    const char *a1[] = {"--scenario", ops, "--journal-size", "-1", NULL};
    run(a1, &o);
    ck_assert_int_eq(o.code, 2);
    ck_assert_ptr_nonnull(strstr(o.err, "--journal-size"));
    const char *a2[] = {"--scenario", ops, "--journal-size", "12x", NULL};
    run(a2, &o);
    ck_assert_int_eq(o.code, 2);
    const char *a3[] = {"--scenario", ops, "--record", "/nonexistent/dir/traffic.jsonl", NULL};
    run(a3, &o);
    ck_assert_int_eq(o.code, 1);
    ck_assert_ptr_nonnull(strstr(o.err, "/nonexistent/dir/traffic.jsonl"));
    ck_assert_str_eq(o.out, ""); /* never said it was listening */
    const char *a4[] = {"--scenario", ops, "--admin-token", NULL};
    run(a4, &o);
    ck_assert_int_eq(o.code, 2);
    const char *help[] = {"--help", NULL};
    run(help, &o);
    ck_assert_int_eq(o.code, 0);
    ck_assert_ptr_nonnull(strstr(o.out, "--admin-token"));
    ck_assert_ptr_nonnull(strstr(o.out, "--record"));
    ck_assert_ptr_nonnull(strstr(o.out, "--watch"));
    ck_assert_ptr_nonnull(strstr(o.out, "--journal-size"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_cli");
    TCase *tc = tcase_create("cli");
    tcase_add_test(tc, check_good);
    tcase_add_test(tc, check_broken);
    tcase_add_test(tc, check_broken_mentions_each_mistake);
    tcase_add_test(tc, check_mixed_and_missing);
    tcase_add_test(tc, bad_flags_refused);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
