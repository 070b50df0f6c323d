#!/usr/bin/env bash
# tests/integration/test_sandbox.sh — brings fixtures/sandbox.sh up in a
# fresh temporary directory and checks what it claims INDEPENDENTLY of its
# own output: roles via pg_is_in_recovery(), streaming via
# pg_stat_replication on pg1, Barman via `barman check` / `list-backups`,
# idempotent `up` (same PIDs), and a `down` that leaves no process behind
# and removes the directory.
#
# Needs PostgreSQL 15 + Barman (fixtures/setup.sh). Without them the test is
# skipped (exit 77), except under CI=true, where it fails (check-lib.sh: require).
CHECK_LIB_NAME=sandbox . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"

SRC=${DRILL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SB=$SRC/fixtures/sandbox.sh
PG_BIN=/usr/lib/postgresql/15/bin
D=

# bad NAME [DETAIL]: a failed check with the detail that explains it.
bad() { fail "$1"; [ $# -lt 2 ] || printf '     %s\n' "$2"; }

# The sandbox runs as postgres when we are root: query as that user too.
owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
sql() { owner "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2" 2>&1; }
barman_() { owner barman -c "$D/barman/barman.conf" "$@"; }

# JSON field from the status document (python3 is part of Debian's barman deps).
jget() {
    python3 -c 'import json,sys
doc = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"doc": doc, "node": lambda n: [x for x in doc["nodes"] if x["name"] == n][0]})
print(json.dumps(v) if isinstance(v, (bool, type(None))) else v)' "$1" "$2"
}

# shellcheck disable=SC2317  # invoked through trap
cleanup() {
    if [ -n "$D" ] && [ -d "$D" ]; then
        bash "$SB" down --dir "$D" >/dev/null 2>&1 || true
        rm -rf -- "$D"
    fi
    rm -f "${STATUS_JSON:-}"
    rm -rf "$work"
}
trap cleanup EXIT

test_up() {
    local t0 t1
    t0=$(date +%s)
    if bash "$SB" up --dir "$D" >"$D.up.out" 2>"$D.up.err"; then ok "up exits 0"; else
        bad "up exits 0" "$(tail -n 20 "$D.up.err")"; finish; exit 1; fi
    t1=$(date +%s)
    printf '     up took %ss\n' $((t1 - t0))
    check "up prints progress lines" grep -q '^sandbox: initdb pg1 \.\.\. ' "$D.up.err"
    check "topology.yaml written" test -s "$D/topology.yaml"
    check "state file written" test -s "$D/state"
}

test_status_json() {
    STATUS_JSON=$(mktemp)
    bash "$SB" status --dir "$D" --json >"$STATUS_JSON"
    check "status exit 0 when up" test $? -eq 0
    check "status state=up" test "$(jget "$STATUS_JSON" 'doc["state"]')" = up
    check "status topology path" test "$(jget "$STATUS_JSON" 'doc["topology"]')" = "$D/topology.yaml"
    P1=$(jget "$STATUS_JSON" 'node("pg1")["port"]')
    P2=$(jget "$STATUS_JSON" 'node("pg2")["port"]')
    PID1=$(jget "$STATUS_JSON" 'node("pg1")["pid"]')
    PID2=$(jget "$STATUS_JSON" 'node("pg2")["pid"]')
    RWPID=$(jget "$STATUS_JSON" 'node("backup")["receive_wal_pid"]')
    check "pg1/pg2 ports differ" test "$P1" != "$P2"
    check "pg1 pid is its postmaster" test "$PID1" = "$(head -n 1 "$D/pg1/data/postmaster.pid")"
    check "pg2 pid is its postmaster" test "$PID2" = "$(head -n 1 "$D/pg2/data/postmaster.pid")"
    check "receive-wal pid alive" kill -0 "$RWPID"
    check "status names the barman config" \
        test "$(jget "$STATUS_JSON" 'node("backup")["barman_config"]')" = "$D/barman/barman.conf"
}

test_topology_file() {
    local sysid
    sysid=$(sql "$P1" "select system_identifier from pg_control_system()")
    check "topology pins pg1's system_identifier" grep -q "^system_identifier: \"$sysid\"" "$D/topology.yaml"
    check "topology conninfo of pg1" grep -q "conninfo: \"host=127.0.0.1 port=$P1 user=postgres dbname=postgres\"" "$D/topology.yaml"
    check "topology has pg2 upstream pg1" grep -q '^    upstream: pg1$' "$D/topology.yaml"
    check "topology has barman_config" grep -q "^    barman_config: $D/barman/barman.conf$" "$D/topology.yaml"
}

test_servers() {
    check "pg1 is a primary" test "$(sql "$P1" 'select pg_is_in_recovery()')" = f
    check "pg2 is in recovery" test "$(sql "$P2" 'select pg_is_in_recovery()')" = t
    check "pg1 listens on 127.0.0.1 only" test "$(sql "$P1" 'show listen_addresses')" = 127.0.0.1
    check "checksums on (pg_rewind-able)" test "$(sql "$P1" 'show data_checksums')" = on
    local rep
    rep=$(sql "$P1" "select r.application_name, r.state, s.slot_name from pg_stat_replication r
                     join pg_replication_slots s on s.active_pid = r.pid where s.slot_name = 'pg2'")
    check "pg2 streams from pg1 via slot pg2" test "$rep" = "pg2|streaming|pg2"
    check "barman slot active on pg1" \
        test "$(sql "$P1" "select active from pg_replication_slots where slot_name = 'barman'")" = t
    # A write on pg1 shows up on pg2.
    sql "$P1" "create table sandbox_probe(x int); insert into sandbox_probe values (42)" >/dev/null
    local v=
    for _ in $(seq 1 50); do
        v=$(sql "$P2" "select x from sandbox_probe" 2>/dev/null)
        [ "$v" = 42 ] && break
        sleep 0.1
    done
    check "write on pg1 replicated to pg2" test "$v" = 42
}

test_barman() {
    local out
    if out=$(barman_ check pg1 2>&1) && ! grep -q FAILED <<<"$out"; then ok "barman check pg1 OK"; else
        bad "barman check pg1 OK" "$(grep FAILED <<<"$out")"; fi
    out=$(barman_ -f json list-backups pg1 2>&1)
    check "barman has exactly one DONE backup" \
        test "$(python3 -c 'import json,sys; b=json.loads(sys.argv[1])["pg1"]; print(sum(x["status"]=="DONE" for x in b), len(b))' "$out")" = "1 1"
    check "barman config does not read /etc/barman.d" \
        grep -q "^configuration_files_directory = $D/barman/conf.d$" "$D/barman/barman.conf"
}

test_idempotent_up() {
    local err
    err=$(bash "$SB" up --dir "$D" 2>&1 >/dev/null)
    check "second up exits 0" test $? -eq 0
    check "second up says already up" grep -q 'already up' <<<"$err"
    check "pg1 pid unchanged" test "$(head -n 1 "$D/pg1/data/postmaster.pid")" = "$PID1"
    check "pg2 pid unchanged" test "$(head -n 1 "$D/pg2/data/postmaster.pid")" = "$PID2"
    check "receive-wal pid unchanged" test "$(head -n 1 "$D/barman/lock/.pg1-receive-wal.lock")" = "$RWPID"
}

# Safety before anything destructive: a topology whose system_identifier pin
# does not match the running primary is refused (exit 3) and nothing is
# touched; a topology without allow_destructive needs --yes.
test_target_safety() {
    local t=$D/wrong.yaml db=$D/safety.db rc
    : "${DRILL_BIN:?}"
    sed 's/^system_identifier: .*/system_identifier: "1234567890123456789"/' "$D/topology.yaml" > "$t"
    "$DRILL_BIN" run -t "$t" --db "$db" --progress lines primary-wipe > "$D/pin.out" 2>&1
    rc=$?
    check "a wrong system_identifier pin refuses the drill (exit 3)" test "$rc" -eq 3
    check "the refusal names both identifiers" grep -q 'system_identifier is [0-9]* but .* pins 1234567890123456789' "$D/pin.out"
    check "no step ran" test "$(sqlite3 "$db" "select count(*) from steps")" -eq 0
    check "the refusal is stored as an event" test "$(sqlite3 "$db" "select count(*) from events where name = 'target_refused'")" -eq 1
    check "pg1 untouched: same postmaster, data directory intact" \
        test "$(head -n 1 "$D/pg1/data/postmaster.pid")" = "$PID1" -a -f "$D/pg1/data/PG_VERSION"
    sed 's/^allow_destructive: true/allow_destructive: false/' "$D/topology.yaml" > "$t"
    "$DRILL_BIN" run -t "$t" --db "$db" primary-wipe > "$D/yes.out" 2>&1
    rc=$?
    check "without allow_destructive or --yes a destructive drill is refused (exit 3)" test "$rc" -eq 3
    check "the refusal says how to allow it" grep -q -- '--yes' "$D/yes.out"
    check "pg1 still untouched" test "$(head -n 1 "$D/pg1/data/postmaster.pid")" = "$PID1"
}

# Alive and not a zombie (PID 1 of some containers reaps orphans lazily).
running() {
    [ -r "/proc/$1/stat" ] || return 1
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

test_down() {
    local pid alive=
    check "down exits 0" bash "$SB" down --dir "$D"
    sleep 0.3
    for pid in $PID1 $PID2 $RWPID; do running "$pid" && alive="$alive $pid"; done
    if [ -z "$alive" ]; then ok "started processes are gone"; else
        bad "started processes are gone" "$(ps -o pid,ppid,stat,args -p "${alive# }" 2>&1)"; fi
    check "no process mentions the sandbox dir" test -z "$(pgrep -f -- "$D" || true)"
    check "state directory removed" test ! -e "$D"
    bash "$SB" status --dir "$D" >/dev/null 2>&1
    check "status exit 3 when down" test $? -eq 3
    check "down again is a no-op" bash "$SB" down --dir "$D"
}

main() {
    require postgresql "PostgreSQL 15: run fixtures/setup.sh" test -x "$PG_BIN/initdb"
    require barman "run fixtures/setup.sh" command -v barman > /dev/null
    D=$(mktemp -d)
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$D"; fi
    test_up
    test_status_json
    test_topology_file
    test_servers
    test_barman
    test_idempotent_up
    test_target_safety
    test_down
    rm -f "$D.up.out" "$D.up.err"
    finish
}

main "$@"
