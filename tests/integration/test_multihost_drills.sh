#!/usr/bin/env bash
# Integration: EVERY shipped Barman drill (drills/*.yaml but the -pgbackrest
# variants, run by test_multihost_pgbackrest.sh), unmodified, on the classic
# three-host layout (fixtures/multihost.sh through multihost-lib.sh: node1
# primary, node2 standby through slot standby_slot, Barman on its own host
# bkp with slot barman_slot, all reached over SSH, configuration outside
# PGDATA) — names unlike the sandbox's, so a drill that assumes pg1/pg2, a
# slot called pg2 or a local barman fails here. drill runs in the client
# namespace. After each drill, checked without drill: the layout is healthy
# again (mh_healthy: node1 writable, node2 streaming through standby_slot,
# Barman synchronous through barman_slot, barman check OK; after
# primary-wipe-naive, run last, the databases only) and the heartbeat
# rows drill says survived are on node1 (rows present >= acknowledged - lost
# - discarded by a PITR).
# Also: a drill naming a node is refused with the role as hint, and a wait
# that times out says why (the slot it streams through), not the last
# connection attempt. Prints a "measure:" line per drill (wall, RTO, RPO).
#
#   MULTIHOST_DRILLS="primary-wipe slot-bloat"  runs only these (default: all)
CHECK_LIB_NAME=mhdrills . "$(dirname "${BASH_SOURCE[0]}")/multihost-lib.sh"
require sqlite3 "apt-get install sqlite3" have sqlite3
multihost_up
db=$work/drills.db
echo "measure: multihost up ${up_ms} ms"

# --- a drill names roles: a node name is refused before anything runs -----------
cat > "$work/named.yaml" <<'EOF'
name: named
preflight:
  - kind: wait_for
    node: node2
    probe: streaming
EOF
rc=0; "$DRILL_BIN" validate -t "$topo" "$work/named.yaml" > "$work/named.out" 2>&1 || rc=$?
check "validate refuses node: node2 (exit 2, got $rc)" [ "$rc" -eq 2 ]
check "... saying it is not a role and which role to write" \
    grep -q '"node2" is the standby in topology classic3, so write `standby`' "$work/named.out"

# --- a wait that times out says why --------------------------------------------------
cat > "$work/wrongslot.yaml" <<'EOF'
name: wrong-slot
preflight:
  - name: standby streams through slot pg2
    kind: wait_for
    node: standby
    probe: streaming
    slot: pg2
    timeout: 3s
EOF
in_ctl "$DRILL_BIN" run -t "$topo" --db "$work/wrong.db" "$work/wrongslot.yaml" > "$work/wrong.out" 2>&1
rc=$?
check "a wait for the wrong slot times out: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "... and says which slot node2 streams through" \
    grep -qF 'node2 streams through slot "standby_slot", not "pg2"' "$work/wrong.out"

# --- every shipped drill -------------------------------------------------------------
# primary-wipe-naive runs last: it leaves Barman behind on purpose (its archive
# is ahead of the restored primary: the drill's second lesson), so after it
# only the databases are checked, and nothing runs after it.
all_drills() {
    local f
    # The -pgbackrest variants need a pgBackRest layout: test_multihost_pgbackrest.sh.
    for f in "$DRILL_SOURCE_DIR"/drills/*.yaml; do basename "$f" .yaml; done \
        | grep -vx primary-wipe-naive | grep -v -- '-pgbackrest$'

    echo primary-wipe-naive
}
drills=${MULTIHOST_DRILLS:-$(all_drills)}
ran=0
for d in $drills; do
    # primary-wipe-naive loses writes by design: its RPO objective fails (exit 1).
    want=0; [ "$d" = primary-wipe-naive ] && want=1
    t0=${EPOCHREALTIME/./}
    in_ctl "$DRILL_BIN" run -t "$topo" --db "$db" --yes --progress lines \
        "$DRILL_SOURCE_DIR/drills/$d.yaml" > "$work/$d.out" 2> "$work/$d.err"
    rc=$?
    wall=$(ms_since "$t0")
    ran=$((ran + 1))
    check "$d on classic3: exit $want (got $rc)" [ "$rc" -eq "$want" ]
    if [ "$rc" -ne "$want" ]; then tail -n 30 "$work/$d.err"; cat "$work/$d.out"; fi
    run=$(mq "select max(id) from runs where drill_name = '$d'")
    check "$d: stored as a finished run" \
        [ "$(mq "select status from runs where id = ${run:-0}")" = "$([ "$want" -eq 0 ] && echo passed || echo failed)" ]
    mh_healthy "$d" "$([ "$d" = primary-wipe-naive ] && echo serving)"
    # classic3 keeps postgresql.conf in /etc/postgresql: a drill that
    # restores the primary from Barman says the backup does not hold it.
    if grep -q "kind: barman_recover" "$DRILL_SOURCE_DIR/drills/$d.yaml"; then
        check "$d: a finding says the configuration outside PGDATA is not in the backup" \
            [ "$(mq "select count(*) from events where run_id = ${run:-0} and name = 'finding' and detail like '%is outside PGDATA%'")" -eq 1 ]
    fi
    mh_survivors "$d" "$run"
    mh_measure classic3 "$d" "$rc" "$wall" "$run"
done
check "ran every drill asked for ($ran)" [ "$ran" -ge 1 ]
check "drill verify: the store's evidence chain holds" quiet "$DRILL_BIN" verify --db "$db"
finish
