#include "net/types.hpp"

#include <cstdio>

namespace vipgate::net {

namespace {

int hex_value(char c) noexcept {
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

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// A decimal number of 1-3 digits, no sign, no leading zero (so "010" cannot
// be mistaken for octal as inet_aton would), at most `max`. Advances `pos`.
bool parse_decimal(std::string_view s, std::size_t& pos, unsigned max, unsigned& out) noexcept {
    const std::size_t start = pos;
    unsigned v = 0;
    while (pos < s.size() && is_digit(s[pos]) && pos - start < 3) {
        v = v * 10 + static_cast<unsigned>(s[pos] - '0');
        ++pos;
    }
    const std::size_t n = pos - start;
    if (n == 0 || (n > 1 && s[start] == '0') || v > max) {
        return false;
    }
    // A fourth digit means the number is too long, not a new token.
    if (pos < s.size() && is_digit(s[pos])) {
        return false;
    }
    out = v;
    return true;
}

bool parse_dotted_quad(std::string_view s, std::size_t& pos, std::uint32_t& out) noexcept {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        if (i > 0) {
            if (pos >= s.size() || s[pos] != '.') {
                return false;
            }
            ++pos;
        }
        unsigned octet = 0;
        if (!parse_decimal(s, pos, 255, octet)) {
            return false;
        }
        v = (v << 8) | octet;
    }
    out = v;
    return true;
}

} // namespace

std::string mac_addr::to_string() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                  bytes[3], bytes[4], bytes[5]);
    return std::string(buf, 17);
}

std::optional<mac_addr> mac_addr::parse(std::string_view s) {
    // Exactly "xx:xx:xx:xx:xx:xx", hex digits in either case.
    if (s.size() != 17) {
        return std::nullopt;
    }
    mac_addr m;
    for (std::size_t i = 0; i < 6; ++i) {
        const std::size_t at = i * 3;
        if (i > 0 && s[at - 1] != ':') {
            return std::nullopt;
        }
        const int hi = hex_value(s[at]);
        const int lo = hex_value(s[at + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        m.bytes[i] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
    return m;
}

std::string ipv4_addr::to_string() const {
    char buf[16];
    const int n = std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", (value >> 24) & 0xffu,
                                (value >> 16) & 0xffu, (value >> 8) & 0xffu, value & 0xffu);
    return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<ipv4_addr> ipv4_addr::parse(std::string_view s) {
    std::size_t pos = 0;
    std::uint32_t v = 0;
    if (!parse_dotted_quad(s, pos, v) || pos != s.size()) {
        return std::nullopt;
    }
    return ipv4_addr{v};
}

std::string ipv4_prefix::to_string() const {
    return addr.to_string() + "/" + std::to_string(len);
}

std::optional<ipv4_prefix> ipv4_prefix::parse(std::string_view s) {
    // The prefix length is required: an interface address without one is
    // ambiguous (a /32 and a /24 behave very differently for ARP).
    std::size_t pos = 0;
    std::uint32_t v = 0;
    if (!parse_dotted_quad(s, pos, v) || pos >= s.size() || s[pos] != '/') {
        return std::nullopt;
    }
    ++pos;
    unsigned len = 0;
    if (!parse_decimal(s, pos, 32, len) || pos != s.size()) {
        return std::nullopt;
    }
    return ipv4_prefix{ipv4_addr{v}, static_cast<std::uint8_t>(len)};
}

} // namespace vipgate::net
