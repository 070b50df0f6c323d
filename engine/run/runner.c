/*
 * runner.c — executes a plan (see runner.h). The run row exists in the store
 * before the first step; each step is recorded the moment it ends, so an
 * interrupted drill still leaves its evidence; cleanup always runs.
 */
#include "runner.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evidence.h"
#include "identity.h"
#include "leftovers.h"
#include "outage.h"
#include "measure.h"
#include "pg.h"
#include "pglock.h"
#include "progress.h"
#include "runlock.h"
#include "runctx.h"
#include "steps_kinds.h"
#include "util.h"
#include "yamldoc.h"

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t second_signal;
/* Steps that bring service back — the recovery once the fault was injected,
 * the rollback, the cleanup — are interrupted only by a second signal: the
 * first one asked for the drill to stop, not for the database to be left
 * broken (README "Safety"). */
static volatile sig_atomic_t restoring;

void runner_request_stop(int signo)
{
    if (stop_signal == 0)
        stop_signal = signo;
    else if (restoring)   /* a repeated signal before that does not skip it */
        second_signal = signo;
}

int runner_stop_signal(void)
{
    return restoring ? (int)second_signal : (int)stop_signal;
}

/* How each node is reached: a dry run shows where commands would run. */
static void print_access(const Topology *t, FILE *out)
{
    for (size_t i = 0; i < t->nnodes; i++) {
        const Node *n = &t->nodes[i];
        const char *as = n->os_user != NULL ? n->os_user : "the current user";
        if (n->access != ACCESS_SSH) {
            fprintf(out, "  node %-8s local, as %s\n", n->name, as);
            continue;
        }
        const SshAccess *a = &n->ssh;
        fprintf(out, "  node %-8s ssh %s%s%s:%d (known_hosts %s%s), as %s (become %s)\n",
                n->name, a->user ? a->user : "", a->user ? "@" : "", a->host, a->port,
                a->known_hosts ? a->known_hosts : "~/.ssh/known_hosts",
                a->accept_new_hostkey ? ", trust on first use" : "", as, a->become);
    }
}

/* A description may hold several commands, one a line. */
static void print_indented(FILE *out, const char *text)
{
    const char *line = text;
    do {
        size_t len = strcspn(line, "\n");
        fprintf(out, "      %.*s\n", (int)len, line);
        line += len;
    } while (*line++ == '\n');
}

void runner_print_plan(const Plan *plan, FILE *out)
{
    const Scenario *s = plan->scenario;
    char sha[65];
    scenario_sha256(s, sha);
    fprintf(out, "drill %s (%s, sha256 %s) on topology %s\n", s->name, s->file, sha,
            plan->topology->name);
    char objectives[512];
    objectives_describe(&s->objectives, objectives, sizeof objectives);
    fprintf(out, "objectives: %s\n", objectives);
    print_access(plan->topology, out);
    int last_phase = -1;
    for (size_t i = 0; i < plan->nsteps; i++) {
        const PlanStep *ps = &plan->steps[i];
        if ((int)ps->step->phase != last_phase) {
            last_phase = (int)ps->step->phase;
            fprintf(out, "%s:\n", phase_name(ps->step->phase));
        }
        char *cmd = steps_describe(plan, ps);
        if (ps->unless != NULL) {
            char *u = steps_describe(plan, ps->unless);
            char *both = xasprintf("unless, on %s within %lldms: %s\n%s",
                                   ps->unless->node ? ps->unless->node->name : "-",
                                   (long long)ps->unless->step->timeout_ms, u, cmd);
            free(u);
            free(cmd);
            cmd = both;
        }
        char tmo[32];
        time_format_duration_ms(ps->step->timeout_ms, tmo, sizeof tmo);
        fprintf(out, "  %2zu. %-28s %-8s timeout %-8s%s\n", ps->seq + 1, ps->step->name,
                ps->node ? ps->node->name : "-", tmo,
                ps->step->kind->destructive ? " DESTRUCTIVE" : "");
        print_indented(out, cmd);
        free(cmd);
    }
}

char *runner_describe_step(const Plan *plan, size_t index)
{
    return index < plan->nsteps ? steps_describe(plan, &plan->steps[index]) : NULL;
}

int runner_check_kinds(DrillError *err)
{
    return step_kinds_check(err);
}

static int record_step(RunCtx *ctx, const PlanStep *ps, const StepOutcome *o, int64_t start_utc,
                       int64_t dur_us, DrillError *err)
{
    StepRecord r = {
        .phase = phase_name(ps->step->phase),
        .seq = (int)ps->seq,
        .name = ps->step->name,
        .kind = ps->step->kind->name,
        .node = ps->node ? ps->node->name : NULL,
        .command = o->command.data ? o->command.data : "",
        .status = step_status_name(o->status),
        .exit_code = o->exit_code,
        .term_signal = o->term_signal,
        .started_utc_ms = start_utc,
        .ended_utc_ms = start_utc + dur_us / 1000,
        .duration_us = dur_us,
        .out = o->out.data ? o->out.data : "",
        .err = o->err.data ? o->err.data : "",
        .message = o->message,
    };
    return store_step_add(ctx->store, ctx->run_id, &r, err);
}

typedef struct Verdict {
    bool early_failure;    /* preflight / fault failed: nothing measured */
    bool recovery_failure; /* recover / verify / rollback failed */
    bool rollback_ran, rollback_failure;
    bool fault_started;    /* a fault step began: the target is no longer intact */
    const char *stopped_at; /* the step a second signal stopped, or NULL */
    bool cleanup_failure;
    bool objective_missed;
    const char *first_failure;
    char first_message[sizeof ((StepOutcome *)0)->message]; /* why it failed */
    char refusal[768];     /* why the run was refused before its first step */
} Verdict;

static void note_failure(Verdict *v, const PlanStep *ps, const char *message)
{
    Phase ph = ps->step->phase;
    if (ph == PHASE_CLEANUP)
        v->cleanup_failure = true;
    else if (ph == PHASE_ROLLBACK)
        v->rollback_failure = v->recovery_failure = true;
    else if (ph == PHASE_PREFLIGHT || ph == PHASE_FAULT)
        v->early_failure = true;
    else
        v->recovery_failure = true;
    if (v->first_failure == NULL) {
        v->first_failure = ps->step->name;
        snprintf(v->first_message, sizeof v->first_message, "%s", message);
    }
}

/* `unless:` holds: the step's outcome is already there (a rollback's "start
 * the primary unless it accepts connections"); it is recorded as skipped,
 * with the probe's answer. A probe that does not hold is no failure. */
static bool step_not_needed(RunCtx *ctx, const PlanStep *ps, StepOutcome *o)
{
    if (ps->unless == NULL)
        return false;
    StepOutcome u;
    step_outcome_init(&u);
    steps_execute(ctx, ps->unless, time_mono_us() + ps->unless->step->timeout_ms * 1000, &u);
    bool holds = u.status == STEP_OK;
    if (holds) {
        buf_appends(&o->command, u.command.data ? u.command.data : "");
        step_set(o, STEP_SKIPPED, "not needed: unless %s on %s holds (%s)",
                 step_str(ps->unless->step, "probe", "?"),
                 ps->unless->node ? ps->unless->node->name : "-", u.message);
    }
    step_outcome_free(&u);
    return holds;
}

/* Runs (or skips) one step and records it. Returns the step's status. */
static StepStatus run_step(RunCtx *ctx, const PlanStep *ps, bool skip, Progress *pg,
                           Verdict *v, DrillError *err, int *store_rc)
{
    StepOutcome o;
    step_outcome_init(&o);
    int64_t start_utc = time_utc_ms();
    int64_t start = time_mono_us();
    const char *phase = phase_name(ps->step->phase);
    if (skip) {
        char *cmd = steps_describe(ctx->plan, ps);
        buf_appends(&o.command, cmd);
        free(cmd);
        step_set(&o, STEP_SKIPPED, "%s", ps->step->phase == PHASE_ROLLBACK && second_signal == 0
                 ? "not run: nothing to roll back (no step failed after the fault)"
                 : "not run: an earlier step failed or the drill was interrupted");
    } else {
        progress_step_begin(pg, ps->seq, phase, ps->step->name);
        if (!step_not_needed(ctx, ps, &o))
            steps_execute(ctx, ps, start + ps->step->timeout_ms * 1000, &o);
    }
    int64_t dur = skip ? 0 : time_mono_us() - start;
    if (!skip)
        outage_span(ctx, ps, start, start + dur);
    if (!skip)
        progress_step_end(pg, ps->seq, phase, ps->step->name, step_status_name(o.status), dur,
                          o.message);
    *store_rc = record_step(ctx, ps, &o, start_utc, dur, err);
    if (o.status != STEP_OK && o.status != STEP_SKIPPED)
        note_failure(v, ps, o.message);
    StepStatus st = o.status;
    step_outcome_free(&o);
    return st;
}

/* Server versions and identities, best effort: evidence for the report. */
static void record_environment(RunCtx *ctx)
{
    char buf[128];
    char key[192];
    pg_library_version(buf, sizeof buf);
    store_fact_add(ctx->store, ctx->run_id, "library:libpq", buf, NULL);
    store_fact_add(ctx->store, ctx->run_id, "library:sqlite", store_library_version(), NULL);
    store_fact_add(ctx->store, ctx->run_id, "library:libyaml", yamldoc_library_version(), NULL);
    store_fact_add(ctx->store, ctx->run_id, "library:libcrypto", crypto_library_version(), NULL);
    store_fact_add(ctx->store, ctx->run_id, "library:libssh", exec_ssh_library_version(), NULL);
    const Scenario *sc = ctx->plan->scenario;
    for (size_t i = 0; i < sc->nvars; i++) {
        if (!sc->vars[i].set)
            continue;
        snprintf(key, sizeof key, "set:%s", sc->vars[i].name);
        store_fact_add(ctx->store, ctx->run_id, key, sc->vars[i].value, NULL);
    }
    const Topology *t = ctx->plan->topology;
    /* Which machine each of the drill's own names stood for in this run. */
    for (size_t i = 0; i < sc->nroles; i++) {
        const Node *n = topology_find(t, node_role_name(sc->roles[i].role));
        snprintf(key, sizeof key, "role:%s", sc->roles[i].name);
        store_fact_add(ctx->store, ctx->run_id, key, n != NULL ? n->name : "(none)", NULL);
    }
    for (size_t i = 0; i < t->nnodes; i++) {
        const Node *n = &t->nodes[i];
        snprintf(key, sizeof key, "node:%s", n->name);
        snprintf(buf, sizeof buf, "%s, %s", node_role_name(n->role),
                 n->access == ACCESS_SSH ? "ssh" : "local");
        store_fact_add(ctx->store, ctx->run_id, key, buf, NULL);
        PgConn *c = NULL;
        if (n->conninfo == NULL || pg_connect(n->conninfo, 1000, &c, NULL) < 0)
            continue;
        snprintf(key, sizeof key, "server_version:%s", n->name);
        if (pg_server_version(c, buf, sizeof buf, NULL) == 0)
            store_fact_add(ctx->store, ctx->run_id, key, buf, NULL);
        snprintf(key, sizeof key, "system_identifier:%s", n->name);
        if (pg_system_identifier(c, buf, sizeof buf, NULL) == 0)
            store_fact_add(ctx->store, ctx->run_id, key, buf, NULL);
        pg_close(c);
    }
}

static void measure_and_judge(RunCtx *ctx, Verdict *v, Progress *pg);

/* The fault usually ends the lock's session (the primary stops): expected,
 * recorded once as evidence, not a failure. */
static void note_lock_lost(RunCtx *ctx, PgLock *lock, const PlanStep *ps, Progress *pg)
{
    if (!pglock_lost(lock))
        return;
    char detail[512];
    snprintf(detail, sizeof detail, "drill's advisory lock session on the primary ended during "
             "step %zu \"%s\" (expected when the drill stops the primary); the run lock on "
             "this host still holds", ps->seq + 1, ps->step->name);
    store_event_add(ctx->store, ctx->run_id, "advisory_lock_lost", time_utc_ms(),
                    time_mono_us() - ctx->t0_mono_us, detail, NULL);
    progress_note(pg, "drill: %s", detail);
}

/* Where the run is, for the rules of what runs next (README "Safety"). */
typedef struct Flow {
    bool failed;          /* a step before cleanup failed (or could not be recorded) */
    bool needs_rollback;  /* ... a fault or recover step, once the fault began */
    bool said_finishing, said_rollback, said_stopped;
    int store_failed;     /* the first store error, or 0 */
    Phase phase;          /* of the step before (PHASE_COUNT: none yet) */
    const char *restored; /* how service came back, or NULL (flow_restored) */
    size_t checks_ok, checks; /* a repair's closing preflight checks */
} Flow;

/* Does a step of phase ph run, given what happened so far? */
static bool step_runs(const Flow *f, const Verdict *v, Phase ph)
{
    if (second_signal != 0)
        return false;   /* the operator chose to leave now */
    switch (ph) {
    case PHASE_PREFLIGHT:
    case PHASE_FAULT:
    case PHASE_VERIFY:
        return !f->failed && stop_signal == 0;
    case PHASE_RECOVER:   /* once the fault began, it is what restores service */
        return !f->failed && (stop_signal == 0 || v->fault_started);
    case PHASE_ROLLBACK:
        return f->needs_rollback;
    default:
        return true;
    }
}

static void flow_event(RunCtx *ctx, Progress *pg, const char *event, const char *detail)
{
    store_event_add(ctx->store, ctx->run_id, event, time_utc_ms(),
                    time_mono_us() - ctx->t0_mono_us, detail, NULL);
    progress_note(pg, "drill: %s", detail);
}

/* Says, once each, which path the run takes: finishing the recovery after
 * an interrupt, rolling back after a failure. */
static void flow_announce(RunCtx *ctx, Flow *f, const Verdict *v, const PlanStep *ps,
                          Progress *pg)
{
    char detail[768];
    Phase ph = ps->step->phase;
    if (ph == PHASE_RECOVER && stop_signal != 0 && v->fault_started && !f->failed &&
        !f->said_finishing) {
        f->said_finishing = true;
        snprintf(detail, sizeof detail, "signal %d after the fault was injected: finishing the "
                 "recovery (it is what brings service back), then cleanup; verify is skipped. "
                 "A second signal stops at once", (int)stop_signal);
        flow_event(ctx, pg, "finishing_recovery", detail);
    }
    if (ph == PHASE_ROLLBACK && f->needs_rollback && !f->said_rollback) {
        f->said_rollback = true;
        if (ctx->repairing)
            snprintf(detail, sizeof detail, "repairing %s: its rollback steps (each only if "
                     "still needed), its cleanup, then its read-only preflight checks",
                     ctx->repair_label);
        else
            snprintf(detail, sizeof detail, "step \"%s\" failed after the fault was injected: "
                     "rolling back (the drill's rollback steps bring service back), then "
                     "cleanup", v->first_failure ? v->first_failure : "?");
        flow_event(ctx, pg, "rollback", detail);
    }
}

/* A second signal stopped the run where it was: said once, loudly, and kept
 * as evidence, with what state the target may be in. */
static void flow_stopped(RunCtx *ctx, Flow *f, Verdict *v, const PlanStep *ps, Progress *pg)
{
    if (f->said_stopped || second_signal == 0)
        return;
    f->said_stopped = true;
    v->stopped_at = ps->step->name;
    char detail[768];
    snprintf(detail, sizeof detail, "second signal %d during %s step %zu \"%s\": stopped at "
             "once, the remaining steps (cleanup too) are skipped. %s", (int)second_signal,
             phase_name(ps->step->phase), ps->seq + 1, ps->step->name, v->fault_started
             ? "The fault was injected and its recovery did not finish: the database may be "
               "down or half-restored; `drill repair` finishes the recovery"
             : "No fault was injected: the target is as it was, but the cleanup steps did "
               "not run (`drill report` lists them)");
    store_event_add(ctx->store, ctx->run_id, "stopped_at_once", time_utc_ms(),
                    time_mono_us() - ctx->t0_mono_us, detail, NULL);
    progress_note(pg, "drill: WARNING: %s", detail);
}

/* A step failed, or could not be recorded (disk full, store locked or
 * read-only: what the drill does next would leave no evidence, so it stops,
 * but the rollback and the cleanup still run — leaving the database broken
 * does not help the store). */
static void flow_failed(Flow *f, const Verdict *v, const PlanStep *ps)
{
    Phase ph = ps->step->phase;
    if (ph == PHASE_CLEANUP || ph == PHASE_ROLLBACK)
        return;
    f->failed = true;
    if (v->fault_started && (ph == PHASE_FAULT || ph == PHASE_RECOVER))
        f->needs_rollback = true;
}

/* Marks in the store, as the run goes, whether its target is intact: the
 * fault was injected (fault_injected) and service came back — the recovery,
 * or else the rollback, passed, and the run reached its end
 * (service_restored, flow_restored). A fault_injected without
 * service_restored keeps the target from further drills until `drill
 * repair` (check_unfinished). Called before each step (next: its phase) and
 * once at the end (PHASE_COUNT). */
static void flow_phase(RunCtx *ctx, Flow *f, Verdict *v, Phase next, bool runs)
{
    Phase done = f->phase;
    f->phase = next;
    if (done == next || done == PHASE_COUNT)
        return;
    /* Leaving the recovery (or the fault, in a drill without one) with no
     * failure: whatever the fault broke is back; else the rollback's. */
    if (done <= PHASE_RECOVER && next > PHASE_RECOVER && v->fault_started && !f->failed)
        f->restored = "the fault and the recovery passed";
    else if (done == PHASE_ROLLBACK && v->rollback_ran && !v->rollback_failure)
        f->restored = "the rollback passed";
    (void)runs;
}

/* The marker on the primary (pglock.h), written just before the fault:
 * best effort — the store's marker is the one that always exists — and said
 * in the record either way (fact primary_marker). */
static void marker_set(RunCtx *ctx, Progress *pg)
{
    const Plan *plan = ctx->plan;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    PgMarker m = {.drill_source = (char *)plan->scenario->source};
    snprintf(m.run_uuid, sizeof m.run_uuid, "%s", ctx->run_uuid);
    snprintf(m.drill, sizeof m.drill, "%s", plan->scenario->name);
    snprintf(m.runner, sizeof m.runner, "host %s, store %s, run %lld", host,
             store_path(ctx->store), (long long)ctx->run_id);
    char *key = runner_target_key(plan->topology);
    DrillError e;
    char value[768];
    if (pgmark_set(plan->topology, key, &m, &e) == 0)
        snprintf(value, sizeof value, "written (drill_unfinished, target %s)", key);
    else {
        snprintf(value, sizeof value, "not written: %s", e.message);
        progress_note(pg, "drill: note: the unfinished-drill marker is only in the store "
                      "(the primary refused it: %s)", e.message);
    }
    store_fact_add(ctx->store, ctx->run_id, "primary_marker", value, NULL);
    free(key);
}

/* Service is back (or a repair proved the target healthy): the primary's
 * marker goes. If it cannot, this store's next run removes it as stale; a
 * runner with another store is refused until `drill repair --check`. */
static void marker_clear(RunCtx *ctx, Progress *pg)
{
    char *key = runner_target_key(ctx->plan->topology);
    DrillError e;
    if (pgmark_clear(ctx->plan->topology, key, &e) < 0) {
        progress_note(pg, "drill: note: cannot remove the unfinished-drill marker on the "
                      "primary: %s", e.message);
        store_fact_add(ctx->store, ctx->run_id, "primary_marker_cleared", e.message, NULL);
    } else
        store_fact_add(ctx->store, ctx->run_id, "primary_marker_cleared", "yes", NULL);
    free(key);
}

/* Stored only once the run got to its end, cleanup included: a drill killed
 * in its verify or cleanup (a failover not yet switched back) still leaves
 * the target unfinished. A repair proves more: target_healthy. */
static void flow_restored(RunCtx *ctx, const Flow *f, Progress *pg)
{
    if (f->restored == NULL || second_signal != 0 || ctx->repairing)
        return;
    store_event_add(ctx->store, ctx->run_id, "service_restored", time_utc_ms(),
                    time_mono_us() - ctx->t0_mono_us, f->restored, NULL);
    marker_clear(ctx, pg);
}

/* A repair releases its target only when the drill's own read-only
 * preflight checks — the healthy shape the drill starts from — all pass
 * after its rollback and cleanup: checked, never assumed. */
static void repair_verdict(RunCtx *ctx, const Flow *f, Verdict *v, Progress *pg)
{
    char detail[512];
    if (f->checks > 0 && f->checks_ok == f->checks && !f->failed && second_signal == 0) {
        snprintf(detail, sizeof detail, "%s repaired: its %zu read-only preflight checks "
                 "pass, the target is released", ctx->repair_label, f->checks);
        flow_event(ctx, pg, "target_healthy", detail);
        marker_clear(ctx, pg);
        return;
    }
    snprintf(detail, sizeof detail, "%s is not repaired: %s; the target stays held "
             "(fix it, then `drill repair --check`)", ctx->repair_label,
             f->checks == 0 ? "the drill has no read-only preflight check to prove the target "
                              "healthy"
                            : "a health check failed or did not run");
    flow_event(ctx, pg, "repair_incomplete", detail);
    if (v->first_failure == NULL) {
        v->recovery_failure = true;
        v->first_failure = "health checks";
        snprintf(v->first_message, sizeof v->first_message, "%s", detail);
    }
}

static int run_steps(RunCtx *ctx, Verdict *v, Progress *pg, PgLock *lock, DrillError *err)
{
    Flow f = {.phase = PHASE_COUNT};
    /* A repair starts where an interrupted drill left its target: after the
     * fault, so its rollback runs and is protected like a recovery. */
    f.needs_rollback = v->fault_started = ctx->repairing;
    for (size_t i = 0; i < ctx->plan->nsteps; i++) {
        const PlanStep *ps = &ctx->plan->steps[i];
        Phase ph = ps->step->phase;
        bool runs = step_runs(&f, v, ph);
        flow_phase(ctx, &f, v, ph, runs);
        if (!runs && f.store_failed < 0)
            continue;   /* each would wait for the store's lock again */
        flow_announce(ctx, &f, v, ps, pg);
        if (runs && ph == PHASE_FAULT && !v->fault_started) {
            v->fault_started = true;
            marker_set(ctx, pg);
            store_event_add(ctx->store, ctx->run_id, "fault_injected", time_utc_ms(),
                            time_mono_us() - ctx->t0_mono_us, ps->step->name, NULL);
        }
        if (runs && ph == PHASE_ROLLBACK)
            v->rollback_ran = true;
        restoring = (ph == PHASE_RECOVER && v->fault_started) || ph == PHASE_ROLLBACK ||
                    ph == PHASE_CLEANUP;
        int store_rc = 0;
        DrillError serr;
        StepStatus st = run_step(ctx, ps, !runs, pg, v, &serr, &store_rc);
        note_lock_lost(ctx, lock, ps, pg);
        if (store_rc < 0 && f.store_failed == 0) {
            f.store_failed = store_rc;
            *err = serr;
            progress_note(pg, "drill: cannot record step \"%s\" in the store (error below): "
                          "stopping the drill; rollback and cleanup still run", ps->step->name);
            flow_failed(&f, v, ps);
        }
        if (st != STEP_OK && st != STEP_SKIPPED)
            flow_failed(&f, v, ps);
        if (runs)
            flow_stopped(ctx, &f, v, ps, pg);
        if (ctx->repairing && ph == PHASE_PREFLIGHT) {
            f.checks++;
            f.checks_ok += st == STEP_OK;
        }
    }
    flow_phase(ctx, &f, v, PHASE_COUNT, false);
    flow_restored(ctx, &f, pg);
    restoring = false;
    if (ctx->repairing)
        repair_verdict(ctx, &f, v, pg);
    return f.store_failed;
}

/* The store failed mid-run (a step that could not be recorded, or any
 * other write: store.h, the sticky write error): the run is an `error`
 * (infrastructure), exit 3. Finish the record if the store works again, so
 * the run does not stay `running`; if it still fails, the next `drill run`
 * on this host reaps it as aborted (runner_reap_orphans). */
static void finish_store_failure(RunCtx *ctx, RunResult *res, const DrillError *cause)
{
    char msg[DRILL_ERROR_MSG_MAX + 96];
    snprintf(msg, sizeof msg, "the store failed during the run; its record is incomplete "
             "(cleanup ran): %s", cause->message);
    DrillError e;
    res->exit_code = DRILL_EXIT_ABORTED;
    snprintf(res->verdict, sizeof res->verdict, "error");
    RunEnd end = {"error", DRILL_EXIT_ABORTED, time_utc_ms(), time_mono_us() - ctx->t0_mono_us,
                  msg};
    if (evidence_finish(ctx->store, ctx->run_id, &end, &e) < 0)
        fprintf(stderr, "drill: the run stays `running` in the store (the next run reaps it): "
                "%s\n", e.message);
}

/* What the run did after an interrupt or a failure, in a few words. */
static void describe_path(const Verdict *v, char *out, size_t outsz)
{
    const char *rollback = !v->rollback_ran         ? ""
                           : v->rollback_failure    ? "; rollback ran and FAILED"
                                                    : "; rollback ran";
    if (v->stopped_at != NULL)
        snprintf(out, outsz, "%s; a second signal stopped it at once during \"%s\": cleanup "
                 "did not run%s", v->fault_started ? "after the fault" : "before the fault",
                 v->stopped_at, v->fault_started ? ", the recovery did not finish (drill repair)"
                                                 : "");
    else if (stop_signal != 0 && !v->fault_started)
        snprintf(out, outsz, "before the fault: remaining steps skipped, cleanup ran");
    else if (stop_signal != 0)
        snprintf(out, outsz, "after the fault: recovery %s%s, verify skipped, cleanup ran",
                 v->rollback_ran ? "failed" : "finished", rollback);
    else
        snprintf(out, outsz, "%s", rollback + (rollback[0] != '\0' ? 2 : 0));
}

static int finish(RunCtx *ctx, const Verdict *v, RunResult *res, DrillError *err)
{
    const char *verdict = "passed";
    int code = DRILL_EXIT_OK;
    if (stop_signal != 0) {
        verdict = "aborted";
        code = 128 + (int)stop_signal;
    } else if (v->early_failure) {
        verdict = "error";
        code = DRILL_EXIT_ABORTED;
    } else if (v->recovery_failure || v->objective_missed) {
        verdict = "failed";
        code = DRILL_EXIT_FAILED;
    } else if (v->cleanup_failure) {
        verdict = "error";
        code = DRILL_EXIT_ABORTED;
    }
    char msg[1024], path[256];
    describe_path(v, path, sizeof path);
    if (v->refusal[0] != '\0')
        snprintf(msg, sizeof msg, "refused: %s", v->refusal);
    else if (stop_signal != 0)
        snprintf(msg, sizeof msg, "interrupted by signal %d %s", (int)stop_signal, path);
    else if (v->first_failure != NULL)
        snprintf(msg, sizeof msg, "first failed step: %s%s%s%s%s", v->first_failure,
                 v->first_message[0] != '\0' ? ": " : "", v->first_message,
                 v->rollback_ran ? "; " : "", v->rollback_ran ? path : "");
    else
        snprintf(msg, sizeof msg, "%s", v->objective_missed ? "objective missed" : "");
    res->exit_code = code;
    snprintf(res->verdict, sizeof res->verdict, "%s", verdict);
    /* Sealed at once: from here on, any change to the stored record shows. */
    RunEnd end = {verdict, code, time_utc_ms(), time_mono_us() - ctx->t0_mono_us, msg};
    return evidence_finish(ctx->store, ctx->run_id, &end, err);
}

int runner_check_destructive(const Plan *plan, bool yes, DrillError *err)
{
    if (!plan->destructive || yes || plan->topology->allow_destructive)
        return 0;
    for (size_t i = 0; i < plan->nsteps; i++) {
        const Step *s = plan->steps[i].step;
        if (s->kind->destructive)
            return drill_error_set(err, DRILL_E_ABORTED,
                                   "drill \"%s\" destroys data (step \"%s\", %s:%d) and topology "
                                   "\"%s\" does not allow it\n  hint: pass --yes, or set "
                                   "`allow_destructive: true` in %s",
                                   plan->scenario->name, s->name, plan->scenario->file, s->line,
                                   plan->topology->name, plan->topology->file);
    }
    return 0;
}

int runner_record_start(const Plan *plan, Store *st, const RunOptions *opt,
                        const char *lock_path, int64_t *run_id, char run_uuid[UUID_STR_SIZE],
                        DrillError *err)
{
    const Scenario *s = plan->scenario;
    int rc = uuid_new(run_uuid, err);
    if (rc < 0)
        return rc;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    char sha[65];
    scenario_sha256(s, sha);
    RunInfo info = {
        .drill_name = s->name, .drill_file = s->file, .drill_sha256 = sha,
        .drill_source = s->source, .topology_name = plan->topology->name,
        .topology_file = opt->topology_file ? opt->topology_file : plan->topology->file,
        .hostname = host, .drill_version = DRILL_VERSION, .started_utc_ms = time_utc_ms(),
        .rto_target_ms = s->objectives.value[OBJ_RTO],
        .rpo_target_ms = s->objectives.value[OBJ_RPO],
        .rpo_tx_target = s->objectives.value[OBJ_RPO_TRANSACTIONS],
        .pid = (int64_t)getpid(), .lock_path = lock_path, .uuid = run_uuid,
    };
    return store_run_begin(st, &info, run_id, err);
}

/* The secrets of this run: PGPASSWORD and .pgpass (a topology's conninfo
 * cannot hold a password: topology.c refuses it). */
Redactor *runner_secrets_collect(void)
{
    Redactor *r = redact_new();
    redact_add_environment(r);
    return r;
}

static int run_guarded(const Plan *plan, Store *st, const RunOptions *opt, RunResult *res,
                       const Redactor *secrets, const char *lock_path, DrillError *err);

/* The primary's system_identifier, or "" when it cannot be read. */
static void primary_sysid(const Topology *t, char *out, size_t outsz, char *why, size_t whysz)
{
    out[0] = '\0';
    snprintf(why, whysz, "the topology has no primary node");
    for (size_t i = 0; i < t->nnodes; i++) {
        if (t->nodes[i].role != ROLE_PRIMARY)
            continue;
        PgConn *c = NULL;
        DrillError e;
        if (pg_connect(t->nodes[i].conninfo, 5000, &c, &e) < 0 ||
            pg_system_identifier(c, out, outsz, &e) < 0)
            snprintf(why, whysz, "%s", e.message);
        pg_close(c);
        return;
    }
}

int runner_target_pin(const Plan *plan, char *detail, size_t detailsz)
{
    const Topology *t = plan->topology;
    if (!plan->destructive || t->system_identifier == NULL) {
        snprintf(detail, detailsz, "not checked (%s)", plan->destructive
                 ? "the topology pins no system_identifier" : "the drill destroys nothing");
        return 1;
    }
    char sysid[64], why[512];
    primary_sysid(t, sysid, sizeof sysid, why, sizeof why);
    if (strcmp(sysid, t->system_identifier) == 0) {
        snprintf(detail, detailsz, "system_identifier matches (%s)", sysid);
        return 0;
    }
    if (sysid[0] != '\0')
        snprintf(detail, detailsz, "the primary's system_identifier is %s but topology %s "
                 "pins %s: this is not the cluster the topology describes; nothing was touched",
                 sysid, t->file, t->system_identifier);
    else
        snprintf(detail, detailsz, "cannot read the primary's system_identifier to check "
                 "the pin in %s (%s); nothing was touched", t->file, why);
    return sysid[0] != '\0' ? -1 : -2;
}

/* A refusal before the first step: nothing runs, not even cleanup (nothing
 * was done that would need cleaning up); stored as an event and as the
 * run's message. */
static int refuse_run(RunCtx *ctx, Verdict *v, Progress *pg, const char *event,
                      const char *what, const char *detail)
{
    store_event_add(ctx->store, ctx->run_id, event, time_utc_ms(),
                    time_mono_us() - ctx->t0_mono_us, detail, NULL);
    progress_note(pg, "drill: refusing to run: %s", detail);
    v->early_failure = true;
    v->first_failure = what;
    snprintf(v->refusal, sizeof v->refusal, "%s", detail);
    return -1;
}

/* What stays the same while a drill breaks and repairs a cluster: the
 * topology's name and where its primary's data lives (host and directory).
 * Not the conninfo: a port may change when the server is brought back (the
 * sandbox picks a free one). */
char *runner_target_key(const Topology *t)
{
    Buf key;
    buf_init(&key, 64 * 1024);
    buf_appendf(&key, "%s|", t->name ? t->name : "");
    for (size_t i = 0; i < t->nnodes; i++)
        if (t->nodes[i].role == ROLE_PRIMARY)
            buf_appendf(&key, "%s|%s|", t->nodes[i].access == ACCESS_SSH ? t->nodes[i].ssh.host
                                                                          : "local",
                        t->nodes[i].data_directory ? t->nodes[i].data_directory : "");
    char hash[65];
    sha256_hex(key.data, key.len, hash);
    buf_free(&key);
    return xasprintf("%.16s", hash);
}

/* The refusal when a drill before this one left the target unfinished. */
static int refuse_unfinished(RunCtx *ctx, Verdict *v, Progress *pg, const char *what,
                             const char *hint_where)
{
    char detail[2048];
    snprintf(detail, sizeof detail, "%s injected its fault on this target and never brought "
             "service back: the database may be down or half-restored.\n  hint: `drill "
             "repair` (%s) runs that drill's rollback from wherever it stopped, its cleanup, "
             "then its read-only preflight checks, and releases the target when they pass; "
             "after a repair by hand, `drill repair --check` only checks", what, hint_where);
    return refuse_run(ctx, v, pg, "target_unfinished", "an unfinished drill on this target",
                      detail);
}

/* The primary's marker (pglock.h), for a drill this store does not know as
 * unfinished: another store's (refused), or one of ours that did finish —
 * the marker's delete failed, or a restore brought the row back — which is
 * stale and removed. A primary that cannot be asked is noted, not refused:
 * the store's marker is the one that always exists. */
static int check_primary_marker(RunCtx *ctx, Verdict *v, Progress *pg, const char *key)
{
    PgMarker m;
    DrillError e;
    int rc = pgmark_find(ctx->plan->topology, key, &m, &e);
    if (rc < 0)
        progress_note(pg, "drill: note: cannot read drill's unfinished-drill marker on the "
                      "primary (only this store's is checked): %s", e.message);
    if (rc <= 0)
        return 0;
    int64_t id = 0;
    char what[1024];
    if (store_run_by_uuid(ctx->store, m.run_uuid, &id, &e) > 0) {
        snprintf(what, sizeof what, "the primary's marker names run %lld (%s), which this "
                 "store knows finished: removed as stale", (long long)id, m.drill);
        flow_event(ctx, pg, "marker_stale", what);
        pg_marker_free(&m);
        if (pgmark_clear(ctx->plan->topology, key, &e) < 0)
            progress_note(pg, "drill: note: the stale marker stays: %s", e.message);
        return 0;
    }
    snprintf(what, sizeof what, "run %s (%s, fault injected %s, from %s; recorded in its "
             "store, not this one)", m.run_uuid, m.drill, m.fault_at, m.runner);
    pg_marker_free(&m);
    return refuse_unfinished(ctx, v, pg, what, "from that runner and store, or here: it "
                             "reads the drill from the primary's marker");
}

/* A drill before this one on the target injected its fault and never
 * brought service back (killed, stopped at once by a second signal, or its
 * rollback failed): the database may be down or half-restored, and a new
 * drill would measure — and break — that. Refused until `drill repair`. */
static int check_unfinished(RunCtx *ctx, Verdict *v, Progress *pg)
{
    char *key = runner_target_key(ctx->plan->topology);
    store_fact_add(ctx->store, ctx->run_id, "target", key, NULL);
    if (ctx->repairing) {
        char id[64];
        snprintf(id, sizeof id, "%lld", (long long)ctx->repair_of);
        store_fact_add(ctx->store, ctx->run_id, "repairs",
                       ctx->repair_of > 0 ? id : ctx->repair_uuid, NULL);
        free(key);
        return 0;
    }
    UnfinishedRun u;
    DrillError e;
    int rc = store_target_unfinished(ctx->store, key, &u, &e);
    if (rc < 0)
        progress_note(pg, "drill: note: cannot look for an unfinished drill on this target: %s",
                      e.message);
    if (rc <= 0) {
        rc = check_primary_marker(ctx, v, pg, key);
        free(key);
        return rc;
    }
    free(key);
    char when[40], what[1600];
    time_format_utc_ms(u.started_utc_ms, when, sizeof when);
    snprintf(what, sizeof what, "run %lld (%s, started %s, %s: %s)", (long long)u.id,
             u.drill_name, when, u.status, u.message[0] != '\0' ? u.message : "no message");
    return refuse_unfinished(ctx, v, pg, what, "same --db and topology");
}

/* A repair first stops what the killed drill's steps left running on this
 * host (leftovers.h): a restore still writing into the data directory the
 * rollback restores again would leave a cluster missing what either wrote. */
static void stop_leftovers(RunCtx *ctx, Progress *pg)
{
    char what[1024], detail[1400];
    int n = leftovers_stop(ctx->repair_uuid, what, sizeof what);
    if (n <= 0)
        return;
    snprintf(detail, sizeof detail, "stopped %d command(s) %s left running on this host "
             "before repairing: %s", n, ctx->repair_label, what);
    flow_event(ctx, pg, "leftovers_stopped", detail);
}

/* A restore brings back PGDATA: a node whose postgresql.conf lives outside
 * it (Debian: /etc/postgresql/...) comes back with the configuration its
 * host has now, not the one the backup was taken with. Said once per run
 * that restores such a node (event `finding`), before anything runs. */
static void note_config_outside(RunCtx *ctx, Progress *pg)
{
    const Plan *p = ctx->plan;
    for (size_t i = 0; i < p->nsteps; i++) {
        const PlanStep *ps = &p->steps[i];
        if (strcmp(ps->step->kind->name, "barman_recover") != 0)
            continue;
        const Node *n = plan_param_node(p, ps, "target");
        if (n == NULL || n->config_directory == NULL || n->data_directory == NULL ||
            strcmp(n->config_directory, n->data_directory) == 0)
            continue;
        char text[1024];
        snprintf(text, sizeof text, "%s: its configuration (%s) is outside PGDATA (%s), so "
                 "a `postgres`-method (streaming) Barman backup does not hold it: step "
                 "\"%s\" restores the data with whatever configuration the host has now, "
                 "and a rebuilt host has none. Keep postgresql.conf, pg_hba.conf and conf.d "
                 "under configuration management, or back them up beside Barman",
                 n->name, n->config_directory, n->data_directory, ps->step->name);
        store_event_add(ctx->store, ctx->run_id, "finding", time_utc_ms(),
                        time_mono_us() - ctx->t0_mono_us, text, NULL);
        progress_note(pg, "drill: finding: %s", text);
        return;
    }
}

/* Target pin: before anything destructive, the primary must be the cluster
 * the topology names (system_identifier). */
static int check_target(RunCtx *ctx, Verdict *v, Progress *pg)
{
    char detail[1024];
    int rc = runner_target_pin(ctx->plan, detail, sizeof detail);
    if (rc == 0)
        store_fact_add(ctx->store, ctx->run_id, "target_pin", "system_identifier matches", NULL);
    if (rc >= 0)
        return 0;
    /* A repair expects a primary that does not answer: it is on the target
     * the unfinished run was on (the same target key); a primary that
     * answers with another identity is still refused. */
    if (rc == -2 && ctx->repairing) {
        progress_note(pg, "drill: the primary does not answer (expected in a repair): %s",
                      detail);
        store_fact_add(ctx->store, ctx->run_id, "target_pin", "unreadable: repair", NULL);
        return 0;
    }
    return refuse_run(ctx, v, pg, "target_refused", "target check (system_identifier pin)",
                      detail);
}

/* drill's advisory lock on the primary (pglock.h): a second drill on the
 * same cluster, from any host, is refused before its first step. A primary
 * that cannot be asked is not a refusal: the drill's own checks judge it
 * (and a pinned destructive drill was already refused by check_target). */
static int take_pglock(RunCtx *ctx, Verdict *v, Progress *pg, PgLock **lock)
{
    DrillError e;
    int rc = pglock_acquire(ctx->plan->topology, ctx->run_id, lock, &e);
    if (rc == DRILL_E_ABORTED)
        return refuse_run(ctx, v, pg, "lock_refused", "advisory lock on the primary", e.message);
    if (rc < 0) {
        store_event_add(ctx->store, ctx->run_id, "advisory_lock_unavailable", time_utc_ms(),
                        time_mono_us() - ctx->t0_mono_us, e.message, NULL);
        progress_note(pg, "drill: running without the advisory lock: %s", e.message);
        return 0;
    }
    if (*lock != NULL) {
        char value[128];
        snprintf(value, sizeof value, "pg_try_advisory_lock(%d, %d) held by session "
                 "\"drill-lock run %lld\"", PG_DRILL_LOCK_CLASS, PG_DRILL_LOCK_OBJECT,
                 (long long)ctx->run_id);
        store_fact_add(ctx->store, ctx->run_id, "advisory_lock", value, NULL);
    }
    return 0;
}

int runner_run(const Plan *plan, Store *st, const RunOptions *opt, RunResult *res,
               DrillError *err)
{
    memset(res, 0, sizeof *res);
    int rc = runner_check_destructive(plan, opt->yes, err);
    if (rc < 0)
        return rc;
    RunLock *lock = NULL;
    if ((rc = runlock_acquire(plan->topology, &lock, err)) < 0)
        return rc;
    Redactor *secrets = runner_secrets_collect();
    store_set_redactor(st, secrets);
    /* Runners on other hosts sharing this store: one drill per target there too. */
    char *target = runner_target_key(plan->topology);
    rc = store_target_claim(st, target, err);
    if (rc == 0) {
        rc = run_guarded(plan, st, opt, res, secrets, runlock_path(lock), err);
        store_target_release(st, target);
    }
    free(target);
    store_set_redactor(st, NULL);
    redact_free(secrets);
    runlock_release(lock);
    return rc;
}

static int run_guarded(const Plan *plan, Store *st, const RunOptions *opt, RunResult *res,
                       const Redactor *secrets, const char *lock_path, DrillError *err)
{
    int rc;
    RunCtx ctx = {.plan = plan, .store = st, .fault_mono_us = -1, .recovered_mono_us = -1,
                  .slot_alert_t_ms = -1, .slot_lost_t_ms = -1, .slot_retained_max = -1,
                  .stop = runner_stop_signal, .repair_of = opt->repair_of,
                  .repairing = opt->repair_uuid != NULL, .repair_uuid = opt->repair_uuid,
                  .secrets = secrets};
    if (opt->repair_of > 0)
        snprintf(ctx.repair_label, sizeof ctx.repair_label, "run %lld",
                 (long long)opt->repair_of);
    else if (opt->repair_uuid != NULL)
        snprintf(ctx.repair_label, sizeof ctx.repair_label, "run %s (of another store)",
                 opt->repair_uuid);
    ctx.t0_mono_us = time_mono_us();
    if ((rc = runner_record_start(plan, st, opt, lock_path, &ctx.run_id, ctx.run_uuid, err)) < 0)
        return rc;
    res->run_id = ctx.run_id;
    ctx.local = exec_local_new();
    ctx.remote = xcalloc(plan->topology->nnodes + 1, sizeof *ctx.remote);
    ctx.accept_new_hostkey = opt->accept_new_hostkey;
    Progress pg;
    progress_init(&pg, stderr, (int)opt->progress, plan->nsteps);
    pg.redactor = secrets;
    progress_note(&pg, "drill: run %lld (%s) of %s on %s (%zu steps)", (long long)ctx.run_id,
                  ctx.run_uuid, plan->scenario->name, plan->topology->name, plan->nsteps);
    char objectives[512];
    objectives_describe(&plan->scenario->objectives, objectives, sizeof objectives);
    progress_note(&pg, "drill: objectives: %s", objectives);
    /* Which target a run was judged against, and who set it: a run judged
     * against a topology's or an operator's override says so in its record. */
    store_fact_add(st, ctx.run_id, "objectives", objectives, NULL);
    record_environment(&ctx);
    identity_record(st, ctx.run_id, opt->operator_name, opt->change_ref);
    if (opt->renderer_version != NULL)
        store_fact_add(st, ctx.run_id, "library:libxml2", opt->renderer_version, NULL);
    Verdict v = {0};
    PgLock *lock = NULL;
    if (ctx.repairing)
        stop_leftovers(&ctx, &pg);
    else
        note_config_outside(&ctx, &pg);
    /* An unfinished drill first: its primary is often down, which the pin
     * check would report instead of the reason and the way out. */
    rc = check_unfinished(&ctx, &v, &pg) == 0 && check_target(&ctx, &v, &pg) == 0 &&
                 take_pglock(&ctx, &v, &pg, &lock) == 0
             ? run_steps(&ctx, &v, &pg, lock, err)
             : 0;
    pglock_release(lock);
    runctx_heartbeat_finish(&ctx);
    if (rc == 0) {
        measure_and_judge(&ctx, &v, &pg);
        /* Before finish(): the gate's objectives are part of the sealed record. */
        if (opt->gate != NULL && gate_apply(st, ctx.run_id, opt->gate, &pg, NULL) > 0)
            v.objective_missed = true;
        /* Writes whose result nobody checked (facts, events, measures...)
         * kept their first failure: a run missing rows is not sealed as if
         * complete. */
        rc = store_write_error(st, ctx.run_id, err);
        if (rc < 0)
            progress_note(&pg, "drill: a write to the store failed during the run (error "
                          "below): the run ends as error");
    }
    if (rc == 0)
        rc = finish(&ctx, &v, res, err);
    else
        finish_store_failure(&ctx, res, err);
    heartbeat_free(ctx.heartbeat);
    runctx_captures_free(&ctx);
    free(ctx.spans);
    steps_release(&ctx);
    exec_free(ctx.local);
    return rc;
}

/* ---- measurements and objectives ---- */

/* Judges objective `id` and stores the verdict. A target that did not come
 * from the drill file says where it came from, in the stored row itself: a
 * report read months later must show why the bar was where it was. */
static void judge(RunCtx *ctx, Verdict *v, Progress *pg, ObjectiveId id, bool measured,
                  double value, const char *unit, bool passed, const char *how)
{
    const Objectives *o = &ctx->plan->scenario->objectives;
    int64_t target = o->value[id];
    const char *name = objectives_keys[id];
    if (target < 0)
        return;
    bool ok = measured && passed;
    char stored_how[384];
    snprintf(stored_how, sizeof stored_how, "%s", measured ? how : "not measured");
    if (o->origin[id] != OBJ_FROM_DRILL)
        snprintf(stored_how + strlen(stored_how), sizeof stored_how - strlen(stored_how),
                 "; target from %s", objectives_origin_name(o->origin[id]));
    store_objective_add(ctx->store, ctx->run_id, name, (double)target, measured ? value : -1,
                        unit, ok, stored_how, NULL);
    if (!ok)
        v->objective_missed = true;
    if (measured)
        progress_note(pg, "objective %-16s target %lld %s, measured %.0f %s: %s", name,
                      (long long)target, unit, value, unit, ok ? "met" : "MISSED");
    else
        progress_note(pg, "objective %-16s target %lld %s: MISSED (not measured: %s)", name,
                      (long long)target, unit, how);
}

static void measure_rto_from_heartbeat(RunCtx *ctx, RtoResult *r, const char **why)
{
    r->measured = false;
    *why = "no `fault` event was marked";
    if (ctx->fault_mono_us < 0)
        return;
    *why = "no heartbeat ran during the drill";
    if (ctx->heartbeat == NULL)
        return;
    /* An outage is only measurable against a service seen up before it. */
    HeartbeatAck before;
    *why = "no heartbeat was acknowledged before the fault";
    if (heartbeat_first_ack_after(ctx->heartbeat, INT64_MIN, &before) != 0 ||
        before.mono_us >= ctx->fault_mono_us)
        return;
    int64_t fail = heartbeat_first_failure_after(ctx->heartbeat, ctx->fault_mono_us);
    HeartbeatAck ack;
    bool have_ack = false;
    int64_t until = ctx->recovered_mono_us >= 0 ? ctx->recovered_mono_us : INT64_MAX;
    if (fail < 0 &&
        heartbeat_first_stalled_ack(ctx->heartbeat, ctx->fault_mono_us, until, &ack) == 0) {
        /* Nothing failed, but a commit between the fault and the recovery
         * stalled (its synchronous standby gone and back within the writer's
         * bound): writes were down from when it was sent (the fault at the
         * earliest) until it returned. */
        fail = ack.sent_mono_us > ctx->fault_mono_us ? ack.sent_mono_us : ctx->fault_mono_us;
        have_ack = !ack.sync_wait_cancelled ||
                   heartbeat_first_clean_ack_after(ctx->heartbeat, ack.mono_us, &ack) == 0;
    } else {
        have_ack = fail >= 0 && heartbeat_first_clean_ack_after(ctx->heartbeat, fail, &ack) == 0;
    }
    measure_rto(ctx->fault_mono_us, fail, have_ack ? &ack : NULL, r);
    *why = r->measured ? "fault event -> first heartbeat committed after the outage"
                       : "no heartbeat was committed after the outage (service not restored)";
}

/* slot_retained_alert: an alert at this much retained WAL would have fired
 * (some slot crossed it) and, when a slot was lost, fired before the loss:
 * the lead time is what an on-call engineer had to act. */
static void judge_slot_alert(RunCtx *ctx, Verdict *v, Progress *pg)
{
    bool crossed = ctx->slot_alert_t_ms >= 0;
    bool lost = ctx->slot_lost_t_ms >= 0;
    char how[256];
    if (lost && crossed)
        store_measure_add(ctx->store, ctx->run_id, "slot_alert_lead_ms",
                          (double)(ctx->slot_lost_t_ms - ctx->slot_alert_t_ms), "ms",
                          "slot_retained_alert crossed -> first slot lost", NULL);
    if (!crossed)
        snprintf(how, sizeof how, "no slot's retained WAL reached the threshold%s",
                 lost ? ", yet a slot was lost" : "");
    else if (lost)
        snprintf(how, sizeof how, "slot %s crossed it at t = %lld ms, %lld ms before a slot was lost",
                 ctx->slot_alert_slot, (long long)ctx->slot_alert_t_ms,
                 (long long)(ctx->slot_lost_t_ms - ctx->slot_alert_t_ms));
    else
        snprintf(how, sizeof how, "slot %s crossed it at t = %lld ms (no slot was lost)",
                 ctx->slot_alert_slot, (long long)ctx->slot_alert_t_ms);
    bool passed = crossed && (!lost || ctx->slot_alert_t_ms < ctx->slot_lost_t_ms);
    judge(ctx, v, pg, OBJ_SLOT_RETAINED_ALERT, ctx->slot_retained_max >= 0,
          (double)ctx->slot_retained_max, "bytes", passed,
          ctx->slot_retained_max >= 0 ? how : "no wal_generate step sampled a slot");
}

static void measure_and_judge(RunCtx *ctx, Verdict *v, Progress *pg)
{
    const int64_t *target = ctx->plan->scenario->objectives.value;
    RtoResult rto;
    const char *why;
    measure_rto_from_heartbeat(ctx, &rto, &why);
    double rto_ms = rto.measured ? (double)(rto.rto_us / 1000) : -1;
    if (rto.measured) {
        store_measure_add(ctx->store, ctx->run_id, "rto_ms", rto_ms, "ms", why, NULL);
        if (rto.first_failure_us >= 0)
            store_measure_add(ctx->store, ctx->run_id, "outage_start_ms",
                              (double)(rto.first_failure_us / 1000), "ms",
                              "fault event -> first failed heartbeat", NULL);
        progress_note(pg, "RTO %.0f ms (%s)", rto_ms, why);
        outage_record(ctx, ctx->fault_mono_us, ctx->fault_mono_us + rto.rto_us, pg);
    }
    judge(ctx, v, pg, OBJ_RTO, rto.measured, rto_ms, "ms",
          rto_ms <= (double)target[OBJ_RTO], why);
    const char *rpo_how = ctx->rpo_measured ? "acknowledged heartbeats missing after recovery"
                                            : "no heartbeat_verify step measured RPO";
    if (ctx->rpo_measured)
        progress_note(pg, "RPO %lld ms, %lld transactions, %lld WAL bytes lost",
                      (long long)ctx->rpo_ms, (long long)ctx->rpo_missing,
                      (long long)ctx->rpo_wal_bytes);
    /* A zero-second target means zero loss, whatever the clocks say. */
    bool rpo_ok = ctx->rpo_missing == 0 ||
                  (target[OBJ_RPO] > 0 && ctx->rpo_ms <= target[OBJ_RPO]);
    judge(ctx, v, pg, OBJ_RPO, ctx->rpo_measured, (double)ctx->rpo_ms, "ms",
          rpo_ok, rpo_how);
    judge(ctx, v, pg, OBJ_RPO_TRANSACTIONS, ctx->rpo_measured,
          (double)ctx->rpo_missing, "tx", ctx->rpo_missing <= target[OBJ_RPO_TRANSACTIONS],
          rpo_how);
    judge_slot_alert(ctx, v, pg);
}

/* ---- runs whose drill process died ---- */

/* Marks run r aborted (its drill is gone) and says so on out. */
static int reap_one(Store *st, const RunningRun *r, const char *why, FILE *out, DrillError *err)
{
    char msg[512];
    snprintf(msg, sizeof msg, "drill (pid %lld on %s) %s while running this drill; the steps "
             "recorded before that are kept; cleanup may not have run",
             (long long)r->pid, r->hostname, why);
    RunEnd end = {"aborted", DRILL_EXIT_ABORTED, time_utc_ms(), 0, msg};
    int rc = evidence_finish(st, r->id, &end, err);
    if (rc == 0 && out != NULL)
        fprintf(out, "drill: run %lld was left `running` by a drill that %s (pid %lld on %s): "
                     "marked aborted\n", (long long)r->id, why, (long long)r->pid, r->hostname);
    return rc;
}

/* Runs of other hosts in a shared (PostgreSQL) store: orphaned when nobody
 * holds their target's claim any more (store.h), i.e. the drill's store
 * connection is gone. A run that has not recorded its target yet is left
 * alone rather than guessed about. */
static int reap_elsewhere(Store *st, const char *host, FILE *out, DrillError *err)
{
    RunningRun *runs = NULL;
    size_t n = 0;
    int rc = store_runs_running_elsewhere(st, host, &runs, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        bool busy = true;
        if (runs[i].target[0] == '\0')
            continue;
        rc = store_target_busy(st, runs[i].target, &busy, err);
        if (rc == 0 && !busy)
            rc = reap_one(st, &runs[i], "died or lost the store", out, err);
    }
    free(runs);
    return rc;
}

int runner_reap_orphans(Store *st, FILE *out, DrillError *err)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    RunningRun *runs = NULL;
    size_t n = 0;
    int rc = store_runs_running(st, host, &runs, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        /* Held: its drill is still running. No lock recorded: an older
         * drill's run, left alone rather than guessed about. */
        if (runs[i].lock_path[0] == '\0' || runlock_is_held(runs[i].lock_path))
            continue;
        rc = reap_one(st, &runs[i], "died", out, err);
    }
    free(runs);
    return rc == 0 ? reap_elsewhere(st, host, out, err) : rc;
}
