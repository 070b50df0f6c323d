# lib.sh — helpers shared by tests/bench/run.sh and plain-primary-wipe.sh:
# reading the sandbox's topology and talking to its servers with psql.

# port_of SANDBOX_DIR NODE — the node's port, from the sandbox's topology.yaml.
port_of() {
    awk -v n="$2" '$0 ~ "- name: " n "$" {f=1}
        f && /conninfo:/ {match($0, /port=[0-9]+/); print substr($0, RSTART+5, RLENGTH-5); exit}' \
        "$1/topology.yaml"
}

# q PORT SQL — one query on 127.0.0.1:PORT as postgres, unaligned, no header.
q() { psql -XAtq -d "host=127.0.0.1 port=$1 user=postgres dbname=postgres connect_timeout=2" -c "$2" 2>/dev/null; }
