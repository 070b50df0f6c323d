/*
 * test_evidence.c — the canonical record hash is stable (a fixed record
 * hashes to a fixed value: changing the encoding would break every existing
 * chain, so it must be a deliberate, versioned change), sensitive to every
 * field, and unambiguous at field boundaries; the chain step; SHA256SUMS
 * manifests (record, replace, check, malformed input).
 */
#include <stdlib.h>
#include <unistd.h>

#include "../harness.h"
#include "evidence.h"
#include "manifest.h"
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
    RUN(hash_sees_every_change);
    RUN(field_boundaries_are_unambiguous);
    RUN(chain_step);
    RUN(manifest_record_and_check);
    RUN(manifest_malformed);
    return harness_done();
}
