/* clock: the one source of time for the whole program.
 *
 * Real time by default; tests and the scenario's virtual clock freeze it and
 * move it by hand. Readers take no lock (atomics), so every request thread can
 * ask the time without serialising on it. */
#ifndef WXAI_CLOCK_H
#define WXAI_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time in milliseconds since the epoch (real or virtual). */
int64_t clock_now_ms(void);
/* Wall-clock time in seconds since the epoch. */
int64_t clock_now_s(void);
/* Monotonic milliseconds for measuring durations; never virtual. */
int64_t clock_mono_ms(void);
/* Monotonic microseconds, for latency measurements finer than a millisecond; never virtual. */
int64_t clock_mono_us(void);
/* Sleep ms real milliseconds (fractions kept; nothing for ms <= 0), resuming after signals.
 * Synthetic latency is real time even on a virtual clock. */
void clock_sleep_ms(double ms);
/* Freeze the clock at ms (virtual time). */
void clock_set_virtual(int64_t ms);
/* Move a virtual clock forward by ms; on a real clock shifts it by ms. */
void clock_advance(int64_t ms);
/* Back to real time with no offset. */
void clock_set_real(void);
/* 1 while the clock is virtual (frozen), 0 on real time. */
int clock_is_virtual(void);
/* Format unix seconds as RFC 3339 with the given UTC offset in seconds
 * ("2026-12-04T20:00:00+08:00") into buf (at least 32 bytes). Returns 0 or -1. */
int clock_format_rfc3339(int64_t unix_s, int offset_s, char *buf, size_t cap);
/* Parse RFC 3339 ("2026-12-04T20:00:00+08:00", "...Z") into unix seconds and offset. */
int clock_parse_rfc3339(const char *s, int64_t *unix_s, int *offset_s);

#endif
