/*
 * steps_kinds.h — the implementation of each step kind (one function per
 * row of the catalogue in stepkind.c) and the command builders they share
 * with dry runs, so a dry run prints exactly what a real run executes.
 * Internal to the engine.
 */
#ifndef DRILL_STEPS_KINDS_H
#define DRILL_STEPS_KINDS_H

#include "runctx.h"

#define ARGV_MAX 64

/* An owned, NULL-terminated argv. */
typedef struct Argv {
    char *v[ARGV_MAX + 1];
    size_t n;
} Argv;
void argv_add(Argv *a, const char *s);
void argv_addf(Argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void argv_add_list(Argv *a, char *const *list);
void argv_free(Argv *a);

/* Command builders (also used by step_describe_kind). */
void cmd_pg_ctl_start(const Node *n, Argv *a);
void cmd_pg_ctl_stop(const Node *n, const char *mode, int64_t timeout_ms, Argv *a);
void cmd_pg_kill(const Node *n, const char *signal_name, Argv *a);
void cmd_wipe(const Node *n, Argv *a);
void cmd_basebackup(const Node *n, const Node *source, const char *slot, Argv *a);
void cmd_rewind(const Node *n, const Node *source, Argv *a);
void cmd_append_slot(const Node *n, const char *slot, Argv *a);
void cmd_barman(const Node *backup, const char *command, char *const *args, Argv *a);
void cmd_barman_recover(const Plan *p, const PlanStep *ps, Argv *a);
/* `env DRILL_VAR_x=VALUE ... /bin/sh -c COMMAND`: every DRILL_VAR_name (a
 * variable of sc) and DRILL_CAPTURE_NAME (lookup) the command mentions is
 * passed as one argv element, so values never become shell text. With
 * lookup NULL (dry runs) a capture shows as ${capture.NAME}. Fails when a
 * capture is missing or there are too many values. */
int cmd_shell(const Scenario *sc, const char *command, CaptureLookup lookup, void *ud, Argv *a,
              DrillError *err);

/* Connects to a node for a step (conninfo NULL = the node's), within the
 * step's deadline; on failure the outcome says why and NULL is returned. */
typedef struct PgConn PgConn;
PgConn *step_connect(const Node *n, const char *conninfo, int64_t deadline, StepOutcome *o);

/* Runs a step's `query` (a resolved PT_SQL parameter: q->bind holds the
 * values of $1..$N) with pg_user_sql, or pg_user_sql_read_only (read_only). */
int user_sql(PgConn *c, bool read_only, const StepParam *q, char **value, long *nrows,
             DrillError *err);
/* The query as it is sent, then a line `-- $N = capture.NAME = 'VALUE'` per
 * bound value (quoted for display only: the value is never SQL text). */
void sql_command_show(Buf *b, const StepParam *q);

/* Absolute path of a PostgreSQL program for a node (malloc'd). */
char *node_program(const Node *n, const char *program);

char *step_describe_kind(const Plan *plan, const PlanStep *ps);
char *wal_generate_describe(const Step *s);   /* steps_wal.c */
/* Dry-run text of a built argv (freed here): "on NODE as USER: CMD" when on
 * is given (a command on another node than the step's), else just CMD. */
char *describe_argv(const Node *on, Argv *a);
char *barman_recover_describe(const Plan *p, const PlanStep *ps);       /* steps_barman.c */
char *reclone_describe(const Node *n, const Node *source, const char *slot, bool start,
                       int64_t timeout_ms);                              /* steps_pg.c */
char *start_describe(const Node *n, bool wait);                          /* steps_pg.c */
char *rewind_describe(const Plan *p, const PlanStep *ps);                /* steps_pg.c */
char *wait_for_describe(const Plan *p, const PlanStep *ps);              /* steps_probe.c */
char *heartbeat_start_describe(const Plan *p, const Step *s);            /* steps_heartbeat.c */

/* One run function per kind, all of this signature (steps.c dispatches). */
StepStatus step_sql(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_shell(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_exec(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_pg_start(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_pg_stop(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_pg_kill(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_wipe_datadir(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_barman(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_barman_recover(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_base_backup(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_rewind(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_divergence_check(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_promote(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_slot_create(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_slot_drop(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_wait_for(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_heartbeat_start(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_heartbeat_stop(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_heartbeat_verify(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_event(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_sleep(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);
StepStatus step_wal_generate(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o);

/* CaptureLookup over ctx's captures (a RunCtx *). */
const char *runctx_capture_lookup(void *ctx, const char *name);

#endif
