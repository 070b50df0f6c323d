/*
 * heartbeat.h — the heartbeat writer that makes RTO and RPO measured facts.
 *
 * A thread with its own connection commits one row per `interval` into
 * drill_heartbeat on whichever node is writable (multi-host conninfo with
 * target_session_attrs=read-write), reconnecting as fast as the poll interval
 * allows. Only rows whose COMMIT returned are recorded as acknowledged. Failed
 * attempts are recorded too, so the outage window is visible.
 */
#ifndef DRILL_HEARTBEAT_H
#define DRILL_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Acks kept in memory (48 MB, almost 3 hours at 10 ms; $DRILL_HEARTBEAT_BUFFER
 * lowers it, for tests). When it fills, its older half moves to a private
 * unlinked temporary file, so RPO is still judged on every ack: the newest
 * (where a loss is) and the oldest (a restore to an old backup loses them).
 * The file holds at most HEARTBEAT_SPILL_MAX acks (~800 MB, two days at
 * 10 ms); past that, or when it cannot be written, acks are counted
 * (acks_dropped), not kept, and heartbeat_verify refuses to judge RPO on an
 * incomplete list. */
#define HEARTBEAT_MAX_ACKS (1u << 20)
#define HEARTBEAT_SPILL_MAX (1u << 24)

typedef struct HeartbeatAck {
    int64_t seq;
    int64_t client_utc_us;   /* wall clock when COMMIT returned */
    int64_t mono_us;         /* monotonic clock when COMMIT returned */
    int64_t server_ts_us;    /* server clock_timestamp() of the row */
    uint64_t lsn;
    /* COMMIT returned with a WARNING: its wait for the synchronous standby was
     * cancelled (statement_timeout, the drill's own bound). Still acknowledged:
     * the client was told "committed", as an application would have been, so
     * it counts for RPO like any other ack; counted apart as well. For RTO the
     * writes stalled: the attempt is also a failure at the time it was sent,
     * and such an ack does not end an outage (heartbeat_first_clean_ack_after). */
    bool sync_wait_cancelled;
    int64_t sent_mono_us;    /* monotonic clock when the insert was sent */
    /* The server that acknowledged it (heartbeat_endpoint_index; the
     * multi-host conninfo may reach several): HEARTBEAT_ENDPOINT_UNKNOWN when
     * more than HEARTBEAT_ENDPOINTS_MAX servers answered. Split-brain writes
     * are the acks of a fenced server. */
    uint8_t endpoint;
} HeartbeatAck;

#define HEARTBEAT_ENDPOINTS_MAX 16
#define HEARTBEAT_ENDPOINT_UNKNOWN 255

/* A commit that took this long (or ten intervals, if longer) stalled: the
 * writes waited, though nothing failed (a synchronous standby gone, locks). */
#define HEARTBEAT_STALL_US 100000

typedef struct Heartbeat Heartbeat;

/* Starts the writer thread; run_uuid (the run's UUID, util.h) tags the rows.
 * Fails if the first connection cannot be made within connect_timeout_ms. */
/* heartbeat_start, for nodes on this host: local_dirs are the data
 * directories of every host of conninfo. While the writer has no session,
 * it connects only when one of their postmaster.pid files says "ready" (or
 * cannot be read): a refused attempt still forks a backend on a server that
 * is starting up (pg_pidfile.c). NULL/0: no gate. */
int heartbeat_start_gated(const char *conninfo, const char *const *local_dirs, size_t ndirs,
                          const char *run_uuid, int64_t interval_ms, int64_t connect_timeout_ms,
                          Heartbeat **out, DrillError *err);
int heartbeat_start(const char *conninfo, const char *run_uuid, int64_t interval_ms,
                    int64_t connect_timeout_ms, Heartbeat **out, DrillError *err);
/* Stops and joins the thread; the recorded data stays readable. Idempotent. */
void heartbeat_stop(Heartbeat *hb);
/* The index HeartbeatAck.endpoint has for a server ("host:port", as
 * pg_conninfo_endpoint writes it), -1 when no ack came from it. */
int heartbeat_endpoint_index(Heartbeat *hb, const char *endpoint);
void heartbeat_free(Heartbeat *hb);   /* stops first if running; NULL ok */

bool heartbeat_running(const Heartbeat *hb);

/* Snapshot of every acknowledged row so far, spilled ones included, ordered
 * by seq (copy, caller frees). Negative when the spill file cannot be read. */
int heartbeat_acks(Heartbeat *hb, HeartbeatAck **out, size_t *n, DrillError *err);
/* The same for acks [from, from + max) only: a reader that follows the list
 * as it grows copies each ack once, not the whole list every time. */
int heartbeat_acks_range(Heartbeat *hb, size_t from, size_t max, HeartbeatAck **out, size_t *n,
                         DrillError *err);
/* Monotonic time of the first failed attempt at or after mono_us; -1 if none. */
int64_t heartbeat_first_failure_after(Heartbeat *hb, int64_t mono_us);
/* First ack whose mono_us > after_mono_us; returns 0 and fills *out, or -1. */
int heartbeat_first_ack_after(Heartbeat *hb, int64_t after_mono_us, HeartbeatAck *out);
/* The same, skipping acks whose synchronous wait was cancelled: the first
 * write committed *again* (what ends an outage for RTO). */
int heartbeat_first_clean_ack_after(Heartbeat *hb, int64_t after_mono_us, HeartbeatAck *out);
/* Whether an ack's commit stalled (HEARTBEAT_STALL_US). */
bool heartbeat_ack_stalled(const Heartbeat *hb, const HeartbeatAck *ack);
/* The first ack in (after_mono_us, until_mono_us] whose commit stalled;
 * returns 0 and fills *out, or -1. */
int heartbeat_first_stalled_ack(Heartbeat *hb, int64_t after_mono_us, int64_t until_mono_us,
                                HeartbeatAck *out);

typedef struct HeartbeatStats {
    int64_t attempts;
    int64_t acked;
    int64_t acks_dropped;
    int64_t acks_spilled;     /* moved from memory to the spill file */
    int64_t acked_sync_wait_cancelled;   /* acks with sync_wait_cancelled */
    char last_warning[256];   /* acknowledged past HEARTBEAT_MAX_ACKS: counted, not kept */
    int64_t failed;
    int64_t reconnects;
    int64_t gated;            /* failed attempts answered by postmaster.pid, no connection */
    char last_error[256];
} HeartbeatStats;
void heartbeat_stats(Heartbeat *hb, HeartbeatStats *out);

#endif
