/*
 * cmd_validate.c — `drill validate FILE...`: checks drill and topology files
 * and explains every problem as FILE:LINE:COL: error: ... + a hint.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "paths.h"
#include "scenario.h"
#include "stepkind.h"
#include "suite.h"
#include "topology.h"
#include "util.h"
#include "validate.h"

static void print_kinds(FILE *out)
{
    fputs("Step kinds (every step also takes kind, name, node, timeout):\n", out);
    for (size_t i = 0; i < stepkind_count(); i++) {
        const StepKind *k = stepkind_get((StepKindId)i);
        fprintf(out, "  %-17s %s%s%s\n", k->name, k->summary, k->destructive ? " [destructive]" : "",
                k->read_only ? " [read-only]" : "");
        for (const ParamSpec *p = k->params; p->key != NULL; p++)
            fprintf(out, "      %-14s %s%s%s%s%s%s\n", p->key,
                    stepkind_param_type_name(p),
                    p->required ? ", required" : "", p->default_text ? ", default " : "",
                    p->default_text ? p->default_text : "", " — ", p->help);
    }
}

static void help(FILE *out)
{
    fputs("usage: drill validate [--topology FILE] [--format text|json] FILE|DRILL...\n\n"
          "Checks drill files (drills/*.yaml) and topology files. Every problem is\n"
          "reported, not just the first, as\n"
          "    FILE:LINE:COL: error: what is wrong\n"
          "      hint: how to fix it\n"
          "With --topology, drills are also checked against it (every `node:` must name\n"
          "a node or role it has). A file with a top-level `nodes:` key is a topology;\n"
          "one with a top-level `suite:` key is a suite file (see `drill run --help`):\n"
          "it is valid when it parses and every drill it lists is valid.\n\n"
          "The drill language (complete reference and example: man drill-drill):\n"
          "  name: primary-wipe              # [a-z0-9-]+\n"
          "  description: ...\n"
          "  objectives: {rto: 30s, rpo: 0s, rpo_transactions: 0, slot_retained_alert: 64MB}\n"
          "  variables: {db: postgres}       # used as ${db} in string parameters; in a\n"
          "                                  # shell command ${db} is \"$DRILL_VAR_db\", never\n"
          "                                  # the pasted value (see the shell kind below)\n"
          "  preflight: [steps]  fault: [steps]  recover: [steps]  verify: [steps]\n"
          "  cleanup: [steps]                # always runs\n"
          "Durations: 500ms, 30s, 2m, 1h, 1m30s. Sizes: 100B, 512kB, 64MB, 1GB (x1024).\n"
          "Booleans: true/false only (yes/on refused).\n\n"
          "The topology language:\n"
          "  name: prod-dr\n"
          "  allow_destructive: false        # destructive drills then need --yes\n"
          "  system_identifier: \"7312...\"    # pin of the primary's identity\n"
          "  objectives: {rto: 5m}           # override the drills' targets here;\n"
          "  drill_objectives:               # ... and per drill (then $DRILL_OBJECTIVES,\n"
          "    primary-wipe: {rpo: none}     # then run --objective NAME=VALUE)\n"
          "  nodes:\n"
          "    - {name: pg1, role: primary, conninfo: \"host=... port=... user=...\",\n"
          "       data_directory: /var/lib/postgresql/15/main, os_user: postgres}\n"
          "    - {name: pg2, role: standby, slot_name: pg2, upstream: pg1, ...}\n"
          "    - {name: backup, role: backup, barman_config: /etc/barman.conf,\n"
          "       barman_server: pg1}\n"
          "  Node keys: name role access(local|ssh) ssh{host port user identity_file\n"
          "  known_hosts accept_new_hostkey} os_user conninfo data_directory\n"
          "  bin_directory log_file start_command stop_command slot_name upstream\n"
          "  barman_config barman_server barman_slot. Passwords never go in the file:\n"
          "  use ~/.pgpass, PGPASSFILE or the environment.\n\n", out);
    print_kinds(out);
    fputs("\n  -t, --topology FILE  also check the drills against this topology\n"
          "      --format json    one JSON document on stdout instead of the lines above:\n"
          "                       {\"command\": \"validate\", \"valid\", \"files\": [{argument,\n"
          "                       path, type, valid}], \"problems\": [{file, line, column,\n"
          "                       message, hint}]} (schema: drill(1), JSON OUTPUT)\n", out);
    fputs("\nExit status: 0 all files valid, 2 a file is invalid or unreadable.\n", out);
}

static bool looks_like_topology(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    if (file_read_all(path, 1024 * 1024, &text, &len, NULL) < 0)
        return false;
    bool topo = strncmp(text, "nodes:", 6) == 0 || strstr(text, "\nnodes:") != NULL;
    free(text);
    return topo;
}

static int validate_drill(const char *path, const Topology *topo, DiagList *diags)
{
    Scenario *s = NULL;
    int rc = scenario_load_with(path, &(ScenarioLoad){NULL, 0, topo}, diags, &s);
    if (rc == 0 && topo != NULL && validate_against_topology(s, topo, diags) > 0)
        rc = DRILL_E_INVALID;
    scenario_free(s);
    return rc;
}

/* A suite is valid when it parses and every drill it lists is valid. */
static int validate_suite(const char *path, const Topology *topo, DiagList *diags)
{
    Suite *suite = NULL;
    int rc = suite_load(path, diags, &suite);
    for (size_t i = 0; rc == 0 && suite != NULL && i < suite->ndrills; i++)
        if (validate_drill(suite->drills[i], topo, diags) != 0)
            rc = DRILL_E_INVALID;
    suite_free(suite);
    return rc;
}

/* One argument's outcome, for the text "ok" line or the JSON document. */
typedef struct Validated {
    const char *argument;
    char *path;          /* NULL: no such file or drill */
    const char *type;    /* drill | topology | suite */
    bool valid;
} Validated;

static int validate_one(const char *arg, const Topology *topo, DiagList *diags, Validated *v)
{
    *v = (Validated){.argument = arg, .path = paths_find_drill(arg)};
    if (v->path == NULL) {
        char *hint = cli_drill_hint(arg, "give a path, or the name of a drill in drills/ (see "
                                         "`drill list`)");
        diag_add(diags, arg, 0, 0, hint, "no such file or drill");
        free(hint);
        return -1;
    }
    int rc;
    if (suite_file_looks_like(v->path)) {
        v->type = "suite";
        rc = validate_suite(v->path, topo, diags);
    } else if (looks_like_topology(v->path)) {
        v->type = "topology";
        Topology *t = NULL;
        rc = topology_load(v->path, diags, &t);
        topology_free(t);
    } else {
        v->type = "drill";
        rc = validate_drill(v->path, topo, diags);
    }
    v->valid = rc == 0;
    return rc;
}

static void json_files(JsonWriter *w, const Validated *v, size_t n)
{
    json_key(w, "files");
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        json_object_begin(w);
        json_kv_string(w, "argument", v[i].argument);
        json_kv_string(w, "path", v[i].path);
        json_kv_string(w, "type", v[i].type);
        json_kv_bool(w, "valid", v[i].valid);
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_problems(JsonWriter *w, const DiagList *diags)
{
    json_key(w, "problems");
    json_array_begin(w);
    for (size_t i = 0; i < diag_count(diags); i++) {
        const Diag *d = diag_get(diags, i);
        json_object_begin(w);
        json_kv_string(w, "file", d->file);
        json_key(w, "line");
        d->line > 0 ? json_int(w, d->line) : json_null(w);
        json_key(w, "column");
        d->line > 0 ? json_int(w, d->col) : json_null(w);
        json_kv_string(w, "message", d->message);
        json_kv_string(w, "hint", d->hint);
        json_object_end(w);
    }
    json_array_end(w);
}

static int print_json(const Validated *v, size_t n, const DiagList *diags, bool failed)
{
    JsonWriter w;
    json_begin(&w, "validate");
    json_kv_bool(&w, "valid", !failed);
    json_files(&w, v, n);
    json_problems(&w, diags);
    DrillError err;
    return json_finish(&w, stdout, &err) < 0 ? cli_fail("validate", &err) : 0;
}

int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {{"topology", required_argument, NULL, 't'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *topo_path = NULL;
    bool json = false;
    int c;
    while ((c = cli_getopt("validate", argc, argv, "t:h", opts)) != -1) {
        if (c == 'h') {
            help(stdout);
            return DRILL_EXIT_OK;
        }
        if (c == 't')
            topo_path = optarg;
        else if (c != 'F' || cli_parse_format("validate", optarg, &json) != 0)
            return DRILL_EXIT_INVALID;   /* cli_getopt or cli_parse_format said why */
    }
    if (optind >= argc)
        return cli_usage("validate", "no file given");
    DiagList *diags = diag_list_new();
    Topology *topo = NULL;
    int failed = 0;
    if (topo_path != NULL && topology_load(topo_path, diags, &topo) < 0)
        failed = 1;
    size_t n = (size_t)(argc - optind);
    Validated *v = xcalloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        if (validate_one(argv[optind + (int)i], topo, diags, &v[i]) < 0)
            failed = 1;
        else if (!json)
            printf("%s: ok\n", v[i].path);
    }
    int rc = failed ? DRILL_EXIT_INVALID : DRILL_EXIT_OK;
    if (json) {
        if (print_json(v, n, diags, failed) != 0)
            rc = DRILL_EXIT_ABORTED;
    } else {
        diag_print(diags, stderr);
        if (failed)
            fprintf(stderr, "drill validate: %zu problem(s) found\n", diag_count(diags));
    }
    for (size_t i = 0; i < n; i++)
        free(v[i].path);
    free(v);
    diag_list_free(diags);
    topology_free(topo);
    return rc;
}
