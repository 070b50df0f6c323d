/*
 * steps.c — step dispatch and the helpers every step kind shares: running an
 * argv on a node within the step's deadline and collecting bounded evidence.
 * The kinds themselves live in one file per family (steps_pg.c,
 * steps_barman.c, steps_probe.c, ...), found through the table in kinds.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runctx.h"
#include "nodeexec.h"
#include "steps_kinds.h"

const char *step_status_name(StepStatus s)
{
    static const char *const names[] = {"ok", "failed", "error", "timeout", "skipped"};
    return names[s];
}

void step_outcome_init(StepOutcome *o)
{
    memset(o, 0, sizeof *o);
    buf_init(&o->command, 16 * 1024);
    buf_init(&o->out, STEP_OUTPUT_LIMIT);
    buf_init(&o->err, STEP_OUTPUT_LIMIT);
    o->exit_code = -1;
}

void step_outcome_free(StepOutcome *o)
{
    buf_free(&o->command);
    buf_free(&o->out);
    buf_free(&o->err);
}

StepStatus step_set(StepOutcome *o, StepStatus status, const char *fmt, ...)
{
    o->status = status;
    /* Masked, then cut: the store and the progress mask again, but a secret
     * cut in two would no longer be recognised there. 8 KB is far past the
     * message's size and any secret's end. */
    enum { FULL_MAX = 8192 };
    char *full = xmalloc(FULL_MAX);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(full, FULL_MAX, fmt, ap);
    va_end(ap);
    char *masked = redact_text(o->secrets, full);
    snprintf(o->message, sizeof o->message, "%s", masked);
    free(masked);
    free(full);
    return status;
}

bool runctx_stopping(const RunCtx *ctx)
{
    return ctx->stop != NULL && ctx->stop() != 0;
}

int64_t step_remaining_ms(int64_t deadline_mono_us)
{
    int64_t left = (deadline_mono_us - time_mono_us()) / 1000;
    return left > 0 ? left : 1;
}

/* Environment a node's commands see: where the node is, without a shell
 * having to parse the topology. */
static char **node_env(RunCtx *ctx, const Node *node)
{
    char **env = xcalloc(15, sizeof *env);
    size_t n = 0;
    env[n++] = xasprintf("DRILL_RUN_ID=%lld", (long long)ctx->run_id);
    env[n++] = xasprintf("DRILL_RUN_UUID=%s", ctx->run_uuid);
    if (node != NULL) {
        env[n++] = xasprintf("DRILL_NODE=%s", node->name);
        env[n++] = xasprintf("DRILL_ROLE=%s", node_role_name(node->role));
        if (node->data_directory != NULL)
            env[n++] = xasprintf("DRILL_DATA_DIRECTORY=%s", node->data_directory);
        /* What pg_ctl -D takes: postgresql.conf's directory (Debian layouts
         * keep it outside PGDATA). */
        if (node->data_directory != NULL)
            env[n++] = xasprintf("DRILL_CONFIG_DIRECTORY=%s", node->config_directory != NULL
                                 ? node->config_directory : node->data_directory);
        if (node->conninfo != NULL)
            env[n++] = xasprintf("DRILL_CONNINFO=%s", node->conninfo);
        if (node->log_file != NULL)
            env[n++] = xasprintf("DRILL_LOG_FILE=%s", node->log_file);
        if (node->bin_directory != NULL)
            env[n++] = xasprintf("DRILL_BIN_DIRECTORY=%s", node->bin_directory);
        if (node->barman_config != NULL)
            env[n++] = xasprintf("DRILL_BARMAN_CONFIG=%s", node->barman_config);
        if (node->barman_server != NULL)
            env[n++] = xasprintf("DRILL_BARMAN_SERVER=%s", node->barman_server);
        if (node->pgbackrest_config != NULL)
            env[n++] = xasprintf("DRILL_PGBACKREST_CONFIG=%s", node->pgbackrest_config);
        if (node->pgbackrest_stanza != NULL)
            env[n++] = xasprintf("DRILL_PGBACKREST_STANZA=%s", node->pgbackrest_stanza);
    }
    env[n] = NULL;
    return env;
}

static void env_free(char **env)
{
    for (char **p = env; *p != NULL; p++)
        free(*p);
    free(env);
}

/* Evidence of the host key a node presented: its fingerprint, and whether
 * it was trusted on first use in this run (then written to known_hosts). */
static void record_hostkey(RunCtx *ctx, const Node *node, Executor *ex)
{
    char *key = xasprintf("ssh_hostkey:%s", node->name);
    char *value = xasprintf("%s %s", exec_ssh_hostkey_type(ex), exec_ssh_hostkey_fingerprint(ex));
    store_fact_add(ctx->store, ctx->run_id, key, value, NULL);
    free(key);
    free(value);
    if (!exec_ssh_hostkey_added(ex))
        return;
    key = xasprintf("ssh_hostkey_added:%s", node->name);
    value = xasprintf("unknown host key of %s:%d trusted on first use and written to %s",
                      node->ssh.host, node->ssh.port,
                      node->ssh.known_hosts ? node->ssh.known_hosts : "~/.ssh/known_hosts");
    store_fact_add(ctx->store, ctx->run_id, key, value, NULL);
    free(key);
    free(value);
}

/* The executor of a node: the local one, or the node's SSH executor, created
 * and connected on first use (host key verified and recorded then). A failed
 * connect leaves no executor, so the next step tries again. */
static int node_executor(RunCtx *ctx, const Node *node, Executor **out, DrillError *err)
{
    *out = ctx->local;
    if (node == NULL || node->access != ACCESS_SSH || ctx->remote == NULL)
        return 0;
    size_t i = (size_t)(node - ctx->plan->topology->nodes);
    if (ctx->remote[i] != NULL) {
        *out = ctx->remote[i];
        return 0;
    }
    /* A dry run writes no known_hosts file. */
    bool accept = !ctx->dry_run && (node->ssh.accept_new_hostkey || ctx->accept_new_hostkey);
    Executor *ex;
    int rc = node_exec_open(node, accept, &ex, err);
    if (rc < 0)
        return rc;
    record_hostkey(ctx, node, ex);
    ctx->remote[i] = *out = ex;
    return 0;
}

void steps_release(RunCtx *ctx)
{
    for (size_t i = 0; ctx->remote != NULL && i < ctx->plan->topology->nnodes; i++)
        exec_free(ctx->remote[i]);
    free(ctx->remote);
    ctx->remote = NULL;
}

static void append_output(StepOutcome *o, const ExecResult *r)
{
    buf_append(&o->out, r->out, r->out_len);
    buf_append(&o->err, r->err, r->err_len);
    if (r->out_truncated)
        buf_appends(&o->out, "\n[output truncated]\n");
    if (r->err_truncated)
        buf_appends(&o->err, "\n[output truncated]\n");
}

/* Whether a line of output says why a command failed (barman's "ERROR:",
 * PostgreSQL's "FATAL:", `barman check`'s "FAILED", "error:" of most tools). */
static bool line_says_why(const char *line, size_t len)
{
    static const char *const marks[] = {"ERROR", "FATAL", "FAILED", "error:", "Error:"};
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
        size_t ml = strlen(marks[m]);
        for (size_t i = 0; i + ml <= len; i++)
            if (memcmp(line + i, marks[m], ml) == 0)
                return true;
    }
    return false;
}

/* Start of the line that says why in text[0..len): the last one marked as
 * an error, else the last non-empty one; *end is where that line ends. */
static size_t why_line(const char *text, size_t len, size_t *end)
{
    size_t best = len, best_end = len, pos = len;
    while (pos > 0) {
        size_t e = pos;
        while (e > 0 && (text[e - 1] == '\n' || text[e - 1] == '\r' || text[e - 1] == ' '))
            e--;
        size_t b = e;
        while (b > 0 && text[b - 1] != '\n')
            b--;
        if (e > b && best == len) {
            best = b;
            best_end = e;
        }
        if (e > b && line_says_why(text + b, e - b)) {
            *end = e;
            return b;
        }
        pos = b;
    }
    *end = best_end;
    return best;
}

/* The line of a failed command's output (stderr first) that says why,
 * control characters blanked: what a failed barman, pg_ctl or pg_basebackup
 * says belongs in the one-line step message, not only in the output. Masked
 * whole before it is cut to outsz: a cut secret would not be recognised. */
static void output_tail(const ExecResult *r, const Redactor *secrets, char *out, size_t outsz)
{
    bool use_err = r->err_len > 0;
    const char *text = use_err ? r->err : r->out;
    size_t end = 0, start = why_line(text, use_err ? r->err_len : r->out_len, &end);
    if (use_err && !line_says_why(text + start, end - start) && r->out_len > 0) {
        size_t oend = 0, ostart = why_line(r->out, r->out_len, &oend);
        if (line_says_why(r->out + ostart, oend - ostart)) {
            text = r->out;
            start = ostart;
            end = oend;
        }
    }
    while (start < end && (text[start] == ' ' || text[start] == '\t'))
        start++;
    char *line = xmalloc(end - start + 1);   /* bounded by the output limit */
    size_t n = 0;
    for (size_t i = start; i < end; i++)
        line[n++] = (unsigned char)text[i] < 0x20 ? ' ' : text[i];
    line[n] = '\0';
    char *masked = redact_text(secrets, line);
    snprintf(out, outsz, "%s", masked);
    free(masked);
    free(line);
}

/* A command that exited with the wrong status: its command (cut so that
 * the output's last line still fits the message) and that line, each
 * masked before it is cut. */
static void step_set_exit(StepOutcome *o, const char *cmd, const ExecResult *r, int expect_exit)
{
    char tail[240];
    output_tail(r, o->secrets, tail, sizeof tail);
    char *masked = redact_text(o->secrets, cmd);
    int room = (int)(sizeof o->message) - (int)strlen(tail) - 64;
    step_set(o, STEP_FAILED, "`%.*s` exited with status %d (expected %d)%s%s", room, masked,
             r->exit_code, expect_exit, tail[0] != '\0' ? ": " : "", tail);
    free(masked);
}

int step_run_argv(RunCtx *ctx, const Node *node, char *const *argv, int expect_exit,
                  int64_t deadline_mono_us, StepOutcome *o)
{
    char *cmd = exec_argv_format(argv);
    if (o->command.len > 0)
        buf_appends(&o->command, "\n");
    if (node != NULL && node->access == ACCESS_SSH)
        buf_appendf(&o->command, "[ssh %s:%d] ", node->ssh.host, node->ssh.port);
    buf_appends(&o->command, cmd);
    char **env = node_env(ctx, node);
    ExecRequest req = {
        .argv = argv,
        .run_as = node != NULL ? node->os_user : NULL,
        .env_extra = env,
        .timeout_ms = step_remaining_ms(deadline_mono_us),
        .output_limit = STEP_OUTPUT_LIMIT,
        .cancelled = ctx->stop,
    };
    ExecResult r;
    memset(&r, 0, sizeof r);
    DrillError err;
    Executor *ex;
    int rc = node_executor(ctx, node, &ex, &err);
    if (rc == 0)
        rc = exec_run(ex, &req, &r, &err);
    env_free(env);
    int result = -1;
    o->exit_code = r.exit_code;
    o->term_signal = r.term_signal;
    if (rc < 0)
        step_set(o, STEP_ERROR, "%s", err.message);
    else {
        append_output(o, &r);
        if (r.cancelled)
            step_set(o, STEP_ERROR, "`%s` was stopped: drill was interrupted", cmd);
        else if (r.timed_out)
            step_set(o, STEP_TIMEOUT, "`%s` did not finish before the step's timeout", cmd);
        else if (r.term_signal != 0)
            step_set(o, STEP_FAILED, "`%s` was killed by signal %d", cmd, r.term_signal);
        else if (r.exit_code != expect_exit)
            step_set_exit(o, cmd, &r, expect_exit);
        else
            result = 0;
    }
    exec_result_clear(&r);
    free(cmd);
    return result;
}

/* ---- run-time captures ---------------------------------------------------- */

const char *runctx_capture_lookup(void *ud, const char *name)
{
    const RunCtx *ctx = ud;
    for (size_t i = 0; i < ctx->ncaptures; i++)
        if (strcmp(ctx->captures[i].name, name) == 0)
            return ctx->captures[i].value;
    return NULL;
}

int runctx_capture_set(RunCtx *ctx, const char *name, const char *value, DrillError *err)
{
    if (strlen(value) > CAPTURE_VALUE_MAX)
        return drill_error_set(err, DRILL_E_INVALID, "value to capture as \"%s\" is longer than "
                               "%d bytes", name, CAPTURE_VALUE_MAX);
    size_t i = 0;
    while (i < ctx->ncaptures && strcmp(ctx->captures[i].name, name) != 0)
        i++;
    if (i == ctx->ncaptures) {
        /* Names come from the drill's steps: their number is bounded by the file. */
        ctx->captures = xrealloc(ctx->captures, (i + 1) * sizeof *ctx->captures);
        ctx->captures[i].name = xstrdup(name);
        ctx->captures[i].value = NULL;
        ctx->ncaptures++;
    }
    free(ctx->captures[i].value);
    ctx->captures[i].value = xstrdup(value);
    char *key = xasprintf("capture.%s", name);
    int rc = store_fact_add(ctx->store, ctx->run_id, key, value, err);
    free(key);
    return rc;
}

void runctx_captures_free(RunCtx *ctx)
{
    for (size_t i = 0; i < ctx->ncaptures; i++) {
        free(ctx->captures[i].name);
        free(ctx->captures[i].value);
    }
    free(ctx->captures);
    ctx->captures = NULL;
    ctx->ncaptures = 0;
}

/* ---- dispatch ---------------------------------------------------------------- */

void steps_execute(RunCtx *ctx, const PlanStep *ps, int64_t deadline_mono_us, StepOutcome *o)
{
    o->status = STEP_OK;
    o->exit_code = -1;
    o->term_signal = 0;
    o->message[0] = '\0';
    o->secrets = ctx->secrets;
    /* The one place `${capture.NAME}` is expanded: every kind sees plain
     * values through a resolved copy of its step. */
    PlanStep resolved = *ps;
    Step *copy = NULL;
    DrillError err;
    if (step_has_deferred(ps->step) &&
        step_resolve(ps->step, runctx_capture_lookup, ctx, &copy, &err) < 0) {
        step_set(o, STEP_ERROR, "%s", err.message);
        return;
    }
    if (copy != NULL)
        resolved.step = copy;
    const StepKindImpl *kind = step_kind_impl(ps->step->kind->id);
    if (kind != NULL)
        kind->run(ctx, &resolved, deadline_mono_us, o);
    else
        step_set(o, STEP_ERROR, "step kind %d has no implementation", (int)ps->step->kind->id);
    step_resolved_free(copy);
    if (o->status == STEP_OK && time_mono_us() > deadline_mono_us)
        step_set(o, STEP_TIMEOUT, "step took longer than its timeout");
}

/* Dry runs and skipped steps show `${capture.NAME}` as written: the value
 * exists only once the capturing step has run. */
char *steps_describe(const Plan *plan, const PlanStep *ps)
{
    PlanStep shown = *ps;
    Step *copy = NULL;
    if (step_has_deferred(ps->step) && step_resolve(ps->step, NULL, NULL, &copy, NULL) == 0)
        shown.step = copy;
    char *text = step_describe_kind(plan, &shown);
    step_resolved_free(copy);
    return text;
}
