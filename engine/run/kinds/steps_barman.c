/*
 * steps_barman.c — Barman step kinds: plain barman commands and
 * `barman recover` into a node's data directory.
 *
 * `barman recover --get-wal` writes a restore_command that calls barman
 * through `sudo -u barman` with the default configuration. drill rewrites it
 * to call barman as the node's OS user with the topology's config, so the
 * streamed .partial segment is fetched too (`get-wal -P`) and nothing
 * acknowledged before the fault is lost.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "steps_kinds.h"

StepStatus step_barman(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    Argv a = {.n = 0};
    cmd_barman(ps->node, step_str(ps->step, "command", ""), step_list(ps->step, "args"), &a);
    step_run_argv(ctx, ps->node, a.v, 0, deadline, o);
    argv_free(&a);
    return o->status;
}

char *barman_describe(const Plan *p, const PlanStep *ps)
{
    Argv a = {.n = 0};
    cmd_barman(ps->node, step_str(ps->step, "command", ""), step_list(ps->step, "args"), &a);
    return describe_argv(NULL, &a);
}

static void add_target(Argv *a, const Step *s, const char *key, const char *flag)
{
    const char *v = step_str(s, key, NULL);
    if (v == NULL)
        return;
    argv_add(a, flag);
    argv_add(a, v);
}

static bool has_pitr_target(const Step *s)
{
    return step_str(s, "target_lsn", NULL) != NULL || step_str(s, "target_time", NULL) != NULL ||
           step_str(s, "target_xid", NULL) != NULL || step_bool(s, "target_immediate", false);
}

/* Barman restores across machines when it does not run on the target: the
 * barman node and the target are different SSH hosts (or the target is
 * remote and barman local). */
static bool recover_is_remote(const Node *backup, const Node *target)
{
    if (target == NULL || target->access != ACCESS_SSH)
        return false;
    return backup->access != ACCESS_SSH || !str_eq(backup->ssh.host, target->ssh.host) ||
           backup->ssh.port != target->ssh.port;
}

/* `ssh [-p PORT] -o BatchMode=yes USER@HOST` for barman's --remote-ssh-command,
 * every word quoted for the shell barman hands it to. Barman runs it ON THE
 * BARMAN NODE: that node's own keys and known_hosts must reach the target as
 * its OS user (the owner of the data directory). */
static char *remote_ssh_command(const Node *target)
{
    const char *user = target->os_user ? target->os_user
                                       : (target->ssh.user ? target->ssh.user : "postgres");
    char port[16];
    snprintf(port, sizeof port, "%d", target->ssh.port);
    char *dest = xasprintf("%s@%s", user, target->ssh.host);
    char *words[] = {(char *)(uintptr_t)"ssh", (char *)(uintptr_t)"-p", port,
                     (char *)(uintptr_t)"-o", (char *)(uintptr_t)"BatchMode=yes", dest, NULL};
    Buf b;
    buf_init(&b, 4096);
    for (size_t i = 0; words[i] != NULL; i++) {
        if (i > 0)
            buf_append(&b, " ", 1);
        exec_shell_quote(&b, words[i]);
    }
    free(dest);
    return buf_steal(&b);
}

void cmd_barman_recover(const Plan *p, const PlanStep *ps, Argv *a)
{
    const Step *s = ps->step;
    const Node *target = plan_param_node(p, ps, "target");
    argv_add(a, "barman");
    argv_add(a, "-c");
    argv_add(a, ps->node->barman_config);
    argv_add(a, "recover");
    if (step_bool(s, "get_wal", true))
        argv_add(a, "--get-wal");
    else
        argv_add(a, "--no-get-wal");
    add_target(a, s, "target_lsn", "--target-lsn");
    add_target(a, s, "target_time", "--target-time");
    add_target(a, s, "target_xid", "--target-xid");
    if (step_bool(s, "target_immediate", false))
        argv_add(a, "--target-immediate");
    /* Barman accepts --target-action only together with a recovery target;
     * without one, PostgreSQL replays everything and promotes by itself. */
    if (has_pitr_target(s))
        add_target(a, s, "target_action", "--target-action");
    if (has_pitr_target(s) && step_str(s, "target_action", NULL) == NULL) {
        argv_add(a, "--target-action");
        argv_add(a, "promote");
    }
    /* Barman's default is inclusive; a drill recovering from a destructive
     * transaction wants to stop just before it. */
    if (has_pitr_target(s) && step_bool(s, "exclusive", true))
        argv_add(a, "--exclusive");
    if (recover_is_remote(ps->node, target)) {
        char *ssh = remote_ssh_command(target);
        argv_add(a, "--remote-ssh-command");
        argv_add(a, ssh);
        free(ssh);
    }
    argv_add(a, ps->node->barman_server);
    argv_add(a, step_str(s, "backup_id", "latest"));
    argv_add(a, target != NULL ? target->data_directory : "");
}

/* Replaces the restore_command barman wrote with one that runs barman as the
 * node's OS user with the topology's configuration file. */
static void cmd_fix_restore_command(const Node *backup, const Node *target, Argv *a)
{
    argv_add(a, "/bin/sh");
    argv_add(a, "-c");
    argv_add(a, "f=\"$1/postgresql.auto.conf\" && grep -v '^restore_command' \"$f\" > \"$f.drill\""
                " ; printf '%s\\n' \"$2\" >> \"$f.drill\" && mv \"$f.drill\" \"$f\"");
    argv_add(a, "drill-restore-command");
    argv_add(a, target->data_directory);
    argv_addf(a, "restore_command = 'barman -c %s get-wal -P %s %%f > %%p'", backup->barman_config,
              backup->barman_server);
}

StepStatus step_barman_recover(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const Node *target = plan_param_node(ctx->plan, ps, "target");
    if (target == NULL || target->data_directory == NULL)
        return step_set(o, STEP_ERROR, "barman_recover needs a target node with a data_directory");
    Argv a = {.n = 0};
    cmd_barman_recover(ctx->plan, ps, &a);
    int rc = step_run_argv(ctx, ps->node, a.v, 0, deadline, o);
    argv_free(&a);
    if (rc < 0 || !step_bool(ps->step, "get_wal", true))
        return o->status;
    cmd_fix_restore_command(ps->node, target, &a);
    step_run_argv(ctx, target, a.v, 0, deadline, o);
    argv_free(&a);
    if (o->status == STEP_OK)
        step_set(o, STEP_OK, "backup %s restored into %s (WAL via barman get-wal -P)",
                 step_str(ps->step, "backup_id", "latest"), target->name);
    return o->status;
}

/* The recover command, then the restore_command rewrite on the target. */
char *barman_recover_describe(const Plan *p, const PlanStep *ps)
{
    const Node *target = plan_param_node(p, ps, "target");
    Argv a = {.n = 0};
    cmd_barman_recover(p, ps, &a);
    char *recover = describe_argv(NULL, &a);
    if (!step_bool(ps->step, "get_wal", true) || target == NULL || target->data_directory == NULL)
        return recover;
    cmd_fix_restore_command(ps->node, target, &a);
    char *fix = describe_argv(target, &a);
    char *text = xasprintf("%s\nthen rewrite barman's restore_command (sudo -u barman, default "
                           "config) to run barman as the node's user with this config:\n%s",
                           recover, fix);
    free(recover);
    free(fix);
    return text;
}
