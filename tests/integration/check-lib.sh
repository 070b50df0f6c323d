# check-lib.sh — sourced by every integration test: strict mode, the check
# counters, the skip-or-fail rule (../test-lib.sh) and a private work directory ($work, removed on exit; a test that
# needs more cleanup sets its own trap and removes $work there). Drills on
# the shared test topology lock its target, so the work directory also holds
# a private lock directory: tests running in parallel stay independent.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../test-lib.sh"
: "${DRILL_BIN:?}"
passed=0 failed=0 skipped=0
ok()   { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
# skip_part MESSAGE: a part of the test cannot run here (missing_status):
# under CI=true a failed check; elsewhere a note, and the test as a whole
# then ends as skipped (finish), not passed: it did not check everything.
skip_part() {
    local status=0
    missing_status "$*" || status=$?
    if [ "$status" -eq 77 ]; then skipped=$((skipped + 1)); else fail "$*"; fi
}
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
work=$(mktemp -d "/tmp/drill-${CHECK_LIB_NAME:-itest}.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT INT TERM
export XDG_RUNTIME_DIR=$work/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
# The suite checks that RTO is measured, stored and judged, and what a given
# verdict does (exit code, JUnit, store); never how fast a loaded machine
# recovers: that is a timed assertion, measured by tests/bench. So every drill
# a test runs has a loose RTO target, through the same override users have
# (README, "Objectives"). A test about objectives themselves sets its own.
export DRILL_OBJECTIVES=rto=10m
# run_uuid RUN: the UUID a stored run's heartbeat rows carry ($db: the store).
run_uuid() { sqlite3 "$db" "select uuid from runs where id = $1"; }
# finish: the closing line and the exit status: 1 when a check failed, 77
# when one passed only because a part was skipped (skip_part), and 1 when
# no check ran at all (the test lost its body).
finish() {
    echo "$passed passed, $failed failed$([ "$skipped" -eq 0 ] || echo ", $skipped parts skipped")"
    [ "$failed" -eq 0 ] || return 1
    [ "$passed" -gt 0 ] || { echo "FAIL - no check ran"; return 1; }
    [ "$skipped" -eq 0 ] || return 77
}
