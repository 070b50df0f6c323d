#!/usr/bin/env bash
# Integration: the installation. `cmake --install` of the already-built tree
# into a temporary prefix (and once more with DESTDIR into another), then,
# from directories that are not the checkout, the installed binary:
#   - finds the shipped drills by name (list, validate) relative to itself,
#     and shows local and user drills with their origin and the shadowing;
#   - man pages render without warnings; drill(1) names every command and
#     every option `drill COMMAND --help` prints; drill-drill(5) every kind;
#   - the bash completion completes commands, options and drill names;
#   - the systemd units pass `systemd-analyze verify`;
#   - `drill run backup-verify` BY NAME runs against a sandbox brought up with
#     the installed fixtures, writing history and reports; then the unit's
#     ExecStartPre/ExecStart lines, run as systemd would (no systemd here),
#     write history and timestamped reports under STATE_DIRECTORY.
CHECK_LIB_NAME=install
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

build=$(dirname "$DRILL_BIN")
prefix=$work/prefix
bin=$prefix/bin/drill
# The installed drill must not lean on the checkout or on the test's setup.
unset DRILL_FIXTURES_DIR DRILL_PATH
export HOME=$work/home XDG_CONFIG_HOME=
mkdir -p "$HOME"

cmake --install "$build" --prefix "$prefix" > "$work/install.out" 2>&1
check "cmake --install into a temporary prefix" [ $? -eq 0 ]
for f in bin/drill share/drill/drills/primary-wipe.yaml share/drill/fixtures/sandbox.sh \
         share/man/man1/drill.1 share/man/man5/drill-drill.5 share/man/man5/drill-topology.5 \
         share/bash-completion/completions/drill share/doc/drill/README \
         share/drill/schema/drill-output.schema.json \
         lib/systemd/system/drill@.service lib/systemd/system/drill@.timer; do
    check "installed $f" [ -s "$prefix/$f" ]
done

# --- drills by name, from anywhere ------------------------------------------
cd /
"$bin" list > "$work/list" 2>&1
check "list from / shows installed drills with descriptions" \
    grep -Eq '^primary-wipe +installed +Wipe the primary' "$work/list"
check "list shows every shipped drill" \
    [ "$(grep -c ' installed ' "$work/list")" -eq "$(ls "$DRILL_SOURCE_DIR"/drills/*.yaml | wc -l)" ]
"$bin" validate primary-wipe > "$work/v" 2>&1
check "validate primary-wipe by name from /" grep -q "$prefix/bin/../share/drill/drills/primary-wipe.yaml: ok" "$work/v"

project=$work/project
mkdir -p "$project/drills" "$HOME/.config/drill/drills"
sed 's/^name: .*/name: my-check/' "$DRILL_SOURCE_DIR/drills/backup-verify.yaml" > "$HOME/.config/drill/drills/my-check.yaml"
cp "$DRILL_SOURCE_DIR/drills/primary-wipe.yaml" "$project/drills/"
(cd "$project" && "$bin" list) > "$work/list2" 2>&1
check "a local drill wins" grep -Eq '^primary-wipe +local ' "$work/list2"
check "the installed copy is shown shadowed" grep -Eq '^primary-wipe +installed +\(shadowed by local\) Wipe' "$work/list2"
check "a user drill (XDG config dir) is listed" grep -Eq '^my-check +user +Verify' "$work/list2"
(cd "$project" && "$bin" list --names) > "$work/names" 2>&1
check "list --names: each name once" [ "$(grep -c '^primary-wipe$' "$work/names")" -eq 1 ]
(cd "$project" && "$bin" validate my-check) > "$work/v2" 2>&1
check "validate a user drill by name" grep -q "my-check.yaml: ok" "$work/v2"

DESTDIR=$work/dest cmake --install "$build" --prefix /opt/drill-test > /dev/null 2>&1
check "DESTDIR staging: drills found next to the staged binary" \
    grep -Eq '^backup-verify +installed' <("$work/dest/opt/drill-test/bin/drill" list 2>&1)

# --- man pages ---------------------------------------------------------------
for page in "$prefix"/share/man/man1/drill.1 "$prefix"/share/man/man5/*.5; do
    groff -man -Tutf8 -ww "$page" > "$work/page.txt" 2> "$work/page.err"
    check "$(basename "$page") renders without warnings" [ ! -s "$work/page.err" ]
    check "man -l $(basename "$page")" eval "MANWIDTH=80 man -l '$page' 2>&1 | grep -q 'drill'"
done
man1=$(sed 's/\\-/-/g' "$prefix/share/man/man1/drill.1")
commands=$("$bin" --help | awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}')
missing=
for c in $commands; do
    grep -q "^\.B $c\$" <<<"$man1" || missing+=" $c"
    for o in $("$bin" "$c" --help | grep -oE -- '^usage:.*|^ +(-[a-zA-Z], +)?--[a-z][a-z-]*' | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "$o" <<<"$man1" || missing+=" $c$o"
    done
done
check "drill(1) documents every command and option of --help (missing:${missing:- none})" [ -z "$missing" ]
man5=$(sed 's/\\-/-/g' "$prefix/share/man/man5/drill-drill.5")
missing=
for k in $("$bin" validate --help | sed -n '/^Step kinds/,$p' | grep -oE '^  [a-z_]+' ); do
    grep -q "^\.B $k\$" <<<"$man5" || missing+=" $k"
done
check "drill-drill(5) lists every step kind of the catalogue (missing:${missing:- none})" [ -z "$missing" ]

# --- bash completion ---------------------------------------------------------
complete_words() {  # complete_words WORDS... -> COMPREPLY, one line
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _drill; echo "${COMPREPLY[*]}"' \
        _ "$prefix/share/bash-completion/completions/drill" "$bin" "$@"
}
check "completion: commands" [ "$(complete_words r)" = "run report repair" ]
check "completion: run options" [ "$(complete_words run --top)" = "--topology" ]
check "completion: --progress values" [ "$(complete_words run --progress l)" = "lines" ]
check "completion: drill names for run" [ "$(complete_words run backup-v)" = "backup-verify backup-verify-pgbackrest" ]
check "completion: drill names for validate" [ "$(complete_words validate primary-wipe)" = "primary-wipe primary-wipe-getwal primary-wipe-naive primary-wipe-pgbackrest" ]
check "completion: list options" [ "$(complete_words list --)" = "--format --help --names" ]
check "completion: no option prose mentions (validate)" [ "$(complete_words validate --)" = "--format --help --topology" ]
check "completion: sandbox actions" [ "$(complete_words sandbox "")" = "up down status" ]

# --- systemd units -----------------------------------------------------------
units=$prefix/lib/systemd/system
if command -v systemd-analyze > /dev/null; then
    # Documentation= names our man pages: systemd-analyze checks them with man.
    MANPATH=$prefix/share/man: systemd-analyze verify "$units/drill@backup-verify.service" \
        "$units/drill@backup-verify.timer" > "$work/verify.out" 2>&1
    rc=$?; cat "$work/verify.out"
    check "systemd-analyze verify drill@.service and drill@.timer" [ $rc -eq 0 ] && [ ! -s "$work/verify.out" ]
    check "the service runs the installed binary" grep -q "^ExecStart=.* $bin %i\$" "$units/drill@.service"
else
    skip_part "systemd-analyze missing (run fixtures/setup.sh)"
fi
for key in 'Type=oneshot' 'StateDirectory=drill' 'LoadCredential=pgpass:/etc/drill/pgpass' \
           'PGPASSFILE=%d/pgpass' 'TimeoutStartSec=' 'NoNewPrivileges=yes' 'ProtectSystem=strict'; do
    check "drill@.service sets $key" grep -q "^[^#]*$key" "$units/drill@.service"
done
for key in 'OnCalendar=' 'RandomizedDelaySec=' 'Persistent=false'; do
    check "drill@.timer sets $key" grep -q "^$key" "$units/drill@.timer"
done

# --- a drill by name, installed binary, from / ------------------------------
"$bin" run backup-verify --sandbox-dir "$sandbox" --db "$db" --progress lines \
    --junit "$work/reports/bv.xml" --html "$work/reports/bv.html" > "$work/run.out" 2> "$work/run.err"
rc=$?
cat "$work/run.out"; [ $rc -eq 0 ] || tail -n 30 "$work/run.err"
check "drill run backup-verify by name from / (exit 0)" [ $rc -eq 0 ]
check "the sandbox came up from the installed fixtures" [ -s "$sandbox/topology.yaml" ]
check "the store holds a passed run of the installed drill file" \
    [ "$(sq "select status || ' ' || drill_file from runs where drill_name = 'backup-verify'")" = \
      "passed $prefix/bin/../share/drill/drills/backup-verify.yaml" ]
check "JUnit and HTML reports written" [ -s "$work/reports/bv.xml" ] && [ -s "$work/reports/bv.html" ]
check "drill history shows the run" grep -q backup-verify <("$bin" history --db "$db")

# --- what the timer starts: the unit's own command lines ----------------------
# No systemd runs here, so do what it would: expand %i/%% and the environment
# in ExecStartPre/ExecStart and run them with STATE_DIRECTORY set.
unit_cmd() {  # unit_cmd KEY: KEY's command line with specifiers expanded
    sed -n "s/^$1=//p" "$units/drill@.service" | sed 's/%i/backup-verify/g; s/%%/%/g'
}
state=$work/state
mkdir -p "$state"
export STATE_DIRECTORY=$state DRILL_TOPOLOGY=$sandbox/topology.yaml DRILL_RUN_ARGS=--yes
eval "$(unit_cmd ExecStartPre)" > "$work/pre.out" 2>&1
check "the unit's ExecStartPre validates the drill against the topology" [ $? -eq 0 ]
eval "$(unit_cmd ExecStart)" > "$work/unit.out" 2>&1
rc=$?; [ $rc -eq 0 ] || tail -n 30 "$work/unit.out"
check "the unit's ExecStart runs the drill (exit 0)" [ $rc -eq 0 ]
check "history in STATE_DIRECTORY/drill.db" \
    [ "$(sqlite3 "$state/drill.db" "select count(*) from runs where drill_name = 'backup-verify' and status = 'passed'")" = 1 ]
check "a timestamped JUnit + HTML pair in reports/backup-verify/" \
    eval 'compgen -G "$state/reports/backup-verify/*Z.xml" > /dev/null && compgen -G "$state/reports/backup-verify/*Z.html" > /dev/null' 
check "reports listed in SHA256SUMS" eval '(cd "$state/reports/backup-verify" && sha256sum -c --quiet SHA256SUMS)'

"$DRILL_BIN" sandbox down --dir "$sandbox" > /dev/null
finish
