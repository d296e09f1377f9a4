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

# supervisord is the baseline users compare us with; install it (Debian's package) when we may and it is missing.
ensure_supervisor() {
    command -v supervisord >/dev/null && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        (apt-get install -y -qq supervisor </dev/null || { apt-get update -qq && apt-get install -y -qq supervisor </dev/null; }) >/dev/null 2>&1 || true
        # Debian starts the packaged service; the benchmarks run their own supervisord on temporary sockets.
        service supervisor stop >/dev/null 2>&1 || true
    fi
    command -v supervisord >/dev/null
}

# CPU seconds (user + system) a process has used so far.
cpu_seconds() { awk -v tck="$(getconf CLK_TCK)" '{ print ($14 + $15) / tck }' "/proc/$1/stat"; }

# Wait (up to 600 s) until FILE holds BYTES bytes; prints the wall time since T0 (seconds since the epoch).
wait_for_size() {
    local file=$1 bytes=$2 t0=$3
    for _ in $(seq 1 60000); do
        [ "$(stat -c %s "$file" 2>/dev/null || echo 0)" -ge "$bytes" ] && break
        sleep 0.01
    done
    awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.3f", t1 - t0 }'
}

# One program writing LOG_MIB MiB of numbered lines as fast as it can, captured by each daemon into a file with no
# rotation. Measures the daemon's CPU and the wall time until the whole file is there, and checks the last line.
section_daemon_log() {
    build_process_bench
    header "daemons end to end: $LOG_MIB MiB of lines from one program into its stdout file (taskmasterd vs supervisord)"
    if ! ensure_supervisor; then echo "supervisor is not installed: skipping"; return 0; fi
    local work bytes last
    work=$(mktemp -d "$BENCH_DIR/daemons.XXXXXX")
    bytes=$((LOG_MIB * 1048576))
    last=$(printf '%015d' $((LOG_MIB * 65536)))
    cat >"$work/tm.yaml" <<YAML
taskmasterd: {socket: $work/tm.sock, logdir: $work/log, syslog: false}
programs:
  writer: {cmd: $BENCH_BIN/line_writer $LOG_MIB, autostart: false, autorestart: never, starttime: 0,
           stdout: $work/tm.out, stdout_maxbytes: 0, stderr: none}
  warmup: {cmd: $BENCH_BIN/line_writer 1, autostart: false, autorestart: never, starttime: 0,
           stdout: $work/tm.warm, stderr: none}
YAML
    cat >"$work/sv.conf" <<INI
[unix_http_server]
file=$work/sv.sock
[supervisord]
logfile=$work/supervisord.log
pidfile=$work/supervisord.pid
childlogdir=$work
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://$work/sv.sock
[program:writer]
command=$BENCH_BIN/line_writer $LOG_MIB
autostart=false
autorestart=false
startsecs=0
stdout_logfile=$work/sv.out
stdout_logfile_maxbytes=0
stderr_logfile=NONE
[program:warmup]
command=$BENCH_BIN/line_writer 1
autostart=false
autorestart=false
startsecs=0
stdout_logfile=$work/sv.warm
stderr_logfile=NONE
INI
    local tm_s=() tm_cpu=() sv_s=() sv_cpu=() ok=1
    for _ in $(seq "$REPEAT"); do
        rm -f "$work/tm.out" "$work/sv.out" "$work/tm.warm" "$work/sv.warm"; sync
        ./taskmasterd "$work/tm.yaml" --pidfile "$work/tm.pid" >/dev/null
        # Both daemons first run one small capture, so start-up work (JIT, imports) is not counted.
        ./taskmasterctl -s "$work/tm.sock" start warmup >/dev/null
        wait_for_size "$work/tm.warm" 1048576 0 >/dev/null
        local pid c0 t0
        pid=$(cat "$work/tm.pid"); c0=$(cpu_seconds "$pid"); t0=$(date +%s.%N)
        ./taskmasterctl -s "$work/tm.sock" start writer >/dev/null
        tm_s+=("$(wait_for_size "$work/tm.out" "$bytes" "$t0")")
        tm_cpu+=("$(awk -v a="$c0" -v b="$(cpu_seconds "$pid")" 'BEGIN { print b - a }')")
        [ "$(tail -c 16 "$work/tm.out" | head -c 15)" = "$last" ] || ok=0
        ./taskmasterctl -s "$work/tm.sock" shutdown >/dev/null

        supervisord -c "$work/sv.conf"
        for _ in $(seq 1 500); do [ -S "$work/sv.sock" ] && supervisorctl -c "$work/sv.conf" status >/dev/null 2>&1 && break; sleep 0.02; done
        supervisorctl -c "$work/sv.conf" start warmup >/dev/null
        wait_for_size "$work/sv.warm" 1048576 0 >/dev/null
        pid=$(cat "$work/supervisord.pid"); c0=$(cpu_seconds "$pid"); t0=$(date +%s.%N)
        supervisorctl -c "$work/sv.conf" start writer >/dev/null
        sv_s+=("$(wait_for_size "$work/sv.out" "$bytes" "$t0")")
        sv_cpu+=("$(awk -v a="$c0" -v b="$(cpu_seconds "$pid")" 'BEGIN { print b - a }')")
        [ "$(tail -c 16 "$work/sv.out" | head -c 15)" = "$last" ] || ok=0
        supervisorctl -c "$work/sv.conf" shutdown >/dev/null || true
        for _ in $(seq 1 500); do [ -e "$work/supervisord.pid" ] || break; sleep 0.02; done
    done
    local ts tc ss sc gb
    gb=$(awk -v b="$bytes" 'BEGIN { print b / 1e9 }')
    ts=$(printf '%s
' "${tm_s[@]}" | median); tc=$(printf '%s
' "${tm_cpu[@]}" | median)
    ss=$(printf '%s
' "${sv_s[@]}" | median); sc=$(printf '%s
' "${sv_cpu[@]}" | median)
    awk -v gb="$gb" -v ts="$ts" -v tc="$tc" -v ss="$ss" -v sc="$sc" 'BEGIN {
        printf "%-46s %8.1f MB/s   %6.3f daemon CPU-s/GB\n", "taskmasterd", gb * 1000 / ts, tc / gb
        printf "%-46s %8.1f MB/s   %6.3f daemon CPU-s/GB\n", "supervisord", gb * 1000 / ss, sc / gb
        printf "%-46s throughput %.2fx, CPU per GB %.2fx (supervisord / taskmasterd: above 1, taskmasterd is better)\n", "taskmasterd vs supervisord", ss / ts, (tc > 0 ? sc / tc : 0)
    }'
    [ $ok = 1 ] && echo "last line present in every file: yes" || echo "last line present in every file: NO"
    rm -rf "$work"
}

# Sections run in this order; append new ones here.
SECTIONS=(section_process_spawn section_process_log section_daemon_log section_ctl_status)
if [ $# -gt 0 ]; then SECTIONS=("$@"); fi
for section in "${SECTIONS[@]}"; do "$section"; done
