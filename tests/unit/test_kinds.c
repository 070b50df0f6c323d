/*
 * test_kinds.c — the two tables of step kinds agree: the language's
 * catalogue (stepkind.c) has row i for kind i, the run layer's table
 * (run/kinds/kinds.c) has row i for the same kind under the same name with
 * a run and a describe function, and the node a step needs comes from its
 * catalogue row (wait_for's from its probe).
 */
#include <string.h>

#include "harness.h"
#include "runner.h"
#include "scenario.h"

TEST(catalogue_row_per_kind)
{
    CHECK_INT((int)stepkind_count(), SK_COUNT);
    for (int i = 0; i < SK_COUNT; i++) {
        const StepKind *k = stepkind_get((StepKindId)i);
        CHECK(k != NULL && (int)k->id == i);
        if (k != NULL)
            CHECK(stepkind_find(k->name) == k);
    }
    CHECK(stepkind_get(SK_COUNT) == NULL);
}

TEST(run_table_matches_catalogue)
{
    DrillError err = {0};
    int rc = runner_check_kinds(&err);
    if (rc < 0)
        fprintf(stderr, "%s\n", err.message);
    CHECK_INT(rc, 0);
}

/* The NodeNeed of the first step of a one-step preflight. */
static int need_of(const char *step_yaml)
{
    char *text = xasprintf("name: t\npreflight:\n  - %s\n", step_yaml);
    DiagList *dl = diag_list_new();
    Scenario *s = NULL;
    int need = -1;
    if (scenario_parse("t.yaml", text, strlen(text), dl, &s) == 0 && s->nsteps[PHASE_PREFLIGHT] > 0)
        need = (int)step_node_need(&s->steps[PHASE_PREFLIGHT][0]);
    else
        diag_print(dl, stderr);
    scenario_free(s);
    diag_list_free(dl);
    free(text);
    return need;
}

TEST(node_need_from_the_row)
{
    CHECK_INT(need_of("{kind: sql, node: primary, query: select 1}"), NEED_PG);
    CHECK_INT(need_of("{kind: barman, node: backup, command: check}"), NEED_BARMAN);
    CHECK_INT(need_of("{kind: shell, node: primary, command: 'true'}"), NEED_ANY);
    CHECK_INT(need_of("{kind: sleep, duration: 1ms}"), NEED_ANY);
    CHECK_INT(need_of("{kind: wait_for, node: standby, probe: streaming}"), NEED_PG);
    CHECK_INT(need_of("{kind: wait_for, node: backup, probe: barman_check}"), NEED_BARMAN);
    CHECK_INT(need_of("{kind: wait_for, node: backup, probe: barman_streaming}"), NEED_BARMAN);
}

int main(void)
{
    RUN(catalogue_row_per_kind);
    RUN(run_table_matches_catalogue);
    RUN(node_need_from_the_row);
    return harness_done();
}
