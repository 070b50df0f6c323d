/*
 * scenario.c — the drill language: YAML document -> Scenario.
 *
 * This file holds the document: its top-level fields (name, description,
 * objectives, variables, the five phases), the phases' step lists, and the
 * entry points (scenario_parse, scenario_load, scenario_free). Its parts
 * (scenario_int.h): one step and its typed parameters in scenario_step.c,
 * `variables` and `${...}` references in scenario_vars.c, run-time
 * expansion of captures in scenario_expand.c; objectives are objectives.c.
 *
 * Every key is checked (unknown keys get a "did you mean"), every value
 * typed against the step-kind catalogue (stepkind.c). Parsing never stops at
 * the first problem: a field that is wrong is reported and skipped, and the
 * scenario is only returned when no diagnostic was added.
 */
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "util.h"
#include "yamldoc.h"

static const char *const phase_names[PHASE_COUNT] = {"preflight", "fault",    "recover",
                                                     "verify",    "rollback", "cleanup"};

static const char *const top_keys[] = {"name",     "description", "objectives", "roles",
                                       "variables", "preflight",  "fault",      "recover",
                                       "verify",   "rollback",    "cleanup",    NULL};

const char *phase_name(Phase p)
{
    return (p >= 0 && p < PHASE_COUNT) ? phase_names[p] : "?";
}

/* ---- top-level fields ------------------------------------------------------ */

static void parse_name(Ctx *c, const yaml_node_t *root)
{
    const yaml_node_t *v = yamldoc_get(c->doc, root, "name");
    if (v == NULL) {
        yamldoc_missing(c->doc, root, "name", "drill", "add `name: my-drill` (a-z, 0-9, -)");
        return;
    }
    const char *name = yamldoc_want_string(c->doc, "name", v);
    if (name == NULL)
        return;
    char clip[64];
    if (!scenario_chars_match(name, LOWER_DIGITS "-", LOWER_DIGITS "-") || strlen(name) > 64)
        yamldoc_error(c->doc, v, "use lower-case letters, digits and - (at most 64)",
                      "invalid drill name \"%s\"", yamldoc_clip(name, clip));
    else
        c->s->name = xstrdup(name);
}

static void parse_phase(Ctx *c, Phase ph, const yaml_node_t *key, const yaml_node_t *seq)
{
    const char *name = phase_names[ph];
    bool empty = yamldoc_is_null(seq) ||
                 (seq->type == YAML_SEQUENCE_NODE &&
                  seq->data.sequence.items.top == seq->data.sequence.items.start);
    if (empty) {
        char *msg = xasprintf("phase \"%s\" is empty", name);
        yamldoc_error(c->doc, yamldoc_is_null(seq) ? key : seq,
                      "list at least one step, or remove the phase", "%s", msg);
        free(msg);
        return;
    }
    if (!yamldoc_want_type(c->doc, name, seq, YAML_SEQUENCE_NODE))
        return;
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    c->total_steps += n;
    if (c->total_steps > SCENARIO_MAX_STEPS) {
        yamldoc_error(c->doc, seq, "split the drill", "more than %d steps", SCENARIO_MAX_STEPS);
        return;
    }
    c->s->steps[ph] = xcalloc(n, sizeof(Step));
    for (size_t i = 0; i < n; i++) {
        Step *st = &c->s->steps[ph][c->s->nsteps[ph]];
        st->phase = ph;
        st->index = c->s->nsteps[ph];
        if (scenario_step_parse(c, yamldoc_node(c->doc, seq->data.sequence.items.start[i]), st)) {
            c->s->nsteps[ph]++;
        } else {
            step_clear(st);
            memset(st, 0, sizeof *st);
        }
    }
}

/* Finds the key node of `key` in map (for positions of null values). */
static const yaml_node_t *key_node(YamlDoc *doc, const yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        const yaml_node_t *k = yamldoc_node(doc, pr->key);
        if (str_eq(yamldoc_scalar(k), key))
            return k;
    }
    return NULL;
}

static void parse_top(Ctx *c, const yaml_node_t *root)
{
    const yaml_node_t *v;
    yamldoc_check_keys(c->doc, root, top_keys, "drill");
    parse_name(c, root);
    if ((v = yamldoc_get(c->doc, root, "description")) != NULL) {
        const char *s = yamldoc_want_string(c->doc, "description", v);
        c->s->description = xstrdup(s);
    }
    if ((v = yamldoc_get(c->doc, root, "objectives")) != NULL)
        objectives_parse_yaml(c->doc, v, "objectives", &c->s->objectives);
    if ((v = yamldoc_get(c->doc, root, "roles")) != NULL)
        scenario_roles_parse(c, v);
    if ((v = yamldoc_get(c->doc, root, "variables")) != NULL)
        scenario_vars_parse(c, v);
    bool any_phase = false;
    for (int ph = 0; ph < PHASE_COUNT; ph++) {
        if ((v = yamldoc_get(c->doc, root, phase_names[ph])) == NULL)
            continue;
        any_phase = true;
        parse_phase(c, (Phase)ph, key_node(c->doc, root, phase_names[ph]), v);
    }
    if (!any_phase)
        yamldoc_error(c->doc, root,
                      "add steps to at least one phase: preflight, fault, recover, verify, "
                      "rollback, cleanup",
                      "the drill has no steps");
}

/* ---- entry points ----------------------------------------------------------- */

void scenario_sha256(const Scenario *s, char out[65])
{
    sha256_hex(s->source, s->source_len, out);
}

static Scenario *scenario_new(const char *file, const char *text, size_t len)
{
    Scenario *s = xcalloc(1, sizeof(Scenario));
    s->file = xstrdup(file ? file : "<input>");
    s->source = xmalloc(len + 1);
    if (len > 0)
        memcpy(s->source, text, len);
    s->source[len] = '\0';
    s->source_len = len;
    objectives_init(&s->objectives, OBJ_FROM_DRILL);
    return s;
}

static int parse_with(const char *file, const char *text, size_t len, const ScenarioLoad *with,
                      DiagList *diags, Scenario **out)
{
    *out = NULL;
    DiagList *own = diags ? NULL : diag_list_new();
    DiagList *dl = diags ? diags : own;
    size_t before = diag_count(dl);
    Scenario *s = scenario_new(file, text, text ? len : 0);
    YamlDoc *doc = yamldoc_parse(s->file, s->source, s->source_len, dl);
    if (doc != NULL) {
        Ctx c = {doc, s, 0, NULL, NULL, 0, 0, NULL, 0, NULL};
        if (with != NULL) {
            c.set = with->set;
            c.nset = with->nset;
            c.topology = with->topology;
        }
        const yaml_node_t *root = yamldoc_root(doc);
        if (root->type != YAML_MAPPING_NODE)
            yamldoc_error(doc, root, "a drill file is a mapping that starts with `name: ...`",
                          "the top level must be a mapping, not a %s", yamldoc_type_name(root));
        else
            parse_top(&c, root);
        scenario_captures_check(&c);
        objectives_finish(&s->objectives);
        yamldoc_free(doc);
    }
    bool ok = doc != NULL && diag_count(dl) == before;
    diag_list_free(own);
    if (!ok) {
        scenario_free(s);
        return DRILL_E_INVALID;
    }
    *out = s;
    return 0;
}

int scenario_parse(const char *file, const char *text, size_t len, DiagList *diags,
                   Scenario **out)
{
    return parse_with(file, text, len, NULL, diags, out);
}

int scenario_parse_with(const char *file, const char *text, size_t len, const ScenarioLoad *with,
                        DiagList *diags, Scenario **out)
{
    return parse_with(file, text, len, with, diags, out);
}

int scenario_load_with(const char *path, const ScenarioLoad *with, DiagList *diags,
                       Scenario **out)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = yamldoc_read_file(path, diags, &text, &len);
    if (rc != 0)
        return rc;
    rc = parse_with(path, text, len, with, diags, out);
    free(text);
    return rc;
}

int scenario_load(const char *path, DiagList *diags, Scenario **out)
{
    return scenario_load_with(path, NULL, diags, out);
}

const ScenarioVar *scenario_var(const Scenario *s, const char *name)
{
    for (size_t i = 0; s != NULL && i < s->nvars; i++)
        if (strcmp(s->vars[i].name, name) == 0)
            return &s->vars[i];
    return NULL;
}

void scenario_free(Scenario *s)
{
    if (s == NULL)
        return;
    for (int ph = 0; ph < PHASE_COUNT; ph++) {
        for (size_t i = 0; i < s->nsteps[ph]; i++)
            step_clear(&s->steps[ph][i]);
        free(s->steps[ph]);
    }
    for (size_t i = 0; i < s->nvars; i++) {
        free(s->vars[i].name);
        free(s->vars[i].value);
    }
    free(s->vars);
    for (size_t i = 0; i < s->nroles; i++)
        free(s->roles[i].name);
    free(s->roles);
    free(s->file);
    free(s->source);
    free(s->name);
    free(s->description);
    free(s);
}

bool scenario_is_destructive(const Scenario *s)
{
    for (int ph = 0; ph < PHASE_COUNT; ph++)
        for (size_t i = 0; i < s->nsteps[ph]; i++)
            if (s->steps[ph][i].kind->destructive)
                return true;
    return false;
}
