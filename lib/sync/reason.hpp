#pragma once
// Why a received sync message (or part of it) was not used, and why an
// outgoing record was not sent. One table: counter names, `show sync`,
// docs/ha.md. The decoder (codec.hpp) returns the first group, the session
// (session.hpp) the second.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vipgate::sync {

// X(name, help)
#define VIPGATE_SYNC_REASONS(X)                                                                    \
    X(none, "accepted")                                                                            \
    /* decoder: the message itself */                                                              \
    X(too_short, "shorter than the 52-byte header")                                                \
    X(bad_magic, "does not start with \"VGSY\" (IPVS sync or another protocol)")                   \
    X(bad_version, "protocol version is not 1")                                                    \
    X(bad_type, "message type is neither data (1) nor ack (2)")                                    \
    X(bad_flags, "a reserved flag bit is set")                                                     \
    X(bad_length, "length field differs from the datagram (minus the HMAC trailer)")               \
    X(bad_header_field, "node id or epoch is 0, or ack fields set without the ack flag")           \
    X(bad_sequence, "oldest retained sequence is after the message's own sequence")                \
    X(empty_data, "data message without records")                                                  \
    X(unexpected_records, "ack message with records or a sequence number")                         \
    X(truncated_record, "a record header or body runs past the end of the message")                \
    X(bad_record_length, "record length is wrong for its type and address family")                 \
    X(unknown_record_type, "record type is not one of 1..7")                                       \
    X(unsupported_family, "address family is not IPv4 (IPv6 is not implemented yet)")              \
    X(bad_record_field, "protocol, TCP state, timeout or a reserved byte is invalid")              \
    X(count_mismatch, "record count differs from the records in the message")                      \
    X(missing_hmac, "a key is configured and the message has no HMAC trailer")                     \
    X(bad_hmac, "HMAC-SHA256 trailer does not verify")                                             \
    X(unexpected_hmac, "HMAC trailer present but no key is configured")                            \
    /* session: a valid message that is not used */                                                \
    X(own_message, "sent by this node (multicast loopback)")                                       \
    X(wrong_sync_id, "sync id differs from ours")                                                  \
    X(unknown_peer, "sender's node id is not a configured peer")                                   \
    X(old_epoch, "epoch older than the sender's current one (replay)")                             \
    X(duplicate, "sequence already received (retransmission or replay)")                           \
    X(out_of_window, "sequence too far ahead of the next expected one")                            \
    /* session: outgoing records */                                                                \
    X(queue_full, "outgoing record dropped: send queue full (a later refresh resends the flow)")

enum class reason : std::uint8_t {
#define VIPGATE_SYNC_X(name, help) name,
    VIPGATE_SYNC_REASONS(VIPGATE_SYNC_X)
#undef VIPGATE_SYNC_X
};

inline constexpr std::size_t reason_count = 0
#define VIPGATE_SYNC_X(name, help) +1
    VIPGATE_SYNC_REASONS(VIPGATE_SYNC_X)
#undef VIPGATE_SYNC_X
    ;

constexpr std::string_view reason_name(reason r) noexcept {
    switch (r) {
#define VIPGATE_SYNC_X(name, help)                                                                 \
    case reason::name:                                                                             \
        return #name;
        VIPGATE_SYNC_REASONS(VIPGATE_SYNC_X)
#undef VIPGATE_SYNC_X
    }
    return "unknown";
}

constexpr std::string_view reason_help(reason r) noexcept {
    switch (r) {
#define VIPGATE_SYNC_X(name, help)                                                                 \
    case reason::name:                                                                             \
        return help;
        VIPGATE_SYNC_REASONS(VIPGATE_SYNC_X)
#undef VIPGATE_SYNC_X
    }
    return "unknown";
}

} // namespace vipgate::sync
