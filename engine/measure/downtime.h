/*
 * downtime.h — where the downtime went: the outage (fault -> first write
 * committed again, the RTO) cut into what filled it. Pure functions: the
 * runner gives the steps' times and the recovering server's log.
 *
 * Steps: each step that ran during the outage is one segment, clipped to it;
 * the time when no step ran (the runner between steps) is one more. They add
 * up to the RTO by construction: what is not a step is said to be the
 * runner's.
 *
 * The server log: what the server did inside those steps, from the lines
 * PostgreSQL writes during a recovery — each WAL segment restored from the
 * archive (count, time between the first and the last, the slowest: the
 * longest wait between two), the end of redo, the new timeline, ready to
 * accept connections, the synchronous standby attached. Times are offsets
 * from the fault. Lines are read only with a timestamp at their start as
 * log_line_prefix %m or %t writes it in UTC ("2026-12-07 05:46:19.557 UTC");
 * others are counted as unreadable, never guessed.
 */
#ifndef DRILL_DOWNTIME_H
#define DRILL_DOWNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct DowntimeSpan {   /* a step that ran: monotonic microseconds */
    int64_t start_us, end_us;
    size_t seq;                 /* 0-based plan position */
    const char *name;           /* borrowed */
} DowntimeSpan;

typedef struct DowntimeSegment {
    size_t seq;                 /* of the step; SIZE_MAX: between steps */
    const char *name;           /* borrowed; NULL between steps */
    int64_t us;
} DowntimeSegment;

/* Segments of [fault_us, end_us] (spans ordered by start); *out malloc'd,
 * the last one "between steps" (seq SIZE_MAX). Their sum is end - fault. */
size_t downtime_segments(const DowntimeSpan *spans, size_t n, int64_t fault_us, int64_t end_us,
                         DowntimeSegment **out);

typedef struct DowntimeLog {
    size_t lines_read;          /* with a readable timestamp inside the outage */
    size_t lines_unreadable;    /* without one (another log_line_prefix) */
    size_t wal_restored;        /* "restored log file ... from archive" */
    int64_t wal_first_ms, wal_last_ms, wal_slowest_ms;   /* -1 unknown */
    int64_t redo_done_ms, new_timeline_ms, ready_ms, sync_standby_ms;   /* -1 not seen */
} DowntimeLog;

/* Reads log text (lines of the server log) keeping what happened between
 * from_utc_ms (the fault) and to_utc_ms (the end of the outage); offsets in
 * ms from from_utc_ms. */
void downtime_log_read(const char *text, int64_t from_utc_ms, int64_t to_utc_ms,
                       DowntimeLog *out);

/* A log line's leading timestamp as UTC ms; false when it has none. */
bool downtime_log_time(const char *line, int64_t *utc_ms);

#endif
