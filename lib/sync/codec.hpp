#pragma once
// The vipgate flow-state sync protocol, version 1: message codec.
//
// Pure and allocation-free. A message is one UDP payload: a fixed 52-byte
// header, `count` records, and, when the `hmac` flag is set, a 32-byte
// HMAC-SHA256 trailer over everything before it. All fields are big-endian;
// docs/ha.md gives the layout field by field.
//
// The decoder checks every length and field before it says yes, so reading
// the records of an accepted message (record_reader) cannot fail and never
// leaves the message. It never reads past the span it is given.
//
// No worker id travels: the receiver finds the owner worker of a flow with
// its own lb::owner_worker(), so nodes with different worker counts agree.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "lb/tcp_state.hpp"
#include "lb/types.hpp"
#include "net/types.hpp"
#include "sync/reason.hpp"

namespace vipgate::sync {

inline constexpr std::uint32_t magic = 0x56475359; // "VGSY"
inline constexpr std::uint8_t version = 1;
inline constexpr std::size_t header_size = 52;
inline constexpr std::size_t hmac_size = 32; // HMAC-SHA256 (RFC 2104, FIPS 180-4)
inline constexpr std::size_t record_header_size = 4;
// The length field (header + records, trailer excluded) is 16 bits; a
// jumbo frame's payload fits.
inline constexpr std::size_t max_message_size = 65535;
// Selective ACK covers this many sequences after the cumulative ACK, and a
// sender keeps at most this many messages unacknowledged.
inline constexpr std::uint32_t window = 64;
// A receiver acknowledges at once after this many in-order messages.
inline constexpr std::uint32_t ack_every = window / 4;

// Defaults (docs/ha.md, "Defaults"): not IPVS's 224.0.0.81:8848, so a
// half-migrated pair does not exchange frames neither side can read.
inline constexpr net::ipv4_addr default_group{224, 0, 0, 84};
inline constexpr std::uint16_t default_udp_port = 8847;

enum class msg_type : std::uint8_t {
    data = 1, // sequenced, carries records, retransmitted until acknowledged
    ack = 2,  // not sequenced, no records: acknowledgement and keepalive
};

// Header flag bits; the others must be zero.
inline constexpr std::uint16_t flag_hmac = 0x0001; // a 32-byte HMAC trailer follows
inline constexpr std::uint16_t flag_ack = 0x0002;  // ack_node/ack_epoch/ack_cum/sack are valid
inline constexpr std::uint16_t flag_bulk = 0x0004; // the flow records answer a bulk request
inline constexpr std::uint16_t known_flags = flag_hmac | flag_ack | flag_bulk;

struct header {
    msg_type type = msg_type::data;
    std::uint16_t flags = 0;     // flag_ack / flag_bulk; flag_hmac is set by the encoder
    std::uint16_t count = 0;     // records (filled by the encoder)
    std::uint32_t node = 0;      // sender node id, != 0
    std::uint32_t sync_id = 0;   // must match the receiver's
    std::uint32_t epoch = 0;     // sender's incarnation, != 0; a restart picks a newer one
    std::uint32_t seq = 0;       // data: this message's sequence number; ack: 0
    std::uint32_t oldest = 0;    // lowest sequence the sender can still retransmit
    std::uint32_t ack_node = 0;  // whose stream is acknowledged (flag_ack)
    std::uint32_t ack_epoch = 0; // that stream's epoch
    std::uint32_t ack_cum = 0;   // every sequence up to and including this one received
    std::uint64_t sack = 0;      // bit i: sequence ack_cum + 2 + i received as well
    friend bool operator==(const header&, const header&) = default;
};

enum class record_type : std::uint8_t {
    flow_add = 1,     // a new flow
    flow_state = 2,   // its TCP state changed
    flow_refresh = 3, // still alive: restart the backup's idle timer
    flow_delete = 4,  // closed or expired on the sender
    persist = 5,      // a persistence template (created or refreshed)
    bulk_request = 6, // "send me your whole table"
    bulk_end = 7,     // completion marker of a bulk stream
};
inline constexpr std::uint8_t max_record_type = 7;

// Address families: IANA Address Family Numbers (1 IPv4, 2 IPv6); 0 for
// records without addresses.
enum class family : std::uint8_t { none = 0, ipv4 = 1, ipv6 = 2 };

// flow_add / flow_state / flow_refresh / flow_delete.
struct flow_record {
    record_type type = record_type::flow_add;
    net::ipv4_addr client;
    net::ipv4_addr vip;
    net::ipv4_addr rs;
    std::uint16_t client_port = 0;
    std::uint16_t vport = 0;
    std::uint16_t rs_port = 0;
    lb::protocol proto = lb::protocol::tcp;
    lb::flow_state state = lb::flow_state::none;
    std::uint32_t timeout_ms = 0; // time left before the flow expires on the sender
    friend bool operator==(const flow_record&, const flow_record&) = default;
};

// A persistence template (lb/persistence.hpp): the masked client keeps its
// real server.
struct persist_record {
    net::ipv4_addr client; // already masked with persistence_granularity
    net::ipv4_addr vip;
    net::ipv4_addr rs;
    std::uint16_t vport = 0;
    std::uint16_t rs_port = 0;
    lb::protocol proto = lb::protocol::tcp;
    std::uint32_t timeout_ms = 0;
    friend bool operator==(const persist_record&, const persist_record&) = default;
};

struct bulk_request_record {
    std::uint32_t target = 0;  // node asked to stream its table
    std::uint32_t bulk_id = 0; // chosen by the requester, echoed in bulk_end
    friend bool operator==(const bulk_request_record&, const bulk_request_record&) = default;
};

struct bulk_end_record {
    std::uint32_t target = 0;  // the requester
    std::uint32_t bulk_id = 0; // its request
    std::uint32_t records = 0; // bulk-flagged flow/persist records sent since the request
    friend bool operator==(const bulk_end_record&, const bulk_end_record&) = default;
};

using record = std::variant<flow_record, persist_record, bulk_request_record, bulk_end_record>;

record_type type_of(const record& r) noexcept;
// Bytes the record takes on the wire, its 4-byte record header included.
std::size_t encoded_size(const record& r) noexcept;
inline constexpr std::size_t flow_record_size = record_header_size + 24;
inline constexpr std::size_t persist_record_size = record_header_size + 24;
inline constexpr std::size_t bulk_request_record_size = record_header_size + 8;
inline constexpr std::size_t bulk_end_record_size = record_header_size + 12;

// UDP payload budget on a port with this IP MTU (IPv4 header without
// options, UDP header).
constexpr std::size_t payload_budget(std::size_t ip_mtu) noexcept {
    return ip_mtu > 28 ? ip_mtu - 28 : 0;
}

// Builds one message in the caller's buffer. Records are added while they
// fit the budget (min(buffer, max_bytes), the trailer reserved when a key is
// set); finish() writes the header and the trailer.
class encoder {
  public:
    encoder(std::span<std::uint8_t> buf, std::size_t max_bytes,
            std::span<const std::uint8_t> key = {}) noexcept;

    // False, and nothing written, when the record does not fit (or the
    // record count would overflow 16 bits).
    bool add(const record& r) noexcept;
    bool fits(const record& r) const noexcept;
    std::uint16_t count() const noexcept { return count_; }
    bool empty() const noexcept { return count_ == 0; }
    // Writes `h` (count, length and the hmac flag filled in) and returns the
    // message size; 0 when the budget cannot even hold the header.
    std::size_t finish(header h) noexcept;

  private:
    std::span<std::uint8_t> buf_;
    std::size_t limit_ = 0; // bytes available for header + records
    std::size_t used_ = header_size;
    std::uint16_t count_ = 0;
    std::span<const std::uint8_t> key_;
};

struct decode_options {
    // Empty: messages must not carry a trailer. Otherwise they must, and it
    // must verify.
    std::span<const std::uint8_t> key;
};

// A validated message: its header and its record bytes.
struct decoded {
    header hdr;
    std::span<const std::uint8_t> records;
};

reason decode(std::span<const std::uint8_t> msg, const decode_options& opts, decoded& out) noexcept;

// Reads the records of a message decode() accepted.
class record_reader {
  public:
    explicit record_reader(const decoded& d) noexcept : rest_(d.records) {}
    bool next(record& out) noexcept;

  private:
    std::span<const std::uint8_t> rest_;
};

// HMAC-SHA256 of `data` with `key` (OpenSSL's libcrypto).
std::array<std::uint8_t, hmac_size> hmac_sha256(std::span<const std::uint8_t> key,
                                                std::span<const std::uint8_t> data) noexcept;

// Sequence and epoch comparison modulo 2^32 (RFC 1982 serial arithmetic):
// a is before b when it is less than 2^31 behind.
constexpr bool seq_before(std::uint32_t a, std::uint32_t b) noexcept {
    return static_cast<std::int32_t>(a - b) < 0;
}

} // namespace vipgate::sync
