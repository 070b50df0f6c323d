/*
 * test_measure.c — RTO and RPO arithmetic on small, hand-made heartbeat
 * histories (the real thing is covered by tests/integration/test_primary_wipe.sh).
 */
#include "harness.h"
#include "measure.h"

static HeartbeatAck ack(int64_t seq, int64_t t_ms)
{
    /* client ack 2 ms after the server timestamp; 100 WAL bytes per row */
    HeartbeatAck a = {seq, t_ms * 1000 + 2000, t_ms * 1000 + 2000, t_ms * 1000,
                      (uint64_t)(1000 + seq * 100), false, t_ms * 1000, 0};
    return a;
}

static PgHeartbeatRow row(int64_t seq)
{
    PgHeartbeatRow r = {seq, 0, 0};
    return r;
}

TEST(rpo_nothing_lost)
{
    HeartbeatAck acks[] = {ack(1, 10), ack(2, 20), ack(3, 30)};
    PgHeartbeatRow rows[] = {row(1), row(2), row(3), row(4)};
    RpoResult r;
    measure_rpo(acks, 3, rows, 4, &r);
    CHECK_INT(r.missing, 0);
    CHECK_INT(r.lost_ms, 0);
    CHECK_INT(r.lost_wal_bytes, 0);
    CHECK_INT(r.newest_missing_seq, -1);
}

TEST(rpo_tail_lost)
{
    /* seq 3 and 4 acknowledged but gone; 6 written after recovery survives */
    HeartbeatAck acks[] = {ack(1, 10), ack(2, 20), ack(3, 30), ack(4, 40), ack(6, 900)};
    PgHeartbeatRow rows[] = {row(1), row(2), row(6)};
    RpoResult r;
    measure_rpo(acks, 5, rows, 3, &r);
    CHECK_INT(r.missing, 2);
    CHECK_INT(r.newest_missing_seq, 4);
    CHECK_INT(r.newest_surviving_seq, 2);
    CHECK_INT(r.lost_ms, 22);         /* ack of seq 4 (42 ms) - server time of seq 2 (20 ms) */
    CHECK_INT(r.lost_wal_bytes, 200); /* lsn(4) - lsn(2) */
}

TEST(rpo_everything_lost)
{
    HeartbeatAck acks[] = {ack(1, 10), ack(2, 20)};
    RpoResult r;
    measure_rpo(acks, 2, NULL, 0, &r);
    CHECK_INT(r.missing, 2);
    CHECK_INT(r.newest_surviving_seq, -1);
    CHECK_INT(r.lost_ms, 12);
}

TEST(rpo_no_acks)
{
    RpoResult r;
    measure_rpo(NULL, 0, NULL, 0, &r);
    CHECK_INT(r.acked, 0);
    CHECK_INT(r.missing, 0);
}

/* acks 1..8 stamped at LSN 1100..1800; target 1450: 1..4 stamped below it.
 * After the restore (new timeline) the writer goes on with 9, 10 (stamped
 * above the target too, but present). */
TEST(pitr_split_straddler_kept)
{
    HeartbeatAck acks[] = {ack(1, 10), ack(2, 20), ack(3, 30), ack(4, 40), ack(5, 50),
                           ack(6, 60), ack(9, 90), ack(10, 100)};
    PgHeartbeatRow rows[] = {row(1), row(2), row(3), row(4), row(9), row(10)};
    size_t first, end;
    measure_pitr_split(acks, 8, rows, 6, 1450, &first, &end);
    CHECK_INT(first, 4);   /* 4 committed before the target: kept */
    CHECK_INT(end, 6);     /* 5, 6 discarded; 9, 10 written after the restore */
}

TEST(pitr_split_straddler_discarded)
{
    HeartbeatAck acks[] = {ack(1, 10), ack(2, 20), ack(3, 30), ack(4, 40), ack(5, 50),
                           ack(9, 90)};
    PgHeartbeatRow rows[] = {row(1), row(2), row(3), row(9)};
    size_t first, end;
    measure_pitr_split(acks, 6, rows, 4, 1450, &first, &end);
    CHECK_INT(first, 3);   /* 4 was in flight at the target and not replayed */
    CHECK_INT(end, 5);
}

TEST(pitr_split_loss_before_target_is_not_discarded)
{
    HeartbeatAck acks[] = {ack(1, 10), ack(2, 20), ack(3, 30), ack(4, 40), ack(5, 50)};
    PgHeartbeatRow rows[] = {row(1), row(3), row(4)};
    size_t first, end;
    measure_pitr_split(acks, 5, rows, 3, 1450, &first, &end);
    CHECK_INT(first, 4);   /* 2 is missing before the target: loss, left to RPO */
    CHECK_INT(end, 5);
}

TEST(rto_with_outage)
{
    HeartbeatAck first = ack(50, 3000);
    RtoResult r;
    measure_rto(1000000, 1010000, &first, &r);
    CHECK(r.measured);
    CHECK(r.outage_seen);
    CHECK_INT(r.rto_us, 3002000 - 1000000);
    CHECK_INT(r.first_failure_us, 10000);
    CHECK_INT(r.first_ack_seq, 50);
}

TEST(rto_never_restored)
{
    RtoResult r;
    measure_rto(1000000, 1010000, NULL, &r);
    CHECK(!r.measured);
    CHECK_INT(r.rto_us, -1);
}

TEST(rto_no_outage)
{
    RtoResult r;
    measure_rto(1000000, -1, NULL, &r);
    CHECK(r.measured);
    CHECK(!r.outage_seen);
    CHECK_INT(r.rto_us, 0);
}

int main(void)
{
    RUN(rpo_nothing_lost);
    RUN(rpo_tail_lost);
    RUN(rpo_everything_lost);
    RUN(rpo_no_acks);
    RUN(pitr_split_straddler_kept);
    RUN(pitr_split_straddler_discarded);
    RUN(pitr_split_loss_before_target_is_not_discarded);
    RUN(rto_with_outage);
    RUN(rto_never_restored);
    RUN(rto_no_outage);
    return harness_done();
}
