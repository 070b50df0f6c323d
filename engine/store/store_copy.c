/*
 * store_copy.c — moving history between stores (drill store copy FROM TO):
 * the finished, sealed runs of FROM appended to TO, for a team that merges
 * the throw-away stores of CI runners, or several schedulers' stores, into
 * the one its fleet overview reads.
 *
 * What stays true:
 *  - Only evidence that holds is moved: FROM's chain is verified first, and
 *    an altered store is refused whole (nothing copied).
 *  - A run keeps its UUID (the heartbeat rows on the servers carry it), its
 *    times, steps, events, measures, objectives, facts and samples; it gets
 *    TO's next id, and its batch is kept as a batch of the copies.
 *  - The chain is re-anchored, and says so: each copy is sealed as a new link
 *    of TO's chain, with two facts inside the sealed record — `copied.from`
 *    (FROM's path and the run's id there) and `copied.chain_sha256` (its
 *    link's chain hash in FROM) — so `drill verify` checks it in TO, and the
 *    original seal can still be checked against FROM or an archived report.
 *  - Idempotent: a run whose UUID TO already holds is skipped; so are runs
 *    still running or never sealed (their process may still write them) and
 *    runs stored before UUIDs existed (they could not be recognised again).
 *  - One transaction per run: a copy interrupted half-way leaves whole runs.
 * Report files (artifacts) are not copied: they name paths on the runner.
 */
#define _DEFAULT_SOURCE /* realpath */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "store.h"
#include "util.h"

static int copy_rows(Store *to, int64_t id, const RunRecord *r, DrillError *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < r->nsteps; i++) {
        const StoredStep *s = &r->steps[i];
        StepRecord sr = {s->phase, s->seq, s->name, s->kind, s->node, s->command, s->status,
                         s->exit_code, s->term_signal, s->started_utc_ms, s->ended_utc_ms,
                         s->duration_us, s->out, s->err, s->message};
        rc = store_step_add(to, id, &sr, err);
    }
    for (size_t i = 0; rc == 0 && i < r->nevents; i++)
        rc = store_event_add(to, id, r->events[i].name, r->events[i].utc_ms, r->events[i].mono_us,
                             r->events[i].detail, err);
    for (size_t i = 0; rc == 0 && i < r->nmeasures; i++)
        rc = store_measure_add(to, id, r->measures[i].key, r->measures[i].value,
                               r->measures[i].unit, r->measures[i].how, err);
    for (size_t i = 0; rc == 0 && i < r->nobjectives; i++) {
        const StoredObjective *o = &r->objectives[i];
        rc = store_objective_add(to, id, o->name, o->target, o->measured, o->unit, o->passed,
                                 o->how, err);
    }
    for (size_t i = 0; rc == 0 && i < r->nfacts; i++)
        rc = store_fact_add(to, id, r->facts[i].key, r->facts[i].value, err);
    for (size_t i = 0; rc == 0 && i < r->nsamples; i++)
        rc = store_sample_add(to, id, r->samples[i].series, r->samples[i].t_ms,
                              r->samples[i].value, err);
    return rc;
}

/* The run as a new run of `to`, finished and sealed in one transaction. */
static int copy_run(Store *from, Store *to, const RunRecord *r, int64_t *new_id, DrillError *err)
{
    RunInfo info = {r->drill_name, r->drill_file, r->drill_sha256, r->drill_source,
                    r->topology_name, r->topology_file, r->hostname, r->drill_version,
                    r->started_utc_ms, r->rto_target_ms, r->rpo_target_ms, r->rpo_tx_target,
                    r->pid, r->lock_path, r->uuid};
    int rc = store_tx_begin(to, err);
    if (rc != 0)
        return rc;
    rc = store_run_begin(to, &info, new_id, err);
    if (rc == 0)
        rc = copy_rows(to, *new_id, r, err);
    /* Where it came from, as an absolute path when the file can be resolved. */
    char *where = realpath(store_path(from), NULL);
    char *origin = xasprintf("%s#%lld", where ? where : store_path(from), (long long)r->id);
    free(where);
    if (rc == 0)
        rc = store_fact_add(to, *new_id, "copied.from", origin, err);
    if (rc == 0)
        rc = store_fact_add(to, *new_id, "copied.chain_sha256", r->seal.chain_sha256, err);
    free(origin);
    RunEnd end = {r->status, r->exit_code, r->ended_utc_ms, r->duration_us, r->message};
    if (rc == 0)
        rc = evidence_finish(to, *new_id, &end, err);
    return store_tx_end(to, rc, err);
}

/* FROM's batch ids (the id of a batch's first run) become the copies'. */
static int64_t map_batch(const StoreCopyResult *res, int64_t from_batch)
{
    for (size_t i = 0; i < res->nruns; i++)
        if (res->runs[i].from_id == from_batch)
            return res->runs[i].to_id;
    return 0;
}

/* One run of FROM: skipped (and counted) or copied (and listed). */
static int copy_one(Store *from, Store *to, int64_t id, StoreCopyResult *res, DrillError *err)
{
    RunRecord *r = NULL;
    int rc = store_run_load(from, id, &r, err);
    if (rc != 0)
        return rc;
    int64_t found = 0;
    if (!r->sealed || str_eq(r->status, "running")) {
        res->skipped_unsealed++;
    } else if (r->uuid == NULL) {
        res->skipped_no_uuid++;
    } else if ((rc = store_run_by_uuid(to, r->uuid, &found, err)) < 0) {
        /* store error: rc */
    } else if (rc == 1) {
        rc = 0;
        res->skipped_present++;
    } else {
        int64_t new_id = 0;
        rc = copy_run(from, to, r, &new_id, err);
        if (rc == 0) {
            res->runs = xrealloc(res->runs, (res->nruns + 1) * sizeof *res->runs);
            CopiedRun *c = &res->runs[res->nruns++];
            c->from_id = r->id;
            c->to_id = new_id;
            snprintf(c->uuid, sizeof c->uuid, "%s", r->uuid);
            int64_t batch = r->batch_id ? map_batch(res, r->batch_id) : 0;
            if (batch != 0)
                rc = store_run_set_batch(to, new_id, batch, err);
        }
    }
    run_record_free(r);
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = ((const RunSummary *)a)->id, y = ((const RunSummary *)b)->id;
    return (x > y) - (x < y);
}

int store_copy_check(Store *from, DrillError *err)
{
    EvidenceCheck chk;
    int rc = evidence_verify(from, 0, &chk, err);
    if (rc != 0)
        return rc;
    if (chk.first_bad_run != 0 && chk.altered)
        return drill_error_set(err, DRILL_E_FAILED, "store %s: run %lld: %s\n  hint: nothing "
                               "was copied; `drill verify --db %s` tells more",
                               store_path(from), (long long)chk.first_bad_run, chk.problem,
                               store_path(from));
    return 0;
}

int store_copy(Store *from, Store *to, StoreCopyResult *res, DrillError *err)
{
    memset(res, 0, sizeof *res);
    int rc = store_copy_check(from, err);
    if (rc != 0)
        return rc;
    RunSummary *runs = NULL;
    size_t n = 0;
    rc = store_history(from, NULL, 0, &runs, &n, err);
    if (rc != 0)
        return rc;
    qsort(runs, n, sizeof *runs, cmp_id);   /* oldest first: TO's chain in FROM's order */
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = copy_one(from, to, runs[i].id, res, err);
    free(runs);
    return rc;
}

void store_copy_result_free(StoreCopyResult *res)
{
    if (res == NULL)
        return;
    free(res->runs);
    res->runs = NULL;
    res->nruns = 0;
}
