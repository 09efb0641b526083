/* Parse every labelled phrasing N times and print nanoseconds per parse.
 * Usage: bench_model [N] [phrasings.tsv] [directory.yaml] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "diag.h"
#include "directory.h"
#include "model.h"

#define MAX_ROWS 4096

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200;
    const char *tsv = argc > 2 ? argv[2] : WXAI_SOURCE_DIR "/fixtures/phrasings.tsv";
    const char *dpath = argc > 3 ? argv[3] : WXAI_SOURCE_DIR "/fixtures/directory.yaml";
    diag d;
    directory *dir = NULL;
    diag_init(&d, dpath);
    if (directory_load(dpath, &d, &dir) != 0) {
        char *msg = diag_join(&d);
        fprintf(stderr, "%s\n", msg ? msg : "cannot load directory");
        free(msg);
        diag_free(&d);
        return 2;
    }
    FILE *f = fopen(tsv, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", tsv);
        return 2;
    }
    static char texts[MAX_ROWS][512];
    size_t rows = 0;
    char line[4096];
    while (rows < MAX_ROWS && fgets(line, sizeof line, f)) {
        if (line[0] == '#' || !strncmp(line, "text\t", 5)) continue;
        char *tab = strchr(line, '\t');
        if (!tab || tab - line >= (long)sizeof texts[0]) continue;
        memcpy(texts[rows], line, (size_t)(tab - line));
        texts[rows++][tab - line] = '\0';
    }
    fclose(f);
    int64_t ref;
    int off;
    clock_parse_rfc3339("2026-12-04T20:00:00+08:00", &ref, &off);
    static model_result r;
    double sink = 0;
    int64_t best = INT64_MAX;
    for (int round = 0; round < 3; round++) {
        int64_t t0 = now_ns();
        for (long k = 0; k < n; k++)
            for (size_t i = 0; i < rows; i++) {
                model_input in = {.text = texts[i],
                                  .len = strlen(texts[i]),
                                  .payer_openid = "o_carol",
                                  .reference_unix = ref,
                                  .reference_utc_offset_s = off};
                model_parse(dir, &in, &r, NULL);
                sink += r.confidence;
            }
        int64_t dt = now_ns() - t0;
        if (dt < best) best = dt;
    }
    printf("bench_model: %zu phrasings x %ld: %.0f ns per parse (best of 3; checksum %.1f)\n", rows,
           n, (double)best / ((double)rows * (double)n), sink);
    directory_free(dir);
    diag_free(&d);
    return 0;
}
