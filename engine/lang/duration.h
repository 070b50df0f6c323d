/*
 * duration.h — durations in the drill language: "500ms", "30s", "2m", "1h",
 * "7d", "1m30s". A bare "0" is allowed; other bare numbers are not (ambiguous units).
 */
#ifndef DRILL_DURATION_H
#define DRILL_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0 and sets *ms, or -1 if text is not a valid duration (or overflows
 * 30 days: what a step or an objective may last). Units d, h, m, s, ms. */
int duration_parse_ms(const char *text, int64_t *ms);
/* The same up to max_ms: ages and schedules ("rehearse every 90d"). */
#define DURATION_SCHEDULE_MAX_MS ((int64_t)400 * 86400000)
int duration_parse_ms_upto(const char *text, int64_t max_ms, int64_t *ms);

/* The inverse, in the same language: 600000 -> "10m", 90500 -> "1m30s500ms",
 * 0 -> "0". What a person would have written, for targets shown back. */
void duration_format_ms(int64_t ms, char *out, size_t outsz);

#endif
