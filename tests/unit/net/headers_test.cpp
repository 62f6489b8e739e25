#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "net/byte_order.hpp"
#include "net/headers.hpp"
#include "printers.hpp"

namespace vipgate::net {
namespace {

TEST(ByteOrder, LoadsAndStoresBigEndianAtAnyAlignment) {
    std::array<std::uint8_t, 9> b{};
    // Offset 1 is deliberately misaligned for both widths.
    store_be16(b.data() + 1, 0x1234);
    EXPECT_EQ(b[1], 0x12);
    EXPECT_EQ(b[2], 0x34);
    EXPECT_EQ(load_be16(b.data() + 1), 0x1234);
    store_be32(b.data() + 3, 0xc0a82c96u);
    EXPECT_EQ(b[3], 0xc0);
    EXPECT_EQ(b[4], 0xa8);
    EXPECT_EQ(b[5], 0x2c);
    EXPECT_EQ(b[6], 0x96);
    EXPECT_EQ(load_be32(b.data() + 3), 0xc0a82c96u);
    EXPECT_EQ(load_ipv4(b.data() + 3), (ipv4_addr{192, 168, 44, 150}));
    store_ipv4(b.data() + 5, ipv4_addr{10, 0, 0, 1});
    EXPECT_EQ(b[5], 10);
    EXPECT_EQ(b[8], 1);
}

TEST(Views, EthernetAndVlanFields) {
    std::array<std::uint8_t, 18> b{};
    const eth_view eth(b);
    const mac_addr d{{1, 2, 3, 4, 5, 6}};
    const mac_addr s{{0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}};
    eth.set_dst(d);
    eth.set_src(s);
    eth.set_ethertype(ethertype_vlan);
    EXPECT_EQ(b[0], 1);
    EXPECT_EQ(b[11], 0x0f);
    EXPECT_EQ(b[12], 0x81);
    EXPECT_EQ(b[13], 0x00);
    const vlan_view tag{std::span(b).subspan(eth_header_len)};
    tag.set_tci(0xa00a); // PCP 5, VID 10
    tag.set_ethertype(ethertype_arp);
    const eth_cview ceth{std::span<const std::uint8_t>(b)};
    EXPECT_EQ(ceth.dst(), d);
    EXPECT_EQ(ceth.src(), s);
    EXPECT_TRUE(is_vlan_tpid(ceth.ethertype()));
    EXPECT_TRUE(is_vlan_tpid(ethertype_qinq));
    EXPECT_FALSE(is_vlan_tpid(ethertype_ipv4));
    EXPECT_EQ(tag.vid(), 10);
    EXPECT_EQ(tag.pcp(), 5);
    EXPECT_EQ(tag.ethertype(), ethertype_arp);
}

TEST(Views, Ipv4Fields) {
    std::array<std::uint8_t, 20> b{};
    const ipv4_view ip(b);
    ip.set_version_ihl(4, 5);
    ip.set_tos(0xb8);
    ip.set_total_length(1500);
    ip.set_id(0xbeef);
    ip.set_flags_frag(ipv4_flag_mf | 0x0123);
    ip.set_ttl(255);
    ip.set_protocol(ip_proto_vrrp);
    ip.set_checksum(0xabcd);
    ip.set_src(ipv4_addr{192, 168, 44, 44});
    ip.set_dst(ipv4_addr{224, 0, 0, 18});
    EXPECT_EQ(b[0], 0x45);
    EXPECT_EQ(b[2], 0x05);
    EXPECT_EQ(b[3], 0xdc);
    EXPECT_EQ(b[16], 224);
    EXPECT_EQ(ip.version(), 4);
    EXPECT_EQ(ip.ihl(), 5);
    EXPECT_EQ(ip.header_len(), 20u);
    EXPECT_EQ(ip.tos(), 0xb8);
    EXPECT_EQ(ip.total_length(), 1500);
    EXPECT_EQ(ip.id(), 0xbeef);
    EXPECT_TRUE(ip.more_fragments());
    EXPECT_FALSE(ip.dont_fragment());
    EXPECT_EQ(ip.fragment_offset(), 0x0123);
    EXPECT_TRUE(ip.is_fragment());
    EXPECT_EQ(ip.ttl(), 255);
    EXPECT_EQ(ip.protocol(), ip_proto_vrrp);
    EXPECT_EQ(ip.checksum(), 0xabcd);
    EXPECT_EQ(ip.src(), (ipv4_addr{192, 168, 44, 44}));
    EXPECT_EQ(ip.dst(), (ipv4_addr{224, 0, 0, 18}));
    ip.set_flags_frag(ipv4_flag_df);
    EXPECT_TRUE(ip.dont_fragment());
    EXPECT_FALSE(ip.is_fragment()); // DF alone is a whole datagram
}

TEST(Views, ArpFields) {
    std::array<std::uint8_t, arp_len> b{};
    const arp_view arp(b);
    arp.set_htype(arp_hw_ethernet);
    arp.set_ptype(ethertype_ipv4);
    arp.set_hlen(6);
    arp.set_plen(4);
    arp.set_op(arp_op_reply);
    arp.set_sha(mac_addr{{2, 0, 0, 0, 0, 1}});
    arp.set_spa(ipv4_addr{10, 0, 0, 1});
    arp.set_tha(mac_addr{{2, 0, 0, 0, 0, 2}});
    arp.set_tpa(ipv4_addr{10, 0, 0, 2});
    EXPECT_TRUE(arp.is_ethernet_ipv4());
    EXPECT_EQ(arp.op(), arp_op_reply);
    EXPECT_EQ(b[7], 2);
    EXPECT_EQ(b[13], 1); // last byte of sha
    EXPECT_EQ(b[17], 1); // last byte of spa
    EXPECT_EQ(b[23], 2); // last byte of tha
    EXPECT_EQ(b[27], 2); // last byte of tpa
    EXPECT_EQ(arp.sha(), (mac_addr{{2, 0, 0, 0, 0, 1}}));
    EXPECT_EQ(arp.tpa(), (ipv4_addr{10, 0, 0, 2}));
    arp.set_plen(16);
    EXPECT_FALSE(arp.is_ethernet_ipv4());
}

TEST(Views, L4Fields) {
    std::array<std::uint8_t, 20> b{};
    const tcp_view tcp(b);
    tcp.set_src_port(40000);
    tcp.set_dst_port(3306);
    tcp.set_seq(0x01020304u);
    tcp.set_ack(0xfffffffeu);
    tcp.set_data_offset(5);
    tcp.set_flags(tcp_flag_syn | tcp_flag_ack);
    tcp.set_window(29200);
    tcp.set_checksum(0x1111);
    tcp.set_urgent(7);
    EXPECT_EQ(b[2], 0x0c);
    EXPECT_EQ(b[3], 0xea);
    EXPECT_EQ(b[4], 0x01);
    EXPECT_EQ(b[12], 0x50);
    EXPECT_EQ(b[13], 0x12);
    EXPECT_EQ(tcp.src_port(), 40000);
    EXPECT_EQ(tcp.dst_port(), 3306);
    EXPECT_EQ(tcp.seq(), 0x01020304u);
    EXPECT_EQ(tcp.ack(), 0xfffffffeu);
    EXPECT_EQ(tcp.header_len(), 20u);
    EXPECT_EQ(tcp.flags(), tcp_flag_syn | tcp_flag_ack);
    EXPECT_EQ(tcp.window(), 29200);
    EXPECT_EQ(tcp.checksum(), 0x1111);
    EXPECT_EQ(tcp.urgent(), 7);

    const udp_view udp{std::span(b).first(8)};
    udp.set_length(8);
    EXPECT_EQ(udp.src_port(), 40000); // same bytes as the TCP ports
    EXPECT_EQ(udp.length(), 8);

    const icmp_view icmp{std::span(b).first(8)};
    icmp.set_type(icmp_type_echo_request);
    icmp.set_code(0);
    icmp.set_id(0x1234);
    icmp.set_seq(9);
    EXPECT_EQ(b[0], 8);
    EXPECT_EQ(icmp.id(), 0x1234);
    EXPECT_EQ(icmp.seq(), 9);
}

} // namespace
} // namespace vipgate::net
