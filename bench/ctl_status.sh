#!/usr/bin/env bash
# Benchmark: wall time of `taskmasterctl status` against `supervisorctl status` on the same programs
# (N instances of /bin/sleep), at 10 and 1000 instances. Each daemon runs on a temporary config with a temporary
# Unix socket (never the system ones) and is shut down afterwards. Prints the median of RUNS runs and the ratio.
# Needs ./taskmasterd and ./taskmasterctl (make) and supervisor (apt-get install -y supervisor).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${RUNS:-20}
sizes=${SIZES:-"10 1000"}
work=$(mktemp -d /tmp/taskmaster-bench-ctl.XXXXXX)
results=$root/bench/results
mkdir -p "$results"
ulimit -n 65536 2>/dev/null || true

tm_sock=$work/tm.sock
sv_conf=$work/supervisord.conf

cleanup() {
    [ -S "$tm_sock" ] && "$root/taskmasterctl" -s "$tm_sock" shutdown >/dev/null 2>&1 || true
    [ -f "$sv_conf" ] && supervisorctl -c "$sv_conf" shutdown >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# Median wall time in milliseconds of running the command $runs times (output discarded).
median_ms() {
    python3 - "$runs" "$@" <<'PY'
import statistics, subprocess, sys, time
n = int(sys.argv[1]); cmd = sys.argv[2:]
times = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
print(f"{statistics.median(times):.1f}")
PY
}

# Wait (up to 180 s) until the command exits 0: every instance RUNNING.
wait_ok() {
    for _ in $(seq 1 900); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "bench: timed out waiting for: $*" >&2
    return 1
}

if ! command -v supervisorctl >/dev/null; then
    echo "bench: supervisor is not installed (apt-get install -y supervisor); skipping the comparison" >&2
fi

printf "%-10s %18s %18s %8s\n" instances "taskmasterctl ms" "supervisorctl ms" ratio | tee "$results/ctl_status.txt"
for n in $sizes; do
    # ---- taskmaster ----
    cat >"$work/tm.yaml" <<YAML
taskmasterd:
  socket: $tm_sock
  logdir: $work/log
  syslog: false
programs:
  sleeper:
    cmd: /bin/sleep 100000
    numprocs: $n
    starttime: 0
    stdout: none
    stderr: none
YAML
    "$root/taskmasterd" "$work/tm.yaml" --pidfile "$work/tm.pid" >/dev/null
    wait_ok "$root/taskmasterctl" -s "$tm_sock" status
    lines=$("$root/taskmasterctl" -s "$tm_sock" status | wc -l)
    [ "$lines" -eq "$n" ] || { echo "bench: taskmasterctl status printed $lines lines, expected $n" >&2; exit 1; }
    tm=$(median_ms "$root/taskmasterctl" -s "$tm_sock" status)
    "$root/taskmasterctl" -s "$tm_sock" shutdown >/dev/null
    for _ in $(seq 1 300); do [ -S "$tm_sock" ] || break; sleep 0.1; done

    # ---- supervisord ----
    sv=n/a; ratio=n/a
    if command -v supervisorctl >/dev/null; then
        cat >"$sv_conf" <<INI
[unix_http_server]
file=$work/sv.sock
[supervisord]
logfile=$work/supervisord.log
pidfile=$work/supervisord.pid
childlogdir=$work
minfds=8192
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://$work/sv.sock
[program:sleeper]
command=/bin/sleep 100000
numprocs=$n
process_name=%(program_name)s_%(process_num)d
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
INI
        supervisord -c "$sv_conf"
        wait_ok supervisorctl -c "$sv_conf" status
        sv=$(median_ms supervisorctl -c "$sv_conf" status)
        supervisorctl -c "$sv_conf" shutdown >/dev/null || true
        for _ in $(seq 1 300); do [ -S "$work/sv.sock" ] || break; sleep 0.1; done
        ratio=$(python3 -c "print(f'{$sv / $tm:.1f}x')")
    fi
    printf "%-10s %18s %18s %8s\n" "$n" "$tm" "$sv" "$ratio" | tee -a "$results/ctl_status.txt"
done
echo "(median of $runs runs each; the ratio is supervisorctl / taskmasterctl)"
