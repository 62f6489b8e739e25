#pragma once
// The NAT rewrite itself (LVS-NAT, "masquerading"), in place on a frame that
// net::parse() accepted, with every checksum updated incrementally
// (RFC 1624 eqn. 3, net::checksum_update16/32): nothing is summed over the
// payload.
//
//   forward  client -> VIP:vport   becomes client -> RS:port
//   reply    RS:port -> client     becomes VIP:vport -> client
//
// The IPv4 header checksum covers the address and the TTL; the TCP/UDP
// checksum covers the address through the pseudo-header and the port. A UDP
// checksum of 0 ("none", RFC 768) stays 0. The TTL is decremented as a router
// must (RFC 1812 §5.3.1); a packet that arrives with TTL <= 1 is not forwarded
// (lb_ttl_exceeded) and, unlike a full router, vipgate sends no ICMP time
// exceeded for it.
//
// ICMP errors (destination unreachable incl. fragmentation needed, time
// exceeded, parameter problem: RFC 792, RFC 1812 §4.3.2.3) that quote a
// packet of a NAT flow are translated too, so path MTU discovery (RFC 1191)
// works through the load balancer: the outer address, the quoted IPv4
// header's address and checksum, the quoted port and, when the quote is long
// enough to hold it, the quoted TCP/UDP checksum, then the ICMP checksum.
//
// MAC addresses are the DPDK shell's business (it knows the neighbours); these
// functions leave the Ethernet header alone. `meta` describes the frame as it
// was parsed; its addresses and ports are stale after a rewrite.

#include <cstdint>
#include <span>

#include "lb/drop_reason.hpp"
#include "lb/types.hpp"
#include "net/byte_order.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"

namespace vipgate::lb {

// TTL > 1: the packet may be forwarded (RFC 1812 §5.3.1).
inline bool ttl_allows_forwarding(std::span<const std::uint8_t> frame,
                                  const net::packet_meta& meta) noexcept {
    return frame[meta.l3_offset + net::ipv4_cview::off_ttl] > 1;
}

namespace detail {
// Rewrites the source (Which = 0) or destination (Which = 1) endpoint of a
// TCP/UDP packet after decrementing its TTL. One RFC 1624 update per
// checksum: TTL and address into the IPv4 header's, address (pseudo-header)
// and port into the TCP/UDP one.
template <int Which>
inline drop_reason rewrite(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                           net::ipv4_addr addr, std::uint16_t port) noexcept {
    if (!is_lb_protocol(meta.ip_proto)) {
        return drop_reason::lb_not_tcp_udp;
    }
    std::uint8_t* ip = frame.data() + meta.l3_offset;
    const std::uint8_t ttl = ip[net::ipv4_cview::off_ttl];
    if (ttl <= 1) {
        return drop_reason::lb_ttl_exceeded;
    }
    // TTL and protocol share one 16-bit word of the header (RFC 791 §3.1);
    // the protocol byte is unchanged, so it cancels out of the update.
    ip[net::ipv4_cview::off_ttl] = static_cast<std::uint8_t>(ttl - 1);
    std::uint8_t* addr_field =
        ip + (Which == 0 ? net::ipv4_cview::off_src : net::ipv4_cview::off_dst);
    const std::uint32_t old_addr = net::load_be32(addr_field);
    net::store_be32(addr_field, addr.value);
    const std::uint32_t addr_delta = net::checksum_delta32(old_addr, addr.value);
    const std::uint32_t ttl_delta = net::checksum_delta16(
        static_cast<std::uint16_t>(ttl << 8), static_cast<std::uint16_t>((ttl - 1) << 8));
    std::uint8_t* ip_ck = ip + net::ipv4_cview::off_checksum;
    net::store_be16(ip_ck, net::checksum_apply(net::load_be16(ip_ck), ttl_delta + addr_delta));

    std::uint8_t* l4 = frame.data() + meta.l4_offset;
    std::uint8_t* port_field = l4 + (Which == 0 ? 0 : 2); // same place in TCP and UDP
    const std::uint16_t old_port = net::load_be16(port_field);
    net::store_be16(port_field, port);
    const std::uint32_t l4_delta = addr_delta + net::checksum_delta16(old_port, port);
    if (meta.ip_proto == net::ip_proto_udp) {
        std::uint8_t* ck = l4 + net::udp_cview::off_checksum;
        net::store_be16(ck, net::udp_checksum_apply(net::load_be16(ck), l4_delta));
    } else {
        std::uint8_t* ck = l4 + net::tcp_cview::off_checksum;
        net::store_be16(ck, net::checksum_apply(net::load_be16(ck), l4_delta));
    }
    return drop_reason::none;
}
} // namespace detail

// Forward direction: destination address and port become `rs`:`rs_port`.
// Precondition: meta from a successful net::parse() of `frame`, TCP or UDP.
// Inline: once per forwarded packet.
inline drop_reason nat_forward(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                               net::ipv4_addr rs, std::uint16_t rs_port) noexcept {
    return detail::rewrite<1>(frame, meta, rs, rs_port);
}

// Reply direction: source address and port become `vip`:`vport`.
inline drop_reason nat_reply(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                             net::ipv4_addr vip, std::uint16_t vport) noexcept {
    return detail::rewrite<0>(frame, meta, vip, vport);
}

// Where the packet an ICMP error quotes sits in the frame.
struct icmp_quote {
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint16_t inner_l3 = 0;       // frame offset of the quoted IPv4 header
    std::uint16_t inner_l4 = 0;       // frame offset of the quoted TCP/UDP header
    std::uint16_t inner_l4_avail = 0; // quoted bytes from inner_l4 on (>= 8)
    flow_key quoted;                  // the quoted packet's tuple, as it was sent

    // The tuple of a packet going the other way: a forward key when the
    // quoted packet was a (translated) reply VIP -> client, a reverse key when
    // it was a (translated) forward packet client -> RS.
    constexpr flow_key lookup_key() const noexcept { return quoted.reversed(); }
};

// Accepts ICMP types 3, 11, 12 quoting at least an IPv4 header and 8 bytes of
// TCP or UDP (RFC 792), not a non-first fragment. Verifies the ICMP checksum
// when `verify_checksum` (the engine does; classification need not).
drop_reason parse_icmp_error(std::span<const std::uint8_t> frame, const net::packet_meta& meta,
                             icmp_quote& q, bool verify_checksum = true) noexcept;

// An error about a reply we sent (VIP:vport -> client), from the client's
// side, on its way to the real server: outer destination -> rs, quoted source
// -> rs:rs_port (what the real server sent, so its stack recognises it).
drop_reason nat_icmp_forward(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                             const icmp_quote& q, net::ipv4_addr rs,
                             std::uint16_t rs_port) noexcept;

// An error about a packet we forwarded (client -> RS:port), from the real
// server's side, on its way to the client: outer source -> vip (as IPVS does:
// the client must not see the inside), quoted destination -> vip:vport.
drop_reason nat_icmp_reply(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                           const icmp_quote& q, net::ipv4_addr vip, std::uint16_t vport) noexcept;

} // namespace vipgate::lb
