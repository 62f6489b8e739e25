#pragma once
// One node's end of the sync protocol: the reliability state machine (per
// peer sequence numbers, cumulative + selective ACK, bounded retransmission,
// replay rejection, epochs) and the bulk resync (requester and sender).
//
// Pure: no I/O, no clock. Every input takes `now` (ms, lb::time_point);
// outputs are actions appended to a caller's vector, as lib/vrrp's instance
// does: send these bytes (to the group or to every unicast peer), install
// these records (in the order the peer sent them), a peer changed state.
// The caller calls on_timer() at next_deadline() or later (early is
// harmless).
//
// Threads: the sync thread only (control path: allocation is fine here).
//
// The stream. A node sends one stream of data messages, numbered from 1 in
// each epoch, to all its peers (multicast, or a copy to each unicast peer).
// It keeps each message until every live peer has acknowledged it, at most
// `window` of them, and resends it after retransmit_timeout, at most
// max_retries times; a peer that still has not acknowledged it is then
// `lost` and nothing more is kept for it. Every message says which is the
// oldest sequence the sender still keeps: a receiver whose next expected
// sequence is older than that has lost messages for good and asks for a
// bulk resync. Receivers deliver messages in sequence order, each exactly
// once (a reorder buffer of `window` messages), and acknowledge them
// (piggybacked on their own data, or an ack message after ack_delay).
//
// Peer states (this node's view of a peer, `show sync`):
//   bulk     our copy of the peer's table is incomplete: a bulk resync from
//            it is under way (first contact, its restart, a gap)
//   in_sync  its bulk ended and its stream has no gap since
//   lost     silent for peer_timeout, or it stopped acknowledging our
//            messages; hearing from it again starts a bulk resync
//
// Bulk resync. A requester sends a bulk_request record (in its own reliable
// stream) naming the peer and a bulk id. That peer rewinds its table_source
// and streams every record at bulk_rate records/s in data messages flagged
// `bulk`, interleaved with its incremental events, then a bulk_end record
// with the id and the number of bulk records. A second request during a
// stream restarts the pass; every pending requester gets its bulk_end at
// the end of the pass.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "lb/types.hpp"
#include "sync/codec.hpp"
#include "sync/reason.hpp"

namespace vipgate::sync {

using lb::milliseconds;
using lb::time_point;

enum class peer_state : std::uint8_t { bulk, in_sync, lost };
std::string_view peer_state_name(peer_state s) noexcept; // "bulk", "in-sync", "lost"

struct session_config {
    std::uint32_t node = 0;                         // this node's id, != 0
    std::uint32_t sync_id = 0;                      // shared by the pair
    std::uint32_t epoch = 0;                        // != 0; newer (serial order) on every start
    std::size_t max_message = payload_budget(1500); // UDP payload bytes per message
    milliseconds flush_interval{5};                 // longest a queued event waits for company
    milliseconds ack_delay{5}; // longest an ACK waits for a data message to ride on
    milliseconds retransmit_timeout{200};
    unsigned max_retries = 3;              // resends of one message before the peer is lost
    milliseconds keepalive_interval{1000}; // an ack message when nothing else was sent
    milliseconds peer_timeout{3500};       // silence before a peer is lost
    std::uint32_t bulk_rate = 1'000'000;   // bulk records per second
    std::size_t queue_capacity = 65536;    // incremental records waiting for the window
    std::vector<std::uint32_t> peers;      // accepted node ids; empty: any node with our sync id
    std::vector<std::uint8_t> key;         // HMAC-SHA256 key; empty: no authentication

    result<void> validate() const;
};

// --- Actions ---------------------------------------------------------------
struct send_message {
    std::vector<std::uint8_t> bytes;
    bool retransmission = false;
};
// Records from `peer`, in its stream's order; `bulk`: part of a bulk resync.
struct install_records {
    std::uint32_t peer = 0;
    bool bulk = false;
    std::vector<record> records;
};
struct peer_changed {
    std::uint32_t peer = 0;
    bool first_contact = false; // no `from`: the peer was unknown
    peer_state from = peer_state::lost;
    peer_state to = peer_state::bulk;
    std::string reason;
};
using action = std::variant<send_message, install_records, peer_changed>;

// The local table, read by a bulk stream. Owned by the caller.
class table_source {
  public:
    virtual ~table_source() = default;
    virtual void rewind() = 0;
    // The next flow or persistence record of the table; false at its end,
    // or when none is ready yet and pending() says more will come.
    virtual bool next(record& out) = 0;
    // More records will come but none is ready now (the table is read by
    // other threads, e.g. the workers' export walks): the pass waits
    // instead of ending.
    virtual bool pending() const { return false; }
};

struct session_counters {
    std::uint64_t messages_sent = 0; // data and ack messages, first transmissions
    std::uint64_t bytes_sent = 0;
    std::uint64_t records_sent = 0;
    std::uint64_t retransmitted = 0;
    std::uint64_t abandoned = 0; // (message, peer) pairs given up after max_retries
    std::uint64_t messages_received = 0;
    std::uint64_t bytes_received = 0;
    std::uint64_t records_received = 0; // delivered (installed or consumed)
    std::uint64_t bulk_served = 0;      // bulk passes completed
    std::uint64_t bulk_records_sent = 0;
    std::uint64_t refused[reason_count] = {};
    std::uint64_t refused_total() const noexcept;
};

struct peer_info {
    std::uint32_t node = 0;
    std::uint32_t epoch = 0;
    peer_state state = peer_state::bulk;
    std::string reason;         // of the last state change
    std::uint32_t expected = 0; // next sequence of its stream to deliver
    std::uint32_t acked = 0;    // highest sequence of ours it acknowledged (cumulative)
    time_point last_heard{};
    std::uint32_t bulk_id = 0;           // our outstanding request to it (0: none)
    std::uint64_t bulk_received = 0;     // bulk records delivered since that request
    std::uint32_t last_bulk_records = 0; // what its last bulk_end said
    std::uint64_t bulks_completed = 0;
    time_point bulk_requested{};                // when our outstanding request was sent
    std::chrono::milliseconds last_bulk_time{}; // request to bulk_end, of the last one completed
    std::uint64_t messages_received = 0;
    std::uint64_t records_received = 0;
    std::uint64_t gaps = 0; // messages it abandoned before we got them

    // internal
    bool ack_pending = false;
    time_point ack_due{};
    std::uint32_t since_ack = 0; // data messages received since our last ACK to it
    struct held {
        bool used = false;
        bool bulk = false;
        std::uint32_t seq = 0;
        std::vector<record> records;
    };
    std::vector<held> reorder; // window slots, index seq % window
};

class session {
  public:
    static result<session> make(session_config cfg);

    // The table a bulk stream reads (nullptr: bulk requests are answered
    // with an empty pass).
    void set_source(table_source* src) noexcept { source_ = src; }

    // An incremental event to send (flow or persist record). Sent within
    // flush_interval, or at once when a message is full. Dropped and counted
    // (queue_full) when the queue is full.
    void queue(time_point now, const record& r, std::vector<action>& out);

    // A datagram from the sync port.
    void on_message(time_point now, std::span<const std::uint8_t> bytes, std::vector<action>& out);

    void on_timer(time_point now, std::vector<action>& out);
    time_point next_deadline(time_point now) const noexcept;

    // Asks `peer` for its whole table now (also done automatically on first
    // contact, its restart, a gap, its return from lost).
    void request_bulk(time_point now, std::uint32_t peer, std::string why,
                      std::vector<action>& out);

    const session_config& config() const noexcept { return cfg_; }
    const session_counters& counters() const noexcept { return counters_; }
    const std::vector<peer_info>& peers() const noexcept { return peers_; }
    const peer_info* peer(std::uint32_t node) const noexcept;
    // Every known peer in_sync (and at least one known).
    bool in_sync() const noexcept;
    std::size_t unacked() const noexcept { return unacked_.size(); }
    std::size_t queued() const noexcept { return queue_.size(); }
    bool serving_bulk() const noexcept { return serving_; }
    std::uint32_t next_seq() const noexcept { return next_seq_; }

  private:
    struct sent {
        std::uint32_t seq = 0;
        std::vector<std::uint8_t> bytes;
        time_point sent_at{};
        unsigned retries = 0;
        std::vector<std::uint32_t> waiting; // peers that have not acknowledged it
    };
    struct bulk_pending {
        std::uint32_t target = 0;
        std::uint32_t bulk_id = 0;
        std::uint64_t start = 0; // bulk_records_sent when requested
    };

    explicit session(session_config cfg);
    peer_info* find(std::uint32_t node) noexcept;
    void refuse(reason r) noexcept { ++counters_.refused[static_cast<std::size_t>(r)]; }
    void set_state(peer_info& p, peer_state to, std::string why, std::vector<action>& out);
    peer_info& first_contact(time_point now, const header& h, std::vector<action>& out);
    void reset_peer(time_point now, peer_info& p, const header& h);
    void process_ack(const header& h, peer_info& p);
    void release_done();
    void forget_peer_acks(std::uint32_t node);
    void on_data(time_point now, peer_info& p, const decoded& d, std::vector<action>& out);
    void deliver(time_point now, peer_info& p, peer_info::held& m, std::vector<action>& out);
    void check_gap(time_point now, peer_info& p, std::uint32_t oldest, std::vector<action>& out);
    void pump(time_point now, std::vector<action>& out);
    void serve_bulk(time_point now, std::vector<action>& out);
    bool window_open() const noexcept { return unacked_.size() < window; }
    header base_header(msg_type t) noexcept;
    void attach_ack(header& h, time_point now) noexcept;
    void fill_ack(header& h, const peer_info& p) const noexcept;
    void seal(time_point now, std::vector<record>& recs, bool bulk, std::vector<action>& out);
    void send_ack(time_point now, peer_info* p, std::vector<action>& out);
    std::uint32_t oldest_kept() const noexcept {
        return unacked_.empty() ? next_seq_ : unacked_.front().seq;
    }

    session_config cfg_;
    table_source* source_ = nullptr;
    std::vector<peer_info> peers_;
    session_counters counters_;

    // sender
    std::uint32_t next_seq_ = 1;
    std::deque<sent> unacked_;
    std::deque<std::pair<time_point, record>> queue_;
    time_point last_sent_{};
    bool sent_any_ = false;
    std::uint32_t next_bulk_id_ = 1;

    // bulk server
    bool serving_ = false;
    bool source_done_ = false;
    std::vector<bulk_pending> bulk_waiting_;
    double tokens_ = 0;
    time_point tokens_at_{};
};

} // namespace vipgate::sync
