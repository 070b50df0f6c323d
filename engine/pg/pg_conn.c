/*
 * pg_conn.c — a connection: connecting within a deadline, closing, its
 * settings (query timeout, cancel grace) and status (endpoint, SQLSTATE,
 * alive), and libpq's version for the evidence.
 *
 * Connections are driven with PQconnectPoll so that drill enforces its own
 * deadline (libpq's connect_timeout cannot go below 2 s), and the hosts of a
 * multi-host conninfo are tried one by one, each with a share of it.
 * Error messages name the endpoint (host:port), never the conninfo (it may
 * hold a password).
 */
#include "pg.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "util.h"

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
    pg_copy_trimmed(msg ? msg : "", c->last_warning, sizeof c->last_warning);
}

/* Drives PQconnectPoll until connected, failed, or deadline_us passes. */
static int connect_poll(PGconn *conn, int64_t deadline_us, int64_t timeout_ms,
                        const char *endpoint, DrillError *err)
{
    char msg[512];
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(conn) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        int rc = pg_wait_socket(PQsocket(conn), st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
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
    pg_copy_trimmed(PQerrorMessage(conn), msg, sizeof msg);
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

static size_t count_hosts(const PQconninfoOption *opts)
{
    const char *hosts = pg_conninfo_value(opts, "host");
    if (hosts == NULL || *hosts == '\0')
        hosts = pg_conninfo_value(opts, "hostaddr");
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
    const char *hosts = pg_conninfo_value(opts, "host"), *addrs = pg_conninfo_value(opts, "hostaddr");
    const char *ports = pg_conninfo_value(opts, "port");
    int rc = DRILL_E_PG;
    for (size_t i = 0; i < nhosts; i++) {
        char h[256], a[256], p[32];
        pg_list_item(hosts ? hosts : "", i, h, sizeof h);
        pg_list_item(addrs ? addrs : "", i, a, sizeof a);
        pg_list_item(ports ? ports : "", i, p, sizeof p);
        const char *const keys[] = {"host", "hostaddr", "port", NULL};
        const char *const vals[] = {hosts ? h : NULL, addrs ? a : NULL, ports ? p : NULL};
        char *one = NULL;
        if (pg_conninfo_rebuild(opts, keys, vals, &one, err) != 0)
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
    int rc = pg_conninfo_parse(conninfo, &opts, err);
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

void pg_library_version(char *out, size_t outsz)
{
    if (pqlib_load(NULL) != 0) {
        snprintf(out, outsz, "unavailable");
        return;
    }
    pg_version_format(PQlibVersion(), out, outsz);
}

bool pg_conn_alive(PgConn *c)
{
    /* Reads what the server sent without blocking (libpq's socket is
     * non-blocking). A terminated backend sends its FATAL, then EOF: the
     * first read may return the message alone, the second sees the EOF. */
    return c != NULL && !c->broken && PQconsumeInput(c->conn) != 0 &&
           PQconsumeInput(c->conn) != 0 && PQstatus(c->conn) == CONNECTION_OK;
}
