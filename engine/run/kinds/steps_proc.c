/*
 * steps_proc.c — process_kill: signal one process of a node by what it is
 * (Barman's WAL receiver, a standby's walreceiver), found on the node
 * itself (pgrep), never by a PID drill remembered: the fault hits what runs
 * now, and a step that found nothing to signal fails instead of passing a
 * fault that did not happen.
 */
#include "steps_kinds.h"

StepStatus step_process_kill(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    Argv a = {.n = 0};
    cmd_process_kill(ps->node, step_str(ps->step, "process", "barman_receive_wal"),
                     step_str(ps->step, "signal", "KILL"), &a);
    step_run_argv(ctx, ps->node, a.v, 0, deadline, o);
    argv_free(&a);
    return o->status;
}

char *process_kill_describe(const Plan *p, const PlanStep *ps)
{
    (void)p;
    Argv a = {.n = 0};
    cmd_process_kill(ps->node, step_str(ps->step, "process", "barman_receive_wal"),
                     step_str(ps->step, "signal", "KILL"), &a);
    return describe_argv(NULL, &a);
}
