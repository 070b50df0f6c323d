#!/usr/bin/env bash
# tests/checks/lazy-libpq.sh DRILL SOURCE_DIR — drill loads libpq only when a
# command needs PostgreSQL (engine/pg/pqlib.h): `drill --version` and
# `drill validate` must not map it (it costs ~2 ms of start-up: ~30 shared
# libraries), and no build may link it again by accident. glibc's loader
# lists every library it maps under LD_DEBUG=libs.
set -euo pipefail
drill=${1:?usage: lazy-libpq.sh DRILL SOURCE_DIR}
src=${2:?usage: lazy-libpq.sh DRILL SOURCE_DIR}
. "$src/tests/test-lib.sh"   # check, finish
# no_libpq CMD...: CMD's loader trace shows it ran (libc initialised) and
# never mapped libpq.
no_libpq() {
    local out
    out=$(LD_DEBUG=libs "$@" 2>&1 >/dev/null) || true
    grep -q 'calling init: .*/libc\.so' <<<"$out" && ! grep -q 'libpq\.so' <<<"$out"
}
not_linked_with_libpq() { ! readelf -d "$1" | grep -q 'NEEDED.*libpq'; }
check "drill --version does not load libpq" no_libpq "$drill" --version
check "drill validate does not load libpq" no_libpq "$drill" validate "$src"/drills/*.yaml
check "drill is not linked with libpq (no NEEDED entry)" not_linked_with_libpq "$drill"
finish 3
