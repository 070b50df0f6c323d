/*
 * report.h — renderers. Both take a RunRecord loaded from the store (never
 * the live run), so `drill report RUN` re-renders byte-identically what
 * `drill run` wrote. Output is written to a temp file and renamed into place.
 */
#ifndef DRILL_REPORT_H
#define DRILL_REPORT_H

#include "error.h"
#include "store.h"

/* Linked libxml2 version, recorded with each run ("libxml2 20914"). */
const char *report_library_version(void);

/* JUnit XML (libxml2 xmlTextWriter): <testsuites><testsuite> for the run, a
 * <testcase> per step and per objective; failure / error / skipped. */
int report_junit_write(const RunRecord *run, const char *path, DrillError *err);
/* Several runs (one batch: `drill run A B C`) in one file: one <testsuite>
 * per run, in the given order. */
int report_junit_write_batch(const RunRecord *const *runs, size_t n, const char *path,
                             DrillError *err);

/* Self-contained HTML evidence (no JavaScript, no external URL). `history` is
 * this drill's earlier runs (may be NULL/0) for the trend. */
int report_html_write(const RunRecord *run, const RunSummary *history, size_t nhistory,
                      const char *path, DrillError *err);

/* ---- drill fleet: every target x drill at a glance (fleet.c, junit.c) ----
 * Rendered from store_fleet's rows and the time of the view (now_ms: the
 * only clock, passed in, printed on the page). */
typedef struct FleetView {
    const FleetRow *rows;
    size_t n;
    int64_t now_ms;
    int64_t max_age_ms;      /* a pair not passed within it is stale; 0 = no limit */
    const char *store;       /* shown as the source */
} FleetView;
/* "ok", "failed" (the newest run did not pass: a failed drill, an audit
 * with a critical finding) or "stale" (not passed within max_age_ms, or
 * never); *why says why in one line. */
const char *fleet_judge(const FleetView *v, const FleetRow *r, char *why, size_t whysz);
/* Pairs judged not ok. */
size_t fleet_not_ok(const FleetView *v);
/* JUnit: <testsuite> per target, <testcase classname="drill.fleet.TARGET"
 * name=DRILL> per pair, failure when not ok. HTML: one self-contained page.
 * path "-" writes to stdout. */
int report_fleet_junit_write(const FleetView *v, const char *path, DrillError *err);
int report_fleet_html_write(const FleetView *v, const char *path, DrillError *err);
/* data to path (atomically), or to stdout when path is "-". */
int report_output(const char *path, const char *data, size_t len, DrillError *err);

#endif
