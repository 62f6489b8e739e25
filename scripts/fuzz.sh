#!/usr/bin/env bash
# Fuzz vipgate for longer than the test command's smoke runs (docs/testing.md,
# "Fuzzing and sanitizers").
#
#   scripts/fuzz.sh                      every fuzzer, 10 minutes each, as many at once as CPUs
#   scripts/fuzz.sh -t 1h -j 1 fuzz_pipeline
#   scripts/fuzz.sh --build              only configure and build build-fuzz (clang, ASan, UBSan)
#   scripts/fuzz.sh --list               the fuzzers
#
# Options: -t DURATION per fuzzer (90, 90s, 10m, 2h; default 10m); -j JOBS
# fuzzers running at once (default: the number of CPUs).
#
# Each fuzzer runs in libFuzzer's fork mode with crashes, timeouts and OOMs
# ignored, so a finding does not end the run: every crashing input is kept.
# Per fuzzer, $VIPGATE_FUZZ_DIR (default results/fuzz, git-ignored) keeps
#   NAME/corpus/      the corpus, grown run after run (seeds: tests/fuzz/corpus/NAME)
#   NAME/artifacts/   crash-*, timeout-*, oom-*, leak-* inputs
#   NAME/fuzz.log     the last run's libFuzzer output
# Reproduce a finding:  build-fuzz/tests/fuzz/NAME results/fuzz/NAME/artifacts/crash-...
# and, once understood, keep it in tests/fuzz/regressions/NAME/ (the smoke
# runs replay every file there).
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

FUZZ_BUILD="${VIPGATE_FUZZ_BUILD:-$VIPGATE_ROOT/build-fuzz}"
FUZZ_DIR="${VIPGATE_FUZZ_DIR:-$VIPGATE_ROOT/results/fuzz}"
FUZZERS=(fuzz_pipeline fuzz_vrrp_advert fuzz_config_yaml fuzz_keepalived_conf fuzz_console)

usage() {
    sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit "${1:-0}"
}

# Configure (once) and build the fuzzers: clang, the whole tree under ASan and
# UBSan, the libraries with libFuzzer's coverage instrumentation.
build_fuzzers() {
    command -v clang++ >/dev/null 2>&1 ||
        die "clang++ not found: run scripts/setup.sh (packages clang, libclang-rt-14-dev, llvm)"
    cd "$VIPGATE_ROOT" || exit 1
    if [ ! -f "$FUZZ_BUILD/build.ninja" ]; then
        CC=clang CXX=clang++ meson setup "$FUZZ_BUILD" --buildtype=debugoptimized \
            -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
            -Dc_args=-fsanitize=fuzzer-no-link -Dcpp_args=-fsanitize=fuzzer-no-link >/dev/null ||
            return 1
    fi
    # Only the fuzzers and what they link: the DPDK shell and the GoogleTest
    # suites are not needed here.
    ninja -C "$FUZZ_BUILD" fuzzers >&2
}

seconds_of() {
    local d=$1
    case "$d" in
        *h) echo $(( ${d%h} * 3600 )) ;;
        *m) echo $(( ${d%m} * 60 )) ;;
        *s) echo "${d%s}" ;;
        *) echo "$d" ;;
    esac
}

DURATION=10m
JOBS=$(nproc)
NAMES=()
while [ $# -gt 0 ]; do
    case "$1" in
        -t) DURATION="$2"; shift 2 ;;
        -j) JOBS="$2"; shift 2 ;;
        --build) build_fuzzers; exit $? ;;
        --list) printf '%s\n' "${FUZZERS[@]}"; exit 0 ;;
        -h|--help) usage 0 ;;
        -*) echo "unknown option $1" >&2; usage 2 ;;
        *) NAMES+=("$1"); shift ;;
    esac
done
[ "${#NAMES[@]}" -gt 0 ] || NAMES=("${FUZZERS[@]}")
SECONDS_EACH=$(seconds_of "$DURATION")
[[ "$SECONDS_EACH" =~ ^[0-9]+$ ]] && [ "$SECONDS_EACH" -gt 0 ] || die "bad duration '$DURATION'"
[[ "$JOBS" =~ ^[0-9]+$ ]] && [ "$JOBS" -gt 0 ] || die "bad job count '$JOBS'"
for n in "${NAMES[@]}"; do
    printf '%s\n' "${FUZZERS[@]}" | grep -qx "$n" || die "no fuzzer '$n' (see --list)"
done

build_fuzzers || die "building the fuzzers failed"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:print_summary=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_summary=1:print_stacktrace=1}"

run_one() {
    local name=$1 dir="$FUZZ_DIR/$1"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    : >"$dir/start-marker"
    "$FUZZ_BUILD/tests/fuzz/$name" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$dir/artifacts/" "$dir/corpus" "$VIPGATE_ROOT/tests/fuzz/corpus/$name" \
        >"$dir/fuzz.log" 2>&1
    echo $? >"$dir/exit-code"
}

say "fuzzing ${NAMES[*]}: ${SECONDS_EACH} s each, $JOBS at once; results in $FUZZ_DIR"
running=0
for n in "${NAMES[@]}"; do
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$n" &
    running=$((running + 1))
done
wait

status=0
printf '%-22s %14s %10s %8s %18s  %s\n' fuzzer executions exec/s corpus oom/timeout/crash "new findings"
for n in "${NAMES[@]}"; do
    dir="$FUZZ_DIR/$n"
    last=$(grep -E '^#[0-9]+: ' "$dir/fuzz.log" | tail -1)
    execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
    rate=$(sed -nE 's/.* exec\/s ([0-9]+) .*/\1/p' <<<"$last")
    otc=$(sed -nE 's/.*oom\/timeout\/crash: ([0-9]+\/[0-9]+\/[0-9]+).*/\1/p' <<<"$last")
    corpus=$(find "$dir/corpus" -type f | wc -l)
    mapfile -t new < <(find "$dir/artifacts" -type f -newer "$dir/start-marker")
    printf '%-22s %14s %10s %8s %18s  %s\n' "$n" "${execs:-?}" "${rate:-?}" "$corpus" \
        "${otc:-?}" "${#new[@]}"
    for f in "${new[@]}"; do
        echo "    $f"
    done
    if [ "${#new[@]}" -gt 0 ] || [ "$(cat "$dir/exit-code")" != 0 ]; then
        status=1
    fi
done
exit "$status"
