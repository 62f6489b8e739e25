#pragma once
// Why a received VRRP advertisement was not handed to the state machine.
// One table, used for counter names, console output and docs/vrrp.md.
//
// Every reason in this table makes keepalived 2.2.7 ignore the packet too
// (vrrp_check_packet() returns KO/DROP), with two exceptions noted in the
// help text: `bad_interval` (vipgate only) and the v3 checksum forms that
// vipgate accepts and keepalived does not (see decode()).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vipgate::vrrp {

// X(name, help)
#define VIPGATE_VRRP_REJECT_REASONS(X)                                                             \
    X(none, "accepted")                                                                            \
    X(bad_ttl, "IP TTL is not 255 (RFC 5798 §5.1.1.3; keepalived checks multicast only)")          \
    X(too_short, "shorter than the 8-byte VRRP header")                                            \
    X(bad_version, "version is neither 2 nor 3")                                                   \
    X(version_mismatch, "version differs from the instance's configured version")                  \
    X(bad_type, "type is not 1 (ADVERTISEMENT)")                                                   \
    X(bad_length, "length is not exact for the address count (+8 auth bytes for v2)")              \
    X(bad_checksum, "checksum is wrong (v2: message; v3: pseudo-header or message)")               \
    X(bad_interval, "v3 Max Adver Int is 0 (vipgate only; keepalived accepts it)")                 \
    X(unknown_vrid, "no instance is configured for this VRID")                                     \
    X(bad_auth_type, "v2 auth type is not 0, 1 or 2")                                              \
    X(auth_type_mismatch, "v2 auth type differs from the configured one")                          \
    X(auth_mismatch, "v2 PASS password differs from the configured one")                           \
    X(interval_mismatch, "v2 advert interval differs from the configured one")                     \
    X(address_count_mismatch, "address count differs from the configured VIP count")               \
    X(address_mismatch, "a configured VIP is missing from the advert")                             \
    X(unexpected_unicast, "unicast advert for a multicast instance")                               \
    X(unexpected_multicast, "multicast advert for a unicast instance")                             \
    X(unknown_unicast_peer, "source is not a configured unicast peer (check_unicast_src)")

enum class reject_reason : std::uint8_t {
#define VIPGATE_VRRP_X(name, help) name,
    VIPGATE_VRRP_REJECT_REASONS(VIPGATE_VRRP_X)
#undef VIPGATE_VRRP_X
};

inline constexpr std::size_t reject_reason_count = 0
#define VIPGATE_VRRP_X(name, help) +1
    VIPGATE_VRRP_REJECT_REASONS(VIPGATE_VRRP_X)
#undef VIPGATE_VRRP_X
    ;

constexpr std::string_view reject_reason_name(reject_reason r) noexcept {
    switch (r) {
#define VIPGATE_VRRP_X(name, help)                                                                 \
    case reject_reason::name:                                                                      \
        return #name;
        VIPGATE_VRRP_REJECT_REASONS(VIPGATE_VRRP_X)
#undef VIPGATE_VRRP_X
    }
    return "unknown";
}

constexpr std::string_view reject_reason_help(reject_reason r) noexcept {
    switch (r) {
#define VIPGATE_VRRP_X(name, help)                                                                 \
    case reject_reason::name:                                                                      \
        return help;
        VIPGATE_VRRP_REJECT_REASONS(VIPGATE_VRRP_X)
#undef VIPGATE_VRRP_X
    }
    return "unknown";
}

} // namespace vipgate::vrrp
