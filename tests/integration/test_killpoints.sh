#!/usr/bin/env bash
# Integration: kill points. drill is interrupted (SIGINT) or killed (SIGKILL)
# at a given step of a destructive drill on a real sandbox; after each, the
# follow-up — nothing after an interrupt (the drill finished its recovery or
# rolled back), `drill repair` after a kill — must leave, checked without
# drill: pg1 writable, pg2 streaming through its slot, Barman streaming
# synchronously and `barman check` OK, every heartbeat the run stored as
# acknowledged present on pg1, the store passing PRAGMA integrity_check and
# `drill verify`, and the next drill on the target not refused.
#
# A kill point is DRILL:STEP:SIGNAL, STEP being the 1-based step number of
# the progress lines ("[N/M]"). CI runs a fixed, representative set
# (KILLPOINTS unset): the restore, the re-clone and the fresh backup (a
# killed `barman backup` is left FAILED and fails `barman check` until the
# rollback deletes it) of primary-wipe, the
# promotion of standby-failover, each killed and interrupted, plus a double
# interrupt. The whole matrix — every step of both drills a run reaches (not
# the rollback's, which runs only after a failure), both signals — is
#     KILLPOINTS=all ctest --test-dir build -R integration/test_killpoints -V
# (or KILLPOINTS="primary-wipe:9:KILL standby-failover:7:INT" for a few).
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"
sandbox_up
until_ok() {  # until_ok SECONDS CMD...
    local end=$((SECONDS + $1)); shift
    until "$@" > /dev/null 2>&1; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.5; done
}
quiet_ok() { "$@" > "$work/quiet.out" 2>&1 || { cat "$work/quiet.out"; return 1; }; }
is_writable() { [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]; }
healthy() {  # healthy LABEL RUN
    local l=$1 present acked
    sandbox_ports
    check "$l: pg1 is a writable primary" until_ok 30 is_writable
    check "$l: pg2 streams from pg1 through slot pg2" until_ok 60 pg2_streams_through_slot
    check "$l: Barman streams synchronously through slot barman" until_ok 60 barman_streams_sync
    check "$l: barman check OK" until_ok 60 as_barman check pg1
    read -r present acked < <(acked_present "$2")
    if [ "$acked" -gt 0 ]; then
        check "$l: every heartbeat stored as acknowledged is on pg1 ($present of $acked)" \
            [ "$present" = "$acked" ]
    else   # killed before its heartbeat started
        echo "note - $l: the run stored no acknowledged heartbeat (killed before its heartbeat started)"
    fi
    check "$l: the store passes PRAGMA integrity_check" [ "$(sq 'pragma integrity_check')" = ok ]
    check "$l: drill verify passes" quiet_ok "$DRILL_BIN" verify --db "$db"
}

# killpoint DRILL STEP SIGNALS: runs DRILL, sends each of SIGNALS (INT, KILL,
# or INT+INT for a double interrupt) once step STEP has started.
killpoint() {
    local drill=$1 step=$2 sigs=$3 label="$1 step $2 $3" pid rc run sig
    "$DRILL_BIN" run "$drill" --sandbox-dir "$sandbox" --db "$db" --progress lines \
        > "$work/kp.out" 2> "$work/kp.err" &
    pid=$!
    for _ in $(seq 1 1200); do
        grep -qE "\[$step/[0-9]+\] .*: started" "$work/kp.err" && break
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.1
    done
    if ! grep -qE "\[$step/[0-9]+\] .*: started" "$work/kp.err"; then
        wait "$pid"
        check "$label: step $step was reached (the drill ended first: exit $?)" false
        tail -n 20 "$work/kp.err"
        # A run that failed on its own may hold the target: repair it, so one
        # point does not refuse every later one.
        "$DRILL_BIN" repair --sandbox-dir "$sandbox" --db "$db" --yes > "$work/repair.out" 2>&1 ||
            tail -n 20 "$work/repair.out"
        return
    fi
    # A kill lands once the step's command runs (a restore is a few seconds).
    [ "$sigs" = KILL ] && sleep 1
    for sig in ${sigs//+/ }; do kill -s "$sig" "$pid"; sleep 0.3; done
    wait "$pid"
    rc=$?
    run=$(sq "select max(id) from runs")
    echo "$label: drill exited $rc, run $run: $(sq "select status || ' - ' || message from runs where id = $run")"
    sq "select '  step ' || (seq + 1) || ' ' || name || ': ' || status || ' - ' || substr(message, 1, 200) from steps where run_id = $run and status not in ('ok', 'skipped')"
    case $sigs in
    KILL)
        check "$label: history shows the killed run aborted, not running" \
            grep -qE "^ *$run .* aborted" <("$DRILL_BIN" history --db "$db" 2>&1)
        if [ -n "$(sq "select 1 from events where run_id = $run and name = 'fault_injected'")" ]; then
            "$DRILL_BIN" run "$drill" --sandbox-dir "$sandbox" --db "$db" > "$work/refused.out" 2>&1
            rc=$?
            check "$label: the next run on the target is refused, exit 3 (got $rc)" [ "$rc" -eq 3 ]
            check "$label: ... naming the unfinished run" grep -q "run $run ($drill, " "$work/refused.out"
            check "$label: ... and drill repair" grep -q "drill repair" "$work/refused.out"
            "$DRILL_BIN" repair --sandbox-dir "$sandbox" --db "$db" --yes --progress lines \
                > "$work/repair.out" 2>&1
            rc=$?
            tail -n 15 "$work/repair.out"
            check "$label: drill repair exits 0 (got $rc)" [ "$rc" -eq 0 ]
            # A restore the killed drill left running would race the repair's
            # own; the repair stops it first (whether one is still running
            # depends on timing: test_rollback checks it deterministically).
            grep -o "stopped [0-9]* command(s) .*" "$work/repair.out" || true
        fi ;;
    INT+INT)
        check "$label: exit 130 (got $rc)" [ "$rc" -eq 130 ]
        check "$label: stopped at once, said so" \
            [ "$(sq "select count(*) from events where run_id = $run and name = 'stopped_at_once'")" -eq 1 ]
        "$DRILL_BIN" repair --sandbox-dir "$sandbox" --db "$db" --yes --progress lines \
            > "$work/repair.out" 2>&1
        rc=$?
        tail -n 15 "$work/repair.out"
        check "$label: drill repair exits 0 (got $rc)" [ "$rc" -eq 0 ] ;;
    INT)
        check "$label: exit 130, or 0/1 when the drill had ended (got $rc)" \
            bash -c '[ "$1" -eq 130 ] || [ "$1" -le 1 ]' _ "$rc"
        check "$label: service came back without a repair" \
            [ "$(sq "select count(*) from events where run_id = $run and name in ('service_restored')")" -ge \
              "$(sq "select count(*) from events where run_id = $run and name = 'fault_injected'")" ] ;;
    esac
    healthy "$label" "$run"
}

# Step numbers of the shipped drills (progress "[N/M]"), read from a dry run.
step_of() {  # step_of DRILL NAME: the number of the step called NAME
    "$DRILL_BIN" run --dry-run "$1" --sandbox-dir "$sandbox" 2>/dev/null \
        | sed -nE "s/^ +([0-9]+)\. $2 .*/\1/p" | head -n 1
}
# The steps a passing run reaches: all but the rollback's (it runs only
# after a failure; test_rollback covers it, and a repair runs it).
reachable_steps() {
    "$DRILL_BIN" run --dry-run "$1" --sandbox-dir "$sandbox" 2>/dev/null |
        awk '/^[a-z]+:$/ { phase = $1 } /^ +[0-9]+\. / && phase != "rollback:" { sub(/\./, "", $1); print $1 }'
}

points=()
restore=$(step_of primary-wipe 'restore the latest backup with')
case ${KILLPOINTS:-} in
'')
    reclone=$(step_of primary-wipe 're-clone the standby ')
    backup=$(step_of primary-wipe 'take a fresh backup on the new timeline')
    promote=$(step_of standby-failover 'promote the standby')
    points=("primary-wipe:$restore:INT" "primary-wipe:$restore:KILL" "primary-wipe:$reclone:KILL"
            "primary-wipe:$backup:KILL"
            "primary-wipe:$restore:INT+INT" "standby-failover:$promote:KILL"
            "standby-failover:$promote:INT") ;;
all)
    for d in primary-wipe standby-failover; do
        for i in $(reachable_steps "$d"); do points+=("$d:$i:INT" "$d:$i:KILL"); done
    done ;;
*) read -r -a points <<<"$KILLPOINTS" ;;
esac
check "kill points chosen (${#points[@]}: ${points[*]})" [ "${#points[@]}" -ge 1 ]
t0=$SECONDS
for p in "${points[@]}"; do
    IFS=: read -r d s sig <<<"$p"
    killpoint "$d" "$s" "$sig"
done
echo "measure: ${#points[@]} kill points in $((SECONDS - t0)) s"
sandbox_down_checked
finish
