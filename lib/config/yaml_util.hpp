#pragma once
// Building blocks of the YAML loader, shared by every configuration section.
//
// * `diagnostics` collects every problem as "FILE:LINE:COLUMN: what; expected X"
//   so the operator sees all of them at once, sorted by position.
// * `read_*` turn one YAML node into a typed value, or record why not.
// * `field<T>` tables describe a YAML map: key, what it expects, how to store
//   it. `read_fields` walks a map against such a table and reports unknown keys
//   (with the allowed list and a "did you mean"), duplicate keys, empty values
//   and missing required keys, so a new section is a table plus a call.
//
// Never throws: yaml-cpp's node accessors that can throw are not used.

#include <yaml-cpp/yaml.h>

#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "config/scalar.hpp"

namespace vipgate::config {

// ---- error collection -------------------------------------------------------

class diagnostics {
  public:
    // Beyond this many errors the rest are counted, not listed: a binary file
    // fed by mistake must not produce a megabyte of messages.
    static constexpr std::size_t max_listed = 100;

    // How message() and warnings() order their lines: by (line, column) for
    // one YAML file, or in the order reported for a keepalived.conf with
    // includes (positions in different files do not compare; see
    // rank_files()).
    enum class ordering { by_position, as_reported };

    explicit diagnostics(std::string file, ordering order = ordering::by_position)
        : file_(std::move(file)), order_(order) {}

    const std::string& file() const noexcept { return file_; }
    // 1-based; yaml-cpp marks are 0-based. A null mark gives line/column 0.
    source_location where(const YAML::Mark& mark) const;
    source_location where(const YAML::Node& node) const { return where(node.Mark()); }

    // Records "LOCATION: what; expected EXPECTED" (no "; expected" part when
    // `expected` is empty).
    void error(const source_location& at, std::string_view what, std::string_view expected);
    void error(const YAML::Node& at, std::string_view what, std::string_view expected) {
        error(where(at), what, expected);
    }

    // With ordering::as_reported: sort by (position of the file in `files`,
    // line, column) instead, e.g. the files of a keepalived.conf in the order
    // they were read. Entries of other files keep their place at the end.
    void rank_files(std::vector<std::string> files) { ranked_files_ = std::move(files); }

    // Records a problem that does not stop the load ("LOCATION: what"): a
    // value adjusted the way keepalived adjusts it, a keepalived keyword that
    // vipgate ignores. Warnings never make ok() false.
    void warning(const source_location& at, std::string_view what);

    bool ok() const noexcept { return entries_.empty(); }
    std::size_t count() const noexcept { return entries_.size(); }
    // Every error, one per line, in the diagnostics' ordering (stable for
    // equal positions).
    std::string message() const;
    // Every warning as one "LOCATION: what" string each, in the same ordering.
    std::vector<std::string> warnings() const;

  private:
    struct entry {
        source_location at;
        std::string text;
    };
    std::vector<const entry*> ordered(const std::vector<entry>& entries) const;
    std::string file_;
    ordering order_;
    std::vector<std::string> ranked_files_;
    std::vector<entry> entries_;
    std::vector<entry> warnings_;
};

// ---- documents ----------------------------------------------------------------

// Parses `text` as exactly one YAML document and returns its root, or nullopt
// after recording why not (syntax error with its position, no document at
// all). Content after the first document is reported, and the first document
// is still returned so that its own errors are found too.
//
// Why not YAML::LoadAll: in yaml-cpp 0.7 a stray ',' outside a flow
// collection (", a" or "- a\n, b") makes it produce empty documents forever
// until memory runs out, and YAML::Load silently ignores such trailing junk.
// This parses with a bounded number of YAML::Parser calls and detects a
// parser that stopped making progress.
std::optional<YAML::Node> parse_single_document(diagnostics& diag, const std::string& text,
                                                std::string_view expected);

// ---- paths and descriptions used in messages ---------------------------------

// "dataplane" + "burst" -> "dataplane.burst"; "" + "ports" -> "ports".
std::string child_path(std::string_view parent, std::string_view key);
// "ports" + 1 -> "ports[1]".
std::string index_path(std::string_view parent, std::size_t index);
// The start of a message about `path`: "dataplane.burst: ", or "top level: " for "".
std::string subject(std::string_view path);
// Text from the file as shown in a message: in single quotes, at most 40
// characters (then "..."), control characters escaped so that one error stays
// on one line: "'abc'", "'a\\nb'".
std::string quote(std::string_view text);
// "a map", "a sequence", "no value", "a quoted string '32'", "'abc'".
std::string describe(const YAML::Node& node);
// "a, b, c"
std::string join_keys(const std::vector<std::string_view>& keys);
// The key in `keys` closest to `word` if it is a plausible typo (edit distance
// with transpositions, at most 2 and less than half the word), else nullopt.
std::optional<std::string_view> closest_key(std::string_view word,
                                            const std::vector<std::string_view>& keys);

// ---- typed readers -------------------------------------------------------------
// Each returns the value, or records one error at the node and returns nullopt.
// `path` names the value in messages ("dataplane.burst", "ports[1].name").

// Any scalar (plain or quoted) as text; maps, sequences and null are errors.
std::optional<std::string> read_scalar(diagnostics& diag, const YAML::Node& node,
                                       std::string_view path, std::string_view expected);
// A non-empty scalar.
std::optional<std::string> read_string(diagnostics& diag, const YAML::Node& node,
                                       std::string_view path, std::string_view expected);
// Booleans and integers must be plain scalars: `"yes"` and `"32"` are strings.
std::optional<bool> read_bool(diagnostics& diag, const YAML::Node& node, std::string_view path);
std::optional<std::uint64_t> read_uint(diagnostics& diag, const YAML::Node& node,
                                       std::string_view path, const uint_spec& spec);
std::optional<std::chrono::nanoseconds> read_duration(diagnostics& diag, const YAML::Node& node,
                                                      std::string_view path,
                                                      const duration_spec& spec);
std::optional<net::ipv4_addr> read_ipv4_addr(diagnostics& diag, const YAML::Node& node,
                                             std::string_view path);
// "a.b.c.d/len" with min_len <= len <= max_len.
std::optional<net::ipv4_prefix> read_ipv4_prefix(diagnostics& diag, const YAML::Node& node,
                                                 std::string_view path, unsigned min_len = 0,
                                                 unsigned max_len = 32);

// ---- schema tables -----------------------------------------------------------------

template <class T>
struct field {
    using reader =
        std::function<void(diagnostics&, const YAML::Node& value, const std::string& path, T& out)>;
    std::string_view key;
    std::string expected; // what the value must look like, for messages
    reader read;          // called once per present key (with a null node only if nullable)
    bool required = false;
    bool nullable = false; // `key:` with no value is accepted (sections: all defaults)
};

template <class T>
field<T> required(field<T> f) {
    f.required = true;
    return f;
}

namespace detail {
struct key_info {
    std::string_view key;
    std::string_view expected;
    bool required;
    bool nullable;
};
// The type-independent part of read_fields: shape checks and key lookup. Calls
// visit(index into keys, value) once for each known key present (the first
// occurrence of a duplicate).
bool walk_map(diagnostics& diag, const YAML::Node& map, const std::string& path,
              const std::vector<key_info>& keys,
              const std::function<void(std::size_t, const YAML::Node&)>& visit);
std::string map_expected(const std::vector<std::string_view>& keys);
} // namespace detail

// Reads `map` into `out` according to `fields`. Returns false when `map` is not
// a map at all (that error is recorded); true otherwise, even if some values
// had errors (those are recorded too).
template <class T>
bool read_fields(diagnostics& diag, const YAML::Node& map, const std::string& path,
                 const std::vector<field<T>>& fields, T& out) {
    std::vector<detail::key_info> keys;
    keys.reserve(fields.size());
    for (const auto& f : fields) {
        keys.push_back({f.key, f.expected, f.required, f.nullable});
    }
    return detail::walk_map(diag, map, path, keys, [&](std::size_t i, const YAML::Node& value) {
        fields[i].read(diag, value, child_path(path, fields[i].key), out);
    });
}

template <class T>
std::vector<std::string_view> field_keys(const std::vector<field<T>>& fields) {
    std::vector<std::string_view> keys;
    for (const auto& f : fields) {
        keys.push_back(f.key);
    }
    return keys;
}

// Reads each item of a sequence with read_item(item, "path[i]"). Records an
// error when `seq` is not a sequence or has fewer than `min_items` items.
template <class F>
void read_sequence(diagnostics& diag, const YAML::Node& seq, const std::string& path,
                   std::string_view expected, std::size_t min_items, F&& read_item) {
    if (!seq.IsSequence()) {
        diag.error(seq, subject(path) + "got " + describe(seq), expected);
        return;
    }
    if (seq.size() < min_items) {
        diag.error(seq, subject(path) + "has " + std::to_string(seq.size()) + " items", expected);
    }
    std::size_t i = 0;
    for (const auto& item : seq) {
        read_item(item, index_path(path, i++));
    }
}

// ---- field factories ---------------------------------------------------------------

template <class T, class V>
field<T> uint_field(std::string_view key, V T::*member, uint_spec spec) {
    static_assert(std::is_unsigned_v<V>);
    assert(spec.max <= std::numeric_limits<V>::max());
    assert(spec.keyword_value <= std::numeric_limits<V>::max());
    return {key, spec.expected(),
            [member, spec](diagnostics& d, const YAML::Node& n, const std::string& p, T& out) {
                if (auto v = read_uint(d, n, p, spec)) {
                    out.*member = static_cast<V>(*v);
                }
            }};
}

template <class T>
field<T> bool_field(std::string_view key, bool T::*member) {
    return {key, std::string(bool_expected),
            [member](diagnostics& d, const YAML::Node& n, const std::string& p, T& out) {
                if (auto v = read_bool(d, n, p)) {
                    out.*member = *v;
                }
            }};
}

// A duration stored as a std::chrono::duration member.
template <class T, class Rep, class Period>
field<T> duration_field(std::string_view key, std::chrono::duration<Rep, Period> T::*member,
                        duration_spec spec) {
    using target = std::chrono::duration<Rep, Period>;
    if (spec.granularity < target{1}) {
        spec.granularity = std::chrono::duration_cast<std::chrono::nanoseconds>(target{1});
    }
    return {key, spec.expected(),
            [member, spec](diagnostics& d, const YAML::Node& n, const std::string& p, T& out) {
                if (auto v = read_duration(d, n, p, spec)) {
                    out.*member = std::chrono::duration_cast<target>(*v);
                }
            }};
}

// A duration stored as a plain count of `Unit` (e.g. reachable_time_s holds
// seconds): the value must be a whole number of Units.
template <class Unit, class T, class V>
field<T> duration_count_field(std::string_view key, V T::*member, duration_spec spec) {
    static_assert(std::is_unsigned_v<V>);
    if (spec.granularity < Unit{1}) {
        spec.granularity = std::chrono::duration_cast<std::chrono::nanoseconds>(Unit{1});
    }
    assert(std::chrono::duration_cast<Unit>(spec.max).count() >= 0);
    assert(static_cast<std::uint64_t>(std::chrono::duration_cast<Unit>(spec.max).count()) <=
           std::numeric_limits<V>::max());
    return {key, spec.expected(),
            [member, spec](diagnostics& d, const YAML::Node& n, const std::string& p, T& out) {
                if (auto v = read_duration(d, n, p, spec)) {
                    out.*member = static_cast<V>(std::chrono::duration_cast<Unit>(*v).count());
                }
            }};
}

// A nested map read with its own table, e.g. `dataplane:`. An empty value
// (`dataplane:` alone) keeps the defaults. `check` runs after the fields were
// read, for rules that tie several keys together. `fields` is kept by
// reference: pass a table with static storage (a function-local static).
template <class T, class S>
field<T>
section_field(std::string_view key, S T::*member, const std::vector<field<S>>& fields,
              std::type_identity_t<
                  std::function<void(diagnostics&, const YAML::Node&, const std::string&, S&)>>
                  check = {}) {
    field<T> f{key, detail::map_expected(field_keys(fields)),
               [member, &fields, check](diagnostics& d, const YAML::Node& n, const std::string& p,
                                        T& out) {
                   if (n.IsNull()) {
                       return;
                   }
                   if (read_fields(d, n, p, fields, out.*member) && check) {
                       check(d, n, p, out.*member);
                   }
               }};
    f.nullable = true;
    return f;
}

} // namespace vipgate::config
