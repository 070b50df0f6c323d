/*
 * reports_out.c — writing a stored run's reports, shared by `drill run` and
 * `drill report` so both produce the same bytes: render from the store,
 * list each file in its directory's SHA256SUMS, and record it (path, hash)
 * with the run so `drill verify` can later tell whether it was modified.
 */
/* realpath() is XSI. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "manifest.h"
#include "report.h"
#include "util.h"

/* Hashes the written file into SHA256SUMS and the store. */
static int record_output(const char *cmd, Store *st, int64_t run_id, const char *path)
{
    char sha[65];
    int64_t bytes = 0;
    DrillError err;
    if (manifest_record(path, sha, &bytes, &err) < 0)
        return cli_fail(cmd, &err);
    char *abs = realpath(path, NULL);
    int rc = store_artifact_add(st, run_id, abs != NULL ? abs : path, sha, bytes, &err);
    free(abs);
    return rc < 0 ? cli_fail(cmd, &err) : 0;
}

/* The trend shows this drill's runs up to this one, as `drill run` saw them. */
static int write_html(const char *cmd, Store *st, const RunRecord *rec, const char *path)
{
    RunSummary *hist = NULL;
    size_t nhist = 0, skip = 0;
    DrillError err;
    store_history(st, rec->drill_name, 20, &hist, &nhist, NULL);
    while (skip < nhist && hist[skip].id > rec->id)
        skip++;
    int rc = report_html_write(rec, hist + skip, nhist - skip, path, &err);
    free(hist);
    return rc < 0 ? cli_fail(cmd, &err) : record_output(cmd, st, rec->id, path);
}

/* One run: FILE itself. Several: FILE with "-SEQ-DRILL" before its
 * extension (out.html -> out-1-primary-wipe.html), one HTML per run. */
static char *html_path(const char *path, const RunRecord *rec, size_t seq, size_t n)
{
    if (n == 1)
        return xstrdup(path);
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    size_t stem = dot != NULL && (slash == NULL || dot > slash) ? (size_t)(dot - path)
                                                                : strlen(path);
    return xasprintf("%.*s-%zu-%s%s", (int)stem, path, seq + 1, rec->drill_name, path + stem);
}

/* The JUnit file is evidence of every run in it: recorded with each. */
static int write_junit(const char *cmd, Store *st, const RunRecord *const *recs, size_t n,
                       const char *path)
{
    DrillError err;
    if (report_junit_write_batch(recs, n, path, &err) < 0)
        return cli_fail(cmd, &err);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = record_output(cmd, st, recs[i]->id, path);
    return rc;
}

int cli_write_batch_reports(const char *cmd, Store *st, const RunRecord *const *recs, size_t n,
                            const char *junit, const char *html)
{
    DrillError err;
    const char *outs[] = {junit, html};
    for (size_t i = 0; i < 2; i++)
        if (outs[i] != NULL && dir_make_parents(outs[i], 0755, outs[i], &err) < 0)
            return cli_fail(cmd, &err);
    int rc = junit != NULL ? write_junit(cmd, st, recs, n, junit) : 0;
    for (size_t i = 0; html != NULL && i < n; i++) {
        char *path = html_path(html, recs[i], i, n);
        int hrc = write_html(cmd, st, recs[i], path);
        free(path);
        rc = rc != 0 ? rc : hrc;
    }
    return rc;
}

int cli_write_reports(const char *cmd, Store *st, const RunRecord *rec, const char *junit,
                      const char *html)
{
    return cli_write_batch_reports(cmd, st, &rec, 1, junit, html);
}
