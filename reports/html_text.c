/*
 * html_text.c — the HTML report's shared text helpers (html_int.h):
 * sanitising and escaping store text, cutting labels, times, durations and
 * numbers, table rows, verdict symbols and CSS classes.
 */
#include "html_int.h"

#include <stdbool.h>
#include <stdlib.h>

#include "rtext.h"
#include "util.h"

/* Appends s sanitised (at most max bytes) and escaped for HTML text and
 * attribute values alike. */
void html_escape(Buf *b, const char *s, size_t max)
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

void html_text(Buf *b, const char *s)
{
    html_escape(b, s, HTML_FIELD_MAX);
}

/* First max_chars characters of s (UTF-8 aware) with "…" when cut; malloc'd. */
char *html_label_cut(const char *s, size_t max_chars)
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

void html_duration_ms(Buf *b, int64_t ms)
{
    char d[48];
    time_format_duration_ms(ms, d, sizeof d);
    buf_appends(b, d);
}

void html_utc(Buf *b, int64_t ms)
{
    char t[40];
    if (ms <= 0) {
        buf_appends(b, "&#8212;");
        return;
    }
    time_format_utc_ms(ms, t, sizeof t);
    buf_appends(b, t);
}

void html_number(Buf *b, double v)
{
    char n[48];
    rtext_number(v, n, sizeof n);
    buf_appends(b, n);
}

/* <tr><th>label</th><td>escaped value</td></tr> */
void html_row(Buf *b, const char *label, const char *value)
{
    buf_appendf(b, "<tr><th scope=\"row\">%s</th><td>", label);
    html_text(b, value ? value : "\xE2\x80\x94");
    buf_appends(b, "</td></tr>\n");
}

const char *html_verdict_symbol(const char *status)
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
const char *html_status_class(const char *status)
{
    static const char *const known[] = {"passed", "failed", "error", "aborted", "running"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (str_eq(status, known[i]))
            return known[i];
    return "error";
}

bool html_step_ok(const StoredStep *s)
{
    return str_eq(s->status, "ok") || str_eq(s->status, "skipped");
}

int64_t html_nonneg(int64_t v)
{
    return v < 0 ? 0 : v;
}
