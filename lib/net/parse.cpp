#include "net/parse.hpp"

#include <cstring>

#include "net/checksum.hpp"
#include "net/headers.hpp"

namespace vipgate::net {

drop_reason parse_l2(std::span<const std::uint8_t> frame, packet_meta& meta) noexcept {
    meta = packet_meta{};
    if (frame.size() < eth_header_len) {
        return drop_reason::eth_truncated;
    }
    meta.frame_len = static_cast<std::uint32_t>(frame.size());
    const eth_cview eth(frame);
    std::uint16_t type = eth.ethertype();
    std::size_t l3 = eth_header_len;
    if (is_vlan_tpid(type)) {
        if (frame.size() < eth_header_len + vlan_tag_len) {
            return drop_reason::eth_truncated;
        }
        const vlan_cview tag(frame.subspan(eth_header_len));
        meta.has_vlan = true;
        meta.vlan_tci = tag.tci();
        type = tag.ethertype();
        l3 += vlan_tag_len;
        // One tag is what a port on a trunk sees; stacked tags would need a
        // provider-bridge setup vipgate does not model.
        if (is_vlan_tpid(type)) {
            return drop_reason::eth_vlan_stacked;
        }
    }
    meta.ethertype = type;
    meta.l3_offset = static_cast<std::uint16_t>(l3);
    return drop_reason::none;
}

namespace {

drop_reason parse_arp(std::span<const std::uint8_t> l3, packet_meta& meta) noexcept {
    if (l3.size() < arp_len) {
        return drop_reason::arp_truncated;
    }
    const arp_cview arp(l3);
    if (!arp.is_ethernet_ipv4()) {
        return drop_reason::arp_unsupported;
    }
    const std::uint16_t op = arp.op();
    if (op != arp_op_request && op != arp_op_reply) {
        return drop_reason::arp_bad_op;
    }
    meta.arp_op = op;
    meta.src = arp.spa();
    meta.dst = arp.tpa();
    meta.frame_len = std::uint32_t{meta.l3_offset} + arp_len;
    return drop_reason::none;
}

// The IPv4 header checksum verifies (RFC 1071 §1: the sum over the header,
// checksum field included, is all ones). The common option-less header is
// five 32-bit words summed inline; the sum is byte-order independent
// (RFC 1071 §2(B)) and all ones is its own byte swap, so the words are
// added as loaded, without swapping.
inline bool ipv4_header_ok(const std::uint8_t* p, std::size_t hlen) noexcept {
    if (hlen != ipv4_min_header_len) {
        return checksum_ok(std::span<const std::uint8_t>(p, hlen));
    }
    std::uint32_t w[5];
    std::memcpy(w, p, sizeof w);
    std::uint64_t acc = std::uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4];
    acc = (acc & 0xffffffffu) + (acc >> 32); // < 2^33
    acc = (acc & 0xffffffffu) + (acc >> 32); // < 2^32
    return checksum_fold(static_cast<std::uint32_t>(acc)) == 0xffffu;
}

drop_reason parse_l4(std::span<const std::uint8_t> l4, packet_meta& meta) noexcept {
    if (meta.ip_proto == ip_proto_tcp) {
        // First: what nearly every frame of a virtual service is.
        const std::uint8_t* p = l4.data();
        if (l4.size() < tcp_min_header_len) {
            return drop_reason::tcp_truncated;
        }
        const std::size_t thl = (std::size_t{p[tcp_cview::off_data_offset]} >> 4) * 4u;
        if (thl < tcp_min_header_len || thl > l4.size()) {
            return drop_reason::tcp_bad_offset;
        }
        meta.src_port = load_be16(p + tcp_cview::off_src_port);
        meta.dst_port = load_be16(p + tcp_cview::off_dst_port);
        return drop_reason::none;
    }
    switch (meta.ip_proto) {
    case ip_proto_icmp:
        if (l4.size() < icmp_header_len) {
            return drop_reason::icmp_truncated;
        }
        return drop_reason::none;
    case ip_proto_udp: {
        if (l4.size() < udp_header_len) {
            return drop_reason::udp_truncated;
        }
        const udp_cview udp(l4);
        // A UDP length shorter than the IP payload is legal (trailing bytes
        // are ignored); longer, or below the header, is malformed (RFC 768).
        if (udp.length() < udp_header_len || udp.length() > l4.size()) {
            return drop_reason::udp_bad_length;
        }
        meta.src_port = udp.src_port();
        meta.dst_port = udp.dst_port();
        return drop_reason::none;
    }
    case ip_proto_tcp: {
        if (l4.size() < tcp_min_header_len) {
            return drop_reason::tcp_truncated;
        }
        const tcp_cview tcp(l4);
        if (tcp.header_len() < tcp_min_header_len || tcp.header_len() > l4.size()) {
            return drop_reason::tcp_bad_offset;
        }
        meta.src_port = tcp.src_port();
        meta.dst_port = tcp.dst_port();
        return drop_reason::none;
    }
    default:
        return drop_reason::none;
    }
}

drop_reason parse_ipv4(std::span<const std::uint8_t> l3, packet_meta& meta) noexcept {
    // RFC 1122 §3.2.1.1-3.2.1.2: silently discard on bad version or checksum;
    // the length checks keep every later access inside the frame. Raw loads
    // at ipv4_cview's offsets: this runs for every IPv4 frame.
    if (l3.size() < ipv4_min_header_len) {
        return drop_reason::ipv4_truncated;
    }
    const std::uint8_t* p = l3.data();
    if ((p[0] >> 4) != 4) {
        return drop_reason::ipv4_bad_version;
    }
    const std::size_t hlen = (std::size_t{p[0]} & 0x0fu) * 4u;
    if (hlen < ipv4_min_header_len || hlen > l3.size()) {
        return drop_reason::ipv4_bad_ihl;
    }
    const std::size_t total = load_be16(p + ipv4_cview::off_total_length);
    if (total < hlen || total > l3.size()) {
        return drop_reason::ipv4_bad_total_length;
    }
    if (!ipv4_header_ok(p, hlen)) {
        return drop_reason::ipv4_bad_checksum;
    }
    if ((load_be16(p + ipv4_cview::off_flags_frag) & (ipv4_flag_mf | ipv4_frag_offset_mask)) != 0) {
        return drop_reason::ipv4_fragment;
    }
    meta.ip_proto = p[ipv4_cview::off_protocol];
    meta.src = load_ipv4(p + ipv4_cview::off_src);
    meta.dst = load_ipv4(p + ipv4_cview::off_dst);
    meta.l4_offset = static_cast<std::uint16_t>(meta.l3_offset + hlen);
    meta.l4_len = static_cast<std::uint16_t>(total - hlen);
    // Bytes beyond the total length are Ethernet padding (frames under 60
    // bytes) or junk; they are not part of the datagram (RFC 894).
    meta.frame_len = static_cast<std::uint32_t>(meta.l3_offset + total);
    return parse_l4(l3.subspan(hlen, total - hlen), meta);
}

} // namespace

drop_reason parse_l3(std::span<const std::uint8_t> frame, packet_meta& meta) noexcept {
    if (meta.l3_offset == 0 || meta.l3_offset > frame.size()) {
        return drop_reason::eth_truncated; // parse_l2 was not run on this frame
    }
    const auto l3 = frame.subspan(meta.l3_offset);
    switch (meta.ethertype) {
    case ethertype_arp:
        return parse_arp(l3, meta);
    case ethertype_ipv4:
        return parse_ipv4(l3, meta);
    default:
        return drop_reason::eth_unknown_ethertype;
    }
}

drop_reason parse(std::span<const std::uint8_t> frame, packet_meta& meta) noexcept {
    const drop_reason r = parse_l2(frame, meta);
    if (r != drop_reason::none) {
        return r;
    }
    return parse_l3(frame, meta);
}

} // namespace vipgate::net
