/*
 * record.c — the field tables of a stored run and a stored step (record.h)
 * and the helpers that read them: a field's value, the fields of some
 * groups in order, freeing a record's texts.
 *
 * Changing a row's `evidence` tag or `since`, or the table order among
 * hashed fields, changes the canonical form of sealed runs: their chains
 * stop verifying (test_evidence's fixed hashes catch it). A new field is
 * hashed from a new canonical form on (evidence.h: EVIDENCE_FORMAT + 1).
 */
#include "record.h"

#include <stdlib.h>

#define RUN_FIELD(member, type_, group_, flags_, tag, since_) \
    .name = #member, .type = type_, .offset = offsetof(RunRecord, member), .group = group_, \
    .flags = flags_, .evidence = tag, .since = since_

const RecordField record_run_fields[] = {
    {RUN_FIELD(id, RECORD_INT64, RECORD_IDENTITY, RECORD_KEY, "run.id", 1),
     .json = "run_id", .junit = "run_id", .html = "Run id"},
    {RUN_FIELD(drill_name, RECORD_TEXT, RECORD_IDENTITY, 0, "run.drill_name", 1),
     .json = "drill", .html = "Drill"},
    {RUN_FIELD(drill_file, RECORD_TEXT, RECORD_IDENTITY, 0, "run.drill_file", 1),
     .json = "drill_file", .junit = "drill_file", .html = "Drill file"},
    {RUN_FIELD(drill_sha256, RECORD_TEXT, RECORD_IDENTITY, 0, "run.drill_sha256", 1),
     .junit = "drill_sha256", .html = "Drill file SHA-256"},
    /* The HTML report shows the source in a section of its own. */
    {RUN_FIELD(drill_source, RECORD_TEXT, RECORD_IDENTITY, 0, "run.drill_source", 1)},
    {RUN_FIELD(topology_name, RECORD_TEXT, RECORD_IDENTITY, 0, "run.topology_name", 1),
     .json = "topology", .junit = "topology", .html = "Topology"},
    {RUN_FIELD(topology_file, RECORD_TEXT, RECORD_IDENTITY, 0, "run.topology_file", 1),
     .junit = "topology_file", .html = "Topology file"},
    /* JUnit has it as the <testsuite> hostname attribute. */
    {RUN_FIELD(hostname, RECORD_TEXT, RECORD_IDENTITY, 0, "run.hostname", 1),
     .html = "Host"},
    {RUN_FIELD(drill_version, RECORD_TEXT, RECORD_IDENTITY, 0, "run.drill_version", 1),
     .junit = "drill_version", .html = "drill version"},
    {RUN_FIELD(status, RECORD_TEXT, RECORD_OUTCOME, 0, "run.status", 1),
     .json = "verdict", .junit = "status", .html = "Verdict"},
    /* The HTML report has it in the verdict banner. */
    {RUN_FIELD(exit_code, RECORD_INT, RECORD_OUTCOME, 0, "run.n", 1),
     .json = "exit_code", .junit = "exit_code"},
    {RUN_FIELD(message, RECORD_TEXT, RECORD_OUTCOME, 0, "run.message", 1),
     .json = "message", .junit = "message", .html = "Message"},
    {RUN_FIELD(started_utc_ms, RECORD_INT64, RECORD_TIME, RECORD_UTC_MS, "run.n", 1),
     .json = "started", .junit = "started_utc", .html = "Started (UTC)"},
    {RUN_FIELD(ended_utc_ms, RECORD_INT64, RECORD_TIME, RECORD_UTC_MS, "run.n", 1),
     .junit = "ended_utc", .html = "Ended (UTC)"},
    {RUN_FIELD(duration_us, RECORD_INT64, RECORD_TIME, RECORD_DURATION_US, "run.n", 1),
     .json = "duration_ms", .html = "Duration"},
    {RUN_FIELD(rto_target_ms, RECORD_INT64, RECORD_TARGET, 0, "run.n", 1),
     .junit = "rto_target_ms", .measure = "rto_ms", .junit_measured = "rto_measured_ms"},
    {RUN_FIELD(rpo_target_ms, RECORD_INT64, RECORD_TARGET, 0, "run.n", 1),
     .junit = "rpo_target_ms", .measure = "rpo_ms", .junit_measured = "rpo_measured_ms"},
    {RUN_FIELD(rpo_tx_target, RECORD_INT64, RECORD_TARGET, 0, "run.n", 1),
     .junit = "rpo_transactions_target", .measure = "rpo_transactions",
     .junit_measured = "rpo_transactions"},
    {RUN_FIELD(batch_id, RECORD_INT64, RECORD_GROUPING, 0, NULL, 0)},
    {RUN_FIELD(uuid, RECORD_TEXT, RECORD_PROCESS, 0, "run.uuid", 2)},
    {RUN_FIELD(pid, RECORD_INT64, RECORD_PROCESS, 0, "run.pid", 2)},
    {RUN_FIELD(lock_path, RECORD_TEXT, RECORD_PROCESS, 0, "run.lock_path", 2)},
};
const size_t record_run_nfields = sizeof record_run_fields / sizeof record_run_fields[0];

#define STEP_FIELD(member, type_, flags_, tag) \
    {.name = #member, .type = type_, .offset = offsetof(StoredStep, member), \
     .group = RECORD_STEP, .flags = flags_, .evidence = tag, .since = 1}

/* Reports compose a step's output from chosen members (a command line
 * "[node] $ command", a status-derived outcome): no output lists them. */
const RecordField record_step_fields[] = {
    STEP_FIELD(phase, RECORD_TEXT, 0, "step.s"),
    STEP_FIELD(name, RECORD_TEXT, 0, "step.s"),
    STEP_FIELD(kind, RECORD_TEXT, 0, "step.s"),
    STEP_FIELD(node, RECORD_TEXT, 0, "step.s"),
    STEP_FIELD(command, RECORD_TEXT, 0, "step.s"),
    STEP_FIELD(status, RECORD_TEXT, 0, "step.s"),
    STEP_FIELD(out, RECORD_TEXT, 0, "step.s"),
    STEP_FIELD(err, RECORD_TEXT, 0, "step.s"),
    STEP_FIELD(message, RECORD_TEXT, 0, "step.s"),
    STEP_FIELD(seq, RECORD_INT, 0, "step.n"),
    STEP_FIELD(exit_code, RECORD_INT, 0, "step.n"),
    STEP_FIELD(term_signal, RECORD_INT, 0, "step.n"),
    STEP_FIELD(started_utc_ms, RECORD_INT64, RECORD_UTC_MS, "step.n"),
    STEP_FIELD(ended_utc_ms, RECORD_INT64, RECORD_UTC_MS, "step.n"),
    STEP_FIELD(duration_us, RECORD_INT64, RECORD_DURATION_US, "step.n"),
};
const size_t record_step_nfields = sizeof record_step_fields / sizeof record_step_fields[0];

_Static_assert(sizeof record_run_fields / sizeof record_run_fields[0] <= RECORD_FIELDS_MAX,
               "RECORD_FIELDS_MAX holds every run field");
_Static_assert(sizeof record_step_fields / sizeof record_step_fields[0] <= RECORD_FIELDS_MAX,
               "RECORD_FIELDS_MAX holds every step field");

const char *record_text(const void *rec, const RecordField *f)
{
    if (f->type != RECORD_TEXT)
        return NULL;
    return *(char *const *)((const char *)rec + f->offset);
}

int64_t record_number(const void *rec, const RecordField *f)
{
    const char *p = (const char *)rec + f->offset;
    if (f->type == RECORD_INT)
        return *(const int *)p;
    if (f->type == RECORD_INT64)
        return *(const int64_t *)p;
    return 0;
}

size_t record_order(const RecordField *fields, size_t n, const RecordGroup *groups,
                    size_t ngroups, const RecordField **out)
{
    size_t k = 0;
    for (size_t g = 0; g < ngroups; g++)
        for (size_t i = 0; i < n && k < RECORD_FIELDS_MAX; i++)
            if (fields[i].group == groups[g])
                out[k++] = &fields[i];
    return k;
}

void record_free_texts(void *rec, const RecordField *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i].type == RECORD_TEXT)
            free(*(char **)((char *)rec + fields[i].offset));
}
