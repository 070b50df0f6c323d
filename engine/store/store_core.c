/*
 * store_core.c — what every store file builds on (store_int.h): turning a
 * back end's failure into a DrillError that names the file, the action and what
 * the operator can do; preparing statements; transactions (store_tx_*), and
 * binding texts through the redactor and the size clamp.
 *
 * One connection per Store, serialised by a recursive mutex because the
 * runner and the heartbeat may record from different threads and sqlite
 * transactions are per connection.
 */
#include "store_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* A PostgreSQL store's failure: the query's own error, with what the
 * operator can do for the usual SQLSTATEs (lock_timeout, a foreign key to a
 * run that is not there, the server gone or refusing). */
static int store_fail_pg(Store *st, const char *what, DrillError *err)
{
    const char *state = pg_last_sqlstate(st->pg);
    const char *hint = "";
    int code = DRILL_E_STORE;
    if (strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0)
        hint = "\n  hint: another drill holds the store's write lock; let it finish, or "
               "choose another --db / DRILL_DB";
    else if (strcmp(state, "23503") == 0)
        code = DRILL_E_NOTFOUND, hint = " (no such run)";
    else if (state[0] == '\0' || strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0)
        hint = "\n  hint: check that the store's server is up and reachable; rows committed "
               "before are intact";
    return drill_error_set(err, code, "store %s: %s: %s%s", st->path, what,
                           st->pg_error.message, hint);
}

/* Fills err from the connection's last error, naming the store and the action. */
int store_fail(Store *st, const char *what, DrillError *err)
{
    if (st->kind == STORE_POSTGRES)
        return store_fail_pg(st, what, err);
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

int store_exec(Store *st, const char *sql, const char *what, DrillError *err)
{
    if (st->kind == STORE_POSTGRES) {
        PgTable *t = NULL;
        pthread_mutex_lock(&st->lock);
        int rc = pg_table_query(st->pg, sql, -1, NULL, &t, &st->pg_error);
        pthread_mutex_unlock(&st->lock);
        pg_table_free(t);
        return rc != 0 ? store_fail(st, what, err) : 0;
    }
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(st, what, err);
    return 0;
}

/* ---- transactions ---- */

/* Opens a transaction (begin: "BEGIN" or "BEGIN IMMEDIATE") or joins the
 * caller's; holds the lock until store_tx_close. */
int store_tx_open(Store *st, const char *begin, const char *what, DrillError *err)
{
    pthread_mutex_lock(&st->lock);
    if (st->tx_depth++ > 0)
        return 0;
    st->tx_failed = false;
    if (st->kind == STORE_POSTGRES) {
        begin = strcmp(begin, "BEGIN IMMEDIATE") == 0 ? STORE_PG_BEGIN_WRITE
                /* one snapshot for every read, as SQLite's read transaction */
                : "BEGIN ISOLATION LEVEL REPEATABLE READ";
    }
    int rc = store_exec(st, begin, what, err);
    if (rc != 0 && st->kind == STORE_POSTGRES && store_pg_revive(st))
        rc = store_exec(st, begin, what, err);
    if (rc != 0) {
        st->tx_depth--;
        pthread_mutex_unlock(&st->lock);
    }
    return rc;
}

/* Ends what store_tx_open began: the outermost commits when every part succeeded,
 * else rolls everything back. Returns rc, or the COMMIT's error. */
int store_tx_close(Store *st, int rc, const char *what, DrillError *err)
{
    if (rc != 0)
        st->tx_failed = true;
    if (--st->tx_depth == 0) {
        if (!st->tx_failed)
            rc = store_exec(st, "COMMIT", what, err);
        if (st->tx_failed || rc != 0)
            store_exec(st, "ROLLBACK", what, NULL);
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
    return store_tx_open(st, "BEGIN IMMEDIATE", "starting a transaction", err);
}

int store_tx_end(Store *st, int rc, DrillError *err)
{
    return store_tx_close(st, rc, "committing a transaction", err);
}

/* ---- binding ---- */

/* Length of s clamped to max bytes without splitting a UTF-8 sequence. */
size_t store_text_clamp_len(const char *s, size_t max)
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
void store_bind_text_max(Store *st, StoreStmt *s, int i, const char *v, size_t max)
{
    if (v == NULL) {
        stmt_bind_null(s, i);
        return;
    }
    char *clean = redact_text(st->redactor, v);
    stmt_bind_text_len(s, i, clean, store_text_clamp_len(clean, max));
    free(clean);
}

void store_bind_text(Store *st, StoreStmt *s, int i, const char *v)
{
    store_bind_text_max(st, s, i, v, STORE_TEXT_MAX);
}

void store_set_redactor(Store *st, const Redactor *r)
{
    st->redactor = r;
}

/* NaN is stored as NULL (sqlite would do so silently anyway) and read back as NaN. */
void store_bind_real(StoreStmt *s, int i, double v)
{
    if (isnan(v))
        stmt_bind_null(s, i);
    else
        stmt_bind_double(s, i, v);
}
