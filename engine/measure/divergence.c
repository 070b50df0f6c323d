/*
 * divergence.c — the divergence rule (see divergence.h): parsing a timeline
 * history file and deciding whether a standby has replayed past its fork.
 */
#include "divergence.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"

/* One history row: "PARENT_TLI <ws> HI/LO <ws> reason". Like PostgreSQL's
 * readTimeLineHistory(), blank lines and '#' comments are skipped. */
typedef struct HistoryRow {
    uint32_t parent;
    uint64_t switch_lsn;
} HistoryRow;

/* 1 row parsed, 0 a line to skip, -1 malformed. */
static int parse_row(const char *line, size_t len, HistoryRow *row)
{
    char text[128];
    size_t lead = strspn(line, " \t");
    if (lead >= len || line[lead] == '#' || line[lead] == '\r')
        return 0;
    /* Only the first two fields matter; the reason may be long. */
    size_t keep = len - lead < sizeof text ? len - lead : sizeof text - 1;
    memcpy(text, line + lead, keep);
    text[keep] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long parent = strtoul(text, &end, 10);
    if (errno != 0 || end == text || (*end != ' ' && *end != '\t') || parent == 0 ||
        parent > UINT32_MAX)
        return -1;
    end += strspn(end, " \t");
    char lsn[40];
    size_t n = strcspn(end, " \t\r");
    if (n == 0 || n >= sizeof lsn)
        return -1;
    memcpy(lsn, end, n);
    lsn[n] = '\0';
    row->parent = (uint32_t)parent;
    return pg_lsn_parse(lsn, &row->switch_lsn) == 0 ? 1 : -1;
}

int divergence_switch_point(const char *history, uint32_t tli, uint64_t *lsn, DrillError *err)
{
    size_t total = history != NULL ? strlen(history) : 0;
    if (total > DIVERGENCE_HISTORY_MAX)
        return drill_error_set(err, DRILL_E_INVALID, "timeline history longer than %d bytes",
                               DIVERGENCE_HISTORY_MAX);
    uint32_t last_parent = 0;
    int found = 0, lineno = 0;
    for (const char *p = history; p != NULL && *p != '\0';) {
        size_t len = strcspn(p, "\n");
        HistoryRow row;
        int rc = parse_row(p, len, &row);
        lineno++;
        if (rc < 0 || (rc == 1 && row.parent <= last_parent))
            return drill_error_set(err, DRILL_E_INVALID, "timeline history line %d: %s", lineno,
                                   rc < 0 ? "expected \"PARENT_TLI <tab> HI/LO <tab> reason\""
                                          : "timelines are not in increasing order");
        if (rc == 1 && row.parent == tli) {
            *lsn = row.switch_lsn;
            found = 1;
        }
        if (rc == 1)
            last_parent = row.parent;
        p += len + (p[len] == '\n');
    }
    return found;
}

static void finding_diverged(const DivergenceInput *in, Divergence *out)
{
    char fork[32], at[32];
    pg_lsn_format(out->fork_lsn, fork, sizeof fork);
    pg_lsn_format(in->standby_lsn, at, sizeof at);
    snprintf(out->finding, sizeof out->finding,
             "DIVERGED: standby on timeline %" PRIu32 " replayed to %s, %" PRId64 " bytes past "
             "the fork at %s where the primary's timeline %" PRIu32 " left it",
             in->standby_tli, at, out->bytes_past_fork, fork, in->primary_tli);
}

int divergence_assess(const DivergenceInput *in, Divergence *out, DrillError *err)
{
    memset(out, 0, sizeof *out);
    char at[32], fork[32];
    pg_lsn_format(in->standby_lsn, at, sizeof at);
    int rc = divergence_switch_point(in->primary_history, in->standby_tli, &out->fork_lsn, err);
    if (rc < 0)
        return rc;
    out->fork_known = rc == 1;
    if (in->standby_tli == in->primary_tli) {
        snprintf(out->finding, sizeof out->finding, "in sync: standby and primary on timeline "
                 "%" PRIu32 ", standby replayed to %s", in->standby_tli, at);
        return 0;
    }
    if (!out->fork_known) {
        out->diverged = true;
        snprintf(out->finding, sizeof out->finding, "DIVERGED: standby timeline %" PRIu32
                 " (replayed to %s) is not in the history of the primary's timeline %" PRIu32,
                 in->standby_tli, at, in->primary_tli);
        return 0;
    }
    if (in->standby_lsn > out->fork_lsn) {
        out->diverged = true;
        out->bytes_past_fork = (int64_t)(in->standby_lsn - out->fork_lsn);
        finding_diverged(in, out);
        return 0;
    }
    pg_lsn_format(out->fork_lsn, fork, sizeof fork);
    snprintf(out->finding, sizeof out->finding, "in sync: standby on timeline %" PRIu32
             " replayed to %s, not past the fork at %s to the primary's timeline %" PRIu32,
             in->standby_tli, at, fork, in->primary_tli);
    return 0;
}
