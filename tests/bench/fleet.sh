#!/usr/bin/env bash
# fleet.sh — `drill fleet` and `drill history` on a store of 100 targets x
# 1,000 runs (issue #22: <= 500 ms and <= 50 MB each). The store is made by
# drill itself (an audit of an unreachable topology creates it at the
# current schema), then seeded with SQL: per target, 1,000 runs spread over
# five drills, one hour apart, each with the rows a real run has (RTO/RPO
# measures, objectives, 10 steps, 4 events); 1 run in 20 failed. Each
# command is timed 5 times with /usr/bin/time (wall, max RSS), the median
# printed. Independent check: the fleet's JSON has exactly TARGETS x 5 pairs
# and its newest-run ids are those SQL finds.
#
# Usage: tests/bench/fleet.sh [--targets N] [--runs N]   (BUILD_DIR: default SOURCE/build)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TARGETS=100 RUNS=1000
while [ $# -gt 0 ]; do
    case $1 in
        --targets) TARGETS=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        *) echo "usage: tests/bench/fleet.sh [--targets N] [--runs N]" >&2; exit 2 ;;
    esac
done
DRILL=${BUILD_DIR:-$SRC/build}/drill
[ -x "$DRILL" ] || { echo "fleet: build drill first ($DRILL)" >&2; exit 2; }
command -v sqlite3 > /dev/null || { echo "fleet: sqlite3 missing (fixtures/setup.sh)" >&2; exit 2; }
W=$(mktemp -d /tmp/drill-bench-fleet.XXXXXX)
trap 'rm -rf "$W"' EXIT
S=$W/fleet.db
say() { printf 'fleet: %s\n' "$*" >&2; }

# A store at the current schema, made by drill: an audit of a topology whose
# nodes do not answer (loopback ports nothing listens on) records one run.
cat > "$W/topo.yaml" <<'T'
name: seed
nodes:
  - {name: pg1, role: primary, conninfo: "host=127.0.0.1 port=9 user=x dbname=x connect_timeout=1", data_directory: /nonexistent}
T
"$DRILL" audit -t "$W/topo.yaml" --db "$S" > /dev/null 2>&1 || true
[ -s "$S" ] || { say "drill did not create the store"; exit 1; }

t0=$(date +%s%N)
sqlite3 "$S" > /dev/null <<SQL
PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
BEGIN;
DELETE FROM runs;
CREATE TEMP TABLE g AS WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < $TARGETS * $RUNS - 1) SELECT i FROM g;
INSERT INTO runs (id, uuid, drill_name, topology_name, hostname, status, exit_code, started_ms, ended_ms, duration_us,
                  rto_target_ms, rpo_target_ms, rpo_tx_target)
SELECT i + 1, printf('%08x-0000-4000-8000-%012x', i, i),
       CASE i % 5 WHEN 0 THEN 'primary-wipe' WHEN 1 THEN 'pitr-drop' WHEN 2 THEN 'standby-failover'
                  WHEN 3 THEN 'backup-verify' ELSE 'slot-bloat' END,
       printf('cluster-%03d', i / $RUNS), 'runner-' || (i % 7),
       CASE WHEN i % 20 = 7 THEN 'failed' ELSE 'passed' END, CASE WHEN i % 20 = 7 THEN 1 ELSE 0 END,
       1700000000000 + (i % $RUNS) * 3600000, 1700000000000 + (i % $RUNS) * 3600000 + 20000, 20000000,
       30000, 0, 0
FROM g;
INSERT INTO measures (run_id, key, value, unit, how)
SELECT i + 1, k.key, k.v + (i % 97) * 13, k.unit, 'seeded' FROM g,
       (SELECT 'rto_ms' AS key, 3000.0 AS v, 'ms' AS unit UNION ALL SELECT 'rpo_ms', 0, 'ms'
        UNION ALL SELECT 'rpo_transactions', 0, 'tx') k;
INSERT INTO objectives (run_id, name, target, measured, unit, passed, how)
SELECT i + 1, o.name, o.t, o.m, 'ms', CASE WHEN i % 20 = 7 AND o.name = 'rto' THEN 0 ELSE 1 END, 'seeded'
FROM g, (SELECT 'rto' AS name, 30000.0 AS t, 3000.0 AS m UNION ALL SELECT 'rpo', 0, 0) o;
INSERT INTO steps (run_id, seq, phase, name, kind, node, command, status, exit_code, term_signal,
                   started_ms, ended_ms, duration_us, out, err, message)
SELECT i + 1, s.n, 'recover', 'step ' || s.n, 'shell', 'pg1', 'true', 'ok', 0, 0, 0, 0, 1000, 'out', '', 'ok'
FROM g, (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5
         UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10) s;
INSERT INTO events (run_id, name, utc_ms, mono_us, detail)
SELECT i + 1, e.name, 0, 0, NULL FROM g,
       (SELECT 'fault' AS name UNION ALL SELECT 'recovered' UNION ALL SELECT 'fault_injected'
        UNION ALL SELECT 'service_restored') e;
COMMIT;
ANALYZE;
SQL
say "seeded $((TARGETS * RUNS)) runs in $(( ($(date +%s%N) - t0) / 1000000 )) ms ($(du -m "$S" | cut -f1) MB)"

# timed LABEL TARGET_MS TARGET_MB CMD...: median wall (ms) and max RSS (MB) of 5.
timed() {
    local label=$1 tms=$2 tmb=$3 i walls=() rss=() out
    shift 3
    for i in 1 2 3 4 5; do
        /usr/bin/time -o "$W/time" -f '%e %M' "$@" > /dev/null 2> "$W/err" || true
        out=$(tail -n 1 "$W/time")
        walls+=("$(awk '{printf "%d", $1 * 1000}' <<<"$out")"); rss+=("$(awk '{printf "%.1f", $2 / 1024}' <<<"$out")")
    done
    local ms mb
    ms=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 3p)
    mb=$(printf '%s\n' "${rss[@]}" | sort -g | tail -n 1)
    printf '%-58s %6s ms %6s MB   target <= %s ms / %s MB: %s\n' "$label" "$ms" "$mb" "$tms" "$tmb" \
        "$(awk -v a="$ms" -v b="$mb" -v c="$tms" -v d="$tmb" 'BEGIN { print (a <= c && b <= d) ? "met" : "MISSED" }')"
}

timed "drill fleet (text), $TARGETS targets x $RUNS runs" 500 50 "$DRILL" fleet --db "$S"
timed "drill fleet --format json" 500 50 "$DRILL" fleet --db "$S" --format json
timed "drill fleet --junit + --html" 500 50 "$DRILL" fleet --db "$S" --junit "$W/f.xml" --html "$W/f.html"
timed "drill fleet --max-age 7d" 500 50 "$DRILL" fleet --db "$S" --max-age 7d
timed "drill history (default 50 rows)" 500 50 "$DRILL" history --db "$S"
timed "drill history primary-wipe --limit 1000" 500 50 "$DRILL" history --db "$S" --limit 1000 primary-wipe

# Independent check of what was timed.
"$DRILL" fleet --db "$S" --format json > "$W/f.json" || true
pairs=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["entries"]))' "$W/f.json")
want=$(sqlite3 "$S" "select count(*) from (select 1 from runs group by topology_name, drill_name)")
ids=$(python3 -c 'import json,sys; print(sum(e["last_run_id"] for e in json.load(open(sys.argv[1]))["entries"]))' "$W/f.json")
want_ids=$(sqlite3 "$S" "select sum(m) from (select max(id) m from runs where status <> 'running' group by topology_name, drill_name)")
printf 'check: %s pairs (SQL: %s), sum of newest run ids %s (SQL: %s): %s\n' "$pairs" "$want" "$ids" "$want_ids" \
    "$([ "$pairs" = "$want" ] && [ "$ids" = "$want_ids" ] && echo ok || echo WRONG)"
