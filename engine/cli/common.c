/*
 * common.c — helpers shared by the commands: error printing, opening the
 * store, the exit-status text.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "runner.h"
#include "color.h"
#include "paths.h"
#include "suggest.h"
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

#define CLI_OPTIONS_MAX 64

/* "--dbb=x" -> "dbb" in buf. */
static const char *long_name(const char *arg, char *buf, size_t bufsz)
{
    while (*arg == '-')
        arg++;
    snprintf(buf, bufsz, "%.*s", (int)strcspn(arg, "="), arg);
    return buf;
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *opts)
{
    char spec[64];
    snprintf(spec, sizeof spec, ":%s", shortopts);   /* ':' = missing value returns ':' */
    opterr = 0;
    int c = getopt_long(argc, argv, spec, opts, NULL);
    if (c != '?' && c != ':')
        return c;
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    char name[64];
    if (c == ':') {
        if (optopt != 0 && strncmp(arg, "--", 2) != 0)
            cli_usage(cmd, "option -%c needs a value", optopt);
        else
            cli_usage(cmd, "option --%s needs a value", long_name(arg, name, sizeof name));
        return '?';
    }
    if (optopt != 0 && strncmp(arg, "--", 2) != 0) {
        cli_usage(cmd, "unknown option -%c", optopt);
        return '?';
    }
    const char *names[CLI_OPTIONS_MAX + 1];
    size_t n = 0;
    for (; opts[n].name != NULL && n < CLI_OPTIONS_MAX; n++)
        names[n] = opts[n].name;
    names[n] = NULL;
    const char *sug = suggest_closest(long_name(arg, name, sizeof name), names);
    if (sug != NULL)
        cli_usage(cmd, "unknown option --%s (did you mean --%s?)", name, sug);
    else
        cli_usage(cmd, "unknown option \"%s\"", arg);
    return '?';
}

char *cli_drill_hint(const char *arg, const char *fallback)
{
    DrillEntryList *l = paths_list_drills();
    const char **names = xcalloc(l->count + 1, sizeof *names);
    for (size_t i = 0; i < l->count; i++)
        names[i] = l->items[i].name;
    const char *sug = suggest_closest(arg, names);
    char *hint = sug != NULL ? xasprintf("did you mean `%s`? (`drill list` shows them all)", sug)
                             : xstrdup(fallback);
    free(names);
    paths_entries_free(l);
    return hint;
}

static int open_store(const char *cmd, const char *db_path, bool must_exist, Store **out)
{
    char *path = db_path != NULL ? xstrdup(db_path) : store_default_path();
    DrillError err;
    struct stat sb;
    int rc;
    if (must_exist && !store_is_uri(path) && stat(path, &sb) != 0) {
        char *dflt = store_default_path();
        rc = drill_error_set(&err, DRILL_E_STORE, "no store at %s: %s\n  hint: check --db / "
                             "DRILL_DB (default: %s); `drill %s` reads an existing store, it "
                             "never creates one", path, strerror(errno), dflt, cmd);
        free(dflt);
    } else
        rc = store_open(path, out, &err);
    free(path);
    if (rc < 0)
        return cli_fail(cmd, &err);
    /* A run whose drill died (SIGKILL, OOM, power) is never shown as
     * `running`: its run lock is free, so it is marked aborted and sealed
     * before anything reads the store. */
    if (runner_reap_orphans(*out, stderr, &err) < 0)
        fprintf(stderr, "drill %s: note: cannot mark the runs of dead drills aborted: %s\n",
                cmd, err.message);
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

int cli_parse_progress(const char *cmd, const char *value, ProgressMode *mode)
{
    static const char *const names[] = {"auto", "tty", "lines", "quiet"};
    for (int i = 0; i < 4; i++)
        if (strcmp(value, names[i]) == 0) {
            *mode = (ProgressMode)i;
            return 0;
        }
    return cli_usage(cmd, "--progress must be auto, tty, lines or quiet");
}

static void on_signal(int signo)
{
    runner_request_stop(signo);
}

void cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* The operator's SSH session closing: the same as an interrupt (the
     * drill finishes its recovery), never a silent death mid-recovery. */
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cli_load_topology(const char *topology, const char *sandbox_dir, Topology **t, char **path)
{
    char *dir = sandbox_dir ? xstrdup(sandbox_dir) : paths_sandbox_dir();
    char *p = topology ? xstrdup(topology) : xasprintf("%s/topology.yaml", dir);
    free(dir);
    DiagList *diags = diag_list_new();
    int rc = topology_load(p, diags, t);
    diag_print(diags, stderr);
    diag_list_free(diags);
    if (rc == 0 && path != NULL)
        *path = p;
    else
        free(p);
    return rc == 0 ? 0 : DRILL_EXIT_INVALID;
}
