#!/usr/bin/env bash
# Integration: the whole drill catalogue, one drill after another on ONE fresh
# sandbox — standby-failover, replica-divergence, pitr-drop, slot-bloat,
# sync-standby-lost, archive-outage, block-corruption, backup-verify, primary-wipe,
# primary-wipe-getwal — and after each the sandbox is checked healthy
# independently of drill: pg1 writable primary, pg2 streaming from it through
# slot pg2 and caught up, Barman streaming synchronously through slot barman,
# `barman check` OK. Each drill's own test checks its outcome in depth; this
# one proves they compose (each leaves what the next one needs). Prints the
# wall time and headline figures of every drill.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

sandbox_up
measure() { sq "select coalesce(cast(value as int), '-') from measures where run_id = $1 and key = '$2' order by id desc limit 1"; }

healthy() {  # healthy AFTER_WHAT
    local what=$1 ok=1
    [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ] || { echo "  pg1 is not a writable primary"; ok=0; }
    pg2_streams_through_slot || { echo "  pg2 does not stream through slot pg2"; ok=0; }
    barman_streams_sync || { echo "  Barman does not stream synchronously through slot barman"; ok=0; }
    as_barman check pg1 > "$work/check.out" 2>&1 || { grep FAILED "$work/check.out"; ok=0; }
    check "sandbox healthy after $what" [ "$ok" -eq 1 ]
}

for drill in standby-failover replica-divergence pitr-drop slot-bloat sync-standby-lost archive-outage \
        block-corruption backup-verify primary-wipe primary-wipe-getwal; do
    t0=$(date +%s%N)
    "$DRILL_BIN" run "$drill" --sandbox-dir "$sandbox" --db "$db" --progress lines \
        > "$work/$drill.out" 2> "$work/$drill.err"
    rc=$?
    secs=$(( ($(date +%s%N) - t0) / 1000000 ))
    run=$(sq "select max(id) from runs where drill_name = '$drill'")
    echo "$drill: exit $rc in ${secs} ms; rto_ms=$(measure "$run" rto_ms)" \
         "rpo_transactions=$(measure "$run" rpo_transactions)"
    [ "$rc" -eq 0 ] || { cat "$work/$drill.out"; tail -n 30 "$work/$drill.err"; }
    check "$drill passes (exit 0)" [ "$rc" -eq 0 ]
    # Wait for the standby to have caught up before judging the shape.
    for _ in $(seq 100); do
        [ "$(q "$p1" "select count(*) from pg_stat_replication where application_name = 'pg2' and replay_lsn >= pg_current_wal_lsn()")" = 1 ] && break
        sleep 0.1
    done
    healthy "$drill"
done
check "every run is sealed and the chain verifies" "$DRILL_BIN" verify --db "$db"

"$DRILL_BIN" sandbox down --dir "$sandbox"
check "no process of the sandbox remains" no_sandbox_process

finish
