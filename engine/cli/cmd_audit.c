/*
 * cmd_audit.c — `drill audit`: read-only DR risk checks of a topology
 * (engine/run/audit.h), printed for a person or as one JSON document.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "cli.h"
#include "json.h"
#include "paths.h"

static void help(FILE *out)
{
    fputs("usage: drill audit [-t TOPOLOGY | --sandbox-dir DIR] [--strict] [--db STORE]\n"
          "                   [--junit FILE] [--html FILE] [--format text|json]\n"
          "\n"
          "Looks at every node of a topology without changing anything and reports the\n"
          "risks to a recovery: inactive replication slots and what they hold, an\n"
          "unlimited max_slot_wal_keep_size, standby lag in bytes, a single synchronous\n"
          "standby (or none connected), a failing WAL archiver, data checksums and\n"
          "wal_log_hints (pg_rewind), full_page_writes, configuration files outside the\n"
          "data directory (not in a Barman backup), a standby's primary_conninfo, slot,\n"
          "streaming and restore_command, `barman check`, and whether each drill the\n"
          "topology lists under rehearse_every passed on it within that time (the\n"
          "store). PostgreSQL sessions are opened with default_transaction_read_only.\n"
          "\n"
          "The audit is stored like a run of the built-in drill `audit` (one step per\n"
          "finding, sealed in the evidence chain): `drill show`, `drill report` (JUnit: one\n"
          "testcase per check; critical = failure) and `drill verify` work on it.\n"
          "\n"
          "Each finding: severity (ok, info, warning, critical), check, node, the measured\n"
          "value, why it matters and the fix (text: for everything not ok).\n"
          "\n"
          "Options:\n"
          "  -t, --topology FILE   topology to audit (default: the sandbox's)\n"
          "      --sandbox-dir DIR the sandbox's directory\n"
          "      --strict          warnings fail too (exit 1; JUnit failures)\n"
          "      --db STORE        results store (default: $DRILL_DB, else the user's)\n"
          "      --junit FILE      also write the JUnit XML report\n"
          "      --html FILE       also write the self-contained HTML report\n"
          "      --format json     one document: {\"command\": \"audit\", findings: [...],\n"
          "                        summary, exit_code} (drill(1), JSON OUTPUT)\n"
          "  -h, --help            this text\n"
          "\n"
          "Exit status: 0 nothing critical (with --strict: no warning either); 1 a\n"
          "critical finding (or, with --strict, a warning); 2 usage or an invalid\n"
          "topology; 3 a node could not be reached (its checks did not run).\n",
          out);
}

typedef struct AuditArgs {
    const char *topology, *sandbox_dir, *db, *junit, *html;
    bool strict, json;
} AuditArgs;

static int parse_args(int argc, char **argv, AuditArgs *a)
{
    static const struct option opts[] = {
        {"topology", required_argument, NULL, 't'}, {"sandbox-dir", required_argument, NULL, 'S'},
        {"strict", no_argument, NULL, 's'},         {"format", required_argument, NULL, 'F'},
        {"db", required_argument, NULL, 'd'},       {"junit", required_argument, NULL, 'j'},
        {"html", required_argument, NULL, 'H'},     {"help", no_argument, NULL, 'h'},
        {0}};
    int c, rc = 0;
    while (rc == 0 && (c = cli_getopt("audit", argc, argv, "t:h", opts)) != -1) {
        switch (c) {
        case 't': a->topology = optarg; break;
        case 'S': a->sandbox_dir = optarg; break;
        case 's': a->strict = true; break;
        case 'd': a->db = optarg; break;
        case 'j': a->junit = optarg; break;
        case 'H': a->html = optarg; break;
        case 'F': rc = cli_parse_format("audit", optarg, &a->json); break;
        case 'h': help(stdout); return -1;
        default: return DRILL_EXIT_INVALID;   /* cli_getopt said why */
        }
    }
    if (rc == 0 && optind < argc)
        return cli_usage("audit", "unexpected argument \"%s\" (audit takes options only)",
                         argv[optind]);
    return rc;
}

static void print_text(const AuditReport *r, const char *topology, int64_t run_id)
{
    printf("audit (run %lld) of %s: %zu check(s) in %lld ms: %zu critical, %zu warning, %zu info, %zu ok\n",
           (long long)run_id, topology, r->n, (long long)r->duration_ms, audit_count(r, AUDIT_CRITICAL),
           audit_count(r, AUDIT_WARNING), audit_count(r, AUDIT_INFO), audit_count(r, AUDIT_OK));
    for (int sev = AUDIT_CRITICAL; sev >= AUDIT_OK; sev--)
        for (size_t i = 0; i < r->n; i++) {
            const AuditFinding *f = &r->items[i];
            if ((int)f->severity != sev)
                continue;
            printf("%-8s %-22s %-10s %s\n", audit_severity_name(f->severity), f->check, f->node,
                   f->value);
            if (f->severity != AUDIT_OK)
                printf("         why: %s\n         fix: %s\n", f->why, f->fix);
        }
}

static int print_json(const AuditReport *r, const char *topology, int64_t run_id, int exit_code)
{
    JsonWriter w;
    json_begin(&w, "audit");
    json_kv_int(&w, "run_id", run_id);
    json_kv_string(&w, "topology", topology);
    json_kv_int(&w, "duration_ms", r->duration_ms);
    json_kv_int(&w, "exit_code", exit_code);
    json_key(&w, "summary");
    json_object_begin(&w);
    for (int sev = AUDIT_OK; sev <= AUDIT_CRITICAL; sev++)
        json_kv_int(&w, audit_severity_name((AuditSeverity)sev),
                    (int64_t)audit_count(r, (AuditSeverity)sev));
    json_object_end(&w);
    json_key(&w, "findings");
    json_array_begin(&w);
    for (size_t i = 0; i < r->n; i++) {
        const AuditFinding *f = &r->items[i];
        json_object_begin(&w);
        json_kv_string(&w, "check", f->check);
        json_kv_string(&w, "node", f->node);
        json_kv_string(&w, "severity", audit_severity_name(f->severity));
        json_kv_string(&w, "value", f->value);
        json_kv_string(&w, "why", f->why);
        json_kv_string(&w, "fix", f->fix);
        json_object_end(&w);
    }
    json_array_end(&w);
    DrillError err;
    if (json_finish(&w, stdout, &err) < 0)
        return cli_fail("audit", &err);
    return 0;
}

static int audit_exit_code(const AuditReport *r, bool strict)
{
    if (r->unreachable > 0)
        return DRILL_EXIT_ABORTED;
    if (audit_count(r, AUDIT_CRITICAL) > 0 || (strict && audit_count(r, AUDIT_WARNING) > 0))
        return DRILL_EXIT_FAILED;
    return DRILL_EXIT_OK;
}

/* Adds the checks that read the store (rehearsal_age), stores the audit (a
 * sealed run), prints it, writes the reports asked for; *exit_code is the
 * audit's. */
static int store_and_report(const AuditArgs *a, const Topology *t, const char *path,
                            AuditReport *r, int *exit_code_out)
{
    int exit_code;
    Store *st = NULL;
    int rc = cli_open_store("audit", a->db, &st);
    if (rc != 0)
        return rc;
    int64_t run_id = 0;
    DrillError err;
    audit_rehearsals(st, t, r);
    exit_code = audit_exit_code(r, a->strict);
    if (audit_record(st, t, path, r, a->strict, exit_code, &run_id, &err) < 0) {
        store_close(st);
        return cli_fail("audit", &err);
    }
    if (a->json)
        rc = print_json(r, path, run_id, exit_code);
    else
        print_text(r, path, run_id);
    RunRecord *rec = NULL;
    if (rc == 0 && (a->junit != NULL || a->html != NULL)) {
        if (store_run_load(st, run_id, &rec, &err) < 0)
            rc = cli_fail("audit", &err);
        else
            rc = cli_write_reports("audit", st, rec, a->junit, a->html);
    }
    run_record_free(rec);
    store_close(st);
    *exit_code_out = exit_code;
    return rc;
}

int cmd_audit(int argc, char **argv)
{
    AuditArgs a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? DRILL_EXIT_OK : rc;
    Topology *t = NULL;
    char *path = NULL;
    if ((rc = cli_load_topology(a.topology, a.sandbox_dir, &t, &path)) != 0)
        return rc;
    AuditReport r;
    DrillError err;
    if (audit_run(t, &r, &err) < 0) {
        topology_free(t);
        free(path);
        return cli_fail("audit", &err);
    }
    int exit_code = DRILL_EXIT_OK;
    rc = store_and_report(&a, t, path, &r, &exit_code);
    audit_report_free(&r);
    topology_free(t);
    free(path);
    return rc != 0 ? rc : exit_code;
}
