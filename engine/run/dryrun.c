/*
 * dryrun.c — `drill run --dry-run` (runner_dry_run, runner.h): the plan,
 * then only read-only checks against the real topology, then a verdict.
 *
 * Nothing changes anywhere: no run is stored (what steps record goes to an
 * in-memory store that is discarded), no heartbeat starts, no lock is taken
 * (the run lock and drill's advisory lock are only looked at), no file is
 * written, SSH host keys are never trusted on first use, and `sql` steps run
 * in a READ ONLY transaction so the server itself refuses a write.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pg.h"
#include "pglock.h"
#include "runctx.h"
#include "runlock.h"
#include "runner.h"
#include "steps_kinds.h"

/* A preflight probe that should already hold need not wait for long: a dry
 * run answers in seconds even when a node is down. */
#define DRYRUN_STEP_MAX_MS 10000
#define DRYRUN_CONNECT_MS 2000

/* INCONCLUSIVE: a check failed after a skipped step that may change things:
 * it may depend on what that step would have done (a database it creates,
 * ...), so it is shown but does not fail the dry run. */
typedef enum CheckResult { CHECK_OK, CHECK_FAILED, CHECK_SKIPPED, CHECK_INCONCLUSIVE } CheckResult;

typedef struct DryRun {
    FILE *out;           /* text, or NULL when json is set */
    JsonWriter *json;    /* the dry run as one object of a JSON document */
    Redactor *secrets;   /* every line is masked (redact.h) before it is printed */
    int passed, failed, skipped, inconclusive;
    size_t first_changing_skip;   /* 1-based step number, 0 = none yet */
    char first_failure[512];
} DryRun;

/* Messages with a "\n  hint: ..." become "...; hint: ...": one check, one
 * line. In place: "; " replaces "\n " (never longer than what it replaces). */
static void one_line(char *s)
{
    char *w = s;
    for (const char *r = s; *r != '\0'; r++) {
        if (*r != '\n' || r[1] != ' ') {
            *w++ = *r == '\n' ? ' ' : *r;
            continue;
        }
        while (r[1] == ' ' && r[2] == ' ')
            r++;
        r++;              /* the last space */
        *w++ = ';';
        *w++ = ' ';
    }
    *w = '\0';
}

static void report(DryRun *d, CheckResult r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(DryRun *d, CheckResult r, const char *fmt, ...)
{
    static const char *const tags[] = {"ok  ", "FAIL", "skip", "??  "};
    static const char *const words[] = {"ok", "failed", "skipped", "inconclusive"};
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    one_line(line);
    char *masked = redact_text(d->secrets, line);
    snprintf(line, sizeof line, "%s", masked);
    free(masked);
    if (d->json != NULL) {
        json_object_begin(d->json);
        json_kv_string(d->json, "result", words[r]);
        json_kv_string(d->json, "check", line);
        json_object_end(d->json);
    } else {
        fprintf(d->out, "  %s  %s\n", tags[r], line);
    }
    if (r == CHECK_OK)
        d->passed++;
    else if (r == CHECK_SKIPPED)
        d->skipped++;
    else if (r == CHECK_INCONCLUSIVE)
        d->inconclusive++;
    else if (d->failed++ == 0)
        snprintf(d->first_failure, sizeof d->first_failure, "%s", line);
}

/* One PostgreSQL node: reachable, and in the state its role says. */
static bool check_node(DryRun *d, const Node *n)
{
    PgConn *c = NULL;
    DrillError err;
    char version[64] = "?";
    bool recovery = false;
    int rc = pg_connect(n->conninfo, DRYRUN_CONNECT_MS, &c, &err);
    if (rc == 0) {
        pg_set_query_timeout(c, DRYRUN_CONNECT_MS);
        pg_server_version(c, version, sizeof version, NULL);
        rc = pg_is_in_recovery(c, &recovery, &err);
    }
    pg_close(c);
    if (rc < 0) {
        report(d, CHECK_FAILED, "node %s (%s) unreachable: %s", n->name,
               node_role_name(n->role), err.message);
        return false;
    }
    bool role_ok = n->role == ROLE_PRIMARY ? !recovery : n->role != ROLE_STANDBY || recovery;
    report(d, role_ok ? CHECK_OK : CHECK_FAILED, "node %s (%s) reachable: PostgreSQL %s, %s%s",
           n->name, node_role_name(n->role), version, recovery ? "in recovery" : "not in recovery",
           role_ok ? "" : ": not what its role in the topology says");
    return true;
}

/* Returns how many PostgreSQL nodes answered, -1 when the topology has none. */
static int check_nodes(DryRun *d, const Topology *t)
{
    int reached = 0, pg_nodes = 0;
    for (size_t i = 0; i < t->nnodes; i++) {
        if (t->nodes[i].conninfo == NULL)
            continue;
        pg_nodes++;
        reached += check_node(d, &t->nodes[i]);
    }
    return pg_nodes == 0 ? -1 : reached;
}

/* What a real run checks before its first step, without its side effects. */
static void check_safety(DryRun *d, const Plan *plan, const RunOptions *opt)
{
    char detail[1024];
    int pin = runner_target_pin(plan, detail, sizeof detail);
    report(d, pin < 0 ? CHECK_FAILED : CHECK_OK, "target pin: %s", detail);
    DrillError err;
    if (runner_check_destructive(plan, opt->yes, &err) < 0)
        report(d, CHECK_FAILED, "a real run would stop before step 1 (nothing would run): %s",
               err.message);
    else
        report(d, CHECK_OK, "destructive steps: %s", !plan->destructive ? "none"
               : opt->yes ? "allowed by --yes" : "allowed by the topology (allow_destructive)");
    char *lock = runlock_target_path(plan->topology);
    bool held = runlock_is_held(lock);
    report(d, held ? CHECK_FAILED : CHECK_OK, "run lock %s: %s", lock,
           held ? "held by another drill on this host: a real run would be refused" : "free");
    free(lock);
    int rc = pglock_probe(plan->topology, detail, sizeof detail, &err);
    if (rc < 0)
        report(d, CHECK_FAILED, "drill's advisory lock: cannot check: %s", err.message);
    else
        report(d, rc == 0 ? CHECK_OK : CHECK_FAILED, "drill's advisory lock: %s%s", detail,
               rc == 0 ? "" : ": a real run would be refused");
}

/* A step a dry run does not carry out; later checks may depend on it
 * unless it is no more than a pause or a mark. */
static void skip_step(DryRun *d, const PlanStep *ps, const char *on, const char *why)
{
    bool changes = ps->step->kind->id != SK_SLEEP && ps->step->kind->id != SK_EVENT &&
                   ps->step->kind->id != SK_HEARTBEAT_STOP;
    if (changes && d->first_changing_skip == 0)
        d->first_changing_skip = ps->seq + 1;
    report(d, CHECK_SKIPPED, "step %zu \"%s\" (%s on %s): skipped in dry run: %s", ps->seq + 1,
           ps->step->name, ps->step->kind->name, on, why);
}

static void check_step(DryRun *d, RunCtx *ctx, const PlanStep *ps)
{
    const char *why = NULL;
    const Step *s = ps->step;
    const char *on = ps->node ? ps->node->name : "-";
    if (!plan_step_read_only(ps, &why)) {
        skip_step(d, ps, on, why);
        return;
    }
    StepOutcome o;
    step_outcome_init(&o);
    int64_t budget = s->timeout_ms < DRYRUN_STEP_MAX_MS ? s->timeout_ms : DRYRUN_STEP_MAX_MS;
    steps_execute(ctx, ps, time_mono_us() + budget * 1000, &o);
    if (o.status == STEP_SKIPPED)   /* a `sql` step the server refused: it writes */
        skip_step(d, ps, on, o.message);
    else if (o.status == STEP_OK)
        report(d, CHECK_OK, "step %zu \"%s\" (%s on %s): %s", ps->seq + 1, s->name,
               s->kind->name, on, o.message[0] ? o.message : "ok");
    else
        report(d, d->first_changing_skip ? CHECK_INCONCLUSIVE : CHECK_FAILED,
               "step %zu \"%s\" (%s on %s): %s: %s%s", ps->seq + 1, s->name, s->kind->name, on,
               step_status_name(o.status), o.message,
               d->first_changing_skip ? " (inconclusive: it may depend on a step the dry run "
                                        "skipped)" : "");
    step_outcome_free(&o);
}

/* The preflight steps, read-only ones run for real on a throwaway context. */
static int check_preflight(DryRun *d, const Plan *plan, const RunOptions *opt, DrillError *err)
{
    Store *mem = NULL;
    int rc = store_open(":memory:", &mem, err);
    RunCtx ctx = {.plan = plan, .store = mem, .fault_mono_us = -1, .recovered_mono_us = -1,
                  .slot_alert_t_ms = -1, .slot_lost_t_ms = -1, .slot_retained_max = -1,
                  .dry_run = true, .stop = runner_stop_signal, .secrets = d->secrets};
    ctx.t0_mono_us = time_mono_us();
    if (rc == 0)
        rc = runner_record_start(plan, mem, opt, NULL, &ctx.run_id, ctx.run_uuid, err);
    if (rc < 0) {
        store_close(mem);
        return rc;
    }
    ctx.local = exec_local_new();
    ctx.remote = xcalloc(plan->topology->nnodes + 1, sizeof *ctx.remote);
    for (size_t i = 0; i < plan->nsteps; i++)
        if (plan->steps[i].step->phase == PHASE_PREFLIGHT)
            check_step(d, &ctx, &plan->steps[i]);
    runctx_captures_free(&ctx);
    steps_release(&ctx);
    exec_free(ctx.local);
    store_close(mem);
    return 0;
}

/* The JSON form of the verdict: closes the "checks" array. */
static int verdict_json(DryRun *d, const char *what, int exit_code)
{
    JsonWriter *w = d->json;
    json_array_end(w);
    json_kv_int(w, "passed", d->passed);
    json_kv_int(w, "failed", d->failed);
    json_kv_int(w, "skipped", d->skipped);
    json_kv_int(w, "inconclusive", d->inconclusive);
    json_kv_string(w, "verdict", what != NULL ? "error" : d->failed > 0 ? "failed" : "passed");
    char *masked = what != NULL ? redact_text(d->secrets, what) : NULL;
    json_kv_string(w, "message", masked != NULL ? masked
                                 : d->failed > 0 ? d->first_failure : NULL);
    free(masked);
    json_kv_int(w, "exit_code", exit_code);
    json_object_end(w);
    return exit_code;
}

static int verdict(DryRun *d, const char *what)
{
    int exit_code = what != NULL || d->failed > 0 ? DRILL_EXIT_ABORTED : DRILL_EXIT_OK;
    if (d->json != NULL)
        return verdict_json(d, what, exit_code);
    if (what != NULL) {
        char *masked = redact_text(d->secrets, what);
        fprintf(d->out, "dry run: the checks could not run: %s\n", masked);
        free(masked);
        return exit_code;
    }
    if (d->failed > 0) {
        fprintf(d->out, "dry run: %d check(s) FAILED, %d passed, %d skipped: a real run would "
                "not get through preflight; first failure: %s\n", d->failed, d->passed,
                d->skipped, d->first_failure);
        return exit_code;
    }
    fprintf(d->out, "dry run: all %d read-only checks passed (%d skipped: not read-only", d->passed,
            d->skipped);
    if (d->inconclusive > 0)
        fprintf(d->out, "; %d inconclusive: they follow skipped step %zu", d->inconclusive,
                d->first_changing_skip);
    fprintf(d->out, "); nothing was changed\n");
    return exit_code;
}

/* The plan shows every command as it would run: masked like the rest. */
static void print_plan_masked(const Plan *plan, const Redactor *secrets, FILE *out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL) {
        fprintf(out, "(the plan cannot be shown: out of memory)\n");
        return;
    }
    runner_print_plan(plan, mem);
    fclose(mem);
    char *masked = redact_text(secrets, text);
    fputs(masked, out);
    free(masked);
    free(text);
}

/* "command": what the step would run, masked like every line. */
static void json_command(DryRun *d, const Plan *plan, const PlanStep *ps)
{
    char *cmd = steps_describe(plan, ps);
    char *masked = redact_text(d->secrets, cmd);
    json_kv_string(d->json, "command", masked);
    free(masked);
    free(cmd);
}

/* One step of the plan as JSON: what runner_print_plan shows, masked. */
static void json_plan_step(DryRun *d, const Plan *plan, const PlanStep *ps)
{
    JsonWriter *w = d->json;
    const Step *s = ps->step;
    json_object_begin(w);
    json_kv_int(w, "number", (int64_t)ps->seq + 1);
    json_kv_string(w, "phase", phase_name(s->phase));
    json_kv_string(w, "name", s->name);
    json_kv_string(w, "kind", s->kind->name);
    json_kv_string(w, "node", ps->node ? ps->node->name : NULL);
    json_kv_int(w, "timeout_ms", s->timeout_ms);
    json_kv_bool(w, "destructive", s->kind->destructive);
    json_command(d, plan, ps);
    json_key(w, "unless");
    if (ps->unless == NULL) {
        json_null(w);
    } else {
        json_object_begin(w);
        json_kv_string(w, "node", ps->unless->node ? ps->unless->node->name : NULL);
        json_kv_int(w, "timeout_ms", ps->unless->step->timeout_ms);
        json_command(d, plan, ps->unless);
        json_object_end(w);
    }
    json_object_end(w);
}

/* The plan as JSON, up to the opening of the "checks" array. */
static void json_plan(DryRun *d, const Plan *plan)
{
    JsonWriter *w = d->json;
    const Scenario *s = plan->scenario;
    char sha[65], objectives[512];
    scenario_sha256(s, sha);
    objectives_describe(&s->objectives, objectives, sizeof objectives);
    json_object_begin(w);
    json_kv_string(w, "drill", s->name);
    json_kv_string(w, "drill_file", s->file);
    json_kv_string(w, "drill_sha256", sha);
    json_kv_string(w, "topology", plan->topology->name);
    json_kv_string(w, "objectives", objectives);
    json_kv_bool(w, "destructive", plan->destructive);
    json_key(w, "steps");
    json_array_begin(w);
    for (size_t i = 0; i < plan->nsteps; i++)
        json_plan_step(d, plan, &plan->steps[i]);
    json_array_end(w);
    json_key(w, "checks");
    json_array_begin(w);
}

static int dry_run(DryRun *d, const Plan *plan, const RunOptions *opt)
{
    if (d->json != NULL) {
        json_plan(d, plan);
    } else {
        print_plan_masked(plan, d->secrets, d->out);
        fprintf(d->out, "read-only checks against topology %s (nothing is changed):\n",
                plan->topology->name);
        fflush(d->out);
    }
    int reached = check_nodes(d, plan->topology);
    if (reached == 0)
        return verdict(d, "no PostgreSQL node of the topology is reachable (is the sandbox "
                          "up? `drill sandbox up`)");
    check_safety(d, plan, opt);
    DrillError err;
    if (check_preflight(d, plan, opt, &err) < 0)
        return verdict(d, err.message);
    return verdict(d, NULL);
}

int runner_dry_run(const Plan *plan, const RunOptions *opt, FILE *out)
{
    DryRun d = {.out = out, .secrets = runner_secrets_collect()};
    int rc = dry_run(&d, plan, opt);
    redact_free(d.secrets);
    return rc;
}

int runner_dry_run_json(const Plan *plan, const RunOptions *opt, JsonWriter *w)
{
    DryRun d = {.json = w, .secrets = runner_secrets_collect()};
    int rc = dry_run(&d, plan, opt);
    redact_free(d.secrets);
    return rc;
}
