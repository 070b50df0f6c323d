# shellcheck shell=bash
# test-lib.sh — sourced by every test shell script (integration tests through
# integration/check-lib.sh, with-postgres.sh, with-sshd.sh, checks/*.sh,
# fuzz/run.sh): what a missing prerequisite means, decided in one place, the
# check counters and closing line every checking script uses, and a free
# loopback port for the servers the tests start.
#
# A test whose server (PostgreSQL, Barman, sshd) or tool is missing did not
# test anything: under CI=true that is a failure (exit 1); elsewhere a skip
# (exit 77, every ctest entry's SKIP_RETURN_CODE), never a pass.
#
# DRILL_TEST_PRETEND_MISSING="postgresql barman ..." makes `require` treat
# those prerequisites as missing, so tests/checks/honest.sh can prove the
# rule without uninstalling anything.

# missing_status MESSAGE: says what is missing and returns the status that
# means: 1 under CI=true, 77 otherwise. The only place CI is read for this.
missing_status() {
    if [ "${CI:-}" = true ]; then
        echo "FAIL - $1 (CI=true requires it)" >&2
        return 1
    fi
    echo "SKIP - $1" >&2
    return 77
}

# skip_or_fail MESSAGE: exits with missing_status.
skip_or_fail() {
    local status=0
    missing_status "$1" || status=$?
    exit "$status"
}

# pretend_missing NAME: true when DRILL_TEST_PRETEND_MISSING lists NAME.
pretend_missing() {
    case " ${DRILL_TEST_PRETEND_MISSING:-} " in *" $1 "*) return 0 ;; esac
    return 1
}

# present NAME CMD...: true when CMD (a presence test) succeeds and NAME is
# not pretended missing.
present() {
    local name=$1
    shift
    ! pretend_missing "$name" && "$@"
}

# require NAME HINT CMD...: returns when NAME is present (present NAME CMD...),
# otherwise skip_or_fail "NAME missing (HINT)".
require() {
    local name=$1 hint=$2
    shift 2
    present "$name" "$@" || skip_or_fail "$name missing ($hint)"
}

# require_nonempty WHAT PATH...: the list a loop is about to walk is not
# empty (an unmatched glob stays literal, so it counts as empty): running
# nothing is a failure, never a pass.
require_nonempty() {
    local what=$1 p
    shift
    for p in "$@"; do
        [ -e "$p" ] && return 0
    done
    echo "FAIL - no $what found${1:+ (looked for $1)}" >&2
    exit 1
}

# ctest_selection BUILD_DIR REGEX [CTEST_ARG...]: runs the ctest entries of
# BUILD_DIR matching REGEX; a REGEX that matches none fails (ctest alone
# says "No tests were found" and exits 0).
ctest_selection() {
    local dir=$1 re=$2
    shift 2
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -R "$re" "$@"
}

# ---- the check counters -----------------------------------------------------
# Set once: sourcing this file again (a test that also sources with-postgres.sh)
# keeps the counts so far.
: "${passed:=0}" "${failed:=0}" "${skipped:=0}"

# ok MESSAGE / fail MESSAGE: counts a passed / failed check and says so
# ("ok - MESSAGE", "FAIL - MESSAGE").
ok()   { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }

# check NAME CMD...: ok NAME when CMD succeeds, else fail NAME.
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

# skip_part MESSAGE: a part of the test cannot run here (missing_status):
# under CI=true a failed check; elsewhere a note, and the test as a whole
# then ends as skipped (finish), not passed: it did not check everything.
skip_part() {
    local status=0
    missing_status "$*" || status=$?
    if [ "$status" -eq 77 ]; then skipped=$((skipped + 1)); else fail "$*"; fi
}

# finish [EXPECTED]: the closing line and the exit status: 1 when a check
# failed, when no check ran at all (the script lost its body), or when
# EXPECTED is given and another number of checks ran; 77 when one passed only
# because a part was skipped (skip_part); else 0.
finish() {
    local expected=${1:-} ran=$((passed + failed))
    echo "$passed passed, $failed failed$([ "$skipped" -eq 0 ] || echo ", $skipped parts skipped")"
    [ "$failed" -eq 0 ] || return 1
    [ "$passed" -gt 0 ] || { echo "FAIL - no check ran"; return 1; }
    [ -z "$expected" ] || [ "$ran" -eq "$expected" ] ||
        { echo "FAIL - $ran checks ran, $expected expected"; return 1; }
    [ "$skipped" -eq 0 ] || return 77
}

# free_port: a loopback port nobody listens on. A race with another process
# is caught by the server failing to start, and the caller retries.
free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "no free port found" >&2
    return 1
}
