/*
 * store_write.c — recording a run (store.h): its start and end, its steps,
 * events, measures, objectives, facts and samples, its batch and the files
 * it emitted. Every write is its own BEGIN IMMEDIATE transaction (or part of
 * the caller's, store_tx_begin) so a crash leaves whole rows, and a second
 * process (`drill history` during a run) reads a consistent snapshot (WAL).
 *
 * The sticky write error: the first failing write of a run's rows is kept in
 * the Store, later ones of that run (except steps: store.h says why) are
 * refused at once (a locked store would otherwise cost its busy timeout
 * per write), and the runner asks
 * store_write_error() before it finishes and seals the run. So a caller may
 * ignore an add's result without the record silently missing a row.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- writing ---- */

/* One attempt of store_write. *lost: the statement (not a COMMIT) failed
 * because a PostgreSQL store's connection was gone, in a transaction this
 * write opened: nothing of it was written. */
static int write_once(Store *st, StoreStmt *stmt, const char *what, int64_t *rowid,
                      int *changes, bool *lost, DrillError *err)
{
    *lost = false;
    int rc = store_tx_open(st, "BEGIN IMMEDIATE", what, err);
    if (rc != 0)
        return rc;
    int step = stmt_step(stmt);
    if (step == STMT_ROW && rowid != NULL) {
        *rowid = stmt_col_int64(stmt, 0);
        step = stmt_step(stmt);
    }
    if (step != STMT_DONE) {
        rc = store_fail(st, what, err);
        *lost = st->kind == STORE_POSTGRES && st->tx_depth == 1 && !pg_conn_alive(st->pg);
    }
    if (rc == 0 && changes != NULL)
        *changes = (int)st->changes;
    return store_tx_close(st, rc, what, err);
}

/* Runs one prepared write as its own BEGIN IMMEDIATE transaction, rolling back
 * on any error. Always finalizes stmt. rowid (the id an INSERT ... RETURNING
 * id gives back) and changes may be NULL. A write whose connection died under
 * it goes once more on a new one (store_pg_revive): a drill half-way through
 * a recovery must not stop because its store's server restarted. */
static int store_write(Store *st, StoreStmt *stmt, const char *what, int64_t *rowid,
                       int *changes, DrillError *err)
{
    bool lost = false;
    int rc = write_once(st, stmt, what, rowid, changes, &lost, err);
    if (rc != 0 && lost && store_pg_revive(st))
        rc = write_once(st, stmt, what, rowid, changes, &lost, err);
    stmt_free(stmt);
    return rc;
}

/* ---- the sticky write error ---- */

/* Keeps e as the run's write error unless one is kept already: the first
 * failure is the cause, later ones are its consequences. Returns rc. */
static int sticky_note(Store *st, int64_t run_id, int rc, const DrillError *e)
{
    if (rc >= 0)
        return rc;
    pthread_mutex_lock(&st->lock);
    if (!st->sticky.set) {
        st->sticky.set = true;
        st->sticky.run_id = run_id;
        st->sticky.error = *e;
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int store_write_error(Store *st, int64_t run_id, DrillError *err)
{
    pthread_mutex_lock(&st->lock);
    int rc = st->sticky.set && st->sticky.run_id == run_id ? st->sticky.error.code : 0;
    if (rc != 0 && err != NULL)
        *err = st->sticky.error;
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* Prepares a write of run_id's rows, or (refuse) refuses it at once with
 * the kept error, unchanged, when one of them failed already: no
 * redaction, no statement, no busy timeout to wait out again. */
static int run_prep(Store *st, int64_t run_id, bool refuse, const char *sql, StoreStmt **s,
                    DrillError *err)
{
    DrillError e;
    int rc = refuse ? store_write_error(st, run_id, &e) : 0;
    if (rc == 0)
        rc = sticky_note(st, run_id, store_prep(st, sql, s, &e), &e);
    if (rc != 0 && err != NULL)
        *err = e;
    return rc;
}

/* store_write for run_id's rows: a failure becomes the run's kept error. */
static int run_write(Store *st, int64_t run_id, StoreStmt *s, const char *what,
                     DrillError *err)
{
    DrillError e;
    int rc = sticky_note(st, run_id, store_write(st, s, what, NULL, NULL, &e), &e);
    if (rc != 0 && err != NULL)
        *err = e;
    return rc;
}

/* ---- recording ---- */

int store_run_begin(Store *st, const RunInfo *info, int64_t *run_id, DrillError *err)
{
    StoreStmt *s;
    int rc = store_prep(st,
                        "INSERT INTO runs (drill_name, drill_file, drill_sha256, drill_source,"
                        " topology_name, topology_file, hostname, drill_version, started_ms,"
                        " rto_target_ms, rpo_target_ms, rpo_tx_target, pid, lock_path, uuid)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
                        " RETURNING id",
                        &s, err);
    if (rc != 0)
        return rc;
    store_bind_text(st, s, 1, info->drill_name);
    store_bind_text(st, s, 2, info->drill_file);
    store_bind_text(st, s, 3, info->drill_sha256);
    store_bind_text_max(st, s, 4, info->drill_source, STORE_SOURCE_MAX);
    store_bind_text(st, s, 5, info->topology_name);
    store_bind_text(st, s, 6, info->topology_file);
    store_bind_text(st, s, 7, info->hostname);
    store_bind_text(st, s, 8, info->drill_version);
    stmt_bind_int64(s, 9, info->started_utc_ms);
    stmt_bind_int64(s, 10, info->rto_target_ms);
    stmt_bind_int64(s, 11, info->rpo_target_ms);
    stmt_bind_int64(s, 12, info->rpo_tx_target);
    stmt_bind_int64(s, 13, info->pid);
    store_bind_text(st, s, 14, info->lock_path);
    store_bind_text(st, s, 15, info->uuid);
    rc = store_write(st, s, "recording the start of a run", run_id, NULL, err);
    if (rc == 0) {
        /* A new run starts with a clean record: an earlier run's kept error
         * is that run's (store_write_error asks by run id anyway). */
        pthread_mutex_lock(&st->lock);
        st->sticky.set = false;
        pthread_mutex_unlock(&st->lock);
    }
    return rc;
}

int store_run_finish(Store *st, int64_t run_id, const char *verdict, int exit_code,
                     int64_t ended_utc_ms, int64_t duration_us, const char *message,
                     DrillError *err)
{
    StoreStmt *s;
    int changes = 0;
    int rc = store_prep(st,
                        "UPDATE runs SET status = ?2, exit_code = ?3, ended_ms = ?4,"
                        " duration_us = ?5, message = ?6 WHERE id = ?1",
                        &s, err);
    if (rc != 0)
        return rc;
    stmt_bind_int64(s, 1, run_id);
    store_bind_text(st, s, 2, verdict);
    stmt_bind_int64(s, 3, exit_code);
    stmt_bind_int64(s, 4, ended_utc_ms);
    stmt_bind_int64(s, 5, duration_us);
    store_bind_text(st, s, 6, message);
    rc = store_write(st, s, "recording the end of a run", NULL, &changes, err);
    if (rc == 0 && changes == 0)
        rc = drill_error_set(err, DRILL_E_NOTFOUND, "store %s: no run %lld to finish", st->path,
                             (long long)run_id);
    return rc;
}

int store_step_add(Store *st, int64_t run_id, const StepRecord *r, DrillError *err)
{
    StoreStmt *s;
    /* Never refused: the runner checks this one itself and stops the drill
     * on a failure, and cleanup steps are still worth recording after one. */
    int rc = run_prep(st, run_id, false,
                      "INSERT INTO steps (run_id, seq, phase, name, kind, node, command,"
                      " status, exit_code, term_signal, started_ms, ended_ms, duration_us,"
                      " out, err, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                      " ?11, ?12, ?13, ?14, ?15, ?16)",
                      &s, err);
    if (rc != 0)
        return rc;
    stmt_bind_int64(s, 1, run_id);
    stmt_bind_int64(s, 2, r->seq);
    store_bind_text(st, s, 3, r->phase);
    store_bind_text(st, s, 4, r->name);
    store_bind_text(st, s, 5, r->kind);
    store_bind_text(st, s, 6, r->node);
    store_bind_text(st, s, 7, r->command);
    store_bind_text(st, s, 8, r->status);
    stmt_bind_int64(s, 9, r->exit_code);
    stmt_bind_int64(s, 10, r->term_signal);
    stmt_bind_int64(s, 11, r->started_utc_ms);
    stmt_bind_int64(s, 12, r->ended_utc_ms);
    stmt_bind_int64(s, 13, r->duration_us);
    store_bind_text(st, s, 14, r->out);
    store_bind_text(st, s, 15, r->err);
    store_bind_text(st, s, 16, r->message);
    return run_write(st, run_id, s, "recording a step", err);
}

int store_event_add(Store *st, int64_t run_id, const char *name, int64_t utc_ms,
                    int64_t mono_us_since_start, const char *detail, DrillError *err)
{
    StoreStmt *s;
    int rc = run_prep(st, run_id, true,
                      "INSERT INTO events (run_id, name, utc_ms, mono_us, detail)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
                      &s, err);
    if (rc != 0)
        return rc;
    stmt_bind_int64(s, 1, run_id);
    store_bind_text(st, s, 2, name);
    stmt_bind_int64(s, 3, utc_ms);
    stmt_bind_int64(s, 4, mono_us_since_start);
    store_bind_text(st, s, 5, detail);
    return run_write(st, run_id, s, "recording an event", err);
}

int store_measure_add(Store *st, int64_t run_id, const char *key, double value,
                      const char *unit, const char *how, DrillError *err)
{
    StoreStmt *s;
    int rc = run_prep(st, run_id, true,
                      "INSERT INTO measures (run_id, key, value, unit, how)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
                      &s, err);
    if (rc != 0)
        return rc;
    stmt_bind_int64(s, 1, run_id);
    store_bind_text(st, s, 2, key);
    store_bind_real(s, 3, value);
    store_bind_text(st, s, 4, unit);
    store_bind_text(st, s, 5, how);
    return run_write(st, run_id, s, "recording a measurement", err);
}

int store_objective_add(Store *st, int64_t run_id, const char *name, double target,
                        double measured, const char *unit, bool passed, const char *how,
                        DrillError *err)
{
    StoreStmt *s;
    int rc = run_prep(st, run_id, true,
                      "INSERT INTO objectives (run_id, name, target, measured, unit, passed, how)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                      &s, err);
    if (rc != 0)
        return rc;
    stmt_bind_int64(s, 1, run_id);
    store_bind_text(st, s, 2, name);
    store_bind_real(s, 3, target);
    store_bind_real(s, 4, measured);
    store_bind_text(st, s, 5, unit);
    stmt_bind_int64(s, 6, passed ? 1 : 0);
    store_bind_text(st, s, 7, how);
    return run_write(st, run_id, s, "recording an objective", err);
}

/* A fact recorded twice keeps the last value: facts describe the state of the
 * environment, one value per key. */
int store_fact_add(Store *st, int64_t run_id, const char *key, const char *value,
                   DrillError *err)
{
    StoreStmt *s;
    int rc = run_prep(st, run_id, true,
                      "INSERT INTO facts (run_id, key, value) VALUES (?1, ?2, ?3)"
                      " ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                      &s, err);
    if (rc != 0)
        return rc;
    stmt_bind_int64(s, 1, run_id);
    store_bind_text(st, s, 2, key);
    store_bind_text(st, s, 3, value);
    return run_write(st, run_id, s, "recording a fact", err);
}

int store_sample_add(Store *st, int64_t run_id, const char *series, int64_t t_ms,
                     double value, DrillError *err)
{
    StoreStmt *s;
    int rc = run_prep(st, run_id, true,
                      "INSERT INTO samples (run_id, series, t_ms, value) VALUES (?1, ?2, ?3, ?4)",
                      &s, err);
    if (rc != 0)
        return rc;
    stmt_bind_int64(s, 1, run_id);
    store_bind_text(st, s, 2, series);
    stmt_bind_int64(s, 3, t_ms);
    store_bind_real(s, 4, value);
    return run_write(st, run_id, s, "recording a sample", err);
}

int store_run_set_batch(Store *st, int64_t run_id, int64_t batch_id, DrillError *err)
{
    StoreStmt *s;
    int rc = store_prep(st, "UPDATE runs SET batch_id = ?2 WHERE id = ?1", &s, err);
    if (rc != 0)
        return rc;
    stmt_bind_int64(s, 1, run_id);
    stmt_bind_int64(s, 2, batch_id);
    int changes = 0;
    rc = store_write(st, s, "recording the run's batch", NULL, &changes, err);
    if (rc == 0 && changes == 0)
        rc = drill_error_set(err, DRILL_E_NOTFOUND, "no run %lld in the store", (long long)run_id);
    return rc;
}

int store_artifact_add(Store *st, int64_t run_id, const char *path, const char *sha256,
                       int64_t bytes, DrillError *err)
{
    StoreStmt *s;
    int rc = store_prep(st,
                        "INSERT INTO artifacts (run_id, path, sha256, bytes, written_ms)"
                        " VALUES (?1, ?2, ?3, ?4, ?5)",
                        &s, err);
    if (rc != 0)
        return rc;
    stmt_bind_int64(s, 1, run_id);
    store_bind_text(st, s, 2, path);
    store_bind_text(st, s, 3, sha256);
    stmt_bind_int64(s, 4, bytes);
    stmt_bind_int64(s, 5, time_utc_ms());
    return store_write(st, s, "recording a report file", NULL, NULL, err);
}
