/*
 * store.c — the sqlite store (contract in store.h). This is the only file
 * that talks to sqlite3.
 *
 * Layout: one connection per Store, serialised by a mutex because the runner
 * and the heartbeat may record from different threads and sqlite transactions
 * are per connection. Every write is its own BEGIN IMMEDIATE transaction so a
 * crash leaves whole rows, and a second process (`drill history` during a run)
 * reads a consistent snapshot thanks to WAL.
 *
 * Migrations: MIGRATIONS[i] brings the schema from user_version i to i+1.
 * Adding v2 means writing migrate_v2() and appending it to the table.
 */
#include "store.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "redact.h"
#include "util.h"

/* Texts are clamped here whatever the caller did: one runaway command output
 * must not bloat the evidence database. The drill source gets more room
 * because it is shown verbatim next to its SHA-256. */
#define STORE_TEXT_MAX ((size_t)64 * 1024)
#define STORE_SOURCE_MAX ((size_t)1024 * 1024)
/* Upper bound on rows loaded per table, so a damaged database cannot make a
 * report allocate without limit. */
#define STORE_ROWS_MAX 1000000
/* PRAGMA application_id marking a drill database ("DRIL"). */
#define STORE_APP_ID 0x4452494c
/* How long a write waits for another process's lock before failing. */
#define STORE_BUSY_MS 5000
#define STORE_STR_(x) #x
#define STORE_STR(x) STORE_STR_(x)
#define LINK_COLUMNS "seq, run_id, record_sha256, prev_sha256, chain_sha256, sealed_ms, format"

struct Store {
    sqlite3 *db;
    char *path;
    const Redactor *redactor;   /* borrowed; NULL = keyword/URI forms only */
    pthread_mutex_t lock;
    /* Nesting of tx_open: only the outermost BEGINs and COMMITs, so a caller
     * can make several store calls one transaction (store_tx_begin). */
    int tx_depth;
    bool tx_failed;             /* an inner part failed: the outer one rolls back */
};

typedef int (*MigrateFn)(Store *st, DrillError *err);
static int migrate_v1(Store *st, DrillError *err);
static int migrate_v2(Store *st, DrillError *err);
static int migrate_v3(Store *st, DrillError *err);
static int migrate_v4(Store *st, DrillError *err);
static int migrate_v5(Store *st, DrillError *err);
static const MigrateFn MIGRATIONS[] = {migrate_v1, migrate_v2, migrate_v3, migrate_v4,
                                       migrate_v5};
#define STORE_SCHEMA_VERSION ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

/* ---- errors ---- */

static bool sqlite_is_notadb(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
}

/* What the operator can do about the usual ways a store write fails on a
 * host: the file system is full, another process holds the lock, the file
 * or its directory (where sqlite writes PATH-wal and PATH-shm) is not
 * writable for this user. Committed rows survive all of them. */
static const char *store_fail_hint(Store *st, int rc)
{
    int sys = sqlite3_system_errno(st->db);
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return " (disk full, ENOSPC)\n  hint: free space on the file system holding the store "
               "(rows committed before are intact) or choose another --db / DRILL_DB";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return " (locked by another process; waited " STORE_STR(STORE_BUSY_MS) " ms)\n  hint: let the other drill or "
               "sqlite3 session holding the store finish, or choose another --db / DRILL_DB";
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return " (the file or its directory is not writable for this user)\n  hint: make the "
               "store and its directory writable (sqlite writes PATH-wal and PATH-shm next to "
               "it) or choose another --db / DRILL_DB";
    case SQLITE_IOERR:
        return sys == ENOSPC ? " (disk full, ENOSPC)\n  hint: free space on the file system "
                               "holding the store (rows committed before are intact)"
                             : "\n  hint: check the file system holding the store";
    case SQLITE_CONSTRAINT:
        return rc == SQLITE_CONSTRAINT_FOREIGNKEY ? " (no such run)" : "";
    default:
        return "";
    }
}

/* Fills err from the connection's last error, naming the file and the action. */
static int store_fail(Store *st, const char *what, DrillError *err)
{
    int rc = sqlite3_extended_errcode(st->db);
    if (sqlite_is_notadb(rc))
        return drill_error_set(err, DRILL_E_STORE,
                               "%s is not a drill database (not SQLite, or corrupt: %s); "
                               "move it aside or choose another with --db / DRILL_DB",
                               st->path, sqlite3_errmsg(st->db));
    int code = rc == SQLITE_CONSTRAINT_FOREIGNKEY ? DRILL_E_NOTFOUND : DRILL_E_STORE;
    return drill_error_set(err, code, "store %s: %s: %s%s", st->path, what,
                           sqlite3_errmsg(st->db), store_fail_hint(st, rc));
}

static int exec_sql(Store *st, const char *sql, const char *what, DrillError *err)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(st, what, err);
    return 0;
}

/* Locks so the error message read on failure is this thread's (the mutex is
 * recursive: callers may already hold it). */
static int prep(Store *st, const char *sql, sqlite3_stmt **out, DrillError *err)
{
    int rc = 0;
    pthread_mutex_lock(&st->lock);
    if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK) {
        *out = NULL;
        rc = store_fail(st, "preparing a statement", err);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* ---- binding ---- */

/* Length of s clamped to max bytes without splitting a UTF-8 sequence. */
/* Opens a transaction (begin: "BEGIN" or "BEGIN IMMEDIATE") or joins the
 * caller's; holds the lock until tx_close. */
static int tx_open(Store *st, const char *begin, const char *what, DrillError *err)
{
    pthread_mutex_lock(&st->lock);
    if (st->tx_depth++ > 0)
        return 0;
    st->tx_failed = false;
    int rc = exec_sql(st, begin, what, err);
    if (rc != 0) {
        st->tx_depth--;
        pthread_mutex_unlock(&st->lock);
    }
    return rc;
}

/* Ends what tx_open began: the outermost commits when every part succeeded,
 * else rolls everything back. Returns rc, or the COMMIT's error. */
static int tx_close(Store *st, int rc, const char *what, DrillError *err)
{
    if (rc != 0)
        st->tx_failed = true;
    if (--st->tx_depth == 0) {
        if (!st->tx_failed)
            rc = exec_sql(st, "COMMIT", what, err);
        if (st->tx_failed || rc != 0)
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        if (st->tx_failed && rc == 0)
            rc = drill_error_set(err, DRILL_E_STORE, "store %s: %s: an earlier part failed; "
                                 "nothing was written", st->path, what);
        st->tx_failed = false;
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int store_tx_begin(Store *st, DrillError *err)
{
    return tx_open(st, "BEGIN IMMEDIATE", "starting a transaction", err);
}

int store_tx_end(Store *st, int rc, DrillError *err)
{
    return tx_close(st, rc, "committing a transaction", err);
}

static size_t text_clamp_len(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Every text goes through the redactor first: nothing secret reaches the
 * store, so nothing secret reaches a report rendered from it. */
static void bind_text_max(Store *st, sqlite3_stmt *s, int i, const char *v, size_t max)
{
    if (v == NULL) {
        sqlite3_bind_null(s, i);
        return;
    }
    char *clean = redact_text(st->redactor, v);
    sqlite3_bind_text(s, i, clean, (int)text_clamp_len(clean, max), SQLITE_TRANSIENT);
    free(clean);
}

static void bind_text(Store *st, sqlite3_stmt *s, int i, const char *v)
{
    bind_text_max(st, s, i, v, STORE_TEXT_MAX);
}

void store_set_redactor(Store *st, const Redactor *r)
{
    st->redactor = r;
}

/* NaN is stored as NULL (sqlite would do so silently anyway) and read back as NaN. */
static void bind_real(sqlite3_stmt *s, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_double(s, i, v);
}

/* ---- writing ---- */

/* Runs one prepared write as its own BEGIN IMMEDIATE transaction, rolling back
 * on any error. Always finalizes stmt. rowid / changes may be NULL. */
static int store_write(Store *st, sqlite3_stmt *stmt, const char *what, int64_t *rowid,
                       int *changes, DrillError *err)
{
    int rc = tx_open(st, "BEGIN IMMEDIATE", what, err);
    if (rc == 0) {
        if (sqlite3_step(stmt) != SQLITE_DONE)
            rc = store_fail(st, what, err);
        if (rc == 0 && rowid != NULL)
            *rowid = sqlite3_last_insert_rowid(st->db);
        if (rc == 0 && changes != NULL)
            *changes = sqlite3_changes(st->db);
        rc = tx_close(st, rc, what, err);
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* ---- opening and migrating ---- */

static int pragma_int(Store *st, const char *sql, int *out, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st, sql, &s, err);
    if (rc != 0)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW)
        *out = sqlite3_column_int(s, 0);
    else
        rc = store_fail(st, "reading the schema version", err);
    sqlite3_finalize(s);
    return rc;
}

static int check_version(Store *st, int version, DrillError *err)
{
    if (version > STORE_SCHEMA_VERSION)
        return drill_error_set(err, DRILL_E_STORE,
                               "%s was created by a newer drill (schema v%d; this drill knows "
                               "up to v%d): upgrade drill or use another --db",
                               st->path, version, STORE_SCHEMA_VERSION);
    if (version < 0)
        return drill_error_set(err, DRILL_E_STORE, "%s has an invalid schema version %d",
                               st->path, version);
    return 0;
}

/* A database at version 0 must be empty or ours: never add tables to
 * another application's database. */
static int check_foreign(Store *st, DrillError *err)
{
    int app = 0, ntables = 0;
    int rc = pragma_int(st, "PRAGMA application_id", &app, err);
    if (rc == 0)
        rc = pragma_int(st, "SELECT count(*) FROM sqlite_schema", &ntables, err);
    if (rc == 0 && ((app != 0 && app != STORE_APP_ID) || (app == 0 && ntables > 0)))
        rc = drill_error_set(err, DRILL_E_STORE,
                             "%s is an SQLite database of another application, not a drill "
                             "store; choose another with --db / DRILL_DB",
                             st->path);
    return rc;
}

/* Applies one migration step inside the caller's transaction. */
static int migrate_step(Store *st, int version, DrillError *err)
{
    int rc = version == 0 ? check_foreign(st, err) : 0;
    if (rc == 0)
        rc = MIGRATIONS[version](st, err);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version + 1);
    if (rc == 0)
        rc = exec_sql(st, sql, "setting the schema version", err);
    return rc;
}

/* Brings the schema to STORE_SCHEMA_VERSION, one version per transaction. The
 * version is re-read inside the write lock so concurrent openers migrate once. */
static int store_migrate_all(Store *st, DrillError *err)
{
    for (;;) {
        int version = 0;
        int rc = exec_sql(st, "BEGIN IMMEDIATE", "starting a migration", err);
        if (rc != 0)
            return rc;
        rc = pragma_int(st, "PRAGMA user_version", &version, err);
        if (rc == 0)
            rc = check_version(st, version, err);
        if (rc == 0 && version == STORE_SCHEMA_VERSION)
            return exec_sql(st, "COMMIT", "finishing a migration", err);
        if (rc == 0)
            rc = migrate_step(st, version, err);
        if (rc == 0)
            rc = exec_sql(st, "COMMIT", "committing a migration", err);
        if (rc != 0) {
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
}

/* Foreign keys are off while migrating: rebuilding a table (v5) drops the
 * old one, which with them on would cascade-delete every child row. The
 * migration checks them itself (PRAGMA foreign_key_check). */
static int store_migrate(Store *st, DrillError *err)
{
    int rc = exec_sql(st, "PRAGMA foreign_keys = OFF", "configuring a migration", err);
    if (rc == 0)
        rc = store_migrate_all(st, err);
    int on = exec_sql(st, "PRAGMA foreign_keys = ON", "configuring the connection",
                      rc == 0 ? err : NULL);
    return rc != 0 ? rc : on;
}

/* Per-connection settings, then a first read that tells a non-database or a
 * newer schema apart before anything is written to the file. */
static int store_configure(Store *st, DrillError *err)
{
    int version = 0;
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
    int rc = pragma_int(st, "PRAGMA user_version", &version, err);
    if (rc == 0)
        rc = check_version(st, version, err);
    if (rc == 0)
        rc = exec_sql(st, "PRAGMA busy_timeout = " STORE_STR(STORE_BUSY_MS) "; PRAGMA foreign_keys = ON",
                      "configuring the connection", err);
    /* WAL lets readers proceed during a write. NORMAL sync is safe with WAL
     * (the database stays consistent; only the last commits may be lost on a
     * power cut) and keeps per-sample commits cheap. */
    if (rc == 0)
        rc = exec_sql(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
                      "enabling WAL", err);
    return rc;
}

int store_open(const char *path, Store **out, DrillError *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return drill_error_set(err, DRILL_E_INVALID, "no store path given");
    /* New directories private (0700): the store holds commands and outputs
     * that may reveal the infrastructure. */
    int rc = dir_make_parents(path, 0700, "the store", err);
    if (rc != 0)
        return rc;
    struct stat sb;
    bool existed = stat(path, &sb) == 0;
    if (existed && S_ISDIR(sb.st_mode))
        return drill_error_set(err, DRILL_E_STORE, "store %s is a directory\n  hint: give the "
                               "path of a file with --db / DRILL_DB (e.g. %s/drill.db)",
                               path, path);
    Store *st = xcalloc(1, sizeof *st);
    st->path = xstrdup(path);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&st->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = drill_error_set(err, DRILL_E_STORE, "cannot open store %s: %s", path,
                             st->db ? sqlite3_errmsg(st->db) : "out of memory");
        store_close(st);
        return rc;
    }
    if (!existed)
        chmod(path, 0600);  /* WAL/SHM files inherit this mode */
    rc = store_configure(st, err);
    if (rc == 0)
        rc = store_migrate(st, err);
    if (rc != 0) {
        store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

void store_close(Store *st)
{
    if (st == NULL)
        return;
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    free(st->path);
    free(st);
}

char *store_default_path(void)
{
    const char *v = getenv("DRILL_DB");
    if (v != NULL && v[0] != '\0')
        return xstrdup(v);
    v = getenv("XDG_DATA_HOME");
    /* The XDG spec says relative values are invalid and must be ignored. */
    if (v != NULL && v[0] == '/')
        return xasprintf("%s/drill/drill.db", v);
    v = getenv("HOME");
    if (v == NULL || v[0] == '\0') {
        const struct passwd *pw = getpwuid(getuid());
        v = pw != NULL ? pw->pw_dir : ".";
    }
    return xasprintf("%s/.local/share/drill/drill.db", v);
}

/* ---- schema ---- */

static int migrate_v1(Store *st, DrillError *err)
{
    static const char sql[] =
        "CREATE TABLE runs ("
        " id INTEGER PRIMARY KEY, drill_name TEXT NOT NULL, drill_file TEXT,"
        " drill_sha256 TEXT, drill_source TEXT, topology_name TEXT, topology_file TEXT,"
        " hostname TEXT, drill_version TEXT,"
        " status TEXT NOT NULL DEFAULT 'running'"
        "  CHECK (status IN ('running','passed','failed','error','aborted')),"
        " message TEXT, exit_code INTEGER NOT NULL DEFAULT -1,"
        " started_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL DEFAULT 0,"
        " duration_us INTEGER NOT NULL DEFAULT 0,"
        " rto_target_ms INTEGER NOT NULL DEFAULT -1, rpo_target_ms INTEGER NOT NULL DEFAULT -1,"
        " rpo_tx_target INTEGER NOT NULL DEFAULT -1) STRICT;"
        "CREATE INDEX runs_drill_started ON runs(drill_name, started_ms);"
        "CREATE TABLE steps ("
        " id INTEGER PRIMARY KEY,"
        " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
        " seq INTEGER NOT NULL, phase TEXT, name TEXT, kind TEXT, node TEXT, command TEXT,"
        " status TEXT NOT NULL CHECK (status IN ('ok','failed','error','timeout','skipped')),"
        " exit_code INTEGER NOT NULL, term_signal INTEGER NOT NULL,"
        " started_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL, duration_us INTEGER NOT NULL,"
        " out TEXT, err TEXT, message TEXT) STRICT;"
        "CREATE INDEX steps_run ON steps(run_id, seq);"
        "CREATE TABLE events ("
        " id INTEGER PRIMARY KEY,"
        " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
        " name TEXT NOT NULL, utc_ms INTEGER NOT NULL, mono_us INTEGER NOT NULL,"
        " detail TEXT) STRICT;"
        "CREATE INDEX events_run ON events(run_id);"
        "CREATE TABLE measures ("
        " id INTEGER PRIMARY KEY,"
        " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
        " key TEXT NOT NULL, value REAL, unit TEXT, how TEXT) STRICT;"
        "CREATE INDEX measures_run ON measures(run_id);"
        "CREATE TABLE objectives ("
        " id INTEGER PRIMARY KEY,"
        " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
        " name TEXT NOT NULL, target REAL, measured REAL, unit TEXT,"
        " passed INTEGER NOT NULL CHECK (passed IN (0, 1)), how TEXT) STRICT;"
        "CREATE INDEX objectives_run ON objectives(run_id);"
        "CREATE TABLE facts ("
        " id INTEGER PRIMARY KEY,"
        " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
        " key TEXT NOT NULL, value TEXT, UNIQUE (run_id, key)) STRICT;"
        "CREATE INDEX facts_run ON facts(run_id);"
        "CREATE TABLE samples ("
        " id INTEGER PRIMARY KEY,"
        " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
        " series TEXT NOT NULL, t_ms INTEGER NOT NULL, value REAL) STRICT;"
        "CREATE INDEX samples_run ON samples(run_id, series, t_ms);"
        "PRAGMA application_id = 1146243404;";  /* STORE_APP_ID */
    return exec_sql(st, sql, "creating schema v1", err);
}

/* v2: the evidence chain and the files runs emitted. No foreign key from
 * evidence to runs on purpose: a deleted run must leave its link behind, so
 * `drill verify` can say which sealed run disappeared. */
static int migrate_v2(Store *st, DrillError *err)
{
    static const char sql[] =
        "CREATE TABLE evidence ("
        " seq INTEGER PRIMARY KEY, run_id INTEGER NOT NULL UNIQUE,"
        " record_sha256 TEXT NOT NULL, prev_sha256 TEXT NOT NULL, chain_sha256 TEXT NOT NULL,"
        " sealed_ms INTEGER NOT NULL) STRICT;"
        "CREATE TABLE artifacts ("
        " id INTEGER PRIMARY KEY,"
        " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
        " path TEXT NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL,"
        " written_ms INTEGER NOT NULL) STRICT;"
        "CREATE INDEX artifacts_run ON artifacts(run_id);"
        /* Which process runs it, and the lock it holds (runlock.h): a
         * `running` run whose lock is free was orphaned by a killed drill. */
        "ALTER TABLE runs ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE runs ADD COLUMN lock_path TEXT;";
    return exec_sql(st, sql, "creating schema v2", err);
}

/* v3: the invocation a run belongs to (`drill run A B C` runs three drills
 * as one batch, identified by its first run's id). Existing runs stay
 * ungrouped (0): each is its own report. Not part of the sealed record: it
 * groups runs for reports, it is not evidence about any of them. */
static int migrate_v3(Store *st, DrillError *err)
{
    static const char sql[] =
        "ALTER TABLE runs ADD COLUMN batch_id INTEGER NOT NULL DEFAULT 0;"
        "CREATE INDEX runs_batch ON runs(batch_id);"
        "CREATE INDEX measures_key ON measures(key, run_id);";
    return exec_sql(st, sql, "creating schema v3", err);
}

/* v4: each run's globally unique id (a random UUID, util.h), the identity
 * its heartbeat rows carry on the database. The local id restarts at 1 in
 * every fresh store, so it cannot tell two stores' runs apart on one
 * cluster. Runs stored before v4 have none (NULL). */
static int migrate_v4(Store *st, DrillError *err)
{
    static const char sql[] = "ALTER TABLE runs ADD COLUMN uuid TEXT;"
                              "CREATE UNIQUE INDEX runs_uuid ON runs(uuid);";
    return exec_sql(st, sql, "creating schema v4", err);
}

/* The stored CREATE TABLE text of runs with its id made AUTOINCREMENT and
 * the table renamed runs_v5; NULL when the text is not the one drill wrote. */
static char *runs_autoinc_ddl(const char *ddl)
{
    static const char head[] = "CREATE TABLE runs ( id INTEGER PRIMARY KEY,";
    if (ddl == NULL || strncmp(ddl, head, sizeof head - 1) != 0)
        return NULL;
    return xasprintf("CREATE TABLE runs_v5 ( id INTEGER PRIMARY KEY AUTOINCREMENT,%s",
                     ddl + sizeof head - 1);
}

static char *col_text(sqlite3_stmt *s, int i);

static int stored_ddl(Store *st, const char *table, char **out, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1", &s,
                  err);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    *out = sqlite3_step(s) == SQLITE_ROW ? col_text(s, 0) : NULL;
    sqlite3_finalize(s);
    return 0;
}

/* Rebuilds runs with an AUTOINCREMENT id from its own stored definition
 * (the 12-step procedure of the SQLite ALTER TABLE docs: SQLite cannot add
 * AUTOINCREMENT to a table). Already AUTOINCREMENT: nothing to do. */
static int runs_rebuild_autoinc(Store *st, DrillError *err)
{
    static const char copy[] =
        "INSERT INTO runs_v5 SELECT * FROM runs;"
        "DROP TABLE runs;"
        "ALTER TABLE runs_v5 RENAME TO runs;"
        "CREATE INDEX runs_drill_started ON runs(drill_name, started_ms);"
        "CREATE INDEX runs_batch ON runs(batch_id);"
        "CREATE UNIQUE INDEX runs_uuid ON runs(uuid);";
    char *ddl = NULL;
    int rc = stored_ddl(st, "runs", &ddl, err);
    if (rc != 0 || strstr(ddl ? ddl : "", " id INTEGER PRIMARY KEY AUTOINCREMENT,") != NULL) {
        free(ddl);
        return rc;
    }
    char *autoinc = runs_autoinc_ddl(ddl);
    if (autoinc == NULL)
        rc = drill_error_set(err, DRILL_E_STORE, "store %s: the runs table was not created by "
                             "drill (unexpected definition): not migrating it", st->path);
    if (rc == 0)
        rc = exec_sql(st, autoinc, "creating schema v5", err);
    if (rc == 0)
        rc = exec_sql(st, copy, "creating schema v5", err);
    free(ddl);
    free(autoinc);
    return rc;
}

/* v5: run ids are never reused (AUTOINCREMENT; the counter starts above any
 * id a sealed link still names, so a run deleted before the upgrade does
 * not lend its id either), and each link says which canonical form
 * (evidence.h) its record hash uses: links written before v5 keep form 1. */
static int migrate_v5(Store *st, DrillError *err)
{
    static const char counter[] =
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'runs', 0"
        " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'runs');"
        "UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(run_id), 0)"
        " FROM evidence)) WHERE name = 'runs';";
    int rc = runs_rebuild_autoinc(st, err);
    if (rc == 0)
        rc = exec_sql(st, counter, "creating schema v5", err);
    int has_format = 0, broken = 0;
    if (rc == 0)
        rc = pragma_int(st, "SELECT count(*) FROM pragma_table_info('evidence')"
                            " WHERE name = 'format'", &has_format, err);
    if (rc == 0 && has_format == 0)
        rc = exec_sql(st, "ALTER TABLE evidence ADD COLUMN format INTEGER NOT NULL DEFAULT 1",
                      "creating schema v5", err);
    if (rc == 0)
        rc = pragma_int(st, "SELECT count(*) FROM pragma_foreign_key_check", &broken, err);
    if (rc == 0 && broken > 0)
        rc = drill_error_set(err, DRILL_E_STORE, "store %s: %d rows refer to runs that do not "
                             "exist: not migrating", st->path, broken);
    return rc;
}

/* ---- recording ---- */

int store_run_begin(Store *st, const RunInfo *info, int64_t *run_id, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st,
                  "INSERT INTO runs (drill_name, drill_file, drill_sha256, drill_source,"
                  " topology_name, topology_file, hostname, drill_version, started_ms,"
                  " rto_target_ms, rpo_target_ms, rpo_tx_target, pid, lock_path, uuid)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                  &s, err);
    if (rc != 0)
        return rc;
    bind_text(st, s, 1, info->drill_name);
    bind_text(st, s, 2, info->drill_file);
    bind_text(st, s, 3, info->drill_sha256);
    bind_text_max(st, s, 4, info->drill_source, STORE_SOURCE_MAX);
    bind_text(st, s, 5, info->topology_name);
    bind_text(st, s, 6, info->topology_file);
    bind_text(st, s, 7, info->hostname);
    bind_text(st, s, 8, info->drill_version);
    sqlite3_bind_int64(s, 9, info->started_utc_ms);
    sqlite3_bind_int64(s, 10, info->rto_target_ms);
    sqlite3_bind_int64(s, 11, info->rpo_target_ms);
    sqlite3_bind_int64(s, 12, info->rpo_tx_target);
    sqlite3_bind_int64(s, 13, info->pid);
    bind_text(st, s, 14, info->lock_path);
    bind_text(st, s, 15, info->uuid);
    return store_write(st, s, "recording the start of a run", run_id, NULL, err);
}

int store_run_finish(Store *st, int64_t run_id, const char *verdict, int exit_code,
                     int64_t ended_utc_ms, int64_t duration_us, const char *message,
                     DrillError *err)
{
    sqlite3_stmt *s;
    int changes = 0;
    int rc = prep(st,
                  "UPDATE runs SET status = ?2, exit_code = ?3, ended_ms = ?4,"
                  " duration_us = ?5, message = ?6 WHERE id = ?1",
                  &s, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    bind_text(st, s, 2, verdict);
    sqlite3_bind_int(s, 3, exit_code);
    sqlite3_bind_int64(s, 4, ended_utc_ms);
    sqlite3_bind_int64(s, 5, duration_us);
    bind_text(st, s, 6, message);
    rc = store_write(st, s, "recording the end of a run", NULL, &changes, err);
    if (rc == 0 && changes == 0)
        rc = drill_error_set(err, DRILL_E_NOTFOUND, "store %s: no run %lld to finish", st->path,
                             (long long)run_id);
    return rc;
}

int store_step_add(Store *st, int64_t run_id, const StepRecord *r, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st,
                  "INSERT INTO steps (run_id, seq, phase, name, kind, node, command, status,"
                  " exit_code, term_signal, started_ms, ended_ms, duration_us, out, err, message)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                  &s, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int(s, 2, r->seq);
    bind_text(st, s, 3, r->phase);
    bind_text(st, s, 4, r->name);
    bind_text(st, s, 5, r->kind);
    bind_text(st, s, 6, r->node);
    bind_text(st, s, 7, r->command);
    bind_text(st, s, 8, r->status);
    sqlite3_bind_int(s, 9, r->exit_code);
    sqlite3_bind_int(s, 10, r->term_signal);
    sqlite3_bind_int64(s, 11, r->started_utc_ms);
    sqlite3_bind_int64(s, 12, r->ended_utc_ms);
    sqlite3_bind_int64(s, 13, r->duration_us);
    bind_text(st, s, 14, r->out);
    bind_text(st, s, 15, r->err);
    bind_text(st, s, 16, r->message);
    return store_write(st, s, "recording a step", NULL, NULL, err);
}

int store_event_add(Store *st, int64_t run_id, const char *name, int64_t utc_ms,
                    int64_t mono_us_since_start, const char *detail, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st,
                  "INSERT INTO events (run_id, name, utc_ms, mono_us, detail)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)",
                  &s, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    bind_text(st, s, 2, name);
    sqlite3_bind_int64(s, 3, utc_ms);
    sqlite3_bind_int64(s, 4, mono_us_since_start);
    bind_text(st, s, 5, detail);
    return store_write(st, s, "recording an event", NULL, NULL, err);
}

int store_measure_add(Store *st, int64_t run_id, const char *key, double value,
                      const char *unit, const char *how, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st,
                  "INSERT INTO measures (run_id, key, value, unit, how)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)",
                  &s, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    bind_text(st, s, 2, key);
    bind_real(s, 3, value);
    bind_text(st, s, 4, unit);
    bind_text(st, s, 5, how);
    return store_write(st, s, "recording a measurement", NULL, NULL, err);
}

int store_objective_add(Store *st, int64_t run_id, const char *name, double target,
                        double measured, const char *unit, bool passed, const char *how,
                        DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st,
                  "INSERT INTO objectives (run_id, name, target, measured, unit, passed, how)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                  &s, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    bind_text(st, s, 2, name);
    bind_real(s, 3, target);
    bind_real(s, 4, measured);
    bind_text(st, s, 5, unit);
    sqlite3_bind_int(s, 6, passed ? 1 : 0);
    bind_text(st, s, 7, how);
    return store_write(st, s, "recording an objective", NULL, NULL, err);
}

/* A fact recorded twice keeps the last value: facts describe the state of the
 * environment, one value per key. */
int store_fact_add(Store *st, int64_t run_id, const char *key, const char *value,
                   DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st,
                  "INSERT INTO facts (run_id, key, value) VALUES (?1, ?2, ?3)"
                  " ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                  &s, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    bind_text(st, s, 2, key);
    bind_text(st, s, 3, value);
    return store_write(st, s, "recording a fact", NULL, NULL, err);
}

int store_sample_add(Store *st, int64_t run_id, const char *series, int64_t t_ms,
                     double value, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st,
                  "INSERT INTO samples (run_id, series, t_ms, value) VALUES (?1, ?2, ?3, ?4)",
                  &s, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    bind_text(st, s, 2, series);
    sqlite3_bind_int64(s, 3, t_ms);
    bind_real(s, 4, value);
    return store_write(st, s, "recording a sample", NULL, NULL, err);
}

/* ---- reading back ---- */

/* A text column, every stored byte of it: a NUL inside (drill never writes
 * one; an edited store may) is shown as the two characters \0, so what
 * reports show and what the evidence hash covers is the whole value, never
 * the part before a NUL. */
static char *col_text(sqlite3_stmt *s, int i)
{
    const char *t = (const char *)sqlite3_column_text(s, i);
    if (t == NULL)
        return NULL;
    size_t n = (size_t)sqlite3_column_bytes(s, i);
    if (memchr(t, '\0', n) == NULL)
        return xstrdup(t);
    Buf b;
    buf_init(&b, 2 * n + 1);
    for (size_t k = 0; k < n; k++)
        buf_appends(&b, t[k] == '\0' ? "\\0" : (char[]){t[k], '\0'});
    return buf_steal(&b);
}

static double col_real(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

typedef void (*RowFn)(sqlite3_stmt *s, void *elem);

/* Steps a bound statement to the end, appending one elsize-byte element per
 * row (filled by fn) to the growing array *arr. Always finalizes s. The
 * caller holds the lock. */
static int collect_rows(Store *st, sqlite3_stmt *s, size_t elsize, RowFn fn, void **arr,
                        size_t *n, DrillError *err)
{
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == STORE_ROWS_MAX) {
            sqlite3_finalize(s);
            return drill_error_set(err, DRILL_E_STORE, "store %s: more than %d rows in one "
                                   "table for one query: drill never writes that many, so the "
                                   "store was edited or is damaged (nothing of it is shown as "
                                   "if complete)", st->path, STORE_ROWS_MAX);
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *arr = xrealloc(*arr, cap * elsize);
        }
        char *elem = (char *)*arr + *n * elsize;
        memset(elem, 0, elsize);
        fn(s, elem);
        (*n)++;
    }
    int rc = 0;
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        rc = store_fail(st, "reading the store", err);
    sqlite3_finalize(s);
    return rc;
}

/* Loads the rows of sql (?1 = run_id) into a new array stored in *arr. */
static int load_rows(Store *st, const char *sql, int64_t run_id, size_t elsize, RowFn fn,
                     void **arr, size_t *n, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st, sql, &s, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    return collect_rows(st, s, elsize, fn, arr, n, err);
}

static void row_step(sqlite3_stmt *s, void *elem)
{
    StoredStep *p = elem;
    p->seq = sqlite3_column_int(s, 0);
    p->phase = col_text(s, 1);
    p->name = col_text(s, 2);
    p->kind = col_text(s, 3);
    p->node = col_text(s, 4);
    p->command = col_text(s, 5);
    p->status = col_text(s, 6);
    p->exit_code = sqlite3_column_int(s, 7);
    p->term_signal = sqlite3_column_int(s, 8);
    p->started_utc_ms = sqlite3_column_int64(s, 9);
    p->ended_utc_ms = sqlite3_column_int64(s, 10);
    p->duration_us = sqlite3_column_int64(s, 11);
    p->out = col_text(s, 12);
    p->err = col_text(s, 13);
    p->message = col_text(s, 14);
}

static void row_event(sqlite3_stmt *s, void *elem)
{
    StoredEvent *p = elem;
    p->name = col_text(s, 0);
    p->utc_ms = sqlite3_column_int64(s, 1);
    p->mono_us = sqlite3_column_int64(s, 2);
    p->detail = col_text(s, 3);
}

static void row_measure(sqlite3_stmt *s, void *elem)
{
    StoredMeasure *p = elem;
    p->key = col_text(s, 0);
    p->value = col_real(s, 1);
    p->unit = col_text(s, 2);
    p->how = col_text(s, 3);
}

static void row_objective(sqlite3_stmt *s, void *elem)
{
    StoredObjective *p = elem;
    p->name = col_text(s, 0);
    p->target = col_real(s, 1);
    p->measured = col_real(s, 2);
    p->unit = col_text(s, 3);
    p->passed = sqlite3_column_int(s, 4) != 0;
    p->how = col_text(s, 5);
}

static void row_fact(sqlite3_stmt *s, void *elem)
{
    StoredFact *p = elem;
    p->key = col_text(s, 0);
    p->value = col_text(s, 1);
}

static void row_sample(sqlite3_stmt *s, void *elem)
{
    StoredSample *p = elem;
    p->series = col_text(s, 0);
    p->t_ms = sqlite3_column_int64(s, 1);
    p->value = col_real(s, 2);
}

static void row_run(sqlite3_stmt *s, void *elem)
{
    RunRecord *r = elem;
    r->id = sqlite3_column_int64(s, 0);
    r->drill_name = col_text(s, 1);
    r->drill_file = col_text(s, 2);
    r->drill_sha256 = col_text(s, 3);
    r->drill_source = col_text(s, 4);
    r->topology_name = col_text(s, 5);
    r->topology_file = col_text(s, 6);
    r->hostname = col_text(s, 7);
    r->drill_version = col_text(s, 8);
    r->status = col_text(s, 9);
    r->message = col_text(s, 10);
    r->exit_code = sqlite3_column_int(s, 11);
    r->started_utc_ms = sqlite3_column_int64(s, 12);
    r->ended_utc_ms = sqlite3_column_int64(s, 13);
    r->duration_us = sqlite3_column_int64(s, 14);
    r->rto_target_ms = sqlite3_column_int64(s, 15);
    r->rpo_target_ms = sqlite3_column_int64(s, 16);
    r->rpo_tx_target = sqlite3_column_int64(s, 17);
    r->batch_id = sqlite3_column_int64(s, 18);
    r->uuid = col_text(s, 19);
    r->pid = sqlite3_column_int64(s, 20);
    r->lock_path = col_text(s, 21);
}

/* Children of a run, each in the order store.h promises. `id` breaks ties so
 * the order (and so every report) is deterministic. */
static int load_children(Store *st, RunRecord *r, DrillError *err)
{
    void *steps = NULL, *events = NULL, *measures = NULL, *objectives = NULL, *facts = NULL,
         *samples = NULL;
    int rc = load_rows(st,
                       "SELECT seq, phase, name, kind, node, command, status, exit_code,"
                       " term_signal, started_ms, ended_ms, duration_us, out, err, message"
                       " FROM steps WHERE run_id = ?1 ORDER BY seq, id",
                       r->id, sizeof *r->steps, row_step, &steps, &r->nsteps, err);
    if (rc == 0)
        rc = load_rows(st,
                       "SELECT name, utc_ms, mono_us, detail FROM events WHERE run_id = ?1"
                       " ORDER BY mono_us, id",
                       r->id, sizeof *r->events, row_event, &events, &r->nevents, err);
    if (rc == 0)
        rc = load_rows(st,
                       "SELECT key, value, unit, how FROM measures WHERE run_id = ?1 ORDER BY id",
                       r->id, sizeof *r->measures, row_measure, &measures, &r->nmeasures, err);
    if (rc == 0)
        rc = load_rows(st,
                       "SELECT name, target, measured, unit, passed, how FROM objectives"
                       " WHERE run_id = ?1 ORDER BY id",
                       r->id, sizeof *r->objectives, row_objective, &objectives,
                       &r->nobjectives, err);
    if (rc == 0)
        rc = load_rows(st, "SELECT key, value FROM facts WHERE run_id = ?1 ORDER BY key, id",
                       r->id, sizeof *r->facts, row_fact, &facts, &r->nfacts, err);
    if (rc == 0)
        rc = load_rows(st,
                       "SELECT series, t_ms, value FROM samples WHERE run_id = ?1"
                       " ORDER BY series, t_ms, id",
                       r->id, sizeof *r->samples, row_sample, &samples, &r->nsamples, err);
    r->steps = steps;
    r->events = events;
    r->measures = measures;
    r->objectives = objectives;
    r->facts = facts;
    r->samples = samples;
    return rc;
}

static int load_run_row(Store *st, int64_t run_id, RunRecord **out, DrillError *err)
{
    void *rows = NULL;
    size_t n = 0;
    int rc = load_rows(st,
                       "SELECT id, drill_name, drill_file, drill_sha256, drill_source,"
                       " topology_name, topology_file, hostname, drill_version, status, message,"
                       " exit_code, started_ms, ended_ms, duration_us, rto_target_ms,"
                       " rpo_target_ms, rpo_tx_target, batch_id, uuid, pid, lock_path FROM runs"
                       " WHERE id = ?1",
                       run_id, sizeof(RunRecord), row_run, &rows, &n, err);
    if (rc == 0 && n == 0) {
        free(rows);
        return drill_error_set(err, DRILL_E_NOTFOUND, "store %s has no run %lld", st->path,
                               (long long)run_id);
    }
    *out = rows;
    return rc;
}

static int load_links(Store *st, const char *sql, int64_t arg, EvidenceLink **out, size_t *n,
                      DrillError *err);

static int load_seal(Store *st, RunRecord *r, DrillError *err)
{
    EvidenceLink *link = NULL;
    size_t n = 0;
    int rc = load_links(st, "SELECT " LINK_COLUMNS " FROM evidence WHERE run_id = ?1", r->id,
                        &link, &n, err);
    r->sealed = rc == 0 && n == 1;
    if (r->sealed)
        r->seal = *link;
    free(link);
    return rc;
}

int store_run_load(Store *st, int64_t run_id, RunRecord **out, DrillError *err)
{
    *out = NULL;
    RunRecord *r = NULL;
    /* One read transaction: all tables from the same snapshot even while the
     * runner is still writing from another process. */
    int rc = tx_open(st, "BEGIN", "loading a run", err);
    if (rc != 0)
        return rc;
    rc = load_run_row(st, run_id, &r, err);
    if (rc == 0)
        rc = load_children(st, r, err);
    if (rc == 0)
        rc = load_seal(st, r, err);
    rc = tx_close(st, rc, "loading a run", err);
    if (rc != 0) {
        run_record_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void run_record_free(RunRecord *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nsteps; i++) {
        StoredStep *p = &r->steps[i];
        char *texts[] = {p->phase, p->name, p->kind, p->node, p->command,
                         p->status, p->out, p->err, p->message};
        for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
            free(texts[k]);
    }
    for (size_t i = 0; i < r->nevents; i++) {
        free(r->events[i].name);
        free(r->events[i].detail);
    }
    for (size_t i = 0; i < r->nmeasures; i++) {
        free(r->measures[i].key);
        free(r->measures[i].unit);
        free(r->measures[i].how);
    }
    for (size_t i = 0; i < r->nobjectives; i++) {
        free(r->objectives[i].name);
        free(r->objectives[i].unit);
        free(r->objectives[i].how);
    }
    for (size_t i = 0; i < r->nfacts; i++) {
        free(r->facts[i].key);
        free(r->facts[i].value);
    }
    for (size_t i = 0; i < r->nsamples; i++)
        free(r->samples[i].series);
    char *texts[] = {r->drill_name,    r->drill_file,    r->drill_sha256, r->drill_source,
                     r->topology_name, r->topology_file, r->hostname,     r->drill_version,
                     r->status,        r->message,       r->uuid,         r->lock_path};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
        free(texts[k]);
    free(r->steps);
    free(r->events);
    free(r->measures);
    free(r->objectives);
    free(r->facts);
    free(r->samples);
    free(r);
}

const char *run_record_fact(const RunRecord *r, const char *key)
{
    for (size_t i = 0; i < r->nfacts; i++)
        if (r->facts[i].key != NULL && strcmp(r->facts[i].key, key) == 0)
            return r->facts[i].value;
    return NULL;
}

/* ---- history ---- */

/* Copies src into a fixed field, cut on a UTF-8 boundary. */
static void copy_field(char *dst, size_t dstsz, const unsigned char *src)
{
    const char *s = src != NULL ? (const char *)src : "";
    size_t n = text_clamp_len(s, dstsz - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static double col_measure(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_double(s, i);
}

static void row_summary(sqlite3_stmt *s, void *elem)
{
    RunSummary *p = elem;
    p->id = sqlite3_column_int64(s, 0);
    copy_field(p->drill_name, sizeof p->drill_name, sqlite3_column_text(s, 1));
    copy_field(p->status, sizeof p->status, sqlite3_column_text(s, 2));
    p->started_utc_ms = sqlite3_column_int64(s, 3);
    p->duration_us = sqlite3_column_int64(s, 4);
    p->rto_ms = col_measure(s, 5);
    p->rpo_ms = col_measure(s, 6);
    p->rpo_transactions = col_measure(s, 7);
    p->batch_id = sqlite3_column_int64(s, 8);
}

int store_history(Store *st, const char *drill_name, size_t limit, RunSummary **out,
                  size_t *n, DrillError *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s;
    /* The last value recorded for each key wins, as in the run's report. */
    int rc = prep(st,
                  "SELECT r.id, r.drill_name, r.status, r.started_ms, r.duration_us,"
                  " (SELECT value FROM measures m WHERE m.run_id = r.id AND m.key = 'rto_ms'"
                  "  ORDER BY m.id DESC LIMIT 1),"
                  " (SELECT value FROM measures m WHERE m.run_id = r.id AND m.key = 'rpo_ms'"
                  "  ORDER BY m.id DESC LIMIT 1),"
                  " (SELECT value FROM measures m WHERE m.run_id = r.id"
                  "  AND m.key = 'rpo_transactions' ORDER BY m.id DESC LIMIT 1), r.batch_id"
                  " FROM runs r WHERE (?1 IS NULL OR r.drill_name = ?1)"
                  " ORDER BY r.started_ms DESC, r.id DESC LIMIT ?2",
                  &s, err);
    if (rc != 0)
        return rc;
    bind_text(st, s, 1, drill_name);
    /* 0 = no limit (up to STORE_ROWS_MAX, where collect_rows would fail). */
    sqlite3_bind_int64(s, 2, limit == 0 || limit > STORE_ROWS_MAX ? STORE_ROWS_MAX
                                                                   : (sqlite3_int64)limit);
    void *rows = NULL;
    pthread_mutex_lock(&st->lock);
    rc = collect_rows(st, s, sizeof **out, row_summary, &rows, n, err);
    pthread_mutex_unlock(&st->lock);
    *out = rows;
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- evidence chain ---- */

static void row_link(sqlite3_stmt *s, void *elem)
{
    EvidenceLink *p = elem;
    p->seq = sqlite3_column_int64(s, 0);
    p->run_id = sqlite3_column_int64(s, 1);
    copy_field(p->record_sha256, sizeof p->record_sha256, sqlite3_column_text(s, 2));
    copy_field(p->prev_sha256, sizeof p->prev_sha256, sqlite3_column_text(s, 3));
    copy_field(p->chain_sha256, sizeof p->chain_sha256, sqlite3_column_text(s, 4));
    p->sealed_utc_ms = sqlite3_column_int64(s, 5);
    p->format = sqlite3_column_int(s, 6);
}


/* Loads links with sql (?1 bound to arg); the caller holds the lock. */
static int load_links(Store *st, const char *sql, int64_t arg, EvidenceLink **out, size_t *n,
                      DrillError *err)
{
    void *rows = NULL;
    *n = 0;
    int rc = load_rows(st, sql, arg, sizeof **out, row_link, &rows, n, err);
    *out = rows;
    return rc;
}

void evidence_chain_next(const char *prev_sha256, const char *record_sha256, char out[65])
{
    char buf[2 * 64 + 2];
    snprintf(buf, sizeof buf, "%s\n%s", prev_sha256, record_sha256);
    sha256_hex(buf, strlen(buf), out);
}

static int insert_link(Store *st, const EvidenceLink *l, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st, "INSERT INTO evidence (" LINK_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                  &s, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, l->seq);
    sqlite3_bind_int64(s, 2, l->run_id);
    bind_text(st, s, 3, l->record_sha256);
    bind_text(st, s, 4, l->prev_sha256);
    bind_text(st, s, 5, l->chain_sha256);
    sqlite3_bind_int64(s, 6, l->sealed_utc_ms);
    sqlite3_bind_int(s, 7, l->format);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store_fail(st, "sealing a run", err);
    sqlite3_finalize(s);
    return rc;
}

/* Reading the newest link and writing the next happen in one write
 * transaction, so two drills finishing together still form one chain. */
int store_evidence_append(Store *st, int64_t run_id, int format, const char *record_sha256,
                          EvidenceLink *out, DrillError *err)
{
    EvidenceLink *last = NULL;
    size_t n = 0;
    int rc = tx_open(st, "BEGIN IMMEDIATE", "sealing a run", err);
    if (rc != 0)
        return rc;
    rc = load_links(st, "SELECT " LINK_COLUMNS " FROM evidence WHERE ?1 = ?1"
                            " ORDER BY seq DESC LIMIT 1", 0, &last, &n, err);
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        out->seq = n > 0 ? last->seq + 1 : 1;
        out->run_id = run_id;
        out->format = format;
        out->sealed_utc_ms = time_utc_ms();
        snprintf(out->record_sha256, sizeof out->record_sha256, "%s", record_sha256);
        snprintf(out->prev_sha256, sizeof out->prev_sha256, "%s",
                 n > 0 ? last->chain_sha256 : EVIDENCE_GENESIS);
        evidence_chain_next(out->prev_sha256, out->record_sha256, out->chain_sha256);
        rc = insert_link(st, out, err);
    }
    free(last);
    return tx_close(st, rc, "sealing a run", err);
}

int store_evidence_list(Store *st, EvidenceLink **out, size_t *n, DrillError *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = load_links(st, "SELECT " LINK_COLUMNS " FROM evidence WHERE ?1 = ?1 ORDER BY seq",
                        0, out, n, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static void row_id(sqlite3_stmt *s, void *elem)
{
    *(int64_t *)elem = sqlite3_column_int64(s, 0);
}

int store_runs_unsealed(Store *st, int64_t **ids, size_t *n, DrillError *err)
{
    void *rows = NULL;
    *n = 0;
    pthread_mutex_lock(&st->lock);
    int rc = load_rows(st,
                       "SELECT id FROM runs WHERE status <> 'running' AND ?1 = ?1 AND id NOT IN"
                       " (SELECT run_id FROM evidence) ORDER BY id",
                       0, sizeof(int64_t), row_id, &rows, n, err);
    pthread_mutex_unlock(&st->lock);
    *ids = rows;
    return rc;
}

int store_run_set_batch(Store *st, int64_t run_id, int64_t batch_id, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st, "UPDATE runs SET batch_id = ?2 WHERE id = ?1", &s, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, batch_id);
    int changes = 0;
    rc = store_write(st, s, "recording the run's batch", NULL, &changes, err);
    if (rc == 0 && changes == 0)
        rc = drill_error_set(err, DRILL_E_NOTFOUND, "no run %lld in the store", (long long)run_id);
    return rc;
}

int store_batch_runs(Store *st, int64_t batch_id, int64_t **ids, size_t *n, DrillError *err)
{
    void *rows = NULL;
    *n = 0;
    pthread_mutex_lock(&st->lock);
    int rc = load_rows(st, "SELECT id FROM runs WHERE batch_id = ?1 ORDER BY id", batch_id,
                       sizeof(int64_t), row_id, &rows, n, err);
    pthread_mutex_unlock(&st->lock);
    *ids = rows;
    if (rc == 0 && *n == 0)
        rc = drill_error_set(err, DRILL_E_NOTFOUND, "no batch %lld in the store "
                             "(hint: `drill history` shows each run's batch)", (long long)batch_id);
    return rc;
}

static void row_value(sqlite3_stmt *s, void *elem)
{
    *(double *)elem = sqlite3_column_double(s, 0);
}

/* Same target = same topology name and, when the run recorded one, a node
 * with the same system_identifier (standbys share the primary's). */
int store_baseline(Store *st, const BaselineQuery *q, double **values, size_t *n,
                   DrillError *err)
{
    sqlite3_stmt *s;
    *values = NULL;
    *n = 0;
    int rc = prep(st,
                  "SELECT (SELECT m.value FROM measures m WHERE m.run_id = r.id AND m.key = ?4"
                  "  ORDER BY m.id DESC LIMIT 1) AS v"
                  " FROM runs r WHERE r.drill_name = ?1 AND r.topology_name IS ?2"
                  " AND r.status = 'passed' AND r.id < ?3 AND v IS NOT NULL"
                  " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM facts f WHERE f.run_id = r.id"
                  "  AND f.key LIKE 'system_identifier:%' AND f.value = ?5))"
                  " ORDER BY r.id DESC LIMIT ?6",
                  &s, err);
    if (rc != 0)
        return rc;
    bind_text(st, s, 1, q->drill_name);
    bind_text(st, s, 2, q->topology_name);
    sqlite3_bind_int64(s, 3, q->before_run_id);
    bind_text(st, s, 4, q->measure_key);
    bind_text(st, s, 5, q->system_identifier);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)q->limit);
    void *rows = NULL;
    pthread_mutex_lock(&st->lock);
    rc = collect_rows(st, s, sizeof(double), row_value, &rows, n, err);
    pthread_mutex_unlock(&st->lock);
    *values = rows;
    return rc;
}

int store_artifact_add(Store *st, int64_t run_id, const char *path, const char *sha256,
                       int64_t bytes, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st,
                  "INSERT INTO artifacts (run_id, path, sha256, bytes, written_ms)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)",
                  &s, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    bind_text(st, s, 2, path);
    bind_text(st, s, 3, sha256);
    sqlite3_bind_int64(s, 4, bytes);
    sqlite3_bind_int64(s, 5, time_utc_ms());
    return store_write(st, s, "recording a report file", NULL, NULL, err);
}

static void row_artifact(sqlite3_stmt *s, void *elem)
{
    StoredArtifact *p = elem;
    p->run_id = sqlite3_column_int64(s, 0);
    p->path = col_text(s, 1);
    copy_field(p->sha256, sizeof p->sha256, sqlite3_column_text(s, 2));
    p->bytes = sqlite3_column_int64(s, 3);
    p->written_utc_ms = sqlite3_column_int64(s, 4);
}

int store_artifacts_latest(Store *st, StoredArtifact **out, size_t *n, DrillError *err)
{
    void *rows = NULL;
    *n = 0;
    pthread_mutex_lock(&st->lock);
    int rc = load_rows(st,
                       "SELECT run_id, path, sha256, bytes, written_ms FROM artifacts"
                       " WHERE ?1 = ?1 AND id IN (SELECT max(id) FROM artifacts GROUP BY path)"
                       " ORDER BY run_id, id",
                       0, sizeof **out, row_artifact, &rows, n, err);
    pthread_mutex_unlock(&st->lock);
    *out = rows;
    return rc;
}

void stored_artifacts_free(StoredArtifact *a, size_t n)
{
    for (size_t i = 0; a != NULL && i < n; i++)
        free(a[i].path);
    free(a);
}

const char *store_library_version(void)
{
    return sqlite3_libversion();
}

/* ---- orphaned runs ---- */

static void row_running(sqlite3_stmt *s, void *elem)
{
    RunningRun *p = elem;
    p->id = sqlite3_column_int64(s, 0);
    p->pid = sqlite3_column_int64(s, 1);
    copy_field(p->lock_path, sizeof p->lock_path, sqlite3_column_text(s, 2));
}

int store_runs_running(Store *st, const char *hostname, RunningRun **out, size_t *n,
                       DrillError *err)
{
    sqlite3_stmt *s;
    void *rows = NULL;
    *n = 0;
    int rc = prep(st,
                  "SELECT id, pid, lock_path FROM runs WHERE status = 'running'"
                  " AND hostname = ?1 ORDER BY id",
                  &s, err);
    if (rc == 0) {
        sqlite3_bind_text(s, 1, hostname, -1, SQLITE_TRANSIENT);
        pthread_mutex_lock(&st->lock);
        rc = collect_rows(st, s, sizeof **out, row_running, &rows, n, err);
        pthread_mutex_unlock(&st->lock);
    }
    *out = rows;
    return rc;
}

int store_check_integrity(Store *st, DrillError *err)
{
    sqlite3_stmt *s;
    int rc = prep(st, "PRAGMA integrity_check", &s, err);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&st->lock);
    if (sqlite3_step(s) != SQLITE_ROW)
        rc = store_fail(st, "checking integrity", err);
    else if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
        rc = drill_error_set(err, DRILL_E_STORE, "store %s is damaged: %s", st->path,
                             (const char *)sqlite3_column_text(s, 0));
    pthread_mutex_unlock(&st->lock);
    sqlite3_finalize(s);
    return rc;
}
