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

#endif
