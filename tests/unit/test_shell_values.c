/*
 * test_shell_values.c — no injection (issue: safety, item 7). Values from
 * `variables:` and `${capture.NAME}` reach a `shell` step only through its
 * environment (DRILL_VAR_x / DRILL_CAPTURE_x, passed as single argv
 * elements of `env`), never as shell text; `exec` items are never split.
 * Checks the quoting-context scanner, the parser's rewriting (and its
 * refusals, with positions), the argv builder, and runs the built argv
 * through /bin/sh with hostile values: no marker file, exact bytes back.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"
#include "harness.h"
#include "scenario.h"
#include "shellenv.h"
#include "shellscan.h"
#include "testutil.h"

static ShellCtx ctx_after(const char *text)
{
    ShellScan s;
    shellscan_init(&s);
    shellscan_feed(&s, text, strlen(text));
    return shellscan_context(&s);
}

TEST(scanner_contexts)
{
    CHECK_INT(ctx_after("echo "), SHELL_CODE);
    CHECK_INT(ctx_after("echo \"a "), SHELL_QUOTED);
    CHECK_INT(ctx_after("echo \"a\" "), SHELL_CODE);
    CHECK_INT(ctx_after("echo 'a "), SHELL_LITERAL);
    CHECK_INT(ctx_after("echo 'a\"' "), SHELL_CODE);
    CHECK_INT(ctx_after("echo \"it's "), SHELL_QUOTED);
    CHECK_INT(ctx_after("echo \"$(cat "), SHELL_CODE);
    CHECK_INT(ctx_after("echo \"$(cat a) "), SHELL_QUOTED);
    CHECK_INT(ctx_after("echo `ls "), SHELL_CODE);
    CHECK_INT(ctx_after("echo \\"), SHELL_LITERAL);
    CHECK_INT(ctx_after("echo \\\" "), SHELL_CODE);
    CHECK_INT(ctx_after("echo $(( 1 + "), SHELL_ARITH);
    CHECK_INT(ctx_after("echo $(( (1) + 2 )) "), SHELL_CODE);
    CHECK_INT(ctx_after("echo ${a:-"), SHELL_PARAM);
    CHECK_INT(ctx_after("echo # don't "), SHELL_COMMENT);
    CHECK_INT(ctx_after("echo # don't\necho "), SHELL_CODE);
    CHECK_INT(ctx_after("echo a#b 'c "), SHELL_LITERAL);
    CHECK_INT(ctx_after("cat <<EOF\nx "), SHELL_QUOTED);
    CHECK_INT(ctx_after("cat <<'EOF'\nx "), SHELL_LITERAL);
    CHECK_INT(ctx_after("cat <<-EOF\n\tx\n\tEOF\necho "), SHELL_CODE);
    CHECK_INT(ctx_after("cat <<EOF\nit's\nEOF\necho "), SHELL_CODE);
    CHECK_INT(ctx_after("cat <<<"), SHELL_CODE);
    CHECK_INT(ctx_after("cat <<"), SHELL_LITERAL);   /* the here-document's WORD */
    char deep[3 * SHELLSCAN_DEPTH + 1] = "";
    for (int i = 0; i < SHELLSCAN_DEPTH; i++)
        memcpy(deep + 3 * i, "\"$(", 3);
    deep[3 * SHELLSCAN_DEPTH] = '\0';
    CHECK_INT(ctx_after(deep), SHELL_TOO_DEEP);
}

/* Hostile values: each would create a marker file if the shell ran it. */
#define MARK "/tmp/drill-unit-pwned"
static const char *const hostile[] = {
    "it's",
    "say \"hi\" \\\"there\\\"",
    "x; touch " MARK " #",
    "$(touch " MARK ")",
    "`touch " MARK "`",
    "  two  spaces\tand a tab ",
    "line1\n'; touch " MARK "; echo '\nline3",
    "${HOME} $1 $# *",
    "'\\'' ' ; touch " MARK " ; '",
    "",
};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

/* A drill whose variables v0..v9 are the hostile values (YAML-escaped). */
static Scenario *hostile_drill(const char *command, DiagList *dl)
{
    Buf b;
    buf_init(&b, 1 << 20);
    buf_appends(&b, "name: h\nvariables:\n");
    for (size_t i = 0; i < NHOSTILE; i++) {
        buf_appendf(&b, "  v%zu: \"", i);
        for (const char *p = hostile[i]; *p != '\0'; p++)
            buf_appendf(&b, strchr("\"\\\n\t", *p) ? "\\x%02x" : "%c", (unsigned char)*p);
        buf_appends(&b, "\"\n");
    }
    buf_appends(&b, "preflight:\n  - kind: sql\n    node: backup\n    query: select 1\n"
                    "    capture: c\n  - kind: shell\n    node: backup\n    command: ");
    buf_appends(&b, command);
    buf_appends(&b, "\n  - kind: exec\n    node: backup\n    argv: [\"${v6}\", \"a ${v2} "
                    "${capture.c} b\", \"${v9}\"]\n");
    Scenario *s = NULL;
    scenario_parse("h.yaml", b.data, b.len, dl, &s);
    buf_free(&b);
    return s;
}

static const char *lookup_c(void *ud, const char *name)
{
    (void)ud;
    return strcmp(name, "c") == 0 ? hostile[3] : NULL;
}

TEST(shell_rewrites_references)
{
    DiagList *dl = diag_list_new();
    Scenario *s = hostile_drill("'printf %s ${v0}x \"<${v3}>\" ${capture.c}'", dl);
    CHECK(s != NULL);
    if (s == NULL) {
        diag_list_free(dl);
        return;
    }
    const Step *sh = &s->steps[PHASE_PREFLIGHT][1];
    CHECK_STR(step_str(sh, "command", ""),
              "printf %s \"${DRILL_VAR_v0}\"x \"<${DRILL_VAR_v3}>\" \"${DRILL_CAPTURE_c}\"");
    CHECK(!step_has_deferred(sh));   /* nothing left to paste at run time */
    /* exec: substituted inside one item, the capture at run time. */
    const Step *ex = &s->steps[PHASE_PREFLIGHT][2];
    Step *r = NULL;
    DrillError err;
    CHECK_INT(step_resolve(ex, lookup_c, NULL, &r, &err), 0);
    if (r != NULL) {
        char *const *argv = step_list(r, "argv");
        char *want = xasprintf("a %s %s b", hostile[2], hostile[3]);
        CHECK_STR(argv[0], hostile[6]);
        CHECK_STR(argv[1], want);
        CHECK_STR(argv[2], "");
        CHECK(argv[3] == NULL);
        free(want);
    }
    step_resolved_free(r);
    scenario_free(s);
    diag_list_free(dl);
}

/* A reference where the shell would not expand it (or would evaluate it)
 * is an error at the `${`, with a hint. */
static void check_refused(const char *command, const char *where)
{
    DiagList *dl = diag_list_new();
    Scenario *s = hostile_drill(command, dl);
    CHECK(s == NULL);
    char *text = testutil_diags_text(dl);
    CHECK(strstr(text, where) != NULL);
    CHECK(strstr(text, "this reference is inside") != NULL);
    CHECK(strstr(text, "hint:") != NULL);
    if (strstr(text, where) == NULL)
        fprintf(stderr, "%s", text);
    free(text);
    scenario_free(s);
    diag_list_free(dl);
}

TEST(shell_refuses_unexpanded_contexts)
{
    /* line 20 of the generated drill holds the command */
    check_refused("\"echo '${v1}'\"", "h.yaml:20:21:");
    check_refused("\"echo $(( ${v1} + 1 ))\"", "h.yaml:20:24:");
    check_refused("\"echo $${HOME:-${v1}}\"", "h.yaml:20:29:");
    check_refused("\"echo \\\\${v1}\"", "h.yaml:20:22:");
}

/* Runs `printf %s <ref> > FILE` through the real argv for each value. */
static void run_one(const Scenario *sc, const char *command, const char *want, const char *out)
{
    Argv a = {.n = 0};
    DrillError err;
    CHECK_INT(shellenv_argv(sc, command, lookup_c, NULL, &a, &err), 0);
    CHECK_STR(a.v[0], "env");
    Executor *ex = exec_local_new();
    ExecRequest req = {.argv = a.v, .timeout_ms = 10000};
    ExecResult r;
    memset(&r, 0, sizeof r);
    CHECK_INT(exec_run(ex, &req, &r, &err), 0);
    CHECK_INT(r.exit_code, 0);
    char *got = testutil_read_file(out, NULL);
    CHECK(got != NULL);
    if (got != NULL)
        CHECK_STR(got, want);
    free(got);
    exec_result_clear(&r);
    exec_free(ex);
    argv_free(&a);
}

TEST(shell_values_arrive_as_data)
{
    unlink(MARK);
    DiagList *dl = diag_list_new();
    Scenario *s = hostile_drill("x", dl);
    diag_list_free(dl);
    CHECK(s != NULL);
    if (s == NULL)
        return;
    CHECK(testutil_tmpdir() != NULL);
    char *out = testutil_tmp_path("out");
    for (size_t i = 0; i < NHOSTILE; i++) {
        char *plain = xasprintf("printf %%s \"${DRILL_VAR_v%zu}\" > %s", i, out);
        char *quoted = xasprintf("printf %%s \"<${DRILL_VAR_v%zu}>\" > %s", i, out);
        char *want = xasprintf("<%s>", hostile[i]);
        run_one(s, plain, hostile[i], out);
        run_one(s, quoted, want, out);
        free(plain);
        free(quoted);
        free(want);
    }
    char *cap = xasprintf("printf %%s \"${DRILL_CAPTURE_c}\" > %s", out);
    run_one(s, cap, hostile[3], out);   /* a captured value, at run time */
    CHECK(access(MARK, F_OK) != 0);     /* nothing ran */
    free(cap);
    free(out);
    scenario_free(s);
}

TEST(shell_argv_builder)
{
    DiagList *dl = diag_list_new();
    Scenario *s = hostile_drill("x", dl);
    diag_list_free(dl);
    if (s == NULL)
        return;
    Argv a = {.n = 0};
    DrillError err;
    /* every mentioned name once; unknown DRILL_VAR_ names left alone */
    CHECK_INT(shellenv_argv(s, "echo $DRILL_VAR_v2 $DRILL_VAR_v2 $DRILL_VAR_nope $XDRILL_VAR_v1",
                            NULL, NULL, &a, &err), 0);
    CHECK_INT((int)a.n, 5);
    char *pair = xasprintf("DRILL_VAR_v2=%s", hostile[2]);
    CHECK_STR(a.v[1], pair);
    CHECK_STR(a.v[2], "/bin/sh");
    free(pair);
    argv_free(&a);
    /* dry run: the capture as written; run time without it: an error */
    CHECK_INT(shellenv_argv(s, "echo $DRILL_CAPTURE_c", NULL, NULL, &a, &err), 0);
    CHECK_STR(a.v[1], "DRILL_CAPTURE_c=${capture.c}");
    argv_free(&a);
    CHECK_INT(shellenv_argv(s, "echo $DRILL_CAPTURE_zz", lookup_c, NULL, &a, &err),
              DRILL_E_NOTFOUND);
    argv_free(&a);
    /* no value: plain /bin/sh -c, as before */
    CHECK_INT(shellenv_argv(s, "true", NULL, NULL, &a, &err), 0);
    CHECK_STR(a.v[0], "/bin/sh");
    argv_free(&a);
    scenario_free(s);
}

int main(void)
{
    RUN(scanner_contexts);
    RUN(shell_rewrites_references);
    RUN(shell_refuses_unexpanded_contexts);
    RUN(shell_values_arrive_as_data);
    RUN(shell_argv_builder);
    return harness_done();
}
