/*
 * test_reports.c — JUnit and HTML rendered from a run recorded through the
 * store: byte-identical re-rendering, well-formed XML whose counts match its
 * testcases, sanitised hostile output (control characters, invalid UTF-8,
 * ANSI escapes, "]]>", markup), missed objectives as <failure> with text,
 * the JUnit validated against tests/data/junit-drill.xsd, and an HTML page
 * with a CSP, no script, no external URL and a <title> in every <svg>.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "report.h"
#include "rtext.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

/* Output of a hostile command: ANSI colours, an OSC title, controls, invalid
 * UTF-8 (lone continuation, overlong, surrogate, truncated), CDATA end, markup. */
static const char HOSTILE_OUT[] =
    "\x1b[31mred\x1b[0m \x1b]0;title\x07ok bell\x07 nul-ish\x01\x02 del\x7f "
    "bad\x80utf \xc0\xaf \xed\xa0\x80 end]]> <script>alert(1)</script> & \"q\" caf\xc3\xa9 "
    "trunc\xe2\x82";

static void add_step(Store *st, int64_t id, int seq, const char *phase, const char *status,
                     const char *out)
{
    StepRecord s = {phase, seq, "step name", "cmd", "pg1", "echo hi", status,
                    status[0] == 'o' ? 0 : 1, 0, 1700000000000 + seq * 1000,
                    1700000000000 + seq * 1000 + 500, 500000, out, "some stderr\n",
                    status[0] == 'o' ? NULL : "it went wrong"};
    CHECK_INT(store_step_add(st, id, &s, NULL), 0);
}

static int64_t record_run(Store *st)
{
    RunInfo info = {"failover", "/d/failover.yaml", NULL, "name: failover\n# <b>&</b>\n",
                    "sandbox", "/t/sandbox.yaml", "ci-host", "0.1.0", 1700000000000, 30000,
                    1000, 0, 0, NULL, NULL};
    char sha[65];
    sha256_hex(info.drill_source, strlen(info.drill_source), sha);
    info.drill_sha256 = sha;
    int64_t id = 0;
    CHECK_INT(store_run_begin(st, &info, &id, NULL), 0);
    add_step(st, id, 0, "setup", "ok", "fine\n");
    add_step(st, id, 1, "fault", "failed", HOSTILE_OUT);
    add_step(st, id, 2, "fault", "error", "");
    add_step(st, id, 3, "recover", "timeout", NULL);
    add_step(st, id, 4, "verify", "skipped", NULL);
    CHECK_INT(store_event_add(st, id, "fault_injected", 1700000001000, 1000000, "kill -9", NULL), 0);
    CHECK_INT(store_event_add(st, id, "recovered", 1700000003200, 3200000, NULL, NULL), 0);
    CHECK_INT(store_measure_add(st, id, "rto_ms", 2200, "ms", "first write", NULL), 0);
    CHECK_INT(store_measure_add(st, id, "rpo_transactions", 2, "tx", "heartbeat gap", NULL), 0);
    CHECK_INT(store_measure_add(st, id, "rpo_ms", 150, "ms", "heartbeat gap", NULL), 0);
    CHECK_INT(store_measure_add(st, id, "downtime.01 restore", 1500, "ms", "step", NULL), 0);
    CHECK_INT(store_measure_add(st, id, "downtime.02 wait", 690, "ms", "step", NULL), 0);
    CHECK_INT(store_measure_add(st, id, "downtime.between steps", 10, "ms", "gaps", NULL), 0);
    CHECK_INT(store_measure_add(st, id, "downtime.pg1.ready_ms", 2100, "ms", "log", NULL), 0);
    CHECK_INT(store_measure_add(st, id, "downtime.pg1.wal_slowest_wait_ms", 300, "ms", "log", NULL), 0);
    CHECK_INT(store_objective_add(st, id, "rto", 30000, 2200, "ms", true, "first write", NULL), 0);
    CHECK_INT(store_objective_add(st, id, "rpo", 0, 2, "tx", false, "heartbeat \x1b[1mgap", NULL), 0);
    CHECK_INT(store_objective_add(st, id, "rpo_ms", 1000, -1, "ms", false, "not measured", NULL), 0);
    CHECK_INT(store_fact_add(st, id, "server_version:pg1", "15.4 <x>", NULL), 0);
    CHECK_INT(store_fact_add(st, id, "fork_lsn", "0/3000060", NULL), 0);
    CHECK_INT(store_fact_add(st, id, "who.operator", "Ada", NULL), 0);
    CHECK_INT(store_sample_add(st, id, "lag_bytes", 1700000000100, 10, NULL), 0);
    CHECK_INT(store_sample_add(st, id, "lag_bytes", 1700000000200, 30, NULL), 0);
    CHECK_INT(store_run_finish(st, id, "failed", 1, 1700000005000, 5000000, "rpo missed", NULL), 0);
    return id;
}

/* The whole file (testutil_read_file), checked: one CHECK that it was read. */
static char *read_file(const char *path, size_t *len)
{
    *len = 0;
    char *data = testutil_read_file(path, len);
    CHECK(data != NULL);
    return data;
}

static bool same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *da = read_file(a, &la), *db = read_file(b, &lb);
    bool same = da != NULL && db != NULL && la == lb && memcmp(da, db, la) == 0;
    free(da);
    free(db);
    return same;
}

/* Every byte sequence valid UTF-8 and no control character but \t \n \r. */
static bool clean_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                                    : c >= 0xF0 && c <= 0xF4                     ? 4 : 0;
        if (len == 0 || i + len > n)
            return false;
        if (len == 1 && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F))
            return false;
        if (len == 3 && c == 0xED && s[i + 1] >= 0xA0)
            return false; /* surrogate */
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

static long attr_long(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    long r = v ? strtol((const char *)v, NULL, 10) : -1;
    xmlFree(v);
    return r;
}

static bool attr_is(xmlNode *n, const char *name, const char *want)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    bool r = v != NULL && strcmp((const char *)v, want) == 0;
    xmlFree(v);
    return r;
}

static xmlNode *child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

typedef struct Tally { long tests, failures, errors, skipped; } Tally;

static Tally tally_cases(xmlNode *suite)
{
    Tally t = {0, 0, 0, 0};
    for (xmlNode *c = suite->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "testcase") != 0)
            continue;
        t.tests++;
        t.failures += child(c, "failure") != NULL;
        t.errors += child(c, "error") != NULL;
        t.skipped += child(c, "skipped") != NULL;
    }
    return t;
}

static xmlNode *find_case(xmlNode *suite, const char *name)
{
    for (xmlNode *c = suite->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && attr_is(c, "name", name))
            return c;
    return NULL;
}

/* Whether the suite's <properties> has NAME with VALUE. */
static bool find_property(xmlNode *suite, const char *name, const char *value)
{
    for (xmlNode *p = child(child(suite, "properties"), "property"); p != NULL; p = p->next)
        if (p->type == XML_ELEMENT_NODE && attr_is(p, "name", name) && attr_is(p, "value", value))
            return true;
    return false;
}

/* A step's testcase: named after the step, its phase in the classname. */
static xmlNode *find_step_case(xmlNode *suite, const char *phase, const char *name)
{
    char cls[64];
    snprintf(cls, sizeof cls, "drill.failover.%s", phase);
    for (xmlNode *c = suite->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && attr_is(c, "name", name) && attr_is(c, "classname", cls))
            return c;
    return NULL;
}

static void check_counts(xmlNode *root, long tests, long failures, long errors, long skipped)
{
    xmlNode *suite = child(root, "testsuite");
    CHECK(suite != NULL);
    if (suite == NULL)
        return;
    Tally t = tally_cases(suite);
    CHECK_INT(t.tests, tests);
    CHECK_INT(t.failures, failures);
    CHECK_INT(t.errors, errors);
    CHECK_INT(t.skipped, skipped);
    CHECK_INT(attr_long(suite, "tests"), tests);
    CHECK_INT(attr_long(suite, "failures"), failures);
    CHECK_INT(attr_long(suite, "errors"), errors);
    CHECK_INT(attr_long(suite, "skipped"), skipped);
    CHECK_INT(attr_long(root, "tests"), tests);
    CHECK_INT(attr_long(root, "failures"), failures);
    CHECK_INT(attr_long(root, "errors"), errors);
}

static void check_schema(const char *xml_path)
{
    char *xsd = testutil_data_path("junit-drill.xsd");
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(xsd);
    xmlSchemaPtr schema = pc ? xmlSchemaParse(pc) : NULL;
    CHECK(schema != NULL);
    if (schema != NULL) {
        xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
        CHECK_INT(xmlSchemaValidateFile(vc, xml_path, 0), 0);
        xmlSchemaFreeValidCtxt(vc);
        xmlSchemaFree(schema);
    }
    xmlSchemaFreeParserCtxt(pc);
    free(xsd);
}

static void check_missed_objective(xmlNode *suite)
{
    xmlNode *tc = find_case(suite, "rpo");
    xmlNode *f = child(tc, "failure");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    const char *want = "measured 2 tx, target 0 tx (heartbeat gap)";
    CHECK(attr_is(f, "message", want));
    xmlChar *text = xmlNodeGetContent(f);
    CHECK_STR((const char *)text, want);
    xmlFree(text);
    CHECK(attr_is(tc, "classname", "drill.failover.objectives"));
    CHECK(child(find_case(suite, "rto"), "failure") == NULL);
    xmlNode *nm = child(find_case(suite, "rpo_ms"), "failure");
    CHECK(nm != NULL && attr_is(nm, "message", "not measured, target 1000 ms (not measured)"));
}

static void check_hostile_step(xmlNode *suite)
{
    /* Named after the step alone (adding a step renames no other test); a
     * name repeated within a phase gets " (2)"; the 1-based number is a
     * suite property and starts system-out. */
    xmlNode *tc = find_step_case(suite, "fault", "step name");
    CHECK(tc != NULL && attr_is(tc, "classname", "drill.failover.fault"));
    CHECK(find_case(suite, "1 step name") == NULL);
    xmlNode *f = child(tc, "failure");
    CHECK(f != NULL && attr_is(f, "message", "it went wrong"));
    xmlChar *text = f ? xmlNodeGetContent(f) : NULL;
    CHECK(text != NULL && strncmp((const char *)text, "it went wrong", 13) == 0);
    xmlFree(text);
    xmlChar *out = xmlNodeGetContent(child(tc, "system-out"));
    CHECK(out != NULL);
    if (out != NULL) {
        const char *o = (const char *)out;
        CHECK(strncmp(o, "step 2, [pg1] $ echo hi", 23) == 0);
        CHECK(strstr(o, "red ok bell") != NULL);         /* ANSI + OSC stripped */
        CHECK(strstr(o, "end]]> <script>") != NULL);     /* text survives, escaped */
        CHECK(strstr(o, "bad\xEF\xBF\xBDutf") != NULL);  /* invalid byte replaced */
        CHECK(strstr(o, "caf\xc3\xa9") != NULL);         /* valid UTF-8 kept */
        CHECK(strchr(o, 0x1b) == NULL);
    }
    xmlFree(out);
    CHECK(child(find_step_case(suite, "fault", "step name (2)"), "error") != NULL);
    CHECK(child(find_step_case(suite, "verify", "step name"), "skipped") != NULL);
    CHECK(find_property(suite, "step.fault.step name (2)", "3"));
    CHECK(find_property(suite, "step.verify.step name", "5"));
}

static void check_junit_file(const char *path)
{
    size_t len;
    char *raw = read_file(path, &len);
    CHECK(raw != NULL && clean_utf8((const unsigned char *)raw, len));
    CHECK(raw != NULL && strstr(raw, "]]>") == NULL);
    CHECK(raw != NULL && strstr(raw, "<testsuite name=\"failover\"") != NULL);
    CHECK(raw != NULL && strstr(raw, "timestamp=\"2023-11-14T22:13:20\"") != NULL);
    CHECK(raw != NULL && strstr(raw, "time=\"5.000\"") != NULL);
    free(raw);
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    CHECK(doc != NULL);
    if (doc == NULL)
        return;
    xmlNode *root = xmlDocGetRootElement(doc);
    CHECK(strcmp((const char *)root->name, "testsuites") == 0);
    check_counts(root, 8, 3, 2, 1);
    xmlNode *suite = child(root, "testsuite");
    if (suite != NULL) {
        check_missed_objective(suite);
        check_hostile_step(suite);
    }
    xmlFreeDoc(doc);
    check_schema(path);
}

TEST(junit_from_store)
{
    char *db = testutil_tmp_path("r.db");
    char *a = testutil_tmp_path("a.xml"), *b = testutil_tmp_path("b.xml");
    Store *st = NULL;
    CHECK_INT(store_open(db, &st, NULL), 0);
    int64_t id = record_run(st);
    RunRecord *r1 = NULL, *r2 = NULL;
    CHECK_INT(store_run_load(st, id, &r1, NULL), 0);
    CHECK_INT(store_run_load(st, id, &r2, NULL), 0);
    DrillError err = {0};
    CHECK_INT(report_junit_write(r1, a, &err), 0);
    CHECK_INT(report_junit_write(r2, b, &err), 0);
    CHECK(same_file(a, b));
    check_junit_file(a);
    run_record_free(r1);
    run_record_free(r2);
    store_close(st);
    free(db);
    free(a);
    free(b);
}

/* Records a passed run of drill "stable" with the named steps, in order
 * (phase:name each); returns its JUnit file's step testcases as
 * "classname/name" lines. */
static char *junit_step_ids(Store *st, const char *const *steps, size_t n, const char *file)
{
    RunInfo info = {"stable", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1000, -1, -1, -1, 0,
                    NULL, NULL};
    int64_t id = 0;
    CHECK_INT(store_run_begin(st, &info, &id, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        char phase[32];
        const char *colon = strchr(steps[i], ':');
        snprintf(phase, sizeof phase, "%.*s", (int)(colon - steps[i]), steps[i]);
        StepRecord s = {phase, (int)i, colon + 1, "sql", "pg1", "select 1", "ok", 0, 0,
                        1000 + (int64_t)i, 1001 + (int64_t)i, 1000, "", "", NULL};
        CHECK_INT(store_step_add(st, id, &s, NULL), 0);
    }
    CHECK_INT(store_run_finish(st, id, "passed", 0, 2000, 1000000, "", NULL), 0);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK_INT(report_junit_write(r, file, NULL), 0);
    run_record_free(r);
    Buf ids;
    buf_init(&ids, 1 << 16);
    xmlDocPtr doc = xmlReadFile(file, NULL, XML_PARSE_NONET);
    xmlNode *suite = doc != NULL ? child(xmlDocGetRootElement(doc), "testsuite") : NULL;
    for (xmlNode *tc = suite != NULL ? suite->children : NULL; tc != NULL; tc = tc->next) {
        if (tc->type != XML_ELEMENT_NODE || strcmp((const char *)tc->name, "testcase") != 0)
            continue;
        xmlChar *cls = xmlGetProp(tc, (const xmlChar *)"classname");
        xmlChar *name = xmlGetProp(tc, (const xmlChar *)"name");
        if (cls != NULL && strstr((const char *)cls, ".objectives") == NULL)
            buf_appendf(&ids, "%s/%s\n", (const char *)cls, (const char *)name);
        xmlFree(cls);
        xmlFree(name);
    }
    xmlFreeDoc(doc);
    return ids.data;
}

/* CI history follows a test by classname and name: a step added to a drill
 * (here in front of the others, and a second one of an existing name) must
 * leave every other step's identity as it was. */
TEST(junit_names_stable_across_an_added_step)
{
    char *db = testutil_tmp_path("stable.db");
    char *a = testutil_tmp_path("stable-a.xml"), *b = testutil_tmp_path("stable-b.xml");
    Store *st = NULL;
    CHECK_INT(store_open(db, &st, NULL), 0);
    static const char *const before[] = {"preflight:primary is writable", "fault:wipe",
                                         "recover:restore", "verify:rows are back"};
    static const char *const after[] = {"preflight:standby streams", "preflight:primary is writable",
                                        "fault:wipe", "recover:restore", "recover:restore",
                                        "verify:rows are back"};
    char *ids_a = junit_step_ids(st, before, 4, a);
    char *ids_b = junit_step_ids(st, after, 6, b);
    CHECK_STR(ids_a, "drill.stable.preflight/primary is writable\ndrill.stable.fault/wipe\n"
                     "drill.stable.recover/restore\ndrill.stable.verify/rows are back\n");
    CHECK_STR(ids_b, "drill.stable.preflight/standby streams\n"
                     "drill.stable.preflight/primary is writable\ndrill.stable.fault/wipe\n"
                     "drill.stable.recover/restore\ndrill.stable.recover/restore (2)\n"
                     "drill.stable.verify/rows are back\n");
    free(ids_a);
    free(ids_b);
    store_close(st);
    free(db);
    free(a);
    free(b);
}

/* An aborted run with no failing step still fails in CI. */
TEST(junit_aborted_run_not_green)
{
    char *db = testutil_tmp_path("r.db"), *x = testutil_tmp_path("aborted.xml");
    Store *st = NULL;
    CHECK_INT(store_open(db, &st, NULL), 0);
    RunInfo info = {"quick", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1000, -1, -1, -1, 0, NULL, NULL};
    int64_t id = 0;
    CHECK_INT(store_run_begin(st, &info, &id, NULL), 0);
    add_step(st, id, 0, "setup", "ok", "fine");
    CHECK_INT(store_run_finish(st, id, "aborted", 3, 2000, 1000000, "SIGINT", NULL), 0);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK_INT(report_junit_write(r, x, NULL), 0);
    xmlDocPtr doc = xmlReadFile(x, NULL, XML_PARSE_NONET);
    CHECK(doc != NULL);
    if (doc != NULL) {
        check_counts(xmlDocGetRootElement(doc), 2, 0, 1, 0);
        xmlFreeDoc(doc);
    }
    check_schema(x);
    /* Mostly-NULL run info renders in HTML too. */
    char *h = testutil_tmp_path("aborted.html");
    CHECK_INT(report_html_write(r, NULL, 0, h, NULL), 0);
    size_t len = 0;
    char *html = read_file(h, &len);
    CHECK(html != NULL && strstr(html, "ABORTED") != NULL && strstr(html, "SIGINT") != NULL);
    CHECK(html != NULL && strstr(html, "(not recorded)") != NULL);
    CHECK(html != NULL && strstr(html, "Where the downtime went") == NULL);   /* none measured */
    free(html);
    free(h);
    run_record_free(r);
    store_close(st);
    free(db);
    free(x);
}

/* Every "<svg" has a "<title>" before its "</svg>". */
static bool svgs_have_titles(const char *html, int *count)
{
    *count = 0;
    for (const char *p = strstr(html, "<svg"); p != NULL; p = strstr(p + 1, "<svg")) {
        const char *end = strstr(p, "</svg>");
        const char *title = strstr(p, "<title>");
        if (end == NULL || title == NULL || title > end)
            return false;
        (*count)++;
    }
    return true;
}

/* No URL except the SVG namespace. */
static bool no_external_url(const char *html)
{
    static const char ns[] = "http://www.w3.org/2000/svg";
    for (const char *p = strstr(html, "http"); p != NULL; p = strstr(p + 1, "http")) {
        bool url = strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0;
        if (url && strncmp(p, ns, sizeof ns - 1) != 0)
            return false;
    }
    return true;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p != '\0'; p++) {
        size_t k = 0;
        while (k < n && p[k] != '\0' && (p[k] | 0x20) == (needle[k] | 0x20))
            k++;
        if (k == n)
            return true;
    }
    return false;
}

static void check_html(const char *html, size_t len)
{
    int nsvg = 0;
    CHECK(clean_utf8((const unsigned char *)html, len));
    CHECK(strstr(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                       "'none'; style-src 'unsafe-inline'; img-src data:\">") != NULL);
    CHECK(!contains_ci(html, "<script"));
    CHECK(no_external_url(html));
    CHECK(svgs_have_titles(html, &nsvg));
    CHECK_INT(nsvg, 6); /* objectives, timeline, RTO trend, RPO trend, downtime, lag_bytes series */
    CHECK(strstr(html, "<title>lag_bytes over time: 2 samples, maximum 30</title>") != NULL);
    CHECK(strstr(html, "<summary>Data (2 samples)</summary>") != NULL);
    CHECK(strstr(html, "<td>fork_lsn</td><td>0/3000060</td>") != NULL);   /* a finding */
    /* Where the downtime went: one bar of the steps, the log's times as
     * ticks (a duration is listed, not drawn), shares in the table. */
    CHECK(strstr(html, "<h2 id=\"downtime\">Where the downtime went</h2>") != NULL);
    CHECK(strstr(html, "<title>01 restore: 1500 ms</title>") != NULL);
    CHECK(strstr(html, "<title>pg1.ready_ms at 2100 ms</title>") != NULL);
    CHECK(strstr(html, "<title>pg1.wal_slowest_wait_ms at") == NULL);
    CHECK(strstr(html, "<td class=\"num\">68.2 %</td>") != NULL);   /* 1500 of 2200 */
    CHECK(strstr(html, "Operator</th><td>Ada</td>") != NULL);            /* who ran it */
    CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
    CHECK(strstr(html, "FAILED") != NULL);
    CHECK(strstr(html, "# &lt;b&gt;&amp;&lt;/b&gt;") != NULL); /* the drill source, escaped */
    CHECK(strstr(html, "matches the text below") != NULL);
    CHECK(strstr(html, "15.4 &lt;x&gt;") != NULL);
    CHECK(strstr(html, "<polyline") != NULL);
    CHECK(strstr(html, "fault_injected") != NULL);
    CHECK(strstr(html, "@media print") != NULL);
    CHECK(strstr(html, "not measured") != NULL && strstr(html, "-1 ms") == NULL);
    CHECK(strstr(html, ">-1<") == NULL && strstr(html, "measured -1") == NULL);
}

TEST(html_from_store)
{
    char *db = testutil_tmp_path("h.db");
    char *a = testutil_tmp_path("a.html"), *b = testutil_tmp_path("b.html");
    Store *st = NULL;
    CHECK_INT(store_open(db, &st, NULL), 0);
    int64_t id = record_run(st);
    record_run(st);
    RunSummary *hist = NULL;
    size_t nhist = 0;
    CHECK_INT(store_history(st, "failover", 10, &hist, &nhist, NULL), 0);
    CHECK_INT(nhist, 2);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK_INT(report_html_write(r, hist, nhist, a, NULL), 0);
    CHECK_INT(report_html_write(r, hist, nhist, b, NULL), 0);
    CHECK(same_file(a, b));
    size_t len;
    char *html = read_file(a, &len);
    if (html != NULL)
        check_html(html, len);
    free(html);
    run_record_free(r);
    free(hist);
    store_close(st);
    free(db);
    free(a);
    free(b);
}

/* drill fleet: JUnit valid against the schema CI consumers use, a suite per
 * target, a case per drill failed when not ok (a failed run; with a max
 * age, a stale one); the page self-contained with the failing row first
 * and store text escaped. */
TEST(fleet_junit_and_html)
{
    FleetRow rows[3];
    memset(rows, 0, sizeof rows);
    for (size_t i = 0; i < 3; i++) {
        FleetRow *r = &rows[i];
        r->runs = 2;
        r->last_id = (int64_t)i + 1;
        r->last_started_ms = r->last_passed_ms = 1000000;
        r->rto_ms = 3000;
        r->rto_target_ms = 30000;
        r->rpo_ms = r->rpo_target_ms = 0;
        r->rpo_tx = r->prev_rto_ms = r->audit_critical = r->audit_warning = NAN;
        snprintf(r->last_status, sizeof r->last_status, "passed");
    }
    snprintf(rows[0].target, sizeof rows[0].target, "prod-<a>");
    snprintf(rows[0].drill, sizeof rows[0].drill, "pitr-drop");
    snprintf(rows[1].target, sizeof rows[1].target, "prod-<a>");
    snprintf(rows[1].drill, sizeof rows[1].drill, "primary-wipe");
    snprintf(rows[1].last_status, sizeof rows[1].last_status, "failed");
    rows[1].objectives = 2;
    rows[1].objectives_missed = 1;
    snprintf(rows[2].target, sizeof rows[2].target, "staging");
    snprintf(rows[2].drill, sizeof rows[2].drill, "primary-wipe");
    rows[2].last_passed_ms = 1000000 - 86400000;   /* a day before the others */
    FleetView v = {rows, 3, 1000000 + 3600000, 0, "store.db"};
    char why[256];
    CHECK_STR(fleet_judge(&v, &rows[0], why, sizeof why), "ok");
    CHECK_STR(fleet_judge(&v, &rows[1], why, sizeof why), "failed");
    CHECK_STR(why, "run #2 failed: 1 of 2 objective(s) missed");
    CHECK_STR(fleet_judge(&v, &rows[2], why, sizeof why), "ok");
    v.max_age_ms = 2 * 3600000;   /* 2 h: staging passed 25 h ago */
    CHECK_STR(fleet_judge(&v, &rows[2], why, sizeof why), "stale");
    CHECK_INT(fleet_not_ok(&v), 2);
    char *xml = testutil_tmp_path("fleet.xml"), *html_path = testutil_tmp_path("fleet.html");
    CHECK_INT(report_fleet_junit_write(&v, xml, NULL), 0);
    check_schema(xml);
    xmlDoc *doc = xmlReadFile(xml, NULL, XML_PARSE_NONET);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    CHECK(root != NULL);
    if (root != NULL) {
        CHECK_INT(attr_long(root, "tests"), 3);
        CHECK_INT(attr_long(root, "failures"), 2);
        xmlNode *suite = child(root, "testsuite");
        CHECK(suite != NULL);
        if (suite != NULL) {
            CHECK_INT(attr_long(suite, "tests"), 2);
            xmlNode *tc = find_case(suite, "primary-wipe");
            CHECK(tc != NULL && child(tc, "failure") != NULL);
            CHECK(find_case(suite, "pitr-drop") != NULL &&
                  child(find_case(suite, "pitr-drop"), "failure") == NULL);
        }
    }
    xmlFreeDoc(doc);
    CHECK_INT(report_fleet_html_write(&v, html_path, NULL), 0);
    size_t len;
    char *html = read_file(html_path, &len);
    CHECK(html != NULL);
    if (html != NULL) {
        CHECK(clean_utf8((const unsigned char *)html, len));
        CHECK(!contains_ci(html, "<script"));
        CHECK(no_external_url(html));
        CHECK(strstr(html, "prod-&lt;a&gt;") != NULL);
        CHECK(strstr(html, "2 of 3 target&#215;drill pair(s) not ok") != NULL);
        /* not-ok rows first: primary-wipe of prod (failed) before pitr-drop (ok) */
        const char *failed = strstr(html, "run #2 failed");
        const char *ok = strstr(html, "run #1 passed");
        CHECK(failed != NULL && ok != NULL && failed < ok);
    }
    free(html);
    free(xml);
    free(html_path);
}

TEST(rtext_helpers)
{
    char out[64];
    rtext_number(1234.0, out, sizeof out);
    CHECK_STR(out, "1234");
    rtext_number(-2.125, out, sizeof out);
    CHECK_STR(out, "-2.125");
    rtext_number(0.5, out, sizeof out);
    CHECK_STR(out, "0.5");
    rtext_seconds(1234567, out, sizeof out);
    CHECK_STR(out, "1.235");
    rtext_seconds(-5, out, sizeof out);
    CHECK_STR(out, "0.000");
    rtext_timestamp(1700000000999, out, sizeof out);
    CHECK_STR(out, "2023-11-14T22:13:20");
    char *c = rtext_clean("ab\x1b[1;31mc\x1b(Bd\x1b", 100);
    CHECK_STR(c, "abcd");
    free(c);
    c = rtext_clean("\xc3\xa9\xc3\xa9\xc3\xa9", 3); /* cut on a character boundary */
    CHECK(strncmp(c, "\xc3\xa9\n[... 4 bytes truncated]", 30) == 0);
    free(c);
    c = rtext_clean("\xef\xbf\xbe \xc2\x9b", 100); /* U+FFFE and a C1 control */
    CHECK_STR(c, "\xef\xbf\xbd \xef\xbf\xbd");
    free(c);
}

int main(void)
{
    if (testutil_tmpdir() == NULL)
        return 2;
    RUN(rtext_helpers);
    RUN(junit_from_store);
    RUN(junit_aborted_run_not_green);
    RUN(junit_names_stable_across_an_added_step);
    RUN(html_from_store);
    RUN(fleet_junit_and_html);
    return harness_done();
}
