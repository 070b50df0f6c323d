/*
 * steps_probe.c — the `wait_for` step: polls a probe every `interval` until
 * it holds or the step's deadline passes. Each poll is bounded so a dead
 * node cannot stall the loop past the deadline.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "steps_kinds.h"

#define POLL_CONNECT_MS 1000

typedef struct Probe {
    RunCtx *ctx;
    const PlanStep *ps;
    int64_t deadline;
    uint64_t target_lsn;      /* caught_up: upstream LSN when the wait began */
    char last[256];           /* why the last poll did not hold */
    /* Why a poll that reached the node and got an answer did not hold (the
     * newest such): on a timeout it says more than a last poll that could
     * not even connect because the deadline left it 5 ms ("streams through
     * slot pg2, not standby_slot" beats "connection not established"). */
    char answered[256];
} Probe;

/* Records why a poll did not hold; answered: the node answered (the reason
 * is its state, not a failure to ask). */
static void probe_why(Probe *pr, bool answered, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void probe_why(Probe *pr, bool answered, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pr->last, sizeof pr->last, fmt, ap);
    va_end(ap);
    if (answered)
        snprintf(pr->answered, sizeof pr->answered, "%s", pr->last);
}

static PgConn *probe_connect(Probe *pr, const char *conninfo)
{
    PgConn *c = NULL;
    DrillError err;
    int64_t left = step_remaining_ms(pr->deadline);
    if (pg_connect(conninfo, left < POLL_CONNECT_MS ? left : POLL_CONNECT_MS, &c, &err) < 0) {
        probe_why(pr, false, "%s", err.message);
        return NULL;
    }
    return c;
}

static bool probe_recovery(Probe *pr, bool want)
{
    PgConn *c = probe_connect(pr, pr->ps->node->conninfo);
    bool in_recovery = false;
    DrillError err;
    bool ok = c != NULL && pg_is_in_recovery(c, &in_recovery, &err) == 0;
    pg_close(c);
    if (ok && in_recovery != want)
        probe_why(pr, true, "%s is %s", pr->ps->node->name,
                 in_recovery ? "in recovery" : "not in recovery");
    return ok && in_recovery == want;
}

static const Node *upstream_of(const Plan *p, const Node *n);

/* A standby that diverged from a restored or promoted primary reconnects
 * and shows "streaming" for a moment before it fails on the timeline it
 * cannot follow: streaming counts only on its upstream's timeline (a
 * rollback skipped a needed re-clone on that moment). */
static bool same_timeline(Probe *pr, const Node *n, const PgReceiver *rcv)
{
    const Node *up = upstream_of(pr->ctx->plan, n);
    if (up == NULL || up->conninfo == NULL)
        return true;
    PgConn *c = probe_connect(pr, up->conninfo);
    uint32_t tli = 0;
    DrillError err;
    bool ok = c != NULL && pg_timeline(c, &tli, &err) == 0;
    pg_close(c);
    if (!ok)
        return false;
    if (rcv->received_tli != tli) {
        probe_why(pr, true, "%s streams on timeline %u, its upstream %s is on %u", n->name,
                 rcv->received_tli, up->name, tli);
        return false;
    }
    return true;
}

static bool probe_streaming(Probe *pr)
{
    const Node *n = pr->ps->node;
    PgConn *c = probe_connect(pr, n->conninfo);
    PgReceiver rcv;
    DrillError err;
    bool ok = c != NULL && pg_wal_receiver(c, &rcv, &err) == 0;
    pg_close(c);
    if (!ok)
        return false;
    const char *slot = step_str(pr->ps->step, "slot", n->slot_name);
    if (!rcv.present || strcmp(rcv.status, "streaming") != 0) {
        probe_why(pr, true, "WAL receiver of %s is %s", n->name,
                 rcv.present ? rcv.status : "not running");
        return false;
    }
    if (slot != NULL && strcmp(rcv.slot_name, slot) != 0) {
        probe_why(pr, true, "%s streams through slot \"%s\", not \"%s\"",
                 n->name, rcv.slot_name, slot);
        return false;
    }
    return same_timeline(pr, n, &rcv);
}

static const Node *upstream_of(const Plan *p, const Node *n)
{
    const Node *up = n->upstream != NULL ? topology_find(p->topology, n->upstream) : NULL;
    return up != NULL ? up : topology_find(p->topology, "primary");
}

static bool probe_caught_up(Probe *pr)
{
    DrillError err;
    const Node *n = pr->ps->node;
    if (pr->target_lsn == 0) {
        PgConn *up = probe_connect(pr, upstream_of(pr->ctx->plan, n)->conninfo);
        bool ok = up != NULL && pg_current_lsn(up, &pr->target_lsn, &err) == 0;
        pg_close(up);
        if (!ok)
            return false;
    }
    PgConn *c = probe_connect(pr, n->conninfo);
    uint64_t replay = 0;
    bool ok = c != NULL && pg_replay_lsn(c, &replay, &err) == 0;
    pg_close(c);
    if (ok && replay < pr->target_lsn) {
        char a[32], b[32];
        pg_lsn_format(replay, a, sizeof a);
        pg_lsn_format(pr->target_lsn, b, sizeof b);
        probe_why(pr, true, "%s replayed %s of %s", n->name, a, b);
    }
    return ok && replay >= pr->target_lsn;
}

static bool probe_slot_active(Probe *pr)
{
    const char *slot = step_str(pr->ps->step, "slot", NULL);
    PgConn *c = probe_connect(pr, pr->ps->node->conninfo);
    PgSlot *slots = NULL;
    size_t n = 0;
    DrillError err;
    bool active = false;
    if (c != NULL && pg_slots(c, &slots, &n, &err) == 0)
        for (size_t i = 0; i < n; i++)
            active = active || (slot != NULL && strcmp(slots[i].name, slot) == 0 && slots[i].active);
    free(slots);
    pg_close(c);
    if (c != NULL && !active)
        probe_why(pr, true, "slot \"%s\" is not active", slot ? slot : "");
    return active;
}

static bool probe_sql(Probe *pr)
{
    PgConn *c = probe_connect(pr, pr->ps->node->conninfo);
    char *value = NULL;
    long nrows = 0;
    DrillError err;
    const StepParam *query = step_param(pr->ps->step, "query");
    /* A dry run polls inside a READ ONLY transaction: see pg_user_sql_read_only. */
    int rc = c == NULL ? -1 : user_sql(c, pr->ctx->dry_run, query, &value, &nrows, &err);
    bool ok = rc == 0;
    pg_close(c);
    const char *expect = step_str(pr->ps->step, "expect", "t");
    bool holds = ok && str_eq(value, expect);
    if (ok && !holds)
        probe_why(pr, true, "query returned \"%s\", waiting for \"%s\"",
                 value ? value : "(no row)", expect);
    free(value);
    return holds;
}

static bool probe_barman(Probe *pr, StepOutcome *o, bool streaming_only)
{
    Argv a = {.n = 0};
    cmd_barman(pr->ps->node, "check", NULL, &a);
    StepOutcome tmp;
    memset(&tmp, 0, sizeof tmp);
    buf_init(&tmp.command, 4096);
    buf_init(&tmp.out, STEP_OUTPUT_LIMIT);
    buf_init(&tmp.err, STEP_OUTPUT_LIMIT);
    int rc = step_run_argv(pr->ctx, pr->ps->node, a.v, 0, pr->deadline, &tmp);
    bool holds = streaming_only
                     ? tmp.out.data != NULL && strstr(tmp.out.data, "receive-wal running: OK")
                     : rc == 0;
    if (!holds)
        probe_why(pr, rc >= 0, "%s", tmp.message[0] ? tmp.message : "barman check not OK");
    if (o->command.len == 0)
        buf_appends(&o->command, tmp.command.data ? tmp.command.data : "");
    buf_free(&o->out);
    buf_append(&o->out, tmp.out.data ? tmp.out.data : "", tmp.out.len);
    buf_free(&tmp.command);
    buf_free(&tmp.out);
    buf_free(&tmp.err);
    argv_free(&a);
    return holds;
}

static bool probe_once(Probe *pr, const char *probe, StepOutcome *o)
{
    if (strcmp(probe, "accepting") == 0 || strcmp(probe, "writable") == 0) {
        DrillError err;
        int64_t left = step_remaining_ms(pr->deadline);
        PgReadiness want = probe[0] == 'a' ? PG_READY_ACCEPTING : PG_READY_WRITABLE;
        const Node *n = pr->ps->node;
        if (pg_wait_ready_local(n->conninfo, topology_local_data_directory(n), want, left, 10,
                                &err) == 0)
            return true;
        probe_why(pr, false, "%s", err.message);
        return false;
    }
    if (strcmp(probe, "in_recovery") == 0)
        return probe_recovery(pr, true);
    if (strcmp(probe, "streaming") == 0)
        return probe_streaming(pr);
    if (strcmp(probe, "caught_up") == 0)
        return probe_caught_up(pr);
    if (strcmp(probe, "slot_active") == 0)
        return probe_slot_active(pr);
    if (strcmp(probe, "sql") == 0)
        return probe_sql(pr);
    return probe_barman(pr, o, strcmp(probe, "barman_streaming") == 0);
}

/* The timeout's message: the most informative reason seen (probe_why), and
 * the last poll's when it differs. */
static StepStatus wait_timed_out(const Probe *pr, const char *probe, StepOutcome *o)
{
    long long ms = (long long)pr->ps->step->timeout_ms;
    if (pr->answered[0] == '\0' || strcmp(pr->answered, pr->last) == 0)
        return step_set(o, STEP_TIMEOUT, "%s did not hold within %lldms: %s", probe, ms,
                        pr->last);
    return step_set(o, STEP_TIMEOUT, "%s did not hold within %lldms: %s (last poll: %s)", probe,
                    ms, pr->answered, pr->last);
}

StepStatus step_wait_for(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const char *probe = step_str(ps->step, "probe", "");
    int64_t interval_us = step_duration_ms(ps->step, "interval", 10) * 1000;
    Probe pr = {.ctx = ctx, .ps = ps, .deadline = deadline, .target_lsn = 0};
    snprintf(pr.last, sizeof pr.last, "no answer yet");
    if (o->command.len == 0 && strncmp(probe, "barman", 6) != 0) {
        buf_appendf(&o->command, "wait for %s on %s", probe, ps->node->name);
        if (strcmp(probe, "sql") == 0) {
            buf_appends(&o->command, ": ");
            sql_command_show(&o->command, step_param(ps->step, "query"));
        }
    }
    int64_t start = time_mono_us();
    int polls = 0;
    for (;;) {
        polls++;
        if (probe_once(&pr, probe, o))
            return step_set(o, STEP_OK, "%s held after %lldms (%d polls)", probe,
                            (long long)((time_mono_us() - start) / 1000), polls);
        if (runctx_stopping(ctx))
            return step_set(o, STEP_ERROR, "interrupted while waiting for %s", probe);
        if (time_mono_us() + interval_us >= deadline)
            return wait_timed_out(&pr, probe, o);
        sleep_us(interval_us);
    }
}

/* What each poll asks, for dry runs. */
static char *probe_text(const Plan *p, const PlanStep *ps, const char *probe)
{
    const Node *n = ps->node;
    const Step *s = ps->step;
    if (strcmp(probe, "accepting") == 0)
        return xasprintf("connect to %s", n->name);
    if (strcmp(probe, "writable") == 0 || strcmp(probe, "in_recovery") == 0)
        return xasprintf("SQL on %s: select pg_is_in_recovery(), until %s", n->name,
                         probe[0] == 'w' ? "false" : "true");
    if (strcmp(probe, "streaming") == 0) {
        const char *slot = step_str(s, "slot", n->slot_name);
        return xasprintf("SQL on %s: select status, slot_name from pg_stat_wal_receiver, until "
                         "status = streaming%s%s", n->name, slot ? " through slot " : "",
                         slot ? slot : "");
    }
    if (strcmp(probe, "caught_up") == 0)
        return xasprintf("SQL on %s once: select pg_current_wal_lsn(); then on %s: select "
                         "pg_last_wal_replay_lsn(), until it reaches that LSN",
                         upstream_of(p, n)->name, n->name);
    if (strcmp(probe, "slot_active") == 0)
        return xasprintf("SQL on %s: select ... from pg_replication_slots, until slot %s is "
                         "active", n->name, step_str(s, "slot", ""));
    if (strcmp(probe, "sql") == 0)
        return xasprintf("SQL on %s: %s, until its first value = %s", n->name,
                         step_str(s, "query", ""), step_str(s, "expect", "t"));
    Argv a = {.n = 0};
    cmd_barman(n, "check", NULL, &a);
    char *cmd = describe_argv(NULL, &a);
    char *text = xasprintf("%s, until %s", cmd, strcmp(probe, "barman_streaming") == 0
                           ? "its output has \"receive-wal running: OK\"" : "it exits 0");
    free(cmd);
    return text;
}

char *wait_for_describe(const Plan *p, const PlanStep *ps)
{
    char *what = probe_text(p, ps, step_str(ps->step, "probe", ""));
    char *text = xasprintf("poll `%s` every %lldms: %s", step_str(ps->step, "probe", ""),
                           (long long)step_duration_ms(ps->step, "interval", 10), what);
    free(what);
    return text;
}
