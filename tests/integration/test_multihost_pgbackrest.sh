#!/usr/bin/env bash
# Integration: the three pgBackRest drills, unmodified, on the classic
# three-host layout built with `fixtures/multihost.sh up --backup pgbackrest`:
# node1 primary archiving to a pgBackRest repository on its own host bkp
# (archive-push over SSH, repo1-host), node2 standby through standby_slot,
# backups taken from bkp over SSH (pg1-host), configuration outside PGDATA,
# /etc/pgbackrest.conf on each host. drill runs in the client namespace and
# reaches every node over SSH; pgbackrest_restore runs on node1 and fetches
# from bkp itself. After each drill, checked without drill: the layout is
# healthy again (mh_healthy: node1 writable, node2 streaming through
# standby_slot, pgbackrest check from bkp) and node1 holds the heartbeat
# rows drill says survived. Also: drill audit's pgBackRest checks over SSH.
# Prints a "measure:" line per drill (wall, RTO, RPO).
CHECK_LIB_NAME=mhpgbr . "$(dirname "${BASH_SOURCE[0]}")/multihost-lib.sh"
require sqlite3 "apt-get install sqlite3" have sqlite3
require pgbackrest "run fixtures/setup.sh" have pgbackrest
multihost_up --backup pgbackrest
db=$work/drills.db
echo "measure: multihost up (pgBackRest) ${up_ms} ms"
check "the backup node is a pgBackRest repository host" grep -q '^    tool: pgbackrest$' "$topo"
mh_healthy "fresh layout"


# --- drill audit over SSH: pgbackrest info on bkp, read-only ---------------------
in_ctl "$DRILL_BIN" audit -t "$topo" --db "$db" > "$work/audit.out" 2>&1
rc=$?
cat "$work/audit.out" | grep -E "^(ok|info|warning|critical) " 
check "audit of the pgBackRest layout exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "audit: pgbackrest_info ok for stanza main-db on repo" grep -qE "^ok +pgbackrest_info +repo +stanza main-db: ok, 1 backup set" "$work/audit.out"
check "audit: backup_count info (1, none declared)" grep -qE "^info +backup_count +repo +1 backup set\(s\) \(no min_backups declared\)" "$work/audit.out"
check "audit: config outside PGDATA found on node1" grep -qE "^warning +config_outside_pgdata +node1 " "$work/audit.out"

for d in primary-wipe-pgbackrest pitr-drop-pgbackrest backup-verify-pgbackrest; do
    t0=${EPOCHREALTIME/./}
    in_ctl "$DRILL_BIN" run -t "$topo" --db "$db" --yes --progress lines \
        "$DRILL_SOURCE_DIR/drills/$d.yaml" > "$work/$d.out" 2> "$work/$d.err"
    rc=$?
    wall=$(ms_since "$t0")
    check "$d on classic3 (pgBackRest): exit 0 (got $rc)" [ "$rc" -eq 0 ]
    if [ "$rc" -ne 0 ]; then tail -n 30 "$work/$d.err"; cat "$work/$d.out"; fi
    run=$(mq "select max(id) from runs where drill_name = '$d'")
    check "$d: stored as passed" [ "$(mq "select status from runs where id = ${run:-0}")" = passed ]
    mh_healthy "$d"
    mh_survivors "$d" "$run"
    mh_measure classic3-pgbackrest "$d" "$rc" "$wall" "$run"
done
# bkp's configuration is in /etc: the scratch directory went to /var/tmp.
scratch=/var/tmp/drill-verify-$(mq "select uuid from runs where drill_name = 'backup-verify-pgbackrest'")
check "backup-verify-pgbackrest's scratch directory ($scratch) is gone from bkp" [ ! -e "$scratch" ]
check "drill verify: the store's evidence chain holds" quiet "$DRILL_BIN" verify --db "$db"
finish
