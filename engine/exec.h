/*
 * exec.h — running commands on a node.
 *
 * One interface, several executors: local (fork/exec of an argv, as another OS
 * user when drill runs as root) and, later, SSH. Every run has a deadline
 * enforced by drill, captures stdout and stderr concurrently (reading one
 * cannot stall the other) into bounded buffers, and reports exit status and
 * terminating signal separately.
 */
#ifndef DRILL_EXEC_H
#define DRILL_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define EXEC_OUTPUT_LIMIT_DEFAULT (64 * 1024)  /* bytes kept per stream */

typedef struct ExecRequest {
    char *const *argv;          /* argv[0] searched in PATH; NULL-terminated */
    const char *run_as;         /* OS user to run as; NULL or same user = no switch */
    char *const *env_extra;     /* "KEY=VALUE" added to the environment; NULL-terminated or NULL */
    const char *cwd;            /* NULL = "/" when switching user, else unchanged */
    const char *stdin_data;     /* written to stdin, then closed; NULL = /dev/null */
    int64_t timeout_ms;         /* <= 0: no deadline */
    size_t output_limit;        /* 0 = EXEC_OUTPUT_LIMIT_DEFAULT */
    bool detach;                /* start in its own session and do not wait (servers);
                                   output goes to /dev/null, result.pid set */
    int (*cancelled)(void);     /* polled while waiting; non-zero kills the process
                                   group like a timeout (drill interrupted). NULL = never */
} ExecRequest;

typedef struct ExecResult {
    int exit_code;        /* -1 when killed by a signal or not started */
    int term_signal;      /* 0 when it exited normally */
    bool timed_out;       /* the deadline passed; the process group was killed */
    bool cancelled;       /* req->cancelled() asked to stop; the process group was killed */
    char *out;            /* captured stdout (NUL-terminated, never NULL after exec_run) */
    size_t out_len;
    bool out_truncated;
    char *err;            /* captured stderr */
    size_t err_len;
    bool err_truncated;
    int64_t duration_us;  /* monotonic */
    long pid;
} ExecResult;

typedef struct Executor Executor;

/* Local executor. */
Executor *exec_local_new(void);
/* Returns 0 when the command ran (whatever its exit status); negative when it
 * could not be started (DRILL_E_EXEC) or the user switch is impossible. A timeout
 * is reported in result->timed_out with return 0. */
int exec_run(Executor *ex, const ExecRequest *req, ExecResult *result, DrillError *err);
void exec_free(Executor *ex);
void exec_result_clear(ExecResult *r);

/* "argv[0] arg1 'arg with space'" — shell-quoted, for evidence and dry runs. */
char *exec_argv_format(char *const *argv);

/* Implementation hook for other executors (ssh). */
typedef struct ExecOps {
    int (*run)(Executor *ex, const ExecRequest *req, ExecResult *result, DrillError *err);
    void (*destroy)(Executor *ex);
} ExecOps;
struct Executor {
    const ExecOps *ops;
};

#endif
