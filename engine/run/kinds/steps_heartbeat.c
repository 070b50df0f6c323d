/*
 * steps_heartbeat.c — the heartbeat step kinds. heartbeat_start writes through
 * a conninfo that follows the writable node; heartbeat_verify compares what
 * COMMIT acknowledged with the rows a node actually has, which is how RPO
 * is measured rather than guessed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "measure.h"
#include "pg.h"
#include "steps_kinds.h"

#define HEARTBEAT_CONNECT_MS 5000

/* Every PostgreSQL node of the topology, primary first: after a failover the
 * writer follows whichever node accepts writes. */
static int writable_conninfo(const Topology *t, char **out, DrillError *err)
{
    const char **list = xcalloc(t->nnodes + 1, sizeof *list);
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < t->nnodes; i++) {
            const Node *nd = &t->nodes[i];
            if (nd->conninfo != NULL && (nd->role == ROLE_PRIMARY) == (pass == 0))
                list[n++] = nd->conninfo;
        }
    int rc = pg_conninfo_writable(list, n, out, err);
    free(list);
    return rc;
}

/* The data directories of every PostgreSQL node, when all are on this host
 * (heartbeat_start_gated); 0 otherwise: a remote node's state is only known
 * by asking it. *dirs is malloc'd (the strings are the topology's). */
static size_t local_data_dirs(const Topology *t, const char ***dirs)
{
    *dirs = xcalloc(t->nnodes + 1, sizeof **dirs);
    size_t n = 0;
    for (size_t i = 0; i < t->nnodes; i++) {
        const Node *nd = &t->nodes[i];
        if (nd->conninfo == NULL)
            continue;
        const char *d = topology_local_data_directory(nd);
        if (d == NULL)
            return 0;
        (*dirs)[n++] = d;
    }
    return n;
}

/* The evidence gate: every number the drill reports rests on acknowledged
 * heartbeats from before the fault. A database that refuses them (a trigger,
 * permissions, read-only, a full disk) would otherwise get a wiped primary
 * and an RPO judged on nothing. Waits until the writer has committed for
 * `evidence` at no less than half its nominal rate; STEP_ERROR with the
 * database's own last error if that does not happen within the timeout. */
static StepStatus await_evidence(RunCtx *ctx, const PlanStep *ps, int64_t interval_ms,
                                 int64_t deadline, StepOutcome *o)
{
    int64_t evidence_ms = step_duration_ms(ps->step, "evidence", 1000);
    if (evidence_ms == 0)   /* the author turned the gate off (drill's own tests do) */
        return step_set(o, STEP_OK, "heartbeat writing every %lldms (no evidence gate)",
                        (long long)interval_ms);
    int64_t need = evidence_ms / (interval_ms > 0 ? interval_ms : 1) / 2;
    need = need < 1 ? 1 : need;
    int64_t until = time_mono_us() + step_duration_ms(ps->step, "evidence_timeout", 10000) * 1000;
    HeartbeatStats hs;
    for (;;) {
        heartbeat_stats(ctx->heartbeat, &hs);
        HeartbeatAck first;
        int64_t now = time_mono_us();
        if (hs.acked >= need && heartbeat_first_ack_after(ctx->heartbeat, INT64_MIN, &first) == 0 &&
            now - first.mono_us >= evidence_ms * 1000)
            break;
        if (now >= until || step_remaining_ms(deadline) <= 10 || runctx_stopping(ctx)) {
            heartbeat_stop(ctx->heartbeat);
            return step_set(o, STEP_ERROR,
                            "the heartbeat is not being acknowledged: %lld of %lld commits in %lldms "
                            "(need %lld over %lldms before any fault)%s%s",
                            (long long)hs.acked, (long long)hs.attempts,
                            (long long)(step_duration_ms(ps->step, "evidence_timeout", 10000)),
                            (long long)need, (long long)evidence_ms,
                            hs.last_error[0] ? "; the database said: " : "", hs.last_error);
        }
        sleep_us(10000);
    }
    store_measure_add(ctx->store, ctx->run_id, "heartbeat_evidence_acks", (double)hs.acked, "tx",
                      "heartbeats acknowledged when the evidence gate opened", NULL);
    return step_set(o, STEP_OK, "heartbeat writing every %lldms: %lld acknowledged over %lldms "
                    "before going on", (long long)interval_ms, (long long)hs.acked,
                    (long long)evidence_ms);
}

/* The acknowledged sequence numbers as ranges ("1-189,195-642"), kept as the
 * fact heartbeat_acked_seqs so the RPO can be re-counted from the store and
 * the recovered server alone (tests/bench does). Failed attempts consume a
 * seq, so an outage is one gap: a run has a handful of ranges. Bounded: a
 * truncated list ends in "..." and is useless for re-counting, not wrong. */
#define ACKED_SEQS_LIMIT (64 * 1024)
#define ACKED_RANGES_MAX 8192   /* more would not fit the fact anyway */

/* Runs of consecutive acknowledged seqs, extended as acks arrive. */
typedef struct SeqRanges {
    int64_t (*r)[2];
    size_t n, cap;
    bool cut;   /* more ranges than ACKED_RANGES_MAX */
} SeqRanges;

static void ranges_add(SeqRanges *sr, const HeartbeatAck *acks, size_t nacks)
{
    for (size_t i = 0; i < nacks && !sr->cut; i++) {
        if (sr->n > 0 && acks[i].seq == sr->r[sr->n - 1][1] + 1) {
            sr->r[sr->n - 1][1] = acks[i].seq;
            continue;
        }
        if (sr->n == ACKED_RANGES_MAX) {
            sr->cut = true;
            break;
        }
        if (sr->n == sr->cap) {
            sr->cap = sr->cap ? sr->cap * 2 : 16;
            sr->r = xrealloc(sr->r, sr->cap * sizeof *sr->r);
        }
        sr->r[sr->n][0] = sr->r[sr->n][1] = acks[i].seq;
        sr->n++;
    }
}

static void ranges_store(RunCtx *ctx, const SeqRanges *sr)
{
    Buf b;
    buf_init(&b, ACKED_SEQS_LIMIT + 64);   /* room for the last range and "..." */
    size_t i = 0;
    for (; i < sr->n && b.len < ACKED_SEQS_LIMIT; i++)
        buf_appendf(&b, "%s%lld-%lld", i > 0 ? "," : "", (long long)sr->r[i][0],
                    (long long)sr->r[i][1]);
    if (i < sr->n || sr->cut)
        buf_appends(&b, "...");
    store_fact_add(ctx->store, ctx->run_id, "heartbeat_acked_seqs", b.data, NULL);
    buf_free(&b);
}

static void record_acked_seqs(RunCtx *ctx, const HeartbeatAck *acks, size_t nacks)
{
    SeqRanges sr = {0};
    ranges_add(&sr, acks, nacks);
    ranges_store(ctx, &sr);
    free(sr.r);
}

/* The acknowledged seqs are stored as the run goes, not only when the writer
 * stops: a drill killed outright (SIGKILL, the OOM killer, power) leaves a
 * list at most a second old, against which its heartbeats' presence can
 * still be checked. A thread of its own, so neither the writer (whose
 * timing is the measurement) nor a long step waits for the store. */
#define ACK_KEEP_INTERVAL_MS 1000
struct AckKeeper {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    RunCtx *ctx;
    size_t seen;        /* acks already in ranges */
    SeqRanges ranges;
};

/* Copies only the acks that arrived since the last tick (the writer waits on
 * the list's lock meanwhile), and stores the list only when it grew. */
static void ack_keeper_store(struct AckKeeper *k)
{
    HeartbeatAck *acks = NULL;
    size_t n = 0;
    DrillError err;
    if (heartbeat_acks_range(k->ctx->heartbeat, k->seen, 64 * 1024, &acks, &n, &err) == 0 &&
        n > 0) {
        ranges_add(&k->ranges, acks, n);
        k->seen += n;
        ranges_store(k->ctx, &k->ranges);
    }
    free(acks);
}

static void *ack_keeper_main(void *arg)
{
    struct AckKeeper *k = arg;
    pthread_mutex_lock(&k->mu);
    while (!k->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += ACK_KEEP_INTERVAL_MS / 1000;
        pthread_cond_timedwait(&k->cv, &k->mu, &until);
        if (k->stop)
            break;
        pthread_mutex_unlock(&k->mu);
        ack_keeper_store(k);
        pthread_mutex_lock(&k->mu);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

/* No keeper (a thread that cannot start) costs only the SIGKILL case. */
static void ack_keeper_start(RunCtx *ctx)
{
    struct AckKeeper *k = xcalloc(1, sizeof *k);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, &ca);
    pthread_condattr_destroy(&ca);
    k->ctx = ctx;
    if (pthread_create(&k->thread, NULL, ack_keeper_main, k) != 0) {
        pthread_cond_destroy(&k->cv);
        pthread_mutex_destroy(&k->mu);
        free(k);
        return;
    }
    ctx->ack_keeper = k;
}

static void ack_keeper_stop(RunCtx *ctx)
{
    struct AckKeeper *k = ctx->ack_keeper;
    if (k == NULL)
        return;
    pthread_mutex_lock(&k->mu);
    k->stop = true;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    free(k->ranges.r);
    free(k);
    ctx->ack_keeper = NULL;
}

StepStatus step_heartbeat_start(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    if (ctx->heartbeat != NULL && heartbeat_running(ctx->heartbeat))
        return step_set(o, STEP_OK, "heartbeat already running");
    ack_keeper_stop(ctx);   /* it reads the writer freed here */
    heartbeat_free(ctx->heartbeat);
    ctx->heartbeat = NULL;
    char *conninfo = NULL;
    DrillError err;
    if (writable_conninfo(ctx->plan->topology, &conninfo, &err) < 0)
        return step_set(o, STEP_ERROR, "%s", err.message);
    int64_t interval = step_duration_ms(ps->step, "interval", 10);
    buf_appendf(&o->command, "heartbeat every %lldms via \"%s\"", (long long)interval, conninfo);
    const char **dirs = NULL;
    size_t ndirs = local_data_dirs(ctx->plan->topology, &dirs);
    int rc = heartbeat_start_gated(conninfo, dirs, ndirs, ctx->run_uuid, interval,
                             step_remaining_ms(deadline) < HEARTBEAT_CONNECT_MS
                                 ? step_remaining_ms(deadline)
                                 : HEARTBEAT_CONNECT_MS,
                             &ctx->heartbeat, &err);
    free(dirs);
    store_fact_add(ctx->store, ctx->run_id, "heartbeat_conninfo", conninfo, NULL);
    store_fact_add(ctx->store, ctx->run_id, "heartbeat_reconnect_gate",
                   ndirs > 0 ? "postmaster.pid (every node is local): no connection while "
                               "no node is ready"
                             : "none (a node is remote or has no data_directory)", NULL);
    free(conninfo);
    if (rc < 0)
        return step_set(o, STEP_ERROR, "heartbeat could not start: %s", err.message);
    ack_keeper_start(ctx);
    return await_evidence(ctx, ps, interval, deadline, o);
}

char *heartbeat_start_describe(const Plan *p, const PlanStep *ps)
{
    char *conninfo = NULL;
    if (writable_conninfo(p->topology, &conninfo, NULL) < 0)
        conninfo = xstrdup("(no PostgreSQL node)");
    char *text = xasprintf("SQL on the writable node of \"%s\": create table if not exists "
                           "drill_heartbeat (run_uuid, seq, client_ts, server_ts, lsn); then insert "
                           "one row every %lldms, each in its own transaction", conninfo,
                           (long long)step_duration_ms(ps->step, "interval", 10));
    free(conninfo);
    return text;
}

/* What was acknowledged is evidence even when no verify step runs (an
 * interrupted or rolled-back run): the list can be checked afterwards. */
/* The heartbeat's commits per bin of time, as a sampled series (the HTML
 * report charts every series): the outage is the run of empty bins. 100 ms
 * bins, wider for long runs so a run stores at most HB_SERIES_MAX samples,
 * all in one transaction. */
#define HB_SERIES_MAX 3000
static void record_commit_series(RunCtx *ctx, const HeartbeatAck *acks, size_t nacks)
{
    if (nacks == 0 || ctx->heartbeat_series_stored)
        return;
    ctx->heartbeat_series_stored = true;
    int64_t t0 = acks[0].client_utc_us / 1000, t1 = acks[nacks - 1].client_utc_us / 1000;
    int64_t bin = 100;
    while ((t1 - t0) / bin + 1 > HB_SERIES_MAX)
        bin *= 2;
    size_t nbins = (size_t)((t1 - t0) / bin + 1);
    int64_t *count = xcalloc(nbins, sizeof *count);
    for (size_t i = 0; i < nacks; i++) {
        int64_t k = (acks[i].client_utc_us / 1000 - t0) / bin;
        if (k >= 0 && (size_t)k < nbins)
            count[k]++;
    }
    char series[64];
    snprintf(series, sizeof series, "heartbeat commits per %lld ms", (long long)bin);
    DrillError err;
    int rc = store_tx_begin(ctx->store, &err);
    for (size_t k = 0; rc == 0 && k < nbins; k++)
        rc = store_sample_add(ctx->store, ctx->run_id, series, t0 + (int64_t)k * bin,
                              (double)count[k], &err);
    store_tx_end(ctx->store, rc, &err);
    free(count);
}

static int stop_and_record(RunCtx *ctx, DrillError *err)
{
    ack_keeper_stop(ctx);
    heartbeat_stop(ctx->heartbeat);
    HeartbeatAck *acks = NULL;
    size_t nacks = 0;
    int rc = heartbeat_acks(ctx->heartbeat, &acks, &nacks, err);
    if (rc == 0) {
        record_acked_seqs(ctx, acks, nacks);
        record_commit_series(ctx, acks, nacks);
    }
    free(acks);
    return rc;
}

void runctx_heartbeat_finish(RunCtx *ctx)
{
    DrillError err;
    if (ctx->heartbeat != NULL && stop_and_record(ctx, &err) < 0)
        fprintf(stderr, "drill: the acknowledged heartbeats cannot be listed: %s\n", err.message);
}

StepStatus step_heartbeat_stop(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    buf_appends(&o->command, "stop heartbeat");
    if (ctx->heartbeat == NULL)
        return step_set(o, STEP_OK, "heartbeat was not running");
    DrillError err;
    if (stop_and_record(ctx, &err) < 0)
        buf_appendf(&o->err, "the acknowledged heartbeats cannot be listed: %s\n", err.message);
    HeartbeatStats hs;
    heartbeat_stats(ctx->heartbeat, &hs);
    return step_set(o, STEP_OK, "heartbeat stopped: %lld acknowledged, %lld failed (%lld of them "
                    "without a connection: postmaster.pid said no node was ready), %lld "
                    "reconnects", (long long)hs.acked, (long long)hs.failed,
                    (long long)hs.gated, (long long)hs.reconnects);
}

char *heartbeat_stop_describe(const Plan *p, const PlanStep *ps)
{
    return xstrdup("stop the heartbeat writer (no SQL)");
}

static void record_rpo(RunCtx *ctx, const RpoResult *r, StepOutcome *o)
{
    ctx->rpo_measured = true;
    ctx->rpo_missing = r->missing;
    ctx->rpo_ms = r->lost_ms;
    ctx->rpo_wal_bytes = r->lost_wal_bytes;
    const char *how = "acknowledged heartbeats missing on the recovered primary";
    store_measure_add(ctx->store, ctx->run_id, "rpo_transactions", (double)r->missing, "tx", how, NULL);
    store_measure_add(ctx->store, ctx->run_id, "rpo_ms", (double)r->lost_ms, "ms",
                      "ack time of the newest missing heartbeat - server time of the newest "
                      "surviving one", NULL);
    store_measure_add(ctx->store, ctx->run_id, "rpo_wal_bytes", (double)r->lost_wal_bytes, "bytes",
                      "WAL between the newest surviving and the newest missing heartbeat", NULL);
    store_measure_add(ctx->store, ctx->run_id, "heartbeat_acked", (double)r->acked, "tx",
                      "heartbeats whose COMMIT returned", NULL);
    HeartbeatStats hs;
    heartbeat_stats(ctx->heartbeat, &hs);
    store_measure_add(ctx->store, ctx->run_id, "heartbeat_acked_sync_wait_cancelled",
                      (double)hs.acked_sync_wait_cancelled, "tx",
                      "of those, COMMITs that returned with a WARNING because their wait for the "
                      "synchronous standby was cancelled: committed locally, maybe not replicated; "
                      "counted for RPO like every acknowledged write", NULL);
    if (hs.acks_spilled > 0) {
        store_measure_add(ctx->store, ctx->run_id, "heartbeat_acks_spilled",
                          (double)hs.acks_spilled, "tx",
                          "acks moved from the writer's memory buffer to its spill file: all "
                          "judged for RPO", NULL);
        buf_appendf(&o->out, "acknowledged heartbeats read back from the spill file: %lld\n",
                    (long long)hs.acks_spilled);
    }
    if (hs.acked_sync_wait_cancelled > 0) {
        store_fact_add(ctx->store, ctx->run_id, "heartbeat_last_warning", hs.last_warning, NULL);
        buf_appendf(&o->out, "acknowledged after a cancelled synchronous wait: %lld (%s)\n",
                    (long long)hs.acked_sync_wait_cancelled, hs.last_warning);
    }
    buf_appendf(&o->out, "acknowledged: %lld, missing: %lld, lost: %lldms, %lld WAL bytes\n",
                (long long)r->acked, (long long)r->missing, (long long)r->lost_ms,
                (long long)r->lost_wal_bytes);
    if (r->missing > 0)
        buf_appendf(&o->out, "newest missing heartbeat: seq %lld; newest surviving before it: seq %lld\n",
                    (long long)r->newest_missing_seq, (long long)r->newest_surviving_seq);
}

/* Requires identical heartbeat rows (count, max, hash) on two nodes. */
static StepStatus compare_digest(RunCtx *ctx, PgConn *c, const Node *other, int64_t deadline,
                                 StepOutcome *o)
{
    PgConn *oc = NULL;
    DrillError err;
    PgHeartbeatDigest a, b;
    if (pg_connect(other->conninfo, step_remaining_ms(deadline), &oc, &err) < 0 ||
        pg_heartbeat_digest(c, ctx->run_uuid, &a, &err) < 0 ||
        pg_heartbeat_digest(oc, ctx->run_uuid, &b, &err) < 0) {
        pg_close(oc);
        return step_set(o, STEP_ERROR, "cannot compare heartbeats: %s", err.message);
    }
    pg_close(oc);
    buf_appendf(&o->out, "this node: %lld rows, max seq %lld, md5 %s\n%s: %lld rows, max seq %lld, md5 %s\n",
                (long long)a.count, (long long)a.max_seq, a.md5, other->name, (long long)b.count,
                (long long)b.max_seq, b.md5);
    if (a.count != b.count || a.max_seq != b.max_seq || strcmp(a.md5, b.md5) != 0)
        return step_set(o, STEP_FAILED, "heartbeat rows differ from %s (%lld vs %lld rows)",
                        other->name, (long long)a.count, (long long)b.count);
    return STEP_OK;
}

#define PITR_SAMPLES_MAX 10000   /* discarded heartbeats drawn one by one, up to this many */

/* Records what a point-in-time recovery discarded by design: a count, the
 * time span and every discarded heartbeat as a sample (seq at its ack time),
 * so reports can draw them. */
static void record_discarded(RunCtx *ctx, const HeartbeatAck *acks, size_t first, size_t end,
                             StepOutcome *o)
{
    int64_t span_ms = 0;
    if (end > first) {
        int64_t from = first > 0 ? acks[first - 1].server_ts_us : acks[first].client_utc_us;
        span_ms = (acks[end - 1].client_utc_us - from) / 1000;
    }
    store_measure_add(ctx->store, ctx->run_id, "pitr_discarded_transactions",
                      (double)(end - first), "tx",
                      "acknowledged heartbeats committed at or after the recovery target and "
                      "before the restore: gone by design", NULL);
    store_measure_add(ctx->store, ctx->run_id, "pitr_discarded_ms", (double)span_ms, "ms",
                      "ack time of the newest discarded heartbeat - server time of the newest "
                      "one kept before the target", NULL);
    for (size_t i = first; i < end && i - first < PITR_SAMPLES_MAX; i++)
        store_sample_add(ctx->store, ctx->run_id, "pitr_discarded_seq",
                         acks[i].client_utc_us / 1000, (double)acks[i].seq, NULL);
    buf_appendf(&o->out, "discarded by the point-in-time recovery: %zu heartbeat(s)", end - first);
    if (end > first)
        buf_appendf(&o->out, ", seq %lld..%lld, %lldms", (long long)acks[first].seq,
                    (long long)acks[end - 1].seq, (long long)span_ms);
    buf_appends(&o->out, "\n");
}

/* Splits the acks at a PITR target: removes the discarded ones from acks,
 * keeping those that must survive, and records the discarded ones when the
 * step measures. Returns -1 on a malformed LSN. */
static int pitr_split(RunCtx *ctx, const char *target, bool record, HeartbeatAck *acks,
                      size_t *nacks, const PgHeartbeatRow *rows, size_t nrows, StepOutcome *o)
{
    uint64_t lsn;
    if (pg_lsn_parse(target, &lsn) < 0)
        return -1;
    size_t first, end;
    measure_pitr_split(acks, *nacks, rows, nrows, lsn, &first, &end);
    if (record)
        record_discarded(ctx, acks, first, end, o);
    memmove(acks + first, acks + end, (*nacks - end) * sizeof *acks);
    *nacks -= end - first;
    return 0;
}

/* No verdict without evidence: "0 of 0 present" proves nothing, an RPO
 * needs acks from before the fault, and a list the writer could not keep
 * whole would check only the oldest acks (the loss is at the newest). */
static StepStatus verify_has_evidence(RunCtx *ctx, StepOutcome *o)
{
    HeartbeatStats hs;
    heartbeat_stats(ctx->heartbeat, &hs);
    HeartbeatAck first;
    bool any = heartbeat_first_ack_after(ctx->heartbeat, INT64_MIN, &first) == 0;
    if (!any)
        return step_set(o, STEP_FAILED, "no heartbeat was acknowledged in this run: nothing to "
                        "verify (%lld attempts failed%s%s)", (long long)hs.failed,
                        hs.last_error[0] ? "; last error: " : "", hs.last_error);
    if (ctx->fault_mono_us >= 0 && first.mono_us >= ctx->fault_mono_us)
        return step_set(o, STEP_FAILED, "no heartbeat was acknowledged before the fault: RPO "
                        "cannot be measured");
    if (hs.acks_dropped > 0)
        return step_set(o, STEP_ERROR, "%lld acknowledged heartbeats could not be kept (memory "
                        "buffer full and the spill file full at %u or not writable): RPO is not "
                        "judged on an incomplete list; use a longer `interval`",
                        (long long)hs.acks_dropped, HEARTBEAT_SPILL_MAX);
    return STEP_OK;
}

/* `fenced: NODE`: the heartbeats NODE acknowledged after event `since` —
 * writes a client was told were committed on a server that no longer was the
 * primary. Zero proves the fencing; any is measured and fails the step. */
static StepStatus count_split_brain(RunCtx *ctx, const PlanStep *ps, const HeartbeatAck *acks,
                                    size_t nacks, StepOutcome *o)
{
    const Node *fenced = plan_param_node(ctx->plan, ps, "fenced");
    if (fenced == NULL)
        return STEP_OK;
    const char *since = step_str(ps->step, "since", "promoted");
    int64_t from = event_mono(ctx, since);
    if (from < 0)
        return step_set(o, STEP_ERROR, "event `%s` was not marked: split-brain writes on %s "
                        "cannot be counted", since, fenced->name);
    char endpoint[128];
    pg_conninfo_endpoint(fenced->conninfo, endpoint, sizeof endpoint);
    int idx = heartbeat_endpoint_index(ctx->heartbeat, endpoint);
    int64_t n = 0, last = -1;
    for (size_t i = 0; idx >= 0 && i < nacks; i++)
        if (acks[i].endpoint == idx && acks[i].mono_us > from) {
            n++;
            last = acks[i].seq;
        }
    char how[256];
    snprintf(how, sizeof how, "heartbeats acknowledged by %s (%s) after event %s", fenced->name,
             endpoint, since);
    store_measure_add(ctx->store, ctx->run_id, "split_brain_writes", (double)n, "transactions",
                      how, NULL);
    buf_appendf(&o->out, "split-brain writes: %lld %s%s\n", (long long)n, how,
                idx < 0 ? " (it acknowledged none in the whole run)" : "");
    if (n > 0)
        return step_set(o, STEP_FAILED, "SPLIT BRAIN: %s acknowledged %lld heartbeat(s) after "
                        "event %s (the last: seq %lld): it was not fenced", fenced->name,
                        (long long)n, since, (long long)last);
    return STEP_OK;
}

StepStatus step_heartbeat_verify(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const Node *n = ps->node;
    buf_appendf(&o->command, "compare acknowledged heartbeats of run %s with %s", ctx->run_uuid,
                n->name);
    if (ctx->heartbeat == NULL)
        return step_set(o, STEP_ERROR, "no heartbeat was started in this drill");
    StepStatus gate = verify_has_evidence(ctx, o);
    if (gate != STEP_OK)
        return gate;
    HeartbeatAck *acks = NULL;
    size_t nacks = 0;
    DrillError err;
    if (heartbeat_acks(ctx->heartbeat, &acks, &nacks, &err) < 0)
        return step_set(o, STEP_ERROR, "%s", err.message);
    PgConn *c = NULL;
    PgHeartbeatRow *rows = NULL;
    size_t nrows = 0;
    if (pg_connect(n->conninfo, step_remaining_ms(deadline), &c, &err) < 0 ||
        pg_heartbeat_rows(c, ctx->run_uuid, &rows, &nrows, &err) < 0) {
        pg_close(c);
        free(acks);
        return step_set(o, STEP_ERROR, "cannot read heartbeats on %s: %s", n->name, err.message);
    }
    bool measure = step_bool(ps->step, "measure_rpo", n->role == ROLE_PRIMARY);
    const char *target = step_str(ps->step, "target_lsn", NULL);
    size_t total = nacks;
    if (target != NULL && pitr_split(ctx, target, measure, acks, &nacks, rows, nrows, o) < 0) {
        pg_close(c);
        free(acks);
        free(rows);
        return step_set(o, STEP_ERROR, "target_lsn \"%s\" is not an LSN (X/Y, hexadecimal)",
                        target);
    }
    RpoResult r;
    measure_rpo(acks, nacks, rows, nrows, &r);
    r.acked = (int64_t)total;
    free(rows);
    if (measure) {
        record_rpo(ctx, &r, o);
        record_acked_seqs(ctx, acks, nacks);
    }
    StepStatus split = count_split_brain(ctx, ps, acks, nacks, o);
    free(acks);
    if (split != STEP_OK) {
        pg_close(c);
        return o->status;
    }
    const Node *other = plan_param_node(ctx->plan, ps, "compare_with");
    if (other != NULL && compare_digest(ctx, c, other, deadline, o) != STEP_OK) {
        pg_close(c);
        return o->status;
    }
    pg_close(c);
    /* With compare_with, this node must hold exactly the other's rows: a
     * loss both share (a re-clone of a restored primary) is the other
     * node's RPO, judged by the objective there, not a second failure. */
    if (!measure && r.missing > 0 && other == NULL)
        return step_set(o, STEP_FAILED, "%lld of %lld acknowledged heartbeats are missing on %s",
                        (long long)r.missing, (long long)nacks, n->name);
    return step_set(o, STEP_OK, "%lld of %lld acknowledged heartbeats present on %s%s%s",
                    (long long)((int64_t)nacks - r.missing), (long long)nacks, n->name,
                    target != NULL ? " (not counting those discarded by design)" : "",
                    r.missing > 0 ? " (loss judged by the RPO objective)" : "");
}

char *heartbeat_verify_describe(const Plan *p, const PlanStep *ps)
{
    const Step *s = ps->step;
    return xasprintf("SQL: select seq, server_ts, lsn from drill_heartbeat where run_uuid = "
                     "<this run's UUID> order by seq; compare with the acknowledged "
                     "heartbeats%s%s%s%s%s%s%s",
                     step_bool(s, "measure_rpo", ps->node->role == ROLE_PRIMARY)
                         ? "; measure RPO" : "",
                     step_str(s, "compare_with", NULL) ? "; and with the rows on " : "",
                     step_str(s, "compare_with", ""),
                     step_str(s, "fenced", NULL) ? "; count the heartbeats acknowledged by " : "",
                     step_str(s, "fenced", ""),
                     step_str(s, "fenced", NULL) ? " after event " : "",
                     step_str(s, "fenced", NULL) ? step_str(s, "since", "promoted") : "");
}
