#!/usr/bin/env bash
# Integration: no injection (issue: safety, item 7). A drill whose variables
# and captured values are shell syntax — quotes, ;, $( ), backticks,
# newlines, a glob, literal ${...} — runs on a local node
# (tests/data/valid/drill-injection.yaml; no server needed). Each hostile
# value would create a pwned-* file in $INJ_DIR if a shell ever ran it:
#  * no such file exists after the run;
#  * every value arrived byte for byte (the commands wrote it to a file),
#    as one word in plain code, inside "...", in $( ), in a here-document,
#    and as a value captured from a command's output at run time;
#  * exec argv items are never split: the element count is exact;
#  * a reference where the shell would not expand it (inside '...') is a
#    validate error at FILE:LINE:COL with a hint;
#  * in SQL a captured value is data too: against a throwaway PostgreSQL
#    (tests/with-postgres.sh), a value with a quote and a second statement
#    is bound as $1 (the step gets it back exactly, table pwned is never
#    created), and '${capture.x}' is a validate error at FILE:LINE:COL.
CHECK_LIB_NAME=injection . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
: "${DRILL_TEST_DATA:?}"
export INJ_DIR=$work/inj
mkdir -m 755 "$INJ_DIR"
db=$work/d.db

# The values of drill-injection.yaml, spelled for bash.
squote=$'it\'s'
dquote=$'say "hi" \\"there\\"'
semi=$'x; touch "$INJ_DIR/pwned-semi" #'
subst=$'$(touch "$INJ_DIR/pwned-subst")'
backtick=$'`touch "$INJ_DIR/pwned-backtick"`'
spaces=$'  two  spaces  and a tab\t'
newline=$'line1\n\'; touch "$INJ_DIR/pwned-newline"; echo \'\nline3'
glob='*'
dollar=$'${INJ_DIR} $INJ_DIR $$ $# $1'
escape=$'\'\\\'\' \'\\\'\' " \\" \' ; touch "$INJ_DIR/pwned-escape" ; \''

"$DRILL_BIN" run -t "$DRILL_TEST_DATA/valid/topology-sandbox.yaml" --db "$db" --progress quiet \
    "$DRILL_TEST_DATA/valid/drill-injection.yaml" > "$work/run.out" 2>&1
rc=$?
check "the drill passes (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || cat "$work/run.out"
check "no hostile value ran: no pwned-* file" \
    [ -z "$(find "$work" -name 'pwned-*' -print)" ]

same() {  # same FILE EXPECTED: the file holds exactly these bytes
    if [ -f "$INJ_DIR/$1" ] && cmp -s "$INJ_DIR/$1" <(printf '%s' "$2"); then return 0; fi
    echo "  $1: got [$(cat "$INJ_DIR/$1" 2>/dev/null)] want [$2]"
    return 1
}
check "a \$( ) value alone arrived as data" same out.subst1 "$subst"
check "a ; value alone arrived as data" same out.semi1 "$semi"
for v in squote dquote semi subst backtick spaces newline glob dollar escape; do
    check "value $v arrived byte for byte (one word in plain code)" same "out.$v" "${!v}"
done
check "one word even next to another reference" same words.code $'1\n'
check "inside double quotes" same out.dq "<$subst|$squote|$newline>"
check "inside \"\$( )\"" same out.cmdsub "$escape"
check "inside a here-document" same out.heredoc "$backtick"$'\n'
check "a value captured from a command's output, used at run time" \
    same out.capture "$escape$subst"
check "the captured value is stored as fact capture.hostile" \
    [ "$(sqlite3 "$db" "select hex(value) from facts where key = 'capture.hostile'")" = \
      "$(printf '%s' "$escape$subst" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" ]
check "exec: exactly 4 arguments (no item split or dropped)" same argc $'4\n'
check "exec: an item of spaces" same argv.1 "$spaces"
check "exec: variables inside one item" same argv.2 "pre $semi $subst post"
check "exec: a capture inside one item" same argv.3 "$escape$subst"
check "exec: an empty item stays an argument" same argv.4 ""
check "the recorded command carries values as env argv, not shell text" \
    [ "$(sqlite3 "$db" "select count(*) from steps where command like 'env %DRILL_VAR_subst=%/bin/sh -c %\"\${DRILL_VAR_subst}\"%'")" -ge 1 ]

# A reference inside single quotes would never be expanded: refused.
cat > "$work/quoted.yaml" <<'YAML'
name: quoted
variables: {x: "a b"}
preflight:
  - kind: shell
    node: backup
    command: echo '${x}'
YAML
"$DRILL_BIN" validate "$work/quoted.yaml" > "$work/v.out" 2>&1
rc=$?
check "validate refuses '\${x}' (exit $rc)" [ "$rc" -eq 2 ]
check "the error points at the reference: FILE:6:20" \
    grep -q "quoted.yaml:6:20: error: this reference is inside single quotes" "$work/v.out"
check "with a hint" grep -q "hint: close the single quotes before it" "$work/v.out"

# Values that cannot be passed on are clear errors, not silently cut.
printf 'name: nul\nvariables: {x: "a\\0b"}\npreflight:\n  - kind: shell\n    node: backup\n    command: echo ${x}\n' \
    > "$work/nul.yaml"
"$DRILL_BIN" validate "$work/nul.yaml" > "$work/n.out" 2>&1
check "a NUL in a variable is a validate error" grep -q "nul.yaml:2:16: error: a value contains a NUL" "$work/n.out"
cat > "$work/nulcap.yaml" <<'YAML'
name: nulcap
preflight:
  - kind: shell
    node: backup
    command: printf 'a\000b'
    capture: v
  - kind: shell
    node: backup
    command: printf %s ${capture.v} > "$INJ_DIR/nulcap"
YAML
"$DRILL_BIN" run -t "$DRILL_TEST_DATA/valid/topology-sandbox.yaml" --db "$db" --progress quiet \
    "$work/nulcap.yaml" > "$work/nc.out" 2>&1
rc=$?
check "output with a NUL byte is not captured: the run fails (exit $rc)" [ "$rc" -ne 0 ]
check "... saying why" [ "$(sqlite3 "$db" "select count(*) from steps where message like '%cannot capture \"v\": the output has a NUL byte%'")" -eq 1 ]
check "... and the next step did not run" [ ! -e "$INJ_DIR/nulcap" ]
# ---- SQL: a captured value is bound as a query parameter, never pasted ----
cat > "$work/sqlquoted.yaml" <<'YAML'
name: sqlquoted
preflight:
  - kind: shell
    node: backup
    command: echo 1
    capture: x
  - kind: sql
    node: primary
    query: select '${capture.x}'
YAML
"$DRILL_BIN" validate "$work/sqlquoted.yaml" > "$work/sq.out" 2>&1
rc=$?
check "validate refuses '\${capture.x}' in SQL (exit $rc)" [ "$rc" -eq 2 ]
check "the error points at the reference: FILE:9:20" \
    grep -q "sqlquoted.yaml:9:20: error: this reference is inside a '...' string literal" "$work/sq.out"
check "with the hint to write it outside the quotes" \
    grep -qF "hint: write it outside the quotes: drill binds a captured value as a query parameter (\$1), so '\${capture.x}' becomes \${capture.x}" "$work/sq.out"

sql_drill() {  # the drill: capture a value that is SQL syntax, use it in SQL
    cat <<'YAML'
name: sqlcapture
preflight:
  - name: capture a value that is SQL syntax
    kind: shell
    node: primary
    command: |
      printf '%s\n' "x'; create table pwned(i int); --"
    capture: x
  - name: the captured value is a bound parameter
    kind: sql
    node: primary
    query: select ${capture.x}
    expect: "x'; create table pwned(i int); --"
  - name: a cast and the same value twice
    kind: sql
    node: primary
    query: select ${capture.x}::text || ${capture.x}::text
    expect: "x'; create table pwned(i int); --x'; create table pwned(i int); --"
  - name: wait_for binds it too
    kind: wait_for
    node: primary
    probe: sql
    query: select ${capture.x}::text like 'x''; create table%'
  - name: no statement ran from the value
    kind: sql
    node: primary
    query: select to_regclass('pwned') is null
    expect: "t"
YAML
}

sql_topology() {  # sql_topology PORT DIR
    cat <<YAML
name: sqlcap
nodes:
  - name: pg1
    role: primary
    access: local
    conninfo: "host=127.0.0.1 port=$1 user=postgres dbname=postgres"
    data_directory: $2/data
YAML
}

DRILL_WITH_POSTGRES_LIB=1 . "${DRILL_SOURCE_DIR:-$(dirname "${BASH_SOURCE[0]}")/../..}/tests/with-postgres.sh"
set +e   # with-postgres.sh sets errexit: checks here count failures instead
if pgw_find_bin; then
    trap 'pgw_cleanup; rm -rf "$work"' EXIT INT TERM
    pgdir=$work/pg
    PGW_DIRS+=("$pgdir")
    pgport=$(free_port)
    pgw_init_cluster "$pgdir" && pgw_start "$pgdir" "$pgport"
    check "a throwaway PostgreSQL runs on port $pgport" [ -f "$pgdir/data/postmaster.pid" ]
    sql_drill > "$work/sqlcapture.yaml"
    sql_topology "$pgport" "$pgdir" > "$work/sqltopo.yaml"
    "$DRILL_BIN" run -t "$work/sqltopo.yaml" --db "$db" --progress quiet "$work/sqlcapture.yaml" \
        > "$work/sqlrun.out" 2>&1
    rc=$?
    check "the SQL capture drill passes (exit $rc)" [ "$rc" -eq 0 ]
    [ "$rc" -eq 0 ] || cat "$work/sqlrun.out"
    pwned=$(pgw_as_pg psql -h 127.0.0.1 -p "$pgport" -U postgres -d postgres -Atc \
        "select count(*) from pg_class where relname = 'pwned'")
    check "table pwned does not exist (psql says $pwned)" [ "$pwned" = 0 ]
    sqlite3 "$db" "select command from steps where command like 'select \$1%'" > "$work/sqlcmd.out"
    check "the recorded command shows the bound form and the value apart" \
        grep -qxF -- "-- \$1 = capture.x = 'x''; create table pwned(i int); --'" "$work/sqlcmd.out"
    check "... after the query with \$1 in it" grep -qxF 'select $1' "$work/sqlcmd.out"
else
    skip_part "PostgreSQL binaries not found: the SQL capture checks did not run"
fi
finish
