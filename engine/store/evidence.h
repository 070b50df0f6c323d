/*
 * evidence.h — integrity of stored runs: a SHA-256 hash chain over finished
 * runs, and SHA256SUMS manifests for the files a run emitted.
 *
 * When a run finishes, its whole stored record (run row, steps, events,
 * measures, objectives, facts, samples) is serialised in a canonical form and
 * hashed; the hash is chained to the previous sealed run's chain hash and
 * stored (store.h: EvidenceLink). `drill verify` recomputes every record hash
 * and every link, and names the first run whose stored record, link or
 * presence does not match. The chain head printed by verify and shown in each
 * report lets an auditor tie an archived report to the store.
 *
 * What it cannot catch (documented in the README): someone who rewrites the
 * whole chain with this program's algorithm, or who deletes the newest runs
 * and their links — compare the head with an archived report for that.
 */
#ifndef DRILL_EVIDENCE_H
#define DRILL_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

/* The canonical form new seals use (1: before schema v5, no UUID). */
#define EVIDENCE_FORMAT 2

/* SHA-256 (hex) of canonical form `format` of a stored run. The seal fields
 * of the record are not part of it. */
void evidence_record_hash(const RunRecord *r, int format, char out[65]);

/* Loads the finished run, hashes it and appends it to the chain. */
int evidence_seal(Store *st, int64_t run_id, DrillError *err);

typedef struct RunEnd {
    const char *verdict;       /* passed | failed | error | aborted */
    int exit_code;
    int64_t ended_utc_ms, duration_us;
    const char *message;
} RunEnd;

/* Records the end of a run and seals it in one transaction: a crash or a
 * failure in between leaves the run `running` (reaped and sealed later as
 * aborted), never finished without a seal. */
int evidence_finish(Store *st, int64_t run_id, const RunEnd *end, DrillError *err);

typedef struct EvidenceCheck {
    size_t links_checked;
    size_t unsealed;            /* finished runs without a link */
    int64_t first_bad_run;      /* 0 when the chain is intact */
    bool altered;               /* first_bad_run was altered, deleted or its link
                                 * edited (not merely left unsealed) */
    char problem[512];          /* what is wrong with first_bad_run */
    char head_sha256[65];       /* chain hash of the newest link checked */
    int64_t head_run;
} EvidenceCheck;

/* Recomputes the chain from its start up to and including run `upto`
 * (0 = the whole chain). Returns 0 when it could be checked (see
 * out->first_bad_run), negative on store errors. */
int evidence_verify(Store *st, int64_t upto, EvidenceCheck *out, DrillError *err);

/* Is `head` (a chain hash a report printed) a link of the verified chain c?
 * Fills *link when it is. Run after evidence_verify found the chain intact:
 * a store rewritten since that report (hashes recomputed) no longer holds
 * it. DRILL_E_NOTFOUND when it is not in the chain. */
int evidence_find_head(Store *st, const char *head, EvidenceLink *link, DrillError *err);

#endif
