/*
 * suite.h — suite files: a named list of drills run together by
 * `drill run --suite FILE` (one topology, one JUnit file, one exit status).
 *
 *   suite: monthly                 # required: the suite's name
 *   description: ...               # optional
 *   fail_fast: false               # optional: stop after the first drill that does not pass
 *   drills:                        # required, non-empty: names or paths
 *     - primary-wipe
 *     - ./local/my-drill.yaml      # a path with a '/' is relative to the suite file
 *
 * Every problem is reported at FILE:LINE:COL like drill files; a drill
 * entry that resolves to no file is an error at that entry.
 */
#ifndef DRILL_SUITE_H
#define DRILL_SUITE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define SUITE_MAX_DRILLS 100

typedef struct Suite {
    char *file;
    char *name;
    char *description;   /* NULL when absent */
    char **drills;       /* resolved drill file paths */
    size_t ndrills;
    bool fail_fast;
} Suite;

/* 0, or DRILL_E_INVALID / DRILL_E_IO with diagnostics in diags. */
int suite_load(const char *path, DiagList *diags, Suite **out);
void suite_free(Suite *s);   /* NULL ok */
/* A file whose top level has a `suite:` key (cheap check, no parsing). */
bool suite_file_looks_like(const char *path);

#endif
