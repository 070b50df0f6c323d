/*
 * steps_misc.c — generic step kinds: shell and exec commands, events (and
 * the time between two of them) and sleeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "steps_kinds.h"

/* `capture: NAME` on shell: the command's stdout without trailing newlines
 * (as $( ) would give it). A NUL byte cannot be passed on, so it is refused. */
static void shell_capture(RunCtx *ctx, const char *name, StepOutcome *o)
{
    size_t n = o->out.len;
    DrillError err;
    if (o->out.data != NULL && memchr(o->out.data, '\0', n) != NULL) {
        step_set(o, STEP_FAILED, "cannot capture \"%s\": the output has a NUL byte", name);
        return;
    }
    while (n > 0 && (o->out.data[n - 1] == '\n' || o->out.data[n - 1] == '\r'))
        n--;
    char *value = xstrndup(n > 0 ? o->out.data : "", n);
    if (n == 0)
        step_set(o, STEP_FAILED, "nothing to capture as \"%s\": the command printed nothing",
                 name);
    else if (runctx_capture_set(ctx, name, value, &err) < 0)
        step_set(o, STEP_ERROR, "%s", err.message);
    else
        step_set(o, STEP_OK, "captured %s = %s", name, value);
    free(value);
}

StepStatus step_shell(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    Argv a = {.n = 0};
    DrillError err;
    if (shellenv_argv(ctx->plan->scenario, step_str(ps->step, "command", ""),
                      runctx_capture_lookup, ctx, &a, &err) < 0)
        step_set(o, STEP_ERROR, "%s", err.message);
    else if (step_run_argv(ctx, ps->node, a.v, (int)step_int(ps->step, "expect_exit", 0),
                           deadline, o) == 0 &&
             step_str(ps->step, "capture", NULL) != NULL)
        shell_capture(ctx, step_str(ps->step, "capture", NULL), o);
    argv_free(&a);
    return o->status;
}

/* With its values as written: a ${capture.NAME} shows as such. A command a
 * real run would refuse (too many values) shows what was built: the run
 * says why. */
char *shell_describe(const Plan *p, const PlanStep *ps)
{
    Argv a = {.n = 0};
    shellenv_argv(p->scenario, step_str(ps->step, "command", ""), NULL, NULL, &a, NULL);
    return describe_argv(NULL, &a);
}

StepStatus step_exec(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    step_run_argv(ctx, ps->node, step_list(ps->step, "argv"),
                  (int)step_int(ps->step, "expect_exit", 0), deadline, o);
    return o->status;
}

char *exec_describe(const Plan *p, const PlanStep *ps)
{
    Argv a = {.n = 0};
    argv_add_list(&a, step_list(ps->step, "argv"));
    return describe_argv(NULL, &a);
}

int64_t run_t_ms(const RunCtx *ctx, int64_t mono_us)
{
    return (mono_us - (ctx->fault_mono_us >= 0 ? ctx->fault_mono_us : ctx->t0_mono_us)) / 1000;
}

int64_t event_mono(const RunCtx *ctx, const char *name)
{
    for (size_t i = ctx->nevents; i > 0; i--)
        if (strcmp(ctx->events[i - 1].name, name) == 0)
            return ctx->events[i - 1].mono_us;
    return -1;
}

/* `since: EARLIER` and/or `measure: KEY`: the measure KEY (default NAME_ms)
 * = time between the two events (EARLIER defaults to `fault`), e.g. how long
 * the cluster ran without a working standby (redundancy_ms). */
static StepStatus measure_since(RunCtx *ctx, const char *name, const char *since,
                                const char *key, int64_t now, StepOutcome *o)
{
    int64_t then = event_mono(ctx, since);
    if (then < 0)
        return step_set(o, STEP_FAILED, "event `%s` was not marked before `%s`", since, name);
    char defkey[96], how[192];
    snprintf(defkey, sizeof defkey, "%s_ms", name);
    key = key != NULL ? key : defkey;
    snprintf(how, sizeof how, "event %s -> event %s", since, name);
    DrillError err;
    if (store_measure_add(ctx->store, ctx->run_id, key, (double)((now - then) / 1000), "ms", how,
                          &err) < 0)
        return step_set(o, STEP_ERROR, "cannot record measure: %s", err.message);
    return step_set(o, STEP_OK, "event %s at +%lldms, %s = %lld ms", name,
                    (long long)((now - ctx->t0_mono_us) / 1000), key,
                    (long long)((now - then) / 1000));
}

StepStatus step_event(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const char *name = step_str(ps->step, "event", "");
    const char *since = step_str(ps->step, "since", NULL);
    int64_t now = time_mono_us();
    if (strcmp(name, "fault") == 0)
        ctx->fault_mono_us = now;
    else if (strcmp(name, "recovered") == 0)
        ctx->recovered_mono_us = now;
    buf_appendf(&o->command, "event %s", name);
    DrillError err;
    if (store_event_add(ctx->store, ctx->run_id, name, time_utc_ms(), now - ctx->t0_mono_us,
                        ps->step->name, &err) < 0)
        return step_set(o, STEP_ERROR, "cannot record event: %s", err.message);
    if (ctx->nevents < RUN_EVENTS_MAX) {
        RunEventMark *m = &ctx->events[ctx->nevents++];
        snprintf(m->name, sizeof m->name, "%s", name);
        m->mono_us = now;
    }
    const char *key = step_str(ps->step, "measure", NULL);
    if (since != NULL || key != NULL)
        return measure_since(ctx, name, since != NULL ? since : "fault", key, now, o);
    return step_set(o, STEP_OK, "event %s at +%lldms", name,
                    (long long)((now - ctx->t0_mono_us) / 1000));
}

char *event_describe(const Plan *p, const PlanStep *ps)
{
    const Step *s = ps->step;
    const char *measure = step_str(s, "measure", NULL), *since = step_str(s, "since", NULL);
    if (measure == NULL && since == NULL)
        return xasprintf("mark event `%s`", step_str(s, "event", ""));
    return xasprintf("mark event `%s`; measure %s%s = time since event `%s`",
                     step_str(s, "event", ""), measure ? measure : step_str(s, "event", ""),
                     measure ? "" : "_ms", since ? since : "fault");
}

StepStatus step_sleep(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    int64_t until = time_mono_us() + step_duration_ms(ps->step, "duration", 0) * 1000;
    buf_appendf(&o->command, "sleep %lldms", (long long)step_duration_ms(ps->step, "duration", 0));
    while (time_mono_us() < until) {
        if (runctx_stopping(ctx))
            return step_set(o, STEP_ERROR, "interrupted");
        int64_t left = until - time_mono_us();
        sleep_us(left < 50000 ? left : 50000);
    }
    return step_set(o, STEP_OK, "slept");
}

char *sleep_describe(const Plan *p, const PlanStep *ps)
{
    return xasprintf("sleep %lldms", (long long)step_duration_ms(ps->step, "duration", 0));
}
