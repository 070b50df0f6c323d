/*
 * store_record.c — one whole run read back (store_run_load): its row and
 * every child row from one read snapshot, in the order store.h promises,
 * with its evidence link; run_record_free (texts as record.h lists them)
 * and run_record_fact. Reports and the evidence hash are computed from
 * this, never from the in-memory run.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "record.h"

static void row_step(StoreStmt *s, void *elem)
{
    StoredStep *p = elem;
    p->seq = stmt_col_int(s, 0);
    p->phase = store_col_text(s, 1);
    p->name = store_col_text(s, 2);
    p->kind = store_col_text(s, 3);
    p->node = store_col_text(s, 4);
    p->command = store_col_text(s, 5);
    p->status = store_col_text(s, 6);
    p->exit_code = stmt_col_int(s, 7);
    p->term_signal = stmt_col_int(s, 8);
    p->started_utc_ms = stmt_col_int64(s, 9);
    p->ended_utc_ms = stmt_col_int64(s, 10);
    p->duration_us = stmt_col_int64(s, 11);
    p->out = store_col_text(s, 12);
    p->err = store_col_text(s, 13);
    p->message = store_col_text(s, 14);
}

static void row_event(StoreStmt *s, void *elem)
{
    StoredEvent *p = elem;
    p->name = store_col_text(s, 0);
    p->utc_ms = stmt_col_int64(s, 1);
    p->mono_us = stmt_col_int64(s, 2);
    p->detail = store_col_text(s, 3);
}

static void row_measure(StoreStmt *s, void *elem)
{
    StoredMeasure *p = elem;
    p->key = store_col_text(s, 0);
    p->value = store_col_real(s, 1);
    p->unit = store_col_text(s, 2);
    p->how = store_col_text(s, 3);
}

static void row_objective(StoreStmt *s, void *elem)
{
    StoredObjective *p = elem;
    p->name = store_col_text(s, 0);
    p->target = store_col_real(s, 1);
    p->measured = store_col_real(s, 2);
    p->unit = store_col_text(s, 3);
    p->passed = stmt_col_int(s, 4) != 0;
    p->how = store_col_text(s, 5);
}

static void row_fact(StoreStmt *s, void *elem)
{
    StoredFact *p = elem;
    p->key = store_col_text(s, 0);
    p->value = store_col_text(s, 1);
}

static void row_sample(StoreStmt *s, void *elem)
{
    StoredSample *p = elem;
    p->series = store_col_text(s, 0);
    p->t_ms = stmt_col_int64(s, 1);
    p->value = store_col_real(s, 2);
}

static void row_run(StoreStmt *s, void *elem)
{
    RunRecord *r = elem;
    r->id = stmt_col_int64(s, 0);
    r->drill_name = store_col_text(s, 1);
    r->drill_file = store_col_text(s, 2);
    r->drill_sha256 = store_col_text(s, 3);
    r->drill_source = store_col_text(s, 4);
    r->topology_name = store_col_text(s, 5);
    r->topology_file = store_col_text(s, 6);
    r->hostname = store_col_text(s, 7);
    r->drill_version = store_col_text(s, 8);
    r->status = store_col_text(s, 9);
    r->message = store_col_text(s, 10);
    r->exit_code = stmt_col_int(s, 11);
    r->started_utc_ms = stmt_col_int64(s, 12);
    r->ended_utc_ms = stmt_col_int64(s, 13);
    r->duration_us = stmt_col_int64(s, 14);
    r->rto_target_ms = stmt_col_int64(s, 15);
    r->rpo_target_ms = stmt_col_int64(s, 16);
    r->rpo_tx_target = stmt_col_int64(s, 17);
    r->batch_id = stmt_col_int64(s, 18);
    r->uuid = store_col_text(s, 19);
    r->pid = stmt_col_int64(s, 20);
    r->lock_path = store_col_text(s, 21);
}

/* Children of a run, each in the order store.h promises. `id` breaks ties so
 * the order (and so every report) is deterministic. */
static int load_children(Store *st, RunRecord *r, DrillError *err)
{
    void *steps = NULL, *events = NULL, *measures = NULL, *objectives = NULL, *facts = NULL,
         *samples = NULL;
    int rc = store_load_rows(st,
                             "SELECT seq, phase, name, kind, node, command, status, exit_code,"
                             " term_signal, started_ms, ended_ms, duration_us, out, err, message"
                             " FROM steps WHERE run_id = ?1 ORDER BY seq, id",
                             r->id, sizeof *r->steps, row_step, &steps, &r->nsteps, err);
    if (rc == 0)
        rc = store_load_rows(st,
                             "SELECT name, utc_ms, mono_us, detail FROM events WHERE run_id = ?1"
                             " ORDER BY mono_us, id",
                             r->id, sizeof *r->events, row_event, &events, &r->nevents, err);
    if (rc == 0)
        rc = store_load_rows(st,
                             "SELECT key, value, unit, how FROM measures WHERE run_id = ?1 ORDER BY id",
                             r->id, sizeof *r->measures, row_measure, &measures, &r->nmeasures, err);
    if (rc == 0)
        rc = store_load_rows(st,
                             "SELECT name, target, measured, unit, passed, how FROM objectives"
                             " WHERE run_id = ?1 ORDER BY id",
                             r->id, sizeof *r->objectives, row_objective, &objectives,
                             &r->nobjectives, err);
    if (rc == 0)
        rc = store_load_rows(st, "SELECT key, value FROM facts WHERE run_id = ?1 ORDER BY key, id",
                             r->id, sizeof *r->facts, row_fact, &facts, &r->nfacts, err);
    if (rc == 0)
        rc = store_load_rows(st,
                             "SELECT series, t_ms, value FROM samples WHERE run_id = ?1"
                             " ORDER BY series, t_ms, id",
                             r->id, sizeof *r->samples, row_sample, &samples, &r->nsamples, err);
    r->steps = steps;
    r->events = events;
    r->measures = measures;
    r->objectives = objectives;
    r->facts = facts;
    r->samples = samples;
    return rc;
}

static int load_run_row(Store *st, int64_t run_id, RunRecord **out, DrillError *err)
{
    void *rows = NULL;
    size_t n = 0;
    int rc = store_load_rows(st,
                             "SELECT id, drill_name, drill_file, drill_sha256, drill_source,"
                             " topology_name, topology_file, hostname, drill_version, status, message,"
                             " exit_code, started_ms, ended_ms, duration_us, rto_target_ms,"
                             " rpo_target_ms, rpo_tx_target, batch_id, uuid, pid, lock_path FROM runs"
                             " WHERE id = ?1",
                             run_id, sizeof(RunRecord), row_run, &rows, &n, err);
    if (rc == 0 && n == 0) {
        free(rows);
        return drill_error_set(err, DRILL_E_NOTFOUND, "store %s has no run %lld", st->path,
                               (long long)run_id);
    }
    *out = rows;
    return rc;
}

static int load_seal(Store *st, RunRecord *r, DrillError *err)
{
    EvidenceLink *link = NULL;
    size_t n = 0;
    int rc = store_load_links(st, "SELECT " LINK_COLUMNS " FROM evidence WHERE run_id = ?1", r->id,
                              &link, &n, err);
    r->sealed = rc == 0 && n == 1;
    if (r->sealed)
        r->seal = *link;
    free(link);
    return rc;
}

int store_run_load(Store *st, int64_t run_id, RunRecord **out, DrillError *err)
{
    *out = NULL;
    RunRecord *r = NULL;
    /* One read transaction: all tables from the same snapshot even while the
     * runner is still writing from another process. */
    int rc = store_tx_open(st, "BEGIN", "loading a run", err);
    if (rc != 0)
        return rc;
    rc = load_run_row(st, run_id, &r, err);
    if (rc == 0)
        rc = load_children(st, r, err);
    if (rc == 0)
        rc = load_seal(st, r, err);
    rc = store_tx_close(st, rc, "loading a run", err);
    if (rc != 0) {
        run_record_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void run_record_free(RunRecord *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nsteps; i++)
        record_free_texts(&r->steps[i], record_step_fields, record_step_nfields);
    for (size_t i = 0; i < r->nevents; i++) {
        free(r->events[i].name);
        free(r->events[i].detail);
    }
    for (size_t i = 0; i < r->nmeasures; i++) {
        free(r->measures[i].key);
        free(r->measures[i].unit);
        free(r->measures[i].how);
    }
    for (size_t i = 0; i < r->nobjectives; i++) {
        free(r->objectives[i].name);
        free(r->objectives[i].unit);
        free(r->objectives[i].how);
    }
    for (size_t i = 0; i < r->nfacts; i++) {
        free(r->facts[i].key);
        free(r->facts[i].value);
    }
    for (size_t i = 0; i < r->nsamples; i++)
        free(r->samples[i].series);
    record_free_texts(r, record_run_fields, record_run_nfields);
    free(r->steps);
    free(r->events);
    free(r->measures);
    free(r->objectives);
    free(r->facts);
    free(r->samples);
    free(r);
}

const char *run_record_fact(const RunRecord *r, const char *key)
{
    for (size_t i = 0; i < r->nfacts; i++)
        if (r->facts[i].key != NULL && strcmp(r->facts[i].key, key) == 0)
            return r->facts[i].value;
    return NULL;
}
