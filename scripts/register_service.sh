#!/usr/bin/env bash
# Installs taskmasterd as a system service: a systemd unit where systemd runs, else a SysVinit script.
#
#   scripts/register_service.sh [--init systemd|sysv] [--prefix /usr/local] [--config /etc/taskmaster]
#                               [--root DIR] [--no-start] [--dry-run] [--uninstall] [--help]
#
# --root DIR (or DESTDIR=DIR) installs below DIR for packaging and implies --no-start; the init system is then
# systemd unless --init says otherwise. --dry-run prints every step and changes nothing. Without a config at
# --config, a commented example with no program enabled is installed there.
# The binaries come from the repository root (run `make` first) unless PREFIX/bin already has them.
set -euo pipefail

init="" prefix=/usr/local config=/etc/taskmaster root="${DESTDIR:-}" start=1 uninstall=0 dry=0
[ -n "$root" ] && start=0
repo=$(cd "$(dirname "$0")/.." && pwd)

usage_text() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
usage() { usage_text >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --init) init=${2:?--init needs systemd or sysv}; shift 2 ;;
        --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
        --config) config=${2:?--config needs a path}; shift 2 ;;
        --root) root=${2:?--root needs a directory}; start=0; shift 2 ;;
        --no-start) start=0; shift ;;
        --dry-run) dry=1; shift ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) usage_text; exit 0 ;;
        *) echo "register_service.sh: unknown argument: $1" >&2; usage ;;
    esac
done

if [ -z "$init" ]; then
    # Packaging (--root) targets systemd; on this machine, whatever runs as PID 1.
    if [ -n "$root" ] || [ -d /run/systemd/system ]; then init=systemd; else init=sysv; fi
fi
case "$init" in systemd|sysv) ;; *) echo "register_service.sh: --init must be systemd or sysv, not '$init'" >&2; exit 2 ;; esac
if [ -z "$root" ] && [ $dry -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "register_service.sh: must run as root to install a system service" >&2; exit 1
fi

# Every step goes through run (or fill_to): printed with --dry-run instead of done.
run() { if [ $dry -eq 1 ]; then echo "+ $*"; else "$@"; fi; }
fill() { sed -e "s|@PREFIX@|$prefix|g" -e "s|@CONFIG@|$config|g" "$1"; }
fill_to() { if [ $dry -eq 1 ]; then echo "+ fill $1 > $2 (mode $3)"; else fill "$1" > "$2"; chmod "$3" "$2"; fi; }

unit=$root/etc/systemd/system/taskmasterd.service
script=$root/etc/init.d/taskmasterd

if [ $uninstall -eq 1 ]; then
    if [ "$init" = systemd ]; then
        [ $start -eq 1 ] && { run systemctl disable --now taskmasterd.service 2>/dev/null || true; }
        run rm -f "$unit"
        [ $start -eq 1 ] && { run systemctl daemon-reload || true; }
    else
        [ $start -eq 1 ] && { run "$script" stop 2>/dev/null || true; }
        [ $start -eq 1 ] && command -v update-rc.d >/dev/null && { run update-rc.d -f taskmasterd remove || true; }
        run rm -f "$script"
    fi
    echo "taskmasterd service removed ($init); binaries and $config left in place"
    exit 0
fi

run install -d "$root$prefix/bin"
for bin in taskmasterd taskmasterctl; do
    if [ -x "$repo/$bin" ]; then
        run install -m 0755 "$repo/$bin" "$root$prefix/bin/$bin"
    elif [ ! -x "$root$prefix/bin/$bin" ]; then
        echo "register_service.sh: $repo/$bin not found: run make first" >&2; exit 1
    fi
done
# The daemon's spawn stub, where an installed taskmasterd looks for it (PREFIX/lib/taskmaster/).
if [ -f "$repo/libtaskmaster_spawn.so" ]; then
    run install -d "$root$prefix/lib/taskmaster"
    run install -m 0644 "$repo/libtaskmaster_spawn.so" "$root$prefix/lib/taskmaster/libtaskmaster_spawn.so"
elif [ ! -f "$root$prefix/lib/taskmaster/libtaskmaster_spawn.so" ]; then
    echo "register_service.sh: $repo/libtaskmaster_spawn.so not found: run make first" >&2; exit 1
fi

# A config to start from, only if none is there yet: a commented example that enables no program (the
# repository's demo programs are never installed as root services).
if [ ! -e "$root$config" ]; then
    run install -d -m 0755 "$root$config"
    run install -m 0644 "$repo/packaging/taskmaster.example.yaml" "$root$config/taskmaster.yaml"
fi

if [ "$init" = systemd ]; then
    run install -d "$(dirname "$unit")"
    fill_to "$repo/packaging/taskmasterd.service" "$unit" 0644
    if [ $start -eq 1 ]; then
        run systemctl daemon-reload
        run systemctl enable --now taskmasterd.service
    fi
    [ $dry -eq 1 ] || echo "installed $unit"
else
    run install -d "$(dirname "$script")"
    fill_to "$repo/packaging/taskmasterd.init" "$script" 0755
    if [ $start -eq 1 ]; then
        if command -v update-rc.d >/dev/null; then run update-rc.d taskmasterd defaults; fi
        run "$script" start
    fi
    [ $dry -eq 1 ] || echo "installed $script"
fi
