/*
 * store_read.c — the store's queries (store.h): history, baselines for the
 * gate, batches, runs still `running` or not yet sealed, the files runs
 * emitted; and the row-reading helpers the other files share (texts with
 * every stored byte, NaN for NULL reals, bounded row counts).
 */
#include "store_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- reading back ---- */

/* A text column, every stored byte of it: a NUL inside (drill never writes
 * one; an edited store may) is shown as the two characters \0, so what
 * reports show and what the evidence hash covers is the whole value, never
 * the part before a NUL. */
char *store_col_text(StoreStmt *s, int i)
{
    const char *t = (const char *)stmt_col_text(s, i);
    if (t == NULL)
        return NULL;
    size_t n = (size_t)stmt_col_bytes(s, i);
    if (memchr(t, '\0', n) == NULL)
        return xstrdup(t);
    Buf b;
    buf_init(&b, 2 * n + 1);
    for (size_t k = 0; k < n; k++)
        buf_appends(&b, t[k] == '\0' ? "\\0" : (char[]){t[k], '\0'});
    return buf_steal(&b);
}

double store_col_real(StoreStmt *s, int i)
{
    return stmt_col_null(s, i) ? NAN : stmt_col_double(s, i);
}

/* Steps a bound statement to the end, appending one elsize-byte element per
 * row (filled by fn) to the growing array *arr. Always finalizes s. The
 * caller holds the lock. */
int store_collect_rows(Store *st, StoreStmt *s, size_t elsize, StoreRowFn fn, void **arr,
                       size_t *n, DrillError *err)
{
    size_t cap = 0;
    int step;
    while ((step = stmt_step(s)) == STMT_ROW) {
        if (*n == STORE_ROWS_MAX) {
            stmt_free(s);
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
    if (step != STMT_DONE && step != STMT_ROW)
        rc = store_fail(st, "reading the store", err);
    stmt_free(s);
    return rc;
}

/* Loads the rows of sql (?1 = run_id) into a new array stored in *arr. */
int store_load_rows(Store *st, const char *sql, int64_t run_id, size_t elsize, StoreRowFn fn,
                    void **arr, size_t *n, DrillError *err)
{
    StoreStmt *s;
    int rc = store_prep(st, sql, &s, err);
    if (rc != 0)
        return rc;
    stmt_bind_int64(s, 1, run_id);
    return store_collect_rows(st, s, elsize, fn, arr, n, err);
}

/* ---- history ---- */

/* Copies src into a fixed field, cut on a UTF-8 boundary. */
void store_copy_field(char *dst, size_t dstsz, const unsigned char *src)
{
    const char *s = src != NULL ? (const char *)src : "";
    size_t n = store_text_clamp_len(s, dstsz - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static double col_measure(StoreStmt *s, int i)
{
    return stmt_col_null(s, i) ? -1 : stmt_col_double(s, i);
}

static void row_summary(StoreStmt *s, void *elem)
{
    RunSummary *p = elem;
    p->id = stmt_col_int64(s, 0);
    store_copy_field(p->drill_name, sizeof p->drill_name, stmt_col_text(s, 1));
    store_copy_field(p->status, sizeof p->status, stmt_col_text(s, 2));
    p->started_utc_ms = stmt_col_int64(s, 3);
    p->duration_us = stmt_col_int64(s, 4);
    p->rto_ms = col_measure(s, 5);
    p->rpo_ms = col_measure(s, 6);
    p->rpo_transactions = col_measure(s, 7);
    p->batch_id = stmt_col_int64(s, 8);
}

int store_history(Store *st, const char *drill_name, size_t limit, RunSummary **out,
                  size_t *n, DrillError *err)
{
    *out = NULL;
    *n = 0;
    StoreStmt *s;
    /* The last value recorded for each key wins, as in the run's report. */
    int rc = store_prep(st,
                        "SELECT r.id, r.drill_name, r.status, r.started_ms, r.duration_us,"
                        " (SELECT value FROM measures m WHERE m.run_id = r.id AND m.key = 'rto_ms'"
                        "  ORDER BY m.id DESC LIMIT 1),"
                        " (SELECT value FROM measures m WHERE m.run_id = r.id AND m.key = 'rpo_ms'"
                        "  ORDER BY m.id DESC LIMIT 1),"
                        " (SELECT value FROM measures m WHERE m.run_id = r.id"
                        "  AND m.key = 'rpo_transactions' ORDER BY m.id DESC LIMIT 1), r.batch_id"
                        " FROM runs r WHERE (CAST(?1 AS TEXT) IS NULL OR r.drill_name = ?1)"
                        " ORDER BY r.started_ms DESC, r.id DESC LIMIT ?2",
                        &s, err);
    if (rc != 0)
        return rc;
    store_bind_text(st, s, 1, drill_name);
    /* 0 = no limit (up to STORE_ROWS_MAX, where store_collect_rows would fail). */
    stmt_bind_int64(s, 2, limit == 0 || limit > STORE_ROWS_MAX ? STORE_ROWS_MAX
                                                                   : (int64_t)limit);
    void *rows = NULL;
    pthread_mutex_lock(&st->lock);
    rc = store_collect_rows(st, s, sizeof **out, row_summary, &rows, n, err);
    pthread_mutex_unlock(&st->lock);
    *out = rows;
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static void row_point(StoreStmt *s, void *elem)
{
    MeasurePoint *p = elem;
    p->run_id = stmt_col_int64(s, 0);
    store_copy_field(p->drill_name, sizeof p->drill_name, stmt_col_text(s, 1));
    p->started_utc_ms = stmt_col_int64(s, 2);
    store_copy_field(p->key, sizeof p->key, stmt_col_text(s, 3));
    p->value = stmt_col_double(s, 4);
    store_copy_field(p->unit, sizeof p->unit, stmt_col_text(s, 5));
}

int store_measure_trend(Store *st, const char *drill_name, const char *pattern, size_t limit,
                        MeasurePoint **out, size_t *n, DrillError *err)
{
    *out = NULL;
    *n = 0;
    StoreStmt *s;
    int rc = store_prep(st,
                        "WITH r AS (SELECT id, drill_name, started_ms FROM runs"
                        "  WHERE (CAST(?1 AS TEXT) IS NULL OR drill_name = ?1)"
                        "  ORDER BY started_ms DESC, id DESC LIMIT ?3)"
                        " SELECT r.id, r.drill_name, r.started_ms, m.key, m.value,"
                        "  coalesce(m.unit, '')"
                        " FROM r JOIN measures m ON m.run_id = r.id AND m.key LIKE ?2"
                        " WHERE m.id = (SELECT max(id) FROM measures x"
                        "  WHERE x.run_id = r.id AND x.key = m.key)"
                        " ORDER BY r.started_ms DESC, r.id DESC, m.key",
                        &s, err);
    if (rc != 0)
        return rc;
    store_bind_text(st, s, 1, drill_name);
    store_bind_text(st, s, 2, pattern);
    stmt_bind_int64(s, 3, limit == 0 || limit > STORE_ROWS_MAX ? STORE_ROWS_MAX
                                                                   : (int64_t)limit);
    void *rows = NULL;
    pthread_mutex_lock(&st->lock);
    rc = store_collect_rows(st, s, sizeof **out, row_point, &rows, n, err);
    pthread_mutex_unlock(&st->lock);
    *out = rows;
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static void row_id(StoreStmt *s, void *elem)
{
    *(int64_t *)elem = stmt_col_int64(s, 0);
}

int store_runs_unsealed(Store *st, int64_t **ids, size_t *n, DrillError *err)
{
    void *rows = NULL;
    *n = 0;
    pthread_mutex_lock(&st->lock);
    int rc = store_load_rows(st,
                             "SELECT id FROM runs WHERE status <> 'running' AND id NOT IN"
                             " (SELECT run_id FROM evidence) ORDER BY id",
                             0, sizeof(int64_t), row_id, &rows, n, err);
    pthread_mutex_unlock(&st->lock);
    *ids = rows;
    return rc;
}

int store_run_by_uuid(Store *st, const char *uuid, int64_t *id, DrillError *err)
{
    StoreStmt *s;
    void *rows = NULL;
    size_t n = 0;
    *id = 0;
    int rc = store_prep(st, "SELECT id FROM runs WHERE uuid = ?1", &s, err);
    if (rc == 0) {
        stmt_bind_text(s, 1, uuid);
        pthread_mutex_lock(&st->lock);
        rc = store_collect_rows(st, s, sizeof(int64_t), row_id, &rows, &n, err);
        pthread_mutex_unlock(&st->lock);
    }
    if (rc == 0 && n > 0)
        *id = *(int64_t *)rows;
    free(rows);
    return rc < 0 ? rc : n > 0;
}

typedef struct PassedRun {
    int64_t id, started_ms;
} PassedRun;

static void row_passed(StoreStmt *s, void *elem)
{
    PassedRun *p = elem;
    p->id = stmt_col_int64(s, 0);
    p->started_ms = stmt_col_int64(s, 1);
}

int store_last_passed(Store *st, const char *drill, const char *topology_name, int64_t *run_id,
                      int64_t *started_utc_ms, DrillError *err)
{
    StoreStmt *s;
    void *rows = NULL;
    size_t n = 0;
    *run_id = 0;
    *started_utc_ms = 0;
    int rc = store_prep(st, "SELECT id, started_ms FROM runs WHERE drill_name = ?1 AND "
                        "topology_name IS NOT DISTINCT FROM ?2 AND status = 'passed' ORDER BY started_ms DESC, "
                        "id DESC LIMIT 1", &s, err);
    if (rc == 0) {
        stmt_bind_text(s, 1, drill);
        stmt_bind_text(s, 2, topology_name);
        pthread_mutex_lock(&st->lock);
        rc = store_collect_rows(st, s, sizeof(PassedRun), row_passed, &rows, &n, err);
        pthread_mutex_unlock(&st->lock);
    }
    if (rc == 0 && n > 0) {
        *run_id = ((PassedRun *)rows)->id;
        *started_utc_ms = ((PassedRun *)rows)->started_ms;
    }
    free(rows);
    return rc;
}

int store_batch_runs(Store *st, int64_t batch_id, int64_t **ids, size_t *n, DrillError *err)
{
    void *rows = NULL;
    *n = 0;
    pthread_mutex_lock(&st->lock);
    int rc = store_load_rows(st, "SELECT id FROM runs WHERE batch_id = ?1 ORDER BY id", batch_id,
                             sizeof(int64_t), row_id, &rows, n, err);
    pthread_mutex_unlock(&st->lock);
    *ids = rows;
    if (rc == 0 && *n == 0)
        rc = drill_error_set(err, DRILL_E_NOTFOUND, "no batch %lld in the store "
                             "(hint: `drill history` shows each run's batch)", (long long)batch_id);
    return rc;
}

static void row_value(StoreStmt *s, void *elem)
{
    *(double *)elem = stmt_col_double(s, 0);
}

/* Same target = same topology name and, when the run recorded one, a node
 * with the same system_identifier (standbys share the primary's). */
int store_baseline(Store *st, const BaselineQuery *q, double **values, size_t *n,
                   DrillError *err)
{
    StoreStmt *s;
    *values = NULL;
    *n = 0;
    int rc = store_prep(st,
                        "SELECT v FROM (SELECT r.id,"
                        "  (SELECT m.value FROM measures m WHERE m.run_id = r.id AND m.key = ?4"
                        "   ORDER BY m.id DESC LIMIT 1) AS v"
                        " FROM runs r WHERE r.drill_name = ?1"
                        " AND r.topology_name IS NOT DISTINCT FROM ?2"
                        " AND r.status = 'passed' AND r.id < ?3"
                        " AND (CAST(?5 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM facts f WHERE f.run_id = r.id"
                        "  AND f.key LIKE 'system_identifier:%' AND f.value = ?5))) x"
                        " WHERE v IS NOT NULL ORDER BY id DESC LIMIT ?6",
                        &s, err);
    if (rc != 0)
        return rc;
    store_bind_text(st, s, 1, q->drill_name);
    store_bind_text(st, s, 2, q->topology_name);
    stmt_bind_int64(s, 3, q->before_run_id);
    store_bind_text(st, s, 4, q->measure_key);
    store_bind_text(st, s, 5, q->system_identifier);
    stmt_bind_int64(s, 6, (int64_t)q->limit);
    void *rows = NULL;
    pthread_mutex_lock(&st->lock);
    rc = store_collect_rows(st, s, sizeof(double), row_value, &rows, n, err);
    pthread_mutex_unlock(&st->lock);
    *values = rows;
    return rc;
}

static void row_artifact(StoreStmt *s, void *elem)
{
    StoredArtifact *p = elem;
    p->run_id = stmt_col_int64(s, 0);
    p->path = store_col_text(s, 1);
    store_copy_field(p->sha256, sizeof p->sha256, stmt_col_text(s, 2));
    p->bytes = stmt_col_int64(s, 3);
    p->written_utc_ms = stmt_col_int64(s, 4);
}

int store_artifacts_latest(Store *st, StoredArtifact **out, size_t *n, DrillError *err)
{
    void *rows = NULL;
    *n = 0;
    pthread_mutex_lock(&st->lock);
    int rc = store_load_rows(st,
                             "SELECT run_id, path, sha256, bytes, written_ms FROM artifacts"
                             " WHERE id IN (SELECT max(id) FROM artifacts GROUP BY path)"
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

/* ---- orphaned runs ---- */

static void row_running(StoreStmt *s, void *elem)
{
    RunningRun *p = elem;
    p->id = stmt_col_int64(s, 0);
    p->pid = stmt_col_int64(s, 1);
    store_copy_field(p->lock_path, sizeof p->lock_path, stmt_col_text(s, 2));
    store_copy_field(p->hostname, sizeof p->hostname, stmt_col_text(s, 3));
    store_copy_field(p->target, sizeof p->target, stmt_col_text(s, 4));
}

#define RUNNING_SQL(cmp)                                                                     \
    "SELECT r.id, r.pid, r.lock_path, r.hostname, (SELECT f.value FROM facts f"              \
    " WHERE f.run_id = r.id AND f.key = 'target') FROM runs r WHERE r.status = 'running'"     \
    " AND r.hostname " cmp " ?1 ORDER BY r.id"

static int runs_running(Store *st, const char *sql, const char *hostname, RunningRun **out,
                        size_t *n, DrillError *err)
{
    StoreStmt *s;
    void *rows = NULL;
    *n = 0;
    int rc = store_prep(st, sql, &s, err);
    if (rc == 0) {
        stmt_bind_text(s, 1, hostname);
        pthread_mutex_lock(&st->lock);
        rc = store_collect_rows(st, s, sizeof **out, row_running, &rows, n, err);
        pthread_mutex_unlock(&st->lock);
    }
    *out = rows;
    return rc;
}

int store_runs_running(Store *st, const char *hostname, RunningRun **out, size_t *n,
                       DrillError *err)
{
    return runs_running(st, RUNNING_SQL("="), hostname, out, n, err);
}

int store_runs_running_elsewhere(Store *st, const char *hostname, RunningRun **out, size_t *n,
                                 DrillError *err)
{
    return runs_running(st, RUNNING_SQL("<>"), hostname, out, n, err);
}

/* ---- a target's unfinished drill ---- */

static void row_unfinished(StoreStmt *s, void *elem)
{
    UnfinishedRun *p = elem;
    p->id = stmt_col_int64(s, 0);
    store_copy_field(p->drill_name, sizeof p->drill_name, stmt_col_text(s, 1));
    store_copy_field(p->status, sizeof p->status, stmt_col_text(s, 2));
    p->started_utc_ms = stmt_col_int64(s, 3);
    store_copy_field(p->message, sizeof p->message, stmt_col_text(s, 4));
}

int store_target_unfinished(Store *st, const char *target, UnfinishedRun *out, DrillError *err)
{
    static const char sql[] =
        "WITH t AS (SELECT run_id FROM facts WHERE key = 'target' AND value = ?1),"
        " ev AS (SELECT run_id, name FROM events WHERE run_id IN (SELECT run_id FROM t))"
        " SELECT r.id, r.drill_name, r.status, r.started_ms, coalesce(r.message, '')"
        " FROM runs r WHERE r.id IN (SELECT run_id FROM t) AND r.status <> 'running'"
        " AND r.id IN (SELECT run_id FROM ev WHERE name = 'fault_injected')"
        " AND r.id NOT IN (SELECT run_id FROM ev WHERE name = 'service_restored')"
        " AND NOT EXISTS (SELECT 1 FROM ev WHERE ev.run_id > r.id"
        "                 AND ev.name IN ('service_restored', 'target_healthy'))"
        " ORDER BY r.id DESC LIMIT 1";
    StoreStmt *s;
    void *rows = NULL;
    size_t n = 0;
    int rc = store_prep(st, sql, &s, err);
    if (rc == 0) {
        stmt_bind_text(s, 1, target);
        pthread_mutex_lock(&st->lock);
        rc = store_collect_rows(st, s, sizeof *out, row_unfinished, &rows, &n, err);
        pthread_mutex_unlock(&st->lock);
    }
    if (rc == 0 && n > 0)
        *out = *(UnfinishedRun *)rows;
    free(rows);
    return rc < 0 ? rc : n > 0;
}
