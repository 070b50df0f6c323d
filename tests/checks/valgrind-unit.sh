#!/usr/bin/env bash
# tests/checks/valgrind-unit.sh BUILD_DIR — runs every unit test binary under
# valgrind memcheck: any invalid access, uninitialised use or leak ("definitely"
# or "indirectly" lost) fails. ctest runs it as checks/valgrind-unit.
set -uo pipefail
build=${1:?usage: valgrind-unit.sh BUILD_DIR}
if ! command -v valgrind > /dev/null; then
    echo "valgrind missing (run fixtures/setup.sh)"
    [ "${CI:-}" = true ] && exit 1
    exit 77
fi
status=0
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect --track-fds=no "$t" > "/tmp/valgrind-$$-$name.log" 2>&1; then
        echo "ok - $name: no memory error, no leak"
    else
        echo "FAIL - $name under valgrind:"; tail -40 "/tmp/valgrind-$$-$name.log"; status=1
    fi
    rm -f "/tmp/valgrind-$$-$name.log"
done
exit "$status"
