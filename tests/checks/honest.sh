#!/usr/bin/env bash
# tests/checks/honest.sh SOURCE_DIR BUILD_DIR — the suite cannot pass by
# accident (issue 15). Each case runs the real harness or script in a state
# where nothing was tested, and expects it NOT to pass:
#  (a) tests/harness.h: a program that runs no test, one that forgets to RUN
#      a declared test, and one whose test body is empty all fail; one
#      honest test passes (the control);
#  (b) a missing server (DRILL_TEST_PRETEND_MISSING, tests/test-lib.sh) is a
#      skip (77) without CI and a failure (1) under CI=true, for the
#      sandbox tests, with-postgres.sh and with-sshd.sh; a test that skipped
#      a part ends as skipped, one that ran no check fails;
#  (c) the loops over test binaries fail on an empty set: valgrind-unit.sh on
#      a build without unit tests, the ctest selection sanitize.sh runs when
#      it matches nothing, the corpus/source guard fuzz/run.sh uses.
# Takes seconds: it compiles four tiny programs and starts no server.
set -uo pipefail
src=${1:?usage: honest.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: honest.sh SOURCE_DIR BUILD_DIR}
. "$src/tests/test-lib.sh"   # ok, fail, finish, and the rules under test
export DRILL_SOURCE_DIR=$src DRILL_TEST_DATA=$src/tests/data
export DRILL_BIN=${DRILL_BIN:-$build/drill}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/drill-honest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# expect WANT NAME CMD...: CMD exits with WANT (its output kept in $tmp/out).
expect() {
    local want=$1 name=$2 rc=0
    shift 2
    "$@" > "$tmp/out" 2>&1 || rc=$?
    if [ "$rc" -eq "$want" ]; then
        ok "$name (exit $rc)"
    else
        fail "$name: exit $rc, expected $want"; tail -n 20 "$tmp/out"
    fi
}
# both NAME CMD...: CMD skips (77) without CI and fails (1) under CI=true.
both() {
    local name=$1
    shift
    expect 77 "$name, no CI: skipped" env -u CI "$@"
    expect 1 "$name, CI=true: failed" env CI=true "$@"
}

# ---- (a) the harness -------------------------------------------------------
harness_program() {   # harness_program NAME BODY: builds $tmp/NAME from BODY
    printf '#include "harness.h"\n%s\n' "$2" > "$tmp/$1.c"
    ${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror -Wno-unused-function -Wno-unused-variable \
        -I"$src/tests" -o "$tmp/$1" "$tmp/$1.c"
}
harness_program none 'int main(void) { return harness_done(); }'
harness_program unrun 'TEST(a) { CHECK(1); } TEST(b) { CHECK(1); }
int main(void) { RUN(a); return harness_done(); }'
harness_program empty 'TEST(a) { } int main(void) { RUN(a); return harness_done(); }'
harness_program honest 'TEST(a) { CHECK_INT(1 + 1, 2); } int main(void) { RUN(a); return harness_done(); }'
expect 1 "harness: no test ran" "$tmp/none"
expect 1 "harness: a declared test not run" "$tmp/unrun"
expect 1 "harness: a test whose body is empty" "$tmp/empty"
expect 0 "harness: one honest test (control)" "$tmp/honest"

# ---- (b) missing servers -----------------------------------------------------
integ=$src/tests/integration
both "sandbox test, PostgreSQL missing" env DRILL_TEST_PRETEND_MISSING=postgresql \
    bash "$integ/test_primary_wipe.sh"
both "sandbox test, Barman missing" env DRILL_TEST_PRETEND_MISSING=barman \
    bash "$integ/test_standby_failover.sh"
both "test_sandbox.sh, PostgreSQL missing" env DRILL_TEST_PRETEND_MISSING=postgresql \
    bash "$integ/test_sandbox.sh"
both "with-postgres.sh, PostgreSQL missing" env DRILL_TEST_PRETEND_MISSING=postgresql \
    bash "$src/tests/with-postgres.sh" true
both "with-sshd.sh, sshd missing" env DRILL_TEST_PRETEND_MISSING=sshd \
    bash "$src/tests/with-sshd.sh" true
cat > "$tmp/part.sh" <<EOF
. "$integ/check-lib.sh"
check "something ran" true
skip_part "a part needs a server"
finish
EOF
both "a test that skipped a part" bash "$tmp/part.sh"
printf '. "%s/check-lib.sh"\nfinish\n' "$integ" > "$tmp/nocheck.sh"
expect 1 "an integration test that ran no check" env -u CI bash "$tmp/nocheck.sh"

# ---- (c) loops over an empty set ---------------------------------------------
mkdir -p "$tmp/emptybuild/tests"
if present valgrind command -v valgrind > /dev/null; then
    expect 1 "valgrind-unit.sh on a build with no unit test" \
        env -u CI bash "$src/tests/checks/valgrind-unit.sh" "$tmp/emptybuild"
else
    skip_or_fail "valgrind missing: valgrind-unit.sh's empty-set case not run"
fi
expect 8 "ctest_selection (sanitize.sh) matching no test" \
    ctest_selection "$build" '^no/such/test$'
expect 1 "require_nonempty (fuzz/run.sh) on an empty glob" \
    bash -c '. "$1"; require_nonempty "seed drill" "$2"/*.yaml' _ "$src/tests/test-lib.sh" "$tmp/emptybuild"

finish 20
