/* measure.c — see measure.h. */
#include "measure.h"

void measure_rto(int64_t fault_mono_us, int64_t first_failure_mono_us,
                 const HeartbeatAck *first_ack, RtoResult *out)
{
    out->outage_seen = first_failure_mono_us >= 0;
    out->first_failure_us = out->outage_seen ? first_failure_mono_us - fault_mono_us : -1;
    out->first_ack_seq = -1;
    if (!out->outage_seen) {
        /* Writes never failed after the fault: the service stayed up. */
        out->measured = true;
        out->rto_us = 0;
        return;
    }
    out->measured = first_ack != NULL;
    out->rto_us = first_ack != NULL ? first_ack->mono_us - fault_mono_us : -1;
    if (first_ack != NULL)
        out->first_ack_seq = first_ack->seq;
}

void measure_rpo(const HeartbeatAck *acks, size_t nacks, const PgHeartbeatRow *rows,
                 size_t nrows, RpoResult *out)
{
    out->acked = (int64_t)nacks;
    out->missing = 0;
    out->lost_ms = 0;
    out->lost_wal_bytes = 0;
    out->newest_missing_seq = -1;
    out->newest_surviving_seq = -1;
    const HeartbeatAck *newest_missing = NULL, *surviving_before = NULL, *last_surviving = NULL;
    size_t r = 0;
    /* Merge walk: both lists are ordered by seq. */
    for (size_t a = 0; a < nacks; a++) {
        while (r < nrows && rows[r].seq < acks[a].seq)
            r++;
        if (r < nrows && rows[r].seq == acks[a].seq) {
            last_surviving = &acks[a];
            continue;
        }
        out->missing++;
        newest_missing = &acks[a];
        surviving_before = last_surviving;
    }
    if (newest_missing == NULL)
        return;
    out->newest_missing_seq = newest_missing->seq;
    if (surviving_before != NULL) {
        out->newest_surviving_seq = surviving_before->seq;
        int64_t d = newest_missing->client_utc_us - surviving_before->server_ts_us;
        out->lost_ms = d > 0 ? d / 1000 : 0;
        out->lost_wal_bytes = newest_missing->lsn > surviving_before->lsn
                                  ? (int64_t)(newest_missing->lsn - surviving_before->lsn)
                                  : 0;
    } else {
        /* Nothing acknowledged survived: the loss spans from the first ack. */
        int64_t d = newest_missing->client_utc_us - acks[0].server_ts_us;
        out->lost_ms = d > 0 ? d / 1000 : 0;
        out->lost_wal_bytes = (int64_t)(newest_missing->lsn - acks[0].lsn);
    }
}

/* Is heartbeat seq among rows (ordered by seq)? */
static bool row_present(const PgHeartbeatRow *rows, size_t nrows, int64_t seq)
{
    size_t lo = 0, hi = nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rows[mid].seq == seq)
            return true;
        if (rows[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

void measure_pitr_split(const HeartbeatAck *acks, size_t nacks, const PgHeartbeatRow *rows,
                        size_t nrows, uint64_t target_lsn, size_t *first, size_t *end)
{
    size_t below = 0;   /* acks stamped below the target: [0, below) */
    while (below < nacks && acks[below].lsn < target_lsn)
        below++;
    size_t i = below;
    if (below > 0 && !row_present(rows, nrows, acks[below - 1].seq))
        i = below - 1;  /* the one in flight at the target was not replayed */
    *first = i;
    while (i < nacks && !row_present(rows, nrows, acks[i].seq))
        i++;
    *end = i;
}
