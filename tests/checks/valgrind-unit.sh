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
status=0 ran=0
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    ran=$((ran + 1))
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect --track-fds=no "$t" > "/tmp/valgrind-$$-$name.log" 2>&1; then
        echo "ok - $name: no memory error, no leak"
    else
        echo "FAIL - $name under valgrind:"; tail -40 "/tmp/valgrind-$$-$name.log"; status=1
    fi
    rm -f "/tmp/valgrind-$$-$name.log"
done
[ "$ran" -gt 0 ] || { echo "FAIL - no executable unit test binary in $build/tests"; exit 1; }
echo "$ran unit test binaries run under valgrind"
exit "$status"
