#!/usr/bin/env bash
# Integration: the heartbeat's evidence cannot lie (real sandbox).
#  - two stores against one cluster: each run's heartbeat rows carry its own
#    UUID, so both runs get acknowledged heartbeats and an RPO computed from
#    their own rows only (with the local run id as key, the second store's
#    run 1 collided with the first's: every insert failed);
#  - a heartbeat the database refuses (a trigger) stops the shipped
#    primary-wipe before its fault: exit 3, the trigger's message shown, the
#    primary never restarted, no objective met;
#  - more acknowledged heartbeats than the writer's memory buffer (32 here):
#    the oldest move to its spill file and RPO still counts exactly the
#    acknowledged rows the "fault" deleted, the oldest ones.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

sandbox_up

# A drill that measures RPO without destroying anything: the "fault" is a
# pause, so every acknowledged heartbeat must be present.
cat > "$work/hb.yaml" <<'YAML'
name: hb-evidence
description: heartbeat, a harmless pause as the fault, RPO verified on the primary
objectives:
  rpo: 0s
  rpo_transactions: 0
preflight:
  - name: start the heartbeat
    kind: heartbeat_start
fault:
  - kind: event
    event: fault
  - name: pause
    kind: sleep
    duration: 500ms
verify:
  - name: every acknowledged heartbeat is on the primary
    kind: heartbeat_verify
    node: primary
cleanup:
  - kind: heartbeat_stop
YAML

is_uuid() { [[ $1 =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]; }
for s in a b; do
    db=$work/$s.db
    sandbox_run "store-$s" "$work/hb.yaml"
    check_drill_passed "store $s"
    check "store $s: first run of this store is run 1" [ "$run" -eq 1 ]
    uuid=$(run_uuid "$run")
    check "store $s: run has a UUID ($uuid)" is_uuid "$uuid"
    acked=$(sq "select cast(value as int) from measures where run_id = $run and key = 'heartbeat_acked'")
    present=$(q "$p1" "select count(*) from drill_heartbeat where run_uuid = '$uuid'")
    check "store $s: heartbeats acknowledged ($acked) and all on pg1 ($present)" \
        [ "${acked:-0}" -gt 0 -a "${present:-0}" -ge "${acked:-0}" ]
    check "store $s: RPO 0 from its own rows" \
        [ "$(sq "select cast(value as int) from measures where run_id = $run and key = 'rpo_transactions'")" = 0 ]
    eval "uuid_$s=\$uuid acked_$s=\$acked"
done
check "the two runs 1 have different UUIDs" [ "$uuid_a" != "$uuid_b" ]
check "pg1 holds both runs' rows, apart" \
    [ "$(q "$p1" "select count(distinct run_uuid) from drill_heartbeat where run_uuid in ('$uuid_a', '$uuid_b')")" = 2 ]

# --- a database that refuses every heartbeat ------------------------------
db=$work/c.db
q "$p1" "create function drill_refuse() returns trigger language plpgsql as \$\$ begin raise exception 'heartbeat refused by site policy'; end \$\$;
         create trigger refuse before insert on drill_heartbeat for each row execute function drill_refuse()" > /dev/null
started=$(q "$p1" "select pg_postmaster_start_time()")
sandbox_run refused primary-wipe --objective rto=10m
check "refused heartbeat: exit 3 (aborted before the fault)" [ "$rc" -eq 3 ]
check "refused heartbeat: the database's message is shown" grep -q "heartbeat refused by site policy" "$work/refused.err"
check "refused heartbeat: run stored as an error (stopped in preflight)" [ "$(sq "select status from runs where id = $run")" = error ]
check "refused heartbeat: no fault event" [ "$(sq "select count(*) from events where run_id = $run and name = 'fault'")" = 0 ]
check "refused heartbeat: no objective met" [ "$(sq "select count(*) from objectives where run_id = $run and passed = 1")" = 0 ]
check "refused heartbeat: no fault step ran" \
    [ "$(sq "select count(*) from steps where run_id = $run and phase = 'fault' and status <> 'skipped'")" = 0 ]
check "refused heartbeat: pg1 never restarted" [ "$(q "$p1" "select pg_postmaster_start_time()")" = "$started" ]
check "refused heartbeat: pg1 still writable" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
q "$p1" "drop trigger refuse on drill_heartbeat; drop function drill_refuse()" > /dev/null

# --- heartbeat_verify with zero acknowledged heartbeats -------------------
db=$work/d.db
sed 's/^  - name: start the heartbeat$/  - name: start the heartbeat\n    evidence: 0ms\n    evidence_timeout: 0ms/' "$work/hb.yaml" > "$work/hb0.yaml"
q "$p1" "create function drill_refuse() returns trigger language plpgsql as \$\$ begin raise exception 'refused again'; end \$\$;
         create trigger refuse before insert on drill_heartbeat for each row execute function drill_refuse()" > /dev/null
sandbox_run zero "$work/hb0.yaml"
q "$p1" "drop trigger refuse on drill_heartbeat; drop function drill_refuse()" > /dev/null
check "zero acks: the run fails (exit != 0)" [ "$rc" -ne 0 ]
check "zero acks: heartbeat_verify failed, saying why" \
    [ "$(sq "select count(*) from steps where run_id = $run and kind = 'heartbeat_verify' and status = 'failed' and message like 'no heartbeat was acknowledged%'")" = 1 ]
check "zero acks: no RPO objective met" [ "$(sq "select count(*) from objectives where run_id = $run and passed = 1")" = 0 ]

# --- more acks than the memory buffer: RPO still judged on every one --------
db=$work/e.db
cat > "$work/spill.yaml" <<'YAML'
name: hb-spill
description: the fault deletes the run's three oldest heartbeat rows; RPO must count them
objectives:
  rpo_transactions: 0
preflight:
  - name: start the heartbeat
    kind: heartbeat_start
fault:
  - kind: event
    event: fault
  - name: delete the three oldest acknowledged heartbeats of this run
    kind: sql
    node: primary
    query: >-
      delete from drill_heartbeat where seq <= 3 and run_uuid =
      (select run_uuid from drill_heartbeat order by server_ts desc limit 1)
    expect_rows: 3
  - name: pause
    kind: sleep
    duration: 300ms
verify:
  - name: heartbeats on the primary
    kind: heartbeat_verify
    node: primary
cleanup:
  - kind: heartbeat_stop
YAML
DRILL_HEARTBEAT_BUFFER=32 sandbox_run spill "$work/spill.yaml"
check "spill: more acks ($(measure heartbeat_acked)) than the 32-ack buffer, some spilled ($(measure heartbeat_acks_spilled))" \
    [ "$(measure heartbeat_acked)" -gt 64 -a "$(measure heartbeat_acks_spilled)" -gt 0 ]
check "spill: RPO counts exactly the 3 deleted (spilled) acks" [ "$(measure rpo_transactions)" = 3 ]
check "spill: the RPO objective fails on them (exit 1)" [ "$rc" -eq 1 ]

sandbox_down_checked
finish
