/* progress: the terminal progress line. See progress.h. */
#include "progress.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void progress_init(progress *p, FILE *out, int quiet, const char *traffic_path, int64_t duration_ms)
{
    memset(p, 0, sizeof *p);
    /* a CI log or a pipe would fill with carriage returns: only a terminal gets the line */
    p->out = !quiet && out && isatty(fileno(out)) ? out : NULL;
    /* a pass over the whole file, for the ETA only */
    p->total = p->out ? progress_count_records(traffic_path) : 0;
    p->duration_us = duration_ms * 1000;
}

static void clock_text(char *buf, size_t cap, int64_t us)
{
    int64_t s = us / 1000000;
    if (s >= 3600)
        snprintf(buf, cap, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
                 (long long)(s % 60));
    else
        snprintf(buf, cap, "%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
}

void progress_tick(void *ud, const stats *st, int64_t elapsed_us)
{
    progress *p = ud;
    if (!p || !p->out) return;
    uint64_t errors = st->status[0];
    for (int i = 500; i < STATS_MAX_STATUS; i++)
        errors += st->status[i];
    double secs = elapsed_us / 1e6;
    double rate = secs > 0 ? (double)st->records / secs : 0;
    char el[32], eta[32] = "?";
    clock_text(el, sizeof el, elapsed_us);
    int64_t left = -1;
    if (p->total && rate > 0)
        left =
            st->records >= p->total ? 0 : (int64_t)((double)(p->total - st->records) / rate * 1e6);
    if (p->duration_us && (left < 0 || p->duration_us - elapsed_us < left))
        left = p->duration_us > elapsed_us ? p->duration_us - elapsed_us : 0;
    if (left >= 0) clock_text(eta, sizeof eta, left);
    char done[48];
    if (p->total)
        snprintf(done, sizeof done, "%llu/%llu", (unsigned long long)st->records,
                 (unsigned long long)p->total);
    else
        snprintf(done, sizeof done, "%llu", (unsigned long long)st->records);
    fprintf(p->out,
            "\r\033[K%s records  %llu requests  %.1f rec/s  %llu errors  %s elapsed  ETA %s", done,
            (unsigned long long)st->exchanges, rate, (unsigned long long)errors, el, eta);
    fflush(p->out);
    p->shown = 1;
}

void progress_done(progress *p)
{
    if (!p || !p->out || !p->shown) return;
    fprintf(p->out, "\r\033[K");
    fflush(p->out);
    p->shown = 0;
}

uint64_t progress_count_records(const char *path)
{
    struct stat sb;
    if (!path || !strcmp(path, "-") || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[65536];
    uint64_t n = 0;
    int at_start = 1, counted = 0; /* at the start of a line; this line already counted */
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < got; i++) {
            char c = buf[i];
            if (c == '\n') {
                at_start = 1;
                counted = 0;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r') continue;
            if (!counted) {
                if (!(at_start && c == '#')) n++;
                counted = 1;
            }
            at_start = 0;
        }
    }
    fclose(f);
    return n;
}
