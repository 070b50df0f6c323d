/*
 * html.c — the self-contained HTML evidence report (report_html_write in
 * report.h).
 *
 * One file an auditor can open offline years later: no JavaScript, no
 * external URL, a CSP that forbids both, inline CSS and inline SVG only.
 * Every text that came from the store is sanitised (rtext_clean) and
 * HTML-escaped. Colour never carries meaning alone: verdicts have words and
 * symbols, chart bars have titles and every chart has an equivalent table.
 * No clock is read, so re-rendering a stored run gives the same bytes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "report.h"
#include "rtext.h"
#include "util.h"

#define HTML_MAX ((size_t)64 * 1024 * 1024)  /* whole page */
#define HTML_FIELD_MAX ((size_t)8 * 1024)    /* one table cell */
#define HTML_OUT_MAX ((size_t)16 * 1024)     /* one step output on screen */
#define HTML_PRINT_OUT_MAX ((size_t)4 * 1024) /* the same in the print copy */
#define HTML_SOURCE_MAX ((size_t)1024 * 1024)
#define HTML_LABEL_MAX ((size_t)48)          /* SVG labels */

/* Okabe-Ito palette: distinguishable with the common colour-vision deficiencies. */
static const char *const PHASE_COLOURS[] = {"#0072b2", "#e69f00", "#009e73", "#cc79a7",
                                            "#56b4e9", "#d55e00", "#f0e442", "#999999"};
#define NPHASE_COLOURS (sizeof PHASE_COLOURS / sizeof PHASE_COLOURS[0])

static const char CSS[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em;"
    "color:#111;background:#fff}"
    "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}"
    "table{border-collapse:collapse;margin:.5em 0;width:100%}"
    "th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "pre{background:#f6f6f6;border:1px solid #ddd;padding:.5em;overflow:auto;"
    "white-space:pre-wrap;word-break:break-all;max-height:30em}"
    "code{word-break:break-all}"
    ".verdict{padding:1em;border:3px solid;border-radius:6px;font-size:1.3em}"
    ".v-passed{background:#e6f4ea;border-color:#1e7e34}"
    ".v-failed{background:#fde8e8;border-color:#b00020}"
    ".v-error{background:#fff4e0;border-color:#b35c00}"
    ".v-aborted{background:#eee;border-color:#555}"
    ".v-running{background:#e8f0fe;border-color:#1a56db}"
    ".ok{color:#1e7e34}.bad{color:#b00020;font-weight:bold}.warn{color:#b35c00}"
    "details{border:1px solid #ccc;margin:.3em 0;padding:.2em .5em}"
    "summary{cursor:pointer}"
    ".legend{list-style:none;padding:0}.legend li{display:inline-block;margin-right:1em}"
    ".sw{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle;"
    "border:1px solid #333}"
    "svg{max-width:100%;height:auto;font:11px system-ui,sans-serif}"
    ".print-only{display:none}"
    "@media print{body{max-width:none;color:#000;background:#fff}"
    ".verdict,th{background:#fff!important}pre{max-height:none;background:#fff}"
    "tr,details,pre,svg{page-break-inside:avoid;break-inside:avoid}"
    ".print-only{display:block}details[open]+.print-only{display:none}}";

/* ---- escaping and small formatting ---- */

/* Appends s sanitised (at most max bytes) and escaped for HTML text and
 * attribute values alike. */
static void html_escape(Buf *b, const char *s, size_t max)
{
    char *clean = rtext_clean(s, max);
    const char *run = clean;
    for (const char *p = clean; *p != '\0'; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        buf_append(b, run, (size_t)(p - run));
        buf_appends(b, rep);
        run = p + 1;
    }
    buf_appends(b, run);
    free(clean);
}

static void h_text(Buf *b, const char *s)
{
    html_escape(b, s, HTML_FIELD_MAX);
}

/* First max_chars characters of s (UTF-8 aware) with "…" when cut; malloc'd. */
static char *label_cut(const char *s, size_t max_chars)
{
    s = s ? s : "";
    size_t i = 0, chars = 0;
    while (s[i] != '\0' && chars < max_chars) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    return s[i] == '\0' ? xstrdup(s) : xasprintf("%.*s\xE2\x80\xA6", (int)i, s);
}

static void h_duration_ms(Buf *b, int64_t ms)
{
    char d[48];
    time_format_duration_ms(ms, d, sizeof d);
    buf_appends(b, d);
}

static void h_utc(Buf *b, int64_t ms)
{
    char t[40];
    if (ms <= 0) {
        buf_appends(b, "&#8212;");
        return;
    }
    time_format_utc_ms(ms, t, sizeof t);
    buf_appends(b, t);
}

static void h_number(Buf *b, double v)
{
    char n[48];
    rtext_number(v, n, sizeof n);
    buf_appends(b, n);
}

/* <tr><th>label</th><td>escaped value</td></tr> */
static void h_row(Buf *b, const char *label, const char *value)
{
    buf_appendf(b, "<tr><th scope=\"row\">%s</th><td>", label);
    h_text(b, value ? value : "\xE2\x80\x94");
    buf_appends(b, "</td></tr>\n");
}

static const char *verdict_symbol(const char *status)
{
    if (str_eq(status, "passed"))
        return "\xE2\x9C\x94"; /* ✔ */
    if (str_eq(status, "failed"))
        return "\xE2\x9C\x98"; /* ✘ */
    if (str_eq(status, "running"))
        return "\xE2\x80\xA6"; /* … */
    return "\xE2\x9A\xA0";     /* ⚠ */
}

/* A known status word for CSS classes (never raw store text in a class). */
static const char *status_class(const char *status)
{
    static const char *const known[] = {"passed", "failed", "error", "aborted", "running"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (str_eq(status, known[i]))
            return known[i];
    return "error";
}

static bool step_ok(const StoredStep *s)
{
    return str_eq(s->status, "ok") || str_eq(s->status, "skipped");
}

static int64_t nonneg(int64_t v)
{
    return v < 0 ? 0 : v;
}

/* ---- head, banner, facts ---- */

static void write_head(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "style-src 'unsafe-inline'; img-src data:\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>drill: ");
    h_text(b, run->drill_name);
    buf_appendf(b, " &#8212; run #%lld ", (long long)run->id);
    h_text(b, run->status);
    buf_appendf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n", CSS);
}

static void write_banner(Buf *b, const RunRecord *run)
{
    const char *cls = status_class(run->status);
    buf_appendf(b, "<header class=\"verdict v-%s\" role=\"status\">\n<span aria-hidden=\"true\">%s"
                   "</span> <strong>",
                cls, verdict_symbol(run->status));
    const char *word = run->status ? run->status : "unknown";
    for (size_t i = 0; word[i] != '\0' && i < 16; i++)
        buf_appendf(b, "%c", word[i] >= 'a' && word[i] <= 'z' ? word[i] - 'a' + 'A' : '?');
    buf_appends(b, "</strong> &#8212; drill <em>");
    h_text(b, run->drill_name);
    buf_appendf(b, "</em>, run #%lld, exit code %d", (long long)run->id, run->exit_code);
    if (run->message != NULL && run->message[0] != '\0') {
        buf_appends(b, "<br>\n<small>");
        h_text(b, run->message);
        buf_appends(b, "</small>");
    }
    buf_appends(b, "\n</header>\n");
}

/* A field of the run as a row: times in UTC (a dash when not recorded),
 * durations as such, numbers in decimal. */
static void h_field_row(Buf *b, const RunRecord *run, const RecordField *f)
{
    int64_t v = record_number(run, f);
    char num[32];
    if (f->type == RECORD_TEXT) {
        h_row(b, f->html, record_text(run, f));
        return;
    }
    if (!(f->flags & (RECORD_UTC_MS | RECORD_DURATION_US))) {
        snprintf(num, sizeof num, "%lld", (long long)v);
        h_row(b, f->html, num);
        return;
    }
    buf_appendf(b, "<tr><th scope=\"row\">%s</th><td>", f->html);
    if (f->flags & RECORD_UTC_MS)
        h_utc(b, v);
    else
        h_duration_ms(b, nonneg(v) / 1000);
    buf_appends(b, "</td></tr>\n");
}

static void write_facts_table(Buf *b, const RunRecord *run)
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
            h_row(b, who[i][1], run_record_fact(run, who[i][0]));
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
    h_number(b, o->measured);
    buf_appends(b, " ");
    h_text(b, o->unit);
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
        h_text(b, o->name);
        buf_appends(b, "</td><td class=\"num\">");
        if (o->target < 0) { /* a regression gate that was not applied */
            buf_appends(b, "none");
        } else {
            h_number(b, o->target);
            buf_appends(b, " ");
            h_text(b, o->unit);
        }
        buf_appends(b, "</td><td class=\"num\">");
        h_measured(b, o);
        buf_appends(b, o->passed ? "</td><td class=\"ok\">\xE2\x9C\x94 met"
                                 : "</td><td class=\"bad\">\xE2\x9C\x98 missed");
        buf_appends(b, "</td><td>");
        h_text(b, o->how);
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
    char *label = label_cut(o->name, 24);
    buf_appendf(b, "<text x=\"160\" y=\"%d\" text-anchor=\"end\">", y + 18);
    html_escape(b, label, HTML_FIELD_MAX);
    buf_appendf(b, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%ld\" height=\"10\" fill=\"#bbb\">"
                   "<title>target ",
                x0, y + 4, tw);
    h_number(b, o->target);
    buf_appendf(b, "</title></rect>\n<rect x=\"%d\" y=\"%d\" width=\"%ld\" height=\"12\" "
                   "fill=\"%s\"><title>",
                x0, y + 16, mw, o->passed ? "#1e7e34" : "#b00020");
    h_measured_label(b, o);
    buf_appendf(b, "</title></rect>\n<text x=\"%ld\" y=\"%d\">target ", x0 + tw + 4, y + 13);
    h_number(b, o->target);
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

/* ---- timeline ---- */

/* Colour of a phase: its rank among the phases in order of first appearance. */
static const char *phase_colour(const RunRecord *run, const char *phase)
{
    size_t rank = 0;
    for (size_t i = 0; i < run->nsteps; i++) {
        const char *p = run->steps[i].phase;
        if (str_eq(p, phase))
            break;
        bool first = true;
        for (size_t k = 0; k < i && first; k++)
            first = !str_eq(run->steps[k].phase, p);
        rank += first;
    }
    return PHASE_COLOURS[rank % NPHASE_COLOURS];
}

typedef struct Axis {
    int64_t span_ms; /* time shown, from run start */
    int x0, w;       /* plot area in SVG units */
} Axis;

static int64_t axis_x(const Axis *a, int64_t ms)
{
    ms = ms < 0 ? 0 : ms > a->span_ms ? a->span_ms : ms;
    return a->x0 + ms * a->w / a->span_ms;
}

static Axis timeline_axis(const RunRecord *run)
{
    Axis a = {nonneg(run->duration_us) / 1000, 300, 560};
    for (size_t i = 0; i < run->nsteps; i++)
        if (run->steps[i].ended_utc_ms - run->started_utc_ms > a.span_ms)
            a.span_ms = run->steps[i].ended_utc_ms - run->started_utc_ms;
    for (size_t i = 0; i < run->nevents; i++)
        if (run->events[i].mono_us / 1000 > a.span_ms)
            a.span_ms = run->events[i].mono_us / 1000;
    if (a.span_ms < 1)
        a.span_ms = 1;
    return a;
}

static void svg_ticks(Buf *b, const Axis *a, int top, int bottom)
{
    for (int i = 0; i <= 4; i++) {
        int64_t ms = a->span_ms * i / 4;
        long long x = (long long)axis_x(a, ms);
        buf_appendf(b, "<line x1=\"%lld\" y1=\"%d\" x2=\"%lld\" y2=\"%d\" stroke=\"#ddd\"/>\n"
                       "<text x=\"%lld\" y=\"%d\" text-anchor=\"middle\">+",
                    x, top, x, bottom, x, bottom + 14);
        h_duration_ms(b, ms);
        buf_appends(b, "</text>\n");
    }
}

static const char *event_kind(const char *name)
{
    if (name != NULL && strstr(name, "fault") != NULL)
        return "fault";
    if (name != NULL && strstr(name, "recover") != NULL)
        return "recovered";
    return "other";
}

static void svg_events(Buf *b, const RunRecord *run, const Axis *a, int top, int bottom)
{
    for (size_t i = 0; i < run->nevents; i++) {
        const StoredEvent *e = &run->events[i];
        const char *kind = event_kind(e->name);
        const char *stroke = str_eq(kind, "fault") ? "#b00020"
                             : str_eq(kind, "recovered") ? "#1e7e34" : "#777";
        long long x = (long long)axis_x(a, e->mono_us / 1000);
        buf_appendf(b, "<line x1=\"%lld\" y1=\"%d\" x2=\"%lld\" y2=\"%d\" stroke=\"%s\" "
                       "stroke-width=\"2\"%s><title>",
                    x, top - 12, x, bottom, stroke,
                    str_eq(kind, "other") ? " stroke-dasharray=\"2 3\"" : " stroke-dasharray=\"6 3\"");
        h_text(b, e->name);
        buf_appends(b, " at +");
        h_duration_ms(b, e->mono_us / 1000);
        buf_appendf(b, "</title></line>\n<text x=\"%lld\" y=\"%d\" fill=\"%s\">", x + 2,
                    top - 14 + (int)(i % 2) * 8, stroke);
        char *label = label_cut(e->name, 20);
        html_escape(b, label, HTML_FIELD_MAX);
        free(label);
        buf_appends(b, "</text>\n");
    }
}

static void svg_step_bar(Buf *b, const RunRecord *run, const Axis *a, size_t i, int y)
{
    const StoredStep *s = &run->steps[i];
    int64_t start = s->started_utc_ms - run->started_utc_ms;
    int64_t x = axis_x(a, start);
    int64_t w = axis_x(a, start + nonneg(s->duration_us) / 1000) - x;
    char *label = xasprintf("%d %s", s->seq, s->name ? s->name : "");
    char *cut = label_cut(label, HTML_LABEL_MAX);
    buf_appendf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", a->x0 - 6, y + 11);
    html_escape(b, cut, HTML_FIELD_MAX);
    buf_appendf(b, "</text>\n<rect x=\"%lld\" y=\"%d\" width=\"%lld\" height=\"14\" fill=\"%s\"%s>"
                   "<title>",
                (long long)x, y, (long long)(w < 2 ? 2 : w), phase_colour(run, s->phase),
                step_ok(s) ? "" : " stroke=\"#b00020\" stroke-width=\"2\"");
    html_escape(b, label, HTML_FIELD_MAX);
    buf_appends(b, " (");
    h_text(b, s->phase);
    buf_appends(b, "): ");
    h_text(b, s->status);
    buf_appends(b, ", ");
    h_duration_ms(b, nonneg(s->duration_us) / 1000);
    buf_appends(b, "</title></rect>\n");
    if (!step_ok(s))
        buf_appendf(b, "<text x=\"%lld\" y=\"%d\" class=\"bad\">\xE2\x9C\x98 </text>\n",
                    (long long)(x + w + 3), y + 11);
    free(cut);
    free(label);
}

static void write_timeline_svg(Buf *b, const RunRecord *run)
{
    Axis a = timeline_axis(run);
    const int top = 34, row = 20;
    int bottom = top + (int)run->nsteps * row + 4;
    buf_appendf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"900\" "
                   "height=\"%d\" viewBox=\"0 0 900 %d\">\n<title>Timeline of the %zu steps, "
                   "relative to the run start, with fault and recovery events as vertical "
                   "lines</title>\n",
                bottom + 24, bottom + 24, run->nsteps);
    svg_ticks(b, &a, top - 4, bottom);
    for (size_t i = 0; i < run->nsteps; i++)
        svg_step_bar(b, run, &a, i, top + (int)i * row);
    svg_events(b, run, &a, top, bottom);
    buf_appends(b, "</svg>\n");
}

static void write_phase_legend(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<ul class=\"legend\">\n");
    for (size_t i = 0; i < run->nsteps; i++) {
        bool first = true;
        for (size_t k = 0; k < i && first; k++)
            first = !str_eq(run->steps[k].phase, run->steps[i].phase);
        if (!first)
            continue;
        buf_appendf(b, "<li><span class=\"sw\" style=\"background:%s\"></span>phase ",
                    phase_colour(run, run->steps[i].phase));
        h_text(b, run->steps[i].phase);
        buf_appends(b, "</li>\n");
    }
    buf_appends(b, "<li>red outline / \xE2\x9C\x98: step did not succeed</li>\n"
                   "<li>red dashed line: fault event; green dashed line: recovery event</li>\n"
                   "</ul>\n");
}

static void write_steps_table(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<table>\n<tr><th>#</th><th>Phase</th><th>Step</th><th>Node</th>"
                   "<th>Start</th><th>Duration</th><th>Status</th></tr>\n");
    for (size_t i = 0; i < run->nsteps; i++) {
        const StoredStep *s = &run->steps[i];
        buf_appendf(b, "<tr><td class=\"num\">%d</td><td>", s->seq);
        h_text(b, s->phase);
        buf_appends(b, "</td><td>");
        h_text(b, s->name);
        buf_appends(b, "</td><td>");
        h_text(b, s->node ? s->node : "local");
        buf_appends(b, "</td><td class=\"num\">+");
        h_duration_ms(b, nonneg(s->started_utc_ms - run->started_utc_ms));
        buf_appends(b, "</td><td class=\"num\">");
        h_duration_ms(b, nonneg(s->duration_us) / 1000);
        buf_appendf(b, "</td><td class=\"%s\">", step_ok(s) ? "ok" : "bad");
        h_text(b, s->status);
        buf_appends(b, "</td></tr>\n");
    }
    buf_appends(b, "</table>\n");
}

static void write_events_table(Buf *b, const RunRecord *run)
{
    if (run->nevents == 0)
        return;
    buf_appends(b, "<h3>Events</h3>\n<table>\n<tr><th>Event</th><th>At</th><th>UTC</th>"
                   "<th>Detail</th></tr>\n");
    for (size_t i = 0; i < run->nevents; i++) {
        const StoredEvent *e = &run->events[i];
        buf_appends(b, "<tr><td>");
        h_text(b, e->name);
        buf_appends(b, "</td><td class=\"num\">+");
        h_duration_ms(b, nonneg(e->mono_us) / 1000);
        buf_appends(b, "</td><td>");
        h_utc(b, e->utc_ms);
        buf_appends(b, "</td><td>");
        h_text(b, e->detail);
        buf_appends(b, "</td></tr>\n");
    }
    buf_appends(b, "</table>\n");
}

static void write_timeline(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"timeline\">Timeline</h2>\n");
    if (run->nsteps == 0 && run->nevents == 0) {
        buf_appends(b, "<p>No step was recorded.</p>\n");
        return;
    }
    write_timeline_svg(b, run);
    write_phase_legend(b, run);
    write_steps_table(b, run);
    write_events_table(b, run);
}

/* ---- trend over history ---- */

typedef double (*SummaryField)(const RunSummary *s);
static double field_rto(const RunSummary *s) { return s->rto_ms; }
static double field_rpo(const RunSummary *s) { return s->rpo_ms; }

static void svg_trend_frame(Buf *b, const char *what, size_t n, double max)
{
    buf_appendf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"900\" "
                   "height=\"150\" viewBox=\"0 0 900 150\">\n<title>%s over the last %zu runs "
                   "(oldest left), axis from 0 to ",
                what, n);
    h_number(b, max);
    buf_appendf(b, "</title>\n<text x=\"40\" y=\"12\">%s, axis from 0 to ", what);
    h_number(b, max);
    buf_appends(b, "</text>\n<line x1=\"40\" y1=\"130\" x2=\"880\" y2=\"130\" stroke=\"#999\"/>"
                   "\n<text x=\"34\" y=\"134\" text-anchor=\"end\">0</text>\n");
}

/* Polyline of one field over the runs, oldest left (history is newest
 * first); runs where it was not measured (-1) are left out. */
static void svg_trend(Buf *b, const RunSummary *h, size_t n, SummaryField get, const char *what)
{
    double max = 0;
    for (size_t i = 0; i < n; i++)
        max = get(&h[i]) > max ? get(&h[i]) : max;
    if (max <= 0 || max != max) {
        buf_appendf(b, "<p>%s was not measured in these runs.</p>\n", what);
        return;
    }
    svg_trend_frame(b, what, n, max);
    Buf dots;
    buf_init(&dots, HTML_MAX);
    buf_appends(b, "<polyline fill=\"none\" stroke=\"#0072b2\" stroke-width=\"2\" points=\"");
    for (size_t k = 0; k < n; k++) {
        const RunSummary *s = &h[n - 1 - k];
        if (!(get(s) >= 0))
            continue;
        long x = 40 + (long)(k * 840 / (n - 1));
        long y = 130 - (long)(get(s) * 110 / max);
        buf_appendf(b, "%ld,%ld ", x, y);
        buf_appendf(&dots, "<circle cx=\"%ld\" cy=\"%ld\" r=\"3\" fill=\"#0072b2\">"
                           "<title>run #%lld: ",
                    x, y, (long long)s->id);
        h_number(&dots, get(s));
        buf_appends(&dots, "</title></circle>\n");
        if (n <= 20)
            buf_appendf(&dots, "<text x=\"%ld\" y=\"146\" text-anchor=\"middle\">#%lld</text>\n",
                        x, (long long)s->id);
    }
    buf_appends(b, "\"/>\n");
    buf_append(b, dots.data ? dots.data : "", dots.len);
    buf_free(&dots);
    buf_appends(b, "</svg>\n");
}

static void h_measure_cell(Buf *b, double v)
{
    buf_appends(b, "<td class=\"num\">");
    if (v >= 0)
        h_number(b, v);
    else
        buf_appends(b, "&#8212;");
    buf_appends(b, "</td>");
}

static void write_trend(Buf *b, const RunSummary *h, size_t n)
{
    if (h == NULL || n < 2)
        return;
    buf_appends(b, "<h2 id=\"trend\">Trend</h2>\n");
    svg_trend(b, h, n, field_rto, "RTO (ms)");
    svg_trend(b, h, n, field_rpo, "RPO (ms)");
    buf_appends(b, "<table>\n<tr><th>Run</th><th>Started (UTC)</th><th>Verdict</th>"
                   "<th>Duration</th><th>RTO (ms)</th><th>RPO (ms)</th>"
                   "<th>RPO (transactions)</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        buf_appendf(b, "<tr><td class=\"num\">%lld</td><td>", (long long)h[i].id);
        h_utc(b, h[i].started_utc_ms);
        buf_appends(b, "</td><td>");
        h_text(b, h[i].status);
        buf_appends(b, "</td><td class=\"num\">");
        h_duration_ms(b, nonneg(h[i].duration_us) / 1000);
        buf_appends(b, "</td>");
        h_measure_cell(b, h[i].rto_ms);
        h_measure_cell(b, h[i].rpo_ms);
        h_measure_cell(b, h[i].rpo_transactions);
        buf_appends(b, "</tr>\n");
    }
    buf_appends(b, "</table>\n");
}

/* ---- measurements, samples, facts ---- */

static void write_measures(Buf *b, const RunRecord *run)
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
        h_text(b, m->key);
        buf_appends(b, "</td><td class=\"num\">");
        h_number(b, m->value);
        buf_appends(b, "</td><td>");
        h_text(b, m->unit);
        buf_appends(b, "</td><td>");
        h_text(b, m->how);
        buf_appends(b, "</td></tr>\n");
    }
    buf_appends(b, "</table>\n");
}

/* One row per series: count, first/last time, min, max (samples are ordered
 * by series then time). Returns the index after the series. */
static size_t write_series_row(Buf *b, const RunRecord *run, size_t i)
{
    const StoredSample *first = &run->samples[i];
    double min = first->value, max = first->value;
    size_t k = i;
    for (; k < run->nsamples && str_eq(run->samples[k].series, first->series); k++) {
        min = run->samples[k].value < min ? run->samples[k].value : min;
        max = run->samples[k].value > max ? run->samples[k].value : max;
    }
    buf_appends(b, "<tr><td>");
    h_text(b, first->series);
    buf_appendf(b, "</td><td class=\"num\">%zu</td><td class=\"num\">+", k - i);
    h_duration_ms(b, nonneg(first->t_ms - run->started_utc_ms));
    buf_appends(b, "</td><td class=\"num\">+");
    h_duration_ms(b, nonneg(run->samples[k - 1].t_ms - run->started_utc_ms));
    buf_appends(b, "</td><td class=\"num\">");
    h_number(b, min);
    buf_appends(b, "</td><td class=\"num\">");
    h_number(b, max);
    buf_appends(b, "</td><td class=\"num\">");
    h_number(b, run->samples[k - 1].value);
    buf_appends(b, "</td></tr>\n");
    return k;
}

/* Most points drawn per series and rows listed in its data table: a slot
 * sampled every 100 ms for an hour must not make the page unreadable. */
#define SERIES_MAX_POINTS 600

typedef struct Series {
    const StoredSample *s;   /* first sample of the series */
    size_t n;
    double max;
    int64_t t0, t1;          /* ms since run start */
} Series;

static Series series_at(const RunRecord *run, size_t i)
{
    Series se = {&run->samples[i], 0, 0, 0, 0};
    while (i + se.n < run->nsamples && str_eq(run->samples[i + se.n].series, se.s->series)) {
        double v = se.s[se.n].value;
        se.max = v > se.max ? v : se.max;
        se.n++;
    }
    se.t0 = nonneg(se.s[0].t_ms - run->started_utc_ms);
    se.t1 = nonneg(se.s[se.n - 1].t_ms - run->started_utc_ms);
    return se;
}

/* Step between the samples drawn / listed, so at most SERIES_MAX_POINTS. */
static size_t series_stride(const Series *se)
{
    return se->n / SERIES_MAX_POINTS + 1;
}

static void svg_series_events(Buf *b, const RunRecord *run, const Series *se)
{
    int64_t span = se->t1 > se->t0 ? se->t1 - se->t0 : 1;
    for (size_t i = 0; i < run->nevents; i++) {
        int64_t t = run->events[i].utc_ms - run->started_utc_ms;
        if (t < se->t0 || t > se->t1)
            continue;
        long x = 60 + (long)((t - se->t0) * 820 / span);
        buf_appendf(b, "<line x1=\"%ld\" y1=\"10\" x2=\"%ld\" y2=\"150\" stroke=\"#d55e00\" "
                       "stroke-dasharray=\"4 3\"><title>", x, x);
        h_text(b, run->events[i].name);
        buf_appends(b, "</title></line>\n");
    }
}

static void svg_series(Buf *b, const RunRecord *run, const Series *se)
{
    int64_t span = se->t1 > se->t0 ? se->t1 - se->t0 : 1;
    double max = se->max > 0 ? se->max : 1;
    buf_appends(b, "<svg class=\"chart\" viewBox=\"0 0 900 170\" role=\"img\"><title>");
    h_text(b, se->s->series);
    buf_appendf(b, " over time: %zu samples, maximum ", se->n);
    h_number(b, se->max);
    buf_appends(b, "</title>\n<line x1=\"60\" y1=\"150\" x2=\"880\" y2=\"150\" stroke=\"#555\"/>"
                   "<text x=\"56\" y=\"20\" text-anchor=\"end\">");
    h_number(b, se->max);
    buf_appends(b, "</text><text x=\"56\" y=\"150\" text-anchor=\"end\">0</text>\n"
                   "<text x=\"60\" y=\"166\">+");
    h_duration_ms(b, se->t0);
    buf_appends(b, "</text><text x=\"880\" y=\"166\" text-anchor=\"end\">+");
    h_duration_ms(b, se->t1);
    buf_appends(b, "</text>\n<polyline fill=\"none\" stroke=\"#0072b2\" stroke-width=\"2\" "
                   "points=\"");
    for (size_t k = 0; k < se->n; k += series_stride(se)) {
        int64_t t = nonneg(se->s[k].t_ms - run->started_utc_ms) - se->t0;
        double v = se->s[k].value == se->s[k].value ? se->s[k].value : 0;
        buf_appendf(b, "%ld,%ld ", 60 + (long)(t * 820 / span), 150 - (long)(v * 130 / max));
    }
    buf_appends(b, "\"/>\n");
    svg_series_events(b, run, se);
    buf_appends(b, "</svg>\n");
}

/* The chart's equivalent table, folded. */
static void series_table(Buf *b, const RunRecord *run, const Series *se)
{
    buf_appendf(b, "<details><summary>Data (%zu samples%s)</summary>\n<table>\n"
                   "<tr><th>Time since start</th><th>Value</th></tr>\n",
                se->n, series_stride(se) > 1 ? ", thinned" : "");
    for (size_t k = 0; k < se->n; k += series_stride(se)) {
        buf_appends(b, "<tr><td class=\"num\">+");
        h_duration_ms(b, nonneg(se->s[k].t_ms - run->started_utc_ms));
        buf_appends(b, "</td><td class=\"num\">");
        h_number(b, se->s[k].value);
        buf_appends(b, "</td></tr>\n");
    }
    buf_appends(b, "</table>\n</details>\n");
}

static void write_samples(Buf *b, const RunRecord *run)
{
    if (run->nsamples == 0)
        return;
    buf_appends(b, "<h2 id=\"series\">Sampled series</h2>\n<table>\n<tr><th>Series</th>"
                   "<th>Samples</th><th>First</th><th>Last</th><th>Min</th><th>Max</th>"
                   "<th>Last value</th></tr>\n");
    for (size_t i = 0; i < run->nsamples;)
        i = write_series_row(b, run, i);
    buf_appends(b, "</table>\n");
    for (size_t i = 0; i < run->nsamples;) {
        Series se = series_at(run, i);
        buf_appends(b, "<h3>");
        h_text(b, se.s->series);
        buf_appends(b, "</h3>\n");
        svg_series(b, run, &se);
        series_table(b, run, &se);
        i += se.n;
    }
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
        h_text(b, run->facts[i].key);
        buf_appends(b, "</td><td>");
        h_text(b, run->facts[i].value);
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

static void write_findings(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"findings\">Findings</h2>\n");
    if (count_facts(run, FACT_FINDING) == 0) {
        buf_appends(b, "<p>No step recorded a finding.</p>\n");
        return;
    }
    write_fact_rows(b, run, FACT_FINDING);
}

static void write_facts(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"environment\">Environment</h2>\n");
    if (count_facts(run, FACT_ENV) == 0) {
        buf_appends(b, "<p>No fact was recorded.</p>\n");
        return;
    }
    write_fact_rows(b, run, FACT_ENV);
}

/* ---- steps in detail ---- */

static void h_pre(Buf *b, const char *title, const char *text, size_t max)
{
    if (text == NULL || text[0] == '\0')
        return;
    buf_appendf(b, "<p><strong>%s</strong></p>\n<pre>", title);
    html_escape(b, text, max);
    buf_appends(b, "</pre>\n");
}

static void write_step_body(Buf *b, const StoredStep *s, size_t outmax)
{
    char code[64];
    buf_appends(b, "<table>\n");
    h_row(b, "Node", s->node ? s->node : "local");
    h_row(b, "Kind", s->kind);
    h_row(b, "Status", s->status);
    snprintf(code, sizeof code, "%d%s", s->exit_code, s->exit_code < 0 ? " (n/a)" : "");
    h_row(b, "Exit code", code);
    snprintf(code, sizeof code, "%d%s", s->term_signal, s->term_signal == 0 ? " (none)" : "");
    h_row(b, "Signal", code);
    buf_appends(b, "<tr><th scope=\"row\">Duration</th><td>");
    h_duration_ms(b, nonneg(s->duration_us) / 1000);
    buf_appends(b, "</td></tr>\n<tr><th scope=\"row\">Started (UTC)</th><td>");
    h_utc(b, s->started_utc_ms);
    buf_appends(b, "</td></tr>\n");
    h_row(b, "Message", s->message);
    buf_appends(b, "</table>\n");
    h_pre(b, "Command", s->command, outmax);
    h_pre(b, "Output (stdout)", s->out, outmax);
    h_pre(b, "Errors (stderr)", s->err, outmax);
}

static void write_steps_detail(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"steps\">Steps</h2>\n");
    for (size_t i = 0; i < run->nsteps; i++) {
        const StoredStep *s = &run->steps[i];
        /* Steps that did not succeed start open: that is what a reader wants. */
        buf_appendf(b, "<details%s>\n<summary>%s #%d ", step_ok(s) ? "" : " open",
                    step_ok(s) ? "\xE2\x9C\x94" : "\xE2\x9C\x98", s->seq);
        h_text(b, s->name);
        buf_appends(b, " &#8212; ");
        h_text(b, s->status);
        buf_appends(b, ", ");
        h_duration_ms(b, nonneg(s->duration_us) / 1000);
        buf_appends(b, "</summary>\n");
        write_step_body(b, s, HTML_OUT_MAX);
        /* Closed <details> never print, so a print-only copy follows. */
        buf_appends(b, "</details>\n<div class=\"print-only\">\n");
        write_step_body(b, s, HTML_PRINT_OUT_MAX);
        buf_appends(b, "</div>\n");
    }
}

static void write_source(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"drill-file\">Drill file as run</h2>\n<p>");
    h_text(b, run->drill_file);
    buf_appends(b, ", recorded SHA-256 <code>");
    h_text(b, run->drill_sha256);
    buf_appends(b, "</code>");
    if (run->drill_source != NULL) {
        char sha[65];
        sha256_hex(run->drill_source, strlen(run->drill_source), sha);
        buf_appends(b, str_eq(sha, run->drill_sha256)
                           ? " <span class=\"ok\">(\xE2\x9C\x94 matches the text below)</span>"
                           : " <span class=\"warn\">(\xE2\x9A\xA0 the text below hashes to ");
        if (!str_eq(sha, run->drill_sha256))
            buf_appendf(b, "<code>%s</code>)</span>", sha);
    }
    buf_appends(b, "</p>\n<pre>");
    html_escape(b, run->drill_source ? run->drill_source : "(not recorded)", HTML_SOURCE_MAX);
    buf_appends(b, "</pre>\n");
}

static void write_seal(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"seal\">Evidence seal</h2>\n");
    if (!run->sealed) {
        buf_appends(b, "<p>This run is <strong>not sealed</strong>: it had not finished when "
                       "this report was rendered.</p>\n");
        return;
    }
    char pos[32];
    snprintf(pos, sizeof pos, "%lld", (long long)run->seal.seq);
    buf_appends(b, "<p>SHA-256 over the canonical form of this run's stored record, chained "
                   "to the previous sealed run. <code>drill verify</code> recomputes both; a "
                   "store whose chain head differs from the one below no longer holds the "
                   "evidence this page was rendered from.</p>\n<table>\n");
    h_row(b, "Position in the chain", pos);
    h_row(b, "Record SHA-256", run->seal.record_sha256);
    h_row(b, "Previous chain SHA-256", run->seal.prev_sha256);
    h_row(b, "Chain SHA-256 (head at sealing)", run->seal.chain_sha256);
    buf_appends(b, "<tr><th scope=\"row\">Sealed (UTC)</th><td>");
    h_utc(b, run->seal.sealed_utc_ms);
    buf_appends(b, "</td></tr>\n</table>\n");
}

static void write_document(Buf *b, const RunRecord *run, const RunSummary *history,
                           size_t nhistory)
{
    write_head(b, run);
    buf_appends(b, "<h1>Disaster-recovery drill report</h1>\n");
    write_banner(b, run);
    write_facts_table(b, run);
    write_objectives_table(b, run);
    write_objective_chart(b, run);
    write_timeline(b, run);
    write_trend(b, history, nhistory);
    write_measures(b, run);
    write_findings(b, run);
    write_samples(b, run);
    write_facts(b, run);
    write_steps_detail(b, run);
    write_source(b, run);
    write_seal(b, run);
    buf_appendf(b, "<footer><p>Rendered by drill from run #%lld as recorded in its store. This "
                   "page runs no script and loads nothing.</p></footer>\n</body>\n</html>\n",
                (long long)run->id);
}

int report_html_write(const RunRecord *run, const RunSummary *history, size_t nhistory,
                      const char *path, DrillError *err)
{
    Buf b;
    buf_init(&b, HTML_MAX);
    write_document(&b, run, history, nhistory);
    int rc;
    if (b.truncated)
        rc = drill_error_set(err, DRILL_E_IO, "HTML report for run %lld exceeds %zu MiB",
                             (long long)run->id, HTML_MAX >> 20);
    else
        rc = file_write_atomic(path, b.data, b.len, err);
    buf_free(&b);
    return rc;
}
