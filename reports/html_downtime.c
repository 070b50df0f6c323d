/*
 * html_downtime.c — "Where the downtime went": the outage as one bar, each
 * step that filled it a segment of its length (measures `downtime.NN STEP`
 * and `downtime.between steps`, engine/run/outage.h), the recovering
 * servers' own log times (`downtime.NODE.EVENT_ms`) as ticks on the same
 * axis, and the same figures as a table.
 */
#include <stdlib.h>
#include <string.h>

#include "html_int.h"

#define BAR_X 10
#define BAR_W 880

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759",
                                      "#76b7b2", "#edc948", "#b07aa1", "#9c755f"};

/* A step segment: "downtime.NN name" (two digits, a blank). */
static bool is_segment(const char *key)
{
    return key != NULL && strncmp(key, "downtime.", 9) == 0 &&
           ((key[9] >= '0' && key[9] <= '9' && key[10] >= '0' && key[10] <= '9' &&
             key[11] == ' ') ||
            strcmp(key + 9, "between steps") == 0);
}

/* A server log time: "downtime.NODE.EVENT_ms" (not the slowest wait, a
 * duration: it is listed, never drawn as a time). */
static bool is_mark(const char *key)
{
    size_t n = key != NULL ? strlen(key) : 0;
    return n > 12 && !is_segment(key) && strncmp(key, "downtime.", 9) == 0 &&
           strcmp(key + n - 3, "_ms") == 0 && strchr(key + 9, '.') != NULL;
}

static bool is_drawn_mark(const char *key)
{
    size_t n = key != NULL ? strlen(key) : 0;
    return is_mark(key) && !(n > 8 && strcmp(key + n - 8, "_wait_ms") == 0);
}

static const char *colour_of(size_t k)
{
    return palette[k % (sizeof palette / sizeof *palette)];
}

static double outage_total(const RunRecord *run)
{
    double total = 0;
    for (size_t i = 0; i < run->nmeasures; i++)
        if (is_segment(run->measures[i].key) && run->measures[i].value > 0)
            total += run->measures[i].value;
    return total;
}

static void write_bar(Buf *b, const RunRecord *run, double total)
{
    buf_appends(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"900\" "
                   "height=\"64\" viewBox=\"0 0 900 64\">\n<title>The outage as one bar: each "
                   "segment a step (its length, its share), ticks the server log's "
                   "times</title>\n");
    double x = BAR_X;
    size_t colour = 0;
    for (size_t i = 0; i < run->nmeasures; i++) {
        const StoredMeasure *m = &run->measures[i];
        if (!is_segment(m->key) || !(m->value > 0))
            continue;
        double w = m->value * BAR_W / total;
        buf_appendf(b, "<rect x=\"%.1f\" y=\"8\" width=\"%.1f\" height=\"24\" fill=\"%s\">"
                       "<title>", x, w, colour_of(colour++));
        html_escape(b, m->key + 9, HTML_FIELD_MAX);
        buf_appends(b, ": ");
        html_number(b, m->value);
        buf_appends(b, " ms</title></rect>\n");
        x += w;
    }
    for (size_t i = 0; i < run->nmeasures; i++) {
        const StoredMeasure *m = &run->measures[i];
        if (!is_drawn_mark(m->key) || !(m->value >= 0) || m->value > total)
            continue;
        double mx = BAR_X + m->value * BAR_W / total;
        buf_appendf(b, "<line x1=\"%.1f\" y1=\"4\" x2=\"%.1f\" y2=\"40\" stroke=\"#000\">"
                       "<title>", mx, mx);
        html_escape(b, m->key + 9, HTML_FIELD_MAX);
        buf_appends(b, " at ");
        html_number(b, m->value);
        buf_appends(b, " ms</title></line>\n");
    }
    buf_appendf(b, "<text x=\"%d\" y=\"56\">0 (fault)</text><text x=\"%d\" y=\"56\" "
                   "text-anchor=\"end\">", BAR_X, BAR_X + BAR_W);
    html_number(b, total);
    buf_appends(b, " ms (first write committed)</text>\n</svg>\n");
}

static void write_table(Buf *b, const RunRecord *run, double total)
{
    buf_appends(b, "<table>\n<tr><th>Part of the outage</th><th>ms</th><th>Share</th>"
                   "<th>From</th></tr>\n");
    size_t colour = 0;
    for (size_t i = 0; i < run->nmeasures; i++) {
        const StoredMeasure *m = &run->measures[i];
        bool seg = is_segment(m->key);
        if (!seg && !is_mark(m->key))
            continue;
        buf_appends(b, "<tr><td>");
        if (seg && m->value > 0)   /* the bar's colour, beside the words */
            buf_appendf(b, "<span class=\"sw\" style=\"background:%s\"></span>",
                        colour_of(colour++));
        html_text(b, seg && m->key[9] != 'b' ? m->key + 12 : m->key + 9);
        buf_appends(b, "</td><td class=\"num\">");
        html_number(b, m->value);
        buf_appends(b, "</td><td class=\"num\">");
        if (seg)
            buf_appendf(b, "%.1f %%", total > 0 ? 100.0 * m->value / total : 0.0);
        buf_appends(b, seg ? "</td><td>step timings" : "</td><td>server log (time from the "
                                                        "fault)");
        buf_appends(b, "</td></tr>\n");
    }
    buf_appends(b, "</table>\n");
}

void html_write_downtime(Buf *b, const RunRecord *run)
{
    double total = outage_total(run);
    if (!(total > 0))
        return;
    buf_appends(b, "<h2 id=\"downtime\">Where the downtime went</h2>\n<p>The outage, from "
                   "the fault to the first write committed again (the RTO), cut into the "
                   "steps that filled it; the black ticks are what the recovering servers "
                   "logged, on the same axis.</p>\n");
    write_bar(b, run, total);
    write_table(b, run, total);
}
