#!/usr/bin/env bash
# Integration: sync-standby-lost on a real sandbox, its outcome checked
# without drill's own numbers: Barman's pg_receivewal (pg1's synchronous
# standby) was really killed (its PID is gone, a new one streams), commits
# really stalled (the largest gap between consecutive heartbeat rows on pg1,
# by the server's own timestamps, is hundreds of times the 10 ms cadence,
# opens with the kill and closes after the restart), writes came back
# synchronous, and every heartbeat drill counted as acknowledged is on pg1
# and pg2. A topology whose Barman is
# not synchronous is refused in preflight, before anything is killed.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

receiver_pid() { pgrep -f -- "[p]g_receivewal .*--directory=$sandbox/barman/.*--slot=barman" | head -n 1; }

sandbox_up
before=$(receiver_pid)
check "Barman's pg_receivewal runs before the drill (pid ${before:-none})" [ -n "$before" ]

# ---- the drill ---------------------------------------------------------------
sandbox_run lost sync-standby-lost
check_drill_passed lost
after=$(receiver_pid)
check "the receiver was killed: pid $before is gone" [ ! -e "/proc/$before" ]
new_receiver() { [ -n "$after" ] && [ "$after" != "$before" ]; }
check "... and a new one streams (pid ${after:-none})" new_receiver
check "pg1's synchronous standby is Barman again" barman_streams_sync
uuid=$(run_uuid "$run")
gap=$(q "$p1" "select coalesce(round(max(d)), 0) from (select extract(epoch from server_ts - lag(server_ts) over (order by seq)) * 1000 as d from drill_heartbeat where run_uuid = '$uuid') g")
check "commits really stalled: largest gap between heartbeat rows ${gap} ms (cadence 10 ms)" [ "${gap:-0}" -ge 200 ]
# The gap opens when the receiver dies (between the fault event and the end
# of the kill step) and closes after its restart began (steps' own times).
fault_ms=$(sq "select utc_ms from events where run_id = $run and name = 'fault'")
kill_end=$(sq "select ended_ms from steps where run_id = $run and name = 'kill Barman''s WAL receiver'")
restart_start=$(sq "select started_ms from steps where run_id = $run and name = 'restart Barman''s WAL streaming'")
bracket=$(q "$p1" "select count(*) from (select server_ts, lag(server_ts) over (order by seq) as prev from drill_heartbeat where run_uuid = '$uuid') g where extract(epoch from server_ts - prev) * 1000 >= $gap - 1 and extract(epoch from prev) * 1000 between $fault_ms - 50 and $kill_end + 50 and extract(epoch from server_ts) * 1000 >= $restart_start")
check "... and that gap opens with the kill and closes after the restart" [ "${bracket:-0}" -eq 1 ]
rto=$(measure rto_ms)
check "drill's RTO ($rto ms) is about that gap ($gap ms)" \
    awk -v r="${rto:-0}" -v g="$gap" 'BEGIN { exit !(r >= g / 2 && r <= g + 2000) }'
check "the server said so during the fault: a commit waited on SyncRep" \
    [ "$(sq "select status from steps where run_id = $run and name = 'commits wait for the lost synchronous standby'")" = ok ]
read -r present acked <<<"$(acked_present "$run")"
all_present() { [ "$acked" -gt 0 ] && [ "$present" -eq "$acked" ]; }
check "every acknowledged heartbeat is on pg1 ($present of $acked)" all_present
check "RPO 0: nothing acknowledged was lost" [ "$(measure rpo_transactions)" = 0 ]
rows1=$(q "$p1" "select count(*) from drill_heartbeat where run_uuid = '$uuid'")
for _ in $(seq 100); do
    [ "$(q "$p2" "select count(*) from drill_heartbeat where run_uuid = '$uuid'")" = "$rows1" ] && break
    sleep 0.1
done
check "pg2 has the same heartbeat rows ($rows1)" [ "$(q "$p2" "select count(*) from drill_heartbeat where run_uuid = '$uuid'")" = "$rows1" ]

# ---- an asynchronous Barman: refused before the fault ---------------------------
q "$p1" "alter system set synchronous_standby_names = ''" > /dev/null
q "$p1" "select pg_reload_conf()" > /dev/null
pid_async=$(receiver_pid)
sandbox_run async sync-standby-lost
check "with Barman asynchronous the drill stops in preflight (exit 3, got $rc)" [ "$rc" -eq 3 ]
check "... at the synchronous-standby check" \
    [ "$(sq "select status from steps where run_id = $run and name = 'Barman''s receiver is the primary''s synchronous standby'")" != ok ]
check "... and kills nothing (receiver pid $pid_async still runs)" [ -e "/proc/$pid_async" ]
check "... no fault step ran" [ "$(sq "select count(*) from steps where run_id = $run and phase = 'fault' and status <> 'skipped'")" -eq 0 ]
q "$p1" "alter system reset synchronous_standby_names" > /dev/null
q "$p1" "select pg_reload_conf()" > /dev/null

sandbox_down_checked
finish
