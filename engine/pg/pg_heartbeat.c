/*
 * pg_heartbeat.c — the named queries of the heartbeat table (pg.h): setup,
 * the insert the heartbeat writer sends hundreds of times a second
 * (prepared once per session), and the readers of a run's rows and digest
 * (heartbeat_verify, divergence).
 *
 * Apart from pg_queries.c because this is the one table drill writes, and
 * its insert path is tuned (prepared statement, no snprintf).
 */
#include "pg.h"

#include <stdio.h>
#include <string.h>

#include "pg_int.h"

/* The heartbeat table, keyed by the run's UUID: the local store's run id
 * restarts at 1 in every fresh store, so two stores (a CI job's throw-away
 * one, a second operator) would collide on one cluster and read each other's
 * rows. A table of the shape before UUIDs (run_id bigint, no run_uuid) is
 * renamed out of the way with its key index, never read or dropped: its rows
 * are some earlier run's evidence and the DBA's to keep. */
static const char *const Q_HB_CREATE =
    "do $drill$ declare old text := 'drill_heartbeat_pre_uuid_' || "
    "to_char(clock_timestamp(), 'YYYYMMDDHH24MISS'); begin "
    "if to_regclass('drill_heartbeat') is not null and not exists (select 1 from pg_attribute "
    "where attrelid = to_regclass('drill_heartbeat') and attname = 'run_uuid' "
    "and not attisdropped) then "
    "execute format('alter table drill_heartbeat rename to %I', old); "
    "if to_regclass('drill_heartbeat_pkey') is not null then "
    "execute format('alter index drill_heartbeat_pkey rename to %I', old || '_pkey'); end if; "
    "end if; "
    "create table if not exists drill_heartbeat (run_uuid uuid not null, seq bigint not null, "
    "client_ts timestamptz not null, server_ts timestamptz not null, lsn pg_lsn not null, "
    "primary key (run_uuid, seq)); end $drill$";
/* The table in its current shape (an old-shape one holds no row of a run
 * with a UUID: a node restored from an old backup may have one). */
static const char *const Q_HB_EXISTS =
    "select exists (select 1 from pg_attribute where attrelid = to_regclass('drill_heartbeat') "
    "and attname = 'run_uuid' and not attisdropped)";
/* Integer microseconds both ways: interval arithmetic and numeric extract()
 * are exact, unlike to_timestamp(double). */
static const char *const Q_HB_INSERT =
    "insert into drill_heartbeat (run_uuid, seq, client_ts, server_ts, lsn) "
    "values ($1::uuid, $2::bigint, "
    "timestamptz 'epoch' + $3::bigint * interval '1 microsecond', "
    "clock_timestamp(), pg_current_wal_insert_lsn()) "
    "returning (extract(epoch from server_ts) * 1000000)::bigint, lsn::text";
/* Q_HB_INSERT's statement name: the heartbeat writer prepares it once per
 * session (pg_heartbeat_insert), and each commit then sends only parameters. */
#define HB_INSERT_STMT "drill_hb_insert"
static const char *const Q_HB_ROWS =
    "select seq, (extract(epoch from server_ts) * 1000000)::bigint, lsn::text "
    "from drill_heartbeat where run_uuid = $1::uuid order by seq";
static const char *const Q_HB_DIGEST =
    "select count(*), coalesce(max(seq), 0), "
    "md5(coalesce(string_agg(seq::text, ',' order by seq), '')) "
    "from drill_heartbeat where run_uuid = $1::uuid";

/* md5('') — the digest of a run without rows, also when the table is absent. */
#define MD5_EMPTY "d41d8cd98f00b204e9800998ecf8427e"

/* Decimal text of v in buf, returned. The heartbeat formats three numbers
 * per commit: snprintf was a third of its user-space instructions. */
static const char *format_i64(int64_t v, char buf[24])
{
    char *p = buf + 23;
    *p = '\0';
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;   /* INT64_MIN too */
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    return p;
}

int pg_heartbeat_setup(PgConn *c, DrillError *err)
{
    PGresult *r = NULL;
    int rc = pg_exec(c, NAMED(Q_HB_CREATE), 0, NULL, &r, err);
    PQclear(r);
    /* Two sessions racing on CREATE TABLE IF NOT EXISTS: the loser gets a
     * unique violation on pg_type (23505) or "already exists" (42P07). */
    if (rc == DRILL_E_PG && (strcmp(c->sqlstate, "23505") == 0 || strcmp(c->sqlstate, "42P07") == 0)) {
        drill_error_clear(err);
        return 0;
    }
    return rc;
}

int pg_heartbeat_insert(PgConn *c, const char *run_uuid, int64_t seq, int64_t client_utc_us,
                        PgHeartbeatAck *ack, DrillError *err)
{
    char sq[24], ts[24];
    const char *const params[] = {run_uuid, format_i64(seq, sq), format_i64(client_utc_us, ts)};
    PGresult *r = NULL;
    int rc = 0;
    if (!c->hb_prepared) {
        rc = pg_prepare(c, NAMED(Q_HB_INSERT), HB_INSERT_STMT, 3, err);
        c->hb_prepared = rc == 0;
    }
    int64_t warnings = c->warnings;
    if (rc == 0)
        rc = pg_exec_prepared(c, "Q_HB_INSERT", HB_INSERT_STMT, 3, params, &r, err);
    if (rc != 0)
        return rc;
    ack->warned = c->warnings > warnings;
    snprintf(ack->warning, sizeof ack->warning, "%s", ack->warned ? c->last_warning : "");
    const char *server = PQntuples(r) == 1 ? pg_field(r, 0, 0) : NULL;
    const char *lsn = PQntuples(r) == 1 ? pg_field(r, 0, 1) : NULL;
    if (pg_parse_i64(server, &ack->server_ts_us) != 0 || pg_lsn_parse(lsn, &ack->lsn) != 0)
        rc = pg_bad_value(c, "Q_HB_INSERT", server, err);
    PQclear(r);
    return rc;
}

/* Readers must not fail on a node that never saw the table (a restore that
 * lost it, a fresh standby): *exists tells them to report zero rows. */
static int heartbeat_table_exists(PgConn *c, bool *exists, DrillError *err)
{
    char text[8];
    int rc = pg_scalar(c, NAMED(Q_HB_EXISTS), 0, NULL, text, sizeof text, NULL, err);
    if (rc == 0)
        *exists = strcmp(text, "t") == 0;
    return rc;
}

static int fill_hb_row(PgConn *c, const PGresult *r, int i, void *elem, DrillError *err)
{
    PgHeartbeatRow *row = elem;
    const char *seq = pg_field(r, i, 0), *ts = pg_field(r, i, 1), *lsn = pg_field(r, i, 2);
    if (pg_parse_i64(seq, &row->seq) != 0 || pg_parse_i64(ts, &row->server_ts_us) != 0 ||
        pg_lsn_parse(lsn, &row->lsn) != 0)
        return pg_bad_value(c, "Q_HB_ROWS", seq, err);
    return 0;
}

int pg_heartbeat_rows(PgConn *c, const char *run_uuid, PgHeartbeatRow **rows, size_t *n,
                      DrillError *err)
{
    *rows = NULL;
    *n = 0;
    bool exists = false;
    int rc = heartbeat_table_exists(c, &exists, err);
    if (rc != 0 || !exists)
        return rc;
    const char *const params[] = {run_uuid};
    void *items = NULL;
    rc = pg_collect_rows(c, NAMED(Q_HB_ROWS), 1, params, sizeof **rows, fill_hb_row, &items, n, err);
    *rows = items;
    return rc;
}

int pg_heartbeat_digest(PgConn *c, const char *run_uuid, PgHeartbeatDigest *out,
                        DrillError *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->md5, sizeof out->md5, "%s", MD5_EMPTY);
    bool exists = false;
    int rc = heartbeat_table_exists(c, &exists, err);
    if (rc != 0 || !exists)
        return rc;
    const char *const params[] = {run_uuid};
    PGresult *r = NULL;
    rc = pg_exec(c, NAMED(Q_HB_DIGEST), 1, params, &r, err);
    if (rc != 0)
        return rc;
    const char *md5 = PQntuples(r) == 1 ? pg_field(r, 0, 2) : NULL;
    if (PQntuples(r) != 1 || pg_parse_i64(pg_field(r, 0, 0), &out->count) != 0 ||
        pg_parse_i64(pg_field(r, 0, 1), &out->max_seq) != 0 || md5 == NULL || strlen(md5) != 32)
        rc = pg_bad_value(c, "Q_HB_DIGEST", md5, err);
    else
        snprintf(out->md5, sizeof out->md5, "%s", md5);
    PQclear(r);
    return rc;
}
