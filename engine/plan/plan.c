/* plan.c — see plan.h. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Appends step st to p, bound to the topology's nodes. */
static int plan_add(Plan *p, const Step *st, DrillError *err)
{
    const Scenario *s = p->scenario;
    const Topology *t = p->topology;
    PlanStep *ps = &p->steps[p->nsteps];
    ps->step = st;
    ps->seq = p->nsteps++;
    if (st->unless != NULL) {
        ps->unless = xcalloc(1, sizeof *ps->unless);
        *ps->unless = (PlanStep){st->unless,
                                 topology_find(t, scenario_role_of(s, st->unless->node)),
                                 ps->seq, NULL};
    }
    if (st->node != NULL) {
        ps->node = topology_find(t, scenario_role_of(s, st->node));
        if (ps->node == NULL)
            return drill_error_set(err, DRILL_E_INVALID,
                                   "%s:%d:%d: step \"%s\" names node \"%s\" which %s lacks",
                                   s->file, st->line, st->col, st->name, st->node, t->file);
    }
    if (st->kind->destructive)
        p->destructive = true;
    return 0;
}

static Plan *plan_new(const Scenario *s, const Topology *t)
{
    Plan *p = xcalloc(1, sizeof *p);
    p->scenario = s;
    p->topology = t;
    size_t total = 0;
    for (int ph = 0; ph < PHASE_COUNT; ph++)
        total += s->nsteps[ph];
    p->steps = xcalloc(total ? total : 1, sizeof *p->steps);
    return p;
}

/* Adds the steps of phase ph (only the read-only ones when read_only). */
static int plan_add_phase(Plan *p, Phase ph, bool read_only, DrillError *err)
{
    for (size_t i = 0; i < p->scenario->nsteps[ph]; i++) {
        const Step *st = &p->scenario->steps[ph][i];
        const char *why;
        if (read_only && !plan_step_read_only(&(PlanStep){st, NULL, 0, NULL}, &why))
            continue;
        int rc = plan_add(p, st, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int plan_done(Plan *p, int rc, Plan **out)
{
    if (rc < 0) {
        plan_free(p);
        p = NULL;
    }
    *out = p;
    return rc;
}

int plan_build(const Scenario *s, const Topology *t, Plan **out, DrillError *err)
{
    Plan *p = plan_new(s, t);
    int rc = 0;
    for (int ph = 0; rc == 0 && ph < PHASE_COUNT; ph++)
        rc = plan_add_phase(p, (Phase)ph, false, err);
    return plan_done(p, rc, out);
}

int plan_build_repair(const Scenario *s, const Topology *t, bool check_only, Plan **out,
                      DrillError *err)
{
    Plan *p = plan_new(s, t);
    int rc = check_only ? 0 : plan_add_phase(p, PHASE_ROLLBACK, false, err);
    if (rc == 0 && !check_only)
        rc = plan_add_phase(p, PHASE_CLEANUP, false, err);
    if (rc == 0)
        rc = plan_add_phase(p, PHASE_PREFLIGHT, true, err);
    return plan_done(p, rc, out);
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
    /* `pgbackrest check` is not: it forces a WAL switch on the primary. */
    const char *cmd = step_str(s, "command", "");
    if (k->id == SK_PGBACKREST && (strcmp(cmd, "info") == 0 || strcmp(cmd, "verify") == 0))
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
