#!/usr/bin/env bash
# Integration: primary-wipe with EVERY node reached over SSH (drill sandbox up
# --ssh: a private OpenSSH sshd on loopback, its own host key, a generated
# client key, a pre-filled known_hosts). The outcome is checked with the same
# independent checks as test_primary_wipe.sh (check_primary_wipe_outcome), plus
# the SSH evidence: one session per node, host-key facts matching ssh-keygen,
# and the host-key rules in a real run (unknown refused, trust on first use
# with --accept-new-hostkey recorded, changed key refused). A second
# primary-wipe on the same sandbox proves the first left it healthy.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"
. "$DRILL_SOURCE_DIR/fixtures/sshd-lib.sh"
require sshd "apt-get install openssh-server" sshd_available

sandbox_up --ssh
sshdir=$sandbox/ssh
check "every node of the topology uses access: ssh" [ "$(grep -c 'access: ssh' "$sandbox/topology.yaml")" -eq 3 ]
sessions() { grep -c 'Accepted publickey' "$sshdir/sshd.log"; }
fp=$(ssh-keygen -l -E sha256 -f "$sshdir/host_ed25519.pub" | cut -d' ' -f2)

for round in 1 2; do
    before=$(sessions)
    t0=${EPOCHREALTIME/./}
    "$DRILL_BIN" run primary-wipe --sandbox-dir "$sandbox" --db "$db" --progress lines \
        > "$work/pw$round.out" 2> "$work/pw$round.err"
    rc=$?
    wall=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
    cat "$work/pw$round.out"; tail -n 8 "$work/pw$round.err"
    check "round $round: primary-wipe over ssh exits 0" [ "$rc" -eq 0 ]
    run=$(sq "select max(id) from runs where drill_name = 'primary-wipe'")
    echo "measure: round $round wall ${wall} ms, rto $(sq "select cast(value as int) from measures where run_id = $run and key = 'rto_ms'") ms"
    check_primary_wipe_outcome "$run" "round $round:"
    check "round $round: one ssh session per node ($(( $(sessions) - before )))" [ $(( $(sessions) - before )) -eq 3 ]
    for n in pg1 pg2 backup; do
        check "round $round: fact ssh_hostkey:$n is the host key ($fp)" \
            [ "$(sq "select value from facts where run_id = $run and key = 'ssh_hostkey:$n'")" = "ssh-ed25519 $fp" ]
    done
    check "round $round: fact library:libssh" [ -n "$(sq "select value from facts where run_id = $run and key = 'library:libssh'")" ]
    check "round $round: command steps ran over ssh" \
        [ "$(sq "select count(*) from steps where run_id = $run and kind in ('pg_stop','wipe_datadir','barman_recover','pg_start','base_backup') and status <> 'skipped' and command not like '[ssh 127.0.0.1:%'")" -eq 0 ]
done

# --- host keys in a real run: a harmless drill on the backup node ------------
cat > "$work/whoami.yaml" <<'YAML'
name: ssh-whoami
description: runs id -un on the backup node as its OS user
preflight:
  - name: who am I
    kind: shell
    node: backup
    command: test "$(id -un)" = postgres || test "$(id -u)" -ne 0
YAML
topo() {  # topo KNOWN_HOSTS: the sandbox topology with another known_hosts file
    sed "s|known_hosts: .*|known_hosts: $1|" "$sandbox/topology.yaml" > "$work/topo.yaml"
}
whoami() { "$DRILL_BIN" run "$work/whoami.yaml" -t "$work/topo.yaml" --db "$db" --progress lines "$@" 2>&1; }
last_msg() { sq "select message from steps where run_id = (select max(id) from runs) order by seq limit 1"; }

topo "$work/new_known_hosts"
out=$(whoami); rc=$?
check "unknown host key: run refused (exit 3, got $rc)" [ "$rc" -eq 3 ]
check "unknown host key: OpenSSH wording and fingerprint" \
    bash -c '[[ $1 == *"can'"'"'t be established"*"'"$fp"'"*"Host key verification failed"* ]]' _ "$(last_msg)"
check "unknown host key: nothing written" [ ! -e "$work/new_known_hosts" ]
out=$(whoami --accept-new-hostkey); rc=$?
check "--accept-new-hostkey: run passes (exit $rc)" [ "$rc" -eq 0 ]
check "--accept-new-hostkey: key written to known_hosts" grep -q "^\[127.0.0.1\]:[0-9]* ssh-ed25519 " "$work/new_known_hosts"
check "--accept-new-hostkey: recorded as a fact" \
    [ -n "$(sq "select value from facts where run_id = (select max(id) from runs) and key = 'ssh_hostkey_added:backup'")" ]
out=$(whoami); rc=$?
check "known after first use: passes without the flag (exit $rc)" [ "$rc" -eq 0 ]
ssh-keygen -q -t ed25519 -N '' -f "$work/other" && \
    printf '[127.0.0.1]:%s %s\n' "$(sed -n 's/^Port //p' "$sshdir/sshd_config")" "$(cut -d' ' -f1,2 "$work/other.pub")" > "$work/changed_known_hosts"
topo "$work/changed_known_hosts"
out=$(whoami --accept-new-hostkey); rc=$?
check "changed host key: refused even with --accept-new-hostkey (exit $rc)" [ "$rc" -eq 3 ]
check "changed host key: OpenSSH wording" bash -c '[[ $1 == *"REMOTE HOST IDENTIFICATION HAS CHANGED"* ]]' _ "$(last_msg)"

# --- down leaves nothing behind (sshd included) ------------------------------
"$DRILL_BIN" sandbox down --dir "$sandbox"
check "no process of the sandbox remains (sshd included)" no_sandbox_process
check "sandbox directory removed" [ ! -e "$sandbox" ]

finish
