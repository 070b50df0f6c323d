#!/usr/bin/env bash
# Integration: a store write whose result the runner does not check (here
# the objective's verdict row) fails mid-run. The store keeps that error
# (store.h, the sticky write error) and the runner asks for it before it
# finishes and seals the run: the run ends `error`, exit 3, with the store's
# message on stderr and as the stored run's message, sealed (`drill verify`
# passes), instead of `failed` (exit 1) with an objective row missing. The
# failure is a trigger a step installs: deterministic, and works as root.
# No server: pg1 is a port nothing listens on.
CHECK_LIB_NAME=store-sticky . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
db=$work/s.db
cat > "$work/topo.yaml" <<YAML
name: sticky-local
nodes:
  - name: pg1
    role: primary
    access: local
    conninfo: "host=127.0.0.1 port=1 user=postgres dbname=postgres"
    data_directory: $work/nodata
YAML
cat > "$work/drill.yaml" <<'YAML'
name: sticky-objective
objectives:
  rto: 30s
preflight:
  - name: the store refuses objectives from now on
    kind: shell
    node: primary
    command: |
      sqlite3 "$STICKY_DB" "CREATE TRIGGER no_obj BEFORE INSERT ON objectives BEGIN SELECT RAISE(ABORT, 'injected: no room'); END"
YAML
STICKY_DB=$db "$DRILL_BIN" run -t "$work/topo.yaml" --db "$db" --progress lines "$work/drill.yaml" \
    > "$work/out" 2> "$work/err"
rc=$?
check "exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "stderr says the run ends as error" \
    grep -q "drill: a write to the store failed during the run (error below): the run ends as error" "$work/err"
check "stderr names the file, the write and the cause" \
    grep -q "drill run: error: store $db: recording an objective: injected: no room" "$work/err"
check "stored as error, exit 3" [ "$(sqlite3 "$db" "select status || ' ' || exit_code from runs")" = "error 3" ]
check "the stored message carries the store error" \
    [ "$(sqlite3 "$db" "select count(*) from runs where message like 'the store failed during the run%recording an objective: injected: no room'")" -eq 1 ]
check "the run is sealed" [ "$(sqlite3 "$db" "select count(*) from evidence")" -eq 1 ]
check "the step was recorded" [ "$(sqlite3 "$db" "select status from steps")" = ok ]
"$DRILL_BIN" verify --db "$db" > "$work/vout" 2>&1
vrc=$?
check "drill verify passes (got $vrc)" [ "$vrc" -eq 0 ]
finish
