#!/bin/sh
# The README teaches from its first screen: its first 40 lines hold the two
# commands (fixtures/quickstart.sh, tests/run.sh) and an image of a report
# (reports/samples/); every relative link and image points to a file of the
# repository; every #anchor link (the table of contents first) names a
# heading; every ## section is in the table of contents; and headings are
# ATX (#), never setext underlines (their anchors are what the links use).
# usage: readme-first-screen.sh SOURCE_DIR [README]
set -eu
src=$1
readme=${2:-$src/README}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
ok() { printf 'ok - %s\n' "$1"; }
fail() { printf 'FAIL - %s\n  hint: %s\n' "$1" "$2"; rc=1; }

[ -s "$readme" ] || { fail "$readme is missing or empty" "the README is at the top of the repository"; exit 1; }

# --- the first screen ---------------------------------------------------------
head -n 40 "$readme" > "$tmp/screen"
for cmd in fixtures/quickstart.sh tests/run.sh; do
    if grep -q "^ *$cmd\\( \\|\$\\)" "$tmp/screen"; then
        ok "the first 40 lines show the command $cmd"
    else
        fail "the first 40 lines do not show the command $cmd (on a line of its own)" \
             "keep the two commands, each on its own line, near the top"
    fi
done
if grep -q '!\[[^]]*\](reports/samples/[^)]*\.png)' "$tmp/screen"; then
    ok "the first 40 lines show a report image: $(grep -o 'reports/samples/[^)]*\.png' "$tmp/screen" | head -n 1)"
else
    fail "the first 40 lines have no image of a report (![...](reports/samples/....png))" \
         "put the screenshot reports/samples/report.png right after the two commands"
fi

# --- what the rest of the checks read: prose only (fenced and indented code,
# and inline code spans, are skipped) ----------------------------------------
# headings: "LINE<TAB>LEVEL<TAB>ANCHOR" with GitHub's anchors (lower case, only
# letters, digits, spaces, - and _ kept, spaces as -, a repeated one gets -1, -2)
# links: "LINE<TAB>TARGET" of every [text](target) and ![alt](target)
# setext: "LINE" of every ---/=== line underlining a text line
awk -v H="$tmp/headings" -v L="$tmp/links" -v S="$tmp/setext" '
    /^```/ { fence = !fence; prev = ""; next }
    fence { next }
    /^(    |\t)/ && (blank || code) { code = 1; blank = 0; prev = ""; next }
    { code = 0 }
    /^#+ / {
        level = index($0, " ") - 1
        text = substr($0, level + 2)
        sub(/ +#* *$/, "", text)
        a = tolower(text)
        gsub(/[^a-z0-9 _-]/, "", a)
        gsub(/ /, "-", a)
        if (a in seen) { n = seen[a]++; a = a "-" n } else seen[a] = 1
        printf "%d\t%d\t%s\n", NR, level, a > H
    }
    /^(=+|-+) *$/ && prev != "" && prev !~ /^[-*] / { print NR > S }
    {
        line = $0
        gsub(/`[^`]*`/, "", line)
        while (match(line, /\]\([^) ]+\)/)) {
            printf "%d\t%s\n", NR, substr(line, RSTART + 2, RLENGTH - 3) > L
            line = substr(line, RSTART + RLENGTH)
        }
    }
    { prev = $0; blank = ($0 ~ /^ *$/) }
' "$readme"
touch "$tmp/headings" "$tmp/links" "$tmp/setext"

# --- headings -------------------------------------------------------------------
if [ -s "$tmp/setext" ]; then
    fail "setext headings (a line of --- or === under text) at README line(s) $(tr '\n' ' ' < "$tmp/setext")" \
         "write them as ATX headings (## Title): the table of contents links their anchors"
else
    ok "every heading is an ATX heading ($(wc -l < "$tmp/headings") of them)"
fi

# --- relative links and images ------------------------------------------------------
n=0 bad=
while IFS="$(printf '\t')" read -r line target; do
    case $target in
        http://*|https://*|mailto:*|\#*) continue ;;
    esac
    n=$((n + 1))
    path=${target%%#*}
    [ -e "$src/$path" ] || bad="$bad $target (line $line)"
done < "$tmp/links"
if [ -n "$bad" ]; then
    fail "README links to files that do not exist:$bad" "fix the path (relative to the top of the repository) or add the file"
else
    ok "the README's $n relative links and images point to files of the repository"
fi

# --- anchors ------------------------------------------------------------------------
cut -f 3 "$tmp/headings" > "$tmp/anchors"
n=0 bad=
while IFS="$(printf '\t')" read -r line target; do
    case $target in \#*) ;; *) continue ;; esac
    n=$((n + 1))
    grep -qxF "${target#\#}" "$tmp/anchors" || bad="$bad $target (line $line)"
done < "$tmp/links"
if [ -n "$bad" ]; then
    fail "#anchor links that name no heading:$bad" \
         "an anchor is the heading in lower case, punctuation dropped, spaces as - (## Dry runs -> #dry-runs)"
else
    ok "the README's $n #anchor links name headings"
fi

# --- the table of contents: a "## Contents" section listing every ## section ---------
toc_line=$(awk -F '\t' '$2 == 2 && $3 == "contents" {print $1; exit}' "$tmp/headings")
if [ -z "$toc_line" ]; then
    fail "no '## Contents' section" "add a table of contents after the quick reference"
else
    next_line=$(awk -F '\t' -v t="$toc_line" '$1 > t && $2 <= 2 {print $1; exit}' "$tmp/headings")
    awk -F '\t' -v t="$toc_line" -v e="${next_line:-999999}" '$1 > t && $1 < e && $2 ~ /^#/ {print substr($2, 2)}' \
        "$tmp/links" > "$tmp/toc"
    missing=
    for a in $(awk -F '\t' -v t="$toc_line" '$2 == 2 && $1 > t {print $3}' "$tmp/headings"); do
        grep -qxF "$a" "$tmp/toc" || missing="$missing #$a"
    done
    if [ ! -s "$tmp/toc" ]; then
        fail "the Contents section (line $toc_line) links no section" "list the ## sections as [Title](#anchor)"
    elif [ -n "$missing" ]; then
        fail "sections missing from the Contents (line $toc_line):$missing" "add a [Title](#anchor) line for each"
    else
        ok "the Contents (line $toc_line) links every ## section after it ($(wc -l < "$tmp/toc") links)"
    fi
fi
exit $rc
