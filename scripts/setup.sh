#!/usr/bin/env bash
# Install what vipgate needs to build, test and run its demo lab (Debian 12),
# and reserve hugepages when the machine allows it. Idempotent: run it again
# and it only does what is missing.
#
#   scripts/setup.sh            # packages + hugepages
#   scripts/setup.sh --no-hugepages
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root "$@"

WANT_HUGE=1
[ "${1:-}" = "--no-hugepages" ] && WANT_HUGE=0

PACKAGES=(
    # build
    build-essential meson ninja-build pkg-config clang-format clang-format-15
    nlohmann-json3-dev libssl-dev
    libdpdk-dev dpdk dpdk-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
    libboost-program-options-dev libgtest-dev libgmock-dev libpcap-dev
    # lab: namespaces, peers, packet tools
    iproute2 iputils-ping iputils-arping procps psmisc kmod ethtool
    python3 python3-scapy tshark keepalived socat curl nftables
    # benchmarks (scripts/bench.sh): micro-benchmarks, chart, callgrind, perf
    libbenchmark-dev gnuplot-nox valgrind linux-perf
    # fuzzing (scripts/fuzz.sh, suite fuzz): clang with libFuzzer and the
    # sanitizer runtimes, llvm-symbolizer for readable stacks
    clang libclang-rt-14-dev llvm
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; the lab runs as root.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
    say "packages: all present"
fi

# keepalived's package may start its service on install; the lab runs its
# own keepalived processes (never kill those: a test may be running).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now keepalived >/dev/null 2>&1 || true
fi

# Hugepages: 1024 x 2 MB, mounted at /dev/hugepages.
if [ "$WANT_HUGE" = 1 ]; then
    nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
    if [ -w "$nr" ] && [ "$(cat "$nr")" -lt 1024 ]; then
        echo 1024 > "$nr" 2>/dev/null || true
    fi
    if ! grep -q '^[^ ]* [^ ]* hugetlbfs ' /proc/mounts; then
        mkdir -p /dev/hugepages
        mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
    fi
fi
if hugepages_usable; then
    say "hugepages: $(awk '/HugePages_Free/ {print $2}' /proc/meminfo) free 2 MB pages on $(awk '$3=="hugetlbfs" {print $2; exit}' /proc/mounts)"
else
    say "hugepages: not available here; vipgate will run with --no-huge (ordinary memory, fine for vdevs, slower for real NICs)"
fi
