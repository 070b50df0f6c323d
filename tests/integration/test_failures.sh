#!/usr/bin/env bash
# Integration: failure injection. Each case breaks something drill depends on
# and checks that drill says what failed, where and how to fix it (one line
# on stderr), that cleanup ran, that the run is stored (error / aborted /
# failed, never left `running`) with every earlier record intact, and that
# `drill verify` still passes:
#   1. PostgreSQL unreachable (preflight, exit 3) and stopped mid-drill
#      before a verify step (exit 1);
#   2. Barman failing: unknown server (preflight, exit 3), unknown backup id
#      (recover, exit 1), barman's own ERROR line in the step message;
#   3. a data directory its OS user (postgres) cannot write (recover, exit 1);
#   4. disk full under the store (1 MB tmpfs, root only: SKIP otherwise);
#   5. the store locked by another process (before and during a run, and a
#      lock released while drill waits) and read-only for the user running
#      drill (refused before any step);
#   6. a step outliving its timeout (its process group killed).
# Cases 1b-3 share one sandbox; the others need no server.
CHECK_LIB_NAME=failures . "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"
: "${DRILL_TEST_DATA:?}"
data=$DRILL_TEST_DATA/valid
export DRILL_FAIL_DIR=$work/f
mkdir -p "$DRILL_FAIL_DIR"
full=$DRILL_FAIL_DIR/full
locker_pid=
cleanup() {
    [ -n "$locker_pid" ] && kill "$locker_pid" 2> /dev/null
    mountpoint -q "$full" 2> /dev/null && umount "$full"
    "$DRILL_BIN" sandbox down --dir "$sandbox" > /dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
# The store may still be busy for a moment after a locker exits (its
# connection's checkpoint on close): wait for it, like drill does.
sq3() { sqlite3 -cmd ".timeout 5000" "$@"; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# A local topology without servers: pg1 on a port nothing listens on
# (free_port, ../test-lib.sh).
topo=$work/topo-local.yaml
cat > "$topo" <<YAML
name: failures-local
allow_destructive: true
nodes:
  - name: pg1
    role: primary
    access: local
    conninfo: "host=127.0.0.1 port=$(free_port) user=postgres dbname=postgres"
    data_directory: $work/nodata
  - name: backup
    role: backup
    access: local
    barman_config: $work/no-barman.conf
    barman_server: pg1
YAML

# run_drill DB TOPOLOGY DRILL [ENV...]: runs it, sets rc, out, err (files).
run_drill() {
    local d=$1 t=$2 f=$3
    shift 3
    env "$@" "$DRILL_BIN" run -t "$t" --db "$d" --progress lines "$f" \
        > "$work/out" 2> "$work/err"
    rc=$?
    echo "--- $(basename "$f"): exit $rc"; grep -E 'error|fail|timeout|cannot|drill:' "$work/err" | head -n 8
}
node_line() { grep -n -- "- name: $2\$" "$1" | head -n 1 | cut -d: -f1; }
last_run() { sq3 "$1" "select max(id) from runs"; }
run_is() { [ "$(sq3 "$1" "select status || ' ' || exit_code from runs where id = $2")" = "$3" ]; }
step_is() { [ "$(sq3 "$1" "select status from steps where run_id = $2 and name = '$3'")" = "$4" ]; }
err_has() { local s; for s; do grep -qF -- "$s" "$work/err" || return 1; done; }  # all of them
# A digest of every run before RUN and everything recorded with them.
earlier() {
    sq3 "$1" "select * from runs where id < $2; select * from steps where run_id < $2;
                  select * from events where run_id < $2; select * from facts where run_id < $2;
                  select * from evidence where run_id < $2" | sha256sum
}
store_sound() {  # store_sound DB WHAT: integrity_check and drill verify
    check "$2: integrity_check ok" [ "$(sq3 "$1" 'pragma integrity_check')" = ok ]
    "$DRILL_BIN" verify --db "$1" > "$work/verify.out" 2>&1
    check "$2: drill verify passes" [ $? -eq 0 ]
}

# ---- 1a. PostgreSQL unreachable: preflight fails, exit 3 ----
d=$work/d.db
run_drill "$d" "$topo" "$data/fail-timeout.yaml"   # an earlier run to keep intact
sum=$(earlier "$d" 99)
run_drill "$d" "$topo" "$data/fail-pg-unreachable.yaml"
r=$(last_run "$d")
check "unreachable: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "unreachable: stderr names the node, its topology line and libpq's reason" \
    err_has 'pg1 answers: error' "cannot connect to pg1 (node at line $(node_line "$topo" pg1) of the topology): PostgreSQL 127.0.0.1:"
check "unreachable: ... Connection refused" err_has "Connection refused"
check "unreachable: stored as error, exit 3" run_is "$d" "$r" "error 3"
check "unreachable: the run's message names the step and the reason" \
    [ "$(sq3 "$d" "select count(*) from runs where id = $r and message like 'first failed step: pg1 answers: cannot connect to pg1%'")" -eq 1 ]
check "unreachable: the fault was skipped" step_is "$d" "$r" "never runs" skipped
check "unreachable: ... and never ran" [ ! -e "$DRILL_FAIL_DIR/fault-ran" ]
check "unreachable: cleanup ran" step_is "$d" "$r" "cleanup runs" ok

# ---- 6. a step outliving its timeout ----
run_drill "$d" "$topo" "$data/fail-timeout.yaml"
r=$(last_run "$d")
check "timeout: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "timeout: stderr says the step timed out" err_has "sleeps past its timeout: timeout ("
check "timeout: the step is stored as timeout" step_is "$d" "$r" "sleeps past its timeout" timeout
check "timeout: the run as error, exit 3" run_is "$d" "$r" "error 3"
check "timeout: the message says so" \
    [ "$(sq3 "$d" "select count(*) from steps where run_id = $r and message like '%did not finish before the step''s timeout%'")" -eq 1 ]
child=$(cat "$DRILL_FAIL_DIR/child.pid" 2> /dev/null | awk '{print $1}')
# Dead, or a zombie waiting for its (re)parent to reap it.
gone() { [ -n "$1" ] && { [ ! -d "/proc/$1" ] || [ "$(ps -o stat= -p "$1" | cut -c1)" = Z ]; }; }
check "timeout: the command's background child was killed with its group (pid ${child:-?})" \
    gone "$child"
check "timeout: cleanup ran" step_is "$d" "$r" "cleanup runs" ok

# ---- 5a. store locked by another process ----
lock_store() {  # lock_store DB SECONDS: holds BEGIN EXCLUSIVE in the background
    rm -f "$work/locked"
    python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute("BEGIN EXCLUSIVE")
open(sys.argv[3], "w").write("locked\n"); time.sleep(float(sys.argv[2])); c.execute("ROLLBACK")' \
        "$1" "$2" "$work/locked" &
    locker_pid=$!
    for _ in $(seq 200); do [ -s "$work/locked" ] && return 0; sleep 0.05; done
    return 1
}
nruns=$(sq3 "$d" "select count(*) from runs")
lock_store "$d" 30
t0=$(date +%s%N)
run_drill "$d" "$topo" "$data/fail-timeout.yaml"
waited=$(( ($(date +%s%N) - t0) / 1000000 ))
kill "$locker_pid"; wait "$locker_pid" 2> /dev/null; locker_pid=
check "locked: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "locked: drill waited its busy timeout first (${waited} ms >= 4500)" [ "$waited" -ge 4500 ]
check "locked: one clear error naming the file" \
    err_has "drill run: error: store $d: starting a migration: database is locked (locked by another process; waited 5000 ms)"
check "locked: with a hint" err_has "hint: let the other drill or sqlite3 session holding the store finish"
check "locked: no run was started" [ "$(sq3 "$d" "select count(*) from runs")" -eq "$nruns" ]

lock_store "$d" 2
run_drill "$d" "$topo" "$data/fail-timeout.yaml"
wait "$locker_pid" 2> /dev/null; locker_pid=
check "lock released while drill waits: the run proceeds (exit 3 of fail-timeout, got $rc)" \
    [ "$rc" -eq 3 -a "$(sq3 "$d" "select count(*) from runs")" -eq $((nruns + 1)) ]

sum2=$(earlier "$d" 99)
r0=$(last_run "$d")
run_drill "$d" "$topo" "$data/fail-store-locked.yaml" DRILL_FAIL_DB="$d"
r=$(last_run "$d")
check "locked mid-run: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "locked mid-run: the run was recorded" [ "$r" -eq $((r0 + 1)) ]
check "locked mid-run: stderr says which step could not be recorded and that cleanup runs" \
    err_has 'drill: cannot record step "another process locks the store" in the store (error below): stopping the drill; rollback and cleanup still run'
check "locked mid-run: the error names the file and the lock" \
    err_has "drill run: error: store $d: recording a step: database is locked (locked by another process"
check "locked mid-run: the next step did not run" [ ! -e "$DRILL_FAIL_DIR/after-lock-ran" ]
check "locked mid-run: cleanup ran" [ -e "$DRILL_FAIL_DIR/cleanup-ran" ]
check "locked mid-run: cleanup was recorded once the lock was gone" step_is "$d" "$r" "cleanup runs" ok
check "locked mid-run: run finished as error, exit 3 (not left running)" run_is "$d" "$r" "error 3"
check "locked mid-run: its message carries the store error" \
    [ "$(sq3 "$d" "select count(*) from runs where id = $r and message like 'the store failed during the run%locked by another process%'")" -eq 1 ]
check "locked mid-run: the runs before it are intact" [ "$(earlier "$d" "$r")" = "$sum2" ]
check "the first run is intact after all local cases" [ "$(earlier "$d" 2)" = "$sum" ]
store_sound "$d" "local store"

# ---- bad store paths: a clear error, exit 3, nothing created ----
"$DRILL_BIN" verify --db "$work/missing/x.db" > "$work/out" 2> "$work/err"
rc=$?
check "verify of a missing store: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "verify of a missing store: says so, with a hint" \
    err_has "drill verify: error: no store at $work/missing/x.db: No such file or directory" "hint: check --db / DRILL_DB"
check "verify of a missing store: creates nothing" [ ! -e "$work/missing" ]
run_drill "$DRILL_FAIL_DIR" "$topo" "$data/fail-timeout.yaml"
check "--db naming a directory: exit 3 (got $rc), said so" \
    [ "$rc" -eq 3 -a "$(grep -c "store $DRILL_FAIL_DIR is a directory" "$work/err")" -eq 1 ]

# ---- 5b. store read-only for the user running drill ----
ro=$DRILL_FAIL_DIR/ro
mkdir -p "$ro/run" "$ro/marks"
cp "$d" "$ro/d.db"
if is_root; then
    chown -R nobody "$ro" && chmod 700 "$ro/run" && chmod 444 "$ro/d.db"
    nro=$(sq3 "$ro/d.db" "select count(*) from runs")
    runuser -u nobody -- env XDG_RUNTIME_DIR="$ro/run" DRILL_FAIL_DIR="$ro/marks" \
        "$DRILL_BIN" run -t "$topo" --db "$ro/d.db" --progress lines "$data/fail-timeout.yaml" \
        > "$work/out" 2> "$work/err"
    rc=$?
    echo "--- read-only store: exit $rc"; cat "$work/err"
    check "read-only: exit 3 (got $rc)" [ "$rc" -eq 3 ]
    check "read-only: the error names the file, the cause and the fix" \
        err_has "drill run: error: store $ro/d.db: recording the start of a run: attempt to write a readonly database (the file or its directory is not writable for this user)"
    check "read-only: refused before any step ran" [ ! -e "$ro/marks/child.pid" ]
    check "read-only: nothing was added" [ "$(sq3 "$ro/d.db" "select count(*) from runs")" -eq "$nro" ]
else
    echo "SKIP read-only store (needs root to run drill as another user)"
fi

# ---- 4. disk full under the store ----
if is_root && mkdir -p "$full" && mount -t tmpfs -o size=1m tmpfs "$full"; then
    fd=$full/d.db
    run_drill "$fd" "$topo" "$data/fail-timeout.yaml"   # committed before the disk fills
    sumf=$(earlier "$fd" 99)
    run_drill "$fd" "$topo" "$data/fail-disk-full.yaml"
    r=$(last_run "$fd")
    check "disk full: exit 3 (got $rc)" [ "$rc" -eq 3 ]
    check "disk full: the error names the file and ENOSPC" \
        err_has "drill run: error: store $fd: recording a step: database or disk is full (disk full, ENOSPC)"
    check "disk full: with a hint" err_has "hint: free space on the file system holding the store"
    check "disk full: the next step did not run" [ ! -e "$DRILL_FAIL_DIR/after-full-ran" ]
    check "disk full: cleanup ran and freed the space" [ ! -e "$full/fill" ]
    check "disk full: cleanup recorded, run finished as error" \
        [ "$(step_is "$fd" "$r" "free the space" ok && run_is "$fd" "$r" "error 3" && echo y)" = y ]
    check "disk full: the run before is intact" [ "$(earlier "$fd" "$r")" = "$sumf" ]
    store_sound "$fd" "disk-full store"
    head -c 2000000 /dev/zero > "$full/fill" 2> /dev/null
    run_drill "$fd" "$topo" "$data/fail-timeout.yaml"
    check "disk full before the run: exit 3 (got $rc), ENOSPC named" \
        [ "$rc" -eq 3 -a "$(grep -c "store $fd: .*(disk full, ENOSPC)" "$work/err")" -eq 1 ]
    rm -f "$full/fill"
    check "disk full before the run: nothing lost" [ "$(earlier "$fd" "$r")" = "$sumf" ]
    umount "$full"
else
    skip_part "disk full: cannot mount a tmpfs (needs root)"
fi

# ---- 1b, 2, 3: cases on a real sandbox ----
sandbox_up
sd=$db
stopo=$work/topo-sb.yaml
mkdir -m 700 "$work/rootonly"
# The sandbox's topology plus pg3, a standby whose data directory lies
# under a directory only root may enter (its OS user is postgres). Drills
# name roles, not nodes: pg3 comes before pg2, so it is the node the role
# `standby` stands for (the first standby); pg2 stays in the topology.
/usr/bin/python3 - "$sandbox/topology.yaml" "$stopo" "$work/rootonly/pg3/data" <<'PY'
import sys
t = open(sys.argv[1]).read()
pg3 = ("  - name: pg3\n    role: standby\n    access: local\n    os_user: postgres\n"
       "    conninfo: \"host=127.0.0.1 port=1 user=postgres dbname=postgres\"\n"
       "    data_directory: %s\n    bin_directory: /usr/lib/postgresql/15/bin\n"
       "    upstream: pg1\n" % sys.argv[3])
assert t.count("  - name: pg2\n") == 1, "no pg2 node in the sandbox topology"
open(sys.argv[2], "w").write(t.replace("  - name: pg2\n", pg3 + "  - name: pg2\n"))
PY
sed 's/barman_server: pg1/barman_server: nosuch/' "$stopo" > "$work/topo-nosuch.yaml"

run_drill "$sd" "$work/topo-nosuch.yaml" "$data/fail-barman.yaml"
r=$(last_run "$sd")
check "barman unknown server: exit 3, preflight (got $rc)" [ "$rc" -eq 3 ]
check "barman unknown server: barman's own error in the step line" \
    err_has "check nosuch\` exited with status 1 (expected 0): ERROR: Unknown server 'nosuch'"
check "barman unknown server: stored as error; recover skipped; cleanup ran" \
    [ "$(run_is "$sd" "$r" "error 3" && step_is "$sd" "$r" "restore a backup that does not exist" skipped && step_is "$sd" "$r" "cleanup runs" ok && echo y)" = y ]

chmod 755 "$work/rootonly"   # pg3's directory writable: only the backup id is wrong
run_drill "$sd" "$stopo" "$data/fail-barman.yaml"
r=$(last_run "$sd")
check "barman unknown backup: exit 1, recovery failed (got $rc)" [ "$rc" -eq 1 ]
check "barman unknown backup: barman's own error in the step line" \
    err_has "exited with status 1 (expected 0): ERROR: Unknown backup '20000101T000000' for server 'pg1'"
check "barman unknown backup: stored as failed; cleanup ran" \
    [ "$(run_is "$sd" "$r" "failed 1" && step_is "$sd" "$r" "cleanup runs" ok && echo y)" = y ]
check "barman unknown backup: the run's message carries barman's error" \
    [ "$(sq3 "$sd" "select count(*) from runs where id = $r and message like '%ERROR: Unknown backup%'")" -eq 1 ]
rm -rf "$work/rootonly/pg3"; chmod 700 "$work/rootonly"

run_drill "$sd" "$stopo" "$data/fail-primary-stopped.yaml"
r=$(last_run "$sd")
check "pg stopped: exit 1, verification failed (got $rc)" [ "$rc" -eq 1 ]
check "pg stopped: stderr names the node and the topology line" \
    err_has "pg1 is writable: error (" "cannot connect to pg1 (node at line $(node_line "$stopo" pg1) of the topology): PostgreSQL 127.0.0.1:$p1: cannot connect"
check "pg stopped: stored as failed, exit 1" run_is "$sd" "$r" "failed 1"
check "pg stopped: cleanup started pg1 again" step_is "$sd" "$r" "start pg1 again" ok
check "pg stopped: pg1 is a writable primary again" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]

if is_root; then
    run_drill "$sd" "$stopo" "$data/fail-datadir.yaml"
    r=$(last_run "$sd")
    check "datadir not writable: exit 1, recovery failed (got $rc)" [ "$rc" -eq 1 ]
    check "datadir not writable: barman names the directory" \
        err_has "ERROR: unable to initialise destination directory '$work/rootonly/pg3/data'"
    check "datadir not writable: the cleanup re-clone names it too: Permission denied" \
        err_has "re-clone into an unwritable directory: failed" "$work/rootonly/pg3/data" "Permission denied"
    check "datadir not writable: stored as failed, cleanup step recorded" \
        [ "$(run_is "$sd" "$r" "failed 1" && step_is "$sd" "$r" "re-clone into an unwritable directory" failed && echo y)" = y ]
else
    echo "SKIP data directory not writable (needs root: the servers run as postgres)"
fi
# pg2 reconnects to the restarted pg1 within wal_retrieve_retry_interval (5 s).
for _ in $(seq 100); do pg2_streams_through_slot 2> /dev/null && break; sleep 0.2; done
check "after the failures pg1 is writable" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
check "after the failures pg2 streams from pg1 through its slot" pg2_streams_through_slot
store_sound "$sd" "sandbox store"
sandbox_down_checked
finish
