/*
 * scenario_vars.c — `variables:` and `${...}` references in drill files.
 *
 * `${var}` references are substituted from `variables:` when the file is
 * parsed. `${capture.NAME}` references name a value an earlier step captures
 * at run time: they are recorded here and left in the value
 * (StepParam.deferred) for scenario_expand, and once every step is parsed
 * each is checked against the steps that run before it. In a `shell`
 * command (PT_SHELL) no value is ever pasted: both kinds of reference become
 * references to environment variables the step passes (shell_ref), so a
 * value with quotes, `;` or `$(...)` stays data. In SQL (PT_SQL) a captured
 * value is never pasted either: the reference becomes a bound query
 * parameter when the step runs (scenario_bind), and the parser refuses it
 * where a parameter cannot stand (sql_ref).
 *
 * `drill run --set NAME=VALUE` replaces a declared variable's value as
 * `variables:` is read, before any reference is substituted. `${ROLE.FIELD}`
 * (a value of the topology's node, scenario_roles.c) is substituted like a
 * variable.
 *
 * Apart from the step parser because these are the injection-sensitive
 * rules of the language: one file to read when reviewing them.
 */
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "shellscan.h"
#include "sqlscan.h"
#include "util.h"
#include "yamldoc.h"

/* ---- small checks ---------------------------------------------------------- */

static bool is_ident(const char *s) { return scenario_chars_match(s, IDENT_FIRST, IDENT_REST); }

/* ---- variables ------------------------------------------------------------- */

static const char *var_lookup(const Scenario *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->nvars; i++)
        if (strlen(s->vars[i].name) == n && strncmp(s->vars[i].name, name, n) == 0)
            return s->vars[i].value;
    return NULL;
}

/* Position of the k-th `${` (not `$${`) of scalar v in the source; the scalar's
 * own position when it cannot be found (e.g. written with escapes). */
void scenario_ref_pos(Ctx *c, const yaml_node_t *v, size_t k, int *line, int *col)
{
    size_t len;
    const char *text = yamldoc_text(c->doc, &len);
    size_t start = yamldoc_mark_offset(c->doc, v->start_mark);
    size_t end = yamldoc_mark_offset(c->doc, v->end_mark);
    for (size_t i = start; i + 1 < end && i + 1 < len; i++) {
        if (text[i] != '$' || text[i + 1] != '{' || (i > start && text[i - 1] == '$'))
            continue;
        if (k-- == 0) {
            yamldoc_offset_pos(c->doc, i, line, col);
            return;
        }
    }
    *line = yamldoc_line(v);
    *col = yamldoc_col(v);
}

static char *vars_hint(const Scenario *s, const char *name)
{
    if (s->nvars == 0)
        return xstrdup("no variables are defined: add them under `variables:`");
    const char **names = xcalloc(s->nvars + 1, sizeof(char *));
    for (size_t i = 0; i < s->nvars; i++)
        names[i] = s->vars[i].name;
    char *hint = yamldoc_hint_for(name, names, "defined variables");
    free(names);
    return hint;
}

/* Reports a bad reference number k of scalar v; returns false. */
static bool ref_error(Ctx *c, const yaml_node_t *v, size_t k, const char *name, size_t n)
{
    /* Finding the position scans the scalar: skip it once reports are dropped. */
    if (diag_count(yamldoc_diags(c->doc)) >= DIAG_MAX) {
        yamldoc_error(c->doc, v, NULL, "bad variable reference");
        return false;
    }
    int line, col;
    scenario_ref_pos(c, v, k, &line, &col);
    if (name == NULL) {
        yamldoc_error_at(c->doc, line, col, "write ${name}, or $${ for a literal ${",
                         "malformed variable reference");
        return false;
    }
    char *word = xstrndup(name, n);
    char *hint = vars_hint(c->s, word);
    char clip[64];
    yamldoc_error_at(c->doc, line, col, hint, "unknown variable \"%s\"", yamldoc_clip(word, clip));
    free(hint);
    free(word);
    return false;
}

/* Does s hold a `${capture.NAME}` reference (not escaped as `$${`)? */
bool scenario_has_capture_ref(const char *s)
{
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (strncmp(s + i, "$${", 3) == 0)
            i += 2;
        else if (strncmp(s + i, "${" CAPTURE_PREFIX, 2 + CAPTURE_PREFIX_LEN) == 0)
            return true;
    }
    return false;
}

/* Appends literal text. In a deferred value every literal `${` is written
 * `$${`, so that scenario_expand only expands the capture references. */
void scenario_append_literal(Buf *b, const char *s, size_t n, bool deferred)
{
    for (size_t i = 0; i < n; i++) {
        if (deferred && s[i] == '$' && i + 1 < n && s[i + 1] == '{')
            buf_appends(b, "$");
        buf_append(b, s + i, 1);
    }
}

static void capture_ref_add(Ctx *c, const yaml_node_t *v, size_t k, const char *name, size_t n)
{
    if (c->nrefs == c->cap_refs) {
        c->cap_refs = c->cap_refs ? 2 * c->cap_refs : 8;
        c->refs = xrealloc(c->refs, c->cap_refs * sizeof *c->refs);
    }
    CaptureRef *r = &c->refs[c->nrefs++];
    r->name = xstrndup(name, n);
    r->phase = c->cur->phase;
    r->index = c->cur->index;
    scenario_ref_pos(c, v, k, &r->line, &r->col);
}

/* In a `shell` command a reference becomes a reference to the environment
 * variable that carries the value (DRILL_VAR_name, DRILL_CAPTURE_name): the
 * value itself never enters the shell text, whatever it contains. Quoted so
 * that it stays one word; inside "..." the quotes are already there. */
static bool shell_ref(Ctx *c, const yaml_node_t *v, size_t k, ShellCtx where, bool capture,
                      bool node_attr, Buf *b)
{
    static const char *const why[] = {
        [SHELL_LITERAL] = "is inside single quotes, a quoted here-document or after a "
                          "backslash, where the shell expands nothing",
        [SHELL_ARITH] = "is inside $(( )), where the shell would evaluate the value as code",
        [SHELL_PARAM] = "is inside a shell $${...} expansion",
        [SHELL_TOO_DEEP] = "is nested too deeply in quotes and $( )",
    };
    static const char *const fix[] = {
        [SHELL_LITERAL] = "close the single quotes before it: 'text '${name}' more' (drill "
                          "keeps it one word), or use double quotes",
        [SHELL_ARITH] = "check the value and assign it first: n=${name}; then $((n + 1))",
        [SHELL_PARAM] = "assign it to a shell variable first: v=${name}; then $${v:-...}",
        [SHELL_TOO_DEEP] = "assign it to a shell variable at the top level first",
    };
    /* ${ROLE.FIELD}: its DRILL_ROLE_ name follows (scenario_node_attr_env). */
    const char *env = capture ? "DRILL_CAPTURE_" : node_attr ? "" : "DRILL_VAR_";
    if (where == SHELL_CODE || where == SHELL_COMMENT)
        buf_appendf(b, "\"${%s", env);
    else if (where == SHELL_QUOTED)
        buf_appendf(b, "${%s", env);
    else {
        int line, col;
        scenario_ref_pos(c, v, k, &line, &col);
        yamldoc_error_at(c->doc, line, col, fix[where], "this reference %s", why[where]);
        return false;
    }
    return true;
}

/* The quoting context of the value being substituted: shell command text,
 * SQL text, or neither (PT_STRING). */
typedef struct Quoting {
    ParamType type;
    ShellScan sh;
    SqlScan sql;
    size_t first_capture;   /* SQL: number of its first capture reference, or SIZE_MAX */
} Quoting;

static void quoting_feed(Quoting *q, const char *text, size_t n)
{
    if (q->type == PT_SHELL)
        shellscan_feed(&q->sh, text, n);
    else if (q->type == PT_SQL)
        sqlscan_feed(&q->sql, text, n);
}

#define SQL_BIND_HINT "drill binds a captured value as a query parameter ($1), so " \
                      "'${capture.x}' becomes ${capture.x} (cast it if needed: ${capture.x}::int)"

/* In SQL a capture reference stays as written (deferred) and becomes a
 * bound parameter when the step runs: only where SQL code may hold one.
 * next: the char right after the reference. */
static bool sql_ref(Ctx *c, const yaml_node_t *v, size_t k, Quoting *q, char next)
{
    static const char *const why[] = {
        [SQL_GLUED] = "is glued to the word or `$` before it",
        [SQL_LITERAL] = "is inside a '...' string literal",
        [SQL_IDENT] = "is inside a \"...\" quoted identifier",
        [SQL_DOLLAR] = "is inside a $tag$...$tag$ dollar-quoted string",
        [SQL_COMMENT] = "is inside an SQL comment",
        [SQL_TOO_LONG] = "follows a dollar-quote tag too long for drill's SQL scanner",
    };
    static const char *const fix[] = {
        [SQL_GLUED] = "separate it with a space or an operator: drill binds it as a query "
                      "parameter ($1), and x$1 would be one word",
        [SQL_LITERAL] = "write it outside the quotes: " SQL_BIND_HINT,
        [SQL_IDENT] = "a name cannot be bound: use a shell step instead, where psql quotes "
                      "it: echo 'select :\"t\"' | psql -v t=${capture.NAME}",
        [SQL_DOLLAR] = "write it outside the dollar quotes: " SQL_BIND_HINT,
        [SQL_COMMENT] = "remove it from the comment, or write $${capture.NAME} for the text",
        [SQL_TOO_LONG] = "use a shorter tag",
    };
    SqlCtx where = sqlscan_context(&q->sql);
    if (q->first_capture == SIZE_MAX)
        q->first_capture = k;
    if (where == SQL_CODE && sqlscan_glues(next))
        where = SQL_GLUED;
    if (where == SQL_CODE)
        return true;
    int line, col;
    scenario_ref_pos(c, v, k, &line, &col);
    yamldoc_error_at(c->doc, line, col, fix[where], "this reference %s", why[where]);
    return false;
}

/* A query that numbers its own parameters ($1) would collide with the bound
 * captures; reported at its first capture reference (number k). */
static bool sql_positional_conflict(Ctx *c, const yaml_node_t *v, size_t k)
{
    int line, col;
    scenario_ref_pos(c, v, k, &line, &col);
    yamldoc_error_at(c->doc, line, col,
                     "drill numbers the bound captures $1, $2, ... itself: write the other "
                     "values as literals, or capture them too",
                     "this query uses its own positional parameters ($1, ...) and a capture "
                     "reference");
    return false;
}

/* One reference at p (just after `${`), number k of scalar v: appends its
 * value (a capture reference is kept as written; in a shell command, sh is
 * its quoting context and both become environment references; in SQL a
 * capture is checked by sql_ref) and returns the length consumed after
 * `${`; *ok turns false after reporting a bad one. */
static size_t subst_ref(Ctx *c, const yaml_node_t *v, const char *p, size_t k, bool deferred,
                        Quoting *q, Buf *b, bool *ok)
{
    bool capture = strncmp(p, CAPTURE_PREFIX, CAPTURE_PREFIX_LEN) == 0;
    const char *name = capture ? p + CAPTURE_PREFIX_LEN : p;
    size_t n = strspn(name, IDENT_REST);
    bool node_attr = !capture && n > 0 && name[n] == '.';   /* ${ROLE.FIELD} */
    if (node_attr)
        n += 1 + strspn(name + n + 1, IDENT_REST);
    size_t used = (size_t)(name - p) + n + (name[n] == '}');
    const char *val = NULL;
    const ScenarioVar *attr = NULL;
    if (name[n] != '}' || n == 0 || strchr(IDENT_FIRST, name[0]) == NULL) {
        *ok = ref_error(c, v, k, NULL, 0);
    } else if (node_attr && (attr = scenario_node_attr(c, v, k, name, n)) == NULL) {
        *ok = false;
    } else if (!capture && !node_attr && (val = var_lookup(c->s, name, n)) == NULL) {
        *ok = ref_error(c, v, k, name, n);
    } else if (q->type == PT_SHELL) {
        if (capture)
            capture_ref_add(c, v, k, name, n);
        ShellCtx where = shellscan_context(&q->sh);
        if (!shell_ref(c, v, k, where, capture, node_attr, b))
            *ok = false;
        if (node_attr)
            scenario_node_attr_env(b, attr->name);
        else
            buf_append(b, name, n);
        buf_appends(b, where == SHELL_QUOTED ? "}" : "}\"");
        quoting_feed(q, "x", 1);   /* the reference is one ordinary word character */
    } else if (capture) {
        capture_ref_add(c, v, k, name, n);
        if (q->type == PT_SQL && !sql_ref(c, v, k, q, p[used]))
            *ok = false;
        buf_appends(b, "${");
        buf_append(b, p, used);
        quoting_feed(q, " ", 1);   /* a parameter: a token of its own */
    } else {
        val = attr != NULL ? attr->value : val;
        scenario_append_literal(b, val, strlen(val), deferred);
        quoting_feed(q, val, strlen(val));   /* pasted: SQL text like the rest */
    }
    return used;
}

/* Substitutes ${name} in s (the value of scalar v); NULL after reporting.
 * *deferred tells whether ${capture.NAME} references remain for run time.
 * type: PT_SHELL (see shell_ref), PT_SQL (see sql_ref) or PT_STRING. */
char *scenario_subst(Ctx *c, const yaml_node_t *v, const char *s, ParamType type, bool *deferred)
{
    Buf b;
    buf_init(&b, YAMLDOC_MAX_BYTES);
    size_t k = 0;
    bool ok = true;
    Quoting q = {.type = type, .first_capture = SIZE_MAX};
    shellscan_init(&q.sh);
    sqlscan_init(&q.sql);
    *deferred = type != PT_SHELL && scenario_has_capture_ref(s);
    for (size_t i = 0; s[i] != '\0';) {
        size_t from = i;
        if (strncmp(s + i, "$${", 3) == 0) {
            scenario_append_literal(&b, "${", 2, *deferred);
            i += 3;
        } else if (strncmp(s + i, "${", 2) == 0) {
            i += 2 + subst_ref(c, v, s + i + 2, k++, *deferred, &q, &b, &ok);
            continue;
        } else {
            buf_append(&b, s + i, 1);
            i++;
        }
        quoting_feed(&q, i - from == 3 ? "${" : s + from, i - from == 3 ? 2 : 1);
    }
    if (ok && q.first_capture != SIZE_MAX && sqlscan_positional(&q.sql))
        ok = sql_positional_conflict(c, v, q.first_capture);
    if (!ok || b.truncated) {
        if (ok)
            yamldoc_error(c->doc, v, NULL, "value too long after substituting variables");
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

/* `--set` replaces declared values (the last setting of a name wins). */
static void vars_apply_set(Ctx *c)
{
    for (size_t i = 0; i < c->nset; i++)
        for (size_t j = 0; j < c->s->nvars; j++) {
            ScenarioVar *v = &c->s->vars[j];
            if (strcmp(v->name, c->set[i].name) != 0)
                continue;
            free(v->value);
            v->value = xstrdup(c->set[i].value);
            v->set = true;
        }
}

void scenario_vars_parse(Ctx *c, const yaml_node_t *map)
{
    if (!yamldoc_want_type(c->doc, "variables", map, YAML_MAPPING_NODE))
        return;
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    c->s->vars = xcalloc(n ? n : 1, sizeof(ScenarioVar));
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        const yaml_node_t *k = yamldoc_node(c->doc, pr->key);
        const char *name = yamldoc_scalar(k);
        char clip[64];
        if (name == NULL)
            continue;
        if (!is_ident(name)) {
            yamldoc_error(c->doc, k, "start with a letter or _, then letters, digits or _",
                          "invalid variable name \"%s\"", yamldoc_clip(name, clip));
            continue;
        }
        const char *val = yamldoc_want_string(c->doc, name, yamldoc_node(c->doc, pr->value));
        if (val == NULL)
            continue;
        c->s->vars[c->s->nvars++] = (ScenarioVar){xstrdup(name), xstrdup(val), false, false};
    }
    vars_apply_set(c);
}

/* ---- capture references ---------------------------------------------------- */

/* Is step (ph, i) executed before (rph, ri)? Phases run in order. */
static bool runs_before(Phase ph, size_t i, Phase rph, size_t ri)
{
    return ph < rph || (ph == rph && i < ri);
}

/* Checks `capture:` names; returns them in execution order (NULL-terminated). */
static const Step **capture_steps(Ctx *c)
{
    const Step **list = xcalloc(c->total_steps + 1, sizeof *list);
    size_t n = 0;
    for (int ph = 0; ph < PHASE_COUNT; ph++)
        for (size_t i = 0; i < c->s->nsteps[ph]; i++) {
            const StepParam *p = step_param(&c->s->steps[ph][i], "capture");
            char clip[64];
            if (p == NULL || p->value == NULL)
                continue;
            if (is_ident(p->value))
                list[n++] = &c->s->steps[ph][i];
            else
                yamldoc_error_at(c->doc, p->line, p->col,
                                 "start with a letter or _, then letters, digits or _",
                                 "invalid capture name \"%s\"", yamldoc_clip(p->value, clip));
        }
    return list;
}

static void capture_ref_check(Ctx *c, const CaptureRef *r, const Step **caps)
{
    const Step *later = NULL;
    size_t n = 0;
    while (caps[n] != NULL)
        n++;
    const char **names = xcalloc(n + 1, sizeof *names);
    n = 0;
    for (const Step **st = caps; *st != NULL; st++) {
        const char *name = step_str(*st, "capture", "");
        bool before = runs_before((*st)->phase, (*st)->index, r->phase, r->index);
        if (strcmp(name, r->name) == 0 && before) {
            free(names);
            return;
        }
        if (strcmp(name, r->name) == 0)
            later = *st;
        else if (before)
            names[n++] = name;
    }
    names[n] = NULL;
    char clip[64], *hint;
    if (later != NULL)
        hint = xasprintf("steps run in phase order (preflight, fault, recover, verify, rollback, cleanup): "
                         "%s step %zu captures it too late", phase_name(later->phase),
                         later->index + 1);
    else if (n == 0)
        hint = xasprintf("add `capture: %s` to an earlier sql or shell step", r->name);
    else
        hint = yamldoc_hint_for(r->name, names, "values captured earlier");
    yamldoc_error_at(c->doc, r->line, r->col, hint, "\"%s\" is not captured by an earlier step",
                     yamldoc_clip(r->name, clip));
    free(hint);
    free(names);
}

void scenario_captures_check(Ctx *c)
{
    const Step **caps = capture_steps(c);
    for (size_t i = 0; i < c->nrefs; i++) {
        capture_ref_check(c, &c->refs[i], caps);
        free(c->refs[i].name);
    }
    free(caps);
    free(c->refs);
}
