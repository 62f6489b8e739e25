#!/usr/bin/env bash
# Configure (once) and build vipgate into build/ (or $VIPGATE_BUILD).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPGATE_ROOT"
if [ ! -f "$VIPGATE_BUILD/build.ninja" ]; then
    meson setup "$VIPGATE_BUILD" --buildtype=debugoptimized >/dev/null
fi
ninja -C "$VIPGATE_BUILD" >&2
