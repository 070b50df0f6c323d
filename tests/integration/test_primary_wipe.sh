#!/usr/bin/env bash
# Integration: both primary-wipe drills end to end on a real sandbox
# (PostgreSQL 15 primary + hot standby + Barman 3.4 on loopback), with the
# outcome checked independently of drill's own numbers: rows queried directly,
# replication state from pg_stat_replication, the store read with sqlite3.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

sandbox_up

# --- primary-wipe: must pass -------------------------------------------------
"$DRILL_BIN" run primary-wipe --sandbox-dir "$sandbox" --db "$db" --progress lines \
    --junit "$work/pw.xml" --html "$work/pw.html" > "$work/pw.out" 2> "$work/pw.err"
rc=$?
cat "$work/pw.out"; tail -n 40 "$work/pw.err"
check "primary-wipe exits 0" [ "$rc" -eq 0 ]
run=$(sq "select max(id) from runs where drill_name = 'primary-wipe'")
check_primary_wipe_outcome "$run" primary-wipe:
check "JUnit has the RTO property" grep -q 'name="rto_measured_ms"' "$work/pw.xml"
drill_count=$(sq "select count(*) from runs")

# --- primary-wipe-naive: must fail its RPO objective with exit 1 --------------
"$DRILL_BIN" run primary-wipe-naive --sandbox-dir "$sandbox" --db "$db" --progress lines \
    --junit "$work/naive.xml" > "$work/naive.out" 2> "$work/naive.err"
rc=$?
cat "$work/naive.out"; tail -n 20 "$work/naive.err"
check "primary-wipe-naive exits 1" [ "$rc" -eq 1 ]
run=$(sq "select max(id) from runs where drill_name = 'primary-wipe-naive'")
check "naive run stored as failed" [ "$(sq "select status from runs where id = $run")" = failed ]
lost=$(sq "select cast(measured as int) from objectives where run_id = $run and name = 'rpo_transactions'")
check "naive run lost transactions ($lost)" [ "${lost:-0}" -gt 0 ]
check "rpo objective missed" [ "$(sq "select passed from objectives where run_id = $run and name = 'rpo'")" = 0 ]
# Independently: the table has fewer rows than heartbeats were acknowledged.
acked=$(sq "select cast(value as int) from measures where run_id = $run and key = 'heartbeat_acked'")
present=$(q "$p1" "select count(*) from drill_heartbeat where run_id = $run" 2>/dev/null || echo 0)
check "pg1 holds fewer rows than were acknowledged ($present < $acked)" [ "${present:-0}" -lt "${acked:-0}" ]
check "JUnit reports the RPO failure" grep -q '<failure' "$work/naive.xml"
check "previous runs kept" [ "$(sq "select count(*) from runs")" -gt "$drill_count" ]

sandbox_down_checked

finish
