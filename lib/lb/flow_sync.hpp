#pragma once
// What a worker's load balancer offers flow-state sync (issue 11): events
// out, records in, a bulk export walk and a refresh sweep. Pure: the sync
// protocol (lib/sync) and the rings between workers and the sync thread
// (the DPDK shell) are elsewhere.
//
// Events out. A worker writes flow_events into a flow_event_buffer it owns
// (engine::attach_sync()); the shell drains it after each burst (e.g. into an
// rte_ring toward the sync thread) and clears it. A full buffer drops the
// event and counts it: never blocks, never allocates; the refresh sweep
// catches a dropped flow later. With no buffer attached (sync off, the
// default) the only cost is one predictable branch on the paths that create a
// flow, change its TCP state or remove it; a packet that changes nothing
// (the established fast path) pays nothing.
//
// Records in: engine::install_synced() creates or updates a flow (or a
// persistence template) from a peer's record, against this node's own
// service table, and refuses what it cannot place (sync_refusal).
//
// The flow entry does not grow for any of this: a flow installed from a
// record carries flow::flag_synced, one of the spare bits of flow::bits.

#include <cstdint>
#include <span>
#include <type_traits>

#include "lb/tcp_state.hpp"
#include "lb/types.hpp"

namespace vipgate::lb {

enum class flow_event_kind : std::uint8_t {
    add,          // a flow was created here (or a peer's flow became this node's)
    state_change, // its TCP state changed (to one in sync_states, below)
    refresh,      // it is alive: the remaining timeout (refresh sweep, bulk export)
    remove,       // it is gone (expiry, connection reuse, take-over of its entry)
    persist,      // a persistence template was created or re-pointed (or exported)
};
inline constexpr std::size_t flow_event_kind_count = 5;
const char* flow_event_kind_name(flow_event_kind k) noexcept;

// One event. For `persist` the client is the template's masked client
// address (client_port 0) and state is none; rs is the template's server.
// 28 bytes, trivially copyable: it can be put in a ring as is.
struct flow_event {
    // The record is a copy this node holds as a peer's backup, not a flow it
    // forwards (bulk export only): it never overrides a flow the receiver
    // forwards itself.
    static constexpr std::uint8_t flag_copy = 0x01;

    flow_event_kind kind = flow_event_kind::add;
    protocol proto = protocol::tcp;
    flow_state state = flow_state::none;
    std::uint8_t flags = 0;
    net::ipv4_addr client;
    net::ipv4_addr vip;
    net::ipv4_addr rs;
    std::uint16_t client_port = 0;
    std::uint16_t vport = 0;
    std::uint16_t rs_port = 0;
    std::uint16_t reserved = 0;
    std::uint32_t timeout_ms = 0; // remaining idle time (0 for remove)

    friend bool operator==(const flow_event&, const flow_event&) = default;
};
static_assert(sizeof(flow_event) == 28);
static_assert(std::is_trivially_copyable_v<flow_event>);

// The TCP states whose entry emits state_change: IPVS syncs a connection on
// a change to ESTABLISHED, FIN_WAIT, CLOSE, CLOSE_WAIT or TIME_WAIT
// (ip_vs_sync.c sync_conn_needed()); vipgate adds LAST_ACK, whose timeout
// differs from CLOSE_WAIT's. The opening states are not synced at all
// (announced_state(), below).
constexpr bool sync_state(flow_state s) noexcept {
    return s == flow_state::established || s == flow_state::fin_wait ||
           s == flow_state::time_wait || s == flow_state::close || s == flow_state::close_wait ||
           s == flow_state::last_ack;
}

// Is a flow in this state announced to the peers? UDP flows from their
// first packet; TCP flows once they reach a sync state (usually at the
// handshake's last ACK, IPVS syncs at the 3rd packet): a flow in SYN_RECV
// or SYN_SENT is not announced, nor is its removal, so a SYN flood does not
// become a flood of the sync channel. The first announcement of a TCP flow
// is its state_change record, which carries the whole flow (the receiver
// installs it as an add).
constexpr bool announced_state(protocol p, flow_state s) noexcept {
    return p == protocol::udp || sync_state(s);
}

// The caller-provided, fixed-capacity event buffer of one worker.
// Written by the worker only; the shell drains it on the same thread.
class flow_event_buffer {
  public:
    flow_event_buffer() = default;
    explicit flow_event_buffer(std::span<flow_event> storage) noexcept : slots_(storage) {}

    // False (and counted in dropped()) when full.
    bool push(const flow_event& e) noexcept {
        if (count_ == slots_.size()) [[unlikely]] {
            ++dropped_;
            return false;
        }
        slots_[count_++] = e;
        ++pushed_;
        return true;
    }
    bool full() const noexcept { return count_ == slots_.size(); }
    std::size_t room() const noexcept { return slots_.size() - count_; }
    std::span<const flow_event> events() const noexcept { return slots_.first(count_); }
    std::size_t size() const noexcept { return count_; }
    std::size_t capacity() const noexcept { return slots_.size(); }
    void clear() noexcept { count_ = 0; }
    // Events lost to a full buffer since creation (`sync_events_dropped`).
    std::uint64_t dropped() const noexcept { return dropped_; }
    // Events written since creation (records/s exported: its rate).
    std::uint64_t pushed() const noexcept { return pushed_; }

  private:
    std::span<flow_event> slots_;
    std::size_t count_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t pushed_ = 0;
};

// Why install_synced() refused a record. X(name, help)
#define VIPGATE_LB_SYNC_REFUSALS(X)                                                                \
    X(sync_bad_kind, "record kind unknown")                                                        \
    X(sync_bad_protocol, "record protocol is neither TCP nor UDP")                                 \
    X(sync_unknown_service, "record names a VIP:port/protocol this node has no service for")       \
    X(sync_unknown_real_server, "record names a real server its service does not have here")       \
    X(sync_not_persistent, "template record for a service without persistence here")               \
    X(sync_bad_state, "record state impossible for its protocol (or NONE)")                        \
    X(sync_bad_timeout, "record timeout is 0 or beyond this node's timeout for its state")         \
    X(sync_kept_local, "copy record for a flow this node forwards itself: the local flow wins")    \
    X(sync_reverse_in_use, "another flow has this real server endpoint for this client endpoint")  \
    X(sync_table_full, "the flow or template table is full")

enum class sync_refusal : std::uint8_t {
    none,
#define VIPGATE_LB_SYNC_REFUSAL_ENUM(name, help) name,
    VIPGATE_LB_SYNC_REFUSALS(VIPGATE_LB_SYNC_REFUSAL_ENUM)
#undef VIPGATE_LB_SYNC_REFUSAL_ENUM
};

inline constexpr std::size_t sync_refusal_count = 1
#define VIPGATE_LB_SYNC_REFUSAL_COUNT(name, help) +1
    VIPGATE_LB_SYNC_REFUSALS(VIPGATE_LB_SYNC_REFUSAL_COUNT)
#undef VIPGATE_LB_SYNC_REFUSAL_COUNT
    ;

const char* sync_refusal_name(sync_refusal r) noexcept; // "none", "sync_unknown_service", ...
const char* sync_refusal_help(sync_refusal r) noexcept;

// Where a bulk export walk is: flows first, then persistence templates.
// Entries never move while they hold a flow, so an index walk emits every
// flow present for the whole walk exactly once; flows created during the
// walk are sent by their own add events.
struct export_cursor {
    std::uint32_t index = 0;
    bool templates = false; // in the template phase
    bool done = false;
};

struct export_result {
    std::uint32_t examined = 0;
    std::uint32_t emitted = 0;
    bool done = false;
};

} // namespace vipgate::lb
