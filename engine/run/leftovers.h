/*
 * leftovers.h — the commands a killed drill left running on this host.
 *
 * A drill killed outright (SIGKILL, the OOM killer) cannot stop the command
 * its step was running: `barman recover` or `pg_basebackup` go on writing
 * into the data directory the repair is about to restore again. Two writers
 * in one directory leave a cluster that starts but lacks what either would
 * have written (found by the kill-point tests: heartbeat rows missing after
 * a repair). So a repair first finds and stops them.
 *
 * Found by what every step command carries in its environment
 * (DRILL_RUN_UUID, steps.c) and by its session: a step command runs in its
 * own process group inside drill's session (exec_local.c), so its session id
 * differs from its process group id. Servers and daemons a step started —
 * a postmaster from pg_ctl, Barman's receive-wal — live in sessions of their
 * own (setsid) and are left alone: the repair needs them.
 *
 * Local only (/proc): a command on an SSH node of a killed drill is not seen
 * here (README "Safety" says so).
 */
#ifndef DRILL_LEFTOVERS_H
#define DRILL_LEFTOVERS_H

#include <stddef.h>

/* Stops (SIGTERM to each leftover's process group; SIGKILL after
 * LEFTOVERS_GRACE_MS) the step commands of run `run_uuid` still running on
 * this host. Returns how many were found; `what` lists them ("barman (pid
 * 123), rsync (pid 130)"), "" when none. */
#define LEFTOVERS_GRACE_MS 10000
int leftovers_stop(const char *run_uuid, char *what, size_t whatsz);

#endif
