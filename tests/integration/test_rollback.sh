#!/usr/bin/env bash
# Integration: a drill that fails or is interrupted after its fault still
# leaves the database serving (README "Safety"), on a real sandbox, checked
# without drill after each case: pg1 writable, pg2 streaming through its
# slot, Barman streaming synchronously, barman check OK, and every heartbeat
# drill saw acknowledged on pg1.
#  1. a recover step fails right after the restore: the rollback runs (each
#     step only where still needed: `unless:`), verify is skipped, exit 1;
#  2. SIGINT while Barman restores the wiped primary: the recovery finishes,
#     verify is skipped, cleanup runs, exit 130, the run says which path;
#  3. SIGHUP (the operator's SSH session closing) at the same point: exit 129.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"
sandbox_up

healthy() {  # healthy LABEL RUN
    local l=$1 run=$2 acked present
    check "$l: pg1 is a writable primary" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
    check "$l: pg2 streams from pg1 through slot pg2" pg2_streams_through_slot
    check "$l: Barman streams synchronously through slot barman" barman_streams_sync
    check "$l: barman check OK" as_barman check pg1
    acked=$(sq "select cast(value as int) from measures where run_id = $run and key = 'heartbeat_acked'")
    present=$(q "$p1" "select count(*) from drill_heartbeat where run_uuid = '$(run_uuid "$run")'")
    check "$l: every acknowledged heartbeat is on pg1 ($present >= ${acked:-none})" \
        [ -n "$acked" ] && [ "${present:-0}" -ge "$acked" ]
}
step_status() { sq "select status from steps where run_id = $run and name = '$1'"; }
count_status() { sq "select count(*) from steps where run_id = $run and phase = '$1' and status = '$2'"; }

# --- 1. a failed recovery step: rollback --------------------------------------------
# primary-wipe as shipped, with one recover step that fails after the restore
# (the primary is restored but not started: the rollback must start it).
awk '{ print }
     /^    get_wal: true$/ && !done {
         print "  - name: an injected failure after the restore"
         print "    kind: shell"
         print "    node: backup"
         print "    command: echo injected >&2; exit 1"
         done = 1 }' "$DRILL_SOURCE_DIR/drills/primary-wipe.yaml" > "$work/pw-fails.yaml"
sandbox_run fails "$work/pw-fails.yaml"
check "failed recovery: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "failed recovery: stored as failed" [ "$(sq "select status from runs where id = $run")" = failed ]
check "the run's message names the failed step and the rollback" \
    grep -q "first failed step: an injected failure after the restore: .*; rollback ran$" \
    <<<"$(sq "select message from runs where id = $run")"
check "progress said it rolls back" grep -q 'rolling back' "$work/fails.err"
check "a rollback event is stored" [ "$(sq "select count(*) from events where run_id = $run and name = 'rollback'")" -eq 1 ]
check "the rest of the recovery and verify were skipped" \
    [ "$(count_status verify ok)" -eq 0 ] && [ "$(step_status 'start the restored primary')" = skipped ]
check "rollback: the primary was not running, so it was started" \
    [ "$(step_status 'start the primary unless it serves')" = ok ]
check "rollback: no step of it failed" [ "$(count_status rollback ok)" -ge 3 ] && \
    [ "$(sq "select count(*) from steps where run_id = $run and phase = 'rollback' and status not in ('ok', 'skipped')")" -eq 0 ]
check "rollback: a step not needed says why" \
    grep -q '^not needed: unless accepting on pg1 holds' <<<"$(sq "select message from steps where run_id = $run and name = 'restore the latest backup again unless the primary serves'")"
check "cleanup ran" [ "$(count_status cleanup ok)" -ge 1 ]
healthy "after the rollback" "$run"

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
    check "$label: verify skipped, rollback not needed" \
        [ "$(count_status verify ok)" -eq 0 ] && [ "$(count_status rollback ok)" -eq 0 ]
    healthy "after $label" "$run"
done
sandbox_down_checked
finish
