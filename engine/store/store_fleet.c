/*
 * store_fleet.c — the fleet overview's query (drill fleet): for every target
 * (a run's topology name) and drill, the newest finished run and what a
 * reader of many clusters asks of it: verdict, RTO/RPO and their
 * objectives, the RTO of the passed run before (trend), when it last
 * passed, and for the built-in drill `audit` its open findings.
 *
 * One statement, driven by the index runs(topology_name, drill_name, id)
 * (schema v6): the newest run of a pair is its highest id, every other
 * value a lookup by run id. Measured on 100 targets x 1,000 runs:
 * tests/bench/fleet.sh.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* The newest value of measure KEY of run r (the last one recorded wins, as
 * in the run's report). */
#define MEASURE(key)                                                                 \
    "(SELECT value FROM measures m WHERE m.run_id = r.id AND m.key = '" key "'"     \
    " ORDER BY m.id DESC LIMIT 1)"

static const char FLEET_SQL[] =
    "WITH pairs AS (SELECT topology_name AS t, drill_name AS d, max(id) AS last_id,"
    "  count(*) AS n FROM runs WHERE status <> 'running' GROUP BY topology_name, drill_name)"
    " SELECT coalesce(p.t, ''), p.d, p.n, r.id, r.status, r.started_ms,"
    "  (SELECT max(q.started_ms) FROM runs q WHERE q.topology_name IS NOT DISTINCT FROM r.topology_name"
    "   AND q.drill_name = r.drill_name AND q.status = 'passed'),"
    "  " MEASURE("rto_ms") ", " MEASURE("rpo_ms") ", " MEASURE("rpo_transactions") ","
    "  (SELECT target FROM objectives o WHERE o.run_id = r.id AND o.name = 'rto'),"
    "  (SELECT target FROM objectives o WHERE o.run_id = r.id AND o.name = 'rpo'),"
    "  (SELECT count(*) FROM objectives o WHERE o.run_id = r.id),"
    "  (SELECT count(*) FROM objectives o WHERE o.run_id = r.id AND o.passed = 0),"
    "  (SELECT m.value FROM runs q JOIN measures m ON m.run_id = q.id AND m.key = 'rto_ms'"
    "   WHERE q.topology_name IS NOT DISTINCT FROM r.topology_name AND q.drill_name = r.drill_name"
    "   AND q.id < r.id AND q.status = 'passed' ORDER BY q.id DESC, m.id DESC LIMIT 1),"
    "  " MEASURE("audit.critical") ", " MEASURE("audit.warning")
    " FROM pairs p JOIN runs r ON r.id = p.last_id"
    " ORDER BY coalesce(p.t, ''), p.d";

static double col_or_nan(StoreStmt *s, int i)
{
    return stmt_col_null(s, i) ? NAN : stmt_col_double(s, i);
}

static void row_fleet(StoreStmt *s, void *elem)
{
    FleetRow *f = elem;
    store_copy_field(f->target, sizeof f->target, stmt_col_text(s, 0));
    store_copy_field(f->drill, sizeof f->drill, stmt_col_text(s, 1));
    f->runs = stmt_col_int64(s, 2);
    f->last_id = stmt_col_int64(s, 3);
    store_copy_field(f->last_status, sizeof f->last_status, stmt_col_text(s, 4));
    f->last_started_ms = stmt_col_int64(s, 5);
    f->last_passed_ms = stmt_col_int64(s, 6);   /* NULL reads 0: never */
    f->rto_ms = col_or_nan(s, 7);
    f->rpo_ms = col_or_nan(s, 8);
    f->rpo_tx = col_or_nan(s, 9);
    f->rto_target_ms = col_or_nan(s, 10);
    f->rpo_target_ms = col_or_nan(s, 11);
    f->objectives = stmt_col_int(s, 12);
    f->objectives_missed = stmt_col_int(s, 13);
    f->prev_rto_ms = col_or_nan(s, 14);
    f->audit_critical = col_or_nan(s, 15);
    f->audit_warning = col_or_nan(s, 16);
}

int store_fleet(Store *st, FleetRow **out, size_t *n, DrillError *err)
{
    *out = NULL;
    *n = 0;
    StoreStmt *s;
    int rc = store_prep(st, FLEET_SQL, &s, err);
    if (rc != 0)
        return rc;
    void *rows = NULL;
    pthread_mutex_lock(&st->lock);
    rc = store_collect_rows(st, s, sizeof **out, row_fleet, &rows, n, err);
    pthread_mutex_unlock(&st->lock);
    *out = rows;
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
