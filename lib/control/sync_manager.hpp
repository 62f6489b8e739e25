#pragma once
// Flow-state sync on the control core (issue 11, docs/ha.md): the lib/sync
// session of this node, fed by the workers' flow events and the sync port's
// datagrams, and its output back to the wire and to the workers.
//
//   workers' flow events (shell::drain_flow_events) -> session.queue()
//   session send actions -> IPv4/UDP frames on the sync port (shell via host)
//   sync punts -> who-is-accepted checks -> session.on_message()
//   session install actions -> shell::install_flow() (owner worker)
//   a peer's bulk request -> shell::request_export(), read as table_source
//
// Pure (no DPDK): it reaches the shell through control::shell and the
// control plane through vrrp_host (send_frame, neighbour_mac).
//
// Threads: control core only.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/json.hpp"
#include "common/result.hpp"
#include "config/config.hpp"
#include "control/loop.hpp"
#include "control/shell.hpp"
#include "control/vrrp_manager.hpp"
#include "sync/session.hpp"

namespace vipgate::control {

// Why the control core refused a sync datagram or record before (or after)
// the session. X(name, help)
#define VIPGATE_SYNC_WIRE_REFUSALS(X)                                                              \
    X(not_udp, "punted frame is not a whole IPv4/UDP datagram")                                    \
    X(wrong_port, "arrived on another port than the sync port")                                    \
    X(unknown_address, "unicast peers configured: the source address is not one of them")          \
    X(off_subnet, "multicast: the source is not on the sync port's subnet")                        \
    X(bad_ttl,                                                                                     \
      "multicast: IP TTL is not 255, so the sender is not on the link (RFC 5798 5.1.1.3)")         \
    X(no_service, "record names a VIP:port/protocol this node has no service for")                 \
    X(install_ring_full, "the owner worker's install ring was full")                               \
    X(bulk_overtaken,                                                                              \
      "bulk record of a flow the peer deleted since (its delete overtook the rate-bounded bulk)")  \
    X(unresolved_peer, "frame not sent: the unicast peer's MAC is not known yet")                  \
    X(tx_failed, "frame not sent: no buffer or control TX full")

enum class sync_wire_refusal : std::uint8_t {
#define VIPGATE_SYNC_WIRE_X(name, help) name,
    VIPGATE_SYNC_WIRE_REFUSALS(VIPGATE_SYNC_WIRE_X)
#undef VIPGATE_SYNC_WIRE_X
};
inline constexpr std::size_t sync_wire_refusal_count = 0
#define VIPGATE_SYNC_WIRE_X(name, help) +1
    VIPGATE_SYNC_WIRE_REFUSALS(VIPGATE_SYNC_WIRE_X)
#undef VIPGATE_SYNC_WIRE_X
    ;
std::string_view sync_wire_refusal_name(sync_wire_refusal r) noexcept;

// `show sync`: one peer as this node sees it.
struct sync_peer_row {
    std::uint32_t node = 0;
    std::string address; // the node id is the peer's sync port address
    std::string state;   // "bulk", "in-sync", "lost"
    std::string reason;  // of its last state change
    std::uint32_t epoch = 0;
    std::uint32_t acked = 0;    // highest of our sequences it acknowledged
    std::uint32_t expected = 0; // next sequence of its stream we deliver
    std::uint64_t lag_ms = 0;   // since we last heard from it
    std::uint64_t messages_received = 0, records_received = 0, gaps = 0;
    bool bulk_running = false;       // our request to it is outstanding
    std::uint64_t bulk_received = 0; // bulk records since that request
    std::uint32_t last_bulk_records = 0;
    std::uint64_t bulks_completed = 0;
    std::uint64_t last_bulk_ms = 0; // request to completion, of the last bulk resync
};

// `show sync`.
struct sync_report {
    bool enabled = false;
    std::string port;
    std::string mode; // "multicast 224.0.0.84" or "unicast"
    std::uint16_t udp_port = 0;
    std::uint32_t node = 0, sync_id = 0, epoch = 0;
    bool in_sync = false;
    bool serving_bulk = false;
    std::uint64_t unacked = 0, queued = 0;
    std::uint64_t takeovers_not_in_sync = 0; // VRRP took over with a peer not in sync
    // Takeover gating (docs/ha.md): the gated VRRP instance (`sync.instance`,
    // "" = every instance), its state (the control plane fills it), whether
    // its preemption is held now, the bound, and how often the hold ended
    // at the bound instead of at the end of the bulk.
    std::string instance;
    std::string instance_state; // "INIT", "BACKUP", "MASTER", "FAULT"; "" without instance
    bool preemption_held = false;
    std::uint64_t resync_timeout_ms = 0;
    std::uint64_t resync_timeouts = 0;
    named_counters sent;     // messages, bytes, records, retransmitted, abandoned, bulk
    named_counters received; // messages, bytes, records
    named_counters workers;  // events, events lost, exported, installs, installed
    named_counters refused;  // every reason, session's and the control core's
    std::vector<sync_peer_row> peers;
};
json to_json(const sync_report& r);

class sync_manager {
  public:
    // Null when the config has no `sync:` section or the shell has no sync
    // rings (then nothing of this runs). Errors: a port that does not exist.
    static result<std::unique_ptr<sync_manager>> make(const config::config& cfg, shell& sh,
                                                      vrrp_host& host);

    // Every flush_interval: workers' events into the session, its timers,
    // what it says to do.
    void tick(usec now);
    // A punt_kind::sync frame.
    void on_punt(usec now, const punt_view& f);

    const config::sync_config& config() const noexcept { return cfg_; }
    std::uint16_t port() const noexcept { return port_; }
    // Every known peer's table is here (bulk done, no gap since).
    bool in_sync() const noexcept { return session_.in_sync(); }
    const sync::session& session() const noexcept { return session_; }
    std::uint64_t refused(sync_wire_refusal r) const noexcept {
        return refused_[static_cast<std::size_t>(r)];
    }
    sync_report report(usec now) const;
    // A VRRP takeover while not in sync (allowed: availability first).
    void count_takeover_not_in_sync() noexcept { ++takeovers_not_in_sync_; }
    // The start-up preemption hold ended at resync_timeout, not in sync.
    void count_resync_timeout() noexcept { ++resync_timeouts_; }
    // Is `instance`'s takeover gated by the sync state (sync.instance, or
    // every instance without it)?
    bool gates(const std::string& instance) const noexcept {
        return cfg_.instance.empty() || cfg_.instance == instance;
    }

  private:
    // The workers' tables as the session's bulk stream reads them: each
    // rewind() starts an export walk on every worker; records arrive over
    // a few loops (pending() until the walks end).
    class export_source final : public sync::table_source {
      public:
        explicit export_source(shell& sh) : sh_(sh) {}
        void rewind() override;
        bool next(sync::record& out) override;
        bool pending() const override;

      private:
        shell& sh_;
        std::vector<lb::flow_event> buf_;
        std::size_t pos_ = 0;
        bool running_ = false;
    };

    sync_manager(const config::sync_config& cfg, shell& sh, vrrp_host& host, std::uint16_t port,
                 net::ipv4_prefix address, sync::session s);
    void apply();
    void send(std::span<const std::uint8_t> payload);
    void send_to(net::ipv4_addr dst, const net::mac_addr& mac,
                 std::span<const std::uint8_t> payload);
    void install(const sync::install_records& ins);
    // False: a bulk record the peer's incremental stream deleted since.
    bool fresh(const sync::install_records& ins, const lb::flow_event& e);
    std::optional<sync_wire_refusal> check_source(const net::packet_meta& meta,
                                                  std::span<const std::uint8_t> frame) const;
    void refuse(sync_wire_refusal r) noexcept { ++refused_[static_cast<std::size_t>(r)]; }

    config::sync_config cfg_;
    shell& sh_;
    vrrp_host& host_;
    std::uint16_t port_ = 0;
    net::ipv4_prefix address_; // the sync port's address: source, node id, subnet
    sync::session session_;
    export_source source_;
    std::vector<sync::action> acts_;
    std::array<std::uint64_t, sync_wire_refusal_count> refused_{};
    std::uint64_t installs_queued_ = 0, frames_sent_ = 0, takeovers_not_in_sync_ = 0;
    std::uint64_t resync_timeouts_ = 0;
    std::vector<std::uint8_t> frame_; // reused TX buffer
    // Flows a peer deleted (or deleted and created again) while its bulk to
    // us runs: the incremental stream is not rate-bounded, so its delete can
    // arrive before the flow's bulk record, which is then stale and not
    // installed. Keyed (peer, protocol, client, VIP); cleared when no bulk
    // runs; bounded (overflow counted).
    struct tombstone {
        std::uint32_t peer, client, vip;
        std::uint16_t client_port, vport;
        std::uint8_t proto;
        friend bool operator==(const tombstone&, const tombstone&) = default;
    };
    struct tombstone_hash {
        std::size_t operator()(const tombstone& t) const noexcept;
    };
    static constexpr std::size_t max_tombstones = 262144;
    std::unordered_set<tombstone, tombstone_hash> tombstones_;
    std::uint64_t tombstones_overflow_ = 0;
};

} // namespace vipgate::control
