#!/usr/bin/env bash
# One fuzzer's smoke run, as meson test runs it (suite fuzz):
#   1. every saved reproducer in REGRESSIONS runs once;
#   2. the fuzzer runs for SECONDS from the seeds in SEEDS (new inputs go to
#      WORKDIR/corpus, the seeds are never written).
# Exit 0 when nothing crashed. A crashing input is kept in WORKDIR/artifacts
# and its log is printed.
#
#   run_fuzzer.sh FUZZER SEEDS REGRESSIONS SECONDS WORKDIR
set -uo pipefail
if [ $# -ne 5 ]; then
    echo "usage: $0 FUZZER SEEDS REGRESSIONS SECONDS WORKDIR" >&2
    exit 2
fi
fuzzer=$1 seeds=$2 regressions=$3 seconds=$4 work=$5
name=$(basename "$fuzzer")
# meson test sets both already (with halt_on_error=1); by hand, UBSan must
# stop at the first error too, or libFuzzer never sees it.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:print_summary=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_summary=1:print_stacktrace=1}"

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"

shopt -s nullglob
repro=()
for f in "$regressions"/*; do
    [ -f "$f" ] && repro+=("$f")
done
if [ "${#repro[@]}" -gt 0 ]; then
    echo "$name: replaying ${#repro[@]} reproducer(s) from $regressions"
    if ! "$fuzzer" -timeout=10 "${repro[@]}" >"$work/regressions.log" 2>&1; then
        cat "$work/regressions.log"
        echo "$name: FAILED: a saved reproducer still crashes"
        exit 1
    fi
fi

"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" >"$work/fuzz.log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -1)
corpus=$(find "$work/corpus" -type f | wc -l)
found=$(find "$work/artifacts" -type f | wc -l)
if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
    tail -n 80 "$work/fuzz.log"
    echo "$name: FAILED (exit $rc): ${execs:-?} executions, artifacts:"
    find "$work/artifacts" -type f
    exit 1
fi
echo "$name: ${execs:-?} executions in ${seconds} s, $corpus new corpus inputs, no crash"
