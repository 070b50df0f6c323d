/*
 * record.h — the one definition of a stored run's scalar fields (RunRecord)
 * and of a stored step's (StoredStep): for each, its type, where it lives in
 * the struct, whether and how the evidence hash covers it, and what it is
 * called in each output that shows it. The evidence hash (evidence.c), the
 * run's JSON (cli/batch.c), the JUnit properties and the HTML run table
 * (reports/) iterate these tables; a field added to the record is added
 * here once, and tests/unit/test_evidence.c fails while a scalar member of
 * either struct has no row.
 *
 * Outputs show fields group by group, each in its own order of the groups
 * (record_order), and within a group in table order. The canonical form of
 * the hash has its own, fixed order (evidence.c): that is why the groups
 * exist — the table order alone cannot serve every output unchanged.
 */
#ifndef DRILL_RECORD_H
#define DRILL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef enum RecordType {
    RECORD_TEXT,    /* char *, NULL = not recorded */
    RECORD_INT,     /* int */
    RECORD_INT64,   /* int64_t */
} RecordType;

/* What a run's field tells, which decides where outputs show it. */
typedef enum RecordGroup {
    RECORD_IDENTITY,  /* which run of what: id, drill, topology, host, version */
    RECORD_OUTCOME,   /* verdict, exit code, message */
    RECORD_TIME,      /* started / ended (RECORD_UTC_MS), duration (RECORD_DURATION_US) */
    RECORD_TARGET,    /* an objective's target, -1 = none; `measure` names what meets it */
    RECORD_PROCESS,   /* the drill process that ran it: UUID, pid, run lock */
    RECORD_GROUPING,  /* batch: set after sealing, never hashed */
    RECORD_STEP,      /* every field of a stored step */
} RecordGroup;

/* Flags. */
#define RECORD_KEY 1u           /* the record's id: first in the canonical form */
#define RECORD_UTC_MS 2u        /* a time, ms since the epoch, UTC; <= 0 = not recorded */
#define RECORD_DURATION_US 4u   /* a duration in microseconds */

typedef struct RecordField {
    const char *name;      /* the struct member */
    RecordType type;
    size_t offset;         /* offsetof the member */
    RecordGroup group;
    unsigned flags;
    const char *evidence;  /* its tag in the canonical form; NULL = not hashed */
    int since;             /* the first canonical form (evidence.h) that hashes it */
    /* What outputs call it (NULL = that output leaves it out): */
    const char *json;      /* key in a run's JSON (drill run --format json) */
    const char *junit;     /* JUnit <property> name */
    const char *html;      /* row label of the HTML report's run table */
    /* A target's measure key, and the JUnit property of the measured value. */
    const char *measure, *junit_measured;
} RecordField;

/* Most rows a table has (record_order's output). */
#define RECORD_FIELDS_MAX 32

extern const RecordField record_run_fields[];
extern const size_t record_run_nfields;
extern const RecordField record_step_fields[];
extern const size_t record_step_nfields;

/* The field's value in record rec (a RunRecord or StoredStep, as the table
 * is). record_text: NULL for a number; record_number: 0 for a text. */
const char *record_text(const void *rec, const RecordField *f);
int64_t record_number(const void *rec, const RecordField *f);

/* The fields of table `fields` in `groups`, group by group, each group in
 * table order, into out (RECORD_FIELDS_MAX entries). Returns how many. */
size_t record_order(const RecordField *fields, size_t n, const RecordGroup *groups,
                    size_t ngroups, const RecordField **out);

/* Frees every text field of rec (the record itself stays). */
void record_free_texts(void *rec, const RecordField *fields, size_t n);

#endif
