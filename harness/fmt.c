/* fmt: shared number formats. See fmt.h. */
#include "fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

void fmt_pct(char *b, size_t cap, double ratio)
{
    if (ratio < 0 || !isfinite(ratio))
        snprintf(b, cap, "n/a");
    else
        snprintf(b, cap, "%.2f%%", 100 * ratio);
}

void fmt_pp(char *b, size_t cap, double from, double to, const char *unit)
{
    if (from < 0 || to < 0 || !isfinite(from) || !isfinite(to))
        snprintf(b, cap, "n/a");
    else
        snprintf(b, cap, "%+.2f%s", 100 * (to - from), unit);
}

void fmt_ms(char *b, size_t cap, double us, const char *unit)
{
    if (!isfinite(us))
        snprintf(b, cap, "-");
    else
        snprintf(b, cap, "%.3f%s", us / 1e3, unit);
}

void fmt_micros(char *b, size_t cap, int64_t micros)
{
    int64_t a = micros < 0 ? -micros : micros;
    snprintf(b, cap, "%s%lld.%06lld", micros < 0 ? "-" : "", (long long)(a / 1000000),
             (long long)(a % 1000000));
}

size_t fmt_i64(char *b, int64_t v)
{
    size_t len = json_int(b, v, 0);
    b[len] = '\0';
    return len;
}

size_t fmt_copy(char *b, size_t cap, const char *s)
{
    size_t n = strlen(s), k = n < cap ? n : cap - 1;
    memcpy(b, s, k);
    b[k] = '\0';
    return n;
}
