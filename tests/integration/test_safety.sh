#!/usr/bin/env bash
# Integration: one drill per target, and crash safety.
#  * while a drill runs, a second one on the same target is refused (exit 3)
#    with who holds it;
#  * when the drill process is SIGKILLed mid-run its run stays `running`;
#    the next `drill run` finds it (its run lock is free), marks it aborted
#    with what it recorded and seals it; the store passes integrity_check and
#    `drill verify`.
# No server is involved: the drills' steps run locally on the "backup" node.
CHECK_LIB_NAME=safety . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
: "${DRILL_TEST_DATA:?}"
marker="sleep 41.$$"
cleanup() { pkill -f -- "$marker" 2> /dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM
topo=$DRILL_TEST_DATA/valid/topology-sandbox.yaml
db=$work/d.db
cat > "$work/long.yaml" <<YAML
name: long
preflight:
  - name: long wait
    kind: shell
    node: backup
    command: $marker
  - name: recorded after the wait
    kind: sleep
    duration: 10ms
YAML

"$DRILL_BIN" run -t "$topo" --db "$db" --progress lines "$work/long.yaml" > "$work/a.out" 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q "long wait: started" "$work/a.out" && break; sleep 0.05; done
check "the first drill is running" grep -q "long wait: started" "$work/a.out"

"$DRILL_BIN" run -t "$topo" --db "$db" "$DRILL_TEST_DATA/valid/drill-hostile.yaml" > "$work/b.out" 2>&1
rc=$?
check "a second drill on the same target is refused (exit 3, got $rc)" [ "$rc" -eq 3 ]
check "the refusal names the running drill's pid" grep -q "another drill is running against topology \"sandbox\" (pid $pid since" "$work/b.out"

kill -KILL "$pid"; wait "$pid" 2> /dev/null
check "the killed drill left its run 'running'" [ "$(sqlite3 "$db" "select status from runs where id = 1")" = running ]

"$DRILL_BIN" run -t "$topo" --db "$db" "$DRILL_TEST_DATA/valid/drill-hostile.yaml" > "$work/c.out" 2>&1
rc=$?
check "the next drill runs (hostile drill: exit 1, got $rc)" [ "$rc" -eq 1 ]
check "it reports the orphaned run" grep -q 'run 1 was left `running` by a drill that died' "$work/c.out"
check "the orphaned run is now aborted with exit 3" \
    [ "$(sqlite3 "$db" "select status || ' ' || exit_code from runs where id = 1")" = "aborted 3" ]
check "its message says what happened" \
    [ "$(sqlite3 "$db" "select count(*) from runs where id = 1 and message like '%died while running%'")" -eq 1 ]
check "what it recorded is kept (the interrupted step is not invented)" \
    [ "$(sqlite3 "$db" "select count(*) from steps where run_id = 1")" -eq 0 ]
check "the store passes integrity_check" [ "$(sqlite3 "$db" "pragma integrity_check")" = ok ]
"$DRILL_BIN" verify --db "$db" > "$work/v.out"
check "the orphaned run was sealed: drill verify passes" [ $? -eq 0 ]
check "two runs sealed" grep -q '2 sealed runs' "$work/v.out"

finish
