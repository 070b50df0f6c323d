#!/usr/bin/env bash
# tests/checks/valgrind-unit.sh BUILD_DIR — runs every unit test binary under
# valgrind memcheck: any invalid access, uninitialised use or leak ("definitely"
# or "indirectly" lost) fails, and so does finding no unit test binary to run.
# ctest runs it as checks/valgrind-unit.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../test-lib.sh"
build=${1:?usage: valgrind-unit.sh BUILD_DIR}
require valgrind "run fixtures/setup.sh" command -v valgrind > /dev/null
require_nonempty "unit test binary" "$build"/tests/test_*
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect --track-fds=no "$t" > "/tmp/valgrind-$$-$name.log" 2>&1; then
        ok "$name: no memory error, no leak"
    else
        fail "$name under valgrind:"; tail -40 "/tmp/valgrind-$$-$name.log"
    fi
    rm -f "/tmp/valgrind-$$-$name.log"
done
# finish: fails on a failed binary, and on none run (no executable one)
finish
