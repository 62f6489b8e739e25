#include "lb/nat.hpp"

#include "net/byte_order.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"

namespace vipgate::lb {

namespace {

using net::checksum_update16;
using net::checksum_update32;

// TTL and protocol share one 16-bit word of the header (RFC 791 §3.1).
void decrement_ttl(const net::ipv4_view& ip) noexcept {
    const std::uint16_t old_word = static_cast<std::uint16_t>((ip.ttl() << 8) | ip.protocol());
    const auto ttl = static_cast<std::uint8_t>(ip.ttl() - 1);
    ip.set_ttl(ttl);
    const std::uint16_t new_word = static_cast<std::uint16_t>((ttl << 8) | ip.protocol());
    ip.set_checksum(checksum_update16(ip.checksum(), old_word, new_word));
}

// The TCP or UDP checksum after the pseudo-header address `old_addr` became
// `new_addr` and the port `old_port` became `new_port`.
std::uint16_t l4_checksum_after(std::uint8_t ip_proto, std::uint16_t ck, std::uint32_t old_addr,
                                std::uint32_t new_addr, std::uint16_t old_port,
                                std::uint16_t new_port) noexcept {
    if (ip_proto == net::ip_proto_udp) {
        ck = net::udp_checksum_update32(ck, old_addr, new_addr);
        return net::udp_checksum_update16(ck, old_port, new_port);
    }
    ck = checksum_update32(ck, old_addr, new_addr);
    return checksum_update16(ck, old_port, new_port);
}

std::size_t l4_checksum_offset(std::uint8_t ip_proto) noexcept {
    return ip_proto == net::ip_proto_udp ? net::udp_cview::off_checksum
                                         : net::tcp_cview::off_checksum;
}

bool is_translated_icmp_error(std::uint8_t type) noexcept {
    return type == 3 /* destination unreachable */ || type == 11 /* time exceeded */ ||
           type == 12 /* parameter problem */;
}

// Shared by both ICMP directions. `outer_which` / `inner_which`: 0 = source,
// 1 = destination.
drop_reason translate_icmp(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                           const icmp_quote& q, int outer_which, int inner_which,
                           net::ipv4_addr addr, std::uint16_t port) noexcept {
    const net::ipv4_view ip(frame.subspan(meta.l3_offset));
    if (ip.ttl() <= 1) {
        return drop_reason::lb_ttl_exceeded;
    }
    decrement_ttl(ip);
    // Outer header. ICMP has no pseudo-header, so the ICMP checksum does not
    // cover the outer addresses.
    const std::uint32_t old_outer = outer_which == 0 ? ip.src().value : ip.dst().value;
    if (outer_which == 0) {
        ip.set_src(addr);
    } else {
        ip.set_dst(addr);
    }
    ip.set_checksum(checksum_update32(ip.checksum(), old_outer, addr.value));

    // Quoted packet. The ICMP checksum covers every byte changed below; all
    // of them are 16-bit words at even offsets from the ICMP header (8 +
    // IHL*4 + field offset), so RFC 1624 applies word by word.
    const net::icmp_view icmp(frame.subspan(meta.l4_offset));
    std::uint16_t ick = icmp.checksum();
    std::uint8_t* inner = frame.data() + q.inner_l3;
    std::uint8_t* addr_field =
        inner + (inner_which == 0 ? net::ipv4_cview::off_src : net::ipv4_cview::off_dst);
    const std::uint32_t old_inner = net::load_be32(addr_field);
    net::store_be32(addr_field, addr.value);
    ick = checksum_update32(ick, old_inner, addr.value);

    std::uint8_t* ihc_field = inner + net::ipv4_cview::off_checksum;
    const std::uint16_t old_ihc = net::load_be16(ihc_field);
    const std::uint16_t new_ihc = checksum_update32(old_ihc, old_inner, addr.value);
    net::store_be16(ihc_field, new_ihc);
    ick = checksum_update16(ick, old_ihc, new_ihc);

    std::uint8_t* l4 = frame.data() + q.inner_l4;
    std::uint8_t* port_field = l4 + (inner_which == 0 ? 0 : 2);
    const std::uint16_t old_port = net::load_be16(port_field);
    net::store_be16(port_field, port);
    ick = checksum_update16(ick, old_port, port);

    // RFC 792 only promises 8 bytes of the quoted datagram, which hold the
    // UDP checksum but not the TCP one; routers following RFC 1812 §4.3.2.3
    // quote more, and then the quoted TCP checksum is fixed as well.
    const std::uint8_t inner_proto = to_ip_proto(q.quoted.proto);
    const std::size_t ck_off = l4_checksum_offset(inner_proto);
    if (q.inner_l4_avail >= ck_off + 2) {
        std::uint8_t* ck_field = l4 + ck_off;
        const std::uint16_t old_ck = net::load_be16(ck_field);
        const std::uint16_t new_ck =
            l4_checksum_after(inner_proto, old_ck, old_inner, addr.value, old_port, port);
        net::store_be16(ck_field, new_ck);
        ick = checksum_update16(ick, old_ck, new_ck);
    }
    icmp.set_checksum(ick);
    return drop_reason::none;
}

} // namespace

drop_reason parse_icmp_error(std::span<const std::uint8_t> frame, const net::packet_meta& meta,
                             icmp_quote& q, bool verify_checksum) noexcept {
    if (meta.ip_proto != net::ip_proto_icmp || meta.l4_len < net::icmp_header_len) {
        return drop_reason::lb_icmp_not_error;
    }
    const auto msg = frame.subspan(meta.l4_offset, meta.l4_len);
    const net::icmp_cview icmp(msg);
    if (!is_translated_icmp_error(icmp.type())) {
        return drop_reason::lb_icmp_not_error;
    }
    constexpr std::size_t min_quote = net::ipv4_min_header_len + 8;
    if (msg.size() < net::icmp_header_len + min_quote) {
        return drop_reason::lb_icmp_bad_quote;
    }
    if (verify_checksum && !net::checksum_ok(msg)) {
        return drop_reason::lb_icmp_bad_checksum;
    }
    const auto inner_bytes = msg.subspan(net::icmp_header_len);
    const net::ipv4_cview inner(inner_bytes);
    const std::size_t ihl = inner.header_len();
    if (inner.version() != 4 || ihl < net::ipv4_min_header_len || inner_bytes.size() < ihl + 8) {
        return drop_reason::lb_icmp_bad_quote;
    }
    if (!is_lb_protocol(inner.protocol()) || inner.fragment_offset() != 0) {
        return drop_reason::lb_icmp_quote_unsupported;
    }
    q.type = icmp.type();
    q.code = icmp.code();
    q.inner_l3 = static_cast<std::uint16_t>(meta.l4_offset + net::icmp_header_len);
    q.inner_l4 = static_cast<std::uint16_t>(q.inner_l3 + ihl);
    q.inner_l4_avail = static_cast<std::uint16_t>(inner_bytes.size() - ihl);
    const std::uint8_t* l4 = inner_bytes.data() + ihl;
    q.quoted = flow_key{inner.src(), inner.dst(), net::load_be16(l4), net::load_be16(l4 + 2),
                        static_cast<protocol>(inner.protocol())};
    return drop_reason::none;
}

drop_reason nat_icmp_forward(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                             const icmp_quote& q, net::ipv4_addr rs,
                             std::uint16_t rs_port) noexcept {
    return translate_icmp(frame, meta, q, 1, 0, rs, rs_port);
}

drop_reason nat_icmp_reply(std::span<std::uint8_t> frame, const net::packet_meta& meta,
                           const icmp_quote& q, net::ipv4_addr vip, std::uint16_t vport) noexcept {
    return translate_icmp(frame, meta, q, 0, 1, vip, vport);
}

} // namespace vipgate::lb
