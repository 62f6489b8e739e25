#pragma once
// Explicit network byte order (big-endian) loads and stores on raw bytes.
//
// Packet fields are never read through casted struct pointers: frames are
// not aligned for us and type punning is UB. std::memcpy into a local and an
// explicit byte swap compile to a single (possibly unaligned) load plus
// bswap on x86 and arm64, and are well defined everywhere.
//
// Callers guarantee that [p, p + N) is inside the buffer (the header views
// check the span length once, then use these unchecked).

#include <bit>
#include <cstdint>
#include <cstring>

#include "net/types.hpp"

namespace vipgate::net {

namespace detail {
inline std::uint16_t to_from_be(std::uint16_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        return static_cast<std::uint16_t>((v << 8) | (v >> 8));
    } else {
        return v;
    }
}
inline std::uint32_t to_from_be(std::uint32_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        return __builtin_bswap32(v);
    } else {
        return v;
    }
}
} // namespace detail

inline std::uint16_t load_be16(const std::uint8_t* p) noexcept {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return detail::to_from_be(v);
}

inline std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return detail::to_from_be(v);
}

inline void store_be16(std::uint8_t* p, std::uint16_t v) noexcept {
    v = detail::to_from_be(v);
    std::memcpy(p, &v, sizeof v);
}

inline void store_be32(std::uint8_t* p, std::uint32_t v) noexcept {
    v = detail::to_from_be(v);
    std::memcpy(p, &v, sizeof v);
}

inline mac_addr load_mac(const std::uint8_t* p) noexcept {
    mac_addr m;
    std::memcpy(m.bytes.data(), p, m.bytes.size());
    return m;
}

inline void store_mac(std::uint8_t* p, const mac_addr& m) noexcept {
    std::memcpy(p, m.bytes.data(), m.bytes.size());
}

// ipv4_addr is host order; on the wire it is big-endian (RFC 791 §3.1).
inline ipv4_addr load_ipv4(const std::uint8_t* p) noexcept {
    return ipv4_addr{load_be32(p)};
}

inline void store_ipv4(std::uint8_t* p, ipv4_addr a) noexcept {
    store_be32(p, a.value);
}

} // namespace vipgate::net
