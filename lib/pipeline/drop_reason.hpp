#pragma once
// Every reason the fast path drops a frame, in ONE table.
//
// The enum, the counter/console/JSON names and the one-line help text are all
// generated from VIPGATE_DROP_REASONS, so adding a reason is one line here and
// it shows up everywhere. Names are snake_case, prefixed by layer. Order is
// not an API: counters are indexed by the enum value inside one process only.
//
// Header-only for the enum itself: lib/net's parser returns these values
// without linking against lib/pipeline (the name/help lookups live in
// drop_reason.cpp).

#include <cstddef>
#include <cstdint>

#include "lb/drop_reason.hpp"

// X(name, help)
#define VIPGATE_DROP_REASONS(X)                                                                    \
    X(none, "not dropped")                                                                         \
    /* DPDK shell (lib/dataplane) */                                                               \
    X(multi_segment, "multi-segment mbuf chain (not handled by the fast path)")                    \
    X(punt_ring_full, "worker->control ring full, punted frame dropped")                           \
    X(punt_rate_limited, "over the per-worker punt rate for its kind (dataplane.punt_rate_*)")     \
    X(tx_full, "TX queue did not take the frame")                                                  \
    X(port_unknown, "frame from a port index the worker context does not know")                    \
    /* Ethernet / 802.1Q */                                                                        \
    X(eth_truncated, "frame shorter than its Ethernet header (and VLAN tag, if any)")              \
    X(eth_vlan_stacked, "more than one VLAN tag (QinQ is not handled)")                            \
    X(eth_unknown_ethertype, "ethertype is neither IPv4 nor ARP")                                  \
    X(eth_dst_not_ours, "unicast to a MAC address other than the port's")                          \
    X(eth_src_multicast, "source MAC is a group (multicast/broadcast) address")                    \
    /* ARP (RFC 826) */                                                                            \
    X(arp_truncated, "ARP shorter than 28 bytes")                                                  \
    X(arp_unsupported, "ARP hardware/protocol type or length is not Ethernet/IPv4")                \
    X(arp_bad_op, "ARP opcode is neither request nor reply")                                       \
    X(arp_bad_sender, "ARP sender MAC zero or multicast, or sender IP multicast/broadcast")        \
    X(arp_not_owned, "ARP request for an address this port does not own")                          \
    /* IPv4 (RFC 791) */                                                                           \
    X(ipv4_truncated, "shorter than a minimal IPv4 header")                                        \
    X(ipv4_bad_version, "IP version is not 4")                                                     \
    X(ipv4_bad_ihl, "IHL below 5 or header longer than the frame")                                 \
    X(ipv4_bad_total_length, "total length shorter than the header or longer than the frame")      \
    X(ipv4_bad_checksum, "IPv4 header checksum does not verify (RFC 1071)")                        \
    X(ipv4_fragment, "IPv4 fragment (MF set or offset non-zero), not reassembled")                 \
    X(ipv4_not_owned, "destination is not an address this port owns")                              \
    X(ipv4_bad_src, "source address invalid (0/8, loopback, multicast, broadcast, class E, ours)") \
    X(ipv4_other_protocol, "IP protocol not handled for this destination")                         \
    /* ICMP (RFC 792) */                                                                           \
    X(icmp_truncated, "shorter than an 8-byte ICMP header")                                        \
    X(icmp_bad_checksum, "ICMP checksum does not verify")                                          \
    X(icmp_not_echo_request, "ICMP type other than echo request to an owned address")              \
    X(icmp_ip_options, "echo request with IPv4 options (not reflected, RFC 1122 3.2.2.6)")         \
    /* UDP (RFC 768) / TCP (RFC 9293) */                                                           \
    X(udp_truncated, "shorter than an 8-byte UDP header")                                          \
    X(udp_bad_length, "UDP length below 8 or beyond the IP payload")                               \
    X(tcp_truncated, "shorter than a 20-byte TCP header")                                          \
    X(tcp_bad_offset, "TCP data offset below 5 or beyond the IP payload")                          \
    X(no_service, "TCP/UDP to an owned address with no virtual service")                           \
    /* VRRP (RFC 5798 / RFC 3768) */                                                               \
    X(vrrp_no_instance, "VRRP advertisement (IP protocol 112) on a port with no VRRP instance")    \
    X(vrrp_rejected, "VRRP advertisement failed validation (counted by reason in show vrrp)")      \
    /* Load balancing (lib/lb's reasons, then the worker's own) */                                 \
    VIPGATE_LB_DROP_REASONS(X)                                                                     \
    X(lb_backup, "traffic of a virtual service whose VIP this gateway does not hold (not MASTER)") \
    X(lb_handoff_ring_full, "ring to the flow's owner worker full, frame dropped")                 \
    X(no_route, "next hop outside every port's subnet and no gateway configured")                  \
    X(no_neighbour, "next hop's MAC unknown: resolution requested, frame dropped")

namespace vipgate::pipeline {

enum class drop_reason : std::uint8_t {
#define VIPGATE_DROP_REASON_ENUM(name, help) name,
    VIPGATE_DROP_REASONS(VIPGATE_DROP_REASON_ENUM)
#undef VIPGATE_DROP_REASON_ENUM
};

inline constexpr std::size_t drop_reason_count = 0
#define VIPGATE_DROP_REASON_COUNT(name, help) +1
    VIPGATE_DROP_REASONS(VIPGATE_DROP_REASON_COUNT)
#undef VIPGATE_DROP_REASON_COUNT
    ;

static_assert(drop_reason_count <= 256, "drop_reason is stored in a std::uint8_t");

constexpr std::size_t to_index(drop_reason r) noexcept {
    return static_cast<std::size_t>(r);
}

// snake_case name, e.g. "ipv4_bad_checksum" (counters, console, JSON).
// "unknown" for a value outside the table.
const char* drop_reason_name(drop_reason r) noexcept;

// One-line description for docs and `help` in the console.
const char* drop_reason_help(drop_reason r) noexcept;

// lib/lb's reasons are part of this table under the same names.
constexpr drop_reason from_lb(lb::drop_reason r) noexcept {
    switch (r) {
#define VIPGATE_LB_MAP(name, help)                                                                 \
    case lb::drop_reason::name:                                                                    \
        return drop_reason::name;
        VIPGATE_LB_DROP_REASONS(VIPGATE_LB_MAP)
#undef VIPGATE_LB_MAP
    case lb::drop_reason::none:
        return drop_reason::none;
    }
    return drop_reason::none;
}

} // namespace vipgate::pipeline
