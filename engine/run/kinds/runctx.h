/*
 * runctx.h — state of one run shared by runner.c and the step
 * implementations (steps_*.c). Internal to the engine.
 */
#ifndef DRILL_RUNCTX_H
#define DRILL_RUNCTX_H

#include <stdbool.h>
#include <stdint.h>

#include "exec.h"
#include "downtime.h"
#include "heartbeat.h"
#include "redact.h"
#include "plan.h"
#include "store.h"
#include "util.h"

#define STEP_OUTPUT_LIMIT (64 * 1024)

/* Events marked so far, for `event: X, since: Y` (bounded: a drill marks few). */
#define RUN_EVENTS_MAX 64
typedef struct RunEventMark {
    char name[64];
    int64_t mono_us;
} RunEventMark;

/* A value captured by a step (`capture: NAME`), for `${capture.NAME}`. */
typedef struct RunCapture {
    char *name;
    char *value;
} RunCapture;

#define CAPTURE_VALUE_MAX 8192   /* longer first values are refused, not cut */

typedef struct RunCtx {
    const Plan *plan;
    Store *store;
    int64_t run_id;             /* in this store only */
    const Redactor *secrets;    /* the run's secrets (redact.h), for step messages */
    int64_t repair_of;          /* drill repair: the run being repaired, else 0 */
    bool repairing;             /* drill repair (repair_of 0: another store's run) */
    const char *repair_uuid;    /* ... the repaired run's UUID */
    char repair_label[96];      /* ... "run 12" or "run UUID (of another store)" */
    char run_uuid[UUID_STR_SIZE];   /* everywhere: what heartbeat rows carry */
    Executor *local;            /* executor for local nodes */
    Executor **remote;          /* per node (topology order): SSH executors, created on
                                   first use and freed by steps_release; NULL entries */
    bool accept_new_hostkey;    /* --accept-new-hostkey: trust unknown SSH host keys */
    bool dry_run;               /* read-only checks only: sql in READ ONLY transactions,
                                   no host key trusted on first use (dryrun.c) */
    Heartbeat *heartbeat;       /* NULL when not running / never started */
    struct AckKeeper *ack_keeper;   /* keeps the acknowledged seqs stored while it runs */
    bool heartbeat_series_stored;   /* its commits-per-bin series (once per run) */
    int64_t t0_mono_us;         /* run start */
    int64_t fault_mono_us;      /* -1 until the `fault` event */
    int64_t recovered_mono_us;  /* -1 until `recovered` */
    bool rpo_measured;
    int64_t rpo_missing, rpo_ms, rpo_wal_bytes;
    RunEventMark events[RUN_EVENTS_MAX];
    DowntimeSpan *spans;        /* each step that ran, in order (outage.c) */
    size_t nspans, cap_spans;
    size_t nevents;
    /* Slot bloat (wal_generate), times in ms since the fault (or run start). */
    int64_t slot_alert_t_ms;    /* -1 until retained WAL crossed slot_retained_alert */
    char slot_alert_slot[64];
    int64_t slot_lost_t_ms;     /* -1 until a slot was seen lost */
    int64_t slot_retained_max;  /* largest retained WAL sampled, -1 none */
    RunCapture *captures;       /* at most one per name: a new capture replaces the value */
    size_t ncaptures;
    /* Whoever builds the context (runner.c, dryrun.c) says how a step learns
     * that the run was asked to stop (a signal): non-zero then, and long
     * steps end early, running commands are killed. NULL: never asked. */
    int (*stop)(void);
} RunCtx;

/* Was the run asked to stop (ctx->stop)? */
bool runctx_stopping(const RunCtx *ctx);

/* ms since the fault event, or since the run began when none was marked. */
int64_t run_t_ms(const RunCtx *ctx, int64_t mono_us);

/* What a step did, recorded in the store by the runner. */
typedef enum StepStatus { STEP_OK, STEP_FAILED, STEP_ERROR, STEP_TIMEOUT, STEP_SKIPPED } StepStatus;

typedef struct StepOutcome {
    StepStatus status;
    int exit_code;             /* of the last command, -1 if none */
    int term_signal;
    Buf command;               /* every command / SQL the step ran, one per line */
    Buf out;                   /* bounded stdout of its commands, or a result */
    Buf err;                   /* bounded stderr */
    char message[512];         /* why it failed, or a short result */
    const Redactor *secrets;   /* step_set masks the message with it before cutting it
                                  to size: a cut must not leave a secret's start */
} StepOutcome;

const char *step_status_name(StepStatus s);
/* An empty outcome with bounded buffers; free it with step_outcome_free. */
void step_outcome_init(StepOutcome *o);
void step_outcome_free(StepOutcome *o);

/* Runs one step. `deadline_mono_us` bounds everything it does. */
void steps_execute(RunCtx *ctx, const PlanStep *ps, int64_t deadline_mono_us,
                   StepOutcome *o);

/* Sets o->status and o->message; returns the status (for `return step_fail(...)`). */
StepStatus step_set(StepOutcome *o, StepStatus status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Runs argv on the step's node (as the node's os_user) within the deadline,
 * appending command and output to o. Returns 0 when it ran and exited
 * `expect_exit`; otherwise sets o (failed/timeout/error) and returns -1. */
int step_run_argv(RunCtx *ctx, const Node *node, char *const *argv, int expect_exit,
                  int64_t deadline_mono_us, StepOutcome *o);

/* Stops the heartbeat writer if it runs and stores the acknowledged seqs
 * (fact heartbeat_acked_seqs): the end of every run, so that a run stopped
 * before its heartbeat_stop step still leaves them as evidence. */
void runctx_heartbeat_finish(RunCtx *ctx);

/* Frees the per-node executors (end of run). */
void steps_release(RunCtx *ctx);

/* Remaining time until the deadline in ms (at least 1). */
int64_t step_remaining_ms(int64_t deadline_mono_us);

/* Records a captured value (also as fact `capture.NAME`); frees them all. */
int runctx_capture_set(RunCtx *ctx, const char *name, const char *value, DrillError *err);
void runctx_captures_free(RunCtx *ctx);

/* Command preview of a step for dry runs and evidence (malloc'd). */
char *steps_describe(const Plan *plan, const PlanStep *ps);

#endif
