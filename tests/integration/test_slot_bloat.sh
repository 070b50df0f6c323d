#!/usr/bin/env bash
# Integration: the slot-bloat drills end to end on a real sandbox.
#  * slot-bloat: pg2 stopped, WAL written on pg1 with max_slot_wal_keep_size
#    = 64MB until slot pg2 is lost; pg2 re-cloned.
#  * slot-bloat-barman: Barman's receiver stopped, WAL written, receiver
#    restarted and caught up.
# Checked independently of drill's verdicts: the stored time series are
# counted and compared with the stored crossing time and transitions (read
# with sqlite3), the servers' slots, settings and replication are queried
# directly, barman is run directly, and primary-wipe must then pass on the
# same sandbox (proof that both drills left it healthy).
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

sandbox_up
MB=$((1024 * 1024))
# The alert's stored time must be the first sample of the series at or over
# the threshold, and the sample before it must be under it.
alert_consistent() {  # SLOT THRESHOLD_BYTES
    local s="slot.$1.retained_bytes" ev first prev
    ev=$(sq "select utc_ms from events where run_id = $run and name = 'slot_retained_alert'")
    first=$(sq "select min(t_ms) from samples where run_id = $run and series = '$s' and value >= $2")
    prev=$(sq "select value from samples where run_id = $run and series = '$s' and t_ms < $first order by t_ms desc limit 1")
    echo "alert event at $ev, first sample over $2 at $first, previous sample ${prev%.*}"
    [ -n "$ev" ] && [ "$ev" = "$first" ] && [ "${prev%.*}" -lt "$2" ]
}
# wal_status transitions of a slot, in stored order, as "a>b>c".
transitions() {
    sq "select group_concat(s, '>') from (select substr(detail, 1, instr(detail, ' ') - 1) s
        from events where run_id = $run and name = 'slot.$1.wal_status' order by utc_ms, id)"
}
samples_of() { sq "select count(*) from samples where run_id = $run and series = '$1'"; }
slot_state() { q "$p1" "select case when active then 't' else 'f' end || ':' || wal_status from pg_replication_slots where slot_name = '$1'"; }

# --- slot-bloat: the standby's slot is lost ---------------------------------
sandbox_run slot-bloat slot-bloat
check_drill_passed slot-bloat
n=$(samples_of slot.pg2.retained_bytes); nw=$(samples_of pg_wal.bytes)
check "time series stored ($n retained-bytes samples of pg2, $nw of pg_wal)" [ "$n" -ge 20 -a "$nw" -ge 20 ]
maxwal=$(sq "select cast(max(value) as int) from samples where run_id = $run and series = 'pg_wal.bytes'")
check "pg_wal grew past 64 MB while pg2 was down ($maxwal bytes)" [ "${maxwal:-0}" -gt $((64 * MB)) ]
check "alert crossing time matches the series" alert_consistent pg2 $((32 * MB))
tr=$(transitions pg2)
# `unreserved` lasts only until the next checkpoint removes the segments: a
# sampler on a busy machine may see extended, then lost. The order is what
# the drill must get right; a missed transient state is not a defect.
check "transitions stored in order ($tr)" \
    [ "$tr" = "reserved>extended>unreserved>lost" -o "$tr" = "reserved>extended>lost" ]
al=$(measure slot_retained_alert_ms); ex=$(measure slot.pg2.extended_ms)
un=$(measure slot.pg2.unreserved_ms); lo=$(measure slot.pg2.lost_ms); cu=$(measure catchup_ms)
echo "measured: alert=$al extended=$ex unreserved=$un lost=$lo catchup=$cu lead=$(measure slot_alert_lead_ms)"
check "alert < extended < (unreserved <=) lost" \
    [ "$al" -lt "$ex" -a "$ex" -lt "$lo" -a "${un:-$lo}" -gt "$ex" -a "${un:-$lo}" -le "$lo" ]
# 64-96 MB at 16 MB/s is 4-6 s; a busy machine writes slower (later, never
# earlier): the upper bound only catches a generator that stalled.
check "lost after at least 48 MB at 16 MB/s ($lo ms)" [ "$lo" -ge 3000 -a "$lo" -le 60000 ]
check "the drill says the slot was lost" [ "$(fact slot.pg2.lost)" = yes ]
check "catch-up measured ($cu ms)" [ "${cu:--1}" -gt 0 ]
check "pg2 logged that its WAL was removed" grep -q 'has already been removed' "$sandbox/pg2/postgresql.log"
how=$(sq "select how from objectives where run_id = $run and name = 'slot_retained_alert' and passed = 1")
check "objective met: $how" [ "$how" = "slot pg2 crossed it at t = $al ms, $(measure slot_alert_lead_ms) ms before a slot was lost" ]
check "settings reset on pg1" \
    [ "$(q "$p1" "select current_setting('max_slot_wal_keep_size') || ' ' || current_setting('max_wal_size') || ' ' || current_setting('wal_keep_size')")" = "-1 1GB 0" ]
check "postgresql.auto.conf holds none of them" \
    [ "$(q "$p1" "select count(*) from pg_file_settings where sourcefile like '%postgresql.auto.conf' and name in ('max_slot_wal_keep_size','max_wal_size','min_wal_size','wal_keep_size')")" -eq 0 ]
check "slot pg2 active and reserved ($(slot_state pg2))" [ "$(slot_state pg2)" = "t:reserved" ]
caught_up() {
    for i in $(seq 1 50); do
        [ "$(q "$p1" "select count(*) from pg_stat_replication where application_name = 'pg2' and state = 'streaming' and replay_lsn >= pg_current_wal_lsn()")" = 1 ] && return 0
        sleep 0.2
    done
    return 1
}
check "pg2 streams from pg1 and has caught up" caught_up

# --- slot-bloat-barman: Barman's receiver is the stopped consumer -----------
sandbox_run slot-bloat-barman slot-bloat-barman
check_drill_passed slot-bloat-barman
n=$(samples_of slot.barman.retained_bytes)
check "time series stored ($n retained-bytes samples of barman)" [ "$n" -ge 20 ]
check "alert crossing time matches the series" alert_consistent barman $((64 * MB))
tr=$(transitions barman)
check "barman's slot went reserved -> extended, never lost ($tr)" [ "$tr" = "reserved>extended" ]
check "the drill says the slot was not lost" [ "$(fact slot.barman.lost)" = no ]
cu=$(measure catchup_ms)
echo "measured: alert=$(measure slot_retained_alert_ms) extended=$(measure slot.barman.extended_ms) catchup=$cu"
check "catch-up measured ($cu ms)" [ "${cu:--1}" -gt 0 ]
check "slot barman active and reserved ($(slot_state barman))" [ "$(slot_state barman)" = "t:reserved" ]
check "Barman streams synchronously from pg1 through slot barman" barman_streams_sync
check "max_wal_size reset" [ "$(q "$p1" "show max_wal_size")" = 1GB ]
check "barman check OK" as_barman check pg1

primary_wipe_after "the slot-bloat drills"

"$DRILL_BIN" sandbox down --dir "$sandbox"
check "no process of the sandbox remains" no_sandbox_process

finish
