/*
 * runlock.h — one drill per target at a time, and finding runs whose drill
 * process died.
 *
 * A run holds an exclusive flock(2) on a lock file named after its target
 * (the primary's conninfo and data directory, else the topology name) for its
 * whole duration; a second drill on the same target is refused with who holds
 * it. The kernel drops the lock when the process dies, however it dies
 * (SIGKILL included), so "a run recorded as running whose lock file is not
 * locked" is exactly "a run whose drill was killed": the next invocation
 * marks it aborted (runner_reap_orphans).
 *
 * Lock files live in $XDG_RUNTIME_DIR/drill, else /tmp/drill-locks-EUID
 * (created 0700). They contain the holder's pid and start time, for the
 * refusal message only.
 *
 * A lock directory that is a symlink, not a directory, owned by another user
 * or writable by group/others, and a lock file that is a symlink or not a
 * plain single-named file, are refused with DRILL_E_ABORTED (exit 3) naming
 * the path: in /tmp another user could have planted them to make drill
 * truncate a file of its user's.
 */
#ifndef DRILL_RUNLOCK_H
#define DRILL_RUNLOCK_H

#include <stdbool.h>

#include "error.h"
#include "topology.h"

typedef struct RunLock RunLock;

/* Takes the target's lock, or fails with DRILL_E_ABORTED naming the holder
 * (or the unsafe directory or file), DRILL_E_IO when it cannot be made. */
int runlock_acquire(const Topology *t, RunLock **out, DrillError *err);
const char *runlock_path(const RunLock *l);
void runlock_release(RunLock *l);   /* NULL ok */

/* The lock file of a target (malloc'd), for a dry run to look at. */
char *runlock_target_path(const Topology *t);

/* True when some process holds the lock file at path (false when it does not
 * exist or is a symlink: it is never followed). */
bool runlock_is_held(const char *path);

#endif
