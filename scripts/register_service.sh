#!/usr/bin/env bash
# Installs taskmasterd as a system service: a systemd unit where systemd runs, else a SysVinit script.
#
#   scripts/register_service.sh [--init systemd|sysv] [--prefix /usr/local] [--config /etc/taskmaster]
#                               [--root DIR] [--no-start] [--uninstall]
#
# --root installs below DIR (for packaging and tests) and implies --no-start.
# The binaries come from the repository root (run `make` first) unless PREFIX/bin already has them.
set -euo pipefail

init="" prefix=/usr/local config=/etc/taskmaster root="" start=1 uninstall=0
repo=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --init) init=${2:?--init needs systemd or sysv}; shift 2 ;;
        --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
        --config) config=${2:?--config needs a path}; shift 2 ;;
        --root) root=${2:?--root needs a directory}; start=0; shift 2 ;;
        --no-start) start=0; shift ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) usage ;;
        *) echo "register_service.sh: unknown argument: $1" >&2; usage ;;
    esac
done

if [ -z "$init" ]; then
    if [ -d /run/systemd/system ]; then init=systemd; else init=sysv; fi
fi
case "$init" in systemd|sysv) ;; *) echo "register_service.sh: --init must be systemd or sysv, not '$init'" >&2; exit 2 ;; esac
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
    echo "register_service.sh: must run as root to install a system service" >&2; exit 1
fi

unit=$root/etc/systemd/system/taskmasterd.service
script=$root/etc/init.d/taskmasterd

if [ $uninstall -eq 1 ]; then
    if [ "$init" = systemd ]; then
        [ $start -eq 1 ] && systemctl disable --now taskmasterd.service 2>/dev/null || true
        rm -f "$unit"
        [ $start -eq 1 ] && systemctl daemon-reload || true
    else
        [ $start -eq 1 ] && "$script" stop 2>/dev/null || true
        [ $start -eq 1 ] && command -v update-rc.d >/dev/null && update-rc.d -f taskmasterd remove || true
        rm -f "$script"
    fi
    echo "taskmasterd service removed ($init); binaries and $config left in place"
    exit 0
fi

install -d "$root$prefix/bin"
for bin in taskmasterd taskmasterctl; do
    if [ -x "$repo/$bin" ]; then
        install -m 0755 "$repo/$bin" "$root$prefix/bin/$bin"
    elif [ ! -x "$root$prefix/bin/$bin" ]; then
        echo "register_service.sh: $repo/$bin not found: run make first" >&2; exit 1
    fi
done
# The daemon's spawn stub, where an installed taskmasterd looks for it (PREFIX/lib/taskmaster/).
if [ -f "$repo/libtaskmaster_spawn.so" ]; then
    install -d "$root$prefix/lib/taskmaster"
    install -m 0644 "$repo/libtaskmaster_spawn.so" "$root$prefix/lib/taskmaster/libtaskmaster_spawn.so"
elif [ ! -f "$root$prefix/lib/taskmaster/libtaskmaster_spawn.so" ]; then
    echo "register_service.sh: $repo/libtaskmaster_spawn.so not found: run make first" >&2; exit 1
fi

# A config to start from: the samples, only if none is there yet.
if [ ! -e "$root$config" ]; then
    install -d -m 0755 "$root$config"
    install -m 0644 "$repo"/configs/*.yaml "$root$config/"
fi

fill() { sed -e "s|@PREFIX@|$prefix|g" -e "s|@CONFIG@|$config|g" "$1"; }

if [ "$init" = systemd ]; then
    install -d "$(dirname "$unit")"
    fill "$repo/packaging/taskmasterd.service" > "$unit"
    chmod 0644 "$unit"
    if [ $start -eq 1 ]; then
        systemctl daemon-reload
        systemctl enable --now taskmasterd.service
    fi
    echo "installed $unit"
else
    install -d "$(dirname "$script")"
    fill "$repo/packaging/taskmasterd.init" > "$script"
    chmod 0755 "$script"
    if [ $start -eq 1 ]; then
        if command -v update-rc.d >/dev/null; then update-rc.d taskmasterd defaults; fi
        "$script" start
    fi
    echo "installed $script"
fi
