#!/usr/bin/env bash
# Integration: the pitr-drop drill end to end on a real sandbox (PostgreSQL 15
# primary + hot standby + Barman 3.4 on loopback): DROP DATABASE on pg1,
# Barman point-in-time recovery to the LSN captured just before it. The
# outcome is checked independently of drill's own numbers: the database's
# contents against an independently computed digest, the heartbeat rows
# against the captured LSN, timelines and replication state queried
# directly, barman run directly, the store read with sqlite3. primary-wipe
# must then pass on the same sandbox: proof that the drill left it healthy.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

sandbox_up
tli() { q "$1" "select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"; }
qa() { psql -XAtq "host=127.0.0.1 port=$1 user=postgres dbname=drill_app" -c "$2"; }
hb() { q "$p1" "select $1 from drill_heartbeat where run_uuid = '$(run_uuid $run)' $2"; }
tli0=$(tli "$p1")

sandbox_run pitr-drop pitr-drop --yes --junit "$work/pd.xml"
check_drill_passed pitr-drop

# The captured target and where recovery really ended (the new timeline's
# switch point, read from pg1's history file, not from drill).
target=$(fact capture.before_drop)
tli1=$(tli "$p1")
switch=$(q "$p1" "select (regexp_match(pg_read_file('pg_wal/' || lpad(upper(to_hex($tli1)), 8, '0')
    || '.history'), '([0-9A-F]+/[0-9A-F]+)\t[^\n]*\n*$'))[1]")
echo "captured LSN $target, recovery ended at $switch (drill says $(fact capture.recovery_end))"
check "an LSN was captured before the drop ($target)" [ -n "$target" ]
check "pg1 promoted once: timeline $tli0 -> $tli1" [ "$tli1" -eq $((tli0 + 1)) ]
check "recovery ended at or before the target ($switch <= $target)" \
    [ "$(q "$p1" "select '$switch'::pg_lsn <= '$target'::pg_lsn")" = t ]
check "recovery ended at the target or at most a page header (40 bytes) before it" \
    [ "$(q "$p1" "select pg_wal_lsn_diff('$target', '$switch') between 0 and 40")" = t ]
check "drill captured the same recovery end" [ "$(fact capture.recovery_end)" = "$switch" ]

# The database is back, with exactly what was written before the drop.
want=$(q "$p1" "select 5000 || ':' || md5(string_agg(g || '=' || md5(g::text), ',' order by g)) from generate_series(1, 5000) g")
check "drill_app is back on pg1 with its 5000 rows" \
    [ "$(qa "$p1" "select count(*) || ':' || md5(string_agg(id || '=' || note, ',' order by id)) from orders")" = "$want" ]
check "drill_app is back on pg2 too" \
    [ "$(qa "$p2" "select count(*) from orders")" = 5000 ]

# Heartbeats: rows stamped before the target form an unbroken sequence from
# the first one; the discarded ones drill reports are absent; the writer
# resumed after the restore; discarded = acknowledged - present.
acked=$(measure heartbeat_acked); discarded=$(measure pitr_discarded_transactions)
lost=$(measure rpo_transactions); rto=$(measure rto_ms)
present=$(hb "count(*)" "")
before=$(hb "count(*) || ':' || min(seq) || ':' || max(seq)" "and lsn < '$target'")
echo "measured: rto_ms=$rto acked=$acked present=$present discarded=$discarded ($(measure pitr_discarded_ms) ms) rpo_transactions=$lost before-target=$before"
IFS=: read -r nb minb maxb <<<"$before"
check "heartbeats before the target have no gap ($before)" [ "${nb:-0}" -gt 0 -a "$nb" -eq $((maxb - minb + 1)) ]
check "writes went on after the target and were discarded ($discarded)" [ "${discarded:-0}" -gt 0 ]
seqs=$(sq "select group_concat(cast(value as int)) from samples where run_id = $run and series = 'pitr_discarded_seq'")
check "one sample per discarded heartbeat" [ "$(sq "select count(*) from samples where run_id = $run and series = 'pitr_discarded_seq'")" = "$discarded" ]
check "none of the discarded heartbeats is on pg1" [ "$(hb "count(*)" "and seq in (${seqs:-0})")" -eq 0 ]
check "the discarded ones directly follow the last one before the target" \
    [ "$(sq "select min(cast(value as int)) from samples where run_id = $run and series = 'pitr_discarded_seq'")" -le $((maxb + 1)) ]
check "the heartbeat wrote again after the restore" [ "$(hb "count(*)" "and lsn >= '$target'")" -gt 0 ]
# A heartbeat whose commit was cancelled while waiting for Barman (sync
# standby) is present without being acknowledged: present may exceed what
# was acknowledged, so the missing acknowledged ones are at least
# acked - present, and all of them must be among the discarded.
first_after=$(hb "min(seq)" "and lsn >= '$target'")
check "every missing acknowledged heartbeat is reported discarded ($discarded >= $acked - $present)" \
    [ "${discarded:--1}" -ge $(( ${acked:-0} - ${present:-0} )) ]
check "discarded ones lie between the target and the restore (seq $maxb < d < $first_after)" \
    [ "$(sq "select count(*) from samples where run_id = $run and series = 'pitr_discarded_seq' and (value <= $maxb or value >= ${first_after:-0})")" -eq 0 ]
check "no acknowledged heartbeat lost outside the discarded window" [ "${lost:--1}" -eq 0 ]
check "RTO measured ($rto ms)" [ "${rto:-0}" -gt 0 ]

# The sandbox's healthy shape.
check "pg1 is the writable primary" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
check "pg1 keeps no recovery target or restore_command" \
    [ "$(q "$p1" "select count(*) from pg_file_settings where name like 'recovery_target%' or name = 'restore_command'")" -eq 0 ]
check "pg2 streams from pg1 through slot pg2" pg2_streams_through_slot
check "Barman streams synchronously from pg1 through slot barman" barman_streams_sync
check "barman check OK" as_barman check pg1
backup_tli=$(as_barman show-backup pg1 latest | sed -n 's/^ *Timeline *: *//p')
check "latest Barman backup is on pg1's timeline ($backup_tli = $tli1)" [ "$backup_tli" = "$tli1" ]

primary_wipe_after "pitr-drop"

sandbox_down_checked

finish
