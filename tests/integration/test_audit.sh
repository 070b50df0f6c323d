#!/usr/bin/env bash
# Integration: drill audit on a real sandbox. A fresh sandbox passes with
# its known findings (both slots active but unlimited by
# max_slot_wal_keep_size; Barman the only synchronous standby; pg2 streams
# without a restore_command) and the
# audit writes nothing (pg1's WAL insert position is unchanged: its
# sessions are read-only). Then each provoked risk is found: an idle slot, a
# standby that is down (unreachable: exit 3; its slot inactive), Barman's
# receiver gone (no synchronous standby connected, barman check failing:
# critical, exit 1), an asynchronous primary (info), a drill the topology
# says must be rehearsed every hour that never passed here (critical) —
# until primary-wipe passes (ok).
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

sandbox_up
audit() {  # audit LABEL [ARGS]: JSON into $work/LABEL.json, exit status in arc
    local label=$1
    shift
    "$DRILL_BIN" audit --sandbox-dir "$sandbox" --db "$db" --format json "$@" > "$work/$label.json" 2> "$work/$label.err"
    arc=$?
}
# finding LABEL CHECK NODE [SEVERITY]: the severity of CHECK on NODE (first match), or "none".
finding() {
    /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
hits = [f for f in d["findings"] if f["check"] == sys.argv[2] and f["node"] == sys.argv[3]
        and (len(sys.argv) < 5 or sys.argv[4] in f["value"])]
print(hits[0]["severity"] if hits else "none")' "$work/$1.json" "$2" "$3" "${4:-}"
}
severities() {  # the non-ok findings as "severity:check:node" lines, sorted
    /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted("%s:%s:%s" % (f["severity"], f["check"], f["node"]) for f in d["findings"] if f["severity"] != "ok")))' "$work/$1.json"
}

# ---- a fresh sandbox: known findings, nothing written ----------------------------
q "$p1" "create extension if not exists pg_walinspect" > /dev/null
q "$p1" "checkpoint" > /dev/null
before=$(q "$p1" "select pg_current_wal_insert_lsn()")
t0=$(date +%s%N)
audit fresh
wall=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "measure: audit of a fresh sandbox ${wall} ms"
check "fresh: exit 0 (got $arc)" [ "$arc" -eq 0 ]
check "fresh: the known findings only ($(severities fresh))" \
    [ "$(severities fresh)" = "info:standby_restore_command:pg2 warning:slot_limit:pg1 warning:sync_single_point:pg1" ]
check "fresh: every slot, setting and Barman were looked at" \
    [ "$(finding fresh slot_inactive pg1 'slot pg2')$(finding fresh slot_inactive pg1 'slot barman')$(finding fresh barman_check backup)$(finding fresh standby_streaming pg2)" = okokokok ]
# "Wrote nothing": no transaction committed and no row or index entry
# changed. The server itself may still log beside a reader (read ->
# hint bits -> a full-page image with checksums on; on-access pruning; the
# bgwriter's running-xacts snapshot every 15 s): those are allowed, named.
after=$(q "$p1" "select pg_current_wal_insert_lsn()")
writes=
if [ "$after" != "$before" ]; then
    writes=$(q "$p1" "select coalesce(string_agg(distinct resource_manager || '/' || record_type, ' '), '')
        from pg_get_wal_records_info('$before', '$after')
        where resource_manager in ('Transaction', 'Heap', 'Btree', 'Sequence', 'Storage', 'Database')
           or (resource_manager = 'Heap2' and record_type not in ('PRUNE', 'VACUUM', 'VISIBLE', 'FREEZE_PAGE'))")
    echo "WAL beside the audit ($before -> $after): $(q "$p1" "select string_agg(distinct resource_manager || '/' || record_type, ' ') from pg_get_wal_records_info('$before', '$after')")"
fi
check "fresh: the audit wrote nothing on pg1 (no commit, no row: ${writes:-none})" [ -z "$writes" ]
fresh_run=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$work/fresh.json")
check "fresh: stored as a passed run of drill audit, one step per finding" \
    [ "$(sq "select status || ':' || drill_name || ':' || (select count(*) from steps where run_id = $fresh_run) from runs where id = $fresh_run")" = \
      "passed:audit:$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/fresh.json")" ]
"$DRILL_BIN" audit --sandbox-dir "$sandbox" --db "$db" --strict --junit "$work/strict.xml" > "$work/strict.out" 2>&1
check "fresh: --strict fails on the warnings (exit 1)" [ $? -eq 1 ]
check "fresh: the text names why and the fix of each finding not ok (2 warnings, 1 info)" \
    [ "$(grep -c '^         fix: ' "$work/strict.out")" -eq 3 ]
check "fresh: JUnit has one testcase per finding, the two warnings failed under --strict" \
    [ "$(xmllint --xpath 'count(//testcase)' "$work/strict.xml")/$(xmllint --xpath 'count(//testcase/failure)' "$work/strict.xml")" = \
      "$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/fresh.json")/2" ]
check "the audits are sealed: drill verify passes" "$DRILL_BIN" verify --db "$db"

# ---- rehearsal_age: a drill the topology says is due --------------------------------
{ sed '/^nodes:/,$d' "$sandbox/topology.yaml"; printf 'rehearse_every:\n  primary-wipe: 1h\n'; sed -n '/^nodes:/,$p' "$sandbox/topology.yaml"; } > "$work/due.yaml"
"$DRILL_BIN" audit -t "$work/due.yaml" --db "$db" --format json > "$work/due.json" 2> "$work/due.err"
arc=$?
check "due: primary-wipe never passed here: rehearsal_age critical, exit 1" \
    [ "$(finding due rehearsal_age sandbox 'never passed')$arc" = critical1 ]
sandbox_run pw primary-wipe -t "$work/due.yaml"
check "due: primary-wipe passes" [ "$rc" -eq 0 ]
sandbox_ports
"$DRILL_BIN" audit -t "$work/due.yaml" --db "$db" --format json > "$work/due2.json" 2> "$work/due2.err"
arc=$?
check "due: after it passed, rehearsal_age ok (last passed 0 h ago), exit 0" \
    [ "$(finding due2 rehearsal_age sandbox 'last passed 0 h ago')$arc" = ok0 ]

# ---- provoked risks ---------------------------------------------------------------
q "$p1" "select pg_create_physical_replication_slot('audit_idle', true)" > /dev/null
audit idle
check "an idle slot is found (warning)" [ "$(finding idle slot_inactive pg1 'slot audit_idle')" = warning ]
check "... and the audit still exits 0 (warnings only)" [ "$arc" -eq 0 ]
q "$p1" "select pg_drop_replication_slot('audit_idle')" > /dev/null

q "$p1" "alter system set synchronous_standby_names = ''" > /dev/null
q "$p1" "select pg_reload_conf()" > /dev/null
audit async
check "an asynchronous primary is reported (info)" [ "$(finding async sync_async pg1)" = info ]
q "$p1" "alter system reset synchronous_standby_names" > /dev/null
q "$p1" "select pg_reload_conf()" > /dev/null

as_barman receive-wal --stop pg1 > /dev/null 2>&1
for _ in $(seq 50); do barman_streams_sync || break; sleep 0.2; done
audit nosync
check "no synchronous standby connected: critical" [ "$(finding nosync sync_single_point pg1)" = critical ]
check "... Barman's slot is inactive" [ "$(finding nosync slot_inactive pg1 'slot barman')" = warning ]
check "... barman check fails: critical" [ "$(finding nosync barman_check backup)" = critical ]
check "... exit 1" [ "$arc" -eq 1 ]

"$DRILL_BIN" sandbox down --dir "$sandbox" > /dev/null 2>&1
sandbox_up   # a fresh one: Barman streaming again
runuser_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
runuser_pg /usr/lib/postgresql/15/bin/pg_ctl -D "$sandbox/pg2/data" -m fast -w stop > /dev/null
audit down
check "a standby that is down: unreachable, critical" [ "$(finding down reachable pg2)" = critical ]
check "... its slot is inactive" [ "$(finding down slot_inactive pg1 'slot pg2')" = warning ]
check "... exit 3 (a node could not be looked at)" [ "$arc" -eq 3 ]

sandbox_down_checked
finish
