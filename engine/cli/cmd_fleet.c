/*
 * cmd_fleet.c — `drill fleet`: every target (topology) and drill the store
 * has runs of, judged at a glance: the newest run's verdict, RTO/RPO against
 * their objectives, the RTO trend, when it last passed (against --max-age),
 * open audit findings. Text, JSON, JUnit (a testcase per target x drill, for
 * a CI gate) or a self-contained HTML page (reports/fleet.c).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "duration.h"
#include "json.h"
#include "report.h"
#include "topology.h"
#include "util.h"

static void help(void)
{
    puts("usage: drill fleet [--db STORE] [--max-age DURATION] [-t TOPOLOGY]...\n"
         "                  [--format text|json|junit|html] [--junit FILE] [--html FILE]\n\n"
         "One line per target (the topology a run was on) and drill the store has runs\n"
         "of, from the newest finished run of each: its verdict, RTO and RPO against\n"
         "their objectives, the RTO trend (against the passed run before), when it last\n"
         "passed, and for `drill audit` its critical findings. A pair is\n"
         "  failed  its newest run did not pass (or the audit found something critical)\n"
         "  stale   with --max-age: it has not passed within that time (or never)\n"
         "  ok      otherwise.\n\n"
         "  --max-age DURATION  e.g. 7d: every target x drill must have passed within it\n"
         "                 (a CI gate: `drill fleet --max-age 7d --junit fleet.xml`)\n"
         "  -t, --topology FILE  (repeatable) the schedule of a target: its\n"
         "                 `rehearse_every: {DRILL: 7d}` holds that drill on that target to\n"
         "                 its own age, and a drill it lists that never ran there is a\n"
         "                 row too (stale): a cluster nobody rehearsed is not invisible\n"
         "  --format F     text (default), json, junit or html, on stdout\n"
         "  --junit FILE   also write JUnit XML: a <testsuite> per target, a <testcase>\n"
         "                 classname=\"drill.fleet.TARGET\" name=\"DRILL\" per pair, failed\n"
         "                 when not ok\n"
         "  --html FILE    also write the overview as one self-contained HTML page\n\n"
         "Exit status: 0 every pair ok, 1 a pair failed or stale, 2 usage, 3 the store\n"
         "cannot be read. JSON: {\"command\": \"fleet\", generated, max_age_ms, summary,\n"
         "entries[]}; schema: drill(1), JSON OUTPUT.");
}

static void fmt_ms(double ms, char *out, size_t size)
{
    if (isnan(ms))
        snprintf(out, size, "-");
    else
        time_format_duration_ms((int64_t)ms, out, size);
}

/* "3.4s <= 30s" / "41s > 30s" / "3.4s" */
static void fmt_objective(double ms, double target, char *out, size_t size)
{
    char v[32], t[32];
    fmt_ms(ms, v, sizeof v);
    if (isnan(ms) || isnan(target) || target < 0) {
        snprintf(out, size, "%s", v);
        return;
    }
    fmt_ms(target, t, sizeof t);
    snprintf(out, size, "%s %s %s", v, ms <= target ? "<=" : ">", t);
}

static void fmt_trend(const FleetRow *r, char *out, size_t size)
{
    char d[32];
    if (isnan(r->rto_ms) || isnan(r->prev_rto_ms)) {
        snprintf(out, size, "-");
        return;
    }
    fmt_ms(fabs(r->rto_ms - r->prev_rto_ms), d, sizeof d);
    snprintf(out, size, "%s%s", r->rto_ms >= r->prev_rto_ms ? "+" : "-", d);
}

static void print_text(const FleetView *v)
{
    printf("%-16s %-26s %-7s %-20s %-20s %-9s %s\n", "TARGET", "DRILL", "VERDICT", "RTO",
           "RPO", "TREND", "WHY");
    for (size_t i = 0; i < v->n; i++) {
        const FleetRow *r = &v->rows[i];
        char why[256], rto[64], rpo[64], trend[40];
        const char *verdict = fleet_judge(v, r, why, sizeof why);
        fmt_objective(r->rto_ms, r->rto_target_ms, rto, sizeof rto);
        fmt_objective(r->rpo_ms, r->rpo_target_ms, rpo, sizeof rpo);
        fmt_trend(r, trend, sizeof trend);
        printf("%-16s %-26s %-7s %-20s %-20s %-9s %s\n", r->target[0] ? r->target : "-",
               r->drill, verdict, rto, rpo, trend, why);
    }
    size_t bad = fleet_not_ok(v);
    printf("%zu target x drill pair(s), %zu not ok\n", v->n, bad);
}

static void kv_opt(JsonWriter *w, const char *key, double v)
{
    if (isnan(v))
        json_kv_measure(w, key, -1);   /* null */
    else
        json_kv_number(w, key, v);
}

static void kv_time(JsonWriter *w, const char *key, int64_t ms)
{
    char ts[40];
    time_format_utc_ms(ms, ts, sizeof ts);
    json_kv_string(w, key, ms > 0 ? ts : NULL);
}

static void json_entry(JsonWriter *w, const FleetView *v, const FleetRow *r)
{
    char why[256];
    const char *verdict = fleet_judge(v, r, why, sizeof why);
    json_object_begin(w);
    json_kv_string(w, "target", r->target[0] ? r->target : NULL);
    json_kv_string(w, "drill", r->drill);
    json_kv_string(w, "verdict", verdict);
    json_kv_string(w, "why", why);
    json_kv_int(w, "runs", r->runs);
    if (r->runs > 0)
        json_kv_int(w, "last_run_id", r->last_id);
    else
        json_kv_measure(w, "last_run_id", -1);   /* null: never run */
    json_kv_string(w, "last_status", r->runs > 0 ? r->last_status : NULL);
    if (r->max_age_ms > 0)
        json_kv_int(w, "schedule_ms", r->max_age_ms);
    else
        json_kv_measure(w, "schedule_ms", -1);
    kv_time(w, "last_started", r->last_started_ms);
    kv_time(w, "last_passed", r->last_passed_ms);
    kv_opt(w, "rto_ms", r->rto_ms);
    kv_opt(w, "rto_target_ms", r->rto_target_ms);
    kv_opt(w, "rpo_ms", r->rpo_ms);
    kv_opt(w, "rpo_target_ms", r->rpo_target_ms);
    kv_opt(w, "rpo_transactions", r->rpo_tx);
    json_kv_int(w, "objectives", r->objectives);
    json_kv_int(w, "objectives_missed", r->objectives_missed);
    kv_opt(w, "previous_rto_ms", r->prev_rto_ms);
    kv_opt(w, "audit_critical", r->audit_critical);
    kv_opt(w, "audit_warning", r->audit_warning);
    json_object_end(w);
}

static int print_json(const FleetView *v)
{
    JsonWriter w;
    json_begin(&w, "fleet");
    kv_time(&w, "generated", v->now_ms);
    if (v->max_age_ms > 0)
        json_kv_int(&w, "max_age_ms", v->max_age_ms);
    else
        json_kv_measure(&w, "max_age_ms", -1);
    json_key(&w, "summary");
    json_object_begin(&w);
    size_t targets = 0;
    for (size_t i = 0; i < v->n; i++)
        targets += i == 0 || !str_eq(v->rows[i].target, v->rows[i - 1].target);
    json_kv_int(&w, "targets", (int64_t)targets);
    json_kv_int(&w, "pairs", (int64_t)v->n);
    json_kv_int(&w, "not_ok", (int64_t)fleet_not_ok(v));
    json_object_end(&w);
    json_key(&w, "entries");
    json_array_begin(&w);
    for (size_t i = 0; i < v->n; i++)
        json_entry(&w, v, &v->rows[i]);
    json_array_end(&w);
    DrillError err;
    return json_finish(&w, stdout, &err) < 0 ? cli_fail("fleet", &err) : DRILL_EXIT_OK;
}

#define FLEET_TOPOLOGIES_MAX 1000

typedef struct FleetOpts {
    const char *db, *junit, *html, *format;
    int64_t max_age_ms;
    const char *topologies[FLEET_TOPOLOGIES_MAX];
    size_t ntopologies;
} FleetOpts;

static int parse(int argc, char **argv, FleetOpts *o)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"max-age", required_argument, NULL, 'a'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"junit", required_argument, NULL, 'j'},
                                         {"html", required_argument, NULL, 'H'},
                                         {"topology", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    int c;
    while ((c = cli_getopt("fleet", argc, argv, "ht:", opts)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'a':
            if (duration_parse_ms_upto(optarg, DURATION_SCHEDULE_MAX_MS, &o->max_age_ms) != 0 ||
                o->max_age_ms <= 0)
                return cli_usage("fleet", "--max-age takes a duration such as 7d, 90d or 36h (at "
                                          "most 400d), not \"%s\"", optarg);
            break;
        case 'F':
            if (!str_eq(optarg, "text") && !str_eq(optarg, "json") && !str_eq(optarg, "junit") &&
                !str_eq(optarg, "html"))
                return cli_usage("fleet", "--format is text, json, junit or html, not \"%s\"",
                                 optarg);
            o->format = optarg;
            break;
        case 't':
            if (o->ntopologies == FLEET_TOPOLOGIES_MAX)
                return cli_usage("fleet", "at most %d topologies", FLEET_TOPOLOGIES_MAX);
            o->topologies[o->ntopologies++] = optarg;
            break;
        case 'j': o->junit = optarg; break;
        case 'H': o->html = optarg; break;
        case 'h': help(); return -1;
        default: return DRILL_EXIT_INVALID;   /* cli_getopt said why */
        }
    }
    if (optind < argc)
        return cli_usage("fleet", "unexpected argument \"%s\"", argv[optind]);
    return 0;
}

static int write_outputs(const FleetOpts *o, const FleetView *v)
{
    DrillError err;
    if (o->junit != NULL && report_fleet_junit_write(v, o->junit, &err) < 0)
        return cli_fail("fleet", &err);
    if (o->html != NULL && report_fleet_html_write(v, o->html, &err) < 0)
        return cli_fail("fleet", &err);
    int rc = 0;
    if (str_eq(o->format, "json"))
        rc = print_json(v);
    else if (str_eq(o->format, "junit"))
        rc = report_fleet_junit_write(v, "-", &err) < 0 ? cli_fail("fleet", &err) : 0;
    else if (str_eq(o->format, "html"))
        rc = report_fleet_html_write(v, "-", &err) < 0 ? cli_fail("fleet", &err) : 0;
    else
        print_text(v);
    return rc;
}

/* The row of (target, drill), appended (never run: runs 0) when missing. */
static FleetRow *row_for(FleetRow **rows, size_t *n, const char *target, const char *drill)
{
    for (size_t i = 0; i < *n; i++)
        if (str_eq((*rows)[i].target, target) && str_eq((*rows)[i].drill, drill))
            return &(*rows)[i];
    *rows = xrealloc(*rows, (*n + 1) * sizeof **rows);
    FleetRow *r = &(*rows)[(*n)++];
    memset(r, 0, sizeof *r);
    snprintf(r->target, sizeof r->target, "%s", target);
    snprintf(r->drill, sizeof r->drill, "%s", drill);
    r->rto_ms = r->rpo_ms = r->rpo_tx = r->rto_target_ms = r->rpo_target_ms = NAN;
    r->prev_rto_ms = r->audit_critical = r->audit_warning = NAN;
    return r;
}

static int cmp_rows(const void *a, const void *b)
{
    const FleetRow *x = a, *y = b;
    int c = strcmp(x->target, y->target);
    return c != 0 ? c : strcmp(x->drill, y->drill);
}

/* Each topology's rehearse_every, onto its target's rows. */
static int apply_schedules(const FleetOpts *o, FleetRow **rows, size_t *n)
{
    for (size_t i = 0; i < o->ntopologies; i++) {
        Topology *t = NULL;
        DiagList *dl = diag_list_new();
        int rc = topology_load(o->topologies[i], dl, &t);
        diag_print(dl, stderr);
        diag_list_free(dl);
        if (rc != 0)
            return cli_usage("fleet", "topology %s is not valid (see above)", o->topologies[i]);
        for (size_t k = 0; k < t->nrehearse_every; k++)
            row_for(rows, n, t->name, t->rehearse_every[k].drill)->max_age_ms =
                t->rehearse_every[k].max_age_ms;
        topology_free(t);
    }
    qsort(*rows, *n, sizeof **rows, cmp_rows);
    return 0;
}

int cmd_fleet(int argc, char **argv)
{
    FleetOpts o = {.format = "text"};
    int rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? DRILL_EXIT_OK : rc;
    Store *st = NULL;
    rc = cli_open_existing_store("fleet", o.db, &st);
    if (rc != 0)
        return rc;
    FleetRow *rows = NULL;
    size_t n = 0;
    DrillError err;
    rc = store_fleet(st, &rows, &n, &err);
    if (rc < 0) {
        store_close(st);
        return cli_fail("fleet", &err);
    }
    rc = apply_schedules(&o, &rows, &n);
    if (rc != 0) {
        store_close(st);
        free(rows);
        return rc;
    }
    FleetView v = {rows, n, time_utc_ms(), o.max_age_ms, store_path(st)};
    rc = write_outputs(&o, &v);
    size_t bad = fleet_not_ok(&v);
    store_close(st);
    free(rows);
    if (rc != 0)
        return rc;
    return bad > 0 ? DRILL_EXIT_FAILED : DRILL_EXIT_OK;
}
