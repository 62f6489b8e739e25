// Every builder round-trips through parse(); parse() rejects every malformed
// variant with the right reason; no builder writes past its span.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "net/builder.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"
#include "printers.hpp"

namespace vipgate::net {
namespace {

using bytes = std::vector<std::uint8_t>;
using builder_fn = std::function<std::size_t(std::span<std::uint8_t>)>;

const mac_addr mac_a{{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}};
const mac_addr mac_b{{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b}};
const ipv4_addr ip_a{192, 168, 44, 10};
const ipv4_addr ip_b{192, 168, 44, 44};
const ipv4_addr vip{192, 168, 44, 150};

const std::array<std::uint8_t, 56> ping_data = [] {
    std::array<std::uint8_t, 56> a{};
    for (std::size_t i = 0; i < a.size(); ++i) {
        a[i] = static_cast<std::uint8_t>(i);
    }
    return a;
}();
const std::array<std::uint8_t, 3> odd_data{0xde, 0xad, 0xbe};
const std::array<std::uint8_t, 5> udp_data{'h', 'e', 'l', 'l', 'o'};
const std::array<std::uint8_t, 100> tcp_data{};
const std::array<std::uint8_t, 4> tcp_mss{0x02, 0x04, 0x05, 0xb4}; // MSS 1460
const std::array<std::uint8_t, 4> ip_nops{0x01, 0x01, 0x01, 0x00}; // NOP NOP NOP EOL
const std::array<std::uint8_t, 20> vrrp_body{0x21, 0x33, 0x64, 0x01};

struct build_case {
    const char* name;
    builder_fn build;
    std::size_t want_size; // bytes the builder returns (with padding)
    packet_meta want;
};

std::vector<build_case> build_cases() {
    return {
        {.name = "arp_request",
         .build = [](auto out) { return build_arp_request(out, mac_a, ip_a, ip_b); },
         .want_size = 60,
         .want = {.l3_offset = 14,
                  .frame_len = 42,
                  .ethertype = ethertype_arp,
                  .arp_op = arp_op_request,
                  .src = ip_a,
                  .dst = ip_b}},
        {.name = "arp_request_vlan",
         .build = [](auto out) { return build_arp_request(out, mac_a, ip_a, ip_b, 0x2064); },
         .want_size = 60,
         .want = {.l3_offset = 18,
                  .frame_len = 46,
                  .ethertype = ethertype_arp,
                  .vlan_tci = 0x2064,
                  .has_vlan = true,
                  .arp_op = arp_op_request,
                  .src = ip_a,
                  .dst = ip_b}},
        {.name = "arp_reply",
         .build = [](auto out) { return build_arp_reply(out, mac_b, ip_b, mac_a, ip_a); },
         .want_size = 60,
         .want = {.l3_offset = 14,
                  .frame_len = 42,
                  .ethertype = ethertype_arp,
                  .arp_op = arp_op_reply,
                  .src = ip_b,
                  .dst = ip_a}},
        {.name = "garp",
         .build = [](auto out) { return build_garp(out, mac_b, vip); },
         .want_size = 60,
         .want = {.l3_offset = 14,
                  .frame_len = 42,
                  .ethertype = ethertype_arp,
                  .arp_op = arp_op_request,
                  .src = vip,
                  .dst = vip}},
        {.name = "arp_qinq_tag_unpadded",
         .build =
             [](auto out) {
                 return build_arp_frame(
                     out,
                     {.dst = mac_addr::broadcast(),
                      .src = mac_a,
                      .vlan_tci = 7,
                      .vlan_tpid = ethertype_qinq,
                      .pad_to_min = false},
                     {.op = arp_op_request, .sha = mac_a, .spa = ip_a, .tpa = vip});
             },
         .want_size = 46,
         .want = {.l3_offset = 18,
                  .frame_len = 46,
                  .ethertype = ethertype_arp,
                  .vlan_tci = 7,
                  .has_vlan = true,
                  .arp_op = arp_op_request,
                  .src = ip_a,
                  .dst = vip}},
        {.name = "icmp_echo_request",
         .build =
             [](auto out) {
                 return build_icmp_echo_frame(out, {.dst = mac_b, .src = mac_a},
                                              {.src = ip_a, .dst = ip_b, .id = 77},
                                              {.id = 0x4242, .seq = 1, .payload = ping_data});
             },
         .want_size = 98,
         .want = {.l3_offset = 14,
                  .l4_offset = 34,
                  .l4_len = 64,
                  .frame_len = 98,
                  .ethertype = ethertype_ipv4,
                  .ip_proto = ip_proto_icmp,
                  .src = ip_a,
                  .dst = ip_b}},
        {.name = "icmp_echo_reply_vlan_odd_padded",
         .build =
             [](auto out) {
                 return build_icmp_echo_frame(out, {.dst = mac_b, .src = mac_a, .vlan_tci = 10},
                                              {.src = ip_b, .dst = ip_a},
                                              {.type = icmp_type_echo_reply, .payload = odd_data});
             },
         .want_size = 60,
         .want = {.l3_offset = 18,
                  .l4_offset = 38,
                  .l4_len = 11,
                  .frame_len = 49,
                  .ethertype = ethertype_ipv4,
                  .vlan_tci = 10,
                  .has_vlan = true,
                  .ip_proto = ip_proto_icmp,
                  .src = ip_b,
                  .dst = ip_a}},
        {.name = "udp_unpadded",
         .build =
             [](auto out) {
                 return build_udp_frame(out, {.dst = mac_b, .src = mac_a, .pad_to_min = false},
                                        {.src = ip_a, .dst = vip},
                                        {.src_port = 5353, .dst_port = 53, .payload = udp_data});
             },
         .want_size = 47,
         .want = {.l3_offset = 14,
                  .l4_offset = 34,
                  .l4_len = 13,
                  .frame_len = 47,
                  .ethertype = ethertype_ipv4,
                  .ip_proto = ip_proto_udp,
                  .src = ip_a,
                  .dst = vip,
                  .src_port = 5353,
                  .dst_port = 53}},
        {.name = "tcp_syn_with_mss",
         .build =
             [](auto out) {
                 return build_tcp_frame(out, {.dst = mac_b, .src = mac_a},
                                        {.src = ip_a, .dst = vip, .dont_fragment = true},
                                        {.src_port = 40000,
                                         .dst_port = 3306,
                                         .seq = 1000,
                                         .flags = tcp_flag_syn,
                                         .options = tcp_mss});
             },
         .want_size = 60,
         .want = {.l3_offset = 14,
                  .l4_offset = 34,
                  .l4_len = 24,
                  .frame_len = 58,
                  .ethertype = ethertype_ipv4,
                  .ip_proto = ip_proto_tcp,
                  .src = ip_a,
                  .dst = vip,
                  .src_port = 40000,
                  .dst_port = 3306}},
        {.name = "tcp_data_ip_options",
         .build =
             [](auto out) {
                 return build_tcp_frame(out, {.dst = mac_b, .src = mac_a},
                                        {.src = vip, .dst = ip_a, .options = ip_nops},
                                        {.src_port = 3306,
                                         .dst_port = 40000,
                                         .seq = 0xfffffff0u,
                                         .ack = 1001,
                                         .flags = tcp_flag_ack | tcp_flag_psh,
                                         .payload = tcp_data});
             },
         .want_size = 158,
         .want = {.l3_offset = 14,
                  .l4_offset = 38,
                  .l4_len = 120,
                  .frame_len = 158,
                  .ethertype = ethertype_ipv4,
                  .ip_proto = ip_proto_tcp,
                  .src = vip,
                  .dst = ip_a,
                  .src_port = 3306,
                  .dst_port = 40000}},
        {.name = "vrrp_raw_ipv4",
         .build =
             [](auto out) {
                 return build_ipv4_frame(
                     out, {.dst = mac_addr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}}, .src = mac_a},
                     {.src = ip_b, .dst = ipv4_addr{224, 0, 0, 18}, .ttl = 255}, ip_proto_vrrp,
                     vrrp_body);
             },
         .want_size = 60,
         .want = {.l3_offset = 14,
                  .l4_offset = 34,
                  .l4_len = 20,
                  .frame_len = 54,
                  .ethertype = ethertype_ipv4,
                  .ip_proto = ip_proto_vrrp,
                  .src = ip_b,
                  .dst = ipv4_addr{224, 0, 0, 18}}},
    };
}

void expect_meta_eq(const packet_meta& got, const packet_meta& want) {
    EXPECT_EQ(got.l3_offset, want.l3_offset);
    EXPECT_EQ(got.l4_offset, want.l4_offset);
    EXPECT_EQ(got.l4_len, want.l4_len);
    EXPECT_EQ(got.frame_len, want.frame_len);
    EXPECT_EQ(got.ethertype, want.ethertype);
    EXPECT_EQ(got.vlan_tci, want.vlan_tci);
    EXPECT_EQ(got.has_vlan, want.has_vlan);
    EXPECT_EQ(got.ip_proto, want.ip_proto);
    EXPECT_EQ(got.arp_op, want.arp_op);
    EXPECT_EQ(got.src, want.src);
    EXPECT_EQ(got.dst, want.dst);
    EXPECT_EQ(got.src_port, want.src_port);
    EXPECT_EQ(got.dst_port, want.dst_port);
}

bytes build(const builder_fn& f) {
    bytes b(2048, 0xcc);
    const std::size_t n = f(b);
    b.resize(n);
    return b;
}

TEST(BuilderParse, EveryBuilderRoundTrips) {
    for (const auto& c : build_cases()) {
        SCOPED_TRACE(c.name);
        const bytes f = build(c.build);
        ASSERT_EQ(f.size(), c.want_size);
        packet_meta m;
        ASSERT_EQ(parse(f, m), drop_reason::none);
        expect_meta_eq(m, c.want);
        // Padding is zeroes, and only after the packet.
        for (std::size_t i = m.frame_len; i < f.size(); ++i) {
            EXPECT_EQ(f[i], 0) << "padding byte " << i;
        }
        if (m.ethertype == ethertype_ipv4) {
            const std::span<const std::uint8_t> fs(f);
            const auto hdr = fs.subspan(m.l3_offset, std::size_t{m.l4_offset} - m.l3_offset);
            EXPECT_TRUE(checksum_ok(hdr));
            const auto l4 = fs.subspan(m.l4_offset, m.l4_len);
            if (m.ip_proto == ip_proto_icmp) {
                EXPECT_TRUE(checksum_ok(l4));
            } else if (m.ip_proto == ip_proto_tcp) {
                EXPECT_TRUE(tcp_checksum_ok(m.src, m.dst, l4));
                EXPECT_NE(tcp_cview(l4).checksum(), 0);
            } else if (m.ip_proto == ip_proto_udp) {
                EXPECT_TRUE(udp_checksum_ok(m.src, m.dst, l4));
                EXPECT_NE(udp_cview(l4).checksum(), 0);
            }
        }
    }
}

TEST(BuilderParse, ParseAcceptsExactlyTheFramesThatAreLongEnough) {
    // Every prefix shorter than the packet is malformed; every prefix that
    // keeps the packet (padding cut or not) still parses.
    for (const auto& c : build_cases()) {
        SCOPED_TRACE(c.name);
        const bytes f = build(c.build);
        for (std::size_t len = 0; len <= f.size(); ++len) {
            // Exact-size copy: ASan sees any read past the end.
            const bytes cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(len));
            packet_meta m;
            const drop_reason r = parse(cut, m);
            if (len < c.want.frame_len) {
                EXPECT_NE(r, drop_reason::none) << "len " << len;
            } else {
                EXPECT_EQ(r, drop_reason::none) << "len " << len;
            }
        }
    }
}

TEST(BuilderParse, BuildersNeverWritePastTheSpan) {
    for (const auto& c : build_cases()) {
        SCOPED_TRACE(c.name);
        for (std::size_t size = 0; size < c.want_size; ++size) {
            bytes out(size, 0xcc); // exact size: ASan catches an overflow
            EXPECT_EQ(c.build(out), 0u) << "size " << size;
        }
        bytes exact(c.want_size);
        EXPECT_EQ(c.build(exact), c.want_size);
    }
}

TEST(BuilderParse, ArpBuilderFieldsAreRfc826AndKeepalivedGarp) {
    const bytes req = build([](auto out) { return build_arp_request(out, mac_a, ip_a, vip); });
    const eth_cview req_eth(req);
    EXPECT_EQ(req_eth.dst(), mac_addr::broadcast());
    EXPECT_EQ(req_eth.src(), mac_a);
    const arp_cview req_arp(std::span<const std::uint8_t>(req).subspan(14));
    EXPECT_TRUE(req_arp.is_ethernet_ipv4());
    EXPECT_EQ(req_arp.op(), arp_op_request);
    EXPECT_EQ(req_arp.sha(), mac_a);
    EXPECT_EQ(req_arp.spa(), ip_a);
    EXPECT_TRUE(req_arp.tha().is_zero());
    EXPECT_EQ(req_arp.tpa(), vip);

    const bytes rep = build([](auto out) { return build_arp_reply(out, mac_b, vip, mac_a, ip_a); });
    const arp_cview rep_arp(std::span<const std::uint8_t>(rep).subspan(14));
    EXPECT_EQ(eth_cview(rep).dst(), mac_a);
    EXPECT_EQ(eth_cview(rep).src(), mac_b);
    EXPECT_EQ(rep_arp.op(), arp_op_reply);
    EXPECT_EQ(rep_arp.sha(), mac_b);
    EXPECT_EQ(rep_arp.spa(), vip);
    EXPECT_EQ(rep_arp.tha(), mac_a);
    EXPECT_EQ(rep_arp.tpa(), ip_a);

    // keepalived vrrp_arp.c: request, broadcast, spa = tpa = VIP, tha = ff..ff.
    const bytes garp = build([](auto out) { return build_garp(out, mac_b, vip, 100); });
    const eth_cview g_eth(garp);
    EXPECT_EQ(g_eth.dst(), mac_addr::broadcast());
    EXPECT_EQ(g_eth.src(), mac_b);
    EXPECT_EQ(g_eth.ethertype(), ethertype_vlan);
    const vlan_cview g_tag(std::span<const std::uint8_t>(garp).subspan(14));
    EXPECT_EQ(g_tag.vid(), 100);
    EXPECT_EQ(g_tag.ethertype(), ethertype_arp);
    const arp_cview g_arp(std::span<const std::uint8_t>(garp).subspan(18));
    EXPECT_EQ(g_arp.op(), arp_op_request);
    EXPECT_EQ(g_arp.sha(), mac_b);
    EXPECT_EQ(g_arp.spa(), vip);
    EXPECT_EQ(g_arp.tpa(), vip);
    EXPECT_EQ(g_arp.tha(), mac_addr::broadcast());
}

TEST(BuilderParse, Ipv4AndL4BuilderFields) {
    const bytes f = build([](auto out) {
        return build_tcp_frame(
            out, {.dst = mac_b, .src = mac_a},
            {.src = ip_a, .dst = vip, .ttl = 17, .tos = 0x10, .id = 0x9999, .dont_fragment = true},
            {.src_port = 1,
             .dst_port = 2,
             .seq = 3,
             .ack = 4,
             .flags = tcp_flag_fin | tcp_flag_ack,
             .window = 512,
             .urgent = 9,
             .payload = udp_data});
    });
    const std::span<const std::uint8_t> fs(f);
    const ipv4_cview ip(fs.subspan(14));
    EXPECT_EQ(ip.version(), 4);
    EXPECT_EQ(ip.ihl(), 5);
    EXPECT_EQ(ip.tos(), 0x10);
    EXPECT_EQ(ip.total_length(), 20 + 20 + 5);
    EXPECT_EQ(ip.id(), 0x9999);
    EXPECT_TRUE(ip.dont_fragment());
    EXPECT_FALSE(ip.is_fragment());
    EXPECT_EQ(ip.ttl(), 17);
    EXPECT_EQ(ip.protocol(), ip_proto_tcp);
    EXPECT_EQ(ip.checksum(), ipv4_header_checksum(fs.subspan(14, 20)));
    const tcp_cview tcp(fs.subspan(34));
    EXPECT_EQ(tcp.src_port(), 1);
    EXPECT_EQ(tcp.dst_port(), 2);
    EXPECT_EQ(tcp.seq(), 3u);
    EXPECT_EQ(tcp.ack(), 4u);
    EXPECT_EQ(tcp.header_len(), 20u);
    EXPECT_EQ(tcp.flags(), tcp_flag_fin | tcp_flag_ack);
    EXPECT_EQ(tcp.window(), 512);
    EXPECT_EQ(tcp.urgent(), 9);
    EXPECT_EQ(tcp.checksum(), tcp_checksum(ip_a, vip, fs.subspan(34, 25)));
    EXPECT_EQ(f[54], 'h');
    EXPECT_EQ(f[58], 'o');

    const bytes u = build([](auto out) {
        return build_udp_frame(out, {.dst = mac_b, .src = mac_a}, {.src = ip_a, .dst = vip},
                               {.src_port = 9, .dst_port = 10, .compute_checksum = false});
    });
    const udp_cview udp(std::span<const std::uint8_t>(u).subspan(34));
    EXPECT_EQ(udp.length(), 8);
    EXPECT_EQ(udp.checksum(), 0); // "no checksum" as asked

    const bytes e = build([](auto out) {
        return build_icmp_echo_frame(out, {.dst = mac_b, .src = mac_a}, {.src = ip_a, .dst = ip_b},
                                     {.id = 0x1234, .seq = 0x5678, .payload = ping_data});
    });
    const icmp_cview icmp(std::span<const std::uint8_t>(e).subspan(34));
    EXPECT_EQ(icmp.type(), icmp_type_echo_request);
    EXPECT_EQ(icmp.code(), 0);
    EXPECT_EQ(icmp.id(), 0x1234);
    EXPECT_EQ(icmp.seq(), 0x5678);
    EXPECT_EQ(e[42 + 55], 55);
}

TEST(BuilderParse, FragmentFieldsAreWritten) {
    const bytes f = build([](auto out) {
        return build_ipv4_frame(
            out, {.dst = mac_b, .src = mac_a},
            {.src = ip_a, .dst = ip_b, .more_fragments = true, .fragment_offset = 0x1fff},
            ip_proto_udp, udp_data);
    });
    const ipv4_cview ip(std::span<const std::uint8_t>(f).subspan(14));
    EXPECT_TRUE(ip.more_fragments());
    EXPECT_EQ(ip.fragment_offset(), 0x1fff);
    packet_meta m;
    EXPECT_EQ(parse(f, m), drop_reason::ipv4_fragment);
}

TEST(BuilderParse, InvalidSpecsBuildNothing) {
    bytes out(70000);
    const std::array<std::uint8_t, 3> bad_opts{1, 1, 1};
    const std::array<std::uint8_t, 44> long_opts{};
    EXPECT_EQ(build_ipv4_frame(out, {}, {.options = bad_opts}, 200, {}), 0u);
    EXPECT_EQ(build_ipv4_frame(out, {}, {.options = long_opts}, 200, {}), 0u);
    EXPECT_EQ(build_tcp_frame(out, {}, {}, {.options = bad_opts}), 0u);
    EXPECT_EQ(build_tcp_frame(out, {}, {}, {.options = long_opts}), 0u);
    const bytes big(65535 - 20 - 8 + 1);
    EXPECT_EQ(build_udp_frame(out, {}, {}, {.payload = big}), 0u); // total length > 65535
    const bytes max(65535 - 20 - 8);
    EXPECT_EQ(build_udp_frame(out, {}, {}, {.payload = max}), 14u + 65535u);
    std::array<std::uint8_t, 20> hdr{};
    EXPECT_EQ(build_ipv4_header(hdr, {}, ip_proto_udp, 65535 - 19), 0u);
    EXPECT_EQ(build_ipv4_header(hdr, {}, ip_proto_udp, 65535 - 20), 20u);
    EXPECT_EQ(build_ipv4_header(std::span(hdr).first(19), {}, ip_proto_udp, 0), 0u);
    EXPECT_EQ(build_eth_header(std::span(hdr).first(17), {.vlan_tci = 1}, ethertype_ipv4), 0u);
    EXPECT_EQ(build_eth_header(std::span(hdr).first(18), {.vlan_tci = 1}, ethertype_ipv4), 18u);
    EXPECT_EQ(build_arp(std::span(hdr).first(19), {}), 0u);
}

// ---------------------------------------------------------------- drops --

struct drop_case {
    const char* name;
    builder_fn build;
    std::function<void(bytes&)> mutate;
    bool fix_ip_checksum = false;
    drop_reason want;
};

std::size_t tcp_frame(std::span<std::uint8_t> out) {
    return build_tcp_frame(out, {.dst = mac_b, .src = mac_a, .pad_to_min = false},
                           {.src = ip_a, .dst = ip_b}, {.src_port = 1, .dst_port = 2});
}
std::size_t udp_frame(std::span<std::uint8_t> out) {
    return build_udp_frame(out, {.dst = mac_b, .src = mac_a, .pad_to_min = false},
                           {.src = ip_a, .dst = ip_b},
                           {.src_port = 1, .dst_port = 2, .payload = udp_data});
}
std::size_t ping_frame(std::span<std::uint8_t> out) {
    return build_icmp_echo_frame(out, {.dst = mac_b, .src = mac_a, .pad_to_min = false},
                                 {.src = ip_a, .dst = ip_b}, {.payload = odd_data});
}
std::size_t arp_frame(std::span<std::uint8_t> out) {
    return build_arp_frame(out, {.dst = mac_addr::broadcast(), .src = mac_a, .pad_to_min = false},
                           {.sha = mac_a, .spa = ip_a, .tpa = ip_b});
}
std::size_t tagged_arp_frame(std::span<std::uint8_t> out) {
    return build_arp_frame(
        out, {.dst = mac_addr::broadcast(), .src = mac_a, .vlan_tci = 5, .pad_to_min = false},
        {.sha = mac_a, .spa = ip_a, .tpa = ip_b});
}

void resize(bytes& f, std::size_t n) {
    f.resize(n);
}
void set16(bytes& f, std::size_t off, std::uint16_t v) {
    store_be16(f.data() + off, v);
}

std::vector<drop_case> drop_cases() {
    return {
        {.name = "eth_13_bytes",
         .build = tcp_frame,
         .mutate = [](bytes& f) { resize(f, 13); },
         .want = drop_reason::eth_truncated},
        {.name = "vlan_tag_cut",
         .build = tagged_arp_frame,
         .mutate = [](bytes& f) { resize(f, 17); },
         .want = drop_reason::eth_truncated},
        {.name = "stacked_vlan",
         .build = tagged_arp_frame,
         .mutate = [](bytes& f) { set16(f, 16, ethertype_vlan); },
         .want = drop_reason::eth_vlan_stacked},
        {.name = "ipv6",
         .build = tcp_frame,
         .mutate = [](bytes& f) { set16(f, 12, ethertype_ipv6); },
         .want = drop_reason::eth_unknown_ethertype},
        {.name = "arp_41_bytes",
         .build = arp_frame,
         .mutate = [](bytes& f) { resize(f, 41); },
         .want = drop_reason::arp_truncated},
        {.name = "arp_htype_ieee802",
         .build = arp_frame,
         .mutate = [](bytes& f) { set16(f, 14, 6); },
         .want = drop_reason::arp_unsupported},
        {.name = "arp_ptype_ipv6",
         .build = arp_frame,
         .mutate = [](bytes& f) { set16(f, 16, ethertype_ipv6); },
         .want = drop_reason::arp_unsupported},
        {.name = "arp_hlen_8",
         .build = arp_frame,
         .mutate = [](bytes& f) { f[18] = 8; },
         .want = drop_reason::arp_unsupported},
        {.name = "arp_plen_16",
         .build = arp_frame,
         .mutate = [](bytes& f) { f[19] = 16; },
         .want = drop_reason::arp_unsupported},
        {.name = "arp_op_3_rarp",
         .build = arp_frame,
         .mutate = [](bytes& f) { set16(f, 20, 3); },
         .want = drop_reason::arp_bad_op},
        {.name = "arp_op_0",
         .build = arp_frame,
         .mutate = [](bytes& f) { set16(f, 20, 0); },
         .want = drop_reason::arp_bad_op},
        {.name = "ipv4_19_bytes",
         .build = tcp_frame,
         .mutate = [](bytes& f) { resize(f, 33); },
         .want = drop_reason::ipv4_truncated},
        {.name = "ipv4_version_6",
         .build = tcp_frame,
         .mutate = [](bytes& f) { f[14] = 0x65; },
         .fix_ip_checksum = true,
         .want = drop_reason::ipv4_bad_version},
        {.name = "ipv4_ihl_4",
         .build = tcp_frame,
         .mutate = [](bytes& f) { f[14] = 0x44; },
         .want = drop_reason::ipv4_bad_ihl},
        {.name = "ipv4_ihl_0",
         .build = tcp_frame,
         .mutate = [](bytes& f) { f[14] = 0x40; },
         .want = drop_reason::ipv4_bad_ihl},
        {.name = "ipv4_ihl_beyond_frame",
         .build = udp_frame,
         .mutate = [](bytes& f) { f[14] = 0x4f; },
         .want = drop_reason::ipv4_bad_ihl},
        {.name = "ipv4_total_below_header",
         .build = tcp_frame,
         .mutate = [](bytes& f) { set16(f, 16, 19); },
         .fix_ip_checksum = true,
         .want = drop_reason::ipv4_bad_total_length},
        {.name = "ipv4_total_below_ihl_options",
         .build = tcp_frame,
         .mutate =
             [](bytes& f) {
                 f[14] = 0x46;
                 set16(f, 16, 20);
             },
         .fix_ip_checksum = true,
         .want = drop_reason::ipv4_bad_total_length},
        {.name = "ipv4_total_beyond_frame",
         .build = tcp_frame,
         .mutate = [](bytes& f) { set16(f, 16, static_cast<std::uint16_t>(f.size() - 14 + 1)); },
         .fix_ip_checksum = true,
         .want = drop_reason::ipv4_bad_total_length},
        {.name = "ipv4_bad_checksum",
         .build = tcp_frame,
         .mutate = [](bytes& f) { f[24] ^= 1; },
         .want = drop_reason::ipv4_bad_checksum},
        {.name = "ipv4_changed_ttl_no_fix",
         .build = tcp_frame,
         .mutate = [](bytes& f) { f[22] = 1; },
         .want = drop_reason::ipv4_bad_checksum},
        {.name = "ipv4_more_fragments",
         .build = tcp_frame,
         .mutate = [](bytes& f) { set16(f, 20, ipv4_flag_mf); },
         .fix_ip_checksum = true,
         .want = drop_reason::ipv4_fragment},
        {.name = "ipv4_last_fragment",
         .build = tcp_frame,
         .mutate = [](bytes& f) { set16(f, 20, 1); },
         .fix_ip_checksum = true,
         .want = drop_reason::ipv4_fragment},
        {.name = "icmp_7_bytes",
         .build = ping_frame,
         .mutate = [](bytes& f) { set16(f, 16, 27); },
         .fix_ip_checksum = true,
         .want = drop_reason::icmp_truncated},
        {.name = "udp_7_bytes",
         .build = udp_frame,
         .mutate = [](bytes& f) { set16(f, 16, 27); },
         .fix_ip_checksum = true,
         .want = drop_reason::udp_truncated},
        {.name = "udp_length_7",
         .build = udp_frame,
         .mutate = [](bytes& f) { set16(f, 38, 7); },
         .want = drop_reason::udp_bad_length},
        {.name = "udp_length_beyond_ip",
         .build = udp_frame,
         .mutate = [](bytes& f) { set16(f, 38, 14); },
         .want = drop_reason::udp_bad_length},
        {.name = "tcp_19_bytes",
         .build = tcp_frame,
         .mutate = [](bytes& f) { set16(f, 16, 39); },
         .fix_ip_checksum = true,
         .want = drop_reason::tcp_truncated},
        {.name = "tcp_offset_4",
         .build = tcp_frame,
         .mutate = [](bytes& f) { f[46] = 0x40; },
         .want = drop_reason::tcp_bad_offset},
        {.name = "tcp_offset_beyond_ip",
         .build = tcp_frame,
         .mutate = [](bytes& f) { f[46] = 0x60; },
         .want = drop_reason::tcp_bad_offset},
    };
}

TEST(Parse, MalformedFramesDropWithTheirReason) {
    for (const auto& c : drop_cases()) {
        SCOPED_TRACE(c.name);
        bytes f = build(c.build);
        ASSERT_FALSE(f.empty());
        packet_meta m;
        ASSERT_EQ(parse(f, m), drop_reason::none) << "unmutated frame must parse";
        c.mutate(f);
        if (c.fix_ip_checksum) {
            std::span<std::uint8_t> hdr = std::span(f).subspan(14, 20);
            ipv4_view(hdr).set_checksum(ipv4_header_checksum(hdr));
        }
        f.shrink_to_fit(); // exact-size buffer under ASan
        EXPECT_EQ(parse(f, m), c.want);
    }
}

TEST(Parse, PaddingAndTrailingBytesAreNotPartOfThePacket) {
    // A 60-byte ping whose padding is junk: the packet is 14 + 31 bytes.
    bytes f = build(ping_frame);
    ASSERT_EQ(f.size(), 45u);
    f.resize(60, 0xaa);
    packet_meta m;
    ASSERT_EQ(parse(f, m), drop_reason::none);
    EXPECT_EQ(m.frame_len, 45u);
    EXPECT_EQ(m.l4_len, 11u);
    // UDP length shorter than the IP payload: legal, extra bytes ignored.
    bytes u = build(udp_frame);
    store_be16(u.data() + 38, 8);
    EXPECT_EQ(parse(u, m), drop_reason::none);
    EXPECT_EQ(m.l4_len, 13u);
}

TEST(Parse, Ipv4OptionsAreAccepted) {
    const bytes f = build([](auto out) {
        return build_udp_frame(out, {.dst = mac_b, .src = mac_a},
                               {.src = ip_a, .dst = ip_b, .options = ip_nops},
                               {.src_port = 7, .dst_port = 8});
    });
    packet_meta m;
    ASSERT_EQ(parse(f, m), drop_reason::none);
    EXPECT_EQ(m.l4_offset, 38);
    EXPECT_EQ(m.dst_port, 8);
}

TEST(Parse, ParseL3NeedsParseL2) {
    const bytes f = build(tcp_frame);
    packet_meta m; // l3_offset 0: parse_l2 never ran
    EXPECT_EQ(parse_l3(f, m), drop_reason::eth_truncated);
    ASSERT_EQ(parse_l2(f, m), drop_reason::none);
    EXPECT_EQ(m.l3_offset, 14);
    EXPECT_EQ(m.ethertype, ethertype_ipv4);
    EXPECT_EQ(parse_l3(f, m), drop_reason::none);
    EXPECT_EQ(m.ip_proto, ip_proto_tcp);
}

// parse_fast() is a shortcut: whenever it accepts a frame, parse() accepts
// it too and fills the same meta; it must accept the plain TCP and UDP
// frames (or it would never be used).
void expect_fast_agrees(std::span<const std::uint8_t> f, int& accepted) {
    packet_meta fast;
    if (!parse_fast(f, fast)) {
        return;
    }
    ++accepted;
    packet_meta slow;
    ASSERT_EQ(parse(f, slow), drop_reason::none);
    EXPECT_TRUE(fast == slow) << "l4_offset " << fast.l4_offset << "/" << slow.l4_offset
                              << " l4_len " << fast.l4_len << "/" << slow.l4_len << " frame_len "
                              << fast.frame_len << "/" << slow.frame_len;
}

TEST(Parse, ParseFastAcceptsOnlyWhatParseAcceptsWithTheSameMeta) {
    int accepted = 0;
    for (const auto& c : build_cases()) {
        SCOPED_TRACE(c.name);
        const bytes f = build(c.build);
        expect_fast_agrees(f, accepted);
        for (std::size_t n = 0; n < f.size(); ++n) { // every truncation
            const bytes t(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
            expect_fast_agrees(t, accepted);
        }
    }
    for (const auto& c : drop_cases()) {
        SCOPED_TRACE(c.name);
        bytes f = build(c.build);
        c.mutate(f);
        if (c.fix_ip_checksum) {
            std::span<std::uint8_t> hdr = std::span(f).subspan(14, 20);
            ipv4_view(hdr).set_checksum(ipv4_header_checksum(hdr));
        }
        int none = 0;
        expect_fast_agrees(f, none);
        EXPECT_EQ(none, 0);
    }
    // Every byte of a TCP and a UDP frame set to a few values, with the IPv4
    // checksum fixed afterwards (or not, for the checksum's own bytes).
    for (const builder_fn& b : {builder_fn(tcp_frame), builder_fn(udp_frame)}) {
        const bytes orig = build(b);
        int plain = 0;
        expect_fast_agrees(orig, plain);
        EXPECT_EQ(plain, 1);
        for (std::size_t i = 0; i < orig.size(); ++i) {
            for (int v : {0x00, 0x01, 0x05, 0x45, 0x46, 0x50, 0x81, 0xff}) {
                for (bool fix : {false, true}) {
                    bytes f = orig;
                    f[i] = static_cast<std::uint8_t>(v);
                    if (fix && i >= 14 && i < 34 && i != 24 && i != 25) {
                        std::span<std::uint8_t> hdr = std::span(f).subspan(14, 20);
                        ipv4_view(hdr).set_checksum(ipv4_header_checksum(hdr));
                    }
                    expect_fast_agrees(f, accepted);
                }
            }
        }
    }
    EXPECT_GT(accepted, 100);
}

} // namespace
} // namespace vipgate::net
