/*
 * divergence.h — has a standby replayed past the point where its primary's
 * history left the standby's timeline? (The `divergence_check` step.)
 *
 * The rule (PostgreSQL's own, as applied by the startup process and by
 * pg_rewind): a standby on timeline T can follow a primary on timeline P when
 * T == P, or when P's history has a row "T <tab> SWITCHPOINT" and the
 * standby's replay position is not past SWITCHPOINT. Past it, the standby holds
 * WAL the primary never had: it must be rewound or re-cloned. A standby whose
 * timeline is not in P's history at all (a split brain) can never follow.
 *
 * Pure functions on values read from the servers, so the decision is unit
 * tested without PostgreSQL.
 */
#ifndef DRILL_DIVERGENCE_H
#define DRILL_DIVERGENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pg.h"

/* A timeline history file is a few lines per promotion; anything longer is
 * not one (the same bound as pg_timeline_history()). */
#define DIVERGENCE_HISTORY_MAX PG_HISTORY_MAX

typedef struct DivergenceInput {
    uint32_t standby_tli;
    uint64_t standby_lsn;          /* replay position of the standby */
    uint32_t primary_tli;
    const char *primary_history;   /* text of P's .history file; "" for timeline 1 */
} DivergenceInput;

typedef struct Divergence {
    bool diverged;
    bool fork_known;               /* P's history has a row leaving the standby's timeline */
    uint64_t fork_lsn;             /* that row's switch point (0 when !fork_known) */
    int64_t bytes_past_fork;       /* standby_lsn - fork_lsn when diverged there, else 0 */
    char finding[256];             /* one line, for the step message */
} Divergence;

/* Finds the switch point at which P's history leaves timeline tli.
 * 1 found, 0 absent, DRILL_E_INVALID for a malformed history (err says where). */
int divergence_switch_point(const char *history, uint32_t tli, uint64_t *lsn, DrillError *err);

/* Applies the rule above. DRILL_E_INVALID for a malformed history. */
int divergence_assess(const DivergenceInput *in, Divergence *out, DrillError *err);

#endif
