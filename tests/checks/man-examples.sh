#!/bin/sh
# The EXAMPLE of drill-drill(5) and of drill-topology(5) must be exactly the
# files the parser tests load (tests/data/valid/drill-full.yaml and
# topology-full.yaml), so the examples the reference shows always parse: the
# README's old "complete example" had drifted to node names drills may no
# longer use.
# usage: man-examples.sh SOURCE_DIR
set -eu
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
# example PAGE DATAFILE: the .EX block after .SH EXAMPLE, roff escapes undone.
example() {
    awk '/^\.SH EXAMPLE/ {s = 1; next} s && /^\.SH/ {exit} s && /^\.EX/ {e = 1; next}
         e && /^\.EE/ {exit} e' "$1" |
        sed -e 's/^\\&//' -e 's/\\-/-/g' -e 's/\\e/\\/g'
}
for pair in drill-drill.5.in:drill-full.yaml drill-topology.5:topology-full.yaml; do
    page=$src/engine/dist/man/${pair%%:*}
    data=$src/tests/data/valid/${pair#*:}
    example "$page" > "$tmp/ex"
    if [ ! -s "$tmp/ex" ]; then
        echo "FAIL - ${pair%%:*} has no .EX block under .SH EXAMPLE"
        rc=1
    elif diff -u "$data" "$tmp/ex" > "$tmp/diff"; then
        echo "ok - ${pair%%:*}'s EXAMPLE is tests/data/valid/${pair#*:} ($(wc -l < "$data") lines)"
    else
        cat "$tmp/diff"
        echo "FAIL - ${pair%%:*}'s EXAMPLE differs from tests/data/valid/${pair#*:} (diff above: - data file, + man page)"
        printf '%s\n' "  hint: paste the data file into the page with '-' written '\\-' and '\\' written '\\e'"
        rc=1
    fi
done
exit $rc
