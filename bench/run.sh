#!/usr/bin/env bash
# Benchmarks, run by `make bench`. Not timed tests: they print figures and ratios against baselines measured on the
# same machine at the same time. Each benchmark is a function `section_*`; add yours to SECTIONS at the bottom.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
BENCH_BIN="$ROOT/out/bench"
# Where the log benchmark and dd write: one directory, so both meet the same file system.
BENCH_DIR=${TASKMASTER_BENCH_DIR:-/tmp/taskmaster-bench}
SPAWNS=${BENCH_SPAWNS:-2000}
LOG_MIB=${BENCH_LOG_MIB:-1024}
REPEAT=${BENCH_REPEAT:-3}
mkdir -p "$BENCH_BIN" "$BENCH_DIR"

header() { printf '\n== %s ==\n' "$*"; }
# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# value of key=value in a line
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "nan"; else printf "%.2f", a / b }'; }

build_process_bench() {
    [ -x "$BENCH_BIN/Taskmaster.Bench" ] && [ "$BENCH_BIN/Taskmaster.Bench" -nt bench/Taskmaster.Bench/Program.cs ] && return
    dotnet build bench/Taskmaster.Bench -c Release -o "$BENCH_BIN" --nologo -v quiet >/dev/null
    gcc -O2 -o "$BENCH_BIN/spawn_loop" bench/spawn_loop.c
    gcc -O2 -o "$BENCH_BIN/line_writer" bench/line_writer.c
}

section_process_spawn() {
    build_process_bench
    header "process layer: spawn and reap /bin/true ($SPAWNS times, median of $REPEAT; $(nproc) cores)"
    local c=() ours=() umask=() user=()
    for _ in $(seq "$REPEAT"); do
        c+=("$("$BENCH_BIN/spawn_loop" "$SPAWNS" | sed -n 's/.*: \([0-9.]*\) ms\/spawn/\1/p')")
        ours+=("$("$BENCH_BIN/Taskmaster.Bench" spawn "$SPAWNS" | field spawn_ms)")
        umask+=("$("$BENCH_BIN/Taskmaster.Bench" spawn "$SPAWNS" umask | field spawn_ms)")
        if [ "$(id -u)" = 0 ]; then user+=("$("$BENCH_BIN/Taskmaster.Bench" spawn "$SPAWNS" user | field spawn_ms)"); fi
    done
    local mc mo mu
    mc=$(printf '%s\n' "${c[@]}" | median)
    mo=$(printf '%s\n' "${ours[@]}" | median)
    mu=$(printf '%s\n' "${umask[@]}" | median)
    printf '%-46s %8.3f ms/spawn\n' "plain posix_spawn + waitpid loop (C)" "$mc"
    printf '%-46s %8.3f ms/spawn   ours/plain %s (target <= 2)\n' "PosixSpawner (pidfd + epoll reaping)" "$mo" "$(ratio "$mo" "$mc")"
    printf '%-46s %8.3f ms/spawn   ours/plain %s\n' "PosixSpawner with umask 022" "$mu" "$(ratio "$mu" "$mc")"
    if [ ${#user[@]} -gt 0 ]; then
        local mn; mn=$(printf '%s\n' "${user[@]}" | median)
        printf '%-46s %8.3f ms/spawn   ours/plain %s\n' "PosixSpawner with user nobody + umask" "$mn" "$(ratio "$mn" "$mc")"
    fi
}

# One log run: prints "mb_per_s cpu_s_per_gb lines_lost"
run_ours() {
    local sync=$1
    rm -f "$BENCH_DIR/bench.log"; sync
    "$BENCH_BIN/Taskmaster.Bench" log "$BENCH_BIN/line_writer" "$LOG_MIB" "$BENCH_DIR" $sync |
        awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } print v["mb_per_s"], v["cpu_s_per_gb"], v["lines_lost"] }'
}
# dd baseline: "zero" reads /dev/zero (what the file system takes), "pipe" reads the same line writer through a pipe
# (the same work as ours: drain a pipe into a file). Prints "mb_per_s cpu_s_per_gb 0" (dd's own CPU only).
run_dd() {
    local sync=$1 source=$2 conv="" out
    [ "$sync" = sync ] && conv="conv=fdatasync"
    rm -f "$BENCH_DIR/dd.out"; sync
    if [ "$source" = zero ]; then
        out=$( { /usr/bin/time -f 'cpu %U %S' dd if=/dev/zero of="$BENCH_DIR/dd.out" bs=1M count="$LOG_MIB" $conv; } 2>&1 )
    else
        out=$( { "$BENCH_BIN/line_writer" "$LOG_MIB" | /usr/bin/time -f 'cpu %U %S' dd of="$BENCH_DIR/dd.out" bs=1M iflag=fullblock $conv; } 2>&1 )
    fi
    rm -f "$BENCH_DIR/dd.out"
    echo "$out" | awk -v mib="$LOG_MIB" '/copied/ { bytes = $1; for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) secs = $(i - 1) }
        /^cpu / { cpu = $2 + $3 } END { printf "%.1f %.3f 0\n", bytes / 1e6 / secs, cpu / (mib * 1048576 / 1e9) }'
}

# Virtual machines often back guest memory lazily: the first write to a never-used page costs a host fault, and a 1 GiB
# log run then pays for fresh page-cache pages (measured here: 4x the CPU per GB, alternating between runs; even
# tmpfs took only 365 MB/s cold). Touch 3x the run size once through /dev/shm so dd and we both meet warm memory.
prefault_memory() {
    local mib=$((LOG_MIB * 3)) avail
    avail=$(df -m --output=avail /dev/shm 2>/dev/null | tail -1 | tr -d ' ')
    [ -n "$avail" ] && [ "$avail" -gt "$mib" ] || return 0
    dd if=/dev/zero of=/dev/shm/taskmaster-bench-prefault bs=1M count="$mib" status=none || true
    rm -f /dev/shm/taskmaster-bench-prefault
}

section_process_log() {
    build_process_bench
    prefault_memory
    for mode in sync cache; do
        local label="to disk: fdatasync before the clock stops"
        [ $mode = cache ] && label="page cache only: no sync (dd from /dev/zero is a memory-speed upper bound here)"
        header "process layer: log throughput, $LOG_MIB MiB of numbered lines into $BENCH_DIR ($label; median of $REPEAT)"
        local ours=() dd=() ddp=()
        for _ in $(seq "$REPEAT"); do
            dd+=("$(run_dd $mode zero)")
            ddp+=("$(run_dd $mode pipe)")
            ours+=("$(run_ours $mode)")
        done
        local dmb dcpu pmb pcpu omb ocpu lost
        dmb=$(printf '%s\n' "${dd[@]}" | awk '{print $1}' | median)
        dcpu=$(printf '%s\n' "${dd[@]}" | awk '{print $2}' | median)
        pmb=$(printf '%s\n' "${ddp[@]}" | awk '{print $1}' | median)
        pcpu=$(printf '%s\n' "${ddp[@]}" | awk '{print $2}' | median)
        omb=$(printf '%s\n' "${ours[@]}" | awk '{print $1}' | median)
        ocpu=$(printf '%s\n' "${ours[@]}" | awk '{print $2}' | median)
        lost=$(printf '%s\n' "${ours[@]}" | awk '{ s += $3 } END { print s + 0 }')
        printf '%-46s %8.1f MB/s   %6.3f CPU-s/GB (dd itself)\n' "dd if=/dev/zero bs=1M" "$dmb" "$dcpu"
        printf '%-46s %8.1f MB/s   %6.3f CPU-s/GB (dd itself)\n' "line writer | dd bs=1M (same pipe work)" "$pmb" "$pcpu"
        printf '%-46s %8.1f MB/s   %6.3f CPU-s/GB (daemon; target <= 0.5)\n' \
            "line writer -> pipe -> PosixSpawner -> file" "$omb" "$ocpu"
        printf '%-46s ours/dd-zero %s, ours/dd-pipe %s (target >= 0.90)\n' "throughput ratio" \
            "$(ratio "$omb" "$dmb")" "$(ratio "$omb" "$pmb")"
        printf '%-46s %8s\n' "lines lost over $REPEAT runs (target 0)" "$lost"
    done
    rm -f "$BENCH_DIR/bench.log"
}

# taskmasterctl status vs supervisorctl status at 10 and 1000 instances (bench/ctl_status.sh; needs the binaries
# from `make` and supervisor installed).
section_ctl_status() {
    header "taskmasterctl status vs supervisorctl status"
    bench/ctl_status.sh
}

# Sections run in this order; append new ones here.
SECTIONS=(section_process_spawn section_process_log section_ctl_status)
for section in "${SECTIONS[@]}"; do "$section"; done
