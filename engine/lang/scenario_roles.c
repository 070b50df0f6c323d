/*
 * scenario_roles.c — how a drill names the nodes it acts on: by role.
 *
 * A drill runs on other people's topologies (three hosts, node and slot
 * names the DBA chose), so it never names a topology's node. It names a
 * role — `primary`, `standby`, `backup` — or a name of its own bound to a
 * role under `roles:` (a failover's `old_primary: primary`, `new_primary:
 * standby`: the names stay with the machines while their roles swap). The
 * planner binds each to the topology's node of that role.
 *
 * What a drill needs to know of those nodes comes from the topology too:
 * `${ROLE.FIELD}` is a value of the node bound to ROLE (a role or a `roles:`
 * name):
 *   name  the node's name in the topology
 *   slot  backup: barman_slot; others: slot_name, or for a node without
 *         one (a primary that a failover turns into a standby) its name,
 *         lower-cased, `-` as `_`
 * Each value used becomes a variable of the scenario (ScenarioVar.node_attr)
 * so that it is substituted, quoted and passed exactly like a declared one;
 * in a shell command it is the environment variable DRILL_ROLE_<role>_<field>.
 */
#include "scenario.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "suggest.h"
#include "util.h"
#include "yamldoc.h"

static const char *const role_words[] = {"primary", "standby", "backup", NULL};
static const char *const fields[] = {"name", "slot", NULL};

#define ROLE_FIRST "abcdefghijklmnopqrstuvwxyz"
#define ROLE_REST ROLE_FIRST "0123456789_"
#define ROLE_NAME_MAX 32

static int role_word(const char *s, size_t n)
{
    for (int i = 0; role_words[i] != NULL; i++)
        if (strlen(role_words[i]) == n && strncmp(role_words[i], s, n) == 0)
            return i;
    return -1;
}

static const ScenarioRole *role_alias(const Scenario *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->nroles; i++)
        if (strlen(s->roles[i].name) == n && strncmp(s->roles[i].name, name, n) == 0)
            return &s->roles[i];
    return NULL;
}

/* The role (as a word) that n bytes at ref stand for, or NULL. */
static const char *role_of(const Scenario *s, const char *ref, size_t n)
{
    int r = role_word(ref, n);
    if (r >= 0)
        return role_words[r];
    const ScenarioRole *a = role_alias(s, ref, n);
    return a != NULL ? node_role_name(a->role) : NULL;
}

const char *scenario_role_of(const Scenario *s, const char *ref)
{
    return ref != NULL ? role_of(s, ref, strlen(ref)) : NULL;
}

/* ---- roles: ----------------------------------------------------------------- */

static void role_add(Ctx *c, const yaml_node_t *k, const char *name, const yaml_node_t *v)
{
    char clip[64];
    const char *role = yamldoc_want_enum(c->doc, name, v, "primary|standby|backup");
    if (role == NULL)
        return;
    if (strlen(name) > ROLE_NAME_MAX || !scenario_chars_match(name, ROLE_FIRST, ROLE_REST)) {
        yamldoc_error(c->doc, k, "start with a-z, then a-z, 0-9 or _ (at most 32)",
                      "invalid role name \"%s\"", yamldoc_clip(name, clip));
        return;
    }
    if (role_word(name, strlen(name)) >= 0 || strcmp(name, "capture") == 0) {
        yamldoc_error(c->doc, k, "choose another name (old_primary, new_primary, ...)",
                      "\"%s\" is reserved", name);
        return;
    }
    NodeRole r = strcmp(role, "primary") == 0   ? ROLE_PRIMARY
                 : strcmp(role, "standby") == 0 ? ROLE_STANDBY
                                                : ROLE_BACKUP;
    c->s->roles[c->s->nroles++] = (ScenarioRole){xstrdup(name), r};
}

void scenario_roles_parse(Ctx *c, const yaml_node_t *map)
{
    if (!yamldoc_want_type(c->doc, "roles", map, YAML_MAPPING_NODE))
        return;
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    if (n > SCENARIO_MAX_ROLES) {
        yamldoc_error(c->doc, map, NULL, "more than %d role names", SCENARIO_MAX_ROLES);
        return;
    }
    c->s->roles = xcalloc(n ? n : 1, sizeof(ScenarioRole));
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        const yaml_node_t *k = yamldoc_node(c->doc, pr->key);
        const char *name = yamldoc_scalar(k);
        if (name != NULL)
            role_add(c, k, name, yamldoc_node(c->doc, pr->value));
    }
}

/* ---- node references ------------------------------------------------------- */

/* The hint for a reference that is no role: the node's role when the
 * topology has a node by that name, else the closest role or role name. */
static char *ref_hint(Ctx *c, const char *ref)
{
    for (size_t i = 0; c->topology != NULL && i < c->topology->nnodes; i++) {
        const Node *nd = &c->topology->nodes[i];
        if (strcmp(nd->name, ref) == 0)
            return xasprintf("drills name roles, not a topology's nodes: \"%s\" is the %s in "
                             "topology %s, so write `%s` (or bind a name of your own to the "
                             "role under `roles:`)",
                             ref, node_role_name(nd->role), c->topology->name,
                             node_role_name(nd->role));
    }
    const char **cands = xcalloc(c->s->nroles + 4, sizeof *cands);
    size_t n = 0;
    for (int i = 0; role_words[i] != NULL; i++)
        cands[n++] = role_words[i];
    for (size_t i = 0; i < c->s->nroles; i++)
        cands[n++] = c->s->roles[i].name;
    const char *sug = suggest_closest(ref, cands);
    free(cands);
    if (sug != NULL)
        return xasprintf("did you mean `%s`?", sug);
    return xstrdup("drills name roles, not a topology's nodes: write primary, standby or "
                   "backup, or bind a name of your own under `roles:` (old_primary: primary)");
}

bool scenario_node_ref_check(Ctx *c, const char *ref, int line, int col)
{
    if (role_of(c->s, ref, strlen(ref)) != NULL)
        return true;
    char clip[64];
    char *hint = ref_hint(c, ref);
    yamldoc_error_at(c->doc, line, col, hint, "\"%s\" is not a role", yamldoc_clip(ref, clip));
    free(hint);
    return false;
}

/* ---- ${ROLE.FIELD} ----------------------------------------------------------- */

/* The slot a PostgreSQL node without slot_name streams through: its name,
 * lower-cased, `-` as `_` (a slot name is [a-z0-9_]). */
static char *slot_from_name(const char *name)
{
    char *s = xstrdup(name);
    for (char *p = s; *p != '\0'; p++)
        *p = *p == '-' ? '_' : (char)tolower((unsigned char)*p);
    return s;
}

static char *attr_value(const Node *nd, const char *field)
{
    if (strcmp(field, "name") == 0)
        return xstrdup(nd->name);
    if (nd->role == ROLE_BACKUP)
        return xstrdup(nd->barman_slot != NULL ? nd->barman_slot : "barman");
    return nd->slot_name != NULL ? xstrdup(nd->slot_name) : slot_from_name(nd->name);
}

static void attr_error(Ctx *c, const yaml_node_t *v, size_t k, const char *hint,
                       const char *what, const char *word)
{
    int line, col;
    char clip[64];
    scenario_ref_pos(c, v, k, &line, &col);
    yamldoc_error_at(c->doc, line, col, hint, "%s \"%s\"", what, yamldoc_clip(word, clip));
}

/* Checks ROLE.FIELD; returns the value (the placeholder without a
 * topology), or NULL after reporting. */
static char *attr_resolve(Ctx *c, const yaml_node_t *v, size_t k, const char *role, size_t rn,
                          const char *field)
{
    char *word = xstrndup(role, rn);
    const char *r = role_of(c->s, role, rn);
    char *val = NULL;
    bool known = false;
    for (int i = 0; fields[i] != NULL; i++)
        known = known || strcmp(fields[i], field) == 0;
    if (r == NULL) {
        attr_error(c, v, k, "write ${ROLE.name} or ${ROLE.slot}, ROLE being primary, standby, "
                   "backup or a name under `roles:`", "unknown role", word);
    } else if (!known) {
        attr_error(c, v, k, "a node's values are ${ROLE.name} and ${ROLE.slot}",
                   "unknown node value", field);
    } else if (c->topology == NULL) {
        val = xasprintf("<%s.%s>", word, field);
    } else {
        const Node *nd = topology_find(c->topology, r);
        if (nd == NULL) {
            char *hint = xasprintf("add a node with role %s to the topology", r);
            attr_error(c, v, k, hint, "the topology has no node for role", r);
            free(hint);
        } else {
            val = attr_value(nd, field);
        }
    }
    free(word);
    return val;
}

const ScenarioVar *scenario_node_attr(Ctx *c, const yaml_node_t *v, size_t k, const char *name,
                                      size_t n)
{
    char *full = xstrndup(name, n);
    const ScenarioVar *have = scenario_var(c->s, full);
    if (have != NULL) {
        free(full);
        return have;
    }
    char *dot = strchr(full, '.');
    char *val = dot != NULL ? attr_resolve(c, v, k, full, (size_t)(dot - full), dot + 1) : NULL;
    if (val == NULL) {
        free(full);
        return NULL;
    }
    Scenario *s = c->s;
    s->vars = xrealloc(s->vars, (s->nvars + 1) * sizeof *s->vars);
    s->vars[s->nvars] = (ScenarioVar){full, val, false, true};
    return &s->vars[s->nvars++];
}

void scenario_node_attr_env(Buf *b, const char *var_name)
{
    buf_appends(b, "DRILL_ROLE_");
    for (const char *p = var_name; *p != '\0'; p++)
        buf_append(b, *p == '.' ? "_" : p, 1);
}
