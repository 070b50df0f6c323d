/*
 * nodeexec.h — the executor that reaches a node: an SSH session (connected,
 * host key checked strictly) for `access: ssh`, else none (the caller's
 * local executor). Shared by the runner's steps and by `drill audit`.
 */
#ifndef DRILL_NODEEXEC_H
#define DRILL_NODEEXEC_H

#include <stdbool.h>

#include "exec.h"
#include "topology.h"

/* *out: a connected SSH executor (the caller frees it), or NULL for a node
 * reached locally. accept_new: trust an unknown host key on first use (the caller
 * decides, from the node's accept_new_hostkey and its own mode). */
int node_exec_open(const Node *n, bool accept_new, Executor **out, DrillError *err);

#endif
