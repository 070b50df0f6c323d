/*
 * html_trend.c — the HTML report's trend: RTO and RPO over this drill's
 * earlier runs (SVG polylines, oldest left) and the same runs as a table.
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

static void h_measure_cell(Buf *b, double v)
{
    buf_appends(b, "<td class=\"num\">");
    if (v >= 0)
        html_number(b, v);
    else
        buf_appends(b, "&#8212;");
    buf_appends(b, "</td>");
}

void html_write_trend(Buf *b, const RunSummary *h, size_t n)
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

