/*
 * cmd_report.c — `drill report RUN` / `--batch ID`: re-renders a stored
 * run's (or batch's) reports, byte-identical to what `drill run` wrote.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "evidence.h"
#include "report.h"
#include "util.h"

static void help(void)
{
    puts("usage: drill report [--db FILE] [--junit FILE] [--html FILE] RUN\n"
         "       drill report [--db FILE] [--junit FILE] [--html FILE] --batch ID\n\n"
         "Renders the JUnit XML and/or HTML report of stored run RUN (see `drill history`)\n"
         "from the store alone, so any past run can be re-rendered identically.\n"
         "--batch ID re-renders a multi-drill `drill run A B ...` (ID = its first run,\n"
         "printed as `batch ID` and in --format json): one JUnit file with a <testsuite>\n"
         "per drill, one HTML per drill (FILE-SEQ-DRILL.html). FILE - writes to standard\n"
         "output (one report; not listed in SHA256SUMS nor recorded with the run).\n\n"
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

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"junit", required_argument, NULL, 'j'},
                                         {"html", required_argument, NULL, 'H'},
                                         {"batch", no_argument, NULL, 'b'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *db = NULL, *junit = NULL, *html = NULL;
    bool batch = false;
    int c;
    while ((c = cli_getopt("report", argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'j': junit = optarg; break;
        case 'H': html = optarg; break;
        case 'b': batch = true; break;
        case 'h': help(); return DRILL_EXIT_OK;
        default: return DRILL_EXIT_INVALID;   /* cli_getopt said why */
        }
    }
    if (optind != argc - 1)
        return cli_usage("report", "give exactly one %s id", batch ? "batch" : "run");
    if (junit == NULL && html == NULL)
        return cli_usage("report", "nothing to write: give --junit FILE and/or --html FILE");
    Store *st = NULL;
    int rc = cli_open_existing_store("report", db, &st);
    if (rc != 0)
        return rc;
    RunRecord **recs = NULL;
    size_t n = 0;
    rc = cli_load_runs("report", st, argv[optind], batch, &recs, &n);
    if (rc == 0)
        rc = check_sealed(st, recs, n);
    if (rc == 0)
        rc = cli_write_batch_reports("report", st, (const RunRecord *const *)recs, n, junit,
                                     html);
    cli_free_batch(recs, n);
    store_close(st);
    return rc;
}
