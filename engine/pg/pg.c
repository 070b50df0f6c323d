/*
 * pg.c — the only file of drill that calls libpq (see pg.h).
 *
 * Every question drill asks PostgreSQL is a named query below (Q_*), sent with
 * PQsendQueryParams so values never become part of the SQL text. The one
 * exception is pg_user_sql(), which runs the drill author's SQL as written
 * (and the captured values it references as bound parameters).
 *
 * Connections and queries are driven asynchronously (PQconnectPoll,
 * PQsendQuery + poll()) so that drill enforces its own deadlines: libpq's
 * connect_timeout cannot go below 2 s and a blocking PQexec on a black-holed
 * host could stall the runner or the heartbeat thread for minutes.
 *
 * Error messages name the endpoint (host:port) and carry libpq's message, but
 * never the conninfo itself (it may hold a password).
 */
#include "pg.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pqlib.h"   /* libpq, loaded on first use: see pqlib.h */
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
static const char *const Q_WAL_DIR_BYTES = "select coalesce(sum(size), 0)::bigint from pg_ls_waldir()";
static const char *const Q_CHECKPOINT = "CHECKPOINT";
static const char *const Q_REPLICAS =
    "select coalesce(application_name, ''), coalesce(host(client_addr), ''), "
    "coalesce(state, ''), replay_lsn::text, "
    "pg_wal_lsn_diff(" SQL_WAL_POSITION ", replay_lsn)::bigint "
    "from pg_stat_replication order by application_name, pid";
static const char *const Q_WAL_RECEIVER =
    "select coalesce(status, ''), coalesce(slot_name, ''), flushed_lsn::text "
    "from pg_stat_wal_receiver limit 1";
static const char *const Q_PROMOTE = "select pg_promote(true, $1::int)";
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
/* drill's advisory lock (two-int4 form: key1 = class, key2 = object; see
 * pg.h). The holder is whoever holds it granted, in any session. */
static const char *const Q_LOCK_TRY = "select pg_try_advisory_lock($1::int, $2::int)";
static const char *const Q_LOCK_HOLDER =
    "select a.pid::text, coalesce(a.application_name, ''), "
    "coalesce(host(a.client_addr), 'local socket'), coalesce(a.backend_start::text, '') "
    "from pg_locks l left join pg_stat_activity a on a.pid = l.pid "
    "where l.locktype = 'advisory' and l.granted and l.classid = $1::int::oid "
    "and l.objid = $2::int::oid and l.objsubid = 2 limit 1";
/* A dry run's `sql` steps: the server refuses any write inside this. */
static const char *const Q_BEGIN_READ_ONLY = "begin transaction read only";
static const char *const Q_ROLLBACK = "rollback";
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

/* Passes a query together with its name, so errors say which query failed. */
#define NAMED(q) #q, q

#define CONNINFO_MAX (64 * 1024)
#define ENDPOINT_MAX 256

struct PgConn {
    PGconn *conn;
    char endpoint[ENDPOINT_MAX];
    int64_t query_timeout_ms;   /* 0: no drill deadline on queries */
    int64_t cancel_grace_ms;    /* > 0: on timeout, cancel and wait this long (pg_set_cancel_grace) */
    int64_t cancel_grace_saved; /* cancel_grace_ms while a cancel is in flight */
    bool grace_used;
    bool broken;                /* a query timed out mid-flight: unusable */
    char sqlstate[6];           /* of the last failed query, "" if none */
    bool hb_prepared;           /* Q_HB_INSERT prepared in this session */
    int64_t warnings;           /* WARNINGs the server sent (notice_receive) */
    char last_warning[256];
};

/* ---- small helpers ---------------------------------------------------- */

/* libpq messages end in "\n" and some span lines ("...failed: Connection
 * refused\n\tIs the server running..."): drill's messages are one line, so
 * whitespace runs holding a newline become one space and the end is trimmed. */
static void copy_trimmed(const char *msg, char *out, size_t outsz)
{
    size_t n = 0;
    for (const char *p = msg ? msg : ""; *p != '\0' && n + 1 < outsz; p++) {
        size_t ws = strspn(p, " \t\r\n");
        if (ws > 0 && memchr(p, '\n', ws) != NULL) {
            out[n++] = ' ';
            p += ws - 1;
            continue;
        }
        out[n++] = *p;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, outsz, "unknown error");
}

static int parse_i64(const char *s, int64_t *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

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

/* Waits until sock is ready for events or deadline_us (monotonic, 0 = none)
 * passes: 1 ready, 0 timed out, -1 poll failed. */
static int wait_socket(int sock, short events, int64_t deadline_us)
{
    for (;;) {
        int timeout = -1;
        if (deadline_us > 0) {
            int64_t left = deadline_us - time_mono_us();
            if (left <= 0)
                return 0;
            timeout = (int)((left + 999) / 1000);
        }
        struct pollfd p = {.fd = sock, .events = events, .revents = 0};
        int rc = poll(&p, 1, timeout);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

static int conn_fail(PgConn *c, const char *what, DrillError *err)
{
    char msg[512];
    copy_trimmed(PQerrorMessage(c->conn), msg, sizeof msg);
    return drill_error_set(err, DRILL_E_PG, "PostgreSQL %s: %s failed: %s", c->endpoint, what, msg);
}

static int result_fail(PgConn *c, const char *what, const PGresult *r, DrillError *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char msg[512];
    copy_trimmed(primary ? primary : r ? PQresultErrorMessage(r) : "no result", msg, sizeof msg);
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    return drill_error_set(err, DRILL_E_PG, "PostgreSQL %s: %s failed: %s%s%s%s", c->endpoint,
                           what, msg, state ? " (SQLSTATE " : "", state ? state : "",
                           state ? ")" : "");
}

/* ---- query execution -------------------------------------------------- */

/* Sends a cancel request for the running query (once per query: the grace
 * is restored by the next pg_exec*). A COMMIT stuck waiting for a
 * synchronous standby answers a cancel with success and a WARNING: it did
 * commit locally, and the caller must learn that rather than a timeout. */
static bool cancel_query(PgConn *c)
{
    PGcancel *cancel = PQgetCancel(c->conn);
    char msg[256];
    bool sent = cancel != NULL && PQcancel(cancel, msg, sizeof msg) == 1;
    PQfreeCancel(cancel);
    c->grace_used = true;
    c->cancel_grace_saved = c->cancel_grace_ms;
    c->cancel_grace_ms = 0;
    return sent;
}

/* Reads until a whole result is buffered, within the query deadline. */
static int wait_result(PgConn *c, const char *what, int64_t deadline_us, DrillError *err)
{
    while (PQisBusy(c->conn)) {
        int sock = PQsocket(c->conn);
        if (sock < 0)
            return conn_fail(c, what, err);
        int rc = wait_socket(sock, POLLIN, deadline_us);
        if (rc == 0 && c->cancel_grace_ms > 0 && cancel_query(c)) {
            deadline_us = time_mono_us() + c->cancel_grace_saved * 1000;
            continue;   /* once: cancel_query clears the grace for this query */
        }
        if (rc == 0) {
            c->broken = true;
            return drill_error_set(err, DRILL_E_TIMEOUT, "PostgreSQL %s: %s: no answer within %" PRId64 " ms",
                                   c->endpoint, what, c->query_timeout_ms);
        }
        if (rc < 0)
            return drill_error_set(err, DRILL_E_IO, "PostgreSQL %s: %s: poll: %s", c->endpoint,
                                   what, strerror(errno));
        if (!PQconsumeInput(c->conn))
            return conn_fail(c, what, err);
    }
    return 0;
}

/* COPY is not something a drill step can feed or consume: end it so the
 * connection stays usable (COPY FROM STDIN fails, COPY TO STDOUT is drained). */
static void copy_abort(PGconn *conn, ExecStatusType st)
{
    if (st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) {
        PQputCopyEnd(conn, "COPY is not supported by drill");
        return;
    }
    char *buf = NULL;
    while (PQgetCopyData(conn, &buf, 0) > 0) {
        PQfreemem(buf);
        buf = NULL;
    }
}

/* Keeps the first error result, otherwise the last one. */
static PGresult *keep_result(PGresult *keep, PGresult *r)
{
    if (keep != NULL && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
        PQclear(r);
        return keep;
    }
    PQclear(keep);
    return r;
}

static int collect_results(PgConn *c, const char *what, PGresult **out, DrillError *err)
{
    int64_t deadline = c->query_timeout_ms > 0 ? time_mono_us() + c->query_timeout_ms * 1000 : 0;
    if (c->grace_used) {   /* a cancel of the previous query: this one gets its grace back */
        c->cancel_grace_ms = c->cancel_grace_saved;
        c->grace_used = false;
    }
    PGresult *keep = NULL;
    for (;;) {
        int rc = wait_result(c, what, deadline, err);
        if (rc != 0) {
            PQclear(keep);
            return rc;
        }
        PGresult *r = PQgetResult(c->conn);
        if (r == NULL)
            break;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
            PQclear(r);
            copy_abort(c->conn, st);
            continue;
        }
        keep = keep_result(keep, r);
    }
    *out = keep;
    return 0;
}

/* Collects the results of a query just sent (sent: the PQsend* call's
 * outcome; 0 also when the connection is known broken). On success *out is a
 * COMMAND_OK or TUPLES_OK result the caller clears. */
static int exec_sent(PgConn *c, const char *what, int sent, PGresult **out, DrillError *err)
{
    *out = NULL;
    c->sqlstate[0] = '\0';
    if (c->broken)
        return drill_error_set(err, DRILL_E_PG, "PostgreSQL %s: %s: connection unusable after an "
                               "earlier timeout", c->endpoint, what);
    if (!sent)
        return conn_fail(c, what, err);
    PGresult *r = NULL;
    int rc = collect_results(c, what, &r, err);
    if (rc != 0)
        return rc;
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = r ? result_fail(c, what, r, err) : conn_fail(c, what, err);
        PQclear(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* Sends one query and collects its results. nparams < 0 uses the simple
 * protocol (several statements allowed: only pg_user_sql does that). On
 * success *out is a COMMAND_OK or TUPLES_OK result the caller clears. */
static int pg_exec(PgConn *c, const char *what, const char *sql, int nparams,
                   const char *const *params, PGresult **out, DrillError *err)
{
    int sent = c->broken ? 0
               : nparams < 0 ? PQsendQuery(c->conn, sql)
                             : PQsendQueryParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    return exec_sent(c, what, sent, out, err);
}

/* Executes the statement prepared as `stmt` in this session (see pg_prepare). */
static int pg_exec_prepared(PgConn *c, const char *what, const char *stmt, int nparams,
                            const char *const *params, PGresult **out, DrillError *err)
{
    int sent = c->broken ? 0 : PQsendQueryPrepared(c->conn, stmt, nparams, params, NULL, NULL, 0);
    return exec_sent(c, what, sent, out, err);
}

/* Prepares a named query as statement `stmt` of this session: a query sent
 * hundreds of times a second (the heartbeat insert) is then parsed and
 * planned once, and each execution sends only its parameters. */
static int pg_prepare(PgConn *c, const char *what, const char *sql, const char *stmt,
                      int nparams, DrillError *err)
{
    PGresult *r = NULL;
    int sent = c->broken ? 0 : PQsendPrepare(c->conn, stmt, sql, nparams, NULL);
    int rc = exec_sent(c, what, sent, &r, err);
    PQclear(r);
    return rc;
}

/* Runs a query that must return exactly one row of one column; copies the
 * value into out ("" and *isnull when SQL NULL). */
static int pg_scalar(PgConn *c, const char *what, const char *sql, int nparams,
                     const char *const *params, char *out, size_t outsz, bool *isnull,
                     DrillError *err)
{
    PGresult *r = NULL;
    int rc = pg_exec(c, what, sql, nparams, params, &r, err);
    if (rc != 0)
        return rc;
    if (PQntuples(r) != 1 || PQnfields(r) < 1) {
        PQclear(r);
        return drill_error_set(err, DRILL_E_PG, "PostgreSQL %s: %s returned %d rows, expected 1",
                               c->endpoint, what, PQntuples(r));
    }
    bool null = PQgetisnull(r, 0, 0);
    snprintf(out, outsz, "%s", null ? "" : PQgetvalue(r, 0, 0));
    if (isnull)
        *isnull = null;
    PQclear(r);
    return 0;
}

/* A scalar that must be a non-NULL LSN. */
static int pg_scalar_lsn(PgConn *c, const char *what, const char *sql, uint64_t *lsn,
                         bool null_ok, DrillError *err)
{
    char text[64];
    bool null = false;
    int rc = pg_scalar(c, what, sql, 0, NULL, text, sizeof text, &null, err);
    if (rc != 0)
        return rc;
    *lsn = 0;
    if (null && null_ok)
        return 0;
    if (null || pg_lsn_parse(text, lsn) != 0)
        return drill_error_set(err, DRILL_E_PG, "PostgreSQL %s: %s returned an invalid LSN \"%s\"",
                               c->endpoint, what, text);
    return 0;
}

static const char *field(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int bad_value(PgConn *c, const char *what, const char *value, DrillError *err)
{
    return drill_error_set(err, DRILL_E_PG, "PostgreSQL %s: %s returned an unexpected value \"%s\"",
                           c->endpoint, what, value ? value : "NULL");
}

/* ---- connections ------------------------------------------------------ */

static int conninfo_parse(const char *conninfo, PQconninfoOption **opts, DrillError *err)
{
    *opts = NULL;
    /* Every path to libpq without a connection comes through here first. */
    int rc = pqlib_load(err);
    if (rc != 0)
        return rc;
    char *msg = NULL;
    *opts = PQconninfoParse(conninfo ? conninfo : "", &msg);
    if (*opts != NULL)
        return 0;
    char text[512];
    copy_trimmed(msg ? msg : "out of memory", text, sizeof text);
    PQfreemem(msg);
    return drill_error_set(err, DRILL_E_INVALID, "invalid PostgreSQL conninfo: %s", text);
}

static const char *opt_value(const PQconninfoOption *opts, const char *key)
{
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, key) == 0)
            return o->val;
    return NULL;
}

/* libpq prints NOTICEs ("relation already exists, skipping") on stderr by
 * default; they would interleave with drill's own output and say nothing the
 * caller needs. WARNINGs are counted and the last one kept: a COMMIT whose
 * wait for a synchronous standby was cancelled returns success with one
 * ("canceling wait for synchronous replication ... has already committed
 * locally"), and the heartbeat records such acks apart (pg_heartbeat_insert). */
static void notice_receive(void *arg, const PGresult *res)
{
    PgConn *c = arg;
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity == NULL || strcmp(severity, "WARNING") != 0)
        return;
    c->warnings++;
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    copy_trimmed(msg ? msg : "", c->last_warning, sizeof c->last_warning);
}

/* Drives PQconnectPoll until connected, failed, or deadline_us passes. */
static int connect_poll(PGconn *conn, int64_t deadline_us, int64_t timeout_ms,
                        const char *endpoint, DrillError *err)
{
    char msg[512];
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(conn) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        int rc = wait_socket(PQsocket(conn), st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
                             deadline_us);
        if (rc == 0)
            return drill_error_set(err, DRILL_E_TIMEOUT, "PostgreSQL %s: connection not established "
                                   "within %" PRId64 " ms", endpoint, timeout_ms);
        if (rc < 0)
            return drill_error_set(err, DRILL_E_IO, "PostgreSQL %s: poll: %s", endpoint,
                                   strerror(errno));
        st = PQconnectPoll(conn);
    }
    if (PQstatus(conn) == CONNECTION_OK)
        return 0;
    copy_trimmed(PQerrorMessage(conn), msg, sizeof msg);
    return drill_error_set(err, DRILL_E_PG, "PostgreSQL %s: cannot connect: %s", endpoint, msg);
}

/* One libpq connection attempt, until deadline_us (0 = none). */
static int connect_one(const char *conninfo, int64_t deadline_us, int64_t timeout_ms,
                       PGconn **out, DrillError *err)
{
    char endpoint[ENDPOINT_MAX];
    pg_conninfo_endpoint(conninfo, endpoint, sizeof endpoint);
    /* The conninfo is expanded from "dbname"; fallback_application_name names
     * the session "drill" unless the conninfo (or PGAPPNAME) says otherwise. */
    const char *const keys[] = {"fallback_application_name", "dbname", NULL};
    const char *const vals[] = {"drill", conninfo, NULL};
    PGconn *conn = PQconnectStartParams(keys, vals, 1);
    if (conn == NULL)
        return drill_error_set(err, DRILL_E_NOMEM, "PostgreSQL %s: out of memory", endpoint);
    int rc = connect_poll(conn, deadline_us, timeout_ms, endpoint, err);
    if (rc != 0) {
        PQfinish(conn);
        return rc;
    }
    *out = conn;
    return 0;
}

static int conninfo_rebuild(const PQconninfoOption *opts, const char *const *keys,
                            const char *const *vals, char **out, DrillError *err);
static void list_item(const char *list, size_t i, char *out, size_t outsz);

static size_t count_hosts(const PQconninfoOption *opts)
{
    const char *hosts = opt_value(opts, "host");
    if (hosts == NULL || *hosts == '\0')
        hosts = opt_value(opts, "hostaddr");
    size_t n = 1;
    for (const char *p = hosts ? hosts : ""; *p != '\0'; p++)
        n += *p == ',';
    return n;
}

/* libpq's non-blocking connect ignores connect_timeout, so a black-holed
 * first host of a multi-host conninfo would eat the whole deadline and the
 * next one (the new primary after a failover) would never be tried. Drill
 * tries the hosts itself, in order, each with a fair share of the deadline;
 * target_session_attrs still applies to each single-host attempt. */
static int connect_each_host(const PQconninfoOption *opts, size_t nhosts, int64_t deadline_us,
                             PGconn **out, DrillError *err)
{
    const char *hosts = opt_value(opts, "host"), *addrs = opt_value(opts, "hostaddr");
    const char *ports = opt_value(opts, "port");
    int rc = DRILL_E_PG;
    for (size_t i = 0; i < nhosts; i++) {
        char h[256], a[256], p[32];
        list_item(hosts ? hosts : "", i, h, sizeof h);
        list_item(addrs ? addrs : "", i, a, sizeof a);
        list_item(ports ? ports : "", i, p, sizeof p);
        const char *const keys[] = {"host", "hostaddr", "port", NULL};
        const char *const vals[] = {hosts ? h : NULL, addrs ? a : NULL, ports ? p : NULL};
        char *one = NULL;
        if (conninfo_rebuild(opts, keys, vals, &one, err) != 0)
            return DRILL_E_INVALID;
        int64_t share = deadline_us > 0 ? (deadline_us - time_mono_us()) / (int64_t)(nhosts - i) : 0;
        int64_t until = deadline_us > 0 ? time_mono_us() + (share > 1000 ? share : 1000) : 0;
        rc = connect_one(one, until, share / 1000, out, err);
        free(one);
        if (rc == 0)
            return 0;
    }
    return rc;   /* err holds the last host's failure */
}

int pg_connect(const char *conninfo, int64_t timeout_ms, PgConn **out, DrillError *err)
{
    *out = NULL;
    PQconninfoOption *opts = NULL;
    int rc = conninfo_parse(conninfo, &opts, err);
    if (rc != 0)
        return rc;
    int64_t deadline = timeout_ms > 0 ? time_mono_us() + timeout_ms * 1000 : 0;
    size_t nhosts = count_hosts(opts);
    PGconn *conn = NULL;
    if (nhosts > 1)
        rc = connect_each_host(opts, nhosts, deadline, &conn, err);
    else
        rc = connect_one(conninfo, deadline, timeout_ms, &conn, err);
    PQconninfoFree(opts);
    if (rc != 0)
        return rc;
    PgConn *c = xcalloc(1, sizeof *c);
    c->conn = conn;
    PQsetNoticeReceiver(conn, notice_receive, c);
    const char *host = PQhost(conn);
    snprintf(c->endpoint, sizeof c->endpoint, "%s:%s", host && *host ? host : "localhost",
             PQport(conn));
    *out = c;
    return 0;
}

void pg_close(PgConn *c)
{
    if (c == NULL)
        return;
    PQfinish(c->conn);
    free(c);
}

void pg_set_query_timeout(PgConn *c, int64_t timeout_ms)
{
    c->query_timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

void pg_set_cancel_grace(PgConn *c, int64_t grace_ms)
{
    c->cancel_grace_ms = grace_ms > 0 ? grace_ms : 0;
}

const char *pg_endpoint(const PgConn *c)
{
    return c->endpoint;
}

const char *pg_last_sqlstate(const PgConn *c)
{
    return c->sqlstate;
}

/* ---- server state ----------------------------------------------------- */

/* 150018 -> "15.18"; 90624 -> "9.6.24" (before 10 the scheme had 3 parts). */
static void version_format(int v, char *out, size_t outsz)
{
    if (v >= 100000)
        snprintf(out, outsz, "%d.%d", v / 10000, v % 10000);
    else
        snprintf(out, outsz, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
}

int pg_server_version(PgConn *c, char *out, size_t outsz, DrillError *err)
{
    char text[32];
    int64_t num = 0;
    int rc = pg_scalar(c, NAMED(Q_SERVER_VERSION), 0, NULL, text, sizeof text, NULL, err);
    if (rc != 0)
        return rc;
    if (parse_i64(text, &num) != 0 || num <= 0 || num > 10000000)
        return bad_value(c, "Q_SERVER_VERSION", text, err);
    version_format((int)num, out, outsz);
    return 0;
}

void pg_library_version(char *out, size_t outsz)
{
    if (pqlib_load(NULL) != 0) {
        snprintf(out, outsz, "unavailable");
        return;
    }
    version_format(PQlibVersion(), out, outsz);
}

int pg_is_in_recovery(PgConn *c, bool *out, DrillError *err)
{
    char text[8];
    int rc = pg_scalar(c, NAMED(Q_IS_IN_RECOVERY), 0, NULL, text, sizeof text, NULL, err);
    if (rc != 0)
        return rc;
    if (strcmp(text, "t") != 0 && strcmp(text, "f") != 0)
        return bad_value(c, "Q_IS_IN_RECOVERY", text, err);
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
        return bad_value(c, "Q_SYSTEM_IDENTIFIER", text, err);
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
    const char *hex = PQntuples(r) == 1 ? field(r, 0, 0) : NULL;
    const char *dec = PQntuples(r) == 1 ? field(r, 0, 1) : NULL;
    if (hex != NULL && parse_tli_hex(hex, tli) == 0)
        rc = 0;
    else if (dec != NULL && parse_i64(dec, &v) == 0 && v > 0 && v <= UINT32_MAX)
        *tli = (uint32_t)v;
    else
        rc = bad_value(c, "Q_TIMELINE", hex ? hex : dec, err);
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
    const char *value = PQntuples(r) == 1 ? field(r, 0, 0) : NULL;
    if (value == NULL || strlen(value) > PG_HISTORY_MAX)
        rc = bad_value(c, "Q_TIMELINE_HISTORY", value ? "(too long)" : NULL, err);
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

void pg_lsn_format(uint64_t lsn, char *out, size_t outsz)
{
    snprintf(out, outsz, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
}

/* One half of "HI/LO": 1 to 8 hex digits, nothing else (strtoul alone would
 * accept signs and blanks). */
static int parse_hex32(const char *s, size_t len, uint32_t *out)
{
    if (len == 0 || len > 8)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0'
              : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
              : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

int pg_lsn_parse(const char *text, uint64_t *lsn)
{
    if (text == NULL)
        return -1;
    const char *slash = strchr(text, '/');
    uint32_t hi = 0, lo = 0;
    if (slash == NULL || parse_hex32(text, (size_t)(slash - text), &hi) != 0 ||
        parse_hex32(slash + 1, strlen(slash + 1), &lo) != 0)
        return -1;
    *lsn = (uint64_t)hi << 32 | lo;
    return 0;
}

/* ---- slots, replication ----------------------------------------------- */

static int fill_slot(PgConn *c, const PGresult *r, int i, void *elem, DrillError *err)
{
    PgSlot *s = elem;
    const char *restart = field(r, i, 4), *retained = field(r, i, 5);
    snprintf(s->name, sizeof s->name, "%s", PQgetvalue(r, i, 0));
    snprintf(s->slot_type, sizeof s->slot_type, "%s", PQgetvalue(r, i, 1));
    s->active = strcmp(PQgetvalue(r, i, 2), "t") == 0;
    snprintf(s->wal_status, sizeof s->wal_status, "%s", PQgetvalue(r, i, 3));
    s->restart_lsn = 0;
    s->retained_bytes = -1;
    if (restart != NULL && pg_lsn_parse(restart, &s->restart_lsn) != 0)
        return bad_value(c, "Q_SLOTS", restart, err);
    if (restart != NULL && retained != NULL && parse_i64(retained, &s->retained_bytes) != 0)
        return bad_value(c, "Q_SLOTS", retained, err);
    const char *safe = field(r, i, 6);
    s->safe_wal_size = INT64_MIN;
    if (safe != NULL && parse_i64(safe, &s->safe_wal_size) != 0)
        return bad_value(c, "Q_SLOTS", safe, err);
    return 0;
}

/* Fills one element of a result array from row i. */
typedef int (*RowFill)(PgConn *c, const PGresult *r, int i, void *elem, DrillError *err);

/* Runs a named query and converts every row with fill into a malloc'd array
 * of elem_size elements. */
static int collect_rows(PgConn *c, const char *what, const char *sql, int nparams,
                        const char *const *params, size_t elem_size, RowFill fill, void **out,
                        size_t *n, DrillError *err)
{
    *out = NULL;
    *n = 0;
    PGresult *r = NULL;
    int rc = pg_exec(c, what, sql, nparams, params, &r, err);
    if (rc != 0)
        return rc;
    int rows = PQntuples(r);
    char *items = xcalloc((size_t)rows, elem_size);
    for (int i = 0; i < rows && rc == 0; i++)
        rc = fill(c, r, i, items + (size_t)i * elem_size, err);
    PQclear(r);
    if (rc != 0) {
        free(items);
        return rc;
    }
    *out = items;
    *n = (size_t)rows;
    return 0;
}

int pg_slots(PgConn *c, PgSlot **out, size_t *n, DrillError *err)
{
    void *items = NULL;
    int rc = collect_rows(c, NAMED(Q_SLOTS), 0, NULL, sizeof **out, fill_slot, &items, n, err);
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

/* A query returning one bigint. */
static int pg_scalar_i64(PgConn *c, const char *what, const char *sql, int nparams,
                         const char *const *params, int64_t *out, DrillError *err)
{
    char text[64];
    int rc = pg_scalar(c, what, sql, nparams, params, text, sizeof text, NULL, err);
    if (rc == 0 && parse_i64(text, out) != 0)
        return bad_value(c, what, text, err);
    return rc;
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
        return bad_value(c, "Q_WAL_EMIT", text, err);
    return rc;
}

int pg_wal_dir_bytes(PgConn *c, int64_t *bytes, DrillError *err)
{
    return pg_scalar_i64(c, NAMED(Q_WAL_DIR_BYTES), 0, NULL, bytes, err);
}

int pg_checkpoint(PgConn *c, DrillError *err)
{
    PGresult *r = NULL;
    int rc = pg_exec(c, NAMED(Q_CHECKPOINT), 0, NULL, &r, err);
    PQclear(r);
    return rc;
}

static int fill_replica(PgConn *c, const PGresult *r, int i, void *elem, DrillError *err)
{
    PgReplica *p = elem;
    const char *replay = field(r, i, 3), *lag = field(r, i, 4);
    snprintf(p->application_name, sizeof p->application_name, "%s", PQgetvalue(r, i, 0));
    snprintf(p->client_addr, sizeof p->client_addr, "%s", PQgetvalue(r, i, 1));
    snprintf(p->state, sizeof p->state, "%s", PQgetvalue(r, i, 2));
    p->replay_lsn = 0;
    p->lag_bytes = -1;   /* no replay position reported yet */
    if (replay != NULL && pg_lsn_parse(replay, &p->replay_lsn) != 0)
        return bad_value(c, "Q_REPLICAS", replay, err);
    if (lag != NULL && parse_i64(lag, &p->lag_bytes) != 0)
        return bad_value(c, "Q_REPLICAS", lag, err);
    return 0;
}

int pg_replicas(PgConn *c, PgReplica **out, size_t *n, DrillError *err)
{
    void *items = NULL;
    int rc = collect_rows(c, NAMED(Q_REPLICAS), 0, NULL, sizeof **out, fill_replica, &items, n, err);
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
        const char *flushed = field(r, 0, 2);
        out->present = true;
        snprintf(out->status, sizeof out->status, "%s", PQgetvalue(r, 0, 0));
        snprintf(out->slot_name, sizeof out->slot_name, "%s", PQgetvalue(r, 0, 1));
        if (flushed != NULL && pg_lsn_parse(flushed, &out->flushed_lsn) != 0)
            rc = bad_value(c, "Q_WAL_RECEIVER", flushed, err);
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

/* ---- drill-author SQL ------------------------------------------------- */

/* First value and row count of a drill-author statement's result; clears r. */
static void user_sql_result(PGresult *r, char **first_value, long *nrows)
{
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        *nrows = PQntuples(r);
        if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
            *first_value = xstrdup(PQgetvalue(r, 0, 0));
    } else {
        int64_t affected = 0;   /* INSERT/UPDATE/DELETE: rows affected; else 0 */
        if (parse_i64(PQcmdTuples(r), &affected) == 0)
            *nrows = (long)affected;
    }
    PQclear(r);
}

/* Without parameters the simple protocol (several statements allowed), with
 * them the extended one, which accepts exactly one statement: a bound value
 * is data in that one statement. */
int pg_user_sql(PgConn *c, const char *sql, int nparams, const char *const *params,
                char **first_value, long *nrows, DrillError *err)
{
    *first_value = NULL;
    *nrows = 0;
    PGresult *r = NULL;
    int rc = pg_exec(c, "sql step", sql, nparams > 0 ? nparams : -1, params, &r, err);
    if (rc == 0)
        user_sql_result(r, first_value, nrows);
    return rc;
}

/* The extended protocol (even with no parameters) accepts exactly one
 * statement, so the author's SQL cannot end the read-only transaction and
 * write after it ("commit; insert ..."); one statement inside it can only
 * read. */
int pg_user_sql_read_only(PgConn *c, const char *sql, int nparams, const char *const *params,
                          char **first_value, long *nrows, DrillError *err)
{
    *first_value = NULL;
    *nrows = 0;
    PGresult *r = NULL;
    int rc = pg_exec(c, NAMED(Q_BEGIN_READ_ONLY), -1, NULL, &r, err);
    PQclear(r);
    if (rc != 0)
        return rc;
    rc = pg_exec(c, "sql step (read-only transaction)", sql, nparams > 0 ? nparams : 0, params,
                 &r, err);
    if (rc == 0)
        user_sql_result(r, first_value, nrows);
    char state[sizeof c->sqlstate];   /* the statement's, not the rollback's */
    snprintf(state, sizeof state, "%s", c->sqlstate);
    DrillError ignored;
    if (pg_exec(c, NAMED(Q_ROLLBACK), -1, NULL, &r, &ignored) == 0)
        PQclear(r);
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state);
    return rc;
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
        snprintf(h->pid, sizeof h->pid, "%s", field(r, 0, 0) ? field(r, 0, 0) : "?");
        snprintf(h->application_name, sizeof h->application_name, "%s", PQgetvalue(r, 0, 1));
        snprintf(h->client_addr, sizeof h->client_addr, "%s", PQgetvalue(r, 0, 2));
        snprintf(h->backend_start, sizeof h->backend_start, "%s", PQgetvalue(r, 0, 3));
    }
    PQclear(r);
    return 0;
}

bool pg_conn_alive(PgConn *c)
{
    /* Reads what the server sent without blocking (libpq's socket is
     * non-blocking). A terminated backend sends its FATAL, then EOF: the
     * first read may return the message alone, the second sees the EOF. */
    return c != NULL && !c->broken && PQconsumeInput(c->conn) != 0 &&
           PQconsumeInput(c->conn) != 0 && PQstatus(c->conn) == CONNECTION_OK;
}

/* ---- readiness -------------------------------------------------------- */

/* How long one readiness attempt may take: a black-holed host must not eat
 * the whole wait, while loopback answers (or refuses) within a millisecond. */
#define READY_ATTEMPT_MAX_MS 1000

/* One attempt. A server that answers but is still in recovery keeps its
 * session in *kept for the next attempt: asking it again costs a round trip,
 * while a new connection forks a backend on a server busy replaying WAL — at
 * a 10 ms poll, ~100 forks a second that slowed the very recovery being
 * waited for. A session on a hot standby sees pg_is_in_recovery() turn false
 * as soon as the promotion or the end of recovery happens. */
static int ready_once(const char *conninfo, PgReadiness want, int64_t budget_ms, PgConn **kept,
                      DrillError *err)
{
    PgConn *c = *kept;
    *kept = NULL;
    int rc = c != NULL ? 0 : pg_connect(conninfo, budget_ms, &c, err);
    if (rc != 0 || want == PG_READY_ACCEPTING) {
        pg_close(c);
        return rc;
    }
    bool recovery = true;
    pg_set_query_timeout(c, budget_ms);
    rc = pg_is_in_recovery(c, &recovery, err);
    if (rc == 0 && recovery) {
        *kept = c;
        return drill_error_set(err, DRILL_E_PG, "PostgreSQL %s: still in recovery (read-only)",
                               c->endpoint);
    }
    pg_close(c);
    return rc;
}

int pg_wait_ready(const char *conninfo, PgReadiness want, int64_t timeout_ms, int poll_ms,
                  DrillError *err)
{
    DrillError last = {0};
    PgConn *kept = NULL;
    int64_t period = (poll_ms > 0 ? poll_ms : 10) * 1000;
    int64_t deadline = time_mono_us() + (timeout_ms > 0 ? timeout_ms : 0) * 1000;
    for (;;) {
        int64_t tick = time_mono_us();
        int64_t budget = (deadline - tick + 999) / 1000;
        budget = budget < 1 ? 1 : budget > READY_ATTEMPT_MAX_MS ? READY_ATTEMPT_MAX_MS : budget;
        DrillError attempt = {0};
        int rc = ready_once(conninfo, want, budget, &kept, &attempt);
        if (rc == 0)
            return 0;
        if (rc == DRILL_E_INVALID)
            return drill_error_set(err, rc, "%s", attempt.message);
        /* An attempt cut short by the overall deadline says less than the
         * one before it ("still in recovery"): keep the informative one. */
        if (rc != DRILL_E_TIMEOUT || budget == READY_ATTEMPT_MAX_MS || last.message[0] == '\0')
            last = attempt;
        int64_t now = time_mono_us();
        if (now >= deadline) {
            pg_close(kept);
            return drill_error_set(err, DRILL_E_TIMEOUT, "not %s within %" PRId64 " ms; last "
                                   "attempt: %s", want == PG_READY_WRITABLE ? "writable" :
                                   "accepting connections", timeout_ms, last.message);
        }
        int64_t next = tick + period < deadline ? tick + period : deadline;
        if (next > now)
            sleep_us(next - now);
    }
}

/* ---- conninfo builders ------------------------------------------------ */

/* Appends " key=value", quoting the value when conninfo syntax needs it. */
static void conninfo_add(Buf *b, const char *key, const char *val)
{
    buf_appendf(b, "%s%s=", b->len > 0 ? " " : "", key);
    if (*val != '\0' && strpbrk(val, " \t\n\r\f\v'\\") == NULL) {
        buf_appends(b, val);
        return;
    }
    buf_append(b, "'", 1);
    for (const char *p = val; *p != '\0'; p++) {
        if (*p == '\'' || *p == '\\')
            buf_append(b, "\\", 1);
        buf_append(b, p, 1);
    }
    buf_append(b, "'", 1);
}

static int conninfo_finish(Buf *b, char **out, DrillError *err)
{
    if (b->truncated) {
        buf_free(b);
        return drill_error_set(err, DRILL_E_INVALID, "conninfo longer than %d bytes", CONNINFO_MAX);
    }
    *out = buf_steal(b);
    return 0;
}

static bool key_in(const char *key, const char *const *keys)
{
    for (; *keys != NULL; keys++)
        if (strcmp(key, *keys) == 0)
            return true;
    return false;
}

/* The options re-emitted in key=value syntax, keys[i] set to vals[i] (NULL drops it). */
static int conninfo_rebuild(const PQconninfoOption *opts, const char *const *keys,
                            const char *const *vals, char **out, DrillError *err)
{
    Buf b;
    buf_init(&b, CONNINFO_MAX);
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        const char *v = o->val;
        for (size_t i = 0; keys[i] != NULL; i++)
            if (strcmp(o->keyword, keys[i]) == 0)
                v = vals[i];
        if (v != NULL)
            conninfo_add(&b, o->keyword, v);
    }
    return conninfo_finish(&b, out, err);
}

int pg_conninfo_set(const char *conninfo, const char *key, const char *value, char **out,
                    DrillError *err)
{
    *out = NULL;
    PQconninfoOption *opts = NULL;
    int rc = conninfo_parse(conninfo, &opts, err);
    if (rc != 0)
        return rc;
    const char *const keys[] = {key, NULL};
    const char *const vals[] = {value, NULL};
    bool known = false;
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
        known = known || strcmp(o->keyword, key) == 0;
    if (known)
        rc = conninfo_rebuild(opts, keys, vals, out, err);
    else
        rc = drill_error_set(err, DRILL_E_INVALID, "unknown conninfo keyword \"%s\"", key);
    PQconninfoFree(opts);
    return rc;
}

int pg_conninfo_with_db(const char *conninfo, const char *dbname, char **out, DrillError *err)
{
    return pg_conninfo_set(conninfo, "dbname", dbname, out, err);
}

/* Adds one node's host and port to the comma lists of a multi-host conninfo. */
static int add_node(const PQconninfoOption *opts, size_t i, Buf *hosts, Buf *ports,
                    bool *any_port, DrillError *err)
{
    const char *host = opt_value(opts, "host");
    const char *port = opt_value(opts, "port");
    if (host == NULL || *host == '\0')
        host = opt_value(opts, "hostaddr");
    host = host ? host : "";
    port = port ? port : "";
    if (strchr(host, ',') != NULL || strchr(port, ',') != NULL)
        return drill_error_set(err, DRILL_E_INVALID, "node conninfo #%zu already lists several "
                               "hosts or ports", i + 1);
    buf_appendf(hosts, "%s%s", i > 0 ? "," : "", host);
    buf_appendf(ports, "%s%s", i > 0 ? "," : "", port);
    *any_port = *any_port || *port != '\0';
    return 0;
}

/* Everything of the first node but its address and session targeting. */
static void add_common(Buf *b, const PQconninfoOption *first)
{
    static const char *const lead[] = {"user", "dbname", NULL};
    static const char *const skip[] = {"user", "dbname", "host", "hostaddr", "port",
                                       "target_session_attrs", "connect_timeout", NULL};
    for (const char *const *k = lead; *k != NULL; k++) {
        const char *v = opt_value(first, *k);
        if (v != NULL)
            conninfo_add(b, *k, v);
    }
    for (const PQconninfoOption *o = first; o->keyword != NULL; o++)
        if (o->val != NULL && !key_in(o->keyword, skip))
            conninfo_add(b, o->keyword, o->val);
    conninfo_add(b, "target_session_attrs", "read-write");
    conninfo_add(b, "connect_timeout", "2");
}

int pg_conninfo_writable(const char *const *conninfos, size_t n, char **out, DrillError *err)
{
    *out = NULL;
    if (n == 0)
        return drill_error_set(err, DRILL_E_INVALID, "no node conninfo to build a writable one");
    Buf hosts, ports, b;
    buf_init(&hosts, CONNINFO_MAX);
    buf_init(&ports, CONNINFO_MAX);
    buf_init(&b, CONNINFO_MAX);
    PQconninfoOption *first = NULL;
    bool any_port = false;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        PQconninfoOption *opts = NULL;
        rc = conninfo_parse(conninfos[i], &opts, err);
        if (rc == 0)
            rc = add_node(opts, i, &hosts, &ports, &any_port, err);
        if (i == 0)
            first = opts;
        else
            PQconninfoFree(opts);
    }
    if (rc == 0) {
        conninfo_add(&b, "host", hosts.data ? hosts.data : "");
        if (any_port)
            conninfo_add(&b, "port", ports.data);
        add_common(&b, first);
        b.truncated = b.truncated || hosts.truncated || ports.truncated;
        rc = conninfo_finish(&b, out, err);
    } else {
        buf_free(&b);
    }
    PQconninfoFree(first);
    buf_free(&hosts);
    buf_free(&ports);
    return rc;
}

/* Item i of a comma list (the last one when the list is shorter, as libpq
 * does for a single port shared by several hosts). */
static void list_item(const char *list, size_t i, char *out, size_t outsz)
{
    const char *p = list;
    for (size_t k = 0; k < i; k++) {
        const char *comma = strchr(p, ',');
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    size_t len = strcspn(p, ",");
    snprintf(out, outsz, "%.*s", (int)(len < outsz ? len : outsz - 1), p);
}

int pg_conninfo_endpoint(const char *conninfo, char *out, size_t outsz)
{
    PQconninfoOption *opts = NULL;
    snprintf(out, outsz, "(invalid conninfo)");
    if (conninfo_parse(conninfo, &opts, NULL) != 0)
        return -1;
    const char *hosts = opt_value(opts, "host");
    const char *ports = opt_value(opts, "port");
    if (hosts == NULL || *hosts == '\0')
        hosts = opt_value(opts, "hostaddr");
    hosts = hosts && *hosts ? hosts : "(default host)";
    ports = ports && *ports ? ports : "5432";
    Buf b;
    buf_init(&b, outsz > 0 ? outsz - 1 : 0);
    size_t count = 1;
    for (const char *p = hosts; *p != '\0'; p++)
        count += *p == ',';
    for (size_t i = 0; i < count; i++) {
        char h[128], p[16];
        list_item(hosts, i, h, sizeof h);
        list_item(ports, i, p, sizeof p);
        buf_appendf(&b, "%s%s:%s", i > 0 ? "," : "", h, *p ? p : "5432");
    }
    snprintf(out, outsz, "%s", b.data ? b.data : "");
    buf_free(&b);
    PQconninfoFree(opts);
    return 0;
}

/* ---- heartbeat table -------------------------------------------------- */

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
    const char *server = PQntuples(r) == 1 ? field(r, 0, 0) : NULL;
    const char *lsn = PQntuples(r) == 1 ? field(r, 0, 1) : NULL;
    if (parse_i64(server, &ack->server_ts_us) != 0 || pg_lsn_parse(lsn, &ack->lsn) != 0)
        rc = bad_value(c, "Q_HB_INSERT", server, err);
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
    const char *seq = field(r, i, 0), *ts = field(r, i, 1), *lsn = field(r, i, 2);
    if (parse_i64(seq, &row->seq) != 0 || parse_i64(ts, &row->server_ts_us) != 0 ||
        pg_lsn_parse(lsn, &row->lsn) != 0)
        return bad_value(c, "Q_HB_ROWS", seq, err);
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
    rc = collect_rows(c, NAMED(Q_HB_ROWS), 1, params, sizeof **rows, fill_hb_row, &items, n, err);
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
    const char *md5 = PQntuples(r) == 1 ? field(r, 0, 2) : NULL;
    if (PQntuples(r) != 1 || parse_i64(field(r, 0, 0), &out->count) != 0 ||
        parse_i64(field(r, 0, 1), &out->max_seq) != 0 || md5 == NULL || strlen(md5) != 32)
        rc = bad_value(c, "Q_HB_DIGEST", md5, err);
    else
        snprintf(out->md5, sizeof out->md5, "%s", md5);
    PQclear(r);
    return rc;
}
