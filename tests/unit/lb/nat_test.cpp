// NAT rewrite and ICMP error translation, checksums checked against full
// recomputation.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "lb/nat.hpp"
#include "test_util.hpp"

namespace vipgate::lb {
namespace {

using net::ipv4_addr;
using test::frame;

const ipv4_addr client{203, 0, 113, 7};
const ipv4_addr vip{192, 168, 44, 150};
const ipv4_addr rs{172, 18, 0, 2};
const ipv4_addr router{198, 51, 100, 1};

struct rewrite_case {
    const char* name;
    std::uint8_t proto;
    std::size_t payload;
    bool udp_checksum = true;
    bool vlan = false;
};

class nat_rewrite : public ::testing::TestWithParam<rewrite_case> {};

frame make(const rewrite_case& c, ipv4_addr src, std::uint16_t sport, ipv4_addr dst,
           std::uint16_t dport) {
    const auto pl = test::payload_bytes(c.payload);
    if (c.proto == net::ip_proto_tcp) {
        auto eth = test::l2;
        if (c.vlan) {
            eth.vlan_tci = 100;
        }
        return test::tcp_frame(src, sport, dst, dport, net::tcp_flag_ack | net::tcp_flag_psh, pl,
                               64, eth);
    }
    return test::udp_frame(src, sport, dst, dport, pl, c.udp_checksum);
}

TEST_P(nat_rewrite, forward_then_reply) {
    const auto& c = GetParam();
    // client -> VIP:80 becomes client -> RS:8080
    auto f = make(c, client, 40000, vip, 80);
    const auto before = f.bytes;
    ASSERT_EQ(nat_forward(f.span(), f.meta, rs, 8080), drop_reason::none);
    auto m = f.reparse();
    EXPECT_EQ(m.src, client);
    EXPECT_EQ(m.dst, rs);
    EXPECT_EQ(m.src_port, 40000);
    EXPECT_EQ(m.dst_port, 8080);
    EXPECT_EQ(f.ip().ttl(), 63);
    test::expect_checksums_valid(f);
    if (c.proto == net::ip_proto_udp && !c.udp_checksum) {
        EXPECT_EQ(f.udp().checksum(), 0); // "no checksum" stays so (RFC 768)
    }
    // Only the fields that had to change changed (and the payload is intact).
    std::size_t diffs = 0;
    for (std::size_t i = 0; i < before.size(); ++i) {
        diffs += before[i] != f.bytes[i];
    }
    EXPECT_LE(diffs, 4u /*addr*/ + 2 /*port*/ + 1 /*ttl*/ + 2 /*ip csum*/ + 2 /*l4 csum*/);

    // RS:8080 -> client becomes VIP:80 -> client
    auto r = make(c, rs, 8080, client, 40000);
    ASSERT_EQ(nat_reply(r.span(), r.meta, vip, 80), drop_reason::none);
    m = r.reparse();
    EXPECT_EQ(m.src, vip);
    EXPECT_EQ(m.src_port, 80);
    EXPECT_EQ(m.dst, client);
    EXPECT_EQ(m.dst_port, 40000);
    test::expect_checksums_valid(r);
    // Byte for byte what a sender at VIP:80 would have built.
    const auto expected = make(c, vip, 80, client, 40000);
    auto expected_bytes = expected.bytes;
    expected_bytes[expected.meta.l3_offset + net::ipv4_cview::off_ttl] = 63;
    const auto hdr = std::span(expected_bytes).subspan(expected.meta.l3_offset, 20);
    net::ipv4_view(hdr).set_checksum(net::ipv4_header_checksum(hdr));
    EXPECT_EQ(r.bytes, expected_bytes);
}

INSTANTIATE_TEST_SUITE_P(
    frames, nat_rewrite,
    ::testing::Values(rewrite_case{"tcp_syn_like", net::ip_proto_tcp, 0},
                      rewrite_case{"tcp_payload", net::ip_proto_tcp, 1000},
                      rewrite_case{"tcp_odd_payload", net::ip_proto_tcp, 333},
                      rewrite_case{"tcp_vlan", net::ip_proto_tcp, 64, true, true},
                      rewrite_case{"udp", net::ip_proto_udp, 48},
                      rewrite_case{"udp_odd", net::ip_proto_udp, 7},
                      rewrite_case{"udp_no_checksum", net::ip_proto_udp, 48, false}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(nat, random_rewrites_always_verify) {
    // Many random address/port pairs: RFC 1624 eqn. 3 never leaves a wrong
    // zero / 0xffff behind.
    std::mt19937 rng(1624);
    for (int i = 0; i < 3000; ++i) {
        const ipv4_addr a{static_cast<std::uint32_t>(rng())};
        const ipv4_addr b{static_cast<std::uint32_t>(rng())};
        const ipv4_addr to{static_cast<std::uint32_t>(rng())};
        const auto p1 = static_cast<std::uint16_t>(rng());
        const auto p2 = static_cast<std::uint16_t>(rng());
        const auto p3 = static_cast<std::uint16_t>(rng());
        const auto pl = test::payload_bytes(static_cast<std::size_t>(rng() % 64),
                                            static_cast<std::uint8_t>(rng()));
        auto t = i % 2 == 0 ? test::tcp_frame(a, p1, b, p2, net::tcp_flag_ack, pl)
                            : test::udp_frame(a, p1, b, p2, pl);
        ASSERT_EQ(i % 4 < 2 ? nat_forward(t.span(), t.meta, to, p3)
                            : nat_reply(t.span(), t.meta, to, p3),
                  drop_reason::none);
        const auto m = t.reparse();
        const auto l4 = std::span<const std::uint8_t>(t.bytes).subspan(m.l4_offset, m.l4_len);
        if (i % 2 == 0) {
            ASSERT_TRUE(net::tcp_checksum_ok(m.src, m.dst, l4)) << i;
        } else {
            ASSERT_TRUE(net::udp_checksum_ok(m.src, m.dst, l4)) << i;
            ASSERT_NE(t.udp().checksum(), 0) << i; // a computed 0 is sent as 0xffff
        }
    }
}

TEST(nat, ttl_one_is_not_forwarded_and_frame_untouched) {
    for (std::uint8_t ttl : {std::uint8_t{0}, std::uint8_t{1}}) {
        auto f = test::tcp_frame(client, 40000, vip, 80, net::tcp_flag_syn, {}, ttl);
        const auto before = f.bytes;
        EXPECT_FALSE(ttl_allows_forwarding(f.bytes, f.meta));
        EXPECT_EQ(nat_forward(f.span(), f.meta, rs, 8080), drop_reason::lb_ttl_exceeded);
        EXPECT_EQ(nat_reply(f.span(), f.meta, rs, 8080), drop_reason::lb_ttl_exceeded);
        EXPECT_EQ(f.bytes, before);
    }
    auto f = test::tcp_frame(client, 40000, vip, 80, net::tcp_flag_syn, {}, 2);
    EXPECT_TRUE(ttl_allows_forwarding(f.bytes, f.meta));
    EXPECT_EQ(nat_forward(f.span(), f.meta, rs, 8080), drop_reason::none);
    EXPECT_EQ(f.ip().ttl(), 1);
    test::expect_checksums_valid(f);
}

// ---------------------------------------------------------------- ICMP errors

// An ICMP error from `src` to `dst` quoting the first `quote_len` bytes of
// the IPv4 packet in `quoted` (from its L3 header on).
frame icmp_error_frame(ipv4_addr src, ipv4_addr dst, std::uint8_t type, std::uint8_t code,
                       std::uint16_t mtu, const frame& quoted, std::size_t quote_len) {
    const auto l3 = std::span<const std::uint8_t>(quoted.bytes).subspan(quoted.meta.l3_offset);
    const std::size_t total = quoted.ip().total_length();
    std::vector<std::uint8_t> msg(8 + std::min(quote_len, total));
    msg[0] = type;
    msg[1] = code;
    net::store_be16(msg.data() + 6, mtu); // RFC 1191 next-hop MTU (0 for other codes)
    std::copy_n(l3.begin(), msg.size() - 8, msg.begin() + 8);
    net::store_be16(msg.data() + 2, net::internet_checksum(msg));
    std::vector<std::uint8_t> buf(2048);
    const auto n =
        net::build_ipv4_frame(buf, test::l2, {.src = src, .dst = dst}, net::ip_proto_icmp, msg);
    return test::finish(std::move(buf), n);
}

struct quoted_view {
    std::span<const std::uint8_t> icmp;
    std::span<const std::uint8_t> inner; // quoted IPv4 packet (as much as quoted)
    net::ipv4_cview ip() const { return net::ipv4_cview(inner); }
    std::span<const std::uint8_t> l4() const { return inner.subspan(ip().header_len()); }
};

quoted_view view(const frame& f) {
    const auto m = f.reparse();
    const auto icmp = std::span<const std::uint8_t>(f.bytes).subspan(m.l4_offset, m.l4_len);
    return {icmp, icmp.subspan(8)};
}

TEST(nat_icmp, frag_needed_from_client_side_reaches_real_server) {
    // The reply we sent (VIP:80 -> client, 1400 bytes, DF) met a 1300-byte
    // link; a router near the client says so, to the VIP.
    const auto pl = test::payload_bytes(100);
    const auto reply = test::tcp_frame(vip, 80, client, 40000, net::tcp_flag_ack, pl);
    struct quote_case {
        const char* name;
        std::size_t len;
        bool l4_checksum_quoted;
    };
    for (const auto& c :
         {quote_case{"whole packet (RFC 1812)", 2000, true},
          quote_case{"header + 8 (RFC 792)", 28, false}, quote_case{"header + 18", 38, true}}) {
        SCOPED_TRACE(c.name);
        auto f = icmp_error_frame(router, vip, 3, 4, 1300, reply, c.len);
        icmp_quote q;
        ASSERT_EQ(parse_icmp_error(f.bytes, f.meta, q), drop_reason::none);
        EXPECT_EQ(q.type, 3);
        EXPECT_EQ(q.code, 4);
        EXPECT_EQ(q.quoted, (flow_key{vip, client, 80, 40000, protocol::tcp}));
        // The key to look up: the flow's forward key.
        EXPECT_EQ(q.lookup_key(), (flow_key{client, vip, 40000, 80, protocol::tcp}));

        ASSERT_EQ(nat_icmp_forward(f.span(), f.meta, q, rs, 8080), drop_reason::none);
        const auto m = f.reparse(); // outer IPv4 checksum verified here
        EXPECT_EQ(m.src, router);
        EXPECT_EQ(m.dst, rs);
        EXPECT_EQ(f.ip().ttl(), 63);
        const auto v = view(f);
        EXPECT_TRUE(net::checksum_ok(v.icmp)) << "ICMP checksum";
        EXPECT_EQ(net::load_be16(v.icmp.data() + 6), 1300); // MTU untouched
        // The quote now shows what the real server really sent.
        EXPECT_EQ(v.ip().src(), rs);
        EXPECT_EQ(v.ip().dst(), client);
        EXPECT_TRUE(net::checksum_ok(v.inner.first(v.ip().header_len()))) << "inner IPv4";
        EXPECT_EQ(net::load_be16(v.l4().data()), 8080);
        EXPECT_EQ(net::load_be16(v.l4().data() + 2), 40000);
        if (c.len >= reply.ip().total_length()) {
            EXPECT_TRUE(net::tcp_checksum_ok(rs, client, v.l4())) << "inner TCP";
        }
        if (c.l4_checksum_quoted) {
            // Whatever the quote length, the quoted TCP checksum is the one
            // the real server's packet carried.
            auto orig = test::tcp_frame(rs, 8080, client, 40000, net::tcp_flag_ack, pl);
            EXPECT_EQ(net::load_be16(v.l4().data() + 16), orig.tcp().checksum());
        }
    }
}

TEST(nat_icmp, port_unreachable_from_real_server_reaches_client) {
    // We forwarded client:5353 -> RS:53 (UDP); the real server answers port
    // unreachable to the client. It must look like it came from VIP:53.
    for (bool udp_csum : {true, false}) {
        SCOPED_TRACE(udp_csum ? "udp checksum" : "udp checksum 0");
        const auto fwd = test::udp_frame(client, 5353, rs, 53, test::payload_bytes(30), udp_csum);
        auto f = icmp_error_frame(rs, client, 3, 3, 0, fwd, 2000);
        icmp_quote q;
        ASSERT_EQ(parse_icmp_error(f.bytes, f.meta, q), drop_reason::none);
        EXPECT_EQ(q.lookup_key(), (flow_key{rs, client, 53, 5353, protocol::udp})); // reverse key
        ASSERT_EQ(nat_icmp_reply(f.span(), f.meta, q, vip, 53), drop_reason::none);
        const auto m = f.reparse();
        EXPECT_EQ(m.src, vip); // the inside is not shown to the client
        EXPECT_EQ(m.dst, client);
        const auto v = view(f);
        EXPECT_TRUE(net::checksum_ok(v.icmp));
        EXPECT_EQ(v.ip().src(), client);
        EXPECT_EQ(v.ip().dst(), vip);
        EXPECT_TRUE(net::checksum_ok(v.inner.first(v.ip().header_len())));
        EXPECT_EQ(net::load_be16(v.l4().data() + 2), 53);
        EXPECT_TRUE(net::udp_checksum_ok(client, vip, v.l4()));
        if (!udp_csum) {
            EXPECT_EQ(net::load_be16(v.l4().data() + 6), 0);
        }
    }
}

TEST(nat_icmp, time_exceeded_is_translated_too) {
    const auto fwd = test::tcp_frame(client, 40000, rs, 8080, net::tcp_flag_syn);
    auto f = icmp_error_frame(router, client, 11, 0, 0, fwd, 48);
    icmp_quote q;
    ASSERT_EQ(parse_icmp_error(f.bytes, f.meta, q), drop_reason::none);
    ASSERT_EQ(nat_icmp_reply(f.span(), f.meta, q, vip, 80), drop_reason::none);
    EXPECT_TRUE(net::checksum_ok(view(f).icmp));
    EXPECT_EQ(view(f).ip().dst(), vip);
}

TEST(nat_icmp, rejects_what_it_cannot_translate) {
    const auto tcp = test::tcp_frame(vip, 80, client, 40000, net::tcp_flag_ack);
    struct reject_case {
        const char* name;
        frame f;
        drop_reason expected;
    };
    std::vector<reject_case> cases;
    {
        std::vector<std::uint8_t> buf(256);
        const auto n = net::build_icmp_echo_frame(buf, test::l2, {.src = client, .dst = vip}, {});
        cases.push_back(
            {"echo request", test::finish(std::move(buf), n), drop_reason::lb_icmp_not_error});
    }
    cases.push_back({"quote too short", icmp_error_frame(router, vip, 3, 4, 1300, tcp, 24),
                     drop_reason::lb_icmp_bad_quote});
    {
        auto bad = icmp_error_frame(router, vip, 3, 4, 1300, tcp, 100);
        bad.bytes[bad.meta.l4_offset + 2] ^= 0x01;
        cases.push_back({"bad checksum", std::move(bad), drop_reason::lb_icmp_bad_checksum});
    }
    {
        std::vector<std::uint8_t> buf(256);
        const auto n = net::build_icmp_echo_frame(buf, test::l2, {.src = vip, .dst = client},
                                                  {.payload = test::payload_bytes(8)});
        const auto echo = test::finish(std::move(buf), n);
        cases.push_back({"quotes ICMP", icmp_error_frame(router, vip, 3, 1, 0, echo, 100),
                         drop_reason::lb_icmp_quote_unsupported});
    }
    {
        // Quoting a non-first fragment: no ports in it.
        std::vector<std::uint8_t> buf(256);
        const auto pl = test::payload_bytes(40);
        const auto n =
            net::build_ipv4_frame(buf, test::l2, {.src = vip, .dst = client, .fragment_offset = 10},
                                  net::ip_proto_tcp, pl);
        buf.resize(n);
        frame frag{std::move(buf), {}};
        frag.meta.l3_offset = 14; // parse() refuses fragments; only the L3 offset is needed
        cases.push_back({"quotes a fragment", icmp_error_frame(router, vip, 3, 4, 1300, frag, 60),
                         drop_reason::lb_icmp_quote_unsupported});
    }
    for (auto& c : cases) {
        icmp_quote q;
        EXPECT_EQ(parse_icmp_error(c.f.bytes, c.f.meta, q), c.expected)
            << c.name << ": " << drop_reason_name(parse_icmp_error(c.f.bytes, c.f.meta, q));
    }
    // Without verification the damaged checksum is not noticed.
    auto bad = icmp_error_frame(router, vip, 3, 4, 1300, tcp, 100);
    bad.bytes[bad.meta.l4_offset + 2] ^= 0x01;
    icmp_quote q;
    EXPECT_EQ(parse_icmp_error(bad.bytes, bad.meta, q, false), drop_reason::none);
}

TEST(nat_icmp, ttl_one_is_not_forwarded) {
    const auto reply = test::tcp_frame(vip, 80, client, 40000, net::tcp_flag_ack);
    auto f = icmp_error_frame(router, vip, 3, 4, 1300, reply, 100);
    net::ipv4_view ip(f.span().subspan(f.meta.l3_offset));
    ip.set_ttl(1);
    const auto hdr = f.span().subspan(f.meta.l3_offset, 20);
    ip.set_checksum(net::ipv4_header_checksum(hdr));
    icmp_quote q;
    ASSERT_EQ(parse_icmp_error(f.bytes, f.meta, q), drop_reason::none);
    const auto before = f.bytes;
    EXPECT_EQ(nat_icmp_forward(f.span(), f.meta, q, rs, 8080), drop_reason::lb_ttl_exceeded);
    EXPECT_EQ(f.bytes, before);
}

TEST(drop_reason, names_and_help) {
    EXPECT_STREQ(drop_reason_name(drop_reason::none), "none");
    EXPECT_STREQ(drop_reason_name(drop_reason::lb_flow_table_full), "lb_flow_table_full");
    EXPECT_STREQ(drop_reason_name(drop_reason::lb_icmp_no_flow), "lb_icmp_no_flow");
    EXPECT_STREQ(drop_reason_name(static_cast<drop_reason>(200)), "unknown");
    for (std::size_t i = 1; i < drop_reason_count; ++i) {
        const std::string name = drop_reason_name(static_cast<drop_reason>(i));
        EXPECT_EQ(name.rfind("lb_", 0), 0u) << name;
        EXPECT_GT(std::string(drop_reason_help(static_cast<drop_reason>(i))).size(), 10u);
    }
}

} // namespace
} // namespace vipgate::lb
