#pragma once
// Strict parsers for the scalar values of vipgate's configuration: integers,
// booleans, durations, IPv4 addresses and prefixes, PCI addresses. They work on
// plain text, with no YAML in sight, so the YAML loader and the keepalived.conf
// importer share one definition of what "3s" or "yes" means.
//
// Each parser returns either the value or a short reason phrase ("is out of
// range", "is not a duration"); the caller prefixes the offending text and its
// location and appends "; expected " + the spec's expected() text.

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "net/types.hpp"

namespace vipgate::config {

// ---- booleans ---------------------------------------------------------------

// true/false, yes/no, on/off, in lower, Title or UPPER case (YAML 1.1's words).
// Digits are not booleans: `1` is rejected so a typo cannot flip a switch.
std::optional<bool> parse_bool(std::string_view text);
inline constexpr std::string_view bool_expected = "a boolean (true/false, yes/no, on/off)";

// ---- unsigned integers ------------------------------------------------------

// A plain decimal integer in [min, max]: digits only, no sign, no leading zero
// (YAML 1.1 would read 010 as octal), no 0x, no underscores. "-1" is reported
// as out of range rather than as junk, which is what the reader meant.
result<std::uint64_t> parse_uint(std::string_view text, std::uint64_t min, std::uint64_t max);

constexpr bool is_power_of_two(std::uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

// What an integer setting accepts; `expected()` renders it for error messages
// ("an integer 1..256", "a power of two 64..16384", "\"auto\" or an integer 0..64").
struct uint_spec {
    std::uint64_t min = 0;
    std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    bool power_of_two = false;
    std::string_view keyword{};      // a word accepted in place of a number, e.g. "auto"
    std::uint64_t keyword_value = 0; // the value the keyword stands for

    std::string expected() const;
    result<std::uint64_t> parse(std::string_view text) const;
};

// ---- durations --------------------------------------------------------------

// A number with an optional unit: ns, us, ms, s, m, h; no unit means seconds.
// Decimals are allowed ("0.5s", "1.5m") as long as the result is a whole number
// of nanoseconds. Negative values, spaces, unknown units and values beyond
// std::chrono::nanoseconds (about 292 years) are rejected.
result<std::chrono::nanoseconds> parse_duration(std::string_view text);

// Shortest exact rendering with the largest unit that divides the value:
// 300s -> "5m", 1500ms -> "1500ms", 0 -> "0s".
std::string format_duration(std::chrono::nanoseconds d);

struct duration_spec {
    std::chrono::nanoseconds min{0};
    std::chrono::nanoseconds max = std::chrono::nanoseconds::max();
    // The value must be a whole multiple of this (e.g. 1s for a setting kept in
    // seconds, 10ms for VRRP's centisecond advert interval).
    std::chrono::nanoseconds granularity{1};

    std::string expected() const;
    result<std::chrono::nanoseconds> parse(std::string_view text) const;
};

// ---- addresses --------------------------------------------------------------

// IPv4 addresses and prefixes are parsed by net::ipv4_addr::parse and
// net::ipv4_prefix::parse (strict dotted quad, prefix length required).

// Why `p` cannot be an interface's own address, or nullopt when it can:
// 0.0.0.0/8, loopback, multicast, reserved 240/4 and limited broadcast, and
// for prefixes up to /30 the subnet's network and broadcast addresses
// (/31 and /32 have neither, RFC 3021).
std::optional<std::string> host_address_problem(net::ipv4_prefix p);

// A PCI address as DPDK names devices: "DDDD:BB:DD.F" or "BB:DD.F" (hex, device
// 00-1f, function 0-7). Returns the canonical lower-case "dddd:bb:dd.f" form.
std::optional<std::string> normalize_pci_address(std::string_view text);

} // namespace vipgate::config
