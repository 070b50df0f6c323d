/*
 * store_open.c — opening a store (store.h): the path, the per-connection
 * settings (WAL, busy timeout, foreign keys), refusing files that are not
 * drill's, the schema and its migrations, and the integrity check.
 *
 * Migrations: MIGRATIONS[i] brings the schema from user_version i to i+1.
 * Adding v6 means writing migrate_v6() and appending it to the table.
 */
#include "store_int.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

typedef int (*MigrateFn)(Store *st, DrillError *err);
static int migrate_v1(Store *st, DrillError *err);
static int migrate_v2(Store *st, DrillError *err);
static int migrate_v3(Store *st, DrillError *err);
static int migrate_v4(Store *st, DrillError *err);
static int migrate_v5(Store *st, DrillError *err);
static int migrate_v6(Store *st, DrillError *err);
static int migrate_v7(Store *st, DrillError *err);
static const MigrateFn MIGRATIONS[] = {migrate_v1, migrate_v2, migrate_v3, migrate_v4,
                                       migrate_v5, migrate_v6, migrate_v7};
_Static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version");

/* ---- opening and migrating ---- */

static int pragma_int(Store *st, const char *sql, int *out, DrillError *err)
{
    int64_t v = 0;
    int rc = store_scalar_int(st, sql, "reading the schema version", &v, err);
    if (rc == 0)
        *out = (int)v;
    return rc;
}

int store_check_version(Store *st, int version, DrillError *err)
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
        rc = store_exec(st, sql, "setting the schema version", err);
    return rc;
}

/* Brings the schema to STORE_SCHEMA_VERSION, one version per transaction. The
 * version is re-read inside the write lock so concurrent openers migrate once. */
static int store_migrate_all(Store *st, DrillError *err)
{
    for (;;) {
        int version = 0;
        int rc = store_exec(st, "BEGIN IMMEDIATE", "starting a migration", err);
        if (rc != 0)
            return rc;
        rc = pragma_int(st, "PRAGMA user_version", &version, err);
        if (rc == 0)
            rc = store_check_version(st, version, err);
        if (rc == 0 && version == STORE_SCHEMA_VERSION)
            return store_exec(st, "COMMIT", "finishing a migration", err);
        if (rc == 0)
            rc = migrate_step(st, version, err);
        if (rc == 0)
            rc = store_exec(st, "COMMIT", "committing a migration", err);
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
    int rc = store_exec(st, "PRAGMA foreign_keys = OFF", "configuring a migration", err);
    if (rc == 0)
        rc = store_migrate_all(st, err);
    int on = store_exec(st, "PRAGMA foreign_keys = ON", "configuring the connection",
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
        rc = store_check_version(st, version, err);
    if (rc == 0)
        rc = store_exec(st, "PRAGMA busy_timeout = " STORE_STR(STORE_BUSY_MS) "; PRAGMA foreign_keys = ON",
                        "configuring the connection", err);
    /* WAL lets readers proceed during a write. NORMAL sync is safe with WAL
     * (the database stays consistent; only the last commits may be lost on a
     * power cut) and keeps per-sample commits cheap. */
    if (rc == 0)
        rc = store_exec(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
                        "enabling WAL", err);
    return rc;
}

bool store_is_uri(const char *path)
{
    return path != NULL && (strncmp(path, "postgresql://", 13) == 0 ||
                            strncmp(path, "postgres://", 11) == 0);
}

static int store_open_sqlite(Store *st, const char *path, DrillError *err)
{
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
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        return drill_error_set(err, DRILL_E_STORE, "cannot open store %s: %s", path,
                               st->db ? sqlite3_errmsg(st->db) : "out of memory");
    if (!existed)
        chmod(path, 0600);  /* WAL/SHM files inherit this mode */
    rc = store_configure(st, err);
    return rc == 0 ? store_migrate(st, err) : rc;
}

int store_open(const char *path, Store **out, DrillError *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return drill_error_set(err, DRILL_E_INVALID, "no store path given");
    Store *st = xcalloc(1, sizeof *st);
    /* Shown in every message: a URI's password masked. */
    st->path = redact_text(NULL, path);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&st->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    int rc = store_is_uri(path) ? store_open_pg(st, path, err)
                                : store_open_sqlite(st, path, err);
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
    pg_close(st->pg);
    free(st->uri);
    free(st->claim);
    pthread_mutex_destroy(&st->lock);
    free(st->path);
    free(st);
}

const char *store_path(const Store *st)
{
    return st->path;
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
    return store_exec(st, sql, "creating schema v1", err);
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
    return store_exec(st, sql, "creating schema v2", err);
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
    return store_exec(st, sql, "creating schema v3", err);
}

/* v4: each run's globally unique id (a random UUID, util.h), the identity
 * its heartbeat rows carry on the database. The local id restarts at 1 in
 * every fresh store, so it cannot tell two stores' runs apart on one
 * cluster. Runs stored before v4 have none (NULL). */
static int migrate_v4(Store *st, DrillError *err)
{
    static const char sql[] = "ALTER TABLE runs ADD COLUMN uuid TEXT;"
                              "CREATE UNIQUE INDEX runs_uuid ON runs(uuid);";
    return store_exec(st, sql, "creating schema v4", err);
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

static int stored_ddl(Store *st, const char *table, char **out, DrillError *err)
{
    StoreStmt *s;
    int rc = store_prep(st, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1", &s,
                        err);
    if (rc != 0)
        return rc;
    stmt_bind_text(s, 1, table);
    *out = stmt_step(s) == STMT_ROW ? store_col_text(s, 0) : NULL;
    stmt_free(s);
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
        rc = store_exec(st, autoinc, "creating schema v5", err);
    if (rc == 0)
        rc = store_exec(st, copy, "creating schema v5", err);
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
        rc = store_exec(st, counter, "creating schema v5", err);
    int has_format = 0, broken = 0;
    if (rc == 0)
        rc = pragma_int(st, "SELECT count(*) FROM pragma_table_info('evidence')"
                            " WHERE name = 'format'", &has_format, err);
    if (rc == 0 && has_format == 0)
        rc = store_exec(st, "ALTER TABLE evidence ADD COLUMN format INTEGER NOT NULL DEFAULT 1",
                        "creating schema v5", err);
    if (rc == 0)
        rc = pragma_int(st, "SELECT count(*) FROM pragma_foreign_key_check", &broken, err);
    if (rc == 0 && broken > 0)
        rc = drill_error_set(err, DRILL_E_STORE, "store %s: %d rows refer to runs that do not "
                             "exist: not migrating", st->path, broken);
    return rc;
}

/* v6: the indexes of a store that holds a fleet's history (100 targets x
 * 1,000 runs: tests/bench/fleet.sh): the newest run per target and drill
 * (drill fleet), the newest runs of all drills (drill history without a
 * drill: read backwards from the end instead of sorting every run). */
static int migrate_v6(Store *st, DrillError *err)
{
    return store_exec(st, "CREATE INDEX IF NOT EXISTS runs_target_drill"
                          " ON runs(topology_name, drill_name, id);"
                          "CREATE INDEX IF NOT EXISTS runs_started ON runs(started_ms, id)",
                      "creating schema v6", err);
}

/* v7: the runs still `running`, which every drill command reads first to
 * reap the runs of dead drills (runner_reap_orphans): without it that is a
 * scan of every run (60 ms on 100,000 runs in PostgreSQL, half of a
 * `drill history`). The same step in PostgreSQL: store_open_pg.c. */
static int migrate_v7(Store *st, DrillError *err)
{
    return store_exec(st, STORE_V7_SQL, "creating schema v7", err);
}

const char *store_library_version(void)
{
    return sqlite3_libversion();
}

int store_check_integrity(Store *st, DrillError *err)
{
    StoreStmt *s;
    /* PostgreSQL checks its own pages (checksums, amcheck are the DBA's):
     * what drill can check is that the store answers with its schema. */
    if (st->kind == STORE_POSTGRES) {
        int rc = store_prep(st, "SELECT count(*) FROM runs, drill_store WHERE 1 = 0", &s, err);
        if (rc == 0 && stmt_step(s) != STMT_ROW)
            rc = store_fail(st, "checking the schema", err);
        stmt_free(s);
        return rc;
    }
    int rc = store_prep(st, "PRAGMA integrity_check", &s, err);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&st->lock);
    if (stmt_step(s) != STMT_ROW)
        rc = store_fail(st, "checking integrity", err);
    else if (strcmp((const char *)stmt_col_text(s, 0), "ok") != 0)
        rc = drill_error_set(err, DRILL_E_STORE, "store %s is damaged: %s", st->path,
                             (const char *)stmt_col_text(s, 0));
    pthread_mutex_unlock(&st->lock);
    stmt_free(s);
    return rc;
}
