#!/usr/bin/env bash
# Set everything up, build, and run every test suite: unit, dataplane and lab
# in build/; unit and dataplane again under ASan + UBSan in build-asan/; a
# smoke run of each fuzzer in build-fuzz/ (clang, libFuzzer). Ends with the
# line "N passed, N failed" counting the individual tests of all of them.
#
#   scripts/test.sh                   # everything
#   scripts/test.sh --suite unit      # one suite of build/ (unit, dataplane, lab)
#   scripts/test.sh --suite sanitize  # only unit + dataplane under ASan/UBSan
#   scripts/test.sh --suite fuzz      # only the fuzzer smoke runs
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root "$@"

SUITES=()
RUN_MAIN=1 RUN_ASAN=1 RUN_FUZZ=1
if [ $# -gt 0 ]; then
    RUN_MAIN=0 RUN_ASAN=0 RUN_FUZZ=0
fi
while [ $# -gt 0 ]; do
    case "$1" in
        --suite)
            case "${2:-}" in
                sanitize) RUN_ASAN=1 ;;
                fuzz) RUN_FUZZ=1 ;;
                *) RUN_MAIN=1; SUITES+=(--suite "${2:-}") ;;
            esac
            shift 2 ;;
        *) die "unknown option $1 (use --suite NAME)" ;;
    esac
done

"$VIPGATE_ROOT/scripts/setup.sh" || die "setup failed"
"$VIPGATE_ROOT/scripts/build.sh" || { echo "0 passed, 1 failed"; exit 1; }

cd "$VIPGATE_ROOT"
RUNS=()   # BUILD_DIR=PREFIX of every meson test run, for the summary
FAILS=()  # --fail NAME for what could not run at all

# A fresh count: GoogleTest reports and the test log of an earlier run must
# not be counted again.
fresh_logs() {
    rm -f "$1"/*.xml "$1/meson-logs/testlog.json"
}

if [ "$RUN_MAIN" = 1 ]; then
    fresh_logs "$VIPGATE_BUILD"
    # Tests run one at a time: the lab tests share the machine's two CPUs with
    # their peers (keepalived, servers), and timing-sensitive ones need them.
    meson test -C "$VIPGATE_BUILD" --num-processes 1 --print-errorlogs "${SUITES[@]}" >&2
    RUNS+=("$VIPGATE_BUILD")
fi

# ---- Sanitizers and fuzzing (docs/testing.md, "Fuzzing and sanitizers") ----

# Every sanitizer report is fatal (UBSan would only print and go on). Leak
# detection stays on: EAL's memory (--no-huge) is mmap'ed, not malloc'ed, so
# DPDK needs no suppressions and a leak in vipgate fails its test. Fake
# stacks find use-after-return; the init-order checks static constructors.
VIPGATE_ASAN_OPTIONS="abort_on_error=1:halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:print_summary=1"
VIPGATE_UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1"

if [ "$RUN_ASAN" = 1 ]; then
    started=$SECONDS
    ASAN_BUILD="${VIPGATE_ASAN_BUILD:-$VIPGATE_ROOT/build-asan}"
    if [ ! -f "$ASAN_BUILD/build.ninja" ]; then
        # -O1 -g1 (line tables): stack traces keep file:line, and the tree
        # compiles in less than half the CPU time of debugoptimized's -O2 -g
        # (control_plane.cpp: 36 s against 80 s user), which was 31 of the
        # test command's 45 minutes on a 2-CPU VM.
        meson setup "$ASAN_BUILD" --buildtype=plain -Doptimization=1 -Ddebug=false \
            -Dc_args=-g1 -Dcpp_args=-g1 -Dtests=true \
            -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
    fi
    if [ -f "$ASAN_BUILD/build.ninja" ]; then
        fresh_logs "$ASAN_BUILD"
        # meson test builds only what the two suites need.
        ASAN_OPTIONS="$VIPGATE_ASAN_OPTIONS" UBSAN_OPTIONS="$VIPGATE_UBSAN_OPTIONS" \
            meson test -C "$ASAN_BUILD" --num-processes 1 --print-errorlogs \
            --suite unit --suite dataplane >&2
        RUNS+=("$ASAN_BUILD=asan: ")
    else
        FAILS+=(--fail "asan: meson setup $ASAN_BUILD failed")
    fi
    say "sanitizer suites (build + run): $((SECONDS - started)) s"
fi

if [ "$RUN_FUZZ" = 1 ]; then
    started=$SECONDS
    FUZZ_BUILD="${VIPGATE_FUZZ_BUILD:-$VIPGATE_ROOT/build-fuzz}"
    if VIPGATE_FUZZ_BUILD="$FUZZ_BUILD" bash "$VIPGATE_ROOT/scripts/fuzz.sh" --build; then
        fresh_logs "$FUZZ_BUILD"
        # --no-rebuild: fuzz.sh built the fuzzers; a plain rebuild would also
        # build the GoogleTest suites and the DPDK shell with clang. Two at
        # once: each fuzzer is one process, and they take no timing.
        meson test -C "$FUZZ_BUILD" --no-rebuild --num-processes 2 --print-errorlogs \
            --suite fuzz >&2
        RUNS+=("$FUZZ_BUILD=fuzz: ")
    else
        FAILS+=(--fail "fuzz: building the fuzzers failed")
    fi
    say "fuzz smoke runs (build + run): $((SECONDS - started)) s"
fi

"$VIPGATE_PY" "$VIPGATE_ROOT/scripts/lib/summarize.py" "${FAILS[@]}" "${RUNS[@]}"
