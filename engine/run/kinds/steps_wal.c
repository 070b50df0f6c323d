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
 *
 * `until: refused` writes until the server stops taking WAL — pg_wal's disk
 * full: the PANIC ends every session — and then passes: the refusal is the
 * fault the drill wanted. It is stored as event `wal_refused` and measure
 * wal_refused_ms, with a finding naming the setting that would have kept
 * the primary writing (max_slot_wal_keep_size) and a value for it drawn
 * from what the slot held when the disk was full.
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
    int64_t retained;                /* at the last sample, -1 unknown */
    bool active;
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
    int64_t keep_limit;              /* max_slot_wal_keep_size at the start, -1 unlimited */
    int64_t wal_bytes;               /* pg_wal at the last sample */
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
    /* "refused" is no wal_status: only `until` names it, no sample reaches it. */
    static const char *const order[] = {"reserved", "extended", "unreserved", "lost", "refused"};
    for (int i = 0; i < 5; i++)
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
    t->retained = -1;
    t->active = true;
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
    if (t != NULL) {
        t->retained = s->retained_bytes;
        t->active = s->active;
    }
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
        g->wal_bytes = wal_bytes;
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

#define UNTIL_REFUSED 4

/* The inactive slot that held the most WAL at the last sample: what filled
 * the disk. NULL when no slot was inactive. */
static const SlotTrack *biggest_idle_slot(const WalGen *g)
{
    const SlotTrack *best = NULL;
    for (size_t i = 0; i < g->nslots; i++)
        if (!g->slots[i].active && (best == NULL || g->slots[i].retained > best->retained))
            best = &g->slots[i];
    return best;
}

/* What would have kept the primary writing: max_slot_wal_keep_size below
 * what the slot held when the disk was full (half of it: pg_wal also holds
 * up to max_wal_size beside what slots keep). */
static void refusal_finding(WalGen *g, int64_t utc, int64_t mono)
{
    const SlotTrack *t = biggest_idle_slot(g);
    char wal[32], held[32], advice[32], limit[32], text[768];
    size_format_mb(g->wal_bytes, wal, sizeof wal);
    if (t == NULL || t->retained <= 0) {
        snprintf(text, sizeof text, "pg_wal's filesystem filled (pg_wal %s at the last sample) "
                 "with no inactive slot holding WAL: its filesystem is too small for the WAL "
                 "this server keeps (max_wal_size, wal_keep_size)", wal);
    } else {
        size_format_mb(t->retained, held, sizeof held);
        size_format_mb(t->retained / 2 / 1048576 * 1048576, advice, sizeof advice);
        if (g->keep_limit < 0)
            snprintf(limit, sizeof limit, "-1 (unlimited)");
        else
            size_format_mb(g->keep_limit, limit, sizeof limit);
        snprintf(text, sizeof text, "pg_wal's filesystem filled while inactive slot %s held %s "
                 "of WAL (pg_wal %s) and the server stopped; max_slot_wal_keep_size was %s. "
                 "Set it below what pg_wal's filesystem can hold beside max_wal_size (here "
                 "half of what the slot held, %s, leaves that room): the slot is then "
                 "invalidated (its consumer re-cloned) and the primary keeps writing; alert "
                 "on retained WAL well before that", t->name, held, wal, limit, advice);
    }
    store_event_add(g->ctx->store, g->ctx->run_id, "finding", utc, mono - g->ctx->t0_mono_us,
                    text, NULL);
}

/* The server refused WAL (`until: refused`): the fault happened. */
static void note_refusal(WalGen *g, const DrillError *why)
{
    RunCtx *ctx = g->ctx;
    int64_t utc = time_utc_ms(), mono = time_mono_us(), tms = run_t_ms(ctx, mono);
    char mb[32], detail[512];
    size_format_mb(g->written, mb, sizeof mb);
    snprintf(detail, sizeof detail, "the server refused WAL at t = %lld ms %s, after %s: %s",
             (long long)tms, t_origin(ctx), mb, why->message);
    store_event_add(ctx->store, ctx->run_id, "wal_refused", utc, mono - ctx->t0_mono_us, detail,
                    NULL);
    store_measure_add(ctx->store, ctx->run_id, "wal_refused_ms", (double)tms, "ms",
                      "first write wal_generate could not make, ms after the fault", NULL);
    refusal_finding(g, utc, mono);
    g->until_reached = true;
}

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
    if (rc < 0 && g->until_level == UNTIL_REFUSED && !runctx_stopping(g->ctx)) {
        note_refusal(g, err);
        drill_error_clear(err);
        return 0;
    }
    return rc == 0 && !(g->until_level == UNTIL_REFUSED && g->until_reached) ? take_sample(g, err)
                                                                               : rc;
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
        return step_set(o, STEP_FAILED, "%s after writing %s in %lld ms",
                        g->until_level == UNTIL_REFUSED ? "the server took all the WAL"
                                                        : "no slot reached the wal_status",
                        mb, (long long)(elapsed_us / 1000));
    if (g->until_level == UNTIL_REFUSED)
        return step_set(o, STEP_OK, "wrote %s in %lld ms, %lld samples; then the server refused "
                        "WAL", mb, (long long)(elapsed_us / 1000), (long long)g->samples);
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
    WalGen g = {.ctx = ctx, .ps = ps, .until_level = until ? status_level(until) : -1,
                .keep_limit = -1};
    DrillError err;
    int64_t left = step_remaining_ms(deadline);
    if (pg_connect(ps->node->conninfo, left < WAL_CONNECT_MS ? left : WAL_CONNECT_MS, &g.c,
                   &err) < 0)
        return step_set(o, STEP_ERROR, "%s", err.message);
    if (pg_slot_keep_limit(g.c, &g.keep_limit, &err) < 0) {
        pg_close(g.c);
        return step_set(o, STEP_ERROR, "%s", err.message);
    }
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
