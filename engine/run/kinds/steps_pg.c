/*
 * steps_pg.c — step kinds that act on a PostgreSQL node: SQL, start/stop/kill,
 * wiping and re-cloning a data directory, rewind, promotion and slots.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "steps_kinds.h"

#define CONNECT_TIMEOUT_MS 5000
/* "cannot execute X in a read-only transaction"; "X cannot run inside a
 * transaction block" (CREATE/DROP DATABASE, ALTER SYSTEM, VACUUM, ...). */
#define SQLSTATE_READ_ONLY_TX "25006"
#define SQLSTATE_IN_TX_BLOCK "25001"

/* Runs an argv built by one of the cmd_* builders. */
static StepStatus run_built(RunCtx *ctx, const Node *n, Argv *a, int64_t deadline,
                            StepOutcome *o)
{
    step_run_argv(ctx, n, a->v, 0, deadline, o);
    argv_free(a);
    return o->status;
}

static int64_t connect_budget(int64_t deadline)
{
    int64_t left = step_remaining_ms(deadline);
    return left < CONNECT_TIMEOUT_MS ? left : CONNECT_TIMEOUT_MS;
}

PgConn *step_connect(const Node *n, const char *conninfo, int64_t deadline, StepOutcome *o)
{
    PgConn *c = NULL;
    DrillError err;
    if (pg_connect(conninfo != NULL ? conninfo : n->conninfo, connect_budget(deadline), &c,
                   &err) < 0) {
        step_set(o, STEP_ERROR, "cannot connect to %s (node at line %d of the topology): %s",
                 n->name, n->line, err.message);
        return NULL;
    }
    return c;
}

/* Checks a sql step's expectations, then captures its first value. */
PgConn *step_connect_database(const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    char *conninfo = NULL;
    const char *db = step_str(ps->step, "database", NULL);
    DrillError err;
    if (db != NULL && pg_conninfo_with_db(ps->node->conninfo, db, &conninfo, &err) < 0) {
        step_set(o, STEP_ERROR, "%s", err.message);
        return NULL;
    }
    PgConn *c = step_connect(ps->node, conninfo, deadline, o);
    free(conninfo);
    return c;
}

static void sql_judge(RunCtx *ctx, const Step *s, const char *value, long nrows, StepOutcome *o)
{
    const char *expect = step_str(s, "expect", NULL);
    int64_t expect_rows = step_int(s, "expect_rows", -1);
    const char *capture = step_str(s, "capture", NULL);
    DrillError err;
    if (expect != NULL && !str_eq(value, expect))
        step_set(o, STEP_FAILED, "expected \"%s\", got \"%s\"", expect, value ? value : "(no row)");
    else if (expect_rows >= 0 && nrows != expect_rows)
        step_set(o, STEP_FAILED, "expected %lld row(s), got %ld", (long long)expect_rows, nrows);
    else if (capture != NULL && value == NULL)
        step_set(o, STEP_FAILED, "nothing to capture as \"%s\": no row, or NULL", capture);
    else if (capture != NULL && runctx_capture_set(ctx, capture, value, &err) < 0)
        step_set(o, STEP_ERROR, "%s", err.message);
    else if (capture != NULL)
        step_set(o, STEP_OK, "captured %s = %s", capture, value);
    else
        step_set(o, STEP_OK, "%s", value ? value : "no rows");
}

void sql_command_show(Buf *b, const StepParam *q)
{
    buf_appends(b, q != NULL && q->value != NULL ? q->value : "");
    for (size_t i = 0; q != NULL && i < q->nbind; i++) {
        buf_appendf(b, "\n-- $%zu = capture.%s = '", i + 1, q->bind_name[i]);
        for (const char *v = q->bind[i]; *v != '\0'; v++) {
            if (*v == '\'')
                buf_appends(b, "'");   /* doubled */
            buf_append(b, v, 1);
        }
        buf_appends(b, "'");
    }
}

int user_sql(PgConn *c, bool read_only, const StepParam *q, char **value, long *nrows,
             DrillError *err)
{
    const char *sql = q != NULL && q->value != NULL ? q->value : "";
    int n = q != NULL ? (int)q->nbind : 0;
    const char *const *params = q != NULL ? (const char *const *)q->bind : NULL;
    return read_only ? pg_user_sql_read_only(c, sql, n, params, value, nrows, err)
                     : pg_user_sql(c, sql, n, params, value, nrows, err);
}

StepStatus step_sql(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const Step *s = ps->step;
    const StepParam *query = step_param(s, "query");
    sql_command_show(&o->command, query);
    PgConn *c = step_connect_database(ps, deadline, o);
    if (c == NULL)
        return o->status;
    DrillError err;
    char *value = NULL;
    long nrows = 0;
    int rc = user_sql(c, ctx->dry_run, query, &value, &nrows, &err);
    if (rc < 0) {
        /* A dry run learns that the step writes: not a failed check. */
        bool refused = ctx->dry_run && (str_eq(pg_last_sqlstate(c), SQLSTATE_READ_ONLY_TX) ||
                                        str_eq(pg_last_sqlstate(c), SQLSTATE_IN_TX_BLOCK));
        pg_close(c);
        if (refused)
            return step_set(o, STEP_SKIPPED, "it writes: the server refused it in the read-only "
                            "transaction (%s)", err.message);
        return step_set(o, STEP_FAILED, "%s", err.message);
    }
    pg_close(c);
    buf_appendf(&o->out, "%ld row(s); first value: %s\n", nrows, value ? value : "(none)");
    sql_judge(ctx, s, value, nrows, o);
    free(value);
    return o->status;
}

StepStatus steps_start_node(RunCtx *ctx, const Node *n, bool wait, int64_t deadline,
                            StepOutcome *o)
{
    Argv a = {.n = 0};
    cmd_pg_ctl_start(n, &a);
    if (run_built(ctx, n, &a, deadline, o) != STEP_OK || !wait)
        return o->status;
    DrillError err;
    int rc = pg_wait_ready_local(n->conninfo, topology_local_data_directory(n), PG_READY_ACCEPTING,
                                 step_remaining_ms(deadline), 10, &err);
    if (rc < 0)
        return step_set(o, rc == DRILL_E_TIMEOUT ? STEP_TIMEOUT : STEP_ERROR,
                        "%s did not accept connections: %s", n->name, err.message);
    return step_set(o, STEP_OK, "%s accepts connections", n->name);
}

StepStatus step_pg_start(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    return steps_start_node(ctx, ps->node, step_bool(ps->step, "wait", true), deadline, o);
}

static void stop_if_running(RunCtx *ctx, const Node *n, const char *mode, int64_t deadline,
                            StepOutcome *o);

StepStatus step_pg_stop(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const char *mode = step_str(ps->step, "mode", "fast");
    if (step_bool(ps->step, "if_running", false)) {
        stop_if_running(ctx, ps->node, mode, deadline, o);
        return o->status == STEP_OK ? step_set(o, STEP_OK, "%s is stopped", ps->node->name)
                                    : o->status;
    }
    Argv a = {.n = 0};
    cmd_pg_ctl_stop(ps->node, mode, step_remaining_ms(deadline), &a);
    return run_built(ctx, ps->node, &a, deadline, o);
}

StepStatus step_pg_kill(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    Argv a = {.n = 0};
    cmd_pg_kill(ps->node, step_str(ps->step, "signal", "KILL"), &a);
    return run_built(ctx, ps->node, &a, deadline, o);
}

/* Refuses data directories whose deletion could never be what a drill means. */
static bool datadir_is_sane(const char *d)
{
    return d != NULL && d[0] == '/' && strlen(d) > 4 && strcmp(d, "/") != 0 &&
           strstr(d, "/..") == NULL;
}

StepStatus step_wipe_datadir(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    if (!datadir_is_sane(ps->node->data_directory))
        return step_set(o, STEP_ERROR, "refusing to wipe data directory \"%s\" of %s",
                        ps->node->data_directory ? ps->node->data_directory : "",
                        ps->node->name);
    Argv a = {.n = 0};
    cmd_wipe(ps->node, &a);
    return run_built(ctx, ps->node, &a, deadline, o);
}

/* Stops a server if it runs; "not running" (pg_ctl exits 1) is fine here,
 * because a re-clone or rewind target may already be down. */
static void stop_if_running(RunCtx *ctx, const Node *n, const char *mode, int64_t deadline,
                            StepOutcome *o)
{
    Argv a = {.n = 0};
    cmd_pg_ctl_stop(n, mode, step_remaining_ms(deadline), &a);
    if (step_run_argv(ctx, n, a.v, 0, deadline, o) < 0 && o->status == STEP_FAILED &&
        o->exit_code == 1) {
        o->status = STEP_OK;
        o->message[0] = '\0';
    }
    argv_free(&a);
}

/* Wipes n and clones it from source as a standby streaming through slot;
 * shared by base_backup and rewind's reclone fallback. */
static StepStatus reclone(RunCtx *ctx, const Node *n, const Node *source, const char *slot,
                          bool start, int64_t deadline, StepOutcome *o)
{
    if (!datadir_is_sane(n->data_directory))
        return step_set(o, STEP_ERROR, "refusing to re-clone into \"%s\"", n->data_directory);
    stop_if_running(ctx, n, "immediate", deadline, o);
    if (o->status != STEP_OK)
        return o->status;
    Argv a = {.n = 0};
    cmd_wipe(n, &a);
    if (run_built(ctx, n, &a, deadline, o) != STEP_OK)
        return o->status;
    cmd_basebackup(n, source, slot, &a);
    if (run_built(ctx, n, &a, deadline, o) != STEP_OK)
        return o->status;
    if (!start)
        return step_set(o, STEP_OK, "%s re-cloned from %s", n->name, source->name);
    return steps_start_node(ctx, n, true, deadline, o);
}

StepStatus step_base_backup(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const Node *n = ps->node;
    return reclone(ctx, n, plan_param_node(ctx->plan, ps, "source"),
                   step_str(ps->step, "slot", n->slot_name), step_bool(ps->step, "start", true),
                   deadline, o);
}

/* pg_rewind on a stopped node, then the slot it should stream through. */
static int rewind_once(RunCtx *ctx, const Node *n, const Node *source, const char *slot,
                       int64_t deadline, StepOutcome *o)
{
    Argv a = {.n = 0};
    cmd_rewind(n, source, &a);
    if (run_built(ctx, n, &a, deadline, o) != STEP_OK)
        return -1;
    if (slot != NULL) {
        cmd_append_slot(n, slot, &a);
        if (run_built(ctx, n, &a, deadline, o) != STEP_OK)
            return -1;
    }
    return 0;
}

/* Which repair ran, for reports (a later rewind step overwrites it). */
static void record_method(RunCtx *ctx, const Node *n, const char *method, StepOutcome *o)
{
    store_fact_add(ctx->store, ctx->run_id, "repair.method", method, NULL);
    buf_appendf(&o->out, "repair.method=%s (%s)\n", method, n->name);
}

/* pg_rewind failed: with `fallback: reclone` the node is re-cloned instead
 * (a timeout or an interruption is not a failure of pg_rewind: no fallback). */
static StepStatus rewind_fallback(RunCtx *ctx, const PlanStep *ps, const Node *source,
                                  const char *slot, int64_t deadline, StepOutcome *o)
{
    const Node *n = ps->node;
    if (strcmp(step_str(ps->step, "fallback", "none"), "reclone") != 0 ||
        o->status == STEP_TIMEOUT || runctx_stopping(ctx))
        return o->status;
    char why[sizeof o->message];
    snprintf(why, sizeof why, "%s", o->message);
    buf_appendf(&o->err, "\ndrill: pg_rewind failed (%s): re-cloning %s from %s\n", why,
                n->name, source->name);
    o->status = STEP_OK;
    record_method(ctx, n, "reclone", o);
    if (reclone(ctx, n, source, slot != NULL ? slot : n->slot_name,
                step_bool(ps->step, "start", true), deadline, o) == STEP_OK)
        step_set(o, STEP_OK, "pg_rewind failed (%s); %s re-cloned from %s instead", why, n->name,
                 source->name);
    return o->status;
}

StepStatus step_rewind(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const Node *n = ps->node;
    const Node *source = plan_param_node(ctx->plan, ps, "source");
    const char *slot = step_str(ps->step, "slot", NULL);
    /* Checked before it is written into a configuration file. */
    if (slot != NULL && !str_is_pg_name(slot))
        return step_set(o, STEP_ERROR, "invalid slot name \"%s\" (lower-case letters, digits, _)",
                        slot);
    /* pg_rewind needs a cleanly shut down target. */
    stop_if_running(ctx, n, "fast", deadline, o);
    if (o->status != STEP_OK)
        return o->status;
    if (rewind_once(ctx, n, source, slot, deadline, o) < 0)
        return rewind_fallback(ctx, ps, source, slot, deadline, o);
    record_method(ctx, n, "rewind", o);
    if (step_bool(ps->step, "start", true) && steps_start_node(ctx, n, true, deadline, o) != STEP_OK)
        return o->status;
    return step_set(o, STEP_OK, "%s rewound from %s%s", n->name, source->name,
                    step_bool(ps->step, "start", true) ? " and started" : "");
}

StepStatus step_promote(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    buf_appends(&o->command, "select pg_promote(true, 60)");
    PgConn *c = step_connect(ps->node, NULL, deadline, o);
    if (c == NULL)
        return o->status;
    DrillError err;
    int64_t left = step_remaining_ms(deadline) / 1000;
    int rc = pg_promote(c, step_bool(ps->step, "wait", true) ? (int)(left > 0 ? left : 1) : 0,
                        &err);
    pg_close(c);
    if (rc < 0)
        return step_set(o, STEP_FAILED, "promotion of %s failed: %s", ps->node->name, err.message);
    return step_set(o, STEP_OK, "%s promoted", ps->node->name);
}

static StepStatus slot_change(const PlanStep *ps, bool create, int64_t deadline, StepOutcome *o)
{
    const char *slot = step_str(ps->step, "slot", "");
    buf_appendf(&o->command, "%s physical slot %s", create ? "create" : "drop", slot);
    PgConn *c = step_connect(ps->node, NULL, deadline, o);
    if (c == NULL)
        return o->status;
    DrillError err;
    PgSlot *slots = NULL;
    size_t n = 0;
    bool exists = false;
    if (pg_slots(c, &slots, &n, &err) == 0)
        for (size_t i = 0; i < n; i++)
            exists = exists || strcmp(slots[i].name, slot) == 0;
    free(slots);
    int rc = 0;
    if (exists == create && step_bool(ps->step, "if_exists", false))
        step_set(o, STEP_OK, "slot %s %s", slot, create ? "already exists" : "is absent");
    else if ((rc = create ? pg_slot_create(c, slot, &err) : pg_slot_drop(c, slot, &err)) < 0)
        step_set(o, STEP_FAILED, "%s", err.message);
    else
        step_set(o, STEP_OK, "slot %s %s on %s", slot, create ? "created" : "dropped",
                 ps->node->name);
    pg_close(c);
    return o->status;
}

StepStatus step_slot_create(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    return slot_change(ps, true, deadline, o);
}

StepStatus step_slot_drop(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    return slot_change(ps, false, deadline, o);
}

/* ---- dry-run descriptions: the same builders as the steps above ---- */

/* Everything a sql step asks, as it will be sent. */
char *sql_describe(const Plan *p, const PlanStep *ps)
{
    const Step *s = ps->step;
    const char *db = step_str(s, "database", NULL), *expect = step_str(s, "expect", NULL);
    const char *capture = step_str(s, "capture", NULL);
    int64_t rows = step_int(s, "expect_rows", -1);
    char nrows[32] = "";
    if (rows >= 0)
        snprintf(nrows, sizeof nrows, "; expect %lld row(s)", (long long)rows);
    return xasprintf("SQL%s%s: %s%s%s%s%s%s", db ? " in database " : "", db ? db : "",
                     step_str(s, "query", ""), expect ? "; expect first value = " : "",
                     expect ? expect : "", nrows, capture ? "; capture as " : "",
                     capture ? capture : "");
}

static char *start_text(const Node *n, bool wait)
{
    Argv a = {.n = 0};
    cmd_pg_ctl_start(n, &a);
    char *cmd = describe_argv(NULL, &a);
    char *text = xasprintf("%s%s", cmd, wait ? "\nthen poll every 10ms until it accepts "
                                               "connections" : "");
    free(cmd);
    return text;
}

char *pg_start_describe(const Plan *p, const PlanStep *ps)
{
    return start_text(ps->node, step_bool(ps->step, "wait", true));
}

char *pg_stop_describe(const Plan *p, const PlanStep *ps)
{
    Argv a = {.n = 0};
    cmd_pg_ctl_stop(ps->node, step_str(ps->step, "mode", "fast"), ps->step->timeout_ms, &a);
    return describe_argv(NULL, &a);
}

char *pg_kill_describe(const Plan *p, const PlanStep *ps)
{
    Argv a = {.n = 0};
    cmd_pg_kill(ps->node, step_str(ps->step, "signal", "KILL"), &a);
    return describe_argv(NULL, &a);
}

char *wipe_datadir_describe(const Plan *p, const PlanStep *ps)
{
    Argv a = {.n = 0};
    cmd_wipe(ps->node, &a);
    return describe_argv(NULL, &a);
}

/* "stop (if running)", wipe, pg_basebackup, start: what reclone() runs. */
static char *reclone_text(const Node *n, const Node *source, const char *slot, bool start,
                          int64_t timeout_ms)
{
    Argv a = {.n = 0};
    cmd_pg_ctl_stop(n, "immediate", timeout_ms, &a);
    char *stop = describe_argv(NULL, &a);
    cmd_wipe(n, &a);
    char *wipe = describe_argv(NULL, &a);
    cmd_basebackup(n, source, slot, &a);
    char *clone = describe_argv(NULL, &a);
    char *run = start ? start_text(n, true) : xstrdup("(not started: start: false)");
    char *text = xasprintf("%s   (exit 1, not running, is fine)\n%s\n%s\n%s", stop, wipe, clone,
                           run);
    free(stop);
    free(wipe);
    free(clone);
    free(run);
    return text;
}

char *base_backup_describe(const Plan *p, const PlanStep *ps)
{
    const Node *n = ps->node;
    return reclone_text(n, plan_param_node(p, ps, "source"),
                        step_str(ps->step, "slot", n->slot_name),
                        step_bool(ps->step, "start", true), ps->step->timeout_ms);
}

char *rewind_describe(const Plan *p, const PlanStep *ps)
{
    const Node *n = ps->node, *source = plan_param_node(p, ps, "source");
    const char *slot = step_str(ps->step, "slot", NULL);
    bool start = step_bool(ps->step, "start", true);
    Argv a = {.n = 0};
    cmd_pg_ctl_stop(n, "fast", ps->step->timeout_ms, &a);
    char *stop = describe_argv(NULL, &a);
    cmd_rewind(n, source, &a);
    char *rewind = describe_argv(NULL, &a);
    if (slot != NULL)
        cmd_append_slot(n, slot, &a);
    char *append = slot != NULL ? describe_argv(NULL, &a) : xstrdup("");
    char *run = start ? start_text(n, true) : xstrdup("");
    char *fallback = strcmp(step_str(ps->step, "fallback", "none"), "reclone") == 0
                         ? reclone_text(n, source, slot ? slot : n->slot_name, start,
                                        ps->step->timeout_ms)
                         : NULL;
    char *text = xasprintf("%s   (exit 1, not running, is fine)\n%s%s%s%s%s%s%s", stop, rewind,
                           slot ? "\n" : "", append, start ? "\n" : "", run,
                           fallback ? "\nif pg_rewind fails, re-clone instead:\n" : "",
                           fallback ? fallback : "");
    free(stop);
    free(rewind);
    free(append);
    free(run);
    free(fallback);
    return text;
}

char *promote_describe(const Plan *p, const PlanStep *ps)
{
    return xasprintf("SQL: select pg_promote(true, %s)",
                     step_bool(ps->step, "wait", true) ? "<seconds left in the step>" : "60");
}

static char *slot_text(const Step *s, bool create)
{
    const char *slot = step_str(s, "slot", "");
    const char *unless = !step_bool(s, "if_exists", false) ? ""
                         : create                         ? " unless it exists"
                                                          : " unless it is absent";
    return xasprintf("SQL: select pg_replication_slots (does %s exist?), then select "
                     "%s('%s'%s)%s", slot,
                     create ? "pg_create_physical_replication_slot" : "pg_drop_replication_slot",
                     slot, create ? ", true" : "", unless);
}

char *slot_create_describe(const Plan *p, const PlanStep *ps)
{
    return slot_text(ps->step, true);
}

char *slot_drop_describe(const Plan *p, const PlanStep *ps)
{
    return slot_text(ps->step, false);
}
