/*
 * store.h — the results store: every run, step, event, measurement and
 * objective drill records. Reports are rendered from here, never from the
 * in-memory run, so any past run re-renders identically.
 *
 * Location: --db, else $DRILL_DB, else $XDG_DATA_HOME/drill/drill.db
 * (~/.local/share/drill/drill.db). Two back ends with one schema and the
 * same behaviour (store_int.h): an SQLite file (PRAGMA user_version, WAL
 * journal, busy_timeout, foreign keys on), or a PostgreSQL database given as
 * a `postgresql://` or `postgres://` URI (store_open_pg.c), which runners on
 * many hosts share. Every write is one transaction (BEGIN IMMEDIATE, or the
 * store's write lock in PostgreSQL). A run row exists from the start with
 * status 'running'.
 * Times are integer milliseconds since the Unix epoch, UTC; durations are
 * integer microseconds from the monotonic clock.
 */
#ifndef DRILL_STORE_H
#define DRILL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "redact.h"

typedef struct Store Store;

/* Opens (creating directories and schema as needed) and migrates. */
int store_open(const char *path, Store **out, DrillError *err);
void store_close(Store *st);   /* NULL ok */
const char *store_path(const Store *st);   /* as opened */
/* Linked SQLite version, for the evidence. */
const char *store_library_version(void);
/* Texts written from now on are masked by r (borrowed: it must outlive the
 * writes). Even without one, conninfo passwords are masked. */
void store_set_redactor(Store *st, const Redactor *r);
/* Default path as described above (malloc'd). */
char *store_default_path(void);
/* Whether path names a PostgreSQL store (postgresql:// or postgres://). */
bool store_is_uri(const char *path);

/* ---- one drill per target, across hosts ----
 * The run lock (runlock.h) refuses a second drill on one host. Runners on
 * several hosts that share a PostgreSQL store also claim the target there:
 * a session advisory lock keyed by the target's identity, held by the
 * drill's store connection, so it ends with the drill however the drill
 * ends. On an SQLite store (one host's file) these do nothing. */
/* DRILL_E_ABORTED naming the run that holds the target. */
int store_target_claim(Store *st, const char *target, DrillError *err);
void store_target_release(Store *st, const char *target);   /* NULL st ok */
/* Whether a drill holds target now (true on SQLite: unknown, assume held). */
int store_target_busy(Store *st, const char *target, bool *busy, DrillError *err);

typedef struct RunInfo {
    const char *drill_name;
    const char *drill_file;
    const char *drill_sha256;
    const char *drill_source;     /* the drill file as run */
    const char *topology_name;
    const char *topology_file;
    const char *hostname;
    const char *drill_version;
    int64_t started_utc_ms;
    int64_t rto_target_ms;        /* -1 = none */
    int64_t rpo_target_ms;        /* -1 = none */
    int64_t rpo_tx_target;        /* -1 = none */
    int64_t pid;                  /* of the drill process */
    const char *lock_path;        /* run lock it holds (runlock.h); NULL = none */
    const char *uuid;             /* globally unique run id (heartbeat rows carry it) */
} RunInfo;
int store_run_begin(Store *st, const RunInfo *info, int64_t *run_id, DrillError *err);

/* Final verdict: "passed", "failed" (objectives/verification), "error"
 * (infrastructure), "aborted" (signal). */
int store_run_finish(Store *st, int64_t run_id, const char *verdict, int exit_code,
                     int64_t ended_utc_ms, int64_t duration_us, const char *message,
                     DrillError *err);

/* ---- a run's rows, and the sticky write error ----
 *
 * The first write of a run's rows (steps, events, measures, objectives,
 * facts, samples) that fails is kept in the Store; every later event,
 * measure, objective, fact or sample of that run is then refused at once
 * with that same error (a locked store would otherwise cost its busy
 * timeout per write). Steps are always attempted: their caller (the
 * runner) checks each and stops the drill on a failure, and the cleanup
 * steps that still run are worth recording if the store recovers. So a
 * caller may ignore an add's result (pass err NULL): nothing is lost
 * silently, because the runner asks store_write_error() before it finishes
 * and seals the run, and finishes it as `error` with that message.
 * store_run_finish and the evidence seal are never refused. A new
 * store_run_begin clears the kept error. */

/* The kept error of run_id's writes: its code (negative) with err filled
 * (err may be NULL), or 0 when every write of that run succeeded. */
int store_write_error(Store *st, int64_t run_id, DrillError *err);

typedef struct StepRecord {
    const char *phase;
    int seq;                      /* order of execution within the run, 0-based */
    const char *name;
    const char *kind;
    const char *node;             /* resolved node name or NULL */
    const char *command;          /* exact command or SQL, for evidence */
    const char *status;           /* "ok", "failed", "error", "timeout", "skipped" */
    int exit_code;                /* -1 if n/a */
    int term_signal;              /* 0 if none */
    int64_t started_utc_ms;
    int64_t ended_utc_ms;
    int64_t duration_us;
    const char *out;              /* bounded stdout / result text */
    const char *err;              /* bounded stderr */
    const char *message;          /* why it failed, or a short result */
} StepRecord;
int store_step_add(Store *st, int64_t run_id, const StepRecord *s, DrillError *err);

int store_event_add(Store *st, int64_t run_id, const char *name, int64_t utc_ms,
                    int64_t mono_us_since_start, const char *detail, DrillError *err);

/* A measured value: key ("rto_ms", "rpo_transactions", "rpo_ms", "rpo_wal_bytes",
 * "heartbeat_acked", ...), numeric value, unit, and how it was measured. */
int store_measure_add(Store *st, int64_t run_id, const char *key, double value,
                      const char *unit, const char *how, DrillError *err);

/* An objective verdict: name ("rto", "rpo", "rpo_transactions"). */
int store_objective_add(Store *st, int64_t run_id, const char *name, double target,
                        double measured, const char *unit, bool passed, const char *how,
                        DrillError *err);

/* Facts about the environment: "server_version:pg1", "system_identifier", ... */
int store_fact_add(Store *st, int64_t run_id, const char *key, const char *value,
                   DrillError *err);

/* A time-series sample (slot bloat, lag...). */
int store_sample_add(Store *st, int64_t run_id, const char *series, int64_t t_ms,
                     double value, DrillError *err);

/* ---- reading back (reports, history) ---- */
typedef struct StoredStep {
    char *phase, *name, *kind, *node, *command, *status, *out, *err, *message;
    int seq, exit_code, term_signal;
    int64_t started_utc_ms, ended_utc_ms, duration_us;
} StoredStep;
typedef struct StoredEvent { char *name, *detail; int64_t utc_ms, mono_us; } StoredEvent;
typedef struct StoredMeasure { char *key, *unit, *how; double value; } StoredMeasure;
typedef struct StoredObjective {
    char *name, *unit, *how;
    double target, measured;
    bool passed;
} StoredObjective;
typedef struct StoredFact { char *key, *value; } StoredFact;
typedef struct StoredSample { char *series; int64_t t_ms; double value; } StoredSample;

/* A link of the evidence chain (see evidence.h): the run's record hash and
 * chain = SHA-256(prev chain hex "\n" record hex). */
#define EVIDENCE_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
typedef struct EvidenceLink {
    int64_t seq;              /* 1-based position in the chain */
    int64_t run_id;
    int64_t sealed_utc_ms;
    char record_sha256[65];
    char prev_sha256[65];
    char chain_sha256[65];
    int format;               /* canonical form of the record hash (evidence.h) */
} EvidenceLink;

typedef struct RunRecord {
    int64_t id;
    char *drill_name, *drill_file, *drill_sha256, *drill_source;
    char *topology_name, *topology_file, *hostname, *drill_version;
    char *status;          /* running | passed | failed | error | aborted */
    char *message;
    int exit_code;
    int64_t started_utc_ms, ended_utc_ms, duration_us;
    int64_t rto_target_ms, rpo_target_ms, rpo_tx_target;
    int64_t batch_id;      /* 0 = not part of a batch (not sealed: grouping only) */
    char *uuid;            /* NULL for runs stored before schema v4 */
    int64_t pid;           /* of the drill process that ran it */
    char *lock_path;       /* the run lock it held (runlock.h); NULL if none */
    StoredStep *steps; size_t nsteps;           /* ordered by seq */
    StoredEvent *events; size_t nevents;        /* ordered by time */
    StoredMeasure *measures; size_t nmeasures;  /* insertion order */
    StoredObjective *objectives; size_t nobjectives;
    StoredFact *facts; size_t nfacts;           /* ordered by key */
    StoredSample *samples; size_t nsamples;     /* ordered by series, t */
    bool sealed;           /* has an evidence link (then `seal` is set) */
    EvidenceLink seal;     /* not part of the sealed record itself */
} RunRecord;

/* DRILL_E_NOTFOUND when no such run. */
int store_run_load(Store *st, int64_t run_id, RunRecord **out, DrillError *err);
void run_record_free(RunRecord *r);
/* Value of a stored fact of the run, or NULL. */
const char *run_record_fact(const RunRecord *r, const char *key);

typedef struct RunSummary {
    int64_t id;
    char drill_name[128];
    char status[16];
    int64_t started_utc_ms;
    int64_t duration_us;
    double rto_ms;            /* -1 when not measured */
    double rpo_ms;            /* -1 when not measured */
    double rpo_transactions;  /* -1 when not measured */
    int64_t batch_id;         /* 0 = not part of a batch */
} RunSummary;
/* Most recent first; drill_name NULL = all drills. *out malloc'd. */
int store_history(Store *st, const char *drill_name, size_t limit, RunSummary **out,
                  size_t *n, DrillError *err);

/* One measure of one run, for a trend: the newest value of each key that
 * matches a LIKE pattern (`downtime.%restore%`), per run. */
typedef struct MeasurePoint {
    int64_t run_id;
    char drill_name[128];
    int64_t started_utc_ms;
    char key[256];
    double value;
    char unit[16];
} MeasurePoint;
/* Most recent run first (then key); limit runs as store_history. */
int store_measure_trend(Store *st, const char *drill_name, const char *pattern, size_t limit,
                        MeasurePoint **out, size_t *n, DrillError *err);

/* A run still recorded as `running`. */
typedef struct RunningRun {
    int64_t id;
    int64_t pid;
    char lock_path[4096];
    char hostname[256];
    char target[1024];            /* its fact `target`; "" before it was recorded */
} RunningRun;
/* Runs with status `running` recorded by this hostname. *out malloc'd. */
int store_runs_running(Store *st, const char *hostname, RunningRun **out, size_t *n,
                       DrillError *err);
/* Runs with status `running` recorded by other hosts (a shared store). */
int store_runs_running_elsewhere(Store *st, const char *hostname, RunningRun **out, size_t *n,
                                 DrillError *err);
/* The newest run on a target (fact `target`) that injected its fault (event
 * fault_injected) and never brought service back (no service_restored),
 * unless a later run on that target found it healthy again
 * (target_healthy, or a later service_restored). */
typedef struct UnfinishedRun {
    int64_t id;
    char drill_name[128];
    char status[16];
    int64_t started_utc_ms;
    char message[1024];
} UnfinishedRun;
/* 1 with *out filled when there is one, 0 when none, negative on error. */
int store_target_unfinished(Store *st, const char *target, UnfinishedRun *out, DrillError *err);

/* The run with this UUID: 1 with *id set, 0 when this store has none. */
int store_run_by_uuid(Store *st, const char *uuid, int64_t *id, DrillError *err);
/* The newest passed run of drill on topology_name: *run_id 0 when none. */
int store_last_passed(Store *st, const char *drill, const char *topology_name, int64_t *run_id,
                      int64_t *started_utc_ms, DrillError *err);

/* drill fleet: one row per target (topology name) and drill, from the
 * newest finished run of that pair. NaN: not measured / none. */
typedef struct FleetRow {
    char target[128];          /* the run's topology name; "" when it had none */
    char drill[128];
    int64_t runs;              /* finished runs of the pair */
    int64_t last_id;
    char last_status[16];      /* passed, failed, error, aborted */
    int64_t last_started_ms;
    int64_t last_passed_ms;    /* start of the newest passed run; 0 none */
    double rto_ms, rpo_ms, rpo_tx;   /* the newest run's */
    double rto_target_ms, rpo_target_ms; /* its objectives; NaN none */
    int objectives, objectives_missed;   /* its judged objectives, and those not met */
    double prev_rto_ms;        /* RTO of the passed run before it: the trend */
    double audit_critical, audit_warning; /* drill `audit`: its findings */
    int64_t max_age_ms;        /* its schedule (a topology's rehearse_every); 0 = none.
                                  Not from the store: set by the reader */
} FleetRow;
/* Every pair, ordered by target then drill. *out malloc'd. */
int store_fleet(Store *st, FleetRow **out, size_t *n, DrillError *err);

/* drill store copy FROM TO (store_copy.c): FROM's finished, sealed runs
 * appended to TO, re-sealed in TO's chain with their origin as facts
 * (copied.from, copied.chain_sha256); runs TO holds (same UUID), unsealed
 * runs and runs without a UUID are skipped. DRILL_E_FAILED, nothing
 * copied, when FROM's chain shows an alteration. */
typedef struct CopiedRun {
    int64_t from_id, to_id;
    char uuid[40];
} CopiedRun;
typedef struct StoreCopyResult {
    CopiedRun *runs;
    size_t nruns;
    size_t skipped_present, skipped_unsealed, skipped_no_uuid;
} StoreCopyResult;
int store_copy(Store *from, Store *to, StoreCopyResult *res, DrillError *err);
/* The check store_copy starts with (FROM's chain), alone: before TO is
 * even created. */
int store_copy_check(Store *from, DrillError *err);
void store_copy_result_free(StoreCopyResult *res);   /* NULL ok */

/* Makes the store calls between them one write transaction (BEGIN
 * IMMEDIATE ... COMMIT): all of them are stored, or none. store_tx_end
 * commits when rc is 0 and every call inside succeeded, else rolls back;
 * it returns rc or the commit's error. Calls nest. */
int store_tx_begin(Store *st, DrillError *err);
int store_tx_end(Store *st, int rc, DrillError *err);

/* PRAGMA integrity_check; DRILL_E_STORE with sqlite's first complaint. */
int store_check_integrity(Store *st, DrillError *err);

/* ---- evidence ---- */

/* The chain step: out = SHA-256 of "PREV\nRECORD" (hex). */
void evidence_chain_next(const char *prev_sha256, const char *record_sha256, char out[65]);

/* Appends a link for run_id after the newest one (one write transaction). */
int store_evidence_append(Store *st, int64_t run_id, int format, const char *record_sha256,
                          EvidenceLink *out, DrillError *err);
/* Every link, in chain order. *out malloc'd. */
int store_evidence_list(Store *st, EvidenceLink **out, size_t *n, DrillError *err);
/* Finished runs (status other than running) that have no link. *ids malloc'd. */
int store_runs_unsealed(Store *st, int64_t **ids, size_t *n, DrillError *err);

/* ---- batches (one `drill run A B C` invocation) and baselines ---- */

/* Groups a finished run into batch_id (the batch's first run id). */
int store_run_set_batch(Store *st, int64_t run_id, int64_t batch_id, DrillError *err);
/* Runs of a batch in run order. DRILL_E_NOTFOUND when none. *ids malloc'd. */
int store_batch_runs(Store *st, int64_t batch_id, int64_t **ids, size_t *n, DrillError *err);

/* Measured values of the last `limit` PASSED runs of a drill on the same
 * target before a run, newest first (see gate.h). */
typedef struct BaselineQuery {
    const char *drill_name;
    const char *topology_name;
    const char *system_identifier;  /* NULL = not known: topology name only */
    const char *measure_key;        /* "rto_ms", "rpo_ms" */
    int64_t before_run_id;
    size_t limit;
} BaselineQuery;
int store_baseline(Store *st, const BaselineQuery *q, double **values, size_t *n,
                   DrillError *err);

/* A file a run emitted (report, manifest), with its SHA-256 when written. */
typedef struct StoredArtifact {
    int64_t run_id;
    char *path;
    char sha256[65];
    int64_t bytes;
    int64_t written_utc_ms;
} StoredArtifact;
int store_artifact_add(Store *st, int64_t run_id, const char *path, const char *sha256,
                       int64_t bytes, DrillError *err);
/* For each path, the newest record of it (a later run usually overwrites an
 * earlier run's report file), ordered by run. *out malloc'd. */
int store_artifacts_latest(Store *st, StoredArtifact **out, size_t *n, DrillError *err);
void stored_artifacts_free(StoredArtifact *a, size_t n);   /* NULL ok */

#endif
