/*
 * pgtool.h — for the PostgreSQL tests: run a program from the server's bin
 * directory (as the postgres user when the tests run as root, because
 * PostgreSQL refuses to run as root), connect to the test server or stop the
 * program, and run one SQL statement. Header-only: each test is one program
 * (the helpers every C test shares are in ../testutil.h).
 */
#ifndef DRILL_TEST_PGTOOL_H
#define DRILL_TEST_PGTOOL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg.h"
#include "util.h"

/* Runs PGBIN/prog args... and returns its exit status (-1 if it could not run). */
static inline int pgtool_run(const char *pgbin, const char *prog, const char *const *args)
{
    char *argv[24];   /* copies: execvp wants non-const strings */
    size_t n = 0;
    if (geteuid() == 0) {
        argv[n++] = xstrdup("runuser");
        argv[n++] = xstrdup("-u");
        argv[n++] = xstrdup("postgres");
        argv[n++] = xstrdup("--");
    }
    argv[n++] = xasprintf("%s/%s", pgbin, prog);
    for (; *args != NULL && n < 23; args++)
        argv[n++] = xstrdup(*args);
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = -1;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    for (size_t i = 0; i < n; i++)
        free(argv[i]);
    return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Connects to conninfo (5 s); a test server that refuses ends the program:
 * nothing after it could be checked. */
static inline PgConn *pgtool_connect(const char *conninfo)
{
    PgConn *c = NULL;
    DrillError err = {0};
    if (pg_connect(conninfo, 5000, &c, &err) != 0) {
        fprintf(stderr, "connect: %s\n", err.message);
        exit(1);
    }
    return c;
}

/* Runs SQL without parameters; pg_user_sql's code, the error on stderr when
 * it is not 0. Its first value (a new string, NULL when none) in *value, or
 * dropped when value is NULL. */
static inline int pgtool_sql(PgConn *c, const char *sql, char **value)
{
    char *v = NULL;
    long rows = 0;
    DrillError err = {0};
    int rc = pg_user_sql(c, sql, 0, NULL, &v, &rows, &err);
    if (rc != 0)
        fprintf(stderr, "sql %s: %s\n", sql, err.message);
    if (value != NULL)
        *value = v;
    else
        free(v);
    return rc;
}

#endif
