/*
 * html_detail.c — the HTML report's detail sections: every step in full
 * (failed ones open, with a print-only copy since closed <details> never
 * print), the drill file as run with its recorded SHA-256 checked, and the
 * evidence seal (chain position and hashes).
 */
#include "html_int.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

#define HTML_OUT_MAX ((size_t)16 * 1024)     /* one step output on screen */
#define HTML_PRINT_OUT_MAX ((size_t)4 * 1024) /* the same in the print copy */
#define HTML_SOURCE_MAX ((size_t)1024 * 1024)

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
    html_row(b, "Node", s->node ? s->node : "local");
    html_row(b, "Kind", s->kind);
    html_row(b, "Status", s->status);
    snprintf(code, sizeof code, "%d%s", s->exit_code, s->exit_code < 0 ? " (n/a)" : "");
    html_row(b, "Exit code", code);
    snprintf(code, sizeof code, "%d%s", s->term_signal, s->term_signal == 0 ? " (none)" : "");
    html_row(b, "Signal", code);
    buf_appends(b, "<tr><th scope=\"row\">Duration</th><td>");
    html_duration_ms(b, html_nonneg(s->duration_us) / 1000);
    buf_appends(b, "</td></tr>\n<tr><th scope=\"row\">Started (UTC)</th><td>");
    html_utc(b, s->started_utc_ms);
    buf_appends(b, "</td></tr>\n");
    html_row(b, "Message", s->message);
    buf_appends(b, "</table>\n");
    h_pre(b, "Command", s->command, outmax);
    h_pre(b, "Output (stdout)", s->out, outmax);
    h_pre(b, "Errors (stderr)", s->err, outmax);
}

void html_write_steps(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"steps\">Steps</h2>\n");
    for (size_t i = 0; i < run->nsteps; i++) {
        const StoredStep *s = &run->steps[i];
        /* Steps that did not succeed start open: that is what a reader wants. */
        buf_appendf(b, "<details%s>\n<summary>%s #%d ", html_step_ok(s) ? "" : " open",
                    html_step_ok(s) ? "\xE2\x9C\x94" : "\xE2\x9C\x98", s->seq + 1);
        html_text(b, s->name);
        buf_appends(b, " &#8212; ");
        html_text(b, s->status);
        buf_appends(b, ", ");
        html_duration_ms(b, html_nonneg(s->duration_us) / 1000);
        buf_appends(b, "</summary>\n");
        write_step_body(b, s, HTML_OUT_MAX);
        /* Closed <details> never print, so a print-only copy follows. */
        buf_appends(b, "</details>\n<div class=\"print-only\">\n");
        write_step_body(b, s, HTML_PRINT_OUT_MAX);
        buf_appends(b, "</div>\n");
    }
}

void html_write_source(Buf *b, const RunRecord *run)
{
    buf_appends(b, "<h2 id=\"drill-file\">Drill file as run</h2>\n<p>");
    html_text(b, run->drill_file);
    buf_appends(b, ", recorded SHA-256 <code>");
    html_text(b, run->drill_sha256);
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

void html_write_seal(Buf *b, const RunRecord *run)
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
    html_row(b, "Position in the chain", pos);
    html_row(b, "Record SHA-256", run->seal.record_sha256);
    html_row(b, "Previous chain SHA-256", run->seal.prev_sha256);
    html_row(b, "Chain SHA-256 (head at sealing)", run->seal.chain_sha256);
    buf_appends(b, "<tr><th scope=\"row\">Sealed (UTC)</th><td>");
    html_utc(b, run->seal.sealed_utc_ms);
    buf_appends(b, "</td></tr>\n</table>\n");
}

