/*
 * cmd_run.c — `drill run DRILL`: load and check the drill and topology,
 * run it (or print the plan), then render reports from the store.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "paths.h"
#include "plan.h"
#include "report.h"
#include "runner.h"
#include "scenario.h"
#include "topology.h"
#include "util.h"
#include "validate.h"

static void help(FILE *out)
{
    fputs("usage: drill run [OPTIONS] DRILL\n\n"
          "Runs a drill: preflight checks, the fault, the recovery, verification and\n"
          "cleanup (cleanup always runs). A heartbeat writer commits a row every few ms\n"
          "during the drill, so RTO (fault -> first write committed again) and RPO\n"
          "(acknowledged writes missing after recovery) are measured, not guessed.\n"
          "DRILL is a file or the name of a shipped drill (see `drill list`).\n"
          "Without --topology the local sandbox is used and brought up if needed.\n\n"
          "Options:\n"
          "  -t, --topology FILE   topology to run against (default: the local sandbox)\n"
          "      --sandbox-dir DIR sandbox state directory (see `drill sandbox --help`)\n"
          "      --db FILE         results store (default $DRILL_DB, else\n"
          "                        $XDG_DATA_HOME/drill/drill.db)\n"
          "      --junit FILE      write a JUnit XML report (CI quality gates)\n"
          "      --html FILE       write a self-contained HTML report (audit evidence)\n"
          "      --operator NAME   who runs this rehearsal (recorded; default\n"
          "                        $DRILL_OPERATOR); the OS user, $SUDO_USER and the CI\n"
          "                        job are recorded too\n"
          "      --change-ref REF  change or ticket this run belongs to (recorded;\n"
          "                        default $DRILL_CHANGE_REF)\n"
          "  -y, --yes             allow destructive steps (wipe, recover, re-clone)\n"
          "                        when the topology does not set allow_destructive\n"
          "      --accept-new-hostkey  trust an unknown SSH host key on first use: it is\n"
          "                        written to the node's known_hosts and recorded as a\n"
          "                        fact (a changed key is always refused)\n"
          "  -n, --dry-run         print every step, node and command, then run only\n"
          "                        read-only checks: nodes reachable and in their roles,\n"
          "                        the system_identifier pin, --yes/allow_destructive,\n"
          "                        the run lock and drill's advisory lock free, and the\n"
          "                        preflight steps that only read (`sql` inside a READ\n"
          "                        ONLY transaction; shell/exec only with `read_only:\n"
          "                        true`). Changes nothing, stores no run. Exit 0 when\n"
          "                        every check passed, 3 when one failed or the checks\n"
          "                        could not run (topology unreachable)\n"
          "      --progress MODE   auto (default), tty, lines or quiet\n"
          "  -q, --quiet           same as --progress quiet\n\n"
          "Before the first step a real run takes drill's advisory lock on the primary\n"
          "(pg_try_advisory_lock(1685219692, 0), session \"drill-lock run N\"): a second\n"
          "drill on the same cluster, from any host, is refused (exit 3) naming the\n"
          "holder, with nothing touched.\n\n"
          "Progress goes to stderr; the summary to stdout. Each report file is listed\n"
          "with its SHA-256 in SHA256SUMS next to it; the finished run is sealed into\n"
          "the store's evidence chain (see `drill verify --help`).\n\n", out);
    fputs(cli_exit_help, out);
}

typedef struct RunArgs {
    const char *topology, *sandbox_dir, *db, *junit, *html, *drill, *operator_name, *change_ref;
    bool yes, dry_run, accept_new_hostkey;
    ProgressMode progress;
} RunArgs;

static int parse_progress(const char *s, ProgressMode *m)
{
    static const char *const names[] = {"auto", "tty", "lines", "quiet"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *m = (ProgressMode)i;
            return 0;
        }
    return -1;
}

static int parse_args(int argc, char **argv, RunArgs *a)
{
    static const struct option opts[] = {
        {"topology", required_argument, NULL, 't'}, {"sandbox-dir", required_argument, NULL, 'S'},
        {"db", required_argument, NULL, 'd'},       {"junit", required_argument, NULL, 'j'},
        {"html", required_argument, NULL, 'H'},     {"yes", no_argument, NULL, 'y'},
        {"dry-run", no_argument, NULL, 'n'},        {"progress", required_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
        {"operator", required_argument, NULL, 'O'}, {"change-ref", required_argument, NULL, 'C'},
        {"accept-new-hostkey", no_argument, NULL, 'A'},
        {0}};
    int c;
    while ((c = getopt_long(argc, argv, "t:ynqh", opts, NULL)) != -1) {
        switch (c) {
        case 't': a->topology = optarg; break;
        case 'S': a->sandbox_dir = optarg; break;
        case 'd': a->db = optarg; break;
        case 'j': a->junit = optarg; break;
        case 'H': a->html = optarg; break;
        case 'y': a->yes = true; break;
        case 'A': a->accept_new_hostkey = true; break;
        case 'O': a->operator_name = optarg; break;
        case 'C': a->change_ref = optarg; break;
        case 'n': a->dry_run = true; break;
        case 'q': a->progress = PROGRESS_QUIET; break;
        case 'p':
            if (parse_progress(optarg, &a->progress) < 0)
                return cli_usage("run", "--progress must be auto, tty, lines or quiet");
            break;
        case 'h': help(stdout); return -1;
        default: return cli_usage("run", "invalid option");
        }
    }
    if (optind != argc - 1)
        return cli_usage("run", optind >= argc ? "no drill given" : "give exactly one drill");
    a->drill = argv[optind];
    return 0;
}

/* Loads drill + topology and checks them together; prints diagnostics. */
static int load_inputs(const RunArgs *a, Scenario **s, Topology **t)
{
    char *path = paths_find_drill(a->drill);
    if (path == NULL) {
        fprintf(stderr, "drill run: error: no drill \"%s\"\n  hint: `drill list` shows the "
                        "drills drill can find; or give a path to a .yaml file\n", a->drill);
        return DRILL_EXIT_INVALID;
    }
    DiagList *diags = diag_list_new();
    int rc = scenario_load(path, diags, s);
    free(path);
    char *topo_path = NULL;
    DrillError err;
    if (rc == 0 && a->topology == NULL && !a->dry_run &&
        cli_sandbox_topology(a->sandbox_dir, &topo_path, &err) < 0) {
        diag_list_free(diags);
        return cli_fail("run", &err);
    }
    if (rc == 0 && a->topology == NULL && a->dry_run && topo_path == NULL) {
        char *d = a->sandbox_dir ? xstrdup(a->sandbox_dir) : paths_sandbox_dir();
        topo_path = xasprintf("%s/topology.yaml", d);
        free(d);
    }
    if (rc == 0)
        rc = topology_load(a->topology ? a->topology : topo_path, diags, t);
    if (rc == 0 && validate_against_topology(*s, *t, diags) > 0)
        rc = DRILL_E_INVALID;
    free(topo_path);
    diag_print(diags, stderr);
    diag_list_free(diags);
    return rc == 0 ? 0 : DRILL_EXIT_INVALID;
}

static void on_signal(int signo)
{
    runner_request_stop(signo);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void print_summary(const RunRecord *r, const RunResult *res)
{
    printf("%s: %s (run %lld)\n", r->drill_name, res->verdict, (long long)r->id);
    for (size_t i = 0; i < r->nobjectives; i++) {
        const StoredObjective *o = &r->objectives[i];
        printf("  objective %-17s target %.0f %s, ", o->name, o->target, o->unit);
        if (o->measured < 0)
            printf("not measured (%s): MISSED\n", o->how);
        else
            printf("measured %.0f %s: %s\n", o->measured, o->unit, o->passed ? "met" : "MISSED");
    }
    if (r->nmeasures > 0)
        fputs("  measured:", stdout);
    for (size_t i = 0; i < r->nmeasures; i++)
        printf(" %s=%.0f%s", r->measures[i].key, r->measures[i].value,
               i + 1 < r->nmeasures ? "," : "\n");
    if (r->message != NULL && *r->message != '\0')
        printf("  %s\n", r->message);
}

/* Reports are rendered from the stored run, never from in-memory state. */
static int render_reports(Store *st, const RunArgs *a, const RunResult *res)
{
    RunRecord *rec = NULL;
    DrillError err;
    if (store_run_load(st, res->run_id, &rec, &err) < 0)
        return cli_fail("run", &err);
    print_summary(rec, res);
    int rc = cli_write_reports("run", st, rec, a->junit, a->html);
    run_record_free(rec);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    RunArgs a = {.progress = PROGRESS_AUTO};
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? DRILL_EXIT_OK : rc;
    Scenario *s = NULL;
    Topology *t = NULL;
    Plan *plan = NULL;
    Store *st = NULL;
    DrillError err;
    if ((rc = load_inputs(&a, &s, &t)) != 0)
        goto out;
    if ((rc = plan_build(s, t, &plan, &err)) < 0) {
        rc = cli_fail("run", &err);
        goto out;
    }
    if (a.dry_run) {
        RunOptions dry = {.yes = a.yes, .topology_file = a.topology};
        rc = runner_dry_run(plan, &dry, stdout);
        goto out;
    }
    if ((rc = cli_open_store("run", a.db, &st)) != 0)
        goto out;
    if (runner_reap_orphans(st, stderr, &err) < 0) {
        rc = cli_fail("run", &err);
        goto out;
    }
    install_signals();
    RunOptions opt = {.yes = a.yes, .progress = a.progress, .topology_file = a.topology,
                      .operator_name = a.operator_name, .change_ref = a.change_ref,
                      .renderer_version = report_library_version(),
                      .accept_new_hostkey = a.accept_new_hostkey};
    RunResult res;
    if ((rc = runner_run(plan, st, &opt, &res, &err)) < 0) {
        rc = cli_fail("run", &err);
        goto out;
    }
    rc = render_reports(st, &a, &res);
    rc = rc != 0 && res.exit_code == 0 ? rc : res.exit_code;
out:
    store_close(st);
    plan_free(plan);
    topology_free(t);
    scenario_free(s);
    return rc;
}
