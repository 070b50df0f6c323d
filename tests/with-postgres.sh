#!/usr/bin/env bash
# with-postgres.sh — runs a program against a throwaway PostgreSQL 15 server.
#
#   bash tests/with-postgres.sh PROG [ARGS...]
#
# Creates a temp dir, initdb's a cluster in it, starts it on 127.0.0.1 at a free
# port (socket dir inside the temp dir), exports
#   DRILL_TEST_CONNINFO  "host=127.0.0.1 port=P user=postgres dbname=postgres"
#   DRILL_TEST_PGDATA    the data directory
#   DRILL_TEST_PGBIN     the directory of pg_ctl, initdb, postgres
#   DRILL_TEST_PGLOG     the server log file
#   DRILL_TEST_TMPDIR    the temp dir (scratch space, owned by postgres when root;
#                        servers a test starts in TMPDIR/NAME are stopped too)
# runs PROG, then stops the server and removes the dir (also on failure or a
# signal) and exits with PROG's status.
#
# As root the server runs as the unprivileged `postgres` user (files chowned).
# Missing PostgreSQL binaries: exit 77 (ctest SKIP_RETURN_CODE), or 1 under CI=true
# (tests/test-lib.sh: missing_status; DRILL_TEST_PRETEND_MISSING=postgresql too).
#
# Sourcing the file (DRILL_WITH_POSTGRES_LIB=1) only defines the functions, so a
# test script can start several servers: pgw_init_cluster DIR; pgw_start DIR PORT;
# pgw_stop DIR; free_port (test-lib.sh) gives a PORT.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/test-lib.sh"

PGW_BIN=${DRILL_PGBIN:-}
PGW_DIRS=()
PGW_CHILD=

pgw_find_bin() {
    local d
    ! pretend_missing postgresql || return 1
    for d in "$PGW_BIN" /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null || true)"; do
        if [[ -n $d && -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then
            PGW_BIN=$d
            return 0
        fi
    done
    return 1
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses root).
pgw_as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pgw_init_cluster() {
    local dir=$1
    mkdir -p "$dir/sock"
    if [[ $(id -u) -eq 0 ]]; then
        chown -R postgres: "$dir"
    fi
    pgw_as_pg "$PGW_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
    }
}

pgw_start() {
    local dir=$1 port=$2
    cat >>"$dir/data/postgresql.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_log_hints = on
EOF
    pgw_as_pg "$PGW_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
        cat "$dir/server.log" >&2 || true
        return 1
    }
}

# Stops every server whose data directory lies directly inside dir: the main
# one and any a test started there itself (a standby in $DRILL_TEST_TMPDIR/NAME).
pgw_stop() {
    local dir=$1 pid
    for pid in "$dir"/*/postmaster.pid; do
        [[ -f $pid ]] || continue
        pgw_as_pg "$PGW_BIN/pg_ctl" -D "${pid%/postmaster.pid}" -m immediate -w -t 30 stop \
            >/dev/null 2>&1 || true
    done
}

pgw_cleanup() {
    local d
    if [[ -n $PGW_CHILD ]]; then
        kill -TERM "$PGW_CHILD" 2>/dev/null || true
        wait "$PGW_CHILD" 2>/dev/null || true
    fi
    for d in "${PGW_DIRS[@]}"; do
        pgw_stop "$d"
        rm -rf "$d"
    done
    PGW_DIRS=()
}

pgw_main() {
    if [[ $# -lt 1 ]]; then
        echo "usage: with-postgres.sh PROG [ARGS...]" >&2
        return 2
    fi
    if ! pgw_find_bin; then
        missing_status "with-postgres: PostgreSQL binaries (initdb, pg_ctl, postgres) not found (install postgresql-15 or set DRILL_PGBIN)" || return $?
    fi
    local dir port attempt
    dir=$(mktemp -d "${TMPDIR:-/tmp}/drill-pg.XXXXXX") || return 1
    PGW_DIRS+=("$dir")
    chmod 755 "$dir" || return 1
    # errexit is off inside a function called from `||`: check each step.
    pgw_init_cluster "$dir" || return 1
    cp "$dir/data/postgresql.conf" "$dir/postgresql.conf.orig" || return 1
    for attempt in 1 2 3; do
        port=$(free_port) || return 1
        cp "$dir/postgresql.conf.orig" "$dir/data/postgresql.conf" || return 1
        if pgw_start "$dir" "$port"; then
            break
        fi
        [[ $attempt -lt 3 ]] || { echo "with-postgres: server did not start" >&2; return 1; }
    done
    export DRILL_TEST_CONNINFO="host=127.0.0.1 port=$port user=postgres dbname=postgres"
    export DRILL_TEST_PGDATA="$dir/data" DRILL_TEST_PGBIN="$PGW_BIN"
    export DRILL_TEST_PGLOG="$dir/server.log" DRILL_TEST_TMPDIR="$dir"
    local status=0
    # In the background so that a signal interrupts `wait` at once (bash runs
    # traps only after a foreground child ends); the trap then ends the child.
    "$@" &
    PGW_CHILD=$!
    wait "$PGW_CHILD" || status=$?
    PGW_CHILD=
    if [[ $status -ne 0 ]]; then
        echo "with-postgres: $1 exited with $status; last server log lines:" >&2
        tail -n 20 "$dir/server.log" >&2 || true
    fi
    return "$status"
}

if [[ ${BASH_SOURCE[0]} == "$0" && -z ${DRILL_WITH_POSTGRES_LIB:-} ]]; then
    trap pgw_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    status=0
    pgw_main "$@" || status=$?
    exit "$status"
fi
