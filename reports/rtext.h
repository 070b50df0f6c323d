/*
 * rtext.h — text helpers shared by the report renderers: sanitising text that
 * came from commands and the store (ANSI escapes, control characters, invalid
 * UTF-8), and locale-free formatting of numbers, durations and timestamps.
 * Everything here is a pure function of its input so reports are
 * byte-for-byte reproducible.
 */
#ifndef DRILL_RTEXT_H
#define DRILL_RTEXT_H

#include <stddef.h>
#include <stdint.h>

/* Returns a malloc'd copy of s (NULL = "") that is valid UTF-8 with no ANSI
 * escape sequences, no control characters other than \t \n \r (replaced by
 * U+FFFD), no U+FFFE/U+FFFF, and at most max bytes of content; longer input
 * is cut on a character boundary and a "[... N bytes truncated]" line added. */
char *rtext_clean(const char *s, size_t max);

/* A number with up to 3 decimals, trailing zeros trimmed ("1234", "0.5",
 * "-2.125"); "n/a" for NaN. Never uses %f/%g (LC_NUMERIC). out >= 32 bytes. */
void rtext_number(double v, char *out, size_t outsz);

/* Microseconds as seconds with 3 decimals ("12.345"), negatives as "0.000". */
void rtext_seconds(int64_t us, char *out, size_t outsz);

/* UTC milliseconds as "YYYY-MM-DDTHH:MM:SS" (no zone suffix). out >= 32 bytes. */
void rtext_timestamp(int64_t utc_ms, char *out, size_t outsz);

#endif
