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

/* acks and rows both ordered by seq. */
void measure_rpo(const HeartbeatAck *acks, size_t nacks, const PgHeartbeatRow *rows,
                 size_t nrows, RpoResult *out);

#endif
