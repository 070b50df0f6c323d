#!/usr/bin/env bash
# tests/checks/sanitize.sh BUILD_DIR — builds drill and its tests with
# AddressSanitizer + UndefinedBehaviorSanitizer in BUILD_DIR/asan and runs the
# unit tests, the PostgreSQL tests and the fast CLI-level integration tests
# there (the drill-on-a-sandbox tests run in the main build only: they are
# minutes long and exercise the same code). ctest runs it as checks/sanitize;
# a selection that matches no test fails (ctest_selection), it never passes.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../test-lib.sh"
build=${1:?usage: sanitize.sh BUILD_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
asan=$build/asan
cmake -S "$here" -B "$asan" -DDRILL_WERROR=ON -DDRILL_SANITIZE=ON > /dev/null
cmake --build "$asan" -j "${JOBS:-2}" > "$asan.build.log" 2>&1 || { tail -40 "$asan.build.log"; exit 1; }
# detect_leaks stays on: a leak in a unit test or the CLI is a failure.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest_selection "$asan" '^(unit|pg)/|integration/test_(cli|evidence)$' -j "${JOBS:-2}"
