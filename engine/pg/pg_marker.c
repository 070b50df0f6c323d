/*
 * pg_marker.c — the named queries of drill_unfinished (pg.h): the marker a
 * drill leaves on its target's primary while the fault it injected is not
 * repaired.
 *
 * The store holds the same marker (store_target_unfinished); this copy is for
 * a runner with another store — a CI job's throw-away one, a second operator
 * — that would otherwise start a drill on a half-repaired cluster. It lives in
 * the cluster itself, so it replicates to the standby (a failover keeps it)
 * and is in Barman's WAL.
 *
 * One row per target. Written with synchronous_commit = local: the marker must
 * not wait on a synchronous standby the drill is about to break, nor slow the
 * heartbeat it shares the server with.
 */
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "util.h"

static const char *const Q_MARK_CREATE =
    "create table if not exists drill_unfinished (target text primary key, "
    "run_uuid uuid not null, drill text not null, runner text not null, "
    "drill_source text not null, fault_at timestamptz not null default clock_timestamp())";
static const char *const Q_MARK_LOCAL = "set synchronous_commit = local";
static const char *const Q_MARK_EXISTS = "select to_regclass('drill_unfinished') is not null";
static const char *const Q_MARK_SET =
    "insert into drill_unfinished (target, run_uuid, drill, runner, drill_source) "
    "values ($1, $2::uuid, $3, $4, $5) on conflict (target) do update set "
    "run_uuid = excluded.run_uuid, drill = excluded.drill, runner = excluded.runner, "
    "drill_source = excluded.drill_source, fault_at = excluded.fault_at";
static const char *const Q_MARK_GET =
    "select run_uuid::text, drill, runner, to_char(fault_at at time zone 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), drill_source from drill_unfinished where target = $1";
static const char *const Q_MARK_CLEAR = "delete from drill_unfinished where target = $1";

/* Both statements of a write are cheap; a race on CREATE TABLE IF NOT EXISTS
 * between two sessions is settled as in pg_heartbeat_setup. */
static int marker_prepare_write(PgConn *c, DrillError *err)
{
    PGresult *r = NULL;
    int rc = pg_exec(c, NAMED(Q_MARK_LOCAL), 0, NULL, &r, err);
    PQclear(r);
    r = NULL;
    if (rc == 0)
        rc = pg_exec(c, NAMED(Q_MARK_CREATE), 0, NULL, &r, err);
    PQclear(r);
    if (rc == DRILL_E_PG &&
        (strcmp(c->sqlstate, "23505") == 0 || strcmp(c->sqlstate, "42P07") == 0)) {
        drill_error_clear(err);
        return 0;
    }
    return rc;
}

int pg_marker_set(PgConn *c, const char *target, const PgMarker *m, DrillError *err)
{
    int rc = marker_prepare_write(c, err);
    if (rc != 0)
        return rc;
    const char *const params[] = {target, m->run_uuid, m->drill, m->runner,
                                  m->drill_source ? m->drill_source : ""};
    PGresult *r = NULL;
    rc = pg_exec(c, NAMED(Q_MARK_SET), 5, params, &r, err);
    PQclear(r);
    return rc;
}

static int marker_table_exists(PgConn *c, bool *exists, DrillError *err)
{
    char text[8];
    int rc = pg_scalar(c, NAMED(Q_MARK_EXISTS), 0, NULL, text, sizeof text, NULL, err);
    *exists = rc == 0 && strcmp(text, "t") == 0;
    return rc;
}

int pg_marker_get(PgConn *c, const char *target, PgMarker *out, bool *found, DrillError *err)
{
    memset(out, 0, sizeof *out);
    *found = false;
    bool exists;
    int rc = marker_table_exists(c, &exists, err);
    if (rc != 0 || !exists)
        return rc;
    const char *const params[] = {target};
    PGresult *r = NULL;
    if ((rc = pg_exec(c, NAMED(Q_MARK_GET), 1, params, &r, err)) != 0)
        return rc;
    if (PQntuples(r) == 1 && PQnfields(r) == 5) {
        *found = true;
        snprintf(out->run_uuid, sizeof out->run_uuid, "%s", pg_field(r, 0, 0));
        snprintf(out->drill, sizeof out->drill, "%s", pg_field(r, 0, 1));
        snprintf(out->runner, sizeof out->runner, "%s", pg_field(r, 0, 2));
        snprintf(out->fault_at, sizeof out->fault_at, "%s", pg_field(r, 0, 3));
        out->drill_source = xstrdup(pg_field(r, 0, 4));
    }
    PQclear(r);
    return 0;
}

int pg_marker_clear(PgConn *c, const char *target, DrillError *err)
{
    bool exists;
    int rc = marker_table_exists(c, &exists, err);
    if (rc != 0 || !exists)
        return rc;
    PGresult *r = NULL;
    rc = pg_exec(c, NAMED(Q_MARK_LOCAL), 0, NULL, &r, err);
    PQclear(r);
    r = NULL;
    const char *const params[] = {target};
    if (rc == 0)
        rc = pg_exec(c, NAMED(Q_MARK_CLEAR), 1, params, &r, err);
    PQclear(r);
    return rc;
}

void pg_marker_free(PgMarker *m)
{
    if (m == NULL)
        return;
    free(m->drill_source);
    m->drill_source = NULL;
}
