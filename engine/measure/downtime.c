/* downtime.c — see downtime.h. */
#define _DEFAULT_SOURCE 1   /* timegm */
#define _XOPEN_SOURCE 700   /* strptime */

#include "downtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

size_t downtime_segments(const DowntimeSpan *spans, size_t n, int64_t fault_us, int64_t end_us,
                         DowntimeSegment **out)
{
    DowntimeSegment *seg = xcalloc(n + 1, sizeof *seg);
    size_t k = 0;
    int64_t covered = 0, reach = fault_us;   /* reach: where steps have covered up to */
    for (size_t i = 0; i < n; i++) {
        int64_t s = spans[i].start_us > reach ? spans[i].start_us : reach;
        int64_t e = spans[i].end_us < end_us ? spans[i].end_us : end_us;
        if (e <= s)
            continue;
        seg[k++] = (DowntimeSegment){spans[i].seq, spans[i].name, e - s};
        covered += e - s;
        reach = e;
    }
    int64_t total = end_us > fault_us ? end_us - fault_us : 0;
    seg[k++] = (DowntimeSegment){SIZE_MAX, NULL, total - covered};
    *out = seg;
    return k;
}

/* "YYYY-MM-DD HH:MM:SS[.fff] UTC" (or GMT) at the start of line. */
bool downtime_log_time(const char *line, int64_t *utc_ms)
{
    struct tm tm = {0};
    int ms = 0;
    const char *p = strptime(line, "%Y-%m-%d %H:%M:%S", &tm);
    if (p == NULL)
        return false;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
        for (; digits < 3 && digits > 0; digits++)
            ms *= 10;
    }
    if (strncmp(p, " UTC", 4) != 0 && strncmp(p, " GMT", 4) != 0)
        return false;
    *utc_ms = (int64_t)timegm(&tm) * 1000 + ms;
    return true;
}

static void mark(int64_t *slot, int64_t ms)
{
    if (*slot < 0)
        *slot = ms;
}

/* "restored log file "<24 hex digits>" from archive": a WAL segment (not a
 * timeline history file, which a promotion fetches after redo). */
static bool is_segment_restored(const char *line)
{
    const char *p = strstr(line, "restored log file \"");
    if (p == NULL || strstr(line, "from archive") == NULL)
        return false;
    p += strlen("restored log file \"");
    size_t n = strspn(p, "0123456789ABCDEF");
    return n == 24 && p[24] == '"';
}

static void read_line(const char *line, int64_t from, int64_t to, DowntimeLog *o)
{
    int64_t t;
    if (!downtime_log_time(line, &t)) {
        o->lines_unreadable++;
        return;
    }
    if (t < from || t > to)
        return;
    o->lines_read++;
    int64_t ms = t - from;
    if (is_segment_restored(line)) {
        if (o->wal_restored > 0 && ms - o->wal_last_ms > o->wal_slowest_ms)
            o->wal_slowest_ms = ms - o->wal_last_ms;
        mark(&o->wal_first_ms, ms);
        o->wal_last_ms = ms;
        o->wal_restored++;
    } else if (strstr(line, "redo done at") != NULL)
        mark(&o->redo_done_ms, ms);
    else if (strstr(line, "selected new timeline ID") != NULL)
        mark(&o->new_timeline_ms, ms);
    else if (strstr(line, "database system is ready to accept connections") != NULL)
        mark(&o->ready_ms, ms);
    else if (strstr(line, "is now a synchronous standby") != NULL)
        mark(&o->sync_standby_ms, ms);
}

void downtime_log_read(const char *text, int64_t from_utc_ms, int64_t to_utc_ms,
                       DowntimeLog *out)
{
    *out = (DowntimeLog){.wal_first_ms = -1, .wal_last_ms = -1, .wal_slowest_ms = -1,
                         .redo_done_ms = -1, .new_timeline_ms = -1, .ready_ms = -1,
                         .sync_standby_ms = -1};
    char line[2048];
    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        /* A continuation line (DETAIL:, a tab-indented statement) is part
         * of the line before: only lines that start a message count. */
        if (len > 0 && p[0] != '\t' && p[0] != ' ') {
            snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1),
                     p);
            read_line(line, from_utc_ms, to_utc_ms, out);
        }
        p = nl != NULL ? nl + 1 : NULL;
    }
    if (out->wal_restored < 2)
        out->wal_slowest_ms = -1;
}
