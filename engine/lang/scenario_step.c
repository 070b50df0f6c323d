/*
 * scenario_step.c — one step of a drill file: its kind (with a "did you
 * mean" for unknown ones), its common fields (name, node, timeout,
 * capture...), its parameters typed against the step-kind catalogue
 * (stepkind.c: strings, durations, sizes, integers, booleans, lists), and the
 * typed step_* accessors the runner reads them with (and step_node_need,
 * which the planner checks a step's node with).
 *
 * Apart from scenario.c (the document and its phases) and scenario_vars.c
 * (what a `${...}` in a value becomes), which this file calls for every
 * string value.
 */
#include "scenario.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "scenario_int.h"
#include "size.h"
#include "util.h"
#include "yamldoc.h"

#define INT_PARAM_MAX 2147483647

/* ---- steps ----------------------------------------------------------------- */

/* Checks one parameter value against its spec; fills p on success. */
static bool parse_param(Ctx *c, const ParamSpec *spec, const yaml_node_t *v, StepParam *p)
{
    YamlDoc *d = c->doc;
    const char *k = spec->key;
    const char *s = NULL;
    int64_t num;
    bool b;
    switch (spec->type) {
    case PT_STRING:
    case PT_SHELL:
    case PT_SQL:
        return (s = yamldoc_want_string(d, k, v)) != NULL &&
               (p->value = scenario_subst(c, v, s, spec->type, &p->deferred)) != NULL;
    case PT_DURATION:
        s = yamldoc_want_duration(d, k, v, &num) == 0 ? yamldoc_scalar(v) : NULL;
        break;
    case PT_SIZE:
        s = yamldoc_want_size(d, k, v, &num) == 0 ? yamldoc_scalar(v) : NULL;
        break;
    case PT_INT:
        s = yamldoc_want_uint(d, k, v, INT_PARAM_MAX, &num) == 0 ? yamldoc_scalar(v) : NULL;
        break;
    case PT_BOOL:
        s = yamldoc_want_bool(d, k, v, &b) == 0 ? (b ? "true" : "false") : NULL;
        break;
    case PT_ENUM:
        s = yamldoc_want_enum(d, k, v, spec->choices);
        break;
    case PT_NODE:
        s = yamldoc_want_string(d, k, v);
        if (s != NULL && !scenario_node_ref_check(c, s, yamldoc_line(v), yamldoc_col(v)))
            s = NULL;
        break;
    case PT_STRING_LIST:
        return (p->list = yamldoc_want_list(d, k, v, &p->nlist)) != NULL;
    }
    p->value = xstrdup(s);
    return s != NULL;
}

/* A list is deferred as a whole when any item holds a capture reference:
 * every item is then in the escaped form scenario_expand reads. */
static bool subst_list(Ctx *c, const yaml_node_t *seq, StepParam *p)
{
    for (size_t i = 0; i < p->nlist; i++)
        p->deferred = p->deferred || scenario_has_capture_ref(p->list[i]);
    bool ok = true;
    for (size_t i = 0; i < p->nlist; i++) {
        bool deferred;
        char *v = scenario_subst(c, yamldoc_node(c->doc, seq->data.sequence.items.start[i]), p->list[i],
                        PT_STRING, &deferred);
        if (v == NULL) {
            ok = false;
            continue;
        }
        if (p->deferred && !deferred) {   /* re-escape an item without references */
            Buf b;
            buf_init(&b, 2 * strlen(v) + 1);
            scenario_append_literal(&b, v, strlen(v), true);
            free(v);
            v = buf_steal(&b);
        }
        free(p->list[i]);
        p->list[i] = v;
    }
    return ok;
}

static void parse_params(Ctx *c, const yaml_node_t *map, Step *st)
{
    size_t n = 0;
    for (const ParamSpec *spec = st->kind->params; spec->key != NULL; spec++)
        n++;
    st->params = xcalloc(n ? n : 1, sizeof(StepParam));
    for (const ParamSpec *spec = st->kind->params; spec->key != NULL; spec++) {
        const yaml_node_t *v = yamldoc_get(c->doc, map, spec->key);
        if (v == NULL) {
            if (spec->required) {
                char *hint = xasprintf("step kind `%s` needs `%s`: %s", st->kind->name,
                                       spec->key, spec->help);
                yamldoc_missing(c->doc, map, spec->key, "step", hint);
                free(hint);
            }
            continue;
        }
        StepParam p = {.key = xstrdup(spec->key), .line = yamldoc_line(v), .col = yamldoc_col(v)};
        bool ok = parse_param(c, spec, v, &p);
        if (ok && p.list != NULL)
            subst_list(c, v, &p);
        st->params[st->nparams++] = p;
    }
}

/* Keys a step of this kind accepts (common keys + its parameters). */
static const char **step_keys(const StepKind *kind)
{
    size_t n = 1;   /* the NULL */
    for (const ParamSpec *p = kind->params; p->key != NULL; p++)
        n++;
    for (size_t i = 0; stepkind_common_keys[i] != NULL; i++)
        n++;
    const char **keys = xcalloc(n, sizeof(char *));
    size_t i = 0;
    for (; stepkind_common_keys[i] != NULL; i++)
        keys[i] = stepkind_common_keys[i];
    for (const ParamSpec *p = kind->params; p->key != NULL; p++)
        keys[i++] = p->key;
    return keys;
}

static const StepKind *parse_kind(Ctx *c, const yaml_node_t *map)
{
    const yaml_node_t *v = yamldoc_get(c->doc, map, "kind");
    if (v == NULL) {
        yamldoc_missing(c->doc, map, "kind", "step", "every step starts with `- kind: NAME`");
        return NULL;
    }
    const char *name = yamldoc_want_string(c->doc, "kind", v);
    if (name == NULL)
        return NULL;
    const StepKind *kind = stepkind_find(name);
    if (kind == NULL) {
        const char *names[SK_COUNT + 1];
        for (size_t i = 0; i < SK_COUNT; i++)
            names[i] = stepkind_get((StepKindId)i)->name;
        names[SK_COUNT] = NULL;
        char *hint = yamldoc_hint_for(name, names, "step kinds");
        char clip[64];
        yamldoc_error(c->doc, v, hint, "unknown step kind \"%s\"", yamldoc_clip(name, clip));
        free(hint);
    }
    return kind;
}

static void parse_step_common(Ctx *c, const yaml_node_t *map, Step *st)
{
    const yaml_node_t *v;
    const char *s;
    if ((v = yamldoc_get(c->doc, map, "name")) != NULL &&
        (s = yamldoc_want_string(c->doc, "name", v)) != NULL)
        st->name = xstrdup(s);
    if ((v = yamldoc_get(c->doc, map, "node")) != NULL &&
        (s = yamldoc_want_string(c->doc, "node", v)) != NULL) {
        st->node = xstrdup(s);
        st->node_line = yamldoc_line(v);
        st->node_col = yamldoc_col(v);
        scenario_node_ref_check(c, s, st->node_line, st->node_col);
    } else if (v == NULL && st->kind->node_required) {
        char *hint = xasprintf("step kind `%s` runs on a node: give its role (primary, "
                               "standby, backup, or a name under `roles:`)", st->kind->name);
        yamldoc_missing(c->doc, map, "node", "step", hint);
        free(hint);
    }
    if ((v = yamldoc_get(c->doc, map, "timeout")) != NULL &&
        yamldoc_want_duration(c->doc, "timeout", v, &st->timeout_ms) == 0 && st->timeout_ms == 0)
        yamldoc_error(c->doc, v, "leave `timeout` out to use the default", "\"timeout\" must be "
                      "greater than 0");
    if (st->name == NULL)
        st->name = st->node ? xasprintf("%s on %s", st->kind->name, st->node)
                            : xstrdup(st->kind->name);
}

static void parse_unless(Ctx *c, const yaml_node_t *map, Step *st);

/* barman_recover's stage_wal replaces get_wal and stages everything Barman
 * has: it cannot stop at a point in time (that is Barman's PITR, which
 * copies the WAL up to the target itself). */
static void check_stage_wal(Ctx *c, const yaml_node_t *map, const Step *st)
{
    if (st->kind->id != SK_BARMAN_RECOVER || !step_bool(st, "stage_wal", false))
        return;
    static const char *const conflicts[] = {"target_lsn", "target_time", "target_xid",
                                            "target_immediate", NULL};
    const yaml_node_t *v = yamldoc_get(c->doc, map, "stage_wal");
    if (step_bool(st, "get_wal", false))
        yamldoc_error(c->doc, v, "drop `get_wal: true` (stage_wal fetches the WAL itself)",
                      "\"stage_wal\" and \"get_wal\" both fetch the WAL: choose one");
    for (size_t i = 0; conflicts[i] != NULL; i++)
        if (step_param(st, conflicts[i]) != NULL)
            yamldoc_error(c->doc, v, "drop `stage_wal` for a point-in-time recovery (Barman "
                          "copies the WAL up to the target itself)",
                          "\"stage_wal\" restores everything Barman has and cannot stop at "
                          "\"%s\"", conflicts[i]);
}

/* The keys, common fields and parameters of a step whose kind is known. */
static void parse_body(Ctx *c, const yaml_node_t *map, Step *st, const char *what)
{
    st->timeout_ms = st->kind->default_timeout_ms;
    const char **keys = step_keys(st->kind);
    yamldoc_check_keys(c->doc, map, keys, what);
    free(keys);
    parse_step_common(c, map, st);
    c->cur = st;
    parse_params(c, map, st);
}

bool scenario_step_parse(Ctx *c, const yaml_node_t *map, Step *st)
{
    if (map->type != YAML_MAPPING_NODE) {
        yamldoc_error(c->doc, map, "write `- kind: NAME` followed by the step's keys",
                      "a step must be a mapping, not a %s", yamldoc_type_name(map));
        return false;
    }
    st->line = yamldoc_line(map);
    st->col = yamldoc_col(map);
    st->kind = parse_kind(c, map);
    if (st->kind == NULL)
        return false;
    parse_body(c, map, st, "step");
    check_stage_wal(c, map, st);
    parse_unless(c, map, st);
    c->cur = st;
    /* An unnamed event reads better as "event fault" than as "event". */
    const char *event = st->kind->id == SK_EVENT ? step_str(st, "event", NULL) : NULL;
    if (event != NULL && strcmp(st->name, st->kind->name) == 0) {
        free(st->name);
        st->name = xasprintf("event %s", event);
    }
    return true;
}

/* `unless:` is a wait_for without `kind:` (rollback steps use it to do only
 * what is still needed: "restore the primary unless it accepts
 * connections"). Its capture references count as the step's own. */
static void parse_unless(Ctx *c, const yaml_node_t *map, Step *st)
{
    const yaml_node_t *v = yamldoc_get(c->doc, map, "unless");
    if (v == NULL || !yamldoc_want_type(c->doc, "unless", v, YAML_MAPPING_NODE))
        return;
    if (yamldoc_get(c->doc, v, "kind") != NULL || yamldoc_get(c->doc, v, "unless") != NULL) {
        yamldoc_error(c->doc, v, "write the probe's keys only: unless: {node: primary, probe: "
                      "accepting}", "`unless` is a wait_for: no `kind` or `unless` in it");
        return;
    }
    Step *u = xcalloc(1, sizeof *u);
    u->kind = stepkind_get(SK_WAIT_FOR);
    u->phase = st->phase;
    u->index = st->index;
    u->line = yamldoc_line(v);
    u->col = yamldoc_col(v);
    parse_body(c, v, u, "unless");
    if (yamldoc_get(c->doc, v, "timeout") == NULL)
        u->timeout_ms = UNLESS_DEFAULT_TIMEOUT_MS;
    st->unless = u;
}

void step_clear(Step *st)
{
    if (st->unless != NULL) {
        step_clear(st->unless);
        free(st->unless);
    }
    free(st->name);
    free(st->node);
    for (size_t i = 0; i < st->nparams; i++) {
        free(st->params[i].key);
        free(st->params[i].value);
        yamldoc_list_free(st->params[i].list);
        for (size_t j = 0; j < st->params[i].nbind; j++) {
            free(st->params[i].bind[j]);
            free(st->params[i].bind_name[j]);
        }
        free(st->params[i].bind);
        free(st->params[i].bind_name);
    }
    free(st->params);
}

/* ---- accessors ------------------------------------------------------------- */

const StepParam *step_param(const Step *s, const char *key)
{
    for (size_t i = 0; s != NULL && i < s->nparams; i++)
        if (strcmp(s->params[i].key, key) == 0)
            return &s->params[i];
    return NULL;
}

const char *step_str(const Step *s, const char *key, const char *dflt)
{
    const StepParam *p = step_param(s, key);
    return (p != NULL && p->value != NULL) ? p->value : dflt;
}

int64_t step_duration_ms(const Step *s, const char *key, int64_t dflt)
{
    const char *v = step_str(s, key, NULL);
    int64_t ms;
    return (v != NULL && duration_parse_ms(v, &ms) == 0) ? ms : dflt;
}

int64_t step_size_bytes(const Step *s, const char *key, int64_t dflt)
{
    const char *v = step_str(s, key, NULL);
    int64_t b;
    return (v != NULL && size_parse_bytes(v, &b) == 0) ? b : dflt;
}

int64_t step_int(const Step *s, const char *key, int64_t dflt)
{
    const char *v = step_str(s, key, NULL);
    if (v == NULL)
        return dflt;
    errno = 0;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    return (errno == 0 && end != v && *end == '\0') ? n : dflt;
}

bool step_bool(const Step *s, const char *key, bool dflt)
{
    const char *v = step_str(s, key, NULL);
    return v == NULL ? dflt : strcmp(v, "true") == 0;
}

char *const *step_list(const Step *s, const char *key)
{
    const StepParam *p = step_param(s, key);
    return p ? p->list : NULL;
}

NodeNeed step_node_need(const Step *s)
{
    for (const NeedByValue *r = s->kind->need_by; r != NULL && r->key != NULL; r++)
        if (str_eq(step_str(s, r->key, NULL), r->value))
            return r->need;
    return s->kind->node_need;
}
