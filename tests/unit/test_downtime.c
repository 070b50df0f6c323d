/*
 * test_downtime.c — the outage cut into steps (clipped to it, overlaps and
 * gaps handled, the sum always the outage) and the server log read for what
 * the server did: WAL restored (count, first, last, slowest wait), redo done,
 * new timeline, ready, synchronous standby; lines outside the outage, without
 * a UTC timestamp, or continuing a message are not read as events.
 */
#include <stdint.h>
#include <stdlib.h>

#include "downtime.h"
#include "harness.h"

TEST(segments_add_up)
{
    DowntimeSpan spans[] = {
        {0, 100, 0, "before and into the fault"},   /* clipped to start at 50 */
        {120, 300, 1, "restore"},
        {300, 900, 2, "wait"},                      /* clipped to end at 600 */
        {950, 990, 3, "after"},                     /* outside */
    };
    DowntimeSegment *seg = NULL;
    size_t n = downtime_segments(spans, 4, 50, 600, &seg);
    CHECK_INT((long long)n, 4);
    CHECK_INT(seg[0].us, 50);
    CHECK_STR(seg[1].name, "restore");
    CHECK_INT(seg[1].us, 180);
    CHECK_INT(seg[2].us, 300);
    CHECK(seg[3].name == NULL && seg[3].seq == SIZE_MAX);
    CHECK_INT(seg[3].us, 20);   /* 100..120: no step ran */
    long long sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += seg[i].us;
    CHECK_INT(sum, 550);
    free(seg);
    n = downtime_segments(NULL, 0, 10, 10, &seg);
    CHECK_INT((long long)n, 1);
    CHECK_INT(seg[0].us, 0);
    free(seg);
}

TEST(log_timestamps)
{
    int64_t t = 0;
    CHECK(downtime_log_time("2026-12-07 05:46:19.557 UTC [24697] LOG:  x", &t));
    CHECK_INT(t, 1796622379557LL);
    CHECK(downtime_log_time("2026-12-07 05:46:19 UTC [1] LOG:  x", &t));
    CHECK_INT(t, 1796622379000LL);
    CHECK(!downtime_log_time("2026-12-07 05:46:19.557 CET [1] LOG:  x", &t));
    CHECK(!downtime_log_time("LOG:  no timestamp", &t));
}

TEST(log_marks)
{
    const char *log =
        "2026-12-07 05:46:09.000 UTC [1] LOG:  restored log file \"000000010000000000000001\" from archive\n"
        "2026-12-07 05:46:11.000 UTC [1] LOG:  restored log file \"000000010000000000000002\" from archive\n"
        "2026-12-07 05:46:11.500 UTC [1] LOG:  restored log file \"000000010000000000000003\" from archive\n"
        "\tcontinuation: restored log file \"X\" from archive\n"
        "2026-12-07 05:46:11.900 UTC [1] LOG:  restored log file \"00000002.history\" from archive\n"
        "2026-12-07 05:46:12.000 UTC [1] LOG:  redo done at 0/3000148 system usage: CPU\n"
        "2026-12-07 05:46:12.100 UTC [1] LOG:  selected new timeline ID: 2\n"
        "2026-12-07 05:46:12.300 UTC [1] LOG:  database system is ready to accept connections\n"
        "2026-12-07 05:46:13.000 UTC [1] LOG:  standby \"barman\" is now a synchronous standby with priority 1\n"
        "2026-12-07 05:46:30.000 UTC [1] LOG:  database system is ready to accept connections\n"
        "05:46:12 local time LOG:  restored log file \"Y\" from archive\n";
    DowntimeLog lg;
    int64_t from = 1796622368000LL;   /* 05:46:08.000 */
    downtime_log_read(log, from, from + 10000, &lg);
    CHECK_INT((long long)lg.wal_restored, 3);
    CHECK_INT(lg.wal_first_ms, 1000);
    CHECK_INT(lg.wal_last_ms, 3500);
    CHECK_INT(lg.wal_slowest_ms, 2000);
    CHECK_INT(lg.redo_done_ms, 4000);
    CHECK_INT(lg.new_timeline_ms, 4100);
    CHECK_INT(lg.ready_ms, 4300);   /* the later one is after the outage */
    CHECK_INT(lg.sync_standby_ms, 5000);
    CHECK_INT((long long)lg.lines_read, 8);   /* the history file is read, not a segment */
    CHECK_INT((long long)lg.lines_unreadable, 1);
    downtime_log_read("", from, from + 1, &lg);
    CHECK_INT((long long)lg.wal_restored, 0);
    CHECK_INT(lg.ready_ms, -1);
    CHECK_INT(lg.wal_slowest_ms, -1);
}

int main(void)
{
    RUN(segments_add_up);
    RUN(log_timestamps);
    RUN(log_marks);
    return harness_done();
}
