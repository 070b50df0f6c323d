/*
 * cmd_run.c — `drill run DRILL...`: load and check the drills (and suite)
 * against the topology, run them as one batch (batch.c) or print the plans,
 * then render reports from the store.
 */
#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "json.h"
#include "paths.h"
#include "plan.h"
#include "report.h"
#include "runner.h"
#include "scenario.h"
#include "suite.h"
#include "topology.h"
#include "util.h"
#include "validate.h"
#include "yamldoc.h"

static void help(FILE *out)
{
    fputs("usage: drill run [OPTIONS] DRILL...\n"
          "       drill run [OPTIONS] --suite FILE [DRILL...]\n\n"
          "Runs a drill: preflight checks, the fault, the recovery, verification and\n"
          "cleanup (cleanup always runs). A heartbeat writer commits a row every few ms\n"
          "during the drill, so RTO (fault -> first write committed again) and RPO\n"
          "(acknowledged writes missing after recovery) are measured, not guessed.\n"
          "DRILL is a file or the name of a shipped drill (see `drill list`). Several\n"
          "drills run one after the other against the same topology, as one batch:\n"
          "one JUnit file with a <testsuite> per drill, one exit status (the worst).\n"
          "Every drill is checked before the first one starts.\n"
          "Without --topology the local sandbox is used and brought up if needed.\n\n"
          "Options:\n"
          "  -t, --topology FILE   topology to run against (default: the local sandbox)\n"
          "      --sandbox-dir DIR sandbox state directory (see `drill sandbox --help`)\n"
          "      --db STORE        results store (default $DRILL_DB, else\n"
          "                        $XDG_DATA_HOME/drill/drill.db): a file, or a\n"
          "                        postgresql://USER@HOST/DB that runners share\n"
          "      --junit FILE      write a JUnit XML report (CI quality gates)\n"
          "      --html FILE       write a self-contained HTML report (audit evidence)\n"
          "                        FILE - writes either one to standard output\n"
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
          "      --objective NAME=VALUE  judge this run against VALUE instead of the\n"
          "                        drill's target (repeatable): rto=10m, rpo=5s,\n"
          "                        rpo_transactions=0, slot_retained_alert=64MB, or\n"
          "                        NAME=none to measure without judging. See\n"
          "                        \"Objectives\" below\n"
          "      --set NAME=VALUE  replace the drill's variable NAME (repeatable), e.g.\n"
          "                        --set bin=/usr/lib/postgresql/16/bin; an unknown NAME\n"
          "                        is an error; the values set are recorded with the run\n"
          "                        (nodes and slots come from the topology, not --set)\n"
          "      --progress MODE   auto (default), tty, lines or quiet\n"
          "  -q, --quiet           same as --progress quiet\n", out);
    fputs("      --suite FILE      run the drills a suite file lists (README: \"Suites\"):\n"
          "                        `suite: NAME`, `drills: [a, b]`, optional `fail_fast`\n"
          "      --fail-fast       stop after the first drill that does not pass (the\n"
          "                        others are reported as not run)\n"
          "      --max-regression PCT  regression gate: fail a run whose RTO (rto_ms) or\n"
          "                        RPO (rpo_ms) exceeds the median of the last N passed\n"
          "                        runs of the same drill on the same target by more\n"
          "                        than PCT percent (baseline 0: any loss fails). With\n"
          "                        fewer than N such runs the gate is not applied (said\n"
          "                        so, not a failure). Stored as objectives\n"
          "                        rto_regression / rpo_regression, shown in reports\n"
          "      --baseline-runs N  runs the baseline median is taken over (default 5)\n"
          "      --format FMT      text (default) or json: one JSON document on stdout\n"
          "                        {schema_version, command: \"run\", dry_run: false,\n"
          "                        batch_id, exit_code, runs: [...], not_run: [...]};\n"
          "                        with --dry-run {..., dry_run: true, dry_runs: [{drill,\n"
          "                        steps, checks, verdict, ...}], exit_code}. Progress\n"
          "                        stays on stderr. Schema: drill(1), JSON OUTPUT\n"
          "      --color WHEN      auto (default: on for a terminal unless NO_COLOR is\n"
          "                        set and non-empty), always or never\n\n"
          "Objectives: a drill file states its targets; a run may override them,\n"
          "the most specific winning, each level setting only what it names:\n"
          "  drill file < topology `objectives:` < topology `drill_objectives: {DRILL:\n"
          "  {...}}` < $DRILL_OBJECTIVES (rto=2m,rpo=none) < --objective\n"
          "The run prints and records (fact `objectives`) each target and where it\n"
          "came from. An objective is met only when it was measured.\n\n"
          "With several drills, --html FILE writes one report per drill, named\n"
          "FILE-SEQ-DRILL.html (out.html -> out-1-primary-wipe.html). The batch id (the\n"
          "first run's id) re-renders the same JUnit: `drill report --batch ID`.\n\n"
          "Before the first step a real run takes drill's advisory lock on the primary\n"
          "(pg_try_advisory_lock(1685219692, 0), session \"drill-lock run N\"): a second\n"
          "drill on the same cluster, from any host, is refused (exit 3) naming the\n"
          "holder, with nothing touched.\n\n"
          "Progress goes to stderr; the summary to stdout. Each report file is listed\n"
          "with its SHA-256 in SHA256SUMS next to it; the finished run is sealed into\n"
          "the store's evidence chain (see `drill verify --help`).\n\n", out);
    fputs(cli_exit_help, out);
}

#define RUN_MAX_SET 64
#define SET_NAME_MAX 63

typedef struct RunArgs {
    const char *topology, *sandbox_dir, *db, *junit, *html, *operator_name, *change_ref;
    const char *suite;
    char **drills;             /* the positional arguments */
    size_t ndrills;
    bool yes, dry_run, accept_new_hostkey, fail_fast, json;
    ProgressMode progress;
    bool gate;                 /* --max-regression given */
    GateOptions gate_opt;
    Objectives objectives;     /* --objective, UNSET where not given */
    VarSetting set[RUN_MAX_SET];  /* --set NAME=VALUE, in order (the last wins) */
    char set_names[RUN_MAX_SET][SET_NAME_MAX + 1];
    size_t nset;
} RunArgs;

/* --max-regression PCT / --baseline-runs N */
static int parse_gate(int c, const char *v, RunArgs *a)
{
    char *end = NULL;
    if (c == 'R') {
        double pct = strtod(v, &end);
        if (*v == '\0' || *end != '\0' || !(pct >= 0 && pct <= 100000))
            return cli_usage("run", "--max-regression must be a percentage >= 0 (e.g. 20)");
        a->gate = true;
        a->gate_opt.max_regression_pct = pct;
        return 0;
    }
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < 1 || n > GATE_MAX_BASELINE_RUNS)
        return cli_usage("run", "--baseline-runs must be a number from 1 to %d",
                         GATE_MAX_BASELINE_RUNS);
    a->gate_opt.baseline_runs = (size_t)n;
    return 0;
}

static int parse_objective(const char *v, RunArgs *a)
{
    DrillError err;
    if (strchr(v, ',') != NULL)
        return cli_usage("run", "--objective takes one NAME=VALUE (repeat it for more)");
    if (objectives_parse_arg(v, "--objective", &a->objectives, &err) < 0)
        return cli_usage("run", "%s", err.message);
    return 0;
}

/* --set NAME=VALUE: NAME is checked against the drills once they are loaded. */
static int parse_set(char *v, RunArgs *a)
{
    const char *eq = strchr(v, '=');
    size_t n = eq ? (size_t)(eq - v) : 0;
    if (eq == NULL || n == 0)
        return cli_usage("run", "--set takes NAME=VALUE (a variable of the drill), not \"%s\"", v);
    bool ident = n <= SET_NAME_MAX && (isalpha((unsigned char)v[0]) || v[0] == '_');
    for (size_t i = 1; ident && i < n; i++)
        ident = isalnum((unsigned char)v[i]) || v[i] == '_';
    if (!ident)
        return cli_usage("run", "--set %.*s: a variable name is a letter or _, then letters, "
                         "digits or _ (at most %d)", (int)n, v, SET_NAME_MAX);
    if (a->nset == RUN_MAX_SET)
        return cli_usage("run", "at most %d --set values", RUN_MAX_SET);
    memcpy(a->set_names[a->nset], v, n);
    a->set_names[a->nset][n] = '\0';
    a->set[a->nset] = (VarSetting){a->set_names[a->nset], eq + 1};
    a->nset++;
    return 0;
}

static int parse_option(int c, RunArgs *a)
{
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
    case 's': a->suite = optarg; break;
    case 'f': a->fail_fast = true; break;
    case 'R': case 'B': return parse_gate(c, optarg, a);
    case 'o': return parse_objective(optarg, a);
    case 'V': return parse_set(optarg, a);
    case 'F': return cli_parse_format("run", optarg, &a->json);
    case 'c': return cli_parse_color("run", optarg);
    case 'p':
        return cli_parse_progress("run", optarg, &a->progress);
    case 'h': help(stdout); return -1;
    default: return DRILL_EXIT_INVALID;   /* cli_getopt said why */
    }
    return 0;
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
        {"suite", required_argument, NULL, 's'},    {"fail-fast", no_argument, NULL, 'f'},
        {"max-regression", required_argument, NULL, 'R'},
        {"baseline-runs", required_argument, NULL, 'B'},
        {"format", required_argument, NULL, 'F'},   {"color", required_argument, NULL, 'c'},
        {"objective", required_argument, NULL, 'o'},
        {"set", required_argument, NULL, 'V'},
        {0}};
    int c, rc;
    while ((c = cli_getopt("run", argc, argv, "t:ynqh", opts)) != -1)
        if ((rc = parse_option(c, a)) != 0)
            return rc;
    if (optind >= argc && a->suite == NULL)
        return cli_usage("run", "no drill given");
    a->drills = argv + optind;
    a->ndrills = (size_t)(argc - optind);
    return 0;
}

/* What one invocation runs: the drills (suite first, then the arguments),
 * each checked against the one topology and planned before anything runs. */
typedef struct Inputs {
    char **paths;
    Scenario **scenarios;
    Plan **plans;
    size_t n;
    Topology *topology;
    bool fail_fast;            /* the suite file asked for it */
} Inputs;

static void inputs_free(Inputs *in)
{
    for (size_t i = 0; i < in->n; i++) {
        free(in->paths[i]);
        plan_free(in->plans ? in->plans[i] : NULL);
        scenario_free(in->scenarios[i]);
    }
    free(in->paths);
    free(in->plans);
    free(in->scenarios);
    topology_free(in->topology);
}

static int add_suite(const RunArgs *a, Inputs *in, DiagList *diags)
{
    Suite *suite = NULL;
    if (suite_load(a->suite, diags, &suite) != 0)
        return DRILL_EXIT_INVALID;
    in->fail_fast = suite->fail_fast;
    for (size_t i = 0; i < suite->ndrills; i++) {
        in->paths[in->n] = suite->drills[i];
        in->scenarios[in->n++] = NULL;
    }
    suite->ndrills = 0;   /* the paths moved to in */
    suite_free(suite);
    return 0;
}

/* Every --set must name a variable of at least one drill: a typo would
 * otherwise run the drill with the value the operator meant to replace. */
static int check_set(const RunArgs *a, const Inputs *in)
{
    for (size_t k = 0; k < a->nset; k++) {
        bool found = false;
        size_t nnames = 0;
        for (size_t i = 0; i < in->n; i++) {
            const ScenarioVar *v = scenario_var(in->scenarios[i], a->set[k].name);
            found = found || (v != NULL && !v->node_attr);
            nnames += in->scenarios[i]->nvars;
        }
        if (found)
            continue;
        const char **names = xcalloc(nnames + 1, sizeof *names);
        size_t j = 0;
        for (size_t i = 0; i < in->n; i++)
            for (size_t v = 0; v < in->scenarios[i]->nvars; v++)
                if (!in->scenarios[i]->vars[v].node_attr)
                    names[j++] = in->scenarios[i]->vars[v].name;
        char *hint = nnames ? yamldoc_hint_for(a->set[k].name, names, "the drill's variables")
                            : xstrdup("the drill declares no `variables:`");
        int rc = cli_usage("run", "--set %s: no drill of this run has a variable \"%s\" (%s)",
                           a->set[k].name, a->set[k].name, hint);
        free(hint);
        free(names);
        return rc;
    }
    return 0;
}

/* Resolves and parses every drill; all problems are reported, not just the first. */
static int load_drills(const RunArgs *a, Inputs *in, DiagList *diags)
{
    size_t cap = a->ndrills + SUITE_MAX_DRILLS;
    in->paths = xcalloc(cap, sizeof *in->paths);
    in->scenarios = xcalloc(cap, sizeof *in->scenarios);
    int rc = a->suite != NULL ? add_suite(a, in, diags) : 0;
    for (size_t i = 0; i < a->ndrills; i++) {
        char *path = paths_find_drill(a->drills[i]);
        if (path == NULL) {
            char *hint = cli_drill_hint(a->drills[i], "`drill list` shows the drills drill can "
                                        "find; or give a path to a .yaml file");
            diag_add(diags, a->drills[i], 0, 0, hint, "no such drill");
            free(hint);
            rc = DRILL_EXIT_INVALID;
            continue;
        }
        in->paths[in->n] = path;
        in->scenarios[in->n++] = NULL;
    }
    for (size_t i = 0; i < in->n; i++)
        if (scenario_load_with(in->paths[i], &(ScenarioLoad){a->set, a->nset, NULL}, diags,
                               &in->scenarios[i]) != 0)
            rc = DRILL_EXIT_INVALID;
    return rc == 0 ? check_set(a, in) : rc;
}

/* Whether the sandbox in dir has a topology whose target a drill in the
 * store left unfinished. Such a sandbox is not brought up: `sandbox up`
 * would start its stopped primary from whatever a killed restore left in the
 * data directory — a repair behind the drill's back that serves without the
 * acknowledged writes (found by the kill-point tests). The runner then
 * refuses the run, and `drill repair` brings the target back properly. */
static bool sandbox_held(const RunArgs *a, const char *topo_path)
{
    char *db = a->db != NULL ? xstrdup(a->db) : store_default_path();
    bool exists = access(db, F_OK) == 0 && access(topo_path, F_OK) == 0;
    free(db);
    if (!exists)
        return false;
    Topology *t = NULL;
    Store *st = NULL;
    DiagList *quiet = diag_list_new();
    bool held = false;
    if (topology_load(topo_path, quiet, &t) == 0 && cli_open_store("run", a->db, &st) == 0) {
        char *key = runner_target_key(t);
        UnfinishedRun u;
        DrillError err;
        held = store_target_unfinished(st, key, &u, &err) > 0;
        free(key);
    }
    store_close(st);
    topology_free(t);
    diag_list_free(quiet);
    return held;
}

static int load_topology(const RunArgs *a, Topology **t, DiagList *diags)
{
    char *topo_path = NULL;
    DrillError err;
    char *dir = a->sandbox_dir ? xstrdup(a->sandbox_dir) : paths_sandbox_dir();
    char *sandbox_topo = xasprintf("%s/topology.yaml", dir);
    free(dir);
    bool held = a->topology == NULL && !a->dry_run && sandbox_held(a, sandbox_topo);
    if (held)
        fprintf(stderr, "drill: the sandbox's target has an unfinished drill: not bringing it "
                "up (`drill repair` does)\n");
    if (a->topology == NULL && (a->dry_run || held))
        topo_path = xstrdup(sandbox_topo);
    free(sandbox_topo);
    if (a->topology == NULL && topo_path == NULL &&
        cli_sandbox_topology(a->sandbox_dir, &topo_path, &err) < 0)
        return cli_fail("run", &err);
    int rc = topology_load(a->topology ? a->topology : topo_path, diags, t);
    free(topo_path);
    return rc == 0 ? 0 : DRILL_EXIT_INVALID;
}

/* The targets each drill is judged against: its own, then the topology's,
 * $DRILL_OBJECTIVES and --objective on top (objectives.h). */
/* An --objective the operator typed that a drill does not declare is not
 * applied to it (objectives.h): say so rather than leave them guessing. */
static void note_undeclared(const char *drill, const Objectives *o, const Objectives *cli)
{
    for (int i = 0; i < OBJ_COUNT; i++)
        if (cli->value[i] != OBJECTIVE_UNSET && !o->declared[i])
            fprintf(stderr, "drill: note: --objective %s not applied to %s: the drill has no %s "
                            "objective (add one under `drill_objectives: %s:` in the topology)\n",
                    objectives_keys[i], drill, objectives_keys[i], drill);
}

static int layer_objectives(const RunArgs *a, Inputs *in)
{
    Objectives env;
    objectives_init(&env, OBJ_FROM_ENV);
    const char *e = getenv("DRILL_OBJECTIVES");
    DrillError err;
    if (e != NULL && *e != '\0' && objectives_parse_arg(e, "DRILL_OBJECTIVES", &env, &err) < 0)
        return cli_usage("run", "%s", err.message);
    for (size_t i = 0; i < in->n; i++) {
        Objectives *o = &in->scenarios[i]->objectives;
        topology_objectives_apply(in->topology, in->scenarios[i]->name, o);
        objectives_apply(o, &env, false);
        note_undeclared(in->scenarios[i]->name, o, &a->objectives);
        objectives_apply(o, &a->objectives, false);
    }
    return 0;
}

/* Loads drills + topology, checks them together and plans; prints diagnostics. */
static int load_inputs(const RunArgs *a, Inputs *in)
{
    DiagList *diags = diag_list_new();
    /* Drills are checked before the topology is looked for (a bare `drill run`
     * may bring the sandbox up: not for a drill with a typo), then read again
     * with it: they take their nodes' values from it (${ROLE.slot}). */
    int rc = load_drills(a, in, diags);
    if (rc == 0)
        rc = load_topology(a, &in->topology, diags);
    for (size_t i = 0; rc == 0 && i < in->n; i++) {
        scenario_free(in->scenarios[i]);
        if (scenario_load_with(in->paths[i], &(ScenarioLoad){a->set, a->nset, in->topology},
                               diags, &in->scenarios[i]) != 0)
            rc = DRILL_EXIT_INVALID;
    }
    for (size_t i = 0; rc == 0 && i < in->n; i++)
        if (validate_against_topology(in->scenarios[i], in->topology, diags) > 0)
            rc = DRILL_EXIT_INVALID;
    diag_print(diags, stderr);
    diag_list_free(diags);
    if (rc != 0 || (rc = layer_objectives(a, in)) != 0)
        return rc;
    in->plans = xcalloc(in->n, sizeof *in->plans);
    DrillError err;
    for (size_t i = 0; i < in->n; i++)
        if (plan_build(in->scenarios[i], in->topology, &in->plans[i], &err) < 0)
            return cli_fail("run", &err);
    return 0;
}

static int run_batch(const RunArgs *a, const Inputs *in)
{
    Store *st = NULL;
    DrillError err;
    int rc = cli_open_store("run", a->db, &st);
    if (rc != 0)
        return rc;
    if (runner_reap_orphans(st, stderr, &err) < 0) {
        store_close(st);
        return cli_fail("run", &err);
    }
    cli_install_signals();
    RunOptions opt = {.yes = a->yes, .progress = a->progress, .topology_file = a->topology,
                      .operator_name = a->operator_name, .change_ref = a->change_ref,
                      .renderer_version = report_library_version(),
                      .accept_new_hostkey = a->accept_new_hostkey,
                      .gate = a->gate ? &a->gate_opt : NULL};
    BatchOptions bo = {&opt, a->fail_fast || in->fail_fast, a->json, a->junit, a->html};
    BatchOutcome out;
    int start_rc = batch_execute(st, in->plans, in->n, &bo, &out, &err) < 0
                       ? cli_fail("run", &err) : 0;
    /* Whatever ran is reported, even when a later drill could not start. */
    int report_rc = out.nruns > 0 ? batch_report(st, &out, &bo) : 0;
    rc = out.exit_code > start_rc ? out.exit_code : start_rc;
    if (rc == 0)
        rc = report_rc;   /* a green run whose reports failed is not green */
    batch_outcome_free(&out);
    store_close(st);
    return rc;
}

static int dry_run_text(const RunArgs *a, const Inputs *in)
{
    RunOptions dry = {.yes = a->yes, .topology_file = a->topology};
    int rc = 0;
    for (size_t i = 0; i < in->n; i++) {
        int drc = runner_dry_run(in->plans[i], &dry, stdout);
        rc = drc > rc ? drc : rc;   /* worst wins, as for real runs */
    }
    return rc;
}

/* {"command": "run", "dry_run": true, "dry_runs": [...], "exit_code"}. */
static int dry_run_json(const RunArgs *a, const Inputs *in)
{
    RunOptions dry = {.yes = a->yes, .topology_file = a->topology};
    JsonWriter w;
    json_begin(&w, "run");
    json_kv_bool(&w, "dry_run", true);
    json_key(&w, "dry_runs");
    json_array_begin(&w);
    int rc = 0;
    for (size_t i = 0; i < in->n; i++) {
        int drc = runner_dry_run_json(in->plans[i], &dry, &w);
        rc = drc > rc ? drc : rc;
    }
    json_array_end(&w);
    json_kv_int(&w, "exit_code", rc);
    DrillError err;
    return json_finish(&w, stdout, &err) < 0 ? cli_fail("run", &err) : rc;
}

int cmd_run(int argc, char **argv)
{
    RunArgs a = {.progress = PROGRESS_AUTO,
                 .gate_opt = {.baseline_runs = GATE_DEFAULT_BASELINE_RUNS}};
    objectives_init(&a.objectives, OBJ_FROM_CLI);
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? DRILL_EXIT_OK : rc;
    Inputs in = {0};
    if ((rc = load_inputs(&a, &in)) != 0)
        goto out;
    if (a.dry_run) {
        rc = a.json ? dry_run_json(&a, &in) : dry_run_text(&a, &in);
        goto out;
    }
    rc = run_batch(&a, &in);
out:
    inputs_free(&in);
    return rc;
}
