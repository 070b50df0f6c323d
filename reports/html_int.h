/*
 * html_int.h — private to the HTML report (report_html_write in report.h):
 * the shared text helpers (html_text.c) and one writer per part of the
 * page, called in page order by html_page.c.
 *
 *   html_page.c      the page frame: CSS, <head>, verdict banner, footer,
 *                    the order of the sections, report_html_write
 *   html_text.c      escaping and small formatting shared by every part
 *   html_run.c       the run table, objectives (table and chart),
 *                    measurements, findings and environment facts
 *   html_timeline.c  the timeline: steps and events on one time axis
 *   html_trend.c     the trend of RTO/RPO over the drill's earlier runs
 *   html_downtime.c  where the downtime went: the outage as one bar
 *   html_series.c    sampled series (lag, slot bloat...): charts and data
 *   html_detail.c    every step in full, the drill file as run, the seal
 *
 * Every text that came from the store goes through html_escape (sanitised
 * by rtext_clean, then HTML-escaped). Colour never carries meaning alone:
 * verdicts have words and symbols, chart bars have titles and every chart
 * has an equivalent table. No part reads a clock, so re-rendering a stored
 * run gives the same bytes.
 */
#ifndef DRILL_HTML_INT_H
#define DRILL_HTML_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

#define HTML_MAX ((size_t)64 * 1024 * 1024)  /* whole page */
#define HTML_FIELD_MAX ((size_t)8 * 1024)    /* one table cell */

/* ---- the page frame (html_page.c) ---- */

/* <!DOCTYPE> to <body>, around the caller's (escaped) title: the CSP (no
 * script, nothing loaded) and the inline CSS every drill page shares. */
void html_write_head_open(Buf *b);
void html_write_head_close(Buf *b);

/* ---- text (html_text.c) ---- */

/* Appends s sanitised (at most max bytes) and escaped for HTML text and
 * attribute values alike. */
void html_escape(Buf *b, const char *s, size_t max);
/* html_escape of one table cell's worth. */
void html_text(Buf *b, const char *s);
/* First max_chars characters of s (UTF-8 aware) with "…" when cut; malloc'd. */
char *html_label_cut(const char *s, size_t max_chars);
void html_duration_ms(Buf *b, int64_t ms);
/* A UTC time, or a dash when ms <= 0 (not recorded). */
void html_utc(Buf *b, int64_t ms);
void html_number(Buf *b, double v);
/* <tr><th>label</th><td>escaped value</td></tr> */
void html_row(Buf *b, const char *label, const char *value);
/* ✔ ✘ … ⚠ for a run status. */
const char *html_verdict_symbol(const char *status);
/* A known status word for CSS classes (never raw store text in a class). */
const char *html_status_class(const char *status);
/* ok or skipped. */
bool html_step_ok(const StoredStep *s);
int64_t html_nonneg(int64_t v);

/* ---- sections, in page order ---- */

void html_write_run_table(Buf *b, const RunRecord *run);     /* html_run.c */
void html_write_objectives(Buf *b, const RunRecord *run);
void html_write_timeline(Buf *b, const RunRecord *run);      /* html_timeline.c */
/* `h`: this drill's earlier runs, newest first; nothing when fewer than 2. */
void html_write_trend(Buf *b, const RunRecord *run, const RunSummary *h, size_t n); /* html_trend.c */
void html_write_downtime(Buf *b, const RunRecord *run);      /* html_downtime.c */
void html_write_measures(Buf *b, const RunRecord *run);      /* html_run.c */
void html_write_findings(Buf *b, const RunRecord *run);
void html_write_samples(Buf *b, const RunRecord *run);       /* html_series.c */
void html_write_environment(Buf *b, const RunRecord *run);   /* html_run.c */
void html_write_steps(Buf *b, const RunRecord *run);         /* html_detail.c */
void html_write_source(Buf *b, const RunRecord *run);
void html_write_seal(Buf *b, const RunRecord *run);

#endif
