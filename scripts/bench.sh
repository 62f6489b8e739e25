#!/usr/bin/env bash
# The packet-replay benchmark: vipgate side by side with dpdk-testpmd (io,
# macswap, 5tswap) on the same vdevs (net_pcap with infinite_rx in, net_null
# out) and the same forwarding core, plus Google Benchmark micro-benchmarks
# and callgrind instructions per packet. docs/benchmarks.md explains it.
#
#   scripts/bench.sh                       # full run: every workload, 3 runs each
#   scripts/bench.sh --quick               # seconds: small workloads, 1 run (the test suite's)
#   scripts/bench.sh --workloads est-1k-64,syn-64 --runs 5
#   scripts/bench.sh --update-docs         # also write the table and chart into docs/
#
# Options: --quick, --runs N, --duration S (measurement interval per run),
# --warmup S, --workloads A,B, --mem auto|huge|no-huge (default auto:
# hugepages when enough are free for the largest workload, else --no-huge),
# --no-testpmd, --no-micro (no micro-benchmarks, no callgrind), --perf WORKLOAD
# (perf record of vipgate's worker), --expire-budget N (an experiment),
# --out DIR (default results/<date>), --build-dir DIR (use these binaries
# instead of building build-bench/ in release mode), --update-docs,
# --keep-pcaps, --report-from RESULTS.json (only rewrite the report, chart and docs).
#
# Results: DIR/results.json, DIR/results.md, DIR/bench.png, logs and configs.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root "$@"

BUILD_DIR=""
OUT=""
PASS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --build-dir) BUILD_DIR="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --quick|--no-testpmd|--no-micro|--update-docs|--keep-pcaps) PASS+=("$1"); shift ;;
        --runs|--duration|--warmup|--workloads|--mem|--perf|--jitter-duration|--testpmd-settle|--report-from|--expire-budget)
            PASS+=("$1" "$2"); shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd not found: run scripts/setup.sh (package dpdk)"
command -v gnuplot >/dev/null || say "gnuplot not found (package gnuplot-nox): no chart"

cd "$VIPGATE_ROOT"
if [ -z "$BUILD_DIR" ]; then
    BUILD_DIR="$VIPGATE_ROOT/build-bench"
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        meson setup "$BUILD_DIR" --buildtype=release >/dev/null
    fi
    ninja -C "$BUILD_DIR" >&2
fi
[ -x "$BUILD_DIR/app/vipgate-bench/vipgate-bench" ] || die "no vipgate-bench in $BUILD_DIR"
if [ -z "$OUT" ]; then
    OUT="$VIPGATE_ROOT/results/$(date +%Y%m%d-%H%M%S)"
fi
mkdir -p "$OUT"
exec "$VIPGATE_PY" "$VIPGATE_ROOT/bench/harness.py" --build-dir "$BUILD_DIR" --out "$OUT" \
    --cmdline "scripts/bench.sh $(printf '%s ' "${PASS[@]+"${PASS[@]}"}")" "${PASS[@]+"${PASS[@]}"}"
