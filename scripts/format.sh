#!/usr/bin/env bash
# Format every C++ file of the tree with clang-format-15 (the version pinned
# for .clang-format: InsertBraces needs 15, and formatters differ between
# versions).
#
#   scripts/format.sh            # rewrite files in place
#   scripts/format.sh --check    # report files that are not formatted; exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."
CF="${CLANG_FORMAT:-clang-format-15}"
command -v "$CF" >/dev/null || { echo "format.sh: $CF not found (apt-get install clang-format-15)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc' | grep -v '^tests/fuzz/corpus/')
if [ "${1:-}" = "--check" ]; then
    "$CF" --dry-run -Werror "${files[@]}"
    echo "format: ${#files[@]} files formatted"
else
    "$CF" -i "${files[@]}"
fi
