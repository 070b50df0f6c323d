/*
 * steps_cmd.c — builds the exact argv of every command a step kind runs.
 * Used by the steps themselves and by dry runs, so what `--dry-run` prints
 * is what a real run executes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "steps_kinds.h"

#define DEFAULT_BIN_DIRECTORY "/usr/lib/postgresql/15/bin"

void argv_add(Argv *a, const char *s)
{
    /* ARGV_MAX is far above what any builder produces; user lists are
     * bounded by the parser's size limits, and overflow is dropped rather
     * than written past the array. */
    if (a->n < ARGV_MAX)
        a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

void argv_addf(Argv *a, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    argv_add(a, buf);
}

void argv_add_list(Argv *a, char *const *list)
{
    for (; list != NULL && *list != NULL; list++)
        argv_add(a, *list);
}

void argv_free(Argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    a->n = 0;
    a->v[0] = NULL;
}

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
    argv_add(a, n->data_directory);
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
        argv_add_list(a, n->stop_command);
        return;
    }
    add_program(a, n, "pg_ctl");
    argv_add(a, "-D");
    argv_add(a, n->data_directory);
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
void cmd_barman(const Node *backup, const char *command, char *const *args, Argv *a)
{
    argv_add(a, "barman");
    argv_add(a, "-c");
    argv_add(a, backup->barman_config);
    if (str_has_prefix(command, "receive-wal-")) {
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

/* ---- shell steps: values travel in the environment ------------------------ */

#define IDENT_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

static bool argv_has_key(const Argv *a, const char *key, size_t n)
{
    for (size_t i = 1; i < a->n; i++)   /* a->v[0] is "env" */
        if (strncmp(a->v[i], key, n) == 0 && a->v[i][n] == '=')
            return true;
    return false;
}

/* Adds `ENV=VALUE` for one name the command mentions (n bytes at env), once.
 * A DRILL_VAR_ name that is no variable is left alone (the author's own). */
static int shell_env_add(const Scenario *sc, const char *env, size_t n, CaptureLookup lookup,
                         void *ud, Argv *a, DrillError *err)
{
    if (argv_has_key(a, env, n))
        return 0;
    char *key = xstrndup(env, n);
    bool capture = str_has_prefix(key, "DRILL_CAPTURE_");
    const char *name = key + strlen(capture ? "DRILL_CAPTURE_" : "DRILL_VAR_");
    char *pair = NULL;
    int rc = 0;
    if (!capture && scenario_var(sc, name) != NULL)
        pair = xasprintf("%s=%s", key, scenario_var(sc, name)->value);
    else if (capture && lookup == NULL)
        pair = xasprintf("%s=${capture.%s}", key, name);   /* dry run */
    else if (capture && lookup(ud, name) != NULL)
        pair = xasprintf("%s=%s", key, lookup(ud, name));
    else if (capture)
        rc = drill_error_set(err, DRILL_E_NOTFOUND, "no value was captured as \"%s\" (the step "
                             "that captures it did not run or failed)", name);
    if (pair != NULL && a->n >= ARGV_MAX - 3)
        rc = drill_error_set(err, DRILL_E_INVALID, "the command uses more than %d values",
                             ARGV_MAX - 4);
    else if (pair != NULL)
        argv_add(a, pair);   /* one argv element: `env` splits it at the first = */
    free(pair);
    free(key);
    return rc;
}

int cmd_shell(const Scenario *sc, const char *command, CaptureLookup lookup, void *ud, Argv *a,
              DrillError *err)
{
    argv_add(a, "env");
    int rc = 0;
    for (const char *p = command; rc == 0 && (p = strstr(p, "DRILL_")) != NULL; p++) {
        if (p > command && strchr(IDENT_CHARS, p[-1]) != NULL)
            continue;
        size_t n = strspn(p, IDENT_CHARS);
        size_t prefix = str_has_prefix(p, "DRILL_VAR_") ? strlen("DRILL_VAR_")
                        : str_has_prefix(p, "DRILL_CAPTURE_") ? strlen("DRILL_CAPTURE_") : n;
        if (n > prefix)
            rc = shell_env_add(sc, p, n, lookup, ud, a, err);
    }
    if (a->n == 1) {   /* no values: plain /bin/sh -c, as before */
        argv_free(a);
    }
    argv_add(a, "/bin/sh");
    argv_add(a, "-c");
    argv_add(a, command);
    return rc;
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

/* Everything a sql step asks, as it will be sent. */
static char *describe_sql(const Step *s)
{
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

static char *describe_event(const Step *s)
{
    const char *measure = step_str(s, "measure", NULL), *since = step_str(s, "since", NULL);
    if (measure == NULL && since == NULL)
        return xasprintf("mark event `%s`", step_str(s, "event", ""));
    return xasprintf("mark event `%s`; measure %s%s = time since event `%s`",
                     step_str(s, "event", ""), measure ? measure : step_str(s, "event", ""),
                     measure ? "" : "_ms", since ? since : "fault");
}

char *step_describe_kind(const Plan *plan, const PlanStep *ps)
{
    const Step *s = ps->step;
    const Node *n = ps->node;
    Argv a = {.n = 0};
    a.v[0] = NULL;
    switch (s->kind->id) {
    case SK_PG_START: return start_describe(n, step_bool(s, "wait", true));
    case SK_PG_STOP: cmd_pg_ctl_stop(n, step_str(s, "mode", "fast"), s->timeout_ms, &a); break;
    case SK_PG_KILL: cmd_pg_kill(n, step_str(s, "signal", "KILL"), &a); break;
    case SK_WIPE_DATADIR: cmd_wipe(n, &a); break;
    case SK_BARMAN: cmd_barman(n, step_str(s, "command", ""), step_list(s, "args"), &a); break;
    case SK_BARMAN_RECOVER: return barman_recover_describe(plan, ps);
    case SK_BASE_BACKUP:
        return reclone_describe(n, plan_param_node(plan, ps, "source"),
                                step_str(s, "slot", n->slot_name), step_bool(s, "start", true),
                                s->timeout_ms);
    case SK_REWIND: return rewind_describe(plan, ps);
    case SK_DIVERGENCE_CHECK:
        return xasprintf("compare %s's timeline and replay LSN with the history of %s's "
                         "timeline; expect %s", n->name, plan_param_node(plan, ps, "source")->name,
                         step_str(s, "expect", "either"));
    case SK_SHELL:
        cmd_shell(plan->scenario, step_str(s, "command", ""), NULL, NULL, &a, NULL);
        break;
    case SK_EXEC: argv_add_list(&a, step_list(s, "argv")); break;
    case SK_SQL: return describe_sql(s);
    case SK_WAIT_FOR: return wait_for_describe(plan, ps);
    case SK_EVENT: return describe_event(s);
    case SK_SLEEP:
        return xasprintf("sleep %lldms", (long long)step_duration_ms(s, "duration", 0));
    case SK_SLOT_CREATE:
    case SK_SLOT_DROP:
        return xasprintf("SQL: select pg_replication_slots (does %s exist?), then %s%s%s",
                         step_str(s, "slot", ""),
                         s->kind->id == SK_SLOT_CREATE
                             ? "select pg_create_physical_replication_slot('"
                             : "select pg_drop_replication_slot('", step_str(s, "slot", ""),
                         step_bool(s, "if_exists", false)
                             ? (s->kind->id == SK_SLOT_CREATE ? "', true) unless it exists"
                                                              : "') unless it is absent")
                             : (s->kind->id == SK_SLOT_CREATE ? "', true)" : "')"));
    case SK_PROMOTE:
        return xasprintf("SQL: select pg_promote(true, %s)",
                         step_bool(s, "wait", true) ? "<seconds left in the step>" : "60");
    case SK_HEARTBEAT_START: return heartbeat_start_describe(plan, s);
    case SK_HEARTBEAT_STOP: return xstrdup("stop the heartbeat writer (no SQL)");
    case SK_HEARTBEAT_VERIFY:
        return xasprintf("SQL: select seq, server_ts, lsn from drill_heartbeat where run_uuid = "
                         "<this run's UUID> order by seq; compare with the acknowledged heartbeats%s%s%s",
                         step_bool(s, "measure_rpo", n->role == ROLE_PRIMARY) ? "; measure RPO"
                                                                              : "",
                         step_str(s, "compare_with", NULL) ? "; and with the rows on " : "",
                         step_str(s, "compare_with", ""));
    case SK_WAL_GENERATE: return wal_generate_describe(s);
    default: return xstrdup("");
    }
    return describe_argv(NULL, &a);
}
