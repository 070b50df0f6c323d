/*
 * pglock.h — drill's advisory lock on the primary: one drill per cluster.
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

#endif
