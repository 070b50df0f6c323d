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

q()  { psql -XAtq "host=127.0.0.1 port=$1 user=postgres dbname=postgres" -c "$2"; }
sq() { sqlite3 "$db" "$1"; }
as_barman() {  # barman against the sandbox's config, as its OS user
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- barman -c "$sandbox/barman/barman.conf" "$@"
    else barman -c "$sandbox/barman/barman.conf" "$@"; fi
}
# pgrep in a function, not `bash -c`: pgrep -f would match that shell itself.
no_sandbox_process() { ! pgrep -f -- "$sandbox/" > /dev/null; }

# sandbox_up: brings the private sandbox up and sets p1/p2 (pg1/pg2 ports).
sandbox_up() {
    "$DRILL_BIN" sandbox up --dir "$sandbox" >&2 || { echo "sandbox up failed"; exit 1; }
    local status
    status=$("$DRILL_BIN" sandbox status --dir "$sandbox" --json)
    port() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print([n["port"] for n in d["nodes"] if n["name"]==sys.argv[1]][0])' "$1" <<<"$status"; }
    p1=$(port pg1); p2=$(port pg2)
}
