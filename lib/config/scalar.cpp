#include "config/scalar.hpp"

#include <array>
#include <cstdio>

namespace vipgate::config {

namespace {

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

constexpr int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool all_digits(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        if (!is_digit(c)) {
            return false;
        }
    }
    return true;
}

// Decimal digits to a value; nullopt on overflow. `s` must be all digits.
std::optional<std::uint64_t> digits_value(std::string_view s) {
    std::uint64_t v = 0;
    for (char c : s) {
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, d, &v)) {
            return std::nullopt;
        }
    }
    return v;
}

struct duration_unit {
    std::string_view suffix;
    std::int64_t ns;
};

// Largest first: format_duration picks the first unit that divides exactly.
constexpr std::array<duration_unit, 6> duration_units{{
    {"h", 3'600'000'000'000},
    {"m", 60'000'000'000},
    {"s", 1'000'000'000},
    {"ms", 1'000'000},
    {"us", 1'000},
    {"ns", 1},
}};

std::string granularity_text(std::chrono::nanoseconds g) {
    using namespace std::chrono_literals;
    if (g == 1s) {
        return "whole seconds";
    }
    if (g == 1ms) {
        return "whole milliseconds";
    }
    if (g == 1us) {
        return "whole microseconds";
    }
    return "multiples of " + format_duration(g);
}

} // namespace

std::optional<bool> parse_bool(std::string_view text) {
    static constexpr std::array<std::string_view, 9> yes{"true", "True", "TRUE", "yes", "Yes",
                                                         "YES",  "on",   "On",   "ON"};
    static constexpr std::array<std::string_view, 9> no{"false", "False", "FALSE", "no", "No",
                                                        "NO",    "off",   "Off",   "OFF"};
    for (auto w : yes) {
        if (text == w) {
            return true;
        }
    }
    for (auto w : no) {
        if (text == w) {
            return false;
        }
    }
    return std::nullopt;
}

result<std::uint64_t> parse_uint(std::string_view text, std::uint64_t min, std::uint64_t max) {
    if (text.empty()) {
        return make_error("is empty");
    }
    if (text.front() == '-' && all_digits(text.substr(1))) {
        return make_error("is out of range");
    }
    if (!all_digits(text)) {
        return make_error("is not an integer");
    }
    if (text.size() > 1 && text.front() == '0') {
        return make_error("has a leading zero (octal in YAML 1.1)");
    }
    const auto v = digits_value(text);
    if (!v || *v < min || *v > max) {
        return make_error("is out of range");
    }
    return *v;
}

std::string uint_spec::expected() const {
    std::string s;
    if (!keyword.empty()) {
        s += '"';
        s += keyword;
        s += "\" or ";
    }
    s += power_of_two ? "a power of two" : "an integer";
    if (min != 0 || max != std::numeric_limits<std::uint64_t>::max()) {
        s += ' ' + std::to_string(min) + ".." + std::to_string(max);
    }
    return s;
}

result<std::uint64_t> uint_spec::parse(std::string_view text) const {
    if (!keyword.empty() && text == keyword) {
        return keyword_value;
    }
    auto v = parse_uint(text, min, max);
    if (v.ok() && power_of_two && !is_power_of_two(*v)) {
        return make_error("is not a power of two");
    }
    return v;
}

result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
    if (text.empty()) {
        return make_error("is empty");
    }
    if (text.front() == '-') {
        return make_error("is negative");
    }
    std::size_t i = 0;
    while (i < text.size() && is_digit(text[i])) {
        ++i;
    }
    const std::string_view int_digits = text.substr(0, i);
    std::string_view frac_digits;
    if (i < text.size() && text[i] == '.') {
        const std::size_t start = ++i;
        while (i < text.size() && is_digit(text[i])) {
            ++i;
        }
        frac_digits = text.substr(start, i - start);
        if (frac_digits.empty()) {
            return make_error("is not a duration");
        }
    }
    if (int_digits.empty()) {
        return make_error("is not a duration");
    }
    if (int_digits.size() > 1 && int_digits.front() == '0') {
        return make_error("has a leading zero");
    }

    const std::string_view suffix = text.substr(i);
    std::int64_t unit = 1'000'000'000; // no unit: seconds
    if (!suffix.empty()) {
        unit = 0;
        for (const auto& u : duration_units) {
            if (suffix == u.suffix) {
                unit = u.ns;
            }
        }
        if (unit == 0) {
            bool letters = true;
            for (char c : suffix) {
                letters = letters && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
            }
            if (letters) {
                return make_error("has an unknown unit '" + std::string(suffix) + "'");
            }
            return make_error("is not a duration");
        }
    }

    const auto whole = digits_value(int_digits);
    std::uint64_t total = 0;
    if (!whole || __builtin_mul_overflow(*whole, static_cast<std::uint64_t>(unit), &total)) {
        return make_error("is too large");
    }
    // Each fraction digit is worth unit / 10^k; exact while that divides evenly.
    // A non-zero digit past that point would need sub-nanosecond precision.
    auto place = static_cast<std::uint64_t>(unit);
    bool exact = true;
    for (char c : frac_digits) {
        if (exact && place % 10 == 0) {
            place /= 10;
        } else {
            exact = false;
        }
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (d == 0) {
            continue;
        }
        if (!exact) {
            return make_error("is more precise than 1ns");
        }
        if (__builtin_add_overflow(total, d * place, &total)) {
            return make_error("is too large");
        }
    }
    if (total > static_cast<std::uint64_t>(std::chrono::nanoseconds::max().count())) {
        return make_error("is too large");
    }
    return std::chrono::nanoseconds{static_cast<std::int64_t>(total)};
}

std::string format_duration(std::chrono::nanoseconds d) {
    const std::int64_t n = d.count();
    if (n == 0) {
        return "0s";
    }
    for (const auto& u : duration_units) {
        if (n % u.ns == 0) {
            return std::to_string(n / u.ns) + std::string(u.suffix);
        }
    }
    return std::to_string(n) + "ns"; // unreachable: the last unit divides everything
}

std::string duration_spec::expected() const {
    std::string s = "a duration";
    const bool has_min = min.count() != 0;
    const bool has_max = max != std::chrono::nanoseconds::max();
    if (has_max) {
        s += ' ' + format_duration(min) + ".." + format_duration(max);
    } else if (has_min) {
        s += " of at least " + format_duration(min);
    }
    if (granularity.count() > 1) {
        s += " in " + granularity_text(granularity);
    }
    // Examples the setting accepts: no "100ms" for a whole-seconds value.
    s += granularity >= std::chrono::seconds{1} ? ", such as 30s or 5m"
                                                : ", such as 1s, 100ms or 2m";
    return s;
}

result<std::chrono::nanoseconds> duration_spec::parse(std::string_view text) const {
    auto d = parse_duration(text);
    if (!d.ok()) {
        return d;
    }
    if (*d < min || *d > max) {
        return make_error("is out of range");
    }
    if (granularity.count() > 1 && d->count() % granularity.count() != 0) {
        return make_error("is not in " + granularity_text(granularity));
    }
    return d;
}

std::optional<std::string> host_address_problem(net::ipv4_prefix p) {
    const std::uint32_t a = p.addr.value;
    const std::uint32_t first = a >> 24;
    if (first == 0) {
        return "is in 0.0.0.0/8 (\"this network\", RFC 1122 3.2.1.3)";
    }
    if (first == 127) {
        return "is a loopback address";
    }
    if (first >= 224 && first <= 239) {
        return "is a multicast address";
    }
    if (a == 0xffffffffu) {
        return "is the limited broadcast address";
    }
    if (first >= 240) {
        return "is in the reserved range 240.0.0.0/4";
    }
    // RFC 3021: a /31 has no network or broadcast address; a /32 is one host.
    if (p.len <= 30) {
        const std::uint32_t mask = p.mask();
        const net::ipv4_prefix subnet{net::ipv4_addr{a & mask}, p.len};
        if ((a & ~mask) == 0) {
            return "is the network address of " + subnet.to_string();
        }
        if ((a & ~mask) == ~mask) {
            return "is the broadcast address of " + subnet.to_string();
        }
    }
    return std::nullopt;
}

std::optional<std::string> normalize_pci_address(std::string_view text) {
    // Fields as (digits, separator that follows); the domain is optional.
    auto hex_field = [](std::string_view s, std::size_t digits, unsigned& out) {
        if (s.size() < digits) {
            return false;
        }
        out = 0;
        for (std::size_t i = 0; i < digits; ++i) {
            const int h = hex_value(s[i]);
            if (h < 0) {
                return false;
            }
            out = out * 16u + static_cast<unsigned>(h);
        }
        return true;
    };
    unsigned domain = 0;
    // "DDDD:BB:DD.F" is 12 characters, "BB:DD.F" is 7.
    if (text.size() == 12) {
        if (!hex_field(text, 4, domain) || text[4] != ':') {
            return std::nullopt;
        }
        text.remove_prefix(5);
    }
    unsigned bus = 0;
    unsigned dev = 0;
    unsigned fn = 0;
    if (text.size() != 7 || !hex_field(text, 2, bus) || text[2] != ':' ||
        !hex_field(text.substr(3), 2, dev) || text[5] != '.' || !hex_field(text.substr(6), 1, fn)) {
        return std::nullopt;
    }
    if (dev > 0x1f || fn > 7) {
        return std::nullopt;
    }
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", domain, bus, dev, fn);
    return std::string(buf);
}

} // namespace vipgate::config
