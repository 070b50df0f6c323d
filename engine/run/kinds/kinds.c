/*
 * kinds.c — the run layer's table of step kinds: STEP_KINDS (steps_kinds.h)
 * as an array indexed by StepKindId, a row {kind, name, run, describe} per
 * kind. steps_execute dispatches through it and step_describe_kind (dry
 * runs, skipped steps) describes through it.
 */
#include <string.h>

#include "steps_kinds.h"

#define STEP_KIND_ROW(id, name) {id, #name, step_##name, name##_describe},
static const StepKindImpl kinds[] = {STEP_KINDS(STEP_KIND_ROW)};
#undef STEP_KIND_ROW

_Static_assert(sizeof kinds / sizeof kinds[0] == SK_COUNT,
               "STEP_KINDS has exactly one row per StepKindId");

const StepKindImpl *step_kind_impl(StepKindId id)
{
    return (id >= 0 && id < SK_COUNT) ? &kinds[id] : NULL;
}

int step_kinds_check(DrillError *err)
{
    for (size_t i = 0; i < SK_COUNT; i++) {
        const StepKind *k = stepkind_get((StepKindId)i);
        const StepKindImpl *r = &kinds[i];
        if ((size_t)r->kind != i || k == NULL || strcmp(k->name, r->name) != 0 ||
            r->run == NULL || r->describe == NULL)
            return drill_error_set(err, DRILL_E_INVALID, "row %zu of the step-kind table (%s) "
                                   "is not the catalogue's kind %zu (%s)", i, r->name, i,
                                   k != NULL ? k->name : "none");
    }
    return 0;
}

char *step_describe_kind(const Plan *plan, const PlanStep *ps)
{
    const StepKindImpl *r = step_kind_impl(ps->step->kind->id);
    return r != NULL ? r->describe(plan, ps) : xstrdup("");
}
