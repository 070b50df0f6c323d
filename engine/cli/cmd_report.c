/*
 * cmd_report.c — `drill report RUN`: re-renders a stored run's reports,
 * byte-identical to what `drill run` wrote.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "report.h"

static void help(void)
{
    puts("usage: drill report [--db FILE] [--junit FILE] [--html FILE] RUN\n\n"
         "Renders the JUnit XML and/or HTML report of stored run RUN (see `drill history`)\n"
         "from the store alone, so any past run can be re-rendered identically.");
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"junit", required_argument, NULL, 'j'},
                                         {"html", required_argument, NULL, 'H'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *db = NULL, *junit = NULL, *html = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'j': junit = optarg; break;
        case 'H': html = optarg; break;
        case 'h': help(); return DRILL_EXIT_OK;
        default: return cli_usage("report", "invalid option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("report", "give exactly one run id");
    char *end = NULL;
    long long id = strtoll(argv[optind], &end, 10);
    if (*argv[optind] == '\0' || *end != '\0' || id <= 0)
        return cli_usage("report", "\"%s\" is not a run id (see `drill history`)", argv[optind]);
    if (junit == NULL && html == NULL)
        return cli_usage("report", "nothing to write: give --junit FILE and/or --html FILE");
    Store *st = NULL;
    int rc = cli_open_store("report", db, &st);
    if (rc != 0)
        return rc;
    RunRecord *rec = NULL;
    DrillError err;
    if (store_run_load(st, id, &rec, &err) < 0) {
        store_close(st);
        return cli_fail("report", &err);
    }
    rc = cli_write_reports("report", st, rec, junit, html);
    run_record_free(rec);
    store_close(st);
    return rc;
}
