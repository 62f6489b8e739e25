#pragma once
// Frame builders: write headers (and a payload) into a caller-provided span
// and return the number of bytes written, or 0 when the frame does not fit
// or the spec is invalid. Nothing allocates; the control core uses the ARP
// builders to resolve neighbours and send gratuitous ARPs, tests use all of
// them as their packet-builder helper.
//
// Every spec is a plain aggregate meant for designated initializers:
//   build_udp_frame(buf, {.dst = gw, .src = us}, {.src = a, .dst = b},
//                   {.src_port = 1234, .dst_port = 53, .payload = query});

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/headers.hpp"
#include "net/types.hpp"

namespace vipgate::net {

struct eth_spec {
    mac_addr dst;
    mac_addr src;
    std::optional<std::uint16_t> vlan_tci; // one tag when set
    std::uint16_t vlan_tpid = ethertype_vlan;
    // Frame builders zero-pad to the 60-byte Ethernet minimum, so a frame is
    // valid even on a PMD that does not pad (af_packet on veth, for one).
    bool pad_to_min = true;
};

struct arp_spec {
    std::uint16_t op = arp_op_request;
    mac_addr sha;
    ipv4_addr spa;
    mac_addr tha;
    ipv4_addr tpa;
};

struct ipv4_spec {
    ipv4_addr src;
    ipv4_addr dst;
    std::uint8_t ttl = ipv4_default_ttl;
    std::uint8_t tos = 0;
    std::uint16_t id = 0;
    bool dont_fragment = false;
    bool more_fragments = false;
    std::uint16_t fragment_offset = 0; // 8-byte units, 13 bits
    // Raw option bytes, copied as is; length must be a multiple of 4 and at
    // most 40 (RFC 791 §3.1).
    std::span<const std::uint8_t> options = {};
};

struct icmp_echo_spec {
    std::uint8_t type = icmp_type_echo_request;
    std::uint8_t code = 0;
    std::uint16_t id = 0;
    std::uint16_t seq = 0;
    std::span<const std::uint8_t> payload = {};
};

struct udp_spec {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::span<const std::uint8_t> payload = {};
    bool compute_checksum = true; // false: send 0, "no checksum" (RFC 768)
};

struct tcp_spec {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0; // tcp_flag_*
    std::uint16_t window = 65535;
    std::uint16_t urgent = 0;
    std::span<const std::uint8_t> options = {}; // multiple of 4, at most 40
    std::span<const std::uint8_t> payload = {};
};

// Ethernet header (+ tag when l2.vlan_tci is set) with `ethertype` as the
// payload type. Returns 14 or 18. Ignores l2.pad_to_min.
std::size_t build_eth_header(std::span<std::uint8_t> out, const eth_spec& l2,
                             std::uint16_t ethertype) noexcept;

// The 28-byte Ethernet/IPv4 ARP body (RFC 826).
std::size_t build_arp(std::span<std::uint8_t> out, const arp_spec& arp) noexcept;

// Ethernet + ARP (+ padding).
std::size_t build_arp_frame(std::span<std::uint8_t> out, const eth_spec& l2,
                            const arp_spec& arp) noexcept;

// Broadcast who-has `tpa` from (sha, spa). tha is zero (RFC 5227 §2.1.1).
std::size_t build_arp_request(std::span<std::uint8_t> out, const mac_addr& sha, ipv4_addr spa,
                              ipv4_addr tpa,
                              std::optional<std::uint16_t> vlan_tci = std::nullopt) noexcept;

// Unicast `spa is-at sha` to (tha, tpa).
std::size_t build_arp_reply(std::span<std::uint8_t> out, const mac_addr& sha, ipv4_addr spa,
                            const mac_addr& tha, ipv4_addr tpa,
                            std::optional<std::uint16_t> vlan_tci = std::nullopt) noexcept;

// Gratuitous ARP in keepalived's form (vrrp_arp.c): an ARP *request*,
// Ethernet broadcast, sha = `mac`, spa = tpa = `vip`, tha = ff:ff:ff:ff:ff:ff.
// (RFC 5227 §2.3 uses a zero tha; receivers accept both.)
std::size_t build_garp(std::span<std::uint8_t> out, const mac_addr& mac, ipv4_addr vip,
                       std::optional<std::uint16_t> vlan_tci = std::nullopt) noexcept;

// IPv4 header with total length = header + payload_len and the header
// checksum computed. Returns the header length (20 + options).
std::size_t build_ipv4_header(std::span<std::uint8_t> out, const ipv4_spec& ip,
                              std::uint8_t protocol, std::size_t payload_len) noexcept;

// Ethernet + IPv4 + `payload` as protocol `protocol` (+ padding): for
// protocols without a dedicated builder (VRRP, tests of unknown protocols).
std::size_t build_ipv4_frame(std::span<std::uint8_t> out, const eth_spec& l2, const ipv4_spec& ip,
                             std::uint8_t protocol, std::span<const std::uint8_t> payload) noexcept;

// Ethernet + IPv4 + ICMP echo request/reply with its checksum (RFC 792).
std::size_t build_icmp_echo_frame(std::span<std::uint8_t> out, const eth_spec& l2,
                                  const ipv4_spec& ip, const icmp_echo_spec& icmp) noexcept;

// Ethernet + IPv4 + UDP with its pseudo-header checksum (RFC 768).
std::size_t build_udp_frame(std::span<std::uint8_t> out, const eth_spec& l2, const ipv4_spec& ip,
                            const udp_spec& udp) noexcept;

// Ethernet + IPv4 + TCP with its pseudo-header checksum (RFC 9293 §3.1).
std::size_t build_tcp_frame(std::span<std::uint8_t> out, const eth_spec& l2, const ipv4_spec& ip,
                            const tcp_spec& tcp) noexcept;

} // namespace vipgate::net
