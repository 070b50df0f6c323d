/*
 * test_roles.c — drills name roles, never a topology's nodes
 * (engine/lang/scenario_roles.c): `roles:` names, node references checked at
 * parse time, ${ROLE.FIELD} values from the topology (pasted in parameters,
 * environment references in shell commands), and their binding by the
 * planner and the validator on a topology whose names are not the sandbox's.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "plan.h"
#include "scenario.h"
#include "shellenv.h"
#include "testutil.h"
#include "topology.h"
#include "validate.h"

/* The classic three-host layout: names unlike the sandbox's. */
static const char classic3[] =
    "name: classic3\n"
    "nodes:\n"
    "  - name: node1\n"
    "    role: primary\n"
    "    conninfo: \"host=10.0.0.1 user=drill dbname=postgres\"\n"
    "    data_directory: /var/lib/postgresql/15/main\n"
    "  - name: node2\n"
    "    role: standby\n"
    "    conninfo: \"host=10.0.0.2 user=drill dbname=postgres\"\n"
    "    data_directory: /var/lib/postgresql/15/main\n"
    "    slot_name: standby_slot\n"
    "  - name: barman\n"
    "    role: backup\n"
    "    barman_config: /etc/barman.conf\n"
    "    barman_server: main-db\n"
    "    barman_slot: barman_slot\n";

/* Only a primary and a backup node: no standby. */
static const char nostandby[] =
    "name: lonely\n"
    "nodes:\n"
    "  - name: Db-One\n"
    "    role: primary\n"
    "    conninfo: \"host=10.0.0.1 user=drill dbname=postgres\"\n"
    "    data_directory: /srv/pg\n"
    "  - name: bk\n"
    "    role: backup\n"
    "    barman_config: /etc/barman.conf\n"
    "    barman_server: main\n";

static Topology *topo(const char *text)
{
    Topology *t = NULL;
    DiagList *dl = diag_list_new();
    int rc = topology_parse("topo.yaml", text, strlen(text), dl, &t);
    if (rc != 0) {
        char *report = testutil_diags_text(dl);
        fprintf(stderr, "%s", report);
        free(report);
    }
    diag_list_free(dl);
    return t;
}

/* Parses drill text with topology t (may be NULL); *diags gets the report. */
static Scenario *drill(const char *text, const Topology *t, char **diags)
{
    Scenario *s = NULL;
    DiagList *dl = diag_list_new();
    scenario_parse_with("d.yaml", text, strlen(text), &(ScenarioLoad){NULL, 0, t}, dl, &s);
    *diags = testutil_diags_text(dl);
    diag_list_free(dl);
    return s;
}

static const char failover[] =
    "name: failover\n"
    "roles:\n"
    "  old_primary: primary\n"
    "  new_primary: standby\n"
    "fault:\n"
    "  - kind: pg_stop\n"
    "    node: old_primary\n"
    "    mode: immediate\n"
    "recover:\n"
    "  - kind: slot_create\n"
    "    node: new_primary\n"
    "    slot: ${old_primary.slot}\n"
    "  - kind: sql\n"
    "    node: new_primary\n"
    "    query: select count(*) from pg_replication_slots where slot_name = '${new_primary.slot}'\n"
    "  - kind: shell\n"
    "    node: backup\n"
    "    command: echo ${backup.slot} ${old_primary.name}\n";

TEST(role_names_bind_to_the_topology)
{
    Topology *t = topo(classic3);
    char *d = NULL;
    Scenario *s = drill(failover, t, &d);
    CHECK(s != NULL);
    CHECK_STR(d, "");
    if (s == NULL)
        goto out;
    CHECK_STR(scenario_role_of(s, "old_primary"), "primary");
    CHECK_STR(scenario_role_of(s, "new_primary"), "standby");
    CHECK_STR(scenario_role_of(s, "backup"), "backup");
    CHECK(scenario_role_of(s, "node1") == NULL);
    /* A node without slot_name streams, once rebuilt as a standby, through
     * a slot named after it; the standby's and Barman's come from the topology. */
    CHECK_STR(step_str(&s->steps[PHASE_RECOVER][0], "slot", NULL), "node1");
    CHECK_STR(step_str(&s->steps[PHASE_RECOVER][1], "query", NULL),
              "select count(*) from pg_replication_slots where slot_name = 'standby_slot'");
    Plan *p = NULL;
    DrillError err;
    CHECK_INT(plan_build(s, t, &p, &err), 0);
    if (p != NULL) {
        CHECK_STR(p->steps[0].node->name, "node1");   /* old_primary */
        CHECK_STR(p->steps[1].node->name, "node2");   /* new_primary */
        CHECK_STR(p->steps[3].node->name, "barman");
    }
    plan_free(p);
    /* The generated step name keeps the drill's word, not the node's. */
    CHECK_STR(s->steps[PHASE_FAULT][0].name, "pg_stop on old_primary");
out:
    free(d);
    scenario_free(s);
    topology_free(t);
}

TEST(shell_commands_read_node_values_from_the_environment)
{
    Topology *t = topo(classic3);
    char *d = NULL;
    Scenario *s = drill(failover, t, &d);
    CHECK(s != NULL);
    if (s == NULL)
        goto out;
    const char *cmd = step_str(&s->steps[PHASE_RECOVER][2], "command", NULL);
    CHECK_STR(cmd, "echo \"${DRILL_ROLE_backup_slot}\" \"${DRILL_ROLE_old_primary_name}\"");
    Argv a = {0};
    DrillError err;
    CHECK_INT(shellenv_argv(s, cmd, NULL, NULL, &a, &err), 0);
    CHECK_INT(a.n, 6);
    if (a.n == 6) {
        CHECK_STR(a.v[1], "DRILL_ROLE_backup_slot=barman_slot");
        CHECK_STR(a.v[2], "DRILL_ROLE_old_primary_name=node1");
    }
    argv_free(&a);
out:
    free(d);
    scenario_free(s);
    topology_free(t);
}

TEST(without_a_topology_values_are_placeholders)
{
    char *d = NULL;
    Scenario *s = drill(failover, NULL, &d);
    CHECK(s != NULL);
    if (s != NULL)
        CHECK_STR(step_str(&s->steps[PHASE_RECOVER][0], "slot", NULL), "<old_primary.slot>");
    free(d);
    scenario_free(s);
}

TEST(a_node_name_is_refused_with_its_role_as_hint)
{
    static const char named[] = "name: named\n"
                                "fault:\n"
                                "  - kind: pg_stop\n"
                                "    node: node1\n"
                                "  - kind: base_backup\n"
                                "    node: standby\n"
                                "    source: pg1\n";
    Topology *t = topo(classic3);
    char *d = NULL;
    Scenario *s = drill(named, t, &d);
    CHECK(s == NULL);
    CHECK(strstr(d, "d.yaml:4:11: error: \"node1\" is not a role") != NULL);
    CHECK(strstr(d, "\"node1\" is the primary in topology classic3, so write `primary`") != NULL);
    CHECK(strstr(d, "d.yaml:7:13: error: \"pg1\" is not a role") != NULL);
    free(d);
    scenario_free(s);
    /* Without a topology: the general hint. */
    s = drill(named, NULL, &d);
    CHECK(s == NULL);
    CHECK(strstr(d, "drills name roles, not a topology's nodes") != NULL);
    free(d);
    scenario_free(s);
    topology_free(t);
}

TEST(bad_roles_and_node_values_are_refused)
{
    static const char bad[] = "name: bad\n"
                              "roles:\n"
                              "  primary: standby\n"
                              "  Old: primary\n"
                              "  gone: leader\n"
                              "fault:\n"
                              "  - kind: sleep\n"
                              "    duration: ${old.slot}\n"
                              "  - kind: slot_create\n"
                              "    node: primary\n"
                              "    slot: ${standby.port}\n";
    char *d = NULL;
    Scenario *s = drill(bad, NULL, &d);
    CHECK(s == NULL);
    CHECK(strstr(d, "\"primary\" is reserved") != NULL);
    CHECK(strstr(d, "invalid role name \"Old\"") != NULL);
    CHECK(strstr(d, "d.yaml:5:9:") != NULL);   /* leader: not a role */
    CHECK(strstr(d, "unknown node value \"port\"") != NULL);
    free(d);
    scenario_free(s);
}

TEST(a_role_the_topology_lacks)
{
    Topology *t = topo(nostandby);
    char *d = NULL;
    /* ${standby.slot} cannot be resolved at load... */
    Scenario *s = drill(failover, t, &d);
    CHECK(s == NULL);
    CHECK(strstr(d, "the topology has no node for role \"standby\"") != NULL);
    free(d);
    /* ...and validate says which role has no node. */
    static const char plain[] = "name: plain\n"
                                "fault:\n"
                                "  - kind: pg_stop\n"
                                "    node: standby\n"
                                "  - kind: slot_create\n"
                                "    node: primary\n"
                                "    slot: ${primary.slot}\n";
    s = drill(plain, t, &d);
    CHECK(s != NULL);
    if (s != NULL) {
        /* No slot_name: the name, lower-cased, - as _. */
        CHECK_STR(step_str(&s->steps[PHASE_FAULT][1], "slot", NULL), "db_one");
        DiagList *dl = diag_list_new();
        CHECK_INT(validate_against_topology(s, t, dl), 1);
        char *text = testutil_diags_text(dl);
        CHECK(strstr(text, "node \"standby\" needs the standby node, and topology \"lonely\" "
                           "has none") != NULL);
        free(text);
        diag_list_free(dl);
    }
    free(d);
    scenario_free(s);
    topology_free(t);
}

int main(void)
{
    RUN(role_names_bind_to_the_topology);
    RUN(shell_commands_read_node_values_from_the_environment);
    RUN(without_a_topology_values_are_placeholders);
    RUN(a_node_name_is_refused_with_its_role_as_hint);
    RUN(bad_roles_and_node_values_are_refused);
    RUN(a_role_the_topology_lacks);
    return harness_done();
}
