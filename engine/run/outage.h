/*
 * outage.h — where a run's downtime went, stored as measures (downtime.h
 * cuts it; this file gathers the times and the server logs and stores them).
 *
 *   downtime.NN STEP          ms of the outage spent in step STEP (NN: order)
 *   downtime.between steps    ms when no step ran (the runner's own time)
 *   downtime.NODE.EVENT_ms    when NODE's server log says EVENT happened,
 *                             from the fault: wal_first_restored,
 *                             wal_last_restored, redo_done, new_timeline,
 *                             ready, sync_standby
 *   downtime.NODE.wal_restored / .wal_slowest_wait_ms
 * (the log is read from the fault to 30 s after the outage) and findings
 * (event `finding`): WAL fetched one segment at a time for a second or more;
 * commits held back a second or more after the server was ready, until its
 * synchronous standby attached.
 *
 * The logs are read through the node's executor (so over SSH too), filtered
 * on the node to the lines that matter: a production log is never copied.
 */
#ifndef DRILL_OUTAGE_H
#define DRILL_OUTAGE_H

#include <stdint.h>

#include "progress.h"
#include "runctx.h"

/* Keeps a step's times for the breakdown (called for every step that ran). */
void outage_span(RunCtx *ctx, const PlanStep *ps, int64_t start_us, int64_t end_us);

/* Stores the breakdown of [fault_us, end_us] (monotonic) and says it. */
void outage_record(RunCtx *ctx, int64_t fault_us, int64_t end_us, Progress *pg);

#endif
