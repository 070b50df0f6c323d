/*
 * cmd_report.c — `drill report RUN` / `--batch ID`: re-renders a stored
 * run's (or batch's) reports, byte-identical to what `drill run` wrote.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "evidence.h"
#include "json.h"
#include "report.h"
#include "util.h"

static void help(void)
{
    puts("usage: drill report [--db STORE] [--junit FILE] [--html FILE] [--format F] RUN\n"
         "       drill report [--db STORE] [--junit FILE] [--html FILE] --batch ID\n\n"
         "Renders the JUnit XML and/or HTML report of stored run RUN (see `drill history`)\n"
         "from the store alone, so any past run can be re-rendered identically.\n"
         "--batch ID re-renders a multi-drill `drill run A B ...` (ID = its first run,\n"
         "printed as `batch ID` and in --format json): one JUnit file with a <testsuite>\n"
         "per drill, one HTML per drill (FILE-SEQ-DRILL.html). FILE - writes to standard\n"
         "output (one report; not listed in SHA256SUMS nor recorded with the run).\n\n"
         "  --format json  after writing, one JSON document on stdout listing each file\n"
         "                 as recorded: {\"command\": \"report\", \"files\": [{path, run_id,\n"
         "                 sha256, bytes}]} (schema: drill(1), JSON OUTPUT)\n\n"
         "The evidence chain is verified up to the run first (see `drill verify`): if\n"
         "a sealed record before or at it was altered or deleted, nothing is written\n"
         "and the exit status is 1.\n\n"
         "Exit status: 0 written, 1 the store was altered, 2 usage error or no such\n"
         "run, 3 the store cannot be read.");
}

/* A report re-rendered from an altered store would look as sealed as the
 * original: refuse, loudly, when the chain up to the run does not verify. */
static int check_sealed(Store *st, RunRecord *const *recs, size_t n)
{
    int64_t upto = 0;
    for (size_t i = 0; i < n; i++)
        upto = recs[i]->id > upto ? recs[i]->id : upto;
    EvidenceCheck c;
    DrillError err;
    if (evidence_verify(st, upto, &c, &err) < 0)
        return cli_fail("report", &err);
    if (!c.altered)
        return 0;
    fprintf(stderr, "drill report: REFUSED: the store was altered after sealing: run %lld: %s\n"
            "  nothing was written: a re-rendered report would look as trustworthy as the\n"
            "  original. `drill verify` shows the whole check.\n",
            (long long)c.first_bad_run, c.problem);
    return DRILL_EXIT_FAILED;
}

static bool in_batch(RunRecord *const *recs, size_t n, int64_t run_id)
{
    for (size_t i = 0; i < n; i++)
        if (recs[i]->id == run_id)
            return true;
    return false;
}

/* What this invocation wrote, as the store recorded it (path, hash, size):
 * the artifacts of these runs recorded since `since_ms`. */
static int print_json(Store *st, RunRecord *const *recs, size_t n, int64_t since_ms)
{
    StoredArtifact *a = NULL;
    size_t na = 0;
    DrillError err;
    if (store_artifacts_latest(st, &a, &na, &err) < 0)
        return cli_fail("report", &err);
    JsonWriter w;
    json_begin(&w, "report");
    json_key(&w, "files");
    json_array_begin(&w);
    for (size_t i = 0; i < na; i++) {
        if (a[i].written_utc_ms < since_ms || !in_batch(recs, n, a[i].run_id))
            continue;
        json_object_begin(&w);
        json_kv_string(&w, "path", a[i].path);
        json_kv_int(&w, "run_id", a[i].run_id);
        json_kv_string(&w, "sha256", a[i].sha256);
        json_kv_int(&w, "bytes", a[i].bytes);
        json_object_end(&w);
    }
    json_array_end(&w);
    stored_artifacts_free(a, na);
    return json_finish(&w, stdout, &err) < 0 ? cli_fail("report", &err) : 0;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"junit", required_argument, NULL, 'j'},
                                         {"html", required_argument, NULL, 'H'},
                                         {"batch", no_argument, NULL, 'b'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *db = NULL, *junit = NULL, *html = NULL;
    bool batch = false, json = false;
    int c;
    while ((c = cli_getopt("report", argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'j': junit = optarg; break;
        case 'H': html = optarg; break;
        case 'b': batch = true; break;
        case 'F':
            if (cli_parse_format("report", optarg, &json) != 0)
                return DRILL_EXIT_INVALID;
            break;
        case 'h': help(); return DRILL_EXIT_OK;
        default: return DRILL_EXIT_INVALID;   /* cli_getopt said why */
        }
    }
    if (optind != argc - 1)
        return cli_usage("report", "give exactly one %s id", batch ? "batch" : "run");
    if (junit == NULL && html == NULL)
        return cli_usage("report", "nothing to write: give --junit FILE and/or --html FILE");
    if (json && ((junit != NULL && strcmp(junit, "-") == 0) || (html != NULL && strcmp(html, "-") == 0)))
        return cli_usage("report", "--format json prints the list of files written on standard "
                         "output: a report there (-) would be mixed into it");
    Store *st = NULL;
    int rc = cli_open_existing_store("report", db, &st);
    if (rc != 0)
        return rc;
    RunRecord **recs = NULL;
    size_t n = 0;
    rc = cli_load_runs("report", st, argv[optind], batch, &recs, &n);
    if (rc == 0)
        rc = check_sealed(st, recs, n);
    int64_t t0 = time_utc_ms();
    if (rc == 0)
        rc = cli_write_batch_reports("report", st, (const RunRecord *const *)recs, n, junit,
                                     html);
    if (rc == 0 && json)
        rc = print_json(st, recs, n, t0);
    cli_free_batch(recs, n);
    store_close(st);
    return rc;
}
