/*
 * junit.c — JUnit XML for CI (report_junit_write in report.h).
 *
 * Shape (accepted by the Jenkins xunit-plugin junit-10.xsd, GitLab, GitHub
 * reporters and Azure):
 *   <testsuites name="drill" tests failures errors time>   (sums of its suites)
 *     <testsuite name=DRILL ...> one per run: `drill run A B` writes two
 *     <testsuite name=DRILL tests failures errors skipped time timestamp hostname>
 *       <properties> the run's fields (as record.h names them), facts and
 *         measurements </properties>
 *       <testcase classname="drill.DRILL.PHASE" name="STEP" time> per step (a
 *         name repeated within a phase gets " (2)"; the 1-based step number is
 *         the suite property step.PHASE.STEP and starts system-out)
 *       <testcase classname="drill.DRILL.objectives" name="rto"> per objective
 *       <testcase classname="drill.DRILL.run" name="verdict"> only when the run
 *         did not pass but no step or objective says so (aborted, infra error)
 * <testsuites> carries no `skipped`: junit-10.xsd does not allow it there.
 * Testcases carry only classname/name/time (junit-10.xsd). Failure text is
 * repeated as element text because GitLab shows only that. Built with
 * xmlTextWriter into memory, every text sanitised first (libxml2 2.9 would
 * pass control characters and invalid UTF-8 through), then written
 * atomically. No clock is read: the same RunRecord gives the same bytes.
 */
#include <libxml/xmlversion.h>
#include <libxml/xmlwriter.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "report.h"
#include "rtext.h"
#include "util.h"

/* Per-text cap: step outputs are already bounded by the runner and the
 * store; this keeps the XML bounded even for a hand-edited database. */
#define JUNIT_TEXT_MAX ((size_t)64 * 1024)
#define JUNIT_ATTR_MAX ((size_t)4 * 1024)

typedef struct Jw {
    xmlTextWriterPtr w;
    bool bad;
} Jw;

typedef enum { OUT_PASS, OUT_FAIL, OUT_ERROR, OUT_SKIP } Outcome;

typedef struct Counts {
    long tests, failures, errors, skipped;
    bool verdict_case; /* add the synthetic run/verdict testcase */
} Counts;

/* ---- writer wrappers: sanitise, and remember any failure ---- */

static void jw_start(Jw *j, const char *element)
{
    if (xmlTextWriterStartElement(j->w, (const xmlChar *)element) < 0)
        j->bad = true;
}

static void jw_end(Jw *j)
{
    if (xmlTextWriterEndElement(j->w) < 0)
        j->bad = true;
}

static void jw_attr(Jw *j, const char *name, const char *value)
{
    char *clean = rtext_clean(value, JUNIT_ATTR_MAX);
    if (xmlTextWriterWriteAttribute(j->w, (const xmlChar *)name, (const xmlChar *)clean) < 0)
        j->bad = true;
    free(clean);
}

static void jw_attr_long(Jw *j, const char *name, long value)
{
    char num[32];
    snprintf(num, sizeof num, "%ld", value);
    jw_attr(j, name, num);
}

static void jw_text(Jw *j, const char *text)
{
    char *clean = rtext_clean(text, JUNIT_TEXT_MAX);
    if (xmlTextWriterWriteString(j->w, (const xmlChar *)clean) < 0)
        j->bad = true;
    free(clean);
}

/* <element message=.. type=..>text</element> */
static void jw_problem(Jw *j, const char *element, const char *type, const char *message,
                       const char *text)
{
    jw_start(j, element);
    jw_attr(j, "message", message);
    jw_attr(j, "type", type);
    jw_text(j, text);
    jw_end(j);
}

/* <element>text</element>, omitted when text is empty. */
static void jw_text_element(Jw *j, const char *element, const char *text)
{
    if (text == NULL || text[0] == '\0')
        return;
    jw_start(j, element);
    jw_text(j, text);
    jw_end(j);
}

static void jw_property(Jw *j, const char *name, const char *value)
{
    if (value == NULL)
        return;
    jw_start(j, "property");
    jw_attr(j, "name", name);
    jw_attr(j, "value", value);
    jw_end(j);
}

static void jw_property_num(Jw *j, const char *name, double value)
{
    char num[48];
    if (value < 0)
        return; /* -1 = not set / not measured */
    rtext_number(value, num, sizeof num);
    jw_property(j, name, num);
}

/* ---- classification ---- */

static Outcome step_outcome(const StoredStep *s)
{
    if (str_eq(s->status, "ok"))
        return OUT_PASS;
    if (str_eq(s->status, "failed"))
        return OUT_FAIL;
    if (str_eq(s->status, "skipped"))
        return OUT_SKIP;
    return OUT_ERROR; /* error, timeout, or anything unexpected */
}

static Counts count_cases(const RunRecord *run)
{
    Counts c = {0, 0, 0, 0, false};
    for (size_t i = 0; i < run->nsteps; i++) {
        Outcome o = step_outcome(&run->steps[i]);
        c.failures += o == OUT_FAIL;
        c.errors += o == OUT_ERROR;
        c.skipped += o == OUT_SKIP;
    }
    for (size_t i = 0; i < run->nobjectives; i++)
        c.failures += !run->objectives[i].passed;
    c.tests = (long)(run->nsteps + run->nobjectives);
    /* A non-passed run must never look green in CI. */
    if (!str_eq(run->status, "passed") && c.failures + c.errors == 0) {
        c.verdict_case = true;
        c.tests++;
        if (str_eq(run->status, "failed"))
            c.failures++;
        else
            c.errors++;
    }
    return c;
}

/* Last recorded value of a measure key, -1 when absent. */
static double measure_value(const RunRecord *run, const char *key)
{
    for (size_t i = run->nmeasures; i > 0; i--)
        if (str_eq(run->measures[i - 1].key, key))
            return run->measures[i - 1].value;
    return -1;
}

/* ---- sections ---- */

/* A field of the run as a property: texts as they are (NULL: none), times
 * as UTC text (when recorded), a target (when set) followed by the value
 * measured against it. */
static void write_field_property(Jw *j, const RunRecord *run, const RecordField *f)
{
    int64_t v = record_number(run, f);
    char num[32], when[40];
    if (f->type == RECORD_TEXT) {
        jw_property(j, f->junit, record_text(run, f));
    } else if (f->flags & RECORD_UTC_MS) {
        if (v > 0) {
            time_format_utc_ms(v, when, sizeof when);
            jw_property(j, f->junit, when);
        }
    } else if (f->group == RECORD_TARGET) {
        jw_property_num(j, f->junit, (double)v);
        jw_property_num(j, f->junit_measured, measure_value(run, f->measure));
    } else {
        snprintf(num, sizeof num, "%lld", (long long)v);
        jw_property(j, f->junit, num);
    }
}

static void write_main_properties(Jw *j, const RunRecord *run)
{
    static const RecordGroup order[] = {RECORD_IDENTITY, RECORD_OUTCOME, RECORD_TIME,
                                        RECORD_TARGET};
    const RecordField *fields[RECORD_FIELDS_MAX];
    size_t n = record_order(record_run_fields, record_run_nfields, order,
                            sizeof order / sizeof order[0], fields);
    for (size_t i = 0; i < n; i++)
        if (fields[i]->junit != NULL)
            write_field_property(j, run, fields[i]);
    static const char *const who[] = {"who.os_user", "who.sudo_user", "who.operator",
                                      "who.change_ref", "who.ci_job_url"};
    for (size_t i = 0; i < sizeof who / sizeof who[0]; i++)
        if (run_record_fact(run, who[i]) != NULL)
            jw_property(j, who[i] + 4, run_record_fact(run, who[i]));
    if (run->sealed) {
        jw_property(j, "record_sha256", run->seal.record_sha256);
        jw_property(j, "chain_sha256", run->seal.chain_sha256);
    }
}

static void write_step_numbers(Jw *j, const RunRecord *run);

static void write_properties(Jw *j, const RunRecord *run)
{
    jw_start(j, "properties");
    write_main_properties(j, run);
    for (size_t i = 0; i < run->nmeasures; i++) {
        const StoredMeasure *m = &run->measures[i];
        char num[48];
        rtext_number(m->value, num, sizeof num);
        char *name = xasprintf("measure.%s", m->key ? m->key : "");
        char *value = xasprintf("%s%s%s", num, m->unit ? " " : "", m->unit ? m->unit : "");
        jw_property(j, name, value);
        free(name);
        free(value);
    }
    for (size_t i = 0; i < run->nobjectives; i++) {
        char *name = xasprintf("objective.%s", run->objectives[i].name);
        jw_property(j, name, run->objectives[i].passed ? "met" : "missed");
        free(name);
    }
    for (size_t i = 0; i < run->nfacts; i++) {
        char *name = xasprintf("fact.%s", run->facts[i].key);
        jw_property(j, name, run->facts[i].value ? run->facts[i].value : "");
        free(name);
    }
    write_step_numbers(j, run);
    jw_end(j);
}

static void write_case_start(Jw *j, const char *classname, const char *name, int64_t us)
{
    char secs[32];
    rtext_seconds(us, secs, sizeof secs);
    jw_start(j, "testcase");
    jw_attr(j, "classname", classname);
    jw_attr(j, "name", name);
    jw_attr(j, "time", secs);
}

/* Why a step did not pass: its own message, or what can be said from the
 * exit status. Malloc'd. */
static char *step_problem(const StoredStep *s)
{
    if (s->message != NULL && s->message[0] != '\0')
        return xstrdup(s->message);
    const char *status = s->status ? s->status : "has no status";
    if (s->term_signal != 0)
        return xasprintf("step %s: killed by signal %d", status, s->term_signal);
    if (s->exit_code >= 0)
        return xasprintf("step %s: exit code %d", status, s->exit_code);
    return xasprintf("step %s", status);
}

static void write_step_outcome(Jw *j, const StoredStep *s)
{
    Outcome o = step_outcome(s);
    if (o == OUT_PASS)
        return;
    if (o == OUT_SKIP) {
        jw_start(j, "skipped");
        jw_end(j);
        return;
    }
    char *msg = step_problem(s);
    char *text = xasprintf("%s\nnode: %s, exit code: %d, signal: %d", msg,
                           s->node ? s->node : "local", s->exit_code, s->term_signal);
    if (o == OUT_FAIL)
        jw_problem(j, "failure", "step_failed", msg, text);
    else
        jw_problem(j, "error", s->status ? s->status : "error", msg, text);
    free(text);
    free(msg);
}

/* A step's testcase name: its own name, so that adding a step renames no
 * other test in CI's history; the n-th step of a phase with a name already
 * used in that phase gets " (n)". malloc'd. */
static char *step_case_name(const RunRecord *run, size_t i)
{
    const StoredStep *s = &run->steps[i];
    const char *name = s->name ? s->name : "";
    size_t same = 1;
    for (size_t k = 0; k < i; k++)
        if (str_eq(run->steps[k].phase, s->phase) && str_eq(run->steps[k].name, s->name))
            same++;
    return same > 1 ? xasprintf("%s (%zu)", name, same) : xstrdup(name);
}

static char *step_classname(const RunRecord *run, const StoredStep *s)
{
    return xasprintf("drill.%s.%s", run->drill_name, s->phase ? s->phase : "steps");
}

static void write_step(Jw *j, const RunRecord *run, size_t i)
{
    const StoredStep *s = &run->steps[i];
    char *classname = step_classname(run, s);
    char *name = step_case_name(run, i);
    write_case_start(j, classname, name, s->duration_us);
    write_step_outcome(j, s);
    char *out = xasprintf("step %d, [%s] $ %s\n%s", s->seq + 1, s->node ? s->node : "local",
                          s->command ? s->command : "", s->out ? s->out : "");
    jw_text_element(j, "system-out", out);
    jw_text_element(j, "system-err", s->err);
    jw_end(j);
    free(out);
    free(name);
    free(classname);
}

/* The step numbers (1-based, as progress and messages count) as suite
 * properties "step.PHASE.NAME": testcases may carry no property
 * (junit-10.xsd), and the number is no part of a test's identity. */
static void write_step_numbers(Jw *j, const RunRecord *run)
{
    for (size_t i = 0; i < run->nsteps; i++) {
        char *name = step_case_name(run, i);
        char *key = xasprintf("step.%s.%s", run->steps[i].phase ? run->steps[i].phase : "steps",
                              name);
        char num[24];
        snprintf(num, sizeof num, "%d", run->steps[i].seq + 1);
        jw_property(j, key, num);
        free(key);
        free(name);
    }
}

/* "measured 1234 ms, target 1000 ms (how)" — malloc'd. The runner stores
 * -1 as the measured value of an objective it could not measure. */
static char *objective_text(const StoredObjective *o)
{
    char measured[64], target[48];
    const char *sp = o->unit ? " " : "", *unit = o->unit ? o->unit : "";
    rtext_number(o->target, target, sizeof target);
    if (o->measured >= 0) {
        char num[48];
        rtext_number(o->measured, num, sizeof num);
        snprintf(measured, sizeof measured, "measured %s", num);
    } else {
        snprintf(measured, sizeof measured, "not measured");
        sp = unit = ""; /* "not measured ms" would read oddly */
    }
    const char *tunit = o->unit ? o->unit : "", *tsp = o->unit ? " " : "";
    if (o->target < 0) /* no target (a regression gate that was not applied) */
        return xasprintf("%s%s%s, no target (%s)", measured, sp, unit, o->how ? o->how : "");
    if (o->how != NULL && o->how[0] != '\0')
        return xasprintf("%s%s%s, target %s%s%s (%s)", measured, sp, unit, target, tsp, tunit,
                         o->how);
    return xasprintf("%s%s%s, target %s%s%s", measured, sp, unit, target, tsp, tunit);
}

static void write_objective(Jw *j, const RunRecord *run, size_t i)
{
    const StoredObjective *o = &run->objectives[i];
    size_t same = 0;
    for (size_t k = 0; k < i; k++)
        same += str_eq(run->objectives[k].name, o->name);
    char *classname = xasprintf("drill.%s.objectives", run->drill_name);
    char *name = same ? xasprintf("%s #%zu", o->name, same + 1) : xstrdup(o->name);
    char *text = objective_text(o);
    write_case_start(j, classname, name, 0);
    if (!o->passed)
        jw_problem(j, "failure", "objective_missed", text, text);
    else
        jw_text_element(j, "system-out", text);
    jw_end(j);
    free(text);
    free(name);
    free(classname);
}

static void write_verdict_case(Jw *j, const RunRecord *run)
{
    char *classname = xasprintf("drill.%s.run", run->drill_name);
    char *msg = xasprintf("run %s%s%s", run->status ? run->status : "unknown",
                          run->message ? ": " : "", run->message ? run->message : "");
    write_case_start(j, classname, "verdict", run->duration_us);
    jw_problem(j, str_eq(run->status, "failed") ? "failure" : "error",
               run->status ? run->status : "error", msg, msg);
    jw_end(j);
    free(msg);
    free(classname);
}

static void write_counts(Jw *j, const Counts *c, bool with_skipped, int64_t duration_us)
{
    char secs[32];
    rtext_seconds(duration_us, secs, sizeof secs);
    jw_attr_long(j, "tests", c->tests);
    jw_attr_long(j, "failures", c->failures);
    jw_attr_long(j, "errors", c->errors);
    if (with_skipped)
        jw_attr_long(j, "skipped", c->skipped);
    jw_attr(j, "time", secs);
}

static void write_suite(Jw *j, const RunRecord *run)
{
    Counts c = count_cases(run);
    char stamp[32];
    rtext_timestamp(run->started_utc_ms, stamp, sizeof stamp);
    jw_start(j, "testsuite");
    jw_attr(j, "name", run->drill_name);
    write_counts(j, &c, true, run->duration_us);
    jw_attr(j, "timestamp", stamp);
    if (run->hostname != NULL)
        jw_attr(j, "hostname", run->hostname);
    write_properties(j, run);
    for (size_t i = 0; i < run->nsteps; i++)
        write_step(j, run, i);
    for (size_t i = 0; i < run->nobjectives; i++)
        write_objective(j, run, i);
    if (c.verdict_case)
        write_verdict_case(j, run);
    jw_end(j);
}

/* <testsuites> totals: the sum over its suites. */
static void write_document(Jw *j, const RunRecord *const *runs, size_t n)
{
    Counts total = {0, 0, 0, 0, false};
    int64_t duration_us = 0;
    for (size_t i = 0; i < n; i++) {
        Counts c = count_cases(runs[i]);
        total.tests += c.tests;
        total.failures += c.failures;
        total.errors += c.errors;
        duration_us += runs[i]->duration_us;
    }
    if (xmlTextWriterStartDocument(j->w, NULL, "UTF-8", NULL) < 0)
        j->bad = true;
    jw_start(j, "testsuites");
    jw_attr(j, "name", "drill");
    write_counts(j, &total, false, duration_us);
    for (size_t i = 0; i < n; i++)
        write_suite(j, runs[i]);
    jw_end(j);
    if (xmlTextWriterEndDocument(j->w) < 0)
        j->bad = true;
}

/* Renders a document with write(j, arg) into memory, then to path ("-":
 * stdout). */
typedef void JunitDocFn(Jw *j, const void *arg);

static int junit_render(JunitDocFn *write, const void *arg, const char *path, DrillError *err)
{
    xmlBufferPtr buf = xmlBufferCreate();
    if (buf == NULL)
        return drill_error_set(err, DRILL_E_NOMEM, "cannot allocate the JUnit buffer");
    Jw j = {xmlNewTextWriterMemory(buf, 0), false};
    if (j.w == NULL) {
        xmlBufferFree(buf);
        return drill_error_set(err, DRILL_E_NOMEM, "cannot create the JUnit writer");
    }
    xmlTextWriterSetIndent(j.w, 1);
    xmlTextWriterSetIndentString(j.w, (const xmlChar *)"  ");
    write(&j, arg);
    xmlFreeTextWriter(j.w); /* flushes into buf */
    int rc;
    if (j.bad)
        rc = drill_error_set(err, DRILL_E_IO, "cannot render the JUnit report for %s", path);
    else
        rc = report_output(path, (const char *)xmlBufferContent(buf),
                           (size_t)xmlBufferLength(buf), err);
    xmlBufferFree(buf);
    return rc;
}

typedef struct Batch {
    const RunRecord *const *runs;
    size_t n;
} Batch;

static void write_batch(Jw *j, const void *arg)
{
    const Batch *b = arg;
    write_document(j, b->runs, b->n);
}

int report_junit_write_batch(const RunRecord *const *runs, size_t n, const char *path,
                             DrillError *err)
{
    Batch b = {runs, n};
    return junit_render(write_batch, &b, path, err);
}

/* ---- drill fleet: a <testsuite> per target, a <testcase> per drill ---- */

static void write_fleet_suite(Jw *j, const FleetView *v, size_t from, size_t to)
{
    long failures = 0;
    char why[256];
    for (size_t i = from; i < to; i++)
        failures += !str_eq(fleet_judge(v, &v->rows[i], why, sizeof why), "ok");
    const char *target = v->rows[from].target[0] ? v->rows[from].target : "sandbox";
    jw_start(j, "testsuite");
    jw_attr(j, "name", target);
    jw_attr_long(j, "tests", (long)(to - from));
    jw_attr_long(j, "failures", failures);
    jw_attr_long(j, "errors", 0);
    jw_attr_long(j, "skipped", 0);
    jw_attr(j, "time", "0.000");
    char stamp[32];
    rtext_timestamp(v->now_ms, stamp, sizeof stamp);
    jw_attr(j, "timestamp", stamp);
    /* What a reader of the XML alone needs: when, from where, the limit. */
    jw_start(j, "properties");
    jw_property(j, "fleet.generated", stamp);
    jw_property(j, "fleet.store", v->store);
    char age[32];
    snprintf(age, sizeof age, "%lld", (long long)v->max_age_ms);
    jw_property(j, "fleet.max_age_ms", v->max_age_ms > 0 ? age : NULL);
    jw_end(j);
    for (size_t i = from; i < to; i++) {
        const FleetRow *r = &v->rows[i];
        const char *verdict = fleet_judge(v, r, why, sizeof why);
        char *classname = xasprintf("drill.fleet.%s", target);
        jw_start(j, "testcase");
        jw_attr(j, "classname", classname);
        jw_attr(j, "name", r->drill);
        jw_attr(j, "time", "0.000");
        free(classname);
        if (!str_eq(verdict, "ok"))
            jw_problem(j, "failure", verdict, why, why);
        char *out = xasprintf("%s: %s (newest run #%lld, %lld finished run(s))", verdict, why,
                              (long long)r->last_id, (long long)r->runs);
        jw_text_element(j, "system-out", out);
        free(out);
        jw_end(j);
    }
    jw_end(j);
}

static void write_fleet(Jw *j, const void *arg)
{
    const FleetView *v = arg;
    if (xmlTextWriterStartDocument(j->w, NULL, "UTF-8", NULL) < 0)
        j->bad = true;
    jw_start(j, "testsuites");
    jw_attr(j, "name", "drill fleet");
    jw_attr_long(j, "tests", (long)v->n);
    jw_attr_long(j, "failures", (long)fleet_not_ok(v));
    jw_attr_long(j, "errors", 0);
    jw_attr(j, "time", "0.000");
    /* The rows come ordered by target: one suite per run of equal targets. */
    for (size_t from = 0; from < v->n;) {
        size_t to = from + 1;
        while (to < v->n && str_eq(v->rows[to].target, v->rows[from].target))
            to++;
        write_fleet_suite(j, v, from, to);
        from = to;
    }
    jw_end(j);
    if (xmlTextWriterEndDocument(j->w) < 0)
        j->bad = true;
}

int report_fleet_junit_write(const FleetView *v, const char *path, DrillError *err)
{
    return junit_render(write_fleet, v, path, err);
}

int report_junit_write(const RunRecord *run, const char *path, DrillError *err)
{
    return report_junit_write_batch(&run, 1, path, err);
}

const char *report_library_version(void)
{
    return xmlParserVersion;
}
