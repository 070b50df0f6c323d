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
#  3. SIGHUP (the operator's SSH session closing) at the same point: exit 129.
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
fails_after early "    get_wal: true"
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
        grep -q 'restore the latest backup with the streamed WAL: started' "$work/$label.err" && break
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
sandbox_down_checked
finish
