/*
 * batch.c — several drills in one `drill run` (A B C, or --suite FILE):
 * runs the plans one after the other against one topology, groups the runs
 * in the store as one batch (its first run's id), and prints the outcome —
 * a human summary or one JSON document (a run's fields as record.h names
 * them) — from the STORED runs, like the reports. The exit status is the
 * worst of the runs' (0 < 1 < 2 < 3 < 128+N).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "color.h"
#include "json.h"
#include "record.h"
#include "util.h"

int cli_load_batch(const char *cmd, Store *st, int64_t batch_id, RunRecord ***recs, size_t *n)
{
    int64_t *ids = NULL;
    DrillError err;
    *recs = NULL;
    *n = 0;
    size_t nids = 0;
    if (store_batch_runs(st, batch_id, &ids, &nids, &err) < 0)
        return cli_fail(cmd, &err);
    *recs = xcalloc(nids, sizeof **recs);
    int rc = 0;
    for (size_t i = 0; i < nids && rc == 0; i++) {
        if (store_run_load(st, ids[i], &(*recs)[i], &err) < 0)
            rc = cli_fail(cmd, &err);
        else
            (*n)++;
    }
    free(ids);
    return rc;
}

int cli_load_runs(const char *cmd, Store *st, const char *arg, bool batch, RunRecord ***recs,
                  size_t *n)
{
    *recs = NULL;
    *n = 0;
    char *end = NULL;
    long long id = strtoll(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || id <= 0)
        return cli_usage(cmd, "\"%s\" is not a %s id (see `drill history`)", arg,
                         batch ? "batch" : "run");
    if (batch)
        return cli_load_batch(cmd, st, id, recs, n);
    DrillError err;
    *recs = xcalloc(1, sizeof **recs);
    if (store_run_load(st, id, &(*recs)[0], &err) < 0)
        return cli_fail(cmd, &err);
    *n = 1;
    return 0;
}

void cli_free_batch(RunRecord **recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        run_record_free(recs[i]);
    free(recs);
}

/* A word in its verdict color (stdout). */
void cli_put_word(const char *word)
{
    printf("%s%s%s", color_on(stdout, word), word, color_off(stdout));
}

void cli_print_objective(const StoredObjective *o)
{
    printf("  objective %-17s ", o->name);
    if (o->target >= 0)
        printf("target %.0f %s, ", o->target, o->unit);
    if (o->measured < 0) {
        printf("not measured (%s): ", o->how);
        cli_put_word("MISSED");
    } else {
        printf("measured %.0f %s: ", o->measured, o->unit);
        if (o->target < 0) {   /* a gate that was not applied: `how` says why */
            cli_put_word("not applied");
            printf(" (%s)", strncmp(o->how, "not applied: ", 13) == 0 ? o->how + 13 : o->how);
        } else {
            cli_put_word(o->passed ? "met" : "MISSED");
        }
        if (o->target >= 0 && strstr(o->name, "regression") != NULL)
            printf(" (%s)", o->how);   /* the baseline it was judged against */
    }
    putchar('\n');
}

static void print_run(const RunRecord *r)
{
    printf("%s: ", r->drill_name);
    cli_put_word(r->status);
    printf(" (run %lld)\n", (long long)r->id);
    for (size_t i = 0; i < r->nobjectives; i++)
        cli_print_objective(&r->objectives[i]);
    if (r->nmeasures > 0)
        fputs("  measured:", stdout);
    for (size_t i = 0; i < r->nmeasures; i++)
        printf(" %s=%.0f%s", r->measures[i].key, r->measures[i].value,
               i + 1 < r->nmeasures ? "," : "\n");
    if (r->message != NULL && *r->message != '\0')
        printf("  %s\n", r->message);
    /* The anchor to archive outside the store (drill verify --expect-head). */
    if (r->sealed)
        printf("  evidence: sealed as link %lld, chain head %s\n", (long long)r->seal.seq,
               r->seal.chain_sha256);
}

static void print_text(RunRecord *const *recs, size_t n, const BatchOutcome *o)
{
    for (size_t i = 0; i < n; i++)
        print_run(recs[i]);
    for (size_t i = 0; i < o->nnot_run; i++)
        printf("%s: not run (--fail-fast: an earlier drill did not pass)\n", o->not_run[i]);
    if (n + o->nnot_run > 1)
        printf("batch %lld: %zu drill%s run, exit status %d\n", (long long)o->batch_id, n,
               n == 1 ? "" : "s", o->exit_code);
}

/* -1 is the store's "not set / not measured": null in JSON. */
static void kv_opt_number(JsonWriter *w, const char *key, double v)
{
    json_key(w, key);
    if (v < 0)
        json_null(w);
    else
        json_number(w, v);
}

static void json_run_objectives(JsonWriter *w, const RunRecord *r)
{
    json_key(w, "objectives");
    json_array_begin(w);
    for (size_t i = 0; i < r->nobjectives; i++) {
        const StoredObjective *o = &r->objectives[i];
        json_object_begin(w);
        json_kv_string(w, "name", o->name);
        kv_opt_number(w, "target", o->target);
        kv_opt_number(w, "measured", o->measured);
        json_kv_string(w, "unit", o->unit);
        json_kv_bool(w, "passed", o->passed);
        json_kv_string(w, "how", o->how);
        json_object_end(w);
    }
    json_array_end(w);
}

/* One field as JSON: times as UTC text, durations in ms. */
static void json_field(JsonWriter *w, const RunRecord *r, const RecordField *f)
{
    int64_t v = record_number(r, f);
    char ts[40];
    if (f->type == RECORD_TEXT) {
        json_kv_string(w, f->json, record_text(r, f));
    } else if (f->flags & RECORD_UTC_MS) {
        time_format_utc_ms(v, ts, sizeof ts);
        json_kv_string(w, f->json, ts);
    } else if (f->flags & RECORD_DURATION_US) {
        json_kv_number(w, f->json, (double)(v / 1000));
    } else {
        json_kv_int(w, f->json, v);
    }
}

/* The steps as run, numbered from 1 as everywhere else. */
static void json_run_steps(JsonWriter *w, const RunRecord *r)
{
    json_key(w, "steps");
    json_array_begin(w);
    for (size_t i = 0; i < r->nsteps; i++) {
        const StoredStep *s = &r->steps[i];
        char ts[40];
        time_format_utc_ms(s->started_utc_ms, ts, sizeof ts);
        json_object_begin(w);
        json_kv_int(w, "number", (int64_t)s->seq + 1);
        json_kv_string(w, "phase", s->phase);
        json_kv_string(w, "name", s->name);
        json_kv_string(w, "kind", s->kind);
        json_kv_string(w, "node", s->node);
        json_kv_string(w, "status", s->status);
        json_key(w, "exit_code");   /* null: the step ran no process */
        s->exit_code >= 0 ? json_int(w, s->exit_code) : json_null(w);
        json_kv_string(w, "started", ts);
        json_kv_number(w, "duration_ms", (double)s->duration_us / 1000.0);
        json_kv_string(w, "message", s->message);
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_run_events(JsonWriter *w, const RunRecord *r)
{
    json_key(w, "events");
    json_array_begin(w);
    for (size_t i = 0; i < r->nevents; i++) {
        char ts[40];
        time_format_utc_ms(r->events[i].utc_ms, ts, sizeof ts);
        json_object_begin(w);
        json_kv_string(w, "name", r->events[i].name);
        json_kv_string(w, "at", ts);
        json_kv_string(w, "detail", r->events[i].detail);
        json_object_end(w);
    }
    json_array_end(w);
}

void cli_json_run(JsonWriter *w, const RunRecord *r)
{
    static const RecordGroup order[] = {RECORD_IDENTITY, RECORD_OUTCOME, RECORD_TIME};
    const RecordField *fields[RECORD_FIELDS_MAX];
    size_t n = record_order(record_run_fields, record_run_nfields, order,
                            sizeof order / sizeof order[0], fields);
    json_object_begin(w);
    for (size_t i = 0; i < n; i++)
        if (fields[i]->json != NULL)
            json_field(w, r, fields[i]);
    json_key(w, "measures");
    json_object_begin(w);
    for (size_t i = 0; i < r->nmeasures; i++)
        json_kv_number(w, r->measures[i].key, r->measures[i].value);
    json_object_end(w);
    json_run_objectives(w, r);
    json_run_steps(w, r);
    json_run_events(w, r);
    json_key(w, "evidence");
    json_object_begin(w);
    json_kv_bool(w, "sealed", r->sealed);
    if (r->sealed) {
        json_kv_int(w, "chain_seq", r->seal.seq);
        json_kv_string(w, "record_sha256", r->seal.record_sha256);
        json_kv_string(w, "chain_sha256", r->seal.chain_sha256);
    }
    json_object_end(w);
    json_object_end(w);
}

static int print_json(RunRecord *const *recs, size_t n, const BatchOutcome *o)
{
    JsonWriter w;
    json_begin(&w, "run");
    json_kv_bool(&w, "dry_run", false);
    json_kv_int(&w, "batch_id", o->batch_id);
    json_kv_int(&w, "exit_code", o->exit_code);
    json_key(&w, "runs");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        cli_json_run(&w, recs[i]);
    json_array_end(&w);
    json_key(&w, "not_run");
    json_array_begin(&w);
    for (size_t i = 0; i < o->nnot_run; i++)
        json_string(&w, o->not_run[i]);
    json_array_end(&w);
    DrillError err;
    return json_finish(&w, stdout, &err) < 0 ? cli_fail("run", &err) : 0;
}

int cli_print_runs_json(const char *cmd, RunRecord *const *recs, size_t n)
{
    JsonWriter w;
    json_begin(&w, cmd);
    json_key(&w, "runs");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        cli_json_run(&w, recs[i]);
    json_array_end(&w);
    DrillError err;
    return json_finish(&w, stdout, &err) < 0 ? cli_fail(cmd, &err) : 0;
}

/* Worst wins: every exit status is ordered by how bad it is. */
static int worse(int a, int b)
{
    return a > b ? a : b;
}

int batch_execute(Store *st, Plan *const *plans, size_t n, const BatchOptions *bo,
                  BatchOutcome *out, DrillError *err)
{
    memset(out, 0, sizeof *out);
    out->run_ids = xcalloc(n, sizeof *out->run_ids);
    out->not_run = xcalloc(n, sizeof *out->not_run);
    for (size_t i = 0; i < n; i++) {
        /* A signal (128+N) stops the batch: the operator wants out. */
        bool stop = out->exit_code >= 128 || (bo->fail_fast && out->exit_code != 0);
        if (stop) {
            out->not_run[out->nnot_run++] = plans[i]->scenario->name;
            continue;
        }
        RunResult res;
        if (runner_run(plans[i], st, bo->run, &res, err) < 0)
            return -1;
        out->run_ids[out->nruns++] = res.run_id;
        if (out->batch_id == 0)
            out->batch_id = res.run_id;
        if (store_run_set_batch(st, res.run_id, out->batch_id, err) < 0)
            return -1;
        out->exit_code = worse(out->exit_code, res.exit_code);
    }
    return 0;
}

void batch_outcome_free(BatchOutcome *o)
{
    free(o->run_ids);
    free(o->not_run);
}

int batch_report(Store *st, const BatchOutcome *o, const BatchOptions *bo)
{
    RunRecord **recs = xcalloc(o->nruns + 1, sizeof *recs);
    size_t n = 0;
    DrillError err;
    int rc = 0;
    for (size_t i = 0; i < o->nruns && rc == 0; i++) {
        if (store_run_load(st, o->run_ids[i], &recs[i], &err) < 0)
            rc = cli_fail("run", &err);
        else
            n++;
    }
    if (rc == 0 && bo->json)
        rc = print_json(recs, n, o);
    else if (rc == 0)
        print_text(recs, n, o);
    if (rc == 0 && n > 0)
        rc = cli_write_batch_reports("run", st, (const RunRecord *const *)recs, n, bo->junit,
                                     bo->html);
    cli_free_batch(recs, n);
    return rc;
}
