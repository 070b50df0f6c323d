/*
 * objectives.h — the targets a run is judged against (rto, rpo,
 * rpo_transactions, slot_retained_alert), and where each one came from.
 *
 * A drill file states the objectives its authors expect. The same drill runs
 * against production, a staging cluster and a laptop sandbox, whose honest
 * targets differ, so a run can override them, most specific last:
 *
 *   drill file  <  topology `objectives:`  <  topology `drill_objectives:
 *   DRILL:`  <  $DRILL_OBJECTIVES  <  `drill run --objective NAME=VALUE`
 *
 * Each level sets only what it names; `none` removes an objective (measured,
 * reported, not judged). The broad levels (topology `objectives:`,
 * $DRILL_OBJECTIVES, --objective: they apply to every drill of a run) only
 * retarget objectives the drill declares: an RTO target means nothing to a
 * drill that causes no outage (backup-verify), and imposing one would fail it
 * as "not measured". `drill_objectives: DRILL:` names the drill, so it may
 * add an objective. The winning origin is kept per objective so the run
 * records why a target was what it was.
 */
#ifndef DRILL_OBJECTIVES_H
#define DRILL_OBJECTIVES_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "yamldoc.h"

#define OBJECTIVE_NONE  (-1)   /* no objective: measured, not judged */
#define OBJECTIVE_UNSET (-2)   /* this level does not say (overrides only) */

typedef enum ObjectiveId {
    OBJ_RTO, OBJ_RPO, OBJ_RPO_TRANSACTIONS, OBJ_SLOT_RETAINED_ALERT, OBJ_COUNT
} ObjectiveId;

typedef enum ObjectiveOrigin {
    OBJ_FROM_DRILL,            /* the drill file (or nobody: NONE) */
    OBJ_FROM_TOPOLOGY,         /* topology `objectives:` */
    OBJ_FROM_TOPOLOGY_DRILL,   /* topology `drill_objectives: {DRILL: ...}` */
    OBJ_FROM_ENV,              /* $DRILL_OBJECTIVES */
    OBJ_FROM_CLI,              /* drill run --objective */
} ObjectiveOrigin;

typedef struct Objectives {
    int64_t value[OBJ_COUNT];          /* ms, ms, transactions, bytes; or NONE / UNSET */
    ObjectiveOrigin origin[OBJ_COUNT];
    bool declared[OBJ_COUNT];          /* by the drill file, or added by drill_objectives */
} Objectives;

/* The objective names as written in YAML and on the command line, in
 * ObjectiveId order, NULL-terminated. */
extern const char *const objectives_keys[];

/* Every objective UNSET, origin `origin` (what a parse at that level fills). */
void objectives_init(Objectives *o, ObjectiveOrigin origin);

/* Parses an `objectives:` mapping at node `map` into *o; `where` names it
 * in messages ("objectives", "drill_objectives.primary-wipe"). Problems are
 * reported at the offending node; fields in error stay UNSET. */
void objectives_parse_yaml(YamlDoc *doc, const yaml_node_t *map, const char *where,
                           Objectives *o);

/* One `NAME=VALUE` (as given to --objective), or a comma-separated list of
 * them (as in $DRILL_OBJECTIVES); VALUE may be `none`. `what` names the
 * source in errors ("--objective", "DRILL_OBJECTIVES"). DRILL_E_INVALID with
 * a message that says what is wrong and how to write it. */
int objectives_parse_arg(const char *arg, const char *what, Objectives *o, DrillError *err);

/* Every objective `over` sets (not UNSET) replaces the one in *dst, origin
 * included: all of them when may_add (then they count as declared), else
 * only those *dst declares. */
void objectives_apply(Objectives *dst, const Objectives *over, bool may_add);

/* After a drill file's objectives are parsed (and after all levels are
 * applied): UNSET becomes NONE (nobody asked for it); what has a target is
 * declared. */
void objectives_finish(Objectives *o);

/* "30s", "10m", "0 tx", "64.0 MB", "none": the value as a person writes it. */
void objectives_format(const Objectives *o, ObjectiveId id, char *out, size_t outsz);
/* "rto 10m (--objective), rpo 0ms (drill file), rpo_transactions 0 tx
 * (drill file)": every objective that is judged, and every one an override
 * removed ("rto none (--objective)"); "none" when nothing is judged. */
void objectives_describe(const Objectives *o, char *out, size_t outsz);

/* "drill file", "topology objectives", "topology drill_objectives",
 * "$DRILL_OBJECTIVES", "--objective". */
const char *objectives_origin_name(ObjectiveOrigin origin);

#endif
