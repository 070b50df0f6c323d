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
void plan_free(Plan *p);

/* Resolves a PT_NODE parameter of a step (NULL if absent). */
const Node *plan_param_node(const Plan *p, const PlanStep *ps, const char *key);

#endif
