/*
 * error.h — the one error type of drill.
 *
 * Every fallible function returns int: 0 on success, a negative DRILL_E_* code
 * on failure, and fills the caller's DrillError (which may be NULL) with the code
 * and a human message saying what failed, where, and how to fix it.
 * The CLI maps codes to exit statuses (see drill_exit_code()).
 */
#ifndef DRILL_ERROR_H
#define DRILL_ERROR_H

#include <stddef.h>

enum {
    DRILL_OK = 0,
    DRILL_E_NOMEM = -1,     /* allocation failed */
    DRILL_E_INVALID = -2,   /* usage, configuration or drill invalid  -> exit 2 */
    DRILL_E_IO = -3,        /* file or system call failed             -> exit 3 */
    DRILL_E_PG = -4,        /* PostgreSQL connection or query failed  -> exit 3 */
    DRILL_E_TIMEOUT = -5,   /* a deadline passed                      -> exit 3 */
    DRILL_E_EXEC = -6,      /* a command could not be started         -> exit 3 */
    DRILL_E_STORE = -7,     /* the results store failed               -> exit 3 */
    DRILL_E_ABORTED = -8,   /* aborted (signal, safety check)         -> exit 3 */
    DRILL_E_FAILED = -9,    /* an expectation or objective was not met -> exit 1 */
    DRILL_E_SSH = -10,      /* SSH connection or host key refused     -> exit 3 */
    DRILL_E_NOTFOUND = -11, /* a named thing does not exist           -> exit 2 */
};

/* Process exit statuses, documented in `drill --help` and the README. */
enum {
    DRILL_EXIT_OK = 0,        /* objectives met */
    DRILL_EXIT_FAILED = 1,    /* objectives or verification failed */
    DRILL_EXIT_INVALID = 2,   /* usage, configuration or drill invalid */
    DRILL_EXIT_ABORTED = 3,   /* aborted or infrastructure error */
};

#define DRILL_ERROR_MSG_MAX 1024

typedef struct DrillError {
    int code;
    char message[DRILL_ERROR_MSG_MAX];
} DrillError;

/* Sets err (if not NULL) and returns code, so callers can `return drill_error_set(...)`. */
int drill_error_set(DrillError *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with more context ("while X: <old message>"). */
int drill_error_wrap(DrillError *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void drill_error_clear(DrillError *err);

/* Short name of a code ("invalid", "timeout", ...). */
const char *drill_error_name(int code);

/* Exit status a command should end with after an error of this code. */
int drill_exit_code(int code);

#endif
