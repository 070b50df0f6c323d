/*
 * cmd_history.c — `drill history [DRILL]`: past runs from the store, as a
 * table or JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "util.h"

static void help(void)
{
    puts("usage: drill history [--db STORE] [--format text|json] [--limit N]\n"
         "                    [--measure PATTERN] [DRILL]\n\n"
         "Lists stored runs, most recent first: id, drill, start (UTC), verdict, RTO, RPO.\n"
         "Re-render any of them with `drill report RUN --html F --junit F`.\n\n"
         "  --measure PATTERN  instead, the trend of the measures whose key matches\n"
         "                 PATTERN (SQL LIKE: % any text, _ one character), one line per\n"
         "                 run and key, e.g. where the downtime went, run after run:\n"
         "                 --measure 'downtime.%restore%' or --measure 'downtime.pg1.%'\n"
         "                 (JSON: {\"points\": [{run_id, drill, started, key, value, unit}]})\n"
         "  --format json  one JSON document on stdout: {\"schema_version\": 1, \"command\":\n"
         "                 \"history\", \"runs\": [{run_id, drill, started, verdict, batch_id\n"
         "                 (0 = none), duration_ms, rto_ms, rpo_ms, rpo_transactions}]} (null =\n"
         "                 not measured); --json is the same. Schema: drill(1), JSON OUTPUT");
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

static int print_json(const RunSummary *r, size_t n)
{
    JsonWriter w;
    json_begin(&w, "history");
    json_key(&w, "runs");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        char ts[40];
        time_format_utc_ms(r[i].started_utc_ms, ts, sizeof ts);
        json_object_begin(&w);
        json_kv_int(&w, "run_id", r[i].id);
        json_kv_int(&w, "id", r[i].id);   /* deprecated: run_id, as everywhere else */
        json_kv_string(&w, "drill", r[i].drill_name);
        json_kv_string(&w, "started", ts);
        json_kv_string(&w, "verdict", r[i].status);
        json_kv_int(&w, "batch_id", r[i].batch_id);
        json_kv_number(&w, "duration_ms", (double)(r[i].duration_us / 1000));
        json_kv_measure(&w, "rto_ms", r[i].rto_ms);
        json_kv_measure(&w, "rpo_ms", r[i].rpo_ms);
        json_kv_measure(&w, "rpo_transactions", r[i].rpo_transactions);
        json_object_end(&w);
    }
    json_array_end(&w);
    DrillError err;
    return json_finish(&w, stdout, &err) < 0 ? cli_fail("history", &err) : DRILL_EXIT_OK;
}

static int print_trend(const MeasurePoint *p, size_t n, bool json)
{
    if (!json) {
        printf("%-6s %-22s %-24s %-44s %s\n", "RUN", "DRILL", "STARTED", "MEASURE", "VALUE");
        for (size_t i = 0; i < n; i++) {
            char ts[40];
            time_format_utc_ms(p[i].started_utc_ms, ts, sizeof ts);
            printf("%-6lld %-22s %-24s %-44s %.1f %s\n", (long long)p[i].run_id,
                   p[i].drill_name, ts, p[i].key, p[i].value, p[i].unit);
        }
        return DRILL_EXIT_OK;
    }
    JsonWriter w;
    json_begin(&w, "history");
    json_key(&w, "points");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        char ts[40];
        time_format_utc_ms(p[i].started_utc_ms, ts, sizeof ts);
        json_object_begin(&w);
        json_kv_int(&w, "run_id", p[i].run_id);
        json_kv_int(&w, "run", p[i].run_id);   /* deprecated: run_id */
        json_kv_string(&w, "drill", p[i].drill_name);
        json_kv_string(&w, "started", ts);
        json_kv_string(&w, "key", p[i].key);
        json_kv_number(&w, "value", p[i].value);
        json_kv_string(&w, "unit", p[i].unit);
        json_object_end(&w);
    }
    json_array_end(&w);
    DrillError err;
    return json_finish(&w, stdout, &err) < 0 ? cli_fail("history", &err) : DRILL_EXIT_OK;
}

static int history_trend(Store *st, const char *drill, const char *pattern, long limit,
                         bool json)
{
    MeasurePoint *p = NULL;
    size_t n = 0;
    DrillError err;
    int rc = store_measure_trend(st, drill, pattern, (size_t)limit, &p, &n, &err);
    if (rc < 0)
        return cli_fail("history", &err);
    rc = print_trend(p, n, json);
    free(p);
    return rc;
}

int cmd_history(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'J'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"measure", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *db = NULL, *measure = NULL;
    bool json = false;
    long limit = 50;
    int c;
    while ((c = cli_getopt("history", argc, argv, "h", opts)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'd': db = optarg; break;
        case 'J': json = true; break;
        case 'F':
            if (cli_parse_format("history", optarg, &json) != 0)
                return DRILL_EXIT_INVALID;
            break;
        case 'l':
            limit = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || limit <= 0 || limit > 100000)
                return cli_usage("history", "--limit must be a number between 1 and 100000");
            break;
        case 'm': measure = optarg; break;
        case 'h': help(); return DRILL_EXIT_OK;
        default: return DRILL_EXIT_INVALID;   /* cli_getopt said why */
        }
    }
    if (argc - optind > 1)
        return cli_usage("history", "give at most one drill name");
    Store *st = NULL;
    int rc = cli_open_existing_store("history", db, &st);
    if (rc != 0)
        return rc;
    if (measure != NULL) {
        rc = history_trend(st, optind < argc ? argv[optind] : NULL, measure, limit, json);
        store_close(st);
        return rc;
    }
    RunSummary *runs = NULL;
    size_t n = 0;
    DrillError err;
    rc = store_history(st, optind < argc ? argv[optind] : NULL, (size_t)limit, &runs, &n, &err);
    store_close(st);
    if (rc < 0)
        return cli_fail("history", &err);
    rc = DRILL_EXIT_OK;
    if (json)
        rc = print_json(runs, n);
    else
        print_table(runs, n);
    free(runs);
    return rc;
}
