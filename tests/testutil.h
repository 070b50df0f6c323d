/*
 * testutil.h — helpers shared by the C test programs (tests/unit, tests/pg,
 * tests/ssh; the static library drill_testutil, tests/CMakeLists.txt):
 *   - the program's temporary directory, made on first use and removed with
 *     everything in it when the program exits;
 *   - the fixture directory (DRILL_TEST_DATA, else tests/data);
 *   - reading a whole file, a required environment variable;
 *   - a DiagList as text, a shell script run through an executor.
 * None of them CHECKs (tests/harness.h keeps its counters per program): each
 * reports a failure by its result, with a message on stderr, and the test
 * checks that result itself.
 */
#ifndef DRILL_TESTUTIL_H
#define DRILL_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "exec.h"

/* $TMPDIR (else /tmp)/drill-PROGRAM-XXXXXX, made by the first call; later
 * calls return the same path. It and everything below it are removed when
 * the program exits (atexit; not by a child that forked from it). NULL, with
 * a message on stderr, when it cannot be made. */
const char *testutil_tmpdir(void);

/* A new string TMPDIR/NAME (testutil_tmpdir); NAME may hold subdirectories,
 * which are not created. Exits the program (status 2) when there is no
 * temporary directory: nothing that writes there could be checked. */
char *testutil_tmp_path(const char *name);

/* The fixture directory: $DRILL_TEST_DATA, else "tests/data". */
const char *testutil_data_dir(void);

/* A new string DATA_DIR/REL (testutil_data_dir). */
char *testutil_data_path(const char *rel);

/* The whole file (up to 64 MiB), NUL-terminated; its length in *len when len
 * is not NULL. NULL, with the reason on stderr, when it cannot be read. */
char *testutil_read_file(const char *path, size_t *len);

/* The value of environment variable NAME; when it is not set, says so (and
 * that the program runs through RUNNER, e.g. "tests/with-sshd.sh") and exits
 * with status 1: the test has nothing to test against. */
const char *testutil_env(const char *name, const char *runner);

/* The diagnostics as diag_print writes them, a new string ("" when there is
 * none), never NULL: when no memory stream opens (no memory), says so and
 * exits the program with status 2, like xmalloc. */
char *testutil_diags_text(DiagList *dl);

/* Runs /bin/sh -c SCRIPT through EX (deadline timeout_ms, output_limit limit:
 * 0 for the default), the result in *res; exec_run's code, its message on
 * stderr when it is not 0. */
int testutil_sh(Executor *ex, const char *script, int64_t timeout_ms, size_t limit,
                ExecResult *res);

#endif
