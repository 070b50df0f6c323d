/*
 * pglock.h — what drill keeps on the primary itself: the advisory lock (one
 * drill per cluster) and the unfinished-drill marker (pg_marker_*, pg.h).
 *
 * The run lock (runlock.h) refuses a second drill on the same host; this
 * lock refuses one from any host, because it lives in the primary itself:
 * before the first step, a dedicated session (application_name
 * "drill-lock run N") takes pg_try_advisory_lock(PG_DRILL_LOCK_CLASS,
 * PG_DRILL_LOCK_OBJECT) (pg.h) and keeps it for the whole run. Operators see
 * it in pg_locks. The fault usually kills that session (the primary is
 * stopped or wiped): the lock is then gone, which is expected and recorded
 * as an event, not an error.
 */
#ifndef DRILL_PGLOCK_H
#define DRILL_PGLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pg.h"
#include "topology.h"

typedef struct PgLock PgLock;

/* Takes the lock on the topology's primary. DRILL_E_ABORTED when another
 * session holds it (err names it: pid, application_name, client, since);
 * DRILL_E_PG when the primary cannot be asked (the runner then goes on
 * without the lock and records why). *out is NULL (and 0 is
 * returned) when the topology has no primary with a conninfo. */
int pglock_acquire(const Topology *t, int64_t run_id, PgLock **out, DrillError *err);

/* True exactly once: the first time the lock's session is found closed. */
bool pglock_lost(PgLock *l);

void pglock_release(PgLock *l);   /* NULL ok; ends the session (and the lock) */

/* Without taking it (dry run): 0 when nobody holds it, 1 when someone does
 * (why says who), negative when the primary cannot be asked. */
int pglock_probe(const Topology *t, char *why, size_t whysz, DrillError *err);

/* The marker a drill writes on the primary just before its fault (key: the
 * runner's target key, runner_target_key) and deletes once service is back
 * (or a repair released the target): a runner with another store sees an
 * unfinished drill too. The primary is often down when it matters (that is
 * the point of most faults): every call here is best effort, bounded by a
 * 5 s connect and query timeout, and its error is the caller's to note.
 * pgmark_find returns 1 (found, *m filled: pg_marker_free it), 0 or <0. */
int pgmark_set(const Topology *t, const char *key, const PgMarker *m, DrillError *err);
int pgmark_find(const Topology *t, const char *key, PgMarker *m, DrillError *err);
int pgmark_clear(const Topology *t, const char *key, DrillError *err);

#endif
