/*
 * fleet.c — the fleet overview (drill fleet): how each target x drill is
 * judged, and the self-contained HTML page (JUnit: junit.c).
 *
 * Judged from the store only: the newest finished run of the pair
 * (store_fleet) and, when the reader asks for a schedule (max_age_ms), when
 * it last passed. An auditor's question "was every production cluster
 * restored within its RTO this quarter?" is one page: a row per target and
 * drill, failing and stale rows first in words and symbols (colour never
 * carries meaning alone), every value linked to the run that gave it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_int.h"
#include "report.h"
#include "util.h"

/* An age as a reader of a fleet wants it: 3d4h, 5h12m, 7m, 42s. */
static void age_text(int64_t ms, char *out, size_t size)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;
    if (s >= 86400 && s % 86400 / 3600 == 0)
        snprintf(out, size, "%lldd", (long long)(s / 86400));
    else if (s >= 86400)
        snprintf(out, size, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600 && s % 3600 / 60 == 0)
        snprintf(out, size, "%lldh", (long long)(s / 3600));
    else if (s >= 3600)
        snprintf(out, size, "%lldh%lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(out, size, "%lldm", (long long)(s / 60));
    else
        snprintf(out, size, "%llds", (long long)s);
}

const char *fleet_judge(const FleetView *v, const FleetRow *r, char *why, size_t whysz)
{
    char age[32], limit[32];
    int64_t max_age = r->max_age_ms > 0 ? r->max_age_ms : v->max_age_ms;
    if (r->runs == 0) {
        age_text(max_age, limit, sizeof limit);
        snprintf(why, whysz, "never run on this target (to pass every %s)", limit);
        return "stale";
    }
    if (!str_eq(r->last_status, "passed")) {
        if (!isnan(r->audit_critical) && r->audit_critical > 0)
            snprintf(why, whysz, "audit #%lld: %.0f critical finding(s)", (long long)r->last_id,
                     r->audit_critical);
        else if (r->objectives_missed > 0)
            snprintf(why, whysz, "run #%lld %s: %d of %d objective(s) missed",
                     (long long)r->last_id, r->last_status, r->objectives_missed, r->objectives);
        else
            snprintf(why, whysz, "run #%lld %s", (long long)r->last_id, r->last_status);
        return "failed";
    }
    if (max_age > 0 && (r->last_passed_ms <= 0 || v->now_ms - r->last_passed_ms > max_age)) {
        age_text(v->now_ms - r->last_passed_ms, age, sizeof age);
        age_text(max_age, limit, sizeof limit);
        snprintf(why, whysz, "last passed %s ago, more than %s", age, limit);
        return "stale";
    }
    age_text(v->now_ms - r->last_passed_ms, age, sizeof age);
    snprintf(why, whysz, "run #%lld passed %s ago", (long long)r->last_id, age);
    return "ok";
}

size_t fleet_not_ok(const FleetView *v)
{
    size_t bad = 0;
    char why[256];
    for (size_t i = 0; i < v->n; i++)
        bad += !str_eq(fleet_judge(v, &v->rows[i], why, sizeof why), "ok");
    return bad;
}

int report_output(const char *path, const char *data, size_t len, DrillError *err)
{
    if (!str_eq(path, "-"))
        return file_write_atomic(path, data, len, err);
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
        return drill_error_set(err, DRILL_E_IO, "cannot write to standard output");
    return 0;
}

/* ---- HTML ---- */

static void cell_ms(Buf *b, double ms, double target)
{
    buf_appends(b, "<td class=\"num\">");
    if (isnan(ms)) {
        buf_appends(b, "&#8212;");
    } else {
        html_duration_ms(b, (int64_t)ms);
        if (!isnan(target) && target >= 0) {
            buf_appendf(b, " <span class=\"%s\">", ms <= target ? "ok" : "bad");
            buf_appends(b, ms <= target ? "&#10003; &#8804; " : "&#10007; &gt; ");
            html_duration_ms(b, (int64_t)target);
            buf_appends(b, "</span>");
        }
    }
    buf_appends(b, "</td>");
}

static void cell_trend(Buf *b, const FleetRow *r)
{
    buf_appends(b, "<td class=\"num\">");
    if (isnan(r->rto_ms) || isnan(r->prev_rto_ms)) {
        buf_appends(b, "&#8212;");
    } else {
        double d = r->rto_ms - r->prev_rto_ms;
        buf_appends(b, d > 0 ? "&#9650; +" : d < 0 ? "&#9660; &#8722;" : "= ");
        html_duration_ms(b, (int64_t)fabs(d));
    }
    buf_appends(b, "</td>");
}

static void write_row(Buf *b, const FleetView *v, const FleetRow *r)
{
    char why[256];
    const char *verdict = fleet_judge(v, r, why, sizeof why);
    bool ok = str_eq(verdict, "ok");
    buf_appends(b, "<tr><td>");
    html_text(b, r->target[0] ? r->target : "(no topology: the sandbox)");
    buf_appends(b, "</td><td>");
    html_text(b, r->drill);
    buf_appendf(b, "</td><td class=\"%s\">%s ", ok ? "ok" : str_eq(verdict, "stale") ? "warn" : "bad",
                ok ? "&#10003;" : str_eq(verdict, "stale") ? "&#9888;" : "&#10007;");
    html_text(b, verdict);
    buf_appends(b, "<br><small>");
    html_text(b, why);
    if (r->runs == 0)
        buf_appends(b, "</small></td><td class=\"num\">&#8212;</td><td>");
    else
        buf_appendf(b, "</small></td><td class=\"num\">#%lld</td><td>", (long long)r->last_id);
    html_utc(b, r->last_started_ms);
    buf_appends(b, "</td>");
    cell_ms(b, r->rto_ms, r->rto_target_ms);
    cell_ms(b, r->rpo_ms, r->rpo_target_ms);
    cell_trend(b, r);
    buf_appends(b, "<td>");
    html_utc(b, r->last_passed_ms);
    buf_appendf(b, "</td><td class=\"num\">%lld</td></tr>\n", (long long)r->runs);
}

static void write_page(Buf *b, const FleetView *v)
{
    size_t bad = fleet_not_ok(v);
    html_write_head_open(b);
    buf_appendf(b, "drill fleet &#8212; %zu of %zu not ok", bad, v->n);
    html_write_head_close(b);
    buf_appends(b, "<h1>Disaster-recovery fleet overview</h1>\n");
    buf_appendf(b, "<header class=\"verdict v-%s\" role=\"status\"><span aria-hidden=\"true\">%s"
                   "</span> <strong>%s</strong> &#8212; %zu of %zu target&#215;drill pair(s) not ok",
                bad ? "failed" : "passed", bad ? "&#10007;" : "&#10003;", bad ? "NOT OK" : "OK",
                bad, v->n);
    buf_appends(b, "<br><small>as of ");
    html_utc(b, v->now_ms);
    if (v->max_age_ms > 0) {
        buf_appends(b, "; a pair must have passed within ");
        html_duration_ms(b, v->max_age_ms);
    }
    buf_appends(b, "; from the store ");
    html_text(b, v->store);
    buf_appends(b, "</small></header>\n<table>\n<tr><th>Target</th><th>Drill</th><th>Verdict</th>"
                   "<th>Newest run</th><th>Started (UTC)</th><th>RTO (objective)</th>"
                   "<th>RPO (objective)</th><th>RTO trend</th><th>Last passed (UTC)</th>"
                   "<th>Runs</th></tr>\n");
    /* Not ok first, then the rest, each in the store's order (target, drill). */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < v->n; i++) {
            char why[256];
            bool ok = str_eq(fleet_judge(v, &v->rows[i], why, sizeof why), "ok");
            if (ok == (pass == 1))
                write_row(b, v, &v->rows[i]);
        }
    buf_appends(b, "</table>\n<footer><p>Rendered by drill fleet from the runs recorded in its "
                   "store; each row is the newest finished run of that target and drill "
                   "(`drill show RUN` for its evidence). This page runs no script and loads "
                   "nothing.</p></footer>\n</body>\n</html>\n");
}

int report_fleet_html_write(const FleetView *v, const char *path, DrillError *err)
{
    Buf b;
    buf_init(&b, HTML_MAX);
    write_page(&b, v);
    int rc = b.truncated ? drill_error_set(err, DRILL_E_IO, "the fleet page exceeds %zu MiB",
                                           HTML_MAX >> 20)
                         : report_output(path, b.data, b.len, err);
    buf_free(&b);
    return rc;
}
