/* outage.c — see outage.h. */
#include "outage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The log lines downtime_log_read looks for; grep on the node keeps the
 * transfer to them (a server log can be gigabytes). */
#define LOG_PATTERN                                                                        \
    "restored log file|redo done at|selected new timeline ID|ready to accept connections|" \
    "is now a synchronous standby"
#define LOG_TAIL_BYTES "60000"   /* under the step output limit */
#define LOG_AFTER_MS 30000

void outage_span(RunCtx *ctx, const PlanStep *ps, int64_t start_us, int64_t end_us)
{
    if (ctx->nspans == ctx->cap_spans) {
        ctx->cap_spans = ctx->cap_spans ? ctx->cap_spans * 2 : 32;
        ctx->spans = xrealloc(ctx->spans, ctx->cap_spans * sizeof *ctx->spans);
    }
    ctx->spans[ctx->nspans++] =
        (DowntimeSpan){start_us, end_us, ps->seq, ps->step->name};
}

static void store_ms(RunCtx *ctx, const char *key, double ms, const char *how)
{
    store_measure_add(ctx->store, ctx->run_id, key, ms, "ms", how, NULL);
}

static void record_steps(RunCtx *ctx, int64_t fault_us, int64_t end_us, Progress *pg)
{
    DowntimeSegment *seg = NULL;
    size_t n = downtime_segments(ctx->spans, ctx->nspans, fault_us, end_us, &seg);
    Buf line;
    buf_init(&line, 4096);
    buf_appends(&line, "drill: where the downtime went:");
    for (size_t i = 0; i < n; i++) {
        char key[256];
        double ms = (double)seg[i].us / 1000.0;
        if (seg[i].name != NULL)
            snprintf(key, sizeof key, "downtime.%02zu %s", i + 1, seg[i].name);
        else
            snprintf(key, sizeof key, "downtime.between steps");
        store_ms(ctx, key, ms, seg[i].name != NULL
                 ? "time of the outage (fault -> first write committed) spent in this step"
                 : "time of the outage when no step ran (the runner between steps)");
        buf_appendf(&line, "%s %s %.0f ms", i > 0 ? ";" : "",
                    seg[i].name != NULL ? seg[i].name : "between steps", ms);
    }
    progress_note(pg, "%s", line.data);
    buf_free(&line);
    free(seg);
}

static void store_mark(RunCtx *ctx, const char *node, const char *what, int64_t ms,
                       const char *how)
{
    if (ms < 0)
        return;
    char key[256];
    snprintf(key, sizeof key, "downtime.%s.%s_ms", node, what);
    store_ms(ctx, key, (double)ms, how);
}

/* A finding: what a DBA can act on, with its measured cost and the fix. */
static void finding(RunCtx *ctx, Progress *pg, const char *text)
{
    store_event_add(ctx->store, ctx->run_id, "finding", time_utc_ms(),
                    time_mono_us() - ctx->t0_mono_us, text, NULL);
    progress_note(pg, "drill: finding: %s", text);
}

static void record_node_log(RunCtx *ctx, const Node *n, int64_t from_ms, int64_t to_ms,
                            int64_t outage_ms, Progress *pg)
{
    char *script = xasprintf("grep -a -E '" LOG_PATTERN "' \"$1\" | tail -c " LOG_TAIL_BYTES);
    static char sh[] = "sh", dash_c[] = "-c";
    char *const argv[] = {sh, dash_c, script, sh, n->log_file, NULL};
    StepOutcome o;
    step_outcome_init(&o);
    step_run_argv(ctx, n, argv, 0, time_mono_us() + 10 * 1000000, &o);
    free(script);
    DowntimeLog lg;
    downtime_log_read(o.out.data ? o.out.data : "", from_ms, to_ms, &lg);
    step_outcome_free(&o);
    char key[192], value[256];
    snprintf(key, sizeof key, "downtime.log.%s", n->name);
    snprintf(value, sizeof value, "%s: %zu line(s) of the outage read, %zu without a UTC "
             "timestamp at their start (log_line_prefix %%m, log_timezone UTC)", n->log_file,
             lg.lines_read, lg.lines_unreadable);
    store_fact_add(ctx->store, ctx->run_id, key, value, NULL);
    if (lg.lines_read == 0)
        return;
    const char *from = "from the fault, by the server log";
    store_mark(ctx, n->name, "wal_first_restored", lg.wal_first_ms, from);
    store_mark(ctx, n->name, "wal_last_restored", lg.wal_last_ms, from);
    store_mark(ctx, n->name, "wal_slowest_wait", lg.wal_slowest_ms,
               "longest time between two WAL segments restored from the archive");
    store_mark(ctx, n->name, "redo_done", lg.redo_done_ms, from);
    store_mark(ctx, n->name, "new_timeline", lg.new_timeline_ms, from);
    store_mark(ctx, n->name, "ready", lg.ready_ms, from);
    store_mark(ctx, n->name, "sync_standby", lg.sync_standby_ms, from);
    if (lg.wal_restored > 0) {
        snprintf(key, sizeof key, "downtime.%s.wal_restored", n->name);
        store_measure_add(ctx->store, ctx->run_id, key, (double)lg.wal_restored, "segments",
                          "WAL segments restored from the archive during the outage", NULL);
    }
    int64_t stall = lg.sync_standby_ms - lg.ready_ms;
    if (lg.ready_ms >= 0 && lg.sync_standby_ms >= 0 && stall >= 1000) {
        char text[640];
        snprintf(text, sizeof text, "%s: commits waited %.1f s after the server was ready "
                 "(+%.1f s) until its synchronous standby attached (+%.1f s, \"is now a "
                 "synchronous standby\" in its log): bring the synchronous receiver back as soon as "
                 "the primary opens for writes (its slot through SQL, `barman receive-wal` "
                 "started directly rather than through `barman cron`: primary-wipe does both)",
                 n->name, (double)stall / 1000.0, (double)lg.ready_ms / 1000.0,
                 (double)lg.sync_standby_ms / 1000.0);
        finding(ctx, pg, text);
    }
    int64_t span = lg.wal_last_ms - lg.wal_first_ms;
    if (lg.wal_restored >= 3 && span >= 1000) {
        char text[768];
        snprintf(text, sizeof text, "%s: restore_command fetched %zu WAL segments one process "
                 "at a time over %.1f s (%.0f%% of the %.1f s outage; slowest wait %.1f s): "
                 "stage the WAL before starting (barman_recover `stage_wal: true`: barman recover "
                 "without --get-wal copies it, drill adds the streamed partial segment; "
                 "measured 8.4 s -> 3.6 s RTO on the sandbox), or use barman-wal-restore with "
                 "--parallel / a spool directory", n->name, lg.wal_restored,
                 (double)span / 1000.0, 100.0 * (double)span / (double)outage_ms,
                 (double)outage_ms / 1000.0, (double)lg.wal_slowest_ms / 1000.0);
        finding(ctx, pg, text);
    }
}

void outage_record(RunCtx *ctx, int64_t fault_us, int64_t end_us, Progress *pg)
{
    if (end_us <= fault_us || ctx->dry_run)
        return;
    record_steps(ctx, fault_us, end_us, pg);
    /* Monotonic to UTC, for the log's timestamps (both clocks read now). */
    int64_t offset_us = time_utc_ms() * 1000 - time_mono_us();
    /* The log is read a little past the outage: a synchronous standby that
     * attaches after the first commit returned (by cancelling its wait)
     * still held the writes back. */
    int64_t from_ms = (fault_us + offset_us) / 1000,
            to_ms = (end_us + offset_us) / 1000 + LOG_AFTER_MS;
    const Topology *t = ctx->plan->topology;
    for (size_t i = 0; i < t->nnodes; i++)
        if (t->nodes[i].conninfo != NULL && t->nodes[i].log_file != NULL)
            record_node_log(ctx, &t->nodes[i], from_ms, to_ms, (end_us - fault_us) / 1000, pg);
}
