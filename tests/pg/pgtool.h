/*
 * pgtool.h — for the PostgreSQL tests: run a program from the server's bin
 * directory (as the postgres user when the tests run as root, because
 * PostgreSQL refuses to run as root), and connect to the test server or
 * stop the program. Header-only: each test is one program.
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

#endif
