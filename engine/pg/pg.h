/*
 * pg.h — every libpq call of drill lives behind this header (engine/pg).
 *
 * There is no general purpose query function: each question drill asks
 * PostgreSQL is a named function with a fixed query. The exceptions are
 * pg_user_sql(), which runs SQL written by the drill author in a `sql` step,
 * and pg_table_query(), which carries the results store's own named
 * queries (engine/store, the `postgresql://` back end).
 *
 * Where each part lives (pg_int.h holds what they share):
 *   pg_conn.c       pg_connect, pg_close, settings and status, pg_conn_alive,
 *                   pg_library_version
 *   pg_ready.c      pg_wait_ready
 *   pg_pidfile.c    pg_pm_status: a local server's state from postmaster.pid
 *   pg_conninfo.c   pg_conninfo_* (parse, set, writable multi-host, endpoint)
 *   pg_exec.c       running one query within drill's deadline
 *   pg_queries.c    the named queries: server state, LSNs, slots, WAL,
 *                   replicas, promotion, drill's advisory lock
 *   pg_heartbeat.c  the heartbeat table's named queries
 *   pg_user_sql.c   pg_user_sql, pg_user_sql_read_only (drill-author SQL)
 *   pg_text.c       pg_lsn_format, pg_lsn_parse and other libpq-free text
 *   pg_store.c      pg_table_*: the PostgreSQL results store's transport
 *   pqlib.c         libpq itself, loaded on first use
 */
#ifndef DRILL_PG_H
#define DRILL_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct PgConn PgConn;

/* Connects; timeout_ms bounds the whole attempt (libpq's connect_timeout
 * minimum is 2 s, so drill enforces shorter deadlines itself). */
int pg_connect(const char *conninfo, int64_t timeout_ms, PgConn **out, DrillError *err);
void pg_close(PgConn *c);   /* pg_close(NULL) is a no-op */
/* Bounds every later query on c (0 = no bound). A query that overruns fails
 * with DRILL_E_TIMEOUT and leaves c unusable: close it and reconnect. */
void pg_set_query_timeout(PgConn *c, int64_t timeout_ms);
/* When a query runs past its timeout, send a cancel request and wait up to
 * grace_ms for its answer before giving the connection up: a COMMIT whose
 * synchronous wait is cancelled then returns as committed (with a WARNING)
 * instead of as an unknown. 0 (default): no cancel. */
void pg_set_cancel_grace(PgConn *c, int64_t grace_ms);
/* "host:port" the connection actually reached (the writable one of a multi-host conninfo). */
const char *pg_endpoint(const PgConn *c);
/* SQLSTATE of the last failed query on c, "" if the last one succeeded. */
const char *pg_last_sqlstate(const PgConn *c);

/* Server state. LSNs are returned as uint64_t. */
int pg_server_version(PgConn *c, char *out, size_t outsz, DrillError *err); /* "15.18" */
int pg_is_in_recovery(PgConn *c, bool *out, DrillError *err);
int pg_system_identifier(PgConn *c, char *out, size_t outsz, DrillError *err);
int pg_timeline(PgConn *c, uint32_t *tli, DrillError *err);  /* from the current WAL file name */
/* Text of pg_wal/0000000N.history (malloc'd; "" for timeline 1), at most
 * PG_HISTORY_MAX bytes. Needs superuser or pg_read_server_files. */
#define PG_HISTORY_MAX (64 * 1024)
int pg_timeline_history(PgConn *c, uint32_t tli, char **text, DrillError *err);
int pg_current_lsn(PgConn *c, uint64_t *lsn, DrillError *err);  /* primary: pg_current_wal_lsn */
int pg_replay_lsn(PgConn *c, uint64_t *lsn, DrillError *err);   /* standby: pg_last_wal_replay_lsn */
void pg_lsn_format(uint64_t lsn, char *out, size_t outsz);      /* "0/3000148" */
int pg_lsn_parse(const char *text, uint64_t *lsn);              /* 0 ok, -1 invalid */

typedef struct PgSlot {
    char name[64];
    char slot_type[16];
    bool active;
    char wal_status[16];
    uint64_t restart_lsn;        /* 0 when NULL */
    int64_t retained_bytes;      /* -1 when restart_lsn is NULL */
    int64_t safe_wal_size;       /* INT64_MIN when NULL (no max_slot_wal_keep_size, or lost);
                                  * may be negative (unreserved) */
} PgSlot;
/* *out is malloc'd (free()), *n entries. */
int pg_slots(PgConn *c, PgSlot **out, size_t *n, DrillError *err);
int pg_slot_create(PgConn *c, const char *name, DrillError *err);  /* physical, reserve WAL */
int pg_slot_drop(PgConn *c, const char *name, DrillError *err);

/* ---- WAL volume (wal_generate) ---- */
#define PG_WAL_EMIT_MAX (64 * 1024 * 1024)
/* Writes one WAL record of about `bytes` (1..PG_WAL_EMIT_MAX) with
 * pg_logical_emit_message (non-transactional: no table, no sync-rep wait);
 * *lsn is the record's position. */
int pg_wal_emit(PgConn *c, int64_t bytes, uint64_t *lsn, DrillError *err);
int pg_wal_dir_bytes(PgConn *c, int64_t *bytes, DrillError *err);  /* sum of pg_ls_waldir() */
/* ---- read-only configuration review (drill audit) ---- */
typedef struct PgSetting {
    char name[64];
    char value[1024];
} PgSetting;
/* The settings the audit judges, by name (*out malloc'd); primary_conninfo
 * only as "true"/"false" (set or not: it may hold a password). */
int pg_audit_settings(PgConn *c, PgSetting **out, size_t *n, DrillError *err);
/* Connected standbys whose sync_state is sync, potential or quorum. */
int pg_sync_candidates(PgConn *c, int64_t *n, DrillError *err);
/* pg_stat_archiver's failed_count when the last attempt failed, else 0. */
int pg_archiver_failing(PgConn *c, int64_t *failures, DrillError *err);
/* max_slot_wal_keep_size in bytes, -1 when unlimited. */
int pg_slot_keep_limit(PgConn *c, int64_t *bytes, DrillError *err);
int pg_checkpoint(PgConn *c, DrillError *err);
typedef struct PgRelationFile {
    char path[1024];      /* first segment, relative to the data directory */
    int64_t nblocks;
    int64_t block_size;
    bool checksums;       /* data_checksums = on */
} PgRelationFile;
/* relation as SQL names it (a regclass); DRILL_E_PG when there is none. */
int pg_relation_file(PgConn *c, const char *relation, PgRelationFile *out, DrillError *err);

typedef struct PgReplica {
    char application_name[64];
    char client_addr[64];
    char state[32];             /* "streaming", "catchup", ... */
    uint64_t replay_lsn;
    int64_t lag_bytes;          /* pg_wal_lsn_diff(current, replay) */
} PgReplica;
int pg_replicas(PgConn *c, PgReplica **out, size_t *n, DrillError *err); /* pg_stat_replication */

typedef struct PgReceiver {
    bool present;               /* a row exists in pg_stat_wal_receiver */
    char status[32];
    char slot_name[64];
    uint64_t flushed_lsn;
    uint32_t received_tli;      /* 0 before anything was received */
} PgReceiver;
int pg_wal_receiver(PgConn *c, PgReceiver *out, DrillError *err);

int pg_promote(PgConn *c, int wait_seconds, DrillError *err);

/* Runs drill-author SQL; returns the first column of the first row (NULL if no
 * rows, malloc'd) and the row count. With nparams > 0, params are the values
 * of $1..$N, sent beside the query (PQexecParams: never part of its text),
 * and the query must be exactly one statement; without, several statements
 * may run (simple protocol). */
int pg_user_sql(PgConn *c, const char *sql, int nparams, const char *const *params,
                char **first_value, long *nrows, DrillError *err);

/* The same in a READ ONLY transaction that is rolled back, and as exactly one
 * statement (extended protocol): the server refuses any write (`drill run
 * --dry-run`). Functions with effects outside transactions (pg_reload_conf,
 * pg_terminate_backend, ...) are not writes to PostgreSQL and still run. */
int pg_user_sql_read_only(PgConn *c, const char *sql, int nparams, const char *const *params,
                          char **first_value, long *nrows, DrillError *err);

/* ---- drill's advisory lock (one drill per primary) ---- */
/* pg_try_advisory_lock(PG_DRILL_LOCK_CLASS, PG_DRILL_LOCK_OBJECT), session
 * level, in the database of the primary's conninfo. In pg_locks: locktype
 * 'advisory', classid 1685219692, objid 0, objsubid 2. The class is "dril"
 * in ASCII (0x6472696c). */
#define PG_DRILL_LOCK_CLASS 1685219692
#define PG_DRILL_LOCK_OBJECT 0
int pg_drill_lock_try(PgConn *c, bool *granted, DrillError *err);
typedef struct PgLockHolder {
    char pid[16];
    char application_name[64];
    char client_addr[64];       /* "local socket" when none */
    char backend_start[64];
} PgLockHolder;
/* Who holds drill's advisory lock (pg_locks + pg_stat_activity); *found false when nobody. */
int pg_drill_lock_holder(PgConn *c, PgLockHolder *h, bool *found, DrillError *err);
/* False once the server closed the session (non-blocking check). */
bool pg_conn_alive(PgConn *c);

/* Readiness: polls every poll_ms (<= 10 ms recommended) until the server at
 * conninfo answers, and for PG_READY_WRITABLE also is not in recovery.
 * DRILL_E_TIMEOUT when timeout_ms passes. */
typedef enum PgReadiness { PG_READY_ACCEPTING, PG_READY_WRITABLE } PgReadiness;
int pg_wait_ready(const char *conninfo, PgReadiness want, int64_t timeout_ms, int poll_ms,
                  DrillError *err);
/* The same for a local server whose data directory drill can read (else
 * NULL): no connection is attempted while its postmaster.pid says it cannot
 * be what is wanted (absent, starting, stopping; standby for WRITABLE). */
int pg_wait_ready_local(const char *conninfo, const char *data_directory, PgReadiness want,
                        int64_t timeout_ms, int poll_ms, DrillError *err);

/* What a local server's postmaster.pid says (pg_pidfile.c): PG_PM_ABSENT when
 * there is none, PG_PM_UNKNOWN when it cannot be read (another user's data
 * directory, a file being written): then only the server can tell. */
typedef enum PgPmStatus {
    PG_PM_UNKNOWN, PG_PM_ABSENT, PG_PM_STARTING, PG_PM_STOPPING,
    PG_PM_READY,       /* accepting connections, not in recovery */
    PG_PM_STANDBY,     /* up, not accepting connections (hot_standby = off) */
    PG_PM_READ_ONLY    /* accepting, in recovery (standby.signal / recovery.signal) */
} PgPmStatus;
PgPmStatus pg_pm_status(const char *data_directory);
const char *pg_pm_status_name(PgPmStatus s);
/* Whether a connection may give what is wanted, given s. */
bool pg_pm_may_serve(PgPmStatus s, PgReadiness want);

/* Builds a multi-host conninfo that follows the writable node
 * (host=a,b port=x,y target_session_attrs=read-write) from node conninfos,
 * keeping user/dbname of the first. malloc'd string. */
int pg_conninfo_writable(const char *const *conninfos, size_t n, char **out, DrillError *err);
/* Same conninfo with one keyword set to value (NULL removes it); DRILL_E_INVALID
 * for a keyword libpq does not know. Output is key=value syntax. */
int pg_conninfo_set(const char *conninfo, const char *key, const char *value, char **out,
                    DrillError *err);
/* Same conninfo with dbname replaced (for `sql` steps with `database:`). */
int pg_conninfo_with_db(const char *conninfo, const char *dbname, char **out, DrillError *err);
/* "host:port" of a conninfo, for evidence. */
int pg_conninfo_endpoint(const char *conninfo, char *out, size_t outsz);

/* ---- heartbeat table (used by heartbeat.c and heartbeat_verify) ---- */
/* Creates drill_heartbeat if absent:
 *   (run_uuid uuid, seq bigint, client_ts timestamptz, server_ts timestamptz,
 *    lsn pg_lsn, primary key (run_uuid, seq))
 * A table of the shape before run UUIDs is first renamed to
 * drill_heartbeat_pre_uuid_YYYYMMDDHHMMSS (kept, never read). */
int pg_heartbeat_setup(PgConn *c, DrillError *err);
typedef struct PgHeartbeatAck {
    int64_t server_ts_us;   /* clock_timestamp() at insert, UTC microseconds */
    uint64_t lsn;           /* pg_current_wal_insert_lsn() at insert */
    bool warned;            /* COMMIT returned success with a WARNING: for this
                               insert only a cancelled synchronous-standby wait */
    char warning[256];      /* its text, "" if none */
} PgHeartbeatAck;
/* One INSERT in its own transaction; returns 0 only once COMMIT succeeded. The
 * statement is prepared on the first call in a session (after setup). */
int pg_heartbeat_insert(PgConn *c, const char *run_uuid, int64_t seq, int64_t client_utc_us,
                        PgHeartbeatAck *ack, DrillError *err);
typedef struct PgHeartbeatRow {
    int64_t seq;
    int64_t server_ts_us;
    uint64_t lsn;
} PgHeartbeatRow;
/* All rows of a run (its UUID) ordered by seq; *rows malloc'd. No table, or
 * one of the old shape: no rows. */
int pg_heartbeat_rows(PgConn *c, const char *run_uuid, PgHeartbeatRow **rows, size_t *n,
                      DrillError *err);
/* count, max(seq) and md5 of the ordered seq list, for cross-node comparison. */
typedef struct PgHeartbeatDigest {
    int64_t count;
    int64_t max_seq;
    char md5[33];
} PgHeartbeatDigest;
int pg_heartbeat_digest(PgConn *c, const char *run_uuid, PgHeartbeatDigest *out,
                        DrillError *err);

/* ---- unfinished-drill marker (pg_marker.c; the runner's pglock.c uses it) ----
 * drill_unfinished (target text primary key, run_uuid uuid, drill text,
 * runner text, drill_source text, fault_at timestamptz): one row per target
 * while a drill's fault is not repaired. Writes use synchronous_commit=local. */
typedef struct PgMarker {
    char run_uuid[40];
    char drill[128];
    char runner[512];     /* "host H, store S, run N" */
    char fault_at[32];    /* UTC, ISO 8601 (read only) */
    char *drill_source;   /* the drill file as run; malloc'd by pg_marker_get */
} PgMarker;
/* Creates the table if absent, then writes (or replaces) target's row. */
int pg_marker_set(PgConn *c, const char *target, const PgMarker *m, DrillError *err);
/* target's row; *found false (0 returned) when there is none or no table. */
int pg_marker_get(PgConn *c, const char *target, PgMarker *out, bool *found, DrillError *err);
int pg_marker_clear(PgConn *c, const char *target, DrillError *err);   /* no table: 0 */
void pg_marker_free(PgMarker *m);   /* frees drill_source; NULL ok */

/* libpq version for the evidence ("15.18" style; "unavailable" if libpq cannot be loaded). */
void pg_library_version(char *out, size_t outsz);

/* ---- the results store's transport (engine/store/store_pg.c) ---- */
/* A query's whole result as text: rows, columns, NULL as NULL. */
typedef struct PgTable PgTable;
/* Runs one statement of the store (params: $1..$N as text, NULL = SQL NULL;
 * nparams < 0: several statements, no parameters) within c's deadline. */
int pg_table_query(PgConn *c, const char *sql, int nparams, const char *const *params,
                   PgTable **out, DrillError *err);
int pg_table_rows(const PgTable *t);
int pg_table_cols(const PgTable *t);
const char *pg_table_value(const PgTable *t, int row, int col);  /* NULL: SQL NULL */
int64_t pg_table_changes(const PgTable *t);   /* rows an INSERT/UPDATE/DELETE touched */
void pg_table_free(PgTable *t);   /* NULL ok */

#endif
