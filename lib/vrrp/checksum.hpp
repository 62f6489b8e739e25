#pragma once
// RFC 1071 Internet checksum, kept inside lib/vrrp so the VRRP code does not
// depend on lib/net's helpers. Byte order: the sum is computed over 16-bit
// big-endian words, so the result is written to the wire high byte first.

#include <cstddef>
#include <cstdint>
#include <span>

namespace vipgate::vrrp::detail {

// One's-complement sum of `data` added to `acc`, not folded, not inverted.
constexpr std::uint32_t sum16(std::span<const std::uint8_t> data, std::uint32_t acc = 0) noexcept {
    std::size_t i = 0;
    for (; i + 1 < data.size(); i += 2) {
        acc += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
    }
    if (i < data.size()) { // odd length: pad with a zero byte (RFC 1071 §4.1)
        acc += static_cast<std::uint32_t>(data[i] << 8);
    }
    return acc;
}

constexpr std::uint16_t fold(std::uint32_t acc) noexcept {
    while (acc >> 16) {
        acc = (acc & 0xffffu) + (acc >> 16);
    }
    return static_cast<std::uint16_t>(acc);
}

// The checksum field value: the complement of the folded sum.
constexpr std::uint16_t finish(std::uint32_t acc) noexcept {
    return static_cast<std::uint16_t>(~fold(acc));
}

// Sum of the IPv4 pseudo-header used by the VRRPv3 checksum
// (RFC 5798 §5.2.8): source, destination, zero, protocol 112, VRRP length.
constexpr std::uint32_t pseudo_header_sum(std::uint32_t src_host, std::uint32_t dst_host,
                                          std::uint16_t vrrp_length) noexcept {
    return (src_host >> 16) + (src_host & 0xffffu) + (dst_host >> 16) + (dst_host & 0xffffu) +
           112u + vrrp_length;
}

} // namespace vipgate::vrrp::detail
