# sandbox-lib.sh — sourced by the integration tests that run drills on a real
# sandbox: the check counters, the "servers present" rule (a failure under
# CI=true, a skip otherwise), and a private sandbox directory that is torn
# down on exit, whatever happened.
set -uo pipefail
: "${DRILL_BIN:?}" "${DRILL_SOURCE_DIR:?}"
export DRILL_FIXTURES_DIR="$DRILL_SOURCE_DIR/fixtures"
passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

if ! command -v barman >/dev/null || [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
    echo "PostgreSQL 15 or Barman missing (run fixtures/setup.sh)"
    [ "${CI:-}" = true ] && exit 1
    exit 77
fi

work=$(mktemp -d /tmp/drill-itest.XXXXXX)
sandbox=$work/sb
db=$work/drill.db
chmod 755 "$work"
cleanup() {
    "$DRILL_BIN" sandbox down --dir "$sandbox" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
