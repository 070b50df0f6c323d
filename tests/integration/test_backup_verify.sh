#!/usr/bin/env bash
# Integration: the backup-verify drill on a real sandbox (PostgreSQL 15
# primary + hot standby + Barman 3.4 on loopback). Checked independently of
# drill's own verdict: the scratch directory is gone, no throw-away server
# survives, the running topology is untouched (same postmasters, pg1 primary,
# pg2 streaming, barman check OK), the store holds the run and its steps.
# Then the latest backup is corrupted (one byte of a relation file inside
# Barman's copy) and the drill must fail at verify-backup, with exit 1.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

"$DRILL_BIN" sandbox up --dir "$sandbox" >/dev/null || { echo "sandbox up failed"; exit 1; }
status() { "$DRILL_BIN" sandbox status --dir "$sandbox" --json; }
field() {  # field NODE KEY — from `sandbox status --json`
    status | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
print([n for n in d["nodes"] if n["name"]==sys.argv[1]][0][sys.argv[2]])' "$1" "$2"
}
p1=$(field pg1 port)
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
barman_c() { (cd / && as_owner barman -c "$sandbox/barman/barman.conf" "$@"); }
barman_ok() { barman_c check pg1 > /dev/null 2>&1; }
# Processes whose command line names the sandbox (postmasters, Barman's
# receiver); the pgrep in a function, not `bash -c`, so it never matches itself.
sandbox_procs() { pgrep -f -- "$sandbox/" | sort -n | tr '\n' ' '; }
no_scratch_dir() { ! compgen -G "$sandbox/verify-*" > /dev/null; }
no_scratch_process() { ! pgrep -f -- "$sandbox/verify-" > /dev/null; }
# Backends of a throw-away server are titled "postgres: drill-verify: ...";
# none may belong to (or have outlived) a postmaster of this sandbox.
no_scratch_backend() {
    local pid ppid
    for pid in $(pgrep -f -- '^postgres: drill-verify' || true); do
        ppid=$(ps -o ppid= -p "$pid" | tr -d ' ')
        [ "$ppid" = 1 ] && return 1
        tr '\0' ' ' < "/proc/$ppid/cmdline" 2>/dev/null | grep -qF -- "$sandbox/" && return 1
    done
    return 0
}
topology_untouched() {  # topology_untouched LABEL
    check "$1: same sandbox processes as before" [ "$(sandbox_procs)" = "$procs_before" ]
    check "$1: pg1 is still the primary" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]
    check "$1: pg2 still streams from pg1 through slot pg2" \
        [ "$(q "$p1" "select count(*) from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid where r.state = 'streaming' and r.application_name = 'pg2' and s.slot_name = 'pg2'")" -eq 1 ]
    check "$1: barman is still pg1's synchronous standby" \
        [ "$(q "$p1" "select sync_state from pg_stat_replication where application_name = 'barman_receive_wal'")" = sync ]
    check "$1: barman check OK" barman_ok
    check "$1: no scratch directory left" no_scratch_dir
    check "$1: no throw-away postmaster left" no_scratch_process
    check "$1: no throw-away backend left" no_scratch_backend
}
run_drill() {  # run_drill TAG — sets rc and run
    "$DRILL_BIN" run backup-verify --sandbox-dir "$sandbox" --db "$db" --progress lines \
        --junit "$work/$1.xml" > "$work/$1.out" 2> "$work/$1.err"
    rc=$?
    cat "$work/$1.out"; grep -E '^\S+ \[' "$work/$1.err"
    run=$(sq "select max(id) from runs where drill_name = 'backup-verify'")
}
step_status() { sq "select status from steps where run_id = $run and name like '$1%'"; }

pg1_pid=$(field pg1 pid); pg2_pid=$(field pg2 pid)
procs_before=$(sandbox_procs)
check "sandbox processes found (pg1 $pg1_pid, pg2 $pg2_pid)" test -n "$pg1_pid" -a -n "$pg2_pid" -a -n "$procs_before"
sysid=$(q "$p1" 'select system_identifier from pg_control_system()')

# --- the latest backup restores: exit 0 --------------------------------------
run_drill good
check "backup-verify exits 0" [ "$rc" -eq 0 ]
check "run stored as passed" [ "$(sq "select status from runs where id = $run")" = passed ]
check "11 steps stored, all ok" \
    [ "$(sq "select count(*) || '/' || sum(status = 'ok') from steps where run_id = $run")" = 11/11 ]
check "pg_verifybackup verified the backup" \
    [ "$(sq "select count(*) from steps where run_id = $run and out like '%backup successfully verified%'")" -eq 1 ]
check "the restored copy came out of recovery" \
    [ "$(sq "select count(*) from steps where run_id = $run and out like 'out of recovery%'")" -eq 1 ]
check "the restored copy has pg1's system identifier ($sysid)" \
    [ "$(sq "select count(*) from steps where run_id = $run and out like '%restored $sysid, backup $sysid, primary $sysid%'")" -eq 1 ]
check "the throw-away server ran on another port than pg1's" \
    [ "$(sq "select count(*) from steps where run_id = $run and out like 'port %' and out not like 'port $p1,%'")" -eq 1 ]
check "cleanup removed the scratch directory" \
    [ "$(sq "select count(*) from steps where run_id = $run and phase = 'cleanup' and out like '%removed $sandbox/verify-$run%'")" -eq 1 ]
topology_untouched "after a good run"

# --- a corrupted backup must fail at verify-backup: exit 1 -------------------
id=$(barman_c show-backup pg1 latest | sed -n 's/^Backup \([0-9T]*\):$/\1/p')
victim=$(find "$sandbox/barman/home/pg1/base/$id/data/base" -type f -size +8k | sort | head -n 1)
check "found a relation file in backup $id to corrupt" [ -n "$victim" ]
size_before=$(stat -c %s "$victim")
# One byte changed, size kept: only the manifest's checksum can catch it.
printf 'X' | as_owner dd of="$victim" bs=1 seek=4096 conv=notrunc status=none
check "corruption kept the file size" [ "$(stat -c %s "$victim")" -eq "$size_before" ]
run_drill corrupt
check "backup-verify exits 1 on a corrupted backup" [ "$rc" -eq 1 ]
check "run stored as failed" [ "$(sq "select status from runs where id = $run")" = failed ]
check "the verify-backup step failed" [ "$(step_status 'verify the latest backup')" = failed ]
check "pg_verifybackup named the checksum mismatch" \
    [ "$(sq "select count(*) from steps where run_id = $run and (out || err) like '%checksum mismatch%'")" -eq 1 ]
check "nothing was restored (restore step skipped)" [ "$(step_status 'restore the backup')" = skipped ]
check "cleanup still ran, ok" \
    [ "$(sq "select status from steps where run_id = $run and phase = 'cleanup'")" = ok ]
check "JUnit reports the failure" grep -q '<failure' "$work/corrupt.xml"
topology_untouched "after a failed run"

# --- down leaves nothing behind ----------------------------------------------
"$DRILL_BIN" sandbox down --dir "$sandbox" >/dev/null 2>&1
check "no process of the sandbox remains" no_sandbox_process
check "sandbox directory removed" [ ! -e "$sandbox" ]

finish
