#!/usr/bin/env bash
# plain-primary-wipe.sh — drills/primary-wipe.yaml as a plain shell script: the
# same commands in the same order (checked against `drill run --dry-run
# primary-wipe`), the same 10 ms polls for wait_for steps, no heartbeat, no
# store, no report. tests/bench/run.sh times it next to `drill run primary-wipe`
# to put a number on drill's overhead over what an operator would script.
# Prints "plain-rto-ms: N": from its fault to its first committed write.
#
# Usage: plain-primary-wipe.sh SANDBOX_DIR   (a sandbox from `drill sandbox up`; run as root)
set -euo pipefail

D=${1:?usage: plain-primary-wipe.sh SANDBOX_DIR}
BIN=/usr/lib/postgresql/15/bin
CONF=$D/barman/barman.conf
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
P1=$(port_of "$D" pg1)
P2=$(port_of "$D" pg2)
CI1="host=127.0.0.1 port=$P1 user=postgres dbname=postgres"
as_pg() { runuser -u postgres -- "$@"; }
# wait_for: poll every 10 ms until the query prints $3, at most $4 seconds.
wait_for() {
    local end=$((SECONDS + $4))
    until [ "$(q "$1" "$2")" = "$3" ]; do
        [ $SECONDS -lt $end ] || { echo "timeout: $2" >&2; exit 1; }
        sleep 0.01
    done
}
wait_barman_check() {
    local end=$((SECONDS + $1))
    until as_pg barman -c "$CONF" check pg1 >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || { echo "timeout: barman check" >&2; exit 1; }
        sleep 1
    done
}
STREAMING="select count(*) > 0 from pg_stat_wal_receiver where status = 'streaming' and slot_name = 'pg2'"

# preflight
wait_for "$P1" "select not pg_is_in_recovery()" t 10
wait_for "$P2" "$STREAMING" t 30
wait_barman_check 60
as_pg sh -c "barman -c '$CONF' list-backups pg1 | grep -v FAILED | grep -Eq '[0-9]{8}T[0-9]{6}'"
sleep 2
# fault (its RTO, as drill measures one: fault -> first write committed again)
t_fault=$(date +%s%3N)
as_pg "$BIN/pg_ctl" -D "$D/pg1/data" -m immediate -w -t 60 stop >/dev/null
as_pg find "$D/pg1/data" -mindepth 1 -delete
# recover
# barman recover copies the archived WAL; what Barman streamed (the .partial
# segment renamed) goes to barman_wal/ with Barman's own PITR recovery
# configuration, as drill's barman_recover stage_wal does.
as_pg sh -c "barman -c '$CONF' show-server pg1 > '$D/plain-show-server.txt' 2>&1 &
  barman -c '$CONF' recover --no-get-wal pg1 latest '$D/pg1/data' > /dev/null; rc=\$?; wait; exit \$rc"
SDIR=$(sed -n 's/^[[:space:]]*streaming_wals_directory: //p' "$D/plain-show-server.txt")
as_pg sh -c "mkdir -p '$D/pg1/data/barman_wal' && cd '$SDIR' &&
  tar -cf - --transform='s/\.partial\$//' -T /dev/null \$(ls | grep -E '^[0-9A-F]{24}(\.partial)?\$') |
  tar -C '$D/pg1/data/barman_wal' -xf -"
AUTO=$D/pg1/data/postgresql.auto.conf
as_pg sh -c "printf '%s\n' \"restore_command = 'cp barman_wal/%f %p'\" \"recovery_end_command = 'rm -fr barman_wal'\" >> '$AUTO' &&
  : > '$D/pg1/data/recovery.signal'"
as_pg "$BIN/pg_ctl" -D "$D/pg1/data" -l "$D/pg1/postgresql.log" -W start >/dev/null
wait_for "$P1" "select not pg_is_in_recovery()" t 60
q "$P1" "select pg_create_physical_replication_slot('barman', true) where not exists (select 1 from pg_replication_slots where slot_name = 'barman')" >/dev/null
as_pg setsid -f barman -c "$CONF" receive-wal pg1 < /dev/null > /dev/null 2>&1
wait_for "$P1" "select count(*) > 0 from pg_stat_replication where application_name = 'barman_receive_wal' and state = 'streaming'" t 60
# commits wait for the synchronous Barman receiver: the first one that
# returns is the end of the outage, as for drill's heartbeat.
q "$P1" "create table if not exists plain_probe (t timestamptz); insert into plain_probe values (now())" >/dev/null
echo "plain-rto-ms: $(( $(date +%s%3N) - t_fault ))"
q "$P1" "ALTER SYSTEM RESET restore_command" >/dev/null
q "$P1" "ALTER SYSTEM RESET recovery_end_command" >/dev/null
q "$P1" "SELECT pg_reload_conf()" >/dev/null
q "$P1" "select pg_create_physical_replication_slot('pg2') where not exists (select 1 from pg_replication_slots where slot_name = 'pg2')" >/dev/null
# base_backup: stop the standby (immediate), wipe, clone, start — as drill's step does.
as_pg "$BIN/pg_ctl" -D "$D/pg2/data" -m immediate -w stop >/dev/null 2>&1 || true
as_pg find "$D/pg2/data" -mindepth 1 -delete
as_pg "$BIN/pg_basebackup" -D "$D/pg2/data" -d "$CI1" -R -X stream -c fast -S pg2
as_pg "$BIN/pg_ctl" -D "$D/pg2/data" -l "$D/pg2/postgresql.log" -W start >/dev/null
wait_for "$P2" "$STREAMING" t 60
wait_barman_check 90
as_pg barman -c "$CONF" backup --wait pg1 >/dev/null
# verify
wait_for "$P2" "select pg_last_wal_replay_lsn() >= '$(q "$P1" "select pg_current_wal_lsn()")'" t 60
as_pg barman -c "$CONF" check pg1 >/dev/null
