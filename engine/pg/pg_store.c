/*
 * pg_store.c — the transport of the PostgreSQL results store (store.h,
 * `--db postgresql://...`): whole query results as text, for engine/store.
 *
 * The second exception to "no general purpose query function" (pg.h): the
 * store's SQL is the store's own set of named queries, written once for
 * both back ends in engine/store, and must not be duplicated here. This
 * file only carries them: parameters in, rows of text out, with libpq kept
 * inside engine/pg.
 */
#include "pg_int.h"

#include <stdlib.h>

#include "util.h"

struct PgTable {
    PGresult *res;
};

int pg_table_query(PgConn *c, const char *sql, int nparams, const char *const *params,
                   PgTable **out, DrillError *err)
{
    *out = NULL;
    PGresult *r = NULL;
    int rc = pg_exec(c, "a store query", sql, nparams, params, &r, err);
    /* The store names itself and the action: the message alone here. */
    if (rc != 0 && c->last_error[0] != '\0')
        drill_error_set(err, rc, "%s", c->last_error);
    if (rc != 0)
        return rc;
    PgTable *t = xcalloc(1, sizeof *t);
    t->res = r;
    *out = t;
    return 0;
}

int pg_table_rows(const PgTable *t)
{
    return t != NULL && t->res != NULL ? PQntuples(t->res) : 0;
}

int pg_table_cols(const PgTable *t)
{
    return t != NULL && t->res != NULL ? PQnfields(t->res) : 0;
}

const char *pg_table_value(const PgTable *t, int row, int col)
{
    if (row < 0 || col < 0 || row >= pg_table_rows(t) || col >= pg_table_cols(t))
        return NULL;
    return pg_field(t->res, row, col);
}

int64_t pg_table_changes(const PgTable *t)
{
    int64_t n = 0;
    if (t == NULL || t->res == NULL || pg_parse_i64(PQcmdTuples(t->res), &n) != 0)
        return 0;
    return n;
}

void pg_table_free(PgTable *t)
{
    if (t == NULL)
        return;
    PQclear(t->res);
    free(t);
}
