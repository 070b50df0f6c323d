#!/usr/bin/env bash
# Integration: `drill store copy FROM TO` on stores drill itself wrote — no
# server needed: an audit of a topology whose nodes do not answer is stored
# and sealed like any run. Checked with sqlite3 and drill verify, not with
# the copy's own report: every sealed run of FROM is in TO once (same UUID,
# same rows, new ids, FROM's order), TO's evidence chain verifies with the
# copies re-sealed and their origin inside the sealed record, the fleet
# overview of TO shows both targets, a second copy changes nothing, an
# altered FROM is refused whole (TO not even created), and a copied record
# edited afterwards is caught by drill verify on TO.
CHECK_LIB_NAME=storecopy . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
require sqlite3 "apt-get install sqlite3" command -v sqlite3

a=$work/a.db b=$work/b.db
# A topology per target, its primary on a loopback port nothing listens on.
for t in alpha beta; do
    cat > "$work/$t.yaml" <<T
name: $t
nodes:
  - {name: pg1, role: primary, conninfo: "host=127.0.0.1 port=9 user=x dbname=x connect_timeout=2", data_directory: /nonexistent}
T
done
audit() { "$DRILL_BIN" audit -t "$work/$1.yaml" --db "$2" > /dev/null 2>&1; }
audit alpha "$a"; audit alpha "$a"; audit beta "$b"
sqa() { sqlite3 "$a" "$1"; }
sqb() { sqlite3 "$b" "$1"; }
check "FROM holds two sealed runs, TO one" [ "$(sqa 'select count(*) from evidence')/$(sqb 'select count(*) from evidence')" = 2/1 ]

"$DRILL_BIN" store copy "$a" "$b" > "$work/copy.out" 2>&1
rc=$?
cat "$work/copy.out"
check "copy exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "TO holds 3 runs" [ "$(sqb 'select count(*) from runs')" -eq 3 ]
check "the copies keep their UUIDs, in FROM's order, with TO's next ids" \
    [ "$(sqb 'select group_concat(uuid) from (select uuid from runs where id > 1 order by id)')" = "$(sqa 'select group_concat(uuid) from (select uuid from runs order by id)')" ]
check "every row of every copy is there (steps, measures, facts + 2)" \
    [ "$(sqb "select count(*) from steps where run_id > 1")/$(sqb "select count(*) from measures where run_id > 1")/$(sqb "select count(*) from facts where run_id > 1")" \
      = "$(sqa 'select count(*) from steps')/$(sqa 'select count(*) from measures')/$(( $(sqa 'select count(*) from facts') + 4 ))" ]
check "the origin is recorded: copied.from = FROM#1 for the first copy" \
    [ "$(sqb "select value from facts where run_id = 2 and key = 'copied.from'")" = "$(realpath "$a")#1" ]
check "... and its chain hash in FROM" \
    [ "$(sqb "select value from facts where run_id = 2 and key = 'copied.chain_sha256'")" = "$(sqa 'select chain_sha256 from evidence where run_id = 1')" ]
"$DRILL_BIN" verify --db "$b" > "$work/v.out" 2>&1
rc=$?
check "TO's chain verifies with the copies re-sealed: drill verify exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "TO's chain has 3 links" [ "$(sqb 'select count(*) from evidence')" -eq 3 ]
"$DRILL_BIN" fleet --db "$b" > "$work/fleet.out" 2>&1
check "the fleet overview of TO shows both targets" \
    [ "$(awk '$2 == "audit" {print $1}' "$work/fleet.out" | sort | tr '\n' ' ')" = "alpha beta " ]

# The schedule of a target: alpha must pass audit every hour and
# primary-wipe every 7 days (never run there: a row of its own, stale).
printf 'rehearse_every: {audit: 1h, primary-wipe: 7d}\n' >> "$work/alpha.yaml"
"$DRILL_BIN" fleet --db "$b" -t "$work/alpha.yaml" --format json > "$work/sched.json"
rc=$?
check "fleet with alpha's schedule exits 1 (a scheduled drill never ran; got $rc)" [ "$rc" -eq 1 ]
check "... alpha/primary-wipe: stale, never run, 7d" \
    [ "$(python3 -c 'import json,sys
e = [e for e in json.load(open(sys.argv[1]))["entries"] if e["target"] == "alpha" and e["drill"] == "primary-wipe"][0]
print(e["verdict"], e["runs"], e["last_run_id"], e["schedule_ms"], e["why"])' "$work/sched.json")" \
      = "stale 0 None 604800000 never run on this target (to pass every 7d)" ]
check "... alpha/audit: failed, its newest audit found critical risks (pg1 unreachable)" \
    grep -qE "^failed audit #[0-9]+: [0-9]+ critical finding" <(python3 -c 'import json,sys
print(*[e["verdict"] + " " + e["why"] for e in json.load(open(sys.argv[1]))["entries"] if e["target"] == "alpha" and e["drill"] == "audit"])' "$work/sched.json")
check "... the document is valid against the schema" \
    /usr/bin/python3 "$DRILL_SOURCE_DIR/tests/integration/json-validate.py" \
    "$DRILL_SOURCE_DIR/engine/dist/schema/drill-output.schema.json" fleet "$work/sched.json"

"$DRILL_BIN" store copy "$a" "$b" --format json > "$work/again.json"
check "a second copy copies nothing and skips both" \
    [ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["copied"], d["skipped_present"])' "$work/again.json")" = "0 2" ]
check "... TO unchanged" [ "$(sqb 'select count(*) from runs')" -eq 3 ]

# An altered FROM is refused whole, before TO is created.
sqa "update measures set value = value + 1 where id = (select min(id) from measures)"
"$DRILL_BIN" store copy "$a" "$work/new.db" > "$work/bad.out" 2>&1
rc=$?
check "an altered FROM: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "... naming the altered run" grep -q "run 1: its stored record was altered" "$work/bad.out"
check "... and TO was not created" [ ! -e "$work/new.db" ]
check "the same store as FROM and TO is a usage error" \
    bash -c '"$1" store copy "$2" "$2" > /dev/null 2>&1; [ $? -eq 2 ]' _ "$DRILL_BIN" "$b"

# A copy edited in TO afterwards is caught there, like any sealed run.
sqb "update facts set value = 'elsewhere#1' where run_id = 2 and key = 'copied.from'"
"$DRILL_BIN" verify --db "$b" > "$work/verify.out" 2>&1
rc=$?
check "an edited copy: drill verify on TO exits 1 (got $rc)" [ "$rc" -eq 1 ]
finish
