/*
 * store_int.h — what the store's files share, private to engine/store (the
 * public contract is store.h): struct Store, the size limits, the
 * statement interface both back ends implement, and the helpers every file
 * uses to fail, prepare, bind, read rows and open transactions.
 *
 * Two back ends, one SQL: a store is an SQLite file or a PostgreSQL
 * database (`postgresql://` or `postgres://` URI). Every query is written
 * once, in the dialect both accept (?N parameters, IS NOT DISTINCT FROM,
 * INSERT ... RETURNING, ON CONFLICT, no booleans as values), and runs
 * through StoreStmt; only store_stmt.c and the two openers know which back
 * end they talk to. Only these files talk to sqlite3; PostgreSQL is reached
 * through engine/pg (pg_table_*).
 *
 * The files, by concern:
 *   store_core.c      errors, transactions, binding (redaction, clamping)
 *   store_stmt.c      StoreStmt: prepare, bind, step, read columns (both)
 *   store_open.c      opening an SQLite store: settings, migrations, schema
 *   store_open_pg.c   opening a PostgreSQL store: meta table, schema, the
 *                     target claim (one drill per target across hosts)
 *   store_write.c     recording a run: its start, end and rows; the sticky
 *                     write error (store_write_error)
 *   store_read.c      queries: history, baselines, batches, running and
 *                     unsealed runs, artifacts; the row-reading helpers
 *   store_record.c    loading one whole run (RunRecord) and freeing it
 *   store_evidence.c  the evidence chain's links
 */
#ifndef DRILL_STORE_INT_H
#define DRILL_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pg.h"
#include "redact.h"
#include "store.h"

/* Texts are clamped here whatever the caller did: one runaway command output
 * must not bloat the evidence database. The drill source gets more room
 * because it is shown verbatim next to its SHA-256. */
#define STORE_TEXT_MAX ((size_t)64 * 1024)
#define STORE_SOURCE_MAX ((size_t)1024 * 1024)
/* Upper bound on rows loaded per table, so a damaged database cannot make a
 * report allocate without limit. */
#define STORE_ROWS_MAX 1000000
/* PRAGMA application_id marking a drill database ("DRIL"); in PostgreSQL
 * also the class of the store's advisory locks. */
#define STORE_APP_ID 0x4452494c
/* How long a write waits for another process's lock before failing. */
#define STORE_BUSY_MS 5000
/* The schema version this drill writes (store_open.c: its migrations). */
#define STORE_SCHEMA_VERSION 7
/* A PostgreSQL store's connect deadline and per-query deadline. */
#define STORE_PG_CONNECT_MS 10000
#define STORE_PG_QUERY_MS 60000
#define STORE_STR_(x) #x
#define STORE_STR(x) STORE_STR_(x)
#define LINK_COLUMNS "seq, run_id, record_sha256, prev_sha256, chain_sha256, sealed_ms, format"

/* The first failed write of a run's rows (store_write.c): later writes of
 * that run are refused with it, and store_write_error() reports it. */
typedef struct StoreSticky {
    bool set;
    int64_t run_id;
    DrillError error;
} StoreSticky;

typedef enum StoreKind { STORE_SQLITE, STORE_POSTGRES } StoreKind;

struct Store {
    StoreKind kind;
    sqlite3 *db;                /* STORE_SQLITE */
    PgConn *pg;                 /* STORE_POSTGRES */
    char *uri;                  /* its URI as given (password included), to reconnect */
    char *claim;                /* the target this connection claims, or NULL */
    DrillError pg_error;        /* the last failed PostgreSQL query, for store_fail */
    int64_t changes;            /* rows the last statement wrote */
    char *path;                 /* as shown: a URI's password masked */
    const Redactor *redactor;   /* borrowed; NULL = keyword/URI forms only */
    pthread_mutex_t lock;
    /* Nesting of store_tx_open: only the outermost BEGINs and COMMITs, so a
     * caller can make several store calls one transaction (store_tx_begin). */
    int tx_depth;
    bool tx_failed;             /* an inner part failed: the outer one rolls back */
    StoreSticky sticky;         /* under lock */
};

/* ---- store_stmt.c ---- */

/* A prepared statement of either back end. The PostgreSQL one runs when
 * first stepped and keeps its whole result; stepping walks it. */
typedef struct StoreStmt StoreStmt;
enum { STMT_ERROR = -1, STMT_ROW = 100, STMT_DONE = 101 };
/* Prepares sql into *out (NULL on failure). */
int store_prep(Store *st, const char *sql, StoreStmt **out, DrillError *err);
/* STMT_ROW (a row to read), STMT_DONE, or STMT_ERROR (store_fail says why). */
int stmt_step(StoreStmt *s);
void stmt_free(StoreStmt *s);   /* NULL ok */
/* Binding ?i (1-based); an index the SQL does not use is ignored. */
void stmt_bind_int64(StoreStmt *s, int i, int64_t v);
void stmt_bind_double(StoreStmt *s, int i, double v);
void stmt_bind_null(StoreStmt *s, int i);
void stmt_bind_text_len(StoreStmt *s, int i, const char *v, size_t n);
void stmt_bind_text(StoreStmt *s, int i, const char *v);   /* NULL binds NULL */
/* Column i (0-based) of the current row; NULL reads as 0, NULL or true. */
int64_t stmt_col_int64(StoreStmt *s, int i);
int stmt_col_int(StoreStmt *s, int i);
double stmt_col_double(StoreStmt *s, int i);
const unsigned char *stmt_col_text(StoreStmt *s, int i);
size_t stmt_col_bytes(StoreStmt *s, int i);
bool stmt_col_null(StoreStmt *s, int i);
/* The first column of sql's first row (no parameters); what names the action. */
int store_scalar_int(Store *st, const char *sql, const char *what, int64_t *out,
                     DrillError *err);

/* ---- store_core.c ---- */

/* Fills err from the connection's last error, naming the file and the
 * action (what); returns the error code. */
int store_fail(Store *st, const char *what, DrillError *err);
/* Runs sql (no rows; several statements allowed) or fails with what. */
int store_exec(Store *st, const char *sql, const char *what, DrillError *err);
/* Opens a transaction (begin: "BEGIN" or "BEGIN IMMEDIATE") or joins the
 * caller's, holding the lock until store_tx_close, which commits (outermost,
 * all parts succeeded) or rolls back, and returns rc or the commit's error. */
int store_tx_open(Store *st, const char *begin, const char *what, DrillError *err);
int store_tx_close(Store *st, int rc, const char *what, DrillError *err);
/* Length of s clamped to max bytes without splitting a UTF-8 sequence. */
size_t store_text_clamp_len(const char *s, size_t max);
/* Binds v redacted and clamped (to max, or STORE_TEXT_MAX); NULL binds NULL. */
void store_bind_text_max(Store *st, StoreStmt *s, int i, const char *v, size_t max);
void store_bind_text(Store *st, StoreStmt *s, int i, const char *v);
/* NaN binds NULL. */
void store_bind_real(StoreStmt *s, int i, double v);

/* ---- store_read.c ---- */

/* Column i as a malloc'd text (a NUL inside shown as \0), or NULL. */
char *store_col_text(StoreStmt *s, int i);
/* Column i as a real; NULL reads as NaN. */
double store_col_real(StoreStmt *s, int i);
/* Copies a text column into a fixed field, cut on a UTF-8 boundary. */
void store_copy_field(char *dst, size_t dstsz, const unsigned char *src);
typedef void (*StoreRowFn)(StoreStmt *s, void *elem);
/* Steps a bound statement to the end, appending one elsize-byte element per
 * row (filled by fn) to *arr; at most STORE_ROWS_MAX rows. Always finalizes
 * s. The caller holds the lock. */
int store_collect_rows(Store *st, StoreStmt *s, size_t elsize, StoreRowFn fn, void **arr,
                       size_t *n, DrillError *err);
/* Prepares sql, binds ?1 = arg and collects its rows as above. */
int store_load_rows(Store *st, const char *sql, int64_t arg, size_t elsize, StoreRowFn fn,
                    void **arr, size_t *n, DrillError *err);

/* ---- store_evidence.c ---- */

/* Loads links with sql (?1 bound to arg); the caller holds the lock. */
int store_load_links(Store *st, const char *sql, int64_t arg, EvidenceLink **out, size_t *n,
                     DrillError *err);

/* ---- store_open.c ---- */

/* Schema steps written once for both back ends. */
#define STORE_V7_SQL "CREATE INDEX IF NOT EXISTS runs_running ON runs(id) WHERE status = 'running'"

/* Refuses a schema version this drill does not know (newer, negative). */
int store_check_version(Store *st, int version, DrillError *err);

/* ---- store_open_pg.c ---- */

/* Opens the PostgreSQL store at uri: connects, checks and migrates. */
int store_open_pg(Store *st, const char *uri, DrillError *err);
/* After a statement outside a transaction (or a BEGIN) failed: re-opens a
 * connection the server dropped (restart, failover of the store, a
 * terminated backend) with its settings and target claim, and says whether
 * the statement may be sent once more. */
bool store_pg_revive(Store *st);
/* "BEGIN IMMEDIATE" in PostgreSQL terms: BEGIN and the store's write lock,
 * so writers queue as they do on an SQLite file (the evidence chain needs
 * its links sealed one after the other). */
#define STORE_PG_BEGIN_WRITE "BEGIN; SELECT pg_advisory_xact_lock(1146243404, 0)"  /* STORE_APP_ID */

#endif
