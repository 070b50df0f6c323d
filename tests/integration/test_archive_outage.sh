#!/usr/bin/env bash
# Integration: archive-outage on a real sandbox, checked without drill's own
# numbers: Barman's receiver really died (its PID is gone), the archive
# really holds every segment from the backup to the LSN written during the
# outage (listed in Barman's wals directory), synchronous_standby_names is
# back as it was and Barman is again a *synchronous* standby that flushes
# (pg_receivewal runs with --synchronous: a commit returns within seconds),
# every acknowledged heartbeat is on pg1, the scratch copy is gone. Then a
# segment is removed from the archive: the drill's replay check must fail.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

receiver_pid() { pgrep -f -- "[p]g_receivewal .*--directory=$sandbox/barman/.*--slot=barman" | head -n 1; }
wals=$sandbox/barman/home/pg1/wals

sandbox_up
before=$(receiver_pid)
setting_before=$(q "$p1" "select setting || ' from ' || coalesce(sourcefile, source) from pg_settings where name = 'synchronous_standby_names'")

sandbox_run outage archive-outage
check_drill_passed outage
check "the receiver was killed during the outage: pid $before is gone" [ ! -e "/proc/$before" ]
lsn=$(sq "select substr(message, length('captured outage_lsn = ') + 1) from steps where run_id = $run and name = 'an LSN written during the outage'")
seg=$(q "$p1" "select pg_walfile_name('$lsn')")
begin=$(as_barman show-backup pg1 latest | sed -n 's/^ *Begin WAL *: *//p')
# Every segment name from the backup's first to the outage's (16 MB
# segments: 256 per log file), present in Barman's wals directory.
missing=
for ((i = 16#${begin:8:8} * 256 + 16#${begin:16:8}; i <= 16#${seg:8:8} * 256 + 16#${seg:16:8}; i++)); do
    name=$(printf '%s%08X%08X' "${seg:0:8}" $((i / 256)) $((i % 256)))
    [ -e "$wals/${name:0:16}/$name" ] || missing+=" $name"
done
check "Barman's archive holds every segment from $begin to $seg (the outage's)${missing:+; missing:$missing}" [ -z "$missing" ]
check "synchronous_standby_names is back as it was ($setting_before)" \
    [ "$(q "$p1" "select setting || ' from ' || coalesce(sourcefile, source) from pg_settings where name = 'synchronous_standby_names'")" = "$setting_before" ]
check "pg1's synchronous standby is Barman again" barman_streams_sync
after=$(receiver_pid)
check "Barman's pg_receivewal runs with --synchronous (pid ${after:-none})" grep -qa -- '--synchronous' "/proc/${after:-0}/cmdline"
check "a commit on pg1 returns within 5 s" timeout 5 psql -XAtq "host=127.0.0.1 port=$p1 user=postgres dbname=postgres" -c "select txid_current()"
read -r present acked <<<"$(acked_present "$run")"
all_present() { [ "$acked" -gt 0 ] && [ "$present" -eq "$acked" ]; }
check "every acknowledged heartbeat is on pg1 ($present of $acked)" all_present
check "Barman's slot pinned the outage's WAL (a sample of at least 15 MB)" \
    [ "$(sq "select max(value) >= 15 * 1024 * 1024 from samples where run_id = $run and series = 'slot.barman.retained_bytes'")" = 1 ]
check "no scratch copy is left" [ -z "$(ls -d "$sandbox"/barman/archive-check-* "$sandbox"/archive-check-* 2>/dev/null)" ]

# ---- a hole in the archive is found ----------------------------------------------
# The segment after the backup's first: replaying the backup needs it.
i=$((16#${begin:8:8} * 256 + 16#${begin:16:8} + 1))
victim=$(printf '%s/%s%08X/%s%08X%08X' "$wals" "${begin:0:8}" $((i / 256)) "${begin:0:8}" $((i / 256)) $((i % 256)))
check "the segment to remove is in the archive ($(basename "$victim"))" [ -e "$victim" ]
rm -f -- "$victim"
sandbox_run hole archive-outage
check "with $(basename "$victim") gone from the archive the drill fails (exit 1, got $rc)" [ "$rc" -eq 1 ]
check "... at the replay check, naming the hole" \
    [ "$(sq "select count(*) from steps where run_id = $run and name like 'the pre-outage backup replays%' and status = 'failed' and err like '%the archive has a hole%'")" -eq 1 ]
check "... and pg1 is writable and synchronous to Barman again" barman_streams_sync

sandbox_down_checked
finish
