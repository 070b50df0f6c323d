/*
 * cmd_sandbox.c — `drill sandbox up|down|status`: a real local topology
 * (PostgreSQL 15 primary, hot standby on a slot, Barman streaming or
 * pgBackRest archiving) driven by fixtures/sandbox.sh, which owns the details
 * of standing it up.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "paths.h"
#include "suggest.h"
#include "util.h"

extern char **environ;

static const char sandbox_help[] =
    "usage: drill sandbox up|down|status [--dir DIR] [--format text|json] [--ssh]\n"
    "                                   [--wal-fs MB] [--backup barman|pgbackrest]\n\n"
    "A real local topology on loopback, everything under one state directory:\n"
    "  pg1     PostgreSQL 15 primary\n"
    "  pg2     hot standby (pg_basebackup -R), streaming through physical slot pg2\n"
    "  backup  Barman 3.4, backup_method = postgres, streaming_archiver = on,\n"
    "          its own slot `barman`, pg1 synchronous to it (RPO 0), with a first\n"
    "          backup taken; or, with --backup pgbackrest, pgBackRest (stanza pg1)\n"
    "          fed by pg1's archive_command, with a first full backup taken\n"
    "Ports are chosen free automatically. As root, the servers and the backup tool\n"
    "run as the `postgres` user. `up` is idempotent and writes DIR/topology.yaml; `down` stops\n"
    "exactly the processes it started and removes DIR; `status --json` prints every\n"
    "node's role, conninfo, data directory and port for other tools.\n\n"
    "Options:\n"
    "  --dir DIR   state directory (default: $DRILL_SANDBOX_DIR, else /var/tmp/drill-sandbox\n"
    "              as root, else ~/.local/state/drill/sandbox)\n"
    "  --format json  up, down and status print the status as one JSON document\n"
    "              ({\"command\": \"sandbox\", state, nodes: [...]}; schema: drill(1),\n"
    "              JSON OUTPUT); progress stays on stderr. --json is the same\n"
    "  --ssh       (up) reach every node over SSH: a private sshd on 127.0.0.1 with\n"
    "              its own host key and a generated client key (DIR/ssh); the\n"
    "              topology's nodes get `access: ssh` and a pre-filled known_hosts.\n"
    "              Sticks until `down`; `drill run --sandbox-dir DIR` then uses SSH\n"
    "  --wal-fs MB (up, root only) pg1's pg_wal on a tmpfs of MB megabytes (48 at\n"
    "              least), linked from its data directory: the small WAL disk the\n"
    "              wal-disk-full drill fills. `down` unmounts it\n"
    "  --backup TOOL  (up) the backup node's tool:\n"
    "              barman      (default) Barman streams pg1's WAL through slot\n"
    "                          `barman` as pg1's synchronous standby: a wiped\n"
    "                          primary loses no commit\n"
    "              pgbackrest  pgBackRest, config DIR/pgbackrest/pgbackrest.conf,\n"
    "                          repository DIR/pgbackrest/repo; pg1 archives whole\n"
    "                          segments (archive_mode on, archive_timeout 5s) and\n"
    "                          is asynchronous: the repository lacks up to the\n"
    "                          last 5 s of a wiped primary's WAL. No Barman\n"
    "              The tool sticks until `down` (a plain `up` keeps it); switching\n"
    "              needs `drill sandbox down` first. Example:\n"
    "                drill sandbox up --backup pgbackrest\n";

/* Runs fixtures/sandbox.sh with args, output going straight to the user
 * (stdout to stderr when `quiet_stdout`, so `drill run` keeps stdout for its
 * results). */
static int run_script(char *const *args, size_t nargs, bool quiet_stdout, DrillError *err)
{
    char *script = paths_sandbox_script();
    if (script == NULL)
        return drill_error_set(err, DRILL_E_NOTFOUND,
                               "cannot find fixtures/sandbox.sh\n  hint: set DRILL_FIXTURES_DIR "
                               "to the fixtures/ directory of drill's source tree");
    char **argv = xcalloc(nargs + 3, sizeof *argv);
    static char bash[] = "bash";
    argv[0] = bash;
    argv[1] = script;
    for (size_t i = 0; i < nargs; i++)
        argv[i + 2] = args[i];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (quiet_stdout)
        posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    pid_t pid;
    int rc = posix_spawnp(&pid, "bash", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    free(script);
    if (rc != 0)
        return drill_error_set(err, DRILL_E_EXEC, "cannot start bash: %s", strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int cli_sandbox_topology(const char *dir, char **topology_path, DrillError *err)
{
    char *d = dir != NULL ? xstrdup(dir) : paths_sandbox_dir();
    static char up[] = "up", dir_opt[] = "--dir";
    char *args[] = {up, dir_opt, d};
    fprintf(stderr, "drill: using the local sandbox in %s (bringing it up if needed)\n", d);
    int rc = run_script(args, 3, true, err);
    if (rc == 0) {
        *topology_path = xasprintf("%s/topology.yaml", d);
        free(d);
        return 0;
    }
    free(d);
    if (rc < 0)
        return rc;
    return drill_error_set(err, DRILL_E_ABORTED,
                           "the sandbox could not be brought up (exit %d, see above)\n  hint: "
                           "run `drill sandbox down` and retry; fixtures/setup.sh installs what "
                           "it needs", rc);
}

int cmd_sandbox(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(sandbox_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? DRILL_EXIT_INVALID : DRILL_EXIT_OK;
    }
    const char *sub = argv[1];
    static const char *const subs[] = {"up", "down", "status", NULL};
    if (strcmp(sub, "up") != 0 && strcmp(sub, "down") != 0 && strcmp(sub, "status") != 0) {
        const char *sug = suggest_closest(sub, subs);
        return cli_usage("sandbox", "unknown subcommand \"%s\" (%s%s%s)", sub,
                         sug ? "did you mean " : "expected up, down or status", sug ? sug : "",
                         sug ? "?" : "");
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(sandbox_help, stdout);
            return DRILL_EXIT_OK;
        }
    /* fixtures/sandbox.sh spells --format json as --json; text is its default. */
    static char json_opt[] = "--json";
    bool has_dir = false;
    /* --backup=TOOL becomes two arguments: room for every one doing so. */
    char **args = xcalloc(2 * (size_t)argc + 3, sizeof *args);
    size_t n = 0;
    args[n++] = argv[1];
    for (int i = 2; i < argc; i++) {
        bool json = false;
        bool inline_value = strncmp(argv[i], "--format=", 9) == 0;
        if (inline_value || (strcmp(argv[i], "--format") == 0 && i + 1 < argc)) {
            const char *value = inline_value ? argv[i] + 9 : argv[++i];
            if (cli_parse_format("sandbox", value, &json) != 0) {
                free(args);
                return DRILL_EXIT_INVALID;
            }
            if (json)
                args[n++] = json_opt;
            continue;
        }
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            has_dir = true;
            args[n++] = argv[i++];
        } else if (strcmp(argv[i], "--wal-fs") == 0 && i + 1 < argc && strcmp(sub, "up") == 0) {
            args[n++] = argv[i++];
        } else if (strcmp(argv[i], "--backup") == 0 || strncmp(argv[i], "--backup=", 9) == 0) {
            /* fixtures/sandbox.sh checks too; here the mistake gets drill's
             * usage line and the sandbox is not touched. */
            bool inline_tool = argv[i][8] == '=';
            char *value = inline_tool ? argv[i] + 9 : i + 1 < argc ? argv[i + 1] : NULL;
            int bad = -1;
            if (strcmp(sub, "up") != 0)
                bad = cli_usage("sandbox", "--backup is an option of `drill sandbox up` only");
            else if (value == NULL)
                bad = cli_usage("sandbox", "--backup needs a value: barman or pgbackrest");
            else if (strcmp(value, "barman") != 0 && strcmp(value, "pgbackrest") != 0)
                bad = cli_usage("sandbox", "--backup takes barman or pgbackrest, not \"%s\"", value);
            if (bad >= 0) {
                free(args);
                return bad;
            }
            static char backup_opt[] = "--backup";
            args[n++] = backup_opt;
            args[n++] = value;
            if (!inline_tool)
                i++;
            continue;
        } else if (strcmp(argv[i], "--json") != 0 &&
                   !(strcmp(argv[i], "--ssh") == 0 && strcmp(sub, "up") == 0)) {
            free(args);
            return cli_usage("sandbox", "unknown option \"%s\"", argv[i]);
        }
        args[n++] = argv[i];
    }
    char *d = has_dir ? NULL : paths_sandbox_dir();
    if (!has_dir) {
        static char dir_opt[] = "--dir";
        args[n++] = dir_opt;
        args[n++] = d;
    }
    DrillError err;
    int rc = run_script(args, n, false, &err);
    free(args);
    free(d);
    return rc < 0 ? cli_fail("sandbox", &err) : rc;
}
