#!/bin/sh
# The README's "Step kinds" list (one line per kind: its summary and its
# parameters by name; the full reference is drill-drill(5), generated from the
# same catalogue) must be exactly what the step-kind catalogue
# (engine/lang/stepkind.c) generates: the parser, `drill validate --help`,
# drill-drill(5) and the README then can never disagree.
# usage: readme-kinds.sh README DRILL_MANKINDS
set -eu
readme=$1 gen=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^#+ Step kinds$/ {f = 1; next} f && /^#/ {exit} f && /^- `/' "$readme" > "$tmp/readme"
"$gen" --markdown > "$tmp/generated"
if ! diff -u "$tmp/readme" "$tmp/generated"; then
    echo "FAIL - README's step-kind list differs from the catalogue (diff above: - README, + catalogue)"
    echo "  hint: replace the list under '### Step kinds' with \`$gen --markdown\`"
    exit 1
fi
echo "ok - README lists the $(wc -l < "$tmp/generated") step kinds of the catalogue"
