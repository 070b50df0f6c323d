/*
 * steps_kinds.h — the run layer's side of each step kind: the table of kinds
 * (STEP_KINDS: a run and a describe function per row of the catalogue in
 * stepkind.c, materialised in kinds.c) and the command builders
 * (steps_cmd.c) the kinds share with their dry-run descriptions, so a dry
 * run prints exactly what a real run executes. Private to the run layer.
 */
#ifndef DRILL_STEPS_KINDS_H
#define DRILL_STEPS_KINDS_H

#include "argv.h"
#include "runctx.h"
#include "shellenv.h"

/* Command builders, shared by the kinds' run and describe functions. */
void cmd_pg_ctl_start(const Node *n, Argv *a);
void cmd_pg_ctl_stop(const Node *n, const char *mode, int64_t timeout_ms, Argv *a);
void cmd_pg_kill(const Node *n, const char *signal_name, Argv *a);
void cmd_process_kill(const Node *n, const char *process, const char *signal_name, Argv *a);
/* Inverts nbytes bytes (each b -> 255 - b) of DATA_DIRECTORY/relpath at
 * offset, in place; relpath NULL shows a placeholder (dry runs). */
void cmd_flip_bytes(const Node *n, const char *relpath, int64_t offset, int64_t nbytes, Argv *a);
/* Fills the filesystem of dir (relative: to the data directory) with the
 * ballast dir/drill-ballast until leave bytes are free, refusing (exit 3)
 * to write more than max_fill; release removes the ballast instead. */
void cmd_disk_fill(const Node *n, const char *dir, int64_t leave, int64_t max_fill, bool release,
                   Argv *a);
void cmd_wipe(const Node *n, Argv *a);
void cmd_basebackup(const Node *n, const Node *source, const char *slot, Argv *a);
void cmd_rewind(const Node *n, const Node *source, Argv *a);
void cmd_append_slot(const Node *n, const char *slot, Argv *a);
void cmd_barman(const Node *backup, const char *command, char *const *args, Argv *a);
void cmd_barman_recover(const Plan *p, const PlanStep *ps, Argv *a);
/* Does a restore step (barman_recover, pgbackrest_restore) name a recovery
 * target (target_lsn, target_time, target_xid or target_immediate)? */
bool step_has_pitr_target(const Step *s);
/* pgbackrest [--config=C] --stanza=S COMMAND ...: for the backup node's stanza. */
void cmd_pgbackrest(const Node *backup, const char *command, const char *type, char *const *args,
                    Argv *a);

/* Connects to a node for a step (conninfo NULL = the node's), within the
 * step's deadline; on failure the outcome says why and NULL is returned. */
typedef struct PgConn PgConn;
PgConn *step_connect(const Node *n, const char *conninfo, int64_t deadline, StepOutcome *o);
/* The same for the step's node and its `database` parameter (default: the
 * conninfo's). */
PgConn *step_connect_database(const PlanStep *ps, int64_t deadline, StepOutcome *o);

/* Runs a step's `query` (a resolved PT_SQL parameter: q->bind holds the
 * values of $1..$N) with pg_user_sql, or pg_user_sql_read_only (read_only). */
int user_sql(PgConn *c, bool read_only, const StepParam *q, char **value, long *nrows,
             DrillError *err);
/* The query as it is sent, then a line `-- $N = capture.NAME = 'VALUE'` per
 * bound value (quoted for display only: the value is never SQL text). */
void sql_command_show(Buf *b, const StepParam *q);

/* Starts the node's server and, when asked, waits (10 ms poll) until it
 * accepts connections (steps_pg.c). */
StepStatus steps_start_node(RunCtx *ctx, const Node *n, bool wait, int64_t deadline,
                            StepOutcome *o);

/* Absolute path of a PostgreSQL program for a node (malloc'd). */
char *node_program(const Node *n, const char *program);

/* Dry-run text of a built argv (freed here): "on NODE as USER: CMD" when on
 * is given (a command on another node than the step's), else just CMD. */
char *describe_argv(const Node *on, Argv *a);

/* ---- the table of step kinds ------------------------------------------------
 * Every kind has a run function and a describe function of these types,
 * defined in the file of its family (steps_pg.c, steps_barman.c, ...). */
typedef StepStatus StepRunFn(RunCtx *ctx, const PlanStep *ps, int64_t deadline_mono_us,
                             StepOutcome *o);
/* The commands (or SQL) the step runs, as a dry run shows them (malloc'd). */
typedef char *StepDescribeFn(const Plan *plan, const PlanStep *ps);

/* One row per StepKindId, in its order: X(SK_NAME, name) says that
 * step_<name> runs the kind and <name>_describe describes it, and <name> is
 * the kind's name in the catalogue (stepkind.c). kinds.c turns the list into
 * the table the runner dispatches on; runner_check_kinds checks it. */
#define STEP_KINDS(X)                                                    \
    X(SK_SQL, sql)                            /* steps_pg.c */           \
    X(SK_SHELL, shell)                        /* steps_misc.c */         \
    X(SK_EXEC, exec)                          /* steps_misc.c */         \
    X(SK_PG_START, pg_start)                  /* steps_pg.c */           \
    X(SK_PG_STOP, pg_stop)                    /* steps_pg.c */           \
    X(SK_PG_KILL, pg_kill)                    /* steps_pg.c */           \
    X(SK_WIPE_DATADIR, wipe_datadir)          /* steps_pg.c */           \
    X(SK_BARMAN, barman)                      /* steps_barman.c */       \
    X(SK_BARMAN_RECOVER, barman_recover)      /* steps_barman.c */       \
    X(SK_BASE_BACKUP, base_backup)            /* steps_pg.c */           \
    X(SK_REWIND, rewind)                      /* steps_pg.c */           \
    X(SK_DIVERGENCE_CHECK, divergence_check)  /* steps_divergence.c */   \
    X(SK_PROMOTE, promote)                    /* steps_pg.c */           \
    X(SK_SLOT_CREATE, slot_create)            /* steps_pg.c */           \
    X(SK_SLOT_DROP, slot_drop)                /* steps_pg.c */           \
    X(SK_WAIT_FOR, wait_for)                  /* steps_probe.c */        \
    X(SK_HEARTBEAT_START, heartbeat_start)    /* steps_heartbeat.c */    \
    X(SK_HEARTBEAT_STOP, heartbeat_stop)      /* steps_heartbeat.c */    \
    X(SK_HEARTBEAT_VERIFY, heartbeat_verify)  /* steps_heartbeat.c */    \
    X(SK_EVENT, event)                        /* steps_misc.c */         \
    X(SK_SLEEP, sleep)                        /* steps_misc.c */         \
    X(SK_WAL_GENERATE, wal_generate)          /* steps_wal.c */          \
    X(SK_PROCESS_KILL, process_kill)          /* steps_proc.c */          \
    X(SK_BLOCK_CORRUPT, block_corrupt)        /* steps_corrupt.c */      \
    X(SK_DISK_FILL, disk_fill)                /* steps_corrupt.c */      \
    X(SK_NETWORK_CUT, network_cut)            /* steps_net.c */          \
    X(SK_PGBACKREST, pgbackrest)              /* steps_pgbackrest.c */   \
    X(SK_PGBACKREST_RESTORE, pgbackrest_restore) /* steps_pgbackrest.c */

#define STEP_KIND_DECLARE(id, name) StepRunFn step_##name; StepDescribeFn name##_describe;
STEP_KINDS(STEP_KIND_DECLARE)
#undef STEP_KIND_DECLARE

typedef struct StepKindImpl {
    StepKindId kind;
    const char *name;           /* the catalogue's name of the kind */
    StepRunFn *run;
    StepDescribeFn *describe;
} StepKindImpl;

/* The row of a kind (kinds.c), NULL when id is no kind. */
const StepKindImpl *step_kind_impl(StepKindId id);
/* Row i is kind i, named as in the catalogue, with both functions. */
int step_kinds_check(DrillError *err);
/* Its describe function on ps (unresolved captures as written: see
 * steps_describe). */
char *step_describe_kind(const Plan *plan, const PlanStep *ps);

/* The latest mark of event name (monotonic us), -1 if it was never marked. */
int64_t event_mono(const RunCtx *ctx, const char *name);

/* CaptureLookup over ctx's captures (a RunCtx *). */
const char *runctx_capture_lookup(void *ctx, const char *name);

#endif
