/*
 * steps_divergence.c — the `divergence_check` step: reads a standby's
 * timeline and replay position and its primary's timeline history, applies
 * the divergence rule (divergence.h), reports the finding in one line and
 * records it as facts (PREFIX.fork_lsn, PREFIX.diverged, ...) and a measure
 * (PREFIX_bytes_past_fork) so reports can draw it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "divergence.h"
#include "pg.h"
#include "steps_kinds.h"

typedef struct Observed {
    uint32_t standby_tli, primary_tli;
    uint64_t standby_lsn;
    char *history;                /* primary's timeline history, malloc'd */
} Observed;

/* A promoted "standby" (split brain) has no replay position that matters:
 * what it wrote itself is past the fork too, so its current LSN is used. */
static int read_standby(PgConn *c, Observed *ob, DrillError *err)
{
    bool recovery = false;
    int rc = pg_is_in_recovery(c, &recovery, err);
    if (rc == 0)
        rc = pg_timeline(c, &ob->standby_tli, err);
    if (rc == 0)
        rc = recovery ? pg_replay_lsn(c, &ob->standby_lsn, err)
                      : pg_current_lsn(c, &ob->standby_lsn, err);
    return rc;
}

static int read_primary(PgConn *c, Observed *ob, DrillError *err)
{
    int rc = pg_timeline(c, &ob->primary_tli, err);
    return rc == 0 ? pg_timeline_history(c, ob->primary_tli, &ob->history, err) : rc;
}

static StepStatus observe(const Node *standby, const Node *source, int64_t deadline,
                          Observed *ob, StepOutcome *o)
{
    buf_appendf(&o->command, "on %s: pg_is_in_recovery(), timeline, pg_last_wal_replay_lsn()\n"
                "on %s: timeline of pg_current_wal_lsn(), pg_read_file(pg_wal/TLI.history)",
                standby->name, source->name);
    DrillError err;
    PgConn *c = step_connect(standby, NULL, deadline, o);
    if (c == NULL)
        return o->status;
    int rc = read_standby(c, ob, &err);
    pg_close(c);
    if (rc < 0)
        return step_set(o, STEP_ERROR, "%s", err.message);
    if ((c = step_connect(source, NULL, deadline, o)) == NULL)
        return o->status;
    rc = read_primary(c, ob, &err);
    pg_close(c);
    if (rc < 0)
        return step_set(o, STEP_ERROR, "%s", err.message);
    return STEP_OK;
}

static void fact(RunCtx *ctx, const char *prefix, const char *key, const char *value)
{
    char *k = xasprintf("%s.%s", prefix, key);
    store_fact_add(ctx->store, ctx->run_id, k, value, NULL);
    free(k);
}

static void record(RunCtx *ctx, const char *prefix, const Observed *ob, const Divergence *d)
{
    char text[64];
    snprintf(text, sizeof text, "%" PRIu32, ob->standby_tli);
    fact(ctx, prefix, "standby_timeline", text);
    pg_lsn_format(ob->standby_lsn, text, sizeof text);
    fact(ctx, prefix, "standby_replay_lsn", text);
    snprintf(text, sizeof text, "%" PRIu32, ob->primary_tli);
    fact(ctx, prefix, "primary_timeline", text);
    fact(ctx, prefix, "primary_history", ob->history);
    pg_lsn_format(d->fork_lsn, text, sizeof text);
    fact(ctx, prefix, "fork_lsn", d->fork_known ? text : "none");
    fact(ctx, prefix, "diverged", d->diverged ? "yes" : "no");
    snprintf(text, sizeof text, "%" PRId64, d->bytes_past_fork);
    fact(ctx, prefix, "bytes_past_fork", text);
    fact(ctx, prefix, "finding", d->finding);
    char *key = xasprintf("%s_bytes_past_fork", prefix);
    store_measure_add(ctx->store, ctx->run_id, key, (double)d->bytes_past_fork, "bytes",
                      "standby replay LSN - switch point off its timeline in the primary's "
                      "history", NULL);
    free(key);
}

StepStatus step_divergence_check(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const Node *source = plan_param_node(ctx->plan, ps, "source");
    const char *prefix = step_str(ps->step, "facts", "divergence");
    if (!str_is_pg_name(prefix))
        return step_set(o, STEP_ERROR, "facts: \"%s\" is not lower-case letters, digits, _",
                        prefix);
    Observed ob = {0};
    Divergence d;
    DrillError err;
    if (observe(ps->node, source, deadline, &ob, o) != STEP_OK) {
        free(ob.history);
        return o->status;
    }
    buf_appendf(&o->out, "%s history (timeline %" PRIu32 "):\n%s", source->name, ob.primary_tli,
                ob.history);
    if (divergence_assess(&(DivergenceInput){ob.standby_tli, ob.standby_lsn, ob.primary_tli,
                                             ob.history}, &d, &err) < 0) {
        free(ob.history);
        return step_set(o, STEP_ERROR, "%s's %s", source->name, err.message);
    }
    record(ctx, prefix, &ob, &d);
    free(ob.history);
    buf_appendf(&o->out, "%s\n", d.finding);
    const char *expect = step_str(ps->step, "expect", NULL);
    bool met = expect == NULL || (strcmp(expect, "diverged") == 0) == d.diverged;
    return step_set(o, met ? STEP_OK : STEP_FAILED, "%s%s%s", d.finding,
                    met ? "" : "; expected ", met ? "" : expect);
}

char *divergence_check_describe(const Plan *p, const PlanStep *ps)
{
    return xasprintf("compare %s's timeline and replay LSN with the history of %s's timeline; "
                     "expect %s", ps->node->name, plan_param_node(p, ps, "source")->name,
                     step_str(ps->step, "expect", "either"));
}
