/*
 * pg_user_sql.c — the one exception to named queries: pg_user_sql runs SQL
 * written by the drill author in a `sql` step (its captured values bound as
 * parameters, never pasted), and pg_user_sql_read_only runs it inside a
 * read-only transaction that is rolled back (`drill run --dry-run`).
 *
 * Kept in its own file so that drill's own queries (pg_queries.c,
 * pg_heartbeat.c) and the author's SQL never share a code path by accident.
 */
#include "pg.h"

#include <stdio.h>

#include "pg_int.h"
#include "util.h"

/* A dry run's `sql` steps: the server refuses any write inside this. */
static const char *const Q_BEGIN_READ_ONLY = "begin transaction read only";
static const char *const Q_ROLLBACK = "rollback";

/* First value and row count of a drill-author statement's result; clears r. */
static void user_sql_result(PGresult *r, char **first_value, long *nrows)
{
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        *nrows = PQntuples(r);
        if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
            *first_value = xstrdup(PQgetvalue(r, 0, 0));
    } else {
        int64_t affected = 0;   /* INSERT/UPDATE/DELETE: rows affected; else 0 */
        if (pg_parse_i64(PQcmdTuples(r), &affected) == 0)
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
