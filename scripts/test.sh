#!/usr/bin/env bash
# Set everything up, build, and run every test suite (unit, dataplane, lab).
# Ends with the line "N passed, N failed" counting individual tests.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh --suite unit    # one suite (unit, dataplane, lab)
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root "$@"

SUITES=()
while [ $# -gt 0 ]; do
    case "$1" in
        --suite) SUITES+=(--suite "$2"); shift 2 ;;
        *) die "unknown option $1 (use --suite NAME)" ;;
    esac
done

"$VIPGATE_ROOT/scripts/setup.sh" || die "setup failed"
"$VIPGATE_ROOT/scripts/build.sh" || { echo "0 passed, 1 failed"; exit 1; }

cd "$VIPGATE_ROOT"
# GoogleTest reports of an earlier run must not be counted again.
rm -f "$VIPGATE_BUILD"/*.xml
# Tests run one at a time: the lab tests share the machine's two CPUs with
# their peers (keepalived, servers), and timing-sensitive ones need them.
meson test -C "$VIPGATE_BUILD" --num-processes 1 --print-errorlogs "${SUITES[@]}" >&2
"$VIPGATE_PY" "$VIPGATE_ROOT/scripts/lib/summarize.py" "$VIPGATE_BUILD"
