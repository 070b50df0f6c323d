/*
 * test_gate.c — the regression gate's arithmetic (engine/run/gate.c): median,
 * the PCT limit, a zero baseline, and too few baseline runs.
 */
#include "gate.h"
#include "harness.h"

TEST(median_odd_even_unsorted)
{
    double odd[] = {30, 10, 20};
    CHECK(gate_median(odd, 3) == 20);
    double even[] = {40, 10, 30, 20};
    CHECK(gate_median(even, 4) == 25);
    double one[] = {7};
    CHECK(gate_median(one, 1) == 7);
    double outlier[] = {100, 101, 99, 5000, 100};   /* one odd run does not move it */
    CHECK(gate_median(outlier, 5) == 100);
}

TEST(limit_is_baseline_plus_pct)
{
    GateOptions opt = {20, 3};
    GateVerdict v;
    double b1[] = {1000, 1200, 1100};
    gate_judge(b1, 3, &opt, 1320, &v);   /* limit 1100 * 1.2 = 1320: not beyond */
    CHECK(v.applied && v.passed);
    CHECK(v.baseline == 1100 && v.limit == 1320);
    double b2[] = {1000, 1200, 1100};
    gate_judge(b2, 3, &opt, 1321, &v);
    CHECK(v.applied && !v.passed);
    CHECK_INT(v.nbaseline, 3);
}

TEST(zero_baseline_any_increase_regresses)
{
    GateOptions opt = {50, 2};
    GateVerdict v;
    double b[] = {0, 0};
    gate_judge(b, 2, &opt, 0, &v);
    CHECK(v.applied && v.passed && v.limit == 0);
    double b2[] = {0, 0};
    gate_judge(b2, 2, &opt, 1, &v);
    CHECK(v.applied && !v.passed);
}

TEST(too_few_runs_not_applied)
{
    GateOptions opt = {10, 5};
    GateVerdict v;
    double b[] = {1, 1, 1, 1};
    gate_judge(b, 4, &opt, 1e9, &v);
    CHECK(!v.applied && v.passed);
    CHECK_INT(v.nbaseline, 4);
    gate_judge(NULL, 0, &opt, 1e9, &v);
    CHECK(!v.applied && v.passed);
}

int main(void)
{
    RUN(median_odd_even_unsorted);
    RUN(limit_is_baseline_plus_pct);
    RUN(zero_baseline_any_increase_regresses);
    RUN(too_few_runs_not_applied);
    return harness_done();
}
