#pragma once
// Helpers shared by the lib/lb tests: frames built with lib/net's builders,
// parsed with net::parse(), checked against full checksum recomputation.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <ostream>
#include <span>
#include <vector>

#include "lb/types.hpp"
#include "net/builder.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"

namespace vipgate::net {
// gtest prints addresses as dotted quads.
inline void PrintTo(const ipv4_addr& a, std::ostream* os) {
    *os << a.to_string();
}
} // namespace vipgate::net

namespace vipgate::lb::test {

using namespace std::chrono_literals;
using net::ipv4_addr;

inline time_point at(milliseconds ms) {
    return time_point{ms};
}

inline const net::eth_spec l2{.dst = {{0x02, 0, 0, 0, 0, 1}}, .src = {{0x02, 0, 0, 0, 0, 2}}};

struct frame {
    std::vector<std::uint8_t> bytes;
    net::packet_meta meta;

    std::span<std::uint8_t> span() { return bytes; }
    net::ipv4_cview ip() const { return net::ipv4_cview(std::span(bytes).subspan(meta.l3_offset)); }
    std::span<const std::uint8_t> l4() const {
        return std::span<const std::uint8_t>(bytes).subspan(meta.l4_offset, meta.l4_len);
    }
    net::tcp_cview tcp() const { return net::tcp_cview(l4()); }
    net::udp_cview udp() const { return net::udp_cview(l4()); }
    // Re-parse after a rewrite (the meta of the rewritten frame).
    net::packet_meta reparse() const {
        net::packet_meta m;
        EXPECT_EQ(net::parse(bytes, m), net::drop_reason::none);
        return m;
    }
};

inline frame finish(std::vector<std::uint8_t> buf, std::size_t n) {
    EXPECT_GT(n, 0u);
    buf.resize(n);
    frame f{std::move(buf), {}};
    EXPECT_EQ(net::parse(f.bytes, f.meta), net::drop_reason::none);
    return f;
}

inline std::vector<std::uint8_t> payload_bytes(std::size_t n, std::uint8_t seed = 0x41) {
    std::vector<std::uint8_t> p(n);
    for (std::size_t i = 0; i < n; ++i) {
        p[i] = static_cast<std::uint8_t>(seed + i * 7);
    }
    return p;
}

inline frame tcp_frame(ipv4_addr src, std::uint16_t sport, ipv4_addr dst, std::uint16_t dport,
                       std::uint8_t flags, std::span<const std::uint8_t> payload = {},
                       std::uint8_t ttl = 64, const net::eth_spec& eth = l2) {
    std::vector<std::uint8_t> buf(2048);
    const auto n = net::build_tcp_frame(buf, eth, {.src = src, .dst = dst, .ttl = ttl},
                                        {.src_port = sport,
                                         .dst_port = dport,
                                         .seq = 0x01020304,
                                         .ack = 0x0a0b0c0d,
                                         .flags = flags,
                                         .payload = payload});
    return finish(std::move(buf), n);
}

inline frame udp_frame(ipv4_addr src, std::uint16_t sport, ipv4_addr dst, std::uint16_t dport,
                       std::span<const std::uint8_t> payload = {}, bool checksum = true,
                       std::uint8_t ttl = 64) {
    std::vector<std::uint8_t> buf(2048);
    const auto n = net::build_udp_frame(
        buf, l2, {.src = src, .dst = dst, .ttl = ttl},
        {.src_port = sport, .dst_port = dport, .payload = payload, .compute_checksum = checksum});
    return finish(std::move(buf), n);
}

// Every checksum of a TCP/UDP frame verifies against a full recomputation.
inline void expect_checksums_valid(const frame& f) {
    const auto m = f.reparse(); // also verifies the IPv4 header checksum
    const auto l4 = std::span<const std::uint8_t>(f.bytes).subspan(m.l4_offset, m.l4_len);
    if (m.ip_proto == net::ip_proto_tcp) {
        EXPECT_TRUE(net::tcp_checksum_ok(m.src, m.dst, l4));
    } else if (m.ip_proto == net::ip_proto_udp) {
        EXPECT_TRUE(net::udp_checksum_ok(m.src, m.dst, l4));
    }
    const auto hdr =
        std::span<const std::uint8_t>(f.bytes).subspan(m.l3_offset, m.l4_offset - m.l3_offset);
    EXPECT_EQ(net::ipv4_cview(hdr).checksum(), net::ipv4_header_checksum(hdr));
}

} // namespace vipgate::lb::test
