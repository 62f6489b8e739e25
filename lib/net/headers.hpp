#pragma once
// Protocol constants and header views over byte spans.
//
// A view wraps a span that starts at the header and is at least min_len bytes
// long (a precondition, asserted in debug builds: parse() and the builders
// check lengths before they make views). Getters convert from network byte
// order; setters (only on views over mutable bytes) convert back. Views do not
// own anything and never copy the packet.
//
//   basic_<proto>_view<std::uint8_t>        -> <proto>_view   (read/write)
//   basic_<proto>_view<const std::uint8_t>  -> <proto>_cview  (read-only)

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "net/byte_order.hpp"
#include "net/types.hpp"

namespace vipgate::net {

// ---------------------------------------------------------------- Ethernet --

inline constexpr std::size_t eth_addr_len = 6;
inline constexpr std::size_t eth_header_len = 14;
inline constexpr std::size_t vlan_tag_len = 4;
// Minimum Ethernet frame without the FCS (64 - 4); shorter frames are padded
// by the sender and the padding is not part of the L3 packet.
inline constexpr std::size_t eth_min_frame_len = 60;

inline constexpr std::uint16_t ethertype_ipv4 = 0x0800;
inline constexpr std::uint16_t ethertype_arp = 0x0806;
inline constexpr std::uint16_t ethertype_vlan = 0x8100; // IEEE 802.1Q C-tag
inline constexpr std::uint16_t ethertype_qinq = 0x88a8; // IEEE 802.1ad S-tag
inline constexpr std::uint16_t ethertype_ipv6 = 0x86dd;

// Both TPIDs are accepted as the (single) tag vipgate understands.
constexpr bool is_vlan_tpid(std::uint16_t ethertype) noexcept {
    return ethertype == ethertype_vlan || ethertype == ethertype_qinq;
}

// -------------------------------------------------------------------- ARP --

inline constexpr std::size_t arp_len = 28; // Ethernet/IPv4 ARP body (RFC 826)
inline constexpr std::uint16_t arp_hw_ethernet = 1;
inline constexpr std::uint16_t arp_op_request = 1;
inline constexpr std::uint16_t arp_op_reply = 2;

// ------------------------------------------------------------------- IPv4 --

inline constexpr std::size_t ipv4_min_header_len = 20; // IHL = 5 (RFC 791 §3.1)
inline constexpr std::size_t ipv4_max_header_len = 60; // IHL = 15
inline constexpr std::uint16_t ipv4_flag_df = 0x4000;
inline constexpr std::uint16_t ipv4_flag_mf = 0x2000;
inline constexpr std::uint16_t ipv4_frag_offset_mask = 0x1fff;
inline constexpr std::uint8_t ipv4_default_ttl = 64;

inline constexpr std::uint8_t ip_proto_icmp = 1;
inline constexpr std::uint8_t ip_proto_tcp = 6;
inline constexpr std::uint8_t ip_proto_udp = 17;
inline constexpr std::uint8_t ip_proto_vrrp = 112;

// ------------------------------------------------------------- ICMP/UDP/TCP --

inline constexpr std::size_t icmp_header_len = 8; // type, code, csum + 4 (RFC 792)
inline constexpr std::uint8_t icmp_type_echo_reply = 0;
inline constexpr std::uint8_t icmp_type_echo_request = 8;

inline constexpr std::size_t udp_header_len = 8;
inline constexpr std::size_t tcp_min_header_len = 20;
inline constexpr std::size_t tcp_max_header_len = 60;

inline constexpr std::uint8_t tcp_flag_fin = 0x01;
inline constexpr std::uint8_t tcp_flag_syn = 0x02;
inline constexpr std::uint8_t tcp_flag_rst = 0x04;
inline constexpr std::uint8_t tcp_flag_psh = 0x08;
inline constexpr std::uint8_t tcp_flag_ack = 0x10;
inline constexpr std::uint8_t tcp_flag_urg = 0x20;
inline constexpr std::uint8_t tcp_flag_ece = 0x40;
inline constexpr std::uint8_t tcp_flag_cwr = 0x80;

// ------------------------------------------------------------------ views --

template <class Byte>
class header_view {
    static_assert(std::is_same_v<std::remove_const_t<Byte>, std::uint8_t>);

  public:
    static constexpr bool is_mutable = !std::is_const_v<Byte>;

    std::span<Byte> bytes() const noexcept { return bytes_; }

  protected:
    constexpr header_view(std::span<Byte> bytes, std::size_t min_len) noexcept : bytes_(bytes) {
        assert(bytes.size() >= min_len);
        (void)min_len;
    }

    std::uint8_t u8(std::size_t off) const noexcept { return bytes_[off]; }
    std::uint16_t be16(std::size_t off) const noexcept { return load_be16(bytes_.data() + off); }
    std::uint32_t be32(std::size_t off) const noexcept { return load_be32(bytes_.data() + off); }
    mac_addr mac(std::size_t off) const noexcept { return load_mac(bytes_.data() + off); }
    ipv4_addr ip(std::size_t off) const noexcept { return load_ipv4(bytes_.data() + off); }

    void set_u8(std::size_t off, std::uint8_t v) const noexcept
        requires is_mutable
    {
        bytes_[off] = v;
    }
    void set_be16(std::size_t off, std::uint16_t v) const noexcept
        requires is_mutable
    {
        store_be16(bytes_.data() + off, v);
    }
    void set_be32(std::size_t off, std::uint32_t v) const noexcept
        requires is_mutable
    {
        store_be32(bytes_.data() + off, v);
    }
    void set_mac(std::size_t off, const mac_addr& m) const noexcept
        requires is_mutable
    {
        store_mac(bytes_.data() + off, m);
    }
    void set_ip(std::size_t off, ipv4_addr a) const noexcept
        requires is_mutable
    {
        store_ipv4(bytes_.data() + off, a);
    }

    std::span<Byte> bytes_;
};

// Ethernet II header (without any VLAN tag; see basic_vlan_view).
template <class Byte>
class basic_eth_view : public header_view<Byte> {
    using base = header_view<Byte>;

  public:
    static constexpr std::size_t min_len = eth_header_len;
    static constexpr std::size_t off_dst = 0;
    static constexpr std::size_t off_src = 6;
    static constexpr std::size_t off_ethertype = 12;

    explicit constexpr basic_eth_view(std::span<Byte> b) noexcept : base(b, min_len) {}

    mac_addr dst() const noexcept { return this->mac(off_dst); }
    mac_addr src() const noexcept { return this->mac(off_src); }
    // The outer type: a TPID when the frame is tagged.
    std::uint16_t ethertype() const noexcept { return this->be16(off_ethertype); }

    void set_dst(const mac_addr& m) const noexcept { this->set_mac(off_dst, m); }
    void set_src(const mac_addr& m) const noexcept { this->set_mac(off_src, m); }
    void set_ethertype(std::uint16_t t) const noexcept { this->set_be16(off_ethertype, t); }
};

// The 4 bytes after the TPID of an 802.1Q / 802.1ad tag: TCI, inner type.
template <class Byte>
class basic_vlan_view : public header_view<Byte> {
    using base = header_view<Byte>;

  public:
    static constexpr std::size_t min_len = vlan_tag_len;
    static constexpr std::size_t off_tci = 0;
    static constexpr std::size_t off_ethertype = 2;

    explicit constexpr basic_vlan_view(std::span<Byte> b) noexcept : base(b, min_len) {}

    std::uint16_t tci() const noexcept { return this->be16(off_tci); }
    std::uint16_t vid() const noexcept { return static_cast<std::uint16_t>(tci() & 0x0fffu); }
    std::uint8_t pcp() const noexcept { return static_cast<std::uint8_t>(tci() >> 13); }
    std::uint16_t ethertype() const noexcept { return this->be16(off_ethertype); }

    void set_tci(std::uint16_t v) const noexcept { this->set_be16(off_tci, v); }
    void set_ethertype(std::uint16_t t) const noexcept { this->set_be16(off_ethertype, t); }
};

// ARP for Ethernet hardware and IPv4 protocol addresses (RFC 826).
template <class Byte>
class basic_arp_view : public header_view<Byte> {
    using base = header_view<Byte>;

  public:
    static constexpr std::size_t min_len = arp_len;
    static constexpr std::size_t off_htype = 0;
    static constexpr std::size_t off_ptype = 2;
    static constexpr std::size_t off_hlen = 4;
    static constexpr std::size_t off_plen = 5;
    static constexpr std::size_t off_op = 6;
    static constexpr std::size_t off_sha = 8;
    static constexpr std::size_t off_spa = 14;
    static constexpr std::size_t off_tha = 18;
    static constexpr std::size_t off_tpa = 24;

    explicit constexpr basic_arp_view(std::span<Byte> b) noexcept : base(b, min_len) {}

    std::uint16_t htype() const noexcept { return this->be16(off_htype); }
    std::uint16_t ptype() const noexcept { return this->be16(off_ptype); }
    std::uint8_t hlen() const noexcept { return this->u8(off_hlen); }
    std::uint8_t plen() const noexcept { return this->u8(off_plen); }
    std::uint16_t op() const noexcept { return this->be16(off_op); }
    mac_addr sha() const noexcept { return this->mac(off_sha); }
    ipv4_addr spa() const noexcept { return this->ip(off_spa); }
    mac_addr tha() const noexcept { return this->mac(off_tha); }
    ipv4_addr tpa() const noexcept { return this->ip(off_tpa); }

    // The only shape vipgate speaks: Ethernet (1) / IPv4 (0x0800), 6 / 4.
    bool is_ethernet_ipv4() const noexcept {
        return htype() == arp_hw_ethernet && ptype() == ethertype_ipv4 && hlen() == 6 &&
               plen() == 4;
    }

    void set_htype(std::uint16_t v) const noexcept { this->set_be16(off_htype, v); }
    void set_ptype(std::uint16_t v) const noexcept { this->set_be16(off_ptype, v); }
    void set_hlen(std::uint8_t v) const noexcept { this->set_u8(off_hlen, v); }
    void set_plen(std::uint8_t v) const noexcept { this->set_u8(off_plen, v); }
    void set_op(std::uint16_t v) const noexcept { this->set_be16(off_op, v); }
    void set_sha(const mac_addr& m) const noexcept { this->set_mac(off_sha, m); }
    void set_spa(ipv4_addr a) const noexcept { this->set_ip(off_spa, a); }
    void set_tha(const mac_addr& m) const noexcept { this->set_mac(off_tha, m); }
    void set_tpa(ipv4_addr a) const noexcept { this->set_ip(off_tpa, a); }
};

// IPv4 header (RFC 791 §3.1). min_len is the option-less header; header_len()
// is the real one and is only safe to use after checking it fits.
template <class Byte>
class basic_ipv4_view : public header_view<Byte> {
    using base = header_view<Byte>;

  public:
    static constexpr std::size_t min_len = ipv4_min_header_len;
    static constexpr std::size_t off_ver_ihl = 0;
    static constexpr std::size_t off_tos = 1;
    static constexpr std::size_t off_total_length = 2;
    static constexpr std::size_t off_id = 4;
    static constexpr std::size_t off_flags_frag = 6;
    static constexpr std::size_t off_ttl = 8;
    static constexpr std::size_t off_protocol = 9;
    static constexpr std::size_t off_checksum = 10;
    static constexpr std::size_t off_src = 12;
    static constexpr std::size_t off_dst = 16;

    explicit constexpr basic_ipv4_view(std::span<Byte> b) noexcept : base(b, min_len) {}

    std::uint8_t version() const noexcept {
        return static_cast<std::uint8_t>(this->u8(off_ver_ihl) >> 4);
    }
    std::uint8_t ihl() const noexcept {
        return static_cast<std::uint8_t>(this->u8(off_ver_ihl) & 0x0fu);
    }
    std::size_t header_len() const noexcept { return std::size_t{ihl()} * 4u; }
    std::uint8_t tos() const noexcept { return this->u8(off_tos); }
    std::uint16_t total_length() const noexcept { return this->be16(off_total_length); }
    std::uint16_t id() const noexcept { return this->be16(off_id); }
    std::uint16_t flags_frag() const noexcept { return this->be16(off_flags_frag); }
    bool dont_fragment() const noexcept { return (flags_frag() & ipv4_flag_df) != 0; }
    bool more_fragments() const noexcept { return (flags_frag() & ipv4_flag_mf) != 0; }
    // In 8-byte units (RFC 791).
    std::uint16_t fragment_offset() const noexcept {
        return static_cast<std::uint16_t>(flags_frag() & ipv4_frag_offset_mask);
    }
    // A fragment is any packet that is not a whole datagram: MF set or a
    // non-zero offset (RFC 791 §2.3, "Fragmentation").
    bool is_fragment() const noexcept {
        return (flags_frag() & (ipv4_flag_mf | ipv4_frag_offset_mask)) != 0;
    }
    std::uint8_t ttl() const noexcept { return this->u8(off_ttl); }
    std::uint8_t protocol() const noexcept { return this->u8(off_protocol); }
    std::uint16_t checksum() const noexcept { return this->be16(off_checksum); }
    ipv4_addr src() const noexcept { return this->ip(off_src); }
    ipv4_addr dst() const noexcept { return this->ip(off_dst); }

    void set_version_ihl(std::uint8_t version, std::uint8_t ihl) const noexcept {
        this->set_u8(off_ver_ihl,
                     static_cast<std::uint8_t>((unsigned{version} << 4) | (ihl & 0x0fu)));
    }
    void set_tos(std::uint8_t v) const noexcept { this->set_u8(off_tos, v); }
    void set_total_length(std::uint16_t v) const noexcept { this->set_be16(off_total_length, v); }
    void set_id(std::uint16_t v) const noexcept { this->set_be16(off_id, v); }
    void set_flags_frag(std::uint16_t v) const noexcept { this->set_be16(off_flags_frag, v); }
    void set_ttl(std::uint8_t v) const noexcept { this->set_u8(off_ttl, v); }
    void set_protocol(std::uint8_t v) const noexcept { this->set_u8(off_protocol, v); }
    void set_checksum(std::uint16_t v) const noexcept { this->set_be16(off_checksum, v); }
    void set_src(ipv4_addr a) const noexcept { this->set_ip(off_src, a); }
    void set_dst(ipv4_addr a) const noexcept { this->set_ip(off_dst, a); }
};

// ICMP header (RFC 792); id/sequence are the echo (types 0/8) layout.
template <class Byte>
class basic_icmp_view : public header_view<Byte> {
    using base = header_view<Byte>;

  public:
    static constexpr std::size_t min_len = icmp_header_len;
    static constexpr std::size_t off_type = 0;
    static constexpr std::size_t off_code = 1;
    static constexpr std::size_t off_checksum = 2;
    static constexpr std::size_t off_id = 4;
    static constexpr std::size_t off_seq = 6;

    explicit constexpr basic_icmp_view(std::span<Byte> b) noexcept : base(b, min_len) {}

    std::uint8_t type() const noexcept { return this->u8(off_type); }
    std::uint8_t code() const noexcept { return this->u8(off_code); }
    std::uint16_t checksum() const noexcept { return this->be16(off_checksum); }
    std::uint16_t id() const noexcept { return this->be16(off_id); }
    std::uint16_t seq() const noexcept { return this->be16(off_seq); }

    void set_type(std::uint8_t v) const noexcept { this->set_u8(off_type, v); }
    void set_code(std::uint8_t v) const noexcept { this->set_u8(off_code, v); }
    void set_checksum(std::uint16_t v) const noexcept { this->set_be16(off_checksum, v); }
    void set_id(std::uint16_t v) const noexcept { this->set_be16(off_id, v); }
    void set_seq(std::uint16_t v) const noexcept { this->set_be16(off_seq, v); }
};

// UDP header (RFC 768).
template <class Byte>
class basic_udp_view : public header_view<Byte> {
    using base = header_view<Byte>;

  public:
    static constexpr std::size_t min_len = udp_header_len;
    static constexpr std::size_t off_src_port = 0;
    static constexpr std::size_t off_dst_port = 2;
    static constexpr std::size_t off_length = 4;
    static constexpr std::size_t off_checksum = 6;

    explicit constexpr basic_udp_view(std::span<Byte> b) noexcept : base(b, min_len) {}

    std::uint16_t src_port() const noexcept { return this->be16(off_src_port); }
    std::uint16_t dst_port() const noexcept { return this->be16(off_dst_port); }
    std::uint16_t length() const noexcept { return this->be16(off_length); }
    std::uint16_t checksum() const noexcept { return this->be16(off_checksum); }

    void set_src_port(std::uint16_t v) const noexcept { this->set_be16(off_src_port, v); }
    void set_dst_port(std::uint16_t v) const noexcept { this->set_be16(off_dst_port, v); }
    void set_length(std::uint16_t v) const noexcept { this->set_be16(off_length, v); }
    void set_checksum(std::uint16_t v) const noexcept { this->set_be16(off_checksum, v); }
};

// TCP header (RFC 9293 §3.1).
template <class Byte>
class basic_tcp_view : public header_view<Byte> {
    using base = header_view<Byte>;

  public:
    static constexpr std::size_t min_len = tcp_min_header_len;
    static constexpr std::size_t off_src_port = 0;
    static constexpr std::size_t off_dst_port = 2;
    static constexpr std::size_t off_seq = 4;
    static constexpr std::size_t off_ack = 8;
    static constexpr std::size_t off_data_offset = 12;
    static constexpr std::size_t off_flags = 13;
    static constexpr std::size_t off_window = 14;
    static constexpr std::size_t off_checksum = 16;
    static constexpr std::size_t off_urgent = 18;

    explicit constexpr basic_tcp_view(std::span<Byte> b) noexcept : base(b, min_len) {}

    std::uint16_t src_port() const noexcept { return this->be16(off_src_port); }
    std::uint16_t dst_port() const noexcept { return this->be16(off_dst_port); }
    std::uint32_t seq() const noexcept { return this->be32(off_seq); }
    std::uint32_t ack() const noexcept { return this->be32(off_ack); }
    // In 32-bit words.
    std::uint8_t data_offset() const noexcept {
        return static_cast<std::uint8_t>(this->u8(off_data_offset) >> 4);
    }
    std::size_t header_len() const noexcept { return std::size_t{data_offset()} * 4u; }
    std::uint8_t flags() const noexcept { return this->u8(off_flags); }
    std::uint16_t window() const noexcept { return this->be16(off_window); }
    std::uint16_t checksum() const noexcept { return this->be16(off_checksum); }
    std::uint16_t urgent() const noexcept { return this->be16(off_urgent); }

    void set_src_port(std::uint16_t v) const noexcept { this->set_be16(off_src_port, v); }
    void set_dst_port(std::uint16_t v) const noexcept { this->set_be16(off_dst_port, v); }
    void set_seq(std::uint32_t v) const noexcept { this->set_be32(off_seq, v); }
    void set_ack(std::uint32_t v) const noexcept { this->set_be32(off_ack, v); }
    // Also clears the 4 reserved bits (RFC 9293: must be zero when sent).
    void set_data_offset(std::uint8_t words) const noexcept {
        this->set_u8(off_data_offset, static_cast<std::uint8_t>((words & 0x0fu) << 4));
    }
    void set_flags(std::uint8_t v) const noexcept { this->set_u8(off_flags, v); }
    void set_window(std::uint16_t v) const noexcept { this->set_be16(off_window, v); }
    void set_checksum(std::uint16_t v) const noexcept { this->set_be16(off_checksum, v); }
    void set_urgent(std::uint16_t v) const noexcept { this->set_be16(off_urgent, v); }
};

using eth_view = basic_eth_view<std::uint8_t>;
using eth_cview = basic_eth_view<const std::uint8_t>;
using vlan_view = basic_vlan_view<std::uint8_t>;
using vlan_cview = basic_vlan_view<const std::uint8_t>;
using arp_view = basic_arp_view<std::uint8_t>;
using arp_cview = basic_arp_view<const std::uint8_t>;
using ipv4_view = basic_ipv4_view<std::uint8_t>;
using ipv4_cview = basic_ipv4_view<const std::uint8_t>;
using icmp_view = basic_icmp_view<std::uint8_t>;
using icmp_cview = basic_icmp_view<const std::uint8_t>;
using udp_view = basic_udp_view<std::uint8_t>;
using udp_cview = basic_udp_view<const std::uint8_t>;
using tcp_view = basic_tcp_view<std::uint8_t>;
using tcp_cview = basic_tcp_view<const std::uint8_t>;

} // namespace vipgate::net
