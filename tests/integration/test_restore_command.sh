#!/usr/bin/env bash
# Integration: the restore_command barman_recover writes for the recovered
# node survives hostile values. Barman's configuration path holds a space,
# `;`, a quote, a backslash and `%f`; the server name a space. For both
# layouts — Barman on another host (barman-wal-restore over SSH) and on the
# target's own host (barman get-wal) — the line drill would write (taken from
# a dry run) is read by the real PostgreSQL 15 configuration parser
# (`postgres -C restore_command`), expanded the way PostgreSQL expands %f/%p/%%,
# and run by /bin/sh with a stand-in barman that records its arguments: each
# value must arrive as exactly one argument, unchanged, and nothing else runs.
CHECK_LIB_NAME=restorecmd . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
PG_BIN=/usr/lib/postgresql/15/bin
require postgresql "run fixtures/setup.sh" [ -x "$PG_BIN/postgres" ]
require python3 "apt-get install python3" bash -c "command -v python3 > /dev/null"

conf="/srv/my barman;touch $work/PWNED;/it's a \\back 100%f.conf"
server="main db"
conf_yaml=${conf//"'"/"''"}   # a YAML single-quoted scalar
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# topology FILE REMOTE: Barman on its own host (REMOTE=1) or on the primary's.
topology() {
    local bk_host=127.0.0.11
    [ "$2" -eq 1 ] || bk_host=127.0.0.9
    cat > "$1" <<EOF
name: hostile
nodes:
  - name: db1
    role: primary
    access: ssh
    ssh: {host: 127.0.0.9, port: 1, user: postgres}
    conninfo: "host=127.0.0.9 port=1 user=postgres dbname=postgres connect_timeout=2"
    data_directory: /srv/pg/main
  - name: db2
    role: standby
    access: ssh
    ssh: {host: 127.0.0.10, port: 1, user: postgres}
    conninfo: "host=127.0.0.10 port=1 user=postgres dbname=postgres connect_timeout=2"
    data_directory: /srv/pg/main
  - name: bk
    role: backup
    access: ssh
    ssh: {host: $bk_host, port: 2203, user: barman}
    os_user: barman
    barman_config: '$conf_yaml'
    barman_server: "$server"
EOF
}

# The restore_command line of the dry run's barman_recover step (the last
# argument of the command that writes it), as PostgreSQL reads it back.
# primary-wipe-getwal: its recovery fetches WAL through the restore_command
# (primary-wipe stages the WAL and writes Barman's own `cp barman_wal/%f %p`).
parsed_restore_command() {  # parsed_restore_command TOPOLOGY
    "$DRILL_BIN" run --dry-run -t "$1" "$DRILL_SOURCE_DIR/drills/primary-wipe-getwal.yaml" > "$work/dry.out" 2>&1
    local d=$work/pgdata
    rm -rf "$d"; mkdir -m 700 "$d"
    : > "$d/postgresql.conf"; echo 15 > "$d/PG_VERSION"
    python3 - "$work/dry.out" > "$d/postgresql.auto.conf" <<'PY'
import shlex, sys
for line in open(sys.argv[1]):
    if "drill-recovery-conf" in line:
        print(shlex.split(line.split(" user: ", 1)[1])[-1])
        break
PY
    [ "$(id -u)" -ne 0 ] || chown -R postgres "$d"
    as_pg "$PG_BIN/postgres" -D "$d" -C restore_command
}

# PostgreSQL's expansion of %f, %p and %% (xlogarchive.c), then /bin/sh runs it.
run_as_postgres_would() {  # run_as_postgres_would COMMAND
    local cmd
    cmd=$(python3 -c '
import sys
s, out, i = sys.argv[1], "", 0
while i < len(s):
    if s[i] == "%" and i + 1 < len(s):
        out += {"f": "000000010000000000000007", "p": "pg_wal/RECOVERYXLOG", "%": "%"}.get(s[i + 1], "%" + s[i + 1])
        i += 2
    else:
        out += s[i]; i += 1
print(out)' "$1")
    (cd "$work/run" && PATH="$work/bin:$PATH" /bin/sh -c "$cmd")
}

mkdir -p "$work/bin" "$work/run/pg_wal"
for tool in barman barman-wal-restore; do
    printf '#!/bin/sh\nprintf "%%s\\n" "$0" "$@" > "%s/args"\nprintf "%%s\\n" "$@"\n' "$work" > "$work/bin/$tool"
    chmod 755 "$work/bin/$tool"
done

# --- Barman on its own host: barman-wal-restore over SSH -----------------------
topology "$work/remote.yaml" 1
line=$(parsed_restore_command "$work/remote.yaml")
rc=$?
check "PostgreSQL parses the written restore_command (exit $rc): $line" [ "$rc" -eq 0 ]
run_as_postgres_would "$line" > /dev/null
expected=$(printf '%s\n' "$work/bin/barman-wal-restore" -U barman --port=2203 -c "$conf" -P 127.0.0.11 \
    "$server" 000000010000000000000007 pg_wal/RECOVERYXLOG)
check "barman-wal-restore gets each value as one argument, unchanged" \
    [ "$(cat "$work/args" 2>/dev/null)" = "$expected" ]
check "nothing in the values ran" [ ! -e "$work/PWNED" ]

# --- Barman on the target's host: barman get-wal, output into %p ----------------
rm -f "$work/args"
topology "$work/local.yaml" 0
line=$(parsed_restore_command "$work/local.yaml")
rc=$?
check "PostgreSQL parses the local restore_command (exit $rc): $line" [ "$rc" -eq 0 ]
run_as_postgres_would "$line" > /dev/null
expected=$(printf '%s\n' "$work/bin/barman" -c "$conf" get-wal -P "$server" 000000010000000000000007)
check "barman get-wal gets each value as one argument, unchanged" \
    [ "$(cat "$work/args" 2>/dev/null)" = "$expected" ]
check "its output goes to %p" [ -s "$work/run/pg_wal/RECOVERYXLOG" ]
check "nothing in the values ran" [ ! -e "$work/PWNED" ]
finish
