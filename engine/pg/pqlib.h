/*
 * pqlib.h — libpq, loaded on first use (dlopen) instead of at program start.
 *
 * Why: linking libpq pulls in ~30 shared libraries (gssapi, krb5, ldap,
 * gnutls, p11-kit, sasl...) whose loading, relocation and constructors cost
 * ~2 ms on every start of drill — a fifth of the 10 ms budget of
 * `drill validate`, `drill history` or `drill --version`, commands that never
 * talk to PostgreSQL. Loading it lazily makes only the commands that connect
 * pay for it, once per process.
 *
 * Only the files of engine/pg include this header, through pg_int.h (they
 * stay the only ones that talk to libpq). It includes <libpq-fe.h> for the
 * types and then redirects each PQ* function they use to a pointer in
 * `pqlib`, so they keep calling libpq by its own names. Every entry point
 * that reaches libpq without a connection calls pqlib_load() first (through
 * pg_conninfo_parse, or pg_library_version); a function not listed in
 * PQLIB_FUNCTIONS fails to link (it is not linked), so the list cannot
 * silently fall out of date.
 */
#ifndef DRILL_PQLIB_H
#define DRILL_PQLIB_H

#include <libpq-fe.h>

#include "error.h"

/* The soname of the libpq ABI drill is compiled against (libpq5). */
#ifndef PQLIB_SONAME
#define PQLIB_SONAME "libpq.so.5"
#endif

#define PQLIB_FUNCTIONS(X)                                                                   \
    X(PQclear) X(PQcmdTuples) X(PQconnectPoll) X(PQconnectStartParams) X(PQconninfoFree)    \
    X(PQconninfoParse) X(PQconsumeInput) X(PQerrorMessage) X(PQexec) X(PQfinish)            \
    X(PQfreemem) X(PQgetCopyData) X(PQgetResult) X(PQgetisnull) X(PQgetvalue) X(PQhost)     \
    X(PQisBusy) X(PQlibVersion) X(PQnfields) X(PQntuples) X(PQport) X(PQputCopyEnd)         \
    X(PQresultErrorField) X(PQresultErrorMessage) X(PQresultStatus) X(PQsendQuery)          \
    X(PQsendQueryParams) X(PQsendPrepare) X(PQsendQueryPrepared) X(PQsetNoticeReceiver)     \
    X(PQsocket) X(PQstatus) X(PQgetCancel) X(PQcancel) X(PQfreeCancel)

/* __typeof__ keeps each pointer's type identical to libpq-fe.h's prototype. */
#define PQLIB_MEMBER(name) __typeof__(name) *name;
typedef struct PqLib {
    PQLIB_FUNCTIONS(PQLIB_MEMBER)
} PqLib;
#undef PQLIB_MEMBER

/* Filled by pqlib_load(); read-only afterwards (safe to share between threads). */
extern PqLib pqlib;

/* Loads libpq and resolves every function once per process (thread-safe);
 * later calls return the first outcome. DRILL_E_PG when libpq is missing. */
int pqlib_load(DrillError *err);

#ifndef PQLIB_IMPLEMENTATION
#define PQclear (pqlib.PQclear)
#define PQcmdTuples (pqlib.PQcmdTuples)
#define PQconnectPoll (pqlib.PQconnectPoll)
#define PQconnectStartParams (pqlib.PQconnectStartParams)
#define PQconninfoFree (pqlib.PQconninfoFree)
#define PQconninfoParse (pqlib.PQconninfoParse)
#define PQconsumeInput (pqlib.PQconsumeInput)
#define PQerrorMessage (pqlib.PQerrorMessage)
#define PQexec (pqlib.PQexec)
#define PQfinish (pqlib.PQfinish)
#define PQfreemem (pqlib.PQfreemem)
#define PQgetCopyData (pqlib.PQgetCopyData)
#define PQgetResult (pqlib.PQgetResult)
#define PQgetisnull (pqlib.PQgetisnull)
#define PQgetvalue (pqlib.PQgetvalue)
#define PQhost (pqlib.PQhost)
#define PQisBusy (pqlib.PQisBusy)
#define PQlibVersion (pqlib.PQlibVersion)
#define PQnfields (pqlib.PQnfields)
#define PQntuples (pqlib.PQntuples)
#define PQport (pqlib.PQport)
#define PQputCopyEnd (pqlib.PQputCopyEnd)
#define PQresultErrorField (pqlib.PQresultErrorField)
#define PQresultErrorMessage (pqlib.PQresultErrorMessage)
#define PQresultStatus (pqlib.PQresultStatus)
#define PQsendQuery (pqlib.PQsendQuery)
#define PQsendQueryParams (pqlib.PQsendQueryParams)
#define PQsendPrepare (pqlib.PQsendPrepare)
#define PQsendQueryPrepared (pqlib.PQsendQueryPrepared)
#define PQsetNoticeReceiver (pqlib.PQsetNoticeReceiver)
#define PQgetCancel (pqlib.PQgetCancel)
#define PQcancel (pqlib.PQcancel)
#define PQfreeCancel (pqlib.PQfreeCancel)
#define PQsocket (pqlib.PQsocket)
#define PQstatus (pqlib.PQstatus)
#endif

#endif
