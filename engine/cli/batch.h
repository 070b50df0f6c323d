/*
 * batch.h — running several plans as one batch (batch.c).
 */
#ifndef DRILL_CLI_BATCH_H
#define DRILL_CLI_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "plan.h"
#include "runner.h"

typedef struct BatchOptions {
    const RunOptions *run;
    bool fail_fast;            /* stop after the first run that does not pass */
    bool json;                 /* --format json: one JSON document on stdout */
    const char *junit, *html;  /* reports; NULL = not wanted */
} BatchOptions;

typedef struct BatchOutcome {
    int64_t batch_id;          /* first run's id; 0 when nothing ran */
    int64_t *run_ids;
    size_t nruns;
    const char **not_run;      /* drill names skipped (borrowed from the plans) */
    size_t nnot_run;
    int exit_code;             /* worst of the runs' */
} BatchOutcome;

/* Runs plans in order. Negative when a run could not start or the store
 * failed (err set; runs already done stay in out). Stops early after a run
 * interrupted by a signal, and with fail_fast after any run that did not
 * pass; the drills not run are listed in out->not_run. */
int batch_execute(Store *st, Plan *const *plans, size_t n, const BatchOptions *bo,
                  BatchOutcome *out, DrillError *err);
/* Prints the summary (text or JSON) and writes the reports, all from the
 * store. Returns 0 or an exit status. */
int batch_report(Store *st, const BatchOutcome *o, const BatchOptions *bo);
void batch_outcome_free(BatchOutcome *o);

#endif
