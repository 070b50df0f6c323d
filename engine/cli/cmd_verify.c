/*
 * cmd_verify.c — `drill verify [RUN]`: are the stored runs and the report
 * files still what was recorded? Recomputes the evidence hash chain
 * (evidence.h), checks the report files against the hashes recorded when
 * they were written, or checks a SHA256SUMS manifest (manifest.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "evidence.h"
#include "manifest.h"
#include "util.h"

static void help(void)
{
    puts("usage: drill verify [--db FILE] [--expect-head HASH] [RUN]\n"
         "       drill verify --manifest DIR/SHA256SUMS\n\n"
         "Checks that stored evidence was not altered.\n\n"
         "Every finished run is sealed: a SHA-256 over a canonical form of its whole\n"
         "stored record (steps, commands, outputs, events, measurements, objectives,\n"
         "facts, samples), chained to the previous sealed run. verify recomputes the\n"
         "chain from its start up to RUN (default: the newest) and names the first run\n"
         "whose record was altered, that was deleted, or that finished unsealed. It\n"
         "also checks each report file drill wrote (--junit/--html) against the hash\n"
         "recorded when it was written; a file that was moved away is reported, not\n"
         "failed. The chain head it prints is also shown in every HTML report: compare\n"
         "it with an archived report to detect the newest runs being removed.\n\n"
         "Anyone who can write the store can also recompute every hash. The anchor\n"
         "against that lives outside the store: every report prints the chain head\n"
         "at its sealing (`drill run` output, JUnit property chain_sha256, HTML,\n"
         "--format json evidence.chain_sha256). Archive it (CI artifacts), then\n"
         "  drill verify --expect-head HASH\n"
         "fails unless HASH is still a link of the intact chain: a store rewritten\n"
         "since, even with every hash recomputed, no longer holds it.\n\n"
         "  --expect-head HASH  the chain must contain this archived chain hash\n"
         "  --manifest FILE     check a SHA256SUMS manifest written next to the reports\n"
         "                      (same check as `sha256sum -c`)\n\n"
         "Exit status: 0 all intact, 1 something was altered or missing from the\n"
         "chain, 2 usage error, 3 the store or manifest cannot be read (a store\n"
         "that does not exist is an error: verify never creates one).");
}

static void print_run_line(Store *st, int64_t id)
{
    RunRecord *r = NULL;
    DrillError err;
    if (store_run_load(st, id, &r, &err) < 0) {
        printf("  run %lld (no longer in the store)\n", (long long)id);
        return;
    }
    char ts[40];
    time_format_utc_ms(r->started_utc_ms, ts, sizeof ts);
    printf("  run %lld: %s, started %s, %s\n", (long long)id, r->drill_name, ts, r->status);
    run_record_free(r);
}

/* Compares each recorded report file that still exists with its hash. */
static int check_files(Store *st, int64_t upto, size_t *nbad)
{
    StoredArtifact *a = NULL;
    size_t n = 0, ok = 0, missing = 0;
    DrillError err;
    if (store_artifacts_latest(st, &a, &n, &err) < 0)
        return cli_fail("verify", &err);
    for (size_t i = 0; i < n; i++) {
        if (upto != 0 && a[i].run_id > upto)
            continue;
        char sha[65];
        int rc = sha256_file_hex(a[i].path, sha, NULL, &err);
        if (rc == DRILL_E_NOTFOUND) {
            missing++;
        } else if (rc < 0 || strcmp(sha, a[i].sha256) != 0) {
            (*nbad)++;
            printf("drill verify: report file %s (run %lld) %s\n", a[i].path,
                   (long long)a[i].run_id,
                   rc < 0 ? "cannot be read" : "was modified after drill wrote it");
        } else {
            ok++;
        }
    }
    printf("  report files: %zu unchanged, %zu modified, %zu no longer there\n", ok, *nbad,
           missing);
    stored_artifacts_free(a, n);
    return 0;
}

/* The archived anchor must be a link of the chain just verified. */
static int check_head(Store *st, const EvidenceCheck *c, const char *head)
{
    EvidenceLink l;
    DrillError err;
    int rc = evidence_find_head(st, head, &l, &err);
    if (rc == DRILL_E_NOTFOUND || (rc == 0 && c->head_run != 0 && l.seq > (int64_t)c->links_checked)) {
        printf("drill verify: FAILED: the expected chain head %s is not in this store's chain:\n"
               "  the store was rewritten after the report that printed it (even if every\n"
               "  hash was recomputed), or it is another store\n", head);
        return DRILL_EXIT_FAILED;
    }
    if (rc < 0)
        return cli_fail("verify", &err);
    printf("  expected head: link %lld (run %lld), followed by %lld link%s sealed since\n",
           (long long)l.seq, (long long)l.run_id, (long long)((int64_t)c->links_checked - l.seq),
           (int64_t)c->links_checked - l.seq == 1 ? "" : "s");
    return 0;
}

static int verify_store(const char *db, int64_t upto, const char *head)
{
    Store *st = NULL;
    int rc = cli_open_existing_store("verify", db, &st);
    if (rc != 0)
        return rc;
    EvidenceCheck c;
    DrillError err;
    size_t nbad = 0;
    if (evidence_verify(st, upto, &c, &err) < 0) {
        rc = cli_fail("verify", &err);
    } else if (c.first_bad_run != 0) {
        printf("drill verify: FAILED at run %lld: %s\n", (long long)c.first_bad_run, c.problem);
        print_run_line(st, c.first_bad_run);
        printf("  %zu sealed run%s before it verified\n", c.links_checked,
               c.links_checked == 1 ? "" : "s");
        rc = DRILL_EXIT_FAILED;
    } else if (upto != 0 && c.head_run != upto) {
        printf("drill verify: run %lld is not in the chain: no such run, or it is still "
               "running\n", (long long)upto);
        rc = DRILL_EXIT_FAILED;
    } else {
        printf("drill verify: %zu sealed run%s, chain intact", c.links_checked,
               c.links_checked == 1 ? "" : "s");
        if (c.head_run != 0)
            printf(" up to run %lld\n  chain head: %s\n", (long long)c.head_run, c.head_sha256);
        else
            puts(" (nothing sealed yet)");
    }
    if (rc == 0 && head != NULL)
        rc = check_head(st, &c, head);
    if (rc == 0 && (rc = check_files(st, upto, &nbad)) == 0 && nbad > 0)
        rc = DRILL_EXIT_FAILED;
    store_close(st);
    return rc;
}

static int verify_manifest(const char *path)
{
    size_t nbad = 0;
    DrillError err;
    if (manifest_check(path, stdout, &nbad, &err) < 0)
        return cli_fail("verify", &err);
    if (nbad > 0) {
        printf("drill verify: %s: %zu file%s FAILED or MISSING\n", path, nbad,
               nbad == 1 ? "" : "s");
        return DRILL_EXIT_FAILED;
    }
    return DRILL_EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"manifest", required_argument, NULL, 'm'},
                                         {"expect-head", required_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *db = NULL, *manifest = NULL, *head = NULL;
    int c;
    while ((c = cli_getopt("verify", argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'm': manifest = optarg; break;
        case 'e': head = optarg; break;
        case 'h': help(); return DRILL_EXIT_OK;
        default: return DRILL_EXIT_INVALID;   /* cli_getopt said why */
        }
    }
    if (manifest != NULL)
        return optind == argc ? verify_manifest(manifest)
                              : cli_usage("verify", "--manifest takes no run id");
    if (argc - optind > 1)
        return cli_usage("verify", "give at most one run id");
    if (head != NULL && (strlen(head) != 64 || strspn(head, "0123456789abcdef") != 64))
        return cli_usage("verify", "--expect-head wants the 64 lowercase hex digits of a chain "
                         "hash (JUnit property chain_sha256), not \"%s\"", head);
    long long id = 0;
    if (optind < argc) {
        char *end = NULL;
        id = strtoll(argv[optind], &end, 10);
        if (*argv[optind] == '\0' || *end != '\0' || id <= 0)
            return cli_usage("verify", "\"%s\" is not a run id (see `drill history`)",
                             argv[optind]);
    }
    return verify_store(db, id, head);
}
