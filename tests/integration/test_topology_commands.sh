#!/usr/bin/env bash
# Integration: the commands drill builds for clusters that are not laid out
# like its sandbox, read from a dry run (nothing runs; no server is needed):
# a Debian-style primary whose postgresql.conf lives outside PGDATA
# (config_directory: pg_ctl -D that directory, pg_rewind --config-file) and a
# standby managed by pg_ctlcluster, whose stop_command receives the stop mode
# each step asks for through {mode}.
CHECK_LIB_NAME=topocmds . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
cat > "$work/topo.yaml" <<'EOF'
name: debian
nodes:
  - name: main
    role: primary
    conninfo: "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=2"
    data_directory: /var/lib/postgresql/15/main
    config_directory: /etc/postgresql/15/main
  - name: replica
    role: standby
    conninfo: "host=127.0.0.1 port=2 user=postgres dbname=postgres connect_timeout=2"
    data_directory: /var/lib/postgresql/15/replica
    start_command: [pg_ctlcluster, "15", replica, start]
    stop_command: [pg_ctlcluster, "15", replica, stop, --, -m, "{mode}"]
  - name: backup
    role: backup
    barman_config: /etc/barman.conf
    barman_server: main
EOF
cat > "$work/modes.yaml" <<'EOF'
name: modes
fault:
  - kind: pg_stop
    node: standby
    mode: immediate
  - kind: pg_stop
    node: standby
    mode: fast
  - kind: pg_stop
    node: primary
    mode: immediate
  - kind: pg_start
    node: primary
  - kind: pg_start
    node: standby
  - kind: rewind
    node: primary
    source: standby
EOF
"$DRILL_BIN" run --dry-run -t "$work/topo.yaml" --db "$work/d.db" "$work/modes.yaml" > "$work/dry" 2>&1
cat "$work/dry"
# shows N LINE: the dry run shows LINE (whole, trimmed) under step N.
shows() {
    awk -v n="$1." '$1 == n { s = 1; next } /^ +[0-9]+\. / { s = 0 } s' "$work/dry" \
        | sed 's/^ *//' | grep -qxF -- "$2"
}
bin=/usr/lib/postgresql/15/bin
check "stop_command gets {mode} = immediate" shows 1 "pg_ctlcluster 15 replica stop -- -m immediate"
check "... and fast" shows 2 "pg_ctlcluster 15 replica stop -- -m fast"
check "config_directory: pg_ctl -D it to stop" \
    shows 3 "$bin/pg_ctl -D /etc/postgresql/15/main -m immediate -w -t 60 stop"
check "... and to start" \
    shows 4 "$bin/pg_ctl -D /etc/postgresql/15/main -l /var/lib/postgresql/15/main.log -W start"
check "start_command as given" shows 5 "pg_ctlcluster 15 replica start"
check "pg_rewind rewinds the data directory with the configuration's postgresql.conf" \
    grep -qF -- "$bin/pg_rewind -D /var/lib/postgresql/15/main '--source-server=host=127.0.0.1 port=2 user=postgres dbname=postgres connect_timeout=2' --config-file=/etc/postgresql/15/main/postgresql.conf -R" "$work/dry"
finish
