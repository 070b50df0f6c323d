/*
 * html_run.c — the HTML report's sections about the run itself: the run
 * table (the fields record.h gives an HTML label, then who ran it), the
 * objectives (table and measured-versus-target chart), the measurements,
 * and the recorded facts split into findings and environment.
 */
#include "html_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "util.h"

/* ---- the run ---- */

/* A field of the run as a row: times in UTC (a dash when not recorded),
 * durations as such, numbers in decimal. */
static void h_field_row(Buf *b, const RunRecord *run, const RecordField *f)
{
    int64_t v = record_number(run, f);
    char num[32];
    if (f->type == RECORD_TEXT) {
        html_row(b, f->html, record_text(run, f));
        return;
    }
    if (!(f->flags & (RECORD_UTC_MS | RECORD_DURATION_US))) {
        snprintf(num, sizeof num, "%lld", (long long)v);
        html_row(b, f->html, num);
        return;
    }
    buf_appendf(b, "<tr><th scope=\"row\">%s</th><td>", f->html);
    if (f->flags & RECORD_UTC_MS)
        html_utc(b, v);
    else
        html_duration_ms(b, html_nonneg(v) / 1000);
    buf_appends(b, "</td></tr>\n");
}

void html_write_run_table(Buf *b, const RunRecord *run)
{
    static const RecordGroup order[] = {RECORD_IDENTITY, RECORD_TIME, RECORD_OUTCOME};
    const RecordField *fields[RECORD_FIELDS_MAX];
    size_t n = record_order(record_run_fields, record_run_nfields, order,
                            sizeof order / sizeof order[0], fields);
    buf_appends(b, "<h2 id=\"run\">Run</h2>\n<table>\n");
    for (size_t i = 0; i < n; i++)
        if (fields[i]->html != NULL)
            h_field_row(b, run, fields[i]);
    static const char *const who[][2] = {
        {"who.os_user", "Run by (OS user)"}, {"who.sudo_user", "Through sudo, by"},
        {"who.operator", "Operator"},        {"who.change_ref", "Change reference"},
        {"who.ci", "CI system"},             {"who.ci_actor", "CI actor"},
        {"who.ci_job_url", "CI job"},        {"who.ci_commit", "CI commit"}};
    for (size_t i = 0; i < sizeof who / sizeof who[0]; i++)
        if (run_record_fact(run, who[i][0]) != NULL)
            html_row(b, who[i][1], run_record_fact(run, who[i][0]));
    buf_appends(b, "</table>\n");
}

/* ---- objectives ---- */

/* The runner records -1 for an objective it could not measure. */
static void h_measured(Buf *b, const StoredObjective *o)
{
    if (!(o->measured >= 0)) {
        buf_appends(b, "not measured");
        return;
    }
    html_number(b, o->measured);
    buf_appends(b, " ");
    html_text(b, o->unit);
}

static void h_measured_label(Buf *b, const StoredObjective *o)
{
    if (o->measured >= 0)
        buf_appends(b, "measured ");
    h_measured(b, o);
}

static void write_objectives_table(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"objectives\">Objectives</h2>\n");
    if (run->nobjectives == 0) {
        buf_appends(b, "<p>No objective was evaluated in this run.</p>\n");
        return;
    }
    buf_appends(b, "<table>\n<tr><th>Objective</th><th>Target</th><th>Measured</th>"
                   "<th>Verdict</th><th>How measured</th></tr>\n");
    for (size_t i = 0; i < run->nobjectives; i++) {
        const StoredObjective *o = &run->objectives[i];
        buf_appends(b, "<tr><td>");
        html_text(b, o->name);
        buf_appends(b, "</td><td class=\"num\">");
        if (o->target < 0) { /* a regression gate that was not applied */
            buf_appends(b, "none");
        } else {
            html_number(b, o->target);
            buf_appends(b, " ");
            html_text(b, o->unit);
        }
        buf_appends(b, "</td><td class=\"num\">");
        h_measured(b, o);
        buf_appends(b, o->passed ? "</td><td class=\"ok\">\xE2\x9C\x94 met"
                                 : "</td><td class=\"bad\">\xE2\x9C\x98 missed");
        buf_appends(b, "</td><td>");
        html_text(b, o->how);
        buf_appends(b, "</td></tr>\n");
    }
    buf_appends(b, "</table>\n");
}

static double finite_or_zero(double v)
{
    return v == v && v > 0 && v < 1e300 ? v : 0; /* NaN, negative, inf -> 0 */
}

/* One objective's pair of bars: target (grey) and measured (green/red). */
static void svg_objective_bars(Buf *b, const StoredObjective *o, int y, double scale)
{
    const int x0 = 170, w = 500;
    long tw = (long)(finite_or_zero(o->target) * w / scale);
    long mw = (long)(finite_or_zero(o->measured) * w / scale);
    char *label = html_label_cut(o->name, 24);
    buf_appendf(b, "<text x=\"160\" y=\"%d\" text-anchor=\"end\">", y + 18);
    html_escape(b, label, HTML_FIELD_MAX);
    buf_appendf(b, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%ld\" height=\"10\" fill=\"#bbb\">"
                   "<title>target ",
                x0, y + 4, tw);
    html_number(b, o->target);
    buf_appendf(b, "</title></rect>\n<rect x=\"%d\" y=\"%d\" width=\"%ld\" height=\"12\" "
                   "fill=\"%s\"><title>",
                x0, y + 16, mw, o->passed ? "#1e7e34" : "#b00020");
    h_measured_label(b, o);
    buf_appendf(b, "</title></rect>\n<text x=\"%ld\" y=\"%d\">target ", x0 + tw + 4, y + 13);
    html_number(b, o->target);
    buf_appendf(b, "</text>\n<text x=\"%ld\" y=\"%d\">", x0 + mw + 4, y + 26);
    h_measured_label(b, o);
    buf_appends(b, o->passed ? " \xE2\x9C\x94 met</text>\n" : " \xE2\x9C\x98 missed</text>\n");
    free(label);
}

static void write_objective_chart(Buf *b, const RunRecord *run)
{
    if (run->nobjectives == 0)
        return;
    int h = (int)run->nobjectives * 36 + 10;
    buf_appendf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"900\" "
                   "height=\"%d\" viewBox=\"0 0 900 %d\">\n<title>Measured versus target, per "
                   "objective (bar lengths relative to the larger of the two)</title>\n",
                h, h);
    for (size_t i = 0; i < run->nobjectives; i++) {
        const StoredObjective *o = &run->objectives[i];
        double scale = finite_or_zero(o->target) > finite_or_zero(o->measured)
                           ? finite_or_zero(o->target)
                           : finite_or_zero(o->measured);
        svg_objective_bars(b, o, 4 + (int)i * 36, scale > 0 ? scale : 1);
    }
    buf_appends(b, "</svg>\n");
}

void html_write_objectives(Buf *b, const RunRecord *run)
{
    write_objectives_table(b, run);
    write_objective_chart(b, run);
}

/* ---- measurements and facts ---- */

void html_write_measures(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"measurements\">Measurements</h2>\n");
    if (run->nmeasures == 0) {
        buf_appends(b, "<p>No measurement was recorded.</p>\n");
        return;
    }
    buf_appends(b, "<table>\n<tr><th>Measurement</th><th>Value</th><th>Unit</th>"
                   "<th>How measured</th></tr>\n");
    for (size_t i = 0; i < run->nmeasures; i++) {
        const StoredMeasure *m = &run->measures[i];
        buf_appends(b, "<tr><td>");
        html_text(b, m->key);
        buf_appends(b, "</td><td class=\"num\">");
        html_number(b, m->value);
        buf_appends(b, "</td><td>");
        html_text(b, m->unit);
        buf_appends(b, "</td><td>");
        html_text(b, m->how);
        buf_appends(b, "</td></tr>\n");
    }
    buf_appends(b, "</table>\n");
}

/* Facts are either the environment (libraries, nodes, server versions and
 * identities), who ran the drill (shown with the run), or findings a step
 * recorded about what it observed (fork LSN, slot states, lost data...). */
typedef enum FactSection { FACT_ENV, FACT_WHO, FACT_FINDING } FactSection;

static FactSection fact_section(const char *key)
{
    static const char *const env[] = {"library:", "node:", "server_version:",
                                      "system_identifier:", "heartbeat_conninfo"};
    if (key == NULL)
        return FACT_ENV;
    if (strncmp(key, "who.", 4) == 0)
        return FACT_WHO;
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++)
        if (strncmp(key, env[i], strlen(env[i])) == 0)
            return FACT_ENV;
    return FACT_FINDING;
}

static void write_fact_rows(Buf *b, const RunRecord *run, FactSection section)
{
    buf_appends(b, "<table>\n<tr><th>Fact</th><th>Value</th></tr>\n");
    for (size_t i = 0; i < run->nfacts; i++) {
        if (fact_section(run->facts[i].key) != section)
            continue;
        buf_appends(b, "<tr><td>");
        html_text(b, run->facts[i].key);
        buf_appends(b, "</td><td>");
        html_text(b, run->facts[i].value);
        buf_appends(b, "</td></tr>\n");
    }
    buf_appends(b, "</table>\n");
}

static size_t count_facts(const RunRecord *run, FactSection section)
{
    size_t n = 0;
    for (size_t i = 0; i < run->nfacts; i++)
        n += fact_section(run->facts[i].key) == section;
    return n;
}

void html_write_findings(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"findings\">Findings</h2>\n");
    if (count_facts(run, FACT_FINDING) == 0) {
        buf_appends(b, "<p>No step recorded a finding.</p>\n");
        return;
    }
    write_fact_rows(b, run, FACT_FINDING);
}

void html_write_environment(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"environment\">Environment</h2>\n");
    if (count_facts(run, FACT_ENV) == 0) {
        buf_appends(b, "<p>No fact was recorded.</p>\n");
        return;
    }
    write_fact_rows(b, run, FACT_ENV);
}

