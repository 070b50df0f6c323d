/*
 * exec.h — running commands on a node.
 *
 * One interface, several executors: local (fork/exec of an argv, as another OS
 * user when drill runs as root) and SSH (libssh, exec_ssh.c). Every run has a deadline
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
#include "util.h"

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
/* Appends arg to b as one POSIX shell word (single quotes, ' as '\''). Used to
 * build remote command lines: every element is quoted, never spliced. */
void exec_shell_quote(Buf *b, const char *arg);

/* SSH executor (exec_ssh.c, the only module that calls libssh). One executor
 * is one node: one session, opened on first use, reused across runs and
 * re-established once when the link dropped. */
typedef struct ExecSshTarget {
    const char *host;
    int port;                  /* 0 = 22 */
    const char *user;          /* NULL = current user */
    const char *identity_file; /* NULL = ssh-agent and ~/.ssh/id_* */
    const char *known_hosts;   /* NULL = ~/.ssh/known_hosts */
    bool accept_new_hostkey;   /* trust on first use: unknown key written to known_hosts */
    const char *become;        /* "sudo" | "runuser" | "none" (NULL = "sudo"): how
                                  ExecRequest.run_as is honoured remotely */
    int64_t connect_timeout_ms;/* <= 0: 10 s */
} ExecSshTarget;

/* Copies the target; does not connect. */
Executor *exec_ssh_new(const ExecSshTarget *target);
/* Connects and authenticates now unless already connected (DRILL_E_SSH on a
 * refused host key, failed authentication or an unreachable host). */
int exec_ssh_connect(Executor *ex, DrillError *err);
/* After a successful connect: the server's host key as OpenSSH prints it
 * ("SHA256:base64"), its type ("ssh-ed25519"), and whether it was unknown and
 * has just been trusted and written to known_hosts. */
const char *exec_ssh_hostkey_fingerprint(const Executor *ex);
const char *exec_ssh_hostkey_type(const Executor *ex);
bool exec_ssh_hostkey_added(const Executor *ex);
/* libssh's version, for the evidence. */
const char *exec_ssh_library_version(void);

/* Implementation hook for other executors (ssh). */
typedef struct ExecOps {
    int (*run)(Executor *ex, const ExecRequest *req, ExecResult *result, DrillError *err);
    void (*destroy)(Executor *ex);
} ExecOps;
struct Executor {
    const ExecOps *ops;
};
/* For executors: moves the captured streams (and their truncation flags) and
 * the process (group) id into the result. */
void exec_result_take_output(ExecResult *res, Buf *out, Buf *err, long pid);

#endif
