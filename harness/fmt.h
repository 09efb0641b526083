/* fmt: the number formats the comparison's text summary, Markdown and HTML share, so
 * a figure reads the same in each. Every function writes a NUL-terminated string into
 * the caller's buffer b of cap bytes (truncated when it does not fit). */
#ifndef WXAI_FMT_H
#define WXAI_FMT_H

#include <stddef.h>
#include <stdint.h>

/* A ratio as a percentage, "12.34%"; "n/a" when negative (no data) or not finite. */
void fmt_pct(char *b, size_t cap, double ratio);
/* The change from one ratio to another in percentage points, "+1.23" then unit; "n/a"
 * when either is negative or not finite. The text summary writes "pp" flush, the
 * documents " pp": two layouts, one function. */
void fmt_pp(char *b, size_t cap, double from, double to, const char *unit);
/* Microseconds as milliseconds, "12.345" then unit ("ms" or " ms"); "-" when not finite
 * (no request measured). */
void fmt_ms(char *b, size_t cap, double us, const char *unit);
/* Integer micros as a decimal amount with six places, "-1.234567", without a float in
 * between. */
void fmt_micros(char *b, size_t cap, int64_t micros);
/* s into b[cap] as snprintf(b, cap, "%s", s) puts it (cut short, always terminated), without
 * printf: for the per-request paths and for messages cut on purpose. Returns strlen(s). */
size_t fmt_copy(char *b, size_t cap, const char *s);
/* v in decimal into b (at least FMT_I64_MAX bytes), NUL-terminated, as "%lld" prints it,
 * without printf on a per-request path. Returns the length. */
#define FMT_I64_MAX 21
size_t fmt_i64(char *b, int64_t v);

#endif
