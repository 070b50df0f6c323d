/*
 * test_sqlscan.c — captured values are data in SQL too (issue 14). A
 * `${capture.NAME}` in a `query` (sql, wait_for probe: sql) is bound as a
 * query parameter ($1) when the step runs, never pasted into the text.
 * Checks the SQL context scanner, the parser's refusals (with positions) of
 * a reference where a parameter cannot stand, and the run-time binding:
 * the text holds only $N, the values travel beside it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "scenario.h"
#include "sqlscan.h"
#include "testutil.h"
#include "util.h"

static SqlCtx ctx_after(const char *text)
{
    SqlScan s;
    sqlscan_init(&s);
    sqlscan_feed(&s, text, strlen(text));
    return sqlscan_context(&s);
}

static bool positional_in(const char *text)
{
    SqlScan s;
    sqlscan_init(&s);
    sqlscan_feed(&s, text, strlen(text));
    return sqlscan_positional(&s);
}

TEST(scanner_contexts)
{
    CHECK_INT(ctx_after("select "), SQL_CODE);
    CHECK_INT(ctx_after("select 'a "), SQL_LITERAL);
    CHECK_INT(ctx_after("select 'a' "), SQL_CODE);
    CHECK_INT(ctx_after("select 'it''s "), SQL_LITERAL);      /* '' is one quote */
    CHECK_INT(ctx_after("select 'it''s' "), SQL_CODE);
    CHECK_INT(ctx_after("select '\\' "), SQL_CODE);            /* standard string: \ is text */
    CHECK_INT(ctx_after("select E'\\' "), SQL_LITERAL);        /* E'': \' escapes the quote */
    CHECK_INT(ctx_after("select e'a\\\\' "), SQL_CODE);
    CHECK_INT(ctx_after("select E'a''\\' "), SQL_LITERAL);     /* still E after '' */
    CHECK_INT(ctx_after("select xe'\\' "), SQL_CODE);          /* xe is a word: not E'' */
    CHECK_INT(ctx_after("select \"a "), SQL_IDENT);
    CHECK_INT(ctx_after("select \"a\"\"b "), SQL_IDENT);
    CHECK_INT(ctx_after("select \"a\"\"b\" "), SQL_CODE);
    CHECK_INT(ctx_after("select \"it's\" "), SQL_CODE);
    CHECK_INT(ctx_after("select $$a "), SQL_DOLLAR);
    CHECK_INT(ctx_after("select $$it's$$ "), SQL_CODE);
    CHECK_INT(ctx_after("select $fn$ a $$ b "), SQL_DOLLAR);   /* only $fn$ closes it */
    CHECK_INT(ctx_after("select $fn$ a $$ b $fn$ "), SQL_CODE);
    CHECK_INT(ctx_after("select $f1$ x $f1$ "), SQL_CODE);
    CHECK_INT(ctx_after("select 1 -- it's "), SQL_COMMENT);
    CHECK_INT(ctx_after("select 1 -- it's\n "), SQL_CODE);
    CHECK_INT(ctx_after("select 1 - "), SQL_CODE);
    CHECK_INT(ctx_after("select /* a "), SQL_COMMENT);
    CHECK_INT(ctx_after("select /* a */ "), SQL_CODE);
    CHECK_INT(ctx_after("select /* a /* b */ "), SQL_COMMENT);  /* nested */
    CHECK_INT(ctx_after("select /* a /* b */ c */ "), SQL_CODE);
    CHECK_INT(ctx_after("select /*/ "), SQL_COMMENT);
    CHECK_INT(ctx_after("select 1 / 2 * "), SQL_CODE);
    CHECK_INT(ctx_after("select '--' "), SQL_CODE);
    CHECK_INT(ctx_after("select '/*' "), SQL_CODE);
    CHECK_INT(ctx_after("select -- '\n'a "), SQL_LITERAL);
    CHECK_INT(ctx_after("select a"), SQL_GLUED);
    CHECK_INT(ctx_after("select a$"), SQL_GLUED);
    CHECK_INT(ctx_after("select $"), SQL_GLUED);
    CHECK_INT(ctx_after("select $tag"), SQL_GLUED);
    CHECK_INT(ctx_after("select ("), SQL_CODE);
    CHECK_INT(ctx_after("select 1::int, "), SQL_CODE);
    char tag[SQLSCAN_TAG_MAX + 16] = "select $";
    memset(tag + 8, 't', SQLSCAN_TAG_MAX + 2);
    tag[8 + SQLSCAN_TAG_MAX + 2] = '\0';
    CHECK_INT(ctx_after(tag), SQL_TOO_LONG);
}

TEST(scanner_positional)
{
    CHECK(positional_in("select $1"));
    CHECK(positional_in("select 1 where x = $12"));
    CHECK(!positional_in("select '$1'"));
    CHECK(!positional_in("select \"$1\""));
    CHECK(!positional_in("select $$ $1 $$"));
    CHECK(!positional_in("select 1 -- $1"));
    CHECK(!positional_in("select a$1"));   /* part of the identifier a$1 */
    CHECK(!positional_in("select $a$ x $a$"));
}

/* A drill: preflight captures x and z, then a sql step runs `query`
 * (written on line 10, column 12 of the file). */
static Scenario *query_drill(const char *query, DiagList *dl)
{
    char *text = xasprintf("name: q\npreflight:\n"
                           "  - {kind: sql, node: primary, query: select 1, capture: x}\n"
                           "  - {kind: sql, node: primary, query: select 2, capture: z}\n"
                           "  - kind: wait_for\n    node: primary\n    probe: sql\n"
                           "    query: select ${capture.z} = 2\n"
                           "  - kind: sql\n    query: %s\n    node: primary\n", query);
    Scenario *s = NULL;
    scenario_parse("q.yaml", text, strlen(text), dl, &s);
    free(text);
    return s;
}

/* The query is refused with this text in the diagnostics (position, why). */
static void check_refused(const char *query, const char *want, const char *hint)
{
    DiagList *dl = diag_list_new();
    Scenario *s = query_drill(query, dl);
    CHECK(s == NULL);
    char *text = testutil_diags_text(dl);
    bool found = strstr(text, want) != NULL && strstr(text, hint) != NULL;
    CHECK(found);
    if (!found)
        fprintf(stderr, "query %s, want \"%s\" and \"%s\", got:\n%s", query, want, hint, text);
    free(text);
    scenario_free(s);
    diag_list_free(dl);
}

#define IN_LITERAL "this reference is inside a '...' string literal"
#define BIND_HINT "hint: write it outside the quotes: drill binds a captured value as a query " \
                  "parameter ($1), so '${capture.x}' becomes ${capture.x} (cast it if needed: " \
                  "${capture.x}::int)"

TEST(parse_refuses_quoted_references)
{
    check_refused("select '${capture.x}'", "q.yaml:10:20: error: " IN_LITERAL, BIND_HINT);
    check_refused("\"select 'it''s ${capture.x}'\"", "q.yaml:10:27: error: " IN_LITERAL,
                  BIND_HINT);
    check_refused("select E'\\' ${capture.x}'", "q.yaml:10:24: error: " IN_LITERAL, BIND_HINT);
    check_refused("'select \"${capture.x}\"'", "q.yaml:10:21: error: this reference is inside "
                  "a \"...\" quoted identifier", "hint: a name cannot be bound: use a shell step");
    check_refused("select $$a ${capture.x} b$$", "q.yaml:10:23: error: this reference is inside "
                  "a $tag$...$tag$ dollar-quoted string", "hint: write it outside the dollar");
    check_refused("select $f$ $$ ${capture.x} $f$", "q.yaml:10:26:", "dollar-quoted string");
    check_refused("\"select 1 -- ${capture.x}\"", "q.yaml:10:25: error: this reference is "
                  "inside an SQL comment", "hint: remove it from the comment");
    check_refused("select /* /* */ ${capture.x} */ 1", "q.yaml:10:28:", "inside an SQL comment");
    check_refused("select a${capture.x}", "q.yaml:10:20: error: this reference is glued to the "
                  "word", "hint: separate it with a space");
    check_refused("select ${capture.x}0", "q.yaml:10:19:", "glued");
    check_refused("select ${capture.x}${capture.z}", "q.yaml:10:19:", "glued");
    /* a multi-line query: the position is the reference's own line */
    check_refused("|\n      select 1,\n        '${capture.x}'", "q.yaml:12:10: error: "
                  IN_LITERAL, BIND_HINT);
}

TEST(parse_refuses_own_positional_parameters)
{
    check_refused("select ${capture.x} + $1", "q.yaml:10:19: error: this query uses its own "
                  "positional parameters", "hint: drill numbers the bound captures");
    check_refused("select $2, ${capture.x}", "q.yaml:10:23:", "positional parameters");
    /* without a capture reference, $1 is the author's business (and an error at run time) */
    DiagList *dl = diag_list_new();
    Scenario *s = query_drill("select '$1'", dl);
    CHECK(s != NULL);
    scenario_free(s);
    diag_list_free(dl);
}

static const char *lookup_xy(void *ud, const char *name)
{
    (void)ud;
    if (strcmp(name, "x") == 0)
        return "x'; create table pwned(i int); --";
    return strcmp(name, "z") == 0 ? "2" : NULL;
}

/* Parses `query`, resolves the sql step and checks its text and binds. */
static void check_bound(const char *query, const char *want, size_t nbind, const char *const *names)
{
    DiagList *dl = diag_list_new();
    Scenario *s = query_drill(query, dl);
    CHECK(s != NULL);
    if (s == NULL) {
        diag_print(dl, stderr);
        diag_list_free(dl);
        return;
    }
    const Step *st = &s->steps[PHASE_PREFLIGHT][3];
    CHECK(step_has_deferred(st));
    Step *r = NULL;
    DrillError err;
    CHECK_INT(step_resolve(st, lookup_xy, NULL, &r, &err), 0);
    const StepParam *q = step_param(r, "query");
    CHECK(q != NULL);
    if (q != NULL) {
        CHECK_STR(q->value, want);
        CHECK_INT(q->nbind, nbind);
        for (size_t i = 0; i < nbind && i < q->nbind; i++) {
            CHECK_STR(q->bind_name[i], names[i]);
            CHECK_STR(q->bind[i], lookup_xy(NULL, names[i]));
        }
    }
    step_resolved_free(r);
    scenario_free(s);
    diag_list_free(dl);
}

TEST(resolve_binds_values)
{
    const char *const x[] = {"x"}, *const xy[] = {"x", "z"}, *const yx[] = {"z", "x"};
    check_bound("select ${capture.x}", "select $1", 1, x);
    check_bound("select ${capture.x}::int", "select $1::int", 1, x);
    check_bound("select ${capture.x}, ${capture.z}", "select $1, $2", 2, xy);
    check_bound("select ${capture.z} || ${capture.x} || ${capture.z}", "select $1 || $2 || $1",
                2, yx);
    check_bound("select ${capture.x} = ${capture.x}", "select $1 = $1", 1, x);
    check_bound("\"select '$${x}', ${capture.x} -- it's\"", "select '${x}', $1 -- it's", 1, x);
    check_bound("select (${capture.x})", "select ($1)", 1, x);
}

/* wait_for's query is SQL too; a dry run (no lookup) shows it as written;
 * a missing value is an error, not an empty parameter. */
TEST(resolve_wait_for_and_dry_run)
{
    DiagList *dl = diag_list_new();
    Scenario *s = query_drill("select ${capture.x}", dl);
    CHECK(s != NULL);
    if (s == NULL) {
        diag_list_free(dl);
        return;
    }
    Step *r = NULL;
    DrillError err;
    CHECK_INT(step_resolve(&s->steps[PHASE_PREFLIGHT][2], lookup_xy, NULL, &r, &err), 0);
    CHECK_STR(step_str(r, "query", ""), "select $1 = 2");
    CHECK_INT(step_param(r, "query")->nbind, 1);
    step_resolved_free(r);
    CHECK_INT(step_resolve(&s->steps[PHASE_PREFLIGHT][3], NULL, NULL, &r, &err), 0);
    CHECK_STR(step_str(r, "query", ""), "select ${capture.x}");
    CHECK_INT(step_param(r, "query")->nbind, 0);
    step_resolved_free(r);
    scenario_free(s);
    diag_list_free(dl);
}

int main(void)
{
    RUN(scanner_contexts);
    RUN(scanner_positional);
    RUN(parse_refuses_quoted_references);
    RUN(parse_refuses_own_positional_parameters);
    RUN(resolve_binds_values);
    RUN(resolve_wait_for_and_dry_run);
    return harness_done();
}
