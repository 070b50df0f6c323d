/*
 * gate.h — the regression gate (`drill run --max-regression PCT`): a drill
 * that still meets its objectives but recovers much slower than it used to
 * is a warning CI should see. Each measured RTO (rto_ms) and RPO (rpo_ms) is
 * compared with the MEDIAN of the same measure over the last N PASSED runs of
 * the same drill on the same target (same topology name and, when recorded,
 * the same system_identifier). The median ignores one odd run either way.
 *
 * Rule: regression when measured > baseline * (1 + PCT/100). With a baseline
 * of 0 (typical RPO with synchronous replication) any loss is a regression.
 * Fewer than N baseline runs: the gate is not applied (recorded as a passed
 * objective saying so, never a failure), so a new drill builds its baseline.
 *
 * Results are stored as objectives `rto_regression` / `rpo_regression`
 * (target = the limit, or -1 when not applied; `how` names the baseline),
 * before the run is sealed, so every report shows them from the store.
 */
#ifndef DRILL_GATE_H
#define DRILL_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "progress.h"
#include "store.h"

#define GATE_DEFAULT_BASELINE_RUNS 5
#define GATE_MAX_BASELINE_RUNS 1000

typedef struct GateOptions {
    double max_regression_pct;  /* >= 0 */
    size_t baseline_runs;       /* N, 1..GATE_MAX_BASELINE_RUNS */
} GateOptions;

typedef struct GateVerdict {
    bool applied;       /* enough baseline runs */
    size_t nbaseline;   /* baseline runs found (<= N) */
    double baseline;    /* median, when applied */
    double limit;       /* baseline * (1 + pct/100), when applied */
    bool passed;        /* not applied counts as passed */
} GateVerdict;

/* Median of values (sorted in place); n must be > 0. */
double gate_median(double *values, size_t n);

/* Judges measured against values (the baseline runs found; sorted in place). */
void gate_judge(double *values, size_t n, const GateOptions *opt, double measured,
                GateVerdict *out);

/* Applies the gate to stored run run_id (not yet finished): records one
 * objective per measure the run has, notes each on pg. Returns the number of
 * regressions (>= 0) or a negative store error. */
int gate_apply(Store *st, int64_t run_id, const GateOptions *opt, Progress *pg, DrillError *err);

#endif
