/*
 * pg_int.h — what the files of engine/pg share and nobody else may see.
 *
 * pg.h is the public API; this header holds the connection struct behind
 * its opaque PgConn and the helpers the pg files call across each other:
 *   pg_text.c      libpq-free text: one-line messages, integers, versions
 *   pg_exec.c      sending a query and collecting its result within drill's
 *                  deadline (cancel, COPY drain, error text, scalar/row helpers)
 *   pg_conninfo.c  parsing and rebuilding conninfo strings (multi-host, endpoint)
 * It includes pqlib.h: only engine/pg files may include this header (they
 * are the only ones that talk to libpq).
 */
#ifndef DRILL_PG_INT_H
#define DRILL_PG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pg.h"
#include "pqlib.h"   /* libpq, loaded on first use: see pqlib.h */

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
    char last_error[512];       /* its message alone (server or libpq), "" if none */
    bool hb_prepared;           /* Q_HB_INSERT prepared in this session */
    int64_t warnings;           /* WARNINGs the server sent (notice_receive) */
    char last_warning[256];
};

/* ---- pg_text.c ---- */
void pg_copy_trimmed(const char *msg, char *out, size_t outsz);
int pg_parse_i64(const char *s, int64_t *out);
void pg_version_format(int v, char *out, size_t outsz);

/* ---- pg_exec.c ---- */
int pg_wait_socket(int sock, short events, int64_t deadline_us);
int pg_exec(PgConn *c, const char *what, const char *sql, int nparams,
            const char *const *params, PGresult **out, DrillError *err);
int pg_exec_prepared(PgConn *c, const char *what, const char *stmt, int nparams,
                     const char *const *params, PGresult **out, DrillError *err);
int pg_prepare(PgConn *c, const char *what, const char *sql, const char *stmt,
               int nparams, DrillError *err);
int pg_scalar(PgConn *c, const char *what, const char *sql, int nparams,
              const char *const *params, char *out, size_t outsz, bool *isnull,
              DrillError *err);
int pg_scalar_lsn(PgConn *c, const char *what, const char *sql, uint64_t *lsn,
                  bool null_ok, DrillError *err);
int pg_scalar_i64(PgConn *c, const char *what, const char *sql, int nparams,
                  const char *const *params, int64_t *out, DrillError *err);
const char *pg_field(const PGresult *r, int row, int col);
int pg_bad_value(PgConn *c, const char *what, const char *value, DrillError *err);
/* Fills one element of a result array from row i. */
typedef int (*PgRowFill)(PgConn *c, const PGresult *r, int i, void *elem, DrillError *err);
int pg_collect_rows(PgConn *c, const char *what, const char *sql, int nparams,
                    const char *const *params, size_t elem_size, PgRowFill fill, void **out,
                    size_t *n, DrillError *err);

/* ---- pg_conninfo.c ---- */
int pg_conninfo_parse(const char *conninfo, PQconninfoOption **opts, DrillError *err);
const char *pg_conninfo_value(const PQconninfoOption *opts, const char *key);
int pg_conninfo_rebuild(const PQconninfoOption *opts, const char *const *keys,
                        const char *const *vals, char **out, DrillError *err);
void pg_list_item(const char *list, size_t i, char *out, size_t outsz);

#endif
