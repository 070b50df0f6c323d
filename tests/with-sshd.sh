#!/usr/bin/env bash
# with-sshd.sh — runs a program against a throwaway OpenSSH sshd on loopback.
#
#   bash tests/with-sshd.sh PROG [ARGS...]
#
# Creates a temp dir with its own host key and an authorized client key
# (fixtures/sshd-lib.sh), starts /usr/sbin/sshd on 127.0.0.1 at a free port,
# and exports
#   DRILL_SSH_HOST, DRILL_SSH_PORT, DRILL_SSH_USER (the current user)
#   DRILL_SSH_KEY          authorized client key;  DRILL_SSH_BADKEY  a key that is not
#   DRILL_SSH_KNOWN_HOSTS  known_hosts with the server's key
#   DRILL_SSH_KNOWN_HOSTS_CHANGED  known_hosts with another ed25519 key for it
#   DRILL_SSH_FINGERPRINT  the host key's SHA256:... fingerprint (ssh-keygen -l)
#   DRILL_SSH_PID          the sshd listener's pid (its children are the sessions)
#   DRILL_SSH_TMPDIR       scratch space
# runs PROG, then stops sshd (and its sessions) and removes the dir, also on
# failure or a signal. Missing sshd: exit 77 (skip), or 1 under CI=true
# (tests/test-lib.sh: missing_status; DRILL_TEST_PRETEND_MISSING=sshd too).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/test-lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../fixtures/sshd-lib.sh"

WS_DIR=
WS_CHILD=
ws_cleanup() {
    if [[ -n $WS_CHILD ]]; then kill -TERM "$WS_CHILD" 2>/dev/null || true; fi
    if [[ -n $WS_DIR ]]; then sshd_stop "$WS_DIR/sshd"; rm -rf "$WS_DIR"; fi
}

ws_main() {
    if ! present sshd sshd_available; then
        missing_status "with-sshd: $SSHD_BIN or ssh-keygen missing (install openssh-server)" || return $?
    fi
    WS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/drill-sshd.XXXXXX")
    local d=$WS_DIR/sshd port started=
    sshd_setup "$d" || return 1
    ssh-keygen -q -t ed25519 -N '' -C drill-bad -f "$WS_DIR/bad_ed25519" || return 1
    ssh-keygen -q -t ed25519 -N '' -C drill-other-host -f "$WS_DIR/other_host" || return 1
    for _ in 1 2 3; do
        port=$(free_port) || return 1
        if sshd_start "$d" "$port"; then started=1; break; fi
    done
    [[ -n $started ]] || { echo "with-sshd: sshd did not start" >&2; return 1; }
    sshd_known_hosts "$d" "$port" > "$WS_DIR/known_hosts"
    printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$WS_DIR/other_host.pub")" \
        > "$WS_DIR/known_hosts_changed"
    export DRILL_SSH_HOST=127.0.0.1 DRILL_SSH_PORT=$port DRILL_SSH_USER=$(id -un)
    export DRILL_SSH_KEY=$d/client_ed25519 DRILL_SSH_BADKEY=$WS_DIR/bad_ed25519
    export DRILL_SSH_KNOWN_HOSTS=$WS_DIR/known_hosts
    export DRILL_SSH_KNOWN_HOSTS_CHANGED=$WS_DIR/known_hosts_changed
    export DRILL_SSH_FINGERPRINT=$(ssh-keygen -l -E sha256 -f "$d/host_ed25519.pub" | cut -d' ' -f2)
    export DRILL_SSH_PID=$(cat "$d/sshd.launcher.pid") DRILL_SSH_TMPDIR=$WS_DIR
    local status=0
    "$@" &
    WS_CHILD=$!
    wait "$WS_CHILD" || status=$?
    WS_CHILD=
    if [[ $status -ne 0 ]]; then
        echo "with-sshd: $1 exited with $status; last sshd log lines:" >&2
        tail -n 20 "$d/sshd.log" >&2 || true
    fi
    return "$status"
}

trap ws_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
status=0
ws_main "$@" || status=$?
exit "$status"
