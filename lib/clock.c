#include "clock.h"

#include <errno.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Virtual time is a frozen value; real time carries an offset so "advance"
 * also works for tests that run on the real clock. Both are atomics so that
 * reading the time never takes a lock. */
static _Atomic int64_t virtual_ms = -1;
static _Atomic int64_t offset_ms = 0;

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now_ms(void)
{
    int64_t v = atomic_load(&virtual_ms);
    return v >= 0 ? v : real_ms() + atomic_load(&offset_ms);
}

int64_t clock_now_s(void)
{
    return clock_now_ms() / 1000;
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_set_virtual(int64_t ms)
{
    atomic_store(&virtual_ms, ms < 0 ? 0 : ms);
}

void clock_advance(int64_t ms)
{
    if (atomic_load(&virtual_ms) >= 0)
        atomic_fetch_add(&virtual_ms, ms);
    else
        atomic_fetch_add(&offset_ms, ms);
}

void clock_set_real(void)
{
    atomic_store(&virtual_ms, -1);
    atomic_store(&offset_ms, 0);
}

int clock_is_virtual(void)
{
    return atomic_load(&virtual_ms) >= 0;
}

int clock_format_rfc3339(int64_t unix_s, int offset_s, char *buf, size_t cap)
{
    struct tm tm;
    time_t t = (time_t)(unix_s + offset_s);
    if (!gmtime_r(&t, &tm)) return -1;
    int off = offset_s < 0 ? -offset_s : offset_s;
    int n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     offset_s < 0 ? '-' : '+', off / 3600, off % 3600 / 60);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* Days since the epoch of a proleptic Gregorian date (Howard Hinnant's algorithm),
 * so parsing needs neither timegm nor the TZ environment. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n ASCII digits at s (no sign, no space, not past a NUL), or -1. */
static int fixed_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Fixed widths read digit by digit: sscanf's %2d took "+1:2" as an offset, and the
 * fixed step over it then read past the terminator; it also took signs and spaces. */
int clock_parse_rfc3339(const char *s, int64_t *unix_s, int *offset_s)
{
    if (!s) return -1;
    for (int i = 0; i < 19; i++)
        if (s[i] == '\0') return -1;
    int y = fixed_digits(s, 4), mo = fixed_digits(s + 5, 2), d = fixed_digits(s + 8, 2);
    int h = fixed_digits(s + 11, 2), mi = fixed_digits(s + 14, 2), sec = fixed_digits(s + 17, 2);
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':' || y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
        h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
        return -1;
    const char *p = s + 19;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh = fixed_digits(p + 1, 2);
        int om = oh < 0 || p[3] != ':' ? -1 : fixed_digits(p + 4, 2);
        if (oh < 0 || om < 0 || oh > 23 || om > 59) return -1;
        off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0') return -1;
    *unix_s =
        days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - off;
    if (offset_s) *offset_s = off;
    return 0;
}

void clock_sleep_ms(double ms)
{
    if (!(ms > 0)) return;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
                          .tv_nsec = (long)((ms - 1000.0 * (double)(time_t)(ms / 1000)) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
