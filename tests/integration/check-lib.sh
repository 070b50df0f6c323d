# check-lib.sh — sourced by every integration test: strict mode, the check
# counters (ok, fail, check, skip_part, finish) and the skip-or-fail rule
# (../test-lib.sh), and a private work directory ($work, removed on exit; a
# test that needs more cleanup sets its own trap and removes $work there).
# Drills on the shared test topology lock its target, so the work directory
# also holds a private lock directory: tests running in parallel stay
# independent.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../test-lib.sh"
: "${DRILL_BIN:?}"
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
