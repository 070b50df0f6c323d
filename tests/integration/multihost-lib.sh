# multihost-lib.sh — sourced by the tests that run on the three-host fixture
# (fixtures/multihost.sh: node1 primary, node2 standby through slot
# standby_slot, Barman host bkp, in network namespaces). Brings it up in a
# private directory, tears it down on exit, and gives ways to look at it
# WITHOUT drill: ssh and psql from the client namespace exactly as the
# topology says, so the tests check drill's outcome independently.
#
#   multihost_up [--backup pgbackrest]  up (skips, or fails under CI=true, when namespaces
#                           or a server are missing); sets $dir $topo $prefix $up_ms
#   in_ctl CMD...           run CMD in the client namespace
#   addr NODE               the node's address (node1, node2, barman or repo)
#   ssh_as NODE [KNOWN_HOSTS] -- CMD   ssh with the topology's key and strict host keys
#   sql NODE SQL            psql on the node, unaligned
#   mq SQL, measure_of RUN KEY, mh_survivors LABEL RUN, mh_measure ...: the
#                           test's store ($db) and a drill's stored outcome
#   mh_healthy LABEL [serving]  checks the layout's healthy shape: node1 writable,
#                           node2 streaming through standby_slot, Barman's
#                           receiver synchronous through barman_slot, barman
#                           check OK — or pgbackrest check, on a pgBackRest
#                           layout (with `serving`: the databases only)
CHECK_LIB_NAME=${CHECK_LIB_NAME:-multihost}
. "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
. "$DRILL_SOURCE_DIR/fixtures/sshd-lib.sh"
mh=$DRILL_SOURCE_DIR/fixtures/multihost.sh
have() { command -v "$1" > /dev/null; }
quiet() { "$@" > "$work/quiet.out" 2>&1 || { cat "$work/quiet.out"; return 1; }; }
require root "run as root: network namespaces" [ "$(id -u)" -eq 0 ]
require iproute2 "apt-get install iproute2" have ip
require sshd "apt-get install openssh-server" sshd_available
require postgresql "run fixtures/setup.sh" [ -x /usr/lib/postgresql/15/bin/initdb ]
require barman "run fixtures/setup.sh" have barman
require barman-cli "run fixtures/setup.sh" have barman-wal-restore

dir=$work/mh
cleanup() {
    if [ -d "$dir" ]; then "$mh" down --dir "$dir" > /dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ms_since() { echo $(( (${EPOCHREALTIME/./} - $1) / 1000 )); }

multihost_up() {
    local t0 rc
    t0=${EPOCHREALTIME/./}
    "$mh" up --dir "$dir" "$@" > "$work/up.out" 2> "$work/up.err"
    rc=$?
    up_ms=$(ms_since "$t0")
    cat "$work/up.err"
    if [ "$rc" -eq 77 ]; then skip_or_fail "multihost fixture cannot run here: $(tail -n 1 "$work/up.err")"; fi
    check "up exits 0 (got $rc)" [ "$rc" -eq 0 ]
    check "up prints its directory" [ "$(cat "$work/up.out")" = "$dir" ]
    [ "$rc" -eq 0 ] || { finish; exit; }
    topo=$dir/topology.yaml
    prefix=$(sed -n 's/^PREFIX=//p' "$dir/state")
    # One line per node: name host port user identity_file known_hosts [barman_config].
    awk '/^  - name: /  { if (n != "") print n, h, p, u, i, k, b; n = $3; b = "" }
         /^      host: / { h = $2 } /^      port: / { p = $2 } /^      user: / { u = $2 }
         /^      identity_file: / { i = $2 } /^      known_hosts: / { k = $2 }
         /^    barman_config: / { b = $2 }
         END { print n, h, p, u, i, k, b }' "$topo" > "$work/nodes"
}

addr() { awk -v n="$1" '$1 == n { print $2 }' "$work/nodes"; }
in_ctl() { "$mh" exec --dir "$dir" -- "$@"; }
ssh_as() {
    local name host port user id kh b
    read -r name host port user id kh b < <(awk -v n="$1" '$1 == n' "$work/nodes")
    shift
    if [ "$1" != -- ]; then kh=$1; shift; fi
    shift
    in_ctl ssh -F /dev/null -p "$port" -i "$id" -o IdentitiesOnly=yes -o BatchMode=yes \
        -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$kh" -o GlobalKnownHostsFile=/dev/null \
        "$user@$host" "$@"
}
sql() {  # sql NODE SQL
    in_ctl /usr/lib/postgresql/15/bin/psql -X -At -v ON_ERROR_STOP=1 -h "$(addr "$1")" -p 5432 \
        -U postgres -d postgres -c "$2" 2>&1
}
barman_conf() { awk '$1 == "barman" { print $7 }' "$work/nodes"; }

STANDBY_STREAMS_SQL="select s.active, r.state from pg_replication_slots s
    join pg_stat_replication r on r.pid = s.active_pid where s.slot_name = 'standby_slot'"
BARMAN_SYNC_SQL="select r.sync_state from pg_stat_replication r join pg_replication_slots s
    on s.active_pid = r.pid where s.slot_name = 'barman_slot'
    and r.application_name = 'barman_receive_wal'"

# until_ok SECONDS CMD...: CMD holds within SECONDS (a state drill's last step
# reached may take a moment to show on the other side).
until_ok() {
    local end=$((SECONDS + $1))
    shift
    until "$@" > /dev/null 2>&1; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.5
    done
}
is_eq() { [ "$("${@:2}")" = "$1" ]; }

mh_healthy() {  # mh_healthy LABEL [serving]: serving = the databases only, not Barman
    local l=$1
    check "$l: node1 is a writable primary" is_eq f sql node1 "select pg_is_in_recovery()"
    check "$l: node2 streams from node1 through standby_slot ($(addr node2))" \
        until_ok 30 is_eq "t|streaming" sql node1 "$STANDBY_STREAMS_SQL"
    check "$l: node2 is in recovery with primary_slot_name standby_slot" \
        is_eq "true standby_slot" sql node2 "select pg_is_in_recovery() || ' ' || current_setting('primary_slot_name')"
    [ "${2:-}" != serving ] || return 0
    if grep -q '^    tool: pgbackrest$' "$topo"; then
        check "$l: pgbackrest check main-db OK (as barman on bkp, over ssh: WAL switch archived)" \
            until_ok 60 ssh_as repo -- pgbackrest --stanza=main-db check
        return 0
    fi
    check "$l: Barman's receiver is node1's synchronous standby through barman_slot" \
        until_ok 30 is_eq sync sql node1 "$BARMAN_SYNC_SQL"
    check "$l: barman check main-db OK (as barman on bkp, over ssh)" \
        until_ok 60 ssh_as barman -- barman -c "$(barman_conf)" check main-db
}

# ---- a drill's stored run ($db: the test's store) -----------------------------------
mq() { sqlite3 "$db" "$1"; }
measure_of() { mq "select cast(value as int) from measures where run_id = $1 and key = '$2'"; }
count_of() { mq "select coalesce(sum(cast(value as int)), 0) from measures where run_id = $1 and key = '$2'"; }

# mh_survivors LABEL RUN: node1 holds at least the heartbeat rows run RUN says
# survived: acknowledged - lost by the fault (RPO) - discarded on purpose by a
# PITR, counted on node1 with SQL. Nothing to check for a drill without a heartbeat.
mh_survivors() {
    local acked lost present
    acked=$(measure_of "${2:-0}" heartbeat_acked)
    [ -n "$acked" ] || return 0
    lost=$(( $(count_of "$2" rpo_transactions) + $(count_of "$2" pitr_discarded_transactions) ))
    present=$(sql node1 "select count(*) from drill_heartbeat where run_uuid = '$(run_uuid "$2")'")
    check "$1: node1 holds the rows drill says survived ($present >= $acked - $lost)" \
        [ "${present:-0}" -ge $((acked - lost)) ]
}

# mh_measure LAYOUT DRILL RC WALL_MS RUN: the test's "measure:" line of a drill.
mh_measure() {
    echo "measure: $1 $2 exit $3 wall $4 ms rto $(measure_of "${5:-0}" rto_ms) ms" \
         "rpo $(measure_of "${5:-0}" rpo_ms) ms / $(measure_of "${5:-0}" rpo_transactions) tx"
}
