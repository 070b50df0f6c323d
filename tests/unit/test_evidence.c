/*
 * test_evidence.c — the canonical record hash is stable (a fixed record
 * hashes to a fixed value: changing the encoding would break every existing
 * chain, so it must be a deliberate, versioned change; a record with every
 * kind of row and NULL strings pins the byte order of every field in both
 * canonical forms), sensitive to every field, and unambiguous at field
 * boundaries; record.h's tables have a row for every scalar member; the
 * chain step; SHA256SUMS manifests (record, replace, check, malformed
 * input).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "../harness.h"
#include "evidence.h"
#include "manifest.h"
#include "record.h"
#include "testutil.h"
#include "util.h"

static RunRecord *sample_record(void)
{
    RunRecord *r = xcalloc(1, sizeof *r);
    r->id = 7;
    r->drill_name = xstrdup("primary-wipe");
    r->status = xstrdup("passed");
    r->started_utc_ms = 1700000000000;
    r->rto_target_ms = 30000;
    r->nsteps = 1;
    r->steps = xcalloc(1, sizeof *r->steps);
    r->steps[0].name = xstrdup("wipe");
    r->steps[0].out = xstrdup("line1\nline2");
    r->steps[0].exit_code = 0;
    r->nmeasures = 1;
    r->measures = xcalloc(1, sizeof *r->measures);
    r->measures[0].key = xstrdup("rto_ms");
    r->measures[0].value = 4912.5;
    r->nfacts = 1;
    r->facts = xcalloc(1, sizeof *r->facts);
    r->facts[0].key = xstrdup("who.os_user");
    r->facts[0].value = xstrdup("postgres");
    return r;
}

TEST(hash_is_stable)
{
    RunRecord *r = sample_record();
    char h[65];
    evidence_record_hash(r, 1, h);
    /* If this changes, every stored chain stops verifying: bump the
     * "drill-evidence-vN" magic and keep the old encoding for old links. */
    CHECK_STR(h, "efd1b9abf873dad126b512eb867aa3421e7fdbbdfdb39fc22a167725f6b86a68");
    /* Form 1 ignores what form 2 adds: links sealed before v5 still verify. */
    r->uuid = xstrdup("0f8e1c2a-4b5d-4e6f-8a9b-0c1d2e3f4a5b");
    evidence_record_hash(r, 1, h);
    CHECK_STR(h, "efd1b9abf873dad126b512eb867aa3421e7fdbbdfdb39fc22a167725f6b86a68");
    char h2[65];
    evidence_record_hash(r, 2, h2);
    CHECK(strcmp(h2, h) != 0);
    free(r->uuid);
    r->uuid = xstrdup("0f8e1c2a-4b5d-4e6f-8a9b-0c1d2e3f4a5c");
    evidence_record_hash(r, 2, h);
    CHECK(strcmp(h2, h) != 0);         /* form 2 covers the run's UUID */
    r->pid = 4242;
    evidence_record_hash(r, 2, h2);
    CHECK(strcmp(h2, h) != 0);         /* ... and its pid */
    run_record_free(r);
}

/* A record with every kind of row, several of each, distinct values in every
 * field and NULL strings: the fixed hashes below pin the canonical byte
 * order of every field, in both forms. */
static void full_steps(RunRecord *r)
{
    r->nsteps = 3;
    r->steps = xcalloc(r->nsteps, sizeof *r->steps);
    for (size_t i = 0; i < r->nsteps; i++) {
        StoredStep *s = &r->steps[i];
        s->seq = (int)i;
        s->exit_code = (int)i - 1;
        s->term_signal = i == 2 ? 9 : 0;
        s->started_utc_ms = 1700000001000 + (int64_t)i * 1000;
        s->ended_utc_ms = s->started_utc_ms + 400 + (int64_t)i;
        s->duration_us = 400123 + (int64_t)i;
        if (i == 1)
            continue;                  /* every string of step 1 is NULL */
        s->phase = xasprintf("phase%zu", i);
        s->name = xasprintf("step %zu: a\nb", i);
        s->kind = xstrdup("shell");
        s->node = i == 0 ? xstrdup("pg1") : NULL;
        s->command = xasprintf("echo %zu", i);
        s->status = xstrdup(i == 0 ? "ok" : "failed");
        s->out = xstrdup("out 12:34\n");
        s->err = i == 0 ? xstrdup("") : xstrdup("err");
        s->message = i == 0 ? NULL : xstrdup("went wrong");
    }
}

static void full_rows(RunRecord *r)
{
    r->nevents = 2;
    r->events = xcalloc(2, sizeof *r->events);
    r->events[0] = (StoredEvent){xstrdup("fault"), xstrdup("kill -9"), 1700000002000, 2000000};
    r->events[1] = (StoredEvent){xstrdup("recovered"), NULL, 1700000003500, 3500000};
    r->nmeasures = 3;
    r->measures = xcalloc(3, sizeof *r->measures);
    r->measures[0] = (StoredMeasure){xstrdup("rto_ms"), xstrdup("ms"), xstrdup("first write"),
                                     1500.25};
    r->measures[1] = (StoredMeasure){xstrdup("rpo_ms"), NULL, NULL, 0.1};
    r->measures[2] = (StoredMeasure){xstrdup("lag"), xstrdup("bytes"), xstrdup("x"), NAN};
    r->nobjectives = 2;
    r->objectives = xcalloc(2, sizeof *r->objectives);
    r->objectives[0] = (StoredObjective){xstrdup("rto"), xstrdup("ms"), xstrdup("first write"),
                                         30000, 1500.25, true};
    r->objectives[1] = (StoredObjective){xstrdup("rpo"), xstrdup("tx"), NULL, 0, -1, false};
    r->nfacts = 2;
    r->facts = xcalloc(2, sizeof *r->facts);
    r->facts[0] = (StoredFact){xstrdup("server_version:pg1"), xstrdup("16.2")};
    r->facts[1] = (StoredFact){xstrdup("who.operator"), NULL};
    r->nsamples = 3;
    r->samples = xcalloc(3, sizeof *r->samples);
    r->samples[0] = (StoredSample){xstrdup("lag_bytes"), 1700000001100, 10};
    r->samples[1] = (StoredSample){xstrdup("lag_bytes"), 1700000001200, 30.5};
    r->samples[2] = (StoredSample){xstrdup("slot"), 1700000001300, -2};
}

static RunRecord *full_record(void)
{
    RunRecord *r = xcalloc(1, sizeof *r);
    r->id = 42;
    r->drill_name = xstrdup("primary-wipe");
    r->drill_file = xstrdup("/d/primary-wipe.yaml");
    r->drill_sha256 = xstrdup("ab12");
    r->drill_source = xstrdup("name: primary-wipe\n");
    r->topology_name = xstrdup("sandbox");
    r->topology_file = NULL;
    r->hostname = xstrdup("host-1");
    r->drill_version = xstrdup("0.1.0");
    r->status = xstrdup("failed");
    r->message = NULL;
    r->exit_code = 1;
    r->started_utc_ms = 1700000000000;
    r->ended_utc_ms = 1700000009000;
    r->duration_us = 9000321;
    r->rto_target_ms = 30000;
    r->rpo_target_ms = -1;
    r->rpo_tx_target = 0;
    r->batch_id = 41;                  /* not sealed: grouping only */
    r->uuid = xstrdup("0f8e1c2a-4b5d-4e6f-8a9b-0c1d2e3f4a5b");
    r->pid = 4242;
    r->lock_path = NULL;
    full_steps(r);
    full_rows(r);
    return r;
}

TEST(full_record_hash_is_stable)
{
    RunRecord *r = full_record();
    char h[65];
    /* Computed by the encoding as sealed runs were hashed: if either
     * changes, existing chains stop verifying (see hash_is_stable). */
    evidence_record_hash(r, 1, h);
    CHECK_STR(h, "d939aa82472d1517192e78b5b20733a5b9a5746ee9e2ab94244826d9fda01b1e");
    evidence_record_hash(r, 2, h);
    CHECK_STR(h, "9b35849ff30e8144e1bb1701d81f9c5d3900143be26f7304e5e3b56c4d805b7f");
    r->batch_id = 0;                   /* neither the batch nor the seal is hashed */
    r->sealed = true;
    r->seal.seq = 3;
    evidence_record_hash(r, 2, h);
    CHECK_STR(h, "9b35849ff30e8144e1bb1701d81f9c5d3900143be26f7304e5e3b56c4d805b7f");
    run_record_free(r);
}

static size_t field_size(const RecordField *f)
{
    return f->type == RECORD_TEXT ? sizeof(char *) : f->type == RECORD_INT ? sizeof(int)
                                                                           : sizeof(int64_t);
}

/* The rows of a table, by offset, tile the struct's first `end` bytes with
 * nothing between them but alignment padding: a scalar member without a
 * row (so neither hashed nor shown) leaves a hole. */
static void check_tiles(const RecordField *fields, size_t n, size_t end)
{
    size_t pos = 0;
    for (size_t done = 0; done < n; done++) {
        const RecordField *next = NULL;
        for (size_t i = 0; i < n; i++)
            if (fields[i].offset >= pos && (next == NULL || fields[i].offset < next->offset))
                next = &fields[i];
        CHECK(next != NULL);
        if (next == NULL)
            return;
        size_t align = field_size(next);
        CHECK_INT(next->offset, (pos + align - 1) / align * align);
        pos = next->offset + field_size(next);
    }
    CHECK_INT((pos + sizeof(void *) - 1) / sizeof(void *) * sizeof(void *), end);
}

TEST(record_tables_cover_every_field)
{
    check_tiles(record_run_fields, record_run_nfields, offsetof(RunRecord, steps));
    check_tiles(record_step_fields, record_step_nfields, sizeof(StoredStep));
    for (size_t i = 0; i < record_run_nfields; i++) {
        const RecordField *f = &record_run_fields[i];
        /* Only the batch grouping (set after sealing) is left unhashed. */
        CHECK(f->evidence != NULL || strcmp(f->name, "batch_id") == 0);
        CHECK(f->group != RECORD_TARGET || (f->measure != NULL && f->junit_measured != NULL));
    }
    for (size_t i = 0; i < record_step_nfields; i++)
        CHECK(record_step_fields[i].evidence != NULL);
}

TEST(hash_sees_every_change)
{
    RunRecord *r = sample_record();
    char h0[65], h[65];
    evidence_record_hash(r, EVIDENCE_FORMAT, h0);
    r->measures[0].value = 4912.6;
    evidence_record_hash(r, EVIDENCE_FORMAT, h);
    CHECK(strcmp(h, h0) != 0);
    r->measures[0].value = 4912.5;
    r->steps[0].exit_code = 1;
    evidence_record_hash(r, EVIDENCE_FORMAT, h);
    CHECK(strcmp(h, h0) != 0);
    r->steps[0].exit_code = 0;
    free(r->facts[0].value);
    r->facts[0].value = NULL;          /* NULL differs from "" and from absent */
    evidence_record_hash(r, EVIDENCE_FORMAT, h);
    CHECK(strcmp(h, h0) != 0);
    r->sealed = true;                  /* the seal itself is not hashed */
    r->facts[0].value = xstrdup("postgres");
    evidence_record_hash(r, EVIDENCE_FORMAT, h);
    CHECK_STR(h, h0);
    run_record_free(r);
}

TEST(field_boundaries_are_unambiguous)
{
    RunRecord *a = sample_record(), *b = sample_record();
    free(a->facts[0].key); free(a->facts[0].value);
    free(b->facts[0].key); free(b->facts[0].value);
    a->facts[0].key = xstrdup("ab");  a->facts[0].value = xstrdup("c");
    b->facts[0].key = xstrdup("a");   b->facts[0].value = xstrdup("bc");
    char ha[65], hb[65];
    evidence_record_hash(a, EVIDENCE_FORMAT, ha);
    evidence_record_hash(b, EVIDENCE_FORMAT, hb);
    CHECK(strcmp(ha, hb) != 0);
    run_record_free(a);
    run_record_free(b);
}

TEST(chain_step)
{
    char out[65], expect[65];
    evidence_chain_next(EVIDENCE_GENESIS, "ab", out);
    const char text[] = EVIDENCE_GENESIS "\nab";
    sha256_hex(text, sizeof text - 1, expect);
    CHECK_STR(out, expect);
}

TEST(manifest_record_and_check)
{
    char *a = testutil_tmp_path("a.xml"), *b = testutil_tmp_path("b.html");
    char *m = testutil_tmp_path("SHA256SUMS");
    CHECK_INT(file_write_atomic(a, "one", 3, NULL), 0);
    CHECK_INT(file_write_atomic(b, "two", 3, NULL), 0);
    char sha[65];
    int64_t bytes = 0;
    CHECK_INT(manifest_record(a, sha, &bytes, NULL), 0);
    CHECK_INT(bytes, 3);
    CHECK_INT(manifest_record(b, NULL, NULL, NULL), 0);
    CHECK_INT(file_write_atomic(a, "uno", 3, NULL), 0);
    CHECK_INT(manifest_record(a, NULL, NULL, NULL), 0);     /* replaces a's line */
    char *text = NULL;
    size_t len = 0;
    CHECK_INT(file_read_all(m, 4096, &text, &len, NULL), 0);
    CHECK_INT(len, 2 * (64 + 2) + strlen("b.html\n") + strlen("a.xml\n"));
    CHECK(text != NULL && strstr(text, "  b.html\n") < strstr(text, "  a.xml\n"));
    free(text);
    FILE *out = fopen("/dev/null", "w");
    size_t nbad = 9;
    CHECK_INT(manifest_check(m, out, &nbad, NULL), 0);
    CHECK_INT(nbad, 0);
    CHECK_INT(file_write_atomic(b, "changed", 7, NULL), 0);
    unlink(a);
    CHECK_INT(manifest_check(m, out, &nbad, NULL), 0);
    CHECK_INT(nbad, 2);                                      /* one FAILED, one MISSING */
    fclose(out);
    free(a); free(b); free(m);
}

TEST(manifest_malformed)
{
    char *m = testutil_tmp_path("bad.sums");
    DrillError err;
    size_t nbad = 0;
    CHECK_INT(file_write_atomic(m, "abc  x\n", 7, NULL), 0);
    CHECK_INT(manifest_check(m, stdout, &nbad, &err), DRILL_E_INVALID);
    CHECK(strstr(err.message, "bad.sums:1: not a SHA256SUMS line") != NULL);
    CHECK_INT(file_write_atomic(m, "", 0, NULL), 0);
    CHECK_INT(manifest_check(m, stdout, &nbad, &err), DRILL_E_INVALID);
    CHECK(strstr(err.message, "lists no file") != NULL);
    char *nl = testutil_tmp_path("new\nline");
    CHECK_INT(manifest_record(nl, NULL, NULL, &err), DRILL_E_INVALID);
    free(m);
    free(nl);
}

int main(void)
{
    if (testutil_tmpdir() == NULL)
        return 2;
    RUN(hash_is_stable);
    RUN(full_record_hash_is_stable);
    RUN(record_tables_cover_every_field);
    RUN(hash_sees_every_change);
    RUN(field_boundaries_are_unambiguous);
    RUN(chain_step);
    RUN(manifest_record_and_check);
    RUN(manifest_malformed);
    return harness_done();
}
