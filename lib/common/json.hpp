#pragma once
// A small ordered JSON value: what every `show` command builds once and then
// renders three ways (JSON for scripts, human tables, DPDK telemetry).
// Control path only.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace vipgate {

class json {
  public:
    using array_t = std::vector<json>;
    using object_t = std::vector<std::pair<std::string, json>>; // keeps insertion order

    json() : v_(nullptr) {}
    json(std::nullptr_t) : v_(nullptr) {}
    json(bool b) : v_(b) {}
    json(int i) : v_(static_cast<std::int64_t>(i)) {}
    json(long i) : v_(static_cast<std::int64_t>(i)) {}
    json(long long i) : v_(static_cast<std::int64_t>(i)) {}
    json(unsigned i) : v_(static_cast<std::uint64_t>(i)) {}
    json(unsigned long i) : v_(static_cast<std::uint64_t>(i)) {}
    json(unsigned long long i) : v_(static_cast<std::uint64_t>(i)) {}
    json(double d) : v_(d) {}
    json(const char* s) : v_(std::string(s)) {}
    json(std::string s) : v_(std::move(s)) {}
    json(std::string_view s) : v_(std::string(s)) {}

    static json array() {
        json j;
        j.v_ = array_t{};
        return j;
    }
    static json object() {
        json j;
        j.v_ = object_t{};
        return j;
    }

    bool is_null() const { return v_.index() == 0; }
    bool is_bool() const { return v_.index() == 1; }
    bool is_int() const { return v_.index() == 2; }
    bool is_uint() const { return v_.index() == 3; }
    bool is_double() const { return v_.index() == 4; }
    bool is_string() const { return v_.index() == 5; }
    bool is_array() const { return v_.index() == 6; }
    bool is_object() const { return v_.index() == 7; }

    bool as_bool() const { return std::get<bool>(v_); }
    std::int64_t as_int() const;   // int or uint
    std::uint64_t as_uint() const; // int or uint
    double as_double() const;      // any number
    const std::string& as_string() const { return std::get<std::string>(v_); }
    const array_t& as_array() const { return std::get<array_t>(v_); }
    array_t& as_array() { return std::get<array_t>(v_); }
    const object_t& as_object() const { return std::get<object_t>(v_); }
    object_t& as_object() { return std::get<object_t>(v_); }

    // Object: set (replace or append) and look up.
    json& set(std::string key, json value);
    const json* find(std::string_view key) const;
    const json& operator[](std::string_view key) const; // throws std::out_of_range
    // Array: append.
    json& push(json value);
    std::size_t size() const;

    // Rendering. `indent` < 0: compact one line.
    std::string dump(int indent = -1) const;
    // Scalar as plain text (strings unquoted), for human tables.
    std::string to_text() const;

    // Strict parser for tests and tools (RFC 8259 subset: no comments).
    static bool parse(std::string_view text, json& out, std::string* err = nullptr);

  private:
    std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, array_t,
                 object_t>
        v_;
    void dump_to(std::string& out, int indent, int depth) const;
};

std::string json_escape(std::string_view s);

// Render an array of flat objects as an aligned text table; columns are the
// keys of the first row (or `columns` when given).
std::string render_table(const json& rows, const std::vector<std::string>& columns = {});
// Render a flat object as "key: value" lines, aligned.
std::string render_kv(const json& obj);

} // namespace vipgate
