#pragma once
// The packet view the DPDK shell fills without copying: offsets and the few
// fields the fast path dispatches on, validated once so later stages can make
// header views at these offsets without re-checking lengths.
//
// parse() returns pipeline::drop_reason so every fast-path drop has a name in
// one table (pipeline/drop_reason.hpp). Only the header-only enum is used
// here; lib/net does not link against lib/pipeline.

#include <cstdint>
#include <span>

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

} // namespace vipgate::net
