/*
 * common.c — helpers shared by the commands: error printing, opening the
 * store, the exit-status text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "color.h"
#include "util.h"

const char cli_exit_help[] =
    "Exit status:\n"
    "  0    objectives met (or the command succeeded)\n"
    "  1    an objective was missed, or recovery/verification failed\n"
    "  2    usage error, invalid drill or topology file\n"
    "  3    aborted: preflight or fault injection failed, infrastructure error\n"
    "  128+N  interrupted by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP): after the\n"
    "         fault the recovery (or the rollback) finished first; cleanup still ran\n";

int cli_fail(const char *cmd, const DrillError *err)
{
    fprintf(stderr, "drill %s: error: %s\n", cmd, err->message);
    return drill_exit_code(err->code);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "drill %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  hint: run `drill %s --help`\n", cmd);
    return DRILL_EXIT_INVALID;
}

static int open_store(const char *cmd, const char *db_path, bool must_exist, Store **out)
{
    char *path = db_path != NULL ? xstrdup(db_path) : store_default_path();
    DrillError err;
    struct stat sb;
    int rc;
    if (must_exist && stat(path, &sb) != 0)
        rc = drill_error_set(&err, DRILL_E_STORE, "no store at %s: %s\n  hint: check --db / "
                             "DRILL_DB; `drill %s` reads an existing store, it never creates one",
                             path, strerror(errno), cmd);
    else
        rc = store_open(path, out, &err);
    free(path);
    if (rc < 0)
        return cli_fail(cmd, &err);
    return 0;
}

int cli_open_store(const char *cmd, const char *db_path, Store **out)
{
    return open_store(cmd, db_path, false, out);
}

int cli_open_existing_store(const char *cmd, const char *db_path, Store **out)
{
    return open_store(cmd, db_path, true, out);
}

int cli_parse_format(const char *cmd, const char *value, bool *json)
{
    if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0)
        return cli_usage(cmd, "--format must be text or json");
    *json = strcmp(value, "json") == 0;
    return 0;
}

int cli_parse_color(const char *cmd, const char *value)
{
    ColorMode mode;
    if (color_parse(value, &mode) < 0)
        return cli_usage(cmd, "--color must be auto, always or never");
    color_set_mode(mode);
    return 0;
}
