#!/usr/bin/env bash
# Integration: files nobody else can redirect (issue 17), through `drill run`.
#  * the run lock directory ($XDG_RUNTIME_DIR/drill) is made 0700;
#  * a symlink at the lock file, a symlink as the lock directory, a lock
#    directory writable by others, or (as root) one owned by another user:
#    the run is refused before any step (exit 3) with an error naming the
#    path, and the file the symlink points at keeps its content and size;
#  * symlinks planted at the report files' temporary names (PATH.tmp.PID,
#    the pid known in advance by exec-ing drill from the shell that planted
#    them): the reports are written anyway, nothing is written through them.
# No server is involved: the drill's one step runs locally on the "backup" node.
CHECK_LIB_NAME=filesafety . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
: "${DRILL_TEST_DATA:?}"
topo=$DRILL_TEST_DATA/valid/topology-sandbox.yaml
locks=$XDG_RUNTIME_DIR/drill
cat > "$work/d.yaml" <<'YAML'
name: file-safety
preflight:
  - name: marks that it ran
    kind: shell
    node: backup
    command: touch "$DRILL_MARK"
YAML
umask 022   # the report mode check below expects 0644
victim=$work/victim
printf 'precious: must survive\n' > "$victim"
victim_sum=$(sha256sum < "$victim")

# run_drill [ARG...]: one run of the drill, its output in $work/out, its exit
# status in $rc; $work/ran exists when its step ran.
run_drill() {
    rm -f "$work/ran"
    DRILL_MARK=$work/ran "$DRILL_BIN" run -t "$topo" --db "$work/d.db" "$@" "$work/d.yaml" \
        > "$work/out" 2>&1
    rc=$?
}
# untouched FILE: FILE still holds the victim's content (same size, same sha256).
untouched() {
    [ "$(stat -c %s "$1")" -eq 23 ] && [ "$(sha256sum < "$1")" = "$victim_sum" ]
}
# refused WHAT MESSAGE: the run was refused with exit 3 and MESSAGE, no step ran.
refused() {
    cat "$work/out"
    check "$1: exit 3 (got $rc)" [ "$rc" -eq 3 ]
    check "$1: the error names the path and why" grep -qF -- "drill run: error: $2" "$work/out"
    check "$1: no step ran" [ ! -e "$work/ran" ]
}

# ---- a fresh lock directory: made private ----
run_drill
check "a first run passes (exit 0, got $rc)" [ "$rc" -eq 0 ]
check "the lock directory is made 0700" [ "$(stat -c %a "$locks")" = 700 ]
lock=$(echo "$locks"/target-*.lock)
check "the lock file is there" [ -f "$lock" ]
name=${lock##*/}

# ---- a symlink at the lock file (the reported attack) ----
rm -f "$lock"
ln -s "$victim" "$lock"
run_drill
refused "symlink at the lock file" "lock file $lock is a symbolic link"
check "symlink at the lock file: its target is untouched" untouched "$victim"
check "symlink at the lock file: left in place" [ -L "$lock" ]
rm -f "$lock"

# ---- the lock directory a symlink (to a private directory holding a file at
#      the lock's name: following it would truncate that file) ----
mkdir -m 700 "$work/elsewhere"
cp "$victim" "$work/elsewhere/$name"
rm -rf "$locks"
ln -s "$work/elsewhere" "$locks"
run_drill
refused "lock directory a symlink" "lock directory $locks is a symbolic link"
check "lock directory a symlink: the file behind it is untouched" untouched "$work/elsewhere/$name"
rm -f "$locks"

# ---- the lock directory writable by others ----
mkdir "$locks"
chmod 777 "$locks"
run_drill
refused "lock directory mode 0777" "lock directory $locks is writable by other users (mode 0777)"
rmdir "$locks"

# ---- the lock directory owned by another user (needs root to make one) ----
if [ "$(id -u)" -eq 0 ]; then
    mkdir -m 700 "$locks"
    chown nobody "$locks"
    run_drill
    refused "lock directory owned by nobody" \
        "lock directory $locks is owned by uid $(id -u nobody), not you (uid 0): another user may have planted it"
    check "owned by nobody: nothing was created in it" [ -z "$(ls -A "$locks")" ]
    rmdir "$locks"
else
    skip_part "a lock directory owned by another user (needs root to chown one to nobody)"
fi

# ---- symlinks at the reports' temporary names ----
out=$work/reports
mkdir "$out"
rm -f "$work/ran"
# The shell plants the links at NAME.tmp.$$, then becomes drill: same pid.
DRILL_MARK=$work/ran bash -c 'for f in out.html out.xml SHA256SUMS; do
        ln -s "$1" "$2/$f.tmp.$$" || exit 99
    done
    exec "$3" run -t "$4" --db "$5" --html "$2/out.html" --junit "$2/out.xml" "$6"' \
    _ "$victim" "$out" "$DRILL_BIN" "$topo" "$work/d.db" "$work/d.yaml" > "$work/out" 2>&1
rc=$?
cat "$work/out"
check "planted report temp links: the run passes (exit 0, got $rc)" [ "$rc" -eq 0 ]
check "planted report temp links: their target is untouched" untouched "$victim"
# temp_names: what is left at temporary names in $out: 3 symlinks, nothing else.
temp_names() { find "$out" -name '*.tmp.*' -printf '%y\n' | sort | uniq -c | tr -s ' '; }
check "planted report temp links: they are still symlinks, nothing else left behind" \
    [ "$(temp_names)" = " 3 l" ]
check "planted report temp links: the HTML report is a real file with the run" \
    grep -q 'file-safety' "$out/out.html"
check "planted report temp links: the JUnit report too" grep -q '<testsuite' "$out/out.xml"
check "planted report temp links: SHA256SUMS lists both" \
    [ ! -L "$out/SHA256SUMS" -a "$(grep -c ' out\.\(html\|xml\)$' "$out/SHA256SUMS")" -eq 2 ]
check "planted report temp links: the reports are 0644 (umask 022)" \
    [ "$(stat -c %a "$out/out.html" "$out/out.xml" | sort -u)" = 644 ]

finish
