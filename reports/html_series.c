/*
 * html_series.c — the HTML report's sampled series (replication lag, slot
 * bloat...): a summary table, then per series an SVG chart with the run's
 * events marked and its data as a folded table, thinned to at most
 * SERIES_MAX_POINTS points.
 */
#include "html_int.h"

#include "util.h"

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
    html_text(b, first->series);
    buf_appendf(b, "</td><td class=\"num\">%zu</td><td class=\"num\">+", k - i);
    html_duration_ms(b, html_nonneg(first->t_ms - run->started_utc_ms));
    buf_appends(b, "</td><td class=\"num\">+");
    html_duration_ms(b, html_nonneg(run->samples[k - 1].t_ms - run->started_utc_ms));
    buf_appends(b, "</td><td class=\"num\">");
    html_number(b, min);
    buf_appends(b, "</td><td class=\"num\">");
    html_number(b, max);
    buf_appends(b, "</td><td class=\"num\">");
    html_number(b, run->samples[k - 1].value);
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
    se.t0 = html_nonneg(se.s[0].t_ms - run->started_utc_ms);
    se.t1 = html_nonneg(se.s[se.n - 1].t_ms - run->started_utc_ms);
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
        html_text(b, run->events[i].name);
        buf_appends(b, "</title></line>\n");
    }
}

static void svg_series(Buf *b, const RunRecord *run, const Series *se)
{
    int64_t span = se->t1 > se->t0 ? se->t1 - se->t0 : 1;
    double max = se->max > 0 ? se->max : 1;
    buf_appends(b, "<svg class=\"chart\" viewBox=\"0 0 900 170\" role=\"img\"><title>");
    html_text(b, se->s->series);
    buf_appendf(b, " over time: %zu samples, maximum ", se->n);
    html_number(b, se->max);
    buf_appends(b, "</title>\n<line x1=\"60\" y1=\"150\" x2=\"880\" y2=\"150\" stroke=\"#555\"/>"
                   "<text x=\"56\" y=\"20\" text-anchor=\"end\">");
    html_number(b, se->max);
    buf_appends(b, "</text><text x=\"56\" y=\"150\" text-anchor=\"end\">0</text>\n"
                   "<text x=\"60\" y=\"166\">+");
    html_duration_ms(b, se->t0);
    buf_appends(b, "</text><text x=\"880\" y=\"166\" text-anchor=\"end\">+");
    html_duration_ms(b, se->t1);
    buf_appends(b, "</text>\n<polyline fill=\"none\" stroke=\"#0072b2\" stroke-width=\"2\" "
                   "points=\"");
    for (size_t k = 0; k < se->n; k += series_stride(se)) {
        int64_t t = html_nonneg(se->s[k].t_ms - run->started_utc_ms) - se->t0;
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
        html_duration_ms(b, html_nonneg(se->s[k].t_ms - run->started_utc_ms));
        buf_appends(b, "</td><td class=\"num\">");
        html_number(b, se->s[k].value);
        buf_appends(b, "</td></tr>\n");
    }
    buf_appends(b, "</table>\n</details>\n");
}

void html_write_samples(Buf *b, const RunRecord *run)
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
        html_text(b, se.s->series);
        buf_appends(b, "</h3>\n");
        svg_series(b, run, &se);
        series_table(b, run, &se);
        i += se.n;
    }
}

