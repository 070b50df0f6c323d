/*
 * testutil.c — helpers shared by the C test programs (testutil.h): the
 * temporary directory and its removal at exit, fixture paths, reading a
 * file, required environment variables, diagnostics as text, running a
 * shell script.
 */
#define _GNU_SOURCE /* program_invocation_short_name */
#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static char *tmpdir;     /* made by testutil_tmpdir, NULL before */
static pid_t tmpdir_pid; /* the process that made it: only it removes it */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = type == FTW_DP ? rmdir(path) : unlink(path);
    if (rc != 0)
        fprintf(stderr, "testutil: cannot remove %s: %s\n", path, strerror(errno));
    return 0; /* go on: remove what can be removed */
}

/* atexit: removes the temporary directory and everything below it. */
static void tmpdir_remove(void)
{
    if (tmpdir == NULL || getpid() != tmpdir_pid)
        return;
    if (nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "testutil: cannot walk %s: %s\n", tmpdir, strerror(errno));
    free(tmpdir);
    tmpdir = NULL;
}

const char *testutil_tmpdir(void)
{
    if (tmpdir != NULL)
        return tmpdir;
    const char *base = getenv("TMPDIR");
    char *dir = xasprintf("%s/drill-%s-XXXXXX", base != NULL && base[0] != '\0' ? base : "/tmp",
                          program_invocation_short_name);
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "testutil: cannot make %s: %s\n", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    if (atexit(tmpdir_remove) != 0) {
        fprintf(stderr, "testutil: cannot register the removal of %s\n", dir);
        if (rmdir(dir) != 0)
            fprintf(stderr, "testutil: cannot remove %s: %s\n", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    tmpdir = dir;
    tmpdir_pid = getpid();
    return tmpdir;
}

char *testutil_tmp_path(const char *name)
{
    const char *dir = testutil_tmpdir();
    if (dir == NULL)
        exit(2);
    return xasprintf("%s/%s", dir, name);
}

const char *testutil_data_dir(void)
{
    const char *d = getenv("DRILL_TEST_DATA");
    return d != NULL ? d : "tests/data";
}

char *testutil_data_path(const char *rel)
{
    return xasprintf("%s/%s", testutil_data_dir(), rel);
}

char *testutil_read_file(const char *path, size_t *len)
{
    char *text = NULL;
    size_t n = 0;
    DrillError err = {0};
    if (file_read_all(path, (size_t)64 << 20, &text, &n, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return NULL;
    }
    if (len != NULL)
        *len = n;
    return text;
}

const char *testutil_env(const char *name, const char *runner)
{
    const char *v = getenv(name);
    if (v == NULL) {
        fprintf(stderr, "%s not set: run through %s\n", name, runner);
        exit(1);
    }
    return v;
}

char *testutil_diags_text(DiagList *dl)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL) {
        fprintf(stderr, "testutil: open_memstream: %s\n", strerror(errno));
        exit(2);
    }
    diag_print(dl, f);
    if (fclose(f) != 0) {
        fprintf(stderr, "testutil: diagnostics: %s\n", strerror(errno));
        exit(2);
    }
    return text;
}

int testutil_sh(Executor *ex, const char *script, int64_t timeout_ms, size_t limit,
                ExecResult *res)
{
    char *argv[] = {xstrdup("/bin/sh"), xstrdup("-c"), xstrdup(script), NULL};
    ExecRequest req = {.argv = argv, .timeout_ms = timeout_ms, .output_limit = limit};
    DrillError err = {0};
    int rc = exec_run(ex, &req, res, &err);
    if (rc != 0)
        fprintf(stderr, "exec_run: %s\n", err.message);
    for (size_t i = 0; argv[i] != NULL; i++)
        free(argv[i]);
    return rc;
}
