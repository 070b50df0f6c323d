/*
 * identity.h — who ran a drill, and why: recorded as facts of the run (so
 * they are part of the sealed evidence). Auditors ask "who tested recovery,
 * when, under which change?"; the answer must not depend on memory.
 *
 * Facts written (absent ones are not written):
 *   who.os_user       effective OS user running drill
 *   who.sudo_user     $SUDO_USER (the person behind sudo)
 *   who.operator      --operator, else $DRILL_OPERATOR
 *   who.change_ref    --change-ref, else $DRILL_CHANGE_REF (ticket, change id)
 *   who.ci            CI system detected from its variables (github, gitlab,
 *                     jenkins, or "generic" when only $CI=true is set)
 *   who.ci_actor, who.ci_job_url, who.ci_commit   from that system's variables
 * Only these named variables are read: no secret-bearing variable is ever
 * copied into the record.
 */
#ifndef DRILL_IDENTITY_H
#define DRILL_IDENTITY_H

#include <stdint.h>

#include "store.h"

typedef struct IdentityFact {
    const char *key;
    char value[512];
} IdentityFact;

#define IDENTITY_MAX_FACTS 8

/* Collects the facts above into out (at most IDENTITY_MAX_FACTS); returns
 * how many. operator_name / change_ref may be NULL. */
size_t identity_collect(const char *operator_name, const char *change_ref,
                        IdentityFact out[IDENTITY_MAX_FACTS]);

/* Collects and stores them for the run (best effort: evidence, not control). */
void identity_record(Store *st, int64_t run_id, const char *operator_name,
                     const char *change_ref);

#endif
