#!/usr/bin/env bash
# Integration: the JSON contract (drill(1), JSON OUTPUT). Every command that
# prints data, run on a real sandbox and a real stored run, prints one
# document valid against the installed schema
# (engine/dist/schema/drill-output.schema.json), checked with the
# independent python3-jsonschema validator; the documents agree with the
# store (sqlite3) and with the exit status; the global spelling
# `drill --format json COMMAND` prints the same bytes as the command's own
# option. The list of commands is read from `drill --help`: a new command
# without a JSON check fails this test.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

SCHEMA=$DRILL_SOURCE_DIR/engine/dist/schema/drill-output.schema.json
VALIDATE=$DRILL_SOURCE_DIR/tests/integration/json-validate.py
require jsonschema "python3-jsonschema: run fixtures/setup.sh" /usr/bin/python3 -c 'import jsonschema'

not() { ! "$@"; }
covered=" "
# js COMMAND LABEL RC_WANTED ARGS...: runs `drill ARGS --format json` into
# $work/LABEL.json, checks the exit status and the document's validity.
js() {
    local cmd=$1 label=$2 want=$3 rc
    shift 3
    "$DRILL_BIN" "$@" --format json > "$work/$label.json" 2> "$work/$label.err"
    rc=$?
    check "$label: exit $want (got $rc)" [ "$rc" -eq "$want" ]
    check "$label: one document valid against the schema, command \"$cmd\"" \
        /usr/bin/python3 "$VALIDATE" "$SCHEMA" "$cmd" "$work/$label.json"
    covered="$covered$cmd "
}
# jq-less field access: jget LABEL PYTHON-EXPRESSION-ON-d
jget() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$work/$1.json" "$2"; }

# ---- the validator can fail --------------------------------------------------
printf '{"schema_version":1,"command":"show","runs":[{"drill":"x"}]}\n' > "$work/bad.json"
check "the schema rejects a run without its required fields" \
    not /usr/bin/python3 "$VALIDATE" "$SCHEMA" show "$work/bad.json"
printf '{"schema_version":2,"command":"list","drills":[]}\n' > "$work/bad2.json"
check "the schema rejects another schema_version" \
    not /usr/bin/python3 "$VALIDATE" "$SCHEMA" list "$work/bad2.json"

# ---- sandbox, a real run, then every reading command ---------------------------
js sandbox sandbox-up 0 sandbox up --dir "$sandbox"
sandbox_ports
check "sandbox up: state up, pg1's port as sandbox status says" \
    [ "$(jget sandbox-up 'd["state"] + str([n["port"] for n in d["nodes"] if n["name"] == "pg1"][0])')" = "up$p1" ]

export DRILL_OBJECTIVES=rto=none   # the suite never judges speed (check-lib.sh)
js run run 0 run primary-wipe --sandbox-dir "$sandbox" --db "$db" --progress quiet
run=$(sq "select max(id) from runs")
check "run: the document's run is the stored run $run, passed" \
    [ "$(jget run 'str(d["runs"][0]["run_id"]) + d["runs"][0]["verdict"]')" = "${run}passed" ]
check "run: one step per stored step, numbered 1..N in order" \
    [ "$(jget run '[s["number"] for s in d["runs"][0]["steps"]] == list(range(1, len(d["runs"][0]["steps"]) + 1))')/$(jget run 'len(d["runs"][0]["steps"])')" \
      = "True/$(sq "select count(*) from steps where run_id = $run")" ]
check "run: rto_ms is the stored measure" \
    [ "$(jget run 'int(d["runs"][0]["measures"]["rto_ms"])')" = "$(measure rto_ms)" ]
check "run: the chain head is the stored seal" \
    [ "$(jget run 'd["runs"][0]["evidence"]["chain_sha256"]')" = "$(sq "select chain_sha256 from evidence where run_id = $run")" ]

js show show 0 show "$run" --db "$db"
check "show: the same run as run printed (runs array identical)" \
    [ "$(jget show 'json.dumps(d["runs"])')" = "$(jget run 'json.dumps(d["runs"])')" ]
js show show-batch 0 show --batch "$(jget run 'd["batch_id"]')" --db "$db"
js history history 0 history --db "$db"
check "history: run_id and the deprecated id agree" [ "$(jget history 'd["runs"][0]["run_id"] == d["runs"][0]["id"] == '"$run")" = True ]
js history history-measure 0 history --db "$db" --measure 'rto%'
js list list 0 list
check "list: every drill of drills/ is listed" \
    [ "$(jget list '" ".join(sorted(set(x["name"] for x in d["drills"])))')" = "$(cd "$DRILL_SOURCE_DIR/drills" && ls *.yaml | sed 's/\.yaml$//' | sort | paste -sd' ')" ]
js validate validate-ok 0 validate primary-wipe
js validate validate-bad 2 validate "$DRILL_TEST_DATA/invalid/drill/stage-wal-conflicts.yaml" no-such-drill
"$DRILL_BIN" validate "$DRILL_TEST_DATA/invalid/drill/stage-wal-conflicts.yaml" 2> "$work/validate-bad.txt"
first=$(grep -m1 -o ':[0-9]*:[0-9]*: error' "$work/validate-bad.txt")
check "validate: problems carry the text's line:column ($first)" \
    [ "$(jget validate-bad '":%d:%d: error" % (d["problems"][0]["line"], d["problems"][0]["column"])')" = "$first" ]
check "validate: the missing drill has path null" [ "$(jget validate-bad 'd["files"][1]["path"]')" = None ]
js verify verify 0 verify --db "$db"
check "verify: intact, head = the run's seal" \
    [ "$(jget verify 'str(d["intact"]) + d["chain_sha256"]')" = "True$(sq "select chain_sha256 from evidence where run_id = $run")" ]
js report report 0 report "$run" --db "$db" --junit "$work/out/r.xml" --html "$work/out/r.html"
check "report: both files listed with their sha256" \
    [ "$(jget report '" ".join(f["sha256"] for f in d["files"])')" = "$(sha256sum "$work/out/r.xml" "$work/out/r.html" | cut -d' ' -f1 | paste -sd' ')" ]
js verify verify-manifest 0 verify --manifest "$work/out/SHA256SUMS"
js run dry-run 0 run primary-wipe --dry-run --sandbox-dir "$sandbox" --db "$work/dry.db"
check "dry run: as many steps as the text plan, every check passed or skipped" \
    [ "$(jget dry-run 'd["dry_runs"][0]["verdict"] + str(d["dry_runs"][0]["failed"])')" = passed0 ]
js repair repair 0 repair --sandbox-dir "$sandbox" --db "$db"
check "repair: nothing to repair, nothing released" \
    [ "$(jget repair 'str(d["released"]) + str(len(d["runs"]))')" = False0 ]
js sandbox sandbox-status 0 sandbox status --dir "$sandbox"
js audit audit 0 audit --sandbox-dir "$sandbox"
check "audit: the summary counts the findings, exit_code 0" \
    [ "$(jget audit 'str(sum(d["summary"].values()) == len(d["findings"]) > 0) + str(d["exit_code"])')" = True0 ]
js store store-copy 0 store copy "$db" "$work/copy.db"
check "store copy: every sealed run of the store copied, with new ids in order" \
    [ "$(jget store-copy 'str(d["copied"]) + str([r["to_run_id"] for r in d["runs"]] == list(range(1, d["copied"] + 1)))')" \
      = "$(sq "select count(*) from runs r join evidence e on e.run_id = r.id where r.uuid is not null")True" ]
js fleet fleet 0 fleet --db "$db"
check "fleet: one entry per target and drill with finished runs in the store" \
    [ "$(jget fleet 'len(d["entries"])')" = "$(sq "select count(*) from (select 1 from runs where status <> 'running' group by topology_name, drill_name)")" ]
check "fleet: primary-wipe's entry is run $run, ok, with its stored RTO" \
    [ "$(jget fleet '[(e["last_run_id"], e["verdict"], int(e["rto_ms"])) for e in d["entries"] if e["drill"] == "primary-wipe"][0]')" = "($run, 'ok', $(measure rto_ms))" ]

# ---- failures are documents too ------------------------------------------------
cp "$db" "$work/tampered.db"
sqlite3 "$work/tampered.db" "update steps set message = 'edited' where run_id = $run and seq = 0"
js verify verify-tampered 1 verify --db "$work/tampered.db"
check "verify: a tampered store names run $run in failure" \
    [ "$(jget verify-tampered 'str(d["intact"]) + str(d["failure"]["run_id"])')" = "False$run" ]

# ---- the global option is the command's own -----------------------------------
"$DRILL_BIN" --format json history --db "$db" > "$work/global.json"
check "drill --format json history = drill history --format json" cmp -s "$work/global.json" "$work/history.json"
"$DRILL_BIN" --format=json show "$run" --db "$db" > "$work/global2.json"
check "drill --format=json show = drill show --format json" cmp -s "$work/global2.json" "$work/show.json"
"$DRILL_BIN" --format yaml list > /dev/null 2> "$work/badfmt.err"
check "--format yaml is a usage error (exit 2)" [ $? -eq 2 ]

# ---- every command of drill --help is covered ------------------------------------
for c in $("$DRILL_BIN" --help | awk '/^Commands:/ {f = 1; next} f && /^$/ {exit} f {print $1}'); do
    check "command $c has a JSON check here" grep -q " $c " <<<"$covered"
done

js sandbox sandbox-down 0 sandbox down --dir "$sandbox"
check "sandbox down: state down, no node" [ "$(jget sandbox-down 'd["state"] + str(len(d["nodes"]))')" = down0 ]
finish
