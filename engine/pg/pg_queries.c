/*
 * pg_queries.c — drill's named queries about the server (pg.h): version,
 * recovery, system identifier, timeline and its history, LSNs, replication
 * slots, WAL volume, checkpoints, replicas, the WAL receiver, promotion, and
 * drill's advisory lock.
 *
 * There is no general purpose query function: each question drill asks is a
 * function with a fixed query below (Q_*), sent with PQsendQueryParams so
 * values never become part of the SQL text. The heartbeat's queries are in
 * pg_heartbeat.c, the drill author's SQL in pg_user_sql.c.
 */
#include "pg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "util.h"

/* ---- named queries ---------------------------------------------------- */

static const char *const Q_SERVER_VERSION = "select current_setting('server_version_num')";
static const char *const Q_IS_IN_RECOVERY = "select pg_is_in_recovery()";
static const char *const Q_SYSTEM_IDENTIFIER =
    "select system_identifier::text from pg_control_system()";
/* A primary's timeline is in the name of its current WAL file: right after a
 * promotion pg_control_checkpoint() still shows the old one until the next
 * checkpoint. pg_walfile_name() fails during recovery, and PostgreSQL 15 does
 * not show the timeline being replayed, so a standby reports the timeline its
 * WAL receiver streams (received_tli: the startup process accepted that
 * history before asking for it), or, with no receiver running, the later of
 * its last restartpoint's timeline and its minimum recovery point's timeline
 * (pg_rewind sets the latter to the source's timeline; both describe WAL
 * already replayed, so neither is ahead of the replay position). */
static const char *const Q_TIMELINE =
    "select case when not pg_is_in_recovery() "
    "then substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) end, "
    "case when pg_is_in_recovery() then coalesce("
    "(select received_tli from pg_stat_wal_receiver where received_tli > 0 limit 1), "
    "greatest((select timeline_id from pg_control_checkpoint()), "
    "(select min_recovery_end_timeline from pg_control_recovery())))::text end";
/* The history of a timeline, as the server keeps it in pg_wal (file names
 * use upper-case hex). Needs superuser or pg_read_server_files. */
static const char *const Q_TIMELINE_HISTORY =
    "select pg_read_file('pg_wal/' || lpad(upper(to_hex($1::int)), 8, '0') || '.history')";
static const char *const Q_CURRENT_LSN = "select pg_current_wal_lsn()::text";
static const char *const Q_REPLAY_LSN = "select pg_last_wal_replay_lsn()::text";
/* Where this server is in WAL: replayed position on a standby, written
 * position on a primary (distances are measured from here). */
#define SQL_WAL_POSITION \
    "case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end"
static const char *const Q_SLOTS =
    "select slot_name::text, slot_type, active, coalesce(wal_status, ''), restart_lsn::text, "
    "pg_wal_lsn_diff(" SQL_WAL_POSITION ", restart_lsn)::bigint, safe_wal_size::bigint "
    "from pg_replication_slots order by slot_name";
static const char *const Q_SLOT_CREATE = "select pg_create_physical_replication_slot($1, true)";
static const char *const Q_SLOT_DROP = "select pg_drop_replication_slot($1)";
/* WAL without table bloat: a non-transactional logical message is one WAL
 * record of the given size at any wal_level, assigns no transaction id and
 * so never waits for a synchronous standby (the sandbox's Barman receiver
 * may be the stopped one). Returns the record's LSN. */
static const char *const Q_WAL_EMIT =
    "select pg_logical_emit_message(false, 'drill-wal-generate', repeat('x', $1::int))::text";
/* Without disk_fill's ballast, which lives in pg_wal but is no WAL. */
static const char *const Q_WAL_DIR_BYTES =
    "select coalesce(sum(size), 0)::bigint from pg_ls_waldir() where name <> 'drill-ballast'";
/* What `drill audit` reads of a server's configuration: never a password
 * (primary_conninfo is reduced to whether it is set). */
static const char *const Q_AUDIT_SETTINGS =
    "select name, case when name = 'primary_conninfo' then (setting <> '')::text "
    "else setting end from pg_settings where name in ('data_checksums', 'wal_log_hints', "
    "'full_page_writes', 'archive_mode', 'synchronous_standby_names', "
    "'max_slot_wal_keep_size', 'data_directory', 'config_file', 'hba_file', 'ident_file', "
    "'primary_conninfo', 'primary_slot_name', 'restore_command') order by name";
/* Standbys that can be synchronous right now (connected, and named). */
static const char *const Q_SYNC_CANDIDATES =
    "select count(*) from pg_stat_replication where sync_state in ('sync', 'potential', "
    "'quorum')";
/* Archiving failures not followed by a success (0 when archive_mode is off). */
static const char *const Q_ARCHIVER_FAILING =
    "select case when current_setting('archive_mode') = 'off' then 0 "
    "when failed_count > 0 and (last_archived_time is null or last_failed_time > "
    "last_archived_time) then failed_count else 0 end from pg_stat_archiver";
/* The setting is in MB; -1 (unlimited) stays -1. */
static const char *const Q_SLOT_KEEP_LIMIT =
    "select case when setting::bigint < 0 then -1 else setting::bigint * 1048576 end "
    "from pg_settings where name = 'max_slot_wal_keep_size'";
static const char *const Q_CHECKPOINT = "CHECKPOINT";
/* Where a relation's first segment lives (relative to the data directory),
 * its size in blocks and whether pages carry checksums. */
static const char *const Q_RELATION_FILE =
    "select pg_relation_filepath($1::regclass), "
    "(pg_relation_size($1::regclass) / current_setting('block_size')::int)::text, "
    "current_setting('block_size'), current_setting('data_checksums')";
static const char *const Q_REPLICAS =
    "select coalesce(application_name, ''), coalesce(host(client_addr), ''), "
    "coalesce(state, ''), replay_lsn::text, "
    "pg_wal_lsn_diff(" SQL_WAL_POSITION ", replay_lsn)::bigint "
    "from pg_stat_replication order by application_name, pid";
static const char *const Q_WAL_RECEIVER =
    "select coalesce(status, ''), coalesce(slot_name, ''), flushed_lsn::text, "
    "coalesce(received_tli, 0)::text from pg_stat_wal_receiver limit 1";
static const char *const Q_PROMOTE = "select pg_promote(true, $1::int)";
/* drill's advisory lock (two-int4 form: key1 = class, key2 = object; see
 * pg.h). The holder is whoever holds it granted, in any session. */
static const char *const Q_LOCK_TRY = "select pg_try_advisory_lock($1::int, $2::int)";
static const char *const Q_LOCK_HOLDER =
    "select a.pid::text, coalesce(a.application_name, ''), "
    "coalesce(host(a.client_addr), 'local socket'), coalesce(a.backend_start::text, '') "
    "from pg_locks l left join pg_stat_activity a on a.pid = l.pid "
    "where l.locktype = 'advisory' and l.granted and l.classid = $1::int::oid "
    "and l.objid = $2::int::oid and l.objsubid = 2 limit 1";

/* ---- server state ----------------------------------------------------- */

int pg_server_version(PgConn *c, char *out, size_t outsz, DrillError *err)
{
    char text[32];
    int64_t num = 0;
    int rc = pg_scalar(c, NAMED(Q_SERVER_VERSION), 0, NULL, text, sizeof text, NULL, err);
    if (rc != 0)
        return rc;
    if (pg_parse_i64(text, &num) != 0 || num <= 0 || num > 10000000)
        return pg_bad_value(c, "Q_SERVER_VERSION", text, err);
    pg_version_format((int)num, out, outsz);
    return 0;
}

int pg_is_in_recovery(PgConn *c, bool *out, DrillError *err)
{
    char text[8];
    int rc = pg_scalar(c, NAMED(Q_IS_IN_RECOVERY), 0, NULL, text, sizeof text, NULL, err);
    if (rc != 0)
        return rc;
    if (strcmp(text, "t") != 0 && strcmp(text, "f") != 0)
        return pg_bad_value(c, "Q_IS_IN_RECOVERY", text, err);
    *out = text[0] == 't';
    return 0;
}

int pg_system_identifier(PgConn *c, char *out, size_t outsz, DrillError *err)
{
    char text[32];
    int rc = pg_scalar(c, NAMED(Q_SYSTEM_IDENTIFIER), 0, NULL, text, sizeof text, NULL, err);
    if (rc != 0)
        return rc;
    if (text[0] == '\0' || strspn(text, "0123456789") != strlen(text))
        return pg_bad_value(c, "Q_SYSTEM_IDENTIFIER", text, err);
    snprintf(out, outsz, "%s", text);
    return 0;
}

static int parse_tli_hex(const char *s, uint32_t *tli)
{
    if (s == NULL || strlen(s) != 8 || strspn(s, "0123456789ABCDEFabcdef") != 8)
        return -1;
    *tli = (uint32_t)strtoul(s, NULL, 16);
    return 0;
}

int pg_timeline(PgConn *c, uint32_t *tli, DrillError *err)
{
    PGresult *r = NULL;
    int rc = pg_exec(c, NAMED(Q_TIMELINE), 0, NULL, &r, err);
    if (rc != 0)
        return rc;
    int64_t v = 0;
    const char *hex = PQntuples(r) == 1 ? pg_field(r, 0, 0) : NULL;
    const char *dec = PQntuples(r) == 1 ? pg_field(r, 0, 1) : NULL;
    if (hex != NULL && parse_tli_hex(hex, tli) == 0)
        rc = 0;
    else if (dec != NULL && pg_parse_i64(dec, &v) == 0 && v > 0 && v <= UINT32_MAX)
        *tli = (uint32_t)v;
    else
        rc = pg_bad_value(c, "Q_TIMELINE", hex ? hex : dec, err);
    PQclear(r);
    return rc;
}

/* Timeline 1 has no history file: its history is empty. */
int pg_timeline_history(PgConn *c, uint32_t tli, char **text, DrillError *err)
{
    *text = NULL;
    if (tli <= 1) {
        *text = xstrdup("");
        return 0;
    }
    char num[16];
    snprintf(num, sizeof num, "%" PRIu32, tli);
    const char *const params[] = {num};
    PGresult *r = NULL;
    int rc = pg_exec(c, NAMED(Q_TIMELINE_HISTORY), 1, params, &r, err);
    if (rc != 0)
        return rc;
    const char *value = PQntuples(r) == 1 ? pg_field(r, 0, 0) : NULL;
    if (value == NULL || strlen(value) > PG_HISTORY_MAX)
        rc = pg_bad_value(c, "Q_TIMELINE_HISTORY", value ? "(too long)" : NULL, err);
    else
        *text = xstrdup(value);
    PQclear(r);
    return rc;
}

int pg_current_lsn(PgConn *c, uint64_t *lsn, DrillError *err)
{
    return pg_scalar_lsn(c, NAMED(Q_CURRENT_LSN), lsn, false, err);
}

/* 0 on a server that never was in recovery (the function returns NULL there). */
int pg_replay_lsn(PgConn *c, uint64_t *lsn, DrillError *err)
{
    return pg_scalar_lsn(c, NAMED(Q_REPLAY_LSN), lsn, true, err);
}

/* ---- slots, replication ----------------------------------------------- */

static int fill_slot(PgConn *c, const PGresult *r, int i, void *elem, DrillError *err)
{
    PgSlot *s = elem;
    const char *restart = pg_field(r, i, 4), *retained = pg_field(r, i, 5);
    snprintf(s->name, sizeof s->name, "%s", PQgetvalue(r, i, 0));
    snprintf(s->slot_type, sizeof s->slot_type, "%s", PQgetvalue(r, i, 1));
    s->active = strcmp(PQgetvalue(r, i, 2), "t") == 0;
    snprintf(s->wal_status, sizeof s->wal_status, "%s", PQgetvalue(r, i, 3));
    s->restart_lsn = 0;
    s->retained_bytes = -1;
    if (restart != NULL && pg_lsn_parse(restart, &s->restart_lsn) != 0)
        return pg_bad_value(c, "Q_SLOTS", restart, err);
    if (restart != NULL && retained != NULL && pg_parse_i64(retained, &s->retained_bytes) != 0)
        return pg_bad_value(c, "Q_SLOTS", retained, err);
    const char *safe = pg_field(r, i, 6);
    s->safe_wal_size = INT64_MIN;
    if (safe != NULL && pg_parse_i64(safe, &s->safe_wal_size) != 0)
        return pg_bad_value(c, "Q_SLOTS", safe, err);
    return 0;
}

int pg_slots(PgConn *c, PgSlot **out, size_t *n, DrillError *err)
{
    void *items = NULL;
    int rc = pg_collect_rows(c, NAMED(Q_SLOTS), 0, NULL, sizeof **out, fill_slot, &items, n, err);
    *out = items;
    return rc;
}

static int slot_call(PgConn *c, const char *what, const char *sql, const char *name,
                     DrillError *err)
{
    if (name == NULL || *name == '\0')
        return drill_error_set(err, DRILL_E_INVALID, "%s: empty slot name", what);
    const char *const params[] = {name};
    PGresult *r = NULL;
    int rc = pg_exec(c, what, sql, 1, params, &r, err);
    PQclear(r);
    return rc;
}

int pg_slot_create(PgConn *c, const char *name, DrillError *err)
{
    return slot_call(c, NAMED(Q_SLOT_CREATE), name, err);
}

int pg_slot_drop(PgConn *c, const char *name, DrillError *err)
{
    return slot_call(c, NAMED(Q_SLOT_DROP), name, err);
}

int pg_wal_emit(PgConn *c, int64_t bytes, uint64_t *lsn, DrillError *err)
{
    if (bytes <= 0 || bytes > PG_WAL_EMIT_MAX)
        return drill_error_set(err, DRILL_E_INVALID, "Q_WAL_EMIT: %lld bytes out of range",
                               (long long)bytes);
    char n[32], text[64];
    snprintf(n, sizeof n, "%lld", (long long)bytes);
    const char *const params[] = {n};
    int rc = pg_scalar(c, NAMED(Q_WAL_EMIT), 1, params, text, sizeof text, NULL, err);
    if (rc == 0 && pg_lsn_parse(text, lsn) != 0)
        return pg_bad_value(c, "Q_WAL_EMIT", text, err);
    return rc;
}

int pg_wal_dir_bytes(PgConn *c, int64_t *bytes, DrillError *err)
{
    return pg_scalar_i64(c, NAMED(Q_WAL_DIR_BYTES), 0, NULL, bytes, err);
}

int pg_slot_keep_limit(PgConn *c, int64_t *bytes, DrillError *err)
{
    return pg_scalar_i64(c, NAMED(Q_SLOT_KEEP_LIMIT), 0, NULL, bytes, err);
}

static int fill_setting(PgConn *c, const PGresult *r, int i, void *elem, DrillError *err)
{
    (void)c;
    (void)err;
    PgSetting *s = elem;
    snprintf(s->name, sizeof s->name, "%s", PQgetvalue(r, i, 0));
    snprintf(s->value, sizeof s->value, "%s", PQgetvalue(r, i, 1));
    return 0;
}

int pg_audit_settings(PgConn *c, PgSetting **out, size_t *n, DrillError *err)
{
    void *items = NULL;
    int rc = pg_collect_rows(c, NAMED(Q_AUDIT_SETTINGS), 0, NULL, sizeof **out, fill_setting,
                             &items, n, err);
    *out = items;
    return rc;
}

int pg_sync_candidates(PgConn *c, int64_t *n, DrillError *err)
{
    return pg_scalar_i64(c, NAMED(Q_SYNC_CANDIDATES), 0, NULL, n, err);
}

int pg_archiver_failing(PgConn *c, int64_t *failures, DrillError *err)
{
    return pg_scalar_i64(c, NAMED(Q_ARCHIVER_FAILING), 0, NULL, failures, err);
}

int pg_checkpoint(PgConn *c, DrillError *err)
{
    PGresult *r = NULL;
    int rc = pg_exec(c, NAMED(Q_CHECKPOINT), 0, NULL, &r, err);
    PQclear(r);
    return rc;
}

int pg_relation_file(PgConn *c, const char *relation, PgRelationFile *out, DrillError *err)
{
    PGresult *r = NULL;
    const char *params[] = {relation};
    int rc = pg_exec(c, NAMED(Q_RELATION_FILE), 1, params, &r, err);
    if (rc == 0 && PQntuples(r) != 1)
        rc = pg_bad_value(c, "Q_RELATION_FILE", "no row", err);
    int64_t nblocks = 0, block_size = 0;
    if (rc == 0 && (pg_parse_i64(PQgetvalue(r, 0, 1), &nblocks) != 0 ||
                    pg_parse_i64(PQgetvalue(r, 0, 2), &block_size) != 0 || block_size <= 0))
        rc = pg_bad_value(c, "Q_RELATION_FILE", PQgetvalue(r, 0, 1), err);
    if (rc == 0) {
        snprintf(out->path, sizeof out->path, "%s", PQgetvalue(r, 0, 0));
        out->nblocks = nblocks;
        out->block_size = block_size;
        out->checksums = strcmp(PQgetvalue(r, 0, 3), "on") == 0;
    }
    PQclear(r);
    return rc;
}

static int fill_replica(PgConn *c, const PGresult *r, int i, void *elem, DrillError *err)
{
    PgReplica *p = elem;
    const char *replay = pg_field(r, i, 3), *lag = pg_field(r, i, 4);
    snprintf(p->application_name, sizeof p->application_name, "%s", PQgetvalue(r, i, 0));
    snprintf(p->client_addr, sizeof p->client_addr, "%s", PQgetvalue(r, i, 1));
    snprintf(p->state, sizeof p->state, "%s", PQgetvalue(r, i, 2));
    p->replay_lsn = 0;
    p->lag_bytes = -1;   /* no replay position reported yet */
    if (replay != NULL && pg_lsn_parse(replay, &p->replay_lsn) != 0)
        return pg_bad_value(c, "Q_REPLICAS", replay, err);
    if (lag != NULL && pg_parse_i64(lag, &p->lag_bytes) != 0)
        return pg_bad_value(c, "Q_REPLICAS", lag, err);
    return 0;
}

int pg_replicas(PgConn *c, PgReplica **out, size_t *n, DrillError *err)
{
    void *items = NULL;
    int rc = pg_collect_rows(c, NAMED(Q_REPLICAS), 0, NULL, sizeof **out, fill_replica, &items, n, err);
    *out = items;
    return rc;
}

int pg_wal_receiver(PgConn *c, PgReceiver *out, DrillError *err)
{
    memset(out, 0, sizeof *out);
    PGresult *r = NULL;
    int rc = pg_exec(c, NAMED(Q_WAL_RECEIVER), 0, NULL, &r, err);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 1) {
        const char *flushed = pg_field(r, 0, 2);
        out->present = true;
        snprintf(out->status, sizeof out->status, "%s", PQgetvalue(r, 0, 0));
        snprintf(out->slot_name, sizeof out->slot_name, "%s", PQgetvalue(r, 0, 1));
        if (flushed != NULL && pg_lsn_parse(flushed, &out->flushed_lsn) != 0)
            rc = pg_bad_value(c, "Q_WAL_RECEIVER", flushed, err);
        int64_t tli = 0;
        if (rc == 0 && pg_parse_i64(pg_field(r, 0, 3), &tli) != 0)
            rc = pg_bad_value(c, "Q_WAL_RECEIVER", pg_field(r, 0, 3), err);
        out->received_tli = (uint32_t)tli;
    }
    PQclear(r);
    return rc;
}

int pg_promote(PgConn *c, int wait_seconds, DrillError *err)
{
    char secs[16], text[8];
    snprintf(secs, sizeof secs, "%d", wait_seconds > 0 ? wait_seconds : 60);
    const char *const params[] = {secs};
    int rc = pg_scalar(c, NAMED(Q_PROMOTE), 1, params, text, sizeof text, NULL, err);
    if (rc != 0)
        return rc;
    if (strcmp(text, "t") != 0)
        return drill_error_set(err, DRILL_E_TIMEOUT, "PostgreSQL %s: pg_promote() did not complete "
                               "within %s s", c->endpoint, secs);
    return 0;
}

/* ---- drill's advisory lock -------------------------------------------- */

static void lock_params(char *k1, char *k2, size_t sz)
{
    snprintf(k1, sz, "%d", PG_DRILL_LOCK_CLASS);
    snprintf(k2, sz, "%d", PG_DRILL_LOCK_OBJECT);
}

int pg_drill_lock_try(PgConn *c, bool *granted, DrillError *err)
{
    char k1[16], k2[16], text[8];
    lock_params(k1, k2, sizeof k1);
    const char *const params[] = {k1, k2};
    int rc = pg_scalar(c, NAMED(Q_LOCK_TRY), 2, params, text, sizeof text, NULL, err);
    *granted = rc == 0 && strcmp(text, "t") == 0;
    return rc;
}

int pg_drill_lock_holder(PgConn *c, PgLockHolder *h, bool *found, DrillError *err)
{
    char k1[16], k2[16];
    lock_params(k1, k2, sizeof k1);
    const char *const params[] = {k1, k2};
    PGresult *r = NULL;
    memset(h, 0, sizeof *h);
    *found = false;
    int rc = pg_exec(c, NAMED(Q_LOCK_HOLDER), 2, params, &r, err);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 1 && PQnfields(r) == 4) {
        *found = true;
        /* pid is NULL-safe: a holder without a pg_stat_activity row (a
         * prepared transaction) still shows as "pid ?". */
        snprintf(h->pid, sizeof h->pid, "%s", pg_field(r, 0, 0) ? pg_field(r, 0, 0) : "?");
        snprintf(h->application_name, sizeof h->application_name, "%s", PQgetvalue(r, 0, 1));
        snprintf(h->client_addr, sizeof h->client_addr, "%s", PQgetvalue(r, 0, 2));
        snprintf(h->backend_start, sizeof h->backend_start, "%s", PQgetvalue(r, 0, 3));
    }
    PQclear(r);
    return 0;
}
