/*
 * steps_pgbackrest.c — pgBackRest step kinds: plain pgbackrest commands for
 * the backup node's stanza, and `pgbackrest restore` into a node's data
 * directory.
 *
 * Where each command runs follows pgBackRest's own model: backup, check,
 * verify, info and expire run on the backup node (the repository host, or
 * the database host when the repository is local to it); restore runs on
 * the host of the data directory it fills (pgBackRest reaches a remote
 * repository itself, through repo1-host), with the same configuration path
 * and stanza. pgBackRest writes the restore_command itself (`pgbackrest
 * archive-get`, the options of the restore command line included), so
 * recovery fetches every archived segment it needs; what was never archived
 * (the segment the primary was writing) is not in the repository — the RPO
 * a segment-archiving backup gives, which primary-wipe-pgbackrest measures.
 *
 * Every command runs with --log-level-console=info: the step's output then
 * says what pgBackRest did (the backup label, the files restored, the
 * recovery settings written) whatever the configuration's console level.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <string.h>

#include "steps_kinds.h"

static void add_common(const Node *backup, Argv *a)
{
    argv_add(a, "pgbackrest");
    if (backup->pgbackrest_config != NULL)
        argv_addf(a, "--config=%s", backup->pgbackrest_config);
    argv_addf(a, "--stanza=%s", backup->pgbackrest_stanza ? backup->pgbackrest_stanza : "");
    argv_add(a, "--log-level-console=info");
}

void cmd_pgbackrest(const Node *backup, const char *command, const char *type, char *const *args,
                    Argv *a)
{
    add_common(backup, a);
    if (type != NULL && strcmp(command, "backup") == 0)
        argv_addf(a, "--type=%s", type);
    argv_add(a, command);
    argv_add_list(a, args);
}

static void cmd_step(const PlanStep *ps, Argv *a)
{
    cmd_pgbackrest(ps->node, step_str(ps->step, "command", ""), step_str(ps->step, "type", NULL),
                   step_list(ps->step, "args"), a);
}

/* `pgbackrest verify` (2.45) exits 0 whatever it finds: measured with one
 * byte flipped in a backed-up file, it printed "status: invalid ...
 * checksum invalid: 1" and "verify command end: completed successfully".
 * The step reads its report instead: any backup or archive range that is
 * not valid fails it, with pgBackRest's lines as the reason. */
static StepStatus verify_verdict(StepOutcome *o)
{
    Buf bad;
    buf_init(&bad, 2048);
    size_t n = 0;
    const char *text = o->out.data != NULL ? o->out.data : "";
    for (const char *line = text; *line != '\0';) {
        size_t len = strcspn(line, "\n");
        if (memmem(line, len, "status: invalid", 15) != NULL || memmem(line, len, "status: error", 13) != NULL ||
            memmem(line, len, "invalid: ", 9) != NULL || memmem(line, len, "missing: ", 9) != NULL) {
            size_t skip = strspn(line, " \t");
            buf_appendf(&bad, "%s%.*s", n++ ? "; " : "", (int)(len - skip), line + skip);
        }
        line += len + (line[len] == '\n');
    }
    if (n > 0)
        step_set(o, STEP_FAILED, "pgbackrest verify found problems (it exits 0 regardless): %s",
                 bad.data);
    buf_free(&bad);
    return o->status;
}

StepStatus step_pgbackrest(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    Argv a = {.n = 0};
    cmd_step(ps, &a);
    int rc = step_run_argv(ctx, ps->node, a.v, 0, deadline, o);
    argv_free(&a);
    if (rc == 0 && o->status == STEP_OK && strcmp(step_str(ps->step, "command", ""), "verify") == 0)
        return verify_verdict(o);
    return o->status;
}

char *pgbackrest_describe(const Plan *p, const PlanStep *ps)
{
    (void)p;
    Argv a = {.n = 0};
    cmd_step(ps, &a);
    return describe_argv(NULL, &a);
}

/* --type and --target of a point-in-time recovery; nothing without a
 * target: pgBackRest's default type replays all the archived WAL and the
 * server promotes at its end. */
static void add_recovery_target(const Step *s, Argv *a)
{
    static const struct { const char *key, *type; } targets[] = {
        {"target_lsn", "lsn"}, {"target_time", "time"}, {"target_xid", "xid"}};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const char *v = step_str(s, targets[i].key, NULL);
        if (v == NULL)
            continue;
        argv_addf(a, "--type=%s", targets[i].type);
        argv_addf(a, "--target=%s", v);
        /* pgBackRest's default is inclusive; a drill recovering from a
         * destructive transaction wants to stop just before it. */
        if (step_bool(s, "exclusive", true))
            argv_add(a, "--target-exclusive");
        break;
    }
    if (step_str(s, "target_lsn", NULL) == NULL && step_str(s, "target_time", NULL) == NULL &&
        step_str(s, "target_xid", NULL) == NULL && step_bool(s, "target_immediate", false))
        argv_add(a, "--type=immediate");
    if (step_has_pitr_target(s))
        argv_addf(a, "--target-action=%s", step_str(s, "target_action", "promote"));
}

static void cmd_restore(const Node *backup, const Node *target, const Step *s, Argv *a)
{
    add_common(backup, a);
    argv_addf(a, "--pg1-path=%s", target->data_directory);
    argv_add(a, "restore");
    const char *set = step_str(s, "set", "latest");
    if (strcmp(set, "latest") != 0)
        argv_addf(a, "--set=%s", set);
    add_recovery_target(s, a);
    int64_t procs = step_int(s, "process_max", 0);
    if (procs > 0)
        argv_addf(a, "--process-max=%lld", (long long)procs);
    if (step_bool(s, "delta", false))
        argv_add(a, "--delta");
}

StepStatus step_pgbackrest_restore(RunCtx *ctx, const PlanStep *ps, int64_t deadline,
                                   StepOutcome *o)
{
    const Node *target = plan_param_node(ctx->plan, ps, "target");
    if (target == NULL || target->data_directory == NULL)
        return step_set(o, STEP_ERROR,
                        "pgbackrest_restore needs a target node with a data_directory");
    Argv a = {.n = 0};
    cmd_restore(ps->node, target, ps->step, &a);
    int rc = step_run_argv(ctx, target, a.v, 0, deadline, o);
    argv_free(&a);
    if (rc < 0 || o->status != STEP_OK)
        return o->status;
    return step_set(o, STEP_OK, "backup %s of stanza %s restored into %s (WAL through pgbackrest "
                    "archive-get)", step_str(ps->step, "set", "latest"),
                    ps->node->pgbackrest_stanza, target->name);
}

char *pgbackrest_restore_describe(const Plan *p, const PlanStep *ps)
{
    const Node *target = plan_param_node(p, ps, "target");
    if (target == NULL || target->data_directory == NULL)
        return xstrdup("pgbackrest restore: the target node has no data_directory");
    Argv a = {.n = 0};
    cmd_restore(ps->node, target, ps->step, &a);
    return describe_argv(target, &a);
}
