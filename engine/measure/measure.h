/*
 * measure.h — turning heartbeats into RTO and RPO. Pure functions over the
 * acknowledged heartbeats (what COMMIT confirmed) and the rows a node has.
 *
 * RTO = time of the `fault` event -> first heartbeat committed after the
 *       outage the fault caused (the first failed write at or after the fault).
 *       No failed write after the fault means no outage: RTO 0.
 * RPO = acknowledged heartbeats missing on the recovered primary:
 *       transactions = how many; seconds = ack time of the newest missing row
 *       minus server time of the newest surviving row acknowledged before it;
 *       WAL bytes = LSN distance between those two rows.
 */
#ifndef DRILL_MEASURE_H
#define DRILL_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heartbeat.h"
#include "pg.h"

typedef struct RtoResult {
    bool measured;          /* false: no ack after the outage (service not restored) */
    bool outage_seen;
    int64_t rto_us;
    int64_t first_failure_us;  /* relative to the fault, -1 if none */
    int64_t first_ack_seq;
} RtoResult;

/* fault_mono_us: fault event; first_failure_mono_us: first failed heartbeat at
 * or after it (-1 none); first_ack: first ack after that failure (NULL none). */
void measure_rto(int64_t fault_mono_us, int64_t first_failure_mono_us,
                 const HeartbeatAck *first_ack, RtoResult *out);

typedef struct RpoResult {
    int64_t acked;            /* acknowledged heartbeats considered */
    int64_t missing;          /* transactions lost */
    int64_t lost_ms;          /* seconds of data lost, in ms */
    int64_t lost_wal_bytes;
    int64_t newest_missing_seq;   /* -1 when nothing missing */
    int64_t newest_surviving_seq; /* before the newest missing; -1 if none */
} RpoResult;

/* Point-in-time recovery to an LSN discards, by design, what was committed
 * at or after the target until the restore. The heartbeat writer is
 * sequential and stamps each row with pg_current_wal_insert_lsn() before its
 * commit record, so with acks ordered by seq:
 *   - every ack before the last one stamped below the target committed
 *     before the target (its commit precedes the next row's stamp): it must
 *     survive;
 *   - the last one stamped below the target may have committed on either
 *     side of it: missing, it is discarded, present, it survived;
 *   - from there on, the acks missing up to the first one present (written
 *     after the restore) are discarded; everything after must survive.
 * Sets [*first, *end) to the discarded acks (first == end: none). */
void measure_pitr_split(const HeartbeatAck *acks, size_t nacks, const PgHeartbeatRow *rows,
                        size_t nrows, uint64_t target_lsn, size_t *first, size_t *end);

/* acks and rows both ordered by seq. */
void measure_rpo(const HeartbeatAck *acks, size_t nacks, const PgHeartbeatRow *rows,
                 size_t nrows, RpoResult *out);

#endif
