/*
 * evidence.c — the hash chain over finished runs (contract in evidence.h).
 *
 * Canonical form: the text "drill-evidence-vN\n", then every stored field in
 * a fixed order, each written as  TAG ' ' LENGTH ':' BYTES '\n'  (or TAG " -\n"
 * for NULL). Length prefixes make the encoding unambiguous whatever a field
 * contains (newlines, colons, NUL-free binary junk from a command's output),
 * and numbers are written as decimal text in the C locale (%.17g round-trips
 * a double exactly), so the same stored record always hashes the same on any
 * machine. It is streamed into SHA-256: a run with megabytes of output is
 * never held twice in memory.
 *
 * The run's and each step's fields, and the tag and form of each, are
 * those of record.h's tables; their order is put_fields'.
 *
 * Form 2 (schema v5 on) adds the run's UUID, pid and lock path, so every
 * stored byte of a run except its batch grouping (set after sealing, see
 * store.h) is covered. Form 1 is kept for links sealed before: a store
 * upgraded from an older drill still verifies.
 */
#include "evidence.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "util.h"

static void put_str(Sha256 *h, const char *tag, const char *v)
{
    char head[96];
    int n = v == NULL ? snprintf(head, sizeof head, "%s -\n", tag)
                      : snprintf(head, sizeof head, "%s %zu:", tag, strlen(v));
    sha256_update(h, head, (size_t)n);
    if (v != NULL) {
        sha256_update(h, v, strlen(v));
        sha256_update(h, "\n", 1);
    }
}

static void put_int(Sha256 *h, const char *tag, int64_t v)
{
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, v);
    put_str(h, tag, num);
}

static void put_real(Sha256 *h, const char *tag, double v)
{
    char num[40];
    if (isnan(v))
        snprintf(num, sizeof num, "nan");
    else
        snprintf(num, sizeof num, "%.17g", v);
    put_str(h, tag, num);
}

/* Where field f goes in form `format`: pass 0 the record's key, pass 1 the
 * fields form 2 added, pass 2 every other text, pass 3 every other number
 * (form 1 wrote the key, texts, numbers; form 2 put its additions after the
 * key); -1 = not in this form. */
static int field_pass(const RecordField *f, int format)
{
    if (f->evidence == NULL || f->since > format)
        return -1;
    if (f->flags & RECORD_KEY)
        return 0;
    if (f->since >= 2)
        return 1;
    return f->type == RECORD_TEXT ? 2 : 3;
}

/* The fields of one record (a RunRecord or StoredStep, as the table is),
 * pass by pass, each pass in table order. */
static void put_fields(Sha256 *h, const void *rec, const RecordField *fields, size_t n,
                       int format)
{
    for (int pass = 0; pass <= 3; pass++)
        for (size_t i = 0; i < n; i++) {
            const RecordField *f = &fields[i];
            if (field_pass(f, format) != pass)
                continue;
            if (f->type == RECORD_TEXT)
                put_str(h, f->evidence, record_text(rec, f));
            else
                put_int(h, f->evidence, record_number(rec, f));
        }
}

static void put_children(Sha256 *h, const RunRecord *r, int format)
{
    put_int(h, "steps", (int64_t)r->nsteps);
    for (size_t i = 0; i < r->nsteps; i++)
        put_fields(h, &r->steps[i], record_step_fields, record_step_nfields, format);
    put_int(h, "events", (int64_t)r->nevents);
    for (size_t i = 0; i < r->nevents; i++) {
        const StoredEvent *e = &r->events[i];
        put_str(h, "event.name", e->name);
        put_str(h, "event.detail", e->detail);
        put_int(h, "event.utc", e->utc_ms);
        put_int(h, "event.mono", e->mono_us);
    }
    put_int(h, "measures", (int64_t)r->nmeasures);
    for (size_t i = 0; i < r->nmeasures; i++) {
        const StoredMeasure *m = &r->measures[i];
        put_str(h, "measure.key", m->key);
        put_real(h, "measure.value", m->value);
        put_str(h, "measure.unit", m->unit);
        put_str(h, "measure.how", m->how);
    }
    put_int(h, "objectives", (int64_t)r->nobjectives);
    for (size_t i = 0; i < r->nobjectives; i++) {
        const StoredObjective *o = &r->objectives[i];
        put_str(h, "objective.name", o->name);
        put_real(h, "objective.target", o->target);
        put_real(h, "objective.measured", o->measured);
        put_str(h, "objective.unit", o->unit);
        put_int(h, "objective.passed", o->passed);
        put_str(h, "objective.how", o->how);
    }
}

static void put_data(Sha256 *h, const RunRecord *r)
{
    put_int(h, "facts", (int64_t)r->nfacts);
    for (size_t i = 0; i < r->nfacts; i++) {
        put_str(h, "fact.key", r->facts[i].key);
        put_str(h, "fact.value", r->facts[i].value);
    }
    put_int(h, "samples", (int64_t)r->nsamples);
    for (size_t i = 0; i < r->nsamples; i++) {
        put_str(h, "sample.series", r->samples[i].series);
        put_int(h, "sample.t", r->samples[i].t_ms);
        put_real(h, "sample.value", r->samples[i].value);
    }
}

void evidence_record_hash(const RunRecord *r, int format, char out[65])
{
    Sha256 *h = sha256_new();
    char magic[32];
    int n = snprintf(magic, sizeof magic, "drill-evidence-v%d\n", format);
    sha256_update(h, magic, (size_t)n);
    put_fields(h, r, record_run_fields, record_run_nfields, format);
    put_children(h, r, format);
    put_data(h, r);
    sha256_final(h, out);
}

int evidence_seal(Store *st, int64_t run_id, DrillError *err)
{
    RunRecord *r = NULL;
    int rc = store_run_load(st, run_id, &r, err);
    if (rc == 0 && r->sealed)
        rc = drill_error_set(err, DRILL_E_INVALID, "run %lld is already sealed",
                             (long long)run_id);
    if (rc == 0 && strcmp(r->status, "running") == 0)
        rc = drill_error_set(err, DRILL_E_INVALID, "run %lld is still running: only a "
                             "finished run can be sealed", (long long)run_id);
    char hash[65];
    EvidenceLink link;
    if (rc == 0) {
        evidence_record_hash(r, EVIDENCE_FORMAT, hash);
        rc = store_evidence_append(st, run_id, EVIDENCE_FORMAT, hash, &link, err);
    }
    run_record_free(r);
    return rc;
}

int evidence_finish(Store *st, int64_t run_id, const RunEnd *end, DrillError *err)
{
    int rc = store_tx_begin(st, err);
    if (rc != 0)
        return rc;
    rc = store_run_finish(st, run_id, end->verdict, end->exit_code, end->ended_utc_ms,
                          end->duration_us, end->message, err);
    if (rc == 0)
        rc = evidence_seal(st, run_id, err);
    return store_tx_end(st, rc, err);
}

__attribute__((format(printf, 3, 4))) static void bad(EvidenceCheck *c, int64_t run,
                                                      const char *fmt, ...)
{
    c->first_bad_run = run;
    c->altered = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->problem, sizeof c->problem, fmt, ap);
    va_end(ap);
}

/* Checks one link against the previous chain hash and the stored run. */
static int check_link(Store *st, const EvidenceLink *l, const char *prev, EvidenceCheck *c,
                      DrillError *err)
{
    char chain[65], hash[65];
    if (strcmp(l->prev_sha256, prev) != 0) {
        bad(c, l->run_id, "its link does not follow the previous one (expected previous %.16s…, "
            "found %.16s…): a sealed run before it was removed, or the chain was edited",
            prev, l->prev_sha256);
        return 0;
    }
    evidence_chain_next(l->prev_sha256, l->record_sha256, chain);
    if (strcmp(chain, l->chain_sha256) != 0) {
        bad(c, l->run_id, "its link was edited (chain hash %.16s… should be %.16s…)",
            l->chain_sha256, chain);
        return 0;
    }
    RunRecord *r = NULL;
    int rc = store_run_load(st, l->run_id, &r, err);
    if (rc == DRILL_E_NOTFOUND) {
        bad(c, l->run_id, "it was sealed but is no longer in the store (deleted)");
        return 0;
    }
    if (rc < 0)
        return rc;
    if (l->format < 1 || l->format > EVIDENCE_FORMAT) {
        bad(c, l->run_id, "its link names canonical form %d, which this drill does not know "
            "(edited, or sealed by a newer drill)", l->format);
        run_record_free(r);
        return 0;
    }
    evidence_record_hash(r, l->format, hash);
    if (strcmp(hash, l->record_sha256) != 0)
        bad(c, l->run_id, "its stored record was altered after it was sealed (record hashes "
            "to %.16s…, sealed as %.16s…)", hash, l->record_sha256);
    run_record_free(r);
    return 0;
}

int evidence_verify(Store *st, int64_t upto, EvidenceCheck *out, DrillError *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->head_sha256, sizeof out->head_sha256, "%s", EVIDENCE_GENESIS);
    EvidenceLink *links = NULL;
    int64_t *unsealed = NULL;
    size_t n = 0, nu = 0;
    int rc = store_evidence_list(st, &links, &n, err);
    if (rc == 0)
        rc = store_runs_unsealed(st, &unsealed, &nu, err);
    for (size_t i = 0; rc == 0 && i < n && out->first_bad_run == 0; i++) {
        rc = check_link(st, &links[i], out->head_sha256, out, err);
        if (rc == 0 && out->first_bad_run == 0) {
            out->links_checked++;
            out->head_run = links[i].run_id;
            snprintf(out->head_sha256, sizeof out->head_sha256, "%s", links[i].chain_sha256);
        }
        if (links[i].run_id == upto)
            break;
    }
    for (size_t i = 0; rc == 0 && i < nu; i++)
        if (upto == 0 || unsealed[i] <= upto)
            out->unsealed++;
    if (rc == 0 && out->first_bad_run == 0 && out->unsealed > 0) {
        out->first_bad_run = unsealed[0];
        snprintf(out->problem, sizeof out->problem,
                 "it finished but was never sealed into the chain (%zu such run%s): its record "
                 "cannot be vouched for", out->unsealed, out->unsealed == 1 ? "" : "s");
    }
    free(links);
    free(unsealed);
    return rc;
}

int evidence_find_head(Store *st, const char *head, EvidenceLink *link, DrillError *err)
{
    EvidenceLink *links = NULL;
    size_t n = 0;
    int rc = store_evidence_list(st, &links, &n, err);
    size_t i = 0;
    while (rc == 0 && i < n && strcmp(links[i].chain_sha256, head) != 0)
        i++;
    if (rc == 0 && i == n)
        rc = drill_error_set(err, DRILL_E_NOTFOUND, "chain head %s is not in this store's "
                             "chain", head);
    if (rc == 0)
        *link = links[i];
    free(links);
    return rc;
}
