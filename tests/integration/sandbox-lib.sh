# sandbox-lib.sh — sourced by the integration tests that run drills on a real
# sandbox: check-lib.sh, the "servers present" rule (require, ../test-lib.sh:
# a failure under CI=true, a skip otherwise), a private sandbox directory that
# is torn down on exit, whatever happened, and the helpers these tests share
# (psql and sqlite queries, stored measures and facts, the sandbox's checks).
. "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
: "${DRILL_SOURCE_DIR:?}"
export DRILL_FIXTURES_DIR="$DRILL_SOURCE_DIR/fixtures"

require postgresql "PostgreSQL 15: run fixtures/setup.sh" test -x /usr/lib/postgresql/15/bin/postgres
require barman "run fixtures/setup.sh" command -v barman > /dev/null

sandbox=$work/sb
db=$work/drill.db
cleanup() {
    "$DRILL_BIN" sandbox down --dir "$sandbox" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

q()  { psql -XAtq "host=127.0.0.1 port=$1 user=postgres dbname=postgres" -c "$2"; }
sq() { sqlite3 "$db" "$1"; }
# measure KEY / fact KEY: run $run's stored measure (as an integer) / fact KEY.
measure() { sq "select cast(value as int) from measures where run_id = $run and key = '$1'"; }
fact() { sq "select value from facts where run_id = $run and key = '$1'"; }
as_barman() {  # barman against the sandbox's config, as its OS user
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- barman -c "$sandbox/barman/barman.conf" "$@"
    else barman -c "$sandbox/barman/barman.conf" "$@"; fi
}
# pgrep in a function, not `bash -c`: pgrep -f would match that shell itself.
no_sandbox_process() { ! pgrep -f -- "$sandbox/" > /dev/null; }

# sandbox_up [--ssh]: brings the private sandbox up and sets p1/p2 (pg1/pg2 ports).
sandbox_up() {
    "$DRILL_BIN" sandbox up --dir "$sandbox" "$@" >&2 || { echo "sandbox up failed"; exit 1; }
    sandbox_ports
}
# sandbox_ports: sets p1/p2 again (a server brought back by `sandbox up`, as
# a bare `drill run` does, may listen on another port).
sandbox_ports() {
    local status
    status=$("$DRILL_BIN" sandbox status --dir "$sandbox" --json)
    port() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print([n["port"] for n in d["nodes"] if n["name"]==sys.argv[1]][0])' "$1" <<<"$status"; }
    p1=$(port pg1); p2=$(port pg2)
}

# check_primary_wipe_outcome RUN PREFIX [STATUS]: a primary-wipe run (stored
# as STATUS, default passed) whose recovery worked, checked
# independently of drill's own verdict: the servers' state, the heartbeat rows
# on both nodes against the acknowledged count, Barman's own check.
# The sandbox's healthy shape, read from pg1 directly (predicates for check).
PG2_ON_SLOT_SQL="select count(*) from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid where r.state = 'streaming' and r.application_name = 'pg2' and s.slot_name = 'pg2'"
BARMAN_SYNC_SQL="select count(*) from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid where r.application_name = 'barman_receive_wal' and r.sync_state = 'sync' and s.slot_name = 'barman'"
pg2_streams_through_slot() { [ "$(q "$p1" "$PG2_ON_SLOT_SQL")" -eq 1 ]; }
barman_streams_sync() { [ "$(q "$p1" "$BARMAN_SYNC_SQL")" -eq 1 ]; }

# sandbox_run LABEL DRILL [ARG...]: runs DRILL (a name or a file) on the
# sandbox, output in $work/LABEL.out and .err (shown; the error's tail on
# failure); sets rc, and run to the newest stored run.
sandbox_run() {
    local label=$1 drill=$2 t0
    shift 2
    t0=$(date +%s%N)
    "$DRILL_BIN" run "$drill" --sandbox-dir "$sandbox" --db "$db" --progress lines "$@" \
        > "$work/$label.out" 2> "$work/$label.err"
    rc=$?
    echo "$label took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    cat "$work/$label.out"; [ "$rc" -eq 0 ] || tail -n 60 "$work/$label.err"
    run=$(sq "select max(id) from runs")
}

# A step of a passing run that did not pass: anything but ok, except the
# rollback's steps, which a run whose recovery passed skips, and a step its
# `unless:` found not needed.
STEP_NOT_OK="status <> 'ok' and not (phase = 'rollback' and status = 'skipped') and not (status = 'skipped' and message like 'not needed: %')"

# check_drill_passed LABEL: what every passing run leaves behind in the store.
check_drill_passed() {
    check "$1: drill exits 0" [ "$rc" -eq 0 ]
    check "$1: run stored as passed" [ "$(sq "select status from runs where id = $run")" = passed ]
    check "$1: no step failed, cleanup included" \
        [ "$(sq "select count(*) from steps where run_id = $run and $STEP_NOT_OK")" -eq 0 ]
}

# primary_wipe_after WHAT: runs primary-wipe on the same sandbox, the proof
# that the drill before it returned the sandbox healthy.
primary_wipe_after() {
    local rc run
    sandbox_run pw primary-wipe
    check "primary-wipe passes right after $1" [ "$rc" -eq 0 ]
}

# acked_present RUN: "PRESENT ACKED" — of the heartbeats run RUN stored as
# acknowledged (fact heartbeat_acked_seqs, "1-189,195-642"), how many rows
# pg1 has; "0 0" when none were stored.
acked_present() {
    local ranges cond present
    ranges=$(sq "select value from facts where run_id = $1 and key = 'heartbeat_acked_seqs'")
    [ -n "$ranges" ] || { echo "0 0"; return; }
    cond=$(sed -E 's/([0-9]+)-([0-9]+)/(seq between \1 and \2)/g; s/,/ or /g' <<<"$ranges")
    present=$(q "$p1" "select count(*) from drill_heartbeat where run_uuid = '$(run_uuid "$1")' and ($cond)")
    # No table (a restore that lost it) is 0 present, never a skipped check.
    echo "${present:-0}" \
         "$(awk -F, '{ n = 0; for (i = 1; i <= NF; i++) { split($i, r, "-"); n += r[2] - r[1] + 1 } print n }' <<<"$ranges")"
}

# Takes the sandbox down and checks nothing of it is left.
sandbox_down_checked() {
    "$DRILL_BIN" sandbox down --dir "$sandbox"
    check "no process of the sandbox remains" no_sandbox_process
    check "sandbox directory removed" [ ! -e "$sandbox" ]
}

check_primary_wipe_outcome() {
    local run=$1 pre=$2 status=${3:-passed} rows1 rows2 acked present
    check "$pre run stored as $status" [ "$(sq "select status from runs where id = $run")" = "$status" ]
    check "$pre no step failed" [ "$(sq "select count(*) from steps where run_id = $run and $STEP_NOT_OK")" -eq 0 ]
    check "$pre pg1 is a writable primary" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
    check "$pre pg1 is on a new timeline" [ "$(q "$p1" "select substr(pg_walfile_name(pg_current_wal_lsn()),1,8)::int > 1")" = t ]
    check "$pre pg2 streams from pg1 through slot pg2" \
        [ "$(q "$p1" "select count(*) from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid where r.state = 'streaming' and s.slot_name = 'pg2'")" -eq 1 ]
    rows1=$(q "$p1" "select count(*) || ':' || max(seq) from drill_heartbeat where run_uuid = '$(run_uuid $run)'")
    rows2=$(q "$p2" "select count(*) || ':' || max(seq) from drill_heartbeat where run_uuid = '$(run_uuid $run)'")
    check "$pre standby has the primary's heartbeat rows ($rows1 / $rows2)" [ "$rows1" = "$rows2" ]
    acked=$(sq "select cast(value as int) from measures where run_id = $run and key = 'heartbeat_acked'")
    present=$(q "$p1" "select count(*) from drill_heartbeat where run_uuid = '$(run_uuid $run)'")
    check "$pre at least every acknowledged heartbeat is on pg1 ($present >= $acked)" [ "$present" -ge "$acked" ]
    check "$pre RTO measured and stored" [ "$(sq "select value > 0 from measures where run_id = $run and key = 'rto_ms'")" = 1 ]
    check "$pre barman check OK after recovery" as_barman check pg1
    # Where the downtime went: the steps' segments add up to the RTO, and
    # the server log's own timestamps fall where the steps say: pg1 was
    # ready after its restore ended, redo before the new timeline.
    local rto sum restored ready redo tli empty start
    rto=$(sq "select value from measures where run_id = $run and key = 'rto_ms'")
    sum=$(sq "select sum(value) from measures where run_id = $run and key like 'downtime.%' and key not like 'downtime.pg%'")
    check "$pre the downtime segments add up to the RTO ($sum vs $rto ms)" \
        awk -v a="$sum" -v b="$rto" 'BEGIN { d = a - b; exit !(d <= 20 && d >= -20) }'
    restored=$(sq "select sum(value) from measures where run_id = $run and key like 'downtime.__ %' and key <= (select key from measures where run_id = $run and key like 'downtime.__ restore the latest backup%')")
    ready=$(sq "select value from measures where run_id = $run and key = 'downtime.pg1.ready_ms'")
    redo=$(sq "select value from measures where run_id = $run and key = 'downtime.pg1.redo_done_ms'")
    tli=$(sq "select value from measures where run_id = $run and key = 'downtime.pg1.new_timeline_ms'")
    check "$pre pg1's log: ready ($ready ms) after the restore step ended ($restored ms), within the outage" \
        awk -v r="$ready" -v s="$restored" -v o="$rto" 'BEGIN { exit !(r != "" && r >= s && r <= o) }'
    check "$pre pg1's log: redo done ($redo) <= new timeline ($tli) <= ready ($ready)" \
        awk -v a="$redo" -v b="$tli" -v c="$ready" 'BEGIN { exit !(a != "" && a <= b && b <= c) }'
    # The heartbeat's commits per 100 ms, stored as a series: the outage
    # (first failed write -> first commit after it) is a run of empty bins,
    # less the two partly filled bins at its edges.
    empty=$(sq "select count(*) from samples where run_id = $run and series = 'heartbeat commits per 100 ms' and value = 0")
    start=$(sq "select coalesce(max(value), 0) from measures where run_id = $run and key = 'outage_start_ms'")
    check "$pre the commit series shows the outage ($empty empty 100 ms bins, RTO $rto ms, outage from $start ms)" \
        awk -v e="$empty" -v r="$rto" -v s="$start" 'BEGIN { exit !(e * 100 >= r - s - 200) }'
    # While no node could take a write (pg1 wiped or starting, pg2 in
    # recovery), the heartbeat asked the pid files, not the servers — when
    # every node is local (over SSH there is no file to read).
    if [ "$(sq "select substr(value, 1, 14) from facts where run_id = $run and key = 'heartbeat_reconnect_gate'")" = postmaster.pid ]; then
        check "$pre the heartbeat did not connect while no node was ready" \
            grep -qE "failed \([1-9][0-9]* of them without a connection: postmaster.pid" \
            <(sq "select message from steps where run_id = $run and kind = 'heartbeat_stop'")
    else
        check "$pre over SSH the reconnects are not gated (fact heartbeat_reconnect_gate)" \
            grep -q "^none (a node is remote" <(sq "select value from facts where run_id = $run and key = 'heartbeat_reconnect_gate'")
    fi
}
