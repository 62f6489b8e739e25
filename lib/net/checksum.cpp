#include "net/checksum.hpp"

#include "net/byte_order.hpp"
#include "net/headers.hpp"

namespace vipgate::net {

std::uint16_t checksum_sum(std::span<const std::uint8_t> data, std::uint32_t initial) noexcept {
    // Summing 32-bit big-endian words into a 64-bit accumulator gives the
    // same one's-complement result as 16-bit words, because 2^16 == 1 and
    // 2^32 == 1 modulo 0xffff (RFC 1071 §2(A)/(C): any word size works as
    // long as the carries are folded back in at the end).
    std::uint64_t acc = initial;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    while (n >= 4) {
        acc += load_be32(p);
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        acc += load_be16(p);
        p += 2;
        n -= 2;
    }
    if (n == 1) {
        acc += std::uint32_t{*p} << 8; // odd byte padded with zero (RFC 1071 §4.1)
    }
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    return checksum_fold(static_cast<std::uint32_t>(acc));
}

namespace {

// Sum of `data` with the 16-bit field at the even offset `skip` left out,
// which is the same as summing with that field zeroed, without copying.
std::uint16_t sum_skipping(std::span<const std::uint8_t> data, std::size_t skip,
                           std::uint32_t initial) noexcept {
    if (data.size() < skip + 2) {
        return checksum_sum(data, initial);
    }
    const std::uint16_t head = checksum_sum(data.first(skip), initial);
    return checksum_sum(data.subspan(skip + 2), head);
}

} // namespace

std::uint16_t ipv4_header_checksum(std::span<const std::uint8_t> header) noexcept {
    return static_cast<std::uint16_t>(~sum_skipping(header, ipv4_cview::off_checksum, 0));
}

std::uint16_t l4_checksum(ipv4_addr src, ipv4_addr dst, std::uint8_t protocol,
                          std::span<const std::uint8_t> segment) noexcept {
    // The pseudo-header length is the segment length; IPv4 payloads never
    // exceed 65515 bytes, the cast only matters for out-of-contract input.
    const std::uint32_t pseudo =
        pseudo_header_sum(src, dst, protocol, static_cast<std::uint16_t>(segment.size()));
    std::size_t skip = segment.size(); // no field to skip: sum everything
    if (protocol == ip_proto_tcp) {
        skip = tcp_cview::off_checksum;
    } else if (protocol == ip_proto_udp) {
        skip = udp_cview::off_checksum;
    }
    return static_cast<std::uint16_t>(~sum_skipping(segment, skip, pseudo));
}

std::uint16_t tcp_checksum(ipv4_addr src, ipv4_addr dst,
                           std::span<const std::uint8_t> segment) noexcept {
    return l4_checksum(src, dst, ip_proto_tcp, segment);
}

std::uint16_t udp_checksum(ipv4_addr src, ipv4_addr dst,
                           std::span<const std::uint8_t> segment) noexcept {
    const std::uint16_t c = l4_checksum(src, dst, ip_proto_udp, segment);
    return c == 0 ? std::uint16_t{0xffff} : c; // RFC 768: 0 is "no checksum"
}

bool tcp_checksum_ok(ipv4_addr src, ipv4_addr dst, std::span<const std::uint8_t> segment) noexcept {
    const auto pseudo =
        pseudo_header_sum(src, dst, ip_proto_tcp, static_cast<std::uint16_t>(segment.size()));
    return checksum_ok(segment, pseudo);
}

bool udp_checksum_ok(ipv4_addr src, ipv4_addr dst, std::span<const std::uint8_t> segment) noexcept {
    if (segment.size() >= udp_header_len && udp_cview(segment).checksum() == 0) {
        return true;
    }
    const auto pseudo =
        pseudo_header_sum(src, dst, ip_proto_udp, static_cast<std::uint16_t>(segment.size()));
    return checksum_ok(segment, pseudo);
}

} // namespace vipgate::net
