/*
 * steps_wal.c — the `wal_generate` step: slot bloat, measured.
 *
 * While a consumer (standby, Barman's receiver) is stopped, its slot pins
 * WAL on the primary. This step writes WAL at a steady rate and samples, as
 * a time series stored with the run, every slot's retained bytes
 * (pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)), wal_status and
 * safe_wal_size, and the size of pg_wal. Each wal_status transition
 * (reserved -> extended -> unreserved -> lost) becomes an event and a
 * measure timed from the fault; the first crossing of the drill's
 * `slot_retained_alert` objective is recorded the same way, so the report
 * can say when monitoring would have fired and how long before the loss.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "size.h"
#include "steps_kinds.h"

#define WAL_CONNECT_MS 5000
#define WAL_TICK_US 10000            /* pacing granularity */
#define WAL_CHUNK_MAX (4 * 1024 * 1024) /* one emit; bounds a query's duration */
#define WAL_CHUNK_MIN 8192           /* smaller debts wait for the next tick */
#define TRACK_MAX 32                 /* slots followed; more are sampled but not tracked */

typedef struct SlotTrack {
    char name[64];
    char status[16];                 /* last wal_status seen, "" before the first sample */
} SlotTrack;

typedef struct WalGen {
    RunCtx *ctx;
    const PlanStep *ps;
    PgConn *c;
    SlotTrack slots[TRACK_MAX];
    size_t nslots;
    int until_level;                 /* -1: write for the whole duration */
    bool until_reached;
    int64_t samples, written;
} WalGen;

char *wal_generate_describe(const Plan *plan, const PlanStep *ps)
{
    const Step *s = ps->step;
    char rate[32];
    size_format_mb(step_size_bytes(s, "rate", 0), rate, sizeof rate);
    int64_t cp = step_duration_ms(s, "checkpoint_interval", 0);
    char cps[64] = "";
    if (cp > 0)
        snprintf(cps, sizeof cps, ", CHECKPOINT every %lldms", (long long)cp);
    const char *until = step_str(s, "until", NULL);
    return xasprintf("SQL: select pg_logical_emit_message(false, 'drill-wal-generate', "
                     "repeat('x', N)) at %s/s for %lldms%s%s; sample pg_replication_slots and "
                     "pg_ls_waldir() every %lldms%s",
                     rate, (long long)step_duration_ms(s, "duration", 0),
                     until ? " or until a slot is " : "", until ? until : "",
                     (long long)step_duration_ms(s, "sample_interval", 100), cps);
}

/* Order of wal_status values; -1 for "" (no restart_lsn) or unknown words. */
static int status_level(const char *s)
{
    static const char *const order[] = {"reserved", "extended", "unreserved", "lost"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, order[i]) == 0)
            return i;
    return -1;
}

static SlotTrack *track_of(WalGen *g, const char *name)
{
    for (size_t i = 0; i < g->nslots; i++)
        if (strcmp(g->slots[i].name, name) == 0)
            return &g->slots[i];
    if (g->nslots == TRACK_MAX)
        return NULL;
    SlotTrack *t = &g->slots[g->nslots++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->status[0] = '\0';
    return t;
}

static const char *t_origin(const RunCtx *ctx)
{
    return ctx->fault_mono_us >= 0 ? "after the fault" : "after the run began";
}

/* A wal_status change: event slot.NAME.wal_status, measure slot.NAME.STATUS_ms. */
static void note_transition(WalGen *g, SlotTrack *t, const PgSlot *s, int64_t utc,
                            int64_t mono)
{
    RunCtx *ctx = g->ctx;
    int64_t tms = run_t_ms(ctx, mono);
    char key[128], detail[256], retained[32];
    size_format_mb(s->retained_bytes, retained, sizeof retained);
    snprintf(key, sizeof key, "slot.%s.wal_status", s->name);
    snprintf(detail, sizeof detail, "%s (was %s) at t = %lld ms %s; retained %s", s->wal_status,
             t->status[0] ? t->status : "not sampled", (long long)tms, t_origin(ctx),
             s->retained_bytes >= 0 ? retained : "unknown (restart_lsn is NULL)");
    store_event_add(ctx->store, ctx->run_id, key, utc, mono - ctx->t0_mono_us, detail, NULL);
    snprintf(key, sizeof key, "slot.%s.%s_ms", s->name, s->wal_status);
    snprintf(detail, sizeof detail, "first sample with wal_status %s, ms %s", s->wal_status,
             t_origin(ctx));
    if (t->status[0] != '\0')
        store_measure_add(ctx->store, ctx->run_id, key, (double)tms, "ms", detail, NULL);
    if (strcmp(s->wal_status, "lost") == 0 && ctx->slot_lost_t_ms < 0)
        ctx->slot_lost_t_ms = tms;
    snprintf(t->status, sizeof t->status, "%s", s->wal_status);
}

/* First crossing of the drill's slot_retained_alert objective. Events carry
 * the time of the sample that saw them, so they line up with the series. */
static void check_alert(WalGen *g, const PgSlot *s, int64_t utc, int64_t mono)
{
    RunCtx *ctx = g->ctx;
    int64_t threshold = ctx->plan->scenario->objectives.value[OBJ_SLOT_RETAINED_ALERT];
    if (s->retained_bytes > ctx->slot_retained_max)
        ctx->slot_retained_max = s->retained_bytes;
    if (threshold < 0 || ctx->slot_alert_t_ms >= 0 || s->retained_bytes < threshold)
        return;
    ctx->slot_alert_t_ms = run_t_ms(ctx, mono);
    snprintf(ctx->slot_alert_slot, sizeof ctx->slot_alert_slot, "%s", s->name);
    char thr[32], val[32], detail[256];
    size_format_mb(threshold, thr, sizeof thr);
    size_format_mb(s->retained_bytes, val, sizeof val);
    snprintf(detail, sizeof detail, "retained WAL of slot %s crossed %s at t = %lld ms %s (%s)",
             s->name, thr, (long long)ctx->slot_alert_t_ms, t_origin(ctx), val);
    store_event_add(ctx->store, ctx->run_id, "slot_retained_alert", utc, mono - ctx->t0_mono_us,
                    detail, NULL);
    store_measure_add(ctx->store, ctx->run_id, "slot_retained_alert_ms",
                      (double)ctx->slot_alert_t_ms, "ms", detail, NULL);
}

static void series_add(WalGen *g, const char *slot, const char *what, int64_t utc, double v)
{
    char series[128];
    snprintf(series, sizeof series, "slot.%s.%s", slot, what);
    store_sample_add(g->ctx->store, g->ctx->run_id, series, utc, v, NULL);
}

static void sample_slot(WalGen *g, const PgSlot *s, int64_t utc, int64_t mono)
{
    int level = status_level(s->wal_status);
    if (s->retained_bytes >= 0)
        series_add(g, s->name, "retained_bytes", utc, (double)s->retained_bytes);
    if (s->safe_wal_size != INT64_MIN)
        series_add(g, s->name, "safe_wal_size", utc, (double)s->safe_wal_size);
    if (level >= 0)
        series_add(g, s->name, "wal_status", utc, level);
    check_alert(g, s, utc, mono);
    SlotTrack *t = track_of(g, s->name);
    if (t != NULL && level >= 0 && strcmp(t->status, s->wal_status) != 0)
        note_transition(g, t, s, utc, mono);
    if (g->until_level >= 0 && level >= g->until_level)
        g->until_reached = true;
}

static int take_sample(WalGen *g, DrillError *err)
{
    PgSlot *slots = NULL;
    size_t n = 0;
    int64_t wal_bytes = 0;
    int rc = pg_slots(g->c, &slots, &n, err);
    if (rc == 0)
        rc = pg_wal_dir_bytes(g->c, &wal_bytes, err);
    int64_t utc = time_utc_ms(), mono = time_mono_us();
    if (rc == 0) {
        store_sample_add(g->ctx->store, g->ctx->run_id, "pg_wal.bytes", utc, (double)wal_bytes,
                         NULL);
        for (size_t i = 0; i < n; i++)
            sample_slot(g, &slots[i], utc, mono);
        g->samples++;
    }
    free(slots);
    return rc;
}

/* Writes what the rate owes at this moment (at most one chunk). */
static int emit_due(WalGen *g, int64_t rate, int64_t start, DrillError *err)
{
    double owed = (double)rate * (double)(time_mono_us() - start) / 1e6 - (double)g->written;
    if (owed < WAL_CHUNK_MIN)
        return 0;
    int64_t chunk = owed > WAL_CHUNK_MAX ? WAL_CHUNK_MAX : (int64_t)owed;
    uint64_t lsn;
    int rc = pg_wal_emit(g->c, chunk, &lsn, err);
    if (rc == 0)
        g->written += chunk;
    return rc;
}

typedef struct WalPlan {
    int64_t rate, end, sample_us, checkpoint_us, deadline;
} WalPlan;

/* The write / sample / checkpoint loop; stops at the end of the duration,
 * when `until` is reached, on a signal, or at the step's deadline. */
static int wal_loop(WalGen *g, const WalPlan *p, int64_t start, DrillError *err)
{
    int64_t next_sample = start, next_cp = start + p->checkpoint_us;
    int rc = 0;
    while (rc == 0 && !g->until_reached && !runctx_stopping(g->ctx)) {
        int64_t now = time_mono_us();
        if (now >= p->end || now >= p->deadline)
            break;
        rc = emit_due(g, p->rate, start, err);
        bool cp_due = p->checkpoint_us > 0 && time_mono_us() >= next_cp;
        /* A sample right before each checkpoint: a slot that is unreserved is
         * seen as such before the checkpoint removes its WAL (lost). */
        if (rc == 0 && (cp_due || time_mono_us() >= next_sample)) {
            rc = take_sample(g, err);
            next_sample = time_mono_us() + p->sample_us;
        }
        if (rc == 0 && cp_due) {
            rc = pg_checkpoint(g->c, err);
            next_cp += p->checkpoint_us;
        }
        sleep_us(WAL_TICK_US);
    }
    return rc == 0 ? take_sample(g, err) : rc;
}

/* Facts slot.NAME.lost = yes/no: whether the consumer must be re-cloned. */
static void record_outcome(WalGen *g, int64_t elapsed_us)
{
    RunCtx *ctx = g->ctx;
    for (size_t i = 0; i < g->nslots; i++) {
        char key[96];
        snprintf(key, sizeof key, "slot.%s.lost", g->slots[i].name);
        store_fact_add(ctx->store, ctx->run_id, key,
                       strcmp(g->slots[i].status, "lost") == 0 ? "yes" : "no", NULL);
    }
    store_measure_add(ctx->store, ctx->run_id, "wal_generated_bytes", (double)g->written, "bytes",
                      "pg_logical_emit_message payload written by wal_generate", NULL);
    if (elapsed_us > 0)
        store_measure_add(ctx->store, ctx->run_id, "wal_generate_rate",
                          (double)g->written * 1e6 / (double)elapsed_us, "bytes/s",
                          "payload written / time spent writing", NULL);
}

static StepStatus wal_result(WalGen *g, int64_t elapsed_us, bool deadline_hit, StepOutcome *o)
{
    char mb[32];
    size_format_mb(g->written, mb, sizeof mb);
    const char *until = step_str(g->ps->step, "until", NULL);
    if (runctx_stopping(g->ctx))
        return step_set(o, STEP_ERROR, "interrupted after writing %s", mb);
    if (deadline_hit && !g->until_reached)
        return step_set(o, STEP_TIMEOUT, "step timeout after writing %s", mb);
    if (until != NULL && !g->until_reached)
        return step_set(o, STEP_FAILED, "no slot reached wal_status %s after writing %s in %lld ms",
                        until, mb, (long long)(elapsed_us / 1000));
    return step_set(o, STEP_OK, "wrote %s in %lld ms, %lld samples%s%s", mb,
                    (long long)(elapsed_us / 1000), (long long)g->samples,
                    g->until_reached ? "; a slot reached " : "", g->until_reached ? until : "");
}

StepStatus step_wal_generate(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const Step *s = ps->step;
    char *cmd = wal_generate_describe(ctx->plan, ps);
    buf_appends(&o->command, cmd);
    free(cmd);
    const char *until = step_str(s, "until", NULL);
    WalGen g = {.ctx = ctx, .ps = ps, .until_level = until ? status_level(until) : -1};
    DrillError err;
    int64_t left = step_remaining_ms(deadline);
    if (pg_connect(ps->node->conninfo, left < WAL_CONNECT_MS ? left : WAL_CONNECT_MS, &g.c,
                   &err) < 0)
        return step_set(o, STEP_ERROR, "%s", err.message);
    int64_t start = time_mono_us();
    WalPlan p = {.rate = step_size_bytes(s, "rate", 0),
                 .end = start + step_duration_ms(s, "duration", 0) * 1000,
                 .sample_us = step_duration_ms(s, "sample_interval", 100) * 1000,
                 .checkpoint_us = step_duration_ms(s, "checkpoint_interval", 0) * 1000,
                 .deadline = deadline};
    if (p.sample_us <= 0)
        p.sample_us = 100000;   /* "0" would sample on every tick */
    int rc = wal_loop(&g, &p, start, &err);
    int64_t elapsed = time_mono_us() - start;
    pg_close(g.c);
    record_outcome(&g, elapsed);
    if (rc < 0)
        return step_set(o, STEP_ERROR, "%s", err.message);
    return wal_result(&g, elapsed, time_mono_us() >= deadline, o);
}
