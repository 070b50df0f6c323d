#!/usr/bin/env bash
# tests/checks/lazy-libpq.sh DRILL SOURCE_DIR — drill loads libpq only when a
# command needs PostgreSQL (engine/pg/pqlib.h): `drill --version` and
# `drill validate` must not map it (it costs ~2 ms of start-up: ~30 shared
# libraries), and no build may link it again by accident. glibc's loader
# lists every library it maps under LD_DEBUG=libs.
set -euo pipefail
drill=${1:?usage: lazy-libpq.sh DRILL SOURCE_DIR}
src=${2:?usage: lazy-libpq.sh DRILL SOURCE_DIR}
pass=0 fail=0
check() {   # check NAME CMD... — CMD's loader trace must not mention libpq
    local out
    out=$(LD_DEBUG=libs "${@:2}" 2>&1 >/dev/null) || true
    if grep -q 'calling init: .*/libc\.so' <<<"$out" && ! grep -q 'libpq\.so' <<<"$out"; then
        pass=$((pass + 1))
    else
        echo "FAIL: $1: libpq loaded (or no loader trace)"; fail=$((fail + 1))
    fi
}
check "drill --version" "$drill" --version
check "drill validate" "$drill" validate "$src"/drills/*.yaml
if readelf -d "$drill" | grep -q 'NEEDED.*libpq'; then
    echo "FAIL: drill is linked with libpq (NEEDED)"; fail=$((fail + 1))
else
    pass=$((pass + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
