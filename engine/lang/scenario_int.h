/*
 * scenario_int.h — what the files of the drill parser share (scenario.h is
 * the public API): the parse context, and the calls between
 *   scenario.c         the document: top-level fields, phases, entry points
 *   scenario_step.c    one step: kind, common fields, typed parameters;
 *                      the step_* accessors
 *   scenario_vars.c    `variables`, `${...}` substitution (shell and SQL
 *                      rules), and the check of `${capture.NAME}` references
 *   scenario_roles.c   `roles:`, node references by role, `${ROLE.FIELD}`
 *   scenario_expand.c  run-time expansion and binding of captures
 * Nothing outside engine/lang/scenario*.c includes it.
 */
#ifndef DRILL_SCENARIO_INT_H
#define DRILL_SCENARIO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "scenario.h"
#include "util.h"
#include "yamldoc.h"

/* A `${capture.NAME}` reference, checked once every step is parsed. */
typedef struct CaptureRef {
    char *name;
    Phase phase;
    size_t index;
    int line, col;
} CaptureRef;

typedef struct Ctx {
    YamlDoc *doc;
    Scenario *s;
    size_t total_steps;
    const Step *cur;     /* step whose parameters are being parsed */
    CaptureRef *refs;
    size_t nrefs, cap_refs;
    const VarSetting *set; /* `--set` values, applied as `variables:` is read */
    size_t nset;
    const Topology *topology; /* ScenarioLoad.topology; may be NULL */
} Ctx;

#define CAPTURE_PREFIX "capture."
#define CAPTURE_PREFIX_LEN 8

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"
#define IDENT_FIRST "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
#define IDENT_REST IDENT_FIRST "0123456789"

/* Is s non-empty, its first character in `first` and every other in `rest`? */
static inline bool scenario_chars_match(const char *s, const char *first, const char *rest)
{
    if (s[0] == '\0' || strchr(first, s[0]) == NULL)
        return false;
    return strspn(s + 1, rest) == strlen(s + 1);
}

/* ---- scenario_step.c ---- */
/* Parses one step; returns false (after reporting) when it is unusable. */
bool scenario_step_parse(Ctx *c, const yaml_node_t *map, Step *st);
/* Frees what a step owns (not the step itself). */
void step_clear(Step *st);

/* ---- scenario_vars.c ---- */
void scenario_vars_parse(Ctx *c, const yaml_node_t *map);
/* Substitutes ${name} in s (the value of scalar v); NULL after reporting.
 * *deferred tells whether ${capture.NAME} references remain for run time. */
char *scenario_subst(Ctx *c, const yaml_node_t *v, const char *s, ParamType type,
                     bool *deferred);
/* Does s hold a `${capture.NAME}` reference (not escaped as `$${`)? */
bool scenario_has_capture_ref(const char *s);
/* Position of the k-th `${` (not `$${`) of scalar v in the source. */
void scenario_ref_pos(Ctx *c, const yaml_node_t *v, size_t k, int *line, int *col);
/* Appends literal text; in a deferred value `${` is written `$${`. */
void scenario_append_literal(Buf *b, const char *s, size_t n, bool deferred);
/* Checks every capture reference against the steps that capture (and frees them). */
void scenario_captures_check(Ctx *c);

/* ---- scenario_roles.c ---- */
void scenario_roles_parse(Ctx *c, const yaml_node_t *map);
/* Checks a node reference (`node:` or a PT_NODE parameter) at line:col:
 * it must be a role or a `roles:` name; false after reporting. */
bool scenario_node_ref_check(Ctx *c, const char *ref, int line, int col);
/* `${ROLE.FIELD}` (n bytes at name, the text after `${`): the variable that
 * holds its value, added to the scenario on first use; NULL after
 * reporting (k: the reference's number in scalar v, for its position). */
const ScenarioVar *scenario_node_attr(Ctx *c, const yaml_node_t *v, size_t k, const char *name,
                                      size_t n);


#endif
