/*
 * scenario.c — the drill language: YAML document -> Scenario.
 *
 * Every key is checked (unknown keys get a "did you mean"), every value typed
 * against the step-kind catalogue (stepkind.c), and `${var}` references are
 * substituted from `variables:`. `${capture.NAME}` references name a value an
 * earlier step captures at run time: they are checked here and left in the
 * value (StepParam.deferred) for scenario_expand. In a `shell` command
 * (PT_SHELL) no value is ever pasted: both kinds of reference become
 * references to environment variables the step passes (shell_ref), so a
 * value with quotes, `;` or `$(...)` stays data. In SQL (PT_SQL) a captured
 * value is never pasted either: the reference becomes a bound query
 * parameter when the step runs (scenario_bind), and the parser refuses it
 * where a parameter cannot stand (sql_ref). Parsing never stops at the
 * first problem:
 * a field that is wrong is reported and skipped, and the scenario is only
 * returned when no diagnostic was added.
 */
#include "scenario.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "duration.h"
#include "shellscan.h"
#include "size.h"
#include "sqlscan.h"
#include "util.h"
#include "yamldoc.h"

#define INT_PARAM_MAX 2147483647

static const char *const phase_names[PHASE_COUNT] = {"preflight", "fault", "recover", "verify",
                                                     "cleanup"};

static const char *const top_keys[] = {"name",    "description", "objectives", "variables",
                                       "preflight", "fault",     "recover",    "verify",
                                       "cleanup", NULL};

const char *phase_name(Phase p)
{
    return (p >= 0 && p < PHASE_COUNT) ? phase_names[p] : "?";
}

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
} Ctx;

#define CAPTURE_PREFIX "capture."
#define CAPTURE_PREFIX_LEN 8

/* ---- small checks ---------------------------------------------------------- */

static bool matches(const char *s, const char *first, const char *rest)
{
    if (s[0] == '\0' || strchr(first, s[0]) == NULL)
        return false;
    return strspn(s + 1, rest) == strlen(s + 1);
}

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"
#define IDENT_FIRST "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
#define IDENT_REST IDENT_FIRST "0123456789"

static bool is_ident(const char *s) { return matches(s, IDENT_FIRST, IDENT_REST); }

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
static void ref_pos(Ctx *c, const yaml_node_t *v, size_t k, int *line, int *col)
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
    ref_pos(c, v, k, &line, &col);
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
static bool has_capture_ref(const char *s)
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
static void append_literal(Buf *b, const char *s, size_t n, bool deferred)
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
    ref_pos(c, v, k, &r->line, &r->col);
}

/* In a `shell` command a reference becomes a reference to the environment
 * variable that carries the value (DRILL_VAR_name, DRILL_CAPTURE_name): the
 * value itself never enters the shell text, whatever it contains. Quoted so
 * that it stays one word; inside "..." the quotes are already there. */
static bool shell_ref(Ctx *c, const yaml_node_t *v, size_t k, ShellCtx where, bool capture,
                      Buf *b)
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
    const char *env = capture ? "DRILL_CAPTURE_" : "DRILL_VAR_";
    if (where == SHELL_CODE || where == SHELL_COMMENT)
        buf_appendf(b, "\"${%s", env);
    else if (where == SHELL_QUOTED)
        buf_appendf(b, "${%s", env);
    else {
        int line, col;
        ref_pos(c, v, k, &line, &col);
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
    ref_pos(c, v, k, &line, &col);
    yamldoc_error_at(c->doc, line, col, fix[where], "this reference %s", why[where]);
    return false;
}

/* A query that numbers its own parameters ($1) would collide with the bound
 * captures; reported at its first capture reference (number k). */
static bool sql_positional_conflict(Ctx *c, const yaml_node_t *v, size_t k)
{
    int line, col;
    ref_pos(c, v, k, &line, &col);
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
    size_t used = (size_t)(name - p) + n + (name[n] == '}');
    const char *val = NULL;
    if (name[n] != '}' || n == 0 || strchr(IDENT_FIRST, name[0]) == NULL) {
        *ok = ref_error(c, v, k, NULL, 0);
    } else if (!capture && (val = var_lookup(c->s, name, n)) == NULL) {
        *ok = ref_error(c, v, k, name, n);
    } else if (q->type == PT_SHELL) {
        if (capture)
            capture_ref_add(c, v, k, name, n);
        ShellCtx where = shellscan_context(&q->sh);
        if (!shell_ref(c, v, k, where, capture, b))
            *ok = false;
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
        append_literal(b, val, strlen(val), deferred);
        quoting_feed(q, val, strlen(val));   /* pasted: SQL text like the rest */
    }
    return used;
}

/* Substitutes ${name} in s (the value of scalar v); NULL after reporting.
 * *deferred tells whether ${capture.NAME} references remain for run time.
 * type: PT_SHELL (see shell_ref), PT_SQL (see sql_ref) or PT_STRING. */
static char *subst(Ctx *c, const yaml_node_t *v, const char *s, ParamType type, bool *deferred)
{
    Buf b;
    buf_init(&b, YAMLDOC_MAX_BYTES);
    size_t k = 0;
    bool ok = true;
    Quoting q = {.type = type, .first_capture = SIZE_MAX};
    shellscan_init(&q.sh);
    sqlscan_init(&q.sql);
    *deferred = type != PT_SHELL && has_capture_ref(s);
    for (size_t i = 0; s[i] != '\0';) {
        size_t from = i;
        if (strncmp(s + i, "$${", 3) == 0) {
            append_literal(&b, "${", 2, *deferred);
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

static void parse_variables(Ctx *c, const yaml_node_t *map)
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
        c->s->vars[c->s->nvars++] = (ScenarioVar){xstrdup(name), xstrdup(val)};
    }
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
    if (!matches(name, LOWER_DIGITS "-", LOWER_DIGITS "-") || strlen(name) > 64)
        yamldoc_error(c->doc, v, "use lower-case letters, digits and - (at most 64)",
                      "invalid drill name \"%s\"", yamldoc_clip(name, clip));
    else
        c->s->name = xstrdup(name);
}

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
               (p->value = subst(c, v, s, spec->type, &p->deferred)) != NULL;
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
        p->deferred = p->deferred || has_capture_ref(p->list[i]);
    bool ok = true;
    for (size_t i = 0; i < p->nlist; i++) {
        bool deferred;
        char *v = subst(c, yamldoc_node(c->doc, seq->data.sequence.items.start[i]), p->list[i],
                        PT_STRING, &deferred);
        if (v == NULL) {
            ok = false;
            continue;
        }
        if (p->deferred && !deferred) {   /* re-escape an item without references */
            Buf b;
            buf_init(&b, 2 * strlen(v) + 1);
            append_literal(&b, v, strlen(v), true);
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
    size_t n = 0;
    for (const ParamSpec *p = kind->params; p->key != NULL; p++)
        n++;
    const char **keys = xcalloc(n + 5, sizeof(char *));
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
    } else if (v == NULL && st->kind->node_required) {
        char *hint = xasprintf("step kind `%s` runs on a node: give a node name or a role "
                               "(primary, standby, backup)", st->kind->name);
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

/* Parses one step; returns false (after reporting) when it is unusable. */
static bool parse_step(Ctx *c, const yaml_node_t *map, Step *st)
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
    st->timeout_ms = st->kind->default_timeout_ms;
    const char **keys = step_keys(st->kind);
    yamldoc_check_keys(c->doc, map, keys, "step");
    free(keys);
    parse_step_common(c, map, st);
    c->cur = st;
    parse_params(c, map, st);
    /* An unnamed event reads better as "event fault" than as "event". */
    const char *event = st->kind->id == SK_EVENT ? step_str(st, "event", NULL) : NULL;
    if (event != NULL && strcmp(st->name, st->kind->name) == 0) {
        free(st->name);
        st->name = xasprintf("event %s", event);
    }
    return true;
}

static void step_clear(Step *st)
{
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
        if (parse_step(c, yamldoc_node(c->doc, seq->data.sequence.items.start[i]), st)) {
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
    if ((v = yamldoc_get(c->doc, root, "variables")) != NULL)
        parse_variables(c, v);
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
                      "cleanup",
                      "the drill has no steps");
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
        hint = xasprintf("steps run in phase order (preflight, fault, recover, verify, cleanup): "
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

static void check_captures(Ctx *c)
{
    const Step **caps = capture_steps(c);
    for (size_t i = 0; i < c->nrefs; i++) {
        capture_ref_check(c, &c->refs[i], caps);
        free(c->refs[i].name);
    }
    free(caps);
    free(c->refs);
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

int scenario_parse(const char *file, const char *text, size_t len, DiagList *diags,
                   Scenario **out)
{
    *out = NULL;
    DiagList *own = diags ? NULL : diag_list_new();
    DiagList *dl = diags ? diags : own;
    size_t before = diag_count(dl);
    Scenario *s = scenario_new(file, text, text ? len : 0);
    YamlDoc *doc = yamldoc_parse(s->file, s->source, s->source_len, dl);
    if (doc != NULL) {
        Ctx c = {doc, s, 0, NULL, NULL, 0, 0};
        const yaml_node_t *root = yamldoc_root(doc);
        if (root->type != YAML_MAPPING_NODE)
            yamldoc_error(doc, root, "a drill file is a mapping that starts with `name: ...`",
                          "the top level must be a mapping, not a %s", yamldoc_type_name(root));
        else
            parse_top(&c, root);
        check_captures(&c);
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

int scenario_load(const char *path, DiagList *diags, Scenario **out)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = yamldoc_read_file(path, diags, &text, &len);
    if (rc != 0)
        return rc;
    rc = scenario_parse(path, text, len, diags, out);
    free(text);
    return rc;
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
    free(s->file);
    free(s->source);
    free(s->name);
    free(s->description);
    free(s);
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

bool scenario_is_destructive(const Scenario *s)
{
    for (int ph = 0; ph < PHASE_COUNT; ph++)
        for (size_t i = 0; i < s->nsteps[ph]; i++)
            if (s->steps[ph][i].kind->destructive)
                return true;
    return false;
}

/* ---- run-time expansion of captures -------------------------------------- */

/* A captured value may be long (a query's first value), but not unbounded. */
#define EXPANDED_MAX (YAMLDOC_MAX_BYTES + 64 * 1024)

/* The number ($N) of capture `name` in a query being bound: its first
 * appearance gets the next one. */
static size_t bind_number(StepParam *q, const char *name, const char *value)
{
    for (size_t i = 0; i < q->nbind; i++)
        if (strcmp(q->bind_name[i], name) == 0)
            return i + 1;
    q->bind = xrealloc(q->bind, (q->nbind + 1) * sizeof *q->bind);
    q->bind_name = xrealloc(q->bind_name, (q->nbind + 1) * sizeof *q->bind_name);
    q->bind[q->nbind] = xstrdup(value);
    q->bind_name[q->nbind] = xstrdup(name);
    return ++q->nbind;
}

/* Expands the reference at p (`${capture.`...); *used = its length. The
 * parser only leaves well-formed references in a deferred value. With bind
 * set the value is bound (bind_number) and only $N enters the text. */
static int expand_ref(const char *p, CaptureLookup lookup, void *ud, StepParam *bind, Buf *b,
                      size_t *used, DrillError *err)
{
    const char *name = p + 2 + CAPTURE_PREFIX_LEN;
    size_t n = strspn(name, IDENT_REST);
    *used = 2 + CAPTURE_PREFIX_LEN + n + (name[n] == '}');
    char *key = xstrndup(name, n);
    const char *v = lookup != NULL ? lookup(ud, key) : NULL;
    int rc = 0;
    if (lookup == NULL)
        buf_append(b, p, *used);
    else if (v == NULL)
        rc = drill_error_set(err, DRILL_E_NOTFOUND, "no value was captured as \"%s\" (the step "
                             "that captures it did not run or failed)", key);
    else if (bind != NULL)
        buf_appendf(b, "$%zu", bind_number(bind, key, v));
    else
        buf_appends(b, v);
    free(key);
    return rc;
}

static int expand(const char *value, CaptureLookup lookup, void *ud, StepParam *bind,
                  char **out, DrillError *err)
{
    *out = NULL;
    Buf b;
    buf_init(&b, EXPANDED_MAX);
    for (size_t i = 0; value[i] != '\0';) {
        if (strncmp(value + i, "$${", 3) == 0) {
            buf_appends(&b, "${");
            i += 3;
        } else if (strncmp(value + i, "${" CAPTURE_PREFIX, 2 + CAPTURE_PREFIX_LEN) == 0) {
            size_t used = 0;
            int rc = expand_ref(value + i, lookup, ud, bind, &b, &used, err);
            if (rc < 0) {
                buf_free(&b);
                return rc;
            }
            i += used;
        } else {
            buf_append(&b, value + i++, 1);
        }
    }
    if (b.truncated) {
        buf_free(&b);
        return drill_error_set(err, DRILL_E_INVALID, "value too long after expanding captures");
    }
    *out = buf_steal(&b);
    return 0;
}

int scenario_expand(const char *value, CaptureLookup lookup, void *ud, char **out,
                    DrillError *err)
{
    return expand(value, lookup, ud, NULL, out, err);
}

int scenario_bind(const char *value, CaptureLookup lookup, void *ud, StepParam *out,
                  DrillError *err)
{
    return expand(value, lookup, ud, out, &out->value, err);
}

bool step_has_deferred(const Step *s)
{
    for (size_t i = 0; i < s->nparams; i++)
        if (s->params[i].deferred)
            return true;
    return false;
}

/* Copies one parameter, expanding it when deferred (binding it when it is
 * SQL: sql). */
static int param_resolve(const StepParam *p, bool sql, CaptureLookup lookup, void *ud,
                         StepParam *q, DrillError *err)
{
    *q = *p;
    q->key = xstrdup(p->key);
    q->value = NULL;
    q->list = NULL;
    q->deferred = false;
    q->bind = q->bind_name = NULL;
    q->nbind = 0;
    int rc = 0;
    if (p->value != NULL)
        rc = !p->deferred ? ((q->value = xstrdup(p->value)), 0)
             : sql && lookup != NULL ? scenario_bind(p->value, lookup, ud, q, err)
                                     : scenario_expand(p->value, lookup, ud, &q->value, err);
    if (p->list == NULL)
        return rc;
    q->list = xcalloc(p->nlist + 1, sizeof(char *));
    for (size_t i = 0; rc == 0 && i < p->nlist; i++)
        rc = p->deferred ? scenario_expand(p->list[i], lookup, ud, &q->list[i], err)
                         : ((q->list[i] = xstrdup(p->list[i])), 0);
    return rc;
}

int step_resolve(const Step *s, CaptureLookup lookup, void *ud, Step **out, DrillError *err)
{
    Step *r = xcalloc(1, sizeof *r);
    *r = *s;
    r->name = xstrdup(s->name);
    r->node = s->node != NULL ? xstrdup(s->node) : NULL;
    r->params = xcalloc(s->nparams ? s->nparams : 1, sizeof(StepParam));
    r->nparams = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->nparams; i++) {
        const ParamSpec *spec = stepkind_param(s->kind, s->params[i].key);
        rc = param_resolve(&s->params[i], spec != NULL && spec->type == PT_SQL, lookup, ud,
                           &r->params[r->nparams++], err);
    }
    if (rc < 0) {
        step_resolved_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}

void step_resolved_free(Step *s)
{
    if (s == NULL)
        return;
    step_clear(s);
    free(s);
}
