/*
 * html_timeline.c — the HTML report's timeline: an SVG of every step as a
 * bar on one time axis from the run start, coloured by phase (Okabe-Ito
 * palette), with fault and recovery events as vertical lines; its legend,
 * and the steps and events as tables.
 */
#include "html_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define HTML_LABEL_MAX ((size_t)48)          /* SVG labels */

/* Okabe-Ito palette: distinguishable with the common colour-vision deficiencies. */
static const char *const PHASE_COLOURS[] = {"#0072b2", "#e69f00", "#009e73", "#cc79a7",
                                            "#56b4e9", "#d55e00", "#f0e442", "#999999"};
#define NPHASE_COLOURS (sizeof PHASE_COLOURS / sizeof PHASE_COLOURS[0])

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
    Axis a = {html_nonneg(run->duration_us) / 1000, 300, 560};
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
        html_duration_ms(b, ms);
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

#define EVENT_LANES 4         /* rows of event labels above the bars */
#define EVENT_LANE_PX 10
#define EVENT_LABEL_CHARS 20
#define EVENT_CHAR_PX 6        /* 11px sans-serif, roughly */

/* Lane (0 = lowest) of each event's label so that no two overlap: the first
 * lane whose previous label ends left of this one; -1 = no room (the line
 * keeps its tooltip and the events table lists it). Returns lanes used. */
static int event_lanes(const RunRecord *run, const Axis *a, int *lane)
{
    long long end[EVENT_LANES];
    int used = 0;
    for (int l = 0; l < EVENT_LANES; l++)
        end[l] = -1000000;
    for (size_t i = 0; i < run->nevents; i++) {
        long long x = (long long)axis_x(a, run->events[i].mono_us / 1000);
        size_t chars = strlen(run->events[i].name ? run->events[i].name : "");
        chars = chars > EVENT_LABEL_CHARS ? EVENT_LABEL_CHARS : chars;
        lane[i] = -1;
        for (int l = 0; l < EVENT_LANES && lane[i] < 0; l++)
            if (end[l] < x) {
                lane[i] = l;
                end[l] = x + 4 + (long long)chars * EVENT_CHAR_PX;
                used = l + 1 > used ? l + 1 : used;
            }
    }
    return used;
}

static void svg_events(Buf *b, const RunRecord *run, const Axis *a, const int *lane, int top,
                       int bottom)
{
    for (size_t i = 0; i < run->nevents; i++) {
        const StoredEvent *e = &run->events[i];
        const char *kind = event_kind(e->name);
        const char *stroke = str_eq(kind, "fault") ? "#b00020"
                             : str_eq(kind, "recovered") ? "#1e7e34" : "#777";
        long long x = (long long)axis_x(a, e->mono_us / 1000);
        int y1 = top - 12 - (lane[i] > 0 ? lane[i] : 0) * EVENT_LANE_PX;
        buf_appendf(b, "<line x1=\"%lld\" y1=\"%d\" x2=\"%lld\" y2=\"%d\" stroke=\"%s\" "
                       "stroke-width=\"2\"%s><title>",
                    x, y1, x, bottom, stroke,
                    str_eq(kind, "other") ? " stroke-dasharray=\"2 3\"" : " stroke-dasharray=\"6 3\"");
        html_text(b, e->name);
        buf_appends(b, " at +");
        html_duration_ms(b, e->mono_us / 1000);
        buf_appends(b, "</title></line>\n");
        if (lane[i] < 0)
            continue;
        buf_appendf(b, "<text x=\"%lld\" y=\"%d\" fill=\"%s\">", x + 2,
                    top - 14 - lane[i] * EVENT_LANE_PX, stroke);
        char *label = html_label_cut(e->name, EVENT_LABEL_CHARS);
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
    int64_t w = axis_x(a, start + html_nonneg(s->duration_us) / 1000) - x;
    char *label = xasprintf("%d %s", s->seq + 1, s->name ? s->name : "");
    char *cut = html_label_cut(label, HTML_LABEL_MAX);
    buf_appendf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", a->x0 - 6, y + 11);
    html_escape(b, cut, HTML_FIELD_MAX);
    buf_appendf(b, "</text>\n<rect x=\"%lld\" y=\"%d\" width=\"%lld\" height=\"14\" fill=\"%s\"%s>"
                   "<title>",
                (long long)x, y, (long long)(w < 2 ? 2 : w), phase_colour(run, s->phase),
                html_step_ok(s) ? "" : " stroke=\"#b00020\" stroke-width=\"2\"");
    html_escape(b, label, HTML_FIELD_MAX);
    buf_appends(b, " (");
    html_text(b, s->phase);
    buf_appends(b, "): ");
    html_text(b, s->status);
    buf_appends(b, ", ");
    html_duration_ms(b, html_nonneg(s->duration_us) / 1000);
    buf_appends(b, "</title></rect>\n");
    if (!html_step_ok(s))
        buf_appendf(b, "<text x=\"%lld\" y=\"%d\" class=\"bad\">\xE2\x9C\x98 </text>\n",
                    (long long)(x + w + 3), y + 11);
    free(cut);
    free(label);
}

static void write_timeline_svg(Buf *b, const RunRecord *run)
{
    Axis a = timeline_axis(run);
    int *lane = xcalloc(run->nevents + 1, sizeof *lane);
    int lanes = event_lanes(run, &a, lane);
    const int row = 20;
    int top = 34 + (lanes > 1 ? lanes - 1 : 0) * EVENT_LANE_PX;
    int bottom = top + (int)run->nsteps * row + 4;
    buf_appendf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"900\" "
                   "height=\"%d\" viewBox=\"0 0 900 %d\">\n<title>Timeline of the %zu steps, "
                   "relative to the run start, with fault and recovery events as vertical "
                   "lines</title>\n",
                bottom + 24, bottom + 24, run->nsteps);
    svg_ticks(b, &a, top - 4, bottom);
    for (size_t i = 0; i < run->nsteps; i++)
        svg_step_bar(b, run, &a, i, top + (int)i * row);
    svg_events(b, run, &a, lane, top, bottom);
    free(lane);
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
        html_text(b, run->steps[i].phase);
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
        buf_appendf(b, "<tr><td class=\"num\">%d</td><td>", s->seq + 1);
        html_text(b, s->phase);
        buf_appends(b, "</td><td>");
        html_text(b, s->name);
        buf_appends(b, "</td><td>");
        html_text(b, s->node ? s->node : "local");
        buf_appends(b, "</td><td class=\"num\">+");
        html_duration_ms(b, html_nonneg(s->started_utc_ms - run->started_utc_ms));
        buf_appends(b, "</td><td class=\"num\">");
        html_duration_ms(b, html_nonneg(s->duration_us) / 1000);
        buf_appendf(b, "</td><td class=\"%s\">", html_step_ok(s) ? "ok" : "bad");
        html_text(b, s->status);
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
        html_text(b, e->name);
        buf_appends(b, "</td><td class=\"num\">+");
        html_duration_ms(b, html_nonneg(e->mono_us) / 1000);
        buf_appends(b, "</td><td>");
        html_utc(b, e->utc_ms);
        buf_appends(b, "</td><td>");
        html_text(b, e->detail);
        buf_appends(b, "</td></tr>\n");
    }
    buf_appends(b, "</table>\n");
}

void html_write_timeline(Buf *b, const RunRecord *run)
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

