/*
 * scenario_expand.c — run-time expansion of `${capture.NAME}` references
 * (scenario.h): scenario_expand pastes captured values into a deferred
 * value, scenario_bind turns them into $1, $2, ... query parameters for SQL,
 * and step_resolve makes a copy of a step with every deferred parameter
 * resolved.
 *
 * Apart from parsing: this runs while a drill runs, after the parser has
 * checked every reference and marked the values that hold one.
 */
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "util.h"
#include "yamldoc.h"

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
    r->unless = NULL;   /* run by the runner from the step itself, never resolved */
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
