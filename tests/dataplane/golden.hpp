#pragma once
// Golden files for console replies: the exact text of a `show ...` reply
// (JSON or table), after a small explicit masking of the values that vary
// between runs, compared with tests/dataplane/golden/NAME.json or NAME.txt. VIPGATE_UPDATE_GOLDEN=1
// rewrites the files instead (then review the diff before committing).

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace vipgate::test {

struct golden_mask {
    // Keys whose scalar value varies between runs (timers, ages, timing
    // dependent counters): the value becomes "<number>", "<string>" or
    // "<bool>" (null stays null), so the key, its place and its type remain.
    std::set<std::string> keys;
    // Exact strings replaced everywhere first (a port's MAC, a device name).
    std::vector<std::pair<std::string, std::string>> values;
    // Text replies (tables): regular expressions (ECMAScript, matched
    // against each line) and what replaces each match, after `values`.
    std::vector<std::pair<std::string, std::string>> patterns;
};

// The reply text with `m` applied. Works on the text as printed (dump(2): one
// key per line), not on a re-parse, so number formatting stays pinned.
std::string mask_reply(const std::string& text, const golden_mask& m);

// A human (table) reply with `m.values` and `m.patterns` applied.
std::string mask_text(const std::string& text, const golden_mask& m);

// Compares `text` with the golden file `file` (in tests/dataplane/golden/),
// or rewrites the file when VIPGATE_UPDATE_GOLDEN=1. Returns an empty string
// on success, else what differs.
std::string check_golden(const std::string& file, const std::string& text);

} // namespace vipgate::test
