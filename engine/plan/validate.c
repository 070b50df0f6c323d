/*
 * validate.c — checks between a drill and a topology: every role a step names
 * (its `node:` and its PT_NODE parameters) has a node, and the step's kind fits
 * the node's role (the catalogue row's NodeNeed: step_node_need). Errors
 * point at the value that names the node, in the drill file.
 */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yamldoc.h"

/* Checks one reference to a node; returns 1 when a problem was reported. */
static size_t check_ref(const Scenario *s, const Topology *t, DiagList *diags, const Step *st,
                        const char *what, const char *ref, int line, int col, NodeNeed need)
{
    /* The parser has checked that ref is a role or a `roles:` name. */
    const char *role = scenario_role_of(s, ref);
    const Node *n = role != NULL ? topology_find(t, role) : NULL;
    if (n == NULL) {
        char clip[64];
        char *hint = xasprintf("add a node with `role: %s` to the topology", role ? role : "?");
        diag_add(diags, s->file, line, col, hint, "%s \"%s\" needs the %s node, and topology "
                 "\"%s\" has none", what, yamldoc_clip(ref, clip), role ? role : "?",
                 t->name ? t->name : t->file);
        free(hint);
        return 1;
    }
    bool backup = n->role == ROLE_BACKUP;
    bool fits = need == NEED_ANY || (need == NEED_BARMAN && backup && n->tool == TOOL_BARMAN) ||
                (need == NEED_PGBACKREST && backup && n->tool == TOOL_PGBACKREST) ||
                (need == NEED_PG && !backup);
    if (fits)
        return 0;
    const char *want = need == NEED_BARMAN       ? "a Barman backup node"
                       : need == NEED_PGBACKREST ? "a pgBackRest backup node (tool: pgbackrest)"
                                                 : "a PostgreSQL node (primary or standby)";
    char *hint = !backup || need == NEED_PG
        ? xasprintf("name %s for `%s`", want, what)
        : xasprintf("topology \"%s\" backs up with %s: run the drill's %s (`drill list` shows "
                    "them)%s", t->name ? t->name : t->file,
                    n->tool == TOOL_PGBACKREST ? "pgBackRest" : "Barman",
                    n->tool == TOOL_PGBACKREST ? "-pgbackrest variant"
                                               : "Barman version, without -pgbackrest",
                    n->tool == TOOL_PGBACKREST ? ""
                    : "; for a pgBackRest sandbox: drill sandbox down && drill sandbox up "
                      "--backup pgbackrest");
    diag_add(diags, s->file, line, col, hint, "step kind \"%s\" needs %s, but \"%s\" is a %s node%s",
             st->kind->name, want, n->name, node_role_name(n->role),
             backup && need != NEED_PG ? (n->tool == TOOL_PGBACKREST ? " (pgBackRest)" : " (Barman)")
                                       : "");
    free(hint);
    return 1;
}

static size_t check_step(const Scenario *s, const Topology *t, DiagList *diags, const Step *st)
{
    size_t added = st->unless != NULL ? check_step(s, t, diags, st->unless) : 0;
    if (st->node != NULL)
        added += check_ref(s, t, diags, st, "node", st->node, st->node_line, st->node_col,
                           step_node_need(st));
    for (size_t i = 0; i < st->nparams; i++) {
        const StepParam *p = &st->params[i];
        const ParamSpec *spec = stepkind_param(st->kind, p->key);
        if (spec == NULL || spec->type != PT_NODE || p->value == NULL)
            continue;
        /* Every PT_NODE parameter of the catalogue names a PostgreSQL node:
         * restore target, clone/rewind source, heartbeat comparison. */
        added += check_ref(s, t, diags, st, p->key, p->value, p->line, p->col, NEED_PG);
    }
    return added;
}

size_t validate_against_topology(const Scenario *s, const Topology *t, DiagList *diags)
{
    size_t added = 0;
    if (s == NULL || t == NULL)
        return 0;
    for (int ph = 0; ph < PHASE_COUNT; ph++)
        for (size_t i = 0; i < s->nsteps[ph]; i++)
            added += check_step(s, t, diags, &s->steps[ph][i]);
    return added;
}
