#!/usr/bin/env bash
# Integration: the standby-failover drill end to end on a real sandbox
# (PostgreSQL 15 primary + hot standby + Barman 3.4 on loopback): SIGKILL pg1,
# promote pg2, rewind pg1 into pg2's standby, switch back in cleanup. The
# outcome is checked independently of drill's own numbers (rows, timelines
# and replication state queried directly, barman run directly, the store read
# with sqlite3), and primary-wipe must then pass on the same sandbox: that is
# the proof that cleanup returned it to its healthy shape.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

sandbox_up
barman_check() { as_barman check pg1; }
tli() { q "$1" "select substr(pg_walfile_name(pg_current_wal_lsn()),1,8)::int"; }
tli0=$(tli "$p1")

# --- standby-failover: must pass ---------------------------------------------
sandbox_run standby-failover standby-failover --junit "$work/sf.xml"
check_drill_passed standby-failover
rto=$(measure rto_ms); lost=$(measure rpo_transactions); lost_ms=$(measure rpo_ms)
acked=$(measure heartbeat_acked)
echo "measured: rto_ms=$rto rpo_transactions=$lost rpo_ms=$lost_ms heartbeat_acked=$acked"
check "there was an outage and RTO was measured ($rto ms)" [ "${rto:-0}" -gt 0 ]
check "RPO measured and reported ($lost tx, $lost_ms ms)" [ -n "$lost" -a -n "$lost_ms" ]
check "RPO under the 5 s objective" [ "${lost_ms:-99999}" -lt 5000 ]
check "JUnit has the RTO property" grep -q 'name="rto_measured_ms"' "$work/sf.xml"

# Independently: the data. Two promotions (pg2, then pg1 back) = two new timelines.
check "pg1 is the writable primary again" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
check "pg2 is a standby again" [ "$(q "$p2" 'select pg_is_in_recovery()')" = t ]
tli1=$(tli "$p1")
check "pg1 went through two promotions (timeline $tli0 -> $tli1)" [ "$tli1" -eq $((tli0 + 2)) ]
# The switch point of pg2's promotion is the last line of the history file of
# the timeline pg2 created; rows past it were written on pg2.
switch=$(q "$p1" "select (regexp_match(pg_read_file('pg_wal/' || lpad(upper(to_hex($tli1 - 1)), 8, '0')
    || '.history'), '([0-9A-F]+/[0-9A-F]+)\t[^\n]*\n*$'))[1]")
on_pg2=$(q "$p1" "select count(*) from drill_heartbeat where run_uuid = '$(run_uuid $run)' and lsn >= '$switch'")
check "heartbeat writes followed pg2 ($on_pg2 rows written after its promotion at $switch)" \
    [ "${on_pg2:-0}" -gt 0 ]
present=$(q "$p1" "select count(*) from drill_heartbeat where run_uuid = '$(run_uuid $run)'")
check "the current primary holds every acknowledged heartbeat but the $lost reported lost ($present >= $acked - $lost)" \
    [ "${acked:-0}" -gt 0 -a "${present:-0}" -ge $(( ${acked:-1} - ${lost:-0} )) ]
rows1=$(q "$p1" "select count(*) || ':' || max(seq) from drill_heartbeat where run_uuid = '$(run_uuid $run)'")
rows2=$(q "$p2" "select count(*) || ':' || max(seq) from drill_heartbeat where run_uuid = '$(run_uuid $run)'")
check "pg2 has pg1's heartbeat rows ($rows1 / $rows2)" [ "$rows1" = "$rows2" ]

# Independently: the healthy shape cleanup promised.
check "pg2 streams from pg1 through slot pg2" pg2_streams_through_slot
check "Barman streams synchronously from pg1 through slot barman" barman_streams_sync
check "pg1 has exactly the slots barman and pg2" \
    [ "$(q "$p1" "select string_agg(slot_name, ',' order by slot_name) from pg_replication_slots")" = barman,pg2 ]
check "no slot left on pg2" [ "$(q "$p2" "select count(*) from pg_replication_slots")" -eq 0 ]
check "pg1 has no standby settings left" \
    [ "$(q "$p1" "select current_setting('primary_conninfo') || current_setting('primary_slot_name')")" = "" ]
check "barman check OK after cleanup" barman_check
backup_tli=$(as_barman show-backup pg1 latest | sed -n 's/^ *Timeline *: *//p')
check "latest Barman backup is on pg1's timeline ($backup_tli = $tli1)" [ "$backup_tli" = "$tli1" ]

primary_wipe_after "standby-failover"

sandbox_down_checked

finish
