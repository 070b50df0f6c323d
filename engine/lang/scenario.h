/*
 * scenario.h — the drill language, parsed into a scenario model.
 *
 * A drill file (drills/NAME.yaml) is loaded with the libyaml document API
 * (yamldoc.h), checked against the step-kind catalogue (stepkind.h), and
 * `${var}` references in string parameters are substituted from `variables`
 * (in a shell command they become environment references: shellscan.h).
 * Every problem goes to a DiagList as FILE:LINE:COL; loading never stops at
 * the first problem.
 */
#ifndef DRILL_SCENARIO_H
#define DRILL_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "objectives.h"
#include "error.h"
#include "stepkind.h"
#include "topology.h"
#include "util.h"

/* More steps than this (all phases together) is refused: keeps the work per
 * file (and the checks against the topology) bounded. */
#define SCENARIO_MAX_STEPS 10000

typedef enum Phase {
    PHASE_PREFLIGHT,
    PHASE_FAULT,
    PHASE_RECOVER,
    PHASE_VERIFY,
    PHASE_ROLLBACK,  /* runs only when a fault or recover step failed after the
                        fault was injected: brings service back by the simplest
                        safe path */
    PHASE_CLEANUP,   /* always runs, even after a failure or a signal */
    PHASE_COUNT
} Phase;

const char *phase_name(Phase p);   /* "preflight", ... */

typedef struct StepParam {
    char *key;
    char *value;     /* scalar value after ${var} substitution; NULL for lists */
    char **list;     /* PT_STRING_LIST: NULL-terminated; NULL for scalars */
    size_t nlist;
    /* Holds `${capture.NAME}` references, expanded when the step runs
     * (scenario_expand); a literal `${` is then kept as `$${`. */
    bool deferred;
    int line, col;
    /* A resolved PT_SQL value (scenario_bind): its captures, in the order of
     * their numbers ($1 = bind[0]); the query text holds only $N. */
    char **bind;         /* values sent beside the query */
    char **bind_name;    /* their capture names, for display */
    size_t nbind;
} StepParam;

typedef struct Step {
    const StepKind *kind;
    Phase phase;
    size_t index;        /* position within its phase */
    char *name;          /* `name:` or generated "KIND" / "KIND on NODE" */
    char *node;          /* node name or role as written; NULL if none */
    int64_t timeout_ms;  /* `timeout:` or the kind's default */
    StepParam *params;
    size_t nparams;
    int line, col;       /* of the step mapping */
    int node_line, node_col; /* of the `node:` value (validate.c points there) */
    /* `unless: {node: ..., probe: ...}`: a wait_for (default timeout 2s); when
     * it holds, the step is not needed and is skipped. NULL: always runs. */
    struct Step *unless;
} Step;

#define UNLESS_DEFAULT_TIMEOUT_MS 2000

typedef struct ScenarioVar {
    char *name;
    char *value;
    bool set;              /* value given by `drill run --set`, not the file's */
    bool node_attr;        /* `${ROLE.FIELD}`: a value of the topology's node
                              (scenario_roles.c), not a declared variable */
} ScenarioVar;

/* `roles: {NAME: ROLE}`: a name of the drill's own for one of the
 * topology's roles (a failover's old_primary / new_primary), bound to the
 * topology's node of that role when the drill is planned. */
typedef struct ScenarioRole {
    char *name;
    NodeRole role;
} ScenarioRole;

#define SCENARIO_MAX_ROLES 32

/* `--set NAME=VALUE`: replaces a declared variable's value before any
 * reference to it is substituted (so it is checked like the file's own). */
typedef struct VarSetting {
    const char *name;
    const char *value;
} VarSetting;

/* What a drill is loaded with besides its file. */
typedef struct ScenarioLoad {
    const VarSetting *set;   /* `--set` values */
    size_t nset;
    /* The topology the drill will run on: `${ROLE.FIELD}` references take
     * its nodes' values. NULL (validating a drill alone): they are checked
     * and get the placeholder text "<ROLE.FIELD>". */
    const Topology *topology;
} ScenarioLoad;

typedef struct Scenario {
    char *file;            /* path as given */
    char *source;          /* file contents as read (stored with the run as evidence) */
    size_t source_len;
    char *name;
    char *description;
    /* As the drill file states them, until the CLI layers the topology's and
     * the run's overrides on top (objectives.h); OBJECTIVE_NONE = not judged. */
    Objectives objectives;
    ScenarioVar *vars;     /* declared, then the `${ROLE.FIELD}` values used */
    size_t nvars;
    ScenarioRole *roles;
    size_t nroles;
    Step *steps[PHASE_COUNT];
    size_t nsteps[PHASE_COUNT];
} Scenario;

/* Loads and checks a drill file. Returns 0 with *out set when the file is valid;
 * otherwise DRILL_E_INVALID with every problem in diags (and *out NULL), or
 * DRILL_E_IO when the file cannot be read (also reported in diags). */
int scenario_load(const char *path, DiagList *diags, Scenario **out);
/* Same, with `--set` values and the topology (ScenarioLoad; NULL = none): a
 * setting whose name the drill does not declare is ignored here (a suite's
 * drills declare different variables); the caller reports names no drill
 * declares (scenario_var). */
int scenario_load_with(const char *path, const ScenarioLoad *with, DiagList *diags,
                       Scenario **out);
/* Same, from a buffer (fuzzing, tests); `file` names it in diagnostics. */
int scenario_parse(const char *file, const char *text, size_t len, DiagList *diags,
                   Scenario **out);
int scenario_parse_with(const char *file, const char *text, size_t len, const ScenarioLoad *with,
                        DiagList *diags, Scenario **out);
void scenario_free(Scenario *s);
/* The drill's variable `name`, or NULL when it declares none by that name. */
const ScenarioVar *scenario_var(const Scenario *s, const char *name);
/* The role a node reference of the drill stands for: "primary", "standby",
 * "backup", or the role a `roles:` name is bound to; NULL when `ref` is
 * neither (the parser has refused such a drill). */
const char *scenario_role_of(const Scenario *s, const char *ref);
/* The environment name a shell command reads a `${ROLE.FIELD}` value from
 * (DRILL_ROLE_<role>_<field>; var_name is "ROLE.FIELD"), appended to b. */
void scenario_node_attr_env(Buf *b, const char *var_name);
/* SHA-256 hex of the source, computed on demand: `drill validate` and
 * `drill list` never need it, and the first digest costs OpenSSL's
 * initialisation (~1.3 ms, a seventh of validate's start-up). */
void scenario_sha256(const Scenario *s, char out[65]);

/* Typed access to a step's parameters. The parser has already checked types,
 * so these cannot fail; they return `dflt` when the key is absent. */
const StepParam *step_param(const Step *s, const char *key);
const char *step_str(const Step *s, const char *key, const char *dflt);
int64_t step_duration_ms(const Step *s, const char *key, int64_t dflt);
int64_t step_int(const Step *s, const char *key, int64_t dflt);
int64_t step_size_bytes(const Step *s, const char *key, int64_t dflt);
bool step_bool(const Step *s, const char *key, bool dflt);
char *const *step_list(const Step *s, const char *key); /* NULL-terminated or NULL */
/* What the step's `node:` must be: its kind's node_need, or the need_by row
 * its parameters match (wait_for's barman probes need a backup node). */
NodeNeed step_node_need(const Step *s);

/* ---- run-time captures ----
 * A step may capture a value (`capture: NAME` on sql, shell); later steps reference
 * it as `${capture.NAME}`. The parser checks that an earlier step (in
 * execution order) captures NAME and leaves the reference in the value. */

/* Value captured as `name`, or NULL when nothing was captured under it. */
typedef const char *(*CaptureLookup)(void *ud, const char *name);

/* Expands a deferred value: `${capture.NAME}` -> lookup(NAME), `$${` -> `${`.
 * With lookup NULL (dry runs) references are kept as written. Fails with
 * DRILL_E_NOTFOUND when a value is missing, DRILL_E_INVALID when too long. */
int scenario_expand(const char *value, CaptureLookup lookup, void *ud, char **out,
                    DrillError *err);
/* The same for SQL (PT_SQL), whose values are never pasted: each distinct
 * `${capture.NAME}` becomes $1, $2, ... in order of first appearance (the
 * same name, the same number), `$${` becomes `${`; out->value gets the
 * query and out->bind / bind_name / nbind the values and names (owned by
 * out, freed with its step). Fails like scenario_expand. */
int scenario_bind(const char *value, CaptureLookup lookup, void *ud, StepParam *out,
                  DrillError *err);
bool step_has_deferred(const Step *s);
/* A copy of s with every deferred parameter expanded (an SQL one bound:
 * scenario_bind; with lookup NULL kept as written); free with
 * step_resolved_free. */
int step_resolve(const Step *s, CaptureLookup lookup, void *ud, Step **out, DrillError *err);
void step_resolved_free(Step *s);

/* Does any step of the scenario have a destructive kind? */
bool scenario_is_destructive(const Scenario *s);

#endif
