/*
 * test_store.c — the store: round trip of every field, history order
 * and filter, reopening, refusal of newer schemas and of non-databases, and
 * a second connection reading while the first holds a write transaction, and
 * the sticky write error (a failed write mid-run is kept and reported).
 *
 * Built twice (tests/CMakeLists.txt): unit/test_store on SQLite files, and
 * pg/test_store (STORE_TEST_PG) on a PostgreSQL server that
 * tests/with-postgres.sh starts, each test in a database of its own. The
 * tests that do not name a back end run on both; SQLite's file handling and
 * migrations run on SQLite only; the PostgreSQL store's own concerns (the
 * write lock, the target claim, runners writing at once) on PostgreSQL.
 */
#define _DEFAULT_SOURCE /* usleep */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence.h"
#include "harness.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

#ifdef STORE_TEST_PG
#include <pthread.h>

#include "pg.h"
#include "runner.h"

static int run_sql(PgConn *c, const char *sql, DrillError *err)
{
    char *first = NULL;
    long rows = 0;
    int rc = pg_user_sql(c, sql, 0, NULL, &first, &rows, err);
    free(first);
    return rc;
}

/* A new database named after the test's file name, as a store URI. */
static char *store_location(const char *name)
{
    const char *ci = getenv("DRILL_TEST_CONNINFO");
    int port = 0;
    const char *p = ci != NULL ? strstr(ci, "port=") : NULL;
    if (p == NULL || sscanf(p, "port=%d", &port) != 1)
        return xstrdup("postgresql://missing-DRILL_TEST_CONNINFO");
    char db[64] = "t_";
    const char *base = strrchr(name, '/') != NULL ? strrchr(name, '/') + 1 : name;
    for (size_t i = 2; *base != '\0' && *base != '.' && i < sizeof db - 1; base++, i++)
        db[i] = *base, db[i + 1] = '\0';
    PgConn *c = NULL;
    CHECK_INT(pg_connect(ci, 10000, &c, NULL), 0);
    if (c != NULL) {
        /* one statement at a time: CREATE DATABASE refuses a transaction */
        char *drop = xasprintf("DROP DATABASE IF EXISTS %s", db);
        char *create = xasprintf("CREATE DATABASE %s", db);
        CHECK_INT(run_sql(c, drop, NULL), 0);
        CHECK_INT(run_sql(c, create, NULL), 0);
        free(drop);
        free(create);
    }
    pg_close(c);
    return xasprintf("postgresql://postgres@127.0.0.1:%d/%s", port, db);
}

/* Runs sql on the store behind the drill's back (as an operator could). */
static void sql_exec(const char *uri, const char *sql)
{
    PgConn *c = NULL;
    DrillError err = {0};
    CHECK_INT(pg_connect(uri, 10000, &c, &err), 0);
    if (c != NULL && run_sql(c, sql, &err) != 0)
        fprintf(stderr, "sql_exec: %s\n", err.message);
    pg_close(c);
}

/* Every INSERT into table fails with msg, until sql_allow_inserts. */
static void sql_fail_inserts(const char *uri, const char *table, const char *msg)
{
    char *sql = xasprintf("CREATE OR REPLACE FUNCTION test_fail() RETURNS trigger"
                          " LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION '%%', TG_ARGV[0]; END$$;"
                          "CREATE TRIGGER test_no_%s BEFORE INSERT ON %s FOR EACH ROW"
                          " EXECUTE FUNCTION test_fail('%s')", table, table, msg);
    sql_exec(uri, sql);
    free(sql);
}

static void sql_allow_inserts(const char *uri, const char *table)
{
    char *sql = xasprintf("DROP TRIGGER test_no_%s ON %s", table, table);
    sql_exec(uri, sql);
    free(sql);
}
#else
static char *store_location(const char *name)
{
    return testutil_tmp_path(name);
}

static void sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
}

static void sql_fail_inserts(const char *path, const char *table, const char *msg)
{
    char *sql = xasprintf("CREATE TRIGGER test_no_%s BEFORE INSERT ON %s"
                          " BEGIN SELECT RAISE(ABORT, '%s'); END", table, table, msg);
    sql_exec(path, sql);
    free(sql);
}

static void sql_allow_inserts(const char *path, const char *table)
{
    char *sql = xasprintf("DROP TRIGGER test_no_%s", table);
    sql_exec(path, sql);
    free(sql);
}
#endif

static RunInfo sample_info(const char *drill, int64_t started)
{
    RunInfo info = {
        .drill_name = drill,
        .drill_file = "/drills/failover.yaml",
        .drill_sha256 = "ab12",
        .drill_source = "name: failover\nsteps: []\n",
        .topology_name = "sandbox",
        .topology_file = "/topo/sandbox.yaml",
        .hostname = "ci-host",
        .drill_version = "0.1.0",
        .started_utc_ms = started,
        .rto_target_ms = 30000,
        .rpo_target_ms = -1,
        .rpo_tx_target = 0,
    };
    return info;
}

static StepRecord sample_step(int seq, const char *status)
{
    StepRecord s = {
        .phase = "fault",
        .seq = seq,
        .name = "stop primary",
        .kind = "pg.stop",
        .node = seq == 0 ? NULL : "pg1",
        .command = "pg_ctl stop -m immediate",
        .status = status,
        .exit_code = seq == 0 ? -1 : 3,
        .term_signal = seq == 2 ? 9 : 0,
        .started_utc_ms = 1700000000100 + seq,
        .ended_utc_ms = 1700000000200 + seq,
        .duration_us = 100000 + seq,
        .out = "waiting for server to shut down.... done\n",
        .err = "",
        .message = "exit 3",
    };
    return s;
}

static void record_full_run(Store *st, int64_t *id)
{
    RunInfo info = sample_info("failover", 1700000000000);
    CHECK_INT(store_run_begin(st, &info, id, NULL), 0);
    StepRecord s1 = sample_step(1, "failed"), s0 = sample_step(0, "ok"), s2 = sample_step(2, "timeout");
    /* inserted out of order: loading orders by seq */
    CHECK_INT(store_step_add(st, *id, &s1, NULL), 0);
    CHECK_INT(store_step_add(st, *id, &s0, NULL), 0);
    CHECK_INT(store_step_add(st, *id, &s2, NULL), 0);
    CHECK_INT(store_event_add(st, *id, "recovered", 1700000002000, 2000000, "pg2 writable", NULL), 0);
    CHECK_INT(store_event_add(st, *id, "fault_injected", 1700000001000, 1000000, NULL, NULL), 0);
    CHECK_INT(store_measure_add(st, *id, "rto_ms", 1234.5, "ms", "first write after kill", NULL), 0);
    CHECK_INT(store_measure_add(st, *id, "rpo_transactions", 0, "tx", NULL, NULL), 0);
    CHECK_INT(store_measure_add(st, *id, "odd", NAN, NULL, NULL, NULL), 0);
    CHECK_INT(store_objective_add(st, *id, "rto", 30000, 1234.5, "ms", true, "heartbeat", NULL), 0);
    CHECK_INT(store_objective_add(st, *id, "rpo_transactions", 0, 2, "tx", false, "seq gap", NULL), 0);
    CHECK_INT(store_fact_add(st, *id, "system_identifier", "7300", NULL), 0);
    CHECK_INT(store_fact_add(st, *id, "server_version:pg1", "15.1", NULL), 0);
    CHECK_INT(store_fact_add(st, *id, "system_identifier", "7301", NULL), 0); /* last wins */
    CHECK_INT(store_sample_add(st, *id, "slot_bytes", 1700000000500, 16.0, NULL), 0);
    CHECK_INT(store_sample_add(st, *id, "lag", 1700000000600, 2.5, NULL), 0);
    CHECK_INT(store_sample_add(st, *id, "lag", 1700000000550, 1.5, NULL), 0);
    CHECK_INT(store_run_finish(st, *id, "failed", 1, 1700000003000, 3000123, "rpo missed", NULL), 0);
}

static void check_run_fields(const RunRecord *r, int64_t id)
{
    CHECK_INT(r->id, id);
    CHECK_STR(r->drill_name, "failover");
    CHECK_STR(r->drill_file, "/drills/failover.yaml");
    CHECK_STR(r->drill_sha256, "ab12");
    CHECK_STR(r->drill_source, "name: failover\nsteps: []\n");
    CHECK_STR(r->topology_name, "sandbox");
    CHECK_STR(r->topology_file, "/topo/sandbox.yaml");
    CHECK_STR(r->hostname, "ci-host");
    CHECK_STR(r->drill_version, "0.1.0");
    CHECK_STR(r->status, "failed");
    CHECK_STR(r->message, "rpo missed");
    CHECK_INT(r->exit_code, 1);
    CHECK_INT(r->started_utc_ms, 1700000000000);
    CHECK_INT(r->ended_utc_ms, 1700000003000);
    CHECK_INT(r->duration_us, 3000123);
    CHECK_INT(r->rto_target_ms, 30000);
    CHECK_INT(r->rpo_target_ms, -1);
    CHECK_INT(r->rpo_tx_target, 0);
}

static void check_steps(const RunRecord *r)
{
    CHECK_INT(r->nsteps, 3);
    if (r->nsteps != 3)
        return;
    for (int i = 0; i < 3; i++) {
        const StoredStep *p = &r->steps[i];
        StepRecord e = sample_step(i, i == 0 ? "ok" : i == 1 ? "failed" : "timeout");
        CHECK_INT(p->seq, i);
        CHECK_STR(p->phase, e.phase);
        CHECK_STR(p->name, e.name);
        CHECK_STR(p->kind, e.kind);
        CHECK_STR(p->node, e.node);
        CHECK_STR(p->command, e.command);
        CHECK_STR(p->status, e.status);
        CHECK_INT(p->exit_code, e.exit_code);
        CHECK_INT(p->term_signal, e.term_signal);
        CHECK_INT(p->started_utc_ms, e.started_utc_ms);
        CHECK_INT(p->ended_utc_ms, e.ended_utc_ms);
        CHECK_INT(p->duration_us, e.duration_us);
        CHECK_STR(p->out, e.out);
        CHECK_STR(p->err, e.err);
        CHECK_STR(p->message, e.message);
    }
}

static void check_children(const RunRecord *r)
{
    CHECK_INT(r->nevents, 2);
    if (r->nevents == 2) {
        CHECK_STR(r->events[0].name, "fault_injected");
        CHECK(r->events[0].detail == NULL);
        CHECK_INT(r->events[0].utc_ms, 1700000001000);
        CHECK_INT(r->events[0].mono_us, 1000000);
        CHECK_STR(r->events[1].detail, "pg2 writable");
    }
    CHECK_INT(r->nmeasures, 3);
    if (r->nmeasures == 3) {
        CHECK_STR(r->measures[0].key, "rto_ms");
        CHECK(r->measures[0].value == 1234.5);
        CHECK_STR(r->measures[0].unit, "ms");
        CHECK_STR(r->measures[0].how, "first write after kill");
        CHECK(r->measures[1].value == 0 && r->measures[1].how == NULL);
        CHECK(isnan(r->measures[2].value));
    }
    CHECK_INT(r->nobjectives, 2);
    if (r->nobjectives == 2) {
        CHECK_STR(r->objectives[0].name, "rto");
        CHECK(r->objectives[0].target == 30000 && r->objectives[0].measured == 1234.5);
        CHECK(r->objectives[0].passed && !r->objectives[1].passed);
        CHECK_STR(r->objectives[1].unit, "tx");
        CHECK_STR(r->objectives[1].how, "seq gap");
    }
    CHECK_INT(r->nfacts, 2);
    if (r->nfacts == 2) {
        CHECK_STR(r->facts[0].key, "server_version:pg1");
        CHECK_STR(r->facts[1].value, "7301");
    }
    CHECK_INT(r->nsamples, 3);
    if (r->nsamples == 3) {
        CHECK_STR(r->samples[0].series, "lag");
        CHECK_INT(r->samples[0].t_ms, 1700000000550);
        CHECK(r->samples[1].value == 2.5);
        CHECK_STR(r->samples[2].series, "slot_bytes");
    }
}

TEST(round_trip_every_field)
{
    char *path = store_location("sub/dir/rt.db"); /* parents are created */
    Store *st = NULL;
    DrillError err = {0};
    CHECK_INT(store_open(path, &st, &err), 0);
#ifndef STORE_TEST_PG
    struct stat sb;
    char *dir = testutil_tmp_path("sub/dir");
    CHECK(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
    free(dir);
#endif
    int64_t id = 0;
    record_full_run(st, &id);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, &err), 0);
    if (r != NULL) {
        check_run_fields(r, id);
        check_steps(r);
        check_children(r);
    }
    run_record_free(r);
    CHECK_INT(store_run_load(st, id + 100, &r, &err), DRILL_E_NOTFOUND);
    CHECK(r == NULL);
    StepRecord s = sample_step(0, "ok");
    CHECK_INT(store_step_add(st, id + 100, &s, &err), DRILL_E_NOTFOUND);
    CHECK_INT(store_run_finish(st, id + 100, "passed", 0, 1, 1, NULL, &err), DRILL_E_NOTFOUND);
    s.status = "bogus";
    CHECK_INT(store_step_add(st, id, &s, &err), DRILL_E_STORE);
    CHECK(strstr(err.message, "constraint") != NULL);
    store_close(st);
    store_close(NULL);
    free(path);
}

TEST(text_is_clamped)
{
    char *path = store_location("clamp.db");
    Store *st = NULL;
    CHECK_INT(store_open(path, &st, NULL), 0);
    RunInfo info = sample_info("clamp", 1);
    int64_t id;
    CHECK_INT(store_run_begin(st, &info, &id, NULL), 0);
    size_t n = 200 * 1024;
    char *big = xmalloc(n + 1);
    for (size_t i = 0; i < n; i += 2) { /* "é" repeated: cutting must not split it */
        big[i] = (char)0xC3;
        big[i + 1] = (char)0xA9;
    }
    big[n] = '\0';
    StepRecord s = sample_step(0, "ok");
    s.out = big;
    CHECK_INT(store_step_add(st, id, &s, NULL), 0);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK(r != NULL && r->nsteps == 1 && strlen(r->steps[0].out) == 64 * 1024);
    run_record_free(r);
    free(big);
    store_close(st);
    free(path);
}

TEST(history_order_and_filter)
{
    char *path = store_location("hist.db");
    Store *st = NULL;
    CHECK_INT(store_open(path, &st, NULL), 0);
    int64_t ids[4];
    const char *names[] = {"a", "b", "a", "a"};
    const int64_t started[] = {1000, 2000, 3000, 2500};
    for (int i = 0; i < 4; i++) {
        RunInfo info = sample_info(names[i], started[i]);
        CHECK_INT(store_run_begin(st, &info, &ids[i], NULL), 0);
    }
    CHECK_INT(store_measure_add(st, ids[2], "rto_ms", 10, "ms", NULL, NULL), 0);
    CHECK_INT(store_measure_add(st, ids[2], "rto_ms", 12, "ms", NULL, NULL), 0); /* last wins */
    CHECK_INT(store_measure_add(st, ids[2], "rpo_ms", 0, "ms", NULL, NULL), 0);
    CHECK_INT(store_run_finish(st, ids[2], "passed", 0, 4000, 1000000, NULL, NULL), 0);
    RunSummary *h = NULL;
    size_t n = 0;
    CHECK_INT(store_history(st, "a", 0, &h, &n, NULL), 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(h[0].id, ids[2]);
        CHECK_INT(h[1].id, ids[3]);
        CHECK_INT(h[2].id, ids[0]);
        CHECK(h[0].rto_ms == 12 && h[0].rpo_ms == 0 && h[0].rpo_transactions == -1);
        CHECK(h[1].rto_ms == -1);
        CHECK_STR(h[0].status, "passed");
        CHECK_STR(h[1].status, "running");
        CHECK_INT(h[0].duration_us, 1000000);
    }
    free(h);
    CHECK_INT(store_history(st, NULL, 2, &h, &n, NULL), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_INT(h[0].id, ids[2]);
        CHECK_STR(h[1].drill_name, "a");
    }
    free(h);
    CHECK_INT(store_history(st, "none", 10, &h, &n, NULL), 0);
    CHECK_INT(n, 0);
    free(h);
    /* A measure's trend: the newest value per run and matching key. */
    CHECK_INT(store_measure_add(st, ids[0], "downtime.01 restore", 900, "ms", NULL, NULL), 0);
    CHECK_INT(store_measure_add(st, ids[2], "downtime.02 restore", 700, "ms", NULL, NULL), 0);
    CHECK_INT(store_measure_add(st, ids[2], "downtime.02 restore", 650, "ms", NULL, NULL), 0);
    MeasurePoint *pt = NULL;
    CHECK_INT(store_measure_trend(st, "a", "downtime.%restore%", 0, &pt, &n, NULL), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_INT(pt[0].run_id, ids[2]);
        CHECK(pt[0].value == 650);
        CHECK_STR(pt[0].unit, "ms");
        CHECK_INT(pt[1].run_id, ids[0]);
        CHECK_STR(pt[1].key, "downtime.01 restore");
    }
    free(pt);
    CHECK_INT(store_measure_trend(st, "a", "downtime.%restore%", 1, &pt, &n, NULL), 0);
    CHECK_INT(n, 1);   /* the newest run only */
    free(pt);
    store_close(st);
    free(path);
}

TEST(reopen_preserves)
{
    char *path = store_location("reopen.db");
    Store *st = NULL;
    int64_t id = 0;
    CHECK_INT(store_open(path, &st, NULL), 0);
    record_full_run(st, &id);
    store_close(st);
    st = NULL;
    CHECK_INT(store_open(path, &st, NULL), 0);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    if (r != NULL) {
        check_run_fields(r, id);
        check_steps(r);
        check_children(r);
    }
    run_record_free(r);
    store_close(st);
    free(path);
}

#ifndef STORE_TEST_PG /* SQLite only */
/* A v2 store (before batches and run UUIDs) migrates: runs kept, ungrouped,
 * without a UUID (they had none). */
TEST(migrate_v2_to_v3_batches)
{
    char *path = testutil_tmp_path("v2.db");
    Store *st = NULL;
    int64_t id = 0, id2 = 0;
    CHECK_INT(store_open(path, &st, NULL), 0);
    record_full_run(st, &id);
    store_close(st);
    /* Undo v3 by hand: what a store written by the previous drill looks like. */
    sql_exec(path, "DROP INDEX runs_uuid; ALTER TABLE runs DROP COLUMN uuid;"
                   "DROP INDEX runs_batch; DROP INDEX measures_key;"
                   "ALTER TABLE runs DROP COLUMN batch_id; PRAGMA user_version = 2");
    st = NULL;
    CHECK_INT(store_open(path, &st, NULL), 0);
    if (st == NULL)
        return;
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK(r != NULL && r->batch_id == 0 && r->uuid == NULL);
    if (r != NULL)
        check_run_fields(r, id);
    run_record_free(r);
    RunInfo info = sample_info("b", 9000);
    CHECK_INT(store_run_begin(st, &info, &id2, NULL), 0);
    CHECK_INT(store_run_set_batch(st, id, id, NULL), 0);
    CHECK_INT(store_run_set_batch(st, id2, id, NULL), 0);
    CHECK_INT(store_run_set_batch(st, 9999, id, NULL), DRILL_E_NOTFOUND);
    int64_t *ids = NULL;
    size_t n = 0;
    CHECK_INT(store_batch_runs(st, id, &ids, &n, NULL), 0);
    CHECK_INT(n, 2);
    if (n == 2)
        CHECK(ids[0] == id && ids[1] == id2);
    free(ids);
    CHECK_INT(store_batch_runs(st, 12345, &ids, &n, NULL), DRILL_E_NOTFOUND);
    free(ids);
    store_close(st);
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 7);
    sqlite3_finalize(q);
    sqlite3_close(db);
    free(path);
}
#endif


static int64_t begin_run(Store *st)
{
    RunInfo info = sample_info("ids", 1700000000000);
    int64_t id = 0;
    CHECK_INT(store_run_begin(st, &info, &id, NULL), 0);
    return id;
}

/* A deleted newest run never lends its id to the next run: verify would
 * otherwise blame the new run for the old one's missing record. */
TEST(run_ids_never_reused)
{
    char *path = store_location("ids.db");
    Store *st = NULL;
    CHECK_INT(store_open(path, &st, NULL), 0);
    if (st == NULL)
        return;
    int64_t a = begin_run(st), b = begin_run(st);
    CHECK_INT(b, a + 1);
    store_close(st);
    sql_exec(path, "DELETE FROM runs WHERE id = 2");
    CHECK_INT(store_open(path, &st, NULL), 0);
    CHECK_INT(begin_run(st), b + 1);
    store_close(st);
    free(path);
}


#ifndef STORE_TEST_PG /* SQLite only */
static void load_sql_file(const char *db_path, const char *sql_file)
{
    char *text = NULL;
    size_t len = 0;
    CHECK_INT(file_read_all(sql_file, 1 << 20, &text, &len, NULL), 0);
    if (text != NULL)
        sql_exec(db_path, text);
    free(text);
}

/* A real v4 store (tests/data/store-v4.sql, written by the drill before v5)
 * migrates: its sealed runs still verify (form 1 links), the newest run
 * deleted before the upgrade does not lend its id, new runs seal in form 2. */
TEST(migrate_real_v4_store)
{
    char *path = testutil_tmp_path("v4.db");
    char *fixture = testutil_data_path("store-v4.sql");
    load_sql_file(path, fixture);
    Store *st = NULL;
    CHECK_INT(store_open(path, &st, NULL), 0);
    if (st == NULL)
        return;
    EvidenceCheck c;
    CHECK_INT(evidence_verify(st, 0, &c, NULL), 0);
    CHECK_INT(c.links_checked, 3);
    CHECK_INT(c.first_bad_run, 0);
    CHECK_STR(c.head_sha256, "6d7c96b2771cca498554897a1fa03501e5e894afd01286219cdfb571b2693952");
    store_close(st);
    sql_exec(path, "DELETE FROM runs WHERE id = 3");
    CHECK_INT(store_open(path, &st, NULL), 0);
    int64_t id = begin_run(st);
    CHECK_INT(id, 4);
    RunEnd end = {"passed", 0, 1700000009000, 5, ""};
    CHECK_INT(evidence_finish(st, id, &end, NULL), 0);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK(r != NULL && r->sealed && r->seal.format == EVIDENCE_FORMAT && r->uuid == NULL);
    run_record_free(r);
    CHECK_INT(evidence_verify(st, 0, &c, NULL), 0);
    CHECK_INT(c.first_bad_run, 3);      /* the deleted one, named as such */
    store_close(st);
    free(fixture);
    free(path);
}
#endif

/* Finishing and sealing are one transaction: when the seal cannot be
 * written the run stays `running` (reaped later), never finished unsealed. */
TEST(finish_and_seal_are_atomic)
{
    char *path = store_location("atomic.db");
    Store *st = NULL;
    CHECK_INT(store_open(path, &st, NULL), 0);
    if (st == NULL)
        return;
    int64_t id = begin_run(st);
    sql_fail_inserts(path, "evidence", "disk full");
    RunEnd end = {"passed", 0, 1700000009000, 5, "done"};
    DrillError err;
    CHECK(evidence_finish(st, id, &end, &err) < 0);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK(r != NULL && strcmp(r->status, "running") == 0 && !r->sealed);
    run_record_free(r);
    EvidenceCheck c;
    CHECK_INT(evidence_verify(st, 0, &c, NULL), 0);
    CHECK_INT(c.unsealed, 0);
    sql_allow_inserts(path, "evidence");
    CHECK_INT(evidence_finish(st, id, &end, NULL), 0);
    CHECK_INT(evidence_verify(st, 0, &c, NULL), 0);
    CHECK(c.links_checked == 1 && c.first_bad_run == 0);
    store_close(st);
    free(path);
}

/* A write that fails mid-run is sticky (store.h): it is reported by
 * store_write_error, later non-step writes of that run are refused even
 * once the store works again, steps are still attempted, finishing and
 * sealing still work, and the next run starts clean. The failure is a
 * trigger that RAISEs, deterministic and independent of the user (root
 * ignores file modes). */
TEST(write_error_is_sticky)
{
    char *path = store_location("sticky.db");
    Store *st = NULL;
    CHECK_INT(store_open(path, &st, NULL), 0);
    if (st == NULL)
        return;
    int64_t id = begin_run(st);
    DrillError e;
    CHECK_INT(store_fact_add(st, id, "before", "ok", NULL), 0);
    CHECK_INT(store_write_error(st, id, &e), 0);
    sql_fail_inserts(path, "facts", "injected: disk full");
    CHECK(store_fact_add(st, id, "lost", "x", NULL) < 0);   /* result ignored, as callers do */
    CHECK_INT(store_write_error(st, id, &e), DRILL_E_STORE);
    CHECK(strstr(e.message, "recording a fact: injected: disk full") != NULL);
    CHECK_INT(store_write_error(st, id, NULL), DRILL_E_STORE);
    CHECK_INT(store_write_error(st, id + 1, NULL), 0);      /* another run's writes are not its */
    sql_allow_inserts(path, "facts");
    DrillError r;
    CHECK_INT(store_event_add(st, id, "later", 1, 2, "refused", &r), DRILL_E_STORE);
    CHECK_STR(r.message, e.message);                         /* the first error, unchanged */
    CHECK(store_measure_add(st, id, "rto_ms", 1, "ms", "x", NULL) < 0);
    CHECK(store_fact_add(st, id, "after", "x", NULL) < 0);
    StepRecord step = sample_step(0, "ok");
    CHECK_INT(store_step_add(st, id, &step, NULL), 0);       /* steps are always attempted */
    RunEnd end = {"error", DRILL_EXIT_ABORTED, 1700000009000, 5, e.message};
    CHECK_INT(evidence_finish(st, id, &end, NULL), 0);       /* finishing is never refused */
    RunRecord *rec = NULL;
    CHECK_INT(store_run_load(st, id, &rec, NULL), 0);
    if (rec != NULL) {
        CHECK_STR(rec->status, "error");
        CHECK(rec->message != NULL && strstr(rec->message, "injected: disk full") != NULL);
        CHECK(rec->sealed);
        CHECK_INT(rec->nfacts, 1);                           /* "before" only */
        CHECK_INT(rec->nevents, 0);
        CHECK_INT(rec->nmeasures, 0);
        CHECK_INT(rec->nsteps, 1);
    }
    run_record_free(rec);
    int64_t next = begin_run(st);
    CHECK_INT(store_write_error(st, next, NULL), 0);
    CHECK_INT(store_fact_add(st, next, "k", "v", NULL), 0);
    store_close(st);
    free(path);
}

#ifndef STORE_TEST_PG /* SQLite only */
/* Text after a NUL is stored bytes too: appending it to a sealed record
 * fails verify, and loading shows it (as \0) instead of cutting it off. */
TEST(hash_covers_bytes_after_nul)
{
    char *path = testutil_tmp_path("nul.db");
    Store *st = NULL;
    int64_t id = 0;
    CHECK_INT(store_open(path, &st, NULL), 0);
    if (st == NULL)
        return;
    record_full_run(st, &id);
    CHECK_INT(evidence_seal(st, id, NULL), 0);
    store_close(st);
    sql_exec(path, "UPDATE steps SET out = out || char(0) || 'rm -rf /' WHERE seq = 1");
    CHECK_INT(store_open(path, &st, NULL), 0);
    EvidenceCheck c;
    CHECK_INT(evidence_verify(st, 0, &c, NULL), 0);
    CHECK_INT(c.first_bad_run, id);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK(r != NULL && r->nsteps == 3 && strstr(r->steps[1].out, "done\n\\0rm -rf /") != NULL);
    run_record_free(r);
    store_close(st);
    free(path);
}
#endif

static int64_t baseline_run(Store *st, const char *drill, const char *topo, const char *status,
                            double rto, const char *sysid)
{
    RunInfo info = sample_info(drill, 1000);
    info.topology_name = topo;
    int64_t id = 0;
    CHECK_INT(store_run_begin(st, &info, &id, NULL), 0);
    if (rto >= 0)
        CHECK_INT(store_measure_add(st, id, "rto_ms", rto, "ms", NULL, NULL), 0);
    if (sysid != NULL)
        CHECK_INT(store_fact_add(st, id, "system_identifier:pg1", sysid, NULL), 0);
    CHECK_INT(store_run_finish(st, id, status, 0, 2000, 1000, NULL, NULL), 0);
    return id;
}

/* Only passed runs of the same drill, topology and cluster, newest first. */
TEST(baseline_same_target_only)
{
    char *path = store_location("baseline.db");
    Store *st = NULL;
    CHECK_INT(store_open(path, &st, NULL), 0);
    baseline_run(st, "a", "t", "passed", 100, "42");
    baseline_run(st, "a", "t", "passed", 200, "42");
    baseline_run(st, "a", "t", "failed", 999, "42");   /* not passed */
    baseline_run(st, "b", "t", "passed", 999, "42");   /* other drill */
    baseline_run(st, "a", "u", "passed", 999, "42");   /* other topology */
    baseline_run(st, "a", "t", "passed", 999, "7");    /* other cluster */
    baseline_run(st, "a", "t", "passed", -1, "42");    /* no measure */
    baseline_run(st, "a", "t", "passed", 300, "42");
    int64_t now = baseline_run(st, "a", "t", "running", 500, "42");
    baseline_run(st, "a", "t", "passed", 999, "42");   /* after the run judged */
    BaselineQuery q = {"a", "t", "42", "rto_ms", now, 5};
    double *v = NULL;
    size_t n = 0;
    CHECK_INT(store_baseline(st, &q, &v, &n, NULL), 0);
    CHECK_INT(n, 3);
    if (n == 3)
        CHECK(v[0] == 300 && v[1] == 200 && v[2] == 100);
    free(v);
    q.limit = 2;
    CHECK_INT(store_baseline(st, &q, &v, &n, NULL), 0);
    CHECK_INT(n, 2);
    free(v);
    q.system_identifier = NULL;   /* unknown: the topology name alone */
    q.limit = 10;
    CHECK_INT(store_baseline(st, &q, &v, &n, NULL), 0);
    CHECK_INT(n, 4);
    free(v);
    store_close(st);
    free(path);
}

/* drill fleet: the newest finished run per target and drill, with its
 * objectives, the RTO of the passed run before it, the newest pass. */
TEST(fleet_newest_per_target_and_drill)
{
    char *path = store_location("fleet.db");
    Store *st = NULL;
    CHECK_INT(store_open(path, &st, NULL), 0);
    baseline_run(st, "a", "t", "passed", 100, NULL);
    int64_t a2 = baseline_run(st, "a", "t", "passed", 150, NULL);
    int64_t a3 = baseline_run(st, "a", "t", "failed", 999, NULL);
    CHECK_INT(store_objective_add(st, a3, "rto", 500, 999, "ms", false, NULL, NULL), 0);
    CHECK_INT(store_objective_add(st, a3, "rpo", 0, 0, "ms", true, NULL, NULL), 0);
    baseline_run(st, "a", "t", "running", 1, NULL);      /* not finished: not the newest */
    int64_t b1 = baseline_run(st, "b", "t", "passed", -1, NULL);
    int64_t u1 = baseline_run(st, "a", "u", "passed", 70, NULL);
    FleetRow *f = NULL;
    size_t n = 0;
    CHECK_INT(store_fleet(st, &f, &n, NULL), 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(f[0].target, "t");
        CHECK_STR(f[0].drill, "a");
        CHECK_INT(f[0].runs, 3);
        CHECK_INT(f[0].last_id, a3);
        CHECK_STR(f[0].last_status, "failed");
        CHECK(f[0].rto_ms == 999 && f[0].prev_rto_ms == 150 && isnan(f[0].rpo_ms));
        CHECK(f[0].rto_target_ms == 500 && f[0].rpo_target_ms == 0);
        CHECK_INT(f[0].objectives, 2);
        CHECK_INT(f[0].objectives_missed, 1);
        CHECK_INT(f[0].last_passed_ms, 1000);   /* a2's start */
        CHECK_STR(f[1].drill, "b");
        CHECK_INT(f[1].last_id, b1);
        CHECK(isnan(f[1].rto_ms) && isnan(f[1].prev_rto_ms) && isnan(f[1].rto_target_ms));
        CHECK_STR(f[2].target, "u");
        CHECK_INT(f[2].last_id, u1);
        CHECK(f[2].rto_ms == 70 && isnan(f[2].prev_rto_ms));
    }
    (void)a2;
    free(f);
    store_close(st);
    free(path);
}

TEST(newer_schema_refused)
{
    char *path = store_location("newer.db");
    Store *st = NULL;
    CHECK_INT(store_open(path, &st, NULL), 0);
    store_close(st);
#ifdef STORE_TEST_PG
    sql_exec(path, "UPDATE drill_store SET value = '99' WHERE key = 'schema_version'");
#else
    sql_exec(path, "PRAGMA user_version = 99");
#endif
    DrillError err = {0};
    st = NULL;
    CHECK_INT(store_open(path, &st, &err), DRILL_E_STORE);
    CHECK(st == NULL);
    CHECK(strstr(err.message, "created by a newer drill") != NULL);
    CHECK(strstr(err.message, path) != NULL);
    free(path);
}

TEST(foreign_database_refused)
{
    char *path = store_location("foreign.db");
    sql_exec(path, "CREATE TABLE t (x INTEGER)");
    DrillError err = {0};
    Store *st = NULL;
    CHECK_INT(store_open(path, &st, &err), DRILL_E_STORE);
    CHECK(strstr(err.message, "another application") != NULL);
    free(path);
}

#ifndef STORE_TEST_PG /* SQLite only */
TEST(text_file_refused)
{
    char *path = testutil_tmp_path("notes.txt");
    const char text[] = "this is not a database, just some notes that are long enough\n"
                        "to fill the first page header of an sqlite file and more......\n";
    CHECK_INT(file_write_atomic(path, text, sizeof text - 1, NULL), 0);
    DrillError err = {0};
    Store *st = NULL;
    CHECK_INT(store_open(path, &st, &err), DRILL_E_STORE);
    CHECK(st == NULL);
    CHECK(strstr(err.message, path) != NULL);
    CHECK(strstr(err.message, "not a drill database") != NULL);
    char *content = NULL;
    size_t len = 0;
    CHECK_INT(file_read_all(path, 4096, &content, &len, NULL), 0);
    CHECK(len == sizeof text - 1 && content != NULL && memcmp(content, text, len) == 0);
    free(content);
    free(path);
}
#endif

#ifndef STORE_TEST_PG /* SQLite only */
/* WAL: while one connection holds an open write transaction, a second can
 * still read the last committed state (and does not block for 5 s). */
TEST(concurrent_reader_during_write)
{
    char *path = testutil_tmp_path("wal.db");
    Store *writer = NULL, *reader = NULL;
    int64_t id = 0;
    CHECK_INT(store_open(path, &writer, NULL), 0);
    record_full_run(writer, &id);
    CHECK_INT(store_open(path, &reader, NULL), 0);
    sqlite3 *raw = NULL;
    CHECK(sqlite3_open(path, &raw) == SQLITE_OK);
    CHECK(sqlite3_exec(raw, "BEGIN IMMEDIATE; INSERT INTO events (run_id, name, utc_ms, mono_us)"
                            " VALUES (1, 'uncommitted', 0, 0)",
                       NULL, NULL, NULL) == SQLITE_OK);
    int64_t t0 = time_mono_us();
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(reader, id, &r, NULL), 0);
    /* Not blocked by the open write transaction (it would wait for the 5 s
     * busy timeout and then fail). */
    CHECK(time_mono_us() - t0 < 4000000);
    CHECK(r != NULL && r->nevents == 2); /* the uncommitted row is invisible */
    run_record_free(r);
    RunSummary *h = NULL;
    size_t n = 0;
    CHECK_INT(store_history(reader, NULL, 0, &h, &n, NULL), 0);
    CHECK_INT(n, 1);
    free(h);
    sqlite3_exec(raw, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(raw);
    sqlite3 *check = NULL;
    sqlite3_stmt *s = NULL;
    CHECK(sqlite3_open(path, &check) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(check, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(check);
    store_close(reader);
    store_close(writer);
    free(path);
}
#endif

#ifndef STORE_TEST_PG /* SQLite only */
TEST(default_path)
{
    setenv("DRILL_DB", "/x/y.db", 1);
    char *p = store_default_path();
    CHECK_STR(p, "/x/y.db");
    free(p);
    unsetenv("DRILL_DB");
    setenv("XDG_DATA_HOME", "/data", 1);
    p = store_default_path();
    CHECK_STR(p, "/data/drill/drill.db");
    free(p);
    setenv("XDG_DATA_HOME", "relative", 1);
    setenv("HOME", "/home/u", 1);
    p = store_default_path();
    CHECK_STR(p, "/home/u/.local/share/drill/drill.db");
    free(p);
}
#endif

#ifdef STORE_TEST_PG /* PostgreSQL only */
/* Two connections to a new store (two drills, or a drill and an operator). */
static char *open_pair(const char *name, Store **a, Store **b)
{
    char *uri = store_location(name);
    *a = *b = NULL;
    CHECK_INT(store_open(uri, a, NULL), 0);
    CHECK_INT(store_open(uri, b, NULL), 0);
    return uri;
}

/* A second runner's drill on the same target is refused through the store
 * (naming the running run), and the claim ends with its holder's
 * connection, however that ends. */
TEST(target_claimed_once)
{
    Store *a, *b;
    char *uri = open_pair("claim", &a, &b);
    if (a == NULL || b == NULL)
        return;
    int64_t id = begin_run(a);
    CHECK_INT(store_fact_add(a, id, "target", "host=db1 port=5432|/data|", NULL), 0);
    CHECK_INT(store_target_claim(a, "host=db1 port=5432|/data|", NULL), 0);
    DrillError err = {0};
    CHECK_INT(store_target_claim(b, "host=db1 port=5432|/data|", &err), DRILL_E_ABORTED);
    char want[64];
    snprintf(want, sizeof want, "run %lld (ids) on host ci-host", (long long)id);
    CHECK(strstr(err.message, want) != NULL);
    CHECK_INT(store_target_claim(b, "host=db2 port=5432|/data|", NULL), 0);  /* another target */
    bool busy = false;
    CHECK_INT(store_target_busy(b, "host=db1 port=5432|/data|", &busy, NULL), 0);
    CHECK(busy);
    store_close(a);   /* the holder's drill ends (or dies): its claim goes */
    /* as soon as its backend has seen the connection close */
    for (int i = 0; i < 100 && busy; i++) {
        CHECK_INT(store_target_busy(b, "host=db1 port=5432|/data|", &busy, NULL), 0);
        if (busy)
            usleep(20000);
    }
    CHECK(!busy);
    CHECK_INT(store_target_claim(b, "host=db1 port=5432|/data|", NULL), 0);
    store_target_release(b, "host=db1 port=5432|/data|");
    store_close(b);
    free(uri);
}

typedef struct Runner {
    const char *uri, *target;
    int runs, failed;
} Runner;

/* One runner: its own connection, runs recorded row by row and sealed. */
static void *runner_main(void *arg)
{
    Runner *r = arg;
    Store *st = NULL;
    if (store_open(r->uri, &st, NULL) != 0 || store_target_claim(st, r->target, NULL) != 0) {
        r->failed++;
        store_close(st);
        return NULL;
    }
    for (int i = 0; i < r->runs; i++) {
        RunInfo info = sample_info("concurrent", 1700000000000 + i);
        info.topology_name = r->target;
        int64_t id = 0;
        RunEnd end = {"passed", 0, 1700000009000, 5, ""};
        StepRecord step = sample_step(1, "ok");
        if (store_run_begin(st, &info, &id, NULL) != 0 || store_step_add(st, id, &step, NULL) != 0 ||
            store_measure_add(st, id, "rto_ms", 100 + i, "ms", "x", NULL) != 0 ||
            store_sample_add(st, id, "lag", i, 1.5, NULL) != 0 ||
            evidence_finish(st, id, &end, NULL) != 0)
            r->failed++;
    }
    store_target_release(st, r->target);
    store_close(st);
    return NULL;
}

/* Two runners on different targets write and seal at once: every run is
 * whole, and the chain is one line of links that verifies. */
TEST(concurrent_runners_one_chain)
{
    char *uri = store_location("concurrent");
    Store *st = NULL;
    CHECK_INT(store_open(uri, &st, NULL), 0);   /* creates the schema first */
    Runner r[2] = {{uri, "east", 25, 0}, {uri, "west", 25, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK_INT(pthread_create(&t[i], NULL, runner_main, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(r[0].failed + r[1].failed, 0);
    EvidenceCheck c;
    CHECK_INT(evidence_verify(st, 0, &c, NULL), 0);
    CHECK_INT(c.links_checked, 50);
    CHECK_INT(c.unsealed, 0);
    CHECK_INT(c.first_bad_run, 0);
    FleetRow *f = NULL;
    size_t n = 0;
    CHECK_INT(store_fleet(st, &f, &n, NULL), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(f[0].target, "east");
        CHECK_STR(f[1].target, "west");
        CHECK(f[0].runs == 25 && f[1].runs == 25);
    }
    free(f);
    store_close(st);
    free(uri);
}

/* Another session holding the write lock: readers are not blocked and do
 * not see its rows; a write waits lock_timeout, then fails saying why. */
TEST(write_lock_wait_is_bounded)
{
    char *uri = store_location("locked");
    Store *st = NULL;
    int64_t id = 0;
    CHECK_INT(store_open(uri, &st, NULL), 0);
    if (st == NULL)
        return;
    record_full_run(st, &id);
    PgConn *raw = NULL;
    CHECK_INT(pg_connect(uri, 10000, &raw, NULL), 0);
    char *sql = xasprintf("BEGIN; SELECT pg_advisory_xact_lock(1146243404, 0);"
                          " INSERT INTO events (run_id, name, utc_ms, mono_us)"
                          " VALUES (%lld, 'uncommitted', 0, 0)", (long long)id);
    CHECK_INT(run_sql(raw, sql, NULL), 0);
    free(sql);
    int64_t t0 = time_mono_us();
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK(time_mono_us() - t0 < 2000000);
    CHECK(r != NULL && r->nevents == 2);
    run_record_free(r);
    DrillError err = {0};
    t0 = time_mono_us();
    CHECK_INT(store_event_add(st, id, "blocked", 1, 1, NULL, &err), DRILL_E_STORE);
    int64_t waited = time_mono_us() - t0;
    CHECK(waited >= 4500000 && waited < 30000000);
    CHECK(strstr(err.message, "lock timeout") != NULL);
    CHECK(strstr(err.message, "another drill holds the store's write lock") != NULL);
    pg_close(raw);   /* its transaction rolls back */
    store_close(st);
    free(uri);
}

/* The store's server drops the connection (a restart, a failover of the
 * store): the next write reconnects and the target claim comes back. */
TEST(dropped_connection_reconnects)
{
    Store *st, *other;
    char *uri = open_pair("dropped", &st, &other);
    if (st == NULL || other == NULL)
        return;
    CHECK_INT(store_target_claim(st, "t1", NULL), 0);
    int64_t id = begin_run(st);
    sql_exec(uri, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                  " WHERE datname = current_database() AND pid <> pg_backend_pid()");
    DrillError err = {0};
    CHECK_INT(store_fact_add(st, id, "after", "reconnected", &err), 0);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK(r != NULL && r->nfacts == 1 && strcmp(r->facts[0].value, "reconnected") == 0);
    run_record_free(r);
    bool busy = false;
    CHECK_INT(store_target_busy(other, "t1", &busy, NULL), 0);   /* other reconnected too */
    CHECK(busy);
    store_close(st);
    store_close(other);
    free(uri);
}

/* Runs of other hosts in a shared store: reaped (aborted, sealed) when
 * nobody holds their target any more; left alone while their drill holds
 * it, or before they recorded their target. */
TEST(runs_of_other_hosts_reaped)
{
    Store *st, *holder;
    char *uri = open_pair("reap", &st, &holder);
    if (st == NULL || holder == NULL)
        return;
    int64_t dead = begin_run(st), alive = begin_run(st), young = begin_run(st);
    CHECK_INT(store_fact_add(st, dead, "target", "gone", NULL), 0);
    CHECK_INT(store_fact_add(st, alive, "target", "held", NULL), 0);
    CHECK_INT(store_target_claim(holder, "held", NULL), 0);
    DrillError err = {0};
    CHECK_INT(runner_reap_orphans(st, NULL, &err), 0);
    const int64_t ids[] = {dead, alive, young};
    const char *want[] = {"aborted", "running", "running"};
    for (int i = 0; i < 3; i++) {
        RunRecord *r = NULL;
        CHECK_INT(store_run_load(st, ids[i], &r, NULL), 0);
        CHECK(r != NULL && strcmp(r->status, want[i]) == 0 && r->sealed == (i == 0));
        if (i == 0 && r != NULL)
            CHECK(r->message != NULL && strstr(r->message, "on ci-host") != NULL);
        run_record_free(r);
    }
    store_close(holder);
    store_close(st);
    free(uri);
}

/* A store of the first PostgreSQL version (v6: no runs_running index)
 * migrates on open, once, keeping its runs. */
TEST(pg_store_migrates_from_v6)
{
    char *uri = store_location("v6");
    Store *st = NULL;
    CHECK_INT(store_open(uri, &st, NULL), 0);
    if (st == NULL)
        return;
    int64_t id = begin_run(st);
    store_close(st);
    sql_exec(uri, "DROP INDEX runs_running;"
                  " UPDATE drill_store SET value = '6' WHERE key = 'schema_version'");
    CHECK_INT(store_open(uri, &st, NULL), 0);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK(r != NULL);
    run_record_free(r);
    store_close(st);
    PgConn *c = NULL;
    char version[16] = "", indexes[16] = "";
    CHECK_INT(pg_connect(uri, 10000, &c, NULL), 0);
    if (c != NULL) {
        char *v = NULL, *n = NULL;
        long rows = 0;
        CHECK_INT(pg_user_sql(c, "SELECT value FROM drill_store WHERE key = 'schema_version'",
                              0, NULL, &v, &rows, NULL), 0);
        CHECK_INT(pg_user_sql(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'runs_running'",
                              0, NULL, &n, &rows, NULL), 0);
        snprintf(version, sizeof version, "%s", v ? v : "");
        snprintf(indexes, sizeof indexes, "%s", n ? n : "");
        free(v);
        free(n);
    }
    pg_close(c);
    CHECK_STR(version, "7");
    CHECK_STR(indexes, "1");
    free(uri);
}

/* The connection dies under a write, inside its transaction (a trigger
 * terminates its own backend, once: a sequence is not rolled back): the
 * write goes once more on a new connection, and is there exactly once. */
TEST(write_survives_connection_loss_midway)
{
    char *uri = store_location("midway");
    Store *st = NULL;
    CHECK_INT(store_open(uri, &st, NULL), 0);
    if (st == NULL)
        return;
    int64_t id = begin_run(st);
    sql_exec(uri, "CREATE SEQUENCE kill_once;"
                  "CREATE FUNCTION kill_me() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
                  " IF nextval('kill_once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid());"
                  " END IF; RETURN NEW; END$$;"
                  "CREATE TRIGGER kill_me BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION kill_me()");
    DrillError err = {0};
    CHECK_INT(store_event_add(st, id, "written", 1, 2, "once", &err), 0);
    CHECK_INT(store_write_error(st, id, NULL), 0);
    RunRecord *r = NULL;
    CHECK_INT(store_run_load(st, id, &r, NULL), 0);
    CHECK(r != NULL && r->nevents == 1 && strcmp(r->events[0].name, "written") == 0);
    run_record_free(r);
    store_close(st);
    free(uri);
}

/* A URI's password never reaches a message or the path drill shows. */
TEST(uri_password_masked)
{
    char *uri = store_location("masked");
    char *with = NULL;
    const char *at = strchr(uri + strlen("postgresql://"), '@');
    if (at != NULL)
        with = xasprintf("postgresql://postgres:s3cr3t-pw%s", at);
    Store *st = NULL;
    CHECK_INT(store_open(with ? with : uri, &st, NULL), 0);   /* trust: the password is unused */
    CHECK(st != NULL && strstr(store_path(st), "s3cr3t-pw") == NULL);
    store_close(st);
    char *bad = xasprintf("postgresql://postgres:s3cr3t-pw@127.0.0.1:1/none");
    DrillError err = {0};
    CHECK_INT(store_open(bad, &st, &err), DRILL_E_STORE);
    CHECK(strstr(err.message, "s3cr3t-pw") == NULL);
    CHECK(strstr(err.message, "cannot open store") != NULL);
    free(bad);
    free(with);
    free(uri);
}
#endif

int main(void)
{
    if (testutil_tmpdir() == NULL)
        return 2;
#ifdef STORE_TEST_PG
    if (getenv("DRILL_TEST_CONNINFO") == NULL) {
        fprintf(stderr, "pg/test_store: no DRILL_TEST_CONNINFO: run it through "
                        "tests/with-postgres.sh (ctest -R pg/test_store)\n");
        return 1;
    }
#endif
    RUN(round_trip_every_field);
    RUN(text_is_clamped);
    RUN(history_order_and_filter);
    RUN(reopen_preserves);
    RUN(run_ids_never_reused);
    RUN(finish_and_seal_are_atomic);
    RUN(write_error_is_sticky);
    RUN(baseline_same_target_only);
    RUN(fleet_newest_per_target_and_drill);
    RUN(newer_schema_refused);
    RUN(foreign_database_refused);
#ifdef STORE_TEST_PG
    RUN(target_claimed_once);
    RUN(concurrent_runners_one_chain);
    RUN(write_lock_wait_is_bounded);
    RUN(uri_password_masked);
    RUN(dropped_connection_reconnects);
    RUN(runs_of_other_hosts_reaped);
    RUN(pg_store_migrates_from_v6);
    RUN(write_survives_connection_loss_midway);
#else
    RUN(migrate_v2_to_v3_batches);
    RUN(migrate_real_v4_store);
    RUN(hash_covers_bytes_after_nul);
    RUN(text_file_refused);
    RUN(concurrent_reader_during_write);
    RUN(default_path);
#endif
    return harness_done();
}
