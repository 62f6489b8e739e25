#!/usr/bin/env bash
# TAP: scripts/bench.sh --quick with this build's binaries, --no-huge. Checks
# that vipgate and testpmd forwarded packets in every quick workload and that
# results.json, results.md (and the chart, when gnuplot is installed) were
# written. Speeds are reported, never asserted.
set -u
SRC="${VIPGATE_SOURCE_DIR:?}"
BUILD="${VIPGATE_BUILD_DIR:?}"
OUT="$(mktemp -d /tmp/vipgate-bench-quick.XXXXXX)"
trap 'rm -rf "$OUT"' EXIT

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { local d="$1"; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

echo "1..6"
if ! command -v dpdk-testpmd >/dev/null; then
    for i in 1 2 3 4 5 6; do echo "ok $i # SKIP dpdk-testpmd is not installed"; done
    exit 0
fi
"$SRC/scripts/bench.sh" --quick --build-dir "$BUILD" --out "$OUT" --mem no-huge --no-micro \
    >"$OUT/stdout.txt" 2>"$OUT/stderr.txt"
rc=$?
check "scripts/bench.sh --quick exits 0" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$OUT/stderr.txt" | tail -40
check "results.json written" test -s "$OUT/results.json"
check "results.md written with the table" grep -q '^| est-1k-64 |' "$OUT/results.md"
if command -v gnuplot >/dev/null; then
    check "bench.png written" test -s "$OUT/bench.png"
else
    echo "ok 4 # SKIP gnuplot is not installed"; n=4
fi
py() { /usr/bin/python3 -c "$1" "$OUT/results.json" 2>/dev/null; }
check "vipgate forwarded packets in every workload (and net_null transmitted them)" py '
import json, sys
d = json.load(open(sys.argv[1]))
w = d["workloads"]
assert len(w) >= 2
for r in w:
    vg = [x for x in r["runs"]["vipgate"] if "mpps" in x]
    assert vg and all(x["mpps"] > 0 for x in vg), r["name"]
    assert r["forwarded_total"] > 0 and r["tx_check"] > 0.9, r["name"]
    assert r["flows_in_table"] >= 1000, (r["name"], r["flows_in_table"])
'
check "testpmd io/macswap/5tswap forwarded packets in every workload" py '
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["workloads"]:
    for t in ("io", "macswap", "5tswap"):
        assert r["median"].get(t, 0) > 0, (r["name"], t)
'
