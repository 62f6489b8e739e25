#pragma once
// vipgate's JSON value: nlohmann::json with keys kept in insertion order
// (nlohmann::ordered_map), what every `show` command builds once and then
// renders three ways (JSON for scripts, human tables, DPDK telemetry).
// Control path only.
//
// Printing differs from the library's default in two places, both pinned by
// tests/unit/common/json_test.cpp and the golden replies in
// tests/dataplane/golden/:
// * doubles print as printf("%.6g"): `1`, not `1.0`; `30.0391`, not
//   `30.0390625` (see the dump_float specialization below);
// * dump_json() replaces invalid UTF-8 with U+FFFD instead of throwing, so a
//   byte-mangled name cannot fail a reply. Call dump_json(), not dump(): the
//   member's default error handler throws.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vipgate {

namespace json_detail {
// nlohmann's own conversions, under a name of our own: it makes `json` a type
// distinct from nlohmann::ordered_json, so the number format below is ours
// only.
template <typename T, typename SFINAE = void>
struct serializer : nlohmann::adl_serializer<T, SFINAE> {};
} // namespace json_detail

using json =
    nlohmann::basic_json<nlohmann::ordered_map, std::vector, std::string, bool, std::int64_t,
                         std::uint64_t, double, std::allocator, json_detail::serializer>;

} // namespace vipgate

// Doubles print as "%.6g" (what vipgate always printed, and what scripts and
// the golden replies read), where nlohmann prints the shortest round-trip
// form with a ".0" on whole numbers. The library has no option for it; its
// serializer calls this member for every double, so it is specialized for
// vipgate's json only. A library version that renames it fails to compile
// here rather than printing differently.
template <>
inline void nlohmann::detail::serializer<vipgate::json>::dump_float(double x) {
    if (!std::isfinite(x)) {
        o->write_characters("null", 4); // JSON has no NaN or infinity
        return;
    }
    const int n = std::snprintf(number_buffer.data(), number_buffer.size(), "%.6g", x);
    o->write_characters(number_buffer.data(), static_cast<std::size_t>(n));
}

namespace vipgate {

// Compact (`indent` < 0) or indented text; invalid UTF-8 becomes U+FFFD.
std::string dump_json(const json& j, int indent = -1);
// Scalar as plain text (strings unquoted, null "-"), for human tables.
std::string to_text(const json& j);
// The value under `key`, or nullptr (also when `obj` is not an object).
const json* find(const json& obj, std::string_view key);

// Render an array of flat objects as an aligned text table; columns are the
// keys of the first row (or `columns` when given).
std::string render_table(const json& rows, const std::vector<std::string>& columns = {});
// Render a flat object as "key: value" lines, aligned.
std::string render_kv(const json& obj);

} // namespace vipgate
