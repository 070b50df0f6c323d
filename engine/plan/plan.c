/* plan.c — see plan.h. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int plan_build(const Scenario *s, const Topology *t, Plan **out, DrillError *err)
{
    *out = NULL;
    Plan *p = xcalloc(1, sizeof *p);
    p->scenario = s;
    p->topology = t;
    size_t total = 0;
    for (int ph = 0; ph < PHASE_COUNT; ph++)
        total += s->nsteps[ph];
    p->steps = xcalloc(total, sizeof *p->steps);
    for (int ph = 0; ph < PHASE_COUNT; ph++) {
        for (size_t i = 0; i < s->nsteps[ph]; i++) {
            const Step *st = &s->steps[ph][i];
            PlanStep *ps = &p->steps[p->nsteps];
            ps->step = st;
            ps->seq = p->nsteps++;
            if (st->unless != NULL) {
                ps->unless = xcalloc(1, sizeof *ps->unless);
                *ps->unless = (PlanStep){st->unless, topology_find(t, scenario_role_of(
                                         s, st->unless->node)), ps->seq, NULL};
            }
            if (st->node != NULL) {
                ps->node = topology_find(t, scenario_role_of(s, st->node));
                if (ps->node == NULL) {
                    plan_free(p);
                    return drill_error_set(err, DRILL_E_INVALID,
                                           "%s:%d:%d: step \"%s\" names node \"%s\" which %s lacks",
                                           s->file, st->line, st->col, st->name, st->node,
                                           t->file);
                }
            }
            if (st->kind->destructive)
                p->destructive = true;
        }
    }
    *out = p;
    return 0;
}

void plan_free(Plan *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nsteps; i++)
        free(p->steps[i].unless);
    free(p->steps);
    free(p);
}

const Node *plan_param_node(const Plan *p, const PlanStep *ps, const char *key)
{
    const char *v = step_str(ps->step, key, NULL);
    const char *role = scenario_role_of(p->scenario, v);
    return role != NULL ? topology_find(p->topology, role) : NULL;
}

static bool barman_reads_only(const Step *s)
{
    static const char *const reading[] = {"check", "list-backups", "replication-status", NULL};
    const char *cmd = step_str(s, "command", "");
    for (size_t i = 0; reading[i] != NULL; i++)
        if (strcmp(cmd, reading[i]) == 0)
            return true;
    return false;
}

bool plan_step_read_only(const PlanStep *ps, const char **why_not)
{
    const Step *s = ps->step;
    const StepKind *k = s->kind;
    *why_not = NULL;
    if (k->read_only || k->id == SK_SQL)
        return true;
    if (k->id == SK_BARMAN && barman_reads_only(s))
        return true;
    if ((k->id == SK_SHELL || k->id == SK_EXEC) && step_bool(s, "read_only", false))
        return true;
    if (k->destructive)
        *why_not = "destructive";
    else if (k->id == SK_HEARTBEAT_START)
        *why_not = "may change things (creates drill_heartbeat and writes to the primary)";
    else if (k->id == SK_SHELL || k->id == SK_EXEC)
        *why_not = "may change things (set `read_only: true` if it only reads)";
    else if (!k->node_required)
        *why_not = "not a check";
    else
        *why_not = "may change things";
    return false;
}
