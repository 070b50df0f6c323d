/*
 * cmd_repair.c — `drill repair`: brings back a target that a drill left
 * broken (killed, stopped at once by a second signal, or its rollback
 * failed) and releases it for the next drill.
 *
 * The drill is the one that ran, as stored with the run (its evidence), not
 * whatever the file says today. Its rollback steps are built to work from
 * wherever the recovery stopped (`unless:`), so a repair runs them, then the
 * cleanup, then the drill's read-only preflight checks — the healthy shape
 * the drill starts from. Only when those pass is the target released
 * (event target_healthy): checked, never assumed.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "paths.h"
#include "pglock.h"
#include "runner.h"
#include "util.h"
#include "validate.h"

typedef struct RepairArgs {
    const char *db, *topology, *sandbox_dir;
    bool check_only, yes, json;
    ProgressMode progress;
    int64_t run_id;   /* 0: the target's unfinished run */
} RepairArgs;

static void help(FILE *out)
{
    fputs("usage: drill repair [-t TOPOLOGY | --sandbox-dir DIR] [--db STORE] [--check]\n"
          "                    [--yes] [--progress MODE] [--format text|json] [RUN]\n"
          "\n"
          "Brings back a target that a drill left broken and releases it.\n"
          "\n"
          "A drill that injected its fault and never brought service back — killed\n"
          "(SIGKILL, OOM, power), stopped at once by a second interrupt, or whose\n"
          "rollback failed — keeps its target from further drills: `drill run` refuses\n"
          "(exit 3) and names the run. `drill repair` takes that drill as it ran (stored\n"
          "with the run), runs its rollback steps (each only if still needed), its\n"
          "cleanup, then its read-only preflight checks; when they all pass the target\n"
          "is released. The repair is a run of its own in the store (fact repairs=RUN).\n"
          "A run of another store (a CI job's) is known from the marker drill keeps on\n"
          "the primary (table drill_unfinished): it is repaired from there. First, the\n"
          "commands the killed drill left running on this host are stopped.\n"
          "\n"
          "  -t, --topology FILE   the target (default: the local sandbox's)\n"
          "      --sandbox-dir DIR the sandbox's directory\n"
          "      --db STORE        the store (default: DRILL_DB or ~/.local/share/drill/drill.db)\n"
          "      --check           only the checks: you repaired the target by hand\n"
          "      --yes             allow the rollback's destructive steps (or allow_destructive)\n"
          "      --progress MODE   auto (default), tty, lines or quiet\n"
          "      --format json     one JSON document on stdout: {\"command\": \"repair\",\n"
          "                        repaired_run_id, repaired_run_uuid, released, exit_code,\n"
          "                        message, runs: [the repair run]} (drill(1), JSON OUTPUT)\n"
          "  RUN                   the run to repair (default: the target's unfinished run,\n"
          "                        in this store, else the one the primary's marker names)\n"
          "\n"
          "Exit status: 0 repaired and released; 1 a step or a check failed (the target\n"
          "stays held); 2 usage; 3 nothing could run; 128+N interrupted.\n",
          out);
}

static int parse_args(int argc, char **argv, RepairArgs *a)
{
    static const struct option opts[] = {
        {"topology", required_argument, NULL, 't'}, {"sandbox-dir", required_argument, NULL, 'S'},
        {"db", required_argument, NULL, 'd'},       {"check", no_argument, NULL, 'c'},
        {"yes", no_argument, NULL, 'y'},            {"progress", required_argument, NULL, 'p'},
        {"format", required_argument, NULL, 'F'},   {"help", no_argument, NULL, 'h'},
        {0}};
    int c, rc = 0;
    while (rc == 0 && (c = cli_getopt("repair", argc, argv, "t:h", opts)) != -1) {
        switch (c) {
        case 't': a->topology = optarg; break;
        case 'S': a->sandbox_dir = optarg; break;
        case 'd': a->db = optarg; break;
        case 'c': a->check_only = true; break;
        case 'y': a->yes = true; break;
        case 'p': rc = cli_parse_progress("repair", optarg, &a->progress); break;
        case 'F': rc = cli_parse_format("repair", optarg, &a->json); break;
        case 'h': help(stdout); return -1;
        default: return DRILL_EXIT_INVALID;   /* cli_getopt said why */
        }
    }
    if (rc == 0 && optind < argc) {
        char *end;
        long long id = strtoll(argv[optind], &end, 10);
        if (*end != '\0' || id <= 0 || optind + 1 < argc)
            return cli_usage("repair", "RUN is one run id (a positive number), got \"%s\"",
                             argv[optind]);
        a->run_id = id;
    }
    return rc;
}

/* The run a repair brings back: in this store, or known only from the
 * primary's marker (a run of another store: a CI job's throw-away one). */
typedef struct RepairTarget {
    int64_t id;          /* in this store; 0: another store's */
    char uuid[40];
    char *file;          /* the drill file as run (for messages) */
    char *source;        /* its text as run */
} RepairTarget;

static void target_free(RepairTarget *r)
{
    free(r->file);
    free(r->source);
}

static int from_store(Store *st, int64_t id, RepairTarget *r)
{
    RunRecord *rec = NULL;
    DrillError err;
    if (store_run_load(st, id, &rec, &err) < 0)
        return cli_fail("repair", &err);
    r->id = id;
    snprintf(r->uuid, sizeof r->uuid, "%s", rec->uuid ? rec->uuid : "");
    r->file = xstrdup(rec->drill_file ? rec->drill_file : "stored drill");
    r->source = xstrdup(rec->drill_source ? rec->drill_source : "");
    run_record_free(rec);
    return 0;
}

/* No unfinished run in this store: the primary may still hold the marker of
 * another store's run. 1 when it does (r filled), 0 when nothing is left. */
static int from_marker(Store *st, const Topology *t, const char *key, RepairTarget *r)
{
    PgMarker m;
    DrillError err;
    int rc = pgmark_find(t, key, &m, &err);
    if (rc < 0)
        fprintf(stderr, "drill repair: note: cannot read the marker on the primary: %s\n",
                err.message);
    if (rc <= 0)
        return 0;
    int64_t id = 0;
    if (store_run_by_uuid(st, m.run_uuid, &id, &err) > 0) {
        fprintf(stderr, "drill repair: the primary's marker names run %lld, which this store "
                "knows finished: removing it as stale\n", (long long)id);
        if (pgmark_clear(t, key, &err) < 0)
            fprintf(stderr, "drill repair: cannot remove it: %s\n", err.message);
        pg_marker_free(&m);
        return 0;
    }
    fprintf(stderr, "drill repair: the primary's marker names run %s (%s, fault injected %s, "
            "from %s), not in this store: repairing it with the drill as it ran (kept in the "
            "marker)\n", m.run_uuid, m.drill, m.fault_at, m.runner);
    snprintf(r->uuid, sizeof r->uuid, "%s", m.run_uuid);
    r->file = xasprintf("%s (from the primary's marker)", m.drill);
    r->source = m.drill_source;   /* moved */
    m.drill_source = NULL;
    return 1;
}

/* The run to repair: the one asked for, else the target's unfinished one. */
static int find_run(Store *st, const Topology *t, int64_t asked, bool json, RepairTarget *r)
{
    if (asked > 0)
        return from_store(st, asked, r);
    char *key = runner_target_key(t);
    UnfinishedRun u;
    DrillError err;
    int rc = store_target_unfinished(st, key, &u, &err);
    if (rc == 0)
        rc = from_marker(st, t, key, r) > 0 ? 2 : 0;
    free(key);
    if (rc < 0)
        return cli_fail("repair", &err);
    if (rc == 2)
        return 0;
    if (rc == 0) {
        fprintf(json ? stderr : stdout, "drill repair: nothing to repair: no drill left target %s "
                "unfinished\n", t->name);
        return -1;
    }
    fprintf(stderr, "drill repair: run %lld (%s, %s) left the target unfinished: %s\n",
            (long long)u.id, u.drill_name, u.status, u.message);
    return from_store(st, u.id, r);
}

/* The drill of the repaired run, read against t, as a repair plan. */
static int load_plan(const RepairTarget *r, const Topology *t, const RepairArgs *a,
                     Scenario **s, Plan **plan)
{
    DrillError err;
    DiagList *diags = diag_list_new();
    int rc = scenario_parse_with(r->file, r->source, strlen(r->source),
                                 &(ScenarioLoad){NULL, 0, t}, diags, s);
    if (rc == 0 && validate_against_topology(*s, t, diags) > 0)
        rc = DRILL_E_INVALID;
    diag_print(diags, stderr);
    diag_list_free(diags);
    if (rc != 0)
        return DRILL_EXIT_INVALID;
    /* A repair measures nothing: the drill's objectives are not judged. */
    objectives_init(&(*s)->objectives, OBJ_FROM_DRILL);
    if (plan_build_repair(*s, t, a->check_only, plan, &err) < 0 ||
        runner_check_destructive(*plan, a->yes, &err) < 0)
        return cli_fail("repair", &err);
    return 0;
}

/* {"command": "repair", ...}: the repair run (repair_run 0: none ran). */
static int print_json(Store *st, const RepairTarget *r, int64_t repair_run, int exit_code)
{
    RunRecord *rec = NULL;
    DrillError err;
    if (repair_run > 0 && store_run_load(st, repair_run, &rec, &err) < 0)
        return cli_fail("repair", &err);
    JsonWriter w;
    json_begin(&w, "repair");
    json_key(&w, "repaired_run_id");
    r->id > 0 ? json_int(&w, r->id) : json_null(&w);
    json_kv_string(&w, "repaired_run_uuid", r->uuid[0] != '\0' ? r->uuid : NULL);
    json_kv_bool(&w, "released", exit_code == 0 && rec != NULL);
    json_kv_int(&w, "exit_code", exit_code);
    json_kv_string(&w, "message", rec == NULL && exit_code == 0 ? "nothing to repair: no drill "
                                  "left the target unfinished" : NULL);
    json_key(&w, "runs");
    json_array_begin(&w);
    if (rec != NULL)
        cli_json_run(&w, rec);
    json_array_end(&w);
    run_record_free(rec);
    return json_finish(&w, stdout, &err) < 0 ? cli_fail("repair", &err) : 0;
}

int cmd_repair(int argc, char **argv)
{
    RepairArgs a = {.progress = PROGRESS_AUTO};
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? DRILL_EXIT_OK : rc;
    Topology *t = NULL;
    Store *st = NULL;
    Scenario *s = NULL;
    Plan *plan = NULL;
    RepairTarget r = {0};
    if ((rc = cli_load_topology(a.topology, a.sandbox_dir, &t, NULL)) != 0 || (rc = cli_open_existing_store("repair", a.db, &st)) != 0)
        goto out;
    if ((rc = find_run(st, t, a.run_id, a.json, &r)) != 0) {
        if (rc < 0 && a.json)
            rc = print_json(st, &r, 0, DRILL_EXIT_OK);
        rc = rc < 0 ? DRILL_EXIT_OK : rc;
        goto out;
    }
    if ((rc = load_plan(&r, t, &a, &s, &plan)) != 0)
        goto out;
    cli_install_signals();
    RunOptions opt = {.yes = a.yes, .progress = a.progress, .topology_file = a.topology,
                      .repair_of = r.id, .repair_uuid = r.uuid};
    RunResult res = {0};
    DrillError err;
    bool ran = runner_run(plan, st, &opt, &res, &err) == 0;
    rc = ran ? res.exit_code : cli_fail("repair", &err);
    char label[48];
    snprintf(label, sizeof label, "%lld", (long long)r.id);
    if (a.json) {
        int jrc = print_json(st, &r, ran ? res.run_id : 0, rc);
        rc = rc != 0 ? rc : jrc;
    } else if (rc == 0) {
        printf("drill repair: run %s repaired by run %lld: target %s released\n",
               r.id > 0 ? label : r.uuid, (long long)res.run_id, t->name);
    }
out:
    target_free(&r);
    plan_free(plan);
    scenario_free(s);
    store_close(st);
    topology_free(t);
    return rc;
}
