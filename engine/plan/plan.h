/*
 * plan.h — a scenario bound to a topology: every step in execution order with
 * its node resolved (role -> node), ready for the runner or a dry run.
 */
#ifndef DRILL_PLAN_H
#define DRILL_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "scenario.h"
#include "topology.h"

typedef struct PlanStep {
    const Step *step;
    const Node *node;   /* NULL for steps without a node */
    size_t seq;         /* execution order, 0-based */
    /* step->unless bound to its node (a wait_for; same seq), or NULL: when it
     * holds, the step is not needed (owned by the plan). */
    struct PlanStep *unless;
} PlanStep;

typedef struct Plan {
    const Scenario *scenario;
    const Topology *topology;
    PlanStep *steps;
    size_t nsteps;
    bool destructive;   /* some step is destructive */
} Plan;

/* The scenario must already be validated against the topology. */
int plan_build(const Scenario *s, const Topology *t, Plan **out, DrillError *err);
/* `drill repair`: the drill's rollback steps, its cleanup steps, then its
 * read-only preflight steps (plan_step_read_only) as the health check, in
 * that order; nothing else of the drill. check_only: the checks alone (the
 * operator repaired the target by hand). */
int plan_build_repair(const Scenario *s, const Topology *t, bool check_only, Plan **out,
                      DrillError *err);
void plan_free(Plan *p);

/* Resolves a PT_NODE parameter of a step (NULL if absent). */
const Node *plan_param_node(const Plan *p, const PlanStep *ps, const char *key);

/* Whether a dry run may run this step: its kind is a pure check
 * (StepKind.read_only); or it is `sql` (a dry run runs it in a READ ONLY
 * transaction: the server refuses writes); or a barman command that only
 * reads (check, list-backups, replication-status); or a shell/exec step whose
 * author promised `read_only: true`. Otherwise *why_not says why not. */
bool plan_step_read_only(const PlanStep *ps, const char **why_not);

#endif
