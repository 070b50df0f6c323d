/*
 * stepkind.c — the step-kind catalogue (see stepkind.h). Parameter names are
 * part of the drill language: changing one breaks users' drills.
 */
#include "stepkind.h"

#include <string.h>

const char *const stepkind_common_keys[] = {"kind", "name", "node", "timeout", "unless", NULL};

#define END {NULL, PT_STRING, false, NULL, NULL, NULL}

static const ParamSpec p_sql[] = {
    {"query", PT_SQL, true, NULL, NULL,
     "SQL to run (one statement); a ${capture.NAME} in it is bound as a query parameter ($1)"},
    {"expect", PT_STRING, false, NULL, NULL, "expected text of the first column of the first row"},
    {"expect_rows", PT_INT, false, NULL, NULL, "expected number of rows"},
    {"database", PT_STRING, false, NULL, "the conninfo's", "database to connect to"},
    {"capture", PT_STRING, false, NULL, NULL,
     "store the first value of the first row as NAME: later steps use it as ${capture.NAME}"},
    END};
/* The author's promise, not something drill can verify: see README "Dry runs". */
#define P_READ_ONLY                                                                          \
    {"read_only", PT_BOOL, false, NULL, "false",                                             \
     "the author's promise that the command only reads: `drill run --dry-run` then runs it " \
     "as a preflight check (otherwise a dry run skips it)"}
static const ParamSpec p_shell[] = {
    {"command", PT_SHELL, true, NULL, NULL,
     "shell command line, run with /bin/sh -c. No value is ever pasted into it: ${name} "
     "becomes \"${DRILL_VAR_name}\" and ${capture.NAME} \"${DRILL_CAPTURE_NAME}\" (without "
     "the quotes inside \"...\"), and drill passes those environment variables to the command "
     "(`env DRILL_VAR_name=VALUE /bin/sh -c ...`), so a value is one word of data, even with "
     "quotes, ;, $( ) or spaces in it. Refused inside '...', $(( )) and a shell $${...}"},
    {"expect_exit", PT_INT, false, NULL, "0", "expected exit status"},
    {"capture", PT_STRING, false, NULL, NULL,
     "store the command's stdout, without trailing newlines, as NAME (at most 8192 bytes; "
     "empty output fails): later steps use it as ${capture.NAME}"},
    P_READ_ONLY,
    END};
static const ParamSpec p_exec[] = {
    {"argv", PT_STRING_LIST, true, NULL, NULL,
     "program and arguments, no shell; ${name} and ${capture.NAME} are substituted inside one "
     "item, which is never split"},
    {"expect_exit", PT_INT, false, NULL, "0", "expected exit status"},
    P_READ_ONLY,
    END};
static const ParamSpec p_pg_start[] = {
    {"wait", PT_BOOL, false, NULL, "true", "wait until the server accepts connections"},
    END};
static const ParamSpec p_pg_stop[] = {
    {"mode", PT_ENUM, false, "fast|immediate|smart", "fast", "pg_ctl stop mode"},
    {"if_running", PT_BOOL, false, NULL, "false",
     "a server that is not running is fine (pg_ctl's exit 1): rollbacks stop whatever is left"},
    END};
static const ParamSpec p_pg_kill[] = {
    {"signal", PT_ENUM, false, "KILL|TERM|INT|QUIT", "KILL", "signal sent to the postmaster"},
    END};
static const ParamSpec p_process_kill[] = {
    {"process", PT_ENUM, true, "barman_receive_wal|walreceiver", NULL,
     "which process: barman_receive_wal = the pg_receivewal Barman streams the node's "
     "barman_server through (on a backup node; found by its slot and streaming directory); "
     "walreceiver = the standby's WAL receiver (on a PostgreSQL node; a child of its "
     "postmaster). The step fails when no such process runs: no fault, no pass"},
    {"signal", PT_ENUM, false, "KILL|TERM|INT|STOP|CONT", "KILL",
     "signal sent (STOP freezes it: undo with CONT in the rollback and cleanup)"},
    END};
static const ParamSpec p_block_corrupt[] = {
    {"relation", PT_STRING, true, NULL, NULL,
     "table or index whose data file is damaged, as SQL names it (a regclass)"},
    {"database", PT_STRING, false, NULL, "the conninfo's", "database the relation is in"},
    {"block", PT_INT, false, NULL, "0", "block of the relation (in its first 1 GB segment)"},
    {"offset", PT_INT, false, NULL, "4096",
     "first byte inverted, within the block (any byte changes a data checksum)"},
    {"bytes", PT_INT, false, NULL, "16", "how many bytes are inverted (1-512)"},
    END};
static const ParamSpec p_disk_fill[] = {
    {"path", PT_STRING, false, NULL, "pg_wal",
     "directory whose filesystem is filled, relative to the node's data directory or "
     "absolute; the ballast is the file drill-ballast in it (pg_wal: the WAL's filesystem, "
     "also when pg_wal links to its own mount)"},
    {"leave", PT_SIZE, false, NULL, "64MB", "free space left on the filesystem"},
    {"max_fill", PT_SIZE, false, NULL, "1GB",
     "the step fails (exit 3, nothing written) rather than write a bigger ballast: a "
     "production-size filesystem is not filled by accident. A filesystem shared with /, "
     "/tmp, /var, /var/tmp or /home is never filled"},
    {"release", PT_BOOL, false, NULL, "false",
     "remove the ballast instead (the undo, for recover, rollback and cleanup; no ballast "
     "is not an error)"},
    END};
static const ParamSpec p_network_cut[] = {
    {"restore", PT_BOOL, false, NULL, "false",
     "undo the cut instead (for recover, rollback and cleanup; idempotent) and stop the "
     "guard"},
    {"auto_restore", PT_DURATION, false, NULL, "10m",
     "guard: the node restores its network by itself this long after the cut, should drill "
     "never get to (0: no guard)"},
    END};
static const ParamSpec p_none[] = {END};
static const ParamSpec p_barman[] = {
    {"command", PT_ENUM, true,
     "check|backup|switch-wal|cron|list-backups|replication-status|receive-wal-create-slot|"
     "receive-wal-drop-slot|receive-wal-reset|receive-wal-stop|receive-wal-start|verify-backup",
     NULL, "barman command to run against the node's barman server"},
    {"args", PT_STRING_LIST, false, NULL, NULL, "extra arguments, after the server name (e.g. a backup id)"},
    END};
static const ParamSpec p_pgbackrest[] = {
    {"command", PT_ENUM, true, "check|backup|verify|info|expire|stanza-create|start|stop", NULL,
     "pgbackrest command to run for the node's stanza (check forces a WAL switch and waits "
     "until the segment is archived)"},
    {"type", PT_ENUM, false, "full|diff|incr", "pgBackRest's (incr)", "backup: the backup type"},
    {"args", PT_STRING_LIST, false, NULL, NULL,
     "extra options, after the command (e.g. --repo=2, --set=LABEL)"},
    END};
static const ParamSpec p_pgbackrest_restore[] = {
    {"target", PT_NODE, true, NULL, NULL,
     "node whose data directory receives the backup: pgbackrest restore runs on its host with "
     "the backup node's configuration path and stanza"},
    {"set", PT_STRING, false, NULL, "latest", "backup set (label) to restore"},
    {"target_lsn", PT_STRING, false, NULL, NULL, "point-in-time recovery target LSN (--type=lsn)"},
    {"target_time", PT_STRING, false, NULL, NULL,
     "point-in-time recovery target time (--type=time)"},
    {"target_xid", PT_STRING, false, NULL, NULL, "point-in-time recovery target xid (--type=xid)"},
    {"target_immediate", PT_BOOL, false, NULL, "false",
     "end recovery as soon as the backup is consistent (--type=immediate)"},
    {"target_action", PT_ENUM, false, "promote|pause|shutdown", "promote",
     "what the server does when the target is reached"},
    {"exclusive", PT_BOOL, false, NULL, "true",
     "with a target: stop just before it (--target-exclusive)"},
    {"process_max", PT_INT, false, NULL, "pgBackRest's (1)",
     "parallel processes copying and decompressing files (--process-max)"},
    {"delta", PT_BOOL, false, NULL, "false",
     "restore over an existing data directory, rewriting only the files whose checksum "
     "differs (--delta); without it the directory must be empty (wipe_datadir)"},
    END};
static const ParamSpec p_barman_recover[] = {
    {"target", PT_NODE, true, NULL, NULL, "node whose data directory receives the backup"},
    {"backup_id", PT_STRING, false, NULL, "latest", "backup to restore"},
    {"get_wal", PT_BOOL, false, NULL, "true",
     "fetch WAL (including the streamed .partial segment) from barman at recovery time"},
    {"stage_wal", PT_BOOL, false, NULL, "false",
     "instead of get_wal: barman copies the archived WAL, drill adds the streamed segments "
     "(.partial too) to barman_wal/ and writes recovery.signal with Barman's own `cp "
     "barman_wal/%f %p`: no barman process per segment at recovery time"},
    {"target_lsn", PT_STRING, false, NULL, NULL, "point-in-time recovery target LSN"},
    {"target_time", PT_STRING, false, NULL, NULL, "point-in-time recovery target time"},
    {"target_xid", PT_STRING, false, NULL, NULL, "point-in-time recovery target xid"},
    {"target_immediate", PT_BOOL, false, NULL, "false",
     "end recovery as soon as the backup is consistent (a new timeline forks at its end)"},
    {"target_action", PT_ENUM, false, "promote|pause|shutdown", "promote",
     "what the server does when the target is reached"},
    {"exclusive", PT_BOOL, false, NULL, "true",
     "with a target: stop just before it (the target transaction or LSN is not replayed)"},
    END};
static const ParamSpec p_base_backup[] = {
    {"source", PT_NODE, true, NULL, NULL, "node to clone from"},
    {"slot", PT_STRING, false, NULL, "the node's slot_name", "replication slot to stream through"},
    {"start", PT_BOOL, false, NULL, "true", "start the server after cloning"},
    END};
static const ParamSpec p_rewind[] = {
    {"source", PT_NODE, true, NULL, NULL, "node to rewind from"},
    {"start", PT_BOOL, false, NULL, "true", "start the server after rewinding"},
    {"slot", PT_STRING, false, NULL, "none",
     "replication slot the node then streams through (pg_rewind -R writes no primary_slot_name)"},
    {"fallback", PT_ENUM, false, "none|reclone", "none",
     "reclone: when pg_rewind fails, re-clone the node from `source` with pg_basebackup; "
     "fact repair.method says which ran (rewind|reclone)"},
    END};
static const ParamSpec p_divergence[] = {
    {"source", PT_NODE, true, NULL, NULL, "the primary the node (a standby) should follow"},
    {"expect", PT_ENUM, false, "diverged|in_sync", NULL,
     "fail unless this is the finding (without it the step only reports)"},
    {"facts", PT_STRING, false, NULL, "divergence",
     "prefix of the facts recorded (PREFIX.fork_lsn, PREFIX.diverged, ...) and of the measure "
     "PREFIX_bytes_past_fork; letters, digits, _"},
    END};
static const ParamSpec p_promote[] = {
    {"wait", PT_BOOL, false, NULL, "true", "wait until the promotion is complete"},
    END};
static const ParamSpec p_slot[] = {
    {"slot", PT_STRING, true, NULL, NULL, "slot name"},
    {"if_exists", PT_BOOL, false, NULL, "false", "do not fail if it already exists / is absent"},
    END};
static const ParamSpec p_wait_for[] = {
    {"probe", PT_ENUM, true,
     "accepting|writable|in_recovery|streaming|caught_up|slot_active|barman_check|"
     "barman_streaming|sql",
     NULL, "condition to poll"},
    {"slot", PT_STRING, false, NULL, NULL, "slot_active: slot name (default: the standby's)"},
    {"query", PT_SQL, false, NULL, NULL, "sql: query whose first value must equal `expect`"},
    {"expect", PT_STRING, false, NULL, "t", "sql: expected first value"},
    {"interval", PT_DURATION, false, NULL, "10ms", "poll interval"},
    END};
/* wait_for on a PostgreSQL node, except the barman probes: they run
 * `barman check` on a backup node. */
static const NeedByValue need_by_probe[] = {
    {"probe", "barman_check", NEED_BARMAN},
    {"probe", "barman_streaming", NEED_BARMAN},
    {NULL, NULL, NEED_ANY}};
static const ParamSpec p_hb_start[] = {
    {"interval", PT_DURATION, false, NULL, "10ms", "time between heartbeat commits"},
    {"evidence", PT_DURATION, false, NULL, "1s",
     "the step passes only once the heartbeat has committed for this long (at least half the "
     "nominal rate): no fault is injected before writes are seen being acknowledged; 0 turns "
     "the gate off"},
    {"evidence_timeout", PT_DURATION, false, NULL, "10s",
     "how long to wait for that evidence before the run stops (exit 3, nothing destructive done)"},
    END};
static const ParamSpec p_hb_verify[] = {
    {"measure_rpo", PT_BOOL, false, NULL, "true on the primary",
     "record RPO from the acknowledged heartbeats missing on this node"},
    {"compare_with", PT_NODE, false, NULL, NULL,
     "also require the same heartbeat rows (count, max, hash) as this node; acknowledged "
     "heartbeats missing on both are then that node's RPO, not a failure here"},
    {"target_lsn", PT_STRING, false, NULL, NULL,
     "point-in-time recovery target: heartbeats committed before it must all be present, those "
     "after it and before the restore are counted as discarded by design"},
    {"fenced", PT_NODE, false, NULL, NULL,
     "split brain: count the heartbeats this node acknowledged after event `since` (measure "
     "split_brain_writes, exact: every ack records the server that gave it); the step fails "
     "when there is one"},
    {"since", PT_STRING, false, NULL, "promoted", "the event `fenced` is counted from"},
    END};
static const ParamSpec p_event[] = {
    {"event", PT_STRING, true, NULL, NULL, "fault, recovered, or a custom name"},
    {"since", PT_STRING, false, NULL, "fault, when `measure` is set",
     "an event marked earlier in the run: also record the time since it as a measure"},
    {"measure", PT_STRING, false, NULL, "EVENT_ms",
     "key of that measure (e.g. redundancy_ms); setting it alone measures since `fault`"},
    END};
static const ParamSpec p_wal_generate[] = {
    {"rate", PT_SIZE, true, NULL, NULL, "WAL written per second (16MB: 16 MB every second)"},
    {"duration", PT_DURATION, true, NULL, NULL, "how long to write (at most: see `until`)"},
    {"until", PT_ENUM, false, "extended|unreserved|lost|refused", NULL,
     "stop writing as soon as a slot's wal_status reaches this; refused: until the server "
     "refuses the WAL (an error or the connection lost: a full disk's PANIC), which then "
     "passes the step, is event `wal_refused` and measure wal_refused_ms"},
    {"sample_interval", PT_DURATION, false, NULL, "100ms",
     "time between samples of every slot and of pg_wal"},
    {"checkpoint_interval", PT_DURATION, false, NULL, "0 (never)",
     "also run CHECKPOINT this often: checkpoints are what remove WAL and invalidate slots"},
    END};
static const ParamSpec p_sleep[] = {
    {"duration", PT_DURATION, true, NULL, NULL, "how long to wait"},
    END};

#define S 1000
#define READ_ONLY true   /* StepKind.read_only */
#define CHANGES false
/* StepKind.node_need and need_by: what the step's `node:` must be. */
#define ON_ANY NEED_ANY, NULL
#define ON_PG NEED_PG, NULL
#define ON_BARMAN NEED_BARMAN, NULL
#define ON_PG_OR_BY_PROBE NEED_PG, need_by_probe
/* process_kill: Barman's receiver runs on a backup node, a walreceiver on a
 * PostgreSQL one. */
static const NeedByValue need_by_process[] = {
    {"process", "barman_receive_wal", NEED_BARMAN},
    {"process", "walreceiver", NEED_PG},
    {NULL, NULL, NEED_ANY}};
static const StepKind kinds[] = {
    {SK_SQL, "sql", "run SQL on the node and check the result",
     false, true, 30 * S, p_sql, CHANGES, ON_PG},
    {SK_SHELL, "shell", "run a shell command on the node", false, true, 60 * S, p_shell,
     CHANGES, ON_ANY},
    {SK_EXEC, "exec", "run a program on the node (argv, no shell)",
     false, true, 60 * S, p_exec, CHANGES, ON_ANY},
    {SK_PG_START, "pg_start", "start PostgreSQL on the node",
     false, true, 60 * S, p_pg_start, CHANGES, ON_PG},
    {SK_PG_STOP, "pg_stop", "stop PostgreSQL on the node", false, true, 60 * S, p_pg_stop,
     CHANGES, ON_PG},
    {SK_PG_KILL, "pg_kill", "signal the node's postmaster", true, true, 10 * S, p_pg_kill,
     CHANGES, ON_PG},
    {SK_WIPE_DATADIR, "wipe_datadir", "delete everything in the node's data directory", true,
     true, 60 * S, p_none, CHANGES, ON_PG},
    {SK_BARMAN, "barman", "run a barman command for the node's barman server", false, true,
     300 * S, p_barman, CHANGES, ON_BARMAN},
    {SK_BARMAN_RECOVER, "barman_recover", "restore a backup with barman recover", true, true,
     600 * S, p_barman_recover, CHANGES, ON_BARMAN},
    {SK_BASE_BACKUP, "base_backup", "re-clone the node as a standby with pg_basebackup", true,
     true, 600 * S, p_base_backup, CHANGES, ON_PG},
    {SK_REWIND, "rewind", "resynchronise the node with pg_rewind",
     true, true, 600 * S, p_rewind, CHANGES, ON_PG},
    {SK_DIVERGENCE_CHECK, "divergence_check",
     "detect a standby that replayed past the fork of its primary's timeline", false, true,
     30 * S, p_divergence, READ_ONLY, ON_PG},
    {SK_PROMOTE, "promote", "promote the standby on the node",
     false, true, 60 * S, p_promote, CHANGES, ON_PG},
    {SK_SLOT_CREATE, "slot_create", "create a physical replication slot", false, true, 30 * S,
     p_slot, CHANGES, ON_PG},
    {SK_SLOT_DROP, "slot_drop", "drop a replication slot", false, true, 30 * S, p_slot,
     CHANGES, ON_PG},
    {SK_WAIT_FOR, "wait_for", "poll a probe until it holds",
     false, true, 60 * S, p_wait_for, READ_ONLY, ON_PG_OR_BY_PROBE},
    {SK_HEARTBEAT_START, "heartbeat_start", "start the heartbeat writer (measures RTO/RPO)",
     false, false, 30 * S, p_hb_start, CHANGES, ON_ANY},
    {SK_HEARTBEAT_STOP, "heartbeat_stop", "stop the heartbeat writer", false, false, 30 * S,
     p_none, CHANGES, ON_ANY},
    {SK_HEARTBEAT_VERIFY, "heartbeat_verify",
     "check acknowledged heartbeats on the node; measures RPO", false, true, 60 * S,
     p_hb_verify, READ_ONLY, ON_PG},
    {SK_EVENT, "event", "mark an event (fault, recovered, ...)",
     false, false, 1 * S, p_event, CHANGES, ON_ANY},
    {SK_SLEEP, "sleep", "wait a fixed time", false, false, 3600 * S, p_sleep, CHANGES, ON_ANY},
    {SK_WAL_GENERATE, "wal_generate",
     "write WAL on the node at a steady rate, sampling every slot (slot bloat)", false, true,
     600 * S, p_wal_generate, CHANGES, ON_PG},
    {SK_PROCESS_KILL, "process_kill", "signal a process of the node by its role", true, true,
     10 * S, p_process_kill, CHANGES, NEED_ANY, need_by_process},
    {SK_BLOCK_CORRUPT, "block_corrupt",
     "invert bytes of a relation's block on disk: CHECKPOINT, stop, flip, start", true, true,
     120 * S, p_block_corrupt, CHANGES, ON_PG},
    {SK_DISK_FILL, "disk_fill",
     "fill the filesystem of a directory (pg_wal) with a ballast file, leaving a set free space",
     true, true, 120 * S, p_disk_fill, CHANGES, ON_PG},
    {SK_NETWORK_CUT, "network_cut",
     "cut the node off from every other node (a route to nowhere per peer; clients and drill "
     "still reach it), with a guard that undoes it",
     true, true, 60 * S, p_network_cut, CHANGES, ON_ANY},
    {SK_PGBACKREST, "pgbackrest", "run a pgbackrest command for the node's stanza", false, true,
     600 * S, p_pgbackrest, CHANGES, NEED_PGBACKREST, NULL},
    {SK_PGBACKREST_RESTORE, "pgbackrest_restore",
     "restore a backup with pgbackrest restore (WAL fetched with archive-get at recovery time)",
     true, true, 600 * S, p_pgbackrest_restore, CHANGES, NEED_PGBACKREST, NULL},
};
/* A row per StepKindId, in its order (stepkind_get indexes by id; the unit
 * test kinds_tables checks each row's id). */
_Static_assert(sizeof kinds / sizeof kinds[0] == SK_COUNT, "a catalogue row per StepKindId");

const char *stepkind_param_type_name(const ParamSpec *p)
{
    /* Indexed by ParamType (stepkind.h), in its order. */
    static const char *const names[] = {"string",     "duration", "size", "integer",
                                        "true|false", "one of",   "node", "list of strings",
                                        "shell command", "SQL"};
    _Static_assert(sizeof names / sizeof names[0] == PT_SQL + 1, "a name per ParamType");
    return p->type == PT_ENUM ? p->choices : names[p->type];
}

const StepKind *stepkind_find(const char *name)
{
    for (size_t i = 0; i < SK_COUNT; i++)
        if (name != NULL && strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

const StepKind *stepkind_get(StepKindId id)
{
    return (id >= 0 && id < SK_COUNT) ? &kinds[id] : NULL;
}

size_t stepkind_count(void) { return SK_COUNT; }

const ParamSpec *stepkind_param(const StepKind *kind, const char *key)
{
    for (const ParamSpec *p = kind->params; p->key != NULL; p++)
        if (strcmp(p->key, key) == 0)
            return p;
    return NULL;
}
