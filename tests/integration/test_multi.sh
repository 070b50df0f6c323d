#!/usr/bin/env bash
# Integration: several drills in one `drill run`, the regression gate and the
# machine-readable output, on a real sandbox (PostgreSQL 15 primary + hot
# standby + Barman 3.4 on loopback). Checked against the store (sqlite3),
# the JUnit file (xmllint), the servers (psql) and `python3 -m json.tool`,
# not against drill's own summary:
#   - `drill run A B` = one batch: 2 <testsuite>s, both runs stored with the
#     same batch id, `drill report --batch` re-renders the same bytes;
#   - exit status worst wins; --fail-fast and a suite's `fail_fast: true`
#     stop after the failing drill (the next one never reaches the store);
#   - a recovery slowed by a 40 s sleep trips --max-regression (exit 1) while
#     its RTO objective is still met; JUnit and HTML show the baseline;
#   - --format json parses and has schema_version; NO_COLOR / --color.
. "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

sandbox_up
failing=$DRILL_TEST_DATA/valid/drill-verify-fails.yaml
run() {  # run TAG ARGS... — drill run on the sandbox; sets rc
    "$DRILL_BIN" run --sandbox-dir "$sandbox" --db "$db" --progress lines "$@" \
        > "$work/$TAG.out" 2> "$work/$TAG.err"
    rc=$?
    cat "$work/$TAG.out"; [ "$rc" -eq 0 ] || tail -n 15 "$work/$TAG.err"
}
xp() { xmllint --xpath "$2" "$1" 2>/dev/null; }
json_ok() { python3 -m json.tool "$1" > /dev/null; }
jq_py() {  # jq_py FILE EXPR — a Python expression over d (the document)
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
nruns() { sq "select count(*) from runs where drill_name = '$1'"; }

# ---- two drills, one batch --------------------------------------------------
TAG=pair run --junit "$work/pair.xml" --html "$work/pair.html" --format json \
    primary-wipe standby-failover
check "primary-wipe + standby-failover: exit 0" [ "$rc" -eq 0 ]
check "run --format json parses" json_ok "$work/pair.out"
check "run JSON: schema_version 1" [ "$(jq_py "$work/pair.out" 'd["schema_version"]')" = 1 ]
check "run JSON: two runs, in order" \
    [ "$(jq_py "$work/pair.out" '",".join(r["drill"] for r in d["runs"])')" = primary-wipe,standby-failover ]
check "progress went to stderr, not stdout" grep -q 'primary-wipe' "$work/pair.err"
check "JUnit: one <testsuites> with 2 <testsuite>" [ "$(xp "$work/pair.xml" 'count(/testsuites/testsuite)')" = 2 ]
check "JUnit: suite names" [ "$(xp "$work/pair.xml" 'string(/testsuites/testsuite[1]/@name)'),$(xp "$work/pair.xml" 'string(/testsuites/testsuite[2]/@name)')" = primary-wipe,standby-failover ]
check "JUnit: <testsuites tests> is the sum of its suites" \
    [ "$(xp "$work/pair.xml" 'string(/testsuites/@tests)')" = "$(xp "$work/pair.xml" 'sum(/testsuites/testsuite/@tests)')" ]
batch=$(jq_py "$work/pair.out" 'd["batch_id"]')
check "store: both runs passed, grouped as batch $batch" \
    [ "$(sq "select group_concat(drill_name || ':' || status, ',') from (select * from runs where batch_id = $batch order by id)")" = primary-wipe:passed,standby-failover:passed ]
check "store: the batch id is the first run's id" [ "$(sq "select min(id) from runs where batch_id = $batch")" = "$batch" ]
check "one HTML per drill" test -s "$work/pair-1-primary-wipe.html" -a -s "$work/pair-2-standby-failover.html"
"$DRILL_BIN" report --db "$db" --batch "$batch" --junit "$work/again.xml" > /dev/null
check "drill report --batch re-renders the same JUnit bytes" cmp -s "$work/pair.xml" "$work/again.xml"
check "pg1 is a writable primary after the batch" [ "$(q "$p1" 'select pg_is_in_recovery()')" = f ]

# ---- worst wins, --fail-fast, suites ----------------------------------------
TAG=worst run --junit "$work/worst.xml" "$failing" backup-verify
check "failing + passing drill: exit 1 (worst wins)" [ "$rc" -eq 1 ]
check "both drills ran (2 suites, 1 failure)" [ "$(xp "$work/worst.xml" 'count(//testsuite)'):$(xp "$work/worst.xml" 'string(/testsuites/@failures)')" = 2:1 ]
check "store: backup-verify passed in that batch" [ "$(sq "select status from runs where drill_name = 'backup-verify' order by id desc limit 1")" = passed ]
before=$(nruns backup-verify)
TAG=ff run --fail-fast --junit "$work/ff.xml" --format json "$failing" backup-verify
check "--fail-fast: exit 1" [ "$rc" -eq 1 ]
check "--fail-fast: backup-verify never ran" [ "$(nruns backup-verify)" = "$before" ]
check "--fail-fast: JUnit has only the failed drill" [ "$(xp "$work/ff.xml" 'count(//testsuite)')" = 1 ]
check "--fail-fast: JSON lists backup-verify as not run" [ "$(jq_py "$work/ff.out" 'd["not_run"]')" = "['backup-verify']" ]
mkdir "$work/suite"
cp "$failing" "$work/suite/fails.yaml"
printf 'suite: smoke\ndescription: test\nfail_fast: true\ndrills:\n  - ./fails.yaml\n  - backup-verify\n' > "$work/suite/smoke.yaml"
check "drill validate accepts the suite" "$DRILL_BIN" validate "$work/suite/smoke.yaml"
TAG=suite run --suite "$work/suite/smoke.yaml"
check "suite with fail_fast: exit 1, backup-verify not run" [ "$rc:$(nruns backup-verify)" = "1:$before" ]
printf 'suite: bad\ndrills:\n  - no-such-drill\n' > "$work/suite/bad.yaml"
"$DRILL_BIN" validate "$work/suite/bad.yaml" > /dev/null 2> "$work/bad.err"
vrc=$?
check "invalid suite: exit 2" [ "$vrc" -eq 2 ]
check "invalid suite: error at FILE:LINE:COL" grep -q "bad.yaml:3:5: error: no drill" "$work/bad.err"

# ---- colors ---------------------------------------------------------------
# Under a pseudo-terminal (script) auto mode colors; NO_COLOR must turn it off.
tty_run() { script -qec "$1 $DRILL_BIN run --sandbox-dir $sandbox --db $db --progress lines $failing $2" /dev/null; }
tty_run "env -u NO_COLOR" "" > "$work/tty.out"
check "on a terminal, verdicts are colored" grep -q $'\033\\[' "$work/tty.out"
tty_run "env NO_COLOR=1" "" > "$work/nocolor.out"
check "NO_COLOR=1: no ESC byte at all" bash -c "! grep -q $'\\033' '$work/nocolor.out'"
TAG=always run --color always "$failing"
check "--color always (to a file): ESC in stdout and stderr" \
    bash -c "grep -q $'\\033\\[' '$work/always.out' && grep -q $'\\033\\[' '$work/always.err'"
TAG=never run --color never "$failing"
check "--color never: no ESC" bash -c "! grep -q $'\\033' '$work/never.out' '$work/never.err'"

# ---- regression gate -------------------------------------------------------
# Baseline: primary-wipe passed in the batch above; one more run makes 2.
TAG=base run --max-regression 50 --baseline-runs 3 primary-wipe
check "baseline run passes; gate not applied with 1 of 3 runs" [ "$rc" -eq 0 ]
run_id=$(sq "select max(id) from runs where drill_name = 'primary-wipe'")
check "store: rto_regression recorded as not applied (target -1, passed)" \
    [ "$(sq "select target || ':' || passed from objectives where run_id = $run_id and name = 'rto_regression'")" = "-1.0:1" ]
# The same drill (same name) with a 40 s sleep in its recovery, and an RTO
# objective loose enough that only the gate can fail it.
python3 - "$DRILL_SOURCE_DIR/drills/primary-wipe.yaml" "$work/slow.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
s = s.replace("  rto: 30s\n", "  rto: 10m\n", 1)
s = s.replace("recover:\n", "recover:\n  - name: slow operator\n    kind: shell\n    node: backup\n"
              "    timeout: 90s\n    command: sleep 40\n", 1)
open(sys.argv[2], "w").write(s)
PY
TAG=slow run --max-regression 50 --baseline-runs 2 --junit "$work/slow.xml" --html "$work/slow.html" "$work/slow.yaml"
check "slowed recovery trips the regression gate: exit 1" [ "$rc" -eq 1 ]
slow=$(sq "select max(id) from runs where drill_name = 'primary-wipe'")
check "store: RTO objective still met" [ "$(sq "select passed from objectives where run_id = $slow and name = 'rto'")" = 1 ]
check "store: rto_regression failed against the baseline median" \
    [ "$(sq "select passed from objectives where run_id = $slow and name = 'rto_regression' and how like 'baseline median of 2 runs%'")" = 0 ]
check "store: run failed" [ "$(sq "select status from runs where id = $slow")" = failed ]
msg=$(xp "$work/slow.xml" 'string(//testcase[@name="rto_regression"]/failure/@message)')
echo "JUnit: $msg"
check "JUnit failure message names the baseline" grep -q "baseline median of 2 runs" <<<"$msg"
check "HTML shows the baseline" grep -q "baseline median of 2 runs" "$work/slow.html"
check "progress notes the REGRESSION" grep -q "REGRESSION" "$work/slow.err"
check "a regression does not enter the next baseline" \
    [ "$(sq "select count(*) from runs where drill_name = 'primary-wipe' and status = 'passed'")" = 2 ]

# ---- JSON of the other commands --------------------------------------------
"$DRILL_BIN" history --db "$db" --format json > "$work/h.json"
check "history --format json parses, schema_version 1" \
    [ "$(json_ok "$work/h.json" && jq_py "$work/h.json" 'd["schema_version"]')" = 1 ]
check "history JSON carries the batch id" [ "$(jq_py "$work/h.json" 'sorted({r["batch_id"] for r in d["runs"]})[1] > 0')" = True ]
"$DRILL_BIN" list --format json > "$work/l.json"
check "list --format json parses, lists primary-wipe" \
    [ "$(json_ok "$work/l.json" && jq_py "$work/l.json" 'd["schema_version"] == 1 and any(x["name"] == "primary-wipe" and x["valid"] for x in d["drills"])')" = True ]
"$DRILL_BIN" sandbox status --dir "$sandbox" --format json > "$work/s.json"
check "sandbox status --format json parses, schema_version 1" \
    [ "$(json_ok "$work/s.json" && jq_py "$work/s.json" 'd["schema_version"]')" = 1 ]

sandbox_down_checked
finish
