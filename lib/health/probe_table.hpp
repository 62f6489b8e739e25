#pragma once
// The SYN probes in flight: which source port and initial sequence number
// (ISN) each uses, and what an answering TCP segment means.
//
// A probe is a bare SYN from the port's own address, a source port from a
// reserved range and a fresh ISN, to the checker's target. Workers punt TCP
// segments for the port address whose destination port is in the range to
// the control core, which hands them to match(). The table applies
// RFC 9293 §3.10.7.3 (SYN-SENT): only a segment whose ACK acknowledges our
// ISN exactly (SEG.ACK == ISN + 1) is believed; SYN+ACK means alive, RST+ACK
// refused; anything else is ignored and counted. An alive server, and any
// half-open connection a probe left behind, gets a RST back (§3.5.2) so that
// it does not hold the connection.
//
// Control path only. Not thread-safe: one owner, the control core.

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "health/types.hpp"
#include "net/builder.hpp"

namespace vipgate::health {

struct probe_table_config {
    std::uint16_t port_first = 61000; // probe source ports, inclusive; keep
    std::uint16_t port_last = 61999;  // them out of every service's ports
    // Seeds the ISN generator. Tests pass a constant; the program must pass
    // something unpredictable (RFC 6528 §3: an off-path attacker who can guess
    // the ISN can fake a SYN-ACK and keep a dead server UP).
    std::uint64_t isn_seed = 0;
};

// port_first != 0 and port_first <= port_last.
result<void> validate(const probe_table_config& cfg);

// Window advertised in a probe SYN. No options: the connection is never used.
inline constexpr std::uint16_t probe_syn_window = 65535;

// The numbers of one SYN to send (the caller builds the frame with lib/net;
// the source address is the port's own address).
struct syn_params {
    endpoint dst;
    std::uint16_t src_port = 0;
    std::uint32_t isn = 0;
    net::tcp_spec tcp_spec() const; // SYN, seq = isn, ack = 0, probe_syn_window
};

// A RST to send back (RFC 9293 §3.5.2: the answering segment had ACK set, so
// the reset is <SEQ=SEG.ACK><CTL=RST>; no ACK bit, window 0).
struct rst_answer {
    endpoint dst;               // the server that answered
    std::uint16_t src_port = 0; // our probe port
    std::uint32_t seq = 0;
    net::tcp_spec tcp_spec() const; // RST, seq, ack = 0, window 0
    friend constexpr bool operator==(const rst_answer&, const rst_answer&) = default;
};

// An incoming TCP segment for a probe port, as the worker punted it.
struct segment {
    net::ipv4_addr src_ip;
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::uint8_t flags = 0; // net::tcp_flag_*
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
};

enum class verdict : std::uint8_t {
    matched, // SYN+ACK or RST+ACK for the outstanding probe on that port
    unknown, // no probe from this port to that sender, or flags that mean nothing here
    stale,   // answers a probe that already ended (answered, timed out, released)
    bad_ack, // right port and sender, ACK does not acknowledge our ISN
};
inline constexpr std::size_t verdict_count = 4;
const char* verdict_name(verdict v) noexcept;

struct match_result {
    verdict what = verdict::unknown;
    // matched only:
    std::uint32_t owner = 0;
    std::uint32_t probe_id = 0;
    outcome result = outcome::alive; // alive or refused
    // Send this RST (alive, or a SYN+ACK that is stale or has a bad ACK).
    std::optional<rst_answer> rst;
};

struct probe_table_counters {
    std::uint64_t opened = 0;
    std::uint64_t alive = 0;
    std::uint64_t refused = 0;
    std::uint64_t released = 0;  // ended without an answer (timeout, no_route, removed)
    std::uint64_t exhausted = 0; // open() found no free port
    std::uint64_t busy = 0;      // open() for an owner that already has a probe
    std::uint64_t unknown = 0;
    std::uint64_t stale = 0;
    std::uint64_t bad_ack = 0;
    std::uint64_t rsts = 0; // RST answers handed out
};

class probe_table {
  public:
    // `cfg` must pass validate().
    explicit probe_table(const probe_table_config& cfg);

    // Take a port and an ISN for probe `probe_id` of `owner` (a checker id) to
    // `dst`. Nothing (and counted) when all ports are taken or the owner
    // already has a probe in flight: one probe per checker at a time. Ports are
    // handed out round-robin, so a port is reused as late as possible.
    std::optional<syn_params> open(std::uint32_t owner, std::uint32_t probe_id,
                                   const endpoint& dst);

    // The owner's probe ended without an answer (timeout, no_route) or the
    // owner is gone: free its port. A late answer to it is `stale`. Returns
    // false if the owner had no probe in flight.
    bool release(std::uint32_t owner);

    // What an incoming segment means. A matched answer frees the port.
    match_result match(const segment& seg);

    bool in_range(std::uint16_t port) const {
        return port >= cfg_.port_first && port <= cfg_.port_last;
    }
    std::size_t capacity() const { return slots_.size(); }
    std::size_t in_flight() const { return by_owner_.size(); }
    // The owner's probe in flight, if any.
    std::optional<syn_params> pending(std::uint32_t owner) const;
    const probe_table_config& config() const { return cfg_; }
    const probe_table_counters& stats() const { return stats_; }

  private:
    struct slot {
        bool busy = false;
        bool has_last = false; // dst/isn describe the last probe, now ended
        std::uint32_t owner = 0;
        std::uint32_t probe_id = 0;
        endpoint dst;
        std::uint32_t isn = 0;
    };

    std::uint16_t port_of(std::size_t index) const {
        return static_cast<std::uint16_t>(cfg_.port_first + index);
    }
    std::uint32_t next_isn();
    void free_slot(std::size_t index);

    probe_table_config cfg_;
    std::vector<slot> slots_;
    std::unordered_map<std::uint32_t, std::size_t> by_owner_; // owner -> slot index
    std::size_t cursor_ = 0;
    std::uint64_t isn_state_;
    probe_table_counters stats_;
};

} // namespace vipgate::health
