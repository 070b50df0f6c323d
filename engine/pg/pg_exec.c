/*
 * pg_exec.c — sending one query and collecting its result (pg_int.h).
 *
 * Queries are driven asynchronously (PQsendQuery + poll()) so that drill
 * enforces its own deadline: a blocking PQexec on a black-holed host could
 * stall the runner or the heartbeat thread for minutes. On a timeout the
 * query is cancelled when the connection has a cancel grace
 * (pg_set_cancel_grace), else the connection is marked unusable. COPY is
 * ended, results are reduced to the first error or the last result, and
 * errors name the endpoint and the query (never the conninfo).
 *
 * The helpers here take a query's name and text (NAMED(Q_...)): the named
 * queries themselves live in pg_queries.c, pg_heartbeat.c and pg_user_sql.c.
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

/* Waits until sock is ready for events or deadline_us (monotonic, 0 = none)
 * passes: 1 ready, 0 timed out, -1 poll failed. */
int pg_wait_socket(int sock, short events, int64_t deadline_us)
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
    pg_copy_trimmed(PQerrorMessage(c->conn), msg, sizeof msg);
    snprintf(c->last_error, sizeof c->last_error, "%s", msg);
    return drill_error_set(err, DRILL_E_PG, "PostgreSQL %s: %s failed: %s", c->endpoint, what, msg);
}

static int result_fail(PgConn *c, const char *what, const PGresult *r, DrillError *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char msg[512];
    pg_copy_trimmed(primary ? primary : r ? PQresultErrorMessage(r) : "no result", msg, sizeof msg);
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    snprintf(c->last_error, sizeof c->last_error, "%s", msg);
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
        int rc = pg_wait_socket(sock, POLLIN, deadline_us);
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
    c->last_error[0] = '\0';
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
int pg_exec(PgConn *c, const char *what, const char *sql, int nparams,
                   const char *const *params, PGresult **out, DrillError *err)
{
    int sent = c->broken ? 0
               : nparams < 0 ? PQsendQuery(c->conn, sql)
                             : PQsendQueryParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    return exec_sent(c, what, sent, out, err);
}

/* Executes the statement prepared as `stmt` in this session (see pg_prepare). */
int pg_exec_prepared(PgConn *c, const char *what, const char *stmt, int nparams,
                            const char *const *params, PGresult **out, DrillError *err)
{
    int sent = c->broken ? 0 : PQsendQueryPrepared(c->conn, stmt, nparams, params, NULL, NULL, 0);
    return exec_sent(c, what, sent, out, err);
}

/* Prepares a named query as statement `stmt` of this session: a query sent
 * hundreds of times a second (the heartbeat insert) is then parsed and
 * planned once, and each execution sends only its parameters. */
int pg_prepare(PgConn *c, const char *what, const char *sql, const char *stmt,
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
int pg_scalar(PgConn *c, const char *what, const char *sql, int nparams,
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
int pg_scalar_lsn(PgConn *c, const char *what, const char *sql, uint64_t *lsn,
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

const char *pg_field(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int pg_bad_value(PgConn *c, const char *what, const char *value, DrillError *err)
{
    return drill_error_set(err, DRILL_E_PG, "PostgreSQL %s: %s returned an unexpected value \"%s\"",
                           c->endpoint, what, value ? value : "NULL");
}

/* Runs a named query and converts every row with fill into a malloc'd array
 * of elem_size elements. */
int pg_collect_rows(PgConn *c, const char *what, const char *sql, int nparams,
                        const char *const *params, size_t elem_size, PgRowFill fill, void **out,
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

/* A query returning one bigint. */
int pg_scalar_i64(PgConn *c, const char *what, const char *sql, int nparams,
                         const char *const *params, int64_t *out, DrillError *err)
{
    char text[64];
    int rc = pg_scalar(c, what, sql, nparams, params, text, sizeof text, NULL, err);
    if (rc == 0 && pg_parse_i64(text, out) != 0)
        return pg_bad_value(c, what, text, err);
    return rc;
}
