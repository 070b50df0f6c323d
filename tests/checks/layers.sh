#!/usr/bin/env bash
# tests/checks/layers.sh SOURCE_DIR BUILD_DIR — the engine's layers link only
# downwards (engine/CMakeLists.txt).
#  1. Every drill_layercheck_<layer> of the real build links: each layer's
#     whole archive resolves against the layers it declares below it.
#  2. A deliberate upward call breaks the build: a scratch build configured
#     with -DDRILL_LAYER_PROBE=base puts a call into the runner (run layer)
#     inside base; linking drill_layercheck_base must fail on that symbol.
#  3. The probe's target is a real symbol of the run layer (nm), so failure 2
#     is about direction, not a typo in the probe.
set -euo pipefail
src=${1:?usage: layers.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: layers.sh SOURCE_DIR BUILD_DIR}
. "$src/tests/test-lib.sh"   # ok, fail, finish

layers=(base lang plan exec pg measure store run reports)
for l in "${layers[@]}"; do
    if cmake --build "$build" --target "drill_layercheck_$l" > /dev/null 2>&1; then
        ok "layer $l links against the layers below it only"
    else
        fail "layer $l does not link against its declared dependencies:"
        cmake --build "$build" --target "drill_layercheck_$l" 2>&1 | grep -E 'undefined|error' | head -5
    fi
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/drill-layers.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
probe() {   # probe LAYER — configure a scratch build with the probe in LAYER, link its check
    cmake -S "$src" -B "$scratch/$1" -DDRILL_LAYER_PROBE="$1" > "$scratch/$1.configure" 2>&1 &&
        cmake --build "$scratch/$1" --target "drill_layercheck_$1" -j 2 > "$scratch/$1.log" 2>&1
}
if probe base; then
    fail "an upward call from base into run linked (layers are not enforced)"
elif grep -q "undefined reference to .runner_request_stop" "$scratch/base.log"; then
    ok "an upward call from base into run fails to link"
else
    fail "the probe build failed for another reason:"; tail -20 "$scratch/base.log"
fi
if nm --defined-only "$build/engine/libdrill_run.a" 2>/dev/null | grep -q ' T runner_request_stop$'; then
    ok "the probe's target runner_request_stop is defined by the run layer"
else
    fail "runner_request_stop is not defined in libdrill_run.a: the probe proves nothing"
fi
finish $((${#layers[@]} + 2))
