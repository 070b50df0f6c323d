/*
 * test_divergence.c — the divergence rule and the timeline history parser on
 * hand-made histories (the real thing is covered by
 * tests/integration/test_replica_divergence.sh).
 */
#include "divergence.h"
#include "harness.h"

/* As PostgreSQL writes it: one row per ancestor, tab separated, blank line
 * between rows when the reasons end in "\n". */
static const char *const HISTORY3 = "1\t0/7014350\treached consistency\n\n"
                                    "2\t0/A005CA8\tno recovery target specified\n";

static int assess(uint32_t stli, const char *lsn, uint32_t ptli, const char *history,
                  Divergence *d)
{
    DivergenceInput in = {stli, 0, ptli, history};
    DrillError err;
    if (pg_lsn_parse(lsn, &in.standby_lsn) != 0)
        return -100;
    return divergence_assess(&in, d, &err);
}

TEST(past_the_fork_is_diverged)
{
    Divergence d;
    CHECK_INT(assess(2, "0/C008490", 3, HISTORY3, &d), 0);
    CHECK(d.diverged);
    CHECK(d.fork_known);
    CHECK_INT(d.fork_lsn, 0xA005CA8);
    CHECK_INT(d.bytes_past_fork, 0xC008490 - 0xA005CA8);
    CHECK(strstr(d.finding, "0/A005CA8") != NULL);
}

TEST(at_or_before_the_fork_can_follow)
{
    Divergence d;
    CHECK_INT(assess(2, "0/A005CA8", 3, HISTORY3, &d), 0);
    CHECK(!d.diverged);
    CHECK_INT(d.bytes_past_fork, 0);
    CHECK_INT(assess(1, "0/7000000", 3, HISTORY3, &d), 0);
    CHECK(!d.diverged);
    CHECK_INT(d.fork_lsn, 0x7014350);
}

TEST(older_ancestor_past_its_fork)
{
    Divergence d;
    CHECK_INT(assess(1, "0/8000000", 3, HISTORY3, &d), 0);
    CHECK(d.diverged);
    CHECK_INT(d.fork_lsn, 0x7014350);
}

TEST(same_timeline_is_in_sync)
{
    Divergence d;
    CHECK_INT(assess(3, "0/F000000", 3, HISTORY3, &d), 0);
    CHECK(!d.diverged);
    CHECK_INT(assess(1, "0/F000000", 1, "", &d), 0);
    CHECK(!d.diverged);
}

TEST(timeline_not_in_history_is_diverged)
{
    Divergence d;
    CHECK_INT(assess(4, "0/1000000", 3, HISTORY3, &d), 0);
    CHECK(d.diverged);
    CHECK(!d.fork_known);
    CHECK(strstr(d.finding, "not in the history") != NULL);
}

TEST(malformed_histories_are_refused)
{
    Divergence d;
    CHECK_INT(assess(1, "0/1", 3, "x\t0/1\tr\n", &d), DRILL_E_INVALID);
    CHECK_INT(assess(1, "0/1", 3, "1\tnot-an-lsn\tr\n", &d), DRILL_E_INVALID);
    CHECK_INT(assess(1, "0/1", 3, "2\t0/5\tr\n1\t0/3\tr\n", &d), DRILL_E_INVALID);
    CHECK_INT(assess(1, "0/1", 3, "0\t0/5\tr\n", &d), DRILL_E_INVALID);
    CHECK_INT(assess(1, "0/1", 3, "# comment\n\n1\t0/5\n", &d), 0);
    CHECK_INT(d.fork_lsn, 5);
}

int main(void)
{
    RUN(past_the_fork_is_diverged);
    RUN(at_or_before_the_fork_can_follow);
    RUN(older_ancestor_past_its_fork);
    RUN(same_timeline_is_in_sync);
    RUN(timeline_not_in_history_is_diverged);
    RUN(malformed_histories_are_refused);
    return harness_done();
}
