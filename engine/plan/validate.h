/*
 * validate.h — checks that span both languages: every step's `node:` and
 * PT_NODE parameters name a node or role the topology has, and a step's kind
 * fits the node's role (barman steps need a backup node, ...).
 */
#ifndef DRILL_VALIDATE_H
#define DRILL_VALIDATE_H

#include "diag.h"
#include "scenario.h"
#include "topology.h"

/* Adds problems to diags; returns the number added. */
size_t validate_against_topology(const Scenario *s, const Topology *t, DiagList *diags);

#endif
