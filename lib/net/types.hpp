#pragma once
// Address types shared by every library. Pure: no DPDK.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vipgate::net {

struct mac_addr {
    std::array<std::uint8_t, 6> bytes{};

    static constexpr mac_addr broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    constexpr bool is_zero() const {
        return (bytes[0] | bytes[1] | bytes[2] | bytes[3] | bytes[4] | bytes[5]) == 0;
    }
    constexpr bool is_multicast() const { return (bytes[0] & 1u) != 0; }
    friend constexpr bool operator==(const mac_addr&, const mac_addr&) = default;

    std::string to_string() const; // "aa:bb:cc:dd:ee:ff"
    static std::optional<mac_addr> parse(std::string_view s);
};

// IPv4 address in host byte order (compare and print naturally; the packet
// views convert at the wire boundary).
struct ipv4_addr {
    std::uint32_t value = 0;

    constexpr ipv4_addr() = default;
    constexpr explicit ipv4_addr(std::uint32_t host_order) : value(host_order) {}
    constexpr ipv4_addr(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d)
        : value((std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) |
                std::uint32_t{d}) {}
    friend constexpr auto operator<=>(const ipv4_addr&, const ipv4_addr&) = default;

    std::string to_string() const; // dotted quad
    // Strict dotted quad: four decimal octets 0-255, no leading '+', no spaces.
    static std::optional<ipv4_addr> parse(std::string_view s);
};

// An interface address with its prefix, e.g. 192.168.44.44/24.
struct ipv4_prefix {
    ipv4_addr addr;
    std::uint8_t len = 32;
    friend constexpr bool operator==(const ipv4_prefix&, const ipv4_prefix&) = default;

    constexpr std::uint32_t mask() const {
        return len == 0 ? 0u : ~std::uint32_t{0} << (32u - len);
    }
    constexpr bool contains(ipv4_addr a) const {
        return (a.value & mask()) == (addr.value & mask());
    }
    std::string to_string() const;
    static std::optional<ipv4_prefix> parse(std::string_view s); // "a.b.c.d/len"
};

} // namespace vipgate::net
