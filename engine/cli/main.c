/*
 * main.c — drill's entry point: a table of commands, nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "suggest.h"
#include "util.h"

static const Command commands[] = {
    {"run", cmd_run, "run a drill against a topology (default: the local sandbox)"},
    {"validate", cmd_validate, "check drill and topology files; explains every error"},
    {"list", cmd_list, "list the drills drill can find, with their descriptions"},
    {"history", cmd_history, "list past runs from the store"},
    {"show", cmd_show, "show a stored run in the terminal: verdict, downtime, steps, findings"},
    {"report", cmd_report, "re-render the JUnit / HTML report of a stored run"},
    {"verify", cmd_verify, "check the integrity of stored evidence"},
    {"audit", cmd_audit, "check a topology for DR risks without changing anything"},
    {"fleet", cmd_fleet, "every target x drill at a glance: verdict, RTO/RPO, age (CI gate)"},
    {"store", cmd_store, "copy runs between stores (store copy FROM TO), evidence re-sealed"},
    {"repair", cmd_repair, "bring back a target a drill left broken, and release it"},
    {"sandbox", cmd_sandbox, "bring the local PostgreSQL + standby + Barman sandbox up or down"},
};

static void usage(FILE *out)
{
    fputs("usage: drill COMMAND [OPTIONS] [ARGS]\n\n"
          "drill rehearses PostgreSQL disaster recovery: it breaks a topology the way a\n"
          "disaster would (wiped primary, dropped database, bloated slot, dead primary),\n"
          "recovers it the way an operator would (Barman, promote, re-clone, rewind), and\n"
          "measures RTO and RPO with a heartbeat writer instead of guessing them.\n\n"
          "Commands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\nGlobal option (before COMMAND, or the command's own option after it):\n"
          "  --format text|json   json: every command prints one JSON document on stdout,\n"
          "                       described by drill-output.schema.json (drill(1), JSON OUTPUT)\n",
          out);
    fputs("\nFirst steps:\n"
          "  drill run primary-wipe        # stands up a local sandbox, wipes and restores it\n"
          "  drill validate drills/*.yaml  # checks drill files\n"
          "  drill help COMMAND            # options of a command (or drill COMMAND --help)\n\n", out);
    fputs(cli_exit_help, out);
    fputs("\nEnvironment: DRILL_DB (results store: a file or a postgresql:// URI),\n"
          "DRILL_PATH (drill directories), "
          "DRILL_SANDBOX_DIR (sandbox state),\nNO_COLOR.\n", out);
}

#define NCOMMANDS (sizeof commands / sizeof *commands)

static const Command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    const char *names[NCOMMANDS + 1];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    names[NCOMMANDS] = NULL;
    const char *sug = suggest_closest(name, names);
    if (sug != NULL)
        fprintf(stderr, "drill: unknown command \"%s\"\n  hint: did you mean `drill %s`? "
                "(`drill --help` lists them all)\n", name, sug);
    else
        fprintf(stderr, "drill: unknown command \"%s\"\n  hint: run `drill --help` for the "
                "list\n", name);
    return DRILL_EXIT_INVALID;
}

/* `drill help COMMAND` is `drill COMMAND --help`. */
static int help_command(const char *name)
{
    const Command *c = find_command(name);
    if (c == NULL)
        return unknown_command(name);
    static char help_opt[] = "--help";
    char *cmd = xstrdup(name);
    char *args[] = {cmd, help_opt, NULL};
    int rc = c->fn(2, args);
    free(cmd);
    return rc;
}

/* `drill --format json COMMAND ARGS...` is `drill COMMAND ARGS... --format
 * json` (before a `--`, if any): every command takes --format, so the global
 * spelling is the command's own option, with the same checks. Returns the
 * number of argv entries the global option used (0, or 1 for --format=X, 2). */
static int global_format(int argc, char **argv, char **value)
{
    if (argc > 1 && strncmp(argv[1], "--format=", 9) == 0) {
        *value = argv[1] + 9;
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "--format") == 0) {
        if (argc < 3) {
            fputs("drill: --format needs a value (text or json)\n  hint: drill --format json "
                  "COMMAND ...\n", stderr);
            return -1;
        }
        *value = argv[2];
        return 2;
    }
    return 0;
}

/* Runs command c with "--format VALUE" added to its arguments. */
static int run_with_format(const Command *c, int argc, char **argv, char *value)
{
    static char format_opt[] = "--format";
    char **args = xcalloc((size_t)argc + 3, sizeof *args);
    int n = 0, i = 0;
    while (i < argc && (i == 0 || strcmp(argv[i], "--") != 0))
        args[n++] = argv[i++];
    args[n++] = format_opt;
    args[n++] = value;
    while (i < argc)
        args[n++] = argv[i++];
    int rc = c->fn(n, args);
    free(args);
    return rc;
}

int main(int argc, char **argv)
{
    char *format = NULL;
    int used = global_format(argc, argv, &format);
    if (used < 0)
        return DRILL_EXIT_INVALID;
    argc -= used;
    argv += used;
    if (argc < 2) {
        usage(stderr);
        return DRILL_EXIT_INVALID;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 && argc > 2)
        return help_command(argv[2]);
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return DRILL_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("drill %s\n", DRILL_VERSION);
        return DRILL_EXIT_OK;
    }
    const Command *c = find_command(name);
    if (c == NULL)
        return unknown_command(name);
    return format != NULL ? run_with_format(c, argc - 1, argv + 1, format)
                          : c->fn(argc - 1, argv + 1);
}
