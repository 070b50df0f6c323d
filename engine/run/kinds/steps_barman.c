/*
 * steps_barman.c — Barman step kinds: plain barman commands and
 * `barman recover` into a node's data directory.
 *
 * `barman recover --get-wal` writes a restore_command that calls barman
 * through `sudo -u barman` with the default configuration. drill replaces
 * it with one built for where Barman really is (restore_command_line): a
 * local `barman get-wal -P` with the topology's config on Barman's own host,
 * `barman-wal-restore -P` over SSH from any other host; both fetch the
 * streamed .partial segment too, so nothing acknowledged before the fault is
 * lost.
 *
 * `stage_wal` avoids that per-segment barman process (0.5-1 s of Python
 * start-up each, most of the restored primary's time in recovery): barman
 * recover copies the archived WAL into pg_wal in one go, drill adds what
 * Barman streamed (the .partial segment renamed) to barman_wal/ and writes
 * the recovery configuration Barman itself writes for a point-in-time
 * recovery (`cp barman_wal/%f %p`, recovery.signal). Recovery still ends on
 * a new timeline, so a standby that received more than Barman refuses to
 * follow instead of silently mixing histories.
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

/* The words joined, each quoted for a POSIX shell. */
static char *shell_words(char *const *words)
{
    Buf b;
    buf_init(&b, 8192);
    for (size_t i = 0; words[i] != NULL; i++) {
        if (i > 0)
            buf_append(&b, " ", 1);
        exec_shell_quote(&b, words[i]);
    }
    return buf_steal(&b);
}

/* The OS user that owns the target's data directory (barman connects as it). */
static const char *target_user(const Node *target)
{
    return target->os_user ? target->os_user : (target->ssh.user ? target->ssh.user : "postgres");
}

/* barman's --remote-ssh-command. Barman runs it ON THE BARMAN NODE: that
 * node's own keys and known_hosts must reach the target as its OS user. The
 * topology's recover_ssh_command (e.g. the server's ssh_command) is used
 * with {user} {host} {port} of the target filled in, each value quoted;
 * by default `ssh -p PORT -o BatchMode=yes USER@HOST`. */
static char *remote_ssh_command(const Node *backup, const Node *target)
{
    char port[16];
    snprintf(port, sizeof port, "%d", target->ssh.port);
    Argv q = {.n = 0};
    argv_add(&q, target_user(target));
    argv_add(&q, target->ssh.host);
    argv_add(&q, port);
    char *one[2] = {NULL, NULL};
    char *quoted[3];
    for (size_t i = 0; i < 3; i++) {
        one[0] = q.v[i];
        quoted[i] = shell_words(one);
    }
    argv_free(&q);
    char *out;
    if (backup->recover_ssh_command != NULL) {
        char *u = str_replace_all(backup->recover_ssh_command, "{user}", quoted[0]);
        char *h = str_replace_all(u, "{host}", quoted[1]);
        out = str_replace_all(h, "{port}", quoted[2]);
        free(u);
        free(h);
    } else {
        char *dest = xasprintf("%s@%s", target_user(target), target->ssh.host);
        char *words[] = {(char *)(uintptr_t)"ssh", (char *)(uintptr_t)"-p", port,
                         (char *)(uintptr_t)"-o", (char *)(uintptr_t)"BatchMode=yes", dest, NULL};
        out = shell_words(words);
        free(dest);
    }
    for (size_t i = 0; i < 3; i++)
        free(quoted[i]);
    return out;
}

/* barman fetches the WAL at recovery time (restore_command get-wal). */
static bool recover_gets_wal(const Step *s)
{
    return step_bool(s, "get_wal", true) && !step_bool(s, "stage_wal", false);
}

void cmd_barman_recover(const Plan *p, const PlanStep *ps, Argv *a)
{
    const Step *s = ps->step;
    const Node *target = plan_param_node(p, ps, "target");
    argv_add(a, "barman");
    argv_add(a, "-c");
    argv_add(a, ps->node->barman_config);
    argv_add(a, "recover");
    if (recover_gets_wal(s))
        argv_add(a, "--get-wal");
    else
        argv_add(a, "--no-get-wal");
    /* Without it Barman copies only the WAL of the backup's own timeline: a
     * primary that switched timeline after its last backup (a failover, an
     * earlier restore) came back without everything written since
     * (test_rollback lost 305 of 751 acknowledged heartbeats). get-wal
     * needs nothing: PostgreSQL asks for every timeline itself. */
    if (step_bool(s, "stage_wal", false)) {
        argv_add(a, "--target-tli");
        argv_add(a, "latest");
    }
    add_target(a, s, "target_lsn", "--target-lsn");
    add_target(a, s, "target_time", "--target-time");
    add_target(a, s, "target_xid", "--target-xid");
    if (step_bool(s, "target_immediate", false))
        argv_add(a, "--target-immediate");
    /* Barman accepts --target-action only together with a recovery target;
     * without one, PostgreSQL replays everything and promotes by itself. */
    if (step_has_pitr_target(s))
        add_target(a, s, "target_action", "--target-action");
    if (step_has_pitr_target(s) && step_str(s, "target_action", NULL) == NULL) {
        argv_add(a, "--target-action");
        argv_add(a, "promote");
    }
    /* Barman's default is inclusive; a drill recovering from a destructive
     * transaction wants to stop just before it. */
    if (step_has_pitr_target(s) && step_bool(s, "exclusive", true))
        argv_add(a, "--exclusive");
    if (recover_is_remote(ps->node, target)) {
        char *ssh = remote_ssh_command(ps->node, target);
        argv_add(a, "--remote-ssh-command");
        argv_add(a, ssh);
        free(ssh);
    }
    argv_add(a, ps->node->barman_server);
    argv_add(a, step_str(s, "backup_id", "latest"));
    argv_add(a, target != NULL ? target->data_directory : "");
}

/* Is Barman on the target's own host? Then the recovered node can call
 * `barman get-wal` itself; otherwise it fetches WAL over SSH. */
static bool barman_on_target_host(const Node *backup, const Node *target)
{
    if (backup->access != target->access)
        return false;
    return backup->access == ACCESS_LOCAL || str_eq(backup->ssh.host, target->ssh.host);
}

/* How the node reaches Barman for WAL; NULL when the topology cannot say. */
static const char *wal_restore_host(const Node *backup)
{
    if (backup->wal_restore_host != NULL)
        return backup->wal_restore_host;
    return backup->access == ACCESS_SSH ? backup->ssh.host : NULL;
}

/* The restore_command the recovered node runs (PostgreSQL runs it with
 * /bin/sh as the server's user): `barman get-wal -P` on Barman's host,
 * else `barman-wal-restore -P` (package barman-cli) over SSH to the Barman
 * host as Barman's user. Both take the streamed .partial segment, so nothing
 * acknowledged before the fault is lost. Every value is a quoted shell word,
 * `%` is doubled (PostgreSQL expands %f/%p/%%) and the whole is a quoted
 * configuration value (\ and ' doubled): a path with spaces, `;` or quotes
 * stays one argument. Values with control characters are refused by the topology
 * parser (one line). NULL with *why set when it cannot be built. */
#define BACKSLASH_FOR_GUC "\\\\"

static char *restore_command_line(const Node *backup, const Node *target, const char **why)
{
    Argv w = {.n = 0};
    if (barman_on_target_host(backup, target)) {
        argv_add(&w, "barman");
        argv_add(&w, "-c");
        argv_add(&w, backup->barman_config);
        argv_add(&w, "get-wal");
        argv_add(&w, "-P");
        argv_add(&w, backup->barman_server);
    } else if (wal_restore_host(backup) == NULL) {
        *why = "Barman is local to drill but the target is remote: set `wal_restore_host:` on "
               "the backup node (how the target reaches Barman over SSH)";
        return NULL;
    } else {
        argv_add(&w, "barman-wal-restore");
        argv_add(&w, "-U");
        argv_add(&w, backup->os_user ? backup->os_user : "barman");
        if (backup->access == ACCESS_SSH && backup->ssh.port != 22)
            argv_addf(&w, "--port=%d", backup->ssh.port);
        argv_add(&w, "-c");
        argv_add(&w, backup->barman_config);
        argv_add(&w, "-P");
        argv_add(&w, wal_restore_host(backup));
        argv_add(&w, backup->barman_server);
    }
    char *words = shell_words(w.v);
    argv_free(&w);
    char *pct = str_replace_all(words, "%", "%%");
    /* PostgreSQL's configuration lexer takes \ as an escape inside a quoted
     * value (\' would end up a bare ', the shell's '\'' then broken, and
     * the file a syntax error the server refuses to start with). */
    char *bs = str_replace_all(pct, "\\", BACKSLASH_FOR_GUC);
    char *guc = str_replace_all(bs, "'", "''");
    free(bs);
    bool local = barman_on_target_host(backup, target);
    char *line = xasprintf("restore_command = '%s %s'", guc, local ? "%f > %p" : "%f %p");
    free(words);
    free(pct);
    free(guc);
    return line;
}

/* Writes the recovery settings into the target's postgresql.auto.conf
 * (replacing any restore_command / recovery_end_command there), and
 * recovery.signal when `signal`. A fixed script; directory and lines are
 * arguments. */
static void cmd_recovery_conf(const Node *target, char *const *lines, bool signal, Argv *a)
{
    argv_add(a, "/bin/sh");
    argv_add(a, "-c");
    argv_add(a, "d=$1 s=$2; shift 2; f=\"$d/postgresql.auto.conf\"; "
                "grep -v -e '^restore_command' -e '^recovery_end_command' \"$f\" > \"$f.drill\"; "
                "printf '%s\\n' \"$@\" >> \"$f.drill\" && mv \"$f.drill\" \"$f\" && "
                "{ [ \"$s\" = no ] || : > \"$d/recovery.signal\"; }");
    argv_add(a, "drill-recovery-conf");
    argv_add(a, target->data_directory);
    argv_add(a, signal ? "yes" : "no");
    argv_add_list(a, lines);
}

/* Replaces the restore_command barman wrote (`sudo -u barman barman get-wal`
 * with the default configuration, on the target) with restore_command_line. */
static int cmd_fix_restore_command(const Node *backup, const Node *target, Argv *a,
                                   const char **why)
{
    char *line = restore_command_line(backup, target, why);
    if (line == NULL)
        return -1;
    char *lines[] = {line, NULL};
    cmd_recovery_conf(target, lines, false, a);
    free(line);
    return 0;
}

/* What a staged restore leaves for PostgreSQL: Barman's own point-in-time
 * recovery configuration (its `restore_command` and `recovery_end_command`,
 * recovery.signal). Segments not in barman_wal/ are read from pg_wal. */
static void cmd_staged_recovery_conf(const Node *target, Argv *a)
{
    char *lines[] = {(char *)(uintptr_t)"restore_command = 'cp barman_wal/%f %p'",
                     (char *)(uintptr_t)"recovery_end_command = 'rm -fr barman_wal'", NULL};
    cmd_recovery_conf(target, lines, true, a);
}

/* On the Barman node: the recover itself ("$@", in the background) and
 * `barman show-server` beside it (for the streaming directory: its start-up
 * costs no wall time), whose output stays in a shell variable — a drill
 * killed here leaves no file behind — then every streamed segment, the
 * .partial one renamed to its segment name, into DEST/barman_wal — through
 * the same SSH command as barman's --remote-ssh-command when the target is
 * another host. */
static const char STAGE_SCRIPT[] =
    "conf=$1 srv=$2 dest=$3 unpack=$4 ssh=$5; shift 5\n"
    "\"$@\" < /dev/null &\n"
    "rec=$!\n"
    "info=$(barman -c \"$conf\" show-server \"$srv\" 2>&1); show=$?\n"
    "wait $rec || exit $?\n"
    "[ $show -eq 0 ] || { printf '%s\\n' \"$info\" >&2; echo \"drill: barman show-server $srv "
    "failed: the streamed WAL cannot be found\" >&2; exit 1; }\n"
    "dir=$(printf '%s\\n' \"$info\" | sed -n 's/^[[:space:]]*streaming_wals_directory: //p')\n"
    "[ -n \"$dir\" ] && [ -d \"$dir\" ] || { echo \"drill: barman show-server $srv names no "
    "streaming_wals_directory: stage_wal needs streaming_archiver = on\" >&2; exit 1; }\n"
    "files=$(cd \"$dir\" && ls | grep -E '^[0-9A-F]{24}(\\.partial)?$')\n"
    "echo \"staging $(echo $files | wc -w) streamed WAL file(s) from $dir into "
    "$dest/barman_wal:\" $files\n"
    "(cd \"$dir\" && tar -cf - --transform='s/\\.partial$//' -T /dev/null $files) |\n"
    "if [ -n \"$ssh\" ]; then eval \"$ssh \\\"\\$unpack\\\"\"; else sh -c \"$unpack\"; fi\n";

/* The staging command: STAGE_SCRIPT around the recover command in *a. */
static void cmd_stage_wal(const Plan *p, const PlanStep *ps, const Node *target, Argv *a)
{
    Argv w = {.n = 0};
    argv_add(&w, "/bin/sh");
    argv_add(&w, "-c");
    argv_add(&w, STAGE_SCRIPT);
    argv_add(&w, "drill-stage-wal");
    argv_add(&w, ps->node->barman_config);
    argv_add(&w, ps->node->barman_server);
    argv_add(&w, target->data_directory);
    Buf b;
    buf_init(&b, 8192);
    char *dir = xasprintf("%s/barman_wal", target->data_directory);
    buf_append(&b, "mkdir -p ", 9);
    exec_shell_quote(&b, dir);
    buf_append(&b, " && tar -C ", 11);
    exec_shell_quote(&b, dir);
    buf_append(&b, " -xf -", 6);
    free(dir);
    char *unpack = buf_steal(&b);
    argv_add(&w, unpack);
    free(unpack);
    char *ssh = recover_is_remote(ps->node, target) ? remote_ssh_command(ps->node, target) : NULL;
    argv_add(&w, ssh != NULL ? ssh : "");
    free(ssh);
    cmd_barman_recover(p, ps, &w);
    argv_free(a);
    *a = w;
}

/* The second command of a restore, run on the target: the restore_command
 * for get_wal, the staged recovery configuration for stage_wal. */
static int cmd_after_recover(const PlanStep *ps, const Node *target, Argv *a, const char **why)
{
    if (step_bool(ps->step, "stage_wal", false)) {
        cmd_staged_recovery_conf(target, a);
        return 0;
    }
    return cmd_fix_restore_command(ps->node, target, a, why);
}

static void cmd_restore(const Plan *p, const PlanStep *ps, const Node *target, Argv *a)
{
    cmd_barman_recover(p, ps, a);
    if (step_bool(ps->step, "stage_wal", false))
        cmd_stage_wal(p, ps, target, a);
}

StepStatus step_barman_recover(RunCtx *ctx, const PlanStep *ps, int64_t deadline, StepOutcome *o)
{
    const Node *target = plan_param_node(ctx->plan, ps, "target");
    if (target == NULL || target->data_directory == NULL)
        return step_set(o, STEP_ERROR, "barman_recover needs a target node with a data_directory");
    Argv a = {.n = 0};
    cmd_restore(ctx->plan, ps, target, &a);
    int rc = step_run_argv(ctx, ps->node, a.v, 0, deadline, o);
    argv_free(&a);
    bool staged = step_bool(ps->step, "stage_wal", false);
    if (rc < 0 || (!recover_gets_wal(ps->step) && !staged))
        return o->status;
    const char *why = NULL;
    if (cmd_after_recover(ps, target, &a, &why) < 0)
        return step_set(o, STEP_ERROR, "cannot build the restore_command: %s", why);
    step_run_argv(ctx, target, a.v, 0, deadline, o);
    argv_free(&a);
    if (o->status != STEP_OK)
        return o->status;
    const char *how = staged ? "staged in barman_wal/ (cp, recovery.signal)"
                      : barman_on_target_host(ps->node, target) ? "via barman get-wal -P"
                                                                 : "via barman-wal-restore -P over SSH";
    return step_set(o, STEP_OK, "backup %s restored into %s (WAL %s)",
                    step_str(ps->step, "backup_id", "latest"), target->name, how);
}

/* The recover command, then what drill adds on the target. */
char *barman_recover_describe(const Plan *p, const PlanStep *ps)
{
    const Node *target = plan_param_node(p, ps, "target");
    Argv a = {.n = 0};
    cmd_barman_recover(p, ps, &a);
    char *recover = describe_argv(NULL, &a);
    bool staged = step_bool(ps->step, "stage_wal", false);
    if ((!recover_gets_wal(ps->step) && !staged) || target == NULL ||
        target->data_directory == NULL)
        return recover;
    const char *why = NULL;
    if (cmd_after_recover(ps, target, &a, &why) < 0) {
        char *text = xasprintf("%s\nthen: cannot build the restore_command: %s", recover, why);
        free(recover);
        return text;
    }
    char *after = describe_argv(target, &a);
    char *text = staged
        ? xasprintf("%s\nbeside it barman show-server %s (its streaming_wals_directory); then "
                    "copy the streamed segments (.partial renamed) into %s/barman_wal%s; then "
                    "write Barman's PITR recovery configuration:\n%s", recover,
                    ps->node->barman_server, target->data_directory,
                    recover_is_remote(ps->node, target) ? " through the same SSH command" : "",
                    after)
        : xasprintf("%s\nthen replace barman's restore_command (sudo -u barman, default "
                    "config) with one for where Barman is:\n%s", recover, after);
    free(recover);
    free(after);
    return text;
}
