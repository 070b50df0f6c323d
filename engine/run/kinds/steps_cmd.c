/*
 * steps_cmd.c — builds the exact argv of every command a step kind runs
 * (a shell step's: shellenv.h). Used by the kinds' run functions and by
 * their describe functions, so what `--dry-run` prints is what a real run
 * executes. Calls nothing of the kinds.
 */
#include <stdlib.h>
#include <string.h>

#include "steps_kinds.h"

#define DEFAULT_BIN_DIRECTORY "/usr/lib/postgresql/15/bin"

char *node_program(const Node *n, const char *program)
{
    const char *bin = n->bin_directory != NULL ? n->bin_directory : DEFAULT_BIN_DIRECTORY;
    return xasprintf("%s/%s", bin, program);
}

static void add_program(Argv *a, const Node *n, const char *program)
{
    char *p = node_program(n, program);
    argv_add(a, p);
    free(p);
}

/* pg_ctl -D takes the directory holding postgresql.conf: on Debian-style
 * clusters that is config_directory, whose data_directory setting then
 * points pg_ctl at the data (it asks `postgres -C data_directory`). */
static const char *pg_ctl_directory(const Node *n)
{
    return n->config_directory != NULL ? n->config_directory : n->data_directory;
}

void cmd_pg_ctl_start(const Node *n, Argv *a)
{
    if (n->start_command != NULL) {
        argv_add_list(a, n->start_command);
        return;
    }
    /* No -w: drill waits itself with a 10 ms poll (pg_ctl polls every 100 ms,
     * which would inflate the measured RTO). */
    add_program(a, n, "pg_ctl");
    argv_add(a, "-D");
    argv_add(a, pg_ctl_directory(n));
    argv_add(a, "-l");
    if (n->log_file != NULL)
        argv_add(a, n->log_file);
    else
        argv_addf(a, "%s/../%s.log", n->data_directory, n->name);
    argv_add(a, "-W");
    argv_add(a, "start");
}

void cmd_pg_ctl_stop(const Node *n, const char *mode, int64_t timeout_ms, Argv *a)
{
    if (n->stop_command != NULL) {
        for (size_t i = 0; n->stop_command[i] != NULL; i++) {
            char *word = str_replace_all(n->stop_command[i], "{mode}", mode);
            argv_add(a, word);
            free(word);
        }
        return;
    }
    add_program(a, n, "pg_ctl");
    argv_add(a, "-D");
    argv_add(a, pg_ctl_directory(n));
    argv_add(a, "-m");
    argv_add(a, mode);
    argv_add(a, "-w");
    argv_add(a, "-t");
    argv_addf(a, "%lld", (long long)(timeout_ms / 1000 > 0 ? timeout_ms / 1000 : 1));
    argv_add(a, "stop");
}

void cmd_pg_kill(const Node *n, const char *signal_name, Argv *a)
{
    /* A fixed script; the data directory is passed as $1, never spliced in. */
    argv_add(a, "/bin/sh");
    argv_add(a, "-c");
    argv_addf(a, "pid=$(head -n 1 \"$1/postmaster.pid\") && kill -s %s \"$pid\"", signal_name);
    argv_add(a, "drill-pg-kill");
    argv_add(a, n->data_directory);
}

/* A fixed script: $1 is the pgrep pattern, $2 the postmaster.pid to take
 * the parent from ("" = any parent), $3 what is signalled (for messages).
 * The pattern's first letter is bracketed so the shell running pgrep, whose
 * own arguments hold the pattern, never matches it. Exit 3 when nothing
 * matched: a fault that did not happen must not pass. */
static const char process_kill_script[] =
    "if [ -n \"$2\" ]; then ppid=$(head -n 1 \"$2\") || exit 3; "
    "pids=$(pgrep -P \"$ppid\" -f -- \"$1\"); "
    "else pids=$(pgrep -f -- \"$1\"); fi; "
    "[ -n \"$pids\" ] || { echo \"no $3 is running: nothing was signalled\" >&2; exit 3; }; "
    "kill -s %s $pids && echo \"signalled $3: pid\" $pids";

void cmd_process_kill(const Node *n, const char *process, const char *signal_name, Argv *a)
{
    argv_add(a, "/bin/sh");
    argv_add(a, "-c");
    argv_addf(a, process_kill_script, signal_name);
    argv_add(a, "drill-process-kill");
    if (strcmp(process, "walreceiver") == 0) {
        argv_add(a, "[w]alreceiver");
        argv_addf(a, "%s/postmaster.pid", n->data_directory);
        argv_addf(a, "walreceiver of %s", n->name);
        return;
    }
    /* Barman runs pg_receivewal --directory=.../SERVER/streaming --slot=SLOT. */
    const char *slot = n->barman_slot != NULL ? n->barman_slot : "barman";
    argv_addf(a, "[p]g_receivewal .*--directory=[^ ]*/%s/streaming .*--slot=%s( |$)",
              n->barman_server, slot);
    argv_add(a, "");
    argv_addf(a, "Barman's pg_receivewal for %s (slot %s)", n->barman_server, slot);
}

/* A fixed script: $1 the file, $2 the offset, $3 how many bytes. Each byte
 * b becomes 255 - b, so every byte changes whatever it held. */
static const char flip_script[] =
    "[ -f \"$1\" ] || { echo \"no such file: $1\" >&2; exit 3; }; "
    "b=$(od -An -tu1 -v -j \"$2\" -N \"$3\" \"$1\") || exit 3; "
    "[ -n \"$b\" ] || { echo \"$1 has no byte at $2\" >&2; exit 3; }; "
    "out=; for x in $b; do out=\"$out$(printf '\\\\%03o' $((255 - x)))\"; done; "
    "printf \"$out\" | dd of=\"$1\" bs=1 seek=\"$2\" conv=notrunc status=none && "
    "echo \"inverted $3 bytes at byte $2 of $1\"";

void cmd_flip_bytes(const Node *n, const char *relpath, int64_t offset, int64_t nbytes, Argv *a)
{
    argv_add(a, "/bin/sh");
    argv_add(a, "-c");
    argv_add(a, flip_script);
    argv_add(a, "drill-flip-bytes");
    argv_addf(a, "%s/%s", n->data_directory, relpath != NULL ? relpath : "<the relation's file>");
    argv_addf(a, "%lld", (long long)offset);
    argv_addf(a, "%lld", (long long)nbytes);
}

/* A fixed script: $1 the directory, $2 bytes to leave free, $3 the most it
 * may write, $4 fill|release. Sizes come from df -P -B1 on the directory
 * (through a link to its mount). An earlier run's ballast is removed first,
 * so the free space is measured without it. Two guards, both exit 3 before
 * anything is written: a filesystem shared with /, /tmp, /var, /var/tmp or
 * /home is never filled (the host itself would starve), nor is more than
 * max_fill written. fallocate reserves the blocks at once; where a
 * filesystem cannot, zeros are written. */
static const char disk_fill_script[] =
    "d=\"$1\"; f=\"$d/drill-ballast\"; "
    "free_b() { df -P -B1 \"$d/\" | awk 'NR == 2 {print $4}'; }; "
    "[ -d \"$d\" ] || { echo \"no such directory: $d\" >&2; exit 3; }; "
    "if [ -e \"$f\" ]; then s=$(stat -c %s \"$f\"); rm -f \"$f\" || exit 1; "
    "echo \"removed ballast $f ($s bytes)\"; "
    "elif [ \"$4\" = release ]; then echo \"no ballast at $f\"; fi; "
    "a=$(free_b) || exit 1; "
    "if [ \"$4\" = release ]; then echo \"free on the filesystem of $d: $a bytes\"; exit 0; fi; "
    "for s in / /tmp /var /var/tmp /home; do "
    "[ -d \"$s\" ] && [ \"$(stat -L -c %d \"$d/\")\" = \"$(stat -L -c %d \"$s\")\" ] || continue; "
    "echo \"$d is on the filesystem of $s: filling it would starve the whole host; give it a "
    "filesystem of its own (drill sandbox up --wal-fs MB)\" >&2; exit 3; done; "
    "n=$((a - $2)); "
    "if [ \"$n\" -le 0 ]; then echo \"$a bytes free, not more than the $2 to leave: nothing "
    "written\"; exit 0; fi; "
    "if [ \"$n\" -gt \"$3\" ]; then echo \"the filesystem of $d has $a bytes free: leaving $2 "
    "would take a $n-byte ballast, more than max_fill ($3); put $d on a small filesystem of its "
    "own (drill sandbox up --wal-fs SIZE) or raise max_fill\" >&2; exit 3; fi; "
    "fallocate -l \"$n\" \"$f\" 2>/dev/null || head -c \"$n\" /dev/zero > \"$f\" "
    "|| { rm -f \"$f\"; echo \"could not write the ballast $f\" >&2; exit 1; }; "
    "echo \"ballast $f: $n bytes; free on the filesystem of $d: $(free_b) bytes (was $a)\"";

void cmd_disk_fill(const Node *n, const char *dir, int64_t leave, int64_t max_fill, bool release,
                   Argv *a)
{
    argv_add(a, "/bin/sh");
    argv_add(a, "-c");
    argv_add(a, disk_fill_script);
    argv_add(a, "drill-disk-fill");
    if (dir[0] == '/')
        argv_add(a, dir);
    else
        argv_addf(a, "%s/%s", n->data_directory, dir);
    argv_addf(a, "%lld", (long long)leave);
    argv_addf(a, "%lld", (long long)max_fill);
    argv_add(a, release ? "release" : "fill");
}

void cmd_wipe(const Node *n, Argv *a)
{
    argv_add(a, "find");
    argv_add(a, n->data_directory);
    argv_add(a, "-mindepth");
    argv_add(a, "1");
    argv_add(a, "-delete");
}

void cmd_basebackup(const Node *n, const Node *source, const char *slot, Argv *a)
{
    add_program(a, n, "pg_basebackup");
    argv_add(a, "-D");
    argv_add(a, n->data_directory);
    argv_add(a, "-d");
    argv_add(a, source->conninfo);
    argv_add(a, "-R");
    argv_add(a, "-X");
    argv_add(a, "stream");
    argv_add(a, "-c");
    argv_add(a, "fast");
    if (slot != NULL) {
        argv_add(a, "-S");
        argv_add(a, slot);
    }
}

void cmd_rewind(const Node *n, const Node *source, Argv *a)
{
    add_program(a, n, "pg_rewind");
    argv_add(a, "-D");
    argv_add(a, n->data_directory);
    argv_addf(a, "--source-server=%s", source->conninfo);
    /* An unclean target is first crash-recovered in single-user mode, which
     * needs the configuration: outside PGDATA it has to be named (PG 15+). */
    if (n->config_directory != NULL)
        argv_addf(a, "--config-file=%s/postgresql.conf", n->config_directory);
    argv_add(a, "-R");
    argv_add(a, "--progress");
}

/* pg_rewind -R writes primary_conninfo but no primary_slot_name: it is
 * appended to postgresql.auto.conf (read last, so it wins). A fixed script;
 * slot (checked by the caller: [a-z0-9_]) and directory are arguments. */
void cmd_append_slot(const Node *n, const char *slot, Argv *a)
{
    argv_add(a, "/bin/sh");
    argv_add(a, "-c");
    argv_add(a, "printf \"primary_slot_name = '%s'\\n\" \"$1\" >> \"$2/postgresql.auto.conf\"");
    argv_add(a, "drill-append-slot");
    argv_add(a, slot);
    argv_add(a, n->data_directory);
}

/* drill's barman commands map to barman's CLI; "receive-wal-reset" etc.
 * become `receive-wal --reset`. */
bool step_has_pitr_target(const Step *s)
{
    return step_str(s, "target_lsn", NULL) != NULL || step_str(s, "target_time", NULL) != NULL ||
           step_str(s, "target_xid", NULL) != NULL || step_bool(s, "target_immediate", false);
}

void cmd_barman(const Node *backup, const char *command, char *const *args, Argv *a)
{
    /* receive-wal-start: `barman receive-wal` as a daemon of its own (what
     * `barman cron` starts, without cron's other work and its second Python
     * start-up): its own session, no stdio, not marked as this run's. */
    bool start = strcmp(command, "receive-wal-start") == 0;
    if (start) {
        argv_add(a, "/bin/sh");
        argv_add(a, "-c");
        argv_add(a, "env -u DRILL_RUN_UUID setsid \"$@\" < /dev/null > /dev/null 2>&1 &");
        argv_add(a, "drill-receive-wal");
    }
    argv_add(a, "barman");
    argv_add(a, "-c");
    argv_add(a, backup->barman_config);
    if (start) {
        argv_add(a, "receive-wal");
    } else if (str_has_prefix(command, "receive-wal-")) {
        argv_add(a, "receive-wal");
        argv_addf(a, "--%s", command + strlen("receive-wal-"));
    } else {
        argv_add(a, command);
        if (strcmp(command, "backup") == 0)
            argv_add(a, "--wait");
        else if (strcmp(command, "switch-wal") == 0) {
            argv_add(a, "--force");
            argv_add(a, "--archive");
        }
    }
    /* After the server: barman's commands read `SERVER [BACKUP_ID]` there
     * (verify-backup SERVER ID), and options are accepted in either place. */
    if (strcmp(command, "cron") != 0)
        argv_add(a, backup->barman_server);
    argv_add_list(a, args);
}

char *describe_argv(const Node *on, Argv *a)
{
    char *cmd = exec_argv_format(a->v);
    argv_free(a);
    if (on == NULL)
        return cmd;
    char *text = xasprintf("on %s as %s: %s", on->name,
                           on->os_user ? on->os_user : "the current user", cmd);
    free(cmd);
    return text;
}
