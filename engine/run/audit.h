/*
 * audit.h — `drill audit`: the disaster-recovery risks a read-only look at a
 * topology finds, without breaking anything.
 *
 * Every check reads: PostgreSQL through sessions opened with
 * default_transaction_read_only, Barman through `barman check`. Each
 * finding carries a stable check id, the node, a severity, the measured
 * value, why it matters for RTO/RPO and the fix; a check that passed is a
 * finding of severity ok, so the list says what was looked at.
 */
#ifndef DRILL_AUDIT_H
#define DRILL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "topology.h"

typedef enum AuditSeverity { AUDIT_OK, AUDIT_INFO, AUDIT_WARNING, AUDIT_CRITICAL } AuditSeverity;

typedef struct AuditFinding {
    char check[40];          /* stable id: slot_inactive, sync_single_point, ... */
    char node[64];
    AuditSeverity severity;
    char value[512];         /* what was measured */
    const char *why;         /* static: why it matters for recovery */
    const char *fix;         /* static: what to do */
} AuditFinding;

typedef struct AuditReport {
    AuditFinding *items;
    size_t n, cap;
    size_t unreachable;      /* nodes that could not be looked at */
    int64_t duration_ms;
} AuditReport;

/* Looks at every node of t. Returns 0 when it ran (findings in *out, also
 * for unreachable nodes), negative on an internal error. */
int audit_run(const Topology *t, AuditReport *out, DrillError *err);
void audit_report_free(AuditReport *r);

/* rehearsal_age: for each `rehearse_every` drill of t, its newest passed
 * run on t in the store; critical when there is none or it is older. */
typedef struct Store Store;
void audit_rehearsals(Store *st, const Topology *t, AuditReport *r);

/* Stores the audit as a run of the built-in drill "audit" on t's target —
 * one step per finding (phase "audit", named CHECK NODE; critical = failed,
 * with --strict warnings too; the rest ok, the severity leading the
 * message), an event `finding` per warning or critical, the counts as
 * measures — finished and sealed like any run, so `drill show`, `report`
 * (JUnit: one testcase per check) and `verify` work on it. exit_code is
 * the audit's. */
int audit_record(Store *st, const Topology *t, const char *topology_file, const AuditReport *r,
                 bool strict, int exit_code, int64_t *run_id, DrillError *err);

const char *audit_severity_name(AuditSeverity s);   /* "ok", "info", "warning", "critical" */
/* How many findings have severity s. */
size_t audit_count(const AuditReport *r, AuditSeverity s);

#endif
