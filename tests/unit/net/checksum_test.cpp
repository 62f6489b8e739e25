#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "net/builder.hpp"
#include "net/byte_order.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"
#include "printers.hpp"

namespace vipgate::net {
namespace {

// Reference implementation, written straight from RFC 1071 §4.1 (16-bit
// words, 32-bit accumulator, fold at the end), so the optimised one is
// checked against something independent.
std::uint16_t reference_checksum(const std::vector<std::uint8_t>& d, std::uint32_t initial = 0) {
    std::uint32_t sum = initial;
    std::size_t i = 0;
    for (; i + 1 < d.size(); i += 2) {
        sum += static_cast<std::uint32_t>((d[i] << 8) | d[i + 1]);
    }
    if (i < d.size()) {
        sum += static_cast<std::uint32_t>(d[i] << 8);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

TEST(Checksum, Rfc1071Example) {
    // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (with carries
    // folded), so the checksum is ~ddf2 = 220d.
    const std::array<std::uint8_t, 8> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(checksum_sum(data), 0xddf2);
    EXPECT_EQ(internet_checksum(data), 0x220d);
    // Appending the checksum makes the block verify.
    const std::array<std::uint8_t, 10> with{0x00, 0x01, 0xf2, 0x03, 0xf4,
                                            0xf5, 0xf6, 0xf7, 0x22, 0x0d};
    EXPECT_TRUE(checksum_ok(with));
    auto broken = with;
    broken[3] ^= 0x40;
    EXPECT_FALSE(checksum_ok(broken));
}

TEST(Checksum, KnownIpv4Header) {
    // A widely used example header: 192.168.0.1 -> 192.168.0.199, UDP, TTL 64,
    // DF, total length 0x73; its checksum is 0xb861.
    std::array<std::uint8_t, 20> h{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    EXPECT_EQ(ipv4_header_checksum(h), 0xb861);
    // Whatever the field holds, it is treated as zero.
    h[10] = 0x12;
    h[11] = 0x34;
    EXPECT_EQ(ipv4_header_checksum(h), 0xb861);
    h[10] = 0xb8;
    h[11] = 0x61;
    EXPECT_TRUE(checksum_ok(h));
}

TEST(Checksum, OddLengthPadsWithZero) {
    const std::array<std::uint8_t, 3> odd{0x12, 0x34, 0x56};
    const std::array<std::uint8_t, 4> even{0x12, 0x34, 0x56, 0x00};
    EXPECT_EQ(internet_checksum(odd), internet_checksum(even));
    EXPECT_EQ(internet_checksum(odd), static_cast<std::uint16_t>(~(0x1234 + 0x5600)));
}

TEST(Checksum, EmptyIsAllOnes) {
    EXPECT_EQ(internet_checksum({}), 0xffff);
    EXPECT_EQ(checksum_sum({}, 0x1234), 0x1234);
}

TEST(Checksum, MatchesReferenceOnRandomData) {
    std::mt19937 rng(1071);
    for (int iter = 0; iter < 20000; ++iter) {
        std::vector<std::uint8_t> d(rng() % 300);
        for (auto& b : d) {
            b = static_cast<std::uint8_t>(rng());
        }
        const std::uint32_t initial = rng() % 4 == 0 ? rng() % 0x40000 : 0;
        ASSERT_EQ(internet_checksum(d, initial), reference_checksum(d, initial))
            << "size " << d.size();
    }
}

TEST(Checksum, ChainingEvenBlocksEqualsWhole) {
    std::mt19937 rng(7);
    for (int iter = 0; iter < 2000; ++iter) {
        std::vector<std::uint8_t> d(rng() % 200 + 1);
        for (auto& b : d) {
            b = static_cast<std::uint8_t>(rng());
        }
        const std::size_t cut = (rng() % (d.size() + 1)) & ~std::size_t{1};
        const std::span<const std::uint8_t> all(d);
        const std::uint16_t head = checksum_sum(all.first(cut));
        EXPECT_EQ(internet_checksum(all.subspan(cut), head), internet_checksum(all));
    }
}

TEST(Checksum, PseudoHeaderMatchesExplicitBytes) {
    const ipv4_addr src{192, 168, 44, 10};
    const ipv4_addr dst{192, 168, 44, 150};
    const std::uint16_t len = 0x1234;
    // RFC 768 / RFC 9293: src, dst, zero, protocol, length.
    const std::vector<std::uint8_t> pseudo{192, 168, 44, 10, 192, 168, 44, 150, 0, 17, 0x12, 0x34};
    EXPECT_EQ(checksum_fold(pseudo_header_sum(src, dst, ip_proto_udp, len)),
              static_cast<std::uint16_t>(~reference_checksum(pseudo)));
}

TEST(Checksum, UdpZeroIsSentAsAllOnes) {
    // Find a payload whose UDP checksum computes to 0: it must go out as
    // 0xffff (RFC 768), and still verify.
    const ipv4_addr src{10, 0, 0, 1};
    const ipv4_addr dst{10, 0, 0, 2};
    std::array<std::uint8_t, 10> seg{0x00, 0x01, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00};
    const std::uint16_t c = udp_checksum(src, dst, seg);
    // Put the complement of the current sum into the payload: total sum
    // becomes 0xffff, i.e. the checksum computes to 0.
    store_be16(seg.data() + 8, c);
    EXPECT_EQ(l4_checksum(src, dst, ip_proto_udp, seg), 0);
    EXPECT_EQ(udp_checksum(src, dst, seg), 0xffff);
    store_be16(seg.data() + 6, 0xffff);
    EXPECT_TRUE(udp_checksum_ok(src, dst, seg));
    store_be16(seg.data() + 6, 0); // "no checksum" is accepted
    EXPECT_TRUE(udp_checksum_ok(src, dst, seg));
    store_be16(seg.data() + 6, 0x1111);
    EXPECT_FALSE(udp_checksum_ok(src, dst, seg));
}

// Blocks shaped like a real header: a constant non-zero first word (the
// IPv4 version/IHL, or a pseudo-header protocol, is never zero), the
// checksum at offset 2, random data after. The all-zero block is the one
// input where eqn. 3 and a recompute legitimately pick different zeros.
std::vector<std::uint8_t> random_block(std::mt19937& rng) {
    std::vector<std::uint8_t> d(8 + 2 * (rng() % 60));
    for (auto& b : d) {
        // Bias towards 0x00 / 0xff so carries and -0/+0 cases are frequent.
        const auto r = rng() % 8;
        b = r == 0 ? 0x00 : r == 1 ? 0xff : static_cast<std::uint8_t>(rng());
    }
    d[0] = 0x45;
    store_be16(d.data() + 2, 0);
    store_be16(d.data() + 2, internet_checksum(d));
    return d;
}

std::uint16_t random_word(std::mt19937& rng) {
    const auto r = rng() % 6;
    return r == 0 ? 0x0000 : r == 1 ? 0xffff : static_cast<std::uint16_t>(rng());
}

std::uint16_t recompute(std::vector<std::uint8_t> d) {
    store_be16(d.data() + 2, 0);
    return internet_checksum(d);
}

TEST(ChecksumIncremental, Update16MatchesRecompute) {
    std::mt19937 rng(1624);
    for (int iter = 0; iter < 20000; ++iter) {
        auto d = random_block(rng);
        const std::size_t off = 4 + 2 * (rng() % ((d.size() - 4) / 2));
        const std::uint16_t old_word = load_be16(d.data() + off);
        const std::uint16_t new_word = rng() % 10 == 0 ? old_word : random_word(rng);
        const std::uint16_t old_csum = load_be16(d.data() + 2);
        store_be16(d.data() + off, new_word);
        const std::uint16_t inc = checksum_update16(old_csum, old_word, new_word);
        ASSERT_EQ(inc, recompute(d)) << "iter " << iter << " off " << off;
        store_be16(d.data() + 2, inc);
        ASSERT_TRUE(checksum_ok(d));
    }
}

TEST(ChecksumIncremental, Update32MatchesRecompute) {
    std::mt19937 rng(791);
    for (int iter = 0; iter < 20000; ++iter) {
        auto d = random_block(rng);
        const std::size_t off = 4 + 2 * (rng() % ((d.size() - 6) / 2));
        const std::uint32_t old_value = load_be32(d.data() + off);
        const std::uint32_t new_value =
            (std::uint32_t{random_word(rng)} << 16) | std::uint32_t{random_word(rng)};
        const std::uint16_t old_csum = load_be16(d.data() + 2);
        store_be32(d.data() + off, new_value);
        const std::uint16_t inc =
            checksum_update32(old_csum, ipv4_addr{old_value}, ipv4_addr{new_value});
        ASSERT_EQ(inc, recompute(d)) << "iter " << iter << " off " << off;
    }
}

TEST(ChecksumIncremental, ChainedUpdatesStayExact) {
    // NAT changes several fields in a row; errors must not accumulate.
    std::mt19937 rng(42);
    for (int iter = 0; iter < 2000; ++iter) {
        auto d = random_block(rng);
        std::uint16_t csum = load_be16(d.data() + 2);
        for (int step = 0; step < 8; ++step) {
            const std::size_t off = 4 + 2 * (rng() % ((d.size() - 4) / 2));
            const std::uint16_t old_word = load_be16(d.data() + off);
            const std::uint16_t new_word = random_word(rng);
            store_be16(d.data() + off, new_word);
            csum = checksum_update16(csum, old_word, new_word);
        }
        ASSERT_EQ(csum, recompute(d)) << "iter " << iter;
    }
}

// What NAT will do: rewrite destination address and port of a TCP or UDP
// frame and patch the IPv4 and L4 checksums incrementally. The result must
// equal a from-scratch computation.
TEST(ChecksumIncremental, NatRewriteOfBuiltFramesMatchesRecompute) {
    std::mt19937 rng(5798);
    std::array<std::uint8_t, 1600> buf{};
    std::vector<std::uint8_t> payload;
    for (int iter = 0; iter < 10000; ++iter) {
        payload.resize(rng() % 200);
        for (auto& b : payload) {
            b = static_cast<std::uint8_t>(rng());
        }
        const bool tcp = iter % 2 == 0;
        const eth_spec l2{.dst = mac_addr{{2, 0, 0, 0, 0, 1}}, .src = mac_addr{{2, 0, 0, 0, 0, 2}}};
        const ipv4_spec ip{.src = ipv4_addr{static_cast<std::uint32_t>(rng())},
                           .dst = ipv4_addr{static_cast<std::uint32_t>(rng())},
                           .id = static_cast<std::uint16_t>(rng())};
        const auto sport = static_cast<std::uint16_t>(rng());
        const auto dport = static_cast<std::uint16_t>(rng());
        const std::size_t n =
            tcp ? build_tcp_frame(buf, l2, ip,
                                  {.src_port = sport,
                                   .dst_port = dport,
                                   .seq = static_cast<std::uint32_t>(rng()),
                                   .flags = tcp_flag_ack,
                                   .payload = payload})
                : build_udp_frame(buf, l2, ip,
                                  {.src_port = sport, .dst_port = dport, .payload = payload});
        ASSERT_NE(n, 0u);
        const std::span<std::uint8_t> frame(buf.data(), n);
        packet_meta m;
        ASSERT_EQ(parse(frame, m), drop_reason::none);
        const ipv4_view iph(frame.subspan(m.l3_offset, 20));
        const auto l4 = frame.subspan(m.l4_offset, m.l4_len);

        const ipv4_addr new_dst{static_cast<std::uint32_t>(rng())};
        const auto new_port = static_cast<std::uint16_t>(rng());
        iph.set_checksum(checksum_update32(iph.checksum(), iph.dst(), new_dst));
        if (tcp) {
            const tcp_view t(l4);
            std::uint16_t c = checksum_update32(t.checksum(), iph.dst(), new_dst);
            c = checksum_update16(c, t.dst_port(), new_port);
            t.set_checksum(c);
            t.set_dst_port(new_port);
        } else {
            const udp_view u(l4);
            std::uint16_t c = udp_checksum_update32(u.checksum(), iph.dst().value, new_dst.value);
            c = udp_checksum_update16(c, u.dst_port(), new_port);
            u.set_checksum(c);
            u.set_dst_port(new_port);
        }
        iph.set_dst(new_dst);

        ASSERT_EQ(iph.checksum(), ipv4_header_checksum(iph.bytes())) << "iter " << iter;
        if (tcp) {
            ASSERT_EQ(tcp_view(l4).checksum(), tcp_checksum(ip.src, new_dst, l4))
                << "iter " << iter;
            ASSERT_TRUE(tcp_checksum_ok(ip.src, new_dst, l4));
        } else {
            ASSERT_EQ(udp_view(l4).checksum(), udp_checksum(ip.src, new_dst, l4))
                << "iter " << iter;
            ASSERT_TRUE(udp_checksum_ok(ip.src, new_dst, l4));
        }
    }
}

TEST(ChecksumIncremental, UdpNoChecksumStaysZero) {
    EXPECT_EQ(udp_checksum_update16(0, 0x1234, 0x4321), 0);
    EXPECT_EQ(udp_checksum_update32(0, 0x0a000001u, 0xc0a80001u), 0);
    // A result that would be 0 is sent as 0xffff:
    // ~(~0x0001 + ~0x0000 + 0x0001) = ~(0xfffe + 0xffff + 0x0001) = ~0xffff = 0.
    EXPECT_EQ(checksum_update16(0x0001, 0x0000, 0x0001), 0x0000);
    EXPECT_EQ(udp_checksum_update16(0x0001, 0x0000, 0x0001), 0xffff);
}

TEST(ChecksumIncremental, Rfc1624Example) {
    // RFC 1624 §4: HC = 0xdd2f, a 16-bit field m = 0x5555 becomes 0x3285.
    // ~HC + ~m + m' = 0x22d0 + 0xaaaa + 0x3285 = 0xffff, so eqn. 3 gives
    // 0x0000, which is correct (eqn. 2 of RFC 1141 gave 0xffff).
    EXPECT_EQ(checksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

} // namespace
} // namespace vipgate::net
