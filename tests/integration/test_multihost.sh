#!/usr/bin/env bash
# Integration: fixtures/multihost.sh, the three-host DR layout in network
# namespaces. After `up`, checked from the client namespace and independently
# of drill: each node's SSH access exactly as the topology states it (strict
# host keys: an empty known_hosts is refused), node2 streaming from node1
# through slot standby_slot (and a row written on node1 replayed on node2),
# Barman's receiver synchronous, `barman check` OK over SSH, postgres on each
# db host reaching Barman with barman-wal-restore -t, barman reaching
# postgres@node1/node2 (barman recover --remote-ssh-command), nothing in the
# real users' homes or the root namespace's network. drill: `validate` of the
# topology, and a dry run of backup-verify (reported; a drill that names
# sandbox nodes is not this test's failure). Then `down`, and nothing is
# left: no namespace, no process, no /etc/netns entry, no directory.
# Prints the up and down times ("measure:" lines).
CHECK_LIB_NAME=multihost . "$(dirname "${BASH_SOURCE[0]}")/multihost-lib.sh"
homes_before=$(ls -d /var/lib/postgresql/.ssh /var/lib/barman/.ssh 2>/dev/null)
multihost_up
check "status: up (exit 0)" quiet "$mh" status --dir "$dir"

# --- the topology, read back without drill (multihost-lib.sh) ------------------
check "topology classic3 lists node1, node2, barman" \
    [ "$(cut -d' ' -f1 "$work/nodes" | tr '\n' ' ')" = "node1 node2 barman " ]
: > "$work/empty_known_hosts"
refused() { ! ssh_as "$1" "$work/empty_known_hosts" -- true > /dev/null 2>&1; }
for n in node1 node2 barman; do
    want=$(awk -v n="$n" '$1 == n { print $4 }' "$work/nodes")
    check "ssh to $n ($(addr "$n")) as $want with the drill key and strict host keys" \
        [ "$(ssh_as "$n" -- id -un 2>&1)" = "$want" ]
    check "ssh to $n with an empty known_hosts is refused (strict host keys)" refused "$n"
done
check "exec runs in the client namespace (10.231.7.10)" \
    bash -c '"$1" exec --dir "$2" -- ip -4 -o addr show eth0 | grep -q "inet 10.231.7.10/24"' _ "$mh" "$dir"
check "the root namespace has no 10.231.7.0/24 address" bash -c '! ip -4 -o addr | grep -q " 10\.231\.7\."'

# --- replication ---------------------------------------------------------------
check "node2 streams from node1 through standby_slot (slot active, pg_stat_replication from $(addr node2))" \
    [ "$(sql node1 "$STANDBY_STREAMS_SQL and host(r.client_addr) = '$(addr node2)'")" = "t|streaming" ]
check "node2 is in recovery with primary_slot_name standby_slot" \
    [ "$(sql node2 "select pg_is_in_recovery() || ' ' || current_setting('primary_slot_name')")" = "true standby_slot" ]
check "Barman's receiver is the synchronous standby of node1 through barman_slot" \
    [ "$(sql node1 "$BARMAN_SYNC_SQL")" = sync ]
sql node1 "create table mh_probe as select 4242 as v" > /dev/null
replayed=
for _ in $(seq 1 100); do
    [ "$(sql node2 "select v from mh_probe")" = 4242 ] && { replayed=1; break; }
    sleep 0.1
done
check "a row written on node1 is replayed on node2" [ -n "$replayed" ]

# --- Barman and the hosts' own keys ------------------------------------------------
conf=$(barman_conf)
check "barman check main-db OK (as barman on bkp, over ssh)" quiet ssh_as barman -- barman -c "$conf" check main-db
for n in node1 node2; do
    out=$(ssh_as "$n" -- barman-wal-restore -U barman -c "$conf" -t "$(addr barman)" main-db DUMMY DUMMY 2>&1)
    check "postgres on $n reaches barman@bkp: barman-wal-restore -t ($out)" \
        grep -q "Ready to retrieve WAL files from the server main-db" <<< "$out"
    check "barman on bkp reaches postgres@$n with its own key (barman recover --remote-ssh-command)" \
        [ "$(ssh_as barman -- ssh -p 22 -o BatchMode=yes "postgres@$(addr "$n")" id -un 2>&1)" = postgres ]
done
check "the drill key is not what the hosts use: barman's own key differs" \
    [ "$(cut -d' ' -f2 "$dir/ctl/id_ed25519.pub")" != "$(cut -d' ' -f2 "$dir/hosts/bkp/home/barman/.ssh/id_ed25519.pub")" ]
check "nothing written into the real homes (~postgres/.ssh, ~barman/.ssh)" \
    [ "$(ls -d /var/lib/postgresql/.ssh /var/lib/barman/.ssh 2>/dev/null)" = "$homes_before" ]

# --- drill ------------------------------------------------------------------------
check "drill validate accepts the topology" quiet "$DRILL_BIN" validate "$topo"
in_ctl "$DRILL_BIN" run --dry-run backup-verify -t "$topo" --db "$work/drill.db" > "$work/dry.out" 2>&1
rc=$?
echo "note: drill run --dry-run backup-verify from ctl: exit $rc"
grep -E '^  (ok|FAIL|skip) ' "$work/dry.out" | sed 's/^/note:   /'
if [ "$rc" -ne 2 ]; then   # 2: the drill does not fit this topology (reported above, not judged)
    for n in node1 node2; do
        check "dry run: $n reachable from ctl over the network" grep -q "^  ok    node $n .*reachable" "$work/dry.out"
    done
fi

# --- down: nothing left --------------------------------------------------------------
pids=()
for ns in sw ctl node1 node2 bkp; do mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$prefix$ns"); done
check "the namespaces hold the instance's processes (${#pids[@]})" [ "${#pids[@]}" -ge 6 ]
t0=${EPOCHREALTIME/./}
"$mh" down --dir "$dir" 2> "$work/down.err"
rc=$?
down_ms=$(ms_since "$t0")
cat "$work/down.err"
check "down exits 0 (got $rc)" [ "$rc" -eq 0 ]
left=()
for p in "${pids[@]}"; do if pid_alive "$p"; then left+=("$p"); fi; done
check "no process of the instance is left (${left[*]:-none})" [ "${#left[@]}" -eq 0 ]
naming=()
for f in /proc/[0-9]*/cmdline; do
    c=$(tr '\0' ' ' < "$f" 2> /dev/null) || continue
    case $c in *"$dir/"*) p=${f#/proc/}; naming+=("${p%/cmdline}") ;; esac
done
check "no process names the instance directory (${naming[*]:-none})" [ "${#naming[@]}" -eq 0 ]
check "no namespace $prefix* is left" bash -c '! ip netns list | grep -q "^$1"' _ "$prefix"
check "no /etc/netns/$prefix* entry is left" bash -c '! ls -d /etc/netns/"$1"* 2>/dev/null | grep -q .' _ "$prefix"
check "the instance directory is removed" [ ! -e "$dir" ]
rc=0; "$mh" status --dir "$dir" > /dev/null || rc=$?
check "status after down: exit 3 (got $rc)" [ "$rc" -eq 3 ]
echo "measure: multihost up ${up_ms} ms, down ${down_ms} ms"
finish
