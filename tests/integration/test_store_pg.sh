#!/usr/bin/env bash
# Integration: a PostgreSQL results store shared by two runners (issue #22).
# A PostgreSQL server of its own holds the store (not a drilled cluster);
# two sandboxes are two targets (their topologies renamed east and west).
# Checked with psql on the store and with drill's own readers:
#   - two drill processes run primary-wipe at the same time, one per target,
#     with DRILL_DB=postgresql://...: both exit 0, their runs overlap in time,
#     both are complete (steps, RTO/RPO measures, objectives) and sealed, and
#     the chain is one line of links that `drill verify` accepts;
#   - a drill on a target another runner holds is refused through the store
#     (exit 3, naming the holder's run) even when the local run lock cannot
#     see it (another lock directory, as on another host), and writes nothing;
#   - `drill fleet` and `drill history` read both targets from the store;
#   - `drill store copy` moves the runs to an SQLite file and back into a
#     second PostgreSQL database, and both copies verify;
#   - a password in the store's URI appears in no output, page or copy;
#   - the store's server restarts in the middle of a third drill (after its
#     fault): the drill carries on and passes, its run whole and sealed;
#   - nothing is left running: the store's server and both sandboxes stop.
CHECK_LIB_NAME=storepg . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
: "${DRILL_SOURCE_DIR:?}"
export DRILL_FIXTURES_DIR="$DRILL_SOURCE_DIR/fixtures"
require postgresql "PostgreSQL 15: run fixtures/setup.sh" test -x /usr/lib/postgresql/15/bin/postgres
require barman "run fixtures/setup.sh" command -v barman > /dev/null
require psql "run fixtures/setup.sh" command -v psql > /dev/null
require sqlite3 "apt-get install sqlite3" command -v sqlite3 > /dev/null
DRILL_WITH_POSTGRES_LIB=1 . "$DRILL_SOURCE_DIR/tests/with-postgres.sh"
set +e   # with-postgres.sh is strict; a check here must not end the test
pgw_find_bin || skip_or_fail "PostgreSQL binaries not found"

cleanup() {
    local t
    for t in east west; do
        "$DRILL_BIN" sandbox down --dir "$work/$t" > /dev/null 2>&1
    done
    pgw_cleanup
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The store's server, in a directory of its own (pgw_cleanup stops it).
sdir=$(mktemp -d /tmp/drill-storepg-srv.XXXXXX)
chmod 755 "$sdir"
PGW_DIRS+=("$sdir")
pgw_init_cluster "$sdir" || { echo "initdb failed"; exit 1; }
sport=$(free_port)
pgw_start "$sdir" "$sport" || { echo "the store's server did not start"; exit 1; }
sci="host=127.0.0.1 port=$sport user=postgres"
psql -XAtq "$sci dbname=postgres" -c "create database store" -c "create database store2"
export DRILL_DB="postgresql://postgres@127.0.0.1:$sport/store"
db2="postgresql://postgres@127.0.0.1:$sport/store2"
sq() { psql -XAtq "$sci dbname=store" -c "$1"; }

# Two targets: two sandboxes, brought up together, topologies renamed.
for t in east west; do
    "$DRILL_BIN" sandbox up --dir "$work/$t" > "$work/$t-up.out" 2>&1 &
done
wait
for t in east west; do
    [ -s "$work/$t/topology.yaml" ] || { cat "$work/$t-up.out"; echo "sandbox $t did not come up"; exit 1; }
    sed "s/^name: sandbox$/name: $t/" "$work/$t/topology.yaml" > "$work/$t.yaml"
done

run_drill() {  # run_drill TARGET LABEL [ARGS...]: primary-wipe on TARGET, in the background
    local t=$1 label=$2
    shift 2
    "$DRILL_BIN" run primary-wipe -t "$work/$t.yaml" --yes --progress lines "$@" \
        > "$work/$label.out" 2> "$work/$label.err" &
}

# ---- two runners at once, one per target ----
t0=$(date +%s%N)
run_drill east east1
pid_east=$!
run_drill west west1
pid_west=$!
# A third drill on east, as from another host: its own lock directory, so
# only the store can refuse it. Started once east's run has recorded its
# target, so the refusal can name it.
for _ in $(seq 1 100); do
    [ "$(sq "select count(*) from facts f join runs r on r.id = f.run_id where f.key = 'target' and r.topology_name = 'east'")" -ge 1 ] && break
    sleep 0.1
done
mkdir -m 700 "$work/other-host"
XDG_RUNTIME_DIR=$work/other-host "$DRILL_BIN" run primary-wipe -t "$work/east.yaml" --yes \
    > "$work/east2.out" 2> "$work/east2.err"
rc_refused=$?
runs_during=$(sq "select count(*) from runs")
wait "$pid_east"; rc_east=$?
wait "$pid_west"; rc_west=$?
echo "both runs took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
for l in east1 west1; do tail -n 5 "$work/$l.err"; done
check "east's drill exits 0 (got $rc_east)" [ "$rc_east" -eq 0 ]
check "west's drill exits 0 (got $rc_west)" [ "$rc_west" -eq 0 ]
check "the second drill on east is refused with exit 3 (got $rc_refused)" [ "$rc_refused" -eq 3 ]
check "the refusal says another drill holds the target, naming its run" \
    grep -q "another drill is running on this target: run [0-9]* (primary-wipe) on host" "$work/east2.err"
check "the refused drill recorded no run" [ "$runs_during" -eq 2 ]
cat "$work/east2.err"

check "the store holds two runs, one per target, both passed" \
    [ "$(sq "select string_agg(topology_name || ':' || status, ',' order by topology_name) from runs")" = "east:passed,west:passed" ]
check "the two runs overlapped in time (written concurrently)" \
    [ "$(sq "select count(*) from runs a join runs b on a.id < b.id where a.started_ms < b.ended_ms and b.started_ms < a.ended_ms")" -eq 1 ]
check "both runs are whole: steps, RTO and RPO measured, objectives judged" \
    [ "$(sq "select count(*) from runs r where (select count(*) from steps s where s.run_id = r.id) > 10 and exists (select 1 from measures m where m.run_id = r.id and m.key = 'rto_ms') and exists (select 1 from measures m where m.run_id = r.id and m.key = 'rpo_transactions') and (select count(*) from objectives o where o.run_id = r.id) >= 2")" -eq 2 ]
check "both runs recorded their fault and the service coming back" \
    [ "$(sq "select count(distinct run_id) from events where name = 'fault_injected'")/$(sq "select count(distinct run_id) from events where name = 'service_restored'")" = 2/2 ]
check "both are sealed: one chain, links 1 and 2" \
    [ "$(sq "select string_agg(seq::text, ',' order by seq) from evidence")" = "1,2" ]
check "the second link chains onto the first" \
    [ "$(sq "select count(*) from evidence a join evidence b on b.seq = a.seq + 1 where b.prev_sha256 = a.chain_sha256")" -eq 1 ]
"$DRILL_BIN" verify > "$work/verify.out" 2>&1
rc=$?
cat "$work/verify.out"
check "drill verify passes on the PostgreSQL store (got $rc)" [ "$rc" -eq 0 ]

# ---- readers ----
"$DRILL_BIN" fleet --format json > "$work/fleet.json" 2> "$work/fleet.err"
rc=$?
check "drill fleet exits 0: both targets rehearsed and passed (got $rc)" [ "$rc" -eq 0 ]
check "drill fleet shows both targets" \
    [ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(sorted({e["target"] for e in d["entries"]})))' "$work/fleet.json")" = "east,west" ]
"$DRILL_BIN" history > "$work/history.out" 2>&1
check "drill history lists both runs" [ "$(grep -c primary-wipe "$work/history.out")" -eq 2 ]
first=$(sq "select min(id) from runs")
"$DRILL_BIN" report "$first" --junit - > "$work/r.xml" 2> "$work/report.err"
check "a stored run renders from the PostgreSQL store (JUnit, RTO inside)" grep -q "rto" "$work/r.xml"

# ---- moving history: PostgreSQL -> SQLite -> another PostgreSQL database ----
"$DRILL_BIN" store copy "$DRILL_DB" "$work/copy.db" > "$work/copy1.out" 2>&1
rc1=$?
"$DRILL_BIN" store copy "$work/copy.db" "$db2" > "$work/copy2.out" 2>&1
rc2=$?
cat "$work/copy1.out" "$work/copy2.out"
check "store copy PostgreSQL -> SQLite -> PostgreSQL exits 0 twice ($rc1, $rc2)" [ "$rc1$rc2" = 00 ]
check "the SQLite copy holds both runs by UUID" \
    [ "$(sqlite3 "$work/copy.db" "select group_concat(uuid) from (select uuid from runs order by uuid)")" = "$(sq "select string_agg(uuid, ',' order by uuid) from runs")" ]
check "the second PostgreSQL store holds both runs, with as many steps" \
    [ "$(psql -XAtq "$sci dbname=store2" -c "select count(*) || '/' || (select count(*) from steps) from runs")" = "2/$(sq "select count(*) from steps")" ]
"$DRILL_BIN" verify --db "$work/copy.db" > /dev/null 2>&1
rc1=$?
"$DRILL_BIN" verify --db "$db2" > /dev/null 2>&1
rc2=$?
check "both copies verify ($rc1, $rc2)" [ "$rc1$rc2" = 00 ]
check "the origin names the store without its password, as a URI" \
    [ "$(psql -XAtq "$sci dbname=store2" -c "select count(*) from facts where key = 'copied.from' and value like '%/copy.db#%'")" -eq 2 ]

# ---- a password in the URI is never shown ----
pw_uri="postgresql://postgres:s3cr3t-store-pw@127.0.0.1:$sport/store"   # trust: unused
"$DRILL_BIN" history --db "$pw_uri" > "$work/pw.out" 2>&1
"$DRILL_BIN" store copy "$pw_uri" "$work/copy-pw.db" >> "$work/pw.out" 2>&1
"$DRILL_BIN" store copy "$pw_uri" "$pw_uri" >> "$work/pw.out" 2>&1
"$DRILL_BIN" fleet --db "$pw_uri" --html "$work/fleet.html" >> "$work/pw.out" 2>&1
check "history, store copy and fleet with a password in the URI work" \
    [ "$(grep -c primary-wipe "$work/pw.out")" -ge 2 ]
check "the password appears in no output, message or page" \
    bash -c "! grep -rq s3cr3t-store-pw '$work/pw.out' '$work/fleet.html' '$work/copy-pw.db'"

# ---- the store's server restarts in the middle of a drill ----
newest_fault="select count(*) from events where name = 'fault_injected' and run_id = (select max(id) from runs)"
run_drill west west2
pid_west=$!
for _ in $(seq 1 300); do
    [ "$(sq "select count(*) from runs")" -eq 3 ] && [ "$(sq "$newest_fault")" -eq 1 ] && break
    sleep 0.1
done
t_restart=$(date +%s%3N)
pgw_as_pg "$PGW_BIN/pg_ctl" -D "$sdir/data" -l "$sdir/server.log" -m fast -w restart > /dev/null
restarted=$?
wait "$pid_west"; rc=$?
tail -n 5 "$work/west2.err"
check "the store's server restarted after the fault was recorded ($restarted)" [ "$restarted" -eq 0 ]
check "the drill carries on through it: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "the restart fell inside the run (it ended after it)" \
    [ "$(sq "select ended_ms from runs where id = 3")" -gt "$t_restart" ]
check "its run is passed, whole (recovered, RTO measured) and sealed as link 3" \
    [ "$(sq "select r.status || ':' || (select count(*) from events e where e.run_id = r.id and e.name = 'service_restored') || ':' || (select count(*) from measures m where m.run_id = r.id and m.key = 'rto_ms') || ':' || (select seq from evidence v where v.run_id = r.id) from runs r where r.id = 3")" = "passed:1:1:3" ]
"$DRILL_BIN" verify > /dev/null 2>&1
rc=$?
check "drill verify still passes ($rc)" [ "$rc" -eq 0 ]

# ---- the targets are healthy after both drills ----
for t in east west; do
    p1=$("$DRILL_BIN" sandbox status --dir "$work/$t" --json | python3 -c 'import json,sys; print([n["port"] for n in json.load(sys.stdin)["nodes"] if n["name"]=="pg1"][0])')
    check "$t: pg1 serves writes" psql -XAtq "host=127.0.0.1 port=$p1 user=postgres dbname=postgres" -c "create table if not exists t_after(x int); insert into t_after values (1)"
done
finish
