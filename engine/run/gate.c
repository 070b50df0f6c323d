/* gate.c — see gate.h. */
#include "gate.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double gate_median(double *values, size_t n)
{
    qsort(values, n, sizeof *values, cmp_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

void gate_judge(double *values, size_t n, const GateOptions *opt, double measured,
                GateVerdict *out)
{
    memset(out, 0, sizeof *out);
    out->nbaseline = n;
    out->passed = true;
    if (n == 0 || n < opt->baseline_runs)
        return;
    out->applied = true;
    out->baseline = gate_median(values, n);
    out->limit = out->baseline * (1.0 + opt->max_regression_pct / 100.0);
    out->passed = measured <= out->limit;
}

/* The run's last recorded value of key, or -1. */
static double run_measure(const RunRecord *r, const char *key)
{
    for (size_t i = r->nmeasures; i > 0; i--)
        if (str_eq(r->measures[i - 1].key, key))
            return r->measures[i - 1].value;
    return -1;
}

/* Any node's system_identifier: they are equal within one cluster. */
static const char *run_sysid(const RunRecord *r)
{
    for (size_t i = 0; i < r->nfacts; i++)
        if (strncmp(r->facts[i].key, "system_identifier:", 18) == 0)
            return r->facts[i].value;
    return NULL;
}

/* "baseline median of 3 runs: 15200 ms (15000, 15200, 16100); limit +20% = 18240 ms" */
static char *describe(const GateVerdict *v, const double *values, const GateOptions *opt,
                      const char *unit)
{
    Buf b;
    buf_init(&b, 8192);
    if (!v->applied) {
        buf_appendf(&b, "not applied: %zu passed run%s of this drill on this target to compare "
                    "with, %zu needed (--baseline-runs)", v->nbaseline,
                    v->nbaseline == 1 ? "" : "s", opt->baseline_runs);
        return buf_steal(&b);
    }
    buf_appendf(&b, "baseline median of %zu runs: %.0f %s (", v->nbaseline, v->baseline, unit);
    for (size_t i = 0; i < v->nbaseline && i < 20; i++)
        buf_appendf(&b, "%s%.0f", i ? ", " : "", values[i]);
    buf_appendf(&b, "%s); limit +%g%% = %.0f %s", v->nbaseline > 20 ? ", ..." : "",
                opt->max_regression_pct, v->limit, unit);
    return buf_steal(&b);
}

static int gate_one(Store *st, const RunRecord *r, const GateOptions *opt, const char *key,
                    const char *objective, Progress *pg, DrillError *err)
{
    double measured = run_measure(r, key);
    if (measured < 0)
        return 0;   /* not measured by this drill: nothing to compare */
    BaselineQuery q = {r->drill_name, r->topology_name, run_sysid(r), key, r->id,
                       opt->baseline_runs};
    double *values = NULL;
    size_t n = 0;
    int rc = store_baseline(st, &q, &values, &n, err);
    if (rc < 0)
        return rc;
    GateVerdict v;
    gate_judge(values, n, opt, measured, &v);
    char *how = describe(&v, values, opt, "ms");
    rc = store_objective_add(st, r->id, objective, v.applied ? v.limit : -1, measured, "ms",
                             v.passed, how, err);
    progress_note(pg, "regression gate %-8s measured %.0f ms, %s: %s", objective, measured, how,
                  !v.applied ? "not applied" : v.passed ? "ok" : "REGRESSION");
    free(how);
    free(values);
    return rc < 0 ? rc : !v.passed;
}

int gate_apply(Store *st, int64_t run_id, const GateOptions *opt, Progress *pg, DrillError *err)
{
    RunRecord *r = NULL;
    int rc = store_run_load(st, run_id, &r, err);
    if (rc < 0)
        return rc;
    int rto = gate_one(st, r, opt, "rto_ms", "rto_regression", pg, err);
    int rpo = rto < 0 ? 0 : gate_one(st, r, opt, "rpo_ms", "rpo_regression", pg, err);
    run_record_free(r);
    if (rto < 0 || rpo < 0)
        return rto < 0 ? rto : rpo;
    return rto + rpo;
}
