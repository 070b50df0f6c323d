#!/usr/bin/env bash
# tests/fuzz/run.sh — builds the libFuzzer targets for the drill and topology
# parsers with clang (ASan + UBSan + libFuzzer) and runs each for SECONDS
# (default 60) on a seed corpus made of every shipped drill and every test
# fixture. A crash, a sanitizer report or a parser-contract violation fails
# the run and leaves the reproducer in $FUZZ_DIR/artifacts. An empty seed
# corpus, no parser source, or a target that executed no input fails too.
#
#   tests/fuzz/run.sh [SECONDS]          # FUZZ_DIR (default /tmp/drill-fuzz)
#
# The test suite runs it as a short smoke (ctest fuzz/smoke).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../test-lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=${1:-60}
dir=${FUZZ_DIR:-/tmp/drill-fuzz}
require clang "run fixtures/setup.sh" command -v clang > /dev/null
require_nonempty "shipped drill" "$here"/drills/*.yaml
require_nonempty "topology fixture" "$here"/tests/data/valid/topology-*.yaml
require_nonempty "parser source" "$here"/engine/lang/*.c
mkdir -p "$dir/artifacts" "$dir/corpus-drill" "$dir/corpus-topology"
cp "$here"/drills/*.yaml "$here"/tests/data/valid/drill-*.yaml "$dir/corpus-drill/"
cp "$here"/tests/data/invalid/drill/*.yaml "$dir/corpus-drill/" 2> /dev/null || true
cp "$here"/tests/data/valid/topology-*.yaml "$dir/corpus-topology/"
cp "$here"/tests/data/invalid/topology/*.yaml "$dir/corpus-topology/" 2> /dev/null || true

cflags="-std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined"
cflags+=" -fno-sanitize-recover=undefined -DDRILL_VERSION=\"fuzz\" -DDRILL_SOURCE_DIR=\"$here\""
cflags+=" -DDRILL_INSTALL_DATADIR=\"/nonexistent\""
cflags+=" -I$here/engine/base -I$here/engine/lang -I$here/engine/plan"
libs="$(pkg-config --cflags --libs yaml-0.1 libcrypto)"
# Only the parsing layers (engine/CMakeLists.txt): base, lang and plan. They
# cannot reach a server, an executor or the store: those layers are not built.
srcs=$(ls "$here"/engine/base/*.c "$here"/engine/lang/*.c "$here"/engine/plan/*.c)
for target in drill topology; do
    def=$([ "$target" = topology ] && echo -DFUZZ_TOPOLOGY || true)
    # shellcheck disable=SC2086
    clang $cflags $def -o "$dir/fuzz_$target" "$here/tests/fuzz/fuzz_parsers.c" $srcs $libs
done
status=0
for target in drill topology; do
    echo "fuzz: $target parser for ${seconds}s"
    "$dir/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
        -artifact_prefix="$dir/artifacts/$target-" -print_final_stats=1 \
        "$dir/corpus-$target" 2> "$dir/$target.log" || status=1
    grep -E '^stat::number_of_executed_units|^Done|ERROR|SUMMARY' "$dir/$target.log" || true
    units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$target.log")
    [ "${units:-0}" -gt 0 ] || { echo "fuzz: $target executed no input"; status=1; }
done
[ "$status" -eq 0 ] || { echo "fuzz: FAILED; reproducers in $dir/artifacts"; tail -40 "$dir"/*.log; }
exit "$status"
