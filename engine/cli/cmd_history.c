/*
 * cmd_history.c — `drill history [DRILL]`: past runs from the store, as a
 * table or JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static void help(void)
{
    puts("usage: drill history [--db FILE] [--json] [--limit N] [DRILL]\n\n"
         "Lists stored runs, most recent first: id, drill, start (UTC), verdict, RTO, RPO.\n"
         "Re-render any of them with `drill report RUN --html F --junit F`.");
}

static void fmt_ms(double ms, char *out, size_t outsz)
{
    if (ms < 0)
        snprintf(out, outsz, "-");
    else
        time_format_duration_ms((int64_t)ms, out, outsz);
}

static void print_table(const RunSummary *r, size_t n)
{
    printf("%-6s %-22s %-24s %-8s %-10s %-10s %s\n", "RUN", "DRILL", "STARTED", "VERDICT", "RTO",
           "RPO", "LOST TX");
    for (size_t i = 0; i < n; i++) {
        char ts[40], rto[32], rpo[32], tx[32];
        time_format_utc_ms(r[i].started_utc_ms, ts, sizeof ts);
        fmt_ms(r[i].rto_ms, rto, sizeof rto);
        fmt_ms(r[i].rpo_ms, rpo, sizeof rpo);
        if (r[i].rpo_transactions < 0)
            snprintf(tx, sizeof tx, "-");
        else
            snprintf(tx, sizeof tx, "%.0f", r[i].rpo_transactions);
        printf("%-6lld %-22s %-24s %-8s %-10s %-10s %s\n", (long long)r[i].id, r[i].drill_name, ts,
               r[i].status, rto, rpo, tx);
    }
}

static void print_json(const RunSummary *r, size_t n)
{
    Buf b;
    buf_init(&b, 64u * 1024 * 1024);
    buf_appends(&b, "{\"schema_version\":1,\"runs\":[");
    for (size_t i = 0; i < n; i++) {
        char ts[40];
        time_format_utc_ms(r[i].started_utc_ms, ts, sizeof ts);
        buf_appendf(&b, "%s{\"id\":%lld,\"drill\":", i ? "," : "", (long long)r[i].id);
        buf_append_json(&b, r[i].drill_name);
        buf_appends(&b, ",\"started\":");
        buf_append_json(&b, ts);
        buf_appends(&b, ",\"verdict\":");
        buf_append_json(&b, r[i].status);
        buf_appendf(&b, ",\"rto_ms\":%.0f,\"rpo_ms\":%.0f,\"rpo_transactions\":%.0f}", r[i].rto_ms,
                    r[i].rpo_ms, r[i].rpo_transactions);
    }
    buf_appends(&b, "]}\n");
    fputs(b.data, stdout);
    buf_free(&b);
}

int cmd_history(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'J'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *db = NULL;
    bool json = false;
    long limit = 50;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'd': db = optarg; break;
        case 'J': json = true; break;
        case 'l':
            limit = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || limit <= 0 || limit > 100000)
                return cli_usage("history", "--limit must be a number between 1 and 100000");
            break;
        case 'h': help(); return DRILL_EXIT_OK;
        default: return cli_usage("history", "invalid option");
        }
    }
    if (argc - optind > 1)
        return cli_usage("history", "give at most one drill name");
    Store *st = NULL;
    int rc = cli_open_store("history", db, &st);
    if (rc != 0)
        return rc;
    RunSummary *runs = NULL;
    size_t n = 0;
    DrillError err;
    rc = store_history(st, optind < argc ? argv[optind] : NULL, (size_t)limit, &runs, &n, &err);
    store_close(st);
    if (rc < 0)
        return cli_fail("history", &err);
    if (json)
        print_json(runs, n);
    else
        print_table(runs, n);
    free(runs);
    return DRILL_EXIT_OK;
}
