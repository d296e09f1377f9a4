#!/usr/bin/env bash
# After a test run: what the run left behind. RUN_ID is the value of TASKMASTER_TEST_RUN the run had in its
# environment (every process a test starts inherits it: daemons, their programs, tmux servers, detached daemons);
# TMPDIR_OF_RUN is the TMPDIR the run had. Lists live processes carrying the marker (after up to 10 s for late
# exits) and kills them, lists taskmaster-test-* directories left in TMPDIR_OF_RUN, prints one `FAILED:` line each,
# then removes TMPDIR_OF_RUN. Exits with the number of leaks (0: none).
# Usage: scripts/test-leaks.sh RUN_ID [TMPDIR_OF_RUN]
set -uo pipefail
run=${1:?run id}
tmp=${2:-}
marker="TASKMASTER_TEST_RUN=$run"

marked() {
    local d pid
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        # Zombies have an empty environ; unreadable or vanished entries are skipped.
        if { tr '\0' '\n' <"$d/environ"; } 2>/dev/null | grep -qxF "$marker"; then echo "$pid"; fi
    done
}

leaks=0
for _ in $(seq 100); do
    pids=$(marked)
    [ -z "$pids" ] && break
    sleep 0.1
done
for pid in $pids; do
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)
    echo "FAILED: process left behind by the tests: pid $pid: $cmd"
    kill -9 "$pid" 2>/dev/null
    leaks=$((leaks + 1))
done
if [ -n "$tmp" ] && [ -d "$tmp" ]; then
    for dir in "$tmp"/taskmaster-test-*; do
        [ -e "$dir" ] || continue
        echo "FAILED: temporary directory left behind by the tests: $dir ($(find "$dir" | head -5 | tr '\n' ' '))"
        leaks=$((leaks + 1))
    done
    rm -rf "$tmp"
fi
exit $leaks
