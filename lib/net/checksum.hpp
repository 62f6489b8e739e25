#pragma once
// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// Conventions used throughout:
//  * Data is summed as big-endian 16-bit words, so a checksum value here is
//    the number you get with load_be16() on the checksum field and store with
//    store_be16(). (RFC 1071 §2(B): the sum is byte-order independent, so
//    this is just the natural choice for code that reads fields as numbers.)
//  * A "sum" is the one's-complement sum, not yet complemented, folded to 16
//    bits. A "checksum" is its complement: what goes into the header.
//  * A block verifies when the checksum computed over it *including* its
//    checksum field is 0 (RFC 1071 §1, "to check a checksum").

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/types.hpp"

namespace vipgate::net {

// Folds a 32-bit accumulator to 16 bits with end-around carry (RFC 1071 §2(C)).
constexpr std::uint16_t checksum_fold(std::uint32_t sum) noexcept {
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

// One's-complement sum of `data` added to `initial` (e.g. a pseudo-header
// sum). An odd trailing byte is padded with a zero on the right (RFC 1071
// §4.1). When chaining several blocks, every block but the last must have an
// even length. Returns the folded, uncomplemented sum.
std::uint16_t checksum_sum(std::span<const std::uint8_t> data, std::uint32_t initial = 0) noexcept;

// The checksum to store: ~checksum_sum(data, initial).
inline std::uint16_t internet_checksum(std::span<const std::uint8_t> data,
                                       std::uint32_t initial = 0) noexcept {
    return static_cast<std::uint16_t>(~checksum_sum(data, initial));
}

// True when `data` (its checksum field included) verifies.
inline bool checksum_ok(std::span<const std::uint8_t> data, std::uint32_t initial = 0) noexcept {
    return internet_checksum(data, initial) == 0;
}

// IPv4 header checksum (RFC 791 §3.1) of `header` (exactly IHL*4 bytes),
// computed as if its checksum field were zero, whatever it holds.
// Precondition: header.size() >= 20.
std::uint16_t ipv4_header_checksum(std::span<const std::uint8_t> header) noexcept;

// Sum of the TCP/UDP pseudo-header: src, dst, zero, protocol, L4 length
// (RFC 768; RFC 9293 §3.1). Pass it as `initial` to checksum_sum().
constexpr std::uint32_t pseudo_header_sum(ipv4_addr src, ipv4_addr dst, std::uint8_t protocol,
                                          std::uint16_t l4_len) noexcept {
    return (src.value >> 16) + (src.value & 0xffffu) + (dst.value >> 16) + (dst.value & 0xffffu) +
           std::uint32_t{protocol} + std::uint32_t{l4_len};
}

// TCP or UDP checksum over `segment` (header + payload) with the checksum
// field taken as zero. For UDP, a result of 0 must be sent as 0xffff
// (RFC 768: 0 means "no checksum"); udp_checksum() does that.
std::uint16_t l4_checksum(ipv4_addr src, ipv4_addr dst, std::uint8_t protocol,
                          std::span<const std::uint8_t> segment) noexcept;
std::uint16_t tcp_checksum(ipv4_addr src, ipv4_addr dst,
                           std::span<const std::uint8_t> segment) noexcept;
std::uint16_t udp_checksum(ipv4_addr src, ipv4_addr dst,
                           std::span<const std::uint8_t> segment) noexcept;

// Verifies a received segment with its checksum field in place. A UDP
// checksum of 0 means the sender did not compute one and is accepted.
bool tcp_checksum_ok(ipv4_addr src, ipv4_addr dst, std::span<const std::uint8_t> segment) noexcept;
bool udp_checksum_ok(ipv4_addr src, ipv4_addr dst, std::span<const std::uint8_t> segment) noexcept;

// RFC 1624 §3 eqn. 3: HC' = ~(~HC + ~m + m'). `checksum` is the stored
// (complemented) value, `old_word`/`new_word` the 16-bit field before and
// after the change. Unlike eqn. 2 it never turns a valid checksum into the
// wrong zero (RFC 1624 §4). Use for ports, TTL/protocol, ICMP type/code, ...
constexpr std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_word,
                                          std::uint16_t new_word) noexcept {
    const std::uint32_t sum = std::uint32_t{static_cast<std::uint16_t>(~checksum)} +
                              std::uint32_t{static_cast<std::uint16_t>(~old_word)} +
                              std::uint32_t{new_word};
    return static_cast<std::uint16_t>(~checksum_fold(sum));
}

// The same for a 32-bit field (an IPv4 address): both halves at once. Used by
// NAT for the IPv4 header checksum and, since addresses are part of the
// pseudo-header, for the TCP/UDP checksum as well.
constexpr std::uint16_t checksum_update32(std::uint16_t checksum, std::uint32_t old_value,
                                          std::uint32_t new_value) noexcept {
    const std::uint32_t old_inv = ~old_value;
    const std::uint32_t sum = std::uint32_t{static_cast<std::uint16_t>(~checksum)} +
                              (old_inv >> 16) + (old_inv & 0xffffu) + (new_value >> 16) +
                              (new_value & 0xffffu);
    return static_cast<std::uint16_t>(~checksum_fold(sum));
}

constexpr std::uint16_t checksum_update32(std::uint16_t checksum, ipv4_addr old_addr,
                                          ipv4_addr new_addr) noexcept {
    return checksum_update32(checksum, old_addr.value, new_addr.value);
}

// Several fields at once (RFC 1624 eqn. 3 with m and m' summed over every
// changed 16-bit word): `delta` is the sum of checksum_delta16/32() of the
// fields. One fold for all of them; the result is the one updating field by
// field gives (a fold never turns a non-zero sum into 0, so the end-around
// representatives agree).
constexpr std::uint32_t checksum_delta16(std::uint16_t old_word, std::uint16_t new_word) noexcept {
    return std::uint32_t{static_cast<std::uint16_t>(~old_word)} + std::uint32_t{new_word};
}
constexpr std::uint32_t checksum_delta32(std::uint32_t old_value,
                                         std::uint32_t new_value) noexcept {
    const std::uint32_t old_inv = ~old_value;
    return (old_inv >> 16) + (old_inv & 0xffffu) + (new_value >> 16) + (new_value & 0xffffu);
}
// `delta`: at most a few dozen fields' worth (no 32-bit overflow).
constexpr std::uint16_t checksum_apply(std::uint16_t checksum, std::uint32_t delta) noexcept {
    return static_cast<std::uint16_t>(
        ~checksum_fold(std::uint32_t{static_cast<std::uint16_t>(~checksum)} + delta));
}
// UDP: 0 ("none") stays 0, a computed 0 goes out as 0xffff (RFC 768).
constexpr std::uint16_t udp_checksum_apply(std::uint16_t checksum, std::uint32_t delta) noexcept {
    if (checksum == 0) {
        return 0;
    }
    const std::uint16_t c = checksum_apply(checksum, delta);
    return c == 0 ? std::uint16_t{0xffff} : c;
}

// UDP variant: a checksum of 0 means "none" and must stay 0; a computed 0
// goes on the wire as 0xffff (RFC 768).
constexpr std::uint16_t udp_checksum_update16(std::uint16_t checksum, std::uint16_t old_word,
                                              std::uint16_t new_word) noexcept {
    if (checksum == 0) {
        return 0;
    }
    const std::uint16_t c = checksum_update16(checksum, old_word, new_word);
    return c == 0 ? std::uint16_t{0xffff} : c;
}

constexpr std::uint16_t udp_checksum_update32(std::uint16_t checksum, std::uint32_t old_value,
                                              std::uint32_t new_value) noexcept {
    if (checksum == 0) {
        return 0;
    }
    const std::uint16_t c = checksum_update32(checksum, old_value, new_value);
    return c == 0 ? std::uint16_t{0xffff} : c;
}

} // namespace vipgate::net
