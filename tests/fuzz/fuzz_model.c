/* model_parse over client text, with the shipped directory.
 *
 * Input: one flags byte, then the text up to the first NUL (exactly those bytes, in a
 * heap block of that size, so a read past the end is caught), then answers, one per
 * NUL-terminated line: "qid=option", "qid:free text" or a bare "qid".
 * Flags: bits 0-1 locale (none, en-US, zh-CN, mixed), bit 2 no payer, bits 3-5 the
 * reference time zone, bits 6-7 the reference day (so "last night" finds orders or not). */
#include "clock.h"
#include "model.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_directory.h"

#define MAX_FUZZ_ANSWERS (MODEL_MAX_ANSWERS + 2) /* past the cap, as a client may send */

static directory *dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    dir = fuzz_directory("fuzz_model");
    return 0;
}

static void check_str(const char *s, size_t cap)
{
    if (!memchr(s, '\0', cap)) abort();
}

static void check(const model_result *r)
{
    if (r->npeople > MODEL_MAX_PEOPLE || r->nquestions > MODEL_MAX_QUESTIONS) abort();
    if (r->confidence < 0.0 || r->confidence > 1.0) abort();
    check_str(r->currency, sizeof r->currency);
    check_str(r->locale, sizeof r->locale);
    check_str(r->category, sizeof r->category);
    check_str(r->tip_paid_by, sizeof r->tip_paid_by);
    for (size_t i = 0; i < r->npeople; i++) {
        check_str(r->people[i].openid, sizeof r->people[i].openid);
        check_str(r->people[i].name, sizeof r->people[i].name);
    }
    for (size_t i = 0; i < r->nquestions; i++) {
        const model_question *q = &r->questions[i];
        if (q->noptions > MODEL_MAX_OPTIONS) abort();
        check_str(q->id, sizeof q->id);
        check_str(q->text, sizeof q->text);
        for (size_t k = 0; k < q->noptions; k++) {
            check_str(q->options[k].id, sizeof q->options[k].id);
            check_str(q->options[k].label, sizeof q->options[k].label);
        }
    }
    (void)model_intent_name(r->intent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const locales[] = {NULL, "en-US", "zh-CN", "mixed"};
    static const int offsets[] = {28800, 0, -18000, 50400, -43200, 19800, 3600, -36000};
    static const int64_t days[] = {0, -1, 1, 7};
    static model_result res;
    if (size < 2) return 0;
    unsigned flags = data[0];
    data++, size--;
    const uint8_t *nul = memchr(data, '\0', size);
    size_t tlen = nul ? (size_t)(nul - data) : size;
    if (tlen == 0) return 0;

    char *text = malloc(tlen);
    if (!text) return 0;
    memcpy(text, data, tlen);

    /* answers: a NUL-terminated copy of the tail, cut at NULs into lines */
    size_t alen = nul ? size - tlen - 1 : 0;
    char *tail = malloc(alen + 1);
    model_answer ans[MAX_FUZZ_ANSWERS];
    size_t nans = 0;
    if (!tail) {
        free(text);
        return 0;
    }
    memcpy(tail, data + tlen + (nul ? 1 : 0), alen);
    tail[alen] = '\0';
    for (char *p = tail; p < tail + alen && nans < MAX_FUZZ_ANSWERS; p += strlen(p) + 1) {
        model_answer *a = &ans[nans++];
        char *sep = p + strcspn(p, "=:");
        a->question_id = p;
        a->option_id = NULL;
        a->text = NULL;
        if (*sep == '=') {
            *sep = '\0';
            a->option_id = sep + 1;
        } else if (*sep == ':') {
            *sep = '\0';
            a->text = sep + 1;
        }
    }

    int64_t ref = 1796385600; /* 2026-12-04T20:00:00+08:00, as tests/test_model.c */
    model_input in = {.text = text,
                      .len = tlen,
                      .locale = locales[flags & 3],
                      .payer_openid = (flags & 4) ? NULL : "o_carol",
                      .reference_unix = ref + days[(flags >> 6) & 3] * 86400,
                      .reference_utc_offset_s = offsets[(flags >> 3) & 7],
                      .answers = nans ? ans : NULL,
                      .nanswers = nans};
    const char *bad = NULL;
    int rc = model_parse(dir, &in, &res, &bad);
    if (rc == MODEL_OK) {
        check(&res);
    } else if (rc == MODEL_EANSWER) {
        /* bad names one of the answers we passed, as routing.c relies on to drop it */
        size_t i = 0;
        while (i < nans && ans[i].question_id != bad)
            i++;
        if (i == nans) abort();
    } else if (tlen <= MODEL_MAX_TEXT) {
        abort(); /* EINVAL only for empty or oversized text */
    }
    free(tail);
    free(text);
    return 0;
}
