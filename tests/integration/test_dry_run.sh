#!/usr/bin/env bash
# Integration: `drill run --dry-run` prints the whole plan, runs only read-only
# checks and changes nothing anywhere; and drill's advisory lock on the
# primary refuses a drill while another session holds it.
#
# "Nothing changed" is judged independently of drill: the store's run count
# (sqlite3), a table's row count on pg1, pg1's postmaster pid, pg_locks,
# pg_stat_replication, the absence of drill_heartbeat, and listings of the
# sandbox, the data directory and the lock directory before and after.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

holder=
# The backend of a killed psql sleeps on (pg_sleep does not notice the client
# is gone): release ends the session on the server too.
release() {
    [ -n "$holder" ] || return 0
    kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; holder=
    q "$p1" "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'lock-holder-test'" > /dev/null
    for _ in $(seq 100); do [ "$(q "$p1" "$LOCK_SQL")" = 0 ] && break; sleep 0.05; done
}
hold() {
    PGAPPNAME=lock-holder-test psql -XAtq "host=127.0.0.1 port=$p1 user=postgres dbname=postgres" \
        -c "select pg_advisory_lock($LOCK)" -c "select pg_sleep(120)" > /dev/null 2>&1 &
    holder=$!
    for _ in $(seq 100); do [ "$(q "$p1" "$LOCK_SQL")" = 1 ] && break; sleep 0.05; done
}
cleanup_all() {
    [ -n "$holder" ] && release 2>/dev/null
    cleanup
}
trap cleanup_all EXIT INT TERM

sandbox_up
T=$DRILL_TEST_DATA/valid/drill-dryrun.yaml
LOCK="1685219692, 0"
LOCK_SQL="select count(*) from pg_locks where locktype = 'advisory' and classid = 1685219692 and objid = 0 and objsubid = 2 and granted"
q "$p1" "create table dryrun_guard (id int); insert into dryrun_guard values (1), (2), (3)"
guard() { q "$p1" "select count(*) from dryrun_guard"; }
run_drill() {  # OUTFILE ARGS...: a real run of the test drill
    local out=$1; shift
    "$DRILL_BIN" run "$T" --sandbox-dir "$sandbox" --db "$db" --progress lines "$@" > "$out" 2>&1
}
dry() {  # OUTFILE ARGS...
    local out=$1; shift
    "$DRILL_BIN" run --dry-run --db "$work/dry.db" "$@" > "$out" 2>&1
}

# ---- drill's advisory lock on the primary -----------------------------------
# A psql session (not drill: no file lock involved) holds the lock.
hold
hpid=$(q "$p1" "select pid from pg_locks where locktype = 'advisory' and classid = 1685219692 and granted")
run_drill "$work/locked.out"
rc=$?
cat "$work/locked.out"
run=$(sq "select max(id) from runs")
check "a drill is refused while the advisory lock is held (exit 3)" [ "$rc" -eq 3 ]
check "the refusal names the holder (pid $hpid, application_name)" \
    grep -q "pid $hpid (application_name \"lock-holder-test\", client 127.0.0.1" "$work/locked.out"
check "no step ran in the refused run" [ "$(sq "select count(*) from steps where run_id = $run")" -eq 0 ]
check "the refusal is stored (event lock_refused, run status error)" \
    [ "$(sq "select count(*) from events where run_id = $run and name = 'lock_refused'")-$(sq "select status from runs where id = $run")" = 1-error ]
check "pg1 data intact (the drill's insert did not run)" [ "$(guard)" -eq 3 ]
release
run_drill "$work/free.out"
rc=$?
run=$(sq "select max(id) from runs")
[ "$rc" -eq 0 ] || cat "$work/free.out"
check "with the lock released the drill runs (exit 0)" [ "$rc" -eq 0 ]
check "its steps ran (the insert: 4 rows)" [ "$(guard)" -eq 4 ]
check "the run records the lock it held" \
    [ "$(sq "select count(*) from facts where run_id = $run and key = 'advisory_lock' and value like '%drill-lock run $run%'")" -eq 1 ]
check "the lost lock session is recorded as an event, not an error" \
    [ "$(sq "select count(*) from events where run_id = $run and name = 'advisory_lock_lost'")-$(sq "select status from runs where id = $run")" = 1-passed ]
check "the lock is released when the drill ends" [ "$(q "$p1" "$LOCK_SQL")" -eq 0 ]
rm -f "$sandbox/pg1/dryrun-touched"   # left by the real run's shell step

# ---- dry runs change nothing ---------------------------------------------------
snapshot() {
    echo "runs=$(sq "select count(*) from runs") steps=$(sq "select count(*) from steps")"
    echo "guard=$(guard) heartbeat=$(q "$p1" "select to_regclass('drill_heartbeat') is not null")"
    echo "pg1 pid=$(head -n 1 "$sandbox/pg1/data/postmaster.pid") pg2 pid=$(head -n 1 "$sandbox/pg2/data/postmaster.pid")"
    echo "recovery=$(q "$p1" 'select pg_is_in_recovery()')/$(q "$p2" 'select pg_is_in_recovery()')"
    q "$p1" "select application_name, state, sync_state from pg_stat_replication order by 1"
    q "$p1" "select slot_name, active from pg_replication_slots order by 1"
    q "$p1" "$LOCK_SQL"
    q "$p1" "select count(*) from pg_stat_activity where application_name like 'drill%'"
    ls -a "$sandbox" "$sandbox/pg1" "$sandbox/pg1/data" "$sandbox/pg2/data"
    ls -aR "$XDG_RUNTIME_DIR"
    as_barman list-backups pg1
}
snapshot > "$work/before"

dry "$work/pw.dry" primary-wipe --sandbox-dir "$sandbox"
rc=$?
check "dry run of primary-wipe passes (exit 0)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || cat "$work/pw.dry"   # which check failed
d1=$sandbox/pg1/data
for want in "find $d1 -mindepth 1 -delete" "-m immediate -w" \
    "recover --no-get-wal --target-tli latest pg1 latest $d1" "barman show-server pg1 (its streaming_wals_directory)" \
    "into $d1/barman_wal" "restore_command = '\\''cp barman_wal/%f %p" "drill-recovery-conf $d1 yes" \
    "recover --get-wal pg1 latest $d1" \
    "restore_command = '\\''barman -c $sandbox/barman/barman.conf get-wal -P pg1 %f > %p" \
    "on pg1 as postgres: /bin/sh -c" \
    "pg_basebackup -D $sandbox/pg2/data -d 'host=127.0.0.1 port=$p1" \
    "$sandbox/pg2/data -m immediate -w" "setsid \"\$@\" < /dev/null > /dev/null 2>&1 &' drill-receive-wal barman -c $sandbox/barman/barman.conf receive-wal pg1" \
    "SQL: ALTER SYSTEM RESET restore_command" "pg_create_physical_replication_slot('pg2', true)" \
    "create table if not exists drill_heartbeat"; do
    check "the plan shows: $want" grep -qF -- "$want" "$work/pw.dry"
done
check "the checks ran: target pin" grep -q "ok    target pin: system_identifier matches" "$work/pw.dry"
check "the checks ran: preflight probe" grep -q 'ok    step 2 "standby streams through its slot"' "$work/pw.dry"
check "a shell step promised read-only ran" grep -q 'ok    step 4 "a backup exists"' "$work/pw.dry"
check "heartbeat_start was skipped" grep -q 'skip  step 5 "start the heartbeat".*may change things' "$work/pw.dry"
check "the verdict line" grep -q '^dry run: all [0-9]* read-only checks passed' "$work/pw.dry"

for drill in standby-failover pitr-drop backup-verify replica-divergence; do
    dry "$work/$drill.dry" "$drill" --sandbox-dir "$sandbox"
    rc=$?
    [ "$rc" -eq 0 ] || cat "$work/$drill.dry"
    check "dry run of $drill passes (exit 0)" [ "$rc" -eq 0 ]
done
check "pitr-drop's CREATE DATABASE is refused by the server, not run" \
    grep -q 'skip  step 6 "create drill_app".*read-only transaction' "$work/pitr-drop.dry"

dry "$work/t.dry" "$T" --sandbox-dir "$sandbox"
rc=$?
cat "$work/t.dry" | sed -n '/^read-only checks/,$p'
check "dry run of the test drill passes (exit 0)" [ "$rc" -eq 0 ]
check "a reading sql step ran ($(guard) rows)" grep -q "ok    step 1 \"read the guarded table\" (sql on pg1): $(guard)\$" "$work/t.dry"
check "the writing sql step was refused by the server (read-only transaction)" \
    grep -q 'skip  step 2 "write to the guarded table".*cannot execute INSERT in a read-only transaction' "$work/t.dry"
check "the promised read-only shell step ran" grep -q 'ok    step 3 "list backups' "$work/t.dry"
check "the shell step without the promise was skipped" \
    grep -q 'skip  step 4 "leave a file.*may change things' "$work/t.dry"

snapshot > "$work/after"
diff "$work/before" "$work/after"
check "nothing changed: store, pg1 data, processes, replication, slots, locks, files, backups" \
    cmp -s "$work/before" "$work/after"
check "no store was created by the dry runs" [ ! -e "$work/dry.db" ]
check "the shell step did not run (no file)" [ ! -e "$sandbox/pg1/dryrun-touched" ]

# ---- failed checks: exit 3 with a clear message -------------------------------
runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$sandbox/pg2/data" -m fast -w stop > /dev/null
dry "$work/down.dry" primary-wipe --sandbox-dir "$sandbox"
rc=$?
check "a standby down fails the dry run (exit 3)" [ "$rc" -eq 3 ]
check "it says pg2 is unreachable" grep -q 'FAIL  node pg2 (standby) unreachable' "$work/down.dry"
check "and that the streaming check failed" grep -q 'FAIL  step 2 "standby streams' "$work/down.dry"
check "the verdict names the failure" grep -q '^dry run: [0-9]* check(s) FAILED.*first failure: node pg2' "$work/down.dry"
# Back the way the sandbox starts it (its port lives outside PGDATA; a bare
# pg_ctl start failed once in a loaded CI run); the port may change.
"$DRILL_BIN" sandbox up --dir "$sandbox" > "$work/up2.out" 2>&1 || cat "$work/up2.out"
sandbox_ports

sed 's/^system_identifier: .*/system_identifier: "1234567890123456789"/' "$sandbox/topology.yaml" > "$work/wrong.yaml"
dry "$work/pin.dry" primary-wipe -t "$work/wrong.yaml"
rc=$?
check "a wrong system_identifier pin fails the dry run (exit 3)" [ "$rc" -eq 3 ]
check "it names both identifiers" grep -q 'FAIL  target pin: .*system_identifier is [0-9]* but .* pins 1234567890123456789' "$work/pin.dry"

sed 's/^allow_destructive: true/allow_destructive: false/' "$sandbox/topology.yaml" > "$work/nodestroy.yaml"
dry "$work/yes.dry" primary-wipe -t "$work/nodestroy.yaml"
rc=$?
check "without --yes or allow_destructive the dry run fails (exit 3)" [ "$rc" -eq 3 ]
check "it says a real run would stop, and how to allow it" \
    grep -q 'FAIL  a real run would stop before step 1.*--yes' "$work/yes.dry"
dry "$work/yes2.dry" primary-wipe -t "$work/nodestroy.yaml" --yes
check "with --yes it passes" [ $? -eq 0 ]

hold
dry "$work/lock.dry" primary-wipe --sandbox-dir "$sandbox"
check "a held advisory lock fails the dry run (exit 3)" [ $? -eq 3 ]
check "it names the holder" grep -q "FAIL  drill's advisory lock: pid [0-9]* (application_name \"lock-holder-test\"" "$work/lock.dry"
release

"$DRILL_BIN" sandbox down --dir "$sandbox" > /dev/null
dry "$work/nosb.dry" primary-wipe -t "$work/nodestroy.yaml"
rc=$?
check "with the topology unreachable the dry run exits 3" [ "$rc" -eq 3 ]
check "it still prints the plan" grep -q 'barman_recover\|recover --get-wal' "$work/nosb.dry"
check "and says the checks could not run" grep -q '^dry run: the checks could not run: no PostgreSQL node' "$work/nosb.dry"

finish
