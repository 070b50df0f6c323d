/*
 * stepkind.h — the catalogue of step kinds a drill may use.
 *
 * One table (stepkind.c) is the single source of truth of the language:
 * the parser checks parameters against it, the planner checks each step's
 * node against its row's NodeNeed (validate.c), `drill validate --help` and
 * drill(5) print it, and the runner dispatches on StepKindId.
 *
 * Adding a step kind = its StepKindId here (before SK_COUNT) + its row in
 * stepkind.c (same order) + step_<kind> and <kind>_describe in the run
 * layer's file of its family (engine/run/kinds/steps_*.c) + one row of the
 * run layer's table (STEP_KINDS in engine/run/kinds/steps_kinds.h).
 */
#ifndef DRILL_STEPKIND_H
#define DRILL_STEPKIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum StepKindId {
    SK_SQL,             /* run SQL, compare the first value/row count with an expectation */
    SK_SHELL,           /* /bin/sh -c COMMAND on the node (the only kind with a shell) */
    SK_EXEC,            /* argv on the node, no shell */
    SK_PG_START,        /* start the node's server (pg_ctl or the topology's start_command) */
    SK_PG_STOP,         /* stop it: mode fast|immediate|smart */
    SK_PG_KILL,         /* signal the postmaster (default KILL) */
    SK_WIPE_DATADIR,    /* delete the node's data directory contents (destructive) */
    SK_BARMAN,          /* a barman command: check, backup, switch-wal, cron, receive-wal-*, ... */
    SK_BARMAN_RECOVER,  /* barman recover a backup into a node's data directory (destructive) */
    SK_BASE_BACKUP,     /* re-clone a standby from a source with pg_basebackup -R (destructive) */
    SK_REWIND,          /* pg_rewind the node from a source (destructive) */
    SK_DIVERGENCE_CHECK,/* has the standby replayed past its primary's fork point? */
    SK_PROMOTE,         /* promote a standby */
    SK_SLOT_CREATE,     /* create a physical replication slot */
    SK_SLOT_DROP,       /* drop a replication slot */
    SK_WAIT_FOR,        /* poll a probe until true or timeout */
    SK_HEARTBEAT_START, /* start the heartbeat writer */
    SK_HEARTBEAT_STOP,  /* stop it */
    SK_HEARTBEAT_VERIFY,/* compare acknowledged heartbeats with the rows on a node; measures RPO */
    SK_EVENT,           /* mark an event: fault, recovered, or a custom name */
    SK_SLEEP,           /* wait a fixed duration */
    SK_WAL_GENERATE,    /* write WAL at a steady rate, sampling slots (slot bloat) */
    SK_PROCESS_KILL,    /* signal a process of the node by its role (Barman's receiver, ...) */
    SK_BLOCK_CORRUPT,   /* invert bytes of a relation's block on disk (checksum failure) */
    SK_DISK_FILL,       /* fill a node's filesystem with a ballast file (pg_wal's: disk full) */
    SK_NETWORK_CUT,     /* cut a node off from every other node of the topology, or restore */
    SK_PGBACKREST,      /* a pgbackrest command for the backup node's stanza: check, backup, verify, ... */
    SK_PGBACKREST_RESTORE, /* pgbackrest restore into a node's data directory (destructive) */
    SK_COUNT
} StepKindId;

typedef enum ParamType {
    PT_STRING,     /* any scalar */
    PT_DURATION,   /* see duration.h */
    PT_SIZE,       /* bytes, see size.h: 64MB */
    PT_INT,        /* non-negative integer */
    PT_BOOL,       /* true|false only (YAML 1.1 yes/no/on/off are refused) */
    PT_ENUM,       /* one of ParamSpec.choices ("a|b|c") */
    PT_NODE,       /* a node name or role present in the topology */
    PT_STRING_LIST,/* a sequence of scalars */
    PT_SHELL,      /* shell command text: ${...} become quoted environment references */
    PT_SQL         /* SQL text: ${capture.NAME} becomes a bound parameter ($1), see sqlscan.h */
} ParamType;

typedef struct ParamSpec {
    const char *key;
    ParamType type;
    bool required;
    const char *choices;      /* PT_ENUM: "fast|immediate|smart" */
    const char *default_text; /* documentation of the default, may be NULL */
    const char *help;
} ParamSpec;

/* What the node a step names (its `node:`) must be in the topology. */
typedef enum NodeNeed {
    NEED_ANY,      /* any node */
    NEED_PG,       /* a PostgreSQL node: primary or standby */
    NEED_BARMAN,   /* a backup node with tool barman */
    NEED_PGBACKREST /* a backup node with tool pgbackrest */
} NodeNeed;

/* A NodeNeed that depends on a parameter's value: a step whose parameter
 * `key` is `value` needs `need` instead of its kind's node_need. */
typedef struct NeedByValue {
    const char *key;
    const char *value;
    NodeNeed need;
} NeedByValue;

typedef struct StepKind {
    StepKindId id;
    const char *name;          /* as written in drills: "barman_recover" */
    const char *summary;
    bool destructive;          /* requires --yes / allow_destructive (issue: safety) */
    bool node_required;        /* `node:` must be given */
    int64_t default_timeout_ms;
    const ParamSpec *params;   /* terminated by {NULL} */
    /* A pure check or probe: it reads state and changes nothing anywhere, so
     * `drill run --dry-run` runs it when it is a preflight step. Kinds that
     * may change things are false (sql, shell, exec: see plan_step_read_only
     * for the cases a dry run still runs them). */
    bool read_only;
    NodeNeed node_need;        /* what its `node:` must be (step_node_need, scenario.h) */
    const NeedByValue *need_by;/* exceptions by parameter value ({NULL}-terminated), or NULL */
} StepKind;

const StepKind *stepkind_find(const char *name);
/* How a parameter's type is written in documentation: "duration", or the
 * choices "a|b|c" of an enum. Shared by `drill validate --help` and drill(5). */
const char *stepkind_param_type_name(const ParamSpec *p);
const StepKind *stepkind_get(StepKindId id);
size_t stepkind_count(void);
const ParamSpec *stepkind_param(const StepKind *kind, const char *key);

/* Keys every step accepts besides its kind's parameters. */
extern const char *const stepkind_common_keys[]; /* kind, name, node, timeout, NULL */

#endif
