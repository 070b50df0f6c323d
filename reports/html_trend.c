/*
 * html_trend.c — the HTML report's trend: RTO and RPO over this drill's
 * earlier runs (SVG polylines, oldest left, this run's target dashed) and the
 * same runs as a table.
 */
#include "html_int.h"

#include "util.h"

typedef double (*SummaryField)(const RunSummary *s);
static double field_rto(const RunSummary *s) { return s->rto_ms; }
static double field_rpo(const RunSummary *s) { return s->rpo_ms; }

static void svg_trend_frame(Buf *b, const char *what, size_t n, double max)
{
    buf_appendf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"900\" "
                   "height=\"150\" viewBox=\"0 0 900 150\">\n<title>%s over the last %zu runs "
                   "(oldest left), axis from 0 to ",
                what, n);
    html_number(b, max);
    buf_appendf(b, "</title>\n<text x=\"40\" y=\"12\">%s, axis from 0 to ", what);
    html_number(b, max);
    buf_appends(b, "</text>\n<line x1=\"40\" y1=\"130\" x2=\"880\" y2=\"130\" stroke=\"#999\"/>"
                   "\n<text x=\"34\" y=\"134\" text-anchor=\"end\">0</text>\n");
}

/* The objective's target as a dashed line across the chart. */
static void svg_target(Buf *b, double target, double max)
{
    long y = 130 - (long)(target * 110 / max);
    buf_appendf(b, "<line x1=\"40\" y1=\"%ld\" x2=\"880\" y2=\"%ld\" stroke=\"#d55e00\" "
                   "stroke-dasharray=\"6 4\"/>\n<text x=\"880\" y=\"%ld\" text-anchor=\"end\" "
                   "fill=\"#d55e00\">target ",
                y, y, y - 4);
    html_number(b, target);
    buf_appends(b, "</text>\n");
}

/* Polyline of one field over the runs, oldest left (history is newest
 * first); runs where it was not measured (-1) are left out, and 0 is a
 * measurement like any other (an RPO of 0 every time is a flat line at 0,
 * not "not measured"). `target` < 0: the objective has none. */
static void svg_trend(Buf *b, const RunSummary *h, size_t n, SummaryField get, const char *what,
                      double target)
{
    double max = target > 0 ? target : 0;
    size_t measured = 0;
    for (size_t i = 0; i < n; i++)
        if (get(&h[i]) >= 0) {
            measured++;
            max = get(&h[i]) > max ? get(&h[i]) : max;
        }
    if (measured == 0) {
        buf_appendf(b, "<p>%s was not measured in these runs.</p>\n", what);
        return;
    }
    max = max > 0 ? max : 1;   /* every value 0: the axis still needs a height */
    svg_trend_frame(b, what, n, max);
    if (target >= 0)
        svg_target(b, target, max);
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
        html_number(&dots, get(s));
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

/* The run's target for an objective, -1 when it has none. */
static double objective_target(const RunRecord *run, const char *name)
{
    for (size_t i = 0; run != NULL && i < run->nobjectives; i++)
        if (str_eq(run->objectives[i].name, name))
            return run->objectives[i].target;
    return -1;
}

static void h_measure_cell(Buf *b, double v)
{
    buf_appends(b, "<td class=\"num\">");
    if (v >= 0)
        html_number(b, v);
    else
        buf_appends(b, "&#8212;");
    buf_appends(b, "</td>");
}

void html_write_trend(Buf *b, const RunRecord *run, const RunSummary *h, size_t n)
{
    if (h == NULL || n < 2)
        return;
    buf_appends(b, "<h2 id=\"trend\">Trend</h2>\n<p>Dashed: this run's target.</p>\n");
    svg_trend(b, h, n, field_rto, "RTO (ms)", objective_target(run, "rto"));
    svg_trend(b, h, n, field_rpo, "RPO (ms)", objective_target(run, "rpo"));
    buf_appends(b, "<table>\n<tr><th>Run</th><th>Started (UTC)</th><th>Verdict</th>"
                   "<th>Duration</th><th>RTO (ms)</th><th>RPO (ms)</th>"
                   "<th>RPO (transactions)</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        buf_appendf(b, "<tr><td class=\"num\">%lld</td><td>", (long long)h[i].id);
        html_utc(b, h[i].started_utc_ms);
        buf_appends(b, "</td><td>");
        html_text(b, h[i].status);
        buf_appends(b, "</td><td class=\"num\">");
        html_duration_ms(b, html_nonneg(h[i].duration_us) / 1000);
        buf_appends(b, "</td>");
        h_measure_cell(b, h[i].rto_ms);
        h_measure_cell(b, h[i].rpo_ms);
        h_measure_cell(b, h[i].rpo_transactions);
        buf_appends(b, "</tr>\n");
    }
    buf_appends(b, "</table>\n");
}

