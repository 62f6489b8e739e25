#pragma once
// VRRP advertisement codec: v2 (RFC 3768 §5.1) and v3 over IPv4 (RFC 5798 §5.2).
//
// Pure and allocation-free: decode() runs on worker cores before an advert is
// punted to the control core. The IP header is built and parsed by the caller;
// only the VRRP message is handled here, with the IP source, destination and
// TTL passed in.

#include "net/types.hpp"
#include "vrrp/reject_reason.hpp"
#include "vrrp/units.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <variant>

namespace vipgate::vrrp {

inline constexpr std::uint8_t ip_proto_vrrp = 112;
inline constexpr std::uint8_t required_ttl = 255;               // RFC 5798 §5.1.1.3
inline constexpr net::ipv4_addr multicast_group{224, 0, 0, 18}; // RFC 5798 §5.1.1.2
// Its Ethernet address (RFC 1112 §6.4: 01:00:5e and the group's low 23 bits).
inline constexpr net::mac_addr multicast_group_mac{
    {0x01, 0x00, 0x5e, static_cast<std::uint8_t>((multicast_group.value >> 16) & 0x7fu),
     static_cast<std::uint8_t>(multicast_group.value >> 8),
     static_cast<std::uint8_t>(multicast_group.value)}};
static_assert(multicast_group_mac == net::mac_addr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}});
inline constexpr std::size_t header_size = 8;
inline constexpr std::size_t v2_auth_size = 8;    // RFC 3768 §5.3.10: always present
inline constexpr std::size_t max_addresses = 255; // Count IPvX Addr is 8 bits
inline constexpr std::size_t max_message_size = header_size + 4 * max_addresses + v2_auth_size;
inline constexpr std::uint8_t type_advertisement = 1; // RFC 5798 §5.2.2

// v2 Auth Type values (RFC 3768 §5.3.6; keepalived uses 1 = PASS, 2 = AH).
inline constexpr std::uint8_t auth_type_none = 0;
inline constexpr std::uint8_t auth_type_pass = 1;
inline constexpr std::uint8_t auth_type_ah = 2;

// Fixed-capacity list of IPv4 addresses (at most 255): no allocation.
class address_list {
  public:
    constexpr address_list() = default;
    // Addresses beyond the capacity are dropped.
    constexpr address_list(std::initializer_list<net::ipv4_addr> init) {
        for (auto a : init) {
            (void)push_back(a);
        }
    }

    [[nodiscard]] constexpr bool push_back(net::ipv4_addr a) noexcept {
        if (count_ == max_addresses) {
            return false;
        }
        addrs_[count_++] = a;
        return true;
    }
    constexpr void clear() noexcept { count_ = 0; }
    constexpr std::size_t size() const noexcept { return count_; }
    constexpr bool empty() const noexcept { return count_ == 0; }
    constexpr net::ipv4_addr operator[](std::size_t i) const noexcept { return addrs_[i]; }
    constexpr const net::ipv4_addr* begin() const noexcept { return addrs_.data(); }
    constexpr const net::ipv4_addr* end() const noexcept { return addrs_.data() + count_; }
    constexpr bool contains(net::ipv4_addr a) const noexcept {
        for (auto x : *this) {
            if (x == a) {
                return true;
            }
        }
        return false;
    }
    // Same addresses in the same order.
    friend constexpr bool operator==(const address_list& a, const address_list& b) noexcept {
        if (a.count_ != b.count_) {
            return false;
        }
        for (std::size_t i = 0; i < a.count_; ++i) {
            if (a.addrs_[i] != b.addrs_[i]) {
                return false;
            }
        }
        return true;
    }

  private:
    std::array<net::ipv4_addr, max_addresses> addrs_{};
    std::uint8_t count_ = 0;
};

// One decoded or to-be-encoded advertisement. The version is carried by the
// interval's type: a v2 advert has whole seconds, a v3 advert centiseconds, so
// a v2 header with a centisecond interval cannot be built.
struct advert {
    std::uint8_t vrid = 0;
    std::uint8_t priority = 0;
    std::variant<v2_advert_int, v3_advert_int> interval = v2_advert_int{1};
    std::uint8_t auth_type = auth_type_none; // v2 only (RFC 3768 §5.3.6)
    std::array<std::uint8_t, 8> auth_data{}; // v2 only (RFC 3768 §5.3.10)
    address_list addresses;

    constexpr std::uint8_t version() const noexcept {
        return std::holds_alternative<v3_advert_int>(interval) ? 3 : 2;
    }
    constexpr microseconds interval_duration() const noexcept {
        return std::visit([](auto i) { return i.to_duration(); }, interval);
    }
    friend constexpr bool operator==(const advert&, const advert&) = default;
};

// keepalived PASS: the password truncated or zero-padded to 8 bytes
// (vrrp_parser.c:1439-1454).
constexpr std::array<std::uint8_t, 8> pass_auth_data(std::string_view password) noexcept {
    std::array<std::uint8_t, 8> out{};
    for (std::size_t i = 0; i < out.size() && i < password.size(); ++i) {
        out[i] = static_cast<std::uint8_t>(password[i]);
    }
    return out;
}

// How a v3 checksum was (or is to be) computed.
enum class checksum_form : std::uint8_t {
    message_only,        // v2 (RFC 3768 §5.3.8); v3 as RFC 9568 / Cisco send it
    pseudo_header,       // v3 with the real IP destination (RFC 5798 §5.2.8)
    pseudo_header_mcast, // v3 with 224.0.0.18 as destination (keepalived <= 1.3.5 unicast)
};
std::string_view checksum_form_name(checksum_form f) noexcept;

// Size of the VRRP message for `a`: 8 + 4 * addresses (+ 8 auth bytes for v2).
constexpr std::size_t encoded_size(const advert& a) noexcept {
    return header_size + 4 * a.addresses.size() + (a.version() == 2 ? v2_auth_size : 0);
}

// Writes the VRRP message (no IP header) and returns its size, or 0 if `out`
// is too small. v2: checksum over the message, auth data always present
// (zeros for auth type 0). v3: checksum with the IPv4 pseudo-header built
// from `src` and `dst` unless another form is asked for.
std::size_t encode(const advert& a, net::ipv4_addr src, net::ipv4_addr dst,
                   std::span<std::uint8_t> out,
                   checksum_form v3_form = checksum_form::pseudo_header) noexcept;

struct decode_options {
    std::uint8_t expected_version = 0; // 0: accept 2 and 3; else must match
    std::uint8_t ip_ttl = required_ttl;
    bool check_ttl = true; // keepalived skips the TTL check for unicast instances
};

struct decode_result {
    reject_reason reason = reject_reason::none;
    checksum_form form = checksum_form::message_only; // valid when ok()
    constexpr bool ok() const noexcept { return reason == reject_reason::none; }
};

// Validates the message-level rules of RFC 5798 §7.1 / RFC 3768 §7.1 and
// fills `out`. `in` must be exactly the VRRP message (padding stripped with
// the IPv4 total length). v3 checksums are accepted in all three forms.
// Checks against an instance's configuration are in check_advert().
decode_result decode(std::span<const std::uint8_t> in, net::ipv4_addr src, net::ipv4_addr dst,
                     const decode_options& opts, advert& out) noexcept;

} // namespace vipgate::vrrp
