# Shared by the scripts: paths, logging, EAL memory arguments.
# shellcheck shell=bash

VIPGATE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VIPGATE_BUILD="${VIPGATE_BUILD:-$VIPGATE_ROOT/build}"
# Debian's python3 (scapy comes from python3-scapy), whatever else is on PATH.
VIPGATE_PY=/usr/bin/python3

say() { printf '[vipgate] %s\n' "$*" >&2; }
die() { printf '[vipgate] error: %s\n' "$*" >&2; exit 1; }

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            exec sudo -E bash "$0" "$@"
        fi
        die "run as root (packages, hugepages, network namespaces and DPDK need it)"
    fi
}

# Free 2 MB hugepages on a mounted hugetlbfs?
hugepages_usable() {
    local free
    free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)
    [ "${free:-0}" -ge 256 ] && grep -q '^[^ ]* [^ ]* hugetlbfs ' /proc/mounts
}

# EAL memory options for programs started by the scripts: hugepages when
# set up, else --no-huge with a fixed amount of ordinary memory.
eal_mem_args() {
    if [ "${VIPGATE_NO_HUGE:-0}" != 1 ] && hugepages_usable; then
        echo "-m 512"
    else
        echo "--no-huge -m 1024"
    fi
}
