#pragma once
// Per-worker counters, part of the control seam (control/shell.hpp): the
// DPDK shell's workers write them, the control core reads them through
// shell::worker(). Pure (no rte_*), so lib/control needs no DPDK.
//
// Each counter has exactly one writer (its worker) and is read by the control core for display and
// telemetry, so increments are a relaxed load + relaxed store (a plain add on x86, no lock prefix)
// and reads are relaxed loads. "clear stats" never writes here: the control core keeps a baseline
// and shows differences.

#include <array>
#include <atomic>
#include <cstdint>

#include "config/config.hpp"
#include "lb/flow_sync.hpp"
#include "pipeline/drop_reason.hpp"
#include "vrrp/reject_reason.hpp"

namespace vipgate::control {

class counter {
  public:
    void add(std::uint64_t n = 1) noexcept {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> v_{0};
};

inline constexpr std::size_t max_ports = 16;
inline constexpr std::size_t max_workers = 16;
inline constexpr std::size_t max_real_servers = 4096; // lb::table_limits default

// Written by one worker, read by the control core.
struct alignas(64) worker_stats {
    counter rx_packets;
    counter rx_bytes;
    counter tx_packets;  // everything this worker transmitted (replies + control TX)
    counter replies;     // frames answered in place (ARP, ICMP echo)
    counter punts;       // frames handed to the control core
    counter control_tx;  // frames the control core asked this worker to send
    counter drops;       // sum of drop[]
    counter polls;       // loop iterations
    counter busy_polls;  // iterations that found at least one packet
    counter idle_sleeps; // times the worker slept on an idle queue
    std::array<counter, pipeline::drop_reason_count> drop{};
    std::array<counter, max_ports> port_rx{};
    std::array<counter, max_ports> port_tx{};
    // VRRP adverts rejected by the worker, per instance slot and reason; the
    // last row is for adverts that matched no instance (unknown VRID).
    static constexpr std::size_t vrrp_rows = config::max_vrrp_instances + 1;
    std::array<std::array<counter, vrrp::reject_reason_count>, vrrp_rows> vrrp_reject{};
    // Source address (host order) and reason of the last rejected advert per
    // row, for the log line that explains a split brain.
    std::array<std::atomic<std::uint64_t>, vrrp_rows> vrrp_last_reject{};
    std::array<counter, vrrp_rows> vrrp_punted{}; // valid adverts handed to the control core
    counter sync_punted; // flow-state sync datagrams handed to the control core

    // Load balancing.
    counter forwarded;    // NAT'd and sent (both directions)
    counter new_flows;    // flows created
    counter handoffs_out; // frames passed to their owner worker
    counter handoffs_in;  // frames received from other workers
    counter notices_lost; // learn/resolve notices dropped (ring full)
    counter flows_expired;
    std::atomic<std::uint64_t> flows_active{0}; // gauge, refreshed every few ms
    std::atomic<std::uint64_t> flow_capacity{0};
    std::atomic<std::uint64_t> flows_taken_over{0}; // gauge of lb::flow_table_stats::taken_over
    std::atomic<std::uint64_t> conn_reused{0};      // gauges of lb::engine_stats
    std::atomic<std::uint64_t> persist_hits{0};
    std::atomic<std::uint64_t> persist_resched{0};
    std::atomic<std::uint64_t> sorry_flows{0};
    std::array<counter, max_real_servers> rs_packets{};
    std::array<counter, max_real_servers> rs_bytes{};
    // Gauges per real-server slot (this worker's connection counts).
    std::array<std::atomic<std::uint32_t>, max_real_servers> rs_active{};
    std::array<std::atomic<std::uint32_t>, max_real_servers> rs_inactive{};

    // Flow-state sync (docs/ha.md).
    counter sync_events;      // flow events handed to the control core
    counter sync_events_lost; // event ring full (the refresh sweep resends the flow)
    counter sync_exported;    // bulk export records handed to the control core
    counter sync_installs;    // records taken from the install ring
    // Gauges: events the engine's buffer dropped (full within one loop), and
    // lb::sync_install_stats (installed; refused by lb::sync_refusal).
    std::atomic<std::uint64_t> sync_buffer_dropped{0};
    std::atomic<std::uint64_t> sync_installed{0};
    std::array<std::atomic<std::uint64_t>, lb::sync_refusal_count> sync_refused{};
};

} // namespace vipgate::control
