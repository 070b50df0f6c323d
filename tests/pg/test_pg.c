/*
 * test_pg.c — engine/pg (pg.h) against a real PostgreSQL 15 server.
 *
 * Run through tests/with-postgres.sh, which provides DRILL_TEST_CONNINFO.
 * Every named query runs at least once; deadlines are checked with a clock.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "pgtool.h"
#include "pg.h"
#include "testutil.h"
#include "util.h"

static const char *conninfo, *pgbin, *tmpdir;

/* Runs $PGBIN/prog args... (as the postgres user when root); exit status. */
static int run_pg_tool(const char *prog, const char *const *args)
{
    return pgtool_run(pgbin, prog, args);
}

/* Runs SQL and returns its first value (static buffer, "" when NULL). */
static const char *sql1(PgConn *c, const char *sql)
{
    static char out[256];
    char *v = NULL;
    int rc = pgtool_sql(c, sql, &v); /* a failure is said on stderr */
    snprintf(out, sizeof out, "%s", rc == 0 && v != NULL ? v : "");
    free(v);
    return out;
}

/* A socket bound to a loopback port: listening (accepts the TCP handshake but
 * never answers) or closed again (the port then refuses connections). */
static int loopback_port(bool listening, int *fd_out)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0 || (listening && listen(fd, 8) != 0)) {
        perror("loopback_port");
        exit(1);
    }
    if (listening)
        *fd_out = fd;
    else
        close(fd);
    return ntohs(a.sin_port);
}

TEST(test_server_state)
{
    PgConn *c = pgtool_connect(conninfo);
    DrillError err = {0};
    char text[64];
    bool rec = true;
    CHECK_INT(pg_server_version(c, text, sizeof text, &err), 0);
    CHECK(str_has_prefix(text, "15."));
    pg_library_version(text, sizeof text);
    CHECK(strchr(text, '.') != NULL);
    CHECK_INT(pg_is_in_recovery(c, &rec, &err), 0);
    CHECK(!rec);
    CHECK_INT(pg_system_identifier(c, text, sizeof text, &err), 0);
    CHECK(strlen(text) >= 10 && strspn(text, "0123456789") == strlen(text));
    CHECK_STR(text, sql1(c, "select system_identifier::text from pg_control_system()"));
    uint32_t tli = 0;
    CHECK_INT(pg_timeline(c, &tli, &err), 0);
    CHECK_INT(tli, 1);
    CHECK_STR(sql1(c, "select current_setting('application_name')"), "drill");
    CHECK(str_has_prefix(pg_endpoint(c), "127.0.0.1:"));
    pg_close(c);
    pg_close(NULL);
}

TEST(test_lsn)
{
    PgConn *c = pgtool_connect(conninfo);
    DrillError err = {0};
    uint64_t lsn = 0, lsn2 = 0, replay = 1;
    char text[32];
    CHECK_INT(pg_current_lsn(c, &lsn, &err), 0);
    CHECK(lsn > 0);
    pg_lsn_format(lsn, text, sizeof text);
    CHECK_INT(pg_lsn_parse(text, &lsn2), 0);
    CHECK(lsn == lsn2);
    CHECK_INT(pg_replay_lsn(c, &replay, &err), 0);
    CHECK(replay == 0);   /* never in recovery */
    pg_lsn_format(0x16B3748ULL, text, sizeof text);
    CHECK_STR(text, "0/16B3748");
    pg_lsn_format(0xFFFFFFFF00000001ULL, text, sizeof text);
    CHECK_STR(text, "FFFFFFFF/1");
    CHECK_INT(pg_lsn_parse("ffffffff/1", &lsn2), 0);
    CHECK(lsn2 == 0xFFFFFFFF00000001ULL);
    const char *bad[] = {"", "0/", "/0", "G/0", "+1/0", " 1/0", "1/ 0", "123456789/0", "1/2/3", "0x1/0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(pg_lsn_parse(bad[i], &lsn2), -1);
    CHECK_INT(pg_lsn_parse(NULL, &lsn2), -1);
    pg_close(c);
}

static const PgSlot *find_slot(const PgSlot *s, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0)
            return &s[i];
    return NULL;
}

TEST(test_slots_and_replication)
{
    PgConn *c = pgtool_connect(conninfo);
    DrillError err = {0};
    PgSlot *slots = NULL;
    size_t n = 0;
    CHECK_INT(pg_slot_create(c, "drill_t1", &err), 0);
    CHECK_INT(pg_slots(c, &slots, &n, &err), 0);
    const PgSlot *s = find_slot(slots, n, "drill_t1");
    CHECK(s != NULL);
    if (s != NULL) {
        CHECK_STR(s->slot_type, "physical");
        CHECK(!s->active);
        CHECK_STR(s->wal_status, "reserved");
        CHECK(s->restart_lsn > 0);
        CHECK(s->retained_bytes >= 0);
        CHECK(s->safe_wal_size == INT64_MIN);   /* NULL: no max_slot_wal_keep_size */
    }
    free(slots);
    /* wal_generate's queries: the slot retains what pg_wal_emit wrote. */
    uint64_t lsn0 = 0, lsn1 = 0;
    int64_t wal_dir = 0;
    CHECK_INT(pg_current_lsn(c, &lsn0, &err), 0);
    CHECK_INT(pg_wal_emit(c, 1024 * 1024, &lsn1, &err), 0);
    CHECK(lsn1 >= lsn0);
    CHECK_INT(pg_wal_emit(c, 0, &lsn1, &err), DRILL_E_INVALID);
    CHECK_INT(pg_checkpoint(c, &err), 0);
    CHECK_INT(pg_wal_dir_bytes(c, &wal_dir, &err), 0);
    CHECK(wal_dir >= 16 * 1024 * 1024);
    CHECK_INT(pg_slots(c, &slots, &n, &err), 0);
    s = find_slot(slots, n, "drill_t1");
    CHECK(s != NULL && s->retained_bytes >= 1024 * 1024);
    free(slots);
    CHECK_INT(pg_slot_create(c, "drill_t1", &err), DRILL_E_PG);   /* already exists */
    CHECK_INT(pg_slot_create(c, "bad'name; drop table x", &err), DRILL_E_PG);
    CHECK(strstr(err.message, "SQLSTATE") != NULL);
    CHECK_INT(pg_slot_create(c, "", &err), DRILL_E_INVALID);
    CHECK_INT(pg_slot_drop(c, "drill_t1", &err), 0);
    CHECK_INT(pg_slots(c, &slots, &n, &err), 0);
    CHECK(find_slot(slots, n, "drill_t1") == NULL);
    free(slots);
    CHECK_INT(pg_slot_drop(c, "drill_t1", &err), DRILL_E_PG);
    CHECK(strstr(err.message, pg_endpoint(c)) != NULL);
    CHECK(strstr(err.message, "does not exist") != NULL);

    PgReplica *reps = NULL;
    CHECK_INT(pg_replicas(c, &reps, &n, &err), 0);
    CHECK_INT(n, 0);
    free(reps);
    PgReceiver rcv;
    CHECK_INT(pg_wal_receiver(c, &rcv, &err), 0);
    CHECK(!rcv.present);
    CHECK_INT(pg_promote(c, 1, &err), DRILL_E_PG);   /* not a standby */
    CHECK(strstr(err.message, "recovery is not in progress") != NULL);
    pg_close(c);
}

TEST(test_user_sql)
{
    PgConn *c = pgtool_connect(conninfo);
    DrillError err = {0};
    char *v = NULL;
    long n = -1;
    CHECK_INT(pg_user_sql(c, "select 42, 'x' union all select 43, 'y'", 0, NULL, &v, &n, &err), 0);
    CHECK_STR(v, "42");
    CHECK_INT(n, 2);
    free(v);
    CHECK_INT(pg_user_sql(c, "create temp table t (x int); insert into t select generate_series(1, 5)",
                          0, NULL, &v, &n, &err), 0);
    CHECK(v == NULL);
    CHECK_INT(n, 5);
    CHECK_INT(pg_user_sql(c, "select x from t where false", 0, NULL, &v, &n, &err), 0);
    CHECK(v == NULL);
    CHECK_INT(n, 0);
    CHECK_INT(pg_user_sql(c, "selec 1", 0, NULL, &v, &n, &err), DRILL_E_PG);
    CHECK(strstr(err.message, "syntax error") != NULL);
    CHECK(strstr(err.message, "42601") != NULL);
    CHECK(err.message[strlen(err.message) - 1] != '\n');
    CHECK_STR(pg_last_sqlstate(c), "42601");
    CHECK_INT(pg_user_sql(c, "copy t to stdout", 0, NULL, &v, &n, &err), 0);    /* drained */
    CHECK_INT(pg_user_sql(c, "copy t from stdin", 0, NULL, &v, &n, &err), DRILL_E_PG);
    CHECK_STR(sql1(c, "select count(*) from t"), "5");                  /* still usable */
    CHECK_STR(pg_last_sqlstate(c), "");
    pg_close(c);
}

/* A bound value is data: its quote cannot end a literal and start a second
 * statement. With parameters the query is exactly one statement. */
TEST(test_user_sql_params)
{
    PgConn *c = pgtool_connect(conninfo);
    DrillError err = {0};
    char *v = NULL;
    long n = -1;
    const char *hostile[] = {"x'; create table pwned(i int); --", "2"};
    CHECK_INT(pg_user_sql(c, "select $1", 1, hostile, &v, &n, &err), 0);
    CHECK_STR(v, hostile[0]);
    CHECK_INT(n, 1);
    free(v);
    CHECK_INT(pg_user_sql_read_only(c, "select $1::text || $2::int", 2, hostile, &v, &n, &err), 0);
    CHECK_STR(v, "x'; create table pwned(i int); --2");
    free(v);
    CHECK_STR(sql1(c, "select to_regclass('pwned') is null"), "t");
    CHECK_INT(pg_user_sql(c, "select $1; create table pwned(i int)", 1, hostile, &v, &n, &err),
              DRILL_E_PG);
    CHECK(strstr(err.message, "cannot insert multiple commands into a prepared statement") != NULL);
    CHECK(v == NULL);
    CHECK_STR(sql1(c, "select to_regclass('pwned') is null"), "t");
    pg_close(c);
}

TEST(test_query_timeout)
{
    PgConn *c = pgtool_connect(conninfo);
    DrillError err = {0};
    char *v = NULL;
    long n = 0;
    pg_set_query_timeout(c, 100);
    int64_t t0 = time_mono_us();
    CHECK_INT(pg_user_sql(c, "select pg_sleep(3)", 0, NULL, &v, &n, &err), DRILL_E_TIMEOUT);
    int64_t ms = (time_mono_us() - t0) / 1000;
    printf("query timeout 100 ms returned after %lld ms\n", (long long)ms);
    CHECK(ms >= 95 && ms < 200);
    bool rec = false;
    CHECK(pg_is_in_recovery(c, &rec, &err) != 0);   /* unusable: caller reconnects */
    pg_close(c);
}

TEST(test_connect_errors)
{
    DrillError err = {0};
    PgConn *c = NULL;
    int port = loopback_port(false, NULL);
    char *ci = xasprintf("host=127.0.0.1 port=%d user=postgres", port);
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    CHECK_INT(pg_connect(ci, 1000, &c, &err), DRILL_E_PG);
    CHECK(c == NULL);
    CHECK(strstr(err.message, want) != NULL);
    CHECK(strstr(err.message, "refused") != NULL);
    CHECK(err.message[strlen(err.message) - 1] != '\n');
    free(ci);

    int fd = -1;   /* a listener that never answers: our deadline must hold */
    port = loopback_port(true, &fd);
    ci = xasprintf("host=127.0.0.1 port=%d user=postgres", port);
    int64_t t0 = time_mono_us();
    CHECK_INT(pg_connect(ci, 200, &c, &err), DRILL_E_TIMEOUT);
    int64_t ms = (time_mono_us() - t0) / 1000;
    printf("connect to a silent listener: timeout 200 ms returned after %lld ms\n", (long long)ms);
    CHECK(ms >= 195 && ms < 260);
    CHECK(strstr(err.message, "127.0.0.1:") != NULL);
    close(fd);
    free(ci);
    CHECK_INT(pg_connect("host='unterminated", 1000, &c, &err), DRILL_E_INVALID);
}

TEST(test_wait_ready)
{
    DrillError err = {0};
    int64_t t0 = time_mono_us();
    CHECK_INT(pg_wait_ready(conninfo, PG_READY_WRITABLE, 2000, 10, &err), 0);
    CHECK_INT(pg_wait_ready(conninfo, PG_READY_ACCEPTING, 2000, 10, &err), 0);
    printf("wait_ready on a live server: %lld us for both\n", (long long)(time_mono_us() - t0));
    int port = loopback_port(false, NULL);
    char *ci = xasprintf("host=127.0.0.1 port=%d user=postgres", port);
    t0 = time_mono_us();
    CHECK_INT(pg_wait_ready(ci, PG_READY_ACCEPTING, 300, 10, &err), DRILL_E_TIMEOUT);
    int64_t ms = (time_mono_us() - t0) / 1000;
    printf("wait_ready on a dead port: timeout 300 ms returned after %lld ms\n", (long long)ms);
    CHECK(ms >= 250 && ms <= 350);
    CHECK(strstr(err.message, "refused") != NULL);
    free(ci);
    int fd = -1;
    port = loopback_port(true, &fd);
    ci = xasprintf("host=127.0.0.1 port=%d user=postgres", port);
    t0 = time_mono_us();
    CHECK_INT(pg_wait_ready(ci, PG_READY_WRITABLE, 300, 10, &err), DRILL_E_TIMEOUT);
    ms = (time_mono_us() - t0) / 1000;
    printf("wait_ready on a silent listener: timeout 300 ms returned after %lld ms\n", (long long)ms);
    CHECK(ms >= 250 && ms <= 350);
    close(fd);
    free(ci);
}

TEST(test_conninfo_builders)
{
    DrillError err = {0};
    char *out = NULL;
    const char *nodes[] = {"host=a port=1 user=u dbname=d", "host=b port=2 user=other"};
    CHECK_INT(pg_conninfo_writable(nodes, 2, &out, &err), 0);
    CHECK_STR(out, "host=a,b port=1,2 user=u dbname=d target_session_attrs=read-write connect_timeout=2");
    free(out);
    const char *tricky[] = {"host=a user='o\\'brien x' dbname='my db\\\\x' sslmode=disable "
                            "application_name='a b' target_session_attrs=any connect_timeout=9",
                            "postgresql://h2:5433/ignored"};
    CHECK_INT(pg_conninfo_writable(tricky, 2, &out, &err), 0);
    CHECK_STR(out, "host=a,h2 port=,5433 user='o\\'brien x' dbname='my db\\\\x' "
                   "application_name='a b' sslmode=disable target_session_attrs=read-write "
                   "connect_timeout=2");
    free(out);
    const char *multi[] = {"host=a,b port=1"};
    CHECK_INT(pg_conninfo_writable(multi, 1, &out, &err), DRILL_E_INVALID);
    CHECK(out == NULL);
    CHECK_INT(pg_conninfo_writable(nodes, 0, &out, &err), DRILL_E_INVALID);
    const char *badnode[] = {"host=a", "nonsense"};
    CHECK_INT(pg_conninfo_writable(badnode, 2, &out, &err), DRILL_E_INVALID);

    CHECK_INT(pg_conninfo_with_db("postgresql://u@h:5/db?sslmode=disable", "new db", &out, &err), 0);
    CHECK_STR(out, "user=u dbname='new db' host=h port=5 sslmode=disable");
    free(out);
    CHECK_INT(pg_conninfo_set("host=h", "options", "-c statement_timeout=5", &out, &err), 0);
    CHECK_STR(out, "host=h options='-c statement_timeout=5'");
    free(out);
    CHECK_INT(pg_conninfo_set("host=h", "nosuchkey", "1", &out, &err), DRILL_E_INVALID);
    CHECK_INT(pg_conninfo_with_db("host='x", "d", &out, &err), DRILL_E_INVALID);

    char ep[128];
    CHECK_INT(pg_conninfo_endpoint("host=a,b port=1", ep, sizeof ep), 0);
    CHECK_STR(ep, "a:1,b:1");
    CHECK_INT(pg_conninfo_endpoint("host=a,b port=1,2", ep, sizeof ep), 0);
    CHECK_STR(ep, "a:1,b:2");
    CHECK_INT(pg_conninfo_endpoint("", ep, sizeof ep), 0);
    CHECK_STR(ep, "(default host):5432");
    CHECK_INT(pg_conninfo_endpoint("hostaddr=10.0.0.1 port=7", ep, sizeof ep), 0);
    CHECK_STR(ep, "10.0.0.1:7");
    CHECK_INT(pg_conninfo_endpoint("host='x", ep, sizeof ep), -1);
}

/* Built conninfos really connect: a dead node first, the live one second. */
TEST(test_conninfo_live)
{
    DrillError err = {0};
    char *dead = xasprintf("host=127.0.0.1 port=%d user=postgres", loopback_port(false, NULL));
    const char *nodes[] = {dead, conninfo};
    char *w = NULL, *db = NULL, *app = NULL;
    PgConn *c = NULL;
    CHECK_INT(pg_conninfo_writable(nodes, 2, &w, &err), 0);
    CHECK_INT(pg_connect(w, 3000, &c, &err), 0);
    if (c != NULL) {
        CHECK(strstr(conninfo, pg_endpoint(c) + strlen("127.0.0.1:")) != NULL);
        CHECK_STR(sql1(c, "select current_user"), "postgres");
        pg_close(c);
        c = NULL;
    }
    free(w);
    int fd = -1;   /* a silent first host must not eat the whole deadline */
    char *silent = xasprintf("host=127.0.0.1 port=%d user=postgres", loopback_port(true, &fd));
    const char *nodes2[] = {silent, conninfo};
    CHECK_INT(pg_conninfo_writable(nodes2, 2, &w, &err), 0);
    int64_t t0 = time_mono_us();
    /* Each host gets its share of the deadline: the silent one gives up
     * after half, leaving the live one the rest. Only lower bounds are
     * timed (a busy machine makes everything later, never earlier); the
     * upper bound is the deadline itself, which a silent host eating all
     * of it would break (the connect would fail). */
    CHECK_INT(pg_connect(w, 2000, &c, &err), 0);
    int64_t ms = (time_mono_us() - t0) / 1000;
    printf("multi-host, silent first host, 2000 ms deadline: connected after %lld ms\n", (long long)ms);
    CHECK(ms >= 950);
    pg_close(c);
    c = NULL;
    t0 = time_mono_us();
    CHECK_INT(pg_connect(w, 1000, &c, &err), 0);   /* 500 ms for each host */
    ms = (time_mono_us() - t0) / 1000;
    CHECK(ms >= 480);
    pg_close(c);
    c = NULL;
    free(w);
    const char *nodes3[] = {silent, silent};
    CHECK_INT(pg_conninfo_writable(nodes3, 2, &w, &err), 0);
    t0 = time_mono_us();
    CHECK_INT(pg_connect(w, 300, &c, &err), DRILL_E_TIMEOUT);
    ms = (time_mono_us() - t0) / 1000;
    CHECK(ms >= 295 && ms < 1000);   /* generous: a loaded machine is late */
    CHECK(strstr(err.message, "127.0.0.1:") != NULL);
    close(fd);
    free(silent);
    CHECK_INT(pg_conninfo_with_db(conninfo, "template1", &db, &err), 0);
    CHECK_INT(pg_conninfo_set(db, "application_name", "it's a test", &app, &err), 0);
    CHECK_INT(pg_connect(app, 3000, &c, &err), 0);
    if (c != NULL) {
        CHECK_STR(sql1(c, "select current_database()"), "template1");
        CHECK_STR(sql1(c, "select current_setting('application_name')"), "it's a test");
    }
    pg_close(c);
    free(dead);
    free(w);
    free(db);
    free(app);
}

#define U7 "00000000-0000-4000-8000-000000000007"
#define U8 "00000000-0000-4000-8000-000000000008"

TEST(test_heartbeat_table)
{
    PgConn *c = pgtool_connect(conninfo);
    DrillError err = {0};
    PgHeartbeatRow *rows = NULL;
    size_t n = 99;
    PgHeartbeatDigest d;
    sql1(c, "drop table if exists drill_heartbeat");
    CHECK_INT(pg_heartbeat_rows(c, U7, &rows, &n, &err), 0);   /* no table: no rows */
    CHECK_INT(n, 0);
    free(rows);
    CHECK_INT(pg_heartbeat_digest(c, U7, &d, &err), 0);
    CHECK_INT(d.count, 0);
    CHECK_STR(d.md5, sql1(c, "select md5('')"));
    CHECK_INT(pg_heartbeat_setup(c, &err), 0);
    CHECK_INT(pg_heartbeat_setup(c, &err), 0);
    int64_t client = time_utc_ms() * 1000 + 123;
    PgHeartbeatAck a1, a2;
    CHECK_INT(pg_heartbeat_insert(c, U7, 1, client, &a1, &err), 0);
    CHECK_INT(pg_heartbeat_insert(c, U7, 2, client + 1, &a2, &err), 0);
    CHECK_INT(pg_heartbeat_insert(c, U7, 2, client + 1, &a2, &err), DRILL_E_PG);
    CHECK_STR(pg_last_sqlstate(c), "23505");
    CHECK(a1.server_ts_us > 0 && a2.server_ts_us >= a1.server_ts_us);
    CHECK(a1.server_ts_us / 1000 - time_utc_ms() < 5000 && time_utc_ms() - a1.server_ts_us / 1000 < 5000);
    CHECK(a2.lsn > a1.lsn);
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)client);
    CHECK_STR(sql1(c, "select (extract(epoch from client_ts) * 1000000)::bigint from drill_heartbeat "
                      "where run_uuid = '" U7 "' and seq = 1"), want);
    CHECK_INT(pg_heartbeat_rows(c, U7, &rows, &n, &err), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_INT(rows[0].seq, 1);
        CHECK(rows[0].server_ts_us == a1.server_ts_us && rows[0].lsn == a1.lsn);
        CHECK(rows[1].server_ts_us == a2.server_ts_us && rows[1].lsn == a2.lsn);
    }
    free(rows);
    CHECK_INT(pg_heartbeat_digest(c, U7, &d, &err), 0);
    CHECK_INT(d.count, 2);
    CHECK_INT(d.max_seq, 2);
    CHECK_STR(d.md5, sql1(c, "select md5('1,2')"));
    CHECK_INT(pg_heartbeat_digest(c, U8, &d, &err), 0);
    CHECK_INT(d.count, 0);
    pg_close(c);
}

/* A table of the shape before run UUIDs (key run_id, seq) is renamed out of
 * the way, rows kept; its rows never count for a run; readers on a node that
 * only has the old shape see no rows instead of failing. */
TEST(test_heartbeat_old_shape)
{
    PgConn *c = pgtool_connect(conninfo);
    DrillError err = {0};
    PgHeartbeatRow *rows = NULL;
    size_t n = 99;
    sql1(c, "drop table if exists drill_heartbeat");
    sql1(c, "create table drill_heartbeat (run_id bigint not null, seq bigint not null, "
            "client_ts timestamptz not null, server_ts timestamptz not null, lsn pg_lsn not null, "
            "primary key (run_id, seq))");
    sql1(c, "insert into drill_heartbeat values (1, 1, now(), now(), '0/1'), (1, 2, now(), now(), '0/2')");
    CHECK_INT(pg_heartbeat_rows(c, U7, &rows, &n, &err), 0);
    CHECK_INT(n, 0);
    free(rows);
    CHECK_INT(pg_heartbeat_setup(c, &err), 0);
    CHECK_STR(sql1(c, "select count(*) from pg_class where relname like 'drill_heartbeat_pre_uuid_%' "
                      "and relkind = 'r'"), "1");
    CHECK_STR(sql1(c, "select count(*) from pg_class where relname like 'drill_heartbeat_pre_uuid_%_pkey'"),
              "1");
    CHECK_STR(sql1(c, "select string_agg(attname, ',' order by attnum) from pg_attribute "
                      "where attrelid = 'drill_heartbeat'::regclass and attnum > 0"),
              "run_uuid,seq,client_ts,server_ts,lsn");
    PgHeartbeatAck a;
    CHECK_INT(pg_heartbeat_insert(c, U7, 1, time_utc_ms() * 1000, &a, &err), 0);   /* seq 1 again: no clash */
    CHECK_INT(pg_heartbeat_setup(c, &err), 0);   /* the new shape is left alone */
    CHECK_INT(pg_heartbeat_rows(c, U7, &rows, &n, &err), 0);
    CHECK_INT(n, 1);
    free(rows);
    CHECK_STR(sql1(c, "select count(*) from pg_class where relname like 'drill_heartbeat_pre_uuid_%' "
                      "and relkind = 'r'"), "1");
    /* the old rows are still there, for whoever wants them */
    char *old = xstrdup(sql1(c, "select relname from pg_class where relname like "
                               "'drill_heartbeat_pre_uuid_%' and relkind = 'r'"));
    char *q = xasprintf("select count(*) from %s", old);
    CHECK_STR(sql1(c, q), "2");
    char *drop = xasprintf("drop table %s", old);
    sql1(c, drop);
    free(drop);
    free(q);
    free(old);
    pg_close(c);
}

static void check_standby(PgConn *sb, PgConn *pri)
{
    DrillError err = {0};
    bool rec = false;
    uint32_t tli = 0;
    uint64_t replay = 0;
    size_t n = 0;
    CHECK_INT(pg_is_in_recovery(sb, &rec, &err), 0);
    CHECK(rec);
    CHECK_INT(pg_timeline(sb, &tli, &err), 0);
    CHECK_INT(tli, 1);
    CHECK_INT(pg_replay_lsn(sb, &replay, &err), 0);
    CHECK(replay > 0);
    PgReceiver rcv;
    CHECK_INT(pg_wal_receiver(sb, &rcv, &err), 0);
    CHECK(rcv.present);
    CHECK_STR(rcv.status, "streaming");
    CHECK_STR(rcv.slot_name, "drill_sb");
    CHECK(rcv.flushed_lsn > 0);
    PgReplica *reps = NULL;
    CHECK_INT(pg_replicas(pri, &reps, &n, &err), 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(reps[0].client_addr, "127.0.0.1");
        CHECK(reps[0].replay_lsn > 0 && reps[0].lag_bytes >= 0);
    }
    free(reps);
    PgSlot *slots = NULL;
    CHECK_INT(pg_slots(pri, &slots, &n, &err), 0);
    CHECK(n == 1 && slots[0].active);
    free(slots);
    CHECK_INT(pg_current_lsn(sb, &replay, &err), DRILL_E_PG);   /* not on a standby */
}

/* A streaming standby cloned from the test server: the replication queries
 * see it, and after pg_promote its timeline is 2 at once. */
TEST(test_standby)
{
    DrillError err = {0};
    PgConn *pri = pgtool_connect(conninfo), *sb = NULL;
    char *dir = xasprintf("%s/standby", tmpdir);
    char *port = xasprintf("%d", loopback_port(false, NULL));
    char *opts = xasprintf("-p %s -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s",
                           port, tmpdir);
    char *log = xasprintf("%s/standby.log", tmpdir);
    char *sbci = xasprintf("host=127.0.0.1 port=%s user=postgres dbname=postgres", port);
    CHECK_INT(pg_slot_create(pri, "drill_sb", &err), 0);
    const char *bb[] = {"-D", dir, "-R", "-S", "drill_sb", "-X", "stream", "-d", conninfo, NULL};
    const char *start[] = {"-D", dir, "-l", log, "-o", opts, "-w", "-t", "60", "start", NULL};
    const char *stop[] = {"-D", dir, "-m", "immediate", "-w", "stop", NULL};
    CHECK_INT(run_pg_tool("pg_basebackup", bb), 0);
    CHECK_INT(run_pg_tool("pg_ctl", start), 0);
    CHECK_INT(pg_wait_ready(sbci, PG_READY_ACCEPTING, 10000, 10, &err), 0);
    CHECK_INT(pg_wait_ready(sbci, PG_READY_WRITABLE, 200, 10, &err), DRILL_E_TIMEOUT);
    CHECK(strstr(err.message, "recovery") != NULL);
    /* Its postmaster.pid says "ready" like a primary's: standby.signal tells
     * it is in recovery, and the gated wait never connects for a write. */
    CHECK_INT(pg_pm_status(dir), PG_PM_READ_ONLY);
    CHECK_INT(pg_pm_status(testutil_env("DRILL_TEST_PGDATA", "tests/with-postgres.sh")),
              PG_PM_READY);
    /* A data_directory that is not the server's (a wrong topology) costs
     * precision, never the wait: the server is asked once a second anyway. */
    int64_t t0 = time_mono_us();
    CHECK_INT(pg_wait_ready_local(conninfo, tmpdir, PG_READY_WRITABLE, 5000, 10, &err), 0);
    CHECK((time_mono_us() - t0) / 1000 >= 900);
    CHECK_INT(pg_wait_ready_local(sbci, dir, PG_READY_ACCEPTING, 2000, 10, &err), 0);
    CHECK_INT(pg_wait_ready_local(sbci, dir, PG_READY_WRITABLE, 200, 10, &err), DRILL_E_TIMEOUT);
    CHECK(strstr(err.message, "postmaster.pid: in recovery (read-only)") != NULL);
    CHECK_INT(pg_connect(sbci, 5000, &sb, &err), 0);
    sleep_us(300000);   /* let the receiver reach "streaming" */
    if (sb != NULL) {
        check_standby(sb, pri);
        uint32_t tli = 0;
        CHECK_INT(pg_promote(sb, 30, &err), 0);
        CHECK_INT(pg_timeline(sb, &tli, &err), 0);
        CHECK_INT(tli, 2);
        CHECK_INT(pg_wait_ready(sbci, PG_READY_WRITABLE, 5000, 10, &err), 0);
        CHECK_INT(pg_wait_ready_local(sbci, dir, PG_READY_WRITABLE, 5000, 10, &err), 0);
        CHECK_INT(pg_pm_status(dir), PG_PM_READY);
    }
    pg_close(sb);
    CHECK_INT(run_pg_tool("pg_ctl", stop), 0);
    CHECK_INT(pg_pm_status(dir), PG_PM_ABSENT);
    CHECK_INT(pg_wait_ready_local(sbci, dir, PG_READY_ACCEPTING, 100, 10, &err), DRILL_E_TIMEOUT);
    CHECK(strstr(err.message, "postmaster.pid: no server running") != NULL);
    CHECK_INT(pg_slot_drop(pri, "drill_sb", &err), 0);
    pg_close(pri);
    free(dir);
    free(port);
    free(opts);
    free(log);
    free(sbci);
}

int main(void)
{
    conninfo = testutil_env("DRILL_TEST_CONNINFO", "tests/with-postgres.sh");
    pgbin = testutil_env("DRILL_TEST_PGBIN", "tests/with-postgres.sh");
    tmpdir = testutil_env("DRILL_TEST_TMPDIR", "tests/with-postgres.sh");
    RUN(test_server_state);
    RUN(test_lsn);
    RUN(test_slots_and_replication);
    RUN(test_user_sql);
    RUN(test_user_sql_params);
    RUN(test_query_timeout);
    RUN(test_connect_errors);
    RUN(test_wait_ready);
    RUN(test_conninfo_builders);
    RUN(test_conninfo_live);
    RUN(test_heartbeat_table);
    RUN(test_heartbeat_old_shape);
    RUN(test_standby);
    return harness_done();
}
