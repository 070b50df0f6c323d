#!/usr/bin/env bash
# The CLI surface without servers: help texts teach, shipped drills validate
# (alone and against the sandbox topology), bad input gets exit 2 with a
# FILE:LINE:COL diagnostic, dry runs print commands and touch nothing.
CHECK_LIB_NAME=cli . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
: "${DRILL_SOURCE_DIR:?}" "${DRILL_TEST_DATA:?}"
topo=$DRILL_TEST_DATA/valid/topology-sandbox.yaml
unset DRILL_OBJECTIVES   # the objectives checks below start from the drill file

"$DRILL_BIN" --help > "$work/help"; check "drill --help exits 0" [ $? -eq 0 ]
for cmd in run validate list history report verify sandbox; do
    check "--help lists $cmd" grep -q "^  $cmd " "$work/help"
    "$DRILL_BIN" "$cmd" --help > /dev/null; check "drill $cmd --help exits 0" [ $? -eq 0 ]
done
check "--help documents exit status 3" grep -q "^  3 " "$work/help"
"$DRILL_BIN" validate --help > "$work/vhelp"
check "validate --help lists every step kind" grep -q "barman_recover" "$work/vhelp"
check "validate --help teaches durations" grep -q "500ms" "$work/vhelp"

"$DRILL_BIN" validate "$DRILL_SOURCE_DIR"/drills/*.yaml > "$work/v.out" 2>&1
check "shipped drills validate" [ $? -eq 0 ]
pgbr_topo=$DRILL_TEST_DATA/valid/topology-pgbackrest.yaml
barman_drills=() pgbr_drills=()
for f in "$DRILL_SOURCE_DIR"/drills/*.yaml; do
    case $f in *-pgbackrest.yaml) pgbr_drills+=("$f") ;; *) barman_drills+=("$f") ;; esac
done
check "three pgBackRest drills are shipped" [ "${#pgbr_drills[@]}" -eq 3 ]
"$DRILL_BIN" validate -t "$topo" "${barman_drills[@]}" > "$work/v.out" 2>&1
check "shipped Barman drills validate against the sandbox topology" [ $? -eq 0 ]
cat "$work/v.out"
"$DRILL_BIN" validate -t "$pgbr_topo" "${pgbr_drills[@]}" > "$work/v.out" 2>&1
check "shipped pgBackRest drills validate against a pgBackRest topology" [ $? -eq 0 ]
cat "$work/v.out"
# The wrong variant for the topology's backup tool: refused, with the way out.
"$DRILL_BIN" validate -t "$pgbr_topo" "$DRILL_SOURCE_DIR/drills/primary-wipe.yaml" > "$work/v.out" 2>&1
check "a Barman drill on a pgBackRest topology exits 2" [ $? -eq 2 ]
check "... naming the -pgbackrest variant" grep -q "backs up with pgBackRest: run the drill's -pgbackrest variant" "$work/v.out"
"$DRILL_BIN" validate -t "$topo" "$DRILL_SOURCE_DIR/drills/primary-wipe-pgbackrest.yaml" > "$work/v.out" 2>&1
check "a pgBackRest drill on a Barman topology exits 2" [ $? -eq 2 ]
check "... naming the Barman version" grep -q "backs up with Barman: run the drill's Barman version" "$work/v.out"
# The pgBackRest commands a dry run shows: restore on the primary's host
# with the backup node's configuration and stanza, point-in-time flags.
"$DRILL_BIN" run --dry-run -t "$pgbr_topo" pitr-drop-pgbackrest > "$work/plan-pgbr" 2>&1
check "pgBackRest dry run shows the PITR restore on the primary's host" grep -q "on db-a as postgres: pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=billing --log-level-console=info --pg1-path=/var/lib/postgresql/15/main restore --type=lsn '--target=\${capture.before_drop}' --target-exclusive --target-action=promote" "$work/plan-pgbr"

printf 'name: bad\nfault:\n  - kind: pg_stop\n    node: primary\n    timout: 5s\n' > "$work/bad.yaml"
"$DRILL_BIN" validate "$work/bad.yaml" 2> "$work/bad.err"
check "invalid drill exits 2" [ $? -eq 2 ]
check "diagnostic has FILE:LINE:COL" grep -q "bad.yaml:5:5: error:" "$work/bad.err"
check "diagnostic has a hint" grep -q "timeout" "$work/bad.err"

# No server here: the plan is printed, then the checks cannot run (exit 3).
"$DRILL_BIN" run --dry-run -t "$topo" primary-wipe > "$work/plan" 2>&1
check "dry run without servers exits 3" [ $? -eq 3 ]
check "dry run says its checks could not run" grep -q "^dry run: the checks could not run" "$work/plan"
check "dry run shows the barman recover command" grep -q "barman -c .* recover --no-get-wal" "$work/plan"
check "dry run shows the rollback's recover command" grep -q "barman -c .* recover --get-wal" "$work/plan"
check "dry run marks destructive steps" grep -q DESTRUCTIVE "$work/plan"
# process_kill: destructive, its exact command shown, refused without consent.
"$DRILL_BIN" run --dry-run -t "$topo" sync-standby-lost > "$work/plan-kill" 2>&1
check "dry run marks process_kill destructive" grep -Eq "kill Barman's WAL receiver +backup .*DESTRUCTIVE" "$work/plan-kill"
check "... and shows its pgrep pattern and signal" \
    grep -qF "kill -s KILL \$pids" "$work/plan-kill"
check "... scoped to the backup node's server and slot" \
    grep -qF "'[p]g_receivewal .*--directory=[^ ]*/pg1/streaming .*--slot=barman( |\$)'" "$work/plan-kill"
sed 's/^allow_destructive: true/allow_destructive: false/' "$topo" > "$work/no-consent.yaml"
"$DRILL_BIN" run -t "$work/no-consent.yaml" --db "$work/consent.db" sync-standby-lost > "$work/consent.out" 2>&1
check "without allow_destructive or --yes sync-standby-lost is refused (exit 3)" [ $? -eq 3 ]
check "... naming the destructive step" grep -q "kill Barman's WAL receiver" "$work/consent.out"

# Objectives: the drill file's, overridden by the topology (for every drill,
# then per drill), $DRILL_OBJECTIVES and --objective, most specific last; the
# plan says where each target came from.
objective_line() { "$DRILL_BIN" run --dry-run -t "$work/otopo.yaml" primary-wipe "$@" 2>&1 | grep '^objectives:'; }
{ cat "$topo"; printf 'objectives:\n  rto: 5m\ndrill_objectives:\n  primary-wipe: {rto: 2m, rpo: none}\n'; } > "$work/otopo.yaml"
check "plan shows the drill file's objectives" \
    grep -q '^objectives: rto 30s (drill file), rpo 0 (drill file), rpo_transactions 0 tx (drill file)$' "$work/plan"
check "topology drill_objectives beat topology objectives and the drill file" \
    [ "$(objective_line)" = "objectives: rto 2m (topology drill_objectives), rpo none (topology drill_objectives), rpo_transactions 0 tx (drill file)" ]
check "\$DRILL_OBJECTIVES beats the topology" \
    [ "$(DRILL_OBJECTIVES=rto=3m,rpo=1s objective_line)" = "objectives: rto 3m (\$DRILL_OBJECTIVES), rpo 1s (\$DRILL_OBJECTIVES), rpo_transactions 0 tx (drill file)" ]
check "--objective beats \$DRILL_OBJECTIVES (last one given wins)" \
    [ "$(DRILL_OBJECTIVES=rto=3m objective_line --objective rto=1h --objective rto=10m --objective rpo_transactions=none)" = "objectives: rto 10m (--objective), rpo none (topology drill_objectives), rpo_transactions none (--objective)" ]
"$DRILL_BIN" run --dry-run -t "$topo" --objective rto=30 primary-wipe > /dev/null 2> "$work/obj.err"
check "a bad --objective value exits 2" [ $? -eq 2 ]
check "  ... saying what to write" grep -q 'invalid duration "30" for rto: write a number with a unit' "$work/obj.err"
DRILL_OBJECTIVES=rtt=1s "$DRILL_BIN" run --dry-run -t "$topo" primary-wipe > /dev/null 2> "$work/obj.err"
check "a bad \$DRILL_OBJECTIVES exits 2" [ $? -eq 2 ]
check "  ... naming the variable and the objective" grep -q 'DRILL_OBJECTIVES: unknown objective "rtt"' "$work/obj.err"
check "run --help teaches objectives" bash -c '"$0" run --help | grep -q -- "--objective NAME=VALUE"' "$DRILL_BIN"

"$DRILL_BIN" run -t "$topo" no-such-drill 2> "$work/nd.err"
check "unknown drill exits 2" [ $? -eq 2 ]
"$DRILL_BIN" frobnicate 2> /dev/null; check "unknown command exits 2" [ $? -eq 2 ]
# A forgiving command line: did-you-mean, help everywhere, one line per mistake.
# exited RC FILE PATTERN: the command exited RC and FILE has a line matching PATTERN.
exited() { [ "$rc" -eq "$1" ] && grep -q -- "$3" "$2"; }
# one_error FILE: exactly one "drill ...:" error line in FILE.
one_error() { [ "$(grep -c '^drill' "$1")" -eq 1 ]; }
"$DRILL_BIN" hisotry 2> "$work/dym.err"; rc=$?
check "a mistyped command exits 2 and suggests the right one" \
    exited 2 "$work/dym.err" 'did you mean `drill history`'
"$DRILL_BIN" run -t "$topo" primary-wpe 2> "$work/dymd.err"; rc=$?
check "a mistyped drill name exits 2 and suggests the right one" \
    exited 2 "$work/dymd.err" 'did you mean `primary-wipe`?'
"$DRILL_BIN" help run > "$work/help-run.out"; rc=$?
check "drill help run prints run's own help (exit 0)" exited 0 "$work/help-run.out" '^usage: drill run'
for sub in up down status; do
    "$DRILL_BIN" sandbox "$sub" --help > "$work/sb-help.out"; rc=$?
    check "drill sandbox $sub --help prints the sandbox help (exit 0)" \
        exited 0 "$work/sb-help.out" '^usage: drill sandbox'
done
"$DRILL_BIN" history --dbb "$work/x.db" > /dev/null 2> "$work/opt.err"; rc=$?
check "a mistyped option exits 2 and suggests the right one" \
    exited 2 "$work/opt.err" '^drill history: unknown option --dbb (did you mean --db?)$'
check "... in one error line" one_error "$work/opt.err"
"$DRILL_BIN" validate --topology 2> "$work/opt2.err"; rc=$?
check "a missing option value is named" \
    exited 2 "$work/opt2.err" '^drill validate: option --topology needs a value$'
check "... in one error line" one_error "$work/opt2.err"
"$DRILL_BIN" run --dry-run --format json -t "$topo" primary-wipe > "$work/dryjson.out" 2> "$work/dryjson.err"; rc=$?
check "run --dry-run --format json, no server up: exit 3 as in text" [ "$rc" -eq 3 ]
"$DRILL_BIN" run --dry-run -t "$topo" primary-wipe > "$work/drytext.out" 2>&1
check "... stdout is one JSON document: the text plan's steps, verdict error, exit_code 3" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["dry_runs"][0]; sys.exit(0 if d["command"] == "run" and d["dry_run"] and r["verdict"] == "error" and d["exit_code"] == 3 and len(r["steps"]) == int(sys.argv[2]) else 1)' \
    "$work/dryjson.out" "$(grep -cE '^ +[0-9]+\. ' "$work/drytext.out")"
"$DRILL_BIN" list --json > "$work/list.json"; rc=$?
check "list --json prints the drills as JSON (exit 0)" \
    python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["drills"] and sys.argv[2] == "0" else 1)' "$work/list.json" "$rc"
"$DRILL_BIN" list > "$work/list"; check "list shows primary-wipe" grep -q primary-wipe "$work/list"
"$DRILL_BIN" history --db "$work/h.db" > /dev/null 2> "$work/h.err"
check "history on a store that does not exist exits 3" [ $? -eq 3 ]
check "... naming the path" grep -q "no store at $work/h.db: " "$work/h.err"
check "... and the default" grep -q "(default: .*drill.db)" "$work/h.err"
check "... and creates none" [ ! -e "$work/h.db" ]
: > "$work/h.db"
"$DRILL_BIN" history --db "$work/h.db" > /dev/null; check "history on an empty store exits 0" [ $? -eq 0 ]
"$DRILL_BIN" report --db "$work/h.db" --html "$work/x.html" 42 2> "$work/r.err"
check "report of a missing run exits 2" [ $? -eq 2 ]

# SIGTERM: the running command is stopped, the rest is skipped, cleanup runs, exit 143.
"$DRILL_BIN" run -t "$topo" --db "$work/sig.db" --progress lines \
    "$DRILL_TEST_DATA/valid/drill-interruptible.yaml" > "$work/sig.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "long wait: started" "$work/sig.out" && break; sleep 0.05; done
kill -TERM "$pid"; wait "$pid"; rc=$?
check "SIGTERM ends the run with 143" [ "$rc" -eq 143 ]
check "run recorded as aborted" [ "$(sqlite3 "$work/sig.db" "select status from runs")" = aborted ]
check "the running command was stopped" [ "$(sqlite3 "$work/sig.db" "select status from steps where name = 'long wait'")" = error ]
check "fault step skipped" [ "$(sqlite3 "$work/sig.db" "select status from steps where name = 'event fault'")" = skipped ]
check "cleanup still ran" [ "$(sqlite3 "$work/sig.db" "select status from steps where name = 'cleanup runs'")" = ok ]

# A second SIGINT during cleanup stops the cleanup step and skips the rest,
# with a warning; a first SIGINT only skips to cleanup (exit 130).
"$DRILL_BIN" run -t "$topo" --db "$work/sig2.db" --progress lines \
    "$DRILL_TEST_DATA/valid/drill-cleanup-interrupt.yaml" > "$work/sig2.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "long wait: started" "$work/sig2.out" && break; sleep 0.05; done
kill -INT "$pid"
for _ in $(seq 100); do grep -q "slow cleanup started" "$work/sig2.out" && break; sleep 0.05; done
kill -INT "$pid"; wait "$pid"; rc=$?
step2() { sqlite3 "$work/sig2.db" "select status from steps where name = '$1'"; }
check "two SIGINTs end the run with 130" [ "$rc" -eq 130 ]
check "run recorded as aborted" [ "$(sqlite3 "$work/sig2.db" "select status from runs")" = aborted ]
check "the cleanup command was stopped" [ "$(step2 'slow cleanup')" = error ]
check "the rest of the cleanup was skipped" [ "$(step2 'later cleanup')" = skipped ]
check "a warning says cleanup was abandoned" grep -q "WARNING: second signal 2 during cleanup" "$work/sig2.out"
check "the abandonment is stored as an event" \
    [ "$(sqlite3 "$work/sig2.db" "select count(*) from events where name = 'stopped_at_once'")" = 1 ]

finish
