#!/usr/bin/env bash
# Integration: primary-isolated on the three-host fixture (network
# namespaces, root), checked without drill's own verdict:
#  - fenced (the shipped drill): node1's own log has its immediate shutdown
#    before node2's log has the promotion, so node1 could acknowledge nothing
#    after it; commits really stalled (a gap in the heartbeat rows, by the
#    server's clock); no route to nowhere and no guard is left on node1; the
#    layout is healthy again (switched back).
#  - not fenced and asynchronous (a copy without the fence): the old primary,
#    still reached by the heartbeat, acknowledges writes after the promotion;
#    drill fails the run (exit 1, SPLIT BRAIN) and its count of split-brain
#    writes matches the rows node1 itself committed after the promotion.
#    (With Barman as its synchronous standby the isolated primary cannot
#    acknowledge a commit at all: the fenced run shows the stall.)
. "$(dirname "${BASH_SOURCE[0]}")/multihost-lib.sh"

db=$work/drill.db   # mq, measure_of: multihost-lib.sh
log_of() { echo "$dir/hosts/$1/var/log/postgresql/postgresql-15-main.log"; }
# ms since the epoch of a server log line's timestamp (UTC, %m)
log_ms() { date -u -d "$(cut -c1-23 <<<"$1")" +%s%3N; }

run_drill() {  # run_drill LABEL FILE: sets rc, run
    in_ctl "$DRILL_BIN" run -t "$topo" --db "$db" --yes --progress lines "$2" \
        > "$work/$1.out" 2> "$work/$1.err"
    rc=$?
    cat "$work/$1.out"
    run=$(mq "select max(id) from runs")
}

multihost_up
lines1=$(wc -l < "$(log_of node1)")
lines2=$(wc -l < "$(log_of node2)")

run_drill fenced "$DRILL_SOURCE_DIR/drills/primary-isolated.yaml"
[ "$rc" -eq 0 ] || tail -n 40 "$work/fenced.err"
check "fenced: drill exits 0" [ "$rc" -eq 0 ]
check "fenced: split_brain_writes measured as 0" [ "$(measure_of "$run" split_brain_writes)" = 0 ]
stop_line=$(tail -n +"$((lines1 + 1))" "$(log_of node1)" | grep -m1 'received immediate shutdown request')
promo_line=$(tail -n +"$((lines2 + 1))" "$(log_of node2)" | grep -m1 'selected new timeline ID')
check "fenced: node1's log has its immediate shutdown" [ -n "$stop_line" ]
check "fenced: node2's log has its promotion" [ -n "$promo_line" ]
fenced_first() { [ "$(log_ms "$stop_line")" -le "$(log_ms "$promo_line")" ]; }
check "fenced: node1 was down before node2 was promoted (by their own logs)" fenced_first
gap=$(sql node2 "select coalesce(max(d), 0)::int from (select extract(epoch from server_ts - lag(server_ts) over (order by seq)) * 1000 as d from drill_heartbeat where run_uuid = '$(run_uuid "$run")') g")
check "fenced: commits stalled during the partition (longest heartbeat gap ${gap} ms > 200 ms)" [ "${gap:-0}" -gt 200 ]
no_blackhole() { [ -z "$(ip -n "${prefix}node1" route show type blackhole)" ]; }
check "fenced: no route to nowhere left on node1" no_blackhole
no_guard() { ! pgrep -f "[d]rill-network-guard node1" > /dev/null; }
check "fenced: no network guard left on node1" no_guard
check "fenced: RPO measured" [ -n "$(measure_of "$run" rpo_transactions)" ]
mh_healthy fenced

# Not fenced, and asynchronous (as many clusters run): the isolated old
# primary keeps acknowledging the heartbeat, which still reaches it, after
# the promotion. The copy drops the fence, the wait for writes to follow,
# the rejoin, the switch-back (cleanup only restores the network) and the
# SyncRep wait (asynchronous: there is none), so
# node1 still holds what it acknowledged when the drill ends: the test
# counts those rows itself, by the server's clock.
sql node1 "alter system set synchronous_standby_names = ''" > /dev/null
sql node1 "select pg_reload_conf()" > /dev/null
python3 - "$DRILL_SOURCE_DIR/drills/primary-isolated.yaml" "$work/unfenced.yaml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = text[:text.index("\ncleanup:\n")] + """
cleanup:
  - name: restore the old primary's network
    kind: network_cut
    node: old_primary
    restore: true
"""
drop = ("fence the old primary", "heartbeat writes follow", "rewind the old primary",
        "clients still reach the old primary",
        "the old primary streams from the new one")
steps = re.split(r"(?m)^(?=  - )", text)
# A dropped step keeps the phase header that may follow it ("verify:").
keep = lambda s: not any(d in s.split("\n")[0] for d in drop)
text = "".join(s if keep(s) else "".join(re.findall(r"(?m)^[a-z]+:\n", s)) for s in steps)
open(sys.argv[2], "w").write(text)
PY
check "the unfenced copy has no fence" bash -c "! grep -q 'fence the old primary' '$work/unfenced.yaml'"
run_drill unfenced "$work/unfenced.yaml"
[ "$rc" -eq 1 ] || tail -n 40 "$work/unfenced.err"
check "unfenced: drill exits 1 (split brain)" [ "$rc" -eq 1 ]
sb=$(measure_of "$run" split_brain_writes)
check "unfenced: split-brain writes counted (${sb:-none})" [ "${sb:-0}" -gt 0 ]
promoted_ms=$(mq "select utc_ms from events where run_id = $run and name = 'promoted'")
on_node1=$(sql node1 "select count(*) from drill_heartbeat where run_uuid = '$(run_uuid "$run")' and server_ts > to_timestamp($promoted_ms / 1000.0)")
# One commit may straddle the event: sent before it, acknowledged after.
same_count() { [ "${sb:-0}" -gt 0 ] && [ $((sb - on_node1)) -ge 0 ] && [ $((sb - on_node1)) -le 1 ]; }
check "unfenced: drill's count matches the rows node1 committed after the promotion ($sb vs $on_node1)" same_count
check "unfenced: the verify step says SPLIT BRAIN" \
    [ "$(mq "select count(*) from steps where run_id = $run and status = 'failed' and message like 'SPLIT BRAIN:%'")" -eq 1 ]
check "unfenced: no route to nowhere left on node1" no_blackhole
finish
