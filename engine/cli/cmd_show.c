/*
 * cmd_show.c — `drill show RUN` / `drill show --batch ID`: a stored run in
 * the terminal, the way barman's show-backup or pgBackRest's info show
 * theirs. Read from the store alone, like `drill report`, so a run of last
 * month shows the same as one of a minute ago: verdict, objectives with
 * their targets, where the downtime went, every step with its status and
 * duration, the findings, the evidence seal. Fits 80 columns; verdict words
 * are colored as after a run (NO_COLOR, --color).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "color.h"
#include "util.h"

#define SHOW_WIDTH 80

static void help(void)
{
    puts("usage: drill show [--db STORE] [--format text|json] [--color WHEN] RUN\n"
         "       drill show [--db STORE] [--format text|json] [--color WHEN] --batch ID\n\n"
         "Shows stored run RUN (see `drill history`) in the terminal: verdict and exit\n"
         "status, objectives with targets, where the downtime went (the outage cut\n"
         "into the steps that filled it, and what each server logged), every step\n"
         "with phase, node, duration and status, the findings, and the evidence seal.\n"
         "--batch ID shows every run of a `drill run A B ...` batch.\n\n"
         "Options:\n"
         "      --db STORE        the store (default: DRILL_DB or ~/.local/share/drill/drill.db)\n"
         "      --format json     the runs as `drill run --format json` prints them\n"
         "      --color WHEN      auto, always or never (NO_COLOR is honoured)\n\n"
         "Exit status: 0 shown, 2 usage error or no such run, 3 the store cannot be read.");
}

/* 1234 -> "1.234s", 85 -> "85ms": from integers (printf's %f follows the
 * locale). */
static const char *ms_text(int64_t ms, char *buf, size_t bufsz)
{
    if (ms < 1000)
        snprintf(buf, bufsz, "%lldms", (long long)ms);
    else
        snprintf(buf, bufsz, "%lld.%03llds", (long long)(ms / 1000), (long long)(ms % 1000));
    return buf;
}

static void show_header(const RunRecord *r)
{
    char when[40], took[32];
    time_format_utc_ms(r->started_utc_ms, when, sizeof when);
    printf("%s  run %lld  ", r->drill_name, (long long)r->id);
    cli_put_word(r->status);
    printf("  (exit status %d)\n", r->exit_code);
    printf("  started %s, took %s, topology %s, host %s\n", when,
           ms_text(r->duration_us / 1000, took, sizeof took),
           r->topology_name ? r->topology_name : "-", r->hostname ? r->hostname : "-");
    if (r->message != NULL && r->message[0] != '\0')
        printf("  %s\n", r->message);
}

/* Last value of a measure, or -1. */
static double measure_of(const RunRecord *r, const char *key)
{
    for (size_t i = r->nmeasures; i > 0; i--)
        if (str_eq(r->measures[i - 1].key, key))
            return r->measures[i - 1].value;
    return -1;
}

/* A step's segment of the outage: "downtime.04 restore ..." (its order,
 * then the step's name, which may hold dots) or "downtime.between steps";
 * anything else under downtime. is a node's server-log figure
 * ("downtime.pg1.ready_ms", "downtime.pg1.wal_restored"). */
static bool is_segment(const char *key)
{
    const char *rest = key + strlen("downtime.");
    return str_eq(rest, "between steps") ||
           (rest[0] >= '0' && rest[0] <= '9' && rest[1] >= '0' && rest[1] <= '9' && rest[2] == ' ');
}

static void show_node_figure(const StoredMeasure *m)
{
    const char *node = m->key + strlen("downtime.");
    const char *dot = strchr(node, '.');
    if (dot == NULL)
        return;
    size_t len = strlen(dot + 1);
    bool ms = len > 3 && strcmp(dot + 1 + len - 3, "_ms") == 0;
    bool span = len > 8 && strcmp(dot + 1 + len - 8, "_wait_ms") == 0;   /* a length, not a time */
    if (span)
        printf("  %.*s %.*s: %lld ms (server log)\n", (int)(dot - node), node, (int)(len - 3),
               dot + 1, (long long)m->value);
    else if (ms)
        printf("  %.*s %.*s at +%lld ms (server log)\n", (int)(dot - node), node, (int)(len - 3),
               dot + 1, (long long)m->value);
    else
        printf("  %.*s %s: %lld %s (server log)\n", (int)(dot - node), node, dot + 1,
               (long long)m->value, m->unit ? m->unit : "");
}

static void show_downtime(const RunRecord *r)
{
    double rto = measure_of(r, "rto_ms");
    if (rto <= 0)
        return;
    printf("where the downtime went (RTO %lld ms)\n", (long long)rto);
    for (size_t i = 0; i < r->nmeasures; i++) {
        const char *k = r->measures[i].key;
        if (!str_has_prefix(k, "downtime.") || !is_segment(k))
            continue;
        const char *name = k + strlen("downtime.");
        if (name[0] >= '0' && name[0] <= '9')
            name += 3;   /* the segment's order */
        double v = r->measures[i].value;
        printf("  %-58.58s %8lld ms %5lld%%\n", name, (long long)v,
               (long long)(100.0 * v / rto + 0.5));
    }
    for (size_t i = 0; i < r->nmeasures; i++)
        if (str_has_prefix(r->measures[i].key, "downtime.") && !is_segment(r->measures[i].key))
            show_node_figure(&r->measures[i]);
}

/* Whether every step of the rollback phase was skipped (the recovery
 * passed): they then show as one line, not fourteen. */
static bool rollback_unused(const RunRecord *r, int *first, int *last)
{
    *first = *last = -1;
    for (size_t i = 0; i < r->nsteps; i++) {
        if (!str_eq(r->steps[i].phase, "rollback"))
            continue;
        if (!str_eq(r->steps[i].status, "skipped"))
            return false;
        *first = *first < 0 ? r->steps[i].seq + 1 : *first;
        *last = r->steps[i].seq + 1;
    }
    return *first > 0;
}

static void show_steps(const RunRecord *r)
{
    int first, last;
    bool fold = rollback_unused(r, &first, &last);
    printf("steps\n");
    for (size_t i = 0; i < r->nsteps; i++) {
        const StoredStep *s = &r->steps[i];
        if (fold && str_eq(s->phase, "rollback")) {
            if (s->seq + 1 == first)
                printf("  %3d-%d rollback: not needed (%d steps skipped)\n", first, last,
                       last - first + 1);
            continue;
        }
        char took[32];
        printf("  %3d %-9.9s %-38.38s %-8.8s %8s ", s->seq + 1, s->phase ? s->phase : "",
               s->name ? s->name : "", s->node ? s->node : "local",
               ms_text(s->duration_us / 1000, took, sizeof took));
        cli_put_word(s->status ? s->status : "?");
        putchar('\n');
        /* What went wrong is the line a reader came for. */
        if (s->message != NULL && s->message[0] != '\0' && !str_eq(s->status, "ok") &&
            !str_eq(s->status, "skipped"))
            printf("      %.*s\n", SHOW_WIDTH - 6, s->message);
    }
}

/* Prints text wrapped at SHOW_WIDTH, the first line after `first`, the
 * others indented like it. */
static void print_wrapped(const char *first, const char *text)
{
    size_t indent = strlen(first), col = indent;
    fputs(first, stdout);
    while (*text != '\0') {
        size_t word = strcspn(text, " ");
        if (col > indent && col + 1 + word > SHOW_WIDTH) {
            printf("\n%*s", (int)indent, "");
            col = indent;
        } else if (col > indent) {
            putchar(' ');
            col++;
        }
        printf("%.*s", (int)word, text);
        col += word;
        text += word;
        text += strspn(text, " ");
    }
    putchar('\n');
}

static void show_findings(const RunRecord *r)
{
    bool any = false;
    for (size_t i = 0; i < r->nevents; i++) {
        const StoredEvent *e = &r->events[i];
        if (!str_eq(e->name, "finding") || e->detail == NULL)
            continue;
        if (!any)
            printf("findings\n");
        any = true;
        print_wrapped("  - ", e->detail);
    }
}

static void show_run(const RunRecord *r)
{
    show_header(r);
    if (r->nobjectives > 0)
        printf("objectives\n");
    for (size_t i = 0; i < r->nobjectives; i++)
        cli_print_objective(&r->objectives[i]);
    show_downtime(r);
    show_steps(r);
    show_findings(r);
    if (r->sealed)
        printf("evidence: sealed as link %lld\n  chain head %s\n", (long long)r->seal.seq,
               r->seal.chain_sha256);
    else
        printf("evidence: not sealed (the run is still running, or was stored before "
               "sealing existed)\n");
}

int cmd_show(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"json", no_argument, NULL, 'J'},
                                         {"color", required_argument, NULL, 'c'},
                                         {"batch", no_argument, NULL, 'b'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *db = NULL;
    bool batch = false, json = false;
    int c;
    while ((c = cli_getopt("show", argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'J': json = true; break;
        case 'F':
            if (cli_parse_format("show", optarg, &json) != 0)
                return DRILL_EXIT_INVALID;
            break;
        case 'c':
            if (cli_parse_color("show", optarg) != 0)
                return DRILL_EXIT_INVALID;
            break;
        case 'b': batch = true; break;
        case 'h': help(); return DRILL_EXIT_OK;
        default: return DRILL_EXIT_INVALID;   /* cli_getopt said why */
        }
    }
    if (optind != argc - 1)
        return cli_usage("show", "give exactly one %s id (see `drill history`)",
                         batch ? "batch" : "run");
    Store *st = NULL;
    int rc = cli_open_existing_store("show", db, &st);
    if (rc != 0)
        return rc;
    RunRecord **recs = NULL;
    size_t n = 0;
    rc = cli_load_runs("show", st, argv[optind], batch, &recs, &n);
    store_close(st);
    if (rc == 0 && json)
        rc = cli_print_runs_json("show", recs, n);
    for (size_t i = 0; rc == 0 && !json && i < n; i++) {
        if (i > 0)
            putchar('\n');
        show_run(recs[i]);
    }
    cli_free_batch(recs, n);
    return rc;
}
