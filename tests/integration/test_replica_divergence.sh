#!/usr/bin/env bash
# Integration: the replica-divergence drill end to end on a real sandbox
# (PostgreSQL 15 primary + hot standby + Barman 3.4 on loopback): pg1 is
# restored from backup onto a new timeline while pg2 has replayed past the
# fork; the drill must detect it, rewind pg2 and restore redundancy.
#
# Checked independently of drill's own numbers: timelines, replication and
# heartbeat rows queried on both servers, the fork LSN read from pg1's
# timeline history file with psql, barman run directly, the store read with
# sqlite3. A second run makes pg_rewind impossible (pg2's WAL removed before
# it runs) to prove the re-clone fallback; primary-wipe must then pass on the
# same sandbox: the proof that cleanup returned it to its healthy shape.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

sandbox_up
tli1() { q "$p1" "select substr(pg_walfile_name(pg_current_wal_lsn()),1,8)::int"; }
digest() { q "$1" "select count(*) || ':' || max(seq) || ':' || md5(string_agg(seq::text, ',' order by seq)) from drill_heartbeat where run_uuid = '$(run_uuid $run)'"; }

# check_outcome LABEL METHOD: what every passing run must leave behind.
check_outcome() {
    check_drill_passed "$1"
    check "$1: divergence detected (diverged=yes)" [ "$(fact divergence.diverged)" = yes ]
    check "$1: in sync after the repair" [ "$(fact after_repair.diverged)" = no ]
    check "$1: repaired by $2" [ "$(fact repair.method)" = "$2" ]
    local tli fork stli replay hist switch past
    tli=$(tli1); stli=$(fact divergence.standby_timeline); fork=$(fact divergence.fork_lsn)
    replay=$(fact divergence.standby_replay_lsn); past=$(fact divergence.bytes_past_fork)
    check "$1: stored primary timeline is pg1's ($(fact divergence.primary_timeline) = $tli)" \
        [ "$(fact divergence.primary_timeline)" = "$tli" ]
    hist=$(q "$p1" "select pg_read_file('pg_wal/' || lpad(upper(to_hex($tli)), 8, '0') || '.history')")
    switch=$(awk -v t="$stli" '$1 == t { print $2 }' <<<"$hist")
    echo "pg1 history (timeline $tli):"; echo "$hist"
    check "$1: stored fork LSN $fork = switch point off timeline $stli in pg1's history ($switch)" \
        [ -n "$switch" -a "$fork" = "$switch" ]
    check "$1: pg2 was past the fork ($replay > $fork)" \
        [ "$(q "$p1" "select '$replay'::pg_lsn > '$fork'::pg_lsn")" = t ]
    check "$1: stored bytes past fork ($past) = replay - fork" \
        [ "$(q "$p1" "select pg_wal_lsn_diff('$replay', '$fork')::bigint")" = "$past" ]
    local red; red=$(measure redundancy_ms)
    echo "$1: redundancy_ms=$red rto_ms=$(measure rto_ms) rpo_transactions=$(measure rpo_transactions)"
    check "$1: time to redundancy measured ($red ms)" [ "${red:-0}" -gt 0 -a "${red:-0}" -lt 120000 ]
    check "$1: pg2 is on pg1's timeline ($tli)" \
        [ "$(q "$p2" "select received_tli from pg_stat_wal_receiver")" = "$tli" ]
    check "$1: pg2 streams from pg1 through slot pg2" \
        [ "$(q "$p1" "select count(*) from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid where r.state = 'streaming' and r.application_name = 'pg2' and s.slot_name = 'pg2'")" -eq 1 ]
    local target caught=f
    target=$(q "$p1" "select pg_current_wal_lsn()")
    for _ in $(seq 1 100); do
        caught=$(q "$p2" "select pg_last_wal_replay_lsn() >= '$target'::pg_lsn")
        [ "$caught" = t ] && break; sleep 0.1
    done
    check "$1: pg2's replay caught up with pg1 ($target)" [ "$caught" = t ]
    local d1 d2; d1=$(digest "$p1"); d2=$(digest "$p2")
    check "$1: heartbeat rows identical on pg1 and pg2 ($d1 / $d2)" [ -n "$d1" -a "$d1" = "$d2" ]
    check "$1: Barman streams synchronously from pg1 through slot barman" \
        [ "$(q "$p1" "select count(*) from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid where r.application_name = 'barman_receive_wal' and r.sync_state = 'sync' and s.slot_name = 'barman'")" -eq 1 ]
    check "$1: pg1 has exactly the slots barman and pg2" \
        [ "$(q "$p1" "select string_agg(slot_name, ',' order by slot_name) from pg_replication_slots")" = barman,pg2 ]
    # recovery_target needs a restart to change: the file clones copy is what counts.
    check "$1: pg1's postgresql.auto.conf hands no recovery settings to clones" \
        [ "$(q "$p1" "select pg_read_file('postgresql.auto.conf') !~ '(restore_command|recovery_target)'")" = t ]
    check "$1: barman check OK after cleanup" eval 'as_barman check pg1 > /dev/null' 
    local btli; btli=$(as_barman show-backup pg1 latest | sed -n 's/^ *Timeline *: *//p')
    check "$1: latest Barman backup is on pg1's timeline ($btli = $tli)" [ "$btli" = "$tli" ]
}

# --- the drill as shipped: detection, rewind ---------------------------------
tli0=$(tli1)
sandbox_run rd replica-divergence
check "pg1 is on a new timeline ($tli0 -> $(tli1))" [ "$(tli1)" -eq $((tli0 + 1)) ]
check_outcome rewind rewind
echo "detection: $(fact divergence.finding)"

# --- pg_rewind made impossible: the re-clone fallback ------------------------
# pg2 (the standby) is stopped and its WAL removed just before the rewind:
# pg_rewind cannot read the target's WAL since the last common checkpoint and
# fails. The step goes right before the drill's `kind: rewind` step (found by
# its kind, not by its name).
/usr/bin/python3 - "$DRILL_SOURCE_DIR/drills/replica-divergence.yaml" "$work/no-rewind.yaml" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
stop = """  - name: stop the standby and remove its WAL (pg_rewind cannot work without it)
    kind: shell
    node: standby
    command: >-
      "$DRILL_BIN_DIRECTORY/pg_ctl" -D "$DRILL_DATA_DIRECTORY" -m fast -w stop &&
      find "$DRILL_DATA_DIRECTORY/pg_wal" -maxdepth 1 -name "0000*" ! -name "*.history" -delete
"""
src, n = re.subn(r"^name: replica-divergence$", "name: replica-divergence-no-rewind", src,
                 flags=re.M)
assert n == 1, "no `name: replica-divergence` line"
# A step: "  - " then its lines indented by 4; the rewind step has `kind: rewind`.
steps = list(re.finditer(r"^  - .*\n(?:    .*\n|\s*\n)*", src, flags=re.M))
rewind = [m for m in steps if re.search(r"^(  - |    )kind: rewind\s*$", m.group(0), flags=re.M)]
assert len(rewind) == 1, "%d rewind steps" % len(rewind)
at = rewind[0].start()
open(sys.argv[2], "w").write(src[:at] + stop + src[at:])
PY
sandbox_run nr "$work/no-rewind.yaml"
check_outcome reclone reclone
check "reclone: the rewind step says pg_rewind failed" \
    [ "$(sq "select count(*) from steps where run_id = $run and kind = 'rewind' and message like 'pg_rewind failed%re-cloned%'")" -eq 1 ]
sq "select 'repair of run ' || s.run_id || ' by ' || f.value || ': ' || (s.duration_us / 1000) || ' ms'
    from steps s join facts f on f.run_id = s.run_id and f.key = 'repair.method'
    where s.kind = 'rewind' and s.phase = 'recover' order by s.run_id"

# --- primary-wipe on the same sandbox: proves it was returned healthy --------
sandbox_run pw primary-wipe
check "primary-wipe passes right after replica-divergence" [ "$rc" -eq 0 ]

"$DRILL_BIN" sandbox down --dir "$sandbox"
check "no process of the sandbox remains" no_sandbox_process

finish
