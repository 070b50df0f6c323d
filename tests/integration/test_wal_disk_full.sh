#!/usr/bin/env bash
# Integration: wal-disk-full on a real sandbox whose pg_wal is a 256 MB tmpfs
# of its own (`sandbox up --wal-fs`, root only: as a normal user the test is
# skipped, under CI=true it fails), checked without drill's own verdict:
# the disk really filled (pg1's log has the PANIC "No space left on device"
# and its startup failing for want of space: it did not heal by itself),
# commits really stopped (a gap of over a second between consecutive
# heartbeat rows, by the server's own clock), every acknowledged heartbeat is
# on pg1 and pg2, the space is back (no ballast, the WAL disk has room),
# pg2 streams through its slot again and Barman is synchronous. Then the
# guard: a fill that would take more than max_fill is refused before
# anything is written (exit 3), and the rollback leaves pg1 serving.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

require root "mounting a tmpfs for pg_wal needs root" [ "$(id -u)" -eq 0 ]

sandbox_up --wal-fs 256
walfs=$sandbox/pg1/walfs
log1=$sandbox/pg1/postgresql.log
check "pg1's pg_wal is a link onto its own filesystem" \
    [ "$(readlink "$sandbox/pg1/data/pg_wal")" = "$walfs/pg_wal" ]
check "... a 256 MB tmpfs" [ "$(df -P -B1M "$walfs" | awk 'NR == 2 {print $2}')" -eq 256 ]
lines_before=$(wc -l < "$log1")

sandbox_run full wal-disk-full
check_drill_passed full
new_log() { tail -n +"$((lines_before + 1))" "$log1"; }
check "pg1's log has the PANIC: no space left on device" \
    grep -Eq 'PANIC: .*No space left on device' <(new_log)
check "... and its startup failed for want of space (it did not come back by itself)" \
    grep -q 'shutting down due to startup process failure' <(new_log)
# The longest pause between two consecutive rows the run wrote to pg1.
gap=$(q "$p1" "select coalesce(max(d), 0) from (select extract(epoch from server_ts - lag(server_ts) over (order by seq)) * 1000 as d from drill_heartbeat where run_uuid = '$(run_uuid "$run")') g")
gap=${gap%.*}
check "commits really stopped: the longest gap between heartbeat rows is over 1 s (${gap} ms)" [ "$gap" -gt 1000 ]
read -r present acked <<<"$(acked_present "$run")"
all_present() { [ "$acked" -gt 0 ] && [ "$present" -eq "$acked" ]; }
check "every acknowledged heartbeat is on pg1 ($present of $acked)" all_present
rows() { q "$1" "select count(*) || ':' || max(seq) from drill_heartbeat where run_uuid = '$(run_uuid "$run")'"; }
check "pg2 has pg1's heartbeat rows" [ "$(rows "$p1")" = "$(rows "$p2")" ]
check "drill measured the time to refusal" [ "$(measure wal_refused_ms)" -gt 0 ]
check "the finding names max_slot_wal_keep_size" \
    [ "$(sq "select count(*) from events where run_id = $run and name = 'finding' and detail like '%max_slot_wal_keep_size was -1%'")" -eq 1 ]
check "no ballast left on the WAL disk" [ ! -e "$walfs/pg_wal/drill-ballast" ]
free_mb() { df -P -B1M "$walfs" | awk 'NR == 2 {print $4}'; }
check "the WAL disk has room again ($(free_mb) MB free)" [ "$(free_mb)" -ge 64 ]
check "pg1 is a writable primary" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
check "pg2 streams from pg1 through its slot" pg2_streams_through_slot
check "Barman is pg1's synchronous standby again" barman_streams_sync
check "barman check OK" as_barman check pg1

# guard_refuses LABEL SED WHY: a copy of the drill edited by SED must be
# refused at the fill (exit 3), with WHY in the step's message, before any
# WAL is written.
guard_refuses() {
    local label=$1 why=$3
    sed "$2" "$DRILL_SOURCE_DIR/drills/wal-disk-full.yaml" > "$work/$label.yaml"
    check "$label: the copy differs from the drill" \
        bash -c "! cmp -s '$work/$label.yaml' '$DRILL_SOURCE_DIR/drills/wal-disk-full.yaml'"
    sandbox_run "$label" "$work/$label.yaml"
    check "$label: drill exits 3 (the fault could not be injected)" [ "$rc" -eq 3 ]
    check "$label: the fill step failed, saying: $why" \
        [ "$(sq "select count(*) from steps where run_id = $run and kind = 'disk_fill' and status = 'failed' and message like '%$why%'")" -eq 1 ]
    check "$label: no WAL was generated" \
        [ "$(sq "select count(*) from steps where run_id = $run and kind = 'wal_generate' and status <> 'skipped'")" -eq 0 ]
    check "$label: pg1 is a writable primary" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
}

# The guard: a production-size disk is never filled. max_fill 1MB is
# smaller than any ballast here; the rollback brings the standby back.
guard_refuses guarded 's/^    leave: 32MB$/    leave: 32MB\n    max_fill: 1MB/' 'more than max_fill'
check "guarded: no ballast" [ ! -e "$walfs/pg_wal/drill-ballast" ]
check "guarded: pg2 streams through its slot again (rollback)" pg2_streams_through_slot

# The other guard: a filesystem the host lives on is never filled, whatever
# max_fill says (here /var/tmp's).
guard_refuses host 's|^    path: pg_wal$|    path: /var/tmp|' 'would starve the whole host'
check "host: no ballast in /var/tmp" [ ! -e /var/tmp/drill-ballast ]

sandbox_down_checked
check "the WAL filesystem is unmounted" bash -c "! grep -q ' $walfs ' /proc/mounts"
finish
