#!/usr/bin/env bash
# Integration: evidence integrity, end to end through the CLI.
#  * every finished run is sealed into a hash chain; `drill verify` passes on
#    an untouched store and prints the chain head the HTML report shows;
#  * tampering with any part of a stored run (a step's output, a fact, a
#    measurement, the run row), deleting a sealed run, editing a link or
#    slipping in an unsealed run is caught: exit 1, naming the run;
#  * report files are listed in SHA256SUMS (sha256sum -c accepts it) and
#    recorded in the store; a modified file is caught by both checks;
#  * `drill report RUN` re-renders byte-identical files;
#  * who ran it (--operator, --change-ref, OS user, CI) is recorded.
CHECK_LIB_NAME=evidence . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
: "${DRILL_TEST_DATA:?}"
db=$work/d.db
sq() { sqlite3 "$1" "$2"; }

run() {  # run OUTDIR [DB]
    "$DRILL_BIN" run -t "$DRILL_TEST_DATA/valid/topology-sandbox.yaml" --db "${2:-$db}" \
        --progress quiet --operator "Ada O'Brien" --change-ref "CHG-42" \
        --junit "$1/h.xml" --html "$1/h.html" "$DRILL_TEST_DATA/valid/drill-hostile.yaml" \
        > /dev/null 2>&1
}
run "$work/a"; run "$work/b"; run "$work/b"

"$DRILL_BIN" verify --db "$db" > "$work/v.out"
check "verify passes on an untouched store" [ $? -eq 0 ]
cat "$work/v.out"
check "three runs sealed" grep -q '3 sealed runs, chain intact up to run 3' "$work/v.out"
head=$(sed -n 's/^  chain head: //p' "$work/v.out")
check "the HTML report of the newest run shows the chain head" grep -q "$head" "$work/b/h.html"
check "JUnit carries the chain hash" grep -q "name=\"chain_sha256\" value=\"$head\"" "$work/b/h.xml"
check "operator recorded" [ "$(sq "$db" "select value from facts where run_id = 3 and key = 'who.operator'")" = "Ada O'Brien" ]
check "change reference recorded" [ "$(sq "$db" "select value from facts where run_id = 3 and key = 'who.change_ref'")" = CHG-42 ]
check "OS user recorded" [ "$(sq "$db" "select value from facts where run_id = 3 and key = 'who.os_user'")" = "$(id -un)" ]

tamper() {  # tamper WHAT EXPECTED_RUN SQL
    cp "$db" "$work/t.db"
    sq "$work/t.db" "$3"
    "$DRILL_BIN" verify --db "$work/t.db" > "$work/t.out" 2>&1
    local rc=$? named=1
    grep -q "FAILED at run $2:" "$work/t.out" && named=0
    check "tampering caught: $1 (exit $rc, run $2 named)" [ "$rc" -eq 1 -a "$named" -eq 0 ]
}
tamper "a step's output" 1 "update steps set out = 'all good' where run_id = 1 and seq = 0"
tamper "a fact" 2 "update facts set value = 'mallory' where run_id = 2 and key = 'who.os_user'"
tamper "the verdict" 2 "update runs set status = 'passed', exit_code = 0 where id = 2"
tamper "an event time" 1 "update events set utc_ms = utc_ms - 1000 where run_id = 1"
tamper "a measurement added" 3 "insert into measures (run_id, key, value, unit, how) values (3, 'rto_ms', 1, 'ms', 'x')"
tamper "a sealed run deleted" 2 "delete from runs where id = 2"
tamper "a link edited" 2 "update evidence set record_sha256 = chain_sha256 where run_id = 2"
tamper "an unsealed finished run" 4 "insert into runs (drill_name, status, started_ms) values ('forged', 'passed', 1)"
"$DRILL_BIN" verify --db "$db" 2 > /dev/null
check "verify RUN checks the chain up to that run" [ $? -eq 0 ]
"$DRILL_BIN" verify --db "$db" 99 > /dev/null
check "verify of a run not in the chain exits 1" [ $? -eq 1 ]

# Manifests and report files.
check "SHA256SUMS lists both files" [ "$(wc -l < "$work/b/SHA256SUMS")" -eq 2 ]
(cd "$work/b" && sha256sum --quiet -c SHA256SUMS)
check "sha256sum -c accepts the manifest" [ $? -eq 0 ]
"$DRILL_BIN" verify --manifest "$work/b/SHA256SUMS" > /dev/null
check "drill verify --manifest passes" [ $? -eq 0 ]
cp "$work/b/h.html" "$work/orig.html"
printf '<!-- edited -->' >> "$work/b/h.html"
# exited_saying RC WANT FILE PATTERN: RC is WANT and FILE contains PATTERN.
exited_saying() { [ "$1" -eq "$2" ] && grep -q -- "$4" "$3"; }
"$DRILL_BIN" verify --manifest "$work/b/SHA256SUMS" > "$work/m.out"; rc=$?
check "a modified report fails the manifest check" exited_saying $rc 1 "$work/m.out" 'h.html: FAILED'
"$DRILL_BIN" verify --db "$db" > "$work/f.out"; rc=$?
check "a modified report file fails drill verify" exited_saying $rc 1 "$work/f.out" 'was modified'
"$DRILL_BIN" report --db "$db" --junit "$work/r/h.xml" --html "$work/r/h.html" 3
check "drill report re-renders" [ $? -eq 0 ]
check "re-rendered HTML is byte-identical to what drill run wrote" cmp -s "$work/orig.html" "$work/r/h.html"
check "re-rendered JUnit is byte-identical" cmp -s "$work/b/h.xml" "$work/r/h.xml"
"$DRILL_BIN" verify --manifest "$work/nope/SHA256SUMS" 2> /dev/null
check "a missing manifest exits 3" [ $? -eq 3 ]
printf 'not a manifest\n' > "$work/bad.sums"
"$DRILL_BIN" verify --manifest "$work/bad.sums" 2> "$work/bad.err"; rc=$?
check "a malformed manifest exits 2 and names the line" exited_saying $rc 2 "$work/bad.err" 'bad.sums:1:'

# The anchor outside the store. Every report printed the chain head; a
# store rewritten afterwards with every hash recomputed verifies on its own
# (nothing inside it is left to compare), but no longer holds that head.
check "JSON of a run carries the chain hash" \
    sh -c '"$1" run -t "$2" --db "$3" --progress quiet --format json "$4" 2>/dev/null | grep -q "\"chain_sha256\": *\"[0-9a-f]\{64\}\""' _ \
    "$DRILL_BIN" "$DRILL_TEST_DATA/valid/topology-sandbox.yaml" "$work/j.db" "$DRILL_TEST_DATA/valid/drill-hostile.yaml"
"$DRILL_BIN" verify --db "$db" --expect-head "$head" > "$work/e.out"; rc=$?
check "verify --expect-head passes on the store the report came from" \
    exited_saying $rc 1 "$work/e.out" 'expected head: link 3 (run 3)'   # 1: h.html was edited above
"$DRILL_BIN" verify --db "$db" --expect-head "not-a-hash" 2> /dev/null
check "verify --expect-head with a malformed hash exits 2" [ $? -eq 2 ]
cp "$db" "$work/rw.db"
# The rewrite: run 1's output forged, every link dropped, every run marked
# `running` under a lock nobody holds; the next drill run reaps and re-seals
# them all with drill's own algorithm.
sq "$work/rw.db" "update steps set out = 'all good' where run_id = 1; delete from evidence;
                  delete from artifacts; update runs set status = 'running', lock_path = '$work/no-such-lock'"
run "$work/c" "$work/rw.db"
"$DRILL_BIN" verify --db "$work/rw.db" > "$work/rw.out"; rc=$?
check "the rewritten store verifies on its own (hashes recomputed)" \
    exited_saying $rc 0 "$work/rw.out" 'chain intact'
"$DRILL_BIN" verify --db "$work/rw.db" --expect-head "$head" > "$work/rw2.out"; rc=$?
check "... but verify --expect-head with the archived head fails: exit 1" \
    exited_saying $rc 1 "$work/rw2.out" "expected chain head $head is not in this store"
# An altered run is never re-rendered as if sealed.
cp "$db" "$work/alt.db"
sq "$work/alt.db" "update steps set out = 'all good' where run_id = 2 and seq = 0"
"$DRILL_BIN" report --db "$work/alt.db" --html "$work/alt.html" 3 2> "$work/alt.err"; rc=$?
check "drill report of a run after an altered one exits 1 and says why" \
    exited_saying $rc 1 "$work/alt.err" 'REFUSED: the store was altered after sealing: run 2'
check "... and writes nothing" [ ! -e "$work/alt.html" ]
"$DRILL_BIN" report --db "$work/alt.db" --html "$work/alt1.html" 1
check "a run before the altered one still renders" [ $? -eq 0 -a -s "$work/alt1.html" ]

finish
