/* directory: loading the shipped fixtures, validation errors and name lookups. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "diag.h"
#include "directory.h"

#define FIXTURE(p) WXAI_SOURCE_DIR "/" p

static directory *load_path(const char *path)
{
    diag d;
    directory *dir = NULL;
    diag_init(&d, "directory.yaml");
    int rc = directory_load(path, &d, &dir);
    char *all = diag_join(&d);
    ck_assert_msg(rc == 0, "errors: %s", all);
    free(all);
    diag_free(&d);
    return dir;
}

static directory *load_ok(void)
{
    return load_path(FIXTURE("fixtures/directory.yaml"));
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

/* sha256sum fixtures/voice/split-dinner.wav */
static const unsigned char split_dinner_sha[32] = {
    0x18, 0xf6, 0x37, 0x2b, 0xa7, 0x7b, 0x64, 0xb3, 0x65, 0xfd, 0x06, 0xa2, 0x4b, 0xae, 0xb7, 0x4b,
    0x52, 0xda, 0x57, 0x37, 0x49, 0x16, 0x60, 0x95, 0x62, 0xc1, 0x59, 0x3b, 0x60, 0x4c, 0xbc, 0x52};

START_TEST(voice_notes_load)
{
    directory *dir = load_path(FIXTURE("tests/data/dir_voice.yaml"));
    ck_assert_uint_eq(dir->nreceipts, 1);
    ck_assert_uint_eq(dir->nvoice_notes, 2);
    const directory_voice_note *vn = &dir->voice_notes[0];
    ck_assert_str_eq(vn->file, "../../fixtures/voice/split-dinner.wav");
    ck_assert_str_eq(vn->text, "split last night's dinner between Alice and Bob");
    ck_assert_mem_eq(vn->sha256, split_dinner_sha, 32);
    ck_assert_ptr_eq(directory_voice_note_by_sha256(dir, split_dinner_sha), vn);
    vn = &dir->voice_notes[1];
    ck_assert_ptr_null(vn->file);
    ck_assert_str_eq(vn->text, "给小明转 50 元");
    ck_assert_uint_eq(vn->sha256[0], 0x00);
    ck_assert_uint_eq(vn->sha256[10], 0xaa);
    ck_assert_uint_eq(vn->sha256[31], 0xff);
    ck_assert_ptr_eq(directory_voice_note_by_sha256(dir, vn->sha256), vn);
    /* a receipt's bytes are not a voice note, nor the other way round */
    ck_assert_ptr_null(directory_voice_note_by_sha256(dir, dir->receipts[0].sha256));
    ck_assert_ptr_null(directory_receipt_by_sha256(dir, split_dinner_sha));
    ck_assert_ptr_null(directory_voice_note_by_sha256(NULL, split_dinner_sha));
    directory_free(dir);

    /* the shipped fixture lists the shipped clip */
    dir = load_ok();
    ck_assert_uint_ge(dir->nvoice_notes, 1);
    vn = directory_voice_note_by_sha256(dir, split_dinner_sha);
    ck_assert_ptr_nonnull(vn);
    ck_assert_str_eq(vn->file, "voice/split-dinner.wav");
    directory_free(dir);
}
END_TEST

START_TEST(voice_note_errors)
{
    char *all = load_errors(FIXTURE("tests/data/dir_voice_bad.yaml"), "dir_voice_bad.yaml");
    ck_assert_str_eq(
        all, "dir_voice_bad.yaml:5:5: receipts[1]: the same bytes as receipts[0] (first defined "
             "at 4:5)\n"
             "dir_voice_bad.yaml:8:5: voice_notes[1]: the same bytes as voice_notes[0] (first "
             "defined at 7:5)\n"
             "dir_voice_bad.yaml:9:12: voice_notes[2].file: cannot open " WXAI_SOURCE_DIR
             "/tests/data/voice/nowhere.wav: No such file or directory\n"
             "dir_voice_bad.yaml:10:14: voice_notes[3].sha256: must be 64 hexadecimal digits\n"
             "dir_voice_bad.yaml:11:5: voice_notes[4]: missing required key 'text'\n"
             "dir_voice_bad.yaml:12:5: voice_notes[5]: give exactly one of 'file' or 'sha256'\n"
             "dir_voice_bad.yaml:13:67: unknown key 'lang'\n"
             "dir_voice_bad.yaml:13:63: voice_notes[6].text: must be 1 to 4000 characters of "
             "UTF-8 text\n"
             "dir_voice_bad.yaml:14:5: voice_notes[7]: must be a mapping {file | sha256, text}");
    free(all);
}
END_TEST

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Written at run time: a 6 MiB clip and 257 entries do not belong in the repository. */
START_TEST(voice_note_limits)
{
    char tmp[] = "/tmp/wxai-test-voice-XXXXXX", path[512];
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(path, sizeof path, "%s/dir.yaml", tmp);
    size_t big = DIRECTORY_RECEIPT_MAX_BYTES + 1;
    char *buf = calloc(1, big);
    memcpy(buf, "RIFF\0\0\0\0WAVE", 12);
    write_file(tmp, "big.wav", buf, big);
    write_file(tmp, "ok.wav", buf, 64);
    free(buf);

    const char *y = "voice_notes:\n  - {file: big.wav, text: hi}\n";
    write_file(tmp, "dir.yaml", y, strlen(y));
    char *all = load_errors(path, "dir.yaml");
    ck_assert_str_eq(all, "dir.yaml:2:12: voice_notes[0].file: file is larger than an attachment "
                          "can be (6 MiB)");
    free(all);

    /* 4,000 characters is the cap, counted as characters: 4,000 three-byte ones pass */
    size_t cap = 64 + 3 * 4001;
    char *doc = malloc(cap);
    int at = snprintf(doc, cap, "voice_notes:\n  - file: ok.wav\n    text: ");
    for (int i = 0; i < 4000; i++)
        at += snprintf(doc + at, cap - (size_t)at, "语");
    write_file(tmp, "dir.yaml", doc, (size_t)at);
    directory *dir = load_path(path);
    ck_assert_uint_eq(dir->nvoice_notes, 1);
    ck_assert_uint_eq(strlen(dir->voice_notes[0].text), 12000);
    directory_free(dir);
    snprintf(doc + at, cap - (size_t)at, "a\n");
    write_file(tmp, "dir.yaml", doc, strlen(doc));
    all = load_errors(path, "dir.yaml");
    ck_assert_str_eq(all, "dir.yaml:3:11: voice_notes[0].text: must be 1 to 4000 characters of "
                          "UTF-8 text");
    free(all);
    free(doc);

    cap = 32 + 257 * 32;
    doc = malloc(cap);
    at = snprintf(doc, cap, "voice_notes:\n");
    for (int i = 0; i < 257; i++)
        at += snprintf(doc + at, cap - (size_t)at, "  - {file: ok.wav, text: t%d}\n", i);
    write_file(tmp, "dir.yaml", doc, (size_t)at);
    free(doc);
    all = load_errors(path, "dir.yaml");
    ck_assert_str_eq(
        all, "dir.yaml:2:3: voice_notes: must be a list of at most 256 {file | sha256, text}");
    free(all);

    const char *names[] = {"big.wav", "ok.wav", "dir.yaml"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, names[i]);
        ck_assert_int_eq(unlink(path), 0);
    }
    ck_assert_int_eq(rmdir(tmp), 0);
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
    tcase_add_test(tc, voice_notes_load);
    tcase_add_test(tc, voice_note_errors);
    tcase_add_test(tc, voice_note_limits);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
