#!/usr/bin/env bash
# tests/run.sh — the README's test command: installs what is missing
# (fixtures/setup.sh), builds with warnings as errors, and runs the whole test
# suite with ctest. Works as root (servers then run as `postgres`) and as a
# normal user with sudo rights for the package install.
#
#   tests/run.sh [extra ctest arguments]
#
# Environment: BUILD_DIR (default build), JOBS (default: number of CPUs),
# DRILL_SANITIZE=ON for an ASan+UBSan build.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$here/build}
jobs=${JOBS:-$(nproc)}

"$here/fixtures/setup.sh"
cmake -S "$here" -B "$build" -DDRILL_WERROR=ON -DDRILL_SANITIZE="${DRILL_SANITIZE:-OFF}"
cmake --build "$build" -j "$jobs"
# PostgreSQL refuses to run as root: as root, tests run the servers as
# `postgres`, which must be able to read the build tree's scripts.
ctest --test-dir "$build" --output-on-failure --no-tests=error -j "$jobs" "$@"
