#!/usr/bin/env bash
# run.sh — drill's benchmarks (issue #8): measurement precision, overhead and
# scale, on a private sandbox, printed as one table: figure | measured |
# target | met. Ground truth is always taken independently of drill's own
# numbers: from the servers (heartbeat rows, server logs), from a plain shell
# script, from the kernel (/proc VmHWM, getrusage).
#
# Usage: tests/bench/run.sh [--quick] [--runs N] [--pairs N] [--only SECTION,...]
#   --runs N   RTO runs (default 5); --quick: 3 RTO runs, 2 timed pairs (default 3), 5 s heartbeat
#   --pairs N  drill / plain-script pairs per load (overhead); --only rto,heartbeat,overhead,scale,rpo
#   BUILD_DIR  build tree to use (default: SOURCE/build-bench, configured with DRILL_BENCH=ON)
# Run as root after fixtures/setup.sh; about 6-10 minutes. Exit 0 even when a
# target is missed (the table says so); non-zero when a benchmark cannot run.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=lib.sh
. "$SRC/tests/bench/lib.sh"
RUNS=5 PAIRS=3 HB_SECONDS=10 SYNTH_RUNS=10000 ONLY=
while [ $# -gt 0 ]; do
    case $1 in
        --quick) RUNS=3 PAIRS=2 HB_SECONDS=5; shift ;;
        --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
        --pairs) PAIRS=${2:?--pairs needs a number}; shift 2 ;;
        --only) ONLY=${2:?--only needs rto,heartbeat,overhead,scale,rpo}; shift 2 ;;
        *) echo "usage: tests/bench/run.sh [--quick] [--runs N] [--pairs N] [--only SECTION,...]" >&2; exit 2 ;;
    esac
done
[[ $PAIRS =~ ^[1-9][0-9]?$ ]] || { echo "bench: --pairs must be 1..99" >&2; exit 2; }
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || { echo "bench: --runs must be 1..99" >&2; exit 2; }

say() { printf 'bench: %s\n' "$*" >&2; }
now_us() { date +%s%6N; }
# median3: the same with three decimals (ratios judged against 1.10).
median3() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) printf "%.3f\n", v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) printf "%.1f\n", v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'; }
maxof() { sort -n | tail -1; }

BUILD=${BUILD_DIR:-$SRC/build-bench}
say "building in $BUILD"
cmake -S "$SRC" -B "$BUILD" -DDRILL_BENCH=ON >/dev/null
cmake --build "$BUILD" -j2 >/dev/null
DRILL=$BUILD/drill

W=$(mktemp -d /tmp/drill-bench.XXXXXX)
chmod 755 "$W"
SB=$W/sb DB=$W/bench.db
# A FIFO nobody writes: `read -t` on it is a sleep without a fork.
mkfifo "$W/tick"
exec {TICK}<>"$W/tick"
cleanup() { "$DRILL" sandbox down --dir "$SB" >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

ROWS=()
# row FIGURE MEASURED TARGET MET — one line of the final table.
row() { ROWS+=("$1|$2|$3|$4"); }
met() { if awk "BEGIN {exit !($1)}"; then echo yes; else echo NO; fi; }
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

say "sandbox up in $SB"
"$DRILL" sandbox up --dir "$SB" >"$W/sandbox.log" 2>&1 || { cat "$W/sandbox.log" >&2; exit 1; }
P1=$(port_of "$SB" pg1)
CI1="host=127.0.0.1 port=$P1 user=postgres dbname=postgres"

# drill_run DRILL — runs a drill on the sandbox into $DB, sampling the drill
# process's own peak RSS (VmHWM: children such as barman are not counted,
# unlike /usr/bin/time's figure). Runs on the sandbox's topology file, so the
# "bring the sandbox up if needed" check of a bare `drill run` (measured on
# its own in bench_overhead) is not in the figures. Sets RUN_ID, WALL_US, RSS_KB, RC.
drill_run() {
    local t0 hwm=0 v pid
    t0=$(now_us)
    # RTO is measured here, not judged: a loaded machine that misses the
    # drill's 30 s target (exit 1) still gives its figures.
    DRILL_OBJECTIVES=rto=none "$DRILL" run "$1" --topology "$SB/topology.yaml" --db "$DB" \
        >"$W/run.log" 2>&1 &
    pid=$!
    # Sampled with shell builtins only: an awk and a sleep forked every 20 ms
    # cost this box ~40% of a core during drill's run and none during the
    # plain script's, and made drill look 1.3x slower than it is.
    local k rest found
    while :; do
        found=
        { while read -r k v rest; do
              [ "$k" = VmHWM: ] && { hwm=$v; found=1; }
          done < "/proc/$pid/status"; } 2>/dev/null || true
        [ -n "$found" ] || break   # gone, or a zombie (no VmHWM): the last sample holds
        read -r -t 0.2 -u "$TICK" _ || true
    done
    RC=0
    wait "$pid" || RC=$?
    WALL_US=$(($(now_us) - t0)) RSS_KB=$hwm
    RUN_ID=$(sqlite3 "$DB" "select max(id) from runs")
    RUN_UUID=$(sqlite3 "$DB" "select uuid from runs where id = $RUN_ID")
}
sq() { sqlite3 "$DB" "$1"; }

# ---- 1. RTO accuracy ------------------------------------------------------
# standby-failover: after the promotion nothing waits for a synchronous
# standby, so the first heartbeat row written after the outage (row X) commits
# at once (primary-wipe's row X waits for Barman's synchronous streaming after
# being written, so its server_ts is early by that wait). drill's RTO is the
# client's COMMIT acknowledgement of row X, so the truth is bracketed by the
# server: server_ts(X) <= ack(X) <= server_ts(X+1) — the writer sends X+1 only
# after X returned. The target applies to the lower bound, the strict one.
bench_rto() {
    local i fault rto tr lo hi ready los=() his=() logs=() inside=0
    for ((i = 1; i <= RUNS; i++)); do
        say "RTO run $i/$RUNS (standby-failover)"
        drill_run standby-failover
        [ "$RC" -eq 0 ] || { tail -20 "$W/run.log" >&2; exit 1; }
        fault=$(sq "select utc_ms from events where run_id = $RUN_ID and name = 'fault'")
        rto=$(sq "select value from measures where run_id = $RUN_ID and key = 'rto_ms'")
        # Row X: the first row after the fault that follows a gap in seq
        # (failed attempts consume seqs), i.e. the first write after the outage.
        tr=$(q "$P1" "select round(extract(epoch from server_ts) * 1000 - $fault, 1),
                round(extract(epoch from next_ts) * 1000 - $fault, 1)
            from (select seq, server_ts, lag(seq) over w prev, lead(server_ts) over w next_ts
                  from drill_heartbeat where run_uuid = '$RUN_UUID' window w as (order by seq)) r
            where server_ts > to_timestamp($fault / 1000.0) and seq > prev + 1
            order by seq limit 1")
        lo=${tr%%|*} hi=${tr##*|}
        ready=$(awk -v f="$fault" '/database system is ready to accept connections/ {
                cmd = "date -d \"" $1 " " $2 " UTC\" +%s%3N"; cmd | getline t; close(cmd)
                if (t > f) {print t - f; exit}}' "$SB/pg2/postgresql.log")
        say "  rto_ms=$rto server_ts(X)=$lo server_ts(X+1)=$hi log ready=$ready"
        los+=("$(awk -v a="$rto" -v b="$lo" 'BEGIN {d = a - b; print (d < 0 ? -d : d)}')")
        his+=("$(awk -v a="$rto" -v b="$hi" 'BEGIN {print b - a}')")
        logs+=("$(awk -v a="$rto" -v b="$ready" 'BEGIN {print a - b}')")
        # +-2 ms: rto_ms and the fault event's utc_ms are both whole milliseconds.
        inside=$((inside + $(awk -v a="$rto" -v l="$lo" -v h="$hi" 'BEGIN {print (a >= l - 2 && a <= h + 2)}')))
    done
    local e u l
    e=$(printf '%s\n' "${los[@]}" | median)
    u=$(printf '%s\n' "${his[@]}" | median)
    l=$(printf '%s\n' "${logs[@]}" | median)
    row "RTO error vs server_ts of first row after outage (median abs, $RUNS runs)" "$e ms" "<= 10 ms" "$(met "$e <= 10 && $e >= -10")"
    row "server_ts of the next row - RTO (median)" "$u ms" "(info)" "-"
    row "RTO inside [server_ts(X), server_ts(X+1)] (+-2 ms)" "$inside of $RUNS runs" "all" "$(met "$inside == $RUNS")"
    row "RTO - server log 'ready to accept connections' (median)" "$l ms" "(info)" "-"
}

# ---- 3. heartbeat rate and CPU ---------------------------------------------
bench_heartbeat() {
    local out rate cpu per tps out2 rate2 cpu2 per2
    # The target is a rate drill can sustain (>= 500/s, interval 2 ms) and
    # what it costs; the ceiling (interval 1 ms: as fast as the synchronous
    # standby lets commits through) and its cost are printed alongside. CPU
    # per commit is the figure that does not depend on the rate.
    say "heartbeat: interval 2ms for ${HB_SECONDS}s on pg1 (synchronous standby: barman)"
    out2=$("$BUILD/tests/bench_heartbeat" "$CI1" 2 "$HB_SECONDS")
    say "heartbeat: interval 1ms for ${HB_SECONDS}s on pg1 (the ceiling)"
    out=$("$BUILD/tests/bench_heartbeat" "$CI1" 1 "$HB_SECONDS")
    field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
    rate=$(field commits_per_s "$out") cpu=$(field cpu_pct "$out") per=$(field cpu_us_per_commit "$out")
    rate2=$(field commits_per_s "$out2") cpu2=$(field cpu_pct "$out2") per2=$(field cpu_us_per_commit "$out2")
    # The server's own ceiling for the same insert on one connection.
    printf '\\set s random(1, 1000000000000)\ninsert into drill_heartbeat (run_uuid, seq, client_ts, server_ts, lsn) values (gen_random_uuid(), :s, now(), clock_timestamp(), pg_current_wal_insert_lsn());\n' >"$W/hb.sql"
    chmod 644 "$W/hb.sql"
    tps=$(cd /tmp && runuser -u postgres -- /usr/lib/postgresql/15/bin/pgbench -n -M extended -c1 -T "$HB_SECONDS" \
        -f "$W/hb.sql" -h 127.0.0.1 -p "$P1" -U postgres postgres 2>/dev/null |
        sed -n 's/^tps = \([0-9]*\).*/\1/p')
    row "heartbeat highest sustained commits/s (interval 1ms, sync standby)" "$rate /s" ">= 500 /s" "$(met "$rate >= 500")"
    row "heartbeat CPU at 500 commits/s (interval 2ms: $rate2 /s)" "$cpu2 % ($per2 us/commit)" "< 5 %" "$(met "$cpu2 < 5")"
    row "heartbeat CPU at the highest rate (share of one core)" "$cpu % ($per us/commit)" "(info)" "-"
    row "server ceiling: pgbench -M extended, same insert, 1 connection" "$tps /s" "(info)" "-"
}

# ---- 4. overhead ------------------------------------------------------------
# Per step: (run wall time - sum of step durations) / steps, from the store
# (the runner's own time between steps: planning, store writes, progress) and
# from the process's wall time (adds start-up, the report and exit).
# drill and the script alternate (ABAB...) and each pair gives one ratio: on
# a shared machine the load drifts over minutes, so a ratio of two runs made
# back to back is steadier than the ratio of two medians taken apart. Each
# run restores the backup the previous one took, so both see the same work.
# One ABAB series; LABEL names it in the table ("idle", "2 busy processes").
overhead_pairs() {
    local label=$1 i n sum dur t0 ratio
    dw=() pl=() st=() pr=() rt=() rr=()
    for ((i = 1; i <= PAIRS; i++)); do
        say "overhead pair $i/$PAIRS ($label): drill run primary-wipe, then the plain script"
        drill_run primary-wipe
        [ "$RC" -eq 0 ] || { tail -20 "$W/run.log" >&2; exit 1; }
        dw+=("$WALL_US") rss+=("$RSS_KB")
        n=$(sq "select count(*) from steps where run_id = $RUN_ID")
        sum=$(sq "select sum(duration_us) from steps where run_id = $RUN_ID")
        dur=$(sq "select duration_us from runs where id = $RUN_ID")
        st+=("$(( (dur - sum) / n ))") pr+=("$(( (WALL_US - sum) / n ))")
        local rto
        rto=$(sq "select cast(value as int) from measures where run_id = $RUN_ID and key = 'rto_ms'")
        t0=$(now_us)
        "$SRC/tests/bench/plain-primary-wipe.sh" "$SB" >"$W/plain.log" 2>&1 ||
            { tail -20 "$W/plain.log" >&2; exit 1; }
        pl+=("$(($(now_us) - t0))")
        local prto
        prto=$(sed -n 's/^plain-rto-ms: //p' "$W/plain.log")
        rt+=("$(awk -v a="${dw[-1]}" -v b="${pl[-1]}" 'BEGIN {printf "%.4f", a / b}')")
        rr+=("$(awk -v a="$rto" -v b="$prto" 'BEGIN {printf "%.4f", a / b}')")
        say "  drill ${dw[-1]} us (RTO $rto ms), plain ${pl[-1]} us (RTO $prto ms): wall ratio ${rt[-1]}, RTO ratio ${rr[-1]}"
    done
    local a b r q ms='BEGIN {printf "%.2f", v / 1000}'
    a=$(printf '%s\n' "${dw[@]}" | median) b=$(printf '%s\n' "${pl[@]}" | median)
    r=$(printf '%s\n' "${rt[@]}" | median3) q=$(printf '%s\n' "${rr[@]}" | median3)
    row "wall: drill run primary-wipe / plain script, $label, median of $PAIRS pairs" "$r" "<= 1.10" "$(met "$r <= 1.10")"
    row "RTO: drill / plain script, $label, median of $PAIRS pairs" "$q" "<= 1.10" "$(met "$q <= 1.10")"
    row "  median wall, $label: drill / plain script (ms)" "$(awk -v v="$a" "$ms") / $(awk -v v="$b" "$ms")" "(info)" "-"
}

# The loaded series runs beside two busy processes (one per core of the
# 2-core reference machine): production hosts have other work, and drill's
# probes once cost the recovering server most exactly then (issue 18).
busy_start() { for _ in 1 2; do (while :; do :; done) & BUSY+=("$!"); done; }
busy_stop() { kill "${BUSY[@]}" 2>/dev/null || true; wait "${BUSY[@]}" 2>/dev/null || true; BUSY=(); }

bench_overhead() {
    local s p x ms='BEGIN {printf "%.2f", v / 1000}' t0
    dw=() pl=() st=() pr=() rss=() rt=() rr=() BUSY=()
    overhead_pairs idle
    s=$(printf '%s\n' "${st[@]}" | median) p=$(printf '%s\n' "${pr[@]}" | median)
    row "runner time between steps per step (store: run - sum of steps)" "$(awk -v v="$s" "$ms") ms" "<= 5 ms" "$(met "$s <= 5000")"
    row "process wall - sum of steps, per step (incl. start-up, report)" "$(awk -v v="$p" "$ms") ms" "<= 5 ms" "$(met "$p <= 5000")"
    busy_start
    trap 'busy_stop; cleanup' EXIT
    overhead_pairs "2 busy processes"
    busy_stop
    trap cleanup EXIT
    t0=$(now_us)
    "$DRILL" sandbox up --dir "$SB" >/dev/null 2>&1
    row "bare \`drill run\`: bringing an already-up sandbox up (once per run)" "$(awk -v v="$(($(now_us) - t0))" "$ms") ms" "(info)" "-"
    x=$(printf '%s\n' "${rss[@]}" | maxof)
    row "peak RSS of drill run primary-wipe (VmHWM)" "$((x / 1024)) MB" "<= 20 MB" "$(met "$x <= 20480")"
    x=$("$BUILD/tests/bench_exec" 500 | awk '/baseline/ {b = $(NF-1)} /exec_run \/bin\/true/ {e = $(NF-1)} END {print e - b}')
    row "exec_run overhead per command vs fork+exec+wait (bench_exec)" "$x us" "(info)" "-"
}

# ---- 5. scale ---------------------------------------------------------------
# A synthetic store: the newest primary-wipe run copied $SYNTH_RUNS times, with
# every table that hangs off a run, one minute apart.
synth_store() {
    local out=$1 tpl n t cols
    cp "$DB" "$out"
    tpl=$(sqlite3 "$out" "select max(id) from runs where drill_name = 'primary-wipe'")
    n=$SYNTH_RUNS
    {
        echo "BEGIN;"
        echo "CREATE TEMP TABLE k AS WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $n) SELECT i FROM g;"
        cols=$(sqlite3 "$out" "select group_concat(name) from pragma_table_info('runs') where name not in ('id','uuid','started_ms','ended_ms')")
        # uuid is unique: each copy gets its own.
        echo "INSERT INTO runs (id, uuid, started_ms, ended_ms, $cols) SELECT 100000 + i, printf('%08x-0000-4000-8000-%012x', i, i), started_ms - i * 60000, ended_ms - i * 60000, $cols FROM runs, k WHERE id = $tpl;"
        for t in steps events measures objectives facts samples artifacts; do
            cols=$(sqlite3 "$out" "select group_concat(name) from pragma_table_info('$t') where name not in ('id','run_id')")
            echo "INSERT INTO $t (run_id, $cols) SELECT 100000 + i, $cols FROM $t, k WHERE run_id = $tpl;"
        done
        echo "COMMIT;"
    } | sqlite3 "$out"
}

# timed RUNS CMD... — median wall and CPU (ms) and max peak RSS (MB) of the
# command's own process over RUNS runs: bench_spawn starts it directly and
# times it with wait4 (a loop in bash would add its fork, `date` and
# /usr/bin/time's exec to every sample: ~3 ms, a third of validate's budget).
timed() {
    local out
    out=$("$BUILD/tests/bench_spawn" "$@") || { say "failed: ${*:2}"; exit 1; }
    T_MS=$(sed -n 's/.*wall_ms=\([0-9.]*\).*/\1/p' <<<"$out" | awk '{printf "%.1f", $1}')
    T_CPU=$(sed -n 's/.*cpu_ms=\([0-9.]*\).*/\1/p' <<<"$out" | awk '{printf "%.1f", $1}')
    T_MB=$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' <<<"$out" | awk '{printf "%.1f", $1 / 1024}')
}

bench_scale() {
    say "scale: synthetic store of $SYNTH_RUNS runs"
    local s=$W/synth.db run
    synth_store "$s"
    run=$(sqlite3 "$s" "select max(id) from runs")
    timed 5 "$DRILL" history --db "$s"
    row "drill history, $SYNTH_RUNS-run store (default 50 rows): time / RSS" "$T_MS ms / $T_MB MB" "<= 200 ms / 30 MB" "$(met "$T_MS <= 200 && $T_MB <= 30")"
    timed 5 "$DRILL" history --db "$s" --limit 100000
    row "drill history --limit 100000 (every run): time / RSS" "$T_MS ms / $T_MB MB" "<= 200 ms / 30 MB" "$(met "$T_MS <= 200 && $T_MB <= 30")"
    timed 5 "$DRILL" report --db "$s" --html "$W/r.html" --junit "$W/r.xml" "$run"
    row "drill report (HTML + JUnit) in that store: time / RSS" "$T_MS ms / $T_MB MB" "<= 200 ms / 30 MB" "$(met "$T_MS <= 200 && $T_MB <= 30")"
    timed 31 "$DRILL" validate "$SRC"/drills/*.yaml
    row "drill validate, all $(ls "$SRC"/drills/*.yaml | wc -l) drills (fresh process, median of 31)" "$T_MS ms ($T_CPU ms CPU)" "<= 10 ms" "$(met "$T_MS <= 10")"
    timed 31 "$DRILL" --version
    row "drill --version (start-up alone, median of 31)" "$T_MS ms ($T_CPU ms CPU)" "(info)" "-"
}

# ---- 2. RPO accuracy (last: the naive drill leaves Barman unsynchronised) ----
bench_rpo() {
    say "RPO: primary-wipe-naive"
    drill_run primary-wipe-naive
    [ "$RC" -le 1 ] || { tail -20 "$W/run.log" >&2; exit 1; }
    local lost seqs values missing acked
    lost=$(sq "select value from measures where run_id = $RUN_ID and key = 'rpo_transactions'")
    seqs=$(sq "select value from facts where run_id = $RUN_ID and key = 'heartbeat_acked_seqs'")
    [ -n "$seqs" ] && [[ $seqs != *... ]] || { say "no acknowledged-seq list in the store"; exit 1; }
    values=$(sed 's/\([0-9]*\)-\([0-9]*\)/(\1,\2)/g' <<<"$seqs")
    missing=$(q "$P1" "select count(*) from (values $values) r(a, b), generate_series(a, b) s
        where not exists (select 1 from drill_heartbeat h where h.run_uuid = '$RUN_UUID' and h.seq = s)")
    acked=$(q "$P1" "select sum(b - a + 1) from (values $values) r(a, b)")
    say "  drill: $lost lost; direct: $missing of $acked acknowledged rows absent on pg1"
    row "RPO: drill's lost transactions vs direct count (naive drill)" "${lost%.0} vs $missing (of $acked)" "exact" "$(met "${lost%.0} == $missing && $missing > 0")"
}

# --only SECTION,...: just these (the table then has only their rows).
section() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
section rto && bench_rto
section heartbeat && bench_heartbeat
section overhead && bench_overhead
section scale && bench_scale
section rpo && bench_rpo

printf '\n%-72s | %-22s | %-18s | %s\n' "figure" "measured" "target" "met"
printf '%s\n' "$(printf '%.0s-' {1..124})"
for r in "${ROWS[@]}"; do
    IFS='|' read -r f m t ok <<<"$r"
    printf '%-72s | %-22s | %-18s | %s\n' "$f" "$m" "$t" "$ok"
done
printf '\nload average (1/5/15 min): %s at start, %s at end; %s cores\n' \
    "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
