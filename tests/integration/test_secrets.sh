#!/usr/bin/env bash
# Integration: secrets never appear in anything drill writes — the store
# file, the JUnit and HTML reports, the progress output, the summary — even
# when commands print them. Marker secrets come from PGPASSWORD and a .pgpass
# file (PGPASSFILE); a topology whose conninfo holds a password is refused
# without echoing it.
CHECK_LIB_NAME=secrets . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
: "${DRILL_TEST_DATA:?}"

env_secret="EnvS3cret-$$-marker"
pgpass_secret="PgpassS3cret-$$-marker"
conninfo_secret="ConnS3cret-$$-marker"
printf '127.0.0.1:*:*:postgres:%s\n' "$pgpass_secret" > "$work/pgpass"
chmod 600 "$work/pgpass"
sed "s|user=postgres dbname=postgres\"|user=postgres dbname=postgres password=$conninfo_secret\"|" \
    "$DRILL_TEST_DATA/valid/topology-sandbox.yaml" > "$work/topology.yaml"
check "the topology carries the conninfo marker" grep -q "$conninfo_secret" "$work/topology.yaml"
"$DRILL_BIN" validate -t "$work/topology.yaml" "$DRILL_TEST_DATA/valid/drill-secrets.yaml" \
    > "$work/refused.out" 2>&1
check "a password in a conninfo is refused (exit 2)" [ $? -eq 2 ]
check "the refusal says where the password belongs" grep -q 'pgpass' "$work/refused.out"
check "the refusal does not echo the password" [ "$(grep -c -- "$conninfo_secret" "$work/refused.out")" -eq 0 ]

PGPASSWORD=$env_secret PGPASSFILE=$work/pgpass "$DRILL_BIN" run \
    -t "$DRILL_TEST_DATA/valid/topology-sandbox.yaml" \
    --db "$work/d.db" --progress lines --junit "$work/out/r.xml" --html "$work/out/r.html" \
    "$DRILL_TEST_DATA/valid/drill-secrets.yaml" > "$work/stdout" 2> "$work/stderr"
check "the drill ran and failed in preflight as written (exit 3)" [ $? -eq 3 ]
check "the commands did print the secrets (the store has masked lines)" \
    [ "$(sqlite3 "$work/d.db" "select count(*) from steps where out like '%********%'")" -ge 1 ]

for f in "$work/d.db" "$work/d.db-wal" "$work/out/r.xml" "$work/out/r.html" "$work/stdout" "$work/stderr" "$work/refused.out"; do
    [ -e "$f" ] || continue
    for s in "$env_secret" "$pgpass_secret" "$conninfo_secret"; do
        check "$(basename "$f") does not contain ${s%%-*}" [ "$(grep -c -a -- "$s" "$f")" -eq 0 ]
    done
done
check "the URI form is masked" \
    [ "$(sqlite3 "$work/d.db" "select count(*) from steps where out like '%postgresql://app:********@%'")" -eq 1 ]
check "the progress output shows the masked message" grep -q 'password=\*\*\*\*\*\*\*\*' "$work/stderr"

finish
