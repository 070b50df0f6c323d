#!/usr/bin/env bash
# Integration: `drill run --set NAME=VALUE` replaces a drill variable for one
# run. The value reaches the step as data (quotes, `;` and `$(...)` stay
# text), the dry run shows it, the run records it as the fact set:NAME and
# the HTML report rendered from the store shows it; a name no drill declares
# is a usage error (exit 2) with a did-you-mean, before anything is stored.
# No server: the steps are local shell commands.
CHECK_LIB_NAME=set . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
db=$work/s.db
cat > "$work/topo.yaml" <<YAML
name: set-local
nodes:
  - name: pg1
    role: primary
    access: local
    conninfo: "host=127.0.0.1 port=1 user=postgres dbname=postgres"
    data_directory: $work/nodata
YAML
cat > "$work/drill.yaml" <<'YAML'
name: set-vars
variables:
  greeting: hello
  target_file: unused
preflight:
  - name: write the greeting
    kind: shell
    node: primary
    command: printf '%s' "${greeting}" > "$SET_OUT"
YAML
value="it's; \$(touch $work/pwned) \`id\`"
SET_OUT=$work/out.txt "$DRILL_BIN" run -t "$work/topo.yaml" --db "$db" --progress quiet \
    --set "greeting=$value" --html "$work/r.html" "$work/drill.yaml" > "$work/out" 2> "$work/err"
rc=$?
check "run with --set: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "the step got the value as data" [ "$(cat "$work/out.txt" 2>/dev/null)" = "$value" ]
check "nothing in the value ran" [ ! -e "$work/pwned" ]
check "recorded as the fact set:greeting" \
    [ "$(sqlite3 "$db" "select value from facts where key = 'set:greeting'")" = "$value" ]
check "variables not set are not recorded as set" \
    [ "$(sqlite3 "$db" "select count(*) from facts where key like 'set:%'")" -eq 1 ]
"$DRILL_BIN" report 1 --db "$db" --html "$work/again.html" > /dev/null 2>&1
check "the HTML report rendered from the store shows it" grep -q "set:greeting" "$work/again.html"
"$DRILL_BIN" run -t "$work/topo.yaml" --db "$db" --dry-run --set greeting=bonjour \
    "$work/drill.yaml" > "$work/dout" 2>&1
check "the dry run shows the value" grep -q "bonjour" "$work/dout"
"$DRILL_BIN" run -t "$work/topo.yaml" --db "$db" --set greetin=x "$work/drill.yaml" \
    > "$work/out" 2> "$work/err"
rc=$?
check "unknown name: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "unknown name: did-you-mean" grep -q 'no drill of this run has a variable "greetin" (did you mean `greeting`?)' "$work/err"
check "unknown name: no run stored" [ "$(sqlite3 "$db" "select count(*) from runs")" -eq 1 ]
"$DRILL_BIN" run -t "$work/topo.yaml" --db "$db" --set greeting "$work/drill.yaml" \
    > "$work/out" 2> "$work/err"
rc=$?
check "no =: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "no =: says NAME=VALUE" grep -q "set takes NAME=VALUE" "$work/err"
finish
