#!/usr/bin/env bash
# Integration: a drill that fails or is interrupted after its fault still
# leaves the database serving (README "Safety"), on a real sandbox, checked
# without drill after each case: pg1 writable, pg2 streaming through its
# slot, Barman streaming synchronously, barman check OK, and every heartbeat
# drill saw acknowledged on pg1.
#  1. a recover step fails right after the restore (the rollback restores
#     and starts the primary) and at the end of the recovery (everything
#     serves: the rollback's steps are not needed, `unless:`), verify is
#     skipped, exit 1;
#  2. SIGINT while Barman restores the wiped primary: the recovery finishes,
#     verify is skipped, cleanup runs, exit 130, the run says which path;
#  3. SIGHUP (the operator's SSH session closing) at the same point: exit 129;
#  4. the unfinished-drill marker on the primary: a drill killed after its
#     fault is refused from another store too (exit 3), `drill repair` there
#     repairs it from the marker and removes it; a marker of a run the store
#     knows finished is removed as stale; the repair first stops the
#     command the killed drill left running.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"
sandbox_up

healthy() {  # healthy LABEL RUN
    local l=$1 run=$2 present acked
    check "$l: pg1 is a writable primary" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
    check "$l: pg2 streams from pg1 through slot pg2" pg2_streams_through_slot
    check "$l: Barman streams synchronously through slot barman" barman_streams_sync
    check "$l: barman check OK" as_barman check pg1
    read -r present acked < <(acked_present "$run")
    check "$l: every acknowledged heartbeat is on pg1 ($present of $acked)" [ "$present" = "$acked" ]
}
step_status() { sq "select status from steps where run_id = $run and name = '$1'"; }
count_status() { sq "select count(*) from steps where run_id = $run and phase = '$1' and status = '$2'"; }
count_not() { sq "select count(*) from steps where run_id = $run and phase = '$1' and status not in ($2)"; }

# --- 1. a failed recovery step: rollback --------------------------------------------
# fails_after LABEL LINE: primary-wipe as shipped, with a recover step that
# fails inserted after the first line that is LINE; runs it.
fails_after() {
    awk -v at="$2" '{ print }
         $0 == at && !done {
             print "  - name: an injected failure"
             print "    kind: shell"
             print "    node: backup"
             print "    command: echo injected >&2; exit 1"
             done = 1 }' "$DRILL_SOURCE_DIR/drills/primary-wipe.yaml" > "$work/$1.yaml"
    sandbox_run "$1" "$work/$1.yaml"
}
rollback_ran() {  # rollback_ran LABEL
    check "$1: exit 1 (got $rc)" [ "$rc" -eq 1 ]
    check "$1: stored as failed" [ "$(sq "select status from runs where id = $run")" = failed ]
    check "$1: the run's message names the failed step and the rollback" \
        grep -q "^first failed step: an injected failure: .*; rollback ran$" \
        <<<"$(sq "select message from runs where id = $run")"
    check "$1: progress said it rolls back" grep -q 'rolling back' "$work/$1.err"
    check "$1: a rollback event is stored" \
        [ "$(sq "select count(*) from events where run_id = $run and name = 'rollback'")" -eq 1 ]
    check "$1: verify was skipped" [ "$(count_not verify "'skipped'")" -eq 0 ]
    check "$1: no rollback step failed" [ "$(count_not rollback "'ok', 'skipped'")" -eq 0 ]
    check "$1: cleanup ran" [ "$(count_not cleanup "'ok'")" -eq 0 ]
}
# (a) right after the restore: the primary is restored but not started.
fails_after early "    stage_wal: true"
rollback_ran early
check "early: the rest of the recovery was skipped" [ "$(step_status 'start the restored primary')" = skipped ]
check "early: rollback stops whatever is left (nothing runs: fine)" \
    [ "$(step_status 'stop whatever is left of the primary unless it serves')" = ok ]
check "early: rollback starts the primary" [ "$(step_status 'start the primary unless it serves')" = ok ]
healthy "after the early rollback" "$run"
# (b) at the end of the recovery: everything serves again, so the rollback's
# restoring steps are not needed and say why.
fails_after late "    command: backup"
rollback_ran late
for s in 'stop whatever is left of the primary unless it serves' \
         'restore the latest backup again unless the primary serves' \
         'start the primary unless it serves' 're-clone the standby unless it streams'; do
    check "late: \"$s\" not needed" \
        grep -q '^not needed: unless \(accepting on pg1\|streaming on pg2\) holds' \
        <<<"$(sq "select status || ': ' || message from steps where run_id = $run and name = '$s'" | sed 's/^skipped: //')"
done
healthy "after the late rollback" "$run"

# --- 2 and 3. interrupted while Barman restores the wiped primary -------------------
# interrupt LABEL SIGNAL: runs primary-wipe, sends SIGNAL once the restore
# has started, waits for drill; sets rc and run.
interrupt() {
    local label=$1 sig=$2 pid
    "$DRILL_BIN" run primary-wipe --sandbox-dir "$sandbox" --db "$db" --progress lines \
        > "$work/$label.out" 2> "$work/$label.err" &
    pid=$!
    for _ in $(seq 1 600); do
        grep -q 'restore the latest backup with the streamed WAL staged: started' "$work/$label.err" && break
        sleep 0.1
    done
    kill -s "$sig" "$pid"
    wait "$pid"
    rc=$?
    tail -n 25 "$work/$label.err"
    run=$(sq "select max(id) from runs")
}
for case in "sigint INT 130 2" "sighup HUP 129 1"; do
    read -r label sig code num <<<"$case"
    interrupt "$label" "$sig"
    check "$label during the restore: exit $code (got $rc)" [ "$rc" -eq "$code" ]
    check "$label: stored as aborted" [ "$(sq "select status from runs where id = $run")" = aborted ]
    check "$label: the message says the recovery finished, verify skipped, cleanup ran" \
        [ "$(sq "select message from runs where id = $run")" = "interrupted by signal $num after the fault: recovery finished, verify skipped, cleanup ran" ]
    check "$label: progress said it finishes the recovery" grep -q 'finishing the recovery' "$work/$label.err"
    check "$label: every recover step ran and passed" \
        [ "$(sq "select count(*) from steps where run_id = $run and phase = 'recover' and status <> 'ok'")" -eq 0 ]
    check "$label: verify skipped" [ "$(count_not verify "'skipped'")" -eq 0 ]
    check "$label: rollback not needed" [ "$(count_not rollback "'skipped'")" -eq 0 ]
    healthy "after $label" "$run"
done
# --- 4. the marker on the primary ------------------------------------------------------
cat > "$work/marker.yaml" <<'EOF'
name: marker-probe
description: a fault that only waits (harmless), to be killed in
variables:
  nap: "59.7"   # a value no other process sleeps: pgrep finds this one
preflight:
  - name: the primary is writable
    kind: wait_for
    node: primary
    probe: writable
    timeout: 10s
fault:
  - name: a fault that only waits
    kind: shell
    node: primary
    command: sleep ${nap}
EOF
markers() { q "$p1" "select count(*) from drill_unfinished"; }
"$DRILL_BIN" run "$work/marker.yaml" --sandbox-dir "$sandbox" --db "$db" --progress lines \
    > "$work/mk.out" 2> "$work/mk.err" &
pid=$!
# Killed once its command runs: "started" is printed just before the fork, and
# a kill right then left no command behind (the check below failed once).
for _ in $(seq 1 300); do pgrep -f "^sleep 59.7$" > /dev/null && break; sleep 0.1; done
kill -KILL "$pid"; wait "$pid"
killed=$(sq "select max(id) from runs")
uuid=$(run_uuid "$killed")
check "marker: the killed run's marker is on pg1" \
    [ "$(q "$p1" "select run_uuid || ' ' || drill from drill_unfinished")" = "$uuid marker-probe" ]
other="$work/other.db"
"$DRILL_BIN" run "$work/marker.yaml" --sandbox-dir "$sandbox" --db "$other" --set nap=0 \
    > "$work/mk-other.out" 2>&1
rc=$?
check "marker: a runner with another store is refused, exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "marker: ... naming the run, its runner and store" \
    grep -q "run $uuid (marker-probe, fault injected .*, from host .*, store $db, run $killed;" \
    "$work/mk-other.out"
check "marker: the killed drill's command still runs" pgrep -f "^sleep 59.7$"
"$DRILL_BIN" repair --sandbox-dir "$sandbox" --db "$other" --yes > "$work/mk-repair.out" 2>&1
rc=$?
tail -n 5 "$work/mk-repair.out"
check "marker: the repair first stopped the command the killed drill left running" \
    grep -q "stopped 2 command(s) run $uuid (of another store) left running on this host before repairing: sh (pid [0-9]*), sleep (pid [0-9]*)" \
    "$work/mk-repair.out"
check "marker: ... it is gone" bash -c '! pgrep -f "^sleep 59.7$"'

check "marker: drill repair with the other store exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "marker: ... says it repaired the run from the marker" \
    grep -q "drill repair: run $uuid repaired by run 2: target sandbox released" "$work/mk-repair.out"
check "marker: ... and removed the marker" [ "$(markers)" -eq 0 ]
check "marker: the other store records what it repaired" \
    [ "$(sqlite3 "$other" "select value from facts where key = 'repairs'")" = "$uuid" ]
"$DRILL_BIN" run "$work/marker.yaml" --sandbox-dir "$sandbox" --db "$db" --set nap=0 \
    > "$work/mk-own.out" 2>&1
rc=$?
check "marker: the killing store still holds its own marker: refused, exit 3 (got $rc)" [ "$rc" -eq 3 ]
"$DRILL_BIN" repair --sandbox-dir "$sandbox" --db "$db" --check > "$work/mk-check.out" 2>&1
check "marker: drill repair --check releases it there" grep -q "run $killed repaired by run" "$work/mk-check.out"
sandbox_run mk-pass "$work/marker.yaml" --set nap=0
check "marker: the next run passes (got $rc)" [ "$rc" -eq 0 ]
check "marker: a passing run leaves no marker" [ "$(markers)" -eq 0 ]
check "marker: ... and says it wrote and removed one" \
    [ "$(sq "select group_concat(key || '=' || substr(value, 1, 7), ' ') from (select key, value from facts where run_id = $run and key like 'primary_marker%' order by key)")" = "primary_marker=written primary_marker_cleared=yes" ]
# A restore can bring a removed row back: a marker of a run this store knows
# finished is stale, not a refusal.
target=$(sq "select value from facts where run_id = $run and key = 'target'")
q "$p1" "insert into drill_unfinished (target, run_uuid, drill, runner, drill_source) values ('$target', '$(run_uuid "$run")', 'marker-probe', 'restored', '')" > /dev/null
sandbox_run mk-stale "$work/marker.yaml" --set nap=0
check "marker: a marker of a run this store knows finished does not refuse (got $rc)" [ "$rc" -eq 0 ]
check "marker: ... it is removed as stale, said so" \
    [ "$(sq "select count(*) from events where run_id = $run and name = 'marker_stale'")" -eq 1 ]
check "marker: ... none is left" [ "$(markers)" -eq 0 ]
sandbox_down_checked
finish
