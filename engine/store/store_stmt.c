/*
 * store_stmt.c — StoreStmt (store_int.h): one statement interface over the
 * two back ends, so every query of the store is written once.
 *
 * SQLite: a thin wrapper of sqlite3_stmt. PostgreSQL: the SQL is rewritten
 * once at prepare (?N and ? become $N), parameters are kept as text, and the
 * first step runs the query (pg_table_query) and keeps its whole result;
 * later steps walk its rows. Whole results are fine here: every query of the
 * store is bounded (LIMIT, one run's rows, STORE_ROWS_MAX).
 */
#include "store_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define STMT_PARAMS_MAX 32

struct StoreStmt {
    Store *st;
    sqlite3_stmt *lite;
    /* PostgreSQL */
    char *sql;                          /* with $N placeholders */
    int nparams;                        /* the highest $N the SQL uses */
    char *params[STMT_PARAMS_MAX];      /* texts; NULL = SQL NULL */
    PgTable *rows;
    int row;                            /* current row; -1 before the first */
};

/* ?N and bare ? (numbered on) become $N, outside quoted literals and
 * identifiers; *maxn gets the highest parameter number. */
static char *pg_placeholders(const char *sql, int *maxn)
{
    Buf b;
    buf_init(&b, strlen(sql) * 2 + 16);
    int next = 1;
    char quote = 0;
    *maxn = 0;
    for (const char *p = sql; *p != '\0'; p++) {
        if (quote != 0 || *p == '\'' || *p == '"') {
            quote = quote == 0 ? *p : *p == quote ? 0 : quote;
            buf_append(&b, p, 1);
            continue;
        }
        if (*p != '?') {
            buf_append(&b, p, 1);
            continue;
        }
        int n = 0;
        while (p[1] >= '0' && p[1] <= '9' && n < 1000)
            n = n * 10 + (*++p - '0');
        if (n == 0)
            n = next;
        next = n + 1;
        if (n > *maxn)
            *maxn = n;
        buf_appendf(&b, "$%d", n);
    }
    return buf_steal(&b);
}

int store_prep(Store *st, const char *sql, StoreStmt **out, DrillError *err)
{
    *out = NULL;
    StoreStmt *s = xcalloc(1, sizeof *s);
    s->st = st;
    s->row = -1;
    if (st->kind == STORE_POSTGRES) {
        s->sql = pg_placeholders(sql, &s->nparams);
        int nparams = s->nparams;
        if (nparams > STMT_PARAMS_MAX) {
            stmt_free(s);
            return drill_error_set(err, DRILL_E_STORE, "store query with %d parameters "
                                   "(at most %d)", nparams, STMT_PARAMS_MAX);
        }
        *out = s;
        return 0;
    }
    /* Locks so the error message read on failure is this thread's (the
     * mutex is recursive: callers may already hold it). */
    int rc = 0;
    pthread_mutex_lock(&st->lock);
    if (sqlite3_prepare_v2(st->db, sql, -1, &s->lite, NULL) != SQLITE_OK)
        rc = store_fail(st, "preparing a statement", err);
    pthread_mutex_unlock(&st->lock);
    if (rc != 0)
        stmt_free(s);
    else
        *out = s;
    return rc;
}

void stmt_free(StoreStmt *s)
{
    if (s == NULL)
        return;
    sqlite3_finalize(s->lite);
    for (int i = 0; i < STMT_PARAMS_MAX; i++)
        free(s->params[i]);
    pg_table_free(s->rows);
    free(s->sql);
    free(s);
}

static int pg_step(StoreStmt *s)
{
    Store *st = s->st;
    if (s->rows == NULL) {
        pthread_mutex_lock(&st->lock);
        const char *const *params = (const char *const *)s->params;
        int rc = pg_table_query(st->pg, s->sql, s->nparams, params, &s->rows, &st->pg_error);
        /* Outside a transaction a statement may go once more on a new
         * connection: a read, or a claim (writes always run in one). */
        if (rc != 0 && st->tx_depth == 0 && store_pg_revive(st))
            rc = pg_table_query(st->pg, s->sql, s->nparams, params, &s->rows, &st->pg_error);
        st->changes = rc == 0 ? pg_table_changes(s->rows) : 0;
        pthread_mutex_unlock(&st->lock);
        if (rc != 0)
            return STMT_ERROR;
    }
    return ++s->row < pg_table_rows(s->rows) ? STMT_ROW : STMT_DONE;
}

int stmt_step(StoreStmt *s)
{
    if (s->st->kind == STORE_POSTGRES)
        return pg_step(s);
    int rc = sqlite3_step(s->lite);
    if (rc == SQLITE_DONE)
        s->st->changes = sqlite3_changes(s->st->db);
    return rc == SQLITE_ROW ? STMT_ROW : rc == SQLITE_DONE ? STMT_DONE : STMT_ERROR;
}

/* ---- binding ---- */

static void pg_param(StoreStmt *s, int i, char *text)
{
    if (i < 1 || i > s->nparams) {
        free(text);
        return;
    }
    free(s->params[i - 1]);
    s->params[i - 1] = text;
}

void stmt_bind_int64(StoreStmt *s, int i, int64_t v)
{
    if (s->st->kind == STORE_POSTGRES)
        pg_param(s, i, xasprintf("%" PRId64, v));
    else
        sqlite3_bind_int64(s->lite, i, v);
}

void stmt_bind_double(StoreStmt *s, int i, double v)
{
    if (s->st->kind != STORE_POSTGRES)
        sqlite3_bind_double(s->lite, i, v);
    else if (isinf(v))
        pg_param(s, i, xstrdup(v > 0 ? "Infinity" : "-Infinity"));
    else
        pg_param(s, i, isnan(v) ? NULL : xasprintf("%.17g", v));
}

void stmt_bind_null(StoreStmt *s, int i)
{
    if (s->st->kind == STORE_POSTGRES)
        pg_param(s, i, NULL);
    else
        sqlite3_bind_null(s->lite, i);
}

/* PostgreSQL refuses invalid UTF-8 in text; command output may hold any
 * bytes, so each invalid byte becomes U+FFFD there. */
void stmt_bind_text_len(StoreStmt *s, int i, const char *v, size_t n)
{
    if (s->st->kind == STORE_POSTGRES)
        pg_param(s, i, utf8_valid_dup(v, n));
    else
        sqlite3_bind_text(s->lite, i, v, (int)n, SQLITE_TRANSIENT);
}

void stmt_bind_text(StoreStmt *s, int i, const char *v)
{
    if (v == NULL)
        stmt_bind_null(s, i);
    else
        stmt_bind_text_len(s, i, v, strlen(v));
}

/* ---- columns ---- */

static const char *pg_col(StoreStmt *s, int i)
{
    return pg_table_value(s->rows, s->row, i);
}

bool stmt_col_null(StoreStmt *s, int i)
{
    if (s->st->kind == STORE_POSTGRES)
        return pg_col(s, i) == NULL;
    return sqlite3_column_type(s->lite, i) == SQLITE_NULL;
}

int64_t stmt_col_int64(StoreStmt *s, int i)
{
    if (s->st->kind != STORE_POSTGRES)
        return sqlite3_column_int64(s->lite, i);
    const char *v = pg_col(s, i);
    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

int stmt_col_int(StoreStmt *s, int i)
{
    return (int)stmt_col_int64(s, i);
}

double stmt_col_double(StoreStmt *s, int i)
{
    if (s->st->kind != STORE_POSTGRES)
        return sqlite3_column_double(s->lite, i);
    const char *v = pg_col(s, i);
    return v != NULL ? strtod(v, NULL) : 0.0;
}

const unsigned char *stmt_col_text(StoreStmt *s, int i)
{
    if (s->st->kind == STORE_POSTGRES)
        return (const unsigned char *)pg_col(s, i);
    return sqlite3_column_text(s->lite, i);
}

size_t stmt_col_bytes(StoreStmt *s, int i)
{
    if (s->st->kind != STORE_POSTGRES)
        return (size_t)sqlite3_column_bytes(s->lite, i);
    const char *v = pg_col(s, i);
    return v != NULL ? strlen(v) : 0;
}

int store_scalar_int(Store *st, const char *sql, const char *what, int64_t *out,
                     DrillError *err)
{
    StoreStmt *s;
    int rc = store_prep(st, sql, &s, err);
    if (rc != 0)
        return rc;
    if (stmt_step(s) == STMT_ROW)
        *out = stmt_col_int64(s, 0);
    else
        rc = store_fail(st, what, err);
    stmt_free(s);
    return rc;
}
