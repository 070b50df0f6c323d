/*
 * html_page.c — the HTML evidence report's page frame (report_html_write
 * in report.h): the inline CSS, <head> with its CSP, the verdict banner,
 * the footer, and the order of the sections the other html_*.c files write
 * (html_int.h lists them).
 *
 * One file an auditor can open offline years later: no JavaScript, no
 * external URL, a CSP that forbids both, inline CSS and inline SVG only.
 */
#include "html_int.h"

#include "report.h"
#include "util.h"

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
    /* Phone width: a table scrolls sideways inside the page instead of
     * pushing it wider than the screen; long values wrap. */
    "@media (max-width:600px){body{padding:.5em}table{display:block;overflow-x:auto;width:auto}"
    "td{overflow-wrap:anywhere}}"
    "@media print{body{max-width:none;color:#000;background:#fff}"
    ".verdict,th{background:#fff!important}pre{max-height:none;background:#fff}"
    "tr,details,pre,svg{page-break-inside:avoid;break-inside:avoid}"
    ".print-only{display:block}details[open]+.print-only{display:none}}";

/* ---- the page frame ---- */

void html_write_head_open(Buf *b)
{
    buf_appends(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "style-src 'unsafe-inline'; img-src data:\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>");
}

void html_write_head_close(Buf *b)
{
    buf_appendf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n", CSS);
}

static void write_head(Buf *b, const RunRecord *run)
{
    html_write_head_open(b);
    buf_appends(b, "drill: ");
    html_text(b, run->drill_name);
    buf_appendf(b, " &#8212; run #%lld ", (long long)run->id);
    html_text(b, run->status);
    html_write_head_close(b);
}

static void write_banner(Buf *b, const RunRecord *run)
{
    const char *cls = html_status_class(run->status);
    buf_appendf(b, "<header class=\"verdict v-%s\" role=\"status\">\n<span aria-hidden=\"true\">%s"
                   "</span> <strong>",
                cls, html_verdict_symbol(run->status));
    const char *word = run->status ? run->status : "unknown";
    for (size_t i = 0; word[i] != '\0' && i < 16; i++)
        buf_appendf(b, "%c", word[i] >= 'a' && word[i] <= 'z' ? word[i] - 'a' + 'A' : '?');
    buf_appends(b, "</strong> &#8212; drill <em>");
    html_text(b, run->drill_name);
    buf_appendf(b, "</em>, run #%lld, exit code %d", (long long)run->id, run->exit_code);
    if (run->message != NULL && run->message[0] != '\0') {
        buf_appends(b, "<br>\n<small>");
        html_text(b, run->message);
        buf_appends(b, "</small>");
    }
    buf_appends(b, "\n</header>\n");
}

static void write_document(Buf *b, const RunRecord *run, const RunSummary *history,
                           size_t nhistory)
{
    write_head(b, run);
    buf_appends(b, "<h1>Disaster-recovery drill report</h1>\n");
    write_banner(b, run);
    html_write_run_table(b, run);
    html_write_objectives(b, run);
    html_write_timeline(b, run);
    html_write_trend(b, run, history, nhistory);
    html_write_downtime(b, run);
    html_write_measures(b, run);
    html_write_findings(b, run);
    html_write_samples(b, run);
    html_write_environment(b, run);
    html_write_steps(b, run);
    html_write_source(b, run);
    html_write_seal(b, run);
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

