/*
 * runner.h — executes a plan: phases in order, per-step deadlines, cleanup
 * always, every step recorded in the store as it ends, heartbeat-based RTO/RPO
 * measured and judged against the drill's objectives.
 *
 * Exit statuses (see error.h): 0 objectives met; 1 recovery/verification
 * failed or an objective missed; 3 preflight or fault injection failed, or
 * infrastructure error (nothing measured); 128+N on signal N.
 */
#ifndef DRILL_RUNNER_H
#define DRILL_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "gate.h"
#include "plan.h"
#include "redact.h"
#include "store.h"
#include "util.h"

typedef enum ProgressMode {
    PROGRESS_AUTO,   /* in place on a TTY, timestamped lines otherwise */
    PROGRESS_TTY,
    PROGRESS_LINES,
    PROGRESS_QUIET
} ProgressMode;

typedef struct RunOptions {
    bool yes;                  /* destructive steps allowed (--yes) */
    ProgressMode progress;
    const char *topology_file; /* for the record */
    const char *operator_name; /* --operator (who ran it, for the record); may be NULL */
    const char *change_ref;    /* --change-ref (ticket / change id); may be NULL */
    const char *renderer_version; /* report library version, recorded; may be NULL */
    bool accept_new_hostkey;   /* --accept-new-hostkey: trust unknown SSH host keys (recorded) */
    const GateOptions *gate;   /* --max-regression: regression gate (gate.h); NULL = off */
    /* drill repair: the unfinished run this one repairs (plan_build_repair:
     * rollback, cleanup, then the read-only preflight checks; when they pass
     * the target is released: event target_healthy); 0 = an ordinary run,
     * or a repair of another store's run (repair_uuid set, known from the
     * primary's marker). repair_uuid is set in every repair. */
    int64_t repair_of;
    const char *repair_uuid;
} RunOptions;

typedef struct RunResult {
    int64_t run_id;
    int exit_code;
    char verdict[16];          /* passed | failed | error | aborted */
} RunResult;

/* Returns 0 when the run was carried out and recorded (whatever its verdict:
 * see result->exit_code); negative when it could not start (store failure,
 * destructive steps not allowed, ...). */
int runner_run(const Plan *plan, Store *st, const RunOptions *opt, RunResult *result,
               DrillError *err);

/* The target's name in the store (fact `target` of every run): a hash of the
 * topology's name and its primary's host and data directory, malloc'd. */
char *runner_target_key(const Topology *t);

/* Finds runs of this host still recorded as `running` whose drill process
 * died (their run lock is free: runlock.h), marks them aborted (exit 3) with
 * what they recorded, and seals them. Notes each on out (may be NULL). */
int runner_reap_orphans(Store *st, FILE *out, DrillError *err);

/* The dry run as one object of a JSON document (w positioned where a value
 * goes, e.g. inside an array): the plan's steps with their commands, every
 * check with its result, the verdict. Same checks and exit status. */
struct JsonWriter;
int runner_dry_run_json(const Plan *plan, const RunOptions *opt, struct JsonWriter *w);
/* Prints the plan: every step, node and resolved command (drill run --dry-run). */
void runner_print_plan(const Plan *plan, FILE *out);
/* The secrets of a run (redact.h): PGPASSWORD and the .pgpass passwords libpq
 * would use; everything a run or a dry run prints or stores is masked with
 * them. Free with redact_free. */
Redactor *runner_secrets_collect(void);
/* What runner_print_plan shows under step `index` of the plan: the commands
 * or SQL it runs, a `${capture.NAME}` as written (malloc'd; NULL when index
 * is out of range). */
char *runner_describe_step(const Plan *plan, size_t index);
/* Checks the run layer's table of step kinds (run/kinds/kinds.c) against the
 * catalogue (stepkind.c): row i is kind i, of the same name, with a run and
 * a describe function. DRILL_E_INVALID names the first wrong row. */
int runner_check_kinds(DrillError *err);

/* `drill run --dry-run` (dryrun.c): prints the plan, then runs only read-only
 * checks against the topology (nodes reachable and in their roles, target
 * pin, --yes/allow_destructive, run lock and advisory lock free, the preflight
 * steps plan_step_read_only allows), each with its result, then a verdict.
 * Changes nothing anywhere and stores no run. Returns the exit status: 0 when
 * every check passed, 3 when one failed or the checks could not run. */
int runner_dry_run(const Plan *plan, const RunOptions *opt, FILE *out);

/* The target pin (topology `system_identifier`) of a destructive plan:
 * 0 matches, 1 not checked (no pin, or nothing destructive), -1 mismatch,
 * -2 unreadable (the primary does not answer); detail says which. Read-only. */
int runner_target_pin(const Plan *plan, char *detail, size_t detailsz);

/* DRILL_E_ABORTED with a hint when the plan destroys data and neither yes
 * (--yes) nor the topology's allow_destructive allows it. */
int runner_check_destructive(const Plan *plan, bool yes, DrillError *err);

/* Records the start of a run of plan in st (the runs row) under a new
 * random UUID; *run_id and run_uuid set. */
int runner_record_start(const Plan *plan, Store *st, const RunOptions *opt,
                        const char *lock_path, int64_t *run_id, char run_uuid[UUID_STR_SIZE],
                        DrillError *err);

/* Async-signal-safe: asks the runner to stop after the current step, skip to
 * cleanup, and finish with 128+signo. */
void runner_request_stop(int signo);
/* The signal that asked the run to stop, 0 if none (during cleanup only a
 * second signal counts): what the runner and the dry run give their steps
 * as RunCtx.stop. */
int runner_stop_signal(void);

#endif
