/*
 * steps_misc.c — generic step kinds: shell and exec commands, events and
 * sleeps.
 */
#include <stdlib.h>
#include <string.h>

#include "steps_kinds.h"

STEP_FN(step_shell)
{
    Argv a = {.n = 0};
    argv_add(&a, "/bin/sh");
    argv_add(&a, "-c");
    argv_add(&a, step_str(ps->step, "command", ""));
    step_run_argv(ctx, ps->node, a.v, (int)step_int(ps->step, "expect_exit", 0), deadline, o);
    argv_free(&a);
    return o->status;
}

STEP_FN(step_exec)
{
    step_run_argv(ctx, ps->node, step_list(ps->step, "argv"),
                  (int)step_int(ps->step, "expect_exit", 0), deadline, o);
    return o->status;
}

/* `measure: KEY` on an event: the time since the fault event, e.g. how long
 * the cluster ran without a working standby (redundancy_ms). */
static StepStatus event_measure(RunCtx *ctx, const char *name, const char *key, int64_t now,
                                StepOutcome *o)
{
    if (ctx->fault_mono_us < 0)
        return step_set(o, STEP_FAILED, "cannot measure %s: no `fault` event was marked", key);
    int64_t ms = (now - ctx->fault_mono_us) / 1000;
    char *how = xasprintf("fault event -> event %s", name);
    DrillError err;
    int rc = store_measure_add(ctx->store, ctx->run_id, key, (double)ms, "ms", how, &err);
    free(how);
    if (rc < 0)
        return step_set(o, STEP_ERROR, "cannot record measure: %s", err.message);
    return step_set(o, STEP_OK, "event %s at +%lldms; %s = %lld ms", name,
                    (long long)((now - ctx->t0_mono_us) / 1000), key, (long long)ms);
}

STEP_FN(step_event)
{
    const char *name = step_str(ps->step, "event", "");
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
    const char *key = step_str(ps->step, "measure", NULL);
    if (key != NULL)
        return event_measure(ctx, name, key, now, o);
    return step_set(o, STEP_OK, "event %s at +%lldms", name,
                    (long long)((now - ctx->t0_mono_us) / 1000));
}

STEP_FN(step_sleep)
{
    int64_t until = time_mono_us() + step_duration_ms(ps->step, "duration", 0) * 1000;
    buf_appendf(&o->command, "sleep %lldms", (long long)step_duration_ms(ps->step, "duration", 0));
    while (time_mono_us() < until) {
        if (runner_stop_signal() != 0)
            return step_set(o, STEP_ERROR, "interrupted");
        int64_t left = until - time_mono_us();
        sleep_us(left < 50000 ? left : 50000);
    }
    return step_set(o, STEP_OK, "slept");
}
