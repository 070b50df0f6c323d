/*
 * cli.h — the `drill` command line: one function per command, listed in
 * one table in main.c. Commands parse their own options and return the
 * process exit status.
 */
#ifndef DRILL_CLI_H
#define DRILL_CLI_H

#include "error.h"
#include "runner.h"
#include "store.h"

typedef int (*CmdFn)(int argc, char **argv);

typedef struct Command {
    const char *name;
    CmdFn fn;
    const char *summary;
} Command;

int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_sandbox(int argc, char **argv);
int cmd_show(int argc, char **argv);

/* Prints "drill CMD: message" (+ hint lines inside the message) and returns
 * the exit status for the error's code. */
int cli_fail(const char *cmd, const DrillError *err);
/* Usage error: prints the message and "try drill CMD --help", returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* getopt_long with one error line per mistake: getopt's own messages are
 * off; an unknown option gets "did you mean --X?", a missing value names the
 * option, both with the --help hint. Returns what getopt_long returns, or
 * '?' after printing the error (the caller returns DRILL_EXIT_INVALID). */
struct option;
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *opts);

/* Hint for a drill argument that names no drill: "did you mean `NAME`?"
 * when a known drill is close, else `fallback`. malloc'd. */
char *cli_drill_hint(const char *arg, const char *fallback);

/* --format text|json: sets *json; prints a usage error and returns 2 otherwise. */
int cli_parse_format(const char *cmd, const char *value, bool *json);
/* --color auto|always|never: configures color.h; usage error (2) otherwise. */
int cli_parse_color(const char *cmd, const char *value);

/* Opens the store at --db / DRILL_DB / default; prints errors. */
int cli_open_store(const char *cmd, const char *db_path, Store **out);
/* Same, but a store that does not exist is an error (exit 3), not created:
 * verifying a mistyped path must not report an intact, empty chain. */
int cli_open_existing_store(const char *cmd, const char *db_path, Store **out);

/* Renders a stored run's JUnit and/or HTML (NULL = not wanted), lists each
 * file in its directory's SHA256SUMS and records it with the run. Prints
 * errors; returns 0 or an exit status. */
int cli_write_reports(const char *cmd, Store *st, const RunRecord *rec, const char *junit,
                      const char *html);

/* The same for the runs of one batch (`drill run A B`, `drill report
 * --batch`): one JUnit file with a <testsuite> per run; one HTML per run,
 * named FILE-SEQ-DRILL.html when there are several. */
int cli_write_batch_reports(const char *cmd, Store *st, const RunRecord *const *recs, size_t n,
                            const char *junit, const char *html);

/* Loads the runs of batch_id in order (*recs malloc'd; free each with
 * run_record_free). Prints errors; returns 0 or an exit status. */
int cli_load_batch(const char *cmd, Store *st, int64_t batch_id, RunRecord ***recs, size_t *n);
void cli_free_batch(RunRecord **recs, size_t n);
/* `drill show|report [--batch] ID`: ARG parsed as a run (or batch) id and
 * its run(s) loaded. Prints errors (usage: 2); returns 0 or an exit status.
 * Free *recs with cli_free_batch, also on error. */
int cli_load_runs(const char *cmd, Store *st, const char *arg, bool batch, RunRecord ***recs,
                  size_t *n);

/* A verdict word in its color, on stdout (passed, failed, met, MISSED...). */
void cli_put_word(const char *word);
/* "  objective rto  target 30000 ms, measured 3789 ms: met", as after a run. */
void cli_print_objective(const StoredObjective *o);
/* {"schema_version": 1, "runs": [...]}: each run as `drill run --format json`
 * prints it. Prints errors; returns 0 or an exit status. */
int cli_print_runs_json(const char *cmd, RunRecord *const *recs, size_t n);
/* One run as an object of such a document (schema: $defs/run). */
struct JsonWriter;
void cli_json_run(struct JsonWriter *w, const RunRecord *r);

/* Exit statuses block shared by every --help. */
extern const char cli_exit_help[];

/* --progress auto|tty|lines|quiet; usage error (2) otherwise. */
int cli_parse_progress(const char *cmd, const char *value, ProgressMode *mode);
/* INT, TERM, HUP ask the runner to stop (runner_request_stop); SIGPIPE ignored. */
void cli_install_signals(void);
int cmd_repair(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_fleet(int argc, char **argv);
int cmd_store(int argc, char **argv);
/* Loads TOPOLOGY, or the sandbox's (sandbox_dir, else the default one),
 * printing its problems; *path (may be NULL) gets the file's path
 * (malloc'd). 0, or DRILL_EXIT_INVALID. */
int cli_load_topology(const char *topology, const char *sandbox_dir, Topology **t, char **path);

/* Brings the local sandbox up if needed and returns its topology path (malloc'd). */
int cli_sandbox_topology(const char *dir, char **topology_path, DrillError *err);

#endif
