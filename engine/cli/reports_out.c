/*
 * reports_out.c — writing a stored run's reports, shared by `drill run` and
 * `drill report` so both produce the same bytes: render from the store,
 * list each file in its directory's SHA256SUMS, and record it (path, hash)
 * with the run so `drill verify` can later tell whether it was modified.
 */
/* realpath() and mkstemp() are XSI. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "manifest.h"
#include "report.h"
#include "util.h"

/* `--junit -` / `--html -`: the report on standard output. It is rendered
 * into a private temporary file by the same renderer (which writes files
 * atomically), copied out and removed; it is no file, so nothing is listed
 * in SHA256SUMS or recorded as evidence. */
#define REPORT_STDOUT_MAX (256u * 1024 * 1024)   /* a report is far smaller; a bound all the same */

static bool to_stdout(const char *path)
{
    return path != NULL && strcmp(path, "-") == 0;
}

static char *stdout_temp(DrillError *err)
{
    const char *dir = getenv("TMPDIR");
    char *tmp = xasprintf("%s/drill-report.XXXXXX", dir != NULL && dir[0] != '\0' ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        drill_error_set(err, DRILL_E_IO, "cannot create a temporary file %s", tmp);
        free(tmp);
        return NULL;
    }
    close(fd);
    return tmp;
}

static int copy_to_stdout(const char *cmd, const char *tmp)
{
    size_t len = 0;
    char *text = NULL;
    DrillError err;
    int rc = file_read_all(tmp, REPORT_STDOUT_MAX, &text, &len, &err);
    unlink(tmp);
    if (rc < 0)
        return cli_fail(cmd, &err);
    bool ok = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0;
    free(text);
    if (!ok) {
        fprintf(stderr, "drill %s: error: cannot write the report to standard output\n", cmd);
        return DRILL_EXIT_ABORTED;
    }
    return 0;
}

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
    char *tmp = to_stdout(path) ? stdout_temp(&err) : NULL;
    if (to_stdout(path) && tmp == NULL) {
        free(hist);
        return cli_fail(cmd, &err);
    }
    int rc = report_html_write(rec, hist + skip, nhist - skip, tmp != NULL ? tmp : path, &err);
    free(hist);
    if (rc < 0 && tmp != NULL)
        unlink(tmp);
    rc = rc < 0 ? cli_fail(cmd, &err)
         : tmp != NULL ? copy_to_stdout(cmd, tmp) : record_output(cmd, st, rec->id, path);
    free(tmp);
    return rc;
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
    if (to_stdout(path)) {
        char *tmp = stdout_temp(&err);
        if (tmp == NULL)
            return cli_fail(cmd, &err);
        int rc = report_junit_write_batch(recs, n, tmp, &err) < 0 ? (unlink(tmp), cli_fail(cmd, &err))
                                                                  : copy_to_stdout(cmd, tmp);
        free(tmp);
        return rc;
    }
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
    if (to_stdout(junit) && to_stdout(html))
        return cli_usage(cmd, "only one of --junit and --html can be - (standard output)");
    for (size_t i = 0; i < 2; i++)
        if (outs[i] != NULL && !to_stdout(outs[i]) &&
            dir_make_parents(outs[i], 0755, outs[i], &err) < 0)
            return cli_fail(cmd, &err);
    int rc = junit != NULL ? write_junit(cmd, st, recs, n, junit) : 0;
    if (to_stdout(html) && n > 1)
        return cli_usage(cmd, "--html - writes one run's report: this batch has %zu", n);
    for (size_t i = 0; html != NULL && i < n; i++) {
        char *path = to_stdout(html) ? xstrdup(html) : html_path(html, recs[i], i, n);
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
