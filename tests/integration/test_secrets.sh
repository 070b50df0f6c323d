#!/usr/bin/env bash
# Integration: secrets never appear in anything drill writes — the store
# file, the JUnit and HTML reports, the progress output, the JSON — even
# when commands print them. Marker secrets come from PGPASSWORD and a .pgpass
# file (PGPASSFILE, one line ending in CRLF); others are known to nobody and
# given away only by their form (drill-secrets.yaml: PGPASSWORD="..." and
# '...', SQL PASSWORD '...', password = ..., JSON "password": "...", a
# primary_conninfo quoting one with '' or \', a percent-encoded URI key),
# printed by a command and written in the text of one. A topology whose
# conninfo holds a password (keyword form, percent-encoded URI key) is refused
# without echoing it. Every marker contains S3cret, so one search finds any
# that leaked, whole or in part.
CHECK_LIB_NAME=secrets . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
: "${DRILL_TEST_DATA:?}"

env_secret="S3cretEnv-$$-marker"
pgpass_secret="S3cretPgpass-$$-marker"
crlf_secret="S3cretCrlf-$$-marker"
conninfo_secret="S3cretConn-$$-marker"
# A .pgpass edited on Windows: libpq's password has no \r, so must not ours.
printf '127.0.0.1:*:*:postgres:%s\n127.0.0.2:*:*:postgres:%s\r\n' \
    "$pgpass_secret" "$crlf_secret" > "$work/pgpass"
chmod 600 "$work/pgpass"

# refused NAME CONNINFO: validate refuses the sandbox topology with CONNINFO
# as its primary's, exit 2, saying where a password belongs, not echoing it.
refused() {
    sed "0,/conninfo: .*/s||conninfo: \"$2\"|" "$DRILL_TEST_DATA/valid/topology-sandbox.yaml" \
        > "$work/topology-$1.yaml"
    check "$1: the topology carries the conninfo marker" grep -q "$conninfo_secret" "$work/topology-$1.yaml"
    "$DRILL_BIN" validate -t "$work/topology-$1.yaml" "$DRILL_TEST_DATA/valid/drill-secrets.yaml" \
        > "$work/refused-$1.out" 2>&1
    check "$1: a password in a conninfo is refused (exit 2)" [ $? -eq 2 ]
    check "$1: the refusal says where the password belongs" grep -q 'pgpass' "$work/refused-$1.out"
}
refused keyword "host=127.0.0.1 port=54321 user=postgres dbname=postgres password=$conninfo_secret"
refused encoded-key "postgresql://postgres@127.0.0.1:54321/postgres?pass%77ord=$conninfo_secret"

PGPASSWORD=$env_secret PGPASSFILE=$work/pgpass "$DRILL_BIN" run \
    -t "$DRILL_TEST_DATA/valid/topology-sandbox.yaml" \
    --db "$work/d.db" --progress lines --junit "$work/out/r.xml" --html "$work/out/r.html" \
    --format json "$DRILL_TEST_DATA/valid/drill-secrets.yaml" > "$work/stdout" 2> "$work/stderr"
check "the drill ran and failed in preflight as written (exit 3)" [ $? -eq 3 ]
check "a cleanup step's message was cut inside the secret's mask" \
    grep -q '(expected 0): 0\{233\}\*\{6\}$' \
    <(sqlite3 "$work/d.db" "select message from steps where name like 'fail with a secret at the cut%'")
# The dry run prints the plan: every command as it would run.
PGPASSWORD=$env_secret PGPASSFILE=$work/pgpass "$DRILL_BIN" run --dry-run \
    -t "$DRILL_TEST_DATA/valid/topology-sandbox.yaml" "$DRILL_TEST_DATA/valid/drill-secrets.yaml" \
    > "$work/dryrun.out" 2>&1
check "the dry run printed the plan's commands, forms masked" \
    grep -qF "ALTER ROLE a PASSWORD ********; password = ********" "$work/dryrun.out"
check "the commands did print the secrets (the store has masked lines)" \
    [ "$(sqlite3 "$work/d.db" "select count(*) from steps where out like '%********%'")" -ge 1 ]

for f in "$work/d.db" "$work/d.db-wal" "$work/out/r.xml" "$work/out/r.html" "$work/stdout" \
         "$work/stderr" "$work/dryrun.out" "$work"/refused-*.out; do
    [ -e "$f" ] || continue
    leaked=$(grep -a -o '[A-Za-z]*S3cret[A-Za-z0-9-]*' "$f" | sort -u | paste -sd' ')
    check "$(basename "$f") contains no secret${leaked:+ (leaked: $leaked)}" [ -z "$leaked" ]
done

# What the forms became: the whole value masked, the rest kept. The failing
# command's text is in its message as `/bin/sh -c '...'`, each ' as '\''.
mask='********'
forms="PGPASSWORD=$mask PGPASSWORD=$mask ALTER ROLE a PASSWORD $mask; password = $mask"
forms+=" {\"PGPASSWORD\": $mask} primary_conninfo = 'password=$mask user=y'"
forms+=" postgresql://h/db?pass%77ord=$mask"
forms_quoted=$(printf '%s' "$forms" | sed "s/'/'\\\\''/g")
variants="create user u with password $mask; password = $mask {\"password\": $mask}"
variants+=" postgresql://h/db?x=1&%70assword=$mask primary_conninfo = 'host=x password=$mask user=y'"
# step COLUMN WORD: COLUMN of the step whose name starts with WORD.
step() { sqlite3 "$work/d.db" "select $1 from steps where name like '$2 %'"; }
check "the store has the printed forms masked" [ "$(step out fail)" = "$forms" ]
check "the store has the printed variants masked" grep -qxF -- "$variants" <(step out print)
check "the store has the command's forms masked" grep -qxF -- "$forms_quoted" <(step command fail)
check "the store has the SQL step's text masked" \
    [ "$(step command set)" = "SQL: ALTER ROLE drill_no_such_role WITH PASSWORD $mask" ]
check "the stored drill source has the forms masked" \
    grep -qF -- "$forms" <(sqlite3 "$work/d.db" "select drill_source from runs")
check "the .pgpass passwords are masked as libpq reads them (CRLF)" \
    grep -qxF "as libpq reads them (no CR): $mask $mask" <(step out print)
check "the JSON message has the command's forms masked" \
    grep -qxF -- "$forms_quoted" <(jq -r '.runs[0].message' "$work/stdout")
check "the progress output has the command's forms masked" grep -qxF -- "$forms_quoted" "$work/stderr"
for f in "$work/out/r.xml" "$work/out/r.html"; do
    check "$(basename "$f") shows the forms masked" \
        grep -q 'ALTER ROLE a PASSWORD \*\{8\}; password = \*\{8\}.*pass%77ord=\*\{8\}' "$f"
done
check "the URI form is masked" \
    [ "$(sqlite3 "$work/d.db" "select count(*) from steps where out like '%postgresql://app:********@%'")" -eq 1 ]
check "the progress output shows the masked message" grep -q 'password=\*\*\*\*\*\*\*\*' "$work/stderr"

finish
