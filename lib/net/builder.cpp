#include "net/builder.hpp"

#include <algorithm>
#include <cstring>

#include "net/checksum.hpp"

namespace vipgate::net {

namespace {

// memcpy with a null source is UB even for 0 bytes; empty spans may have one.
void copy_bytes(std::span<std::uint8_t> dst, std::span<const std::uint8_t> src) noexcept {
    if (!src.empty()) {
        std::memcpy(dst.data(), src.data(), src.size());
    }
}

std::size_t l2_len(const eth_spec& l2) noexcept {
    return eth_header_len + (l2.vlan_tci ? vlan_tag_len : 0);
}

std::size_t padded_len(const eth_spec& l2, std::size_t len) noexcept {
    return l2.pad_to_min ? std::max(len, eth_min_frame_len) : len;
}

void zero_pad(std::span<std::uint8_t> out, std::size_t from, std::size_t to) noexcept {
    if (to > from) {
        std::memset(out.data() + from, 0, to - from);
    }
}

bool options_ok(std::span<const std::uint8_t> options, std::size_t max) noexcept {
    return options.size() % 4 == 0 && options.size() <= max;
}

// The part every IPv4 frame builder shares: Ethernet + IPv4 header + zero
// padding, leaving `l4` (exactly l4_len bytes) for the caller to fill.
struct ipv4_frame {
    std::size_t frame_len = 0; // including padding; 0 = did not fit
    std::span<std::uint8_t> l4;
};

ipv4_frame start_ipv4_frame(std::span<std::uint8_t> out, const eth_spec& l2, const ipv4_spec& ip,
                            std::uint8_t protocol, std::size_t l4_len) noexcept {
    if (!options_ok(ip.options, ipv4_max_header_len - ipv4_min_header_len)) {
        return {};
    }
    const std::size_t l2n = l2_len(l2);
    const std::size_t ip_hlen = ipv4_min_header_len + ip.options.size();
    if (l4_len > 0xffff - ip_hlen) {
        return {};
    }
    const std::size_t len = l2n + ip_hlen + l4_len;
    const std::size_t total = padded_len(l2, len);
    if (out.size() < total) {
        return {};
    }
    build_eth_header(out, l2, ethertype_ipv4);
    build_ipv4_header(out.subspan(l2n), ip, protocol, l4_len);
    zero_pad(out, len, total);
    return {total, out.subspan(l2n + ip_hlen, l4_len)};
}

} // namespace

std::size_t build_eth_header(std::span<std::uint8_t> out, const eth_spec& l2,
                             std::uint16_t ethertype) noexcept {
    const std::size_t n = l2_len(l2);
    if (out.size() < n) {
        return 0;
    }
    const eth_view eth(out);
    eth.set_dst(l2.dst);
    eth.set_src(l2.src);
    if (l2.vlan_tci) {
        eth.set_ethertype(l2.vlan_tpid);
        const vlan_view tag(out.subspan(eth_header_len));
        tag.set_tci(*l2.vlan_tci);
        tag.set_ethertype(ethertype);
    } else {
        eth.set_ethertype(ethertype);
    }
    return n;
}

std::size_t build_arp(std::span<std::uint8_t> out, const arp_spec& spec) noexcept {
    if (out.size() < arp_len) {
        return 0;
    }
    const arp_view arp(out);
    arp.set_htype(arp_hw_ethernet);
    arp.set_ptype(ethertype_ipv4);
    arp.set_hlen(static_cast<std::uint8_t>(eth_addr_len));
    arp.set_plen(4);
    arp.set_op(spec.op);
    arp.set_sha(spec.sha);
    arp.set_spa(spec.spa);
    arp.set_tha(spec.tha);
    arp.set_tpa(spec.tpa);
    return arp_len;
}

std::size_t build_arp_frame(std::span<std::uint8_t> out, const eth_spec& l2,
                            const arp_spec& arp) noexcept {
    const std::size_t l2n = l2_len(l2);
    const std::size_t len = l2n + arp_len;
    const std::size_t total = padded_len(l2, len);
    if (out.size() < total) {
        return 0;
    }
    build_eth_header(out, l2, ethertype_arp);
    build_arp(out.subspan(l2n), arp);
    zero_pad(out, len, total);
    return total;
}

std::size_t build_arp_request(std::span<std::uint8_t> out, const mac_addr& sha, ipv4_addr spa,
                              ipv4_addr tpa, std::optional<std::uint16_t> vlan_tci) noexcept {
    return build_arp_frame(out, {.dst = mac_addr::broadcast(), .src = sha, .vlan_tci = vlan_tci},
                           {.op = arp_op_request, .sha = sha, .spa = spa, .tha = {}, .tpa = tpa});
}

std::size_t build_arp_reply(std::span<std::uint8_t> out, const mac_addr& sha, ipv4_addr spa,
                            const mac_addr& tha, ipv4_addr tpa,
                            std::optional<std::uint16_t> vlan_tci) noexcept {
    return build_arp_frame(out, {.dst = tha, .src = sha, .vlan_tci = vlan_tci},
                           {.op = arp_op_reply, .sha = sha, .spa = spa, .tha = tha, .tpa = tpa});
}

std::size_t build_garp(std::span<std::uint8_t> out, const mac_addr& mac, ipv4_addr vip,
                       std::optional<std::uint16_t> vlan_tci) noexcept {
    return build_arp_frame(
        out, {.dst = mac_addr::broadcast(), .src = mac, .vlan_tci = vlan_tci},
        {.op = arp_op_request, .sha = mac, .spa = vip, .tha = mac_addr::broadcast(), .tpa = vip});
}

std::size_t build_ipv4_header(std::span<std::uint8_t> out, const ipv4_spec& spec,
                              std::uint8_t protocol, std::size_t payload_len) noexcept {
    if (!options_ok(spec.options, ipv4_max_header_len - ipv4_min_header_len)) {
        return 0;
    }
    const std::size_t hlen = ipv4_min_header_len + spec.options.size();
    if (out.size() < hlen || payload_len > 0xffff - hlen) {
        return 0;
    }
    const ipv4_view ip(out);
    ip.set_version_ihl(4, static_cast<std::uint8_t>(hlen / 4));
    ip.set_tos(spec.tos);
    ip.set_total_length(static_cast<std::uint16_t>(hlen + payload_len));
    ip.set_id(spec.id);
    std::uint16_t ff = static_cast<std::uint16_t>(spec.fragment_offset & ipv4_frag_offset_mask);
    if (spec.dont_fragment) {
        ff = static_cast<std::uint16_t>(ff | ipv4_flag_df);
    }
    if (spec.more_fragments) {
        ff = static_cast<std::uint16_t>(ff | ipv4_flag_mf);
    }
    ip.set_flags_frag(ff);
    ip.set_ttl(spec.ttl);
    ip.set_protocol(protocol);
    ip.set_src(spec.src);
    ip.set_dst(spec.dst);
    copy_bytes(out.subspan(ipv4_min_header_len), spec.options);
    ip.set_checksum(ipv4_header_checksum(out.first(hlen)));
    return hlen;
}

std::size_t build_ipv4_frame(std::span<std::uint8_t> out, const eth_spec& l2, const ipv4_spec& ip,
                             std::uint8_t protocol,
                             std::span<const std::uint8_t> payload) noexcept {
    const ipv4_frame f = start_ipv4_frame(out, l2, ip, protocol, payload.size());
    if (f.frame_len == 0) {
        return 0;
    }
    copy_bytes(f.l4, payload);
    return f.frame_len;
}

std::size_t build_icmp_echo_frame(std::span<std::uint8_t> out, const eth_spec& l2,
                                  const ipv4_spec& ip, const icmp_echo_spec& spec) noexcept {
    const ipv4_frame f =
        start_ipv4_frame(out, l2, ip, ip_proto_icmp, icmp_header_len + spec.payload.size());
    if (f.frame_len == 0) {
        return 0;
    }
    const icmp_view icmp(f.l4);
    icmp.set_type(spec.type);
    icmp.set_code(spec.code);
    icmp.set_checksum(0);
    icmp.set_id(spec.id);
    icmp.set_seq(spec.seq);
    copy_bytes(f.l4.subspan(icmp_header_len), spec.payload);
    // RFC 792: over the whole ICMP message, checksum field zero.
    icmp.set_checksum(internet_checksum(f.l4));
    return f.frame_len;
}

std::size_t build_udp_frame(std::span<std::uint8_t> out, const eth_spec& l2, const ipv4_spec& ip,
                            const udp_spec& spec) noexcept {
    const std::size_t l4_len = udp_header_len + spec.payload.size();
    const ipv4_frame f = start_ipv4_frame(out, l2, ip, ip_proto_udp, l4_len);
    if (f.frame_len == 0) {
        return 0;
    }
    const udp_view udp(f.l4);
    udp.set_src_port(spec.src_port);
    udp.set_dst_port(spec.dst_port);
    udp.set_length(static_cast<std::uint16_t>(l4_len));
    udp.set_checksum(0);
    copy_bytes(f.l4.subspan(udp_header_len), spec.payload);
    if (spec.compute_checksum) {
        udp.set_checksum(udp_checksum(ip.src, ip.dst, f.l4));
    }
    return f.frame_len;
}

std::size_t build_tcp_frame(std::span<std::uint8_t> out, const eth_spec& l2, const ipv4_spec& ip,
                            const tcp_spec& spec) noexcept {
    if (!options_ok(spec.options, tcp_max_header_len - tcp_min_header_len)) {
        return 0;
    }
    const std::size_t hlen = tcp_min_header_len + spec.options.size();
    const ipv4_frame f = start_ipv4_frame(out, l2, ip, ip_proto_tcp, hlen + spec.payload.size());
    if (f.frame_len == 0) {
        return 0;
    }
    const tcp_view tcp(f.l4);
    tcp.set_src_port(spec.src_port);
    tcp.set_dst_port(spec.dst_port);
    tcp.set_seq(spec.seq);
    tcp.set_ack(spec.ack);
    tcp.set_data_offset(static_cast<std::uint8_t>(hlen / 4));
    tcp.set_flags(spec.flags);
    tcp.set_window(spec.window);
    tcp.set_checksum(0);
    tcp.set_urgent(spec.urgent);
    copy_bytes(f.l4.subspan(tcp_min_header_len), spec.options);
    copy_bytes(f.l4.subspan(hlen), spec.payload);
    tcp.set_checksum(tcp_checksum(ip.src, ip.dst, f.l4));
    return f.frame_len;
}

} // namespace vipgate::net
