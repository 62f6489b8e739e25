#pragma once
// The packet view the DPDK shell fills without copying: offsets and the few
// fields the fast path dispatches on, validated once so later stages can make
// header views at these offsets without re-checking lengths.
//
// parse() returns pipeline::drop_reason so every fast-path drop has a name in
// one table (pipeline/drop_reason.hpp). Only the header-only enum is used
// here; lib/net does not link against lib/pipeline.

#include <cstdint>
#include <cstring>
#include <span>

#include "net/byte_order.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/types.hpp"
#include "pipeline/drop_reason.hpp"

namespace vipgate::net {

struct packet_meta {
    // L2 always starts at offset 0 of the frame.
    std::uint16_t l3_offset = 0; // 14, or 18 with a VLAN tag
    std::uint16_t l4_offset = 0; // IPv4: l3_offset + IHL*4; 0 otherwise
    std::uint16_t l4_len = 0;    // IPv4: total length - IHL*4 (L4 header + payload)
    // Bytes of the frame that are L2 + L3 packet; anything after it is
    // Ethernet padding (or trailing junk) and is ignored. IPv4: l3_offset +
    // total length; ARP: l3_offset + 28.
    std::uint32_t frame_len = 0;
    std::uint16_t ethertype = 0; // after the VLAN tag, if any
    std::uint16_t vlan_tci = 0;  // valid when has_vlan
    bool has_vlan = false;
    std::uint8_t ip_proto = 0;  // IPv4 only
    std::uint16_t arp_op = 0;   // ARP only
    ipv4_addr src;              // IPv4 source, or ARP sender protocol address
    ipv4_addr dst;              // IPv4 destination, or ARP target protocol address
    std::uint16_t src_port = 0; // TCP/UDP only
    std::uint16_t dst_port = 0; // TCP/UDP only

    friend bool operator==(const packet_meta&, const packet_meta&) = default;
};

using pipeline::drop_reason;

// Ethernet header and at most one 802.1Q/802.1ad tag. Fills l3_offset,
// ethertype, has_vlan, vlan_tci; frame_len = frame.size().
drop_reason parse_l2(std::span<const std::uint8_t> frame, packet_meta& meta) noexcept;

// After parse_l2 succeeded on the same frame: ARP (Ethernet/IPv4, op 1 or 2)
// or IPv4 (version, IHL, total length, header checksum, no fragments) and, for
// IPv4, the TCP/UDP/ICMP header lengths. Other protocols on IPv4 are accepted
// with l4_offset/l4_len set and no further checks. Other ethertypes are
// dropped (eth_unknown_ethertype).
drop_reason parse_l3(std::span<const std::uint8_t> frame, packet_meta& meta) noexcept;

// parse_l2 then parse_l3. Returns drop_reason::none when the frame is well
// formed; `meta` is only fully meaningful then.
drop_reason parse(std::span<const std::uint8_t> frame, packet_meta& meta) noexcept;

// The common frame in one straight line: untagged Ethernet, IPv4 without
// options, not a fragment, a whole TCP or UDP header. True: parse_l2 and
// parse_l3 would both accept the frame and fill `meta` exactly as this did.
// False: anything else, valid or not (`meta` is then unspecified): run
// parse_l2/parse_l3, which give the verdict and the drop reason.
inline bool parse_fast(std::span<const std::uint8_t> frame, packet_meta& meta) noexcept {
    constexpr std::size_t l3 = eth_header_len;
    const std::size_t size = frame.size();
    const std::uint8_t* p = frame.data();
    if (size < l3 + ipv4_min_header_len ||
        load_be16(p + eth_cview::off_ethertype) != ethertype_ipv4) {
        return false;
    }
    const std::uint8_t* ip = p + l3;
    const std::size_t total = load_be16(ip + ipv4_cview::off_total_length);
    const std::uint8_t proto = ip[ipv4_cview::off_protocol];
    // Version 4, IHL 5; the whole datagram in the frame; no fragment.
    if (ip[0] != 0x45 || total < ipv4_min_header_len || total > size - l3 ||
        (load_be16(ip + ipv4_cview::off_flags_frag) & (ipv4_flag_mf | ipv4_frag_offset_mask)) !=
            0) {
        return false;
    }
    // RFC 1071: the header sums to all ones (byte-order independent, so
    // the words are added as loaded).
    std::uint32_t w[5];
    std::memcpy(w, ip, sizeof w);
    std::uint64_t acc = std::uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4];
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    if (checksum_fold(static_cast<std::uint32_t>(acc)) != 0xffffu) {
        return false;
    }
    const std::uint8_t* l4 = ip + ipv4_min_header_len;
    const std::size_t l4_len = total - ipv4_min_header_len;
    if (proto == ip_proto_tcp) {
        if (l4_len < tcp_min_header_len) {
            return false;
        }
        const std::size_t thl = (std::size_t{l4[tcp_cview::off_data_offset]} >> 4) * 4u;
        if (thl < tcp_min_header_len || thl > l4_len) {
            return false;
        }
    } else if (proto == ip_proto_udp) {
        if (l4_len < udp_header_len) {
            return false;
        }
        const std::size_t ulen = load_be16(l4 + udp_cview::off_length);
        if (ulen < udp_header_len || ulen > l4_len) {
            return false;
        }
    } else {
        return false;
    }
    meta = packet_meta{};
    meta.l3_offset = static_cast<std::uint16_t>(l3);
    meta.l4_offset = static_cast<std::uint16_t>(l3 + ipv4_min_header_len);
    meta.l4_len = static_cast<std::uint16_t>(l4_len);
    meta.frame_len = static_cast<std::uint32_t>(l3 + total);
    meta.ethertype = ethertype_ipv4;
    meta.ip_proto = proto;
    meta.src = load_ipv4(ip + ipv4_cview::off_src);
    meta.dst = load_ipv4(ip + ipv4_cview::off_dst);
    meta.src_port = load_be16(l4); // same place in TCP and UDP
    meta.dst_port = load_be16(l4 + 2);
    return true;
}

} // namespace vipgate::net
