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
#include "json.h"
#include "manifest.h"
#include "util.h"

static void help(void)
{
    puts("usage: drill verify [--db STORE] [--expect-head HASH] [--format text|json] [RUN]\n"
         "       drill verify --manifest DIR/SHA256SUMS [--format text|json]\n\n"
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
         "                      (same check as `sha256sum -c`)\n"
         "  --format json       one JSON document on stdout: {\"command\": \"verify\",\n"
         "                      \"mode\": \"store\"|\"manifest\", \"intact\", ...} (schema:\n"
         "                      drill(1), JSON OUTPUT); the exit status is the same\n\n"
         "Exit status: 0 all intact, 1 something was altered or missing from the\n"
         "chain, 2 usage error, 3 the store or manifest cannot be read (a store\n"
         "that does not exist is an error: verify never creates one).");
}

/* A report file that is not what drill wrote. */
typedef struct BadFile {
    char *path;
    int64_t run_id;
    const char *problem;   /* "modified" | "unreadable" */
} BadFile;

/* Everything `drill verify` found, printed as text or JSON afterwards. */
typedef struct Verified {
    int64_t upto;               /* RUN asked for, 0 = the newest */
    EvidenceCheck chain;
    bool not_in_chain;          /* upto is not a sealed run */
    const char *expect_head;    /* --expect-head, or NULL */
    bool head_found;
    EvidenceLink head;
    bool files_checked;
    size_t unchanged, missing, nbad;
    BadFile bad[64];            /* the first ones; nbad counts them all */
} Verified;

static bool verified_ok(const Verified *v)
{
    return v->chain.first_bad_run == 0 && !v->not_in_chain &&
           (v->expect_head == NULL || v->head_found) && v->nbad == 0;
}

/* Compares each recorded report file that still exists with its hash. */
static int check_files(Store *st, Verified *v, DrillError *err)
{
    StoredArtifact *a = NULL;
    size_t n = 0;
    if (store_artifacts_latest(st, &a, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v->upto != 0 && a[i].run_id > v->upto)
            continue;
        char sha[65];
        DrillError e;
        int rc = sha256_file_hex(a[i].path, sha, NULL, &e);
        if (rc == DRILL_E_NOTFOUND) {
            v->missing++;
        } else if (rc < 0 || strcmp(sha, a[i].sha256) != 0) {
            if (v->nbad < sizeof v->bad / sizeof *v->bad)
                v->bad[v->nbad] = (BadFile){xstrdup(a[i].path), a[i].run_id,
                                            rc < 0 ? "unreadable" : "modified"};
            v->nbad++;
        } else {
            v->unchanged++;
        }
    }
    v->files_checked = true;
    stored_artifacts_free(a, n);
    return 0;
}

/* The chain, then the archived anchor, then the report files: each only
 * when what comes before it holds. */
static int verify_collect(Store *st, Verified *v, DrillError *err)
{
    if (evidence_verify(st, v->upto, &v->chain, err) < 0)
        return -1;
    if (v->chain.first_bad_run != 0)
        return 0;
    if (v->upto != 0 && v->chain.head_run != v->upto) {
        v->not_in_chain = true;
        return 0;
    }
    if (v->expect_head != NULL) {
        int rc = evidence_find_head(st, v->expect_head, &v->head, err);
        if (rc < 0 && rc != DRILL_E_NOTFOUND)
            return -1;
        v->head_found = rc == 0 && !(v->chain.head_run != 0 &&
                                     v->head.seq > (int64_t)v->chain.links_checked);
        if (!v->head_found)
            return 0;
    }
    return check_files(st, v, err);
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

static void print_chain(Store *st, const Verified *v)
{
    const EvidenceCheck *c = &v->chain;
    if (c->first_bad_run != 0) {
        printf("drill verify: FAILED at run %lld: %s\n", (long long)c->first_bad_run, c->problem);
        print_run_line(st, c->first_bad_run);
        printf("  %zu sealed run%s before it verified\n", c->links_checked,
               c->links_checked == 1 ? "" : "s");
    } else if (v->not_in_chain) {
        printf("drill verify: run %lld is not in the chain: no such run, or it is still "
               "running\n", (long long)v->upto);
    } else {
        printf("drill verify: %zu sealed run%s, chain intact", c->links_checked,
               c->links_checked == 1 ? "" : "s");
        if (c->head_run != 0)
            printf(" up to run %lld\n  chain head: %s\n", (long long)c->head_run, c->head_sha256);
        else
            puts(" (nothing sealed yet)");
    }
}

static void print_text(Store *st, const Verified *v)
{
    print_chain(st, v);
    if (v->expect_head != NULL && !v->head_found && v->chain.first_bad_run == 0 &&
        !v->not_in_chain)
        printf("drill verify: FAILED: the expected chain head %s is not in this store's chain:\n"
               "  the store was rewritten after the report that printed it (even if every\n"
               "  hash was recomputed), or it is another store\n", v->expect_head);
    else if (v->expect_head != NULL && v->head_found) {
        int64_t since = (int64_t)v->chain.links_checked - v->head.seq;
        printf("  expected head: link %lld (run %lld), followed by %lld link%s sealed since\n",
               (long long)v->head.seq, (long long)v->head.run_id, (long long)since,
               since == 1 ? "" : "s");
    }
    if (!v->files_checked)
        return;
    for (size_t i = 0; i < v->nbad && i < sizeof v->bad / sizeof *v->bad; i++)
        printf("drill verify: report file %s (run %lld) %s\n", v->bad[i].path,
               (long long)v->bad[i].run_id,
               strcmp(v->bad[i].problem, "modified") == 0 ? "was modified after drill wrote it"
                                                          : "cannot be read");
    printf("  report files: %zu unchanged, %zu modified, %zu no longer there\n", v->unchanged,
           v->nbad, v->missing);
}

static void json_failure(JsonWriter *w, const Verified *v)
{
    json_key(w, "failure");
    if (v->chain.first_bad_run == 0) {
        json_null(w);
        return;
    }
    json_object_begin(w);
    json_kv_int(w, "run_id", v->chain.first_bad_run);
    json_kv_string(w, "problem", v->chain.problem);
    json_kv_bool(w, "altered", v->chain.altered);
    json_object_end(w);
}

static void json_expected_head(JsonWriter *w, const Verified *v)
{
    json_key(w, "expected_head");
    if (v->expect_head == NULL) {
        json_null(w);
        return;
    }
    json_object_begin(w);
    json_kv_string(w, "chain_sha256", v->expect_head);
    json_kv_bool(w, "found", v->head_found);
    if (v->head_found) {
        json_kv_int(w, "link", v->head.seq);
        json_kv_int(w, "run_id", v->head.run_id);
        json_kv_int(w, "links_since", (int64_t)v->chain.links_checked - v->head.seq);
    }
    json_object_end(w);
}

static void json_report_files(JsonWriter *w, const Verified *v)
{
    json_key(w, "report_files");
    if (!v->files_checked) {
        json_null(w);
        return;
    }
    json_object_begin(w);
    json_kv_int(w, "unchanged", (int64_t)v->unchanged);
    json_kv_int(w, "modified", (int64_t)v->nbad);
    json_kv_int(w, "missing", (int64_t)v->missing);
    json_key(w, "problems");
    json_array_begin(w);
    for (size_t i = 0; i < v->nbad && i < sizeof v->bad / sizeof *v->bad; i++) {
        json_object_begin(w);
        json_kv_string(w, "path", v->bad[i].path);
        json_kv_int(w, "run_id", v->bad[i].run_id);
        json_kv_string(w, "problem", v->bad[i].problem);
        json_object_end(w);
    }
    json_array_end(w);
    json_object_end(w);
}

static int print_json(const Verified *v)
{
    JsonWriter w;
    json_begin(&w, "verify");
    json_kv_string(&w, "mode", "store");
    json_kv_bool(&w, "intact", verified_ok(v));
    json_key(&w, "run_id");
    v->upto != 0 ? json_int(&w, v->upto) : json_null(&w);
    json_kv_int(&w, "sealed_runs", (int64_t)v->chain.links_checked);
    json_key(&w, "head_run_id");
    v->chain.head_run != 0 ? json_int(&w, v->chain.head_run) : json_null(&w);
    json_kv_string(&w, "chain_sha256", v->chain.head_run != 0 ? v->chain.head_sha256 : NULL);
    json_kv_bool(&w, "run_not_in_chain", v->not_in_chain);
    json_failure(&w, v);
    json_expected_head(&w, v);
    json_report_files(&w, v);
    DrillError err;
    return json_finish(&w, stdout, &err) < 0 ? cli_fail("verify", &err) : 0;
}

static int verify_store(const char *db, Verified *v, bool json)
{
    Store *st = NULL;
    int rc = cli_open_existing_store("verify", db, &st);
    if (rc != 0)
        return rc;
    DrillError err;
    if (verify_collect(st, v, &err) < 0) {
        rc = cli_fail("verify", &err);
    } else {
        if (json)
            rc = print_json(v);
        else
            print_text(st, v);
        if (rc == 0 && !verified_ok(v))
            rc = DRILL_EXIT_FAILED;
    }
    for (size_t i = 0; i < v->nbad && i < sizeof v->bad / sizeof *v->bad; i++)
        free(v->bad[i].path);
    store_close(st);
    return rc;
}

/* "NAME: OK|FAILED|MISSING" lines of manifest_check, as JSON entries. */
static void json_manifest_lines(JsonWriter *w, char *lines)
{
    json_key(w, "files");
    json_array_begin(w);
    for (char *line = strtok(lines, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *sep = strrchr(line, ':');
        if (sep == NULL)
            continue;
        *sep = '\0';
        json_object_begin(w);
        json_kv_string(w, "name", line);
        json_kv_string(w, "status", sep[1] == ' ' ? sep + 2 : sep + 1);
        json_object_end(w);
    }
    json_array_end(w);
}

static int verify_manifest(const char *path, bool json)
{
    size_t nbad = 0;
    DrillError err;
    char *lines = NULL;
    size_t len = 0;
    FILE *out = json ? open_memstream(&lines, &len) : stdout;
    if (out == NULL) {
        drill_error_set(&err, DRILL_E_IO, "cannot buffer the manifest's lines: out of memory");
        return cli_fail("verify", &err);
    }
    int rc = manifest_check(path, out, &nbad, &err);
    if (json)
        fclose(out);
    if (rc < 0) {
        free(lines);
        return cli_fail("verify", &err);
    }
    if (json) {
        JsonWriter w;
        json_begin(&w, "verify");
        json_kv_string(&w, "mode", "manifest");
        json_kv_string(&w, "manifest", path);
        json_kv_bool(&w, "intact", nbad == 0);
        json_manifest_lines(&w, lines);
        free(lines);
        if (json_finish(&w, stdout, &err) < 0)
            return cli_fail("verify", &err);
    } else if (nbad > 0) {
        printf("drill verify: %s: %zu file%s FAILED or MISSING\n", path, nbad,
               nbad == 1 ? "" : "s");
    }
    return nbad > 0 ? DRILL_EXIT_FAILED : DRILL_EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"manifest", required_argument, NULL, 'm'},
                                         {"expect-head", required_argument, NULL, 'e'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *db = NULL, *manifest = NULL, *head = NULL;
    bool json = false;
    int c;
    while ((c = cli_getopt("verify", argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'm': manifest = optarg; break;
        case 'e': head = optarg; break;
        case 'F':
            if (cli_parse_format("verify", optarg, &json) != 0)
                return DRILL_EXIT_INVALID;
            break;
        case 'h': help(); return DRILL_EXIT_OK;
        default: return DRILL_EXIT_INVALID;   /* cli_getopt said why */
        }
    }
    if (manifest != NULL)
        return optind == argc ? verify_manifest(manifest, json)
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
    Verified v = {.upto = id, .expect_head = head};
    return verify_store(db, &v, json);
}
