#!/usr/bin/env bash
# Integration: the pgBackRest drills on a real sandbox built with `drill
# sandbox up --backup pgbackrest` (PostgreSQL 15 primary + hot standby on a
# slot, pgBackRest 2.45 with a local repository and archive-push), and
# `drill audit`'s pgBackRest checks. Outcomes are checked independently of
# drill's verdicts: the servers' state and timelines, the heartbeat rows
# against what drill stored as acknowledged, the repository through
# pgbackrest itself, the application data a PITR must bring back; a recovery
# that fails before its restore (rollback) and a SIGINT during the restore
# both leave the database serving.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"
require pgbackrest "pgBackRest: run fixtures/setup.sh" command -v pgbackrest > /dev/null

sandbox_up --backup pgbackrest
conf=$sandbox/pgbackrest/pgbackrest.conf
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgbr() { (cd / && as_owner pgbackrest --config="$conf" --stanza=pg1 "$@"); }
# Backup sets in the repository, from pgBackRest's own report.
backup_sets() { pgbr info --output=json | grep -o '"label":"[^"]*"' | wc -l; }
timeline() { q "$1" "select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)::int"; }

check "topology backs up with pgBackRest" grep -q "^    tool: pgbackrest$" "$sandbox/topology.yaml"
check "the sandbox has one full backup set" [ "$(backup_sets)" -eq 1 ]
check "pgbackrest check passes on the fresh sandbox" pgbr check
check "pg2 streams from pg1 through slot pg2" pg2_streams_through_slot
check "no Barman slot in this sandbox" [ "$(q "$p1" "select count(*) from pg_replication_slots where slot_name = 'barman'")" -eq 0 ]

# ---- drill audit: the known findings of a fresh pgBackRest sandbox --------
t0=$(date +%s%N)
"$DRILL_BIN" audit --sandbox-dir "$sandbox" --db "$db" --format json > "$work/audit.json"
rc=$?
echo "measure: audit of a fresh pgBackRest sandbox $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "audit of a fresh pgBackRest sandbox exits 0" [ "$rc" -eq 0 ]
findings() {  # "severity check node" of every finding that is not ok, sorted
    /usr/bin/python3 -c 'import json,sys
for f in json.load(open(sys.argv[1]))["findings"]:
    if f["severity"] != "ok": print(f["severity"], f["check"], f["node"])' "$1" | sort | tr '\n' ','
}
check "audit: exactly the known findings ($(findings "$work/audit.json"))" \
    [ "$(findings "$work/audit.json")" = "info backup_age backup,info backup_count backup,info sync_async pg1,warning slot_limit pg1," ]
check "audit: pgbackrest_info ok with the stanza's one backup set" \
    grep -q '"check": *"pgbackrest_info", *"node": *"backup", *"severity": *"ok"' <(tr -d '\n' < "$work/audit.json" | sed 's/},/},\n/g')
check "audit: the standby's restore_command (pgbackrest archive-get) is seen" \
    grep -q '"check": *"standby_restore_command", *"node": *"pg2", *"severity": *"ok"' <(tr -d '\n' < "$work/audit.json" | sed 's/},/},\n/g')
# Declared objectives the repository misses, and a stanza that does not exist.
sed -e 's/^    pgbackrest_stanza: pg1$/&\n    max_backup_age: 1s\n    min_backups: 5/' "$sandbox/topology.yaml" > "$work/strict.yaml"
sleep 1.1
"$DRILL_BIN" audit -t "$work/strict.yaml" --db "$db" > "$work/audit-strict.out" 2>&1
rc=$?
cat "$work/audit-strict.out"
check "audit against max_backup_age 1s / min_backups 5 exits 1" [ "$rc" -eq 1 ]
check "... backup_age critical" grep -qE "^critical +backup_age +backup +newest backup ended .*older than max_backup_age" "$work/audit-strict.out"
check "... backup_count critical (1 of 5)" grep -qE "^critical +backup_count +backup +1 backup set\(s\) \(min_backups 5\)" "$work/audit-strict.out"
sed -e 's/^    pgbackrest_stanza: pg1$/    pgbackrest_stanza: nosuch/' "$sandbox/topology.yaml" > "$work/nostanza.yaml"
"$DRILL_BIN" audit -t "$work/nostanza.yaml" --db "$db" > "$work/audit-nostanza.out" 2>&1
rc=$?
check "audit of a stanza that does not exist exits 1" [ "$rc" -eq 1 ]
check "... pgbackrest_info critical with pgBackRest's reason" grep -qE "^critical +pgbackrest_info +backup +pgbackrest info nosuch: missing stanza path" "$work/audit-nostanza.out"
cat "$work/audit-nostanza.out" | head -5

# ---- primary-wipe-pgbackrest ---------------------------------------------
tl_before=$(timeline "$p1")
sandbox_run pw primary-wipe-pgbackrest
check_drill_passed "primary-wipe-pgbackrest"
sandbox_ports
check "pw: pg1 is a writable primary" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
check "pw: pg1 is on a new timeline ($tl_before -> $(timeline "$p1"))" [ "$(timeline "$p1")" -gt "$tl_before" ]
check "pw: pg2 streams from pg1 through slot pg2" pg2_streams_through_slot
uuid=$(run_uuid "$run")
rows1=$(q "$p1" "select count(*) || ':' || max(seq) from drill_heartbeat where run_uuid = '$uuid'")
rows2=$(q "$p2" "select count(*) || ':' || max(seq) from drill_heartbeat where run_uuid = '$uuid'")
check "pw: the standby has the primary's heartbeat rows ($rows1 / $rows2)" [ "$rows1" = "$rows2" ]
# The loss counted from the rows themselves: acknowledged heartbeats (as
# drill stored them) absent on pg1 = the stored rpo_transactions.
read -r present acked < <(acked_present "$run")
lost=$(measure rpo_transactions)
check "pw: acknowledged heartbeats missing on pg1 ($acked - $present) = rpo_transactions ($lost)" [ $((acked - present)) -eq "$lost" ]
check "pw: something was acknowledged ($acked)" [ "$acked" -gt 100 ]
echo "measure: primary-wipe-pgbackrest RTO $(measure rto_ms) ms, RPO $(measure rpo_ms) ms / $lost tx / $(measure rpo_wal_bytes) WAL bytes"
check "pw: a second backup set, of the new timeline" [ "$(backup_sets)" -eq 2 ]
check "pw: pgbackrest check passes after the recovery" pgbr check
check "pw: the restore's restore_command is not left on pg1" [ -z "$(q "$p1" 'show restore_command')" ]
check "pw: nor in its postgresql.auto.conf (a clone would inherit it)" \
    bash -c "! grep -E '^restore_command' '$sandbox/pg1/data/postgresql.auto.conf'"

# ---- pitr-drop-pgbackrest ------------------------------------------------
tl_before=$(timeline "$p1")
sandbox_run pitr pitr-drop-pgbackrest
check_drill_passed "pitr-drop-pgbackrest"
sandbox_ports
check "pitr: pg1 is a writable primary on a new timeline" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ] && [ "$(timeline "$p1")" -gt "$tl_before" ]
check "pitr: drill_app is back with its 5000 orders" \
    [ "$(psql -XAtq "host=127.0.0.1 port=$p1 user=postgres dbname=drill_app" -c 'select count(*) from orders')" = 5000 ]
check "pitr: RPO 0 transactions before the target" [ "$(measure rpo_transactions)" -eq 0 ]
check "pitr: writes after the target were discarded by design ($(measure pitr_discarded_transactions))" [ "$(measure pitr_discarded_transactions)" -gt 0 ]
# (recovery_target_* take effect at a restart only: the file is the truth.)
check "pitr: no recovery target or restore_command left for clones in pg1's postgresql.auto.conf" \
    bash -c "! grep -E '^(recovery_target|restore_command)' '$sandbox/pg1/data/postgresql.auto.conf'"
check "pitr: pg2 streams from pg1 through slot pg2" pg2_streams_through_slot
check "pitr: pgbackrest check passes" pgbr check
echo "measure: pitr-drop-pgbackrest RTO $(measure rto_ms) ms, RPO $(measure rpo_transactions) tx, discarded $(measure pitr_discarded_transactions) tx"

# ---- backup-verify-pgbackrest --------------------------------------------
pids_before=$(pgrep -f -- "$sandbox/pg[12]/data" | sort -n | tr '\n' ' ')
sandbox_run bv backup-verify-pgbackrest
check_drill_passed "backup-verify-pgbackrest"
check "bv: the sandbox's servers are the same processes" [ "$(pgrep -f -- "$sandbox/pg[12]/data" | sort -n | tr '\n' ' ')" = "$pids_before" ]
# pgrep in functions, not `bash -c`: pgrep -f would match that shell itself.
no_scratch_dir() { ! compgen -G "$sandbox/drill-verify-*" > /dev/null; }
no_scratch_process() { ! pgrep -f -- "$sandbox/drill-verify-" > /dev/null; }
check "bv: no scratch directory left" no_scratch_dir
check "bv: no throw-away server left" no_scratch_process
check "bv: the restore replayed archived WAL" grep -q "newest segment replayed [0-9A-F]\{24\}" <(sq "select out from steps where run_id = $run and name like 'recovery reached%'")
# One byte of a backed-up file changed: `pgbackrest verify` still exits 0;
# the drill must fail at its verify step, with exit 1, and clean up.
victim=$(find "$sandbox/pgbackrest/repo/backup/pg1" -path '*F/pg_data/base/*' -name '*.lz4' -size +2k | head -n 1)
check "a backed-up file to damage found" [ -n "$victim" ]
cp "$victim" "$work/victim.orig"
printf '\377\377\377\377' | dd of="$victim" bs=1 seek=200 conv=notrunc 2> /dev/null
sandbox_run bvbad backup-verify-pgbackrest
check "damaged repository: drill exits 1" [ "$rc" -eq 1 ]
check "damaged repository: the verify step failed, naming the checksum" \
    grep -q "pgbackrest verify found problems.*checksum invalid" <(sq "select message from steps where run_id = $run and name like 'verify the repository%' and status = 'failed'")
check "damaged repository: no scratch directory left" no_scratch_dir
cp "$work/victim.orig" "$victim"

# ---- a recovery that stops half-way still leaves the database serving ----
# A copy of primary-wipe-pgbackrest whose recovery fails before its restore:
# the rollback must wipe what is left, restore, start pg1 and re-clone pg2.
python3 - "$DRILL_SOURCE_DIR/drills/primary-wipe-pgbackrest.yaml" "$work/pw-fail.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
anchor = "recover:\n"
s = s.replace(anchor, anchor + "  - name: an operator mistake\n    kind: shell\n    node: primary\n    command: exit 1\n", 1)
open(sys.argv[2], "w").write(s.replace("name: primary-wipe-pgbackrest", "name: pw-fail", 1))
PY
sandbox_run rb "$work/pw-fail.yaml"
sandbox_ports
check "rollback: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "rollback: stored as failed" [ "$(sq "select status from runs where id = $run")" = failed ]
check "rollback: the rollback restored the latest backup set" \
    [ "$(sq "select status from steps where run_id = $run and name = 'restore the latest backup set again unless the primary serves'")" = ok ]
check "rollback: pg1 is a writable primary again" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
check "rollback: pg2 streams from pg1 through slot pg2" pg2_streams_through_slot
check "rollback: pgbackrest check passes" pgbr check

# ---- SIGINT while pgBackRest restores the wiped primary -------------------
# The operator's Ctrl-C after the fault: the recovery finishes (stopping it
# half-way would leave no database), verify is skipped, cleanup runs, exit 130.
"$DRILL_BIN" run primary-wipe-pgbackrest --sandbox-dir "$sandbox" --db "$db" --progress lines \
    > "$work/int.out" 2> "$work/int.err" &
pid=$!
for _ in $(seq 1 600); do
    grep -q 'restore the latest backup set (WAL through archive-get): started' "$work/int.err" && break
    sleep 0.05
done
kill -INT "$pid"
wait "$pid"
rc=$?
tail -n 12 "$work/int.err"
run=$(sq "select max(id) from runs")
sandbox_ports
check "SIGINT during the restore: exit 130 (got $rc)" [ "$rc" -eq 130 ]
check "SIGINT: stored as aborted, the recovery finished" \
    [ "$(sq "select status || ': ' || message from runs where id = $run")" = "aborted: interrupted by signal 2 after the fault: recovery finished, verify skipped, cleanup ran" ]
check "SIGINT: every recover step passed" \
    [ "$(sq "select count(*) from steps where run_id = $run and phase = 'recover' and status <> 'ok'")" -eq 0 ]
check "SIGINT: pg1 is a writable primary" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
check "SIGINT: pg2 streams from pg1 through slot pg2" pg2_streams_through_slot
check "SIGINT: pgbackrest check passes" pgbr check

sandbox_down_checked
finish
