/*
 * test_parse.c — the drill and topology languages, and their diagnostics.
 *
 * Data-driven: every file under tests/data/invalid/{drill,topology,validate}
 * starts with comment lines
 *     # expect: LINE:COL: message
 *     # hint: text          (optional: hint of the diagnostic just above)
 * and the parser must report exactly those diagnostics (same count, each
 * message and position exact). Drills under invalid/validate are checked as
 * `drill validate -t TOPOLOGY` checks them: read with the topology (a node
 * name is refused with the node's role as hint), then, when they parse,
 * validate_against_topology(); the topology is valid/topology-sandbox.yaml
 * unless a comment line `# topology: valid/FILE.yaml` names another. Valid
 * fixtures are checked field by field.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "diag.h"
#include "duration.h"
#include "runner.h"
#include "scenario.h"
#include "suggest.h"
#include "testutil.h"
#include "topology.h"
#include "util.h"
#include "validate.h"
#include "yamldoc.h"

/* ---- expectations -------------------------------------------------------- */

typedef struct Expect {
    char *want;   /* "LINE:COL: message" */
    char *hint;   /* NULL: not checked */
    bool seen;
} Expect;

static size_t parse_expects(const char *text, Expect *ex, size_t max)
{
    size_t n = 0;
    for (const char *line = text; line && *line == '#'; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        size_t len = strcspn(line, "\n");
        if (strncmp(line, "# expect: ", 10) == 0 && n < max)
            ex[n++] = (Expect){xstrndup(line + 10, len - 10), NULL, false};
        else if (strncmp(line, "# hint: ", 8) == 0 && n > 0)
            ex[n - 1].hint = xstrndup(line + 8, len - 8);
    }
    return n;
}

static char *diag_text(const Diag *d)
{
    return xasprintf("%d:%d: %s", d->line, d->col, d->message);
}

/* Every diagnostic must be expected, every expectation met. */
static bool match_expects(const char *name, DiagList *diags, Expect *ex, size_t nex)
{
    bool ok = true;
    for (size_t i = 0; i < diag_count(diags); i++) {
        const Diag *d = diag_get(diags, i);
        char *got = diag_text(d);
        bool found = false;
        for (size_t j = 0; j < nex && !found; j++) {
            if (ex[j].seen || strcmp(ex[j].want, got) != 0)
                continue;
            found = ex[j].seen = true;
            if (ex[j].hint && (d->hint == NULL || strcmp(ex[j].hint, d->hint) != 0)) {
                fprintf(stderr, "%s: hint of \"%s\"\n  expected \"%s\"\n  got      \"%s\"\n",
                        name, got, ex[j].hint, d->hint ? d->hint : "(none)");
                ok = false;
            }
        }
        if (!found) {
            fprintf(stderr, "%s: unexpected diagnostic \"%s\" (hint: %s)\n", name, got,
                    d->hint ? d->hint : "(none)");
            ok = false;
        }
        free(got);
    }
    for (size_t j = 0; j < nex; j++)
        if (!ex[j].seen) {
            fprintf(stderr, "%s: missing diagnostic \"%s\"\n", name, ex[j].want);
            ok = false;
        }
    return ok;
}

typedef enum Mode { MODE_DRILL, MODE_TOPOLOGY, MODE_VALIDATE } Mode;

/* The topology a validate fixture names on a line `# topology: REL` (a path
 * under tests/data), else valid/topology-sandbox.yaml; NULL when it does not
 * load (reported). The caller frees it. */
static Topology *fixture_topology(const char *text)
{
    static const char key[] = "# topology: ";
    char *rel = NULL;
    for (const char *line = text; line && *line == '#'; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (rel == NULL && strncmp(line, key, sizeof key - 1) == 0)
            rel = xstrndup(line + sizeof key - 1, strcspn(line, "\n") - (sizeof key - 1));
    char *path = testutil_data_path(rel != NULL ? rel : "valid/topology-sandbox.yaml");
    DiagList *dl = diag_list_new();
    Topology *t = NULL;
    if (topology_load(path, dl, &t) != 0)
        diag_print(dl, stderr);
    diag_list_free(dl);
    free(path);
    free(rel);
    return t;
}

static void run_fixture(const char *dir, const char *fname, Mode mode)
{
    char *path = xasprintf("%s/%s", dir, fname);
    size_t len;
    char *text = testutil_read_file(path, &len);
    CHECK(text != NULL);
    if (text == NULL) {
        free(path);
        return;
    }
    Expect ex[64];
    size_t nex = parse_expects(text, ex, 64);
    if (nex == 0)
        fprintf(stderr, "%s: no `# expect:` line\n", path);
    CHECK(nex > 0);
    DiagList *dl = diag_list_new();
    int rc;
    if (mode == MODE_TOPOLOGY) {
        Topology *t = NULL;
        rc = topology_parse(fname, text, len, dl, &t);
        CHECK(t == NULL);
        topology_free(t);
    } else if (mode == MODE_DRILL) {
        Scenario *s = NULL;
        rc = scenario_parse(fname, text, len, dl, &s);
        CHECK(s == NULL);
        scenario_free(s);
    } else {
        /* As `drill validate -t`: parse with the topology, then validate. */
        Topology *t = fixture_topology(text);
        CHECK(t != NULL);
        Scenario *s = NULL;
        rc = scenario_parse_with(fname, text, len, &(ScenarioLoad){NULL, 0, t}, dl, &s);
        if (rc == 0 && t != NULL)
            rc = validate_against_topology(s, t, dl) > 0 ? DRILL_E_INVALID : 0;
        scenario_free(s);
        topology_free(t);
    }
    CHECK_INT(rc, DRILL_E_INVALID);
    if (!match_expects(path, dl, ex, nex))
        harness_current_failed = 1;
    for (size_t i = 0; i < nex; i++) {
        free(ex[i].want);
        free(ex[i].hint);
    }
    diag_list_free(dl);
    free(text);
    free(path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every *.yaml fixture of invalid/SUB; returns how many. */
static size_t run_fixture_dir(const char *sub, Mode mode)
{
    char *dir = xasprintf("%s/invalid/%s", testutil_data_dir(), sub);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    char *names[512];
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        if (strlen(e->d_name) > 5 && strcmp(e->d_name + strlen(e->d_name) - 5, ".yaml") == 0 &&
            n < 512)
            names[n++] = xstrdup(e->d_name);
    if (d)
        closedir(d);
    qsort(names, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++) {
        int before = harness_current_failed;
        harness_current_failed = 0;
        run_fixture(dir, names[i], mode);
        if (harness_current_failed)
            fprintf(stderr, "  ^ fixture invalid/%s/%s\n", sub, names[i]);
        harness_current_failed |= before;
        free(names[i]);
    }
    free(dir);
    return n;
}

TEST(invalid_drills) { CHECK(run_fixture_dir("drill", MODE_DRILL) >= 30); }
TEST(invalid_topologies) { CHECK(run_fixture_dir("topology", MODE_TOPOLOGY) >= 15); }
TEST(invalid_against_topology) { CHECK(run_fixture_dir("validate", MODE_VALIDATE) >= 5); }

/* ---- valid files --------------------------------------------------------- */

static Scenario *load_drill(const char *rel)
{
    char *path = testutil_data_path(rel);
    DiagList *dl = diag_list_new();
    Scenario *s = NULL;
    int rc = scenario_load(path, dl, &s);
    diag_print(dl, stderr);
    CHECK_INT(rc, 0);
    CHECK_INT(diag_count(dl), 0);
    diag_list_free(dl);
    free(path);
    return s;
}

static Topology *load_topology(const char *rel)
{
    char *path = testutil_data_path(rel);
    DiagList *dl = diag_list_new();
    Topology *t = NULL;
    int rc = topology_load(path, dl, &t);
    diag_print(dl, stderr);
    CHECK_INT(rc, 0);
    diag_list_free(dl);
    free(path);
    return t;
}

static const Step *find_step(const Scenario *s, Phase ph, const char *kind)
{
    for (size_t i = 0; i < s->nsteps[ph]; i++)
        if (strcmp(s->steps[ph][i].kind->name, kind) == 0)
            return &s->steps[ph][i];
    return NULL;
}

TEST(drill_full)
{
    Scenario *s = load_drill("valid/drill-full.yaml");
    CHECK(s != NULL);
    if (s == NULL)
        return;
    CHECK_STR(s->name, "full-example");
    CHECK_INT(s->objectives.value[OBJ_RTO], 90000);
    CHECK_INT(s->objectives.value[OBJ_RPO], 500);
    CHECK_INT(s->objectives.value[OBJ_RPO_TRANSACTIONS], 0);
    char sha[65];
    scenario_sha256(s, sha);
    CHECK_INT(strlen(sha), 64);
    CHECK_INT(s->source_len, strlen(s->source));
    size_t declared = 0;
    for (size_t i = 0; i < s->nvars; i++)
        declared += !s->vars[i].node_attr;
    CHECK_INT(declared, 2);
    /* ${standby.name}, ${standby.slot}, ${new_primary.slot}, ${new_primary.name} */
    CHECK_INT(s->nvars, 6);
    CHECK_INT(s->nroles, 2);
    CHECK_STR(scenario_role_of(s, "old_primary"), "primary");
    CHECK_STR(scenario_role_of(s, "new_primary"), "standby");
    CHECK_STR(scenario_role_of(s, "standby"), "standby");
    CHECK(scenario_role_of(s, "pg1") == NULL);
    /* every step kind of the catalogue appears */
    for (size_t k = 0; k < stepkind_count(); k++) {
        bool found = false;
        for (int ph = 0; ph < PHASE_COUNT; ph++)
            found = found || find_step(s, (Phase)ph, stepkind_get((StepKindId)k)->name);
        if (!found)
            fprintf(stderr, "drill-full lacks kind %s\n", stepkind_get((StepKindId)k)->name);
        CHECK(found);
    }
    const Step *sql = &s->steps[PHASE_PREFLIGHT][0];
    CHECK_STR(sql->kind->name, "sql");
    CHECK_STR(sql->name, "primary is writable");
    CHECK_INT(sql->index, 0);
    CHECK_INT(sql->phase, PHASE_PREFLIGHT);
    /* Without a topology, a node's value is a placeholder (drill_full_bound). */
    CHECK_STR(step_str(sql, "query", NULL),
              "select count(*) from pg_stat_replication where application_name = '<standby.name>'");
    CHECK_STR(step_str(sql, "expect", NULL), "1");
    CHECK_INT(sql->timeout_ms, 5000);
    const Step *stop = find_step(s, PHASE_FAULT, "pg_stop");
    CHECK(stop != NULL);
    if (stop) {
        CHECK_STR(stop->name, "pg_stop on primary");
        CHECK_STR(step_str(stop, "mode", "fast"), "immediate");
        CHECK_INT(stop->timeout_ms, 60000);
    }
    const Step *ex = find_step(s, PHASE_VERIFY, "exec");
    CHECK(ex != NULL);
    if (ex) {
        char *const *argv = step_list(ex, "argv");
        CHECK(argv != NULL);
        if (argv) {
            CHECK_STR(argv[0], "/usr/lib/postgresql/15/bin/pg_controldata");
            CHECK_STR(argv[1], "/srv/pg/pg2/data");
            CHECK(argv[2] == NULL);
        }
    }
    const Step *sh = find_step(s, PHASE_CLEANUP, "shell");
    CHECK(sh != NULL);
    if (sh)
        /* a shell command gets an environment reference, never the value */
        CHECK_STR(step_str(sh, "command", NULL),
                  "echo '${not_a_var}' \"${DRILL_VAR_label}\" done on "
                  "\"${DRILL_ROLE_new_primary_name}\"");
    const Step *hb = find_step(s, PHASE_PREFLIGHT, "heartbeat_start");
    CHECK(hb != NULL);
    if (hb) {
        CHECK_STR(hb->name, "heartbeat_start");
        CHECK_INT(step_duration_ms(hb, "interval", 10), 20);
    }
    const Step *pr = find_step(s, PHASE_RECOVER, "promote");
    CHECK(pr != NULL);
    if (pr) {
        CHECK(step_bool(pr, "wait", false));
        CHECK(!step_bool(pr, "missing", false));
    }
    const Step *sl = find_step(s, PHASE_FAULT, "sleep");
    CHECK(sl != NULL);
    if (sl)
        CHECK_INT(step_duration_ms(sl, "duration", 0), 1500);
    const Step *shl = find_step(s, PHASE_PREFLIGHT, "shell");
    CHECK(shl != NULL);
    if (shl)
        CHECK_INT(step_int(shl, "expect_exit", -1), 3);
    const Step *pk = find_step(s, PHASE_FAULT, "pg_kill");
    CHECK(pk != NULL && str_eq(pk->name, "pg_kill on old_primary"));   /* the drill's word */
    CHECK(scenario_is_destructive(s));
    scenario_free(s);
}

static const PlanStep *find_plan_step(const Plan *p, const char *kind)
{
    for (size_t i = 0; p != NULL && i < p->nsteps; i++)
        if (strcmp(p->steps[i].step->kind->name, kind) == 0)
            return &p->steps[i];
    return NULL;
}

static const char *plan_node_name(const Plan *p, const char *kind, const char *param)
{
    const PlanStep *ps = find_plan_step(p, kind);
    const Node *n = ps == NULL ? NULL : param == NULL ? ps->node : plan_param_node(p, ps, param);
    return n != NULL ? n->name : "(none)";
}

/* drill-full read with a topology, as `drill run` reads it: its roles bound
 * to the topology's nodes, ${ROLE.FIELD} the nodes' values. */
TEST(drill_full_bound)
{
    const char *topos[] = {"valid/topology-sandbox.yaml", "valid/topology-full.yaml"};
    for (size_t i = 0; i < 2; i++) {
        Topology *t = load_topology(topos[i]);
        char *path = testutil_data_path("valid/drill-full.yaml");
        DiagList *dl = diag_list_new();
        Scenario *s = NULL;
        CHECK_INT(scenario_load_with(path, &(ScenarioLoad){NULL, 0, t}, dl, &s), 0);
        diag_print(dl, stderr);
        /* The two pgBackRest steps (drill_full_validates) */
        CHECK_INT(validate_against_topology(s, t, dl), 2);
        Plan *p = NULL;
        DrillError err;
        CHECK(s != NULL && t != NULL && plan_build(s, t, &p, &err) == 0);
        if (s != NULL) {
            /* Both topologies: pg1 primary, pg2 the (first) standby, slot pg2. */
            CHECK_STR(step_str(&s->steps[PHASE_PREFLIGHT][0], "query", NULL),
                      "select count(*) from pg_stat_replication where application_name = 'pg2'");
            CHECK_STR(step_str(find_step(s, PHASE_RECOVER, "base_backup"), "slot", NULL), "pg2");
            CHECK_STR(step_str(find_step(s, PHASE_RECOVER, "rewind"), "slot", NULL), "pg2");
            const ScenarioVar *v = scenario_var(s, "new_primary.name");
            CHECK(v != NULL && v->node_attr && str_eq(v->value, "pg2"));
        }
        CHECK_STR(plan_node_name(p, "pg_kill", NULL), "pg1");        /* old_primary */
        CHECK_STR(plan_node_name(p, "pg_stop", NULL), "pg1");        /* primary */
        CHECK_STR(plan_node_name(p, "barman_recover", NULL), "backup");
        CHECK_STR(plan_node_name(p, "barman_recover", "target"), "pg1");
        CHECK_STR(plan_node_name(p, "base_backup", NULL), "pg2");
        CHECK_STR(plan_node_name(p, "base_backup", "source"), "pg1");
        CHECK_STR(plan_node_name(p, "pg_start", NULL), "pg2");       /* new_primary */
        CHECK_STR(plan_node_name(p, "heartbeat_verify", "compare_with"), "pg2");
        plan_free(p);
        diag_list_free(dl);
        scenario_free(s);
        free(path);
        topology_free(t);
    }
}

TEST(topology_full)
{
    Topology *t = load_topology("valid/topology-full.yaml");
    CHECK(t != NULL);
    if (t == NULL)
        return;
    CHECK_STR(t->name, "production-like");
    CHECK_STR(t->system_identifier, "7312345678901234567");
    Objectives o;
    objectives_init(&o, OBJ_FROM_DRILL);   /* a drill declaring rto and slot_retained_alert */
    o.value[OBJ_RTO] = 30000;
    o.value[OBJ_SLOT_RETAINED_ALERT] = 1024;
    objectives_finish(&o);
    topology_objectives_apply(t, "primary-wipe", &o);
    CHECK_INT(o.value[OBJ_RTO], 120000);
    CHECK_INT(o.origin[OBJ_RTO], OBJ_FROM_TOPOLOGY_DRILL);
    CHECK_INT(o.value[OBJ_RPO_TRANSACTIONS], 3);
    CHECK_INT(o.value[OBJ_SLOT_RETAINED_ALERT], OBJECTIVE_NONE);
    CHECK_INT(o.origin[OBJ_SLOT_RETAINED_ALERT], OBJ_FROM_TOPOLOGY);
    CHECK_INT(o.value[OBJ_RPO], OBJECTIVE_NONE);
    objectives_init(&o, OBJ_FROM_DRILL);
    o.value[OBJ_RTO] = 30000;
    objectives_finish(&o);
    topology_objectives_apply(t, "pitr-drop", &o);
    CHECK_INT(o.value[OBJ_RTO], 300000);
    CHECK_INT(o.origin[OBJ_RTO], OBJ_FROM_TOPOLOGY);
    CHECK_INT(o.value[OBJ_RPO_TRANSACTIONS], OBJECTIVE_NONE);   /* pitr-drop's own: none */
    CHECK(!t->allow_destructive);
    CHECK_INT(t->nnodes, 4);
    const Node *pg1 = topology_find(t, "pg1");
    CHECK(pg1 != NULL);
    if (pg1) {
        CHECK_INT(pg1->access, ACCESS_SSH);
        CHECK_STR(pg1->ssh.host, "db1.example.internal");
        CHECK_INT(pg1->ssh.port, 2222);
        CHECK_STR(pg1->ssh.user, "drill");
        CHECK(pg1->ssh.accept_new_hostkey);
        CHECK_STR(pg1->ssh.become, "sudo");
        CHECK_STR(pg1->bin_directory, "/usr/lib/postgresql/15/bin");
        CHECK_STR(pg1->log_file, "/srv/pg/pg1/pg1.log");
        CHECK(pg1->start_command != NULL && pg1->start_command[2] == NULL);
    }
    CHECK(topology_find(t, "primary") == pg1);
    const Node *sb = topology_find(t, "standby");
    CHECK(sb != NULL && strcmp(sb->name, "pg2") == 0);
    const Node *bk = topology_find(t, "backup");
    CHECK(bk != NULL && bk->role == ROLE_BACKUP);
    if (bk) {
        CHECK_STR(bk->barman_slot, "barman");
        CHECK_STR(bk->barman_server, "pg1");
        CHECK_INT(bk->access, ACCESS_LOCAL);
        CHECK_INT(bk->ssh.port, 22);
    }
    const Node *pg3 = topology_find(t, "pg3");
    CHECK(pg3 != NULL && str_eq(pg3->ssh.become, "sudo"));   /* the default */
    CHECK(topology_find(t, "nope") == NULL);
    CHECK(topology_find(t, NULL) == NULL);
    topology_free(t);
}

TEST(topology_sandbox)
{
    Topology *t = load_topology("valid/topology-sandbox.yaml");
    CHECK(t != NULL);
    if (t == NULL)
        return;
    CHECK_INT(t->nnodes, 3);
    CHECK(t->allow_destructive);
    const Node *pg2 = topology_find(t, "pg2");
    CHECK(pg2 != NULL && pg2->role == ROLE_STANDBY);
    if (pg2) {
        CHECK_STR(pg2->slot_name, "pg2");
        CHECK_STR(pg2->upstream, "pg1");
    }
    const Node *b = topology_find(t, "backup");
    CHECK(b != NULL);
    if (b) {
        CHECK_STR(b->barman_server, "pg1");
        CHECK_STR(b->barman_slot, "barman");
    }
    topology_free(t);
}

TEST(drill_full_validates)
{
    Scenario *s = load_drill("valid/drill-full.yaml");
    const char *topos[] = {"valid/topology-full.yaml", "valid/topology-sandbox.yaml",
                           "valid/topology-pgbackrest.yaml"};
    for (size_t i = 0; i < 3 && s; i++) {
        Topology *t = load_topology(topos[i]);
        DiagList *dl = diag_list_new();
        /* drill-full has every kind: on a Barman topology the two pgBackRest
         * steps are refused, on a pgBackRest one the three Barman steps (the
         * barman kinds, barman probes, Barman's receiver), each with the way out. */
        CHECK_INT(validate_against_topology(s, t, dl), i < 2 ? 2 : 3);
        Buf all;
        buf_init(&all, 1 << 16);
        for (size_t d = 0; d < diag_count(dl); d++)
            buf_appendf(&all, "%s\n%s\n", diag_get(dl, d)->message, diag_get(dl, d)->hint);
        if (i < 2) {
            CHECK(strstr(all.data, "step kind \"pgbackrest_restore\" needs a pgBackRest backup "
                                   "node (tool: pgbackrest), but \"backup\" is a backup node "
                                   "(Barman)") != NULL);
            CHECK(strstr(all.data, "backs up with Barman: run the drill's Barman version") != NULL);
        } else {
            CHECK(strstr(all.data, "step kind \"barman_recover\" needs a Barman backup node, but "
                                   "\"repo\" is a backup node (pgBackRest)") != NULL);
            CHECK(strstr(all.data, "backs up with pgBackRest: run the drill's -pgbackrest "
                                   "variant") != NULL);
        }
        if (diag_count(dl) != (i < 2 ? 2u : 3u))
            diag_print(dl, stderr);
        buf_free(&all);
        diag_list_free(dl);
        topology_free(t);
    }
    scenario_free(s);
}

/* ---- things fixtures cannot express ------------------------------------- */

/* Barman on a local node restoring into an SSH node: barman recover gets
 * --remote-ssh-command, each word quoted for the shell. */
TEST(barman_recover_remote)
{
    static const char drill[] = "name: r\nrecover:\n  - kind: barman_recover\n    node: backup\n"
                                "    target: primary\n";
    DiagList *dl = diag_list_new();
    Scenario *s = NULL;
    CHECK_INT(scenario_parse("r.yaml", drill, sizeof drill - 1, dl, &s), 0);
    Topology *t = load_topology("valid/topology-full.yaml");
    Plan *p = NULL;
    DrillError err;
    CHECK(s != NULL && t != NULL && plan_build(s, t, &p, &err) == 0);
    char *cmd = p != NULL ? runner_describe_step(p, 0) : NULL;
    CHECK(cmd != NULL && strstr(cmd, " recover --get-wal --remote-ssh-command 'ssh -p 2222 -o "
                                     "BatchMode=yes postgres@db1.example.internal' pg1 latest "
                                     "/srv/pg/pg1/data") != NULL);
    if (cmd != NULL)
        fprintf(stderr, "barman recover over ssh: %s\n", cmd);
    free(cmd);
    plan_free(p);
    topology_free(t);
    scenario_free(s);
    diag_list_free(dl);
}

static const Diag *parse_one(const char *text, size_t len, DiagList *dl)
{
    Scenario *s = NULL;
    CHECK_INT(scenario_parse("t.yaml", text, len, dl, &s), DRILL_E_INVALID);
    CHECK(s == NULL);
    return diag_get(dl, 0);
}

TEST(empty_and_oversized)
{
    DiagList *dl = diag_list_new();
    const Diag *d = parse_one("", 0, dl);
    CHECK(d != NULL);
    if (d)
        CHECK_STR(d->message, "the file is empty (no YAML document)");
    diag_list_free(dl);

    size_t big = YAMLDOC_MAX_BYTES + 1;
    char *text = xmalloc(big);
    memset(text, '#', big);
    dl = diag_list_new();
    d = parse_one(text, big, dl);
    CHECK(d != NULL && d->line == 0);
    if (d)
        CHECK_STR(d->message, "the file is larger than 1048576 bytes");
    diag_list_free(dl);
    free(text);
}

TEST(node_count_limit)
{
    /* [a,a,a,...]: many nodes, shallow, under the byte limit */
    size_t n = YAMLDOC_MAX_NODES + 10;
    Buf b;
    buf_init(&b, YAMLDOC_MAX_BYTES);
    buf_appends(&b, "x: [");
    for (size_t i = 0; i < n; i++)
        buf_appends(&b, "a,");
    buf_appends(&b, "a]\n");
    CHECK(!b.truncated);
    DiagList *dl = diag_list_new();
    const Diag *d = parse_one(b.data, b.len, dl);
    CHECK_INT(diag_count(dl), 1);
    if (d)
        CHECK_STR(d->message, "more than 100000 YAML nodes");
    diag_list_free(dl);
    buf_free(&b);
}

TEST(diag_cap_and_format)
{
    /* 300 unknown keys: capped at DIAG_MAX plus one note */
    Buf b;
    buf_init(&b, 1 << 20);
    buf_appends(&b, "name: x\nfault:\n  - kind: sleep\n    duration: 1s\n");
    for (int i = 0; i < 300; i++)
        buf_appendf(&b, "bogus%d: 1\n", i);
    DiagList *dl = diag_list_new();
    parse_one(b.data, b.len, dl);
    CHECK_INT(diag_count(dl), DIAG_MAX + 1);
    const Diag *last = diag_get(dl, DIAG_MAX);
    CHECK(last != NULL && last->line == 0);
    diag_list_free(dl);
    buf_free(&b);

    dl = diag_list_new();
    diag_add(dl, "b.yaml", 3, 1, NULL, "third");
    diag_add(dl, "a.yaml", 9, 2, "do this", "first %d", 1);
    diag_add(dl, "b.yaml", 1, 7, NULL, "second");
    diag_add(dl, "b.yaml", 0, 0, NULL, "no position");
    FILE *f = tmpfile();
    diag_print(dl, f);
    rewind(f);
    char out[512] = {0};
    size_t got = fread(out, 1, sizeof out - 1, f);
    fclose(f);
    CHECK(got > 0);
    CHECK_STR(out, "a.yaml:9:2: error: first 1\n  hint: do this\n"
                   "b.yaml: error: no position\n"
                   "b.yaml:1:7: error: second\nb.yaml:3:1: error: third\n");
    diag_list_free(dl);
    diag_list_free(NULL);
}

TEST(reader_error_position)
{
    /* an invalid byte after multi-byte characters: libyaml gives only a byte
     * offset; the column counts characters */
    const char text[] = "name: x\ndescription: \"\xc3\xa9\xc3\xa9\xff\"\n";
    DiagList *dl = diag_list_new();
    const Diag *d = parse_one(text, sizeof text - 1, dl);
    CHECK(d != NULL);
    if (d) {
        CHECK_INT(d->line, 2);
        CHECK_INT(d->col, 17);
        CHECK_STR(d->message, "invalid YAML: invalid leading UTF-8 octet");
    }
    diag_list_free(dl);
}

TEST(unknown_variable_column_with_utf8)
{
    const char *text = "name: x\nfault:\n  - kind: event\n    event: \"\xc3\xa9t\xc3\xa9 ${nope}\"\n";
    DiagList *dl = diag_list_new();
    const Diag *d = parse_one(text, strlen(text), dl);
    CHECK(d != NULL);
    if (d) {
        CHECK_INT(d->line, 4);
        CHECK_INT(d->col, 17);
        CHECK_STR(d->message, "unknown variable \"nope\"");
    }
    diag_list_free(dl);
}

TEST(suggest)
{
    const char *const c[] = {"timeout", "name", "node", "kind", NULL};
    CHECK_STR(suggest_closest("timout", c), "timeout");
    CHECK_STR(suggest_closest("nam", c), "name");
    CHECK(suggest_closest("completely-different", c) == NULL);
    CHECK(suggest_closest(NULL, c) == NULL);
}

TEST(load_missing_file)
{
    DiagList *dl = diag_list_new();
    Scenario *s = NULL;
    CHECK_INT(scenario_load("/nonexistent/x.yaml", dl, &s), DRILL_E_IO);
    CHECK_INT(diag_count(dl), 1);
    Topology *t = NULL;
    CHECK_INT(topology_load("/nonexistent/t.yaml", dl, &t), DRILL_E_IO);
    CHECK(s == NULL && t == NULL);
    diag_list_free(dl);
    scenario_free(NULL);
    topology_free(NULL);
}

TEST(phase_names)
{
    CHECK_STR(phase_name(PHASE_PREFLIGHT), "preflight");
    CHECK_STR(phase_name(PHASE_CLEANUP), "cleanup");
    CHECK_STR(node_role_name(ROLE_BACKUP), "backup");
}

static const char *lookup_none(void *ud, const char *name)
{
    (void)ud;
    (void)name;
    return NULL;
}

static const char *lookup_x(void *ud, const char *name)
{
    (void)ud;
    return strcmp(name, "x") == 0 ? "0/3000060" : NULL;
}

/* ${capture.NAME} stays in the value until run time; literal ${ (escaped or
 * from a variable) survives the round trip; argv items are deferred as a list.
 * (A shell command is never deferred: see test_shell_values.c.) */
TEST(capture_deferred_expansion)
{
    const char *text = "name: c\nvariables:\n  v: \"a${b\"\npreflight:\n"
                       "  - kind: sql\n    node: primary\n    query: select 1\n    capture: x\n"
                       "  - kind: sql\n    node: primary\n"
                       "    query: \"echo $${HOME} ${v} ${capture.x}\"\n"
                       "  - kind: exec\n    node: primary\n    argv: [\"$${y}\", \"${capture.x}\"]\n";
    Scenario *s = NULL;
    DiagList *dl = diag_list_new();
    CHECK_INT(scenario_parse("t.yaml", text, strlen(text), dl, &s), 0);
    diag_list_free(dl);
    if (s == NULL)
        return;
    const Step *sh = &s->steps[PHASE_PREFLIGHT][1];
    const Step *ex = &s->steps[PHASE_PREFLIGHT][2];
    CHECK(!step_has_deferred(&s->steps[PHASE_PREFLIGHT][0]));
    CHECK(step_has_deferred(sh));
    char *out = NULL;
    DrillError err;
    CHECK_INT(scenario_expand(step_str(sh, "query", ""), lookup_x, NULL, &out, &err), 0);
    CHECK_STR(out, "echo ${HOME} a${b 0/3000060");
    free(out);
    CHECK_INT(scenario_expand(step_str(sh, "query", ""), NULL, NULL, &out, &err), 0);
    CHECK_STR(out, "echo ${HOME} a${b ${capture.x}");   /* dry run: as written */
    free(out);
    Step *r = NULL;
    CHECK_INT(step_resolve(ex, lookup_x, NULL, &r, &err), 0);
    if (r != NULL) {
        CHECK_STR(step_list(r, "argv")[0], "${y}");
        CHECK_STR(step_list(r, "argv")[1], "0/3000060");
    }
    step_resolved_free(r);
    CHECK_INT(step_resolve(sh, lookup_none, NULL, &r, &err), DRILL_E_NOTFOUND);
    CHECK(r == NULL);
    scenario_free(s);
}

int main(void)
{
    RUN(capture_deferred_expansion);
    RUN(invalid_drills);
    RUN(invalid_topologies);
    RUN(invalid_against_topology);
    RUN(drill_full);
    RUN(topology_full);
    RUN(topology_sandbox);
    RUN(drill_full_validates);
    RUN(drill_full_bound);
    RUN(empty_and_oversized);
    RUN(node_count_limit);
    RUN(diag_cap_and_format);
    RUN(reader_error_position);
    RUN(unknown_variable_column_with_utf8);
    RUN(suggest);
    RUN(load_missing_file);
    RUN(phase_names);
    RUN(barman_recover_remote);
    return harness_done();
}
